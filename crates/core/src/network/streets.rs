//! Streets by name, for search: every named road's edges grouped under its name, with where
//! to show it (the middle of its longest edge) and its bounds.

use std::collections::HashMap;

use super::geodesy::point_along;
use super::RoadNetwork;

/// A street found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct StreetHit {
    /// Its name.
    pub name: String,
    /// Where to show it, `[lon, lat]`: the middle of its longest edge.
    pub position: [f64; 2],
    /// Its bounds, `[west, south, east, north]`.
    pub bbox: [f64; 4],
    /// Its length, in metres (all its edges).
    pub length_m: f64,
}

/// Every named street of a network.
#[derive(Clone, Debug, Default)]
pub struct StreetIndex {
    streets: Vec<(String, StreetHit)>,
}

impl StreetIndex {
    /// The streets of `network`, longest first.
    pub fn build(network: &RoadNetwork) -> StreetIndex {
        let mut by_name: HashMap<&str, (StreetHit, f64)> = HashMap::new();
        for (e, edge) in network.edges.iter().enumerate() {
            let Some(name) = network.name(e) else {
                continue;
            };
            let line = network.geometry(e);
            let entry = by_name.entry(name).or_insert_with(|| {
                (
                    StreetHit {
                        name: name.to_string(),
                        position: point_along(line, 0.5),
                        bbox: [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
                        length_m: 0.0,
                    },
                    0.0,
                )
            });
            let (hit, longest_m) = entry;
            hit.length_m += edge.length_m;
            if edge.length_m > *longest_m {
                *longest_m = edge.length_m;
                hit.position = point_along(line, 0.5);
            }
            for p in line {
                hit.bbox = [
                    hit.bbox[0].min(p[0]),
                    hit.bbox[1].min(p[1]),
                    hit.bbox[2].max(p[0]),
                    hit.bbox[3].max(p[1]),
                ];
            }
        }
        let mut streets: Vec<(String, StreetHit)> = by_name
            .into_values()
            .map(|(hit, _)| (fold(&hit.name), hit))
            .collect();
        streets.sort_by(|a, b| b.1.length_m.total_cmp(&a.1.length_m));
        StreetIndex { streets }
    }

    /// At most `limit` streets whose name holds `query` (letter case and accents aside, so
    /// `jiefang` finds `Jiefang Road` and `afonso` finds `Avenida Afonso Pena`; Chinese as
    /// typed): those starting with it first, then the longest.
    ///
    /// ```
    /// use patrolmap_core::network::{self, NoProgress, streets::StreetIndex};
    /// let roads = network::load("../../data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
    /// let index = StreetIndex::build(&roads);
    /// let hits = index.search("afonso pena", 5);
    /// assert!(hits[0].name.contains("Afonso Pena"));
    /// assert!(index.search("", 5).is_empty());
    /// ```
    pub fn search(&self, query: &str, limit: usize) -> Vec<StreetHit> {
        let query = fold(query.trim());
        if query.is_empty() {
            return Vec::new();
        }
        let (mut first, mut then): (Vec<&StreetHit>, Vec<&StreetHit>) = (Vec::new(), Vec::new());
        for (folded, hit) in &self.streets {
            if folded.starts_with(&query) {
                first.push(hit);
            } else if folded.contains(&query) {
                then.push(hit);
            }
        }
        first.into_iter().chain(then).take(limit).cloned().collect()
    }

    /// How many named streets there are.
    pub fn len(&self) -> usize {
        self.streets.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.streets.is_empty()
    }
}

/// `text` in lower case without the accents of Latin letters (é → e, ã → a, ç → c).
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}
