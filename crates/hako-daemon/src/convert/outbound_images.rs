//! Images and events out.

use std::collections::BTreeMap;

use hako_api_types::container::GraphDriverData;
use hako_api_types::events::{EventActor, EventMessage};
use hako_api_types::image::{
    ImageInspect, ImageManifestSummary, ImageMetadata, ImageSummary as WireSummary,
    ManifestAttestationData, ManifestImageData, ManifestImageSize, ManifestSize, OciDescriptor,
    OciPlatform, RootFs,
};
use hako_engine::events::Event;
use hako_engine::image::{
    Descriptor, ImageDetails, ImageSummary, ManifestKind, ManifestSummary, Platform,
};

/// One row of `GET /images/json`. `VirtualSize` went away in API 1.44, above what hako
/// speaks, so it is always sent.
pub fn image_summary(i: ImageSummary) -> WireSummary {
    WireSummary {
        id: i.id,
        parent_id: i.parent_id,
        repo_tags: i.repo_tags,
        repo_digests: i.repo_digests,
        created: i.created,
        size: i.size,
        shared_size: -1,
        virtual_size: Some(i.size),
        labels: (!i.labels.is_empty()).then_some(i.labels),
        containers: i.containers,
        manifests: i
            .manifests
            .map(|m| m.into_iter().map(manifest_summary).collect()),
    }
}

/// moby's `ManifestSummary` (image list and inspect with `manifests=1`).
pub fn manifest_summary(m: ManifestSummary) -> ImageManifestSummary {
    let e = m.entry;
    let unpacked = i64::try_from(e.unpacked_size).unwrap_or(i64::MAX);
    let content = i64::try_from(e.content_size).unwrap_or(i64::MAX);
    let image = e.kind == ManifestKind::Image;
    ImageManifestSummary {
        id: e.descriptor.digest.to_string(),
        descriptor: oci_descriptor(&e.descriptor),
        available: e.available,
        size: ManifestSize {
            total: content.saturating_add(if image { unpacked } else { 0 }),
            content,
        },
        kind: e.kind.as_str().to_owned(),
        image_data: image.then(|| ManifestImageData {
            platform: e.platform.as_ref().map(oci_platform).unwrap_or_default(),
            containers: m.containers,
            size: ManifestImageSize { unpacked },
        }),
        attestation_data: e.attestation_for.map(|d| ManifestAttestationData {
            r#for: d.to_string(),
        }),
    }
}

/// An OCI descriptor as the Engine API carries it.
pub fn oci_descriptor(d: &Descriptor) -> OciDescriptor {
    OciDescriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.to_string(),
        size: d.size,
        platform: d.platform.as_ref().map(|p| oci_platform(&p.to_platform())),
    }
}

fn oci_platform(p: &Platform) -> OciPlatform {
    OciPlatform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        os_version: p.os_version.clone(),
        variant: p.variant.clone(),
    }
}

/// `GET /images/{name}/json`.
pub fn image_inspect(d: ImageDetails) -> ImageInspect {
    // Docker shows an image's layers as an overlay whose upper dir is the top layer.
    let mut dirs = d.layer_dirs.iter().map(|p| p.display().to_string());
    let mut data = BTreeMap::new();
    if let Some(top) = dirs.next() {
        data.insert("UpperDir".to_string(), top);
    }
    let lower = dirs.collect::<Vec<_>>().join(":");
    if !lower.is_empty() {
        data.insert("LowerDir".to_string(), lower);
    }
    ImageInspect {
        id: d.id,
        repo_tags: d.repo_tags,
        repo_digests: d.repo_digests,
        parent: d.parent,
        comment: d.comment,
        created: d.created,
        docker_version: String::new(),
        author: d.author,
        // The stored config is Docker's container-config shape already; a field that does
        // not parse leaves it out rather than failing the whole inspect.
        config: serde_json::from_value(d.config).ok(),
        architecture: d.architecture,
        variant: d.variant,
        os: d.os,
        size: d.size,
        virtual_size: Some(d.size),
        graph_driver: GraphDriverData {
            data: Some(data),
            name: "overlay2".into(),
        },
        root_fs: RootFs {
            r#type: "layers".into(),
            layers: Some(d.layers),
        },
        // The engine does not record tag times yet; Docker shows the zero time for images
        // never tagged locally.
        metadata: ImageMetadata {
            last_tag_time: Some(super::ZERO_TIME.to_string()),
        },
        descriptor: d.descriptor.as_ref().map(oci_descriptor),
        manifests: d
            .manifests
            .map(|m| m.into_iter().map(manifest_summary).collect()),
        ..ImageInspect::default()
    }
}

/// One line of `GET /events`: the modern fields plus, for containers and images, the
/// pre-1.22 `status`/`id`/`from` that older clients still read (moby fills them too).
pub fn event_message(e: Event) -> EventMessage {
    let legacy = matches!(e.kind.as_str(), "container" | "image");
    let from = (e.kind == "container")
        .then(|| e.attributes.get("image").cloned())
        .flatten();
    let time_nano = i64::try_from(e.time_nano).unwrap_or(i64::MAX);
    EventMessage {
        status: legacy.then(|| e.action.clone()),
        id: legacy.then(|| e.actor_id.clone()),
        from,
        r#type: e.kind,
        action: e.action,
        actor: EventActor {
            id: e.actor_id,
            attributes: Some(e.attributes),
        },
        scope: "local".into(),
        time: time_nano / 1_000_000_000,
        time_nano,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn container_events_carry_legacy_fields() {
        let e = Event {
            kind: "container".into(),
            action: "start".into(),
            actor_id: "abc".into(),
            attributes: [("image".to_string(), "busybox".to_string())].into(),
            time_nano: 1_700_000_000_123_456_789,
        };
        let v = serde_json::to_value(event_message(e)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "status": "start", "id": "abc", "from": "busybox",
                "Type": "container", "Action": "start",
                "Actor": {"ID": "abc", "Attributes": {"image": "busybox"}},
                "scope": "local", "time": 1_700_000_000, "timeNano": 1_700_000_000_123_456_789_i64
            })
        );
        let n = event_message(Event {
            kind: "network".into(),
            action: "connect".into(),
            actor_id: "n".into(),
            attributes: BTreeMap::new(),
            time_nano: 0,
        });
        assert!(n.status.is_none() && n.id.is_none() && n.from.is_none());
    }

    #[test]
    fn images() {
        let s = image_summary(ImageSummary {
            id: "sha256:1".into(),
            size: 10,
            ..ImageSummary::default()
        });
        assert_eq!(
            (s.virtual_size, s.shared_size, s.labels),
            (Some(10), -1, None)
        );
        let i = image_inspect(ImageDetails {
            id: "sha256:1".into(),
            config: serde_json::json!({"Cmd": ["sh"], "Env": ["PATH=/bin"]}),
            layers: vec!["sha256:d".into()],
            layer_dirs: vec![
                PathBuf::from("/top"),
                PathBuf::from("/a"),
                PathBuf::from("/b"),
            ],
            ..ImageDetails::default()
        });
        assert_eq!(i.config.unwrap().cmd.unwrap(), ["sh"]);
        let data = i.graph_driver.data.unwrap();
        assert_eq!(data["UpperDir"], "/top");
        assert_eq!(data["LowerDir"], "/a:/b");
        assert_eq!(i.root_fs.layers.unwrap(), ["sha256:d"]);
    }
}
