//! Map matching of patrol lines: exact on random walks over a grid drawn off the road,
//! robust to hand-drawing noise on the demo city, and clear about what cannot be matched.

use std::collections::HashSet;
use std::path::Path;

use patrolmap::network::{
    road_geojson::read_str, Profile, ProfileGraph, RoadNetwork, SnapIndex, TravelMode,
};
use patrolmap::patrol::matching::{match_line, MatchError, MatchOptions};
use patrolmap::patrol::requirements::{Requirements, MIN_REQUIRED_M};
use patrolmap::scenario;
use patrolmap::stop::Stop;
use proptest::prelude::*;
use serde_json::json;

/// Metres per degree at the equator (the grid sits there).
const DEG_M: f64 = 111_195.0;

/// An `n` x `n` grid of two-way streets `spacing_m` apart; node (i, j) at i east, j north.
fn grid(n: usize, spacing_m: f64) -> RoadNetwork {
    let d = spacing_m / DEG_M;
    let mut features = Vec::new();
    for j in 0..n {
        for i in 0..n {
            let p = [i as f64 * d, j as f64 * d];
            if i + 1 < n {
                features.push((vec![p, [p[0] + d, p[1]]], json!({"speed_kph": 36})));
            }
            if j + 1 < n {
                features.push((vec![p, [p[0], p[1] + d]], json!({"speed_kph": 36})));
            }
        }
    }
    read_str(
        &crate::common::roads_geojson(&features),
        "grid.geojson".as_ref(),
    )
    .unwrap()
}

fn car(network: &RoadNetwork) -> (ProfileGraph, SnapIndex) {
    let graph = ProfileGraph::build(network, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(network, &graph);
    (graph, index)
}

/// The edge between two nodes, travelled from `a` to `b`: (edge, forward).
fn edge_between(network: &RoadNetwork, a: u32, b: u32) -> (u32, bool) {
    network
        .edges
        .iter()
        .enumerate()
        .find_map(|(e, edge)| {
            if edge.from == a && edge.to == b {
                Some((e as u32, true))
            } else if edge.from == b && edge.to == a {
                Some((e as u32, false))
            } else {
                None
            }
        })
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: proptest::test_runner::RngSeed::Fixed(2026), ..ProptestConfig::default() })]

    /// A walk along the grid, drawn a few metres off the streets with a wobble, is matched to
    /// exactly the streets it walks, each in its direction.
    #[test]
    fn a_walk_drawn_off_the_road_matches_its_streets(
        start in (0usize..6, 0usize..6),
        turns in proptest::collection::vec(0u8..3, 2..9),
        offset in (-6.0f64..6.0, -6.0f64..6.0),
        wobble in proptest::collection::vec((-2.0f64..2.0, -2.0f64..2.0), 10),
    ) {
        let n = 6;
        let network = grid(n, 120.0);
        let (graph, index) = car(&network);
        let node_at = |i: usize, j: usize| -> u32 {
            let d = 120.0 / DEG_M;
            network.nodes.iter().position(|p| (p[0] - i as f64 * d).abs() < 1e-9 && (p[1] - j as f64 * d).abs() < 1e-9).unwrap() as u32
        };
        // Headings: 0 east, 1 north, 2 west, 3 south; a turn is straight, left or right.
        let (mut i, mut j) = start;
        let mut heading = if i + 1 < n { 0 } else { 2 };
        let mut cells = vec![(i, j)];
        for t in &turns {
            let options = [heading, (heading + 1) % 4, (heading + 3) % 4];
            let step = |h: usize| match h {
                0 if i + 1 < n => Some((i + 1, j)),
                1 if j + 1 < n => Some((i, j + 1)),
                2 if i > 0 => Some((i - 1, j)),
                3 if j > 0 => Some((i, j - 1)),
                _ => None,
            };
            let chosen = (0..3).map(|k| options[(*t as usize + k) % 3]).find(|&h| step(h).is_some());
            let Some(h) = chosen else { break };
            (i, j) = step(h).unwrap();
            heading = h;
            cells.push((i, j));
        }
        prop_assume!(cells.len() >= 3);
        let nodes: Vec<u32> = cells.iter().map(|&(i, j)| node_at(i, j)).collect();
        let walk: HashSet<(u32, bool)> = nodes.windows(2).map(|w| edge_between(&network, w[0], w[1])).collect();
        // Walks that come back along a street they took the other way are ambiguous to draw.
        prop_assume!(!walk.iter().any(|&(e, f)| walk.contains(&(e, !f))));
        let line: Vec<[f64; 2]> = nodes
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let p = network.nodes[v as usize];
                let (wx, wy) = wobble[k % wobble.len()];
                [p[0] + (offset.0 + wx) / DEG_M, p[1] + (offset.1 + wy) / DEG_M]
            })
            .collect();
        let m = match_line(&network, &graph, &index, &line, &MatchOptions::default()).unwrap();
        let required: HashSet<(u32, bool)> = m.required(&network, MIN_REQUIRED_M).into_iter().collect();
        prop_assert_eq!(required, walk);
        prop_assert!(m.max_dist_m < 10.0, "max distance {}", m.max_dist_m);
        // The matched road is continuous: each traversal ends where the next begins.
        for w in m.traversals.windows(2) {
            let (a, b) = (&network.edges[w[0].edge as usize], &network.edges[w[1].edge as usize]);
            let a_end = if w[0].forward { a.to } else { a.from };
            let b_start = if w[1].forward { b.from } else { b.to };
            prop_assert!(w[0].edge == w[1].edge || a_end == b_start, "{:?}", m.traversals);
        }
    }
}

#[test]
fn what_cannot_be_matched_says_why() {
    let network = grid(3, 100.0);
    let (graph, index) = car(&network);
    let options = MatchOptions::default();
    let far = [[1.0, 1.0], [1.001, 1.0]];
    assert!(matches!(
        match_line(&network, &graph, &index, &far, &options),
        Err(MatchError::NoRoadNear { .. })
    ));
    assert_eq!(
        match_line(&network, &graph, &index, &[[0.0, 0.0]], &options),
        Err(MatchError::TooShort)
    );
    // A line that leaves the streets for 300 m in the middle.
    let d = 100.0 / DEG_M;
    let detour = [
        [0.0, 0.0],
        [d, 0.0],
        [d, -3.0 * d],
        [2.0 * d, -3.0 * d],
        [2.0 * d, 0.0],
    ];
    let err = match_line(&network, &graph, &index, &detour, &options).unwrap_err();
    assert!(matches!(err, MatchError::NoRoadNear { .. }), "{err}");
    assert!(err.to_string().contains("no road within 40 m"), "{err}");

    // A one-way street drawn against its direction, with no way round.
    let one_way = read_str(
        &crate::common::roads_geojson(&[(
            vec![[0.0, 0.0], [0.003, 0.0]],
            json!({"speed_kph": 36, "oneway": "yes"}),
        )]),
        "oneway.geojson".as_ref(),
    )
    .unwrap();
    let (graph, index) = car(&one_way);
    let against = [[0.0029, 0.00003], [0.0001, 0.00003]];
    assert!(matches!(
        match_line(&one_way, &graph, &index, &against, &options),
        Err(MatchError::Broken { .. })
    ));
    let along = [[0.0001, 0.00003], [0.0029, 0.00003]];
    assert_eq!(
        match_line(&one_way, &graph, &index, &along, &options)
            .unwrap()
            .required(&one_way, MIN_REQUIRED_M),
        vec![(0, true)]
    );
}

/// The demo city's roads, the car's graph and snap index, and the demo scenario.
fn demo_city() -> (RoadNetwork, ProfileGraph, SnapIndex, scenario::Scenario) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let network = patrolmap::network::load(
        &root.join("data/campo-grande.osm.pbf"),
        &patrolmap::network::NoProgress,
    )
    .unwrap();
    let (graph, index) = car(&network);
    let s = scenario::load(&root.join("data/demo-scenario.geojson")).unwrap();
    (network, graph, index, s)
}

/// The demo city's patrol lines: exact when drawn on the road, and nearly the same streets
/// when every vertex is moved up to 5 m as a hand would.
#[test]
fn demo_patrol_lines_match_exactly_and_survive_hand_drawing() {
    let (network, graph, index, mut s) = demo_city();
    assert!(s.patrol_lines.len() >= 5);
    let options = MatchOptions::default();
    let exact = Requirements::gather(&network, &graph, &index, &s, &options, 250.0);
    for l in &exact.lines {
        let m = l.matched.as_ref().unwrap();
        assert!(m.max_dist_m < 0.5, "{}: {}", l.id, m.max_dist_m);
        assert!(
            (m.matched_length_m - m.drawn_length_m).abs() < 1.0,
            "{}",
            l.id
        );
    }
    assert_eq!(
        exact.checkpoints.iter().filter(|c| c.place.is_ok()).count(),
        24
    );

    let mut seed = 7u64;
    let mut noise = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2.0 * 5.0 / DEG_M
    };
    for l in &mut s.patrol_lines {
        for p in &mut l.line {
            p[0] += noise();
            p[1] += noise();
        }
    }
    let drawn = Requirements::gather(&network, &graph, &index, &s, &options, 250.0);
    let (mut same, mut all) = (0, 0);
    for (a, b) in exact.lines.iter().zip(&drawn.lines) {
        let a: HashSet<_> = a.required.iter().collect();
        let b: HashSet<_> = b.required.iter().collect();
        same += a.intersection(&b).count();
        all += a.union(&b).count();
        let jaccard = a.intersection(&b).count() as f64 / a.union(&b).count() as f64;
        assert!(
            jaccard >= 0.8,
            "line matched differently when hand-drawn: {jaccard}"
        );
    }
    assert!(
        same as f64 >= 0.95 * all as f64,
        "{same} of {all} required edges agree"
    );
}

/// A random strongly connected network: a one-way cycle through every node plus extra roads,
/// at random positions and speeds; the extra road `k` is two-way when `two_way[k]`.
fn random_one_way(
    nodes: usize,
    extra: &[(usize, usize)],
    speeds: &[f64],
    seed_pos: &[(f64, f64)],
    two_way: &[bool],
) -> RoadNetwork {
    let pos = |i: usize| [seed_pos[i].0 * 0.01, seed_pos[i].1 * 0.01];
    let mut arcs: Vec<(usize, usize)> = (0..nodes).map(|i| (i, (i + 1) % nodes)).collect();
    arcs.extend(
        extra
            .iter()
            .filter(|(a, b)| a % nodes != b % nodes)
            .map(|&(a, b)| (a % nodes, b % nodes)),
    );
    let features: Vec<_> = arcs
        .iter()
        .enumerate()
        .map(|(k, &(a, b))| {
            let both = k >= nodes && two_way.get(k - nodes) == Some(&true);
            let mut props = json!({
                "oneway": if both { "no" } else { "yes" },
                "speed_kph": speeds[k % speeds.len()]
            });
            if both {
                // Each way its own time (`maxspeed:backward`).
                props["backward_speed_kph"] = json!(speeds[(k + 2) % speeds.len()]);
            }
            (vec![pos(a), pos(b)], props)
        })
        .collect();
    read_str(
        &crate::common::roads_geojson(&features),
        "oneway.geojson".as_ref(),
    )
    .unwrap()
}

/// The cheapest closed walk from `depot` through every edge of `required` (either way it is
/// allowed), by Dijkstra over (node, edges served so far): exact, for tiny graphs.
fn brute_force_postman(graph: &ProfileGraph, required: &[(u32, bool)], depot: u32) -> f64 {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashMap};
    let full = (1u32 << required.len()) - 1;
    let mut best: HashMap<(u32, u32), f64> = HashMap::new();
    let mut heap = BinaryHeap::new();
    best.insert((depot, 0), 0.0);
    heap.push(Reverse((0u64, depot, 0u32)));
    while let Some(Reverse((bits, v, mask))) = heap.pop() {
        let d = f64::from_bits(bits);
        if d > best[&(v, mask)] {
            continue;
        }
        if v == depot && mask == full {
            return d;
        }
        for (w, t, e) in graph.forward.arcs(v) {
            let bit = required
                .iter()
                .position(|&r| r.0 == e)
                .map_or(0, |i| 1 << i);
            let key = (w, mask | bit);
            let nd = d + t;
            if nd < *best.get(&key).unwrap_or(&f64::INFINITY) {
                best.insert(key, nd);
                heap.push(Reverse((nd.to_bits(), w, mask | bit)));
            }
        }
    }
    f64::INFINITY
}

/// Checks that `steps` is a closed, continuous walk from `depot` on allowed arcs.
fn assert_closed_walk(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    steps: &[(u32, bool)],
    depot: u32,
) {
    let ends = |s: (u32, bool)| {
        let e = &network.edges[s.0 as usize];
        if s.1 {
            (e.from, e.to)
        } else {
            (e.to, e.from)
        }
    };
    let mut at = depot;
    for &s in steps {
        let d = graph.edge_direction[s.0 as usize].expect("a usable edge");
        assert!(
            if s.1 {
                d.allows_forward()
            } else {
                d.allows_backward()
            },
            "illegal step {s:?}"
        );
        let (a, b) = ends(s);
        assert_eq!(a, at, "the walk jumps at {s:?}");
        at = b;
    }
    assert_eq!(at, depot, "the walk does not return to its start");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, rng_seed: proptest::test_runner::RngSeed::Fixed(135), ..ProptestConfig::default() })]

    /// Every edge required on a strongly connected one-way graph: the tour is an optimal
    /// directed Chinese postman tour (equal to the brute force), closed, continuous, legal.
    #[test]
    fn the_postman_tour_is_optimal_when_every_edge_is_required(
        nodes in 3usize..7,
        extra in proptest::collection::vec((0usize..7, 0usize..7), 2..7),
        speeds in proptest::collection::vec(10.0f64..60.0, 1..6),
        positions in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0), 7),
        depot in 0usize..7,
    ) {
        let network = random_one_way(nodes, &extra, &speeds, &positions, &[]);
        prop_assume!(network.edges.len() <= 12 && network.edges.iter().all(|e| e.length_m > 0.0));
        let graph = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
        let required: Vec<(u32, bool)> = (0..network.edges.len() as u32).map(|e| (e, true)).collect();
        let depot = (depot % network.nodes.len()) as u32;
        let tour = patrolmap::patrol::postman::postman_tour(&network, &graph, &required, depot).unwrap();
        assert_closed_walk(&network, &graph, &tour.steps, depot);
        let served: HashSet<_> = tour.steps.iter().copied().collect();
        prop_assert!(required.iter().all(|r| served.contains(r)));
        let optimum = brute_force_postman(&graph, &required, depot);
        prop_assert!((tour.time_s - optimum).abs() < 1e-6 * optimum.max(1.0), "tour {} optimum {}", tour.time_s, optimum);
    }

    /// Some edges required (the rural postman), some roads two-way (a mixed graph): a closed
    /// legal walk through all of them, never cheaper than the exact optimum (a sanity bound on
    /// both).
    #[test]
    fn the_rural_postman_tour_covers_what_is_required(
        nodes in 3usize..6,
        extra in proptest::collection::vec((0usize..6, 0usize..6), 0..5),
        two_way in proptest::collection::vec(any::<bool>(), 5),
        speeds in proptest::collection::vec(10.0f64..60.0, 1..6),
        positions in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0), 6),
        pick in proptest::collection::vec(any::<bool>(), 11),
    ) {
        let network = random_one_way(nodes, &extra, &speeds, &positions, &two_way);
        prop_assume!(network.edges.len() <= 10 && network.edges.iter().all(|e| e.length_m > 0.0));
        let graph = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
        let required: Vec<(u32, bool)> = (0..network.edges.len() as u32).filter(|&e| pick[e as usize]).map(|e| (e, true)).collect();
        prop_assume!(!required.is_empty());
        let tour = patrolmap::patrol::postman::postman_tour(&network, &graph, &required, 0).unwrap();
        assert_closed_walk(&network, &graph, &tour.steps, 0);
        let served: HashSet<u32> = tour.steps.iter().map(|s| s.0).collect();
        prop_assert!(required.iter().all(|r| served.contains(&r.0)));
        prop_assert_eq!(tour.serves.iter().filter(|&&s| s).count(), required.len());
        let optimum = brute_force_postman(&graph, &required, 0);
        prop_assert!(tour.time_s >= optimum - 1e-6, "tour {} below the optimum {}", tour.time_s, optimum);
        // The plan's lower bound (required driving plus the spanning tree joining the pieces
        // to the depot) is never above the optimum.
        let depot = [patrolmap::patrol::plan::PatrolUnit { id: "u".into(), depot: 0 }];
        let joining = patrolmap::patrol::plan::joining_lower_bound(&network, &graph, &required, &depot);
        let bound = required.iter().map(|r| graph.quickest_time_s(r.0)).sum::<f64>() + joining;
        prop_assert!(bound <= optimum + 1e-6, "bound {} above the optimum {}", bound, optimum);
        // The tour's blocks reordered: still closed, legal and complete, never below the
        // optimum.
        let sequencer = patrolmap::patrol::sequence::Sequencer::new(&network, &graph, &tour, &[0]);
        let reordered = sequencer.tour_from(&network, &graph, 0).unwrap();
        assert_closed_walk(&network, &graph, &reordered.steps, 0);
        let served: HashSet<u32> = reordered.steps.iter().map(|s| s.0).collect();
        prop_assert!(required.iter().all(|r| served.contains(&r.0)));
        prop_assert_eq!(reordered.serves.iter().filter(|&&s| s).count(), required.len());
        prop_assert!(reordered.time_s >= optimum - 1e-6, "reordered {} below the optimum {}", reordered.time_s, optimum);
        let driven: f64 = reordered.steps.iter().map(|s| graph.time_s(s.0, s.1)).sum();
        prop_assert!((driven - reordered.time_s).abs() < 1e-6);
    }
}

/// A two-way ring drawn clockwise, each street quick that way (36 km/h) and slow back
/// (9 km/h, a `maxspeed:backward`): one unit patrols it clockwise, its plan and the check
/// count each street at the time of the way it is driven, and the lower bound counts the
/// quicker way.
#[test]
fn a_ring_quick_one_way_round_is_patrolled_that_way() {
    let d = 300.0 / DEG_M;
    let corners = [[0.0, 0.0], [0.0, d], [d, d], [d, 0.0]];
    let features: Vec<_> = (0..4)
        .map(|i| {
            (
                vec![corners[i], corners[(i + 1) % 4]],
                json!({"speed_kph": 36, "backward_speed_kph": 9}),
            )
        })
        .collect();
    let network = read_str(
        &crate::common::roads_geojson(&features),
        "ring.geojson".as_ref(),
    )
    .unwrap();
    let (graph, _) = car(&network);
    let required: Vec<(u32, bool)> = (0..4).map(|e| (e, true)).collect();
    let units = [PatrolUnit {
        id: "u".into(),
        depot: network.edges[0].from,
    }];
    let plan = plan_patrols(&network, &graph, &required, &[], &units).unwrap();
    let quick: f64 = (0..4).map(|e| graph.time_s(e, true)).sum();
    let slow: f64 = (0..4).map(|e| graph.time_s(e, false)).sum();
    assert!((slow - 4.0 * quick).abs() < 1e-6, "{slow} vs {quick}");
    assert_eq!(plan.routes[0].steps, required, "clockwise, as drawn");
    assert!(
        (plan.longest_s - quick).abs() < 1e-6,
        "{} vs {quick}",
        plan.longest_s
    );
    assert!((plan.longest_lower_bound_s - quick).abs() < 1e-6);
    // Drawn the other way round (each street from its last corner), the same ring is
    // patrolled against its drawing, at the quick times.
    let reversed: Vec<_> = features
        .iter()
        .map(|(line, _)| {
            (
                line.iter().rev().copied().collect::<Vec<_>>(),
                json!({"speed_kph": 9, "backward_speed_kph": 36}),
            )
        })
        .collect();
    let network = read_str(
        &crate::common::roads_geojson(&reversed),
        "ring-back.geojson".as_ref(),
    )
    .unwrap();
    let (graph, _) = car(&network);
    let required: Vec<(u32, bool)> = (0..4).map(|e| (e, true)).collect();
    let units = [PatrolUnit {
        id: "u".into(),
        depot: network.edges[0].to,
    }];
    let plan = plan_patrols(&network, &graph, &required, &[], &units).unwrap();
    assert!(
        plan.routes[0].steps.iter().all(|s| !s.1),
        "{:?}",
        plan.routes[0].steps
    );
    assert!(
        (plan.longest_s - quick).abs() < 1e-6,
        "{} vs {quick}",
        plan.longest_s
    );
    let req = Requirements {
        lines: vec![patrolmap::patrol::requirements::LineRequirement {
            line: 0,
            id: "ring".into(),
            matched: Ok(patrolmap::patrol::matching::MatchedLine {
                traversals: vec![],
                mean_dist_m: 0.0,
                max_dist_m: 0.0,
                drawn_length_m: 0.0,
                matched_length_m: 0.0,
            }),
            required,
        }],
        checkpoints: vec![],
    };
    let routes = [RouteToCheck {
        unit: "u",
        depot: units[0].depot,
        steps: &plan.routes[0].steps,
    }];
    let report = check_plan(&network, &graph, &req, &routes, quick + 1.0);
    assert!(report.is_ok(), "{:?}", report.findings);
    // A shift as long as the quick lap, not the slow one: the slow way round overruns it.
    let slow_steps: Vec<(u32, bool)> = (0..4).rev().map(|e| (e, true)).collect();
    let slow_way = [RouteToCheck {
        unit: "u",
        depot: units[0].depot,
        steps: &slow_steps,
    }];
    let report = check_plan(&network, &graph, &req, &slow_way, quick + 1.0);
    assert!(!report.is_ok(), "the slow lap fits a quick lap's shift");
}

/// Two parallel two-way streets drawn the same way, joined at both ends: the tour drives one
/// and comes back along the other (a loop), not back along the first: a two-way required edge
/// is served either way.
#[test]
fn two_way_lines_drawn_the_same_way_make_a_loop() {
    // a --- b
    // |     |
    // d --- c   (a->b and d->c drawn; rungs b-c and a-d)
    let (a, b, c, d) = ([0.0, 0.001], [0.004, 0.001], [0.004, 0.0], [0.0, 0.0]);
    let two_way = json!({"speed_kph": 36});
    let network = read_str(
        &crate::common::roads_geojson(&[
            (vec![a, b], two_way.clone()),
            (vec![d, c], two_way.clone()),
            (vec![b, c], two_way.clone()),
            (vec![a, d], two_way),
        ]),
        "ladder.geojson".as_ref(),
    )
    .unwrap();
    let graph = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
    let required = [(0, true), (1, true)];
    let depot = network.edges[0].from;
    let tour =
        patrolmap::patrol::postman::postman_tour(&network, &graph, &required, depot).unwrap();
    assert_closed_walk(&network, &graph, &tour.steps, depot);
    let lap: f64 = graph.edge_forward_time_s.iter().sum();
    assert_eq!(tour.steps.len(), 4, "{:?}", tour.steps);
    assert!(
        (tour.time_s - lap).abs() < 1e-9,
        "tour {} lap {lap}",
        tour.time_s
    );
    assert!((tour.time_s - brute_force_postman(&graph, &required, depot)).abs() < 1e-9);
}

use patrolmap::patrol::check::{check_plan, FindingKind, RouteToCheck};
use patrolmap::patrol::plan::{plan_patrols, CheckpointTask, PatrolUnit};

/// The demo city's lines and checkpoints, matched, with posts as depots.
struct Demo {
    network: RoadNetwork,
    graph: ProfileGraph,
    req: Requirements,
    checkpoints: Vec<CheckpointTask>,
    depots: Vec<u32>,
}

fn demo() -> Demo {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let network = patrolmap::network::load(
        &root.join("data/campo-grande.osm.pbf"),
        &patrolmap::network::NoProgress,
    )
    .unwrap();
    let (graph, index) = car(&network);
    let s = scenario::load(&root.join("data/demo-scenario.geojson")).unwrap();
    let req = Requirements::gather(
        &network,
        &graph,
        &index,
        &s,
        &MatchOptions::default(),
        250.0,
    );
    let checkpoints = CheckpointTask::placed(&req);
    let depots = s
        .units
        .iter()
        .filter(|u| u.kind == scenario::UnitKind::Post)
        .map(|u| network.edges[index.snap(u.position, 250.0).unwrap().edge as usize].from)
        .collect();
    Demo {
        network,
        graph,
        req,
        checkpoints,
        depots,
    }
}

#[test]
fn demo_plans_pass_the_independent_check() {
    let d = demo();
    for k in [1, 2, 4] {
        let units: Vec<PatrolUnit> = (0..k)
            .map(|i| PatrolUnit {
                id: format!("u{i}"),
                depot: d.depots[i % d.depots.len()],
            })
            .collect();
        let plan = plan_patrols(
            &d.network,
            &d.graph,
            &d.req.required_edges(),
            &d.checkpoints,
            &units,
        )
        .unwrap();
        let report = check_plan(
            &d.network,
            &d.graph,
            &d.req,
            &plan.to_check(&units),
            24.0 * 3600.0,
        );
        // Only what no route can reach may be missed, and it is reported as unreachable.
        for f in &report.findings {
            assert_eq!(f.kind, FindingKind::CheckpointMissed, "{f:?}");
            let edge: u32 = f
                .detail
                .rsplit("road edge ")
                .next()
                .unwrap()
                .trim_end_matches(')')
                .parse()
                .unwrap();
            assert!(
                plan.unreachable.iter().any(|r| r.0 == edge),
                "{f:?} is reachable"
            );
        }
        assert_eq!(report.lines_covered, report.lines_matched);
        assert!(plan.longest_s >= plan.longest_lower_bound_s - 1e-6);
        assert!(plan.total_s >= plan.total_lower_bound_s - 1e-6);
        // The plan's own total agrees with the check's (which may give a checkpoint's dwell to
        // another route that passes it first).
        let theirs: f64 = report.durations_s.iter().sum();
        assert!(
            (theirs - plan.total_s).abs() < 1e-6,
            "{theirs} vs {}",
            plan.total_s
        );
        // Timetables run forward in time.
        for r in &plan.routes {
            assert!(r.visits.windows(2).all(|w| w[0].eta_s <= w[1].eta_s));
        }
    }
}

#[test]
fn the_check_finds_what_is_wrong() {
    let d = demo();
    let units = vec![PatrolUnit {
        id: "u".into(),
        depot: d.depots[0],
    }];
    let plan = plan_patrols(
        &d.network,
        &d.graph,
        &d.req.required_edges(),
        &d.checkpoints,
        &units,
    )
    .unwrap();
    let steps = &plan.routes[0].steps;
    let check = |steps: &[(u32, bool)], shift_s: f64| {
        check_plan(
            &d.network,
            &d.graph,
            &d.req,
            &[RouteToCheck {
                unit: "u",
                depot: units[0].depot,
                steps,
            }],
            shift_s,
        )
    };
    let kinds = |r: &patrolmap::patrol::check::CheckReport| {
        r.findings
            .iter()
            .map(|f| f.kind.as_str())
            .collect::<HashSet<_>>()
    };
    // A step taken out: the route jumps.
    let mut cut = steps.clone();
    cut.remove(steps.len() / 2);
    assert!(kinds(&check(&cut, 1e9)).contains("jump"));
    // Stopped halfway: not closed, and lines or checkpoints missed.
    let half = &steps[..steps.len() / 2];
    let k = kinds(&check(half, 1e9));
    assert!(
        k.contains("not_closed") && (k.contains("line_missed") || k.contains("checkpoint_missed")),
        "{k:?}"
    );
    // Too short a shift.
    assert!(kinds(&check(steps, 600.0)).contains("over_shift"));
    // Driven backwards: some one-way is driven against its direction, or lines are travelled
    // the wrong way round.
    let backwards: Vec<(u32, bool)> = steps.iter().rev().map(|&(e, f)| (e, !f)).collect();
    let k = kinds(&check(&backwards, 1e9));
    assert!(k.contains("one_way") || k.contains("line_missed"), "{k:?}");
    // No route at all.
    let none = check_plan(&d.network, &d.graph, &d.req, &[], 1e9);
    assert_eq!(none.lines_covered, 0);
    assert!(
        none.findings
            .iter()
            .filter(|f| f.kind == FindingKind::LineMissed)
            .count()
            == none.lines_total
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, rng_seed: proptest::test_runner::RngSeed::Fixed(99), ..ProptestConfig::default() })]

    /// Random lines and checkpoints on a grid with one-way streets, K units from random
    /// depots: the plan passes the check, and stays above its lower bounds.
    #[test]
    fn grid_plans_pass_the_check(
        one_way in proptest::collection::vec(any::<bool>(), 60),
        picks in proptest::collection::vec((0usize..60, any::<bool>()), 1..12),
        stops in proptest::collection::vec((0usize..60, 0.0f64..1.0), 0..6),
        depots in proptest::collection::vec(0usize..25, 1..4),
    ) {
        // A 5 x 5 grid; some inner streets one-way in alternating directions by row and
        // column, the outer ring two-way, so that the whole stays strongly connected.
        let n = 5;
        let d = 100.0 / DEG_M;
        let mut features = Vec::new();
        for j in 0..n {
            for i in 0..n {
                let p = [i as f64 * d, j as f64 * d];
                let k = features.len();
                if i + 1 < n {
                    let east = j % 2 == 0;
                    let (a, b) = if east { (p, [p[0] + d, p[1]]) } else { ([p[0] + d, p[1]], p) };
                    let ring = j == 0 || j == n - 1;
                    features.push((vec![a, b], json!({"speed_kph": 36, "backward_speed_kph": ([36, 12, 60][k % 3]), "oneway": if one_way[k % 60] && !ring { "yes" } else { "no" }})));
                }
                let k = features.len();
                if j + 1 < n {
                    let north = i % 2 == 0;
                    let (a, b) = if north { (p, [p[0], p[1] + d]) } else { ([p[0], p[1] + d], p) };
                    let ring = i == 0 || i == n - 1;
                    features.push((vec![a, b], json!({"speed_kph": 36, "backward_speed_kph": ([36, 12, 60][k % 3]), "oneway": if one_way[k % 60] && !ring { "yes" } else { "no" }})));
                }
            }
        }
        let network = read_str(&crate::common::roads_geojson(&features), "g.geojson".as_ref()).unwrap();
        let (graph, index) = car(&network);
        let m = network.edges.len();
        let required: Vec<(u32, bool)> = picks
            .iter()
            .map(|&(e, f)| {
                let e = (e % m) as u32;
                let dir = graph.edge_direction[e as usize].unwrap();
                (e, if dir.allows_backward() { f } else { true })
            })
            .collect();
        let checkpoints: Vec<CheckpointTask> = stops
            .iter()
            .enumerate()
            .map(|(i, &(e, frac))| {
                let e = e % m;
                let p = patrolmap::network::geodesy::point_along(network.geometry(e), frac);
                CheckpointTask { checkpoint: i, place: index.snap(p, 50.0).unwrap(), dwell_s: 60.0 }
            })
            .collect();
        let units: Vec<PatrolUnit> = depots.iter().enumerate().map(|(i, &v)| PatrolUnit { id: format!("u{i}"), depot: (v % network.nodes.len()) as u32 }).collect();
        let plan = plan_patrols(&network, &graph, &required, &checkpoints, &units).unwrap();
        prop_assert!(plan.unreachable.is_empty(), "unreachable {:?} depots {:?} nodes {} edges {}", plan.unreachable, units, network.nodes.len(), network.edges.len());
        // The requirements as the check reads them: one "line" holding every required arc.
        let req = Requirements {
            lines: vec![patrolmap::patrol::requirements::LineRequirement {
                line: 0,
                id: "all".into(),
                matched: Ok(patrolmap::patrol::matching::MatchedLine { traversals: vec![], mean_dist_m: 0.0, max_dist_m: 0.0, drawn_length_m: 0.0, matched_length_m: 0.0 }),
                required: required.clone(),
            }],
            checkpoints: checkpoints
                .iter()
                .map(|c| patrolmap::patrol::requirements::CheckpointPlace { checkpoint: c.checkpoint, id: format!("c{}", c.checkpoint), dwell_s: c.dwell_s, place: Ok(c.place) })
                .collect(),
        };
        let routes: Vec<RouteToCheck> = plan.routes.iter().map(|r| RouteToCheck { unit: &units[r.unit].id, depot: units[r.unit].depot, steps: &r.steps }).collect();
        let report = check_plan(&network, &graph, &req, &routes, 1e9);
        prop_assert!(report.is_ok(), "{:?}", report.findings);
        prop_assert!(plan.longest_s >= plan.longest_lower_bound_s - 1e-6);
        prop_assert!(plan.total_s >= plan.total_lower_bound_s - 1e-6);
        prop_assert_eq!(plan.routes.len(), units.len());
    }
}

/// Units moving along planned routes: each is at its checkpoint while it dwells there, and
/// the coverage over the shift at every sample equals a standing assessment with the patrols
/// placed where they are at that moment (assessed independently, from their coordinates).
#[test]
fn shift_coverage_agrees_with_standing_assessments_at_its_samples() {
    use patrolmap::coverage::assess::{assess, Options, Roads};
    use patrolmap::coverage::shift::{sample_times, shift_coverage};
    use patrolmap::coverage::{Engine, ModeNetwork};
    use patrolmap::patrol::timeline::{home_of, moving_units, Timeline};
    let d = demo();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = scenario::load(&root.join("data/demo-scenario.geojson")).unwrap();
    let index = SnapIndex::build(&d.network, &d.graph);
    let units: Vec<PatrolUnit> = (0..2)
        .map(|i| PatrolUnit {
            id: format!("patrol-{i}"),
            depot: d.depots[i],
        })
        .collect();
    let plan = plan_patrols(
        &d.network,
        &d.graph,
        &d.req.required_edges(),
        &d.checkpoints,
        &units,
    )
    .unwrap();
    // At each checkpoint while the timetable says it dwells there.
    for r in &plan.routes {
        let home = home_of(&d.network, &d.graph, units[r.unit].depot).unwrap();
        let timeline = Timeline::of_route(r, &d.graph, home);
        assert!((timeline.end_s() - r.duration_s).abs() < 1e-6);
        assert_eq!(timeline.position_at(r.duration_s + 1.0), home);
        for v in &r.visits {
            let place = &d
                .checkpoints
                .iter()
                .find(|c| c.checkpoint == v.checkpoint)
                .unwrap()
                .place;
            for t in [v.eta_s + 1.0, v.eta_s + v.dwell_s - 1.0] {
                let (edge, fraction) = timeline.position_at(t);
                assert_eq!(edge, place.edge);
                assert!(
                    (fraction - place.fraction).abs() < 1e-9,
                    "{fraction} vs {}",
                    place.fraction
                );
            }
        }
    }

    let modes = [ModeNetwork {
        mode: TravelMode::Car,
        graph: &d.graph,
        index: &index,
    }];
    let roads = Roads {
        network: &d.network,
        modes: &modes,
        engine: Engine::Dijkstra,
    };
    let options = Options {
        gaps: false,
        ..Options::default()
    };
    let times = sample_times(plan.longest_s, 240.0);
    let moving = moving_units(
        &plan,
        &units,
        &d.network,
        &d.graph,
        TravelMode::Car,
        0,
        &times,
    );
    assert_eq!(moving.len(), 2);
    let shift = shift_coverage(
        roads,
        &s,
        &options.standard,
        250.0,
        &times,
        &moving,
        &|| {},
        &Stop::never(),
    )
    .unwrap();
    assert_eq!(shift.tiers.len(), options.standard.tiers.len());
    assert!(shift.distinct_samples <= times.len());
    let mut compared = 0;
    for (i, _) in times.iter().enumerate() {
        // The same moment, assessed as a standing deployment from coordinates.
        let mut standing = s.clone();
        for m in &moving {
            let (edge, fraction) = m.positions[i];
            let mut unit = m.unit.clone();
            unit.position = patrolmap::network::geodesy::point_along(
                d.network.geometry(edge as usize),
                fraction,
            );
            standing.units.push(unit);
        }
        let a = assess(roads, &standing, &options);
        // Compare where snapping the coordinates found the same places.
        let same_places = moving.iter().enumerate().all(|(j, m)| {
            let p = a
                .placements
                .iter()
                .find(|p| p.unit as usize == s.units.len() + j)
                .unwrap();
            p.edge == m.positions[i].0 && (p.fraction - m.positions[i].1).abs() < 1e-6
        });
        if !same_places {
            continue;
        }
        compared += 1;
        for (t, tier) in shift.tiers.iter().enumerate() {
            let theirs = a.share(a.tiers[t].covered_m);
            assert!(
                (tier.share_by_sample[i] - theirs).abs() < 1e-9,
                "sample {i}, tier {t}: {} vs {theirs}",
                tier.share_by_sample[i]
            );
        }
    }
    assert!(
        compared * 2 >= times.len(),
        "only {compared} of {} samples compared",
        times.len()
    );
    // The summaries agree with the samples and the per-edge shares.
    let total_m: f64 = (0..d.network.edges.len())
        .filter(|&e| d.graph.is_usable(e))
        .map(|e| d.network.edges[e].length_m)
        .sum();
    for tier in &shift.tiers {
        let mean = tier.share_by_sample.iter().sum::<f64>() / times.len() as f64;
        assert!((tier.mean_share - mean).abs() < 1e-9);
        assert!(tier.share_by_sample.iter().all(|&x| x >= tier.worst_share));
        let by_edge: f64 = tier
            .edge_share
            .iter()
            .zip(&d.network.edges)
            .map(|(&s, e)| s as f64 * e.length_m)
            .sum::<f64>()
            / total_m;
        assert!(
            (by_edge - tier.mean_share).abs() < 1e-4,
            "{by_edge} vs {}",
            tier.mean_share
        );
    }
    // The patrols add coverage: the mean over the shift is at least the standing units' alone.
    let alone = assess(roads, &s, &options);
    for (t, tier) in shift.tiers.iter().enumerate() {
        assert!(tier.mean_share >= alone.share(alone.tiers[t].covered_m) - 1e-9);
    }
}

/// A patrol line as a source: the worst case (reached from every spread position) never
/// exceeds what any one position reaches, which never exceeds the best case (reached from some
/// point of the line); the spread positions start and end where the line does.
#[test]
fn coverage_from_a_line_lies_between_its_worst_and_best_positions() {
    use patrolmap::coverage::line_source::{line_coverage, SPREAD};
    let d = demo();
    let graphs = [&d.graph];
    let budgets = [60.0, 180.0, 300.0];
    for line in &d.req.lines {
        let m = line.matched.as_ref().unwrap();
        let spread = m.spread(&d.network, SPREAD);
        assert_eq!(spread.len(), SPREAD);
        let first = m.traversals.first().unwrap();
        let last = m.traversals.last().unwrap();
        assert_eq!(
            spread[0],
            (
                first.edge,
                if first.forward { first.from } else { first.to }
            )
        );
        let end = (last.edge, if last.forward { last.to } else { last.from });
        assert!(spread[SPREAD - 1].0 == end.0 && (spread[SPREAD - 1].1 - end.1).abs() < 1e-6);
        let whole = line_coverage(&d.network, &graphs, 0, &m.points(), &spread, &budgets);
        for &p in &spread {
            let alone = line_coverage(&d.network, &graphs, 0, &[p], &[p], &budgets);
            for b in 0..budgets.len() {
                assert!((alone.best_m[b] - alone.worst_m[b]).abs() < 1e-6);
                assert!(
                    whole.worst_m[b] <= alone.best_m[b] + 1e-6,
                    "{} {b}",
                    line.id
                );
                assert!(alone.best_m[b] <= whole.best_m[b] + 1e-6, "{} {b}", line.id);
            }
        }
        assert!(
            whole.worst_m[0] < whole.best_m[0],
            "{}: a line spreads its reach",
            line.id
        );
    }
}

/// Issue 15: a plan whose request was given up (its stop already tripped) ends its searches
/// for shorter orders at once, and is still a whole plan: every line covered, as the
/// independent check counts, and no longer than a plan that searched (never shorter either).
#[test]
fn a_stopped_plan_is_still_whole() {
    use patrolmap::patrol::plan::plan_patrols_until;
    let d = demo();
    let units: Vec<PatrolUnit> = (0..2)
        .map(|i| PatrolUnit {
            id: format!("u{i}"),
            depot: d.depots[i % d.depots.len()],
        })
        .collect();
    let stop = Stop::never();
    stop.cancel();
    let required = d.req.required_edges();
    let hurried = plan_patrols_until(
        &d.network,
        &d.graph,
        &required,
        &d.checkpoints,
        &units,
        &stop,
    )
    .unwrap();
    let searched = plan_patrols(&d.network, &d.graph, &required, &d.checkpoints, &units).unwrap();
    for plan in [&hurried, &searched] {
        let report = check_plan(
            &d.network,
            &d.graph,
            &d.req,
            &plan.to_check(&units),
            24.0 * 3600.0,
        );
        assert_eq!(report.lines_covered, report.lines_matched);
    }
    assert!(searched.longest_s <= hurried.longest_s + 1e-6);
}

/// The min-max core's routes for the demo city, turned back into road, pass the independent
/// check for every number of units, within their lower bounds, and leave idle units empty.
#[test]
fn balanced_routes_pass_the_independent_check() {
    use patrolmap::patrol::balance::balanced_routes;
    use patrolmap::patrol::plan::{unreachable_from, work_arcs, Work};
    let d = demo();
    let (mut arcs, checkpoint_arc) = work_arcs(&d.graph, &d.req.required_edges(), &d.checkpoints);
    let cut = unreachable_from(&d.network, &d.graph, d.depots[0], &arcs);
    arcs.retain(|a| !cut.contains(a));
    let (checkpoints, checkpoint_arc): (Vec<CheckpointTask>, Vec<(u32, bool)>) = d
        .checkpoints
        .iter()
        .cloned()
        .zip(checkpoint_arc)
        .filter(|(_, a)| !cut.contains(a))
        .unzip();
    let work_s: f64 = arcs
        .iter()
        .map(|a| d.graph.quickest_time_s(a.0))
        .sum::<f64>()
        + checkpoints.iter().map(|c| c.dwell_s).sum::<f64>();
    for k in [1, 3, 40] {
        let units: Vec<PatrolUnit> = (0..k)
            .map(|i| PatrolUnit {
                id: format!("u{i}"),
                depot: d.depots[i % d.depots.len()],
            })
            .collect();
        let work = Work {
            arcs: &arcs,
            checkpoints: &checkpoints,
            checkpoint_arc: &checkpoint_arc,
            units: &units,
        };
        let routes = balanced_routes(
            &d.network,
            &d.graph,
            &work,
            &Stop::never(),
            std::time::Duration::from_secs(3600),
        )
        .expect("every task reachable");
        assert_eq!(routes.len(), k);
        let to_check: Vec<RouteToCheck> = routes
            .iter()
            .map(|r| RouteToCheck {
                unit: &units[r.unit].id,
                depot: units[r.unit].depot,
                steps: &r.steps,
            })
            .collect();
        let report = check_plan(&d.network, &d.graph, &d.req, &to_check, 24.0 * 3600.0);
        for f in &report.findings {
            // Only the cut-off checkpoints may be missed.
            assert_eq!(f.kind, FindingKind::CheckpointMissed, "{f:?}");
        }
        assert_eq!(report.checkpoints_visited, checkpoints.len());
        let total: f64 = routes.iter().map(|r| r.duration_s).sum();
        assert!(total >= work_s - 1e-6, "{total} < {work_s}");
        // Forty units for 22 checkpoints: some have nothing to do, and drive nothing.
        let busy = routes.iter().filter(|r| !r.steps.is_empty()).count();
        assert!(busy <= checkpoints.len() + d.req.lines.len());
        for r in routes.iter().filter(|r| r.steps.is_empty()) {
            assert_eq!((r.duration_s, r.visits.len()), (0.0, 0));
        }
    }
}

/// A line that cannot be matched is counted as missed ("2 of 3 lines", not "2 of 2"), with
/// its reason, and the plan still passes: nothing could have driven it.
#[test]
fn an_unmatched_line_counts_as_missed() {
    use patrolmap::patrol::plan::units_from_posts;
    use patrolmap::patrol::report::{PatrolReport, PlanMade};
    let (network, graph, index, mut s) = demo_city();
    let mut far = s.patrol_lines[0].clone();
    far.id = "line-far-away".into();
    far.line = vec![[10.0, 10.0], [10.01, 10.0]];
    s.patrol_lines.push(far);
    let req = Requirements::gather(
        &network,
        &graph,
        &index,
        &s,
        &MatchOptions::default(),
        250.0,
    );
    let units = units_from_posts(&s, 2, &network, &index, 250.0).unwrap();
    let checkpoints = CheckpointTask::placed(&req);
    let plan = plan_patrols(
        &network,
        &graph,
        &req.required_edges(),
        &checkpoints,
        &units,
    )
    .unwrap();
    let made = PlanMade {
        network: &network,
        graph: &graph,
        scenario: &s,
        requirements: &req,
        units: &units,
        plan: &plan,
        planned: true,
    };
    let report = PatrolReport::of(&made, 24.0 * 3600.0, None);
    let check = &report.check;
    assert_eq!(check.lines_total, s.patrol_lines.len());
    assert_eq!(check.lines_covered, s.patrol_lines.len() - 1);
    let missed: Vec<_> = check
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::LineMissed)
        .collect();
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].id.as_deref(), Some("line-far-away"));
    assert!(
        missed[0].detail.contains("not matched"),
        "{}",
        missed[0].detail
    );
    assert_eq!(report.lines_not_matched[0].id, "line-far-away");
    assert!(report.passes());
}

/// A line that cannot be matched says the true reason: on a private road a profile of
/// general traffic may not use, "the line runs on road edge … access=restricted", and a
/// police profile (the default) matches it; drawn against a one-way, "against the one-way".
#[test]
fn an_unmatched_line_says_the_true_reason() {
    use patrolmap::network::profile::AccessRule;
    let d = 200.0 / DEG_M;
    // West to east: a public street, a private compound road, a public street; and north of
    // them a one-way street running west to east.
    let features = vec![
        (vec![[0.0, 0.0], [d, 0.0]], json!({"speed_kph": 36})),
        (
            vec![[d, 0.0], [2.0 * d, 0.0]],
            json!({"speed_kph": 36, "access": "private"}),
        ),
        (
            vec![[2.0 * d, 0.0], [3.0 * d, 0.0]],
            json!({"speed_kph": 36}),
        ),
        (
            vec![[0.0, d], [3.0 * d, d]],
            json!({"speed_kph": 36, "oneway": "yes"}),
        ),
    ];
    let network = read_str(
        &crate::common::roads_geojson(&features),
        "r.geojson".as_ref(),
    )
    .unwrap();
    let scenario_with = |line: Vec<[f64; 2]>| {
        let text = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"kind": "patrol_line", "id": "l"},
            "geometry": {"type": "LineString", "coordinates": line}}]});
        scenario::read_geojson_str(&text.to_string()).unwrap()
    };
    let gather = |profile: &Profile, line: Vec<[f64; 2]>| {
        let graph = ProfileGraph::build(&network, profile);
        let index = SnapIndex::build(&network, &graph);
        let s = scenario_with(line);
        Requirements::gather(
            &network,
            &graph,
            &index,
            &s,
            &MatchOptions::default(),
            250.0,
        )
        .lines[0]
            .matched
            .clone()
    };
    let through = vec![[0.1 * d, 0.0], [2.9 * d, 0.0]];
    let mut public = Profile::default_for(TravelMode::Car);
    public.access = AccessRule::Public;
    let e = gather(&public, through.clone()).unwrap_err();
    assert_eq!(e.code(), "line_on_excluded_road", "{e}");
    assert!(e.to_string().contains("access=restricted"), "{e}");
    assert!(gather(&Profile::default_for(TravelMode::Car), through).is_ok());
    let against = vec![[2.9 * d, d], [0.1 * d, d]];
    let e = gather(&Profile::default_for(TravelMode::Car), against).unwrap_err();
    assert_eq!(e.code(), "line_against_one_way", "{e}");
}

/// Porto's private and destination roads are kept: the police profile drives them, the
/// public one leaves out exactly those.
#[test]
fn police_profiles_use_restricted_roads() {
    use patrolmap::network::{profile::AccessRule, Access};
    let porto = crate::common::shared_data("porto.osm.pbf");
    let network = patrolmap::network::load(&porto, &patrolmap::network::NoProgress).unwrap();
    assert!(network.report.ways_restricted > 0);
    let police = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
    let mut public_profile = Profile::default_for(TravelMode::Car);
    public_profile.access = AccessRule::Public;
    let public = ProfileGraph::build(&network, &public_profile);
    let mut restricted_used = 0;
    for (e, edge) in network.edges.iter().enumerate() {
        let (p, q) = (
            police.edge_direction[e].is_some(),
            public.edge_direction[e].is_some(),
        );
        match edge.access {
            Access::Public | Access::Destination => assert_eq!(p, q, "edge {e}"),
            Access::Restricted | Access::EmergencyOnly => {
                assert!(!q, "edge {e}");
                restricted_used += usize::from(p);
            }
        }
    }
    assert!(restricted_used > 0);
}

/// A line that turns back at the tip of a short dead end (a route's U-turn) is matched up to
/// the tip and back: evenly spaced samples straddled the 6 m stub and cut it off, so a plan
/// read back from its drawn line missed a line's last edge.
#[test]
fn a_line_turning_back_at_a_short_stub_reaches_its_tip() {
    let d = 1.0 / DEG_M;
    let features = vec![
        (vec![[0.0, 0.0], [200.0 * d, 0.0]], json!({"speed_kph": 36})),
        (
            vec![[200.0 * d, 0.0], [206.0 * d, 0.0]],
            json!({"speed_kph": 36}),
        ),
        (vec![[0.0, 0.0], [0.0, 200.0 * d]], json!({"speed_kph": 36})),
    ];
    let network = read_str(
        &crate::common::roads_geojson(&features),
        "r.geojson".as_ref(),
    )
    .unwrap();
    let (graph, index) = car(&network);
    // Out to the stub's tip and back, every vertex 2 m off the road.
    let line = vec![
        [10.0 * d, 2.0 * d],
        [206.0 * d, 2.0 * d],
        [10.0 * d, 2.0 * d],
    ];
    let m = match_line(&network, &graph, &index, &line, &MatchOptions::default()).unwrap();
    let stub: Vec<bool> = m
        .traversals
        .iter()
        .filter(|t| t.edge == 1)
        .map(|t| t.forward)
        .collect();
    assert_eq!(stub, vec![true, false], "{:?}", m.traversals);
}
