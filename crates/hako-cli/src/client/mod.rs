//! HTTP/1.1 client for the Engine API over a Unix socket (hyper 1).
//!
//! # Layout
//!
//! - [`host`]: which socket to dial (`-H`, `HAKO_HOST`, `DOCKER_HOST`, default).
//! - [`tls`]: `tcp://` with TLS and a client certificate.
//! - [`transport`]: one connection per request, status and error-body handling, version
//!   negotiation through `HEAD /_ping`.
//! - [`hijack`]: `Upgrade: tcp` requests (attach, exec start) that turn into raw streams.
//! - [`stream`]: stdout/stderr frame demultiplexing and JSON-lines splitting.
//! - [`download`]: bodies that are files, written out as they arrive.
//!
//! A fresh connection per request keeps concurrent calls (wait + attach + start in `run`)
//! independent; connecting to a local socket costs microseconds.

pub mod download;
pub mod hijack;
pub mod host;
pub mod stream;
pub mod tls;
pub mod transport;

pub use host::{Host, HostError, TlsFlags, resolve_host, resolve_host_tls};
pub use transport::Client;

use std::io;

/// Everything that can go wrong talking to the daemon.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "cannot connect to the hako daemon at {host}: {reason} (is the daemon running? start it with: hako daemon)"
    )]
    Connect {
        host: String,
        reason: String,
        /// Kept for callers; not a `#[source]`, because `reason` already says it and
        /// anyhow's `{:#}` would print it twice.
        source: io::Error,
    },
    /// The daemon answered with an error status; `message` is its `{"message"}` body.
    #[error("Error response from daemon: {message}")]
    Daemon { status: u16, message: String },
    #[error(transparent)]
    Host(#[from] HostError),
    #[error("error talking to the daemon at {host}: {source}")]
    Http {
        host: String,
        #[source]
        source: hyper::Error,
    },
    #[error("invalid response from daemon: {0}")]
    Decode(String),
    /// TLS files or handshake.
    #[error("TLS with the daemon at {host}: {message}")]
    Tls { host: String, message: String },
    #[error("invalid request: {0}")]
    Request(String),
    #[error("error reading the daemon's stream: {0}")]
    Io(#[from] io::Error),
}

impl ClientError {
    /// HTTP status of a daemon error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Daemon { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The daemon's message without the "Error response from daemon: " prefix.
    pub fn daemon_message(&self) -> Option<&str> {
        match self {
            ClientError::Daemon { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// Short lowercase reason for a connect failure, as the user needs it.
pub(crate) fn connect_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        _ => e.to_string().to_lowercase(),
    }
}
