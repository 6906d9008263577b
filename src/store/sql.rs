//! The two SQL engines the store runs on, behind one small interface: SQLite (one file, the
//! default) and PostgreSQL (several servers sharing one store). The store's logic is written
//! once against [`Tx`]; only the schema and the way a write transaction takes its lock differ.
//!
//! SQL text uses PostgreSQL's `$1`, `$2`… placeholders; for SQLite they become `?1`, `?2`…,
//! which SQLite binds by the same numbers.

use std::sync::Mutex;
use std::time::Duration;

use super::StoreError;

/// A value going into or coming out of a query: the store needs no other types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(String),
}

impl Value {
    /// The integer, if it is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The text (empty for NULL).
    pub fn text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Int(v) => v.to_string(),
            Value::Null => String::new(),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        v.map_or(Value::Null, Value::Int)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

/// PostgreSQL's words for tables written in SQLite's: 64-bit integers, identity keys.
///
/// ```
/// use patrolmap::store::sql::postgres_ddl;
/// assert_eq!(
///     postgres_ddl("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL)"),
///     "CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL)"
/// );
/// ```
pub fn postgres_ddl(sqlite: &str) -> String {
    sqlite
        .replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        )
        .replace("INTEGER", "BIGINT")
}

/// One transaction (or, for reads, one connection) of either engine.
pub trait Tx {
    /// Runs a statement; the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, String>;
    /// Runs a query; its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, String>;
    /// Whether this is PostgreSQL (for what only it has: PostGIS geometry).
    fn is_postgres(&self) -> bool;
}

impl dyn Tx + '_ {
    /// The first column of the first row, if any.
    pub fn scalar(&mut self, sql: &str, params: &[Value]) -> Result<Value, String> {
        Ok(self
            .query(sql, params)?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next())
            .unwrap_or(Value::Null))
    }
}

/// An open connection to one of the engines.
pub enum Engine {
    /// An SQLite file.
    Sqlite(Mutex<rusqlite::Connection>),
    /// A PostgreSQL database.
    Postgres(Mutex<postgres::Client>),
}

/// `$1` → `?1`, outside quotes.
fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        if c == '\'' {
            quoted = !quoted;
        }
        out.push(if c == '$' && !quoted { '?' } else { c });
    }
    out
}

/// Text as both engines store it: PostgreSQL's text cannot hold NUL, so neither keeps it.
fn stored_text(t: &str) -> String {
    t.replace('\0', "")
}

fn sqlite_params(params: &[Value]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|p| match p {
            Value::Null => rusqlite::types::Value::Null,
            Value::Int(v) => rusqlite::types::Value::Integer(*v),
            Value::Text(t) => rusqlite::types::Value::Text(stored_text(t)),
        })
        .collect()
}

/// An SQLite connection or transaction.
struct Lite<'a>(&'a rusqlite::Connection);

impl Tx for Lite<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, String> {
        rusqlite::Connection::execute(
            self.0,
            &sqlite_sql(sql),
            rusqlite::params_from_iter(sqlite_params(params)),
        )
        .map(|n| n as u64)
        .map_err(|e| e.to_string())
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, String> {
        let mut statement = self
            .0
            .prepare(&sqlite_sql(sql))
            .map_err(|e| e.to_string())?;
        let width = statement.column_count();
        let rows = statement
            .query_map(rusqlite::params_from_iter(sqlite_params(params)), |row| {
                (0..width)
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            rusqlite::types::ValueRef::Integer(v) => Value::Int(v),
                            rusqlite::types::ValueRef::Text(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                            rusqlite::types::ValueRef::Null => Value::Null,
                            other => Value::Text(format!("{other:?}")),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Value>>>()
            })
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
    }

    fn is_postgres(&self) -> bool {
        false
    }
}

/// A PostgreSQL connection or transaction.
struct Pg<'a, C: postgres::GenericClient>(&'a mut C);

fn pg_params(params: &[Value]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn postgres::types::ToSql + Sync> {
            match p {
                Value::Null => Box::new(Option::<i64>::None),
                Value::Int(v) => Box::new(*v),
                Value::Text(t) => Box::new(stored_text(t)),
            }
        })
        .collect()
}

impl<C: postgres::GenericClient> Tx for Pg<'_, C> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, String> {
        let owned = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref()).collect();
        self.0.execute(sql, &refs).map_err(|e| pg_message(&e))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, String> {
        use postgres::types::Type;
        let owned = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref()).collect();
        let rows = self.0.query(sql, &refs).map_err(|e| pg_message(&e))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let ty = row.columns()[i].type_();
                        let value = if *ty == Type::INT8 {
                            row.try_get::<_, Option<i64>>(i).map(Value::from)
                        } else if *ty == Type::INT4 {
                            row.try_get::<_, Option<i32>>(i)
                                .map(|v| Value::from(v.map(i64::from)))
                        } else {
                            row.try_get::<_, Option<String>>(i)
                                .map(|v| v.map_or(Value::Null, Value::Text))
                        };
                        value.map_err(|e| pg_message(&e))
                    })
                    .collect()
            })
            .collect()
    }

    fn is_postgres(&self) -> bool {
        true
    }
}

/// PostgreSQL's own message, with its detail when it gives one.
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

/// PostgreSQL's advisory lock number every writer takes first: writes happen one at a time,
/// as in SQLite, so "read the latest version, then insert" cannot interleave.
const WRITE_LOCK: i64 = 0x7061_7472_6f6c; // "patrol"

/// SQLite's `application_id` of a patrolmap store ("PTMP"), so no other program's database is
/// mistaken for one, nor one for another's.
pub const APPLICATION_ID: i64 = 0x5054_4d50;
/// The store's schema version (SQLite's `user_version`); a store of a newer one is refused.
pub const SCHEMA_VERSION: i64 = 1;
/// The tables of a patrolmap store (and SQLite's own counter): a file made before stores were
/// marked is recognised by holding only these, `versions` among them.
const STORE_TABLES: [&str; 8] = [
    "versions",
    "users",
    "tokens",
    "audit",
    "revisions",
    "live_positions",
    "live_status",
    "sqlite_sequence",
];

/// What an SQLite file holds.
#[derive(Debug, PartialEq, Eq)]
pub enum SqliteKind {
    /// Nothing yet (a new or empty file): it may become a store.
    Empty,
    /// A patrolmap store.
    Store,
}

/// Whether `connection` is a patrolmap store, nothing yet, or something else (refused, with
/// what it is). Reads only.
pub fn sqlite_kind(connection: &rusqlite::Connection) -> Result<SqliteKind, String> {
    let pragma = |name: &str| -> Result<i64, String> {
        connection
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => {
                    "not a patrolmap store: not an SQLite database at all".to_string()
                }
                _ => e.to_string(),
            })
    };
    let application_id = pragma("application_id")?;
    let version = pragma("user_version")?;
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .map_err(|e| e.to_string())?;
    let tables: Vec<String> = statement
        .query_map([], |r| r.get(0))
        .map_err(|e| e.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    if application_id == APPLICATION_ID {
        if version > SCHEMA_VERSION {
            return Err(format!(
                "a patrolmap store of schema version {version}, newer than this patrolmap's {SCHEMA_VERSION}: use a newer patrolmap"
            ));
        }
        return Ok(SqliteKind::Store);
    }
    if application_id != 0 {
        return Err(format!(
            "not a patrolmap store: another application's SQLite database (application id {application_id:#x})"
        ));
    }
    if tables.is_empty() {
        return Ok(SqliteKind::Empty);
    }
    let foreign: Vec<&String> = tables
        .iter()
        .filter(|t| !STORE_TABLES.contains(&t.as_str()))
        .collect();
    if foreign.is_empty() && tables.iter().any(|t| t == "versions") {
        // A store made before stores were marked.
        return Ok(SqliteKind::Store);
    }
    Err(format!(
        "not a patrolmap store: an SQLite database with the tables {} (another application's?)",
        tables.join(", ")
    ))
}

/// SQLite's quick check of `connection`: `Ok` or what is wrong.
pub fn sqlite_quick_check(connection: &rusqlite::Connection) -> Result<(), String> {
    let result: String = connection
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if result == "ok" {
        Ok(())
    } else {
        Err(format!("it fails SQLite's quick check ({result})"))
    }
}

/// Opens the SQLite file at `path` read-only, without touching it (no journal, no schema):
/// for a backup being restored.
pub fn sqlite_read_only(path: &std::path::Path) -> Result<rusqlite::Connection, String> {
    use rusqlite::OpenFlags;
    // `immutable`: a backup is not being written, so SQLite needs no lock, -wal or -shm file,
    // and writes nothing beside it.
    let uri = format!(
        "file:{}?immutable=1",
        path.to_string_lossy()
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23")
    );
    rusqlite::Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| e.to_string())
}

impl Engine {
    /// Opens an SQLite file: WAL journal, full sync on commit, a busy timeout so several
    /// processes can share it. A file that is another application's database, or fails
    /// SQLite's quick check, is refused before anything is written to it.
    pub fn sqlite(path: &std::path::Path, schema: &str) -> Result<Engine, String> {
        let connection = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        let kind = sqlite_kind(&connection)?;
        if kind == SqliteKind::Store {
            sqlite_quick_check(&connection).map_err(|e| {
                format!(
                    "{e}: the store is damaged; put a backup back with `patrolmap db restore BACKUP --db {}`",
                    path.display()
                )
            })?;
        }
        // WAL: readers never block the writer; FULL: an acknowledged save survives a crash.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| e.to_string())?;
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| e.to_string())?;
        connection
            .execute_batch(schema)
            .map_err(|e| e.to_string())?;
        connection
            .execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
            ))
            .map_err(|e| e.to_string())?;
        Ok(Engine::Sqlite(Mutex::new(connection)))
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:password@host:port/db`, optionally
    /// `?options=-csearch_path%3Dschema`) and makes its schema, PostGIS included, under the
    /// write lock so two servers starting together do not race.
    pub fn postgres(url: &str, schema: &str) -> Result<Engine, String> {
        let mut client =
            postgres::Client::connect(url, postgres::NoTls).map_err(|e| pg_message(&e))?;
        let mut tx = client.transaction().map_err(|e| pg_message(&e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .map_err(|e| pg_message(&e))?;
        tx.batch_execute(schema).map_err(|e| {
            let message = pg_message(&e);
            if message.contains("postgis") || message.contains("extension") {
                format!("{message} (the store needs PostGIS: CREATE EXTENSION postgis, as a superuser, in that database)")
            } else {
                message
            }
        })?;
        tx.commit().map_err(|e| pg_message(&e))?;
        Ok(Engine::Postgres(Mutex::new(client)))
    }

    /// Runs `work` on the connection, outside any transaction (for reads).
    pub fn read<T>(
        &self,
        work: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match self {
            Engine::Sqlite(c) => work(&mut Lite(&lock(c))),
            Engine::Postgres(c) => work(&mut Pg(&mut *lock(c))),
        }
    }

    /// Runs `work` in one write transaction: SQLite's IMMEDIATE (the write lock first), or
    /// PostgreSQL's with the store's advisory lock first. Committed when `work` succeeds,
    /// rolled back when it fails: a change happens whole or not at all.
    pub fn write<T>(
        &self,
        work: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(true, work)
    }

    /// Runs `work` in one transaction that need not survive a crash (what-ifs' inputs, which
    /// can be asked again): committed without waiting for the disk (SQLite's `synchronous =
    /// NORMAL` in WAL mode, PostgreSQL's `synchronous_commit = off`) and without the store's
    /// write lock on PostgreSQL, so it neither waits for nor holds up a save.
    pub fn write_unsynced<T>(
        &self,
        work: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(false, work)
    }

    /// [`Engine::write`] when `durable`, else [`Engine::write_unsynced`].
    fn transaction<T>(
        &self,
        durable: bool,
        work: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let failed = |e: String| StoreError::Database(e);
        match self {
            Engine::Sqlite(c) => {
                let mut connection = lock(c);
                let sync = |connection: &rusqlite::Connection, level: &str| {
                    connection
                        .pragma_update(None, "synchronous", level)
                        .map_err(|e| failed(e.to_string()))
                };
                if !durable {
                    sync(&connection, "NORMAL")?;
                }
                let result = (|| {
                    let tx = connection
                        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                        .map_err(|e| failed(e.to_string()))?;
                    let value = work(&mut Lite(&tx))?;
                    tx.commit().map_err(|e| failed(e.to_string()))?;
                    Ok(value)
                })();
                if !durable {
                    // Every other write is durable again.
                    sync(&connection, "FULL")?;
                }
                result
            }
            Engine::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction().map_err(|e| failed(pg_message(&e)))?;
                if durable {
                    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                        .map_err(|e| failed(pg_message(&e)))?;
                } else {
                    tx.batch_execute("SET LOCAL synchronous_commit TO OFF")
                        .map_err(|e| failed(pg_message(&e)))?;
                }
                let value = work(&mut Pg(&mut tx))?;
                tx.commit().map_err(|e| failed(pg_message(&e)))?;
                Ok(value)
            }
        }
    }

    /// The SQLite connection, for what only SQLite does (online backup, integrity check).
    pub fn sqlite_connection(&self) -> Option<std::sync::MutexGuard<'_, rusqlite::Connection>> {
        match self {
            Engine::Sqlite(c) => Some(lock(c)),
            Engine::Postgres(_) => None,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::sqlite_sql;

    #[test]
    fn placeholders_become_sqlites_outside_quotes() {
        assert_eq!(
            sqlite_sql("SELECT $1, '$2' WHERE a = $2"),
            "SELECT ?1, '$2' WHERE a = ?2"
        );
    }
}
