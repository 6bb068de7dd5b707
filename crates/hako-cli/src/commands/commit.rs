//! `hako commit`, `hako history` and `hako image prune`.

use super::{Ctx, out, prune};
use crate::error::StatusError;
use crate::format::text::{ellipsis, truncate_id};
use crate::format::{human_duration, human_size, render_list, template};
use hako_api_types::filters::Filters;
use hako_api_types::image::{CommitQuery, HistoryResponseItem, IdResponse};

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]")]
pub struct Args {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
    #[arg(short = 'a', long)]
    author: Option<String>,
    /// Apply Dockerfile instruction to the created image
    #[arg(short = 'c', long = "change")]
    change: Vec<String>,
    /// Commit message
    #[arg(short = 'm', long)]
    message: Option<String>,
    /// Pause container during commit
    #[arg(short = 'p', long, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pause: bool,
    /// Container
    #[arg(value_name = "CONTAINER")]
    container: String,
    /// Repository[:tag] for the image
    #[arg(value_name = "REPOSITORY[:TAG]")]
    reference: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let (repo, tag) = match &a.reference {
        None => (None, None),
        Some(r) if r.contains('@') => {
            return Err(
                StatusError::new(1, "refusing to create a tag with a digest reference").into(),
            );
        }
        Some(r) => {
            let slash = r.rfind('/').map_or(0, |i| i + 1);
            match r[slash..].rfind(':') {
                Some(i) => (
                    Some(r[..slash + i].to_owned()),
                    Some(r[slash + i + 1..].to_owned()),
                ),
                None => (Some(r.clone()), None),
            }
        }
    };
    let q = CommitQuery {
        container: a.container,
        repo,
        tag,
        comment: a.message,
        author: a.author,
        pause: a.pause,
        changes: a.change,
    };
    let client = ctx.client().await?;
    let path = format!("/commit?{}", q.to_query_string());
    let resp: IdResponse = client.post_empty(&path).await?;
    out(&format!("{}\n", resp.id))?;
    Ok(0)
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako history [OPTIONS] IMAGE")]
pub struct HistoryArgs {
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')
    #[arg(long)]
    format: Option<String>,
    /// Print sizes and dates in human readable format
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    human: bool,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Only show image IDs
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Image
    #[arg(value_name = "IMAGE")]
    image: String,
}

const HISTORY_TABLE: &str =
    "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

pub async fn history(ctx: &Ctx, a: HistoryArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let rows: Vec<HistoryResponseItem> = client
        .get_json(&format!("/images/{}/history", a.image))
        .await?;
    let fmt = match a.format.as_deref() {
        Some(f) if !f.is_empty() && f != "table" => f.to_owned(),
        _ if a.quiet => "{{.ID}}".to_owned(),
        _ => HISTORY_TABLE.to_owned(),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let values: Vec<gtmpl::Value> = rows
        .iter()
        .map(|h| history_row(h, !a.no_trunc, a.human, now))
        .collect();
    let header = template::object(vec![
        ("ID", "IMAGE".into()),
        ("CreatedSince", "CREATED".into()),
        ("CreatedAt", "CREATED AT".into()),
        ("CreatedBy", "CREATED BY".into()),
        ("Size", "SIZE".into()),
        ("Comment", "COMMENT".into()),
    ]);
    out(&render_list(&fmt, &values, &header)?)?;
    Ok(0)
}

fn history_row(h: &HistoryResponseItem, trunc: bool, human: bool, now: i64) -> gtmpl::Value {
    let id = if trunc && h.id.starts_with("sha256:") {
        truncate_id(&h.id)
    } else {
        h.id.clone()
    };
    let created_at = time::OffsetDateTime::from_unix_timestamp(h.created)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let since = if human {
        format!("{} ago", human_duration((now - h.created) as f64))
    } else {
        created_at.clone()
    };
    let created_by = h.created_by.replace('\t', " ");
    let created_by = if trunc {
        ellipsis(&created_by, 45)
    } else {
        created_by
    };
    let size = if human {
        human_size(h.size as f64, 3)
    } else {
        h.size.to_string()
    };
    template::object(vec![
        ("ID", id),
        ("CreatedSince", since),
        ("CreatedAt", created_at),
        ("CreatedBy", created_by),
        ("Size", size),
        ("Comment", h.comment.clone()),
    ])
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako image prune [OPTIONS]")]
pub struct PruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short = 'a', long)]
    all: bool,
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long = "filter")]
    filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

pub async fn prune(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    let mut filters = Filters::new();
    for f in &a.filter {
        filters.add_flag(f)?;
    }
    if !a.force {
        let what = if a.all {
            "all images without at least one container associated to them"
        } else {
            "all dangling images"
        };
        if !prune::confirm(&format!("This will remove {what}."))? {
            return Ok(0);
        }
    }
    let client = ctx.client().await?;
    let p = prune::images(&client, a.all, &filters).await?;
    out(&format!("{}{}", p.report, prune::total(p.space)))?;
    Ok(0)
}
