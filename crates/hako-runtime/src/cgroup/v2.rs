//! cgroup v2: one directory in the unified tree.
//!
//! Device restrictions are an eBPF program attached to the cgroup
//! ([`super::device_filter`]).

use std::path::{Path, PathBuf};

use std::os::fd::AsFd;

use rustix::fs::{Mode, OFlags};

use super::{
    CgroupManager, CgroupMount, DEFAULT_DEVICE_RULES, Fs, Stats, device_filter, relative_path,
};
use crate::error::RuntimeError;
use crate::spec::Resources;
use crate::sys::bpf;

/// Controllers enabled for hako's cgroups when the parent offers them.
const CONTROLLERS: [&str; 5] = ["cpu", "cpuset", "io", "memory", "pids"];

/// A container's cgroup in the unified hierarchy rooted at `root`.
#[derive(Debug)]
pub struct V2 {
    root: PathBuf,
    rel: PathBuf,
    fs: Fs,
}

/// Docker's shares (2..262144) to cgroup v2 weight (1..10000), as runc converts them.
pub fn shares_to_weight(shares: u64) -> u64 {
    let shares = shares.clamp(2, 262_144);
    1 + ((shares - 2) * 9999) / 262_142
}

fn weight_to_shares(weight: u64) -> u64 {
    2 + (weight.clamp(1, 10_000) - 1) * 262_142 / 9999
}

/// Block-IO weight (10..1000) to `io.weight` (1..10000), as runc converts it.
pub fn blkio_to_io_weight(w: u16) -> u64 {
    let w = u64::from(w.clamp(10, 1000));
    1 + (w - 10) * 9999 / 990
}

fn io_weight_to_blkio(w: u64) -> u16 {
    let v = 10 + (w.clamp(1, 10_000) - 1) * 990 / 9999;
    u16::try_from(v).unwrap_or(1000)
}

fn max_or(v: Option<String>) -> Option<i64> {
    v.filter(|s| s != "max").and_then(|s| s.parse().ok())
}

impl V2 {
    /// The cgroup `<parent>/<name>` below `root` (normally `/sys/fs/cgroup`).
    pub fn new(root: PathBuf, parent: &str, name: &str, fs: Fs) -> Result<Self, RuntimeError> {
        Ok(Self {
            root,
            rel: relative_path(parent, name)?,
            fs,
        })
    }

    fn dir(&self) -> PathBuf {
        self.root.join(&self.rel)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    fn read(&self, name: &str) -> Result<Option<String>, RuntimeError> {
        self.fs.read(&self.file(name))
    }

    fn keyed(&self, name: &str, key: &str) -> Result<u64, RuntimeError> {
        let text = self.read(name)?.unwrap_or_default();
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0))
    }

    /// Enables hako's controllers in `dir`'s `cgroup.subtree_control`, as far as `dir`
    /// offers them. A refusal (a hybrid host's empty unified tree, processes in an inner
    /// node) only means fewer controllers.
    fn enable_controllers(&self, dir: &Path) -> Result<(), RuntimeError> {
        let offered = self
            .fs
            .read(&dir.join("cgroup.controllers"))?
            .unwrap_or_default();
        let wanted: Vec<String> = offered
            .split_whitespace()
            .filter(|c| CONTROLLERS.contains(c))
            .map(|c| format!("+{c}"))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        if let Err(e) = self
            .fs
            .write(&dir.join("cgroup.subtree_control"), &wanted.join(" "))
        {
            tracing::debug!(error = %e, "cannot enable cgroup controllers");
        }
        Ok(())
    }
}

impl CgroupManager for V2 {
    fn create(&self) -> Result<(), RuntimeError> {
        let mut dir = self.root.clone();
        for c in self.rel.components() {
            self.enable_controllers(&dir)?;
            dir.push(c);
            self.fs.mkdir(&dir)?;
        }
        Ok(())
    }

    fn apply(&self, r: &Resources) -> Result<(), RuntimeError> {
        let set = |name: &str, value: &str| self.fs.write_optional(&self.file(name), value);
        let memory = r.memory.filter(|m| *m > 0);
        if let Some(m) = memory {
            set("memory.max", &m.to_string())?;
        }
        match r.memory_swap {
            Some(-1) => set("memory.swap.max", "max")?,
            // v1's memsw is memory + swap; v2's swap.max is the swap alone.
            Some(s) if s > 0 => {
                let swap = memory.map_or(s, |m| (s - m).max(0));
                set("memory.swap.max", &swap.to_string())?;
            }
            _ => {}
        }
        if let Some(s) = r.memory_reservation.filter(|s| *s > 0) {
            set("memory.low", &s.to_string())?;
        }
        if let Some(s) = r.cpu_shares.filter(|s| *s != 0) {
            set("cpu.weight", &shares_to_weight(s).to_string())?;
        }
        let quota = r.cpu_quota.filter(|q| *q != 0);
        let period = r.cpu_period.filter(|p| *p != 0);
        if quota.is_some() || period.is_some() {
            let q = quota
                .filter(|q| *q > 0)
                .map_or("max".to_owned(), |q| q.to_string());
            set("cpu.max", &format!("{q} {}", period.unwrap_or(100_000)))?;
        }
        if let Some(c) = r.cpuset_cpus.as_deref().filter(|c| !c.is_empty()) {
            set("cpuset.cpus", c)?;
        }
        if let Some(m) = r.cpuset_mems.as_deref().filter(|m| !m.is_empty()) {
            set("cpuset.mems", m)?;
        }
        if let Some(p) = r.pids_limit.filter(|p| *p != 0) {
            set(
                "pids.max",
                &if p < 0 {
                    "max".to_owned()
                } else {
                    p.to_string()
                },
            )?;
        }
        if let Some(w) = r.blkio_weight.filter(|w| *w != 0) {
            set("io.weight", &format!("default {}", blkio_to_io_weight(w)))?;
        }
        Ok(())
    }

    fn limits(&self) -> Result<Resources, RuntimeError> {
        let memory = max_or(self.read("memory.max")?);
        let swap = max_or(self.read("memory.swap.max")?);
        let cpu_max = self.read("cpu.max")?.unwrap_or_default();
        let mut cpu = cpu_max.split_whitespace();
        let (quota, period) = (cpu.next(), cpu.next());
        Ok(Resources {
            memory,
            memory_swap: swap.map(|s| s + memory.unwrap_or(0)),
            memory_reservation: max_or(self.read("memory.low")?).filter(|v| *v > 0),
            cpu_shares: self
                .read("cpu.weight")?
                .and_then(|w| w.parse().ok())
                .map(weight_to_shares),
            cpu_quota: quota.and_then(|q| q.parse().ok()),
            cpu_period: period.and_then(|p| p.parse().ok()),
            cpuset_cpus: self.read("cpuset.cpus")?.filter(|s| !s.is_empty()),
            cpuset_mems: self.read("cpuset.mems")?.filter(|s| !s.is_empty()),
            pids_limit: max_or(self.read("pids.max")?),
            blkio_weight: self
                .read("io.weight")?
                .and_then(|w| {
                    w.lines()
                        .find_map(|l| l.strip_prefix("default ")?.trim().parse().ok())
                })
                .map(io_weight_to_blkio),
            // cgroup v2 cannot turn the OOM killer off.
            oom_kill_disable: false,
        })
    }

    fn set_devices(&self, allow_all: bool) -> Result<(), RuntimeError> {
        // No program allows everything (the parents' programs still apply).
        if allow_all || self.fs.emulated {
            return Ok(());
        }
        let dir = self.dir();
        let err = |source| RuntimeError::Cgroup {
            path: dir.clone(),
            source,
        };
        let rules = DEFAULT_DEVICE_RULES
            .iter()
            .map(|r| device_filter::parse_rule(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let prog = bpf::load_device_program(&device_filter::program(&rules)).map_err(err)?;
        let cg = rustix::fs::open(
            &dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| err(e.into()))?;
        bpf::attach_device_program(cg.as_fd(), prog.as_fd()).map_err(err)
    }

    fn add_process(&self, pid: i32) -> Result<(), RuntimeError> {
        self.fs.write(&self.file("cgroup.procs"), &pid.to_string())
    }

    fn clone_into(&self) -> Option<PathBuf> {
        Some(self.dir())
    }

    fn join_self(&self) -> Result<(), RuntimeError> {
        // Only when CLONE_INTO_CGROUP is unavailable (before Linux 5.7).
        self.fs.write(&self.file("cgroup.procs"), "0")
    }

    fn procs(&self) -> Result<Vec<i32>, RuntimeError> {
        let text = self.read("cgroup.procs")?.unwrap_or_default();
        Ok(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
    }

    fn set_frozen(&self, frozen: bool) -> Result<(), RuntimeError> {
        self.fs
            .write(&self.file("cgroup.freeze"), if frozen { "1" } else { "0" })?;
        let want = u64::from(frozen);
        for _ in 0..1000 {
            if self.read("cgroup.events")?.is_none()
                || self.keyed("cgroup.events", "frozen")? == want
            {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Ok(())
    }

    fn frozen(&self) -> Result<bool, RuntimeError> {
        Ok(self.read("cgroup.freeze")?.as_deref() == Some("1"))
    }

    fn oom_kills(&self) -> Result<u64, RuntimeError> {
        self.keyed("memory.events", "oom_kill")
    }

    fn stats(&self) -> Result<Stats, RuntimeError> {
        let num = |name: &str| -> Result<u64, RuntimeError> {
            Ok(match self.read(name)?.as_deref() {
                Some("max") => u64::MAX,
                Some(v) => v.parse().unwrap_or(0),
                None => 0,
            })
        };
        let cpu = super::parse_keyed(&self.read("cpu.stat")?.unwrap_or_default());
        let us = |k: &str| cpu.get(k).copied().unwrap_or(0).saturating_mul(1000);
        let (io_service_bytes, io_serviced) =
            super::parse_io_stat_v2(&self.read("io.stat")?.unwrap_or_default());
        let pids_limit = match num("pids.max")? {
            u64::MAX => 0,
            n => n,
        };
        Ok(Stats {
            memory_usage: num("memory.current")?,
            memory_limit: num("memory.max")?,
            cpu_usage_ns: us("usage_usec"),
            pids: num("pids.current")?,
            cpu_user_ns: us("user_usec"),
            cpu_system_ns: us("system_usec"),
            percpu_ns: Vec::new(),
            throttling_periods: cpu.get("nr_periods").copied().unwrap_or(0),
            throttled_periods: cpu.get("nr_throttled").copied().unwrap_or(0),
            throttled_time_ns: us("throttled_usec"),
            memory_max_usage: num("memory.peak")?,
            memory_failcnt: self.keyed("memory.events", "max")?,
            memory_stat: super::parse_keyed(&self.read("memory.stat")?.unwrap_or_default()),
            pids_limit,
            io_service_bytes,
            io_serviced,
        })
    }

    fn remove(&self) -> Result<(), RuntimeError> {
        self.fs.rmdir(&self.dir())
    }

    fn paths(&self) -> Vec<PathBuf> {
        vec![self.dir()]
    }

    fn container_mounts(&self) -> Vec<CgroupMount> {
        vec![CgroupMount {
            dest: String::new(),
            fstype: "cgroup2".to_owned(),
            options: String::new(),
            host_path: self.dir(),
            aliases: Vec::new(),
        }]
    }

    fn owns(&self, proc_cgroup: &str) -> bool {
        let want = Path::new("/").join(&self.rel);
        proc_cgroup
            .lines()
            .any(|l| l.strip_prefix("0::").is_some_and(|p| Path::new(p) == want))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_match_runc() {
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(blkio_to_io_weight(10), 1);
        assert_eq!(blkio_to_io_weight(1000), 10_000);
        assert_eq!(blkio_to_io_weight(500), 4950);
    }

    #[test]
    fn owns_reads_the_unified_line() {
        let v = V2::new("/sys/fs/cgroup".into(), "hako", "c1", Fs::default()).unwrap();
        assert!(v.owns("0::/hako/c1\n"));
        assert!(!v.owns("3:memory:/hako/c1\n0::/\n"));
    }
}
