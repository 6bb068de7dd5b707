//! `/hako/emulation`: hako's own endpoints for running other CPU architectures.

use hako_api_types::emulation::{EmulationArch, EmulationChange, EmulationRequest};
use hako_engine::emulation::{ArchStatus, Change};
use http::StatusCode;
use tracing::instrument;

use crate::error::ApiError;
use crate::request::{Ctx, Request, read_json};
use crate::response::{self, Response};

/// `GET /hako/emulation`: every architecture, native or not, and its handler.
#[instrument(skip_all)]
pub async fn list(ctx: &Ctx) -> Result<Response, ApiError> {
    let list = ctx.engine.emulation_list().await?;
    let body: Vec<EmulationArch> = list.iter().map(arch).collect();
    Ok(response::json(StatusCode::OK, &body))
}

/// `POST /hako/emulation/install` with `{"Arches": [...]}` (empty: all).
#[instrument(skip_all)]
pub async fn install(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let body: EmulationRequest = read_json(req).await?.unwrap_or_default();
    let changes = ctx.engine.emulation_install(body.arches).await?;
    Ok(changed(&changes))
}

/// `POST /hako/emulation/uninstall` with `{"Arches": [...]}` (empty: what hako registered).
#[instrument(skip_all)]
pub async fn uninstall(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let body: EmulationRequest = read_json(req).await?.unwrap_or_default();
    let changes = ctx.engine.emulation_uninstall(body.arches).await?;
    Ok(changed(&changes))
}

fn changed(changes: &[Change]) -> Response {
    let body: Vec<EmulationChange> = changes
        .iter()
        .map(|c| EmulationChange {
            arch: c.arch.clone(),
            handler: c.handler.clone(),
            action: c.action.as_str().to_string(),
        })
        .collect();
    response::json(StatusCode::OK, &body)
}

fn arch(s: &ArchStatus) -> EmulationArch {
    let h = s.handler.as_ref();
    EmulationArch {
        arch: s.arch.short(),
        platform: s.arch.platform(),
        native: s.native,
        handler: h.map(|h| h.name.clone()).unwrap_or_default(),
        enabled: h.is_some_and(|h| h.enabled),
        interpreter: h.map(|h| h.interpreter.clone()).unwrap_or_default(),
        flags: h.map(|h| h.flags.clone()).unwrap_or_default(),
        registered_by_hako: s.registered_by_hako,
        can_run: s.can_run(),
    }
}
