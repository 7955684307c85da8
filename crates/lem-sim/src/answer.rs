//! Building HTTP answers: the device's JSON envelope, proxy-style HTML errors, and the broken
//! shapes faults produce (truncated, oversize, dripped).

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};

use crate::faults::Op;
use crate::rows::synthetic_rows;

/// The response body type of every answer: whole or streamed, never failing.
pub(crate) type SimBody = UnsyncBoxBody<Bytes, Infallible>;

pub(crate) const JSON: &str = "application/json";

/// An answer before it becomes a hyper response, so faults can reshape it.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
}

impl Answer {
    pub(crate) fn new(
        status: StatusCode,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            status,
            content_type: content_type.map(str::to_owned),
            body: body.into(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn json(status: StatusCode, value: &Value) -> Self {
        Self::new(status, Some(JSON), value.to_string())
    }

    /// `{"code":"S",…}`: the device's success envelope.
    pub(crate) fn success_envelope() -> Self {
        Self::json(StatusCode::OK, &envelope("S", Value::Null, Value::Null))
    }

    /// `{"code":"E","message":…,"messageDetails":null}` with an error status.
    pub(crate) fn error(status: StatusCode, message: &str) -> Self {
        Self::json(status, &envelope("E", json!(message), Value::Null))
    }

    pub(crate) fn no_content() -> Self {
        Self::new(StatusCode::NO_CONTENT, None, Bytes::new())
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// What nginx in front of a failing service sends: the status and an HTML page.
    pub(crate) fn html_status(code: u16) -> Self {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let title = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        );
        let page = format!(
            "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        );
        Self::new(status, Some("text/html"), page)
    }

    /// A 200 JSON answer whose body stops halfway; an empty body becomes half an envelope.
    pub(crate) fn truncated(self) -> Self {
        let body = if self.body.is_empty() {
            Answer::success_envelope().body
        } else {
            self.body
        };
        let cut = body.len() / 2;
        Self::new(StatusCode::OK, Some(JSON), body.slice(..cut))
    }

    pub(crate) fn with_content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_owned());
        self
    }

    fn builder(&self) -> http::response::Builder {
        let mut builder = Response::builder().status(self.status);
        if let Some(content_type) = &self.content_type {
            builder = builder.header(CONTENT_TYPE, content_type.as_str());
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder
    }

    pub(crate) fn into_response(self) -> Response<SimBody> {
        let body = Full::new(self.body.clone()).boxed_unsync();
        self.builder().body(body).unwrap_or_else(|_| fallback())
    }

    /// Headers now, then the body one byte per `interval` (a stalled or very slow device).
    pub(crate) fn into_drip_response(self, interval: Duration) -> Response<SimBody> {
        let builder = self.builder().header(CONTENT_LENGTH, self.body.len());
        let bytes = stream::unfold((self.body, 0_usize), move |(body, next)| async move {
            if next >= body.len() {
                return None;
            }
            tokio::time::sleep(interval).await;
            let frame = Frame::data(body.slice(next..next + 1));
            Some((Ok::<_, Infallible>(frame), (body, next + 1)))
        });
        builder
            .body(StreamBody::new(bytes).boxed_unsync())
            .unwrap_or_else(|_| fallback())
    }
}

/// Only reachable if a fault names a header value hyper refuses; answer 500 rather than panic.
fn fallback() -> Response<SimBody> {
    let mut response = Response::new(Full::new(Bytes::new()).boxed_unsync());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

fn envelope(code: &str, message: Value, details: Value) -> Value {
    json!({"code": code, "message": message, "messageDetails": details})
}

/// A 200 answer with `{"code":"E",…}`: how the device may report a failed pull.
pub(crate) fn error_envelope_200(message: &str, details: &str) -> Answer {
    Answer::json(
        StatusCode::OK,
        &envelope("E", json!(message), json!(details)),
    )
}

/// Exactly `size` bytes of valid JSON (or the smallest valid document if `size` is tiny): a huge
/// array of rows for list, an envelope with a huge message for the other operations.
pub(crate) fn oversize(op: Op, size: usize) -> Answer {
    let mut body = Vec::with_capacity(size);
    if op == Op::List {
        let row = synthetic_rows(1)
            .first()
            .map(Value::to_string)
            .unwrap_or_default();
        body.push(b'[');
        // One byte for the separator, one for the closing bracket.
        while body.len() + row.len() + 2 <= size {
            if body.len() > 1 {
                body.push(b',');
            }
            body.extend_from_slice(row.as_bytes());
        }
        body.resize(size.saturating_sub(1).max(body.len()), b' ');
        body.push(b']');
    } else {
        let head = br#"{"code":"E","messageDetails":null,"message":""#;
        body.extend_from_slice(head);
        body.resize(size.saturating_sub(2).max(body.len()), b'x');
        body.extend_from_slice(b"\"}");
    }
    Answer::new(StatusCode::OK, Some(JSON), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversize_bodies_have_the_exact_size_and_stay_valid_json() {
        for op in Op::ALL {
            for size in [64, 1000, 100_003] {
                let answer = oversize(op, size);
                assert_eq!(answer.body.len(), size, "{op} {size}");
                assert!(
                    serde_json::from_slice::<Value>(&answer.body).is_ok(),
                    "{op} {size}"
                );
            }
        }
    }

    #[test]
    fn a_truncated_body_is_not_valid_json() {
        let answer = Answer::json(StatusCode::OK, &json!([{"name": "a"}])).truncated();
        assert!(serde_json::from_slice::<Value>(&answer.body).is_err());
        assert!(!Answer::no_content().truncated().body.is_empty());
    }
}
