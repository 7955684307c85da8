//! Login, cookies, throttling, one-time passwords and the audit trail of access.

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use shared::api::Role;

use crate::harness::{Harness, password_of};

async fn attempt(app: &Harness, user: &str, password: &str) -> crate::harness::Reply {
    app.call(
        Method::POST,
        "/api/v1/session",
        None,
        Some(json!({"username": user, "password": password})),
    )
    .await
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_scoped() {
    let app = Harness::new(vec![]).await;
    let reply = attempt(&app, "viewer", &password_of("viewer")).await;
    let cookie = reply.headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("lem_panel_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP default has no Secure flag"
    );
    let config = lem_panel::config::Config {
        public_url: Some("https://panel.example.local".into()),
        ..Default::default()
    };
    let secure = Harness::with_config(vec![], config).await;
    let reply = attempt(&secure, "viewer", &password_of("viewer")).await;
    let cookie = reply.headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(
        cookie.starts_with("__Host-lem_panel_session=") && cookie.contains("; Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn login_issues_a_new_session_id_and_the_old_one_stops_working() {
    let app = Harness::new(vec![]).await;
    let first = app.login("viewer").await;
    let reply = app
        .call(
            Method::POST,
            "/api/v1/session",
            Some(&first),
            Some(json!({"username": "viewer", "password": password_of("viewer")})),
        )
        .await;
    let second = reply.headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    assert_ne!(first, second);
    assert_eq!(
        app.get("/api/v1/session", &first).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/session", &second).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = Harness::new(vec![]).await;
    let unknown = attempt(&app, "nobody", "whatever-password").await;
    let wrong = attempt(&app, "viewer", "whatever-password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!((unknown.status, &unknown.body), (wrong.status, &wrong.body));
}

#[tokio::test]
async fn five_failures_lock_login_with_retry_after_until_the_window_passes() {
    let app = Harness::new(vec![]).await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, "viewer", "wrong-password!").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = attempt(&app, "viewer", &password_of("viewer")).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: u64 = locked.headers[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=300).contains(&retry), "{retry}");
    app.clock.advance_ms(5 * 60 * 1000);
    assert_eq!(
        attempt(&app, "viewer", &password_of("viewer")).await.status,
        StatusCode::OK,
        "unlocks by itself"
    );
}

#[tokio::test]
async fn a_one_time_password_must_be_changed_before_anything_else_and_the_change_ends_other_sessions()
 {
    let app = Harness::new(vec![]).await;
    let admin = app.login("admin").await;
    let created = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "newbie", "role": "operator"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let otp = created.body["oneTimePassword"]
        .as_str()
        .expect("otp")
        .to_owned();
    let login = attempt(&app, "newbie", &otp).await;
    assert_eq!(login.body["mustChangePassword"], true);
    let cookie = login.headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let other = attempt(&app, "newbie", &otp).await;
    let other = other.headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let blocked = app.get("/api/v1/devices", &cookie).await;
    assert_eq!(
        (blocked.status, blocked.code()),
        (StatusCode::FORBIDDEN, "password_change_required")
    );
    let change = app
        .call(
            Method::PUT,
            "/api/v1/session/password",
            Some(&cookie),
            Some(json!({"currentPassword": otp, "newPassword": "a much better password"})),
        )
        .await;
    assert_eq!(change.status, StatusCode::NO_CONTENT, "{}", change.text);
    assert_eq!(
        app.get("/api/v1/devices", &cookie).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/session", &other).await.status,
        StatusCode::UNAUTHORIZED,
        "other sessions ended"
    );
    let user = app
        .state
        .db
        .user("newbie".into())
        .await
        .expect("db")
        .expect("user");
    assert_eq!(user.summary.role, Role::Operator);
    assert!(
        user.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
}

#[tokio::test]
async fn each_access_action_writes_one_complete_audit_record() {
    let app = Harness::new(vec![]).await;
    attempt(&app, "viewer", "wrong-password!").await;
    let admin = app.login("admin").await;
    app.post(
        "/api/v1/users",
        &admin,
        json!({"username": "evil\nadmin", "role": "viewer"}),
    )
    .await;
    app.post(
        "/api/v1/users",
        &admin,
        json!({"username": "carol", "role": "viewer"}),
    )
    .await;
    app.call(
        Method::PATCH,
        "/api/v1/users/carol",
        Some(&admin),
        Some(json!({"role": "operator"})),
    )
    .await;
    app.post("/api/v1/users/carol/password-reset", &admin, json!({}))
        .await;
    app.call(Method::DELETE, "/api/v1/session", Some(&admin), None)
        .await;
    let records = app.state.db.audit(Default::default()).await.expect("audit");
    let actions: Vec<&str> = records.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "login_failed",
            "login_succeeded",
            "user_created",
            "user_updated",
            "password_reset",
            "logout"
        ],
        "the invalid user name was refused and not audited as created"
    );
    for record in &records {
        assert!(record.at_ms > 0 && !record.actor.is_empty() && !record.client_addr.is_empty());
        assert!(
            !record.request_id.is_empty() && record.request_id != "-",
            "{record:?}"
        );
        assert!(!record.outcome.is_empty());
    }
    let failed = records
        .iter()
        .find(|r| r.action.as_str() == "login_failed")
        .expect("record");
    assert_eq!(failed.actor, "viewer");
    let export = app
        .get("/api/v1/audit/export?format=csv", &app.login("admin").await)
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export
            .text
            .starts_with("id,at_utc,actor,client_addr,action,device,target,outcome,request_id\n")
    );
}
