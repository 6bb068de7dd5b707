//! The crate's one error type.
//!
//! Messages that users see through the Engine API copy Docker's words exactly (`No such
//! image: x`, the `conflict: ...` family, `invalid reference format`), because clients and
//! scripts match on them. Everything else says what failed and on which path or digest.

use std::io;
use std::path::PathBuf;

use hako_errdefs::{ErrorKind, HasKind};

use crate::digest::Digest;
use crate::reference::ReferenceError;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the image store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A user-given reference does not parse (Docker's messages, see [`ReferenceError`]).
    #[error(transparent)]
    Reference(#[from] ReferenceError),

    /// A digest string is malformed or uses an algorithm the store does not support.
    #[error("invalid digest {input:?}: {reason}")]
    InvalidDigest {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// No image answers to this name, tag, digest or ID. `reference` is already in
    /// Docker's familiar form (`busybox:latest`).
    #[error("No such image: {reference}")]
    ImageNotFound {
        /// The familiar form of what was asked.
        reference: String,
    },

    /// `push --all-tags` of a repository with no tag here (Docker's words).
    #[error("An image does not exist locally with the tag: {name}")]
    NoTagsToPush {
        /// The repository's familiar name.
        name: String,
    },

    /// An ID prefix matches several images. Docker reports this as not found too; the
    /// message adds what to do about it.
    #[error("No such image: {prefix} (the ID prefix matches several images; give more characters)")]
    AmbiguousId {
        /// The prefix the user gave.
        prefix: String,
    },

    /// The image exists locally but for another platform (Docker's words).
    #[error(
        "image with reference {reference} was found but its platform ({actual}) does not match the specified platform ({wanted})"
    )]
    PlatformMismatch {
        /// Familiar reference.
        reference: String,
        /// The local image's platform.
        actual: String,
        /// The requested platform.
        wanted: String,
    },

    /// Save or load with a platform the image or archive does not provide; the message
    /// is Docker's for the case (`no suitable export target found: ...`, `requested
    /// platform (...) not found`).
    #[error("{0}")]
    PlatformNotProvided(String),

    /// No manifest in an index fits the wanted platform (Docker's words).
    #[error("no matching manifest for {platform} in the manifest list entries")]
    NoMatchingManifest {
        /// The wanted platform, normalised.
        platform: String,
    },

    /// As [`Error::NoMatchingManifest`] for a pull, with a second line naming what the
    /// image does offer.
    #[error(
        "no matching manifest for {platform} in the manifest list entries\nthe image is available for: {offered}"
    )]
    NoMatchingManifestOffered {
        /// The wanted platform, normalised.
        platform: String,
        /// The platforms of the index, comma-separated.
        offered: String,
    },

    /// A blob is not in the content store.
    #[error("content {digest}: not found")]
    BlobNotFound {
        /// The missing blob.
        digest: Digest,
    },

    /// A snapshot is not present.
    #[error("snapshot {chain_id}: not found")]
    SnapshotNotFound {
        /// The chain ID asked for.
        chain_id: Digest,
    },

    /// Written content does not hash to what the caller expected.
    #[error("unexpected digest {actual} for {what}, expected {expected}")]
    DigestMismatch {
        /// What was being written or unpacked (`blob`, `layer 2 diff_id`...).
        what: String,
        /// The digest announced by a manifest, a config or the caller.
        expected: Digest,
        /// The digest of the bytes actually received.
        actual: Digest,
    },

    /// Written content has another size than the caller expected.
    #[error("unexpected size {actual} for {what}, expected {expected}")]
    SizeMismatch {
        /// What was being written.
        what: String,
        /// The announced size.
        expected: u64,
        /// The size received so far (may exceed `expected` by one write).
        actual: u64,
    },

    /// Another writer holds the same ingest reference.
    #[error("ingest {reference:?} is locked by another writer")]
    IngestLocked {
        /// The ingest reference.
        reference: String,
    },

    /// A manifest, index or config is malformed or of a kind the store cannot use.
    #[error("invalid {what}: {reason}")]
    InvalidContent {
        /// `manifest`, `image config`, `index`...
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },

    /// A media type the store does not handle (schema1, foreign layers...).
    #[error("unsupported media type {media_type}")]
    UnsupportedMediaType {
        /// The refused media type.
        media_type: String,
    },

    /// A layer archive is unsafe or malformed. Nothing outside the target was written.
    #[error("unpack {entry:?}: {reason}")]
    Unpack {
        /// The tar entry's path as given in the archive.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A layer or import stream is not a valid (compressed) tar archive.
    #[error("invalid archive ({what}): {source}")]
    InvalidArchive {
        /// Which part was being read (`layer tar entry`, `gzip stream`...).
        what: String,
        /// The parser's complaint.
        #[source]
        source: io::Error,
    },

    /// A layer expands beyond the daemon's decompression bound (a bomb, or a bound set
    /// too low). Nothing of it is kept.
    #[error("layer refused: {reason}")]
    LayerTooLarge {
        /// Which bound, with the figures.
        reason: String,
    },

    /// A layer compression the store cannot read.
    #[error("unsupported layer compression: {0}")]
    UnsupportedCompression(&'static str),

    /// A platform specifier does not parse.
    #[error("invalid platform {input:?}: {reason}")]
    InvalidPlatform {
        /// The given specifier.
        input: String,
        /// Why it was refused.
        reason: String,
    },

    /// A `--change` instruction is not valid (Docker's words where it has them).
    #[error("{0}")]
    InvalidChange(String),

    /// An image deletion conflicts with tags or containers (Docker's words).
    #[error("{0}")]
    Conflict(#[from] crate::meta::DeleteConflict),

    /// A tag request makes no sense (digest as tag, 64-hex repository name...).
    #[error("{0}")]
    InvalidTag(String),

    /// JSON could not be read or written.
    #[error("{what}: {source}")]
    Json {
        /// What was being (de)serialised, with its path or digest.
        what: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },

    /// A registry refused a request or could not be reached. `message` is in Docker's
    /// words where it has them (`Head "http://...": no basic auth credentials`).
    #[error("{message}")]
    Registry {
        /// What kind of failure.
        kind: RegistryErrorKind,
        /// The full message.
        message: String,
    },

    /// A filesystem operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The operation, in words (`create ingest file`, `rename snapshot`...).
        op: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// Reading an input stream (a layer, an import) failed.
    #[error("read {what}: {source}")]
    Read {
        /// What was being read.
        what: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// What kind of registry failure an [`Error::Registry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryErrorKind {
    /// The repository, tag or blob does not exist.
    NotFound,
    /// Credentials are missing or refused.
    Unauthorized,
    /// The registry cannot be reached or failed.
    Unavailable,
}

impl Error {
    /// Shorthand for [`Error::Io`].
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Shorthand for [`Error::Json`].
    pub(crate) fn json(what: impl Into<String>, source: serde_json::Error) -> Self {
        Error::Json {
            what: what.into(),
            source,
        }
    }

    /// Shorthand for [`Error::InvalidContent`].
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidContent {
            what,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Unpack`].
    pub(crate) fn unpack(entry: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Unpack {
            entry: entry.into(),
            reason: reason.into(),
        }
    }
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Reference(_)
            | Error::InvalidDigest { .. }
            | Error::InvalidPlatform { .. }
            | Error::InvalidChange(_)
            | Error::InvalidTag(_)
            | Error::Unpack { .. }
            | Error::InvalidArchive { .. }
            | Error::UnsupportedCompression(_)
            | Error::LayerTooLarge { .. }
            | Error::InvalidContent { .. }
            | Error::DigestMismatch { .. }
            | Error::SizeMismatch { .. } => ErrorKind::InvalidArgument,
            Error::ImageNotFound { .. }
            | Error::NoTagsToPush { .. }
            | Error::AmbiguousId { .. }
            | Error::PlatformMismatch { .. }
            | Error::PlatformNotProvided(_)
            | Error::NoMatchingManifest { .. }
            | Error::NoMatchingManifestOffered { .. }
            | Error::BlobNotFound { .. }
            | Error::SnapshotNotFound { .. } => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Registry { kind, .. } => match kind {
                RegistryErrorKind::NotFound => ErrorKind::NotFound,
                RegistryErrorKind::Unauthorized => ErrorKind::Forbidden,
                RegistryErrorKind::Unavailable => ErrorKind::Unavailable,
            },
            Error::IngestLocked { .. } => ErrorKind::Unavailable,
            Error::UnsupportedMediaType { .. } => ErrorKind::NotImplemented,
            // A stream that is not what it claims (bad gzip, truncated tar) is the sender's
            // fault; anything else while reading is ours or the system's.
            Error::Read { source, .. }
                if matches!(
                    source.kind(),
                    io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
                ) =>
            {
                ErrorKind::InvalidArgument
            }
            Error::Json { .. } | Error::Io { .. } | Error::Read { .. } => ErrorKind::Internal,
        }
    }
}
