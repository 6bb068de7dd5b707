//! `hako login` / `hako logout`: credentials in a Docker-compatible `config.json`
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), `auths` entries keyed by
//! registry (`https://index.docker.io/v1/` for Docker Hub) holding base64 `user:password`.
//! The daemon checks them first (`POST /auth`); other keys of the file are kept as they are.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::Ctx;
use crate::error::StatusError;

const DOCKER_HUB: &str = "https://index.docker.io/v1/";

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako login [OPTIONS] [SERVER]")]
pub struct LoginArgs {
    /// Username
    #[arg(short = 'u', long)]
    username: Option<String>,
    /// Password
    #[arg(short = 'p', long)]
    password: Option<String>,
    /// Take the password from stdin
    #[arg(long = "password-stdin")]
    password_stdin: bool,
    /// Registry (Docker Hub when absent)
    server: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako logout [SERVER]")]
pub struct LogoutArgs {
    /// Registry (Docker Hub when absent)
    server: Option<String>,
}

/// The `auths` key for a server argument, as the docker CLI normalises it.
fn server_key(server: Option<&str>) -> String {
    match server {
        None | Some("") => DOCKER_HUB.to_owned(),
        Some(s) => {
            let bare = s
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/');
            if matches!(bare, "docker.io" | "index.docker.io" | "index.docker.io/v1")
                || bare == "registry-1.docker.io"
            {
                DOCKER_HUB.to_owned()
            } else {
                bare.split('/').next().unwrap_or(bare).to_owned()
            }
        }
    }
}

fn config_path() -> PathBuf {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".docker")
        });
    dir.join("config.json")
}

/// The config file as JSON (an empty object when absent).
pub fn load_config() -> anyhow::Result<Value> {
    let path = config_path();
    match std::fs::read(&path) {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(json!({})),
        Ok(b) => Ok(serde_json::from_slice(&b)
            .map_err(|e| anyhow::anyhow!("loading config file {}: {e}", path.display()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(e) => Err(anyhow::anyhow!(
            "loading config file {}: {e}",
            path.display()
        )),
    }
}

fn save_config(cfg: &Value) -> anyhow::Result<()> {
    let path = config_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("json.tmp{}", std::process::id()));
    let bytes = serde_json::to_vec_pretty(cfg)?;
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

/// The stored `auth` (base64 `user:password`) for a key, also under its `http(s)://` forms.
pub fn find_auth(cfg: &Value, key: &str) -> Option<String> {
    let auths = cfg.get("auths")?.as_object()?;
    let candidates = [
        key.to_owned(),
        format!("https://{key}"),
        format!("http://{key}"),
    ];
    candidates.iter().find_map(|k| {
        auths
            .get(k)?
            .get("auth")?
            .as_str()
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
    })
}

/// `X-Registry-Auth` from a stored `auth` value.
pub fn encode_auth_header(auth: &str, server: &str) -> String {
    let (user, pass) = b64::decode(auth.trim())
        .and_then(|raw| {
            String::from_utf8(raw)
                .ok()?
                .split_once(':')
                .map(|(u, p)| (u.to_owned(), p.to_owned()))
        })
        .unwrap_or_default();
    let body = json!({"username": user, "password": pass, "serveraddress": server});
    b64::encode(body.to_string().as_bytes(), true)
}

fn prompt(label: &str) -> anyhow::Result<String> {
    eprint!("{label}");
    let mut s = String::new();
    std::io::stdin().lock().read_line(&mut s)?;
    Ok(s.trim_end_matches(['\n', '\r']).to_owned())
}

pub async fn login(ctx: &Ctx, a: LoginArgs) -> anyhow::Result<i32> {
    let key = server_key(a.server.as_deref());
    if a.password.is_some() && a.password_stdin {
        return Err(
            StatusError::new(1, "--password and --password-stdin are mutually exclusive").into(),
        );
    }
    let username = match a.username.clone() {
        Some(u) => u,
        None if std::io::stdin().is_terminal() => prompt("Username: ")?,
        None => {
            return Err(
                StatusError::new(1, "Must provide --username with --password-stdin").into(),
            );
        }
    };
    let password = if a.password_stdin {
        let mut s = String::new();
        std::io::stdin().lock().read_line(&mut s)?;
        s.trim_end_matches(['\n', '\r']).to_owned()
    } else if let Some(p) = a.password.clone() {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        p
    } else {
        prompt("Password: ")?
    };
    if username.is_empty() || password.is_empty() {
        return Err(StatusError::new(1, "Error: Non-null Username and Password Required").into());
    }
    let client = ctx.client().await?;
    let body = json!({"username": username, "password": password, "serveraddress": key});
    let _resp: Value = client.post_json("/auth", &body).await?;
    let mut cfg = load_config()?;
    if !cfg.is_object() {
        cfg = json!({});
    }
    let root = cfg
        .as_object_mut()
        .ok_or_else(|| anyhow::anyhow!("config.json is not an object"))?;
    let auths = root
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    let raw = format!("{username}:{password}");
    if let Some(m) = auths.as_object_mut() {
        m.insert(
            key.clone(),
            json!({"auth": b64::encode(raw.as_bytes(), false)}),
        );
    }
    save_config(&cfg)?;
    eprintln!(
        "WARNING! Your password will be stored unencrypted in {}.",
        config_path().display()
    );
    println!("Login Succeeded");
    Ok(0)
}

pub async fn logout(_ctx: &Ctx, a: LogoutArgs) -> anyhow::Result<i32> {
    let key = server_key(a.server.as_deref());
    let mut cfg = load_config()?;
    let removed = cfg
        .get_mut("auths")
        .and_then(Value::as_object_mut)
        .map(|m| {
            let keys = [
                key.clone(),
                format!("https://{key}"),
                format!("http://{key}"),
            ];
            keys.iter().filter(|k| m.remove(*k).is_some()).count() > 0
        })
        .unwrap_or(false);
    if !removed {
        println!("Not logged in to {key}");
        return Ok(0);
    }
    save_config(&cfg)?;
    println!("Removing login credentials for {key}");
    Ok(0)
}

/// Base64 for `config.json` `auth` values (standard alphabet) and `X-Registry-Auth`
/// (URL-safe), both padded; decoding accepts either alphabet, padded or not. Small enough
/// not to be worth a dependency.
pub(crate) mod b64 {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(input: &[u8], url_safe: bool) -> String {
        let table = if url_safe { URL } else { STD };
        let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn decode(input: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(input.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0u32);
        for c in input.bytes().filter(|c| *c != b'=') {
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
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        assert_eq!(
            b64::encode(b"fixture:fixture-password", false),
            "Zml4dHVyZTpmaXh0dXJlLXBhc3N3b3Jk"
        );
        assert_eq!(b64::encode(b"a", false), "YQ==");
        assert_eq!(b64::encode(b"ab", false), "YWI=");
        assert_eq!(b64::encode(&[0xfb, 0xff], true), "-_8=");
        for s in [&b""[..], b"a", b"ab", b"abc", b"\xfb\xff\x00{}"] {
            assert_eq!(b64::decode(&b64::encode(s, true)).as_deref(), Some(s));
        }
    }

    #[test]
    fn keys_and_lookup() {
        assert_eq!(server_key(None), DOCKER_HUB);
        assert_eq!(server_key(Some("docker.io")), DOCKER_HUB);
        assert_eq!(server_key(Some("127.0.0.1:5001")), "127.0.0.1:5001");
        assert_eq!(
            server_key(Some("https://127.0.0.1:5002/")),
            "127.0.0.1:5002"
        );
        let cfg = json!({"auths": {"https://127.0.0.1:5001": {"auth": "dTpw"}}});
        assert_eq!(find_auth(&cfg, "127.0.0.1:5001").as_deref(), Some("dTpw"));
        assert_eq!(find_auth(&cfg, "127.0.0.1:5000"), None);
        let header = encode_auth_header("dTpw", "127.0.0.1:5001");
        let raw = b64::decode(&header).unwrap();
        let v: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(v["username"], "u");
        assert_eq!(v["password"], "p");
    }
}
