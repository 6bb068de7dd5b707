//! Request bounds at the API edge, route by route: a malformed JSON body and one over the
//! 10 MiB limit are 400s with a message saying which (Docker has no limit; hako keeps one
//! so that a body cannot fill the daemon's memory, and answers it as the bad request it
//! is, like every other refusal of the body); malformed and unknown filters on list and
//! prune routes are 400s. The daemon keeps serving and holds no more open files after.

mod common;

use std::time::Duration;

use common::{Daemon, http};

const LIMIT_MESSAGE: &str = "request body is larger than 10 MiB";

fn open_fds(d: &Daemon) -> usize {
    let pid = d.pid().expect("daemon pid");
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| rd.count())
        .unwrap_or(0)
}

#[test]
fn json_bodies_and_filters_out_of_bounds_are_400s_on_every_route() {
    let d = Daemon::start();
    d.import_busybox();
    let id = d
        .hako(&["run", "-d", "--network", "none", "busybox", "sleep", "1000"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let exec = http::request(
        &d.socket,
        "POST",
        &format!("/containers/{id}/exec"),
        Some(br#"{"Cmd":["true"]}"#),
    )
    .expect("exec create")
    .json()["Id"]
        .as_str()
        .expect("exec id")
        .to_string();
    let fds_before = open_fds(&d);

    let json_routes = [
        "/containers/create".to_string(),
        format!("/containers/{id}/exec"),
        format!("/containers/{id}/update"),
        format!("/exec/{exec}/start"),
        "/volumes/create".to_string(),
        "/networks/create".to_string(),
        "/auth".to_string(),
    ];
    let oversized = vec![b' '; (10 << 20) + 1];
    for path in &json_routes {
        let r = http::request(&d.socket, "POST", path, Some(b"{\"Image\":")).expect(path);
        assert_eq!(r.status, 400, "malformed JSON to {path}: {}", r.text());
        assert!(
            r.json()["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("invalid JSON: ")),
            "{path}: {}",
            r.text()
        );

        let r = http::request(&d.socket, "POST", path, Some(&oversized)).expect(path);
        assert_eq!(r.status, 400, "oversized body to {path}: {}", r.text());
        assert_eq!(r.json()["message"], LIMIT_MESSAGE, "{path}");
    }

    let filter_routes = [
        ("GET", "/containers/json"),
        ("GET", "/images/json"),
        ("GET", "/volumes"),
        ("GET", "/networks"),
        ("GET", "/events"),
        ("POST", "/containers/prune"),
        ("POST", "/images/prune"),
        ("POST", "/volumes/prune"),
        ("POST", "/networks/prune"),
    ];
    for (method, path) in filter_routes {
        let bad_json = format!("{path}?filters=%7Bnot-json");
        let r = http::request(&d.socket, method, &bad_json, None).expect(path);
        assert_eq!(r.status, 400, "{method} {bad_json}: {}", r.text());
        let message = r.json()["message"].as_str().unwrap_or_default().to_string();
        assert!(
            message.contains("invalid filter"),
            "{method} {path}: {message}"
        );

        let unknown = format!("{path}?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D");
        let r = http::request(&d.socket, method, &unknown, None).expect(path);
        assert_eq!(r.status, 400, "{method} {unknown}: {}", r.text());
        assert_eq!(
            r.json()["message"],
            "invalid filter 'bogus'",
            "{method} {path}"
        );
    }

    // Still serving, the container untouched, and no connection left open.
    assert_eq!(d.hako(&["exec", &id, "echo", "fine"]).ok().stdout, "fine\n");
    let settled = common::eventually(Duration::from_secs(10), || {
        (open_fds(&d) <= fds_before).then_some(())
    });
    assert!(
        settled.is_some(),
        "daemon open files: {fds_before} before, {} after",
        open_fds(&d)
    );
    d.assert_clean();
}

/// Sends `POST path` with a `len`-byte body on `stream` (announced, or chunked without a
/// length) and writes the body from another thread as fast as the daemon takes it, as an
/// uploading client does; returns the response read meanwhile and how much went out.
fn upload<S>(
    stream: S,
    path: &str,
    len: usize,
    chunked: bool,
) -> (std::io::Result<http::Response>, usize)
where
    S: std::io::Read + std::io::Write + Send + 'static,
    S: TryCloneStream,
{
    let mut writer = stream.try_clone_stream();
    let mut reader = stream;
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {len}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: hako\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    );
    let sender = std::thread::spawn(move || {
        let mut sent = 0;
        if writer.write_all(head.as_bytes()).is_err() {
            return sent;
        }
        let chunk = vec![b' '; 1 << 16];
        while sent < len {
            let n = chunk.len().min(len - sent);
            let written = if chunked {
                writer
                    .write_all(format!("{n:x}\r\n").as_bytes())
                    .and_then(|()| writer.write_all(&chunk[..n]))
                    .and_then(|()| writer.write_all(b"\r\n"))
            } else {
                writer.write_all(&chunk[..n])
            };
            if written.is_err() {
                break;
            }
            sent += n;
        }
        sent
    });
    let mut raw = Vec::new();
    let read = reader.read_to_end(&mut raw);
    let sent = sender.join().unwrap_or(0);
    (read.and_then(|_| http::parse(&raw)), sent)
}

trait TryCloneStream {
    fn try_clone_stream(&self) -> Self;
}
impl TryCloneStream for std::os::unix::net::UnixStream {
    fn try_clone_stream(&self) -> Self {
        self.try_clone().unwrap()
    }
}
impl TryCloneStream for std::net::TcpStream {
    fn try_clone_stream(&self) -> Self {
        self.try_clone().unwrap()
    }
}

/// A client uploading far more than the limit reads the daemon's 400 rather than a reset
/// connection, over the Unix socket and over TCP (a close with unread data resets the
/// connection, which destroys the answer in the client's receive queue), whether the body
/// announces its length (refused before reading) or comes chunked (refused at 10 MiB).
#[test]
fn an_upload_over_the_limit_is_answered_not_reset() {
    let port = common::free_port();
    let host = format!("tcp://127.0.0.1:{port}");
    let d = Daemon::start_with(&["-H", &host]);
    let len = 256 << 20;
    for round in 0..3 {
        for chunked in [false, true] {
            let unix = std::os::unix::net::UnixStream::connect(&d.socket).unwrap();
            unix.set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let (r, _) = upload(unix, "/containers/create", len, chunked);
            let r = r.unwrap_or_else(|e| panic!("unix, chunked {chunked}, round {round}: {e}"));
            assert_eq!(r.status, 400, "{}", r.text());
            assert_eq!(r.json()["message"], LIMIT_MESSAGE);

            let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let (r, _) = upload(tcp, "/volumes/create", len, chunked);
            let r = r.unwrap_or_else(|e| panic!("tcp, chunked {chunked}, round {round}: {e}"));
            assert_eq!(r.status, 400, "{}", r.text());
            assert_eq!(r.json()["message"], LIMIT_MESSAGE);
        }
    }
    // Still serving.
    d.hako(&["version"]).ok();
}
