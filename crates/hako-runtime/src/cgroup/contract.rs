//! The contract every [`CgroupManager`] honours, run against v1 and v2 over temporary
//! directories (`Fs { emulated: true }`). The real-kernel counterparts live in
//! `tests/cgroup_kernel.rs`.

use std::fs;
use std::path::Path;

use super::v1::{Hierarchy, V1};
use super::v2::V2;
use super::{CgroupManager, Fs};
use crate::spec::Resources;

const EMULATED: Fs = Fs { emulated: true };

fn resources() -> Resources {
    Resources {
        memory: Some(64 << 20),
        memory_swap: Some(128 << 20),
        memory_reservation: Some(32 << 20),
        cpu_shares: None,
        cpu_quota: Some(50_000),
        cpu_period: Some(100_000),
        cpuset_cpus: Some("1".to_owned()),
        cpuset_mems: Some("0".to_owned()),
        pids_limit: Some(100),
        blkio_weight: None,
        oom_kill_disable: false,
    }
}

/// The suite: `cg` is a fresh manager over empty emulated roots, `membership` a
/// `/proc/PID/cgroup` text placing a process in it.
fn contract(cg: &dyn CgroupManager, membership: &str) {
    cg.create().unwrap();
    cg.create().unwrap(); // idempotent
    for p in cg.paths() {
        assert!(p.is_dir(), "{} missing", p.display());
    }

    cg.apply(&resources()).unwrap();
    assert_eq!(cg.limits().unwrap(), resources());
    cg.set_devices(false).unwrap();

    cg.add_process(4242).unwrap();
    assert_eq!(cg.procs().unwrap(), vec![4242]);
    cg.join_self().unwrap();
    if let Some(dir) = cg.clone_into() {
        assert!(cg.paths().contains(&dir));
    }

    cg.set_frozen(true).unwrap();
    assert!(cg.frozen().unwrap());
    cg.set_frozen(false).unwrap();
    assert!(!cg.frozen().unwrap());

    assert_eq!(cg.oom_kills().unwrap(), 0);
    assert!(cg.owns(membership));
    assert!(!cg.owns("0::/\n1:memory:/\n"));
    assert!(!cg.container_mounts().is_empty());

    cg.remove().unwrap();
    for p in cg.paths() {
        assert!(!p.exists(), "{} left behind", p.display());
    }
    cg.remove().unwrap(); // missing is fine
}

fn v1_roots(root: &Path) -> Vec<Hierarchy> {
    let layout: [(&str, &[&str]); 7] = [
        ("cpu,cpuacct", &["cpu", "cpuacct"]),
        ("cpuset", &["cpuset"]),
        ("memory", &["memory"]),
        ("devices", &["devices"]),
        ("freezer", &["freezer"]),
        ("blkio", &["blkio"]),
        ("pids", &["pids"]),
    ];
    layout
        .iter()
        .map(|(dir, ctrls)| {
            let mountpoint = root.join(dir);
            fs::create_dir_all(&mountpoint).unwrap();
            Hierarchy {
                mountpoint,
                controllers: ctrls.iter().map(|c| (*c).to_owned()).collect(),
            }
        })
        .collect()
}

#[test]
fn v1_honours_the_contract() {
    let t = tempfile::tempdir().unwrap();
    let h = v1_roots(t.path());
    fs::write(t.path().join("cpuset/cpuset.cpus"), "0-1\n").unwrap();
    fs::write(t.path().join("cpuset/cpuset.mems"), "0\n").unwrap();
    let cg = V1::new(h, "hako-test", "c1", EMULATED).unwrap();
    contract(&cg, "4:memory:/hako-test/c1\n0::/\n");
}

#[test]
fn v2_honours_the_contract() {
    let t = tempfile::tempdir().unwrap();
    fs::write(
        t.path().join("cgroup.controllers"),
        "cpuset cpu io memory pids hugetlb\n",
    )
    .unwrap();
    let cg = V2::new(t.path().to_path_buf(), "hako-test", "c1", EMULATED).unwrap();
    contract(&cg, "0::/hako-test/c1\n");
}

#[test]
fn v1_copies_cpusets_down_and_writes_the_device_list() {
    let t = tempfile::tempdir().unwrap();
    let h = v1_roots(t.path());
    fs::write(t.path().join("cpuset/cpuset.cpus"), "0-3").unwrap();
    fs::write(t.path().join("cpuset/cpuset.mems"), "0").unwrap();
    let cg = V1::new(h, "a/b", "c", EMULATED).unwrap();
    cg.create().unwrap();
    for level in ["a", "a/b", "a/b/c"] {
        let cpus =
            fs::read_to_string(t.path().join("cpuset").join(level).join("cpuset.cpus")).unwrap();
        assert_eq!(cpus, "0-3", "{level}");
    }
    cg.set_devices(false).unwrap();
    let dev = t.path().join("devices/a/b/c");
    assert_eq!(fs::read_to_string(dev.join("devices.deny")).unwrap(), "a");
    cg.set_devices(true).unwrap();
    assert_eq!(
        fs::read_to_string(dev.join("devices.allow")).unwrap(),
        "a *:* rwm"
    );
    cg.apply(&Resources {
        cpu_shares: Some(512),
        pids_limit: Some(-1),
        ..Resources::default()
    })
    .unwrap();
    assert_eq!(
        fs::read_to_string(t.path().join("cpu,cpuacct/a/b/c/cpu.shares")).unwrap(),
        "512"
    );
    assert_eq!(
        fs::read_to_string(t.path().join("pids/a/b/c/pids.max")).unwrap(),
        "max"
    );
    cg.remove().unwrap();
}

#[test]
fn v2_enables_offered_controllers_and_converts_weights() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("cgroup.controllers"), "cpu memory pids misc").unwrap();
    let cg = V2::new(t.path().to_path_buf(), "hako", "c", EMULATED).unwrap();
    cg.create().unwrap();
    assert_eq!(
        fs::read_to_string(t.path().join("cgroup.subtree_control")).unwrap(),
        "+cpu +memory +pids"
    );
    cg.apply(&Resources {
        cpu_shares: Some(1024),
        cpu_quota: Some(-1),
        cpu_period: Some(50_000),
        memory_swap: Some(-1),
        blkio_weight: Some(500),
        ..Resources::default()
    })
    .unwrap();
    let read = |f: &str| fs::read_to_string(t.path().join("hako/c").join(f)).unwrap();
    assert_eq!(read("cpu.weight"), "39");
    assert_eq!(read("cpu.max"), "max 50000");
    assert_eq!(read("memory.swap.max"), "max");
    assert_eq!(read("io.weight"), "default 4950");
    cg.remove().unwrap();
}
