//! GeoJSON roads read exactly as `spec/coverage.md` §1 defines them.

use patrolmap::network::{
    road_geojson::read_str, Direction, Profile, ProfileGraph, ProfileSet, TravelMode,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::json;

use crate::common::{haversine, roads_geojson};

fn car(text: &str) -> (patrolmap::network::RoadNetwork, ProfileGraph) {
    let net = read_str(text, "roads.geojson".as_ref()).unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    (net, graph)
}

#[test]
fn nodes_join_on_seven_decimal_keys_and_interior_vertices_never_connect() {
    let text = roads_geojson(&[
        (vec![[10.0, 20.0], [10.001, 20.0]], json!({})),
        // Starts 4e-9 degrees away from the first line's end: the same key, the same node.
        (vec![[10.001000004, 20.0], [10.002, 20.0]], json!({})),
        // Passes through [10.001, 20.0] at an interior vertex: no connection there.
        (
            vec![[10.001, 19.999], [10.001, 20.0], [10.001, 20.001]],
            json!({}),
        ),
    ]);
    let (net, _) = car(&text);
    assert_eq!(net.nodes.len(), 5);
    assert_eq!(net.edges[0].to, net.edges[1].from);
}

#[test]
fn skipped_features_are_counted() {
    let text = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": null},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[0, 0]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [0.001, 0, 55.0]]}},
    ]})
    .to_string();
    let (net, _) = car(&text);
    assert_eq!(net.report.skipped_features, 4);
    assert_eq!(net.edges.len(), 1);
}

#[test]
fn speeds_follow_the_spec_table_and_speed_kph() {
    let line = vec![[0.0, 0.0], [0.0, 0.01]];
    let cases = [
        (json!({"highway": "motorway"}), 100.0),
        (json!({"highway": "trunk"}), 80.0),
        (json!({"highway": "primary"}), 60.0),
        (json!({"highway": "secondary"}), 50.0),
        (json!({"highway": "tertiary"}), 40.0),
        (json!({"highway": "unclassified"}), 30.0),
        (json!({"highway": "residential"}), 30.0),
        (json!({"highway": "service"}), 15.0),
        (json!({"highway": "living_street"}), 15.0),
        (json!({"highway": "primary_link"}), 25.0),
        (json!({"highway": "footway"}), 25.0),
        (json!({}), 25.0),
        (json!({"highway": "primary", "speed_kph": 72.5}), 72.5),
        (json!({"highway": "primary", "speed_kph": "50"}), 60.0),
        (json!({"highway": "primary", "speed_kph": 0}), 60.0),
        (json!({"highway": "primary", "speed_kph": -5}), 60.0),
        (json!({"highway": 7}), 25.0),
    ];
    let features: Vec<_> = cases
        .iter()
        .map(|(p, _)| (line.clone(), p.clone()))
        .collect();
    let (net, graph) = car(&roads_geojson(&features));
    let length = haversine(line[0], line[1]);
    for (e, (props, speed)) in cases.iter().enumerate() {
        assert_eq!(net.edges[e].length_m, length);
        assert_eq!(
            graph.time_s(e as u32, true),
            length / (speed / 3.6),
            "{props}"
        );
        assert_eq!(
            graph.time_s(e as u32, false),
            length / (speed / 3.6),
            "{props}"
        );
    }
}

#[test]
fn oneway_values_follow_the_spec() {
    let line = vec![[0.0, 0.0], [0.0, 0.01]];
    let cases = [
        (json!({"oneway": "yes"}), Direction::Forward),
        (json!({"oneway": true}), Direction::Forward),
        (json!({"oneway": "-1"}), Direction::Backward),
        (json!({"oneway": -1}), Direction::Backward),
        (json!({"oneway": "1"}), Direction::Both),
        (json!({"oneway": "true"}), Direction::Both),
        (json!({"oneway": "no"}), Direction::Both),
        (json!({"oneway": false}), Direction::Both),
        (json!({"highway": "motorway"}), Direction::Both),
    ];
    let features: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (vec![[i as f64, 0.0], [i as f64, 0.01]], p.clone()))
        .collect();
    let (net, graph) = car(&roads_geojson(&features));
    for (e, (props, dir)) in cases.iter().enumerate() {
        assert_eq!(graph.edge_direction[e], Some(*dir), "{props}");
        let (u, v) = (net.edges[e].from, net.edges[e].to);
        assert_eq!(
            graph.forward.arcs(u).any(|a| a.0 == v),
            dir.allows_forward(),
            "{props}"
        );
        assert_eq!(
            graph.forward.arcs(v).any(|a| a.0 == u),
            dir.allows_backward(),
            "{props}"
        );
        assert_eq!(
            graph.backward.arcs(v).any(|a| a.0 == u),
            dir.allows_forward(),
            "{props}"
        );
    }
    let _ = line;
    let foot = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Foot));
    assert!(foot
        .edge_direction
        .iter()
        .all(|d| *d == Some(Direction::Both)));
}

#[test]
fn parallel_edges_and_self_loops_are_kept() {
    let text = roads_geojson(&[
        (
            vec![[0.0, 0.0], [0.001, 0.0]],
            json!({"highway": "primary"}),
        ),
        (
            vec![[0.0, 0.0], [0.0005, 0.0003], [0.001, 0.0]],
            json!({"highway": "service"}),
        ),
        (
            vec![[0.001, 0.0], [0.002, 0.001], [0.002, 0.0], [0.001, 0.0]],
            json!({}),
        ),
    ]);
    let (net, graph) = car(&text);
    assert_eq!(net.nodes.len(), 2);
    assert_eq!(net.edges.len(), 3);
    assert_eq!(net.edges[2].from, net.edges[2].to);
    assert_eq!(graph.forward.arcs(net.edges[0].from).count(), 2);
    let expected: f64 = [[0.001, 0.0], [0.002, 0.001], [0.002, 0.0], [0.001, 0.0]]
        .windows(2)
        .map(|w| haversine(w[0], w[1]))
        .sum();
    assert!((net.edges[2].length_m - expected).abs() < 1e-9);
}

#[test]
fn chinese_names_survive() {
    let (net, _) = car(&roads_geojson(&[(
        vec![[112.9, 27.8], [112.91, 27.8]],
        json!({"name": "建设北路", "ref": "G107"}),
    )]));
    assert_eq!(net.name(0), Some("建设北路"));
    assert_eq!(net.road_ref(0), Some("G107"));
}

#[test]
fn a_config_file_overrides_speeds() {
    let set = ProfileSet::from_toml_str(
        "[profiles.car]\nspeeds_kph = { residential = 20 }\nmax_speed_kph = 50",
    )
    .unwrap();
    let text = roads_geojson(&[
        (
            vec![[0.0, 0.0], [0.0, 0.01]],
            json!({"highway": "residential"}),
        ),
        (
            vec![[0.0, 0.01], [0.0, 0.02]],
            json!({"highway": "motorway"}),
        ),
    ]);
    let net = read_str(&text, "r.geojson".as_ref()).unwrap();
    let graph = ProfileGraph::build(&net, set.get(TravelMode::Car));
    assert_eq!(graph.edge_forward_speed_kph, vec![20.0, 50.0]);
    assert_eq!(graph.edge_backward_speed_kph, vec![20.0, 50.0]);
    assert!(ProfileSet::from_toml_str("[profiles.boat]\n").is_err());
    assert!(ProfileSet::from_toml_str("[profiles.car]\nspeed = 3").is_err());
}

proptest! {
    #![proptest_config(Config { cases: 200, rng_seed: RngSeed::Fixed(7), failure_persistence: None, ..Config::default() })]

    /// Lengths are the sum of segment haversines, for any polyline; the reversed line has the
    /// same length; no segment is longer than the whole.
    #[test]
    fn lengths_are_sums_of_haversines(points in prop::collection::vec((-179.0f64..179.0, -85.0f64..85.0), 2..8)) {
        let coords: Vec<[f64; 2]> = points.iter().map(|&(x, y)| [x, y]).collect();
        let mut reversed = coords.clone();
        reversed.reverse();
        let text = roads_geojson(&[(coords.clone(), json!({})), (reversed, json!({}))]);
        let net = read_str(&text, "r.geojson".as_ref()).unwrap();
        let expected: f64 = coords.windows(2).map(|w| haversine(w[0], w[1])).sum();
        prop_assert!((net.edges[0].length_m - expected).abs() <= 1e-9 * expected.max(1.0));
        prop_assert!((net.edges[0].length_m - net.edges[1].length_m).abs() <= 1e-6);
        for w in coords.windows(2) {
            prop_assert!(haversine(w[0], w[1]) <= net.edges[0].length_m + 1e-6);
        }
    }

    /// Arcs exist exactly in the directions each edge's oneway tag allows.
    #[test]
    fn arcs_follow_oneway(tags in prop::collection::vec(0usize..5, 1..12)) {
        let values = [json!("yes"), json!("-1"), json!(null), json!(true), json!(-1)];
        let features: Vec<_> = tags.iter().enumerate()
            .map(|(i, &t)| (vec![[0.0, i as f64 * 0.001], [0.0, (i + 1) as f64 * 0.001]], json!({"oneway": values[t]})))
            .collect();
        let (net, graph) = car(&roads_geojson(&features));
        let mut expected_arcs = 0;
        for (e, &t) in tags.iter().enumerate() {
            let (fwd, bwd) = match t { 0 | 3 => (true, false), 1 | 4 => (false, true), _ => (true, true) };
            expected_arcs += fwd as usize + bwd as usize;
            let (u, v) = (net.edges[e].from, net.edges[e].to);
            prop_assert_eq!(graph.forward.arcs(u).any(|a| a.2 == e as u32 && a.0 == v), fwd);
            prop_assert_eq!(graph.forward.arcs(v).any(|a| a.2 == e as u32 && a.0 == u), bwd);
        }
        prop_assert_eq!(graph.arc_count(), expected_arcs);
    }
}
