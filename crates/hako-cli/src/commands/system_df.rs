//! `hako system df [-v] [--format]`: docker's disk usage summary and verbose tables.

use super::{Ctx, out};
use crate::format::text::{ellipsis, truncate_id};
use crate::format::{human_duration, human_size, render_list, template};
use hako_api_types::system::DiskUsage;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako system df [OPTIONS]")]
pub struct DfArgs {
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')
    #[arg(long)]
    format: Option<String>,
    /// Show detailed information on space usage
    #[arg(short = 'v', long)]
    verbose: bool,
}

const SUMMARY_TABLE: &str =
    "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";

pub async fn df(ctx: &Ctx, a: DfArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let du: DiskUsage = client.get_json("/system/df").await?;
    if a.verbose
        && a.format
            .as_deref()
            .is_none_or(|f| f.is_empty() || f == "table")
    {
        out(&verbose(&du))?;
        return Ok(0);
    }
    let fmt = match a.format.as_deref() {
        Some(f) if !f.is_empty() && f != "table" => f.to_owned(),
        _ => SUMMARY_TABLE.to_owned(),
    };
    let header = template::object(vec![
        ("Type", "TYPE".into()),
        ("TotalCount", "TOTAL".into()),
        ("Active", "ACTIVE".into()),
        ("Size", "SIZE".into()),
        ("Reclaimable", "RECLAIMABLE".into()),
    ]);
    out(&render_list(&fmt, &summary(&du), &header)?)?;
    Ok(0)
}

fn size(n: i64) -> String {
    human_size(n as f64, 4)
}

/// `12.3MB (45%)`, or just the size when the total is 0 (docker's formatter).
fn with_percent(reclaimable: i64, total: i64) -> String {
    if total > 0 {
        format!("{} ({}%)", size(reclaimable), reclaimable * 100 / total)
    } else {
        size(reclaimable)
    }
}

fn row(kind: &str, total: usize, active: usize, sz: String, reclaimable: String) -> gtmpl::Value {
    template::object(vec![
        ("Type", kind.to_owned()),
        ("TotalCount", total.to_string()),
        ("Active", active.to_string()),
        ("Size", sz),
        ("Reclaimable", reclaimable),
    ])
}

fn is_active(state: &str) -> bool {
    matches!(
        state.to_lowercase().as_str(),
        "running" | "paused" | "restarting"
    )
}

fn summary(du: &DiskUsage) -> Vec<gtmpl::Value> {
    let images = du.images.as_deref().unwrap_or_default();
    let used: i64 = images
        .iter()
        .filter(|i| i.containers > 0 && i.shared_size >= 0)
        .map(|i| i.size - i.shared_size)
        .sum();
    let containers = du.containers.as_deref().unwrap_or_default();
    let rw = |c: &hako_api_types::container::ContainerSummary| c.size_rw.unwrap_or(0);
    let ctr_total: i64 = containers.iter().map(rw).sum();
    let ctr_reclaimable: i64 = containers
        .iter()
        .filter(|c| !is_active(&c.state))
        .map(rw)
        .sum();
    let volumes = du.volumes.as_deref().unwrap_or_default();
    let usage = |v: &hako_api_types::volume::Volume| {
        v.usage_data
            .as_ref()
            .map_or((0, 0), |u| (u.ref_count, u.size.max(0)))
    };
    let vol_total: i64 = volumes.iter().map(|v| usage(v).1).sum();
    let vol_reclaimable: i64 = volumes
        .iter()
        .filter(|v| usage(v).0 == 0)
        .map(|v| usage(v).1)
        .sum();
    vec![
        row(
            "Images",
            images.len(),
            images.iter().filter(|i| i.containers > 0).count(),
            size(du.layers_size),
            with_percent(du.layers_size - used, du.layers_size),
        ),
        row(
            "Containers",
            containers.len(),
            containers.iter().filter(|c| is_active(&c.state)).count(),
            size(ctr_total),
            with_percent(ctr_reclaimable, ctr_total),
        ),
        row(
            "Local Volumes",
            volumes.len(),
            volumes.iter().filter(|v| usage(v).0 > 0).count(),
            size(vol_total),
            with_percent(vol_reclaimable, vol_total),
        ),
        row("Build Cache", 0, 0, size(0), size(0)),
    ]
}

fn verbose(du: &DiskUsage) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut s = String::from("Images space usage:\n\n");
    let mut t = String::from(
        "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS\n",
    );
    for i in du.images.as_deref().unwrap_or_default() {
        let (repo, tag) = i
            .repo_tags
            .first()
            .and_then(|r| {
                let slash = r.rfind('/').map_or(0, |p| p + 1);
                r[slash..]
                    .rfind(':')
                    .map(|p| (r[..slash + p].to_owned(), r[slash + p + 1..].to_owned()))
            })
            .unwrap_or_else(|| ("<none>".into(), "<none>".into()));
        t.push_str(&format!(
            "{repo}\t{tag}\t{}\t{} ago\t{}\t{}\t{}\t{}\n",
            truncate_id(&i.id),
            human_duration((now - i.created) as f64),
            human_size(i.size as f64, 3),
            human_size(i.shared_size.max(0) as f64, 4),
            human_size((i.size - i.shared_size.max(0)) as f64, 4),
            i.containers
        ));
    }
    s.push_str(&crate::format::table::tabwrite(&t));
    s.push_str("\nContainers space usage:\n\n");
    let mut t =
        String::from("CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES\n");
    for c in du.containers.as_deref().unwrap_or_default() {
        let volumes = c.mounts.iter().filter(|m| m.r#type == "volume").count();
        t.push_str(&format!(
            "{}\t{}\t\"{}\"\t{volumes}\t{}\t{} ago\t{}\t{}\n",
            truncate_id(&c.id),
            c.image,
            ellipsis(&c.command, 20),
            human_size(c.size_rw.unwrap_or(0) as f64, 3),
            human_duration((now - c.created) as f64),
            c.status,
            c.names
                .iter()
                .map(|n| n.trim_start_matches('/'))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    s.push_str(&crate::format::table::tabwrite(&t));
    s.push_str("\nLocal Volumes space usage:\n\n");
    let mut t = String::from("VOLUME NAME\tLINKS\tSIZE\n");
    for v in du.volumes.as_deref().unwrap_or_default() {
        let (links, sz) = v
            .usage_data
            .as_ref()
            .map_or((0, 0), |u| (u.ref_count, u.size.max(0)));
        t.push_str(&format!(
            "{}\t{links}\t{}\n",
            v.name,
            human_size(sz as f64, 4)
        ));
    }
    s.push_str(&crate::format::table::tabwrite(&t));
    s.push_str("\nBuild cache usage: 0B\n\n");
    s.push_str(&crate::format::table::tabwrite(
        "CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED\n",
    ));
    s
}
