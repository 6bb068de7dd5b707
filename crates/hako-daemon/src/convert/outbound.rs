//! Containers out: [`ContainerView`] → `docker ps` rows and `docker inspect` documents.

use std::collections::BTreeMap;

use hako_api_types::container::{
    ContainerConfig as WireConfig, ContainerInspect, ContainerState, ContainerSummary, EmptyObject,
    GraphDriverData, Health, HealthConfig, HealthcheckResult, HostConfig as WireHostConfig,
    LogConfig as WireLogConfig, ManifestDescriptor, OciPlatform, Resources as WireResources,
    RestartPolicy as WireRestartPolicy, SummaryHostConfig, SummaryNetworkSettings,
    Ulimit as WireUlimit,
};
use hako_engine::container::config::{ContainerConfig, HostConfig};
use hako_engine::container::status::Status;
use hako_engine::container::view::{ContainerView, GraphDriver};

use super::{human, unix_nanos};

/// Docker's default `/dev/shm` size, shown when the container did not set one.
const DEFAULT_SHM_SIZE: i64 = 64 << 20;

fn keys_as_set(keys: &[String]) -> Option<BTreeMap<String, EmptyObject>> {
    (!keys.is_empty()).then(|| keys.iter().map(|k| (k.clone(), EmptyObject {})).collect())
}

fn non_empty(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// The command column as moby prints it: path and arguments, space-separated, arguments
/// that contain a space in single quotes.
fn command(v: &ContainerView) -> String {
    let mut out = v.path.clone();
    for arg in &v.args {
        out.push(' ');
        if arg.contains(' ') {
            out.push('\'');
            out.push_str(arg);
            out.push('\'');
        } else {
            out.push_str(arg);
        }
    }
    out
}

/// One row of `GET /containers/json` at `now` (Unix nanoseconds).
pub fn container_summary(v: &ContainerView, now: i128) -> ContainerSummary {
    let network = v.host_config.network_mode.to_string();
    ContainerSummary {
        id: v.id.clone(),
        names: vec![format!("/{}", v.name)],
        image: v.image_name.clone(),
        image_id: v.image_id.clone(),
        command: command(v),
        created: unix_nanos(&v.created)
            .map_or(0, |n| i64::try_from(n / 1_000_000_000).unwrap_or_default()),
        ports: super::network::summary_ports(v),
        size_rw: v.size_rw,
        size_root_fs: v.size_root_fs,
        labels: Some(v.config.labels.clone()),
        state: v.state.status.as_str().to_string(),
        status: human::status(&v.state, now),
        host_config: SummaryHostConfig {
            network_mode: Some(network),
            annotations: None,
        },
        network_settings: Some(SummaryNetworkSettings {
            networks: Some(super::network::endpoints(v)),
        }),
        mounts: super::mounts::mount_points_out(&v.mount_points),
        image_manifest_descriptor: OciPlatform::parse(&v.platform).map(|p| ManifestDescriptor {
            platform: Some(p),
            ..ManifestDescriptor::default()
        }),
    }
}

/// `GET /containers/{id}/json`.
pub fn container_inspect(v: ContainerView) -> ContainerInspect {
    let s = &v.state;
    let state = ContainerState {
        status: s.status.as_str().to_string(),
        // Docker counts paused and restarting containers as running.
        running: s.status.is_running(),
        paused: s.status == Status::Paused,
        restarting: s.status == Status::Restarting,
        oom_killed: s.oom_killed,
        dead: s.status == Status::Dead,
        pid: i64::from(s.pid),
        exit_code: i64::from(s.exit_code),
        error: s.error.clone(),
        started_at: s.started_at.clone(),
        finished_at: s.finished_at.clone(),
        health: s.health.as_ref().map(|h| Health {
            status: h.status.clone(),
            failing_streak: h.failing_streak,
            log: Some(
                h.log
                    .iter()
                    .map(|l| HealthcheckResult {
                        start: l.start.clone(),
                        end: l.end.clone(),
                        exit_code: l.exit_code,
                        output: l.output.clone(),
                    })
                    .collect(),
            ),
        }),
    };
    let os = v.platform.split('/').next().unwrap_or("linux").to_string();
    ContainerInspect {
        id: v.id.clone(),
        created: v.created.clone(),
        path: v.path.clone(),
        args: v.args.clone(),
        state: Some(state),
        image: v.image_id.clone(),
        resolv_conf_path: v.resolv_conf_path.display().to_string(),
        hostname_path: v.hostname_path.display().to_string(),
        hosts_path: v.hosts_path.display().to_string(),
        log_path: v.log_path.display().to_string(),
        name: format!("/{}", v.name),
        restart_count: v.state.restart_count,
        driver: "overlay2".into(),
        platform: os,
        mount_label: String::new(),
        process_label: String::new(),
        app_armor_profile: String::new(),
        exec_ids: non_empty(&v.exec_ids),
        host_config: Some(host_config_out(&v.host_config)),
        graph_driver: graph_driver(&v.graph),
        size_rw: v.size_rw,
        size_root_fs: v.size_root_fs,
        mounts: super::mounts::mount_points_out(&v.mount_points),
        config: Some(config_out(&v.config)),
        network_settings: Some(super::network::network_settings(&v)),
    }
}

fn graph_driver(g: &GraphDriver) -> GraphDriverData {
    let mut data = BTreeMap::new();
    let lower = g
        .lower
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    for (key, value) in [
        ("LowerDir", lower),
        ("UpperDir", g.upper.display().to_string()),
        ("WorkDir", g.work.display().to_string()),
        ("MergedDir", g.merged.display().to_string()),
    ] {
        if !value.is_empty() {
            data.insert(key.to_string(), value);
        }
    }
    GraphDriverData {
        data: Some(data),
        name: "overlay2".into(),
    }
}

/// The container's `Config` as inspect shows it.
pub fn config_out(c: &ContainerConfig) -> WireConfig {
    WireConfig {
        hostname: c.hostname.clone(),
        domainname: c.domainname.clone(),
        user: c.user.clone(),
        attach_stdin: c.attach_stdin,
        attach_stdout: c.attach_stdout,
        attach_stderr: c.attach_stderr,
        exposed_ports: keys_as_set(&c.exposed_ports),
        tty: c.tty,
        open_stdin: c.open_stdin,
        stdin_once: c.stdin_once,
        env: Some(c.env.clone()),
        cmd: c.cmd.clone(),
        image: c.image.clone(),
        volumes: keys_as_set(&c.volumes),
        working_dir: c.working_dir.clone(),
        entrypoint: c.entrypoint.clone(),
        labels: Some(c.labels.clone()),
        stop_signal: c.stop_signal.clone(),
        stop_timeout: c.stop_timeout,
        healthcheck: c.healthcheck.as_ref().map(|h| HealthConfig {
            test: Some(h.test.clone()),
            interval: h.interval,
            timeout: h.timeout,
            start_period: h.start_period,
            retries: h.retries,
            ..HealthConfig::default()
        }),
        ..WireConfig::default()
    }
}

/// The container's `HostConfig` as inspect shows it.
pub fn host_config_out(h: &HostConfig) -> WireHostConfig {
    let r = &h.resources;
    WireHostConfig {
        log_config: WireLogConfig {
            r#type: h.log_config.driver.clone(),
            config: Some(h.log_config.options.clone()),
        },
        network_mode: h.network_mode.to_string(),
        port_bindings: Some(super::network::port_bindings_out(h)),
        restart_policy: WireRestartPolicy {
            name: if h.restart_policy.name.is_empty() {
                "no".into()
            } else {
                h.restart_policy.name.clone()
            },
            maximum_retry_count: h.restart_policy.maximum_retry_count,
        },
        auto_remove: h.auto_remove,
        console_size: h
            .console_size
            .map_or([0, 0], |(hh, ww)| [u32::from(hh), u32::from(ww)]),
        cap_add: non_empty(&h.cap_add),
        cap_drop: non_empty(&h.cap_drop),
        dns: Some(h.dns.clone()),
        dns_options: Some(h.dns_options.clone()),
        dns_search: Some(h.dns_search.clone()),
        extra_hosts: non_empty(&h.extra_hosts),
        group_add: non_empty(&h.group_add),
        ipc_mode: "private".into(),
        userns_mode: h.userns_mode.clone(),
        privileged: h.privileged,
        readonly_rootfs: h.readonly_rootfs,
        binds: non_empty(&h.binds),
        mounts: super::mounts::mount_specs_out(&h.mounts),
        tmpfs: (!h.tmpfs.is_empty()).then(|| h.tmpfs.clone()),
        volumes_from: non_empty(&h.volumes_from),
        security_opt: non_empty(&h.security_opt),
        shm_size: if h.shm_size == 0 {
            DEFAULT_SHM_SIZE
        } else {
            h.shm_size
        },
        init: h.init,
        resources: WireResources {
            memory: r.memory,
            memory_swap: r.memory_swap,
            memory_reservation: r.memory_reservation,
            nano_cpus: r.nano_cpus,
            cpu_shares: r.cpu_shares,
            cpu_period: r.cpu_period,
            cpu_quota: r.cpu_quota,
            cpuset_cpus: r.cpuset_cpus.clone(),
            cpuset_mems: r.cpuset_mems.clone(),
            pids_limit: r.pids_limit,
            blkio_weight: r.blkio_weight,
            oom_kill_disable: r.oom_kill_disable,
            ulimits: Some(
                h.ulimits
                    .iter()
                    .map(|u| WireUlimit {
                        name: u.name.clone(),
                        hard: u.hard,
                        soft: u.soft,
                    })
                    .collect(),
            ),
            ..WireResources::default()
        },
        ..WireHostConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hako_engine::container::status::State;
    use std::path::PathBuf;

    fn view() -> ContainerView {
        let mut state = State::new();
        state.status = Status::Running;
        state.pid = 42;
        state.started_at = "2023-11-14T22:13:20Z".into();
        ContainerView {
            id: "abc123".into(),
            name: "web".into(),
            created: "2023-11-14T22:13:19.123456789Z".into(),
            path: "sh".into(),
            args: vec!["-c".into(), "sleep 1".into()],
            image_id: "sha256:1".into(),
            image_name: "busybox".into(),
            platform: "linux/amd64".into(),
            config: ContainerConfig {
                image: "busybox".into(),
                tty: true,
                ..ContainerConfig::default()
            },
            host_config: HostConfig::default(),
            mount_points: Vec::new(),
            state,
            exec_ids: Vec::new(),
            resolv_conf_path: PathBuf::from("/r"),
            hostname_path: PathBuf::from("/h"),
            hosts_path: PathBuf::from("/hs"),
            log_path: PathBuf::from("/l"),
            graph: GraphDriver {
                lower: vec![PathBuf::from("/a"), PathBuf::from("/b")],
                upper: PathBuf::from("/u"),
                work: PathBuf::from("/w"),
                merged: PathBuf::from("/m"),
            },
            size_rw: None,
            size_root_fs: None,
            connected: Vec::new(),
            primary_disconnected: false,
            network: None,
        }
    }

    #[test]
    fn ps_row() {
        let now = 1_700_000_010 * 1_000_000_000;
        let s = container_summary(&view(), now);
        assert_eq!(s.names, ["/web"]);
        assert_eq!(s.command, "sh -c 'sleep 1'");
        assert_eq!(s.created, 1_700_000_000 - 1);
        assert_eq!(s.state, "running");
        assert_eq!(s.status, "Up 10 seconds");
        assert_eq!(s.host_config.network_mode.as_deref(), Some("bridge"));
        let json = serde_json::to_value(&s).unwrap();
        assert!(json.get("SizeRw").is_none());
    }

    #[test]
    fn inspect_document() {
        let i = container_inspect(view());
        let st = i.state.as_ref().unwrap();
        assert!(st.running && !st.paused);
        assert_eq!(st.pid, 42);
        assert_eq!(i.name, "/web");
        assert_eq!(i.platform, "linux");
        assert_eq!(i.exec_ids, None);
        let gd = i.graph_driver.data.as_ref().unwrap();
        assert_eq!(gd["LowerDir"], "/a:/b");
        let hc = i.host_config.as_ref().unwrap();
        assert_eq!(hc.restart_policy.name, "no");
        assert_eq!(hc.shm_size, 64 << 20);
        assert_eq!(hc.network_mode, "bridge");
        assert!(i.config.as_ref().unwrap().tty);
        let json = serde_json::to_value(&i).unwrap();
        assert_eq!(json["State"]["Status"], "running");
        assert_eq!(json["Config"]["Image"], "busybox");
    }
}
