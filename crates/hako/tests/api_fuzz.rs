//! API fuzzing: random and malformed requests thrown at a live daemon over its socket for a
//! bounded time. The daemon keeps serving, a running container it was not aimed at is
//! untouched, and `ps` and `exec` still work. Bad input may be refused (4xx); the test prints any 5xx it provoked.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::Daemon;
use common::http::request;

/// xorshift64*: reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "BREW",
];

const PATHS: &[&str] = &[
    "/_ping",
    "/version",
    "/info",
    "/containers/json",
    "/containers/create",
    "/containers/{id}/json",
    "/containers/{id}/start",
    "/containers/{id}/stop",
    "/containers/{id}/kill",
    "/containers/{id}/wait",
    "/containers/{id}/logs",
    "/containers/{id}/top",
    "/containers/{id}/attach",
    "/containers/{id}/exec",
    "/containers/{id}/resize",
    "/containers/{id}",
    "/exec/{id}/start",
    "/exec/{id}/json",
    "/images/json",
    "/images/{id}/json",
    "/images/{id}/history",
    "/images/{id}/tag",
    "/images/{id}",
    "/events",
    "/networks",
    "/volumes",
    "/system/df",
];

const QUERIES: &[&str] = &[
    "",
    "?all=1",
    "?all=banana",
    "?filters=%7B%22status%22%3A%5B%22running%22%5D%7D",
    "?filters=%7Bnot-json",
    "?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D",
    "?filters=%5B1%2C2%5D",
    "?limit=-5",
    "?limit=99999999999999999999",
    "?since=yesterday&until=%00",
    "?t=-1&signal=SIGNOPE",
    "?tail=abc&follow=1&stdout=1",
    "?h=-3&w=99999999",
    "?name=..%2F..%2Fetc&fromImage=",
    "?%ZZ=%",
];

const BODIES: &[&str] = &[
    "",
    "{",
    "null",
    "[]",
    "{\"Image\":\"busybox\",\"Cmd\":\"not-an-array\"}",
    "{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":-1,\"CpuShares\":\"x\"}}",
    "{\"Image\":\"\",\"Env\":[1,2,3]}",
    "{\"Image\":\"busybox\",\"HostConfig\":{\"SecurityOpt\":[\"seccomp={\"]}}",
    "{\"Image\":\"busybox\",\"HostConfig\":{\"CapAdd\":[\"CAP_NOPE\"]}}",
    "{\"Image\":\"busybox\",\"HostConfig\":{\"Binds\":[\"::::\"]}}",
    "{\"Cmd\":[\"true\"],\"AttachStdout\":true}",
    "{\"Detach\":true,\"Tty\":\"yes\"}",
    "\u{0}\u{1}\u{2}",
    "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[[[[[[[[[[[[[[]]]]]]]]]]]]]]}}}}}}",
];

/// One random request as raw bytes: sometimes pure noise, mostly HTTP with wrong parts.
fn random_request(rng: &mut Rng, real_id: &str) -> Vec<u8> {
    if rng.below(8) == 0 {
        let n = rng.below(3000);
        return rng.bytes(n);
    }
    let method = rng.pick(METHODS);
    let id = match rng.below(4) {
        0 => real_id.to_string(),
        1 => "x".repeat(rng.below(5000)),
        2 => "%2e%2e%2f%00".to_string(),
        _ => format!("{:x}", rng.next()),
    };
    let version = rng.pick(&["", "/v1.43", "/v1.12", "/v9.99", "/vx"]);
    let path = rng.pick(PATHS).replace("{id}", &id);
    let query = rng.pick(QUERIES);
    let mut body = rng.pick(BODIES).as_bytes().to_vec();
    if rng.below(5) == 0 {
        let n = rng.below(4000);
        body = rng.bytes(n);
    }
    let mut req = format!("{method} {version}{path}{query} HTTP/1.1\r\nHost: x\r\n");
    match rng.below(6) {
        0 => req.push_str(&format!("Content-Length: {}\r\n", body.len() + 10)),
        1 => req.push_str("Content-Length: -1\r\n"),
        2 => req.push_str("Transfer-Encoding: chunked\r\n"),
        3 => req.push_str(&format!("X-Big: {}\r\n", "a".repeat(rng.below(200_000)))),
        _ => req.push_str(&format!("Content-Length: {}\r\n", body.len())),
    }
    match rng.below(4) {
        0 => req.push_str("Content-Type: application/json\r\n"),
        1 => req.push_str("Content-Type: text/plain\r\n"),
        2 => req.push_str("Upgrade: tcp\r\nConnection: Upgrade\r\n"),
        _ => {}
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

/// Sends `raw`, reads at most a little of the answer; returns the status if one came.
fn send(socket: &std::path::Path, raw: &[u8]) -> Option<u16> {
    let mut s = UnixStream::connect(socket).ok()?;
    s.set_read_timeout(Some(Duration::from_millis(300))).ok()?;
    s.set_write_timeout(Some(Duration::from_millis(300))).ok()?;
    let _ = s.write_all(raw);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn random_requests_do_not_hurt_the_daemon() {
    let d = Daemon::start();
    d.import_busybox();
    // The fuzz may stop, kill or remove `target` (it knows its ID); `witness`, whose ID it
    // never sees, must come out untouched.
    let run = || {
        d.hako(&["run", "-d", "busybox", "sleep", "1000"])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    let (target, id) = (run(), run());
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("fuzz seed {seed}");
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(4);
    let (mut sent, mut server_errors) = (0u32, Vec::new());
    while Instant::now() < deadline {
        let raw = random_request(&mut rng, &target);
        if let Some(status) = send(&d.socket, &raw)
            && status >= 500
            && status != 501
        {
            let line = String::from_utf8_lossy(&raw[..raw.len().min(200)]).into_owned();
            server_errors.push(format!("{status}: {line}"));
        }
        sent += 1;
    }
    println!("{sent} requests, server errors: {server_errors:#?}");
    assert!(sent > 20, "only {sent} requests in the time");

    // Still serving, state intact.
    let r = request(&d.socket, "GET", "/_ping", None).unwrap();
    assert_eq!(r.status, 200);
    let ps = d.hako(&["ps", "-q", "--no-trunc"]).ok();
    assert!(ps.stdout.contains(&id), "{ps:?}");
    d.hako(&["exec", &id, "true"]).ok();
    d.hako(&["rm", "-f", &id]).ok();
    let _ = d.hako(&["rm", "-f", &target]);
    assert!(
        !d.log().contains("panicked"),
        "a handler panicked:\n{}",
        d.log()
    );
    d.assert_clean();
}

#[test]
fn the_socket_is_root_and_group_hako_0660() {
    use std::os::unix::fs::MetadataExt;
    let d = Daemon::start();
    let meta = std::fs::metadata(&d.socket).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o660);
    assert_eq!(meta.uid(), 0);
    let groups = std::fs::read_to_string("/etc/group").unwrap();
    let hako_gid = groups
        .lines()
        .find_map(|l| l.strip_prefix("hako:x:"))
        .and_then(|rest| rest.split(':').next())
        .and_then(|g| g.parse::<u32>().ok())
        .expect("the daemon created the hako group");
    assert_eq!(meta.gid(), hako_gid);
}
