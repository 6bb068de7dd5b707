//! The engine itself: the stores and registries every verb works on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, Weak};

use crate::config::EngineConfig;
use crate::container::registry::Registry;
use crate::error::{EngineError, Result};
use crate::events::EventBus;
use crate::exec::entry::ExecEntry;
use crate::trash::Trash;

/// The container engine. Shared by the daemon's handlers in an `Arc`; every verb is a
/// method defined in the verb's own module (`container/start.rs`, ...).
#[derive(Debug)]
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) events: EventBus,
    pub(crate) containers: Registry,
    pub(crate) execs: RwLock<HashMap<String, Arc<ExecEntry>>>,
    pub(crate) images: Arc<hako_image::ImageStore>,
    /// Local volumes under `<data_root>/volumes`.
    pub(crate) volumes: crate::volume::VolumeStore,
    /// Bridges, endpoints, published ports, user networks.
    pub(crate) net: crate::network::Networking,
    pub(crate) emulation: crate::emulation::Emulation,
    /// Where removed container directories go (data root, then exec root).
    pub(crate) trash: [Trash; 2],
    /// Background tasks (exit watchers) need an owning handle to the engine.
    pub(crate) me: Weak<Engine>,
    /// Set once the daemon stops its containers on the way out: their exits must not
    /// trigger restart policies.
    pub(crate) shutting_down: std::sync::atomic::AtomicBool,
}

impl Engine {
    /// Opens the stores under the configured roots, re-adopts containers whose monitors are
    /// still running, records exits that happened while no daemon was running, and makes
    /// sure the built-in images exist.
    pub async fn open(config: EngineConfig) -> Result<Arc<Self>> {
        if config.exec_root.as_os_str().len() > EngineConfig::MAX_EXEC_ROOT_LEN {
            return Err(EngineError::InvalidParameter(format!(
                "exec root {} is too long: monitor socket paths must fit 108 bytes (at most {} bytes for the exec root)",
                config.exec_root.display(),
                EngineConfig::MAX_EXEC_ROOT_LEN
            )));
        }
        for dir in [
            config.containers_dir(),
            config.exec_root.join("c"),
            config.exec_root.join("e"),
        ] {
            std::fs::create_dir_all(&dir).map_err(|source| EngineError::Io {
                context: "create",
                path: dir.clone(),
                source,
            })?;
        }
        let images = {
            let (root, limits) = (config.image_dir(), config.layer_limits);
            tokio::task::spawn_blocking(move || crate::image_ops::open_store(root, limits))
                .await
                .map_err(|e| EngineError::Task(e.to_string()))??
        };
        let trash = [
            open_trash(config.data_root.join("trash"))?,
            open_trash(config.exec_root.join("trash"))?,
        ];
        let emulation = crate::emulation::Emulation::system(&config.data_root);
        let net = crate::network::Networking::new(&config.bridge, &config.bip)?;
        let volumes = crate::volume::VolumeStore::open(config.data_root.join("volumes"))?;
        let engine = Arc::new_cyclic(|me| Self {
            volumes,
            net,
            emulation,
            trash,
            images,
            config,
            events: EventBus::new(),
            containers: Registry::default(),
            execs: RwLock::new(HashMap::new()),
            me: me.clone(),
            shutting_down: std::sync::atomic::AtomicBool::new(false),
        });
        engine.load_containers().await?;
        engine.reap_builds().await;
        engine.settle_volume_mounts().await;
        engine.restore_network().await;
        engine.collect_garbage().await?;
        Ok(engine)
    }

    /// Stops background work. Containers keep running: their monitors own them. The cgroup
    /// parent is removed when no container is left in it.
    pub async fn shutdown(&self) {
        let parent = self.config.cgroup_parent.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = hako_runtime::cgroup::remove_parent_if_empty(&parent) {
                tracing::debug!(error = %e, "cgroup parent kept");
            }
        })
        .await;
    }

    /// The configuration the engine was opened with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// An owning handle for background tasks; `None` only while the engine is being dropped.
    pub(crate) fn handle(&self) -> Option<Arc<Engine>> {
        self.me.upgrade()
    }

    /// Takes a container's data and runtime directories away; their files are deleted in
    /// the background.
    pub(crate) fn discard_dirs(&self, data: &Path, run: &Path) -> Result<()> {
        for (trash, dir) in self.trash.iter().zip([data, run]) {
            trash.discard(dir).map_err(|source| EngineError::Io {
                context: "remove",
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Ok(())
    }

    /// `<exec_root>/e/<exec-id>`.
    pub(crate) fn exec_run_dir(&self, exec_id: &str) -> PathBuf {
        self.config.exec_root.join("e").join(exec_id)
    }
}

fn open_trash(dir: PathBuf) -> Result<Trash> {
    Trash::open(dir.clone()).map_err(|source| EngineError::Io {
        context: "create",
        path: dir,
        source,
    })
}
