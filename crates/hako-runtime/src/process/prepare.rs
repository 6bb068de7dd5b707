//! Inside the container's root, before privileges are dropped: resolve the user, complete
//! the environment, create and enter the working directory, set rlimits, find the program.

use std::ffi::CString;
use std::io;
use std::path::{Path, PathBuf};

use caps::CapsHashSet;
use rustix::process::{Resource, Rlimit};

use super::SetupFailure;
use crate::error::ExecFailure;
use crate::spec::{ProcessSpec, Rlimit as SpecRlimit};
use crate::user::{self, ExecUser};
use crate::{caps as capabilities, lookup};

/// Everything `execve` and the privilege drop need.
#[derive(Debug)]
pub struct Launch {
    /// The resolved program path.
    pub program: CString,
    /// argv.
    pub argv: Vec<CString>,
    /// envp, with `HOME` added when missing.
    pub env: Vec<CString>,
    /// Who runs it.
    pub user: ExecUser,
    /// Capabilities kept.
    pub caps: CapsHashSet,
    /// `PR_SET_NO_NEW_PRIVS`.
    pub no_new_privileges: bool,
    /// Seccomp filters, set by the caller after [`prepare`] (empty: unconfined).
    pub seccomp: Filters,
    /// Fork the program and stay as its init (`--init`).
    pub init: bool,
}

/// Seccomp filters in the kernel's layout, unpacked before the privilege drop so that
/// loading them is only the syscalls.
#[derive(Default)]
pub struct Filters(pub Vec<Vec<libc::sock_filter>>);

impl Filters {
    /// Unpacks the spec's program.
    pub fn of(program: Option<&crate::seccomp::Program>) -> Self {
        Self(
            program
                .map(crate::seccomp::Program::unpack)
                .unwrap_or_default(),
        )
    }

    /// Installs every filter, in order.
    pub fn load(&self) -> Result<(), SetupFailure> {
        for f in &self.0 {
            crate::sys::seccomp::load(f).map_err(|e| {
                SetupFailure::other("load seccomp filter", lookup::go_error_text(&e))
            })?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Filters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lens: Vec<usize> = self.0.iter().map(Vec::len).collect();
        f.debug_tuple("Filters").field(&lens).finish()
    }
}

fn read_optional(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn cstring(what: &str, s: &str) -> Result<CString, SetupFailure> {
    CString::new(s).map_err(|_| SetupFailure::other(what, format!("{s:?} contains a NUL byte")))
}

/// Runs the steps in order and returns what [`super::launch`] needs.
pub fn prepare(p: &ProcessSpec, privileged: bool) -> Result<Launch, SetupFailure> {
    let Some(arg0) = p.args.first() else {
        return Err(SetupFailure {
            failure: ExecFailure::Other,
            message: "no command specified".to_owned(),
        });
    };
    let passwd = read_optional("/etc/passwd");
    let group = read_optional("/etc/group");
    let user = user::resolve(
        &p.user,
        passwd.as_deref(),
        group.as_deref(),
        &p.additional_groups,
    )?;

    let mut env = p.env.clone();
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={}", user.home));
    }

    let cwd = Path::new("/").join(if p.cwd.is_empty() { "/" } else { &p.cwd });
    mkdir_all_owned(&cwd, user.uid, user.gid).map_err(|e| {
        SetupFailure::other(
            &format!("create working directory {}", cwd.display()),
            lookup::go_error_text(&e),
        )
    })?;
    std::env::set_current_dir(&cwd).map_err(|e| {
        SetupFailure::other(
            &format!(
                "chdir to cwd ({:?}) set in config.json failed",
                cwd.display()
            ),
            lookup::go_error_text(&e),
        )
    })?;

    for r in &p.rlimits {
        set_rlimit(r)?;
    }

    let program = lookup::lookup(arg0, lookup::path_of(&env))?;
    let caps = capabilities::resolve(&p.capabilities, privileged)?;
    Ok(Launch {
        program: cstring("program", &program.to_string_lossy())?,
        argv: p
            .args
            .iter()
            .map(|a| cstring("argument", a))
            .collect::<Result<_, _>>()?,
        env: env
            .iter()
            .map(|e| cstring("environment variable", e))
            .collect::<Result<_, _>>()?,
        user,
        caps,
        no_new_privileges: p.no_new_privileges,
        seccomp: Filters::default(),
        init: p.init,
    })
}

/// `mkdir -p`, giving the directories it creates to the process's user (Docker's
/// `MkdirAllAndChownNew` for the working directory).
fn mkdir_all_owned(dir: &Path, uid: u32, gid: u32) -> io::Result<()> {
    let mut cur = PathBuf::from("/");
    for c in dir.components().skip(1) {
        cur.push(c);
        match std::fs::create_dir(&cur) {
            Ok(()) => std::os::unix::fs::chown(&cur, Some(uid), Some(gid))?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn resource(kind: &str) -> Option<Resource> {
    let name = kind.to_ascii_uppercase();
    Some(match name.strip_prefix("RLIMIT_").unwrap_or(&name) {
        "CPU" => Resource::Cpu,
        "FSIZE" => Resource::Fsize,
        "DATA" => Resource::Data,
        "STACK" => Resource::Stack,
        "CORE" => Resource::Core,
        "RSS" => Resource::Rss,
        "NPROC" => Resource::Nproc,
        "NOFILE" => Resource::Nofile,
        "MEMLOCK" => Resource::Memlock,
        "AS" => Resource::As,
        "LOCKS" => Resource::Locks,
        "SIGPENDING" => Resource::Sigpending,
        "MSGQUEUE" => Resource::Msgqueue,
        "NICE" => Resource::Nice,
        "RTPRIO" => Resource::Rtprio,
        "RTTIME" => Resource::Rttime,
        _ => return None,
    })
}

fn set_rlimit(r: &SpecRlimit) -> Result<(), SetupFailure> {
    let res = resource(&r.kind)
        .ok_or_else(|| SetupFailure::other("rlimit", format!("unknown rlimit {:?}", r.kind)))?;
    let value = |v: u64| (v != u64::MAX).then_some(v);
    rustix::process::setrlimit(
        res,
        Rlimit {
            current: value(r.soft),
            maximum: value(r.hard),
        },
    )
    .map_err(|e| {
        SetupFailure::other(
            &format!("setrlimit {}", r.kind),
            lookup::go_error_text(&e.into()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rlimit_names_with_or_without_prefix() {
        assert_eq!(resource("RLIMIT_NOFILE"), Some(Resource::Nofile));
        assert_eq!(resource("nproc"), Some(Resource::Nproc));
        assert_eq!(resource("bogus"), None);
    }
}
