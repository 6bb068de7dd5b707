//! Preparing an API socket: refuse when a daemon answers on it, replace it when it is a
//! leftover of a daemon that died, bind, and restrict it to owner and group (0660), the
//! group being `hako` (Docker's `docker` group semantics: its members may drive the daemon,
//! which is root-equivalent). The group is created with `groupadd --system` when absent;
//! if that fails the socket stays root's only, with a warning.

use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use tokio::net::{UnixListener, UnixStream};

use crate::error::DaemonError;

/// How long a live daemon gets to accept our probe connection.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Socket mode: the owner (root) and its group may connect, nobody else.
const SOCKET_MODE: u32 = 0o660;

/// The group that owns API sockets unless told otherwise.
pub const DEFAULT_GROUP: &str = "hako";

/// The gid of `name` from `/etc/group`.
fn group_id(group_file: &str, name: &str) -> Option<u32> {
    group_file.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        f.nth(1)?.parse().ok()
    })
}

/// The gid of `name`, creating the group when it does not exist (root only). `None` (with
/// a warning) when there is no such group and it cannot be created.
pub fn ensure_group(name: &str) -> Option<u32> {
    let read = || std::fs::read_to_string("/etc/group").unwrap_or_default();
    if let Some(gid) = group_id(&read(), name) {
        return Some(gid);
    }
    let created = std::process::Command::new("groupadd")
        .args(["--system", name])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    match group_id(&read(), name) {
        Some(gid) => {
            if created {
                tracing::info!(group = name, gid, "created the API socket group");
            }
            Some(gid)
        }
        None => {
            tracing::warn!(
                group = name,
                "no such group and groupadd failed: the API socket is root's only"
            );
            None
        }
    }
}

/// Binds `path` for the API, after making sure no live daemon is behind it; when `gid` is
/// given the socket belongs to that group.
pub async fn bind_with_group(path: &Path, gid: Option<u32>) -> Result<UnixListener, DaemonError> {
    let listener = bind(path).await?;
    if let Some(gid) = gid {
        std::os::unix::fs::chown(path, Some(0), Some(gid))
            .map_err(|e| DaemonError::io("set the group of", path, e))?;
    }
    Ok(listener)
}

/// Binds `path` for the API, after making sure no live daemon is behind it.
pub async fn bind(path: &Path) -> Result<UnixListener, DaemonError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| DaemonError::io("create socket directory", parent, e))?;
    }
    match tokio::time::timeout(PROBE_TIMEOUT, UnixStream::connect(path)).await {
        // Something accepted (or is too busy to accept in time): a live daemon.
        Ok(Ok(_)) | Err(_) => {
            return Err(DaemonError::SocketInUse {
                socket: path.to_path_buf(),
            });
        }
        Ok(Err(e)) if e.kind() == ErrorKind::NotFound => {}
        Ok(Err(e)) if e.kind() == ErrorKind::WouldBlock => {
            // A full accept backlog: someone is listening.
            return Err(DaemonError::SocketInUse {
                socket: path.to_path_buf(),
            });
        }
        Ok(Err(_)) => remove_stale(path)?,
    }
    let listener = UnixListener::bind(path).map_err(|e| DaemonError::io("bind", path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(SOCKET_MODE))
        .map_err(|e| DaemonError::io("set permissions of", path, e))?;
    Ok(listener)
}

/// Removes a socket nobody listens on. Anything that is not a socket stays: a daemon
/// must not delete a file someone put there by mistake.
fn remove_stale(path: &Path) -> Result<(), DaemonError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| DaemonError::io("inspect", path, e))?;
    if !meta.file_type().is_socket() {
        return Err(DaemonError::io(
            "refusing to replace",
            path,
            std::io::Error::new(ErrorKind::AlreadyExists, "exists and is not a socket"),
        ));
    }
    tracing::info!(socket = %path.display(), "replacing stale socket");
    std::fs::remove_file(path).map_err(|e| DaemonError::io("remove stale socket", path, e))
}

/// Removes our socket at shutdown (a missing one is fine).
pub fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(socket = %path.display(), error = %e, "cannot remove socket"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_with_mode_0660() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/api.sock");
        let _l = bind(&path).await.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o660);
    }

    #[tokio::test]
    async fn live_socket_is_refused_and_stale_one_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.sock");
        let live = bind(&path).await.unwrap();
        let err = bind(&path).await.unwrap_err();
        assert!(matches!(err, DaemonError::SocketInUse { .. }), "{err}");
        // Dropping a listener leaves its file behind, as a crashed daemon would.
        drop(live);
        assert!(path.exists());
        let _again = bind(&path).await.unwrap();
    }

    #[test]
    fn group_ids_from_the_group_file() {
        let f = "root:x:0:\nhako:x:998:alice,bob\nhakodev:x:1001:\n";
        assert_eq!(group_id(f, "hako"), Some(998));
        assert_eq!(group_id(f, "root"), Some(0));
        assert_eq!(group_id(f, "nope"), None);
    }

    #[tokio::test]
    async fn sockets_belong_to_the_group() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.sock");
        let _l = bind_with_group(&path, Some(4242)).await.unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (0, 4242));
        assert_eq!(meta.mode() & 0o777, 0o660);
    }

    #[tokio::test]
    async fn regular_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.sock");
        std::fs::write(&path, "not a socket").unwrap();
        let err = bind(&path).await.unwrap_err();
        assert!(err.to_string().contains("refusing to replace"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a socket");
    }
}
