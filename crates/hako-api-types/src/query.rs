//! Query-string structs, for `serde_urlencoded` on both sides.
//!
//! Docker's bools: the daemon reads `""`, `0`, `no`, `false`, `none` (any case) as false and
//! anything else as true (moby `httputils.BoolValue`); its client sends `1`. Bool fields
//! here use [`docker_bool`], which does exactly that, and are omitted when false. Numbers
//! parse from their decimal strings. The one parameter Docker repeats (`changes` of
//! `/images/create`) needs [`ImageCreateQuery::to_query_string`]/`from_query_string`,
//! because `serde_urlencoded` has no sequences.

use crate::filters::{self, Filters};
use serde::{Deserialize, Serialize};

/// Serde helpers for Docker's query-string bools.
pub mod docker_bool {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;

    /// moby's `BoolValue`: false for "", "0", "no", "false", "none", true otherwise.
    pub fn parse(s: &str) -> bool {
        let s = s.trim().to_ascii_lowercase();
        !matches!(s.as_str(), "" | "0" | "no" | "false" | "none")
    }

    pub fn serialize<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *v { "1" } else { "0" })
    }

    struct V;
    impl Visitor<'_> for V {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean such as 1, true, 0 or false")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            Ok(parse(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(V)
    }

    /// For `skip_serializing_if`: false is the same as absent.
    pub fn is_false(v: &bool) -> bool {
        !*v
    }
}

/// `GET /containers/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerListQuery {
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub all: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub size: bool,
    #[serde(
        default,
        with = "filters::as_json_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub filters: Option<Filters>,
}

/// `POST /containers/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerCreateQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// `GET /containers/{id}/json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerInspectQuery {
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub size: bool,
}

/// `GET /containers/{id}/logs`. `since`/`until` are Unix seconds, optionally with a
/// fractional part ("1700000000.000000001"); `tail` is a number or "all".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsQuery {
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub follow: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub stdout: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub stderr: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub timestamps: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<String>,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub details: bool,
}

/// `POST /containers/{id}/attach`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachQuery {
    #[serde(
        rename = "detachKeys",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub detach_keys: Option<String>,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub logs: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub stream: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub stdin: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub stdout: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub stderr: bool,
}

/// `POST /containers/{id}/start`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartQuery {
    #[serde(
        rename = "detachKeys",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub detach_keys: Option<String>,
}

/// `POST /containers/{id}/wait`: `condition` is `not-running` (default), `next-exit` or
/// `removed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// `POST /containers/{id}/kill`: `signal` is a name (`SIGKILL`, `KILL`) or a number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
}

/// `POST /containers/{id}/stop` and `/restart`: `t` is the grace period in seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<i64>,
}

/// `DELETE /containers/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveQuery {
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub v: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub force: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub link: bool,
}

/// `POST /containers/{id}/resize` and `/exec/{id}/resize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResizeQuery {
    pub h: u32,
    pub w: u32,
}

/// `GET /events`. `since`/`until` as in [`LogsQuery`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(
        default,
        with = "filters::as_json_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub filters: Option<Filters>,
}

/// `GET /images/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageListQuery {
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub all: bool,
    #[serde(
        default,
        with = "filters::as_json_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub filters: Option<Filters>,
    #[serde(
        rename = "shared-size",
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub shared_size: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub digests: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub manifests: bool,
}

/// `DELETE /images/{name}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRemoveQuery {
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub force: bool,
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub noprune: bool,
}

/// `POST /images/create`: pull (`fromImage`) or import (`fromSrc`, `-` = request body).
/// `changes` repeats (one Dockerfile instruction each), hence the manual encoding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageCreateQuery {
    pub from_image: Option<String>,
    pub from_src: Option<String>,
    pub repo: Option<String>,
    pub tag: Option<String>,
    pub message: Option<String>,
    pub platform: Option<String>,
    pub changes: Vec<String>,
}

impl ImageCreateQuery {
    pub fn to_query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("fromImage", &self.from_image),
            ("fromSrc", &self.from_src),
            ("repo", &self.repo),
            ("tag", &self.tag),
            ("message", &self.message),
            ("platform", &self.platform),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                s.append_pair(k, v);
            }
        }
        for c in &self.changes {
            s.append_pair("changes", c);
        }
        s.finish()
    }

    /// Unknown keys are ignored, as everywhere in the API.
    pub fn from_query_string(q: &str) -> Self {
        let mut out = Self::default();
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "fromImage" => out.from_image = Some(v),
                "fromSrc" => out.from_src = Some(v),
                "repo" => out.repo = Some(v),
                "tag" => out.tag = Some(v),
                "message" => out.message = Some(v),
                "platform" => out.platform = Some(v),
                "changes" => out.changes.push(v),
                _ => {}
            }
        }
        out
    }
}

/// `GET /images/get?names=a&names=b` (`docker save`): `names` repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageSaveQuery {
    pub names: Vec<String>,
    /// `platform` values (API 1.48: one OCI platform as JSON; several are refused).
    pub platforms: Vec<String>,
}

impl ImageSaveQuery {
    pub fn to_query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for n in &self.names {
            s.append_pair("names", n);
        }
        for p in &self.platforms {
            s.append_pair("platform", p);
        }
        s.finish()
    }

    /// Unknown keys are ignored, as everywhere in the API.
    pub fn from_query_string(q: &str) -> Self {
        let values = |key: &str| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
                .collect()
        };
        ImageSaveQuery {
            names: values("names"),
            platforms: values("platform"),
        }
    }
}

/// `POST /images/load` (`docker load`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageLoadQuery {
    /// moby defaults to quiet when the parameter is absent; always sent.
    #[serde(default = "yes", with = "docker_bool")]
    pub quiet: bool,
    /// API 1.48: one OCI platform as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

fn yes() -> bool {
    true
}

/// `GET /images/{name}/json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInspectQuery {
    /// API 1.48: include `Manifests`.
    #[serde(
        default,
        with = "docker_bool",
        skip_serializing_if = "docker_bool::is_false"
    )]
    pub manifests: bool,
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
