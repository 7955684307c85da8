//! The shared, mutable heart of a running simulator: rows, catalog, faults, settings and
//! statistics, behind a cheap-to-clone handle that tests drive at run time.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;

use crate::catalog::CatalogImage;
use crate::config::{AuthMode, SimConfig};
use crate::faults::{Fault, FaultKind, Op};
use crate::stats::{Counters, Event, RecordedRequest, Stats};

/// Locks a mutex, ignoring poisoning: a test that panicked while holding a lock must not turn
/// every later request into a second panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The credentials the simulator accepts; fixed at start.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) mode: AuthMode,
    pub(crate) token: String,
    pub(crate) read_only_tokens: Vec<String>,
}

struct Data {
    rows: Vec<Value>,
    catalog: Vec<CatalogImage>,
    info: Value,
    faults: [VecDeque<Fault>; 4],
    latency: Duration,
    pull_bytes_per_sec: u64,
}

struct Inner {
    credentials: Credentials,
    request_log_limit: usize,
    data: Mutex<Data>,
    stats: Stats,
    tls_stalled: AtomicBool,
}

/// A handle on a running simulator's state. Clones share the same state.
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

impl SimState {
    pub(crate) fn new(config: &SimConfig) -> Self {
        let mut faults: [VecDeque<Fault>; 4] = Default::default();
        for (op, fault) in &config.faults {
            faults[op.index()].push_back(fault.clone());
        }
        let data = Data {
            rows: config.rows.clone(),
            catalog: config.catalog.clone(),
            info: config.info.clone(),
            faults,
            latency: config.latency,
            pull_bytes_per_sec: config.pull_bytes_per_sec,
        };
        let credentials = Credentials {
            mode: config.auth_mode,
            token: config.token.clone(),
            read_only_tokens: config.read_only_tokens.clone(),
        };
        Self {
            inner: Arc::new(Inner {
                credentials,
                request_log_limit: config.request_log_limit,
                data: Mutex::new(data),
                stats: Stats::default(),
                tls_stalled: AtomicBool::new(config.tls_stalled),
            }),
        }
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        lock(&self.inner.data)
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// The current rows, exactly as list would serve them.
    pub fn rows(&self) -> Vec<Value> {
        self.data().rows.clone()
    }

    /// Replaces the rows; odd entries (nulls, missing fields, huge numbers) are served verbatim.
    pub fn set_rows(&self, rows: Vec<Value>) {
        self.data().rows = rows;
    }

    /// Runs `edit` on the rows under the lock and returns its result.
    pub fn with_rows<R>(&self, edit: impl FnOnce(&mut Vec<Value>) -> R) -> R {
        edit(&mut self.data().rows)
    }

    /// The images a pull can copy.
    pub fn catalog(&self) -> Vec<CatalogImage> {
        self.data().catalog.clone()
    }

    /// Makes one more image pullable.
    pub fn add_catalog_image(&self, image: CatalogImage) {
        self.data().catalog.push(image);
    }

    /// Replaces the catalog.
    pub fn set_catalog(&self, catalog: Vec<CatalogImage>) {
        self.data().catalog = catalog;
    }

    /// The info answer.
    pub fn info(&self) -> Value {
        self.data().info.clone()
    }

    /// Replaces the info answer.
    pub fn set_info(&self, info: Value) {
        self.data().info = info;
    }

    /// Makes `fault` the only fault of `op`.
    pub fn set_fault(&self, op: Op, fault: Fault) {
        let mut data = self.data();
        data.faults[op.index()].clear();
        data.faults[op.index()].push_back(fault);
    }

    /// Queues `fault` after the faults `op` already has (e.g. one hang, then a 503, then normal).
    pub fn push_fault(&self, op: Op, fault: Fault) {
        self.data().faults[op.index()].push_back(fault);
    }

    /// The faults still queued for `op`.
    pub fn faults(&self, op: Op) -> Vec<Fault> {
        self.data().faults[op.index()].iter().cloned().collect()
    }

    /// Removes every fault of `op`.
    pub fn clear_faults(&self, op: Op) {
        self.data().faults[op.index()].clear();
    }

    /// Removes every fault of every operation.
    pub fn clear_all_faults(&self) {
        self.data().faults.iter_mut().for_each(VecDeque::clear);
    }

    /// Takes the fault that strikes this call of `op`, using up one of its calls.
    pub(crate) fn take_fault(&self, op: Op) -> Option<FaultKind> {
        let mut data = self.data();
        let queue = &mut data.faults[op.index()];
        loop {
            let front = queue.front_mut()?;
            match front.remaining {
                None => return Some(front.kind.clone()),
                Some(0) => {
                    queue.pop_front();
                }
                Some(n) => {
                    front.remaining = Some(n - 1);
                    let kind = front.kind.clone();
                    if n == 1 {
                        queue.pop_front();
                    }
                    return Some(kind);
                }
            }
        }
    }

    /// Latency added before handling and again before answering every request.
    pub fn latency(&self) -> Duration {
        self.data().latency
    }

    /// Sets the latency added each way to every request.
    pub fn set_latency(&self, latency: Duration) {
        self.data().latency = latency;
    }

    /// Simulated pull speed in bytes per second (0 = instant).
    pub fn pull_bytes_per_sec(&self) -> u64 {
        self.data().pull_bytes_per_sec
    }

    /// Sets the simulated pull speed (0 = instant).
    pub fn set_pull_bytes_per_sec(&self, speed: u64) {
        self.data().pull_bytes_per_sec = speed;
    }

    /// When on, new TCP connections are accepted but the TLS handshake never starts (a device
    /// hung at the socket level). Connections already open are unaffected.
    pub fn set_tls_stalled(&self, stalled: bool) {
        self.inner.tls_stalled.store(stalled, Ordering::Relaxed);
    }

    /// Whether new connections are left without a TLS handshake.
    pub fn tls_stalled(&self) -> bool {
        self.inner.tls_stalled.load(Ordering::Relaxed)
    }

    /// The counters since start or the last reset.
    pub fn counters(&self) -> Counters {
        self.inner.stats.snapshot()
    }

    /// Requests routed to `op` since start or the last reset.
    pub fn calls(&self, op: Op) -> u64 {
        self.counters().calls(op)
    }

    /// The most recent requests, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.stats.recorded()
    }

    /// The most recent request, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.requests().pop()
    }

    /// Zeroes every counter and forgets the recorded requests (rows and faults stay).
    pub fn reset_counters(&self) {
        self.inner.stats.reset();
    }

    pub(crate) fn bump(&self, event: Event) {
        self.inner.stats.bump(event);
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        self.inner
            .stats
            .record(request, self.inner.request_log_limit);
    }
}
