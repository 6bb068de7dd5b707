//! `docker save` and `docker load`: `GET /images/get`, `GET /images/{name}/get`,
//! `POST /images/load`.

use futures_util::TryStreamExt;
use hako_api_types::progress::JsonMessage;
use hako_api_types::query::{ImageLoadQuery, ImageSaveQuery};
use hako_engine::container::archive::TarStream;
use hako_engine::container::options::BoxRead;
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

/// `GET /images/get?names=a&names=b`.
#[instrument(skip_all)]
pub async fn save_many(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q = ImageSaveQuery::from_query_string(req.uri().query().unwrap_or(""));
    if q.names.is_empty() {
        return Err(ApiError::invalid(
            "at least one image name is required (names=)",
        ));
    }
    Ok(tar_response(ctx.engine.image_save(q.names).await?))
}

/// `GET /images/{name}/get`.
#[instrument(skip_all, fields(image = %name))]
pub async fn save_one(ctx: &Ctx, name: &str) -> Result<Response, ApiError> {
    Ok(tar_response(
        ctx.engine.image_save(vec![name.to_owned()]).await?,
    ))
}

/// `POST /images/load`. As with import, the answer is sent once the load is done, so a
/// refused archive is an ordinary error status; success is Docker's `stream` lines.
/// `quiet` only silences progress bars, which hako does not send.
#[instrument(skip_all)]
pub async fn load(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let _q: ImageLoadQuery = query::parse(req.uri())?;
    let body = req
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let source: BoxRead = Box::pin(StreamReader::new(body));
    let lines = ctx.engine.image_load(source).await?;
    let mut out = Vec::new();
    for line in lines {
        let msg = JsonMessage {
            stream: Some(format!("{line}\n")),
            ..JsonMessage::default()
        };
        out.extend(serde_json::to_vec(&msg).map_err(|e| ApiError::internal(e.to_string()))?);
        // moby's stream formatter ends each JSON message with CRLF.
        out.extend_from_slice(b"\r\n");
    }
    Ok(response::typed(
        StatusCode::OK,
        JSON,
        response::full_body(out),
    ))
}
