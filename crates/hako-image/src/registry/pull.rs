//! `docker pull`: resolve, choose the platform, stream every missing layer into the
//! content store and its snapshot at once, then create the image and its references.
//!
//! Each layer is read once from the network: the bytes go through a hasher into an ingest
//! file (digest and size checked at commit) and, at the same time, through the
//! decompressor into a pending snapshot (diff ID checked). Only when both checks pass is
//! the blob renamed into place and the snapshot committed; on any failure both are
//! discarded, so an interrupted pull leaves nothing half-written, and the next pull starts
//! the missing layers again. Layers run on up to [`PullOptions::max_concurrent`] threads
//! (Docker's default is 3). Layers whose snapshot exists are skipped ("Already exists").
//!
//! Concurrent pulls needing one layer blob fetch it once (`registry/inflight.rs`): the others
//! report "Waiting" until that fetch ends, then find the layer there, or fetch it
//! themselves if it failed.

use std::io::{self, Read, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing::{info, instrument};

use super::auth::AuthConfig;
use super::client::{Client, FetchedManifest, RegistryConfig};
use super::inflight;
use crate::content::ContentWriter;
use crate::content::{Expected, Ingester, Manager};
use crate::digest::{Digest, Hasher};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::manifest::{self, Descriptor, Parsed, Platform, RawConfig, media_types};
use crate::reference::Reference;
use crate::snapshot::{SnapshotInfo, chain_ids};
use crate::store::ImageStore;
use crate::unpack::unpack_layer_verified;

/// Config blobs larger than this are refused.
const MAX_CONFIG_SIZE: u64 = 8 << 20;

/// Options of [`ImageStore::pull`].
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The requested platform (`--platform`); the host's when `None`.
    pub platform: Option<Platform>,
    /// Credentials (from `X-Registry-Auth`).
    pub auth: Option<AuthConfig>,
    /// Insecure registries and CA directories.
    pub registry: RegistryConfig,
    /// Layers downloaded at once.
    pub max_concurrent: usize,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            platform: None,
            auth: None,
            registry: RegistryConfig::default(),
            max_concurrent: 3,
        }
    }
}

/// What a pull reports as it goes, in Docker's vocabulary. `id` is the layer's short
/// digest (12 hex digits), as the docker CLI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullEvent {
    /// `latest: Pulling from library/busybox` (`tag` is the tag or the digest).
    PullingFrom {
        /// Tag or digest.
        tag: String,
        /// Repository path.
        repository: String,
    },
    /// `Already exists`.
    LayerExists {
        /// Short layer digest.
        id: String,
    },
    /// `Waiting`: another pull is fetching this layer's blob.
    Waiting {
        /// Short layer digest.
        id: String,
    },
    /// `Pulling fs layer`.
    LayerQueued {
        /// Short layer digest.
        id: String,
    },
    /// `Downloading` with bytes so far.
    Downloading {
        /// Short layer digest.
        id: String,
        /// Bytes received.
        current: u64,
        /// Layer size.
        total: u64,
    },
    /// `Download complete` (the layer was unpacked while downloading).
    DownloadComplete {
        /// Short layer digest.
        id: String,
    },
    /// `Pull complete`.
    PullComplete {
        /// Short layer digest.
        id: String,
    },
}

/// What a pull produced.
#[derive(Debug, Clone)]
pub struct PullOutcome {
    /// The image.
    pub image: Image,
    /// The top object's digest (index or manifest): `Digest: sha256:...`.
    pub digest: Digest,
    /// The normalised reference pulled (`docker.io/library/busybox:latest`).
    pub reference: Reference,
    /// Whether the reference already pointed at this image (`Image is up to date`).
    pub up_to_date: bool,
    /// Remarks for the user (platform mismatch of a single-platform image).
    pub warnings: Vec<String>,
}

impl PullOutcome {
    /// Docker's last line: `Status: Downloaded newer image for busybox:latest`.
    pub fn status_line(&self) -> String {
        let what = if self.up_to_date {
            "Image is up to date for"
        } else {
            "Downloaded newer image for"
        };
        format!("Status: {what} {}", self.reference.familiar())
    }
}

/// One layer to fetch.
struct LayerJob {
    desc: Descriptor,
    diff_id: Digest,
    chain_id: Digest,
    parent: Option<Digest>,
}

impl ImageStore {
    /// Pulls `name` (`busybox`, `host:port/repo:tag`, `repo@sha256:...`). `events` is
    /// called from several threads as layers progress.
    #[instrument(skip(self, opts, events))]
    pub fn pull(
        &self,
        name: &str,
        opts: &PullOptions,
        events: &(dyn Fn(PullEvent) + Sync),
    ) -> Result<PullOutcome> {
        let mut reference = Reference::parse_normalized(name)?;
        if reference.digest().is_none() {
            reference = reference.with_default_tag();
        }
        let client = Client::connect(&reference, &opts.registry, opts.auth.clone(), false)?;
        let top = client.manifest(&reference)?;
        let requested = opts.platform.clone();
        let wanted = requested.clone().unwrap_or_else(Platform::host).normalize();
        let mut warnings = Vec::new();
        let (manifest_fetched, index) = match manifest::parse(Some(&top.media_type), &top.bytes)? {
            Parsed::Index(idx) => {
                let chosen = manifest::select_manifest(&idx, &wanted).map_err(|e| match e {
                    Error::NoMatchingManifest { platform } => Error::NoMatchingManifestOffered {
                        platform,
                        offered: offered_platforms(&idx),
                    },
                    other => other,
                })?;
                let m =
                    client.manifest(&reference.repository().with_digest(chosen.digest.clone()))?;
                (m, Some(top.clone()))
            }
            Parsed::Manifest(_) => (top.clone(), None),
        };
        let Parsed::Manifest(m) =
            manifest::parse(Some(&manifest_fetched.media_type), &manifest_fetched.bytes)?
        else {
            return Err(Error::invalid(
                "manifest",
                format!("{} is an index inside an index", manifest_fetched.digest),
            ));
        };
        if let Some(odd) = m
            .layers
            .iter()
            .find(|l| !media_types::is_layer(&l.media_type))
        {
            return Err(Error::UnsupportedMediaType {
                media_type: odd.media_type.clone(),
            });
        }
        let config_bytes = client.small_blob(&m.config.digest, m.config.size, MAX_CONFIG_SIZE)?;
        let raw = RawConfig::parse(config_bytes.clone())?;
        let actual = raw.config.platform();
        if index.is_none() && !wanted.matches(&actual) {
            let host = Platform::host();
            warnings.push(if requested.is_none() {
                format!(
                    "The requested image's platform ({actual}) does not match the detected host platform ({host}) and no specific platform was requested"
                )
            } else {
                format!(
                    "The requested image's platform ({actual}) does not match the specified platform ({wanted})"
                )
            });
        }
        let diff_ids = raw.config.rootfs.diff_ids.clone();
        if diff_ids.len() != m.layers.len() {
            return Err(Error::invalid(
                "image config",
                format!(
                    "{} layers in the manifest but {} diff_ids in the config",
                    m.layers.len(),
                    diff_ids.len()
                ),
            ));
        }

        events(PullEvent::PullingFrom {
            tag: reference
                .digest()
                .map(|d| d.to_string())
                .or_else(|| reference.tag().map(str::to_owned))
                .unwrap_or_default(),
            repository: reference.path().to_owned(),
        });
        let before = self.resolve(&reference.to_string()).ok().map(|i| i.id);
        // Blobs and snapshots written below are unreachable until the record exists.
        let _guard = self.gc_shared();
        let chains = chain_ids(&diff_ids);
        let mut jobs = Vec::new();
        for (i, (desc, diff_id)) in m.layers.iter().zip(&diff_ids).enumerate() {
            let id = desc.digest.short().to_owned();
            if self.snapshots().exists(&chains[i]) {
                events(PullEvent::LayerExists { id });
                continue;
            }
            events(PullEvent::LayerQueued { id });
            jobs.push(LayerJob {
                desc: desc.clone(),
                diff_id: diff_id.clone(),
                chain_id: chains[i].clone(),
                parent: i.checked_sub(1).map(|p| chains[p].clone()),
            });
        }
        self.fetch_layers(&client, jobs, opts.max_concurrent.max(1), events)?;

        // Config, manifest, index: written after the layers, so that a crash leaves only
        // blobs nothing points at (collected later).
        self.store_small(&config_bytes, &m.config.digest)?;
        self.store_small(&manifest_fetched.bytes, &manifest_fetched.digest)?;
        if let Some(idx) = &index {
            self.store_small(&idx.bytes, &idx.digest)?;
        }
        let desc = Descriptor::new(
            &manifest_media_type(&manifest_fetched, &m),
            manifest_fetched.digest.clone(),
            manifest_fetched.bytes.len() as u64,
        );
        let image = self.create_unguarded(&desc, index.as_ref().map(|i| &i.digest))?;
        let up_to_date = before.as_ref() == Some(&image.id);
        if reference.digest().is_none() {
            self.add_reference(&reference, &image.id)?;
        }
        self.add_reference(
            &reference.repository().with_digest(top.digest.clone()),
            &image.id,
        )?;
        info!(image = %image.id, reference = %reference, "image pulled");
        let image = self.get(&image.id)?;
        Ok(PullOutcome {
            image,
            digest: top.digest,
            reference,
            up_to_date,
            warnings,
        })
    }

    fn store_small(&self, bytes: &[u8], digest: &Digest) -> Result<()> {
        if self.content().contains(digest) {
            return Ok(());
        }
        self.content()
            .write_blob(bytes, Expected::exact(digest.clone(), bytes.len() as u64))?;
        Ok(())
    }

    fn fetch_layers(
        &self,
        client: &Client,
        jobs: Vec<LayerJob>,
        workers: usize,
        events: &(dyn Fn(PullEvent) + Sync),
    ) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let queue = Mutex::new(jobs.into_iter());
        let first_error: Mutex<Option<Error>> = Mutex::new(None);
        let n = workers.min(queue.lock().map(|q| q.len()).unwrap_or(1));
        std::thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| {
                    loop {
                        if first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                            return;
                        }
                        let job = match queue.lock() {
                            Ok(mut q) => q.next(),
                            Err(_) => None,
                        };
                        let Some(job) = job else { return };
                        if let Err(e) = self.fetch_layer(client, &job, events)
                            && let Ok(mut slot) = first_error.lock()
                            && slot.is_none()
                        {
                            *slot = Some(e);
                        }
                    }
                });
            }
        });
        match first_error.into_inner() {
            Ok(Some(e)) => Err(e),
            Ok(None) => Ok(()),
            Err(_) => Err(Error::invalid("pull", "a layer worker panicked")),
        }
    }

    /// Fetches one layer, unless another pull of this store is fetching its blob: then
    /// waits for that to end and looks again.
    fn fetch_layer(
        &self,
        client: &Client,
        job: &LayerJob,
        events: &(dyn Fn(PullEvent) + Sync),
    ) -> Result<()> {
        let id = job.desc.digest.short().to_owned();
        let mut waited = false;
        let _claim = loop {
            match inflight::claim(self.root(), &job.desc.digest) {
                Ok(claim) => break claim,
                Err(flight) => {
                    if !waited {
                        info!(layer = %job.desc.digest, "waiting for another pull's download of this layer");
                        events(PullEvent::Waiting { id: id.clone() });
                        waited = true;
                    }
                    flight.wait();
                }
            }
        };
        if self.snapshots().exists(&job.chain_id) {
            events(PullEvent::LayerExists { id });
            return Ok(());
        }
        self.fetch_claimed_layer(client, job, events)
    }

    /// Downloads one layer into the content store and unpacks it into its snapshot in the
    /// same pass (or unpacks the stored blob when only the snapshot is missing).
    fn fetch_claimed_layer(
        &self,
        client: &Client,
        job: &LayerJob,
        events: &(dyn Fn(PullEvent) + Sync),
    ) -> Result<()> {
        let id = job.desc.digest.short().to_owned();
        let pending = self.snapshots().prepare()?;
        let stats = if self.content().contains(&job.desc.digest) {
            let reader = crate::content::Provider::reader(self.content(), &job.desc.digest)?;
            unpack_layer_verified(reader, &pending.fs(), &job.diff_id, &self.unpack)?
        } else {
            let body = client.blob(&job.desc.digest)?;
            let progress = Progress::new(body, &id, job.desc.size, events);
            // Unique ingest name: a pull in another process on this store may fetch the
            // same blob; the second commit finds it present.
            let ingest = format!("pull-{}-{:08x}", job.desc.digest, rand::random::<u32>());
            let mut writer = self.content().writer(
                &ingest,
                Expected::exact(job.desc.digest.clone(), job.desc.size),
            )?;
            let mut fetch = Fetch {
                inner: progress,
                writer: &mut writer,
                hasher: Hasher::new(),
            };
            let unpacked =
                unpack_layer_verified(&mut fetch, &pending.fs(), &job.diff_id, &self.unpack);
            // Whatever follows the compressed stream's end still belongs to the blob; after
            // a failed unpack, the blob's own digest says whose fault it was.
            let drained = io::copy(&mut fetch, &mut io::sink());
            let (digest, size) = (
                std::mem::take(&mut fetch.hasher).finish(),
                fetch.hasher_len(),
            );
            if drained.is_ok() && digest != job.desc.digest {
                return Err(Error::DigestMismatch {
                    what: format!(
                        "layer blob of {} ({size} bytes received)",
                        job.desc.digest.short()
                    ),
                    expected: job.desc.digest.clone(),
                    actual: digest,
                });
            }
            let stats = unpacked?;
            drained.map_err(|source| Error::Read {
                what: format!("layer {}", job.desc.digest),
                source,
            })?;
            drop(fetch);
            writer.commit()?;
            events(PullEvent::DownloadComplete { id: id.clone() });
            stats
        };
        self.snapshots().commit(
            pending,
            &SnapshotInfo {
                chain_id: job.chain_id.clone(),
                parent: job.parent.clone(),
                diff_id: job.diff_id.clone(),
                size: stats.content_size,
            },
        )?;
        events(PullEvent::PullComplete { id });
        Ok(())
    }
}

/// The media type to record: the registry's `Content-Type`, else the manifest's own.
fn manifest_media_type(fetched: &FetchedManifest, m: &manifest::Manifest) -> String {
    if media_types::is_manifest(&fetched.media_type) {
        fetched.media_type.clone()
    } else {
        m.media_type
            .clone()
            .unwrap_or_else(|| media_types::OCI_MANIFEST.to_owned())
    }
}

/// `linux/amd64, linux/arm64/v8` for the error's second line.
fn offered_platforms(index: &manifest::Index) -> String {
    let list: Vec<String> = index
        .manifests
        .iter()
        .filter(|d| media_types::is_manifest(&d.media_type))
        .filter_map(|d| d.platform.as_ref())
        .map(|p| p.to_platform().normalize().to_string())
        .filter(|p| p != "unknown/unknown")
        .collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// Counts bytes and reports `Downloading` at most every 100 ms.
struct Progress<'a, R> {
    inner: R,
    id: &'a str,
    total: u64,
    current: u64,
    last: Instant,
    events: &'a (dyn Fn(PullEvent) + Sync),
}

impl<'a, R> Progress<'a, R> {
    fn new(inner: R, id: &'a str, total: u64, events: &'a (dyn Fn(PullEvent) + Sync)) -> Self {
        Progress {
            inner,
            id,
            total,
            current: 0,
            last: Instant::now() - Duration::from_secs(1),
            events,
        }
    }
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.current += n as u64;
        if self.last.elapsed() >= Duration::from_millis(100) || (n == 0 && self.current > 0) {
            self.last = Instant::now();
            (self.events)(PullEvent::Downloading {
                id: self.id.to_owned(),
                current: self.current.min(self.total),
                total: self.total,
            });
        }
        Ok(n)
    }
}

/// Reads a blob from the network: hashes it, copies it into the ingest file, and hands it
/// on (to the decompressor).
struct Fetch<'a, R> {
    inner: R,
    writer: &'a mut Box<dyn ContentWriter>,
    hasher: Hasher,
}

impl<R> Fetch<'_, R> {
    fn hasher_len(&self) -> u64 {
        self.writer.written()
    }
}

impl<R: Read> Read for Fetch<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.writer.write_all(&buf[..n])?;
        Ok(n)
    }
}
