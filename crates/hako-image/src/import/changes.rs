//! `docker import --change` / `docker commit --change`: Dockerfile instructions applied to
//! an image config.
//!
//! Docker allows CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL,
//! USER, VOLUME, WORKDIR; anything else is refused with Docker's `<instruction> is not a
//! valid change command`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::words;
use crate::error::{Error, Result};
use crate::manifest::ContainerConfig;

const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// Applies `changes` in order to `config`.
pub fn apply_changes(config: &mut ContainerConfig, changes: &[String]) -> Result<()> {
    let mut cmd_set = false;
    for change in changes {
        for line in change
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            apply_one(config, line, &mut cmd_set).map_err(Error::InvalidChange)?;
        }
    }
    Ok(())
}

fn apply_one(config: &mut ContainerConfig, line: &str, cmd_set: &mut bool) -> Result<(), String> {
    let (instruction, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(i, r)| (i, r.trim()));
    let upper = instruction.to_uppercase();
    let env = env_map(config);
    let words = |expand: bool| words::split(rest, &env, expand);
    match upper.as_str() {
        "CMD" => {
            config.cmd = Some(command(config, rest));
            *cmd_set = true;
        }
        "ENTRYPOINT" => {
            let ep = command(config, rest);
            config.entrypoint = (!ep.is_empty()).then_some(ep);
            // Dockerfile rule: a new ENTRYPOINT drops an inherited CMD.
            if !*cmd_set {
                config.cmd = None;
            }
        }
        "ENV" => {
            for (k, v) in key_values("ENV", &words(true)?)? {
                let list = config.env.get_or_insert_with(Vec::new);
                list.retain(|e| e.split_once('=').map_or(e.as_str(), |(key, _)| key) != k);
                list.push(format!("{k}={v}"));
            }
        }
        "LABEL" => {
            for (k, v) in key_values("LABEL", &words(true)?)? {
                config.labels.get_or_insert_with(BTreeMap::new).insert(k, v);
            }
        }
        "EXPOSE" => {
            let ports = words(true)?;
            if ports.is_empty() {
                return Err("EXPOSE requires at least one argument".into());
            }
            for p in ports {
                for spec in expose(&p)? {
                    config
                        .exposed_ports
                        .get_or_insert_with(BTreeMap::new)
                        .insert(spec, Value::Object(Default::default()));
                }
            }
        }
        "USER" => config.user = Some(exactly_one("USER", words(true)?)?),
        "WORKDIR" => {
            let dir = exactly_one("WORKDIR", words(true)?)?;
            let base = config.working_dir.clone().unwrap_or_else(|| "/".to_owned());
            config.working_dir = Some(clean_path(&if dir.starts_with('/') {
                dir
            } else {
                format!("{base}/{dir}")
            }));
        }
        "STOPSIGNAL" => {
            let sig = exactly_one("STOPSIGNAL", words(true)?)?;
            if !valid_signal(&sig) {
                return Err(format!("Invalid signal: {sig}"));
            }
            config.stop_signal = Some(sig);
        }
        "VOLUME" => {
            let vols = json_array(rest).unwrap_or(words(true)?);
            if vols.is_empty() {
                return Err("VOLUME requires at least one argument".into());
            }
            for v in vols {
                if v.trim().is_empty() {
                    return Err("VOLUME specified can not be an empty string".into());
                }
                config
                    .volumes
                    .get_or_insert_with(BTreeMap::new)
                    .insert(v, Value::Object(Default::default()));
            }
        }
        "ONBUILD" => {
            if rest.is_empty() {
                return Err("ONBUILD requires at least one argument".into());
            }
            config
                .on_build
                .get_or_insert_with(Vec::new)
                .push(rest.to_owned());
        }
        "HEALTHCHECK" => config.healthcheck = Some(healthcheck(rest)?),
        _ => {
            return Err(format!(
                "{} is not a valid change command",
                instruction.to_lowercase()
            ));
        }
    }
    Ok(())
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [--interval=D --timeout=D --start-period=D
/// --start-interval=D --retries=N] CMD command`, as moby's builder reads it, into the
/// image config's `Healthcheck` (durations in nanoseconds, zero values left out).
fn healthcheck(rest: &str) -> Result<Value, String> {
    let mut rest = rest.trim_start();
    let mut health = serde_json::Map::new();
    while let Some(flag) = rest.strip_prefix("--") {
        let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
        let (name, value) = flag[..end].split_once('=').unwrap_or((&flag[..end], ""));
        let key = match name {
            "interval" => "Interval",
            "timeout" => "Timeout",
            "start-period" => "StartPeriod",
            "start-interval" => "StartInterval",
            "retries" => "Retries",
            _ => return Err(format!("Unknown flag: {name}")),
        };
        if key == "Retries" {
            let n: i64 = value
                .parse()
                .map_err(|_| format!("invalid value {value:?} for flag --retries"))?;
            if n < 0 {
                return Err("--retries cannot be negative".into());
            }
            if n > 0 {
                health.insert(key.into(), n.into());
            }
        } else {
            let ns = hako_api_types::units::parse_go_duration(value)
                .ok_or_else(|| format!("time: invalid duration {value:?}"))?;
            if ns != 0 && ns < 1_000_000 {
                let what = &key;
                return Err(format!("{what} {value:?} cannot be less than 1ms"));
            }
            if ns != 0 {
                health.insert(
                    key.into(),
                    Value::from(i64::try_from(ns).unwrap_or(i64::MAX)),
                );
            }
        }
        rest = flag[end..].trim_start();
    }
    let (kind, cmd) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(k, c)| (k, c.trim()));
    let test = match kind.to_uppercase().as_str() {
        "NONE" if health.is_empty() && cmd.is_empty() => vec!["NONE".to_owned()],
        "NONE" => return Err("HEALTHCHECK NONE takes no arguments".into()),
        "CMD" if cmd.is_empty() => return Err("Missing command after HEALTHCHECK CMD".into()),
        "CMD" => match json_array(cmd) {
            Some(argv) => std::iter::once("CMD".to_owned()).chain(argv).collect(),
            None => vec!["CMD-SHELL".to_owned(), cmd.to_owned()],
        },
        other => return Err(format!("Unknown type {other:?} in HEALTHCHECK (try CMD)")),
    };
    health.insert(
        "Test".into(),
        Value::Array(test.into_iter().map(Value::String).collect()),
    );
    Ok(Value::Object(health))
}

/// Exec form (`["a","b"]`) as is; shell form wrapped in the image's shell (`/bin/sh -c`).
fn command(config: &ContainerConfig, rest: &str) -> Vec<String> {
    if let Some(argv) = json_array(rest) {
        return argv;
    }
    if rest.is_empty() {
        return Vec::new();
    }
    let mut argv: Vec<String> = match &config.shell {
        Some(s) if !s.is_empty() => s.clone(),
        _ => DEFAULT_SHELL.iter().map(|s| (*s).to_owned()).collect(),
    };
    argv.push(rest.to_owned());
    argv
}

fn json_array(s: &str) -> Option<Vec<String>> {
    s.trim_start()
        .starts_with('[')
        .then(|| serde_json::from_str(s).ok())
        .flatten()
}

/// `k=v k2="v 2"`, or the legacy `KEY value with spaces`.
fn key_values(instruction: &str, words: &[String]) -> Result<Vec<(String, String)>, String> {
    let Some(first) = words.first() else {
        return Err(format!("{instruction} requires at least one argument"));
    };
    if !first.contains('=') {
        if words.len() < 2 {
            return Err(format!("{instruction} must have two arguments"));
        }
        return Ok(vec![(first.clone(), words[1..].join(" "))]);
    }
    words
        .iter()
        .map(|w| match w.split_once('=') {
            Some(("", _)) => Err(format!("{instruction} names can not be blank")),
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => Err(format!(
                "Syntax error - can't find = in {w:?}. Must be of the form: name=value"
            )),
        })
        .collect()
}

fn exactly_one(instruction: &str, words: Vec<String>) -> Result<String, String> {
    match <[String; 1]>::try_from(words) {
        Ok([w]) => Ok(w),
        Err(_) => Err(format!("{instruction} requires exactly one argument")),
    }
}

/// `80`, `80/udp`, `8000-8002/tcp` → `80/tcp`, `80/udp`, `8000/tcp`...
fn expose(spec: &str) -> Result<Vec<String>, String> {
    let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("invalid containerPort: {p}"))
    };
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => (port(ports)?, port(ports)?),
    };
    if hi < lo {
        return Err(format!(
            "invalid range specified for container port: {ports}"
        ));
    }
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

fn valid_signal(s: &str) -> bool {
    const NAMES: &[&str] = &[
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
        "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
        "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
    ];
    if let Ok(n) = s.parse::<u32>() {
        return (1..=64).contains(&n);
    }
    let upper = s.to_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    NAMES.contains(&name)
        || name
            .strip_prefix("RTMIN+")
            .or_else(|| name.strip_prefix("RTMAX-"))
            .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n <= 30))
        || matches!(name, "RTMIN" | "RTMAX")
}

fn env_map(config: &ContainerConfig) -> BTreeMap<String, String> {
    config
        .env
        .iter()
        .flatten()
        .filter_map(|e| e.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// Lexical clean of an absolute path (`/a/./b/../c` → `/a/c`).
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests;
