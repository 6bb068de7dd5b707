//! `hako build`: Docker's classic builder. The context directory goes to `POST /build`
//! as a tar written while it is read; the daemon's JSON stream is printed as
//! `docker build` prints it with the legacy builder (`Step 1/4 : ...`), and a failed
//! `RUN` exits with that command's code, as docker does.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Ctx, out};
use crate::client::ClientError;
use crate::client::stream::BodyLines;
use crate::error::StatusError;
use hako_api_types::progress::JsonMessage;
use tokio::io::AsyncRead;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako build [OPTIONS] PATH | -")]
pub struct Args {
    /// Name and optionally a tag in the "name:tag" format
    #[arg(short = 't', long = "tag")]
    tag: Vec<String>,
    /// Name of the Dockerfile (Default is "PATH/Dockerfile")
    #[arg(short = 'f', long = "file")]
    file: Option<String>,
    /// Set build-time variables
    #[arg(long = "build-arg")]
    build_arg: Vec<String>,
    /// Set metadata for an image
    #[arg(long = "label")]
    label: Vec<String>,
    /// Do not use cache when building the image
    #[arg(long = "no-cache")]
    no_cache: bool,
    /// Suppress the build output and print image ID on success
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Set the target build stage to build
    #[arg(long)]
    target: Option<String>,
    /// Set platform if server is multi-platform capable
    #[arg(long)]
    platform: Option<String>,
    /// Remove intermediate containers after a successful build
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    rm: bool,
    /// Always remove intermediate containers
    #[arg(long = "force-rm")]
    force_rm: bool,
    /// Context directory, or `-` for a tar (or a Dockerfile) on stdin
    #[arg(value_name = "PATH | -")]
    context: String,
}

/// The name the Dockerfile travels under when it lives outside the context.
const OUTSIDE_DOCKERFILE: &str = ".hako-build-dockerfile";

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let mut dockerfile = a.file.clone().unwrap_or_default();
    let body: Box<dyn AsyncRead + Send + Unpin> = if a.context == "-" {
        stdin_context(&mut dockerfile).await?
    } else {
        let root = PathBuf::from(&a.context);
        if !root.is_dir() {
            return Err(StatusError::new(
                1,
                format!(
                    "unable to prepare context: path \"{}\" not found",
                    a.context
                ),
            )
            .into());
        }
        let mut extra = None;
        if let Some(f) = &a.file {
            let path = if f == "-" {
                None
            } else {
                Some(PathBuf::from(f))
            };
            match path {
                None => {
                    let mut text = Vec::new();
                    std::io::stdin().read_to_end(&mut text)?;
                    extra = Some(text);
                    dockerfile = OUTSIDE_DOCKERFILE.into();
                }
                Some(p) => {
                    let abs = std::fs::canonicalize(&p).map_err(|_| {
                        StatusError::new(
                            1,
                            format!(
                                "unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {}: no such file or directory",
                                p.display()
                            ),
                        )
                    })?;
                    let croot = std::fs::canonicalize(&root)?;
                    match abs.strip_prefix(&croot) {
                        Ok(rel) => dockerfile = rel.to_string_lossy().into_owned(),
                        Err(_) => {
                            extra = Some(std::fs::read(&abs)?);
                            dockerfile = OUTSIDE_DOCKERFILE.into();
                        }
                    }
                }
            }
        }
        Box::new(tar_context(root, extra))
    };
    let mut q: Vec<(String, String)> = Vec::new();
    for t in &a.tag {
        q.push(("t".into(), t.clone()));
    }
    if !dockerfile.is_empty() {
        q.push(("dockerfile".into(), dockerfile));
    }
    if !a.build_arg.is_empty() {
        let mut args = BTreeMap::new();
        for kv in &a.build_arg {
            match kv.split_once('=') {
                Some((k, v)) => args.insert(k.to_owned(), Some(v.to_owned())),
                // `--build-arg NAME` takes the value from the environment, as docker.
                None => args.insert(kv.clone(), std::env::var(kv).ok()),
            };
        }
        q.push(("buildargs".into(), serde_json::to_string(&args)?));
    }
    if !a.label.is_empty() {
        let labels: BTreeMap<&str, &str> = a
            .label
            .iter()
            .map(|l| l.split_once('=').unwrap_or((l.as_str(), "")))
            .collect();
        q.push(("labels".into(), serde_json::to_string(&labels)?));
    }
    let flag = |b: bool| if b { "1" } else { "0" }.to_owned();
    q.push(("nocache".into(), flag(a.no_cache)));
    q.push(("rm".into(), flag(a.rm)));
    q.push(("forcerm".into(), flag(a.force_rm)));
    q.push(("q".into(), flag(a.quiet)));
    if let Some(t) = &a.target {
        q.push(("target".into(), t.clone()));
    }
    if let Some(p) = &a.platform {
        q.push(("platform".into(), p.clone()));
    }
    let query = serde_urlencoded::to_string(&q)?;
    let client = ctx.client().await?;
    let resp = client
        .request_stream(
            http::Method::POST,
            &format!("/build?{query}"),
            body,
            "application/x-tar",
        )
        .await?;
    let mut lines = BodyLines::new(resp);
    let mut id = None;
    while let Some(line) = lines.next_line().await? {
        let m: JsonMessage =
            serde_json::from_slice(&line).map_err(|e| ClientError::Decode(e.to_string()))?;
        if let Some(err) = m.error_message() {
            let code = m
                .error_detail
                .as_ref()
                .and_then(|d| d.code)
                .filter(|c| *c != 0)
                .and_then(|c| i32::try_from(c).ok())
                .unwrap_or(1);
            return Err(StatusError::new(code, err.to_owned()).into());
        }
        if let Some(aux) = &m.aux
            && let Some(i) = aux.get("ID").and_then(|v| v.as_str())
        {
            id = Some(i.to_owned());
        }
        if !a.quiet
            && let Some(s) = &m.stream
        {
            out(s)?;
        }
    }
    if a.quiet
        && let Some(id) = id
    {
        out(&format!("{id}\n"))?;
    }
    Ok(0)
}

/// A context from stdin: a tar (plain or gzip) as is, else the text is the Dockerfile of
/// an empty context.
async fn stdin_context(
    dockerfile: &mut String,
) -> anyhow::Result<Box<dyn AsyncRead + Send + Unpin>> {
    let mut data = Vec::new();
    std::io::stdin().read_to_end(&mut data)?;
    let is_tar = data.starts_with(&[0x1f, 0x8b]) || data.get(257..262) == Some(b"ustar");
    if is_tar {
        return Ok(Box::new(std::io::Cursor::new(data)));
    }
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    tar.append_data(&mut h, "Dockerfile", data.as_slice())?;
    *dockerfile = "Dockerfile".into();
    Ok(Box::new(std::io::Cursor::new(tar.into_inner()?)))
}

/// The context directory as a tar stream, written by a blocking task while it is sent.
fn tar_context(root: PathBuf, extra: Option<Vec<u8>>) -> tokio::io::DuplexStream {
    let (reader, writer) = tokio::io::duplex(256 * 1024);
    tokio::task::spawn_blocking(move || {
        let w = tokio_util::io::SyncIoBridge::new(writer);
        let mut tar = tar::Builder::new(w);
        tar.follow_symlinks(false);
        let r = append_dir(&mut tar, &root, Path::new("")).and_then(|()| {
            if let Some(text) = extra {
                let mut h = tar::Header::new_gnu();
                h.set_size(text.len() as u64);
                h.set_mode(0o644);
                h.set_mtime(0);
                tar.append_data(&mut h, OUTSIDE_DOCKERFILE, text.as_slice())?;
            }
            tar.finish()
        });
        // A failure ends the stream early; the daemon reports the broken tar.
        let _ = r;
    });
    reader
}

fn append_dir<W: std::io::Write>(
    tar: &mut tar::Builder<W>,
    root: &Path,
    rel: &Path,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = rel.join(e.file_name());
        let ft = e.file_type()?;
        tar.append_path_with_name(e.path(), &name)?;
        if ft.is_dir() {
            append_dir(tar, root, &name)?;
        }
    }
    Ok(())
}
