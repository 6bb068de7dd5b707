//! `hako inspect`: low-level JSON of containers and images, or a `--format` per object.

use super::create::tagged;
use super::manifest::{Entry, render};
use super::{Ctx, out};
use crate::client::{Client, ClientError};
use crate::error::StatusError;
use crate::format::{self, GoTemplate, template};
use hako_api_types::image::{ImageInspect, OciDescriptor};
use serde_json::value::RawValue;

#[derive(Debug, clap::Args)]
#[command(override_usage = "hako inspect [OPTIONS] NAME|ID [NAME|ID...]")]
pub struct Args {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Display total file sizes if the type is container
    #[arg(short = 's', long)]
    size: bool,
    /// Only inspect objects of the given type
    #[arg(long = "type")]
    kind: Option<String>,
    /// Objects
    #[arg(required = true, value_name = "NAME|ID")]
    names: Vec<String>,
}

/// `container inspect` / `image inspect`: the same flags minus `--type`.
#[derive(Debug, clap::Args)]
pub struct TypedArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Display total file sizes
    #[arg(short = 's', long)]
    size: bool,
    /// Objects
    #[arg(required = true, value_name = "NAME|ID")]
    names: Vec<String>,
}

impl TypedArgs {
    pub fn with_type(self, kind: &str) -> Args {
        Args {
            format: self.format,
            size: self.size,
            kind: Some(kind.to_owned()),
            names: self.names,
        }
    }
}

/// `image inspect`: the typed flags plus hako's `--platforms`.
#[derive(Debug, clap::Args)]
pub struct ImageArgs {
    #[command(flatten)]
    typed: TypedArgs,
    /// Show the media type, digest and platforms of the image's index (or manifest),
    /// and which platforms are here
    #[arg(long, conflicts_with = "format")]
    platforms: bool,
}

pub async fn run_image(ctx: &Ctx, a: ImageArgs) -> anyhow::Result<i32> {
    if !a.platforms {
        return run(ctx, a.typed.with_type("image")).await;
    }
    let client = ctx.client().await?;
    let mut text = String::new();
    let mut errors = Vec::new();
    for name in &a.typed.names {
        match client
            .get_json::<ImageInspect>(&format!("/images/{name}/json?manifests=1"))
            .await
        {
            Ok(found) => match platforms_text(name, &found) {
                Some(t) => {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&t);
                }
                None => errors.push(format!("Error: {name}: the image has no manifest")),
            },
            Err(e) => errors.push(e.to_string()),
        }
    }
    out(&text)?;
    for e in &errors {
        eprintln!("{e}");
    }
    Ok(if errors.is_empty() { 0 } else { 1 })
}

/// `hako manifest inspect`'s print of a local image: each manifest carries the platform
/// the daemon found (its index entry's, else its config's) and whether it is here.
fn platforms_text(name: &str, found: &ImageInspect) -> Option<String> {
    let top = found.descriptor.as_ref()?;
    let manifests: Vec<OciDescriptor> = found
        .manifests
        .iter()
        .flatten()
        .filter(|m| m.kind == "image")
        .map(|m| {
            let mut d = m.descriptor.clone();
            if d.platform.is_none() {
                d.platform = m.image_data.as_ref().map(|i| i.platform.clone());
            }
            d
        })
        .collect();
    let available = found
        .manifests
        .iter()
        .flatten()
        .filter(|m| m.kind == "image");
    let entries: Vec<Entry<'_>> = manifests
        .iter()
        .zip(available)
        .map(|(d, m)| Entry {
            descriptor: d,
            available: Some(m.available),
        })
        .collect();
    let is_id = name.starts_with("sha256:") || name.chars().all(|c| c.is_ascii_hexdigit());
    let shown = if is_id { name.to_owned() } else { tagged(name) };
    Some(render(&shown, top, &entries))
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<i32> {
    let kinds: &[&str] = match a.kind.as_deref() {
        None | Some("") => &["container", "image"],
        Some("container") => &["container"],
        Some("image") => &["image"],
        Some(t) => {
            return Err(
                StatusError::new(1, format!("\"{t}\" is not a valid value for --type")).into(),
            );
        }
    };
    let tmpl = template_of(a.format.as_deref())?;
    let client = ctx.client().await?;
    let mut found: Vec<Box<RawValue>> = Vec::new();
    let mut errors = Vec::new();
    for name in &a.names {
        match fetch(&client, name, kinds, a.size).await {
            Ok(Some(v)) => found.push(v),
            Ok(None) => errors.push(not_found(name)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    print_objects(tmpl.as_ref(), &found, &errors)
}

/// An inspect verb's `--format`: none (or `json`) prints the JSON array. Parsed before
/// any request, so a bad template fails first, as docker's does.
pub fn template_of(format: Option<&str>) -> anyhow::Result<Option<GoTemplate>> {
    Ok(match format {
        None | Some("") | Some("json") => None,
        Some(f) => Some(GoTemplate::parse(&format::unescape(f))?),
    })
}

/// `GET path_of(name)` for each name: the objects found and the errors, in order (the
/// `volume`/`network` inspect verbs, where the daemon's 404 message is docker's).
pub async fn fetch_each(
    client: &Client,
    names: &[String],
    path_of: impl Fn(&str) -> String,
) -> (Vec<Box<RawValue>>, Vec<String>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        match client.get_json::<Box<RawValue>>(&path_of(name)).await {
            Ok(v) => found.push(v),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (found, errors)
}

/// Prints inspected objects as docker does (one indented JSON array, or the template per
/// object), then the errors; the exit status is 1 when there were any.
pub fn print_objects(
    tmpl: Option<&GoTemplate>,
    found: &[Box<RawValue>],
    errors: &[String],
) -> anyhow::Result<i32> {
    match tmpl {
        None => {
            let joined: Vec<&str> = found.iter().map(|r| r.get()).collect();
            let raw = format!("[{}]", joined.join(","));
            out(&format!("{}\n", format::json::indent(&raw, "    ")))?;
        }
        Some(t) => {
            let mut s = String::new();
            for r in found {
                let v = template::from_json_str(r.get())?;
                s.push_str(&t.render(&v)?);
                s.push('\n');
            }
            out(&s)?;
        }
    }
    for e in errors {
        eprintln!("{e}");
    }
    Ok(if errors.is_empty() { 0 } else { 1 })
}

fn not_found(name: &str) -> String {
    format!("Error: No such object: {name}")
}

/// The first kind that knows `name`; `None` when all say 404.
async fn fetch(
    client: &Client,
    name: &str,
    kinds: &[&str],
    size: bool,
) -> Result<Option<Box<RawValue>>, ClientError> {
    for k in kinds {
        let path = match *k {
            "container" if size => format!("/containers/{name}/json?size=1"),
            "container" => format!("/containers/{name}/json"),
            _ => format!("/images/{name}/json"),
        };
        match client.get_json::<Box<RawValue>>(&path).await {
            Ok(v) => return Ok(Some(v)),
            // With one type asked for, the daemon's own 404 message is what docker prints.
            Err(e) if e.is_not_found() && kinds.len() > 1 => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}
