//! `POST /build`: Docker's classic builder (moby `api/server/router/build`). The body is
//! the context tar (optionally gzip); the answer is Docker's JSON stream (`stream` lines,
//! the final `aux` ID, then `Successfully built`/`tagged`).
//!
//! As in moby, a failure before any output (bad query, Dockerfile that does not parse)
//! is an ordinary error response; after that it is the stream's last message. The build
//! runs in its own task: when the client goes away it is cancelled (the running step's
//! container is killed) and still cleans up.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use hako_api_types::progress::{JsonError, JsonMessage};
use hako_engine::EngineError;
use hako_engine::build::{BuildOutput, BuildRequest};
use hako_engine::container::options::BoxRead;
use http::StatusCode;
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tokio_util::io::StreamReader;
use tokio_util::sync::CancellationToken;
use tracing::instrument;

use crate::error::ApiError;
use crate::request::{Ctx, Request};
use crate::response::{self, BoxError, JSON, Response};

/// Docker's boolean query values (`1`, `true`, `True`...).
fn truthy(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

fn parse_request(query: &str) -> Result<(BuildRequest, bool), ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::invalid(format!("invalid query parameters: {e}")))?;
    let mut req = BuildRequest {
        remove: true,
        ..BuildRequest::default()
    };
    let mut quiet = false;
    for (k, v) in pairs {
        match k.as_str() {
            "t" if !v.is_empty() => req.options.tags.push(v),
            "dockerfile" => req.options.dockerfile = v,
            "buildargs" if !v.is_empty() => {
                req.options.build_args =
                    serde_json::from_str::<BTreeMap<String, Option<String>>>(&v).map_err(|e| {
                        ApiError::invalid(format!("failed to parse buildargs: {e}"))
                    })?;
            }
            "labels" if !v.is_empty() => {
                req.options.labels = serde_json::from_str(&v)
                    .map_err(|e| ApiError::invalid(format!("failed to parse labels: {e}")))?;
            }
            "nocache" => req.options.no_cache = truthy(&v),
            "rm" => req.remove = truthy(&v),
            "q" => quiet = truthy(&v),
            "target" => req.options.target = Some(v).filter(|t| !t.is_empty()),
            "version" if v == "2" => {
                return Err(EngineError::NotImplemented(
                    "BuildKit (build version 2); use the classic builder (DOCKER_BUILDKIT=0)"
                        .into(),
                )
                .into());
            }
            "remote" if !v.is_empty() => {
                return Err(EngineError::NotImplemented(
                    "building from a remote context (remote=)".into(),
                )
                .into());
            }
            "platform" if !v.is_empty() => {
                let host = format!("linux/{}", host_arch());
                let p = v.to_lowercase();
                if p != host && p != host_arch() && !p.starts_with(&format!("{host}/")) {
                    return Err(EngineError::NotImplemented(format!(
                        "building for platform {v} (this host builds {host} only)"
                    ))
                    .into());
                }
            }
            // Accepted and without effect here: forcerm (step containers are always
            // removed when a step fails), pull, cachefrom, memory limits, networkmode...
            _ => {}
        }
    }
    Ok((req, quiet))
}

fn stream(text: String) -> JsonMessage {
    JsonMessage {
        stream: Some(text),
        ..JsonMessage::default()
    }
}

fn line(m: &JsonMessage) -> Bytes {
    let mut out = serde_json::to_vec(m).unwrap_or_default();
    out.extend_from_slice(b"\r\n");
    Bytes::from(out)
}

/// Runs a build and streams its output.
#[instrument(skip_all)]
pub async fn build(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let (breq, quiet) = parse_request(req.uri().query().unwrap_or(""))?;
    let body = req
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let body: BoxRead = Box::pin(StreamReader::new(body));
    let (tx, mut rx) = mpsc::unbounded_channel::<JsonMessage>();
    let cancel = CancellationToken::new();
    let sink_tx = tx.clone();
    let out: BuildOutput = Arc::new(move |s: String| {
        if !quiet {
            let _ = sink_tx.send(stream(s));
        }
    });
    let engine = ctx.engine.clone();
    let task_cancel = cancel.clone();
    let task = tokio::spawn(async move {
        let r = engine.build(breq, body, out, task_cancel).await;
        match r {
            Ok(built) => {
                let _ = tx.send(JsonMessage {
                    aux: Some(serde_json::json!({ "ID": built.id })),
                    ..JsonMessage::default()
                });
                let hex = built.id.strip_prefix("sha256:").unwrap_or(&built.id);
                if quiet {
                    let _ = tx.send(stream(format!("{}\n", built.id)));
                } else {
                    let _ = tx.send(stream(format!(
                        "Successfully built {}\n",
                        hex.get(..12).unwrap_or(hex)
                    )));
                    for t in built.tagged {
                        let _ = tx.send(stream(format!("Successfully tagged {t}\n")));
                    }
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    });
    // The first message, or the end: a build that fails before saying anything is an
    // ordinary error response.
    let mut task = task;
    let first = tokio::select! {
        biased;
        m = rx.recv() => m,
        r = &mut task => {
            match r {
                Ok(Err(e)) if rx.is_empty() => return Err(e.into()),
                Err(join) if rx.is_empty() => {
                    return Err(ApiError::from(EngineError::Task(join.to_string())));
                }
                _ => {}
            }
            let r = r.map_err(|j| EngineError::Task(j.to_string())).and_then(|x| x);
            return Ok(finished(rx, r));
        }
    };
    // The client going away ends the stream; the build then stops at its running step.
    let watcher_cancel = cancel.clone();
    let (gone_tx, gone_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = gone_rx.await;
        watcher_cancel.cancel();
    });
    let state = Streaming {
        first,
        rx,
        task: Some(task),
        _gone: GoneGuard(Some(gone_tx)),
    };
    let lines = futures_util::stream::unfold(state, |mut st| async move {
        if let Some(m) = st.first.take() {
            return Some((Ok::<_, BoxError>(line(&m)), st));
        }
        if let Some(m) = st.rx.recv().await {
            return Some((Ok(line(&m)), st));
        }
        let task = st.task.take()?;
        let r = task
            .await
            .map_err(|j| EngineError::Task(j.to_string()))
            .and_then(|x| x);
        st._gone.0 = None;
        match r {
            Ok(()) => None,
            Err(e) => Some((Ok(line(&error_message(&e))), st)),
        }
    });
    Ok(response::typed(
        StatusCode::OK,
        JSON,
        response::stream_body(lines),
    ))
}

struct Streaming {
    first: Option<JsonMessage>,
    rx: mpsc::UnboundedReceiver<JsonMessage>,
    task: Option<tokio::task::JoinHandle<Result<(), EngineError>>>,
    _gone: GoneGuard,
}

/// Fires when the response stream is dropped before the build ended (the client left).
struct GoneGuard(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for GoneGuard {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

fn error_message(e: &EngineError) -> JsonMessage {
    let text = e.to_string();
    let code = match e {
        EngineError::Build(b) => b.code(),
        _ => None,
    };
    JsonMessage {
        error_detail: Some(JsonError {
            code,
            message: text.clone(),
        }),
        error: Some(text),
        ..JsonMessage::default()
    }
}

/// The whole answer of a build that ended before the stream started.
fn finished(mut rx: mpsc::UnboundedReceiver<JsonMessage>, r: Result<(), EngineError>) -> Response {
    let mut out = Vec::new();
    while let Ok(m) = rx.try_recv() {
        out.extend_from_slice(&line(&m));
    }
    if let Err(e) = r {
        out.extend_from_slice(&line(&error_message(&e)));
    }
    response::typed(StatusCode::OK, JSON, response::full_body(out))
}

/// `POST /build/prune`: the classic builder keeps its cache as images (each step's result,
/// a parent of the next), which `image prune` removes; there is no separate build cache,
/// so nothing is deleted here. Answered rather than refused, as `docker system prune`
/// calls it after the other prunes and fails on an error.
pub fn prune() -> Response {
    response::json(
        StatusCode::OK,
        &serde_json::json!({ "CachesDeleted": [], "SpaceReclaimed": 0 }),
    )
}
