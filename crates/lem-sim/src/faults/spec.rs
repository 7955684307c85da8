//! The `OP=KIND[:ARG][@N]` text form of a fault, as the command line takes it.

use std::time::Duration;

use bytes::Bytes;

use super::{Fault, FaultKind, Op};
use crate::SimError;

pub(super) fn spec_error(spec: &str, reason: &str) -> SimError {
    SimError::FaultSpec {
        spec: spec.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Parses `OP=KIND[:ARG][@N]`, e.g. `list=hang`, `delete=status:405`, `pull=refuse@1`.
///
/// Kinds: `latency:MS`, `hang`, `hang-after`, `status:CODE`, `truncated`,
/// `error-envelope[:MESSAGE]`, `wrong-content-type`, `oversize:BYTES`, `drip:MS`, `drip-all:MS`,
/// `refuse` (alias `drop-before`), `drop-after`, `raw:STATUS[:CONTENT-TYPE[:BODY]]` (an empty
/// content type sends none). `@N` limits the fault to the next N calls.
pub fn parse_fault_spec(spec: &str) -> Result<(Op, Fault), SimError> {
    let (op, rest) = spec
        .split_once('=')
        .ok_or_else(|| spec_error(spec, "expected OP=KIND[:ARG][@N]"))?;
    let op: Op = op
        .trim()
        .parse()
        .map_err(|_| spec_error(spec, "unknown operation (list, pull, delete, info)"))?;
    let (kind_text, calls) = match rest.rsplit_once('@') {
        Some((kind, count)) => match count.parse::<u32>() {
            Ok(n) if n > 0 => (kind, Some(n)),
            _ => {
                return Err(spec_error(
                    spec,
                    "the count after @ must be a positive number",
                ));
            }
        },
        None => (rest, None),
    };
    let kind = parse_kind(kind_text).map_err(|reason| spec_error(spec, &reason))?;
    Ok((
        op,
        Fault {
            kind,
            remaining: calls,
        },
    ))
}

fn parse_kind(text: &str) -> Result<FaultKind, String> {
    let (name, arg) = match text.split_once(':') {
        Some((name, arg)) => (name, Some(arg)),
        None => (text, None),
    };
    let number = |what: &str| -> Result<u64, String> {
        arg.ok_or_else(|| format!("`{name}` needs {what}"))?
            .parse::<u64>()
            .map_err(|_| format!("`{name}` needs {what}"))
    };
    let millis = || number("a number of milliseconds").map(Duration::from_millis);
    Ok(match name {
        "latency" => FaultKind::Latency(millis()?),
        "hang" => FaultKind::Hang,
        "hang-after" => FaultKind::HangAfterApply,
        "status" => FaultKind::Status(status_code(number("an HTTP status code")?)?),
        "truncated" => FaultKind::TruncatedJson,
        "error-envelope" => FaultKind::ErrorEnvelope {
            message: arg.unwrap_or("Failed to pull image").to_owned(),
            details: "simulated failure".to_owned(),
        },
        "wrong-content-type" => FaultKind::WrongContentType,
        "oversize" => FaultKind::Oversize(
            usize::try_from(number("a size in bytes")?).map_err(|_| "size too large".to_owned())?,
        ),
        "drip" => FaultKind::Drip(millis()?),
        "drip-all" => FaultKind::DripAll(millis()?),
        "refuse" | "drop-before" => FaultKind::DropBeforeApply,
        "drop-after" => FaultKind::DropAfterApply,
        "raw" => parse_raw(arg.ok_or("`raw` needs STATUS[:CONTENT-TYPE[:BODY]]")?)?,
        other => return Err(format!("unknown fault kind `{other}`")),
    })
}

fn status_code(code: u64) -> Result<u16, String> {
    match u16::try_from(code) {
        Ok(code) if (100..=999).contains(&code) => Ok(code),
        _ => Err(format!("{code} is not an HTTP status code")),
    }
}

fn parse_raw(arg: &str) -> Result<FaultKind, String> {
    let mut parts = arg.splitn(3, ':');
    let status = parts
        .next()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or("`raw` needs a numeric status")?;
    let content_type = parts.next().filter(|ct| !ct.is_empty()).map(str::to_owned);
    let body = Bytes::from(parts.next().unwrap_or("").to_owned());
    Ok(FaultKind::Raw {
        status: status_code(status)?,
        content_type,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_examples_parse() {
        assert_eq!(
            parse_fault_spec("list=hang").ok(),
            Some((Op::List, Fault::always(FaultKind::Hang)))
        );
        assert_eq!(
            parse_fault_spec("delete=status:405").ok(),
            Some((Op::Delete, Fault::always(FaultKind::Status(405))))
        );
        assert_eq!(
            parse_fault_spec("pull=refuse@2").ok(),
            Some((Op::Pull, Fault::times(FaultKind::DropBeforeApply, 2)))
        );
        assert_eq!(
            parse_fault_spec("delete=drip-all:1000").ok(),
            Some((
                Op::Delete,
                Fault::always(FaultKind::DripAll(Duration::from_secs(1)))
            ))
        );
        assert_eq!(
            parse_fault_spec("info=raw:502::").ok(),
            Some((
                Op::Info,
                Fault::always(FaultKind::Raw {
                    status: 502,
                    content_type: None,
                    body: Bytes::new()
                })
            ))
        );
        assert_eq!(
            parse_fault_spec("list=raw:200:text/html:<p>a:b</p>")
                .ok()
                .map(|(_, f)| f.kind),
            Some(FaultKind::Raw {
                status: 200,
                content_type: Some("text/html".to_owned()),
                body: Bytes::from_static(b"<p>a:b</p>"),
            })
        );
    }

    #[test]
    fn malformed_fault_specs_are_rejected_with_a_reason() {
        for bad in [
            "hang",
            "lists=hang",
            "list=sleep",
            "list=status",
            "list=status:42",
            "list=hang@0",
            "list=drip:x",
            "list=drip-all",
        ] {
            assert!(parse_fault_spec(bad).is_err(), "{bad} should be rejected");
        }
    }
}
