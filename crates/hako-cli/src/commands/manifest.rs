//! `hako manifest inspect NAME`: what a registry holds under a name (media type, digest,
//! and each platform's manifest), through the daemon's `GET /distribution/{name}/json`,
//! printed as `docker buildx imagetools inspect` does.

use super::create::tagged;
use super::pull::registry_auth;
use super::{Ctx, out};
use hako_api_types::image::{DistributionInspect, OciPlatform};

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Show an image's manifest list or manifest on its registry
    Inspect(InspectArgs),
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako manifest inspect NAME[:TAG|@DIGEST]")]
pub struct InspectArgs {
    /// Image on its registry
    #[arg(value_name = "NAME[:TAG|@DIGEST]")]
    name: String,
}

pub async fn run(ctx: &Ctx, c: Cmd) -> anyhow::Result<i32> {
    let Cmd::Inspect(a) = c;
    let client = ctx.client().await?;
    let name = tagged(&a.name);
    let mut req = client.build(
        http::Method::GET,
        &format!("/distribution/{name}/json"),
        None,
        "application/json",
    )?;
    if let Some(auth) = registry_auth(&name)
        && let Ok(v) = http::HeaderValue::from_str(&auth)
    {
        req.headers_mut().insert("x-registry-auth", v);
    }
    let resp = client.send_raw(req, false).await?;
    let resp = crate::client::transport::check_status(resp).await?;
    let body = crate::client::transport::read_body(resp).await?;
    let found: DistributionInspect = serde_json::from_slice(&body)?;
    out(&render(&name, &found))?;
    Ok(0)
}

fn platform(p: &OciPlatform) -> String {
    let mut s = format!("{}/{}", p.os, p.architecture);
    if !p.variant.is_empty() {
        s.push('/');
        s.push_str(&p.variant);
    }
    s
}

fn render(name: &str, found: &DistributionInspect) -> String {
    let d = &found.descriptor;
    let mut s = format!(
        "Name:      {name}\nMediaType: {}\nDigest:    {}\n",
        d.media_type, d.digest
    );
    let single = found.manifests.len() == 1 && found.manifests[0].digest == d.digest;
    if single {
        if let Some(p) = &found.manifests[0].platform {
            s.push_str(&format!("Platform:  {}\n", platform(p)));
        }
        return s;
    }
    let repo = name.split('@').next().unwrap_or(name);
    let repo = match repo.rfind(':') {
        Some(i) if !repo[i..].contains('/') => &repo[..i],
        _ => repo,
    };
    s.push_str("\nManifests:\n");
    for (i, m) in found.manifests.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&format!(
            "  Name:      {repo}@{}\n  MediaType: {}\n",
            m.digest, m.media_type
        ));
        if let Some(p) = &m.platform {
            s.push_str(&format!("  Platform:  {}\n", platform(p)));
        }
    }
    s
}
