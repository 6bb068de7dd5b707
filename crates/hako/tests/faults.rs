//! Faults: the daemon is SIGKILLed in the middle of work (a pull half-way through a layer,
//! a storm of creates, starts and removals, containers exiting while no daemon runs), then started
//! again. What it finds on disk must be consistent: nothing listed that cannot be used,
//! nothing half-written left behind, nothing leaked once everything is removed.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Daemon, eventually, http};

/// A TCP relay in front of the fixture registry. While armed, a connection that has
/// carried `stall_after` bytes towards the client stops forwarding (the socket stays
/// open), so a pull is stuck inside a layer download at a known point. Set `dead` and the
/// registry behind it "dies": open connections are cut and new ones closed at once.
struct StallingProxy {
    addr: SocketAddr,
    armed: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    closing: Arc<AtomicBool>,
    dead: Arc<AtomicBool>,
}

impl StallingProxy {
    fn start(upstream: SocketAddr, stall_after: usize) -> StallingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let proxy = StallingProxy {
            addr: listener.local_addr().expect("proxy address"),
            armed: Arc::new(AtomicBool::new(true)),
            stalled: Arc::new(AtomicBool::new(false)),
            closing: Arc::new(AtomicBool::new(false)),
            dead: Arc::new(AtomicBool::new(false)),
        };
        let (armed, stalled, closing, dead) = (
            proxy.armed.clone(),
            proxy.stalled.clone(),
            proxy.closing.clone(),
            proxy.dead.clone(),
        );
        std::thread::spawn(move || {
            while !closing.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) if dead.load(Ordering::SeqCst) => drop(client),
                    Ok((client, _)) => {
                        let (armed, stalled, closing, dead) = (
                            armed.clone(),
                            stalled.clone(),
                            closing.clone(),
                            dead.clone(),
                        );
                        std::thread::spawn(move || {
                            let flags = Flags {
                                armed: &armed,
                                stalled: &stalled,
                                closing: &closing,
                                dead: &dead,
                            };
                            relay(client, upstream, stall_after, flags)
                        });
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => return,
                }
            }
        });
        proxy
    }

    /// `127.0.0.1:<port>`, the registry host to pull from.
    fn host(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for StallingProxy {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
    }
}

/// The proxy's switches, as one relay sees them.
struct Flags<'a> {
    armed: &'a AtomicBool,
    stalled: &'a AtomicBool,
    closing: &'a AtomicBool,
    dead: &'a AtomicBool,
}

fn relay(client: TcpStream, upstream: SocketAddr, stall_after: usize, flags: Flags<'_>) {
    let Flags {
        armed,
        stalled,
        closing,
        dead,
    } = flags;
    let _ = client.set_nonblocking(false);
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let (Ok(mut c_in), Ok(mut s_out)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut c_in, &mut s_out);
        let _ = s_out.shutdown(Shutdown::Write);
    });
    let (mut server, mut client) = (server, client);
    let _ = server.set_read_timeout(Some(Duration::from_millis(100)));
    let mut sent = 0usize;
    let mut buf = [0u8; 16 * 1024];
    loop {
        if dead.load(Ordering::SeqCst) {
            // As a dying process's sockets: closed for both directions, whoever else
            // holds a handle on them.
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
            return;
        }
        if closing.load(Ordering::SeqCst) {
            return;
        }
        if armed.load(Ordering::SeqCst) && sent >= stall_after {
            stalled.store(true, Ordering::SeqCst);
            // Hold both sockets open, forwarding nothing, until disarmed or closed.
            while armed.load(Ordering::SeqCst)
                && !closing.load(Ordering::SeqCst)
                && !dead.load(Ordering::SeqCst)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            if dead.load(Ordering::SeqCst) {
                let _ = client.shutdown(Shutdown::Both);
                let _ = server.shutdown(Shutdown::Both);
            }
            return;
        }
        let n = match server.read(&mut buf) {
            Ok(0) => {
                let _ = client.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return,
        };
        // Never more than `stall_after` while armed: the stall lands inside a body.
        let n = if armed.load(Ordering::SeqCst) {
            n.min(stall_after - sent)
        } else {
            n
        };
        if client.write_all(&buf[..n]).is_err() {
            return;
        }
        sent += n;
    }
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn json(d: &Daemon, method: &str, path: &str, body: Option<&str>) -> http::Response {
    http::request(&d.socket, method, path, body.map(str::as_bytes))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", d.log()))
}

/// Every image the daemon lists can be used: its layer directories exist and are
/// complete (committed snapshots have `info.json` beside `fs`).
fn assert_images_usable(d: &Daemon) {
    let images = json(d, "GET", "/images/json", None).json();
    for image in images.as_array().expect("image list") {
        let id = image["Id"].as_str().expect("Id");
        let inspect = json(d, "GET", &format!("/images/{id}/json"), None).json();
        let lower = inspect["GraphDriver"]["Data"]["LowerDir"]
            .as_str()
            .unwrap_or_default();
        for dir in lower.split(':').filter(|p| !p.is_empty()) {
            let dir = Path::new(dir);
            assert!(dir.is_dir(), "image {id}: layer {} missing", dir.display());
            let info = dir.parent().map(|p| p.join("info.json"));
            assert!(
                info.as_ref().is_some_and(|i| i.is_file()),
                "image {id}: layer {} is not committed",
                dir.display()
            );
        }
    }
}

/// `hako pull IMAGE` against `d` on a thread of its own (it is expected to get stuck).
fn pull_in_background(d: &Daemon, image: &str) -> std::thread::JoinHandle<common::Run> {
    let host = d.host();
    let image = image.to_owned();
    std::thread::spawn(move || {
        let mut cmd = std::process::Command::new(common::hako_bin());
        cmd.args(["pull", &image])
            .env("HAKO_HOST", host)
            .env_remove("DOCKER_HOST");
        common::run_bounded(cmd, None)
    })
}

/// The pulled `layered` image runs and its 50 MiB file has the fixture's checksum.
fn assert_layered_intact(d: &Daemon, fixtures: &serde_json::Value, image: &str) {
    let want = fixtures["expect"]["layered"]["files"]["/data/random.bin"]["sha256"]
        .as_str()
        .expect("expected sha256 of random.bin");
    let run = d
        .hako(&["run", "--rm", image, "sha256sum", "/data/random.bin"])
        .ok();
    assert_eq!(run.stdout.split_whitespace().next(), Some(want), "{run:?}");
}

#[test]
fn pull_killed_half_way_through_a_layer_leaves_a_consistent_store() {
    let fixtures = common::start_registry(&[]);
    let mut d = Daemon::start();
    // 2 MiB towards the client: past every manifest, config and small layer, inside the
    // 50 MiB layer of `layered` whichever connection carries it.
    let proxy = StallingProxy::start("127.0.0.1:5000".parse().unwrap(), 2 << 20);
    let image = format!("{}/layered", proxy.host());
    let pull = pull_in_background(&d, &image);
    let ingest = d.image_root().join("content/ingest");
    let snapshots = d.image_root().join("snapshots");
    let half_done = eventually(Duration::from_secs(30), || {
        (proxy.stalled.load(Ordering::SeqCst)
            && !entries(&ingest).is_empty()
            && entries(&snapshots).iter().any(|e| e.starts_with("tmp-")))
        .then_some(())
    });
    assert!(
        half_done.is_some(),
        "the pull never got stuck half-way (stalled: {}, ingest: {:?}, snapshots: {:?})\n{}",
        proxy.stalled.load(Ordering::SeqCst),
        entries(&ingest),
        entries(&snapshots),
        d.log()
    );
    d.kill();
    let pulled = pull.join().expect("pull thread");
    assert_ne!(pulled.code, 0, "the pull succeeded without its daemon");
    // The kill left a partial download and an unfinished layer behind...
    assert!(!entries(&ingest).is_empty());

    d.restart();
    // ...which the restarted daemon removed, together with the layers that finished
    // before the kill but belong to no image.
    assert_eq!(entries(&ingest), Vec::<String>::new(), "ingest leftovers");
    assert_eq!(
        entries(&snapshots),
        Vec::<String>::new(),
        "snapshot leftovers"
    );
    assert_eq!(
        entries(&d.image_root().join("content/blobs/sha256")),
        Vec::<String>::new(),
        "blobs of no image"
    );
    let images = json(&d, "GET", "/images/json", None).json();
    assert_eq!(
        images,
        serde_json::json!([]),
        "an image from a pull that never finished"
    );
    assert_images_usable(&d);

    // The next pull (same name, same proxy, no stall) completes and the image runs with
    // the big layer intact.
    proxy.armed.store(false, Ordering::SeqCst);
    d.hako(&["pull", "-q", &image]).ok();
    assert_images_usable(&d);
    assert_layered_intact(&d, &fixtures, &image);
    d.assert_clean();
}

/// The registry dies in the middle of a layer while the daemon lives on: the pull fails,
/// nothing half-written stays (no partial download, no unfinished layer, no image), and
/// once the registry is back the same pull completes.
#[test]
fn registry_dying_mid_pull_leaves_a_consistent_store() {
    let fixtures = common::start_registry(&[]);
    let d = Daemon::start();
    let proxy = StallingProxy::start("127.0.0.1:5000".parse().unwrap(), 2 << 20);
    let image = format!("{}/layered", proxy.host());
    let pull = pull_in_background(&d, &image);
    let ingest = d.image_root().join("content/ingest");
    let snapshots = d.image_root().join("snapshots");
    let half_done = eventually(Duration::from_secs(30), || {
        (proxy.stalled.load(Ordering::SeqCst) && !entries(&ingest).is_empty()).then_some(())
    });
    assert!(half_done.is_some(), "the pull never got stuck\n{}", d.log());
    proxy.dead.store(true, Ordering::SeqCst);
    let pulled = pull.join().expect("pull thread");
    assert_ne!(
        pulled.code, 0,
        "the pull succeeded without its registry: {pulled:?}"
    );
    assert!(
        !pulled.stderr.trim().is_empty(),
        "a failed pull must say why"
    );
    // No restart: the daemon itself cleaned up after the failed pull.
    let clean = eventually(Duration::from_secs(10), || {
        (entries(&ingest).is_empty() && !entries(&snapshots).iter().any(|e| e.starts_with("tmp-")))
            .then_some(())
    });
    assert!(
        clean.is_some(),
        "left behind: ingest {:?}, snapshots {:?}",
        entries(&ingest),
        entries(&snapshots)
    );
    let images = json(&d, "GET", "/images/json", None).json();
    assert_eq!(images, serde_json::json!([]), "an image from a failed pull");
    assert_images_usable(&d);

    // The registry is back: the same pull completes and the big layer is intact.
    proxy.dead.store(false, Ordering::SeqCst);
    proxy.armed.store(false, Ordering::SeqCst);
    d.hako(&["pull", "-q", &image]).ok();
    assert_layered_intact(&d, &fixtures, &image);
    d.assert_clean();
}

/// One worker of the create storm: creates containers (and starts every other one)
/// until the daemon goes away. Answers other than success are recorded as failures.
fn create_loop(
    socket: &Path,
    start: bool,
    created: &AtomicUsize,
    failures: &std::sync::Mutex<Vec<String>>,
) {
    let body = br#"{"Image":"busybox","Cmd":["sleep","1000"]}"#;
    loop {
        let r = match http::request(socket, "POST", "/containers/create", Some(body)) {
            Ok(r) => r,
            Err(_) => return,
        };
        if r.status != 201 {
            // A response cut short by the kill parses as an error above; a complete
            // answer other than 201 is a real failure.
            failures
                .lock()
                .unwrap()
                .push(format!("create: {} {}", r.status, r.text()));
            return;
        }
        created.fetch_add(1, Ordering::SeqCst);
        if start {
            let id = r.json()["Id"].as_str().unwrap_or_default().to_string();
            match http::request(socket, "POST", &format!("/containers/{id}/start"), None) {
                Ok(r) if r.status == 204 => {}
                Ok(r) => {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("start: {} {}", r.status, r.text()));
                    return;
                }
                Err(_) => return,
            }
        }
    }
}

/// The storm's remover: `rm -f` of the oldest container, over and over, until the daemon
/// goes away.
fn remove_loop(socket: &Path, failures: &std::sync::Mutex<Vec<String>>) {
    loop {
        let list = match http::request(socket, "GET", "/containers/json?all=1", None) {
            Ok(r) => r.json(),
            Err(_) => return,
        };
        let Some(oldest) = list
            .as_array()
            .and_then(|l| l.last())
            .and_then(|c| c["Id"].as_str())
            .map(str::to_string)
        else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        match http::request(
            socket,
            "DELETE",
            &format!("/containers/{oldest}?force=1"),
            None,
        ) {
            Ok(r) if r.status == 204 => {}
            Ok(r) => {
                failures
                    .lock()
                    .unwrap()
                    .push(format!("rm: {} {}", r.status, r.text()));
                return;
            }
            Err(_) => return,
        }
    }
}

#[test]
fn daemon_killed_during_creates_and_starts_comes_back_consistent() {
    let mut d = Daemon::start();
    d.import_busybox();
    for round in 0..3 {
        let created = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
        let workers: Vec<_> = (0..4)
            .map(|i| {
                let (socket, created, failures) =
                    (d.socket.clone(), created.clone(), failures.clone());
                std::thread::spawn(move || match i {
                    3 => remove_loop(&socket, &failures),
                    _ => create_loop(&socket, i % 2 == 0, &created, &failures),
                })
            })
            .collect();
        eventually(Duration::from_secs(30), || {
            (created.load(Ordering::SeqCst) >= 2).then_some(())
        })
        .expect("no container was created");
        // A different point in the create/start sequence each time.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|t| t.subsec_nanos())
            .unwrap_or(0);
        let delay = Duration::from_millis(50 + u64::from(nanos % 1500));
        std::thread::sleep(delay);
        d.kill();
        for w in workers {
            w.join().expect("worker");
        }
        let failures = failures.lock().unwrap().clone();
        assert!(failures.is_empty(), "round {round}: {failures:?}");
        d.restart();

        // Every container the daemon lists has its directory and writable layer, and
        // there is no container directory it does not list.
        let list = json(&d, "GET", "/containers/json?all=1", None).json();
        let list = list.as_array().expect("container list").clone();
        let mut listed: Vec<String> = list
            .iter()
            .map(|c| c["Id"].as_str().expect("Id").to_string())
            .collect();
        listed.sort();
        let mut on_disk = entries(&d.data_root.join("containers"));
        on_disk.sort();
        assert_eq!(listed, on_disk, "round {round} (killed after {delay:?})");
        for c in &list {
            let id = c["Id"].as_str().unwrap();
            let dir = d.data_root.join("containers").join(id);
            for f in ["upper", "work", "config.json", "hostname", "hosts"] {
                assert!(dir.join(f).exists(), "{id}: {f} missing");
            }
            // Each can be started (or is running already, re-adopted) and answers exec.
            if c["State"] != "running" {
                let r = json(&d, "POST", &format!("/containers/{id}/start"), None);
                assert_eq!(r.status, 204, "start {id} ({}): {}", c["State"], r.text());
            }
            let ran = d.hako(&["exec", id, "echo", "alive"]).ok();
            assert_eq!(ran.stdout, "alive\n");
        }
        eprintln!(
            "round {round}: killed after {delay:?}, {} created, {} listed, {} unrecorded starts undone so far",
            created.load(Ordering::SeqCst),
            list.len(),
            d.log().matches("start was never recorded").count()
        );
        d.assert_clean();
    }
}

#[test]
fn exits_while_the_daemon_is_down_are_recorded_at_restart() {
    let mut d = Daemon::start();
    d.import_busybox();
    let signal = tempfile::tempdir().expect("temp dir");
    let bind = format!("{}:/signal", signal.path().display());
    let waiter = "while [ ! -e /signal/go ]; do sleep 0.05; done; exit 6";
    let run = |args: &[&str]| {
        let mut all = vec!["run", "-d", "--network", "none", "-v", &bind];
        all.extend_from_slice(args);
        all.extend_from_slice(&["busybox", "sh", "-c", waiter]);
        d.hako(&all).ok().stdout.trim().to_string()
    };
    let kept = run(&["--name", "quits-while-down"]);
    let removed = run(&["--rm", "--name", "removed-while-down"]);
    let pids: Vec<String> = [&kept, &removed]
        .iter()
        .map(|id| {
            d.hako(&["inspect", "--format", "{{.State.Pid}}", id])
                .ok()
                .stdout
                .trim()
                .to_string()
        })
        .collect();
    d.kill();
    // Both exit, and their monitors finish, strictly while no daemon runs.
    std::fs::write(signal.path().join("go"), b"").unwrap();
    let gone = eventually(Duration::from_secs(10), || {
        pids.iter()
            .all(|p| !Path::new(&format!("/proc/{p}")).exists())
            .then_some(())
    });
    assert!(gone.is_some(), "containers did not exit");
    let monitors = eventually(Duration::from_secs(10), || {
        common::processes_mentioning(&d.exec_root)
            .is_empty()
            .then_some(())
    });
    assert!(monitors.is_some(), "monitors did not exit");
    let started = Instant::now();
    d.restart();
    // Known at once: the exit is read from the monitor's record during start-up.
    let state = d
        .hako(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}",
            &kept,
        ])
        .ok();
    assert_eq!(state.stdout.trim(), "exited 6 false");
    let finished = d
        .hako(&["inspect", "--format", "{{.State.FinishedAt}}", &kept])
        .ok();
    assert!(
        !finished.stdout.starts_with("0001-"),
        "no FinishedAt: {}",
        finished.stdout
    );
    let waited = json(&d, "POST", &format!("/containers/{kept}/wait"), None);
    assert_eq!(waited.json()["StatusCode"], 6, "{}", waited.text());
    // The --rm one is removed by the restarted daemon, as Docker does.
    let removed_gone = eventually(Duration::from_secs(10), || {
        (json(&d, "GET", &format!("/containers/{removed}/json"), None).status == 404).then_some(())
    });
    assert!(
        removed_gone.is_some(),
        "auto-remove container still there {:?} after restart",
        started.elapsed()
    );
    d.assert_clean();
}

/// Two pulls need the same layer; the one downloading it fails half-way (its registry
/// dies) while the other waits for it: the waiting pull then downloads the layer itself
/// and completes, and the store holds the image whole.
#[test]
fn a_pull_waiting_on_a_download_that_fails_fetches_the_layer_itself() {
    let fixtures = common::start_registry(&[]);
    let d = Daemon::start();
    let proxy = StallingProxy::start("127.0.0.1:5000".parse().unwrap(), 2 << 20);
    let first = pull_in_background(&d, &format!("{}/layered", proxy.host()));
    let ingest = d.image_root().join("content/ingest");
    let stuck = eventually(Duration::from_secs(30), || {
        (proxy.stalled.load(Ordering::SeqCst) && !entries(&ingest).is_empty()).then_some(())
    });
    assert!(
        stuck.is_some(),
        "the first pull never got stuck\n{}",
        d.log()
    );

    // The same blobs straight from the registry: the big layer is the first pull's.
    let direct = "127.0.0.1:5000/layered";
    let second = pull_in_background(&d, direct);
    let waiting = eventually(Duration::from_secs(30), || {
        d.log()
            .contains("waiting for another pull's download of this layer")
            .then_some(())
    });
    assert!(
        waiting.is_some(),
        "the second pull never waited\n{}",
        d.log()
    );
    proxy.dead.store(true, Ordering::SeqCst);

    let first = first.join().expect("first pull");
    assert_ne!(first.code, 0, "{first:?}");
    let second = second.join().expect("second pull");
    assert_eq!(second.code, 0, "{second:?}\n{}", d.log());
    assert!(second.stdout.contains(": Waiting"), "{second:?}");
    assert!(second.stdout.contains(": Pull complete"), "{second:?}");
    assert!(entries(&ingest).is_empty(), "{:?}", entries(&ingest));
    assert_images_usable(&d);
    assert_layered_intact(&d, &fixtures, direct);
    d.assert_clean();
}
