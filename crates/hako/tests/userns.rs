//! `hako daemon --userns-remap=default`: root in a container is the first subordinate ID of
//! `dockremap` on the host; image files still show as root's inside; what the container
//! writes belongs to the mapped ID; `--userns=host` opts out; `--privileged` is refused.
//! `default` creates `dockremap` and its ranges once (idempotent, shared by the tests).

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use common::Daemon;

fn daemon() -> Daemon {
    let d = Daemon::start_with(&["--userns-remap=default"]);
    d.import_busybox();
    d
}

/// The first range of `dockremap` in `file`, as the daemon reads it.
fn first_subordinate(file: &str) -> u32 {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .find_map(|l| {
            let mut f = l.split(':');
            (f.next()? == "dockremap").then(|| f.next()?.parse().ok())?
        })
        .unwrap_or_else(|| panic!("no dockremap range in {file}"))
}

/// A host directory the remapped root can reach, removed when dropped.
fn host_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("hako-userns-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

fn out(d: &Daemon, args: &[&str]) -> String {
    d.hako(args).ok().stdout.trim().to_string()
}

#[test]
fn root_inside_is_the_first_subordinate_id_outside() {
    let mut d = daemon();
    let uid = first_subordinate("/etc/subuid");
    let gid = first_subordinate("/etc/subgid");
    let info = out(&d, &["info", "--format", "{{json .SecurityOptions}}"]);
    assert!(info.contains("name=userns"), "{info}");

    assert_eq!(out(&d, &["run", "--rm", "busybox", "id", "-u"]), "0");
    assert_eq!(
        out(
            &d,
            &[
                "run",
                "--rm",
                "busybox",
                "stat",
                "-c",
                "%u:%g",
                "/bin/busybox"
            ]
        ),
        "0:0"
    );
    // /proc, /sys, /dev and the container's own files are usable by root inside.
    let script = "cat /proc/self/uid_map; ls /sys/class >/dev/null && echo sys; \
                  echo x > /dev/null && echo dev; echo ok > /etc/hostname && echo etc; \
                  touch /made && stat -c %u /made";
    let seen = out(&d, &["run", "--rm", "busybox", "sh", "-c", script]);
    let first_map: Vec<&str> = seen.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(first_map, ["0", &uid.to_string(), "65536"], "{seen}");
    for want in ["sys", "dev", "etc"] {
        assert!(seen.lines().any(|l| l == want), "{want} missing in {seen}");
    }
    assert!(seen.ends_with("\n0"), "{seen}");

    // The process on the host.
    let id = out(&d, &["run", "-d", "busybox", "sleep", "60"]);
    let pid = out(&d, &["inspect", "--format", "{{.State.Pid}}", &id]);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert_eq!(
        uid_line.split_whitespace().nth(1),
        Some(uid.to_string().as_str()),
        "{uid_line}"
    );
    let gid_line = status.lines().find(|l| l.starts_with("Gid:")).unwrap();
    assert_eq!(
        gid_line.split_whitespace().nth(1),
        Some(gid.to_string().as_str())
    );
    // What it writes in its own layer is the mapped ID's on disk.
    d.hako(&["exec", &id, "sh", "-c", "echo hi > /written"])
        .ok();
    let upper = d
        .data_root
        .join("containers")
        .join(&id)
        .join("upper/written");
    assert_eq!(std::fs::metadata(&upper).unwrap().uid(), uid);
    assert_eq!(out(&d, &["exec", &id, "id", "-u"]), "0");
    // A restarted daemon (live restore) still reaches it; exec joins its user namespace.
    d.kill_and_restart();
    assert_eq!(out(&d, &["exec", &id, "cat", "/written"]), "hi");
    d.hako(&["rm", "-f", &id]).ok();
    d.assert_clean();
}

#[test]
fn binds_keep_host_ownership_and_root_is_not_host_root() {
    let d = daemon();
    let uid = first_subordinate("/etc/subuid");
    let dir = host_dir();
    let owned = dir.path().join("root-owned");
    std::fs::write(&owned, "host\n").unwrap();
    std::fs::set_permissions(&owned, std::fs::Permissions::from_mode(0o644)).unwrap();
    let bind = format!("{}:/h", dir.path().display());

    d.hako(&[
        "run",
        "--rm",
        "-v",
        &bind,
        "busybox",
        "sh",
        "-c",
        "echo new > /h/new",
    ])
    .ok();
    let meta = std::fs::metadata(dir.path().join("new")).unwrap();
    assert_eq!(meta.uid(), uid);

    let denied = d.hako(&[
        "run",
        "--rm",
        "-v",
        &bind,
        "busybox",
        "sh",
        "-c",
        "echo x >> /h/root-owned",
    ]);
    assert_ne!(denied.code, 0, "{denied:?}");
    assert!(denied.stderr.contains("Permission denied"), "{denied:?}");
    assert_eq!(std::fs::read_to_string(&owned).unwrap(), "host\n");
    // The bind source itself was not chowned.
    assert_eq!(std::fs::metadata(dir.path()).unwrap().uid(), 0);

    // --userns=host: real root, which may write it.
    d.hako(&[
        "run",
        "--rm",
        "--userns=host",
        "-v",
        &bind,
        "busybox",
        "sh",
        "-c",
        "echo x >> /h/root-owned",
    ])
    .ok();
    assert_eq!(std::fs::read_to_string(&owned).unwrap(), "host\nx\n");
    let id = out(
        &d,
        &["run", "-d", "--userns=host", "busybox", "sleep", "60"],
    );
    let pid = out(&d, &["inspect", "--format", "{{.State.Pid}}", &id]);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert_eq!(uid_line.split_whitespace().nth(1), Some("0"), "{uid_line}");
    d.hako(&["rm", "-f", &id]).ok();
    d.assert_clean();
}

#[test]
fn without_remap_root_writes_root_owned_binds() {
    let d = Daemon::start();
    d.import_busybox();
    let dir = host_dir();
    let owned = dir.path().join("root-owned");
    std::fs::write(&owned, "host\n").unwrap();
    std::fs::set_permissions(&owned, std::fs::Permissions::from_mode(0o644)).unwrap();
    let bind = format!("{}:/h", dir.path().display());
    d.hako(&[
        "run",
        "--rm",
        "-v",
        &bind,
        "busybox",
        "sh",
        "-c",
        "echo x >> /h/root-owned",
    ])
    .ok();
    assert_eq!(std::fs::read_to_string(&owned).unwrap(), "host\nx\n");
    d.assert_clean();
}

#[test]
fn privileged_and_bad_modes_are_refused_volumes_are_writable() {
    let d = daemon();
    let uid = first_subordinate("/etc/subuid");
    let r = d.hako(&["run", "--rm", "--privileged", "busybox", "true"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode"),
        "{r:?}"
    );
    d.hako(&[
        "run",
        "--rm",
        "--privileged",
        "--userns=host",
        "busybox",
        "true",
    ])
    .ok();
    let r = d.hako(&["run", "--rm", "--network=host", "busybox", "true"]);
    assert!(
        r.stderr
            .contains("cannot share the host's network namespace"),
        "{r:?}"
    );

    let resp = common::http::request(
        &d.socket,
        "POST",
        "/containers/create",
        Some(br#"{"Image":"busybox","HostConfig":{"UsernsMode":"private"}}"#),
    )
    .unwrap();
    assert_eq!(resp.status, 400, "{resp:?}");

    let vol = format!("userns-vol-{}", std::process::id());
    let mount = format!("{vol}:/data");
    d.hako(&[
        "run",
        "--rm",
        "-v",
        &mount,
        "busybox",
        "sh",
        "-c",
        "echo v > /data/f && stat -c %u /data/f",
    ])
    .ok();
    let path = out(
        &d,
        &["volume", "inspect", "--format", "{{.Mountpoint}}", &vol],
    );
    assert_eq!(std::fs::metadata(format!("{path}/f")).unwrap().uid(), uid);
    // Image content copied up into a new volume stays root's inside.
    let seen = out(
        &d,
        &[
            "run",
            "--rm",
            "-v",
            "/etc",
            "busybox",
            "stat",
            "-c",
            "%u",
            "/etc/passwd",
        ],
    );
    assert_eq!(seen, "0");
    d.assert_clean();
    d.hako(&["volume", "rm", &vol]).ok();
}

#[test]
fn a_user_without_ranges_stops_the_daemon() {
    // `nobody` exists everywhere and has no subordinate range.
    let text = std::fs::read_to_string("/etc/subuid").unwrap_or_default();
    assert!(!text.lines().any(|l| l.starts_with("nobody:")));
    let out = std::process::Command::new(common::hako_bin())
        .args([
            "daemon",
            "--userns-remap=nobody",
            "--data-root",
            "/nonexistent-hako-userns",
            "-H",
            "unix:///nonexistent-hako-userns/sock",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/etc/subuid"), "{err}");
    assert!(!std::path::Path::new("/nonexistent-hako-userns").exists());
}

#[test]
fn terminal_read_only_init_users_and_joined_networks_work_remapped() {
    let d = daemon();
    let uid = first_subordinate("/etc/subuid");
    let tty = out(
        &d,
        &["run", "--rm", "-t", "busybox", "sh", "-c", "tty && id -u"],
    );
    assert!(tty.contains("/dev/pts/0") && tty.ends_with('0'), "{tty}");
    let ro = d.hako(&["run", "--rm", "--read-only", "busybox", "touch", "/x"]);
    assert!(ro.stderr.contains("Read-only file system"), "{ro:?}");
    assert_eq!(
        out(&d, &["run", "--rm", "--init", "busybox", "id", "-u"]),
        "0"
    );
    // Another user inside is its own offset outside.
    let id = out(
        &d,
        &["run", "-d", "--user", "1000:1000", "busybox", "sleep", "60"],
    );
    let pid = out(&d, &["inspect", "--format", "{{.State.Pid}}", &id]);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert_eq!(
        uid_line.split_whitespace().nth(1),
        Some((uid + 1000).to_string().as_str())
    );
    // A container joining its network namespace (owned by the first one's user namespace).
    let joined = out(
        &d,
        &[
            "run",
            "--rm",
            &format!("--network=container:{id}"),
            "busybox",
            "sh",
            "-c",
            "ip -o link show lo | grep -c UP; id -u",
        ],
    );
    assert_eq!(joined, "1\n0");
    // Stop and start again: the overlay and maps are set up anew.
    d.hako(&["stop", "-t", "0", &id]).ok();
    d.hako(&["start", &id]).ok();
    assert_eq!(out(&d, &["exec", &id, "id", "-u"]), "1000");
    d.hako(&["rm", "-f", &id]).ok();
    d.assert_clean();
}

/// `uid/gid` of `member` in a tar on stdin, as `tar --numeric-owner -tv` shows it.
fn tar_owner(tar: &[u8], member: &str) -> String {
    let mut cmd = std::process::Command::new("tar");
    cmd.args(["--numeric-owner", "-tvf", "-"]);
    let listing = common::run_bounded(cmd, Some(tar)).ok().stdout;
    listing
        .lines()
        .find(|l| l.ends_with(member))
        .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| panic!("{member} not in {listing}"))
}

#[test]
fn cp_and_export_speak_the_containers_ids() {
    let d = daemon();
    let uid = first_subordinate("/etc/subuid");
    let id = out(
        &d,
        &["run", "-d", "busybox", "sh", "-c", "echo w > /w; sleep 60"],
    );
    let dir = host_dir();
    let src = dir.path().join("in.txt");
    std::fs::write(&src, "in\n").unwrap();
    d.hako(&["cp", src.to_str().unwrap(), &format!("{id}:/in.txt")])
        .ok();
    assert_eq!(
        out(&d, &["exec", &id, "stat", "-c", "%u:%g", "/in.txt"]),
        "0:0"
    );
    d.hako(&["exec", &id, "sh", "-c", "echo more >> /in.txt"])
        .ok();
    let upper = d
        .data_root
        .join("containers")
        .join(&id)
        .join("upper/in.txt");
    assert_eq!(std::fs::metadata(&upper).unwrap().uid(), uid);

    let mut cmd = std::process::Command::new(common::hako_bin());
    cmd.args(["cp", &format!("{id}:/w"), "-"])
        .env("HAKO_HOST", d.host());
    let tar = cmd.output().unwrap().stdout;
    assert_eq!(tar_owner(&tar, "w"), "0/0");
    d.hako(&["stop", "-t", "0", &id]).ok();
    // Stopped: the image's files and the container's own both show as root's.
    let mut cmd = std::process::Command::new(common::hako_bin());
    cmd.args(["export", &id]).env("HAKO_HOST", d.host());
    let tar = cmd.output().unwrap().stdout;
    assert_eq!(tar_owner(&tar, "bin/busybox"), "0/0");
    assert_eq!(tar_owner(&tar, "in.txt"), "0/0");
    d.hako(&["rm", "-f", &id]).ok();
    d.assert_clean();
}

/// `commit` of a remapped container writes the owners the container saw: files its root
/// made are root's in the image (not the host's subordinate ID), other users keep theirs.
#[test]
fn commit_writes_the_containers_ids() {
    let d = daemon();
    let c = out(
        &d,
        &[
            "run",
            "-d",
            "busybox",
            "sh",
            "-c",
            "echo hi > /made && mkdir /dir && chown 1000:1000 /dir && touch /bin/busybox",
        ],
    );
    d.hako(&["wait", &c]).ok();
    let image = out(&d, &["commit", &c]);
    // Read back outside any user namespace: the layer's own IDs.
    let owners = out(
        &d,
        &[
            "run",
            "--rm",
            "--userns=host",
            &image,
            "stat",
            "-c",
            "%n %u:%g",
            "/made",
            "/dir",
            "/bin/busybox",
        ],
    );
    assert_eq!(owners, "/made 0:0\n/dir 1000:1000\n/bin/busybox 0:0");
    d.hako(&["rm", &c]).ok();
    d.hako(&["rmi", &image]).ok();
    d.assert_clean();
}

/// A build's RUN steps run remapped and their layers carry the IDs the step saw.
#[test]
fn build_steps_write_the_containers_ids() {
    let d = daemon();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM busybox\nRUN echo hi > /made && mkdir /dir && chown 1000:1000 /dir\n",
    )
    .unwrap();
    let tag = format!("userns-build-{}", std::process::id());
    d.hako(&["build", "-q", "-t", &tag, ctx.path().to_str().unwrap()])
        .ok();
    let owners = out(
        &d,
        &[
            "run",
            "--rm",
            "--userns=host",
            &tag,
            "stat",
            "-c",
            "%n %u:%g",
            "/made",
            "/dir",
        ],
    );
    assert_eq!(owners, "/made 0:0\n/dir 1000:1000");
    d.hako(&["rmi", &tag]).ok();
    d.assert_clean();
}
