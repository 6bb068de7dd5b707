//! Copy-up of image content into a fresh volume (moby's `copyExistingContents`): only into
//! an empty volume, never following symlinks, keeping modes, owners and timestamps of
//! regular files. The volume's root takes the image directory's mode and owner.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Copies `from` into `volume` if `volume` is empty.
pub fn copy_up(from: &Path, volume: &Path) -> io::Result<()> {
    if fs::read_dir(volume)?.next().is_some() {
        return Ok(());
    }
    let md = fs::symlink_metadata(from)?;
    if !md.is_dir() {
        return Ok(());
    }
    copy_dir(from, volume)?;
    set_owner_mode(volume, &md)
}

fn set_owner_mode(path: &Path, md: &fs::Metadata) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(md.uid()), Some(md.gid()))?;
    if !md.file_type().is_symlink() {
        fs::set_permissions(path, fs::Permissions::from_mode(md.mode() & 0o7777))?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let md = fs::symlink_metadata(&src)?;
        let ft = md.file_type();
        if ft.is_dir() {
            fs::create_dir(&dst)?;
            copy_dir(&src, &dst)?;
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
        } else if ft.is_file() {
            let mut r = fs::File::open(&src)?;
            let mut w = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&dst)?;
            io::copy(&mut r, &mut w)?;
            if let Ok(m) = md.modified() {
                let _ = w.set_modified(m);
            }
        } else {
            // Devices, fifos and sockets are not copied (Docker copies them; rare in
            // VOLUME directories).
            continue;
        }
        set_owner_mode(&dst, &md)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_into_empty_volume_only() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(src.join("sub/f"), b"x").unwrap();
        fs::set_permissions(src.join("sub/f"), fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", src.join("link")).unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o711)).unwrap();
        let vol = dir.path().join("vol");
        fs::create_dir(&vol).unwrap();
        copy_up(&src, &vol).unwrap();
        assert_eq!(fs::read(vol.join("sub/f")).unwrap(), b"x");
        let mode = |p: &Path| fs::symlink_metadata(p).unwrap().mode() & 0o7777;
        assert_eq!(mode(&vol.join("sub/f")), 0o640);
        assert_eq!(mode(&vol), 0o711);
        assert_eq!(
            fs::read_link(vol.join("link")).unwrap(),
            Path::new("/etc/passwd")
        );
        // Not empty any more: a second copy changes nothing.
        fs::write(src.join("new"), b"y").unwrap();
        copy_up(&src, &vol).unwrap();
        assert!(!vol.join("new").exists());
    }
}
