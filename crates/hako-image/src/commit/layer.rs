//! An overlayfs upper directory as a layer tar: what the container added or changed, with
//! overlayfs' deletion marks turned into the OCI whiteouts the unpacker reads back
//! (a 0/0 character device `NAME` becomes an empty `.wh.NAME`, a directory with
//! `trusted.overlay.opaque=y` gets a `.wh..wh..opq` entry after its own).
//!
//! Entries are written in sorted order with owners, modes, times and extended attributes
//! (PAX `SCHILY.xattr.*`, as Docker writes them) kept, so that the same upper directory
//! always gives the same diff ID. Hard links inside the upper directory stay hard links.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use tar::{EntryType, Header, HeaderMode};

use super::owners::OwnerMap;
use crate::digest::{Digest, Hasher};

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// The xattrs overlayfs marks opaque directories with (privileged and `userxattr` mounts).
const OPAQUE_XATTRS: [&str; 2] = ["trusted.overlay.opaque", "user.overlay.opaque"];
/// overlayfs' own attributes on upper-directory files; never part of a layer.
const OVERLAY_XATTR_PREFIXES: [&str; 2] = ["trusted.overlay.", "user.overlay."];
const PAX_XATTR_PREFIX: &str = "SCHILY.xattr.";
/// Linux's bounds on a file's xattr name list and on one value.
const XATTR_LIST_MAX: usize = 64 << 10;
const XATTR_SIZE_MAX: usize = 64 << 10;

/// What [`write_diff`] produced.
#[derive(Debug, Clone)]
pub(crate) struct DiffStats {
    /// sha256 of the uncompressed tar.
    pub diff_id: Digest,
    /// Tar entries written (0: the container changed nothing).
    pub entries: usize,
}

/// Writes the tar of `upper` into `out`, leaving out the paths in `exclude` (absolute, as
/// the container sees them: the mount targets the engine created) and everything under
/// them; `owners` turns host IDs into the container's for a remapped container.
pub(crate) fn write_diff<W: Write>(
    upper: &Path,
    exclude: &[String],
    owners: Option<&OwnerMap>,
    out: W,
) -> io::Result<(DiffStats, W)> {
    let mut builder = tar::Builder::new(HashingWriter {
        inner: out,
        hasher: Hasher::new(),
    });
    builder.follow_symlinks(false);
    let mut walk = Walk {
        builder: &mut builder,
        exclude,
        owners,
        links: HashMap::new(),
        entries: 0,
    };
    walk.dir(upper, "")?;
    let entries = walk.entries;
    let hashing = builder.into_inner()?;
    let diff_id = hashing.hasher.finish();
    Ok((DiffStats { diff_id, entries }, hashing.inner))
}

struct Walk<'a, W: Write> {
    builder: &'a mut tar::Builder<W>,
    exclude: &'a [String],
    owners: Option<&'a OwnerMap>,
    /// (dev, inode) → first path written, for hard links.
    links: HashMap<(u64, u64), String>,
    entries: usize,
}

impl<W: Write> Walk<'_, W> {
    fn dir(&mut self, dir: &Path, rel: &str) -> io::Result<()> {
        let mut names: Vec<_> = fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for name in names {
            let name_str = name.to_string_lossy();
            let path = dir.join(&name);
            let rel_path = format!("{rel}{name_str}");
            if self
                .exclude
                .iter()
                .any(|x| x.trim_start_matches('/') == rel_path)
            {
                continue;
            }
            let md = fs::symlink_metadata(&path)?;
            let ft = md.file_type();
            if ft.is_char_device() && md.rdev() == 0 {
                let marker = format!("{rel}{WHITEOUT_PREFIX}{name_str}");
                self.empty_file(&marker, &md)?;
            } else if ft.is_dir() {
                self.append(&path, &md, &format!("{rel_path}/"), None, None)?;
                if is_opaque(&path) {
                    self.empty_file(&format!("{rel_path}/{OPAQUE_MARKER}"), &md)?;
                }
                self.dir(&path, &format!("{rel_path}/"))?;
            } else if ft.is_symlink() {
                let target = fs::read_link(&path)?;
                self.append(&path, &md, &rel_path, Some(&target), None)?;
            } else if ft.is_file() {
                if md.nlink() > 1 {
                    let key = (md.dev(), md.ino());
                    if let Some(first) = self.links.get(&key).cloned() {
                        let mut h = self.header(&md);
                        h.set_entry_type(EntryType::Link);
                        h.set_size(0);
                        self.builder.append_link(&mut h, &rel_path, &first)?;
                        self.entries += 1;
                        continue;
                    }
                    self.links.insert(key, rel_path.clone());
                }
                let file = fs::File::open(&path)?;
                self.append(&path, &md, &rel_path, None, Some(file))?;
            } else {
                // Devices, fifos, sockets: header only.
                self.append(&path, &md, &rel_path, None, None)?;
            }
        }
        Ok(())
    }

    fn append(
        &mut self,
        path: &Path,
        md: &fs::Metadata,
        name: &str,
        link: Option<&Path>,
        data: Option<fs::File>,
    ) -> io::Result<()> {
        let xattrs = xattrs(path)?;
        if !xattrs.is_empty() {
            let records: Vec<(String, &[u8])> = xattrs
                .iter()
                .map(|(k, v)| (format!("{PAX_XATTR_PREFIX}{k}"), v.as_slice()))
                .collect();
            self.builder
                .append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), *v)))?;
        }
        let mut h = self.header(md);
        self.entries += 1;
        match (link, data) {
            (Some(target), _) => self.builder.append_link(&mut h, name, target),
            (None, Some(file)) => self.builder.append_data(&mut h, name, file),
            (None, None) => {
                h.set_size(0);
                self.builder.append_data(&mut h, name, io::empty())
            }
        }
    }

    fn header(&self, md: &fs::Metadata) -> Header {
        let mut h = Header::new_gnu();
        h.set_metadata_in_mode(md, HeaderMode::Complete);
        if let Some(o) = self.owners {
            h.set_uid(o.uid(md.uid()).into());
            h.set_gid(o.gid(md.gid()).into());
        }
        h
    }

    fn empty_file(&mut self, name: &str, like: &fs::Metadata) -> io::Result<()> {
        let mut h = Header::new_gnu();
        h.set_entry_type(EntryType::Regular);
        h.set_mode(0o600);
        h.set_size(0);
        h.set_mtime(u64::try_from(like.mtime()).unwrap_or(0));
        self.entries += 1;
        self.builder.append_data(&mut h, name, io::empty())
    }
}

/// A file's extended attributes, sorted by name, as Docker's archives carry them (PAX
/// `SCHILY.xattr.NAME`): `user.*`, `security.capability` and the rest, but not
/// overlayfs' own marks (`trusted.overlay.*`, `user.overlay.*` on `userxattr` mounts),
/// which describe the upper directory, not the container's files.
fn xattrs(path: &Path) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut names = vec![0u8; 1024];
    let len = loop {
        match rustix::fs::llistxattr(path, &mut names[..]) {
            Ok(n) => break n,
            Err(rustix::io::Errno::RANGE) if names.len() < XATTR_LIST_MAX => {
                names.resize(names.len() * 4, 0);
            }
            // Filesystems without xattrs have none to keep.
            Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
    };
    let mut out = Vec::new();
    for raw in names[..len].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(raw).into_owned();
        if OVERLAY_XATTR_PREFIXES.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let mut value = vec![0u8; 256];
        let n = loop {
            match rustix::fs::lgetxattr(path, raw, &mut value[..]) {
                Ok(n) => break n,
                Err(rustix::io::Errno::RANGE) if value.len() < XATTR_SIZE_MAX => {
                    value.resize(value.len() * 4, 0);
                }
                // Removed between the list and the read.
                Err(rustix::io::Errno::NODATA) => break usize::MAX,
                Err(e) => return Err(e.into()),
            }
        };
        if n != usize::MAX {
            value.truncate(n);
            out.push((name, value));
        }
    }
    out.sort();
    Ok(out)
}

fn is_opaque(dir: &Path) -> bool {
    let mut buf = [0u8; 4];
    OPAQUE_XATTRS.iter().any(
        |name| matches!(rustix::fs::lgetxattr(dir, *name, &mut buf[..]), Ok(1) if buf[0] == b'y'),
    )
}

struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn names(tar_bytes: &[u8]) -> Vec<(String, EntryType)> {
        let mut a = tar::Archive::new(tar_bytes);
        a.entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    e.header().entry_type(),
                )
            })
            .collect()
    }

    #[test]
    fn files_dirs_links_and_exclusions_in_sorted_order() {
        let t = tempfile::tempdir().unwrap();
        let up = t.path();
        fs::create_dir_all(up.join("etc")).unwrap();
        fs::write(up.join("etc/b"), b"bee").unwrap();
        fs::write(up.join("etc/a"), b"a").unwrap();
        fs::hard_link(up.join("etc/a"), up.join("etc/a2")).unwrap();
        std::os::unix::fs::symlink("/etc/a", up.join("link")).unwrap();
        fs::write(up.join("hostname-target"), b"").unwrap();
        let (stats, bytes) =
            write_diff(up, &["/hostname-target".to_owned()], None, Vec::new()).unwrap();
        assert_eq!(stats.diff_id, Digest::of(&bytes));
        assert_eq!(
            names(&bytes),
            vec![
                ("etc/".to_owned(), EntryType::Directory),
                ("etc/a".to_owned(), EntryType::Regular),
                ("etc/a2".to_owned(), EntryType::Link),
                ("etc/b".to_owned(), EntryType::Regular),
                ("link".to_owned(), EntryType::Symlink),
            ]
        );
        assert_eq!(stats.entries, 5);
        let mut a = tar::Archive::new(&bytes[..]);
        let mut e = a.entries().unwrap().nth(3).unwrap().unwrap();
        let mut s = String::new();
        e.read_to_string(&mut s).unwrap();
        assert_eq!(s, "bee");
        // Same input, same digest.
        let (again, _) =
            write_diff(up, &["/hostname-target".to_owned()], None, Vec::new()).unwrap();
        assert_eq!(again.diff_id, stats.diff_id);
    }

    #[test]
    fn xattrs_become_pax_records_but_overlay_marks_do_not() {
        // Beside the target dir rather than in /tmp, which may be a tmpfs without user
        // xattrs.
        let t = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let up = t.path();
        fs::write(up.join("f"), b"x").unwrap();
        let set = |name: &str, value: &[u8]| {
            rustix::fs::lsetxattr(up.join("f"), name, value, rustix::fs::XattrFlags::empty())
        };
        if set("user.hako", b"yes").is_err() {
            return; // no user xattrs on this filesystem
        }
        let overlay_mark =
            rustix::process::geteuid().is_root() && set("trusted.overlay.origin", b"\x00").is_ok();
        let (_, bytes) = write_diff(up, &[], None, Vec::new()).unwrap();
        let mut a = tar::Archive::new(&bytes[..]);
        let mut e = a.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(e.path().unwrap().to_string_lossy(), "f");
        let records: Vec<(String, Vec<u8>)> = e
            .pax_extensions()
            .unwrap()
            .expect("pax records")
            .map(|r| {
                let r = r.unwrap();
                (r.key().unwrap().to_owned(), r.value_bytes().to_vec())
            })
            .collect();
        assert_eq!(
            records,
            vec![("SCHILY.xattr.user.hako".to_owned(), b"yes".to_vec())],
            "overlay mark set: {overlay_mark}"
        );
    }

    #[test]
    fn empty_upper_has_no_entries() {
        let t = tempfile::tempdir().unwrap();
        let (stats, _) = write_diff(t.path(), &[], None, Vec::new()).unwrap();
        assert_eq!(stats.entries, 0);
    }

    #[test]
    fn whiteouts_become_wh_files() {
        if !rustix::process::geteuid().is_root() {
            return; // mknod of a whiteout needs root; the integration tests cover it too
        }
        let t = tempfile::tempdir().unwrap();
        let up = t.path();
        fs::create_dir(up.join("d")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            up.join("d/gone"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0),
            0,
        )
        .unwrap();
        rustix::fs::lsetxattr(
            up.join("d"),
            "trusted.overlay.opaque",
            b"y",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
        let (_, bytes) = write_diff(up, &[], None, Vec::new()).unwrap();
        let n: Vec<String> = names(&bytes).into_iter().map(|(n, _)| n).collect();
        assert_eq!(n, vec!["d/", "d/.wh..wh..opq", "d/.wh.gone"]);
    }
}
