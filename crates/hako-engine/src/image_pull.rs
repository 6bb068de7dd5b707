//! `docker pull` on the engine side: credentials, platform and registry settings go to
//! [`hako_image::ImageStore::pull`] (blocking, in `spawn_blocking`); its progress events are
//! handed to the caller as they happen (the daemon turns them into Docker's JSON stream).

use std::sync::Arc;

pub use hako_image::manifest::{Descriptor, DescriptorPlatform};
pub use hako_image::registry::{AuthConfig, PullEvent, PushEvent, RemoteImage};
use hako_image::registry::{PullOptions, PushOptions, RegistryConfig};
pub use hako_image::unpack::LayerLimits;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::image_ops::parse_platform;

/// What to pull.
#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    /// `fromImage`: `busybox`, `host:5000/repo`, `repo:tag`, `repo@sha256:...`.
    pub image: String,
    /// `tag`: a tag or a digest (`sha256:...`); empty for `latest` or what `image` names.
    pub tag: Option<String>,
    /// `platform` (`linux/arm64`).
    pub platform: Option<String>,
    /// The `X-Registry-Auth` header, as sent.
    pub registry_auth: Option<String>,
}

impl PullRequest {
    /// The reference to pull: moby joins `fromImage` and `tag` with `@` for digests and
    /// `:` for tags.
    pub fn reference(&self) -> String {
        match self.tag.as_deref().filter(|t| !t.is_empty()) {
            Some(t) if t.contains(':') => format!("{}@{t}", self.image),
            Some(t) => format!("{}:{t}", self.image),
            None => self.image.clone(),
        }
    }
}

/// What a finished pull reports.
#[derive(Debug, Clone)]
pub struct PullSummary {
    /// The image ID.
    pub id: String,
    /// `sha256:...` of what the reference resolved to (index or manifest).
    pub digest: String,
    /// `Status: Downloaded newer image for busybox:latest`.
    pub status: String,
    /// Platform warnings (Docker's text).
    pub warnings: Vec<String>,
    /// Familiar reference pulled.
    pub reference: String,
}

/// Progress callback: called from the pull's threads.
pub type PullProgress = Arc<dyn Fn(PullEvent) + Send + Sync>;

impl Engine {
    /// Registry settings: CA directories under the data root first (`<data_root>/image/
    /// certs.d/<host:port>/*.crt`), then `/etc/hako/certs.d` and `/etc/docker/certs.d`.
    pub(crate) fn registry_config(&self) -> RegistryConfig {
        let mut cfg = RegistryConfig {
            insecure: self.config.insecure_registries.clone(),
            ..RegistryConfig::default()
        };
        cfg.certs_dirs
            .insert(0, self.config.image_dir().join("certs.d"));
        cfg
    }

    /// Pulls an image, reporting progress through `progress`.
    pub async fn image_pull(
        &self,
        req: PullRequest,
        progress: PullProgress,
    ) -> Result<PullSummary> {
        let reference = req.reference();
        let platform = req
            .platform
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(parse_platform)
            .transpose()?;
        let opts = PullOptions {
            platform,
            auth: req
                .registry_auth
                .as_deref()
                .and_then(AuthConfig::from_header),
            registry: self.registry_config(),
            ..PullOptions::default()
        };
        let store = self.images.clone();
        let name = reference.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let events = move |e: PullEvent| progress(e);
            store.pull(&name, &opts, &events)
        })
        .await
        .map_err(|e| EngineError::Task(e.to_string()))??;
        let id = outcome.image.id.to_string();
        let familiar = outcome.reference.familiar();
        self.events.emit(
            "image",
            "pull",
            &familiar,
            [("name".to_string(), familiar.clone())].into(),
        );
        Ok(PullSummary {
            id,
            digest: outcome.digest.to_string(),
            status: outcome.status_line(),
            warnings: outcome.warnings.clone(),
            reference: familiar,
        })
    }
}

/// What `POST /images/{name}/push?tag=` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// `name:tag`, or `name` as given.
    pub reference: String,
    /// Every tag of the repository `name`.
    pub all_tags: bool,
}

/// moby's reading of `name` and `tag`: with a tag, that tag; without, `name` itself when
/// it carries a tag or digest, else all tags of the repository. An invalid name is an
/// error before anything is pushed.
pub fn push_target(name: &str, tag: Option<&str>) -> Result<PushTarget> {
    Ok(match tag.filter(|t| !t.is_empty()) {
        Some(t) => PushTarget {
            reference: format!("{name}:{t}"),
            all_tags: false,
        },
        None => {
            let parsed =
                hako_image::Reference::parse_normalized(name).map_err(hako_image::Error::from)?;
            PushTarget {
                reference: name.to_owned(),
                all_tags: parsed.tag().is_none() && parsed.digest().is_none(),
            }
        }
    })
}

/// Push progress callback: called from the push's thread.
pub type PushProgress = Arc<dyn Fn(PushEvent) + Send + Sync>;

/// What a finished push reports.
#[derive(Debug, Clone)]
pub struct PushSummary {
    /// `t1: digest: sha256:... size: 527`.
    pub status: String,
    /// The manifest digest.
    pub digest: String,
    /// The tag pushed.
    pub tag: String,
    /// The manifest size.
    pub size: u64,
}

impl Engine {
    /// `GET /distribution/{name}/json`: what the registry holds under `name`, without
    /// pulling it.
    pub async fn distribution_inspect(
        &self,
        name: &str,
        registry_auth: Option<&str>,
    ) -> Result<RemoteImage> {
        let auth = registry_auth.and_then(AuthConfig::from_header);
        let config = self.registry_config();
        let name = name.to_owned();
        let found = tokio::task::spawn_blocking(move || {
            hako_image::registry::inspect_remote(&name, &config, auth)
        })
        .await
        .map_err(|e| EngineError::Task(e.to_string()))??;
        Ok(found)
    }
}

impl Engine {
    /// `POST /images/{name}/push?tag=`: pushes `name` with `tag`; without a tag, `name`
    /// as given when it names a tag, else every tag of the repository (moby's rule: the
    /// docker CLI leaves the tag out only for `--all-tags`). Each tag's result is also
    /// reported through `progress` as [`PushEvent::Tagged`] when its manifest is in.
    pub async fn image_push(
        &self,
        name: &str,
        tag: Option<&str>,
        registry_auth: Option<&str>,
        progress: PushProgress,
    ) -> Result<Vec<PushSummary>> {
        let PushTarget {
            reference,
            all_tags,
        } = push_target(name, tag)?;
        let opts = PushOptions {
            auth: registry_auth.and_then(AuthConfig::from_header),
            registry: self.registry_config(),
            ..PushOptions::default()
        };
        let store = self.images.clone();
        let target = reference.clone();
        let outcomes = tokio::task::spawn_blocking(move || {
            let events = move |e: PushEvent| progress(e);
            if all_tags {
                store.push_all_tags(&target, &opts, &events)
            } else {
                store.push(&target, &opts, &events).map(|o| vec![o])
            }
        })
        .await
        .map_err(|e| EngineError::Task(e.to_string()))??;
        let repo = match reference.rsplit_once(':') {
            Some((r, t)) if !all_tags && !t.contains('/') => r.to_owned(),
            _ => reference.clone(),
        };
        Ok(outcomes
            .into_iter()
            .map(|outcome| {
                let pushed = format!("{repo}:{}", outcome.tag);
                self.events.emit(
                    "image",
                    "push",
                    &pushed,
                    [("name".to_string(), pushed.clone())].into(),
                );
                PushSummary {
                    status: outcome.status_line(),
                    digest: outcome.digest.to_string(),
                    tag: outcome.tag.clone(),
                    size: outcome.size,
                }
            })
            .collect())
    }

    /// `POST /images/{name}/tag?repo=&tag=`.
    pub async fn image_tag(&self, source: &str, repo: &str, tag: Option<&str>) -> Result<()> {
        let target = match tag.filter(|t| !t.is_empty()) {
            Some(t) => format!("{repo}:{t}"),
            None => repo.to_owned(),
        };
        let store = self.images.clone();
        let source = source.to_owned();
        let target2 = target.clone();
        tokio::task::spawn_blocking(move || store.tag(&source, &target2))
            .await
            .map_err(|e| EngineError::Task(e.to_string()))??;
        self.events.emit(
            "image",
            "tag",
            &target,
            [("name".to_string(), target.clone())].into(),
        );
        Ok(())
    }
}

impl Engine {
    /// `POST /auth`: checks credentials against a registry (`docker login`). The daemon
    /// stores nothing; the CLI keeps them in its `config.json`.
    pub async fn registry_login(&self, creds: AuthConfig) -> Result<()> {
        let config = self.registry_config();
        let server = if creds.serveraddress.is_empty() {
            "https://index.docker.io/v1/".to_owned()
        } else {
            creds.serveraddress.clone()
        };
        tokio::task::spawn_blocking(move || hako_image::registry::login(&server, &creds, &config))
            .await
            .map_err(|e| EngineError::Task(e.to_string()))??;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::PullRequest;

    #[test]
    fn from_image_and_tag_join_as_moby() {
        let r = |image: &str, tag: &str| {
            PullRequest {
                image: image.into(),
                tag: Some(tag.into()),
                ..PullRequest::default()
            }
            .reference()
        };
        assert_eq!(r("busybox", ""), "busybox");
        assert_eq!(r("busybox", "1.36"), "busybox:1.36");
        assert_eq!(
            r("127.0.0.1:5000/busybox", "latest"),
            "127.0.0.1:5000/busybox:latest"
        );
        assert_eq!(r("busybox", "sha256:abc"), "busybox@sha256:abc");
    }
}
