//! One seccomp filter for several architectures. seccompiler compiles for a single
//! architecture and kills a process of any other, so each architecture the host runs gets
//! its own compiled part (the profile resolved against that architecture's syscall
//! numbers) and a short dispatcher on `seccomp_data.arch` leads to it. On x86_64 that lets a
//! 32-bit x86 process meet the profile, as Docker's does (libseccomp's sub-architectures),
//! instead of dying of SIGSYS at its first syscall.

use seccompiler::SeccompCmpArgLen;

use super::SeccompError;

/// The kernel's limit on one classic-BPF program (`BPF_MAXINSNS`).
const MAX_LEN: usize = 4096;

const LD_W_ABS: u64 = 0x20;
const JEQ_K: u64 = 0x15;
const JA: u64 = 0x05;
/// `offsetof(struct seccomp_data, arch)`.
const ARCH_OFFSET: u64 = 4;

/// `AUDIT_ARCH_X86_64`: EM_X86_64 | 64-bit | little-endian.
pub(super) const AUDIT_ARCH_X86_64: u32 = 62 | 0x8000_0000 | 0x4000_0000;
/// `AUDIT_ARCH_I386`: EM_386 | little-endian.
pub(super) const AUDIT_ARCH_I386: u32 = 3 | 0x4000_0000;
/// `AUDIT_ARCH_AARCH64`.
#[cfg(target_arch = "aarch64")]
pub(super) const AUDIT_ARCH_AARCH64: u32 = 183 | 0x8000_0000 | 0x4000_0000;

/// An architecture a filter answers for.
pub(super) struct ArchView {
    /// Its `AUDIT_ARCH_*` value, as the kernel reports it in `seccomp_data.arch`.
    pub audit: u32,
    /// Syscall numbers by name, sorted bytewise.
    pub table: &'static [(&'static str, i64)],
    /// 32-bit architectures compare only the low half of an argument (libseccomp does the
    /// same): their upper halves carry nothing.
    pub arg_len: SeccompCmpArgLen,
}

impl ArchView {
    /// The number of `name` on this architecture, if it has the call.
    pub fn nr(&self, name: &str) -> Option<i64> {
        self.table
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| self.table[i].1)
    }
}

/// The architectures this host runs, its own first.
#[cfg(target_arch = "x86_64")]
pub(super) fn views() -> Vec<ArchView> {
    vec![
        ArchView {
            audit: AUDIT_ARCH_X86_64,
            table: super::syscalls::TABLE,
            arg_len: SeccompCmpArgLen::Qword,
        },
        ArchView {
            audit: AUDIT_ARCH_I386,
            table: super::syscalls_i386::TABLE,
            arg_len: SeccompCmpArgLen::Dword,
        },
    ]
}

/// The architectures this host runs, its own first.
#[cfg(target_arch = "aarch64")]
pub(super) fn views() -> Vec<ArchView> {
    vec![ArchView {
        audit: AUDIT_ARCH_AARCH64,
        table: super::syscalls::TABLE,
        arg_len: SeccompCmpArgLen::Qword,
    }]
}

/// Makes a part seccompiler compiled for `native` answer for `audit` instead: its opening
/// architecture check (`ld arch; jeq native, 1, 0; ret KILL`) is the only place the
/// architecture appears.
pub(super) fn retarget(part: &mut [u64], native: u32, audit: u32) -> Result<(), SeccompError> {
    let load_arch = LD_W_ABS | ARCH_OFFSET << 32;
    match part {
        [load, check, ..]
            if *load == load_arch
                && *check & 0xffff == JEQ_K
                && *check >> 32 == u64::from(native) =>
        {
            *check = (*check & 0xffff_ffff) | u64::from(audit) << 32;
            Ok(())
        }
        _ => Err(SeccompError::Compile(
            "a compiled filter does not open with its architecture check".into(),
        )),
    }
}

/// One program from per-architecture parts (`parts[0]` the host's own): a dispatcher sends
/// each other architecture to its part; the host's part follows the dispatcher and keeps
/// its own check, which kills any architecture not listed.
pub(super) fn join(parts: Vec<(u32, Vec<u64>)>) -> Result<Vec<u64>, SeccompError> {
    let mut parts = parts.into_iter();
    let Some((_, native)) = parts.next() else {
        return Ok(Vec::new());
    };
    let others: Vec<(u32, Vec<u64>)> = parts.collect();
    if others.is_empty() {
        return Ok(native);
    }
    let dispatch_len = 1 + 2 * others.len();
    let total = dispatch_len + native.len() + others.iter().map(|(_, p)| p.len()).sum::<usize>();
    if total > MAX_LEN {
        return Err(SeccompError::Compile(format!(
            "the filter needs {total} instructions, more than the kernel's {MAX_LEN}"
        )));
    }
    let mut out = Vec::with_capacity(total);
    out.push(LD_W_ABS | ARCH_OFFSET << 32);
    let mut start = dispatch_len + native.len();
    for (audit, part) in &others {
        // jeq audit: fall through to the jump; otherwise skip it.
        out.push(JEQ_K | 1 << 24 | u64::from(*audit) << 32);
        let here = out.len() + 1;
        out.push(JA | ((start - here) as u64) << 32);
        start += part.len();
    }
    out.extend(native);
    for (_, part) in others {
        out.extend(part);
    }
    Ok(out)
}
