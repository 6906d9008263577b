//! Files written by GDAL (`ogr2ogr`: Shapefile in GBK and in Gauss-Krüger zones, GeoPackage,
//! KML, CSV) import with GDAL's own coordinates (within 0.01 m) and text; every export reads
//! back as the same scenario, and GDAL opens each of them.

use std::path::Path;
use std::process::Command;

use patrolmap::files::{self, ExportFormat};
use patrolmap::scenario::{write::to_geojson, CrsFound, FileFormat, ReadOptions, Scenario};
use patrolmap_core::crs::Crs;
use patrolmap_core::formats::dbf::DbfEncoding;
use patrolmap_core::network::geodesy::haversine_m;
use serde_json::Value;

use crate::common::temp_dir;
use crate::crs::have_gdal;

/// A deployment in Xiangtan: posts and units named in Chinese, checkpoints, a patrol line and
/// a closure polygon, seeded.
fn xiangtan() -> serde_json::Value {
    let mut features = Vec::new();
    let mut state = 11u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..12 {
        let p = [112.85 + 0.15 * next(), 27.78 + 0.1 * next()];
        let (kind, name) = if i % 3 == 0 {
            ("post", format!("岳塘岗亭{i}号"))
        } else {
            ("unit", format!("巡逻车 湘C·{i:03}"))
        };
        features.push(serde_json::json!({"type": "Feature", "properties": {"kind": kind, "id": format!("u{i}"), "name": name, "turnout_s": 30 + i},
            "geometry": {"type": "Point", "coordinates": p}}));
    }
    for i in 0..6 {
        let p = [112.85 + 0.15 * next(), 27.78 + 0.1 * next()];
        features.push(serde_json::json!({"type": "Feature", "properties": {"kind": "checkpoint", "id": format!("c{i}"), "name": format!("必巡点·{i}（学校）"), "dwell_s": 600},
            "geometry": {"type": "Point", "coordinates": p}}));
    }
    let line: Vec<[f64; 2]> = (0..8)
        .map(|i| [112.90 + 0.004 * i as f64, 27.83 + 0.001 * (i % 3) as f64])
        .collect();
    features.push(serde_json::json!({"type": "Feature", "properties": {"kind": "patrol_line", "id": "l1", "name": "建设路巡线"},
        "geometry": {"type": "LineString", "coordinates": line}}));
    let ring = [
        [112.93, 27.84],
        [112.94, 27.84],
        [112.94, 27.85],
        [112.93, 27.85],
        [112.93, 27.84],
    ];
    features.push(
        serde_json::json!({"type": "Feature", "properties": {"kind": "closure", "id": "z1"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}),
    );
    serde_json::json!({"type": "FeatureCollection", "features": features})
}

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr runs");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Points of a scenario by id.
fn points(s: &Scenario) -> Vec<(String, Option<String>, [f64; 2])> {
    let mut v: Vec<_> = s
        .units
        .iter()
        .map(|u| (u.id.clone(), u.name.clone(), u.position))
        .collect();
    v.extend(
        s.checkpoints
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.position)),
    );
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// `read`'s points are `reference`'s (same ids and names) within `tolerance_m`; the worst.
fn same_points(read: &Scenario, reference: &Scenario, tolerance_m: f64, what: &str) -> f64 {
    let (a, b) = (points(read), points(reference));
    assert_eq!(a.len(), b.len(), "{what}: point count");
    let mut worst = 0.0f64;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((&x.0, &x.1), (&y.0, &y.1), "{what}: id and name");
        let d = haversine_m(x.2, y.2);
        worst = worst.max(d);
        assert!(
            d < tolerance_m,
            "{what}: {} is {d} m from the reference",
            x.0
        );
    }
    worst
}

fn read(path: &Path) -> files::ReadFile {
    files::read_path(path, None, &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

#[test]
fn files_written_by_gdal_import_with_gdals_coordinates_and_text() {
    if !have_gdal("ogr2ogr") {
        return;
    }
    let dir = temp_dir("formats-gdal");
    let source = dir.join("xiangtan.geojson");
    std::fs::write(&source, xiangtan().to_string()).unwrap();
    let original = read(&source).scenario;
    assert_eq!(
        (
            original.units.len(),
            original.checkpoints.len(),
            original.patrol_lines.len()
        ),
        (12, 6, 1)
    );
    let p = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let src = source.to_string_lossy().into_owned();
    // Shapefile points in GBK, in the 3° zone of CM 114E (EPSG:4547), and the same zone with
    // the zone number in front (EPSG:4526) with no .cpg and no .prj.
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=GBK",
        "-t_srs",
        "EPSG:4547",
        "-where",
        "kind <> 'patrol_line' AND kind <> 'closure'",
        &p("gk114.shp"),
        &src,
    ]);
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=GBK",
        "-t_srs",
        "EPSG:4526",
        "-where",
        "kind <> 'patrol_line' AND kind <> 'closure'",
        &p("zone38.shp"),
        &src,
    ]);
    std::fs::remove_file(dir.join("zone38.cpg")).unwrap();
    std::fs::remove_file(dir.join("zone38.prj")).unwrap();
    ogr2ogr(&[
        "-f",
        "GPKG",
        "-t_srs",
        "EPSG:4547",
        "-nlt",
        "GEOMETRY",
        &p("gk114.gpkg"),
        &src,
    ]);
    ogr2ogr(&["-f", "KML", &p("posts.kml"), &src]);
    ogr2ogr(&[
        "-f",
        "CSV",
        "-lco",
        "GEOMETRY=AS_XY",
        "-where",
        "kind <> 'patrol_line' AND kind <> 'closure'",
        &p("posts-utf8.csv"),
        &src,
    ]);
    // Chinese Excel's two ways of saving: GBK, and UTF-8 with a byte-order mark.
    let csv = std::fs::read_to_string(dir.join("posts-utf8.csv")).unwrap();
    let gbk = Command::new("iconv")
        .args(["-f", "UTF-8", "-t", "GBK", &p("posts-utf8.csv")])
        .output()
        .unwrap();
    assert!(gbk.status.success());
    std::fs::write(dir.join("posts-gbk.csv"), &gbk.stdout).unwrap();
    std::fs::write(dir.join("posts-bom.csv"), format!("\u{feff}{csv}")).unwrap();

    // GDAL's own reading of its projected files back to WGS 84: the reference positions.
    ogr2ogr(&[
        "-f",
        "GeoJSON",
        "-t_srs",
        "EPSG:4326",
        &p("gk114-gdal.geojson"),
        &p("gk114.shp"),
    ]);
    ogr2ogr(&[
        "-f",
        "GeoJSON",
        "-s_srs",
        "EPSG:4526",
        "-t_srs",
        "EPSG:4326",
        &p("zone38-gdal.geojson"),
        &p("zone38.shp"),
    ]);
    let gdal_gk = read(&dir.join("gk114-gdal.geojson")).scenario;
    let gdal_zone = read(&dir.join("zone38-gdal.geojson")).scenario;

    let shp = read(&dir.join("gk114.shp"));
    assert_eq!(shp.report.format, FileFormat::Shapefile);
    assert_eq!(
        (
            shp.report.crs.code.as_str(),
            shp.report.crs.found,
            shp.report.crs.converted
        ),
        ("EPSG:4547", CrsFound::File, true)
    );
    let worst_shp = same_points(&shp.scenario, &gdal_gk, 0.01, "Shapefile EPSG:4547 GBK");
    assert_eq!(shp.scenario.units[1].turnout_s, 31.0);

    let zone = read(&dir.join("zone38.shp"));
    assert_eq!(
        (zone.report.crs.code.as_str(), zone.report.crs.found),
        ("EPSG:4526", CrsFound::ZonePrefix)
    );
    assert_eq!(
        zone.report.encoding,
        Some(patrolmap::scenario::TextEncoding::Gb18030),
        "GBK found without a .cpg"
    );
    let worst_zone = same_points(
        &zone.scenario,
        &gdal_zone,
        0.01,
        "Shapefile zone 38, no .cpg, no .prj",
    );

    let gpkg = read(&dir.join("gk114.gpkg"));
    assert_eq!(gpkg.report.crs.code, "EPSG:4547");
    let worst_gpkg = same_points(&gpkg.scenario, &original, 0.01, "GeoPackage EPSG:4547");
    assert_eq!(
        gpkg.scenario.patrol_lines[0].name.as_deref(),
        Some("建设路巡线")
    );
    assert_eq!(gpkg.scenario.closures.len(), 1);

    let kml = read(&dir.join("posts.kml"));
    same_points(&kml.scenario, &original, 0.01, "KML");
    assert_eq!(
        (kml.scenario.patrol_lines.len(), kml.scenario.closures.len()),
        (1, 1)
    );

    for (name, encoding) in [
        ("posts-gbk.csv", "gb18030"),
        ("posts-bom.csv", "utf-8-bom"),
        ("posts-utf8.csv", "utf-8"),
    ] {
        let got = read(&dir.join(name));
        assert_eq!(
            got.report.encoding.map(|e| e.as_str()),
            Some(encoding),
            "{name}"
        );
        same_points(&got.scenario, &original, 0.01, name);
    }
    eprintln!("worst from GDAL: Shapefile {worst_shp:.1e} m, zone-prefixed {worst_zone:.1e} m, GeoPackage {worst_gpkg:.1e} m");
}

#[test]
fn every_export_reads_back_as_the_same_scenario_and_gdal_opens_it() {
    let dir = temp_dir("formats-export");
    let source = dir.join("xiangtan.geojson");
    std::fs::write(&source, xiangtan().to_string()).unwrap();
    let original = read(&source).scenario;
    let features: Vec<geojson::Feature> =
        serde_json::from_value(to_geojson(&original)["features"].clone()).unwrap();
    let gdal = have_gdal("ogrinfo");
    let systems = [
        Crs::Wgs84,
        Crs::from_epsg(4547).unwrap(),
        Crs::from_epsg(4526).unwrap(),
        Crs::Gcj02,
    ];
    for format in [
        ExportFormat::Geojson,
        ExportFormat::Shapefile,
        ExportFormat::Geopackage,
        ExportFormat::Kml,
        ExportFormat::Csv,
    ] {
        for crs in &systems {
            for encoding in [DbfEncoding::Utf8, DbfEncoding::Gbk] {
                if encoding == DbfEncoding::Gbk && format != ExportFormat::Shapefile {
                    continue;
                }
                let what = format!("{format:?} in {} ({encoding:?})", crs.name());
                let export = files::export(&features, format, crs, "岗亭", encoding).unwrap();
                let path = dir.join(format!(
                    "{}-{}",
                    crs.code().replace(':', ""),
                    export.file_name
                ));
                std::fs::write(&path, &export.bytes).unwrap();
                // GCJ-02 has no code a file can carry, and a CSV carries none: it is said when
                // reading, as a planner would.
                let told = (*crs == Crs::Gcj02 && format != ExportFormat::Kml)
                    || (format == ExportFormat::Csv && *crs != Crs::Wgs84);
                let options = ReadOptions {
                    crs: told.then(|| crs.clone()),
                    ..Default::default()
                };
                let back = files::read_path(&path, None, &options)
                    .unwrap_or_else(|e| panic!("{what}: {e:#}"));
                assert!(
                    back.scenario.problems.is_empty(),
                    "{what}: {:?}",
                    back.scenario.problems
                );
                same_points(&back.scenario, &original, 1e-3, &what);
                let mut a = back.scenario.clone();
                let mut b = original.clone();
                // Positions were checked to a millimetre; the rest must be equal.
                for s in [&mut a, &mut b] {
                    s.units.iter_mut().for_each(|u| u.position = [0.0; 2]);
                    s.checkpoints.iter_mut().for_each(|c| c.position = [0.0; 2]);
                    s.patrol_lines.iter_mut().for_each(|l| {
                        l.line
                            .iter_mut()
                            .for_each(|p| *p = [(p[0] * 1e7).round(), (p[1] * 1e7).round()])
                    });
                    s.closures.iter_mut().for_each(|c| {
                        c.ring
                            .iter_mut()
                            .for_each(|p| *p = [(p[0] * 1e7).round(), (p[1] * 1e7).round()])
                    });
                    for u in &mut s.units {
                        u.feature = 0;
                    }
                    for c in &mut s.checkpoints {
                        c.feature = 0;
                    }
                    for l in &mut s.patrol_lines {
                        l.feature = 0;
                    }
                    for c in &mut s.closures {
                        c.feature = 0;
                    }
                }
                assert_eq!(a, b, "{what}: read back differs");
                if gdal && format != ExportFormat::Csv {
                    let target = if format == ExportFormat::Shapefile {
                        format!("/vsizip/{}", path.display())
                    } else {
                        path.display().to_string()
                    };
                    let out = Command::new("ogrinfo")
                        .args(["-ro", "-al", "-so", &target])
                        .output()
                        .unwrap();
                    let text = String::from_utf8_lossy(&out.stdout);
                    assert!(
                        out.status.success() && text.contains("Feature Count"),
                        "{what}: GDAL cannot open it: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    if let Some(code) = crs.epsg().filter(|_| format != ExportFormat::Kml) {
                        assert!(
                            text.contains(&format!("ID[\"EPSG\",{code}]")) || code == 4326,
                            "{what}: GDAL does not see EPSG:{code}:\n{text}"
                        );
                    }
                }
            }
        }
    }
    // GPX: the line features as tracks, read by GDAL.
    let gpx = files::export(
        &features,
        ExportFormat::Gpx,
        &Crs::Wgs84,
        "routes",
        DbfEncoding::Utf8,
    )
    .unwrap();
    let path = dir.join("routes.gpx");
    std::fs::write(&path, &gpx.bytes).unwrap();
    if gdal {
        let out = Command::new("ogrinfo")
            .args(["-ro", "-so", &path.display().to_string(), "tracks"])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Feature Count: 1"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// `ogrinfo`/`ogr2ogr` with the server's sign-in (GDAL sends the header on every request).
fn gdal_signed(tool: &str, args: &[&str], token: &str) -> std::process::Output {
    Command::new(tool)
        .env(
            "GDAL_HTTP_HEADERS",
            format!("Authorization: Bearer {token}"),
        )
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn gdal_reads_the_ogc_api_features_endpoint_behind_the_sign_in() {
    if !have_gdal("ogrinfo") {
        return;
    }
    let server = crate::server::server();
    let url = format!("OAPIF:{}/api/ogc", server.base);
    let list = gdal_signed("ogrinfo", &["-ro", "-q", &url], &server.token);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    for layer in [
        "units",
        "posts",
        "checkpoints",
        "incidents",
        "patrol_lines",
        "gaps",
    ] {
        assert!(
            text.contains(&format!(": {layer} ")),
            "GDAL does not list {layer}:\n{text}"
        );
    }
    // Every incident, read in pages of 7 (GDAL follows the next links), as the layer API has them.
    let dir = temp_dir("ogc");
    let out = dir.join("incidents.geojson");
    let copy = gdal_signed(
        "ogr2ogr",
        &[
            "-f",
            "GeoJSON",
            "-oo",
            "PAGE_SIZE=7",
            &out.display().to_string(),
            &url,
            "incidents",
        ],
        &server.token,
    );
    assert!(
        copy.status.success(),
        "{}",
        String::from_utf8_lossy(&copy.stderr)
    );
    let theirs: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let ours = server.get("/api/layers/incidents").json();
    let positions = |v: &Value| -> Vec<(String, Value)> {
        let mut p: Vec<_> = v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["properties"]["id"].as_str().unwrap().to_string(),
                    f["geometry"]["coordinates"].clone(),
                )
            })
            .collect();
        p.sort_by(|a, b| a.0.cmp(&b.0));
        p
    };
    assert!(
        ours["features"].as_array().unwrap().len() > 7,
        "paging is exercised"
    );
    assert_eq!(positions(&theirs), positions(&ours));
    // A bounding box: only what lies in it.
    let b = "-54.6,-20.5,-54.55,-20.45";
    let some = server
        .get(&format!(
            "/api/ogc/collections/incidents/items?bbox={b}&limit=2"
        ))
        .json();
    let matched = some["numberMatched"].as_u64().unwrap() as usize;
    let inside = ours["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            (-54.6..=-54.55).contains(&x) && (-20.5..=-20.45).contains(&y)
        })
        .count();
    assert_eq!(matched, inside);
    assert!(some["features"].as_array().unwrap().len() <= 2);
    // Without the sign-in GDAL gets nothing.
    let refused = Command::new("ogrinfo")
        .args(["-ro", "-q", &url])
        .output()
        .unwrap();
    assert!(
        !refused.status.success()
            || !String::from_utf8_lossy(&refused.stdout).contains("incidents")
    );
    // The coverage layers as GDAL reads them: the tier areas, one per budget.
    let areas = gdal_signed(
        "ogrinfo",
        &["-ro", "-so", &url, "tier_areas"],
        &server.token,
    );
    let budgets = server.get("/api/info").json()["budgets_s"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        String::from_utf8_lossy(&areas.stdout).contains(&format!("Feature Count: {budgets}")),
        "{}",
        String::from_utf8_lossy(&areas.stdout)
    );
    let bad = server.get("/api/ogc/collections/incidents/items?bbox=1,2,3");
    assert_eq!(bad.status, 400);
    assert_eq!(server.get("/api/ogc/collections/nothing/items").status, 404);
}

#[test]
fn a_zipped_shapefile_imports_over_http_and_exports_come_back_in_the_asked_system() {
    if !have_gdal("ogr2ogr") {
        return;
    }
    let server = crate::server::server();
    let dir = temp_dir("http-formats");
    let source = dir.join("xiangtan.geojson");
    std::fs::write(&source, xiangtan().to_string()).unwrap();
    let shp = dir.join("岗亭.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=GBK",
        "-t_srs",
        "EPSG:4547",
        "-where",
        "kind <> 'patrol_line' AND kind <> 'closure'",
        &shp.display().to_string(),
        &source.display().to_string(),
    ]);
    // Zipped by Python's zipfile, as a planner's archiver would.
    let zip = dir.join("岗亭.zip");
    let zipped = Command::new("python3")
        .args(["-c", "import sys, zipfile, pathlib\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    [z.write(p, p.name) for p in pathlib.Path(sys.argv[2]).glob('岗亭.*')]", &zip.display().to_string(), &dir.display().to_string()])
        .status()
        .unwrap();
    assert!(zipped.success());
    let bytes = std::fs::read(&zip).unwrap();
    let reply = crate::server::read(
        crate::server::signed(crate::server::agent().post(format!(
            "{}/api/scenario/import?name=%E5%B2%97%E4%BA%AD.zip",
            server.base
        )))
        .header("content-type", "application/zip")
        .send(&bytes[..])
        .unwrap(),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let answer = reply.json();
    assert_eq!(answer["file"]["format"], "shapefile");
    assert_eq!(answer["file"]["crs"]["code"], "EPSG:4547");
    assert_eq!(answer["file"]["crs"]["converted"], true);
    assert_eq!(answer["counts"]["units"], 12);
    let names: Vec<&str> = answer["scenario"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["name"].as_str())
        .collect();
    assert!(
        names.contains(&"岳塘岗亭0号") && names.contains(&"必巡点·3（学校）"),
        "{names:?}"
    );
    // Exported as a GeoPackage in Gauss-Krüger: GDAL sees EPSG:4547 and the same positions as
    // its own reprojection of the original.
    let exported = crate::server::post(
        "/api/scenario/export?format=geopackage&crs=EPSG:4547",
        &answer["scenario"].to_string(),
    );
    assert_eq!(exported.status, 200);
    let gpkg = dir.join("export.gpkg");
    std::fs::write(&gpkg, &exported.body).unwrap();
    let info = Command::new("ogrinfo")
        .args(["-ro", "-so", &gpkg.display().to_string(), "points"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("ID[\"EPSG\",4547]"),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
    let back = dir.join("back.geojson");
    ogr2ogr(&[
        "-f",
        "GeoJSON",
        "-t_srs",
        "EPSG:4326",
        &back.display().to_string(),
        &gpkg.display().to_string(),
        "points",
    ]);
    same_points(
        &read(&back).scenario,
        &read(&source).scenario,
        0.01,
        "exported GeoPackage read by GDAL",
    );
    let unknown = crate::server::post(
        "/api/scenario/export?crs=EPSG:1234",
        &answer["scenario"].to_string(),
    );
    assert_eq!(unknown.status, 400);
}

#[test]
fn scenario_check_reports_a_file_and_fails_when_nothing_would_load() {
    let dir = temp_dir("scenario-check");
    let bin = env!("CARGO_BIN_EXE_patrolmap");
    let good = dir.join("岗亭.csv");
    std::fs::write(&good, "类型,编号,名称,东坐标,北坐标\n岗亭,k1,一号岗亭,38401544.6,3087761.9\n岗亭,k2,二号岗亭,abc,3087761.9\n").unwrap();
    let out = Command::new(bin)
        .args(["scenario", "check", good.to_str().unwrap(), "--json", "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("EPSG:4526") && text.contains("zone number"),
        "{text}"
    );
    assert!(text.contains("feature 1: lon: not a number"), "{text}");
    let json: Value = serde_json::from_str(&text[text.find("{\n").unwrap()..]).unwrap();
    assert_eq!(json["counts"]["units"], 1);
    assert_eq!(json["crs"]["found"], "zone_prefix");
    // Every row bad: nothing would load, and the exit says so.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "kind,lon,lat\nufo,1,2\n").unwrap();
    let out = Command::new(bin)
        .args(["scenario", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing would load"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Metres with no system: a clear error naming the file.
    let metres = dir.join("metres.csv");
    std::fs::write(&metres, "lon,lat\n401544.6,3087761.9\n").unwrap();
    let out = Command::new(bin)
        .args(["scenario", "check", metres.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("metres.csv") && err.contains("--crs"),
        "{err}"
    );
}

/// Distance in metres from `p` to the nearest line of a grid of roads every `step_deg` (both
/// ways), near `p` (a flat approximation, metres exact enough at these sizes).
fn grid_road_m(p: [f64; 2], step_deg: f64) -> Option<f64> {
    let off = |v: f64| {
        let r = v.rem_euclid(step_deg);
        r.min(step_deg - r)
    };
    let m_lat = 111_195.0;
    let m_lon = m_lat * p[1].to_radians().cos();
    Some((off(p[0]) * m_lon).min(off(p[1]) * m_lat))
}

#[test]
fn points_in_a_chinese_maps_offset_are_told_and_fixed_by_reading_them_as_such() {
    use patrolmap::scenario::{position_warnings, WarningCode};
    use patrolmap_core::crs::{gcj02_to_bd09, wgs84_to_gcj02};
    // Roads every 0.02° (about 2 km) around Xiangtan; posts on them.
    let step = 0.02;
    let on_roads: Vec<[f64; 2]> = (0..40)
        .map(|i| {
            let t = i as f64 * 0.0037;
            if i % 2 == 0 {
                [112.84 + t, 27.80]
            } else {
                [112.88, 27.78 + t]
            }
        })
        .collect();
    let csv = |points: &[[f64; 2]]| {
        let mut text = String::from("lon,lat,kind\n");
        for p in points {
            text.push_str(&format!("{},{},post\n", p[0], p[1]));
        }
        text
    };
    let road = |p| grid_road_m(p, step);
    let plain = patrolmap::scenario::read_csv_str(&csv(&on_roads)).unwrap();
    assert_eq!(
        position_warnings(&plain, road),
        vec![],
        "points on the roads: nothing to say"
    );
    // Picked on Amap (GCJ-02) and on Baidu (BD-09), read as WGS 84.
    for (code, shift, crs) in [
        (
            WarningCode::LikelyGcj02,
            wgs84_to_gcj02 as fn([f64; 2]) -> [f64; 2],
            Crs::Gcj02,
        ),
        (
            WarningCode::LikelyBd09,
            |p| gcj02_to_bd09(wgs84_to_gcj02(p)),
            Crs::Bd09,
        ),
    ] {
        let shifted: Vec<[f64; 2]> = on_roads.iter().map(|&p| shift(p)).collect();
        let read = patrolmap::scenario::read_csv_str(&csv(&shifted)).unwrap();
        let w = position_warnings(&read, road);
        assert_eq!(w.len(), 1, "{code:?}: {w:?}");
        assert_eq!((w[0].code, w[0].count), (code, 40));
        assert!(
            w[0].median_m.unwrap() > 200.0 && w[0].fixed_median_m.unwrap() < 0.01,
            "{w:?}"
        );
        // Read again as the warning says: on the roads, nothing to say.
        let set = patrolmap::scenario::read_csv_set(&csv(&shifted), &[]).unwrap();
        let (fixed, report) = patrolmap::scenario::read_features(
            set,
            &ReadOptions {
                crs: Some(crs),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(report.converted);
        assert_eq!(position_warnings(&fixed, road), vec![]);
    }
}

#[test]
fn swapped_and_far_points_are_warned_of_over_http_and_swap_reads_them_right() {
    let server = crate::server::server();
    // Two of the demo city's posts with latitude and longitude swapped, and a point at sea.
    let csv = "lon,lat,kind,id\n-20.46395093462792,-54.56249193033872,post,s1\n-20.403918975505658,-54.59064966428649,post,s2\n-30.0,-40.0,post,sea\n";
    let import = |query: &str| {
        crate::server::read(
            crate::server::signed(crate::server::agent().post(format!(
                "{}/api/scenario/import?name=p.csv{query}",
                server.base
            )))
            .header("content-type", "text/csv")
            .send(csv)
            .unwrap(),
        )
        .json()
    };
    let answer = import("");
    let warnings = answer["warnings"].as_array().unwrap();
    let swapped = warnings
        .iter()
        .find(|w| w["code"] == "lon_lat_swapped")
        .expect("a swap warning");
    assert_eq!(swapped["count"], 2);
    assert_eq!(swapped["features"], json_list(&[0, 1]));
    assert!(swapped["fixed_median_m"].as_f64().unwrap() < 500.0);
    let far = warnings
        .iter()
        .find(|w| w["code"] == "far_from_roads")
        .expect("a far warning");
    assert_eq!(far["features"], json_list(&[2]));
    let again = import("&swap=true");
    let codes: Vec<&str> = again["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["far_from_roads"],
        "swapped back, only the point in the sea is far"
    );
    // Metres naming no system: a code the map asks on (and the field to give).
    let metres = crate::server::read(
        crate::server::signed(
            crate::server::agent().post(format!("{}/api/scenario/import?name=m.csv", server.base)),
        )
        .header("content-type", "text/csv")
        .send("lon,lat\n401544.6,3087761.9\n")
        .unwrap(),
    );
    assert_eq!(metres.status, 400);
    assert_eq!(
        (
            metres.json()["code"].as_str(),
            metres.json()["field"].as_str()
        ),
        (Some("unknown_crs"), Some("crs"))
    );
    let s1 = &again["scenario"]["features"][0]["geometry"]["coordinates"];
    assert_eq!(
        (s1[0].as_f64(), s1[1].as_f64()),
        (Some(-54.56249193033872), Some(-20.46395093462792))
    );
}

fn json_list(v: &[usize]) -> Value {
    serde_json::json!(v)
}

#[test]
fn a_road_layer_in_utm_with_ft_tf_directions_loads_as_the_same_roads() {
    if !have_gdal("ogr2ogr") {
        return;
    }
    let dir = temp_dir("road-layer");
    let bin = env!("CARGO_BIN_EXE_patrolmap");
    let geojson = dir.join("roads.geojson");
    let out = Command::new(bin)
        .args([
            "network",
            "export",
            "data/campo-grande.osm.pbf",
            "-o",
            geojson.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A GIS road layer as an ArcGIS network dataset keeps it: FT / TF / B directions (every
    // 50th road closed: N), speed and class in fields of their own names, every fifth road
    // half as fast against its drawing (a TF speed), in UTM 21S, GBK.
    let shp = dir.join("道路.shp");
    ogr2ogr(&[
        "-f", "ESRI Shapefile", "-t_srs", "EPSG:32721", "-lco", "ENCODING=GBK", "-dialect", "SQLite",
        "-sql", "SELECT geometry, speed_kph AS SPEED, CASE WHEN (ROWID % 5) = 1 THEN speed_kph * 0.5 END AS TF_SPEED, CASE WHEN (ROWID % 50) = 7 THEN 'N' WHEN oneway = 'yes' THEN 'FT' WHEN oneway = '-1' THEN 'TF' ELSE 'B' END AS ONEWAY, highway AS FCLASS FROM roads",
        shp.to_str().unwrap(), geojson.to_str().unwrap(),
    ]);
    let original = patrolmap::network::load(&geojson, &patrolmap::network::NoProgress).unwrap();
    let fields = patrolmap::network::road_layer::RoadLayerFields::default();
    let (layer, report) = files::load_road_layer(&shp, &fields, None).unwrap();
    assert_eq!(
        report.prohibited,
        original.edges.len().div_ceil(50) - usize::from(original.edges.len() % 50 <= 7)
    );
    assert_eq!(layer.edges.len() + report.prohibited, original.edges.len());
    let kept: Vec<_> = original
        .edges
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 50 != 7)
        .collect();
    for (&(i, a), b) in kept.iter().zip(&layer.edges) {
        assert_eq!(a.oneway, b.oneway, "road {i}: direction");
        assert_eq!(a.tagged_speed_kph, b.tagged_speed_kph, "road {i}: speed");
        let back = if i % 5 == 1 {
            a.tagged_speed_kph.map(|v| v * 0.5)
        } else {
            a.tagged_speed_kph
        };
        assert_eq!(b.tagged_backward_speed_kph, back, "road {i}: speed back");
        assert_eq!(
            original.class_name(a.class),
            layer.class_name(b.class),
            "road {i}: class"
        );
        assert!(
            (a.length_m - b.length_m).abs() < 1e-6 * a.length_m.max(1.0),
            "road {i}: {} m vs {} m",
            a.length_m,
            b.length_m
        );
    }
    assert_eq!(
        report.forward + report.backward + report.both,
        layer.edges.len()
    );
    assert!(report.forward > 0 && report.backward > 0, "{report:?}");
    assert_eq!(
        report.with_speed_per_direction,
        kept.iter().filter(|(i, _)| i % 5 == 1).count()
    );
}

#[test]
fn coverage_layers_convert_to_gis_formats_that_gdal_reads() {
    let dir = temp_dir("convert");
    let bin = env!("CARGO_BIN_EXE_patrolmap");
    let tiers = dir.join("tiers.geojson");
    let gaps = dir.join("gaps.geojson");
    let out = Command::new(bin)
        .args([
            "coverage",
            "--roads",
            "data/campo-grande.osm.pbf",
            "--scenario",
            "data/demo-scenario.geojson",
            "--polygons",
            tiers.to_str().unwrap(),
            "--gaps-geojson",
            gaps.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = |path: &Path| -> usize {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["features"].as_array().unwrap().len()
    };
    for (input, output) in [
        (&tiers, "tiers.gpkg"),
        (&gaps, "gaps.shp"),
        (&gaps, "gaps.kml"),
    ] {
        let target = dir.join(output);
        let out = Command::new(bin)
            .args([
                "convert",
                input.to_str().unwrap(),
                "-o",
                target.to_str().unwrap(),
                "--to-crs",
                "EPSG:32721",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{output}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Read back by patrolmap: as many features (a Shapefile is written per geometry type).
        let path = if output.ends_with(".shp") {
            dir.join("gaps_lines.shp")
        } else {
            target.clone()
        };
        let (back, _) = files::read_features_any(&path, &ReadOptions::default()).unwrap();
        assert_eq!(back.len(), count(input), "{output}");
        if have_gdal("ogrinfo") {
            let info = Command::new("ogrinfo")
                .args(["-ro", "-al", "-so", path.to_str().unwrap()])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&info.stdout);
            assert!(text.contains("Feature Count"), "{output}: {text}");
        }
    }
}
