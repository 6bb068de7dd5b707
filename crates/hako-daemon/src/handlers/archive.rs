//! `cp`, `diff`, `export`: `HEAD|GET|PUT /containers/{id}/archive`,
//! `GET /containers/{id}/changes`, `GET /containers/{id}/export`.

use futures_util::TryStreamExt;
use hako_api_types::archive::{
    ArchiveQuery, ChangeItem, ExtractQuery, PATH_STAT_HEADER, PathStat, base64_encode,
};
use hako_engine::container::archive::{ExtractOptions, PathStat as EnginePathStat, TarStream};
use hako_engine::container::options::BoxRead;
use http::{HeaderValue, StatusCode};
use http_body_util::BodyExt;
use tokio_util::io::StreamReader;
use tracing::instrument;

use crate::error::ApiError;
use crate::query;
use crate::request::{Ctx, Request};
use crate::response::{self, Response};

fn stat_header(s: EnginePathStat) -> Result<HeaderValue, ApiError> {
    let wire = PathStat {
        name: s.name,
        size: s.size,
        mode: s.mode,
        mtime: s.mtime,
        link_target: s.link_target,
    };
    let json = serde_json::to_vec(&wire).map_err(|e| ApiError::internal(e.to_string()))?;
    HeaderValue::from_str(&base64_encode(&json)).map_err(|e| ApiError::internal(e.to_string()))
}

fn tar_body(rx: TarStream) -> crate::response::Body {
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    response::stream_body(chunks)
}

fn require_path(p: &str) -> Result<(), ApiError> {
    if p.is_empty() {
        return Err(ApiError::invalid("path cannot be empty"));
    }
    Ok(())
}

/// `HEAD /containers/{id}/archive?path=`.
#[instrument(skip_all, fields(container = %id))]
pub async fn stat(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let q: ArchiveQuery = query::parse(req.uri())?;
    require_path(&q.path)?;
    let s = ctx.engine.container_path_stat(id, &q.path).await?;
    let mut r = response::empty(StatusCode::OK);
    r.headers_mut().insert(PATH_STAT_HEADER, stat_header(s)?);
    Ok(r)
}

/// `GET /containers/{id}/archive?path=`.
#[instrument(skip_all, fields(container = %id))]
pub async fn get(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let q: ArchiveQuery = query::parse(req.uri())?;
    require_path(&q.path)?;
    let (s, rx) = ctx.engine.container_archive(id, &q.path).await?;
    let mut r = response::typed(StatusCode::OK, "application/x-tar", tar_body(rx));
    r.headers_mut().insert(PATH_STAT_HEADER, stat_header(s)?);
    Ok(r)
}

/// `PUT /containers/{id}/archive?path=`.
#[instrument(skip_all, fields(container = %id))]
pub async fn put(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let q: ExtractQuery = query::parse(req.uri())?;
    require_path(&q.path)?;
    let body = req
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let source: BoxRead = Box::pin(StreamReader::new(body));
    let opts = ExtractOptions {
        copy_uid_gid: q.copy_uid_gid,
        no_overwrite_dir_non_dir: q.no_overwrite_dir_non_dir,
    };
    ctx.engine
        .container_extract(id, &q.path, opts, source)
        .await?;
    Ok(response::empty(StatusCode::OK))
}

/// `GET /containers/{id}/changes`.
#[instrument(skip_all, fields(container = %id))]
pub async fn changes(ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    let items: Vec<ChangeItem> = ctx
        .engine
        .container_changes(id)
        .await?
        .into_iter()
        .map(|c| ChangeItem {
            path: c.path,
            kind: c.kind,
        })
        .collect();
    Ok(response::json(StatusCode::OK, &items))
}

/// `GET /containers/{id}/export`.
#[instrument(skip_all, fields(container = %id))]
pub async fn export(ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    let rx = ctx.engine.container_export(id).await?;
    Ok(response::typed(
        StatusCode::OK,
        "application/x-tar",
        tar_body(rx),
    ))
}
