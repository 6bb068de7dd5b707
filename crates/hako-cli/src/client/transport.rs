//! Requests over a Unix socket or TCP (with TLS), with Docker's version negotiation.

use super::host::Host;
use super::{ClientError, connect_reason};
use bytes::Bytes;
use futures_util::StreamExt;
use hako_api_types::{ApiVersion, ErrorResponse};
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

/// A request body: bytes we hold, or a reader sent as it is read (chunked), so that an
/// image or a directory tree of any size goes out without being held in memory.
pub type ReqBody = UnsyncBoxBody<Bytes, std::io::Error>;

fn full(bytes: Bytes) -> ReqBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Any connection to the daemon.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// What Docker's client sends as `Host` on a Unix socket: any name works, this one says
/// where it came from.
const HOST_HEADER: &str = "api.moby.localhost";

/// A client bound to one daemon and one negotiated API version. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    host: Host,
    version: ApiVersion,
    /// Whatever `Api-Version` the daemon reported in `/_ping` (for `hako version`).
    server_version: Option<ApiVersion>,
}

impl Client {
    /// Pings the daemon and settles on `min(server's Api-Version, ours)`, as Docker's
    /// client does. A daemon that sends no version header gets the oldest we support.
    pub async fn connect(host: Host) -> Result<Self, ClientError> {
        let mut c = Client {
            host,
            version: ApiVersion::CURRENT,
            server_version: None,
        };
        // HEAD first, as docker's client; a daemon that does not route HEAD gets a GET.
        let mut server = None;
        for method in [Method::HEAD, Method::GET] {
            let req = Request::builder()
                .method(method)
                .uri("/_ping")
                .header(http::header::HOST, HOST_HEADER)
                .body(full(Bytes::new()))
                .map_err(|e| ClientError::Request(e.to_string()))?;
            let resp = c.send_raw(req, false).await?;
            server = resp
                .headers()
                .get("api-version")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| ApiVersion::parse(v).ok());
            if server.is_some() || resp.status().is_success() {
                break;
            }
        }
        c.server_version = server;
        c.version = match server {
            Some(s) => ApiVersion::negotiate(s, ApiVersion::CURRENT),
            None => ApiVersion::MIN,
        };
        Ok(c)
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    pub fn version(&self) -> ApiVersion {
        self.version
    }

    pub fn server_api_version(&self) -> Option<ApiVersion> {
        self.server_version
    }

    /// Builds `/v1.NN{path}`. `path` starts with `/` and may carry a query.
    pub fn url(&self, path: &str) -> String {
        format!("/v{}{}", self.version, path)
    }

    pub(crate) fn build(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Result<Request<ReqBody>, ClientError> {
        let mut b = Request::builder()
            .method(method)
            .uri(self.url(path))
            .header(http::header::HOST, HOST_HEADER)
            .header(
                http::header::USER_AGENT,
                concat!("hako-cli/", env!("CARGO_PKG_VERSION")),
            );
        let body = match body {
            Some(v) => {
                b = b.header(http::header::CONTENT_TYPE, content_type);
                full(Bytes::from(v))
            }
            None => full(Bytes::new()),
        };
        b.body(body)
            .map_err(|e| ClientError::Request(e.to_string()))
    }

    /// Opens a connection and sends one request; the connection task lives until the
    /// response body (or the upgraded stream) is dropped.
    pub(crate) async fn send_raw(
        &self,
        req: Request<ReqBody>,
        upgrades: bool,
    ) -> Result<Response<Incoming>, ClientError> {
        let connect_err = |source: std::io::Error| ClientError::Connect {
            host: self.host.url(),
            reason: connect_reason(&source),
            source,
        };
        let stream: Box<dyn Io> = match &self.host {
            Host::Unix(path) => Box::new(UnixStream::connect(path).await.map_err(connect_err)?),
            Host::Tcp { addr, tls } => {
                let tcp = TcpStream::connect(addr.as_str())
                    .await
                    .map_err(connect_err)?;
                match tls {
                    None => Box::new(tcp),
                    Some(files) => Box::new(super::tls::connect(tcp, addr, files).await?),
                }
            }
        };
        let http_err = |source| ClientError::Http {
            host: self.host.url(),
            source,
        };
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(http_err)?;
        if upgrades {
            tokio::spawn(async move {
                // Errors surface through the response or the upgraded stream.
                let _ = conn.with_upgrades().await;
            });
        } else {
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
        sender.send_request(req).await.map_err(http_err)
    }

    /// Sends a request and turns an error status into [`ClientError::Daemon`].
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Response<Incoming>, ClientError> {
        let req = self.build(method, path, body, "application/json")?;
        let resp = self.send_raw(req, false).await?;
        check_status(resp).await
    }

    /// Sends a body of another content type (`application/x-tar` for import).
    pub async fn request_with_type(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<Response<Incoming>, ClientError> {
        let req = self.build(method, path, Some(body), content_type)?;
        let resp = self.send_raw(req, false).await?;
        check_status(resp).await
    }

    /// Sends what `reader` yields as the body, as it is read.
    pub async fn request_stream<R>(
        &self,
        method: Method,
        path: &str,
        reader: R,
        content_type: &str,
    ) -> Result<Response<Incoming>, ClientError>
    where
        R: AsyncRead + Send + 'static,
    {
        let mut req = self.build(method, path, Some(Vec::new()), content_type)?;
        let frames = tokio_util::io::ReaderStream::new(reader)
            .map(|chunk| chunk.map(hyper::body::Frame::data));
        *req.body_mut() = StreamBody::new(frames).boxed_unsync();
        let resp = self.send_raw(req, false).await?;
        check_status(resp).await
    }

    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let resp = self.request(Method::GET, path, None).await?;
        decode(resp).await
    }

    pub async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_vec(body).map_err(|e| ClientError::Request(e.to_string()))?;
        let resp = self.request(Method::POST, path, Some(body)).await?;
        decode(resp).await
    }

    /// `POST` without a body, decoding the JSON answer (`wait`).
    pub async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let resp = self.request(Method::POST, path, None).await?;
        decode(resp).await
    }

    /// A request whose answer we only need to succeed; the body is drained.
    pub async fn call(&self, method: Method, path: &str) -> Result<StatusCode, ClientError> {
        let resp = self.request(method, path, None).await?;
        let status = resp.status();
        read_body(resp).await?;
        Ok(status)
    }
}

/// Reads the whole body.
pub async fn read_body(resp: Response<Incoming>) -> Result<Bytes, ClientError> {
    let b = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| ClientError::Decode(format!("reading body: {e}")))?;
    Ok(b.to_bytes())
}

async fn decode<T: DeserializeOwned>(resp: Response<Incoming>) -> Result<T, ClientError> {
    let body = read_body(resp).await?;
    serde_json::from_slice(&body).map_err(|e| ClientError::Decode(e.to_string()))
}

/// 1xx/2xx/304 pass; anything else becomes the daemon's message.
pub(crate) async fn check_status(
    resp: Response<Incoming>,
) -> Result<Response<Incoming>, ClientError> {
    let status = resp.status();
    if status.as_u16() < 400 {
        return Ok(resp);
    }
    let body = read_body(resp).await.unwrap_or_default();
    Err(ClientError::Daemon {
        status: status.as_u16(),
        message: error_message(status, &body),
    })
}

/// `{"message": ...}` when the body is Docker's error JSON, else the text, else the
/// status reason.
pub fn error_message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(e) = serde_json::from_slice::<ErrorResponse>(body)
        && !e.message.is_empty()
    {
        return e.message;
    }
    let text = String::from_utf8_lossy(body).trim().to_owned();
    if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("unknown error")
            .to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies() {
        let s = StatusCode::NOT_FOUND;
        assert_eq!(
            error_message(s, br#"{"message":"No such container: x"}"#),
            "No such container: x"
        );
        assert_eq!(error_message(s, b"page not found\n"), "page not found");
        assert_eq!(error_message(s, b""), "Not Found");
    }
}
