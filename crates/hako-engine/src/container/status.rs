//! The container state machine and its guards.

use serde::{Deserialize, Serialize};

/// Where a container is in its life, with Docker's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, never started (or start failed before exec).
    #[default]
    Created,
    /// Its process is running.
    Running,
    /// Frozen.
    Paused,
    /// Waiting to be restarted by its restart policy.
    Restarting,
    /// Being removed.
    Removing,
    /// Its process has exited.
    Exited,
    /// Removal failed half way.
    Dead,
}

impl Status {
    /// Docker's lowercase name (`running`, `exited`, ...), as used in filters and inspect.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Exited => "exited",
            Self::Dead => "dead",
        }
    }

    /// `start` is allowed.
    pub fn can_start(self) -> bool {
        matches!(self, Self::Created | Self::Exited)
    }

    /// The process is alive (signals, exec, attach to a live stream).
    pub fn is_running(self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Restarting)
    }

    /// `rm` without force is allowed.
    pub fn can_remove(self) -> bool {
        matches!(self, Self::Created | Self::Exited | Self::Dead)
    }
}

/// The mutable state of a container, persisted in `state.json`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct State {
    /// Current status.
    pub status: Status,
    /// Host PID of the init while running, else 0.
    pub pid: i32,
    /// Last exit code.
    pub exit_code: i32,
    /// Killed by the OOM killer.
    pub oom_killed: bool,
    /// Why the last start failed, if it did.
    pub error: String,
    /// RFC 3339 (nanoseconds) of the last start; Docker's zero time if never.
    pub started_at: String,
    /// RFC 3339 (nanoseconds) of the last exit; Docker's zero time if never.
    pub finished_at: String,
    /// Times the restart policy restarted it.
    pub restart_count: i64,
    /// Stopped or killed by a user (moby's `HasBeenManuallyStopped`): `unless-stopped`
    /// does not bring it back at daemon start.
    pub manually_stopped: bool,
    /// Health of a container with a health check (`None` without one).
    pub health: Option<Health>,
}

/// `State.Health`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Health {
    /// `starting`, `healthy` or `unhealthy`.
    pub status: String,
    /// Consecutive failed probes.
    pub failing_streak: i64,
    /// The last probes (at most 5), oldest first.
    pub log: Vec<HealthLog>,
}

/// One probe's result.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct HealthLog {
    /// RFC 3339 start time.
    pub start: String,
    /// RFC 3339 end time.
    pub end: String,
    /// Exit code (-1 when the probe could not run or timed out).
    pub exit_code: i64,
    /// Its output, at most 4 KiB.
    pub output: String,
}

/// Docker prints this for times that never happened.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl State {
    /// A fresh, never-started state.
    pub fn new() -> Self {
        Self {
            started_at: ZERO_TIME.to_string(),
            finished_at: ZERO_TIME.to_string(),
            ..Self::default()
        }
    }
}
