//! The basemap made from a city's OSM file, read back by an independent decoder: GDAL's MVT
//! driver (`ogr2ogr`, Debian's gdal-bin).

use std::process::Command;

use patrolmap::network::map_features::{self, MapLayer};
use patrolmap::tiles::{basemap::Basemap, TileId};

fn demo_basemap() -> Basemap {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/campo-grande.osm.pbf");
    Basemap::new(map_features::read_pbf(&path).unwrap())
}

#[test]
fn the_demo_city_basemap_has_names_water_and_green() {
    let basemap = demo_basemap();
    let counts = basemap.counts();
    let count = |l: MapLayer| counts.iter().find(|c| c.0 == l).map_or(0, |c| c.1);
    // The demo file is a full extract: every layer has something.
    for layer in MapLayer::ALL {
        assert!(count(layer) > 0, "{layer:?}: {counts:?}");
    }
    assert!(count(MapLayer::TransportationName) > 100, "{counts:?}");
}

/// `ogrinfo`'s per-layer feature count of a tile file.
fn gdal_counts(path: &std::path::Path, id: TileId) -> Option<Vec<(String, usize)>> {
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .args(["-oo", &format!("X={}", id.x), "-oo", &format!("Y={}", id.y)])
        .args(["-oo", &format!("Z={}", id.z)])
        .arg(path)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut counts = Vec::new();
    let mut layer = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            layer = Some(name.to_string());
        }
        if let Some(n) = line.strip_prefix("Feature Count: ") {
            counts.push((layer.take().unwrap(), n.trim().parse().unwrap()));
        }
    }
    Some(counts)
}

#[test]
fn gdal_reads_every_basemap_layer_as_written() {
    if Command::new("ogrinfo").arg("--version").output().is_err() {
        eprintln!("skipped: no ogrinfo (apt-get install gdal-bin)");
        return;
    }
    let basemap = demo_basemap();
    let dir = std::env::temp_dir().join(format!("patrolmap-basemap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for z in [12, 14, 16] {
        let id = TileId::containing(z, [-54.5625, -20.464]).unwrap();
        let ours: Vec<(String, usize)> = basemap
            .tile_layers(id)
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| (l.name().to_string(), l.len()))
            .collect();
        let path = dir.join(format!("{z}.mvt"));
        std::fs::write(&path, basemap.tile(id)).unwrap();
        let mut theirs = gdal_counts(&path, id).unwrap();
        theirs.sort();
        let mut expected = ours.clone();
        expected.sort();
        assert_eq!(theirs, expected, "zoom {z}");
        seen.extend(ours.into_iter().map(|l| l.0));
    }
    std::fs::remove_dir_all(&dir).ok();
    for layer in ["water", "park", "building", "transportation_name", "place"] {
        assert!(seen.contains(layer), "{layer} drawn at no zoom: {seen:?}");
    }
}

/// An MBTiles made by GDAL (`ogr2ogr -f MBTiles`) from the demo scenario, and the same
/// converted to PMTiles by the PMTiles project's own converter (`pmtiles-convert`, PyPI
/// `pmtiles`): two real producers of offline basemaps. `None` where the tools are missing.
fn archives(dir: &std::path::Path) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mbtiles = dir.join("demo.mbtiles");
    let pmtiles = dir.join("demo.pmtiles");
    let made = Command::new("ogr2ogr")
        .args(["-f", "MBTiles"])
        .arg(&mbtiles)
        .arg(root.join("data/demo-scenario.geojson"))
        .args([
            "-dsco",
            "MINZOOM=10",
            "-dsco",
            "MAXZOOM=14",
            "-nln",
            "place",
        ])
        .status()
        .ok()?;
    assert!(made.success());
    let converted = Command::new("pmtiles-convert")
        .arg(&mbtiles)
        .arg(&pmtiles)
        .output()
        .ok()?;
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    Some((mbtiles, pmtiles))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn mbtiles_and_pmtiles_basemaps_give_every_tile_they_hold() {
    use patrolmap::basemap::BasemapSource;
    let dir = crate::common::temp_dir("basemap-archives");
    let Some((mbtiles, pmtiles)) = archives(&dir) else {
        eprintln!("skipped: ogr2ogr or pmtiles-convert missing (gdal-bin, pip pmtiles)");
        return;
    };
    let mb = BasemapSource::open(&mbtiles).unwrap();
    let pm = BasemapSource::open(&pmtiles).unwrap();
    assert_eq!((mb.info().min_zoom, mb.info().max_zoom), (10, 14));
    assert_eq!((pm.info().min_zoom, pm.info().max_zoom), (10, 14));
    // Every tile the file holds, as GDAL wrote it (rows in the TMS scheme).
    let db = rusqlite::Connection::open(&mbtiles).unwrap();
    let mut rows = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    let tiles: Vec<(u32, u32, u32, Vec<u8>)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tiles.len() > 20, "{}", tiles.len());
    let mut held = std::collections::HashSet::new();
    for (z, x, tms_row, data) in &tiles {
        let id = TileId::new(*z, *x, (1 << z) - 1 - tms_row).unwrap();
        held.insert(id);
        let from_mb = mb.tile(id).unwrap().expect("in the MBTiles");
        assert_eq!(&from_mb.bytes, data);
        let from_pm = pm.tile(id).unwrap().expect("in the PMTiles");
        let plain = |t: &patrolmap::basemap::TileBytes| {
            if t.gzip {
                gunzip(&t.bytes)
            } else {
                t.bytes.clone()
            }
        };
        assert_eq!(plain(&from_pm), plain(&from_mb), "{id:?}");
    }
    // Around them, nothing (and no error), in both.
    for id in held.iter().take(10) {
        for dx in [1u32, 2] {
            let next = TileId::new(id.z.into(), id.x + dx, id.y).unwrap();
            if !held.contains(&next) {
                assert_eq!(mb.tile(next).unwrap(), None);
                assert_eq!(pm.tile(next).unwrap(), None);
            }
        }
    }
    assert!(BasemapSource::open(&dir.join("missing.pmtiles")).is_err());
    std::fs::write(dir.join("bad.pmtiles"), b"not a pmtiles file at all").unwrap();
    let bad = BasemapSource::open(&dir.join("bad.pmtiles"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        bad.contains("bad.pmtiles") && bad.contains("PMTiles"),
        "{bad}"
    );
}

#[test]
fn the_server_serves_its_basemap_and_an_operators_archive() {
    use crate::server::start_server_with;
    let dir = crate::common::temp_dir("basemap-serve");
    // The demo city's own basemap: TileJSON, a tile with streets, nothing far away.
    let server = crate::server::server();
    let info = server.get("/api/basemap.json").json();
    assert_eq!(info["patrolmap:source"], "osm");
    assert_eq!(info["tiles"][0], "/api/basemap/{z}/{x}/{y}.mvt");
    let id = TileId::containing(15, [-54.5625, -20.464]).unwrap();
    let tile = server.get(&format!("/api/basemap/{}/{}/{}.mvt", id.z, id.x, id.y));
    assert_eq!(tile.status, 200);
    assert_eq!(
        tile.headers["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(tile.body, demo_basemap().tile(id));
    let far = TileId::containing(15, [100.0, 30.0]).unwrap();
    assert_eq!(
        server
            .get(&format!("/api/basemap/{}/{}/{}.mvt", far.z, far.x, far.y))
            .status,
        204
    );
    assert_eq!(
        server
            .call("GET", "/api/basemap/15/1/1.mvt", None, None)
            .status,
        401
    );
    assert_eq!(server.get("/api/basemap/15/1/x.mvt").status, 400);
    // The tier areas of the loaded revision, cut per tile the same way.
    let id = TileId::containing(14, [-54.5625, -20.464]).unwrap();
    let areas = server.get(&format!(
        "/api/coverage/areas/{}/{}/{}.mvt?rev=0",
        id.z, id.x, id.y
    ));
    assert_eq!(areas.status, 200);
    assert!(
        areas.body.windows(5).any(|w| w == b"areas"),
        "an areas layer"
    );
    let path = format!("/api/coverage/areas/{}/{}/{}.mvt", id.z, id.x, id.y);
    assert_eq!(server.call("GET", &path, None, None).status, 401);
    assert_eq!(server.get(&format!("{path}?rev=999999")).status, 404);

    // An operator's PMTiles: its zoom range, its tiles as they are stored (gzip).
    let Some((_, pmtiles)) = archives(&dir) else {
        eprintln!("skipped: ogr2ogr or pmtiles-convert missing");
        return;
    };
    let served = start_server_with(
        &dir.join("scenarios.db"),
        &["--basemap", pmtiles.to_str().unwrap()],
    );
    let info = served.get("/api/basemap.json").json();
    assert_eq!(info["patrolmap:source"], "pmtiles");
    assert_eq!(
        (info["minzoom"].as_u64(), info["maxzoom"].as_u64()),
        (Some(10), Some(14))
    );
    let source = patrolmap::basemap::BasemapSource::open(&pmtiles).unwrap();
    let id = TileId::containing(12, [-54.5625, -20.464]).unwrap();
    let stored = source
        .tile(id)
        .unwrap()
        .expect("the archive covers the centre");
    let tile = served.get(&format!("/api/basemap/{}/{}/{}.mvt", id.z, id.x, id.y));
    assert_eq!(tile.status, 200);
    assert_eq!(tile.headers["content-encoding"], "gzip");
    assert_eq!(tile.body, stored.bytes);
}
