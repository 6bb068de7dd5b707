//! The route table: every (method, path pattern) Docker's API has, and the endpoint that
//! serves it. Routes hako does not serve yet are listed too, so that clients get a 501
//! naming the endpoint instead of a 404 that looks like a typo.
//!
//! A pattern has at most one `{param}`, which matches any text including slashes (moby's
//! `{name:.*}`): image names carry registries, ports and tags,
//! `/images/127.0.0.1:5000/busybox:latest/json`. The first route that matches wins, in
//! table order, as with moby's router. Paths are matched after percent-decoding, as Go
//! does. A path that matches no route answers 404 `page not found`, and so does a known
//! path with a method it does not have: moby sets its method-not-allowed handler to the
//! same not-found handler (checked against dockerd 20.10 and moby v24–v28).

use std::borrow::Cow;

use http::Method;

/// What serves a route: one variant per endpoint hako serves, named after the resource
/// and verb (`ContainerStart` is `POST /containers/{name}/start`; the table below is the
/// authority), plus `Options` for CORS preflights and `NotImplemented` for Docker routes
/// hako does not serve yet (a 501 naming the route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Ping,
    Version,
    Info,
    Events,
    Options,
    ContainerList,
    ContainerCreate,
    ContainerInspect,
    ContainerStart,
    ContainerStop,
    ContainerKill,
    ContainerWait,
    ContainerDelete,
    ContainerLogs,
    ContainerAttach,
    ContainerResize,
    ContainerPause,
    ContainerUnpause,
    ContainerRestart,
    ContainerRename,
    ContainerUpdate,
    ContainerPrune,
    ContainerStats,
    ContainerTop,
    ExecCreate,
    ExecStart,
    ExecResize,
    ExecInspect,
    ImageList,
    ImageInspect,
    ImageDelete,
    ImageCreate,
    ImagePush,
    DistributionInspect,
    ImageTag,
    /// `GET /images/{name}/history`.
    ImageHistory,
    /// `POST /images/prune`.
    ImagePrune,
    /// `POST /commit`.
    ContainerCommit,
    /// `GET /system/df`.
    SystemDf,
    /// `GET /images/get` (`docker save` of several images).
    ImageSaveMany,
    /// `GET /images/{name}/get`.
    ImageSave,
    /// `POST /images/load`.
    ImageLoad,
    /// `POST /build`.
    Build,
    /// `POST /build/prune`.
    BuildPrune,
    /// `POST /auth` (`docker login`).
    Auth,
    NetworkInspect,
    NetworkList,
    NetworkCreate,
    NetworkDelete,
    NetworkPrune,
    NetworkConnect,
    NetworkDisconnect,
    VolumeInspect,
    ContainerArchiveStat,
    ContainerArchiveGet,
    ContainerArchivePut,
    ContainerChanges,
    ContainerExport,
    VolumeList,
    VolumeCreate,
    VolumeDelete,
    VolumePrune,
    EmulationList,
    EmulationInstall,
    EmulationUninstall,
    NotImplemented,
}

/// One row of the table.
#[derive(Debug)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path, with at most one `{param}`.
    pub pattern: &'static str,
    /// What serves it.
    pub endpoint: Endpoint,
}

macro_rules! routes {
    ($($method:ident $pattern:literal => $endpoint:ident,)*) => {
        &[$(Route { method: Method::$method, pattern: $pattern, endpoint: Endpoint::$endpoint },)*]
    };
}

/// Docker's routes, in moby's registration order (containers, images, system, volumes,
/// build, session, swarm, plugins, distribution, checkpoints, grpc, networks).
pub static ROUTES: &[Route] = routes! {
    HEAD "/containers/{name}/archive" => ContainerArchiveStat,
    GET "/containers/json" => ContainerList,
    GET "/containers/{name}/export" => ContainerExport,
    GET "/containers/{name}/changes" => ContainerChanges,
    GET "/containers/{name}/json" => ContainerInspect,
    GET "/containers/{name}/top" => ContainerTop,
    GET "/containers/{name}/logs" => ContainerLogs,
    GET "/containers/{name}/stats" => ContainerStats,
    GET "/containers/{name}/attach/ws" => NotImplemented,
    GET "/exec/{id}/json" => ExecInspect,
    GET "/containers/{name}/archive" => ContainerArchiveGet,
    POST "/containers/create" => ContainerCreate,
    POST "/containers/{name}/kill" => ContainerKill,
    POST "/containers/{name}/pause" => ContainerPause,
    POST "/containers/{name}/unpause" => ContainerUnpause,
    POST "/containers/{name}/restart" => ContainerRestart,
    POST "/containers/{name}/start" => ContainerStart,
    POST "/containers/{name}/stop" => ContainerStop,
    POST "/containers/{name}/wait" => ContainerWait,
    POST "/containers/{name}/resize" => ContainerResize,
    POST "/containers/{name}/attach" => ContainerAttach,
    POST "/containers/{name}/exec" => ExecCreate,
    POST "/exec/{id}/start" => ExecStart,
    POST "/exec/{id}/resize" => ExecResize,
    POST "/containers/{name}/rename" => ContainerRename,
    POST "/containers/{name}/update" => ContainerUpdate,
    POST "/containers/prune" => ContainerPrune,
    POST "/commit" => ContainerCommit,
    PUT "/containers/{name}/archive" => ContainerArchivePut,
    DELETE "/containers/{name}" => ContainerDelete,
    GET "/images/json" => ImageList,
    GET "/images/search" => NotImplemented,
    GET "/images/get" => ImageSaveMany,
    GET "/images/{name}/get" => ImageSave,
    GET "/images/{name}/history" => ImageHistory,
    GET "/images/{name}/json" => ImageInspect,
    POST "/images/load" => ImageLoad,
    POST "/images/create" => ImageCreate,
    POST "/images/{name}/push" => ImagePush,
    POST "/images/{name}/tag" => ImageTag,
    POST "/images/prune" => ImagePrune,
    DELETE "/images/{name}" => ImageDelete,
    OPTIONS "/{any}" => Options,
    GET "/_ping" => Ping,
    HEAD "/_ping" => Ping,
    GET "/events" => Events,
    GET "/info" => Info,
    GET "/version" => Version,
    GET "/system/df" => SystemDf,
    POST "/auth" => Auth,
    GET "/volumes" => VolumeList,
    GET "/volumes/{name}" => VolumeInspect,
    POST "/volumes/create" => VolumeCreate,
    POST "/volumes/prune" => VolumePrune,
    PUT "/volumes/{name}" => NotImplemented,
    DELETE "/volumes/{name}" => VolumeDelete,
    POST "/build" => Build,
    POST "/build/prune" => BuildPrune,
    POST "/build/cancel" => NotImplemented,
    POST "/session" => NotImplemented,
    POST "/swarm/init" => NotImplemented,
    POST "/swarm/join" => NotImplemented,
    POST "/swarm/leave" => NotImplemented,
    GET "/swarm" => NotImplemented,
    GET "/swarm/unlockkey" => NotImplemented,
    POST "/swarm/update" => NotImplemented,
    POST "/swarm/unlock" => NotImplemented,
    GET "/services" => NotImplemented,
    GET "/services/{id}" => NotImplemented,
    POST "/services/create" => NotImplemented,
    POST "/services/{id}/update" => NotImplemented,
    DELETE "/services/{id}" => NotImplemented,
    GET "/services/{id}/logs" => NotImplemented,
    GET "/nodes" => NotImplemented,
    GET "/nodes/{id}" => NotImplemented,
    DELETE "/nodes/{id}" => NotImplemented,
    POST "/nodes/{id}/update" => NotImplemented,
    GET "/tasks" => NotImplemented,
    GET "/tasks/{id}" => NotImplemented,
    GET "/tasks/{id}/logs" => NotImplemented,
    GET "/secrets" => NotImplemented,
    POST "/secrets/create" => NotImplemented,
    DELETE "/secrets/{id}" => NotImplemented,
    GET "/secrets/{id}" => NotImplemented,
    POST "/secrets/{id}/update" => NotImplemented,
    GET "/configs" => NotImplemented,
    POST "/configs/create" => NotImplemented,
    DELETE "/configs/{id}" => NotImplemented,
    GET "/configs/{id}" => NotImplemented,
    POST "/configs/{id}/update" => NotImplemented,
    GET "/plugins" => NotImplemented,
    GET "/plugins/{name}/json" => NotImplemented,
    GET "/plugins/privileges" => NotImplemented,
    DELETE "/plugins/{name}" => NotImplemented,
    POST "/plugins/{name}/enable" => NotImplemented,
    POST "/plugins/{name}/disable" => NotImplemented,
    POST "/plugins/pull" => NotImplemented,
    POST "/plugins/{name}/push" => NotImplemented,
    POST "/plugins/{name}/upgrade" => NotImplemented,
    POST "/plugins/{name}/set" => NotImplemented,
    POST "/plugins/create" => NotImplemented,
    GET "/distribution/{name}/json" => DistributionInspect,
    GET "/containers/{name}/checkpoints" => NotImplemented,
    POST "/containers/{name}/checkpoints" => NotImplemented,
    POST "/grpc" => NotImplemented,
    GET "/networks" => NetworkList,
    GET "/networks/" => NetworkList,
    GET "/networks/{id}" => NetworkInspect,
    POST "/networks/create" => NetworkCreate,
    POST "/networks/{id}/connect" => NetworkConnect,
    POST "/networks/{id}/disconnect" => NetworkDisconnect,
    POST "/networks/prune" => NetworkPrune,
    DELETE "/networks/{id}" => NetworkDelete,
    // hako's own: emulation of other CPU architectures.
    GET "/hako/emulation" => EmulationList,
    POST "/hako/emulation/install" => EmulationInstall,
    POST "/hako/emulation/uninstall" => EmulationUninstall,
};

/// A matched route and its parameter (percent-decoded), if the pattern has one.
#[derive(Debug)]
pub struct Matched {
    /// The row that matched.
    pub route: &'static Route,
    /// The `{param}` text.
    pub param: Option<String>,
}

impl Matched {
    /// The parameter, or "" for routes without one.
    pub fn param(&self) -> &str {
        self.param.as_deref().unwrap_or("")
    }

    /// `GET /containers/{name}/top`: how 501s and logs name the endpoint.
    pub fn name(&self) -> String {
        format!("{} {}", self.route.method, self.route.pattern)
    }
}

/// The first route in [`ROUTES`] for `method` and `path` (without its version prefix).
pub fn find(method: &Method, path: &str) -> Option<Matched> {
    let path = percent_decode(path);
    ROUTES.iter().find_map(|route| {
        if route.method != *method {
            return None;
        }
        match_pattern(route.pattern, &path).map(|param| Matched { route, param })
    })
}

/// `Some(param)` when `path` fits `pattern` (`Some(None)` for patterns without a param).
fn match_pattern(pattern: &str, path: &str) -> Option<Option<String>> {
    let Some(open) = pattern.find('{') else {
        return (pattern == path).then_some(None);
    };
    let close = pattern[open..].find('}')? + open;
    let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
    let fits = path.len() >= prefix.len() + suffix.len()
        && path.starts_with(prefix)
        && path.ends_with(suffix);
    fits.then(|| Some(path[prefix.len()..path.len() - suffix.len()].to_string()))
}

/// `%2F` → `/` and friends; malformed escapes stay as they are, invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests;
