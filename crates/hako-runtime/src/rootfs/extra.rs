//! Step 4: the spec's own mounts (`/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`,
//! volumes, binds, tmpfs), in order.

use std::io;
use std::path::Path;

use super::{Plan, RootfsError, err, options, paths::secure_join};
use crate::spec::Mount;
use crate::sys::{FileKind, MsFlags, Sys};

/// Mounts every entry of `plan.mounts`.
pub fn mount_extra(sys: &dyn Sys, plan: &Plan<'_>) -> Result<(), RootfsError> {
    for m in plan.mounts {
        mount_one(sys, &plan.root, m)?;
    }
    Ok(())
}

fn mount_one(sys: &dyn Sys, root: &Path, m: &Mount) -> Result<(), RootfsError> {
    let shown = Path::new(&m.destination);
    let target = secure_join(sys, root, &m.destination).map_err(err("resolve", shown))?;
    let opts = options::parse(&m.options);
    let bind = m.fstype == "bind" || opts.bind;

    if bind {
        let source = Path::new(&m.source);
        // The target takes the source's shape: Docker creates missing mount points.
        match sys.stat(source).map_err(err("stat bind source", source))? {
            Some(FileKind::Dir) => sys
                .mkdir_all(&target, 0o755)
                .map_err(err("create", shown))?,
            Some(_) => {
                if let Some(parent) = target.parent() {
                    sys.mkdir_all(parent, 0o755).map_err(err("create", shown))?;
                }
                sys.create_file(&target, 0o644)
                    .map_err(err("create", shown))?;
            }
            None => {
                let e = io::Error::from_raw_os_error(libc::ENOENT);
                return Err(err("bind source path does not exist:", source)(e));
            }
        }
        if m.copy_up && sys.stat(&target).ok().flatten() == Some(FileKind::Dir) {
            sys.copy_up(&target, source)
                .map_err(err("copy image content into volume at", shown))?;
        }
        let rec = if opts.recursive {
            MsFlags::MS_REC
        } else {
            MsFlags::empty()
        };
        sys.mount(Some(source), &target, None, MsFlags::MS_BIND | rec, None)
            .map_err(err("bind mount at", shown))?;
        // Flags on a bind only take effect through a remount.
        if !opts.flags.is_empty() {
            let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | opts.flags;
            sys.mount(None, &target, None, flags, None)
                .map_err(err("remount", shown))?;
        }
    } else {
        sys.mkdir_all(&target, 0o755)
            .map_err(err("create", shown))?;
        let source = if m.source.is_empty() {
            m.fstype.as_str()
        } else {
            m.source.as_str()
        };
        let data = (!opts.data.is_empty()).then_some(opts.data.as_str());
        sys.mount(
            Some(Path::new(source)),
            &target,
            Some(&m.fstype),
            opts.flags,
            data,
        )
        .map_err(err(format!("mount {} at", m.fstype), shown))?;
    }
    if !opts.propagation.is_empty() {
        sys.mount(None, &target, None, opts.propagation, None)
            .map_err(err("set propagation of", shown))?;
    }
    Ok(())
}
