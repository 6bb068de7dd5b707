//! Starting and stopping the daemon.
//!
//! Order matters:
//! 1. The data root lock, first: a second daemon must fail before it touches anything.
//! 2. The sockets: refused if a daemon answers on one, stale ones replaced.
//! 3. The engine (which re-adopts running containers).
//! 4. Serve until SIGTERM/SIGINT (or the caller's future), then drain connections, shut
//!    the engine down, remove the sockets, release the lock. Containers keep running.

use std::future::Future;
use std::path::PathBuf;

use hako_engine::{Engine, EngineConfig};
use tokio::signal::unix::{SignalKind, signal};
use tracing::info;

use crate::error::DaemonError;
use crate::lock::DataRootLock;
use crate::options::DaemonOptions;
use crate::{server, socket, tls};

/// Runs the daemon until SIGTERM or SIGINT.
pub async fn run(opts: DaemonOptions) -> Result<(), DaemonError> {
    // Installed before anything else, so a signal during startup is not lost.
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let signals = async move {
        tokio::select! {
            _ = term.recv() => info!("received SIGTERM"),
            _ = int.recv() => info!("received SIGINT"),
        }
    };
    run_until(opts, signals).await
}

/// Binds the `tcp://` listeners: with TLS when configured, plain only on loopback unless
/// forced.
async fn bind_tcp(opts: &DaemonOptions) -> Result<Vec<server::Listener>, DaemonError> {
    let acceptor = opts.tls.as_ref().map(tls::acceptor).transpose()?;
    let mut out = Vec::new();
    for raw in &opts.tcp {
        let addr = tls::parse_tcp(raw, acceptor.is_some())?;
        if acceptor.is_none() {
            tls::check_plain(addr, opts.insecure_tcp)?;
        }
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| DaemonError::Tcp { addr, source })?;
        info!(%addr, tls = acceptor.is_some(), "API listening on TCP");
        out.push(server::Listener::Tcp(l, acceptor.clone()));
    }
    Ok(out)
}

/// Runs the daemon until `shutdown` completes (tests pass their own future).
pub async fn run_until(
    opts: DaemonOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    // Before anything is created: a remapping that cannot work stops the daemon here.
    let userns_remap = match opts.userns_remap.as_deref() {
        None | Some("") => None,
        Some(flag) => {
            let r = hako_engine::container::userns::resolve(flag).map_err(DaemonError::Userns)?;
            hako_engine::container::userns::prepare_roots(&[&opts.data_root, &opts.exec_root])
                .map_err(DaemonError::Userns)?;
            info!(remapped_root = %r.name, uid_map = ?r.maps.uid_map, gid_map = ?r.maps.gid_map, "user namespace remapping");
            Some(r)
        }
    };
    let lock = DataRootLock::acquire(&opts.data_root)?;
    let mut bound: Vec<PathBuf> = Vec::new();
    let mut listeners = Vec::new();
    let gid = (!opts.socket_group.is_empty())
        .then(|| socket::ensure_group(&opts.socket_group))
        .flatten();
    for path in opts.sockets() {
        match socket::bind_with_group(path, gid).await {
            Ok(l) => {
                listeners.push(l);
                bound.push(path.clone());
            }
            Err(e) => {
                bound.iter().for_each(|p| socket::remove(p));
                return Err(e);
            }
        }
    }
    let tcp = match bind_tcp(&opts).await {
        Ok(l) => l,
        Err(e) => {
            bound.iter().for_each(|p| socket::remove(p));
            return Err(e);
        }
    };
    let config = EngineConfig {
        data_root: opts.data_root.clone(),
        exec_root: opts.exec_root.clone(),
        exe: opts.exe.clone(),
        cgroup_parent: opts.cgroup_parent.clone(),
        bridge: opts.bridge.clone(),
        bip: opts.bip.clone(),
        insecure_registries: opts.insecure_registries.clone(),
        layer_limits: opts.layer_limits,
        live_restore: opts.live_restore,
        userns_remap,
    };
    let engine = match Engine::open(config).await {
        Ok(engine) => engine,
        Err(e) => {
            bound.iter().for_each(|p| socket::remove(p));
            return Err(e.into());
        }
    };
    if !opts.emulation.is_empty() {
        match engine.emulation_install(opts.emulation.clone()).await {
            Ok(changes) => {
                for c in changes {
                    info!(arch = %c.arch, handler = %c.handler, "emulation {}", c.action.as_str());
                }
            }
            Err(e) => {
                bound.iter().for_each(|p| socket::remove(p));
                return Err(DaemonError::Emulation(e));
            }
        }
    }
    for path in &bound {
        info!(socket = %path.display(), "API listening");
    }
    let mut all: Vec<server::Listener> =
        listeners.into_iter().map(server::Listener::Unix).collect();
    all.extend(tcp);
    server::serve_listeners(all, engine.clone(), shutdown).await;
    if !opts.live_restore {
        engine.stop_all_containers().await;
    }
    engine.shutdown().await;
    bound.iter().for_each(|p| socket::remove(p));
    info!(lock = %lock.path().display(), "daemon stopped");
    drop(lock);
    Ok(())
}
