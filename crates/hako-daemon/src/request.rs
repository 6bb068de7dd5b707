//! What a handler gets: the engine, the negotiated API version, the shutdown token, and
//! helpers to read JSON bodies.

use std::sync::Arc;

use bytes::Bytes;
use hako_api_types::ApiVersion;
use hako_engine::Engine;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::ApiError;

/// The request type every handler takes.
pub type Request = http::Request<Incoming>;

/// JSON request bodies larger than this are refused: no legitimate create or exec body
/// comes near it, and reading one must not let a client fill the daemon's memory.
pub const JSON_BODY_LIMIT: usize = 10 << 20;

/// Shared by every handler of one request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The engine.
    pub engine: Arc<Engine>,
    /// The API version the client speaks (its `/v1.NN` prefix, or ours).
    pub version: ApiVersion,
    /// Cancelled when the daemon shuts down: long streams (events, `logs -f`, attach) end.
    pub shutdown: CancellationToken,
    /// Tasks that outlive their request (hijacked connections); the daemon waits for them.
    pub tasks: TaskTracker,
}

impl Ctx {
    /// The client speaks at least `major.minor`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.version >= ApiVersion::new(major, minor)
    }
}

/// Reads a bounded JSON body. `Ok(None)` for an empty body, which Docker accepts wherever
/// a body is optional. A present `Content-Type` must be JSON (moby's `CheckForJSON`); a
/// missing one is tolerated, since hand-written clients often omit it.
pub async fn read_json<T: DeserializeOwned>(req: Request) -> Result<Option<T>, ApiError> {
    check_json_content_type(req.headers())?;
    // Refused from the announced length: reading 10 MiB of a body already known to be too
    // big helps nobody.
    if announced_length(req.headers()).is_some_and(|n| n > JSON_BODY_LIMIT as u64) {
        return Err(too_large());
    }
    let bytes = read_bounded(req.into_body()).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| ApiError::invalid(format!("invalid JSON: {e}")))
}

/// Like [`read_json`] but the body is required.
pub async fn require_json<T: DeserializeOwned>(req: Request) -> Result<T, ApiError> {
    read_json(req)
        .await?
        .ok_or_else(|| ApiError::invalid("invalid JSON: got EOF while reading request body"))
}

async fn read_bounded(body: Incoming) -> Result<Bytes, ApiError> {
    match Limited::new(body, JSON_BODY_LIMIT).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(ApiError::invalid(format!("cannot read request body: {e}"))),
    }
}

fn too_large() -> ApiError {
    ApiError::invalid(format!(
        "request body is larger than {} MiB",
        JSON_BODY_LIMIT >> 20
    ))
}

fn announced_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn check_json_content_type(headers: &http::HeaderMap) -> Result<(), ApiError> {
    let Some(ct) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let ct = ct.to_str().unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "unsupported Content-Type header ({ct}): must be 'application/json'"
        )))
    }
}

/// Docker hijacks the connection when the request carries an `Upgrade` header at all.
pub fn wants_upgrade(headers: &http::HeaderMap) -> bool {
    headers.contains_key(http::header::UPGRADE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        let mut h = http::HeaderMap::new();
        assert!(check_json_content_type(&h).is_ok());
        h.insert(
            CONTENT_TYPE,
            "application/json; charset=utf-8".parse().unwrap(),
        );
        assert!(check_json_content_type(&h).is_ok());
        h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(
            check_json_content_type(&h).unwrap_err().message(),
            "unsupported Content-Type header (text/plain): must be 'application/json'"
        );
    }
}
