//! `hako events`: stream daemon events, docker's line format or a template.

use super::{Ctx, out};
use crate::client::ClientError;
use crate::client::stream::BodyLines;
use crate::format::time::{get_timestamp, rfc3339_nano_fixed};
use crate::format::{self, GoTemplate, template};
use hako_api_types::events::EventMessage;
use hako_api_types::filters::Filters;
use hako_api_types::query::EventsQuery;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako events [OPTIONS]")]
pub struct Args {
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter")]
    filter: Vec<String>,
    /// Format output using a custom template ('json', 'TEMPLATE')
    #[arg(long)]
    format: Option<String>,
    /// Show all events created since timestamp
    #[arg(long)]
    since: Option<String>,
    /// Stream events until this timestamp
    #[arg(long)]
    until: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let mut filters = Filters::new();
    for f in &a.filter {
        filters.add_flag(f)?;
    }
    let now = time::OffsetDateTime::now_utc();
    let q = EventsQuery {
        since: a
            .since
            .as_deref()
            .map(|s| get_timestamp(s, now))
            .transpose()?,
        until: a
            .until
            .as_deref()
            .map(|s| get_timestamp(s, now))
            .transpose()?,
        filters: (!filters.is_empty()).then_some(filters),
    };
    let tmpl = match a.format.as_deref() {
        None | Some("") => None,
        Some("json") => Some(GoTemplate::parse("{{json .}}")?),
        Some(f) => Some(GoTemplate::parse(&format::unescape(f))?),
    };
    let client = ctx.client().await?;
    let q = serde_urlencoded::to_string(&q)?;
    let path = if q.is_empty() {
        "/events".to_owned()
    } else {
        format!("/events?{q}")
    };
    let resp = client.request(http::Method::GET, &path, None).await?;
    let mut lines = BodyLines::new(resp);
    while let Some(line) = lines.next_line().await? {
        let text = match &tmpl {
            Some(t) => {
                let v = template::from_json_str(&String::from_utf8_lossy(&line))
                    .map_err(|e| ClientError::Decode(e.to_string()))?;
                format!("{}\n", t.render(&v)?)
            }
            None => {
                let m: EventMessage = serde_json::from_slice(&line)
                    .map_err(|e| ClientError::Decode(e.to_string()))?;
                event_line(&m)
            }
        };
        out(&text)?;
    }
    Ok(0)
}

/// docker's default line: `<time> <type> <action> <actor id> (k=v, ...)`, attributes
/// sorted by key.
pub fn event_line(m: &EventMessage) -> String {
    let mut s = String::new();
    if m.time_nano != 0 {
        s.push_str(&rfc3339_nano_fixed(i128::from(m.time_nano)));
        s.push(' ');
    } else if m.time != 0 {
        s.push_str(&rfc3339_nano_fixed(i128::from(m.time) * 1_000_000_000));
        s.push(' ');
    }
    s.push_str(&format!("{} {} {}", m.r#type, m.action, m.actor.id));
    if let Some(attrs) = m.actor.attributes.as_ref().filter(|a| !a.is_empty()) {
        let parts: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s.push_str(&format!(" ({})", parts.join(", ")));
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_format() {
        let m: hako_api_types::events::EventMessage = serde_json::from_str(
            r#"{"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"web","image":"busybox"}},"time":1700000000,"timeNano":1700000000123456789}"#,
        )
        .unwrap();
        assert_eq!(
            super::event_line(&m),
            "2023-11-14T22:13:20.123456789Z container start abc (image=busybox, name=web)\n"
        );
    }
}
