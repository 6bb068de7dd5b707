//! Starting and stopping: the data-root lock, live and stale sockets, graceful shutdown,
//! and a real SIGTERM to a daemon process.

mod common;

use std::time::Duration;

use common::{TestDaemon, temp_options};
use hako_daemon::{DaemonError, DaemonOptions};

/// Runs `run_until` and expects it to fail at once.
async fn start_err(opts: DaemonOptions) -> DaemonError {
    tokio::time::timeout(
        Duration::from_secs(10),
        hako_daemon::run_until(opts, std::future::pending()),
    )
    .await
    .expect("the daemon should have refused to start")
    .expect_err("the daemon should have refused to start")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_daemon_on_the_same_data_root_is_refused() {
    let d = TestDaemon::start().await;
    let mut opts = d.opts.clone();
    opts.socket = opts.socket.with_file_name("other.sock");
    let err = start_err(opts.clone()).await;
    assert!(matches!(err, DaemonError::DataRootLocked { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("another hako daemon is using the data root"),
        "{err}"
    );
    assert!(
        !opts.socket.exists(),
        "a refused daemon must not leave a socket"
    );
    assert_eq!(d.get("/_ping").await.status, 200);
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_daemon_on_the_same_socket_is_refused() {
    let d = TestDaemon::start().await;
    let (mut opts, _data, _exec) = temp_options();
    opts.socket = d.socket.clone();
    let err = start_err(opts).await;
    assert!(matches!(err, DaemonError::SocketInUse { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("another daemon is already serving"),
        "{err}"
    );
    // The first daemon's socket is untouched.
    assert_eq!(d.get("/_ping").await.status, 200);
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_socket_is_replaced_and_shutdown_cleans_up() {
    let (opts, data, exec) = temp_options();
    std::fs::create_dir_all(opts.socket.parent().unwrap()).unwrap();
    // What a crashed daemon leaves: a socket file nobody listens on.
    drop(std::os::unix::net::UnixListener::bind(&opts.socket).unwrap());
    assert!(opts.socket.exists());
    let d = TestDaemon::start_with(opts.clone(), data, exec).await;
    assert_eq!(d.get("/_ping").await.status, 200);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&d.socket).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o660);
    let socket = d.socket.clone();
    let (stopped, _dirs) = d.stop_keep_dirs().await;
    stopped.unwrap();
    assert!(!socket.exists(), "shutdown must remove the socket");
    // The lock went with the daemon: the same roots start again.
    let err = tokio::time::timeout(
        Duration::from_millis(300),
        hako_daemon::run_until(opts, std::future::pending()),
    )
    .await;
    assert!(err.is_err(), "a second start on released roots should run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_sockets_serve_the_same_api() {
    let (mut opts, data, exec) = temp_options();
    let extra = opts.socket.with_file_name("docker.sock");
    opts.extra_sockets.push(extra.clone());
    let d = TestDaemon::start_with(opts, data, exec).await;
    let mut c = common::Conn::connect(&extra).await;
    assert_eq!(c.request("GET", "/_ping", &[], None).await.status, 200);
    d.stop().await.unwrap();
    assert!(!extra.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_requests_and_ends_streams() {
    let d = TestDaemon::start().await;
    // A live event stream: its headers go out at once, then it waits for events.
    let mut events = d.connect().await;
    events.send_head("GET", "/events", &[], None).await;
    let head = tokio::time::timeout(Duration::from_secs(5), events.read_head())
        .await
        .expect("event stream headers must be flushed before any event");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Type"), Some("application/json"));
    // An idle keep-alive connection.
    let mut idle = d.connect().await;
    assert_eq!(idle.request("GET", "/_ping", &[], None).await.status, 200);

    let started = std::time::Instant::now();
    d.stop().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Both connections were closed by the daemon.
    let rest = tokio::time::timeout(Duration::from_secs(5), events.read_to_end())
        .await
        .unwrap();
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
    let idle_rest = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end())
        .await
        .unwrap();
    assert!(idle_rest.is_empty());
}

/// Runs the daemon as a real process (this test binary, re-executed) and stops it with
/// SIGTERM, as an init system would.
#[test]
fn sigterm_stops_the_daemon_and_removes_its_socket() {
    const CHILD: &str = "HAKO_DAEMON_TEST_CHILD_SOCKET";
    if let Some(socket) = std::env::var_os(CHILD) {
        // In the child: run the daemon until a signal.
        let socket = std::path::PathBuf::from(socket);
        let dir = socket.parent().unwrap().to_path_buf();
        let opts = DaemonOptions {
            socket,
            data_root: dir.join("root"),
            exec_root: std::path::PathBuf::from(std::env::var_os("HAKO_DAEMON_TEST_EXEC").unwrap()),
            // The parent's own bridge and subnet, never the host's default hako0.
            bridge: std::env::var("HAKO_DAEMON_TEST_BRIDGE").unwrap(),
            bip: std::env::var("HAKO_DAEMON_TEST_BIP").unwrap(),
            ..DaemonOptions::default()
        };
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(hako_daemon::run(opts)).unwrap();
        return;
    }
    let (opts, _data, _exec) = temp_options();
    std::fs::create_dir_all(opts.socket.parent().unwrap()).unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigterm_stops_the_daemon_and_removes_its_socket",
            "--nocapture",
        ])
        .env(CHILD, &opts.socket)
        .env("HAKO_DAEMON_TEST_EXEC", &opts.exec_root)
        .env("HAKO_DAEMON_TEST_BRIDGE", &opts.bridge)
        .env("HAKO_DAEMON_TEST_BIP", &opts.bip)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(common::wait_for_socket(&opts.socket));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    // The daemon keeps its bridge and table across restarts, as dockerd keeps docker0;
    // the test's own go with the test.
    let quiet = |tool: &str, args: &[&str]| {
        let _ = std::process::Command::new(tool)
            .args(args)
            .stderr(std::process::Stdio::null())
            .status();
    };
    quiet("ip", &["link", "del", &opts.bridge]);
    quiet(
        "nft",
        &["delete", "table", "ip", &format!("hako_{}", opts.bridge)],
    );
    assert!(status.success(), "daemon exited with {status}");
    assert!(!opts.socket.exists(), "SIGTERM must remove the socket");
}
