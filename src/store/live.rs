//! The live board in the store: every position taken, for [`POSITION_DAYS`] day (replay and
//! audit, and a restarted server's board), and each unit's status as last set.
//!
//! Positions are kept as integers (1e-7 degree, about a centimetre; milliseconds; tenths of
//! a degree and of a km/h): the store's values are integers and text on both engines.

use super::access::audit_in;
use super::sql::Value;
use super::{now_s, Actor, Store, StoreError};

/// How long positions are kept, in days.
pub const POSITION_DAYS: i64 = 1;

/// The tables, in SQLite's words.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS live_positions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    lon_e7 INTEGER NOT NULL,
    lat_e7 INTEGER NOT NULL,
    heading_ddeg INTEGER,
    speed_dkph INTEGER,
    received_at INTEGER NOT NULL,
    feed TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS live_positions_by_age ON live_positions(received_at);
CREATE INDEX IF NOT EXISTS live_positions_by_unit ON live_positions(unit, time_ms);
CREATE TABLE IF NOT EXISTS live_status (
    unit TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    actor TEXT NOT NULL
);
";

/// A position as the store keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPosition {
    /// The unit's id.
    pub unit: String,
    /// When, Unix seconds.
    pub time_s: f64,
    /// Where, `[lon, lat]`.
    pub lon_lat: [f64; 2],
    /// Heading, degrees clockwise from north.
    pub heading_deg: Option<f64>,
    /// Speed, km/h.
    pub speed_kph: Option<f64>,
}

impl Store {
    /// Keeps `positions` (taken from `actor`, the feed); positions older than
    /// [`POSITION_DAYS`] go.
    pub fn keep_positions(
        &self,
        actor: &Actor,
        positions: &[StoredPosition],
    ) -> Result<(), StoreError> {
        let now = now_s();
        let tenth = |v: Option<f64>| Value::from(v.map(|v| (v * 10.0).round() as i64));
        self.write_unsynced(|tx| {
            for p in positions {
                tx.execute(
                    "INSERT INTO live_positions (unit, time_ms, lon_e7, lat_e7, heading_ddeg, speed_dkph, received_at, feed)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        p.unit.as_str().into(),
                        ((p.time_s * 1e3).round() as i64).into(),
                        ((p.lon_lat[0] * 1e7).round() as i64).into(),
                        ((p.lon_lat[1] * 1e7).round() as i64).into(),
                        tenth(p.heading_deg),
                        tenth(p.speed_kph),
                        now.into(),
                        actor.name.as_str().into(),
                    ],
                )?;
            }
            tx.execute(
                "DELETE FROM live_positions WHERE received_at < $1",
                &[(now - POSITION_DAYS * 86_400).into()],
            )?;
            Ok(Ok(()))
        })
    }

    /// Each unit's last position kept, sent at or after `since_s` (Unix seconds).
    pub fn last_positions(&self, since_s: f64) -> Result<Vec<StoredPosition>, StoreError> {
        let rows = self.read(|tx| {
            tx.query(
                "SELECT p.unit, p.time_ms, p.lon_e7, p.lat_e7, p.heading_ddeg, p.speed_dkph
                 FROM live_positions p
                 JOIN (SELECT unit, max(time_ms) AS t FROM live_positions WHERE time_ms >= $1 GROUP BY unit) last
                   ON last.unit = p.unit AND last.t = p.time_ms
                 ORDER BY p.unit, p.id",
                &[((since_s * 1e3) as i64).into()],
            )
        })?;
        let mut out: Vec<StoredPosition> = Vec::new();
        for r in rows {
            let int = |i: usize| r[i].int();
            let p = StoredPosition {
                unit: r[0].text(),
                time_s: int(1).unwrap_or(0) as f64 / 1e3,
                lon_lat: [
                    int(2).unwrap_or(0) as f64 / 1e7,
                    int(3).unwrap_or(0) as f64 / 1e7,
                ],
                heading_deg: int(4).map(|v| v as f64 / 10.0),
                speed_kph: int(5).map(|v| v as f64 / 10.0),
            };
            // Two rows of one unit at the same millisecond: the first kept.
            if out.last().is_none_or(|l| l.unit != p.unit) {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// How many positions the store keeps.
    pub fn position_count(&self) -> Result<i64, StoreError> {
        self.read(|tx| {
            Ok(tx
                .scalar("SELECT count(*) FROM live_positions", &[])?
                .int()
                .unwrap_or(0))
        })
    }

    /// Sets units' statuses (by id), written to the audit log as one line.
    pub fn set_statuses(
        &self,
        actor: &Actor,
        statuses: &[(String, String)],
    ) -> Result<(), StoreError> {
        let now = now_s();
        self.write(|tx| {
            for (unit, status) in statuses {
                tx.execute(
                    "INSERT INTO live_status (unit, status, set_at, actor) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (unit) DO UPDATE SET status = excluded.status, set_at = excluded.set_at, actor = excluded.actor",
                    &[unit.into(), status.into(), now.into(), actor.name.as_str().into()],
                )?;
            }
            let detail = statuses
                .iter()
                .map(|(u, s)| format!("{u}: {s}"))
                .collect::<Vec<_>>()
                .join(", ");
            audit_in(tx, actor, "live_status", "units", &detail)?;
            Ok(Ok(()))
        })
    }

    /// Every unit's status as last set: `(unit, status)`.
    pub fn statuses(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows =
            self.read(|tx| tx.query("SELECT unit, status FROM live_status ORDER BY unit", &[]))?;
        Ok(rows.iter().map(|r| (r[0].text(), r[1].text())).collect())
    }
}
