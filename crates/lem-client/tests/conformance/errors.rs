//! Each class of device status maps to its own error: unreachable, 401, 403, 400, 404, 405,
//! 5xx JSON, redirects, and configuration the client refuses before connecting.

use lem_client::{AuthMode, DeviceError, PullRequest, RegistryApi};
use lem_sim::Op;

use crate::common::*;

#[tokio::test]
async fn a_refused_connection_is_unreachable_and_names_host_and_port() {
    let port = closed_port();
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config_at(
        &sim,
        &format!("https://127.0.0.1:{port}"),
        AuthMode::Basic,
    ));
    let endpoint = format!("127.0.0.1:{port}");
    for result in run_all(&client).await {
        let error = result.expect_err("nothing listens");
        assert!(
            matches!(&error, DeviceError::Unreachable { endpoint: e, .. } if *e == endpoint),
            "{error:?}"
        );
        assert!(error.to_string().contains(&endpoint), "{error}");
        assert!(error.to_string().contains("refused"), "{error}");
        assert!(!error.outcome_unknown(), "nothing was sent");
    }
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_for_every_operation() {
    for (auth, sim_auth) in AUTH_MODES {
        let sim = start(lem_sim::SimConfig::new("another-token").auth_mode(sim_auth)).await;
        let client = client(config(&sim, auth));
        for result in run_all(&client).await {
            assert_eq!(result, Err(DeviceError::Unauthorized));
        }
        assert_eq!(sim.state().counters().requests, 4);
    }
}

#[tokio::test]
async fn a_read_only_token_may_list_and_read_info_but_pull_and_delete_are_forbidden() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let mut config = config(&sim, AuthMode::Basic);
    config.token = lem_client::SecretString::from(READ_ONLY);
    let client = client(config);
    let [list, pull, delete, info] = <[_; 4]>::try_from(run_all(&client).await).expect("four");
    assert!(list.is_ok() && info.is_ok(), "{list:?} {info:?}");
    assert_eq!(pull, Err(DeviceError::Forbidden));
    assert_eq!(delete, Err(DeviceError::Forbidden));
    assert_eq!(
        (sim.state().calls(Op::Pull), sim.state().calls(Op::Delete)),
        (1, 1)
    );
}

#[tokio::test]
async fn a_rejected_parameter_is_a_bad_request_with_the_devices_message() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    let request = PullRequest {
        internal_tag: ".hidden".into(),
        ..python_pull()
    };
    let error = client
        .pull_image(&request)
        .await
        .expect_err("the device refuses");
    assert_eq!(
        error,
        DeviceError::BadRequest {
            message: Some("Malformed parameter 'internalTag': .hidden".into())
        }
    );
    assert!(error.to_string().contains("internalTag"), "{error}");
    let error = client
        .delete_image("line1/hmi", "sha256:c50f")
        .await
        .expect_err("refused");
    assert_eq!(
        error,
        DeviceError::BadRequest {
            message: Some("Malformed parameter 'digest': sha256:c50f".into())
        }
    );
}

#[tokio::test]
async fn a_missing_target_is_not_found_with_the_devices_message() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    let error = client
        .delete_image("line2/hmi", D2)
        .await
        .expect_err("no such image");
    assert_eq!(
        error,
        DeviceError::NotFound {
            message: Some(format!("Image not found: line2/hmi@{D2}"))
        }
    );
    let request = PullRequest {
        external_name: "nobody/nothing".into(),
        ..python_pull()
    };
    let error = client
        .pull_image(&request)
        .await
        .expect_err("not in the catalog");
    assert!(
        matches!(error, DeviceError::NotFound { message: Some(ref m) } if m.contains("manifest unknown")),
        "{error:?}"
    );
}

#[tokio::test]
async fn bc03_a_405_with_an_unsupported_error_body_is_unsupported_and_not_retried() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    sim.state().set_fault(
        Op::Delete,
        raw(
            405,
            "application/json",
            r#"{"errors":[{"code":"UNSUPPORTED","message":"delete disabled"}]}"#,
        ),
    );
    let client = client(config(&sim, AuthMode::Basic));
    let error = client
        .delete_image("line1/hmi", D1)
        .await
        .expect_err("deletion disabled");
    assert_eq!(
        error,
        DeviceError::Unsupported {
            status: 405,
            message: Some("delete disabled".into())
        }
    );
    assert!(!error.outcome_unknown(), "the device said it did nothing");
    assert_eq!(sim.state().calls(Op::Delete), 1);
    assert_eq!(
        client.list_images().await.expect("list").images.len(),
        4,
        "the rows stay"
    );
}

#[tokio::test]
async fn a_5xx_json_answer_is_a_server_error_with_the_devices_message() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    for op in [Op::List, Op::Pull, Op::Delete, Op::Info] {
        sim.state().set_fault(
            op,
            raw(
                500,
                "application/json",
                r#"{"error":"registry storage failed"}"#,
            ),
        );
    }
    for result in run_all(&client).await {
        let error = result.expect_err("500");
        assert_eq!(
            error,
            DeviceError::Server {
                status: 500,
                message: Some("registry storage failed".into())
            }
        );
        assert!(error.outcome_unknown());
    }
    sim.state().set_fault(
        Op::List,
        raw(
            503,
            "application/json",
            r#"{"code":"E","message":"restarting","messageDetails":null}"#,
        ),
    );
    assert_eq!(
        client.list_images().await,
        Err(DeviceError::Server {
            status: 503,
            message: Some("restarting".into())
        })
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_is_an_unexpected_status() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    sim.state().set_fault(Op::List, raw(302, "text/plain", ""));
    let client = client(config(&sim, AuthMode::Basic));
    assert_eq!(
        client.list_images().await,
        Err(DeviceError::UnexpectedStatus {
            status: 302,
            message: None
        })
    );
    assert_eq!(sim.state().counters().requests, 1);
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_value_is_a_config_error_without_sending_or_showing_it() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    for token in [
        "LEMTOKEN-canary-9d1e\n",
        " LEMTOKEN-canary-9d1e",
        "LEMTOKEN canary",
        "",
    ] {
        for (auth, _) in AUTH_MODES {
            let mut config = config(&sim, auth);
            config.token = lem_client::SecretString::from(token);
            let error = lem_client::DeviceClient::with_env(config, |_| None).expect_err("refused");
            assert!(matches!(error, DeviceError::Config(_)), "{error:?}");
            let text = format!("{error} {error:?}");
            assert!(
                !text.contains("LEMTOKEN") && !text.contains("TEVNVE9LRU4"),
                "{text}"
            );
        }
    }
    assert_eq!(sim.state().counters().tcp_connections, 0, "nothing sent");
}
