//! `POST /exec/{id}/start` and `/exec/{id}/resize`.

use hako_runtime::client::{self, MonitorClient};
use hako_runtime::spec::{ExecSpec, StdioSpec};
use tracing::instrument;

use crate::container::attach::{connect, new_pending};
use crate::container::options::{AttachOptions, Attachment};
use crate::container::spec::{cgroup_spec, container_env, process_spec, replace_or_append};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::exec::{ExecStartOptions, output};

impl Engine {
    /// Starts an exec instance; returns its attachment unless detached.
    #[instrument(skip(self, opts), fields(exec.id = id))]
    pub async fn exec_start(&self, id: &str, opts: ExecStartOptions) -> Result<Option<Attachment>> {
        let exec = self.exec_entry(id)?;
        {
            let mut already = false;
            exec.update(|s| {
                already = s.started;
                s.started = true;
            });
            if already {
                return Err(EngineError::ExecAlreadyStarted(exec.id.clone()));
            }
        }
        let entry = self.containers.get(&exec.container_id)?;
        let cfg = &exec.config;
        let tty = opts.tty.unwrap_or(cfg.tty);
        let (spec, attrs) = {
            let inner = entry.inner.lock().await;
            if !inner.state.status.is_running() {
                return Err(EngineError::NotRunning(entry.id.clone()));
            }
            let rec = &inner.record;
            let mut env = container_env(&rec.config.env, &rec.config.hostname, tty);
            replace_or_append(&mut env, &cfg.env);
            let mut host_config = rec.host_config.clone();
            host_config.privileged = rec.host_config.privileged || cfg.privileged;
            let cwd = if cfg.working_dir.is_empty() {
                &rec.config.working_dir
            } else {
                &cfg.working_dir
            };
            let user = if cfg.user.is_empty() {
                &rec.config.user
            } else {
                &cfg.user
            };
            let spec = ExecSpec {
                id: exec.id.clone(),
                container_id: entry.id.clone(),
                init_pid: inner.state.pid,
                cgroup: cgroup_spec(&rec.host_config, &self.config.cgroup_parent, &entry.id),
                process: process_spec(cfg.cmd.clone(), env, cwd, user, &host_config)?,
                stdio: StdioSpec {
                    terminal: tty,
                    open_stdin: cfg.attach_stdin,
                    stdin_once: true,
                    console_size: opts.console_size.or(cfg.console_size),
                },
                privileged: host_config.privileged,
                seccomp: crate::container::spec::seccomp_for(&rec.host_config)?,
            };
            let mut attrs = crate::container::create::container_attributes(rec);
            attrs.insert("execID".into(), exec.id.clone());
            (spec, attrs)
        };
        let dir = self.exec_run_dir(&exec.id);
        let _ = std::fs::remove_dir_all(&dir);
        let created = client::create_exec(&self.config.exe, &dir, &spec).await?;
        let attachment = if opts.detach {
            None
        } else {
            let aopts = AttachOptions {
                stdin: cfg.attach_stdin,
                stdout: cfg.attach_stdout,
                stderr: cfg.attach_stderr,
                stream: true,
                logs: false,
                detach_keys: cfg.detach_keys.clone(),
            };
            let (pending, attachment) = new_pending(&aopts, tty, cfg.attach_stdin)?;
            connect(MonitorClient::new(&dir), pending).await;
            Some(attachment)
        };
        let running = match created.start().await {
            Ok(r) => r,
            Err(e) => {
                exec.update(|s| s.exit_code = Some(126));
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e.into());
            }
        };
        exec.update(|s| {
            s.running = true;
            s.pid = running.pid;
        });
        let (recorded, recorded_rx) = tokio::sync::oneshot::channel();
        let attachment = attachment.map(|mut a| {
            a.output = Box::pin(output::EndsAfterExit::new(
                a.output,
                recorded_rx,
                dir.join(client::EXIT_FILE),
            ));
            a
        });
        let action = format!("exec_start: {}", cfg.cmd.join(" "));
        self.events
            .emit("container", &action, &entry.id, attrs.clone());
        let events = self.handle();
        tokio::spawn(async move {
            let code = match running.wait().await {
                Ok(st) => i64::from(st.code),
                Err(_) => 137,
            };
            exec.update(|s| {
                s.running = false;
                s.pid = 0;
                s.exit_code = Some(code);
            });
            // Before the directory (and its exit file) goes: see `output`.
            let _ = recorded.send(());
            let _ = std::fs::remove_dir_all(&dir);
            if let Some(engine) = events {
                let mut attrs = attrs;
                attrs.insert("exitCode".into(), code.to_string());
                engine
                    .events
                    .emit("container", "exec_die", &exec.container_id, attrs);
            }
        });
        Ok(attachment)
    }

    /// Resizes the exec's terminal.
    pub async fn exec_resize(&self, id: &str, height: u16, width: u16) -> Result<()> {
        let exec = self.exec_entry(id)?;
        if !exec.snapshot().running {
            return Err(EngineError::NotRunning(exec.container_id.clone()));
        }
        MonitorClient::new(&self.exec_run_dir(&exec.id))
            .resize(height, width)
            .await
            .map_err(Into::into)
    }
}
