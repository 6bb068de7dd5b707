//! Resources and lifecycle against a real daemon and real cgroups: pause/unpause through
//! the freezer, stats and top, pids and CPU limits, update, restart policies with their
//! back-off, rename, restart and prune. Key scenarios go through the real docker CLI.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Daemon, eventually, http};

fn daemon() -> Daemon {
    let d = Daemon::start();
    d.import_busybox();
    d
}

/// The real docker CLI when installed, else our CLI (same flags for these verbs).
fn cli(d: &Daemon, args: &[&str]) -> common::Run {
    d.docker(args).unwrap_or_else(|| d.hako(args))
}

fn run_detached(d: &Daemon, args: &[&str]) -> String {
    let mut all = vec!["run", "-d"];
    all.extend_from_slice(args);
    cli(d, &all).ok().stdout.trim().to_string()
}

fn inspect(d: &Daemon, id: &str, format: &str) -> String {
    cli(d, &["inspect", "-f", format, id])
        .ok()
        .stdout
        .trim()
        .to_string()
}

fn unified() -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split_whitespace().nth(4) == Some("/sys/fs/cgroup") && l.contains(" - cgroup2 "))
}

/// A container's cgroup file: `v1` is `(controller, file)`, `v2` the unified file name.
fn cg_file(d: &Daemon, id: &str, v1: (&str, &str), v2: &str) -> PathBuf {
    if unified() {
        PathBuf::from("/sys/fs/cgroup")
            .join(&d.cgroup_parent)
            .join(id)
            .join(v2)
    } else {
        PathBuf::from("/sys/fs/cgroup")
            .join(v1.0)
            .join(&d.cgroup_parent)
            .join(id)
            .join(v1.1)
    }
}

fn read_trim(p: &PathBuf) -> String {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .to_string()
}

/// CPU time used by the container so far, nanoseconds.
fn cpu_ns(d: &Daemon, id: &str) -> u64 {
    let p = cg_file(d, id, ("cpuacct", "cpuacct.usage"), "cpu.stat");
    let text = read_trim(&p);
    if unified() {
        text.lines()
            .find_map(|l| l.strip_prefix("usage_usec "))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 1000
    } else {
        text.parse().unwrap_or(0)
    }
}

fn upper_file(d: &Daemon, id: &str, name: &str) -> PathBuf {
    d.data_root
        .join("containers")
        .join(id)
        .join("upper")
        .join(name)
}

fn counter(d: &Daemon, id: &str) -> u64 {
    std::fs::read_to_string(upper_file(d, id, "c"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

const COUNTER: &str = "i=0; while :; do i=$((i+1)); echo $i > /c; usleep 5000; done";

#[test]
fn pause_freezes_and_unpause_resumes() {
    let d = daemon();
    let id = run_detached(&d, &["--name", "frozen", "busybox", "sh", "-c", COUNTER]);
    eventually(Duration::from_secs(10), || {
        (counter(&d, &id) > 3).then_some(())
    })
    .expect("counter never advanced");
    cli(&d, &["pause", "frozen"]).ok();
    assert_eq!(
        inspect(
            &d,
            &id,
            "{{.State.Status}} {{.State.Paused}} {{.State.Running}}"
        ),
        "paused true true"
    );
    if !unified() {
        let state = cg_file(&d, &id, ("freezer", "freezer.state"), "cgroup.freeze");
        assert_eq!(read_trim(&state), "FROZEN");
    }
    let ps = cli(&d, &["ps", "--format", "{{.Status}}", "-f", "name=frozen"]).ok();
    assert!(ps.stdout.contains("(Paused)"), "{ps:?}");
    let ps = cli(&d, &["ps", "-q", "-f", "status=paused"]).ok();
    assert_eq!(ps.stdout.trim(), &id[..12]);
    let before = counter(&d, &id);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(counter(&d, &id), before, "counter advanced while paused");
    let again = cli(&d, &["pause", "frozen"]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("is already paused"), "{again:?}");
    let exec = cli(&d, &["exec", "frozen", "true"]);
    assert_ne!(exec.code, 0);
    assert!(exec.stderr.contains("is paused"), "{exec:?}");
    cli(&d, &["unpause", "frozen"]).ok();
    assert_eq!(inspect(&d, &id, "{{.State.Status}}"), "running");
    eventually(Duration::from_secs(10), || {
        (counter(&d, &id) > before + 3).then_some(())
    })
    .expect("counter did not resume after unpause");
    let not = cli(&d, &["unpause", "frozen"]);
    assert!(not.stderr.contains("is not paused"), "{not:?}");
    // A paused container stops (sh as PID 1 ignores SIGTERM: SIGKILL after the grace).
    cli(&d, &["pause", "frozen"]).ok();
    let t = Instant::now();
    cli(&d, &["stop", "-t", "1", "frozen"]).ok();
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    assert_eq!(
        inspect(&d, &id, "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 137"
    );
    let ev = cli(
        &d,
        &[
            "events",
            "--since",
            "0",
            "--until",
            &now_secs(),
            "--filter",
            "container=frozen",
            "--format",
            "{{.Action}}",
        ],
    )
    .ok();
    let actions: Vec<&str> = ev.stdout.lines().collect();
    for want in ["pause", "unpause", "die", "stop"] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    d.assert_clean();
}

#[test]
fn kill_of_a_paused_container_works() {
    let d = daemon();
    let id = run_detached(&d, &["busybox", "sleep", "1000"]);
    cli(&d, &["pause", &id]).ok();
    cli(&d, &["kill", &id]).ok();
    assert_eq!(
        inspect(&d, &id, "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 137"
    );
    d.assert_clean();
}

fn now_secs() -> String {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1)
    .to_string()
}

#[test]
fn stats_numbers_move_and_docker_prints_a_row() {
    let d = daemon();
    let id = run_detached(
        &d,
        &[
            "--name",
            "busy",
            "busybox",
            "sh",
            "-c",
            "while :; do :; done",
        ],
    );
    let get = || {
        let r = http::request(
            &d.socket,
            "GET",
            &format!("/containers/{id}/stats?stream=false"),
            None,
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let s1 = get();
    let total =
        |s: &serde_json::Value| s["cpu_stats"]["cpu_usage"]["total_usage"].as_u64().unwrap();
    let pre = s1["precpu_stats"]["cpu_usage"]["total_usage"]
        .as_u64()
        .unwrap();
    assert!(total(&s1) > pre, "{s1}");
    assert!(
        s1["cpu_stats"]["system_cpu_usage"].as_u64().unwrap() > 0,
        "{s1}"
    );
    assert!(
        s1["cpu_stats"]["online_cpus"].as_u64().unwrap() >= 1,
        "{s1}"
    );
    assert!(s1["memory_stats"]["usage"].as_u64().unwrap() > 0, "{s1}");
    assert!(s1["memory_stats"]["limit"].as_u64().unwrap() > 0, "{s1}");
    assert!(s1["pids_stats"]["current"].as_u64().unwrap() >= 1, "{s1}");
    assert_eq!(s1["name"], "/busy");
    std::thread::sleep(Duration::from_millis(300));
    let s2 = get();
    assert!(total(&s2) > total(&s1), "cpu usage did not grow: {s1} {s2}");
    // one-shot answers at once without precpu.
    let r = http::request(
        &d.socket,
        "GET",
        &format!("/containers/{id}/stats?stream=false&one-shot=true"),
        None,
    )
    .unwrap();
    assert_eq!(r.json()["precpu_stats"]["cpu_usage"]["total_usage"], 0);
    if let Some(r) = d.docker(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}",
        "busy",
    ]) {
        let r = r.ok();
        let cols: Vec<&str> = r.stdout.trim().split('|').collect();
        assert_eq!(cols[0], "busy", "{r:?}");
        let cpu: f64 = cols[1].trim_end_matches('%').parse().unwrap();
        eprintln!("docker stats: {}", r.stdout.trim());
        assert!(cpu > 10.0, "busy loop shows {cpu}% CPU");
        assert!(cols[2].contains(" / "), "{r:?}");
        assert_ne!(cols[3], "0");
        let table = d.docker(&["stats", "--no-stream", "busy"]).unwrap().ok();
        let header = table.stdout.lines().next().unwrap();
        for col in [
            "CONTAINER ID",
            "NAME",
            "CPU %",
            "MEM USAGE / LIMIT",
            "MEM %",
            "NET I/O",
            "BLOCK I/O",
            "PIDS",
        ] {
            assert!(header.contains(col), "{header}");
        }
    }
    d.assert_clean();
}

#[test]
fn top_lists_the_container_processes() {
    let d = daemon();
    let id = run_detached(&d, &["busybox", "sh", "-c", "sleep 1001 & sleep 1002"]);
    let r = eventually(Duration::from_secs(10), || {
        let r = cli(&d, &["top", &id]).ok();
        (r.stdout.contains("sleep 1001") && r.stdout.contains("sleep 1002")).then_some(r)
    })
    .expect("top never showed both sleeps");
    let header = r.stdout.lines().next().unwrap();
    assert!(header.contains("PID") && header.contains("CMD"), "{header}");
    // sh runs its last command with exec: two sleeps, no shell.
    assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
    let r = http::request(
        &d.socket,
        "GET",
        &format!("/containers/{id}/top?ps_args=-o%20pid,comm"),
        None,
    )
    .unwrap();
    let v = r.json();
    assert_eq!(v["Titles"], serde_json::json!(["PID", "COMMAND"]), "{v}");
    assert_eq!(v["Processes"].as_array().unwrap().len(), 2, "{v}");
    cli(&d, &["stop", "-t", "0", &id]).ok();
    let r = cli(&d, &["top", &id]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("is not running"), "{r:?}");
    d.assert_clean();
}

#[test]
fn pids_limit_stops_a_fork_bomb() {
    let d = daemon();
    let id = run_detached(
        &d,
        &[
            "--pids-limit",
            "32",
            "busybox",
            "sh",
            "-c",
            "b() { b | b & }; b; sleep 1000",
        ],
    );
    let current = cg_file(&d, &id, ("pids", "pids.current"), "pids.current");
    let max = cg_file(&d, &id, ("pids", "pids.max"), "pids.max");
    assert_eq!(read_trim(&max), "32");
    std::thread::sleep(Duration::from_millis(1500));
    let n: u64 = read_trim(&current).parse().unwrap();
    assert!(n <= 32, "{n} tasks");
    // The host is fine: another container runs.
    let r = cli(&d, &["run", "--rm", "busybox", "echo", "alive"]).ok();
    assert_eq!(r.stdout.trim(), "alive");
    cli(&d, &["rm", "-f", &id]).ok();
    d.assert_clean();
}

#[test]
fn cpu_quota_caps_a_busy_loop() {
    let d = daemon();
    let capped = run_detached(
        &d,
        &[
            "--cpus",
            "0.2",
            "busybox",
            "sh",
            "-c",
            "while :; do :; done",
        ],
    );
    if !unified() {
        let q = cg_file(&d, &capped, ("cpu", "cpu.cfs_quota_us"), "cpu.max");
        assert_eq!(read_trim(&q), "20000");
    }
    let window = Duration::from_secs(2);
    let a = cpu_ns(&d, &capped);
    let t = Instant::now();
    std::thread::sleep(window);
    let used = cpu_ns(&d, &capped) - a;
    let share = used as f64 / t.elapsed().as_nanos() as f64;
    eprintln!("--cpus 0.2 busy loop used {:.3} of a CPU", share);
    assert!(share < 0.3, "capped loop used {share:.3} CPU");
    assert!(share > 0.05, "capped loop hardly ran: {share:.3}");
    d.assert_clean();
}

#[test]
fn update_changes_limits_of_a_running_container() {
    let d = daemon();
    let id = run_detached(
        &d,
        &[
            "-m",
            "64m",
            "--pids-limit",
            "50",
            "busybox",
            "sleep",
            "1000",
        ],
    );
    let mem = cg_file(&d, &id, ("memory", "memory.limit_in_bytes"), "memory.max");
    assert_eq!(read_trim(&mem), (64u64 << 20).to_string());
    cli(
        &d,
        &[
            "update",
            "-m",
            "128m",
            "--memory-swap",
            "256m",
            "--pids-limit",
            "60",
            "--cpus",
            "0.5",
            "--restart",
            "on-failure:3",
            &id,
        ],
    )
    .ok();
    assert_eq!(read_trim(&mem), (128u64 << 20).to_string());
    let pids = cg_file(&d, &id, ("pids", "pids.max"), "pids.max");
    assert_eq!(read_trim(&pids), "60");
    assert_eq!(
        inspect(
            &d,
            &id,
            "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}"
        ),
        format!(
            "{} {} 60 500000000 on-failure:3",
            128u64 << 20,
            256u64 << 20
        )
    );
    // Shrinking works too (memory before memory+swap).
    cli(&d, &["update", "-m", "32m", "--memory-swap", "48m", &id]).ok();
    assert_eq!(read_trim(&mem), (32u64 << 20).to_string());
    let bad = cli(&d, &["update", "-m", "1m", &id]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("Minimum memory limit allowed is 6MB"),
        "{bad:?}"
    );
    d.assert_clean();
}

/// Docker's defaults and checks at create: swap twice the memory, its refusals, and
/// `--oom-kill-disable` making a container over its limit wait instead of being killed.
#[test]
fn memory_defaults_and_oom_kill_disable() {
    let d = daemon();
    let id = run_detached(&d, &["-m", "32m", "busybox", "sleep", "1000"]);
    assert_eq!(
        inspect(&d, &id, "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}"),
        format!("{} {}", 32u64 << 20, 64u64 << 20)
    );
    if !unified() {
        let memsw = cg_file(&d, &id, ("memory", "memory.memsw.limit_in_bytes"), "");
        assert_eq!(read_trim(&memsw), (64u64 << 20).to_string());
    }
    for (args, want) in [
        (&["-m", "1m"][..], "Minimum memory limit allowed is 6MB"),
        (
            &["-m", "32m", "--memory-swap", "16m"][..],
            "Minimum memoryswap limit should be larger than memory limit",
        ),
        (
            &["-m", "16m", "--memory-reservation", "32m"][..],
            "Minimum memory limit can not be less than memory reservation limit",
        ),
    ] {
        let mut all = vec!["create"];
        all.extend_from_slice(args);
        all.extend(["busybox", "true"]);
        let r = cli(&d, &all);
        assert_ne!(r.code, 0, "{args:?}");
        assert!(r.stderr.contains(want), "{args:?}: {r:?}");
    }

    // A container that wants more than it may have, swap included.
    let hog = [
        "-m",
        "16m",
        "--memory-swap",
        "16m",
        "--oom-kill-disable",
        "busybox",
        "sh",
        "-c",
        "x=a; while true; do x=$x$x; done",
    ];
    if unified() {
        let mut all = vec!["create"];
        all.extend_from_slice(&hog);
        let r = d.hako(&all).ok();
        assert!(r.stderr.contains("OomKillDisable discarded"), "{r:?}");
        d.assert_clean();
        return;
    }
    let hog_id = run_detached(&d, &hog);
    assert_eq!(
        inspect(&d, &hog_id, "{{.HostConfig.OomKillDisable}}"),
        "true"
    );
    let oom = cg_file(&d, &hog_id, ("memory", "memory.oom_control"), "");
    assert!(read_trim(&oom).contains("oom_kill_disable 1"));
    // The kernel holds it at its limit rather than killing it.
    eventually(Duration::from_secs(20), || {
        read_trim(&oom).contains("under_oom 1").then_some(())
    })
    .expect("the container never reached its memory limit");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(inspect(&d, &hog_id, "{{.State.Running}}"), "true");
    cli(&d, &["rm", "-f", &hog_id]).ok();
    d.assert_clean();
}

fn restart_count(d: &Daemon, id: &str) -> u64 {
    inspect(d, id, "{{.RestartCount}}").parse().unwrap()
}

#[test]
fn restart_policy_restarts_with_backoff_and_stop_cancels_it() {
    let d = daemon();
    let t = Instant::now();
    let id = run_detached(
        &d,
        &["--restart", "always", "busybox", "sh", "-c", "exit 3"],
    );
    // 100 + 200 + 400 + 800 ms of back-off before the fourth restart.
    eventually(Duration::from_secs(20), || {
        (restart_count(&d, &id) >= 4).then_some(())
    })
    .expect("RestartCount never reached 4");
    let took = t.elapsed();
    eprintln!("4 restarts after {took:?}");
    assert!(took >= Duration::from_millis(1400), "no back-off: {took:?}");
    cli(&d, &["stop", &id]).ok();
    let n = restart_count(&d, &id);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(restart_count(&d, &id), n, "restarted after stop");
    assert_eq!(inspect(&d, &id, "{{.State.Status}}"), "exited");
    d.assert_clean();
}

#[test]
fn on_failure_gives_up_after_its_retries() {
    let d = daemon();
    let id = run_detached(
        &d,
        &["--restart", "on-failure:2", "busybox", "sh", "-c", "exit 7"],
    );
    eventually(Duration::from_secs(20), || {
        (inspect(&d, &id, "{{.State.Status}} {{.RestartCount}}") == "exited 2").then_some(())
    })
    .expect("on-failure:2 did not end exited after 2 restarts");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        inspect(
            &d,
            &id,
            "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}"
        ),
        "exited 2 7"
    );
    // A clean exit is not a failure.
    let ok = run_detached(&d, &["--restart", "on-failure", "busybox", "true"]);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        inspect(&d, &ok, "{{.State.Status}} {{.RestartCount}}"),
        "exited 0"
    );
    let bad = cli(
        &d,
        &[
            "run",
            "-d",
            "--rm",
            "--restart",
            "always",
            "busybox",
            "true",
        ],
    );
    assert_ne!(bad.code, 0);
    d.assert_clean();
}

#[test]
fn rename_restart_wait_and_prune() {
    let d = daemon();
    let id = run_detached(&d, &["--name", "before", "busybox", "sleep", "1000"]);
    cli(&d, &["rename", "before", "after"]).ok();
    assert_eq!(inspect(&d, &id, "{{.Name}}"), "/after");
    let same = cli(&d, &["rename", "after", "after"]);
    assert_ne!(same.code, 0);
    let started = inspect(&d, &id, "{{.State.StartedAt}}");
    cli(&d, &["restart", "-t", "0", "after"]).ok();
    assert_eq!(inspect(&d, &id, "{{.State.Status}}"), "running");
    assert_ne!(inspect(&d, &id, "{{.State.StartedAt}}"), started);
    // wait --condition next-exit (API) returns the next exit code.
    let sock = d.socket.clone();
    let waiter = std::thread::spawn({
        let id = id.clone();
        move || {
            http::request(
                &sock,
                "POST",
                &format!("/containers/{id}/wait?condition=next-exit"),
                None,
            )
            .unwrap()
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    cli(&d, &["kill", "after"]).ok();
    let w = waiter.join().unwrap();
    assert_eq!(w.json()["StatusCode"], 137);
    // prune: exited containers go, labelled filter respected, running ones stay.
    let keep = run_detached(&d, &["--label", "keep=yes", "busybox", "true"]);
    let running = run_detached(&d, &["busybox", "sleep", "1000"]);
    cli(&d, &["wait", &keep]).ok();
    let r = cli(
        &d,
        &["container", "prune", "-f", "--filter", "label!=keep=yes"],
    )
    .ok();
    assert!(r.stdout.contains(&id), "{r:?}");
    let left = cli(&d, &["ps", "-aq", "--no-trunc"]).ok().stdout;
    assert!(
        left.contains(&keep) && left.contains(&running) && !left.contains(&id),
        "{left}"
    );
    d.assert_clean();
}

#[test]
fn hako_cli_verbs() {
    let d = daemon();
    let id = d
        .hako(&["run", "-d", "--name", "hk", "busybox", "sh", "-c", COUNTER])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(d.hako(&["pause", "hk"]).ok().stdout, "hk\n");
    let before = counter(&d, &id);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(counter(&d, &id), before);
    d.hako(&["unpause", "hk"]).ok();
    let top = d.hako(&["top", "hk", "-o", "pid,args"]).ok();
    assert!(top.stdout.starts_with("PID"), "{top:?}");
    assert!(top.stdout.contains("sh -c"), "{top:?}");
    let stats = d.hako(&["stats", "--no-stream", "hk"]).ok();
    let mut lines = stats.stdout.lines();
    assert!(
        lines.next().unwrap().starts_with("CONTAINER ID   NAME"),
        "{stats:?}"
    );
    assert!(lines.next().unwrap().contains(" hk "), "{stats:?}");
    d.hako(&[
        "update",
        "--pids-limit",
        "40",
        "--restart",
        "unless-stopped",
        "hk",
    ])
    .ok();
    let pids = cg_file(&d, &id, ("pids", "pids.max"), "pids.max");
    assert_eq!(read_trim(&pids), "40");
    d.hako(&["rename", "hk", "hk2"]).ok();
    d.hako(&["restart", "-t", "0", "hk2"]).ok();
    d.hako(&["stop", "-t", "0", "hk2"]).ok();
    let r = d.hako(&["container", "prune", "-f"]).ok();
    assert!(r.stdout.starts_with("Deleted Containers:\n"), "{r:?}");
    assert!(r.stdout.contains("Total reclaimed space:"), "{r:?}");
    d.assert_clean();
}

fn zombies(d: &Daemon, id: &str) -> usize {
    let r = cli(d, &["exec", id, "ps", "-o", "stat,comm"]).ok();
    r.stdout
        .lines()
        .skip(1)
        .filter(|l| l.trim_start().starts_with('Z'))
        .count()
}

#[test]
fn init_reaps_zombies_and_forwards_sigterm() {
    let d = daemon();
    // A grandchild orphaned to PID 1: only a real init reaps it.
    let script = "(sleep 0.2 &); exec sleep 1000";
    let plain = run_detached(&d, &["busybox", "sh", "-c", script]);
    let with_init = run_detached(&d, &["--init", "busybox", "sh", "-c", script]);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        zombies(&d, &plain),
        1,
        "the check needs a zombie without --init"
    );
    assert_eq!(zombies(&d, &with_init), 0, "--init left a zombie");
    assert_eq!(inspect(&d, &with_init, "{{.HostConfig.Init}}"), "true");
    // SIGTERM reaches the command (sleep is not PID 1, so the default action kills it).
    let t = Instant::now();
    cli(&d, &["stop", "-t", "20", &with_init]).ok();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(10), "stop took {took:?}");
    assert_eq!(inspect(&d, &with_init, "{{.State.ExitCode}}"), "143");
    // Exit statuses pass through.
    let r = cli(
        &d,
        &["run", "--rm", "--init", "busybox", "sh", "-c", "exit 5"],
    );
    assert_eq!(r.code, 5, "{r:?}");
    d.assert_clean();
}

#[test]
fn restart_policies_survive_a_daemon_restart() {
    let mut d = daemon();
    let looping = run_detached(&d, &["--restart", "always", "busybox", "sleep", "2"]);
    let stopped_always = run_detached(&d, &["--restart", "always", "busybox", "sleep", "1000"]);
    let stopped_unless = run_detached(
        &d,
        &["--restart", "unless-stopped", "busybox", "sleep", "1000"],
    );
    cli(&d, &["stop", "-t", "0", &stopped_always]).ok();
    cli(&d, &["stop", "-t", "0", &stopped_unless]).ok();
    d.kill_and_restart();
    // The re-adopted container's next exit is restarted by the new daemon.
    eventually(Duration::from_secs(15), || {
        (restart_count(&d, &looping) >= 1).then_some(())
    })
    .expect("re-adopted container was not restarted");
    // moby's restore: `always` comes back even after a manual stop, `unless-stopped` not.
    eventually(Duration::from_secs(10), || {
        (inspect(&d, &stopped_always, "{{.State.Status}}") == "running").then_some(())
    })
    .expect("always container not started at daemon start");
    assert_eq!(inspect(&d, &stopped_unless, "{{.State.Status}}"), "exited");
    d.assert_clean();
}
