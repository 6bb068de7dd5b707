//! `hako cp`, `hako diff`, `hako export`: files between a container and the host.

use super::{Ctx, out};
use crate::client::Client;
use hako_api_types::archive::{
    ArchiveQuery, ChangeItem, ExtractQuery, PATH_STAT_HEADER, PathStat, base64_decode,
};
use std::io::{Read, Write};

use std::path::{Path, PathBuf};
use tokio::io::AsyncRead;

#[derive(Debug, clap::Args)]
#[command(
    override_usage = "hako cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\thako cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH"
)]
pub struct Args {
    /// Archive mode (copy all uid/gid information)
    #[arg(short = 'a', long)]
    archive: bool,
    /// Always follow symbol link in SRC_PATH
    #[arg(short = 'L', long = "follow-link")]
    follow_link: bool,
    /// Suppress progress output during copy
    #[arg(short = 'q', long)]
    quiet: bool,
    #[arg(value_name = "SRC")]
    src: String,
    #[arg(value_name = "DEST")]
    dst: String,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako diff CONTAINER")]
pub struct DiffArgs {
    container: String,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako export [OPTIONS] CONTAINER")]
pub struct ExportArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long)]
    output: Option<String>,
    container: String,
}

/// `container:path` → (container, path); a local path has no colon before its first `/`.
fn split_remote(arg: &str) -> Option<(&str, &str)> {
    if arg.starts_with('/') || arg.starts_with('.') {
        return None;
    }
    let (c, p) = arg.split_once(':')?;
    (!c.is_empty()).then_some((c, p))
}

fn q<T: serde::Serialize>(v: &T) -> anyhow::Result<String> {
    Ok(serde_urlencoded::to_string(v)?)
}

fn decode_stat(resp: &http::Response<hyper::body::Incoming>) -> Option<PathStat> {
    let h = resp.headers().get(PATH_STAT_HEADER)?.to_str().ok()?;
    serde_json::from_slice(&base64_decode(h)?).ok()
}

async fn remote_stat(client: &Client, c: &str, path: &str) -> anyhow::Result<Option<PathStat>> {
    let url = format!(
        "/containers/{c}/archive?{}",
        q(&ArchiveQuery { path: path.into() })?
    );
    match client.request(http::Method::HEAD, &url, None).await {
        Ok(r) => Ok(decode_stat(&r)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let _ = a.quiet;
    match (split_remote(&a.src), split_remote(&a.dst)) {
        (Some(_), Some(_)) => anyhow::bail!("copying between containers is not supported"),
        (None, None) => anyhow::bail!("must specify at least one container source"),
        (Some((c, p)), None) => from_container(ctx, c, p, &a.dst, a.archive, a.follow_link).await,
        (None, Some((c, p))) => to_container(ctx, &a.src, c, p, a.archive, a.follow_link).await,
    }
}

fn base_of(p: &str) -> String {
    if p.ends_with("/.") {
        return ".".into();
    }
    Path::new(p.trim_end_matches('/'))
        .file_name()
        .map_or_else(|| "/".into(), |n| n.to_string_lossy().into_owned())
}

/// Copies a tar stream, renaming the first path element `old` of every entry to `new`;
/// one entry at a time, each file's data streamed through.
fn rebase(from: impl Read, to: impl Write, old: &str, new: &str) -> std::io::Result<()> {
    let mut ar = tar::Archive::new(from);
    let mut b = tar::Builder::new(to);
    for e in ar.entries()? {
        let mut e = e?;
        let name = e.path()?.to_string_lossy().into_owned();
        let renamed = match name.strip_prefix(old) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{new}{rest}"),
            _ => name.clone(),
        };
        let mut h = e.header().clone();
        match e.link_name()?.map(|l| l.into_owned()) {
            Some(l) => b.append_link(&mut h, &renamed, l)?,
            None => b.append_data(&mut h, &renamed, &mut e)?,
        }
    }
    b.into_inner()?.flush()
}

/// Unpacks a tar stream under `dir` as docker cp does (modes, mtimes, ownership with
/// `-a`), renaming on the way when `rename` says so.
fn unpack(
    from: impl Read + Send,
    dir: &Path,
    rename: Option<(&str, &str)>,
    archive: bool,
) -> std::io::Result<()> {
    let unpack_from = |r: &mut dyn Read| {
        let mut ar = tar::Archive::new(r);
        ar.set_preserve_permissions(true);
        ar.set_preserve_mtime(true);
        ar.set_preserve_ownerships(archive);
        ar.set_overwrite(true);
        ar.unpack(dir)
    };
    let Some((old, new)) = rename else {
        let mut from = from;
        return unpack_from(&mut from);
    };
    // Renaming and unpacking run side by side over a pipe, so that nothing is held.
    let (mut rd, wr) = std::io::pipe()?;
    std::thread::scope(|s| {
        let renamer = s.spawn(move || rebase(from, wr, old, new));
        let unpacked = unpack_from(&mut rd);
        drop(rd);
        let renamed = renamer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("renaming the archive failed")));
        // The renamer's error is the cause when both failed (the unpacker saw a short
        // stream).
        renamed.and(unpacked)
    })
}

async fn from_container(
    ctx: &Ctx,
    c: &str,
    path: &str,
    dst: &str,
    archive: bool,
    follow_link: bool,
) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    // `-L` on a symlink copies what it points to, under the link's own name (the daemon
    // resolves the target inside the container, as Docker's stat does).
    let mut fetch = path.to_string();
    let mut src_base = base_of(path);
    if follow_link
        && let Some(s) = remote_stat(&client, c, path).await?
        && s.mode & PathStat::MODE_SYMLINK != 0
        && !s.link_target.is_empty()
    {
        src_base = base_of(&s.link_target);
        fetch = s.link_target;
    }
    let url = format!(
        "/containers/{c}/archive?{}",
        q(&ArchiveQuery {
            path: fetch.clone()
        })?
    );
    let resp = client.request(http::Method::GET, &url, None).await?;
    let stat = decode_stat(&resp).unwrap_or_default();
    // `-L` fetched the link's target: its entries are renamed to the link's name.
    let followed = (fetch != path).then(|| (src_base.clone(), base_of(path)));
    let (dir, rename) = if dst == "-" {
        (None, followed)
    } else {
        let dst_path = PathBuf::from(dst);
        // A file destination names the copy: the entries take its name, whatever the
        // source was called (or the link it was fetched through).
        let into_file = || {
            (
                Some(parent_of(&dst_path)),
                Some((src_base.clone(), base_of(dst))),
            )
        };
        match std::fs::metadata(&dst_path) {
            Ok(md) if md.is_dir() => (Some(dst_path.clone()), followed),
            Ok(_) if stat.is_dir() => {
                anyhow::bail!("cannot copy a directory to a file: {dst}")
            }
            Err(_) if dst.ends_with('/') && !stat.is_dir() => {
                anyhow::bail!("destination directory {dst} does not exist")
            }
            Ok(_) | Err(_) => into_file(),
        }
    };
    if let Some(dir) = &dir
        && !dir.is_dir()
    {
        anyhow::bail!("destination directory {} does not exist", dir.display());
    }
    let body = crate::client::download::body_reader(resp);
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let from = tokio_util::io::SyncIoBridge::new(body);
        let rename = rename.as_ref().map(|(o, n)| (o.as_str(), n.as_str()));
        match (dir, rename) {
            (Some(dir), rename) => unpack(from, &dir, rename, archive),
            (None, Some((old, new))) => rebase(from, std::io::stdout().lock(), old, new),
            (None, None) => {
                let mut from = from;
                let mut out = std::io::stdout().lock();
                std::io::copy(&mut from, &mut out)?;
                out.flush()
            }
        }
    })
    .await??;
    Ok(0)
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

async fn to_container(
    ctx: &Ctx,
    src: &str,
    c: &str,
    path: &str,
    archive: bool,
    follow_link: bool,
) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let put = |dir: String, body: Box<dyn AsyncRead + Send + Unpin>| {
        let client = &client;
        async move {
            let query = q(&ExtractQuery {
                path: dir,
                copy_uid_gid: archive,
                ..ExtractQuery::default()
            })?;
            let url = format!("/containers/{c}/archive?{query}");
            client
                .request_stream(http::Method::PUT, &url, body, "application/x-tar")
                .await?;
            anyhow::Ok(0)
        }
    };
    if src == "-" {
        return put(path.to_string(), Box::new(tokio::io::stdin())).await;
    }
    let md = std::fs::symlink_metadata(src.trim_end_matches("/."))
        .map_err(|_| anyhow::anyhow!("lstat {src}: no such file or directory"))?;
    // `-L`: a symlink given as the source is copied as what it points to, under its name.
    let (src_path, md) = if follow_link && md.file_type().is_symlink() {
        let real = std::fs::canonicalize(src.trim_end_matches("/."))
            .map_err(|e| anyhow::anyhow!("follow symlink {src}: {e}"))?;
        let md = std::fs::metadata(&real)?;
        (real.to_string_lossy().into_owned(), md)
    } else {
        (src.to_string(), md)
    };
    let dst_stat = remote_stat(&client, c, path).await?;
    let (dir, name) = match &dst_stat {
        Some(s) if s.is_dir() => (path.to_string(), base_of(src)),
        Some(_) if md.is_dir() => anyhow::bail!("cannot copy a directory to a file"),
        Some(_) | None => {
            if dst_stat.is_none() && path.ends_with('/') && !md.is_dir() {
                anyhow::bail!("destination directory {path} does not exist");
            }
            let p = Path::new(path.trim_end_matches('/'));
            let dir = p
                .parent()
                .map_or("/".to_string(), |d| d.to_string_lossy().into_owned());
            (if dir.is_empty() { "/".into() } else { dir }, base_of(path))
        }
    };
    // The tar is written by a blocking task into a pipe the request reads: a tree of any
    // size goes out without being held.
    let (rd, wr) = tokio::io::duplex(1 << 16);
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut b = tar::Builder::new(tokio_util::io::SyncIoBridge::new(wr));
        b.follow_symlinks(false);
        let from = src_path.trim_end_matches("/.");
        if std::fs::symlink_metadata(from)?.is_dir() {
            b.append_dir_all(&name, from)?;
        } else {
            b.append_path_with_name(from, &name)?;
        }
        let mut w = b.into_inner()?;
        w.flush()?;
        w.shutdown()
    });
    let sent = put(dir, Box::new(rd)).await;
    // A local read error is the cause when the upload failed with it.
    writer.await??;
    sent
}

pub async fn diff(ctx: &Ctx, a: DiffArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let items: Vec<ChangeItem> = client
        .get_json(&format!("/containers/{}/changes", a.container))
        .await?;
    let mut s = String::new();
    for i in items {
        let k = match i.kind {
            0 => 'C',
            1 => 'A',
            _ => 'D',
        };
        s.push_str(&format!("{k} {}\n", i.path));
    }
    out(&s)?;
    Ok(0)
}

pub async fn export(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<i32> {
    use std::io::IsTerminal;
    if a.output.is_none() && std::io::stdout().is_terminal() {
        // The docker CLI's words.
        anyhow::bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    let client = ctx.client().await?;
    let resp = client
        .request(
            http::Method::GET,
            &format!("/containers/{}/export", a.container),
            None,
        )
        .await?;
    crate::client::download::save_body(resp, a.output.as_deref(), "failed to export container")
        .await?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_args() {
        assert_eq!(split_remote("c1:/etc"), Some(("c1", "/etc")));
        assert_eq!(split_remote("/tmp/a:b"), None);
        assert_eq!(split_remote("./x:y"), None);
        assert_eq!(split_remote("file"), None);
        assert_eq!(base_of("/a/b/"), "b");
        assert_eq!(base_of("/a/."), ".");
    }
}
