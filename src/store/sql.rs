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

fn sqlite_params(params: &[Value]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|p| match p {
            Value::Null => rusqlite::types::Value::Null,
            Value::Int(v) => rusqlite::types::Value::Integer(*v),
            Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
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
                Value::Text(t) => Box::new(t.clone()),
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

impl Engine {
    /// Opens an SQLite file: WAL journal, full sync on commit, a busy timeout so several
    /// processes can share it.
    pub fn sqlite(path: &std::path::Path, schema: &str) -> Result<Engine, String> {
        let connection = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
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
        let failed = |e: String| StoreError::Database(e);
        match self {
            Engine::Sqlite(c) => {
                let mut connection = lock(c);
                let tx = connection
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| failed(e.to_string()))?;
                let value = work(&mut Lite(&tx))?;
                tx.commit().map_err(|e| failed(e.to_string()))?;
                Ok(value)
            }
            Engine::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction().map_err(|e| failed(pg_message(&e)))?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                    .map_err(|e| failed(pg_message(&e)))?;
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
