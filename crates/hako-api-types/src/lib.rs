//! Docker Engine API wire types shared by the hako CLI and daemon.
//!
//! Field names follow moby's `api/swagger.yaml` exactly. Every struct tolerates unknown
//! fields and missing ones (`Option` or `#[serde(default)]`), because clients and daemons
//! of other versions send both. Nothing here does I/O: no tokio, no hyper.
//!
//! # Layout
//!
//! - [`version`]: API version constants, [`version::ApiVersion`] parsing/comparison, the
//!   `/version` body.
//! - [`system`]: `/info` ([`system::SystemInfo`]).
//! - [`image`]: image list, inspect and delete bodies.
//! - [`progress`]: `JSONMessage`, the streamed progress lines of pull/import/push.
//! - [`container`]: create body (config, host config, networking config), list summary,
//!   inspect, wait.
//! - [`exec`]: exec create/start/inspect bodies.
//! - [`emulation`]: hako's `/hako/emulation` bodies (qemu-user handlers).
//! - [`events`]: `/events` messages.
//! - [`error`]: the `{"message": ...}` error body.
//! - [`query`]: query-string structs for `serde_urlencoded`, with Docker's bool spelling.
//! - [`filters`]: the `filters` query parameter (JSON) and helpers.
//! - [`archive`]: `cp` (archive queries, the path-stat header), `diff` items.
//! - [`volume`]: volume create/list/inspect/prune bodies.
//! - [`units`]: Docker's human durations and sizes (shared by daemon `Status` and CLI).
#![forbid(unsafe_code)]

pub mod archive;
pub mod container;
pub mod emulation;
pub mod error;
pub mod events;
pub mod exec;
pub mod filters;
pub mod image;
pub mod progress;
pub mod query;
pub mod system;
pub mod units;
pub mod version;
pub mod volume;

pub use error::ErrorResponse;
pub use filters::Filters;
pub use version::{API_VERSION, ApiVersion, MIN_API_VERSION};

/// `{"Id": "..."}`: the body of exec create and other endpoints that only return an ID.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdResponse {
    #[serde(rename = "Id", default)]
    pub id: String,
}
