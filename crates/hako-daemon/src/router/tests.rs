//! The route table against Docker's paths.

use super::*;
use crate::version::split_prefix;

fn route(method: Method, path: &str) -> Option<(Endpoint, Option<String>)> {
    find(&method, path).map(|m| (m.route.endpoint, m.param))
}

fn with_and_without_prefix(method: Method, path: &str) -> Option<(Endpoint, Option<String>)> {
    let plain = route(method.clone(), path);
    let prefixed = format!("/v1.43{path}");
    let (v, rest) = split_prefix(&prefixed);
    assert_eq!(v, Some("1.43"));
    assert_eq!(route(method, rest), plain, "{path}");
    plain
}

#[test]
fn every_served_endpoint() {
    use Endpoint::*;
    let cases: &[(Method, &str, Endpoint, Option<&str>)] = &[
        (Method::GET, "/_ping", Ping, None),
        (Method::HEAD, "/_ping", Ping, None),
        (Method::GET, "/version", Version, None),
        (Method::GET, "/info", Info, None),
        (Method::GET, "/events", Events, None),
        (
            Method::OPTIONS,
            "/containers/json",
            Options,
            Some("containers/json"),
        ),
        (Method::GET, "/containers/json", ContainerList, None),
        (Method::POST, "/containers/create", ContainerCreate, None),
        (
            Method::GET,
            "/containers/web/json",
            ContainerInspect,
            Some("web"),
        ),
        (
            Method::POST,
            "/containers/web/start",
            ContainerStart,
            Some("web"),
        ),
        (
            Method::POST,
            "/containers/web/stop",
            ContainerStop,
            Some("web"),
        ),
        (
            Method::POST,
            "/containers/web/kill",
            ContainerKill,
            Some("web"),
        ),
        (
            Method::POST,
            "/containers/web/wait",
            ContainerWait,
            Some("web"),
        ),
        (
            Method::DELETE,
            "/containers/web",
            ContainerDelete,
            Some("web"),
        ),
        (
            Method::GET,
            "/containers/web/logs",
            ContainerLogs,
            Some("web"),
        ),
        (
            Method::POST,
            "/containers/web/attach",
            ContainerAttach,
            Some("web"),
        ),
        (
            Method::POST,
            "/containers/web/resize",
            ContainerResize,
            Some("web"),
        ),
        (
            Method::POST,
            "/containers/web/exec",
            ExecCreate,
            Some("web"),
        ),
        (Method::POST, "/exec/e1/start", ExecStart, Some("e1")),
        (Method::POST, "/exec/e1/resize", ExecResize, Some("e1")),
        (Method::GET, "/exec/e1/json", ExecInspect, Some("e1")),
        (Method::GET, "/images/json", ImageList, None),
        (
            Method::GET,
            "/images/busybox/json",
            ImageInspect,
            Some("busybox"),
        ),
        (
            Method::DELETE,
            "/images/busybox",
            ImageDelete,
            Some("busybox"),
        ),
        (Method::POST, "/images/create", ImageCreate, None),
    ];
    for (method, path, endpoint, param) in cases {
        let got = with_and_without_prefix(method.clone(), path);
        assert_eq!(
            got,
            Some((*endpoint, param.map(str::to_string))),
            "{method} {path}"
        );
    }
}

#[test]
fn names_with_slashes_colons_and_escapes() {
    assert_eq!(
        with_and_without_prefix(Method::GET, "/images/127.0.0.1:5000/busybox:latest/json"),
        Some((
            Endpoint::ImageInspect,
            Some("127.0.0.1:5000/busybox:latest".into())
        ))
    );
    assert_eq!(
        with_and_without_prefix(Method::DELETE, "/images/127.0.0.1:5000/a/b:1"),
        Some((Endpoint::ImageDelete, Some("127.0.0.1:5000/a/b:1".into())))
    );
    assert_eq!(
        route(Method::GET, "/images/localhost%3A5000%2Fbb/json"),
        Some((Endpoint::ImageInspect, Some("localhost:5000/bb".into())))
    );
    // As in moby, `DELETE /containers/json` is a container called "json".
    assert_eq!(
        route(Method::DELETE, "/containers/json"),
        Some((Endpoint::ContainerDelete, Some("json".into())))
    );
}

#[test]
fn unknown_paths_and_methods() {
    assert!(route(Method::GET, "/nope").is_none());
    assert!(route(Method::DELETE, "/_ping").is_none());
    assert!(route(Method::GET, "/containers/create").is_none());
    assert!(route(Method::POST, "/images/json").is_none());
    assert!(route(Method::GET, "/v1.43").is_none());
}

#[test]
fn known_but_unserved_routes_are_501s() {
    let m = find(&Method::GET, "/containers/web/attach/ws").unwrap();
    assert_eq!(m.route.endpoint, Endpoint::NotImplemented);
    assert_eq!(m.name(), "GET /containers/{name}/attach/ws");
    for (method, path) in [
        (Method::POST, "/build/cancel"),
        (Method::GET, "/images/search"),
        (Method::GET, "/plugins"),
    ] {
        let m = find(&method, path).unwrap();
        assert_eq!(m.route.endpoint, Endpoint::NotImplemented, "{path}");
    }
}

#[test]
fn patterns_are_well_formed() {
    for r in ROUTES {
        assert!(r.pattern.starts_with('/'), "{}", r.pattern);
        assert!(r.pattern.matches('{').count() <= 1, "{}", r.pattern);
        assert_eq!(
            r.pattern.matches('{').count(),
            r.pattern.matches('}').count()
        );
    }
}

#[test]
fn decoding() {
    assert_eq!(percent_decode("a%2Fb"), "a/b");
    assert_eq!(percent_decode("100%"), "100%");
    assert_eq!(percent_decode("%zz"), "%zz");
    assert_eq!(percent_decode("plain"), "plain");
}
