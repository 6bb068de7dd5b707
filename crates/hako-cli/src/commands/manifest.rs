//! `hako manifest inspect NAME`: what a registry holds under a name (media type, digest,
//! and each platform's manifest), through the daemon's `GET /distribution/{name}/json`,
//! printed as `docker buildx imagetools inspect` does.

use super::create::tagged;
use super::pull::registry_auth;
use super::{Ctx, out};
use hako_api_types::image::{DistributionInspect, OciDescriptor, OciPlatform};

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
    let entries: Vec<Entry<'_>> = found
        .manifests
        .iter()
        .map(|m| Entry {
            descriptor: m,
            available: None,
        })
        .collect();
    out(&render(&name, &found.descriptor, &entries))?;
    Ok(0)
}

/// One manifest to print; `available` is shown for local images (`hako image inspect
/// --platforms`).
pub struct Entry<'a> {
    pub descriptor: &'a OciDescriptor,
    pub available: Option<bool>,
}

fn platform(p: &OciPlatform) -> String {
    let mut s = format!("{}/{}", p.os, p.architecture);
    if !p.variant.is_empty() {
        s.push('/');
        s.push_str(&p.variant);
    }
    s
}

/// What `docker buildx imagetools inspect` prints: the top descriptor, then each
/// manifest (or the platform alone when the name is a single manifest).
pub fn render(name: &str, d: &OciDescriptor, manifests: &[Entry<'_>]) -> String {
    let mut s = format!(
        "Name:      {name}\nMediaType: {}\nDigest:    {}\n",
        d.media_type, d.digest
    );
    let single = manifests.len() == 1 && manifests[0].descriptor.digest == d.digest;
    if single {
        if let Some(p) = &manifests[0].descriptor.platform {
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
    for (i, e) in manifests.iter().enumerate() {
        let m = e.descriptor;
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
        if let Some(a) = e.available {
            s.push_str(&format!("  Available: {}\n", if a { "yes" } else { "no" }));
        }
    }
    s
}
