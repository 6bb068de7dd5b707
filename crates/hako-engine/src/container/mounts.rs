//! Volumes and mounts of a container: `-v` strings (`HostConfig.Binds`), `--mount`
//! (`HostConfig.Mounts`), `--tmpfs`, `--volumes-from` and the image's `VOLUME`s, parsed
//! and validated with Docker's messages and resolved at create into the record's
//! [`MountPoint`]s (named volumes created on first use, anonymous ones for uncovered
//! `VOLUME`s, missing `-v` host directories created as Docker does).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{EngineError, Result};

/// One `--mount` as requested (moby `mount.Mount`, the fields hako honours).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(default)]
pub struct MountSpec {
    /// `bind`, `volume` or `tmpfs`.
    pub kind: String,
    /// Host path (bind) or volume name (empty: anonymous).
    pub source: String,
    /// Path inside the container.
    pub target: String,
    /// `readonly`.
    pub read_only: bool,
    /// `bind-propagation`.
    pub propagation: String,
    /// `bind-nonrecursive`.
    pub non_recursive: bool,
    /// `volume-nocopy`.
    pub no_copy: bool,
    /// `volume-label`.
    pub labels: BTreeMap<String, String>,
    /// `volume-driver` (empty or `local`).
    pub volume_driver: String,
    /// `volume-opt`: the local driver's mount options for a volume created by this mount.
    pub volume_opts: BTreeMap<String, String>,
    /// `tmpfs-size` in bytes.
    pub tmpfs_size: i64,
    /// `tmpfs-mode`.
    pub tmpfs_mode: u32,
    /// Whether the request carried bind/volume/tmpfs options (validation only).
    pub has_bind_options: bool,
    /// See `has_bind_options`.
    pub has_volume_options: bool,
    /// See `has_bind_options`.
    pub has_tmpfs_options: bool,
}

/// A resolved mount, stored in the record and shown by inspect (`Mounts`).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(default)]
pub struct MountPoint {
    /// `bind`, `volume` or `tmpfs`.
    pub kind: String,
    /// Volume name (volumes only).
    pub name: String,
    /// Host path (binds, volumes' `_data`); empty for tmpfs.
    pub source: String,
    /// Path inside the container (clean, absolute).
    pub destination: String,
    /// `local` for volumes.
    pub driver: String,
    /// Docker's `Mode` (`ro`, `z`, `ro,Z`...).
    pub mode: String,
    /// Writable.
    pub rw: bool,
    /// `rprivate` (binds) or empty.
    pub propagation: String,
    /// Copy the image's content at the destination into an empty volume on mount.
    pub copy_up: bool,
    /// Bind without `MS_REC`.
    pub non_recursive: bool,
    /// tmpfs mount options (`size=`, `mode=`, `noexec`...).
    pub tmpfs_options: Vec<String>,
    /// Listed in inspect's `Mounts` (`--tmpfs` entries are not, as in Docker).
    pub listed: bool,
}

fn invalid(msg: String) -> EngineError {
    EngineError::InvalidParameter(msg)
}

fn mount_config(kind: &str, what: impl std::fmt::Display) -> EngineError {
    invalid(format!("invalid mount config for type \"{kind}\": {what}"))
}

/// Lexically cleans an absolute container path (Go's `filepath.Clean`).
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(n) => parts.push(n.to_str().unwrap_or("")),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    format!("/{}", parts.join("/"))
}

fn check_target(kind: &str, target: &str) -> Result<String> {
    if target.is_empty() {
        return Err(mount_config(kind, "field Target must not be empty"));
    }
    if !target.starts_with('/') {
        return Err(mount_config(
            kind,
            format!("invalid mount path: '{target}' mount path must be absolute"),
        ));
    }
    let t = clean(target);
    if t == "/" {
        return Err(invalid(
            "invalid specification: destination can't be '/'".into(),
        ));
    }
    Ok(t)
}

const PROPAGATIONS: &[&str] = &[
    "private", "rprivate", "shared", "rshared", "slave", "rslave",
];

/// Docker's `ValidMountMode`: at most one of each kind among `rw|ro`, `z|Z`, a
/// propagation, `nocopy`.
fn parse_mode(mode: &str) -> Option<(bool, Option<&str>, bool)> {
    let (mut rw, mut label, mut prop, mut copy) = (0, 0, None, 0);
    let mut ro = false;
    for m in mode.split(',') {
        match m {
            "rw" | "ro" => {
                rw += 1;
                ro = m == "ro";
            }
            "z" | "Z" => label += 1,
            "nocopy" => copy += 1,
            p if PROPAGATIONS.contains(&p) => {
                if prop.is_some() {
                    return None;
                }
                prop = Some(p);
            }
            _ => return None,
        }
    }
    (rw <= 1 && label <= 1 && copy <= 1).then_some((ro, prop, copy == 1))
}

/// What one `-v` string asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bind {
    /// `-v /host:/ctr[:mode]`.
    Host {
        source: String,
        target: String,
        mode: String,
        ro: bool,
        propagation: String,
    },
    /// `-v name:/ctr[:mode]` or `-v /ctr` (name empty: anonymous).
    Volume {
        name: String,
        target: String,
        mode: String,
        ro: bool,
        no_copy: bool,
    },
}

fn parse_bind(raw: &str) -> Result<Bind> {
    let spec_err = || invalid(format!("invalid volume specification: '{raw}'"));
    let parts: Vec<&str> = raw.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => ("", *t, ""),
        [s, t] => {
            if parse_mode(t).is_some() {
                return Err(spec_err());
            }
            (*s, *t, "")
        }
        [s, t, m] => (*s, *t, *m),
        _ => return Err(spec_err()),
    };
    if target.is_empty() {
        return Err(spec_err());
    }
    let (ro, prop, no_copy) = if mode.is_empty() {
        (false, None, false)
    } else {
        parse_mode(mode).ok_or_else(|| invalid(format!("invalid mode: {mode}")))?
    };
    if source.starts_with('/') {
        let target = check_target("bind", target)?;
        if no_copy {
            return Err(invalid(format!("invalid mode: {mode}")));
        }
        Ok(Bind::Host {
            source: clean(source),
            target,
            mode: mode.to_string(),
            ro,
            propagation: prop.unwrap_or("rprivate").to_string(),
        })
    } else {
        let target = check_target("volume", target)?;
        if prop.is_some() {
            return Err(invalid(format!("invalid mode: {mode}")));
        }
        if !source.is_empty() && !crate::volume::is_valid_name(source) {
            return Err(invalid(format!(
                "create {source}: \"{source}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
            )));
        }
        Ok(Bind::Volume {
            name: source.to_string(),
            target,
            mode: if mode.is_empty() && !source.is_empty() {
                "z".to_string()
            } else {
                mode.to_string()
            },
            ro,
            no_copy,
        })
    }
}

/// Docker's default options for `--tmpfs` and `--mount type=tmpfs`; the user's win.
fn tmpfs_options(user: &[String]) -> Vec<String> {
    let mut opts: Vec<String> = ["noexec", "nosuid", "nodev"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    opts.extend(user.iter().filter(|o| !o.is_empty()).cloned());
    opts
}

fn validate_spec(m: &MountSpec) -> Result<()> {
    let kind = m.kind.as_str();
    match kind {
        "bind" | "volume" | "tmpfs" => {}
        _ => return Err(mount_config(kind, "mount type unknown")),
    }
    if m.target.is_empty() {
        return Err(mount_config(kind, "field Target must not be empty"));
    }
    if kind != "bind" && m.has_bind_options {
        return Err(mount_config(
            kind,
            "field BindOptions must not be specified",
        ));
    }
    if kind != "volume" && m.has_volume_options {
        return Err(mount_config(
            kind,
            "field VolumeOptions must not be specified",
        ));
    }
    if kind != "tmpfs" && m.has_tmpfs_options {
        return Err(mount_config(
            kind,
            "field TmpfsOptions must not be specified",
        ));
    }
    match kind {
        "bind" => {
            if m.source.is_empty() {
                return Err(mount_config(kind, "field Source must not be empty"));
            }
            if !m.source.starts_with('/') {
                return Err(mount_config(
                    kind,
                    format!(
                        "invalid mount path: '{}' mount path must be absolute",
                        m.source
                    ),
                ));
            }
            if !m.propagation.is_empty() && !PROPAGATIONS.contains(&m.propagation.as_str()) {
                return Err(mount_config(
                    kind,
                    format!("invalid propagation mode: {}", m.propagation),
                ));
            }
            if !Path::new(&m.source).exists() {
                return Err(mount_config(
                    kind,
                    format!("bind source path does not exist: {}", m.source),
                ));
            }
        }
        "tmpfs" if !m.source.is_empty() => {
            return Err(mount_config(kind, "field Source must not be specified"));
        }
        _ => {}
    }
    check_target(kind, &m.target).map(|_| ())
}

/// Validates everything that can be checked without touching volumes: run before the
/// name is reserved so that a bad request changes nothing.
pub fn validate(binds: &[String], mounts: &[MountSpec]) -> Result<()> {
    for b in binds {
        parse_bind(b)?;
    }
    for m in mounts {
        validate_spec(m)?;
    }
    Ok(())
}

impl Engine {
    /// Resolves a container's mounts, creating named volumes on first use, anonymous
    /// volumes for uncovered image `VOLUME`s and missing `-v` host directories. On error
    /// the anonymous volumes made so far are removed again.
    pub(crate) async fn resolve_mounts(
        &self,
        volumes: &[String],
        hc: &super::config::HostConfig,
    ) -> Result<Vec<MountPoint>> {
        let mut made = Vec::new();
        let out = self.resolve_mounts_inner(volumes, hc, &mut made).await;
        if out.is_err() {
            self.remove_anonymous_volumes(&made).await;
        }
        out
    }

    async fn resolve_mounts_inner(
        &self,
        volumes: &[String],
        hc: &super::config::HostConfig,
        made: &mut Vec<String>,
    ) -> Result<Vec<MountPoint>> {
        let mut points: BTreeMap<String, MountPoint> = BTreeMap::new();
        // --volumes-from first: later sources replace them at the same destination.
        for from in &hc.volumes_from {
            let (id, mode) = match from.rsplit_once(':') {
                Some((id, m @ ("ro" | "rw"))) => (id, Some(m)),
                Some((_, m)) if !m.is_empty() && !from.starts_with(m) => {
                    return Err(invalid(format!("invalid mode for volumes-from: {m}")));
                }
                _ => (from.as_str(), None),
            };
            let other = self.containers.get(id)?;
            let inner = other.inner.lock().await;
            for mp in inner.record.mount_points.iter().filter(|m| m.listed) {
                let mut mp = mp.clone();
                mp.copy_up = false;
                if let Some(m) = mode {
                    mp.rw = m == "rw";
                    mp.mode = m.to_string();
                }
                points.insert(mp.destination.clone(), mp);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut dup = |t: &str| -> Result<()> {
            if seen.insert(t.to_string()) {
                Ok(())
            } else {
                Err(invalid(format!("Duplicate mount point: {t}")))
            }
        };
        for raw in &hc.binds {
            let mp = match parse_bind(raw)? {
                Bind::Host {
                    source,
                    target,
                    mode,
                    ro,
                    propagation,
                } => {
                    dup(&target)?;
                    // -v creates a missing host directory, as Docker does (--mount refuses).
                    if !Path::new(&source).exists() {
                        std::fs::create_dir_all(&source).map_err(|e| EngineError::Io {
                            context: "create bind source",
                            path: PathBuf::from(&source),
                            source: e,
                        })?;
                    }
                    MountPoint {
                        kind: "bind".into(),
                        source,
                        destination: target,
                        mode,
                        rw: !ro,
                        propagation,
                        listed: true,
                        ..MountPoint::default()
                    }
                }
                Bind::Volume {
                    name,
                    target,
                    mode,
                    ro,
                    no_copy,
                } => {
                    dup(&target)?;
                    let vol = if name.is_empty() {
                        let v = self.anonymous_volume().await?;
                        made.push(v.name.clone());
                        v
                    } else {
                        self.ensure_volume(&name, BTreeMap::new(), BTreeMap::new())
                            .await?
                    };
                    volume_point(&vol, target, mode, !ro, !no_copy)
                }
            };
            points.insert(mp.destination.clone(), mp);
        }
        for m in &hc.mounts {
            validate_spec(m)?;
            let target = check_target(&m.kind, &m.target)?;
            dup(&target)?;
            let mp = match m.kind.as_str() {
                "bind" => MountPoint {
                    kind: "bind".into(),
                    source: clean(&m.source),
                    destination: target,
                    rw: !m.read_only,
                    propagation: if m.propagation.is_empty() {
                        "rprivate".into()
                    } else {
                        m.propagation.clone()
                    },
                    non_recursive: m.non_recursive,
                    listed: true,
                    ..MountPoint::default()
                },
                "volume" => {
                    if !matches!(m.volume_driver.as_str(), "" | "local") {
                        return Err(EngineError::NoSuchVolumeDriver(m.volume_driver.clone()));
                    }
                    crate::volume::local_mount::MountOpts::parse(&m.volume_opts)?;
                    let vol = if m.source.is_empty() {
                        let v = self.anonymous_volume_with(m.volume_opts.clone()).await?;
                        made.push(v.name.clone());
                        v
                    } else {
                        self.ensure_volume(&m.source, m.labels.clone(), m.volume_opts.clone())
                            .await?
                    };
                    volume_point(&vol, target, "z".into(), !m.read_only, !m.no_copy)
                }
                _ => {
                    let mut opts = Vec::new();
                    if m.tmpfs_size > 0 {
                        opts.push(format!("size={}", m.tmpfs_size));
                    }
                    if m.tmpfs_mode != 0 {
                        opts.push(format!("mode={:o}", m.tmpfs_mode));
                    }
                    if m.read_only {
                        opts.push("ro".into());
                    }
                    MountPoint {
                        kind: "tmpfs".into(),
                        destination: target,
                        rw: !m.read_only,
                        tmpfs_options: tmpfs_options(&opts),
                        listed: true,
                        ..MountPoint::default()
                    }
                }
            };
            points.insert(mp.destination.clone(), mp);
        }
        for (path, opts) in &hc.tmpfs {
            let target = check_target("tmpfs", path)?;
            dup(&target)?;
            let user: Vec<String> = opts.split(',').map(str::to_string).collect();
            let rw = !user.iter().any(|o| o == "ro");
            points.insert(
                target.clone(),
                MountPoint {
                    kind: "tmpfs".into(),
                    destination: target,
                    rw,
                    tmpfs_options: tmpfs_options(&user),
                    ..MountPoint::default()
                },
            );
        }
        for v in volumes {
            let target = clean(v);
            if points.contains_key(&target) {
                continue;
            }
            let vol = self.anonymous_volume().await?;
            made.push(vol.name.clone());
            let mp = volume_point(&vol, target, String::new(), true, true);
            points.insert(mp.destination.clone(), mp);
        }
        let mut list: Vec<MountPoint> = points.into_values().collect();
        // Parents before children, as Docker sorts them.
        list.sort_by_key(|m| Path::new(&m.destination).components().count());
        Ok(list)
    }
}

fn volume_point(
    vol: &crate::volume::Volume,
    target: String,
    mode: String,
    rw: bool,
    copy_up: bool,
) -> MountPoint {
    MountPoint {
        kind: "volume".into(),
        name: vol.name.clone(),
        source: vol.mountpoint.to_string_lossy().into_owned(),
        destination: target,
        driver: vol.driver.clone(),
        mode,
        rw,
        propagation: String::new(),
        copy_up,
        listed: true,
        ..MountPoint::default()
    }
}

/// The runtime's mounts for a container's mount points, in order.
pub fn runtime_mounts(points: &[MountPoint]) -> Vec<hako_runtime::spec::Mount> {
    points
        .iter()
        .map(|m| {
            let mut options = Vec::new();
            if m.kind == "tmpfs" {
                options.extend(m.tmpfs_options.iter().cloned());
                return hako_runtime::spec::Mount {
                    destination: m.destination.clone(),
                    fstype: "tmpfs".into(),
                    source: "tmpfs".into(),
                    options,
                    ..Default::default()
                };
            }
            options.push(if m.non_recursive { "bind" } else { "rbind" }.to_string());
            options.push(if m.propagation.is_empty() {
                "rprivate".to_string()
            } else {
                m.propagation.clone()
            });
            if !m.rw {
                options.push("ro".into());
            }
            hako_runtime::spec::Mount {
                destination: m.destination.clone(),
                fstype: "bind".into(),
                source: m.source.clone(),
                options,
                copy_up: m.kind == "volume" && m.copy_up,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_parse_like_docker() {
        assert_eq!(
            parse_bind("/h:/c:ro").unwrap(),
            Bind::Host {
                source: "/h".into(),
                target: "/c".into(),
                mode: "ro".into(),
                ro: true,
                propagation: "rprivate".into()
            }
        );
        assert!(matches!(
            parse_bind("data:/d").unwrap(),
            Bind::Volume { ref name, ref mode, ro: false, .. } if name == "data" && mode == "z"
        ));
        assert!(matches!(
            parse_bind("/anon").unwrap(),
            Bind::Volume { ref name, .. } if name.is_empty()
        ));
        let msg = |s: &str| parse_bind(s).unwrap_err().to_string();
        assert_eq!(msg("/foo:ro"), "invalid volume specification: '/foo:ro'");
        assert_eq!(msg("/a:/b:xyz"), "invalid mode: xyz");
        assert_eq!(msg("/a:/b:ro,rw"), "invalid mode: ro,rw");
        assert_eq!(
            msg("data:rel"),
            "invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute"
        );
        assert_eq!(msg("a:b:c:d"), "invalid volume specification: 'a:b:c:d'");
        assert!(msg("x!:/d").contains("includes invalid characters"));
        assert_eq!(clean("/a/b/../c/"), "/a/c");
    }

    #[test]
    fn mount_specs_validate_like_docker() {
        let bind = |src: &str| MountSpec {
            kind: "bind".into(),
            source: src.into(),
            target: "/t".into(),
            ..MountSpec::default()
        };
        let msg = |m: &MountSpec| validate_spec(m).unwrap_err().to_string();
        assert_eq!(
            msg(&bind("/nonexistent-hako-x")),
            "invalid mount config for type \"bind\": bind source path does not exist: /nonexistent-hako-x"
        );
        assert_eq!(
            msg(&bind("")),
            "invalid mount config for type \"bind\": field Source must not be empty"
        );
        assert!(validate_spec(&bind("/tmp")).is_ok());
        let tmpfs = MountSpec {
            kind: "tmpfs".into(),
            source: "x".into(),
            target: "/t".into(),
            ..MountSpec::default()
        };
        assert_eq!(
            msg(&tmpfs),
            "invalid mount config for type \"tmpfs\": field Source must not be specified"
        );
        let mut vol = MountSpec {
            kind: "volume".into(),
            target: "".into(),
            ..MountSpec::default()
        };
        assert_eq!(
            msg(&vol),
            "invalid mount config for type \"volume\": field Target must not be empty"
        );
        vol.target = "/v".into();
        vol.has_bind_options = true;
        assert_eq!(
            msg(&vol),
            "invalid mount config for type \"volume\": field BindOptions must not be specified"
        );
    }

    #[test]
    fn runtime_options() {
        let ro_bind = MountPoint {
            kind: "bind".into(),
            source: "/h".into(),
            destination: "/c".into(),
            propagation: "rprivate".into(),
            ..MountPoint::default()
        };
        let m = runtime_mounts(&[ro_bind]);
        assert_eq!(m[0].options, ["rbind", "rprivate", "ro"]);
    }
}
