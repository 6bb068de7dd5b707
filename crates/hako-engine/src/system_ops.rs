//! `GET /version` and `GET /info`.

use crate::container::status::Status;
use crate::engine::Engine;
use crate::error::Result;
use crate::system::{SystemInfo, VersionInfo};

/// hako's version, from the workspace manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

impl Engine {
    /// Version of the engine and the host.
    pub async fn version(&self) -> Result<VersionInfo> {
        Ok(VersionInfo {
            version: VERSION.to_string(),
            git_commit: option_env!("HAKO_GIT_COMMIT").unwrap_or("").to_string(),
            os: "linux".to_string(),
            arch: docker_arch().to_string(),
            kernel_version: kernel_release(),
            build_time: option_env!("HAKO_BUILD_TIME").unwrap_or("").to_string(),
        })
    }

    /// Counts and host facts for `docker info`.
    pub async fn info(&self) -> Result<SystemInfo> {
        let mut info = SystemInfo::default();
        for entry in self.containers.all() {
            let status = entry.inner.lock().await.state.status;
            info.containers += 1;
            match status {
                Status::Running | Status::Restarting => info.containers_running += 1,
                Status::Paused => info.containers_paused += 1,
                _ => info.containers_stopped += 1,
            }
        }
        info.images = self.image_count().await;
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let field = |key: &str| {
            os_release
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(|v| v.trim_matches('"').to_string())
                .unwrap_or_default()
        };
        info.id = self.daemon_id();
        info.driver = "overlay2".to_string();
        info.cgroup_driver = "cgroupfs".to_string();
        info.cgroup_version = if is_cgroup2_host() { "2" } else { "1" }.to_string();
        info.kernel_version = kernel_release();
        info.operating_system = field("PRETTY_NAME");
        info.os_version = field("VERSION_ID");
        info.os_type = "linux".to_string();
        info.architecture = std::env::consts::ARCH.to_string();
        info.ncpu = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        info.mem_total = mem_total();
        info.name = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default();
        info.docker_root_dir = self.config.data_root.display().to_string();
        info.server_version = VERSION.to_string();
        info.platforms = self.emulation.platforms();
        info.default_runtime = "hako".to_string();
        // Every container gets Docker's default profile unless it asks otherwise.
        info.security_options
            .push("name=seccomp,profile=builtin".to_string());
        if self.config.userns_remap.is_some() {
            info.security_options.push("name=userns".to_string());
        }
        Ok(info)
    }

    /// A stable daemon ID, created on first use in `<data_root>/engine-id`.
    fn daemon_id(&self) -> String {
        let path = self.config.data_root.join("engine-id");
        if let Ok(id) = std::fs::read_to_string(&path) {
            return id.trim().to_string();
        }
        let id = crate::ids::new_id();
        let _ = std::fs::write(&path, &id);
        id
    }
}

/// Docker's name for the host architecture.
pub fn docker_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

fn kernel_release() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn mem_total() -> i64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
            let kb: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        })
        .unwrap_or(0)
}

fn is_cgroup2_host() -> bool {
    std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}
