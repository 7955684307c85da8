//! List, info, auth modes, the documented error statuses and what the device records.

use crate::common::*;
use lem_sim::{AuthMode, Op, SimConfig, fixture_rows, synthetic_rows};
use serde_json::json;

#[tokio::test]
async fn list_returns_the_fixture_rows_as_json() {
    let sim = start_default().await;
    let reply = call(&sim, "GET", LIST).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(reply.json(), serde_json::Value::Array(fixture_rows()));
    assert_eq!(sim.state().calls(Op::List), 1);
}

#[tokio::test]
async fn info_returns_the_example_from_the_vendor_page() {
    let sim = start_default().await;
    let reply = call(&sim, "GET", INFO).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"state": true, "authState": true, "proxyState": true, "proxyUser": null})
    );
}

#[tokio::test]
async fn basic_mode_accepts_the_token_as_user_and_refuses_the_x_auth_token_header() {
    let sim = start_default().await;
    assert_eq!(
        call_as(&sim, "GET", LIST, Auth::Basic(TOKEN)).await.status,
        200
    );
    assert_eq!(
        call_as(&sim, "GET", LIST, Auth::XAuthToken(TOKEN))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn x_auth_token_mode_accepts_the_header_and_refuses_basic_credentials() {
    let sim = start(SimConfig::new(TOKEN).auth_mode(AuthMode::XAuthToken)).await;
    assert_eq!(
        call_as(&sim, "GET", LIST, Auth::XAuthToken(TOKEN))
            .await
            .status,
        200
    );
    assert_eq!(
        call_as(&sim, "GET", INFO, Auth::XAuthToken(TOKEN))
            .await
            .status,
        200
    );
    assert_eq!(
        call_as(&sim, "GET", LIST, Auth::Basic(TOKEN)).await.status,
        401
    );
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_with_the_error_envelope() {
    let sim = start_default().await;
    for auth in [Auth::None, Auth::Basic("wrong")] {
        let reply = call_as(&sim, "GET", LIST, auth).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        assert_eq!(reply.json()["code"], "E");
        assert_eq!(reply.json()["messageDetails"], serde_json::Value::Null);
    }
    let reply = call_as(&sim, "POST", PULL_PYTHON, Auth::None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(sim.state().rows(), fixture_rows());
}

#[tokio::test]
async fn a_read_only_token_may_list_and_read_info_but_gets_403_for_pull_and_delete() {
    let sim = start_default().await;
    let ro = Auth::Basic(READ_ONLY);
    assert_eq!(call_as(&sim, "GET", LIST, ro).await.status, 200);
    assert_eq!(call_as(&sim, "GET", INFO, ro).await.status, 200);
    let pull = call_as(&sim, "POST", PULL_PYTHON, ro).await;
    assert_eq!(pull.status, 403);
    assert_eq!(pull.json()["code"], "E");
    let delete = delete_target("alpine", ALPINE_LATEST_DIGEST);
    assert_eq!(call_as(&sim, "DELETE", &delete, ro).await.status, 403);
    assert_eq!(sim.state().rows(), fixture_rows());
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_are_405() {
    let sim = start_default().await;
    let unknown = call(&sim, "GET", "/admin/v1/registry/images").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.content_type.as_deref(), Some("application/json"));
    let wrong = call(&sim, "POST", LIST).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.headers["allow"], "GET, DELETE");
    assert_eq!(sim.state().counters().requests, 2);
    assert_eq!(sim.state().counters().list, 0);
}

#[tokio::test]
async fn query_pairs_are_recorded_decoded_and_credentials_are_not_recorded() {
    let sim = start_default().await;
    let odd_name = "legacy name+with/odd&chars";
    call(
        &sim,
        "DELETE",
        &delete_target(odd_name, ALPINE_LATEST_DIGEST),
    )
    .await;
    let seen = sim.state().last_request().expect("a recorded request");
    assert_eq!(seen.method, "DELETE");
    assert_eq!(seen.path, "/admin/v1/registry/image/");
    assert_eq!(seen.op, Some(Op::Delete));
    assert_eq!(seen.query_values("name"), [odd_name]);
    assert_eq!(seen.query_values("digest"), [ALPINE_LATEST_DIGEST]);
    assert_eq!(seen.authorization_schemes, ["basic"]);
    assert_eq!(seen.x_auth_tokens, 0);
    assert!(!format!("{seen:?}").contains(TOKEN));
    let plus = call(&sim, "GET", "/admin/v1/registry/image?a=b+c%2Bd").await;
    assert_eq!(plus.status, 200);
    let seen = sim.state().last_request().expect("a recorded request");
    assert_eq!(seen.query, [("a".to_owned(), "b c+d".to_owned())]);
    assert_eq!(seen.raw_query.as_deref(), Some("a=b+c%2Bd"));
}

#[tokio::test]
async fn odd_rows_are_served_verbatim() {
    let odd = vec![
        serde_json::Value::Null,
        json!({"name": "no-tag"}),
        json!({"name": "huge", "tag": "1", "digest": "sha256:x", "timestamp": 0, "size": 18_000_000_000_000_000_000_u64}),
        json!("just a string"),
    ];
    let sim = start(SimConfig::new(TOKEN).rows(odd.clone())).await;
    assert_eq!(
        call(&sim, "GET", LIST).await.json(),
        serde_json::Value::Array(odd.clone())
    );
    sim.state().set_rows(vec![]);
    assert_eq!(call(&sim, "GET", LIST).await.json(), json!([]));
}

#[tokio::test]
async fn synthetic_rows_can_be_served_in_bulk() {
    let sim = start(SimConfig::new(TOKEN).rows(synthetic_rows(5000))).await;
    let reply = call(&sim, "GET", LIST).await;
    assert_eq!(reply.json().as_array().map(Vec::len), Some(5000));
}
