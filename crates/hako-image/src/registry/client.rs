//! A Registry HTTP API v2 client for one repository: scheme choice, auth, manifests, blobs.

use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use tracing::debug;
use ureq::http::{Response, StatusCode};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::auth::{AuthConfig, Challenge};
use crate::digest::Digest;
use crate::error::{Error, RegistryErrorKind, Result};
use crate::reference::Reference;

/// Where registries are reached and which ones may be plain HTTP.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// `--insecure-registry` entries: `host[:port]` or a CIDR (`10.0.0.0/8`). 127.0.0.0/8
    /// and `localhost` are always insecure, as in Docker.
    pub insecure: Vec<String>,
    /// Directories with one subdirectory per registry (`host:port`) holding `*.crt` CA
    /// certificates, as Docker's `/etc/docker/certs.d`.
    pub certs_dirs: Vec<PathBuf>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            insecure: Vec::new(),
            certs_dirs: vec![
                PathBuf::from("/etc/hako/certs.d"),
                PathBuf::from("/etc/docker/certs.d"),
            ],
        }
    }
}

impl RegistryConfig {
    /// Whether `host` (`host[:port]`) may be reached over plain HTTP.
    pub fn is_insecure(&self, host: &str) -> bool {
        let name = host_name(host);
        if name == "localhost" {
            return true;
        }
        let ip = name.parse::<IpAddr>().ok();
        if ip.is_some_and(|ip| ip.is_loopback()) {
            return true;
        }
        self.insecure.iter().any(|entry| {
            if entry == host || entry == name {
                return true;
            }
            match (entry.split_once('/'), ip) {
                (Some((net, bits)), Some(ip)) => in_cidr(ip, net, bits),
                _ => false,
            }
        })
    }

    /// Extra root certificates for `host` from the certs directories.
    fn extra_roots(&self, host: &str) -> Vec<Certificate<'static>> {
        let mut out = Vec::new();
        for dir in &self.certs_dirs {
            let Ok(entries) = std::fs::read_dir(dir.join(host)) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "crt") {
                    out.extend(read_pem_certs(&p));
                }
            }
        }
        out
    }
}

fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

fn in_cidr(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

fn read_pem_certs(path: &Path) -> Vec<Certificate<'static>> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    ureq::tls::parse_pem(&bytes)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c.to_owned()),
            _ => None,
        })
        .collect()
}

/// The system's CA bundle (Debian's `ca-certificates`).
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The host a reference's domain is served from (`docker.io` is `registry-1.docker.io`).
pub fn registry_host(domain: &str) -> &str {
    if domain == "docker.io" || domain == "index.docker.io" {
        "registry-1.docker.io"
    } else {
        domain
    }
}

/// Manifest media types we accept, best first (as containerd sends them).
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// A fetched manifest or index.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// Its digest (verified against the bytes).
    pub digest: Digest,
    /// `Content-Type` as the registry sent it.
    pub media_type: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
}

/// A client for one repository of one registry.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    /// `https://host` or `http://host`.
    base: String,
    /// Repository path (`library/busybox`).
    repo: String,
    creds: Option<AuthConfig>,
    /// The `Authorization` value that worked last.
    authorization: Mutex<Option<String>>,
    /// `pull` or `pull,push`.
    actions: &'static str,
}

/// The registry's `{"errors": [...]}` body.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Debug, Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct TokenBody {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
}

impl Client {
    /// Opens a client for `reference`'s repository. For insecure registries HTTPS is tried
    /// first and plain HTTP used when the TLS connection fails (Docker's order).
    pub fn connect(
        reference: &Reference,
        config: &RegistryConfig,
        creds: Option<AuthConfig>,
        push: bool,
    ) -> Result<Client> {
        let host = registry_host(reference.domain()).to_owned();
        let extra = config.extra_roots(&host);
        let roots = if extra.is_empty() {
            RootCerts::WebPki
        } else {
            let mut all = read_pem_certs(Path::new(SYSTEM_BUNDLE));
            all.extend(extra);
            RootCerts::from(all)
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            // No bound on a whole body: a large layer may take many minutes. A registry
            // that dies closes the connection and fails the pull; one that goes silent
            // stalls it, as with Docker.
            .timeout_recv_body(None)
            .user_agent(concat!("hako/", env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build()
            .into();
        let mut client = Client {
            agent,
            base: format!("https://{host}"),
            repo: reference.path().to_owned(),
            creds,
            authorization: Mutex::new(None),
            actions: if push { "pull,push" } else { "pull" },
        };
        if config.is_insecure(&host) {
            let ping = format!("https://{host}/v2/");
            // Bounded: a plain-HTTP server may wait for a request line that a TLS
            // handshake never sends.
            let probe = client
                .agent
                .get(&ping)
                .config()
                .timeout_global(Some(Duration::from_secs(3)))
                .build()
                .call();
            if let Err(e) = probe {
                debug!(%host, error = %e, "https failed, using plain http");
                client.base = format!("http://{host}");
            }
        }
        Ok(client)
    }

    /// The base URL (`http://127.0.0.1:5000`).
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, kind: &str, reference: &str) -> String {
        format!("{}/v2/{}/{kind}/{reference}", self.base, self.repo)
    }

    /// Sends a request, answering one auth challenge. Returns the final response whatever
    /// its status.
    pub(super) fn send(
        &self,
        method: &str,
        url: &str,
        accept: Option<&str>,
    ) -> Result<Response<ureq::Body>> {
        self.send_body(method, url, accept, None, || Ok(()))
    }

    /// As [`Client::send`] with a request body made by `body` (called again after an auth
    /// challenge) and an optional `Content-Type`.
    pub(super) fn send_body<B: ureq::AsSendBody>(
        &self,
        method: &str,
        url: &str,
        accept: Option<&str>,
        content_type: Option<&str>,
        body: impl Fn() -> Result<B>,
    ) -> Result<Response<ureq::Body>> {
        self.send_with(method, url, accept, content_type, &[], body)
    }

    /// As [`Client::send_body`] with more headers (`Content-Range`, `Content-Length`).
    pub(super) fn send_with<B: ureq::AsSendBody>(
        &self,
        method: &str,
        url: &str,
        accept: Option<&str>,
        content_type: Option<&str>,
        headers: &[(&str, String)],
        body: impl Fn() -> Result<B>,
    ) -> Result<Response<ureq::Body>> {
        let mut challenged = false;
        loop {
            let auth = self.current_auth();
            let mut req = ureq::http::Request::builder().method(method).uri(url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(c) = content_type {
                req = req.header("Content-Type", c);
            }
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            for (name, value) in headers {
                req = req.header(*name, value);
            }
            let req = req.body(body()?).map_err(|e| transport(method, url, e))?;
            let resp = self.agent.run(req).map_err(|e| transport(method, url, e))?;
            if resp.status() != StatusCode::UNAUTHORIZED || challenged {
                return Ok(resp);
            }
            challenged = true;
            let header = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let Some(challenge) = Challenge::parse(header) else {
                return Ok(resp);
            };
            let value = self.authorize(method, url, &challenge)?;
            *self.authorization.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
        }
    }

    fn current_auth(&self) -> Option<String> {
        self.authorization
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The `Authorization` value answering `challenge`.
    fn authorize(&self, method: &str, url: &str, challenge: &Challenge) -> Result<String> {
        match challenge {
            Challenge::Basic => self
                .creds
                .as_ref()
                .and_then(AuthConfig::basic_header)
                .ok_or_else(|| Error::Registry {
                    kind: RegistryErrorKind::Unauthorized,
                    message: format!("{} \"{url}\": no basic auth credentials", go_method(method)),
                }),
            Challenge::Bearer { realm, service, .. } => {
                if let Some(t) = self.creds.as_ref().map(|c| &c.registrytoken)
                    && !t.is_empty()
                {
                    return Ok(format!("Bearer {t}"));
                }
                let scope = format!("repository:{}:{}", self.repo, self.actions);
                let mut req = self.agent.get(realm).query("scope", &scope);
                if let Some(s) = service {
                    req = req.query("service", s);
                }
                if let Some(b) = self.creds.as_ref().and_then(AuthConfig::basic_header) {
                    req = req.header("Authorization", &b);
                }
                let mut resp = req.call().map_err(|e| transport("GET", realm, e))?;
                if !resp.status().is_success() {
                    let status = resp.status();
                    let body = read_small(&mut resp);
                    return Err(status_error(status, &body, || {
                        format!("getting a token from {realm}")
                    }));
                }
                let body = read_small(&mut resp);
                let t: TokenBody = serde_json::from_slice(&body)
                    .map_err(|e| Error::json(format!("token from {realm}"), e))?;
                let token = if t.token.is_empty() {
                    t.access_token
                } else {
                    t.token
                };
                Ok(format!("Bearer {token}"))
            }
        }
    }

    /// Fetches a manifest or index by tag or digest, verifying the bytes against the digest
    /// asked for (or the `Docker-Content-Digest` header for tags).
    pub fn manifest(&self, reference: &Reference) -> Result<FetchedManifest> {
        let wanted = reference
            .digest()
            .map(|d| d.to_string())
            .or_else(|| reference.tag().map(str::to_owned))
            .unwrap_or_else(|| "latest".to_owned());
        let url = self.url("manifests", &wanted);
        // HEAD first, as Docker does: its errors (auth) name this request.
        let head = self.send("HEAD", &url, Some(MANIFEST_ACCEPT))?;
        if !head.status().is_success() {
            let status = head.status();
            // HEAD has no body; ask again with GET for the registry's error text.
            let mut resp = self.send("GET", &url, Some(MANIFEST_ACCEPT))?;
            let body = read_small(&mut resp);
            return Err(manifest_error(reference, status, &body));
        }
        let mut resp = self.send("GET", &url, Some(MANIFEST_ACCEPT))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = read_small(&mut resp);
            return Err(manifest_error(reference, status, &body));
        }
        let media_type = header(&resp, "content-type")
            .map(|m| m.split(';').next().unwrap_or("").trim().to_owned())
            .unwrap_or_default();
        let header_digest = header(&resp, "docker-content-digest");
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(crate::store::MAX_MANIFEST_SIZE)
            .read_to_vec()
            .map_err(|e| transport("GET", &url, e))?;
        let actual = Digest::of(&bytes);
        let expected = match reference.digest() {
            Some(d) => Some(d.clone()),
            None => header_digest.and_then(|h| h.parse::<Digest>().ok()),
        };
        if let Some(expected) = expected
            && expected != actual
        {
            return Err(Error::DigestMismatch {
                what: format!("manifest {}", reference.familiar()),
                expected,
                actual,
            });
        }
        Ok(FetchedManifest {
            digest: actual,
            media_type,
            bytes,
        })
    }

    /// Opens a blob for streaming. The caller verifies digest and size as it reads.
    pub fn blob(&self, digest: &Digest) -> Result<Box<dyn Read + Send>> {
        let url = self.url("blobs", &digest.to_string());
        let mut resp = self.send("GET", &url, None)?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = read_small(&mut resp);
            return Err(status_error(status, &body, || format!("blob {digest}")));
        }
        Ok(Box::new(
            resp.into_body().into_with_config().limit(u64::MAX).reader(),
        ))
    }

    /// Reads a small blob (a config) whole, verifying it.
    pub fn small_blob(&self, digest: &Digest, size: u64, limit: u64) -> Result<Vec<u8>> {
        if size > limit {
            return Err(Error::invalid(
                "blob",
                format!("{digest} is larger than {limit} bytes"),
            ));
        }
        let mut buf = Vec::new();
        self.blob(digest)?
            .take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|source| Error::Read {
                what: format!("blob {digest}"),
                source,
            })?;
        if buf.len() as u64 != size {
            return Err(Error::SizeMismatch {
                what: format!("blob {digest}"),
                expected: size,
                actual: buf.len() as u64,
            });
        }
        let actual = Digest::of(&buf);
        if &actual != digest {
            return Err(Error::DigestMismatch {
                what: format!("blob {digest}"),
                expected: digest.clone(),
                actual,
            });
        }
        Ok(buf)
    }
}

impl Client {
    /// The repository path (`library/busybox`).
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// `HEAD /v2/<name>/blobs/<digest>`: whether the repository already has the blob.
    pub fn blob_exists(&self, digest: &Digest) -> Result<bool> {
        let url = self.url("blobs", &digest.to_string());
        let mut resp = self.send("HEAD", &url, None)?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            status => {
                let body = read_small(&mut resp);
                Err(status_error(status, &body, || format!("blob {digest}")))
            }
        }
    }

    /// `PUT /v2/<name>/manifests/<tag>` with its media type.
    pub fn put_manifest(&self, tag: &str, media_type: &str, bytes: &[u8]) -> Result<()> {
        let url = self.url("manifests", tag);
        let mut resp = self.send_body("PUT", &url, None, Some(media_type), || Ok(bytes))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = read_small(&mut resp);
            return Err(status_error(status, &body, || {
                format!("pushing the manifest for {}:{tag}", self.repo)
            }));
        }
        Ok(())
    }
}

/// `docker login`: checks `creds` against `server` (`host[:port]`, or Docker Hub's
/// `https://index.docker.io/v1/`). Basic-auth registries must accept them on `/v2/`;
/// token registries must hand out a token for them. Errors in Docker's words:
/// `login attempt to http://127.0.0.1:5001/v2/ failed with status: 401 Unauthorized`.
pub fn login(server: &str, creds: &AuthConfig, config: &RegistryConfig) -> Result<()> {
    let host = server
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or(server);
    let host = match host {
        "" | "index.docker.io" | "docker.io" => "registry-1.docker.io",
        h => h,
    };
    let reference = Reference::parse_normalized(&format!("{host}/login-probe"))?;
    let client = Client::connect(&reference, config, Some(creds.clone()), false)?;
    let url = format!("{}/v2/", client.base);
    let resp = client
        .agent
        .get(&url)
        .call()
        .map_err(|e| transport("GET", &url, e))?;
    if resp.status().is_success() {
        return Ok(());
    }
    let failed = |status: StatusCode| Error::Registry {
        kind: RegistryErrorKind::Unauthorized,
        message: format!(
            "login attempt to {url} failed with status: {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ),
    };
    if resp.status() != StatusCode::UNAUTHORIZED {
        return Err(failed(resp.status()));
    }
    let header = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    match Challenge::parse(&header) {
        Some(Challenge::Basic) => {
            let basic = creds
                .basic_header()
                .ok_or_else(|| failed(StatusCode::UNAUTHORIZED))?;
            let resp = client
                .agent
                .get(&url)
                .header("Authorization", &basic)
                .call()
                .map_err(|e| transport("GET", &url, e))?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(failed(resp.status()))
            }
        }
        Some(Challenge::Bearer { realm, service, .. }) => {
            let mut req = client.agent.get(&realm).query("account", &creds.username);
            if let Some(s) = &service {
                req = req.query("service", s);
            }
            if let Some(b) = creds.basic_header() {
                req = req.header("Authorization", &b);
            }
            let resp = req.call().map_err(|e| transport("GET", &realm, e))?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(failed(resp.status()))
            }
        }
        None => Err(failed(StatusCode::UNAUTHORIZED)),
    }
}

pub(super) fn header(resp: &Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(super) fn read_small(resp: &mut Response<ureq::Body>) -> Vec<u8> {
    resp.body_mut()
        .with_config()
        .limit(64 << 10)
        .read_to_vec()
        .unwrap_or_default()
}

/// Go's spelling of methods in `url.Error` (`Head "http://..."`), which Docker prints.
fn go_method(method: &str) -> String {
    let mut m = method.to_ascii_lowercase();
    if let Some(first) = m.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    m
}

fn transport(method: &str, url: &str, e: impl std::fmt::Display) -> Error {
    Error::Registry {
        kind: RegistryErrorKind::Unavailable,
        message: format!("{} \"{url}\": {e}", go_method(method)),
    }
}

/// The registry's own error text: `code: message` for each entry, as Docker's errcode.
fn registry_text(status: StatusCode, body: &[u8]) -> String {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let entries: Vec<String> = parsed
        .map(|b| b.errors)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e.code.to_ascii_lowercase().replace('_', " "),
                e.message
            )
        })
        .collect();
    if entries.is_empty() {
        format!(
            "unexpected status {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
    } else {
        entries.join("; ")
    }
}

pub(super) fn status_error(
    status: StatusCode,
    body: &[u8],
    what: impl FnOnce() -> String,
) -> Error {
    let kind = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => RegistryErrorKind::Unauthorized,
        StatusCode::NOT_FOUND => RegistryErrorKind::NotFound,
        _ => RegistryErrorKind::Unavailable,
    };
    Error::Registry {
        kind,
        message: format!("{}: {}", what(), registry_text(status, body)),
    }
}

fn manifest_error(reference: &Reference, status: StatusCode, body: &[u8]) -> Error {
    let text = registry_text(status, body);
    match status {
        StatusCode::NOT_FOUND => Error::Registry {
            kind: RegistryErrorKind::NotFound,
            message: format!(
                "manifest for {} not found: {text}",
                reference.clone().with_default_tag().familiar()
            ),
        },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Registry {
            kind: RegistryErrorKind::Unauthorized,
            message: format!(
                "pull access denied for {}, repository does not exist or may require 'docker login': {text}",
                reference.familiar_name()
            ),
        },
        _ => status_error(status, body, || {
            format!("manifest for {}", reference.familiar())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_rules() {
        let c = RegistryConfig {
            insecure: vec!["myreg:5000".into(), "10.0.0.0/8".into()],
            certs_dirs: vec![],
        };
        assert!(c.is_insecure("127.0.0.1:5000"));
        assert!(c.is_insecure("127.3.4.5"));
        assert!(c.is_insecure("localhost:5001"));
        assert!(c.is_insecure("[::1]:5000"));
        assert!(c.is_insecure("myreg:5000"));
        assert!(!c.is_insecure("myreg:5001"));
        assert!(c.is_insecure("10.1.2.3:443"));
        assert!(!c.is_insecure("11.1.2.3"));
        assert!(!c.is_insecure("registry-1.docker.io"));
    }

    #[test]
    fn docker_hub_host_and_go_methods() {
        assert_eq!(registry_host("docker.io"), "registry-1.docker.io");
        assert_eq!(registry_host("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(go_method("HEAD"), "Head");
    }

    #[test]
    fn registry_error_text() {
        let body =
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(
            registry_text(StatusCode::NOT_FOUND, body),
            "manifest unknown: manifest unknown"
        );
        let r = Reference::parse_normalized("127.0.0.1:5000/nope").expect("reference");
        assert_eq!(
            manifest_error(&r, StatusCode::NOT_FOUND, body).to_string(),
            "manifest for 127.0.0.1:5000/nope:latest not found: manifest unknown: manifest unknown"
        );
    }
}
