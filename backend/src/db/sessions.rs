//! Server-side sessions, stored by the SHA-256 of their id.

use rusqlite::{OptionalExtension, params};

use shared::api::Role;

use super::users::{USER_COLUMNS, role_from, user_from_row};
use super::{Db, DbError, StoredUser};

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Hash of the session id.
    pub id_hash: String,
    /// Owner.
    pub username: String,
    /// Login time.
    pub created_at_ms: i64,
    /// Last request.
    pub last_seen_at_ms: i64,
}

impl Db {
    /// Stores a new session.
    pub async fn create_session(
        &self,
        id_hash: String,
        username: String,
        now_ms: i64,
    ) -> Result<(), DbError> {
        self.call(move |c| {
            c.execute(
                "INSERT INTO sessions (id_hash, username, created_at_ms, last_seen_at_ms) VALUES (?1, ?2, ?3, ?3)",
                params![id_hash, username, now_ms],
            )?;
            Ok(())
        })
        .await
    }

    /// The session with this id hash, its user and the user's per-device roles, in one trip to
    /// the blocking pool (this runs on every authenticated request).
    pub async fn session_caller(
        &self,
        id_hash: String,
    ) -> Result<Option<(SessionRow, StoredUser, Vec<(String, Role)>)>, DbError> {
        self.call(move |c| {
            let session = c
                .query_row(
                    "SELECT id_hash, username, created_at_ms, last_seen_at_ms FROM sessions WHERE id_hash = ?1",
                    [&id_hash],
                    |r| {
                        Ok(SessionRow {
                            id_hash: r.get(0)?,
                            username: r.get(1)?,
                            created_at_ms: r.get(2)?,
                            last_seen_at_ms: r.get(3)?,
                        })
                    },
                )
                .optional()?;
            let Some(session) = session else {
                return Ok(None);
            };
            let user = c
                .query_row(
                    &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                    [&session.username],
                    user_from_row,
                )
                .optional()?;
            let Some(user) = user else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached("SELECT device, role FROM device_roles WHERE username = ?1")?;
            let roles = stmt
                .query_map([&session.username], |r| Ok((r.get::<_, String>(0)?, role_from(r.get(1)?)?)))?
                .collect::<Result<_, _>>()?;
            Ok(Some((session, user, roles)))
        })
        .await
    }

    /// Marks a session as used now.
    pub async fn touch_session(&self, id_hash: String, now_ms: i64) -> Result<(), DbError> {
        self.call(move |c| {
            c.execute(
                "UPDATE sessions SET last_seen_at_ms = ?2 WHERE id_hash = ?1",
                params![id_hash, now_ms],
            )?;
            Ok(())
        })
        .await
    }

    /// Ends one session.
    pub async fn delete_session(&self, id_hash: String) -> Result<(), DbError> {
        self.call(move |c| {
            c.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
            Ok(())
        })
        .await
    }

    /// Removes sessions idle since `idle_before` or created before `created_before`.
    pub async fn purge_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<usize, DbError> {
        self.call(move |c| {
            Ok(c.execute(
                "DELETE FROM sessions WHERE last_seen_at_ms < ?1 OR created_at_ms < ?2",
                params![idle_before, created_before],
            )?)
        })
        .await
    }
}
