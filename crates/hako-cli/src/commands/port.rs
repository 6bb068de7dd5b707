//! `hako port CONTAINER [PRIVATE_PORT[/PROTO]]`: the published ports, as docker prints them.

use super::{Ctx, out};
use crate::error::StatusError;
use serde_json::Value;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako port CONTAINER [PRIVATE_PORT[/PROTO]]")]
pub struct Args {
    #[arg(value_name = "CONTAINER")]
    container: String,
    #[arg(value_name = "PRIVATE_PORT[/PROTO]")]
    port: Option<String>,
}

/// `host:port`, with brackets for IPv6 (Go's `net.JoinHostPort`).
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn frontends(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|l| {
            l.iter()
                .map(|b| {
                    join_host_port(
                        b["HostIp"].as_str().unwrap_or_default(),
                        b["HostPort"].as_str().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The lines docker prints for the `NetworkSettings.Ports` of an inspect answer.
fn lines(ports: &Value, wanted: Option<&str>, container: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    match wanted {
        Some(w) => {
            let (port, proto) = w.split_once('/').unwrap_or((w, "tcp"));
            let proto = if proto.is_empty() { "tcp" } else { proto };
            if port.parse::<u16>().is_err() {
                return Err(StatusError::new(
                    1,
                    format!("Error: invalid port ({port}): strconv.ParseUint: parsing \"{port}\": invalid syntax"),
                )
                .into());
            }
            out = frontends(&ports[format!("{port}/{proto}")]);
            if out.is_empty() {
                return Err(StatusError::new(
                    1,
                    format!("Error: No public port '{w}' published for {container}"),
                )
                .into());
            }
        }
        None => {
            if let Some(map) = ports.as_object() {
                for (from, list) in map {
                    for f in frontends(list) {
                        out.push(format!("{from} -> {f}"));
                    }
                }
            }
        }
    }
    super::network::sort_natural(&mut out);
    Ok(out)
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let client = ctx.client().await?;
    let v: Value = client
        .get_json(&format!("/containers/{}/json", a.container))
        .await?;
    let l = lines(
        &v["NetworkSettings"]["Ports"],
        a.port.as_deref(),
        &a.container,
    )?;
    if !l.is_empty() {
        out(&format!("{}\n", l.join("\n")))?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_docker() {
        let ports = serde_json::json!({
            "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}, {"HostIp": "::", "HostPort": "18080"}],
            "9/tcp": [{"HostIp": "127.0.0.1", "HostPort": "9009"}],
            "53/udp": null
        });
        assert_eq!(
            lines(&ports, None, "c").unwrap(),
            [
                "9/tcp -> 127.0.0.1:9009",
                "80/tcp -> 0.0.0.0:18080",
                "80/tcp -> [::]:18080"
            ]
        );
        assert_eq!(lines(&ports, Some("9"), "c").unwrap(), ["127.0.0.1:9009"]);
        let e = lines(&ports, Some("53/udp"), "c").unwrap_err();
        assert_eq!(
            e.downcast_ref::<StatusError>().unwrap().message,
            "Error: No public port '53/udp' published for c"
        );
    }
}
