//! The bound against decompression bombs: a layer may not expand beyond a fixed size, nor
//! (past a floor) beyond a multiple of its compressed size.
//!
//! gzip cannot expand more than about 1032:1 and real layers stay far below (text and
//! binaries give 2–10:1); only long runs of one byte reach the top, which is what a bomb
//! is made of. zstd goes much further. The defaults let every real image through (a
//! layer of 64 GiB unpacked, or one made mostly of zeros below 16 GiB: a preallocated
//! disk image or swap file compresses past 1000:1 too, and Docker takes it) while a small
//! blob can write at most 16 GiB before it is refused.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How far a layer may expand. Daemon-wide (`--max-layer-size`, `--max-layer-ratio`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerLimits {
    /// Most bytes one layer's uncompressed tar may hold; 0 for no bound.
    pub max_size: u64,
    /// Most uncompressed bytes per compressed byte, checked once a layer is past
    /// `ratio_floor` uncompressed bytes; 0 for no bound.
    pub max_ratio: u64,
    /// Layers smaller than this uncompressed are never held to the ratio.
    pub ratio_floor: u64,
}

impl LayerLimits {
    /// 64 GiB: above the largest layers of real images (CUDA and model images stay
    /// below 20 GiB per layer).
    pub const DEFAULT_MAX_SIZE: u64 = 64 << 30;
    /// 1000:1: only a layer that is nearly all one repeated byte gets there with gzip.
    pub const DEFAULT_MAX_RATIO: u64 = 1000;
    /// 16 GiB: high enough for the layers of preallocated zeros real images carry.
    pub const DEFAULT_RATIO_FLOOR: u64 = 16 << 30;

    /// No bound at all.
    pub const UNBOUNDED: LayerLimits = LayerLimits {
        max_size: 0,
        max_ratio: 0,
        ratio_floor: 0,
    };
}

impl Default for LayerLimits {
    fn default() -> Self {
        LayerLimits {
            max_size: Self::DEFAULT_MAX_SIZE,
            max_ratio: Self::DEFAULT_MAX_RATIO,
            ratio_floor: Self::DEFAULT_RATIO_FLOOR,
        }
    }
}

/// Which bound a layer crossed, with the figures at that point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Exceeded {
    pub(super) uncompressed: u64,
    pub(super) compressed: u64,
    pub(super) limits: LayerLimits,
    pub(super) by_ratio: bool,
}

impl Exceeded {
    pub(super) fn into_error(self) -> crate::error::Error {
        let reason = if self.by_ratio {
            format!(
                "it expands more than {}:1 ({} bytes from {} compressed; --max-layer-ratio)",
                self.limits.max_ratio, self.uncompressed, self.compressed
            )
        } else {
            format!(
                "it expands beyond {} bytes uncompressed (--max-layer-size)",
                self.limits.max_size
            )
        };
        crate::error::Error::LayerTooLarge { reason }
    }
}

/// Shared between the two ends: compressed bytes read, and whether the bound tripped.
#[derive(Debug, Default)]
pub(super) struct Meter {
    compressed: AtomicU64,
    tripped: AtomicBool,
    uncompressed: AtomicU64,
}

impl Meter {
    /// The bound crossed, if the unpack stopped because of it.
    pub(super) fn exceeded(&self, limits: LayerLimits) -> Option<Exceeded> {
        self.tripped.load(Ordering::SeqCst).then(|| {
            let uncompressed = self.uncompressed.load(Ordering::SeqCst);
            let compressed = self.compressed.load(Ordering::SeqCst);
            Exceeded {
                uncompressed,
                compressed,
                limits,
                by_ratio: limits.max_size == 0 || uncompressed <= limits.max_size,
            }
        })
    }
}

/// Counts the compressed bytes going into the decompressor.
pub(super) struct CountIn<R> {
    pub(super) inner: R,
    pub(super) meter: Arc<Meter>,
}

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.compressed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Fails the uncompressed stream once it crosses a bound.
pub(super) struct Bounded<R> {
    pub(super) inner: R,
    pub(super) meter: Arc<Meter>,
    pub(super) limits: LayerLimits,
    pub(super) out: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let over_size = self.limits.max_size != 0 && self.out > self.limits.max_size;
        let over_ratio = self.limits.max_ratio != 0
            && self.out > self.limits.ratio_floor
            && self.out
                > self
                    .meter
                    .compressed
                    .load(Ordering::Relaxed)
                    .saturating_mul(self.limits.max_ratio);
        if over_size || over_ratio {
            self.meter.uncompressed.store(self.out, Ordering::SeqCst);
            self.meter.tripped.store(true, Ordering::SeqCst);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "layer exceeds the decompression bound",
            ));
        }
        Ok(n)
    }
}
