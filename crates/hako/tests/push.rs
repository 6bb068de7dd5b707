//! `hako push` / `docker push` end to end against the fixture registry (plain HTTP on
//! 127.0.0.1:5000): pull busybox, tag it under a new repository, push it, remove it
//! locally, pull it back by the digest the push printed and run it; the same through the
//! real docker CLI (tag and push), whose output is Docker's.

mod common;

use common::Daemon;

/// Starts the fixture registry.
fn registry() {
    common::start_registry(&[]);
}

/// A repository name no other test run uses.
fn unique_repo(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "127.0.0.1:5000/hako-push-{what}-{}-{nanos:x}",
        std::process::id()
    )
}

/// The digest in Docker's last push line: `t1: digest: sha256:... size: N`.
fn pushed_digest(stdout: &str, tag: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("{tag}: digest: sha256:")))
        .unwrap_or_else(|| panic!("no digest line in {stdout}"));
    let rest = line.split("digest: ").nth(1).expect("digest");
    let (digest, size) = rest.split_once(" size: ").expect("size");
    assert!(size.parse::<u64>().is_ok(), "{line}");
    assert_eq!(digest.len(), "sha256:".len() + 64, "{line}");
    digest.to_owned()
}

#[test]
fn push_then_pull_back_by_digest_and_run() {
    registry();
    let d = Daemon::start();
    d.hako(&["pull", "-q", "127.0.0.1:5000/busybox"]).ok();
    let repo = unique_repo("cli");
    let target = format!("{repo}:t1");
    d.hako(&["tag", "127.0.0.1:5000/busybox", &target]).ok();
    let push = d.hako(&["push", &target]).ok();
    let out = &push.stdout;
    assert!(
        out.contains(&format!("The push refers to repository [{repo}]")),
        "{out}"
    );
    assert!(out.contains(": Preparing"), "{out}");
    // Layers come from 127.0.0.1:5000/busybox: mounted, not uploaded again.
    assert!(
        out.contains(": Mounted from busybox") || out.contains(": Pushed"),
        "{out}"
    );
    let digest = pushed_digest(out, "t1");

    // Pushing again: everything is there already.
    let again = d.hako(&["push", &target]).ok();
    assert!(
        again.stdout.contains(": Layer already exists"),
        "{}",
        again.stdout
    );
    assert_eq!(pushed_digest(&again.stdout, "t1"), digest);

    // Remove every local reference (and so the layers), pull back by digest, run.
    let id = d
        .hako(&["image", "inspect", "--format", "{{.Id}}", &target])
        .ok()
        .stdout
        .trim()
        .to_owned();
    d.hako(&["rmi", "-f", &id]).ok();
    let by_digest = format!("{repo}@{digest}");
    let pull = d.hako(&["pull", &by_digest]).ok();
    assert!(pull.stdout.contains(": Pull complete"), "{}", pull.stdout);
    assert!(
        pull.stdout.contains(&format!("Digest: {digest}")),
        "{}",
        pull.stdout
    );
    let run = d
        .hako(&["run", "--rm", &by_digest, "echo", "pushed and back"])
        .ok();
    assert_eq!(run.stdout.trim(), "pushed and back");

    // Unknown image: Docker's 404 text, nothing streamed.
    let missing = d.hako(&["push", &format!("{repo}:nope")]);
    assert_ne!(missing.code, 0);
    assert!(
        missing.stderr.contains("No such image"),
        "{}",
        missing.stderr
    );
    d.assert_clean();
}

#[test]
fn docker_cli_tags_and_pushes() {
    registry();
    let d = Daemon::start();
    d.hako(&["pull", "-q", "127.0.0.1:5000/busybox"]).ok();
    let repo = unique_repo("docker");
    let target = format!("{repo}:t2");
    let Some(tag) = d.docker(&["tag", "127.0.0.1:5000/busybox", &target]) else {
        eprintln!("no docker CLI: skipped");
        return;
    };
    tag.ok();
    let push = d.docker(&["push", &target]).expect("docker").ok();
    let out = &push.stdout;
    assert!(
        out.contains(&format!("The push refers to repository [{repo}]")),
        "{out}"
    );
    assert!(
        out.contains(": Mounted from busybox") || out.contains(": Pushed"),
        "{out}"
    );
    let digest = pushed_digest(out, "t2");
    // The registry serves it under that digest.
    let pull = d.hako(&["pull", "-q", &format!("{repo}@{digest}")]).ok();
    assert_eq!(pull.stdout.trim(), format!("{repo}@{digest}"));
    d.assert_clean();
}

/// Chunked uploads above this size, 16 MiB per chunk (hako-image's
/// `registry::upload::Chunking` defaults).
const CHUNK_THRESHOLD: u64 = 16 << 20;
const CHUNK_SIZE: u64 = 16 << 20;

/// `layered` loaded from its archive (so nothing can be mounted from another repository
/// and every blob is uploaded), tagged `repo:tag`. Returns the image ID.
fn load_layered(d: &Daemon, target: &str) -> String {
    let archive = common::fixtures_dir().join("archives/layered.tar");
    d.hako(&["load", "-q", "-i", archive.to_str().expect("path")])
        .ok();
    d.hako(&["tag", "layered:latest", target]).ok();
    d.hako(&["image", "inspect", "--format", "{{.Id}}", target])
        .ok()
        .stdout
        .trim()
        .to_owned()
}

#[test]
fn big_layers_go_up_in_chunks_small_ones_whole_and_pull_back_identical() {
    let fixtures = common::start_registry(&[]);
    let d = Daemon::start();
    let repo = unique_repo("chunked");
    let target = format!("{repo}:big");
    let id = load_layered(&d, &target);
    let push = d.hako(&["push", &target]).ok();
    let digest = pushed_digest(&push.stdout, "big");

    // What the registry saw for this repository: one PATCH per chunk of each layer
    // above the threshold (the 50 MiB one), none for the others; one closing PUT per
    // blob (5 layers and the config).
    let sizes: Vec<u64> = fixtures["images"]["layered"]["manifests"][0]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["size"].as_u64().expect("size"))
        .collect();
    let big: Vec<u64> = sizes
        .iter()
        .copied()
        .filter(|s| *s > CHUNK_THRESHOLD)
        .collect();
    assert_eq!(big.len(), 1, "layered has one big layer: {sizes:?}");
    assert!(sizes.iter().any(|s| *s <= CHUNK_THRESHOLD));
    let chunks: u64 = big.iter().map(|s| s.div_ceil(CHUNK_SIZE)).sum();
    let path = repo.trim_start_matches("127.0.0.1:5000");
    let uploads = format!("/v2{path}/blobs/uploads/");
    let patches = common::registry_log::settled_requests(5000, "PATCH", &uploads);
    assert_eq!(patches.len() as u64, chunks, "{patches:#?}");
    assert!(
        patches.iter().all(|l| l.contains("HTTP/1.1\" 202 ")),
        "{patches:#?}"
    );
    let puts = common::registry_log::settled_requests(5000, "PUT", &uploads);
    assert_eq!(puts.len(), sizes.len() + 1, "{puts:#?}");
    assert!(
        puts.iter().all(|l| l.contains("HTTP/1.1\" 201 ")),
        "{puts:#?}"
    );

    // Another daemon pulls it by digest: same image, the big file intact.
    let other = Daemon::start();
    let by_digest = format!("{repo}@{digest}");
    other.hako(&["pull", "-q", &by_digest]).ok();
    let pulled = other
        .hako(&["image", "inspect", "--format", "{{.Id}}", &by_digest])
        .ok();
    assert_eq!(pulled.stdout.trim(), id);
    let want = fixtures["expect"]["layered"]["files"]["/data/random.bin"]["sha256"]
        .as_str()
        .expect("sha256 of random.bin");
    let sum = other
        .hako(&["run", "--rm", &by_digest, "sha256sum", "/data/random.bin"])
        .ok();
    assert_eq!(sum.stdout.split_whitespace().next(), Some(want));
    other.assert_clean();
    d.assert_clean();
}

#[test]
fn push_all_tags_pushes_every_tag_of_the_repository() {
    registry();
    let d = Daemon::start();
    d.hako(&["pull", "-q", "127.0.0.1:5000/busybox"]).ok();
    d.hako(&["pull", "-q", "127.0.0.1:5000/webserver"]).ok();
    let repo = unique_repo("all");
    d.hako(&["tag", "127.0.0.1:5000/busybox", &format!("{repo}:one")])
        .ok();
    d.hako(&["tag", "127.0.0.1:5000/webserver", &format!("{repo}:two")])
        .ok();
    // Another repository's tag stays home.
    let elsewhere = format!("{repo}-not:three");
    d.hako(&["tag", "127.0.0.1:5000/busybox", &elsewhere]).ok();

    let refused = d.hako(&["push", "-a", &format!("{repo}:one")]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("tag can't be used with --all-tags/-a"),
        "{refused:?}"
    );

    let push = d.hako(&["push", "--all-tags", &repo]).ok();
    let out = &push.stdout;
    assert_eq!(
        out.matches(&format!("The push refers to repository [{repo}]"))
            .count(),
        1,
        "{out}"
    );
    let one = pushed_digest(out, "one");
    let two = pushed_digest(out, "two");
    assert_ne!(one, two);
    assert!(!out.contains("three: digest:"), "{out}");
    let (i, j) = (
        out.find("one: digest:").expect("one"),
        out.find("two: digest:").expect("two"),
    );
    assert!(i < j, "tags in order: {out}");

    // Both are in the registry: a fresh daemon pulls each tag, and the third is not.
    let other = Daemon::start();
    for (tag, digest) in [("one", &one), ("two", &two)] {
        let pull = other.hako(&["pull", &format!("{repo}:{tag}")]).ok();
        assert!(
            pull.stdout.contains(&format!("Digest: {digest}")),
            "{}",
            pull.stdout
        );
    }
    let missing = other.hako(&["pull", &format!("{repo}:three")]);
    assert_ne!(missing.code, 0, "{missing:?}");

    // Without a tag and without -a: latest, announced as docker 28's CLI does; there is
    // no latest here.
    let latest = d.hako(&["push", &repo]);
    assert!(
        latest.stdout.starts_with("Using default tag: latest\n"),
        "{latest:?}"
    );
    assert!(latest.stderr.contains("No such image"), "{latest:?}");

    // A repository with no tag at all: Docker's words, in the stream.
    let none = d.hako(&["push", "-a", &format!("{repo}-none")]);
    assert_eq!(none.code, 1, "{none:?}");
    assert!(
        none.stderr.contains(&format!(
            "An image does not exist locally with the tag: {repo}-none"
        )),
        "{none:?}"
    );
    other.assert_clean();
    d.assert_clean();
}

#[test]
fn docker_cli_pushes_all_tags() {
    registry();
    let d = Daemon::start();
    d.hako(&["pull", "-q", "127.0.0.1:5000/busybox"]).ok();
    d.hako(&["pull", "-q", "127.0.0.1:5000/amd64only"]).ok();
    let repo = unique_repo("docker-all");
    let Some(tag) = d.docker(&["tag", "127.0.0.1:5000/busybox", &format!("{repo}:a1")]) else {
        eprintln!("no docker CLI: skipped");
        return;
    };
    tag.ok();
    d.docker(&["tag", "127.0.0.1:5000/amd64only", &format!("{repo}:a2")])
        .expect("docker")
        .ok();
    let push = d.docker(&["push", "-a", &repo]).expect("docker").ok();
    let a1 = pushed_digest(&push.stdout, "a1");
    let a2 = pushed_digest(&push.stdout, "a2");
    // docker's own default tag line when it is left out.
    let latest = d.docker(&["push", &repo]).expect("docker");
    assert!(
        latest.stdout.contains("Using default tag: latest"),
        "{latest:?}"
    );
    assert_ne!(latest.code, 0, "{latest:?}");

    let other = Daemon::start();
    for (tag, digest) in [("a1", &a1), ("a2", &a2)] {
        let by_digest = format!("{repo}@{digest}");
        other.docker(&["pull", &by_digest]).expect("docker").ok();
        let run = other.hako(&["run", "--rm", &by_digest, "uname", "-m"]).ok();
        assert_eq!(run.stdout.trim(), "x86_64", "{tag}");
    }
    other.assert_clean();
    d.assert_clean();
}

#[test]
fn an_upload_cut_half_way_starts_again_and_the_push_completes() {
    let fixtures = common::start_registry(&[]);
    // The connection carrying the 50 MiB layer is cut once, 24 MiB in (inside its second
    // chunk, past every smaller blob).
    let relay = common::relay::CutOnceRelay::start("127.0.0.1:5000".parse().unwrap(), 24 << 20);
    let d = Daemon::start();
    let name = unique_repo("cut")
        .trim_start_matches("127.0.0.1:5000/")
        .to_owned();
    let target = format!("{}/{name}:t", relay.host());
    let id = load_layered(&d, &target);
    let push = d.hako(&["push", &target]).ok();
    assert!(relay.cut.load(std::sync::atomic::Ordering::SeqCst));
    assert!(
        push.stdout.contains(": Retrying in 1 second"),
        "{}",
        push.stdout
    );
    let digest = pushed_digest(&push.stdout, "t");
    // One upload per blob, and one more for the blob that was cut.
    let blobs = fixtures["images"]["layered"]["manifests"][0]["layers"]
        .as_array()
        .expect("layers")
        .len()
        + 1;
    let starts =
        common::registry_log::settled_requests(5000, "POST", &format!("/v2/{name}/blobs/uploads/"));
    assert_eq!(starts.len(), blobs + 1, "{starts:#?}");

    let other = Daemon::start();
    let by_digest = format!("127.0.0.1:5000/{name}@{digest}");
    other.hako(&["pull", "-q", &by_digest]).ok();
    let pulled = other
        .hako(&["image", "inspect", "--format", "{{.Id}}", &by_digest])
        .ok();
    assert_eq!(pulled.stdout.trim(), id);
    other.assert_clean();
    d.assert_clean();
}
