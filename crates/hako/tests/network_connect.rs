//! `network connect`/`disconnect` against a real daemon, through hako's CLI and docker's:
//! a running container gets a veth into its namespace and resolves the other network's
//! names; disconnected, it no longer does and nothing is left on the bridge. Each test uses
//! its own daemon's bridge and subnets (`d.net`).

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Daemon, eventually};

fn daemon() -> Daemon {
    let d = Daemon::start();
    d.import_busybox();
    d
}

/// busybox httpd serving a page on port 80.
const HTTPD: &str =
    "mkdir -p /www && echo 'hako-connect OK' > /www/index.html && exec httpd -f -p 80 -h /www";

fn inspect(d: &Daemon, name: &str) -> serde_json::Value {
    let r = d.hako(&["inspect", name]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("inspect json");
    v[0].clone()
}

fn ip_on(d: &Daemon, container: &str, network: &str) -> String {
    inspect(d, container)["NetworkSettings"]["Networks"][network]["IPAddress"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Interfaces plugged into a bridge.
fn bridge_ports(bridge: &str) -> Vec<String> {
    std::fs::read_dir(Path::new("/sys/class/net").join(bridge).join("brif"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn bridge_of(d: &Daemon, network: &str) -> String {
    let r = d.hako(&["network", "inspect", network]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("network inspect json");
    let id = v[0]["Id"].as_str().expect("network id");
    format!("br-{}", &id[..12])
}

/// What `script` prints run inside `container`.
fn exec(d: &Daemon, container: &str, script: &str) -> String {
    d.hako(&["exec", container, "sh", "-c", script]).stdout
}

/// Resolves `name` through the embedded resolver and fetches the page from the address
/// it gave; prints `RESOLVED <ip>` and `REACHED`.
fn probe(name: &str) -> String {
    format!(
        "ip=$(nslookup {name} 127.0.0.11 2>/dev/null | awk '/^Address/ && !/127.0.0.11/ {{print $NF}}' | tail -n1); \
         [ -n \"$ip\" ] && echo RESOLVED $ip; \
         out=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${{ip:-0.0.0.0}} 80 2>/dev/null); \
         case \"$out\" in *OK*) echo REACHED;; esac"
    )
}

#[test]
fn connect_running_container_reaches_names_and_disconnect_leaves_nothing() {
    let d = daemon();
    let (sa, sb) = (d.net.subnet(4), d.net.subnet(5));
    let (net_a, net_b) = (format!("cna{}", d.net.n), format!("cnb{}", d.net.n));
    d.hako(&["network", "create", "--subnet", &sa, &net_a]).ok();
    d.hako(&["network", "create", "--subnet", &sb, &net_b]).ok();
    d.hako(&[
        "run",
        "-d",
        "--name",
        "srv",
        "--network",
        &net_b,
        "--network-alias",
        "web",
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    d.hako(&[
        "run",
        "-d",
        "--name",
        "cli",
        "--network",
        &net_a,
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let srv_ip = ip_on(&d, "srv", &net_b);
    let bridge_b = bridge_of(&d, &net_b);
    assert_eq!(bridge_ports(&bridge_b).len(), 1);

    // Before: another network, neither name nor address works.
    let out = exec(&d, "cli", &probe("srv"));
    assert!(!out.contains("RESOLVED"), "{out}");

    d.hako(&["network", "connect", "--alias", "clia", &net_b, "cli"])
        .ok();
    let nets = &inspect(&d, "cli")["NetworkSettings"]["Networks"];
    let cli_ip_b = nets[&net_b]["IPAddress"].as_str().unwrap().to_string();
    assert!(
        cli_ip_b.starts_with(&sb[..sb.len() - 4]),
        "{cli_ip_b} not in {sb}: {nets}"
    );
    assert!(
        nets[&net_a]["IPAddress"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(nets[&net_b]["Aliases"][0], "clia", "{nets}");
    let ni = d
        .hako(&["network", "inspect", "-f", "{{json .Containers}}", &net_b])
        .ok();
    assert!(ni.stdout.contains("\"Name\":\"cli\""), "{}", ni.stdout);
    assert_eq!(bridge_ports(&bridge_b).len(), 2);
    let addrs = exec(&d, "cli", "ip -4 -o addr show");
    assert!(
        addrs.contains(&format!("eth1    inet {cli_ip_b}/24"))
            || addrs.contains(&format!("inet {cli_ip_b}/24")),
        "{addrs}"
    );

    // By name and by alias, and back: srv finds cli by its alias on net_b.
    for name in ["srv", "web"] {
        let out = exec(&d, "cli", &probe(name));
        assert!(out.contains(&format!("RESOLVED {srv_ip}")), "{name}: {out}");
        assert!(out.contains("REACHED"), "{name}: {out}");
    }
    let back = exec(&d, "srv", "nslookup clia 127.0.0.11");
    assert!(back.contains(&cli_ip_b), "{back}");

    // Docker's errors.
    let r = d.hako(&["network", "connect", &net_b, "cli"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "endpoint with name cli already exists in network {net_b}"
        )),
        "{}",
        r.stderr
    );
    let r = d.hako(&["network", "connect", "host", "cli"]);
    assert!(
        r.stderr.contains(
            "container cannot be disconnected from host network or connected to host network"
        ),
        "{}",
        r.stderr
    );
    let r = d.hako(&["network", "connect", "nosuchnet", "cli"]);
    assert!(
        r.stderr.contains("network nosuchnet not found"),
        "{}",
        r.stderr
    );
    let r = d.hako(&["network", "rm", &net_b]);
    assert!(r.stderr.contains("has active endpoints"), "{}", r.stderr);

    d.hako(&["network", "disconnect", &net_b, "cli"]).ok();
    let out = exec(&d, "cli", &probe("srv"));
    assert!(!out.contains("RESOLVED"), "{out}");
    assert!(!out.contains("REACHED"), "{out}");
    let addrs = exec(&d, "cli", "ip -4 -o addr show");
    assert!(!addrs.contains(&cli_ip_b), "{addrs}");
    assert!(
        eventually(Duration::from_secs(5), || (bridge_ports(&bridge_b).len()
            == 1)
            .then_some(()))
        .is_some(),
        "veth left on {bridge_b}: {:?}",
        bridge_ports(&bridge_b)
    );
    let nets = &inspect(&d, "cli")["NetworkSettings"]["Networks"];
    assert!(nets.get(&net_b).is_none(), "{nets}");
    let r = d.hako(&["network", "disconnect", &net_b, "cli"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("is not connected to network"),
        "{}",
        r.stderr
    );
    // Nothing resolves the disconnected container any more.
    let back = exec(&d, "srv", "nslookup clia 127.0.0.11");
    assert!(!back.contains(&cli_ip_b), "{back}");

    d.hako(&["rm", "-f", "srv", "cli"]).ok();
    d.hako(&["network", "rm", &net_a, &net_b]).ok();
    d.assert_clean();
}

#[test]
fn connect_of_a_stopped_container_applies_at_start_through_docker_cli() {
    let d = daemon();
    let sb = d.net.subnet(6);
    let net_b = format!("cnc{}", d.net.n);
    let Some(r) = d.docker(&["network", "create", "--subnet", &sb, &net_b]) else {
        eprintln!("docker CLI missing: skipped");
        return;
    };
    r.ok();
    d.docker(&[
        "run",
        "-d",
        "--name",
        "srv2",
        "--network",
        &net_b,
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .unwrap()
    .ok();
    let srv_ip = ip_on(&d, "srv2", &net_b);
    // On the default bridge, created, then connected with a fixed address.
    d.docker(&["create", "--name", "late", "busybox", "sleep", "300"])
        .unwrap()
        .ok();
    let fixed = format!("{}.99", &sb[..sb.len() - 5]);
    d.docker(&[
        "network", "connect", "--ip", &fixed, "--alias", "lt", &net_b, "late",
    ])
    .unwrap()
    .ok();
    let f = d
        .docker(&[
            "inspect",
            "-f",
            &format!(
                "{{{{(index .NetworkSettings.Networks \"{net_b}\").IPAMConfig.IPv4Address}}}}"
            ),
            "late",
        ])
        .unwrap()
        .ok();
    assert_eq!(f.stdout.trim(), fixed);
    for round in 0..2 {
        d.docker(&["start", "late"]).unwrap().ok();
        assert_eq!(ip_on(&d, "late", &net_b), fixed, "round {round}");
        assert!(!ip_on(&d, "late", "bridge").is_empty());
        let out = exec(
            &d,
            "late",
            &format!("ip -4 -o addr show; {}", probe("srv2")),
        );
        assert!(out.contains(&format!("inet {fixed}/24")), "{out}");
        assert!(out.contains(&format!("RESOLVED {srv_ip}")), "{out}");
        assert!(out.contains("REACHED"), "{out}");
        let back = exec(&d, "srv2", "nslookup lt 127.0.0.11");
        assert!(back.contains(&fixed), "{back}");
        d.docker(&["stop", "-t", "0", "late"]).unwrap().ok();
    }
    let r = d.docker(&["network", "connect", "host", "late"]).unwrap();
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains(
            "container cannot be disconnected from host network or connected to host network"
        ),
        "{}",
        r.stderr
    );
    // Disconnected while stopped: the next start has only the default bridge.
    d.docker(&["network", "disconnect", &net_b, "late"])
        .unwrap()
        .ok();
    d.docker(&["start", "late"]).unwrap().ok();
    let out = exec(&d, "late", "ip -4 -o addr show");
    assert!(!out.contains(&fixed), "{out}");
    assert!(out.contains("eth0"), "{out}");
    // Running: docker connects it again at once, and network inspect lists it.
    d.docker(&["network", "connect", &net_b, "late"])
        .unwrap()
        .ok();
    let members = d
        .docker(&[
            "network",
            "inspect",
            "-f",
            "{{range .Containers}}{{.Name}} {{end}}",
            &net_b,
        ])
        .unwrap()
        .ok();
    assert!(members.stdout.contains("late"), "{}", members.stdout);
    let out = exec(&d, "late", &probe("srv2"));
    assert!(out.contains(&format!("RESOLVED {srv_ip}")), "{out}");
    let r = d.docker(&["network", "connect", &net_b, "late"]).unwrap();
    assert!(
        r.stderr.contains(&format!(
            "endpoint with name late already exists in network {net_b}"
        )),
        "{}",
        r.stderr
    );
    d.docker(&["network", "disconnect", &net_b, "late"])
        .unwrap()
        .ok();
    let members = d
        .docker(&[
            "network",
            "inspect",
            "-f",
            "{{range .Containers}}{{.Name}} {{end}}",
            &net_b,
        ])
        .unwrap()
        .ok();
    assert!(!members.stdout.contains("late"), "{}", members.stdout);
    // Running: disconnect from the default bridge too.
    d.docker(&["network", "disconnect", "bridge", "late"])
        .unwrap()
        .ok();
    let out = exec(&d, "late", "ip -4 -o addr show");
    assert!(!out.contains("eth0"), "{out}");
    assert!(
        eventually(Duration::from_secs(5), || bridge_ports(&d.net.bridge)
            .is_empty()
            .then_some(()))
        .is_some(),
        "veth left on {}",
        d.net.bridge
    );
    d.docker(&["rm", "-f", "late", "srv2"]).unwrap().ok();
    d.docker(&["network", "rm", &net_b]).unwrap().ok();
    d.assert_clean();
}

/// A host port of this test's own (network.rs uses 21000 + 8 N + 0..8).
fn port(d: &Daemon, k: u16) -> u16 {
    23000 + u16::from(d.net.n) * 4 + k
}

#[test]
fn network_verbs_and_port_print_like_docker() {
    let d = daemon();
    let (s1, s2) = (d.net.subnet(7), d.net.subnet(8));
    let gw = format!("{}.254", &s1[..s1.len() - 5]);
    let (n1, n2) = (format!("lsa{}", d.net.n), format!("lsb{}", d.net.n));
    let id1 = d
        .hako(&[
            "network",
            "create",
            "--driver",
            "bridge",
            "--subnet",
            &s1,
            "--gateway",
            &gw,
            "--label",
            "team=net",
            "--opt",
            "x.y=z",
            "--attachable",
            &n1,
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id1.len(), 64, "{id1}");
    d.hako(&["network", "create", "--internal", "--subnet", &s2, &n2])
        .ok();
    let r = d.hako(&["network", "create", "--gateway", &gw, "nosubnet"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("every ip-range or gateway must have a corresponding subnet"),
        "{}",
        r.stderr
    );
    let r = d.hako(&["network", "create", &n1]);
    assert!(
        r.stderr
            .contains(&format!("network with name {n1} already exists")),
        "{}",
        r.stderr
    );

    // ls: docker's table, IDs truncated unless --no-trunc, names in natural order.
    let ls = d.hako(&["network", "ls"]).ok().stdout;
    let mut lines = ls.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("NETWORK ID") && header.contains("NAME") && header.ends_with("SCOPE"),
        "{ls}"
    );
    let row = ls.lines().find(|l| l.contains(&n1)).expect("row of n1");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols, [&id1[..12], n1.as_str(), "bridge", "local"], "{ls}");
    let names: Vec<&str> = ls
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        names,
        ["bridge", "host", n1.as_str(), n2.as_str(), "none"],
        "{ls}"
    );
    let q = d
        .hako(&["network", "ls", "-q", "--filter", &format!("name={n1}")])
        .ok();
    assert_eq!(q.stdout, format!("{}\n", &id1[..12]));
    let q = d
        .hako(&[
            "network",
            "ls",
            "-q",
            "--no-trunc",
            "--filter",
            "label=team=net",
        ])
        .ok();
    assert_eq!(q.stdout, format!("{id1}\n"));
    let f = d
        .hako(&[
            "network",
            "ls",
            "--filter",
            "driver=bridge",
            "--format",
            "{{.Name}} {{.Internal}}",
        ])
        .ok();
    assert!(f.stdout.contains(&format!("{n2} true\n")), "{}", f.stdout);
    assert!(f.stdout.contains(&format!("{n1} false\n")), "{}", f.stdout);
    assert!(!f.stdout.contains("host"), "{}", f.stdout);

    // dangling: networks no running container uses; built-in ones never are.
    let names_where = |filter: &str| {
        d.hako(&["network", "ls", "--filter", filter, "--format", "{{.Name}}"])
            .ok()
            .stdout
    };
    assert_eq!(names_where("dangling=true"), format!("{n1}\n{n2}\n"));
    assert_eq!(names_where("dangling=0"), "bridge\nhost\nnone\n");
    let user = d
        .hako(&["run", "-d", "--network", &n1, "busybox", "sleep", "100"])
        .ok()
        .stdout;
    assert_eq!(names_where("dangling=1"), format!("{n2}\n"));
    d.hako(&["rm", "-f", user.trim()]).ok();
    let r = d.hako(&["network", "ls", "--filter", "dangling=maybe"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("invalid filter 'dangling=[maybe]'"),
        "{}",
        r.stderr
    );

    // inspect.
    let i = d
        .hako(&[
            "network",
            "inspect",
            "-f",
            "{{.Name}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{.Labels.team}} {{index .Options \"x.y\"}}",
            &n1,
        ])
        .ok();
    assert_eq!(i.stdout, format!("{n1} {s1} {gw} net z\n"));
    let j = d.hako(&["network", "inspect", &n2, "bridge"]).ok();
    let v: serde_json::Value = serde_json::from_str(&j.stdout).expect("inspect json");
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    assert_eq!(v[0]["Internal"], true);
    let r = d.hako(&["network", "inspect", "nosuchnet"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nosuchnet"), "{}", r.stderr);

    // port: the same lines as docker port.
    let (p1, p2) = (port(&d, 0), port(&d, 1));
    d.hako(&[
        "run",
        "-d",
        "--name",
        "pub",
        "--network",
        &n1,
        "-p",
        &format!("127.0.0.1:{p1}:80"),
        "-p",
        &format!("{p2}:8080"),
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let all = d.hako(&["port", "pub"]).ok();
    assert_eq!(
        all.stdout,
        format!("80/tcp -> 127.0.0.1:{p1}\n8080/tcp -> 0.0.0.0:{p2}\n")
    );
    let one = d.hako(&["port", "pub", "8080/tcp"]).ok();
    assert_eq!(one.stdout, format!("0.0.0.0:{p2}\n"));
    let none = d.hako(&["port", "pub", "81"]);
    assert_eq!(none.code, 1);
    assert_eq!(
        none.stderr.trim(),
        "Error: No public port '81' published for pub"
    );
    if let Some(dp) = d.docker(&["port", "pub"]) {
        assert_eq!(dp.ok().stdout, all.stdout);
        let dp = d.docker(&["port", "pub", "80"]).unwrap().ok();
        assert_eq!(dp.stdout, format!("127.0.0.1:{p1}\n"));
        let dn = d.docker(&["port", "pub", "81"]).unwrap();
        assert_eq!(dn.stderr.trim(), none.stderr.trim());
    }

    // rm: several at once, per-name errors, exit 1; in use is refused.
    let r = d.hako(&["network", "rm", &n2, "nosuchnet", &n1]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, format!("{n2}\n"));
    assert!(
        r.stderr.contains("network nosuchnet not found"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("has active endpoints"), "{}", r.stderr);
    d.hako(&["network", "rm", "-f", "nosuchnet"]).ok();
    let r = d.hako(&["network", "rm", "bridge"]);
    assert!(
        r.stderr
            .contains("bridge is a pre-defined network and cannot be removed"),
        "{}",
        r.stderr
    );

    // prune: docker's prompt; "n" keeps everything, -f removes what no container uses.
    d.hako(&[
        "network", "create", "--subnet", &s2, "--label", "keep=yes", &n2,
    ])
    .ok();
    let r = d.hako_stdin(&["network", "prune"], b"n\n").ok();
    assert!(
        r.stdout.starts_with(
            "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] "
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Deleted"), "{}", r.stdout);
    let r = d
        .hako(&["network", "prune", "-f", "--filter", "label!=keep=yes"])
        .ok();
    assert_eq!(r.stdout, "");
    let r = d.hako(&["network", "prune", "-f", "--filter", "bogus=1"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bogus"), "{}", r.stderr);
    let r = d
        .hako(&["network", "prune", "-f", "--filter", "label=keep=yes"])
        .ok();
    assert_eq!(r.stdout, format!("Deleted Networks:\n{n2}\n\n"));
    d.hako(&["rm", "-f", "pub"]).ok();
    let r = d.hako(&["network", "prune", "-f"]).ok();
    assert_eq!(r.stdout, format!("Deleted Networks:\n{n1}\n\n"));
    let q = d.hako(&["network", "ls", "-q"]).ok();
    assert_eq!(q.stdout.lines().count(), 3, "{}", q.stdout);
    d.assert_clean();
}

#[test]
fn connected_endpoint_survives_a_daemon_restart() {
    let mut d = daemon();
    let s = d.net.subnet(9);
    let net = format!("cnr{}", d.net.n);
    d.hako(&["network", "create", "--subnet", &s, &net]).ok();
    d.hako(&[
        "run",
        "-d",
        "--name",
        "srv3",
        "--network",
        &net,
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    d.hako(&["run", "-d", "--name", "cli3", "busybox", "sleep", "300"])
        .ok();
    d.hako(&["network", "connect", "--alias", "c3", &net, "cli3"])
        .ok();
    let srv_ip = ip_on(&d, "srv3", &net);
    let cli_ip = ip_on(&d, "cli3", &net);
    let bridge = bridge_of(&d, &net);
    // The resolver of a default-bridge container that joined a user network.
    let conf = exec(&d, "cli3", "cat /etc/resolv.conf");
    assert!(conf.contains("nameserver 127.0.0.11"), "{conf}");

    d.kill_and_restart();
    assert_eq!(ip_on(&d, "cli3", &net), cli_ip);
    let out = exec(&d, "cli3", &probe("srv3"));
    assert!(out.contains(&format!("RESOLVED {srv_ip}")), "{out}");
    assert!(out.contains("REACHED"), "{out}");
    let back = exec(&d, "srv3", "nslookup c3 127.0.0.11");
    assert!(back.contains(&cli_ip), "{back}");
    // A new container does not get the address held across the restart.
    d.hako(&[
        "run",
        "-d",
        "--name",
        "other3",
        "--network",
        &net,
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let other = ip_on(&d, "other3", &net);
    assert!(other != cli_ip && other != srv_ip, "{other}");

    d.hako(&["network", "disconnect", &net, "cli3"]).ok();
    assert!(
        eventually(Duration::from_secs(5), || (bridge_ports(&bridge).len()
            == 2)
            .then_some(()))
        .is_some(),
        "veth left on {bridge}: {:?}",
        bridge_ports(&bridge)
    );
    d.hako(&["rm", "-f", "srv3", "cli3", "other3"]).ok();
    d.hako(&["network", "rm", &net]).ok();
    d.assert_clean();
}
