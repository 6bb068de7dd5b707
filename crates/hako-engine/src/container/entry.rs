//! A container in memory: its record, its state, and a watch channel that wakes waiters
//! on every transition.

use std::path::PathBuf;

use tokio::sync::{Mutex, watch};

use super::record::Record;
use super::status::{State, Status};
use crate::logs::json_file::LogPaths;

/// What waiters watch: enough to decide every wait condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lifecycle {
    /// Current status.
    pub status: Status,
    /// Last exit code.
    pub exit_code: i32,
    /// How many times the container has exited since the daemon loaded it.
    pub exits: u64,
    /// The container is gone.
    pub removed: bool,
}

/// Mutable part, under the entry's lock.
#[derive(Debug)]
pub struct Inner {
    /// The persisted record.
    pub record: Record,
    /// The persisted state.
    pub state: State,
    /// Exec IDs belonging to this container.
    pub exec_ids: Vec<String>,
    /// Attachments waiting for the next start.
    pub pending_attaches: Vec<super::attach::Pending>,
    /// Bumped at every start, so a stale exit watcher can tell it is stale.
    pub generation: u64,
    /// The user asked for this container to stop (stop/kill): restart policies do not apply.
    pub stopped_by_user: bool,
    /// The restart policy's current back-off (0 before the first restart).
    pub restart_delay: std::time::Duration,
}

/// One container.
#[derive(Debug)]
pub struct Entry {
    /// Full ID.
    pub id: String,
    /// `<data_root>/containers/<id>`.
    pub dir: PathBuf,
    /// `<exec_root>/c/<id>`: the monitor's runtime directory.
    pub run_dir: PathBuf,
    /// Record and state.
    pub inner: Mutex<Inner>,
    /// Wakes waiters.
    pub lifecycle: watch::Sender<Lifecycle>,
}

impl Entry {
    /// Wraps a loaded or freshly created container.
    pub fn new(dir: PathBuf, run_dir: PathBuf, record: Record, state: State) -> Self {
        let lifecycle = Lifecycle {
            status: state.status,
            exit_code: state.exit_code,
            exits: 0,
            removed: false,
        };
        Self {
            id: record.id.clone(),
            dir,
            run_dir,
            inner: Mutex::new(Inner {
                record,
                state,
                exec_ids: Vec::new(),
                pending_attaches: Vec::new(),
                generation: 0,
                stopped_by_user: false,
                restart_delay: std::time::Duration::ZERO,
            }),
            lifecycle: watch::Sender::new(lifecycle),
        }
    }

    /// Path of the persisted record.
    pub fn record_path(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    /// Path of the persisted state.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Where the json-file log lives.
    pub fn log_paths(&self) -> LogPaths {
        LogPaths::new(self.dir.join(format!("{}-json.log", self.id)))
    }

    /// Publishes the current state to waiters.
    pub fn publish(&self, state: &State, exited: bool) {
        self.lifecycle.send_modify(|l| {
            l.status = state.status;
            l.exit_code = state.exit_code;
            if exited {
                l.exits += 1;
            }
        });
    }
}
