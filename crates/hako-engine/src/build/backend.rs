//! The engine as `hako-build`'s [`Backend`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use hako_build::executor::{Output, RunStep};
use hako_build::{Backend, BuildError, Step};
use hako_errdefs::HasKind;
use hako_image::Digest;
use hako_image::manifest::ContainerConfig as ImageConfig;
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use super::BUILD_LABEL;
use crate::container::archive::ExtractOptions;
use crate::container::config::{ContainerConfig, CreateRequest};
use crate::container::options::{AttachOptions, RemoveOptions, WaitCondition};
use crate::engine::Engine;
use crate::error::EngineError;

/// Paths the engine mounts over in every container: not the step's changes.
const ENGINE_MOUNT_TARGETS: [&str; 4] = [
    "/etc/hosts",
    "/etc/hostname",
    "/etc/resolv.conf",
    "/dev/console",
];

pub(super) struct EngineBackend {
    pub(super) engine: Arc<Engine>,
    pub(super) cancel: CancellationToken,
    pub(super) remove: bool,
}

fn backend_err(e: EngineError) -> BuildError {
    match e {
        EngineError::Build(b) => b,
        e => BuildError::Backend {
            kind: e.kind(),
            message: e.to_string(),
        },
    }
}

fn short(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.get(..12).unwrap_or(hex)
}

fn step_of(image: &hako_image::Image) -> Step {
    Step {
        id: image.id.to_string(),
        config: image.config.config.clone().unwrap_or_default(),
    }
}

impl EngineBackend {
    /// A step container of `image` (not started).
    async fn create(&self, image: &str, step: Option<&RunStep>) -> Result<String, BuildError> {
        let mut config = ContainerConfig {
            image: image.to_owned(),
            labels: BTreeMap::from([(BUILD_LABEL.to_owned(), "true".to_owned())]),
            attach_stdout: true,
            attach_stderr: true,
            // A container only written into still needs a command to be created.
            cmd: Some(vec!["/hako-build-step".to_owned()]),
            entrypoint: Some(Vec::new()),
            ..ContainerConfig::default()
        };
        if let Some(run) = step {
            config.cmd = Some(run.cmd.clone());
            config.env = run.env.clone();
            config.working_dir = run.config.working_dir.clone().unwrap_or_default();
            config.user = run.config.user.clone().unwrap_or_default();
        }
        let created = self
            .engine
            .container_create(CreateRequest {
                config,
                ..CreateRequest::default()
            })
            .await
            .map_err(backend_err)?;
        Ok(created.id)
    }

    async fn remove(&self, id: &str, out: Option<&Output>) {
        let opts = RemoveOptions {
            force: true,
            volumes: true,
            link: false,
        };
        match self.engine.container_remove(id, opts).await {
            Ok(()) => {
                if let Some(out) = out {
                    out(format!(
                        " ---> Removed intermediate container {}\n",
                        short(id)
                    ));
                }
            }
            Err(e) => {
                if let Some(out) = out {
                    out(format!(
                        "Removing intermediate container {}: {e}\n",
                        short(id)
                    ));
                }
            }
        }
    }

    /// Commits container `id`'s changes over `parent` with `config`.
    async fn commit(
        &self,
        parent: &str,
        id: &str,
        config: ImageConfig,
        created_by: String,
    ) -> Result<String, BuildError> {
        let entry = self.engine.containers.get(id).map_err(backend_err)?;
        let upper = entry.dir.join("upper");
        let base: Digest = parent
            .parse()
            .map_err(|e: hako_image::Error| backend_err(e.into()))?;
        // Under --userns-remap the step ran remapped: its files take the IDs it saw.
        let owners = self
            .engine
            .remapped_ids(&entry)
            .await
            .as_ref()
            .map(crate::container::userns::owner_map);
        let opts = hako_image::CommitOptions {
            overrides: Some(config),
            created_by,
            owners,
            exclude: ENGINE_MOUNT_TARGETS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            ..hako_image::CommitOptions::default()
        };
        let store = self.engine.images.clone();
        let image = tokio::task::spawn_blocking(move || store.commit(&base, &upper, &opts))
            .await
            .map_err(|e| backend_err(EngineError::Task(e.to_string())))?
            .map_err(|e| backend_err(e.into()))?;
        Ok(image.id.to_string())
    }

    /// An image from scratch: the layer tar at `layer` (or nothing) with `config`.
    async fn on_scratch(
        &self,
        layer: Option<&Path>,
        config: ImageConfig,
        created_by: String,
    ) -> Result<String, BuildError> {
        let store = self.engine.images.clone();
        let layer = layer.map(Path::to_owned);
        let empty = tempfile_dir(&self.engine)?;
        let empty2 = empty.clone();
        let r = tokio::task::spawn_blocking(move || -> hako_image::Result<String> {
            let opts = hako_image::ImportOptions::default();
            let imported = match &layer {
                Some(p) => {
                    let f = std::fs::File::open(p).map_err(|e| hako_image::Error::Read {
                        what: p.display().to_string(),
                        source: e,
                    })?;
                    store.import(f, &opts)?
                }
                None => store.import(std::io::Cursor::new(vec![0u8; 1024]), &opts)?,
            };
            let copts = hako_image::CommitOptions {
                overrides: Some(config),
                created_by,
                ..hako_image::CommitOptions::default()
            };
            let image = store.commit(&imported.id, &empty2, &copts)?;
            Ok(image.id.to_string())
        })
        .await;
        let _ = std::fs::remove_dir_all(&empty);
        r.map_err(|e| backend_err(EngineError::Task(e.to_string())))?
            .map_err(|e| backend_err(e.into()))
    }
}

fn tempfile_dir(engine: &Engine) -> Result<std::path::PathBuf, BuildError> {
    let dir = engine
        .builds_dir()
        .join(format!("empty-{}", crate::ids::new_id()));
    std::fs::create_dir_all(&dir).map_err(|e| BuildError::Backend {
        kind: hako_errdefs::ErrorKind::Internal,
        message: format!("create {}: {e}", dir.display()),
    })?;
    Ok(dir)
}

/// Copies a step container's multiplexed output to the build output.
async fn pump(mut output: crate::container::options::BoxRead, out: &Output) {
    let mut header = [0u8; crate::frames::HEADER_LEN];
    loop {
        if output.read_exact(&mut header).await.is_err() {
            return;
        }
        let (_, len) = crate::frames::parse_header(&header);
        let mut buf = vec![0u8; len];
        if output.read_exact(&mut buf).await.is_err() {
            return;
        }
        out(String::from_utf8_lossy(&buf).into_owned());
    }
}

impl Backend for EngineBackend {
    fn image<'a>(
        &'a self,
        name: &'a str,
        out: &'a Output,
    ) -> BoxFuture<'a, hako_build::Result<Step>> {
        async move {
            let store = self.engine.images.clone();
            let n = name.to_owned();
            let found = tokio::task::spawn_blocking(move || store.resolve(&n))
                .await
                .map_err(|e| backend_err(EngineError::Task(e.to_string())))?;
            match found {
                Ok(image) => Ok(step_of(&image)),
                Err(e) if e.kind() == hako_errdefs::ErrorKind::NotFound => {
                    let req = crate::image_pull::PullRequest {
                        image: name.to_owned(),
                        ..Default::default()
                    };
                    out(format!("Pulling {name}\n"));
                    self.engine
                        .image_pull(req, Arc::new(|_| {}))
                        .await
                        .map_err(backend_err)?;
                    let store = self.engine.images.clone();
                    let n = name.to_owned();
                    let image = tokio::task::spawn_blocking(move || store.resolve(&n))
                        .await
                        .map_err(|e| backend_err(EngineError::Task(e.to_string())))?
                        .map_err(|e| backend_err(e.into()))?;
                    Ok(step_of(&image))
                }
                Err(e) => Err(backend_err(e.into())),
            }
        }
        .boxed()
    }

    fn run<'a>(
        &'a self,
        parent: &'a Step,
        run: RunStep,
        out: &'a Output,
    ) -> BoxFuture<'a, hako_build::Result<String>> {
        async move {
            let id = self.create(&parent.id, Some(&run)).await?;
            out(format!(" ---> Running in {}\n", short(&id)));
            let result = async {
                let attachment = self
                    .engine
                    .container_attach(
                        &id,
                        AttachOptions {
                            stdout: true,
                            stderr: true,
                            stream: true,
                            ..AttachOptions::default()
                        },
                    )
                    .await
                    .map_err(backend_err)?;
                self.engine
                    .container_start(&id)
                    .await
                    .map_err(backend_err)?;
                let wait = self
                    .engine
                    .container_wait(&id, WaitCondition::NotRunning)
                    .await
                    .map_err(backend_err)?;
                let both = async {
                    let (_, status) = tokio::join!(pump(attachment.output, out), wait);
                    status
                };
                let status = tokio::select! {
                    s = both => s,
                    () = self.cancel.cancelled() => return Err(BuildError::Cancelled),
                };
                if status.status_code != 0 {
                    return Err(BuildError::RunFailed {
                        command: run.cmd.join(" "),
                        code: status.status_code,
                    });
                }
                self.commit(&parent.id, &id, run.config.clone(), run.created_by.clone())
                    .await
            }
            .await;
            // A failed or cancelled step's container goes too: nothing is left behind.
            if result.is_err() || self.remove {
                self.remove(&id, result.is_ok().then_some(out)).await;
            }
            result
        }
        .boxed()
    }

    fn add<'a>(
        &'a self,
        parent: Option<&'a Step>,
        layer: &'a Path,
        config: ImageConfig,
        created_by: String,
        _out: &'a Output,
    ) -> BoxFuture<'a, hako_build::Result<String>> {
        async move {
            let Some(parent) = parent else {
                return self.on_scratch(Some(layer), config, created_by).await;
            };
            let id = self.create(&parent.id, None).await?;
            let result = async {
                let file = tokio::fs::File::open(layer)
                    .await
                    .map_err(|e| BuildError::Backend {
                        kind: hako_errdefs::ErrorKind::Internal,
                        message: format!("open the layer: {e}"),
                    })?;
                let opts = ExtractOptions {
                    copy_uid_gid: true,
                    no_overwrite_dir_non_dir: false,
                };
                self.engine
                    .container_extract(&id, "/", opts, Box::pin(file))
                    .await
                    .map_err(backend_err)?;
                self.commit(&parent.id, &id, config, created_by).await
            }
            .await;
            self.remove(&id, None).await;
            result
        }
        .boxed()
    }

    fn config<'a>(
        &'a self,
        parent: Option<&'a Step>,
        config: ImageConfig,
        created_by: String,
    ) -> BoxFuture<'a, hako_build::Result<String>> {
        async move {
            let Some(parent) = parent else {
                return self.on_scratch(None, config, created_by).await;
            };
            let empty = tempfile_dir(&self.engine)?;
            let store = self.engine.images.clone();
            let base: Digest = parent
                .id
                .parse()
                .map_err(|e: hako_image::Error| backend_err(e.into()))?;
            let dir = empty.clone();
            let r = tokio::task::spawn_blocking(move || {
                let opts = hako_image::CommitOptions {
                    overrides: Some(config),
                    created_by,
                    ..hako_image::CommitOptions::default()
                };
                store.commit(&base, &dir, &opts)
            })
            .await;
            let _ = std::fs::remove_dir_all(&empty);
            r.map_err(|e| backend_err(EngineError::Task(e.to_string())))?
                .map(|i| i.id.to_string())
                .map_err(|e| backend_err(e.into()))
        }
        .boxed()
    }

    fn cached<'a>(
        &'a self,
        parent: Option<&'a Step>,
        config: &'a ImageConfig,
        created_by: &'a str,
    ) -> BoxFuture<'a, hako_build::Result<Option<String>>> {
        async move {
            let Some(parent) = parent else {
                return Ok(None);
            };
            let store = self.engine.images.clone();
            let images = tokio::task::spawn_blocking(move || store.list())
                .await
                .map_err(|e| backend_err(EngineError::Task(e.to_string())))?
                .map_err(|e| backend_err(e.into()))?;
            // The newest match, as moby's image cache picks it.
            let hit = images
                .iter()
                .filter(|i| {
                    i.parent
                        .as_ref()
                        .is_some_and(|p| p.to_string() == parent.id)
                })
                .filter(|i| {
                    i.config
                        .history
                        .last()
                        .and_then(|h| h.created_by.as_deref())
                        == Some(created_by)
                })
                .filter(|i| i.config.config.as_ref() == Some(config))
                .max_by(|a, b| a.created.cmp(&b.created));
            Ok(hit.map(|i| i.id.to_string()))
        }
        .boxed()
    }

    fn export<'a>(
        &'a self,
        image: &'a Step,
        dir: &'a Path,
    ) -> BoxFuture<'a, hako_build::Result<()>> {
        async move {
            let id = self.create(&image.id, None).await?;
            let result = async {
                let mut rx = self
                    .engine
                    .container_export(&id)
                    .await
                    .map_err(backend_err)?;
                let (tx, brx) = std::sync::mpsc::sync_channel::<std::io::Result<bytes::Bytes>>(16);
                let target = dir.to_owned();
                let unpack = tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(&target)?;
                    let reader = ChannelReader {
                        rx: brx,
                        buf: bytes::Bytes::new(),
                    };
                    let mut ar = tar::Archive::new(reader);
                    ar.set_preserve_permissions(true);
                    ar.unpack(&target)
                });
                while let Some(chunk) = rx.recv().await {
                    if tx.send(chunk).is_err() {
                        break;
                    }
                }
                drop(tx);
                unpack
                    .await
                    .map_err(|e| backend_err(EngineError::Task(e.to_string())))?
                    .map_err(|e| BuildError::Backend {
                        kind: hako_errdefs::ErrorKind::Internal,
                        message: format!("copy the files of {}: {e}", short(&image.id)),
                    })
            }
            .await;
            self.remove(&id, None).await;
            result
        }
        .boxed()
    }

    fn tag<'a>(
        &'a self,
        id: &'a str,
        reference: &'a str,
    ) -> BoxFuture<'a, hako_build::Result<String>> {
        async move {
            let store = self.engine.images.clone();
            let (i, r) = (id.to_owned(), reference.to_owned());
            tokio::task::spawn_blocking(move || store.tag(&i, &r))
                .await
                .map_err(|e| backend_err(EngineError::Task(e.to_string())))?
                .map_err(|e| backend_err(e.into()))?;
            let last = reference.rsplit('/').next().unwrap_or(reference);
            Ok(if last.contains(':') {
                reference.to_owned()
            } else {
                format!("{reference}:latest")
            })
        }
        .boxed()
    }
}

/// A blocking reader over chunks sent from the async side.
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
    buf: bytes::Bytes,
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.buf.is_empty() {
            match self.rx.recv() {
                Ok(chunk) => self.buf = chunk?,
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf[..n]);
        self.buf = self.buf.slice(n..);
        Ok(n)
    }
}
