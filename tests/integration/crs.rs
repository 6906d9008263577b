//! patrolmap's coordinate conversions against GDAL's (`gdaltransform`, PROJ underneath): the
//! same points, both ways, within 0.01 m; and GCJ-02 / BD-09 against the published transform.

use std::io::Write;
use std::process::{Command, Stdio};

use patrolmap_core::crs::Crs;
use patrolmap_core::network::geodesy::haversine_m;

/// Whether a GDAL tool is on the machine; on CI (where `.ci/run` installs gdal-bin) its
/// absence fails the test instead of skipping it.
pub fn have_gdal(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is missing on CI: .ci/run installs gdal-bin");
    }
    if !found {
        eprintln!("skipped: no {tool} (apt-get install gdal-bin)");
    }
    found
}

/// `points` through `gdaltransform -s_srs from -t_srs to`.
fn gdaltransform(from: &str, to: &str, points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut child = Command::new("gdaltransform")
        .args(["-s_srs", from, "-t_srs", to, "-output_xy"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gdaltransform runs");
    let input: String = points
        .iter()
        .map(|p| format!("{:.12} {:.12}\n", p[0], p[1]))
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().map(|s| s.parse().unwrap()).collect();
            [v[0], v[1]]
        })
        .collect()
}

/// Seeded points within `spread_deg` of `centre`.
fn points_around(centre: [f64; 2], spread_deg: f64, n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    (0..n)
        .map(|_| {
            [
                centre[0] + spread_deg * next(),
                centre[1] + spread_deg * next(),
            ]
        })
        .collect()
}

#[test]
fn projections_agree_with_gdal_within_a_centimetre_both_ways() {
    if !have_gdal("gdaltransform") {
        return;
    }
    // Xiangtan in its own 3° zone (CM 114E, with and without the zone in front), a 6° zone,
    // UTM, Web Mercator; points up to 1.5° (3° zones) or 3° (6° zones) off the central meridian.
    let cases: [(u32, [f64; 2], f64); 8] = [
        (4547, [114.0, 27.8], 1.5),
        (4526, [114.0, 27.8], 1.5),
        (4545, [108.0, 22.8], 1.5),
        (4499, [123.0, 41.8], 3.0),
        (4509, [117.0, 39.1], 3.0),
        (32649, [111.0, 27.8], 3.0),
        (32750, [117.0, -8.0], 3.0),
        (3857, [112.9, 27.8], 20.0),
    ];
    let mut worst = 0.0f64;
    for (code, centre, spread) in cases {
        let crs = Crs::from_epsg(code).unwrap();
        let lon_lat = points_around(centre, spread, 200, code as u64);
        let epsg = format!("EPSG:{code}");
        // GDAL's EPSG:4326 is latitude first unless told otherwise: give it traditional order
        // through +proj=longlat, and the projected systems' easting first (-output_xy).
        let theirs = gdaltransform("+proj=longlat +datum=WGS84", &epsg, &lon_lat);
        for (p, t) in lon_lat.iter().zip(&theirs) {
            let ours = crs.from_wgs84(*p);
            let d = ((ours[0] - t[0]).powi(2) + (ours[1] - t[1]).powi(2)).sqrt();
            worst = worst.max(d);
            assert!(
                d < 0.01,
                "{epsg} forward {p:?}: ours {ours:?}, GDAL {t:?} ({d} m)"
            );
        }
        let back = gdaltransform(&epsg, "+proj=longlat +datum=WGS84", &theirs);
        for (xy, t) in theirs.iter().zip(&back) {
            let ours = crs.to_wgs84(*xy);
            let d = haversine_m(ours, *t);
            assert!(
                d < 0.01,
                "{epsg} inverse {xy:?}: ours {ours:?}, GDAL {t:?} ({d} m)"
            );
        }
        // And from the .prj patrolmap writes, read back by GDAL as the same system.
        let prj = crs.to_wkt();
        let via_prj = gdaltransform("+proj=longlat +datum=WGS84", &prj, &lon_lat[..20]);
        for (p, t) in lon_lat.iter().zip(&via_prj) {
            let ours = crs.from_wgs84(*p);
            assert!(
                (ours[0] - t[0]).abs() < 0.01 && (ours[1] - t[1]).abs() < 0.01,
                "{epsg} via its .prj: {ours:?} vs {t:?}"
            );
        }
    }
    eprintln!("worst difference from GDAL: {worst:.2e} m");
}

#[test]
fn gcj02_and_bd09_agree_with_the_published_transform_within_half_a_metre_both_ways() {
    let have = Command::new("python3")
        .args(["-c", "import eviltransform"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "eviltransform missing on CI (bench/requirements.txt)"
        );
        eprintln!("skipped: pip install eviltransform");
        return;
    }
    // Points across China: Xiangtan, Beijing, Urumqi, Harbin, Sanya, and random ones.
    let mut points = vec![
        [112.944, 27.829],
        [116.391, 39.907],
        [87.617, 43.793],
        [126.535, 45.803],
        [109.512, 18.252],
    ];
    points.extend(points_around([105.0, 32.0], 18.0, 300, 7));
    let input: String = points
        .iter()
        .map(|p| format!("{:.12} {:.12}\n", p[0], p[1]))
        .collect();
    // The reference takes (lat, lng) and answers (lat, lng); each line: the four conversions.
    let script = r#"
import sys, eviltransform as e
for line in sys.stdin:
    lng, lat = map(float, line.split())
    g = e.wgs2gcj(lat, lng); w = e.gcj2wgs_exact(lat, lng); b = e.gcj2bd(lat, lng)
    print(g[1], g[0], w[1], w[0], b[1], b[0])
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    let rows: Vec<Vec<f64>> = out
        .lines()
        .map(|l| l.split_whitespace().map(|s| s.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), points.len());
    let mut worst = [0.0f64; 4];
    for (p, r) in points.iter().zip(&rows) {
        let checks = [
            (Crs::Gcj02.from_wgs84(*p), [r[0], r[1]]),
            (Crs::Gcj02.to_wgs84(*p), [r[2], r[3]]),
            (patrolmap_core::crs::gcj02_to_bd09(*p), [r[4], r[5]]),
            // BD-09 back to GCJ-02 is solved against the forward just checked: going forward
            // again lands on the point.
            (
                *p,
                patrolmap_core::crs::gcj02_to_bd09(patrolmap_core::crs::bd09_to_gcj02(*p)),
            ),
        ];
        for (i, (ours, theirs)) in checks.iter().enumerate() {
            let d = haversine_m(*ours, *theirs);
            worst[i] = worst[i].max(d);
            assert!(
                d < 0.5,
                "check {i} at {p:?}: ours {ours:?}, reference {theirs:?} ({d} m)"
            );
        }
    }
    // The offset is real: hundreds of metres, so a missed conversion would show.
    let offset = haversine_m(points[0], Crs::Gcj02.from_wgs84(points[0]));
    assert!(offset > 300.0, "{offset}");
    eprintln!(
        "worst differences (m): wgs->gcj {:.1e}, gcj->wgs {:.1e}, gcj->bd {:.1e}, bd->gcj {:.1e}",
        worst[0], worst[1], worst[2], worst[3]
    );
}
