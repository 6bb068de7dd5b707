//! Emulation of other CPU architectures through the real binfmt_misc, Debian's
//! qemu-user-static and the fixture registry: the clear refusal before `emulation install`,
//! arm64 images reporting aarch64 after it, and `uninstall` restoring binfmt_misc as it was. binfmt_misc is
//! machine-wide, so every step that depends on its state is in this one test.

mod common;

use std::path::Path;

use common::{Daemon, fixtures_dir};

const BINFMT: &str = "/proc/sys/fs/binfmt_misc";
const AARCH64: &str = "/proc/sys/fs/binfmt_misc/qemu-aarch64";

/// What binfmt_misc looked like before the test; on drop (pass or fail) it removes the
/// aarch64 handler and the mount if they were not there before.
struct Restore {
    mounted: bool,
    aarch64: bool,
}

impl Restore {
    fn capture() -> Restore {
        Restore {
            mounted: Path::new(BINFMT).join("register").exists(),
            aarch64: Path::new(AARCH64).exists(),
        }
    }

    fn handlers() -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(BINFMT)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n != "register" && n != "status")
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if !self.aarch64 && Path::new(AARCH64).exists() {
            let _ = std::fs::write(AARCH64, "-1");
        }
        if !self.mounted
            && Path::new(BINFMT).join("register").exists()
            && Self::handlers().is_empty()
        {
            let _ = std::process::Command::new("umount").arg(BINFMT).status();
        }
    }
}

#[test]
fn arm64_busybox_is_refused_clearly_then_runs_under_qemu_after_install() {
    if !Path::new("/usr/lib/binfmt.d/qemu-aarch64.conf").exists() {
        panic!("qemu-user-static is missing: run ../shared/fixtures/install-deps");
    }
    let before = Restore::capture();
    let handlers_before = if before.mounted {
        Restore::handlers()
    } else {
        Vec::new()
    };
    let d = Daemon::start();
    let tar = fixtures_dir().join("rootfs/busybox-arm64.tar");
    d.hako(&[
        "import",
        "--platform",
        "linux/arm64",
        tar.to_str().unwrap(),
        "armbox:latest",
    ])
    .ok();

    // The single-arch arm64 image from the registry: pulled with Docker's warning.
    common::start_registry(&[]);
    let reg = "127.0.0.1:5000";
    let single = format!("{reg}/single-arm64");
    let pulled = d.hako(&["pull", &single]).ok();
    assert!(
        pulled
            .stderr
            .contains("does not match the detected host platform")
            || pulled
                .stdout
                .contains("does not match the detected host platform"),
        "{pulled:?}"
    );
    let arm_busybox = format!("{reg}/busybox");
    d.hako(&["pull", "-q", "--platform", "linux/arm64", &arm_busybox])
        .ok();

    if !before.aarch64 {
        let r = d.hako(&["run", "--rm", &single]);
        assert_eq!(r.code, 125, "{r:?}");
        assert!(
            r.stderr
                .contains("image platform linux/arm64/v8 cannot run on this host"),
            "{r:?}"
        );
        let r = d.hako(&["run", "--rm", "armbox", "uname", "-m"]);
        assert_eq!(r.code, 125, "{r:?}");
        for needle in [
            "image platform linux/arm64/v8 cannot run on this host (linux/amd64)",
            "hako emulation install arm64",
        ] {
            assert!(r.stderr.contains(needle), "{needle:?} not in {r:?}");
        }
        let ls = d.hako(&["emulation", "ls"]).ok();
        let arm64 = ls.stdout.lines().find(|l| l.starts_with("arm64 ")).unwrap();
        assert!(arm64.contains("not installed"), "{}", ls.stdout);
        // Nothing was created for the refused run.
        assert_eq!(d.hako(&["ps", "-aq"]).ok().stdout, "");
    }

    let r = d.hako(&["emulation", "install", "arm64"]).ok();
    let expected = if before.aarch64 {
        "already registered"
    } else {
        "registered"
    };
    assert_eq!(r.stdout, format!("arm64: {expected} (qemu-aarch64)\n"));
    let again = d.hako(&["emulation", "install", "aarch64"]).ok();
    assert_eq!(again.stdout, "arm64: already registered (qemu-aarch64)\n");
    let flags = std::fs::read_to_string(AARCH64).unwrap();
    assert!(flags.contains("enabled"), "{flags}");

    let ls = d
        .hako(&["emulation", "ls", "--format", "{{.Arch}} {{.Status}}"])
        .ok();
    assert!(
        ls.stdout.lines().any(|l| l == "amd64 native"),
        "{}",
        ls.stdout
    );
    if !before.aarch64 {
        assert!(
            ls.stdout.lines().any(|l| l == "arm64 emulated"),
            "{}",
            ls.stdout
        );
        let platforms = d.hako(&["info", "--format", "{{json .Platforms}}"]).ok();
        assert!(
            platforms.stdout.contains("\"linux/arm64/v8\""),
            "{}",
            platforms.stdout
        );
    }

    // The single-arch image's own command is `uname -m`.
    let r = d.hako(&["run", "--rm", &single]).ok();
    assert_eq!(r.stdout, "aarch64\n");
    let r = d
        .hako(&[
            "run",
            "--rm",
            "--platform",
            "linux/arm64",
            &arm_busybox,
            "uname",
            "-m",
        ])
        .ok();
    assert_eq!(r.stdout, "aarch64\n");
    let r = d.hako(&["run", "--rm", "armbox", "uname", "-m"]).ok();
    assert_eq!(r.stdout, "aarch64\n");
    // The foreign image is used with Docker's warning when no platform was asked for.
    assert!(
        r.stderr
            .contains("does not match the detected host platform"),
        "{r:?}"
    );
    let r = d
        .hako(&[
            "run",
            "--rm",
            "--platform",
            "linux/arm64",
            "armbox",
            "uname",
            "-m",
        ])
        .ok();
    assert_eq!(r.stdout, "aarch64\n");
    if let Some(r) = d.docker(&[
        "run",
        "--rm",
        "--platform",
        "linux/arm64",
        "armbox",
        "uname",
        "-m",
    ]) {
        assert_eq!(r.ok().stdout, "aarch64\n");
    }

    // A container created while emulation was there, started after it is gone.
    d.hako(&["create", "--name", "armc", "armbox", "uname", "-m"])
        .ok();
    let ps = d
        .hako(&[
            "ps",
            "-a",
            "--filter",
            "name=armc",
            "--format",
            "{{.Platform}}",
        ])
        .ok();
    assert_eq!(ps.stdout, "linux/arm64/v8\n");
    if let Some(r) = d.docker(&[
        "ps",
        "-a",
        "--filter",
        "name=armc",
        "--format",
        "{{.Platform}}",
    ]) {
        assert_eq!(r.ok().stdout, "linux/arm64/v8\n");
    }

    let r = d.hako(&["emulation", "uninstall"]).ok();
    if before.aarch64 {
        assert_eq!(r.stdout, "nothing to do\n");
    } else {
        assert_eq!(r.stdout, "arm64: removed (qemu-aarch64)\n");
    }
    assert_eq!(Path::new(AARCH64).exists(), before.aarch64);
    if !before.aarch64 {
        let r = d.hako(&["start", "-a", "armc"]);
        assert_ne!(r.code, 0, "{r:?}");
        assert!(r.stderr.contains("hako emulation install arm64"), "{r:?}");
    }
    assert_eq!(Path::new(BINFMT).join("register").exists(), before.mounted);
    if before.mounted {
        assert_eq!(Restore::handlers(), handlers_before);
    }
    d.assert_clean();
}

#[test]
fn the_daemon_refuses_an_unknown_emulation_architecture_before_starting() {
    let tmp = tempfile::tempdir().unwrap();
    let socket = tmp.path().join("hako.sock");
    let mut cmd = std::process::Command::new(common::hako_bin());
    cmd.arg("daemon")
        .arg("--emulation")
        .arg("arm64,vax")
        .arg("--socket")
        .arg(&socket)
        .arg("--data-root")
        .arg(tmp.path().join("data"));
    let r = common::run_bounded(cmd, None);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("--emulation: unknown architecture \"vax\": choose from amd64, arm64"),
        "{r:?}"
    );
    assert!(!socket.exists() && !tmp.path().join("data").exists());
}

#[test]
fn unknown_architectures_are_named_in_the_error() {
    let d = Daemon::start();
    let r = d.hako(&["emulation", "install", "vax"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("unknown architecture \"vax\": choose from amd64, arm64"),
        "{r:?}"
    );
}
