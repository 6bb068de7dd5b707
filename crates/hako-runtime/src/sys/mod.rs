//! Kernel calls: the only module of the crate allowed `unsafe`.
//!
//! - [`Sys`]: the filesystem and mount calls the rootfs setup makes, as a trait so that the
//!   setup logic runs in unit tests against [`fake::FakeSys`], which records every call. The
//!   real implementation is [`linux::LinuxSys`]. Callers receive the implementation as a
//!   parameter; nothing picks one with `cfg!(test)`.
//! - [`bpf`]: loading and attaching the cgroup v2 device filter.
//! - [`seccomp`]: installing a seccomp filter.
//! - [`idmap`]: user-namespace ID maps and the idmapped root overlay (`--userns-remap`).
//! - [`raw`]: process-level calls that have no safe wrapper (a fork-like `clone3`, signal
//!   dispositions, fd 3 for a spawned monitor, close-on-exec sweeps). Each `unsafe` block
//!   there names its invariants in a `// SAFETY:` comment.

use std::io;
use std::path::{Path, PathBuf};

pub use nix::mount::MsFlags;

pub mod bpf;
pub mod fake;
pub mod idmap;
pub mod linux;
pub mod raw;
pub mod seccomp;

/// What a path is, as far as mount targets care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A directory.
    Dir,
    /// A regular file, device node, socket or fifo: anything a file can be bound onto.
    File,
    /// A symbolic link (only reported by [`Sys::lstat`]).
    Symlink,
}

/// Device node type for [`Sys::mknod`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// A character device.
    Char,
    /// A block device.
    Block,
}

/// The overlay that becomes a container's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayLayers<'a> {
    /// Read-only layers, topmost first.
    pub lower: &'a [PathBuf],
    /// The writable layer.
    pub upper: &'a Path,
    /// Overlay's work directory.
    pub work: &'a Path,
}

/// The calls the rootfs setup makes. Paths are used as given: resolving them safely under a
/// root is the caller's job (see `rootfs::paths`).
pub trait Sys {
    /// `mount(2)`.
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> io::Result<()>;
    /// Mounts an overlay with the new mount API, one `lowerdir+` per layer, so the number of
    /// layers is not bounded by the 4096-byte option page. Fails (typically `EINVAL`) on
    /// kernels without `lowerdir+` (before 6.8); the caller then falls back to `mount(2)`.
    fn mount_overlay(&self, target: &Path, layers: &OverlayLayers<'_>) -> io::Result<()>;
    /// `umount2(2)`, lazily when `detach`.
    fn umount(&self, target: &Path, detach: bool) -> io::Result<()>;
    /// `pivot_root(2)`.
    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> io::Result<()>;
    /// `chdir(2)`.
    fn chdir(&self, dir: &Path) -> io::Result<()>;
    /// `mkdir -p` with `mode` for the directories it creates.
    fn mkdir_all(&self, dir: &Path, mode: u32) -> io::Result<()>;
    /// Creates an empty regular file if nothing exists at `path`.
    fn create_file(&self, path: &Path, mode: u32) -> io::Result<()>;
    /// `mknod(2)` with exactly `mode` (the umask does not apply).
    fn mknod(
        &self,
        path: &Path,
        kind: DeviceKind,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> io::Result<()>;
    /// `symlink(2)`: a link at `link` pointing to `target`.
    fn symlink(&self, target: &Path, link: &Path) -> io::Result<()>;
    /// What is at `path` without following a final symlink; `None` if nothing.
    fn lstat(&self, path: &Path) -> io::Result<Option<FileKind>>;
    /// What is at `path`, following symlinks; `None` if nothing.
    fn stat(&self, path: &Path) -> io::Result<Option<FileKind>>;
    /// `readlink(2)`.
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;
    /// The per-mount flags (`MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC`, `MS_RDONLY`) of the mount
    /// holding `path`, so that a read-only bind remount keeps them.
    fn mount_flags(&self, path: &Path) -> io::Result<MsFlags>;
    /// `sethostname(2)`.
    fn set_hostname(&self, name: &str) -> io::Result<()>;
    /// `setdomainname(2)`.
    fn set_domainname(&self, name: &str) -> io::Result<()>;
    /// Docker's copy-up: when the directory `volume` is empty, copies the tree at `from`
    /// (a directory in the rootfs) into it, keeping modes, owners and symlinks (never
    /// following them). Plain file-system calls, so the default serves every real `Sys`.
    fn copy_up(&self, from: &Path, volume: &Path) -> io::Result<()> {
        crate::rootfs::copy::copy_up(from, volume)
    }
}
