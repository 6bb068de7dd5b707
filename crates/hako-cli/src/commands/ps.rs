//! `hako ps`: list containers in docker's table, a template, or JSON lines.

use super::{Ctx, out};
use crate::format::text::{ellipsis, go_quote, truncate_id};
use crate::format::time::go_time_string;
use crate::format::{human_duration, human_size, render_list, template};
use hako_api_types::container::{ContainerSummary, Port};
use hako_api_types::filters::Filters;
use hako_api_types::query::ContainerListQuery;

const DEFAULT_TABLE: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako ps [OPTIONS]")]
pub struct Args {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long)]
    all: bool,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')
    #[arg(long)]
    format: Option<String>,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long = "last", default_value_t = -1, allow_negative_numbers = true)]
    last: i64,
    /// Show the latest created container (includes all states)
    #[arg(short = 'l', long)]
    latest: bool,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Only display container IDs
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Display total file sizes
    #[arg(short = 's', long)]
    size: bool,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let mut filters = Filters::new();
    for f in &a.filter {
        filters.add_flag(f)?;
    }
    let limit = if a.latest { 1 } else { a.last };
    let fmt = match a.format.as_deref() {
        Some(f) if !f.is_empty() && f != "table" => f.to_owned(),
        _ if a.quiet => "{{.ID}}".to_owned(),
        _ if a.size => format!("{DEFAULT_TABLE}\t{{{{.Size}}}}"),
        _ => DEFAULT_TABLE.to_owned(),
    };
    let want_size = a.size || fmt.contains(".Size");
    let q = ContainerListQuery {
        all: a.all || limit > 0,
        limit: (limit > 0).then_some(limit),
        size: want_size,
        filters: (!filters.is_empty()).then_some(filters),
    };
    let client = ctx.client().await?;
    let q = serde_urlencoded::to_string(&q)?;
    let path = if q.is_empty() {
        "/containers/json".to_owned()
    } else {
        format!("/containers/json?{q}")
    };
    let list: Vec<ContainerSummary> = client.get_json(&path).await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let rows: Vec<_> = list.iter().map(|c| row(c, !a.no_trunc, now)).collect();
    out(&render_list(&fmt, &rows, &header())?)?;
    Ok(0)
}

fn header() -> gtmpl::Value {
    template::object(vec![
        ("ID", "CONTAINER ID".into()),
        ("Image", "IMAGE".into()),
        ("Command", "COMMAND".into()),
        ("CreatedAt", "CREATED AT".into()),
        ("RunningFor", "CREATED".into()),
        ("Ports", "PORTS".into()),
        ("State", "STATE".into()),
        ("Status", "STATUS".into()),
        ("Size", "SIZE".into()),
        ("Names", "NAMES".into()),
        ("Labels", "LABELS".into()),
        ("Mounts", "MOUNTS".into()),
        ("Networks", "NETWORKS".into()),
        ("LocalVolumes", "LOCAL VOLUMES".into()),
        ("Platform", "PLATFORM".into()),
    ])
}

/// One container as docker's `ContainerContext` renders it.
fn row(c: &ContainerSummary, trunc: bool, now: i64) -> gtmpl::Value {
    let id = if trunc {
        truncate_id(&c.id)
    } else {
        c.id.clone()
    };
    let image = if trunc && c.image.starts_with("sha256:") {
        truncate_id(&c.image)
    } else {
        c.image.clone()
    };
    let command = if trunc {
        ellipsis(&c.command, 20)
    } else {
        c.command.clone()
    };
    // Names: without the leading slash; link names (with another slash) only untruncated.
    let names: Vec<&str> = c
        .names
        .iter()
        .map(|n| n.strip_prefix('/').unwrap_or(n))
        .filter(|n| !trunc || !n.contains('/'))
        .collect();
    let names = if trunc {
        names.first().map(|s| s.to_string()).unwrap_or_default()
    } else {
        names.join(",")
    };
    let labels = c.labels.as_ref().map(|l| {
        l.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    let mounts: Vec<String> = c
        .mounts
        .iter()
        .map(|m| {
            let n = if m.name.is_empty() {
                &m.source
            } else {
                &m.name
            };
            if trunc { ellipsis(n, 15) } else { n.clone() }
        })
        .collect();
    let local_volumes = c.mounts.iter().filter(|m| m.driver == "local").count();
    let networks: Vec<&str> = c
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .map(|n| n.keys().map(String::as_str).collect())
        .unwrap_or_default();
    // docker prints "0B" when sizes were not asked for: they are zero then.
    let rw = human_size(c.size_rw.unwrap_or(0) as f64, 3);
    let size = match c.size_root_fs {
        Some(r) if r > 0 => format!("{rw} (virtual {})", human_size(r as f64, 3)),
        _ => rw,
    };
    let mut row = template::object(vec![
        ("ID", id),
        ("Image", image),
        ("Command", go_quote(&command)),
        ("CreatedAt", go_time_string(c.created)),
        (
            "RunningFor",
            format!("{} ago", human_duration((now - c.created) as f64)),
        ),
        ("Ports", display_ports(&c.ports)),
        ("State", c.state.clone()),
        ("Status", c.status.clone()),
        ("Size", size),
        ("Names", names),
        ("Labels", labels.unwrap_or_default()),
        ("Mounts", mounts.join(",")),
        ("Networks", networks.join(",")),
        ("LocalVolumes", local_volumes.to_string()),
    ]);
    // docker 28's Platform column comes from the image manifest descriptor; an answer
    // without one shows nil (JSON null), as docker does.
    if let gtmpl::Value::Object(m) = &mut row {
        let platform = c
            .image_manifest_descriptor
            .as_ref()
            .and_then(|d| d.platform.as_ref())
            .map_or(gtmpl::Value::Nil, |p| gtmpl::Value::String(p.to_string()));
        m.insert("Platform".into(), platform);
        let labels = c.labels.iter().flatten();
        m.insert(
            crate::format::goprint::LABELS_FIELD.into(),
            gtmpl::Value::Map(
                labels
                    .map(|(k, v)| (k.clone(), gtmpl::Value::String(v.clone())))
                    .collect(),
            ),
        );
    }
    row
}

/// docker's `DisplayablePorts`: consecutive ports of the same IP and protocol collapse into
/// ranges (`9998-9999/udp`, `1.2.3.4:80-81->80-81/tcp`); published ports whose public and
/// private numbers differ are listed one by one at the end.
pub fn display_ports(ports: &[Port]) -> String {
    let mut ports = ports.to_vec();
    ports.sort_by(|a, b| {
        (
            a.private_port,
            a.ip.as_deref().unwrap_or(""),
            a.public_port.unwrap_or(0),
            &a.r#type,
        )
            .cmp(&(
                b.private_port,
                b.ip.as_deref().unwrap_or(""),
                b.public_port.unwrap_or(0),
                &b.r#type,
            ))
    });
    // Groups in the order their keys first appear, as docker records them.
    let mut groups: Vec<(String, u16, u16)> = Vec::new();
    let mut result = Vec::new();
    let mut host_mappings = Vec::new();
    for p in &ports {
        let cur = p.private_port;
        let ip = p.ip.as_deref().unwrap_or("");
        let key = if ip.is_empty() {
            p.r#type.clone()
        } else {
            let public = p.public_port.unwrap_or(0);
            if public != cur {
                host_mappings.push(format!(
                    "{}->{cur}/{}",
                    join_host_port(ip, public),
                    p.r#type
                ));
                continue;
            }
            format!("{ip}/{}", p.r#type)
        };
        match groups.iter_mut().find(|g| g.0 == key) {
            None => groups.push((key, cur, cur)),
            Some(g) if g.2.checked_add(1) == Some(cur) => g.2 = cur,
            Some(g) => {
                result.push(form_group(&g.0, g.1, g.2));
                g.1 = cur;
                g.2 = cur;
            }
        }
    }
    result.extend(groups.iter().map(|(k, a, b)| form_group(k, *a, *b)));
    result.extend(host_mappings);
    result.join(", ")
}

/// Go's `net.JoinHostPort`: brackets around IPv6 addresses.
fn join_host_port(ip: &str, port: impl std::fmt::Display) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

fn form_group(key: &str, first: u16, last: u16) -> String {
    let (ip, proto) = match key.rsplit_once('/') {
        Some((ip, proto)) => (ip, proto),
        None => ("", key),
    };
    let mut group = first.to_string();
    if first != last {
        group = format!("{group}-{last}");
    }
    if !ip.is_empty() {
        group = format!("{}->{group}", join_host_port(ip, &group));
    }
    format!("{group}/{proto}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_column() {
        let p = |ip: &str, pubp: u16, priv_: u16, t: &str| Port {
            ip: (!ip.is_empty()).then(|| ip.to_owned()),
            private_port: priv_,
            public_port: (pubp != 0).then_some(pubp),
            r#type: t.into(),
        };
        let cases: Vec<(Vec<Port>, &str)> = vec![
            (vec![p("", 0, 9988, "tcp")], "9988/tcp"),
            (vec![p("0.0.0.0", 0, 9988, "tcp")], "0.0.0.0:0->9988/tcp"),
            (vec![p("", 8899, 9988, "tcp")], "9988/tcp"),
            (
                vec![p("4.3.2.1", 8899, 9988, "tcp")],
                "4.3.2.1:8899->9988/tcp",
            ),
            (
                vec![p("4.3.2.1", 9988, 9988, "tcp")],
                "4.3.2.1:9988->9988/tcp",
            ),
            (
                vec![p("", 0, 9988, "udp"), p("", 0, 9988, "udp")],
                "9988/udp, 9988/udp",
            ),
            (
                vec![
                    p("1.2.3.4", 9998, 9998, "udp"),
                    p("1.2.3.4", 9999, 9999, "udp"),
                ],
                "1.2.3.4:9998-9999->9998-9999/udp",
            ),
            (
                vec![
                    p("1.2.3.4", 8887, 9998, "udp"),
                    p("1.2.3.4", 8888, 9999, "udp"),
                ],
                "1.2.3.4:8887->9998/udp, 1.2.3.4:8888->9999/udp",
            ),
            (
                vec![p("", 0, 9998, "udp"), p("", 0, 9999, "udp")],
                "9998-9999/udp",
            ),
            (
                vec![p("0.0.0.0", 8080, 80, "tcp"), p("::", 8080, 80, "tcp")],
                "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
            ),
            (vec![p("::", 80, 80, "tcp")], "[::]:80->80/tcp"),
            (vec![], ""),
        ];
        for (ports, want) in cases {
            assert_eq!(display_ports(&ports), want, "{ports:?}");
        }
    }

    #[test]
    fn row_fields() {
        let c = ContainerSummary {
            id: "0123456789abcdef0123".into(),
            names: vec!["/web".into(), "/other/link".into()],
            image: "busybox".into(),
            command: "sh -c 'sleep 1000; echo done'".into(),
            created: 1000,
            state: "running".into(),
            status: "Up 5 seconds".into(),
            ..Default::default()
        };
        let out = render_list(DEFAULT_TABLE, &[row(&c, true, 1005)], &header()).unwrap();
        assert_eq!(
            out,
            "CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS     NAMES\n\
             0123456789ab   busybox   \"sh -c 'sleep 1000; …\"   5 seconds ago   Up 5 seconds             web\n"
        );
        let out = render_list("{{.Names}}", &[row(&c, false, 1005)], &header()).unwrap();
        assert_eq!(out, "web,other/link\n");
    }
}
