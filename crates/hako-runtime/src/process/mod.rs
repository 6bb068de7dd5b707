//! The cloned child, from `clone3` to `execve`: [`init`] for a container's PID 1,
//! [`exec`] for a process joining a running container. Both end in [`launch`], which
//! switches user and capabilities, reports ready and waits for the monitor's go.
//!
//! The child runs on a copy of the single-threaded monitor's memory, so it may allocate
//! and use the standard library freely; it never returns into the monitor's code: every
//! path ends in `execve` or `_exit` (see [`run_child`]).

use std::fmt::Display;

use crate::error::ExecFailure;

pub mod channel;
pub mod exec;
pub mod init;
pub mod launch;
pub mod pid1;
pub mod prepare;
pub mod stdio;
pub mod terminal;

pub use channel::{Channel, Message};

/// Why the child could not get to `execve`, ready to be sent to the monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupFailure {
    /// Classification.
    pub failure: ExecFailure,
    /// Docker-worded message.
    pub message: String,
}

impl SetupFailure {
    /// A failure of kind [`ExecFailure::Other`]: `<what>: <error>`.
    pub fn other(what: &str, e: impl Display) -> Self {
        Self {
            failure: ExecFailure::Other,
            message: format!("{what}: {e}"),
        }
    }

    /// Exit status of a child that failed this way (127 as a shell for "not found", 126
    /// for "cannot execute").
    pub fn exit_code(&self) -> i32 {
        match self.failure {
            ExecFailure::NotFound => 127,
            ExecFailure::PermissionDenied => 126,
            ExecFailure::Other => 1,
        }
    }
}

impl From<crate::rootfs::RootfsError> for SetupFailure {
    fn from(e: crate::rootfs::RootfsError) -> Self {
        Self {
            failure: ExecFailure::Other,
            message: e.to_string(),
        }
    }
}

impl From<crate::user::UserError> for SetupFailure {
    fn from(e: crate::user::UserError) -> Self {
        Self {
            failure: ExecFailure::Other,
            message: e.to_string(),
        }
    }
}

impl From<crate::lookup::LookupError> for SetupFailure {
    fn from(e: crate::lookup::LookupError) -> Self {
        Self {
            failure: e.failure,
            message: e.message,
        }
    }
}

impl From<crate::caps::CapsError> for SetupFailure {
    fn from(e: crate::caps::CapsError) -> Self {
        Self {
            failure: ExecFailure::Other,
            message: e.to_string(),
        }
    }
}

/// What a child needs from the monitor, whatever it runs.
#[derive(Debug)]
pub struct ChildContext<'a> {
    /// The child's end of the channel.
    pub chan: Channel,
    /// Its stdio.
    pub stdio: stdio::ChildStdio,
    /// The cgroup to move into first thing, unless the child was born in it.
    pub join: Option<&'a dyn crate::cgroup::CgroupManager>,
}

/// Runs `body` as the whole life of a cloned child: a failure is reported on the channel
/// and ends the process; so does a panic, which must never unwind into the monitor's frames
/// the child inherited.
pub fn run_child<F>(chan: &Channel, body: F) -> !
where
    F: FnOnce() -> Result<std::convert::Infallible, SetupFailure>,
{
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    let failure = match outcome {
        Ok(Err(f)) => f,
        Ok(Ok(never)) => match never {},
        Err(_) => SetupFailure::other("container setup", "internal error (panic)"),
    };
    let msg = Message::Failed {
        failure: failure.failure,
        message: failure.message.clone(),
    };
    let _ = chan.send(&msg);
    crate::sys::raw::exit_now(failure.exit_code())
}
