//! Step 2: the kernel filesystems every container gets (moby's default mounts).

use std::path::Path;

use super::{Plan, RootfsError, dev, err, paths::secure_join};
use crate::defaults::DEFAULT_SHM_SIZE;
use crate::sys::{MsFlags, Sys};

const NOSUID_NOEXEC_NODEV: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NOEXEC)
    .union(MsFlags::MS_NODEV);

/// Mounts `/proc`, `/dev` and its sub-mounts, `/sys` and `/sys/fs/cgroup`.
pub fn mount_system(sys: &dyn Sys, plan: &Plan<'_>) -> Result<(), RootfsError> {
    let at = |p: &str| secure_join(sys, &plan.root, p).map_err(err("resolve", Path::new(p)));

    let proc = at("/proc")?;
    fresh(sys, "proc", &proc, "/proc", NOSUID_NOEXEC_NODEV, None)?;

    dev::populate(sys, &at("/dev")?, plan.userns)?;
    fresh(
        sys,
        "devpts",
        &at("/dev/pts")?,
        "/dev/pts",
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )?;
    let shm_size = if plan.shm_size == 0 {
        DEFAULT_SHM_SIZE
    } else {
        plan.shm_size
    };
    let shm_data = format!("mode=1777,size={shm_size}");
    mount_as(
        sys,
        "shm",
        "tmpfs",
        &at("/dev/shm")?,
        "/dev/shm",
        NOSUID_NOEXEC_NODEV,
        Some(&shm_data),
    )?;
    fresh(
        sys,
        "mqueue",
        &at("/dev/mqueue")?,
        "/dev/mqueue",
        NOSUID_NOEXEC_NODEV,
        None,
    )?;

    let ro = if plan.privileged {
        MsFlags::empty()
    } else {
        MsFlags::MS_RDONLY
    };
    let sysfs = at("/sys")?;
    sys.mkdir_all(&sysfs, 0o755)
        .map_err(err("create", Path::new("/sys")))?;
    let sys_flags = NOSUID_NOEXEC_NODEV | ro;
    if let Err(e) = sys.mount(
        Some(Path::new("sysfs")),
        &sysfs,
        Some("sysfs"),
        sys_flags,
        None,
    ) {
        if e.raw_os_error() != Some(libc::EPERM) {
            return Err(err("mount sysfs at", Path::new("/sys"))(e));
        }
        // sysfs refuses a mount from a namespace that does not own the network namespace:
        // show the host's /sys read-only instead, as runc does.
        tracing::debug!("sysfs refused, binding /sys instead");
        bind_ro(sys, Path::new("/sys"), &sysfs, "/sys", ro)?;
    }
    mount_cgroups(sys, plan, &at("/sys/fs/cgroup")?, ro)
}

/// mkdir -p `target`, then mount a fresh `fstype` instance (source = fstype) on it.
fn fresh(
    sys: &dyn Sys,
    fstype: &str,
    target: &Path,
    shown: &str,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<(), RootfsError> {
    mount_as(sys, fstype, fstype, target, shown, flags, data)
}

fn mount_as(
    sys: &dyn Sys,
    source: &str,
    fstype: &str,
    target: &Path,
    shown: &str,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<(), RootfsError> {
    sys.mkdir_all(target, 0o755)
        .map_err(err("create", Path::new(shown)))?;
    sys.mount(Some(Path::new(source)), target, Some(fstype), flags, data)
        .map_err(err(format!("mount {fstype} at"), Path::new(shown)))
}

fn bind_ro(
    sys: &dyn Sys,
    source: &Path,
    target: &Path,
    shown: &str,
    ro: MsFlags,
) -> Result<(), RootfsError> {
    sys.mount(
        Some(source),
        target,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
    .map_err(err("bind", Path::new(shown)))?;
    let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | NOSUID_NOEXEC_NODEV | ro;
    sys.mount(None, target, None, flags, None)
        .map_err(err("remount", Path::new(shown)))
}

/// `/sys/fs/cgroup`, read-only: cgroup2 directly, or for v1 a tmpfs holding one mount per
/// hierarchy. The init has entered its cgroup namespace by now, so each mount's root is the
/// container's own cgroup; if the kernel refuses, the host directory is bound instead.
fn mount_cgroups(
    sys: &dyn Sys,
    plan: &Plan<'_>,
    base: &Path,
    ro: MsFlags,
) -> Result<(), RootfsError> {
    let shown = Path::new("/sys/fs/cgroup");
    let flags = NOSUID_NOEXEC_NODEV | ro;
    if let [single] = plan.cgroups.as_slice()
        && single.dest.is_empty()
    {
        sys.mkdir_all(base, 0o755).map_err(err("create", shown))?;
        if let Err(e) = sys.mount(
            Some(Path::new("cgroup2")),
            base,
            Some("cgroup2"),
            flags,
            None,
        ) {
            tracing::debug!(error = %e, "cgroup2 mount refused, binding the host directory");
            bind_ro(sys, &single.host_path, base, "/sys/fs/cgroup", ro)?;
        }
        return Ok(());
    }
    if plan.cgroups.is_empty() {
        return Ok(());
    }
    sys.mkdir_all(base, 0o755).map_err(err("create", shown))?;
    sys.mount(
        Some(Path::new("tmpfs")),
        base,
        Some("tmpfs"),
        NOSUID_NOEXEC_NODEV,
        Some("mode=755"),
    )
    .map_err(err("mount tmpfs at", shown))?;
    for cg in &plan.cgroups {
        let target = base.join(&cg.dest);
        let shown_cg = shown.join(&cg.dest);
        sys.mkdir_all(&target, 0o755)
            .map_err(err("create", &shown_cg))?;
        let r = sys.mount(
            Some(Path::new("cgroup")),
            &target,
            Some("cgroup"),
            flags,
            Some(&cg.options),
        );
        if let Err(e) = r {
            tracing::debug!(error = %e, hierarchy = %cg.dest, "cgroup mount refused, binding the host directory");
            bind_ro(sys, &cg.host_path, &target, &shown_cg.to_string_lossy(), ro)?;
        }
        for alias in &cg.aliases {
            sys.symlink(Path::new(&cg.dest), &base.join(alias))
                .map_err(err("symlink", &shown.join(alias)))?;
        }
    }
    if !ro.is_empty() {
        let flags = MsFlags::MS_REMOUNT | NOSUID_NOEXEC_NODEV | ro;
        sys.mount(None, base, None, flags, Some("mode=755"))
            .map_err(err("remount read-only", shown))?;
    }
    Ok(())
}
