//! `POST /images/create?fromImage=`: a pull, answered with Docker's JSON progress stream
//! (the docker CLI draws its per-layer bars from it).
//!
//! As in moby, an error before anything was written (bad reference, unknown manifest,
//! missing credentials, no matching platform) is an ordinary error response, which the
//! CLI prints as `Error response from daemon: ...`; once the stream has started, an error
//! is its last message (`{"errorDetail": {"message": ...}, "error": ...}`).

use std::sync::Arc;

use bytes::Bytes;
use hako_api_types::progress::{JsonError, JsonMessage, JsonProgress};
use hako_engine::EngineError;
use hako_engine::image_pull::{AuthConfig, PullEvent, PushEvent, PushProgress, PushSummary};
use hako_engine::image_pull::{PullProgress, PullRequest, PullSummary, push_target};
use http::StatusCode;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::instrument;

use crate::error::ApiError;
use crate::request::{Ctx, Request};
use crate::response::{self, BoxError, JSON, Response};

type PullTask = JoinHandle<Result<PullSummary, EngineError>>;

/// Runs the pull and streams its progress.
#[instrument(skip_all, fields(image = %req.reference()))]
pub async fn pull(ctx: &Ctx, req: PullRequest) -> Result<Response, ApiError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<JsonMessage>();
    let progress: PullProgress = Arc::new(move |e| {
        let _ = tx.send(message(e));
    });
    let engine = ctx.engine.clone();
    let mut task: PullTask = tokio::spawn(async move { engine.image_pull(req, progress).await });
    // Wait for the first message or the end: an early failure is a plain error response.
    let (first, done) = tokio::select! {
        biased;
        m = rx.recv() => match m {
            Some(m) => (Some(m), None),
            // The sender is gone: the pull ended before saying anything.
            None => (None, Some((&mut task).await)),
        },
        r = &mut task => (rx.try_recv().ok(), Some(r)),
    };
    let done = match (first.is_none(), done) {
        (true, Some(Ok(Err(e)))) => return Err(e.into()),
        (true, Some(Err(join))) => {
            return Err(ApiError::from(EngineError::Task(join.to_string())));
        }
        (_, d) => d,
    };
    let state = Stream {
        first,
        rx,
        task: match done {
            Some(r) => Finish::Done(r),
            None => Finish::Running(task),
        },
    };
    let lines = futures_util::stream::unfold(state, |mut st| async move {
        if let Some(m) = st.first.take() {
            return Some((Ok::<_, BoxError>(line(&[m])), st));
        }
        if let Some(m) = st.rx.recv().await {
            return Some((Ok(line(&[m])), st));
        }
        let result = match std::mem::replace(&mut st.task, Finish::Over) {
            Finish::Over => return None,
            Finish::Done(r) => r,
            Finish::Running(t) => t.await,
        };
        let msgs = match result {
            Ok(Ok(summary)) => finish(&summary),
            Ok(Err(e)) => vec![error_message(&e.to_string())],
            Err(join) => vec![error_message(&join.to_string())],
        };
        Some((Ok(line(&msgs)), st))
    });
    Ok(response::typed(
        StatusCode::OK,
        JSON,
        response::stream_body(lines),
    ))
}

/// `POST /images/{name}/push` and `/tag` query parameters.
#[derive(Debug, Default, serde::Deserialize)]
struct PushTagQuery {
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    repo: Option<String>,
}

type PushTask = JoinHandle<Result<Vec<PushSummary>, EngineError>>;

/// `GET /distribution/{name}/json` with `X-Registry-Auth`: the descriptor the name points
/// at and the platforms it offers (plus each manifest, hako's addition).
#[instrument(skip_all, fields(image = %name))]
pub async fn distribution(ctx: &Ctx, req: Request, name: &str) -> Result<Response, ApiError> {
    use hako_api_types::image::{DistributionInspect, OciDescriptor, OciPlatform};
    let auth = req
        .headers()
        .get("x-registry-auth")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let found = ctx
        .engine
        .distribution_inspect(name, auth.as_deref())
        .await?;
    let platform = |p: &hako_engine::image_pull::DescriptorPlatform| OciPlatform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        os_version: p.os_version.clone().unwrap_or_default(),
        variant: p.variant.clone().unwrap_or_default(),
    };
    let descriptor = |d: &hako_engine::image_pull::Descriptor| OciDescriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.to_string(),
        size: d.size,
        platform: d.platform.as_ref().map(platform),
    };
    let body = DistributionInspect {
        descriptor: descriptor(&found.descriptor),
        platforms: found
            .manifests
            .iter()
            .filter_map(|d| d.platform.as_ref())
            .map(platform)
            .collect(),
        manifests: found.manifests.iter().map(descriptor).collect(),
    };
    Ok(response::json(StatusCode::OK, &body))
}

/// `POST /images/{name}/push?tag=` with `X-Registry-Auth`: Docker's JSON progress stream,
/// with `<tag>: digest: sha256:... size: N` and the `aux` record after each tag. Without
/// a tag, a bare repository name pushes all its tags (`docker push --all-tags`).
#[instrument(skip_all, fields(image = %name))]
pub async fn push(ctx: &Ctx, req: Request, name: &str) -> Result<Response, ApiError> {
    let q: PushTagQuery = crate::query::parse(req.uri())?;
    let auth = req
        .headers()
        .get("x-registry-auth")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Fail before streaming when the one image to push is missing (Docker's plain 404);
    // all tags of a repository with none fails in the stream, as moby's.
    let target = push_target(name, q.tag.as_deref())?;
    if !target.all_tags {
        ctx.engine.image_inspect(&target.reference).await?;
    }
    let (tx, rx) = mpsc::unbounded_channel::<JsonMessage>();
    let progress: PushProgress = Arc::new(move |e| {
        for m in push_messages(e) {
            let _ = tx.send(m);
        }
    });
    let engine = ctx.engine.clone();
    let name = name.to_owned();
    let task: PushTask = tokio::spawn(async move {
        engine
            .image_push(&name, q.tag.as_deref(), auth.as_deref(), progress)
            .await
    });
    let lines = futures_util::stream::unfold((rx, Some(task)), |(mut rx, task)| async move {
        if let Some(m) = rx.recv().await {
            return Some((Ok::<_, BoxError>(line(&[m])), (rx, task)));
        }
        let result = task?.await;
        // Each tag's lines went out with its events.
        let msgs = match result {
            Ok(Ok(_)) => return None,
            Ok(Err(e)) => vec![error_message(&e.to_string())],
            Err(join) => vec![error_message(&join.to_string())],
        };
        Some((Ok(line(&msgs)), (rx, None)))
    });
    Ok(response::typed(
        StatusCode::OK,
        JSON,
        response::stream_body(lines),
    ))
}

/// `POST /images/{name}/tag?repo=&tag=`: 201 with no body.
#[instrument(skip_all, fields(image = %name))]
pub async fn tag(ctx: &Ctx, req: Request, name: &str) -> Result<Response, ApiError> {
    let q: PushTagQuery = crate::query::parse(req.uri())?;
    let repo = q
        .repo
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::invalid("repository name must have at least one component"))?;
    ctx.engine.image_tag(name, &repo, q.tag.as_deref()).await?;
    Ok(response::empty(StatusCode::CREATED))
}

/// A push event as Docker writes it: one message, or for a finished tag its status line
/// and the `aux` record (`{"Tag", "Digest", "Size"}`).
pub(crate) fn push_messages(e: PushEvent) -> Vec<JsonMessage> {
    let empty = || Some(JsonProgress::default());
    let one = match e {
        PushEvent::Repository { name } => status(
            format!("The push refers to repository [{name}]"),
            None,
            None,
        ),
        PushEvent::Preparing { id } => status("Preparing", Some(id), empty()),
        PushEvent::Pushing { id, current, total } => {
            let mut m = status(
                "Pushing",
                Some(id),
                Some(JsonProgress {
                    current: Some(current as i64),
                    total: Some(total as i64),
                    ..JsonProgress::default()
                }),
            );
            m.progress = Some(bar(current, total));
            m
        }
        PushEvent::Pushed { id } => status("Pushed", Some(id), empty()),
        PushEvent::Mounted { id, from } => {
            status(format!("Mounted from {from}"), Some(id), empty())
        }
        PushEvent::Exists { id } => status("Layer already exists", Some(id), empty()),
        PushEvent::Retrying { id, seconds } => {
            let plural = if seconds == 1 { "" } else { "s" };
            status(
                format!("Retrying in {seconds} second{plural}"),
                Some(id),
                empty(),
            )
        }
        PushEvent::Tagged(outcome) => {
            let mut done = status(outcome.status_line(), None, None);
            done.progress_detail = empty();
            let aux = JsonMessage {
                aux: Some(serde_json::json!({
                    "Tag": outcome.tag,
                    "Digest": outcome.digest.to_string(),
                    "Size": outcome.size
                })),
                progress_detail: empty(),
                ..JsonMessage::default()
            };
            return vec![done, aux];
        }
    };
    vec![one]
}

/// `POST /auth`: checks credentials against the registry (`docker login`). Nothing is
/// stored by the daemon.
#[instrument(skip_all)]
pub async fn auth(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let creds: AuthConfig = crate::request::require_json(req).await?;
    ctx.engine.registry_login(creds).await?;
    Ok(response::json(
        StatusCode::OK,
        &serde_json::json!({"Status": "Login Succeeded", "IdentityToken": ""}),
    ))
}

struct Stream {
    first: Option<JsonMessage>,
    rx: mpsc::UnboundedReceiver<JsonMessage>,
    task: Finish,
}

enum Finish {
    Running(PullTask),
    Done(Result<Result<PullSummary, EngineError>, tokio::task::JoinError>),
    Over,
}

/// moby's stream formatter ends each JSON message with CRLF.
fn line(msgs: &[JsonMessage]) -> Bytes {
    let mut out = Vec::new();
    for m in msgs {
        out.extend(serde_json::to_vec(m).unwrap_or_default());
        out.extend_from_slice(b"\r\n");
    }
    Bytes::from(out)
}

fn status(s: impl Into<String>, id: Option<String>, detail: Option<JsonProgress>) -> JsonMessage {
    JsonMessage {
        status: Some(s.into()),
        id,
        progress_detail: detail,
        ..JsonMessage::default()
    }
}

/// A pull event as Docker writes it.
pub(crate) fn message(e: PullEvent) -> JsonMessage {
    let empty = || Some(JsonProgress::default());
    match e {
        PullEvent::PullingFrom { tag, repository } => {
            status(format!("Pulling from {repository}"), Some(tag), None)
        }
        PullEvent::LayerExists { id } => status("Already exists", Some(id), empty()),
        PullEvent::LayerQueued { id } => status("Pulling fs layer", Some(id), empty()),
        PullEvent::Waiting { id } => status("Waiting", Some(id), empty()),
        PullEvent::Downloading { id, current, total } => {
            let mut m = status(
                "Downloading",
                Some(id),
                Some(JsonProgress {
                    current: Some(current as i64),
                    total: Some(total as i64),
                    ..JsonProgress::default()
                }),
            );
            m.progress = Some(bar(current, total));
            m
        }
        PullEvent::DownloadComplete { id } => status("Download complete", Some(id), empty()),
        PullEvent::PullComplete { id } => status("Pull complete", Some(id), empty()),
    }
}

fn finish(s: &PullSummary) -> Vec<JsonMessage> {
    let mut out: Vec<JsonMessage> = s
        .warnings
        .iter()
        .map(|w| status(format!("WARNING: {w}"), None, None))
        .collect();
    out.push(status(format!("Digest: {}", s.digest), None, None));
    out.push(status(s.status.clone(), None, None));
    out
}

fn error_message(text: &str) -> JsonMessage {
    JsonMessage {
        error_detail: Some(JsonError {
            code: None,
            message: text.to_owned(),
        }),
        error: Some(text.to_owned()),
        ..JsonMessage::default()
    }
}

/// The pre-rendered bar of moby's `JSONProgress.String()`: `[====>     ]  1.2MB/3.4MB`.
pub(crate) fn bar(current: u64, total: u64) -> String {
    const WIDTH: u64 = 50;
    let filled = (current.min(total) * WIDTH).checked_div(total).unwrap_or(0) as usize;
    let mut b = "=".repeat(filled);
    if filled < WIDTH as usize {
        b.push('>');
    }
    let pad = WIDTH as usize + 1 - b.len().min(WIDTH as usize + 1);
    format!(
        "[{b}{}] {:>8}/{}",
        " ".repeat(pad.saturating_sub(1)),
        human(current),
        human(total)
    )
}

fn human(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < units.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{n}B")
    } else {
        format!("{v:.3}{}", units[i]).replace(".000", "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_dockers() {
        let m = message(PullEvent::PullingFrom {
            tag: "latest".into(),
            repository: "library/busybox".into(),
        });
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"status":"Pulling from library/busybox","id":"latest"}"#
        );
        let m = message(PullEvent::Downloading {
            id: "6f73334ed582".into(),
            current: 500,
            total: 1000,
        });
        let v: serde_json::Value = serde_json::to_value(&m).unwrap();
        assert_eq!(v["progressDetail"]["current"], 500);
        assert_eq!(v["progressDetail"]["total"], 1000);
        assert!(
            v["progress"]
                .as_str()
                .unwrap()
                .starts_with("[=========================>")
        );
        let e = serde_json::to_value(error_message("boom")).unwrap();
        assert_eq!(e["errorDetail"]["message"], "boom");
        assert_eq!(e["error"], "boom");
    }
}
