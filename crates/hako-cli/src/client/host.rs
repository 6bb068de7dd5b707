//! Which daemon to talk to: `-H/--host`, then `HAKO_HOST`, then `DOCKER_HOST`, then the
//! default socket. `unix://` sockets and `tcp://HOST:PORT`, with TLS as docker's client
//! does it: `--tlsverify` (or `DOCKER_TLS_VERIFY`), certificates from `--tlscacert`,
//! `--tlscert`, `--tlskey` or `DOCKER_CERT_PATH` (default `~/.docker`: `ca.pem`, `cert.pem`,
//! `key.pem`). `--tls` alone still verifies the server here (no unverified mode).

use std::path::PathBuf;

/// The socket hako's daemon listens on by default.
pub const DEFAULT_HOST: &str = "unix:///run/hako/hako.sock";

/// A daemon address we can dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Unix(PathBuf),
    /// `host:port`, with TLS settings when TLS is on.
    Tcp {
        addr: String,
        tls: Option<TlsFiles>,
    },
}

/// Client-side TLS: the CA the daemon's certificate must chain to, and our certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The TLS flags of the command line.
#[derive(Debug, Clone, Default)]
pub struct TlsFlags {
    pub tls: bool,
    pub verify: bool,
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl TlsFlags {
    /// docker's rules: TLS when `--tls`, `--tlsverify` or `DOCKER_TLS_VERIFY` is set; files
    /// from the flags, else `DOCKER_CERT_PATH`, else `~/.docker`.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<TlsFiles> {
        let verify_env = env("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty());
        if !(self.tls || self.verify || verify_env) {
            return None;
        }
        let dir = env("DOCKER_CERT_PATH")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env("HOME").unwrap_or_else(|| "/root".into())).join(".docker")
            });
        Some(TlsFiles {
            ca: self.ca.clone().unwrap_or_else(|| dir.join("ca.pem")),
            cert: self.cert.clone().unwrap_or_else(|| dir.join("cert.pem")),
            key: self.key.clone().unwrap_or_else(|| dir.join("key.pem")),
        })
    }
}

impl Host {
    /// The address as the user would write it (used in error messages).
    pub fn url(&self) -> String {
        match self {
            Host::Unix(p) => format!("unix://{}", p.display()),
            Host::Tcp { addr, .. } => format!("tcp://{addr}"),
        }
    }
}

/// A host value we cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("unsupported host {0}: use unix:///path or tcp://HOST:PORT")]
    TcpUnsupported(String),
    #[error("invalid host {0:?}: expected unix:///path/to/socket or tcp://HOST:PORT")]
    Invalid(String),
}

/// Parses one host value (`unix:///path`, or a bare absolute path as a convenience).
pub fn parse_host(raw: &str) -> Result<Host, HostError> {
    let raw = raw.trim();
    if let Some(path) = raw.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(HostError::Invalid(raw.to_owned()));
        }
        return Ok(Host::Unix(PathBuf::from(path)));
    }
    if let Some(addr) = raw.strip_prefix("tcp://") {
        let addr = addr.trim_end_matches('/');
        if addr.is_empty() {
            return Err(HostError::Invalid(raw.to_owned()));
        }
        // docker's defaults: 2376 with TLS, 2375 without; the caller decides TLS.
        let addr = if addr
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            addr.to_owned()
        } else {
            format!("{addr}:2375")
        };
        return Ok(Host::Tcp { addr, tls: None });
    }
    if raw.starts_with("http://") || raw.starts_with("https://") {
        return Err(HostError::TcpUnsupported(raw.to_owned()));
    }
    if raw.starts_with('/') {
        return Ok(Host::Unix(PathBuf::from(raw)));
    }
    Err(HostError::Invalid(raw.to_owned()))
}

/// Resolution order: the flag, `HAKO_HOST`, `DOCKER_HOST`, [`DEFAULT_HOST`]. Empty values
/// count as unset, as in docker.
pub fn resolve_host(
    flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Host, HostError> {
    let pick = flag
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
        .or_else(|| env("HAKO_HOST").filter(|s| !s.is_empty()))
        .or_else(|| env("DOCKER_HOST").filter(|s| !s.is_empty()))
        .unwrap_or_else(|| DEFAULT_HOST.to_owned());
    parse_host(&pick)
}

/// [`resolve_host`], then TLS for a `tcp://` host from `flags` and the environment.
pub fn resolve_host_tls(
    flag: Option<&str>,
    flags: &TlsFlags,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Host, HostError> {
    match resolve_host(flag, &env)? {
        Host::Tcp { addr, .. } => Ok(Host::Tcp {
            addr,
            tls: flags.resolve(&env),
        }),
        unix => Ok(unix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn order() {
        let all = [("HAKO_HOST", "unix:///h"), ("DOCKER_HOST", "unix:///d")];
        assert_eq!(
            resolve_host(Some("unix:///f"), env(&all)).unwrap(),
            Host::Unix("/f".into())
        );
        assert_eq!(
            resolve_host(None, env(&all)).unwrap(),
            Host::Unix("/h".into())
        );
        let d = [("HAKO_HOST", ""), ("DOCKER_HOST", "unix:///d")];
        assert_eq!(
            resolve_host(None, env(&d)).unwrap(),
            Host::Unix("/d".into())
        );
        assert_eq!(
            resolve_host(None, env(&[])).unwrap().url(),
            "unix:///run/hako/hako.sock"
        );
    }

    #[test]
    fn schemes() {
        assert!(matches!(
            parse_host("https://1.2.3.4:2375"),
            Err(HostError::TcpUnsupported(_))
        ));
        assert!(parse_host("unix://").is_err());
        assert_eq!(
            parse_host("tcp://127.0.0.1:2376").unwrap().url(),
            "tcp://127.0.0.1:2376"
        );
        let env = |k: &str| match k {
            "DOCKER_TLS_VERIFY" => Some("1".to_string()),
            "DOCKER_CERT_PATH" => Some("/certs".to_string()),
            _ => None,
        };
        let Host::Tcp { tls: Some(tls), .. } =
            resolve_host_tls(Some("tcp://h:1"), &TlsFlags::default(), env).unwrap()
        else {
            panic!("no TLS from DOCKER_TLS_VERIFY");
        };
        assert_eq!(tls.ca, PathBuf::from("/certs/ca.pem"));
        let plain = resolve_host_tls(Some("tcp://h"), &TlsFlags::default(), |_| None).unwrap();
        assert_eq!(
            plain,
            Host::Tcp {
                addr: "h:2375".into(),
                tls: None
            }
        );
        assert!(parse_host("ssh://x").is_err());
        assert_eq!(parse_host("/tmp/s").unwrap(), Host::Unix("/tmp/s".into()));
    }
}
