//! `hako info`: system-wide information, in docker's layout (the common subset).

use super::{Ctx, out};
use crate::format::{self, GoTemplate, template};
use hako_api_types::system::SystemInfo;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako info [OPTIONS]")]
pub struct Args {
    /// Format output using a custom template ('json', 'TEMPLATE')
    #[arg(short = 'f', long)]
    format: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let raw: Box<serde_json::value::RawValue> = client.get_json("/info").await?;
    if let Some(f) = a.format.as_deref().filter(|f| !f.is_empty()) {
        let t = if f == "json" {
            "{{json .}}".to_owned()
        } else {
            format::unescape(f)
        };
        out(&format!(
            "{}\n",
            GoTemplate::parse(&t)?.render(&template::from_json_str(raw.get())?)?
        ))?;
        return Ok(0);
    }
    let i: SystemInfo = serde_json::from_str(raw.get())?;
    let mut s = String::new();
    s.push_str("Client:\n");
    s.push_str(&format!(" Version:    {}\n", env!("CARGO_PKG_VERSION")));
    s.push_str(" Context:    default\n");
    s.push_str(" Debug Mode: false\n\n");
    s.push_str("Server:\n");
    s.push_str(&format!(" Containers: {}\n", i.containers));
    s.push_str(&format!("  Running: {}\n", i.containers_running));
    s.push_str(&format!("  Paused: {}\n", i.containers_paused));
    s.push_str(&format!("  Stopped: {}\n", i.containers_stopped));
    s.push_str(&format!(" Images: {}\n", i.images));
    s.push_str(&format!(" Server Version: {}\n", i.server_version));
    s.push_str(&format!(" Storage Driver: {}\n", i.driver));
    for [k, v] in i.driver_status.iter().flatten() {
        s.push_str(&format!("  {k}: {v}\n"));
    }
    s.push_str(&format!(" Logging Driver: {}\n", i.logging_driver));
    s.push_str(&format!(" Cgroup Driver: {}\n", i.cgroup_driver));
    s.push_str(&format!(" Cgroup Version: {}\n", i.cgroup_version));
    if let Some(p) = &i.plugins {
        s.push_str(" Plugins:\n");
        for (name, list) in [
            ("Volume", &p.volume),
            ("Network", &p.network),
            ("Authorization", &p.authorization),
            ("Log", &p.log),
        ] {
            if let Some(l) = list.as_ref().filter(|l| !l.is_empty()) {
                s.push_str(&format!("  {name}: {}\n", l.join(" ")));
            }
        }
    }
    let swarm = i
        .swarm
        .as_ref()
        .and_then(|s| s.get("LocalNodeState"))
        .and_then(|v| v.as_str())
        .unwrap_or("inactive");
    s.push_str(&format!(" Swarm: {swarm}\n"));
    if let Some(r) = &i.runtimes {
        s.push_str(&format!(
            " Runtimes: {}\n",
            r.keys().cloned().collect::<Vec<_>>().join(" ")
        ));
    }
    s.push_str(&format!(" Default Runtime: {}\n", i.default_runtime));
    s.push_str(&format!(" Init Binary: {}\n", i.init_binary));
    for (name, c) in [
        ("containerd", &i.containerd_commit),
        ("runc", &i.runc_commit),
        ("init", &i.init_commit),
    ] {
        let c = c.clone().unwrap_or_default();
        s.push_str(&format!(" {name} version: {}", c.id));
        if let Some(exp) = c.expected.filter(|e| *e != c.id) {
            s.push_str(&format!(" (expected: {exp})"));
        }
        s.push('\n');
    }
    if let Some(opts) = i.security_options.as_ref().filter(|o| !o.is_empty()) {
        s.push_str(" Security Options:\n");
        for o in opts {
            for (n, kv) in o.split(',').enumerate() {
                let (k, v) = kv.split_once('=').unwrap_or(("", kv));
                if n == 0 {
                    s.push_str(&format!("  {v}\n"));
                } else {
                    let mut key = k.to_owned();
                    if let Some(c) = key.get_mut(0..1) {
                        c.make_ascii_uppercase();
                    }
                    s.push_str(&format!("   {key}: {v}\n"));
                }
            }
        }
    }
    s.push_str(&format!(" Kernel Version: {}\n", i.kernel_version));
    s.push_str(&format!(" Operating System: {}\n", i.operating_system));
    s.push_str(&format!(" OSType: {}\n", i.os_type));
    s.push_str(&format!(" Architecture: {}\n", i.architecture));
    if !i.platforms.is_empty() {
        s.push_str(&format!(" Platforms: {}\n", i.platforms.join(", ")));
    }
    s.push_str(&format!(" CPUs: {}\n", i.ncpu));
    s.push_str(&format!(
        " Total Memory: {}\n",
        bytes_size(i.mem_total as f64)
    ));
    s.push_str(&format!(" Name: {}\n", i.name));
    s.push_str(&format!(" ID: {}\n", i.id));
    s.push_str(&format!(" Docker Root Dir: {}\n", i.docker_root_dir));
    s.push_str(&format!(" Debug Mode: {}\n", i.debug));
    s.push_str(&format!(" Experimental: {}\n", i.experimental_build));
    registries(&mut s, i.registry_config.as_ref());
    s.push_str(&format!(
        " Live Restore Enabled: {}\n",
        i.live_restore_enabled
    ));
    let mut text = s;
    for w in i.warnings.iter().flatten() {
        eprintln!("{w}");
    }
    text.push('\n');
    out(&text)?;
    Ok(0)
}

/// "Insecure Registries" and "Registry Mirrors" from `RegistryConfig`, as docker prints
/// them (index names sorted, as Go's map order is random anyway).
fn registries(s: &mut String, cfg: Option<&serde_json::Value>) {
    let Some(cfg) = cfg else { return };
    let list = |k: &str| -> Vec<String> {
        cfg.get(k)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let cidrs = list("InsecureRegistryCIDRs");
    let index = cfg.get("IndexConfigs").and_then(|v| v.as_object());
    if !cidrs.is_empty() || index.is_some_and(|m| !m.is_empty()) {
        s.push_str(" Insecure Registries:\n");
        let mut names: Vec<&str> = index
            .into_iter()
            .flatten()
            .filter(|(_, c)| c.get("Secure").and_then(|v| v.as_bool()) == Some(false))
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort_unstable();
        for n in names {
            s.push_str(&format!("  {n}\n"));
        }
        for c in cidrs {
            s.push_str(&format!("  {c}\n"));
        }
    }
    let mirrors = list("Mirrors");
    if !mirrors.is_empty() {
        s.push_str(" Registry Mirrors:\n");
        for m in mirrors {
            s.push_str(&format!("  {m}\n"));
        }
    }
}

/// go-units `BytesSize`: binary units, 4 significant digits ("23.54GiB").
fn bytes_size(size: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut s = size;
    let mut i = 0;
    while s >= 1024.0 && i < UNITS.len() - 1 {
        s /= 1024.0;
        i += 1;
    }
    format!("{}{}", hako_api_types::units::go_fmt_g(s, 4), UNITS[i])
}
