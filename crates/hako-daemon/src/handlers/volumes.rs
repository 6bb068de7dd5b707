//! Volumes: create, list, inspect, remove, prune.

use hako_api_types::volume::{
    VolumeCreateOptions, VolumeFiltersQuery, VolumeListResponse, VolumePruneReport,
    VolumeRemoveQuery,
};
use hako_engine::volume::ops::VolumeCreateRequest;
use http::StatusCode;
use tracing::instrument;

use crate::convert::mounts::volume_out;
use crate::error::ApiError;
use crate::query;
use crate::request::{self, Ctx, Request};
use crate::response::{self, Response};

/// `POST /volumes/create`.
#[instrument(skip_all)]
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let body: VolumeCreateOptions = request::read_json(req).await?.unwrap_or_default();
    let vol = ctx
        .engine
        .volume_create(VolumeCreateRequest {
            name: body.name,
            driver: body.driver,
            driver_opts: body.driver_opts.unwrap_or_default(),
            labels: body.labels.unwrap_or_default(),
        })
        .await?;
    Ok(response::json(StatusCode::CREATED, &volume_out(vol, None)))
}

/// `GET /volumes`.
#[instrument(skip_all)]
pub async fn list(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q: VolumeFiltersQuery = query::parse(req.uri())?;
    let vols = ctx
        .engine
        .volume_list(&query::filters(q.filters.as_ref()))
        .await?;
    let body = VolumeListResponse {
        volumes: Some(vols.into_iter().map(|v| volume_out(v, None)).collect()),
        warnings: None,
    };
    Ok(response::json(StatusCode::OK, &body))
}

/// `GET /volumes/{name}`.
#[instrument(skip_all, fields(volume = %name))]
pub async fn inspect(ctx: &Ctx, name: &str) -> Result<Response, ApiError> {
    let vol = ctx.engine.volume_inspect(name).await?;
    Ok(response::json(StatusCode::OK, &volume_out(vol, None)))
}

/// `DELETE /volumes/{name}?force=`.
#[instrument(skip_all, fields(volume = %name))]
pub async fn remove(ctx: &Ctx, req: Request, name: &str) -> Result<Response, ApiError> {
    let q: VolumeRemoveQuery = query::parse(req.uri())?;
    ctx.engine.volume_remove(name, q.force).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}

/// `POST /volumes/prune?filters=`.
#[instrument(skip_all)]
pub async fn prune(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q: VolumeFiltersQuery = query::parse(req.uri())?;
    let report = ctx
        .engine
        .volume_prune(&query::filters(q.filters.as_ref()))
        .await?;
    let body = VolumePruneReport {
        volumes_deleted: Some(report.deleted),
        space_reclaimed: report.space_reclaimed,
    };
    Ok(response::json(StatusCode::OK, &body))
}
