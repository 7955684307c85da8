//! Every panel response received by any test of this binary, for suite-wide leak checks.

use std::sync::OnceLock;

use reqwest::Method;

use crate::client::{Reply, Transcript};

static ALL: OnceLock<Transcript> = OnceLock::new();

pub(crate) fn record_global(method: &Method, url: &str, reply: &Reply) {
    ALL.get_or_init(Transcript::default)
        .record(method, url, reply);
}

/// Every response (status, headers, body) any [`crate::PanelClient`] in this test binary has
/// received so far.
pub fn all_responses() -> Vec<u8> {
    ALL.get_or_init(Transcript::default).bytes()
}
