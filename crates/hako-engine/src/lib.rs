//! The engine: containers, execs, images, logs and events, on top of `hako-image` and
//! `hako-runtime`. The daemon converts wire types into the types here and calls
//! [`Engine`]'s methods; nothing here knows about HTTP.
//!
//! # Layout
//!
//! - [`engine`]: [`Engine`], the shared state every verb works on.
//! - [`config`]: [`EngineConfig`], where things live.
//! - [`build`]: `POST /build`, the engine as `hako-build`'s backend.
//! - [`container`]: configuration, the state machine ([`container::status`]), views for
//!   `ps`/`inspect`, and one private module per verb (`create.rs`, `start.rs`, ...), each
//!   an `impl Engine` block.
//! - [`emulation`]: other CPU architectures through qemu-user and binfmt_misc.
//! - [`exec`]: `docker exec` instances.
//! - [`logs`]: the json-file log reader (tail, since, follow).
//! - [`events`]: the event bus.
//! - [`volume`]: local volumes (store and verbs); container mounts are in
//!   `container::mounts`.
//! - [`network`]: the default bridge, container endpoints, published ports, user-defined
//!   networks and their DNS (over `hako-net`).
//! - [`image`]: the engine's view of images; the verbs are in `image_ops.rs`, `docker
//!   save`/`load` in `image_archive.rs`.
//! - [`system`]: `version` and `info`; [`disk_usage`]: `system df`. `image_commit.rs` and
//!   `image_prune.rs` hold `docker commit`, `history` and `image prune`.
//! - [`filters`]: Docker's `filters` query.
//! - [`error`]: [`EngineError`] and its kinds.
#![forbid(unsafe_code)]

pub mod build;
pub mod config;
pub mod container;
pub mod disk_usage;
pub mod emulation;
pub mod engine;
pub mod error;
pub mod events;
pub mod exec;
pub mod filters;
pub mod image;
pub mod logs;
pub mod network;
pub mod system;
pub mod volume;

mod events_ops;
mod image_archive;
mod image_commit;
mod image_ops;
mod image_platforms;
mod image_prune;
pub mod image_pull;
mod system_ops;

pub(crate) mod frames;
pub(crate) mod ids;
pub(crate) mod names;
pub(crate) mod signal;
pub(crate) mod state;
pub(crate) mod timefmt;
pub(crate) mod trash;

pub use config::EngineConfig;
pub use engine::Engine;
pub use error::{EngineError, Result};
pub use hako_net::mode::NetworkMode;
