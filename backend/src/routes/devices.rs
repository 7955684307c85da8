//! The configured devices and their registry status.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use shared::api::{CertificateInfo, DevicesResponse, RegistryInfo, RegistryStatusResponse};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// The configured devices (never their tokens), each with the caller's role on it.
#[utoipa::path(get, path = "/api/v1/devices", responses((status = 200, body = DevicesResponse)))]
pub async fn list_devices(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Json<DevicesResponse> {
    Json(DevicesResponse {
        devices: state
            .devices
            .iter()
            .map(|d| d.summary(caller.role_on(d.id())))
            .collect(),
    })
}

/// The device's registry info plus connection facts. Answers 200 with `reachable = false`
/// and `error` when the device cannot be reached, so the status page can show why.
#[utoipa::path(get, path = "/api/v1/devices/{device}/registry", params(("device" = String, Path, description = "device id")),
    responses((status = 200, body = RegistryStatusResponse), (status = 404, body = shared::api::ErrorBody)))]
pub async fn get_registry_status(
    State(state): State<AppState>,
    Path(device): Path<String>,
) -> Result<Json<RegistryStatusResponse>, ApiError> {
    let device = state.devices.get(&device)?;
    let result = device.info().await;
    let certificate = device.peer_certificate().map(|c| CertificateInfo {
        sha256: c.sha256,
        subject: c.subject,
        not_after_ms: c.not_after_ms,
    });
    let (reachable, round_trip_ms, registry, error) = match result {
        Ok(report) => (
            true,
            Some(u64::try_from(report.round_trip.as_millis()).unwrap_or(u64::MAX)),
            Some(RegistryInfo {
                enabled: report.info.state,
                auth_required: report.info.auth_state,
                proxy_configured: report.info.proxy_state,
                proxy_user: report.info.proxy_user,
            }),
            None,
        ),
        Err(ApiError::Device { device, error }) => (
            false,
            None,
            None,
            Some(crate::error::device_error(&device, &error).1),
        ),
        Err(other) => return Err(other),
    };
    Ok(Json(RegistryStatusResponse {
        device: device.id().to_owned(),
        checked_at_ms: state.clock.now_ms(),
        reachable,
        round_trip_ms,
        tls_mode: device.settings.tls,
        certificate,
        registry,
        error,
    }))
}
