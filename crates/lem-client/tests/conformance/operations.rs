//! The four operations against a healthy device: results, the exact requests the device
//! records, URL joining and the auth header.

use lem_client::{AuthMode, RegistryApi, RegistryInfo};
use lem_sim::{Op, RecordedRequest};

use crate::common::*;

fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
    query
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Exactly one kind of credential, the configured one, once.
fn assert_one_auth_header(request: &RecordedRequest, auth: AuthMode) {
    match auth {
        AuthMode::Basic => {
            assert_eq!(request.authorization_schemes, ["basic"], "{request:?}");
            assert_eq!(request.x_auth_tokens, 0, "{request:?}");
        }
        AuthMode::XAuthToken => {
            assert!(request.authorization_schemes.is_empty(), "{request:?}");
            assert_eq!(request.x_auth_tokens, 1, "{request:?}");
        }
    }
    let auth_headers = request
        .header_names
        .iter()
        .filter(|h| *h == "authorization" || *h == "x-authtoken")
        .count();
    assert_eq!(auth_headers, 1, "never both auth headers: {request:?}");
}

async fn every_operation_succeeds_with(auth: AuthMode, sim_auth: lem_sim::AuthMode) {
    let sim = start_sim(sim_auth).await;
    let client = client(config(&sim, auth));

    let list = client.list_images().await.expect("list succeeds");
    assert_eq!(list.images.len(), 4);
    assert_eq!(list.skipped_entries, 0);
    assert_eq!(list.images[0].name.as_str(), Some("line1/hmi"));
    assert_eq!(list.images[0].digest.as_str(), Some(D1));

    client
        .pull_image(&python_pull())
        .await
        .expect("pull succeeds");
    client
        .delete_image("line1/hmi", D1)
        .await
        .expect("delete succeeds");
    let report = client.registry_info().await.expect("info succeeds");
    assert_eq!(
        report.info,
        RegistryInfo {
            state: Some(true),
            auth_state: Some(true),
            proxy_state: Some(true),
            proxy_user: None,
        }
    );

    let requests = sim.state().requests();
    assert_eq!(requests.len(), 4, "{requests:#?}");
    let [list_req, pull_req, delete_req, info_req] = &requests[..] else {
        unreachable!("four requests");
    };

    assert_eq!(
        (list_req.method.as_str(), list_req.path.as_str()),
        ("GET", LIST_PATH)
    );
    assert_eq!(list_req.raw_query, None);
    assert_eq!(list_req.op, Some(Op::List));

    assert_eq!(
        (pull_req.method.as_str(), pull_req.path.as_str()),
        ("POST", PULL_PATH)
    );
    assert_eq!(
        pull_req.query,
        pairs(&[
            ("externalUrl", "docker.io"),
            ("externalName", "python"),
            ("externalTag", "3.9"),
            ("internalName", "python"),
            ("internalTag", "3.9"),
        ])
    );

    assert_eq!(
        (delete_req.method.as_str(), delete_req.path.as_str()),
        ("DELETE", DELETE_PATH),
        "the slash before `?` is kept"
    );
    assert_eq!(
        delete_req.query,
        pairs(&[("name", "line1/hmi"), ("digest", D1)])
    );

    assert_eq!(
        (info_req.method.as_str(), info_req.path.as_str()),
        ("GET", INFO_PATH)
    );
    assert_eq!(info_req.raw_query, None);

    for request in &requests {
        assert_one_auth_header(request, auth);
    }

    // The device really acted: python:3.9 arrived, both D1 tags of line1/hmi went, the rest stayed.
    let after = client.list_images().await.expect("list after");
    let mut names: Vec<String> = after
        .images
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i.name.as_str().unwrap_or("?"),
                i.tag.as_str().unwrap_or("?")
            )
        })
        .collect();
    names.sort();
    assert_eq!(names, ["line1/hmi:1.3.9", "line2/hmi:1.4.0", "python:3.9"]);
}

#[tokio::test]
async fn every_operation_succeeds_with_basic_auth_and_sends_the_documented_requests() {
    every_operation_succeeds_with(AuthMode::Basic, lem_sim::AuthMode::Basic).await;
}

#[tokio::test]
async fn every_operation_succeeds_with_x_auth_token_and_sends_the_documented_requests() {
    every_operation_succeeds_with(AuthMode::XAuthToken, lem_sim::AuthMode::XAuthToken).await;
}

#[tokio::test]
async fn a_client_in_the_other_auth_mode_than_the_device_gets_unauthorized_and_sends_one_header() {
    for ((client_auth, _), (_, sim_auth)) in [
        (AUTH_MODES[0], AUTH_MODES[1]),
        (AUTH_MODES[1], AUTH_MODES[0]),
    ] {
        let sim = start_sim(sim_auth).await;
        let client = client(config(&sim, client_auth));
        for result in run_all(&client).await {
            assert_eq!(result, Err(lem_client::DeviceError::Unauthorized));
        }
        for request in sim.state().requests() {
            assert_one_auth_header(&request, client_auth);
        }
    }
}

#[tokio::test]
async fn base_urls_with_or_without_trailing_slash_or_with_a_path_prefix_never_yield_a_double_slash()
{
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let url = sim.url();
    let cases = [
        (url.clone(), ""),
        (format!("{url}/"), ""),
        (format!("{url}/lem"), "/lem"),
        (format!("{url}/lem/"), "/lem"),
        (format!("{url}/a/b"), "/a/b"),
        (format!("{url}/a/b/"), "/a/b"),
    ];
    for (base, prefix) in cases {
        sim.state().reset_counters();
        let client = client(config_at(&sim, &base, AuthMode::Basic));
        let results = run_all(&client).await;
        let paths: Vec<String> = sim.state().requests().into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [LIST_PATH, PULL_PATH, DELETE_PATH, INFO_PATH].map(|p| format!("{prefix}{p}")),
            "base {base}"
        );
        assert!(
            paths.iter().all(|p| !p.contains("//")),
            "base {base}: {paths:?}"
        );
        if prefix.is_empty() {
            assert!(
                results[0].is_ok() && results[3].is_ok(),
                "base {base}: {results:?}"
            );
        } else {
            // The simulator serves no prefix, so it answers 404: the client must say so.
            assert!(
                results
                    .iter()
                    .all(|r| matches!(r, Err(lem_client::DeviceError::NotFound { .. }))),
                "base {base}: {results:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_base_url_carrying_credentials_is_refused_so_only_the_configured_auth_header_is_sent() {
    let sim = start_sim(lem_sim::AuthMode::XAuthToken).await;
    let with_credentials = format!("https://admin:secret-in-url@{}", sim.addr());
    for (auth, _) in AUTH_MODES {
        let result =
            lem_client::DeviceClient::with_env(config_at(&sim, &with_credentials, auth), |_| None);
        match result {
            Err(error) => {
                assert!(
                    matches!(error, lem_client::DeviceError::Config(_)),
                    "{error:?}"
                );
                assert!(
                    !format!("{error} {error:?}").contains("secret-in-url"),
                    "{error:?}"
                );
            }
            Ok(client) => {
                let _ = client.list_images().await;
                let request = sim.state().last_request().expect("a request");
                assert_one_auth_header(&request, auth);
            }
        }
    }
    assert_eq!(
        sim.state().counters().requests,
        0,
        "refused before connecting"
    );
}

#[tokio::test]
async fn bc04_five_thousand_rows_arrive_in_one_list_call() {
    let sim = start(sim_config(lem_sim::AuthMode::Basic).rows(lem_sim::synthetic_rows(5000))).await;
    let client = client(config(&sim, AuthMode::Basic));
    let list = client.list_images().await.expect("list");
    assert_eq!(list.images.len(), 5000);
    assert_eq!(sim.state().counters().requests, 1);
}

#[tokio::test]
async fn pull_sends_its_parameters_in_the_query_only_with_no_body() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    client.pull_image(&python_pull()).await.expect("pull");
    let request = sim.state().last_request().expect("the pull");
    assert!(
        !request
            .header_names
            .iter()
            .any(|h| h == "content-type" || h == "transfer-encoding"),
        "{request:?}"
    );
}

#[tokio::test]
async fn an_ipv6_device_works_and_is_named_with_brackets() {
    let sim =
        start(sim_config(lem_sim::AuthMode::Basic).listen("[::1]:0".parse().expect("address")))
            .await;
    assert!(sim.url().starts_with("https://[::1]:"));
    let client = client(config(&sim, AuthMode::Basic));
    assert_eq!(client.endpoint(), sim.addr().to_string());
    for result in run_all(&client).await {
        result.expect("works over IPv6");
    }
    let port = {
        let listener = std::net::TcpListener::bind("[::1]:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let closed = client_for_url(&sim, &format!("https://[::1]:{port}"));
    let error = closed.list_images().await.expect_err("refused");
    assert!(
        matches!(&error, lem_client::DeviceError::Unreachable { endpoint, .. } if *endpoint == format!("[::1]:{port}")),
        "{error:?}"
    );
}

fn client_for_url(sim: &lem_sim::Simulator, base: &str) -> lem_client::DeviceClient {
    client(config_at(sim, base, AuthMode::Basic))
}
