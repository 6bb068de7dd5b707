//! Images: list, inspect, delete, import (`POST /images/create?fromSrc=-`).

use futures_util::TryStreamExt;
use hako_api_types::image::ImageDeleteResponseItem;
use hako_api_types::progress::JsonMessage;
use hako_api_types::query::{
    ImageCreateQuery, ImageInspectQuery, ImageListQuery, ImageRemoveQuery,
};
use hako_engine::container::options::BoxRead;
use hako_engine::image::{ImageDeleteItem, ImageListOptions, ImportOptions};
use hako_engine::image_pull::PullRequest;
use http::StatusCode;
use http_body_util::BodyExt;
use tokio_util::io::StreamReader;
use tracing::instrument;

use crate::convert;
use crate::error::ApiError;
use crate::query;
use crate::request::{Ctx, Request};
use crate::response::{self, JSON, Response};

/// `GET /images/json`.
#[instrument(skip_all)]
pub async fn list(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q: ImageListQuery = query::parse(req.uri())?;
    let opts = ImageListOptions {
        all: q.all,
        filters: query::filters(q.filters.as_ref()),
        digests: q.digests,
        manifests: q.manifests,
    };
    let rows: Vec<_> = ctx
        .engine
        .image_list(opts)
        .await?
        .into_iter()
        .map(convert::image_summary)
        .collect();
    Ok(response::json(StatusCode::OK, &rows))
}

/// `GET /images/{name}/json?manifests=`.
#[instrument(skip_all, fields(image = %name))]
pub async fn inspect(ctx: &Ctx, req: Request, name: &str) -> Result<Response, ApiError> {
    let q: ImageInspectQuery = query::parse(req.uri())?;
    let details = ctx.engine.image_inspect_with(name, q.manifests).await?;
    Ok(response::json(
        StatusCode::OK,
        &convert::image_inspect(details),
    ))
}

/// `DELETE /images/{name}?force=&noprune=`.
#[instrument(skip_all, fields(image = %name))]
pub async fn delete(ctx: &Ctx, req: Request, name: &str) -> Result<Response, ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::invalid("image name cannot be blank"));
    }
    let q: ImageRemoveQuery = query::parse(req.uri())?;
    let items: Vec<_> = ctx
        .engine
        .image_delete(name, q.force, !q.noprune)
        .await?
        .into_iter()
        .map(|item| match item {
            ImageDeleteItem::Untagged(r) => ImageDeleteResponseItem {
                untagged: Some(r),
                deleted: None,
            },
            ImageDeleteItem::Deleted(id) => ImageDeleteResponseItem {
                untagged: None,
                deleted: Some(id),
            },
        })
        .collect();
    Ok(response::json(StatusCode::OK, &items))
}

/// `POST /images/create`: pull (`fromImage`, see `image_pull.rs`) or import from the
/// request body (`fromSrc=-`). Importing from a URL comes later.
///
/// As in moby, nothing is written before the import finishes, so a failure is an
/// ordinary error response; success is one progress line with the new image ID.
#[instrument(skip_all)]
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q = ImageCreateQuery::from_query_string(req.uri().query().unwrap_or(""));
    if let Some(image) = q.from_image.clone().filter(|s| !s.is_empty()) {
        let auth = req
            .headers()
            .get("x-registry-auth")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let pull = PullRequest {
            image,
            tag: q.tag.clone(),
            platform: q.platform.clone(),
            registry_auth: auth,
        };
        return super::image_pull::pull(ctx, pull).await;
    }
    let src = q.from_src.as_deref().unwrap_or("");
    match src {
        "-" => {}
        "" => {
            return Err(ApiError::invalid(
                "either fromImage (pull) or fromSrc (import) is required",
            ));
        }
        url => {
            return Err(ApiError::not_implemented(format_args!(
                "importing from a URL (fromSrc={url})"
            )));
        }
    }
    let opts = ImportOptions {
        repo: q.repo.filter(|r| !r.is_empty()),
        tag: q.tag.filter(|t| !t.is_empty()),
        changes: q.changes,
        // moby's router fills the comment the same way.
        message: Some(
            q.message
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("Imported from {src}")),
        ),
        // `platform` exists from API 1.32, below our minimum.
        platform: q.platform.filter(|p| !p.is_empty()),
    };
    let body = req
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let source: BoxRead = Box::pin(StreamReader::new(body));
    let id = ctx.engine.image_import(source, opts).await?;
    tracing::info!(image.id = %id, "image imported");
    // moby's stream formatter ends each JSON message with CRLF.
    let mut line = serde_json::to_vec(&JsonMessage::status(id)).unwrap_or_default();
    line.extend_from_slice(b"\r\n");
    Ok(response::typed(
        StatusCode::OK,
        JSON,
        response::full_body(line),
    ))
}
