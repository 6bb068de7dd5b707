//! Pulls from the real fixture registry (`../shared/fixtures/registry start`, plain HTTP on
//! 127.0.0.1:5000) into stores in temp dirs: every fixture by tag and by digest, platform
//! choice and errors, whiteouts, a blob served with the wrong bytes by a small HTTP server
//! of the test's own (nothing half-written, the next pull succeeds).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use hako_image::manifest::Platform;
use hako_image::registry::{PullEvent, PullOptions};
use hako_image::{Error, ImageStore};
use serde_json::Value;

fn shared_fixtures() -> PathBuf {
    match std::env::var_os("HAKO_SHARED") {
        Some(s) => PathBuf::from(s).join("fixtures"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures"
        )),
    }
}

/// Starts the fixture registry (idempotent, serialised by the script's own lock).
fn registry() -> Option<Value> {
    if !common::need_root("the fixture registry") {
        return None;
    }
    let fx = common::fixtures()?;
    let out = Command::new(shared_fixtures().join("registry"))
        .arg("start")
        .output()
        .expect("run fixtures/registry");
    assert!(
        out.status.success(),
        "registry start failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(fx)
}

fn pull(
    store: &ImageStore,
    name: &str,
    platform: Option<&str>,
) -> hako_image::Result<hako_image::registry::PullOutcome> {
    let opts = PullOptions {
        platform: platform.map(|p| Platform::parse(p).expect("platform")),
        ..PullOptions::default()
    };
    store.pull(name, &opts, &|_| {})
}

fn digest(fx: &Value, image: &str) -> String {
    fx["images"][image]["digest"]
        .as_str()
        .expect("digest")
        .to_owned()
}

#[test]
fn every_fixture_by_tag_and_by_digest() {
    let Some(fx) = registry() else { return };
    let (_tmp, store) = common::store();
    for name in ["busybox", "amd64only", "layered", "webserver"] {
        let out = pull(&store, &format!("127.0.0.1:5000/{name}"), None).expect(name);
        assert_eq!(out.digest.to_string(), digest(&fx, name), "{name}");
        assert_eq!(out.image.platform.architecture, "amd64");
        assert!(
            out.image
                .repo_tags
                .contains(&format!("127.0.0.1:5000/{name}:latest"))
        );
        assert!(
            out.image
                .repo_digests
                .contains(&format!("127.0.0.1:5000/{name}@{}", digest(&fx, name)))
        );
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        for dir in &out.image.lower_dirs {
            assert!(dir.is_dir(), "{}", dir.display());
        }
    }
    // Fresh store, by digest.
    let (_tmp2, store2) = common::store();
    for name in ["busybox", "layered", "single-arm64"] {
        let d = digest(&fx, name);
        let out = pull(&store2, &format!("127.0.0.1:5000/{name}@{d}"), None).expect(name);
        assert_eq!(out.digest.to_string(), d);
        assert!(out.image.repo_tags.is_empty());
        assert_eq!(
            out.status_line(),
            format!("Status: Downloaded newer image for 127.0.0.1:5000/{name}@{d}")
        );
    }
    // Second pull: up to date, nothing fetched.
    let events = Mutex::new(Vec::new());
    let out = store
        .pull("127.0.0.1:5000/layered", &PullOptions::default(), &|e| {
            events.lock().unwrap().push(e)
        })
        .expect("again");
    assert!(out.up_to_date);
    assert_eq!(
        out.status_line(),
        "Status: Image is up to date for 127.0.0.1:5000/layered:latest"
    );
    let events = events.into_inner().unwrap();
    assert!(
        events.iter().all(|e| matches!(
            e,
            PullEvent::PullingFrom { .. } | PullEvent::LayerExists { .. }
        )),
        "{events:?}"
    );
}

#[test]
fn platforms_errors_and_warnings() {
    let Some(fx) = registry() else { return };
    let (_tmp, store) = common::store();
    let arm = pull(&store, "127.0.0.1:5000/busybox", Some("linux/arm64")).expect("arm64");
    assert_eq!(arm.image.platform.to_string(), "linux/arm64/v8");
    let arm_manifest = &fx["images"]["busybox"]["manifests"][1]["digest"];
    assert_eq!(
        arm.image
            .manifest
            .as_ref()
            .map(|m| m.digest.to_string())
            .as_deref(),
        arm_manifest.as_str()
    );

    let err = pull(&store, "127.0.0.1:5000/amd64only", Some("linux/arm64")).expect_err("no arm64");
    assert_eq!(
        err.to_string(),
        "no matching manifest for linux/arm64/v8 in the manifest list entries\nthe image is available for: linux/amd64"
    );
    let single = pull(&store, "127.0.0.1:5000/single-arm64", None).expect("single");
    assert_eq!(
        single.warnings,
        vec!["The requested image's platform (linux/arm64/v8) does not match the detected host platform (linux/amd64) and no specific platform was requested".to_owned()]
    );
    let missing = pull(&store, "127.0.0.1:5000/does-not-exist", None).expect_err("missing");
    assert!(matches!(missing, Error::Registry { .. }), "{missing:?}");
    assert!(
        missing
            .to_string()
            .starts_with("manifest for 127.0.0.1:5000/does-not-exist:latest not found: "),
        "{missing}"
    );
}

#[test]
fn layered_whiteouts_after_pull() {
    if registry().is_none() {
        return;
    }
    let (tmp, store) = common::store();
    let out = pull(&store, "127.0.0.1:5000/layered", None).expect("layered");
    let o = common::Overlay::mount(tmp.path(), &out.image.lower_dirs);
    let data = o.target.join("data");
    assert!(!data.join("remove-me.txt").exists());
    assert!(!data.join("dir-removed").exists());
    assert_eq!(
        std::fs::read_to_string(data.join("replaced.txt")).unwrap(),
        "version 2\n"
    );
    let opaque: Vec<_> = std::fs::read_dir(data.join("opaque"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(opaque, vec![std::ffi::OsString::from("new.txt")]);
    assert_eq!(
        std::fs::metadata(data.join("random.bin")).unwrap().len(),
        52428800
    );
}

/// A registry of the test's own that serves the `busybox` amd64 manifest and config from
/// the fixture layout but corrupts the layer (same size, one byte changed).
fn corrupting_registry(fx: &Value, stop: Arc<AtomicBool>) -> (u16, std::thread::JoinHandle<()>) {
    let dir = common::fixtures_dir().join("oci/busybox/blobs/sha256");
    let m = &fx["images"]["busybox"]["manifests"][0];
    let manifest_digest = m["digest"].as_str().unwrap().to_owned();
    let manifest = std::fs::read(dir.join(&manifest_digest[7..])).unwrap();
    let config_digest = m["config"]["digest"].as_str().unwrap().to_owned();
    let config = std::fs::read(dir.join(&config_digest[7..])).unwrap();
    let layer_digest = m["layers"][0]["digest"].as_str().unwrap().to_owned();
    let mut layer = std::fs::read(dir.join(&layer_digest[7..])).unwrap();
    let mid = layer.len() / 2;
    layer[mid] ^= 0xff;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        // Serves until told to stop (then woken by one last connection).
        for stream in listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(500)));
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            let head = line.starts_with("HEAD");
            let (ctype, body): (&str, &[u8]) = if line.contains("/manifests/") {
                ("application/vnd.oci.image.manifest.v1+json", &manifest)
            } else if line.contains(&config_digest) {
                ("application/octet-stream", &config)
            } else if line.contains(&layer_digest) {
                ("application/octet-stream", &layer)
            } else if line.contains(" /v2/ ") {
                ("application/json", b"{}")
            } else {
                ("text/plain", b"not found")
            };
            let status = if ctype == "text/plain" {
                "404 Not Found"
            } else {
                "200 OK"
            };
            let mut resp = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nDocker-Content-Digest: {}\r\nConnection: close\r\n\r\n",
                body.len(),
                if ctype.contains("manifest") { manifest_digest.as_str() } else { "" }
            )
            .into_bytes();
            if !head {
                resp.extend_from_slice(body);
            }
            let _ = s.write_all(&resp);
        }
    });
    (port, handle)
}

#[test]
fn corrupt_blob_leaves_nothing_and_next_pull_succeeds() {
    let Some(fx) = registry() else { return };
    let (tmp, store) = common::store();
    let stop = Arc::new(AtomicBool::new(false));
    let (port, server) = corrupting_registry(&fx, stop.clone());
    let err = pull(&store, &format!("127.0.0.1:{port}/busybox"), None).expect_err("corrupt");
    stop.store(true, Ordering::SeqCst);
    let _ = std::net::TcpStream::connect(("127.0.0.1", port));
    let _ = server.join();
    let text = err.to_string();
    eprintln!("corrupt blob error: {text}");
    assert!(text.starts_with("unexpected digest "), "{text}");
    // Nothing half-written: no blob but none, no ingest file, no snapshot, no image.
    let root = tmp.path().join("image");
    let count = |p: PathBuf| std::fs::read_dir(p).map(|d| d.count()).unwrap_or(0);
    assert_eq!(count(root.join("content/ingest")), 0);
    assert_eq!(count(root.join("content/blobs/sha256")), 0);
    assert_eq!(count(root.join("snapshots")), 0);
    assert!(store.list().unwrap().is_empty());
    // The real registry then serves the right bytes into the same store.
    let out = pull(&store, "127.0.0.1:5000/busybox", None).expect("good pull");
    assert_eq!(out.digest.to_string(), digest(&fx, "busybox"));
}
