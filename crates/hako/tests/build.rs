//! `hako build` and `docker build` (classic builder) against a real daemon: steps run in
//! real containers, layers are committed, the result runs; failures end with Docker's
//! message and exit code and leave nothing behind, also when the daemon dies mid-build.

mod common;

use std::time::Duration;

use common::{Daemon, eventually};

/// A context directory with `files` (path, contents).
fn context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn path(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().unwrap()
}

/// Nothing a build made is left: no container, and (assert_clean) no mount, cgroup,
/// monitor or container directory; the build working directory is gone too.
fn assert_nothing_left(d: &Daemon) {
    let ps = d.hako(&["ps", "-aq"]).ok();
    assert_eq!(ps.stdout.trim(), "", "a build container was left");
    let build_dir = d.data_root.join("build");
    let left: Vec<_> = std::fs::read_dir(&build_dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "build files left: {left:?}");
    d.assert_clean();
}

const MULTI_STEP: &str = "FROM busybox
ARG GREETING=hello
RUN echo \"$GREETING from run\" > /greeting && mkdir -p /srv/data
COPY app.sh /srv/
COPY conf/ /etc/app/
ENV APP_MODE=production \\
    APP_NAME=\"my app\"
WORKDIR /srv
CMD [\"sh\", \"-c\", \"cat /greeting; sh /srv/app.sh; cat /etc/app/a.conf; echo $APP_MODE $APP_NAME; pwd\"]
";

#[test]
fn a_multi_step_dockerfile_builds_and_runs() {
    let d = Daemon::start();
    d.import_busybox();
    let ctx = context(&[
        ("Dockerfile", MULTI_STEP),
        ("app.sh", "echo app ran\n"),
        ("conf/a.conf", "conf a\n"),
    ]);
    let r = d.hako(&["build", "-t", "built:one", path(&ctx)]).ok();
    let out = &r.stdout;
    assert!(out.contains("Step 1/8 : FROM busybox"), "{out}");
    assert!(
        out.contains("Step 3/8 : RUN echo \"$GREETING from run\""),
        "{out}"
    );
    assert!(out.contains(" ---> Running in "), "{out}");
    assert!(
        out.contains(" ---> Removed intermediate container "),
        "{out}"
    );
    assert!(out.contains("Successfully built "), "{out}");
    assert!(out.contains("Successfully tagged built:one"), "{out}");
    let run = d.hako(&["run", "--rm", "built:one"]).ok();
    assert_eq!(
        run.stdout, "hello from run\napp ran\nconf a\nproduction my app\n/srv\n",
        "{}",
        run.stderr
    );
    // The build argument reaches RUN; the image records the steps as Docker does.
    let r = d
        .hako(&[
            "build",
            "-q",
            "--build-arg",
            "GREETING=bonjour",
            "-t",
            "built:two",
            path(&ctx),
        ])
        .ok();
    assert!(r.stdout.trim().starts_with("sha256:"), "{}", r.stdout);
    let run = d
        .hako(&["run", "--rm", "built:two", "cat", "/greeting"])
        .ok();
    assert_eq!(run.stdout, "bonjour from run\n");
    let hist = d.hako(&["history", "--no-trunc", "built:one"]).ok();
    assert!(hist.stdout.contains("COPY file:"), "{}", hist.stdout);
    assert_nothing_left(&d);
}

#[test]
fn the_docker_cli_builds_with_the_classic_builder() {
    let d = Daemon::start();
    d.import_busybox();
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM busybox\nRUN echo built > /f\nCOPY x /x\nCMD [\"cat\", \"/f\", \"/x\"]\n",
        ),
        ("x", "from context\n"),
    ]);
    let Some(r) = d.docker(&["build", "-t", "dockerbuilt", path(&ctx)]) else {
        return;
    };
    let r = r.ok();
    assert!(r.stdout.contains("Step 1/4 : FROM busybox"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Successfully tagged dockerbuilt:latest"),
        "{}",
        r.stdout
    );
    let run = d.hako(&["run", "--rm", "dockerbuilt"]).ok();
    assert_eq!(run.stdout, "built\nfrom context\n");
    // A failing RUN: docker prints Docker's message and exits with the command's code.
    let bad = context(&[("Dockerfile", "FROM busybox\nRUN echo going && exit 3\n")]);
    let r = d.docker(&["build", path(&bad)]).unwrap();
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("The command '/bin/sh -c echo going && exit 3' returned a non-zero code: 3"),
        "{}",
        r.stderr
    );
    assert_nothing_left(&d);
}

#[test]
fn a_failing_run_ends_the_build_and_leaves_nothing() {
    let d = Daemon::start();
    d.import_busybox();
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo before\nRUN echo output of the step; exit 7\nRUN echo never\n",
    )]);
    let r = d.hako(&["build", "-t", "never", path(&ctx)]);
    assert_eq!(r.code, 7, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("output of the step"), "{}", r.stdout);
    assert!(!r.stdout.contains("Step 4/4"), "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "The command '/bin/sh -c echo output of the step; exit 7' returned a non-zero code: 7"
        ),
        "{}",
        r.stderr
    );
    assert!(d.hako(&["image", "inspect", "never"]).code != 0);
    // Unknown instructions are refused before anything runs, with Docker's words.
    let ctx = context(&[("Dockerfile", "FROM busybox\nFOO bar\n")]);
    let r = d.hako(&["build", path(&ctx)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("dockerfile parse error on line 2: unknown instruction: FOO"),
        "{}",
        r.stderr
    );
    assert_nothing_left(&d);
}

#[test]
fn multi_stage_copy_from_and_target() {
    let d = Daemon::start();
    d.import_busybox();
    let ctx = context(&[(
        "Dockerfile",
        "ARG BASE=busybox\nFROM $BASE AS builder\nRUN mkdir /out && echo compiled > /out/bin.txt\n\
         FROM busybox AS other\nRUN echo other > /other\n\
         FROM scratch\nCOPY --from=builder /out/bin.txt /bin.txt\nCOPY --from=0 /bin/busybox /busybox\n\
         CMD [\"/busybox\", \"cat\", \"/bin.txt\"]\n",
    )]);
    d.hako(&["build", "-t", "staged", path(&ctx)]).ok();
    let run = d.hako(&["run", "--rm", "staged"]).ok();
    assert_eq!(run.stdout, "compiled\n");
    let ls = d
        .hako(&["run", "--rm", "staged", "/busybox", "ls", "/"])
        .ok();
    assert!(!ls.stdout.contains("other"), "{}", ls.stdout);
    // --target stops at the named stage.
    d.hako(&[
        "build",
        "--target",
        "other",
        "-t",
        "staged:other",
        path(&ctx),
    ])
    .ok();
    let run = d
        .hako(&["run", "--rm", "staged:other", "cat", "/other"])
        .ok();
    assert_eq!(run.stdout, "other\n");
    assert_nothing_left(&d);
}

#[test]
fn dockerignore_and_cache() {
    let d = Daemon::start();
    d.import_busybox();
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM busybox\nRUN cat /proc/sys/kernel/random/uuid > /stamp\nCOPY . /ctx/\nRUN ls /ctx > /listing\n",
        ),
        (".dockerignore", "*.log\nsecret\n!keep.log\n"),
        ("a.txt", "a"),
        ("debug.log", "no"),
        ("keep.log", "yes"),
        ("secret/key", "no"),
    ]);
    let first = d.hako(&["build", "-t", "ign", path(&ctx)]).ok();
    assert!(!first.stdout.contains("Using cache"), "{}", first.stdout);
    let ls = d.hako(&["run", "--rm", "ign", "cat", "/listing"]).ok();
    let names: Vec<&str> = ls.stdout.lines().collect();
    assert!(names.contains(&"a.txt"), "{names:?}");
    assert!(names.contains(&"keep.log"), "{names:?}");
    assert!(!names.contains(&"debug.log"), "{names:?}");
    assert!(!names.contains(&"secret"), "{names:?}");
    let stamp = d.hako(&["run", "--rm", "ign", "cat", "/stamp"]).ok().stdout;

    // Same context: every step comes from the cache and the image is the same.
    let second = d.hako(&["build", "-t", "ign:again", path(&ctx)]).ok();
    assert_eq!(
        second.stdout.matches(" ---> Using cache").count(),
        3,
        "{}",
        second.stdout
    );
    let id = |r: &str| {
        d.hako(&["image", "inspect", "-f", "{{.Id}}", r])
            .ok()
            .stdout
    };
    assert_eq!(id("ign"), id("ign:again"));

    // A changed file invalidates its COPY and what follows, not what came before.
    std::fs::write(ctx.path().join("a.txt"), "changed").unwrap();
    let third = d.hako(&["build", "-t", "ign:changed", path(&ctx)]).ok();
    assert_eq!(
        third.stdout.matches(" ---> Using cache").count(),
        1,
        "{}",
        third.stdout
    );
    let again = d
        .hako(&["run", "--rm", "ign:changed", "cat", "/stamp"])
        .ok()
        .stdout;
    assert_eq!(again, stamp);

    // --no-cache runs everything again.
    let fresh = d
        .hako(&["build", "--no-cache", "-t", "ign:fresh", path(&ctx)])
        .ok();
    assert!(!fresh.stdout.contains("Using cache"), "{}", fresh.stdout);
    let fresh_stamp = d
        .hako(&["run", "--rm", "ign:fresh", "cat", "/stamp"])
        .ok()
        .stdout;
    assert_ne!(fresh_stamp, stamp);
    assert_nothing_left(&d);
}

/// Issue 8: the daemon is SIGKILLed while a step runs. After the restart no build
/// container, mount, snapshot or image of the build is left, and a build succeeds.
#[test]
fn a_daemon_killed_mid_build_leaves_nothing() {
    let mut d = Daemon::start();
    d.import_busybox();
    let images_before = d.hako(&["images", "-aq", "--no-trunc"]).ok().stdout;
    let snapshots = |d: &Daemon| -> usize {
        std::fs::read_dir(d.image_root().join("snapshots"))
            .map(|rd| rd.count())
            .unwrap_or(0)
    };
    let snaps_before = snapshots(&d);
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo started && sleep 60 && touch /done\n",
    )]);
    let mut child = std::process::Command::new(common::hako_bin())
        .args(["build", "-t", "interrupted", path(&ctx)])
        .env("HAKO_HOST", d.host())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the step's container runs.
    let running = eventually(Duration::from_secs(30), || {
        let ps = d.hako(&["ps", "-q"]).ok();
        (!ps.stdout.trim().is_empty()).then_some(())
    });
    assert!(
        running.is_some(),
        "the build step never started: {}",
        d.log()
    );
    d.kill_and_restart();
    let _ = child.kill();
    let _ = child.wait();

    let ps = d.hako(&["ps", "-aq"]).ok();
    assert_eq!(
        ps.stdout.trim(),
        "",
        "a build container survived the restart"
    );
    assert_eq!(
        d.hako(&["images", "-aq", "--no-trunc"]).ok().stdout,
        images_before
    );
    assert!(d.hako(&["image", "inspect", "interrupted"]).code != 0);
    assert_eq!(snapshots(&d), snaps_before);
    assert_nothing_left(&d);

    let ok = context(&[("Dockerfile", "FROM busybox\nRUN echo fine > /fine\n")]);
    d.hako(&["build", "-t", "after", path(&ok)]).ok();
    let run = d.hako(&["run", "--rm", "after", "cat", "/fine"]).ok();
    assert_eq!(run.stdout, "fine\n");
    assert_nothing_left(&d);
}

/// A client that goes away mid-build cancels it: the running step's container is
/// killed and removed, and nothing of the build is left.
#[test]
fn a_client_leaving_mid_build_cancels_it() {
    let d = Daemon::start();
    d.import_busybox();
    let ctx = context(&[("Dockerfile", "FROM busybox\nRUN sleep 60\n")]);
    let mut child = std::process::Command::new(common::hako_bin())
        .args(["build", "-t", "abandoned", path(&ctx)])
        .env("HAKO_HOST", d.host())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let running = eventually(Duration::from_secs(30), || {
        let ps = d.hako(&["ps", "-q"]).ok();
        (!ps.stdout.trim().is_empty()).then_some(())
    });
    assert!(
        running.is_some(),
        "the build step never started: {}",
        d.log()
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let gone = eventually(Duration::from_secs(20), || {
        let ps = d.hako(&["ps", "-aq"]).ok();
        let dir_empty = std::fs::read_dir(d.data_root.join("build"))
            .map(|mut rd| rd.next().is_none())
            .unwrap_or(true);
        (ps.stdout.trim().is_empty() && dir_empty).then_some(())
    });
    assert!(
        gone.is_some(),
        "the abandoned build was not cleaned up: {}",
        d.log()
    );
    assert!(d.hako(&["image", "inspect", "abandoned"]).code != 0);
    assert_nothing_left(&d);
}
