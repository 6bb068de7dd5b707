//! Seccomp: Docker's JSON profile format, Docker's default profile, and their compilation
//! to classic BPF with `seccompiler` (pure Rust, no libseccomp).
//!
//! The engine compiles a profile for a container's final capability set ([`compile`], or
//! [`default_program`], cached per capability set for the daemon's life) and puts the
//! result, a [`Program`], into the runtime spec; the container's init only loads it
//! ([`Program::load`]), as the last privileged step before `execve`.
//!
//! Semantics follow moby's `profiles/seccomp` and runc:
//! - rules are kept when their `includes` (all of `caps`, one of `arches`, `minKernel`) hold
//!   and their `excludes` (any of `caps`, any of `arches`) do not;
//! - names unknown on this architecture are skipped;
//! - the conditions of one rule are ANDed, unless two test the same argument, in which case
//!   each becomes its own rule (runc's fallback); several rules of one syscall are ORed;
//! - a syscall matched by no rule gets `defaultAction` (`SCMP_ACT_ERRNO` with
//!   `defaultErrnoRet`, EPERM unless said otherwise).
//!
//! seccompiler gives one filter one match action, so a profile becomes several filters:
//! first the allow-list (mismatch: the default action), then one filter per other action
//! (mismatch: allow). The kernel runs them all and keeps the most severe answer; between
//! two `ERRNO`s the filter installed last wins, which is how `clone3` answers `ENOSYS`
//! (so that libc falls back to `clone`) instead of the default `EPERM`.
//!
//! On x86_64 every filter also answers for 32-bit x86 processes (Docker's profile lists x86
//! as a sub-architecture): [`multiarch`] compiles the profile once per architecture and
//! joins the parts behind a dispatcher on the architecture.
//!
//! Not supported: the x32 ABI (its calls meet the default action; Debian's kernels disable
//! it), `SCMP_ACT_NOTIFY`, profile `flags`.

mod multiarch;
mod syscalls;
#[cfg(target_arch = "x86_64")]
mod syscalls_i386;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use serde::{Deserialize, Serialize};

/// Docker's default profile (moby `profiles/seccomp/default.json`, Apache-2.0).
const DEFAULT_PROFILE: &str = include_str!("default.json");

const EPERM: u32 = 1;

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    /// Not JSON, or not a profile.
    #[error("decoding seccomp profile failed: {0}")]
    Json(#[from] serde_json::Error),
    /// An action we do not know or do not support.
    #[error("seccomp profile: unsupported action {0:?}")]
    Action(String),
    /// An argument comparison we do not know.
    #[error("seccomp profile: unsupported argument operator {0:?}")]
    Operator(String),
    /// seccompiler refused (too many instructions, bad argument index...).
    #[error("seccomp profile: {0}")]
    Compile(String),
    /// This architecture has no syscall table.
    #[error("seccomp is not supported on {0}")]
    Arch(&'static str),
}

/// A profile in Docker's JSON format. Unknown fields (`comment`, `archMap`, ...) are
/// accepted and ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// `SCMP_ACT_ERRNO`, `SCMP_ACT_ALLOW`, `SCMP_ACT_KILL`, ...
    pub default_action: String,
    /// errno for an `SCMP_ACT_ERRNO` default (EPERM when absent).
    pub default_errno_ret: Option<u32>,
    /// The rules.
    pub syscalls: Vec<Syscall>,
}

/// One rule group of a profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Syscall {
    /// Syscall names.
    pub names: Vec<String>,
    /// The old single-name form.
    pub name: String,
    /// What happens when the rule matches.
    pub action: String,
    /// errno for `SCMP_ACT_ERRNO` (EPERM when absent).
    pub errno_ret: Option<u32>,
    /// Argument conditions.
    pub args: Option<Vec<Arg>>,
    /// The rule applies only when these hold.
    pub includes: Option<Condition>,
    /// The rule does not apply when any of these holds.
    pub excludes: Option<Condition>,
}

/// `includes` / `excludes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    /// Capabilities (`CAP_SYS_ADMIN`).
    pub caps: Option<Vec<String>>,
    /// Go architecture names (`amd64`, `arm64`, `x86`...).
    pub arches: Option<Vec<String>>,
    /// Minimum kernel, `major.minor`.
    pub min_kernel: Option<String>,
}

/// One argument comparison.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Arg {
    /// Argument number, 0..5.
    pub index: u8,
    /// The value (the mask for `SCMP_CMP_MASKED_EQ`).
    pub value: u64,
    /// The expected masked value for `SCMP_CMP_MASKED_EQ`.
    pub value_two: u64,
    /// `SCMP_CMP_EQ`, `SCMP_CMP_NE`, `SCMP_CMP_LT`, ...
    pub op: String,
}

/// Compiled filters, installed in order. Each instruction is packed into a `u64`
/// (`code | jt << 16 | jf << 24 | k << 32`), which keeps the spec file small and plain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Program {
    /// The filters.
    pub filters: Vec<Vec<u64>>,
}

impl Program {
    /// Number of BPF instructions in all filters.
    pub fn len(&self) -> usize {
        self.filters.iter().map(Vec::len).sum()
    }

    /// No filter at all.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// The filters in the kernel's layout, ready for [`crate::sys::seccomp::load`].
    pub fn unpack(&self) -> Vec<Vec<libc::sock_filter>> {
        self.filters
            .iter()
            .map(|f| f.iter().map(|i| unpack(*i)).collect())
            .collect()
    }
}

#[allow(clippy::cast_possible_truncation)]
fn unpack(i: u64) -> libc::sock_filter {
    libc::sock_filter {
        code: i as u16,
        jt: (i >> 16) as u8,
        jf: (i >> 24) as u8,
        k: (i >> 32) as u32,
    }
}

fn pack(f: &seccompiler::sock_filter) -> u64 {
    u64::from(f.code) | u64::from(f.jt) << 16 | u64::from(f.jf) << 24 | u64::from(f.k) << 32
}

/// Docker's default profile, parsed.
pub fn default_profile() -> &'static Profile {
    static PROFILE: OnceLock<Profile> = OnceLock::new();
    PROFILE.get_or_init(|| {
        // The embedded file is checked by a unit test; a broken build would fail there.
        serde_json::from_str(DEFAULT_PROFILE).unwrap_or_default()
    })
}

/// Parses a profile from the JSON a client sent (`--security-opt seccomp=<file>`: Docker's
/// CLI sends the file's contents).
pub fn parse_profile(json: &str) -> Result<Profile, SeccompError> {
    Ok(serde_json::from_str(json)?)
}

/// The default profile compiled for `caps`, compiled once per capability set for the life of
/// the process (the daemon): a container start costs a lookup.
pub fn default_program(caps: &[String]) -> Result<Arc<Program>, SeccompError> {
    static CACHE: OnceLock<Mutex<HashMap<Vec<String>, Arc<Program>>>> = OnceLock::new();
    let mut key: Vec<String> = caps.iter().map(|c| cap_name(c)).collect();
    key.sort();
    key.dedup();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(p) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(p);
    }
    let program = Arc::new(compile(default_profile(), &key)?);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, program.clone());
    }
    Ok(program)
}

fn cap_name(c: &str) -> String {
    let up = c.trim().to_ascii_uppercase();
    if up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    }
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "riscv64" => "riscv64",
        other => other,
    }
}

fn target_arch() -> Result<TargetArch, SeccompError> {
    TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|_| SeccompError::Arch(std::env::consts::ARCH))
}

fn kernel_version() -> (u32, u32) {
    let uname = rustix::system::uname();
    parse_version(&uname.release().to_string_lossy()).unwrap_or((0, 0))
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let mut it = s.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

fn action(name: &str, errno: Option<u32>) -> Result<SeccompAction, SeccompError> {
    Ok(match name {
        "SCMP_ACT_ALLOW" => SeccompAction::Allow,
        "SCMP_ACT_ERRNO" => SeccompAction::Errno(errno.unwrap_or(EPERM)),
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => SeccompAction::KillThread,
        "SCMP_ACT_KILL_PROCESS" => SeccompAction::KillProcess,
        "SCMP_ACT_TRAP" => SeccompAction::Trap,
        "SCMP_ACT_LOG" => SeccompAction::Log,
        "SCMP_ACT_TRACE" => SeccompAction::Trace(errno.unwrap_or(EPERM)),
        other => return Err(SeccompError::Action(other.to_owned())),
    })
}

/// The seccompiler action as a map key (it is neither `Ord` nor `Hash`).
fn action_key(a: &SeccompAction) -> u32 {
    u32::from(a.clone())
}

fn condition(a: &Arg, len: &SeccompCmpArgLen) -> Result<SeccompCondition, SeccompError> {
    let op = match a.op.as_str() {
        "SCMP_CMP_EQ" => SeccompCmpOp::Eq,
        "SCMP_CMP_NE" => SeccompCmpOp::Ne,
        "SCMP_CMP_LT" => SeccompCmpOp::Lt,
        "SCMP_CMP_LE" => SeccompCmpOp::Le,
        "SCMP_CMP_GT" => SeccompCmpOp::Gt,
        "SCMP_CMP_GE" => SeccompCmpOp::Ge,
        "SCMP_CMP_MASKED_EQ" => {
            return SeccompCondition::new(
                a.index,
                len.clone(),
                SeccompCmpOp::MaskedEq(a.value),
                a.value_two,
            )
            .map_err(|e| SeccompError::Compile(e.to_string()));
        }
        other => return Err(SeccompError::Operator(other.to_owned())),
    };
    SeccompCondition::new(a.index, len.clone(), op, a.value)
        .map_err(|e| SeccompError::Compile(e.to_string()))
}

/// What the rules of one action say about one syscall.
#[derive(Debug, Default)]
enum Match {
    /// Whatever the arguments.
    #[default]
    Always,
    /// When one of these rules matches.
    Rules(Vec<SeccompRule>),
}

struct Facts<'a> {
    caps: &'a [String],
    arch: &'a str,
    kernel: (u32, u32),
}

impl Facts<'_> {
    fn applies(&self, s: &Syscall) -> bool {
        if let Some(inc) = &s.includes {
            if let Some(caps) = &inc.caps
                && !caps.iter().all(|c| self.caps.contains(&cap_name(c)))
            {
                return false;
            }
            if let Some(arches) = &inc.arches
                && !arches.iter().any(|a| a == self.arch)
            {
                return false;
            }
            if let Some(min) = inc.min_kernel.as_deref().and_then(parse_version)
                && self.kernel < min
            {
                return false;
            }
        }
        if let Some(exc) = &s.excludes {
            if let Some(caps) = &exc.caps
                && caps.iter().any(|c| self.caps.contains(&cap_name(c)))
            {
                return false;
            }
            if let Some(arches) = &exc.arches
                && arches.iter().any(|a| a == self.arch)
            {
                return false;
            }
        }
        true
    }
}

/// Compiles `profile` for a process holding `caps` (`CAP_` names) on this machine.
pub fn compile(profile: &Profile, caps: &[String]) -> Result<Program, SeccompError> {
    let caps: Vec<String> = caps.iter().map(|c| cap_name(c)).collect();
    compile_for(
        profile,
        &Facts {
            caps: &caps,
            arch: go_arch(),
            kernel: kernel_version(),
        },
    )
}

/// action key -> (action, syscall number -> match), for one architecture.
type Groups = BTreeMap<u32, (SeccompAction, BTreeMap<i64, Match>)>;

fn compile_for(profile: &Profile, facts: &Facts<'_>) -> Result<Program, SeccompError> {
    let arch = target_arch()?;
    let default = action(&profile.default_action, profile.default_errno_ret)?;
    let views = multiarch::views();
    let mut groups = views
        .iter()
        .map(|v| groups_for(profile, facts, v))
        .collect::<Result<Vec<Groups>, _>>()?;

    let allow = action_key(&SeccompAction::Allow);
    let mut filters = Vec::new();
    if default != SeccompAction::Allow {
        let rules = groups.iter_mut().map(|g| g.remove(&allow).map(|g| g.1));
        filters.push(build_all(
            &views,
            rules,
            &default,
            &SeccompAction::Allow,
            arch,
        )?);
    } else {
        groups.iter_mut().for_each(|g| {
            g.remove(&allow);
        });
    }
    let keys: BTreeSet<u32> = groups.iter().flat_map(|g| g.keys().copied()).collect();
    for key in keys {
        let Some(act) = groups.iter().find_map(|g| g.get(&key)).map(|g| g.0.clone()) else {
            continue;
        };
        let rules: Vec<Option<BTreeMap<i64, Match>>> = groups
            .iter_mut()
            .map(|g| g.remove(&key).map(|g| g.1))
            .collect();
        if rules.iter().flatten().all(BTreeMap::is_empty) {
            continue;
        }
        filters.push(build_all(&views, rules, &SeccompAction::Allow, &act, arch)?);
    }
    Ok(Program { filters })
}

/// The profile's rules that hold here, resolved against one architecture's numbers.
fn groups_for(
    profile: &Profile,
    facts: &Facts<'_>,
    view: &multiarch::ArchView,
) -> Result<Groups, SeccompError> {
    let mut groups = Groups::new();
    for s in &profile.syscalls {
        if !facts.applies(s) {
            continue;
        }
        let act = action(&s.action, s.errno_ret)?;
        let args = s.args.as_deref().unwrap_or_default();
        let rules = rules_of(args, &view.arg_len)?;
        let names = s
            .names
            .iter()
            .chain((!s.name.is_empty()).then_some(&s.name));
        let group = &mut groups
            .entry(action_key(&act))
            .or_insert_with(|| (act.clone(), BTreeMap::new()))
            .1;
        for nr in names.filter_map(|n| view.nr(n)) {
            let slot = group.entry(nr).or_insert_with(|| Match::Rules(Vec::new()));
            match (slot, &rules) {
                (Match::Always, _) => {}
                (slot @ Match::Rules(_), None) => *slot = Match::Always,
                (Match::Rules(have), Some(more)) => have.extend(more.iter().cloned()),
            }
        }
    }
    Ok(groups)
}

/// One filter answering for every architecture in `views`.
fn build_all(
    views: &[multiarch::ArchView],
    rules: impl IntoIterator<Item = Option<BTreeMap<i64, Match>>>,
    mismatch: &SeccompAction,
    on_match: &SeccompAction,
    arch: TargetArch,
) -> Result<Vec<u64>, SeccompError> {
    let native = views.first().map_or(0, |v| v.audit);
    let mut parts = Vec::with_capacity(views.len());
    for (view, rules) in views.iter().zip(rules) {
        let mut part = build(
            rules.unwrap_or_default(),
            mismatch.clone(),
            on_match.clone(),
            arch,
        )?;
        if view.audit != native {
            multiarch::retarget(&mut part, native, view.audit)?;
        }
        parts.push((view.audit, part));
    }
    multiarch::join(parts)
}

/// The rules one profile entry contributes, `None` for "whatever the arguments".
fn rules_of(
    args: &[Arg],
    len: &SeccompCmpArgLen,
) -> Result<Option<Vec<SeccompRule>>, SeccompError> {
    if args.is_empty() {
        return Ok(None);
    }
    let conds = args
        .iter()
        .map(|a| condition(a, len))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = [0u8; 6];
    let mut repeated = false;
    for a in args {
        if let Some(n) = seen.get_mut(usize::from(a.index)) {
            *n += 1;
            repeated |= *n > 1;
        }
    }
    let rule = |c: Vec<SeccompCondition>| {
        SeccompRule::new(c).map_err(|e| SeccompError::Compile(e.to_string()))
    };
    if repeated {
        conds
            .into_iter()
            .map(|c| rule(vec![c]))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    } else {
        Ok(Some(vec![rule(conds)?]))
    }
}

fn build(
    rules: BTreeMap<i64, Match>,
    mismatch: SeccompAction,
    on_match: SeccompAction,
    arch: TargetArch,
) -> Result<Vec<u64>, SeccompError> {
    let rules = rules
        .into_iter()
        .map(|(nr, m)| match m {
            Match::Always => (nr, Vec::new()),
            Match::Rules(r) => (nr, r),
        })
        .collect();
    let filter = SeccompFilter::new(rules, mismatch, on_match, arch)
        .map_err(|e| SeccompError::Compile(e.to_string()))?;
    let bpf: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| SeccompError::Compile(e.to_string()))?;
    Ok(bpf.iter().map(pack).collect())
}

#[cfg(test)]
mod tests;
