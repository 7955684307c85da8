//! Personal API tokens, stored by the SHA-256 of their secret.

use rusqlite::{OptionalExtension, params};
use shared::api::ApiTokenSummary;

use super::{Db, DbError};

impl Db {
    /// Stores a new token for `username`.
    pub async fn create_api_token(
        &self,
        username: String,
        name: String,
        secret_hash: String,
        now_ms: i64,
    ) -> Result<ApiTokenSummary, DbError> {
        self.call(move |c| {
            c.execute(
                "INSERT INTO api_tokens (username, name, secret_hash, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![username, name, secret_hash, now_ms],
            )?;
            Ok(ApiTokenSummary { id: c.last_insert_rowid(), name, created_at_ms: now_ms, last_used_at_ms: None })
        })
        .await
    }

    /// The user's tokens that are not revoked, newest first.
    pub async fn api_tokens(&self, username: String) -> Result<Vec<ApiTokenSummary>, DbError> {
        self.call(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, created_at_ms, last_used_at_ms FROM api_tokens
                 WHERE username = ?1 AND revoked_at_ms IS NULL ORDER BY id DESC",
            )?;
            let rows = stmt.query_map([username], |r| {
                Ok(ApiTokenSummary {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    created_at_ms: r.get(2)?,
                    last_used_at_ms: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// Revokes one of the user's tokens; `false` if there is no such active token.
    pub async fn revoke_api_token(
        &self,
        username: String,
        id: i64,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        self.call(move |c| {
            Ok(c.execute(
                "UPDATE api_tokens SET revoked_at_ms = ?3 WHERE id = ?1 AND username = ?2 AND revoked_at_ms IS NULL",
                params![id, username, now_ms],
            )? == 1)
        })
        .await
    }

    /// The owner of an active token with this secret hash, and the token's id and last use.
    pub async fn api_token_owner(
        &self,
        secret_hash: String,
    ) -> Result<Option<(i64, String, Option<i64>)>, DbError> {
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT id, username, last_used_at_ms FROM api_tokens WHERE secret_hash = ?1 AND revoked_at_ms IS NULL",
                [secret_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
        })
        .await
    }

    /// Records a token's use.
    pub async fn touch_api_token(&self, id: i64, now_ms: i64) -> Result<(), DbError> {
        self.call(move |c| {
            c.execute(
                "UPDATE api_tokens SET last_used_at_ms = ?2 WHERE id = ?1",
                params![id, now_ms],
            )?;
            Ok(())
        })
        .await
    }
}
