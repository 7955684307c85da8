//! Fault injection: what can go wrong with one operation and for how many calls.

mod drip;
mod spec;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;

use crate::SimError;

pub(crate) use drip::{DripIo, DripSwitch};
pub use spec::parse_fault_spec;
use spec::spec_error;

/// One of the four device operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `GET /admin/v1/registry/image`.
    List,
    /// `POST /admin/v1/registry/image/upload-remote?…`.
    Pull,
    /// `DELETE /admin/v1/registry/image/?name=…&digest=…`.
    Delete,
    /// `GET /admin/v1/registry/info`.
    Info,
}

impl Op {
    /// All operations, in a stable order.
    pub const ALL: [Op; 4] = [Op::List, Op::Pull, Op::Delete, Op::Info];

    /// The lowercase name used on the command line (`list`, `pull`, `delete`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::List => "list",
            Op::Pull => "pull",
            Op::Delete => "delete",
            Op::Info => "info",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Op::List => 0,
            Op::Pull => 1,
            Op::Delete => 2,
            Op::Info => 3,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Op {
    type Err = SimError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Op::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| spec_error(text, "unknown operation (list, pull, delete, info)"))
    }
}

/// What goes wrong. "Applied" kinds perform the operation (a pull really stores the image);
/// the others answer in its place, before credentials are even looked at, like a proxy or a
/// failing service would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Wait this long, then answer normally (applied).
    Latency(Duration),
    /// Never answer; the connection stays open until the client gives up (not applied).
    Hang,
    /// Perform the operation, then never answer (a pull that finished while the client timed out).
    HangAfterApply,
    /// Answer with this HTTP status and an HTML error page, like a reverse proxy (not applied).
    Status(u16),
    /// Answer 200 `application/json` with the real body cut in the middle (applied).
    TruncatedJson,
    /// Answer 200 with `{"code":"E","message":…,"messageDetails":…}` (not applied).
    ErrorEnvelope {
        /// The envelope's `message`.
        message: String,
        /// The envelope's `messageDetails`.
        details: String,
    },
    /// Answer with the correct JSON body but `Content-Type: text/plain` (applied).
    WrongContentType,
    /// Answer 200 with this many bytes of valid JSON (a huge array for list; an envelope with a
    /// huge message otherwise) (not applied).
    Oversize(usize),
    /// Answer exactly this (not applied). A status hyper cannot send becomes 500.
    Raw {
        /// HTTP status code.
        status: u16,
        /// `Content-Type` header, or none at all.
        content_type: Option<String>,
        /// Body bytes, sent as they are.
        body: Bytes,
    },
    /// Send the real headers at once, then the body one byte per interval (applied).
    Drip(Duration),
    /// Send the whole answer one byte per interval, from the first byte of the status line on
    /// (a device on a link that delivers a byte a second, whose answer cannot even say its
    /// status in time); the connection stays that slow. List and info send their real answer;
    /// pull and delete are not performed (not applied) and send a failure envelope, should
    /// anyone wait for it. Unlike [`FaultKind::Drip`], this delays answers with an empty body,
    /// such as a delete's 204.
    DripAll(Duration),
    /// Close the connection without answering and without performing the operation.
    DropBeforeApply,
    /// Perform the operation, then close the connection without answering (a device restarting
    /// mid-pull or mid-delete).
    DropAfterApply,
}

impl FaultKind {
    /// Whether the operation is performed when this fault strikes.
    pub fn applies_operation(&self) -> bool {
        matches!(
            self,
            FaultKind::Latency(_)
                | FaultKind::HangAfterApply
                | FaultKind::TruncatedJson
                | FaultKind::WrongContentType
                | FaultKind::Drip(_)
                | FaultKind::DropAfterApply
        )
    }
}

/// A fault and how many more calls it strikes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// Calls left before the fault is used up; `None` means every call, forever.
    pub remaining: Option<u32>,
}

impl Fault {
    /// A fault that strikes every call until cleared.
    pub fn always(kind: FaultKind) -> Self {
        Self {
            kind,
            remaining: None,
        }
    }

    /// A fault that strikes the next call only.
    pub fn once(kind: FaultKind) -> Self {
        Self::times(kind, 1)
    }

    /// A fault that strikes the next `calls` calls, then disappears.
    pub fn times(kind: FaultKind, calls: u32) -> Self {
        Self {
            kind,
            remaining: Some(calls),
        }
    }
}
