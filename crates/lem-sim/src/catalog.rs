//! The "external" registries a pull can copy from: a small built-in catalog of images.

use serde_json::{Value, json};

/// One image that exists in some external registry and can therefore be pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogImage {
    /// Registry host with optional port and no scheme, e.g. `docker.io` or `registry.example.local:5000`.
    pub registry: String,
    /// Repository name in that registry, e.g. `library/python` (Docker Hub's `python` is the same).
    pub name: String,
    /// Tag, e.g. `3.9`.
    pub tag: String,
    /// Manifest digest the pulled row will carry, e.g. `sha256:…`.
    pub digest: String,
    /// Size in bytes the pulled row will carry.
    pub size: u64,
}

impl CatalogImage {
    /// Builds a catalog entry from its parts.
    pub fn new(registry: &str, name: &str, tag: &str, digest: &str, size: u64) -> Self {
        Self {
            registry: registry.to_owned(),
            name: name.to_owned(),
            tag: tag.to_owned(),
            digest: digest.to_owned(),
            size,
        }
    }

    /// Whether this entry is what a pull of `registry`/`name`:`tag` refers to, treating Docker
    /// Hub's host aliases and its implicit `library/` prefix as equal, as `docker pull` does.
    pub fn matches(&self, registry: &str, name: &str, tag: &str) -> bool {
        let wanted = normalise_reference(registry, name);
        let own = normalise_reference(&self.registry, &self.name);
        wanted == own && self.tag == tag
    }

    /// The device list row this image becomes when stored as `name:tag` at `timestamp_ms`.
    pub fn to_row(&self, name: &str, tag: &str, timestamp_ms: u64) -> Value {
        json!({
            "name": name,
            "tag": tag,
            "digest": self.digest,
            "timestamp": timestamp_ms,
            "size": self.size,
        })
    }
}

/// Docker Hub answers under several host names; all of them are the same registry.
const DOCKER_HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// Normalises a (registry, name) pair the way the Docker CLI does, for comparison only.
fn normalise_reference(registry: &str, name: &str) -> (String, String) {
    let registry = registry.trim().to_ascii_lowercase();
    if DOCKER_HUB_ALIASES.contains(&registry.as_str()) {
        let name = if name.contains('/') {
            name.to_owned()
        } else {
            format!("library/{name}")
        };
        ("docker.io".to_owned(), name)
    } else {
        (registry, name.to_owned())
    }
}

/// The catalog every simulator starts with: realistic public images plus a few private ones.
///
/// `library/python:3.9` and `library/python:3.12-slim` carry the same digests as the fixture, so
/// pulling them onto their own names changes only the timestamp.
pub fn builtin_catalog() -> Vec<CatalogImage> {
    const HUB: &str = "docker.io";
    vec![
        CatalogImage::new(
            HUB,
            "library/python",
            "3.9",
            "sha256:ddf3e328f78494805eeb0c43b6754178a941ae93b26949e493368af633c9c8a2",
            373_886_615,
        ),
        CatalogImage::new(
            HUB,
            "library/python",
            "3.12-slim",
            "sha256:1d0447543fac833cc86eed3edb0988e1c6ea7dfb011f7448f93bf50a6f1486d0",
            128_904_113,
        ),
        CatalogImage::new(
            HUB,
            "library/alpine",
            "3.20",
            "sha256:88e8b2ad6c94d9e1c06c64e93358f495214e06e8ef1396cbcaff94236f2bec09",
            8_834_981,
        ),
        // `latest` points at the same manifest as 3.20, as it does on Docker Hub.
        CatalogImage::new(
            HUB,
            "library/alpine",
            "latest",
            "sha256:88e8b2ad6c94d9e1c06c64e93358f495214e06e8ef1396cbcaff94236f2bec09",
            8_834_981,
        ),
        CatalogImage::new(
            HUB,
            "library/nginx",
            "1.27",
            "sha256:195639e98541c83a0d7aec17871ed1ede56979df04c1a1176ccec4fd44d6730c",
            192_503_476,
        ),
        CatalogImage::new(
            HUB,
            "library/redis",
            "7.4",
            "sha256:d3ba807db4f128f3b2352ac99b06a5fbab759098646d391a5bad507de05eab7d",
            117_384_002,
        ),
        CatalogImage::new(
            HUB,
            "grafana/grafana",
            "11.3.0",
            "sha256:6b2c2c0500b2802e68905982d365026c6c45acadf8d0322f346ba8b1f36e8aaa",
            478_122_905,
        ),
        CatalogImage::new(
            HUB,
            "library/eclipse-mosquitto",
            "2.0.20",
            "sha256:5f7bd4bb11cd298946cc2c6d41a0b5a799b96f961f0970427a234f4e17ddc22c",
            11_210_044,
        ),
        CatalogImage::new(
            "ghcr.io",
            "acme/tool",
            "v1",
            "sha256:571de5a172010b0bd304253a9632420e6cc0fdf68455091dccd087280edf3a72",
            54_016_311,
        ),
        CatalogImage::new(
            "registry.example.local:5000",
            "team/app",
            "1.2.3",
            "sha256:a3cdb4f637cfa5e2a6a264ef07d8c9610d070ee92c284284c7b01602778f6ddd",
            88_340_172,
        ),
        CatalogImage::new(
            "quay.io",
            "prometheus/node-exporter",
            "v1.8.2",
            "sha256:72bef5ed7f178ece9a4363810dfde9ed0a56f3bd810070f69250f1085dc165ec",
            23_407_756,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_aliases_and_the_library_prefix_refer_to_the_same_image() {
        let python = &builtin_catalog()[0];
        assert!(python.matches("docker.io", "python", "3.9"));
        assert!(python.matches("index.docker.io", "library/python", "3.9"));
        assert!(python.matches("Registry-1.Docker.io", "python", "3.9"));
        assert!(!python.matches("docker.io", "python", "3.10"));
        assert!(!python.matches("quay.io", "python", "3.9"));
    }

    #[test]
    fn other_registries_keep_their_names_verbatim() {
        let catalog = builtin_catalog();
        assert!(
            catalog
                .iter()
                .any(|i| i.matches("quay.io", "prometheus/node-exporter", "v1.8.2"))
        );
        assert!(
            !catalog
                .iter()
                .any(|i| i.matches("ghcr.io", "library/acme/tool", "v1"))
        );
    }
}
