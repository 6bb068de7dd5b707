//! Cgroups: one [`CgroupManager`] per container, for cgroup v1 ([`v1::V1`]) and the unified
//! hierarchy ([`v2::V2`]).
//!
//! # Lifecycle
//!
//! ```text
//! open(spec) ─► create() ─► apply(resources), set_devices(..)
//!      ─► child born in it (v2: clone_into) or joining it itself (join_self)
//!      ... set_frozen(true/false), stats(), oom_kills() ...
//! remove()   (after every process in it has exited; retried briefly on EBUSY)
//! ```
//!
//! The container's cgroup is `<parent>/<name>` below the root of every hierarchy (v1) or of
//! the unified tree (v2), whatever cgroup the daemon itself is in, as Docker's cgroupfs
//! driver does. Hierarchy roots are plain paths given to the constructors, so the same
//! contract suite runs against temporary directories ([`Fs::emulated`]) and the kernel.

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::error::RuntimeError;
use crate::spec::{CgroupSpec, Resources};

pub mod device_filter;
mod devices;
mod hierarchies;
pub mod v1;
pub mod v2;

#[cfg(test)]
mod contract;

pub use devices::DEFAULT_DEVICE_RULES;

/// A point-in-time view of a cgroup's usage (for `docker stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Memory in use, bytes.
    pub memory_usage: u64,
    /// Memory limit, bytes (`u64::MAX` when unlimited).
    pub memory_limit: u64,
    /// CPU time consumed, nanoseconds.
    pub cpu_usage_ns: u64,
    /// Number of tasks.
    pub pids: u64,
    /// CPU time in user mode, nanoseconds.
    pub cpu_user_ns: u64,
    /// CPU time in kernel mode, nanoseconds.
    pub cpu_system_ns: u64,
    /// CPU time per CPU, nanoseconds (v1 only; empty on v2).
    pub percpu_ns: Vec<u64>,
    /// CFS periods elapsed.
    pub throttling_periods: u64,
    /// CFS periods in which the cgroup was throttled.
    pub throttled_periods: u64,
    /// Total throttled time, nanoseconds.
    pub throttled_time_ns: u64,
    /// Highest memory usage seen, bytes (v1 only).
    pub memory_max_usage: u64,
    /// Times the memory limit was hit (v1 only).
    pub memory_failcnt: u64,
    /// `memory.stat`, key by key.
    pub memory_stat: std::collections::BTreeMap<String, u64>,
    /// `pids.max` (0 when unlimited).
    pub pids_limit: u64,
    /// Bytes transferred per device and operation.
    pub io_service_bytes: Vec<BlkioEntry>,
    /// Operations per device and operation.
    pub io_serviced: Vec<BlkioEntry>,
}

/// One block-IO counter (Docker's `BlkioStatEntry`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlkioEntry {
    /// Device major number.
    pub major: u64,
    /// Device minor number.
    pub minor: u64,
    /// `Read`, `Write`, `Total`... (v1 spelling), `read`/`write` on v2.
    pub op: String,
    /// The counter.
    pub value: u64,
}

/// Parses `key value` lines (`memory.stat`, `cpu.stat`).
pub(crate) fn parse_keyed(text: &str) -> std::collections::BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_owned(), v.trim().parse().ok()?))
        })
        .collect()
}

/// Parses v1 `blkio.*_recursive` files: `MAJ:MIN Op value` lines (the `Total` line
/// without a device is skipped).
pub(crate) fn parse_blkio_v1(text: &str) -> Vec<BlkioEntry> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (dev, op, value) = (f.next()?, f.next()?, f.next()?);
            let (major, minor) = dev.split_once(':')?;
            Some(BlkioEntry {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
                op: op.to_owned(),
                value: value.parse().ok()?,
            })
        })
        .collect()
}

/// Parses v2 `io.stat` (`MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=..`) into
/// (bytes, operations) entries with Docker's lowercase `read`/`write` ops.
pub(crate) fn parse_io_stat_v2(text: &str) -> (Vec<BlkioEntry>, Vec<BlkioEntry>) {
    let (mut bytes, mut ios) = (Vec::new(), Vec::new());
    for l in text.lines() {
        let mut f = l.split_whitespace();
        let Some((major, minor)) = f.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        for kv in f {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let Ok(value) = v.parse() else { continue };
            let (list, op) = match k {
                "rbytes" => (&mut bytes, "read"),
                "wbytes" => (&mut bytes, "write"),
                "rios" => (&mut ios, "read"),
                "wios" => (&mut ios, "write"),
                _ => continue,
            };
            list.push(BlkioEntry {
                major,
                minor,
                op: op.to_owned(),
                value,
            });
        }
    }
    (bytes, ios)
}

/// How `/sys/fs/cgroup` is mounted inside the container (read-only): one entry per v1
/// hierarchy below a tmpfs, or a single cgroup2 mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    /// Directory below `/sys/fs/cgroup` (`cpu`, `memory`, ...), empty for cgroup2.
    pub dest: String,
    /// `cgroup` or `cgroup2`.
    pub fstype: String,
    /// Mount data: the v1 controllers (`cpu,cpuacct`), empty for cgroup2.
    pub options: String,
    /// The container's cgroup on the host: bind-mounted when the fs mount is refused.
    pub host_path: PathBuf,
    /// Controller names that get a symlink to `dest` (co-mounted v1 controllers).
    pub aliases: Vec<String>,
}

/// One container's cgroup, in whichever cgroup version the host runs.
pub trait CgroupManager: fmt::Debug + Send + Sync {
    /// Creates the cgroup and missing parents (initialising v1 cpusets, enabling v2
    /// controllers in the parents' `cgroup.subtree_control`).
    fn create(&self) -> Result<(), RuntimeError>;
    /// Writes resource limits; settings the host cannot express are skipped with a warning.
    fn apply(&self, resources: &Resources) -> Result<(), RuntimeError>;
    /// Reads back the limits [`CgroupManager::apply`] writes (`None` when unlimited).
    fn limits(&self) -> Result<Resources, RuntimeError>;
    /// Docker's default device allow-list, or every device when `allow_all`.
    fn set_devices(&self, allow_all: bool) -> Result<(), RuntimeError>;
    /// Moves a process into the cgroup (`cgroup.procs`). Costs an RCU grace period (about
    /// 10 ms) when no other migration happened just before: prefer
    /// [`CgroupManager::clone_into`] or [`CgroupManager::join_self`] for new processes.
    fn add_process(&self, pid: i32) -> Result<(), RuntimeError>;
    /// The directory to open for `clone3(CLONE_INTO_CGROUP)` (v2 only), so that a child is
    /// born in the cgroup at no migration cost.
    fn clone_into(&self) -> Option<PathBuf>;
    /// Moves the calling process, which must have a single thread, into the cgroup. On v1
    /// this writes `0` to each hierarchy's `tasks`: a thread moving itself skips the global
    /// threadgroup lock whose grace period makes a `cgroup.procs` write slow.
    fn join_self(&self) -> Result<(), RuntimeError>;
    /// The processes in the cgroup.
    fn procs(&self) -> Result<Vec<i32>, RuntimeError>;
    /// Freezes or thaws every process in the cgroup.
    fn set_frozen(&self, frozen: bool) -> Result<(), RuntimeError>;
    /// Whether the cgroup is (asked to be) frozen.
    fn frozen(&self) -> Result<bool, RuntimeError>;
    /// How many times the kernel's OOM killer fired in the cgroup.
    fn oom_kills(&self) -> Result<u64, RuntimeError>;
    /// Usage figures.
    fn stats(&self) -> Result<Stats, RuntimeError>;
    /// Removes the cgroup; a missing cgroup is not an error.
    fn remove(&self) -> Result<(), RuntimeError>;
    /// The cgroup directories on the host.
    fn paths(&self) -> Vec<PathBuf>;
    /// What to mount at `/sys/fs/cgroup` in the container.
    fn container_mounts(&self) -> Vec<CgroupMount>;
    /// Whether `/proc/PID/cgroup` text (read from the host's cgroup namespace) places the
    /// process in this cgroup.
    fn owns(&self, proc_cgroup: &str) -> bool;
}

/// File access below the hierarchy roots. `emulated` roots are plain directories (tests):
/// files are created on write and removed before `rmdir`, which the kernel does itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fs {
    /// Plain directories rather than cgroupfs.
    pub emulated: bool,
}

fn cg_err(path: &Path, source: io::Error) -> RuntimeError {
    RuntimeError::Cgroup {
        path: path.to_path_buf(),
        source,
    }
}

impl Fs {
    /// Writes `value` to `path`.
    pub fn write(&self, path: &Path, value: &str) -> Result<(), RuntimeError> {
        self.try_write(path, value).map_err(|e| cg_err(path, e))
    }

    fn try_write(&self, path: &Path, value: &str) -> io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(self.emulated)
            .create(self.emulated)
            .open(path)?;
        // cgroupfs takes one value per write(2): write it in one call.
        f.write_all(value.as_bytes())
    }

    /// Writes an optional setting: a file the kernel does not offer is skipped with a warning.
    pub fn write_optional(&self, path: &Path, value: &str) -> Result<(), RuntimeError> {
        match self.try_write(path, value) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::warn!(path = %path.display(), value, "cgroup setting not supported here, skipped");
                Ok(())
            }
            other => other.map_err(|e| cg_err(path, e)),
        }
    }

    /// Reads `path`, trimmed; `None` when it does not exist.
    pub fn read(&self, path: &Path) -> Result<Option<String>, RuntimeError> {
        match std::fs::read_to_string(path) {
            Ok(s) => Ok(Some(s.trim().to_owned())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(cg_err(path, e)),
        }
    }

    /// Creates `dir` (not its parents).
    pub fn mkdir(&self, dir: &Path) -> Result<(), RuntimeError> {
        match std::fs::create_dir(dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(cg_err(dir, e)),
            _ => Ok(()),
        }
    }

    /// Removes the cgroup directory `dir`, retrying while the kernel still counts exiting
    /// tasks (`EBUSY`) for about a second.
    pub fn rmdir(&self, dir: &Path) -> Result<(), RuntimeError> {
        if self.emulated
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_file()) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let mut delay = Duration::from_millis(1);
        let mut waited = Duration::ZERO;
        loop {
            match std::fs::remove_dir(dir) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e)
                    if e.raw_os_error() == Some(libc::EBUSY) && waited < Duration::from_secs(1) =>
                {
                    std::thread::sleep(delay);
                    waited += delay;
                    delay = (delay * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(cg_err(dir, e)),
            }
        }
    }
}

/// Checks that `parent/name` stays below a hierarchy root and returns it as a relative path.
pub fn relative_path(parent: &str, name: &str) -> Result<PathBuf, RuntimeError> {
    let rel = Path::new(parent.trim_start_matches('/')).join(name);
    let ok = !name.is_empty()
        && !name.contains('/')
        && rel.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(rel)
    } else {
        Err(cg_err(
            &rel,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "cgroup path must be a relative path without '..'",
            ),
        ))
    }
}

/// `CGROUP2_SUPER_MAGIC` from `linux/magic.h`.
const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;

/// Whether the host runs the unified hierarchy at `/sys/fs/cgroup` (pure v2).
pub fn is_unified() -> bool {
    nix::sys::statfs::statfs("/sys/fs/cgroup")
        .map(|s| s.filesystem_type().0 == CGROUP2_SUPER_MAGIC)
        .unwrap_or(false)
}

/// The manager for `spec` on this host: v2 when `/sys/fs/cgroup` is cgroup2, else v1 with
/// the hierarchies found in `/proc/self/mountinfo`.
pub fn open(spec: &CgroupSpec) -> Result<Box<dyn CgroupManager>, RuntimeError> {
    if is_unified() {
        Ok(Box::new(v2::V2::new(
            PathBuf::from("/sys/fs/cgroup"),
            &spec.parent,
            &spec.name,
            Fs::default(),
        )?))
    } else {
        let hierarchies = v1::host_hierarchies()?;
        Ok(Box::new(v1::V1::new(
            hierarchies,
            &spec.parent,
            &spec.name,
            Fs::default(),
        )?))
    }
}

/// Removes `parent` (and its own parents up to the first component) in every hierarchy if
/// nothing is left in it: for daemon shutdown. Busy or missing directories are left alone.
pub fn remove_parent_if_empty(parent: &str) -> Result<(), RuntimeError> {
    let roots = if is_unified() {
        vec![PathBuf::from("/sys/fs/cgroup")]
    } else {
        v1::host_hierarchies()?
            .into_iter()
            .map(|h| h.mountpoint)
            .collect()
    };
    remove_empty_parents(&roots, parent)
}

fn remove_empty_parents(roots: &[PathBuf], parent: &str) -> Result<(), RuntimeError> {
    let rel = PathBuf::from(parent.trim_start_matches('/'));
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(cg_err(
            &rel,
            io::Error::new(io::ErrorKind::InvalidInput, "bad cgroup parent"),
        ));
    }
    for root in roots {
        let mut p = rel.clone();
        while p.components().next().is_some() {
            let dir = root.join(&p);
            match std::fs::remove_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY) | Some(libc::ENOTEMPTY)) => {
                    break;
                }
                Err(e) => return Err(cg_err(&dir, e)),
            }
            p.pop();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_files_parse() {
        let m = parse_keyed("cache 4096\ntotal_inactive_file 12\nbad\n");
        assert_eq!(m["cache"], 4096);
        assert_eq!(m["total_inactive_file"], 12);
        let b = parse_blkio_v1("8:0 Read 10\n8:0 Write 20\nTotal 30\n");
        assert_eq!(b.len(), 2);
        assert_eq!((b[1].major, b[1].op.as_str(), b[1].value), (8, "Write", 20));
        let (bytes, ios) = parse_io_stat_v2("254:0 rbytes=5 wbytes=6 rios=1 wios=2 dbytes=0\n");
        assert_eq!(bytes[1].op, "write");
        assert_eq!(bytes[1].value, 6);
        assert_eq!(ios[0].value, 1);
    }

    #[test]
    fn relative_path_rejects_escapes() {
        assert_eq!(
            relative_path("hako", "abc").unwrap(),
            PathBuf::from("hako/abc")
        );
        assert_eq!(relative_path("/a/b", "c").unwrap(), PathBuf::from("a/b/c"));
        assert!(relative_path("../x", "c").is_err());
        assert!(relative_path("hako", "..").is_err());
        assert!(relative_path("hako", "a/b").is_err());
        assert!(relative_path("hako", "").is_err());
    }

    #[test]
    fn remove_empty_parents_stops_at_busy_dirs() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().to_path_buf();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("a/other")).unwrap();
        remove_empty_parents(std::slice::from_ref(&root), "a/b").unwrap();
        assert!(!root.join("a/b").exists());
        assert!(root.join("a/other").exists());
        std::fs::remove_dir(root.join("a/other")).unwrap();
        remove_empty_parents(std::slice::from_ref(&root), "a").unwrap();
        assert!(!root.join("a").exists());
    }
}
