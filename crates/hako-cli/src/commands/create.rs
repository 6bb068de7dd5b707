//! `hako create`, plus the create-with-pull logic `run` shares.

use super::container_opts::ContainerOpts;
use super::container_opts::convert::{CreateRequest, to_create};
use super::{Ctx, out};
use crate::client::stream::BodyLines;
use crate::client::{Client, ClientError};
use clap::ArgAction;
use hako_api_types::container::ContainerCreateResponse;
use hako_api_types::progress::JsonMessage;
use hako_api_types::query::ImageCreateQuery;

#[derive(Debug, clap::Args)]
#[command(
    disable_help_flag = true,
    override_usage = "hako create [OPTIONS] IMAGE [COMMAND] [ARG...]"
)]
pub struct Args {
    /// Print usage
    #[arg(long, action = ArgAction::Help)]
    help: Option<bool>,
    #[command(flatten)]
    pub opts: ContainerOpts,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    a.opts.check_image("create")?;
    let client = ctx.client().await?;
    let (id, _) = create_container(&client, &a.opts, false).await?;
    out(&format!("{id}\n"))?;
    Ok(0)
}

/// Creates the container; when the image is missing and `--pull` allows, pulls it and
/// tries once more. Returns the ID and the request that was sent.
pub async fn create_container(
    client: &Client,
    opts: &ContainerOpts,
    detach: bool,
) -> anyhow::Result<(String, CreateRequest)> {
    let mut req = to_create(opts, detach, &|k| std::env::var(k).ok(), &|f| {
        std::fs::read_to_string(f)
    })?;
    // docker 23+ sends the terminal size at create, so the process starts with it.
    if opts.tty
        && let Some((h, w)) = crate::tty::size()
        && let Some(hc) = req.body.host_config.as_mut()
    {
        hc.console_size = [u32::from(h), u32::from(w)];
    }
    let q = serde_urlencoded::to_string(&req.query)?;
    let path = if q.is_empty() {
        "/containers/create".to_owned()
    } else {
        format!("/containers/create?{q}")
    };
    if opts.pull == "always" {
        pull_image(client, opts.image(), opts.platform.as_deref(), opts.quiet).await?;
    }
    let resp = match client
        .post_json::<_, ContainerCreateResponse>(&path, &req.body)
        .await
    {
        Err(e) if is_missing_image(&e) && opts.pull != "never" => {
            eprintln!("Unable to find image '{}' locally", tagged(opts.image()));
            pull_image(client, opts.image(), opts.platform.as_deref(), opts.quiet).await?;
            client.post_json(&path, &req.body).await?
        }
        r => r?,
    };
    for w in &resp.warnings {
        eprintln!("WARNING: {w}");
    }
    if let Some(f) = &opts.cidfile {
        write_cidfile(f, &resp.id)?;
    }
    Ok((resp.id, req))
}

/// `--cidfile`: the new container's ID; like docker, refuse to overwrite a file.
fn write_cidfile(path: &str, id: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                anyhow::anyhow!("container ID file found, make sure the other container isn't running or delete {path}")
            }
            _ => anyhow::anyhow!("failed to create the container ID file: {e}"),
        })?;
    f.write_all(id.as_bytes())?;
    Ok(())
}

fn is_missing_image(e: &ClientError) -> bool {
    e.is_not_found()
        && e.daemon_message()
            .is_some_and(|m| m.starts_with("No such image"))
}

/// `busybox` → `busybox:latest`, as docker names the image it looks for.
pub fn tagged(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') || image.contains('@') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

/// `POST /images/create?fromImage=...`: streams progress to stderr (docker prints pull
/// progress of `run` there) and fails on the first error message.
pub async fn pull_image(
    client: &Client,
    image: &str,
    platform: Option<&str>,
    quiet: bool,
) -> anyhow::Result<()> {
    let full = tagged(image);
    let (name, tag) = match full.split_once('@') {
        Some((n, d)) => (n.to_owned(), d.to_owned()),
        None => {
            let i = full.rfind(':').unwrap_or(full.len());
            (full[..i].to_owned(), full[i + 1..].to_owned())
        }
    };
    let q = ImageCreateQuery {
        from_image: Some(name),
        tag: Some(tag),
        platform: platform.map(str::to_owned),
        ..Default::default()
    };
    let mut req = client.build(
        http::Method::POST,
        &format!("/images/create?{}", q.to_query_string()),
        None,
        "application/json",
    )?;
    if let Some(auth) = super::pull::registry_auth(&full)
        && let Ok(v) = http::HeaderValue::from_str(&auth)
    {
        req.headers_mut().insert("x-registry-auth", v);
    }
    let resp = client.send_raw(req, false).await?;
    let resp = crate::client::transport::check_status(resp).await?;
    let mut lines = BodyLines::new(resp);
    while let Some(line) = lines.next_line().await? {
        let Ok(m) = serde_json::from_slice::<JsonMessage>(&line) else {
            continue;
        };
        if let Some(err) = m.error_message() {
            anyhow::bail!("{err}");
        }
        if quiet {
            continue;
        }
        match (&m.id, &m.status) {
            (Some(id), Some(s)) => eprintln!("{id}: {s}"),
            (None, Some(s)) => eprintln!("{s}"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn tagging() {
        assert_eq!(super::tagged("busybox"), "busybox:latest");
        assert_eq!(super::tagged("busybox:1.36"), "busybox:1.36");
        assert_eq!(super::tagged("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(super::tagged("x@sha256:ab"), "x@sha256:ab");
    }
}
