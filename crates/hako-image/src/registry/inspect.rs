//! What a registry holds under a name, without pulling it: the top descriptor and, for
//! each manifest it leads to, its platform (`GET /distribution/{name}/json`, `hako
//! manifest inspect`).

use super::auth::AuthConfig;
use super::client::{Client, RegistryConfig};
use crate::error::Result;
use crate::manifest::{self, Descriptor, DescriptorPlatform, Parsed, RawConfig, media_types};
use crate::reference::Reference;

/// Config blobs larger than this are refused (as for pulls).
const MAX_CONFIG_SIZE: u64 = 8 << 20;

/// A name as the registry resolves it.
#[derive(Debug, Clone)]
pub struct RemoteImage {
    /// The normalized reference asked for (`docker.io/library/busybox:latest`).
    pub name: String,
    /// What the name points at: an index/list or a single manifest.
    pub descriptor: Descriptor,
    /// The image manifests with their platforms: the index's entries (attestations and
    /// other non-image entries left out), or the one manifest with its config's platform.
    pub manifests: Vec<Descriptor>,
}

/// Resolves `name` on its registry.
pub fn inspect_remote(
    name: &str,
    config: &RegistryConfig,
    auth: Option<AuthConfig>,
) -> Result<RemoteImage> {
    let mut reference = Reference::parse_normalized(name)?;
    if reference.digest().is_none() {
        reference = reference.with_default_tag();
    }
    let client = Client::connect(&reference, config, auth, false)?;
    let top = client.manifest(&reference)?;
    let descriptor = Descriptor::new(&top.media_type, top.digest.clone(), top.bytes.len() as u64);
    let manifests = match manifest::parse(Some(&top.media_type), &top.bytes)? {
        Parsed::Index(idx) => idx
            .manifests
            .into_iter()
            .filter(|d| media_types::is_manifest(&d.media_type))
            .filter(|d| {
                d.platform
                    .as_ref()
                    .is_none_or(|p| p.to_platform().normalize().to_string() != "unknown/unknown")
            })
            .collect(),
        Parsed::Manifest(m) => {
            let bytes = client.small_blob(&m.config.digest, m.config.size, MAX_CONFIG_SIZE)?;
            let platform = RawConfig::parse(bytes)?.config.platform();
            let mut d = descriptor.clone();
            d.platform = Some(DescriptorPlatform::from_platform(&platform));
            vec![d]
        }
    };
    Ok(RemoteImage {
        name: reference.to_string(),
        descriptor,
        manifests,
    })
}
