//! `cp`, `diff` and `export` wire types: `/containers/{id}/archive` queries, the
//! `X-Docker-Container-Path-Stat` header (base64 of JSON), `/containers/{id}/changes`.

use serde::{Deserialize, Serialize};

/// The header carrying a [`PathStat`].
pub const PATH_STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// moby `container.PathStat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathStat {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub size: i64,
    /// Go `os.FileMode` bits (directory `1<<31`, symlink `1<<27`).
    #[serde(default)]
    pub mode: u32,
    #[serde(default)]
    pub mtime: String,
    #[serde(default, rename = "linkTarget")]
    pub link_target: String,
}

impl PathStat {
    /// Go's `ModeDir`.
    pub const MODE_DIR: u32 = 1 << 31;
    /// Go's `ModeSymlink`.
    pub const MODE_SYMLINK: u32 = 1 << 27;

    /// A directory.
    pub fn is_dir(&self) -> bool {
        self.mode & Self::MODE_DIR != 0
    }
}

/// `GET|HEAD /containers/{id}/archive?path=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveQuery {
    #[serde(default)]
    pub path: String,
}

/// `PUT /containers/{id}/archive?path=&noOverwriteDirNonDir=&copyUIDGID=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractQuery {
    #[serde(default)]
    pub path: String,
    #[serde(
        default,
        rename = "noOverwriteDirNonDir",
        with = "crate::query::docker_bool",
        skip_serializing_if = "crate::query::docker_bool::is_false"
    )]
    pub no_overwrite_dir_non_dir: bool,
    #[serde(
        default,
        rename = "copyUIDGID",
        with = "crate::query::docker_bool",
        skip_serializing_if = "crate::query::docker_bool::is_false"
    )]
    pub copy_uid_gid: bool,
}

/// One `GET /containers/{id}/changes` item (`Kind`: 0 modified, 1 added, 2 deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeItem {
    pub path: String,
    pub kind: u8,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (Go's `base64.StdEncoding`).
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard or URL-safe base64, padded or not; `None` if malformed.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&e).unwrap(), s.as_bytes());
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
    }

    #[test]
    fn stat_json_has_docker_names() {
        let s = PathStat {
            name: "x".into(),
            mode: PathStat::MODE_DIR | 0o755,
            ..PathStat::default()
        };
        let j = serde_json::to_string(&s).unwrap();
        assert!(j.contains("\"linkTarget\":\"\"") && j.contains("\"mode\":2147484141"));
    }
}
