//! `docker push`: the stored manifest of an image, its layer blobs and its config go to a
//! registry, blobs first (each skipped when the repository has it, mounted from another
//! repository of the same registry when the image came from one, else uploaded: whole,
//! or in chunks above [`Chunking::threshold`], see [`super::upload`]), then the manifest
//! with its media type. The manifest pushed is the one stored, byte for byte, so the
//! digest printed is the one the image was pulled with.
//!
//! A failed upload (connection cut, registry error other than credentials) starts again
//! from a fresh upload, [`MAX_UPLOAD_ATTEMPTS`] times in all, with `Retrying in N seconds`
//! between, as Docker does.
//!
//! [`ImageStore::push_all_tags`] is `docker push --all-tags`: every tag of a repository,
//! in order, each as above (blobs sent for the first tag are found present for the next).

use std::time::Duration;

use tracing::{info, instrument, warn};

use super::auth::AuthConfig;
use super::client::{Client, RegistryConfig};
use super::upload::{Chunking, Uploaded};
use crate::content::{Manager, Provider};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::manifest::{self, Descriptor, Parsed};
use crate::reference::Reference;
use crate::store::{ImageStore, MAX_MANIFEST_SIZE};

/// Attempts per blob upload (Docker's `--max-upload-attempts` is 5, 5 s apart and more;
/// here 3, 1 s then 2 s apart).
const MAX_UPLOAD_ATTEMPTS: u32 = 3;

/// Whether another attempt may succeed: the connection or the registry failed, not the
/// credentials or our own files.
fn retryable(e: &Error) -> bool {
    matches!(
        e,
        Error::Registry {
            kind: crate::error::RegistryErrorKind::Unavailable
                | crate::error::RegistryErrorKind::NotFound,
            ..
        }
    )
}

/// Options of [`ImageStore::push`].
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Credentials (from `X-Registry-Auth`).
    pub auth: Option<AuthConfig>,
    /// Insecure registries and CA directories.
    pub registry: RegistryConfig,
    /// When blobs go in chunks.
    pub chunking: Chunking,
}

/// What a push reports, in Docker's vocabulary (`id` is the blob's short digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// `The push refers to repository [127.0.0.1:5000/busybox]`.
    Repository {
        /// The full repository name.
        name: String,
    },
    /// `Preparing`.
    Preparing {
        /// Short layer digest.
        id: String,
    },
    /// `Pushing` with bytes (sent whole: 0, then the size).
    Pushing {
        /// Short layer digest.
        id: String,
        /// Bytes sent.
        current: u64,
        /// Blob size.
        total: u64,
    },
    /// `Pushed`.
    Pushed {
        /// Short layer digest.
        id: String,
    },
    /// `Mounted from library/busybox`.
    Mounted {
        /// Short layer digest.
        id: String,
        /// The repository it was mounted from.
        from: String,
    },
    /// `Layer already exists`.
    Exists {
        /// Short layer digest.
        id: String,
    },
    /// `Retrying in 1 second`: an upload failed and starts again after `seconds`.
    Retrying {
        /// Short layer digest.
        id: String,
        /// Delay before the next attempt.
        seconds: u32,
    },
    /// A tag's manifest is in: `t1: digest: sha256:... size: 527`.
    Tagged(PushOutcome),
}

/// What a push produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutcome {
    /// The tag pushed.
    pub tag: String,
    /// The manifest's digest.
    pub digest: Digest,
    /// The manifest's size in bytes.
    pub size: u64,
}

impl PushOutcome {
    /// Docker's last line: `t1: digest: sha256:... size: 527`.
    pub fn status_line(&self) -> String {
        format!("{}: digest: {} size: {}", self.tag, self.digest, self.size)
    }
}

impl ImageStore {
    /// Pushes the image `name` resolves to under `name` (tag `latest` implied).
    #[instrument(skip(self, opts, events))]
    pub fn push(
        &self,
        name: &str,
        opts: &PushOptions,
        events: &(dyn Fn(PushEvent) + Sync),
    ) -> Result<PushOutcome> {
        let reference = Reference::parse_normalized(name)?;
        if reference.digest().is_some() {
            return Err(Error::invalid(
                "reference",
                format!("cannot push a digest reference: {name}"),
            ));
        }
        let reference = reference.with_default_tag();
        let client = Client::connect(&reference, &opts.registry, opts.auth.clone(), true)?;
        events(PushEvent::Repository {
            name: reference.name(),
        });
        self.push_tag(&client, &reference, opts, events)
    }

    /// `docker push --all-tags`: every tag of the repository `name` (a name without tag
    /// or digest), in lexical order as Docker's reference store gives them. Errors as
    /// Docker's when the repository has no tag here.
    #[instrument(skip(self, opts, events))]
    pub fn push_all_tags(
        &self,
        name: &str,
        opts: &PushOptions,
        events: &(dyn Fn(PushEvent) + Sync),
    ) -> Result<Vec<PushOutcome>> {
        let repo = Reference::parse_normalized(name)?;
        if repo.tag().is_some() || repo.digest().is_some() {
            return Err(Error::invalid(
                "reference",
                format!("{name}: a tag or digest cannot be used with all tags"),
            ));
        }
        let mut tagged: Vec<Reference> = self
            .list()?
            .iter()
            .flat_map(|i| i.repo_tags.iter())
            .filter_map(|t| Reference::parse_normalized(t).ok())
            .filter(|r| r.name() == repo.name() && r.tag().is_some())
            .collect();
        tagged.sort_by_key(|r| r.to_string());
        tagged.dedup();
        events(PushEvent::Repository { name: repo.name() });
        if tagged.is_empty() {
            return Err(Error::NoTagsToPush {
                name: repo.familiar_name(),
            });
        }
        let client = Client::connect(&repo, &opts.registry, opts.auth.clone(), true)?;
        tagged
            .iter()
            .map(|r| self.push_tag(&client, r, opts, events))
            .collect()
    }

    fn push_tag(
        &self,
        client: &Client,
        reference: &Reference,
        opts: &PushOptions,
        events: &(dyn Fn(PushEvent) + Sync),
    ) -> Result<PushOutcome> {
        let tag = reference.tag().unwrap_or("latest").to_owned();
        let image = self.resolve(&reference.to_string())?;
        let desc: Descriptor = image.manifest.clone().ok_or_else(|| {
            Error::invalid(
                "push",
                format!(
                    "{} has no stored manifest (an image recorded before manifests were kept: pull, import or commit it again)",
                    reference.familiar()
                ),
            )
        })?;
        let bytes = self.content().read_blob(&desc.digest, MAX_MANIFEST_SIZE)?;
        let Parsed::Manifest(m) = manifest::parse(Some(&desc.media_type), &bytes)? else {
            return Err(Error::invalid(
                "push",
                format!("{} is an index, not a manifest", desc.digest),
            ));
        };
        for blob in m.layers.iter().chain(std::iter::once(&m.config)) {
            if !self.content().contains(&blob.digest) {
                return Err(Error::BlobNotFound {
                    digest: blob.digest.clone(),
                });
            }
        }
        // Another repository of the same registry this image came from: blobs can be
        // mounted from it instead of uploaded.
        let mount_from = image
            .repo_digests
            .iter()
            .chain(&image.repo_tags)
            .filter_map(|r| Reference::parse_normalized(r).ok())
            .find(|r| r.domain() == reference.domain() && r.path() != reference.path())
            .map(|r| r.path().to_owned());

        for l in &m.layers {
            events(PushEvent::Preparing {
                id: l.digest.short().to_owned(),
            });
        }
        let _guard = self.gc_shared();
        for l in &m.layers {
            self.push_blob(
                client,
                l,
                mount_from.as_deref(),
                opts.chunking,
                true,
                events,
            )?;
        }
        self.push_blob(client, &m.config, None, opts.chunking, false, events)?;
        let media_type = m
            .media_type
            .clone()
            .filter(|t| manifest::media_types::is_manifest(t))
            .unwrap_or_else(|| desc.media_type.clone());
        client.put_manifest(&tag, &media_type, &bytes)?;
        let digest = Digest::of(&bytes);
        info!(%reference, %digest, "image pushed");
        let outcome = PushOutcome {
            tag,
            digest,
            size: bytes.len() as u64,
        };
        events(PushEvent::Tagged(outcome.clone()));
        Ok(outcome)
    }

    fn push_blob(
        &self,
        client: &Client,
        blob: &Descriptor,
        mount_from: Option<&str>,
        chunking: Chunking,
        report: bool,
        events: &(dyn Fn(PushEvent) + Sync),
    ) -> Result<()> {
        let id = blob.digest.short().to_owned();
        let say = |e: PushEvent| {
            if report {
                events(e);
            }
        };
        if client.blob_exists(&blob.digest)? {
            say(PushEvent::Exists { id });
            return Ok(());
        }
        say(PushEvent::Pushing {
            id: id.clone(),
            current: 0,
            total: blob.size,
        });
        let path = self.content().blob_path(&blob.digest);
        let progress = |current: u64| {
            say(PushEvent::Pushing {
                id: id.clone(),
                current,
                total: blob.size,
            })
        };
        let mut attempt = 1;
        let uploaded = loop {
            let e = match client.upload_blob(
                &blob.digest,
                &path,
                blob.size,
                mount_from,
                chunking,
                &progress,
            ) {
                Ok(u) => break u,
                Err(e) => e,
            };
            if attempt >= MAX_UPLOAD_ATTEMPTS || !retryable(&e) {
                return Err(e);
            }
            // A fresh upload each time: a registry may have kept part of the failed one,
            // and distribution refuses to resume at any other offset than its own.
            let seconds = attempt;
            warn!(digest = %blob.digest, attempt, error = %e, "blob upload failed, retrying");
            say(PushEvent::Retrying {
                id: id.clone(),
                seconds,
            });
            std::thread::sleep(Duration::from_secs(u64::from(seconds)));
            attempt += 1;
        };
        match uploaded {
            Uploaded::Mounted => say(PushEvent::Mounted {
                id,
                from: mount_from.unwrap_or_default().to_owned(),
            }),
            Uploaded::Chunked(_) => say(PushEvent::Pushed { id }),
            Uploaded::Pushed => {
                say(PushEvent::Pushing {
                    id: id.clone(),
                    current: blob.size,
                    total: blob.size,
                });
                say(PushEvent::Pushed { id });
            }
        }
        Ok(())
    }
}
