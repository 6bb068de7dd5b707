//! `docker save` and `docker load`: `GET /images/get`, `GET /images/{name}/get`,
//! `POST /images/load`.

use futures_util::TryStreamExt;
use hako_api_types::progress::{JsonMessage, JsonProgress};
use hako_api_types::query::{ImageLoadQuery, ImageSaveQuery};
use hako_engine::container::archive::TarStream;
use hako_engine::container::options::BoxRead;
use hako_engine::image::{LayerProgress, Platform};
use http::StatusCode;
use http_body_util::BodyExt;
use tokio_util::io::StreamReader;
use tracing::instrument;

use crate::error::ApiError;
use crate::query;
use crate::request::{Ctx, Request};
use crate::response::{self, JSON, Response};

fn tar_response(rx: TarStream) -> Response {
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    response::typed(
        StatusCode::OK,
        "application/x-tar",
        response::stream_body(chunks),
    )
}

/// `GET /images/get?names=a&names=b&platform=`.
#[instrument(skip_all)]
pub async fn save_many(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q = ImageSaveQuery::from_query_string(req.uri().query().unwrap_or(""));
    if q.names.is_empty() {
        return Err(ApiError::invalid(
            "at least one image name is required (names=)",
        ));
    }
    let platform = one_platform(&q.platforms)?;
    Ok(tar_response(
        ctx.engine.image_save(q.names, platform).await?,
    ))
}

/// `GET /images/{name}/get?platform=`.
#[instrument(skip_all, fields(image = %name))]
pub async fn save_one(ctx: &Ctx, req: Request, name: &str) -> Result<Response, ApiError> {
    let q = ImageSaveQuery::from_query_string(req.uri().query().unwrap_or(""));
    let platform = one_platform(&q.platforms)?;
    Ok(tar_response(
        ctx.engine
            .image_save(vec![name.to_owned()], platform)
            .await?,
    ))
}

/// The `platform` parameter of save (API 1.48): one OCI platform as JSON. Older clients
/// never send it, so it is honoured whatever version the request speaks.
fn one_platform(values: &[String]) -> Result<Option<Platform>, ApiError> {
    match values {
        [] => Ok(None),
        [one] if one.is_empty() => Ok(None),
        [one] => decode_platform(one).map(Some),
        // moby's words.
        _ => Err(ApiError::invalid(
            "multiple platform parameters not supported",
        )),
    }
}

/// An OCI platform object as clients send it; absent fields are empty, as Go reads them.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct WirePlatform {
    architecture: String,
    os: String,
    #[serde(rename = "os.version")]
    os_version: String,
    #[serde(rename = "os.features")]
    os_features: Vec<String>,
    variant: String,
}

/// moby's `DecodePlatform`, with its words.
fn decode_platform(json: &str) -> Result<Platform, ApiError> {
    let p: WirePlatform = serde_json::from_str(json)
        .map_err(|e| ApiError::invalid(format!("failed to parse platform: {e}")))?;
    let optional = !p.variant.is_empty() || !p.os_version.is_empty() || !p.os_features.is_empty();
    if p.os.is_empty() && p.architecture.is_empty() && optional {
        return Err(ApiError::invalid(
            "optional platform fields provided, but OS and Architecture are missing",
        ));
    }
    if p.os.is_empty() || p.architecture.is_empty() {
        return Err(ApiError::invalid(
            "both OS and Architecture must be provided",
        ));
    }
    Ok(Platform {
        os: p.os,
        architecture: p.architecture,
        variant: p.variant,
        os_version: p.os_version,
        os_features: p.os_features,
    })
}

/// `POST /images/load?quiet=&platform=`.
///
/// Quiet (moby's default when the parameter is absent): the answer is sent once the load
/// is done, so a refused archive is an ordinary error status; success is Docker's
/// `stream` lines. With `quiet=0` the answer starts at once with Docker's `Loading
/// layer` progress per layer (what `docker load` draws as bars), then the same lines; a
/// failure after that is an error message in the stream, as with moby.
#[instrument(skip_all)]
pub async fn load(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q: ImageLoadQuery = query::parse(req.uri())?;
    let platform = match q.platform.as_deref() {
        None | Some("") => None,
        Some(p) => Some(decode_platform(p)?),
    };
    let body = req
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let source: BoxRead = Box::pin(StreamReader::new(body));
    if q.quiet {
        let lines = ctx.engine.image_load(source, platform, None).await?;
        let mut out = Vec::new();
        for line in lines {
            out.extend(frame(&stream_line(line))?);
        }
        return Ok(response::typed(
            StatusCode::OK,
            JSON,
            response::full_body(out),
        ));
    }
    let (progress_tx, mut progress_rx) = tokio::sync::mpsc::channel::<LayerProgress>(64);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(64);
    let engine = ctx.engine.clone();
    tokio::spawn(async move {
        let load = engine.image_load(source, platform, Some(progress_tx));
        tokio::pin!(load);
        let result = loop {
            tokio::select! {
                Some(p) = progress_rx.recv() => {
                    let _ = tx.send(frame(&layer_message(&p)).map(bytes::Bytes::from).map_err(std::io::Error::other)).await;
                }
                r = &mut load => break r,
            }
        };
        // Reports still queued when the load ended.
        while let Ok(p) = progress_rx.try_recv() {
            let _ = tx
                .send(
                    frame(&layer_message(&p))
                        .map(bytes::Bytes::from)
                        .map_err(std::io::Error::other),
                )
                .await;
        }
        let messages: Vec<JsonMessage> = match result {
            Ok(lines) => lines.into_iter().map(stream_line).collect(),
            Err(e) => vec![JsonMessage::error(ApiError::from(e).to_string())],
        };
        for m in messages {
            let _ = tx
                .send(
                    frame(&m)
                        .map(bytes::Bytes::from)
                        .map_err(std::io::Error::other),
                )
                .await;
        }
    });
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(response::typed(
        StatusCode::OK,
        JSON,
        response::stream_body(chunks),
    ))
}

fn stream_line(line: String) -> JsonMessage {
    JsonMessage {
        stream: Some(format!("{line}\n")),
        ..JsonMessage::default()
    }
}

/// moby's `Loading layer` message from its progress reader.
fn layer_message(p: &LayerProgress) -> JsonMessage {
    JsonMessage {
        status: Some("Loading layer".to_owned()),
        progress_detail: Some(JsonProgress {
            current: i64::try_from(p.current).ok(),
            total: i64::try_from(p.total).ok(),
            ..JsonProgress::default()
        }),
        progress: Some(super::image_pull::bar(p.current, p.total)),
        id: Some(p.id.clone()),
        ..JsonMessage::default()
    }
}

/// One JSON message as moby's stream formatter writes it: CRLF after each.
fn frame(m: &JsonMessage) -> Result<Vec<u8>, ApiError> {
    let mut out = serde_json::to_vec(m).map_err(|e| ApiError::internal(e.to_string()))?;
    out.extend_from_slice(b"\r\n");
    Ok(out)
}
