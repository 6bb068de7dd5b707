//! hako's own emulation endpoints (`/hako/emulation`): other CPU architectures through
//! qemu-user handlers in binfmt_misc. Docker has no such API; the names follow its style.

use serde::{Deserialize, Serialize};

/// One architecture, as `GET /hako/emulation` lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EmulationArch {
    /// As users name it: `arm64`, `arm/v7`.
    pub arch: String,
    /// `linux/arm64/v8`.
    pub platform: String,
    /// The host CPU runs it.
    pub native: bool,
    /// The binfmt_misc handler's name (`qemu-aarch64`), empty when none is registered.
    pub handler: String,
    /// The handler is enabled.
    pub enabled: bool,
    /// The handler's interpreter.
    pub interpreter: String,
    /// The handler's flags (`POCF`).
    pub flags: String,
    /// hako registered the handler.
    pub registered_by_hako: bool,
    /// Containers of this architecture can run here.
    pub can_run: bool,
}

/// The body of `POST /hako/emulation/install` and `/uninstall`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EmulationRequest {
    /// Architectures; empty (or `all`) means every one for install, and for uninstall
    /// every handler hako registered.
    pub arches: Vec<String>,
}

/// What an install or uninstall did for one architecture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EmulationChange {
    pub arch: String,
    pub handler: String,
    /// `registered`, `already registered`, `native`, `removed`, `not registered`.
    pub action: String,
}
