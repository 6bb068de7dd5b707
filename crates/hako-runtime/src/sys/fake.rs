//! A recording [`Sys`] for unit tests: every call is appended to a log, and a tiny in-memory
//! tree answers `stat`/`lstat`/`readlink` so path resolution and "create the target if
//! missing" logic can be exercised without root.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{DeviceKind, FileKind, MsFlags, OverlayLayers, Sys};

/// One recorded call, with paths as strings for easy assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// [`Sys::mount`].
    Mount {
        /// Source, if any.
        source: Option<String>,
        /// Target.
        target: String,
        /// Filesystem type, if any.
        fstype: Option<String>,
        /// Flags.
        flags: MsFlags,
        /// Data string, if any.
        data: Option<String>,
    },
    /// [`Sys::mount_overlay`].
    Overlay {
        /// Target.
        target: String,
        /// Lower layers, topmost first.
        lower: Vec<String>,
        /// Upper layer.
        upper: String,
        /// Work directory.
        work: String,
    },
    /// [`Sys::umount`].
    Umount {
        /// Target.
        target: String,
        /// `MNT_DETACH`.
        detach: bool,
    },
    /// [`Sys::pivot_root`].
    PivotRoot {
        /// New root.
        new_root: String,
        /// Where the old root goes.
        put_old: String,
    },
    /// [`Sys::chdir`].
    Chdir(String),
    /// [`Sys::mkdir_all`].
    MkdirAll(String),
    /// [`Sys::create_file`].
    CreateFile(String),
    /// [`Sys::mknod`].
    Mknod {
        /// Node path.
        path: String,
        /// Char or block.
        kind: DeviceKind,
        /// Mode bits.
        mode: u32,
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// [`Sys::symlink`].
    Symlink {
        /// What the link points to.
        target: String,
        /// The link.
        link: String,
    },
    /// [`Sys::set_hostname`].
    SetHostname(String),
    /// [`Sys::set_domainname`].
    SetDomainname(String),
}

#[derive(Debug, Clone)]
enum Entry {
    Dir,
    File,
    Symlink(PathBuf),
}

/// Which calls fail, and with which errno.
#[derive(Debug, Clone)]
enum Failure {
    Overlay(i32),
    MountFstype(String, i32),
}

/// The recording fake. Not `Sync`: tests use one per test.
#[derive(Debug, Default)]
pub struct FakeSys {
    calls: RefCell<Vec<Call>>,
    tree: RefCell<BTreeMap<PathBuf, Entry>>,
    failures: RefCell<Vec<Failure>>,
    mount_flags: RefCell<BTreeMap<PathBuf, MsFlags>>,
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl FakeSys {
    /// An empty fake.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a directory (and its parents) to the fake tree.
    pub fn with_dir(self, path: &str) -> Self {
        self.insert_dirs(Path::new(path));
        self
    }

    /// Adds a regular file (and its parent directories).
    pub fn with_file(self, path: &str) -> Self {
        let p = PathBuf::from(path);
        if let Some(parent) = p.parent() {
            self.insert_dirs(parent);
        }
        self.tree.borrow_mut().insert(p, Entry::File);
        self
    }

    /// Adds a symlink `link` → `target`.
    pub fn with_symlink(self, link: &str, target: &str) -> Self {
        let p = PathBuf::from(link);
        if let Some(parent) = p.parent() {
            self.insert_dirs(parent);
        }
        self.tree
            .borrow_mut()
            .insert(p, Entry::Symlink(PathBuf::from(target)));
        self
    }

    /// Makes [`Sys::mount_overlay`] fail with `errno` (an old kernel).
    pub fn failing_overlay_api(self, errno: i32) -> Self {
        self.failures.borrow_mut().push(Failure::Overlay(errno));
        self
    }

    /// Makes every [`Sys::mount`] of `fstype` fail with `errno`.
    pub fn failing_mount_of(self, fstype: &str, errno: i32) -> Self {
        self.failures
            .borrow_mut()
            .push(Failure::MountFstype(fstype.to_owned(), errno));
        self
    }

    /// Sets what [`Sys::mount_flags`] answers for `path`.
    pub fn with_mount_flags(self, path: &str, flags: MsFlags) -> Self {
        self.mount_flags
            .borrow_mut()
            .insert(PathBuf::from(path), flags);
        self
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    /// Only the mount-related calls (mount, overlay, umount, pivot_root), in order.
    pub fn mounts(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| {
                matches!(
                    c,
                    Call::Mount { .. }
                        | Call::Overlay { .. }
                        | Call::Umount { .. }
                        | Call::PivotRoot { .. }
                )
            })
            .collect()
    }

    fn insert_dirs(&self, path: &Path) {
        let mut tree = self.tree.borrow_mut();
        let mut cur = PathBuf::new();
        for c in lexical(path).components() {
            cur.push(c);
            tree.entry(cur.clone()).or_insert(Entry::Dir);
        }
    }

    fn record(&self, call: Call) {
        self.calls.borrow_mut().push(call);
    }

    fn resolve(&self, path: &Path, depth: u32) -> Option<(PathBuf, Entry)> {
        if depth > 40 {
            return None;
        }
        let tree = self.tree.borrow();
        let path = lexical(path);
        let entry = tree.get(&path)?.clone();
        drop(tree);
        match entry {
            Entry::Symlink(target) => {
                let next = if target.is_absolute() {
                    target
                } else {
                    path.parent().unwrap_or(Path::new("/")).join(target)
                };
                self.resolve(&next, depth + 1)
            }
            e => Some((path, e)),
        }
    }
}

fn kind(e: &Entry) -> FileKind {
    match e {
        Entry::Dir => FileKind::Dir,
        Entry::File => FileKind::File,
        Entry::Symlink(_) => FileKind::Symlink,
    }
}

impl Sys for FakeSys {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> io::Result<()> {
        self.record(Call::Mount {
            source: source.map(s),
            target: s(target),
            fstype: fstype.map(str::to_owned),
            flags,
            data: data.map(str::to_owned),
        });
        for f in self.failures.borrow().iter() {
            if let Failure::MountFstype(t, errno) = f
                && Some(t.as_str()) == fstype
            {
                return Err(io::Error::from_raw_os_error(*errno));
            }
        }
        Ok(())
    }

    fn mount_overlay(&self, target: &Path, layers: &OverlayLayers<'_>) -> io::Result<()> {
        for f in self.failures.borrow().iter() {
            if let Failure::Overlay(errno) = f {
                return Err(io::Error::from_raw_os_error(*errno));
            }
        }
        self.record(Call::Overlay {
            target: s(target),
            lower: layers.lower.iter().map(|p| s(p)).collect(),
            upper: s(layers.upper),
            work: s(layers.work),
        });
        Ok(())
    }

    fn umount(&self, target: &Path, detach: bool) -> io::Result<()> {
        self.record(Call::Umount {
            target: s(target),
            detach,
        });
        Ok(())
    }

    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> io::Result<()> {
        self.record(Call::PivotRoot {
            new_root: s(new_root),
            put_old: s(put_old),
        });
        Ok(())
    }

    fn chdir(&self, dir: &Path) -> io::Result<()> {
        self.record(Call::Chdir(s(dir)));
        Ok(())
    }

    fn mkdir_all(&self, dir: &Path, _mode: u32) -> io::Result<()> {
        self.record(Call::MkdirAll(s(dir)));
        self.insert_dirs(dir);
        Ok(())
    }

    fn create_file(&self, path: &Path, _mode: u32) -> io::Result<()> {
        self.record(Call::CreateFile(s(path)));
        self.tree
            .borrow_mut()
            .entry(lexical(path))
            .or_insert(Entry::File);
        Ok(())
    }

    fn mknod(
        &self,
        path: &Path,
        kind: DeviceKind,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> io::Result<()> {
        self.record(Call::Mknod {
            path: s(path),
            kind,
            mode,
            major,
            minor,
        });
        self.tree.borrow_mut().insert(lexical(path), Entry::File);
        Ok(())
    }

    fn symlink(&self, target: &Path, link: &Path) -> io::Result<()> {
        self.record(Call::Symlink {
            target: s(target),
            link: s(link),
        });
        self.tree
            .borrow_mut()
            .insert(lexical(link), Entry::Symlink(target.to_path_buf()));
        Ok(())
    }

    fn lstat(&self, path: &Path) -> io::Result<Option<FileKind>> {
        Ok(self.tree.borrow().get(&lexical(path)).map(kind))
    }

    fn stat(&self, path: &Path) -> io::Result<Option<FileKind>> {
        Ok(self.resolve(path, 0).map(|(_, e)| kind(&e)))
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        match self.tree.borrow().get(&lexical(path)) {
            Some(Entry::Symlink(t)) => Ok(t.clone()),
            Some(_) => Err(io::Error::from_raw_os_error(libc::EINVAL)),
            None => Err(io::Error::from_raw_os_error(libc::ENOENT)),
        }
    }

    fn copy_up(&self, _from: &Path, _volume: &Path) -> io::Result<()> {
        Ok(())
    }

    fn mount_flags(&self, path: &Path) -> io::Result<MsFlags> {
        let flags = self.mount_flags.borrow();
        let mut p = lexical(path);
        loop {
            if let Some(f) = flags.get(&p) {
                return Ok(*f);
            }
            if !p.pop() {
                return Ok(MsFlags::empty());
            }
        }
    }

    fn set_hostname(&self, name: &str) -> io::Result<()> {
        self.record(Call::SetHostname(name.to_owned()));
        Ok(())
    }

    fn set_domainname(&self, name: &str) -> io::Result<()> {
        self.record(Call::SetDomainname(name.to_owned()));
        Ok(())
    }
}
