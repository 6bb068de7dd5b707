use super::*;

fn apply(changes: &[&str]) -> Result<ContainerConfig> {
    let mut c = ContainerConfig::default();
    apply_changes(
        &mut c,
        &changes.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
    )?;
    Ok(c)
}

fn strings(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn each_instruction() {
    let c = apply(&[
        r#"CMD ["/bin/sh", "-c", "echo hi"]"#,
        "ENV A=1 B=\"two words\"",
        "ENV LEGACY some value",
        "ENV A=3",
        "EXPOSE 80 443/udp 8000-8001",
        "LABEL org.example.name=\"my box\" v=1",
        "USER nobody:nogroup",
        "VOLUME [\"/data\", \"/logs\"]",
        "VOLUME /cache",
        "WORKDIR /srv",
        "WORKDIR app/../www",
        "STOPSIGNAL SIGKILL",
        "onbuild RUN true",
    ])
    .expect("changes");
    assert_eq!(c.cmd, strings(&["/bin/sh", "-c", "echo hi"]));
    assert_eq!(c.env, strings(&["B=two words", "LEGACY=some value", "A=3"]));
    let ports: Vec<&str> = c
        .exposed_ports
        .iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(ports, ["443/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
    assert_eq!(
        c.labels
            .as_ref()
            .and_then(|l| l.get("org.example.name"))
            .map(String::as_str),
        Some("my box")
    );
    assert_eq!(c.user.as_deref(), Some("nobody:nogroup"));
    let vols: Vec<&str> = c
        .volumes
        .iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(vols, ["/cache", "/data", "/logs"]);
    assert_eq!(c.working_dir.as_deref(), Some("/srv/www"));
    assert_eq!(c.stop_signal.as_deref(), Some("SIGKILL"));
    assert_eq!(c.on_build, strings(&["RUN true"]));
}

#[test]
fn shell_form_and_entrypoint_rules() {
    let c = apply(&["CMD echo $HOME"]).expect("cmd");
    assert_eq!(c.cmd, strings(&["/bin/sh", "-c", "echo $HOME"]));
    // ENTRYPOINT without a CMD in the same changes drops the inherited CMD.
    let mut inherited = ContainerConfig {
        cmd: strings(&["sh"]),
        ..ContainerConfig::default()
    };
    apply_changes(&mut inherited, &["ENTRYPOINT [\"/init\"]".to_owned()]).expect("ep");
    assert_eq!(inherited.entrypoint, strings(&["/init"]));
    assert_eq!(inherited.cmd, None);
    let both = apply(&["CMD [\"a\"]", "ENTRYPOINT [\"/init\"]"]).expect("both");
    assert_eq!(both.cmd, strings(&["a"]));
}

#[test]
fn variables_expand_from_env() {
    let c = apply(&[
        "ENV BASE=/opt",
        "WORKDIR $BASE/app",
        "ENV P=${BASE}/bin:$PATH",
    ])
    .expect("vars");
    assert_eq!(c.working_dir.as_deref(), Some("/opt/app"));
    assert!(c.env.iter().flatten().any(|e| e == "P=/opt/bin:"));
}

#[test]
fn refusals_use_dockers_words() {
    let msg = |changes: &[&str]| apply(changes).err().map(|e| e.to_string());
    assert_eq!(
        msg(&["RUN echo"]).as_deref(),
        Some("run is not a valid change command")
    );
    assert_eq!(
        msg(&["FROM scratch"]).as_deref(),
        Some("from is not a valid change command")
    );
    assert_eq!(
        msg(&["ENV"]).as_deref(),
        Some("ENV requires at least one argument")
    );
    assert_eq!(
        msg(&["USER a b"]).as_deref(),
        Some("USER requires exactly one argument")
    );
    assert_eq!(
        msg(&["STOPSIGNAL SIGNOPE"]).as_deref(),
        Some("Invalid signal: SIGNOPE")
    );
    assert_eq!(
        msg(&["EXPOSE http"]).as_deref(),
        Some("invalid containerPort: http")
    );
    assert!(msg(&["ENV A=\"unterminated"]).is_some());
    assert!(msg(&["HEALTHCHECK NONE --retries=1"]).is_some());
}

#[test]
fn healthcheck_as_moby_reads_it() {
    let c = apply(&[
        "HEALTHCHECK --interval=5s --retries=3 --start-period=1m30s CMD wget -q localhost",
    ])
    .expect("healthcheck");
    assert_eq!(
        c.healthcheck,
        Some(serde_json::json!({
            "Test": ["CMD-SHELL", "wget -q localhost"],
            "Interval": 5_000_000_000i64,
            "StartPeriod": 90_000_000_000i64,
            "Retries": 3,
        }))
    );
    let c = apply(&[r#"HEALTHCHECK CMD ["true", "x"]"#]).expect("exec form");
    assert_eq!(
        c.healthcheck,
        Some(serde_json::json!({"Test": ["CMD", "true", "x"]}))
    );
    let c = apply(&["HEALTHCHECK NONE"]).expect("none");
    assert_eq!(c.healthcheck, Some(serde_json::json!({"Test": ["NONE"]})));
    let msg = |change: &str| apply(&[change]).unwrap_err().to_string();
    assert!(msg("HEALTHCHECK --interval=1us CMD true").contains("cannot be less than 1ms"));
    assert!(msg("HEALTHCHECK --interval=5 CMD true").contains("invalid duration"));
    assert!(msg("HEALTHCHECK --retries=-1 CMD true").contains("cannot be negative"));
    assert!(msg("HEALTHCHECK CMD").contains("Missing command"));
    assert!(msg("HEALTHCHECK RUN true").contains("Unknown type \"RUN\""));
    assert!(msg("HEALTHCHECK --bogus=1 CMD true").contains("Unknown flag: bogus"));
}
