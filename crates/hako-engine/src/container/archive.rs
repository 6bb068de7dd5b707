//! `docker cp`, `docker diff`, `docker export`: the container's filesystem as its own
//! processes see it, without ever resolving a path on the host.
//!
//! Every operation runs on a dedicated thread that first unshares its filesystem context
//! (`CLONE_FS`), then either joins the running container's mount namespace (`setns`,
//! which makes the container's root the thread's root) or, for a stopped container,
//! unshares a private mount namespace, mounts the container's overlay (and its volumes
//! and binds) there and `chroot`s into it. Symlinks therefore resolve inside the
//! container, as the kernel resolves them for the container itself: a link to `/etc` is
//! the container's `/etc`. The private namespace dies with the thread, so nothing can
//! stay mounted on the host, even if the daemon is killed halfway.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hako_runtime::spec::UserNamespace;
use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use serde::Serialize;
use tokio::io::AsyncReadExt;

use super::entry::Entry;
use super::mounts::MountPoint;
use super::options::BoxRead;
use crate::engine::Engine;
use crate::error::{EngineError, Result};

/// `X-Docker-Container-Path-Stat` (moby `container.PathStat`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct PathStat {
    /// Base name of the requested path.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Go `os.FileMode` bits.
    pub mode: u32,
    /// RFC 3339 modification time.
    pub mtime: String,
    /// For symlinks: the target, resolved inside the container.
    #[serde(rename = "linkTarget")]
    pub link_target: String,
}

/// One `docker diff` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Path in the container.
    pub path: String,
    /// 0 modified, 1 added, 2 deleted (Docker's `Kind`).
    pub kind: u8,
}

/// `PUT /containers/{id}/archive` options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractOptions {
    /// `copyUIDGID`: keep the archive's owners (`docker cp -a`).
    pub copy_uid_gid: bool,
    /// `noOverwriteDirNonDir`.
    pub no_overwrite_dir_non_dir: bool,
}

/// How to reach the container's filesystem.
#[derive(Debug, Clone)]
enum View {
    /// Join the mount namespace of this process.
    Running(i32),
    /// Mount the overlay privately; `writable` gives it the container's upper layer.
    Stopped {
        lower: Vec<PathBuf>,
        upper: PathBuf,
        work: PathBuf,
        mounts: Vec<MountPoint>,
        writable: bool,
        scratch: PathBuf,
    },
}

fn errno(e: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// Enters `view` on the current thread. Only ever called on a thread of its own.
fn enter(view: &View) -> io::Result<()> {
    nix::sched::unshare(CloneFlags::CLONE_FS).map_err(errno)?;
    match view {
        View::Running(pid) => {
            let ns = fs::File::open(format!("/proc/{pid}/ns/mnt"))?;
            nix::sched::setns(&ns, CloneFlags::CLONE_NEWNS).map_err(errno)?;
        }
        View::Stopped {
            lower,
            upper,
            work,
            mounts,
            writable,
            scratch,
        } => {
            nix::sched::unshare(CloneFlags::CLONE_NEWNS).map_err(errno)?;
            nix::mount::mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .map_err(errno)?;
            mount_overlay(lower, upper, work, *writable, scratch)?;
            for m in mounts.iter().filter(|m| m.kind != "tmpfs") {
                bind_into(scratch, m)?;
            }
            nix::unistd::chroot(scratch.as_path()).map_err(errno)?;
        }
    }
    nix::unistd::chdir("/").map_err(errno)
}

fn mount_overlay(
    lower: &[PathBuf],
    upper: &Path,
    work: &Path,
    writable: bool,
    at: &Path,
) -> io::Result<()> {
    let (dir, data) = if writable && !lower.is_empty() {
        hako_runtime::rootfs::options::overlay_data(lower, upper, work)
    } else {
        // Read-only: the container's layer becomes the topmost lower layer, so the
        // overlay never touches the upper/work dirs a running container may hold.
        let mut all = vec![upper.to_path_buf()];
        all.extend(lower.iter().cloned());
        if all.len() == 1 {
            all.push(upper.to_path_buf());
        }
        hako_runtime::rootfs::options::overlay_data(&all, upper, work).map(|(d, s)| {
            let s = s.split(",upperdir=").next().unwrap_or_default().to_string();
            (d, s)
        })
    }
    .map_err(|m| io::Error::new(io::ErrorKind::InvalidInput, m))?;
    if let Some(d) = dir {
        nix::unistd::chdir(d.as_path()).map_err(errno)?;
    }
    let flags = if writable {
        MsFlags::empty()
    } else {
        MsFlags::MS_RDONLY
    };
    nix::mount::mount(
        Some("overlay"),
        at,
        Some("overlay"),
        flags,
        Some(data.as_str()),
    )
    .map_err(errno)
}

/// Binds a volume or bind mount into the private rootfs at `root`, resolving the target
/// inside it.
fn bind_into(root: &Path, m: &MountPoint) -> io::Result<()> {
    let target = hako_runtime::rootfs::paths::secure_join(
        &hako_runtime::sys::linux::LinuxSys,
        root,
        &m.destination,
    )?;
    if !target.exists() {
        // The container has not run yet: the mount point may not exist in its layers;
        // skip rather than create it in the container's layer.
        return Ok(());
    }
    nix::mount::mount(
        Some(m.source.as_str()),
        &target,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(errno)
}

/// Runs `f` inside `view` on a thread of its own.
async fn in_container<T, F>(view: View, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let scratch = match &view {
        View::Stopped { scratch, .. } => Some(scratch.clone()),
        View::Running(_) => None,
    };
    if let Some(s) = &scratch {
        fs::create_dir_all(s).map_err(io_err("create", s))?;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("hako-cp".into())
        .spawn(move || {
            let out = match enter(&view) {
                Ok(()) => f(),
                Err(e) => Err(EngineError::Io {
                    context: "enter the container's filesystem",
                    path: PathBuf::from("/"),
                    source: e,
                }),
            };
            let _ = tx.send(out);
        });
    if let Err(e) = spawned {
        return Err(io_err("spawn thread for", Path::new("/"))(e));
    }
    let out = rx
        .await
        .map_err(|_| EngineError::Task("container filesystem thread failed".into()))?;
    if let Some(s) = &scratch {
        let _ = fs::remove_dir(s);
    }
    out
}

fn io_err(context: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EngineError {
    let path = path.to_path_buf();
    move |source| EngineError::Io {
        context,
        path,
        source,
    }
}

/// Go's `os.FileMode` for a file's metadata.
fn go_mode(md: &fs::Metadata) -> u32 {
    let ft = md.file_type();
    let mode = md.mode();
    let mut m = mode & 0o777;
    if ft.is_dir() {
        m |= 1 << 31;
    } else if ft.is_symlink() {
        m |= 1 << 27;
    } else if ft.is_fifo() {
        m |= 1 << 25;
    } else if ft.is_socket() {
        m |= 1 << 24;
    } else if ft.is_char_device() {
        m |= (1 << 26) | (1 << 21);
    } else if ft.is_block_device() {
        m |= 1 << 26;
    }
    if mode & 0o4000 != 0 {
        m |= 1 << 23;
    }
    if mode & 0o2000 != 0 {
        m |= 1 << 22;
    }
    if mode & 0o1000 != 0 {
        m |= 1 << 20;
    }
    m
}

/// `filepath.Join("/", p)` keeping a trailing `/` or `/.` as Docker's
/// `PreserveTrailingDotOrSeparator` does.
fn abs_path(p: &str) -> String {
    let mut clean = super::mounts::clean(p);
    if (p.ends_with("/.") || p == ".") && clean != "/" {
        clean.push_str("/.");
    } else if p.ends_with('/') && clean != "/" {
        clean.push('/');
    }
    clean
}

fn base_name(abs: &str) -> String {
    if abs == "/" {
        return "/".into();
    }
    if abs.ends_with("/.") {
        return ".".into();
    }
    abs.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string()
}

fn stat_in(abs: &str, container: &str) -> Result<PathStat> {
    let not_found = || EngineError::PathNotFound {
        path: abs.trim_end_matches("/.").to_string(),
        container: container.to_string(),
    };
    let md = match fs::symlink_metadata(abs) {
        Ok(md) => md,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found()),
        Err(e) => return Err(io_err("stat", Path::new(abs))(e)),
    };
    if abs.ends_with('/') && abs != "/" && !md.is_dir() {
        return Err(EngineError::InvalidParameter(format!(
            "not a directory: {abs}"
        )));
    }
    let link_target = if md.file_type().is_symlink() {
        fs::canonicalize(abs)
            .or_else(|_| fs::read_link(abs))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(PathStat {
        name: base_name(abs),
        size: md.size().try_into().unwrap_or(i64::MAX),
        mode: go_mode(&md),
        mtime: crate::timefmt::rfc3339_nano(
            i128::from(md.mtime()) * 1_000_000_000 + i128::from(md.mtime_nsec()),
        ),
        link_target,
    })
}

/// Writes `abs` as a tar whose top entry is named `name` (`.` for `dir/.`, whose
/// entries are then `./x` as Docker's, so that the CLI's rebasing of `.` works).
fn tar_path<W: Write>(
    abs: &str,
    name: &str,
    ids: Option<&UserNamespace>,
    out: W,
) -> io::Result<()> {
    let mut b = tar::Builder::new(out);
    let src = abs.trim_end_matches("/.");
    let src = if src.is_empty() { "/" } else { src };
    tar_tree(&mut b, Path::new(src), name, ids)?;
    b.into_inner()?.flush()
}

/// Appends `src` (never following a symlink) as `name`, then its children. Under
/// `--userns-remap` (`ids`) owners are written as the container sees them: a host ID in the
/// maps becomes the container's, another (an image file seen without idmapping) is kept.
fn tar_tree<W: Write>(
    b: &mut tar::Builder<W>,
    src: &Path,
    name: &str,
    ids: Option<&UserNamespace>,
) -> io::Result<()> {
    let md = fs::symlink_metadata(src)?;
    append_entry(b, src, &md, name, ids)?;
    if md.is_dir() {
        let mut names: Vec<_> = fs::read_dir(src)?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        names.sort();
        for n in names {
            let child = format!("{}/{}", name.trim_end_matches('/'), n.to_string_lossy());
            tar_tree(b, &src.join(&n), &child, ids)?;
        }
    }
    Ok(())
}

fn append_entry<W: Write>(
    b: &mut tar::Builder<W>,
    src: &Path,
    md: &fs::Metadata,
    name: &str,
    ids: Option<&UserNamespace>,
) -> io::Result<()> {
    let ft = md.file_type();
    if !(ft.is_dir() || ft.is_file() || ft.is_symlink()) {
        // Devices, fifos and sockets: tar's own handling.
        return b.append_path_with_name(src, name.trim_start_matches("./"));
    }
    let mut h = tar::Header::new_gnu();
    h.set_metadata_in_mode(md, tar::HeaderMode::Complete);
    if let Some(ns) = ids {
        h.set_uid(ns.container_uid(md.uid()).unwrap_or(md.uid()).into());
        h.set_gid(ns.container_gid(md.gid()).unwrap_or(md.gid()).into());
    }
    let shown = if ft.is_dir() && name != "/" {
        format!("{}/", name.trim_end_matches('/'))
    } else {
        name.to_string()
    };
    let link = if ft.is_symlink() {
        h.set_size(0);
        Some(fs::read_link(src)?)
    } else {
        None
    };
    let raw = shown.as_bytes();
    let fits = raw.len() < 100 && link.as_ref().is_none_or(|l| l.as_os_str().len() < 100);
    if !fits {
        let plain = shown.trim_start_matches("./");
        return match link {
            Some(l) => b.append_link(&mut h, plain, l),
            None if ft.is_dir() => b.append_data(&mut h, plain, io::empty()),
            None => b.append_data(&mut h, plain, fs::File::open(src)?),
        };
    }
    // Names written as they are: tar's path setter would drop a leading `./`.
    {
        let old = h.as_old_mut();
        old.name = [0; 100];
        old.name[..raw.len()].copy_from_slice(raw);
    }
    if let Some(l) = &link {
        h.set_link_name(l)?;
    }
    h.set_cksum();
    if ft.is_file() {
        b.append(&h, fs::File::open(src)?)
    } else {
        b.append(&h, io::empty())
    }
}

/// Extracts entry by entry, each then owned by the host IDs its owner inside maps to
/// (`copy_uid_gid`) or by the container's root, as Docker extracts into a remapped
/// container; an owner outside the maps becomes the container's root.
fn unpack_remapped<R: io::Read>(
    ar: &mut tar::Archive<R>,
    dir: &Path,
    ns: &UserNamespace,
    copy_uid_gid: bool,
) -> io::Result<()> {
    ar.set_preserve_ownerships(false);
    let root = (ns.host_uid(0).unwrap_or(0), ns.host_gid(0).unwrap_or(0));
    for entry in ar.entries()? {
        let mut entry = entry?;
        let (uid, gid) = if copy_uid_gid {
            let h = entry.header();
            let uid = u32::try_from(h.uid()?).ok().and_then(|u| ns.host_uid(u));
            let gid = u32::try_from(h.gid()?).ok().and_then(|g| ns.host_gid(g));
            (uid.unwrap_or(root.0), gid.unwrap_or(root.1))
        } else {
            root
        };
        let rel = entry.path()?.into_owned();
        if entry.unpack_in(dir)? {
            std::os::unix::fs::lchown(dir.join(&rel), Some(uid), Some(gid))?;
        }
    }
    Ok(())
}

/// A std writer feeding an async pipe from the blocking thread.
struct PipeWriter(tokio::sync::mpsc::Sender<io::Result<bytes::Bytes>>);

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(Ok(bytes::Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A std reader over an async body, for the blocking thread.
struct PipeReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<bytes::Bytes>>,
    buf: bytes::Bytes,
}

impl Read for PipeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.buf.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.buf = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf[..n]);
        let _ = self.buf.split_to(n);
        Ok(n)
    }
}

/// The output of a GET: chunks of a tar stream.
pub type TarStream = tokio::sync::mpsc::Receiver<io::Result<bytes::Bytes>>;

impl Engine {
    /// The ID maps of a container running under `--userns-remap`, if it does.
    pub(crate) async fn remapped_ids(&self, entry: &Arc<Entry>) -> Option<UserNamespace> {
        let inner = entry.inner.lock().await;
        super::userns::for_container(self.config.userns_remap.as_ref(), &inner.record.host_config)
            .map(|r| r.maps.clone())
    }

    async fn view_of(&self, entry: &Arc<Entry>, writable: bool, volumes: bool) -> View {
        let inner = entry.inner.lock().await;
        if inner.state.status.is_running() && inner.state.pid > 0 && volumes {
            return View::Running(inner.state.pid);
        }
        View::Stopped {
            lower: inner.record.lower_dirs.clone(),
            upper: entry.dir.join("upper"),
            work: entry.dir.join("work"),
            mounts: if volumes {
                inner.record.mount_points.clone()
            } else {
                Vec::new()
            },
            writable: writable && !inner.state.status.is_running(),
            scratch: entry.dir.join(format!(
                "cp-{}",
                crate::ids::new_id().get(..12).unwrap_or("x")
            )),
        }
    }

    /// `HEAD /containers/{id}/archive?path=`.
    pub async fn container_path_stat(&self, id: &str, path: &str) -> Result<PathStat> {
        let entry = self.containers.get(id)?;
        let view = self.view_of(&entry, false, true).await;
        let (abs, name) = (abs_path(path), id.to_string());
        in_container(view, move || stat_in(&abs, &name)).await
    }

    /// `GET /containers/{id}/archive?path=`: the stat and a tar of the path.
    pub async fn container_archive(&self, id: &str, path: &str) -> Result<(PathStat, TarStream)> {
        let entry = self.containers.get(id)?;
        let view = self.view_of(&entry, false, true).await;
        let ids = self.remapped_ids(&entry).await;
        let (abs, name) = (abs_path(path), id.to_string());
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let (stat_tx, stat_rx) = tokio::sync::oneshot::channel();
        let work = in_container(view, move || {
            let stat = stat_in(&abs, &name);
            let ok = stat.is_ok();
            let base = stat.as_ref().map(|s| s.name.clone()).unwrap_or_default();
            let _ = stat_tx.send(stat);
            if ok {
                let err_tx = tx.clone();
                if let Err(e) = tar_path(&abs, &base, ids.as_ref(), PipeWriter(tx)) {
                    let _ = err_tx.blocking_send(Err(e));
                }
            }
            Ok(())
        });
        tokio::spawn(async move {
            if let Err(e) = work.await {
                tracing::warn!(error = %e, "archive failed");
            }
        });
        let stat = stat_rx
            .await
            .map_err(|_| EngineError::Task("archive thread ended early".into()))??;
        Ok((stat, rx))
    }

    /// `PUT /containers/{id}/archive?path=`: extracts a tar into the directory `path`.
    pub async fn container_extract(
        &self,
        id: &str,
        path: &str,
        opts: ExtractOptions,
        mut body: BoxRead,
    ) -> Result<()> {
        let entry = self.containers.get(id)?;
        let view = self.view_of(&entry, true, true).await;
        if let View::Stopped {
            writable: false, ..
        } = view
        {
            return Err(EngineError::NotRunning(id.to_string()));
        }
        let readonly = entry.inner.lock().await.record.host_config.readonly_rootfs;
        let ids = self.remapped_ids(&entry).await;
        let (abs, name) = (abs_path(path), id.to_string());
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let feeder = tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match body.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx
                            .send(Ok(bytes::Bytes::copy_from_slice(&buf[..n])))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        break;
                    }
                }
            }
        });
        let out = in_container(view, move || {
            let stat = stat_in(&abs, &name)?;
            if stat.mode & (1 << 31) == 0 {
                return Err(EngineError::InvalidParameter(
                    "extraction point is not a directory".into(),
                ));
            }
            if readonly && is_on_root_mount(&abs) {
                return Err(EngineError::InvalidParameter(
                    "container rootfs is marked read-only".into(),
                ));
            }
            let dir = abs.trim_end_matches("/.").to_string();
            let dir = if dir.is_empty() { "/".to_string() } else { dir };
            let mut ar = tar::Archive::new(PipeReader {
                rx,
                buf: bytes::Bytes::new(),
            });
            ar.set_preserve_permissions(true);
            ar.set_preserve_mtime(true);
            ar.set_overwrite(true);
            let failed =
                |e: io::Error| EngineError::InvalidParameter(format!("extract into {dir}: {e}"));
            match &ids {
                None => {
                    ar.set_preserve_ownerships(opts.copy_uid_gid);
                    ar.unpack(&dir).map_err(failed)
                }
                Some(ns) => {
                    unpack_remapped(&mut ar, Path::new(&dir), ns, opts.copy_uid_gid).map_err(failed)
                }
            }
        })
        .await;
        feeder.abort();
        out
    }

    /// `GET /containers/{id}/export`: the container's root filesystem as a tar (volumes
    /// and binds excluded, as Docker does).
    pub async fn container_export(&self, id: &str) -> Result<TarStream> {
        let entry = self.containers.get(id)?;
        let view = self.view_of(&entry, false, false).await;
        let ids = self.remapped_ids(&entry).await;
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let work = in_container(view, move || {
            let err_tx = tx.clone();
            if let Err(e) = export_root(ids.as_ref(), PipeWriter(tx)) {
                let _ = err_tx.blocking_send(Err(e));
            }
            Ok(())
        });
        tokio::spawn(async move {
            if let Err(e) = work.await {
                tracing::warn!(error = %e, "export failed");
            }
        });
        Ok(rx)
    }

    /// `GET /containers/{id}/changes`: the container's layer against the image.
    pub async fn container_changes(&self, id: &str) -> Result<Vec<Change>> {
        let entry = self.containers.get(id)?;
        let (lower, hidden) = {
            let inner = entry.inner.lock().await;
            let mut hidden: Vec<String> = inner
                .record
                .mount_points
                .iter()
                .map(|m| m.destination.clone())
                .collect();
            hidden.extend(
                [
                    "/etc/hosts",
                    "/etc/hostname",
                    "/etc/resolv.conf",
                    "/dev/console",
                ]
                .iter()
                .map(|s| (*s).to_string()),
            );
            (inner.record.lower_dirs.clone(), hidden)
        };
        let upper = entry.dir.join("upper");
        tokio::task::spawn_blocking(move || changes(&upper, &lower, &hidden))
            .await
            .map_err(|e| EngineError::Task(e.to_string()))?
            .map_err(io_err("read", &entry.dir))
    }
}

/// Whether `abs` lives on the container's root mount (not a volume or tmpfs).
fn is_on_root_mount(abs: &str) -> bool {
    match (fs::metadata("/"), fs::metadata(abs)) {
        (Ok(root), Ok(p)) => root.dev() == p.dev(),
        _ => true,
    }
}

fn export_root<W: Write>(ids: Option<&UserNamespace>, out: W) -> io::Result<()> {
    let mut b = tar::Builder::new(out);
    let mut names: Vec<_> = fs::read_dir("/")?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for n in names {
        tar_tree(&mut b, &Path::new("/").join(&n), &n.to_string_lossy(), ids)?;
    }
    b.into_inner()?.flush()
}

/// Walks `upper`: whiteouts are deletions, paths also in a lower layer modifications,
/// the rest additions; mount targets the engine created are left out.
fn changes(upper: &Path, lower: &[PathBuf], hidden: &[String]) -> io::Result<Vec<Change>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for e in fs::read_dir(upper.join(&rel))? {
            let e = e?;
            let r = rel.join(e.file_name());
            let md = e.metadata()?;
            let path = format!("/{}", r.display());
            let whiteout = md.file_type().is_char_device() && md.rdev() == 0;
            let kind = if whiteout {
                2
            } else if lower
                .iter()
                .any(|l| fs::symlink_metadata(l.join(&r)).is_ok())
            {
                0
            } else {
                1
            };
            if md.is_dir() && !whiteout {
                stack.push(r);
            }
            out.push(Change { path, kind });
        }
    }
    let keep = |c: &Change| !hidden.contains(&c.path);
    let kept: Vec<Change> = out.iter().filter(|c| keep(c)).cloned().collect();
    // A modified directory whose only changes are hidden mount targets is not a change.
    let mut result: Vec<Change> = kept
        .iter()
        .filter(|c| {
            c.kind != 0
                || !out
                    .iter()
                    .any(|o| o.path.starts_with(&format!("{}/", c.path)))
                || kept
                    .iter()
                    .any(|o| o.path.starts_with(&format!("{}/", c.path)))
        })
        .cloned()
        .collect();
    result.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_path_rules() {
        assert_eq!(abs_path("data/x"), "/data/x");
        assert_eq!(abs_path("/data/"), "/data/");
        assert_eq!(abs_path("/data/."), "/data/.");
        assert_eq!(abs_path("/"), "/");
        assert_eq!(base_name("/data/."), ".");
        assert_eq!(base_name("/data/"), "data");
        assert_eq!(base_name("/"), "/");
    }

    #[test]
    fn go_modes() {
        let dir = tempfile::tempdir().unwrap();
        let md = fs::symlink_metadata(dir.path()).unwrap();
        assert_ne!(go_mode(&md) & (1 << 31), 0);
    }

    #[test]
    fn changes_from_an_upper_dir() {
        let t = tempfile::tempdir().unwrap();
        let (upper, lower) = (t.path().join("u"), t.path().join("l"));
        fs::create_dir_all(upper.join("etc")).unwrap();
        fs::create_dir_all(upper.join("tmp")).unwrap();
        fs::create_dir_all(lower.join("etc")).unwrap();
        fs::create_dir_all(lower.join("tmp")).unwrap();
        fs::write(upper.join("etc/hosts"), b"").unwrap();
        fs::write(upper.join("tmp/new"), b"x").unwrap();
        let got = changes(&upper, &[lower], &["/etc/hosts".to_string()]).unwrap();
        let got: Vec<(String, u8)> = got.into_iter().map(|c| (c.path, c.kind)).collect();
        assert_eq!(got, [("/tmp".to_string(), 0), ("/tmp/new".to_string(), 1)]);
    }
}
