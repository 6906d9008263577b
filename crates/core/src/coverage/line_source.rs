//! Coverage from a patrol line as a source: "a unit somewhere on this line". The best case
//! counts a place reached in time from some point of the line (every node the line passes is
//! a source); the worst case counts only places reached in time from every one of
//! [`SPREAD`] positions spread evenly along it, wherever the unit happens to be.

use super::{reach, search_nearest_times, search_with, Engine, Placement};
use crate::network::{ProfileGraph, RoadNetwork};

/// How many positions along a line the worst case takes (the k-label search counts at most
/// this many distinct units per place).
pub const SPREAD: usize = 8;

/// A line's coverage per budget.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LineCoverage {
    /// The budgets, in seconds.
    pub budgets_s: Vec<f64>,
    /// Metres of road reached within each budget from the best point of the line.
    pub best_m: Vec<f64>,
    /// Metres reached within each budget from every position along it.
    pub worst_m: Vec<f64>,
}

/// The coverage of a unit of mode `mode_index` (in `graphs`, whose first graph measures
/// coverage) standing anywhere at `along` (points of the line: edge and fraction; the more,
/// the truer the best case) or at each of `spread` (at most [`SPREAD`] points, for the
/// worst case), within each of `budgets_s`.
pub fn line_coverage(
    network: &RoadNetwork,
    graphs: &[&ProfileGraph],
    mode_index: usize,
    along: &[(u32, f64)],
    spread: &[(u32, f64)],
    budgets_s: &[f64],
) -> LineCoverage {
    assert!(spread.len() <= SPREAD, "at most {SPREAD} spread positions");
    let placements = |points: &[(u32, f64)], distinct: bool| -> Vec<Placement> {
        points
            .iter()
            .enumerate()
            .map(|(i, &(edge, fraction))| Placement {
                unit: if distinct { i as u32 } else { 0 },
                mode_index,
                edge,
                fraction,
                start_s: 0.0,
                dist_m: 0.0,
            })
            .collect()
    };
    let cutoff_s = budgets_s.iter().fold(0.0f64, |a, &b| a.max(b));
    // Best: one unit that may stand at any of the points (a multi-source search).
    let best_at = placements(along, false);
    let labels = search_nearest_times(Engine::Dijkstra, network, graphs, &best_at, cutoff_s);
    let best = reach::covered_lengths(
        network,
        graphs[0],
        &reach::mode_reach(graphs, &labels),
        &best_at,
        budgets_s,
        1,
    );
    // Worst: reached by all the spread positions (each a distinct unit).
    let k = spread.len().max(1);
    let spread_at = placements(spread, true);
    let labels = search_with(Engine::Dijkstra, network, graphs, &spread_at, k, cutoff_s);
    let worst = reach::covered_lengths(
        network,
        graphs[0],
        &reach::mode_reach(graphs, &labels),
        &spread_at,
        budgets_s,
        k,
    );
    LineCoverage {
        budgets_s: budgets_s.to_vec(),
        best_m: best.iter().map(|row| row[0]).collect(),
        worst_m: worst
            .iter()
            .map(|row| if spread.is_empty() { 0.0 } else { row[k - 1] })
            .collect(),
    }
}
