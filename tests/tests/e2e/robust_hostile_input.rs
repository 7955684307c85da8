//! Robustness: hostile input at the panel, sent byte for byte over raw TCP. Oversized bodies
//! get 413 before any handler work, unknown methods 405, invalid JSON 400 — all in the JSON
//! envelope; path tricks (`..`, encoded slashes, NUL) never escape the routes or the web files;
//! header injection never reaches a response header; names with markup come back as JSON
//! strings and the served pages never reflect them. (That the browser renders them as text is
//! the browser tests' part.) Each test ends with the token canary over its responses, the
//! panel's logs (TRACE) and its files.

use std::net::SocketAddr;

use lem_panel_tests::hostile::{self, MARKER, assert_no_token};
use lem_panel_tests::raw_http::{self, RawReply};
use lem_panel_tests::{D1, TestApp, logs, row};
use serde_json::json;

const INDEX: &[u8] = b"<!doctype html><html><head><link rel=\"stylesheet\" href=\"/__LEM_BASE__/app-robust.css\"></head><body><div id=app></div></body></html>";
const STYLESHEET: &[u8] = b"body { margin: 0 }";
const MARKUP: &str = "<img src=x onerror=alert(1)>";

async fn hostile_app(device: &str) -> TestApp {
    hostile::watch_panel_panics();
    TestApp::builder()
        .device_id(device)
        .rows(vec![
            row("line1/hmi", "1.4.0", D1),
            row(MARKUP, "<script>alert(2)</script>", D1),
        ])
        .web_files(&[("index.html", INDEX), ("app-robust.css", STYLESHEET)])
        .start()
        .await
}

/// A request with `Connection: close`, the given headers and body (no `Content-Length` is
/// added: give it in `headers` when wanted).
fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
        .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A JSON-ish request as the web app would send it (session cookie, CSRF header, length).
fn api_request(
    method: &str,
    target: &str,
    cookie: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let length = body.len().to_string();
    let mut headers = vec![("x-lem-panel", "1"), ("Content-Length", length.as_str())];
    if let Some(cookie) = cookie {
        headers.push(("Cookie", cookie));
    }
    if let Some(content_type) = content_type {
        headers.push(("Content-Type", content_type));
    }
    request(method, target, &headers, body)
}

async fn send(addr: SocketAddr, bytes: &[u8]) -> RawReply {
    let reply = raw_http::send(addr, bytes).await.unwrap_or_else(|e| {
        panic!(
            "no answer to {:?}: {e}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        )
    });
    assert_no_token("a response", reply.raw.as_bytes());
    reply
}

/// What every answer of the panel's own (not hyper's parser-level 400) must have.
fn envelope_problem(reply: &RawReply, status: u16, code: &str) -> Option<String> {
    let problems = [
        (
            reply.status != status,
            format!("status {} instead of {status}", reply.status),
        ),
        (
            reply.code() != code,
            format!("code {:?} instead of {code}", reply.code()),
        ),
        (
            !reply
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "not JSON".to_owned(),
        ),
        (
            reply.header("x-content-type-options") != Some("nosniff"),
            "no nosniff".to_owned(),
        ),
        (
            reply.header("content-security-policy").is_none(),
            "no CSP".to_owned(),
        ),
    ];
    let found: Vec<String> = problems
        .into_iter()
        .filter(|(bad, _)| *bad)
        .map(|(_, what)| what)
        .collect();
    (!found.is_empty()).then(|| {
        format!(
            "{}: {}",
            found.join(", "),
            reply.raw.chars().take(400).collect::<String>()
        )
    })
}

fn assert_all(failures: &[String], what: &str, cases: usize) {
    println!(
        "robust hostile input, {what}: {cases} cases, {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{what}:\n{}", failures.join("\n"));
}

async fn audit_count(app: &TestApp) -> usize {
    let admin = app.new_client();
    admin.login_as("admin").await;
    admin.audit_query("limit=100000").await.body["records"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_oversized_bodies_get_413_in_the_envelope_before_any_handler_work() {
    let mark = logs::mark();
    let app = hostile_app("robust-413").await;
    app.login_as("admin").await;
    let cookie = app.session_cookie();
    let addr = app.panel_addr();
    let limit = app.config().limits.body_bytes;
    let audit_before = audit_count(&app).await;
    app.device().reset_counters();
    let huge_length = (limit * 160).to_string();
    let just_over = (limit + 1).to_string();
    let big = vec![b'x'; limit + 1];
    let mut chunked_body = Vec::new();
    for _ in 0..4 {
        chunked_body.extend_from_slice(format!("{:x}\r\n", limit / 2).as_bytes());
        chunked_body.extend(std::iter::repeat_n(b' ', limit / 2));
        chunked_body.extend_from_slice(b"\r\n");
    }
    chunked_body.extend_from_slice(b"0\r\n\r\n");
    let cookie = cookie.as_deref();
    fn with<'a>(length: &'a str, cookie: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
        let mut headers = vec![("x-lem-panel", "1"), ("Content-Type", "application/json")];
        headers.push(("Content-Length", length));
        if let Some(cookie) = cookie {
            headers.push(("Cookie", cookie));
        }
        headers
    }
    let chunked = {
        let mut headers = vec![
            ("x-lem-panel", "1"),
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ];
        if let Some(cookie) = cookie {
            headers.push(("Cookie", cookie));
        }
        headers
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // A declared length far over the limit, and no body at all: answered at once.
        (
            "login, 10 MB declared",
            request("POST", "/api/v1/session", &with(&huge_length, cookie), b""),
        ),
        (
            "import, 10 MB declared",
            request(
                "POST",
                "/api/v1/devices/robust-413/imports",
                &with(&huge_length, cookie),
                b"",
            ),
        ),
        (
            "deletion, one byte over",
            request(
                "POST",
                "/api/v1/devices/robust-413/deletions",
                &with(&just_over, cookie),
                &big,
            ),
        ),
        (
            "new user, one byte over",
            request("POST", "/api/v1/users", &with(&just_over, cookie), &big),
        ),
        (
            "login, chunked past the limit",
            request("POST", "/api/v1/session", &chunked, &chunked_body),
        ),
        (
            "import, chunked past the limit",
            request(
                "POST",
                "/api/v1/devices/robust-413/imports",
                &chunked,
                &chunked_body,
            ),
        ),
        (
            "a static file, 10 MB declared",
            request("POST", "/app-robust.css", &with(&huge_length, cookie), b""),
        ),
    ];
    let mut failures = Vec::new();
    for (what, bytes) in &cases {
        let reply = send(addr, bytes).await;
        if let Some(problem) = envelope_problem(&reply, 413, "payload_too_large") {
            failures.push(format!("{what}: {problem}"));
        }
    }

    assert_all(&failures, "oversized bodies", cases.len());
    assert_eq!(app.device().counters().requests, 0, "no device call");
    assert_eq!(app.jobs().await.body["jobs"], json!([]), "no job");
    assert_eq!(
        audit_count(&app).await,
        audit_before + 1,
        "only the counting login was audited"
    );
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_unknown_methods_get_405_in_the_envelope() {
    let mark = logs::mark();
    let app = hostile_app("robust-405").await;
    app.login_as("admin").await;
    let cookie = app.session_cookie();
    let addr = app.panel_addr();
    let cases = [
        ("PATCH", "/api/v1/devices/robust-405/images"),
        ("PUT", "/healthz"),
        ("DELETE", "/api/v1/jobs"),
        ("POST", "/api/v1/devices"),
        ("GET", "/api/v1/devices/robust-405/deletions"),
        ("FOO", "/api/v1/session"),
        ("BREW", "/api/v1/devices/robust-405/deletions"),
        ("PROPFIND", "/"),
        ("TRACE", "/api/v1/session"),
        ("OPTIONS", "/api/v1/devices"),
        ("POST", "/app-robust.css"),
        ("DELETE", "/"),
        ("MKCOL", "/images/new"),
    ];
    let mut failures = Vec::new();
    for (method, path) in cases {
        let reply = send(
            addr,
            &api_request(
                method,
                path,
                cookie.as_deref(),
                Some("application/json"),
                b"{}",
            ),
        )
        .await;
        if let Some(problem) = envelope_problem(&reply, 405, "method_not_allowed") {
            failures.push(format!("{method} {path}: {problem}"));
        }
    }
    assert_all(&failures, "unknown methods", cases.len());
    assert_eq!(app.device().counters().requests, 0, "no device call");
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_invalid_json_gets_400_in_the_envelope_and_a_wrong_content_type_415() {
    let mark = logs::mark();
    let app = hostile_app("robust-400").await;
    app.login_as("admin").await;
    let cookie = app.session_cookie();
    let addr = app.panel_addr();
    let audit_before = audit_count(&app).await;
    app.device().reset_counters();
    let deep = "[".repeat(10_000);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"{bad".to_vec()),
        ("empty", Vec::new()),
        ("a string", b"\"text\"".to_vec()),
        ("null", b"null".to_vec()),
        ("wrong types", br#"{"username":1,"password":2,"name":3,"digest":4,"externalUrl":5,"role":6,"newPassword":7,"currentPassword":8}"#.to_vec()),
        ("nested 10,000 deep", deep.into_bytes()),
        ("invalid UTF-8", b"{\"username\":\"\xff\xfe\",\"password\":\"x\"}".to_vec()),
        ("trailing garbage", br#"{"username":"a","password":"b"} {"#.to_vec()),
        ("byte order mark", b"\xef\xbb\xbf{\"username\":\"a\",\"password\":\"b\"}".to_vec()),
        ("NaN", br#"{"username":NaN}"#.to_vec()),
    ];
    let routes = [
        ("POST", "/api/v1/session"),
        ("PUT", "/api/v1/session/password"),
        ("POST", "/api/v1/devices/robust-400/imports"),
        ("POST", "/api/v1/devices/robust-400/deletions"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/viewer"),
    ];
    let mut failures = Vec::new();
    let mut cases = 0;
    for (method, path) in routes {
        for (what, body) in &bodies {
            cases += 1;
            let reply = send(
                addr,
                &api_request(
                    method,
                    path,
                    cookie.as_deref(),
                    Some("application/json"),
                    body,
                ),
            )
            .await;
            if let Some(problem) = envelope_problem(&reply, 400, "invalid_json") {
                failures.push(format!("{method} {path} with {what}: {problem}"));
            }
            if hostile::find_in(&reply.body, "\u{fffd}").is_some() {
                failures.push(format!(
                    "{method} {path} with {what}: echoes the invalid bytes"
                ));
            }
        }
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            cases += 1;
            let body = br#"{"username":"admin","password":"admin-e2e-password-42"}"#;
            let reply = send(
                addr,
                &api_request(method, path, cookie.as_deref(), content_type, body),
            )
            .await;
            if let Some(problem) = envelope_problem(&reply, 415, "unsupported_media_type") {
                failures.push(format!("{method} {path} as {content_type:?}: {problem}"));
            }
        }
    }
    assert_all(&failures, "invalid JSON and content types", cases);
    assert_eq!(app.device().counters().requests, 0, "no device call");
    assert_eq!(
        audit_count(&app).await,
        audit_before + 1,
        "nothing audited but the counting login"
    );
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_path_tricks_never_escape_the_routes_or_the_web_files() {
    let mark = logs::mark();
    let app = hostile_app("robust-path").await;
    app.login_as("viewer").await;
    let cookie = app.session_cookie().unwrap_or_default();
    let addr = app.panel_addr();
    // The web files live in <dir>/web; the database is <dir>/panel.db, one step up.
    assert!(app.data_dir().join("panel.db").exists() && app.data_dir().join("web").is_dir());
    let targets = [
        "/../panel.db",
        "/%2e%2e/panel.db",
        "/..%2fpanel.db",
        "/%2e%2e%2fpanel.db",
        "/..%5cpanel.db",
        "/..\\panel.db",
        "/web/../panel.db",
        "/./panel.db",
        "//panel.db",
        "/app-robust.css/../../panel.db",
        "/app-robust.css%00.html",
        "/app-robust.css%2f..%2f..%2fpanel.db",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/%252e%252e/%252e%252e/etc/passwd",
        "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
        "/api/v1/devices/../users",
        "/api/v1/devices/..%2fusers",
        "/api/v1/devices/robust-path%2fimages",
        "/api/v1/devices/robust-path/images/..",
        "/api/v1/devices/%2e%2e/images",
        "/api/v1/devices/robust-path%00/images",
        "/api/v1/jobs/1%00",
        "/api/v1/jobs/-1",
        "/api/v1/jobs/99999999999999999999999",
        "/api/v1/users/..%2f..%2fadmin/password-reset",
        "/api/v1/./users",
        "/api/v1//users",
        "/API/V1/USERS",
        "http://evil.example/api/v1/users",
        "*",
    ];
    let mut failures = Vec::new();
    let index = app.get("").await.bytes;
    for target in targets {
        let reply = send(addr, &request("GET", target, &[("Cookie", &cookie)], b"")).await;
        let body = String::from_utf8_lossy(&reply.body);
        let leaked = body.contains("SQLite format")
            || body.contains("root:")
            || reply.body == STYLESHEET && target != "/app-robust.css";
        // Routes are case-sensitive: `/API/…` is a client-side route of the app.
        let api = target.contains("/api/");
        let problem = if reply.status >= 500 {
            Some(format!("server error {}", reply.status))
        } else if leaked {
            Some("served a file outside the web app".to_owned())
        } else if api && reply.status < 400 {
            Some(format!(
                "an API answer {} to a viewer: {body}",
                reply.status
            ))
        } else if reply.status == 200 && !api && reply.body != index {
            Some(format!("200 with something other than the app: {body}"))
        } else if reply.status > 400 && reply.code().is_empty() {
            Some(format!("{} without the envelope: {body}", reply.status))
        } else {
            None
        };
        if let Some(problem) = problem {
            failures.push(format!("GET {target}: {problem}"));
        }
    }
    // Bytes no request line may carry: refused by the HTTP parser itself.
    for target in [
        "/a\0b",
        "/api/v1/devices/robust-path\0/images",
        "/a b",
        "/\x7f",
    ] {
        let reply = send(addr, &request("GET", target, &[], b"")).await;
        if reply.status != 400 {
            failures.push(format!("GET {target:?}: {} instead of 400", reply.status));
        }
    }
    let long = format!("/{}", "a".repeat(100_000));
    let reply = send(addr, &request("GET", &long, &[], b"")).await;
    if !(reply.status == 400 || reply.status == 414 || reply.status == 431 || reply.body == index) {
        failures.push(format!("a 100 KB path: {}", reply.status));
    }
    assert_all(&failures, "path tricks", targets.len() + 5);
    assert_eq!(app.healthz().await.status, 200);
    assert_eq!(hostile::panel_panics(), 0, "a panel panicked");
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_header_injection_attempts_never_reach_a_response_header() {
    let mark = logs::mark();
    let app = hostile_app("robust-headers").await;
    app.login_as("admin").await;
    let cookie = app.session_cookie().unwrap_or_default();
    let addr = app.panel_addr();
    let based = TestApp::builder().base_path("/registry").start().await;
    // Injected means a header of the attacker's making, not their text inside a value (a
    // client's own request id comes back as is; a query stays percent-encoded in a Location).
    let injected = |reply: &RawReply| {
        reply
            .headers
            .iter()
            .any(|(name, value)| name == "evil" || name == "set-cookie" && value.contains("evil"))
    };
    let login_crlf =
        json!({"username": "admin\r\nSet-Cookie: evil=1", "password": "x\r\nEvil: 1"}).to_string();
    let cases: Vec<(&str, SocketAddr, Vec<u8>)> = vec![
        (
            "a bare LF in a header",
            addr,
            request(
                "GET",
                "/healthz",
                &[("X-Request-Id", "a\nSet-Cookie: evil=1")],
                b"",
            ),
        ),
        (
            "a folded header",
            addr,
            request(
                "GET",
                "/healthz",
                &[("X-Test", "a\r\n Set-Cookie: evil=1")],
                b"",
            ),
        ),
        (
            "a request id with markup",
            addr,
            request(
                "GET",
                "/healthz",
                &[("X-Request-Id", "<script>evil=1</script>")],
                b"",
            ),
        ),
        (
            "a NUL in a header",
            addr,
            request(
                "GET",
                "/healthz",
                &[("X-Test", "a\0Set-Cookie: evil=1")],
                b"",
            ),
        ),
        (
            "CR/LF in login fields",
            addr,
            api_request(
                "POST",
                "/api/v1/session",
                None,
                Some("application/json"),
                login_crlf.as_bytes(),
            ),
        ),
        (
            "encoded CR/LF in a device id",
            addr,
            request(
                "GET",
                "/api/v1/devices/x%0d%0aSet-Cookie:%20evil=1/images",
                &[("Cookie", &cookie)],
                b"",
            ),
        ),
        (
            "encoded CR/LF in a job id",
            addr,
            request(
                "GET",
                "/api/v1/jobs/1%0d%0aEvil:%201",
                &[("Cookie", &cookie)],
                b"",
            ),
        ),
        (
            "encoded CR/LF in an audit filter",
            addr,
            request(
                "GET",
                "/api/v1/audit?actor=%0d%0aSet-Cookie:%20evil=1&format=csv",
                &[("Cookie", &cookie)],
                b"",
            ),
        ),
        (
            "encoded CR/LF in the export format",
            addr,
            request(
                "GET",
                "/api/v1/audit/export?format=csv%0d%0aEvil:%201",
                &[("Cookie", &cookie)],
                b"",
            ),
        ),
        (
            "encoded CR/LF after the base path",
            based.panel_addr(),
            request("GET", "/registry?x=%0d%0aSet-Cookie:%20evil=1", &[], b""),
        ),
        (
            "a protocol-relative redirect",
            based.panel_addr(),
            request("GET", "/registry?//evil.example/%0d%0aEvil:1", &[], b""),
        ),
    ];
    let mut failures = Vec::new();
    for (what, target, bytes) in &cases {
        let reply = send(*target, bytes).await;
        if injected(&reply) {
            failures.push(format!(
                "{what}: {}",
                reply.raw.chars().take(600).collect::<String>()
            ));
        }
        if let Some(location) = reply.header("location")
            && !location.starts_with("/registry/")
        {
            failures.push(format!("{what}: redirects to {location}"));
        }
        if reply.status >= 500 || reply.status == 0 {
            failures.push(format!("{what}: {}", reply.status));
        }
    }
    // A cross-site origin smuggling a second header into its own is still refused.
    let forged = request(
        "POST",
        "/api/v1/devices/robust-headers/deletions",
        &[
            ("Cookie", &cookie),
            ("x-lem-panel", "1"),
            ("Content-Type", "application/json"),
            (
                "Origin",
                "https://evil.example\r\nX-Forwarded-Host: 127.0.0.1",
            ),
        ],
        b"",
    );
    let reply = send(addr, &forged).await;
    if reply.status != 403 || reply.code() != "csrf_rejected" {
        failures.push(format!("a forged origin: {} {}", reply.status, reply.raw));
    }
    let audit = app.export_audit("csv").await;
    if audit.text.contains("\r\nSet-Cookie") || audit.text.contains("\nSet-Cookie") {
        failures.push(format!("raw CR/LF in the audit export: {}", audit.text));
    }
    assert_all(&failures, "header injection", cases.len() + 2);
    hostile::assert_no_token_anywhere(&app, mark);
    hostile::assert_no_token_anywhere(&based, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_names_with_markup_come_back_as_json_strings_and_the_served_pages_never_reflect_them()
 {
    let mark = logs::mark();
    let app = hostile_app("robust-markup").await;
    app.login_as("admin").await;
    let cookie = app.session_cookie().unwrap_or_default();
    let addr = app.panel_addr();
    let mut failures = Vec::new();

    // The device's markup names: JSON strings, flagged, with the headers that stop sniffing.
    let images = app.images().await;
    let listed: Vec<&str> = images.body["images"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    if !listed.contains(&MARKUP) {
        failures.push(format!(
            "the markup name is not listed verbatim: {}",
            images.text
        ));
    }
    let markup_row = images.body["images"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == MARKUP).cloned())
        .unwrap_or_default();
    if !markup_row["flags"]
        .as_array()
        .is_some_and(|f| f.contains(&json!("non_standard_name")))
    {
        failures.push(format!("the markup row is not flagged: {markup_row}"));
    }
    for (name, value) in [
        ("content-type", "application/json"),
        ("x-content-type-options", "nosniff"),
    ] {
        if !images.header(name).is_some_and(|v| v.starts_with(value)) {
            failures.push(format!("the list lacks {name}: {value}"));
        }
    }
    // Markup the user types: refused by the validators, the value only inside a JSON string.
    let import = app
        .import(&lem_panel_tests::import_body(
            "docker.io",
            "alpine",
            "3.20",
            "<svg onload=alert(1)>",
            "1",
        ))
        .await;
    if import.status != 400 || import.field() != "internalName" {
        failures.push(format!("import: {} {}", import.status, import.text));
    }
    let delete = app.delete(MARKUP, D1, &["<script>alert(2)</script>"]).await;
    if delete.status != 400 || delete.field() != "name" {
        failures.push(format!("delete: {} {}", delete.status, delete.text));
    }
    let login = app
        .new_client()
        .login("<script>alert(3)</script>", "whatever-password")
        .await;
    if login.status != 401 {
        failures.push(format!("login: {} {}", login.status, login.text));
    }
    let audit = app.audit().await;
    let actors: Vec<&str> = audit.body["records"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["actor"].as_str()).collect())
        .unwrap_or_default();
    if !actors.contains(&"<script>alert(3)</script>") {
        failures.push(format!(
            "the audit actor is not kept verbatim as a JSON string: {actors:?}"
        ));
    }
    // The served pages: the app, client-side routes, static files, error pages.
    let index = app.get("").await.bytes;
    // As a browser sends them (percent-encoded), and raw (refused by the HTTP parser itself).
    let pages = [
        format!("/?q=%3Cscript%3E{MARKER}%3C/script%3E"),
        format!("/images/%3Cscript%3E{MARKER}%3C/script%3E"),
        format!("/images/%22%3E%3Cimg%20src=x%20onerror=alert({MARKER})%3E"),
        format!("/app-robust.css?%3Cscript%3E{MARKER}"),
        format!("/api/v1/%3Cscript%3E{MARKER}%3C/script%3E"),
        format!("/api/v1/devices/robust-markup/images?x=%3Cscript%3E{MARKER}"),
        format!("/{MARKER}.js"),
        format!("/healthz?%3Cscript%3E{MARKER}"),
        format!("/?q=<script>{MARKER}</script>"),
        format!("/images/<script>{MARKER}</script>"),
    ];
    for page in &pages {
        let reply = send(addr, &request("GET", page, &[("Cookie", &cookie)], b"")).await;
        if reply.status == 400 && reply.body.is_empty() && page.contains('<') {
            continue;
        }
        if hostile::find_in(reply.raw.as_bytes(), MARKER).is_some() {
            failures.push(format!(
                "GET {page} reflects the input: {}",
                reply.raw.chars().take(500).collect::<String>()
            ));
        }
        let is_html = reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"));
        if is_html && reply.body != index {
            failures.push(format!("GET {page}: an HTML page other than the app"));
        }
        if reply.header("content-security-policy").is_none()
            || reply.header("x-content-type-options") != Some("nosniff")
        {
            failures.push(format!("GET {page}: security headers missing"));
        }
    }
    // An unknown device id is named in the error message: as a JSON string, not a page.
    let unknown = send(
        addr,
        &request(
            "GET",
            &format!("/api/v1/devices/%3Cscript%3E{MARKER}/images"),
            &[("Cookie", &cookie)],
            b"",
        ),
    )
    .await;
    if let Some(problem) = envelope_problem(&unknown, 404, "not_found") {
        failures.push(format!("an unknown device with markup: {problem}"));
    }
    assert_all(&failures, "names with markup", 9 + pages.len());
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_request_bodies_that_are_json_arrays_get_400_invalid_json() {
    let mark = logs::mark();
    let app = hostile_app("robust-array").await;
    app.login_as("admin").await;
    let cases = [
        ("PATCH", "api/v1/users/viewer", json!(["admin", false])),
        ("PATCH", "api/v1/users/viewer", json!([])),
        (
            "POST",
            "api/v1/session",
            json!(["operator", lem_panel_tests::password_of("operator")]),
        ),
        (
            "POST",
            "api/v1/devices/robust-array/deletions",
            json!(["line1/hmi", D1, ["1.4.0"]]),
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body) in &cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        // Logging in needs no session; the others run as the logged-in admin.
        let client = if path.ends_with("session") {
            app.new_client()
        } else {
            app.client().clone()
        };
        let reply = client.request(method.clone(), path, Some(body)).await;
        if reply.status != 400 || reply.code() != "invalid_json" {
            failures.push(format!(
                "{method} {path} {body}: {} {}",
                reply.status, reply.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "array bodies accepted:\n{}",
        failures.join("\n")
    );
    hostile::assert_no_token_anywhere(&app, mark);
}
