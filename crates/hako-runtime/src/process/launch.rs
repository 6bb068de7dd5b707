//! The last steps before `execve`: hand stdio to the user, reduce the bounding set, switch
//! groups and uid, set capabilities and `no_new_privs`, restore signal dispositions, mark
//! stray fds close-on-exec, report `Ready`, wait for `Go`, exec.
//!
//! Seccomp goes in as late as it can (runc's order): with `no_new_privs` the kernel lets
//! an unprivileged process install a filter, so it is the very last step before `execve`;
//! without, installing needs `CAP_SYS_ADMIN`, so it happens before the capabilities are
//! dropped, and the calls that follow (capset, setresuid, ...) must be ones the profile
//! allows (Docker's does).

use std::convert::Infallible;
use std::os::fd::BorrowedFd;

use nix::unistd::{Gid, Uid};

use super::prepare::Launch;
use super::{Channel, Message, SetupFailure};
use crate::lookup::{classify, go_error_text};
use crate::sys::raw;
use crate::{caps, lookup};

fn kernel(what: &str) -> impl FnOnce(nix::Error) -> SetupFailure + '_ {
    move |e| SetupFailure::other(what, go_error_text(&std::io::Error::from(e)))
}

/// Gives stdio pipes and the terminal to the process's user, so that reopening
/// `/dev/stdout` works for a non-root user (runc's `fixStdioPermissions`).
fn give_stdio_to(uid: u32, gid: u32) {
    let null = rustix::fs::makedev(1, 3);
    for fd in 0..3 {
        let Ok(st) = nix::sys::stat::fstat(fd_ref(fd)) else {
            continue;
        };
        if st.st_mode & libc::S_IFMT == libc::S_IFCHR && st.st_rdev == null {
            continue;
        }
        // Best effort, as in runc: a read-only or foreign file may refuse.
        let _ = nix::unistd::fchown(
            fd_ref(fd),
            Some(Uid::from_raw(uid)),
            Some(Gid::from_raw(gid)),
        );
    }
}

/// fds 0..2 were installed by the stdio setup and stay open until exec.
fn fd_ref(fd: i32) -> BorrowedFd<'static> {
    match fd {
        0 => rustix::stdio::stdin(),
        1 => rustix::stdio::stdout(),
        _ => rustix::stdio::stderr(),
    }
}

/// Drops privileges, reports ready, waits for the go and execs. Returns only on failure.
pub fn launch(chan: &Channel, l: Launch) -> Result<Infallible, SetupFailure> {
    let (uid, gid) = (l.user.uid, l.user.gid);
    give_stdio_to(uid, gid);
    if !l.no_new_privileges {
        l.seccomp.load()?;
    }
    caps::limit_bounding(&l.caps)?;
    let groups: Vec<Gid> = l.user.groups.iter().map(|g| Gid::from_raw(*g)).collect();
    nix::unistd::setgroups(&groups).map_err(kernel("setgroups"))?;
    let g = Gid::from_raw(gid);
    nix::unistd::setresgid(g, g, g).map_err(kernel("setgid"))?;
    let u = Uid::from_raw(uid);
    nix::unistd::setresuid(u, u, u).map_err(kernel("setuid"))?;
    caps::set_process_caps(&l.caps, uid)?;
    if l.no_new_privileges {
        rustix::thread::set_no_new_privs(true)
            .map_err(|e| SetupFailure::other("set no_new_privs", go_error_text(&e.into())))?;
    }
    raw::reset_signals().map_err(|e| SetupFailure::other("reset signals", go_error_text(&e)))?;
    raw::cloexec_from(3).map_err(|e| SetupFailure::other("close fds", go_error_text(&e)))?;

    let report =
        |e: std::io::Error| SetupFailure::other("report to the monitor", go_error_text(&e));
    chan.send(&Message::Ready).map_err(report)?;
    match chan.recv().map_err(report)? {
        Some((Message::Go, _)) => {}
        // The monitor gave up on us (abort, or the engine went away before start).
        _ => return Err(SetupFailure::other("start", "aborted")),
    }
    if l.no_new_privileges {
        l.seccomp.load()?;
    }
    if l.init {
        return super::pid1::run(chan, &l);
    }
    let Err(errno) = nix::unistd::execve(&l.program, &l.argv, &l.env);
    let e = std::io::Error::from(errno);
    Err(SetupFailure {
        failure: classify(&e),
        message: format!(
            "exec {}: {}",
            l.program.to_string_lossy(),
            lookup::go_error_text(&e)
        ),
    })
}
