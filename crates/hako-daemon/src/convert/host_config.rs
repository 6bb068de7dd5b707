//! `HostConfig` → the engine's [`HostConfig`], refusing what hako does not do yet.
//!
//! The docker CLI sends every field, mostly as zero values (`"Dns":[]`, `"Memory":0`,
//! `"MemorySwappiness":-1`, `"RestartPolicy":{"Name":"no"}`); only values that ask for
//! something are refused.

use hako_api_types::container::{HostConfig as WireHostConfig, Resources as WireResources};
use hako_engine::container::config::{HostConfig, LogConfig, Resources, RestartPolicy, Ulimit};
use hako_net::mode::NetworkMode;

use super::{ConvertError, Wire, console_size, refuse};

fn some_nonempty<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().is_some_and(|v| !v.is_empty())
}

impl TryFrom<Wire<WireHostConfig>> for HostConfig {
    type Error = ConvertError;

    fn try_from(Wire(mut h): Wire<WireHostConfig>) -> Result<Self, Self::Error> {
        refuse(!h.volume_driver.is_empty(), "HostConfig.VolumeDriver")?;
        refuse(some_nonempty(&h.links), "HostConfig.Links (--link)")?;
        refuse(
            h.sysctls.as_ref().is_some_and(|s| !s.is_empty()),
            "HostConfig.Sysctls (--sysctl)",
        )?;
        refuse(
            h.storage_opt.as_ref().is_some_and(|s| !s.is_empty()),
            "HostConfig.StorageOpt (--storage-opt)",
        )?;
        refuse(
            h.annotations.as_ref().is_some_and(|a| !a.is_empty()),
            "HostConfig.Annotations (--annotation)",
        )?;
        refuse(
            !h.ipc_mode.is_empty() && h.ipc_mode != "private",
            "HostConfig.IpcMode (--ipc)",
        )?;
        refuse(!h.pid_mode.is_empty(), "HostConfig.PidMode (--pid)")?;
        refuse(!h.uts_mode.is_empty(), "HostConfig.UTSMode (--uts)")?;
        if !matches!(h.userns_mode.as_str(), "" | "host") {
            return Err(ConvertError::Invalid(format!(
                "invalid UsernsMode {:?}: only \"host\" (or none) is supported",
                h.userns_mode
            )));
        }
        refuse(
            !h.cgroupns_mode.is_empty(),
            "HostConfig.CgroupnsMode (--cgroupns)",
        )?;
        refuse(!h.cgroup.is_empty(), "HostConfig.Cgroup")?;
        refuse(
            h.oom_score_adj != 0,
            "HostConfig.OomScoreAdj (--oom-score-adj)",
        )?;
        refuse(
            some_nonempty(&h.masked_paths) || some_nonempty(&h.readonly_paths),
            "HostConfig.MaskedPaths/ReadonlyPaths (--security-opt systempaths)",
        )?;
        refuse(
            !matches!(h.isolation.as_str(), "" | "default"),
            "HostConfig.Isolation (--isolation)",
        )?;
        if let Some(rt) = h.runtime.as_deref().filter(|r| !r.is_empty())
            && !matches!(rt, "runc" | "hako")
        {
            return Err(ConvertError::Runtime(rt.to_string()));
        }
        let restart_policy = restart_policy(&h.restart_policy)?;
        let log_config = log_config(h.log_config)?;
        Ok(HostConfig {
            auto_remove: h.auto_remove,
            privileged: h.privileged,
            network_mode: NetworkMode::parse(&h.network_mode)?,
            log_config,
            restart_policy,
            cap_add: h.cap_add.unwrap_or_default(),
            cap_drop: h.cap_drop.unwrap_or_default(),
            readonly_rootfs: h.readonly_rootfs,
            shm_size: h.shm_size,
            init: h.init,
            group_add: h.group_add.unwrap_or_default(),
            dns: h.dns.unwrap_or_default(),
            dns_search: h.dns_search.unwrap_or_default(),
            dns_options: h.dns_options.unwrap_or_default(),
            extra_hosts: h.extra_hosts.unwrap_or_default(),
            port_bindings: port_bindings(h.port_bindings.take())?,
            publish_all_ports: h.publish_all_ports,
            ipv4_address: None,
            network_aliases: Vec::new(),
            security_opt: h.security_opt.unwrap_or_default(),
            ulimits: h
                .resources
                .ulimits
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|u| Ulimit {
                    name: u.name,
                    soft: u.soft,
                    hard: u.hard,
                })
                .collect(),
            resources: Resources::try_from(Wire(h.resources))?,
            console_size: console_size(h.console_size)?,
            binds: h.binds.unwrap_or_default(),
            mounts: super::mounts::mount_specs_in(h.mounts.unwrap_or_default()),
            tmpfs: h.tmpfs.unwrap_or_default(),
            volumes_from: h.volumes_from.unwrap_or_default(),
            userns_mode: h.userns_mode,
        })
    }
}

/// `PortBindings` → the engine's bindings, each key checked (`80`, `80/tcp`, `53/udp`).
fn port_bindings(
    map: Option<hako_api_types::container::PortMap>,
) -> Result<std::collections::BTreeMap<String, Vec<hako_net::ports::HostBinding>>, ConvertError> {
    let mut out = std::collections::BTreeMap::new();
    for (key, bindings) in map.unwrap_or_default() {
        let (port, proto) = hako_net::ports::parse_port_key(&key)
            .map_err(|e| ConvertError::Invalid(e.to_string()))?;
        let list: Vec<hako_net::ports::HostBinding> = bindings
            .unwrap_or_default()
            .into_iter()
            .map(|b| hako_net::ports::HostBinding {
                host_ip: b.host_ip,
                host_port: b.host_port,
            })
            .collect();
        if !list.is_empty() {
            out.insert(format!("{port}/{}", proto.as_str()), list);
        }
    }
    Ok(out)
}

/// moby's `ValidateRestartPolicy`: a retry count only with `on-failure`, never negative.
pub(crate) fn restart_policy(
    p: &hako_api_types::container::RestartPolicy,
) -> Result<RestartPolicy, ConvertError> {
    let name = p.name.as_str();
    match name {
        "" | "no" | "always" | "unless-stopped" if p.maximum_retry_count != 0 => {
            Err(ConvertError::RestartRetryCount(
                "maximum retry count can only be used with 'on-failure'",
            ))
        }
        "on-failure" if p.maximum_retry_count < 0 => Err(ConvertError::RestartRetryCount(
            "maximum retry count cannot be negative",
        )),
        "" | "no" => Ok(RestartPolicy::default()),
        "always" | "unless-stopped" | "on-failure" => Ok(RestartPolicy {
            name: name.to_string(),
            maximum_retry_count: p.maximum_retry_count,
        }),
        other => Err(ConvertError::RestartPolicy(other.to_string())),
    }
}

/// `json-file` (the default) and `none`; other drivers are refused.
fn log_config(l: hako_api_types::container::LogConfig) -> Result<LogConfig, ConvertError> {
    let driver = match l.r#type.as_str() {
        "" => "json-file",
        d @ ("json-file" | "none") => d,
        other => {
            return Err(ConvertError::Unsupported(format!(
                "the {other} logging driver (--log-driver)"
            )));
        }
    };
    Ok(LogConfig {
        driver: driver.to_string(),
        options: l.config.unwrap_or_default(),
    })
}

impl TryFrom<Wire<WireResources>> for Resources {
    type Error = ConvertError;

    fn try_from(Wire(r): Wire<WireResources>) -> Result<Self, Self::Error> {
        refuse(
            !r.cgroup_parent.is_empty(),
            "HostConfig.CgroupParent (--cgroup-parent)",
        )?;
        refuse(
            some_nonempty(&r.blkio_weight_device)
                || some_nonempty(&r.blkio_device_read_bps)
                || some_nonempty(&r.blkio_device_write_bps)
                || some_nonempty(&r.blkio_device_read_iops)
                || some_nonempty(&r.blkio_device_write_iops),
            "per-device block IO limits (--blkio-weight-device, --device-read-bps...)",
        )?;
        refuse(
            r.cpu_realtime_period != 0 || r.cpu_realtime_runtime != 0,
            "realtime CPU limits (--cpu-rt-period, --cpu-rt-runtime)",
        )?;
        refuse(some_nonempty(&r.devices), "HostConfig.Devices (--device)")?;
        refuse(
            some_nonempty(&r.device_cgroup_rules),
            "HostConfig.DeviceCgroupRules (--device-cgroup-rule)",
        )?;
        refuse(
            some_nonempty(&r.device_requests),
            "HostConfig.DeviceRequests (--gpus)",
        )?;
        refuse(
            r.memory_swappiness.is_some_and(|s| s != -1),
            "HostConfig.MemorySwappiness (--memory-swappiness)",
        )?;
        refuse(
            r.kernel_memory.is_some_and(|k| k != 0) || r.kernel_memory_tcp.is_some_and(|k| k != 0),
            "HostConfig.KernelMemory (--kernel-memory)",
        )?;
        refuse(
            r.cpu_count != 0 || r.cpu_percent != 0,
            "HostConfig.CpuCount/CpuPercent (Windows only)",
        )?;
        refuse(
            r.io_maximum_iops != 0 || r.io_maximum_bandwidth != 0,
            "HostConfig.IOMaximumIOps/IOMaximumBandwidth (Windows only)",
        )?;
        Ok(Resources {
            memory: r.memory,
            memory_swap: r.memory_swap,
            memory_reservation: r.memory_reservation,
            nano_cpus: r.nano_cpus,
            cpu_shares: r.cpu_shares,
            cpu_period: r.cpu_period,
            cpu_quota: r.cpu_quota,
            cpuset_cpus: r.cpuset_cpus,
            cpuset_mems: r.cpuset_mems,
            // As moby: 0 and negative values both mean "unlimited".
            pids_limit: r.pids_limit.filter(|&p| p > 0),
            blkio_weight: r.blkio_weight,
            oom_kill_disable: r.oom_kill_disable,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn convert(json: &str) -> Result<HostConfig, ApiError> {
        let wire: WireHostConfig = serde_json::from_str(json).unwrap();
        HostConfig::try_from(Wire(wire)).map_err(ApiError::from)
    }

    #[test]
    fn defaults_and_values() {
        let h = convert(
            r#"{"NetworkMode":"none","Memory":67108864,"NanoCpus":1500000000,"PidsLimit":-1,
                "MemorySwappiness":-1,"Ulimits":[{"Name":"nofile","Hard":2048,"Soft":1024}],
                "CapAdd":["NET_ADMIN"],"Init":true,"LogConfig":{"Type":"none","Config":{}},
                "PortBindings":{"80/tcp":null},"RestartPolicy":{"Name":"no"},"UsernsMode":"host"}"#,
        )
        .unwrap();
        assert_eq!(h.network_mode, NetworkMode::None);
        assert_eq!(h.resources.memory, 64 << 20);
        assert_eq!(h.resources.nano_cpus, 1_500_000_000);
        assert_eq!(h.resources.pids_limit, None);
        assert_eq!(h.ulimits[0].soft, 1024);
        assert_eq!(h.cap_add, ["NET_ADMIN"]);
        assert_eq!(h.init, Some(true));
        assert_eq!(h.log_config.driver, "none");
        assert_eq!(convert("{}").unwrap(), HostConfig::default());
    }

    #[test]
    fn refusals_name_the_feature() {
        for (json, status, needle) in [
            (
                r#"{"PortBindings":{"80/sctp":[{"HostIp":"","HostPort":"8080"}]}}"#,
                400,
                "invalid proto",
            ),
            (
                r#"{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-3}}"#,
                400,
                "cannot be negative",
            ),
            (
                r#"{"RestartPolicy":{"Name":"always","MaximumRetryCount":3}}"#,
                400,
                "only be used with 'on-failure'",
            ),
            (
                r#"{"RestartPolicy":{"Name":"sometimes"}}"#,
                400,
                "unknown policy 'sometimes'",
            ),
            (
                r#"{"NetworkMode":"container:"}"#,
                400,
                "invalid network mode",
            ),
            (r#"{"LogConfig":{"Type":"syslog"}}"#, 501, "syslog"),
            (r#"{"Runtime":"kata"}"#, 400, "kata"),
            (r#"{"PidMode":"host"}"#, 501, "--pid"),
            (
                r#"{"Devices":[{"PathOnHost":"/dev/fuse"}]}"#,
                501,
                "--device",
            ),
            (r#"{"MemorySwappiness":10}"#, 501, "--memory-swappiness"),
            (r#"{"ConsoleSize":[70000,1]}"#, 400, "console size"),
        ] {
            let e = convert(json).unwrap_err();
            assert_eq!(e.status().as_u16(), status, "{json}: {e}");
            assert!(e.message().contains(needle), "{json}: {e}");
        }
    }

    #[test]
    fn docker_cli_zero_values_pass() {
        let body = include_str!("../../../hako-api-types/testdata/docker28-create-body.json");
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        let mut h: WireHostConfig = serde_json::from_value(v["HostConfig"].clone()).unwrap();
        // That capture asks for binds, ports and a restart policy; clear those and the rest
        // (zeros and empty lists as the CLI sends them) must convert.
        h.binds = None;
        h.port_bindings = Some(Default::default());
        let h = HostConfig::try_from(Wire(h)).unwrap();
        assert_eq!(h.restart_policy.name, "on-failure");
        assert_eq!(h.restart_policy.maximum_retry_count, 3);
        assert_eq!(h.resources.pids_limit, Some(100));
        assert_eq!(h.cap_add, ["CAP_NET_ADMIN"]);
    }
}
