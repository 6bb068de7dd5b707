//! A process joining a running container (`docker exec`), from clone to `execve`. The
//! monitor has already entered the init's pid namespace, so this child is born inside it.

use std::convert::Infallible;
use std::os::fd::OwnedFd;
use std::path::Path;

use super::init::{io_failure, join_cgroup, setup_session};
use super::{ChildContext, SetupFailure, launch, prepare, run_child};
use crate::namespaces;
use crate::spec::ExecSpec;

/// Runs the exec process's setup; never returns.
pub fn run(ctx: &ChildContext<'_>, spec: &ExecSpec, init_pidfd: &OwnedFd) -> ! {
    run_child(&ctx.chan, || steps(ctx, spec, init_pidfd))
}

fn steps(
    ctx: &ChildContext<'_>,
    spec: &ExecSpec,
    init_pidfd: &OwnedFd,
) -> Result<Infallible, SetupFailure> {
    ctx.stdio.install().map_err(io_failure("set up stdio"))?;
    join_cgroup(ctx)?;
    namespaces::enter_container(init_pidfd, spec.init_pid)
        .map_err(io_failure("enter the container"))?;
    let ptmx = Path::new("/dev/pts/ptmx");
    setup_session(ctx, spec.stdio.terminal.then_some(ptmx))?;
    let mut launch = prepare::prepare(&spec.process, spec.privileged)?;
    launch.seccomp = prepare::Filters::of(spec.seccomp.as_ref());
    launch::launch(&ctx.chan, launch)
}
