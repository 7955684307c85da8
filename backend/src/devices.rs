//! The configured devices: each one's client behind the `RegistryApi` trait, a cap on calls in
//! flight (so one hung device cannot exhaust the server), an import queue, and call metrics.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lem_client::{
    DeviceClient, DeviceError, ImageList, InfoReport, Operation, PullRequest, RegistryApi,
};
use shared::api::{DeviceSummary, Role};
use tokio::sync::Semaphore;

use crate::config::{Config, ConfigError, DeviceSettings};
use crate::error::ApiError;
use crate::metrics::Metrics;

/// One configured device.
pub struct Device {
    /// Its configuration (the token inside is redacted in Debug).
    pub settings: DeviceSettings,
    api: Arc<dyn RegistryApi>,
    slots: Semaphore,
    queue_wait: Duration,
    /// Imports running at once on this device.
    pub import_slots: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    /// The last list answer and its translation (see [`Device::list_translated`]).
    last_list: Mutex<Option<Arc<TranslatedList>>>,
    /// Held while a new answer is parsed and translated, so that concurrent lists of the same
    /// new answer translate it once instead of each holding a parsed copy at the same time.
    translating: tokio::sync::Mutex<()>,
}

/// A device list answer translated into the API's rows, already serialised.
#[derive(Debug)]
pub struct TranslatedList {
    /// The device's answer, byte for byte.
    device_body: Bytes,
    /// The rows (`Vec<shared::api::ImageRow>`) as JSON.
    pub images_json: Bytes,
    /// Entries that were not objects.
    pub skipped_entries: u32,
}

impl TranslatedList {
    /// Serialises `images` for a device answer of `device_body`.
    pub fn new(
        device_body: Bytes,
        images: &[shared::api::ImageRow],
        skipped_entries: u32,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            device_body,
            images_json: serde_json::to_vec(images)?.into(),
            skipped_entries,
        })
    }
}

/// What one list call found: the answer seen last time, or a new one to translate (with the
/// right to translate it).
enum ListFound<'a> {
    Same(Arc<TranslatedList>),
    New(Bytes, ImageList, tokio::sync::MutexGuard<'a, ()>),
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.settings.id)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Id.
    pub fn id(&self) -> &str {
        &self.settings.id
    }

    /// Display name.
    pub fn name(&self) -> &str {
        self.settings.display_name()
    }

    /// What the browser may know about the device.
    pub fn summary(&self, role: Role) -> DeviceSummary {
        DeviceSummary {
            id: self.settings.id.clone(),
            name: self.name().to_owned(),
            url: self.settings.url.clone(),
            auth_mode: self.settings.auth,
            tls_mode: self.settings.tls,
            pinned_sha256: self
                .settings
                .sha256
                .as_deref()
                .and_then(lem_client::parse_fingerprint)
                .map(|fp| lem_client::format_fingerprint(&fp)),
            registry_host: self.settings.registry_host(),
            role,
        }
    }

    async fn run<T>(
        &self,
        op: Operation,
        call: impl Future<Output = Result<T, DeviceError>>,
    ) -> Result<T, ApiError> {
        let _slot = tokio::time::timeout(self.queue_wait, self.slots.acquire())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                ApiError::Unavailable(format!(
                    "Too many requests to device \"{}\" are in progress; try again in a moment.",
                    self.name()
                ))
            })?;
        let started = Instant::now();
        let result = call.await;
        self.metrics
            .record_device_call(self.id(), op, result.as_ref().err(), started.elapsed());
        result.map_err(|error| ApiError::Device {
            device: self.name().to_owned(),
            error,
        })
    }

    /// Lists the device's images.
    pub async fn list(&self) -> Result<ImageList, ApiError> {
        self.run(Operation::List, self.api.list_images()).await
    }

    /// Lists the device's images (always one device call), translated and serialised. When the
    /// device answers exactly the bytes it answered last time, the translation made then is
    /// reused: it depends on nothing but those bytes, and parsing, checking every row and
    /// writing the JSON again was most of the panel's work for a large list (`./x bench`).
    pub async fn list_translated(&self) -> Result<Arc<TranslatedList>, ApiError> {
        let found = self
            .run(Operation::List, async {
                let answer = self.api.list_answer().await?;
                if let Some(last) = self.translation_of(answer.body()) {
                    return Ok(ListFound::Same(last));
                }
                // Parsing inside the device call keeps a malformed answer in the call's metrics.
                let translating = self.translating.lock().await;
                if let Some(last) = self.translation_of(answer.body()) {
                    return Ok(ListFound::Same(last));
                }
                Ok(ListFound::New(
                    answer.body().clone(),
                    answer.parse()?,
                    translating,
                ))
            })
            .await?;
        let (device_body, list, _translating) = match found {
            ListFound::Same(last) => return Ok(last),
            ListFound::New(body, list, guard) => (body, list, guard),
        };
        let (images, skipped_entries) = crate::translate::translate(list);
        let translated = Arc::new(
            TranslatedList::new(device_body, &images, skipped_entries)
                .map_err(|e| ApiError::internal(format!("serialising the image rows: {e}")))?,
        );
        *self.last_list() = Some(translated.clone());
        Ok(translated)
    }

    /// The translation made for exactly these answer bytes, if it is the last one.
    fn translation_of(&self, body: &[u8]) -> Option<Arc<TranslatedList>> {
        self.last_list()
            .as_ref()
            .filter(|last| last.device_body == body)
            .cloned()
    }

    fn last_list(&self) -> std::sync::MutexGuard<'_, Option<Arc<TranslatedList>>> {
        self.last_list
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Pulls an image into the device (once, never retried).
    pub async fn pull(&self, request: &PullRequest) -> Result<(), ApiError> {
        self.run(Operation::Pull, self.api.pull_image(request))
            .await
    }

    /// Deletes a manifest (once, never retried).
    pub async fn delete(&self, name: &str, digest: &str) -> Result<(), ApiError> {
        self.run(Operation::Delete, self.api.delete_image(name, digest))
            .await
    }

    /// Reads the registry info.
    pub async fn info(&self) -> Result<InfoReport, ApiError> {
        self.run(Operation::Info, self.api.registry_info()).await
    }

    /// The certificate the device last presented.
    pub fn peer_certificate(&self) -> Option<lem_client::CertificateFacts> {
        self.api.peer_certificate()
    }
}

/// All configured devices, in configuration order.
#[derive(Debug, Default)]
pub struct Devices {
    list: Vec<Arc<Device>>,
}

impl Devices {
    /// Builds a client per configured device.
    pub fn from_config(
        config: &Config,
        config_dir: &Path,
        metrics: &Arc<Metrics>,
    ) -> Result<Self, ConfigError> {
        let mut parts: Vec<(DeviceSettings, Arc<dyn RegistryApi>)> = Vec::new();
        for settings in &config.devices {
            let client = DeviceClient::new(settings.client_config(config_dir)?)
                .map_err(|e| ConfigError::Invalid(format!("device {:?}: {e}", settings.id)))?;
            parts.push((settings.clone(), Arc::new(client)));
        }
        Ok(Self::from_parts(parts, config, metrics))
    }

    /// Wraps ready-made device APIs (tests substitute fakes here).
    pub fn from_parts(
        parts: Vec<(DeviceSettings, Arc<dyn RegistryApi>)>,
        config: &Config,
        metrics: &Arc<Metrics>,
    ) -> Self {
        let list = parts
            .into_iter()
            .map(|(settings, api)| {
                Arc::new(Device {
                    settings,
                    api,
                    slots: Semaphore::new(config.limits.device_concurrency),
                    queue_wait: Duration::from_secs(config.limits.device_queue_seconds),
                    import_slots: Arc::new(Semaphore::new(config.limits.import_concurrency)),
                    metrics: metrics.clone(),
                    last_list: Mutex::new(None),
                    translating: tokio::sync::Mutex::new(()),
                })
            })
            .collect();
        Self { list }
    }

    /// The device with this id, or a 404.
    pub fn get(&self, id: &str) -> Result<Arc<Device>, ApiError> {
        self.list
            .iter()
            .find(|d| d.id() == id)
            .cloned()
            .ok_or_else(|| ApiError::NotFound(format!("Device \"{id}\"")))
    }

    /// All devices.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Device>> {
        self.list.iter()
    }
}
