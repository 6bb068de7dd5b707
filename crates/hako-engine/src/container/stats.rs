//! `GET /containers/{id}/stats` (one sample of the cgroup counters, the host's CPU time and
//! the container's interfaces) and `GET /containers/{id}/top` (the host's `ps`, keeping
//! the container's processes).

use std::collections::{BTreeMap, HashSet};

use hako_net::mode::NetworkMode;
pub use hako_runtime::cgroup::{BlkioEntry, Stats};
use tracing::instrument;

use super::pause::blocking;
use super::status::Status;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::timefmt;

/// One stats sample.
#[derive(Debug, Clone, Default)]
pub struct StatsSample {
    /// Full ID.
    pub id: String,
    /// Name without the slash.
    pub name: String,
    /// When it was read, Unix nanoseconds.
    pub read_nanos: i128,
    /// The cgroup's counters; `None` when the container is not running.
    pub cgroup: Option<Stats>,
    /// The host's CPU time (all CPUs, every state but idle and iowait), nanoseconds.
    pub system_cpu_ns: u64,
    /// CPUs online on the host.
    pub online_cpus: u32,
    /// Interface counters by name (not `lo`); `None` without a network namespace of its own.
    pub networks: Option<BTreeMap<String, NetDev>>,
}

/// One interface's counters, from `/proc/<pid>/net/dev`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct NetDev {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
}

/// What `top` shows: `ps`'s column titles and one row per process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopResult {
    /// Column titles.
    pub titles: Vec<String>,
    /// Rows, as many cells as titles (the last one holds the rest of the line).
    pub processes: Vec<Vec<String>>,
}

impl Engine {
    /// Reads one sample. A container that is not running gives a sample without counters
    /// (Docker answers zeros).
    #[instrument(skip(self), fields(container.id = id))]
    pub async fn container_stats(&self, id: &str) -> Result<StatsSample> {
        let entry = self.containers.get(id)?;
        let (running, pid, own_netns, cg, name) = {
            let inner = entry.inner.lock().await;
            let running = matches!(inner.state.status, Status::Running | Status::Paused);
            (
                running,
                inner.state.pid,
                !matches!(
                    inner.record.host_config.network_mode,
                    NetworkMode::Host | NetworkMode::None
                ),
                self.cgroup_of(&inner.record)?,
                inner.record.name.clone(),
            )
        };
        let id = entry.id.clone();
        blocking(move || {
            let (system_cpu_ns, online_cpus) = host_cpu();
            let cgroup = if running { Some(cg.stats()?) } else { None };
            let networks = (running && own_netns && pid > 0)
                .then(|| std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok())
                .flatten()
                .map(|t| parse_net_dev(&t))
                .filter(|n| !n.is_empty());
            Ok::<_, EngineError>(StatsSample {
                id,
                name,
                read_nanos: timefmt::now_nanos(),
                cgroup,
                system_cpu_ns,
                online_cpus,
                networks,
            })
        })
        .await?
    }

    /// Runs `ps <ps_args>` on the host and keeps the rows of the container's processes, as
    /// moby does (`-ef` when `ps_args` is empty).
    #[instrument(skip(self), fields(container.id = id))]
    pub async fn container_top(&self, id: &str, ps_args: &str) -> Result<TopResult> {
        let entry = self.containers.get(id)?;
        let cg = {
            let inner = entry.inner.lock().await;
            match inner.state.status {
                Status::Running | Status::Paused => {}
                Status::Restarting => {
                    return Err(EngineError::Conflict(format!(
                        "Container {} is restarting, wait until the container is running",
                        entry.id
                    )));
                }
                _ => return Err(EngineError::NotRunning(entry.id.clone())),
            }
            self.cgroup_of(&inner.record)?
        };
        let pids: HashSet<i32> = blocking(move || cg.procs()).await??.into_iter().collect();
        let args: Vec<String> = if ps_args.trim().is_empty() {
            vec!["-ef".to_owned()]
        } else {
            ps_args.split_whitespace().map(str::to_owned).collect()
        };
        let mut with_pids = args.clone();
        let mut list: Vec<String> = pids.iter().map(i32::to_string).collect();
        list.sort();
        with_pids.push(format!("-q{}", list.join(",")));
        let out = match run_ps(&with_pids).await {
            Ok(out) => out,
            // Some options (`f`) cannot go with `-q`: retry without it.
            Err(_) => run_ps(&args).await?,
        };
        parse_ps(&out, &pids)
    }
}

async fn run_ps(args: &[String]) -> Result<String> {
    let out = tokio::process::Command::new("ps")
        .args(args)
        .output()
        .await
        .map_err(|e| EngineError::InvalidParameter(format!("Error running ps: {e}")))?;
    if !out.status.success() {
        return Err(EngineError::InvalidParameter(format!(
            "Error running ps: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// moby's `parsePSOutput`: titles from the first line, rows whose PID is the container's
/// (thread rows, PID `-`, follow their process).
fn parse_ps(out: &str, pids: &HashSet<i32>) -> Result<TopResult> {
    let mut lines = out.lines();
    let titles: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let Some(pid_index) = titles.iter().position(|t| t == "PID") else {
        return Err(EngineError::InvalidParameter(
            "Couldn't find PID field in ps output".into(),
        ));
    };
    let mut processes = Vec::new();
    let mut previous_kept = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(pid) = fields.get(pid_index) else {
            continue;
        };
        let keep = if *pid == "-" {
            previous_kept
        } else {
            let p: i32 = pid
                .parse()
                .map_err(|_| EngineError::InvalidParameter(format!("Unexpected pid '{pid}'")))?;
            previous_kept = pids.contains(&p);
            previous_kept
        };
        if keep {
            let n = titles.len();
            let mut row: Vec<String> = fields.iter().take(n - 1).map(|s| s.to_string()).collect();
            row.resize(n - 1, String::new());
            row.push(fields.get(n - 1..).map(|r| r.join(" ")).unwrap_or_default());
            processes.push(row);
        }
    }
    Ok(TopResult { titles, processes })
}

/// The host's CPU time as moby's `getSystemCPUUsage` counts it (the first seven fields of
/// `/proc/stat`'s `cpu` line: user nice system idle iowait irq softirq), in nanoseconds,
/// and the number of `cpuN` lines.
fn host_cpu() -> (u64, u32) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    parse_proc_stat(&text)
}

fn parse_proc_stat(text: &str) -> (u64, u32) {
    // USER_HZ is 100 on Linux.
    const TICK_NS: u64 = 10_000_000;
    let mut total = 0;
    let mut cpus = 0;
    for line in text.lines() {
        let mut f = line.split_whitespace();
        match f.next() {
            Some("cpu") => {
                total = f.take(7).filter_map(|v| v.parse::<u64>().ok()).sum::<u64>() * TICK_NS;
            }
            Some(c) if c.starts_with("cpu") => cpus += 1,
            _ => {}
        }
    }
    (total, cpus.max(1))
}

fn parse_net_dev(text: &str) -> BTreeMap<String, NetDev> {
    text.lines()
        .skip(2)
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let name = name.trim();
            if name == "lo" {
                return None;
            }
            let v: Vec<u64> = rest
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            (v.len() >= 12).then(|| {
                (
                    name.to_owned(),
                    NetDev {
                        rx_bytes: v[0],
                        rx_packets: v[1],
                        rx_errors: v[2],
                        rx_dropped: v[3],
                        tx_bytes: v[8],
                        tx_packets: v[9],
                        tx_errors: v[10],
                        tx_dropped: v[11],
                    },
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_rows_are_filtered_and_joined() {
        let out = "UID PID PPID C STIME TTY TIME CMD\n\
                   root 10 1 0 10:00 ? 00:00:00 sleep 100\n\
                   root 11 1 0 10:00 ? 00:00:00 other\n\
                   root 12 10 0 10:00 ? 00:00:00 sh -c echo hi\n";
        let pids: HashSet<i32> = [10, 12].into_iter().collect();
        let t = parse_ps(out, &pids).unwrap();
        assert_eq!(t.titles.len(), 8);
        assert_eq!(t.processes.len(), 2);
        assert_eq!(t.processes[0][7], "sleep 100");
        assert_eq!(t.processes[1][7], "sh -c echo hi");
        assert!(parse_ps("A B\n1 2\n", &pids).is_err());
    }

    #[test]
    fn proc_stat_and_net_dev() {
        let (total, cpus) =
            parse_proc_stat("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1\ncpu1 1 1\nintr 5\n");
        assert_eq!(total, 28 * 10_000_000);
        assert_eq!(cpus, 2);
        let dev = "Inter-|   Receive\n face |bytes\n    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n  eth0: 100 2 0 0 0 0 0 0 200 3 0 1 0 0 0 0\n";
        let n = parse_net_dev(dev);
        assert_eq!(n.len(), 1);
        assert_eq!(n["eth0"].rx_bytes, 100);
        assert_eq!(n["eth0"].tx_bytes, 200);
        assert_eq!(n["eth0"].tx_dropped, 1);
    }
}
