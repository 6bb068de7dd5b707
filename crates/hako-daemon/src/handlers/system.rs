//! `/_ping`, `/version`, `/info`, and CORS preflight.

use std::collections::BTreeMap;

use hako_api_types::system::{CommitInfo, PluginsInfo, SystemInfo};
use hako_api_types::version::{ComponentVersion, PlatformName, Version};
use hako_api_types::{API_VERSION, MIN_API_VERSION};
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, HeaderName, HeaderValue, PRAGMA};
use http::{Method, StatusCode};
use serde_json::json;
use tracing::instrument;

use crate::error::ApiError;
use crate::request::{Ctx, Request};
use crate::response::{self, Response};

/// What `GoVersion` says: there is no Go here, and clients print the field as is.
const GO_VERSION: &str = "n/a";

/// `GET|HEAD /_ping`: `OK` with the headers clients negotiate from (`Api-Version` is added
/// to every response by the service).
pub fn ping(req: &Request) -> Response {
    let head = req.method() == Method::HEAD;
    let mut r = if head {
        let mut r = response::typed(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            response::empty_body(),
        );
        r.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        r
    } else {
        response::typed(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            response::full_body("OK"),
        )
    };
    let h = r.headers_mut();
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        HeaderName::from_static("builder-version"),
        HeaderValue::from_static("1"),
    );
    h.insert(
        HeaderName::from_static("swarm"),
        HeaderValue::from_static("inactive"),
    );
    r
}

/// `OPTIONS *`: moby answers every preflight with a bare 200.
pub fn options() -> Response {
    response::empty(StatusCode::OK)
}

/// `GET /version`.
#[instrument(skip_all)]
pub async fn version(ctx: &Ctx) -> Result<Response, ApiError> {
    let v = ctx.engine.version().await?;
    let details: BTreeMap<String, serde_json::Value> = [
        ("ApiVersion", API_VERSION),
        ("Arch", v.arch.as_str()),
        ("BuildTime", v.build_time.as_str()),
        ("Experimental", "false"),
        ("GitCommit", v.git_commit.as_str()),
        ("GoVersion", GO_VERSION),
        ("KernelVersion", v.kernel_version.as_str()),
        ("MinAPIVersion", MIN_API_VERSION),
        ("Os", v.os.as_str()),
    ]
    .into_iter()
    .map(|(k, val)| (k.to_string(), json!(val)))
    .collect();
    let body = Version {
        platform: Some(PlatformName {
            name: "hako".into(),
        }),
        components: Some(vec![ComponentVersion {
            name: "Engine".into(),
            version: v.version.clone(),
            details: Some(details),
        }]),
        version: v.version,
        api_version: API_VERSION.into(),
        min_api_version: MIN_API_VERSION.into(),
        git_commit: v.git_commit,
        go_version: GO_VERSION.into(),
        os: v.os,
        arch: v.arch,
        kernel_version: v.kernel_version,
        experimental: false,
        build_time: v.build_time,
    };
    Ok(response::json(StatusCode::OK, &body))
}

/// `/info`'s `RegistryConfig` as dockerd reports it: CIDR entries of `--insecure-registry`
/// beside the loopback ranges, host entries as non-secure index configs.
fn registry_config(insecure: &[String]) -> serde_json::Value {
    let mut cidrs = vec!["::1/128".to_owned(), "127.0.0.0/8".to_owned()];
    let mut indexes = serde_json::Map::new();
    indexes.insert(
        "docker.io".into(),
        json!({"Name": "docker.io", "Mirrors": [], "Secure": true, "Official": true}),
    );
    for entry in insecure {
        if entry.contains('/') {
            cidrs.push(entry.clone());
        } else {
            indexes.insert(
                entry.clone(),
                json!({"Name": entry, "Mirrors": [], "Secure": false, "Official": false}),
            );
        }
    }
    json!({
        "AllowNondistributableArtifactsCIDRs": [],
        "AllowNondistributableArtifactsHostnames": [],
        "InsecureRegistryCIDRs": cidrs,
        "IndexConfigs": indexes,
        "Mirrors": []
    })
}

/// `GET /info`: the engine's counts and host facts, plus the fixed answers for features
/// hako does not have (swarm, plugins, registry mirrors).
#[instrument(skip_all)]
pub async fn info(ctx: &Ctx) -> Result<Response, ApiError> {
    let i = ctx.engine.info().await?;
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let strings = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let exe = ctx.engine.config().exe.display().to_string();
    let body = SystemInfo {
        id: i.id,
        containers: count(i.containers),
        containers_running: count(i.containers_running),
        containers_paused: count(i.containers_paused),
        containers_stopped: count(i.containers_stopped),
        images: count(i.images),
        driver: i.driver,
        driver_status: Some(Vec::new()),
        docker_root_dir: i.docker_root_dir,
        plugins: Some(PluginsInfo {
            volume: strings(&["local"]),
            network: strings(&["bridge", "host", "none"]),
            authorization: None,
            log: strings(&["json-file", "none"]),
        }),
        memory_limit: true,
        swap_limit: true,
        cpu_cfs_period: true,
        cpu_cfs_quota: true,
        cpu_shares: true,
        cpu_set: true,
        pids_limit: true,
        oom_kill_disable: i.cgroup_version == "1",
        ipv4_forwarding: true,
        system_time: now_rfc3339(),
        logging_driver: "json-file".into(),
        cgroup_driver: i.cgroup_driver,
        cgroup_version: i.cgroup_version,
        kernel_version: i.kernel_version,
        operating_system: i.operating_system,
        os_version: i.os_version,
        os_type: i.os_type,
        architecture: i.architecture,
        index_server_address: "https://index.docker.io/v1/".into(),
        registry_config: Some(registry_config(&ctx.engine.config().insecure_registries)),
        ncpu: count(i.ncpu),
        mem_total: i.mem_total,
        generic_resources: None,
        name: i.name,
        labels: Some(Vec::new()),
        server_version: i.server_version,
        runtimes: Some(BTreeMap::from([(
            i.default_runtime.clone(),
            json!({ "path": exe }),
        )])),
        default_runtime: i.default_runtime,
        platforms: i.platforms,
        swarm: Some(json!({
            "NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive",
            "ControlAvailable": false, "Error": "", "RemoteManagers": null
        })),
        // No containerd, runc or init binary; `Expected` repeats `ID` as moby does < 1.49.
        containerd_commit: Some(no_commit()),
        runc_commit: Some(no_commit()),
        init_commit: Some(no_commit()),
        security_options: Some(i.security_options),
        warnings: Some(i.warnings),
        live_restore_enabled: ctx.engine.config().live_restore,
        ..SystemInfo::default()
    };
    Ok(response::json(StatusCode::OK, &body))
}

fn no_commit() -> CommitInfo {
    CommitInfo {
        id: String::new(),
        expected: Some(String::new()),
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
