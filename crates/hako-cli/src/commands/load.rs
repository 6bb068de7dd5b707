//! `hako load` / `hako image load`: images from a `docker save` archive (file or stdin).

use std::io::IsTerminal;

use tokio::io::AsyncRead;

use hako_api_types::progress::JsonMessage;
use hako_api_types::query::ImageLoadQuery;

use super::{Ctx, out};
use crate::client::ClientError;
use crate::client::stream::BodyLines;
use crate::error::StatusError;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako load [OPTIONS]")]
pub struct Args {
    /// Read from tar archive file, instead of STDIN
    #[arg(short = 'i', long = "input")]
    input: Option<String>,
    /// Suppress the load output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Load only the given platform variant. Formatted as os[/arch[/variant]] (e.g., linux/amd64)
    #[arg(long)]
    platform: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    // The archive goes out as it is read: it may be bigger than memory.
    let body: Box<dyn AsyncRead + Send + Unpin> = match &a.input {
        Some(path) => Box::new(tokio::fs::File::open(path).await.map_err(|e| {
            StatusError::new(1, format!("open {path}: {}", e.to_string().to_lowercase()))
        })?),
        None => {
            if std::io::stdin().is_terminal() {
                // The docker CLI's words.
                return Err(
                    StatusError::new(1, "requested load from stdin, but stdin is empty").into(),
                );
            }
            Box::new(tokio::io::stdin())
        }
    };
    // As docker's CLI: progress only for a terminal.
    let terminal = std::io::stdout().is_terminal();
    let q = ImageLoadQuery {
        quiet: a.quiet || !terminal,
        platform: a
            .platform
            .as_deref()
            .map(super::save::platform_json)
            .transpose()?,
    };
    let query = serde_urlencoded::to_string(&q).map_err(|e| ClientError::Request(e.to_string()))?;
    let client = ctx.client().await?;
    let resp = client
        .request_stream(
            http::Method::POST,
            &format!("/images/load?{query}"),
            body,
            "application/x-tar",
        )
        .await?;
    let mut lines = BodyLines::new(resp);
    let mut printed = String::new();
    let mut view = super::pull::View::new(super::pull::Output::Bars);
    while let Some(line) = lines.next_line().await? {
        let m: JsonMessage =
            serde_json::from_slice(&line).map_err(|e| ClientError::Decode(e.to_string()))?;
        if let Some(err) = m.error_message() {
            out(&printed)?;
            return Err(StatusError::new(1, err.to_owned()).into());
        }
        // Layer bars (only sent when not quiet, i.e. to a terminal), drawn as pull's.
        view.show(&m);
        if let Some(s) = m.stream {
            printed.push_str(&s);
        }
    }
    out(&printed)?;
    Ok(0)
}
