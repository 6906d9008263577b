//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// A file of `../shared/data` beside the project (real OSM extracts).
pub fn shared_data(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: the tests need ../shared/data beside the project",
        path.display()
    );
    path
}

/// A fresh temporary directory for one test.
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patrolmap-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The haversine distance, written again here so the tests do not trust the library's.
pub fn haversine(a: [f64; 2], b: [f64; 2]) -> f64 {
    let r = 6_371_008.8_f64;
    let (p1, p2) = (a[1].to_radians(), b[1].to_radians());
    let h = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((b[0] - a[0]).to_radians() / 2.0).sin().powi(2);
    2.0 * r * h.min(1.0).sqrt().asin()
}

/// A GeoJSON road file from `(coordinates, properties)` pairs.
pub fn roads_geojson(features: &[(Vec<[f64; 2]>, serde_json::Value)]) -> String {
    let features: Vec<_> = features
        .iter()
        .map(|(coords, props)| {
            serde_json::json!({"type": "Feature", "properties": props,
                "geometry": {"type": "LineString", "coordinates": coords}})
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}
