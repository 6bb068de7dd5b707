//! The hako daemon: Docker's Engine API over HTTP/1.1 on Unix sockets, in front of
//! [`hako_engine::Engine`]. This crate speaks HTTP and nothing else: every decision about
//! containers and images is the engine's.
//!
//! # Layout
//!
//! - [`daemon`]: [`run`] / [`run_until`]: lock the data root, open the engine, bind the
//!   sockets, serve until SIGTERM/SIGINT, shut down gracefully.
//! - [`options`]: [`DaemonOptions`], what `hako daemon` passes in.
//! - `lock.rs`, `socket.rs`: the data-root `flock` and socket preparation (refuse a live
//!   daemon, replace a stale socket, mode 0660, group `hako`).
//! - [`tls`]: `tcp://` listeners with TLS and client-certificate verification.
//! - [`server`]: [`serve`], the accept loop over already-bound listeners (what tests use),
//!   with graceful shutdown in the style of mini-redis.
//! - `linger.rs`: connections read what the client still sends for a moment before they
//!   close, so that a refused upload's answer is not lost to a reset.
//! - `service.rs`: one request's path: version prefix, route, version check, handler (with
//!   panics caught), error mapping, common headers.
//! - `router.rs`: the one table of (method, path pattern) → endpoint.
//! - `version.rs`: `/v1.NN` prefixes and Docker's version messages.
//! - `handlers/`: one module per resource (`system`, `containers`, `container_io`, `exec`,
//!   `images`, `events`): parse, call the engine, encode.
//! - `convert/`: wire types ↔ engine types; `TryFrom` is where request validation lives.
//! - [`stream`]: stdout/stderr multiplexing ([`stream::mux`], public), connection
//!   hijacking.
//! - [`error`]: [`ApiError`] (the only place an error kind becomes an HTTP status) and
//!   [`DaemonError`] (startup).
//! - `request.rs`, `response.rs`, `query.rs`: small helpers for bodies, queries, times.
#![forbid(unsafe_code)]

pub mod daemon;
pub mod error;
pub mod options;
pub mod server;
pub mod stream;
pub mod tls;

mod convert;
mod handlers;
mod linger;
mod lock;
mod query;
mod request;
mod response;
mod router;
mod service;
mod socket;
mod version;

pub use daemon::{run, run_until};
pub use error::{ApiError, DaemonError};
pub use options::DaemonOptions;
pub use server::serve;
