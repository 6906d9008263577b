//! The evaluated scenarios the map asks for by revision: revision 0 is the loaded scenario;
//! a what-if's revision is named by a hash of what was evaluated (the city with its options,
//! and the scenario), so the same question is the same revision on every server. The latest
//! are kept in memory; their inputs are kept in the store ([`crate::store::revisions`]), so a
//! server asked for one it does not hold (another server's, or one it dropped) evaluates it
//! again instead of answering 404.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::Evaluation;

/// How many evaluated what-ifs a server keeps in memory.
pub const REVISIONS_KEPT: usize = 32;

/// The revision of `scenario` (its GeoJSON text as the server writes it) evaluated on the
/// city `city_key`: the first 53 bits of their SHA-256, so that it is exact as a JavaScript
/// number; never 0 (the loaded scenario).
///
/// ```
/// use patrolmap::server::revisions::revision_id;
/// let a = revision_id("porto|60,180,300", "{\"features\":[]}");
/// assert_eq!(a, revision_id("porto|60,180,300", "{\"features\":[]}"));
/// assert_ne!(a, revision_id("porto|60,180", "{\"features\":[]}"));
/// assert!(a > 0 && a < 1 << 53);
/// ```
pub fn revision_id(city_key: &str, scenario: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(city_key.as_bytes())
        .chain_update([0u8])
        .chain_update(scenario.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) >> 11).max(1)
}

/// What `evaluation` was made of, as the store keeps it and its revision is named by: the
/// scenario's GeoJSON, with an `at` member (`HH:MM`) when it was measured at one.
pub fn inputs_text(evaluation: &Evaluation) -> String {
    let mut value = crate::scenario::write::to_geojson(&evaluation.scenario);
    if let Some(minute) = evaluation.at_minute {
        value["at"] = patrolmap_core::city::format_minute(minute).into();
    }
    value.to_string()
}

/// The time of day of inputs written by [`inputs_text`], if any.
///
/// ```
/// use patrolmap::server::revisions::time_of_day_of;
/// assert_eq!(time_of_day_of(r#"{"type":"FeatureCollection","features":[],"at":"08:30"}"#), Some(510));
/// assert_eq!(time_of_day_of(r#"{"type":"FeatureCollection","features":[]}"#), None);
/// ```
pub fn time_of_day_of(text: &str) -> Option<u16> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    patrolmap_core::network::time_of_day::parse_time(value.get("at")?.as_str()?)
}

/// The loaded scenario's evaluation and the latest what-ifs, least recently used first.
pub struct Revisions {
    base: Arc<Evaluation>,
    kept: Mutex<VecDeque<(u64, Arc<Evaluation>)>>,
}

impl Revisions {
    /// Revisions starting from the loaded scenario's evaluation.
    pub fn new(base: Evaluation) -> Revisions {
        Revisions {
            base: Arc::new(base),
            kept: Mutex::new(VecDeque::new()),
        }
    }

    /// The loaded scenario's evaluation.
    pub fn base(&self) -> &Arc<Evaluation> {
        &self.base
    }

    /// Revision `rev`, if this server holds it (then the most recently used).
    pub fn get(&self, rev: u64) -> Option<Arc<Evaluation>> {
        if rev == 0 {
            return Some(self.base.clone());
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let at = kept.iter().position(|(r, _)| *r == rev)?;
        let entry = kept.remove(at)?;
        let evaluation = entry.1.clone();
        kept.push_back(entry);
        Some(evaluation)
    }

    /// Holds `evaluation` as revision `rev`, dropping the least recently used past
    /// [`REVISIONS_KEPT`].
    pub fn insert(&self, rev: u64, evaluation: Arc<Evaluation>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|(r, _)| *r != rev);
        kept.push_back((rev, evaluation));
        while kept.len() > REVISIONS_KEPT {
            kept.pop_front();
        }
    }
}
