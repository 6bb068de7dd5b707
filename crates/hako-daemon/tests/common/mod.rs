//! A daemon on a temp socket with temp roots, and a raw HTTP/1.1 client over Unix
//! sockets: the tests see exactly the bytes a client would.
#![allow(dead_code)]

pub mod fixture;

use std::path::{Path, PathBuf};
use std::time::Duration;

use hako_daemon::{DaemonError, DaemonOptions};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A daemon running in this process.
pub struct TestDaemon {
    pub socket: PathBuf,
    pub opts: DaemonOptions,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), DaemonError>>>,
    dirs: Option<TempDirs>,
}

/// The daemon's temp roots; removed when dropped.
pub struct TempDirs {
    pub data: tempfile::TempDir,
    pub exec: tempfile::TempDir,
}

/// Temp roots for a daemon; the exec root is short (`/tmp/hd-XXXXXX`) because monitor
/// socket paths under it must fit 108 bytes.
pub fn temp_options() -> (DaemonOptions, tempfile::TempDir, tempfile::TempDir) {
    let data = tempfile::Builder::new()
        .prefix("hako-daemon-test-")
        .tempdir()
        .unwrap();
    let exec = tempfile::Builder::new()
        .prefix("hd-")
        .tempdir_in("/tmp")
        .unwrap();
    let opts = DaemonOptions {
        socket: data.path().join("hako.sock"),
        extra_sockets: Vec::new(),
        data_root: data.path().join("root"),
        exec_root: exec.path().to_path_buf(),
        cgroup_parent: format!("hako-test-{}", std::process::id()),
        exe: hako_exe().unwrap_or_else(|| PathBuf::from("/nonexistent/hako")),
        socket_group: String::new(),
        bridge: String::new(),
        bip: String::new(),
        ..DaemonOptions::default()
    };
    let (bridge, bip) = net_slot();
    let opts = DaemonOptions {
        bridge,
        bip,
        ..opts
    };
    (opts, data, exec)
}

/// A default bridge and subnet of this daemon's own (`hkd<N>`, `10.211.<N>.1/24`), held by
/// a lock file until the test process exits, so that parallel tests never share one.
fn net_slot() -> (String, String) {
    let dir = std::path::Path::new("/tmp/hako-daemon-test-nets");
    let _ = std::fs::create_dir_all(dir);
    for n in 0..250u16 {
        let Ok(f) = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{n}.lock")))
        else {
            continue;
        };
        if f.try_lock().is_ok() {
            // Held for the life of the process.
            std::mem::forget(f);
            return (format!("hkd{n}"), format!("10.211.{n}.1/24"));
        }
    }
    ("hkd-spare".into(), "10.211.250.1/24".into())
}

/// The `hako` binary of this target dir, if it has been built (container tests need it
/// as the monitor). `HAKO_EXE` overrides.
pub fn hako_exe() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HAKO_EXE") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    // target/debug/deps/<test> → target/debug/hako
    let candidate = exe.parent()?.parent()?.join("hako");
    candidate.exists().then_some(candidate)
}

impl TestDaemon {
    pub async fn start() -> Self {
        let (opts, data, exec) = temp_options();
        Self::start_with(opts, data, exec).await
    }

    pub async fn start_with(
        opts: DaemonOptions,
        data: tempfile::TempDir,
        exec: tempfile::TempDir,
    ) -> Self {
        let (tx, rx) = oneshot::channel::<()>();
        let mut task = tokio::spawn(hako_daemon::run_until(opts.clone(), async {
            let _ = rx.await;
        }));
        let socket = opts.socket.clone();
        // The sockets are bound before the engine opens, so a connect alone does not say
        // the daemon serves: wait for an answer, and if the daemon ends instead, say why.
        tokio::select! {
            ended = &mut task => panic!("the test daemon ended while starting: {ended:?}"),
            served = tokio::time::timeout(Duration::from_secs(30), wait_until_serving(&socket)) => {
                served.unwrap_or_else(|_| panic!("the test daemon did not serve {} within 30 s", socket.display()));
            }
        }
        Self {
            socket,
            opts,
            stop: Some(tx),
            task: Some(task),
            dirs: Some(TempDirs { data, exec }),
        }
    }

    /// Asks the daemon to shut down and waits for it.
    pub async fn stop(mut self) -> Result<(), DaemonError> {
        self.shutdown().await
    }

    /// Like [`Self::stop`], but the temp roots outlive the daemon (for restarts).
    pub async fn stop_keep_dirs(mut self) -> (Result<(), DaemonError>, TempDirs) {
        let result = self.shutdown().await;
        let dirs = self.dirs.take().expect("dirs are taken only here");
        (result, dirs)
    }

    async fn shutdown(&mut self) -> Result<(), DaemonError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.expect("daemon task panicked"),
            None => Ok(()),
        }
    }

    pub async fn connect(&self) -> Conn {
        Conn::connect(&self.socket).await
    }

    /// One request on a fresh connection.
    pub async fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> Resp {
        let mut c = self.connect().await;
        c.request(method, path, &[], body).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None).await
    }

    pub async fn post_json(&self, path: &str, json: &str) -> Resp {
        let mut c = self.connect().await;
        c.request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(json.as_bytes()),
        )
        .await
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        // Tests that fail before `stop` still end their daemon: the task sees the sender
        // dropped and shuts down with the runtime.
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        // The daemon keeps its default bridge and nftables table (as dockerd keeps
        // docker0); a test's own are removed with it.
        if !self.opts.bridge.is_empty() {
            let quiet = |args: &[&str], tool: &str| {
                let _ = std::process::Command::new(tool)
                    .args(args)
                    .stderr(std::process::Stdio::null())
                    .status();
            };
            quiet(&["link", "del", &self.opts.bridge], "ip");
            let table = format!("hako_{}", self.opts.bridge);
            quiet(&["delete", "table", "ip", &table], "nft");
        }
    }
}

pub async fn wait_for_socket(path: &Path) {
    for _ in 0..500 {
        if UnixStream::connect(path).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("daemon did not start listening on {}", path.display());
}

/// Waits until `/_ping` on `path` is answered.
/// Never panics: the caller races it against the daemon ending.
async fn wait_until_serving(path: &Path) {
    async fn ping(path: &Path) -> std::io::Result<bool> {
        let mut s = UnixStream::connect(path).await?;
        s.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await?;
        Ok(answer.starts_with(b"HTTP/1.1 200"))
    }
    loop {
        if let Ok(true) = ping(path).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }

    /// The `message` of an error body.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// One keep-alive connection.
pub struct Conn {
    pub rd: BufReader<OwnedReadHalf>,
    pub wr: OwnedWriteHalf,
}

impl Conn {
    pub async fn connect(path: &Path) -> Self {
        let s = UnixStream::connect(path).await.unwrap();
        let (rd, wr) = s.into_split();
        Self {
            rd: BufReader::new(rd),
            wr,
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.wr.write_all(bytes).await.unwrap();
    }

    pub async fn send_head(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: docker\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str(&format!(
            "Content-Length: {}\r\n\r\n",
            body.map_or(0, <[u8]>::len)
        ));
        // One write: a daemon that refuses a request by its headers may close before
        // reading the body, and a second write would then hit a closed socket.
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.wr.write_all(&bytes).await.unwrap();
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        self.send_head(method, path, headers, body).await;
        let mut r = self.read_head().await;
        let no_body = method == "HEAD" || matches!(r.status, 101 | 204 | 304);
        if !no_body {
            r.body = self.read_body(&r).await;
        }
        r
    }

    /// Reads a status line and headers.
    pub async fn read_head(&mut self) -> Resp {
        let mut line = String::new();
        self.rd.read_line(&mut line).await.unwrap();
        let mut parts = line.trim_end().splitn(3, ' ');
        let _version = parts.next().unwrap_or_default();
        let status = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let reason = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.rd.read_line(&mut h).await.unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        Resp {
            status,
            reason,
            headers,
            body: Vec::new(),
        }
    }

    /// Reads the whole body described by `head`.
    pub async fn read_body(&mut self, head: &Resp) -> Vec<u8> {
        let mut body = Vec::new();
        if let Some(len) = head.header("Content-Length") {
            let len: usize = len.parse().unwrap();
            body.resize(len, 0);
            self.rd.read_exact(&mut body).await.unwrap();
        } else if head
            .header("Transfer-Encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            while let Some(chunk) = self.read_chunk().await {
                body.extend_from_slice(&chunk);
            }
        } else {
            self.rd.read_to_end(&mut body).await.unwrap();
        }
        body
    }

    /// One chunk of a chunked body; `None` at the terminating chunk.
    pub async fn read_chunk(&mut self) -> Option<Vec<u8>> {
        let mut size = String::new();
        self.rd.read_line(&mut size).await.unwrap();
        let size = usize::from_str_radix(size.trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {size:?}"));
        let mut chunk = vec![0; size + 2];
        self.rd.read_exact(&mut chunk).await.unwrap();
        chunk.truncate(size);
        (size > 0).then_some(chunk)
    }

    /// Everything until the peer closes.
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.rd.read_to_end(&mut out).await.unwrap();
        out
    }
}

/// Splits Docker's multiplexed stream into (stdout, stderr).
pub fn demux(mut raw: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while raw.len() >= 8 {
        let len = u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]) as usize;
        let payload = &raw[8..8 + len];
        match raw[0] {
            1 => out.extend_from_slice(payload),
            2 => err.extend_from_slice(payload),
            _ => {}
        }
        raw = &raw[8 + len..];
    }
    (out, err)
}
