//! Extended attributes survive `commit`, `save`, `rmi`, `load` and `run`: a file the
//! container wrote, given `user.*` and `security.capability` attributes in its upper
//! directory, is in the committed layer's tar as PAX `SCHILY.xattr.*` records (Docker's
//! form) and carries them again once the archive is loaded and unpacked; overlayfs'
//! own `trusted.overlay.*` marks never reach the layer. The fixture busybox has no
//! setfattr/getfattr, so attributes are set and read from the host with python3 (a
//! fixture dependency).

mod common;

use std::process::Command;

use common::Daemon;

/// `cap_net_raw+ep` as the kernel stores it (VFS_CAP_REVISION_2, effective).
const CAP_HEX: &str = "0100000200200000000000000000000000000000";

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 (a fixture dependency)");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{what}-{}-{nanos:x}", std::process::id())
}

#[test]
fn committed_layers_keep_xattrs_through_save_and_load() {
    let d = Daemon::start();
    d.import_busybox();
    let name = unique("xattrs");
    let image = format!("{name}:1");
    d.hako(&[
        "run",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "echo hi > /capfile",
    ])
    .ok();
    let upper = d
        .hako(&["inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", &name])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let file = format!("{upper}/capfile");
    python(
        "import os, sys
p = sys.argv[1]
os.setxattr(p, 'user.hako', b'kept', follow_symlinks=False)
os.setxattr(p, 'security.capability', bytes.fromhex(sys.argv[2]), follow_symlinks=False)
os.setxattr(p, 'trusted.overlay.origin', b'\\x00', follow_symlinks=False)",
        &[&file, CAP_HEX],
    );
    d.hako(&["commit", &name, &image]).ok();

    let tmp = tempfile::tempdir().expect("tmp");
    let archive = tmp.path().join("x.tar");
    d.hako(&["save", "-o", archive.to_str().unwrap(), &image])
        .ok();
    // The committed layer (the archive's last in manifest.json) as Docker writes it.
    let records = python(
        "import json, sys, tarfile
outer = tarfile.open(sys.argv[1])
m = json.load(outer.extractfile('manifest.json'))
layer = tarfile.open(fileobj=outer.extractfile(m[0]['Layers'][-1]))
e = layer.getmember('capfile')
for k in sorted(e.pax_headers):
    if k.startswith('SCHILY.xattr.'):
        print(k, e.pax_headers[k].encode('utf-8', 'surrogateescape').hex())",
        &[archive.to_str().unwrap()],
    );
    assert_eq!(
        records,
        format!(
            "SCHILY.xattr.security.capability {CAP_HEX}\nSCHILY.xattr.user.hako {}\n",
            "6b657074"
        )
    );

    d.hako(&["rm", &name]).ok();
    d.hako(&["rmi", &image]).ok();
    d.hako(&["load", "-i", archive.to_str().unwrap()]).ok();
    let out = d
        .hako(&["run", "--rm", &image, "cat", "/capfile"])
        .ok()
        .stdout;
    assert_eq!(out, "hi\n");
    // The loaded image's top layer, unpacked: the attributes are back, overlay's are not.
    let top = d
        .hako(&[
            "image",
            "inspect",
            "-f",
            "{{.GraphDriver.Data.UpperDir}}",
            &image,
        ])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let attrs = python(
        "import os, sys
p = sys.argv[1]
for k in sorted(os.listxattr(p, follow_symlinks=False)):
    print(k, os.getxattr(p, k, follow_symlinks=False).hex())",
        &[&format!("{top}/capfile")],
    );
    assert_eq!(
        attrs,
        format!("security.capability {CAP_HEX}\nuser.hako 6b657074\n")
    );
    d.hako(&["rmi", &image]).ok();
    d.assert_clean();
}
