//! The daemon stopped with SIGTERM: containers keep running by default (live restore) and
//! are back under a new daemon; with `--live-restore=false` the daemon stops them first,
//! as Docker's default does, and restart policies apply again at the next start.

mod common;

use std::time::Duration;

use common::{Daemon, http};

fn inspect(d: &Daemon, id: &str, format: &str) -> String {
    d.hako(&["inspect", "-f", format, id])
        .ok()
        .stdout
        .trim()
        .to_string()
}

fn run_d(d: &Daemon, args: &[&str]) -> String {
    let mut all = vec!["run", "-d", "--network", "none"];
    all.extend_from_slice(args);
    d.hako(&all).ok().stdout.trim().to_string()
}

#[test]
fn sigterm_leaves_containers_running_by_default() {
    let mut d = Daemon::start();
    d.import_busybox();
    let info = http::request(&d.socket, "GET", "/info", None)
        .unwrap()
        .json();
    assert_eq!(info["LiveRestoreEnabled"], true);
    let id = run_d(&d, &["busybox", "sleep", "1000"]);
    d.stop();
    assert!(
        !common::processes_mentioning(&d.exec_root).is_empty(),
        "the container's monitor must outlive the daemon"
    );
    d.restart();
    assert_eq!(inspect(&d, &id, "{{.State.Status}}"), "running");
    assert_eq!(d.hako(&["exec", &id, "echo", "hi"]).ok().stdout, "hi\n");
    d.hako(&["rm", "-f", &id]).ok();
    d.assert_clean();
}

#[test]
fn without_live_restore_sigterm_stops_containers_and_policies_apply_at_start() {
    let mut d = Daemon::start_with(&["--live-restore=false"]);
    d.import_busybox();
    let info = http::request(&d.socket, "GET", "/info", None)
        .unwrap()
        .json();
    assert_eq!(info["LiveRestoreEnabled"], false);
    // Ends on its stop signal with its own exit code.
    let plain = run_d(
        &d,
        &[
            "busybox",
            "sh",
            "-c",
            "trap 'exit 3' TERM; while :; do sleep 0.1; done",
        ],
    );
    // sleep as PID 1 ignores SIGTERM: SIGKILL after its one-second grace.
    let unless = run_d(
        &d,
        &[
            "--restart",
            "unless-stopped",
            "--stop-timeout",
            "1",
            "busybox",
            "sleep",
            "1000",
        ],
    );
    let stopped_by_hand = run_d(
        &d,
        &["--restart", "unless-stopped", "busybox", "sleep", "1000"],
    );
    d.hako(&["stop", "-t", "0", &stopped_by_hand]).ok();

    d.stop();
    assert!(
        common::processes_mentioning(&d.exec_root).is_empty(),
        "no container may outlive the daemon without live restore: {:?}",
        common::processes_mentioning(&d.exec_root)
    );
    d.restart();
    assert_eq!(inspect(&d, &plain, "{{.State.Status}}"), "exited");
    assert_eq!(inspect(&d, &plain, "{{.State.ExitCode}}"), "3");
    assert_eq!(inspect(&d, &stopped_by_hand, "{{.State.Status}}"), "exited");
    let back = common::eventually(Duration::from_secs(10), || {
        (inspect(&d, &unless, "{{.State.Status}}") == "running").then_some(())
    });
    assert!(
        back.is_some(),
        "unless-stopped must start again: {}",
        inspect(&d, &unless, "{{json .State}}")
    );
    for id in [&plain, &unless, &stopped_by_hand] {
        d.hako(&["rm", "-f", id]).ok();
    }
    d.assert_clean();
}
