//! Users, capabilities, working directory, mounts and start errors (root only).

mod common;

use std::os::unix::fs::PermissionsExt;

use common::Ctr;
use hako_runtime::client;
use hako_runtime::spec::Mount;
use hako_runtime::{ExecFailure, RuntimeError};

macro_rules! root_only {
    () => {
        if !common::is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

/// Docker's 14 default capabilities as a mask.
const DOCKER_CAPS: &str = "00000000a80425fb";

#[tokio::test]
async fn root_gets_dockers_capabilities() {
    root_only!();
    let c = Ctr::new(&["sh", "-c", "grep ^Cap /proc/self/status; echo HOME=$HOME"]);
    let out = c.run().await;
    let text = out.out();
    assert!(text.contains(&format!("CapEff:\t{DOCKER_CAPS}")), "{text}");
    assert!(text.contains(&format!("CapPrm:\t{DOCKER_CAPS}")), "{text}");
    assert!(text.contains(&format!("CapBnd:\t{DOCKER_CAPS}")), "{text}");
    assert!(text.contains("CapInh:\t0000000000000000"), "{text}");
    assert!(text.contains("CapAmb:\t0000000000000000"), "{text}");
    assert!(text.contains("HOME=/root"), "{text}");
    c.assert_clean().await;
}

#[tokio::test]
async fn user_by_name_loses_capabilities() {
    root_only!();
    let mut c = Ctr::new(&[
        "sh",
        "-c",
        "id; grep -E '^Cap(Eff|Bnd)' /proc/self/status; echo HOME=$HOME",
    ]);
    c.spec.process.user = "nobody".to_owned();
    let text = c.run().await.out();
    assert!(
        text.starts_with("uid=65534(nobody) gid=65534(nobody)"),
        "{text}"
    );
    assert!(text.contains("CapEff:\t0000000000000000"), "{text}");
    assert!(text.contains(&format!("CapBnd:\t{DOCKER_CAPS}")), "{text}");
    assert!(text.contains("HOME=/nonexistent"), "{text}");
    c.assert_clean().await;
}

#[tokio::test]
async fn numeric_user_and_group_with_created_workdir() {
    root_only!();
    let mut c = Ctr::new(&[
        "sh",
        "-c",
        "id -u; id -g; pwd; stat -c %u:%g /work/dir; echo hi > /dev/stdout",
    ]);
    c.spec.process.user = "1000:1000".to_owned();
    c.spec.process.cwd = "/work/dir".to_owned();
    let out = c.run().await;
    assert_eq!(
        out.out(),
        "1000\n1000\n/work/dir\n1000:1000\nhi\n",
        "{}",
        out.err()
    );
    c.assert_clean().await;
}

#[tokio::test]
async fn privileged_gets_what_the_runtime_holds() {
    root_only!();
    let mut c = Ctr::new(&[
        "sh",
        "-c",
        "grep ^CapEff /proc/self/status; [ $(wc -c < /proc/interrupts) -gt 0 ] && echo unmasked",
    ]);
    c.spec.privileged = true;
    let text = c.run().await.out();
    let ours = std::fs::read_to_string("/proc/self/status").unwrap();
    let our_eff = ours.lines().find(|l| l.starts_with("CapEff")).unwrap();
    assert!(text.starts_with(our_eff), "{text} vs {our_eff}");
    assert!(text.contains("unmasked"), "{text}");
    c.assert_clean().await;
}

async fn start_error(args: &[&str]) -> RuntimeError {
    let c = Ctr::new(args);
    let err = client::create_container(common::exe(), &c.dir, &c.spec)
        .await
        .unwrap_err();
    c.assert_clean().await;
    err
}

#[tokio::test]
async fn not_found_and_permission_errors_use_dockers_words() {
    root_only!();
    match start_error(&["foo"]).await {
        RuntimeError::Start {
            failure: ExecFailure::NotFound,
            message,
        } => {
            assert_eq!(message, "exec: \"foo\": executable file not found in $PATH")
        }
        other => panic!("{other:?}"),
    }
    match start_error(&["/nope"]).await {
        RuntimeError::Start {
            failure: ExecFailure::NotFound,
            message,
        } => {
            assert_eq!(
                message,
                "exec: \"/nope\": stat /nope: no such file or directory"
            )
        }
        other => panic!("{other:?}"),
    }
    match start_error(&["/etc/passwd"]).await {
        RuntimeError::Start {
            failure: ExecFailure::PermissionDenied,
            message,
        } => {
            assert_eq!(message, "exec: \"/etc/passwd\": permission denied")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unknown_user_is_reported() {
    root_only!();
    let mut c = Ctr::new(&["true"]);
    c.spec.process.user = "foo".to_owned();
    let err = client::create_container(common::exe(), &c.dir, &c.spec)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to find user foo: no matching entries in passwd file"
    );
    c.assert_clean().await;
}

#[tokio::test]
async fn exec_format_error_fails_start() {
    root_only!();
    let c = Ctr::new(&["/fake"]);
    let fake = c.spec.rootfs.upper.join("fake");
    std::fs::write(&fake, b"\x7fELF garbage").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let created = client::create_container(common::exe(), &c.dir, &c.spec)
        .await
        .unwrap();
    match created.start().await.unwrap_err() {
        RuntimeError::Start {
            failure: ExecFailure::Other,
            message,
        } => {
            assert_eq!(message, "exec /fake: exec format error")
        }
        other => panic!("{other:?}"),
    }
    let status = client::MonitorClient::new(&c.dir).wait().await.unwrap();
    assert_ne!(status.code, 0);
    c.assert_clean().await;
}

#[tokio::test]
async fn bind_mounts_readonly_root_and_missing_targets() {
    root_only!();
    let mut c = Ctr::new(&[
        "sh",
        "-c",
        "cat /etc/hostname /data/f; touch /etc/hostname 2>/dev/null || echo ro-file; \
         touch /data/new && echo rw-dir; touch /x 2>/dev/null || echo ro-root; cat /new/dir/file",
    ]);
    let host = c.tmp.path().join("host");
    std::fs::create_dir_all(host.join("data")).unwrap();
    std::fs::write(host.join("hostname"), "from-host\n").unwrap();
    std::fs::write(host.join("data/f"), "data\n").unwrap();
    std::fs::write(host.join("file"), "nested\n").unwrap();
    let bind = |src: &str, dst: &str, ro: bool| Mount {
        destination: dst.to_owned(),
        fstype: "bind".to_owned(),
        source: host.join(src).to_string_lossy().into_owned(),
        options: if ro {
            vec!["rbind".into(), "ro".into(), "rprivate".into()]
        } else {
            vec!["rbind".into()]
        },
        copy_up: false,
    };
    c.spec.mounts = vec![
        bind("hostname", "/etc/hostname", true),
        bind("data", "/data", false),
        bind("file", "/new/dir/file", true),
    ];
    c.spec.rootfs.readonly = true;
    let out = c.run().await;
    assert_eq!(
        out.out(),
        "from-host\ndata\nro-file\nrw-dir\nro-root\nnested\n",
        "{}",
        out.err()
    );
    assert!(host.join("data/new").exists());
    c.assert_clean().await;
}

#[tokio::test]
async fn network_namespace_has_loopback_up() {
    root_only!();
    let c = Ctr::new(&[
        "sh",
        "-c",
        "cat /sys/class/net/lo/operstate; ls /sys/class/net",
    ]);
    let out = c.run().await;
    assert_eq!(out.out(), "unknown\nlo\n", "{}", out.err());
    c.assert_clean().await;
}

#[tokio::test]
async fn rlimits_no_new_privileges_and_domainname() {
    root_only!();
    let mut c = Ctr::new(&[
        "sh",
        "-c",
        "ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status; cat /proc/sys/kernel/domainname",
    ]);
    c.spec.process.rlimits = vec![hako_runtime::spec::Rlimit {
        kind: "RLIMIT_NOFILE".into(),
        soft: 1024,
        hard: 2048,
    }];
    c.spec.process.no_new_privileges = true;
    c.spec.domainname = "example.org".into();
    let out = c.run().await;
    assert_eq!(
        out.out(),
        "1024\n2048\nNoNewPrivs:\t1\nexample.org\n",
        "{}",
        out.err()
    );
    c.assert_clean().await;
}

#[tokio::test]
async fn joined_and_host_network_namespaces() {
    root_only!();
    use hako_runtime::spec::NetNamespace;
    let a = Ctr::new(&["sleep", "1000"]);
    let created = client::create_container(common::exe(), &a.dir, &a.spec)
        .await
        .unwrap();
    let a_pid = created.pid;
    let running = created.start().await.unwrap();
    let a_net = std::fs::read_link(format!("/proc/{a_pid}/ns/net")).unwrap();

    let mut b = Ctr::new(&["readlink", "/proc/self/ns/net"]);
    b.spec.network = NetNamespace::Join(format!("/proc/{a_pid}/ns/net").into());
    assert_eq!(b.run().await.out().trim(), a_net.to_string_lossy());
    b.assert_clean().await;

    let mut h = Ctr::new(&["readlink", "/proc/self/ns/net"]);
    h.spec.network = NetNamespace::Host;
    let host_net = std::fs::read_link("/proc/self/ns/net").unwrap();
    assert_eq!(h.run().await.out().trim(), host_net.to_string_lossy());
    h.assert_clean().await;

    client::MonitorClient::new(&a.dir)
        .signal(libc::SIGKILL)
        .await
        .unwrap();
    running.wait().await.unwrap();
    a.assert_clean().await;
}

#[tokio::test]
async fn devices_outside_the_allow_list_are_refused_unless_privileged() {
    root_only!();
    let script = "mknod /tmp/kmsg c 1 11 && ( exec 3< /tmp/kmsg ) 2>&1 | grep -c 'not permitted'";
    let c = Ctr::new(&["sh", "-c", script]);
    assert_eq!(c.run().await.out(), "1\n");
    c.assert_clean().await;
    let mut p = Ctr::new(&["sh", "-c", script]);
    p.spec.privileged = true;
    p.spec.cgroup.allow_all_devices = true;
    assert_eq!(p.run().await.out(), "0\n");
    p.assert_clean().await;
}
