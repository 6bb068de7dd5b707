//! `/dev`: a small tmpfs with the nodes every container gets (runc's default devices) and
//! the usual links into `/proc`.

use std::path::Path;

use super::{RootfsError, err};
use crate::sys::{DeviceKind, MsFlags, Sys};

/// Name, major, minor; all `crw-rw-rw-`.
const NODES: [(&str, u32, u32); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

/// Link name, target.
const LINKS: [(&str, &str); 6] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
    ("core", "/proc/kcore"),
];

/// Mounts the tmpfs at `dev` (a host path inside the rootfs) and fills it. In a user
/// namespace `mknod` is refused, so each node is the host's bound onto an empty file (runc's
/// way).
pub fn populate(sys: &dyn Sys, dev: &Path, userns: bool) -> Result<(), RootfsError> {
    let shown = Path::new("/dev");
    sys.mkdir_all(dev, 0o755).map_err(err("create", shown))?;
    sys.mount(
        Some(Path::new("tmpfs")),
        dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )
    .map_err(err("mount tmpfs at", shown))?;
    for (name, major, minor) in NODES {
        if userns {
            let node = dev.join(name);
            sys.create_file(&node, 0o666)
                .map_err(err("create", &shown.join(name)))?;
            let host = Path::new("/dev").join(name);
            sys.mount(Some(&host), &node, None, MsFlags::MS_BIND, None)
                .map_err(err("bind", &shown.join(name)))?;
            continue;
        }
        sys.mknod(&dev.join(name), DeviceKind::Char, 0o666, major, minor)
            .map_err(err("mknod", &shown.join(name)))?;
    }
    for (name, target) in LINKS {
        sys.symlink(Path::new(target), &dev.join(name))
            .map_err(err("symlink", &shown.join(name)))?;
    }
    Ok(())
}
