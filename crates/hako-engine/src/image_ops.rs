//! Image verbs (list, inspect, delete, import) and image resolution for `create`, on top
//! of `hako_image::ImageStore`. The store blocks, so every call runs in `spawn_blocking`.

use std::path::PathBuf;
use std::sync::Arc;

use hako_image::{ContainerUse, Digest, Image, ImageStore, ImageUsage, Platform};

use crate::container::ImageDefaults;
use crate::container::options::BoxRead;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::image::{ImageDeleteItem, ImageDetails, ImageListOptions, ImageSummary, ImportOptions};

/// An image chosen for a new container.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResolvedImage {
    /// `sha256:...`.
    pub id: String,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// What containers inherit.
    pub defaults: ImageDefaults,
    /// Layer directories, topmost first.
    pub lower_dirs: Vec<PathBuf>,
    /// Remarks for the user (platform mismatch...).
    pub warnings: Vec<String>,
}

/// Which containers use which image, captured before a blocking store call.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    containers: Vec<(String, ContainerUse)>,
    snapshots: Vec<Digest>,
}

impl ImageUsage for Usage {
    fn containers_using(&self, image: &Digest) -> Vec<ContainerUse> {
        let id = image.to_string();
        self.containers
            .iter()
            .filter(|(img, _)| *img == id)
            .map(|(_, c)| c.clone())
            .collect()
    }

    fn snapshots_in_use(&self) -> Vec<Digest> {
        self.snapshots.clone()
    }
}

impl Engine {
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ImageStore) -> hako_image::Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.images.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| EngineError::Task(e.to_string()))?
            .map_err(EngineError::from)
    }

    pub(crate) async fn usage(&self) -> Usage {
        let mut usage = Usage::default();
        for entry in self.containers.all() {
            let inner = entry.inner.lock().await;
            let running = inner.state.status.is_running();
            usage.containers.push((
                inner.record.image_id.clone(),
                ContainerUse {
                    id: entry.id.clone(),
                    running,
                },
            ));
            // Lower dirs are `<snapshots>/<chain hex>/fs`, topmost first: the top one pins
            // the whole chain below it.
            let top = inner
                .record
                .lower_dirs
                .first()
                .and_then(|d| d.parent()?.file_name()?.to_str().map(str::to_owned));
            if let Some(d) = top.and_then(|hex| Digest::from_hex(&hex).ok()) {
                usage.snapshots.push(d);
            }
        }
        usage
    }

    /// Lists images.
    pub async fn image_list(&self, opts: ImageListOptions) -> Result<Vec<ImageSummary>> {
        let f = opts.filters.clone();
        f.validate(&["dangling", "reference", "label", "before", "since", "until"])?;
        for d in f.get("dangling") {
            if !matches!(d.as_str(), "true" | "false" | "1" | "0") {
                return Err(EngineError::InvalidParameter(format!(
                    "invalid filter 'dangling={d}'"
                )));
            }
        }
        let usage = self.usage().await;
        let images = self.blocking(|s| s.list()).await?;
        let boundary = |key: Option<&String>| -> Result<Option<String>> {
            let Some(key) = key else { return Ok(None) };
            let found = images.iter().find(|i| {
                i.id.to_string() == *key
                    || i.id.hex().starts_with(key.trim_start_matches("sha256:"))
                    || i.repo_tags
                        .iter()
                        .any(|t| t == key || t.strip_suffix(":latest") == Some(key))
            });
            match found {
                Some(i) => Ok(i.created.clone()),
                None => Err(EngineError::Image(hako_image::Error::ImageNotFound {
                    reference: key.clone(),
                })),
            }
        };
        let before = boundary(f.get("before").first())?;
        let since = boundary(f.get("since").first())?;
        let mut out = Vec::new();
        for image in &images {
            let dangling = image.is_dangling();
            let dangling_ok = f.matches_any("dangling", |d| matches!(d, "true" | "1") == dangling);
            let reference_ok = f.matches_any("reference", |pattern| {
                image
                    .repo_tags
                    .iter()
                    .any(|t| reference_matches(pattern, t))
            });
            let labels = image
                .config
                .config
                .as_ref()
                .and_then(|c| c.labels.clone())
                .unwrap_or_default();
            let created = image.created.clone();
            let before_ok = before
                .as_ref()
                .is_none_or(|b| created.as_ref().is_some_and(|c| c < b));
            let since_ok = since
                .as_ref()
                .is_none_or(|s| created.as_ref().is_some_and(|c| c > s));
            if dangling_ok
                && reference_ok
                && before_ok
                && since_ok
                && f.matches_labels("label", &labels)
            {
                let containers = usage.containers_using(&image.id).len();
                let manifests = match opts.manifests {
                    true => Some(
                        self.image_platforms(&image.id)
                            .await?
                            .map(|f| crate::image_platforms::summaries(&f, &usage))
                            .unwrap_or_default(),
                    ),
                    false => None,
                };
                out.push(ImageSummary {
                    manifests,
                    id: image.id.to_string(),
                    parent_id: image
                        .parent
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    repo_tags: image.repo_tags.clone(),
                    repo_digests: image.repo_digests.clone(),
                    created: created
                        .as_deref()
                        .and_then(crate::timefmt::parse_rfc3339)
                        .map_or(0, |n| i64::try_from(n / 1_000_000_000).unwrap_or(0)),
                    size: i64::try_from(image.size).unwrap_or(i64::MAX),
                    labels,
                    containers: i64::try_from(containers).unwrap_or(0),
                    shared_size: -1,
                });
            }
        }
        Ok(out)
    }

    /// Everything about one image.
    pub async fn image_inspect(&self, name: &str) -> Result<ImageDetails> {
        self.image_inspect_with(name, false).await
    }

    /// [`Engine::image_inspect`], with `manifests` (API 1.48 `manifests=1`) every
    /// manifest of the image's index too.
    pub async fn image_inspect_with(&self, name: &str, manifests: bool) -> Result<ImageDetails> {
        let name = name.to_string();
        let image = self.blocking(move |s| s.resolve(&name)).await?;
        let mut out = details(&image);
        let found = self.image_platforms(&image.id).await?;
        if manifests {
            let usage = self.usage().await;
            out.manifests = Some(
                found
                    .as_ref()
                    .map(|f| crate::image_platforms::summaries(f, &usage))
                    .unwrap_or_default(),
            );
        }
        out.descriptor = found.map(|f| f.descriptor);
        Ok(out)
    }

    /// Untags and deletes an image, Docker's way. `force` also removes images used by
    /// stopped containers; `prune` deletes untagged parents.
    pub async fn image_delete(
        &self,
        name: &str,
        force: bool,
        prune: bool,
    ) -> Result<Vec<ImageDeleteItem>> {
        let usage = self.usage().await;
        let name = name.to_string();
        let opts = hako_image::DeleteOptions { force, prune };
        let items = self
            .blocking(move |s| s.delete(&name, opts, &usage))
            .await?;
        let mut out = Vec::new();
        for item in items {
            let (kind, id) = match item {
                hako_image::DeleteItem::Untagged(r) => ("untag", ImageDeleteItem::Untagged(r)),
                hako_image::DeleteItem::Deleted(d) => ("delete", ImageDeleteItem::Deleted(d)),
            };
            let actor = match &id {
                ImageDeleteItem::Untagged(r) | ImageDeleteItem::Deleted(r) => r.clone(),
            };
            self.events.emit(
                "image",
                kind,
                &actor,
                [("name".to_string(), actor.clone())].into(),
            );
            out.push(id);
        }
        Ok(out)
    }

    /// Imports a root filesystem tarball (`docker import`) and returns the image ID.
    pub async fn image_import(&self, source: BoxRead, opts: ImportOptions) -> Result<String> {
        let reference = match (
            opts.repo.filter(|r| !r.is_empty()),
            opts.tag.filter(|t| !t.is_empty()),
        ) {
            (Some(repo), Some(tag)) => Some(format!("{repo}:{tag}")),
            (Some(repo), None) => Some(repo),
            (None, Some(_)) => {
                return Err(EngineError::InvalidParameter(
                    "a tag needs a repository".into(),
                ));
            }
            (None, None) => None,
        };
        let platform = opts
            .platform
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(parse_platform)
            .transpose()?;
        let store_opts = hako_image::ImportOptions {
            reference: reference.clone(),
            message: opts.message,
            changes: opts.changes,
            platform,
            source: Some("-".to_string()),
        };
        let handle = tokio::runtime::Handle::current();
        let image = self
            .blocking(move |s| {
                let _enter = handle.enter();
                let reader = tokio_util::io::SyncIoBridge::new_with_handle(source, handle.clone());
                s.import(reader, &store_opts)
            })
            .await?;
        let id = image.id.to_string();
        let name = reference.unwrap_or_else(|| id.clone());
        self.events
            .emit("image", "import", &id, [("name".to_string(), name)].into());
        Ok(id)
    }

    /// The image a new container runs, its defaults and its layer directories.
    pub(crate) async fn resolve_image(
        &self,
        name: &str,
        platform: Option<&str>,
    ) -> Result<ResolvedImage> {
        if name.is_empty() {
            return Err(EngineError::InvalidParameter(
                "config.Image must be set".into(),
            ));
        }
        let wanted = platform
            .filter(|p| !p.is_empty())
            .map(parse_platform)
            .transpose()?;
        let name = name.to_string();
        let (image, lower_dirs) = self
            .blocking(move |s| {
                let image = s.resolve_for_run(&name, wanted.as_ref())?;
                let lower = s.lower_dirs(&image.id)?;
                Ok((image, lower))
            })
            .await?;
        let mut warnings = Vec::new();
        let host = Platform::host();
        if platform.is_none() && !host.matches(&image.platform) {
            warnings.push(format!(
                "The requested image's platform ({}) does not match the detected host platform ({}) and no specific platform was requested",
                image.platform, host
            ));
        }
        let c = image.config.config.clone().unwrap_or_default();
        Ok(ResolvedImage {
            id: image.id.to_string(),
            platform: image.platform.to_string(),
            defaults: ImageDefaults {
                user: c.user.unwrap_or_default(),
                env: c.env.unwrap_or_default(),
                cmd: c.cmd,
                entrypoint: c.entrypoint,
                working_dir: c.working_dir.unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
                exposed_ports: c
                    .exposed_ports
                    .map(|p| p.into_keys().collect())
                    .unwrap_or_default(),
                volumes: c
                    .volumes
                    .map(|v| v.into_keys().collect())
                    .unwrap_or_default(),
                stop_signal: c.stop_signal,
                healthcheck: c
                    .healthcheck
                    .and_then(|v| crate::container::health::from_image_json(&v)),
            },
            lower_dirs,
            warnings,
        })
    }

    /// Removes blobs and layers nothing refers to (leftovers of a crash), once the
    /// containers are loaded so that theirs are kept.
    pub(crate) async fn collect_garbage(&self) -> Result<()> {
        let usage = self.usage().await;
        let removed = self.blocking(move |s| s.gc(&usage)).await?;
        if !removed.is_empty() {
            tracing::info!(count = removed.len(), "removed unreferenced image data");
        }
        Ok(())
    }

    pub(crate) async fn image_count(&self) -> usize {
        self.blocking(|s| s.list())
            .await
            .map(|l| l.len())
            .unwrap_or(0)
    }
}

/// Opens the image store under the data root, with the daemon's decompression bound.
pub(crate) fn open_store(
    root: PathBuf,
    limits: hako_image::unpack::LayerLimits,
) -> Result<Arc<ImageStore>> {
    Ok(Arc::new(ImageStore::open(root)?.with_layer_limits(limits)))
}

pub(crate) fn parse_platform(s: &str) -> Result<Platform> {
    Platform::parse(s)
        .map(Platform::normalize)
        .map_err(EngineError::from)
}

fn details(image: &Image) -> ImageDetails {
    let cfg = &image.config;
    ImageDetails {
        id: image.id.to_string(),
        repo_tags: image.repo_tags.clone(),
        repo_digests: image.repo_digests.clone(),
        parent: image
            .parent
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        comment: cfg.comment.clone().unwrap_or_default(),
        created: image.created.clone().unwrap_or_default(),
        author: cfg.author.clone().unwrap_or_default(),
        architecture: cfg.architecture.clone(),
        variant: cfg.variant.clone().unwrap_or_default(),
        os: cfg.os.clone(),
        size: i64::try_from(image.size).unwrap_or(i64::MAX),
        config: cfg
            .config
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
            .unwrap_or(serde_json::Value::Null),
        layers: cfg
            .rootfs
            .diff_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        layer_dirs: image.lower_dirs.clone(),
        descriptor: None,
        manifests: None,
    }
}

/// Docker's `reference` filter: a glob over the familiar `name:tag`, also matching the name
/// alone.
fn reference_matches(pattern: &str, tag: &str) -> bool {
    let name = tag.rsplit_once(':').map_or(tag, |(n, _)| n);
    glob(pattern, tag) || glob(pattern, name)
}

fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((prefix, rest)) => {
            let Some(tail) = s.strip_prefix(prefix) else {
                return false;
            };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_filter_globs() {
        assert!(reference_matches("busybox", "busybox:latest"));
        assert!(reference_matches("busy*", "busybox:latest"));
        assert!(reference_matches("busybox:lat*", "busybox:latest"));
        assert!(!reference_matches("box", "busybox:latest"));
        assert!(reference_matches(
            "*/busybox",
            "127.0.0.1:5000/busybox:latest"
        ));
    }
}
