//! The post optimiser against brute force: on small random networks, the coverage matrix
//! agrees with the spec-exact covered intervals, and the selections keep their guarantees
//! against the exact optimum found by trying every subset.

use patrolmap::coverage::{reach, search_nearest_times, Engine, Placement};
use patrolmap::network::{road_geojson::read_str, Profile, ProfileGraph, RoadNetwork, TravelMode};
use patrolmap::optimize::greedy::{lazy_greedy, swap_improve, upper_bound};
use patrolmap::optimize::matrix::{reached_edges, CoverageMatrix};
use proptest::prelude::*;
use serde_json::json;

/// A 4 x 4 grid, 150 m spacing, some streets one-way, speeds varied.
fn grid(one_way: &[u8], speeds: &[f64]) -> RoadNetwork {
    let d = 150.0 / 111_195.0;
    let mut features = Vec::new();
    let mut k = 0;
    for j in 0..4 {
        for i in 0..4 {
            let p = [i as f64 * d, j as f64 * d];
            for q in [[p[0] + d, p[1]], [p[0], p[1] + d]] {
                if q[0] > 3.5 * d || q[1] > 3.5 * d {
                    continue;
                }
                let oneway = ["no", "yes", "-1", "no"][one_way[k % one_way.len()] as usize % 4];
                features.push((
                    vec![p, q],
                    json!({"oneway": oneway, "speed_kph": speeds[k % speeds.len()]}),
                ));
                k += 1;
            }
        }
    }
    read_str(
        &crate::common::roads_geojson(&features),
        "grid.geojson".as_ref(),
    )
    .unwrap()
}

/// The best coverage of any `k` of the candidates, by trying every subset.
fn brute_force(m: &CoverageMatrix, k: usize) -> f64 {
    let n = m.covers.len();
    let mut best = 0.0f64;
    for mask in 0u32..(1 << n) {
        if mask.count_ones() as usize <= k {
            let chosen: Vec<usize> = (0..n).filter(|&c| mask & (1 << c) != 0).collect();
            best = best.max(m.covered(&chosen));
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(61), ..ProptestConfig::default() })]

    #[test]
    fn the_optimiser_keeps_its_guarantees_against_brute_force(
        one_way in proptest::collection::vec(0u8..4, 24),
        speeds in proptest::collection::vec(15.0f64..60.0, 1..5),
        candidates in proptest::collection::vec(0u32..16, 2..9),
        existing in proptest::collection::vec(0u32..16, 0..3),
        budget_s in 20.0f64..90.0,
        k in 1usize..4,
    ) {
        let network = grid(&one_way, &speeds);
        let graph = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
        let m = CoverageMatrix::build(&network, &graph, &candidates, &existing, budget_s);

        // Each candidate's reached edges are exactly those the spec-exact coverage of a unit
        // standing at that node reaches whole.
        for &c in &candidates {
            let Some((edge, fraction)) = (0..network.edges.len() as u32)
                // On a two-way edge a unit at its end is at the node: it may leave either way.
                .filter(|&e| graph.edge_direction[e as usize] == Some(patrolmap::network::Direction::Both))
                .find_map(|e| {
                    let ed = &network.edges[e as usize];
                    if ed.from == c { Some((e, 0.0)) } else if ed.to == c { Some((e, 1.0)) } else { None }
                }) else { continue };
            let placement = Placement { unit: 0, mode_index: 0, edge, fraction, start_s: 0.0, dist_m: 0.0 };
            let labels = search_nearest_times(Engine::Dijkstra, &network, &[&graph], &[placement], budget_s);
            let intervals = reach::covered_intervals(&network, &graph, &reach::mode_reach(&[&graph], &labels), &[placement], budget_s, 1);
            let whole: Vec<u32> = (0..network.edges.len() as u32)
                .filter(|&e| {
                    let list = &intervals[e as usize];
                    network.edges[e as usize].length_m > 0.0
                        && list.len() == 1 && list[0].0 <= 1e-9 && list[0].1 >= 1.0 - 1e-9
                })
                .collect();
            let mine = reached_edges(&network, &graph, c, budget_s);
            prop_assert_eq!(mine, whole, "candidate {}", c);
        }

        // The merged matrix counts what the raw reached edges count.
        let raw = |nodes: &[u32]| -> std::collections::HashSet<u32> {
            nodes.iter().flat_map(|&v| reached_edges(&network, &graph, v, budget_s)).collect()
        };
        let before = raw(&existing);
        let length = |set: &std::collections::HashSet<u32>| -> f64 { set.iter().map(|&e| network.edges[e as usize].length_m).sum() };
        prop_assert!((m.existing_m - length(&before)).abs() < 1e-6);
        let all: Vec<usize> = (0..candidates.len()).collect();
        let union: std::collections::HashSet<u32> = raw(&candidates).union(&before).copied().collect();
        prop_assert!((m.covered(&all) + m.existing_m - length(&union)).abs() < 1e-6);

        // Greedy keeps (1 - 1/e) of the optimum; swaps never lose; bounds are true bounds.
        let optimum = brute_force(&m, k);
        let greedy = lazy_greedy(&m, k);
        prop_assert!(greedy.chosen.len() <= k);
        prop_assert!((greedy.covered - m.covered(&greedy.chosen)).abs() < 1e-6);
        prop_assert!(greedy.covered >= (1.0 - 1.0 / std::f64::consts::E) * optimum - 1e-6);
        prop_assert!(greedy.upper_bound >= optimum - 1e-6, "bound {} optimum {}", greedy.upper_bound, optimum);
        let swapped = swap_improve(&m, &greedy);
        prop_assert!((swapped.covered - m.covered(&swapped.chosen)).abs() < 1e-6);
        prop_assert!(swapped.covered >= greedy.covered - 1e-6);
        prop_assert!(swapped.covered <= optimum + 1e-6);
        prop_assert!(swapped.upper_bound >= optimum - 1e-6);
        // The bound holds from any set, not only from a good one.
        for start in [vec![], vec![0], vec![candidates.len() - 1]] {
            prop_assert!(upper_bound(&m, &start, k) >= optimum - 1e-6, "from {:?}", start);
        }
    }
}
