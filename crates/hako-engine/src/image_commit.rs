//! `POST /commit`: a container's changes as a new image (moby `daemon/commit.go`).
//!
//! A running container is frozen while its upper directory is read (unless `pause=false`),
//! so that the layer is one consistent state; it is thawed again whatever happens.

use std::collections::BTreeMap;

use hako_image::Digest;
use hako_image::manifest::ContainerConfig as ImageContainerConfig;
use serde_json::{Value, json};
use tracing::{instrument, warn};

use crate::container::config::ContainerConfig;
use crate::container::status::Status;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::image::CommitOptions;

/// Paths the engine itself mounts over in every container: their mount targets are not
/// the user's changes (the same list `docker diff` hides).
const ENGINE_MOUNT_TARGETS: [&str; 4] = [
    "/etc/hosts",
    "/etc/hostname",
    "/etc/resolv.conf",
    "/dev/console",
];

impl Engine {
    /// Commits container `id` and returns the new image ID (`sha256:...`).
    #[instrument(skip(self, opts), fields(container.id = id))]
    pub async fn container_commit(&self, id: &str, opts: CommitOptions) -> Result<String> {
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
        let overrides = match opts.config {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value::<ImageContainerConfig>(v)
                    .map_err(|e| EngineError::InvalidParameter(format!("invalid config: {e}")))?,
            ),
        };
        let entry = self.containers.get(id)?;
        let (record, status) = {
            let inner = entry.inner.lock().await;
            (inner.record.clone(), inner.state.status)
        };
        let base: Digest = record
            .image_id
            .parse()
            .map_err(|e: hako_image::Error| EngineError::Image(e))?;
        let mut exclude: Vec<String> = record
            .mount_points
            .iter()
            .map(|m| m.destination.clone())
            .collect();
        exclude.extend(ENGINE_MOUNT_TARGETS.iter().map(|s| (*s).to_owned()));
        let store_opts = hako_image::CommitOptions {
            reference: reference.clone(),
            comment: opts.comment.clone(),
            author: opts.author,
            changes: opts.changes,
            overrides,
            container_config: image_config_of(&record.config),
            created_by: record.config.cmd.clone().unwrap_or_default().join(" "),
            exclude,
            owners: self
                .remapped_ids(&entry)
                .await
                .as_ref()
                .map(crate::container::userns::owner_map),
        };
        let upper = entry.dir.join("upper");

        let froze = opts.pause && status == Status::Running;
        if froze {
            self.container_pause(&entry.id).await?;
        }
        let store = self.images.clone();
        let result = tokio::task::spawn_blocking(move || store.commit(&base, &upper, &store_opts))
            .await
            .map_err(|e| EngineError::Task(e.to_string()));
        // As in moby, the commit event comes before the container is thawed.
        let image_id = match result {
            Ok(Ok(image)) => {
                let image_id = image.id.to_string();
                let attrs = BTreeMap::from([
                    ("comment".to_string(), opts.comment.unwrap_or_default()),
                    ("imageID".to_string(), image_id.clone()),
                    ("imageRef".to_string(), reference.unwrap_or_default()),
                    ("name".to_string(), record.name.clone()),
                    ("image".to_string(), record.config.image.clone()),
                ]);
                self.events.emit("container", "commit", &entry.id, attrs);
                Ok(image_id)
            }
            Ok(Err(e)) => Err(EngineError::from(e)),
            Err(e) => Err(e),
        };
        if froze && let Err(e) = self.container_unpause(&entry.id).await {
            warn!(error = %e, "cannot unpause the container after commit");
        }
        image_id
    }
}

/// The container's configuration in the image config's shape: what a committed image keeps
/// unless the request or `--change` says otherwise.
fn image_config_of(c: &ContainerConfig) -> ImageContainerConfig {
    let set = |keys: &[String]| -> Option<BTreeMap<String, Value>> {
        (!keys.is_empty()).then(|| keys.iter().map(|k| (k.clone(), json!({}))).collect())
    };
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    ImageContainerConfig {
        user: nonempty(&c.user),
        exposed_ports: set(&c.exposed_ports),
        env: (!c.env.is_empty()).then(|| c.env.clone()),
        entrypoint: c.entrypoint.clone(),
        cmd: c.cmd.clone(),
        volumes: set(&c.volumes),
        working_dir: nonempty(&c.working_dir),
        labels: (!c.labels.is_empty()).then(|| c.labels.clone()),
        stop_signal: c.stop_signal.clone(),
        healthcheck: c.healthcheck.as_ref().map(|h| {
            json!({
                "Test": h.test,
                "Interval": h.interval,
                "Timeout": h.timeout,
                "StartPeriod": h.start_period,
                "Retries": h.retries,
            })
        }),
        ..ImageContainerConfig::default()
    }
}
