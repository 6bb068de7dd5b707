//! Volumes, mounts and `cp` against a real daemon: named and anonymous volumes, binds,
//! tmpfs, read-only roots, `cp` both ways (never following a container symlink to the
//! host), `diff`, `export`, and the same scenarios through the real docker CLI.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::Daemon;

fn daemon() -> Daemon {
    let d = Daemon::start();
    d.import_busybox();
    d
}

/// Removes every container, then the volumes the test made, then asserts nothing leaked.
fn finish(d: &Daemon) {
    d.assert_clean();
    let vols = d.hako(&["volume", "ls", "-q"]).ok();
    for v in vols.stdout.split_whitespace() {
        d.hako(&["volume", "rm", v]).ok();
    }
    let left = std::fs::read_dir(d.data_root.join("volumes"))
        .map(|r| r.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "volume directories left");
}

#[test]
fn named_volume_survives_container_replacement_and_cannot_be_removed_in_use() {
    let d = daemon();
    d.hako(&["volume", "create", "--label", "k=v", "keep"]).ok();
    let ls = d.hako(&["volume", "ls"]).ok();
    assert!(ls.stdout.starts_with("DRIVER"), "{}", ls.stdout);
    assert!(ls.stdout.contains("local     keep"), "{}", ls.stdout);
    d.hako(&[
        "run",
        "--name",
        "writer",
        "-v",
        "keep:/data",
        "busybox",
        "sh",
        "-c",
        "echo persisted > /data/f",
    ])
    .ok();
    // In use (by a stopped container): 409 with Docker's words.
    let r = d.hako(&["volume", "rm", "keep"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("remove keep: volume is in use - ["),
        "{}",
        r.stderr
    );
    d.hako(&["rm", "writer"]).ok();
    let r = d
        .hako(&[
            "run",
            "--rm",
            "-v",
            "keep:/data:ro",
            "busybox",
            "cat",
            "/data/f",
        ])
        .ok();
    assert_eq!(r.stdout, "persisted\n");
    // Read-only volume mount is enforced.
    let r = d.hako(&[
        "run",
        "--rm",
        "-v",
        "keep:/data:ro",
        "busybox",
        "touch",
        "/data/g",
    ]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("Read-only file system"), "{r:?}");
    let insp = d
        .hako(&[
            "volume",
            "inspect",
            "--format",
            "{{.Driver}} {{.Labels.k}} {{.Mountpoint}}",
            "keep",
        ])
        .ok();
    assert!(insp.stdout.starts_with("local v "), "{}", insp.stdout);
    assert!(insp.stdout.trim_end().ends_with("volumes/keep/_data"));
    // First use of an unknown name creates it.
    d.hako(&["run", "--rm", "-v", "fresh:/x", "busybox", "true"])
        .ok();
    d.hako(&["volume", "inspect", "fresh"]).ok();
    let r = d.hako(&["volume", "inspect", "nope"]);
    assert!(r.stderr.contains("get nope: no such volume"), "{r:?}");
    // prune keeps named volumes unless --all.
    let r = d.hako(&["volume", "prune", "-f"]).ok();
    assert!(r.stdout.contains("Total reclaimed space"), "{}", r.stdout);
    d.hako(&["volume", "inspect", "fresh"]).ok();
    let r = d.hako(&["volume", "prune", "-f", "--all"]).ok();
    assert!(
        r.stdout.contains("fresh") && r.stdout.contains("keep"),
        "{}",
        r.stdout
    );
    finish(&d);
}

#[test]
fn anonymous_image_volume_is_populated_and_removed_with_rm_v() {
    let d = daemon();
    // An image whose /etc is a VOLUME: the new volume starts with the image's files.
    let tar = common::busybox_rootfs();
    d.hako(&[
        "import",
        "--change",
        "VOLUME /etc",
        tar.to_str().unwrap(),
        "withvol:latest",
    ])
    .ok();
    d.hako(&["create", "--name", "anon", "withvol", "cat", "/etc/passwd"])
        .ok();
    let name = d
        .hako(&[
            "inspect",
            "--format",
            "{{range .Mounts}}{{.Name}} {{.Destination}} {{.RW}}{{end}}",
            "anon",
        ])
        .ok()
        .stdout;
    let mut parts = name.split_whitespace();
    let vol = parts.next().unwrap().to_string();
    assert_eq!(vol.len(), 64, "{name}");
    assert_eq!(parts.next(), Some("/etc"));
    assert_eq!(parts.next(), Some("true"));
    let r = d.hako(&["start", "-a", "anon"]).ok();
    assert!(r.stdout.contains("root:x:0:0"), "{}", r.stdout);
    let data = d.data_root.join("volumes").join(&vol).join("_data");
    assert!(data.join("passwd").is_file(), "copy-up did not happen");
    d.hako(&["rm", "-v", "anon"]).ok();
    assert!(!data.exists(), "rm -v left the anonymous volume");
    // `-v /path` is anonymous too, and --rm removes it.
    d.hako(&[
        "run",
        "--rm",
        "-v",
        "/scratch",
        "busybox",
        "touch",
        "/scratch/x",
    ])
    .ok();
    let left = d.hako(&["volume", "ls", "-q"]).ok();
    assert_eq!(left.stdout, "", "--rm left anonymous volumes");
    d.hako(&["rmi", "withvol"]).ok();
    finish(&d);
}

#[test]
fn binds_tmpfs_and_read_only_root() {
    let d = daemon();
    let host = d.root.join("bind-src");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("hello"), "from host\n").unwrap();
    let spec = format!("{}:/mnt:ro", host.display());
    let r = d
        .hako(&["run", "--rm", "-v", &spec, "busybox", "cat", "/mnt/hello"])
        .ok();
    assert_eq!(r.stdout, "from host\n");
    let r = d.hako(&["run", "--rm", "-v", &spec, "busybox", "touch", "/mnt/new"]);
    assert_ne!(r.code, 0, "read-only bind was writable");
    assert!(!host.join("new").exists());
    // -v creates a missing host directory; --mount refuses it with Docker's message.
    let missing = d.root.join("made-by-v");
    let spec = format!("{}:/m", missing.display());
    d.hako(&["run", "--rm", "-v", &spec, "busybox", "touch", "/m/x"])
        .ok();
    assert!(missing.join("x").exists());
    let gone = d.root.join("does-not-exist");
    let m = format!("type=bind,source={},target=/x", gone.display());
    let r = d.hako(&["run", "--rm", "--mount", &m, "busybox", "true"]);
    assert_eq!(r.code, 125, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "invalid mount config for type \"bind\": bind source path does not exist: {}",
            gone.display()
        )),
        "{}",
        r.stderr
    );
    // --mount bind readonly, and inspect shows it as Docker does.
    let m = format!("type=bind,source={},target=/ro,readonly", host.display());
    d.hako(&["create", "--name", "bm", "--mount", &m, "busybox", "true"])
        .ok();
    let r = d
        .hako(&["inspect", "--format", "{{json .Mounts}}", "bm"])
        .ok();
    assert!(
        r.stdout.contains(&format!(
            "{{\"Type\":\"bind\",\"Source\":\"{}\",\"Destination\":\"/ro\",\"Mode\":\"\",\"RW\":false,\"Propagation\":\"rprivate\"}}",
            host.display()
        )),
        "{}",
        r.stdout
    );
    // --tmpfs and --read-only.
    let r = d.hako(&[
        "run",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/scratch:size=1m",
        "busybox",
        "sh",
        "-c",
        "echo ok > /scratch/f && cat /scratch/f && grep ' /scratch ' /proc/mounts && touch /nope",
    ]);
    assert_ne!(r.code, 0);
    assert!(r.stdout.starts_with("ok\n"), "{r:?}");
    assert!(
        r.stdout
            .contains("tmpfs /scratch tmpfs rw,nosuid,nodev,noexec"),
        "{r:?}"
    );
    assert!(r.stderr.contains("Read-only file system"), "{r:?}");
    finish(&d);
}

#[test]
fn volumes_from_shares_the_mounts() {
    let d = daemon();
    d.hako(&[
        "run",
        "--name",
        "src",
        "-v",
        "shared:/s",
        "busybox",
        "sh",
        "-c",
        "echo hi > /s/f",
    ])
    .ok();
    let r = d.hako(&[
        "run",
        "--rm",
        "--volumes-from",
        "src:ro",
        "busybox",
        "sh",
        "-c",
        "cat /s/f; touch /s/g",
    ]);
    assert_eq!(r.stdout, "hi\n");
    assert_ne!(r.code, 0, "--volumes-from src:ro was writable");
    finish(&d);
}

fn make_tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/file"), "content\n").unwrap();
    std::fs::set_permissions(dir.join("sub/file"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::write(dir.join("exec.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(dir.join("exec.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("sub/file", dir.join("rel-link")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("abs-link")).unwrap();
}

fn mode(p: &Path) -> u32 {
    std::os::unix::fs::MetadataExt::mode(&std::fs::symlink_metadata(p).unwrap()) & 0o7777
}

#[test]
fn cp_round_trip_on_running_and_stopped_containers() {
    let d = daemon();
    let src = d.root.join("tree");
    make_tree(&src);
    for running in [true, false] {
        let name = if running { "cprun" } else { "cpstop" };
        if running {
            d.hako(&["run", "-d", "--name", name, "busybox", "sleep", "60"])
                .ok();
        } else {
            d.hako(&[
                "create",
                "--name",
                name,
                "busybox",
                "cat",
                "/tmp/tree/sub/file",
            ])
            .ok();
        }
        d.hako(&["cp", src.to_str().unwrap(), &format!("{name}:/tmp/")])
            .ok();
        if running {
            let r = d
                .hako(&["exec", name, "sh", "-c", "cat /tmp/tree/rel-link; stat -c %a /tmp/tree/sub/file; readlink /tmp/tree/abs-link"])
                .ok();
            assert_eq!(r.stdout, "content\n640\n/etc/passwd\n");
        }
        let back = d.root.join(format!("back-{name}"));
        std::fs::create_dir_all(&back).unwrap();
        d.hako(&["cp", &format!("{name}:/tmp/tree"), back.to_str().unwrap()])
            .ok();
        let t = back.join("tree");
        assert_eq!(
            std::fs::read_to_string(t.join("sub/file")).unwrap(),
            "content\n"
        );
        assert_eq!(mode(&t.join("sub/file")), 0o640);
        assert_eq!(mode(&t.join("exec.sh")), 0o755);
        assert_eq!(
            std::fs::read_link(t.join("rel-link")).unwrap(),
            Path::new("sub/file")
        );
        assert_eq!(
            std::fs::read_link(t.join("abs-link")).unwrap(),
            Path::new("/etc/passwd")
        );
        // Contents of a directory with `/.`, into a new directory.
        let dot = d.root.join(format!("dot-{name}"));
        d.hako(&["cp", &format!("{name}:/tmp/tree/."), dot.to_str().unwrap()])
            .ok();
        assert!(
            dot.join("sub/file").is_file(),
            "cp dir/. did not copy the contents"
        );
        // A single file to a new name.
        let one = d.root.join(format!("one-{name}"));
        d.hako(&["cp", &format!("{name}:/etc/passwd"), one.to_str().unwrap()])
            .ok();
        assert!(
            std::fs::read_to_string(&one)
                .unwrap()
                .starts_with("root:x:0:0")
        );
        // Missing source: Docker's message.
        let r = d.hako(&["cp", &format!("{name}:/nope"), back.to_str().unwrap()]);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .contains("Could not find the file /nope in container"),
            "{r:?}"
        );
        // tar on stdout.
        let r = d.hako(&["cp", &format!("{name}:/etc/group"), "-"]).ok();
        assert!(r.stdout.contains("root:x:0:"), "not a tar with the file");
    }
    // The stopped container sees what was copied in, once started.
    let r = d.hako(&["start", "-a", "cpstop"]).ok();
    assert_eq!(r.stdout, "content\n");
    finish(&d);
}

#[test]
fn cp_never_follows_a_container_symlink_to_the_host() {
    let d = daemon();
    d.hako(&[
        "run",
        "-d",
        "--name",
        "evil",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /x && ln -s /etc /x/etc && ln -s / /x/root && sleep 60",
    ])
    .ok();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Into the container through a symlink to /etc: lands in the container's /etc.
    let f = d.root.join("marker-file");
    std::fs::write(&f, "marker\n").unwrap();
    d.hako(&["cp", f.to_str().unwrap(), "evil:/x/etc/"]).ok();
    assert!(
        !Path::new("/etc/marker-file").exists(),
        "cp wrote to the host's /etc"
    );
    let r = d.hako(&["exec", "evil", "cat", "/etc/marker-file"]).ok();
    assert_eq!(r.stdout, "marker\n");
    // Out of the container through the link: the container's files, not the host's.
    let out = d.root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    d.hako(&["cp", "evil:/x/etc/passwd", out.to_str().unwrap()])
        .ok();
    let got = std::fs::read_to_string(out.join("passwd")).unwrap();
    let host = std::fs::read_to_string("/etc/passwd").unwrap();
    assert_ne!(got, host, "cp read the host's /etc/passwd");
    assert!(got.starts_with("root:x:0:0"));
    // Same for a stopped container.
    d.hako(&["rm", "-f", "evil"]).ok();
    d.hako(&["create", "--name", "evil2", "busybox", "true"])
        .ok();
    d.hako(&["cp", f.to_str().unwrap(), "evil2:/tmp/"]).ok();
    let r = d.hako(&["cp", "evil2:/tmp/marker-file", "-"]).ok();
    assert!(r.stdout.contains("marker"));
    finish(&d);
}

/// Whether something is mounted on `path` in the host's mount table.
fn host_mounted(path: &Path) -> bool {
    let want = format!(" {} ", path.display());
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains(&want))
}

/// The local driver's mount options: a tmpfs volume is mounted while containers use it
/// and unmounted after the last; a bind volume shows a host directory and removing the
/// volume leaves that directory's files alone; bad options and failing mounts are refused
/// with Docker's words and leave nothing mounted.
#[test]
fn volume_mount_options_tmpfs_and_bind() {
    let mut d = daemon();
    let tv = d.data_root.join("volumes/tv/_data");
    d.hako(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "-o",
        "o=size=1m,mode=1770",
        "tv",
    ])
    .ok();
    let opts = d
        .hako(&[
            "volume",
            "inspect",
            "-f",
            "{{.Options.type}} {{.Options.o}}",
            "tv",
        ])
        .ok();
    assert_eq!(opts.stdout.trim(), "tmpfs size=1m,mode=1770");
    assert!(!host_mounted(&tv), "mounted before any container uses it");
    let sh = "grep ' /data ' /proc/mounts; echo hi > /data/f; sleep 60";
    d.hako(&[
        "run", "-d", "--name", "t1", "-v", "tv:/data", "busybox", "sh", "-c", sh,
    ])
    .ok();
    d.hako(&[
        "run", "-d", "--name", "t2", "-v", "tv:/data", "busybox", "sleep", "60",
    ])
    .ok();
    let logs = common::eventually(std::time::Duration::from_secs(5), || {
        let l = d.hako(&["logs", "t1"]).ok().stdout;
        (!l.is_empty()).then_some(l)
    })
    .expect("t1 printed its mount");
    assert!(logs.starts_with("tmpfs /data tmpfs "), "{logs}");
    assert!(
        logs.contains("size=1024k") && logs.contains("mode=1770"),
        "{logs}"
    );
    assert!(host_mounted(&tv));
    // Both users see one filesystem; it stays while one of them runs.
    let r = d.hako(&["exec", "t2", "cat", "/data/f"]).ok();
    assert_eq!(r.stdout, "hi\n");
    d.hako(&["rm", "-f", "t1"]).ok();
    assert!(host_mounted(&tv), "unmounted while t2 still uses it");
    d.hako(&["rm", "-f", "t2"]).ok();
    assert!(!host_mounted(&tv), "still mounted after its last user");
    // Across a daemon crash: the running user keeps it mounted, its end unmounts it.
    d.hako(&[
        "run", "-d", "--name", "t3", "-v", "tv:/data", "busybox", "sleep", "60",
    ])
    .ok();
    d.kill_and_restart();
    assert!(host_mounted(&tv));
    d.hako(&["rm", "-f", "t3"]).ok();
    assert!(
        !host_mounted(&tv),
        "still mounted after its last user, across a restart"
    );
    // A new user gets a fresh tmpfs, as with Docker.
    let r = d
        .hako(&["run", "--rm", "-v", "tv:/data", "busybox", "ls", "/data"])
        .ok();
    assert_eq!(r.stdout, "");

    // A bind volume over a host directory.
    let host = d.root.join("bind-volume-src");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("host-file"), "from host\n").unwrap();
    let device = format!("device={}", host.display());
    d.hako(&[
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        "o=bind",
        "-o",
        &device,
        "bv",
    ])
    .ok();
    let r = d
        .hako(&[
            "run",
            "--rm",
            "-v",
            "bv:/b",
            "busybox",
            "sh",
            "-c",
            "cat /b/host-file && echo back > /b/from-container",
        ])
        .ok();
    assert_eq!(r.stdout, "from host\n");
    assert_eq!(
        std::fs::read_to_string(host.join("from-container")).unwrap(),
        "back\n"
    );
    d.hako(&["volume", "rm", "bv"]).ok();
    assert!(
        host.join("host-file").exists() && host.join("from-container").exists(),
        "removing a bind volume must not delete the host directory's files"
    );

    // Refusals, with Docker's words; a mount that fails fails the start, nothing left.
    for (args, want) in [
        (&["-o", "size=1g"][..], "invalid option: \"size\""),
        (
            &["-o", "type=tmpfs"][..],
            "missing required option: \"device\"",
        ),
        (&["-d", "nfs3"][..], "plugin \"nfs3\" not found"),
    ] {
        let mut all = vec!["volume", "create"];
        all.extend_from_slice(args);
        all.push("refused");
        let r = d.hako(&all);
        assert_ne!(r.code, 0, "{args:?}");
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
    }
    d.hako(&[
        "volume",
        "create",
        "-o",
        "type=none",
        "-o",
        "o=bind",
        "-o",
        "device=/nonexistent-hako-volume-src",
        "broken",
    ])
    .ok();
    let r = d.hako(&["run", "--rm", "-v", "broken:/x", "busybox", "true"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("failed to mount local volume"),
        "{}",
        r.stderr
    );
    assert!(!host_mounted(&d.data_root.join("volumes/broken/_data")));

    // `--mount` with volume-opt creates an anonymous tmpfs volume; the docker CLI too.
    let r = d
        .hako(&[
            "run",
            "--rm",
            "--mount",
            "type=volume,dst=/m,volume-opt=type=tmpfs,volume-opt=device=tmpfs",
            "busybox",
            "grep",
            " /m ",
            "/proc/mounts",
        ])
        .ok();
    assert!(r.stdout.starts_with("tmpfs /m tmpfs "), "{}", r.stdout);
    let docker = |args: &[&str]| d.docker(args).expect("the docker CLI is installed");
    docker(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "dv",
    ])
    .ok();
    let r = docker(&[
        "run",
        "--rm",
        "-v",
        "dv:/d",
        "busybox",
        "grep",
        " /d ",
        "/proc/mounts",
    ])
    .ok();
    assert!(r.stdout.starts_with("tmpfs /d tmpfs "), "{}", r.stdout);
    let r = docker(&["volume", "create", "-o", "bogus=1", "dx"]);
    assert!(
        r.stderr.contains("invalid option: \"bogus\""),
        "{}",
        r.stderr
    );
    finish(&d);
}

/// `cp -L` copies what a symlink points to, under the link's name; without it the link
/// itself is copied. Both directions, both CLIs.
#[test]
fn cp_follow_link_copies_the_target() {
    let d = daemon();
    d.hako(&[
        "run",
        "-d",
        "--name",
        "links",
        "busybox",
        "sh",
        "-c",
        "mkdir /data && echo real > /data/file && ln -s file /data/rel && ln -s /data /dlink && sleep 60",
    ])
    .ok();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let host = d.root.join("cp-l");
    std::fs::create_dir_all(&host).unwrap();
    for (n, cli) in ["hako", "docker"].into_iter().enumerate() {
        let run = |args: &[&str]| match cli {
            "hako" => d.hako(args),
            _ => d.docker(args).expect("the docker CLI is installed"),
        };
        let out = host.join(format!("out{n}"));
        std::fs::create_dir_all(&out).unwrap();
        let o = out.to_str().unwrap();
        // Out of the container: the link, then with -L its target (relative and to a dir).
        run(&["cp", "links:/data/rel", &format!("{o}/plain")]).ok();
        let plain = std::fs::symlink_metadata(out.join("plain")).unwrap();
        assert!(
            plain.file_type().is_symlink(),
            "{cli}: without -L the link is copied"
        );
        run(&["cp", "-L", "links:/data/rel", &format!("{o}/followed")]).ok();
        assert_eq!(
            std::fs::read_to_string(out.join("followed")).unwrap(),
            "real\n",
            "{cli}"
        );
        assert!(
            !std::fs::symlink_metadata(out.join("followed"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        run(&["cp", "-L", "links:/dlink", o]).ok();
        assert_eq!(
            std::fs::read_to_string(out.join("dlink/file")).unwrap(),
            "real\n",
            "{cli}: a followed directory link arrives as a directory under the link's name"
        );
        // Into the container: a host link given with -L arrives as a regular file.
        let target = out.join("target.txt");
        std::fs::write(&target, "from host\n").unwrap();
        let link = out.join("hostlink");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let dest = format!("links:/tmp/in{n}");
        run(&["cp", "-L", link.to_str().unwrap(), &dest]).ok();
        let r = d
            .hako(&[
                "exec",
                "links",
                "sh",
                "-c",
                &format!("test -L /tmp/in{n} || cat /tmp/in{n}"),
            ])
            .ok();
        assert_eq!(r.stdout, "from host\n", "{cli}");
        run(&["cp", link.to_str().unwrap(), &format!("links:/tmp/raw{n}")]).ok();
        d.hako(&["exec", "links", "test", "-L", &format!("/tmp/raw{n}")])
            .ok();
    }
    finish(&d);
}

#[test]
fn diff_and_export() {
    let d = daemon();
    d.hako(&[
        "run",
        "--name",
        "ch",
        "busybox",
        "sh",
        "-c",
        "touch /tmp/new; rm /bin/ls; echo x >> /etc/group",
    ])
    .ok();
    let r = d.hako(&["diff", "ch"]).ok();
    for line in ["C /tmp", "A /tmp/new", "D /bin/ls", "C /etc/group"] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "{line} missing from\n{}",
            r.stdout
        );
    }
    assert!(!r.stdout.contains("/etc/hosts"), "{}", r.stdout);
    let tar = d.root.join("export.tar");
    d.hako(&["export", "-o", tar.to_str().unwrap(), "ch"]).ok();
    let list = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&tar)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.lines().any(|l| l == "tmp/new"), "{list}");
    assert!(list.lines().any(|l| l == "bin/busybox"), "{list}");
    assert!(!list.lines().any(|l| l == "bin/ls"), "{list}");
    finish(&d);
}

#[test]
fn docker_cli_volumes_and_cp() {
    let d = daemon();
    let Some(r) = d.docker(&["volume", "create", "dvol"]) else {
        eprintln!("docker CLI not installed; skipping");
        return;
    };
    assert_eq!(r.ok().stdout, "dvol\n");
    d.docker(&[
        "run",
        "--name",
        "dw",
        "-v",
        "dvol:/data",
        "busybox",
        "sh",
        "-c",
        "echo docker > /data/f",
    ])
    .unwrap()
    .ok();
    let r = d.docker(&["volume", "rm", "dvol"]).unwrap();
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("volume is in use"), "{r:?}");
    let r = d
        .docker(&[
            "run",
            "--rm",
            "-v",
            "dvol:/data",
            "busybox",
            "cat",
            "/data/f",
        ])
        .unwrap()
        .ok();
    assert_eq!(r.stdout, "docker\n");
    let r = d
        .docker(&["volume", "ls", "--format", "{{.Name}}"])
        .unwrap()
        .ok();
    assert_eq!(r.stdout, "dvol\n");
    let r = d.docker(&["volume", "inspect", "dvol"]).unwrap().ok();
    assert!(r.stdout.contains("\"Driver\": \"local\""), "{}", r.stdout);
    // docker cp both ways.
    let src = d.root.join("dtree");
    make_tree(&src);
    d.docker(&["cp", src.to_str().unwrap(), "dw:/tmp/"])
        .unwrap()
        .ok();
    let back = d.root.join("dback");
    d.docker(&["cp", "dw:/tmp/dtree", back.to_str().unwrap()])
        .unwrap()
        .ok();
    assert_eq!(
        std::fs::read_to_string(back.join("sub/file")).unwrap(),
        "content\n"
    );
    assert_eq!(mode(&back.join("sub/file")), 0o640);
    assert_eq!(
        std::fs::read_link(back.join("abs-link")).unwrap(),
        Path::new("/etc/passwd")
    );
    let dot = d.root.join("ddot");
    d.docker(&["cp", "dw:/tmp/dtree/.", dot.to_str().unwrap()])
        .unwrap()
        .ok();
    assert!(dot.join("sub/file").is_file());
    let r = d
        .docker(&["cp", "dw:/nope", back.to_str().unwrap()])
        .unwrap();
    assert!(
        r.stderr
            .contains("Could not find the file /nope in container dw"),
        "{r:?}"
    );
    let m = format!(
        "type=bind,source={},target=/x",
        d.root.join("absent").display()
    );
    let r = d
        .docker(&["run", "--rm", "--mount", &m, "busybox", "true"])
        .unwrap();
    assert!(
        r.stderr.contains("bind source path does not exist"),
        "{r:?}"
    );
    let r = d.docker(&["diff", "dw"]).unwrap().ok();
    assert!(r.stdout.contains("A /tmp/dtree"), "{}", r.stdout);
    finish(&d);
}
