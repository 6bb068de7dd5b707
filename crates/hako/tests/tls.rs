//! `tcp://` with TLS and client certificates: the real docker CLI with a certificate signed
//! by the daemon's CA gets in, without one (or with a stranger's) it is refused; plain TCP
//! on a non-loopback address is refused at start unless forced.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Daemon, Run, docker_cli, free_port, hako_bin, run_bounded};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate signed by it, and a
/// client certificate from another CA.
fn make_certs(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for (ca, cn) in [("ca", "hako-test-ca"), ("rogue-ca", "rogue-ca")] {
        let key = format!("{ca}-key.pem");
        let cert = format!("{ca}.pem");
        let subj = format!("/CN={cn}");
        let mut a = vec!["req", "-x509"];
        a.extend_from_slice(&ec);
        a.extend_from_slice(&["-keyout", &key, "-out", &cert, "-days", "2", "-subj", &subj]);
        a.extend_from_slice(&["-addext", "basicConstraints=critical,CA:TRUE"]);
        a.extend_from_slice(&["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl(dir, &a);
    }
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, ca, ext) in [
        ("server", "ca", "server.ext"),
        ("client", "ca", "client.ext"),
        ("rogue", "rogue-ca", "client.ext"),
    ] {
        let key = format!("{name}-key.pem");
        let csr = format!("{name}.csr");
        let subj = format!("/CN={name}");
        let mut a = vec!["req", "-new"];
        a.extend_from_slice(&ec);
        a.extend_from_slice(&["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(dir, &a);
        let cert = format!("{name}-cert.pem");
        let ca_cert = format!("{ca}.pem");
        let ca_key = format!("{ca}-key.pem");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca_cert,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                &cert,
                "-days",
                "2",
                "-extfile",
                ext,
            ],
        );
    }
}

fn docker_tcp(docker: &Path, host: &str, tls: &[String], args: &[&str], home: &Path) -> Run {
    let mut cmd = Command::new(docker);
    cmd.env_remove("DOCKER_HOST")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .env("DOCKER_CONFIG", home)
        .arg("-H")
        .arg(host)
        .args(tls)
        .args(args);
    run_bounded(cmd, None)
}

fn p(dir: &Path, f: &str) -> String {
    dir.join(f).display().to_string()
}

#[test]
fn tcp_needs_a_client_certificate_from_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path();
    make_certs(certs);
    let port = free_port();
    let host = format!("tcp://127.0.0.1:{port}");
    let d = Daemon::start_with(&[
        "-H",
        &host,
        "--tlsverify",
        "--tlscacert",
        &p(certs, "ca.pem"),
        "--tlscert",
        &p(certs, "server-cert.pem"),
        "--tlskey",
        &p(certs, "server-key.pem"),
    ]);
    // The Unix socket still works.
    d.hako(&["version"]).ok();

    // Plain HTTP on the TLS port gets no answer.
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let _ = s.write_all(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        assert!(
            !String::from_utf8_lossy(&buf).contains("200 OK"),
            "{}",
            String::from_utf8_lossy(&buf)
        );
    }

    // Our CLI, the docker way: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH.
    let cert_dir = dir.path().join("client-certs");
    std::fs::create_dir_all(&cert_dir).unwrap();
    for (from, to) in [
        ("ca.pem", "ca.pem"),
        ("client-cert.pem", "cert.pem"),
        ("client-key.pem", "key.pem"),
    ] {
        std::fs::copy(certs.join(from), cert_dir.join(to)).unwrap();
    }
    let hako_tcp = |args: &[&str], cert_path: &Path| {
        let mut cmd = Command::new(hako_bin());
        cmd.env_remove("HAKO_HOST")
            .env("DOCKER_HOST", &host)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", cert_path)
            .args(args);
        run_bounded(cmd, None)
    };
    hako_tcp(&["ps"], &cert_dir).ok();
    let r = hako_tcp(
        &["version", "--format", "{{.Server.APIVersion}}"],
        &cert_dir,
    )
    .ok();
    assert!(r.stdout.trim().starts_with("1."), "{r:?}");
    // Flags instead of the environment.
    let mut cmd = Command::new(hako_bin());
    cmd.env_remove("HAKO_HOST")
        .env_remove("DOCKER_HOST")
        .args(["-H", &host, "--tlsverify", "--tlscacert"])
        .arg(certs.join("ca.pem"))
        .arg("--tlscert")
        .arg(certs.join("client-cert.pem"))
        .arg("--tlskey")
        .arg(certs.join("client-key.pem"))
        .arg("ps");
    run_bounded(cmd, None).ok();
    // Without a client certificate (only the CA in the cert path): refused.
    let ca_only = dir.path().join("ca-only");
    std::fs::create_dir_all(&ca_only).unwrap();
    std::fs::copy(certs.join("ca.pem"), ca_only.join("ca.pem")).unwrap();
    let r = hako_tcp(&["ps"], &ca_only);
    assert_ne!(r.code, 0, "{r:?}");

    let Some(docker) = docker_cli() else {
        return;
    };
    let home = dir.path().join("docker-config");
    let good: Vec<String> = [
        "--tlsverify",
        "--tlscacert",
        &p(certs, "ca.pem"),
        "--tlscert",
        &p(certs, "client-cert.pem"),
        "--tlskey",
        &p(certs, "client-key.pem"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let r = docker_tcp(
        &docker,
        &host,
        &good,
        &["version", "--format", "{{.Server.APIVersion}}"],
        &home,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.trim().starts_with("1."), "{r:?}");
    docker_tcp(&docker, &host, &good, &["ps"], &home).ok();

    // No client certificate: the handshake is refused.
    let none: Vec<String> = ["--tlsverify", "--tlscacert", &p(certs, "ca.pem")]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let r = docker_tcp(&docker, &host, &none, &["ps"], &home);
    assert_ne!(r.code, 0, "{r:?}");
    // A certificate from another CA: refused too.
    let rogue: Vec<String> = [
        "--tlsverify",
        "--tlscacert",
        &p(certs, "ca.pem"),
        "--tlscert",
        &p(certs, "rogue-cert.pem"),
        "--tlskey",
        &p(certs, "rogue-key.pem"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let r = docker_tcp(&docker, &host, &rogue, &["ps"], &home);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(d.log().contains("TLS handshake refused"), "{}", d.log());
}

#[test]
fn plain_tcp_off_loopback_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let exec = tempfile::Builder::new()
        .prefix("hk")
        .tempdir_in("/tmp")
        .unwrap();
    let port = free_port();
    let sock: PathBuf = dir.path().join("d.sock");
    let mut cmd = Command::new(hako_bin());
    cmd.args(["daemon", "--socket"])
        .arg(&sock)
        .arg("--data-root")
        .arg(dir.path().join("data"))
        .arg("--exec-root")
        .arg(exec.path())
        .args(["--cgroup-parent", "hako-test-tcp", "-H"])
        .arg(format!("tcp://0.0.0.0:{port}"));
    let r = run_bounded(cmd, None);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("--insecure-tcp"), "{r:?}");
    assert!(!sock.exists(), "the unix socket was left behind");
}
