//! From a container's record to the runtime's [`hako_runtime::spec::ContainerSpec`].

use hako_net::mode::NetworkMode;
use hako_runtime::spec::{
    CgroupSpec, ContainerSpec, LogSpec, Mount, NetNamespace, ProcessSpec, Resources, Rlimit,
    Rootfs, StdioSpec,
};

use super::caps;
use super::config::{HostConfig, LogConfig};
use super::entry::Entry;
use super::record::Record;
use super::security;
use crate::error::{EngineError, Result};

/// Docker's default `PATH` for Linux containers.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Docker's default `/dev/shm` size.
const DEFAULT_SHM_SIZE: u64 = 64 * 1024 * 1024;

/// Builds the runtime spec for starting `entry`.
pub fn container_spec(
    entry: &Entry,
    record: &Record,
    cgroup_parent: &str,
) -> Result<ContainerSpec> {
    let hc = &record.host_config;
    let cfg = &record.config;
    let mut args = vec![record.path.clone()];
    args.extend(record.args.iter().cloned());
    let log = match hc.log_config.driver.as_str() {
        "none" => None,
        _ => Some(log_spec(&hc.log_config, entry.log_paths().live)?),
    };
    let bind = |file: &str, dest: &str| Mount {
        destination: dest.to_string(),
        fstype: "bind".to_string(),
        source: entry.dir.join(file).to_string_lossy().into_owned(),
        options: vec!["rbind".to_string(), "rprivate".to_string()],
        copy_up: false,
    };
    Ok(ContainerSpec {
        id: record.id.clone(),
        hostname: cfg.hostname.clone(),
        domainname: cfg.domainname.clone(),
        rootfs: Rootfs {
            lower: record.lower_dirs.clone(),
            upper: entry.dir.join("upper"),
            work: entry.dir.join("work"),
            readonly: hc.readonly_rootfs,
        },
        mounts: [
            bind("resolv.conf", "/etc/resolv.conf"),
            bind("hostname", "/etc/hostname"),
            bind("hosts", "/etc/hosts"),
        ]
        .into_iter()
        .chain(super::mounts::runtime_mounts(&record.mount_points))
        .collect(),
        network: match hc.network_mode {
            NetworkMode::Host => NetNamespace::Host,
            _ => NetNamespace::New,
        },
        process: process_spec(
            args,
            container_env(&cfg.env, &cfg.hostname, cfg.tty),
            &cfg.working_dir,
            &cfg.user,
            hc,
        )?,
        stdio: StdioSpec {
            terminal: cfg.tty,
            open_stdin: cfg.open_stdin,
            stdin_once: cfg.stdin_once,
            console_size: hc.console_size,
        },
        cgroup: cgroup_spec(hc, cgroup_parent, &record.id),
        privileged: hc.privileged,
        masked_paths: if hc.privileged {
            Vec::new()
        } else {
            hako_runtime::defaults::masked_paths()
        },
        readonly_paths: if hc.privileged {
            Vec::new()
        } else {
            hako_runtime::defaults::readonly_paths()
        },
        shm_size: u64::try_from(hc.shm_size)
            .ok()
            .filter(|s| *s > 0)
            .unwrap_or(DEFAULT_SHM_SIZE),
        log,
        seccomp: seccomp_for(hc)?,
        userns: None,
    })
}

/// The seccomp program of a container and of its execs (compiled for the container's
/// capabilities, as Docker does); `None` when unconfined or privileged.
pub fn seccomp_for(hc: &HostConfig) -> Result<Option<hako_runtime::seccomp::Program>> {
    if hc.privileged {
        return Ok(None);
    }
    let opts = security::parse(&hc.security_opt)?;
    let caps = caps::tweak(
        &hako_runtime::defaults::capabilities(),
        &hc.cap_add,
        &hc.cap_drop,
    )?;
    Ok(security::seccomp_program(&opts, false, &caps)?.map(|p| (*p).clone()))
}

/// The process part shared by containers and execs.
pub fn process_spec(
    args: Vec<String>,
    env: Vec<String>,
    cwd: &str,
    user: &str,
    hc: &HostConfig,
) -> Result<ProcessSpec> {
    let capabilities = if hc.privileged {
        Vec::new()
    } else {
        caps::tweak(
            &hako_runtime::defaults::capabilities(),
            &hc.cap_add,
            &hc.cap_drop,
        )?
    };
    Ok(ProcessSpec {
        args,
        env,
        cwd: if cwd.is_empty() {
            "/".to_string()
        } else {
            cwd.to_string()
        },
        user: user.to_string(),
        additional_groups: hc.group_add.clone(),
        capabilities,
        no_new_privileges: security::parse(&hc.security_opt)?.no_new_privileges,
        init: hc.init == Some(true),
        rlimits: hc
            .ulimits
            .iter()
            .map(|u| Rlimit {
                kind: format!("RLIMIT_{}", u.name.to_ascii_uppercase()),
                soft: u64::try_from(u.soft).unwrap_or(u64::MAX),
                hard: u64::try_from(u.hard).unwrap_or(u64::MAX),
            })
            .collect(),
    })
}

/// The container's cgroup with Docker's resource fields translated.
pub fn cgroup_spec(hc: &HostConfig, parent: &str, id: &str) -> CgroupSpec {
    let r = &hc.resources;
    let positive = |v: i64| (v > 0).then_some(v);
    let (cpu_quota, cpu_period) = if r.nano_cpus > 0 {
        let period: u64 = 100_000;
        (
            Some(r.nano_cpus.saturating_mul(100_000) / 1_000_000_000),
            Some(period),
        )
    } else {
        (
            positive(r.cpu_quota),
            u64::try_from(r.cpu_period).ok().filter(|p| *p > 0),
        )
    };
    CgroupSpec {
        parent: parent.to_string(),
        name: id.to_string(),
        resources: Resources {
            memory: positive(r.memory),
            memory_swap: (r.memory_swap != 0).then_some(r.memory_swap),
            memory_reservation: positive(r.memory_reservation),
            cpu_shares: u64::try_from(r.cpu_shares).ok().filter(|s| *s > 0),
            cpu_quota,
            cpu_period,
            cpuset_cpus: Some(r.cpuset_cpus.clone()).filter(|s| !s.is_empty()),
            cpuset_mems: Some(r.cpuset_mems.clone()).filter(|s| !s.is_empty()),
            pids_limit: r.pids_limit.filter(|p| *p > 0),
            blkio_weight: Some(r.blkio_weight).filter(|w| *w > 0),
            oom_kill_disable: r.oom_kill_disable == Some(true),
        },
        allow_all_devices: hc.privileged,
    }
}

/// Docker's container environment: `PATH`, `HOSTNAME` and (with a terminal) `TERM`, each
/// replaced by the container's own value when it has one.
pub fn container_env(config_env: &[String], hostname: &str, tty: bool) -> Vec<String> {
    let mut env = vec![
        format!("PATH={DEFAULT_PATH}"),
        format!("HOSTNAME={hostname}"),
    ];
    if tty {
        env.push("TERM=xterm".to_string());
    }
    replace_or_append(&mut env, config_env);
    env
}

/// Replaces variables of `env` whose key appears in `overrides`, appends the rest.
pub fn replace_or_append(env: &mut Vec<String>, overrides: &[String]) {
    for var in overrides {
        let key = var.split_once('=').map_or(var.as_str(), |(k, _)| k);
        match env
            .iter_mut()
            .find(|v| v.split_once('=').map_or(v.as_str(), |(k, _)| k) == key)
        {
            Some(slot) => *slot = var.clone(),
            None => env.push(var.clone()),
        }
    }
}

/// `--log-opt max-size=10m max-file=3`.
pub fn log_spec(cfg: &LogConfig, path: std::path::PathBuf) -> Result<LogSpec> {
    let max_size = cfg
        .options
        .get("max-size")
        .map(|s| parse_size(s))
        .transpose()?
        .filter(|s| *s > 0);
    let max_files = match cfg.options.get("max-file") {
        Some(n) => n.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            EngineError::InvalidParameter("max-file cannot be less than 1".to_string())
        })?,
        None => 1,
    };
    if max_files > 1 && max_size.is_none() {
        return Err(EngineError::InvalidParameter(
            "max-file cannot be set without max-size".into(),
        ));
    }
    for key in cfg.options.keys() {
        if !matches!(
            key.as_str(),
            "max-size" | "max-file" | "compress" | "labels" | "env" | "tag"
        ) {
            return Err(EngineError::InvalidParameter(format!(
                "unknown log opt '{key}' for json-file log driver"
            )));
        }
    }
    Ok(LogSpec {
        path,
        max_size,
        max_files,
    })
}

/// Sizes as Docker's `RAMInBytes` reads them: `100`, `10k`, `10m`, `1g` (binary units).
pub fn parse_size(s: &str) -> Result<u64> {
    let invalid = || EngineError::InvalidParameter(format!("invalid size: '{s}'"));
    let lower = s.trim().to_ascii_lowercase();
    let lower = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (digits, mult) = match lower.chars().last() {
        Some('k') => (&lower[..lower.len() - 1], 1u64 << 10),
        Some('m') => (&lower[..lower.len() - 1], 1 << 20),
        Some('g') => (&lower[..lower.len() - 1], 1 << 30),
        Some('t') => (&lower[..lower.len() - 1], 1 << 40),
        _ => (lower, 1),
    };
    let n: f64 = digits.trim().parse().map_err(|_| invalid())?;
    if n.is_nan() || n < 0.0 {
        return Err(invalid());
    }
    // Sizes are far below 2^53, where f64 is exact for the integers Docker accepts.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    Ok((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_defaults_and_overrides() {
        let env = container_env(&["PATH=/x".into(), "A=1".into()], "abc", true);
        assert_eq!(env, ["PATH=/x", "HOSTNAME=abc", "TERM=xterm", "A=1"]);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10m").unwrap(), 10 << 20);
        assert_eq!(parse_size("1k").unwrap(), 1024);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert_eq!(parse_size("1.5g").unwrap(), 3 << 29);
        assert!(parse_size("ten").is_err());
    }

    #[test]
    fn log_options() {
        let mut cfg = LogConfig::default();
        cfg.options.insert("max-size".into(), "1k".into());
        cfg.options.insert("max-file".into(), "3".into());
        let spec = log_spec(&cfg, "/l".into()).unwrap();
        assert_eq!((spec.max_size, spec.max_files), (Some(1024), 3));
        cfg.options.insert("max-file".into(), "0".into());
        assert!(log_spec(&cfg, "/l".into()).is_err());
        let mut bad = LogConfig::default();
        bad.options.insert("colour".into(), "red".into());
        assert!(
            log_spec(&bad, "/l".into())
                .unwrap_err()
                .to_string()
                .contains("unknown log opt")
        );
    }

    #[test]
    fn cpus_become_a_quota() {
        let mut hc = HostConfig::default();
        hc.resources.nano_cpus = 1_500_000_000;
        let cg = cgroup_spec(&hc, "hako", "id");
        assert_eq!(
            (cg.resources.cpu_quota, cg.resources.cpu_period),
            (Some(150_000), Some(100_000))
        );
    }
}
