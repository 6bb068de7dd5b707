//! The rootfs sequence against the recording fake: which mounts, in which order.

use std::path::{Path, PathBuf};

use super::*;
use crate::cgroup::CgroupMount;
use crate::spec::{Mount, Rootfs};
use crate::sys::fake::{Call, FakeSys};
use crate::sys::{DeviceKind, MsFlags};

const ROOT: &str = "/run/c/rootfs";
const NSN: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NOEXEC)
    .union(MsFlags::MS_NODEV);

fn rootfs(lower: &[&str]) -> Rootfs {
    Rootfs {
        lower: lower.iter().map(PathBuf::from).collect(),
        upper: "/c/upper".into(),
        work: "/c/work".into(),
        readonly: false,
    }
}

fn v1_cgroups() -> Vec<CgroupMount> {
    vec![
        CgroupMount {
            dest: "cpu,cpuacct".into(),
            fstype: "cgroup".into(),
            options: "cpu,cpuacct".into(),
            host_path: "/sys/fs/cgroup/cpu,cpuacct/hako/c".into(),
            aliases: vec!["cpu".into(), "cpuacct".into()],
        },
        CgroupMount {
            dest: "memory".into(),
            fstype: "cgroup".into(),
            options: "memory".into(),
            host_path: "/sys/fs/cgroup/memory/hako/c".into(),
            aliases: vec![],
        },
    ]
}

struct Fixture {
    rootfs: Rootfs,
    mounts: Vec<Mount>,
    masked: Vec<String>,
    readonly: Vec<String>,
}

impl Fixture {
    fn new() -> Self {
        Self {
            rootfs: rootfs(&["/l/a", "/l/b"]),
            mounts: vec![],
            masked: vec![
                "/proc/kcore".into(),
                "/sys/firmware".into(),
                "/proc/absent".into(),
            ],
            readonly: vec!["/proc/sys".into()],
        }
    }

    fn plan(&self, cgroups: Vec<CgroupMount>, privileged: bool) -> Plan<'_> {
        Plan {
            root: ROOT.into(),
            rootfs: &self.rootfs,
            mounts: &self.mounts,
            cgroups,
            privileged,
            masked_paths: &self.masked,
            readonly_paths: &self.readonly,
            shm_size: 0,
            userns: false,
        }
    }
}

fn mount(
    source: Option<&str>,
    target: &str,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Call {
    Call::Mount {
        source: source.map(str::to_owned),
        target: target.to_owned(),
        fstype: fstype.map(str::to_owned),
        flags,
        data: data.map(str::to_owned),
    }
}

fn at(p: &str) -> String {
    format!("{ROOT}{p}")
}

fn run_all(sys: &FakeSys, plan: &Plan<'_>) {
    mount_root(sys, plan).unwrap();
    mount_system(sys, plan).unwrap();
    mount_extra(sys, plan).unwrap();
    pivot(sys, plan).unwrap();
    finalize(sys, plan).unwrap();
    remount_root_readonly(sys, plan).unwrap();
}

fn after_pivot_tree() -> FakeSys {
    FakeSys::new()
        .with_file("/proc/kcore")
        .with_dir("/sys/firmware")
        .with_dir("/proc/sys")
        .with_mount_flags("/proc", NSN)
}

#[test]
fn default_container_mount_sequence() {
    let f = Fixture::new();
    let sys = after_pivot_tree();
    run_all(&sys, &f.plan(v1_cgroups(), false));
    let bind_remount = MsFlags::MS_BIND | MsFlags::MS_REMOUNT;
    let expected = vec![
        mount(None, "/", None, MsFlags::MS_REC | MsFlags::MS_PRIVATE, None),
        Call::Overlay {
            target: ROOT.into(),
            lower: vec!["/l/a".into(), "/l/b".into()],
            upper: "/c/upper".into(),
            work: "/c/work".into(),
        },
        mount(Some("proc"), &at("/proc"), Some("proc"), NSN, None),
        mount(
            Some("tmpfs"),
            &at("/dev"),
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
            Some("mode=755,size=65536k"),
        ),
        mount(
            Some("devpts"),
            &at("/dev/pts"),
            Some("devpts"),
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
        ),
        mount(
            Some("shm"),
            &at("/dev/shm"),
            Some("tmpfs"),
            NSN,
            Some("mode=1777,size=67108864"),
        ),
        mount(
            Some("mqueue"),
            &at("/dev/mqueue"),
            Some("mqueue"),
            NSN,
            None,
        ),
        mount(
            Some("sysfs"),
            &at("/sys"),
            Some("sysfs"),
            NSN | MsFlags::MS_RDONLY,
            None,
        ),
        mount(
            Some("tmpfs"),
            &at("/sys/fs/cgroup"),
            Some("tmpfs"),
            NSN,
            Some("mode=755"),
        ),
        mount(
            Some("cgroup"),
            &at("/sys/fs/cgroup/cpu,cpuacct"),
            Some("cgroup"),
            NSN | MsFlags::MS_RDONLY,
            Some("cpu,cpuacct"),
        ),
        mount(
            Some("cgroup"),
            &at("/sys/fs/cgroup/memory"),
            Some("cgroup"),
            NSN | MsFlags::MS_RDONLY,
            Some("memory"),
        ),
        mount(
            None,
            &at("/sys/fs/cgroup"),
            None,
            MsFlags::MS_REMOUNT | NSN | MsFlags::MS_RDONLY,
            Some("mode=755"),
        ),
        Call::PivotRoot {
            new_root: ".".into(),
            put_old: ".".into(),
        },
        Call::Umount {
            target: ".".into(),
            detach: true,
        },
        mount(
            Some("/dev/null"),
            "/proc/kcore",
            None,
            MsFlags::MS_BIND,
            None,
        ),
        mount(
            Some("tmpfs"),
            "/sys/firmware",
            Some("tmpfs"),
            NSN | MsFlags::MS_RDONLY,
            None,
        ),
        mount(
            Some("/proc/sys"),
            "/proc/sys",
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None,
        ),
        mount(
            None,
            "/proc/sys",
            None,
            bind_remount | MsFlags::MS_RDONLY | MsFlags::MS_REC | NSN,
            None,
        ),
    ];
    assert_eq!(sys.mounts(), expected);
}

#[test]
fn dev_gets_the_standard_nodes_and_links_and_aliases_are_linked() {
    let f = Fixture::new();
    let sys = FakeSys::new();
    let plan = f.plan(v1_cgroups(), false);
    mount_root(&sys, &plan).unwrap();
    mount_system(&sys, &plan).unwrap();
    let calls = sys.calls();
    let nodes: Vec<(String, u32, u32, u32)> = calls
        .iter()
        .filter_map(|c| match c {
            Call::Mknod {
                path,
                kind: DeviceKind::Char,
                mode,
                major,
                minor,
            } => Some((path.clone(), *mode, *major, *minor)),
            _ => None,
        })
        .collect();
    assert_eq!(nodes.len(), 6);
    assert!(nodes.contains(&(at("/dev/null"), 0o666, 1, 3)));
    assert!(nodes.contains(&(at("/dev/tty"), 0o666, 5, 0)));
    let links: Vec<(String, String)> = calls
        .iter()
        .filter_map(|c| match c {
            Call::Symlink { target, link } => Some((link.clone(), target.clone())),
            _ => None,
        })
        .collect();
    for (link, target) in [
        ("/dev/ptmx", "pts/ptmx"),
        ("/dev/fd", "/proc/self/fd"),
        ("/dev/stdin", "/proc/self/fd/0"),
        ("/dev/core", "/proc/kcore"),
        ("/sys/fs/cgroup/cpu", "cpu,cpuacct"),
        ("/sys/fs/cgroup/cpuacct", "cpu,cpuacct"),
    ] {
        assert!(
            links.contains(&(at(link), target.to_owned())),
            "{link}: {links:?}"
        );
    }
}

#[test]
fn in_a_user_namespace_devices_are_the_hosts_bound() {
    let f = Fixture::new();
    let sys = FakeSys::new();
    let mut plan = f.plan(v1_cgroups(), false);
    plan.userns = true;
    mount_system(&sys, &plan).unwrap();
    let calls = sys.calls();
    assert!(!calls.iter().any(|c| matches!(c, Call::Mknod { .. })));
    for name in ["null", "zero", "full", "random", "urandom", "tty"] {
        let node = at(&format!("/dev/{name}"));
        let made = calls
            .iter()
            .position(|c| *c == Call::CreateFile(node.clone()))
            .unwrap_or_else(|| panic!("{node} not created: {calls:?}"));
        let host = format!("/dev/{name}");
        let bound = calls
            .iter()
            .position(|c| *c == mount(Some(&host), &node, None, MsFlags::MS_BIND, None))
            .unwrap_or_else(|| panic!("{node} not bound: {calls:?}"));
        assert!(made < bound);
    }
}

#[test]
fn old_kernels_fall_back_to_overlay_mount_data() {
    let f = Fixture::new();
    let sys = FakeSys::new().failing_overlay_api(libc::EINVAL);
    mount_root(&sys, &f.plan(vec![], false)).unwrap();
    assert_eq!(
        sys.mounts()[1],
        mount(
            Some("overlay"),
            ROOT,
            Some("overlay"),
            MsFlags::empty(),
            Some("lowerdir=/l/a:/l/b,upperdir=/c/upper,workdir=/c/work")
        )
    );
}

#[test]
fn long_layer_lists_are_mounted_from_their_common_dir() {
    let base = "/var/lib/hako/image/snapshots";
    let layers: Vec<String> = (0..55).map(|i| format!("{base}/{i:064}/fs")).collect();
    let refs: Vec<&str> = layers.iter().map(String::as_str).collect();
    let mut f = Fixture::new();
    f.rootfs = rootfs(&refs);
    let sys = FakeSys::new().failing_overlay_api(libc::EINVAL);
    mount_root(&sys, &f.plan(vec![], false)).unwrap();
    let calls = sys.calls();
    assert_eq!(calls[1], Call::Chdir(base.into()));
    match &calls[2] {
        Call::Mount { data: Some(d), .. } => {
            assert!(d.starts_with(&format!("lowerdir={:064}/fs:", 0)), "{d}");
            assert!(d.len() <= options::MAX_MOUNT_DATA);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_layers_bind_the_container_layer() {
    let mut f = Fixture::new();
    f.rootfs = rootfs(&[]);
    let sys = FakeSys::new();
    mount_root(&sys, &f.plan(vec![], false)).unwrap();
    assert_eq!(
        sys.mounts()[1],
        mount(
            Some("/c/upper"),
            ROOT,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None
        )
    );
}

#[test]
fn refused_sysfs_becomes_a_readonly_bind_of_the_hosts() {
    let f = Fixture::new();
    let sys = FakeSys::new().failing_mount_of("sysfs", libc::EPERM);
    mount_system(&sys, &f.plan(vec![], false)).unwrap();
    let m = sys.mounts();
    let i = m
        .iter()
        .position(|c| matches!(c, Call::Mount { fstype: Some(t), .. } if t == "sysfs"))
        .unwrap();
    assert_eq!(
        m[i + 1],
        mount(
            Some("/sys"),
            &at("/sys"),
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None
        )
    );
    assert_eq!(
        m[i + 2],
        mount(
            None,
            &at("/sys"),
            None,
            MsFlags::MS_BIND | MsFlags::MS_REMOUNT | NSN | MsFlags::MS_RDONLY,
            None
        )
    );
}

#[test]
fn cgroup2_is_a_single_readonly_mount() {
    let f = Fixture::new();
    let sys = FakeSys::new();
    let v2 = vec![CgroupMount {
        dest: String::new(),
        fstype: "cgroup2".into(),
        options: String::new(),
        host_path: "/sys/fs/cgroup/hako/c".into(),
        aliases: vec![],
    }];
    mount_system(&sys, &f.plan(v2, false)).unwrap();
    assert_eq!(
        sys.mounts().last().unwrap(),
        &mount(
            Some("cgroup2"),
            &at("/sys/fs/cgroup"),
            Some("cgroup2"),
            NSN | MsFlags::MS_RDONLY,
            None
        )
    );
}

#[test]
fn privileged_keeps_sys_writable_and_masks_nothing() {
    let f = Fixture::new();
    let sys = after_pivot_tree();
    run_all(&sys, &f.plan(vec![], true));
    let m = sys.mounts();
    assert!(m.contains(&mount(Some("sysfs"), &at("/sys"), Some("sysfs"), NSN, None)));
    let after_pivot = m
        .iter()
        .skip_while(|c| !matches!(c, Call::Umount { .. }))
        .count();
    assert_eq!(after_pivot, 1, "no mask or read-only mounts: {m:?}");
}

#[test]
fn extra_mounts_create_targets_shaped_like_their_sources() {
    let mut f = Fixture::new();
    f.mounts = vec![
        Mount {
            destination: "/etc/hosts".into(),
            fstype: "bind".into(),
            source: "/host/hosts".into(),
            options: vec!["rbind".into(), "ro".into(), "rprivate".into()],
            copy_up: false,
        },
        Mount {
            destination: "/data".into(),
            fstype: "bind".into(),
            source: "/host/data".into(),
            options: vec!["rbind".into()],
            copy_up: false,
        },
        Mount {
            destination: "/run".into(),
            fstype: "tmpfs".into(),
            source: "tmpfs".into(),
            options: vec!["nosuid".into(), "size=1m".into()],
            copy_up: false,
        },
    ];
    let sys = FakeSys::new()
        .with_file("/host/hosts")
        .with_dir("/host/data");
    mount_extra(&sys, &f.plan(vec![], false)).unwrap();
    let calls = sys.calls();
    assert!(calls.contains(&Call::CreateFile(at("/etc/hosts"))));
    assert!(calls.contains(&Call::MkdirAll(at("/data"))));
    assert_eq!(
        sys.mounts(),
        vec![
            mount(
                Some("/host/hosts"),
                &at("/etc/hosts"),
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None
            ),
            mount(
                None,
                &at("/etc/hosts"),
                None,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                None
            ),
            mount(
                None,
                &at("/etc/hosts"),
                None,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None
            ),
            mount(
                Some("/host/data"),
                &at("/data"),
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None
            ),
            mount(
                Some("tmpfs"),
                &at("/run"),
                Some("tmpfs"),
                MsFlags::MS_NOSUID,
                Some("size=1m")
            ),
        ]
    );
}

#[test]
fn image_symlinks_cannot_send_a_mount_outside_the_root() {
    let mut f = Fixture::new();
    f.mounts = vec![Mount {
        destination: "/etc/hosts".into(),
        fstype: "bind".into(),
        source: "/host/hosts".into(),
        options: vec!["rbind".into()],
        copy_up: false,
    }];
    let sys = FakeSys::new()
        .with_file("/host/hosts")
        .with_symlink(&at("/etc/hosts"), "/../../../etc/shadow");
    mount_extra(&sys, &f.plan(vec![], false)).unwrap();
    match &sys.mounts()[0] {
        Call::Mount { target, .. } => assert_eq!(Path::new(target), Path::new(&at("/etc/shadow"))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_bind_source_is_an_error_naming_it() {
    let mut f = Fixture::new();
    f.mounts = vec![Mount {
        destination: "/x".into(),
        fstype: "bind".into(),
        source: "/host/missing".into(),
        options: vec![],
        copy_up: false,
    }];
    let err = mount_extra(&FakeSys::new(), &f.plan(vec![], false)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bind source path does not exist: /host/missing: no such file or directory"
    );
}

#[test]
fn readonly_root_is_remounted_last() {
    let mut f = Fixture::new();
    f.rootfs.readonly = true;
    let sys = FakeSys::new();
    remount_root_readonly(&sys, &f.plan(vec![], false)).unwrap();
    assert_eq!(
        sys.mounts(),
        vec![mount(
            None,
            "/",
            None,
            MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
            None
        )]
    );
}

#[test]
fn terminal_binds_the_pty_slave_to_dev_console() {
    let f = Fixture::new();
    let sys = FakeSys::new();
    bind_console(&sys, &f.plan(vec![], false), Path::new(&at("/dev/pts/0"))).unwrap();
    assert_eq!(sys.calls()[0], Call::CreateFile(at("/dev/console")));
    assert_eq!(
        sys.mounts(),
        vec![mount(
            Some(&at("/dev/pts/0")),
            &at("/dev/console"),
            None,
            MsFlags::MS_BIND,
            None
        )]
    );
}
