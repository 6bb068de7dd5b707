//! User namespaces: the ID maps of a new one, and the container's root overlay built with
//! idmapped image layers.
//!
//! Image layers belong to real root on disk. With `--userns-remap` the overlay is built by
//! a short-lived helper forked from the monitor, in the host's user namespace but in a
//! private mount namespace of its own: each layer is cloned (`open_tree(OPEN_TREE_CLONE)`),
//! idmapped through the container's user namespace (`mount_setattr(MOUNT_ATTR_IDMAP)`),
//! attached over its own path (only in the helper's namespace), and the overlay is created
//! on those paths and handed back detached (`fsmount`). Building it outside the container's
//! user namespace keeps overlay's `trusted.*` attributes (opaque directories, redirects)
//! working, which an overlay mounted from inside a user namespace cannot write; the
//! container's init then attaches the detached overlay at its root. Nothing is ever
//! attached in the host's mount namespace, so nothing can leak there.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags, fsconfig_create,
    fsconfig_set_string, fsmount, fsopen, move_mount, open_tree,
};

use crate::process::channel::{self, Message};
use crate::spec::IdMap;

/// `MOUNT_ATTR_IDMAP` (Linux 5.12).
const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;

/// `struct mount_attr` of `mount_setattr(2)`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// Writes `/proc/<pid>/uid_map` and `gid_map` of a child cloned into a new user namespace.
/// The monitor holds `CAP_SETUID`/`CAP_SETGID` in the parent namespace, so maps of several
/// lines are allowed and `setgroups` stays allowed in the child.
pub fn write_maps(pid: i32, uid: &[IdMap], gid: &[IdMap]) -> io::Result<()> {
    let render = |maps: &[IdMap]| -> String {
        maps.iter()
            .map(|m| format!("{} {} {}\n", m.container_id, m.host_id, m.size))
            .collect()
    };
    std::fs::write(format!("/proc/{pid}/uid_map"), render(uid))?;
    std::fs::write(format!("/proc/{pid}/gid_map"), render(gid))
}

/// Gives the detached mount `tree` the ID mapping of the user namespace `userns`.
fn set_idmap(tree: BorrowedFd<'_>, userns: BorrowedFd<'_>) -> io::Result<()> {
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_IDMAP,
        attr_clr: 0,
        propagation: 0,
        userns_fd: userns.as_raw_fd() as u64,
    };
    // SAFETY: `tree` and `userns` are open fds borrowed for the call, the path is an empty
    // NUL-terminated string (AT_EMPTY_PATH) and `attr` is a live `struct mount_attr` whose
    // size is passed; the kernel only reads it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if ret == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// In the helper: everything up to the detached overlay.
fn build(
    userns: BorrowedFd<'_>,
    lower: &[PathBuf],
    upper: &Path,
    work: &Path,
) -> io::Result<OwnedFd> {
    // SAFETY: the helper is a fresh single-threaded fork; unsharing the mount namespace
    // affects only it.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNS) }?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(io::Error::from)?;
    let fs = fsopen("overlay", FsOpenFlags::FSOPEN_CLOEXEC)?;
    for layer in lower {
        let tree = open_tree(
            rustix::fs::CWD,
            layer.as_path(),
            OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
        )?;
        set_idmap(tree.as_fd(), userns)?;
        move_mount(
            &tree,
            "",
            rustix::fs::CWD,
            layer.as_path(),
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )?;
        fsconfig_set_string(&fs, "lowerdir+", layer.as_path())?;
    }
    fsconfig_set_string(&fs, "upperdir", upper)?;
    fsconfig_set_string(&fs, "workdir", work)?;
    fsconfig_create(&fs)?;
    Ok(fsmount(
        &fs,
        FsMountFlags::FSMOUNT_CLOEXEC,
        MountAttrFlags::empty(),
    )?)
}

/// Builds the container's root overlay with `lower` idmapped through `userns` (an fd of the
/// container's `/proc/<pid>/ns/user`), and returns it detached. The caller must be
/// single-threaded (the monitor); the work happens in a forked helper so that the caller's
/// own mount namespace is never touched.
pub fn idmapped_overlay(
    userns: BorrowedFd<'_>,
    lower: &[PathBuf],
    upper: &Path,
    work: &Path,
) -> io::Result<OwnedFd> {
    let (ours, theirs) = channel::pair()?;
    match super::raw::fork()? {
        None => {
            drop(ours);
            let code = match build(userns, lower, upper, work) {
                Ok(fd) => theirs
                    .send_with(&Message::UserNs, Some(fd.as_fd()))
                    .map(|()| 0)
                    .unwrap_or(1),
                Err(e) => {
                    let _ = theirs.send(&Message::Failed {
                        failure: crate::error::ExecFailure::Other,
                        message: crate::lookup::go_error_text(&e),
                    });
                    1
                }
            };
            super::raw::exit_now(code)
        }
        Some(pid) => {
            drop(theirs);
            let got = ours.recv();
            let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
            match got? {
                Some((Message::UserNs, Some(fd))) => Ok(fd),
                Some((Message::Failed { message, .. }, _)) => Err(io::Error::other(message)),
                _ => Err(io::Error::other(
                    "the overlay helper exited without an answer",
                )),
            }
        }
    }
}

/// In the init: attaches the detached overlay `fd` at `target`, in its own mount namespace.
pub fn attach(fd: BorrowedFd<'_>, target: &Path) -> io::Result<()> {
    Ok(move_mount(
        fd,
        "",
        rustix::fs::CWD,
        target,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )?)
}
