//! Who may do what: users with a [`Role`], API tokens hashed at rest (argon2id), and the
//! audit log every change writes in the same transaction as the change itself.
//!
//! A token is `pm_` followed by 48 hex digits of the system's randomness. Its first 12 hex
//! digits are its public id (the row it is looked up by); the whole token is stored only as an
//! argon2id hash, so a copy of the database does not hand out working tokens.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

use super::sql::{Tx, Value};
use super::{now_s, Store, StoreError};

/// What a user may do. Each of viewer, planner and admin may do everything the ones before
/// it may; a feed (a GPS gateway's account) may only send live positions.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sends live unit positions, and nothing else (not even the map).
    Feed,
    /// Sees the map, the coverage and the saved scenarios (a wall display).
    Viewer,
    /// Also edits: saves and restores scenarios, plans patrols, posts and events.
    Planner,
    /// Also manages users and tokens, deletes scenarios and reads the audit log.
    Admin,
}

impl Role {
    /// Its name, as stored and as the API and the command line spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Feed => "feed",
            Role::Viewer => "viewer",
            Role::Planner => "planner",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    /// ```
    /// use patrolmap::store::Role;
    /// assert_eq!("planner".parse::<Role>(), Ok(Role::Planner));
    /// assert!("chief".parse::<Role>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "feed" => Ok(Role::Feed),
            "viewer" => Ok(Role::Viewer),
            "planner" => Ok(Role::Planner),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?}: viewer, planner, admin or feed"
            )),
        }
    }
}

/// A user of the server.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct User {
    /// The name, unique.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// When the user was added, UTC seconds since 1970.
    pub created_at: i64,
    /// How many tokens the user holds that have not expired.
    pub tokens: i64,
}

/// Who does something and from where: written with every change into the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user's name (or what the command line was told).
    pub name: String,
    /// Where from: the client's address, or `local` for the command line.
    pub remote: String,
}

impl Actor {
    /// Someone at this machine's command line.
    pub fn local(name: &str) -> Actor {
        Actor {
            name: name.to_string(),
            remote: "local".to_string(),
        }
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Its number, increasing.
    pub id: i64,
    /// When, UTC seconds since 1970.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What: `save`, `restore`, `delete`, `user_add`, `token_issue`, `user_remove`,
    /// `sign_in`, `sign_in_refused`.
    pub action: String,
    /// What it was done to: a scenario, a version, a user.
    pub target: String,
    /// More about it (a message, a role).
    pub detail: String,
    /// From where: the client's address or `local`.
    pub remote: String,
}

/// What a token presented to the server turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenCheck {
    /// A live token of this user, until `expires_at` (UTC seconds; none: until revoked).
    Valid {
        /// Whose it is.
        user: User,
        /// When it expires.
        expires_at: Option<i64>,
    },
    /// A real token past its expiry.
    Expired,
    /// Not a token of this store (malformed, unknown, revoked or wrong).
    Unknown,
}

/// A token's row in the store: its hash and whose it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// The argon2id hash (PHC string) the token must match.
    pub hash: String,
    /// When it expires, UTC seconds (none: until revoked).
    pub expires_at: Option<i64>,
    /// Whose it is.
    pub user: User,
}

impl TokenRow {
    /// What a token matching this row is now: valid, or expired.
    pub fn check(&self) -> TokenCheck {
        if self.expires_at.is_some_and(|t| t <= now_s()) {
            TokenCheck::Expired
        } else {
            TokenCheck::Valid {
                user: self.user.clone(),
                expires_at: self.expires_at,
            }
        }
    }
}

/// Whether `token` is the one `hash` (an argon2id PHC string) was made from. Slow on purpose
/// (tens of milliseconds and about 19 MB of memory): callers limit how many run at once.
pub fn token_matches(token: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(token.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The work of [`token_matches`] for a token that has no row (always false), so that an
/// unknown id takes as long as a known one with a wrong secret.
pub fn token_matches_nothing(token: &str) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy = DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"pm_decoy")
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    token_matches(token, decoy);
    false
}

/// The tables, in SQLite's words ([`super::sql::postgres_ddl`] makes PostgreSQL's). `"user"` is
/// quoted: a reserved word in PostgreSQL, a plain name in SQLite.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('feed', 'viewer', 'planner', 'admin')),
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    \"user\" TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens(\"user\");
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    remote TEXT NOT NULL
);
";

/// Makes a store made before the feed role accept it: its `users` table's check listed only
/// viewer, planner and admin. SQLite cannot change a check, so the table is made again with
/// [`SCHEMA`]'s and its rows copied; PostgreSQL's check is replaced. Does nothing on a store
/// that already accepts it.
pub(super) fn allow_feed_role(tx: &mut dyn Tx) -> Result<(), String> {
    let allowed = "role IN ('feed', 'viewer', 'planner', 'admin')";
    if tx.is_postgres() {
        let checks = tx.query(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = 'users'::regclass AND contype = 'c'",
            &[],
        )?;
        for row in checks {
            let (name, definition) = (row[0].text(), row[1].text());
            if definition.contains("role") && !definition.contains("'feed'") {
                tx.execute(
                    &format!("ALTER TABLE users DROP CONSTRAINT \"{name}\", ADD CONSTRAINT \"{name}\" CHECK ({allowed})"),
                    &[],
                )?;
            }
        }
        return Ok(());
    }
    let table = tx
        .scalar(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'",
            &[],
        )?
        .text();
    if table.contains("'feed'") {
        return Ok(());
    }
    for statement in [
        format!(
            "CREATE TABLE users_with_feed (name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK ({allowed}), created_at INTEGER NOT NULL)"
        ),
        "INSERT INTO users_with_feed (name, role, created_at) SELECT name, role, created_at FROM users".to_string(),
        "DROP TABLE users".to_string(),
        "ALTER TABLE users_with_feed RENAME TO users".to_string(),
    ] {
        tx.execute(&statement, &[])?;
    }
    Ok(())
}

/// Hex digits of a token after `pm_`; its first [`TOKEN_ID_LEN`] are its public id.
const TOKEN_HEX_LEN: usize = 48;
const TOKEN_ID_LEN: usize = 12;

/// A new random token.
fn new_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; TOKEN_HEX_LEN / 2];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("pm_{hex}"))
}

/// The public id of a well-formed token.
fn token_id(token: &str) -> Option<&str> {
    let hex = token.strip_prefix("pm_")?;
    (hex.len() == TOKEN_HEX_LEN && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| &hex[..TOKEN_ID_LEN])
}

/// A valid user name, in NFC: 1-64 visible characters, no spaces, commas or slashes (see
/// [`super::names::checked`]).
pub fn check_user_name(name: &str) -> Result<String, String> {
    super::names::checked("user", name, 64, &['/', ',', ' ', '\t']).and_then(|n| {
        match n.chars().find(|c| c.is_whitespace()) {
            Some(_) => Err(format!("user name {n:?}: no spaces")),
            None => Ok(n),
        }
    })
}

/// Every action the audit log records (the map has a text for each in both languages).
pub const AUDIT_ACTIONS: [&str; 12] = [
    "save",
    "restore",
    "delete",
    "user_add",
    "user_remove",
    "token_issue",
    "sign_in",
    "token_refused",
    "forbidden",
    "cross_site_refused",
    "live_status",
    "live_move",
];

/// Writes one audit line inside the caller's transaction.
pub(super) fn audit_in(
    tx: &mut dyn Tx,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), String> {
    debug_assert!(
        AUDIT_ACTIONS.contains(&action),
        "audit action {action:?} not listed"
    );
    tx.execute(
        "INSERT INTO audit (at, actor, action, target, detail, remote) VALUES ($1, $2, $3, $4, $5, $6)",
        &[now_s().into(), (&actor.name).into(), action.into(), target.into(), detail.into(), (&actor.remote).into()],
    )
    .map(|_| ())
}

fn entry_of(row: &[Value]) -> AuditEntry {
    AuditEntry {
        id: row[0].int().unwrap_or(0),
        at: row[1].int().unwrap_or(0),
        actor: row[2].text(),
        action: row[3].text(),
        target: row[4].text(),
        detail: row[5].text(),
        remote: row[6].text(),
    }
}

/// Whether user `name` exists.
fn user_exists(tx: &mut dyn Tx, name: &str) -> Result<bool, String> {
    Ok(!tx
        .query("SELECT name FROM users WHERE name = $1", &[name.into()])?
        .is_empty())
}

impl Store {
    /// Adds user `name` with `role` and returns a first token for them (shown once: only its
    /// hash is kept). `expires_in_s`: how long the token lives (none: until revoked).
    pub fn add_user(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
        expires_in_s: Option<i64>,
    ) -> Result<String, StoreError> {
        let name = &check_user_name(name).map_err(StoreError::Invalid)?;
        let (token, id, hash) = new_hashed_token()?;
        let now = now_s();
        // The user and their first token in one transaction: no user without a way in.
        self.write(|tx| {
            if user_exists(tx, name)? {
                return Ok(Err(StoreError::Exists(format!("user {name:?}"))));
            }
            tx.execute(
                "INSERT INTO users (name, role, created_at) VALUES ($1, $2, $3)",
                &[name.into(), role.as_str().into(), now.into()],
            )?;
            audit_in(tx, actor, "user_add", name, role.as_str())?;
            insert_token(tx, actor, name, &id, &hash, now, expires_in_s)?;
            Ok(Ok(()))
        })?;
        Ok(token)
    }

    /// A new token for user `name` (their other tokens stay valid).
    pub fn issue_token(
        &self,
        actor: &Actor,
        name: &str,
        expires_in_s: Option<i64>,
    ) -> Result<String, StoreError> {
        let name = &super::names::normalized(name);
        let (token, id, hash) = new_hashed_token()?;
        self.write(|tx| {
            if !user_exists(tx, name)? {
                return Ok(Err(StoreError::NotFound(format!("user {name:?}"))));
            }
            insert_token(tx, actor, name, &id, &hash, now_s(), expires_in_s)?;
            Ok(Ok(()))
        })?;
        Ok(token)
    }

    /// Removes user `name` and every token of theirs.
    pub fn remove_user(&self, actor: &Actor, name: &str) -> Result<(), StoreError> {
        let name = &super::names::normalized(name);
        self.write(|tx| {
            if tx.execute("DELETE FROM users WHERE name = $1", &[name.into()])? == 0 {
                return Ok(Err(StoreError::NotFound(format!("user {name:?}"))));
            }
            tx.execute("DELETE FROM tokens WHERE \"user\" = $1", &[name.into()])?;
            audit_in(tx, actor, "user_remove", name, "")?;
            Ok(Ok(()))
        })
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = self.read(|tx| {
            tx.query(
                "SELECT name, role, created_at,
                    (SELECT count(*) FROM tokens t WHERE t.\"user\" = u.name
                        AND (t.expires_at IS NULL OR t.expires_at > $1))
                 FROM users u ORDER BY name",
                &[now_s().into()],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(User {
                    name: r[0].text(),
                    role: r[1].text().parse().map_err(StoreError::Invalid)?,
                    created_at: r[2].int().unwrap_or(0),
                    tokens: r[3].int().unwrap_or(0),
                })
            })
            .collect()
    }

    /// Whose `token` is, if anyone's: the token's row by its public id, its expiry, then its
    /// argon2 hash (the slow part, done outside the store's lock). An unknown id costs the
    /// same hash, so the time taken does not tell which ids exist.
    pub fn check_token(&self, token: &str) -> Result<TokenCheck, StoreError> {
        let Some(row) = self.token_row(token)? else {
            token_matches_nothing(token);
            return Ok(TokenCheck::Unknown);
        };
        if !token_matches(token, &row.hash) {
            return Ok(TokenCheck::Unknown);
        }
        Ok(row.check())
    }

    /// The row of `token` (found by its public id, nothing hashed), if the store has one:
    /// cheap enough to read on every request, so a removed user or token is refused at once
    /// by every server sharing the store.
    pub fn token_row(&self, token: &str) -> Result<Option<TokenRow>, StoreError> {
        let Some(id) = token_id(token) else {
            return Ok(None);
        };
        let row = self.read(|tx| {
            Ok(tx
                .query(
                    "SELECT t.hash, t.expires_at, u.name, u.role, u.created_at
                     FROM tokens t JOIN users u ON u.name = t.\"user\" WHERE t.id = $1",
                    &[id.into()],
                )?
                .into_iter()
                .next())
        })?;
        let Some(row) = row else {
            return Ok(None);
        };
        let name = row[2].text();
        let role = row[3]
            .text()
            .parse()
            .map_err(|e: String| StoreError::Invalid(format!("user {name:?}: {e}")))?;
        Ok(Some(TokenRow {
            hash: row[0].text(),
            expires_at: row[1].int(),
            user: User {
                name,
                role,
                created_at: row[4].int().unwrap_or(0),
                tokens: 1,
            },
        }))
    }

    /// How many users there are (none: the server makes a first admin).
    pub fn user_count(&self) -> Result<i64, StoreError> {
        self.read(|tx| {
            Ok(tx
                .scalar("SELECT count(*) FROM users", &[])?
                .int()
                .unwrap_or(0))
        })
    }

    /// Writes an audit line on its own (for what changes nothing stored, e.g. a sign-in).
    pub fn record(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| audit_in(tx, actor, action, target, detail).map(Ok))
    }

    /// The audit log, newest first, at most `limit` lines.
    pub fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self.read(|tx| {
            tx.query(
                "SELECT id, at, actor, action, target, detail, remote FROM audit
                 ORDER BY id DESC LIMIT $1",
                &[limit.into()],
            )
        })?;
        Ok(rows.iter().map(|r| entry_of(r)).collect())
    }
}

/// A new token, its public id and its argon2id hash (made outside any lock: argon2 takes tens
/// of milliseconds on purpose).
fn new_hashed_token() -> Result<(String, String, String), StoreError> {
    let token = new_token()?;
    let id = token_id(&token)
        .expect("a new token is well formed")
        .to_string();
    let hash = Argon2::default()
        .hash_password(token.as_bytes())
        .map_err(|e| StoreError::Random(e.to_string()))?
        .to_string();
    Ok((token, id, hash))
}

fn insert_token(
    tx: &mut dyn Tx,
    actor: &Actor,
    name: &str,
    id: &str,
    hash: &str,
    now: i64,
    expires_in_s: Option<i64>,
) -> Result<(), String> {
    tx.execute(
        "INSERT INTO tokens (id, \"user\", hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        &[id.into(), name.into(), hash.into(), now.into(), expires_in_s.map(|s| now + s).into()],
    )?;
    let detail = match expires_in_s {
        Some(s) => format!("token {id}, expires in {s} s"),
        None => format!("token {id}"),
    };
    audit_in(tx, actor, "token_issue", name, &detail)
}

/// The audit log as CSV (RFC 4180): a header, then one line an entry, times in UTC ISO 8601.
/// A cell that a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return: a user name or a message chosen by an attacker) is written with a `'`
/// before it, as OWASP advises, so Excel shows it as text.
///
/// ```
/// use patrolmap::store::{audit_csv, AuditEntry};
/// let entry = AuditEntry { id: 1, at: 0, actor: "li".into(), action: "save".into(),
///     target: "fair".into(), detail: "a \"quoted\", message".into(), remote: "127.0.0.1".into() };
/// let csv = audit_csv(&[entry.clone()]);
/// assert_eq!(csv.lines().nth(1), Some("1,1970-01-01T00:00:00Z,li,save,fair,\"a \"\"quoted\"\", message\",127.0.0.1"));
/// let formula = AuditEntry { detail: "=HYPERLINK(\"http://x\")".into(), ..entry };
/// assert!(audit_csv(&[formula]).contains(",\"'=HYPERLINK(\"\"http://x\"\")\","));
/// ```
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    fn field(text: &str) -> String {
        let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_string()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    }
    let mut out = String::from("id,at,actor,action,target,detail,remote\n");
    for e in entries {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            e.id,
            utc_iso(e.at),
            field(&e.actor),
            field(&e.action),
            field(&e.target),
            field(&e.detail),
            field(&e.remote)
        ));
    }
    out
}

/// `seconds` since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, Howard Hinnant's
/// algorithm; no date crate for one format).
pub fn utc_iso(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_iso_matches_known_dates() {
        assert_eq!(utc_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_iso(1_796_083_199), "2026-11-30T23:59:59Z");
        assert_eq!(utc_iso(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn tokens_are_well_formed_and_distinct() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(token_id(&a).map(str::len), Some(TOKEN_ID_LEN));
        assert_eq!(token_id("pm_xyz"), None);
        assert_eq!(token_id(&a.replace("pm_", "pk_")), None);
    }

    /// The map has a Chinese and an English text for every audit action (`audit_ACTION` in
    /// web/i18n.js, once in each language's table).
    #[test]
    fn the_map_has_a_text_for_every_audit_action_in_both_languages() {
        let i18n = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/i18n.js"))
            .expect("web/i18n.js");
        for action in super::AUDIT_ACTIONS {
            let key = format!("audit_{action}:");
            assert_eq!(i18n.matches(&key).count(), 2, "{key} in web/i18n.js");
        }
    }
}
