//! A container's init, from clone to `execve`.

use std::convert::Infallible;
use std::os::fd::AsFd;

use super::{ChildContext, Message, SetupFailure, launch, prepare, run_child, terminal};
use crate::lookup::go_error_text;
use crate::namespaces;
use crate::rootfs::{self, Plan};
use crate::spec::ContainerSpec;
use crate::sys::{Sys, raw};

/// Runs the init's whole setup; never returns.
pub fn run(ctx: &ChildContext<'_>, spec: &ContainerSpec, plan: &Plan<'_>, sys: &dyn Sys) -> ! {
    run_child(&ctx.chan, || steps(ctx, spec, plan, sys))
}

pub(crate) fn io_failure(what: &'static str) -> impl FnOnce(std::io::Error) -> SetupFailure {
    move |e| SetupFailure::other(what, go_error_text(&e))
}

/// Moves into the container's cgroup unless born there, before any namespace is entered
/// (the cgroup files are the host's) and before anything is allocated on its behalf.
pub(crate) fn join_cgroup(ctx: &ChildContext<'_>) -> Result<(), SetupFailure> {
    match ctx.join {
        Some(cg) => cg
            .join_self()
            .map_err(|e| SetupFailure::other("join cgroup", e)),
        None => Ok(()),
    }
}

/// With a terminal: the pty (from `ptmx`) becomes the controlling tty and the master goes
/// to the monitor; without: a new session all the same.
pub(crate) fn setup_session(
    ctx: &ChildContext<'_>,
    ptmx: Option<&std::path::Path>,
) -> Result<Option<u32>, SetupFailure> {
    let Some(ptmx) = ptmx else {
        rustix::process::setsid().map_err(|e| io_failure("setsid")(e.into()))?;
        return Ok(None);
    };
    let pty = terminal::open(ptmx).map_err(io_failure("open a terminal"))?;
    ctx.chan
        .send_with(&Message::Console, Some(pty.master.as_fd()))
        .map_err(io_failure("send the terminal to the monitor"))?;
    terminal::make_controlling(&pty.slave).map_err(io_failure("set the controlling terminal"))?;
    Ok(Some(pty.number))
}

/// In a new user namespace: waits for the monitor to write the ID maps (and join the cgroup)
/// and becomes the namespace's root, so that what the setup creates is owned by the
/// container's root. Returns the root overlay the monitor built, if any.
fn enter_userns(ctx: &ChildContext<'_>) -> Result<Option<std::os::fd::OwnedFd>, SetupFailure> {
    let fd = match ctx
        .chan
        .recv()
        .map_err(io_failure("wait for the ID maps"))?
    {
        Some((Message::UserNs, fd)) => fd,
        _ => return Err(SetupFailure::other("user namespace", "aborted")),
    };
    let kernel = |what: &'static str| move |e: nix::Error| io_failure(what)(e.into());
    nix::unistd::setgroups(&[]).map_err(kernel("setgroups"))?;
    let root_gid = nix::unistd::Gid::from_raw(0);
    nix::unistd::setresgid(root_gid, root_gid, root_gid).map_err(kernel("setgid"))?;
    let root_uid = nix::unistd::Uid::from_raw(0);
    nix::unistd::setresuid(root_uid, root_uid, root_uid).map_err(kernel("setuid"))?;
    Ok(fd)
}

fn steps(
    ctx: &ChildContext<'_>,
    spec: &ContainerSpec,
    plan: &Plan<'_>,
    sys: &dyn Sys,
) -> Result<Infallible, SetupFailure> {
    ctx.stdio.install().map_err(io_failure("set up stdio"))?;
    let overlay = if spec.userns.is_some() {
        enter_userns(ctx)?
    } else {
        join_cgroup(ctx)?;
        None
    };
    raw::unshare_cgroup_ns().map_err(io_failure("unshare the cgroup namespace"))?;
    // With a user namespace the monitor entered a joined network namespace for us.
    if spec.userns.is_none() || spec.network == crate::spec::NetNamespace::New {
        namespaces::setup_network(&spec.network)
            .map_err(io_failure("set up the network namespace"))?;
    }

    match overlay {
        Some(fd) => {
            rootfs::make_private(sys)?;
            crate::sys::idmap::attach(fd.as_fd(), &plan.root)
                .map_err(io_failure("attach the root overlay"))?;
        }
        None => rootfs::mount_root(sys, plan)?,
    }
    rootfs::mount_system(sys, plan)?;
    let ptmx = plan.root.join("dev/pts/ptmx");
    let terminal = setup_session(ctx, spec.stdio.terminal.then_some(ptmx.as_path()))?;
    if let Some(n) = terminal {
        rootfs::bind_console(sys, plan, &plan.root.join(format!("dev/pts/{n}")))?;
    }
    rootfs::mount_extra(sys, plan)?;
    rootfs::pivot(sys, plan)?;
    if !spec.hostname.is_empty() {
        sys.set_hostname(&spec.hostname)
            .map_err(io_failure("sethostname"))?;
    }
    if !spec.domainname.is_empty() {
        sys.set_domainname(&spec.domainname)
            .map_err(io_failure("setdomainname"))?;
    }
    rootfs::finalize(sys, plan)?;
    let mut launch = prepare::prepare(&spec.process, spec.privileged)?;
    launch.seccomp = prepare::Filters::of(spec.seccomp.as_ref());
    // Read-only only now: the working directory may have had to be created.
    rootfs::remount_root_readonly(sys, plan)?;
    launch::launch(&ctx.chan, launch)
}
