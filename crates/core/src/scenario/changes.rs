//! What changed between two versions of a scenario: the feature ids added, removed and moved
//! (its geometry changed), for a save that found someone had saved first and for the
//! comparison of two versions.

use std::collections::BTreeMap;

use serde_json::Value;

/// Feature ids added, removed and moved from one version to the next, each sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Changes {
    /// Ids only in the later version.
    pub added: Vec<String>,
    /// Ids only in the earlier version.
    pub removed: Vec<String>,
    /// Ids in both whose geometry differs.
    pub moved: Vec<String>,
}

impl Changes {
    /// The changes from the GeoJSON FeatureCollection `before` to `after` (features by
    /// `properties.id`; text that is not a FeatureCollection counts as none).
    ///
    /// ```
    /// use patrolmap_core::scenario::changes::Changes;
    /// let a = r#"{"type":"FeatureCollection","features":[
    ///   {"type":"Feature","properties":{"id":"car-1"},"geometry":{"type":"Point","coordinates":[1,2]}},
    ///   {"type":"Feature","properties":{"id":"cp-1"},"geometry":{"type":"Point","coordinates":[3,4]}}]}"#;
    /// let b = r#"{"type":"FeatureCollection","features":[
    ///   {"type":"Feature","properties":{"id":"car-1"},"geometry":{"type":"Point","coordinates":[1,2.5]}},
    ///   {"type":"Feature","properties":{"id":"car-2"},"geometry":{"type":"Point","coordinates":[5,6]}}]}"#;
    /// let c = Changes::between(a, b);
    /// assert_eq!((c.added, c.removed, c.moved), (vec!["car-2".to_string()], vec!["cp-1".to_string()], vec!["car-1".to_string()]));
    /// ```
    pub fn between(before: &str, after: &str) -> Changes {
        let (a, b) = (geometry_by_id(before), geometry_by_id(after));
        Changes {
            added: b.keys().filter(|k| !a.contains_key(*k)).cloned().collect(),
            removed: a.keys().filter(|k| !b.contains_key(*k)).cloned().collect(),
            moved: b
                .iter()
                .filter(|(k, g)| a.get(*k).is_some_and(|old| old != *g))
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }
}

/// Each feature's geometry by its `properties.id`.
fn geometry_by_id(geojson: &str) -> BTreeMap<String, Value> {
    let value: Value = serde_json::from_str(geojson).unwrap_or_default();
    value["features"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|f| {
                    let id = f["properties"]["id"].as_str()?.to_string();
                    Some((id, f["geometry"].clone()))
                })
                .collect()
        })
        .unwrap_or_default()
}
