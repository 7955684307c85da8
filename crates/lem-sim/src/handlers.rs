//! The four device operations, as the device performs them: auth, then parameters, then the
//! change to the stored rows.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::answer::Answer;
use crate::auth::{Access, authorize, forbidden};
use crate::faults::Op;
use crate::rows::{delete_by_digest, upsert};
use crate::state::SimState;
use crate::validate::{is_digest, is_registry_host, is_repository, is_tag};

/// Runs `op` for a request with these headers and decoded query pairs.
pub(crate) async fn perform(
    state: &SimState,
    op: Op,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Answer {
    let access = match authorize(state.credentials(), headers) {
        Ok(access) => access,
        Err(answer) => return answer,
    };
    match op {
        Op::List => Answer::json(StatusCode::OK, &Value::Array(state.rows())),
        Op::Info => Answer::json(StatusCode::OK, &state.info()),
        Op::Pull | Op::Delete if access == Access::ReadOnly => forbidden(),
        Op::Pull => pull(state, query).await.unwrap_or_else(|answer| answer),
        Op::Delete => delete(state, query).unwrap_or_else(|answer| answer),
    }
}

/// The single value of a required query parameter; absent, empty or repeated is a 400.
fn required<'a>(query: &'a [(String, String)], key: &str) -> Result<&'a str, Answer> {
    let mut values = query
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str());
    match (values.next(), values.next()) {
        (Some(value), None) if !value.is_empty() => Ok(value),
        (Some(_), Some(_)) => Err(bad_request(&format!(
            "Parameter '{key}' is given more than once"
        ))),
        _ => Err(bad_request(&format!(
            "Required request parameter '{key}' for method parameter type String is not present"
        ))),
    }
}

fn bad_request(message: &str) -> Answer {
    Answer::error(StatusCode::BAD_REQUEST, message)
}

fn check(valid: bool, key: &str, value: &str) -> Result<(), Answer> {
    if valid {
        Ok(())
    } else {
        Err(bad_request(&format!(
            "Malformed parameter '{key}': {value}"
        )))
    }
}

async fn pull(state: &SimState, query: &[(String, String)]) -> Result<Answer, Answer> {
    let registry = required(query, "externalUrl")?;
    let external_name = required(query, "externalName")?;
    let external_tag = required(query, "externalTag")?;
    let internal_name = required(query, "internalName")?;
    let internal_tag = required(query, "internalTag")?;
    check(is_registry_host(registry), "externalUrl", registry)?;
    check(is_repository(external_name), "externalName", external_name)?;
    check(is_tag(external_tag), "externalTag", external_tag)?;
    check(is_repository(internal_name), "internalName", internal_name)?;
    check(is_tag(internal_tag), "internalTag", internal_tag)?;

    let image = state
        .catalog()
        .into_iter()
        .find(|image| image.matches(registry, external_name, external_tag))
        .ok_or_else(|| {
            Answer::error(
                StatusCode::NOT_FOUND,
                &format!("manifest unknown: {registry}/{external_name}:{external_tag}"),
            )
        })?;
    // Copying takes time in proportion to the size, like a real pull; the lock is not held.
    let speed = state.pull_bytes_per_sec();
    if speed > 0 {
        tokio::time::sleep(Duration::from_secs_f64(image.size as f64 / speed as f64)).await;
    }
    let row = image.to_row(internal_name, internal_tag, now_ms());
    state.with_rows(|rows| upsert(rows, internal_name, internal_tag, row));
    Ok(Answer::success_envelope())
}

fn delete(state: &SimState, query: &[(String, String)]) -> Result<Answer, Answer> {
    let name = required(query, "name")?;
    let digest = required(query, "digest")?;
    check(is_digest(digest), "digest", digest)?;
    match state.with_rows(|rows| delete_by_digest(rows, name, digest)) {
        0 => Err(Answer::error(
            StatusCode::NOT_FOUND,
            &format!("Image not found: {name}@{digest}"),
        )),
        _ => Ok(Answer::no_content()),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
