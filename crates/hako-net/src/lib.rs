//! Container networking.
//!
//! # Layout
//!
//! - [`mode`]: the network modes a container can ask for (`none`, `host`, `bridge`,
//!   `container:NAME`, a user-defined network) and their parsing.
//! - [`ipam`]: IPv4 subnets, address allocation, Docker's MAC addresses.
//! - [`link`]: bridges, veth pairs, addresses and routes over rtnetlink (inside a
//!   container's namespace through a short-lived thread that enters it).
//! - [`nft`]: one nftables table per daemon (masquerade, isolation, DNAT of published
//!   ports), rewritten atomically with Debian's `nft`.
//! - [`proxy`]: host port reservation and the userland TCP proxy for published ports.
//! - [`dns`]: the embedded resolver of user-defined networks (127.0.0.11 in a container).
//! - [`ports`]: published-port specs (`80/tcp` → bindings) as the engine stores them.
//!
//! Namespaces themselves are created by `hako-runtime`; this crate configures what is
//! inside them.
#![forbid(unsafe_code)]

pub mod dns;
pub mod ipam;
pub mod link;
pub mod mode;
pub mod nft;
pub mod ports;
pub mod proxy;
