//! Users and their per-device roles.

use rusqlite::{OptionalExtension, Row, params};
use shared::api::{Role, UserSummary};

use super::{Db, DbError};

/// A user row, with the password hash (never leaves the server).
#[derive(Clone)]
pub struct StoredUser {
    /// Public part.
    pub summary: UserSummary,
    /// Argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for StoredUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredUser")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// A change to a user.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    /// New role.
    pub role: Option<Role>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

pub(super) fn role_from(text: String) -> Result<Role, rusqlite::Error> {
    Role::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown role {text}").into(),
        )
    })
}

pub(super) fn user_from_row(row: &Row<'_>) -> Result<StoredUser, rusqlite::Error> {
    Ok(StoredUser {
        summary: UserSummary {
            username: row.get(0)?,
            role: role_from(row.get(1)?)?,
            enabled: row.get(2)?,
            must_change_password: row.get(3)?,
            created_at_ms: row.get(4)?,
            last_login_at_ms: row.get(5)?,
        },
        password_hash: row.get(6)?,
    })
}

pub(super) const USER_COLUMNS: &str =
    "username, role, enabled, must_change_password, created_at_ms, last_login_at_ms, password_hash";

impl Db {
    /// Creates a user; `Ok(false)` if the name is taken.
    pub async fn create_user(
        &self,
        username: String,
        password_hash: String,
        role: Role,
        must_change_password: bool,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        self.call(move |c| {
            let inserted = c.execute(
                "INSERT OR IGNORE INTO users (username, password_hash, role, must_change_password, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![username, password_hash, role.as_str(), must_change_password, now_ms],
            )?;
            Ok(inserted == 1)
        })
        .await
    }

    /// One user.
    pub async fn user(&self, username: String) -> Result<Option<StoredUser>, DbError> {
        self.call(move |c| {
            Ok(c.query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                [username],
                user_from_row,
            )
            .optional()?)
        })
        .await
    }

    /// All users, by name.
    pub async fn users(&self) -> Result<Vec<UserSummary>, DbError> {
        self.call(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY username"
            ))?;
            let rows = stmt.query_map([], user_from_row)?;
            Ok(rows
                .map(|r| r.map(|u| u.summary))
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    /// How many users exist.
    pub async fn user_count(&self) -> Result<i64, DbError> {
        self.call(|c| Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?))
            .await
    }

    /// Applies a change; disabling also ends the user's sessions, in the same transaction.
    /// `Ok(None)` if there is no such user.
    pub async fn update_user(
        &self,
        username: String,
        change: UserChange,
    ) -> Result<Option<UserSummary>, DbError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            if let Some(role) = change.role {
                tx.execute(
                    "UPDATE users SET role = ?2 WHERE username = ?1",
                    params![username, role.as_str()],
                )?;
            }
            if let Some(enabled) = change.enabled {
                tx.execute(
                    "UPDATE users SET enabled = ?2 WHERE username = ?1",
                    params![username, enabled],
                )?;
                if !enabled {
                    tx.execute("DELETE FROM sessions WHERE username = ?1", [&username])?;
                }
            }
            let user = tx
                .query_row(
                    &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                    [&username],
                    user_from_row,
                )
                .optional()?;
            tx.commit()?;
            Ok(user.map(|u| u.summary))
        })
        .await
    }

    /// Sets a new password hash and ends every session of the user except `keep_session`.
    pub async fn set_password(
        &self,
        username: String,
        password_hash: String,
        must_change_password: bool,
        keep_session: Option<String>,
    ) -> Result<bool, DbError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            let changed = tx.execute(
                "UPDATE users SET password_hash = ?2, must_change_password = ?3 WHERE username = ?1",
                params![username, password_hash, must_change_password],
            )?;
            tx.execute(
                "DELETE FROM sessions WHERE username = ?1 AND id_hash IS NOT ?2",
                params![username, keep_session],
            )?;
            tx.commit()?;
            Ok(changed == 1)
        })
        .await
    }

    /// Records a successful login time.
    pub async fn record_login(&self, username: String, now_ms: i64) -> Result<(), DbError> {
        self.call(move |c| {
            c.execute(
                "UPDATE users SET last_login_at_ms = ?2 WHERE username = ?1",
                params![username, now_ms],
            )?;
            Ok(())
        })
        .await
    }

    /// The user's role on each device where it differs from their global role.
    pub async fn device_roles(&self, username: String) -> Result<Vec<(String, Role)>, DbError> {
        self.call(move |c| {
            let mut stmt =
                c.prepare("SELECT device, role FROM device_roles WHERE username = ?1")?;
            let rows = stmt.query_map([username], |r| {
                Ok((r.get::<_, String>(0)?, role_from(r.get(1)?)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// Sets (or with `None` clears) a user's role on one device.
    pub async fn set_device_role(
        &self,
        username: String,
        device: String,
        role: Option<Role>,
    ) -> Result<(), DbError> {
        self.call(move |c| {
            match role {
                Some(role) => c.execute(
                    "INSERT INTO device_roles (username, device, role) VALUES (?1, ?2, ?3)
                     ON CONFLICT(username, device) DO UPDATE SET role = excluded.role",
                    params![username, device, role.as_str()],
                )?,
                None => c.execute(
                    "DELETE FROM device_roles WHERE username = ?1 AND device = ?2",
                    params![username, device],
                )?,
            };
            Ok(())
        })
        .await
    }
}
