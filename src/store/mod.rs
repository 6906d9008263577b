//! The scenario store: named scenarios, each save a new version (who, when, a message, the
//! scenario GeoJSON), in one SQLite file (WAL). A save names the version it started from and
//! is refused when the scenario has moved on since (no lost update); a save happens whole or
//! not at all (one transaction). Online backup to a file and restore from one.
//!
//! Users, their roles and tokens, and the audit log live in the same file ([`access`]): every
//! change writes its audit line in the same transaction as the change.
//!
//! This is storage only: no HTTP and no scenario semantics beyond "a GeoJSON text".

mod access;

pub use access::{audit_csv, check_user_name, utc_iso, Actor, AuditEntry, Role, TokenCheck, User};

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

/// One saved version of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Version {
    /// Its id, increasing across the store.
    pub id: i64,
    /// The scenario's name.
    pub scenario: String,
    /// The version it was saved on top of (none for the first).
    pub parent: Option<i64>,
    /// Who saved it.
    pub author: String,
    /// Why.
    pub message: String,
    /// When, as UTC seconds since 1970.
    pub saved_at: i64,
}

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The scenario has a newer version than the one the save started from.
    #[error("scenario {scenario:?} has moved on: the save started from version {base:?}, the latest is {latest:?}")]
    Conflict {
        /// The scenario.
        scenario: String,
        /// The version the save started from.
        base: Option<i64>,
        /// The latest version.
        latest: Option<i64>,
    },
    /// No such scenario, version or user.
    #[error("{0} not found")]
    NotFound(String),
    /// A user of that name exists already.
    #[error("{0} exists already")]
    Exists(String),
    /// A name or value the store does not take.
    #[error("{0}")]
    Invalid(String),
    /// The system's randomness (for tokens and salts) failed.
    #[error("no randomness for a token: {0}")]
    Random(String),
    /// The database failed (file, lock, corruption).
    #[error("{path}: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
}

/// A store in one SQLite file.
pub struct Store {
    path: PathBuf,
    connection: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT NOT NULL,
    parent INTEGER REFERENCES versions(id),
    author TEXT NOT NULL,
    message TEXT NOT NULL,
    saved_at INTEGER NOT NULL,
    geojson TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_scenario ON versions(scenario, id);
";

/// Now, in UTC seconds since 1970.
pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn version_of(row: &rusqlite::Row) -> rusqlite::Result<Version> {
    Ok(Version {
        id: row.get(0)?,
        scenario: row.get(1)?,
        parent: row.get(2)?,
        author: row.get(3)?,
        message: row.get(4)?,
        saved_at: row.get(5)?,
    })
}

impl Store {
    /// Opens (or creates) the store at `path`: WAL journal, full sync on commit, a busy
    /// timeout so several processes can share it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = |source| StoreError::Database {
            path: path.to_path_buf(),
            source,
        };
        let connection = Connection::open(path).map_err(db)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(db)?;
        // WAL: readers never block the writer; FULL: an acknowledged save survives a crash.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        connection.execute_batch(SCHEMA).map_err(db)?;
        connection.execute_batch(access::SCHEMA).map_err(db)?;
        Ok(Store {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
        })
    }

    fn db(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Database {
            path: self.path.clone(),
            source,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves `geojson` as the next version of `scenario`, on top of `base` (the version the
    /// editor started from; `None` for a new scenario), by `author` at this machine. Refused
    /// with [`StoreError::Conflict`] when the latest version is not `base`.
    pub fn save(
        &self,
        scenario: &str,
        base: Option<i64>,
        author: &str,
        message: &str,
        geojson: &str,
    ) -> Result<Version, StoreError> {
        self.save_by(&Actor::local(author), scenario, base, message, geojson)
    }

    /// [`Store::save`] by `actor`, who is written into the version and the audit log.
    pub fn save_by(
        &self,
        actor: &Actor,
        scenario: &str,
        base: Option<i64>,
        message: &str,
        geojson: &str,
    ) -> Result<Version, StoreError> {
        self.save_audited(actor, "save", scenario, base, message, geojson)
    }

    /// Saves version `id`'s scenario again as the newest version of its scenario, on top of
    /// `base` (refused like a save when the scenario has moved on): an old version restored,
    /// nothing in between lost.
    pub fn restore_version(
        &self,
        actor: &Actor,
        id: i64,
        base: Option<i64>,
    ) -> Result<Version, StoreError> {
        let (old, geojson) = self.load(id)?;
        let message = format!("restored version {id}");
        self.save_audited(actor, "restore", &old.scenario, base, &message, &geojson)
    }

    fn save_audited(
        &self,
        actor: &Actor,
        action: &str,
        scenario: &str,
        base: Option<i64>,
        message: &str,
        geojson: &str,
    ) -> Result<Version, StoreError> {
        let saved_at = now_s();
        // One IMMEDIATE transaction: the write lock is taken before the latest version is
        // read, so two savers cannot both see the same latest version; the audit line goes in
        // with the version or not at all.
        self.write(|tx| {
            let latest: Option<i64> = tx.query_row(
                "SELECT max(id) FROM versions WHERE scenario = ?1",
                params![scenario],
                |row| row.get(0),
            )?;
            if latest != base {
                return Ok(Err(StoreError::Conflict {
                    scenario: scenario.to_string(),
                    base,
                    latest,
                }));
            }
            tx.execute(
                "INSERT INTO versions (scenario, parent, author, message, saved_at, geojson) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![scenario, base, actor.name, message, saved_at, geojson],
            )?;
            let id = tx.last_insert_rowid();
            access::audit_in(tx, actor, action, scenario, &format!("version {id}: {message}"))?;
            Ok(Ok(Version {
                id,
                scenario: scenario.to_string(),
                parent: base,
                author: actor.name.clone(),
                message: message.to_string(),
                saved_at,
            }))
        })?
    }

    /// Deletes `scenario` with every version of it; returns how many versions went.
    pub fn delete_scenario(&self, actor: &Actor, scenario: &str) -> Result<usize, StoreError> {
        self.write(|tx| {
            let removed = tx.execute(
                "DELETE FROM versions WHERE scenario = ?1",
                params![scenario],
            )?;
            if removed == 0 {
                return Ok(Err(StoreError::NotFound(format!("scenario {scenario:?}"))));
            }
            access::audit_in(
                tx,
                actor,
                "delete",
                scenario,
                &format!("{removed} versions"),
            )?;
            Ok(Ok(removed))
        })?
    }

    /// Every scenario's latest version, by name.
    pub fn scenarios(&self) -> Result<Vec<Version>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT id, scenario, parent, author, message, saved_at FROM versions
                 WHERE id IN (SELECT max(id) FROM versions GROUP BY scenario) ORDER BY scenario",
            )
            .map_err(|e| self.db(e))?;
        let rows = statement
            .query_map([], version_of)
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.db(e))
    }

    /// The versions of `scenario`, oldest first.
    pub fn versions(&self, scenario: &str) -> Result<Vec<Version>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT id, scenario, parent, author, message, saved_at FROM versions
                 WHERE scenario = ?1 ORDER BY id",
            )
            .map_err(|e| self.db(e))?;
        let rows = statement
            .query_map(params![scenario], version_of)
            .map_err(|e| self.db(e))?;
        let list: Vec<Version> = rows.collect::<Result<_, _>>().map_err(|e| self.db(e))?;
        if list.is_empty() {
            return Err(StoreError::NotFound(format!("scenario {scenario:?}")));
        }
        Ok(list)
    }

    /// Version `id` and its GeoJSON.
    pub fn load(&self, id: i64) -> Result<(Version, String), StoreError> {
        let connection = self.lock();
        connection
            .query_row(
                "SELECT id, scenario, parent, author, message, saved_at, geojson FROM versions WHERE id = ?1",
                params![id],
                |row| Ok((version_of(row)?, row.get(6)?)),
            )
            .optional()
            .map_err(|e| self.db(e))?
            .ok_or_else(|| StoreError::NotFound(format!("version {id}")))
    }

    /// Copies the whole store to `to` while it stays in use (SQLite's online backup).
    pub fn backup(&self, to: &Path) -> Result<(), StoreError> {
        let connection = self.lock();
        let mut target = Connection::open(to).map_err(|source| StoreError::Database {
            path: to.to_path_buf(),
            source,
        })?;
        let backup =
            rusqlite::backup::Backup::new(&connection, &mut target).map_err(|e| self.db(e))?;
        backup
            .run_to_completion(256, Duration::from_millis(0), None)
            .map_err(|e| self.db(e))
    }

    /// Replaces the whole store with the backup at `from` (checked to be a store first).
    pub fn restore(&self, from: &Path) -> Result<(), StoreError> {
        let source = Store::open(from)?;
        source.versions_count()?;
        let mut connection = self.lock();
        let from_connection = source.lock();
        let backup = rusqlite::backup::Backup::new(&from_connection, &mut connection)
            .map_err(|e| self.db(e))?;
        backup
            .run_to_completion(256, Duration::from_millis(0), None)
            .map_err(|e| self.db(e))
    }

    /// How many versions the store holds.
    pub fn versions_count(&self) -> Result<i64, StoreError> {
        self.lock()
            .query_row("SELECT count(*) FROM versions", [], |row| row.get(0))
            .map_err(|e| self.db(e))
    }

    /// SQLite's own integrity check: `ok` or what is wrong.
    pub fn integrity(&self) -> Result<String, StoreError> {
        self.lock()
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|e| self.db(e))
    }
}
