//! Where the next posts go, on patrolmap's own travel times: candidate-to-demand coverage
//! ([`matrix`]), quick selections ([`greedy`]: lazy greedy and 1-swap), the exact answer or
//! a proven bound ([`exact`]: branch and bound with Lagrangian relaxation), and the fewest
//! posts meeting all of a demand ([`cover`]). Every answer carries its bound. Pure: no files.
//!
//! The three problems of issue 6 are one matrix away from each other: maximal coverage
//! (targets needing one unit), reinforcement (targets needing k distinct units, the existing
//! ones counted), fewest posts (all items must be met).

pub mod answer;
pub mod cover;
pub mod event;
pub mod exact;
pub mod greedy;
pub mod matrix;
pub mod problem;

use exact::{solve, Limits, Solution};
use greedy::Selection;
use matrix::CoverageMatrix;

/// Perturbation rounds for reinforcement before the exact search.
pub const PERTURB_ROUNDS: usize = 60;

/// The best `k` candidates to add (maximal coverage, or reinforcement when items need more
/// than one unit): greedy with swaps, then branch and bound to the optimum or to
/// `limits.stop`, the answer ranked by [`ranked`].
///
/// ```
/// use patrolmap_core::optimize::{best_k, exact::Limits, matrix::CoverageMatrix};
/// let m = CoverageMatrix { weights: vec![5.0, 3.0, 4.0], need: vec![1, 1, 1],
///     covers: vec![vec![0], vec![0, 1], vec![2]], ..Default::default() };
/// let s = best_k(&m, 2, &Limits::default());
/// assert_eq!(s.selection.value, 12.0);
/// assert!(s.proven && s.bound >= 12.0);
/// ```
pub fn best_k(m: &CoverageMatrix, k: usize, limits: &Limits) -> Solution {
    // The greedy start within half the time, so there is an answer to give whatever happens.
    let first = limits.stop.share(0.5);
    let mut start = greedy::swap_improve_until(m, &greedy::greedy_until(m, k, &first), &first);
    if !m.single_need() {
        // A third of the time at most, the rest for the exact search.
        let third = limits.stop.share(1.0 / 3.0);
        start = greedy::perturb_improve(m, &start, k, PERTURB_ROUNDS, 1, &third);
    }
    let mut solution = solve(m, k, &start, limits);
    solution.selection = ranked(m, &solution.selection.chosen);
    solution
}

/// `chosen` in the order greedy would take them among themselves, each with the value it
/// adds at its turn (the gains sum to the value): the first is the most useful alone.
pub fn ranked(m: &CoverageMatrix, chosen: &[usize]) -> Selection {
    let mut left: Vec<usize> = chosen.to_vec();
    let mut order = Vec::new();
    let mut gains = Vec::new();
    let mut count = vec![0u32; m.weights.len()];
    while !left.is_empty() {
        // Largest value added, then largest progress (for reinforcement), then lowest index.
        let score = |c: usize| -> (f64, f64) {
            m.covers[c].iter().fold((0.0, 0.0), |(v, p), &i| {
                let (n, w) = (m.need[i as usize], m.weights[i as usize]);
                let k = count[i as usize];
                (
                    v + if k + 1 == n { w } else { 0.0 },
                    p + if k < n { w / n as f64 } else { 0.0 },
                )
            })
        };
        let (at, _) = left.iter().enumerate().map(|(at, &c)| (at, score(c))).fold(
            (0, (f64::NEG_INFINITY, 0.0)),
            |best, (at, s)| {
                if s.0 > best.1 .0 || (s.0 == best.1 .0 && s.1 > best.1 .1) {
                    (at, s)
                } else {
                    best
                }
            },
        );
        let c = left.remove(at);
        gains.push(m.take(&mut count, c));
        order.push(c);
    }
    Selection {
        value: m.value(&order),
        chosen: order,
        gains,
    }
}
