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
