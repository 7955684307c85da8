//! Query encoding (BC-12), sha512 digests (BC-15) and odd list bodies (BC-19).

use bytes::Bytes;
use lem_client::{AuthMode, PullRequest, RegistryApi};
use lem_sim::{Fault, FaultKind, Op};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn bc12_names_and_digests_with_query_syntax_reach_the_device_as_one_name_and_one_digest() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    let d1_and_more = format!("{D1}&name=other");
    let cases = [
        (format!("line1/hmi&digest={D2}"), D1.to_owned()),
        ("line1/hmi".to_owned(), d1_and_more),
        ("line1/hmi#x".to_owned(), D1.to_owned()),
        ("line1/hmi+build 5".to_owned(), D1.to_owned()),
        ("../../admin".to_owned(), D1.to_owned()),
        ("line1/hmi?x=1;y=%41".to_owned(), format!("{D1}#frag")),
    ];
    for (name, digest) in cases {
        sim.state().reset_counters();
        // The device may refuse these (validation is its job); the request shape is what counts.
        let _ = client.delete_image(&name, &digest).await;
        let request = sim.state().last_request().expect("one request");
        assert_eq!(sim.state().counters().delete, 1, "{name} {digest}");
        assert_eq!(request.path, DELETE_PATH, "{name} {digest}");
        assert_eq!(request.query.len(), 2, "{request:?}");
        assert_eq!(request.query_values("name"), [name.as_str()], "{request:?}");
        assert_eq!(
            request.query_values("digest"),
            [digest.as_str()],
            "{request:?}"
        );
    }
}

#[tokio::test]
async fn bc12_pull_parameters_are_each_encoded_as_one_component() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    let request = PullRequest {
        external_url: "registry.example.local:5000".into(),
        external_name: "team/app&internalName=evil".into(),
        external_tag: "1.2.3#x".into(),
        internal_name: "team/app".into(),
        internal_tag: "1.0+build5".into(),
    };
    let _ = client.pull_image(&request).await;
    let recorded = sim.state().last_request().expect("one request");
    assert_eq!(recorded.path, PULL_PATH);
    let expected = [
        ("externalUrl", request.external_url.as_str()),
        ("externalName", request.external_name.as_str()),
        ("externalTag", request.external_tag.as_str()),
        ("internalName", request.internal_name.as_str()),
        ("internalTag", request.internal_tag.as_str()),
    ];
    assert_eq!(recorded.query.len(), 5, "{recorded:?}");
    for (key, value) in expected {
        assert_eq!(recorded.query_values(key), [value], "{recorded:?}");
    }
}

#[tokio::test]
async fn bc11_a_registry_host_with_a_port_reaches_the_device_unchanged() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    sim.state().add_catalog_image(lem_sim::CatalogImage::new(
        "registry.example.local:5000",
        "team/app",
        "1.2.3",
        D2,
        1000,
    ));
    let client = client(config(&sim, AuthMode::Basic));
    let request = PullRequest {
        external_url: "registry.example.local:5000".into(),
        external_name: "team/app".into(),
        external_tag: "1.2.3".into(),
        internal_name: "team/app".into(),
        internal_tag: "1.2.3".into(),
    };
    client.pull_image(&request).await.expect("pull");
    let recorded = sim.state().last_request().expect("one request");
    assert_eq!(
        recorded.query_values("externalUrl"),
        ["registry.example.local:5000"]
    );
    assert_eq!(recorded.query_values("externalName"), ["team/app"]);
}

#[tokio::test]
async fn bc15_a_sha512_digest_is_listed_and_forwarded_unchanged_on_delete() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    sim.state().set_rows(vec![
        row("line1/hmi", "2.0.0", D512),
        row("line1/hmi", "1.4.0", D1),
    ]);
    let client = client(config(&sim, AuthMode::Basic));
    let list = client.list_images().await.expect("list");
    assert_eq!(list.images[0].digest.as_str(), Some(D512));
    client
        .delete_image("line1/hmi", D512)
        .await
        .expect("delete by sha512");
    let request = sim.state().last_request().expect("the delete");
    assert_eq!(request.query_values("digest"), [D512]);
    let after = client.list_images().await.expect("list");
    assert_eq!(after.images.len(), 1);
    assert_eq!(after.images[0].digest.as_str(), Some(D1));
}

#[tokio::test]
async fn bc19_an_empty_list_a_null_list_and_duplicate_rows_parse() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));

    sim.state().set_rows(Vec::new());
    let empty = client.list_images().await.expect("[] is an empty registry");
    assert!(empty.images.is_empty());
    assert_eq!(empty.skipped_entries, 0);

    sim.state().set_fault(
        Op::List,
        Fault::once(FaultKind::Raw {
            status: 200,
            content_type: Some("application/json".into()),
            body: Bytes::from_static(b"null"),
        }),
    );
    let null = client
        .list_images()
        .await
        .expect("null is an empty registry");
    assert!(null.images.is_empty());

    let duplicate = row("line1/hmi", "1.4.0", D1);
    sim.state().set_rows(vec![
        duplicate.clone(),
        duplicate,
        row("line1/hmi", "1.4.0", D2),
    ]);
    let list = client.list_images().await.expect("duplicates parse");
    assert_eq!(
        list.images.len(),
        3,
        "the client keeps every row; the UI merges"
    );
    assert_eq!(list.images[0], list.images[1]);
    assert_eq!(list.images[2].digest.as_str(), Some(D2));

    // Odd rows never blank the list.
    sim.state().set_rows(vec![
        json!(null),
        json!({"name": "odd", "size": 18_446_744_073_709_551_615_u64, "timestamp": 1_700_000_000}),
        row("line1/hmi", "1.4.0", D1),
    ]);
    let odd = client.list_images().await.expect("odd rows parse");
    assert_eq!((odd.images.len(), odd.skipped_entries), (2, 1));
}
