//! Choosing K candidates that cover the most demand: lazy greedy (CELF: a candidate's gain
//! only falls as others are chosen, so a stale gain at the top of the heap is re-evaluated
//! and, when still the best, taken), then 1-swap local search (replace a chosen candidate by
//! an unchosen one while the coverage grows), and an upper bound on the optimum: for any set
//! S, OPT ≤ f(S) + the sum of the K largest marginal gains over S (coverage is submodular).

use std::collections::BinaryHeap;

use super::matrix::CoverageMatrix;

/// A selection of candidates.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Selection {
    /// The chosen candidates (indices), in the order they were added.
    pub chosen: Vec<usize>,
    /// Each one's marginal gain when it was added (greedy) or its share after swaps, in the
    /// matrix's weight (metres).
    pub gains: Vec<f64>,
    /// The weight they cover together.
    pub covered: f64,
    /// No selection of as many candidates covers more than this.
    pub upper_bound: f64,
}

/// Ordered float for the heap.
#[derive(Clone, Copy, PartialEq)]
struct Gain(f64, usize);
impl Eq for Gain {}
impl PartialOrd for Gain {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Gain {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Larger gain first; among equals the lower index, so results are reproducible.
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

fn gain(m: &CoverageMatrix, seen: &[bool], c: usize) -> f64 {
    m.covers[c]
        .iter()
        .filter(|&&i| !seen[i as usize])
        .map(|&i| m.weights[i as usize])
        .sum()
}

/// The upper bound for `k` candidates given the selection `chosen`: its coverage plus the `k`
/// largest marginal gains over it.
pub fn upper_bound(m: &CoverageMatrix, chosen: &[usize], k: usize) -> f64 {
    let mut seen = vec![false; m.weights.len()];
    for &c in chosen {
        for &i in &m.covers[c] {
            seen[i as usize] = true;
        }
    }
    let mut gains: Vec<f64> = (0..m.covers.len())
        .filter(|c| !chosen.contains(c))
        .map(|c| gain(m, &seen, c))
        .collect();
    gains.sort_by(|a, b| b.total_cmp(a));
    m.covered(chosen) + gains.iter().take(k).sum::<f64>()
}

/// Lazy greedy: `k` candidates (fewer when fewer add anything), each the largest marginal
/// gain at its turn.
///
/// ```
/// use patrolmap::optimize::greedy::lazy_greedy;
/// use patrolmap::optimize::matrix::CoverageMatrix;
/// let m = CoverageMatrix { weights: vec![5.0, 3.0, 4.0], covers: vec![vec![0], vec![0, 1], vec![2]], ..Default::default() };
/// let s = lazy_greedy(&m, 2);
/// assert_eq!(s.chosen, vec![1, 2]);
/// assert_eq!(s.covered, 12.0);
/// assert!(s.upper_bound >= 12.0);
/// ```
pub fn lazy_greedy(m: &CoverageMatrix, k: usize) -> Selection {
    let mut seen = vec![false; m.weights.len()];
    let mut heap: BinaryHeap<(Gain, usize)> = (0..m.covers.len())
        .map(|c| (Gain(gain(m, &seen, c), c), 0))
        .collect();
    let (mut chosen, mut gains) = (Vec::new(), Vec::new());
    while chosen.len() < k {
        let Some((Gain(g, c), round)) = heap.pop() else {
            break;
        };
        if round != chosen.len() {
            // Stale: re-evaluate and put back.
            heap.push((Gain(gain(m, &seen, c), c), chosen.len()));
            continue;
        }
        if g <= 0.0 {
            break;
        }
        for &i in &m.covers[c] {
            seen[i as usize] = true;
        }
        chosen.push(c);
        gains.push(g);
    }
    let covered = gains.iter().sum();
    let upper_bound = upper_bound(m, &chosen, k).max(covered);
    Selection {
        chosen,
        gains,
        covered,
        upper_bound,
    }
}

/// `selection` improved by 1-swaps (first improvement) until none helps; the bound kept as
/// the tighter of the two.
pub fn swap_improve(m: &CoverageMatrix, selection: &Selection) -> Selection {
    let n_items = m.weights.len();
    let mut chosen = selection.chosen.clone();
    // How many chosen candidates cover each item.
    let mut count = vec![0u32; n_items];
    for &c in &chosen {
        for &i in &m.covers[c] {
            count[i as usize] += 1;
        }
    }
    let mut covered = m.covered(&chosen);
    loop {
        let mut improved = false;
        'search: for slot in 0..chosen.len() {
            let out = chosen[slot];
            // What is lost when `out` leaves: items only it covers.
            let loss: f64 = m.covers[out]
                .iter()
                .filter(|&&i| count[i as usize] == 1)
                .map(|&i| m.weights[i as usize])
                .sum();
            for cand in 0..m.covers.len() {
                if chosen.contains(&cand) {
                    continue;
                }
                // Gain of `cand` once `out` has left.
                let gain: f64 = m.covers[cand]
                    .iter()
                    .filter(|&&i| {
                        let c = count[i as usize];
                        c == 0 || (c == 1 && m.covers[out].binary_search(&i).is_ok())
                    })
                    .map(|&i| m.weights[i as usize])
                    .sum();
                if gain > loss + 1e-9 {
                    for &i in &m.covers[out] {
                        count[i as usize] -= 1;
                    }
                    for &i in &m.covers[cand] {
                        count[i as usize] += 1;
                    }
                    chosen[slot] = cand;
                    covered += gain - loss;
                    improved = true;
                    break 'search;
                }
            }
        }
        if !improved {
            break;
        }
    }
    // Each chosen one's share: what only it covers.
    let gains = chosen
        .iter()
        .map(|&c| {
            m.covers[c]
                .iter()
                .filter(|&&i| count[i as usize] == 1)
                .map(|&i| m.weights[i as usize])
                .sum()
        })
        .collect();
    let upper_bound = upper_bound(m, &chosen, chosen.len().max(selection.chosen.len()))
        .min(selection.upper_bound)
        .max(covered);
    Selection {
        chosen,
        gains,
        covered,
        upper_bound,
    }
}
