//! BC-10 end to end: dots in names and tags are data, not file extensions.

use lem_panel_tests::{D1, D2, TestApp, row};
use lem_sim::Op;
use serde_json::json;

use crate::{find_row, references};

const DIGEST_3: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const DIGEST_4: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const INDEX: &[u8] = b"<!doctype html><html><body>lem-panel e2e app</body></html>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc10_names_and_tags_with_dots_list_route_and_delete_as_themselves() {
    let app = TestApp::builder()
        .rows(vec![
            row("myuser/php-5.5", "1.4.2", D1),
            row("myuser/php-5.5", "2.0.0-rc.1", D2),
            row("tools/cfg", "index.html", DIGEST_3),
            row("tools/cfg", "v1.json", DIGEST_4),
        ])
        .web_files(&[("index.html", INDEX)])
        .start()
        .await;
    app.login_as("admin").await;

    let images = app.images().await;
    assert_eq!(
        references(&images),
        [
            "myuser/php-5.5:1.4.2",
            "myuser/php-5.5:2.0.0-rc.1",
            "tools/cfg:index.html",
            "tools/cfg:v1.json"
        ]
    );
    for (name, tag) in [("myuser/php-5.5", "1.4.2"), ("tools/cfg", "index.html")] {
        assert_eq!(
            find_row(&images, name, tag).expect("listed")["flags"],
            json!([]),
            "{name}:{tag}"
        );
    }
    for deep_link in [
        "images/tools/cfg/index.html",
        "images/tools/cfg/v1.json",
        "images/myuser/php-5.5/1.4.2",
    ] {
        let page = app.get(deep_link).await;
        assert_eq!(page.status, 200, "{deep_link}");
        assert_eq!(page.bytes, INDEX, "{deep_link} serves the app");
    }

    let deleted = app.delete("tools/cfg", DIGEST_3, &["index.html"]).await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let sent: Vec<_> = app
        .device()
        .requests()
        .into_iter()
        .filter(|r| r.op == Some(Op::Delete))
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].query_values("name"), ["tools/cfg"]);
    assert_eq!(sent[0].query_values("digest"), [DIGEST_3]);
    assert!(find_row(&app.images().await, "tools/cfg", "v1.json").is_some());
}
