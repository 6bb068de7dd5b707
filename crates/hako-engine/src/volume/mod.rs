//! Volumes with the `local` driver: `<data_root>/volumes/<name>/_data` holds the data and
//! `<data_root>/volumes/<name>/volume.json` the metadata (written atomically), so a volume
//! is one directory that can be listed, inspected and removed on its own.
//!
//! [`VolumeStore`] is the on-disk store (blocking, fast metadata operations); the
//! engine's verbs over it (create, list, inspect, remove, prune, with events and the
//! in-use check against containers) are in [`ops`]. Volumes created with mount options
//! (`-o type=,device=,o=`) are mounted on `_data` while containers use them
//! ([`local_mount`]); the store counts those users.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::state;

pub mod local_mount;
pub mod ops;

use local_mount::MountOpts;

/// The label Docker (API ≥ 1.42) puts on anonymous volumes; `volume prune` removes only
/// those unless asked for `all`.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// One volume as stored and as inspect shows it.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(default)]
pub struct Volume {
    /// Name: user-given or 64 hex for anonymous volumes.
    pub name: String,
    /// Always `local`.
    pub driver: String,
    /// `<data_root>/volumes/<name>/_data`.
    pub mountpoint: PathBuf,
    /// RFC 3339 creation time (seconds).
    pub created_at: String,
    /// User labels (plus [`ANONYMOUS_LABEL`] for anonymous ones).
    pub labels: BTreeMap<String, String>,
    /// Driver options as given (`type`, `device`, `o`).
    pub options: BTreeMap<String, String>,
}

impl Volume {
    /// Created for an image `VOLUME` or `-v /path` without a name.
    pub fn is_anonymous(&self) -> bool {
        self.labels.contains_key(ANONYMOUS_LABEL)
    }
}

/// Docker's rule for local volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The volumes under one root, cached in memory, each write persisted before it is visible.
#[derive(Debug)]
pub struct VolumeStore {
    root: PathBuf,
    volumes: Mutex<BTreeMap<String, Volume>>,
    /// Volumes with mount options that are mounted now → how many started containers use
    /// them.
    mounts: Mutex<BTreeMap<String, usize>>,
}

fn io(context: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> EngineError {
    let path = path.to_path_buf();
    move |source| EngineError::Io {
        context,
        path,
        source,
    }
}

impl VolumeStore {
    /// Opens (creating) `root` and loads every volume in it. A directory without metadata
    /// whose `_data` exists (written by a crash between mkdir and the metadata) is adopted
    /// as a plain local volume.
    pub fn open(root: PathBuf) -> Result<Self> {
        fs::create_dir_all(&root).map_err(io("create", &root))?;
        let mut volumes = BTreeMap::new();
        for dirent in fs::read_dir(&root).map_err(io("read", &root))? {
            let dirent = dirent.map_err(io("read", &root))?;
            let Ok(name) = dirent.file_name().into_string() else {
                continue;
            };
            if !is_valid_name(&name) {
                continue;
            }
            let dir = dirent.path();
            let meta: Option<Volume> = match state::read_json(&dir.join("volume.json")) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(volume = %name, error = %e, "volume metadata unreadable");
                    None
                }
            };
            let vol = match meta {
                Some(v) => v,
                None if dir.join("_data").is_dir() => Volume {
                    name: name.clone(),
                    driver: "local".into(),
                    mountpoint: dir.join("_data"),
                    ..Volume::default()
                },
                None => continue,
            };
            volumes.insert(name, vol);
        }
        Ok(Self {
            root,
            volumes: Mutex::new(volumes),
            mounts: Mutex::new(BTreeMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Volume>> {
        self.volumes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_mounts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, usize>> {
        self.mounts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A container using `name` starts: a volume with mount options is mounted for its
    /// first user. Plain (and unknown) volumes need nothing.
    pub fn acquire_mount(&self, name: &str) -> Result<()> {
        let Some(vol) = self.get(name) else {
            return Ok(());
        };
        let Some(opts) = MountOpts::parse(&vol.options)? else {
            return Ok(());
        };
        let mut mounts = self.lock_mounts();
        let users = mounts.entry(name.to_string()).or_insert(0);
        if *users == 0
            && !local_mount::is_mounted(&vol.mountpoint)
            && let Err(e) = opts.mount(&vol.mountpoint)
        {
            mounts.remove(name);
            return Err(e);
        }
        *users += 1;
        Ok(())
    }

    /// A container using `name` stopped (or failed to start): the last user unmounts.
    pub fn release_mount(&self, name: &str) {
        let mut mounts = self.lock_mounts();
        let Some(users) = mounts.get_mut(name) else {
            return;
        };
        *users = users.saturating_sub(1);
        if *users > 0 {
            return;
        }
        mounts.remove(name);
        if let Some(vol) = self.get(name)
            && local_mount::is_mounted(&vol.mountpoint)
            && let Err(e) = local_mount::unmount(&vol.mountpoint)
        {
            tracing::warn!(volume = %name, error = %e, "unmounting the volume failed");
        }
    }

    /// At daemon start, with the running containers' use of each volume: counts are set
    /// and what nobody uses any more (its users ended while the daemon was down) is
    /// unmounted.
    pub fn settle_mounts(&self, users: &BTreeMap<String, usize>) {
        let mut mounts = self.lock_mounts();
        mounts.clear();
        for vol in self.list().into_iter().filter(|v| !v.options.is_empty()) {
            match users.get(&vol.name) {
                Some(n) if *n > 0 => {
                    mounts.insert(vol.name.clone(), *n);
                }
                _ if local_mount::is_mounted(&vol.mountpoint) => {
                    if let Err(e) = local_mount::unmount(&vol.mountpoint) {
                        tracing::warn!(volume = %vol.name, error = %e, "unmounting an unused volume failed");
                    }
                }
                _ => {}
            }
        }
    }

    /// The volume called `name`.
    pub fn get(&self, name: &str) -> Option<Volume> {
        self.lock().get(name).cloned()
    }

    /// Every volume, by name.
    pub fn list(&self) -> Vec<Volume> {
        self.lock().values().cloned().collect()
    }

    /// Creates `name` unless it exists; `Ok((volume, created))`.
    pub fn create(
        &self,
        name: &str,
        labels: BTreeMap<String, String>,
        options: BTreeMap<String, String>,
    ) -> Result<(Volume, bool)> {
        let mut vols = self.lock();
        if let Some(v) = vols.get(name) {
            return Ok((v.clone(), false));
        }
        let dir = self.root.join(name);
        let data = dir.join("_data");
        fs::create_dir_all(&data).map_err(io("create", &data))?;
        let now = crate::timefmt::now_nanos();
        let vol = Volume {
            name: name.to_string(),
            driver: "local".into(),
            mountpoint: data,
            created_at: crate::timefmt::rfc3339_nano(now - now % 1_000_000_000),
            labels,
            options,
        };
        if let Err(e) = state::write_json(&dir.join("volume.json"), &vol, true) {
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
        vols.insert(name.to_string(), vol.clone());
        Ok((vol, true))
    }

    /// Forgets `name` and deletes its directory (data first, metadata last, so that a
    /// crash halfway leaves a volume that can be removed again).
    pub fn remove(&self, name: &str) -> Result<Option<Volume>> {
        let mut vols = self.lock();
        let Some(vol) = vols.get(name).cloned() else {
            return Ok(None);
        };
        let dir = self.root.join(name);
        let data = dir.join("_data");
        // Never delete through a mount: a bind volume's `_data` is someone's directory.
        if local_mount::is_mounted(&data) {
            local_mount::unmount(&data).map_err(io("unmount", &data))?;
            self.lock_mounts().remove(name);
        }
        if local_mount::is_mounted(&data) {
            return Err(io("remove", &data)(std::io::Error::new(
                std::io::ErrorKind::ResourceBusy,
                "still mounted",
            )));
        }
        match fs::remove_dir_all(&data) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("remove", &data)(e)),
        }
        match fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("remove", &dir)(e)),
        }
        vols.remove(name);
        Ok(Some(vol))
    }
}

/// Bytes used under `path` (files counted once per inode), for `docker system df -v`
/// and prune's `SpaceReclaimed`.
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(md) = e.metadata() else { continue };
            if md.is_dir() {
                stack.push(e.path());
            } else if seen.insert((md.dev(), md.ino())) {
                total += md.blocks() * 512;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_name("data"));
        assert!(is_valid_name("a1_b.c-d"));
        assert!(!is_valid_name("a"));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name("x/y"));
        assert!(!is_valid_name(""));
    }

    #[test]
    fn create_reload_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = VolumeStore::open(dir.path().join("volumes")).unwrap();
        let labels: BTreeMap<_, _> = [("k".to_string(), "v".to_string())].into();
        let (v, created) = store
            .create("data", labels.clone(), BTreeMap::new())
            .unwrap();
        assert!(created);
        assert!(v.mountpoint.ends_with("volumes/data/_data") && v.mountpoint.is_dir());
        assert!(v.created_at.ends_with('Z') && !v.created_at.contains('.'));
        let (_, again) = store
            .create("data", BTreeMap::new(), BTreeMap::new())
            .unwrap();
        assert!(!again);
        fs::write(v.mountpoint.join("f"), b"x").unwrap();
        // A crash after mkdir but before the metadata: adopted on reload.
        fs::create_dir_all(dir.path().join("volumes/orphan/_data")).unwrap();
        let store = VolumeStore::open(dir.path().join("volumes")).unwrap();
        assert_eq!(store.get("data").unwrap().labels, labels);
        assert_eq!(store.list().len(), 2);
        assert!(store.remove("data").unwrap().is_some());
        assert!(!dir.path().join("volumes/data").exists());
        assert!(store.remove("data").unwrap().is_none());
    }
}
