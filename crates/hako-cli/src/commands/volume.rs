//! `hako volume create|ls|inspect|rm|prune`.

use super::{Ctx, out, prune};
use crate::format::{render_list, template};
use hako_api_types::filters::Filters;
use hako_api_types::volume::{
    Volume, VolumeCreateOptions, VolumeFiltersQuery, VolumeListResponse, VolumeRemoveQuery,
};
use std::collections::BTreeMap;

const DEFAULT_TABLE: &str = "table {{.Driver}}\t{{.Name}}";

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Create a volume
    Create(CreateArgs),
    /// List volumes
    #[command(name = "ls", visible_alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more volumes
    Inspect(InspectArgs),
    /// Remove one or more volumes
    #[command(name = "rm", visible_alias = "remove")]
    Rm(RmArgs),
    /// Remove unused local volumes
    Prune(PruneArgs),
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako volume create [OPTIONS] [VOLUME]")]
pub struct CreateArgs {
    /// Specify volume driver name
    #[arg(short = 'd', long, default_value = "local")]
    driver: String,
    /// Set metadata for a volume
    #[arg(long)]
    label: Vec<String>,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt")]
    opt: Vec<String>,
    /// Specify volume name
    #[arg(long = "name", hide = true)]
    name_flag: Option<String>,
    /// Volume name
    name: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako volume ls [OPTIONS]")]
pub struct LsArgs {
    /// Provide filter values (e.g. "dangling=true")
    #[arg(short = 'f', long = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
    /// Only display volume names
    #[arg(short = 'q', long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako volume inspect [OPTIONS] VOLUME [VOLUME...]")]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    format: Option<String>,
    #[arg(required = true, value_name = "VOLUME")]
    names: Vec<String>,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako volume rm [OPTIONS] VOLUME [VOLUME...]")]
pub struct RmArgs {
    /// Force the removal of one or more volumes
    #[arg(short = 'f', long)]
    force: bool,
    #[arg(required = true, value_name = "VOLUME")]
    names: Vec<String>,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako volume prune [OPTIONS]")]
pub struct PruneArgs {
    /// Remove all unused volumes, not just anonymous ones
    #[arg(short = 'a', long)]
    all: bool,
    /// Provide filter values (e.g. "label=<label>")
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

async fn create(ctx: &Ctx, a: CreateArgs) -> anyhow::Result<i32> {
    if let (Some(f), Some(p)) = (&a.name_flag, &a.name)
        && f != p
    {
        anyhow::bail!(
            "conflicting options: either specify --name or provide positional arg, not both"
        );
    }
    let body = VolumeCreateOptions {
        name: a.name.or(a.name_flag).unwrap_or_default(),
        driver: a.driver,
        driver_opts: Some(key_values(&a.opt)),
        labels: Some(key_values(&a.label)),
    };
    let client = ctx.client().await?;
    let v: Volume = client.post_json("/volumes/create", &body).await?;
    out(&format!("{}\n", v.name))?;
    Ok(0)
}

fn with_filters(path: &str, filters: Filters) -> anyhow::Result<String> {
    let q = serde_urlencoded::to_string(VolumeFiltersQuery {
        filters: (!filters.is_empty()).then_some(filters),
    })?;
    Ok(if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    })
}

async fn ls(ctx: &Ctx, a: LsArgs) -> anyhow::Result<i32> {
    let mut filters = Filters::new();
    for f in &a.filter {
        filters.add_flag(f)?;
    }
    let fmt = match a.format.as_deref() {
        Some(f) if !f.is_empty() && f != "table" => f.to_owned(),
        _ if a.quiet => "{{.Name}}".to_owned(),
        _ => DEFAULT_TABLE.to_owned(),
    };
    let client = ctx.client().await?;
    let list: VolumeListResponse = client.get_json(&with_filters("/volumes", filters)?).await?;
    let mut vols = list.volumes.unwrap_or_default();
    vols.sort_by(|a, b| a.name.cmp(&b.name));
    let rows: Vec<gtmpl::Value> = vols
        .iter()
        .map(|v| {
            let labels: Vec<String> = v.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            template::object(vec![
                ("Name", v.name.clone()),
                ("Driver", v.driver.clone()),
                ("Scope", v.scope.clone()),
                ("Mountpoint", v.mountpoint.clone()),
                ("Labels", labels.join(",")),
                ("Links", "N/A".into()),
                ("Size", "N/A".into()),
                ("Availability", "N/A".into()),
                ("Group", "N/A".into()),
            ])
        })
        .collect();
    let header = template::object(vec![
        ("Name", "VOLUME NAME".into()),
        ("Driver", "DRIVER".into()),
        ("Scope", "SCOPE".into()),
        ("Mountpoint", "MOUNTPOINT".into()),
        ("Labels", "LABELS".into()),
        ("Links", "LINKS".into()),
        ("Size", "SIZE".into()),
        ("Availability", "AVAILABILITY".into()),
        ("Group", "GROUP".into()),
    ]);
    out(&render_list(&fmt, &rows, &header)?)?;
    Ok(0)
}

async fn inspect(ctx: &Ctx, a: InspectArgs) -> anyhow::Result<i32> {
    let tmpl = super::inspect::template_of(a.format.as_deref())?;
    let client = ctx.client().await?;
    let (found, errors) =
        super::inspect::fetch_each(&client, &a.names, |n| format!("/volumes/{n}")).await;
    super::inspect::print_objects(tmpl.as_ref(), &found, &errors)
}

async fn rm(ctx: &Ctx, a: RmArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let q = serde_urlencoded::to_string(VolumeRemoveQuery { force: a.force })?;
    let mut status = 0;
    for name in &a.names {
        let path = if q.is_empty() {
            format!("/volumes/{name}")
        } else {
            format!("/volumes/{name}?{q}")
        };
        match client.call(http::Method::DELETE, &path).await {
            Ok(_) => out(&format!("{name}\n"))?,
            Err(e) => {
                eprintln!("{e}");
                status = 1;
            }
        }
    }
    Ok(status)
}

async fn prune(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    let mut filters = Filters::new();
    for f in &a.filter {
        filters.add_flag(f)?;
    }
    if a.all {
        filters.add("all", "true".to_owned());
    }
    if !a.force {
        let what = if a.all {
            "all local volumes"
        } else {
            "anonymous local volumes"
        };
        if !prune::confirm(&format!(
            "This will remove {what} not used by at least one container."
        ))? {
            return Ok(0);
        }
    }
    let client = ctx.client().await?;
    let p = prune::volumes(&client, &filters).await?;
    out(&format!("{}{}", p.report, prune::total(p.space)))?;
    Ok(0)
}
