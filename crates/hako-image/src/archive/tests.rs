use std::io::Read;

use crate::archive::Loaded;
use crate::digest::Digest;
use crate::image::NoContainers;
use crate::{ImageStore, ImportOptions};

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, name, *data).expect("append");
    }
    b.into_inner().expect("tar")
}

fn store() -> (tempfile::TempDir, ImageStore) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = ImageStore::open(dir.path().join("image")).expect("store");
    (dir, store)
}

/// An imported one-layer image tagged `name`.
fn imported(store: &ImageStore, name: &str) -> Digest {
    let layer = tar_of(&[("hello.txt", b"hello\n"), ("etc/os", b"hako\n")]);
    let opts = ImportOptions {
        reference: Some(name.to_owned()),
        ..Default::default()
    };
    store.import(&layer[..], &opts).expect("import").id
}

fn saved(store: &ImageStore, names: &[&str]) -> Vec<u8> {
    let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    let plan = store.prepare_save(&names, None).expect("plan");
    let mut out = Vec::new();
    plan.write_to(&mut out).expect("write");
    out
}

fn entry(archive: &[u8], name: &str) -> Vec<u8> {
    let mut a = tar::Archive::new(archive);
    for e in a.entries().expect("entries") {
        let mut e = e.expect("entry");
        if e.path().expect("path").to_string_lossy() == name {
            let mut v = Vec::new();
            e.read_to_end(&mut v).expect("read");
            return v;
        }
    }
    panic!("{name} not in the archive");
}

#[test]
fn save_then_load_into_another_store_keeps_id_and_tag() {
    let (_a, src) = store();
    let id = imported(&src, "box:1");
    let archive = saved(&src, &["box:1"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&entry(&archive, "manifest.json")).expect("json");
    assert_eq!(manifest[0]["RepoTags"], serde_json::json!(["box:1"]));
    assert_eq!(manifest[0]["Config"], format!("blobs/sha256/{}", id.hex()));
    let (_b, dst) = store();
    let loaded = dst
        .load_archive(&archive[..], None, &mut |_| {})
        .expect("load");
    assert_eq!(
        loaded,
        vec![Loaded::Tagged {
            reference: "box:1".into(),
            replaced: None,
            id: id.clone(),
        }]
    );
    assert_eq!(dst.resolve("box:1").expect("resolve").id, id);
}

#[test]
fn a_bare_repository_saves_every_tag_and_an_id_none() {
    let (_a, s) = store();
    let id = imported(&s, "box:1");
    s.tag("box:1", "box:2").expect("tag");
    s.tag("box:1", "other:x").expect("tag");
    let archive = saved(&s, &["box"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&entry(&archive, "manifest.json")).expect("json");
    assert_eq!(
        manifest[0]["RepoTags"],
        serde_json::json!(["box:1", "box:2"])
    );
    let archive = saved(&s, &[id.short()]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&entry(&archive, "manifest.json")).expect("json");
    assert_eq!(manifest[0]["RepoTags"], serde_json::json!([]));
    assert!(matches!(
        s.prepare_save(&["nothing:here".to_owned()], None),
        Err(crate::Error::ImageNotFound { .. })
    ));
}

#[test]
fn the_legacy_layout_with_a_symlinked_layer_loads() {
    let (_a, s) = store();
    let layer = tar_of(&[("a.txt", b"a\n")]);
    let diff = Digest::of(&layer);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff.to_string(), diff.to_string()]}
    }))
    .expect("config");
    let cid = Digest::of(&config);
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": format!("{}.json", cid.hex()),
        "RepoTags": null,
        "Layers": ["one/layer.tar", "two/layer.tar"]
    }]))
    .expect("manifest");
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).expect("append");
    };
    add("one/layer.tar", &layer);
    add(&format!("{}.json", cid.hex()), &config);
    add("manifest.json", &manifest);
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "two/layer.tar", "../one/layer.tar")
        .expect("link");
    let archive = b.into_inner().expect("tar");
    let loaded = s
        .load_archive(&archive[..], None, &mut |_| {})
        .expect("load");
    assert_eq!(loaded, vec![Loaded::Untagged(cid.clone())]);
    assert_eq!(s.get(&cid).expect("image").layers.len(), 2);
}

#[test]
fn bad_archives_are_refused_and_leave_no_image() {
    let (_a, s) = store();
    let layer = tar_of(&[("a.txt", b"a\n")]);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [Digest::of(b"other").to_string()]}
    }))
    .expect("config");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // The layer is not the one the config names.
        (
            "unexpected digest",
            tar_of(&[
                ("l.tar", &layer),
                ("c.json", &config),
                (
                    "manifest.json",
                    br#"[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l.tar"]}]"#,
                ),
            ]),
        ),
        // A manifest path leaving the archive.
        (
            "leaves the archive",
            tar_of(&[
                ("c.json", &config),
                (
                    "manifest.json",
                    br#"[{"Config":"c.json","Layers":["../../etc/passwd"]}]"#,
                ),
            ]),
        ),
        // More layers than diff IDs.
        (
            "layers length mismatch",
            tar_of(&[
                ("l.tar", &layer),
                ("c.json", &config),
                (
                    "manifest.json",
                    br#"[{"Config":"c.json","Layers":["l.tar","l.tar"]}]"#,
                ),
            ]),
        ),
        (
            "neither manifest.json nor index.json",
            tar_of(&[("x", b"y")]),
        ),
    ];
    for (want, archive) in cases {
        let err = s
            .load_archive(&archive[..], None, &mut |_| {})
            .expect_err(want)
            .to_string();
        assert!(err.contains(want), "{want}: {err}");
        assert!(
            s.list().expect("list").is_empty(),
            "{want}: an image was created"
        );
    }
    s.gc(&NoContainers).expect("gc");
    let mut blobs = 0;
    crate::content::Manager::walk(s.content(), &mut |_| {
        blobs += 1;
        Ok(())
    })
    .expect("walk");
    assert_eq!(blobs, 0, "blobs left after collection");
}
