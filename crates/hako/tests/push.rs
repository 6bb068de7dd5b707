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
