//! The local driver's mount options (`volume create -o type=tmpfs -o device=tmpfs -o
//! o=size=64m`, `-o type=none -o o=bind -o device=/srv/data`, nfs...): validated as moby's
//! `local` driver does, mounted on the volume's `_data` when the first container using it
//! starts and unmounted when the last one stops, so that a tmpfs volume lives as long as
//! its users, as in Docker.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use nix::mount::{MntFlags, MsFlags};

use crate::error::{EngineError, Result};

/// The options the local driver knows.
const VALID: [&str; 3] = ["type", "device", "o"];

/// Mount options of one volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountOpts {
    fs_type: String,
    device: String,
    flags: MsFlags,
    data: String,
}

impl MountOpts {
    /// `None` for a plain volume (no options); Docker's refusals for bad ones.
    pub fn parse(opts: &BTreeMap<String, String>) -> Result<Option<Self>> {
        if opts.is_empty() {
            return Ok(None);
        }
        let invalid = |m: String| Err(EngineError::InvalidParameter(m));
        if let Some(k) = opts.keys().find(|k| !VALID.contains(&k.as_str())) {
            return invalid(format!("invalid option: {k:?}"));
        }
        // moby's mandatory options: each of these needs the others listed.
        for (opt, needs) in [
            ("device", &["type"][..]),
            ("type", &["device"][..]),
            ("o", &["device", "type"][..]),
        ] {
            if opts.contains_key(opt)
                && let Some(missing) = needs.iter().find(|n| !opts.contains_key(**n))
            {
                return invalid(format!("missing required option: {missing:?}"));
            }
        }
        let (flags, data) = parse_o(opts.get("o").map_or("", String::as_str));
        Ok(Some(Self {
            fs_type: opts.get("type").cloned().unwrap_or_default(),
            device: opts.get("device").cloned().unwrap_or_default(),
            flags,
            data,
        }))
    }

    /// Mounts the volume's filesystem on `target` (its `_data`).
    pub fn mount(&self, target: &Path) -> Result<()> {
        let data = (!self.data.is_empty()).then_some(self.data.as_str());
        let fs_type = (!self.fs_type.is_empty()).then_some(self.fs_type.as_str());
        let failed = |e: nix::Error| {
            EngineError::InvalidParameter(format!(
                "error while mounting volume '{}': failed to mount local volume: mount {}:{}, flags: {:#x}, data: {}: {}",
                target.display(),
                self.device,
                target.display(),
                self.flags.bits(),
                self.data,
                io::Error::from(e)
            ))
        };
        nix::mount::mount(
            Some(self.device.as_str()),
            target,
            fs_type,
            self.flags,
            data,
        )
        .map_err(failed)?;
        // A read-only bind needs a second, remounting call: the first ignores MS_RDONLY.
        if self.flags.contains(MsFlags::MS_BIND) && self.flags.contains(MsFlags::MS_RDONLY) {
            let ro = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY;
            if let Err(e) = nix::mount::mount(None::<&str>, target, None::<&str>, ro, None::<&str>)
            {
                let _ = unmount(target);
                return Err(failed(e));
            }
        }
        Ok(())
    }
}

/// Splits Docker's `o=` into mount flags and the filesystem's own data, as moby's
/// `mount.parseOptions` does.
fn parse_o(o: &str) -> (MsFlags, String) {
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    for opt in o.split(',').filter(|s| !s.is_empty()) {
        let (clear, flag) = match opt {
            "defaults" => (false, MsFlags::empty()),
            "ro" => (false, MsFlags::MS_RDONLY),
            "rw" => (true, MsFlags::MS_RDONLY),
            "suid" => (true, MsFlags::MS_NOSUID),
            "nosuid" => (false, MsFlags::MS_NOSUID),
            "dev" => (true, MsFlags::MS_NODEV),
            "nodev" => (false, MsFlags::MS_NODEV),
            "exec" => (true, MsFlags::MS_NOEXEC),
            "noexec" => (false, MsFlags::MS_NOEXEC),
            "sync" => (false, MsFlags::MS_SYNCHRONOUS),
            "async" => (true, MsFlags::MS_SYNCHRONOUS),
            "dirsync" => (false, MsFlags::MS_DIRSYNC),
            "mand" => (false, MsFlags::MS_MANDLOCK),
            "nomand" => (true, MsFlags::MS_MANDLOCK),
            "atime" => (true, MsFlags::MS_NOATIME),
            "noatime" => (false, MsFlags::MS_NOATIME),
            "diratime" => (true, MsFlags::MS_NODIRATIME),
            "nodiratime" => (false, MsFlags::MS_NODIRATIME),
            "bind" => (false, MsFlags::MS_BIND),
            "rbind" => (false, MsFlags::MS_BIND | MsFlags::MS_REC),
            "relatime" => (false, MsFlags::MS_RELATIME),
            "norelatime" => (true, MsFlags::MS_RELATIME),
            "strictatime" => (false, MsFlags::MS_STRICTATIME),
            "nostrictatime" => (true, MsFlags::MS_STRICTATIME),
            _ => {
                data.push(opt);
                continue;
            }
        };
        if clear {
            flags.remove(flag);
        } else {
            flags.insert(flag);
        }
    }
    (flags, data.join(","))
}

/// Detaches whatever is mounted on `target`.
pub fn unmount(target: &Path) -> io::Result<()> {
    nix::mount::umount2(target, MntFlags::MNT_DETACH).map_err(io::Error::from)
}

/// Whether something is mounted exactly on `target` (by this process's mount table).
pub fn is_mounted(target: &Path) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let want = target.to_string_lossy();
    table
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .any(|p| unescape(p) == want)
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match oct {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn refusal(kv: &[(&str, &str)]) -> String {
        match MountOpts::parse(&opts(kv)) {
            Err(EngineError::InvalidParameter(m)) => m,
            other => panic!("expected a refusal for {kv:?}, got {other:?}"),
        }
    }

    #[test]
    fn docker_refusals() {
        assert_eq!(refusal(&[("size", "1g")]), "invalid option: \"size\"");
        assert_eq!(
            refusal(&[("type", "tmpfs")]),
            "missing required option: \"device\""
        );
        assert_eq!(
            refusal(&[("device", "tmpfs")]),
            "missing required option: \"type\""
        );
        assert_eq!(
            refusal(&[("o", "size=1m")]),
            "missing required option: \"device\""
        );
        assert!(MountOpts::parse(&BTreeMap::new()).unwrap().is_none());
    }

    #[test]
    fn o_splits_flags_from_data() {
        let m = MountOpts::parse(&opts(&[
            ("type", "tmpfs"),
            ("device", "tmpfs"),
            ("o", "size=1m,uid=1000,noexec,ro,rw"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(m.flags, MsFlags::MS_NOEXEC);
        assert_eq!(m.data, "size=1m,uid=1000");
        let (flags, data) = parse_o("bind,ro");
        assert_eq!(flags, MsFlags::MS_BIND | MsFlags::MS_RDONLY);
        assert!(data.is_empty());
    }

    #[test]
    fn mountinfo_paths_are_unescaped() {
        assert_eq!(unescape(r"/a\040b\134c"), r"/a b\c");
        assert_eq!(unescape(r"/plain\04"), r"/plain\04");
    }
}
