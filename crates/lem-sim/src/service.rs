//! One HTTP request from arrival to answer: count and record it, route it, let faults strike,
//! perform the operation, add latency. Returning an error makes hyper close the connection
//! without answering, which is how "drop" faults are simulated.

use std::time::Duration;

use http::header::{ALLOW, AUTHORIZATION};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::answer::{Answer, SimBody, error_envelope_200, oversize};
use crate::auth::X_AUTH_TOKEN;
use crate::faults::{DripSwitch, FaultKind, Op};
use crate::handlers::perform;
use crate::state::SimState;
use crate::stats::{Event, RecordedRequest};

/// Requests carry no body; anything bigger than this is read no further.
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// The service "fails" on purpose so hyper drops the connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by a simulated fault")]
pub(crate) struct ConnectionDropped;

enum Route {
    Op(Op),
    WrongMethod(&'static str),
    NotFound,
}

fn route(method: &Method, path: &str) -> Route {
    match (path, method) {
        ("/admin/v1/registry/image", &Method::GET) => Route::Op(Op::List),
        // The vendor documents delete with a slash before `?`; both spellings reach it.
        ("/admin/v1/registry/image" | "/admin/v1/registry/image/", &Method::DELETE) => {
            Route::Op(Op::Delete)
        }
        ("/admin/v1/registry/image", _) => Route::WrongMethod("GET, DELETE"),
        ("/admin/v1/registry/image/", _) => Route::WrongMethod("DELETE"),
        ("/admin/v1/registry/image/upload-remote", &Method::POST) => Route::Op(Op::Pull),
        ("/admin/v1/registry/image/upload-remote", _) => Route::WrongMethod("POST"),
        ("/admin/v1/registry/info", &Method::GET) => Route::Op(Op::Info),
        ("/admin/v1/registry/info", _) => Route::WrongMethod("GET"),
        _ => Route::NotFound,
    }
}

enum Outcome {
    Answer(Answer),
    Drip(Answer, Duration),
    DripAll(Answer, Duration),
    Drop,
}

/// Serves one request.
pub(crate) async fn handle(
    state: SimState,
    request: Request<Incoming>,
) -> Result<Response<SimBody>, ConnectionDropped> {
    state.bump(Event::Request);
    let (parts, body) = request.into_parts();
    // Reading the (normally empty) body keeps the connection reusable.
    let _ = Limited::new(body, MAX_REQUEST_BODY).collect().await;
    pause(state.latency()).await;

    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let route = route(&parts.method, parts.uri.path());
    let op = match route {
        Route::Op(op) => Some(op),
        _ => None,
    };
    state.record(record(&parts, &query, op));

    let outcome = match route {
        Route::Op(op) => {
            state.bump(Event::Call(op));
            run(&state, op, &parts.headers, &query).await
        }
        Route::WrongMethod(allow) => Outcome::Answer(
            Answer::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Request method not supported",
            )
            .with_header(ALLOW, allow),
        ),
        Route::NotFound => Outcome::Answer(Answer::error(StatusCode::NOT_FOUND, "Not Found")),
    };
    match outcome {
        Outcome::Answer(answer) => {
            pause(state.latency()).await;
            Ok(answer.into_response())
        }
        Outcome::Drip(answer, interval) => {
            pause(state.latency()).await;
            Ok(answer.into_drip_response(interval))
        }
        Outcome::DripAll(answer, interval) => {
            pause(state.latency()).await;
            // Without a switch (never, when served by `server`) the answer goes out at once.
            if let Some(switch) = parts.extensions.get::<DripSwitch>() {
                switch.drip(interval);
            }
            Ok(answer.into_response())
        }
        Outcome::Drop => Err(ConnectionDropped),
    }
}

async fn pause(latency: Duration) {
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

/// Performs `op` unless a fault says otherwise.
async fn run(
    state: &SimState,
    op: Op,
    headers: &http::HeaderMap,
    query: &[(String, String)],
) -> Outcome {
    let perform = || perform(state, op, headers, query);
    let Some(fault) = state.take_fault(op) else {
        return Outcome::Answer(perform().await);
    };
    tracing::debug!(%op, ?fault, "fault strikes");
    match fault {
        FaultKind::Latency(delay) => {
            tokio::time::sleep(delay).await;
            Outcome::Answer(perform().await)
        }
        FaultKind::Hang => std::future::pending().await,
        FaultKind::HangAfterApply => {
            perform().await;
            std::future::pending().await
        }
        FaultKind::Status(code) => Outcome::Answer(Answer::html_status(code)),
        FaultKind::TruncatedJson => Outcome::Answer(perform().await.truncated()),
        FaultKind::ErrorEnvelope { message, details } => {
            Outcome::Answer(error_envelope_200(&message, &details))
        }
        FaultKind::WrongContentType => Outcome::Answer(
            perform()
                .await
                .with_content_type("text/plain; charset=utf-8"),
        ),
        FaultKind::Oversize(size) => Outcome::Answer(oversize(op, size)),
        FaultKind::Raw {
            status,
            content_type,
            body,
        } => Outcome::Answer(Answer::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            content_type.as_deref(),
            body,
        )),
        FaultKind::Drip(interval) => Outcome::Drip(perform().await, interval),
        FaultKind::DripAll(interval) => {
            let answer = match op {
                Op::List | Op::Info => perform().await,
                Op::Pull | Op::Delete => {
                    error_envelope_200("Simulated slow link", "the operation was not performed")
                }
            };
            Outcome::DripAll(answer, interval)
        }
        FaultKind::DropBeforeApply => Outcome::Drop,
        FaultKind::DropAfterApply => {
            perform().await;
            Outcome::Drop
        }
    }
}

/// What tests may inspect about a request: never the credentials themselves.
fn record(
    parts: &http::request::Parts,
    query: &[(String, String)],
    op: Option<Op>,
) -> RecordedRequest {
    let authorization_schemes = parts
        .headers
        .get_all(AUTHORIZATION)
        .iter()
        .map(|value| {
            let text = String::from_utf8_lossy(value.as_bytes());
            text.split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
        .collect();
    RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        raw_query: parts.uri.query().map(str::to_owned),
        query: query.to_vec(),
        op,
        authorization_schemes,
        x_auth_tokens: parts.headers.get_all(X_AUTH_TOKEN).iter().count(),
        header_names: parts
            .headers
            .keys()
            .map(|name| name.as_str().to_owned())
            .collect(),
    }
}
