//! Wire types ↔ engine types.
//!
//! Inbound conversions are `TryFrom` impls and are where request validation lives: a
//! field hako cannot honour yet is refused with a 501 naming it, never silently dropped.
//! Wire types and engine types both live in other crates, so inbound impls convert from
//! [`Wire`], a local wrapper. Outbound conversions (inspect, list, events) are plain
//! functions: they cannot fail.

mod create;
mod exec;
pub(crate) mod host_config;
mod human;
pub mod mounts;
pub(crate) mod network;
mod outbound;
mod outbound_images;

pub use create::CreateInput;
pub use exec::{ExecInput, ExecStartInput, exec_inspect};
pub use outbound::{container_inspect, container_summary};
pub use outbound_images::{event_message, image_inspect, image_summary};

use hako_errdefs::{ErrorKind, HasKind};

use crate::error::ApiError;

/// A wire value on its way into the engine's types.
#[derive(Debug, Clone)]
pub struct Wire<T>(pub T);

/// Why a request body cannot become an engine request.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// Docker's name rule.
    #[error("Invalid container name ({0}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    InvalidName(String),
    /// A field hako does not implement yet; the text names the field and its flag.
    #[error("{0} is not implemented in hako yet")]
    Unsupported(String),
    /// `HostConfig.NetworkMode` is not a network mode.
    #[error(transparent)]
    NetworkMode(#[from] hako_net::mode::InvalidNetworkMode),
    /// `HostConfig.RestartPolicy.Name` is not a policy.
    #[error(
        "invalid restart policy: unknown policy '{0}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
    )]
    RestartPolicy(String),
    /// `HostConfig.RestartPolicy.MaximumRetryCount` does not fit the policy.
    #[error("invalid restart policy: {0}")]
    RestartRetryCount(&'static str),
    /// `HostConfig.Runtime` names a runtime this daemon does not have.
    #[error("unknown or invalid runtime name: {0}")]
    Runtime(String),
    /// A terminal size that does not fit 16 bits.
    #[error("invalid console size {height}x{width}: height and width must be at most 65535")]
    ConsoleSize {
        /// Rows.
        height: u32,
        /// Columns.
        width: u32,
    },
    /// An exec without a command.
    #[error("No exec command specified")]
    NoExecCommand,
    /// A value that cannot be parsed (an address, a port).
    #[error("{0}")]
    Invalid(String),
}

impl HasKind for ConvertError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Unsupported(_) => ErrorKind::NotImplemented,
            Self::InvalidName(_)
            | Self::NetworkMode(_)
            | Self::RestartPolicy(_)
            | Self::RestartRetryCount(_)
            | Self::Runtime(_)
            | Self::ConsoleSize { .. }
            | Self::NoExecCommand
            | Self::Invalid(_) => ErrorKind::InvalidArgument,
        }
    }
}

impl From<ConvertError> for ApiError {
    fn from(e: ConvertError) -> Self {
        ApiError::new(e.kind(), e.to_string())
    }
}

/// Refuses `feature` when `used`.
fn refuse(used: bool, feature: &str) -> Result<(), ConvertError> {
    if used {
        Err(ConvertError::Unsupported(feature.to_string()))
    } else {
        Ok(())
    }
}

/// A terminal size from the wire's `[height, width]`; `[0, 0]` means "not given".
pub fn console_size(hw: [u32; 2]) -> Result<Option<(u16, u16)>, ConvertError> {
    if hw == [0, 0] {
        return Ok(None);
    }
    let bad = || ConvertError::ConsoleSize {
        height: hw[0],
        width: hw[1],
    };
    let h = u16::try_from(hw[0]).map_err(|_| bad())?;
    let w = u16::try_from(hw[1]).map_err(|_| bad())?;
    Ok(Some((h, w)))
}

/// Docker's way to say "never": Go's zero time.
pub use hako_engine::container::status::ZERO_TIME;

/// Unix nanoseconds of an RFC 3339 time; `None` for Docker's zero time or garbage.
pub fn unix_nanos(rfc3339: &str) -> Option<i128> {
    if rfc3339.is_empty() || rfc3339 == ZERO_TIME {
        return None;
    }
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_sizes() {
        assert_eq!(console_size([0, 0]).unwrap(), None);
        assert_eq!(console_size([24, 80]).unwrap(), Some((24, 80)));
        let e: ApiError = console_size([70000, 80]).unwrap_err().into();
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn times() {
        assert_eq!(unix_nanos(ZERO_TIME), None);
        assert_eq!(unix_nanos(""), None);
        assert_eq!(
            unix_nanos("2023-11-14T22:13:20.5Z"),
            Some(1_700_000_000_500_000_000)
        );
    }
}
