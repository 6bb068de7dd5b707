//! `hako stop`: `POST /containers/{id}/stop`, printing each name as given.

use super::Ctx;
use super::each::{each_container, with_query};
use hako_api_types::query::StopQuery;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako stop [OPTIONS] CONTAINER [CONTAINER...]")]
pub struct Args {
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

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    stop_each(ctx, "stop", a.signal, a.timeout, &a.containers).await
}

/// `POST /containers/{id}/<verb>?signal=&t=` for each container: stop and restart.
pub(super) async fn stop_each(
    ctx: &Ctx,
    verb: &str,
    signal: Option<String>,
    t: Option<i64>,
    containers: &[String],
) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let q = serde_urlencoded::to_string(StopQuery { signal, t })?;
    each_container(&client, http::Method::POST, containers, |c| {
        with_query(format!("/containers/{c}/{verb}"), &q)
    })
    .await
}
