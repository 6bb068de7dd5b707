//! Handlers, one module per resource; [`dispatch`] maps a routed endpoint to its handler.
//!
//! Every handler parses its request, calls the engine, and encodes the answer; errors are
//! returned, never written, so that `service.rs` logs them once and `error.rs` alone
//! chooses their status.

mod archive;
mod build;
mod container_io;
mod containers;
mod emulation;
mod events;
mod exec;
mod image_archive;
mod image_commit;
mod image_pull;
mod images;
mod networks;
mod resources;
mod system;
mod volumes;

use crate::error::ApiError;
use crate::request::{Ctx, Request};
use crate::response::Response;
use crate::router::{Endpoint, Matched};

/// Runs the handler for a matched route.
pub async fn dispatch(ctx: &Ctx, req: Request, route: &Matched) -> Result<Response, ApiError> {
    let p = route.param();
    match route.route.endpoint {
        Endpoint::Ping => Ok(system::ping(&req)),
        Endpoint::Options => Ok(system::options()),
        Endpoint::Version => system::version(ctx).await,
        Endpoint::Info => system::info(ctx).await,
        Endpoint::Events => events::events(ctx, req).await,
        Endpoint::ContainerList => containers::list(ctx, req).await,
        Endpoint::ContainerCreate => containers::create(ctx, req).await,
        Endpoint::ContainerInspect => containers::inspect(ctx, req, p).await,
        Endpoint::ContainerStart => containers::start(ctx, req, p).await,
        Endpoint::ContainerStop => containers::stop(ctx, req, p).await,
        Endpoint::ContainerKill => containers::kill(ctx, req, p).await,
        Endpoint::ContainerDelete => containers::remove(ctx, req, p).await,
        Endpoint::ContainerWait => container_io::wait(ctx, req, p).await,
        Endpoint::ContainerLogs => container_io::logs(ctx, req, p).await,
        Endpoint::ContainerAttach => container_io::attach(ctx, req, p).await,
        Endpoint::ContainerResize => container_io::resize(ctx, req, p).await,
        Endpoint::ContainerPause => resources::pause(ctx, p).await,
        Endpoint::ContainerUnpause => resources::unpause(ctx, p).await,
        Endpoint::ContainerRestart => resources::restart(ctx, req, p).await,
        Endpoint::ContainerRename => resources::rename(ctx, req, p).await,
        Endpoint::ContainerUpdate => resources::update(ctx, req, p).await,
        Endpoint::ContainerPrune => resources::prune(ctx, req).await,
        Endpoint::ContainerStats => resources::stats(ctx, req, p).await,
        Endpoint::ContainerTop => resources::top(ctx, req, p).await,
        Endpoint::ExecCreate => exec::create(ctx, req, p).await,
        Endpoint::ExecStart => exec::start(ctx, req, p).await,
        Endpoint::ExecResize => exec::resize(ctx, req, p).await,
        Endpoint::ExecInspect => exec::inspect(ctx, p).await,
        Endpoint::ImageList => images::list(ctx, req).await,
        Endpoint::ImageInspect => images::inspect(ctx, req, p).await,
        Endpoint::ImageDelete => images::delete(ctx, req, p).await,
        Endpoint::ImageCreate => images::create(ctx, req).await,
        Endpoint::Auth => image_pull::auth(ctx, req).await,
        Endpoint::ImagePush => image_pull::push(ctx, req, p).await,
        Endpoint::DistributionInspect => image_pull::distribution(ctx, req, p).await,
        Endpoint::ImageTag => image_pull::tag(ctx, req, p).await,
        Endpoint::ImageHistory => image_commit::history(ctx, p).await,
        Endpoint::ImagePrune => image_commit::prune(ctx, req).await,
        Endpoint::ContainerCommit => image_commit::commit(ctx, req).await,
        Endpoint::SystemDf => image_commit::disk_usage(ctx, req).await,
        Endpoint::ImageSaveMany => image_archive::save_many(ctx, req).await,
        Endpoint::ImageSave => image_archive::save_one(ctx, req, p).await,
        Endpoint::ImageLoad => image_archive::load(ctx, req).await,
        Endpoint::Build => build::build(ctx, req).await,
        Endpoint::BuildPrune => Ok(build::prune()),
        Endpoint::NetworkInspect => networks::inspect(ctx, p).await,
        Endpoint::NetworkList => networks::list(ctx, req).await,
        Endpoint::NetworkCreate => networks::create(ctx, req).await,
        Endpoint::NetworkDelete => networks::remove(ctx, p).await,
        Endpoint::NetworkPrune => networks::prune(ctx, req).await,
        Endpoint::NetworkConnect => networks::connect(ctx, req, p).await,
        Endpoint::NetworkDisconnect => networks::disconnect(ctx, req, p).await,
        Endpoint::VolumeInspect => volumes::inspect(ctx, p).await,
        Endpoint::ContainerArchiveStat => archive::stat(ctx, req, p).await,
        Endpoint::ContainerArchiveGet => archive::get(ctx, req, p).await,
        Endpoint::ContainerArchivePut => archive::put(ctx, req, p).await,
        Endpoint::ContainerChanges => archive::changes(ctx, p).await,
        Endpoint::ContainerExport => archive::export(ctx, p).await,
        Endpoint::VolumeList => volumes::list(ctx, req).await,
        Endpoint::VolumeCreate => volumes::create(ctx, req).await,
        Endpoint::VolumeDelete => volumes::remove(ctx, req, p).await,
        Endpoint::VolumePrune => volumes::prune(ctx, req).await,
        Endpoint::EmulationList => emulation::list(ctx).await,
        Endpoint::EmulationInstall => emulation::install(ctx, req).await,
        Endpoint::EmulationUninstall => emulation::uninstall(ctx, req).await,
        Endpoint::NotImplemented => Err(ApiError::not_implemented(route.name())),
    }
}
