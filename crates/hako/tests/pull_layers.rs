//! Layer downloads against the real fixture registry: concurrent pulls needing the same
//! layers fetch each blob once (the registry's access log counts the requests), and a
//! layer expanding past the daemon's decompression bound fails its pull with nothing
//! half-written.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Barrier;

use common::Daemon;

/// A repository prefix no other test run uses.
fn unique_prefix(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("hako-pull-{what}-{}-{nanos:x}", std::process::id())
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

#[test]
fn concurrent_pulls_fetch_each_shared_layer_once() {
    let fixtures = common::start_registry(&[]);
    // Copies of layered and busybox under repositories of this test only (mounted, so
    // cheap), so that the registry's log shows this test's requests alone.
    let prefix = unique_prefix("shared");
    let layered = format!("127.0.0.1:5000/{prefix}/layered");
    let busybox = format!("127.0.0.1:5000/{prefix}/busybox");
    let seed = Daemon::start();
    for (from, to) in [("layered", &layered), ("busybox", &busybox)] {
        let from = format!("127.0.0.1:5000/{from}");
        seed.hako(&["pull", "-q", &from]).ok();
        seed.hako(&["tag", &from, to]).ok();
        seed.hako(&["push", to]).ok();
    }
    seed.assert_clean();

    // Two pulls of layered and one of busybox (whose only layer is layered's first), all
    // at once into one empty daemon.
    let d = Daemon::start();
    let start = Barrier::new(3);
    let runs: Vec<common::Run> = std::thread::scope(|s| {
        let pulls: Vec<_> = [&layered, &layered, &busybox]
            .into_iter()
            .map(|image| {
                let (d, start) = (&d, &start);
                s.spawn(move || {
                    start.wait();
                    d.hako(&["pull", image])
                })
            })
            .collect();
        pulls
            .into_iter()
            .map(|p| p.join().expect("pull thread"))
            .collect()
    });
    for run in &runs {
        assert_eq!(run.code, 0, "{run:?}\n{}", d.log());
        assert!(run.stdout.contains("Status: "), "{run:?}");
    }
    // Whoever came second waited for the first's download.
    assert!(
        runs.iter().any(|r| r.stdout.contains(": Waiting")),
        "{runs:#?}"
    );

    // Each layer blob was fetched once from the registry, whichever repository asked.
    let layers: Vec<String> = fixtures["images"]["layered"]["manifests"][0]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().expect("digest").to_owned())
        .collect();
    let gets = common::registry_log::settled_requests(5000, "GET", &format!("/v2/{prefix}/"));
    for digest in &layers {
        let fetched: Vec<&String> = gets
            .iter()
            .filter(|l| l.contains(&format!("/blobs/{digest} ")))
            .collect();
        assert_eq!(fetched.len(), 1, "{digest}: {fetched:#?}");
    }

    // The store is consistent: both images there, each layer stored once, the big file
    // intact, no download or unfinished layer left over.
    let ids = d.hako(&["images", "-q", "--no-trunc"]).ok();
    assert_eq!(ids.stdout.lines().count(), 2, "{ids:?}");
    let root = d.image_root();
    assert_eq!(entries(&root.join("content/ingest")), Vec::<String>::new());
    let snapshots = entries(&root.join("snapshots"));
    assert!(
        !snapshots.iter().any(|e| e.starts_with("tmp-")),
        "{snapshots:?}"
    );
    assert_eq!(snapshots.len(), layers.len(), "{snapshots:?}");
    let want = fixtures["expect"]["layered"]["files"]["/data/random.bin"]["sha256"]
        .as_str()
        .expect("sha256 of random.bin");
    let sum = d
        .hako(&["run", "--rm", &layered, "sha256sum", "/data/random.bin"])
        .ok();
    assert_eq!(sum.stdout.split_whitespace().next(), Some(want));
    let run = d.hako(&["run", "--rm", &busybox, "echo", "shared"]).ok();
    assert_eq!(run.stdout.trim(), "shared");
    d.assert_clean();
}

#[test]
fn a_layer_past_the_decompression_bound_fails_the_pull_and_leaves_nothing() {
    common::start_registry(&[]);
    // A 256 MiB run of zeros: about 250 KiB of gzip, a layer of 256 MiB unpacked.
    let tmp = tempfile::tempdir().expect("tmp");
    let zeros = tmp.path().join("zeros.bin");
    std::fs::File::create(&zeros)
        .and_then(|f| f.set_len(256 << 20))
        .expect("zeros");
    let bomb = tmp.path().join("bomb.tar.gz");
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(&bomb)
        .arg("-C")
        .arg(tmp.path())
        .arg("zeros.bin")
        .status()
        .expect("tar");
    assert!(tar.success());
    let compressed = std::fs::metadata(&bomb).expect("bomb").len();
    assert!(compressed < 1 << 20, "{compressed} bytes of gzip");

    // A daemon with the default bound imports and pushes it.
    let image = format!("127.0.0.1:5000/{}:latest", unique_prefix("bomb"));
    let maker = Daemon::start();
    maker
        .hako(&["import", bomb.to_str().expect("path"), &image])
        .ok();
    maker.hako(&["push", &image]).ok();
    maker.assert_clean();
    drop(maker);

    // One bounded at 64 MiB refuses it, naming the bound.
    let d = Daemon::start_with(&["--max-layer-size", &(64u64 << 20).to_string()]);
    let pull = d.hako(&["pull", &image]);
    assert_eq!(pull.code, 1, "{pull:?}");
    assert!(
        pull.stderr.contains(
            "layer refused: it expands beyond 67108864 bytes uncompressed (--max-layer-size)"
        ),
        "{pull:?}"
    );
    // Nothing of it stays: no image, no blob, no download, no layer.
    let images = d.hako(&["images", "-q"]).ok();
    assert_eq!(images.stdout.trim(), "", "{images:?}");
    let root = d.image_root();
    for dir in ["content/ingest", "content/blobs/sha256", "snapshots"] {
        assert_eq!(entries(&root.join(dir)), Vec::<String>::new(), "{dir}");
    }
    // The bound is per daemon: one with the default pulls it whole.
    let open = Daemon::start();
    open.hako(&["pull", "-q", &image]).ok();
    let size = open
        .hako(&["image", "inspect", "--format", "{{.Size}}", &image])
        .ok();
    assert_eq!(size.stdout.trim(), (256u64 << 20).to_string());
    open.assert_clean();
    d.assert_clean();
}
