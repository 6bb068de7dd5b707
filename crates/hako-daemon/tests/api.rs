//! The HTTP surface: ping, version, info, routing, errors, 501s, bodies.

mod common;

use common::TestDaemon;

fn assert_common_headers(r: &common::Resp) {
    assert_eq!(r.header("Api-Version"), Some("1.43"), "{:?}", r.headers);
    // Canonical spelling, as Go writes it, for scripts that grep raw headers.
    for name in ["Api-Version", "Ostype", "Docker-Experimental", "Server"] {
        assert!(
            r.headers.iter().any(|(k, _)| k == name),
            "{name}: {:?}",
            r.headers
        );
    }
    assert_eq!(r.header("Ostype"), Some("linux"));
    assert_eq!(r.header("Docker-Experimental"), Some("false"));
    let server = r.header("Server").unwrap_or_default();
    assert!(
        server.starts_with("hako/") && server.ends_with(" (linux)"),
        "{server}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_get_and_head() {
    let d = TestDaemon::start().await;
    for path in ["/_ping", "/v1.43/_ping", "/v1.24/_ping"] {
        let r = d.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.text(), "OK");
        assert_common_headers(&r);
        assert_eq!(r.header("Builder-Version"), Some("1"));
        assert_eq!(r.header("Swarm"), Some("inactive"));
        assert_eq!(
            r.header("Cache-Control"),
            Some("no-cache, no-store, must-revalidate")
        );
        assert_eq!(r.header("Pragma"), Some("no-cache"));
        assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    }
    let head = d.request("HEAD", "/_ping", None).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("0"));
    assert_common_headers(&head);
    assert_eq!(head.header("Swarm"), Some("inactive"));
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_and_negotiation() {
    let d = TestDaemon::start().await;
    for path in ["/version", "/v1.43/version", "/v1.41/version"] {
        let r = d.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_common_headers(&r);
        let v = r.json();
        assert_eq!(v["ApiVersion"], "1.43");
        assert_eq!(v["MinAPIVersion"], "1.24");
        assert_eq!(v["Os"], "linux");
        assert_eq!(v["GoVersion"], "n/a");
        assert!(!v["KernelVersion"].as_str().unwrap().is_empty());
        assert_eq!(v["Platform"]["Name"], "hako");
        let engine = &v["Components"][0];
        assert_eq!(engine["Name"], "Engine");
        assert_eq!(engine["Details"]["ApiVersion"], "1.43");
        assert_eq!(engine["Details"]["MinAPIVersion"], "1.24");
    }
    let new = d.get("/v1.50/version").await;
    assert_eq!(new.status, 400);
    assert_eq!(
        new.message(),
        "client version 1.50 is too new. Maximum supported API version is 1.43"
    );
    assert_common_headers(&new);
    let old = d.get("/v1.12/version").await;
    assert_eq!(old.status, 400);
    assert_eq!(
        old.message(),
        "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
    );
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_reports_the_host_and_roots() {
    let d = TestDaemon::start().await;
    let r = d.get("/info").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let i = r.json();
    assert!(i["NCPU"].as_i64().unwrap() >= 1);
    assert!(i["MemTotal"].as_i64().unwrap() > 0);
    assert_eq!(i["OSType"], "linux");
    assert_eq!(i["Driver"], "overlay2");
    assert_eq!(i["Swarm"]["LocalNodeState"], "inactive");
    assert_eq!(
        i["DockerRootDir"].as_str().unwrap(),
        d.opts.data_root.to_str().unwrap()
    );
    assert!(i["Containers"].is_i64());
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_are_page_not_found() {
    let d = TestDaemon::start().await;
    for (method, path) in [
        ("GET", "/nope"),
        ("GET", "/v1.43/nope"),
        ("GET", "/v1.99/nope"),
        ("DELETE", "/_ping"),
        ("POST", "/containers/json"),
    ] {
        let r = d.request(method, path, None).await;
        assert_eq!(r.status, 404, "{method} {path}");
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.text(), "{\"message\":\"page not found\"}\n");
    }
    let opt = d.request("OPTIONS", "/containers/json", None).await;
    assert_eq!(opt.status, 200);
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unimplemented_endpoints_name_themselves() {
    let d = TestDaemon::start().await;
    for (method, path, name) in [
        (
            "GET",
            "/containers/web/attach/ws",
            "GET /containers/{name}/attach/ws",
        ),
        (
            "GET",
            "/plugins/127.0.0.1:5000/x/json",
            "GET /plugins/{name}/json",
        ),
        ("POST", "/build/cancel", "POST /build/cancel"),
    ] {
        let r = d.request(method, path, None).await;
        assert_eq!(r.status, 501, "{method} {path}");
        assert_eq!(
            r.message(),
            format!("{name} is not implemented in hako yet")
        );
    }
    // Pulls are served now: a bad reference is refused before any registry is asked.
    let pull = d
        .request("POST", "/images/create?fromImage=Busy_Box&tag=latest", None)
        .await;
    assert_eq!(pull.status, 400);
    assert!(
        pull.message().contains("invalid reference format"),
        "{}",
        pull.message()
    );
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_400_and_the_daemon_keeps_serving() {
    let d = TestDaemon::start().await;
    let mut c = d.connect().await;
    let bad = c
        .request(
            "POST",
            "/containers/create",
            &[("Content-Type", "application/json")],
            Some(br#"{"Image":"#),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.message().starts_with("invalid JSON: "),
        "{}",
        bad.message()
    );
    // Same connection, next request.
    let ping = c.request("GET", "/_ping", &[], None).await;
    assert_eq!(ping.status, 200);

    let wrong_type = d.post_json("/containers/create", r#"{"Image":1}"#).await;
    assert_eq!(wrong_type.status, 400);
    let empty = d.post_json("/containers/create", "").await;
    assert_eq!(empty.status, 400);
    assert_eq!(
        empty.message(),
        "invalid JSON: got EOF while reading request body"
    );
    let mut c = d.connect().await;
    let form = c
        .request(
            "POST",
            "/containers/create",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(b"{}"),
        )
        .await;
    assert_eq!(form.status, 400);
    assert_eq!(
        form.message(),
        "unsupported Content-Type header (application/x-www-form-urlencoded): must be 'application/json'"
    );
    let name = d
        .post_json("/containers/create?name=-bad", r#"{"Image":"busybox"}"#)
        .await;
    assert_eq!(name.status, 400);
    assert_eq!(
        name.message(),
        "Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
    );
    let binds = d
        .post_json(
            "/containers/create",
            r#"{"Image":"busybox","HostConfig":{"Binds":["/tmp:/x:bogus"]}}"#,
        )
        .await;
    assert_eq!(binds.status, 400);
    assert_eq!(binds.message(), "invalid mode: bogus");
    let bad_query = d.get("/containers/json?filters=notjson").await;
    assert_eq!(bad_query.status, 400);
    let logs = d.get("/containers/x/logs").await;
    assert_eq!(logs.status, 400);
    assert_eq!(
        logs.message(),
        "Bad parameters: you must choose at least one stream"
    );
    let resize = d
        .request("POST", "/containers/x/resize?h=a&w=1", None)
        .await;
    assert_eq!(resize.status, 400);
    assert_eq!(d.get("/_ping").await.status, 200);
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let d = TestDaemon::start().await;
    let big = vec![b' '; (10 << 20) + 1];
    let r = d
        .post_json("/containers/create", std::str::from_utf8(&big).unwrap())
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.message(), "request body is larger than 10 MiB");
    assert_eq!(d.get("/_ping").await.status, 200);
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_objects_are_plain_404s() {
    let d = TestDaemon::start().await;
    for (method, path, msg) in [
        ("GET", "/containers/nope/json", "No such container: nope"),
        ("POST", "/containers/nope/wait", "No such container: nope"),
        ("POST", "/containers/nope/start", "No such container: nope"),
        ("DELETE", "/containers/nope", "No such container: nope"),
        ("GET", "/exec/nope/json", "No such exec instance: nope"),
    ] {
        let r = d.request(method, path, None).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text());
        assert_eq!(r.message(), msg, "{method} {path}");
        assert!(r.header("Transfer-Encoding").is_none(), "{method} {path}");
    }
    let img = d.get("/images/127.0.0.1:5000/nope:latest/json").await;
    assert_eq!(img.status, 404, "{}", img.text());
    let kill = d.request("POST", "/containers/nope/kill", None).await;
    assert_eq!(kill.status, 404);
    assert_eq!(
        kill.message(),
        "Cannot kill container: nope: No such container: nope"
    );
    d.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_answer_json_arrays() {
    let d = TestDaemon::start().await;
    for path in [
        "/containers/json",
        "/containers/json?all=1&size=1&limit=3",
        "/v1.43/containers/json?filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D",
        "/images/json",
    ] {
        let r = d.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert!(r.json().is_array(), "{path}");
    }
    let bad_filter = d
        .get("/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D")
        .await;
    assert_eq!(bad_filter.status, 400);
    assert_eq!(bad_filter.message(), "invalid filter 'bogus'");
    d.stop().await.unwrap();
}
