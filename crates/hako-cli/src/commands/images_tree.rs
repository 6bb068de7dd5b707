//! `hako images --tree`: docker 28's experimental tree view. Each image with its names,
//! then one line per platform of its index (available ones and the rest), with disk
//! usage, content size and whether a container uses it, from `GET /images/json?
//! manifests=1`. Columns, widths and alignment as docker's; no colours.

use hako_api_types::image::ImageSummary;

use crate::format::human_size;

const SPACING: usize = 3;
const WARNING: &str =
    "WARNING: This is an experimental feature. The output may change and shouldn't be depended on.";

struct Details {
    id: String,
    disk_usage: String,
    content_size: String,
    used: bool,
}

struct Child {
    platform: String,
    details: Details,
}

struct Top {
    names: Vec<String>,
    details: Details,
    children: Vec<Child>,
    created: i64,
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Center,
    Right,
}

struct Column {
    title: &'static str,
    width: usize,
    align: Align,
    value: Option<fn(&Details) -> String>,
}

impl Column {
    fn print(&self, s: &str) -> String {
        let len = s.chars().count();
        if len > self.width {
            let keep: String = s.chars().take(self.width.saturating_sub(3)).collect();
            return format!("{keep}...");
        }
        let fill = self.width - len;
        match self.align {
            Align::Left => format!("{s}{}", " ".repeat(fill)),
            Align::Right => format!("{}{s}", " ".repeat(fill)),
            Align::Center => {
                let l = fill / 2;
                format!("{}{s}{}", " ".repeat(l), " ".repeat(fill - l))
            }
        }
    }
}

fn short_id(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

fn size(n: i64) -> String {
    human_size(n as f64, 3)
}

fn view(list: &[ImageSummary]) -> Vec<Top> {
    let mut out: Vec<Top> = list
        .iter()
        .map(|img| {
            let mut used = img.containers > 0;
            let mut content = 0i64;
            let children = img
                .manifests
                .iter()
                .flatten()
                .filter(|m| m.kind == "image")
                .map(|m| {
                    let data = m.image_data.clone().unwrap_or_default();
                    let p = &data.platform;
                    let mut platform = format!("{}/{}", p.os, p.architecture);
                    if !p.variant.is_empty() {
                        platform = format!("{platform}/{}", p.variant);
                    }
                    used |= !data.containers.is_empty();
                    content += m.size.content;
                    Child {
                        platform,
                        details: Details {
                            id: m.id.clone(),
                            disk_usage: size(m.size.total),
                            content_size: size(m.size.content),
                            used: !data.containers.is_empty(),
                        },
                    }
                })
                .collect();
            Top {
                names: img.repo_tags.clone(),
                details: Details {
                    id: img.id.clone(),
                    disk_usage: size(img.size),
                    content_size: size(content),
                    used,
                },
                children,
                created: img.created,
            }
        })
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.created));
    out
}

/// The whole output for a terminal `width` columns wide (80 when unknown).
pub fn render(list: &[ImageSummary], width: usize) -> String {
    let images = view(list);
    let width = width.max(20);
    let mut columns = vec![
        Column {
            title: "Image",
            width: 0,
            align: Align::Left,
            value: None,
        },
        Column {
            title: "ID",
            width: 12,
            align: Align::Left,
            value: Some(|d| short_id(&d.id)),
        },
        Column {
            title: "Disk usage",
            width: 10,
            align: Align::Right,
            value: Some(|d| d.disk_usage.clone()),
        },
        Column {
            title: "Content size",
            width: 12,
            align: Align::Right,
            value: Some(|d| d.content_size.clone()),
        },
        Column {
            title: "Used",
            width: 4,
            align: Align::Center,
            value: Some(|d| if d.used { "✔" } else { " " }.to_owned()),
        },
    ];
    let mut name_width = width;
    for idx in 1..columns.len() {
        let d = columns[idx].width + SPACING;
        // Columns that would leave the name column too narrow are dropped.
        if name_width.saturating_sub(d) < 12 {
            columns.truncate(idx);
            break;
        }
        name_width -= d;
    }
    let mut widest = columns[0].title.len();
    for img in &images {
        for n in &img.names {
            widest = widest.max(n.len());
        }
        for c in &img.children {
            // Bytes, not characters, as docker counts here: the branch adds 7.
            widest = widest.max(c.platform.len() + "└─ ".len());
        }
    }
    columns[0].width = name_width.min(widest);

    let mut s = format!("{WARNING}\n");
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            s.push_str(&" ".repeat(SPACING));
        }
        s.push_str(&c.print(&c.title.to_uppercase()));
    }
    s.push('\n');
    let details = |s: &mut String, d: &Details| {
        for c in &columns {
            if let Some(value) = c.value {
                s.push_str(&" ".repeat(SPACING));
                s.push_str(&c.print(&value(d)));
            }
        }
        s.push('\n');
    };
    for (idx, img) in images.iter().enumerate() {
        if idx != 0 {
            s.push('\n');
        }
        for (n, name) in img.names.iter().enumerate() {
            if n != 0 {
                s.push('\n');
            }
            s.push_str(&columns[0].print(name));
        }
        details(&mut s, &img.details);
        for (n, child) in img.children.iter().enumerate() {
            let branch = if n + 1 == img.children.len() {
                "└─ "
            } else {
                "├─ "
            };
            s.push_str(&columns[0].print(&format!("{branch}{}", child.platform)));
            details(&mut s, &child.details);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use hako_api_types::image::{
        ImageManifestSummary, ManifestImageData, ManifestSize, OciPlatform,
    };

    fn manifest(
        id: &str,
        arch: &str,
        variant: &str,
        content: i64,
        total: i64,
        used: bool,
    ) -> ImageManifestSummary {
        ImageManifestSummary {
            id: id.to_owned(),
            available: content > 0,
            size: ManifestSize { total, content },
            kind: "image".to_owned(),
            image_data: Some(ManifestImageData {
                platform: OciPlatform {
                    architecture: arch.to_owned(),
                    os: "linux".to_owned(),
                    variant: variant.to_owned(),
                    ..Default::default()
                },
                containers: if used {
                    vec!["c1".to_owned()]
                } else {
                    Vec::new()
                },
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn an_index_with_one_platform_here() {
        let img = ImageSummary {
            id: "sha256:e08104e51c9dd4b27ad66e5df6b191af8223653827afe61066eef5df455e0945".into(),
            repo_tags: vec!["busybox:latest".into()],
            size: 2_170_000,
            manifests: Some(vec![
                manifest(
                    "sha256:e863dc18dba25fb0c1b722e4d09767e36a7776215ef4cb78f6816777366cb6a2",
                    "amd64",
                    "",
                    1_000_000,
                    3_170_000,
                    true,
                ),
                manifest(
                    "sha256:7087cb0ff4dba63fff85324b0b0dc44ec5101170e6b3c4f3f997c4265bf7a833",
                    "arm64",
                    "v8",
                    0,
                    0,
                    false,
                ),
            ]),
            ..Default::default()
        };
        assert_eq!(
            render(&[img], 80),
            format!(
                "{WARNING}\n\
                 IMAGE                   ID             DISK USAGE   CONTENT SIZE   USED\n\
                 busybox:latest          e08104e51c9d       2.17MB            1MB    ✔  \n\
                 ├─ linux/amd64          e863dc18dba2       3.17MB            1MB    ✔  \n\
                 └─ linux/arm64/v8       7087cb0ff4db           0B             0B       \n"
            )
        );
    }
}
