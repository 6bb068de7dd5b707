//! What the prune verbs share (`container|image|volume|network prune`, `system prune`):
//! Docker's confirmation prompt, and each resource's prune as one step that returns
//! docker's report and the space it reclaimed, so that `system prune` chains them as the
//! docker CLI does.

use std::io::{BufRead, Write};

use hako_api_types::container::ContainerPruneResponse;
use hako_api_types::filters::Filters;
use hako_api_types::image::ImagePruneReport;
use hako_api_types::volume::VolumePruneReport;
use serde_json::Value;

use crate::client::{Client, ClientError};
use crate::format::human_size;

/// Docker's prompt: `WARNING! {message}` then `Are you sure you want to continue? [y/N] `;
/// only `y` (either case) goes on.
pub fn confirm(message: &str) -> std::io::Result<bool> {
    let mut stdout = std::io::stdout();
    write!(
        stdout,
        "WARNING! {message}\nAre you sure you want to continue? [y/N] "
    )?;
    stdout.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().eq_ignore_ascii_case("y"))
}

/// What one prune removed: docker's report (empty when nothing went) and the bytes.
#[derive(Debug, Default)]
pub struct Pruned {
    pub report: String,
    pub space: u64,
}

/// `Total reclaimed space: 1.23MB` (docker's `units.HumanSize`: 4 significant digits).
pub fn total(space: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let size = space as f64;
    format!("Total reclaimed space: {}\n", human_size(size, 4))
}

/// `path?filters=…`, or `path` alone when there are none.
pub fn with_filters(path: &str, filters: &Filters) -> anyhow::Result<String> {
    if filters.is_empty() {
        return Ok(path.to_owned());
    }
    let q = serde_urlencoded::to_string([("filters", filters.to_json())])?;
    Ok(format!("{path}?{q}"))
}

/// `Deleted {what}:` and one line per item, then a blank line (docker prints the report
/// with `Println`).
fn report(what: &str, items: impl IntoIterator<Item = String>) -> String {
    let mut s = String::new();
    for item in items {
        if s.is_empty() {
            s = format!("Deleted {what}:\n");
        }
        s.push_str(&item);
        s.push('\n');
    }
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

pub async fn containers(client: &Client, filters: &Filters) -> anyhow::Result<Pruned> {
    let r: ContainerPruneResponse = client
        .post_empty(&with_filters("/containers/prune", filters)?)
        .await?;
    Ok(Pruned {
        report: report("Containers", r.containers_deleted.unwrap_or_default()),
        space: r.space_reclaimed,
    })
}

/// Anonymous volumes only, unless `filters` holds `all=true`.
pub async fn volumes(client: &Client, filters: &Filters) -> anyhow::Result<Pruned> {
    let r: VolumePruneReport = client
        .post_empty(&with_filters("/volumes/prune", filters)?)
        .await?;
    Ok(Pruned {
        report: report("Volumes", r.volumes_deleted.unwrap_or_default()),
        space: r.space_reclaimed,
    })
}

pub async fn networks(client: &Client, filters: &Filters) -> anyhow::Result<Pruned> {
    let r: Value = client
        .post_empty(&with_filters("/networks/prune", filters)?)
        .await?;
    let names = r["NetworksDeleted"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned));
    Ok(Pruned {
        report: report("Networks", names),
        space: 0,
    })
}

/// Dangling images only, unless `all`.
pub async fn images(client: &Client, all: bool, filters: &Filters) -> anyhow::Result<Pruned> {
    let mut filters = filters.clone();
    filters.add("dangling", (!all).to_string());
    let r: ImagePruneReport = client
        .post_empty(&with_filters("/images/prune", &filters)?)
        .await?;
    let lines = r
        .images_deleted
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| match (d.untagged, d.deleted) {
            (Some(u), _) => Some(format!("untagged: {u}")),
            (None, Some(id)) => Some(format!("deleted: {id}")),
            (None, None) => None,
        });
    Ok(Pruned {
        report: report("Images", lines),
        space: r.space_reclaimed,
    })
}

/// The builder's cache; a daemon without one (501) has nothing to prune, as the docker
/// CLI treats it.
pub async fn build_cache(client: &Client, all: bool, filters: &Filters) -> anyhow::Result<Pruned> {
    let mut path = with_filters("/build/prune", filters)?;
    if all {
        path.push_str(if path.contains('?') {
            "&all=1"
        } else {
            "?all=1"
        });
    }
    let r: Value = match client.post_empty(&path).await {
        Ok(r) => r,
        Err(ClientError::Daemon { status: 501, .. }) => return Ok(Pruned::default()),
        Err(e) => return Err(e.into()),
    };
    let ids = r["CachesDeleted"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned));
    Ok(Pruned {
        report: report("build cache objects", ids),
        space: r["SpaceReclaimed"].as_u64().unwrap_or(0),
    })
}
