//! Safe extraction of layer tars into a snapshot directory, in overlayfs form.
//!
//! One pass over the stream: the (possibly compressed) bytes are decompressed, hashed
//! (the diff ID is the sha256 of the uncompressed tar) and unpacked at once.
//!
//! Safety rules (see [`path`] for the name resolution):
//! - no entry is created outside the root: `..` above it and symlinked parents pointing
//!   out of it are refused, and the error names the entry;
//! - hard links must point at entries already unpacked in this layer's tree;
//! - an existing non-directory is replaced rather than written through, so a symlink
//!   planted earlier in the archive is never followed.
//!
//! Docker/OCI whiteouts become overlayfs whiteouts: `.wh.NAME` a 0/0 character device
//! `NAME`, `.wh..wh..opq` the xattr `trusted.overlay.opaque=y` on its directory. Owners,
//! modes (with setuid/setgid/sticky), mtimes, xattrs, devices and fifos are restored;
//! owners and device nodes need root (see [`UnpackOptions::same_owner`]).
//!
//! Decompression is bounded (`bound.rs`): a layer expanding past
//! [`UnpackOptions::limits`] fails with [`Error::LayerTooLarge`] as soon as it crosses.

mod bound;
mod compression;
mod entry;
mod path;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tracing::debug;

pub use bound::LayerLimits;
pub(crate) use compression::read_err as read_error;
pub use compression::{Compression, decompress};

use crate::digest::{Digest, HashingReader};
use crate::error::{Error, Result};

/// How to unpack.
#[derive(Debug, Clone)]
pub struct UnpackOptions {
    /// Restore the archive's uid/gid (needs root). Defaults to "we are root".
    pub same_owner: bool,
    /// How far one layer may expand.
    pub limits: LayerLimits,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        UnpackOptions {
            same_owner: rustix::process::geteuid().is_root(),
            limits: LayerLimits::default(),
        }
    }
}

/// What an unpack produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackStats {
    /// sha256 of the uncompressed tar: the layer's diff ID.
    pub diff_id: Digest,
    /// Size of the uncompressed tar.
    pub tar_size: u64,
    /// Bytes of regular file content written (Docker's layer size).
    pub content_size: u64,
    /// Entries processed.
    pub entries: u64,
    /// How the stream was compressed.
    pub compression: Compression,
}

/// Unpacks a layer (plain, gzip or zstd tar, detected from its first bytes) into `dest`,
/// which must exist. On error `dest` holds a partial layer: callers unpack into a
/// [`crate::snapshot::Pending`] directory, which is discarded.
pub fn unpack_layer<R: Read + Send>(
    reader: R,
    dest: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackStats> {
    let started = Instant::now();
    let meter = Arc::new(bound::Meter::default());
    let counted = bound::CountIn {
        inner: reader,
        meter: meter.clone(),
    };
    let (compression, stream) = decompress(counted)?;
    let bounded = bound::Bounded {
        inner: stream,
        meter: meter.clone(),
        limits: opts.limits,
        out: 0,
    };
    let mut archive = tar::Archive::new(HashingReader::new(bounded));
    let mut unpacker = entry::Unpacker::new(dest, opts);
    // The tar reader rewraps read errors; the meter says whether the bound was the cause.
    let bounded_err = |e: Error| match meter.exceeded(opts.limits) {
        Some(x) => x.into_error(),
        None => e,
    };
    let entries = archive
        .entries()
        .map_err(|e| bounded_err(compression::read_err("layer tar", e)))?;
    for item in entries {
        let mut item =
            item.map_err(|e| bounded_err(compression::read_err("layer tar entry", e)))?;
        unpacker.entry(&mut item).map_err(bounded_err)?;
    }
    let (content_size, count) = unpacker.finish()?;
    let (diff_id, tar_size) = archive
        .into_inner()
        .finish()
        .map_err(|e| bounded_err(compression::read_err("layer tar trailer", e)))?;
    debug!(%diff_id, tar_size, entries = count, elapsed_ms = started.elapsed().as_millis() as u64, "layer unpacked");
    Ok(UnpackStats {
        diff_id,
        tar_size,
        content_size,
        entries: count,
        compression,
    })
}

/// Unpacks and checks the diff ID against the one the image config announces.
pub fn unpack_layer_verified<R: Read + Send>(
    reader: R,
    dest: &Path,
    expected_diff_id: &Digest,
    opts: &UnpackOptions,
) -> Result<UnpackStats> {
    let stats = unpack_layer(reader, dest, opts)?;
    if &stats.diff_id != expected_diff_id {
        return Err(Error::DigestMismatch {
            what: "layer diff_id".to_owned(),
            expected: expected_diff_id.clone(),
            actual: stats.diff_id,
        });
    }
    Ok(stats)
}

impl crate::store::ImageStore {
    /// Sets the decompression bound for every layer this store unpacks (pulls, loads,
    /// imports, snapshots rebuilt from blobs).
    pub fn with_layer_limits(mut self, limits: LayerLimits) -> Self {
        self.unpack.limits = limits;
        self
    }
}

#[cfg(test)]
mod tests;
