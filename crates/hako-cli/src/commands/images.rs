//! `hako images` / `hako image ls`.

use super::{Ctx, out};
use crate::format::text::truncate_id;
use crate::format::time::go_time_string;
use crate::format::{human_duration, human_size, render_list, template};
use hako_api_types::filters::Filters;
use hako_api_types::image::ImageSummary;
use hako_api_types::query::ImageListQuery;
use std::collections::BTreeMap;

const DEFAULT_TABLE: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
const DIGESTS_TABLE: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako images [OPTIONS] [REPOSITORY[:TAG]]")]
pub struct Args {
    /// Show all images (default hides intermediate images)
    #[arg(short = 'a', long)]
    all: bool,
    /// Show digests
    #[arg(long)]
    digests: bool,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')
    #[arg(long)]
    format: Option<String>,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Only show image IDs
    #[arg(short = 'q', long)]
    quiet: bool,
    /// List multi-platform images as a tree (EXPERIMENTAL)
    #[arg(long, conflicts_with_all = ["format", "quiet", "digests"])]
    tree: bool,
    /// Repository[:tag]
    #[arg(value_name = "REPOSITORY[:TAG]")]
    reference: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let mut filters = Filters::new();
    for f in &a.filter {
        filters.add_flag(f)?;
    }
    if let Some(r) = &a.reference {
        filters.add("reference", r.clone());
    }
    let fmt = match a.format.as_deref() {
        Some(f) if !f.is_empty() && f != "table" => f.to_owned(),
        _ if a.quiet => "{{.ID}}".to_owned(),
        _ if a.digests => DIGESTS_TABLE.to_owned(),
        _ => DEFAULT_TABLE.to_owned(),
    };
    let q = ImageListQuery {
        all: a.all,
        filters: (!filters.is_empty()).then_some(filters),
        manifests: a.tree,
        ..Default::default()
    };
    let client = ctx.client().await?;
    let q = serde_urlencoded::to_string(&q)?;
    let path = if q.is_empty() {
        "/images/json".to_owned()
    } else {
        format!("/images/json?{q}")
    };
    let list: Vec<ImageSummary> = client.get_json(&path).await?;
    if a.tree {
        // docker's width: the terminal's, 80 without one.
        let width = crate::tty::stdout_is_tty()
            .then(crate::tty::size)
            .flatten()
            .map_or(80, |(cols, _)| usize::from(cols));
        out(&super::images_tree::render(&list, width))?;
        return Ok(0);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let quiet_ids = a.quiet && a.format.is_none();
    let mut rows = Vec::new();
    for img in &list {
        let r = rows_for(img, !a.no_trunc, now);
        if quiet_ids {
            rows.extend(r.into_iter().take(1));
        } else {
            rows.extend(r);
        }
    }
    out(&render_list(&fmt, &rows, &header())?)?;
    Ok(0)
}

fn header() -> gtmpl::Value {
    template::object(vec![
        ("ID", "IMAGE ID".into()),
        ("Repository", "REPOSITORY".into()),
        ("Tag", "TAG".into()),
        ("Digest", "DIGEST".into()),
        ("CreatedSince", "CREATED".into()),
        ("CreatedAt", "CREATED AT".into()),
        ("Size", "SIZE".into()),
        ("Containers", "CONTAINERS".into()),
        ("VirtualSize", "VIRTUAL SIZE".into()),
        ("SharedSize", "SHARED SIZE".into()),
        ("UniqueSize", "UNIQUE SIZE".into()),
    ])
}

/// One row per repository:tag (docker's `imageFormat`): digests shown for their
/// repository, `<none>` where there is nothing.
fn rows_for(img: &ImageSummary, trunc: bool, now: i64) -> Vec<gtmpl::Value> {
    let id = if trunc {
        truncate_id(&img.id)
    } else {
        img.id.clone()
    };
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut digests: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &img.repo_tags {
        if t == "<none>:<none>" {
            continue;
        }
        let (repo, tag) = split_tag(t);
        tags.entry(repo.to_owned())
            .or_default()
            .push(tag.to_owned());
    }
    for d in &img.repo_digests {
        if d == "<none>@<none>" {
            continue;
        }
        if let Some((repo, dig)) = d.split_once('@') {
            digests
                .entry(repo.to_owned())
                .or_default()
                .push(dig.to_owned());
        }
    }
    let mut pairs: Vec<(String, String, String)> = Vec::new();
    for (repo, ts) in &tags {
        let dig = digests
            .get(repo)
            .and_then(|d| d.first())
            .cloned()
            .unwrap_or_else(|| "<none>".into());
        for t in ts {
            pairs.push((repo.clone(), t.clone(), dig.clone()));
        }
    }
    for (repo, ds) in &digests {
        if !tags.contains_key(repo) {
            for d in ds {
                pairs.push((repo.clone(), "<none>".into(), d.clone()));
            }
        }
    }
    if pairs.is_empty() {
        pairs.push(("<none>".into(), "<none>".into(), "<none>".into()));
    }
    let since = if img.created > 0 {
        format!("{} ago", human_duration((now - img.created) as f64))
    } else {
        "N/A".into()
    };
    let shared = if img.shared_size < 0 {
        "N/A".to_owned()
    } else {
        human_size(img.shared_size as f64, 3)
    };
    let unique = if img.shared_size < 0 {
        "N/A".to_owned()
    } else {
        human_size((img.size - img.shared_size) as f64, 3)
    };
    let containers = if img.containers < 0 {
        "N/A".to_owned()
    } else {
        img.containers.to_string()
    };
    pairs
        .into_iter()
        .map(|(repo, tag, digest)| {
            template::object(vec![
                ("ID", id.clone()),
                ("Repository", repo),
                ("Tag", tag),
                ("Digest", digest),
                ("CreatedSince", since.clone()),
                ("CreatedAt", go_time_string(img.created)),
                ("Size", human_size(img.size as f64, 3)),
                ("Containers", containers.clone()),
                (
                    "VirtualSize",
                    human_size(img.virtual_size.unwrap_or(img.size) as f64, 4),
                ),
                ("SharedSize", shared.clone()),
                ("UniqueSize", unique.clone()),
            ])
        })
        .collect()
}

/// `localhost:5000/x:1.0` → (`localhost:5000/x`, `1.0`): the tag is after the last colon
/// of the last path component.
fn split_tag(r: &str) -> (&str, &str) {
    let slash = r.rfind('/').map_or(0, |i| i + 1);
    match r[slash..].rfind(':') {
        Some(i) => (&r[..slash + i], &r[slash + i + 1..]),
        None => (r, "<none>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_rows() {
        assert_eq!(
            split_tag("localhost:5000/x:1.0"),
            ("localhost:5000/x", "1.0")
        );
        assert_eq!(split_tag("busybox"), ("busybox", "<none>"));
        let img = ImageSummary {
            id: "sha256:7dd601fe6368b2a0f3554031648554df14f97b5dae395968149b91f7268e00a5".into(),
            repo_tags: vec!["busybox:latest".into(), "busybox:1".into()],
            created: 100,
            size: 1_990_000,
            ..Default::default()
        };
        let out = render_list(DEFAULT_TABLE, &rows_for(&img, true, 103), &header()).unwrap();
        assert_eq!(
            out,
            "REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\n\
             busybox      latest    7dd601fe6368   3 seconds ago   1.99MB\n\
             busybox      1         7dd601fe6368   3 seconds ago   1.99MB\n"
        );
        let dangling = ImageSummary {
            id: "sha256:ab".into(),
            ..Default::default()
        };
        let out = render_list(
            "{{.Repository}} {{.Tag}} {{.CreatedSince}}",
            &rows_for(&dangling, true, 5),
            &header(),
        )
        .unwrap();
        assert_eq!(out, "<none> <none> N/A\n");
    }
}
