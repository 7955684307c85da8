//! The admin screens in the browser: managing users (create with a one-time password, change
//! role, disable, reset password) and reading the audit trail (filters, export).

use lem_panel_tests::TestApp;
use lem_panel_tests::browser::{Browser, Failure, Window, tid};
use serde_json::{Value, json};

use super::{app, run, test_name};

/// The user `name` as the users API reports it.
async fn user(b: &Browser, name: &str) -> Result<Value, Failure> {
    let (status, body) = b.fetch("GET", "api/v1/users", None).await?;
    assert_eq!(status, 200, "{body}");
    Ok(body["users"]
        .as_array()
        .and_then(|users| users.iter().find(|u| u["username"] == json!(name)))
        .cloned()
        .unwrap_or(Value::Null))
}

/// The selector of the users table's row of `name`.
fn user_row(name: &str) -> String {
    format!("[data-testid=\"user-row\"][data-username=\"{name}\"]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_user_changes_the_role_disables_and_resets_the_password_in_the_browser()
{
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.goto("users").await?;
        b.wait_for(&tid("users-table")).await?;

        // Create: the one-time password is shown once and works (the user must change it).
        b.fill(&tid("new-username"), "carol").await?;
        b.select("#new-role", "operator").await?;
        b.click(&tid("create-user")).await?;
        let first = b.wait_for_text(&tid("one-time-password"), "").await?;
        assert!(first.len() >= 12, "{first:?}");
        b.wait_for(&user_row("carol")).await?;
        assert_eq!(user(b, "carol").await?["role"], json!("operator"));
        let carol = app.new_client();
        let login = carol.login("carol", &first).await;
        assert_eq!(login.status, 200, "{}", login.text);
        assert_eq!(login.body["mustChangePassword"], json!(true), "{}", login.text);

        // Change the role.
        b.select("#role-carol", "viewer").await?;
        b.wait_until(
            "the role change to reach the server",
            "return fetch(arguments[0]).then(r => r.json()).then(j => j.users.some(u => u.username === 'carol' && u.role === 'viewer'))",
            vec![json!(format!("{}api/v1/users", app.panel_url()))],
        )
        .await?;

        // Disable: carol's session ends at once and her password stops working.
        let disable = format!("{} button", user_row("carol"));
        b.click(&format!("{disable}:not([disabled])")).await?;
        b.wait_for_text(&user_row("carol"), "Disabled").await?;
        assert_eq!(user(b, "carol").await?["enabled"], json!(false));
        assert_eq!(carol.session().await.status, 401, "the session ended");
        assert_eq!(carol.login("carol", &first).await.status, 401);

        // Enable again and reset the password: a new one-time password replaces the first.
        b.click(&format!("{disable}:not([disabled])")).await?;
        b.wait_for_text(&user_row("carol"), "Must change password")
            .await?;
        b.click(&format!(
            "{} button:nth-of-type(2)",
            user_row("carol")
        ))
        .await?;
        b.click(&tid("reset-confirm")).await?;
        b.wait_until(
            "a new one-time password",
            "const e = document.querySelector('[data-testid=\"one-time-password\"]'); return !!e && e.textContent !== arguments[0]",
            vec![json!(first)],
        )
        .await?;
        let second = b.text(&tid("one-time-password")).await?;
        assert_ne!(second, first);
        assert_eq!(carol.login("carol", &first).await.status, 401, "the old one is void");
        assert_eq!(carol.login("carol", &second).await.status, 200);
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_page_filters_by_user_and_action_and_exports_what_it_shows() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    // Something to find: a failed and a good login of the viewer.
    let viewer = app.new_client();
    assert_eq!(
        viewer.login("viewer", "not-the-password-123").await.status,
        401
    );
    viewer.login_as("viewer").await;
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.goto("audit").await?;
        b.wait_for(&tid("audit-table")).await?;
        let all = b.count(&tid("audit-row")).await?;
        assert!(all >= 3, "the viewer's two logins and the admin's: {all}");

        b.fill("#audit-actor", "viewer").await?;
        b.select("#audit-action", "login_failed").await?;
        b.click(&format!("{} button[type=\"submit\"]", tid("audit-filters")))
            .await?;
        b.wait_count(&tid("audit-row"), 1).await?;
        assert_eq!(
            b.attrs(&tid("audit-row"), "data-action").await?,
            ["login_failed"]
        );
        assert!(b.text(&tid("audit-row")).await?.contains("viewer"));

        b.select("#audit-action", "").await?;
        b.click(&format!("{} button[type=\"submit\"]", tid("audit-filters")))
            .await?;
        b.wait_count(&tid("audit-row"), 2).await?;

        // Export asks the server for the same filter and saves it without an error.
        b.click(&tid("audit-export-csv")).await?;
        b.wait_until(
            "the export request to answer 200",
            "return performance.getEntriesByType('resource').some(e => e.name.includes('/api/v1/audit/export') && e.name.includes('format=csv') && e.name.includes('actor=viewer') && e.responseStatus === 200)",
            vec![],
        )
        .await?;
        assert!(!b.exists(&tid("error-message")).await?);
        Ok(())
    })
    .await;
}
