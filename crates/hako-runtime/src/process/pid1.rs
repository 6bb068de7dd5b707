//! `--init`: the container's init forks the command and stays as PID 1, as Docker's
//! `docker-init` (tini) does: every signal it receives goes to the command, every orphan
//! that the pid namespace hands it is reaped, and it exits with the command's status
//! (128 + signal when the command was killed).

use std::convert::Infallible;
use std::os::fd::{AsFd, AsRawFd};

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::prepare::Launch;
use super::{Channel, SetupFailure};
use crate::lookup::{self, classify};
use crate::sys::raw;

/// Forks; the child execs the command, this process becomes its tiny init. Returns only
/// when the fork or (in the child) the exec failed.
pub fn run(chan: &Channel, l: &Launch) -> Result<Infallible, SetupFailure> {
    let fail = |what: &str, e: std::io::Error| SetupFailure {
        failure: classify(&e),
        message: format!("{what}: {}", lookup::go_error_text(&e)),
    };
    // Blocked from before the fork so that no signal is lost before the wait loop.
    let all = SigSet::all();
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&all), None)
        .map_err(|e| fail("block signals", e.into()))?;
    let child = raw::fork().map_err(|e| fail("fork", e))?;
    let Some(child) = child else {
        sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
            .map_err(|e| fail("unblock signals", e.into()))?;
        let Err(errno) = nix::unistd::execve(&l.program, &l.argv, &l.env);
        let e = std::io::Error::from(errno);
        return Err(SetupFailure {
            failure: classify(&e),
            message: format!(
                "exec {}: {}",
                l.program.to_string_lossy(),
                lookup::go_error_text(&e)
            ),
        });
    };
    // The child's copy of the channel closes at its exec: the monitor sees it succeed.
    raw::close_fd(chan.as_fd().as_raw_fd());
    let child = Pid::from_raw(child);
    loop {
        let Ok(sig) = all.wait() else { continue };
        if sig != Signal::SIGCHLD {
            let _ = nix::sys::signal::kill(child, sig);
            continue;
        }
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == child => raw::exit_now(code),
                Ok(WaitStatus::Signaled(pid, sig, _)) if pid == child => {
                    raw::exit_now(128 + sig as i32)
                }
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}
