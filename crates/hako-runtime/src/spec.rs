//! What the engine asks the runtime to run: the contract between `hako-engine` and the
//! monitor process.
//!
//! The engine writes a [`ContainerSpec`] (or an [`ExecSpec`]) as JSON into the process's
//! runtime directory (`spec.json`) and starts `hako monitor <dir>`. Paths are absolute host
//! paths unless a field says otherwise. Every field has a serde default so that a spec
//! written by an older daemon still loads after an upgrade.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A container's init process and everything around it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ContainerSpec {
    /// Full 64-hex container ID.
    pub id: String,
    /// Hostname inside the UTS namespace (Docker: the short ID unless `--hostname`).
    pub hostname: String,
    /// Domain name inside the UTS namespace; empty leaves it unset.
    pub domainname: String,
    /// The overlay that becomes `/`.
    pub rootfs: Rootfs,
    /// Extra mounts made after the default ones (`/proc`, `/dev`, ...), in order, with
    /// destinations relative to the container's root: `/etc/hosts`, `/etc/hostname`,
    /// `/etc/resolv.conf`, volumes and binds.
    pub mounts: Vec<Mount>,
    /// Where the network namespace comes from.
    pub network: NetNamespace,
    /// The process to run as PID 1.
    pub process: ProcessSpec,
    /// How the process's stdio is wired.
    pub stdio: StdioSpec,
    /// The container's cgroup.
    pub cgroup: CgroupSpec,
    /// `--privileged`: every capability the daemon holds, every host device, no masked or
    /// read-only paths, `/sys` read-write.
    pub privileged: bool,
    /// Paths masked with `/dev/null` (files) or an empty read-only tmpfs (directories).
    pub masked_paths: Vec<String>,
    /// Paths remounted read-only.
    pub readonly_paths: Vec<String>,
    /// Seccomp filters to install before `execve`; `None` is unconfined.
    pub seccomp: Option<crate::seccomp::Program>,
    /// Size of `/dev/shm` in bytes (Docker default 64 MiB).
    pub shm_size: u64,
    /// The json-file log the monitor writes; `None` keeps no log (exec processes).
    pub log: Option<LogSpec>,
    /// `--userns-remap`: run in a new user namespace with these ID maps; `None` keeps the
    /// host's user namespace.
    pub userns: Option<UserNamespace>,
}

/// The ID maps of a container's user namespace (`/proc/<pid>/uid_map`, `gid_map`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default)]
pub struct UserNamespace {
    /// User IDs, in order.
    pub uid_map: Vec<IdMap>,
    /// Group IDs, in order.
    pub gid_map: Vec<IdMap>,
}

/// One line of an ID map: `size` IDs from `container_id` inside are `host_id`... outside.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default)]
pub struct IdMap {
    /// First ID inside the namespace.
    pub container_id: u32,
    /// First ID on the host.
    pub host_id: u32,
    /// How many IDs.
    pub size: u32,
}

impl UserNamespace {
    /// The host ID that `id` inside maps to, if any.
    pub fn host_uid(&self, id: u32) -> Option<u32> {
        host_of(&self.uid_map, id)
    }

    /// The host group ID that `id` inside maps to, if any.
    pub fn host_gid(&self, id: u32) -> Option<u32> {
        host_of(&self.gid_map, id)
    }
}

impl UserNamespace {
    /// The ID inside that host uid `host` stands for, if mapped (what a commit, a diff or
    /// `cp` out of a remapped container reports).
    pub fn container_uid(&self, host: u32) -> Option<u32> {
        container_of(&self.uid_map, host)
    }

    /// The group ID inside that host gid `host` stands for, if mapped.
    pub fn container_gid(&self, host: u32) -> Option<u32> {
        container_of(&self.gid_map, host)
    }
}

fn container_of(maps: &[IdMap], host: u32) -> Option<u32> {
    maps.iter().find_map(|m| {
        let off = host.checked_sub(m.host_id)?;
        (off < m.size).then(|| m.container_id + off)
    })
}

fn host_of(maps: &[IdMap], id: u32) -> Option<u32> {
    maps.iter().find_map(|m| {
        let off = id.checked_sub(m.container_id)?;
        (off < m.size).then(|| m.host_id + off)
    })
}

/// An extra process inside a running container (`docker exec`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ExecSpec {
    /// Full 64-hex exec ID.
    pub id: String,
    /// The container it runs in.
    pub container_id: String,
    /// Host PID of the container's init; the exec joins its namespaces.
    pub init_pid: i32,
    /// The container's cgroup, which the exec process joins.
    pub cgroup: CgroupSpec,
    /// The process to run.
    pub process: ProcessSpec,
    /// How the process's stdio is wired.
    pub stdio: StdioSpec,
    /// `--privileged` for this exec: all capabilities the daemon holds.
    pub privileged: bool,
    /// The container's seccomp filters; `None` is unconfined.
    pub seccomp: Option<crate::seccomp::Program>,
}

/// The overlay root filesystem: image layers below, the container's own layer on top.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Rootfs {
    /// Read-only layer directories, topmost first. Empty means an empty root.
    pub lower: Vec<PathBuf>,
    /// The container's writable layer.
    pub upper: PathBuf,
    /// Overlay's work directory (same filesystem as `upper`).
    pub work: PathBuf,
    /// `--read-only`: mount the root read-only.
    pub readonly: bool,
}

/// One mount, OCI-style.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default)]
pub struct Mount {
    /// Path inside the container.
    pub destination: String,
    /// Filesystem type: `bind`, `tmpfs`, `proc`, ...
    #[serde(rename = "type")]
    pub fstype: String,
    /// Host path for binds, or the filesystem source.
    pub source: String,
    /// `ro`, `rbind`, `nosuid`, `mode=755`, `size=65536k`, ...
    pub options: Vec<String>,
    /// Volumes: when the source directory is empty, first copy into it what the rootfs
    /// has at the destination (Docker's copy-up of image content into a new volume).
    pub copy_up: bool,
}

/// Where the network namespace comes from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum NetNamespace {
    /// A fresh namespace with only `lo` (brought up).
    #[default]
    New,
    /// The host's namespace.
    Host,
    /// Join an existing namespace: a bind-mounted nsfs file or `/proc/PID/ns/net`.
    Join(PathBuf),
}

/// The program to run and who runs it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ProcessSpec {
    /// argv; `args[0]` is looked up in the process's `PATH` when it has no `/`.
    pub args: Vec<String>,
    /// `KEY=value` pairs, exactly as the process will see them.
    pub env: Vec<String>,
    /// Working directory inside the container; created (owned by the user) if missing,
    /// as Docker does. Empty means `/`.
    pub cwd: String,
    /// Docker's `User`: empty (root), `name`, `uid`, `name:group`, `uid:gid`. Resolved
    /// against the container's own `/etc/passwd` and `/etc/group`.
    pub user: String,
    /// `--group-add`: extra groups, names or numbers.
    pub additional_groups: Vec<String>,
    /// Capabilities by name (`CAP_CHOWN`, ...): bounding, effective, permitted set.
    /// Ignored when the spec is privileged.
    pub capabilities: Vec<String>,
    /// `no-new-privileges`.
    pub no_new_privileges: bool,
    /// rlimits to set before exec.
    pub rlimits: Vec<Rlimit>,
    /// `--init`: PID 1 is a tiny init that forks the command, forwards signals to it and
    /// reaps zombies ([`crate::process::pid1`]).
    pub init: bool,
}

/// One resource limit (`--ulimit nofile=1024:2048`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rlimit {
    /// `RLIMIT_NOFILE`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Soft limit.
    pub soft: u64,
    /// Hard limit.
    pub hard: u64,
}

/// How the process's stdin, stdout and stderr are wired by its monitor.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(default)]
pub struct StdioSpec {
    /// Allocate a pseudo-terminal; the process gets the slave as stdin/out/err and its
    /// controlling terminal. Output then travels as one stream.
    pub terminal: bool,
    /// Keep stdin open (`-i`); otherwise the process's stdin is `/dev/null`.
    pub open_stdin: bool,
    /// Close the process's stdin when the first attached client closes its stdin.
    pub stdin_once: bool,
    /// Initial terminal size as (height, width).
    pub console_size: Option<(u16, u16)>,
}

/// Docker's json-file log.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LogSpec {
    /// `<data-root>/containers/<id>/<id>-json.log`.
    pub path: PathBuf,
    /// Rotate when the file reaches this many bytes (`max-size`); `None` never rotates.
    pub max_size: Option<u64>,
    /// Keep this many files in all, the live one included (`max-file`, at least 1).
    pub max_files: u32,
}

/// A container's cgroup: `<parent>/<name>` in every hierarchy (v1) or in the unified tree
/// (v2).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CgroupSpec {
    /// Parent path relative to each hierarchy's root, e.g. `hako`.
    pub parent: String,
    /// Leaf name, the container ID.
    pub name: String,
    /// Limits applied at creation.
    pub resources: Resources,
    /// Allow every device (privileged); otherwise Docker's default device list.
    pub allow_all_devices: bool,
}

/// Resource limits; `None` or 0 leave the kernel default.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(default)]
pub struct Resources {
    /// Memory limit in bytes.
    pub memory: Option<i64>,
    /// Memory + swap limit in bytes (-1 unlimited).
    pub memory_swap: Option<i64>,
    /// Soft limit in bytes.
    pub memory_reservation: Option<i64>,
    /// Relative CPU weight (Docker's 2..262144 shares).
    pub cpu_shares: Option<u64>,
    /// CFS quota in µs per period.
    pub cpu_quota: Option<i64>,
    /// CFS period in µs.
    pub cpu_period: Option<u64>,
    /// `--cpuset-cpus`.
    pub cpuset_cpus: Option<String>,
    /// `--cpuset-mems`.
    pub cpuset_mems: Option<String>,
    /// `--pids-limit` (-1 unlimited).
    pub pids_limit: Option<i64>,
    /// Block-IO weight, 10..1000.
    pub blkio_weight: Option<u16>,
    /// `--oom-kill-disable`: a cgroup over its limit waits instead of losing a process
    /// (cgroup v1 only; the engine discards it on v2 as Docker does).
    pub oom_kill_disable: bool,
}

/// How a process ended, as Docker reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default)]
pub struct ExitStatus {
    /// Exit code; 128 + signal number when killed by a signal.
    pub code: i32,
    /// The signal that killed the process, if any.
    pub signal: Option<i32>,
    /// The kernel's OOM killer fired in the container's cgroup.
    pub oom_killed: bool,
    /// RFC 3339 time with nanoseconds, UTC.
    pub finished_at: String,
}
