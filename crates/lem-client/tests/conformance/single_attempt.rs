//! Pull and delete are never retried: exactly one device attempt under every injected fault,
//! on a fresh connection and on a reused one, and the outcome is reported as unknown.

use std::time::Duration;

use lem_client::{AuthMode, BadResponseKind, DeviceClient, DeviceError, RegistryApi, TimeoutStage};
use lem_sim::{Fault, FaultKind, Op, Simulator};

use crate::common::*;

const CALL: Duration = Duration::from_secs(1);

fn faults() -> Vec<FaultKind> {
    vec![
        FaultKind::Hang,
        FaultKind::HangAfterApply,
        FaultKind::Status(500),
        FaultKind::Status(502),
        FaultKind::Status(503),
        FaultKind::TruncatedJson,
        FaultKind::DropBeforeApply,
        FaultKind::DropAfterApply,
        FaultKind::Drip(Duration::from_millis(400)),
    ]
}

fn expected_class(kind: &FaultKind, error: &DeviceError) -> bool {
    match kind {
        FaultKind::Hang | FaultKind::HangAfterApply => matches!(
            error,
            DeviceError::Timeout {
                stage: TimeoutStage::Response,
                ..
            }
        ),
        FaultKind::Status(code) => matches!(
            error,
            DeviceError::BadResponse { status, problem: BadResponseKind::Html, .. } if status == code
        ),
        FaultKind::TruncatedJson => matches!(
            error,
            DeviceError::BadResponse {
                problem: BadResponseKind::Truncated,
                ..
            }
        ),
        FaultKind::DropBeforeApply | FaultKind::DropAfterApply => {
            matches!(error, DeviceError::ConnectionLost { .. })
        }
        // The empty 204 of delete fits in the time; the pull envelope does not.
        FaultKind::Drip(_) => matches!(error, DeviceError::Timeout { .. }),
        _ => false,
    }
}

async fn one_attempt_under_every_fault(op: Op, warm: bool) {
    for kind in faults() {
        let sim: Simulator = start_sim(lem_sim::AuthMode::Basic).await;
        let mut config = config(&sim, AuthMode::Basic);
        config.timeouts = short_timeouts(CALL, CALL);
        let client: DeviceClient = client(config);
        if warm {
            // Leaves an idle pooled connection for the faulted call to reuse.
            client.list_images().await.expect("warm-up list");
        }
        sim.state().reset_counters();
        sim.state().set_fault(op, Fault::always(kind.clone()));
        let result = match op {
            Op::Pull => client.pull_image(&python_pull()).await,
            _ => client.delete_image("line1/hmi", D1).await,
        };
        if op == Op::Delete && matches!(kind, FaultKind::Drip(_)) {
            // A 204 has no body to drip: the delete simply succeeds.
            assert_eq!(result, Ok(()), "{op} {kind:?}");
        } else {
            let error = result.expect_err("the fault makes the call fail");
            assert!(
                expected_class(&kind, &error),
                "{op} {kind:?} (warm {warm}): {error:?}"
            );
            assert!(error.outcome_unknown(), "{op} {kind:?}: {error:?}");
        }
        let counters = sim.state().counters();
        assert_eq!(
            counters.calls(op),
            1,
            "{op} {kind:?} (warm {warm}): {counters:?}"
        );
        assert_eq!(
            counters.requests, 1,
            "{op} {kind:?} (warm {warm}): {counters:?}"
        );
    }
}

#[tokio::test]
async fn pull_makes_exactly_one_device_attempt_under_every_fault_on_a_fresh_connection() {
    one_attempt_under_every_fault(Op::Pull, false).await;
}

#[tokio::test]
async fn pull_makes_exactly_one_device_attempt_under_every_fault_on_a_reused_connection() {
    one_attempt_under_every_fault(Op::Pull, true).await;
}

#[tokio::test]
async fn delete_makes_exactly_one_device_attempt_under_every_fault_on_a_fresh_connection() {
    one_attempt_under_every_fault(Op::Delete, false).await;
}

#[tokio::test]
async fn delete_makes_exactly_one_device_attempt_under_every_fault_on_a_reused_connection() {
    one_attempt_under_every_fault(Op::Delete, true).await;
}
