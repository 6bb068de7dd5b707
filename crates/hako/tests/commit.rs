//! `hako commit` / `docker commit` and `history`: a container that added, changed and
//! deleted files (a file, a whole directory, a directory emptied and refilled) becomes an
//! image that shows exactly those changes; `--change` CMD/ENV, `-m`, `-a` land in the
//! config; the committed image (and an imported one) push to the fixture registry and come
//! back by digest with the same ID; `history` lists the layers of a pulled image and of a
//! committed one.

mod common;

use common::Daemon;

fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{what}-{}-{nanos:x}", std::process::id())
}

/// Runs a container that changes its filesystem and waits for it to exit.
fn changed_container(d: &Daemon, name: &str) {
    let script = "echo new > /added.txt \
        && echo 'extra:x:1000:1000::/home:/bin/sh' >> /etc/passwd \
        && rm /etc/group \
        && rm -rf /usr/sbin \
        && rm -rf /home && mkdir /home && echo only > /home/only.txt";
    d.hako(&["run", "--name", name, "busybox", "sh", "-c", script])
        .ok();
}

fn inspect(d: &Daemon, format: &str, what: &str) -> String {
    d.hako(&["image", "inspect", "--format", format, what])
        .ok()
        .stdout
        .trim()
        .to_owned()
}

#[test]
fn commit_keeps_exactly_the_container_changes_and_the_changes_flags() {
    let d = Daemon::start();
    d.import_busybox();
    let name = unique("commit-src");
    changed_container(&d, &name);
    let repo = unique("committed");
    let target = format!("{repo}:v1");
    let commit = d
        .hako(&[
            "commit",
            "-m",
            "a message",
            "-a",
            "someone <s@example.com>",
            "-c",
            "ENV FOO=bar",
            "-c",
            r#"CMD ["cat", "/added.txt"]"#,
            &name,
            &target,
        ])
        .ok();
    let id = commit.stdout.trim().to_owned();
    assert!(
        id.starts_with("sha256:") && id.len() == 71,
        "{}",
        commit.stdout
    );
    assert_eq!(inspect(&d, "{{.Id}}", &target), id);
    assert_eq!(inspect(&d, "{{.Comment}}", &target), "a message");
    assert_eq!(
        inspect(&d, "{{.Author}}", &target),
        "someone <s@example.com>"
    );
    assert_eq!(inspect(&d, "{{len .RootFS.Layers}}", &target), "2");

    // CMD from --change.
    let run = d.hako(&["run", "--rm", &target]).ok();
    assert_eq!(run.stdout, "new\n");
    // Every change, and nothing else: ENV from --change, the appended passwd line, the
    // deleted file and directory, the emptied and refilled directory.
    let probe = "echo FOO=$FOO; tail -n 1 /etc/passwd; \
        test -e /etc/group && echo group-present || echo group-gone; \
        test -e /usr/sbin && echo sbin-present || echo sbin-gone; \
        ls /home; test -d /usr/bin && echo usr-bin-kept";
    let run = d.hako(&["run", "--rm", &target, "sh", "-c", probe]).ok();
    assert_eq!(
        run.stdout,
        "FOO=bar\nextra:x:1000:1000::/home:/bin/sh\ngroup-gone\nsbin-gone\nonly.txt\nusr-bin-kept\n"
    );
    // The base image is untouched.
    let base = d
        .hako(&[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "ls /etc/group /usr/sbin >/dev/null && ls /home | wc -l",
        ])
        .ok();
    assert_eq!(base.stdout.trim(), "0");

    // history: the commit on top (its ID, tag, command, comment), the imported base below
    // (known locally as the parent), nothing else.
    let hist = d
        .hako(&[
            "history",
            "--no-trunc",
            "--format",
            "{{.ID}}|{{.CreatedBy}}|{{.Comment}}",
            &target,
        ])
        .ok();
    let busybox_id = inspect(&d, "{{.Id}}", "busybox");
    let lines: Vec<&str> = hist.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", hist.stdout);
    assert!(
        lines[0].starts_with(&format!("{id}|sh -c ")),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("|a message"), "{}", lines[0]);
    assert_eq!(lines[1], format!("{busybox_id}||Imported from -"));
    assert_eq!(inspect(&d, "{{.Parent}}", &target), busybox_id);
    // The default table, Docker's columns.
    let table = d.hako(&["history", &target]).ok();
    let head: Vec<&str> = table
        .stdout
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        head,
        ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    );
    assert!(
        table
            .stdout
            .lines()
            .nth(1)
            .unwrap_or("")
            .starts_with(&id[7..19])
    );

    // A running container is paused for the commit and runs on afterwards.
    let live = unique("commit-live");
    d.hako(&[
        "run",
        "-d",
        "--name",
        &live,
        "busybox",
        "sh",
        "-c",
        "echo live > /live.txt; sleep 60",
    ])
    .ok();
    common::eventually(std::time::Duration::from_secs(10), || {
        let r = d.hako(&["exec", &live, "cat", "/live.txt"]);
        (r.code == 0).then_some(())
    })
    .expect("container wrote its file");
    let live_id = d
        .hako(&["commit", "-p", &live])
        .ok()
        .stdout
        .trim()
        .to_owned();
    // Without pausing too (`--pause=false`).
    let unpaused = d.hako(&["commit", "--pause=false", &live]).ok();
    assert!(
        unpaused.stdout.starts_with("sha256:"),
        "{}",
        unpaused.stdout
    );
    // A moment ahead, so that the events of this very second are in.
    let until = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 2)
    .to_string();
    let events = d
        .hako(&[
            "events",
            "--since",
            "0",
            "--until",
            &until,
            "--filter",
            &format!("container={live}"),
            "--format",
            "{{.Action}}",
        ])
        .ok();
    let actions: Vec<&str> = events
        .stdout
        .lines()
        .filter(|a| !a.starts_with("exec_"))
        .collect();
    let commits: Vec<usize> = (0..actions.len())
        .filter(|i| actions[*i] == "commit")
        .collect();
    assert_eq!(commits.len(), 2, "{actions:?}");
    // The paused commit: pause, commit, unpause; the other one no pause at all.
    assert_eq!(
        &actions[commits[0] - 1..=commits[0] + 1],
        ["pause", "commit", "unpause"],
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "pause").count(),
        1,
        "{actions:?}"
    );
    let state = d
        .hako(&["inspect", "--format", "{{.State.Status}}", &live])
        .ok();
    assert_eq!(state.stdout.trim(), "running");
    let run = d.hako(&["run", "--rm", &live_id, "cat", "/live.txt"]).ok();
    assert_eq!(run.stdout, "live\n");
    // Unknown container: Docker's words.
    let missing = d.hako(&["commit", "no-such-container-xyz"]);
    assert_ne!(missing.code, 0);
    assert!(
        missing
            .stderr
            .contains("No such container: no-such-container-xyz"),
        "{}",
        missing.stderr
    );
    // A bad --change is refused in Docker's words, and no image appears.
    let before = d.hako(&["images", "-aq"]).ok().stdout;
    let bad = d.hako(&["commit", "-c", "FROM scratch", &name]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("from is not a valid change command"),
        "{}",
        bad.stderr
    );
    assert_eq!(d.hako(&["images", "-aq"]).ok().stdout, before);
    d.assert_clean();
}

/// The digest in Docker's last push line: `tag: digest: sha256:... size: N`.
fn pushed_digest(stdout: &str, tag: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("{tag}: digest: sha256:")))
        .unwrap_or_else(|| panic!("no digest line in {stdout}"));
    let rest = line.split("digest: ").nth(1).expect("digest");
    rest.split_once(" size: ").expect("size").0.to_owned()
}

#[test]
fn committed_and_imported_images_push_and_pull_back_with_the_same_id() {
    common::start_registry(&[]);
    let d = Daemon::start();
    d.import_busybox();
    let name = unique("commit-push");
    changed_container(&d, &name);
    let repo = format!("127.0.0.1:5000/{}", unique("hako-commit"));

    // The imported base pushes too.
    let base = format!("{repo}:base");
    d.hako(&["tag", "busybox", &base]).ok();
    let pushed = d.hako(&["push", &base]).ok();
    pushed_digest(&pushed.stdout, "base");

    let target = format!("{repo}:c1");
    let id = d
        .hako(&["commit", &name, &target])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let push = d.hako(&["push", &target]).ok();
    // The base layer is in the repository already; only the new layer goes up.
    assert!(
        push.stdout.contains(": Layer already exists"),
        "{}",
        push.stdout
    );
    assert!(push.stdout.contains(": Pushed"), "{}", push.stdout);
    let digest = pushed_digest(&push.stdout, "c1");

    d.hako(&["rm", &name]).ok();
    d.hako(&["rmi", "-f", &id]).ok();
    let gone = d.hako(&["image", "inspect", &id]);
    assert_ne!(gone.code, 0);
    let by_digest = format!("{repo}@{digest}");
    d.hako(&["pull", "-q", &by_digest]).ok();
    assert_eq!(inspect(&d, "{{.Id}}", &by_digest), id);
    let run = d
        .hako(&[
            "run",
            "--rm",
            &by_digest,
            "cat",
            "/added.txt",
            "/home/only.txt",
        ])
        .ok();
    assert_eq!(run.stdout, "new\nonly\n");
    d.assert_clean();
}

#[test]
fn history_of_a_pulled_image_matches_its_config() {
    common::start_registry(&[]);
    let d = Daemon::start();
    d.hako(&["pull", "-q", "127.0.0.1:5000/busybox"]).ok();
    let id = inspect(&d, "{{.Id}}", "127.0.0.1:5000/busybox");
    let layers: usize = inspect(&d, "{{len .RootFS.Layers}}", "127.0.0.1:5000/busybox")
        .parse()
        .expect("layer count");
    let sock = d.socket.clone();
    let r = common::http::request(&sock, "GET", "/images/127.0.0.1:5000/busybox/history", None)
        .expect("history");
    assert_eq!(r.status, 200, "{}", r.text());
    let rows = r.json();
    let rows = rows.as_array().expect("array");
    assert!(!rows.is_empty());
    assert_eq!(rows[0]["Id"], id.as_str());
    assert_eq!(rows[0]["Tags"][0], "127.0.0.1:5000/busybox:latest");
    for row in &rows[1..] {
        assert_eq!(row["Id"], "<missing>");
    }
    // One sized row per layer, and their sizes add up to the image's.
    let nonempty = rows
        .iter()
        .filter(|r| r["Size"].as_i64().unwrap_or(0) > 0)
        .count();
    assert!(nonempty <= layers && nonempty >= 1, "{rows:?}");
    let total: i64 = rows.iter().map(|r| r["Size"].as_i64().unwrap_or(0)).sum();
    let size: i64 = inspect(&d, "{{.Size}}", "127.0.0.1:5000/busybox")
        .parse()
        .expect("size");
    assert_eq!(total, size);
    // `images --digests` shows the digest it was pulled by.
    let digests = d
        .hako(&[
            "images",
            "--digests",
            "--format",
            "{{.Digest}}",
            "127.0.0.1:5000/busybox",
        ])
        .ok();
    assert!(digests.stdout.starts_with("sha256:"), "{}", digests.stdout);
    let q = d.hako(&["history", "-q", "127.0.0.1:5000/busybox"]).ok();
    assert_eq!(q.stdout.lines().next(), Some(&id[7..19]));
    let missing = d.hako(&["history", "nope:nope"]);
    assert_ne!(missing.code, 0);
    assert!(
        missing.stderr.contains("No such image: nope:nope"),
        "{}",
        missing.stderr
    );
    d.assert_clean();
}

#[test]
fn docker_cli_commits_and_shows_history() {
    let d = Daemon::start();
    d.import_busybox();
    let name = unique("docker-commit");
    changed_container(&d, &name);
    let target = format!("{}:d1", unique("dcommitted"));
    let Some(commit) = d.docker(&[
        "commit",
        "-c",
        "ENV FROM_DOCKER=1",
        "-m",
        "via docker",
        &name,
        &target,
    ]) else {
        eprintln!("no docker CLI: skipped");
        return;
    };
    let commit = commit.ok();
    let id = commit.stdout.trim().to_owned();
    assert!(id.starts_with("sha256:"), "{}", commit.stdout);
    let run = d
        .docker(&[
            "run",
            "--rm",
            &target,
            "sh",
            "-c",
            "echo $FROM_DOCKER; cat /added.txt",
        ])
        .expect("docker")
        .ok();
    assert_eq!(run.stdout, "1\nnew\n");
    let hist = d
        .docker(&["history", "--format", "{{.ID}} {{.Comment}}", &target])
        .expect("docker")
        .ok();
    let first = hist.stdout.lines().next().unwrap_or("").to_owned();
    assert_eq!(first, format!("{} via docker", &id[7..19]));
    // Our table and docker's, without the time column.
    let fmt = "table {{.ID}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
    let theirs = d
        .docker(&["history", "--format", fmt, &target])
        .expect("docker")
        .ok();
    let ours = d.hako(&["history", "--format", fmt, &target]).ok();
    assert_eq!(ours.stdout, theirs.stdout);
    d.assert_clean();
}
