//! What the simulator saw: call counters, TLS handshake counters and a log of recent requests.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::faults::Op;
use crate::state::lock;

/// A snapshot of the counters since start or the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests routed to list, faulted or not.
    pub list: u64,
    /// Requests routed to pull, faulted or not.
    pub pull: u64,
    /// Requests routed to delete, faulted or not.
    pub delete: u64,
    /// Requests routed to info, faulted or not.
    pub info: u64,
    /// Every HTTP request received, unknown paths included.
    pub requests: u64,
    /// TCP connections accepted (with or without a handshake after).
    pub tcp_connections: u64,
    /// TLS handshakes that completed.
    pub tls_handshakes: u64,
    /// TLS handshakes that failed (e.g. the client rejected the certificate).
    pub tls_handshake_failures: u64,
}

impl Counters {
    /// Requests routed to `op`.
    pub fn calls(&self, op: Op) -> u64 {
        match op {
            Op::List => self.list,
            Op::Pull => self.pull,
            Op::Delete => self.delete,
            Op::Info => self.info,
        }
    }
}

/// One request as the device saw it. Credentials are never stored, only which kinds came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `DELETE`.
    pub method: String,
    /// Path without the query, e.g. `/admin/v1/registry/image/`.
    pub path: String,
    /// The query string as received (still encoded), if any.
    pub raw_query: Option<String>,
    /// The decoded query pairs, in order, duplicates kept.
    pub query: Vec<(String, String)>,
    /// The operation the request was routed to, if any.
    pub op: Option<Op>,
    /// The scheme of each `Authorization` header, lowercased (`basic`, `bearer`, …).
    pub authorization_schemes: Vec<String>,
    /// How many `X-AuthToken` headers came.
    pub x_auth_tokens: usize,
    /// The distinct names of the request headers, lowercased.
    pub header_names: Vec<String>,
}

impl RecordedRequest {
    /// All decoded values of query parameter `key`, in order.
    pub fn query_values(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The live counters; shared by the accept loop and every connection.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    calls: [AtomicU64; 4],
    requests: AtomicU64,
    tcp_connections: AtomicU64,
    tls_handshakes: AtomicU64,
    tls_handshake_failures: AtomicU64,
    log: Mutex<VecDeque<RecordedRequest>>,
}

/// Which counter an event bumps.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Call(Op),
    Request,
    TcpConnection,
    TlsHandshake,
    TlsHandshakeFailure,
}

impl Stats {
    fn counter(&self, event: Event) -> &AtomicU64 {
        match event {
            Event::Call(op) => &self.calls[op.index()],
            Event::Request => &self.requests,
            Event::TcpConnection => &self.tcp_connections,
            Event::TlsHandshake => &self.tls_handshakes,
            Event::TlsHandshakeFailure => &self.tls_handshake_failures,
        }
    }

    pub(crate) fn bump(&self, event: Event) {
        self.counter(event).fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Counters {
        let get = |event| self.counter(event).load(Ordering::Relaxed);
        Counters {
            list: get(Event::Call(Op::List)),
            pull: get(Event::Call(Op::Pull)),
            delete: get(Event::Call(Op::Delete)),
            info: get(Event::Call(Op::Info)),
            requests: get(Event::Request),
            tcp_connections: get(Event::TcpConnection),
            tls_handshakes: get(Event::TlsHandshake),
            tls_handshake_failures: get(Event::TlsHandshakeFailure),
        }
    }

    pub(crate) fn record(&self, request: RecordedRequest, limit: usize) {
        let mut log = lock(&self.log);
        while limit > 0 && log.len() >= limit {
            log.pop_front();
        }
        if limit > 0 {
            log.push_back(request);
        }
    }

    pub(crate) fn recorded(&self) -> Vec<RecordedRequest> {
        lock(&self.log).iter().cloned().collect()
    }

    pub(crate) fn reset(&self) {
        for op in Op::ALL {
            self.counter(Event::Call(op)).store(0, Ordering::Relaxed);
        }
        for event in [
            Event::Request,
            Event::TcpConnection,
            Event::TlsHandshake,
            Event::TlsHandshakeFailure,
        ] {
            self.counter(event).store(0, Ordering::Relaxed);
        }
        lock(&self.log).clear();
    }
}
