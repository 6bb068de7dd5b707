//! The engine's error type and its mapping to error kinds.

use std::path::PathBuf;

use hako_errdefs::{ErrorKind, HasKind};

/// Everything that can go wrong in the engine. Messages are Docker's words where Docker has
/// words for the case, because scripts and users grep for them.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No container matches the name or ID (prefix).
    #[error("No such container: {0}")]
    NoSuchContainer(String),
    /// No exec instance has this ID.
    #[error("No such exec instance: {0}")]
    NoSuchExec(String),
    /// No network has this name or ID.
    #[error("network {0} not found")]
    NoSuchNetwork(String),
    /// No volume has this name.
    #[error("get {0}: no such volume")]
    NoSuchVolume(String),
    /// `--driver` names a volume driver hako does not have.
    #[error("error looking up volume plugin {0}: plugin \"{0}\" not found")]
    NoSuchVolumeDriver(String),
    /// `cp`/`archive` of a path that does not exist in the container.
    #[error("Could not find the file {path} in container {container}")]
    PathNotFound {
        /// The path asked for.
        path: String,
        /// The container as named in the request.
        container: String,
    },
    /// A container uses the volume.
    #[error("remove {name}: volume is in use - [{}]", ids.join(", "))]
    VolumeInUse {
        /// The volume.
        name: String,
        /// The containers using it.
        ids: Vec<String>,
    },
    /// An ID prefix matches more than one container.
    #[error("Multiple IDs found with provided prefix: {0}")]
    AmbiguousPrefix(String),
    /// The name is taken.
    #[error(
        "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameInUse {
        /// The requested name, without the leading slash.
        name: String,
        /// The container holding it.
        id: String,
    },
    /// A request value is not acceptable; the message says which and why.
    #[error("{0}")]
    InvalidParameter(String),
    /// An exec instance can be started once.
    #[error("Exec command {0} is already running")]
    ExecAlreadyStarted(String),
    /// The container must be running for this request.
    #[error("Container {0} is not running")]
    NotRunning(String),
    /// The container is paused.
    #[error("Container {0} is paused, unpause the container before exec")]
    Paused(String),
    /// Removing a running container needs `force`.
    #[error(
        "cannot remove container \"/{name}\": container is running: stop the container before removing or force remove"
    )]
    RemoveRunning {
        /// The container's name.
        name: String,
    },
    /// The container is being removed already.
    #[error("removal of container {0} is already in progress")]
    RemovalInProgress(String),
    /// The request changes nothing (start of a running container, stop of a stopped one);
    /// the API answers 304.
    #[error("container {0} is already in the requested state")]
    NotModified(String),
    /// The container's state does not allow the operation (Docker's message as is).
    #[error("{0}")]
    Conflict(String),
    /// A feature this engine does not have yet.
    #[error("{0} is not implemented in hako yet")]
    NotImplemented(String),
    /// The image side failed.
    #[error(transparent)]
    Image(#[from] hako_image::Error),
    /// A build failed.
    #[error(transparent)]
    Build(#[from] hako_build::BuildError),

    #[error(transparent)]
    Emulation(#[from] crate::emulation::EmulationError),
    /// The runtime failed.
    #[error(transparent)]
    Runtime(#[from] hako_runtime::RuntimeError),
    /// A file in the data or runtime root could not be read or written.
    #[error("{context} {path}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// Which file.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// A state file is corrupt.
    #[error("{path}: {source}")]
    Json {
        /// Which file.
        path: PathBuf,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// A blocking task panicked or was cancelled.
    #[error("internal task failed: {0}")]
    Task(String),
    /// Setting up a container's network failed (bridge, veth, rules, ports).
    #[error("{0}")]
    Network(String),
    /// The request is refused as a matter of policy (pre-defined networks, overlapping pools).
    #[error("{0}")]
    Forbidden(String),
}

impl HasKind for EngineError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NoSuchContainer(_)
            | Self::NoSuchExec(_)
            | Self::NoSuchNetwork(_)
            | Self::NoSuchVolume(_)
            | Self::NoSuchVolumeDriver(_)
            | Self::PathNotFound { .. } => ErrorKind::NotFound,
            Self::AmbiguousPrefix(_) | Self::InvalidParameter(_) => ErrorKind::InvalidArgument,
            Self::NameInUse { .. }
            | Self::NotRunning(_)
            | Self::ExecAlreadyStarted(_)
            | Self::Paused(_)
            | Self::RemoveRunning { .. }
            | Self::RemovalInProgress(_)
            | Self::VolumeInUse { .. } => ErrorKind::Conflict,
            Self::NotModified(_) => ErrorKind::NotModified,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::NotImplemented(_) => ErrorKind::NotImplemented,
            Self::Image(e) => e.kind(),
            Self::Build(e) => e.kind(),
            Self::Emulation(e) => e.kind(),
            Self::Runtime(e) => e.kind(),
            Self::Io { .. } | Self::Json { .. } | Self::Task(_) | Self::Network(_) => {
                ErrorKind::Internal
            }
            Self::Forbidden(_) => ErrorKind::Forbidden,
        }
    }
}

/// Shorthand used across the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
