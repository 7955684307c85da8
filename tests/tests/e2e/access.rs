//! BC-23: the panel's own 401/403 versus the device's — a device refusing the panel's token
//! is a 502 with its own code, never a 401 that would end the browser's session.

use lem_panel_tests::{CANARY_TOKEN, D1, TestApp, row};
use lem_sim::Op;
use shared::api::AuthMode;

use crate::find_row;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc23_without_a_session_the_api_answers_401_and_the_device_is_not_called() {
    let app = TestApp::start().await;

    let anonymous = app.images().await;

    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
    assert_eq!(anonymous.code(), "unauthenticated");
    assert!(
        anonymous.header("location").is_none(),
        "no redirect from the API"
    );
    assert_eq!(app.device().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc23_a_viewer_or_operator_deleting_gets_403_forbidden_and_the_device_is_not_called() {
    let app = TestApp::builder()
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .start()
        .await;
    for user in ["viewer", "operator"] {
        let client = app.new_client();
        client.login_as(user).await;

        let refused = client.delete("line1/hmi", D1, &["1.4.0"]).await;

        assert_eq!(refused.status, 403, "{user}: {}", refused.text);
        assert_eq!(refused.code(), "forbidden", "{user}: {}", refused.text);
        assert!(refused.header("location").is_none());
        assert_eq!(client.session().await.status, 200, "{user} stays logged in");
    }
    assert_eq!(app.device().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc23_a_revoked_device_token_is_a_502_device_auth_and_never_a_401() {
    let app = TestApp::builder()
        .sim_token("LEMTOKEN-rotated-on-the-device")
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .start()
        .await;
    app.login_as("admin").await;

    let list = app.images().await;
    let status = app.registry_status().await;
    let delete = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert_eq!(list.status, 502, "{}", list.text);
    assert_eq!(list.code(), "device_auth", "{}", list.text);
    assert!(list.hint().contains("admin"), "{}", list.hint());
    assert_eq!(
        status.body["error"]["code"], "device_auth",
        "{}",
        status.text
    );
    assert_eq!(delete.status, 502, "{}", delete.text);
    assert_eq!(delete.code(), "device_auth", "{}", delete.text);
    assert_eq!(
        app.device().calls(Op::Delete),
        0,
        "the check before deleting failed first"
    );
    assert_eq!(
        app.session().await.status,
        200,
        "the browser session is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc23_a_read_only_device_token_lists_but_its_delete_is_a_502_device_forbidden() {
    let app = TestApp::builder()
        .sim(|sim| {
            let mut sim = sim.read_only_token(CANARY_TOKEN);
            sim.token = "LEMTOKEN-the-real-admin-token".to_owned();
            sim
        })
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .start()
        .await;
    app.login_as("admin").await;
    assert_eq!(app.images().await.status, 200, "a read-only token may list");

    let refused = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert_eq!(refused.status, 502, "{}", refused.text);
    assert_eq!(refused.code(), "device_forbidden", "{}", refused.text);
    assert_eq!(app.device().calls(Op::Delete), 1, "one attempt, no retry");
    assert!(find_row(&app.images().await, "line1/hmi", "1.4.0").is_some());
    assert_eq!(app.session().await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_goes_in_exactly_one_header_of_the_configured_kind() {
    for mode in [AuthMode::Basic, AuthMode::XAuthToken] {
        let app = TestApp::builder().auth_mode(mode).start().await;
        app.login_as("viewer").await;

        assert_eq!(app.images().await.status, 200, "{mode:?}");
        assert_eq!(
            app.registry_status().await.body["reachable"],
            true,
            "{mode:?}"
        );

        let requests = app.device().requests();
        assert_eq!(requests.len(), 2, "{mode:?}");
        for request in requests {
            match mode {
                AuthMode::Basic => {
                    assert_eq!(request.authorization_schemes, vec!["basic"]);
                    assert_eq!(request.x_auth_tokens, 0);
                }
                AuthMode::XAuthToken => {
                    assert!(request.authorization_schemes.is_empty());
                    assert_eq!(request.x_auth_tokens, 1);
                }
            }
        }
        app.shutdown().await;
    }
}
