//! `hako system prune [-a] [--volumes] [--filter] [-f]`: stopped containers, unused
//! networks, dangling (or, with `-a`, unused) images, build cache, and with `--volumes`
//! anonymous volumes, in the docker CLI's order, with its prompt and report.

use hako_api_types::filters::Filters;

use super::prune::{self, Pruned};
use super::{Ctx, out};
use crate::error::StatusError;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako system prune [OPTIONS]")]
pub struct Args {
    /// Remove all unused images not just dangling ones
    #[arg(short = 'a', long)]
    all: bool,
    /// Provide filter values (e.g. "label=<key>=<value>")
    #[arg(long = "filter")]
    filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Prune anonymous volumes
    #[arg(long)]
    volumes: bool,
}

/// The docker CLI's confirmation text (its `confirmationTemplate`).
fn message(a: &Args) -> String {
    let mut warnings = vec![
        "all stopped containers",
        "all networks not used by at least one container",
    ];
    if a.volumes {
        warnings.push("all anonymous volumes not used by at least one container");
    }
    warnings.push(if a.all {
        "all images without at least one container associated to them"
    } else {
        "all dangling images"
    });
    warnings.push(if a.all {
        "all build cache"
    } else {
        "unused build cache"
    });
    let mut s = String::from("This will remove:");
    for w in warnings {
        s.push_str("\n  - ");
        s.push_str(w);
    }
    s.push('\n');
    if !a.filter.is_empty() {
        s.push_str("\n  Items to be pruned will be filtered with:");
        for f in &a.filter {
            s.push_str("\n  - ");
            s.push_str(f);
        }
        s.push('\n');
    }
    s
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let mut filters = Filters::new();
    for f in &a.filter {
        filters.add_flag(f)?;
    }
    if a.volumes
        && a.filter
            .iter()
            .any(|f| f.trim_start().starts_with("until="))
    {
        return Err(StatusError::new(
            1,
            "ERROR: The \"until\" filter is not supported with \"--volumes\"",
        )
        .into());
    }
    // Declining is not an error for the docker CLI either: nothing printed, status 0.
    if !a.force && !prune::confirm(&message(&a))? {
        return Ok(0);
    }
    let client = ctx.client().await?;
    let mut steps: Vec<Pruned> = vec![
        prune::containers(&client, &filters).await?,
        prune::networks(&client, &filters).await?,
    ];
    if a.volumes {
        steps.push(prune::volumes(&client, &filters).await?);
    }
    steps.push(prune::images(&client, a.all, &filters).await?);
    steps.push(prune::build_cache(&client, a.all, &filters).await?);
    let mut text = String::new();
    let mut space = 0;
    for p in steps {
        text.push_str(&p.report);
        space += p.space;
    }
    text.push_str(&prune::total(space));
    out(&text)?;
    Ok(0)
}
