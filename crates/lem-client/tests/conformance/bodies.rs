//! Answers whose body is not what the API documents: HTML pages (BC-06), truncated, oversize,
//! empty or mislabelled JSON, refusals in a 200 envelope, and dropped connections.

use lem_client::{AuthMode, BadResponseKind, DeviceError, RegistryApi};
use lem_sim::{Fault, FaultKind, Op};

use crate::common::*;

#[tokio::test]
async fn bc06a_a_502_html_page_is_a_bad_response_naming_status_and_content_type_not_the_html() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    for op in [Op::List, Op::Pull, Op::Delete, Op::Info] {
        sim.state().set_fault(
            op,
            raw(
                502,
                "text/html",
                "<html><body><h1>502 Bad Gateway</h1><p>upstream gone</p></body></html>",
            ),
        );
    }
    for result in run_all(&client).await {
        let error = result.expect_err("an HTML page is never success");
        assert_eq!(
            error,
            DeviceError::BadResponse {
                status: 502,
                content_type: Some("text/html".into()),
                problem: BadResponseKind::Html
            }
        );
        let text = format!("{error} {error:?}");
        assert!(
            !text.contains("upstream gone") && !text.contains('<'),
            "{text}"
        );
        assert!(error.to_string().contains("502"), "{error}");
    }
    // The simulator's own nginx-style pages (`status:` faults) are classified the same way.
    sim.state()
        .set_fault(Op::List, Fault::always(FaultKind::Status(503)));
    assert!(matches!(
        client.list_images().await,
        Err(DeviceError::BadResponse {
            status: 503,
            problem: BadResponseKind::Html,
            ..
        })
    ));
}

#[tokio::test]
async fn bc06b_a_200_html_login_page_is_a_bad_response_never_an_empty_list() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    for op in [Op::List, Op::Pull, Op::Delete, Op::Info] {
        sim.state().set_fault(
            op,
            raw(
                200,
                "text/html",
                "<!DOCTYPE html><html><body>Please sign in</body></html>",
            ),
        );
    }
    for result in run_all(&client).await {
        assert_eq!(
            result,
            Err(DeviceError::BadResponse {
                status: 200,
                content_type: Some("text/html".into()),
                problem: BadResponseKind::Html
            })
        );
    }
}

#[tokio::test]
async fn truncated_json_is_a_bad_response_of_kind_truncated() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    for op in [Op::List, Op::Pull, Op::Delete, Op::Info] {
        sim.state()
            .set_fault(op, Fault::always(FaultKind::TruncatedJson));
    }
    for result in run_all(&client).await {
        assert!(
            matches!(
                result,
                Err(DeviceError::BadResponse {
                    status: 200,
                    problem: BadResponseKind::Truncated,
                    ..
                })
            ),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn a_body_over_max_response_bytes_is_too_large() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let mut config = config(&sim, AuthMode::Basic);
    config.max_response_bytes = 4096;
    let client = client(config);
    for op in [Op::List, Op::Pull, Op::Delete, Op::Info] {
        sim.state()
            .set_fault(op, Fault::always(FaultKind::Oversize(64 * 1024)));
    }
    for result in run_all(&client).await {
        assert!(
            matches!(
                result,
                Err(DeviceError::BadResponse {
                    problem: BadResponseKind::TooLarge,
                    ..
                })
            ),
            "{result:?}"
        );
    }
    // Just under the limit is fine.
    sim.state()
        .set_fault(Op::List, Fault::always(FaultKind::Oversize(4096)));
    assert!(client.list_images().await.is_ok());
}

#[tokio::test]
async fn a_200_envelope_with_code_e_on_pull_is_refused_with_message_and_details() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    sim.state().set_fault(
        Op::Pull,
        Fault::once(FaultKind::ErrorEnvelope {
            message: "Failed to pull image".into(),
            details: "manifest unknown upstream".into(),
        }),
    );
    let error = client
        .pull_image(&python_pull())
        .await
        .expect_err("refused");
    assert_eq!(
        error,
        DeviceError::Refused {
            code: "E".into(),
            message: Some("Failed to pull image".into()),
            details: Some("manifest unknown upstream".into()),
        }
    );
    assert_eq!(sim.state().calls(Op::Pull), 1);
}

#[tokio::test]
async fn valid_json_with_a_wrong_content_type_is_accepted() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    for op in [Op::List, Op::Pull, Op::Delete, Op::Info] {
        sim.state()
            .set_fault(op, Fault::always(FaultKind::WrongContentType));
    }
    let results = run_all(&client).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

#[tokio::test]
async fn an_empty_200_list_body_is_a_bad_response_of_kind_empty() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    sim.state()
        .set_fault(Op::List, raw(200, "application/json", ""));
    let client = client(config(&sim, AuthMode::Basic));
    assert!(matches!(
        client.list_images().await,
        Err(DeviceError::BadResponse {
            problem: BadResponseKind::Empty,
            ..
        })
    ));
}

#[tokio::test]
async fn a_dropped_connection_is_connection_lost_with_an_unknown_outcome() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    for kind in [FaultKind::DropBeforeApply, FaultKind::DropAfterApply] {
        for op in [Op::List, Op::Pull, Op::Delete, Op::Info] {
            sim.state().set_fault(op, Fault::always(kind.clone()));
        }
        for result in run_all(&client).await {
            let error = result.expect_err("dropped");
            assert_eq!(
                error,
                DeviceError::ConnectionLost {
                    endpoint: sim.addr().to_string()
                },
                "{kind:?}"
            );
            assert!(error.outcome_unknown());
        }
    }
}
