//! `GET /containers/{id}/json`.

use std::path::Path;

use super::entry::{Entry, Inner};
use crate::container::view::{ContainerView, GraphDriver};
use crate::engine::Engine;
use crate::error::{EngineError, Result};

impl Engine {
    /// Everything about one container. `size` computes the layer sizes.
    pub async fn container_inspect(&self, id: &str, size: bool) -> Result<ContainerView> {
        let entry = self.containers.get(id)?;
        let mut view = {
            let inner = entry.inner.lock().await;
            view_of(&entry, &inner)
        };
        view.network = self.net.endpoint(&entry.id);
        (view.connected, view.primary_disconnected) = self.connected_view(&entry);
        if size {
            fill_sizes(&mut view).await?;
        }
        Ok(view)
    }
}

/// Copies what the API shows out of a locked entry.
pub(crate) fn view_of(entry: &Entry, inner: &Inner) -> ContainerView {
    let r = &inner.record;
    ContainerView {
        id: r.id.clone(),
        name: r.name.clone(),
        created: r.created.clone(),
        path: r.path.clone(),
        args: r.args.clone(),
        image_id: r.image_id.clone(),
        image_name: r.config.image.clone(),
        platform: r.platform.clone(),
        config: r.config.clone(),
        host_config: r.host_config.clone(),
        mount_points: r.mount_points.clone(),
        state: inner.state.clone(),
        exec_ids: inner.exec_ids.clone(),
        resolv_conf_path: entry.dir.join("resolv.conf"),
        hostname_path: entry.dir.join("hostname"),
        hosts_path: entry.dir.join("hosts"),
        log_path: entry.log_paths().live,
        graph: GraphDriver {
            lower: r.lower_dirs.clone(),
            upper: entry.dir.join("upper"),
            work: entry.dir.join("work"),
            merged: entry.run_dir.join("rootfs"),
        },
        size_rw: None,
        size_root_fs: None,
        network: None,
        connected: Vec::new(),
        primary_disconnected: false,
    }
}

/// `SizeRw` (the writable layer) and `SizeRootFs` (image layers + writable layer).
pub(crate) async fn fill_sizes(view: &mut ContainerView) -> Result<()> {
    let upper = view.graph.upper.clone();
    let lowers = view.graph.lower.clone();
    let (rw, lower) = tokio::task::spawn_blocking(move || {
        let rw = dir_size(&upper);
        let lower: u64 = lowers.iter().map(|l| dir_size(l)).sum();
        (rw, lower)
    })
    .await
    .map_err(|e| EngineError::Task(e.to_string()))?;
    let rw = i64::try_from(rw).unwrap_or(i64::MAX);
    view.size_rw = Some(rw);
    view.size_root_fs = Some(rw.saturating_add(i64::try_from(lower).unwrap_or(i64::MAX)));
    Ok(())
}

/// Bytes of regular files under `dir`, hard links counted once, symlinks not followed.
pub(crate) fn dir_size(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() && (m.nlink() == 1 || seen.insert((m.dev(), m.ino()))) {
                total += m.len();
            }
        }
    }
    total
}
