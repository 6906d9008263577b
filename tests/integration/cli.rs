//! The `patrolmap` binary: real files in, clear errors on bad ones, never a panic.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{add_stadium, shared_data, temp_dir, PITCH_HALF_DEG, STADIUM};
use serde_json::json;

fn patrolmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs the command, expects a failure whose message names `file` and contains `reason`.
fn assert_fails(args: &[&str], file: &Path, reason: &str) {
    let out = patrolmap(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert!(
        stderr.contains(&file.display().to_string()),
        "{args:?}: the error should name the file: {stderr}"
    );
    assert!(
        stderr.contains(reason),
        "{args:?}: expected {reason:?} in: {stderr}"
    );
}

/// Runs the command, expects success (else shows its errors), and reads the JSON it wrote to
/// `report`.
fn json_of_run(args: &[&str], report: &Path) -> serde_json::Value {
    let out = patrolmap(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

/// The bundled demo city and its deployment.
fn demo_files() -> (std::path::PathBuf, std::path::PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    (
        root.join("data/campo-grande.osm.pbf"),
        root.join("data/demo-scenario.geojson"),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn info_works_on_every_shared_city() {
    for name in ["campo-grande.osm.pbf", "columbus.osm.pbf", "porto.osm.pbf"] {
        let file = shared_data(name);
        let out = patrolmap(&["network", "info", s(&file), "--json"]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(info["nodes"].as_u64().unwrap() > 5_000, "{name}");
        assert!(info["length_m"].as_f64().unwrap() > 1e6, "{name}");
        let share = info["connectivity"]["largest_share"].as_f64().unwrap();
        assert!(
            share > 0.9 && share < 1.0,
            "{name}: cut extracts have islands ({share})"
        );
    }
    let text = patrolmap(&[
        "network",
        "info",
        s(&shared_data("campo-grande.osm.pbf")),
        "--profile",
        "foot",
    ]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("profile     foot"));
}

#[test]
fn export_writes_spec_geojson_that_loads_back() {
    let dir = temp_dir("export");
    let out = dir.join("roads.geojson");
    let run = patrolmap(&[
        "network",
        "export",
        s(&shared_data("campo-grande.osm.pbf")),
        "-o",
        s(&out),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let a = patrolmap(&[
        "network",
        "info",
        s(&shared_data("campo-grande.osm.pbf")),
        "--json",
    ]);
    let b = patrolmap(&["network", "info", s(&out), "--json"]);
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&a.stdout).unwrap(),
        serde_json::from_slice(&b.stdout).unwrap(),
    );
    for key in ["nodes", "edges", "arcs"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let (la, lb) = (
        a["length_m"].as_f64().unwrap(),
        b["length_m"].as_f64().unwrap(),
    );
    assert!((la - lb).abs() < 1e-6 * la);
    assert_eq!(
        a["connectivity"]["components"],
        b["connectivity"]["components"]
    );
}

#[test]
fn bad_road_files_get_clear_errors() {
    let dir = temp_dir("bad-roads");
    let missing = dir.join("missing.osm.pbf");
    assert_fails(&["network", "info", s(&missing)], &missing, "cannot read");

    let not_osm = dir.join("notes.osm.pbf");
    std::fs::write(&not_osm, "this is not a PBF file at all, just some text\n").unwrap();
    assert_fails(
        &["network", "info", s(&not_osm)],
        &not_osm,
        "not a readable OSM PBF file",
    );

    let truncated = dir.join("truncated.osm.pbf");
    let bytes = std::fs::read(shared_data("campo-grande.osm.pbf")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_fails(
        &["network", "info", s(&truncated)],
        &truncated,
        "not a readable OSM PBF file",
    );

    let empty_pbf = dir.join("empty.osm.pbf");
    std::fs::write(&empty_pbf, b"").unwrap();
    assert_fails(
        &["network", "info", s(&empty_pbf)],
        &empty_pbf,
        "no OSM blocks",
    );

    let invalid = dir.join("invalid.geojson");
    std::fs::write(
        &invalid,
        r#"{"type": "FeatureCollection", "features": [ {"type": "Feature", "#,
    )
    .unwrap();
    assert_fails(
        &["network", "info", s(&invalid)],
        &invalid,
        "invalid GeoJSON",
    );

    let not_collection = dir.join("point.geojson");
    std::fs::write(
        &not_collection,
        r#"{"type": "Point", "coordinates": [0, 0]}"#,
    )
    .unwrap();
    assert_fails(
        &["network", "info", s(&not_collection)],
        &not_collection,
        "FeatureCollection",
    );

    let no_geometry = dir.join("nogeom.geojson");
    std::fs::write(
        &no_geometry,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}]}"#,
    )
    .unwrap();
    assert_fails(
        &["network", "info", s(&no_geometry)],
        &no_geometry,
        "none a LineString",
    );

    let nan = dir.join("nan.geojson");
    std::fs::write(
        &nan,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[NaN,1]]}}]}"#,
    )
    .unwrap();
    assert_fails(&["network", "info", s(&nan)], &nan, "invalid GeoJSON");

    let out_of_range = dir.join("range.geojson");
    std::fs::write(
        &out_of_range,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}},
        {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[181,95]]}}]}"#,
    )
    .unwrap();
    assert_fails(
        &["network", "info", s(&out_of_range)],
        &out_of_range,
        "feature 1, position 1",
    );

    let empty = dir.join("empty.geojson");
    std::fs::write(&empty, r#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    assert_fails(&["network", "info", s(&empty)], &empty, "no roads found");

    let unknown = dir.join("roads.txt");
    std::fs::write(&unknown, "hello").unwrap();
    assert_fails(
        &["network", "info", s(&unknown)],
        &unknown,
        "unknown road file type",
    );
}

#[test]
fn a_profile_that_keeps_no_edge_is_an_error() {
    let dir = temp_dir("no-edges");
    let config = dir.join("profiles.toml");
    std::fs::write(&config, "[profiles.car]\nosm_classes = []\n").unwrap();
    let file = shared_data("campo-grande.osm.pbf");
    assert_fails(
        &["network", "info", s(&file), "--config", s(&config)],
        &file,
        "keeps none of the",
    );

    let bad_config = dir.join("bad.toml");
    std::fs::write(
        &bad_config,
        "[profiles.car]\nspeeds_kph = { primary = \"fast\" }\n",
    )
    .unwrap();
    assert_fails(
        &["network", "info", s(&file), "--config", s(&bad_config)],
        &bad_config,
        "invalid profile config",
    );
}

#[test]
fn help_describes_the_commands() {
    let out = patrolmap(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("network"));
    let out = patrolmap(&["network", "export", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--output"));
}

/// The README's first command: coverage of the bundled demo deployment, with no warnings.
#[test]
fn the_demo_deployment_runs_clean() {
    let (roads, scenario) = demo_files();
    let dir = temp_dir("demo");
    let json = dir.join("out.json");
    let out = patrolmap(&[
        "coverage",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--json",
        s(&json),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["units"], 20);
    assert_eq!(summary["points"].as_array().unwrap().len(), 24 + 6 + 40);
    let shares: Vec<f64> = summary["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["share"].as_f64().unwrap())
        .collect();
    assert!(shares.iter().all(|&s| s > 0.0 && s < 1.0), "{shares:?}");
}

/// `coverage --speeds FILE --at HH:MM`: the demo deployment at a rush hour where every road
/// of the city crawls covers less than at free flow, another hour of the same file covers
/// the same as free flow, and a broken speed file is refused naming its line and field.
#[test]
fn coverage_at_a_time_of_day_from_a_speed_file() {
    let (roads, scenario) = demo_files();
    let dir = temp_dir("speeds");
    let net = patrolmap::network::load(&roads, &patrolmap::network::NoProgress).unwrap();
    let mut ways: Vec<i64> = net.edges.iter().map(|e| e.osm_way_id).collect();
    ways.sort_unstable();
    ways.dedup();
    let mut csv = String::from("osm_way_id,direction,time,speed_kph\n");
    for w in &ways {
        csv += &format!("{w},both,07:00,8\n");
    }
    let speeds = dir.join("speeds.csv");
    std::fs::write(&speeds, &csv).unwrap();
    let share_at = |extra: &[&str]| {
        let json = dir.join("out.json");
        let mut args = vec![
            "coverage",
            "--roads",
            s(&roads),
            "--scenario",
            s(&scenario),
            "--json",
            s(&json),
        ];
        args.extend_from_slice(extra);
        let summary = json_of_run(&args, &json);
        summary["tiers"][2]["share"].as_f64().unwrap()
    };
    let free = share_at(&[]);
    let rush = share_at(&["--speeds", s(&speeds), "--at", "08:00"]);
    assert!(rush < free * 0.8, "rush {rush} vs free {free}");
    // Only 07:00 is given, so it holds all day: 06:59 is the same crawl.
    assert_eq!(share_at(&["--speeds", s(&speeds), "--at", "06:59"]), rush);
    std::fs::write(&speeds, csv.replace(",8\n", ",80\n")).unwrap();
    assert!(share_at(&["--speeds", s(&speeds), "--at", "08:00"]) >= free);

    // Another city's file: the run goes on at free flow, with a warning saying so.
    std::fs::write(
        &speeds,
        "osm_way_id,direction,time,speed_kph\n1,both,07:00,5\n",
    )
    .unwrap();
    let (r, sc, sp) = (s(&roads), s(&scenario), s(&speeds));
    let out = patrolmap(&[
        "coverage",
        "--roads",
        r,
        "--scenario",
        sc,
        "--speeds",
        sp,
        "--at",
        "08:00",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("names no road of"),
        "{stderr}"
    );

    std::fs::write(
        &speeds,
        "osm_way_id,direction,time,speed_kph\n1,both,07:00,fast\n",
    )
    .unwrap();
    let base = [
        "coverage",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--speeds",
        s(&speeds),
    ];
    let mut args = base.to_vec();
    args.extend(["--at", "08:00"]);
    assert_fails(
        &args,
        &speeds,
        "line 2: field `speed_kph`: 'fast' is not a speed",
    );
    let mut args = base.to_vec();
    args.extend(["--at", "8 am"]);
    let out = patrolmap(&args);
    assert!(String::from_utf8_lossy(&out.stderr).contains("'8 am' is not a time of day"));
    let out = patrolmap(&base);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--at"));
}

/// `patrol match` and `patrol plan` on the demo city: reports, routes as GeoJSON with
/// timetables, the independent check passing, and clear errors.
#[test]
fn patrol_commands_on_the_demo_city() {
    let (roads, scenario) = demo_files();
    let dir = temp_dir("patrol");
    let report = dir.join("match.json");
    let out = patrolmap(&[
        "patrol",
        "match",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--json",
        s(&report),
        "--line-coverage",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(m["lines_matched"], 6);
    assert_eq!(m["checkpoints_placed"], 24);
    for line in m["lines"].as_array().unwrap() {
        let c = &line["coverage_from_line"];
        for b in 0..3 {
            let (best, worst) = (
                c["best_m"][b].as_f64().unwrap(),
                c["worst_m"][b].as_f64().unwrap(),
            );
            assert!(worst <= best && best > 0.0, "{line}");
        }
    }

    let (plan, json) = (dir.join("plan.geojson"), dir.join("plan.json"));
    let out = patrolmap(&[
        "patrol",
        "plan",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--units",
        "3",
        "--shift",
        "4h",
        "-o",
        s(&plan),
        "--json",
        s(&json),
        "--coverage-every",
        "5m",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let routes: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let features = routes["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    for f in features {
        assert_eq!(f["geometry"]["type"], "LineString");
        let coords = f["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(coords.first(), coords.last(), "a route returns to its post");
        let d = f["properties"]["duration_s"].as_f64().unwrap();
        assert!(d > 0.0 && d <= 4.0 * 3600.0);
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["check"]["lines_covered"], 6);
    // Coverage over the 4 h shift, sampled every 5 minutes.
    let over = &report["shift_coverage"];
    assert_eq!(over["samples"], 49);
    assert_eq!(over["tiers"].as_array().unwrap().len(), 3);
    for tier in over["tiers"].as_array().unwrap() {
        let (mean, worst) = (
            tier["mean_share"].as_f64().unwrap(),
            tier["worst_share"].as_f64().unwrap(),
        );
        assert!(worst <= mean && mean <= 1.0 && mean > 0.0, "{tier}");
        assert_eq!(tier["share_by_sample"].as_array().unwrap().len(), 49);
    }
    assert!(stdout.contains("coverage over the shift"), "{stdout}");
    assert!(report["longest_s"].as_f64() >= report["longest_lower_bound_s"].as_f64());

    // The plan checked on its own; then edited by hand (steps dropped, every vertex moved a
    // couple of metres): matched to the roads anew, the same durations and findings.
    let check = |plan_file: &Path, out: &Path| {
        let o = patrolmap(&[
            "patrol",
            "check",
            "--roads",
            s(&roads),
            "--scenario",
            s(&scenario),
            "--plan",
            s(plan_file),
            "--shift",
            "4h",
            "--json",
            s(out),
        ]);
        let text = std::fs::read_to_string(out)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
        (o, serde_json::from_str::<serde_json::Value>(&text).unwrap())
    };
    let (o, as_planned) = check(&plan, &dir.join("check.json"));
    // Only the demo's two checkpoints on road no patrol can reach and leave are missed: said,
    // and excused as by `plan`.
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let warned = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        warned
            .matches("no patrol from the posts can reach and leave")
            .count(),
        2,
        "{warned}"
    );
    // What is not excused still fails: the same plan in a ten-minute shift.
    let o = patrolmap(&[
        "patrol",
        "check",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--plan",
        s(&plan),
        "--shift",
        "10m",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("over_shift"));
    let kinds = |r: &serde_json::Value| -> Vec<String> {
        r["check"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(&as_planned), vec!["checkpoint_missed"; 2]);
    assert_eq!(as_planned["rematched"], 0);
    let mut edited = routes.clone();
    for f in edited["features"].as_array_mut().unwrap() {
        f["properties"].as_object_mut().unwrap().remove("steps");
        for c in f["geometry"]["coordinates"].as_array_mut().unwrap() {
            c[1] = serde_json::json!(c[1].as_f64().unwrap() + 0.00002);
        }
    }
    let edited_file = dir.join("edited.geojson");
    std::fs::write(&edited_file, edited.to_string()).unwrap();
    let (_, rematched) = check(&edited_file, &dir.join("edited.json"));
    assert_eq!(rematched["rematched"], 3);
    assert_eq!(kinds(&rematched), kinds(&as_planned));
    assert_eq!(
        rematched["check"]["durations_s"],
        as_planned["check"]["durations_s"]
    );
    // A route cut short and joined straight across the blocks: it cannot be read as roads,
    // and the error says which route and why.
    let mut cut = routes.clone();
    let coords = cut["features"][0]["geometry"]["coordinates"]
        .as_array_mut()
        .unwrap();
    let n = coords.len();
    coords.drain(n / 3..n / 2);
    let cut_file = dir.join("cut.geojson");
    std::fs::write(&cut_file, cut.to_string()).unwrap();
    let o = patrolmap(&[
        "patrol",
        "check",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--plan",
        s(&cut_file),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cut.geojson: feature 0") && err.contains("cannot be matched"),
        "{err}"
    );
    // Not a plan: the error names the file.
    let o = patrolmap(&[
        "patrol",
        "check",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--plan",
        s(&scenario),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("demo-scenario.geojson") && err.contains("LineString"),
        "{err}"
    );

    // Too short a shift: the check fails, and the command says so.
    let out = patrolmap(&[
        "patrol",
        "plan",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--shift",
        "10m",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("over_shift"));
    // Bad arguments.
    let out = patrolmap(&[
        "patrol",
        "plan",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--shift",
        "soon",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shift"));
    assert_fails(
        &[
            "patrol",
            "match",
            "--roads",
            s(&roads),
            "--scenario",
            "/nonexistent.geojson",
        ],
        Path::new("/nonexistent.geojson"),
        "cannot read",
    );
}

#[test]
fn optimize_suggests_posts_on_the_demo_city() {
    let (roads, scenario) = demo_files();
    let dir = temp_dir("optimize");
    let (report, posts) = (dir.join("o.json"), dir.join("o.geojson"));
    let r = json_of_run(
        &[
            "optimize",
            "--roads",
            s(&roads),
            "--scenario",
            s(&scenario),
            "--add",
            "3",
            "--budget",
            "120",
            "--json",
            s(&report),
            "--geojson",
            s(&posts),
        ],
        &report,
    );
    let (before, after, bound) = (
        r["share_before"].as_f64().unwrap(),
        r["share"].as_f64().unwrap(),
        r["upper_bound_share"].as_f64().unwrap(),
    );
    assert!(before < after && after <= bound && bound <= 1.0, "{r}");
    assert_eq!(r["added"].as_array().unwrap().len(), 3);
    let gains: Vec<f64> = r["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["gain"].as_f64().unwrap())
        .collect();
    assert!(gains.iter().all(|&g| g > 0.0));
    let fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&posts).unwrap()).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 3);
    // Bad input: a clear error, no panic.
    let out = patrolmap(&[
        "optimize",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--budget",
        "0",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--budget"));
    let out = patrolmap(&[
        "optimize",
        "--roads",
        s(&roads),
        "--scenario",
        s(&scenario),
        "--candidates",
        s(&roads),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("campo-grande.osm.pbf"));
}

#[test]
fn fewest_posts_and_an_event_plan_on_the_demo_city() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let roads = root.join("data/campo-grande.osm.pbf");
    let demo = root.join("data/demo-scenario.geojson");
    let dir = temp_dir("event-plan");
    // Fewest posts covering every checkpoint within 60 s.
    let report = dir.join("cover.json");
    let r = json_of_run(
        &[
            "optimize",
            "--roads",
            s(&roads),
            "--scenario",
            s(&demo),
            "--cover",
            "checkpoints",
            "--budget",
            "60",
            "--time-limit",
            "5",
            "--json",
            s(&report),
        ],
        &report,
    );
    let added = r["added"].as_array().unwrap().len();
    assert!(
        added >= 1 && r["lower_bound"].as_u64().unwrap() as usize <= added,
        "{r}"
    );
    assert_eq!(
        r["proven"],
        json!(r["lower_bound"].as_u64().unwrap() as usize == added)
    );

    // An event: a venue with its own standard, a gate, a no-go pitch and a closed street.
    let mut scenario: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&demo).unwrap()).unwrap();
    add_stadium(&mut scenario);
    let event = dir.join("event.geojson");
    std::fs::write(&event, scenario.to_string()).unwrap();
    let (plan, posts) = (dir.join("plan.json"), dir.join("posts.geojson"));
    let p = json_of_run(
        &[
            "event",
            "plan",
            "--roads",
            s(&roads),
            "--scenario",
            s(&event),
            "--time-limit",
            "5",
            "--json",
            s(&plan),
            "--geojson",
            s(&posts),
        ],
        &plan,
    );
    assert_eq!(p["standard"], "60:1,180:2");
    assert_eq!(p["window"], json!(["2026-12-05T18:00", "2026-12-05T22:00"]));
    let tiers = p["compliance"].as_array().unwrap();
    assert_eq!(tiers.len(), 2);
    for t in tiers {
        let (total, before, after, lost) = (
            t["road_m"].as_f64().unwrap(),
            t["road_met_before_m"].as_f64().unwrap(),
            t["road_met_after_m"].as_f64().unwrap(),
            t["road_unreachable_m"].as_f64().unwrap(),
        );
        assert!(before <= after + 1e-6 && after <= total + 1e-6, "{t}");
        // The fewest posts meet everything that can be met.
        assert!((after + lost - total).abs() < 1e-3 * total, "{t}");
        assert_eq!(t["hot_spots"], 1);
        assert_eq!(
            t["hot_spots_met_after"].as_u64().unwrap() as usize
                + t["failing_hot_spots"].as_array().unwrap().len(),
            1
        );
    }
    // No post stands on the pitch.
    for post in p["posts"].as_array().unwrap() {
        let q: Vec<f64> = serde_json::from_value(post["position"].clone()).unwrap();
        assert!(
            (q[0] - STADIUM[0]).abs() > PITCH_HALF_DEG
                || (q[1] - STADIUM[1]).abs() > PITCH_HALF_DEG,
            "{post}"
        );
    }
    let fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&posts).unwrap()).unwrap();
    assert_eq!(
        fc["features"].as_array().unwrap().len(),
        p["posts"].as_array().unwrap().len()
    );
    // Bad input: no venue, a bad standard.
    let out = patrolmap(&[
        "event",
        "plan",
        "--roads",
        s(&roads),
        "--scenario",
        s(&demo),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no event_area"));
    let bad = std::fs::read_to_string(&event)
        .unwrap()
        .replace("60:1,180:2", "sixty");
    std::fs::write(&event, bad).unwrap();
    let out = patrolmap(&[
        "event",
        "plan",
        "--roads",
        s(&roads),
        "--scenario",
        s(&event),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stadium") && err.contains("standard"), "{err}");
}

#[test]
fn the_store_is_backed_up_and_restored_from_the_command_line() {
    let dir = temp_dir("db-cli");
    let (db, backup) = (dir.join("s.db"), dir.join("backup.db"));
    let store = patrolmap::store::Store::open(&db).unwrap();
    let v1 = store.save("fair", None, "li", "one", "{}").unwrap();
    let out = patrolmap(&["db", "backup", "--db", s(&db), s(&backup)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    store.save("fair", Some(v1.id), "li", "two", "{}").unwrap();
    let out = patrolmap(&["db", "list", "--db", s(&db)]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("two"));
    let out = patrolmap(&["db", "restore", "--db", s(&db), s(&backup)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(store.versions_count().unwrap(), 1);
    let out = patrolmap(&["db", "list", "--db", s(&db)]);
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed.contains("one") && !listed.contains("two"),
        "{listed}"
    );
    // Bad input: a missing store or backup is named, nothing is created or lost.
    assert_fails(
        &["db", "list", "--db", s(&dir.join("typo.db"))],
        &dir.join("typo.db"),
        "no such store",
    );
    assert!(!dir.join("typo.db").exists());
    assert_fails(
        &["db", "restore", "--db", s(&db), s(&dir.join("none.db"))],
        &dir.join("none.db"),
        "no such backup",
    );
    assert_eq!(store.versions_count().unwrap(), 1);
}

/// Issue 16: one name per concept, with its unit, as the API says it: `--budget-s` (taking
/// seconds or `2m`), `--time-limit-s`, `--shift-s`, `--coverage-every-s`, `every_s` in the
/// JSON; the old spellings still work, with a warning.
#[test]
fn flags_say_what_the_api_says_and_the_old_names_still_work() {
    let (roads, scenario) = demo_files();
    let dir = temp_dir("renamed-flags");
    let run = |flags: &[&str], report: &Path| {
        let mut args = vec!["optimize", "--roads", s(&roads), "--scenario", s(&scenario)];
        args.extend([
            "--add",
            "2",
            "--candidates",
            "random:100:3",
            "--json",
            s(report),
        ]);
        args.extend(flags);
        let out = patrolmap(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
        (report, String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (new, quiet) = run(
        &["--budget-s", "2m", "--time-limit-s", "30"],
        &dir.join("new.json"),
    );
    let (old, warned) = run(
        &["--budget", "120", "--time-limit", "30"],
        &dir.join("old.json"),
    );
    assert_eq!(new["share"], old["share"]);
    assert_eq!(new["added"], old["added"]);
    assert!(!quiet.contains("warning: --"), "{quiet}");
    assert!(warned.contains("--budget is now --budget-s"), "{warned}");
    assert!(
        warned.contains("--time-limit is now --time-limit-s"),
        "{warned}"
    );
    // The shift's sampling is `every_s` in the command's JSON, as in the API's.
    let plan_with = |every: &str, extra: &[&str], json: &Path| {
        let mut args = vec![
            "patrol",
            "plan",
            "--roads",
            s(&roads),
            "--scenario",
            s(&scenario),
        ];
        args.extend([
            "--units",
            "1",
            "--shift-s",
            "8h",
            "--coverage-every-s",
            every,
            "--json",
        ]);
        args.push(s(json));
        args.extend(extra);
        patrolmap(&args)
    };
    let report = dir.join("patrol.json");
    let out = plan_with("10m", &[], &report);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        plan["shift_coverage"]["every_s"], 600.0,
        "{}",
        plan["shift_coverage"]
    );
    // 0 is none, as the API's coverage_every_s=0.
    let none = dir.join("patrol-none.json");
    let out = plan_with("0", &[], &none);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&none).unwrap()).unwrap();
    assert!(
        plan["shift_coverage"].is_null(),
        "{}",
        plan["shift_coverage"]
    );
    let geojson = dir.join("shares.geojson");
    let out = plan_with("0", &["--coverage-geojson", s(&geojson)], &none);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --coverage-every-s above 0"));
}

/// Issue 15: a PostgreSQL address is never printed with its password, in any error.
#[test]
fn a_store_address_is_printed_without_its_password() {
    for args in [
        vec![
            "db",
            "list",
            "--db",
            "postgres://planner:s3cr3t-pw@127.0.0.1:1/patrolmap",
        ],
        vec![
            "user",
            "list",
            "--db",
            "postgres://planner:s3cr3t-pw@127.0.0.1:1/patrolmap",
        ],
    ] {
        let out = patrolmap(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.contains("postgres://planner@127.0.0.1:1/patrolmap"),
            "{stderr}"
        );
        assert!(!stderr.contains("s3cr3t"), "{stderr}");
    }
}

/// Issue 16: a file that cannot be read is named once, with its cause once (it printed
/// "cannot read: No such file or directory (os error 2): No such file or directory (os
/// error 2)").
#[test]
fn a_missing_file_is_reported_with_its_cause_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let missing = "/nonexistent/roads.osm.pbf";
    let demo = root.join("data/demo-scenario.geojson");
    for args in [
        vec!["network", "info", missing],
        vec!["coverage", "--roads", missing, "--scenario", s(&demo)],
    ] {
        let out = patrolmap(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains(missing), "{stderr}");
        assert_eq!(
            stderr.matches("No such file or directory").count(),
            1,
            "{stderr}"
        );
    }
}

/// Issue 19: a scenario with schedules is planned as a shift timetable; its routes are
/// written as GPX that GDAL reads (tracks and the checkpoint stays as waypoints); a bad
/// schedule field refuses it, named with its file and feature; a bad clock time is refused.
#[test]
fn a_shift_timetable_from_the_command_line() {
    let (roads, scenario) = demo_files();
    let dir = temp_dir("timetable");
    let mut collection: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&scenario).unwrap()).unwrap();
    let mut bad_feature = None;
    for (i, f) in collection["features"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let p = &mut f["properties"];
        match p["kind"].as_str() {
            Some("patrol_line") => p["every"] = json!("2h"),
            Some("checkpoint") if bad_feature.is_none() => {
                p["every"] = json!("often");
                bad_feature = Some(i);
            }
            Some("checkpoint") => p["windows"] = json!("10:00-11:00"),
            Some("post") => p["break"] = json!("12:00-12:30"),
            _ => {}
        }
    }
    let path = dir.join("shift.geojson");
    std::fs::write(&path, collection.to_string()).unwrap();
    // The bad field refuses the timetable, naming the file, the feature and what it says.
    let bad = bad_feature.unwrap();
    assert_fails(
        &[
            "patrol",
            "plan",
            "--roads",
            s(&roads),
            "--scenario",
            s(&path),
            "--shift-start",
            "08:00",
        ],
        &path,
        &format!("feature {bad}: every: expected a duration"),
    );
    collection["features"][bad]["properties"]["every"] = json!("4h");
    std::fs::write(&path, collection.to_string()).unwrap();
    let (report, gpx) = (dir.join("t.json"), dir.join("routes.gpx"));
    let out = patrolmap(&[
        "patrol",
        "plan",
        "--roads",
        s(&roads),
        "--scenario",
        s(&path),
        "--units",
        "3",
        "--shift-start",
        "08:00",
        "--json",
        s(&report),
        "-o",
        s(&gpx),
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let check = &t["check"];
    assert!(
        stdout.contains(&format!(
            "{} of {} passes made, 3 of 3 breaks",
            check["passes_made"], check["passes_required"]
        )),
        "{stdout}"
    );
    // 6 lines every 2 hours over 8 hours, 23 checkpoints once in their hour, one every 4 hours.
    assert_eq!(check["passes_required"], 6 * 4 + 23 + 2);
    assert!(
        stdout.contains("check: every route continuous, legal, closed and within duty hours"),
        "{stdout}"
    );
    let stays = t["timetables"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["entries"].as_array().unwrap().clone())
        .filter(|e| e["kind"] == "checkpoint")
        .count();
    let text = std::fs::read_to_string(&gpx).unwrap();
    assert_eq!(text.matches("<wpt ").count(), stays);
    if let Ok(info) = Command::new("ogrinfo")
        .args(["-ro", "-so", s(&gpx), "waypoints"])
        .output()
    {
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(info.contains(&format!("Feature Count: {stays}")), "{info}");
        let tracks = Command::new("ogrinfo")
            .args(["-ro", "-so", s(&gpx), "tracks"])
            .output()
            .unwrap();
        let routes = t["routes"]["features"].as_array().unwrap().len();
        assert!(
            String::from_utf8_lossy(&tracks.stdout).contains(&format!("Feature Count: {routes}"))
        );
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("GDAL's ogrinfo is not installed");
    }
    let out = patrolmap(&[
        "patrol",
        "plan",
        "--roads",
        s(&roads),
        "--scenario",
        s(&path),
        "--shift-start",
        "25:00",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--shift-start: expected a clock time like 07:30, got \"25:00\""));
}

/// `coverage --roads A --roads B` (or a folder of them) measures both cities as one province
/// and says each city's tiers: Campo Grande's as when it is measured alone (the demo units
/// are all there), Columbus's none.
#[test]
fn coverage_of_several_road_files_says_each_citys_tiers() {
    let (roads, scenario) = demo_files();
    let dir = temp_dir("province-cli");
    let columbus = shared_data("columbus.osm.pbf");
    let json = dir.join("out.json");
    let run = |extra: &[&str]| {
        let mut args = vec!["coverage", "--scenario", s(&scenario), "--json", s(&json)];
        args.extend_from_slice(extra);
        json_of_run(&args, &json)
    };
    let alone = run(&["--roads", s(&roads)]);
    assert!(alone["cities"].as_array().unwrap().is_empty());
    let both = run(&["--roads", s(&roads), "--roads", s(&columbus)]);
    let cities = both["cities"].as_array().unwrap();
    assert_eq!(cities.len(), 2);
    assert_eq!(cities[0]["name"], "campo-grande");
    for k in 0..3 {
        let (a, b) = (
            cities[0]["tier_shares"][k].as_f64().unwrap(),
            alone["tiers"][k]["share"].as_f64().unwrap(),
        );
        assert!((a - b).abs() < 1e-9, "tier {k}: {a} vs {b}");
        assert_eq!(cities[1]["tier_shares"][k], 0.0);
    }
    let folder = dir.join("cities");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(&roads, folder.join("campo-grande.osm.pbf")).unwrap();
    std::fs::copy(&columbus, folder.join("columbus.osm.pbf")).unwrap();
    assert_eq!(run(&["--roads", s(&folder)])["cities"], both["cities"]);
}
