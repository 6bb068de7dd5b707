//! Errors: [`ApiError`], what a request fails with, and [`DaemonError`], what stops the
//! daemon from starting.
//!
//! This file is the only place where an error kind becomes an HTTP status; every other
//! module returns an [`ApiError`] (or an engine error converted into one) and lets
//! [`ApiError::into_response`] write Docker's `{"message": ...}` body.

use std::path::PathBuf;

use hako_api_types::ErrorResponse;
use hako_engine::EngineError;
use hako_errdefs::{ErrorKind, HasKind};
use http::StatusCode;

use crate::response::{self, Response};

/// A failed request: a kind (which decides the status) and Docker's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    kind: ErrorKind,
    message: String,
}

impl ApiError {
    /// An error of any kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The request is malformed (400).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Something is not there (404).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// `what` is not implemented (501), in the engine's words.
    pub fn not_implemented(what: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorKind::NotImplemented,
            format!("{what} is not implemented in hako yet"),
        )
    }

    /// A bug or an unexpected failure (500).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message sent to the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message, as Docker does for some verbs (`Cannot kill container: x: ...`).
    pub fn context(mut self, prefix: impl std::fmt::Display) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }

    /// The HTTP status for this error's kind.
    pub fn status(&self) -> StatusCode {
        status_for(self.kind)
    }

    /// Docker's error response: the status and `{"message": "..."}`, except 304, which
    /// has no body.
    pub fn into_response(self) -> Response {
        let status = self.status();
        if status == StatusCode::NOT_MODIFIED {
            return response::empty(status);
        }
        response::json(status, &ErrorResponse::new(self.message))
    }
}

/// Kind → status, once for the whole daemon.
pub fn status_for(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::InvalidArgument => StatusCode::BAD_REQUEST,
        ErrorKind::NotModified => StatusCode::NOT_MODIFIED,
        ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl HasKind for ApiError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        Self::new(e.kind(), e.to_string())
    }
}

/// Why the daemon could not start (or stopped abnormally).
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Another daemon holds the data root lock.
    #[error(
        "another hako daemon is using the data root {data_root} (lock {lock} is held); stop it or choose another --data-root"
    )]
    DataRootLocked {
        /// The data root.
        data_root: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// Something answers on the socket we were asked to serve.
    #[error("another daemon is already serving {socket}; stop it or choose another socket path")]
    SocketInUse {
        /// The socket path.
        socket: PathBuf,
    },
    /// A file or socket operation failed.
    #[error("{context} {path}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// On which path.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// The signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(#[source] std::io::Error),
    /// The engine failed to open.
    #[error("cannot open the engine: {0}")]
    Engine(#[from] EngineError),
    /// `--emulation` could not register what it names.
    #[error("--emulation: {0}")]
    Emulation(#[source] EngineError),
    /// `--userns-remap` cannot be set up (no such user, no subordinate ranges).
    #[error("{0}")]
    Userns(#[source] hako_engine::container::userns::UsernsError),
    /// TLS or TCP settings that cannot be served.
    #[error("{0}")]
    Tls(String),
    /// A TCP address could not be bound.
    #[error("listen on {addr}: {source}")]
    Tcp {
        /// The address.
        addr: std::net::SocketAddr,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
}

impl DaemonError {
    pub(crate) fn io(
        context: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            context,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_of(r: Response) -> (StatusCode, Option<String>, String) {
        let status = r.status();
        let ct = r
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        (status, ct, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[test]
    fn every_kind_has_its_status() {
        let want = [
            (ErrorKind::NotFound, 404),
            (ErrorKind::Conflict, 409),
            (ErrorKind::InvalidArgument, 400),
            (ErrorKind::NotModified, 304),
            (ErrorKind::NotImplemented, 501),
            (ErrorKind::Unavailable, 503),
            (ErrorKind::Forbidden, 403),
            (ErrorKind::Internal, 500),
        ];
        for (kind, code) in want {
            assert_eq!(status_for(kind).as_u16(), code, "{kind:?}");
        }
    }

    #[tokio::test]
    async fn body_is_docker_message_json() {
        let e: ApiError = EngineError::NoSuchContainer("web".into()).into();
        let (status, ct, body) = body_of(e.into_response()).await;
        assert_eq!(status, 404);
        assert_eq!(ct.as_deref(), Some("application/json"));
        assert_eq!(body, "{\"message\":\"No such container: web\"}\n");
    }

    #[tokio::test]
    async fn not_modified_has_no_body() {
        let e: ApiError = EngineError::NotModified("web".into()).into();
        let (status, ct, body) = body_of(e.into_response()).await;
        assert_eq!(status, 304);
        assert_eq!(ct, None);
        assert_eq!(body, "");
    }

    #[test]
    fn engine_kinds_carry_over() {
        let e: ApiError = EngineError::NotRunning("abc".into()).into();
        assert_eq!(e.status(), 409);
        let e = e.context("Cannot kill container: web");
        assert_eq!(
            e.message(),
            "Cannot kill container: web: Container abc is not running"
        );
        let e: ApiError = EngineError::NotImplemented("container_top".into()).into();
        assert_eq!(e.status(), 501);
        assert_eq!(
            ApiError::not_implemented("GET /networks").message(),
            "GET /networks is not implemented in hako yet"
        );
    }
}
