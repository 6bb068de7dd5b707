//! Process-level calls without a safe wrapper in nix or rustix.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The fd a monitor receives its sync socket on.
pub const SYNC_FD: RawFd = 3;

/// Namespace flags for [`clone_process`] (`CLONE_NEW*`).
pub type CloneFlags = u64;

/// Result of [`clone_process`], as with `fork`.
#[derive(Debug)]
pub enum Forked {
    /// We are the new process.
    Child,
    /// We are the caller; the child has this host PID and pidfd.
    Parent {
        /// The child's PID in the caller's namespace.
        pid: i32,
        /// A pidfd for the child: poll it for exit, signal through it.
        pidfd: OwnedFd,
    },
}

/// `CLONE_INTO_CGROUP` (Linux 5.7).
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// `struct clone_args` of `clone3(2)`, version 2 (88 bytes, with `cgroup`).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

fn thread_count() -> io::Result<usize> {
    // Field 20 of /proc/self/stat, counted after the `)` that ends the command name.
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    rest.split_whitespace()
        .nth(17)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed /proc/self/stat"))
}

/// Forks the calling process with `clone3`, creating the namespaces in `namespaces`, and
/// returns a pidfd for the child. With `cgroup` (a cgroup2 directory fd) the child is born
/// in that cgroup (`CLONE_INTO_CGROUP`); kernels without it fail with `EINVAL`/`E2BIG`.
///
/// The child runs on a copy of the caller's memory and keeps running Rust code, which is
/// sound only because the caller has a single thread: no lock can be held by a thread that
/// does not exist in the child. That is checked here, and the call fails otherwise.
pub fn clone_process(namespaces: CloneFlags, cgroup: Option<BorrowedFd<'_>>) -> io::Result<Forked> {
    if thread_count()? != 1 {
        return Err(io::Error::other(
            "clone_process needs a single-threaded caller",
        ));
    }
    let mut pidfd: libc::c_int = -1;
    let mut args = CloneArgs {
        flags: namespaces | libc::CLONE_PIDFD as u64,
        pidfd: &mut pidfd as *mut libc::c_int as u64,
        exit_signal: libc::SIGCHLD as u64,
        ..CloneArgs::default()
    };
    if let Some(fd) = cgroup {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup =
            u64::try_from(fd.as_raw_fd()).map_err(|_| io::Error::other("bad cgroup fd"))?;
    }
    // SAFETY: `args` is a valid clone_args of the size passed; without CLONE_VM and with a
    // null stack the child gets a private copy of our address space and returns here like
    // fork(2). The process is single-threaded (checked above), so the child cannot inherit
    // a lock held by another thread. `pidfd` outlives the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    match ret {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        pid => {
            // SAFETY: with CLONE_PIDFD the kernel stored a new fd, owned by nobody else.
            let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
            let pid =
                i32::try_from(pid).map_err(|_| io::Error::other("clone3 returned a bad pid"))?;
            Ok(Forked::Parent { pid, pidfd })
        }
    }
}

/// Makes the spawned command receive `fd` as its fd 3 (the monitor's sync socket).
pub fn pass_as_fd3(cmd: &mut tokio::process::Command, fd: RawFd) {
    // SAFETY: the closure runs between fork and exec and calls only dup2 and fcntl, which
    // are async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        cmd.pre_exec(move || {
            if fd == SYNC_FD {
                // dup2 onto itself would keep FD_CLOEXEC: clear it instead.
                if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            } else if libc::dup2(fd, SYNC_FD) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Takes ownership of fd 3 if it is open, marking it close-on-exec.
pub fn take_sync_fd() -> io::Result<OwnedFd> {
    // SAFETY: F_GETFD on an arbitrary number only reads the fd table.
    if unsafe { libc::fcntl(SYNC_FD, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd 3 is open (checked above) and by the monitor protocol nothing else in this
    // process refers to it, so it can be owned here.
    let fd = unsafe { OwnedFd::from_raw_fd(SYNC_FD) };
    set_cloexec(fd.as_raw_fd())?;
    Ok(fd)
}

fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on an fd number: at worst EBADF.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn set_disposition(sig: libc::c_int, handler: libc::sighandler_t) -> io::Result<()> {
    // SAFETY: installing SIG_IGN or SIG_DFL runs no code of ours in signal context.
    if unsafe { libc::signal(sig, handler) } == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The monitor outlives terminals and the daemon: SIGPIPE, SIGHUP and SIGINT are ignored.
pub fn ignore_monitor_signals() -> io::Result<()> {
    for sig in [libc::SIGPIPE, libc::SIGHUP, libc::SIGINT] {
        set_disposition(sig, libc::SIG_IGN)?;
    }
    unblock_all_signals()
}

/// Forks the calling process, which must have a single thread (a container's init after
/// its setup). `Ok(None)` in the child, `Ok(Some(pid))` in the parent.
pub fn fork() -> io::Result<Option<i32>> {
    // SAFETY: the caller has one thread, so the child inherits no lock held by another
    // thread and may run any code.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(None),
        pid => Ok(Some(pid)),
    }
}

/// Closes `fd`, which the caller owns through a handle it will not use again (the
/// `--init` process's copy of its channel after the fork).
pub fn close_fd(fd: RawFd) {
    // SAFETY: closing an fd only ends this process's reference; the caller never uses
    // the handle again (its own drop would close a number that may be reused, but the
    // process `_exit`s without dropping it).
    unsafe {
        libc::close(fd);
    }
}

/// Restores default dispositions and an empty mask before `execve`: ignored signals and the
/// mask survive exec, and a container must not start with SIGPIPE ignored.
pub fn reset_signals() -> io::Result<()> {
    for sig in 1..libc::SIGRTMAX() {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // Some numbers (glibc's internal real-time signals) refuse: that is fine.
        let _ = set_disposition(sig, libc::SIG_DFL);
    }
    unblock_all_signals()
}

fn unblock_all_signals() -> io::Result<()> {
    nix::sys::signal::sigprocmask(
        nix::sys::signal::SigmaskHow::SIG_SETMASK,
        Some(&nix::sys::signal::SigSet::empty()),
        None,
    )
    .map_err(|e| io::Error::from_raw_os_error(e as i32))
}

/// Marks every fd from `min` upwards close-on-exec, so nothing of the monitor leaks into
/// the container. Uses `close_range(CLOSE_RANGE_CLOEXEC)` (Linux 5.11) and falls back to
/// walking `/proc/self/fd`.
pub fn cloexec_from(min: RawFd) -> io::Result<()> {
    let first = libc::c_uint::try_from(min).map_err(|_| io::Error::other("negative fd"))?;
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags; it closes nothing.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if ret == 0 {
        return Ok(());
    }
    let fds: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd >= min)
        .collect();
    for fd in fds {
        // The directory fd of read_dir is gone by now: EBADF is expected for it.
        let _ = set_cloexec(fd);
    }
    Ok(())
}

/// Enters a new cgroup namespace rooted at the caller's current cgroups.
pub fn unshare_cgroup_ns() -> io::Result<()> {
    // SAFETY: CLONE_NEWCGROUP does not unshare the fd table, which is the only flag that
    // makes unshare unsafe for other threads (and this process has one thread).
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWCGROUP) }
        .map_err(io::Error::from)
}

/// Ends the process at once: no atexit handlers, no destructors, nothing of the monitor's
/// state (inherited by a cloned child) touched on the way out.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit(2) has no preconditions and does not return.
    unsafe { libc::_exit(code) }
}

/// `pidfd_send_signal(2)` with any signal number (real-time ones included), checked by
/// the kernel.
pub fn pidfd_signal(pidfd: &OwnedFd, signal: i32) -> io::Result<()> {
    // SAFETY: a valid pidfd, a null siginfo (the kernel fills in a kill()-like one) and no
    // flags; no memory is passed.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
