//! Every fault kind, what it does to the answer and whether the operation still happens.

use std::time::{Duration, Instant};

use crate::common::*;
use bytes::Bytes;
use lem_sim::{Fault, FaultKind, Op, SimConfig, fixture_rows, parse_fault_spec};
use serde_json::{Value, json};

#[tokio::test]
async fn a_latency_fault_delays_and_then_answers_normally() {
    let sim = start_default().await;
    sim.state().set_fault(
        Op::Info,
        Fault::once(FaultKind::Latency(Duration::from_millis(150))),
    );
    let before = Instant::now();
    assert_eq!(call(&sim, "GET", INFO).await.status, 200);
    assert!(before.elapsed() >= Duration::from_millis(150));
    assert!(sim.state().faults(Op::Info).is_empty());
}

#[tokio::test]
async fn a_hang_fault_never_answers_but_the_call_is_counted() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::List, Fault::always(FaultKind::Hang));
    let mut conn = Conn::open(&sim).await;
    let waited = tokio::time::timeout(PATIENCE, conn.send("GET", LIST, Auth::Basic(TOKEN))).await;
    assert!(waited.is_err(), "no answer expected");
    assert_eq!(sim.state().calls(Op::List), 1);
}

#[tokio::test]
async fn a_hang_after_apply_fault_performs_the_pull_and_never_answers() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::Pull, Fault::once(FaultKind::HangAfterApply));
    let mut conn = Conn::open(&sim).await;
    let waited =
        tokio::time::timeout(PATIENCE, conn.send("POST", PULL_PYTHON, Auth::Basic(TOKEN))).await;
    assert!(waited.is_err(), "no answer expected");
    assert_eq!(tags_of(&sim.state().rows(), "mirror/python").len(), 1);
}

#[tokio::test]
async fn a_status_fault_answers_with_an_html_page_and_changes_nothing() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::Delete, Fault::always(FaultKind::Status(502)));
    let reply = call(
        &sim,
        "DELETE",
        &delete_target("alpine", ALPINE_LATEST_DIGEST),
    )
    .await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.content_type.as_deref(), Some("text/html"));
    assert!(String::from_utf8_lossy(&reply.body).contains("<h1>502 Bad Gateway</h1>"));
    assert_eq!(sim.state().rows(), fixture_rows());
}

#[tokio::test]
async fn a_truncated_json_fault_cuts_a_valid_looking_body_in_the_middle() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::List, Fault::once(FaultKind::TruncatedJson));
    let reply = call(&sim, "GET", LIST).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert!(reply.body.starts_with(b"[{"));
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    let whole = call(&sim, "GET", LIST).await;
    assert_eq!(reply.body.len(), whole.body.len() / 2);
}

#[tokio::test]
async fn an_error_envelope_fault_answers_200_with_code_e_and_does_not_pull() {
    let sim = start_default().await;
    let kind = FaultKind::ErrorEnvelope {
        message: "Failed to pull image".to_owned(),
        details: "toomanyrequests: rate limit".to_owned(),
    };
    sim.state().set_fault(Op::Pull, Fault::once(kind));
    let reply = call(&sim, "POST", PULL_PYTHON).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"code": "E", "message": "Failed to pull image", "messageDetails": "toomanyrequests: rate limit"})
    );
    assert_eq!(sim.state().rows(), fixture_rows());
}

#[tokio::test]
async fn a_wrong_content_type_fault_keeps_the_correct_json_body() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::Info, Fault::once(FaultKind::WrongContentType));
    let reply = call(&sim, "GET", INFO).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(reply.json()["state"], true);
}

#[tokio::test]
async fn an_oversize_fault_sends_exactly_that_many_bytes_of_valid_json() {
    let sim = start_default().await;
    let size = 3 * 1024 * 1024 + 7;
    sim.state()
        .set_fault(Op::List, Fault::once(FaultKind::Oversize(size)));
    let reply = call(&sim, "GET", LIST).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), size);
    assert!(
        reply
            .json()
            .as_array()
            .is_some_and(|rows| rows.len() > 10_000)
    );
}

#[tokio::test]
async fn a_raw_fault_sends_the_answer_verbatim_even_without_a_content_type() {
    let sim = start_default().await;
    let kind = FaultKind::Raw {
        status: 503,
        content_type: None,
        body: Bytes::from_static(b"service restarting"),
    };
    sim.state().set_fault(Op::Info, Fault::once(kind));
    let reply = call(&sim, "GET", INFO).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.content_type, None);
    assert_eq!(&reply.body[..], b"service restarting");
}

#[tokio::test]
async fn a_drip_fault_sends_the_body_one_byte_per_interval() {
    let sim = start_default().await;
    sim.state().set_fault(
        Op::Info,
        Fault::once(FaultKind::Drip(Duration::from_millis(3))),
    );
    let before = Instant::now();
    let reply = call(&sim, "GET", INFO).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["proxyState"], true);
    let minimum = Duration::from_millis(3) * u32::try_from(reply.body.len()).expect("small");
    assert!(
        before.elapsed() >= minimum,
        "{:?} < {minimum:?}",
        before.elapsed()
    );
}

#[tokio::test]
async fn a_drip_all_fault_drips_the_status_line_too_and_the_answer_arrives_intact() {
    let sim = start_default().await;
    let interval = Duration::from_millis(3);
    sim.state()
        .set_fault(Op::Info, Fault::once(FaultKind::DripAll(interval)));
    let before = Instant::now();
    let reply = call(&sim, "GET", INFO).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["proxyState"], true);
    // The body and at least the status line, one byte per interval.
    let dripped = reply.body.len() + "HTTP/1.1 200 OK\r\n".len();
    let minimum = interval * u32::try_from(dripped).expect("small");
    assert!(
        before.elapsed() >= minimum,
        "{:?} < {minimum:?}",
        before.elapsed()
    );
}

#[tokio::test]
async fn a_drip_all_fault_delays_even_an_empty_delete_answer_and_deletes_nothing() {
    let sim = start_default().await;
    let target = delete_target("alpine", ALPINE_LATEST_DIGEST);
    // The plain drip cannot slow a delete: its 204 has no body to drip.
    sim.state().set_fault(
        Op::Delete,
        Fault::once(FaultKind::Drip(Duration::from_secs(1))),
    );
    let mut conn = Conn::open(&sim).await;
    let plain = tokio::time::timeout(PATIENCE, conn.send("DELETE", &target, Auth::Basic(TOKEN)))
        .await
        .expect("the plain drip answers at once")
        .expect("an answer");
    assert_eq!(plain.status, 204);
    sim.state().set_rows(fixture_rows());
    sim.state().reset_counters();

    sim.state().set_fault(
        Op::Delete,
        Fault::once(FaultKind::DripAll(Duration::from_millis(100))),
    );
    let mut conn = Conn::open(&sim).await;
    let waited =
        tokio::time::timeout(PATIENCE, conn.send("DELETE", &target, Auth::Basic(TOKEN))).await;
    assert!(
        waited.is_err(),
        "not even the status line within {PATIENCE:?}"
    );
    assert_eq!(sim.state().rows(), fixture_rows(), "nothing deleted");
    assert_eq!(sim.state().calls(Op::Delete), 1);
    assert!(!FaultKind::DripAll(Duration::ZERO).applies_operation());
}

#[tokio::test]
async fn a_drop_before_apply_fault_closes_the_connection_and_deletes_nothing() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::Delete, Fault::once(FaultKind::DropBeforeApply));
    let mut conn = Conn::open(&sim).await;
    let target = delete_target("alpine", ALPINE_LATEST_DIGEST);
    assert!(
        conn.send("DELETE", &target, Auth::Basic(TOKEN))
            .await
            .is_err()
    );
    assert_eq!(sim.state().rows(), fixture_rows());
    assert_eq!(sim.state().calls(Op::Delete), 1);
}

#[tokio::test]
async fn a_drop_after_apply_fault_deletes_and_then_closes_the_connection() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::Delete, Fault::once(FaultKind::DropAfterApply));
    let mut conn = Conn::open(&sim).await;
    let target = delete_target("alpine", ALPINE_LATEST_DIGEST);
    assert!(
        conn.send("DELETE", &target, Auth::Basic(TOKEN))
            .await
            .is_err()
    );
    assert_eq!(sim.state().rows().len(), fixture_rows().len() - 2);
    // The fault was for one call: a retry now finds nothing to delete.
    assert_eq!(call(&sim, "DELETE", &target).await.status, 404);
}

#[tokio::test]
async fn a_drop_after_apply_fault_on_pull_stores_the_image_like_a_device_restarting_mid_pull() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::Pull, Fault::once(FaultKind::DropAfterApply));
    let mut conn = Conn::open(&sim).await;
    assert!(
        conn.send("POST", PULL_PYTHON, Auth::Basic(TOKEN))
            .await
            .is_err()
    );
    assert_eq!(tags_of(&sim.state().rows(), "mirror/python").len(), 1);
}

#[tokio::test]
async fn a_fault_for_n_calls_is_used_up_and_queued_faults_strike_in_order() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::Info, Fault::times(FaultKind::Status(503), 2));
    sim.state()
        .push_fault(Op::Info, Fault::once(FaultKind::Status(504)));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(call(&sim, "GET", INFO).await.status);
    }
    assert_eq!(statuses, [503, 503, 504, 200]);
    assert_eq!(sim.state().calls(Op::Info), 4);
}

#[tokio::test]
async fn faults_only_strike_their_own_operation_and_can_be_cleared() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::List, Fault::always(FaultKind::Status(500)));
    assert_eq!(call(&sim, "GET", INFO).await.status, 200);
    assert_eq!(call(&sim, "GET", LIST).await.status, 500);
    assert_eq!(call(&sim, "GET", LIST).await.status, 500);
    sim.state().clear_all_faults();
    assert_eq!(call(&sim, "GET", LIST).await.status, 200);
}

#[tokio::test]
async fn faults_given_as_command_line_specs_at_start_apply() {
    let (op, fault) = parse_fault_spec("delete=status:405@1").expect("a valid spec");
    let sim = start(SimConfig::new(TOKEN).fault(op, fault)).await;
    let target = delete_target("alpine", ALPINE_LATEST_DIGEST);
    assert_eq!(call(&sim, "DELETE", &target).await.status, 405);
    assert_eq!(call(&sim, "DELETE", &target).await.status, 204);
}
