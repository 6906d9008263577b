//! The fewest posts that meet all of a demand: greedy set cover (with redundant posts
//! dropped) for a first answer, then the exact solver asked, one post fewer at a time,
//! whether fewer can still meet everything, until it proves they cannot.

use super::exact::{solve, Limits};
use super::greedy::{lazy_greedy, swap_improve, Selection};
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
/// choice meets, are the caller's to report). Each smaller size is decided within `limits.time`.
///
/// ```
/// use patrolmap::optimize::{cover::fewest, exact::Limits, matrix::CoverageMatrix};
/// // Items 0..4; candidate 0 reaches {0,1}, 1 {2,3}, 2 {1,2}, 3 {0,3}.
/// let m = CoverageMatrix { weights: vec![1.0; 4], need: vec![1; 4],
///     covers: vec![vec![0, 1], vec![2, 3], vec![1, 2], vec![0, 3]], ..Default::default() };
/// let c = fewest(&m, Limits::default());
/// assert_eq!(c.selection.chosen.len(), 2);
/// assert!(c.minimal);
/// ```
pub fn fewest(m: &CoverageMatrix, limits: Limits) -> Cover {
    // Every item counts one: the question is only whether all are met.
    let unit = CoverageMatrix {
        weights: vec![1.0; m.weights.len()],
        ..m.clone()
    };
    let all = unit.weights.len() as f64;
    let meets_all = |value: f64| value >= all - 0.5;
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
        ..limits
    };
    // An item needing n units needs n posts.
    let mut lower_bound = unit.need.iter().copied().max().unwrap_or(0) as usize;
    while chosen.len() > lower_bound {
        let k = chosen.len() - 1;
        let start = swap_improve(&unit, &lazy_greedy(&unit, k));
        let solution = solve(&unit, k, &start, exact_limits);
        if meets_all(solution.selection.value) {
            chosen = solution.selection.chosen;
        } else if solution.bound < all - 0.5 {
            lower_bound = k + 1;
        } else {
            break;
        }
    }
    let selection = super::ranked(m, &chosen);
    Cover {
        minimal: lower_bound == selection.chosen.len(),
        selection,
        lower_bound,
    }
}
