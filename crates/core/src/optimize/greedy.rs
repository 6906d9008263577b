//! Quick selections: lazy greedy (CELF) and 1-swap local search, and the submodular upper
//! bound for plain coverage.
//!
//! The greedy scores a candidate by the progress it makes: an item needing `n` more units
//! gives `weight / n` to each of them, so reinforcement (items needing two units) is built up
//! step by step instead of being invisible to a single choice. That score only falls as
//! others are chosen, so a stale score at the top of the heap is re-evaluated and, when still
//! the best, taken (CELF). The swaps then work on the true value.

use std::collections::BinaryHeap;

use super::matrix::CoverageMatrix;
use crate::stop::Stop;

/// A selection of candidates.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Selection {
    /// The chosen candidates (indices into the matrix's candidates).
    pub chosen: Vec<usize>,
    /// What each one adds: its marginal value when it was added (greedy), or what the others
    /// would lose without it (after swaps), in the matrix's weight.
    pub gains: Vec<f64>,
    /// The weight they meet together (beyond the existing units).
    pub value: f64,
}

/// Ordered float for the heap.
#[derive(Clone, Copy, PartialEq)]
struct Score(f64, usize);
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Larger score first; among equals the lower index, so results are reproducible.
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// The submodular bound for plain coverage (every item needing one unit) and `k` candidates
/// given `chosen`: its value plus the `k` largest marginal gains over it (for any set S,
/// OPT ≤ f(S) + the sum of the k largest gains over S). Infinite when some item needs more
/// than one unit (reinforcement is not submodular).
pub fn submodular_bound(m: &CoverageMatrix, chosen: &[usize], k: usize) -> f64 {
    if !m.single_need() {
        return f64::INFINITY;
    }
    let count = m.counts(chosen);
    let mut gains: Vec<f64> = (0..m.covers.len())
        .filter(|c| !chosen.contains(c))
        .map(|c| {
            m.covers[c]
                .iter()
                .filter(|&&i| count[i as usize] == 0)
                .map(|&i| m.weights[i as usize])
                .sum()
        })
        .collect();
    gains.sort_by(|a, b| b.total_cmp(a));
    m.value(chosen) + gains.iter().take(k).sum::<f64>()
}

/// Lazy greedy: `k` candidates (fewer when fewer make any progress), each the largest
/// progress at its turn.
///
/// ```
/// use patrolmap_core::optimize::greedy::lazy_greedy;
/// use patrolmap_core::optimize::matrix::CoverageMatrix;
/// let m = CoverageMatrix { weights: vec![5.0, 3.0, 4.0], need: vec![1, 1, 1],
///     covers: vec![vec![0], vec![0, 1], vec![2]], ..Default::default() };
/// let s = lazy_greedy(&m, 2);
/// assert_eq!(s.chosen, vec![1, 2]);
/// assert_eq!(s.value, 12.0);
/// ```
pub fn lazy_greedy(m: &CoverageMatrix, k: usize) -> Selection {
    greedy_until(m, k, &Stop::never())
}

/// [`lazy_greedy`], ending with what it has chosen when `stop` says so (reinforcement scores
/// every candidate at every turn: on a city-wide matrix that is seconds).
pub fn greedy_until(m: &CoverageMatrix, k: usize, stop: &Stop) -> Selection {
    if !m.single_need() {
        return completing_greedy_from(m, &[], k, stop);
    }
    let mut count = vec![0u32; m.weights.len()];
    let score = |count: &[u32], c: usize| -> f64 {
        m.covers[c]
            .iter()
            .filter(|&&i| count[i as usize] < m.need[i as usize])
            .map(|&i| m.weights[i as usize] / m.need[i as usize] as f64)
            .sum()
    };
    let mut heap: BinaryHeap<(Score, usize)> = (0..m.covers.len())
        .map(|c| (Score(score(&count, c), c), 0))
        .collect();
    let (mut chosen, mut gains) = (Vec::new(), Vec::new());
    while chosen.len() < k {
        let Some((Score(s, c), round)) = heap.pop() else {
            break;
        };
        if round != chosen.len() {
            // Stale: re-evaluate and put back.
            heap.push((Score(score(&count, c), c), chosen.len()));
            continue;
        }
        if s <= 0.0 {
            break;
        }
        gains.push(m.take(&mut count, c));
        chosen.push(c);
    }
    Selection {
        value: gains.iter().sum(),
        chosen,
        gains,
    }
}

/// Greedy for reinforcement: an item counts `weight / need` for each unit that brings it
/// closer and its whole weight for the one that completes it, so posts gather where pairs
/// complete. That score can rise as others are chosen (no lazy evaluation): every candidate
/// is scored at every turn. It starts from the candidates `start` already chosen.
fn completing_greedy_from(m: &CoverageMatrix, start: &[usize], k: usize, stop: &Stop) -> Selection {
    let mut count = m.counts(start);
    let mut taken = vec![false; m.covers.len()];
    for &c in start {
        taken[c] = true;
    }
    let (mut chosen, mut gains) = (start.to_vec(), vec![0.0; start.len()]);
    while chosen.len() < k && !stop.should_stop() {
        let score = |c: usize| -> f64 {
            m.covers[c]
                .iter()
                .map(|&i| {
                    let (n, k) = (m.need[i as usize], count[i as usize]);
                    let w = m.weights[i as usize];
                    if k + 1 == n {
                        w
                    } else if k + 1 < n {
                        w / n as f64
                    } else {
                        0.0
                    }
                })
                .sum()
        };
        let best = (0..m.covers.len())
            .filter(|&c| !taken[c])
            .map(|c| (score(c), c))
            .fold(None, |best: Option<(f64, usize)>, (s, c)| match best {
                Some((b, _)) if b >= s => best,
                _ => Some((s, c)),
            });
        let Some((s, c)) = best else { break };
        if s <= 0.0 {
            break;
        }
        gains.push(m.take(&mut count, c));
        taken[c] = true;
        chosen.push(c);
    }
    Selection {
        value: m.value(&chosen),
        chosen,
        gains,
    }
}

/// `selection` improved by perturbation (an iterated local search): `rounds` times, a few
/// chosen candidates (an eighth, at least two) are dropped at random (seeded), the set is
/// refilled greedily and improved by swaps, and kept when it is better (until `stop`). For reinforcement,
/// where single swaps stall: a post is only useful with a partner, so moving one at a time
/// rarely helps.
pub fn perturb_improve(
    m: &CoverageMatrix,
    selection: &Selection,
    k: usize,
    rounds: usize,
    seed: u64,
    stop: &Stop,
) -> Selection {
    let mut best = swap_improve_until(m, selection, stop);
    let mut x = seed.max(1);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..rounds {
        if stop.should_stop() {
            break;
        }
        let mut kept = best.chosen.clone();
        let drop = (kept.len() / 8).max(2).min(kept.len());
        for _ in 0..drop {
            let at = (next() % kept.len() as u64) as usize;
            kept.swap_remove(at);
        }
        let refilled = completing_greedy_from(m, &kept, k, stop);
        let candidate = swap_improve_until(m, &refilled, stop);
        if candidate.value > best.value + 1e-9 * best.value.abs() {
            best = candidate;
        }
    }
    best
}

/// `selection` improved by 1-swaps (first improvement) until none helps.
pub fn swap_improve(m: &CoverageMatrix, selection: &Selection) -> Selection {
    swap_improve_until(m, selection, &Stop::never())
}

/// [`swap_improve`], ending with the swaps made so far when `stop` says so.
pub fn swap_improve_until(m: &CoverageMatrix, selection: &Selection, stop: &Stop) -> Selection {
    let mut chosen = selection.chosen.clone();
    let mut count = m.counts(&chosen);
    let mut leaving = vec![false; m.weights.len()];
    while !stop.should_stop() {
        let mut improved = false;
        'search: for slot in 0..chosen.len() {
            // A pass over a big matrix takes seconds (8,725 candidates, 50 chosen): polled
            // per slot, not per pass, so the request ends at its time limit.
            if slot > 0 && stop.should_stop() {
                break;
            }
            let out = chosen[slot];
            // What is lost when `out` leaves: items met exactly.
            let mut loss = 0.0;
            for &i in &m.covers[out] {
                leaving[i as usize] = true;
                if count[i as usize] == m.need[i as usize] {
                    loss += m.weights[i as usize];
                }
            }
            let mut swap = None;
            for cand in 0..m.covers.len() {
                if chosen.contains(&cand) {
                    continue;
                }
                // What `cand` brings once `out` has left: items one short then.
                let gain: f64 = m.covers[cand]
                    .iter()
                    .filter(|&&i| {
                        let after = count[i as usize] - leaving[i as usize] as u32;
                        after + 1 == m.need[i as usize]
                    })
                    .map(|&i| m.weights[i as usize])
                    .sum();
                if gain > loss + 1e-9 * (1.0 + loss) {
                    swap = Some(cand);
                    break;
                }
            }
            for &i in &m.covers[out] {
                leaving[i as usize] = false;
            }
            if let Some(cand) = swap {
                for &i in &m.covers[out] {
                    count[i as usize] -= 1;
                }
                for &i in &m.covers[cand] {
                    count[i as usize] += 1;
                }
                chosen[slot] = cand;
                improved = true;
                break 'search;
            }
        }
        if !improved {
            break;
        }
    }
    selection_of(m, chosen)
}

/// The selection of `chosen` with each one's share: what would be lost without it.
pub(crate) fn selection_of(m: &CoverageMatrix, chosen: Vec<usize>) -> Selection {
    let count = m.counts(&chosen);
    let gains = chosen
        .iter()
        .map(|&c| {
            m.covers[c]
                .iter()
                .filter(|&&i| count[i as usize] == m.need[i as usize])
                .map(|&i| m.weights[i as usize])
                .sum()
        })
        .collect();
    Selection {
        value: m.value(&chosen),
        chosen,
        gains,
    }
}
