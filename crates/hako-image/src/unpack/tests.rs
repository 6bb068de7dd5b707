use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use super::*;

/// A tar built entry by entry, with raw names (the tar crate refuses `..` in its helpers,
/// and hostile archives are exactly what these tests need).
struct Tar(tar::Builder<Vec<u8>>);

impl Tar {
    fn new() -> Tar {
        Tar(tar::Builder::new(Vec::new()))
    }

    fn entry(
        &mut self,
        name: &str,
        kind: tar::EntryType,
        mode: u32,
        link: Option<&str>,
        data: &[u8],
    ) -> &mut Tar {
        let mut h = tar::Header::new_gnu();
        {
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
        }
        if let Some(l) = link {
            let raw = &mut h.as_old_mut().linkname;
            raw[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_mtime(1_700_000_000);
        h.set_uid(1000);
        h.set_gid(1001);
        h.set_cksum();
        self.0.append(&h, data).expect("append");
        self
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Tar {
        self.entry(name, tar::EntryType::Regular, 0o644, None, data)
    }

    fn dir(&mut self, name: &str, mode: u32) -> &mut Tar {
        self.entry(name, tar::EntryType::Directory, mode, None, b"")
    }

    fn symlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.entry(name, tar::EntryType::Symlink, 0o777, Some(target), b"")
    }

    fn hardlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.entry(name, tar::EntryType::Link, 0o644, Some(target), b"")
    }

    /// A PAX extended header applying `records` to the next entry.
    fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Tar {
        let mut data = Vec::new();
        for (key, value) in records {
            // "<len> <key>=<value>\n", where <len> counts itself.
            let body = key.len() + value.len() + 3;
            let mut len = body + body.to_string().len();
            if len.to_string().len() != body.to_string().len() {
                len += 1;
            }
            data.extend_from_slice(format!("{len} {key}=").as_bytes());
            data.extend_from_slice(value);
            data.push(b'\n');
        }
        self.entry("PaxHeader", tar::EntryType::XHeader, 0o644, None, &data)
    }

    fn bytes(&mut self) -> Vec<u8> {
        let b = std::mem::replace(&mut self.0, tar::Builder::new(Vec::new()));
        b.into_inner().expect("finish")
    }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn no_owner() -> UnpackOptions {
    UnpackOptions {
        same_owner: false,
        ..UnpackOptions::default()
    }
}

/// Unpacks into `<tmp>/root`, returning the tmp dir (to inspect its surroundings too).
fn unpack(bytes: &[u8], opts: &UnpackOptions) -> (tempfile::TempDir, Result<UnpackStats>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("root");
    fs::create_dir(&root).expect("mkdir");
    let r = unpack_layer(bytes, &root, opts);
    (tmp, r)
}

fn outside_is_untouched(tmp: &Path) {
    let names: Vec<String> = fs::read_dir(tmp)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["root"], "something was written next to the root");
}

#[test]
fn dot_dot_is_rejected_and_nothing_escapes() {
    for name in ["../evil", "a/../../evil", "./../evil"] {
        let tar = Tar::new()
            .file("ok.txt", b"fine")
            .file(name, b"evil")
            .bytes();
        let (tmp, r) = unpack(&tar, &no_owner());
        let err = r.expect_err(name).to_string();
        assert!(err.contains("escapes the layer root"), "{name}: {err}");
        outside_is_untouched(tmp.path());
    }
}

#[test]
fn lexically_contained_dot_dot_and_absolute_names_are_fine() {
    let tar = Tar::new()
        .file("a/../b.txt", b"b")
        .file("/abs.txt", b"abs")
        .bytes();
    let (tmp, r) = unpack(&tar, &no_owner());
    r.expect("unpack");
    assert_eq!(fs::read(tmp.path().join("root/b.txt")).expect("b"), b"b");
    assert_eq!(
        fs::read(tmp.path().join("root/abs.txt")).expect("abs"),
        b"abs"
    );
    outside_is_untouched(tmp.path());
}

#[test]
fn symlink_parent_escapes_are_rejected() {
    for (target, name) in [
        ("..", "up/evil"),
        ("../../..", "up/evil"),
        ("/..", "up/evil"),
        ("sub/../..", "up/evil"),
    ] {
        let tar = Tar::new()
            .dir("sub", 0o755)
            .symlink("up", target)
            .file(name, b"evil")
            .bytes();
        let (tmp, r) = unpack(&tar, &no_owner());
        let err = r.expect_err(target).to_string();
        assert!(err.contains("outside the layer root"), "{target}: {err}");
        outside_is_untouched(tmp.path());
    }
}

#[test]
fn symlink_parents_inside_the_root_resolve_like_a_chroot() {
    let tar = Tar::new()
        .dir("usr/lib", 0o755)
        .symlink("lib", "usr/lib")
        .symlink("etc-link", "/etc")
        .file("lib/libc.so", b"c")
        .file("etc-link/passwd", b"root")
        .bytes();
    let (tmp, r) = unpack(&tar, &no_owner());
    r.expect("unpack");
    let root = tmp.path().join("root");
    assert_eq!(fs::read(root.join("usr/lib/libc.so")).expect("lib"), b"c");
    assert_eq!(fs::read(root.join("etc/passwd")).expect("passwd"), b"root");
    assert!(
        fs::symlink_metadata(root.join("lib"))
            .expect("lib")
            .file_type()
            .is_symlink()
    );
    outside_is_untouched(tmp.path());
}

#[test]
fn an_existing_symlink_is_replaced_not_followed() {
    let tmp_outside = tempfile::tempdir().expect("tmp");
    let victim = tmp_outside.path().join("victim.txt");
    fs::write(&victim, b"original").expect("victim");
    let victim_str = victim.to_string_lossy().into_owned();
    let tar = Tar::new()
        .symlink("f", &victim_str)
        .file("f", b"new")
        .bytes();
    let (tmp, r) = unpack(&tar, &no_owner());
    r.expect("unpack");
    assert_eq!(fs::read(&victim).expect("victim"), b"original");
    let f = tmp.path().join("root/f");
    assert!(fs::symlink_metadata(&f).expect("f").is_file());
    assert_eq!(fs::read(&f).expect("f"), b"new");
}

#[test]
fn hard_links_stay_inside_the_layer() {
    let ok = Tar::new()
        .file("a.txt", b"shared")
        .hardlink("b.txt", "a.txt")
        .bytes();
    let (tmp, r) = unpack(&ok, &no_owner());
    r.expect("unpack");
    let a = fs::metadata(tmp.path().join("root/a.txt")).expect("a");
    let b = fs::metadata(tmp.path().join("root/b.txt")).expect("b");
    assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));

    for target in ["../outside", "/nonexistent", "missing.txt"] {
        let tar = Tar::new().hardlink("l", target).bytes();
        let (tmp, r) = unpack(&tar, &no_owner());
        assert!(r.is_err(), "hard link to {target} accepted");
        outside_is_untouched(tmp.path());
    }
}

#[test]
fn diff_id_is_the_uncompressed_tar_digest_whatever_the_compression() {
    let tar = Tar::new()
        .dir("d", 0o755)
        .file("d/x", &[7u8; 100_000])
        .bytes();
    let expected = Digest::of(&tar);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).expect("gz");
    let zst = zstd::encode_all(&tar[..], 3).expect("zstd");
    for (bytes, c) in [
        (tar.clone(), Compression::None),
        (gz.finish().expect("gz"), Compression::Gzip),
        (zst, Compression::Zstd),
    ] {
        let (_tmp, r) = unpack(&bytes, &no_owner());
        let stats = r.expect("unpack");
        assert_eq!(stats.diff_id, expected);
        assert_eq!(stats.tar_size, tar.len() as u64);
        assert_eq!(stats.compression, c);
        assert_eq!(stats.content_size, 100_000);
    }
    let (_tmp, r) = unpack(&tar, &no_owner());
    let wrong = Digest::of(b"x");
    let tmp = tempfile::tempdir().expect("tmp");
    assert!(matches!(
        unpack_layer_verified(&tar[..], tmp.path(), &wrong, &no_owner()),
        Err(Error::DigestMismatch { .. })
    ));
    drop(r);
}

#[test]
fn truncated_archive_is_an_error() {
    let tar = Tar::new().file("big", &[1u8; 10_000]).bytes();
    let (_tmp, r) = unpack(&tar[..3000], &no_owner());
    assert!(r.is_err());
}

#[test]
fn metadata_whiteouts_and_specials_as_root() {
    if !is_root() {
        eprintln!("skipped: owners, whiteouts and device nodes need root");
        return;
    }
    let tar = Tar::new()
        .dir("dir", 0o755)
        .file("dir/new", b"n")
        .file("dir/.wh..wh..opq", b"")
        .file(".wh.gone", b"")
        .file("sub/.wh.deep", b"")
        .file(".wh..wh.plnk", b"")
        .entry("suid", tar::EntryType::Regular, 0o4755, None, b"s")
        .entry("sgid", tar::EntryType::Regular, 0o2755, None, b"s")
        .dir("sticky", 0o1777)
        .dir("private", 0o700)
        .entry("fifo", tar::EntryType::Fifo, 0o600, None, b"")
        .symlink("link", "/nowhere")
        .bytes();
    let (tmp, r) = unpack(
        &tar,
        &UnpackOptions {
            same_owner: true,
            ..UnpackOptions::default()
        },
    );
    r.expect("unpack");
    let root = tmp.path().join("root");
    let meta = |p: &str| fs::symlink_metadata(root.join(p)).expect(p);
    let gone = meta("gone");
    assert!(gone.file_type().is_char_device());
    assert_eq!(gone.rdev(), 0);
    assert!(meta("sub/deep").file_type().is_char_device());
    assert!(!root.join(".wh.gone").exists() && !root.join("dir/.wh..wh..opq").exists());
    assert!(!root.join(".wh..wh.plnk").exists() && !root.join("plnk").exists());
    let opaque = rustix::fs::lgetxattr(
        root.join("dir"),
        "trusted.overlay.opaque",
        &mut [0u8; 8][..],
    );
    assert_eq!(opaque.ok(), Some(1));
    assert_eq!(meta("suid").permissions().mode() & 0o7777, 0o4755);
    assert_eq!(meta("sgid").permissions().mode() & 0o7777, 0o2755);
    assert_eq!(meta("sticky").permissions().mode() & 0o7777, 0o1777);
    assert_eq!(meta("private").permissions().mode() & 0o7777, 0o700);
    assert!(meta("fifo").file_type().is_fifo());
    let s = meta("suid");
    assert_eq!((s.uid(), s.gid()), (1000, 1001));
    assert_eq!(s.mtime(), 1_700_000_000);
    assert_eq!(meta("link").uid(), 1000);
    assert_eq!(meta("link").mtime(), 1_700_000_000);
    assert_eq!(
        meta("dir").mtime(),
        1_700_000_000,
        "directory mtimes are set after their content"
    );
}

#[test]
fn pax_records_xattrs_times_and_owners() {
    let tar = Tar::new()
        .pax(&[
            ("SCHILY.xattr.user.hako", b"yes"),
            ("SCHILY.xattr.trusted.overlay.redirect", b"/etc"),
            ("mtime", b"1700000000.25"),
            ("uid", b"4000000"),
        ])
        .file("with-pax", b"x")
        .bytes();
    let opts = UnpackOptions {
        same_owner: is_root(),
        ..UnpackOptions::default()
    };
    let (tmp, r) = unpack(&tar, &opts);
    let stats = r.expect("unpack");
    assert_eq!(
        stats.entries, 1,
        "the PAX header is not an entry of its own"
    );
    let path = tmp.path().join("root/with-pax");
    let mut buf = [0u8; 16];
    let n = rustix::fs::lgetxattr(&path, "user.hako", &mut buf[..]);
    match n {
        Ok(n) => assert_eq!(&buf[..n], b"yes"),
        // tmpfs without user xattrs: Docker's rule is to warn and go on.
        Err(e) => assert!(e == rustix::io::Errno::NOTSUP, "{e}"),
    }
    assert!(rustix::fs::lgetxattr(&path, "trusted.overlay.redirect", &mut buf[..]).is_err());
    let meta = fs::metadata(&path).expect("meta");
    assert_eq!(
        (meta.mtime(), meta.mtime_nsec()),
        (1_700_000_000, 250_000_000)
    );
    if is_root() {
        assert_eq!(meta.uid(), 4_000_000);
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data).expect("gzip");
    gz.finish().expect("gzip")
}

#[test]
fn a_layer_past_the_size_bound_is_refused() {
    let zeros = vec![0u8; 4 << 20];
    let layer = gzip(&Tar::new().file("zeros", &zeros).bytes());
    let opts = UnpackOptions {
        limits: LayerLimits {
            max_size: 1 << 20,
            ..LayerLimits::UNBOUNDED
        },
        ..no_owner()
    };
    let (_tmp, r) = unpack(&layer, &opts);
    let e = r.expect_err("past the bound");
    assert!(matches!(e, Error::LayerTooLarge { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "layer refused: it expands beyond 1048576 bytes uncompressed (--max-layer-size)"
    );
    // Exactly at the bound is fine: the tar is 4 MiB plus headers and trailer.
    let tar_len = Tar::new().file("zeros", &zeros).bytes().len() as u64;
    let opts = UnpackOptions {
        limits: LayerLimits {
            max_size: tar_len,
            ..LayerLimits::UNBOUNDED
        },
        ..no_owner()
    };
    let (_tmp, r) = unpack(&layer, &opts);
    assert_eq!(r.expect("at the bound").tar_size, tar_len);
}

#[test]
fn a_layer_past_the_ratio_bound_is_refused_above_its_floor() {
    let zeros = vec![0u8; 8 << 20];
    let layer = gzip(&Tar::new().file("zeros", &zeros).bytes());
    let ratio = |floor: u64| UnpackOptions {
        limits: LayerLimits {
            max_size: 0,
            max_ratio: 100,
            ratio_floor: floor,
        },
        ..no_owner()
    };
    let (_tmp, r) = unpack(&layer, &ratio(1 << 20));
    let e = r.expect_err("a run of zeros expands ~1000:1");
    assert!(
        e.to_string()
            .starts_with("layer refused: it expands more than 100:1 ("),
        "{e}"
    );
    // Below the floor the ratio does not apply.
    let (_tmp, r) = unpack(&layer, &ratio(16 << 20));
    r.expect("below the floor");
    // Random bytes barely compress: far from any ratio.
    let noise: Vec<u8> = (0..(2u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let layer = gzip(&Tar::new().file("noise", &noise).bytes());
    let (_tmp, r) = unpack(&layer, &ratio(1 << 20));
    r.expect("ordinary data");
}
