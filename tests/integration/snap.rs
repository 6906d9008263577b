//! Snapping with the R-tree equals a brute-force scan of every segment (spec §2).

use patrolmap::network::{
    self, road_geojson::read_str, NoProgress, Profile, ProfileGraph, SnapIndex, SnapRefusal,
    TravelMode,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::json;

use crate::common::{haversine, roads_geojson, shared_data};

/// The spec's snapping written as a plain scan: `(edge, segment, t, offset_m, fraction)`.
fn brute_force(
    net: &network::RoadNetwork,
    graph: &ProfileGraph,
    p: [f64; 2],
) -> (u32, u32, f64, f64, f64) {
    let usable: Vec<usize> = (0..net.edges.len())
        .filter(|&e| graph.is_usable(e))
        .collect();
    let lats = usable
        .iter()
        .flat_map(|&e| net.geometry(e).iter().map(|q| q[1]));
    let (lo, hi) = lats.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let c = ((lo + hi) / 2.0).to_radians().cos();
    let q = [p[0] * c, p[1]];
    let mut best = (f64::INFINITY, 0, 0, 0.0);
    for &e in &usable {
        for (i, w) in net.geometry(e).windows(2).enumerate() {
            let (a, b) = ([w[0][0] * c, w[0][1]], [w[1][0] * c, w[1][1]]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len2 = dx * dx + dy * dy;
            let t = if len2 == 0.0 {
                0.0
            } else {
                (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
            };
            let (ex, ey) = (a[0] + t * dx - q[0], a[1] + t * dy - q[1]);
            let d2 = ex * ex + ey * ey;
            if d2 < best.0 {
                best = (d2, e, i, t);
            }
        }
    }
    let (_, e, i, t) = best;
    let g = net.geometry(e);
    let before: f64 = g[..=i].windows(2).map(|w| haversine(w[0], w[1])).sum();
    let offset = before + t * haversine(g[i], g[i + 1]);
    let len = net.edges[e].length_m;
    (
        e as u32,
        i as u32,
        t,
        offset,
        if len == 0.0 { 0.0 } else { offset / len },
    )
}

fn coordinate() -> impl Strategy<Value = [f64; 2]> {
    (0.0f64..0.02, 0.0f64..0.02).prop_map(|(x, y)| [112.9 + x, 27.8 + y])
}

proptest! {
    #![proptest_config(Config { cases: 200, rng_seed: RngSeed::Fixed(11), failure_persistence: None, ..Config::default() })]

    #[test]
    fn rtree_snap_equals_brute_force(
        lines in prop::collection::vec(prop::collection::vec(coordinate(), 2..5), 1..15),
        points in prop::collection::vec(coordinate(), 1..20),
    ) {
        let features: Vec<_> = lines.into_iter().map(|l| (l, json!({}))).collect();
        let net = read_str(&roads_geojson(&features), "r.geojson".as_ref()).unwrap();
        let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
        let index = SnapIndex::build(&net, &graph);
        for p in points {
            let s = index.snap(p, 1e9).unwrap();
            let (e, i, t, offset, fraction) = brute_force(&net, &graph, p);
            prop_assert_eq!((s.edge, s.segment), (e, i));
            prop_assert_eq!(s.t, t);
            prop_assert!((s.offset_m - offset).abs() < 1e-9);
            prop_assert!((s.fraction - fraction).abs() < 1e-12);
            prop_assert!((haversine(p, s.position) - s.dist_m).abs() < 1e-9);
        }
    }
}

#[test]
fn ties_go_to_the_lowest_edge_then_segment() {
    // Two identical lines: every point is equally near both.
    let line = vec![[0.0, 0.0], [0.001, 0.0], [0.002, 0.0]];
    let net = read_str(
        &roads_geojson(&[(line.clone(), json!({})), (line, json!({}))]),
        "r.geojson".as_ref(),
    )
    .unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&net, &graph);
    let s = index.snap([0.001, 0.0005], 1e9).unwrap();
    assert_eq!(
        (s.edge, s.segment),
        (0, 0),
        "the shared vertex is t = 1 of segment 0"
    );
}

#[test]
fn far_points_and_bad_positions_are_refused() {
    let net = network::load(&shared_data("campo-grande.osm.pbf"), &NoProgress).unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&net, &graph);
    assert!(matches!(
        index.snap([-54.0, -20.5], 500.0),
        Err(SnapRefusal::TooFar { .. })
    ));
    assert!(matches!(
        index.snap([f64::NAN, -20.5], 500.0),
        Err(SnapRefusal::BadPosition(..))
    ));
    assert!(matches!(
        index.snap([-54.6, 95.0], 500.0),
        Err(SnapRefusal::BadPosition(..))
    ));
    // Every node of a usable edge snaps onto a road within a millimetre.
    for e in (0..net.edges.len())
        .filter(|&e| graph.is_usable(e))
        .step_by(97)
    {
        let s = index
            .snap(net.nodes[net.edges[e].from as usize], 1.0)
            .unwrap();
        assert!(s.dist_m < 1e-3);
    }
}

#[test]
fn snapping_on_columbus_equals_brute_force() {
    let net = network::load(&shared_data("columbus.osm.pbf"), &NoProgress).unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&net, &graph);
    let bbox = net.bbox().unwrap();
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..40 {
        let p = [
            bbox[0] + next() * (bbox[2] - bbox[0]),
            bbox[1] + next() * (bbox[3] - bbox[1]),
        ];
        let s = index.snap(p, 1e9).unwrap();
        let (e, i, t, _, _) = brute_force(&net, &graph, p);
        assert_eq!((s.edge, s.segment, s.t), (e, i, t));
    }
}
