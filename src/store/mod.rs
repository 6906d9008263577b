//! The scenario store: named scenarios, each save a new version (who, when, a message, the
//! scenario GeoJSON). A save names the version it started from and is refused when the
//! scenario has moved on since (no lost update); a save happens whole or not at all (one
//! transaction).
//!
//! It runs on one SQLite file (WAL; the default, with online backup to a file and restore
//! from one) or on PostgreSQL with PostGIS (`postgres://…`: several servers behind one address
//! sharing one store; every saved feature also lands in a geometry table that QGIS reads).
//! The logic is written once over [`sql::Tx`]; the engines differ only in their schema and
//! how a write takes its lock.
//!
//! Users, their roles and tokens, and the audit log live in the same store ([`access`]):
//! every change writes its audit line in the same transaction as the change.
//!
//! This is storage only: no HTTP and no scenario semantics beyond "a GeoJSON text".

mod access;
pub mod live;
pub mod names;
pub mod revisions;
pub mod sql;

pub use access::{
    audit_csv, check_user_name, token_matches, token_matches_nothing, utc_iso, Actor, AuditEntry,
    Role, TokenCheck, TokenRow, User,
};

use std::path::Path;
use std::time::Duration;

use sql::{Engine, Tx, Value};

/// One saved version of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
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
    /// The database failed (file, lock, corruption, connection): what the engine said.
    #[error("{0}")]
    Database(String),
    /// Something only the other engine does (an SQLite backup of a PostgreSQL store).
    #[error("{0}")]
    Unsupported(String),
}

/// A scenario store on SQLite or PostgreSQL.
pub struct Store {
    /// Where it is, for messages (a file, or a PostgreSQL address without its password).
    place: String,
    /// The SQLite file, for the copy kept before a restore.
    path: Option<std::path::PathBuf>,
    engine: Engine,
}

/// The versions table, in SQLite's words ([`sql::postgres_ddl`] makes PostgreSQL's).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT NOT NULL,
    parent INTEGER REFERENCES versions(id) ON DELETE SET NULL,
    author TEXT NOT NULL,
    message TEXT NOT NULL,
    saved_at INTEGER NOT NULL,
    geojson TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_scenario ON versions(scenario, id);
";

/// What only PostgreSQL has: each saved feature with a PostGIS geometry (`features`;
/// `latest_features`: those of every scenario's latest version) for QGIS.
const POSTGIS_SCHEMA: &str = "
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE IF NOT EXISTS features (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    scenario TEXT NOT NULL,
    kind TEXT NOT NULL,
    feature_id TEXT,
    name TEXT,
    properties JSONB,
    geom geometry(Geometry, 4326)
);
CREATE INDEX IF NOT EXISTS features_by_version ON features(version_id);
CREATE INDEX IF NOT EXISTS features_geom ON features USING GIST (geom);
-- A geometry PostGIS cannot read (the scenario reader reports those features) is kept as NULL
-- rather than failing the save.
CREATE OR REPLACE FUNCTION patrolmap_geometry(g jsonb) RETURNS geometry AS $$
BEGIN
    -- Kept 2D (a position may carry an altitude, as RFC 7946 allows).
    RETURN ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(g::text), 4326));
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$ LANGUAGE plpgsql IMMUTABLE;
CREATE OR REPLACE VIEW latest_features AS
    SELECT f.* FROM features f
    JOIN (SELECT max(id) AS id FROM versions GROUP BY scenario) latest ON latest.id = f.version_id;
";

/// Whether `a` and `b` name the same file (both must exist to be the same).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Where the store at `path` is kept before a restore: beside it, named by the time (UTC),
/// never over an earlier one.
fn keep_path(path: &Path) -> std::path::PathBuf {
    let stamp = utc_iso(now_s()).replace([':', '-'], "");
    let name = path.file_name().map_or_else(
        || "patrolmap.db".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut kept = path.with_file_name(format!("{name}.before-restore-{stamp}"));
    let mut n = 2;
    while kept.exists() {
        kept = path.with_file_name(format!("{name}.before-restore-{stamp}-{n}"));
        n += 1;
    }
    kept
}

/// Now, in UTC seconds since 1970.
pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

const VERSION_COLUMNS: &str = "id, scenario, parent, author, message, saved_at";

fn version_of(row: &[Value]) -> Version {
    Version {
        id: row[0].int().unwrap_or(0),
        scenario: row[1].text(),
        parent: row[2].int(),
        author: row[3].text(),
        message: row[4].text(),
        saved_at: row[5].int().unwrap_or(0),
    }
}

fn db(e: String) -> StoreError {
    StoreError::Database(e)
}

/// `url` without its password, for messages.
///
/// ```
/// use patrolmap::store::without_password;
/// assert_eq!(without_password("postgres://pm:s3cret@db:5432/patrolmap"), "postgres://pm@db:5432/patrolmap");
/// assert_eq!(without_password("data/patrolmap.db"), "data/patrolmap.db");
/// ```
pub fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Opens (or creates) the SQLite store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let place = path.display().to_string();
        let schema = format!(
            "{SCHEMA}{}{}{}",
            access::SCHEMA,
            revisions::SCHEMA,
            live::SCHEMA
        );
        let engine = Engine::sqlite(path, &schema).map_err(|e| db(format!("{place}: {e}")))?;
        Store {
            place,
            path: Some(path.to_path_buf()),
            engine,
        }
        .migrated()
    }

    /// Opens the store `location` names: a `postgres://` or `postgresql://` address, else an
    /// SQLite file.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("patrolmap-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let store = patrolmap::store::Store::open_location(dir.join("s.db").to_str().unwrap()).unwrap();
    /// assert!(!store.is_postgres());
    /// ```
    pub fn open_location(location: &str) -> Result<Store, StoreError> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            let place = without_password(location);
            let schema = format!(
                "{}{}{}{}{POSTGIS_SCHEMA}",
                sql::postgres_ddl(SCHEMA),
                sql::postgres_ddl(access::SCHEMA),
                sql::postgres_ddl(revisions::SCHEMA),
                sql::postgres_ddl(live::SCHEMA)
            );
            let engine =
                Engine::postgres(location, &schema).map_err(|e| db(format!("{place}: {e}")))?;
            Store {
                place,
                path: None,
                engine,
            }
            .migrated()
        } else {
            Store::open(Path::new(location))
        }
    }

    /// The store brought up to this patrolmap's tables (what `CREATE TABLE IF NOT EXISTS`
    /// cannot change in a store made by an older one).
    fn migrated(self) -> Result<Store, StoreError> {
        self.write(|tx| {
            access::allow_feed_role(tx)?;
            Ok(Ok(()))
        })?;
        Ok(self)
    }

    /// Whether the store is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// Where the store is (a file, or a PostgreSQL address without its password).
    pub fn place(&self) -> &str {
        &self.place
    }

    fn read<T>(
        &self,
        work: impl FnOnce(&mut dyn Tx) -> Result<T, String>,
    ) -> Result<T, StoreError> {
        self.engine.read(|tx| work(tx).map_err(|e| self.fail(e)))
    }

    /// Runs `work` in one write transaction; its own refusals (a conflict, a user not found)
    /// roll it back like a failure does.
    fn write<T>(
        &self,
        work: impl FnOnce(&mut dyn Tx) -> Result<Result<T, StoreError>, String>,
    ) -> Result<T, StoreError> {
        self.engine.write(|tx| work(tx).map_err(|e| self.fail(e))?)
    }

    /// [`Store::write`] without waiting for the disk ([`Engine::write_unsynced`]).
    fn write_unsynced<T>(
        &self,
        work: impl FnOnce(&mut dyn Tx) -> Result<Result<T, StoreError>, String>,
    ) -> Result<T, StoreError> {
        self.engine
            .write_unsynced(|tx| work(tx).map_err(|e| self.fail(e))?)
    }

    fn fail(&self, e: String) -> StoreError {
        StoreError::Database(format!("{}: {e}", self.place))
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
        let scenario =
            &names::checked("scenario", scenario, 100, &['/']).map_err(StoreError::Invalid)?;
        let saved_at = now_s();
        // One write transaction, its lock taken before the latest version is read, so two
        // savers cannot both see the same latest version; the audit line (and on PostgreSQL
        // the geometry rows) go in with the version or not at all.
        self.write(|tx| {
            let latest = tx
                .scalar(
                    "SELECT max(id) FROM versions WHERE scenario = $1",
                    &[scenario.into()],
                )?
                .int();
            if latest != base {
                return Ok(Err(StoreError::Conflict {
                    scenario: scenario.to_string(),
                    base,
                    latest,
                }));
            }
            let id = tx
                .scalar(
                    "INSERT INTO versions (scenario, parent, author, message, saved_at, geojson) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    &[scenario.into(), base.into(), (&actor.name).into(), message.into(), saved_at.into(), geojson.into()],
                )?
                .int()
                .ok_or("the new version has no id")?;
            if tx.is_postgres() {
                // jsonb holds no NUL: a `\u0000` in a property is dropped from the geometry
                // table's copy (the version keeps the text as sent).
                tx.execute(
                    "INSERT INTO features (version_id, scenario, kind, feature_id, name, properties, geom)
                     SELECT $1, $2, coalesce(f->'properties'->>'kind', 'unit'), f->'properties'->>'id',
                            f->'properties'->>'name', f->'properties', patrolmap_geometry(f->'geometry')
                     FROM jsonb_array_elements(coalesce(replace($3::text, '\\u0000', '')::jsonb->'features', '[]'::jsonb)) AS f",
                    &[id.into(), scenario.into(), geojson.into()],
                )?;
            }
            access::audit_in(tx, actor, action, scenario, &format!("version {id}: {message}"))?;
            Ok(Ok(Version {
                id,
                scenario: scenario.to_string(),
                parent: base,
                author: actor.name.clone(),
                message: message.to_string(),
                saved_at,
            }))
        })
    }

    /// Deletes `scenario` with every version of it; returns how many versions went.
    pub fn delete_scenario(&self, actor: &Actor, scenario: &str) -> Result<usize, StoreError> {
        let scenario = &names::normalized(scenario);
        self.write(|tx| {
            let removed = tx.execute(
                "DELETE FROM versions WHERE scenario = $1",
                &[scenario.into()],
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
            Ok(Ok(removed as usize))
        })
    }

    /// Every scenario's latest version, by name.
    pub fn scenarios(&self) -> Result<Vec<Version>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM versions
                     WHERE id IN (SELECT max(id) FROM versions GROUP BY scenario) ORDER BY scenario"
                ),
                &[],
            )?;
            Ok(rows.iter().map(|r| version_of(r)).collect())
        })
    }

    /// The versions of `scenario`, oldest first.
    pub fn versions(&self, scenario: &str) -> Result<Vec<Version>, StoreError> {
        let scenario = &names::normalized(scenario);
        let list: Vec<Version> = self.read(|tx| {
            let rows = tx.query(
                &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE scenario = $1 ORDER BY id"),
                &[scenario.into()],
            )?;
            Ok(rows.iter().map(|r| version_of(r)).collect())
        })?;
        if list.is_empty() {
            return Err(StoreError::NotFound(format!("scenario {scenario:?}")));
        }
        Ok(list)
    }

    /// Version `id` and its GeoJSON.
    pub fn load(&self, id: i64) -> Result<(Version, String), StoreError> {
        let row = self.read(|tx| {
            let rows = tx.query(
                &format!("SELECT {VERSION_COLUMNS}, geojson FROM versions WHERE id = $1"),
                &[id.into()],
            )?;
            Ok(rows.into_iter().next())
        })?;
        row.map(|r| (version_of(&r), r[6].text()))
            .ok_or_else(|| StoreError::NotFound(format!("version {id}")))
    }

    /// Copies the whole store to `to` while it stays in use (SQLite's online backup). `to`
    /// is new, empty, or an older copy of a store: anything else there is refused, untouched.
    pub fn backup(&self, to: &Path) -> Result<(), StoreError> {
        let target_error = |e: String| StoreError::Invalid(format!("{}: {e}", to.display()));
        if self.path.as_deref().is_some_and(|p| same_file(p, to)) {
            return Err(target_error(
                "is the store itself: back it up to another file".into(),
            ));
        }
        if to.is_file() && std::fs::metadata(to).is_ok_and(|m| m.len() > 0) {
            let existing = sql::sqlite_read_only(to).map_err(target_error)?;
            sql::sqlite_kind(&existing).map_err(|e| {
                target_error(format!(
                    "exists and is {e}; it is left as it is: back up to a new file"
                ))
            })?;
        }
        let connection = self.sqlite_only("backup")?;
        let mut target = rusqlite::Connection::open(to).map_err(|e| target_error(e.to_string()))?;
        let backup = rusqlite::backup::Backup::new(&connection, &mut target)
            .map_err(|e| target_error(e.to_string()))?;
        backup
            .run_to_completion(256, Duration::from_millis(0), None)
            .map_err(|e| target_error(e.to_string()))
    }

    /// Replaces the whole store with the backup at `from`. The backup is first checked to be
    /// a patrolmap store that passes SQLite's quick check (opened read-only: it is never
    /// written), and the current store is copied to a dated file beside it, whose path is
    /// returned; a bad backup is refused with the store untouched.
    pub fn restore(&self, from: &Path) -> Result<std::path::PathBuf, StoreError> {
        let source_error = |e: String| StoreError::Invalid(format!("{}: {e}", from.display()));
        let path = self.path.clone().ok_or_else(|| {
            StoreError::Unsupported(format!(
                "{}: restore of a PostgreSQL store: use pg_dump and pg_restore",
                self.place
            ))
        })?;
        if same_file(&path, from) {
            return Err(source_error("is the store itself".into()));
        }
        let source = sql::sqlite_read_only(from).map_err(source_error)?;
        let kind = sql::sqlite_kind(&source).map_err(source_error)?;
        if kind == sql::SqliteKind::Empty {
            return Err(source_error(
                "not a patrolmap store: it is empty (no versions, users or audit log)".into(),
            ));
        }
        sql::sqlite_quick_check(&source)
            .map_err(|e| source_error(format!("{e}: it is damaged; choose another backup")))?;
        let kept = keep_path(&path);
        self.backup(&kept)?;
        let mut connection = self.sqlite_only("restore")?;
        rusqlite::backup::Backup::new(&source, &mut connection)
            .and_then(|b| b.run_to_completion(256, Duration::from_millis(0), None))
            .map_err(|e| self.fail(e.to_string()))?;
        // Marked as a store now even if the backup predates the mark.
        connection
            .execute_batch(&format!(
                "PRAGMA application_id = {}; PRAGMA user_version = {};",
                sql::APPLICATION_ID,
                sql::SCHEMA_VERSION
            ))
            .map_err(|e| self.fail(e.to_string()))?;
        Ok(kept)
    }

    fn sqlite_only(
        &self,
        what: &str,
    ) -> Result<std::sync::MutexGuard<'_, rusqlite::Connection>, StoreError> {
        self.engine.sqlite_connection().ok_or_else(|| {
            StoreError::Unsupported(format!(
                "{}: {what} of a PostgreSQL store: use pg_dump and pg_restore",
                self.place
            ))
        })
    }

    /// What changes with every save, restore or deletion: the newest version's id and how many
    /// versions there are (one small query, for following the store from every server).
    pub fn change_mark(&self) -> Result<(i64, i64), StoreError> {
        self.read(|tx| {
            let rows = tx.query("SELECT coalesce(max(id), 0), count(*) FROM versions", &[])?;
            let row = rows.first();
            let int = |i: usize| {
                row.and_then(|r| r.get(i))
                    .and_then(|v| v.int())
                    .unwrap_or(0)
            };
            Ok((int(0), int(1)))
        })
    }

    /// How many versions the store holds.
    pub fn versions_count(&self) -> Result<i64, StoreError> {
        self.read(|tx| {
            Ok(tx
                .scalar("SELECT count(*) FROM versions", &[])?
                .int()
                .unwrap_or(0))
        })
    }

    /// The engine's own check: `ok` or what is wrong (SQLite's integrity check; on
    /// PostgreSQL, that every version's geometry rows are there).
    pub fn integrity(&self) -> Result<String, StoreError> {
        self.read(|tx| {
            if tx.is_postgres() {
                let missing = tx
                    .scalar(
                        "SELECT count(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.version_id = v.id)
                         AND jsonb_array_length(coalesce(replace(v.geojson, '\\u0000', '')::jsonb->'features', '[]'::jsonb)) > 0",
                        &[],
                    )?
                    .int()
                    .unwrap_or(0);
                Ok(if missing == 0 { "ok".to_string() } else { format!("{missing} versions without their features") })
            } else {
                Ok(tx.scalar("PRAGMA integrity_check", &[])?.text())
            }
        })
    }
}
