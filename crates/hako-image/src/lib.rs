//! hako's image store: content, manifests, references, layers and image metadata.
//!
//! The engine opens one [`ImageStore`] on `/var/lib/hako/image` and shares it in an `Arc`.
//! Every method blocks (plain std I/O); call them from `spawn_blocking`.
//!
//! ```no_run
//! # fn demo() -> hako_image::Result<()> {
//! use hako_image::{ImageStore, ImportOptions, DeleteOptions, NoContainers};
//! let store = ImageStore::open("/var/lib/hako/image")?;
//! let image = store.resolve_for_run("hello-world", None)?;   // built in, no registry
//! let lower = image.lower_dirs.clone();                       // overlay lowers, topmost first
//! let tar = std::fs::File::open("rootfs.tar").map_err(|e| hako_image::Error::Read { what: "rootfs.tar".into(), source: e })?;
//! let imported = store.import(tar, &ImportOptions { reference: Some("mybox:1".into()), ..Default::default() })?;
//! let items = store.delete("mybox:1", DeleteOptions::default(), &NoContainers)?;
//! # let _ = (lower, imported, items); Ok(()) }
//! ```
//!
//! # Layout
//!
//! - [`store`]: [`ImageStore`], the facade: resolve, list, tag, delete, garbage collection,
//!   creating images from stored manifests.
//! - [`content`]: content-addressed blobs (`content/blobs/sha256/<hex>`, `content/ingest/`),
//!   small traits in containerd's spirit and the local implementation.
//! - [`manifest`]: OCI and Docker schema2 manifests and indexes, the image config (Docker's
//!   superset, exact bytes kept), platforms and platform selection.
//! - [`reference`]: Docker's reference grammar, normalisation and familiar form.
//! - [`registry`]: the Registry HTTP API v2 client (auth, TLS, manifests, blobs, uploads
//!   whole or in chunks), [`ImageStore::pull`] (one fetch per layer blob however many
//!   pulls need it at once) and [`ImageStore::push`] / [`ImageStore::push_all_tags`].
//! - [`unpack`]: safe, streaming layer extraction into overlayfs form, bounded against
//!   decompression bombs ([`unpack::LayerLimits`]).
//! - [`snapshot`]: unpacked layers by chain ID (`snapshots/<chain>/fs`), collected when
//!   unused.
//! - [`meta`]: image records and references under `meta/`, and `docker rmi` semantics.
//! - [`import`]: `docker import` with `--change`.
//! - [`commit`]: `docker commit`: a container's upper directory as a new top layer.
//! - [`embedded`]: the built-in multi-platform `hello-world` image and its tiny ELF programs.
//! - [`layout`]: loading OCI layout directories.
//! - [`archive`]: `docker save` and `docker load` archives (both Docker formats).
//! - [`image`]: the types the engine receives ([`Image`], [`DeleteItem`]...).
//! - [`digest`], [`error`]: sha256 digests and the crate's error type.
#![forbid(unsafe_code)]

pub mod archive;
pub mod commit;
pub mod content;
pub mod digest;
pub mod embedded;
pub mod error;
mod fsutil;
pub mod image;
pub mod import;
pub mod layout;
pub mod manifest;
pub mod meta;
pub mod reference;
pub mod registry;
pub mod snapshot;
pub mod store;
pub mod unpack;

pub use commit::{CommitOptions, IdRange, OwnerMap};
pub use digest::Digest;
pub use error::{Error, RegistryErrorKind, Result};
pub use image::{ContainerUse, DeleteItem, DeleteOptions, Image, ImageUsage, Layer, NoContainers};
pub use import::ImportOptions;
pub use layout::LoadOptions;
pub use manifest::{ImageConfig, Platform};
pub use reference::{Reference, ReferenceError};
pub use store::{HistoryEntry, ImageStore, PruneReport};

/// Now, RFC 3339 in UTC with nanoseconds, as Docker writes `created`.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}
