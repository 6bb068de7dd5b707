//! `HEALTHCHECK`: a per-container task that runs the probe as an exec every interval and
//! keeps `State.Health` (status, failing streak, the last five results) as Docker does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tracing::warn;

use super::config::HealthCheck;
use super::create::container_attributes;
use super::entry::Entry;
use super::status::{Health, HealthLog, Status};
use crate::engine::Engine;
use crate::exec::{ExecConfig, ExecStartOptions};
use crate::{state, timefmt};

/// Docker's defaults.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_RETRIES: i64 = 3;
/// Results kept in `Health.Log`.
const MAX_LOG: usize = 5;
/// Output kept per result.
const MAX_OUTPUT: usize = 4096;

/// Reads the image config's `Healthcheck` JSON.
pub(crate) fn from_image_json(v: &serde_json::Value) -> Option<HealthCheck> {
    let num = |k: &str| v.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
    let test = v
        .get("Test")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Some(HealthCheck {
        test,
        interval: num("Interval"),
        timeout: num("Timeout"),
        start_period: num("StartPeriod"),
        retries: num("Retries"),
    })
}

/// The command of an enabled health check (`None` for none, `NONE` or an unknown kind).
pub(crate) fn probe_cmd(h: &HealthCheck) -> Option<Vec<String>> {
    match h.test.first().map(String::as_str) {
        Some("CMD") if h.test.len() > 1 => Some(h.test[1..].to_vec()),
        Some("CMD-SHELL") if h.test.len() > 1 => {
            Some(vec!["/bin/sh".into(), "-c".into(), h.test[1..].join(" ")])
        }
        _ => None,
    }
}

fn dur(ns: i64, default: Duration) -> Duration {
    if ns > 0 {
        Duration::from_nanos(ns.unsigned_abs())
    } else {
        default
    }
}

/// Splits Docker's multiplexed frames into their payloads.
fn demux(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = raw;
    while rest.len() >= 8 {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = (8 + len).min(rest.len());
        out.extend_from_slice(&rest[8..end]);
        rest = &rest[end..];
    }
    out
}

impl Engine {
    /// Starts the health monitor of run `generation` when the container has a health check;
    /// the caller has set `State.Health` to `starting`.
    pub(crate) fn spawn_health_monitor(
        &self,
        entry: &Arc<Entry>,
        generation: u64,
        check: HealthCheck,
    ) {
        let Some(cmd) = probe_cmd(&check) else {
            return;
        };
        let Some(engine) = self.handle() else {
            return;
        };
        let entry = entry.clone();
        tokio::spawn(async move {
            engine.health_loop(&entry, generation, &check, cmd).await;
        });
    }

    async fn health_loop(
        &self,
        entry: &Arc<Entry>,
        generation: u64,
        check: &HealthCheck,
        cmd: Vec<String>,
    ) {
        let interval = dur(check.interval, DEFAULT_INTERVAL);
        let timeout = dur(check.timeout, DEFAULT_TIMEOUT);
        let start_period = dur(check.start_period, Duration::ZERO);
        let retries = if check.retries > 0 {
            check.retries
        } else {
            DEFAULT_RETRIES
        };
        let started = Instant::now();
        loop {
            tokio::time::sleep(interval).await;
            {
                let inner = entry.inner.lock().await;
                if inner.generation != generation {
                    return;
                }
                match inner.state.status {
                    Status::Running => {}
                    // Docker stops probing while paused and resumes on unpause.
                    Status::Paused => continue,
                    _ => return,
                }
            }
            let result = self.run_probe(&entry.id, &cmd, timeout).await;
            let mut inner = entry.inner.lock().await;
            if inner.generation != generation || !inner.state.status.is_running() {
                return;
            }
            let in_start_period = started.elapsed() < start_period;
            let health = inner.state.health.get_or_insert_with(|| Health {
                status: "starting".into(),
                ..Health::default()
            });
            let old = health.status.clone();
            if result.exit_code == 0 {
                health.failing_streak = 0;
                health.status = "healthy".into();
            } else if !in_start_period || health.status != "starting" {
                health.failing_streak += 1;
                if health.failing_streak >= retries {
                    health.status = "unhealthy".into();
                }
            }
            health.log.push(result);
            if health.log.len() > MAX_LOG {
                let extra = health.log.len() - MAX_LOG;
                health.log.drain(..extra);
            }
            let new = health.status.clone();
            if let Err(e) = state::write_json(&entry.state_path(), &inner.state, false) {
                warn!(container.id = %entry.id, error = %e, "cannot persist health");
            }
            let attrs = container_attributes(&inner.record);
            drop(inner);
            if new != old {
                self.events.emit(
                    "container",
                    &format!("health_status: {new}"),
                    &entry.id,
                    attrs,
                );
            }
        }
    }

    /// Runs one probe as an exec; a probe that cannot run or times out fails with -1.
    async fn run_probe(&self, container: &str, cmd: &[String], timeout: Duration) -> HealthLog {
        let start = timefmt::rfc3339_nano(timefmt::now_nanos());
        let config = ExecConfig {
            attach_stdout: true,
            attach_stderr: true,
            cmd: cmd.to_vec(),
            ..ExecConfig::default()
        };
        let fail = |output: String| HealthLog {
            start: start.clone(),
            end: timefmt::rfc3339_nano(timefmt::now_nanos()),
            exit_code: -1,
            output,
        };
        let id = match self.exec_create(container, config).await {
            Ok(id) => id,
            Err(e) => return fail(e.to_string()),
        };
        let outcome = tokio::time::timeout(timeout, async {
            let attachment = self.exec_start(&id, ExecStartOptions::default()).await?;
            let mut raw = Vec::new();
            if let Some(mut a) = attachment {
                let _ = a.output.read_to_end(&mut raw).await;
            }
            // The exit code lands just after the output ends.
            let exec = self.exec_entry(&id)?;
            let code = loop {
                let s = exec.snapshot();
                if let (false, Some(code)) = (s.running, s.exit_code) {
                    break code;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            Ok::<_, crate::error::EngineError>((code, demux(&raw)))
        })
        .await;
        let result = match outcome {
            Ok(Ok((code, mut out))) => {
                out.truncate(MAX_OUTPUT);
                HealthLog {
                    start: start.clone(),
                    end: timefmt::rfc3339_nano(timefmt::now_nanos()),
                    exit_code: code,
                    output: String::from_utf8_lossy(&out).into_owned(),
                }
            }
            Ok(Err(e)) => fail(e.to_string()),
            Err(_) => {
                let _ = hako_runtime::client::MonitorClient::new(&self.exec_run_dir(&id))
                    .signal(9)
                    .await;
                fail(format!(
                    "Health check exceeded timeout ({})",
                    humantime(timeout)
                ))
            }
        };
        self.forget_execs(std::slice::from_ref(&id));
        if let Ok(entry) = self.containers.get(container) {
            entry.inner.lock().await.exec_ids.retain(|e| *e != id);
        }
        result
    }
}

fn humantime(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hc(test: &[&str]) -> HealthCheck {
        HealthCheck {
            test: test.iter().map(|s| s.to_string()).collect(),
            ..HealthCheck::default()
        }
    }

    #[test]
    fn probe_commands() {
        assert_eq!(probe_cmd(&hc(&["NONE"])), None);
        assert_eq!(probe_cmd(&hc(&[])), None);
        assert_eq!(
            probe_cmd(&hc(&["CMD", "true", "x"])),
            Some(vec!["true".to_string(), "x".to_string()])
        );
        assert_eq!(
            probe_cmd(&hc(&["CMD-SHELL", "exit 1"])),
            Some(vec!["/bin/sh".into(), "-c".into(), "exit 1".to_string()])
        );
    }

    #[test]
    fn image_json_and_demux() {
        let v = serde_json::json!({"Test":["CMD","true"],"Interval":200000000,"Retries":2});
        let h = from_image_json(&v).unwrap();
        assert_eq!(h.test, vec!["CMD", "true"]);
        assert_eq!(h.interval, 200_000_000);
        assert_eq!(h.retries, 2);
        let raw = [
            &[1u8, 0, 0, 0, 0, 0, 0, 2][..],
            b"hi",
            &[2, 0, 0, 0, 0, 0, 0, 1],
            b"!",
        ]
        .concat();
        assert_eq!(demux(&raw), b"hi!");
    }
}
