//! Tier polygons on the demo city: valid, nested, wound as RFC 7946 asks, and exactly the
//! buffer of the reached roads (checked against distances computed here, not the library's).

use geo::{
    Area, BooleanOps, Distance, Euclidean, Intersects, MapCoords, Point, Validation, Winding,
};
use patrolmap::coverage::overlay::{road_pieces, slice_polyline, RoadPiece};
use patrolmap::coverage::polygons::{tier_polygons, PolygonOptions, TierPolygon};
use patrolmap::coverage::{self, reach, ModeNetwork};
use patrolmap::network::{self, NoProgress, Profile, ProfileGraph, SnapIndex, TravelMode};
use patrolmap::scenario::generate::SplitMix64;

struct Demo {
    net: network::RoadNetwork,
    pieces: Vec<RoadPiece>,
    polygons: Vec<TierPolygon>,
    options: PolygonOptions,
}

fn demo() -> Demo {
    demo_with(PolygonOptions::default())
}

fn demo_with(options: PolygonOptions) -> Demo {
    let root = env!("CARGO_MANIFEST_DIR");
    let net = network::load(
        format!("{root}/data/campo-grande.osm.pbf").as_ref(),
        &NoProgress,
    )
    .unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&net, &graph);
    let scenario =
        patrolmap::scenario::load(format!("{root}/data/demo-scenario.geojson").as_ref()).unwrap();
    let car_units: Vec<_> = scenario
        .units
        .into_iter()
        .filter(|u| u.mode == TravelMode::Car)
        .collect();
    let modes = [ModeNetwork {
        mode: TravelMode::Car,
        graph: &graph,
        index: &index,
    }];
    let (placed, _) = coverage::place_units(&car_units, &modes, 1e9);
    let budgets = [60.0, 180.0, 300.0];
    let labels =
        coverage::search_nearest_times(coverage::Engine::Dijkstra, &net, &[&graph], &placed, 300.0);
    let pieces = road_pieces(
        &net,
        &graph,
        &reach::mode_reach(&[&graph], &labels),
        &placed,
        &budgets,
    );
    let polygons = tier_polygons(&net, &pieces, budgets.len(), options);
    Demo {
        net,
        pieces,
        polygons,
        options,
    }
}

#[test]
fn tier_polygons_are_valid_nested_and_wound_as_rfc_7946_asks() {
    let d = demo();
    assert_eq!(d.polygons.len(), 3);
    for p in &d.polygons {
        assert!(!p.area.0.is_empty(), "tier {} is empty", p.tier);
        if let Err(e) = p.area.check_validation() {
            panic!("tier {} is not valid: {e}", p.tier);
        }
        for poly in &p.area {
            assert!(poly.exterior().is_ccw(), "exteriors are counter-clockwise");
            assert!(
                poly.interiors().iter().all(|h| h.is_cw()),
                "holes are clockwise"
            );
        }
    }
    assert!(
        d.polygons[2].area.iter().any(|p| !p.interiors().is_empty()),
        "the widest tier has holes where nothing reaches"
    );
    for t in 0..2 {
        let (inner, outer) = (&d.polygons[t].area, &d.polygons[t + 1].area);
        assert!(d.polygons[t].area_m2 < d.polygons[t + 1].area_m2);
        // Nothing of the nearer tier lies outside the wider one: not its area, not a vertex.
        let outside = inner.difference(outer).unsigned_area();
        assert!(
            outside <= 1e-9 * inner.unsigned_area(),
            "tier {t} pokes out of tier {}: {outside}",
            t + 1
        );
        for poly in inner {
            // On a shared stretch of outline the wider tier may have merged the vertex into a
            // straight run: on it, up to rounding.
            for c in poly.exterior().coords() {
                let p = Point::from(*c);
                assert!(
                    outer.intersects(&p) || Euclidean.distance(&p, outer) < 1e-9,
                    "vertex {c:?} of tier {t}"
                );
            }
        }
    }
}

#[test]
fn tier_polygons_are_the_buffer_of_the_reached_roads() {
    // A fine grid, so that the check is tight: a square whose four points agree is wholly
    // inside or outside, so the outline is within a cell's diagonal of the buffer's edge.
    let d = demo_with(PolygonOptions {
        buffer_m: 40.0,
        cell_m: 5.0,
    });
    // Distances on a local projection of the test's own (metres east and north).
    let lat0 = -20.47f64;
    let (mx, my) = (111_195.08 * lat0.to_radians().cos(), 111_195.08);
    let xy = |p: [f64; 2]| [p[0] * mx, p[1] * my];
    let segments: Vec<(usize, [f64; 2], [f64; 2])> = d
        .pieces
        .iter()
        .flat_map(|p| {
            let line = slice_polyline(d.net.geometry(p.edge as usize), p.from, p.to);
            let tier = p.tier;
            line.windows(2)
                .map(|w| (tier, xy(w[0]), xy(w[1])))
                .collect::<Vec<_>>()
        })
        .collect();
    let distance = |q: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        ((a[0] + t * dx - q[0]).powi(2) + (a[1] + t * dy - q[1]).powi(2)).sqrt()
    };
    let (buffer, slack) = (d.options.buffer_m, d.polygons[0].cell_m * 2f64.sqrt() + 0.5);
    // Points near the reached roads (where the answer is interesting) and anywhere.
    let mut rng = SplitMix64::new(5);
    let (mut inside, mut outside) = (0, 0);
    for s in 0..1500 {
        let p = if s % 2 == 0 {
            let piece = &d.pieces[(rng.next_f64() * d.pieces.len() as f64) as usize];
            let line = slice_polyline(d.net.geometry(piece.edge as usize), piece.from, piece.to);
            let c = line[(rng.next_f64() * line.len() as f64) as usize];
            [
                c[0] + (rng.next_f64() - 0.5) * 0.0012,
                c[1] + (rng.next_f64() - 0.5) * 0.0012,
            ]
        } else {
            [
                -54.6 + 0.1 * rng.next_f64(),
                -20.598 + 0.198 * rng.next_f64(),
            ]
        };
        for (t, polygon) in d.polygons.iter().enumerate() {
            let nearest = segments
                .iter()
                .filter(|s| s.0 <= t)
                .map(|s| distance(xy(p), s.1, s.2))
                .fold(f64::INFINITY, f64::min);
            let within = polygon.area.intersects(&Point::new(p[0], p[1]));
            if nearest < buffer - slack {
                assert!(
                    within,
                    "{p:?} is {nearest:.1} m from a tier-{t} road but outside"
                );
                inside += 1;
            } else if nearest > buffer + slack {
                assert!(
                    !within,
                    "{p:?} is {nearest:.1} m from tier-{t} roads but inside"
                );
                outside += 1;
            }
        }
    }
    assert!(
        inside > 300 && outside > 300,
        "{inside} inside, {outside} outside"
    );
}

#[test]
fn no_pieces_give_empty_polygons() {
    let d = demo();
    let none = tier_polygons(&d.net, &[], 2, d.options);
    assert_eq!(none.len(), 2);
    assert!(none.iter().all(|p| p.area.0.is_empty() && p.area_m2 == 0.0));
}

/// Issue 17: the tier areas the map draws are simplified (by a cell) to at most two thirds of
/// their vertices, still valid, their outline within a cell and a half of the traced one (less
/// than the buffer) and their area within 2 %.
#[test]
fn simplified_tier_polygons_are_light_valid_and_close_to_the_traced_ones() {
    use geo::{CoordsIter, Distance, Euclidean};
    use patrolmap::coverage::polygons::simplified;
    let d = demo();
    let light = simplified(&d.polygons, d.options.cell_m);
    let m_per_deg = 6_371_008.8 * std::f64::consts::PI / 180.0;
    for (traced, simple) in d.polygons.iter().zip(&light) {
        let (before, after) = (traced.area.coords_count(), simple.area.coords_count());
        assert!(
            after * 3 <= before * 2,
            "tier {}: {before} -> {after} vertices",
            traced.tier
        );
        if let Err(e) = simple.area.check_validation() {
            panic!("tier {} simplified is not valid: {e}", traced.tier);
        }
        let (a, b) = (traced.area.unsigned_area(), simple.area.unsigned_area());
        assert!(
            (b / a - 1.0).abs() < 0.02,
            "tier {}: area {a} -> {b}",
            traced.tier
        );
        // Every vertex kept lies on the traced outline (Visvalingam only drops vertices), and
        // every dropped one is near the simplified outline.
        let outline: Vec<geo::LineString> = simple
            .area
            .iter()
            .flat_map(|p| {
                std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned())
            })
            .collect();
        let lat = traced.area.0[0].exterior().0[0].y.to_radians();
        for (k, c) in traced.area.coords_iter().enumerate() {
            if k % 97 != 0 {
                continue; // a sample is enough
            }
            let p = geo::Point::from(c);
            let nearest = outline
                .iter()
                .map(|l| Euclidean.distance(&p, l))
                .fold(f64::INFINITY, f64::min);
            let metres = nearest * m_per_deg * lat.cos().clamp(0.5, 1.0);
            assert!(
                metres <= 1.5 * d.options.cell_m,
                "tier {}: a vertex {metres:.1} m away",
                traced.tier
            );
        }
    }
}

/// Web Mercator metres of `[lon, lat]` (EPSG:3857, what GDAL gives for vector tiles).
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let r = 6_378_137.0;
    let y = (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
        .tan()
        .ln();
    (r * lon.to_radians(), r * y)
}

/// The tier area tiles hold, tile by tile, the tier polygons cut at the tile: read back by GDAL
/// (`ogr2ogr`'s MVT driver into GeoJSON in EPSG:3857), each tier's area in the tile equals the
/// area of its polygons intersected with the tile's square (computed here with geo), within
/// what the drawing simplification moves.
#[test]
fn tier_area_tiles_are_the_tier_polygons_cut_per_tile() {
    use patrolmap::tiles::{areas::AreaTiles, TileId};
    if std::process::Command::new("ogr2ogr")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no ogr2ogr (apt-get install gdal-bin)");
        return;
    }
    let d = demo();
    let light = patrolmap::coverage::polygons::simplified(&d.polygons, d.options.cell_m);
    let tiles = AreaTiles::new(light.clone());
    let dir = crate::common::temp_dir("area-tiles");
    let mut compared = 0;
    for (z, at) in [
        (13, [-54.5625, -20.464]),
        (14, [-54.5625, -20.464]),
        (15, [-54.58, -20.47]),
    ] {
        let id = TileId::containing(z, at).unwrap();
        let [w, s, e, n] = id.bounds(0.0);
        let file = dir.join(format!("{z}.mvt"));
        std::fs::write(&file, tiles.tile(id)).unwrap();
        let out = dir.join(format!("{z}.geojson"));
        let status = std::process::Command::new("ogr2ogr")
            .args(["-f", "GeoJSON"])
            .arg(&out)
            .arg(&file)
            .args(["-oo", &format!("X={}", id.x), "-oo", &format!("Y={}", id.y)])
            .args(["-oo", &format!("Z={}", id.z), "areas"])
            .status()
            .unwrap();
        assert!(status.success());
        let read: geojson::FeatureCollection =
            std::fs::read_to_string(&out).unwrap().parse().unwrap();
        let (x0, y0) = mercator(w, s);
        let (x1, y1) = mercator(e, n);
        let square = geo::Rect::new((x0, y0), (x1, y1)).to_polygon();
        for tier in &light {
            let projected: geo::MultiPolygon = tier.area.map_coords(|c| {
                let (x, y) = mercator(c.x, c.y);
                geo::Coord { x, y }
            });
            let expected = projected.intersection(&square).unsigned_area();
            let got: f64 = read
                .features
                .iter()
                .filter(|f| f.property("tier").and_then(|t| t.as_i64()) == Some(tier.tier as i64))
                .map(|f| {
                    let g: geo::Geometry = f.geometry.clone().unwrap().try_into().unwrap();
                    // GDAL keeps the tile's margin; the comparison is inside the tile.
                    match g {
                        geo::Geometry::Polygon(p) => p.intersection(&square).unsigned_area(),
                        geo::Geometry::MultiPolygon(m) => m.intersection(&square).unsigned_area(),
                        other => panic!("{other:?}"),
                    }
                })
                .sum();
            let tile_area = square.unsigned_area();
            assert!(
                (got - expected).abs() <= 0.01 * tile_area + 0.02 * expected,
                "zoom {z}, tier {}: {got} m² in the tile, {expected} m² expected",
                tier.tier
            );
            if expected > 0.05 * tile_area {
                compared += 1;
            }
        }
    }
    assert!(compared >= 3, "only {compared} tiers had area to compare");
}
