//! Scenario files: every kind read, bad features reported by index with the reason, the rest
//! loaded; CSV as well; whole-file errors name the file.

use std::process::Command;

use patrolmap::network::TravelMode;
use patrolmap::scenario::{self, read_csv_str, read_geojson_str, UnitKind};
use serde_json::json;

use crate::common::{shared_data, temp_dir};

fn collection(features: Vec<serde_json::Value>) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

fn point(props: serde_json::Value, coords: serde_json::Value) -> serde_json::Value {
    json!({"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": coords}})
}

#[test]
fn every_kind_loads_and_bad_features_are_reported_by_index() {
    let text = collection(vec![
        point(json!({}), json!([112.9, 27.8])),
        point(
            json!({"kind": "post", "class": "kiosk", "name": "岳塘岗亭", "turnout_s": 30}),
            json!([112.91, 27.8]),
        ),
        point(
            json!({"kind": "unit", "mode": "ebike", "id": "E-7"}),
            json!([112.92, 27.8]),
        ),
        point(
            json!({"kind": "checkpoint", "dwell_s": 120}),
            json!([112.9, 27.81]),
        ),
        point(
            json!({"kind": "key_site", "weight": 3}),
            json!([112.9, 27.82]),
        ),
        point(json!({"kind": "incident"}), json!([112.9, 27.83])),
        json!({"type": "Feature", "properties": {"kind": "patrol_line"},
               "geometry": {"type": "LineString", "coordinates": [[112.9, 27.8], [112.91, 27.81]]}}),
        json!({"type": "Feature", "properties": {"kind": "closure"},
               "geometry": {"type": "Polygon", "coordinates": [[[112.9, 27.8], [112.91, 27.8], [112.91, 27.81], [112.9, 27.8]]]}}),
        // Bad ones, by index 8..:
        point(json!({"kind": "ufo"}), json!([112.9, 27.8])),
        point(
            json!({"kind": "unit", "mode": "helicopter"}),
            json!([112.9, 27.8]),
        ),
        point(json!({"kind": "unit"}), json!([212.9, 27.8])),
        point(
            json!({"kind": "post", "turnout_s": "soon"}),
            json!([112.9, 27.8]),
        ),
        point(
            json!({"kind": "checkpoint", "weight": -2}),
            json!([112.9, 27.8]),
        ),
        json!({"type": "Feature", "properties": {"kind": "unit"}, "geometry": null}),
        json!({"type": "Feature", "properties": {"kind": "patrol_line"},
               "geometry": {"type": "LineString", "coordinates": [[112.9, 27.8]]}}),
        json!({"type": "Feature", "properties": {"kind": "unit"},
               "geometry": {"type": "LineString", "coordinates": [[112.9, 27.8], [112.91, 27.8]]}}),
    ]);
    let s = read_geojson_str(&text).unwrap();
    assert_eq!(s.units.len(), 3);
    assert_eq!(s.units[0].kind, UnitKind::Unit);
    assert_eq!(s.units[1].kind, UnitKind::Post);
    assert_eq!(s.units[1].name.as_deref(), Some("岳塘岗亭"));
    assert_eq!(s.units[1].turnout_s, 30.0);
    assert_eq!(s.units[2].mode, TravelMode::Ebike);
    assert_eq!(s.units[2].id, "E-7");
    assert_eq!(
        (s.checkpoints.len(), s.key_sites.len(), s.incidents.len()),
        (1, 1, 1)
    );
    assert_eq!(s.checkpoints[0].dwell_s, 120.0);
    assert_eq!(s.key_sites[0].weight, 3.0);
    assert_eq!((s.patrol_lines.len(), s.closures.len()), (1, 1));
    let problems: Vec<(usize, &str)> = s
        .problems
        .iter()
        .map(|p| (p.feature, p.reason.as_str()))
        .collect();
    let expect = [
        (8, "unknown kind \"ufo\""),
        (9, "unknown travel mode \"helicopter\""),
        (10, "invalid position"),
        (11, "turnout_s must be a number"),
        (12, "weight must be a number ≥ 0"),
        (13, "no geometry"),
        (14, "needs two or more valid positions"),
        (15, "is not a scenario feature"),
    ];
    assert_eq!(problems.len(), expect.len(), "{problems:?}");
    for ((index, reason), (want_index, want)) in problems.iter().zip(expect) {
        assert_eq!(*index, want_index);
        assert!(
            reason.contains(want),
            "feature {index}: {reason:?} should say {want:?}"
        );
    }
}

#[test]
fn csv_points_load_with_quotes_and_report_bad_rows() {
    let text = "lon,lat,kind,name,class,turnout_s\n\
                112.9,27.8,post,\"站, \"\"东\"\"\",station,60\n\
                112.91,27.8,,patrol car,,\n\
                abc,27.8,unit,bad lon,,\n\
                112.92,27.8,checkpoint,gate,,\n";
    let s = read_csv_str(text).unwrap();
    assert_eq!(s.units.len(), 2);
    assert_eq!(s.units[0].name.as_deref(), Some("站, \"东\""));
    assert_eq!(s.units[0].turnout_s, 60.0);
    assert_eq!(s.checkpoints.len(), 1);
    assert_eq!(s.problems.len(), 1);
    assert_eq!(s.problems[0].feature, 2);
    assert!(s.problems[0].reason.contains("lon: not a number"));
    assert!(read_csv_str("a,b\n1,2\n")
        .unwrap_err()
        .to_string()
        .contains("lon and lat"));
}

#[test]
fn coverage_command_reports_bad_scenarios_clearly() {
    let dir = temp_dir("bad-scenario");
    let roads = shared_data("campo-grande.osm.pbf");
    let run = |scenario: &std::path::Path, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_patrolmap"))
            .args([
                "coverage",
                "--roads",
                roads.to_str().unwrap(),
                "--scenario",
                scenario.to_str().unwrap(),
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let not_json = dir.join("s.geojson");
    std::fs::write(&not_json, "{ nope").unwrap();
    let out = run(&not_json, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains(not_json.to_str().unwrap()) && err.contains("invalid GeoJSON"),
        "{err}"
    );

    let no_units = dir.join("none.geojson");
    std::fs::write(
        &no_units,
        collection(vec![point(
            json!({"kind": "checkpoint"}),
            json!([-54.6, -20.46]),
        )]),
    )
    .unwrap();
    let out = run(&no_units, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no responding units"));

    // One good unit, one far away, one bad feature: warnings name them, the rest computes.
    let net = patrolmap::network::load(&roads, &patrolmap::network::NoProgress).unwrap();
    let on_road = net.geometry(0)[0];
    let mixed = dir.join("mixed.geojson");
    std::fs::write(
        &mixed,
        collection(vec![
            point(json!({"id": "near"}), json!(on_road)),
            point(json!({"id": "far"}), json!([-50.0, -20.46])),
            point(json!({"kind": "ufo"}), json!([-54.62, -20.46])),
        ]),
    )
    .unwrap();
    let json_out = dir.join("out.json");
    let out = run(&mixed, &["--json", json_out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("feature 2: unknown kind"), "{err}");
    assert!(
        err.contains("unit far (feature 1) refused: nearest road is"),
        "{err}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    assert_eq!(summary["units"], 1);
    assert_eq!(summary["units_refused"][0]["id"], "far");

    for (args, message) in [
        (vec!["--budgets", "60,-1"], "--budgets"),
        (vec!["--k", "0"], "--k must be"),
        (vec!["--standard", "60:zero"], "units must be"),
    ] {
        let out = run(&mixed, &args);
        assert_ne!(out.status.code(), Some(0));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(message) && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
    let missing = dir.join("missing.geojson");
    let out = run(&missing, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let _ = scenario::load(&missing).unwrap_err();
}

/// The middle of the first car road longer than 100 m in the demo city.
fn middle_of_a_car_road(roads: &std::path::Path) -> [f64; 2] {
    use patrolmap::network::{self, geodesy::point_along, NoProgress, Profile, ProfileGraph};
    let net = network::load(roads, &NoProgress).unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let e = (0..net.edges.len())
        .find(|&e| graph.is_usable(e) && net.edges[e].length_m > 100.0)
        .unwrap();
    point_along(net.geometry(e), 0.5)
}

/// Runs `patrolmap coverage` on `features` (with `extra` arguments) and returns its summary.
fn coverage_summary(
    dir: &std::path::Path,
    name: &str,
    features: Vec<serde_json::Value>,
    extra: &[&str],
) -> serde_json::Value {
    let roads = shared_data("campo-grande.osm.pbf");
    let (scenario, out) = (
        dir.join(format!("{name}.geojson")),
        dir.join(format!("{name}.json")),
    );
    std::fs::write(&scenario, collection(features)).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args([
            "coverage",
            "--roads",
            roads.to_str().unwrap(),
            "--scenario",
            scenario.to_str().unwrap(),
        ])
        .args(["--json", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

/// A closure polygon around a unit's street takes that street out of the network: coverage
/// drops, and the summary says how many edges were closed.
#[test]
fn closures_close_roads_for_coverage() {
    let dir = temp_dir("closures");
    let mid = middle_of_a_car_road(&shared_data("campo-grande.osm.pbf"));
    let units = vec![point(json!({"id": "u"}), json!(mid))];
    let d = 0.0015;
    let square = json!([[
        [mid[0] - d, mid[1] - d],
        [mid[0] + d, mid[1] - d],
        [mid[0] + d, mid[1] + d],
        [mid[0] - d, mid[1] + d],
        [mid[0] - d, mid[1] - d]
    ]]);
    let mut closed = units.clone();
    closed.push(json!({"type": "Feature", "properties": {"kind": "closure"}, "geometry": {"type": "Polygon", "coordinates": square}}));
    let covered = |features: Vec<serde_json::Value>, name: &str| {
        let v = coverage_summary(&dir, name, features, &["--max-snap-m", "2000"]);
        (
            v["coverage"][0]["covered_m"].as_f64().unwrap(),
            v["closed_edges"].as_u64().unwrap(),
            v["network"]["length_m"].as_f64().unwrap(),
        )
    };
    let (open_m, none_closed, open_total) = covered(units, "open");
    let (closed_m, n_closed, closed_total) = covered(closed, "closed");
    assert_eq!(none_closed, 0);
    assert!(n_closed >= 1);
    assert!(closed_total < open_total);
    assert!(open_m > 0.0);
    assert!(
        closed_m < open_m,
        "closing the unit's street lowers its 1-minute coverage ({closed_m} vs {open_m})"
    );
}

/// Units travel on their own mode's roads, and tiers count only the classes they name.
#[test]
fn modes_and_unit_classes_shape_coverage() {
    let dir = temp_dir("modes-classes");
    let at = middle_of_a_car_road(&shared_data("campo-grande.osm.pbf"));
    let run = |name: &str, props: serde_json::Value, standard: &str| {
        let v = coverage_summary(
            &dir,
            name,
            vec![point(props, json!(at))],
            &["--standard", standard],
        );
        (
            v["coverage"][0]["covered_m"].as_f64().unwrap(),
            v["tiers"][0]["covered_m"].as_f64().unwrap(),
        )
    };
    let (car, _) = run("car", json!({"mode": "car"}), "60:1");
    let (foot, _) = run("foot", json!({"mode": "foot"}), "60:1");
    let (late, _) = run("late", json!({"mode": "car", "turnout_s": 30}), "60:1");
    assert!(
        foot > 0.0 && foot < car,
        "walking covers less in a minute ({foot} vs {car})"
    );
    assert!(late < car, "a 30 s turnout covers less ({late} vs {car})");
    let (_, kiosk_tier) = run("kiosk", json!({"class": "kiosk"}), "60:1:kiosk|station");
    let (_, patrol_tier) = run("patrol", json!({"class": "patrol"}), "60:1:kiosk|station");
    assert!(kiosk_tier > 0.0);
    assert_eq!(
        patrol_tier, 0.0,
        "a patrol unit does not count for a kiosk/station tier"
    );
}

/// The response standard comes from --standard, else from the config file, else 1-3-5.
#[test]
fn the_standard_comes_from_the_command_line_the_config_or_the_default() {
    let dir = temp_dir("standard");
    let at = middle_of_a_car_road(&shared_data("campo-grande.osm.pbf"));
    let units = || vec![point(json!({}), json!(at))];
    let config = dir.join("patrolmap.toml");
    std::fs::write(
        &config,
        "standard = \"45:1,240:1\"\n[profiles.car]\nspeeds_kph = { residential = 30 }\n",
    )
    .unwrap();
    let config_s = config.to_str().unwrap();
    let default = coverage_summary(&dir, "default", units(), &[]);
    assert_eq!(default["standard"], "60:1,180:2,300:3");
    let from_config = coverage_summary(&dir, "config", units(), &["--config", config_s]);
    assert_eq!(from_config["standard"], "45:1,240:1");
    assert_eq!(from_config["tiers"].as_array().unwrap().len(), 2);
    let from_cli = coverage_summary(
        &dir,
        "cli",
        units(),
        &["--config", config_s, "--standard", "90:1"],
    );
    assert_eq!(from_cli["standard"], "90:1");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "standard = \"ninety\"\n").unwrap();
    let scenario = dir.join("default.geojson");
    let out = Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args([
            "coverage",
            "--roads",
            shared_data("campo-grande.osm.pbf").to_str().unwrap(),
        ])
        .args([
            "--scenario",
            scenario.to_str().unwrap(),
            "--config",
            bad.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("bad.toml") && err.contains("standard"),
        "{err}"
    );
}

#[test]
fn a_saved_patrol_route_is_no_problem_and_no_responder() {
    let text = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"kind":"unit","id":"u1"},"geometry":{"type":"Point","coordinates":[-54.6,-20.45]}},
      {"type":"Feature","properties":{"kind":"patrol_route","id":"patrol-route-1","unit":"1","steps":[[3,true]]},
       "geometry":{"type":"LineString","coordinates":[[-54.6,-20.45],[-54.61,-20.46]]}},
      {"type":"Feature","properties":{"kind":"patrol_rout"},"geometry":{"type":"LineString","coordinates":[[-54.6,-20.45],[-54.61,-20.46]]}}]}"#;
    let scenario = patrolmap::scenario::read_geojson_str(text).unwrap();
    assert_eq!(scenario.units.len(), 1);
    assert!(scenario.patrol_lines.is_empty());
    // Only the misspelt kind is a problem.
    assert_eq!(scenario.problems.len(), 1, "{:?}", scenario.problems);
    assert_eq!(scenario.problems[0].feature, 2);
}

/// Issue 16: the engine's errors are typed and keep their cause as a source (what went wrong
/// underneath is not flattened into text), and a cause is said once.
#[test]
fn library_errors_keep_their_cause_as_a_source() {
    use std::error::Error;
    let not_json = read_geojson_str("{\"type\": ").unwrap_err();
    assert!(not_json.source().is_some(), "{not_json}");
    let said = patrolmap::describe(&not_json);
    assert!(
        said.starts_with("invalid GeoJSON (a scenario must be a FeatureCollection): "),
        "{said}"
    );
    assert_eq!(said.matches("EOF").count(), 1, "{said}");
    let standard =
        patrolmap::coverage::ResponseStandard::from_config_toml("standard = \"60:0\"").unwrap_err();
    let cause = standard.source().expect("the tier that is wrong");
    assert!(cause.to_string().contains("units must be"), "{cause}");
    let config = patrolmap::network::ProfileSet::from_toml_str("[profiles.car]\nspeeds_kph = 3")
        .unwrap_err();
    assert!(config.source().is_some(), "{config}");
    assert!(matches!(
        "nowhere".parse::<patrolmap::optimize::problem::Candidates>(),
        Err(patrolmap::optimize::problem::ParseError::Candidates(_))
    ));
}
