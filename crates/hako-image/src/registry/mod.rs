//! The Registry HTTP API v2 client and `docker pull`.
//!
//! - [`client`]: one repository of one registry: HTTPS (rustls; CA certificates from
//!   `certs.d/<host:port>/*.crt` directories as Docker's `/etc/docker/certs.d`), plain HTTP
//!   for 127.0.0.0/8, `localhost` and `--insecure-registry` entries when TLS fails,
//!   anonymous and credentialed bearer tokens, basic auth, manifests verified by digest,
//!   blobs streamed.
//! - [`auth`]: Docker's `AuthConfig` (`X-Registry-Auth`) and `WWW-Authenticate` parsing.
//! - [`pull`]: [`crate::ImageStore::pull`], with Docker's progress events.
//! - [`push`]: [`crate::ImageStore::push`]: blobs (skipped, mounted or uploaded), then the
//!   stored manifest.
//! - [`upload`]: one blob's upload: mount, whole, or in chunks.
//! - [`inspect`]: what a name resolves to on its registry, without pulling.

pub mod auth;
pub mod client;
mod inflight;
pub mod inspect;
pub mod pull;
pub mod push;
pub mod upload;

pub use auth::AuthConfig;
pub use client::{Client, RegistryConfig, login};
pub use inspect::{RemoteImage, inspect_remote};
pub use pull::{PullEvent, PullOptions, PullOutcome};
pub use push::{PushEvent, PushOptions, PushOutcome};
pub use upload::{Chunking, Uploaded};
