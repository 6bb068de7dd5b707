//! The platforms of local images: `manifests=1` on image list and inspect, `hako image
//! inspect --platforms`, save and load with a platform, and load's progress stream, with
//! the multi-arch and single-manifest fixtures from the fixture registry.

mod common;

use std::process::Command;

use common::Daemon;

const BUSYBOX: &str = "127.0.0.1:5000/busybox";

/// (platform, manifest digest, image ID) of each busybox manifest, and the index digest.
fn busybox_fixture() -> (String, Vec<(String, String, String)>) {
    let fx = common::start_registry(&[]);
    let b = &fx["images"]["busybox"];
    let entries = b["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| {
            (
                m["platform"].as_str().expect("platform").to_owned(),
                m["digest"].as_str().expect("digest").to_owned(),
                m["image_id"].as_str().expect("image_id").to_owned(),
            )
        })
        .collect();
    (b["digest"].as_str().expect("digest").to_owned(), entries)
}

fn get_json(d: &Daemon, path: &str) -> serde_json::Value {
    let r = common::http::request(&d.socket, "GET", path, None).expect("request");
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json()
}

#[test]
fn multi_arch_pull_lists_every_platform_with_the_pulled_one_here() {
    let (index, entries) = busybox_fixture();
    let d = Daemon::start();
    d.hako(&["pull", "-q", BUSYBOX]).ok();
    let cid = d
        .hako(&["create", BUSYBOX, "true"])
        .ok()
        .stdout
        .trim()
        .to_owned();

    let v = get_json(&d, &format!("/images/{BUSYBOX}/json?manifests=1"));
    assert_eq!(v["Descriptor"]["digest"], index.as_str());
    assert_eq!(
        v["Descriptor"]["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let manifests = v["Manifests"].as_array().expect("Manifests");
    assert_eq!(manifests.len(), entries.len());
    for (m, (platform, digest, _)) in manifests.iter().zip(&entries) {
        assert_eq!(m["ID"], digest.as_str());
        assert_eq!(m["Descriptor"]["digest"], digest.as_str());
        assert_eq!(m["Kind"], "image");
        let p = &m["ImageData"]["Platform"];
        let arch = p["architecture"].as_str().unwrap_or_default();
        assert!(platform.contains(arch), "{platform} vs {p}");
        let content = m["Size"]["Content"].as_i64().expect("Content");
        let unpacked = m["ImageData"]["Size"]["Unpacked"]
            .as_i64()
            .expect("Unpacked");
        assert_eq!(m["Size"]["Total"].as_i64(), Some(content + unpacked));
        let containers = m["ImageData"]["Containers"].as_array().expect("Containers");
        if platform == "linux/amd64" {
            assert_eq!(m["Available"], true, "{m}");
            assert!(content > 0 && unpacked > 0, "{m}");
            assert_eq!(containers.len(), 1, "{m}");
            assert!(containers[0].as_str().unwrap_or_default().starts_with(&cid));
        } else {
            assert_eq!(m["Available"], false, "{m}");
            assert_eq!((content, unpacked), (0, 0), "{m}");
            assert!(containers.is_empty(), "{m}");
        }
    }
    // Without the parameter: no Manifests, as Docker.
    let plain = get_json(&d, &format!("/images/{BUSYBOX}/json"));
    assert!(plain.get("Manifests").is_none());

    let list = get_json(&d, "/images/json?manifests=1");
    let row = list
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["Id"] == entries[0].2.as_str())
        .expect("busybox in the list");
    assert_eq!(
        row["Manifests"].as_array().map(Vec::len),
        Some(entries.len())
    );
    let list = get_json(&d, "/images/json");
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|r| r.get("Manifests").is_none())
    );

    let out = d
        .hako(&["image", "inspect", "--platforms", BUSYBOX])
        .ok()
        .stdout;
    let mut want = format!(
        "Name:      {BUSYBOX}:latest\nMediaType: application/vnd.oci.image.index.v1+json\nDigest:    {index}\n\nManifests:\n"
    );
    for (i, (platform, digest, _)) in entries.iter().enumerate() {
        if i > 0 {
            want.push('\n');
        }
        let here = if platform == "linux/amd64" {
            "yes"
        } else {
            "no"
        };
        want.push_str(&format!(
            "  Name:      {BUSYBOX}@{digest}\n  MediaType: application/vnd.oci.image.manifest.v1+json\n  Platform:  {platform}\n  Available: {here}\n"
        ));
    }
    assert_eq!(out, want);

    let tree = d.hako(&["images", "--tree"]).ok().stdout;
    let lines: Vec<&str> = tree.lines().collect();
    assert!(
        lines[0].starts_with("WARNING: This is an experimental feature."),
        "{tree}"
    );
    assert!(
        lines[1].starts_with("IMAGE ") && lines[1].ends_with("DISK USAGE   CONTENT SIZE   USED"),
        "{tree}"
    );
    assert!(
        lines[2].starts_with(&format!("{BUSYBOX}:latest ")),
        "{tree}"
    );
    assert!(
        lines[2].contains(&entries[0].2[7..19]) && lines[2].contains('✔'),
        "{tree}"
    );
    for (i, (platform, digest, _)) in entries.iter().enumerate() {
        let line = lines[3 + i];
        let branch = if i + 1 == entries.len() {
            "└─ "
        } else {
            "├─ "
        };
        assert!(line.starts_with(&format!("{branch}{platform} ")), "{tree}");
        assert!(line.contains(&digest[7..19]), "{tree}");
        assert_eq!(line.contains('✔'), platform == "linux/amd64", "{tree}");
    }
    d.assert_clean();
}

#[test]
fn single_manifest_image_shows_itself() {
    let fx = common::start_registry(&[]);
    let s = &fx["images"]["single-arm64"];
    let digest = s["digest"].as_str().expect("digest");
    let d = Daemon::start();
    let name = "127.0.0.1:5000/single-arm64";
    d.hako(&["pull", "-q", name]).ok();
    let out = d
        .hako(&["image", "inspect", "--platforms", name])
        .ok()
        .stdout;
    assert_eq!(
        out,
        format!(
            "Name:      {name}:latest\nMediaType: application/vnd.docker.distribution.manifest.v2+json\nDigest:    {digest}\nPlatform:  linux/arm64/v8\n"
        )
    );
    let v = get_json(&d, &format!("/images/{name}/json?manifests=1"));
    let m = v["Manifests"].as_array().expect("Manifests");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["ID"], digest);
    assert_eq!(m[0]["Available"], true);
    assert_eq!(m[0]["ImageData"]["Platform"]["architecture"], "arm64");
    let missing = d.hako(&["image", "inspect", "--platforms", "nothing:here"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("No such image: nothing:here"),
        "{}",
        missing.stderr
    );
    d.assert_clean();
}

#[test]
fn save_and_load_pick_a_platform() {
    let (_, entries) = busybox_fixture();
    let amd64_id = &entries
        .iter()
        .find(|e| e.0 == "linux/amd64")
        .expect("amd64")
        .2;
    let arm64_id = &entries
        .iter()
        .find(|e| e.0.starts_with("linux/arm64"))
        .expect("arm64")
        .2;
    let d = Daemon::start();
    let tmp = tempfile::tempdir().expect("tmp");
    d.hako(&["pull", "-q", BUSYBOX]).ok();

    // A platform the index offers but whose content is not here.
    let arm = tmp.path().join("arm.tar");
    let r = d.hako(&[
        "save",
        "--platform",
        "linux/arm64",
        "-o",
        arm.to_str().unwrap(),
        BUSYBOX,
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "no suitable export target found: image with reference {BUSYBOX}:latest was found but does not provide the specified platform (linux/arm64/v8)"
        )),
        "{}",
        r.stderr
    );
    assert!(!arm.exists());
    let bad = common::http::request(
        &d.socket,
        "GET",
        "/images/get?names=busybox&platform=%7B%22os%22%3A%22linux%22%7D",
        None,
    )
    .expect("request");
    assert_eq!(bad.status, 400);
    assert!(
        bad.text()
            .contains("both OS and Architecture must be provided"),
        "{}",
        bad.text()
    );

    let amd = tmp.path().join("amd.tar");
    d.hako(&[
        "save",
        "--platform",
        "linux/amd64",
        "-o",
        amd.to_str().unwrap(),
        BUSYBOX,
    ])
    .ok();
    d.hako(&["rmi", BUSYBOX]).ok();
    let r = d.hako(&[
        "load",
        "--platform",
        "linux/arm64",
        "-i",
        amd.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("no images providing the requested platform linux/arm64/v8 found"),
        "{}",
        r.stderr
    );
    assert!(d.hako(&["images", "-q"]).ok().stdout.trim().is_empty());
    let r = d
        .hako(&[
            "load",
            "--platform",
            "linux/amd64",
            "-i",
            amd.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(r.stdout, format!("Loaded image: {BUSYBOX}:latest\n"));
    let id = d
        .hako(&["image", "inspect", "-f", "{{.Id}}", BUSYBOX])
        .ok()
        .stdout;
    assert_eq!(id.trim(), amd64_id);

    // A plain OCI archive of the multi-platform index: the platform picks its entry.
    let oci = tmp.path().join("oci.tar");
    let st = Command::new("tar")
        .arg("-cf")
        .arg(&oci)
        .arg("-C")
        .arg("/var/cache/hako-fixtures/oci/busybox")
        .arg(".")
        .status()
        .expect("tar");
    assert!(st.success());
    let r = d.hako(&[
        "load",
        "--platform",
        "linux/s390x",
        "-i",
        oci.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("requested platform (linux/s390x) not found"),
        "{}",
        r.stderr
    );
    let r = d
        .hako(&[
            "load",
            "--platform",
            "linux/arm64",
            "-i",
            oci.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(r.stdout, format!("Loaded image ID: {arm64_id}\n"));
    let arch = d
        .hako(&["image", "inspect", "-f", "{{.Architecture}}", arm64_id])
        .ok()
        .stdout;
    assert_eq!(arch.trim(), "arm64");
    d.assert_clean();
}

#[test]
fn load_streams_layer_progress_unless_quiet() {
    let (_, entries) = busybox_fixture();
    let d = Daemon::start();
    let archive = std::fs::read("/var/cache/hako-fixtures/archives/busybox-amd64.tar")
        .expect("fixture archive");
    let r = common::http::request(&d.socket, "POST", "/images/load?quiet=0", Some(&archive))
        .expect("load");
    assert_eq!(r.status, 200, "{}", r.text());
    let lines: Vec<serde_json::Value> = r
        .text()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let progress: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["status"] == "Loading layer")
        .collect();
    assert!(!progress.is_empty(), "{lines:?}");
    let last = progress.last().unwrap();
    assert_eq!(last["id"].as_str().map(str::len), Some(12), "{last}");
    let detail = &last["progressDetail"];
    assert!(detail["total"].as_i64().unwrap_or(0) > 0, "{last}");
    assert_eq!(detail["current"], detail["total"], "{last}");
    // moby's pre-rendered bar, full at the end.
    let bar = last["progress"].as_str().unwrap_or_default();
    assert!(
        bar.starts_with(&format!("[{}>", "=".repeat(49)))
            || bar.starts_with(&format!("[{}]", "=".repeat(50))),
        "{last}"
    );
    assert_eq!(
        lines.last().unwrap()["stream"],
        "Loaded image: busybox:latest\n",
        "{lines:?}"
    );
    let id = d
        .hako(&["image", "inspect", "-f", "{{.Id}}", "busybox"])
        .ok()
        .stdout;
    assert_eq!(id.trim(), entries[0].2);
    // Quiet (moby's default without the parameter): only the result.
    let r = common::http::request(&d.socket, "POST", "/images/load", Some(&archive)).expect("load");
    assert!(!r.text().contains("Loading layer"), "{}", r.text());
    assert!(
        r.text().contains("Loaded image: busybox:latest"),
        "{}",
        r.text()
    );
    // A broken archive after the stream started: the error is in the stream.
    let r = common::http::request(
        &d.socket,
        "POST",
        "/images/load?quiet=0",
        Some(b"not a tar"),
    )
    .expect("load");
    let text = r.text();
    assert!(
        r.status != 200 || text.contains("errorDetail"),
        "{} {text}",
        r.status
    );
    d.assert_clean();
}
