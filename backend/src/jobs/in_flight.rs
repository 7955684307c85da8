//! The imports in flight, by device and request, for deduplication. An entry lives exactly as
//! long as its job may still change: a [`Registration`] removes it before the job is marked
//! finished, and on drop when the job never got going (the audit write failed, the request was
//! cancelled) or its task panicked, so a stale entry can never absorb a later import.

use std::collections::HashMap;
use std::sync::Arc;

use shared::api::ImportRequest;
use tokio::sync::{Mutex, MutexGuard};

/// A device id and an import request.
pub(super) type JobKey = (String, ImportRequest);

type Map = HashMap<JobKey, i64>;

/// The in-flight map. Its lock is held across the check and the job's creation, so two
/// identical requests cannot both start a job.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    map: Arc<Mutex<Map>>,
}

impl InFlight {
    /// Locks the map.
    pub(super) async fn lock(&self) -> MutexGuard<'_, Map> {
        self.map.lock().await
    }

    /// Records job `id` for `key` in the locked `map`; the entry goes when the registration is
    /// released or dropped.
    pub(super) fn register(&self, map: &mut Map, key: JobKey, id: i64) -> Registration {
        map.insert(key.clone(), id);
        Registration {
            map: Arc::clone(&self.map),
            key: Some(key),
            id,
        }
    }
}

/// Removes `key` if it still names job `id` (a later job may have taken the key since).
fn forget(map: &mut Map, key: &JobKey, id: i64) {
    if map.get(key) == Some(&id) {
        map.remove(key);
    }
}

/// Keeps one job's entry in the map; see the module docs.
#[derive(Debug)]
pub(super) struct Registration {
    map: Arc<Mutex<Map>>,
    key: Option<JobKey>,
    id: i64,
}

impl Registration {
    /// Removes the entry now (before the job's final state is saved).
    pub(super) async fn release(mut self) {
        if let Some(key) = self.key.take() {
            forget(&mut *self.map.lock().await, &key, self.id);
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        if let Ok(mut map) = self.map.try_lock() {
            forget(&mut map, &key, self.id);
            return;
        }
        // Someone holds the lock (another import starting): remove it once they are done.
        let map = Arc::clone(&self.map);
        let id = self.id;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { forget(&mut *map.lock().await, &key, id) });
            }
            Err(_) => tracing::error!(job = id, "could not forget an in-flight import"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tag: &str) -> JobKey {
        let request = ImportRequest {
            external_url: "docker.io".into(),
            external_name: "library/alpine".into(),
            external_tag: tag.into(),
            internal_name: "alpine".into(),
            internal_tag: tag.into(),
        };
        ("edge-1".into(), request)
    }

    #[tokio::test]
    async fn an_entry_goes_when_its_job_is_released_dropped_or_its_task_panics() {
        let in_flight = InFlight::default();
        let released = in_flight.register(&mut *in_flight.lock().await, key("1"), 1);
        let dropped = in_flight.register(&mut *in_flight.lock().await, key("2"), 2);
        let panicked = in_flight.register(&mut *in_flight.lock().await, key("3"), 3);
        assert_eq!(in_flight.lock().await.len(), 3);
        released.release().await;
        drop(dropped);
        let task = tokio::spawn(async move {
            let _registration = panicked;
            panic!("the job's task fails");
        });
        assert!(task.await.is_err());
        assert!(in_flight.lock().await.is_empty());
    }

    #[tokio::test]
    async fn a_registration_dropped_while_the_map_is_locked_removes_its_entry_afterwards() {
        let in_flight = InFlight::default();
        let registration = in_flight.register(&mut *in_flight.lock().await, key("1"), 1);
        let map = in_flight.lock().await;
        drop(registration);
        assert_eq!(map.len(), 1, "still locked");
        drop(map);
        for _ in 0..100 {
            if in_flight.lock().await.is_empty() {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the entry was never removed");
    }

    #[tokio::test]
    async fn an_old_registration_never_removes_a_newer_job_of_the_same_request() {
        let in_flight = InFlight::default();
        let old = in_flight.register(&mut *in_flight.lock().await, key("1"), 1);
        let _new = in_flight.register(&mut *in_flight.lock().await, key("1"), 2);
        old.release().await;
        assert_eq!(in_flight.lock().await.get(&key("1")), Some(&2));
    }
}
