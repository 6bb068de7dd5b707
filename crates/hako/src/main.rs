//! The one `hako` binary: the CLI, the daemon (`hako daemon`), and the hidden per-process
//! monitor (`hako monitor <dir>`) the daemon re-runs for every container and exec.
//!
//! The monitor is dispatched first, before any thread or runtime exists: it forks the
//! container's init and keeps running Rust code in the child, which is only sound in a
//! single-threaded process.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

/// `hako daemon`: serve the Docker Engine API.
#[derive(Debug, Parser)]
#[command(
    name = "hako daemon",
    about = "Run the hako daemon: the Docker Engine API on a Unix socket"
)]
struct DaemonArgs {
    /// API socket.
    #[arg(long, default_value = hako_daemon::DaemonOptions::DEFAULT_SOCKET, value_parser = socket_path)]
    socket: PathBuf,
    /// Where to listen, repeatable: `unix:///path` (the first replaces --socket) or
    /// `tcp://HOST:PORT` (TLS with --tlsverify; plain TCP only on loopback unless
    /// --insecure-tcp).
    #[arg(long = "host", short = 'H')]
    hosts: Vec<String>,
    /// Serve TLS on the tcp:// hosts with --tlscert/--tlskey (implied by --tlsverify).
    #[arg(long)]
    tls: bool,
    /// Serve TLS and require client certificates signed by --tlscacert.
    #[arg(long)]
    tlsverify: bool,
    /// CA certificate that client certificates must chain to.
    #[arg(long)]
    tlscacert: Option<PathBuf>,
    /// Server certificate (PEM).
    #[arg(long)]
    tlscert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long)]
    tlskey: Option<PathBuf>,
    /// Allow plain TCP on a non-loopback address (anyone reaching it is root here).
    #[arg(long)]
    insecure_tcp: bool,
    /// Also serve the API on Docker's default socket (`/var/run/docker.sock`).
    #[arg(long)]
    docker_socket: bool,
    /// Persistent state: images, containers, logs.
    #[arg(long, default_value = hako_daemon::DaemonOptions::DEFAULT_DATA_ROOT)]
    data_root: PathBuf,
    /// Runtime state: monitor sockets. Keep it short (Unix socket paths are limited).
    #[arg(long, default_value = hako_daemon::DaemonOptions::DEFAULT_EXEC_ROOT)]
    exec_root: PathBuf,
    /// cgroup parent for containers.
    #[arg(long, default_value = hako_daemon::DaemonOptions::DEFAULT_CGROUP_PARENT)]
    cgroup_parent: String,
    /// The default bridge's interface name (one per daemon: two daemons on one host need
    /// different bridges and subnets).
    #[arg(long, short = 'b', default_value = hako_engine::EngineConfig::DEFAULT_BRIDGE)]
    bridge: String,
    /// The default bridge's own address and prefix length.
    #[arg(long, default_value = hako_engine::EngineConfig::DEFAULT_BIP)]
    bip: String,
    /// Group owning the API sockets (mode 0660), created when absent; "" keeps root's.
    #[arg(long, short = 'G', default_value = hako_daemon::DaemonOptions::DEFAULT_GROUP)]
    group: String,
    /// Register qemu-user handlers for these architectures at start (arm64, arm/v7, ...,
    /// or all), as `hako emulation install` does.
    #[arg(long, value_delimiter = ',', value_name = "ARCH")]
    emulation: Vec<String>,
    /// A registry reached over plain HTTP when HTTPS fails: `host[:port]` or a CIDR;
    /// repeatable (loopback registries always are, as with Docker).
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]|CIDR")]
    insecure_registries: Vec<String>,
    /// Most bytes one image layer may expand to when unpacked (0: no bound).
    #[arg(long = "max-layer-size", value_name = "BYTES", default_value_t = hako_engine::image_pull::LayerLimits::DEFAULT_MAX_SIZE)]
    max_layer_size: u64,
    /// Most uncompressed bytes per compressed byte of a layer past 16 GiB (0: no bound).
    #[arg(long = "max-layer-ratio", value_name = "N", default_value_t = hako_engine::image_pull::LayerLimits::DEFAULT_MAX_RATIO)]
    max_layer_ratio: u64,
    /// Keep containers running while the daemon is stopped or upgraded (the default);
    /// `--live-restore=false` stops them at shutdown, as Docker's default does.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_value_t = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    live_restore: bool,
    /// Run containers in a user namespace whose root is an unprivileged host user:
    /// `default` (user and group dockremap, created when absent), USER[:GROUP] or
    /// UID[:GID], with the ranges of /etc/subuid and /etc/subgid.
    #[arg(long = "userns-remap", value_name = "default|USER[:GROUP]|UID[:GID]")]
    userns_remap: Option<String>,
    /// Log level: error, warn, info, debug, trace (or a tracing filter).
    #[arg(long, short = 'l', env = "HAKO_LOG", default_value = "info")]
    log_level: String,
}

/// Accepts `unix:///path` as well as a plain path.
fn socket_path(s: &str) -> Result<PathBuf, String> {
    match s.strip_prefix("unix://") {
        Some(p) => Ok(PathBuf::from(p)),
        None if s.contains("://") => Err(format!("{s}: only unix:// sockets are supported")),
        None => Ok(PathBuf::from(s)),
    }
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    let verb = args.get(1).and_then(|a| a.to_str()).map(str::to_owned);
    let code = match verb.as_deref() {
        Some("monitor") => match args.get(2) {
            Some(dir) => hako_runtime::monitor::run(std::path::Path::new(dir)),
            None => {
                eprintln!("usage: hako monitor DIR (started by the daemon, not by hand)");
                2
            }
        },
        Some("daemon") => {
            let mut rest = vec![OsString::from("hako daemon")];
            rest.extend(args.into_iter().skip(2));
            match run_daemon(DaemonArgs::parse_from(rest)) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("hako daemon: {e:#}");
                    1
                }
            }
        }
        _ => hako_cli::main_with_args(args),
    };
    std::process::exit(code);
}

fn run_daemon(args: DaemonArgs) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .with_context(|| format!("invalid log level {:?}", args.log_level))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    // A misspelt architecture fails before anything is bound or created.
    if let Some(bad) = args
        .emulation
        .iter()
        .find(|a| *a != "all" && hako_engine::emulation::arch::lookup(a).is_none())
    {
        anyhow::bail!(
            "--emulation: {}",
            hako_engine::emulation::EmulationError::UnknownArch(bad.clone())
        );
    }
    let mut opts = hako_daemon::DaemonOptions {
        socket: args.socket,
        data_root: args.data_root,
        exec_root: args.exec_root,
        cgroup_parent: args.cgroup_parent,
        bridge: args.bridge,
        bip: args.bip,
        socket_group: args.group,
        emulation: args.emulation,
        insecure_registries: args.insecure_registries,
        layer_limits: hako_engine::image_pull::LayerLimits {
            max_size: args.max_layer_size,
            max_ratio: args.max_layer_ratio,
            ..hako_engine::image_pull::LayerLimits::default()
        },
        live_restore: args.live_restore,
        userns_remap: args.userns_remap,
        ..hako_daemon::DaemonOptions::default()
    };
    let mut first_unix = true;
    for h in &args.hosts {
        if h.starts_with("tcp://") {
            opts.tcp.push(h.clone());
            continue;
        }
        let path = socket_path(h).map_err(anyhow::Error::msg)?;
        if first_unix {
            opts.socket = path;
            first_unix = false;
        } else {
            opts.extra_sockets.push(path);
        }
    }
    if args.tls || args.tlsverify {
        let missing = |what: &str| anyhow::anyhow!("--tls/--tlsverify need --{what}");
        opts.tls = Some(hako_daemon::tls::TlsFiles {
            ca: args.tlscacert.clone(),
            cert: args.tlscert.clone().ok_or_else(|| missing("tlscert"))?,
            key: args.tlskey.clone().ok_or_else(|| missing("tlskey"))?,
            verify: args.tlsverify,
        });
    }
    opts.insecure_tcp = args.insecure_tcp;
    if args.docker_socket {
        opts.extra_sockets
            .push(PathBuf::from("/var/run/docker.sock"));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(hako_daemon::run(opts))?;
    Ok(())
}
