//! The fewest posts that meet all of a demand: greedy set cover (with redundant posts
//! dropped) for a first answer and a packing lower bound (items no two of which share a
//! candidate each need their own posts); while they differ, the exact solver is asked, one
//! post fewer at a time, whether fewer can still meet everything, until it proves they
//! cannot.

use super::exact::{solve, Limits};
use super::greedy::{lazy_greedy, swap_improve_until, Selection};
use super::matrix::CoverageMatrix;

/// The fewest candidates meeting every item.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Cover {
    /// The chosen candidates and what each alone meets.
    pub selection: Selection,
    /// No fewer candidates can meet every item (proven when equal to the answer's size).
    pub lower_bound: usize,
    /// Whether the answer is proven minimal.
    pub minimal: bool,
}

/// The fewest candidates of `m` meeting every one of its items (the shortfalls, which no
/// choice meets, are the caller's to report). Smaller sizes are tried until `limits.stop`;
/// the cover found by then is the answer, with the bound proven so far.
///
/// ```
/// use patrolmap_core::optimize::{cover::fewest, exact::Limits, matrix::CoverageMatrix};
/// // Items 0..4; candidate 0 reaches {0,1}, 1 {2,3}, 2 {1,2}, 3 {0,3}.
/// let m = CoverageMatrix { weights: vec![1.0; 4], need: vec![1; 4],
///     covers: vec![vec![0, 1], vec![2, 3], vec![1, 2], vec![0, 3]], ..Default::default() };
/// let c = fewest(&m, &Limits::default());
/// assert_eq!(c.selection.chosen.len(), 2);
/// assert!(c.minimal);
/// ```
pub fn fewest(m: &CoverageMatrix, limits: &Limits) -> Cover {
    // Every item counts one: the question is only whether all are met. Where every item
    // needs one unit, a candidate reaching a subset of what another reaches is never needed.
    let kept: Vec<usize> = if m.single_need() {
        undominated(m)
    } else {
        (0..m.covers.len())
            .filter(|&c| !m.covers[c].is_empty())
            .collect()
    };
    let unit = CoverageMatrix {
        weights: vec![1.0; m.weights.len()],
        covers: kept.iter().map(|&c| m.covers[c].clone()).collect(),
        ..m.clone()
    };
    let all = unit.weights.len() as f64;
    let meets_all = |value: f64| value >= all - 0.5;
    // The greedy cover is the answer when time runs out: it always finishes (it stops only
    // when cancelled, and then nobody reads the answer).
    let greedy = lazy_greedy(&unit, unit.covers.len());
    let mut chosen = greedy.chosen;
    // Drop posts the others make redundant, the last added first.
    let mut i = chosen.len();
    while i > 0 {
        i -= 1;
        let mut without = chosen.clone();
        without.remove(i);
        if meets_all(unit.value(&without)) {
            chosen = without;
        }
    }
    // Values are whole numbers: a bound under `all` proves that size cannot meet all.
    let exact_limits = Limits {
        relative_gap: 0.5 / all.max(1.0),
        stop: limits.stop.clone(),
    };
    let mut lower_bound = packing_bound(&unit);
    while chosen.len() > lower_bound && !limits.stop.should_stop() {
        let k = chosen.len() - 1;
        let start = swap_improve_until(&unit, &lazy_greedy(&unit, k), &limits.stop);
        let solution = solve(&unit, k, &start, &exact_limits);
        if meets_all(solution.selection.value) {
            chosen = solution.selection.chosen;
        } else if solution.bound < all - 0.5 {
            lower_bound = k + 1;
        } else {
            break;
        }
    }
    let chosen: Vec<usize> = chosen.iter().map(|&c| kept[c]).collect();
    let selection = super::ranked(m, &chosen);
    Cover {
        minimal: lower_bound == selection.chosen.len(),
        selection,
        lower_bound,
    }
}

/// A lower bound on the posts meeting every item: a set of items no two of which any one
/// candidate reaches (packed greedily, the items with the fewest candidates first) needs the
/// sum of their needs.
///
/// ```
/// use patrolmap_core::optimize::{cover::packing_bound, matrix::CoverageMatrix};
/// // Items 0 and 2 share no candidate: at least two posts.
/// let m = CoverageMatrix { weights: vec![1.0; 3], need: vec![1; 3],
///     covers: vec![vec![0, 1], vec![1, 2], vec![2]], ..Default::default() };
/// assert_eq!(packing_bound(&m), 2);
/// ```
pub fn packing_bound(m: &CoverageMatrix) -> usize {
    let mut reached_by: Vec<Vec<u32>> = vec![Vec::new(); m.weights.len()];
    for (c, items) in m.covers.iter().enumerate() {
        for &i in items {
            reached_by[i as usize].push(c as u32);
        }
    }
    let mut order: Vec<usize> = (0..m.weights.len()).collect();
    order.sort_by_key(|&i| (reached_by[i].len(), i));
    let mut used = vec![false; m.covers.len()];
    let mut bound = 0;
    for i in order {
        if reached_by[i].iter().all(|&c| !used[c as usize]) {
            for &c in &reached_by[i] {
                used[c as usize] = true;
            }
            bound += m.need[i] as usize;
        }
    }
    bound
}

/// The candidates reaching something that no other candidate's reach contains (of equal
/// reaches, the first), ascending.
fn undominated(m: &CoverageMatrix) -> Vec<usize> {
    let mut reached_by: Vec<Vec<u32>> = vec![Vec::new(); m.weights.len()];
    for (c, items) in m.covers.iter().enumerate() {
        for &i in items {
            reached_by[i as usize].push(c as u32);
        }
    }
    // Larger reaches first, so a candidate is compared only with those kept before it.
    let mut order: Vec<usize> = (0..m.covers.len())
        .filter(|&c| !m.covers[c].is_empty())
        .collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(m.covers[c].len()), c));
    let mut kept_flag = vec![false; m.covers.len()];
    let contains = |big: &[u32], small: &[u32]| {
        let mut it = big.iter();
        small.iter().all(|x| it.any(|y| y == x))
    };
    for &c in &order {
        let items = &m.covers[c];
        // Only candidates reaching its rarest item can contain it.
        let rarest = items
            .iter()
            .min_by_key(|&&i| reached_by[i as usize].len())
            .copied();
        let dominated = rarest.is_some_and(|i| {
            reached_by[i as usize].iter().any(|&b| {
                b as usize != c && kept_flag[b as usize] && contains(&m.covers[b as usize], items)
            })
        });
        kept_flag[c] = !dominated;
    }
    (0..m.covers.len()).filter(|&c| kept_flag[c]).collect()
}
