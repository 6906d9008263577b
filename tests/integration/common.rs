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

/// The middle of the demo city's stadium (an event venue on the demo roads).
pub const STADIUM: [f64; 2] = [-54.586, -20.459];
/// Half the side of the stadium's no-go pitch, in degrees.
pub const PITCH_HALF_DEG: f64 = 0.0015;

/// Adds to a scenario an event: the stadium (its own standard `60:1,180:2` and time window), a
/// gate (a key site inside it) and its pitch (a no-go area).
pub fn add_stadium(scenario: &mut serde_json::Value) {
    let [x, y] = STADIUM;
    let square = |d: f64| {
        serde_json::json!([[
            [x - d, y - d],
            [x + d, y - d],
            [x + d, y + d],
            [x - d, y + d],
            [x - d, y - d]
        ]])
    };
    let features = scenario["features"]
        .as_array_mut()
        .expect("a FeatureCollection");
    features.push(serde_json::json!({"type": "Feature", "properties": {"kind": "event_area", "id": "stadium", "name": "体育场",
        "start": "2026-12-05T18:00", "end": "2026-12-05T22:00", "standard": "60:1,180:2"},
        "geometry": {"type": "Polygon", "coordinates": square(0.004)}}));
    features.push(serde_json::json!({"type": "Feature", "properties": {"kind": "key_site", "id": "gate-a", "weight": 3},
        "geometry": {"type": "Point", "coordinates": [x + 0.001, y + 0.001]}}));
    features.push(
        serde_json::json!({"type": "Feature", "properties": {"kind": "no_go", "id": "pitch"},
        "geometry": {"type": "Polygon", "coordinates": square(PITCH_HALF_DEG)}}),
    );
}

/// The stores a store test runs on, as `(engine, location)`: a new SQLite file always, and a
/// new schema of the PostgreSQL that `PATROLMAP_TEST_POSTGRES` names (scripts/test starts one
/// with scripts/postgres-for-tests) when it is set.
pub fn test_stores(test: &str) -> Vec<(&'static str, String)> {
    let mut stores = vec![(
        "sqlite",
        temp_dir(test).join("s.db").to_str().unwrap().to_string(),
    )];
    match std::env::var("PATROLMAP_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => stores.push(("postgres", postgres_schema(&url, test))),
        _ => eprintln!(
            "{test}: PostgreSQL not tested (PATROLMAP_TEST_POSTGRES is not set; scripts/test sets it)"
        ),
    }
    stores
}

/// A fresh schema `t_<test>` in the database at `url`, and the address that uses it (PostGIS
/// stays reachable in `public`).
pub fn postgres_schema(url: &str, test: &str) -> String {
    let schema: String = format!("t_{test}_{}", std::process::id())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut admin = postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("PATROLMAP_TEST_POSTGRES={url}: {e}"));
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
        ))
        .unwrap();
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}options=-csearch_path%3D{schema}%2Cpublic")
}
