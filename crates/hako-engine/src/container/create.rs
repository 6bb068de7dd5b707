//! `POST /containers/create`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use hako_net::mode::NetworkMode;
use tracing::instrument;

use super::config::{CreateRequest, CreateResponse, HostConfig};
use super::entry::Entry;
use super::etc_files;
use super::merge::merge;
use super::record::Record;
use super::status::State;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::{ids, names, state, timefmt};

impl Engine {
    /// Creates a container: resolves the image, merges its defaults, reserves the name,
    /// prepares the writable layer and persists the record.
    #[instrument(skip_all, fields(name = req.name.as_deref().unwrap_or("")))]
    pub async fn container_create(&self, req: CreateRequest) -> Result<CreateResponse> {
        let CreateRequest {
            name,
            platform,
            mut config,
            mut host_config,
        } = req;
        let mut warnings = check_host_config(&host_config)?;
        super::userns::check_create(self.config.userns_remap.as_ref(), &host_config)?;
        warnings.extend(super::limits::adapt_for_create(
            &mut host_config.resources,
            super::limits::HostCgroups::detect(),
        )?);
        super::mounts::validate(&host_config.binds, &host_config.mounts)?;
        self.check_network(&host_config).await?;
        let image = self
            .resolve_image(&config.image, platform.as_deref())
            .await?;
        self.emulation.check_runnable(&image.platform)?;
        warnings.extend(image.warnings.iter().cloned());
        let (path, args) = merge(&mut config, &image.defaults)?;

        let id = ids::new_id();
        let name = self.reserve_name(name, &id)?;
        if config.hostname.is_empty() {
            config.hostname = match host_config.network_mode {
                NetworkMode::Host => host_hostname(),
                _ => ids::short(&id).to_string(),
            };
        }
        let mount_points = match self.resolve_mounts(&config.volumes, &host_config).await {
            Ok(m) => m,
            Err(e) => {
                self.containers.release_name(&name);
                return Err(e);
            }
        };
        let record = Record {
            id: id.clone(),
            name: name.clone(),
            created: timefmt::rfc3339_nano(timefmt::now_nanos()),
            path,
            args,
            image_id: image.id.clone(),
            platform: image.platform.clone(),
            config,
            host_config,
            lower_dirs: image.lower_dirs.clone(),
            mount_points,
        };
        let dir = self.config.containers_dir().join(&id);
        let entry = Arc::new(Entry::new(
            dir.clone(),
            self.config.container_run_dir(&id),
            record.clone(),
            State::new(),
        ));
        let root =
            super::userns::for_container(self.config.userns_remap.as_ref(), &record.host_config)
                .map(super::userns::Remap::root);
        let prepared = {
            let entry = entry.clone();
            tokio::task::spawn_blocking(move || prepare_dir(&entry, &record, root))
                .await
                .map_err(|e| EngineError::Task(e.to_string()))
                .and_then(|r| r)
        };
        if let Err(e) = prepared {
            self.containers.release_name(&name);
            let anonymous: Vec<String> = record_volumes(&entry).await;
            self.remove_anonymous_volumes(&anonymous).await;
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
        self.containers.insert(entry.clone());
        let attrs = {
            let inner = entry.inner.lock().await;
            container_attributes(&inner.record)
        };
        self.events.emit("container", "create", &id, attrs);
        Ok(CreateResponse { id, warnings })
    }

    fn reserve_name(&self, name: Option<String>, id: &str) -> Result<String> {
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            let bare = name.strip_prefix('/').unwrap_or(&name).to_string();
            if !names::is_valid(&bare) {
                return Err(EngineError::InvalidParameter(format!(
                    "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                )));
            }
            self.containers.reserve_name(&bare, id)?;
            return Ok(bare);
        }
        for attempt in 0..100 {
            let candidate = names::random_name(if attempt < 10 { 0 } else { attempt });
            if self.containers.reserve_name(&candidate, id).is_ok() {
                return Ok(candidate);
            }
        }
        // 100 collisions in a row means the name space is nearly full; fall back to the ID.
        let fallback = ids::short(id).to_string();
        self.containers.reserve_name(&fallback, id)?;
        Ok(fallback)
    }
}

/// Refuses what this engine cannot honour yet, with a message naming the feature, and
/// returns warnings for what it honours differently.
fn check_host_config(hc: &HostConfig) -> Result<Vec<String>> {
    let warnings = Vec::new();
    match &hc.network_mode {
        // Bridge networks and `container:NAME` are resolved at start (network/mod.rs);
        // a user network's existence is checked by `container_create`.
        NetworkMode::None
        | NetworkMode::Host
        | NetworkMode::Bridge
        | NetworkMode::Container(_)
        | NetworkMode::Network(_) => {}
    }
    if hc.auto_remove && !matches!(hc.restart_policy.name.as_str(), "" | "no") {
        return Err(EngineError::InvalidParameter(
            "can't create 'AutoRemove' container with restart policy".into(),
        ));
    }
    match hc.log_config.driver.as_str() {
        "none" => {}
        "" | "json-file" => {
            super::spec::log_spec(&hc.log_config, std::path::PathBuf::new())?;
        }
        other => return Err(EngineError::NotImplemented(format!("log driver {other:?}"))),
    }
    // `--init` is the runtime's own tiny init (hako-runtime process/pid1.rs).
    // Bad security options and seccomp profiles are the client's mistake: refuse them now
    // rather than at start.
    super::spec::seccomp_for(hc)?;
    Ok(warnings)
}

/// Creates the container's directory: writable layer, overlay work dir, and the files
/// bind-mounted into `/etc`.
/// Under `--userns-remap` (`root` = the container root's host uid and gid) they belong to
/// the container's root.
fn prepare_dir(entry: &Entry, record: &Record, root: Option<(u32, u32)>) -> Result<()> {
    let io = |context: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| EngineError::Io {
            context,
            path,
            source,
        }
    };
    for sub in ["upper", "work"] {
        let p = entry.dir.join(sub);
        fs::create_dir_all(&p).map_err(io("create", &p))?;
    }
    let hc = &record.host_config;
    let files = [
        ("hostname", format!("{}\n", record.config.hostname)),
        (
            "hosts",
            etc_files::hosts(hc, &etc_files::read_host_file(Path::new("/etc/hosts"))),
        ),
        (
            "resolv.conf",
            etc_files::resolv_conf(
                hc,
                &etc_files::read_host_file(Path::new("/etc/resolv.conf")),
            ),
        ),
    ];
    for (file, content) in files {
        let p = entry.dir.join(file);
        fs::write(&p, content).map_err(io("write", &p))?;
    }
    if let Some(root) = root {
        for sub in ["upper", "work", "hostname", "hosts", "resolv.conf"] {
            let p = entry.dir.join(sub);
            super::userns::give_to_root(&p, root).map_err(io("chown", &p))?;
        }
    }
    state::write_json(&entry.record_path(), record, true)?;
    state::write_json(&entry.state_path(), &State::new(), true)
}

fn host_hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_string())
}

async fn record_volumes(entry: &Entry) -> Vec<String> {
    let inner = entry.inner.lock().await;
    inner
        .record
        .mount_points
        .iter()
        .map(|m| m.name.clone())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Attributes Docker attaches to container events: image, name and the labels.
pub(crate) fn container_attributes(record: &Record) -> BTreeMap<String, String> {
    let mut attrs = record.config.labels.clone();
    attrs.insert("image".into(), record.config.image.clone());
    attrs.insert("name".into(), record.name.clone());
    attrs
}
