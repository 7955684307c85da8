//! Dripping a whole answer, status line first. hyper writes an answer's head itself, in one
//! piece, so slowing the body (as [`super::FaultKind::Drip`] does) cannot delay the status or
//! the headers; a device on a link that delivers a byte a second delays those too. So each
//! connection's stream is wrapped in [`DripIo`], and a request that draws
//! [`super::FaultKind::DripAll`] flips the connection's [`DripSwitch`]: from then on every
//! write reaches the client one byte per interval.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Turns one connection's dripping on. Each request of the connection carries a clone in its
/// extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct DripSwitch(Arc<Mutex<Option<Duration>>>);

impl DripSwitch {
    /// From now on the connection writes one byte per `interval` (for good: a client waiting
    /// on such a link gives up on the connection anyway).
    pub(crate) fn drip(&self, interval: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(interval);
    }

    fn interval(&self) -> Option<Duration> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A stream that passes everything through until its switch is on, then writes one byte per
/// interval. Reads are never slowed.
pub(crate) struct DripIo<T> {
    inner: T,
    switch: DripSwitch,
    pause: Option<Pin<Box<Sleep>>>,
}

impl<T> DripIo<T> {
    pub(crate) fn new(inner: T, switch: DripSwitch) -> Self {
        Self {
            inner,
            switch,
            pause: None,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for DripIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for DripIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(interval) = this.switch.interval() else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        if let Some(pause) = this.pause.as_mut() {
            ready!(pause.as_mut().poll(cx));
            this.pause = None;
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..1]))?;
        this.pause = Some(Box::pin(tokio::time::sleep(interval)));
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
