//! How much of each road edge is reached in time, and by how many distinct units: the exact
//! covered length of `spec/coverage.md` §3.
//!
//! Per edge, each unit reaches a union of at most three intervals of the edge's fraction
//! [0, 1]: from its first node, from its last node, and around the unit itself when it stands
//! on the edge. The k best labels at both ends and the units on the edge decide every point.

use rayon::prelude::*;

use super::search::Labels;
use super::Placement;
use crate::network::{Direction, ProfileGraph, RoadEdge, RoadNetwork};

/// The searches of one travel mode: its graph and its labels.
pub struct ModeReach<'a> {
    /// The mode's graph (edge times and directions for its units).
    pub graph: &'a ProfileGraph,
    /// The labels its units' search left at every node.
    pub labels: &'a Labels,
}

/// Pairs each mode's graph with its labels.
pub fn mode_reach<'a>(graphs: &[&'a ProfileGraph], labels: &'a [Labels]) -> Vec<ModeReach<'a>> {
    graphs
        .iter()
        .zip(labels)
        .map(|(&graph, labels)| ModeReach { graph, labels })
        .collect()
}

/// A unit that may reach part of one edge.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    unit: u32,
    mode: usize,
    from_u_s: f64,
    from_v_s: f64,
    /// Fraction and start time of the unit when it stands on this edge.
    on_edge: Option<(f64, f64)>,
}

/// The fractions of an edge that one candidate reaches by `budget_s`, as up to three intervals.
#[inline]
fn reached_intervals(
    c: &Candidate,
    (forward_s, backward_s): (f64, f64),
    direction: Direction,
    budget_s: f64,
    out: &mut Vec<(f64, f64)>,
) {
    out.clear();
    // The share of the edge driven in `spare_s`, each direction at its own time.
    let reach = |spare_s: f64, time_s: f64| {
        if time_s > 0.0 {
            spare_s / time_s
        } else {
            f64::INFINITY
        }
    };
    if direction.allows_forward() && c.from_u_s <= budget_s {
        out.push((0.0, reach(budget_s - c.from_u_s, forward_s).min(1.0)));
    }
    if direction.allows_backward() && c.from_v_s <= budget_s {
        out.push((
            (1.0 - reach(budget_s - c.from_v_s, backward_s)).max(0.0),
            1.0,
        ));
    }
    if let Some((g, start_s)) = c.on_edge {
        if start_s <= budget_s {
            let g = g.clamp(0.0, 1.0);
            let lo = if direction.allows_backward() {
                (g - reach(budget_s - start_s, backward_s)).max(0.0)
            } else {
                g
            };
            let hi = if direction.allows_forward() {
                (g + reach(budget_s - start_s, forward_s)).min(1.0)
            } else {
                g
            };
            out.push((lo, hi));
        }
    }
}

/// Covered road length per budget and per number of distinct units.
///
/// Returns `covered[b][j]`: the metres of the `measure` graph's edges reached within
/// `budgets_s[b]` by at least `j + 1` distinct units, for `j < k`. `modes[m]` holds the searches
/// of the units whose [`Placement::mode_index`] is `m`; labels must hold at least `k` per node
/// (or 1 when `k == 1`).
pub fn covered_lengths(
    network: &RoadNetwork,
    measure: &ProfileGraph,
    modes: &[ModeReach],
    placements: &[Placement],
    budgets_s: &[f64],
    k: usize,
) -> Vec<Vec<f64>> {
    let all = 0..network.edges.len();
    covered_lengths_in(network, measure, modes, placements, budgets_s, k, all)
}

/// [`covered_lengths`] over the edges in `edges` only (a city of a province).
pub fn covered_lengths_in(
    network: &RoadNetwork,
    measure: &ProfileGraph,
    modes: &[ModeReach],
    placements: &[Placement],
    budgets_s: &[f64],
    k: usize,
    edges: std::ops::Range<usize>,
) -> Vec<Vec<f64>> {
    let mut on_edge: Vec<(u32, usize)> = placements
        .iter()
        .enumerate()
        .map(|(i, p)| (p.edge, i))
        .collect();
    on_edge.sort_unstable();
    // Chunks of a fixed number of usable edges on the threads, their sums added in chunk
    // order: the same metres to the bit whatever the number of threads, and whatever other
    // modes' edges the network holds between them (an OSM file and its car export agree).
    const CHUNK: usize = 8192;
    let mut bounds = vec![edges.start];
    let mut usable = 0;
    for e in edges.clone() {
        if measure.is_usable(e) {
            if usable == CHUNK {
                bounds.push(e);
                usable = 0;
            }
            usable += 1;
        }
    }
    bounds.push(edges.end);
    let partial: Vec<Vec<Vec<f64>>> = bounds
        .par_windows(2)
        .map(|w| {
            let (start, end) = (w[0], w[1]);
            covered_in(
                network,
                measure,
                modes,
                placements,
                &on_edge,
                budgets_s,
                k,
                start..end,
            )
        })
        .collect();
    let mut covered = vec![vec![0.0; k]; budgets_s.len()];
    for chunk in partial {
        for (total, part) in covered.iter_mut().zip(chunk) {
            for (t, p) in total.iter_mut().zip(part) {
                *t += p;
            }
        }
    }
    covered
}

/// [`covered_lengths`] over the edges in `range`; `on_edge` lists `(edge, placement)` sorted.
#[allow(clippy::too_many_arguments)]
fn covered_in(
    network: &RoadNetwork,
    measure: &ProfileGraph,
    modes: &[ModeReach],
    placements: &[Placement],
    on_edge: &[(u32, usize)],
    budgets_s: &[f64],
    k: usize,
    range: std::ops::Range<usize>,
) -> Vec<Vec<f64>> {
    let mut covered = vec![vec![0.0; k]; budgets_s.len()];
    let max_budget_s = budgets_s.iter().fold(0.0f64, |a, &b| a.max(b));
    let mut next_on_edge = on_edge.partition_point(|x| (x.0 as usize) < range.start);
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut intervals = Vec::new();
    let mut events: Vec<(f64, i32)> = Vec::new();
    let mut two_ended_units: Vec<(u32, f64, f64)> = Vec::new();
    let mut two_ended_events: Vec<(f64, i32)> = Vec::new();
    for e in range {
        // Other modes' edges (footways...) first, from a byte each, without reading the edge.
        if !measure.is_usable(e) {
            continue;
        }
        let edge = &network.edges[e];
        if edge.length_m == 0.0 {
            continue;
        }
        let e32 = e as u32;
        while next_on_edge < on_edge.len() && on_edge[next_on_edge].0 < e32 {
            next_on_edge += 1;
        }
        let units_here = on_edge[next_on_edge..].iter().take_while(|x| x.0 == e32);
        let no_unit_here = units_here.clone().next().is_none();
        // Most edges of a city are beyond every budget from both ends: skip them next.
        if no_unit_here
            && modes.iter().all(|m| {
                m.labels.nearest_s(edge.from) > max_budget_s
                    && m.labels.nearest_s(edge.to) > max_budget_s
            })
        {
            continue;
        }
        if k == 1 && no_unit_here {
            // The hot case: no unit on the edge, one label per end. The reached set is
            // [0, a] ∪ [1 − b, 1], so its measure is min(1, a + b), with no sorting.
            for (b, &budget_s) in budgets_s.iter().enumerate() {
                let (mut from_u, mut from_v) = (0.0f64, 0.0f64);
                for mode in modes {
                    let Some(direction) = mode.graph.edge_direction[e] else {
                        continue;
                    };
                    let reach = |spare_s: f64, time_s: f64| {
                        if time_s > 0.0 {
                            (spare_s / time_s).min(1.0)
                        } else {
                            1.0
                        }
                    };
                    let (tu, tv) = (
                        mode.labels.nearest_s(edge.from),
                        mode.labels.nearest_s(edge.to),
                    );
                    if direction.allows_forward() && tu <= budget_s {
                        from_u =
                            from_u.max(reach(budget_s - tu, mode.graph.edge_forward_time_s[e]));
                    }
                    if direction.allows_backward() && tv <= budget_s {
                        from_v =
                            from_v.max(reach(budget_s - tv, mode.graph.edge_backward_time_s[e]));
                    }
                }
                covered[b][0] += edge.length_m * (from_u + from_v).min(1.0);
            }
            continue;
        }
        if modes.len() == 1 && no_unit_here {
            // The hot case for k ≥ 2: each unit reaches [0, a] from the first node and
            // [1 − b, 1] from the last, and the k best labels at each end decide the edge.
            let mode = &modes[0];
            if let Some(direction) = mode.graph.edge_direction[e] {
                let times_s = (
                    mode.graph.edge_forward_time_s[e],
                    mode.graph.edge_backward_time_s[e],
                );
                // Scratch kept between edges: a fresh array here was a memset per edge and
                // budget, a third of the whole k = 2 query (`perf`).
                let units = &mut two_ended_units;
                units.clear();
                for (t, u) in mode.labels.at(edge.from) {
                    units.push((u, t, f64::INFINITY));
                }
                for (t, u) in mode.labels.at(edge.to) {
                    match units.iter_mut().find(|c| c.0 == u) {
                        Some(c) => c.2 = t,
                        None => units.push((u, f64::INFINITY, t)),
                    }
                }
                for (b, &budget_s) in budgets_s.iter().enumerate() {
                    let fractions = two_ended_measure(
                        units,
                        times_s,
                        direction,
                        budget_s,
                        k,
                        &mut two_ended_events,
                    );
                    for (j, f) in fractions.iter().enumerate().take(k) {
                        covered[b][j] += edge.length_m * f;
                    }
                }
            }
            continue;
        }
        gather_candidates(
            &mut candidates,
            modes,
            edge,
            units_here.map(|&(_, i)| &placements[i]),
        );
        if candidates.is_empty() {
            continue;
        }
        for (b, &budget_s) in budgets_s.iter().enumerate() {
            reached_events(&candidates, modes, e, budget_s, &mut intervals, &mut events);
            let fractions = multiplicity_measure(&mut events, k);
            for (j, f) in fractions.iter().enumerate().take(k) {
                covered[b][j] += edge.length_m * f;
            }
        }
    }
    covered
}

/// Collects the units that may reach part of `edge`: each mode's labels at both of its ends,
/// and the units standing on it.
fn gather_candidates<'p>(
    candidates: &mut Vec<Candidate>,
    modes: &[ModeReach],
    edge: &RoadEdge,
    on_edge: impl Iterator<Item = &'p Placement>,
) {
    candidates.clear();
    for (m, mode) in modes.iter().enumerate() {
        for (t, unit) in mode.labels.at(edge.from) {
            candidate(candidates, unit, m).from_u_s = t;
        }
        for (t, unit) in mode.labels.at(edge.to) {
            candidate(candidates, unit, m).from_v_s = t;
        }
    }
    for p in on_edge {
        candidate(candidates, p.unit, p.mode_index).on_edge = Some((p.fraction, p.start_s));
    }
}

/// The +1/−1 events of every candidate's reached set on edge `e` within `budget_s`.
fn reached_events(
    candidates: &[Candidate],
    modes: &[ModeReach],
    e: usize,
    budget_s: f64,
    intervals: &mut Vec<(f64, f64)>,
    events: &mut Vec<(f64, i32)>,
) {
    events.clear();
    for c in candidates {
        let graph = modes[c.mode].graph;
        let Some(direction) = graph.edge_direction[e] else {
            continue;
        };
        let times_s = (graph.edge_forward_time_s[e], graph.edge_backward_time_s[e]);
        reached_intervals(c, times_s, direction, budget_s, intervals);
        push_union(intervals, events);
    }
}

fn candidate(candidates: &mut Vec<Candidate>, unit: u32, mode: usize) -> &mut Candidate {
    let i = match candidates.iter().position(|c| c.unit == unit) {
        Some(i) => i,
        None => {
            candidates.push(Candidate {
                unit,
                mode,
                from_u_s: f64::INFINITY,
                from_v_s: f64::INFINITY,
                on_edge: None,
            });
            candidates.len() - 1
        }
    };
    &mut candidates[i]
}

/// Merges one unit's intervals and adds them as +1/−1 events, so the unit counts once.
fn push_union(intervals: &mut [(f64, f64)], events: &mut Vec<(f64, i32)>) {
    intervals.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut current: Option<(f64, f64)> = None;
    for &(lo, hi) in intervals.iter() {
        match current {
            Some((clo, chi)) if lo <= chi => current = Some((clo, chi.max(hi))),
            Some(c) => {
                events.push((c.0, 1));
                events.push((c.1, -1));
                current = Some((lo, hi));
            }
            None => current = Some((lo, hi)),
        }
    }
    if let Some(c) = current {
        events.push((c.0, 1));
        events.push((c.1, -1));
    }
}

/// The stretches of `[0, 1]` covered by at least `k` intervals, from sorted-or-not events.
fn covered_by_at_least(events: &mut [(f64, i32)], k: usize, out: &mut Vec<(f64, f64)>) {
    out.clear();
    events.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut depth = 0i32;
    let mut start = None;
    for &(x, delta) in events.iter() {
        depth += delta;
        match (start, depth as usize >= k) {
            (None, true) => start = Some(x),
            (Some(s), false) => {
                if x > s {
                    match out.last_mut() {
                        Some(last) if last.1 >= s => last.1 = x,
                        _ => out.push((s, x)),
                    }
                }
                start = None;
            }
            _ => {}
        }
    }
}

/// Per usable edge of `measure` with length: the fractions reached within `budget_s` by at
/// least `k` distinct units, as sorted disjoint intervals (an empty list where none).
pub fn covered_intervals(
    network: &RoadNetwork,
    measure: &ProfileGraph,
    modes: &[ModeReach],
    placements: &[Placement],
    budget_s: f64,
    k: usize,
) -> Vec<Vec<(f64, f64)>> {
    let by_edge = super::placements_by_edge(network.edges.len(), placements);
    let (mut candidates, mut intervals, mut events) = (Vec::new(), Vec::new(), Vec::new());
    let mut result = vec![Vec::new(); network.edges.len()];
    for (e, edge) in network.edges.iter().enumerate() {
        if !measure.is_usable(e) || edge.length_m == 0.0 {
            continue;
        }
        gather_candidates(
            &mut candidates,
            modes,
            edge,
            by_edge[e].iter().map(|&i| &placements[i]),
        );
        reached_events(&candidates, modes, e, budget_s, &mut intervals, &mut events);
        covered_by_at_least(&mut events, k, &mut result[e]);
    }
    result
}

/// The measure of [0, 1] covered by at least j + 1 intervals, for j < k (at most 8 levels
/// are returned; callers use `k` of them).
/// For units that reach an edge only from its ends, `(unit, time at first node, time at
/// last node)`: the fractions of the edge reached within `budget_s` by at least 1..=k of them.
fn two_ended_measure(
    units: &[(u32, f64, f64)],
    (forward_s, backward_s): (f64, f64),
    direction: Direction,
    budget_s: f64,
    k: usize,
    events: &mut Vec<(f64, i32)>,
) -> [f64; 8] {
    // Everywhere-reached units, and the ends of the others' two stretches: count(x) =
    // whole + #{a ≥ x} + #{1 − b ≤ x}.
    let mut whole = 0usize;
    events.clear();
    for &(_, tu, tv) in units {
        let a = (direction.allows_forward() && tu <= budget_s)
            .then(|| ((budget_s - tu) / forward_s).min(1.0));
        let b = (direction.allows_backward() && tv <= budget_s)
            .then(|| ((budget_s - tv) / backward_s).min(1.0));
        match (a, b) {
            (Some(a), Some(b)) if a + b >= 1.0 => whole += 1,
            _ => {
                if let Some(a) = a {
                    events.push((a, -1));
                }
                if let Some(b) = b {
                    events.push((1.0 - b, 1));
                }
            }
        }
    }
    events.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let mut depth = whole as i32 + events.iter().filter(|e| e.1 < 0).count() as i32;
    let mut out = [0.0; 8];
    let mut last = 0.0;
    for &(x, delta) in events.iter().chain(std::iter::once(&(1.0, 0))) {
        if x > last {
            for level in out.iter_mut().take((depth.max(0) as usize).min(k)) {
                *level += x - last;
            }
            last = x;
        }
        depth += delta;
    }
    out
}

fn multiplicity_measure(events: &mut [(f64, i32)], k: usize) -> [f64; 8] {
    let mut out = [0.0; 8];
    events.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut depth = 0i32;
    let mut last = 0.0;
    for &(x, delta) in events.iter() {
        if depth > 0 && x > last {
            for level in out.iter_mut().take((depth as usize).min(k)) {
                *level += x - last;
            }
        }
        depth += delta;
        last = x;
    }
    out
}

/// The `k` earliest distinct units at one point of a road edge, as `(unit, time_s)`, best
/// first (spec §3's arrival at a point, per unit). `fraction` is the point's place on `edge`.
pub fn arrivals_at(
    network: &RoadNetwork,
    modes: &[ModeReach],
    placements: &[Placement],
    edge: u32,
    fraction: f64,
    k: usize,
) -> Vec<(u32, f64)> {
    let e = edge as usize;
    let mut candidates: Vec<Candidate> = Vec::new();
    gather_candidates(
        &mut candidates,
        modes,
        &network.edges[e],
        placements.iter().filter(|p| p.edge == edge),
    );
    let f = fraction.clamp(0.0, 1.0);
    let mut best: Vec<(u32, f64)> = candidates
        .iter()
        .filter_map(|c| {
            let graph = modes[c.mode].graph;
            let direction = graph.edge_direction[e]?;
            let (forward_s, backward_s) =
                (graph.edge_forward_time_s[e], graph.edge_backward_time_s[e]);
            let mut t = f64::INFINITY;
            if direction.allows_forward() {
                t = t.min(c.from_u_s + f * forward_s);
            }
            if direction.allows_backward() {
                t = t.min(c.from_v_s + (1.0 - f) * backward_s);
            }
            if let Some((g, start_s)) = c.on_edge {
                let g = g.clamp(0.0, 1.0);
                if direction.allows_forward() && f >= g {
                    t = t.min(start_s + (f - g) * forward_s);
                }
                if direction.allows_backward() && f <= g {
                    t = t.min(start_s + (g - f) * backward_s);
                }
            }
            t.is_finite().then_some((c.unit, t))
        })
        .collect();
    best.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    best.truncate(k);
    best
}
