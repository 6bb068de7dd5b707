//! The container runtime: namespaces, rootfs, cgroups, capabilities, and the per-process
//! monitor. No containerd, no runc: this crate is what turns a [`spec::ContainerSpec`] into
//! a running PID 1.
//!
//! # Layout
//!
//! - [`spec`]: the engine's request (what to run, with which rootfs, cgroup and stdio).
//! - [`client`]: the engine's side of a monitor (spawn, start, attach, resize, signal,
//!   wait) and the protocol, step by step.
//! - [`error`]: the crate's error type, [`RuntimeError`].
//! - [`monitor`]: `hako monitor <dir>`: the single-threaded, poll-based process that owns
//!   one container init (or exec process), its stdio, log, socket and exit status.
//! - [`process`]: what the cloned child does before `execve` (container init and exec).
//! - [`rootfs`]: mounts, `/dev`, masked paths, `pivot_root`, all through [`sys::Sys`].
//! - [`cgroup`]: [`cgroup::CgroupManager`] for v1 and v2.
//! - [`caps`], [`user`], [`lookup`], [`namespaces`]: capabilities, `--user` resolution,
//!   `PATH` lookup with Docker's error words, namespaces (a new user namespace under
//!   `--userns-remap`, whose ID maps and idmapped root overlay the monitor prepares).
//! - [`defaults`]: Docker's default capabilities, masked and read-only paths, `PATH`.
//! - [`sys`]: kernel calls; the only module with `unsafe`.
//!
//! Scope: everything between "the engine has decided what to run" and "the process has
//! exited". Image layers, names, state and the API are the engine's; this crate knows only
//! paths it is given.
//!
//! `unsafe` is allowed in `sys/` only, each block with a `// SAFETY:` comment.
#![deny(unsafe_code)]

pub mod caps;
pub mod cgroup;
pub mod client;
pub mod defaults;
pub mod error;
pub mod lookup;
pub mod monitor;
pub mod namespaces;
pub mod process;
mod protocol;
pub mod rootfs;
pub mod seccomp;
pub mod spec;
#[allow(unsafe_code)]
pub mod sys;
pub mod user;

pub use error::{ExecFailure, RuntimeError};
