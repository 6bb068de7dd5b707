//! Registry credentials and `WWW-Authenticate` challenges.
//!
//! Credentials reach the daemon the way Docker's do: the CLI reads `config.json` and sends
//! them base64url-encoded in `X-Registry-Auth` ([`AuthConfig::from_header`]). The daemon
//! never reads a user's config file.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Docker's `registry.AuthConfig`, as sent in `X-Registry-Auth` and `POST /auth`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// User name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// Password or token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// `user:password` base64, as stored in `config.json` `auths`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth: String,
    /// The registry these credentials are for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serveraddress: String,
    /// An OAuth refresh token (sent to bearer realms as `refresh_token`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identitytoken: String,
    /// A bearer token to use as is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub registrytoken: String,
}

impl AuthConfig {
    /// Decodes an `X-Registry-Auth` header: base64url (padded or not, the CLI sends
    /// URL-safe), or standard base64 from older clients. An empty or `{}` header means no
    /// credentials.
    pub fn from_header(value: &str) -> Option<AuthConfig> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let engines = [
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
        ];
        let bytes = engines.iter().find_map(|e| e.decode(value).ok())?;
        let mut cfg: AuthConfig = serde_json::from_slice(&bytes).ok()?;
        cfg.fill_from_auth();
        (!cfg.is_empty()).then_some(cfg)
    }

    /// Encodes as the CLI sends it in `X-Registry-Auth`.
    pub fn to_header(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE.encode(json)
    }

    /// Whether nothing usable is set.
    pub fn is_empty(&self) -> bool {
        self.username.is_empty()
            && self.password.is_empty()
            && self.identitytoken.is_empty()
            && self.registrytoken.is_empty()
    }

    /// Splits `auth` (base64 of `user:password`) into user and password when those are unset.
    pub fn fill_from_auth(&mut self) {
        if !self.username.is_empty() || self.auth.is_empty() {
            return;
        }
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(self.auth.trim()) else {
            return;
        };
        if let Some((u, p)) = String::from_utf8_lossy(&raw).split_once(':') {
            self.username = u.to_owned();
            self.password = p.to_owned();
        }
    }

    /// The value of an `Authorization: Basic ...` header, if a user is set.
    pub fn basic_header(&self) -> Option<String> {
        if self.username.is_empty() {
            return None;
        }
        let raw = format!("{}:{}", self.username, self.password);
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        ))
    }
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm="..."`.
    Basic,
    /// `Bearer realm="...",service="...",scope="..."`.
    Bearer {
        /// Token endpoint.
        realm: String,
        /// `service` parameter, if any.
        service: Option<String>,
        /// `scope` the registry asked for, if any.
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parses one challenge (registries send one); unknown schemes give `None`.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header
            .split_once(char::is_whitespace)
            .unwrap_or((header, ""));
        let params = parse_params(rest);
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            Some(Challenge::Basic)
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Some(Challenge::Bearer {
                realm: get("realm")?,
                service: get("service"),
                scope: get("scope"),
            })
        } else {
            None
        }
    }
}

/// `k="v", k2=v2` with backslash escapes inside quotes.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if chars.next().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_challenges() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/busybox:pull".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="hako-fixture-registry""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn registry_auth_header_round_trip() {
        let cfg = AuthConfig {
            username: "fixture".into(),
            password: "fixture-password".into(),
            serveraddress: "127.0.0.1:5001".into(),
            ..AuthConfig::default()
        };
        assert_eq!(AuthConfig::from_header(&cfg.to_header()), Some(cfg.clone()));
        // The docker CLI sends `{}` base64url-encoded when it has no credentials.
        assert_eq!(AuthConfig::from_header("e30="), None);
        assert_eq!(AuthConfig::from_header(""), None);
        assert_eq!(
            cfg.basic_header().as_deref(),
            Some("Basic Zml4dHVyZTpmaXh0dXJlLXBhc3N3b3Jk")
        );
        let mut stored = AuthConfig {
            auth: "Zml4dHVyZTpmaXh0dXJlLXBhc3N3b3Jk".into(),
            ..AuthConfig::default()
        };
        stored.fill_from_auth();
        assert_eq!(stored.username, "fixture");
        assert_eq!(stored.password, "fixture-password");
    }
}
