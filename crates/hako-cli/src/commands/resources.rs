//! Resources and lifecycle verbs: `pause`, `unpause`, `restart`, `rename`, `top`,
//! `update`, `stats` and `container prune`, with Docker's flags and output.

use hako_api_types::container::{
    Resources, RestartPolicy, StatsResponse, TopResponse, UpdateBody, UpdateResponse,
};
use hako_api_types::units::{go_fmt_g, human_size};

use super::container_opts::parse::{ram_in_bytes, restart_policy};
use super::each::each_container;
use super::{Ctx, out};
use crate::format::table::tabwrite_with;
use crate::format::{render_list, template::object};

/// `hako pause` / `hako unpause`.
#[derive(Debug, clap::Args)]
pub struct Containers {
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
}

/// `POST /containers/{id}/pause` or `/unpause` for each container.
pub async fn pause(ctx: &Ctx, a: Containers, verb: &str) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    each_container(&client, http::Method::POST, &a.containers, |c| {
        format!("/containers/{c}/{verb}")
    })
    .await
}

/// `hako restart`.
#[derive(Debug, clap::Args)]
pub struct RestartArgs {
    /// Signal to send to the container
    #[arg(short = 's', long)]
    signal: Option<String>,
    /// Seconds to wait before killing the container
    #[arg(
        short = 't',
        long = "timeout",
        visible_alias = "time",
        allow_negative_numbers = true
    )]
    timeout: Option<i64>,
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
}

/// `POST /containers/{id}/restart`.
pub async fn restart(ctx: &Ctx, a: RestartArgs) -> anyhow::Result<i32> {
    super::stop::stop_each(ctx, "restart", a.signal, a.timeout, &a.containers).await
}

/// `hako rename`.
#[derive(Debug, clap::Args)]
pub struct RenameArgs {
    /// Container
    container: String,
    /// New name
    new_name: String,
}

/// `POST /containers/{id}/rename?name=`.
pub async fn rename(ctx: &Ctx, a: RenameArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let q = serde_urlencoded::to_string([("name", a.new_name.as_str())])?;
    client
        .call(
            http::Method::POST,
            &format!("/containers/{}/rename?{q}", a.container),
        )
        .await?;
    Ok(0)
}

/// `hako top`.
#[derive(Debug, clap::Args)]
pub struct TopArgs {
    /// Container
    container: String,
    /// `ps` options
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    ps_args: Vec<String>,
}

/// `GET /containers/{id}/top`, printed as Docker does (tabwriter minwidth 20, padding 3).
pub async fn top(ctx: &Ctx, a: TopArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let mut path = format!("/containers/{}/top", a.container);
    if !a.ps_args.is_empty() {
        let q = serde_urlencoded::to_string([("ps_args", a.ps_args.join(" "))])?;
        path = format!("{path}?{q}");
    }
    let t: TopResponse = client.get_json(&path).await?;
    let mut text = t.titles.join("\t");
    text.push('\n');
    for p in &t.processes {
        text.push_str(&p.join("\t"));
        text.push('\n');
    }
    out(&tabwrite_with(&text, 20, 3))?;
    Ok(0)
}

/// `hako update`.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable
    #[arg(long = "blkio-weight")]
    blkio_weight: Option<u16>,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(long = "cpu-period")]
    cpu_period: Option<i64>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(long = "cpu-quota")]
    cpu_quota: Option<i64>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long = "cpu-shares")]
    cpu_shares: Option<i64>,
    /// Number of CPUs
    #[arg(long)]
    cpus: Option<f64>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-cpus")]
    cpuset_cpus: Option<String>,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-mems")]
    cpuset_mems: Option<String>,
    /// Memory limit
    #[arg(short = 'm', long)]
    memory: Option<String>,
    /// Memory soft limit
    #[arg(long = "memory-reservation")]
    memory_reservation: Option<String>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long = "memory-swap", allow_hyphen_values = true)]
    memory_swap: Option<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", allow_negative_numbers = true)]
    pids_limit: Option<i64>,
    /// Restart policy to apply when a container exits
    #[arg(long)]
    restart: Option<String>,
    /// Containers
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
}

/// `POST /containers/{id}/update` for each container, printing its name.
pub async fn update(ctx: &Ctx, a: UpdateArgs) -> anyhow::Result<i32> {
    let size = |v: &Option<String>| -> anyhow::Result<i64> {
        match v.as_deref() {
            None => Ok(0),
            Some("-1") => Ok(-1),
            Some(s) => Ok(ram_in_bytes(s).map_err(|e| anyhow::anyhow!("{}", e.0))?),
        }
    };
    #[allow(clippy::cast_possible_truncation)]
    let nano_cpus = a.cpus.map_or(0, |c| (c * 1e9).round() as i64);
    let body = UpdateBody {
        resources: Resources {
            memory: size(&a.memory)?,
            memory_swap: size(&a.memory_swap)?,
            memory_reservation: size(&a.memory_reservation)?,
            nano_cpus,
            cpu_shares: a.cpu_shares.unwrap_or(0),
            cpu_period: a.cpu_period.unwrap_or(0),
            cpu_quota: a.cpu_quota.unwrap_or(0),
            cpuset_cpus: a.cpuset_cpus.clone().unwrap_or_default(),
            cpuset_mems: a.cpuset_mems.clone().unwrap_or_default(),
            pids_limit: a.pids_limit,
            blkio_weight: a.blkio_weight.unwrap_or(0),
            ..Resources::default()
        },
        restart_policy: match a.restart.as_deref() {
            Some(r) => {
                let p = restart_policy(r).map_err(|e| anyhow::anyhow!("{}", e.0))?;
                Some(RestartPolicy {
                    name: p.name,
                    maximum_retry_count: p.maximum_retry_count,
                })
            }
            None => None,
        },
    };
    let client = ctx.client().await?;
    let mut status = 0;
    for c in &a.containers {
        let r: Result<UpdateResponse, _> = client
            .post_json(&format!("/containers/{c}/update"), &body)
            .await;
        match r {
            Ok(resp) => {
                for w in resp.warnings.unwrap_or_default() {
                    eprintln!("{w}");
                }
                out(&format!("{c}\n"))?;
            }
            Err(e) => {
                eprintln!("{e}");
                status = 1;
            }
        }
    }
    Ok(status)
}

/// `hako container prune`.
#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long = "filter")]
    filter: Vec<String>,
}

/// `POST /containers/prune`, with Docker's prompt and report.
pub async fn prune(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    let mut filters = hako_api_types::Filters::default();
    for f in &a.filter {
        filters.add_flag(f)?;
    }
    if !a.force && !super::prune::confirm("This will remove all stopped containers.")? {
        return Ok(0);
    }
    let client = ctx.client().await?;
    let p = super::prune::containers(&client, &filters).await?;
    out(&format!("{}{}", p.report, super::prune::total(p.space)))?;
    Ok(0)
}

/// `hako stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long)]
    all: bool,
    /// Disable streaming stats and only pull the first result
    #[arg(long = "no-stream")]
    no_stream: bool,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Format output using a custom template ("table", "json" or a Go template)
    #[arg(long)]
    format: Option<String>,
    /// Containers (default: all running)
    #[arg(value_name = "CONTAINER")]
    containers: Vec<String>,
}

/// One row as Docker's `stats` formatter computes it.
fn row(s: &StatsResponse, no_trunc: bool) -> gtmpl::Value {
    let cpu_delta =
        s.cpu_stats.cpu_usage.total_usage as f64 - s.precpu_stats.cpu_usage.total_usage as f64;
    let sys_delta = s.cpu_stats.system_cpu_usage as f64 - s.precpu_stats.system_cpu_usage as f64;
    let cpus = match s.cpu_stats.online_cpus {
        0 => s
            .cpu_stats
            .cpu_usage
            .percpu_usage
            .as_ref()
            .map_or(0, Vec::len) as f64,
        n => f64::from(n),
    };
    let cpu = if sys_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / sys_delta * cpus * 100.0
    } else {
        0.0
    };
    let m = &s.memory_stats;
    let stats = m.stats.clone().unwrap_or_default();
    let mem = match stats.get("total_inactive_file") {
        Some(&v) if v < m.usage => m.usage - v,
        Some(_) => m.usage,
        None => match stats.get("inactive_file") {
            Some(&v) if v < m.usage => m.usage - v,
            _ => m.usage,
        },
    } as f64;
    let limit = m.limit as f64;
    let mem_pct = if limit > 0.0 {
        mem / limit * 100.0
    } else {
        0.0
    };
    let (mut rx, mut tx) = (0f64, 0f64);
    for n in s.networks.iter().flat_map(|n| n.values()) {
        rx += n.rx_bytes as f64;
        tx += n.tx_bytes as f64;
    }
    let (mut br, mut bw) = (0f64, 0f64);
    for e in s.blkio_stats.io_service_bytes_recursive.iter().flatten() {
        match e.op.chars().next() {
            Some('r' | 'R') => br += e.value as f64,
            Some('w' | 'W') => bw += e.value as f64,
            _ => {}
        }
    }
    let id = if no_trunc {
        s.id.clone()
    } else {
        s.id.chars().take(12).collect()
    };
    let name = s.name.trim_start_matches('/').to_owned();
    object(vec![
        ("Container", id.clone()),
        ("ID", id),
        ("Name", name),
        ("CPUPerc", format!("{cpu:.2}%")),
        (
            "MemUsage",
            format!("{} / {}", bytes_size(mem), bytes_size(limit)),
        ),
        ("MemPerc", format!("{mem_pct:.2}%")),
        (
            "NetIO",
            format!("{} / {}", human_size(rx, 3), human_size(tx, 3)),
        ),
        (
            "BlockIO",
            format!("{} / {}", human_size(br, 3), human_size(bw, 3)),
        ),
        ("PIDs", s.pids_stats.current.to_string()),
    ])
}

/// go-units `BytesSize`: binary units, `%.4g`.
fn bytes_size(v: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let (mut s, mut i) = (v, 0);
    while s >= 1024.0 && i < UNITS.len() - 1 {
        s /= 1024.0;
        i += 1;
    }
    format!("{}{}", go_fmt_g(s, 4), UNITS[i])
}

const DEFAULT_FORMAT: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// `GET /containers/{id}/stats?stream=0` for each container, once (`--no-stream`) or
/// every second, redrawing the table.
pub async fn stats(ctx: &Ctx, a: StatsArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let names = if a.containers.is_empty() {
        let path = if a.all {
            "/containers/json?all=1"
        } else {
            "/containers/json"
        };
        let list: Vec<serde_json::Value> = client.get_json(path).await?;
        list.iter()
            .filter_map(|c| c["Id"].as_str().map(str::to_owned))
            .collect()
    } else {
        a.containers.clone()
    };
    let format = a
        .format
        .clone()
        .unwrap_or_else(|| DEFAULT_FORMAT.to_owned());
    let format = if format == "table" {
        DEFAULT_FORMAT.to_owned()
    } else {
        format
    };
    let header = object(vec![
        ("Container", "CONTAINER".into()),
        ("ID", "CONTAINER ID".into()),
        ("Name", "NAME".into()),
        ("CPUPerc", "CPU %".into()),
        ("MemUsage", "MEM USAGE / LIMIT".into()),
        ("MemPerc", "MEM %".into()),
        ("NetIO", "NET I/O".into()),
        ("BlockIO", "BLOCK I/O".into()),
        ("PIDs", "PIDS".into()),
    ]);
    loop {
        let samples = futures_util::future::join_all(names.iter().map(|c| {
            let client = &client;
            async move {
                client
                    .get_json::<StatsResponse>(&format!("/containers/{c}/stats?stream=0"))
                    .await
            }
        }))
        .await;
        let mut rows = Vec::new();
        let mut status = 0;
        for s in samples {
            match s {
                Ok(s) => rows.push(row(&s, a.no_trunc)),
                Err(e) => {
                    eprintln!("{e}");
                    status = 1;
                }
            }
        }
        let text = render_list(&format, &rows, &header).map_err(|e| anyhow::anyhow!("{e}"))?;
        if a.no_stream {
            out(&text)?;
            return Ok(status);
        }
        out(&format!("\x1b[2J\x1b[H{text}"))?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
