//! Pull, login and registries end to end: a real `hako daemon`, our CLI and the real docker
//! CLI against the fixture registry (`../shared/fixtures/registry start`: plain HTTP on
//! 127.0.0.1:5000, basic auth on 5001, TLS with its own CA on 5002). Digests come from
//! `fixtures.json`.

mod common;

use std::process::Command;

use common::{Daemon, Run, run_bounded};
use serde_json::Value;

/// Starts the fixture registry with `flags` and returns `fixtures.json`.
fn registry(flags: &[&str]) -> Value {
    common::start_registry(flags)
}

fn digest(fx: &Value, image: &str) -> String {
    fx["images"][image]["digest"]
        .as_str()
        .expect("digest")
        .to_owned()
}

/// Our CLI with its own docker config directory (login state).
fn hako_cfg(d: &Daemon, args: &[&str], input: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(common::hako_bin());
    cmd.args(args)
        .env("HAKO_HOST", d.host())
        .env("DOCKER_CONFIG", d.root.join("docker-config"))
        .env_remove("DOCKER_HOST");
    run_bounded(cmd, input)
}

#[test]
fn pull_by_tag_and_digest_then_run() {
    let fx = registry(&[]);
    let d = Daemon::start();
    let busybox = digest(&fx, "busybox");
    let out = d.hako(&["pull", "127.0.0.1:5000/busybox"]).ok();
    assert!(
        out.stdout.contains("latest: Pulling from busybox"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(": Pull complete"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("Digest: {busybox}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Status: Downloaded newer image for 127.0.0.1:5000/busybox:latest")
    );
    assert!(
        out.stdout
            .trim_end()
            .ends_with("127.0.0.1:5000/busybox:latest")
    );
    let again = d.hako(&["pull", "127.0.0.1:5000/busybox"]).ok();
    assert!(
        again
            .stdout
            .contains("Status: Image is up to date for 127.0.0.1:5000/busybox:latest")
    );
    let uname = d
        .hako(&["run", "--rm", "127.0.0.1:5000/busybox", "uname", "-m"])
        .ok();
    assert_eq!(uname.stdout.trim(), "x86_64");

    // By digest, quiet: only the name.
    let layered = digest(&fx, "layered");
    let by_digest = format!("127.0.0.1:5000/layered@{layered}");
    let q = d.hako(&["pull", "-q", &by_digest]).ok();
    assert_eq!(q.stdout.trim(), by_digest);
    let inspect = d
        .hako(&[
            "image",
            "inspect",
            "--format",
            "{{json .RepoDigests}}",
            &by_digest,
        ])
        .ok();
    assert!(inspect.stdout.contains(&by_digest), "{}", inspect.stdout);
    // Whiteouts, opaque directories and later layers win inside a container.
    let script = "test ! -e /data/remove-me.txt && test ! -e /data/dir-removed && cat /data/replaced.txt && ls -A /data/opaque && cat /data/file-to-dir/inner.txt && echo $FIXTURE";
    let run = d
        .hako(&["run", "--rm", &by_digest, "sh", "-c", script])
        .ok();
    assert_eq!(run.stdout, "version 2\nnew.txt\ninner\nlayered\n");
    d.assert_clean();
}

#[test]
fn platforms_error_and_warning() {
    let fx = registry(&[]);
    let d = Daemon::start();
    let arm = d
        .hako(&[
            "pull",
            "--platform",
            "linux/arm64",
            "127.0.0.1:5000/busybox",
        ])
        .ok();
    assert!(
        arm.stdout
            .contains(&format!("Digest: {}", digest(&fx, "busybox")))
    );
    let arch = d
        .hako(&[
            "image",
            "inspect",
            "--format",
            "{{.Architecture}}/{{.Variant}}",
            "127.0.0.1:5000/busybox",
        ])
        .ok();
    assert_eq!(arch.stdout.trim(), "arm64/v8");

    let err = d.hako(&[
        "pull",
        "--platform",
        "linux/arm64",
        "127.0.0.1:5000/amd64only",
    ]);
    assert_eq!(err.code, 1);
    assert!(
        err.stderr.contains(
            "no matching manifest for linux/arm64/v8 in the manifest list entries\nthe image is available for: linux/amd64"
        ),
        "{}",
        err.stderr
    );
    let single = d.hako(&["pull", "127.0.0.1:5000/single-arm64"]).ok();
    assert!(
        single.stdout.contains("WARNING: The requested image's platform (linux/arm64/v8) does not match the detected host platform (linux/amd64) and no specific platform was requested"),
        "{}",
        single.stdout
    );
    let missing = d.hako(&["pull", "127.0.0.1:5000/no-such-repo:v1"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("manifest for 127.0.0.1:5000/no-such-repo:v1 not found"),
        "{}",
        missing.stderr
    );
}

#[test]
fn run_pulls_a_missing_image() {
    registry(&[]);
    let d = Daemon::start();
    let out = d
        .hako(&[
            "run",
            "--rm",
            "127.0.0.1:5000/webserver",
            "cat",
            "/www/index.html",
        ])
        .ok();
    assert!(
        out.stderr
            .contains("Unable to find image '127.0.0.1:5000/webserver:latest' locally"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("hako-fixture-webserver OK"),
        "{}",
        out.stdout
    );
    d.assert_clean();
}

#[test]
fn docker_cli_pull_shows_progress() {
    let fx = registry(&[]);
    let d = Daemon::start();
    let Some(out) = d.docker(&["pull", "127.0.0.1:5000/layered"]) else {
        eprintln!("skipped: no docker CLI");
        return;
    };
    let out = out.ok();
    assert!(
        out.stdout.contains("latest: Pulling from layered"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Pull complete"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("Digest: {}", digest(&fx, "layered")))
    );
    assert!(
        out.stdout
            .contains("Status: Downloaded newer image for 127.0.0.1:5000/layered:latest")
    );
    let err = d
        .docker(&[
            "pull",
            "--platform",
            "linux/arm64",
            "127.0.0.1:5000/amd64only",
        ])
        .expect("docker");
    assert_eq!(err.code, 1);
    assert!(
        err.stderr.contains("Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries"),
        "{}",
        err.stderr
    );
    let run = d
        .docker(&[
            "run",
            "--rm",
            "127.0.0.1:5000/layered",
            "cat",
            "/data/keep.txt",
        ])
        .expect("docker")
        .ok();
    assert_eq!(run.stdout, "keep\n");
}

#[test]
fn basic_auth_registry_needs_login() {
    registry(&["--auth"]);
    let d = Daemon::start();
    let denied = hako_cfg(&d, &["pull", "127.0.0.1:5001/busybox"], None);
    assert_eq!(denied.code, 1);
    assert!(
        denied.stderr.contains(
            "Head \"http://127.0.0.1:5001/v2/busybox/manifests/latest\": no basic auth credentials"
        ),
        "{}",
        denied.stderr
    );
    let wrong = hako_cfg(
        &d,
        &[
            "login",
            "-u",
            "fixture",
            "--password-stdin",
            "127.0.0.1:5001",
        ],
        Some(b"wrong\n"),
    );
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains(
            "login attempt to http://127.0.0.1:5001/v2/ failed with status: 401 Unauthorized"
        ),
        "{}",
        wrong.stderr
    );
    let login = hako_cfg(
        &d,
        &[
            "login",
            "-u",
            "fixture",
            "--password-stdin",
            "127.0.0.1:5001",
        ],
        Some(b"fixture-password\n"),
    )
    .ok();
    assert!(login.stdout.contains("Login Succeeded"));
    let cfg: Value = serde_json::from_slice(
        &std::fs::read(d.root.join("docker-config/config.json")).expect("config.json"),
    )
    .expect("json");
    assert_eq!(
        cfg["auths"]["127.0.0.1:5001"]["auth"],
        "Zml4dHVyZTpmaXh0dXJlLXBhc3N3b3Jk"
    );
    hako_cfg(&d, &["pull", "127.0.0.1:5001/busybox"], None).ok();
    // The real docker CLI sends the same config as X-Registry-Auth.
    if let Some(r) = d.docker(&["pull", "127.0.0.1:5001/webserver"]) {
        r.ok();
    }
    let out = hako_cfg(&d, &["logout", "127.0.0.1:5001"], None).ok();
    assert!(
        out.stdout
            .contains("Removing login credentials for 127.0.0.1:5001")
    );
    let denied = hako_cfg(&d, &["pull", "127.0.0.1:5001/amd64only"], None);
    assert_eq!(denied.code, 1);
}

#[test]
fn tls_registry_with_its_ca() {
    registry(&["--tls"]);
    let d = Daemon::start();
    // Without the CA: refused (the TLS port does not speak plain HTTP either).
    let refused = d.hako(&["pull", "127.0.0.1:5002/busybox"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    let ca = common::fixtures_dir().join("registry/5002/certs/ca.crt");
    let dir = d.data_root.join("image/certs.d/127.0.0.1:5002");
    std::fs::create_dir_all(&dir).expect("mkdir certs.d");
    std::fs::copy(&ca, dir.join("ca.crt")).expect("copy ca");
    let out = d.hako(&["pull", "127.0.0.1:5002/busybox"]).ok();
    assert!(
        out.stdout
            .contains("Status: Downloaded newer image for 127.0.0.1:5002/busybox:latest")
    );
}

/// A plain TCP relay from `host:0` to `upstream`, for a registry on a non-loopback
/// address; returns `host:port`. Its threads end with the test process.
fn relay(host: &str, upstream: &'static str) -> String {
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind((host, 0)).expect("bind relay");
    let addr = listener.local_addr().expect("relay address").to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            let (Ok(mut c_in), Ok(mut s_out)) = (client.try_clone(), server.try_clone()) else {
                continue;
            };
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_in, &mut s_out);
                let _ = s_out.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s_in, &mut c_out);
                let _ = c_out.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    addr
}

/// `--insecure-registry`: a plain-HTTP registry on a non-loopback address is used only by
/// a daemon that lists it (here by CIDR), and `info` reports the entry as dockerd does.
#[test]
fn insecure_registry_flag_allows_plain_http_where_listed() {
    registry(&[]);
    let listed = Daemon::start_with(&["--insecure-registry", "10.213.0.0/16"]);
    let plain = Daemon::start();
    listed.import_busybox();
    // The listed daemon's bridge gives this host a non-loopback address to serve on.
    listed.hako(&["run", "--rm", "busybox", "true"]).ok();
    let host = relay(&format!("10.213.{}.1", listed.net.n), "127.0.0.1:5000");
    let image = format!("{host}/busybox:latest");
    let refused = plain.hako(&["pull", &image]);
    assert_ne!(
        refused.code, 0,
        "plain HTTP used for an unlisted registry: {refused:?}"
    );
    listed.hako(&["pull", &image]).ok();
    let r = listed.hako(&["run", "--rm", &image, "true"]);
    assert_eq!(r.code, 0, "{r:?}");
    if let Some(info) = listed.docker(&["info"]) {
        let info = info.ok();
        assert!(
            info.stdout.contains("Insecure Registries:"),
            "{}",
            info.stdout
        );
        assert!(info.stdout.contains("10.213.0.0/16"), "{}", info.stdout);
    }
    listed.assert_clean();
    plain.assert_clean();
}

/// `hako manifest inspect` (GET /distribution/{name}/json): an index lists each
/// platform's manifest with its digest, a single manifest shows its platform, a missing
/// tag is Docker's not-found; the docker CLI reads the same endpoint's Platforms.
#[test]
fn manifest_inspect_lists_platforms() {
    let fx = registry(&[]);
    let d = Daemon::start();
    let r = d
        .hako(&["manifest", "inspect", "127.0.0.1:5000/busybox"])
        .ok();
    let index = digest(&fx, "busybox");
    assert!(
        r.stdout
            .starts_with("Name:      127.0.0.1:5000/busybox:latest\nMediaType: "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("Digest:    {index}\n")),
        "{}",
        r.stdout
    );
    for p in ["linux/amd64", "linux/arm64/v8"] {
        assert!(
            r.stdout.contains(&format!("  Platform:  {p}\n")),
            "{}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .contains("  Name:      127.0.0.1:5000/busybox@sha256:")
    );
    let single = d
        .hako(&["manifest", "inspect", "127.0.0.1:5000/single-arm64"])
        .ok();
    assert!(
        single.stdout.contains("Platform:  linux/arm64"),
        "{}",
        single.stdout
    );
    assert!(!single.stdout.contains("Manifests:"), "{}", single.stdout);
    let missing = d.hako(&["manifest", "inspect", "127.0.0.1:5000/no-such-repo:v1"]);
    assert_ne!(missing.code, 0);
    assert!(missing.stderr.contains("not found"), "{}", missing.stderr);
    // Nothing was pulled.
    let images = d.hako(&["images", "-q"]).ok();
    assert_eq!(images.stdout.trim(), "");
    let raw = common::http::request(
        &d.socket,
        "GET",
        "/distribution/127.0.0.1:5000/busybox:latest/json",
        None,
    )
    .expect("distribution request");
    let v = raw.json();
    assert_eq!(v["Descriptor"]["digest"], index);
    let archs: Vec<&str> = v["Platforms"]
        .as_array()
        .expect("Platforms")
        .iter()
        .filter_map(|p| p["architecture"].as_str())
        .collect();
    assert!(archs.contains(&"amd64") && archs.contains(&"arm64"), "{v}");
}
