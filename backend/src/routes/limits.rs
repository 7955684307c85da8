//! Per-route time limits. A route that only touches the panel's own database gets a short
//! limit; a route that calls a device gets the time its device calls ([`super::DEVICE_CALLS`])
//! can take by the device client's own limits (connect retries included), plus the wait for a
//! device slot and a margin, so the route never cuts a device call short and the device's
//! classified timeout (504 `device_timeout`) is what the user sees.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::Method;
use lem_client::{Operation, Timeouts};

use super::DEVICE_CALLS;
use crate::config::Config;

/// Limit of every route that calls no device (session, users, audit, tokens, jobs, imports,
/// health, the web app).
pub const LOCAL_LIMIT: Duration = Duration::from_secs(30);

/// Time a device route gets on top of its device calls (translating, auditing, answering).
const MARGIN: Duration = Duration::from_secs(5);

/// The time limit of each route, derived once from the configuration.
#[derive(Debug, Clone)]
pub struct RouteLimits {
    /// Longest one device call of each operation may take, on the slowest device, including
    /// the wait for a free device slot.
    per_call: HashMap<Operation, Duration>,
}

impl RouteLimits {
    /// Limits for the configured devices.
    pub fn new(config: &Config) -> Self {
        let queue = Duration::from_secs(config.limits.device_queue_seconds);
        let timeouts: Vec<Timeouts> = config
            .devices
            .iter()
            .map(|d| d.timeouts.to_client())
            .collect();
        let per_call = [
            Operation::List,
            Operation::Info,
            Operation::Delete,
            Operation::Pull,
        ]
        .into_iter()
        .map(|op| {
            let slowest = timeouts
                .iter()
                .map(|t| t.longest_call(op))
                .max()
                .unwrap_or_default();
            (op, queue + slowest)
        })
        .collect();
        Self { per_call }
    }

    /// The limit of the route matched as `route` (its template, e.g.
    /// `/api/v1/devices/{device}/images`); `None` (the web app, unknown paths) is local.
    pub fn for_route(&self, method: &Method, route: Option<&str>) -> Duration {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let calls = route.and_then(|route| {
            DEVICE_CALLS
                .iter()
                .find(|(m, p, _)| m == method && *p == route)
                .map(|(_, _, calls)| *calls)
        });
        match calls {
            None => LOCAL_LIMIT,
            Some(calls) => {
                let device_time: Duration = calls
                    .iter()
                    .map(|op| self.per_call.get(op).copied().unwrap_or_default())
                    .sum();
                (device_time + MARGIN).max(LOCAL_LIMIT)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DeviceSettings, DeviceTimeouts};
    use crate::routes::ROUTES;

    fn device(id: &str, timeouts: DeviceTimeouts) -> DeviceSettings {
        let mut text = format!(
            "id = \"{id}\"\nurl = \"https://10.0.0.1:8446\"\ntls = \"insecure\"\ntoken = \"t\"\n"
        );
        text.push_str(&format!(
            "[timeouts]\nconnect = {}\nlist = {}\ninfo = {}\ndelete = {}\npull = {}\n",
            timeouts.connect, timeouts.list, timeouts.info, timeouts.delete, timeouts.pull
        ));
        toml::from_str(&text).expect("device settings")
    }

    fn config() -> Config {
        let slow = DeviceTimeouts {
            connect: 20,
            list: 90,
            delete: 120,
            ..DeviceTimeouts::default()
        };
        Config {
            devices: vec![
                device("fast", DeviceTimeouts::default()),
                device("slow", slow),
            ],
            ..Config::default()
        }
    }

    #[test]
    fn routes_that_call_no_device_get_the_short_limit() {
        let limits = RouteLimits::new(&config());
        let local: Vec<_> = ROUTES
            .iter()
            .filter(|(m, p, _)| !DEVICE_CALLS.iter().any(|(dm, dp, _)| dm == m && dp == p))
            .collect();
        assert!(local.len() >= 15, "{local:?}");
        for (method, path, _) in local {
            assert_eq!(
                limits.for_route(method, Some(path)),
                LOCAL_LIMIT,
                "{method} {path}"
            );
        }
        let imports = "/api/v1/devices/{device}/imports";
        assert_eq!(
            limits.for_route(&Method::POST, Some(imports)),
            LOCAL_LIMIT,
            "an import answers 202 at once; the pull runs in the background"
        );
        assert_eq!(
            limits.for_route(&Method::GET, None),
            LOCAL_LIMIT,
            "the web app and unknown paths"
        );
        assert_eq!(LOCAL_LIMIT, Duration::from_secs(30));
    }

    #[test]
    fn device_routes_outlast_the_device_calls_they_make_on_the_slowest_device() {
        let config = config();
        let limits = RouteLimits::new(&config);
        let queue = Duration::from_secs(config.limits.device_queue_seconds);
        let slow = config.devices[1].timeouts.to_client();
        // 90 s list + two failed 20 s connects + 0.45 s of pauses, after waiting for a slot.
        let list = queue + slow.longest_call(Operation::List);
        assert_eq!(list, Duration::from_millis(140_450));
        let images = limits.for_route(&Method::GET, Some("/api/v1/devices/{device}/images"));
        assert!(images > list && images <= list + MARGIN, "{images:?}");
        let head = limits.for_route(&Method::HEAD, Some("/api/v1/devices/{device}/images"));
        assert_eq!(head, images);
        let info = queue + slow.longest_call(Operation::Info);
        let registry = limits.for_route(&Method::GET, Some("/api/v1/devices/{device}/registry"));
        assert!(registry > info, "{registry:?}");
        // Re-list, delete, re-list.
        let delete = 2 * list + queue + slow.delete;
        let deletions = limits.for_route(&Method::POST, Some("/api/v1/devices/{device}/deletions"));
        assert!(deletions > delete, "{deletions:?} <= {delete:?}");
    }

    #[test]
    fn every_device_route_is_a_route() {
        for (method, path, calls) in DEVICE_CALLS {
            assert!(
                ROUTES.iter().any(|(m, p, _)| m == method && p == path),
                "{method} {path}"
            );
            assert!(!calls.is_empty(), "{path}");
        }
    }
}
