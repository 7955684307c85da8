//! Accepting TCP connections, the TLS handshake (counted), and serving HTTP/1.1 with keep-alive
//! on each connection until the client leaves or the simulator shuts down.

use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::faults::{DripIo, DripSwitch};
use crate::service::handle;
use crate::state::SimState;
use crate::stats::Event;

/// What every connection task needs.
#[derive(Clone)]
pub(crate) struct Server {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) state: SimState,
    pub(crate) cancel: CancellationToken,
    pub(crate) tracker: TaskTracker,
}

impl Server {
    /// Accepts connections until cancelled; each one gets its own task.
    pub(crate) async fn accept_loop(self, listener: TcpListener) {
        loop {
            let accepted = tokio::select! {
                () = self.cancel.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, _peer)) => {
                    self.state.bump(Event::TcpConnection);
                    self.tracker.spawn(self.clone().connection(stream));
                }
                Err(err) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    async fn connection(self, stream: TcpStream) {
        if self.state.tls_stalled() {
            // Hold the socket open and never read the ClientHello: a device hung at the socket level.
            self.cancel.cancelled().await;
            return;
        }
        // Small requests and answers: Nagle's delay would distort latency benchmarks.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
        let tls = tokio::select! {
            () = self.cancel.cancelled() => return,
            tls = self.acceptor.accept(stream) => tls,
        };
        let tls = match tls {
            Ok(tls) => {
                self.state.bump(Event::TlsHandshake);
                tls
            }
            Err(err) => {
                self.state.bump(Event::TlsHandshakeFailure);
                tracing::debug!(error = %err, "TLS handshake failed");
                return;
            }
        };
        let state = self.state.clone();
        // A `drip-all` fault slows the whole connection down, status line included.
        let drip = DripSwitch::default();
        let io = DripIo::new(tls, drip.clone());
        let service = service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(drip.clone());
            handle(state.clone(), request)
        });
        let connection = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(io), service);
        tokio::select! {
            () = self.cancel.cancelled() => {}
            served = connection => {
                if let Err(err) = served {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
            }
        }
    }
}
