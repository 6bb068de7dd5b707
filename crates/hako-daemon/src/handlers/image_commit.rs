//! `POST /commit`, `GET /images/{name}/history`, `POST /images/prune`, `GET /system/df`.

use hako_api_types::container::PruneQuery;
use hako_api_types::image::{
    CommitQuery, HistoryResponseItem, IdResponse, ImageDeleteResponseItem, ImagePruneReport,
};
use hako_api_types::system::{DiskUsage, DiskUsageQuery};
use hako_engine::disk_usage::DiskUsageKinds;
use hako_engine::image::{CommitOptions, ImageDeleteItem};
use http::StatusCode;
use tracing::instrument;

use crate::convert;
use crate::error::ApiError;
use crate::query;
use crate::request::{Ctx, Request, read_json};
use crate::response::{self, Response};

/// `POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=`; the body, if
/// any, is a container `Config` overriding the container's.
#[instrument(skip_all)]
pub async fn commit(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q = CommitQuery::from_query_string(req.uri().query().unwrap_or(""));
    if q.container.is_empty() {
        return Err(ApiError::invalid("No container name or ID supplied"));
    }
    let config: Option<serde_json::Value> = read_json(req).await?;
    let opts = CommitOptions {
        repo: q.repo,
        tag: q.tag,
        comment: q.comment,
        author: q.author,
        pause: q.pause,
        changes: q.changes,
        config,
    };
    let id = ctx.engine.container_commit(&q.container, opts).await?;
    Ok(response::json(StatusCode::CREATED, &IdResponse { id }))
}

/// `GET /images/{name}/history`.
#[instrument(skip_all, fields(image = %name))]
pub async fn history(ctx: &Ctx, name: &str) -> Result<Response, ApiError> {
    let rows: Vec<HistoryResponseItem> = ctx
        .engine
        .image_history(name)
        .await?
        .into_iter()
        .map(|h| HistoryResponseItem {
            id: h.id,
            created: h.created,
            created_by: h.created_by,
            tags: h.tags,
            size: h.size,
            comment: h.comment,
        })
        .collect();
    Ok(response::json(StatusCode::OK, &rows))
}

/// `POST /images/prune?filters=`.
#[instrument(skip_all)]
pub async fn prune(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q: PruneQuery = query::parse(req.uri())?;
    let filters = query::filters(q.filters.as_ref());
    let until = match filters.get("until") {
        [] => None,
        [one] => Some(super::resources::until(one)?),
        _ => return Err(ApiError::invalid("filters: more than one until filter")),
    };
    let report = ctx.engine.image_prune(&filters, until).await?;
    let items: Vec<ImageDeleteResponseItem> = report
        .deleted
        .into_iter()
        .map(|i| match i {
            ImageDeleteItem::Untagged(r) => ImageDeleteResponseItem {
                untagged: Some(r),
                deleted: None,
            },
            ImageDeleteItem::Deleted(d) => ImageDeleteResponseItem {
                untagged: None,
                deleted: Some(d),
            },
        })
        .collect();
    Ok(response::json(
        StatusCode::OK,
        &ImagePruneReport {
            images_deleted: (!items.is_empty()).then_some(items),
            space_reclaimed: report.space_reclaimed,
        },
    ))
}

/// `GET /system/df?type=`.
#[instrument(skip_all)]
pub async fn disk_usage(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q = DiskUsageQuery::from_query_string(req.uri().query().unwrap_or(""));
    let du = ctx
        .engine
        .system_df(DiskUsageKinds::parse(&q.types)?)
        .await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let body = DiskUsage {
        layers_size: du.layers_size.unwrap_or(0),
        images: du.images.map(|v| {
            v.into_iter()
                .map(|i| {
                    let shared = i.shared_size;
                    let mut w = convert::image_summary(i);
                    w.shared_size = shared;
                    w
                })
                .collect()
        }),
        containers: du.containers.map(|v| {
            v.iter()
                .map(|c| convert::container_summary(c, now))
                .collect()
        }),
        volumes: du.volumes.map(|v| {
            v.into_iter()
                .map(|u| convert::mounts::volume_out(u.volume, Some((u.ref_count, u.size))))
                .collect()
        }),
        build_cache: Some(Vec::new()),
    };
    Ok(response::json(StatusCode::OK, &body))
}
