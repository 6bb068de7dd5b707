//! The clap tree and dispatch. One file per verb; each exposes `Args` (clap derive) and
//! `async fn run(ctx, args) -> anyhow::Result<i32>` returning the exit status.

mod attach;
mod build;
mod commit;
mod container_opts;
mod cp;
mod create;
mod each;
mod emulation;
mod events;
mod exec;
mod images;
mod images_tree;
mod import;
mod info;
mod inspect;
mod kill;
mod load;
mod login;
mod logs;
mod manifest;
mod network;
mod port;
pub(crate) mod prune;
mod ps;
mod pull;
mod resources;
mod rm;
mod rmi;
mod run;
mod save;
mod start;
mod stop;
mod streams;
mod system;
mod system_df;
mod system_prune;
mod version;
mod volume;
mod wait;

use crate::client::{Client, Host, TlsFlags, resolve_host_tls};
use crate::error::StatusError;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;

#[derive(Debug, Parser)]
#[command(
    name = "hako",
    bin_name = "hako",
    about = "A self-sufficient runtime for containers",
    disable_version_flag = true,
    subcommand_required = false
)]
struct Cli {
    /// Daemon socket to connect to (unix:///path or tcp://HOST:PORT)
    #[arg(short = 'H', long = "host", value_name = "HOST")]
    host: Option<String>,
    /// Use TLS (implied by --tlsverify); the server is verified all the same
    #[arg(long)]
    tls: bool,
    /// Use TLS and verify the remote
    #[arg(long)]
    tlsverify: bool,
    /// Trust certs signed only by this CA
    #[arg(long, value_name = "PATH")]
    tlscacert: Option<std::path::PathBuf>,
    /// Path to TLS certificate file
    #[arg(long, value_name = "PATH")]
    tlscert: Option<std::path::PathBuf>,
    /// Path to TLS key file
    #[arg(long, value_name = "PATH")]
    tlskey: Option<std::path::PathBuf>,
    /// Enable debug mode
    #[arg(short = 'D', long)]
    debug: bool,
    /// Set the logging level ("debug", "info", "warn", "error", "fatal")
    #[arg(short = 'l', long = "log-level", value_name = "LEVEL")]
    log_level: Option<String>,
    /// Location of client config files (accepted for compatibility, unused)
    #[arg(long, value_name = "DIR")]
    config: Option<String>,
    /// Print version information and quit
    #[arg(short = 'v', long = "version")]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create and run a new container from an image
    Run(run::Args),
    /// Execute a command in a running container
    Exec(exec::Args),
    /// List containers
    Ps(ps::Args),
    /// List images
    Images(images::Args),
    /// Show the hako version information
    Version(version::Args),
    /// Display system-wide information
    Info(info::Args),
    /// Remove one or more images
    Rmi(rmi::Args),
    /// Import the contents from a tarball to create a filesystem image
    Import(import::Args),
    /// Build an image from a Dockerfile
    Build(build::Args),
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    Save(save::Args),
    /// Load an image from a tar archive or STDIN
    Load(load::Args),
    /// Download an image from a registry
    Pull(pull::Args),
    /// Upload an image to a registry
    Push(pull::PushArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(pull::TagArgs),
    /// Create a new image from a container's changes
    Commit(commit::Args),
    /// Show the history of an image
    History(commit::HistoryArgs),
    /// Log in to a registry
    Login(login::LoginArgs),
    /// Log out from a registry
    Logout(login::LogoutArgs),
    /// Create a new container
    Create(create::Args),
    /// Start one or more stopped containers
    Start(start::Args),
    /// Stop one or more running containers
    Stop(stop::Args),
    /// Kill one or more running containers
    Kill(kill::Args),
    /// Remove one or more containers
    Rm(rm::Args),
    /// Fetch the logs of a container
    Logs(logs::Args),
    /// Attach local standard input, output, and error streams to a running container
    Attach(attach::Args),
    /// Return low-level information on hako objects
    Inspect(inspect::Args),
    /// Block until one or more containers stop, then print their exit codes
    Wait(wait::Args),
    /// Pause all processes within one or more containers
    Pause(resources::Containers),
    /// Unpause all processes within one or more containers
    Unpause(resources::Containers),
    /// Restart one or more containers
    Restart(resources::RestartArgs),
    /// Rename a container
    Rename(resources::RenameArgs),
    /// Display the running processes of a container
    Top(resources::TopArgs),
    /// Update configuration of one or more containers
    Update(resources::UpdateArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(resources::StatsArgs),
    /// Get real time events from the server
    Events(events::Args),
    /// Manage containers
    #[command(subcommand)]
    Container(ContainerCmd),
    /// Manage images
    #[command(subcommand)]
    Image(ImageCmd),
    /// Manage volumes
    #[command(subcommand)]
    Volume(volume::Cmd),
    /// Manage hako
    #[command(subcommand)]
    System(system::Cmd),
    /// Manage networks
    #[command(subcommand)]
    Network(network::Cmd),
    /// List port mappings or a specific mapping for the container
    Port(port::Args),
    /// Copy files/folders between a container and the local filesystem
    Cp(cp::Args),
    /// Inspect changes to files or directories on a container's filesystem
    Diff(cp::DiffArgs),
    /// Export a container's filesystem as a tar archive
    Export(cp::ExportArgs),
    /// Run images of other CPU architectures (qemu-user via binfmt_misc)
    #[command(subcommand)]
    Emulation(emulation::Cmd),
    /// Inspect images on their registry (manifest lists and platforms)
    #[command(subcommand)]
    Manifest(manifest::Cmd),
    /// Run the hako daemon (handled by the hako binary)
    Daemon {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
}

#[derive(Debug, Subcommand)]
enum ContainerCmd {
    /// Create and run a new container from an image
    Run(run::Args),
    /// Create a new container
    Create(create::Args),
    /// Start one or more stopped containers
    Start(start::Args),
    /// Stop one or more running containers
    Stop(stop::Args),
    /// Kill one or more running containers
    Kill(kill::Args),
    /// Remove one or more containers
    Rm(rm::Args),
    /// List containers
    #[command(name = "ls", visible_aliases = ["list", "ps"])]
    Ls(ps::Args),
    /// Fetch the logs of a container
    Logs(logs::Args),
    /// Execute a command in a running container
    Exec(exec::Args),
    /// Attach to a running container
    Attach(attach::Args),
    /// Display detailed information on one or more containers
    Inspect(inspect::TypedArgs),
    /// Block until one or more containers stop
    Wait(wait::Args),
    /// Pause all processes within one or more containers
    Pause(resources::Containers),
    /// Unpause all processes within one or more containers
    Unpause(resources::Containers),
    /// Restart one or more containers
    Restart(resources::RestartArgs),
    /// Rename a container
    Rename(resources::RenameArgs),
    /// Display the running processes of a container
    Top(resources::TopArgs),
    /// Update configuration of one or more containers
    Update(resources::UpdateArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(resources::StatsArgs),
    /// Remove all stopped containers
    Prune(resources::PruneArgs),
    /// Create a new image from a container's changes
    Commit(commit::Args),
    /// List port mappings or a specific mapping for the container
    Port(port::Args),
}

#[derive(Debug, Subcommand)]
enum ImageCmd {
    /// List images
    #[command(name = "ls", visible_alias = "list")]
    Ls(images::Args),
    /// Remove one or more images
    #[command(name = "rm", visible_alias = "remove")]
    Rm(rmi::Args),
    /// Import the contents from a tarball to create a filesystem image
    Import(import::Args),
    /// Build an image from a Dockerfile
    Build(build::Args),
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    Save(save::Args),
    /// Load an image from a tar archive or STDIN
    Load(load::Args),
    /// Download an image from a registry
    Pull(pull::Args),
    /// Upload an image to a registry
    Push(pull::PushArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(pull::TagArgs),
    /// Display detailed information on one or more images
    Inspect(inspect::ImageArgs),
    /// Show the history of an image
    History(commit::HistoryArgs),
    /// Remove unused images
    Prune(commit::PruneArgs),
}

/// What every verb gets: where the daemon is, and a way to reach it.
#[derive(Debug)]
pub(crate) struct Ctx {
    host: Result<Host, crate::client::HostError>,
}

impl Ctx {
    /// Connects (pings and negotiates the API version).
    pub(crate) async fn client(&self) -> anyhow::Result<Client> {
        let host = self.host.clone()?;
        Ok(Client::connect(host).await?)
    }
}

/// Parses argv and runs the verb on a current-thread runtime.
pub(crate) fn main(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    if cli.version {
        println!("hako version {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let _ = (cli.debug, cli.log_level, cli.config);
    let Some(command) = cli.command else {
        let _ = <Cli as clap::CommandFactory>::command().print_help();
        return 0;
    };
    let ctx = Ctx {
        host: resolve_host_tls(
            cli.host.as_deref(),
            &TlsFlags {
                tls: cli.tls,
                verify: cli.tlsverify,
                ca: cli.tlscacert.clone(),
                cert: cli.tlscert.clone(),
                key: cli.tlskey.clone(),
            },
            |k| std::env::var(k).ok(),
        ),
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hako: cannot start the runtime: {e}");
            return 1;
        }
    };
    let (verb, res) = rt.block_on(dispatch(&ctx, command));
    // Blocked reads of stdin (a thread) must not keep us alive.
    rt.shutdown_background();
    let _ = std::io::stdout().flush();
    match res {
        Ok(code) => code,
        Err(e) => report(verb, e),
    }
}

/// Prints an error the way docker does and picks the exit status.
fn report(verb: Option<&str>, e: anyhow::Error) -> i32 {
    if let Some(s) = e.downcast_ref::<StatusError>() {
        if !s.message.is_empty() {
            eprintln!("{}", s.message);
        }
        return s.status;
    }
    match verb {
        // `run` and `create` failures before the container runs are 125, with docker's
        // "docker: ...\n\nRun 'docker run --help'" shape.
        Some(v @ ("run" | "create")) => {
            eprintln!("hako: {e:#}\n\nRun 'hako {v} --help' for more information");
            125
        }
        _ => {
            eprintln!("{e:#}");
            1
        }
    }
}

/// Flag and argument errors in docker's words and exit statuses: 125 for a bad flag,
/// 1 for missing arguments.
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let usage = match e.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        _ => String::new(),
    };
    let usage = usage.trim().replacen("Usage: ", "Usage:  ", 1);
    // "Usage:  hako rm [OPTIONS] <CONTAINER>..." → "hako rm".
    let cmd: Vec<&str> = usage
        .trim_start_matches("Usage:")
        .split_whitespace()
        .take_while(|w| {
            !w.starts_with(['[', '<', '-']) && !w.contains(|c: char| c.is_ascii_uppercase())
        })
        .collect();
    let cmd = cmd.join(" ");
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            0
        }
        ErrorKind::MissingRequiredArgument | ErrorKind::TooFewValues => {
            let n = if cmd.ends_with(" exec") {
                "2 arguments"
            } else {
                "1 argument"
            };
            eprintln!(
                "hako: '{cmd}' requires at least {n}\n\n{usage}\n\nSee '{cmd} --help' for more information"
            );
            1
        }
        ErrorKind::UnknownArgument => {
            let flag = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            eprintln!("unknown flag: {flag}\n\n{usage}\n\nRun '{cmd} --help' for more information");
            125
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            1
        }
        _ => {
            let _ = e.print();
            125
        }
    }
}

async fn dispatch(ctx: &Ctx, c: Command) -> (Option<&'static str>, anyhow::Result<i32>) {
    match c {
        Command::Run(a) | Command::Container(ContainerCmd::Run(a)) => {
            (Some("run"), run::run(ctx, a).await)
        }
        Command::Create(a) | Command::Container(ContainerCmd::Create(a)) => {
            (Some("create"), create::run(ctx, a).await)
        }
        Command::Exec(a) | Command::Container(ContainerCmd::Exec(a)) => {
            (None, exec::run(ctx, a).await)
        }
        Command::Ps(a) | Command::Container(ContainerCmd::Ls(a)) => (None, ps::run(ctx, a).await),
        Command::Images(a) | Command::Image(ImageCmd::Ls(a)) => (None, images::run(ctx, a).await),
        Command::Version(a) => (None, version::run(ctx, a).await),
        Command::Info(a) => (None, info::run(ctx, a).await),
        Command::Rmi(a) | Command::Image(ImageCmd::Rm(a)) => (None, rmi::run(ctx, a).await),
        Command::Import(a) | Command::Image(ImageCmd::Import(a)) => {
            (None, import::run(ctx, a).await)
        }
        Command::Build(a) | Command::Image(ImageCmd::Build(a)) => (None, build::run(ctx, a).await),
        Command::Save(a) | Command::Image(ImageCmd::Save(a)) => (None, save::run(ctx, a).await),
        Command::Load(a) | Command::Image(ImageCmd::Load(a)) => (None, load::run(ctx, a).await),
        Command::Start(a) | Command::Container(ContainerCmd::Start(a)) => {
            (None, start::run(ctx, a).await)
        }
        Command::Stop(a) | Command::Container(ContainerCmd::Stop(a)) => {
            (None, stop::run(ctx, a).await)
        }
        Command::Kill(a) | Command::Container(ContainerCmd::Kill(a)) => {
            (None, kill::run(ctx, a).await)
        }
        Command::Rm(a) | Command::Container(ContainerCmd::Rm(a)) => (None, rm::run(ctx, a).await),
        Command::Logs(a) | Command::Container(ContainerCmd::Logs(a)) => {
            (None, logs::run(ctx, a).await)
        }
        Command::Attach(a) | Command::Container(ContainerCmd::Attach(a)) => {
            (None, attach::run(ctx, a).await)
        }
        Command::Inspect(a) => (None, inspect::run(ctx, a).await),
        Command::Container(ContainerCmd::Inspect(a)) => {
            (None, inspect::run(ctx, a.with_type("container")).await)
        }
        Command::Image(ImageCmd::Inspect(a)) => (None, inspect::run_image(ctx, a).await),
        Command::Wait(a) | Command::Container(ContainerCmd::Wait(a)) => {
            (None, wait::run(ctx, a).await)
        }
        Command::Events(a) => (None, events::run(ctx, a).await),
        Command::Pause(a) | Command::Container(ContainerCmd::Pause(a)) => {
            (None, resources::pause(ctx, a, "pause").await)
        }
        Command::Unpause(a) | Command::Container(ContainerCmd::Unpause(a)) => {
            (None, resources::pause(ctx, a, "unpause").await)
        }
        Command::Restart(a) | Command::Container(ContainerCmd::Restart(a)) => {
            (None, resources::restart(ctx, a).await)
        }
        Command::Rename(a) | Command::Container(ContainerCmd::Rename(a)) => {
            (None, resources::rename(ctx, a).await)
        }
        Command::Top(a) | Command::Container(ContainerCmd::Top(a)) => {
            (None, resources::top(ctx, a).await)
        }
        Command::Update(a) | Command::Container(ContainerCmd::Update(a)) => {
            (None, resources::update(ctx, a).await)
        }
        Command::Stats(a) | Command::Container(ContainerCmd::Stats(a)) => {
            (None, resources::stats(ctx, a).await)
        }
        Command::Container(ContainerCmd::Prune(a)) => (None, resources::prune(ctx, a).await),
        Command::Pull(a) | Command::Image(ImageCmd::Pull(a)) => (None, pull::run(ctx, a).await),
        Command::Push(a) | Command::Image(ImageCmd::Push(a)) => {
            (None, pull::push_run(ctx, a).await)
        }
        Command::Tag(a) | Command::Image(ImageCmd::Tag(a)) => (None, pull::tag_run(ctx, a).await),
        Command::Commit(a) | Command::Container(ContainerCmd::Commit(a)) => {
            (None, commit::run(ctx, a).await)
        }
        Command::History(a) | Command::Image(ImageCmd::History(a)) => {
            (None, commit::history(ctx, a).await)
        }
        Command::Image(ImageCmd::Prune(a)) => (None, commit::prune(ctx, a).await),
        Command::System(c) => (None, system::run(ctx, c).await),
        Command::Login(a) => (None, login::login(ctx, a).await),
        Command::Logout(a) => (None, login::logout(ctx, a).await),
        Command::Emulation(c) => (None, emulation::run(ctx, c).await),
        Command::Manifest(c) => (None, manifest::run(ctx, c).await),
        Command::Volume(c) => (None, volume::run(ctx, c).await),
        Command::Network(c) => (None, network::run(ctx, c).await),
        Command::Port(a) | Command::Container(ContainerCmd::Port(a)) => {
            (None, port::run(ctx, a).await)
        }
        Command::Cp(a) => (None, cp::run(ctx, a).await),
        Command::Diff(a) => (None, cp::diff(ctx, a).await),
        Command::Export(a) => (None, cp::export(ctx, a).await),
        Command::Daemon { .. } => (
            None,
            Err(StatusError::new(
                1,
                "hako daemon is started by the hako binary itself: run `hako daemon` from an installed hako",
            )
            .into()),
        ),
    }
}

/// Writes to stdout, treating a closed pipe (`hako ps | head`) as success.
pub(crate) fn out(s: &str) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    match o.write_all(s.as_bytes()).and_then(|_| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}
