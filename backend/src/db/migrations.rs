//! Schema versions, applied in order inside one transaction each (tracked by `user_version`).

use rusqlite::Connection;

use super::DbError;

const MIGRATIONS: &[&str] = &[
    // 1: users, per-device roles, sessions, audit, jobs.
    r#"
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        enabled INTEGER NOT NULL DEFAULT 1,
        must_change_password INTEGER NOT NULL DEFAULT 0,
        created_at_ms INTEGER NOT NULL,
        last_login_at_ms INTEGER
    );
    -- Optional per-device role overrides: a user can be operator on one device, viewer on another.
    CREATE TABLE device_roles (
        username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
        device TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        PRIMARY KEY (username, device)
    );
    -- Only a SHA-256 of the session id is stored: a copy of the database opens no session.
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
        created_at_ms INTEGER NOT NULL,
        last_seen_at_ms INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions(username);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        client_addr TEXT NOT NULL,
        action TEXT NOT NULL,
        device TEXT,
        target TEXT,
        outcome TEXT NOT NULL,
        request_id TEXT NOT NULL
    );
    CREATE INDEX audit_by_time ON audit(at_ms);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device TEXT NOT NULL,
        external_url TEXT NOT NULL,
        external_name TEXT NOT NULL,
        external_tag TEXT NOT NULL,
        internal_name TEXT NOT NULL,
        internal_tag TEXT NOT NULL,
        state TEXT NOT NULL,
        stage TEXT,
        started_by TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        finished_at_ms INTEGER,
        overwrote_digest TEXT,
        result_digest TEXT,
        error_json TEXT
    );
    "#,
    // 2: personal API tokens (only a SHA-256 of the secret is stored).
    r#"
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        created_at_ms INTEGER NOT NULL,
        last_used_at_ms INTEGER,
        revoked_at_ms INTEGER
    );
    CREATE INDEX api_tokens_by_user ON api_tokens(username);
    "#,
];

pub(super) fn run(conn: &mut Connection) -> Result<(), DbError> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > MIGRATIONS.len() {
        return Err(DbError::Corrupt(format!(
            "the database is from a newer lem-panel (schema {current}, this build knows {}); upgrade the panel",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}
