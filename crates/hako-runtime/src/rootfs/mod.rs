//! The container's filesystem view, built inside its new mount namespace by the init
//! process, in this order:
//!
//! 1. [`mount_root`]: `/` made recursively private (nothing propagates back to the host),
//!    then the overlay at `<dir>/rootfs` (new mount API with one `lowerdir+` per layer,
//!    falling back to `mount(2)` with relative layer paths when the options exceed a page).
//!    In a user namespace ([`Plan::userns`]) only [`make_private`]: the monitor built the
//!    overlay with idmapped layers ([`crate::sys::idmap`]) and the init attaches it.
//! 2. [`mount_system`]: `/proc`, `/dev` (tmpfs with the standard nodes and links),
//!    `/dev/pts`, `/dev/shm`, `/dev/mqueue`, `/sys`, `/sys/fs/cgroup`.
//! 3. [`bind_console`] when the process has a terminal.
//! 4. [`mount_extra`]: the spec's mounts in order (binds, tmpfs, volumes).
//! 5. [`pivot`]: `pivot_root` into the rootfs and detach the old root.
//! 6. [`finalize`]: masked paths, read-only paths; then, once the process's working
//!    directory exists, [`remount_root_readonly`] for `--read-only`.
//!
//! Every step goes through [`Sys`], so the sequence is unit-tested against the recording
//! fake. Targets are resolved with [`paths::secure_join`] so image symlinks cannot point a
//! mount outside the rootfs. Because the overlay exists only in the container's mount
//! namespace, it disappears with the container's last process: nothing can leak on the host.

use std::io;
use std::path::{Path, PathBuf};

use crate::cgroup::CgroupMount;
use crate::lookup::go_error_text;
use crate::spec::{Mount, Rootfs};
use crate::sys::{MsFlags, OverlayLayers, Sys};

pub mod copy;
mod dev;
mod extra;
pub mod options;
pub mod paths;
mod system;

pub use extra::mount_extra;
pub use system::mount_system;

/// A failed setup step, with the path as the container sees it when possible.
#[derive(Debug, thiserror::Error)]
#[error("{what} {}: {}", path.display(), go_error_text(source))]
pub struct RootfsError {
    /// What was being done (`mount proc at`, ...).
    pub what: String,
    /// The path concerned.
    pub path: PathBuf,
    /// What the kernel said.
    #[source]
    pub source: io::Error,
}

pub(crate) fn err(what: impl Into<String>, path: &Path) -> impl FnOnce(io::Error) -> RootfsError {
    let (what, path) = (what.into(), path.to_path_buf());
    move |source| RootfsError { what, path, source }
}

/// Everything the rootfs setup needs from the spec and the host.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// `<dir>/rootfs` on the host: where the overlay is mounted.
    pub root: PathBuf,
    /// The layers.
    pub rootfs: &'a Rootfs,
    /// The spec's extra mounts.
    pub mounts: &'a [Mount],
    /// What to mount at `/sys/fs/cgroup`.
    pub cgroups: Vec<CgroupMount>,
    /// `--privileged`: `/sys` and cgroups writable, nothing masked.
    pub privileged: bool,
    /// Masked paths.
    pub masked_paths: &'a [String],
    /// Read-only paths.
    pub readonly_paths: &'a [String],
    /// `/dev/shm` size in bytes.
    pub shm_size: u64,
    /// The init runs in its own user namespace: device nodes are bound from the host's
    /// `/dev` (`mknod` is refused there) and the root overlay arrives built.
    pub userns: bool,
}

/// Step 1 with a user namespace: private propagation only; the overlay, built outside, is
/// then attached by the caller.
pub fn make_private(sys: &dyn Sys) -> Result<(), RootfsError> {
    let slash = Path::new("/");
    sys.mount(
        None,
        slash,
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )
    .map_err(err("make private", slash))
}

/// Step 1: private propagation and the overlay.
pub fn mount_root(sys: &dyn Sys, plan: &Plan<'_>) -> Result<(), RootfsError> {
    make_private(sys)?;
    let rf = plan.rootfs;
    if rf.lower.is_empty() {
        // No image layers: the container's own layer is the whole root.
        return sys
            .mount(
                Some(&rf.upper),
                &plan.root,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None,
            )
            .map_err(err("bind root", &rf.upper));
    }
    let layers = OverlayLayers {
        lower: &rf.lower,
        upper: &rf.upper,
        work: &rf.work,
    };
    if let Err(e) = sys.mount_overlay(&plan.root, &layers) {
        tracing::debug!(error = %e, "overlay through fsconfig failed, falling back to mount(2)");
        let (dir, data) = options::overlay_data(&rf.lower, &rf.upper, &rf.work).map_err(|m| {
            err("mount overlay at", &plan.root)(io::Error::new(io::ErrorKind::InvalidInput, m))
        })?;
        if let Some(dir) = &dir {
            sys.chdir(dir).map_err(err("chdir", dir))?;
        }
        sys.mount(
            Some(Path::new("overlay")),
            &plan.root,
            Some("overlay"),
            MsFlags::empty(),
            Some(&data),
        )
        .map_err(err("mount overlay at", &plan.root))?;
    }
    Ok(())
}

/// Step 3: `/dev/console` becomes the process's terminal (`slave` is a host path to the pty
/// slave, normally `<root>/dev/pts/N`).
pub fn bind_console(sys: &dyn Sys, plan: &Plan<'_>, slave: &Path) -> Result<(), RootfsError> {
    let console = plan.root.join("dev/console");
    sys.create_file(&console, 0o600)
        .map_err(err("create", Path::new("/dev/console")))?;
    sys.mount(Some(slave), &console, None, MsFlags::MS_BIND, None)
        .map_err(err("bind console to", Path::new("/dev/console")))
}

/// Step 5: the rootfs becomes `/`; the old root is detached (it stays reachable to no one).
pub fn pivot(sys: &dyn Sys, plan: &Plan<'_>) -> Result<(), RootfsError> {
    let dot = Path::new(".");
    sys.chdir(&plan.root).map_err(err("chdir", &plan.root))?;
    // pivot_root(".", ".") stacks the old root on top of the new one; unmounting "." then
    // removes it without needing a directory for it inside the image (runc's trick).
    sys.pivot_root(dot, dot)
        .map_err(err("pivot_root", &plan.root))?;
    sys.umount(dot, true)
        .map_err(err("detach old root", Path::new("/")))?;
    sys.chdir(Path::new("/"))
        .map_err(err("chdir", Path::new("/")))
}

/// Step 6, after [`pivot`]: masked and read-only paths.
pub fn finalize(sys: &dyn Sys, plan: &Plan<'_>) -> Result<(), RootfsError> {
    if !plan.privileged {
        for p in plan.masked_paths {
            mask(sys, p)?;
        }
        for p in plan.readonly_paths {
            readonly(sys, p)?;
        }
    }
    Ok(())
}

/// `--read-only`: the root becomes read-only, last, once the working directory exists.
pub fn remount_root_readonly(sys: &dyn Sys, plan: &Plan<'_>) -> Result<(), RootfsError> {
    let slash = Path::new("/");
    if plan.rootfs.readonly {
        let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
        sys.mount(None, slash, None, flags, None)
            .map_err(err("remount read-only", slash))?;
    }
    Ok(())
}

fn mask(sys: &dyn Sys, path: &str) -> Result<(), RootfsError> {
    let target =
        paths::secure_join(sys, Path::new("/"), path).map_err(err("resolve", Path::new(path)))?;
    match sys.stat(&target).map_err(err("stat", &target))? {
        None => Ok(()),
        Some(crate::sys::FileKind::Dir) => {
            let flags =
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
            sys.mount(
                Some(Path::new("tmpfs")),
                &target,
                Some("tmpfs"),
                flags,
                None,
            )
            .map_err(err("mask", &target))
        }
        Some(_) => sys
            .mount(
                Some(Path::new("/dev/null")),
                &target,
                None,
                MsFlags::MS_BIND,
                None,
            )
            .map_err(err("mask", &target)),
    }
}

fn readonly(sys: &dyn Sys, path: &str) -> Result<(), RootfsError> {
    let target =
        paths::secure_join(sys, Path::new("/"), path).map_err(err("resolve", Path::new(path)))?;
    if sys.stat(&target).map_err(err("stat", &target))?.is_none() {
        return Ok(());
    }
    sys.mount(
        Some(&target),
        &target,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
    .map_err(err("bind", &target))?;
    // A bind remount sets all per-mount flags: keep nosuid/nodev/noexec of /proc.
    let kept = sys.mount_flags(&target).map_err(err("statvfs", &target))?;
    let flags =
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_REC | kept;
    sys.mount(None, &target, None, flags, None)
        .map_err(err("remount read-only", &target))
}

#[cfg(test)]
mod tests;
