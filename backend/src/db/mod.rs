//! The panel's own state in one embedded SQLite file: users, sessions, audit trail, jobs.
//! WAL mode with `synchronous = FULL`: a crash or SIGKILL loses no committed record. Calls run
//! on the blocking pool so a slow disk never stalls the async workers.

mod api_tokens;
mod audit;
mod jobs;
mod migrations;
mod sessions;
mod users;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

pub use audit::{AuditEntry, AuditFilter};
pub use jobs::JobUpdate;
pub use sessions::SessionRow;
pub use users::{StoredUser, UserChange};

/// Database failures. The message is for the log only.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The blocking task failed.
    #[error("database task: {0}")]
    Task(String),
    /// Stored data is not what the code expects.
    #[error("database content: {0}")]
    Corrupt(String),
}

impl From<DbError> for crate::error::ApiError {
    fn from(e: DbError) -> Self {
        crate::error::ApiError::internal(e)
    }
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db")
    }
}

impl Db {
    /// Opens (creating if needed) and migrates the database file.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbError::Task(format!("cannot create {}: {e}", parent.display())))?;
        }
        Self::init(Connection::open(path)?)
    }

    /// An in-memory database (tests).
    pub fn in_memory() -> Result<Self, DbError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, DbError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations::run(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| DbError::Task("connection lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Runs `f` with the connection on the current thread (startup and CLI only).
    pub fn call_blocking<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| DbError::Task("connection lock poisoned".into()))?;
        f(&mut guard)
    }

    /// `PRAGMA integrity_check` is `ok`.
    pub async fn integrity_ok(&self) -> Result<bool, DbError> {
        self.call(|c| {
            Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))? == "ok")
        })
        .await
    }
}
