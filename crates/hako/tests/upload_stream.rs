//! Big transfers go through the CLI as streams, never held whole: `import` and `load` send
//! their tarball as they read it (from a file or stdin), `save` and `export` write theirs
//! as it arrives, and `cp` streams both ways (renaming on the way). Alone in its test binary so that the peak RSS
//! of this process's waited-for children is the CLI's.

mod common;

use common::Daemon;

/// `dir/big.tar`: one `size`-byte file of zeros, written out in full by GNU tar.
fn big_tar(dir: &std::path::Path, size: u64) -> std::path::PathBuf {
    let src = dir.join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::File::create(src.join("big.bin"))
        .unwrap()
        .set_len(size)
        .unwrap();
    let tar = dir.join("big.tar");
    let st = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&src)
        .arg("big.bin")
        .status()
        .unwrap();
    assert!(st.success());
    tar
}

/// The largest resident set any waited-for child of this process reached, in MiB.
fn children_peak_mib() -> i64 {
    let u = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    u.max_rss() / 1024
}

#[test]
fn import_and_load_stream_their_tarball_from_a_file_and_from_stdin() {
    let d = Daemon::start();
    let size = 256u64 << 20;
    let dir = tempfile::tempdir().unwrap();
    let file = big_tar(dir.path(), size);

    d.hako(&["import", file.to_str().unwrap(), "big:file"]).ok();
    from_stdin(&d, &["import", "-", "big:stdin"], &file);
    let peak = children_peak_mib();
    assert!(
        peak < 128,
        "a CLI held {peak} MiB while importing {} MiB",
        size >> 20
    );
    for tag in ["big:file", "big:stdin"] {
        assert!(image_size(&d, tag) >= size, "{tag}");
    }

    // load: the same image as a docker archive, from a file, then from stdin.
    let archive = dir.path().join("big-archive.tar");
    d.hako(&["save", "-o", archive.to_str().unwrap(), "big:file"])
        .ok();
    d.hako(&["rmi", "big:file", "big:stdin"]).ok();
    d.hako(&["load", "-i", archive.to_str().unwrap()]).ok();
    assert!(image_size(&d, "big:file") >= size);
    d.hako(&["rmi", "big:file"]).ok();
    from_stdin(&d, &["load"], &archive);
    assert!(image_size(&d, "big:file") >= size);
    let peak = children_peak_mib();
    assert!(
        peak < 128,
        "a CLI held {peak} MiB while saving or loading {} MiB",
        size >> 20
    );

    // cp both ways, export, all with the 256 MiB file.
    d.hako(&["create", "--name", "bigc", "big:file", "/nothing"])
        .ok();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    d.hako(&["cp", "bigc:/big.bin", out_dir.to_str().unwrap()])
        .ok();
    assert_eq!(file_size(&out_dir.join("big.bin")), size);
    let src = dir.path().join("src/big.bin");
    d.hako(&["cp", src.to_str().unwrap(), "bigc:/copy.bin"])
        .ok();
    // Into a file of another name: the entries are renamed as they stream.
    let back = dir.path().join("back.bin");
    d.hako(&["cp", "bigc:/copy.bin", back.to_str().unwrap()])
        .ok();
    assert_eq!(file_size(&back), size);
    let exported = dir.path().join("export.tar");
    d.hako(&["export", "-o", exported.to_str().unwrap(), "bigc"])
        .ok();
    assert!(
        file_size(&exported) > 2 * size,
        "both files are in the export"
    );
    let peak = children_peak_mib();
    assert!(
        peak < 128,
        "a CLI held {peak} MiB while copying or exporting {} MiB",
        size >> 20
    );
    d.hako(&["rm", "bigc"]).ok();
    d.hako(&["rmi", "big:file"]).ok();
    d.assert_clean();
}

fn file_size(p: &std::path::Path) -> u64 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .len()
}

/// Runs our CLI with `file` itself as stdin: the test must not hold the tarball, or a
/// child's RSS right after fork would count it.
fn from_stdin(d: &Daemon, args: &[&str], file: &std::path::Path) {
    let out = std::process::Command::new("timeout")
        .arg("60")
        .arg(common::hako_bin())
        .args(args)
        .env("HAKO_HOST", d.host())
        .stdin(std::fs::File::open(file).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn image_size(d: &Daemon, tag: &str) -> u64 {
    let s = d
        .hako(&["image", "inspect", "-f", "{{.Size}}", tag])
        .ok()
        .stdout;
    s.trim().parse().unwrap()
}
