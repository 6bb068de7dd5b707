//! `hako system prune` (and the docker CLI's): stopped containers, unused
//! networks, dangling images and (with `--volumes`) anonymous volumes go, in the docker
//! CLI's order and words; what a running container uses stays.

mod common;

use common::Daemon;

/// A stopped container, an unused network, a dangling image, an anonymous volume; returns
/// (container ID, network name, image ID, volume name).
fn litter(d: &Daemon, tag: &str) -> (String, String, String, String) {
    let c = d
        .hako(&[
            "run",
            "-d",
            "--network",
            "none",
            "-v",
            "/data",
            "busybox",
            "sh",
            "-c",
            "echo x > /data/x",
        ])
        .ok()
        .stdout
        .trim()
        .to_owned();
    d.hako(&["wait", &c]).ok();
    let volume = d
        .hako(&["inspect", "-f", "{{(index .Mounts 0).Name}}", &c])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let image = d.hako(&["commit", &c]).ok().stdout.trim().to_owned();
    let network = format!("prune-{tag}-{}", std::process::id());
    d.hako(&["network", "create", &network]).ok();
    (c, network, image, volume)
}

fn exists(d: &Daemon, kind: &str, name: &str) -> bool {
    d.hako(&[kind, "inspect", name]).code == 0
}

#[test]
fn system_prune_removes_what_nothing_uses_in_dockers_order() {
    let d = Daemon::start();
    d.import_busybox();
    let keep = d
        .hako(&["run", "-d", "--network", "none", "busybox", "sleep", "1000"])
        .ok()
        .stdout
        .trim()
        .to_owned();

    let (c, network, image, volume) = litter(&d, "hako");
    let r = d.hako(&["system", "prune", "-f", "--volumes"]).ok();
    let expected_start = format!(
        "Deleted Containers:\n{c}\n\nDeleted Networks:\n{network}\n\nDeleted Volumes:\n{volume}\n\nDeleted Images:\ndeleted: {image}\n"
    );
    assert!(r.stdout.starts_with(&expected_start), "{}", r.stdout);
    assert!(
        r.stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("Total reclaimed space: ")),
        "{}",
        r.stdout
    );
    for (kind, name) in [
        ("container", &c),
        ("network", &network),
        ("image", &image),
        ("volume", &volume),
    ] {
        assert!(!exists(&d, kind, name), "{kind} {name} is still there");
    }
    assert!(exists(&d, "container", &keep));
    assert!(
        exists(&d, "image", "busybox"),
        "used by a running container"
    );

    // The docker CLI's system prune (it calls /build/prune last) against hako.
    let (c, network, image, volume) = litter(&d, "docker");
    if let Some(r) = d.docker(&["system", "prune", "-f"]) {
        let r = r.ok();
        for id in [&c, &network, &image] {
            assert!(r.stdout.contains(id.as_str()), "{id}: {}", r.stdout);
        }
        assert!(!exists(&d, "container", &c));
    } else {
        d.hako(&["system", "prune", "-f"]).ok();
    }
    d.hako(&["volume", "rm", &volume]).ok();

    // Without --volumes the volume stays.
    let (c, _, _, volume) = litter(&d, "again");
    let r = d.hako(&["system", "prune", "-f"]).ok();
    assert!(r.stdout.contains(&c), "{}", r.stdout);
    assert!(!r.stdout.contains("Deleted Volumes"), "{}", r.stdout);
    assert!(exists(&d, "volume", &volume), "no --volumes: kept");
    d.hako(&["volume", "rm", &volume]).ok();
    d.hako(&["rm", "-f", &keep]).ok();
    d.assert_clean();
}
