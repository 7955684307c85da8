//! BC-08 end to end: served under `/registry`, everything lives below it.

use lem_panel_tests::TestApp;
use reqwest::Method;

const INDEX: &[u8] = b"<!doctype html><html><head><script type=\"module\" src=\"/__LEM_BASE__/app-e2e.js\"></script></head><body></body></html>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc08_under_registry_the_app_api_and_cookie_all_live_below_the_base_path() {
    let app = TestApp::builder()
        .base_path("/registry")
        .web_files(&[("index.html", INDEX), ("app-e2e.js", b"export default 1;")])
        .start()
        .await;
    assert!(
        app.panel_url().ends_with("/registry/"),
        "{}",
        app.panel_url()
    );

    let bare = app
        .request_from_root(Method::GET, "/registry", None, &[])
        .await;
    assert_eq!(bare.status, 308);
    assert_eq!(bare.header("location"), Some("/registry/"));

    let index = app.get("").await;
    assert_eq!(index.status, 200, "{}", index.text);
    assert!(
        index.text.contains("src=\"/registry/app-e2e.js\""),
        "{}",
        index.text
    );
    assert_eq!(app.get("app-e2e.js").await.status, 200);
    let deep_link = app.get("images/line1/hmi").await;
    assert_eq!(deep_link.status, 200);
    assert_eq!(deep_link.text, index.text, "a deep link serves the app");

    let login = app.login_as("viewer").await;
    let cookie = login.header("set-cookie").expect("a session cookie");
    assert!(cookie.contains("Path=/registry"), "{cookie}");
    assert_eq!(
        app.images().await.status,
        200,
        "the API answers under /registry/api/v1"
    );

    for outside in [
        "/api/v1/session",
        "/api/v1/devices",
        "/healthz",
        "/app-e2e.js",
        "/",
    ] {
        let reply = app.request_from_root(Method::GET, outside, None, &[]).await;
        assert_eq!(
            reply.status, 404,
            "{outside} must not be served: {}",
            reply.text
        );
    }
    let logout = app.logout().await;
    assert_eq!(logout.status, 204);
    assert!(
        logout
            .header("set-cookie")
            .is_some_and(|c| c.contains("Path=/registry"))
    );
}
