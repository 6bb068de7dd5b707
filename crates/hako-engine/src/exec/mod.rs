//! `docker exec`: extra processes in a running container.

/// `POST /containers/{id}/exec`.
#[derive(Debug, Clone, Default)]
pub struct ExecConfig {
    /// `-u`.
    pub user: String,
    /// `--privileged`.
    pub privileged: bool,
    /// `-t`.
    pub tty: bool,
    /// `-i`.
    pub attach_stdin: bool,
    /// Stream stdout.
    pub attach_stdout: bool,
    /// Stream stderr.
    pub attach_stderr: bool,
    /// Detach key sequence.
    pub detach_keys: Option<String>,
    /// `-e`, added to the container's environment.
    pub env: Vec<String>,
    /// `-w`; empty means the container's working dir.
    pub working_dir: String,
    /// The command.
    pub cmd: Vec<String>,
    /// Initial terminal size (height, width).
    pub console_size: Option<(u16, u16)>,
}

/// `POST /exec/{id}/start`.
#[derive(Debug, Clone, Default)]
pub struct ExecStartOptions {
    /// Run in the background; no attachment is returned.
    pub detach: bool,
    /// Override of the exec's `tty` (Docker allows it here too).
    pub tty: Option<bool>,
    /// Initial terminal size (height, width).
    pub console_size: Option<(u16, u16)>,
}

/// `GET /exec/{id}/json`.
#[derive(Debug, Clone, Default)]
pub struct ExecView {
    /// Exec ID.
    pub id: String,
    /// The container it belongs to.
    pub container_id: String,
    /// Still running.
    pub running: bool,
    /// Exit code once it has exited.
    pub exit_code: Option<i64>,
    /// Host PID while running, else 0.
    pub pid: i32,
    /// Stdin was requested.
    pub open_stdin: bool,
    /// Stdout was requested.
    pub open_stdout: bool,
    /// Stderr was requested.
    pub open_stderr: bool,
    /// Can be removed (not started or finished).
    pub can_remove: bool,
    /// Detach key sequence.
    pub detach_keys: String,
    /// The configuration it was created with.
    pub config: ExecConfig,
}

mod create;
pub(crate) mod entry;
mod inspect;
mod output;
mod start;
