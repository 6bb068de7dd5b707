//! Isolation defaults, attacked from inside: every escape attempt fails in a default
//! container, and `--privileged` lifts what Docker's `--privileged` lifts. Seccomp: Docker's
//! default profile answers EPERM, `seccomp=unconfined` and custom profiles, `--cap-add`,
//! `no-new-privileges`.

mod common;

use common::{Daemon, Run};

fn daemon() -> Daemon {
    let d = Daemon::start();
    d.import_busybox();
    d
}

/// `sh -c script` in a fresh container with `opts`; returns the run (any exit code).
fn sh(d: &Daemon, opts: &[&str], script: &str) -> Run {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(opts);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    d.hako(&args)
}

/// The host's first real disk as `major minor` (not a loop or zram device), and its name.
fn host_disk() -> Option<(String, String, String)> {
    let mut names: Vec<_> = std::fs::read_dir("/sys/block")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| !n.starts_with("loop") && !n.starts_with("zram") && !n.starts_with("ram"))
        .collect();
    names.sort();
    let name = names.first()?;
    let dev = std::fs::read_to_string(format!("/sys/block/{name}/dev")).ok()?;
    let (maj, min) = dev.trim().split_once(':')?;
    Some((maj.to_string(), min.to_string(), name.clone()))
}

/// Each escape is one line of the script: `name: ok` when the attempt worked, `name: no`
/// when it failed.
fn escape_script(disk: &(String, String, String), socket: &str) -> String {
    format!(
        r#"
t() {{ n=$1; shift; if "$@" >/tmp/out 2>&1; then echo "$n: ok"; else echo "$n: no $(head -c 200 /tmp/out | tr '\n' ' ')"; fi; }}
mkdir -p /mnt
t mount mount -t tmpfs none /mnt
t unshare-user unshare -U -r true
t unshare-mnt unshare -m true
echo junk > /tmp/m.ko
t insmod insmod /tmp/m.ko
t sysrq sh -c 'echo h > /proc/sysrq-trigger'
t kcore sh -c 'test "$(head -c 4 /proc/kcore | od -An -c | tr -d " ")" = "177ELF"'
t mknod-read sh -c 'mknod /tmp/disk b {maj} {min} && head -c 512 /tmp/disk | wc -c | grep -qx 512'
t kmsg sh -c 'mknod /tmp/kmsg c 1 11 && timeout 2 dd if=/tmp/kmsg bs=8192 count=1 2>/dev/null | wc -c | grep -qv "^0$"'
t host-pid kill -0 1000000
t host-procs sh -c 'test $(ps -o pid | wc -l) -gt 10'
t socket test -e {socket}
t default-socket test -e /run/hako/hako.sock
grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status
"#,
        maj = disk.0,
        min = disk.1,
    )
}

fn lines(r: &Run) -> Vec<String> {
    r.stdout.lines().map(str::to_string).collect()
}

fn result<'a>(out: &'a [String], name: &str) -> &'a str {
    out.iter()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no line for {name} in {out:?}"))
}

#[test]
fn escapes_fail_in_a_default_container() {
    let d = daemon();
    let disk = host_disk().expect("a disk in /sys/block");
    let r = sh(
        &d,
        &[],
        &escape_script(&disk, &d.socket.display().to_string()),
    );
    let out = lines(&r);
    for name in [
        "mount",
        "unshare-user",
        "unshare-mnt",
        "insmod",
        "sysrq",
        "kcore",
        "mknod-read",
        "kmsg",
        "host-pid",
        "host-procs",
        "socket",
        "default-socket",
    ] {
        assert!(
            result(&out, name).starts_with("no"),
            "{name} escaped: {out:?}\n{}",
            r.stderr
        );
    }
    // The denials are seccomp's and the capability set's, worded by the kernel.
    assert!(
        result(&out, "insmod").contains("Operation not permitted"),
        "{out:?}"
    );
    assert!(
        result(&out, "unshare-user").contains("Operation not permitted"),
        "{out:?}"
    );
    // Docker's 14 capabilities, filter mode 2, no no_new_privs by default.
    assert!(
        out.contains(&"CapEff:\t00000000a80425fb".to_string()),
        "{out:?}"
    );
    assert!(out.contains(&"Seccomp:\t2".to_string()), "{out:?}");
    assert!(out.contains(&"NoNewPrivs:\t0".to_string()), "{out:?}");

    // The devices cgroup (v1 here) holds Docker's list: no block device is usable.
    let id = d
        .hako(&["run", "-d", "busybox", "sleep", "1000"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let list = format!(
        "/sys/fs/cgroup/devices/{}/{id}/devices.list",
        d.cgroup_parent
    );
    if let Ok(list) = std::fs::read_to_string(&list) {
        let rules: Vec<&str> = list.lines().collect();
        assert!(rules.contains(&"b *:* m"), "{rules:?}");
        assert!(rules.contains(&"c 1:3 rwm"), "{rules:?}");
        assert!(!rules.iter().any(|r| r.starts_with('a')), "{rules:?}");
        assert!(
            !rules
                .iter()
                .any(|r| r.starts_with('b') && r.ends_with("rwm")),
            "{rules:?}"
        );
    }
    d.hako(&["rm", "-f", &id]).ok();
    d.assert_clean();
}

#[test]
fn privileged_lifts_what_docker_lifts() {
    let d = daemon();
    let disk = host_disk().expect("a disk in /sys/block");
    let r = sh(
        &d,
        &["--privileged"],
        &escape_script(&disk, &d.socket.display().to_string()),
    );
    let out = lines(&r);
    for name in ["mount", "unshare-user", "unshare-mnt"] {
        assert_eq!(result(&out, name), "ok", "{name}: {out:?}\n{}", r.stderr);
    }
    // Only where this host itself allows it: this VM has no /proc/kcore, no sysrq, and
    // refuses raw disk reads even to root.
    let host = |path: &str, n: usize| {
        std::fs::File::open(path)
            .and_then(|f| {
                use std::io::Read;
                let mut buf = vec![0u8; n.max(8192)];
                let mut f = f;
                let got = f.read(&mut buf)?;
                if got >= n {
                    Ok(())
                } else {
                    Err(std::io::ErrorKind::UnexpectedEof.into())
                }
            })
            .is_ok()
    };
    let disk_node = format!("/dev/{}", disk.2);
    for (name, possible) in [
        (
            "sysrq",
            std::path::Path::new("/proc/sysrq-trigger").exists(),
        ),
        ("kcore", host("/proc/kcore", 4)),
        ("mknod-read", host(&disk_node, 512)),
        ("kmsg", host("/dev/kmsg", 1)),
    ] {
        if possible {
            assert_eq!(result(&out, name), "ok", "{name}: {out:?}");
        }
    }
    // The module is junk: the kernel itself refuses it, after seccomp and capabilities let
    // the call through.
    let insmod = result(&out, "insmod");
    assert!(!insmod.contains("Operation not permitted"), "{out:?}");
    // Still a container: its own pid namespace and no daemon socket.
    for name in ["host-pid", "host-procs", "socket", "default-socket"] {
        assert!(result(&out, name).starts_with("no"), "{name}: {out:?}");
    }
    assert!(out.contains(&"Seccomp:\t0".to_string()), "{out:?}");
    d.assert_clean();
}

#[test]
fn seccomp_default_unconfined_and_capabilities() {
    let d = daemon();
    // /info says so, in Docker's words (`docker info`: "seccomp / Profile: builtin").
    let info = d
        .hako(&["info", "--format", "{{json .SecurityOptions}}"])
        .ok()
        .stdout;
    assert_eq!(info.trim(), r#"["name=seccomp,profile=builtin"]"#);
    // unshare(CLONE_NEWUSER) needs no capability from the kernel, only seccomp refuses it.
    let r = sh(&d, &[], "unshare -U true");
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("Operation not permitted")
            || r.stdout.contains("Operation not permitted"),
        "{r:?}"
    );
    sh(
        &d,
        &["--security-opt", "seccomp=unconfined"],
        "unshare -U true",
    )
    .ok();
    // CAP_SYS_ADMIN opens the namespace group of the default profile.
    sh(
        &d,
        &["--cap-add", "SYS_ADMIN"],
        "unshare -m true && grep Seccomp: /proc/self/status",
    )
    .ok();
    // no-new-privileges: the filter goes in after it.
    let r = sh(
        &d,
        &["--security-opt", "no-new-privileges"],
        "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; unshare -U true",
    );
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("NoNewPrivs:\t1"), "{r:?}");
    assert!(r.stdout.contains("Seccomp:\t2"), "{r:?}");
    // exec processes get the container's filter too.
    let id = d
        .hako(&["run", "-d", "busybox", "sleep", "1000"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let r = d.hako(&["exec", &id, "unshare", "-U", "true"]);
    assert_ne!(r.code, 0, "{r:?}");
    let r = d
        .hako(&["exec", &id, "grep", "Seccomp:", "/proc/self/status"])
        .ok();
    assert!(r.stdout.contains('2'), "{r:?}");
    d.hako(&["rm", "-f", &id]).ok();
    let id = d
        .hako(&[
            "create",
            "--security-opt",
            "no-new-privileges",
            "--security-opt",
            "seccomp=unconfined",
            "busybox",
            "true",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let r = d
        .hako(&["inspect", "-f", "{{json .HostConfig.SecurityOpt}}", &id])
        .ok();
    assert_eq!(
        r.stdout.trim(),
        r#"["no-new-privileges","seccomp=unconfined"]"#,
        "{r:?}"
    );
    d.hako(&["rm", "-f", &id]).ok();
    d.assert_clean();
}

#[test]
fn custom_profiles_from_a_file() {
    let d = daemon();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#,
    )
    .unwrap();
    let opt = format!("seccomp={}", profile.display());
    let r = sh(&d, &["--security-opt", &opt], "mkdir /tmp/x");
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("Permission denied"), "{r:?}");
    // The real docker CLI reads the file and sends its contents, as ours does.
    if let Some(r) = d.docker(&[
        "run",
        "--rm",
        "--security-opt",
        &opt,
        "busybox",
        "mkdir",
        "/tmp/x",
    ]) {
        assert_ne!(r.code, 0);
        assert!(r.stderr.contains("Permission denied"), "{r:?}");
    }
    // A broken profile is refused at create with the reason.
    std::fs::write(&profile, "{\"defaultAction\": 42}").unwrap();
    let r = sh(&d, &["--security-opt", &opt], "true");
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.contains("seccomp profile"), "{r:?}");
    // The CLI refuses a value-less option itself, the daemon an unknown key.
    let r = sh(&d, &["--security-opt", "bogus"], "true");
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.contains("Invalid --security-opt"), "{r:?}");
    let r = sh(&d, &["--security-opt", "foo=bar"], "true");
    assert_eq!(r.code, 125, "{r:?}");
    assert!(
        r.stderr.contains("invalid --security-opt 2: \"foo=bar\""),
        "{r:?}"
    );
    d.assert_clean();
}

#[test]
fn capability_flags() {
    let d = daemon();
    let caps = |opts: &[&str]| {
        sh(&d, opts, "grep CapEff: /proc/self/status")
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    assert_eq!(
        caps(&["--cap-drop", "ALL", "--cap-add", "chown"]),
        "CapEff:\t0000000000000001"
    );
    assert_eq!(
        caps(&["--cap-drop", "CAP_NET_RAW", "--cap-drop", "mknod"]),
        "CapEff:\t00000000a00405fb"
    );
    // ALL is what the daemon holds (this host's bounding set lacks CAP_SYS_RESOURCE).
    let all = caps(&["--cap-add", "ALL"]);
    let privileged = caps(&["--privileged"]);
    assert_eq!(all, privileged);
    let r = sh(&d, &["--cap-add", "CAP_NOPE"], "true");
    assert_eq!(r.code, 125, "{r:?}");
    d.assert_clean();
}

/// A 32-bit x86 program (int 0x80): prints a line, then exits with the errno of
/// keyctl(KEYCTL_GET_KEYRING_ID, thread keyring), which Docker's profile refuses.
const X86_PROGRAM: &str = r#"
    .section .data
msg: .ascii "i386 ok\n"
    .section .text
    .globl _start
_start:
    movl $4, %eax
    movl $1, %ebx
    movl $msg, %ecx
    movl $8, %edx
    int $0x80
    movl $288, %eax
    movl $0, %ebx
    movl $-1, %ecx
    movl $0, %edx
    int $0x80
    negl %eax
    movl %eax, %ebx
    movl $1, %eax
    int $0x80
"#;

/// Assembles [`X86_PROGRAM`] into `dir/x86` with binutils (gcc's dependency).
fn assemble_x86(dir: &std::path::Path) {
    let src = dir.join("x86.s");
    std::fs::write(&src, X86_PROGRAM).unwrap();
    let obj = dir.join("x86.o");
    let st = std::process::Command::new("as")
        .args(["--32", "-o"])
        .arg(&obj)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success(), "as --32 failed");
    let st = std::process::Command::new("ld")
        .args(["-m", "elf_i386", "-o"])
        .arg(dir.join("x86"))
        .arg(&obj)
        .status()
        .unwrap();
    assert!(st.success(), "ld -m elf_i386 failed");
}

/// Docker's profile lets 32-bit x86 processes run on an x86_64 host and filters their calls
/// by their own numbers (keyctl is 288 there, 250 on x86_64).
#[cfg(target_arch = "x86_64")]
#[test]
fn x86_processes_run_under_the_default_profile() {
    let d = daemon();
    let dir = tempfile::tempdir().unwrap();
    assemble_x86(dir.path());
    let bind = format!("{}:/x86:ro", dir.path().display());
    let run = |opts: &[&str]| {
        let mut args = vec!["run", "--rm", "-v", &bind];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["busybox", "/x86/x86"]);
        d.hako(&args)
    };
    let r = run(&[]);
    assert_eq!(r.stdout, "i386 ok\n", "{r:?}");
    assert_eq!(
        r.code,
        libc::EPERM,
        "keyctl must be refused with EPERM: {r:?}"
    );
    let r = run(&["--security-opt", "seccomp=unconfined"]);
    assert_eq!(r.stdout, "i386 ok\n", "{r:?}");
    assert_ne!(r.code, libc::EPERM, "{r:?}");
    assert!(r.code < 128, "killed by a signal: {r:?}");
    d.assert_clean();
}
