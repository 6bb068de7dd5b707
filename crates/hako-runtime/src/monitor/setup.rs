//! Everything before `created`: cgroup, stdio, log, socket, the clone, the handshake with
//! the child. Whatever fails is undone ([`Pending::abandon`]) before the error is reported.

use std::fmt::Display;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::termios::Winsize;

use super::sync::SyncChannel;
use super::{JsonLog, Monitor, Output, Phase, Stream};
use crate::cgroup::{self, CgroupManager};
use crate::client::SOCKET_FILE;
use crate::namespaces;
use crate::process::channel::{self, Channel, Message};
use crate::process::stdio::{self, ChildStdio, MonitorStdio};
use crate::process::{ChildContext, SetupFailure};
use crate::protocol::MonitorSpec;
use crate::rootfs::Plan;
use crate::spec::{ContainerSpec, ExecSpec, StdioSpec};
use crate::sys::linux::LinuxSys;
use crate::sys::raw::{self, Forked};

/// A failed setup, with the sync channel to report it on.
#[derive(Debug)]
pub(super) struct SetupFailed {
    pub sync: Option<SyncChannel>,
    pub failure: SetupFailure,
}

fn other<E: Display>(what: &'static str) -> impl FnOnce(E) -> SetupFailure {
    move |e| SetupFailure::other(what, e)
}

/// Resources acquired so far, released if setup fails.
#[derive(Debug, Default)]
struct Pending {
    cgroup: Option<Box<dyn CgroupManager>>,
    owns_cgroup: bool,
    socket: Option<PathBuf>,
    listener: Option<UnixListener>,
    rootfs_dir: Option<PathBuf>,
    child: Option<(i32, OwnedFd)>,
}

impl Pending {
    fn abandon(self) {
        if let Some((_, pidfd)) = &self.child {
            let _ = raw::pidfd_signal(pidfd, libc::SIGKILL);
            let _ = rustix::process::waitid(
                rustix::process::WaitId::PidFd(pidfd.as_fd()),
                rustix::process::WaitIdOptions::EXITED,
            );
        }
        if self.owns_cgroup
            && let Some(cg) = &self.cgroup
            && let Err(e) = cg.remove()
        {
            tracing::warn!(error = %e, "cannot remove the cgroup of a failed container");
        }
        if let Some(sock) = &self.socket {
            let _ = std::fs::remove_file(sock);
        }
        if let Some(dir) = &self.rootfs_dir {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// What the handshake produced.
struct Parts {
    chan: Channel,
    stdio: MonitorStdio,
    master: Option<OwnedFd>,
    log: Option<JsonLog>,
    stdio_spec: StdioSpec,
}

/// Runs the setup for `spec`.
pub(super) fn setup(
    dir: &Path,
    spec: MonitorSpec,
    sync: Option<SyncChannel>,
) -> Result<Monitor, SetupFailed> {
    let mut pending = Pending::default();
    let built = match &spec {
        MonitorSpec::Container(c) => build_container(&mut pending, dir, c),
        MonitorSpec::Exec(e) => build_exec(&mut pending, dir, e),
    };
    match built {
        Ok(parts) => assemble(dir, pending, parts, sync)
            .map_err(|(sync, failure)| SetupFailed { sync, failure }),
        Err(failure) => {
            pending.abandon();
            Err(SetupFailed { sync, failure })
        }
    }
}

fn bind(dir: &Path) -> std::io::Result<(UnixListener, PathBuf)> {
    let path = dir.join(SOCKET_FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(&path)?;
    listener.set_nonblocking(true)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok((listener, path))
}

fn make_stdio(spec: &StdioSpec) -> Result<(MonitorStdio, ChildStdio), SetupFailure> {
    if spec.terminal {
        Ok((MonitorStdio::default(), ChildStdio::Terminal))
    } else {
        stdio::pipes(spec.open_stdin).map_err(other("create stdio pipes"))
    }
}

fn build_container(
    p: &mut Pending,
    dir: &Path,
    spec: &ContainerSpec,
) -> Result<Parts, SetupFailure> {
    if !spec.cgroup.name.is_empty() {
        let cg = p
            .cgroup
            .insert(cgroup::open(&spec.cgroup).map_err(other("cgroup"))?);
        p.owns_cgroup = true;
        cg.create().map_err(other("create cgroup"))?;
        cg.apply(&spec.cgroup.resources)
            .map_err(other("apply cgroup resources"))?;
        cg.set_devices(spec.cgroup.allow_all_devices || spec.privileged)
            .map_err(other("set cgroup devices"))?;
    }
    let (mon_stdio, child_stdio) = make_stdio(&spec.stdio)?;
    let log = spec
        .log
        .as_ref()
        .map(JsonLog::open)
        .transpose()
        .map_err(other("open container log"))?;
    let root = dir.join("rootfs");
    match std::fs::create_dir(&root) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(other("create rootfs dir")(e));
        }
        _ => p.rootfs_dir = Some(root.clone()),
    }
    let (listener, path) = bind(dir).map_err(other("bind monitor socket"))?;
    (p.listener, p.socket) = (Some(listener), Some(path));
    let (chan, child_chan) = channel::pair().map_err(other("create channel"))?;
    let plan = Plan {
        root,
        rootfs: &spec.rootfs,
        mounts: &spec.mounts,
        cgroups: p
            .cgroup
            .as_ref()
            .map(|c| c.container_mounts())
            .unwrap_or_default(),
        privileged: spec.privileged,
        masked_paths: &spec.masked_paths,
        readonly_paths: &spec.readonly_paths,
        shm_size: spec.shm_size,
        userns: spec.userns.is_some(),
    };
    let flags = namespaces::clone_flags(&spec.network, spec.userns.is_some());
    if spec.userns.is_some() {
        namespaces::enter_network_for_children(&spec.network)
            .map_err(other("enter the network namespace"))?;
    }
    let joins_itself;
    p.child = {
        let mut ctx = ChildContext {
            chan: child_chan,
            stdio: child_stdio,
            join: None,
        };
        match clone_child(p.cgroup.as_deref(), flags, &mut ctx)? {
            Forked::Child => crate::process::init::run(&ctx, spec, &plan, &LinuxSys),
            Forked::Parent { pid, pidfd } => {
                joins_itself = ctx.join.is_some();
                Some((pid, pidfd))
            }
        }
        // `ctx` dropped: our copies of the child's ends, so EOF reaches us when it execs.
    };
    if let (Some(userns), Some((pid, _))) = (&spec.userns, &p.child) {
        prepare_userns(
            &chan,
            *pid,
            userns,
            &spec.rootfs,
            p.cgroup.as_deref(),
            joins_itself,
        )?;
    }
    let master = handshake(&chan, &spec.stdio)?;
    Ok(Parts {
        chan,
        stdio: mon_stdio,
        master,
        log,
        stdio_spec: spec.stdio,
    })
}

fn build_exec(p: &mut Pending, dir: &Path, spec: &ExecSpec) -> Result<Parts, SetupFailure> {
    let not_running = |_| {
        SetupFailure::other(
            "exec",
            format!("container process {} is not running", spec.init_pid),
        )
    };
    let pid = rustix::process::Pid::from_raw(spec.init_pid).ok_or_else(|| not_running(()))?;
    let init_pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
        .map_err(|_| not_running(()))?;
    if !spec.cgroup.name.is_empty() {
        let cg = p
            .cgroup
            .insert(cgroup::open(&spec.cgroup).map_err(other("cgroup"))?);
        // The pidfd pins the process: if it is in the container's cgroup now, it is the
        // container's init, not a recycled pid.
        let membership = std::fs::read_to_string(format!("/proc/{}/cgroup", spec.init_pid))
            .map_err(|_| not_running(()))?;
        if !cg.owns(&membership) {
            return Err(not_running(()));
        }
    }
    let (mon_stdio, child_stdio) = make_stdio(&spec.stdio)?;
    let (listener, path) = bind(dir).map_err(other("bind monitor socket"))?;
    (p.listener, p.socket) = (Some(listener), Some(path));
    let (chan, child_chan) = channel::pair().map_err(other("create channel"))?;
    namespaces::enter_pid_namespace_for_children(&init_pidfd)
        .map_err(other("enter pid namespace"))?;
    p.child = {
        let mut ctx = ChildContext {
            chan: child_chan,
            stdio: child_stdio,
            join: None,
        };
        match clone_child(p.cgroup.as_deref(), 0, &mut ctx)? {
            Forked::Child => crate::process::exec::run(&ctx, spec, &init_pidfd),
            Forked::Parent { pid, pidfd } => Some((pid, pidfd)),
        }
    };
    drop(init_pidfd);
    let master = handshake(&chan, &spec.stdio)?;
    Ok(Parts {
        chan,
        stdio: mon_stdio,
        master,
        log: None,
        stdio_spec: spec.stdio,
    })
}

/// For an init cloned into a new user namespace, whatever needs the host's privileges: its
/// ID maps, its cgroup (the cgroup files belong to an ID it no longer maps) and its root
/// overlay with idmapped layers ([`crate::sys::idmap`]); then the go-ahead on the channel.
fn prepare_userns(
    chan: &Channel,
    pid: i32,
    userns: &crate::spec::UserNamespace,
    rootfs: &crate::spec::Rootfs,
    cgroup: Option<&dyn CgroupManager>,
    joins_itself: bool,
) -> Result<(), SetupFailure> {
    crate::sys::idmap::write_maps(pid, &userns.uid_map, &userns.gid_map)
        .map_err(other("write the user namespace's ID maps"))?;
    if joins_itself && let Some(cg) = cgroup {
        cg.add_process(pid).map_err(other("join cgroup"))?;
    }
    let overlay = if rootfs.lower.is_empty() {
        None
    } else {
        let ns = std::fs::File::open(format!("/proc/{pid}/ns/user"))
            .map_err(other("open the user namespace"))?;
        Some(
            crate::sys::idmap::idmapped_overlay(
                ns.as_fd(),
                &rootfs.lower,
                &rootfs.upper,
                &rootfs.work,
            )
            .map_err(other("mount the root overlay with idmapped layers"))?,
        )
    };
    chan.send_with(&Message::UserNs, overlay.as_ref().map(|f| f.as_fd()))
        .map_err(other("hand the user namespace to the child"))
}

/// Clones the child: on cgroup v2 it is born in its cgroup (`CLONE_INTO_CGROUP`); otherwise
/// `ctx.join` tells it to move itself in first thing, which on v1 avoids the grace period a
/// `cgroup.procs` write from the monitor costs (about 10 ms on a quiet host).
fn clone_child<'a>(
    cgroup: Option<&'a dyn CgroupManager>,
    flags: u64,
    ctx: &mut ChildContext<'a>,
) -> Result<Forked, SetupFailure> {
    let into = cgroup.and_then(|c| c.clone_into()).map(|dir| {
        rustix::fs::open(
            &dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    });
    match into {
        Some(Ok(fd)) => {
            ctx.join = None;
            match raw::clone_process(flags, Some(fd.as_fd())) {
                Ok(forked) => return Ok(forked),
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EINVAL | libc::E2BIG | libc::ENOSYS)
                    ) =>
                {
                    tracing::debug!(error = %e, "CLONE_INTO_CGROUP refused, the child joins itself");
                }
                Err(e) => return Err(other("clone")(e)),
            }
        }
        Some(Err(e)) => return Err(other("open cgroup")(e)),
        None => {}
    }
    ctx.join = cgroup;
    raw::clone_process(flags, None).map_err(other("clone"))
}

/// Waits for the child's `Ready`, collecting the pty master on the way.
fn handshake(chan: &Channel, stdio: &StdioSpec) -> Result<Option<OwnedFd>, SetupFailure> {
    let mut master = None;
    loop {
        match chan.recv().map_err(other("wait for the child"))? {
            Some((Message::Console, Some(fd))) => {
                if let Some((h, w)) = stdio.console_size {
                    let size = Winsize {
                        ws_row: h,
                        ws_col: w,
                        ws_xpixel: 0,
                        ws_ypixel: 0,
                    };
                    rustix::termios::tcsetwinsize(&fd, size).map_err(other("set terminal size"))?;
                }
                master = Some(fd);
            }
            Some((Message::Ready, _)) => return Ok(master),
            Some((Message::Failed { failure, message }, _)) => {
                return Err(SetupFailure { failure, message });
            }
            Some((other_msg, _)) => tracing::debug!(?other_msg, "unexpected message during setup"),
            None => return Err(SetupFailure::other("container init", "exited during setup")),
        }
    }
}

fn nonblocking(fd: OwnedFd) -> std::io::Result<OwnedFd> {
    rustix::io::ioctl_fionbio(&fd, true)?;
    Ok(fd)
}

fn assemble(
    dir: &Path,
    mut p: Pending,
    parts: Parts,
    sync: Option<SyncChannel>,
) -> Result<Monitor, (Option<SyncChannel>, SetupFailure)> {
    let wire = || -> std::io::Result<(Vec<Output>, Option<OwnedFd>, Option<OwnedFd>)> {
        let mut outputs = Vec::new();
        let mut stdin = None;
        let mut terminal = None;
        if let Some(master) = parts.master {
            let master = nonblocking(master)?;
            outputs.push(Output {
                fd: master.try_clone()?,
                stream: Stream::Stdout,
                eof: false,
            });
            if parts.stdio_spec.open_stdin {
                stdin = Some(master.try_clone()?);
            }
            terminal = Some(master);
        } else {
            if let Some(fd) = parts.stdio.stdout {
                outputs.push(Output {
                    fd: nonblocking(fd)?,
                    stream: Stream::Stdout,
                    eof: false,
                });
            }
            if let Some(fd) = parts.stdio.stderr {
                outputs.push(Output {
                    fd: nonblocking(fd)?,
                    stream: Stream::Stderr,
                    eof: false,
                });
            }
            stdin = parts.stdio.stdin.map(nonblocking).transpose()?;
        }
        Ok((outputs, stdin, terminal))
    };
    let (outputs, stdin, terminal) = match wire() {
        Ok(w) => w,
        Err(e) => {
            p.abandon();
            return Err((sync, SetupFailure::other("set up stdio relay", e)));
        }
    };
    let Some((pid, pidfd)) = p.child.take() else {
        return Err((sync, SetupFailure::other("setup", "no child")));
    };
    Ok(Monitor {
        dir: dir.to_path_buf(),
        sync,
        listener: p.listener.take(),
        pid,
        pidfd,
        chan: Some(parts.chan),
        phase: Phase::Created,
        stdin,
        stdin_buf: Vec::new(),
        stdin_close_pending: false,
        stdin_once: parts.stdio_spec.stdin_once,
        terminal,
        outputs,
        log: parts.log,
        clients: Vec::new(),
        cgroup: p.cgroup.take(),
        owns_cgroup: p.owns_cgroup,
        status: None,
        deadline: None,
    })
}
