//! One global `tracing` subscriber for the whole test binary, at TRACE level, writing every
//! event (and `log` records, through the bridge) into a shared in-memory buffer, so tests can
//! search what the panel, the device client and the simulator logged.
//!
//! The subscriber is process-wide: tests running in parallel write into the same buffer. Search
//! for something that identifies your test (a unique device id) or use [`mark`] and
//! [`since`] to look only at what was logged after a point.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

/// Set `LEM_E2E_LOG=1` to also copy every captured line to stderr (very verbose).
const ECHO_ENV: &str = "LEM_E2E_LOG";

#[derive(Clone, Default)]
struct Buffer {
    bytes: Arc<Mutex<Vec<u8>>>,
    echo: bool,
}

impl Buffer {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.bytes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Write for Buffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.lock().extend_from_slice(data);
        if self.echo {
            let _ = std::io::stderr().write_all(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

static BUFFER: OnceLock<Buffer> = OnceLock::new();

/// Installs the global TRACE subscriber (once; later calls do nothing). [`crate::TestApp`]
/// calls this before starting anything.
pub fn install() {
    BUFFER.get_or_init(|| {
        let buffer = Buffer {
            echo: std::env::var_os(ECHO_ENV).is_some(),
            ..Buffer::default()
        };
        // `try_init` also bridges the `log` crate (rustls, reqwest) into this subscriber.
        let installed = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(buffer.clone())
            .try_init();
        if let Err(error) = installed {
            // Only possible if something else installed a global subscriber first.
            eprintln!("lem-panel-tests: log capture not installed: {error}");
        }
        buffer
    });
}

/// Everything captured so far, from every test in this binary.
pub fn captured() -> String {
    install();
    BUFFER
        .get()
        .map(|b| String::from_utf8_lossy(&b.lock()).into_owned())
        .unwrap_or_default()
}

/// The captured bytes, raw.
pub fn captured_bytes() -> Vec<u8> {
    install();
    BUFFER.get().map(|b| b.lock().clone()).unwrap_or_default()
}

/// A position in the buffer, for [`since`].
pub fn mark() -> usize {
    install();
    BUFFER.get().map_or(0, |b| b.lock().len())
}

/// What was captured after `mark` (by every test running meanwhile, too).
pub fn since(mark: usize) -> String {
    install();
    BUFFER
        .get()
        .map(|b| {
            let bytes = b.lock();
            String::from_utf8_lossy(bytes.get(mark..).unwrap_or_default()).into_owned()
        })
        .unwrap_or_default()
}
