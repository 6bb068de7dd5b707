//! `hako system`: df, info, events, prune.

use super::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Show docker disk usage
    Df(super::system_df::DfArgs),
    /// Get real time events from the server
    Events(super::events::Args),
    /// Display system-wide information
    Info(super::info::Args),
    /// Remove unused data
    Prune(super::system_prune::Args),
}

pub async fn run(ctx: &Ctx, c: Cmd) -> anyhow::Result<i32> {
    match c {
        Cmd::Df(a) => super::system_df::df(ctx, a).await,
        Cmd::Events(a) => super::events::run(ctx, a).await,
        Cmd::Info(a) => super::info::run(ctx, a).await,
        Cmd::Prune(a) => super::system_prune::run(ctx, a).await,
    }
}
