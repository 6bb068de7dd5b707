//! `--userns-remap`: the daemon-wide user namespace every container runs in unless it asks
//! for the host's (`--userns=host`).
//!
//! The remapped user and group come from the flag (`default`, `USER[:GROUP]`,
//! `UID[:GID]`, Docker's forms); their ID ranges from `/etc/subuid` and `/etc/subgid`, all
//! ranges of the user in file order, laid end to end from container ID 0 as Docker builds
//! its maps. `default` is the user and group `dockremap`, created with one range each when
//! absent (Docker's `useradd`/`groupadd` and first free range from 100000).

use std::path::Path;
use std::process::Command;

use hako_runtime::spec::{IdMap, UserNamespace};

/// Docker's name for the user and group `--userns-remap=default` stands for.
pub const DEFAULT_REMAP_USER: &str = "dockremap";
/// Where subordinate user IDs are listed.
pub const SUBUID: &str = "/etc/subuid";
/// Where subordinate group IDs are listed.
pub const SUBGID: &str = "/etc/subgid";
/// The first subordinate ID given to `dockremap` when no range is taken yet.
const FIRST_FREE: u64 = 100_000;
/// The size of the range given to `dockremap` (Docker's 65536).
const RANGE: u64 = 65_536;

/// Why a remapping cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum UsernsError {
    /// The flag names a user that does not exist.
    #[error("--userns-remap: no such user {0:?}")]
    NoUser(String),
    /// The flag names a group that does not exist.
    #[error("--userns-remap: no such group {0:?}")]
    NoGroup(String),
    /// No subordinate range for the user or group.
    #[error(
        "--userns-remap: no subordinate {kind} ranges found for {name:?} in {file}; add one (e.g. {name}:100000:65536)"
    )]
    NoRange {
        /// `uid` or `gid`.
        kind: &'static str,
        /// The user or group name.
        name: String,
        /// The file read.
        file: &'static str,
    },
    /// A file could not be read or written, or a tool failed.
    #[error("--userns-remap: {0}")]
    Setup(String),
}

/// The daemon's remapping: who root is on the host, and the maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remap {
    /// `user:group` as resolved (Docker reports `RemappedRoot` this way).
    pub name: String,
    /// The maps every remapped container gets.
    pub maps: UserNamespace,
}

impl Remap {
    /// The host uid and gid of the container's root.
    pub fn root(&self) -> (u32, u32) {
        (
            self.maps.host_uid(0).unwrap_or(0),
            self.maps.host_gid(0).unwrap_or(0),
        )
    }
}

/// One `name:start:count` line.
fn ranges(text: &str, names: &[&str]) -> Vec<(u64, u64)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.trim().split(':');
            let (n, s, c) = (f.next()?, f.next()?, f.next()?);
            if !names.contains(&n) {
                return None;
            }
            Some((s.trim().parse().ok()?, c.trim().parse().ok()?))
        })
        .filter(|(_, c)| *c > 0)
        .collect()
}

/// The ranges laid end to end from container ID 0 (Docker's `createIDMap`).
fn to_maps(ranges: &[(u64, u64)]) -> Vec<IdMap> {
    let mut next = 0u64;
    let mut out = Vec::new();
    for &(start, count) in ranges {
        let (Ok(container_id), Ok(host_id), Ok(size)) = (
            u32::try_from(next),
            u32::try_from(start),
            u32::try_from(count),
        ) else {
            break;
        };
        out.push(IdMap {
            container_id,
            host_id,
            size,
        });
        next += count;
    }
    out
}

fn read(path: &str) -> Result<String, UsernsError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(UsernsError::Setup(format!("read {path}: {e}"))),
    }
}

/// Resolves the flag's value: looks the user and group up, creates `dockremap` for
/// `default`, and reads the ranges.
pub fn resolve(flag: &str) -> Result<Remap, UsernsError> {
    let (user_part, group_part) = match flag.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (flag, None),
    };
    if flag == "default" {
        ensure_default()?;
    }
    let user_part = if user_part == "default" {
        DEFAULT_REMAP_USER
    } else {
        user_part
    };
    let user = lookup_user(user_part)?;
    let group = match group_part {
        Some(g) => lookup_group(g)?,
        // Docker: a user alone stands for the group of the same name.
        None => lookup_group(&user.0).or_else(|_| lookup_group(&user.1.to_string()))?,
    };
    let uid_names = [user.0.as_str(), &user.1.to_string()].map(str::to_owned);
    let gid_names = [group.0.as_str(), &group.1.to_string()].map(str::to_owned);
    let uid_ranges = ranges(&read(SUBUID)?, &[&uid_names[0], &uid_names[1]]);
    if uid_ranges.is_empty() {
        return Err(UsernsError::NoRange {
            kind: "uid",
            name: user.0.clone(),
            file: SUBUID,
        });
    }
    let gid_ranges = ranges(&read(SUBGID)?, &[&gid_names[0], &gid_names[1]]);
    if gid_ranges.is_empty() {
        return Err(UsernsError::NoRange {
            kind: "gid",
            name: group.0.clone(),
            file: SUBGID,
        });
    }
    Ok(Remap {
        name: format!("{}:{}", user.0, group.0),
        maps: UserNamespace {
            uid_map: to_maps(&uid_ranges),
            gid_map: to_maps(&gid_ranges),
        },
    })
}

fn lookup_user(s: &str) -> Result<(String, u32), UsernsError> {
    let found = match s.parse::<u32>() {
        Ok(uid) => nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)),
        Err(_) => nix::unistd::User::from_name(s),
    };
    match found {
        Ok(Some(u)) => Ok((u.name, u.uid.as_raw())),
        _ => Err(UsernsError::NoUser(s.to_string())),
    }
}

fn lookup_group(s: &str) -> Result<(String, u32), UsernsError> {
    let found = match s.parse::<u32>() {
        Ok(gid) => nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid)),
        Err(_) => nix::unistd::Group::from_name(s),
    };
    match found {
        Ok(Some(g)) => Ok((g.name, g.gid.as_raw())),
        _ => Err(UsernsError::NoGroup(s.to_string())),
    }
}

fn run(cmd: &mut Command) -> Result<(), UsernsError> {
    let out = cmd
        .output()
        .map_err(|e| UsernsError::Setup(format!("{cmd:?}: {e}")))?;
    if !out.status.success() {
        return Err(UsernsError::Setup(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// `dockremap` as Docker makes it: a system user and group, and one range in each of
/// `/etc/subuid` and `/etc/subgid` after every range already taken. Safe to run by several
/// daemons at once: a user or group someone else just created is fine, and each file is
/// updated under `flock`.
fn ensure_default() -> Result<(), UsernsError> {
    let name = DEFAULT_REMAP_USER;
    let group_exists = || nix::unistd::Group::from_name(name).ok().flatten().is_some();
    let user_exists = || nix::unistd::User::from_name(name).ok().flatten().is_some();
    if !group_exists() {
        let made = run(Command::new("groupadd").args(["--system", name]));
        if !group_exists() {
            made?;
        }
    }
    if !user_exists() {
        let made =
            run(Command::new("useradd").args(["--system", "--no-create-home", "-g", name, name]));
        if !user_exists() {
            made?;
        }
    }
    for file in [SUBUID, SUBGID] {
        add_range_if_missing(Path::new(file), name)?;
    }
    Ok(())
}

fn add_range_if_missing(file: &Path, name: &str) -> Result<(), UsernsError> {
    use std::io::{Read, Seek, Write};
    let shown = file.display();
    let fail =
        |what: &str, e: &dyn std::fmt::Display| UsernsError::Setup(format!("{what} {shown}: {e}"));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(file)
        .map_err(|e| fail("open", &e))?;
    let mut f = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| fail("lock", &e))?;
    let mut text = String::new();
    f.read_to_string(&mut text).map_err(|e| fail("read", &e))?;
    if !ranges(&text, &[name]).is_empty() {
        return Ok(());
    }
    let start = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':').skip(1);
            Some(f.next()?.trim().parse::<u64>().ok()? + f.next()?.trim().parse::<u64>().ok()?)
        })
        .max()
        .unwrap_or(FIRST_FREE)
        .max(FIRST_FREE);
    let mut line = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        line.push('\n');
    }
    line.push_str(&format!("{name}:{start}:{RANGE}\n"));
    f.seek(std::io::SeekFrom::End(0))
        .map_err(|e| fail("seek", &e))?;
    f.write_all(line.as_bytes()).map_err(|e| fail("write", &e))
}

/// Gives `path` to the container's root when it still belongs to the host's root: the
/// container's own layer and files, and volumes' directories, so that root inside can write
/// them. What someone else owns (a volume chowned by its user) is left alone.
pub(crate) fn give_to_root(path: &Path, root: (u32, u32)) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.uid() == 0 && meta.gid() == 0 {
        std::os::unix::fs::lchown(path, Some(root.0), Some(root.1))?;
    }
    Ok(())
}

/// The refusals Docker makes at create under `--userns-remap` for a container that does
/// not opt out with `--userns=host`.
pub(crate) fn check_create(
    remap: Option<&Remap>,
    hc: &super::config::HostConfig,
) -> crate::error::Result<()> {
    if remap.is_none() || hc.userns_mode == "host" {
        return Ok(());
    }
    let refuse = |m: &str| Err(crate::error::EngineError::InvalidParameter(m.to_string()));
    if hc.privileged {
        return refuse(
            "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode",
        );
    }
    if hc.network_mode == hako_net::mode::NetworkMode::Host {
        return refuse(
            "cannot share the host's network namespace when user namespaces are enabled",
        );
    }
    Ok(())
}

/// The maps as the image store needs them to write a remapped container's files with the
/// IDs the container saw (commit).
pub(crate) fn owner_map(ns: &UserNamespace) -> hako_image::OwnerMap {
    let ranges = |maps: &[IdMap]| {
        maps.iter()
            .map(|m| hako_image::IdRange {
                container: m.container_id,
                host: m.host_id,
                size: m.size,
            })
            .collect()
    };
    hako_image::OwnerMap {
        uids: ranges(&ns.uid_map),
        gids: ranges(&ns.gid_map),
    }
}

/// The maps a container runs with: the daemon's, unless it asked for the host's namespace.
pub(crate) fn for_container<'a>(
    remap: Option<&'a Remap>,
    hc: &super::config::HostConfig,
) -> Option<&'a Remap> {
    remap.filter(|_| hc.userns_mode != "host")
}

/// Makes the daemon's roots reachable by the remapped root: the container's init mounts
/// its files and volumes from inside its user namespace, where it holds no right over
/// directories of the host's root but what "others" get. The roots themselves are opened
/// to `o+x` (0711 at least); every directory above them must already allow it, as Docker
/// checks, or the daemon refuses to start.
pub fn prepare_roots(roots: &[&Path]) -> Result<(), UsernsError> {
    use std::os::unix::fs::PermissionsExt;
    for root in roots {
        std::fs::create_dir_all(root)
            .map_err(|e| UsernsError::Setup(format!("create {}: {e}", root.display())))?;
        let meta = std::fs::metadata(root)
            .map_err(|e| UsernsError::Setup(format!("{}: {e}", root.display())))?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o001 == 0 {
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(mode | 0o711))
                .map_err(|e| UsernsError::Setup(format!("chmod {}: {e}", root.display())))?;
        }
        let mut dir = root.parent();
        while let Some(d) = dir.filter(|d| *d != Path::new("/")) {
            let mode = std::fs::metadata(d)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            if mode & 0o001 == 0 {
                return Err(UsernsError::Setup(format!(
                    "a subdirectory in your graphroot path ({}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories ({} is {:o})",
                    root.display(),
                    d.display(),
                    mode & 0o7777
                )));
            }
            dir = d.parent();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_ranges_of_the_user_in_order_end_to_end() {
        let text = "other:1:5\nu:100000:65536\n# x\nu:300000:10\n1000:500:1\n";
        let r = ranges(text, &["u", "1000"]);
        assert_eq!(r, vec![(100000, 65536), (300000, 10), (500, 1)]);
        let m = to_maps(&r);
        assert_eq!(
            m[0],
            IdMap {
                container_id: 0,
                host_id: 100000,
                size: 65536
            }
        );
        assert_eq!(
            m[1],
            IdMap {
                container_id: 65536,
                host_id: 300000,
                size: 10
            }
        );
        assert_eq!(m[2].container_id, 65546);
        let ns = UserNamespace {
            uid_map: m.clone(),
            gid_map: m,
        };
        assert_eq!(ns.host_uid(0), Some(100000));
        assert_eq!(ns.host_uid(65537), Some(300001));
        assert_eq!(ns.host_uid(70000), None);
        assert_eq!(ns.container_uid(100000), Some(0));
        assert_eq!(ns.container_uid(300005), Some(65541));
        assert_eq!(ns.container_uid(0), None);
    }
}
