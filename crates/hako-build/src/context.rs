//! The build context on disk: `.dockerignore`, `COPY`/`ADD` sources and the layer tar
//! they become.
//!
//! The layer tar names every entry from `/` (`app/main.sh`), so that the engine extracts
//! it at the root of the step's container. Its sha256 is the content digest the step's
//! history carries (`COPY file:<hex> in /app`), which is also the cache key.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::error::{BuildError, Result};

/// `.dockerignore` patterns (Go `filepath.Match` with `**`, `!` exceptions, last match
/// wins, a matched directory excludes what is under it).
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    patterns: Vec<(bool, Vec<String>)>,
}

impl Ignore {
    /// Reads `<root>/.dockerignore` (absent: nothing ignored).
    pub fn load(root: &Path) -> Result<Self> {
        let text = match fs::read_to_string(root.join(".dockerignore")) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(BuildError::io("read .dockerignore", e)),
        };
        Ok(Self::parse(&text))
    }

    /// Parses the patterns of a `.dockerignore`.
    pub fn parse(text: &str) -> Self {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (negate, p) = match l.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, l),
            };
            let parts: Vec<String> = p
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .map(str::to_owned)
                .collect();
            if !parts.is_empty() {
                patterns.push((negate, parts));
            }
        }
        Self { patterns }
    }

    /// Whether `rel` (slash-separated, relative to the context) is excluded.
    pub fn excluded(&self, rel: &str) -> bool {
        let parts: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
        let mut out = false;
        for (negate, pat) in &self.patterns {
            // A pattern matching a parent directory matches everything under it.
            let hit = (1..=parts.len()).any(|n| glob_parts(pat, &parts[..n]));
            if hit {
                out = !negate;
            }
        }
        out
    }

    /// Removes the excluded files from the extracted context at `root`, keeping the
    /// Dockerfile and `.dockerignore` the build reads.
    pub fn apply(&self, root: &Path, keep: &[&str]) -> Result<()> {
        if self.patterns.is_empty() {
            return Ok(());
        }
        self.apply_in(root, Path::new(""), keep).map(|_| ())
    }

    /// Returns whether anything under `rel` was kept.
    fn apply_in(&self, root: &Path, rel: &Path, keep: &[&str]) -> Result<bool> {
        let exceptions = self.patterns.iter().any(|(neg, _)| *neg);
        // Removing entries touches the directory's mtime, which the layer (and so the
        // cache key) carries: it is put back afterwards.
        let dir_path = root.join(rel);
        let mtime = fs::metadata(&dir_path).and_then(|m| m.modified()).ok();
        let _restore = RestoreMtime(dir_path.clone(), mtime);
        let entries =
            fs::read_dir(root.join(rel)).map_err(|e| BuildError::io("read the context", e))?;
        let mut kept_any = false;
        for entry in entries {
            let entry = entry.map_err(|e| BuildError::io("read the context", e))?;
            let child = rel.join(entry.file_name());
            let name = child.to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let excluded = self.excluded(&name) && !keep.contains(&name.as_str());
            let path = root.join(&child);
            if !excluded {
                if is_dir {
                    self.apply_in(root, &child, keep)?;
                }
                kept_any = true;
                continue;
            }
            // An exception may re-include something below an excluded directory; the
            // directory stays only for what it re-includes.
            if is_dir && exceptions && self.apply_in(root, &child, keep)? {
                kept_any = true;
                continue;
            }
            let r = if is_dir {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            r.map_err(|e| BuildError::io(format!("drop ignored {name}"), e))?;
        }
        Ok(kept_any)
    }
}

struct RestoreMtime(PathBuf, Option<std::time::SystemTime>);

impl Drop for RestoreMtime {
    fn drop(&mut self) {
        if let Some(t) = self.1
            && let Ok(f) = fs::File::open(&self.0)
        {
            let _ = f.set_modified(t);
        }
    }
}

fn glob_parts(pat: &[String], path: &[&str]) -> bool {
    match (pat.first(), path.first()) {
        (None, None) => true,
        (Some(p), _) if p == "**" => {
            glob_parts(&pat[1..], path) || (!path.is_empty() && glob_parts(pat, &path[1..]))
        }
        (Some(p), Some(s)) => glob(p.as_bytes(), s.as_bytes()) && glob_parts(&pat[1..], &path[1..]),
        _ => false,
    }
}

/// Go's `filepath.Match` on one path element: `*`, `?`, `[...]` classes, `\` escapes.
pub fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| glob(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && glob(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(end) = p.iter().skip(1).position(|&c| c == b']').map(|i| i + 1) else {
                return false;
            };
            let Some(&c) = s.first() else { return false };
            let class = &p[1..end];
            let (neg, class) = match class.first() {
                Some(b'^' | b'!') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != neg && glob(&p[end + 1..], &s[1..])
        }
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && glob(&p[2..], &s[1..]),
        Some(&c) => s.first() == Some(&c) && glob(&p[1..], &s[1..]),
    }
}

/// Cleans a context-relative source path; `..` cannot leave the context.
fn clean(rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// The sources a `COPY`/`ADD` names, wildcards resolved against the context.
pub fn resolve_sources(root: &Path, srcs: &[String]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for src in srcs {
        let rel = clean(src);
        let has_glob = src.contains(['*', '?', '[']);
        if !has_glob {
            let path = root.join(&rel);
            if fs::symlink_metadata(&path).is_err() {
                return Err(BuildError::Invalid(format!(
                    "COPY failed: file not found in build context or excluded by .dockerignore: stat {}: file does not exist",
                    rel.display()
                )));
            }
            out.push(rel);
            continue;
        }
        let pat: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let mut found = Vec::new();
        walk_match(root, &PathBuf::new(), &pat, &mut found)?;
        if found.is_empty() {
            return Err(BuildError::Invalid(
                "COPY failed: no source files were specified".into(),
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

fn walk_match(root: &Path, rel: &Path, pat: &[String], out: &mut Vec<PathBuf>) -> Result<()> {
    let Some((first, rest)) = pat.split_first() else {
        return Ok(());
    };
    let entries = match fs::read_dir(root.join(rel)) {
        Ok(e) => e,
        Err(_) => return Ok(()),
    };
    for entry in entries {
        let entry = entry.map_err(|e| BuildError::io("read the context", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !glob(first.as_bytes(), name.as_bytes()) {
            continue;
        }
        let child = rel.join(&name);
        if rest.is_empty() {
            out.push(child);
        } else if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk_match(root, &child, rest, out)?;
        }
    }
    Ok(())
}

/// Owner of copied files (`--chown`), root unless given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owner {
    /// Numeric user ID.
    pub uid: u64,
    /// Numeric group ID.
    pub gid: u64,
}

impl Owner {
    /// Parses `--chown=uid[:gid]`; names other than `root` need the image's passwd files.
    pub fn parse(spec: &str) -> Result<Self> {
        let (u, g) = spec.split_once(':').unwrap_or((spec, spec));
        let id = |s: &str| -> Result<u64> {
            if s == "root" {
                return Ok(0);
            }
            s.parse().map_err(|_| {
                BuildError::NotImplemented(format!("--chown with a user or group name ({s})"))
            })
        };
        Ok(Self {
            uid: id(u)?,
            gid: id(g)?,
        })
    }
}

/// What a `COPY`/`ADD` step writes: a tar of absolute paths and its digest.
#[derive(Debug)]
pub struct LayerTar {
    /// The tar file (removed by the caller).
    pub path: PathBuf,
    /// `file:`, `dir:` or `multi:` plus the sha256 of the tar: Docker's history note.
    pub digest: String,
}

/// Writes the tar for copying `srcs` (context-relative) to `dest` (absolute in the image).
/// `extract_archives` is ADD's rule: a local tar (plain or gzip) is unpacked into `dest`.
pub fn layer_tar(
    root: &Path,
    srcs: &[PathBuf],
    dest: &str,
    owner: Owner,
    extract_archives: bool,
    out_path: &Path,
) -> Result<LayerTar> {
    let file = fs::File::create(out_path).map_err(|e| BuildError::io("create the layer", e))?;
    let mut hashing = HashWriter {
        inner: file,
        hash: Sha256::new(),
    };
    let dest_is_dir = dest.ends_with('/') || srcs.len() > 1;
    let dest = dest
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_owned();
    let mut kind = "multi";
    {
        let mut tar = tar::Builder::new(&mut hashing);
        tar.follow_symlinks(false);
        for src in srcs {
            let abs = root.join(src);
            let meta = fs::symlink_metadata(&abs)
                .map_err(|e| BuildError::io(format!("stat {}", src.display()), e))?;
            let name = src
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if meta.is_dir() {
                kind = if srcs.len() == 1 { "dir" } else { "multi" };
                add_dir(&mut tar, &abs, &dest, owner)?;
            } else if extract_archives && is_archive(&abs) {
                kind = if srcs.len() == 1 { "file" } else { "multi" };
                add_archive(&mut tar, &abs, &dest, owner)?;
            } else {
                kind = if srcs.len() == 1 { "file" } else { "multi" };
                let target = if dest_is_dir || dest.is_empty() {
                    join(&dest, &name)
                } else {
                    dest.clone()
                };
                add_entry(&mut tar, &abs, &target, owner)?;
            }
        }
        tar.finish()
            .map_err(|e| BuildError::io("write the layer", e))?;
    }
    hashing
        .inner
        .flush()
        .map_err(|e| BuildError::io("write the layer", e))?;
    Ok(LayerTar {
        path: out_path.to_owned(),
        digest: format!("{kind}:{}", hex::encode(hashing.hash.finalize())),
    })
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// A directory's contents (not the directory itself, whose metadata is the context's
/// extraction, not the user's) under `dest`.
fn add_dir<W: Write>(
    tar: &mut tar::Builder<W>,
    abs: &Path,
    dest: &str,
    owner: Owner,
) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(abs)
        .map_err(|e| BuildError::io(format!("read {}", abs.display()), e))?
        .filter_map(std::result::Result::ok)
        .collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let target = join(dest, &name);
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            add_entry(tar, &e.path(), &target, owner)?;
            add_dir(tar, &e.path(), &target, owner)?;
        } else {
            add_entry(tar, &e.path(), &target, owner)?;
        }
    }
    Ok(())
}

fn add_entry<W: Write>(
    tar: &mut tar::Builder<W>,
    abs: &Path,
    target: &str,
    owner: Owner,
) -> Result<()> {
    let meta = fs::symlink_metadata(abs)
        .map_err(|e| BuildError::io(format!("stat {}", abs.display()), e))?;
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    header.set_uid(owner.uid);
    header.set_gid(owner.gid);
    header.set_username("").ok();
    header.set_groupname("").ok();
    let err = |e| BuildError::io(format!("add {target} to the layer"), e);
    if meta.file_type().is_symlink() {
        let link = fs::read_link(abs).map_err(err)?;
        header.set_size(0);
        tar.append_link(&mut header, target, link).map_err(err)?;
    } else if meta.is_dir() {
        header.set_size(0);
        tar.append_data(&mut header, format!("{target}/"), io::empty())
            .map_err(err)?;
    } else if meta.is_file() {
        let f = fs::File::open(abs).map_err(err)?;
        tar.append_data(&mut header, target, f).map_err(err)?;
    }
    Ok(())
}

fn is_archive(path: &Path) -> bool {
    let mut head = [0u8; 512];
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let n = f.read(&mut head).unwrap_or(0);
    if n >= 2 && head[..2] == [0x1f, 0x8b] {
        return true;
    }
    n >= 262 && &head[257..262] == b"ustar"
}

fn add_archive<W: Write>(
    tar: &mut tar::Builder<W>,
    abs: &Path,
    dest: &str,
    owner: Owner,
) -> Result<()> {
    let err = |e| BuildError::io(format!("extract {}", abs.display()), e);
    let mut f = fs::File::open(abs).map_err(err)?;
    let mut magic = [0u8; 2];
    let gz = f.read(&mut magic).map_err(err)? == 2 && magic == [0x1f, 0x8b];
    let f = fs::File::open(abs).map_err(err)?;
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(err)? {
        let mut entry = entry.map_err(err)?;
        let rel = clean(&entry.path().map_err(err)?.to_string_lossy());
        if rel.as_os_str().is_empty() {
            continue;
        }
        let target = join(dest, &rel.to_string_lossy());
        let mut header = entry.header().clone();
        if owner != Owner::default() {
            header.set_uid(owner.uid);
            header.set_gid(owner.gid);
        }
        match entry.header().entry_type() {
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let link = entry
                    .link_name()
                    .map_err(err)?
                    .unwrap_or_default()
                    .into_owned();
                let link = if entry.header().entry_type() == tar::EntryType::Link {
                    PathBuf::from(join(
                        dest,
                        &clean(&link.to_string_lossy()).to_string_lossy(),
                    ))
                } else {
                    link
                };
                tar.append_link(&mut header, &target, link).map_err(err)?;
            }
            _ => {
                tar.append_data(&mut header, &target, &mut entry)
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

struct HashWriter<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_rules() {
        let ig = Ignore::parse("# c\n*.log\nbuild\n!build/keep\n**/tmp\n");
        assert!(ig.excluded("a.log"));
        assert!(!ig.excluded("d/a.log"));
        assert!(ig.excluded("build/x"));
        assert!(!ig.excluded("build/keep"));
        assert!(ig.excluded("x/y/tmp/z"));
        assert!(!ig.excluded("main.rs"));
    }

    #[test]
    fn globs() {
        assert!(glob(b"*.txt", b"a.txt"));
        assert!(glob(b"f?[a-c]", b"fob"));
        assert!(!glob(b"f?[a-c]", b"fod"));
    }

    #[test]
    fn layer_of_a_dir_and_a_file() {
        let ctx = tempfile::tempdir().unwrap();
        fs::create_dir(ctx.path().join("d")).unwrap();
        fs::write(ctx.path().join("d/x"), "x").unwrap();
        fs::write(ctx.path().join("f"), "f").unwrap();
        let out = ctx.path().join("layer.tar");
        let srcs = resolve_sources(ctx.path(), &["d".into(), "f".into()]).unwrap();
        let t = layer_tar(
            ctx.path(),
            &srcs,
            "/app/",
            Owner { uid: 5, gid: 6 },
            false,
            &out,
        )
        .unwrap();
        assert!(t.digest.starts_with("multi:"));
        let mut ar = tar::Archive::new(fs::File::open(&out).unwrap());
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                assert_eq!(e.header().uid().unwrap(), 5);
                e.path().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(names, vec!["app/x", "app/f"]);
        assert!(resolve_sources(ctx.path(), &["nope".into()]).is_err());
        assert_eq!(resolve_sources(ctx.path(), &["*".into()]).unwrap().len(), 3);
    }
}
