//! `POST /build`: Docker's classic builder. `hako-build` parses the Dockerfile and runs
//! the steps; this module is its [`Backend`]: step containers, their commits, layers
//! from the context, the cache lookup and tags.
//!
//! Every build works in `<data_root>/build/<id>/` (the extracted context and the layer
//! tars) and labels its containers `hako.build`; whatever a build leaves when the daemon
//! dies (a step container, that directory) is removed at the next start
//! ([`Engine::reap_builds`]). A build whose client goes away is cancelled: the running
//! step's container is killed and removed.

mod backend;

use std::path::PathBuf;
use std::sync::Arc;

use hako_build::{BuildOptions, Built};
use tokio_util::sync::CancellationToken;
use tracing::{instrument, warn};

use crate::container::options::{BoxRead, RemoveOptions};
use crate::engine::Engine;
use crate::error::{EngineError, Result};

pub use hako_build::BuildError;

/// The label every step container carries, so that a restart finds the orphans.
pub(crate) const BUILD_LABEL: &str = "hako.build";

/// Where build output goes, line by line (`{"stream": ...}`).
pub type BuildOutput = Arc<dyn Fn(String) + Send + Sync>;

/// What `POST /build` asks for beyond the Dockerfile's own options.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// The builder's options.
    pub options: BuildOptions,
    /// `rm`: remove a step's container after it committed (Docker's default).
    pub remove: bool,
}

impl Engine {
    /// Builds the context tar (optionally gzip) read from `body`.
    #[instrument(skip_all)]
    pub async fn build(
        self: &Arc<Self>,
        req: BuildRequest,
        body: BoxRead,
        out: BuildOutput,
        cancel: CancellationToken,
    ) -> Result<Built> {
        let dir = self.builds_dir().join(crate::ids::new_id());
        let context = dir.join("context");
        let scratch = dir.join("scratch");
        for d in [&context, &scratch] {
            std::fs::create_dir_all(d).map_err(|source| EngineError::Io {
                context: "create",
                path: d.clone(),
                source,
            })?;
        }
        let result = async {
            extract_context(body, context.clone()).await?;
            let backend = backend::EngineBackend {
                engine: self.clone(),
                cancel: cancel.clone(),
                remove: req.remove,
            };
            let sink = out.clone();
            let sink = move |s: String| sink(s);
            hako_build::executor::build(&backend, &context, &scratch, &req.options, &sink)
                .await
                .map_err(EngineError::from)
        }
        .await;
        let d = dir.clone();
        let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(d)).await;
        result
    }

    fn builds_dir(&self) -> PathBuf {
        self.config.data_root.join("build")
    }

    /// Removes what builds interrupted by a daemon crash left: their step containers
    /// (killed first) and their working directories.
    pub(crate) async fn reap_builds(&self) {
        for entry in self.containers.all() {
            let is_build = entry
                .inner
                .lock()
                .await
                .record
                .config
                .labels
                .contains_key(BUILD_LABEL);
            if !is_build {
                continue;
            }
            let opts = RemoveOptions {
                force: true,
                volumes: true,
                link: false,
            };
            if let Err(e) = self.remove_entry(&entry, opts).await {
                warn!(container.id = %entry.id, error = %e, "cannot remove an interrupted build's container");
            }
        }
        let dir = self.builds_dir();
        if dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            warn!(path = %dir.display(), error = %e, "cannot remove interrupted builds' files");
        }
    }
}

/// Unpacks the context (tar, or gzip'd tar) into `dir`; entries cannot leave it.
async fn extract_context(body: BoxRead, dir: PathBuf) -> Result<()> {
    let reader = tokio_util::io::SyncIoBridge::new(body);
    tokio::task::spawn_blocking(move || {
        let mut reader = std::io::BufReader::new(reader);
        let gz = std::io::BufRead::fill_buf(&mut reader)
            .map(|b| b.starts_with(&[0x1f, 0x8b]))
            .map_err(|e| EngineError::InvalidParameter(format!("read the build context: {e}")))?;
        let inner: Box<dyn std::io::Read> = if gz {
            Box::new(flate2::read::GzDecoder::new(reader))
        } else {
            Box::new(reader)
        };
        let mut ar = tar::Archive::new(inner);
        ar.set_preserve_permissions(true);
        ar.set_preserve_mtime(true);
        ar.set_overwrite(true);
        ar.unpack(&dir)
            .map_err(|e| EngineError::InvalidParameter(format!("read the build context: {e}")))
    })
    .await
    .map_err(|e| EngineError::Task(e.to_string()))?
}
