//! Container networking.
//!
//! # Layout
//!
//! - [`mode`]: the network modes a container can ask for (`none`, `host`, `bridge`,
//!   `container:NAME`, a user-defined network) and their parsing.
//!
//! Scope: links, addresses, routes, IPAM, port publishing, nftables rules and the embedded
//! DNS resolver live here as they arrive. Namespaces themselves are created by
//! `hako-runtime`; this crate configures what is inside them.
#![forbid(unsafe_code)]

pub mod mode;
