//! Containers: configuration, state machine, and one module per verb.

pub mod archive;
pub mod config;
pub mod mounts;
pub mod options;
pub mod status;
pub mod userns;
pub mod view;

pub(crate) mod attach;
pub(crate) mod caps;
pub(crate) mod entry;
pub(crate) mod etc_files;
pub(crate) mod health;
pub(crate) mod limits;
pub(crate) mod merge;
pub(crate) mod record;
pub(crate) mod registry;
pub(crate) mod security;
pub(crate) mod spec;

pub(crate) mod create;
mod delete;
mod exit;
mod inspect;
mod kill;
mod list;
mod load;
mod pause;
pub mod prune;
mod rename;
mod resize;
mod restart;
mod shutdown;
mod start;
pub mod stats;
mod stop;
pub mod update;
mod wait;

pub use merge::ImageDefaults;
