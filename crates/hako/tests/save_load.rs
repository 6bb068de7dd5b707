//! `save` / `load` end to end: hako's CLI and the real docker CLI against hako, the
//! multi-layer `layered` fixture pulled from the fixture registry (gzip layers, whiteouts,
//! hard links, a 50 MiB layer) round-tripping with its image ID unchanged, both archive
//! formats exchanged with the real Docker engine (Debian's dockerd 20.10 as a peer on its
//! own socket and roots), and hostile archives refused with nothing written.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Daemon, Run};

const LAYERED: &str = "127.0.0.1:5000/layered:latest";

/// The `layered` fixture's image ID and diff IDs, from `fixtures.json`.
fn layered_fixture() -> (String, Vec<String>) {
    let fx = common::start_registry(&[]);
    let m = &fx["images"]["layered"]["manifests"][0];
    let id = m["image_id"].as_str().expect("image_id").to_owned();
    let diffs = m["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["diff_id"].as_str().expect("diff_id").to_owned())
        .collect();
    (id, diffs)
}

fn image_id(d: &Daemon, name: &str) -> String {
    d.hako(&["image", "inspect", "-f", "{{.Id}}", name])
        .ok()
        .stdout
        .trim()
        .to_owned()
}

/// Checks what a container of `layered` sees (whiteouts, opaque dir, replaced file).
fn assert_layered_view(out: &str) {
    assert_eq!(
        out, "version 2\nnew.txt\nhardlink content\nabsent\n",
        "layered view"
    );
}
const LAYERED_SCRIPT: &str = "cat /data/replaced.txt; ls -A /data/opaque; cat /data/hardlink-dst.txt; \
     test -e /data/remove-me.txt || test -e /data/dir-removed || echo absent";

/// Names in a tar, via the system's tar.
fn tar_names(archive: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .arg("-tf")
        .arg(archive)
        .output()
        .expect("tar -t");
    assert!(out.status.success(), "tar -t {}", archive.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_owned())
        .collect()
}

fn tar_file(archive: &Path, name: &str) -> String {
    let out = Command::new("tar")
        .arg("-xOf")
        .arg(archive)
        .arg(name)
        .output()
        .expect("tar -xO");
    assert!(out.status.success(), "{name} not in {}", archive.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn hako_cli_save_rmi_load_run_keeps_the_layered_image_id() {
    let (fixture_id, diff_ids) = layered_fixture();
    let d = Daemon::start();
    d.hako(&["pull", "-q", LAYERED]).ok();
    let id = image_id(&d, LAYERED);
    assert_eq!(id, fixture_id);

    let tmp = tempfile::tempdir().expect("tmp");
    let archive = tmp.path().join("layered.tar");
    d.hako(&["save", "-o", archive.to_str().unwrap(), LAYERED])
        .ok();

    // Docker 25's layout: manifest.json + repositories + an OCI layout, layers named by
    // diff ID (uncompressed), the config by the image ID.
    let names = tar_names(&archive);
    for n in ["manifest.json", "repositories", "oci-layout", "index.json"] {
        assert!(names.contains(&n.to_owned()), "{n} missing: {names:?}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&tar_file(&archive, "manifest.json")).expect("manifest.json");
    let item = &manifest[0];
    assert_eq!(
        item["Config"],
        format!("blobs/sha256/{}", id.trim_start_matches("sha256:"))
    );
    assert_eq!(item["RepoTags"], serde_json::json!([LAYERED]));
    let layers: Vec<String> = diff_ids
        .iter()
        .map(|d| format!("blobs/sha256/{}", d.trim_start_matches("sha256:")))
        .collect();
    assert_eq!(item["Layers"], serde_json::json!(layers));
    for l in &layers {
        assert!(names.contains(l), "{l} missing");
    }
    let index: serde_json::Value =
        serde_json::from_str(&tar_file(&archive, "index.json")).expect("index.json");
    assert_eq!(
        index["manifests"][0]["annotations"]["io.containerd.image.name"],
        LAYERED
    );
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "latest"
    );
    let repos: serde_json::Value =
        serde_json::from_str(&tar_file(&archive, "repositories")).expect("repositories");
    assert!(
        repos["127.0.0.1:5000/layered"]["latest"].is_string(),
        "{repos}"
    );

    d.hako(&["rmi", LAYERED]).ok();
    assert!(d.hako(&["image", "inspect", LAYERED]).code != 0);
    let load = d.hako(&["load", "-i", archive.to_str().unwrap()]).ok();
    assert_eq!(load.stdout, format!("Loaded image: {LAYERED}\n"));
    assert_eq!(image_id(&d, LAYERED), fixture_id);
    let run = d
        .hako(&["run", "--rm", LAYERED, "sh", "-c", LAYERED_SCRIPT])
        .ok();
    assert_layered_view(&run.stdout);

    // Loading what is already there changes nothing and says the same.
    let again = d
        .hako(&["image", "load", "-q", "-i", archive.to_str().unwrap()])
        .ok();
    assert_eq!(again.stdout, format!("Loaded image: {LAYERED}\n"));

    // `hako save` to a pipe writes the same archive; to a terminal it refuses (docker's
    // words), which `script` cannot be assumed for, so only the pipe is checked.
    let piped = tmp.path().join("piped.tar");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} image save {LAYERED} > {}",
            common::hako_bin(),
            piped.display()
        ))
        .env("HAKO_HOST", d.host())
        .status()
        .expect("sh");
    assert!(status.success());
    assert_eq!(
        std::fs::read(&piped).expect("piped"),
        std::fs::read(&archive).expect("archive"),
        "save is deterministic"
    );
    d.assert_clean();
}

#[test]
fn docker_cli_saves_several_images_and_loads_them_back() {
    let d = Daemon::start();
    d.import_busybox();
    d.hako(&["tag", "busybox:latest", "hako-saved/second:v2"])
        .ok();
    let tmp = tempfile::tempdir().expect("tmp");
    let archive = tmp.path().join("two.tar");
    let docker = |args: &[&str]| d.docker(args).expect("the docker CLI is not on PATH");
    docker(&[
        "save",
        "-o",
        archive.to_str().unwrap(),
        "busybox",
        "hako-saved/second:v2",
    ])
    .ok();
    let manifest: serde_json::Value =
        serde_json::from_str(&tar_file(&archive, "manifest.json")).expect("manifest.json");
    // One image, both tags (`busybox` alone means every busybox tag).
    assert_eq!(manifest.as_array().map(Vec::len), Some(1), "{manifest}");
    let mut tags: Vec<String> = manifest[0]["RepoTags"]
        .as_array()
        .expect("RepoTags")
        .iter()
        .map(|t| t.as_str().unwrap_or_default().to_owned())
        .collect();
    tags.sort();
    assert_eq!(tags, ["busybox:latest", "hako-saved/second:v2"]);
    let id = image_id(&d, "busybox");

    docker(&["rmi", "busybox", "hako-saved/second:v2"]).ok();
    let load = docker(&["load", "-i", archive.to_str().unwrap()]).ok();
    assert!(
        load.stdout.contains("Loaded image: busybox:latest\n")
            && load.stdout.contains("Loaded image: hako-saved/second:v2\n"),
        "{}",
        load.stdout
    );
    assert_eq!(image_id(&d, "hako-saved/second:v2"), id);
    let run = docker(&["run", "--rm", "busybox", "echo", "loaded"]).ok();
    assert_eq!(run.stdout, "loaded\n");

    // By ID: untagged in the archive, and Docker's `Loaded image ID:` line on load.
    let by_id = tmp.path().join("by-id.tar");
    docker(&["save", "-o", by_id.to_str().unwrap(), &id]).ok();
    docker(&["rmi", "busybox", "hako-saved/second:v2"]).ok();
    let load = docker(&["load", "-i", by_id.to_str().unwrap()]).ok();
    assert_eq!(load.stdout, format!("Loaded image ID: {id}\n"));
    assert_eq!(image_id(&d, &id), id);

    // A name that is not there: Docker's message, no file left behind.
    let missing = tmp.path().join("missing.tar");
    let r = docker(&["save", "-o", missing.to_str().unwrap(), "no-such-image:1"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("No such image: no-such-image:1"),
        "{}",
        r.stderr
    );
    assert!(!missing.exists());
    d.assert_clean();
}

#[test]
fn plain_oci_archives_load_gzipped_and_the_cli_refuses_a_terminal() {
    let fx = common::start_registry(&[]);
    let want = fx["images"]["busybox"]["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|m| m["platform"] == "linux/amd64")
        .and_then(|m| m["image_id"].as_str())
        .expect("busybox linux/amd64 image id")
        .to_owned();
    let d = Daemon::start();
    let tmp = tempfile::tempdir().expect("tmp");
    // An OCI layout alone (no manifest.json), multi-platform index, gzip-compressed.
    let archive = tmp.path().join("busybox-oci.tar.gz");
    let st = Command::new("tar")
        .arg("-C")
        .arg(common::fixtures_dir().join("oci/busybox"))
        .arg("-czf")
        .arg(&archive)
        .arg(".")
        .status()
        .expect("tar");
    assert!(st.success());
    let load = d.hako(&["load", "-i", archive.to_str().unwrap()]).ok();
    // Its index names only the tag (`ref.name` = latest), no repository: untagged.
    assert_eq!(load.stdout, format!("Loaded image ID: {want}\n"));
    let run = d.hako(&["run", "--rm", &want, "echo", "oci"]).ok();
    assert_eq!(run.stdout, "oci\n");

    // To a terminal: docker's refusal, nothing requested. `script` gives the CLI a pty.
    let out = Command::new("script")
        .args(["-qec"])
        .arg(format!("{} save {want}", common::hako_bin()))
        .arg("/dev/null")
        .env("HAKO_HOST", d.host())
        .output()
        .expect("script");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("cowardly refusing to save to a terminal. Use the -o flag or redirect"),
        "{text}"
    );
    d.assert_clean();
}

/// A python3 script that writes a docker-archive whose one layer is `layer_py` (a
/// tarfile-building snippet using `t`), with the right diff ID, to argv[1].
fn hostile_archive(path: &Path, layer_py: &str) {
    let script = format!(
        r#"
import hashlib, io, json, sys, tarfile
def add(t, name, data):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
lb = io.BytesIO()
with tarfile.open(fileobj=lb, mode="w", format=tarfile.GNU_FORMAT) as t:
{layer_py}
layer = lb.getvalue()
diff = "sha256:" + hashlib.sha256(layer).hexdigest()
cfg = json.dumps({{"architecture": "amd64", "os": "linux", "config": {{}},
    "rootfs": {{"type": "layers", "diff_ids": [diff]}}}}).encode()
cid = hashlib.sha256(cfg).hexdigest()
with tarfile.open(sys.argv[1], "w") as out:
    add(out, "layer/layer.tar", layer)
    add(out, cid + ".json", cfg)
    add(out, "manifest.json", json.dumps([{{"Config": cid + ".json",
        "RepoTags": ["hostile:latest"], "Layers": ["layer/layer.tar"]}}]).encode())
"#
    );
    let st = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .status()
        .expect("python3");
    assert!(st.success(), "building the hostile archive failed");
}

/// Every file under the image store, for a before/after comparison.
fn store_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn hostile_archives_are_refused_with_400_and_nothing_written() {
    let d = Daemon::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let escape = tmp.path().join("escaped");
    let cases = [
        (
            "dotdot",
            format!(
                "    add(t, 'ok.txt', b'ok')\n    add(t, '../../../../../../..{}', b'owned')",
                escape.display()
            ),
            "..",
        ),
        (
            "symlink",
            format!(
                "    s = tarfile.TarInfo('evil'); s.type = tarfile.SYMTYPE; s.linkname = '../../../../../../../..{}'; t.addfile(s)\n    add(t, 'evil/file', b'owned')",
                tmp.path().display()
            ),
            "evil",
        ),
    ];
    let before = store_files(&d.image_root());
    for (name, layer, needle) in cases {
        let archive = tmp.path().join(format!("{name}.tar"));
        hostile_archive(&archive, &layer);
        let body = std::fs::read(&archive).expect("archive");
        let resp = common::http::request(&d.socket, "POST", "/images/load", Some(&body))
            .expect("load request");
        assert_eq!(resp.status, 400, "{name}: {}", resp.text());
        let msg = resp.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(msg.contains(needle), "{name}: {msg}");
        // The CLI shows the daemon's refusal and fails.
        let cli = d.hako(&["load", "-i", archive.to_str().unwrap()]);
        assert_eq!(cli.code, 1, "{name}: {cli:?}");
        assert!(cli.stderr.contains("Error response from daemon"), "{cli:?}");
        assert!(!escape.exists(), "{name}: a file escaped the layer");
        assert!(
            !tmp.path().join("file").exists(),
            "{name}: written through a symlink"
        );
        assert!(
            d.hako(&["images", "-aq"]).ok().stdout.trim().is_empty(),
            "{name}: an image was created"
        );
        assert_eq!(
            store_files(&d.image_root()),
            before,
            "{name}: store changed"
        );
    }
    // Not a tar at all.
    let resp = common::http::request(&d.socket, "POST", "/images/load", Some(b"not a tar"))
        .expect("load request");
    assert_eq!(resp.status, 400, "{}", resp.text());
    d.assert_clean();
}

/// A real Docker engine on its own socket, data root, exec root and pidfile; stopped by
/// PID and its directories removed on drop, even when the test failed.
struct PeerDocker {
    dir: PathBuf,
    socket: PathBuf,
    child: Option<Child>,
}

const DOCKERD: &str = "/usr/sbin/dockerd";

impl PeerDocker {
    fn start() -> PeerDocker {
        assert!(
            Path::new(DOCKERD).exists(),
            "{DOCKERD} is missing: the save/load interop test needs Debian's docker.io as a \
             reference engine (scripts/install-deps.sh installs it)"
        );
        // Short: containerd's sockets live under the exec root.
        let dir = tempfile::Builder::new()
            .prefix("hkdp")
            .tempdir_in("/tmp")
            .expect("tmp")
            .keep();
        let socket = dir.join("docker.sock");
        let log = std::fs::File::create(dir.join("dockerd.log")).expect("log");
        let child = Command::new(DOCKERD)
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("x"))
            .arg("--pidfile")
            .arg(dir.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .args([
                "--bridge=none",
                "--iptables=false",
                "--ip6tables=false",
                "--ip-masq=false",
                "--log-level=warn",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn dockerd");
        let peer = PeerDocker {
            dir,
            socket,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if peer.docker(&["version"]).code == 0 {
                return peer;
            }
            assert!(
                Instant::now() < deadline,
                "the peer dockerd did not answer within 60 s:\n{}",
                std::fs::read_to_string(peer.dir.join("dockerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn docker(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(common::docker_cli().expect("the docker CLI is not on PATH"));
        cmd.args(args)
            .env("DOCKER_HOST", format!("unix://{}", self.socket.display()))
            .env("DOCKER_CONFIG", self.dir.join("docker-config"));
        common::run_bounded(cmd, None)
    }
}

impl Drop for PeerDocker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id() as i32;
            // SIGTERM lets dockerd stop its containerd and unmount; SIGKILL if it hangs.
            let _ = Command::new("kill").arg(pid.to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // Anything still running from our directories (a containerd or shim of ours).
        for pid in common::processes_mentioning(&self.dir) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        let prefix = self.dir.to_string_lossy().into_owned();
        let mut mounts: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split(' ').nth(4).map(str::to_owned))
            .filter(|m| m.starts_with(&prefix))
            .collect();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in mounts {
            let _ = Command::new("umount").args(["-l", &m]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn archives_move_between_hako_and_the_docker_engine_both_ways() {
    let (fixture_id, _) = layered_fixture();
    let peer = PeerDocker::start();
    let d = Daemon::start();
    let tmp = tempfile::tempdir().expect("tmp");
    d.hako(&["pull", "-q", LAYERED]).ok();

    // hako → Docker: Docker 20.10 reads the Docker 25 layout through manifest.json.
    let from_hako = tmp.path().join("from-hako.tar");
    d.hako(&["save", "-o", from_hako.to_str().unwrap(), LAYERED])
        .ok();
    let load = peer
        .docker(&["load", "-i", from_hako.to_str().unwrap()])
        .ok();
    assert!(
        load.stdout.contains(&format!("Loaded image: {LAYERED}")),
        "{load:?}"
    );
    let peer_id = peer
        .docker(&["image", "inspect", "-f", "{{.Id}}", LAYERED])
        .ok();
    assert_eq!(peer_id.stdout.trim(), fixture_id);
    let run = peer
        .docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            LAYERED,
            "sh",
            "-c",
            LAYERED_SCRIPT,
        ])
        .ok();
    assert_layered_view(&run.stdout);

    // Docker → hako: the 20.10 layout (<v1 id>/layer.tar, <id>.json).
    let from_docker = tmp.path().join("from-docker.tar");
    peer.docker(&["save", "-o", from_docker.to_str().unwrap(), LAYERED])
        .ok();
    assert!(
        tar_names(&from_docker)
            .iter()
            .any(|n| n.ends_with("/layer.tar")),
        "the peer wrote the legacy layout"
    );
    d.hako(&["rmi", LAYERED]).ok();
    let load = d.hako(&["load", "-i", from_docker.to_str().unwrap()]).ok();
    assert_eq!(load.stdout, format!("Loaded image: {LAYERED}\n"));
    assert_eq!(image_id(&d, LAYERED), fixture_id);
    let run = d
        .hako(&["run", "--rm", LAYERED, "sh", "-c", LAYERED_SCRIPT])
        .ok();
    assert_layered_view(&run.stdout);

    // The same archive through the docker CLI against hako, replacing the tag's image.
    d.import_busybox();
    d.hako(&["tag", "busybox:latest", LAYERED]).ok();
    let load = d
        .docker(&["load", "-i", from_docker.to_str().unwrap()])
        .expect("the docker CLI is not on PATH")
        .ok();
    assert!(
        load.stdout.contains("The image 127.0.0.1:5000/layered:latest already exists, renaming the old one with ID sha256:")
            && load.stdout.contains(&format!("Loaded image: {LAYERED}")),
        "{load:?}"
    );
    assert_eq!(image_id(&d, LAYERED), fixture_id);
    d.assert_clean();
}
