//! Networks: create, list, inspect, remove, prune, connect, disconnect.

use std::collections::BTreeMap;

use hako_engine::network::connect::ConnectOptions;
use hako_engine::network::user::{NetworkCreate, NetworkView};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use tracing::instrument;

use crate::convert::network::network_out;
use crate::error::ApiError;
use crate::query;
use crate::request::{self, Ctx, Request};
use crate::response::{self, Response};

/// `?filters=` of `GET /networks`.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default, with = "hako_api_types::filters::as_json_string")]
    filters: Option<hako_api_types::Filters>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct CreateBody {
    name: String,
    driver: String,
    internal: bool,
    #[serde(rename = "IPAM")]
    ipam: Option<IpamBody>,
    labels: Option<BTreeMap<String, String>>,
    options: Option<BTreeMap<String, String>>,
    #[serde(rename = "EnableIPv6")]
    enable_ipv6: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct IpamBody {
    config: Option<Vec<IpamConfig>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct IpamConfig {
    subnet: String,
    gateway: String,
    #[serde(rename = "IPRange")]
    ip_range: String,
}

/// `POST /networks/create`.
#[instrument(skip_all)]
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let body: CreateBody = request::read_json(req).await?.unwrap_or_default();
    if body.enable_ipv6 == Some(true) {
        return Err(ApiError::not_implemented("IPv6 networks (--ipv6)"));
    }
    let configs = body.ipam.and_then(|i| i.config).unwrap_or_default();
    if configs.len() > 1 {
        return Err(ApiError::not_implemented(
            "more than one subnet per network",
        ));
    }
    let first = configs.into_iter().next().unwrap_or_default();
    if !first.ip_range.is_empty() {
        return Err(ApiError::not_implemented("--ip-range"));
    }
    let id = ctx
        .engine
        .network_create(NetworkCreate {
            name: body.name,
            driver: body.driver,
            subnet: Some(first.subnet).filter(|s| !s.is_empty()),
            gateway: Some(first.gateway).filter(|s| !s.is_empty()),
            internal: body.internal,
            labels: body.labels.unwrap_or_default(),
            options: body.options.unwrap_or_default(),
        })
        .await?;
    Ok(response::json(
        StatusCode::CREATED,
        &json!({"Id": id, "Warning": ""}),
    ))
}

fn matches(n: &NetworkView, f: &hako_engine::filters::Filters) -> bool {
    let any = |key: &str, pred: &dyn Fn(&str) -> bool| {
        let v = f.get(key);
        v.is_empty() || v.iter().any(|x| pred(x))
    };
    any("name", &|x| n.name.contains(x))
        && any("id", &|x| n.id.starts_with(x))
        && any("driver", &|x| n.driver == x)
        && any("type", &|x| (x == "builtin") == n.builtin)
        && any("scope", &|x| n.scope == x)
        && any("label", &|x| match x.split_once('=') {
            Some((k, v)) => n.labels.get(k).is_some_and(|l| l == v),
            None => n.labels.contains_key(x),
        })
}

/// The `dangling` filter as moby reads it: `Some(true)` keeps the networks no running
/// container uses (built-in ones never are), `Some(false)` the others.
fn dangling_only(f: &hako_engine::filters::Filters) -> Result<Option<bool>, ApiError> {
    let values = f.get("dangling");
    if values.is_empty() {
        return Ok(None);
    }
    let has = |v: &str| values.iter().any(|x| x == v);
    if has("true") || has("1") {
        Ok(Some(true))
    } else if has("false") || has("0") {
        Ok(Some(false))
    } else {
        Err(ApiError::invalid(format!(
            "invalid filter 'dangling=[{}]'",
            values.join(" ")
        )))
    }
}

/// `GET /networks`.
#[instrument(skip_all)]
pub async fn list(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q: ListQuery = query::parse(req.uri())?;
    let f = query::filters(q.filters.as_ref());
    f.validate(&["dangling", "driver", "id", "label", "name", "scope", "type"])?;
    let dangling = dangling_only(&f)?;
    let nets: Vec<serde_json::Value> = ctx
        .engine
        .network_list()
        .await
        .iter()
        .filter(|n| matches(n, &f))
        .filter(|n| dangling.is_none_or(|only| only == (!n.builtin && n.containers.is_empty())))
        .map(network_out)
        .collect();
    Ok(response::json(StatusCode::OK, &nets))
}

/// `GET /networks/{id}`.
#[instrument(skip_all, fields(network = %id))]
pub async fn inspect(ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    let n = ctx.engine.network_inspect(id).await?;
    Ok(response::json(StatusCode::OK, &network_out(&n)))
}

/// `DELETE /networks/{id}`.
#[instrument(skip_all, fields(network = %id))]
pub async fn remove(ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    ctx.engine.network_remove(id).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}

/// `POST /networks/prune?filters=` (`until`, `label`, `label!`).
#[instrument(skip_all)]
pub async fn prune(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let q: ListQuery = query::parse(req.uri())?;
    let f = query::filters(q.filters.as_ref());
    let until = match f.get("until") {
        [] => None,
        [one] => Some(super::resources::until(one)?),
        _ => return Err(ApiError::invalid("filters: more than one until filter")),
    };
    let removed = ctx.engine.network_prune(&f, until).await?;
    Ok(response::json(
        StatusCode::OK,
        &json!({ "NetworksDeleted": removed }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ConnectBody {
    container: String,
    endpoint_config: Option<EndpointConfigBody>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct EndpointConfigBody {
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<EndpointIpamBody>,
    aliases: Option<Vec<String>>,
    links: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct EndpointIpamBody {
    #[serde(rename = "IPv4Address")]
    ipv4_address: String,
    #[serde(rename = "IPv6Address")]
    ipv6_address: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct DisconnectBody {
    container: String,
    force: bool,
}

fn need_container(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::invalid("container is required"));
    }
    Ok(())
}

/// `POST /networks/{id}/connect`.
#[instrument(skip_all, fields(network = %id))]
pub async fn connect(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let body: ConnectBody = request::read_json(req).await?.unwrap_or_default();
    need_container(&body.container)?;
    let ep = body.endpoint_config.unwrap_or_default();
    if ep.links.is_some_and(|l| !l.is_empty()) {
        return Err(ApiError::not_implemented(
            "links (--link) on network connect",
        ));
    }
    let ipam = ep.ipam_config.unwrap_or_default();
    if !ipam.ipv6_address.is_empty() {
        return Err(ApiError::not_implemented("IPv6 addresses (--ip6)"));
    }
    let ipv4 = match ipam.ipv4_address.as_str() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|_| ApiError::invalid(format!("invalid IPv4 address: {s}")))?,
        ),
    };
    ctx.engine
        .network_connect(
            id,
            &body.container,
            ConnectOptions {
                ipv4,
                aliases: ep.aliases.unwrap_or_default(),
            },
        )
        .await?;
    Ok(response::empty(StatusCode::OK))
}

/// `POST /networks/{id}/disconnect`.
#[instrument(skip_all, fields(network = %id))]
pub async fn disconnect(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let body: DisconnectBody = request::read_json(req).await?.unwrap_or_default();
    need_container(&body.container)?;
    ctx.engine
        .network_disconnect(id, &body.container, body.force)
        .await?;
    Ok(response::empty(StatusCode::OK))
}
