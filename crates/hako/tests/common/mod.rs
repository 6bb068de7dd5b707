//! Integration-test harness: a real `hako daemon` on a temp socket, data root and exec
//! root, with its own cgroup parent; helpers to run our CLI, the real docker CLI and raw
//! HTTP against it; and leak checks (mounts, cgroups, monitor processes, files).
#![allow(dead_code)]

pub mod http;
pub mod registry_log;
pub mod relay;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The hako binary under test.
pub fn hako_bin() -> &'static str {
    env!("CARGO_BIN_EXE_hako")
}

/// Where the fixtures live (`../shared/fixtures/make-images` builds them).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(
        std::env::var("HAKO_FIXTURES_DIR").unwrap_or_else(|_| "/var/cache/hako-fixtures".into()),
    )
}

/// The busybox rootfs tarball for the host's architecture.
pub fn busybox_rootfs() -> PathBuf {
    let arch = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "amd64"
    };
    fixtures_dir().join(format!("rootfs/busybox-{arch}.tar"))
}

/// `../shared/fixtures` beside the repository, or `$HAKO_SHARED/fixtures`.
pub fn shared_fixtures() -> PathBuf {
    match std::env::var_os("HAKO_SHARED") {
        Some(s) => PathBuf::from(s).join("fixtures"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures"
        )),
    }
}

/// Starts the fixture registry with `flags` (`--auth`, `--tls`; plain HTTP on
/// 127.0.0.1:5000 without) and returns `fixtures.json`. Idempotent: the script serialises
/// its callers and skips images already pushed.
pub fn start_registry(flags: &[&str]) -> serde_json::Value {
    let out = Command::new(shared_fixtures().join("registry"))
        .arg("start")
        .args(flags)
        .output()
        .expect("run fixtures/registry");
    assert!(
        out.status.success(),
        "registry start {flags:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = fixtures_dir().join("fixtures.json");
    serde_json::from_slice(&std::fs::read(path).expect("fixtures.json")).expect("json")
}

/// A TCP port on 127.0.0.1 nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real docker CLI, if present.
pub fn docker_cli() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("docker"))
            .find(|p| p.is_file())
    })
}

/// A command's result.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panics with both streams unless the exit code is 0.
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "command failed\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// How long any one CLI command in a test may take before it counts as hung.
const COMMAND_LIMIT: Duration = Duration::from_secs(60);

/// Runs `cmd` with `input` (or nothing) on stdin and kills it if it outlives
/// [`COMMAND_LIMIT`], so that a hung command fails its test instead of the whole run.
pub fn run_bounded(mut cmd: Command, input: Option<&[u8]>) -> Run {
    let mut child = cmd
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn command");
    if let Some(input) = input {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input).expect("write stdin");
    }
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(COMMAND_LIMIT) {
        Ok(out) => out.expect("wait for command").into(),
        Err(_) => {
            let _ = nix_kill(pid, 9);
            panic!("command did not finish within {COMMAND_LIMIT:?}: {cmd:?}");
        }
    }
}

/// A daemon of our own.
pub struct Daemon {
    pub root: PathBuf,
    pub data_root: PathBuf,
    pub exec_root: PathBuf,
    pub socket: PathBuf,
    pub cgroup_parent: String,
    /// This daemon's own default bridge (`hkt<N>`), subnet `10.213.<N>.0/24`.
    pub net: NetSlot,
    /// More `hako daemon` flags (TLS, hosts...), kept for restarts.
    pub extra_args: Vec<String>,
    child: Option<Child>,
    _tmp: tempfile::TempDir,
    _exec_tmp: tempfile::TempDir,
}

impl Daemon {
    /// Kills the daemon with SIGKILL (containers keep running: their monitors own them)
    /// and starts a new one on the same socket, roots and cgroup parent.
    pub fn kill_and_restart(&mut self) {
        self.kill();
        self.restart();
    }

    /// Kills the daemon with SIGKILL and reaps it; nothing else (containers, monitors,
    /// files) is touched, as after a crash. [`Daemon::restart`] brings it back.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the daemon again (after [`Daemon::kill`]) on the same socket, roots and
    /// cgroup parent, and waits until it answers.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the daemon is still running");
        self.child = Some(spawn_daemon(
            &self.root,
            &self.socket,
            &self.data_root,
            &self.exec_root,
            &self.cgroup_parent,
            &self.net,
            &self.extra_args,
        ));
        self.wait_ready();
    }

    /// The daemon's PID while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The image store's root (`<data-root>/image`).
    pub fn image_root(&self) -> PathBuf {
        self.data_root.join("image")
    }

    /// Starts a daemon and waits until it answers `/_ping`.
    pub fn start() -> Daemon {
        Self::start_with(&[])
    }

    /// [`Daemon::start`] with more `hako daemon` flags.
    pub fn start_with(extra: &[&str]) -> Daemon {
        assert!(nix_is_root(), "integration tests need root");
        let extra_args: Vec<String> = extra.iter().map(|s| (*s).to_string()).collect();
        let tmp = tempfile::Builder::new()
            .prefix("hako-it-")
            .tempdir()
            .expect("temp dir");
        // Monitor sockets live under the exec root and must fit 108 bytes: keep it short.
        let exec_tmp = tempfile::Builder::new()
            .prefix("hk")
            .tempdir_in("/tmp")
            .expect("temp dir");
        if extra_args.iter().any(|a| a.starts_with("--userns-remap")) {
            // A remapped root must be able to reach the daemon's roots (the daemon checks).
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o711))
                .expect("chmod temp dir");
        }
        let root = tmp.path().to_path_buf();
        let data_root = root.join("data");
        let socket = root.join("hako.sock");
        let exec_root = exec_tmp.path().to_path_buf();
        let cgroup_parent = format!(
            "hako-test-{}",
            exec_tmp.path().file_name().unwrap().to_string_lossy()
        );
        let net = NetSlot::take();
        let child = spawn_daemon(
            &root,
            &socket,
            &data_root,
            &exec_root,
            &cgroup_parent,
            &net,
            &extra_args,
        );
        let mut d = Daemon {
            root,
            data_root,
            exec_root,
            socket,
            cgroup_parent,
            net,
            extra_args,
            child: Some(child),
            _tmp: tmp,
            _exec_tmp: exec_tmp,
        };
        d.wait_ready();
        d
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if http::request(&self.socket, "GET", "/_ping", None).is_ok_and(|r| r.status == 200) {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("daemon exited early ({status}):\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("daemon did not answer within 20 s:\n{}", self.log());
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("daemon.log")).unwrap_or_default()
    }

    /// `DOCKER_HOST`/`HAKO_HOST` value for this daemon.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Runs our CLI against this daemon.
    pub fn hako(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(hako_bin());
        cmd.args(args)
            .env("HAKO_HOST", self.host())
            .env_remove("DOCKER_HOST");
        run_bounded(cmd, None)
    }

    /// Runs our CLI with `input` on stdin (closed after it).
    pub fn hako_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        let mut cmd = Command::new(hako_bin());
        cmd.args(args)
            .env("HAKO_HOST", self.host())
            .env_remove("DOCKER_HOST");
        run_bounded(cmd, Some(input))
    }

    /// Runs the real docker CLI against this daemon; `None` when it is not installed.
    pub fn docker(&self, args: &[&str]) -> Option<Run> {
        let mut cmd = Command::new(docker_cli()?);
        cmd.args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", self.root.join("docker-config"));
        Some(run_bounded(cmd, None))
    }

    /// Imports the fixture busybox rootfs as `busybox:latest` (pull comes later).
    pub fn import_busybox(&self) {
        let tar = busybox_rootfs();
        assert!(
            tar.exists(),
            "{} is missing: run ../shared/fixtures/make-images",
            tar.display()
        );
        self.hako(&["import", tar.to_str().unwrap(), "busybox:latest"])
            .ok();
    }

    /// Removes every container, then asserts that nothing of theirs is left: no mount under
    /// our roots, no cgroup under our parent, no monitor process, no container directory.
    pub fn assert_clean(&self) {
        let ids = self.hako(&["ps", "-aq", "--no-trunc"]).ok();
        for id in ids.stdout.split_whitespace() {
            self.hako(&["rm", "-f", id]).ok();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let leaks = self.leaks();
            if leaks.is_empty() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "leaked after removing every container:\n{}\ndaemon log:\n{}",
                    leaks.join("\n"),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What our containers left behind, one line per item.
    pub fn leaks(&self) -> Vec<String> {
        let mut leaks = Vec::new();
        let roots = [
            self.root.to_string_lossy().into_owned(),
            self.exec_root.to_string_lossy().into_owned(),
        ];
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        for line in mountinfo.lines() {
            if roots.iter().any(|r| line.contains(r.as_str())) {
                leaks.push(format!("mount: {line}"));
            }
        }
        for dir in cgroup_dirs(&self.cgroup_parent) {
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for e in rd.flatten() {
                    if e.path().is_dir() {
                        leaks.push(format!("cgroup: {}", e.path().display()));
                    }
                }
            }
        }
        for pid in processes_mentioning(&self.exec_root) {
            leaks.push(format!("process: {pid}"));
        }
        leaks.extend(self.net.leaks());
        let containers = self.data_root.join("containers");
        if let Ok(rd) = std::fs::read_dir(&containers) {
            for e in rd.flatten() {
                leaks.push(format!("container dir: {}", e.path().display()));
            }
        }
        leaks
    }

    /// Stops the daemon with SIGTERM and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = nix_kill(child.id() as i32, 15);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Best effort even when the test failed: containers, daemon, monitors, mounts,
        // cgroups, in that order.
        if self.child.is_some()
            && let Ok(ids) = std::panic::catch_unwind(|| self.hako(&["ps", "-aq", "--no-trunc"]))
        {
            for id in ids.stdout.split_whitespace() {
                let _ = self.hako(&["rm", "-f", id]);
            }
        }
        self.stop();
        for pid in processes_mentioning(&self.exec_root) {
            let _ = nix_kill(pid, 9);
        }
        std::thread::sleep(Duration::from_millis(50));
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let roots = [self.root.clone(), self.exec_root.clone()];
        let mut mounts: Vec<String> = mountinfo
            .lines()
            .filter_map(|l| l.split_whitespace().nth(4).map(str::to_string))
            .filter(|m| roots.iter().any(|r| m.starts_with(&*r.to_string_lossy())))
            .collect();
        mounts.reverse();
        for m in mounts {
            let _ = Command::new("umount").arg("-l").arg(&m).status();
        }
        for dir in cgroup_dirs(&self.cgroup_parent) {
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for e in rd.flatten() {
                    let _ = std::fs::remove_dir(e.path());
                }
            }
            let _ = std::fs::remove_dir(&dir);
        }
        self.net.remove_all(&self.data_root);
    }
}

fn spawn_daemon(
    root: &Path,
    socket: &Path,
    data_root: &Path,
    exec_root: &Path,
    cgroup_parent: &str,
    net: &NetSlot,
    extra: &[String],
) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("daemon.log"))
        .expect("log file");
    Command::new(hako_bin())
        .arg("daemon")
        .arg("--socket")
        .arg(socket)
        .arg("--data-root")
        .arg(data_root)
        .arg("--exec-root")
        .arg(exec_root)
        .arg("--cgroup-parent")
        .arg(cgroup_parent)
        .arg("--bridge")
        .arg(&net.bridge)
        .arg("--bip")
        .arg(net.bip())
        .arg("--log-level")
        .arg("debug")
        .args(extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log fd"))
        .stderr(log)
        .spawn()
        .expect("spawn hako daemon")
}

/// This parent's directory in every cgroup hierarchy (v1 controllers or the v2 tree).
pub fn cgroup_dirs(parent: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
        for e in rd.flatten() {
            let p = e.path().join(parent);
            if p.is_dir() {
                out.push(p);
            }
        }
    }
    let v2 = Path::new("/sys/fs/cgroup").join(parent);
    if v2.is_dir() && !out.contains(&v2) {
        out.push(v2);
    }
    out
}

/// PIDs whose command line mentions `path`.
pub fn processes_mentioning(path: &Path) -> Vec<i32> {
    let needle = path.to_string_lossy().into_owned();
    let me = std::process::id() as i32;
    let mut pids = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            if pid == me {
                continue;
            }
            let mut cmdline = Vec::new();
            if std::fs::File::open(e.path().join("cmdline"))
                .and_then(|mut f| f.read_to_end(&mut cmdline))
                .is_ok()
            {
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                if cmdline.contains(&needle) && cmdline.contains("monitor") {
                    pids.push(pid);
                }
            }
        }
    }
    pids
}

fn nix_is_root() -> bool {
    // The effective uid, read from /proc to keep the harness free of libc calls.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(str::to_string)
        })
        .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        .unwrap_or(false)
}

fn nix_kill(pid: i32, sig: i32) -> std::io::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other("kill failed"))
    }
}

/// Polls `f` until it returns `Some` or `limit` passes.
pub fn eventually<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A bridge name and subnets of this test's own, held (by a lock file) for the test's
/// life so that parallel tests never share a bridge, subnet or nftables table.
pub struct NetSlot {
    /// Slot number, 0..250.
    pub n: u8,
    /// Default bridge name, `hkt<N>`.
    pub bridge: String,
    _lock: std::fs::File,
}

impl NetSlot {
    fn take() -> NetSlot {
        let dir = Path::new("/tmp/hako-test-nets");
        std::fs::create_dir_all(dir).expect("net slot dir");
        let start = (std::process::id() % 250) as u8;
        for i in 0..250u16 {
            let n = ((u16::from(start) + i) % 250) as u8;
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(dir.join(format!("{n}.lock")))
                .expect("net slot lock");
            if f.try_lock().is_ok() {
                let slot = NetSlot {
                    n,
                    bridge: format!("hkt{n}"),
                    _lock: f,
                };
                // A crashed earlier holder may have left its bridge and table.
                slot.remove_default();
                return slot;
            }
        }
        panic!("no free network slot for a test daemon");
    }

    /// `--bip` of the default bridge.
    pub fn bip(&self) -> String {
        format!("10.213.{}.1/24", self.n)
    }

    /// A subnet of this test's own for a user network (`k` < 40): `10.<214+k>.<N>.0/24`.
    pub fn subnet(&self, k: u8) -> String {
        format!("10.{}.{}.0/24", 214 + k, self.n)
    }

    /// The nftables table of the daemon.
    pub fn table(&self) -> String {
        format!("hako_{}", self.bridge)
    }

    /// Veths still plugged into our bridges, and published-port rules left in our table.
    pub fn leaks(&self) -> Vec<String> {
        let mut out = Vec::new();
        let links = Command::new("ip")
            .args(["-o", "link", "show", "type", "veth"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for l in links.lines() {
            if l.contains(&format!("master {} ", self.bridge)) {
                out.push(format!("veth: {l}"));
            }
        }
        let rules = Command::new("nft")
            .args(["list", "chain", "ip", &self.table(), "ports"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for l in rules.lines().filter(|l| l.contains("dnat")) {
            out.push(format!("nft rule: {}", l.trim()));
        }
        out
    }

    fn remove_default(&self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge])
            .stderr(Stdio::null())
            .status();
        let _ = Command::new("nft")
            .args(["delete", "table", "ip", &self.table()])
            .stderr(Stdio::null())
            .status();
    }

    /// Deletes the default bridge, the table, and the bridges of user networks recorded
    /// under `data_root`.
    pub fn remove_all(&self, data_root: &Path) {
        self.remove_default();
        for b in user_bridges(data_root) {
            let _ = Command::new("ip")
                .args(["link", "del", &b])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Bridges of the user networks recorded under `data_root`.
pub fn user_bridges(data_root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(data_root.join("networks")) {
        for e in rd.flatten() {
            if e.file_name() == "builtin.json" {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(e.path())
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
                && let Some(b) = v.get("bridge").and_then(|b| b.as_str())
            {
                out.push(b.to_string());
            }
        }
    }
    out
}

/// Whether a network interface exists.
pub fn link_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}
