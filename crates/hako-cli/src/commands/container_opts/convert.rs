//! `ContainerOpts` → `POST /containers/create` query and body, with docker's defaults.

use super::ContainerOpts;
use super::mounts;
use super::parse::{self, OptError};
use crate::format::time::parse_go_duration;
use hako_api_types::container::{
    ContainerConfig, ContainerCreateBody, EmptyObject, EndpointIpamConfig, EndpointSettings,
    HealthConfig, HostConfig, LogConfig, NetworkingConfig, Resources,
};
use hako_api_types::query::ContainerCreateQuery;
use std::collections::BTreeMap;

/// The create request and what the caller needs to drive the container afterwards.
#[derive(Debug)]
pub struct CreateRequest {
    pub query: ContainerCreateQuery,
    pub body: ContainerCreateBody,
}

/// Builds the request. `detach` is `run -d`; `lookup` reads the local environment (for
/// `-e VAR`); `read_file` reads `--env-file`/`--label-file`.
pub fn to_create(
    o: &ContainerOpts,
    detach: bool,
    lookup: &dyn Fn(&str) -> Option<String>,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<CreateRequest, OptError> {
    let read = |f: &str| {
        read_file(f).map_err(|e| OptError(format!("open {f}: {}", e.to_string().to_lowercase())))
    };
    // Env: files first, then flags, as docker.
    let mut env = Vec::new();
    for f in &o.env_file {
        env.extend(parse::parse_kv_file(f, &read(f)?, Some(lookup))?);
    }
    env.extend(o.env.iter().filter_map(|e| parse::resolve_env(e, lookup)));
    let mut labels = Vec::new();
    for f in &o.label_file {
        labels.extend(parse::parse_kv_file(f, &read(f)?, None)?);
    }
    labels.extend(o.label.iter().cloned());

    let (attach_stdin, attach_stdout, attach_stderr) = attach_streams(o, detach)?;
    if o.rm
        && o.restart
            .as_deref()
            .is_some_and(|r| r != "no" && !r.is_empty())
    {
        return Err(OptError(
            "conflicting options: cannot specify both --restart and --rm".into(),
        ));
    }

    let (mut exposed, bindings) = parse::port_specs(&o.publish)?;
    for e in parse::expose_specs(&o.expose)? {
        if !exposed.contains(&e) {
            exposed.push(e);
        }
    }
    let mut binds = Vec::new();
    let mut volumes = BTreeMap::new();
    for v in &o.volume {
        // `src:dst[:mode]` is a bind or named volume; a lone path is an anonymous volume.
        if v.contains(':') {
            binds.push(v.clone());
        } else {
            volumes.insert(v.clone(), EmptyObject {});
        }
    }
    let entrypoint = o.entrypoint.as_ref().map(|e| vec![e.clone()]);
    let cmd = (!o.command().is_empty()).then(|| o.command().to_vec());
    let healthcheck = healthcheck(o)?;

    let config = ContainerConfig {
        hostname: o.hostname.clone().unwrap_or_default(),
        domainname: o.domainname.clone().unwrap_or_default(),
        user: o.user.clone().unwrap_or_default(),
        attach_stdin,
        attach_stdout,
        attach_stderr,
        exposed_ports: (!exposed.is_empty())
            .then(|| exposed.into_iter().map(|p| (p, EmptyObject {})).collect()),
        tty: o.tty,
        open_stdin: o.interactive,
        stdin_once: attach_stdin,
        env: (!env.is_empty()).then_some(env),
        cmd,
        healthcheck,
        image: o.image().to_owned(),
        volumes: Some(volumes),
        working_dir: o.workdir.clone().unwrap_or_default(),
        entrypoint,
        on_build: None,
        labels: Some(parse::labels_map(&labels)),
        stop_signal: o.stop_signal.clone(),
        stop_timeout: o.stop_timeout,
        ..Default::default()
    };

    let network_mode = o.network.clone().unwrap_or_else(|| "default".into());
    let host_config = HostConfig {
        binds: (!binds.is_empty()).then_some(binds),
        log_config: LogConfig {
            r#type: o.log_driver.clone().unwrap_or_default(),
            config: Some(
                o.log_opt
                    .iter()
                    .map(|kv| match kv.split_once('=') {
                        Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
                        None => Err(OptError(format!(
                            "invalid key/value pair format in logging opts: {kv}"
                        ))),
                    })
                    .collect::<Result<_, _>>()?,
            ),
        },
        network_mode: network_mode.clone(),
        port_bindings: Some(bindings.into_iter().map(|(k, v)| (k, Some(v))).collect()),
        restart_policy: parse::restart_policy(o.restart.as_deref().unwrap_or("no"))?,
        auto_remove: o.rm,
        console_size: [0, 0],
        cap_add: (!o.cap_add.is_empty()).then(|| parse::normalize_caps(&o.cap_add)),
        cap_drop: (!o.cap_drop.is_empty()).then(|| parse::normalize_caps(&o.cap_drop)),
        dns: Some(o.dns.clone()),
        dns_options: Some(o.dns_option.clone()),
        dns_search: Some(o.dns_search.clone()),
        extra_hosts: (!o.add_host.is_empty()).then(|| o.add_host.clone()),
        group_add: (!o.group_add.is_empty()).then(|| o.group_add.clone()),
        ipc_mode: o.ipc.clone().unwrap_or_default(),
        pid_mode: o.pid.clone().unwrap_or_default(),
        uts_mode: o.uts.clone().unwrap_or_default(),
        userns_mode: o.userns.clone().unwrap_or_default(),
        cgroupns_mode: o.cgroupns.clone().unwrap_or_default(),
        oom_score_adj: o.oom_score_adj.unwrap_or(0),
        runtime: o.runtime.clone(),
        volumes_from: (!o.volumes_from.is_empty()).then(|| o.volumes_from.clone()),
        mounts: (!o.mount.is_empty())
            .then(|| {
                o.mount
                    .iter()
                    .map(|m| mounts::parse_mount(m))
                    .collect::<Result<_, _>>()
            })
            .transpose()?,
        privileged: o.privileged,
        publish_all_ports: o.publish_all,
        readonly_rootfs: o.read_only,
        security_opt: (!o.security_opt.is_empty())
            .then(|| security_opts(&o.security_opt, &read_file))
            .transpose()?,
        tmpfs: (!o.tmpfs.is_empty()).then(|| {
            o.tmpfs
                .iter()
                .map(|t| match t.split_once(':') {
                    Some((p, opts)) => (p.to_owned(), opts.to_owned()),
                    None => (t.clone(), String::new()),
                })
                .collect()
        }),
        shm_size: o
            .shm_size
            .as_deref()
            .map(parse::ram_in_bytes)
            .transpose()?
            .unwrap_or(0),
        sysctls: (!o.sysctl.is_empty()).then(|| parse::labels_map(&o.sysctl)),
        resources: resources(o)?,
        init: o.init.then_some(true),
        ..Default::default()
    };
    let networking_config = NetworkingConfig {
        endpoints_config: Some(BTreeMap::from([(
            network_mode,
            EndpointSettings {
                aliases: (!o.network_alias.is_empty()).then(|| o.network_alias.clone()),
                ipam_config: o.ip.as_ref().map(|ip| EndpointIpamConfig {
                    ipv4_address: ip.clone(),
                    ..Default::default()
                }),
                gw_priority: Some(0),
                dns_names: Some(None),
                ..Default::default()
            },
        )])),
    };
    Ok(CreateRequest {
        query: ContainerCreateQuery {
            name: o.name.clone(),
            platform: o.platform.clone(),
        },
        body: ContainerCreateBody {
            config,
            host_config: Some(host_config),
            networking_config: Some(networking_config),
        },
    })
}

/// `-a` selects streams; without it, a foreground container gets stdout and stderr, and
/// stdin when `-i`.
/// docker's `parseSecurityOpts`: a `seccomp=` value other than `unconfined`/`builtin` is a
/// file whose compacted JSON is sent instead of its name.
fn security_opts(
    opts: &[String],
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<Vec<String>, OptError> {
    let mut out = Vec::with_capacity(opts.len());
    for opt in opts {
        let split = opt.split_once('=').or_else(|| {
            (opt != "no-new-privileges")
                .then(|| opt.split_once(':'))
                .flatten()
        });
        let (k, v) = split.unwrap_or((opt.as_str(), ""));
        if v.is_empty() && k != "no-new-privileges" {
            return Err(OptError(format!("Invalid --security-opt: {opt:?}")));
        }
        if k != "seccomp" || matches!(v, "builtin" | "unconfined") {
            out.push(opt.clone());
            continue;
        }
        let text = read_file(v)
            .map_err(|e| OptError(format!("opening seccomp profile ({v}) failed: {e}")))?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            OptError(format!(
                "compacting json for seccomp profile ({v}) failed: {e}"
            ))
        })?;
        out.push(format!("seccomp={json}"));
    }
    Ok(out)
}

fn attach_streams(o: &ContainerOpts, detach: bool) -> Result<(bool, bool, bool), OptError> {
    if detach {
        if !o.attach.is_empty() {
            return Err(OptError(
                "conflicting options: cannot specify both --attach and --detach".into(),
            ));
        }
        return Ok((false, false, false));
    }
    if o.attach.is_empty() {
        return Ok((o.interactive, true, true));
    }
    // `-i` attaches stdin whatever `-a` says, as docker does.
    let mut s = (o.interactive, false, false);
    for a in &o.attach {
        match a.to_ascii_lowercase().as_str() {
            "stdin" => s.0 = true,
            "stdout" => s.1 = true,
            "stderr" => s.2 = true,
            _ => {
                return Err(OptError(format!(
                    "invalid argument \"{a}\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR"
                )));
            }
        }
    }
    Ok(s)
}

fn resources(o: &ContainerOpts) -> Result<Resources, OptError> {
    let memory = o
        .memory
        .as_deref()
        .map(parse::ram_in_bytes)
        .transpose()?
        .unwrap_or(0);
    let memory_swap = match o.memory_swap.as_deref() {
        Some("-1") => -1,
        Some(s) => parse::ram_in_bytes(s)?,
        None => 0,
    };
    let nano_cpus = match o.cpus.as_deref() {
        Some(c) => {
            let f: f64 = c
                .parse()
                .map_err(|_| OptError(format!("invalid argument \"{c}\" for \"--cpus\" flag")))?;
            (f * 1e9).round() as i64
        }
        None => 0,
    };
    Ok(Resources {
        memory,
        memory_swap,
        nano_cpus,
        cpu_shares: o.cpu_shares.unwrap_or(0),
        // docker sends 0 ("unset") rather than leaving it out.
        pids_limit: Some(o.pids_limit.unwrap_or(0)),
        ulimits: Some(
            o.ulimit
                .iter()
                .map(|u| parse::ulimit(u))
                .collect::<Result<_, _>>()?,
        ),
        blkio_weight_device: Some(vec![]),
        blkio_device_read_bps: Some(vec![]),
        blkio_device_write_bps: Some(vec![]),
        blkio_device_read_iops: Some(vec![]),
        blkio_device_write_iops: Some(vec![]),
        devices: Some(
            o.device
                .iter()
                .map(|d| mounts::parse_device(d))
                .collect::<Result<_, _>>()?,
        ),
        cpuset_cpus: o.cpuset_cpus.clone().unwrap_or_default(),
        cpu_quota: o.cpu_quota.unwrap_or(0),
        cpu_period: o.cpu_period.unwrap_or(0),
        memory_reservation: o
            .memory_reservation
            .as_deref()
            .map(parse::ram_in_bytes)
            .transpose()?
            .unwrap_or(0),
        cgroup_parent: o.cgroup_parent.clone().unwrap_or_default(),
        // docker sends -1 ("not set") and false rather than leaving these out.
        memory_swappiness: Some(-1),
        oom_kill_disable: Some(o.oom_kill_disable),
        ..Default::default()
    })
}

fn healthcheck(o: &ContainerOpts) -> Result<Option<HealthConfig>, OptError> {
    let dur = |name: &str, v: &Option<String>| -> Result<i64, OptError> {
        match v {
            None => Ok(0),
            Some(s) => {
                let secs = parse_go_duration(s)
                    .ok_or_else(|| OptError(format!("invalid argument \"{s}\" for \"--{name}\" flag: time: invalid duration \"{s}\"")))?;
                if secs < 0.0 {
                    return Err(OptError(format!("--{name} cannot be negative")));
                }
                Ok((secs * 1e9) as i64)
            }
        }
    };
    let interval = dur("health-interval", &o.health_interval)?;
    let timeout = dur("health-timeout", &o.health_timeout)?;
    let start_period = dur("health-start-period", &o.health_start_period)?;
    let retries = o.health_retries.unwrap_or(0);
    let any = o.health_cmd.is_some()
        || interval != 0
        || timeout != 0
        || start_period != 0
        || retries != 0;
    if o.no_healthcheck {
        if any {
            return Err(OptError(
                "--no-healthcheck conflicts with --health-* options".into(),
            ));
        }
        return Ok(Some(HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..Default::default()
        }));
    }
    if !any {
        return Ok(None);
    }
    Ok(Some(HealthConfig {
        test: o
            .health_cmd
            .as_ref()
            .map(|c| vec!["CMD-SHELL".into(), c.clone()]),
        interval,
        timeout,
        start_period,
        retries,
        ..Default::default()
    }))
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;

#[cfg(test)]
mod security_opt_tests {
    use super::security_opts;

    #[test]
    fn seccomp_files_are_sent_as_compact_json() {
        let read = |f: &str| match f {
            "/p.json" => Ok("{ \"defaultAction\" : \"SCMP_ACT_ALLOW\" }\n".to_string()),
            "/bad.json" => Ok("{".to_string()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        };
        let opts = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            security_opts(
                &opts(&["seccomp=/p.json", "no-new-privileges", "seccomp:unconfined"]),
                &read
            )
            .unwrap(),
            opts(&[
                "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
                "no-new-privileges",
                "seccomp:unconfined"
            ])
        );
        let err = |v: &str| security_opts(&opts(&[v]), &read).unwrap_err().0;
        assert!(err("seccomp=/bad.json").starts_with("compacting json for seccomp profile"));
        assert!(err("seccomp=/none").starts_with("opening seccomp profile (/none) failed"));
        assert_eq!(err("label"), "Invalid --security-opt: \"label\"");
    }
}
