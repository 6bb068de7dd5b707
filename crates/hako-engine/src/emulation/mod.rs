//! Running images of other CPU architectures through qemu-user and binfmt_misc: which
//! architectures the host runs natively, which have a usable handler, registering
//! Debian's qemu-user-static handlers (with the fix-binary flag, so they work in
//! containers whose rootfs has no qemu) and removing exactly what hako registered.
//!
//! # Layout
//! - [`arch`]: the emulatable architectures and their names.
//! - [`binfmt`]: the binfmt_misc filesystem and handler descriptions.
//! - `ops.rs`: the engine's verbs (`emulation ls|install|uninstall`, the run check).

pub mod arch;
pub mod binfmt;
mod ops;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hako_errdefs::{ErrorKind, HasKind};
use hako_image::Platform;
use serde::{Deserialize, Serialize};

use arch::Arch;
use binfmt::{Binfmt, Description, Handler};

/// Where Debian's qemu-user-static describes its handlers.
pub const SYSTEM_CONF_DIR: &str = "/usr/lib/binfmt.d";

/// Why an emulation request failed.
#[derive(Debug, thiserror::Error)]
pub enum EmulationError {
    #[error("unknown architecture {0:?}: choose from {list}", list = known())]
    UnknownArch(String),

    #[error(
        "no emulator for {arch}: {conf} is missing; install Debian's qemu-user-static (apt-get install qemu-user-static)"
    )]
    NoQemu { arch: String, conf: PathBuf },

    #[error("{conf}: not a binfmt_misc handler description")]
    BadDescription { conf: PathBuf },

    #[error(
        "image platform {image} cannot run on this host ({host}): no emulator is registered for {arch}; enable it with `hako emulation install {arch}` (uses Debian's qemu-user-static)"
    )]
    NotRunnable {
        image: String,
        host: String,
        arch: String,
    },

    #[error(
        "image platform {image} cannot run on this host ({host}): the binfmt_misc handler {handler} is registered without the fix-binary (F) flag, so its interpreter is not found inside containers; replace it with `hako emulation uninstall {arch} && hako emulation install {arch}`"
    )]
    NoFixBinary {
        image: String,
        host: String,
        arch: String,
        handler: String,
    },

    #[error(
        "image platform {image} cannot run on this host ({host}) and hako has no emulator for it"
    )]
    Unsupported { image: String, host: String },

    #[error("{context} {path}: {source}")]
    Io {
        context: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl HasKind for EmulationError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownArch(_) | Self::Unsupported { .. } => ErrorKind::InvalidArgument,
            Self::NoQemu { .. } => ErrorKind::NotFound,
            Self::NotRunnable { .. } | Self::NoFixBinary { .. } => ErrorKind::Conflict,
            Self::BadDescription { .. } | Self::Io { .. } => ErrorKind::Internal,
        }
    }
}

fn known() -> String {
    let mut names: Vec<String> = arch::ARCHES.iter().map(Arch::short).collect();
    names.push("all".into());
    names.join(", ")
}

type Result<T> = std::result::Result<T, EmulationError>;

/// One architecture as `emulation ls` shows it.
#[derive(Debug, Clone)]
pub struct ArchStatus {
    pub arch: &'static Arch,
    /// The host CPU runs it.
    pub native: bool,
    /// The binfmt_misc handler for it, when one is registered.
    pub handler: Option<Handler>,
    /// hako registered that handler (so `uninstall` removes it).
    pub registered_by_hako: bool,
}

impl ArchStatus {
    /// Containers of this architecture can run here.
    pub fn can_run(&self) -> bool {
        self.native
            || self
                .handler
                .as_ref()
                .is_some_and(Handler::usable_in_containers)
    }
}

/// What an install or uninstall did for one architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The architecture as users name it.
    pub arch: String,
    /// The binfmt_misc handler.
    pub handler: String,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The host runs it natively; nothing to register.
    Native,
    /// A handler was there already (registered by hako or by someone else).
    AlreadyRegistered,
    /// hako registered the handler.
    Registered,
    /// hako removed the handler.
    Removed,
    /// There was no handler to remove.
    NotRegistered,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Native => "native",
            Action::AlreadyRegistered => "already registered",
            Action::Registered => "registered",
            Action::Removed => "removed",
            Action::NotRegistered => "not registered",
        }
    }
}

/// What hako changed in binfmt_misc, kept so `uninstall` restores the state before it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    /// Handlers hako registered.
    registered: Vec<String>,
    /// hako mounted binfmt_misc.
    mounted: bool,
}

/// The emulation manager of one engine.
#[derive(Debug)]
pub struct Emulation {
    binfmt: Binfmt,
    conf_dir: PathBuf,
    record_path: PathBuf,
    host: Platform,
    /// Serialises changes: binfmt_misc and the record are changed together.
    lock: Mutex<()>,
}

impl Emulation {
    pub fn new(binfmt_dir: &Path, conf_dir: &Path, record_path: &Path, host: Platform) -> Self {
        Emulation {
            binfmt: Binfmt::new(binfmt_dir),
            conf_dir: conf_dir.to_path_buf(),
            record_path: record_path.to_path_buf(),
            host,
            lock: Mutex::new(()),
        }
    }

    /// The host's binfmt_misc and Debian's descriptions; the record under `data_root`.
    pub fn system(data_root: &Path) -> Self {
        Self::new(
            Path::new(binfmt::SYSTEM_DIR),
            Path::new(SYSTEM_CONF_DIR),
            &data_root.join("emulation.json"),
            Platform::host(),
        )
    }

    /// Every known architecture, native or not, with its handler.
    pub fn list(&self) -> Result<Vec<ArchStatus>> {
        let record = self.record()?;
        arch::ARCHES
            .iter()
            .map(|a| {
                let handler = self.handler(a)?;
                Ok(ArchStatus {
                    arch: a,
                    native: a.is_native(&self.host),
                    registered_by_hako: handler.is_some()
                        && record.registered.contains(&a.handler()),
                    handler,
                })
            })
            .collect()
    }

    /// The platforms containers can have here: native ones and emulated ones.
    pub fn platforms(&self) -> Vec<String> {
        match self.list() {
            Ok(list) => list
                .iter()
                .filter(|s| s.can_run())
                .map(|s| s.arch.platform())
                .collect(),
            Err(_) => arch::ARCHES
                .iter()
                .filter(|a| a.is_native(&self.host))
                .map(Arch::platform)
                .collect(),
        }
    }

    /// Fails, naming the image's platform, the host's and the command that fixes it, when a
    /// container of `image` (a platform such as `linux/arm64/v8`) could not run here.
    pub fn check_runnable(&self, image: &str) -> Result<()> {
        let Ok(platform) = Platform::parse(image) else {
            // An image with an unparsable platform predates the check; let it try.
            return Ok(());
        };
        if platform.os != "linux" && !platform.os.is_empty() {
            return Err(EmulationError::Unsupported {
                image: image.to_string(),
                host: self.host.to_string(),
            });
        }
        if self.host.matches(&platform) {
            return Ok(());
        }
        let Some(a) = arch::for_platform(&platform) else {
            return Err(EmulationError::Unsupported {
                image: image.to_string(),
                host: self.host.to_string(),
            });
        };
        if a.is_native(&self.host) {
            return Ok(());
        }
        match self.handler(a)? {
            Some(h) if h.usable_in_containers() => Ok(()),
            Some(h) if h.enabled => Err(EmulationError::NoFixBinary {
                image: image.to_string(),
                host: self.host.to_string(),
                arch: a.short(),
                handler: h.name,
            }),
            _ => Err(EmulationError::NotRunnable {
                image: image.to_string(),
                host: self.host.to_string(),
                arch: a.short(),
            }),
        }
    }

    /// Registers handlers for `names` (every non-native architecture for `all` or none).
    pub fn install(&self, names: &[String]) -> Result<Vec<Change>> {
        let arches = self.resolve(names)?;
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut record = self.record()?;
        let mut changes = Vec::new();
        for a in arches {
            let change = |action| Change {
                arch: a.short(),
                handler: a.handler(),
                action,
            };
            if a.is_native(&self.host) {
                changes.push(change(Action::Native));
                continue;
            }
            if !self.binfmt.is_mounted() {
                self.binfmt
                    .mount()
                    .map_err(|source| self.io("mount binfmt_misc on", source))?;
                record.mounted = true;
                self.save(&record)?;
            }
            if self.handler(a)?.is_some() {
                changes.push(change(Action::AlreadyRegistered));
                continue;
            }
            let description = self.description(a)?.with_fix_binary();
            self.binfmt
                .register(&description.line())
                .map_err(|source| self.io("register in", source))?;
            record.registered.push(a.handler());
            self.save(&record)?;
            changes.push(change(Action::Registered));
        }
        Ok(changes)
    }

    /// Removes handlers: those named, or with no names every handler hako registered (and
    /// binfmt_misc itself when hako mounted it and nothing else is registered), which
    /// restores binfmt_misc to what it was before `install`.
    pub fn uninstall(&self, names: &[String]) -> Result<Vec<Change>> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut record = self.record()?;
        let arches: Vec<&'static Arch> = if names.is_empty() {
            arch::ARCHES
                .iter()
                .filter(|a| record.registered.contains(&a.handler()))
                .fold(Vec::new(), dedup_by_handler)
        } else {
            self.resolve(names)?
        };
        let mut changes = Vec::new();
        for a in arches {
            let present = self.binfmt.is_mounted() && self.handler(a)?.is_some();
            if present {
                self.binfmt
                    .remove(&a.handler())
                    .map_err(|source| self.io("remove a handler from", source))?;
            }
            record.registered.retain(|h| *h != a.handler());
            self.save(&record)?;
            changes.push(Change {
                arch: a.short(),
                handler: a.handler(),
                action: if present {
                    Action::Removed
                } else {
                    Action::NotRegistered
                },
            });
        }
        if names.is_empty() && record.mounted && self.binfmt.is_mounted() {
            let others = self
                .binfmt
                .handlers()
                .map_err(|source| self.io("read", source))?;
            if others.is_empty() {
                self.binfmt
                    .unmount()
                    .map_err(|source| self.io("unmount", source))?;
                record.mounted = false;
                self.save(&record)?;
            }
        }
        Ok(changes)
    }

    /// Names to architectures, one per handler; `all` or nothing means every one.
    fn resolve(&self, names: &[String]) -> Result<Vec<&'static Arch>> {
        if names.is_empty() || names.iter().any(|n| n == "all") {
            return Ok(arch::ARCHES.iter().fold(Vec::new(), dedup_by_handler));
        }
        let mut out = Vec::new();
        for n in names {
            let a = arch::lookup(n).ok_or_else(|| EmulationError::UnknownArch(n.clone()))?;
            out = dedup_by_handler(out, a);
        }
        Ok(out)
    }

    fn handler(&self, a: &Arch) -> Result<Option<Handler>> {
        if !self.binfmt.is_mounted() {
            return Ok(None);
        }
        self.binfmt
            .handler(&a.handler())
            .map_err(|source| self.io("read", source))
    }

    fn description(&self, a: &Arch) -> Result<Description> {
        let conf = self.conf_dir.join(format!("{}.conf", a.handler()));
        let text = match std::fs::read_to_string(&conf) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(EmulationError::NoQemu {
                    arch: a.short(),
                    conf,
                });
            }
            Err(source) => {
                return Err(EmulationError::Io {
                    context: "read",
                    path: conf,
                    source,
                });
            }
        };
        let d = Description::parse(&text)
            .ok_or_else(|| EmulationError::BadDescription { conf: conf.clone() })?;
        if !Path::new(d.interpreter()).exists() {
            return Err(EmulationError::NoQemu {
                arch: a.short(),
                conf: PathBuf::from(d.interpreter()),
            });
        }
        Ok(d)
    }

    fn record(&self) -> Result<Record> {
        crate::state::read_json(&self.record_path)
            .map(Option::unwrap_or_default)
            .map_err(|e| EmulationError::Io {
                context: "read",
                path: self.record_path.clone(),
                source: std::io::Error::other(e.to_string()),
            })
    }

    fn save(&self, record: &Record) -> Result<()> {
        crate::state::write_json(&self.record_path, record, true).map_err(|e| EmulationError::Io {
            context: "write",
            path: self.record_path.clone(),
            source: std::io::Error::other(e.to_string()),
        })
    }

    fn io(&self, context: &'static str, source: std::io::Error) -> EmulationError {
        EmulationError::Io {
            context,
            path: self.binfmt.dir().to_path_buf(),
            source,
        }
    }
}

/// arm/v7 and arm/v6 share `qemu-arm`: keep the first architecture of each handler.
fn dedup_by_handler(mut v: Vec<&'static Arch>, a: &'static Arch) -> Vec<&'static Arch> {
    if !v.iter().any(|b| b.qemu == a.qemu) {
        v.push(a);
    }
    v
}

#[cfg(test)]
mod tests;
