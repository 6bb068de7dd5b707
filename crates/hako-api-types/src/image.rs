//! Image bodies: list, inspect, delete.

use crate::container::{ContainerConfig, GraphDriverData};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// moby `image.Summary` (`GET /images/json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageSummary {
    /// `sha256:<hex>`.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub parent_id: String,
    /// `["busybox:latest"]`; `<none>:<none>` entries are not listed.
    #[serde(default, deserialize_with = "crate::container::null_as_empty")]
    pub repo_tags: Vec<String>,
    #[serde(default, deserialize_with = "crate::container::null_as_empty")]
    pub repo_digests: Vec<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub size: i64,
    /// -1 when not computed.
    #[serde(default)]
    pub shared_size: i64,
    /// Removed in API 1.44; still sent for older clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_size: Option<i64>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// -1 when not computed.
    #[serde(default)]
    pub containers: i64,
    /// API 1.47 `manifests=1`: every manifest of a multi-platform image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<Vec<ImageManifestSummary>>,
}

/// moby `image.ManifestSummary`: one manifest of an image, local or not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageManifestSummary {
    /// The manifest's digest.
    #[serde(rename = "ID")]
    pub id: String,
    pub descriptor: OciDescriptor,
    /// Manifest, config and layers all present locally.
    pub available: bool,
    pub size: ManifestSize,
    /// `image`, `attestation` or `unknown`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_data: Option<ManifestImageData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_data: Option<ManifestAttestationData>,
}

/// `Size` of a manifest summary: what is present locally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManifestSize {
    /// Content plus the unpacked size.
    pub total: i64,
    /// Blobs in the content store (manifest, config, layers).
    pub content: i64,
}

/// `ImageData` of a manifest summary (Kind `image`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManifestImageData {
    pub platform: OciPlatform,
    /// IDs of the containers using this manifest's image.
    #[serde(default, deserialize_with = "crate::container::null_as_empty")]
    pub containers: Vec<String>,
    pub size: ManifestImageSize,
}

/// `ImageData.Size`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManifestImageSize {
    pub unpacked: i64,
}

/// `AttestationData` of a manifest summary (Kind `attestation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManifestAttestationData {
    /// The image manifest the attestation is about.
    pub r#for: String,
}

/// moby `image.InspectResponse` (`GET /images/{name}/json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInspect {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "crate::container::null_as_empty")]
    pub repo_tags: Vec<String>,
    #[serde(default, deserialize_with = "crate::container::null_as_empty")]
    pub repo_digests: Vec<String>,
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub comment: String,
    /// RFC 3339 with nanoseconds; may be empty for images without a creation time.
    #[serde(default)]
    pub created: String,
    /// Removed in API 1.45.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_config: Option<ContainerConfig>,
    #[serde(default)]
    pub docker_version: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub config: Option<ContainerConfig>,
    #[serde(default)]
    pub architecture: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    #[serde(default)]
    pub size: i64,
    /// Removed in API 1.44.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_size: Option<i64>,
    #[serde(default)]
    pub graph_driver: GraphDriverData,
    #[serde(rename = "RootFS", default)]
    pub root_fs: RootFs,
    #[serde(default)]
    pub metadata: ImageMetadata,
    /// API 1.48: the index or manifest the image was pulled or loaded as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptor: Option<OciDescriptor>,
    /// API 1.48 `manifests=1`: every manifest of a multi-platform image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<Vec<ImageManifestSummary>>,
}

/// `RootFS`: `{"Type": "layers", "Layers": ["sha256:<diff-id>", ...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootFs {
    #[serde(default)]
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<String>>,
}

/// `Metadata` of image inspect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageMetadata {
    /// RFC 3339, or empty when never tagged locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tag_time: Option<String>,
}

/// One entry of the `DELETE /images/{name}` response: exactly one field is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageDeleteResponseItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untagged: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
}

/// One row of `GET /images/{name}/history` (moby `image.HistoryResponseItem`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryResponseItem {
    /// `sha256:...` or `<missing>`.
    #[serde(default)]
    pub id: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub created_by: String,
    #[serde(default, deserialize_with = "crate::container::null_as_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub comment: String,
}

/// `POST /images/prune` body (moby `image.PruneReport`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImagePruneReport {
    #[serde(default)]
    pub images_deleted: Option<Vec<ImageDeleteResponseItem>>,
    #[serde(default)]
    pub space_reclaimed: u64,
}

/// `POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=`; `changes`
/// repeats, `pause` defaults to true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitQuery {
    pub container: String,
    pub repo: Option<String>,
    pub tag: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    pub pause: bool,
    pub changes: Vec<String>,
}

impl Default for CommitQuery {
    fn default() -> Self {
        CommitQuery {
            container: String::new(),
            repo: None,
            tag: None,
            comment: None,
            author: None,
            pause: true,
            changes: Vec::new(),
        }
    }
}

impl CommitQuery {
    pub fn to_query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("container", &self.container);
        for (k, v) in [
            ("repo", &self.repo),
            ("tag", &self.tag),
            ("comment", &self.comment),
            ("author", &self.author),
        ] {
            if let Some(v) = v {
                s.append_pair(k, v);
            }
        }
        if !self.pause {
            s.append_pair("pause", "0");
        }
        for c in &self.changes {
            s.append_pair("changes", c);
        }
        s.finish()
    }

    /// Unknown keys are ignored; `pause` is false only for Docker's false spellings.
    pub fn from_query_string(q: &str) -> Self {
        let mut out = Self::default();
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "container" => out.container = v,
                "repo" => out.repo = Some(v),
                "tag" => out.tag = Some(v),
                "comment" => out.comment = Some(v),
                "author" => out.author = Some(v),
                "pause" => out.pause = !matches!(v.as_str(), "0" | "false" | "False" | "FALSE"),
                "changes" => out.changes.push(v),
                _ => {}
            }
        }
        out
    }
}

/// `POST /commit` answer (moby `container.CommitResponse`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdResponse {
    #[serde(rename = "Id", default)]
    pub id: String,
}

#[cfg(test)]
mod commit_query_tests {
    use super::CommitQuery;

    #[test]
    fn round_trip_with_repeated_changes_and_pause_default() {
        let q = CommitQuery {
            container: "c1".into(),
            repo: Some("img".into()),
            changes: vec!["CMD [\"a\"]".into(), "ENV A=1".into()],
            ..CommitQuery::default()
        };
        assert_eq!(CommitQuery::from_query_string(&q.to_query_string()), q);
        assert!(!CommitQuery::from_query_string("container=x&pause=0").pause);
        assert!(CommitQuery::from_query_string("container=x").pause);
    }
}

/// `GET /distribution/{name}/json`: what the registry holds under a name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionInspect {
    /// The index, list or manifest the name points at.
    pub descriptor: OciDescriptor,
    /// The platforms it offers.
    pub platforms: Vec<OciPlatform>,
    /// hako's addition: each image manifest with its digest and platform (what
    /// `hako manifest inspect` prints); clients that do not know it ignore it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<OciDescriptor>,
}

/// An OCI descriptor as the Engine API carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciDescriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<OciPlatform>,
}

/// An OCI platform as the Engine API carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OciPlatform {
    pub architecture: String,
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub os_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
}
