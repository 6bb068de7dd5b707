//! `POST /containers/create`: query + body → [`CreateRequest`].

use hako_api_types::ApiVersion;
use hako_api_types::container::{ContainerConfig as WireConfig, ContainerCreateBody};
use hako_engine::container::config::{ContainerConfig, CreateRequest, HealthCheck, HostConfig};

use super::{ConvertError, Wire, refuse};

/// A create request as it arrived.
#[derive(Debug, Clone)]
pub struct CreateInput {
    /// `?name=`.
    pub name: Option<String>,
    /// `?platform=`.
    pub platform: Option<String>,
    /// The JSON body.
    pub body: ContainerCreateBody,
    /// The API version the client speaks: older versions had fewer fields, and moby
    /// ignores fields newer than the client.
    pub version: ApiVersion,
}

/// Docker's container name rule, `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`, with Docker's message
/// (which quotes the name as given).
pub fn validate_name(name: &str) -> Result<String, ConvertError> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    let mut chars = bare.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest: Vec<char> = chars.collect();
    let rest_ok = !rest.is_empty()
        && rest
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok {
        Ok(bare.to_string())
    } else {
        Err(ConvertError::InvalidName(name.to_string()))
    }
}

impl TryFrom<CreateInput> for CreateRequest {
    type Error = ConvertError;

    fn try_from(input: CreateInput) -> Result<Self, Self::Error> {
        let v = |major, minor| input.version >= ApiVersion::new(major, minor);
        let name = match input.name.as_deref() {
            None | Some("") => None,
            Some(n) => Some(validate_name(n)?),
        };
        // `platform` exists from API 1.41 on; older clients never meant it.
        let platform = input.platform.filter(|p| !p.is_empty() && v(1, 41));
        let config = ContainerConfig::try_from(Wire(input.body.config))?;
        let mut host_config = match input.body.host_config {
            None => HostConfig::default(),
            Some(mut h) => {
                // Fields a client older than their introduction cannot have meant.
                if !v(1, 25) {
                    h.auto_remove = false;
                }
                if !v(1, 42) {
                    h.console_size = [0, 0];
                }
                if !v(1, 43) {
                    h.annotations = None;
                }
                HostConfig::try_from(Wire(h))?
            }
        };
        if let Some(endpoints) = input
            .body
            .networking_config
            .and_then(|n| n.endpoints_config)
        {
            refuse(
                endpoints.len() > 1,
                "NetworkingConfig with more than one network",
            )?;
            for e in endpoints.values() {
                refuse(
                    e.ipam_config
                        .as_ref()
                        .is_some_and(|i| !i.ipv6_address.is_empty()),
                    "static IPv6 addresses (--ip6)",
                )?;
                if let Some(ip) = e
                    .ipam_config
                    .as_ref()
                    .map(|i| i.ipv4_address.as_str())
                    .filter(|s| !s.is_empty())
                {
                    host_config.ipv4_address = Some(ip.parse().map_err(|_| {
                        ConvertError::Invalid(format!("invalid IPv4 address: {ip}"))
                    })?);
                }
                host_config
                    .network_aliases
                    .extend(e.aliases.clone().unwrap_or_default());
                refuse(
                    e.links.as_ref().is_some_and(|l| !l.is_empty()),
                    "links (--link)",
                )?;
            }
        }
        Ok(CreateRequest {
            name,
            platform,
            config,
            host_config,
        })
    }
}

impl TryFrom<Wire<WireConfig>> for ContainerConfig {
    type Error = ConvertError;

    fn try_from(Wire(c): Wire<WireConfig>) -> Result<Self, Self::Error> {
        Ok(ContainerConfig {
            hostname: c.hostname,
            domainname: c.domainname,
            user: c.user,
            attach_stdin: c.attach_stdin,
            attach_stdout: c.attach_stdout,
            attach_stderr: c.attach_stderr,
            exposed_ports: c.exposed_ports.unwrap_or_default().into_keys().collect(),
            tty: c.tty,
            open_stdin: c.open_stdin,
            stdin_once: c.stdin_once,
            env: c.env.unwrap_or_default(),
            cmd: c.cmd,
            entrypoint: c.entrypoint,
            image: c.image,
            volumes: c.volumes.unwrap_or_default().into_keys().collect(),
            working_dir: c.working_dir,
            labels: c.labels.unwrap_or_default(),
            stop_signal: c.stop_signal.filter(|s| !s.is_empty()),
            stop_timeout: c.stop_timeout,
            healthcheck: c.healthcheck.map(|h| HealthCheck {
                test: h.test.unwrap_or_default(),
                interval: h.interval,
                timeout: h.timeout,
                start_period: h.start_period,
                retries: h.retries,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    const DOCKER28_RUN: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":true,"AttachStdout":true,"AttachStderr":true,"Tty":true,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["sh"],"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[50,200],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":null,"PidsLimit":null,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

    fn input(body: &str, name: Option<&str>, version: ApiVersion) -> CreateInput {
        CreateInput {
            name: name.map(str::to_string),
            platform: Some("linux/amd64".into()),
            body: serde_json::from_str(body).unwrap(),
            version,
        }
    }

    #[test]
    fn names() {
        assert_eq!(validate_name("web").unwrap(), "web");
        assert_eq!(validate_name("/web-1.a_b").unwrap(), "web-1.a_b");
        for bad in ["-x", "a", "/", "", "a b", "a/b", "_ab", "//ab"] {
            let e: ApiError = validate_name(bad).unwrap_err().into();
            assert_eq!(e.status(), 400, "{bad}");
            assert_eq!(
                e.message(),
                format!(
                    "Invalid container name ({bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                )
            );
        }
    }

    #[test]
    fn docker_run_body_converts() {
        let req = CreateRequest::try_from(input(DOCKER28_RUN, Some("/web"), ApiVersion::CURRENT))
            .unwrap();
        assert_eq!(req.name.as_deref(), Some("web"));
        assert_eq!(req.platform.as_deref(), Some("linux/amd64"));
        assert_eq!(req.config.image, "busybox");
        assert_eq!(req.config.cmd.as_deref(), Some(&["sh".to_string()][..]));
        assert!(req.config.tty && req.config.attach_stdin && !req.config.open_stdin);
        assert!(req.host_config.auto_remove);
        assert_eq!(req.host_config.console_size, Some((50, 200)));
        assert_eq!(req.host_config.log_config.driver, "json-file");
    }

    #[test]
    fn old_clients_lose_newer_fields() {
        let req =
            CreateRequest::try_from(input(DOCKER28_RUN, None, ApiVersion::new(1, 24))).unwrap();
        assert!(!req.host_config.auto_remove);
        assert_eq!(req.host_config.console_size, None);
        assert_eq!(req.platform, None);
        assert_eq!(req.name, None);
    }

    #[test]
    fn minimal_body_and_bad_name() {
        let req = CreateRequest::try_from(input(
            r#"{"Image":"busybox"}"#,
            Some(""),
            ApiVersion::CURRENT,
        ))
        .unwrap();
        assert_eq!(req.name, None);
        assert_eq!(req.host_config, HostConfig::default());
        let e = CreateRequest::try_from(input(
            r#"{"Image":"busybox"}"#,
            Some("-bad"),
            ApiVersion::CURRENT,
        ))
        .unwrap_err();
        assert!(matches!(e, ConvertError::InvalidName(n) if n == "-bad"));
    }

    #[test]
    fn unsupported_features_are_named() {
        let ok = CreateRequest::try_from(input(
            r#"{"Image":"busybox","Healthcheck":{"Test":["NONE"]}}"#,
            None,
            ApiVersion::CURRENT,
        ));
        assert!(ok.is_ok());
        let e: ApiError = CreateRequest::try_from(input(
            r#"{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"a":{},"b":{}}}}"#,
            None,
            ApiVersion::CURRENT,
        ))
        .unwrap_err()
        .into();
        assert_eq!(e.status(), 501);
    }
}
