//! Resources and lifecycle verbs: pause/unpause, stats, top, update, rename, restart,
//! prune.

use std::time::Duration;

use bytes::Bytes;
use hako_api_types::container::{
    BlkioStatEntry, BlkioStats, ContainerPruneResponse, CpuStats, CpuUsage, MemoryStats,
    NetworkStats, PidsStats, PruneQuery, RenameQuery, StatsQuery, StatsResponse, ThrottlingData,
    TopQuery, TopResponse, UpdateBody, UpdateResponse,
};
use hako_api_types::query::{StopQuery, docker_bool};
use hako_engine::Engine;
use hako_engine::container::options::StopOptions;
use hako_engine::container::stats::{BlkioEntry, StatsSample};
use hako_engine::container::update::UpdateRequest;
use http::StatusCode;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::instrument;

use crate::convert::host_config::restart_policy;
use crate::error::ApiError;
use crate::query;
use crate::request::{Ctx, Request, require_json};
use crate::response::{self, BoxError, JSON, Response};

/// Docker's stats collection interval.
const INTERVAL: Duration = Duration::from_secs(1);

/// `POST /containers/{id}/pause`: 204.
#[instrument(skip_all, fields(container.id = %id))]
pub async fn pause(ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    ctx.engine.container_pause(id).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}

/// `POST /containers/{id}/unpause`: 204.
#[instrument(skip_all, fields(container.id = %id))]
pub async fn unpause(ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    ctx.engine.container_unpause(id).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}

/// `POST /containers/{id}/restart?t=&signal=`: 204.
#[instrument(skip_all, fields(container.id = %id))]
pub async fn restart(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let q: StopQuery = query::parse(req.uri())?;
    let opts = StopOptions {
        signal: q.signal.filter(|s| !s.is_empty() && ctx.at_least(1, 42)),
        timeout: q.t,
    };
    ctx.engine.container_restart(id, opts).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}

/// `POST /containers/{id}/rename?name=`: 204.
#[instrument(skip_all, fields(container.id = %id))]
pub async fn rename(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let q: RenameQuery = query::parse(req.uri())?;
    ctx.engine.container_rename(id, &q.name).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}

/// `POST /containers/prune?filters=`.
#[instrument(skip_all)]
pub async fn prune(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q: PruneQuery = query::parse(req.uri())?;
    let filters = query::filters(q.filters.as_ref());
    let until = match filters.get("until") {
        [] => None,
        [one] => Some(until(one)?),
        _ => return Err(ApiError::invalid("filters: more than one until filter")),
    };
    let report = ctx.engine.container_prune(&filters, until).await?;
    Ok(response::json(
        StatusCode::OK,
        &ContainerPruneResponse {
            containers_deleted: Some(report.deleted).filter(|d| !d.is_empty()),
            space_reclaimed: report.space_reclaimed,
        },
    ))
}

/// `until`: a timestamp, or a Go duration (`24h`, `1h30m`, `90s`) back from now.
pub(super) fn until(v: &str) -> Result<i128, ApiError> {
    // As moby's `timetypes.GetTimestamp`: "0" is a timestamp, not a duration.
    if v != "0"
        && let Some(d) = hako_api_types::units::parse_go_duration(v)
    {
        let now = OffsetDateTime::now_utc().unix_timestamp_nanos();
        return Ok(now - d);
    }
    query::timestamp("until", Some(v))?.ok_or_else(|| ApiError::invalid("empty until filter"))
}

/// `POST /containers/{id}/update`.
#[instrument(skip_all, fields(container.id = %id))]
pub async fn update(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let body: UpdateBody = require_json(req).await?;
    let r = body.resources;
    let restart_policy = match body.restart_policy {
        Some(p) if !p.name.is_empty() => Some(restart_policy(&p)?),
        _ => None,
    };
    let req = UpdateRequest {
        memory: r.memory,
        memory_swap: r.memory_swap,
        memory_reservation: r.memory_reservation,
        nano_cpus: r.nano_cpus,
        cpu_shares: r.cpu_shares,
        cpu_period: r.cpu_period,
        cpu_quota: r.cpu_quota,
        cpuset_cpus: r.cpuset_cpus,
        cpuset_mems: r.cpuset_mems,
        pids_limit: r.pids_limit.filter(|p| *p != 0),
        blkio_weight: r.blkio_weight,
        restart_policy,
    };
    let warnings = ctx.engine.container_update(id, req).await?;
    Ok(response::json(
        StatusCode::OK,
        &UpdateResponse {
            warnings: Some(warnings),
        },
    ))
}

/// `GET /containers/{id}/top?ps_args=`.
#[instrument(skip_all, fields(container.id = %id))]
pub async fn top(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let q: TopQuery = query::parse(req.uri())?;
    let t = ctx
        .engine
        .container_top(id, q.ps_args.as_deref().unwrap_or(""))
        .await?;
    Ok(response::json(
        StatusCode::OK,
        &TopResponse {
            titles: t.titles,
            processes: t.processes,
        },
    ))
}

/// `GET /containers/{id}/stats?stream=&one-shot=`: one JSON object per second while
/// streaming; otherwise one object, after a second sample (so that `precpu_stats` is
/// filled) unless `one-shot`.
#[instrument(skip_all, fields(container.id = %id))]
pub async fn stats(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let q: StatsQuery = query::parse(req.uri())?;
    let stream = q.stream.as_deref().is_none_or(docker_bool::parse);
    let one_shot = q.one_shot.as_deref().is_some_and(docker_bool::parse) && !stream;
    let engine = ctx.engine.clone();
    let first = engine.container_stats(id).await?;
    if !stream {
        if one_shot || first.cgroup.is_none() {
            return Ok(response::json(StatusCode::OK, &to_wire(&first, None)));
        }
        tokio::time::sleep(INTERVAL).await;
        let second = engine.container_stats(id).await?;
        return Ok(response::json(
            StatusCode::OK,
            &to_wire(&second, Some(&first)),
        ));
    }
    let id = first.id.clone();
    let state: (Arc<Engine>, String, Option<StatsSample>, bool) = (engine, id, None, true);
    let lines = futures_util::stream::unfold(state, |(engine, id, prev, first)| async move {
        if !first {
            tokio::time::sleep(INTERVAL).await;
        }
        let sample = engine.container_stats(&id).await.ok()?;
        let mut line = serde_json::to_vec(&to_wire(&sample, prev.as_ref())).unwrap_or_default();
        line.push(b'\n');
        Some((
            Ok::<_, BoxError>(Bytes::from(line)),
            (engine, id, Some(sample), false),
        ))
    });
    let lines = futures_util::StreamExt::take_until(lines, ctx.shutdown.clone().cancelled_owned());
    Ok(response::typed(
        StatusCode::OK,
        JSON,
        response::stream_body(lines),
    ))
}

fn rfc3339(nanos: i128) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_owned())
}

fn cpu_stats(s: &StatsSample) -> CpuStats {
    let Some(c) = &s.cgroup else {
        return CpuStats::default();
    };
    CpuStats {
        cpu_usage: CpuUsage {
            total_usage: c.cpu_usage_ns,
            percpu_usage: Some(c.percpu_ns.clone()).filter(|p| !p.is_empty()),
            usage_in_kernelmode: c.cpu_system_ns,
            usage_in_usermode: c.cpu_user_ns,
        },
        system_cpu_usage: s.system_cpu_ns,
        online_cpus: s.online_cpus,
        throttling_data: ThrottlingData {
            periods: c.throttling_periods,
            throttled_periods: c.throttled_periods,
            throttled_time: c.throttled_time_ns,
        },
    }
}

fn blkio(entries: &[BlkioEntry]) -> Option<Vec<BlkioStatEntry>> {
    Some(
        entries
            .iter()
            .map(|e| BlkioStatEntry {
                major: e.major,
                minor: e.minor,
                op: e.op.clone(),
                value: e.value,
            })
            .collect(),
    )
}

/// The engine's sample as moby's `StatsResponse`; a stopped container's is all zeros.
fn to_wire(s: &StatsSample, prev: Option<&StatsSample>) -> StatsResponse {
    let mut out = StatsResponse {
        name: format!("/{}", s.name),
        id: s.id.clone(),
        read: rfc3339(s.read_nanos),
        preread: prev.map_or_else(
            || "0001-01-01T00:00:00Z".to_owned(),
            |p| rfc3339(p.read_nanos),
        ),
        cpu_stats: cpu_stats(s),
        precpu_stats: prev.map(cpu_stats).unwrap_or_default(),
        ..StatsResponse::default()
    };
    if s.cgroup.is_none() {
        out.read = "0001-01-01T00:00:00Z".to_owned();
    }
    let Some(c) = &s.cgroup else {
        return out;
    };
    out.pids_stats = PidsStats {
        current: c.pids,
        limit: c.pids_limit,
    };
    out.blkio_stats = BlkioStats {
        io_service_bytes_recursive: blkio(&c.io_service_bytes),
        io_serviced_recursive: blkio(&c.io_serviced),
        ..BlkioStats::default()
    };
    out.memory_stats = MemoryStats {
        usage: c.memory_usage,
        max_usage: c.memory_max_usage,
        stats: Some(c.memory_stat.clone()),
        failcnt: c.memory_failcnt,
        limit: if c.memory_limit == 0 || c.memory_limit >= i64::MAX as u64 / 2 {
            host_memory()
        } else {
            c.memory_limit
        },
    };
    out.networks = s.networks.as_ref().map(|n| {
        n.iter()
            .map(|(name, d)| {
                (
                    name.clone(),
                    NetworkStats {
                        rx_bytes: d.rx_bytes,
                        rx_packets: d.rx_packets,
                        rx_errors: d.rx_errors,
                        rx_dropped: d.rx_dropped,
                        tx_bytes: d.tx_bytes,
                        tx_packets: d.tx_packets,
                        tx_errors: d.tx_errors,
                        tx_dropped: d.tx_dropped,
                    },
                )
            })
            .collect()
    });
    out
}

/// Total RAM, as the limit of an unlimited container (Docker shows the host's memory).
fn host_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_takes_durations_and_timestamps() {
        let now = OffsetDateTime::now_utc().unix_timestamp_nanos();
        let day_ago = until("24h").unwrap();
        assert!((now - 86_400 * 1_000_000_000 - day_ago).abs() < 5_000_000_000);
        assert_eq!(until("1700000000").unwrap(), 1_700_000_000 * 1_000_000_000);
        assert!(until("5x").is_err());
    }
}
