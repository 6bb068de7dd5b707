//! Networking against a real daemon: each test daemon has its own bridge (`hkt<N>`),
//! subnet (`10.213.<N>.0/24`) and nftables table; traffic stays on loopback and the test's
//! own bridges. User networks use `d.net.subnet(k)`, host ports `port(&d, k)`.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Daemon, eventually, link_exists, user_bridges};

fn daemon() -> Daemon {
    let d = Daemon::start();
    d.import_busybox();
    d
}

/// A host port of this test's own.
fn port(d: &Daemon, k: u16) -> u16 {
    21000 + u16::from(d.net.n) * 8 + k
}

/// busybox httpd serving the fixture webserver's page on port 80.
const HTTPD: &str = "mkdir -p /www && echo 'hako-fixture-webserver OK' > /www/index.html && exec httpd -f -p 80 -h /www";

fn curl(url: &str) -> Option<String> {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "3", url])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn inspect(d: &Daemon, name: &str) -> serde_json::Value {
    let r = d.hako(&["inspect", name]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("inspect json");
    v[0].clone()
}

#[test]
fn default_bridge_gives_address_route_hosts_and_inspect() {
    let d = daemon();
    let gw = format!("10.213.{}.1", d.net.n);
    let r = d
        .hako(&[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "ip -4 -o addr show eth0; ip route; cat /etc/hosts",
        ])
        .ok();
    assert!(
        r.stdout.contains(&format!("inet 10.213.{}.", d.net.n)),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("default via {gw} dev eth0")),
        "{}",
        r.stdout
    );
    d.hako(&["run", "-d", "--name", "idle", "busybox", "sleep", "60"])
        .ok();
    let v = inspect(&d, "idle");
    let ns = &v["NetworkSettings"];
    let ip = ns["IPAddress"].as_str().unwrap().to_string();
    assert!(ip.starts_with(&format!("10.213.{}.", d.net.n)), "{ns}");
    assert_eq!(ns["Gateway"], gw);
    assert_eq!(ns["IPPrefixLen"], 24);
    assert!(
        ns["MacAddress"]
            .as_str()
            .unwrap()
            .starts_with("02:42:0a:d5:")
    );
    assert_eq!(ns["Networks"]["bridge"]["IPAddress"], ip.as_str());
    // The container answers on the bridge from the host.
    let ping = Command::new("ping")
        .args(["-c", "1", "-W", "2", &ip])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(true);
    assert!(ping, "ping {ip} from the host failed");
    // /etc/hosts names the container.
    let hosts = d.hako(&["exec", "idle", "cat", "/etc/hosts"]).ok();
    assert!(
        hosts.stdout.contains(&format!("{ip}\t")),
        "{}",
        hosts.stdout
    );
    // --network none keeps loopback only.
    let r = d
        .hako(&[
            "run",
            "--rm",
            "--network",
            "none",
            "busybox",
            "ip",
            "-o",
            "link",
        ])
        .ok();
    assert!(!r.stdout.contains("eth0"), "{}", r.stdout);
    d.assert_clean();
}

#[test]
fn published_port_serves_the_page_and_conflicts_leave_nothing() {
    let mut d = daemon();
    let p = port(&d, 0);
    let spec = format!("{p}:80");
    d.hako(&[
        "run", "-d", "--name", "web", "-p", &spec, "busybox", "sh", "-c", HTTPD,
    ])
    .ok();
    let url = format!("http://127.0.0.1:{p}/");
    let page = eventually(Duration::from_secs(5), || curl(&url));
    assert!(
        page.as_deref()
            .unwrap_or("")
            .contains("hako-fixture-webserver OK"),
        "no page on {url}: {page:?}\n{}",
        d.log()
    );
    // Through the DNAT rules: a non-loopback address of the host.
    let gw = format!("http://10.213.{}.1:{p}/", d.net.n);
    let page = curl(&gw).unwrap_or_default();
    assert!(page.contains("hako-fixture-webserver OK"), "{gw}: {page:?}");
    // From another container, by the host's bridge address (busybox's static wget cannot
    // resolve even numeric hosts without NSS, so plain nc).
    let get = format!(
        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 10.213.{}.1 {p}",
        d.net.n
    );
    let r = d.hako(&["run", "--rm", "busybox", "sh", "-c", &get]).ok();
    assert!(
        r.stdout.contains("hako-fixture-webserver OK"),
        "{}",
        r.stdout
    );

    let v = inspect(&d, "web");
    assert_eq!(
        v["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"],
        p.to_string()
    );
    assert_eq!(
        v["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"],
        p.to_string()
    );
    let ps = d.hako(&["ps"]).ok();
    assert!(
        ps.stdout.contains(&format!("0.0.0.0:{p}->80/tcp")),
        "{}",
        ps.stdout
    );

    // The same host port again: Docker's error, and the container did not start.
    let r = d.hako(&[
        "run", "-d", "--name", "clash", "-p", &spec, "busybox", "sleep", "60",
    ]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("address already in use") && r.stderr.contains(&format!("0.0.0.0:{p}")),
        "{}",
        r.stderr
    );
    let v = inspect(&d, "clash");
    assert_eq!(v["State"]["Running"], false);

    // A random host port.
    d.hako(&[
        "run", "-d", "--name", "rnd", "-p", "80", "busybox", "sh", "-c", HTTPD,
    ])
    .ok();
    let v = inspect(&d, "rnd");
    let hp: u16 = v["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(hp > 1024);
    let url = format!("http://127.0.0.1:{hp}/");
    let page = eventually(Duration::from_secs(5), || curl(&url));
    assert!(
        page.unwrap_or_default()
            .contains("hako-fixture-webserver OK")
    );

    // The kernel carries published ports, loopback included (no proxy in the path): they
    // keep answering while the daemon is down, and after it is back.
    d.kill();
    let page = curl(&format!("http://127.0.0.1:{p}/")).unwrap_or_default();
    assert!(
        page.contains("hako-fixture-webserver OK"),
        "127.0.0.1:{p} not served while the daemon is down: {page:?}"
    );
    d.restart();
    let page = eventually(Duration::from_secs(5), || curl(&url));
    assert!(
        page.unwrap_or_default()
            .contains("hako-fixture-webserver OK")
    );

    // Stopping frees the port and the rule.
    d.hako(&["rm", "-f", "web"]).ok();
    assert!(curl(&format!("http://127.0.0.1:{p}/")).is_none());
    d.assert_clean();
    assert!(d.net.leaks().is_empty(), "{:?}", d.net.leaks());
}

#[test]
fn user_networks_resolve_names_and_are_isolated() {
    let d = daemon();
    let (sa, sb) = (d.net.subnet(0), d.net.subnet(1));
    let net_a = format!("neta{}", d.net.n);
    let net_b = format!("netb{}", d.net.n);
    let Some(r) = d.docker(&["network", "create", "--subnet", &sa, &net_a]) else {
        eprintln!("docker CLI missing: skipped");
        return;
    };
    let r = r.ok();
    let id = r.stdout.trim().to_string();
    assert_eq!(id.len(), 64, "{}", r.stdout);
    d.docker(&[
        "network", "create", "--subnet", &sb, "--label", "k=v", &net_b,
    ])
    .unwrap()
    .ok();
    let ls = d.docker(&["network", "ls"]).unwrap().ok();
    for n in ["bridge", "host", "none", net_a.as_str(), net_b.as_str()] {
        assert!(ls.stdout.contains(n), "{}", ls.stdout);
    }
    let ins = d
        .docker(&[
            "network",
            "inspect",
            "-f",
            "{{(index .IPAM.Config 0).Subnet}}",
            &net_a,
        ])
        .unwrap()
        .ok();
    assert_eq!(ins.stdout.trim(), sa);

    d.hako(&[
        "run",
        "-d",
        "--name",
        "srv",
        "--network",
        &net_a,
        "--network-alias",
        "web",
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    let srv_ip = inspect(&d, "srv")["NetworkSettings"]["Networks"][&net_a]["IPAddress"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        srv_ip.starts_with(&sa[..sa.len() - 4]),
        "{srv_ip} not in {sa}"
    );
    // By name and by alias, through the embedded resolver (127.0.0.11), then HTTP to the
    // address it gave.
    let script = format!(
        "cat /etc/resolv.conf; nslookup srv 127.0.0.11; nslookup web 127.0.0.11; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {srv_ip} 80"
    );
    let r = d
        .hako(&[
            "run",
            "--rm",
            "--network",
            &net_a,
            "busybox",
            "sh",
            "-c",
            &script,
        ])
        .ok();
    assert!(r.stdout.contains("nameserver 127.0.0.11"), "{}", r.stdout);
    assert!(
        r.stdout.matches(srv_ip.as_str()).count() >= 2,
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("hako-fixture-webserver OK"),
        "{}",
        r.stdout
    );
    // Another network cannot reach it, neither by name nor by address.
    let script = format!(
        "nslookup srv 127.0.0.11 | grep -q {srv_ip} && echo RESOLVED; out=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 {srv_ip} 80); case \"$out\" in *OK*) echo REACHED;; *) echo BLOCKED;; esac"
    );
    let r = d.hako(&[
        "run",
        "--rm",
        "--network",
        &net_b,
        "busybox",
        "sh",
        "-c",
        &script,
    ]);
    assert!(!r.stdout.contains("RESOLVED"), "{}", r.stdout);
    assert!(r.stdout.contains("BLOCKED"), "{}", r.stdout);
    // --ip.
    let fixed = format!("{}.77", &sb[..sb.len() - 5]);
    let r = d
        .hako(&[
            "run",
            "--rm",
            "--network",
            &net_b,
            "--ip",
            &fixed,
            "busybox",
            "ip",
            "-4",
            "-o",
            "addr",
            "show",
            "eth0",
        ])
        .ok();
    assert!(
        r.stdout.contains(&format!("inet {fixed}/24")),
        "{}",
        r.stdout
    );

    // A network in use cannot be removed; after rm -f and prune nothing is left.
    let r = d.docker(&["network", "rm", &net_a]).unwrap();
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("has active endpoints"), "{}", r.stderr);
    let bridges = user_bridges(&d.data_root);
    assert_eq!(bridges.len(), 2);
    assert!(bridges.iter().all(|b| link_exists(b)));
    d.hako(&["rm", "-f", "srv"]).ok();
    d.docker(&["network", "prune", "-f"]).unwrap().ok();
    let ls = d.docker(&["network", "ls", "-q"]).unwrap().ok();
    assert_eq!(ls.stdout.lines().count(), 3, "{}", ls.stdout);
    for b in bridges {
        assert!(!link_exists(&b), "bridge {b} left behind");
    }
    d.assert_clean();
}

#[test]
fn docker_cli_publishes_a_port() {
    let d = daemon();
    let p = port(&d, 1);
    let spec = format!("127.0.0.1:{p}:80");
    let Some(r) = d.docker(&[
        "run", "-d", "--name", "dweb", "-p", &spec, "busybox", "sh", "-c", HTTPD,
    ]) else {
        eprintln!("docker CLI missing: skipped");
        return;
    };
    r.ok();
    let url = format!("http://127.0.0.1:{p}/");
    let page = eventually(Duration::from_secs(5), || curl(&url));
    assert!(
        page.unwrap_or_default()
            .contains("hako-fixture-webserver OK")
    );
    let port_out = d.docker(&["port", "dweb"]).unwrap().ok();
    assert_eq!(port_out.stdout.trim(), format!("80/tcp -> 127.0.0.1:{p}"));
    let ps = d.docker(&["ps", "--format", "{{.Ports}}"]).unwrap().ok();
    assert_eq!(ps.stdout.trim(), format!("127.0.0.1:{p}->80/tcp"));
    d.docker(&["rm", "-f", "dweb"]).unwrap().ok();
    d.assert_clean();
}

/// UDP published on 127.0.0.1 reaches the container (the kernel DNATs loopback too).
/// The fixture busybox has no UDP server, so arrival is read from the container's own UDP
/// counters: a datagram for a port nobody listens on counts as `NoPorts` in its netns.
#[test]
fn udp_port_on_loopback_reaches_the_container() {
    let d = daemon();
    let p = port(&d, 5);
    let spec = format!("127.0.0.1:{p}:5353/udp");
    d.hako(&[
        "run", "-d", "--name", "udp", "-p", &spec, "busybox", "sleep", "60",
    ])
    .ok();
    let no_ports = || -> u64 {
        let snmp = d
            .hako(&["exec", "udp", "grep", "^Udp:", "/proc/net/snmp"])
            .ok();
        let mut lines = snmp
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>());
        let (names, values) = (lines.next().unwrap(), lines.next().unwrap());
        let at = names.iter().position(|n| *n == "NoPorts").unwrap();
        values[at].parse().unwrap()
    };
    let before = no_ports();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let arrived = eventually(Duration::from_secs(5), || {
        sock.send_to(b"hello over udp\n", ("127.0.0.1", p)).ok()?;
        std::thread::sleep(Duration::from_millis(100));
        (no_ports() > before).then_some(())
    });
    assert!(
        arrived.is_some(),
        "no datagram reached the container\n{}",
        d.log()
    );
    d.hako(&["rm", "-f", "udp"]).ok();
    d.assert_clean();
    assert!(d.net.leaks().is_empty(), "{:?}", d.net.leaks());
}
