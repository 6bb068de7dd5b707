//! The binfmt_misc filesystem: reading handlers, registering and removing them.
//!
//! A handler registered with the `F` (fix-binary) flag has its interpreter opened by the
//! kernel at registration, so it works inside containers whose rootfs has no qemu; that
//! is the only kind hako counts as usable.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where the kernel's binfmt_misc filesystem is mounted.
pub const SYSTEM_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// A registered handler, as its file under binfmt_misc describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// `qemu-aarch64`.
    pub name: String,
    /// Whether the kernel uses it (a handler can be disabled by writing 0).
    pub enabled: bool,
    /// The interpreter's path, as given at registration.
    pub interpreter: String,
    /// The flags letters (`POCF`).
    pub flags: String,
}

impl Handler {
    /// Whether binaries it matches run inside containers: enabled, and the interpreter
    /// was opened at registration (`F`).
    pub fn usable_in_containers(&self) -> bool {
        self.enabled && self.flags.contains('F')
    }
}

/// One binfmt_misc mount.
#[derive(Debug, Clone)]
pub struct Binfmt {
    dir: PathBuf,
}

impl Binfmt {
    pub fn new(dir: impl Into<PathBuf>) -> Binfmt {
        Binfmt { dir: dir.into() }
    }

    /// Whether the filesystem is mounted (its `register` file exists).
    pub fn is_mounted(&self) -> bool {
        self.dir.join("register").exists()
    }

    /// Mounts binfmt_misc at its directory.
    pub fn mount(&self) -> io::Result<()> {
        nix::mount::mount(
            Some("binfmt_misc"),
            &self.dir,
            Some("binfmt_misc"),
            nix::mount::MsFlags::MS_NOSUID | nix::mount::MsFlags::MS_NODEV,
            None::<&str>,
        )
        .map_err(io::Error::from)
    }

    /// Unmounts it again (only when hako mounted it and nothing is registered).
    pub fn unmount(&self) -> io::Result<()> {
        nix::mount::umount2(&self.dir, nix::mount::MntFlags::MNT_DETACH).map_err(io::Error::from)
    }

    /// The handler called `name`, if registered.
    pub fn handler(&self, name: &str) -> io::Result<Option<Handler>> {
        match fs::read_to_string(self.dir.join(name)) {
            Ok(text) => Ok(Some(parse_handler(name, &text))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Names of every registered handler.
    pub fn handlers(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name != "register" && name != "status" {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Registers a handler from its one-line description (`:name:M::magic:mask:interp:flags`).
    pub fn register(&self, line: &str) -> io::Result<()> {
        // The kernel wants the whole description in one write.
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(self.dir.join("register"))?;
        f.write_all(line.as_bytes())
    }

    /// Removes the handler called `name`.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(self.dir.join(name))?;
        f.write_all(b"-1")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Reads a handler file: `enabled`, `interpreter /path`, `flags: OCF`, `offset`, `magic`...
pub fn parse_handler(name: &str, text: &str) -> Handler {
    let mut h = Handler {
        name: name.to_string(),
        enabled: false,
        interpreter: String::new(),
        flags: String::new(),
    };
    for line in text.lines() {
        let line = line.trim();
        if line == "enabled" {
            h.enabled = true;
        } else if let Some(rest) = line.strip_prefix("interpreter ") {
            h.interpreter = rest.trim().to_string();
        } else if let Some(rest) = line.strip_prefix("flags:") {
            h.flags = rest.trim().to_string();
        }
    }
    h
}

/// A handler description as systemd-binfmt reads it from `/usr/lib/binfmt.d/*.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// Every `:`-separated field, the leading empty one included.
    fields: Vec<String>,
}

impl Description {
    /// The first non-comment line of a conf file; `None` when it has none or the line is
    /// not `:name:type:offset:magic:mask:interpreter:flags`.
    pub fn parse(conf: &str) -> Option<Description> {
        let line = conf
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))?;
        let delimiter = line.chars().next()?;
        let fields: Vec<String> = line.split(delimiter).map(str::to_string).collect();
        (fields.len() == 8 && !fields[1].is_empty() && !fields[6].is_empty())
            .then_some(Description { fields })
    }

    pub fn name(&self) -> &str {
        &self.fields[1]
    }

    pub fn interpreter(&self) -> &str {
        &self.fields[6]
    }

    /// The description with the `F` flag added, so the handler works in containers.
    pub fn with_fix_binary(&self) -> Description {
        let mut d = self.clone();
        if !d.fields[7].contains('F') {
            d.fields[7].push('F');
        }
        d
    }

    /// The line to write to `register`.
    pub fn line(&self) -> String {
        self.fields.join(":")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AARCH64: &str = ":qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OP\n";

    #[test]
    fn descriptions_gain_the_fix_binary_flag_once() {
        let d = Description::parse(&format!("# comment\n\n{AARCH64}")).unwrap();
        assert_eq!(d.name(), "qemu-aarch64");
        assert_eq!(d.interpreter(), "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
        let fixed = d.with_fix_binary();
        assert!(fixed.line().ends_with(":OPF"), "{}", fixed.line());
        assert_eq!(fixed.with_fix_binary(), fixed);
        assert!(fixed.line().starts_with(":qemu-aarch64:M::\\x7f"));
    }

    #[test]
    fn malformed_descriptions_are_refused() {
        assert!(Description::parse("# only a comment\n").is_none());
        assert!(Description::parse(":qemu-x:M::abc\n").is_none());
        assert!(Description::parse("::M::a:b:/i:F\n").is_none());
    }

    #[test]
    fn handler_files_parse() {
        let h = parse_handler(
            "qemu-aarch64",
            "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POF\noffset 0\nmagic 7f454c46\nmask ffffff\n",
        );
        assert!(h.enabled);
        assert_eq!(h.interpreter, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
        assert!(h.usable_in_containers());
        let h = parse_handler("qemu-arm", "disabled\ninterpreter /x\nflags: OC\n");
        assert!(!h.enabled);
        assert!(!h.usable_in_containers());
        let h = parse_handler("qemu-arm", "enabled\ninterpreter /x\nflags: OC\n");
        assert!(!h.usable_in_containers());
    }
}
