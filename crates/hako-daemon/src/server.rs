//! The accept loop and graceful shutdown, after mini-redis's `server.rs`.
//!
//! [`serve`] takes listeners that are already bound, so tests bind a temp socket and
//! spawn it, and the daemon binds its sockets after checking for a live predecessor.
//!
//! Shutdown, when the `shutdown` future completes:
//! 1. Stop accepting (the listeners are dropped).
//! 2. Cancel the shutdown token: idle keep-alive connections close, connections with a
//!    request in flight finish it and then close, long streams (`/events`, `logs -f`,
//!    waits, hijacked attach/exec sessions) end.
//! 3. Wait for all of that, at most [`SHUTDOWN_GRACE`]; then cut what is left.
//!
//! Containers are not touched: their monitors own them.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hako_engine::Engine;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::linger::Lingering;
use crate::service::App;

/// How long in-flight requests get to finish once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Read buffer bound, which bounds a request's head (Go's `DefaultMaxHeaderBytes`).
const MAX_HEADER_BYTES: usize = 1 << 20;

/// How long a TLS client gets to complete its handshake.
const TLS_HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// A bound listener: a Unix socket, or TCP with TLS (or plain, already vetted).
pub enum Listener {
    /// A Unix socket.
    Unix(UnixListener),
    /// TCP, with the TLS acceptor when TLS is on.
    Tcp(TcpListener, Option<TlsAcceptor>),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listener::Unix(l) => f.debug_tuple("Unix").field(l).finish(),
            Listener::Tcp(l, tls) => f
                .debug_struct("Tcp")
                .field("listener", l)
                .field("tls", &tls.is_some())
                .finish(),
        }
    }
}

/// Any connection the API is served over.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Serves the Engine API on Unix `listeners` until `shutdown` completes, then shuts down
/// gracefully. Returns when every connection is closed (or cut after the grace period).
pub async fn serve(
    listeners: Vec<UnixListener>,
    engine: Arc<Engine>,
    shutdown: impl Future<Output = ()>,
) {
    serve_listeners(
        listeners.into_iter().map(Listener::Unix).collect(),
        engine,
        shutdown,
    )
    .await;
}

/// [`serve`] over any mix of Unix and TCP listeners.
pub async fn serve_listeners(
    listeners: Vec<Listener>,
    engine: Arc<Engine>,
    shutdown: impl Future<Output = ()>,
) {
    let drain = CancellationToken::new();
    let cut = CancellationToken::new();
    let tasks = TaskTracker::new();
    let app = Arc::new(App::new(engine, drain.clone(), tasks.clone()));
    let accepting = futures_util::future::join_all(
        listeners
            .into_iter()
            .map(|l| accept_loop(l, app.clone(), tasks.clone(), drain.clone(), cut.clone())),
    );
    tokio::select! {
        () = shutdown => info!("shutting down: no longer accepting connections"),
        _ = accepting => warn!("every listener failed; shutting down"),
    }
    drain.cancel();
    tasks.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tasks.wait())
        .await
        .is_err()
    {
        warn!(
            grace = ?SHUTDOWN_GRACE,
            "requests still running after the grace period; closing their connections"
        );
        cut.cancel();
        tasks.wait().await;
    }
    info!("all connections closed");
}

/// One accepted connection, before any TLS handshake.
enum Accepted {
    Ready(Box<dyn Io>),
    Tls(tokio::net::TcpStream, TlsAcceptor),
}

async fn accept(listener: &Listener) -> std::io::Result<Accepted> {
    Ok(match listener {
        Listener::Unix(l) => Accepted::Ready(Box::new(l.accept().await?.0)),
        Listener::Tcp(l, None) => Accepted::Ready(Box::new(l.accept().await?.0)),
        Listener::Tcp(l, Some(tls)) => Accepted::Tls(l.accept().await?.0, tls.clone()),
    })
}

async fn accept_loop(
    listener: Listener,
    app: Arc<App>,
    tasks: TaskTracker,
    drain: CancellationToken,
    cut: CancellationToken,
) {
    loop {
        let accepted = match accept(&listener).await {
            Ok(a) => a,
            Err(e) => {
                // Usually EMFILE: back off instead of spinning, and keep serving the
                // connections we have.
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (app, drain, cut) = (app.clone(), drain.clone(), cut.clone());
        tasks.spawn(async move {
            let stream: Box<dyn Io> = match accepted {
                Accepted::Ready(s) => s,
                // The handshake runs in the connection's task: a slow client holds up
                // nobody else.
                Accepted::Tls(tcp, tls) => {
                    match tokio::time::timeout(TLS_HANDSHAKE_LIMIT, tls.accept(tcp)).await {
                        Ok(Ok(s)) => Box::new(s),
                        Ok(Err(e)) => {
                            info!(error = %e, "TLS handshake refused");
                            return;
                        }
                        Err(_) => {
                            info!("TLS handshake timed out");
                            return;
                        }
                    }
                }
            };
            tokio::select! {
                () = serve_connection(stream, app, drain) => {}
                () = cut.cancelled() => debug!("connection cut at shutdown"),
            }
        });
    }
}

async fn serve_connection(stream: Box<dyn Io>, app: Arc<App>, drain: CancellationToken) {
    let service = service_fn(move |req| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.handle(req).await) }
    });
    // Go writes canonical header names (`Api-Version`, `Ostype`); hyper writes lowercase
    // unless told otherwise. Clients must not care, but scripts grepping headers do.
    // Bounded headers: at most 100 of them (hyper's limit) in at most 1 MiB (Go's
    // `DefaultMaxHeaderBytes`); beyond that the request gets a 431 and the connection ends.
    let conn = http1::Builder::new()
        .max_buf_size(MAX_HEADER_BYTES)
        .title_case_headers(true)
        .serve_connection(TokioIo::new(Lingering::new(stream)), service)
        .with_upgrades();
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = drain.cancelled(), if !draining => {
                conn.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
}
