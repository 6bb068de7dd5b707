//! The real docker CLI against the daemon (`DOCKER_HOST=unix://...`). Skipped, with a
//! note, where no docker CLI is installed.

mod common;

use std::path::{Path, PathBuf};

use common::TestDaemon;

fn docker_cli() -> Option<PathBuf> {
    let p = std::env::var_os("DOCKER_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin/docker"));
    p.exists().then_some(p)
}

/// Runs `docker args...` against `socket`; returns (success, stdout, stderr).
async fn docker(cli: &Path, socket: &Path, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(cli)
        .args(args)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        // A private config dir: no contexts, credential helpers or plugins from the host.
        .env(
            "DOCKER_CONFIG",
            socket.parent().unwrap().join("docker-config"),
        )
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_version_and_info_show_the_server() {
    let Some(cli) = docker_cli() else {
        eprintln!("skipped: no docker CLI at /usr/local/bin/docker (set DOCKER_CLI)");
        return;
    };
    let d = TestDaemon::start().await;

    let (ok, out, err) = docker(&cli, &d.socket, &["version"]).await;
    assert!(ok, "docker version failed:\n{out}\n{err}");
    assert!(out.contains("Server: hako"), "{out}");
    assert!(
        out.contains("API version:      1.43 (minimum version 1.24)"),
        "{out}"
    );
    assert!(err.trim().is_empty(), "{err}");

    let (ok, out, err) = docker(
        &cli,
        &d.socket,
        &[
            "version",
            "--format",
            "{{.Server.APIVersion}} {{.Client.APIVersion}}",
        ],
    )
    .await;
    assert!(ok, "{err}");
    // The CLI negotiated down to our version.
    assert_eq!(out.trim(), "1.43 1.43", "{out}");

    let (ok, out, err) = docker(&cli, &d.socket, &["info"]).await;
    assert!(ok, "docker info failed:\n{out}\n{err}");
    assert!(out.contains("Server:"), "{out}");
    assert!(out.contains("Storage Driver: overlay2"), "{out}");
    assert!(
        out.contains(&format!("Docker Root Dir: {}", d.opts.data_root.display())),
        "{out}"
    );
    assert!(!err.contains("rror"), "{err}");

    let (ok, out, err) = docker(&cli, &d.socket, &["ps", "-a"]).await;
    assert!(ok, "docker ps failed:\n{out}\n{err}");
    assert!(out.starts_with("CONTAINER ID"), "{out}");

    let (ok, out, err) = docker(&cli, &d.socket, &["network", "ls"]).await;
    assert!(ok, "docker network ls failed:\n{out}\n{err}");
    assert!(out.contains("bridge") && out.contains("none"), "{out}");
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_run_logs_exec_rm() {
    let Some(cli) = docker_cli() else {
        eprintln!("skipped: no docker CLI at /usr/local/bin/docker (set DOCKER_CLI)");
        return;
    };
    let Some(fx) = common::fixture::daemon_with_busybox().await else {
        return;
    };
    let sock = fx.d.socket.clone();
    let (ok, out, err) = docker(&cli, &sock, &["run", "--rm", "busybox", "echo", "hello"]).await;
    assert!(ok, "{out}\n{err}");
    assert_eq!(out, "hello\n");

    // The exit code travels back through wait.
    let out = tokio::process::Command::new(&cli)
        .args([
            "run",
            "--name",
            "failing",
            "busybox",
            "sh",
            "-c",
            "echo to-err >&2; exit 3",
        ])
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env(
            "DOCKER_CONFIG",
            sock.parent().unwrap().join("docker-config"),
        )
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("to-err"));
    let (ok, out, err) = docker(&cli, &sock, &["logs", "failing"]).await;
    assert!(ok, "{err}");
    assert_eq!((out.as_str(), err.as_str()), ("", "to-err\n"));

    let (ok, _, err) = docker(
        &cli,
        &sock,
        &["run", "-d", "--name", "bg", "busybox", "sleep", "60"],
    )
    .await;
    assert!(ok, "{err}");
    let (ok, out, err) = docker(&cli, &sock, &["exec", "bg", "sh", "-c", "echo in-exec"]).await;
    assert!(ok, "{err}");
    assert_eq!(out, "in-exec\n");
    let (ok, out, _) = docker(&cli, &sock, &["ps", "--format", "{{.Names}} {{.State}}"]).await;
    assert!(ok);
    assert_eq!(out, "bg running\n");
    let (ok, out, err) = docker(&cli, &sock, &["rm", "-f", "bg", "failing"]).await;
    assert!(ok, "{err}");
    assert_eq!(out, "bg\nfailing\n");
    // What hako does not serve yet answers 501 naming the route, and the CLI shows it.
    let (ok, out, err) = docker(&cli, &sock, &["plugin", "ls"]).await;
    assert!(!ok, "{out}");
    assert!(
        err.contains("GET /plugins is not implemented in hako yet"),
        "{err}"
    );
    fx.finish().await;
}
