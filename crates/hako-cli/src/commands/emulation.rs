//! `hako emulation ls|install|uninstall`: run images of other CPU architectures through
//! qemu-user handlers in binfmt_misc, managed by the daemon.

use super::{Ctx, out};
use crate::format::{render_list, template};
use hako_api_types::emulation::{EmulationArch, EmulationChange, EmulationRequest};

const DEFAULT_TABLE: &str =
    "table {{.Arch}}\t{{.Platform}}\t{{.Status}}\t{{.Handler}}\t{{.Interpreter}}";

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Show, per architecture, whether it runs natively, emulated or not at all
    #[command(name = "ls", visible_alias = "list")]
    Ls(LsArgs),
    /// Register qemu-user-static handlers (ARCH... or all; default all)
    Install(ChangeArgs),
    /// Remove handlers (default: those hako registered, restoring the state before)
    Uninstall(ChangeArgs),
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako emulation ls [OPTIONS]")]
pub struct LsArgs {
    /// Format output using a custom template ('table', 'json', 'TEMPLATE')
    #[arg(long)]
    format: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ChangeArgs {
    /// Architectures: arm64, arm/v7, arm/v6, ppc64le, s390x, riscv64, 386, amd64, mips64le
    arches: Vec<String>,
}

pub async fn run(ctx: &Ctx, c: Cmd) -> anyhow::Result<i32> {
    match c {
        Cmd::Ls(a) => ls(ctx, a).await,
        Cmd::Install(a) => change(ctx, "install", a).await,
        Cmd::Uninstall(a) => change(ctx, "uninstall", a).await,
    }
}

async fn ls(ctx: &Ctx, a: LsArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let list: Vec<EmulationArch> = client.get_json("/hako/emulation").await?;
    let fmt = match a.format.as_deref() {
        None | Some("") | Some("table") => DEFAULT_TABLE.to_string(),
        Some(f) => f.to_string(),
    };
    let rows: Vec<_> = list
        .iter()
        .map(|e| {
            template::object(vec![
                ("Arch", e.arch.clone()),
                ("Platform", e.platform.clone()),
                ("Status", status(e).into()),
                ("Handler", e.handler.clone()),
                ("Interpreter", e.interpreter.clone()),
                ("Flags", e.flags.clone()),
                ("Native", e.native.to_string()),
                ("CanRun", e.can_run.to_string()),
                ("RegisteredByHako", e.registered_by_hako.to_string()),
            ])
        })
        .collect();
    let header = template::object(vec![
        ("Arch", "ARCH".into()),
        ("Platform", "PLATFORM".into()),
        ("Status", "STATUS".into()),
        ("Handler", "HANDLER".into()),
        ("Interpreter", "INTERPRETER".into()),
        ("Flags", "FLAGS".into()),
        ("Native", "NATIVE".into()),
        ("CanRun", "CAN RUN".into()),
        ("RegisteredByHako", "BY HAKO".into()),
    ]);
    out(&render_list(&fmt, &rows, &header)?)?;
    Ok(0)
}

/// One word for what a container of this architecture gets here.
fn status(e: &EmulationArch) -> &'static str {
    match (e.native, e.handler.is_empty(), e.can_run, e.enabled) {
        (true, _, _, _) => "native",
        (false, true, _, _) => "not installed",
        (false, false, true, _) => "emulated",
        (false, false, false, false) => "disabled",
        // Registered without the fix-binary flag: the interpreter is not found in
        // containers.
        (false, false, false, true) => "no F flag",
    }
}

async fn change(ctx: &Ctx, verb: &str, a: ChangeArgs) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let changes: Vec<EmulationChange> = client
        .post_json(
            &format!("/hako/emulation/{verb}"),
            &EmulationRequest { arches: a.arches },
        )
        .await?;
    let mut s = String::new();
    for c in &changes {
        s.push_str(&format!("{}: {} ({})\n", c.arch, c.action, c.handler));
    }
    if changes.is_empty() {
        s.push_str("nothing to do\n");
    }
    out(&s)?;
    Ok(0)
}
