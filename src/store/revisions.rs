//! What-ifs kept for the map: the scenario a server evaluated, by the revision id it gave the
//! map, so that any server sharing the store can evaluate it again when it is asked for a
//! revision it does not hold (another server's, or one it has dropped), for
//! [`REVISION_DAYS`] days.

use super::{now_s, Store, StoreError};

/// How long a what-if's inputs are kept, in days.
pub const REVISION_DAYS: i64 = 2;

/// The table, in SQLite's words.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY,
    city TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    scenario TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_by_age ON revisions(created_at);
";

/// A kept what-if.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptRevision {
    /// The city (and options) it was evaluated on, as [`crate::server::City::key`] says.
    pub city: String,
    /// The scenario GeoJSON evaluated.
    pub scenario: String,
}

impl Store {
    /// Keeps what-if `id` (the scenario evaluated on `city`); a revision of that id already
    /// kept stays as it was, its age renewed. Revisions past their age go.
    pub fn keep_revision(&self, id: i64, city: &str, scenario: &str) -> Result<(), StoreError> {
        let now = now_s();
        self.write_unsynced(|tx| {
            tx.execute(
                "INSERT INTO revisions (id, city, created_at, scenario) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at",
                &[id.into(), city.into(), now.into(), scenario.into()],
            )?;
            tx.execute(
                "DELETE FROM revisions WHERE created_at < $1",
                &[(now - REVISION_DAYS * 86_400).into()],
            )?;
            Ok(Ok(()))
        })
    }

    /// What-if `id`, if it is kept.
    pub fn revision(&self, id: i64) -> Result<Option<KeptRevision>, StoreError> {
        self.read(|tx| {
            Ok(tx
                .query(
                    "SELECT city, scenario FROM revisions WHERE id = $1",
                    &[id.into()],
                )?
                .into_iter()
                .next()
                .map(|row| KeptRevision {
                    city: row[0].text(),
                    scenario: row[1].text(),
                }))
        })
    }
}
