//! `hako pull`: download an image from a registry, with a progress line per layer redrawn
//! in place on a terminal (as the docker CLI draws them; Docker's lines otherwise), credentials from `config.json` sent as
//! `X-Registry-Auth` as the docker CLI does.

use std::io::IsTerminal;

use hako_api_types::progress::JsonMessage;
use hako_api_types::query::ImageCreateQuery;

use super::Ctx;
use super::create::tagged;
use crate::client::Client;
use crate::client::stream::BodyLines;
use crate::error::StatusError;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako pull [OPTIONS] NAME[:TAG|@DIGEST]")]
pub struct Args {
    /// Download all tagged images in the repository
    #[arg(short = 'a', long = "all-tags")]
    all_tags: bool,
    /// Set platform if server is multi-platform capable
    #[arg(long, env = "DOCKER_DEFAULT_PLATFORM")]
    platform: Option<String>,
    /// Suppress verbose output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Skip image verification
    #[arg(long = "disable-content-trust", default_value_t = true, hide = true)]
    disable_content_trust: bool,
    /// Image to pull
    #[arg(value_name = "NAME[:TAG|@DIGEST]")]
    name: String,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    if a.all_tags {
        return Err(StatusError::new(1, "pulling all tags (-a) is not supported yet").into());
    }
    let client = ctx.client().await?;
    let name = if a.quiet {
        pull(&client, &a.name, a.platform.as_deref(), Output::Quiet).await?
    } else {
        let out = if std::io::stdout().is_terminal() {
            Output::Bars
        } else {
            Output::Lines
        };
        pull(&client, &a.name, a.platform.as_deref(), out).await?
    };
    println!("{name}");
    Ok(0)
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Nothing but errors.
    Quiet,
    /// One line per status change (what docker prints without a terminal).
    Lines,
    /// One bar per layer (indicatif).
    Bars,
}

/// The registry part of a reference as the docker CLI keys `auths` (`docker.io` is
/// `https://index.docker.io/v1/`).
fn registry_key(image: &str) -> String {
    let first = image.split('/').next().unwrap_or("");
    let has_domain =
        image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if !has_domain || first == "docker.io" || first == "index.docker.io" {
        "https://index.docker.io/v1/".to_owned()
    } else {
        first.to_owned()
    }
}

/// `X-Registry-Auth` for `image` from `$DOCKER_CONFIG/config.json` (or
/// `~/.docker/config.json`): the entry's `auth` (base64 `user:password`), base64url JSON.
pub fn registry_auth(image: &str) -> Option<String> {
    let key = registry_key(image);
    let cfg = super::login::load_config().ok()?;
    let entry = super::login::find_auth(&cfg, &key)?;
    Some(super::login::encode_auth_header(&entry, &key))
}

/// Pulls `image` and returns the name pulled (`docker.io/library/busybox:latest` style is
/// what docker prints last; we print the tagged form given).
pub async fn pull(
    client: &Client,
    image: &str,
    platform: Option<&str>,
    out: Output,
) -> anyhow::Result<String> {
    let full = tagged(image);
    let (name, tag) = match full.split_once('@') {
        Some((n, d)) => (n.to_owned(), d.to_owned()),
        None => {
            let slash = full.rfind('/').map_or(0, |i| i + 1);
            let i = full[slash..].rfind(':').map_or(full.len(), |i| slash + i);
            (full[..i].to_owned(), full[i + 1..].to_owned())
        }
    };
    let q = ImageCreateQuery {
        from_image: Some(name),
        tag: Some(tag),
        platform: platform.filter(|p| !p.is_empty()).map(str::to_owned),
        ..Default::default()
    };
    let mut req = client.build(
        http::Method::POST,
        &format!("/images/create?{}", q.to_query_string()),
        None,
        "application/json",
    )?;
    if let Some(auth) = registry_auth(&full)
        && let Ok(v) = http::HeaderValue::from_str(&auth)
    {
        req.headers_mut().insert("x-registry-auth", v);
    }
    let resp = client.send_raw(req, false).await?;
    let resp = crate::client::transport::check_status(resp).await?;
    let mut lines = BodyLines::new(resp);
    let mut view = View::new(out);
    while let Some(line) = lines.next_line().await? {
        let Ok(m) = serde_json::from_slice::<JsonMessage>(&line) else {
            continue;
        };
        if let Some(err) = m.error_message() {
            view.finish();
            return Err(StatusError::new(1, err.to_owned()).into());
        }
        view.show(&m);
    }
    view.finish();
    Ok(full)
}

/// `hako push NAME[:TAG]`.
#[derive(Debug, clap::Args)]
#[command(override_usage = "hako push [OPTIONS] NAME[:TAG]")]
pub struct PushArgs {
    /// Push all tags of an image to the repository
    #[arg(short = 'a', long = "all-tags")]
    all_tags: bool,
    /// Suppress verbose output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Skip image signing
    #[arg(long = "disable-content-trust", default_value_t = true, hide = true)]
    disable_content_trust: bool,
    /// Image to push
    #[arg(value_name = "NAME[:TAG]")]
    name: String,
}

/// `hako push`: `POST /images/{name}/push?tag=` with `X-Registry-Auth`, progress drawn as
/// for pulls. As docker 28's CLI: a name without tag pushes `latest` ("Using default
/// tag: latest"); `-a` sends no tag at all, which has the daemon push every tag of the
/// repository, and refuses a name with a tag.
pub async fn push_run(ctx: &Ctx, a: PushArgs) -> anyhow::Result<i32> {
    let last = a.name.rsplit('/').next().unwrap_or(&a.name);
    let name_only = !last.contains(':') && !a.name.contains('@');
    if a.all_tags && !name_only {
        return Err(StatusError::new(1, "tag can't be used with --all-tags/-a").into());
    }
    if !a.all_tags && name_only && !a.quiet {
        println!("Using default tag: latest");
    }
    let client = ctx.client().await?;
    let full = if a.all_tags {
        a.name.clone()
    } else {
        tagged(&a.name)
    };
    let path = if a.all_tags {
        format!("/images/{}/push", a.name)
    } else {
        let slash = full.rfind('/').map_or(0, |i| i + 1);
        let i = full[slash..].rfind(':').map_or(full.len(), |i| slash + i);
        let (name, tag) = (&full[..i], full.get(i + 1..).unwrap_or("latest"));
        let q = serde_urlencoded::to_string([("tag", tag)])?;
        format!("/images/{name}/push?{q}")
    };
    let mut req = client.build(http::Method::POST, &path, None, "application/json")?;
    // The docker CLI always sends the header (an empty auth when it has none).
    let auth = registry_auth(&full).unwrap_or_else(|| "e30=".to_owned());
    if let Ok(v) = http::HeaderValue::from_str(&auth) {
        req.headers_mut().insert("x-registry-auth", v);
    }
    let resp = client.send_raw(req, false).await?;
    let resp = crate::client::transport::check_status(resp).await?;
    let out = if a.quiet {
        Output::Quiet
    } else if std::io::stdout().is_terminal() {
        Output::Bars
    } else {
        Output::Lines
    };
    let mut lines = BodyLines::new(resp);
    let mut view = View::new(out);
    while let Some(line) = lines.next_line().await? {
        let Ok(m) = serde_json::from_slice::<JsonMessage>(&line) else {
            continue;
        };
        if let Some(err) = m.error_message() {
            return Err(StatusError::new(1, err.to_owned()).into());
        }
        view.show(&m);
    }
    if a.quiet {
        println!("{full}");
    }
    Ok(0)
}

/// `hako tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`.
#[derive(Debug, clap::Args)]
#[command(override_usage = "hako tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")]
pub struct TagArgs {
    /// Source image
    source: String,
    /// Target image
    target: String,
}

/// `POST /images/{source}/tag?repo=&tag=`.
pub async fn tag_run(ctx: &Ctx, a: TagArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let slash = a.target.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match a.target[slash..].rfind(':') {
        Some(i) => (&a.target[..slash + i], &a.target[slash + i + 1..]),
        None => (a.target.as_str(), ""),
    };
    let q = serde_urlencoded::to_string([("repo", repo), ("tag", tag)])?;
    client
        .call(http::Method::POST, &format!("/images/{}/tag?{q}", a.source))
        .await?;
    Ok(0)
}

/// Progress display state: moby's `DisplayJSONMessagesStream`. On a terminal each layer
/// keeps its own line, redrawn in place (cursor up, clear line) as its status changes;
/// otherwise every status change is one line and byte counts are left out.
pub(crate) struct View {
    out: Output,
    /// Layer IDs in the order their lines were printed.
    lines: Vec<String>,
}

impl View {
    pub(crate) fn new(out: Output) -> View {
        View {
            out,
            lines: Vec::new(),
        }
    }

    pub(crate) fn show(&mut self, m: &JsonMessage) {
        let Some(status) = m.status.as_deref() else {
            return;
        };
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        match (self.out, m.id.as_deref()) {
            (Output::Quiet, _) => {}
            (Output::Lines, Some(id)) => {
                if status != "Downloading" && status != "Extracting" && status != "Pushing" {
                    let _ = writeln!(o, "{id}: {status}");
                }
            }
            (_, None) => {
                let _ = writeln!(o, "{status}");
            }
            (Output::Bars, Some(id)) if status.starts_with("Pulling from") => {
                let _ = writeln!(o, "{id}: {status}");
            }
            (Output::Bars, Some(id)) => {
                let text = match m.progress.as_deref() {
                    Some(p) if !p.is_empty() => format!("{id}: {status} {p}"),
                    _ => format!("{id}: {status}"),
                };
                match self.lines.iter().position(|l| l == id) {
                    None => {
                        self.lines.push(id.to_owned());
                        let _ = writeln!(o, "{text}");
                    }
                    Some(i) => {
                        let up = self.lines.len() - i;
                        // Up to the layer's line, clear it, write, and back down.
                        let _ = write!(o, "\x1b[{up}A\r\x1b[2K{text}\r\x1b[{up}B");
                    }
                }
            }
        }
        let _ = o.flush();
    }

    pub(crate) fn finish(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::registry_key;

    #[test]
    fn auth_keys_as_docker() {
        assert_eq!(
            registry_key("busybox:latest"),
            "https://index.docker.io/v1/"
        );
        assert_eq!(
            registry_key("library/busybox"),
            "https://index.docker.io/v1/"
        );
        assert_eq!(registry_key("docker.io/x/y"), "https://index.docker.io/v1/");
        assert_eq!(registry_key("127.0.0.1:5001/busybox"), "127.0.0.1:5001");
        assert_eq!(registry_key("localhost/x"), "localhost");
    }
}
