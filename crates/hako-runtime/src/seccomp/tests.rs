use super::*;

/// A classic-BPF interpreter for the instructions seccompiler emits, so that the compiled
/// programs can be checked for what they answer, not for their shape.
fn run(filter: &[u64], audit_arch: u32, nr: i64, args: [u64; 6]) -> u32 {
    let mut data = [0u8; 64];
    #[allow(clippy::cast_possible_truncation)]
    data[0..4].copy_from_slice(&(nr as i32).to_ne_bytes());
    data[4..8].copy_from_slice(&audit_arch.to_ne_bytes());
    for (i, a) in args.iter().enumerate() {
        data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
    }
    let (mut a, mut pc) = (0u32, 0usize);
    loop {
        let ins = unpack(filter[pc]);
        pc += 1;
        match ins.code {
            0x20 => {
                let off = ins.k as usize;
                a = u32::from_ne_bytes(data[off..off + 4].try_into().unwrap());
            }
            0x54 => a &= ins.k,
            0x05 => pc += ins.k as usize,
            0x15 | 0x25 | 0x35 | 0x45 => {
                let taken = match ins.code {
                    0x15 => a == ins.k,
                    0x25 => a > ins.k,
                    0x35 => a >= ins.k,
                    _ => a & ins.k != 0,
                };
                pc += usize::from(if taken { ins.jt } else { ins.jf });
            }
            0x06 => return ins.k,
            other => panic!("instruction {other:#x} not interpreted"),
        }
    }
}

/// What the kernel would answer: the most severe result of all filters, the last installed
/// winning ties.
fn answer(p: &Program, name: &str, args: [u64; 6]) -> u32 {
    let native = &multiarch::views()[0];
    answer_raw(p, native.audit, syscall_nr(name).unwrap(), args)
}

fn syscall_nr(name: &str) -> Option<i64> {
    multiarch::views()[0].nr(name)
}

/// What the kernel would answer a process of architecture `audit_arch` calling `nr`.
fn answer_raw(p: &Program, audit_arch: u32, nr: i64, args: [u64; 6]) -> u32 {
    let mut ret = libc::SECCOMP_RET_ALLOW;
    for f in p.filters.iter().rev() {
        let r = run(f, audit_arch, nr, args);
        #[allow(clippy::cast_possible_wrap)]
        let (cur, best) = (
            (r & libc::SECCOMP_RET_ACTION_FULL) as i32,
            (ret & libc::SECCOMP_RET_ACTION_FULL) as i32,
        );
        if cur < best {
            ret = r;
        }
    }
    ret
}

const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const fn errno(e: i32) -> u32 {
    #[allow(clippy::cast_sign_loss)]
    let e = e as u32;
    libc::SECCOMP_RET_ERRNO | e
}

fn docker_default_caps() -> Vec<String> {
    crate::defaults::capabilities()
}

#[test]
fn the_embedded_default_profile_parses() {
    let p: Profile = serde_json::from_str(DEFAULT_PROFILE).unwrap();
    assert_eq!(p.default_action, "SCMP_ACT_ERRNO");
    assert!(p.syscalls.len() > 30);
    assert_eq!(default_profile().syscalls.len(), p.syscalls.len());
}

#[test]
fn syscall_table_is_sorted_and_knows_the_usual_names() {
    assert!(syscalls::TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    #[cfg(target_arch = "x86_64")]
    assert!(syscalls_i386::TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(syscall_nr("clone3"), Some(435));
    assert!(syscall_nr("read").is_some());
    assert_eq!(syscall_nr("no_such_call"), None);
}

#[test]
fn default_profile_allows_the_ordinary_and_refuses_the_dangerous() {
    let p = compile(default_profile(), &docker_default_caps()).unwrap();
    assert!(p.len() < 4096 * p.filters.len());
    for ok in [
        "read", "write", "openat", "execve", "mknodat", "chown", "setuid",
    ] {
        assert_eq!(answer(&p, ok, [0; 6]), ALLOW, "{ok}");
    }
    for bad in [
        "keyctl",
        "add_key",
        "mount",
        "umount2",
        "unshare",
        "init_module",
        "finit_module",
        "clock_settime",
    ] {
        assert_eq!(answer(&p, bad, [0; 6]), errno(libc::EPERM), "{bad}");
    }
    // clone3 answers ENOSYS so that libc falls back to clone.
    assert_eq!(answer(&p, "clone3", [0; 6]), errno(libc::ENOSYS));
    // clone without namespace flags is fine, with CLONE_NEWUSER it is not.
    let sigchld = libc::SIGCHLD as u64;
    assert_eq!(answer(&p, "clone", [sigchld, 0, 0, 0, 0, 0]), ALLOW);
    let newuser = libc::CLONE_NEWUSER as u64 | sigchld;
    assert_eq!(
        answer(&p, "clone", [newuser, 0, 0, 0, 0, 0]),
        errno(libc::EPERM)
    );
    // socket: every family but AF_VSOCK (40).
    assert_eq!(answer(&p, "socket", [2, 1, 0, 0, 0, 0]), ALLOW);
    assert_eq!(
        answer(&p, "socket", [40, 1, 0, 0, 0, 0]),
        errno(libc::EPERM)
    );
    // personality: only the listed values.
    assert_eq!(answer(&p, "personality", [8, 0, 0, 0, 0, 0]), ALLOW);
    assert_eq!(
        answer(&p, "personality", [0x0040_0000, 0, 0, 0, 0, 0]),
        errno(libc::EPERM)
    );
}

#[test]
fn capabilities_open_their_groups() {
    let mut caps = docker_default_caps();
    caps.push("SYS_ADMIN".into());
    caps.push("CAP_SYS_TIME".into());
    let p = compile(default_profile(), &caps).unwrap();
    for ok in ["mount", "unshare", "clone3", "clock_settime", "setns"] {
        assert_eq!(answer(&p, ok, [0; 6]), ALLOW, "{ok}");
    }
    let newuser = libc::CLONE_NEWUSER as u64;
    assert_eq!(answer(&p, "clone", [newuser, 0, 0, 0, 0, 0]), ALLOW);
    // Still refused: keyctl is in no group, modules need CAP_SYS_MODULE.
    assert_eq!(answer(&p, "keyctl", [0; 6]), errno(libc::EPERM));
    assert_eq!(answer(&p, "init_module", [0; 6]), errno(libc::EPERM));
}

#[test]
fn custom_profiles_deny_lists_and_errors() {
    let p = parse_profile(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["mkdirat","mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
            {"name":"chmod","action":"SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    let prog = compile(&p, &[]).unwrap();
    assert_eq!(prog.filters.len(), 2, "one filter per errno");
    assert_eq!(answer(&prog, "mkdirat", [0; 6]), errno(libc::EACCES));
    assert_eq!(answer(&prog, "chmod", [0; 6]), errno(libc::EPERM));
    assert_eq!(answer(&prog, "read", [0; 6]), ALLOW);

    let bad = parse_profile(r#"{"defaultAction":"SCMP_ACT_NOTIFY"}"#).unwrap();
    assert!(matches!(compile(&bad, &[]), Err(SeccompError::Action(_))));
    assert!(parse_profile("{not json").is_err());
    // Docker's CLI sends exactly this for an empty file: refused at create, not at start.
    assert!(parse_profile("").is_err());
}

#[test]
fn same_argument_twice_means_either() {
    let p = parse_profile(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],
        "action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},
        {"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap();
    let prog = compile(&p, &[]).unwrap();
    assert_eq!(answer(&prog, "personality", [1, 0, 0, 0, 0, 0]), ALLOW);
    assert_eq!(answer(&prog, "personality", [2, 0, 0, 0, 0, 0]), ALLOW);
    assert_eq!(
        answer(&prog, "personality", [3, 0, 0, 0, 0, 0]),
        errno(libc::EPERM)
    );
}

#[test]
fn default_programs_are_cached_per_capability_set() {
    let a = default_program(&["CAP_CHOWN".into(), "kill".into()]).unwrap();
    let b = default_program(&["CAP_KILL".into(), "chown".into()]).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let packed = serde_json::to_string(&*a).unwrap();
    let back: Program = serde_json::from_str(&packed).unwrap();
    assert_eq!(back, *a);
}

#[test]
fn versions() {
    assert_eq!(parse_version("6.18.44-fc-v782"), Some((6, 18)));
    assert_eq!(parse_version("4.8"), Some((4, 8)));
    assert_eq!(parse_version("x"), None);
}

/// A 32-bit x86 process on an x86_64 host meets the same profile with its own numbers.
#[cfg(target_arch = "x86_64")]
#[test]
fn x86_processes_meet_the_profile_with_their_own_numbers() {
    let p = compile(default_profile(), &docker_default_caps()).unwrap();
    let i386 = multiarch::AUDIT_ARCH_I386;
    let nr = |name: &str| {
        syscalls_i386::TABLE
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
    };
    // write is 4 on i386 (1 on x86_64), socketcall only exists there.
    assert_eq!(answer_raw(&p, i386, nr("write"), [0; 6]), ALLOW);
    assert_eq!(answer_raw(&p, i386, nr("socketcall"), [0; 6]), ALLOW);
    assert_eq!(
        answer_raw(&p, i386, nr("keyctl"), [0; 6]),
        errno(libc::EPERM)
    );
    assert_eq!(
        answer_raw(&p, i386, nr("clone3"), [0; 6]),
        errno(libc::ENOSYS)
    );
    // i386's 21 is mount: refused; x86_64's 21 is access: allowed.
    assert_eq!(nr("mount"), 21);
    assert_eq!(answer_raw(&p, i386, 21, [0; 6]), errno(libc::EPERM));
    assert_eq!(answer(&p, "access", [0; 6]), ALLOW);
    // Argument rules compare the low half only: personality(PER_LINUX32) is allowed
    // whatever the upper half holds.
    let per = nr("personality");
    assert_eq!(answer_raw(&p, i386, per, [0x8, 0, 0, 0, 0, 0]), ALLOW);
    assert_eq!(
        answer_raw(&p, i386, per, [0xdead_0000_0008, 0, 0, 0, 0, 0]),
        ALLOW
    );
    assert_eq!(
        answer_raw(&p, i386, per, [0x4_0000, 0, 0, 0, 0, 0]),
        errno(libc::EPERM)
    );
}

#[test]
fn other_architectures_are_killed() {
    let p = compile(default_profile(), &docker_default_caps()).unwrap();
    // AUDIT_ARCH_ARM: EM_ARM | little-endian, never run on these hosts.
    let arm = 40 | 0x4000_0000;
    assert_eq!(
        answer_raw(&p, arm, 3, [0; 6]),
        libc::SECCOMP_RET_KILL_PROCESS
    );
    for f in &p.filters {
        assert!(f.len() <= 4096, "{} instructions", f.len());
    }
}
