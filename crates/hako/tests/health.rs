//! HEALTHCHECK: `--health-*` probes run as execs, State.Health in inspect, the health in
//! `ps` and its filter, `health_status` events; through our CLI and the real docker CLI.

mod common;

use std::time::Duration;

use common::{Daemon, eventually};

fn daemon() -> Daemon {
    let d = Daemon::start();
    d.import_busybox();
    d
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn health(d: &Daemon, name: &str) -> String {
    d.hako(&["inspect", "--format", "{{.State.Health.Status}}", name])
        .stdout
        .trim()
        .to_string()
}

#[test]
fn failing_probe_makes_the_container_unhealthy() {
    let d = daemon();
    let start = now_secs();
    d.hako(&[
        "run",
        "-d",
        "--name",
        "hc-bad",
        "--health-cmd",
        "echo probing; exit 1",
        "--health-interval",
        "200ms",
        "--health-retries",
        "2",
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let st = eventually(Duration::from_secs(20), || {
        (health(&d, "hc-bad") == "unhealthy").then_some(())
    });
    assert!(st.is_some(), "never unhealthy: {}", health(&d, "hc-bad"));
    let streak = d
        .hako(&[
            "inspect",
            "--format",
            "{{.State.Health.FailingStreak}}",
            "hc-bad",
        ])
        .ok();
    let streak: i64 = streak.stdout.trim().parse().unwrap();
    assert!(streak >= 2, "{streak}");
    let log = d
        .hako(&[
            "inspect",
            "--format",
            "{{json .State.Health.Log}}",
            "hc-bad",
        ])
        .ok();
    assert!(log.stdout.contains("probing"), "{}", log.stdout);
    assert!(log.stdout.contains("\"ExitCode\":1"), "{}", log.stdout);
    let ps = d
        .hako(&[
            "ps",
            "--filter",
            "name=hc-bad",
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .ok();
    assert!(ps.stdout.contains("(unhealthy)"), "{}", ps.stdout);
    let filtered = d.hako(&["ps", "-q", "--filter", "health=unhealthy"]).ok();
    assert_eq!(filtered.stdout.lines().count(), 1, "{}", filtered.stdout);
    let none = d.hako(&["ps", "-q", "--filter", "health=healthy"]).ok();
    assert_eq!(none.stdout.trim(), "");
    let until = now_secs() + 1;
    let ev = d
        .hako(&[
            "events",
            "--since",
            &start.to_string(),
            "--until",
            &until.to_string(),
            "--filter",
            "container=hc-bad",
            "--format",
            "{{.Action}}",
        ])
        .ok();
    assert!(
        ev.stdout.lines().any(|l| l == "health_status: unhealthy"),
        "{}",
        ev.stdout
    );
    d.hako(&["rm", "-f", "hc-bad"]).ok();
    d.assert_clean();
}

#[test]
fn passing_probe_makes_the_container_healthy() {
    let d = daemon();
    d.hako(&[
        "run",
        "-d",
        "--name",
        "hc-good",
        "--health-cmd",
        "true",
        "--health-interval",
        "200ms",
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let st = eventually(Duration::from_secs(20), || {
        (health(&d, "hc-good") == "healthy").then_some(())
    });
    assert!(st.is_some(), "never healthy: {}", health(&d, "hc-good"));
    let ps = d
        .hako(&[
            "ps",
            "--filter",
            "health=healthy",
            "--format",
            "{{.Status}}",
        ])
        .ok();
    assert!(ps.stdout.contains("(healthy)"), "{}", ps.stdout);
    // --no-healthcheck: no State.Health at all.
    d.hako(&[
        "run",
        "-d",
        "--name",
        "hc-none",
        "--no-healthcheck",
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let none = d
        .hako(&[
            "ps",
            "-q",
            "--filter",
            "health=none",
            "--filter",
            "name=hc-none",
        ])
        .ok();
    assert_eq!(none.stdout.lines().count(), 1, "{}", none.stdout);
    d.hako(&["rm", "-f", "hc-good", "hc-none"]).ok();
    d.assert_clean();
}

#[test]
fn probes_resume_after_a_daemon_restart() {
    let mut d = daemon();
    d.hako(&[
        "run",
        "-d",
        "--name",
        "hc-readopt",
        "--health-cmd",
        "test -e /tmp/ok",
        "--health-interval",
        "200ms",
        "--health-retries",
        "1",
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let bad = eventually(Duration::from_secs(20), || {
        (health(&d, "hc-readopt") == "unhealthy").then_some(())
    });
    assert!(
        bad.is_some(),
        "never unhealthy: {}",
        health(&d, "hc-readopt")
    );
    d.kill_and_restart();
    d.hako(&["exec", "hc-readopt", "touch", "/tmp/ok"]).ok();
    let good = eventually(Duration::from_secs(20), || {
        (health(&d, "hc-readopt") == "healthy").then_some(())
    });
    assert!(
        good.is_some(),
        "never healthy: {}",
        health(&d, "hc-readopt")
    );
    d.hako(&["rm", "-f", "hc-readopt"]).ok();
    d.assert_clean();
}

#[test]
fn docker_cli_health_checks() {
    let d = daemon();
    let Some(r) = d.docker(&[
        "run",
        "-d",
        "--name",
        "hc-docker",
        "--health-cmd",
        "exit 1",
        "--health-interval",
        "200ms",
        "--health-retries",
        "2",
        "busybox",
        "sleep",
        "300",
    ]) else {
        eprintln!("no docker CLI; skipped");
        return;
    };
    r.ok();
    let status = || {
        d.docker(&[
            "inspect",
            "--format",
            "{{.State.Health.Status}}",
            "hc-docker",
        ])
        .unwrap()
        .stdout
        .trim()
        .to_string()
    };
    let st = eventually(Duration::from_secs(20), || {
        (status() == "unhealthy").then_some(())
    });
    assert!(st.is_some(), "never unhealthy: {}", status());
    let ps = d
        .docker(&[
            "ps",
            "--filter",
            "name=hc-docker",
            "--format",
            "{{.Status}}",
        ])
        .unwrap()
        .ok();
    assert!(ps.stdout.contains("(unhealthy)"), "{}", ps.stdout);
    d.docker(&[
        "run",
        "-d",
        "--name",
        "hc-docker-ok",
        "--health-cmd",
        "true",
        "--health-interval",
        "200ms",
        "busybox",
        "sleep",
        "300",
    ])
    .unwrap()
    .ok();
    let ok = eventually(Duration::from_secs(20), || {
        let r = d
            .docker(&[
                "inspect",
                "--format",
                "{{.State.Health.Status}}",
                "hc-docker-ok",
            ])
            .unwrap();
        (r.stdout.trim() == "healthy").then_some(())
    });
    assert!(ok.is_some());
    d.docker(&["rm", "-f", "hc-docker", "hc-docker-ok"])
        .unwrap()
        .ok();
    d.assert_clean();
}

/// A HEALTHCHECK given with `import --change` (and `commit --change`) is the image's: a
/// container of it is probed and becomes healthy; the docker CLI shows it in inspect.
#[test]
fn healthcheck_from_change_instructions() {
    let d = daemon();
    let tar = common::busybox_rootfs();
    d.hako(&[
        "import",
        "--change",
        "HEALTHCHECK --interval=200ms --retries=2 CMD test -e /tmp/ready",
        tar.to_str().unwrap(),
        "probed:1",
    ])
    .ok();
    let test = d
        .hako(&[
            "image",
            "inspect",
            "-f",
            "{{json .Config.Healthcheck}}",
            "probed:1",
        ])
        .ok();
    assert_eq!(
        test.stdout.trim(),
        r#"{"Test":["CMD-SHELL","test -e /tmp/ready"],"Interval":200000000,"Retries":2}"#
    );
    d.hako(&[
        "run",
        "-d",
        "--name",
        "hc-change",
        "probed:1",
        "sh",
        "-c",
        "sleep 1; touch /tmp/ready; sleep 300",
    ])
    .ok();
    let st = eventually(Duration::from_secs(20), || {
        (health(&d, "hc-change") == "healthy").then_some(())
    });
    assert!(st.is_some(), "never healthy: {}", health(&d, "hc-change"));
    // commit --change replaces it; NONE turns it off.
    d.hako(&[
        "commit",
        "--change",
        "HEALTHCHECK NONE",
        "hc-change",
        "probed:2",
    ])
    .ok();
    if let Some(r) = d.docker(&[
        "image",
        "inspect",
        "-f",
        "{{json .Config.Healthcheck.Test}}",
        "probed:2",
    ]) {
        assert_eq!(r.ok().stdout.trim(), r#"["NONE"]"#);
    }
    let bad = d.hako(&[
        "import",
        "--change",
        "HEALTHCHECK --interval=1us CMD true",
        tar.to_str().unwrap(),
        "bad:1",
    ]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("cannot be less than 1ms"),
        "{}",
        bad.stderr
    );
    d.assert_clean();
}
