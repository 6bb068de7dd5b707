//! `hako network create|ls|inspect|rm|connect|disconnect|prune`, with docker's flags
//! and output.

use super::{Ctx, out, prune};
use crate::format::{render_list, template};
use hako_api_types::filters::Filters;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const DEFAULT_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Create a network
    Create(CreateArgs),
    /// List networks
    #[command(name = "ls", visible_alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more networks
    Inspect(InspectArgs),
    /// Remove one or more networks
    #[command(name = "rm", visible_alias = "remove")]
    Rm(RmArgs),
    /// Connect a container to a network
    Connect(ConnectArgs),
    /// Disconnect a container from a network
    Disconnect(DisconnectArgs),
    /// Remove all unused networks
    Prune(PruneArgs),
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako network create [OPTIONS] NETWORK")]
pub struct CreateArgs {
    /// Driver to manage the Network
    #[arg(short = 'd', long, default_value = "bridge")]
    driver: String,
    /// Subnet in CIDR format that represents a network segment
    #[arg(long)]
    subnet: Vec<String>,
    /// IPv4 or IPv6 Gateway for the master subnet
    #[arg(long)]
    gateway: Vec<String>,
    /// Allocate container ip from a sub-range
    #[arg(long = "ip-range")]
    ip_range: Vec<String>,
    /// Restrict external access to the network
    #[arg(long)]
    internal: bool,
    /// Enable manual container attachment
    #[arg(long)]
    attachable: bool,
    /// Enable or disable IPv6 networking
    #[arg(long)]
    ipv6: bool,
    /// Set metadata on a network
    #[arg(long)]
    label: Vec<String>,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt")]
    opt: Vec<String>,
    #[arg(value_name = "NETWORK")]
    name: String,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako network ls [OPTIONS]")]
pub struct LsArgs {
    /// Provide filter values (e.g. "driver=bridge")
    #[arg(short = 'f', long = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
    /// Do not truncate the output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Only display network IDs
    #[arg(short = 'q', long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako network inspect [OPTIONS] NETWORK [NETWORK...]")]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Verbose output for diagnostics (accepted, nothing more to show)
    #[arg(short = 'v', long)]
    verbose: bool,
    #[arg(required = true, value_name = "NETWORK")]
    names: Vec<String>,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako network rm NETWORK [NETWORK...]")]
pub struct RmArgs {
    /// Do not error if the network does not exist
    #[arg(short = 'f', long)]
    force: bool,
    #[arg(required = true, value_name = "NETWORK")]
    names: Vec<String>,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako network connect [OPTIONS] NETWORK CONTAINER")]
pub struct ConnectArgs {
    /// Add network-scoped alias for the container
    #[arg(long)]
    alias: Vec<String>,
    /// IPv4 address (e.g., "172.30.100.104")
    #[arg(long)]
    ip: Option<String>,
    /// IPv6 address (e.g., "2001:db8::33")
    #[arg(long)]
    ip6: Option<String>,
    /// Add link to another container
    #[arg(long)]
    link: Vec<String>,
    #[arg(value_name = "NETWORK")]
    network: String,
    #[arg(value_name = "CONTAINER")]
    container: String,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako network disconnect [OPTIONS] NETWORK CONTAINER")]
pub struct DisconnectArgs {
    /// Force the container to disconnect from a network
    #[arg(short = 'f', long)]
    force: bool,
    #[arg(value_name = "NETWORK")]
    network: String,
    #[arg(value_name = "CONTAINER")]
    container: String,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako network prune [OPTIONS]")]
pub struct PruneArgs {
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long = "filter")]
    filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

pub async fn run(ctx: &Ctx, c: Cmd) -> anyhow::Result<i32> {
    match c {
        Cmd::Create(a) => create(ctx, a).await,
        Cmd::Ls(a) => ls(ctx, a).await,
        Cmd::Inspect(a) => inspect(ctx, a).await,
        Cmd::Rm(a) => rm(ctx, a).await,
        Cmd::Connect(a) => connect(ctx, a).await,
        Cmd::Disconnect(a) => disconnect(ctx, a).await,
        Cmd::Prune(a) => prune(ctx, a).await,
    }
}

fn key_values(list: &[String]) -> BTreeMap<String, String> {
    list.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (kv.clone(), String::new()),
        })
        .collect()
}

/// `/networks/{name}`: network names and IDs need no escaping (`[a-zA-Z0-9_.-]`), anything
/// else is refused by the daemon as not found.
fn network_path(name: &str, tail: &str) -> String {
    format!("/networks/{name}{tail}")
}

/// Docker's IPAM config from `--subnet`, `--gateway`, `--ip-range`: each gateway and range
/// belongs to the one subnet holding it (with one subnet, to that one).
fn ipam_config(a: &CreateArgs) -> anyhow::Result<Vec<Value>> {
    if a.subnet.is_empty() && (!a.gateway.is_empty() || !a.ip_range.is_empty()) {
        anyhow::bail!("every ip-range or gateway must have a corresponding subnet");
    }
    if a.gateway.len() > a.subnet.len() || a.ip_range.len() > a.subnet.len() {
        anyhow::bail!("cannot configure multiple ranges or gateways on the same subnet");
    }
    Ok(a.subnet
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut c = serde_json::Map::new();
            c.insert("Subnet".into(), json!(s));
            if let Some(g) = a.gateway.get(i) {
                c.insert("Gateway".into(), json!(g));
            }
            if let Some(r) = a.ip_range.get(i) {
                c.insert("IPRange".into(), json!(r));
            }
            Value::Object(c)
        })
        .collect())
}

async fn create(ctx: &Ctx, a: CreateArgs) -> anyhow::Result<i32> {
    let config = ipam_config(&a)?;
    let body = json!({
        "Name": a.name,
        "Driver": a.driver,
        "Internal": a.internal,
        "Attachable": a.attachable,
        "EnableIPv6": a.ipv6,
        "IPAM": {"Driver": "default", "Config": config, "Options": {}},
        "Labels": key_values(&a.label),
        "Options": key_values(&a.opt),
    });
    let client = ctx.client().await?;
    let v: Value = client.post_json("/networks/create", &body).await?;
    out(&format!("{}\n", v["Id"].as_str().unwrap_or_default()))?;
    Ok(0)
}

fn with_filters(path: &str, filters: &Filters) -> anyhow::Result<String> {
    if filters.is_empty() {
        return Ok(path.to_owned());
    }
    let q = serde_urlencoded::to_string([("filters", filters.to_json())])?;
    Ok(format!("{path}?{q}"))
}

fn filters_of(list: &[String]) -> anyhow::Result<Filters> {
    let mut filters = Filters::new();
    for f in list {
        filters.add_flag(f)?;
    }
    Ok(filters)
}

/// Go's `sortorder.NaturalLess`: digit runs compare as numbers.
fn natural_less(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let tx: &[u8] = &dx[dx.iter().take_while(|&&c| c == b'0').count()..];
                let ty: &[u8] = &dy[dy.iter().take_while(|&&c| c == b'0').count()..];
                let o = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

pub(crate) fn sort_natural(list: &mut [String]) {
    list.sort_by(|a, b| natural_less(a, b));
}

async fn ls(ctx: &Ctx, a: LsArgs) -> anyhow::Result<i32> {
    let filters = filters_of(&a.filter)?;
    let fmt = match a.format.as_deref() {
        Some(f) if !f.is_empty() && f != "table" => f.to_owned(),
        _ if a.quiet => "{{.ID}}".to_owned(),
        _ => DEFAULT_TABLE.to_owned(),
    };
    let client = ctx.client().await?;
    let mut nets: Vec<Value> = client
        .get_json(&with_filters("/networks", &filters)?)
        .await?;
    nets.sort_by(|x, y| {
        natural_less(
            x["Name"].as_str().unwrap_or_default(),
            y["Name"].as_str().unwrap_or_default(),
        )
    });
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let rows: Vec<gtmpl::Value> = nets
        .iter()
        .map(|n| {
            let id = s(&n["Id"]);
            let id = if a.no_trunc {
                id
            } else {
                id.chars().take(12).collect()
            };
            let labels: Vec<String> = n["Labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default();
            template::object(vec![
                ("ID", id),
                ("Name", s(&n["Name"])),
                ("Driver", s(&n["Driver"])),
                ("Scope", s(&n["Scope"])),
                (
                    "IPv6",
                    n["EnableIPv6"].as_bool().unwrap_or(false).to_string(),
                ),
                (
                    "IPv4",
                    n["EnableIPv4"].as_bool().unwrap_or(true).to_string(),
                ),
                (
                    "Internal",
                    n["Internal"].as_bool().unwrap_or(false).to_string(),
                ),
                ("Labels", labels.join(",")),
                ("CreatedAt", s(&n["Created"])),
            ])
        })
        .collect();
    let header = template::object(vec![
        ("ID", "NETWORK ID".into()),
        ("Name", "NAME".into()),
        ("Driver", "DRIVER".into()),
        ("Scope", "SCOPE".into()),
        ("IPv6", "IPV6".into()),
        ("IPv4", "IPV4".into()),
        ("Internal", "INTERNAL".into()),
        ("Labels", "LABELS".into()),
        ("CreatedAt", "CREATED AT".into()),
    ]);
    out(&render_list(&fmt, &rows, &header)?)?;
    Ok(0)
}

async fn inspect(ctx: &Ctx, a: InspectArgs) -> anyhow::Result<i32> {
    let _ = a.verbose;
    let tmpl = super::inspect::template_of(a.format.as_deref())?;
    let client = ctx.client().await?;
    let (found, errors) =
        super::inspect::fetch_each(&client, &a.names, |n| network_path(n, "")).await;
    super::inspect::print_objects(tmpl.as_ref(), &found, &errors)
}

async fn rm(ctx: &Ctx, a: RmArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let mut status = 0;
    for name in &a.names {
        match client
            .call(http::Method::DELETE, &network_path(name, ""))
            .await
        {
            Ok(_) => out(&format!("{name}\n"))?,
            Err(e) if a.force && e.is_not_found() => {}
            Err(e) => {
                eprintln!("{e}");
                status = 1;
            }
        }
    }
    Ok(status)
}

async fn connect(ctx: &Ctx, a: ConnectArgs) -> anyhow::Result<i32> {
    let mut ipam = serde_json::Map::new();
    if let Some(ip) = &a.ip {
        ipam.insert("IPv4Address".into(), json!(ip));
    }
    if let Some(ip) = &a.ip6 {
        ipam.insert("IPv6Address".into(), json!(ip));
    }
    let body = json!({
        "Container": a.container,
        "EndpointConfig": {
            "IPAMConfig": ipam,
            "Aliases": a.alias,
            "Links": a.link,
        },
    });
    let client = ctx.client().await?;
    post_ignoring_body(&client, &network_path(&a.network, "/connect"), &body).await?;
    Ok(0)
}

async fn disconnect(ctx: &Ctx, a: DisconnectArgs) -> anyhow::Result<i32> {
    let body = json!({"Container": a.container, "Force": a.force});
    let client = ctx.client().await?;
    post_ignoring_body(&client, &network_path(&a.network, "/disconnect"), &body).await?;
    Ok(0)
}

/// `POST` with a JSON body whose (empty) answer only has to succeed.
async fn post_ignoring_body(
    client: &crate::client::Client,
    path: &str,
    body: &Value,
) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(body)?;
    let resp = client
        .request(http::Method::POST, path, Some(bytes))
        .await?;
    crate::client::transport::read_body(resp).await?;
    Ok(())
}

async fn prune(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    let filters = filters_of(&a.filter)?;
    if !a.force
        && !prune::confirm(
            "This will remove all custom networks not used by at least one container.",
        )?
    {
        return Ok(0);
    }
    let client = ctx.client().await?;
    out(&prune::networks(&client, &filters).await?.report)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_numbers() {
        let mut l: Vec<String> = ["net10", "net2", "bridge", "net1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_natural(&mut l);
        assert_eq!(l, ["bridge", "net1", "net2", "net10"]);
    }
}
