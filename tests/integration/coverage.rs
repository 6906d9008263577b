//! Coverage against a brute-force reference (spec §3): per-unit Dijkstra on the original graph
//! for node times (exact), and on a finely refined graph for covered metres (within the
//! refinement bound), on random small graphs with one-ways, parallel edges, self-loops,
//! islands, units on nodes and several units on one edge.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use patrolmap::coverage::cch::Cch;
use patrolmap::coverage::hierarchy::{Hierarchy, Sweep};
use patrolmap::coverage::{self, reach, Engine, ModeNetwork};
use patrolmap::network::time_of_day::{self, SpeedTable};
use patrolmap::network::{
    road_geojson::read_str, Profile, ProfileGraph, RoadNetwork, SnapIndex, TravelMode,
};
use patrolmap::scenario::{Unit, UnitKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::json;

use crate::common::roads_geojson;

/// Plain Dijkstra over `(from, to, time)` arcs from several `(node, time)` starts.
fn dijkstra(n: usize, arcs: &[(usize, usize, f64)], starts: &[(usize, f64)]) -> Vec<f64> {
    let mut adj = vec![Vec::new(); n];
    for &(a, b, t) in arcs {
        adj[a].push((b, t));
    }
    let mut dist = vec![f64::INFINITY; n];
    let mut heap = BinaryHeap::new();
    for &(s, t) in starts {
        if t < dist[s] {
            dist[s] = t;
            heap.push(Reverse((t.to_bits(), s)));
        }
    }
    while let Some(Reverse((bits, v))) = heap.pop() {
        let t = f64::from_bits(bits);
        if t > dist[v] {
            continue;
        }
        for &(w, dt) in &adj[v] {
            if t + dt < dist[w] {
                dist[w] = t + dt;
                heap.push(Reverse(((t + dt).to_bits(), w)));
            }
        }
    }
    dist
}

struct Case {
    net: RoadNetwork,
    graph: ProfileGraph,
    placements: Vec<coverage::Placement>,
    /// Speeds (forward, backward) in km/h that replace the file's, per edge (a time-of-day
    /// speed set); empty for none.
    speeds_kph: Vec<(f64, f64)>,
}

fn build_case(
    lines: &[(Vec<[f64; 2]>, serde_json::Value)],
    units: &[[f64; 2]],
    turnouts: &[f64],
) -> Case {
    let net = read_str(&roads_geojson(lines), "r.geojson".as_ref()).unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&net, &graph);
    let units: Vec<Unit> = units
        .iter()
        .enumerate()
        .map(|(i, &position)| Unit {
            id: format!("u{i}"),
            name: None,
            kind: UnitKind::Unit,
            class: None,
            mode: TravelMode::Car,
            turnout_s: turnouts[i % turnouts.len()],
            position,
            feature: i,
            duty: Default::default(),
        })
        .collect();
    let modes = [ModeNetwork {
        mode: TravelMode::Car,
        graph: &graph,
        index: &index,
    }];
    let (placements, unplaced) = coverage::place_units(&units, &modes, 1e9);
    assert!(unplaced.is_empty());
    Case {
        net,
        graph,
        placements,
        speeds_kph: Vec::new(),
    }
}

/// Node times by one Dijkstra per unit on the original graph, then the minimum.
fn brute_node_times(c: &Case) -> Vec<f64> {
    let per_unit = brute_times_per_unit(c);
    (0..c.net.nodes.len())
        .map(|v| per_unit.iter().map(|t| t[v]).fold(f64::INFINITY, f64::min))
        .collect()
}

/// One Dijkstra per unit on the original graph: `times[unit][node]`.
fn brute_times_per_unit(c: &Case) -> Vec<Vec<f64>> {
    let n = c.net.nodes.len();
    let mut arcs = Vec::new();
    for (e, edge) in c.net.edges.iter().enumerate() {
        let (d, tf, tb) = edge_times(c, e);
        if d.allows_forward() {
            arcs.push((edge.from as usize, edge.to as usize, tf));
        }
        if d.allows_backward() {
            arcs.push((edge.to as usize, edge.from as usize, tb));
        }
    }
    let mut all = Vec::new();
    for p in &c.placements {
        let edge = &c.net.edges[p.edge as usize];
        let (d, tf, tb) = edge_times(c, p.edge as usize);
        let mut starts = Vec::new();
        if d.allows_forward() {
            starts.push((edge.to as usize, p.start_s + (1.0 - p.fraction) * tf));
        }
        if d.allows_backward() {
            starts.push((edge.from as usize, p.start_s + p.fraction * tb));
        }
        all.push(dijkstra(n, &arcs, &starts));
    }
    all
}

/// Edge `e`'s directions and its times forward and backward, as spec §1 reads a road (each
/// direction at its own speed where the file gives one).
fn edge_times(c: &Case, e: usize) -> (patrolmap::network::Direction, f64, f64) {
    let edge = &c.net.edges[e];
    let d = c.graph.edge_direction[e].unwrap();
    // Spec §1's speed of the classes the cases use.
    let class_kph = match c.net.class_name(edge.class) {
        "residential" => 30.0,
        _ => 25.0,
    };
    let default = edge.length_m / (class_kph / 3.6);
    let time = |kph: Option<f64>| kph.map_or(default, |v| edge.length_m / (v / 3.6));
    if let Some(&(fwd, bwd)) = c.speeds_kph.get(e) {
        return (d, time(Some(fwd)), time(Some(bwd)));
    }
    (
        d,
        time(edge.tagged_speed_kph),
        time(edge.tagged_backward_speed_kph),
    )
}

/// Arrival of each unit at fraction `f` of edge `e` (spec §3), from per-unit node times.
fn brute_arrivals(c: &Case, e: usize, f: f64) -> Vec<f64> {
    let per_unit = brute_times_per_unit(c);
    let edge = &c.net.edges[e];
    let (d, tf, tb) = edge_times(c, e);
    let mut out: Vec<f64> = per_unit
        .iter()
        .zip(&c.placements)
        .map(|(times, p)| {
            let mut a = f64::INFINITY;
            if d.allows_forward() {
                a = a.min(times[edge.from as usize] + f * tf);
            }
            if d.allows_backward() {
                a = a.min(times[edge.to as usize] + (1.0 - f) * tb);
            }
            if p.edge as usize == e {
                let g = p.fraction.clamp(0.0, 1.0);
                if d.allows_forward() && f >= g {
                    a = a.min(p.start_s + (f - g) * tf);
                }
                if d.allows_backward() && f <= g {
                    a = a.min(p.start_s + (g - f) * tb);
                }
            }
            a
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// Covered metres per budget and per j distinct units, on a refined graph: every edge cut into
/// `pieces` (plus a cut at each unit), a Dijkstra per unit, a piece counted for a unit when its
/// midpoint is reached. Also returns the error bound of the refinement.
fn brute_coverage(c: &Case, budgets: &[f64], k: usize, pieces: usize) -> (Vec<Vec<f64>>, f64) {
    let mut nodes = c.net.nodes.len();
    let mut arcs = Vec::new();
    // Per edge: its cut fractions and the refined node at each.
    let mut cuts: Vec<Vec<(f64, usize)>> = Vec::new();
    let mut unit_node = vec![0; c.placements.len()];
    let mut bound = 0.0;
    for (e, edge) in c.net.edges.iter().enumerate() {
        let mut fs: Vec<f64> = (1..pieces).map(|i| i as f64 / pieces as f64).collect();
        let here: Vec<usize> = (0..c.placements.len())
            .filter(|&i| c.placements[i].edge == e as u32)
            .collect();
        fs.extend(
            here.iter()
                .map(|&i| c.placements[i].fraction.clamp(0.0, 1.0)),
        );
        fs.sort_by(f64::total_cmp);
        let mut list = vec![(0.0, edge.from as usize)];
        for f in fs {
            list.push((f, nodes));
            nodes += 1;
        }
        list.push((1.0, edge.to as usize));
        for &i in &here {
            let f = c.placements[i].fraction.clamp(0.0, 1.0);
            unit_node[i] = list[1..list.len() - 1].iter().find(|x| x.0 == f).unwrap().1;
        }
        let (d, tf, tb) = edge_times(c, e);
        for w in list.windows(2) {
            let share = w[1].0 - w[0].0;
            if d.allows_forward() {
                arcs.push((w[0].1, w[1].1, share * tf));
            }
            if d.allows_backward() {
                arcs.push((w[1].1, w[0].1, share * tb));
            }
        }
        // Each unit's reached set changes at most 4 times inside an edge; a piece holding a
        // change may be misjudged.
        bound +=
            4.0 * c.placements.len() as f64 * edge.length_m / pieces as f64 * budgets.len() as f64;
        cuts.push(list);
    }
    let times: Vec<Vec<f64>> = c
        .placements
        .iter()
        .enumerate()
        .map(|(i, p)| dijkstra(nodes, &arcs, &[(unit_node[i], p.start_s)]))
        .collect();
    let mut covered = vec![vec![0.0; k]; budgets.len()];
    for (e, edge) in c.net.edges.iter().enumerate() {
        let (d, tf, tb) = edge_times(c, e);
        for w in cuts[e].windows(2) {
            let (half_f, half_b) = ((w[1].0 - w[0].0) * tf / 2.0, (w[1].0 - w[0].0) * tb / 2.0);
            for (b, &budget) in budgets.iter().enumerate() {
                let count = times
                    .iter()
                    .filter(|tu| {
                        let via_a = if d.allows_forward() {
                            tu[w[0].1] + half_f
                        } else {
                            f64::INFINITY
                        };
                        let via_b = if d.allows_backward() {
                            tu[w[1].1] + half_b
                        } else {
                            f64::INFINITY
                        };
                        via_a.min(via_b) <= budget
                    })
                    .count();
                for level in covered[b].iter_mut().take(count) {
                    *level += (w[1].0 - w[0].0) * edge.length_m;
                }
            }
        }
    }
    (covered, bound)
}

fn engine(c: &Case, budgets: &[f64], k: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let cutoff = budgets.iter().fold(0.0f64, |a, &b| a.max(b));
    let labels = coverage::search(&c.net, &[&c.graph], &c.placements, k, cutoff);
    let modes = [reach::ModeReach {
        graph: &c.graph,
        labels: &labels[0],
    }];
    let covered = reach::covered_lengths(&c.net, &c.graph, &modes, &c.placements, budgets, k);
    let nearest = coverage::search(&c.net, &[&c.graph], &c.placements, 1, cutoff);
    (
        covered,
        coverage::nearest_node_times(&nearest, c.net.nodes.len()),
    )
}

/// A random small road network around (0, 0): nodes on a jittered grid, edges between random
/// pairs (parallel edges and self-loops included) with random one-ways and speeds, and a
/// separate two-edge island.
/// Checks k-nearest `labels` of `c`'s units (searched within the largest of `budgets`)
/// against the per-unit brute force: the k best times at every node, each label its unit's
/// own time, distinct units, and the covered metres of 1..k units at each budget.
fn check_labels_and_cover(
    c: &Case,
    labels: &patrolmap::coverage::search::Labels,
    budgets: &[f64],
    k: usize,
) -> Result<(), TestCaseError> {
    let cutoff = budgets.iter().fold(0.0f64, |a, &b| a.max(b));
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.max(1.0);
    let per_unit = brute_times_per_unit(c);
    for v in 0..c.net.nodes.len() {
        let mut want: Vec<f64> = per_unit.iter().map(|t| t[v]).collect();
        want.sort_by(f64::total_cmp);
        let got: Vec<(f64, u32)> = labels.at(v as u32).collect();
        for j in 0..k {
            match got.get(j) {
                Some(&(t, u)) => {
                    prop_assert!(
                        close(t, want[j]),
                        "node {} label {}: {} vs {}",
                        v,
                        j,
                        t,
                        want[j]
                    );
                    prop_assert!(
                        close(t, per_unit[u as usize][v]),
                        "node {}: unit {} has its own time",
                        v,
                        u
                    );
                    prop_assert!(
                        got[..j].iter().all(|g| g.1 != u),
                        "node {}: units are distinct",
                        v
                    );
                }
                None => prop_assert!(
                    want.get(j).is_none_or(|&w| w > cutoff - 1e-9),
                    "node {} misses label {}",
                    v,
                    j
                ),
            }
        }
    }
    let modes = [reach::ModeReach {
        graph: &c.graph,
        labels,
    }];
    let covered = reach::covered_lengths(&c.net, &c.graph, &modes, &c.placements, budgets, k);
    let (brute, bound) = brute_coverage(c, budgets, k, 400);
    for b in 0..budgets.len() {
        for j in 0..k {
            prop_assert!(
                (covered[b][j] - brute[b][j]).abs() <= bound + 1e-6,
                "budget {} k {}",
                budgets[b],
                j + 1
            );
        }
    }
    Ok(())
}

fn network_strategy() -> impl Strategy<Value = Vec<(Vec<[f64; 2]>, serde_json::Value)>> {
    let edge = (
        0usize..6,
        0usize..6,
        0usize..4,
        prop::option::of(10.0f64..80.0),
        prop::bool::ANY,
        // A speed of its own the other way (`maxspeed:backward`), on some edges.
        prop::option::weighted(0.3, 5.0f64..80.0),
    );
    prop::collection::vec(edge, 3..12).prop_map(|edges| {
        let node = |i: usize| {
            [
                (i % 3) as f64 * 0.004 + (i as f64) * 1e-4,
                (i / 3) as f64 * 0.004,
            ]
        };
        let mut lines: Vec<(Vec<[f64; 2]>, serde_json::Value)> = edges
            .into_iter()
            .map(|(a, b, oneway, speed, bend, back)| {
                let (pa, pb) = (node(a), node(b));
                let mut line = vec![pa];
                if bend || a == b {
                    line.push([
                        (pa[0] + pb[0]) / 2.0 + 0.001,
                        (pa[1] + pb[1]) / 2.0 + 0.0013,
                    ]);
                }
                line.push(pb);
                let oneway = [json!("yes"), json!("-1"), json!(null), json!(null)][oneway].clone();
                let mut props = json!({"oneway": oneway, "highway": "residential"});
                if let Some(s) = speed {
                    props["speed_kph"] = json!(s);
                }
                if let Some(s) = back {
                    props["backward_speed_kph"] = json!(s);
                }
                (line, props)
            })
            .collect();
        lines.push((vec![[0.05, 0.05], [0.051, 0.05]], json!({})));
        lines.push((
            vec![[0.051, 0.05], [0.052, 0.051]],
            json!({"oneway": "yes"}),
        ));
        lines
    })
}

/// Unit positions for the strategies' `(grid node, offset, on the node)` triples: on a grid
/// node of [`network_strategy`], or a little off a road near it.
fn unit_positions(units: &[(usize, f64, bool)]) -> Vec<[f64; 2]> {
    units
        .iter()
        .map(|&(i, f, on_node)| {
            let p = [
                (i % 3) as f64 * 0.004 + (i as f64) * 1e-4,
                (i / 3) as f64 * 0.004,
            ];
            if on_node {
                p
            } else {
                [p[0] + f * 0.004, p[1] + 0.0005]
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(Config { cases: 64, rng_seed: RngSeed::Fixed(135), failure_persistence: None, ..Config::default() })]

    #[test]
    fn coverage_matches_brute_force(
        lines in network_strategy(),
        // Units near the roads, some exactly on grid nodes.
        units in prop::collection::vec((0usize..6, 0.0f64..1.0, prop::bool::ANY), 1..5),
        turnouts in prop::collection::vec(prop::sample::select(vec![0.0, 0.0, 15.0]), 1..3),
        budgets in prop::collection::vec(5.0f64..150.0, 1..4),
        k in 1usize..4,
        point in (0usize..64, 0.0f64..=1.0),
    ) {
        let positions = unit_positions(&units);
        let case = build_case(&lines, &positions, &turnouts);
        let (covered, node_times) = engine(&case, &budgets, k);

        let brute_times = brute_node_times(&case);
        let cutoff = budgets.iter().fold(0.0f64, |a, &b| a.max(b));
        for (v, (&got, &want)) in node_times.iter().zip(&brute_times).enumerate() {
            if want <= cutoff {
                prop_assert_eq!(got, want, "node {}", v);
            } else {
                prop_assert!(got.is_infinite(), "node {} beyond the cutoff", v);
            }
        }

        // The k earliest distinct units at a point: from the k-label search, as from one
        // search per unit.
        let (e, f) = (point.0 % case.net.edges.len(), point.1);
        let labels = coverage::search(&case.net, &[&case.graph], &case.placements, k, cutoff);
        let got = reach::arrivals_at(&case.net, &reach::mode_reach(&[&case.graph], &labels), &case.placements, e as u32, f, k);
        let want = brute_arrivals(&case, e, f);
        for j in 0..k {
            match (got.get(j), want.get(j)) {
                (Some(g), Some(&w)) if w <= cutoff => prop_assert!((g.1 - w).abs() <= 1e-9 * w.max(1.0), "arrival {}: {} vs {}", j, g.1, w),
                (Some(g), Some(&w)) => prop_assert!(g.1 >= w - 1e-9 * w.max(1.0), "arrival {} too early", j),
                (None, Some(&w)) => prop_assert!(w > cutoff, "arrival {} missing ({} s)", j, w),
                _ => {}
            }
        }

        // The overlay's pieces of tier ≤ b add up to the covered length at budget b.
        let mut sorted = budgets.clone();
        sorted.sort_by(f64::total_cmp);
        let nearest = coverage::search_nearest_times(coverage::Engine::Dijkstra, &case.net, &[&case.graph], &case.placements, cutoff);
        let nearest_modes = reach::mode_reach(&[&case.graph], &nearest);
        let pieces = patrolmap::coverage::overlay::road_pieces(&case.net, &case.graph, &nearest_modes, &case.placements, &sorted);
        let covered_sorted = reach::covered_lengths(&case.net, &case.graph, &nearest_modes, &case.placements, &sorted, 1);
        for (b, &budget) in sorted.iter().enumerate() {
            let m: f64 = pieces.iter().filter(|p| p.tier <= b).map(|p| (p.to - p.from) * case.net.edges[p.edge as usize].length_m).sum();
            prop_assert!((m - covered_sorted[b][0]).abs() < 1e-6, "overlay {} vs covered {} at {}", m, covered_sorted[b][0], budget);
        }
        for p in &pieces {
            prop_assert!(p.from < p.to && p.min_time_s <= p.max_time_s + 1e-9 && p.max_time_s <= sorted[p.tier] + 1e-9);
            prop_assert!(p.tier == 0 || p.min_time_s >= sorted[p.tier - 1] - 1e-9);
        }

        // Gaps are exactly the rest of the road.
        let total: f64 = case.net.edges.iter().map(|e| e.length_m).sum();
        let gaps = patrolmap::coverage::gaps::find_gaps(
            &case.net, &case.graph, &reach::mode_reach(&[&case.graph], &labels), &case.placements, budgets[0], k, &[], 0.0,
        );
        let gap_m: f64 = gaps.iter().map(|g| g.length_m).sum();
        prop_assert!((gap_m + covered[0][k - 1] - total).abs() < 1e-6, "gaps {} + covered {} != {}", gap_m, covered[0][k - 1], total);

        let (brute, bound) = brute_coverage(&case, &budgets, k, 400);
        for b in 0..budgets.len() {
            for j in 0..k {
                prop_assert!(
                    (covered[b][j] - brute[b][j]).abs() <= bound + 1e-6,
                    "budget {} k {}: engine {} brute {} bound {}", budgets[b], j + 1, covered[b][j], brute[b][j], bound
                );
                if j > 0 {
                    prop_assert!(covered[b][j] <= covered[b][j - 1] + 1e-9);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(Config { cases: 64, rng_seed: RngSeed::Fixed(246), failure_persistence: None, ..Config::default() })]

    /// PHAST on a prepared hierarchy, by its full sweeps and by the restricted ones, gives
    /// the per-unit brute force's times (up to the rounding of shortcut sums), the k best
    /// distinct units at every node, and the covered metres.
    #[test]
    fn phast_matches_brute_force(
        lines in network_strategy(),
        units in prop::collection::vec((0usize..6, 0.0f64..1.0, prop::bool::ANY), 1..6),
        turnouts in prop::collection::vec(prop::sample::select(vec![0.0, 0.0, 15.0]), 1..3),
        budgets in prop::collection::vec(5.0f64..150.0, 1..4),
        k in 1usize..4,
    ) {
        let positions = unit_positions(&units);
        let case = build_case(&lines, &positions, &turnouts);
        let cutoff = budgets.iter().fold(0.0f64, |a, &b| a.max(b));
        let hierarchy = Hierarchy::prepare(&case.graph);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.max(1.0);
        let mut sources = Vec::new();
        for p in &case.placements {
            coverage::sources_of(&case.net, &case.graph, p, &mut sources);
        }
        for sweep in [Sweep::Full, Sweep::Restricted] {
        let nearest = [hierarchy.nearest_times_by(sweep, &sources, cutoff)];
        for (v, &want) in brute_node_times(&case).iter().enumerate() {
            let got = nearest[0].nearest_s(v as u32);
            if got.is_finite() || want <= cutoff - 1e-9 {
                prop_assert!(close(got, want), "node {}: {} vs {}", v, got, want);
            }
        }

        let labels = hierarchy.k_nearest_by(sweep, &sources, k, cutoff);
        check_labels_and_cover(&case, &labels, &budgets, k).map_err(|e| TestCaseError::fail(format!("{sweep:?}: {e}")))?;
        }
    }
}

proptest! {
    #![proptest_config(Config { cases: 64, rng_seed: RngSeed::Fixed(135), failure_persistence: None, ..Config::default() })]

    /// One CCH order, customised for the file's speeds and then for a random speed set per
    /// edge and direction (a time of day), gives the per-unit brute force's times on each
    /// set, the k best distinct units at every node and the covered metres.
    #[test]
    fn cch_customised_for_any_speeds_matches_brute_force(
        lines in network_strategy(),
        units in prop::collection::vec((0usize..6, 0.0f64..1.0, prop::bool::ANY), 1..6),
        speeds in prop::collection::vec((3.0f64..90.0, 3.0f64..90.0), 12),
        budgets in prop::collection::vec(5.0f64..150.0, 1..4),
        k in 1usize..4,
    ) {
        let positions = unit_positions(&units);
        let free = build_case(&lines, &positions, &[0.0, 12.0]);
        let cch = Cch::prepare(&free.graph, &free.net.nodes);
        let m = free.net.edges.len();
        let speeds_kph: Vec<(f64, f64)> = (0..m).map(|e| speeds[e % speeds.len()]).collect();
        let graph = free.graph.with_speeds_kph(&free.net, |e, forward| {
            let s = speeds_kph[e as usize];
            Some(if forward { s.0 } else { s.1 })
        });
        let rush = Case { net: free.net.clone(), graph, placements: free.placements.clone(), speeds_kph };
        let cutoff = budgets.iter().fold(0.0f64, |a, &b| a.max(b));
        for case in [&free, &rush] {
            let hierarchy = cch.customise(&case.graph);
            let mut sources = Vec::new();
            for p in &case.placements {
                coverage::sources_of(&case.net, &case.graph, p, &mut sources);
            }
            let labels = hierarchy.k_nearest_by(Sweep::Auto, &sources, k, cutoff);
            check_labels_and_cover(case, &labels, &budgets, k)?;
        }
    }
}

/// The bundled demo city's roads, car graph and snap index.
fn demo_city_car() -> (RoadNetwork, ProfileGraph, SnapIndex) {
    use patrolmap::network::{self, NoProgress};
    let net = network::load(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/campo-grande.osm.pbf").as_ref(),
        &NoProgress,
    )
    .unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&net, &graph);
    (net, graph, index)
}

/// On the demo city, one CCH customised for free flow and for 08:00 of a speed file (every
/// way and direction at its own rush-hour speed) gives a Dijkstra's times on that
/// hour's graph at every node, and the same covered metres.
#[test]
fn cch_equals_dijkstra_on_the_demo_city_at_rush_hour() {
    use patrolmap::scenario::generate::random_scenario;
    let (net, free, index) = demo_city_car();
    let cch = Cch::prepare(&free, &net.nodes);
    // A speed file as a traffic feed writes it: every way, each direction, from 07:00 at
    // 12-40 km/h (a fixed hash of the way), from 10:00 at 60 km/h.
    let mut csv = String::from("osm_way_id,direction,time,speed_kph\n");
    let mut ways: Vec<i64> = net.edges.iter().map(|e| e.osm_way_id).collect();
    ways.sort_unstable();
    ways.dedup();
    for w in &ways {
        for (d, salt) in [("forward", 1u64), ("backward", 2)] {
            let h = (*w as u64 * 4 + salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            csv += &format!("{w},{d},07:00,{}\n{w},{d},10:00,60\n", 12 + h % 29);
        }
    }
    let table = SpeedTable::parse(&csv, "rush.csv").unwrap();
    assert_eq!(table.matched_edge_count(&net), net.edges.len());
    let eight = time_of_day::parse_time("08:00").unwrap();
    let rush = free.with_speeds_kph(&net, |e, forward| {
        table.edge_speed_kph(&net, e, forward, eight)
    });
    assert!((0..net.edges.len())
        .any(|e| free.is_usable(e) && rush.edge_forward_time_s[e] > free.edge_forward_time_s[e]));
    let modes = [ModeNetwork {
        mode: TravelMode::Car,
        graph: &free,
        index: &index,
    }];
    let (placed, _) =
        coverage::place_units(&random_scenario(&net, &free, 40, 0, 8).units, &modes, 1e9);
    let mut slower = 0;
    for graph in [&free, &rush] {
        let hierarchy = cch.customise(graph);
        let mut sources = Vec::new();
        for p in &placed {
            coverage::sources_of(&net, graph, p, &mut sources);
        }
        for k in 1..=2 {
            let d = coverage::search(&net, &[graph], &placed, k, 300.0).remove(0);
            let p = hierarchy.k_nearest_by(Sweep::Auto, &sources, k, 300.0);
            for (v, (a, b)) in d.time_s.iter().zip(&p.time_s).enumerate() {
                assert!(
                    a == b || (a - b).abs() <= 1e-9 * a.max(1.0),
                    "k {k} node {v}: {a} vs {b}"
                );
            }
            let cover = |labels: &patrolmap::coverage::search::Labels| {
                let m = [reach::ModeReach { graph, labels }];
                reach::covered_lengths(&net, graph, &m, &placed, &[60.0, 180.0, 300.0], k)
            };
            let (x, y) = (cover(&d), cover(&p));
            for (a, b) in x.iter().flatten().zip(y.iter().flatten()) {
                assert!((a - b).abs() < 1e-6, "k {k}: {a} vs {b}");
            }
            if std::ptr::eq(graph, &rush) {
                slower = (x[2][k - 1]
                    < cover(&coverage::search(&net, &[&free], &placed, k, 300.0).remove(0))[2]
                        [k - 1]) as usize;
            }
        }
    }
    assert_eq!(slower, 1, "rush hour covers less than free flow");
}

/// On a real city PHAST and Dijkstra give the same labels, up to rounding, and the same
/// covered metres.
#[test]
fn phast_equals_dijkstra_on_the_demo_city() {
    use patrolmap::scenario::generate::random_scenario;
    let (net, graph, index) = demo_city_car();
    let hierarchy = Hierarchy::prepare(&graph);
    assert!(hierarchy.shortcut_count() > 0);
    let modes = [ModeNetwork {
        mode: TravelMode::Car,
        graph: &graph,
        index: &index,
    }];
    let (placed, _) =
        coverage::place_units(&random_scenario(&net, &graph, 40, 0, 8).units, &modes, 1e9);
    let hierarchies = [std::sync::Arc::new(hierarchy)];
    let engine = Engine::Phast(&hierarchies);
    let mut sources = Vec::new();
    for p in &placed {
        coverage::sources_of(&net, &graph, p, &mut sources);
    }
    for (k, sweep) in (1..=3).flat_map(|k| {
        [
            (k, None),
            (k, Some(Sweep::Full)),
            (k, Some(Sweep::Restricted)),
        ]
    }) {
        let d = coverage::search(&net, &[&graph], &placed, k, 300.0);
        let p = match sweep {
            None => coverage::search_with(engine, &net, &[&graph], &placed, k, 300.0),
            Some(sweep) => vec![hierarchies[0].k_nearest_by(sweep, &sources, k, 300.0)],
        };
        if k == 1 {
            // Nearest times alone, each sweep.
            for sweep in [Sweep::Full, Sweep::Restricted] {
                let t = hierarchies[0].nearest_times_by(sweep, &sources, 300.0);
                for (a, b) in d[0].time_s.iter().zip(&t.time_s) {
                    assert!(
                        a == b || (a - b).abs() <= 1e-9 * a.max(1.0),
                        "{sweep:?}: {a} vs {b}"
                    );
                }
            }
        }
        let mut reached = 0;
        for (v, (a, b)) in d[0].time_s.iter().zip(&p[0].time_s).enumerate() {
            assert!(
                a == b || (a - b).abs() <= 1e-9 * a.max(1.0),
                "{sweep:?} node {v}: {a} vs {b}"
            );
            reached += a.is_finite() as usize;
        }
        assert!(reached > net.nodes.len() / 10, "k {k}: {reached} labels");
        let cover = |labels: &patrolmap::coverage::search::Labels| {
            let m = [reach::ModeReach {
                graph: &graph,
                labels,
            }];
            reach::covered_lengths(&net, &graph, &m, &placed, &[60.0, 180.0, 300.0], k)
        };
        for (x, y) in cover(&d[0])
            .iter()
            .flatten()
            .zip(cover(&p[0]).iter().flatten())
        {
            assert!((x - y).abs() < 1e-6, "k {k}: {x} vs {y}");
        }
    }
}

#[test]
fn exact_intervals_on_one_edge() {
    // One two-way edge of 1 km at 36 km/h (100 s), a unit at a quarter, another at the far end.
    let line = vec![[0.0, 0.0], [0.0, 0.008993216]];
    let case = build_case(
        &[(line, json!({"speed_kph": 36}))],
        &[[0.0, 0.002248304], [0.0, 0.008993216]],
        &[0.0],
    );
    let length = case.net.edges[0].length_m;
    let f = case.placements[0].fraction;
    assert!((f - 0.25).abs() < 1e-6);
    let t = case.graph.edge_forward_time_s[0];
    assert!((t - 100.0).abs() < 1e-3);
    let (covered, _) = engine(&case, &[10.0, 30.0], 2);
    // 10 s is a tenth of the edge: unit 0 covers [f - 0.1, f + 0.1], unit 1 [0.9, 1].
    assert!(
        (covered[0][0] - 3.0 * (10.0 / t) * length).abs() < 1e-6,
        "{}",
        covered[0][0]
    );
    assert_eq!(covered[0][1], 0.0);
    // 30 s: unit 0 covers [0, f + 0.3], unit 1 [0.7, 1]; they overlap nowhere.
    assert!((covered[1][0] - (f + 2.0 * 30.0 / t) * length).abs() < 1e-6);
    assert_eq!(covered[1][1], 0.0);
    // 60 s: unit 0 covers [0, f + 0.6], unit 1 [0.4, 1]: both on [0.4, 0.85].
    let (covered, _) = engine(&case, &[60.0], 2);
    assert!((covered[0][0] - length).abs() < 1e-6);
    assert!((covered[0][1] - (f + 60.0 / t - (1.0 - 60.0 / t)) * length).abs() < 1e-6);
}

/// A unit that reaches an edge from both ends, with a stretch in the middle left over: the
/// reached part is the two stretches, not the whole edge (k ≥ 2 takes the two-ended path).
#[test]
fn an_edge_reached_from_both_ends_keeps_its_middle_gap() {
    // A triangle: fast roads from A to U and to V, a slow road from U to V; the unit at A.
    let (a, u, v) = ([0.0, 0.0], [0.0, 0.001], [0.001, 0.0]);
    let case = build_case(
        &[
            (vec![a, u], json!({"speed_kph": 36})),
            (vec![a, v], json!({"speed_kph": 36})),
            (vec![u, v], json!({"speed_kph": 5})),
        ],
        &[a],
        &[0.0],
    );
    let (t_u, t_v, t_uv) = (
        case.graph.edge_forward_time_s[0],
        case.graph.edge_forward_time_s[1],
        case.graph.edge_forward_time_s[2],
    );
    // From U the unit reaches a fraction (B - t_u) / t_uv of the slow road, from V
    // (B - t_v) / t_uv: 0.95 of it in all, a gap of 0.05 in the middle.
    let budget = (0.95 * t_uv + t_u + t_v) / 2.0;
    assert!(budget > t_u.max(t_v));
    let (covered, _) = engine(&case, &[budget], 2);
    let l = |e: usize| case.net.edges[e].length_m;
    let want = l(0) + l(1) + 0.95 * l(2);
    assert!(
        (covered[0][0] - want).abs() < 1e-6,
        "{} vs {want}",
        covered[0][0]
    );
    assert_eq!(covered[0][1], 0.0, "one unit never counts twice");
}

#[test]
fn one_way_edges_are_covered_only_downstream() {
    let line = vec![[0.0, 0.0], [0.0, 0.008993216]];
    let case = build_case(
        &[(line, json!({"speed_kph": 36, "oneway": "yes"}))],
        &[[0.0, 0.004496608]],
        &[0.0],
    );
    let (covered, times) = engine(&case, &[20.0], 1);
    let length = case.net.edges[0].length_m;
    let t = case.graph.edge_forward_time_s[0];
    assert!(
        (covered[0][0] - 20.0 / t * length).abs() < 1e-6,
        "{covered:?}"
    );
    assert!(
        times[case.net.edges[0].from as usize].is_infinite(),
        "the first node is upstream"
    );
}

/// The nearest-times search (split over two threads for many units) gives the same times,
/// to the bit, as the single search that records owners, and the same covered metres.
#[test]
fn split_nearest_search_equals_the_single_search_on_columbus() {
    use patrolmap::network::{self, NoProgress};
    use patrolmap::scenario::generate::random_scenario;
    let net = network::load(&crate::common::shared_data("columbus.osm.pbf"), &NoProgress).unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&net, &graph);
    let scenario = random_scenario(&net, &graph, 60, 0, 21);
    let modes = [ModeNetwork {
        mode: TravelMode::Car,
        graph: &graph,
        index: &index,
    }];
    let (placed, _) = coverage::place_units(&scenario.units, &modes, 1e9);
    assert_eq!(placed.len(), 60);
    let single = coverage::search(&net, &[&graph], &placed, 1, 300.0);
    let split =
        coverage::search_nearest_times(coverage::Engine::Dijkstra, &net, &[&graph], &placed, 300.0);
    assert_eq!(single[0].time_s, split[0].time_s);
    assert!(single[0].time_s.iter().filter(|t| t.is_finite()).count() > net.nodes.len() / 4);
    let cover = |labels: &patrolmap::coverage::search::Labels| {
        let m = [reach::ModeReach {
            graph: &graph,
            labels,
        }];
        reach::covered_lengths(&net, &graph, &m, &placed, &[60.0, 180.0, 300.0], 1)
    };
    assert_eq!(cover(&single[0]), cover(&split[0]));
}

#[test]
fn gaps_merge_through_nodes_and_rank_by_incidents() {
    // A chain of three edges and, apart, a fourth; one unit at the far end of the chain.
    let lines = vec![
        (vec![[0.0, 0.0], [0.0, 0.001]], json!({})),
        (vec![[0.0, 0.001], [0.0, 0.002]], json!({})),
        (vec![[0.0, 0.002], [0.0, 0.01]], json!({})),
        (vec![[0.1, 0.0], [0.1, 0.001]], json!({})),
    ];
    let case = build_case(&lines, &[[0.0, 0.01]], &[0.0]);
    let labels = coverage::search(&case.net, &[&case.graph], &case.placements, 1, 60.0);
    let modes = reach::mode_reach(&[&case.graph], &labels);
    let gaps = patrolmap::coverage::gaps::find_gaps(
        &case.net,
        &case.graph,
        &modes,
        &case.placements,
        60.0,
        1,
        &[],
        0.0,
    );
    assert_eq!(
        gaps.len(),
        2,
        "the chain's uncovered part is one run, the lone edge another"
    );
    assert_eq!(gaps[0].stretches.len(), 3, "longest first");
    let incidents = [([0.1, 0.0005], 5.0)];
    let gaps = patrolmap::coverage::gaps::find_gaps(
        &case.net,
        &case.graph,
        &modes,
        &case.placements,
        60.0,
        1,
        &incidents,
        100.0,
    );
    assert_eq!(
        gaps[0].stretches.len(),
        1,
        "the run near the incident ranks first"
    );
    assert_eq!(gaps[0].incident_weight, 5.0);
}

proptest! {
    #![proptest_config(Config { cases: 96, rng_seed: RngSeed::Fixed(2112), failure_persistence: None, ..Config::default() })]

    /// The 110 call's arrivals (one backward search from the call) give every unit the time
    /// of a forward Dijkstra from that unit alone, each leaving its edge only the way it is
    /// heading when it moves; every route runs from the unit's road point to the call's
    /// over connected edges.
    #[test]
    fn call_arrivals_match_brute_force(
        lines in network_strategy(),
        units in prop::collection::vec((0usize..6, 0.0f64..1.0, prop::bool::ANY), 1..6),
        headings in prop::collection::vec(prop::option::of(prop::bool::ANY), 1..6),
        turnouts in prop::collection::vec(prop::sample::select(vec![0.0, 0.0, 15.0]), 1..3),
        point in (0usize..64, 0.0f64..=1.0),
        cutoff in 20.0f64..400.0,
    ) {
        use patrolmap::live::{arrival_times, arrivals, Responder, Target};
        use patrolmap::network::geodesy::{haversine_m, point_along};
        let case = build_case(&lines, &unit_positions(&units), &turnouts);
        let n = case.net.nodes.len();
        let mut arcs = Vec::new();
        for (e, edge) in case.net.edges.iter().enumerate() {
            let (d, tf, tb) = edge_times(&case, e);
            if d.allows_forward() { arcs.push((edge.from as usize, edge.to as usize, tf)); }
            if d.allows_backward() { arcs.push((edge.to as usize, edge.from as usize, tb)); }
        }
        let (e, f) = (point.0 % case.net.edges.len(), point.1);
        let target_edge = &case.net.edges[e];
        let (d, tf, tb) = edge_times(&case, e);
        let responders: Vec<Responder> = case.placements.iter().enumerate().map(|(i, p)| Responder {
            unit: i, mode_index: 0, edge: p.edge, fraction: p.fraction,
            forward: headings[i % headings.len()], start_s: p.start_s,
        }).collect();
        let mut want: Vec<(usize, f64)> = Vec::new();
        for r in &responders {
            let edge = &case.net.edges[r.edge as usize];
            let (ud, utf, utb) = edge_times(&case, r.edge as usize);
            let mut starts = Vec::new();
            if ud.allows_forward() && r.forward != Some(false) {
                starts.push((edge.to as usize, r.start_s + (1.0 - r.fraction) * utf));
            }
            if ud.allows_backward() && r.forward != Some(true) {
                starts.push((edge.from as usize, r.start_s + r.fraction * utb));
            }
            let times = dijkstra(n, &arcs, &starts);
            let mut a = f64::INFINITY;
            if d.allows_forward() { a = a.min(times[target_edge.from as usize] + f * tf); }
            if d.allows_backward() { a = a.min(times[target_edge.to as usize] + (1.0 - f) * tb); }
            if r.edge as usize == e {
                let g = r.fraction;
                if d.allows_forward() && f >= g && r.forward != Some(false) { a = a.min(r.start_s + (f - g) * tf); }
                if d.allows_backward() && f <= g && r.forward != Some(true) { a = a.min(r.start_s + (g - f) * tb); }
            }
            if a <= cutoff { want.push((r.unit, a)); }
        }
        want.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
        let modes = [ModeNetwork { mode: TravelMode::Car, graph: &case.graph, index: &SnapIndex::build(&case.net, &case.graph) }];
        let target = Target { edge: e as u32, fraction: f };
        let got = arrivals(&case.net, &modes, &responders, target, cutoff);
        // The times alone (a drill's table) are the same, without the routes.
        let mut times = arrival_times(&case.net, &modes, &responders, target, cutoff);
        times.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
        prop_assert_eq!(times.len(), want.len());
        for (g, w) in times.iter().zip(&want) {
            prop_assert!(g.0 == w.0 && (g.1 - w.1).abs() <= 1e-9 * w.1.max(1.0), "{:?} vs {:?}", g, w);
        }
        prop_assert_eq!(got.len(), want.len(), "{:?} vs {:?}", got.iter().map(|a| (a.unit, a.eta_s)).collect::<Vec<_>>(), want);
        for (g, w) in got.iter().zip(&want) {
            prop_assert!((g.eta_s - w.1).abs() <= 1e-9 * w.1.max(1.0), "unit {} {} vs unit {} {}", g.unit, g.eta_s, w.0, w.1);
            let r = &responders[g.unit];
            let start = point_along(case.net.geometry(r.edge as usize), r.fraction);
            let end = point_along(case.net.geometry(e), f);
            prop_assert!(haversine_m(g.route[0], start) < 0.01 && haversine_m(*g.route.last().unwrap(), end) < 0.01);
            prop_assert_eq!(g.edges[0], r.edge);
            prop_assert_eq!(*g.edges.last().unwrap(), e as u32);
            for w in g.edges.windows(2) {
                let (a, b) = (&case.net.edges[w[0] as usize], &case.net.edges[w[1] as usize]);
                prop_assert!([a.from, a.to].iter().any(|v| *v == b.from || *v == b.to), "edges {} and {} do not meet", w[0], w[1]);
            }
        }
    }
}

proptest! {
    #![proptest_config(Config { cases: 64, rng_seed: RngSeed::Fixed(2114), failure_persistence: None, ..Config::default() })]

    /// Move-up's first move is the best single move: of every unit sent to every target it
    /// can reach, the one adding the most node-weighted road where the tiers are met, as a
    /// per-unit Dijkstra of the deployment before and after each move counts it.
    #[test]
    fn the_first_move_up_is_the_best_single_move(
        lines in network_strategy(),
        units in prop::collection::vec((0usize..6, 0.0f64..1.0, prop::bool::ANY), 1..5),
        turnouts in prop::collection::vec(prop::sample::select(vec![0.0, 0.0, 15.0]), 1..3),
        targets in prop::collection::vec((0usize..64, 0.0f64..=1.0), 1..4),
        tiers in prop::collection::vec((5.0f64..150.0, 1usize..3), 1..3),
    ) {
        use patrolmap::coverage::{ResponseStandard, Tier};
        use patrolmap::live::moveup::{propose, MoveUpOptions};
        use patrolmap::live::{Board, BoardOptions, PositionReport};
        use patrolmap::network::geodesy::point_along;
        let positions = unit_positions(&units);
        let case = build_case(&lines, &positions, &turnouts);
        let index = SnapIndex::build(&case.net, &case.graph);
        let modes = [ModeNetwork { mode: TravelMode::Car, graph: &case.graph, index: &index }];
        let scenario = patrolmap::scenario::Scenario {
            units: positions.iter().enumerate().map(|(i, &position)| Unit {
                id: format!("u{i}"), name: None, kind: UnitKind::Unit, class: None, mode: TravelMode::Car,
                turnout_s: turnouts[i % turnouts.len()], position, feature: i, duty: Default::default(),
            }).collect(),
            ..Default::default()
        };
        let mut board = Board::new(&scenario, BoardOptions { max_snap_m: 1e9, ..BoardOptions::default() });
        let reports: Vec<PositionReport> = scenario.units.iter().map(|u| PositionReport {
            unit: u.id.clone(), lon_lat: u.position, time_s: 0.0, heading_deg: None, speed_kph: None,
        }).collect();
        prop_assert!(board.apply(&case.net, &modes, &reports, 0.0).iter().all(|v| v.is_ok()));
        let standard = ResponseStandard { tiers: tiers.iter().map(|&(b, k)| Tier { budget_s: b, units: k, classes: vec![] }).collect() };
        let target_points: Vec<[f64; 2]> = targets.iter().map(|&(e, f)| point_along(case.net.geometry(e % case.net.edges.len()), f)).collect();
        let options = MoveUpOptions { max_moves: 1, movers_per_target: 100, max_travel_s: 1e9, max_snap_m: 1e9 };
        let got = propose(&case.net, &modes, &scenario, &board, &standard, &target_points, &options, 0.0);

        // The brute force: the objective of a deployment from one Dijkstra per unit.
        let n = case.net.nodes.len();
        let mut arcs = Vec::new();
        let mut weight = vec![0.0; n];
        for (e, edge) in case.net.edges.iter().enumerate() {
            let (d, tf, tb) = edge_times(&case, e);
            if d.allows_forward() { arcs.push((edge.from as usize, edge.to as usize, tf)); }
            if d.allows_backward() { arcs.push((edge.to as usize, edge.from as usize, tb)); }
            weight[edge.from as usize] += edge.length_m / 2.0;
            weight[edge.to as usize] += edge.length_m / 2.0;
        }
        let times_from = |edge: u32, fraction: f64, start: f64| {
            let e = &case.net.edges[edge as usize];
            let (d, tf, tb) = edge_times(&case, edge as usize);
            let mut starts = Vec::new();
            if d.allows_forward() { starts.push((e.to as usize, start + (1.0 - fraction) * tf)); }
            if d.allows_backward() { starts.push((e.from as usize, start + fraction * tb)); }
            dijkstra(n, &arcs, &starts)
        };
        let objective = |deployment: &[(u32, f64, f64)]| -> f64 {
            let times: Vec<Vec<f64>> = deployment.iter().map(|&(e, f, s)| times_from(e, f, s)).collect();
            standard.tiers.iter().map(|tier| (0..n).filter(|&v| times.iter().filter(|t| t[v] <= tier.budget_s).count() >= tier.units).map(|v| weight[v]).sum::<f64>()).sum()
        };
        let now: Vec<(u32, f64, f64)> = board.units().iter().map(|u| {
            let fix = u.fix.as_ref().unwrap();
            (fix.on_road.edge, fix.on_road.fraction, scenario.units[u.unit].turnout_s)
        }).collect();
        let before = objective(&now);
        let mut best = 0.0f64;
        for p in &target_points {
            let s = index.snap(*p, 1e9).unwrap();
            for i in 0..now.len() {
                // Only units that can drive there.
                let times = times_from(now[i].0, now[i].1, 0.0);
                let e = &case.net.edges[s.edge as usize];
                let (d, tf, tb) = edge_times(&case, s.edge as usize);
                let mut reach = f64::INFINITY;
                if d.allows_forward() { reach = reach.min(times[e.from as usize] + s.fraction * tf); }
                if d.allows_backward() { reach = reach.min(times[e.to as usize] + (1.0 - s.fraction) * tb); }
                if now[i].0 == s.edge {
                    let g = now[i].1;
                    if d.allows_forward() && s.fraction >= g { reach = 0.0; }
                    if d.allows_backward() && s.fraction <= g { reach = 0.0; }
                }
                if !reach.is_finite() { continue; }
                let mut after = now.clone();
                after[i] = (s.edge, s.fraction, now[i].2);
                best = best.max(objective(&after) - before);
            }
        }
        match got.first() {
            None => prop_assert!(best <= 1e-6, "no move proposed, but one adds {}", best),
            Some(m) => {
                let total: f64 = m.gain_m.iter().sum();
                prop_assert!((total - best).abs() <= 1e-6 * best.max(1.0), "proposed {} vs best {}", total, best);
            }
        }
    }
}
