//! cgroup v1: one directory per hierarchy (`cpu`, `memory`, ...).

use std::path::{Path, PathBuf};

pub use super::hierarchies::{CONTROLLERS, Hierarchy, host_hierarchies};
use super::{CgroupManager, CgroupMount, DEFAULT_DEVICE_RULES, Fs, Stats, relative_path};
use crate::error::RuntimeError;
use crate::spec::Resources;

/// A container's cgroup in every v1 hierarchy hako uses.
#[derive(Debug)]
pub struct V1 {
    hierarchies: Vec<Hierarchy>,
    rel: PathBuf,
    fs: Fs,
}

impl V1 {
    /// The cgroup `<parent>/<name>` below each of `hierarchies`.
    pub fn new(
        hierarchies: Vec<Hierarchy>,
        parent: &str,
        name: &str,
        fs: Fs,
    ) -> Result<Self, RuntimeError> {
        Ok(Self {
            hierarchies,
            rel: relative_path(parent, name)?,
            fs,
        })
    }

    fn dir(&self, controller: &str) -> Option<PathBuf> {
        self.hierarchies
            .iter()
            .find(|h| h.controllers.iter().any(|c| c == controller))
            .map(|h| h.mountpoint.join(&self.rel))
    }

    fn set(
        &self,
        controller: &str,
        file: &str,
        value: &str,
        optional: bool,
    ) -> Result<(), RuntimeError> {
        let Some(dir) = self.dir(controller) else {
            tracing::warn!(
                controller,
                file,
                "cgroup controller not mounted, setting skipped"
            );
            return Ok(());
        };
        if optional {
            self.fs.write_optional(&dir.join(file), value)
        } else {
            self.fs.write(&dir.join(file), value)
        }
    }

    fn get(&self, controller: &str, file: &str) -> Result<Option<String>, RuntimeError> {
        match self.dir(controller) {
            Some(dir) => self.fs.read(&dir.join(file)),
            None => Ok(None),
        }
    }

    fn get_u64(&self, controller: &str, file: &str) -> Result<u64, RuntimeError> {
        Ok(self
            .get(controller, file)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// A new cpuset cgroup starts with empty `cpus`/`mems` and refuses tasks: copy them
    /// from the parent at every level.
    fn init_cpuset(&self, root: &Path) -> Result<(), RuntimeError> {
        let mut parent = root.to_path_buf();
        for c in self.rel.components() {
            let dir = parent.join(c);
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let mine = self.fs.read(&dir.join(file))?.unwrap_or_default();
                if mine.is_empty()
                    && let Some(value) = self.fs.read(&parent.join(file))?
                {
                    self.fs.write(&dir.join(file), &value)?;
                }
            }
            parent = dir;
        }
        Ok(())
    }
}

/// Reads a v1 limit: the kernel's "unlimited" is a huge page-aligned number.
fn limit(v: Option<String>) -> Option<i64> {
    let n: i64 = v?.parse().ok()?;
    (n > 0 && n < i64::MAX / 2).then_some(n)
}

impl CgroupManager for V1 {
    fn create(&self) -> Result<(), RuntimeError> {
        for h in &self.hierarchies {
            let mut dir = h.mountpoint.clone();
            for c in self.rel.components() {
                dir.push(c);
                self.fs.mkdir(&dir)?;
            }
            if h.controllers.iter().any(|c| c == "cpuset") {
                self.init_cpuset(&h.mountpoint)?;
            }
        }
        Ok(())
    }

    fn apply(&self, r: &Resources) -> Result<(), RuntimeError> {
        let memory = r.memory.filter(|m| *m != 0);
        let swap = r.memory_swap.filter(|s| *s != 0);
        // The kernel keeps memory <= memory+swap at every write: when the pair grows
        // (an update), memsw goes first, when it shrinks, memory goes first.
        let current_swap = limit(self.get("memory", "memory.memsw.limit_in_bytes")?);
        let swap_first = swap.is_some_and(|s| s < 0 || current_swap.is_some_and(|c| s > c));
        let write_swap = |s: i64| {
            // Absent when the kernel has no swap accounting (Docker warns the same way).
            self.set(
                "memory",
                "memory.memsw.limit_in_bytes",
                &s.to_string(),
                true,
            )
        };
        if swap_first && let Some(s) = swap {
            write_swap(s)?;
        }
        if let Some(m) = memory {
            self.set("memory", "memory.limit_in_bytes", &m.to_string(), false)?;
        }
        if !swap_first && let Some(s) = swap {
            write_swap(s)?;
        }
        if r.oom_kill_disable {
            self.set("memory", "memory.oom_control", "1", false)?;
        }
        if let Some(s) = r.memory_reservation.filter(|s| *s != 0) {
            self.set(
                "memory",
                "memory.soft_limit_in_bytes",
                &s.to_string(),
                false,
            )?;
        }
        if let Some(s) = r.cpu_shares.filter(|s| *s != 0) {
            self.set("cpu", "cpu.shares", &s.to_string(), false)?;
        }
        if let Some(p) = r.cpu_period.filter(|p| *p != 0) {
            self.set("cpu", "cpu.cfs_period_us", &p.to_string(), true)?;
        }
        if let Some(q) = r.cpu_quota.filter(|q| *q != 0) {
            self.set("cpu", "cpu.cfs_quota_us", &q.to_string(), true)?;
        }
        if let Some(c) = r.cpuset_cpus.as_deref().filter(|c| !c.is_empty()) {
            self.set("cpuset", "cpuset.cpus", c, false)?;
        }
        if let Some(m) = r.cpuset_mems.as_deref().filter(|m| !m.is_empty()) {
            self.set("cpuset", "cpuset.mems", m, false)?;
        }
        if let Some(p) = r.pids_limit.filter(|p| *p != 0) {
            let v = if p < 0 {
                "max".to_owned()
            } else {
                p.to_string()
            };
            self.set("pids", "pids.max", &v, false)?;
        }
        if let Some(w) = r.blkio_weight.filter(|w| *w != 0) {
            // CFQ's blkio.weight is gone from modern kernels; BFQ offers blkio.bfq.weight.
            let has_cfq = self
                .dir("blkio")
                .is_some_and(|d| d.join("blkio.weight").exists());
            let file = if has_cfq || self.fs.emulated {
                "blkio.weight"
            } else {
                "blkio.bfq.weight"
            };
            self.set("blkio", file, &w.to_string(), true)?;
        }
        Ok(())
    }

    fn limits(&self) -> Result<Resources, RuntimeError> {
        let num = |c: &str, f: &str| -> Result<Option<i64>, RuntimeError> {
            Ok(self.get(c, f)?.and_then(|v| v.parse().ok()))
        };
        Ok(Resources {
            memory: limit(self.get("memory", "memory.limit_in_bytes")?),
            memory_swap: limit(self.get("memory", "memory.memsw.limit_in_bytes")?),
            memory_reservation: limit(self.get("memory", "memory.soft_limit_in_bytes")?),
            cpu_shares: num("cpu", "cpu.shares")?.and_then(|v| u64::try_from(v).ok()),
            cpu_quota: num("cpu", "cpu.cfs_quota_us")?.filter(|q| *q > 0),
            cpu_period: num("cpu", "cpu.cfs_period_us")?.and_then(|v| u64::try_from(v).ok()),
            cpuset_cpus: self.get("cpuset", "cpuset.cpus")?.filter(|s| !s.is_empty()),
            cpuset_mems: self.get("cpuset", "cpuset.mems")?.filter(|s| !s.is_empty()),
            pids_limit: self.get("pids", "pids.max")?.and_then(|v| v.parse().ok()),
            blkio_weight: self
                .get("blkio", "blkio.weight")?
                .or(self.get("blkio", "blkio.bfq.weight")?)
                .and_then(|v| v.parse().ok()),
            oom_kill_disable: self
                .get("memory", "memory.oom_control")?
                .is_some_and(|v| v.lines().any(|l| l == "oom_kill_disable 1")),
        })
    }

    fn set_devices(&self, allow_all: bool) -> Result<(), RuntimeError> {
        if allow_all {
            return self.set("devices", "devices.allow", "a *:* rwm", false);
        }
        self.set("devices", "devices.deny", "a", false)?;
        for rule in DEFAULT_DEVICE_RULES {
            self.set("devices", "devices.allow", rule, false)?;
        }
        Ok(())
    }

    fn add_process(&self, pid: i32) -> Result<(), RuntimeError> {
        for h in &self.hierarchies {
            self.fs.write(
                &h.mountpoint.join(&self.rel).join("cgroup.procs"),
                &pid.to_string(),
            )?;
        }
        Ok(())
    }

    fn clone_into(&self) -> Option<PathBuf> {
        None
    }

    fn join_self(&self) -> Result<(), RuntimeError> {
        for h in &self.hierarchies {
            self.fs
                .write(&h.mountpoint.join(&self.rel).join("tasks"), "0")?;
        }
        Ok(())
    }

    fn procs(&self) -> Result<Vec<i32>, RuntimeError> {
        let Some(h) = self.hierarchies.first() else {
            return Ok(Vec::new());
        };
        let text = self
            .fs
            .read(&h.mountpoint.join(&self.rel).join("cgroup.procs"))?;
        Ok(text
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect())
    }

    fn set_frozen(&self, frozen: bool) -> Result<(), RuntimeError> {
        let want = if frozen { "FROZEN" } else { "THAWED" };
        self.set("freezer", "freezer.state", want, false)?;
        // The kernel goes through FREEZING; wait until it settles.
        for _ in 0..1000 {
            if self
                .get("freezer", "freezer.state")?
                .as_deref()
                .is_none_or(|s| s == want)
            {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Ok(())
    }

    fn frozen(&self) -> Result<bool, RuntimeError> {
        Ok(self.get("freezer", "freezer.state")?.as_deref() == Some("FROZEN"))
    }

    fn oom_kills(&self) -> Result<u64, RuntimeError> {
        let text = self
            .get("memory", "memory.oom_control")?
            .unwrap_or_default();
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0))
    }

    fn stats(&self) -> Result<Stats, RuntimeError> {
        // cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
        const TICK_NS: u64 = 10_000_000;
        let cpuacct = super::parse_keyed(&self.get("cpuacct", "cpuacct.stat")?.unwrap_or_default());
        let cpu = super::parse_keyed(&self.get("cpu", "cpu.stat")?.unwrap_or_default());
        let blkio = |file: &str| -> Result<Vec<super::BlkioEntry>, RuntimeError> {
            Ok(super::parse_blkio_v1(
                &self.get("blkio", file)?.unwrap_or_default(),
            ))
        };
        // CFQ's counters are gone from modern kernels; the throttle ones always count.
        let mut io_service_bytes = blkio("blkio.io_service_bytes_recursive")?;
        if io_service_bytes.is_empty() {
            io_service_bytes = blkio("blkio.throttle.io_service_bytes_recursive")?;
        }
        let mut io_serviced = blkio("blkio.io_serviced_recursive")?;
        if io_serviced.is_empty() {
            io_serviced = blkio("blkio.throttle.io_serviced_recursive")?;
        }
        Ok(Stats {
            memory_usage: self.get_u64("memory", "memory.usage_in_bytes")?,
            memory_limit: self.get_u64("memory", "memory.limit_in_bytes")?,
            cpu_usage_ns: self.get_u64("cpuacct", "cpuacct.usage")?,
            pids: self.get_u64("pids", "pids.current")?,
            cpu_user_ns: cpuacct.get("user").copied().unwrap_or(0) * TICK_NS,
            cpu_system_ns: cpuacct.get("system").copied().unwrap_or(0) * TICK_NS,
            percpu_ns: self
                .get("cpuacct", "cpuacct.usage_percpu")?
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect(),
            throttling_periods: cpu.get("nr_periods").copied().unwrap_or(0),
            throttled_periods: cpu.get("nr_throttled").copied().unwrap_or(0),
            throttled_time_ns: cpu.get("throttled_time").copied().unwrap_or(0),
            memory_max_usage: self.get_u64("memory", "memory.max_usage_in_bytes")?,
            memory_failcnt: self.get_u64("memory", "memory.failcnt")?,
            memory_stat: super::parse_keyed(
                &self.get("memory", "memory.stat")?.unwrap_or_default(),
            ),
            pids_limit: self.get_u64("pids", "pids.max")?,
            io_service_bytes,
            io_serviced,
        })
    }

    fn remove(&self) -> Result<(), RuntimeError> {
        let mut first_err = None;
        for h in &self.hierarchies {
            if let Err(e) = self.fs.rmdir(&h.mountpoint.join(&self.rel)) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.hierarchies
            .iter()
            .map(|h| h.mountpoint.join(&self.rel))
            .collect()
    }

    fn container_mounts(&self) -> Vec<CgroupMount> {
        self.hierarchies
            .iter()
            .map(|h| {
                let dest = h
                    .mountpoint
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| h.controllers.join(","));
                CgroupMount {
                    aliases: h
                        .controllers
                        .iter()
                        .filter(|c| **c != dest)
                        .cloned()
                        .collect(),
                    dest,
                    fstype: "cgroup".to_owned(),
                    options: h.controllers.join(","),
                    host_path: h.mountpoint.join(&self.rel),
                }
            })
            .collect()
    }

    fn owns(&self, proc_cgroup: &str) -> bool {
        let want = Path::new("/").join(&self.rel);
        proc_cgroup.lines().any(|l| {
            let mut f = l.splitn(3, ':');
            let (_, ctrls, path) = (f.next(), f.next().unwrap_or(""), f.next().unwrap_or(""));
            !ctrls.is_empty() && Path::new(path) == want
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::hierarchies::{parse_mountinfo, tests::MOUNTINFO};

    #[test]
    fn comounted_hierarchies_get_aliases() {
        let v = V1::new(parse_mountinfo(MOUNTINFO), "hako", "c1", Fs::default()).unwrap();
        let m = v.container_mounts();
        assert_eq!(m[0].dest, "cpu,cpuacct");
        assert_eq!(m[0].options, "cpu,cpuacct");
        assert_eq!(m[0].aliases, vec!["cpu".to_owned(), "cpuacct".to_owned()]);
        assert_eq!(
            m[0].host_path,
            PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/hako/c1")
        );
        assert!(m[1].aliases.is_empty());
    }

    #[test]
    fn owns_matches_controller_lines_only() {
        let v = V1::new(parse_mountinfo(MOUNTINFO), "hako", "c1", Fs::default()).unwrap();
        assert!(v.owns("12:memory:/hako/c1\n0::/user.slice\n"));
        assert!(!v.owns("12:memory:/hako/c2\n0::/hako/c1\n"));
    }
}
