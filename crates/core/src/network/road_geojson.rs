//! Reads GeoJSON road files exactly as `spec/coverage.md` §1 defines them.
//!
//! Each `LineString` feature of two or more positions is one edge between the nodes at its
//! ends; ends are the same node when their 7-decimal keys are equal. Everything else is
//! skipped and counted.

use std::collections::HashMap;
use std::path::Path;

use geojson::{FeatureCollection, GeometryValue, JsonObject, JsonValue};

use super::geodesy::{is_valid_lon_lat, node_key};
use super::{
    Access, Direction, EdgeAttributes, NetworkBuilder, NetworkError, NetworkSource, RoadNetwork,
};

/// Reads a GeoJSON road file.
pub fn read_path(path: &Path) -> Result<RoadNetwork, NetworkError> {
    let text = std::fs::read_to_string(path).map_err(|source| NetworkError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_str(&text, path)
}

/// Reads GeoJSON road text; `path` only names the source in errors.
///
/// ```
/// use patrolmap_core::network::road_geojson::read_str;
/// let text = r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"highway":"primary","oneway":"yes"},
///    "geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}},
///   {"type":"Feature","properties":{},"geometry":null}]}"#;
/// let net = read_str(text, "roads.geojson".as_ref()).unwrap();
/// assert_eq!((net.nodes.len(), net.edges.len(), net.report.skipped_features), (2, 1, 1));
/// ```
pub fn read_str(text: &str, path: &Path) -> Result<RoadNetwork, NetworkError> {
    let geojson_error = |message: String| NetworkError::GeoJson {
        path: path.to_path_buf(),
        message,
    };
    let collection: FeatureCollection = serde_json::from_str(text).map_err(|e| {
        geojson_error(format!(
            "{e} (a road file must be a GeoJSON FeatureCollection)"
        ))
    })?;
    read_collection(&collection, path)
}

/// Reads road features (WGS 84, the properties of §1); `path` only names the source in
/// errors. A road layer of another format comes here through [`super::road_layer`].
pub fn read_collection(
    collection: &FeatureCollection,
    path: &Path,
) -> Result<RoadNetwork, NetworkError> {
    let mut builder = NetworkBuilder::new(NetworkSource::RoadGeoJson);
    let mut node_ids: HashMap<String, u32> = HashMap::new();
    let mut skipped = 0;
    let mut geometry: Vec<[f64; 2]> = Vec::new();
    for (index, feature) in collection.features.iter().enumerate() {
        let Some(GeometryValue::LineString { coordinates }) =
            feature.geometry.as_ref().map(|g| &g.value)
        else {
            skipped += 1;
            continue;
        };
        if coordinates.len() < 2 {
            skipped += 1;
            continue;
        }
        geometry.clear();
        for (j, position) in coordinates.iter().enumerate() {
            let p = position.as_slice();
            let lon_lat = [
                p.first().copied().unwrap_or(f64::NAN),
                p.get(1).copied().unwrap_or(f64::NAN),
            ];
            if !is_valid_lon_lat(lon_lat) {
                return Err(NetworkError::BadCoordinate {
                    path: path.to_path_buf(),
                    location: format!("feature {index}, position {j}"),
                    value: p.to_vec(),
                });
            }
            geometry.push(lon_lat);
        }
        let mut node = |p: [f64; 2]| {
            *node_ids
                .entry(node_key(p))
                .or_insert_with(|| builder.add_node(p))
        };
        let from = node(geometry[0]);
        let to = node(geometry[geometry.len() - 1]);
        let empty = JsonObject::new();
        let props = feature.properties.as_ref().unwrap_or(&empty);
        let text = |key: &str| props.get(key).and_then(JsonValue::as_str);
        let both_kph = props.get("speed_kph").and_then(spec_speed_kph);
        let directed_speed = |key: &str| props.get(key).and_then(spec_speed_kph).or(both_kph);
        let attrs = EdgeAttributes {
            class: text("highway").unwrap_or(""),
            oneway: Some(spec_oneway(props.get("oneway"))),
            // `forward_speed_kph` and `backward_speed_kph` are patrolmap's own: each direction
            // its time (a file without them reads exactly as `spec/coverage.md` says).
            tagged_speed_kph: directed_speed("forward_speed_kph"),
            tagged_backward_speed_kph: directed_speed("backward_speed_kph"),
            name: text("name"),
            road_ref: text("ref"),
            osm_way_id: props
                .get("osm_way_id")
                .and_then(JsonValue::as_i64)
                .unwrap_or(0),
            // As OSM tags it, or as patrolmap's export names it (`restricted`, ...). A file's
            // feature is a road of its network: `access=no` there is read as closed to all
            // but emergency services, not dropped.
            access: match text("access") {
                Some("restricted") => Access::Restricted,
                Some("emergency_only") => Access::EmergencyOnly,
                a => Access::from_tags(a, text("emergency"), text("police"))
                    .unwrap_or(Access::EmergencyOnly),
            },
        };
        builder.add_edge(from, to, &geometry, &attrs);
    }
    builder.report_mut().skipped_features = skipped;
    if builder.node_count() == 0 {
        return Err(NetworkError::Empty {
            path: path.to_path_buf(),
            detail: format!(
                "{} features, none a LineString of two or more positions",
                collection.features.len()
            ),
        });
    }
    Ok(builder.finish())
}

/// `oneway` as the spec reads it: `"yes"`/`true` forward, `"-1"`/`-1` backward, else both.
fn spec_oneway(value: Option<&JsonValue>) -> Direction {
    match value {
        Some(JsonValue::String(s)) if s == "yes" => Direction::Forward,
        Some(JsonValue::Bool(true)) => Direction::Forward,
        Some(JsonValue::String(s)) if s == "-1" => Direction::Backward,
        Some(JsonValue::Number(n)) if n.as_f64() == Some(-1.0) => Direction::Backward,
        _ => Direction::Both,
    }
}

/// `speed_kph` when it is a JSON number, finite and positive.
fn spec_speed_kph(value: &JsonValue) -> Option<f64> {
    match value {
        JsonValue::Number(n) => n.as_f64().filter(|v| v.is_finite() && *v > 0.0),
        _ => None,
    }
}
