//! Pull and delete as a well-behaved device performs them: the catalog, overwrites, deleting by
//! digest, and their 400/404 answers.

use std::time::{Duration, Instant};

use crate::common::*;
use lem_sim::{CatalogImage, Op, SimConfig, fixture_rows};
use serde_json::json;

#[tokio::test]
async fn pull_stores_the_catalog_image_under_the_internal_name_and_tag() {
    let sim = start_default().await;
    let before = Instant::now();
    let reply = call(&sim, "POST", PULL_PYTHON).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"code": "S", "message": null, "messageDetails": null})
    );
    let rows = sim.state().rows();
    let stored: Vec<_> = rows
        .iter()
        .filter(|r| r["name"] == "mirror/python")
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["tag"], "3.9");
    assert_eq!(
        stored[0]["digest"],
        "sha256:ddf3e328f78494805eeb0c43b6754178a941ae93b26949e493368af633c9c8a2"
    );
    assert_eq!(stored[0]["size"], 373_886_615);
    let stamped = stored[0]["timestamp"].as_u64().expect("a timestamp in ms");
    assert!(stamped > 1_700_000_000_000, "{stamped} is in milliseconds");
    assert!(before.elapsed() < Duration::from_secs(5));
    assert_eq!(rows.len(), fixture_rows().len() + 1);
}

#[tokio::test]
async fn pull_onto_an_existing_tag_overwrites_that_row() {
    let sim = start_default().await;
    let target = "/admin/v1/registry/image/upload-remote?externalUrl=index.docker.io&externalName=library/alpine&externalTag=3.20&internalName=alpine&internalTag=latest";
    assert_eq!(call(&sim, "POST", target).await.status, 200);
    let rows = sim.state().rows();
    assert_eq!(rows.len(), fixture_rows().len());
    let latest: Vec<_> = tags_of(&rows, "alpine")
        .into_iter()
        .filter(|(tag, _)| tag == "latest")
        .collect();
    assert_eq!(
        latest,
        vec![(
            "latest".to_owned(),
            "sha256:88e8b2ad6c94d9e1c06c64e93358f495214e06e8ef1396cbcaff94236f2bec09".to_owned()
        )]
    );
}

#[tokio::test]
async fn pull_of_an_image_the_registry_does_not_have_is_404_manifest_unknown() {
    let sim = start_default().await;
    let target = "/admin/v1/registry/image/upload-remote?externalUrl=docker.io&externalName=python&externalTag=2.1&internalName=python&internalTag=2.1";
    let reply = call(&sim, "POST", target).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json(),
        json!({"code": "E", "message": "manifest unknown: docker.io/python:2.1", "messageDetails": null})
    );
}

#[tokio::test]
async fn pull_with_a_missing_repeated_or_malformed_parameter_is_400() {
    let sim = start_default().await;
    let base = "/admin/v1/registry/image/upload-remote?externalUrl=docker.io&externalName=python&externalTag=3.9";
    for target in [
        format!("{base}&internalName=python"),
        format!("{base}&internalName=python&internalTag=3.9&internalTag=3.10"),
        format!("{base}&internalName=Python&internalTag=3.9"),
        format!("{base}&internalName=python&internalTag="),
        "/admin/v1/registry/image/upload-remote?externalUrl=https://docker.io&externalName=python&externalTag=3.9&internalName=python&internalTag=3.9".to_owned(),
    ] {
        let reply = call(&sim, "POST", &target).await;
        assert_eq!(reply.status, 400, "{target}");
        assert_eq!(reply.json()["code"], "E");
    }
    assert_eq!(sim.state().rows(), fixture_rows());
}

#[tokio::test]
async fn images_added_to_the_catalog_at_run_time_can_be_pulled() {
    let sim = start_default().await;
    let digest = format!("sha256:{}", "7".repeat(64));
    sim.state().add_catalog_image(CatalogImage::new(
        "registry.plant.local:5000",
        "ot/historian",
        "9.1",
        &digest,
        1234,
    ));
    let target = "/admin/v1/registry/image/upload-remote?externalUrl=registry.plant.local:5000&externalName=ot/historian&externalTag=9.1&internalName=historian&internalTag=9.1";
    assert_eq!(call(&sim, "POST", target).await.status, 200);
    assert_eq!(
        tags_of(&sim.state().rows(), "historian"),
        vec![("9.1".to_owned(), digest)]
    );
}

#[tokio::test]
async fn a_pull_takes_time_in_proportion_to_the_image_size() {
    let sim = start(SimConfig::new(TOKEN).pull_bytes_per_sec(2_000_000_000)).await;
    let before = Instant::now();
    assert_eq!(call(&sim, "POST", PULL_PYTHON).await.status, 200);
    // 373,886,615 bytes at 2 GB/s is about 187 ms.
    assert!(
        before.elapsed() >= Duration::from_millis(180),
        "{:?}",
        before.elapsed()
    );
}

#[tokio::test]
async fn delete_removes_every_tag_sharing_the_digest() {
    let sim = start_default().await;
    let reply = call(
        &sim,
        "DELETE",
        &delete_target("alpine", ALPINE_LATEST_DIGEST),
    )
    .await;
    assert_eq!(reply.status, 204);
    assert!(reply.body.is_empty());
    let alpine = tags_of(&sim.state().rows(), "alpine");
    assert_eq!(
        alpine
            .iter()
            .map(|(tag, _)| tag.as_str())
            .collect::<Vec<_>>(),
        ["3.18"]
    );
    assert_eq!(sim.state().rows().len(), fixture_rows().len() - 2);
}

#[tokio::test]
async fn delete_accepts_the_path_with_and_without_the_trailing_slash() {
    let sim = start_default().await;
    let without_slash =
        delete_target("alpine", ALPINE_LATEST_DIGEST).replace("/image/?", "/image?");
    assert_eq!(call(&sim, "DELETE", &without_slash).await.status, 204);
    let nginx = "sha256:0d338212fcedf7e1fa07e63c289b1fea17e39c3f4d2223a1ba083dcd0e5e69a1";
    assert_eq!(
        call(&sim, "DELETE", &delete_target("nginx", nginx))
            .await
            .status,
        204
    );
    assert_eq!(sim.state().calls(Op::Delete), 2);
}

#[tokio::test]
async fn delete_of_an_unknown_image_is_404_and_a_missing_or_malformed_parameter_is_400() {
    let sim = start_default().await;
    let unknown = call(
        &sim,
        "DELETE",
        &delete_target("busybox", ALPINE_LATEST_DIGEST),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["code"], "E");
    let missing = call(&sim, "DELETE", "/admin/v1/registry/image/?name=alpine").await;
    assert_eq!(missing.status, 400);
    let malformed = call(
        &sim,
        "DELETE",
        "/admin/v1/registry/image/?name=alpine&digest=latest",
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(sim.state().rows(), fixture_rows());
}
