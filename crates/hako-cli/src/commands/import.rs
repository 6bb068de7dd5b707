//! `hako import`: create an image from a tarball (file, URL or `-` for stdin).

use super::{Ctx, out};
use crate::client::ClientError;
use crate::client::stream::BodyLines;
use crate::error::StatusError;
use hako_api_types::progress::JsonMessage;
use hako_api_types::query::ImageCreateQuery;
use tokio::io::AsyncRead;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]")]
pub struct Args {
    /// Apply Dockerfile instruction to the created image
    #[arg(short = 'c', long = "change")]
    change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    message: Option<String>,
    /// Set platform if server is multi-platform capable
    #[arg(long)]
    platform: Option<String>,
    /// file|URL|- to import
    #[arg(value_name = "file|URL|-")]
    source: String,
    /// Repository[:tag] for the image
    #[arg(value_name = "REPOSITORY[:TAG]")]
    reference: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let remote = a.source.starts_with("http://") || a.source.starts_with("https://");
    // The tarball goes out as it is read: it may be bigger than memory.
    let body: Option<Box<dyn AsyncRead + Send + Unpin>> = if remote {
        None
    } else if a.source == "-" {
        Some(Box::new(tokio::io::stdin()))
    } else {
        Some(Box::new(tokio::fs::File::open(&a.source).await.map_err(
            |e| {
                StatusError::new(
                    1,
                    format!("open {}: {}", a.source, e.to_string().to_lowercase()),
                )
            },
        )?))
    };
    let (repo, tag) = match &a.reference {
        None => (None, None),
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
    let q = ImageCreateQuery {
        from_src: Some(if remote { a.source.clone() } else { "-".into() }),
        repo,
        tag,
        message: a.message.clone(),
        platform: a.platform.clone(),
        changes: a.change.clone(),
        ..Default::default()
    };
    let client = ctx.client().await?;
    let path = format!("/images/create?{}", q.to_query_string());
    let resp = match body {
        Some(b) => {
            client
                .request_stream(http::Method::POST, &path, b, "application/x-tar")
                .await?
        }
        None => client.request(http::Method::POST, &path, None).await?,
    };
    let mut lines = BodyLines::new(resp);
    let mut printed = String::new();
    while let Some(line) = lines.next_line().await? {
        let m: JsonMessage =
            serde_json::from_slice(&line).map_err(|e| ClientError::Decode(e.to_string()))?;
        if let Some(err) = m.error_message() {
            out(&printed)?;
            return Err(StatusError::new(1, err.to_owned()).into());
        }
        if let Some(s) = m.status {
            match m.id {
                Some(id) => printed.push_str(&format!("{id}: {s}\n")),
                None => printed.push_str(&format!("{s}\n")),
            }
        }
    }
    out(&printed)?;
    Ok(0)
}
