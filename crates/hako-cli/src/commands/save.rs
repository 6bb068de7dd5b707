//! `hako save` / `hako image save`: images as a tar archive, to a file or stdout.

use std::io::IsTerminal;

use hako_api_types::query::ImageSaveQuery;

use super::Ctx;
use crate::error::StatusError;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako save [OPTIONS] IMAGE [IMAGE...]")]
pub struct Args {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long = "output")]
    output: Option<String>,
    /// Save only the given platform variant. Formatted as os[/arch[/variant]] (e.g., linux/amd64)
    #[arg(long)]
    platform: Option<String>,
    /// Images to save
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    if a.output.is_none() && std::io::stdout().is_terminal() {
        // The docker CLI's words.
        return Err(StatusError::new(
            1,
            "cowardly refusing to save to a terminal. Use the -o flag or redirect",
        )
        .into());
    }
    let q = ImageSaveQuery {
        names: a.images.clone(),
        platforms: a
            .platform
            .as_deref()
            .map(platform_json)
            .transpose()?
            .into_iter()
            .collect(),
    };
    let client = ctx.client().await?;
    let resp = client
        .request(
            http::Method::GET,
            &format!("/images/get?{}", q.to_query_string()),
            None,
        )
        .await?;
    crate::client::download::save_body(resp, a.output.as_deref(), "failed to save image").await?;
    Ok(0)
}

/// `--platform os[/arch[/variant]]` as the OCI platform JSON the API takes (API 1.48's
/// `platform` of save and load).
pub fn platform_json(s: &str) -> anyhow::Result<String> {
    let parts: Vec<&str> = s.trim().split('/').collect();
    let bad = || {
        StatusError::new(
            1,
            format!("invalid platform {s:?}: expected os[/arch[/variant]]"),
        )
    };
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(bad().into());
    }
    let mut p = serde_json::Map::new();
    p.insert("os".into(), parts[0].to_lowercase().into());
    // The architecture defaults to this machine's, as containerd's parser does.
    let arch = parts.get(1).map_or_else(host_arch, |a| a.to_lowercase());
    p.insert("architecture".into(), arch.into());
    if let Some(v) = parts.get(2) {
        p.insert("variant".into(), v.to_lowercase().into());
    }
    Ok(serde_json::Value::Object(p).to_string())
}

fn host_arch() -> String {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
    .to_owned()
}
