//! `patrolmap coverage` against the independent implementation of spec/coverage.md in
//! `bench/spec_reference.py` (numpy + scipy), on real roads.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{shared_data, temp_dir};

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn patrolmap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_patrolmap"))
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes `units` units placed at random (seeded) on `roads` to `out`.
fn random_scenario(roads: &Path, units: usize, seed: u64, out: &Path) {
    let (units, seed) = (units.to_string(), seed.to_string());
    run(patrolmap().args([
        "scenario",
        "random",
        "--roads",
        s(roads),
        "--units",
        &units,
        "--seed",
        &seed,
        "-o",
        s(out),
    ]));
}

/// Exports `city`, places `units` at random, runs both implementations (patrolmap on
/// `engine`), compares.
fn compare(city: &str, units: usize, seed: u64, k: usize, engine: &str) {
    compare_edited(city, units, seed, k, engine, None);
}

/// [`compare`] with the exported roads changed by `edit` first, when given.
fn compare_edited(
    city: &str,
    units: usize,
    seed: u64,
    k: usize,
    engine: &str,
    edit: Option<&dyn Fn(&mut Value)>,
) {
    let dir = temp_dir(&format!("spec-{city}-{seed}-{engine}"));
    let roads = dir.join("roads.geojson");
    let scenario = dir.join("scenario.geojson");
    run(patrolmap().args(["network", "export", s(&shared_data(city)), "-o", s(&roads)]));
    if let Some(edit) = edit {
        let mut fc = read(&roads);
        edit(&mut fc);
        std::fs::write(&roads, fc.to_string()).unwrap();
    }
    random_scenario(&roads, units, seed, &scenario);
    let k_s = k.to_string();
    let common = ["--budgets", "60,180,300", "--k", &k_s];
    let (ours, ours_nt) = (dir.join("ours.json"), dir.join("ours-nt.json"));
    run(patrolmap()
        .args([
            "coverage",
            "--engine",
            engine,
            "--roads",
            s(&roads),
            "--scenario",
            s(&scenario),
            "--max-snap-m",
            "1e9",
        ])
        .args(common)
        .args(["--json", s(&ours), "--node-times", s(&ours_nt)]));
    let (theirs, theirs_nt) = (dir.join("ref.json"), dir.join("ref-nt.json"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/spec_reference.py");
    run(Command::new("python3")
        .arg(&script)
        .args([s(&roads), s(&scenario)])
        .args(common)
        .args(["--json", s(&theirs), "--node-times", s(&theirs_nt)]));

    let (a, b) = (read(&ours), read(&theirs));
    assert_eq!(a["network"]["nodes"], b["network"]["nodes"]);
    assert_eq!(a["network"]["edges"], b["network"]["edges"]);
    assert_eq!(a["units"], b["units"]);
    let (la, lb) = (
        a["network"]["length_m"].as_f64().unwrap(),
        b["network"]["length_m"].as_f64().unwrap(),
    );
    assert!((la - lb).abs() < 1e-6);
    let (rows_a, rows_b) = (
        a["coverage"].as_array().unwrap(),
        b["coverage"].as_array().unwrap(),
    );
    assert_eq!(rows_a.len(), 3 * k);
    for (x, y) in rows_a.iter().zip(rows_b) {
        assert_eq!((&x["budget_s"], &x["k"]), (&y["budget_s"], &y["k"]));
        let (cx, cy) = (
            x["covered_m"].as_f64().unwrap(),
            y["covered_m"].as_f64().unwrap(),
        );
        assert!(
            (cx - cy).abs() < 1e-6,
            "{city} budget {} k {}: {cx} vs {cy}",
            x["budget_s"],
            x["k"]
        );
    }
    let (ta, tb) = (read(&ours_nt), read(&theirs_nt));
    let (ta, tb) = (ta.as_object().unwrap(), tb.as_object().unwrap());
    assert_eq!(ta.len(), tb.len());
    let mut compared = 0;
    for (node, want) in tb {
        let got = &ta[node];
        match (got.as_f64(), want.as_f64()) {
            (Some(x), Some(y)) => {
                assert!((x - y).abs() <= 1e-9 * y.max(1.0), "{node}: {x} vs {y}");
                compared += 1;
            }
            (None, Some(y)) => assert!(y > 300.0, "{node}: unreached here, {y} s there"),
            (Some(x), None) => panic!("{node}: {x} s here, unreachable there"),
            (None, None) => {}
        }
    }
    assert!(
        compared > ta.len() / 4,
        "most nodes are reached ({compared})"
    );
}

#[test]
fn demo_city_matches_the_independent_implementation() {
    compare("campo-grande.osm.pbf", 15, 3, 3, "dijkstra");
}

/// The same numbers through PHAST on a prepared hierarchy.
#[test]
fn demo_city_with_phast_matches_the_independent_implementation() {
    compare("campo-grande.osm.pbf", 25, 4, 3, "phast");
}

/// Each direction at its own speed (`forward_speed_kph`/`backward_speed_kph`, as an OSM
/// `maxspeed:forward`/`:backward` exports) on a third of the roads, slower or faster: node
/// times and covered metres still match, on both engines.
#[test]
fn speeds_per_direction_match_the_independent_implementation() {
    let edit = |fc: &mut Value| {
        let features = fc["features"].as_array_mut().unwrap();
        let mut edited = 0;
        for (i, f) in features.iter_mut().enumerate() {
            let props = f["properties"].as_object_mut().unwrap();
            let kph = props["speed_kph"].as_f64().unwrap();
            match i % 6 {
                0 => props.insert("backward_speed_kph".into(), (kph * 0.4).into()),
                2 => props.insert("backward_speed_kph".into(), (kph * 1.7).into()),
                4 => props.insert("forward_speed_kph".into(), (kph * 0.5).into()),
                _ => continue,
            };
            edited += 1;
        }
        assert!(edited > 1000, "{edited} roads given a speed per direction");
    };
    compare_edited("campo-grande.osm.pbf", 20, 5, 3, "dijkstra", Some(&edit));
    compare_edited("campo-grande.osm.pbf", 20, 6, 2, "phast", Some(&edit));
}

#[test]
fn columbus_matches_the_independent_implementation() {
    compare("columbus.osm.pbf", 30, 9, 2, "dijkstra");
}

/// Coverage read straight from the .osm.pbf equals coverage of its GeoJSON export.
#[test]
fn osm_and_its_export_give_the_same_coverage() {
    let dir = temp_dir("osm-vs-export");
    let (roads, scenario) = (dir.join("roads.geojson"), dir.join("scenario.geojson"));
    let pbf = shared_data("campo-grande.osm.pbf");
    run(patrolmap().args(["network", "export", s(&pbf), "-o", s(&roads)]));
    random_scenario(&pbf, 12, 5, &scenario);
    let out = |roads: &Path, name: &str| {
        let json = dir.join(name);
        run(patrolmap().args([
            "coverage",
            "--roads",
            s(roads),
            "--scenario",
            s(&scenario),
            "--k",
            "2",
            "--json",
            s(&json),
        ]));
        read(&json)
    };
    let (a, b) = (out(&pbf, "a.json"), out(&roads, "b.json"));
    assert_eq!(a["coverage"], b["coverage"]);
    assert_eq!(a["network"]["nodes"], b["network"]["nodes"]);
    assert_eq!(a["tiers"], b["tiers"]);
}

/// The overlay file is valid RFC 7946 GeoJSON, and its pieces add up to the summary's
/// covered metres per budget.
#[test]
fn overlay_geojson_is_valid_and_adds_up() {
    let dir = temp_dir("overlay");
    let pbf = shared_data("campo-grande.osm.pbf");
    let (scenario, json_out, overlay) = (
        dir.join("s.geojson"),
        dir.join("out.json"),
        dir.join("overlay.geojson"),
    );
    random_scenario(&pbf, 10, 2, &scenario);
    run(patrolmap()
        .args(["coverage", "--roads", s(&pbf), "--scenario", s(&scenario)])
        .args(["--json", s(&json_out), "--geojson", s(&overlay)]));
    let (summary, overlay) = (read(&json_out), read(&overlay));
    assert_eq!(overlay["type"], "FeatureCollection");
    let features = overlay["features"].as_array().unwrap();
    assert!(features.len() > 100);
    let mut per_tier = [0.0f64; 3];
    for f in features {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["geometry"]["type"], "LineString");
        let coords = f["geometry"]["coordinates"].as_array().unwrap();
        assert!(coords.len() >= 2);
        for c in coords {
            let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            assert!((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat));
        }
        let tier = f["properties"]["tier"].as_u64().unwrap() as usize;
        assert!(
            f["properties"]["max_time_s"].as_f64().unwrap()
                <= f["properties"]["budget_s"].as_f64().unwrap() + 1e-9
        );
        per_tier[tier] += f["properties"]["length_m"].as_f64().unwrap();
    }
    let rows = summary["coverage"].as_array().unwrap();
    let mut cumulative = 0.0;
    for (tier, row) in rows.iter().enumerate() {
        cumulative += per_tier[tier];
        let covered = row["covered_m"].as_f64().unwrap();
        assert!(
            (cumulative - covered).abs() < 1e-6 * covered.max(1.0),
            "tier {tier}: {cumulative} vs {covered}"
        );
    }
}
