//! `--security-opt`, as moby's `parseSecurityOpt` reads it, and the seccomp program a
//! container gets.
//!
//! Accepted: `no-new-privileges[=bool]`, `seccomp=unconfined|builtin|<profile JSON>`
//! (Docker's CLI sends a profile file's contents), `label=...` and `apparmor=...` (accepted
//! and ignored: this engine has neither SELinux labels nor AppArmor), `disable`. The
//! deprecated `key:value` form is read too. Anything else is refused with moby's words.

use std::sync::Arc;

use hako_runtime::seccomp::{self, Program};

use crate::error::{EngineError, Result};

/// Which seccomp profile a container asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SeccompChoice {
    /// Docker's default profile.
    #[default]
    Default,
    /// No filter.
    Unconfined,
    /// A profile in Docker's JSON format.
    Custom(String),
}

/// What the security options say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityOpts {
    /// `no-new-privileges`.
    pub no_new_privileges: bool,
    /// The seccomp profile.
    pub seccomp: SeccompChoice,
}

fn invalid(n: u8, opt: &str) -> EngineError {
    EngineError::InvalidParameter(format!("invalid --security-opt {n}: {opt:?}"))
}

/// Go's `strconv.ParseBool`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Reads `--security-opt` values.
pub fn parse(opts: &[String]) -> Result<SecurityOpts> {
    let mut out = SecurityOpts::default();
    for opt in opts {
        if opt == "no-new-privileges" {
            out.no_new_privileges = true;
            continue;
        }
        if opt == "disable" {
            continue;
        }
        let split = if opt.contains('=') {
            opt.split_once('=')
        } else {
            opt.split_once(':')
        };
        let Some((key, value)) = split else {
            return Err(invalid(1, opt));
        };
        match key {
            "label" | "apparmor" => {}
            "seccomp" => {
                out.seccomp = match value {
                    "unconfined" => SeccompChoice::Unconfined,
                    "" | "builtin" => SeccompChoice::Default,
                    json => SeccompChoice::Custom(json.to_string()),
                }
            }
            "no-new-privileges" => {
                out.no_new_privileges = parse_bool(value).ok_or_else(|| invalid(2, opt))?;
            }
            _ => return Err(invalid(2, opt)),
        }
    }
    Ok(out)
}

/// The seccomp program for a process with `caps` (its final capability list); `None` when
/// unconfined or privileged. The default profile's program is compiled once per capability
/// set for the life of the daemon.
pub fn seccomp_program(
    opts: &SecurityOpts,
    privileged: bool,
    caps: &[String],
) -> Result<Option<Arc<Program>>> {
    if privileged {
        return Ok(None);
    }
    let program = match &opts.seccomp {
        SeccompChoice::Unconfined => return Ok(None),
        SeccompChoice::Default => seccomp::default_program(caps),
        SeccompChoice::Custom(json) => {
            seccomp::parse_profile(json).and_then(|p| seccomp::compile(&p, caps).map(Arc::new))
        }
    };
    program
        .map(Some)
        .map_err(|e| EngineError::InvalidParameter(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn options_as_moby_reads_them() {
        let o = parse(&strings(&["no-new-privileges", "seccomp=unconfined"])).unwrap();
        assert!(o.no_new_privileges);
        assert_eq!(o.seccomp, SeccompChoice::Unconfined);
        let o = parse(&strings(&["no-new-privileges:false", "seccomp:unconfined"])).unwrap();
        assert!(!o.no_new_privileges);
        assert_eq!(o.seccomp, SeccompChoice::Unconfined);
        let o = parse(&strings(&[
            "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
        ]))
        .unwrap();
        assert!(matches!(o.seccomp, SeccompChoice::Custom(_)));
        assert!(parse(&strings(&["label=disable", "apparmor=unconfined"])).is_ok());
        assert_eq!(
            parse(&strings(&["bogus"])).unwrap_err().to_string(),
            "invalid --security-opt 1: \"bogus\""
        );
        assert_eq!(
            parse(&strings(&["no-new-privileges=maybe"]))
                .unwrap_err()
                .to_string(),
            "invalid --security-opt 2: \"no-new-privileges=maybe\""
        );
        assert!(parse(&strings(&["foo=bar"])).is_err());
    }

    #[test]
    fn programs() {
        let caps = hako_runtime::defaults::capabilities();
        let default = SecurityOpts::default();
        assert!(seccomp_program(&default, true, &caps).unwrap().is_none());
        let p = seccomp_program(&default, false, &caps).unwrap().unwrap();
        assert!(!p.is_empty());
        let bad = SecurityOpts {
            seccomp: SeccompChoice::Custom("{".into()),
            ..SecurityOpts::default()
        };
        let e = seccomp_program(&bad, false, &caps).unwrap_err();
        assert!(
            e.to_string().starts_with("decoding seccomp profile failed"),
            "{e}"
        );
    }
}
