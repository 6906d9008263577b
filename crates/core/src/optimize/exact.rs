//! The exact answer, or a proven bound: branch and bound with Lagrangian relaxation.
//!
//! The program: maximise Σ wᵢ·yᵢ with yᵢ ≤ 1, needᵢ·yᵢ ≤ Σ_{j reaching i} xⱼ and Σ xⱼ ≤ K,
//! x binary. Relaxing the reach constraints with multipliers λᵢ ∈ [0, wᵢ/needᵢ] leaves
//! L(λ) = Σ (wᵢ − needᵢ·λᵢ) + the K largest cⱼ = Σ_{i reached by j} λᵢ, an upper bound for
//! every λ, lowered by subgradient steps towards the linear program's bound. The
//! multipliers also fix candidates: one outside the top K that would pull the bound under
//! the best known answer if forced in is out of every better answer, and one inside whose
//! removal would do the same is in it. What is left is branched on (in first), each branch a
//! smaller matrix with its own relaxation. A custom solver rather than a MIP library: the
//! relaxation needs only sums over the matrix, it fixes most candidates at the root, and it
//! adds no C++ build to a two-core machine (HiGHS is the peer in `bench/`).

use std::time::Duration;

use crate::stop::Stop;

use super::greedy::{selection_of, swap_improve_until, Selection};
use super::matrix::CoverageMatrix;

/// When to stop searching.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Stop when the answer is within this fraction of the bound (HiGHS's default is 1e-4).
    pub relative_gap: f64,
    /// Stop by its deadline (or when it is cancelled), with the best answer and a true bound.
    pub stop: Stop,
}

impl Default for Limits {
    /// A gap of 1e-6 (about a metre of Porto's road), 10 seconds from now.
    fn default() -> Self {
        Limits {
            relative_gap: 1e-6,
            stop: Stop::after(Duration::from_secs(10)),
        }
    }
}

/// An answer with its bound.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Solution {
    /// The chosen candidates, with what each adds, and their value.
    pub selection: Selection,
    /// No choice of as many candidates meets more than this.
    pub bound: f64,
    /// Whether the answer is within the relative gap of the bound (optimal, to that gap).
    pub proven: bool,
    /// Branch-and-bound nodes searched.
    pub nodes: usize,
}

impl Solution {
    /// The gap between the answer and the bound, as a fraction of the bound.
    pub fn gap(&self) -> f64 {
        if self.bound > 0.0 {
            (self.bound - self.selection.value).max(0.0) / self.bound
        } else {
            0.0
        }
    }
}

/// A subproblem: a matrix on the candidates still free, what the ones fixed in already meet,
/// and where its candidates come from.
struct Node {
    m: CoverageMatrix,
    /// Original index of each candidate of `m`.
    origin: Vec<usize>,
    /// Candidates fixed in (original indices).
    fixed_in: Vec<usize>,
    /// The value the fixed-in candidates meet.
    base: f64,
    /// How many more may be chosen.
    k: usize,
    /// Multipliers to start from (per item of `m`).
    lambda: Vec<f64>,
    /// The parent's bound (an upper bound for this node too).
    bound: f64,
}

/// The relaxation at multipliers `lambda`: its bound, the candidates' values `c`, and the
/// top `k` candidates.
fn relax(
    m: &CoverageMatrix,
    k: usize,
    lambda: &[f64],
    c: &mut Vec<f64>,
    top: &mut Vec<usize>,
) -> f64 {
    c.clear();
    c.extend(
        m.covers
            .iter()
            .map(|list| list.iter().map(|&i| lambda[i as usize]).sum::<f64>()),
    );
    top.clear();
    top.extend(0..m.covers.len());
    let k = k.min(top.len());
    if k < top.len() && k > 0 {
        top.select_nth_unstable_by(k - 1, |&a, &b| c[b].total_cmp(&c[a]));
    }
    top.truncate(k);
    let items: f64 = m
        .weights
        .iter()
        .zip(&m.need)
        .zip(lambda)
        .map(|((w, &n), l)| w - n as f64 * l)
        .sum();
    items + top.iter().map(|&j| c[j]).sum::<f64>()
}

/// How a subgradient descent runs: at most `iterations` steps, the step factor starting at
/// `theta` and halved after `patience` steps without a lower bound.
#[derive(Clone)]
struct Steps {
    iterations: usize,
    theta: f64,
    patience: usize,
    /// Stop then, whatever the bound.
    stop: Option<Stop>,
}

/// Subgradient descent on the multipliers from `lambda`: the lowest bound found (the
/// multipliers giving it are left in `lambda`). Stops early once the bound is at most
/// `target`.
fn descend(
    m: &CoverageMatrix,
    k: usize,
    lambda: &mut Vec<f64>,
    target: f64,
    Steps {
        iterations,
        theta,
        patience,
        stop,
    }: Steps,
) -> f64 {
    let (mut c, mut top) = (Vec::new(), Vec::new());
    let mut best = relax(m, k, lambda, &mut c, &mut top);
    let mut best_lambda = lambda.clone();
    let mut theta = theta;
    let mut stale = 0;
    let mut count = vec![0u32; m.weights.len()];
    for step in 0..iterations {
        if step % 16 == 15 && stop.as_ref().is_some_and(Stop::should_stop) {
            break;
        }
        let bound = relax(m, k, lambda, &mut c, &mut top);
        if bound < best - 1e-12 * best.abs() {
            best = bound;
            best_lambda.clone_from(lambda);
            stale = 0;
        } else {
            stale += 1;
            if stale >= patience {
                theta /= 2.0;
                stale = 0;
            }
        }
        if best <= target || theta < 1e-5 {
            break;
        }
        count.iter_mut().for_each(|x| *x = 0);
        for &j in &top {
            for &i in &m.covers[j] {
                count[i as usize] += 1;
            }
        }
        // Subgradient of the bound: reach minus need, only where a step can move λ.
        let mut norm = 0.0;
        for (i, l) in lambda.iter().enumerate() {
            let g = count[i] as f64 - m.need[i] as f64;
            let cap = m.weights[i] / m.need[i] as f64;
            if (g > 0.0 && *l > 0.0) || (g < 0.0 && *l < cap) {
                norm += g * g;
            }
        }
        if norm == 0.0 {
            break;
        }
        let step = theta * (bound - target.max(0.0)).max(1e-9 * bound.abs()) / norm;
        for (i, l) in lambda.iter_mut().enumerate() {
            let g = count[i] as f64 - m.need[i] as f64;
            let cap = m.weights[i] / m.need[i] as f64;
            *l = (*l - step * g).clamp(0.0, cap);
        }
    }
    lambda.clone_from(&best_lambda);
    best
}

/// The Lagrangian upper bound for `k` candidates (an upper bound whatever the multipliers;
/// here after `iterations` subgradient steps).
///
/// ```
/// use patrolmap_core::optimize::exact::lagrangian_bound;
/// use patrolmap_core::optimize::matrix::CoverageMatrix;
/// let m = CoverageMatrix { weights: vec![5.0, 3.0, 4.0], need: vec![1, 1, 1],
///     covers: vec![vec![0], vec![0, 1], vec![2]], ..Default::default() };
/// assert!(lagrangian_bound(&m, 1, 200) >= 8.0 - 1e-9);
/// assert!(lagrangian_bound(&m, 1, 200) < 9.0);
/// ```
pub fn lagrangian_bound(m: &CoverageMatrix, k: usize, iterations: usize) -> f64 {
    let mut lambda = start_lambda(m);
    let steps = Steps {
        iterations,
        theta: 1.0,
        patience: 12,
        stop: None,
    };
    descend(m, k, &mut lambda, 0.0, steps)
}

fn start_lambda(m: &CoverageMatrix) -> Vec<f64> {
    m.weights
        .iter()
        .zip(&m.need)
        .map(|(w, &n)| 0.5 * w / n as f64)
        .collect()
}

/// `m` with the candidates `fixed_in` taken and `fixed_out` dropped: items met by the ones
/// taken count in the returned value, items that the free ones can no longer meet are
/// dropped, the rest renumbered. Returns the smaller matrix, the free candidates' indices in
/// `m`, the value met, and each kept item's old index.
fn reduce(
    m: &CoverageMatrix,
    fixed_in: &[usize],
    fixed_out: &[bool],
) -> (CoverageMatrix, Vec<usize>, f64, Vec<u32>) {
    let taken = m.counts(fixed_in);
    let mut is_in = vec![false; m.covers.len()];
    for &j in fixed_in {
        is_in[j] = true;
    }
    let free: Vec<usize> = (0..m.covers.len())
        .filter(|&j| !is_in[j] && !fixed_out[j])
        .collect();
    let mut reach = vec![0u32; m.weights.len()];
    for &j in &free {
        for &i in &m.covers[j] {
            reach[i as usize] += 1;
        }
    }
    let mut value = 0.0;
    let mut new_index = vec![u32::MAX; m.weights.len()];
    let mut sub = CoverageMatrix::default();
    let mut old = Vec::new();
    for i in 0..m.weights.len() {
        let need = m.need[i].saturating_sub(taken[i]);
        if need == 0 {
            value += m.weights[i];
        } else if reach[i] >= need {
            new_index[i] = sub.weights.len() as u32;
            sub.weights.push(m.weights[i]);
            sub.need.push(need);
            sub.target.push(m.target.get(i).copied().unwrap_or(0));
            old.push(i as u32);
        }
    }
    sub.covers = free
        .iter()
        .map(|&j| {
            m.covers[j]
                .iter()
                .map(|&i| new_index[i as usize])
                .filter(|&i| i != u32::MAX)
                .collect()
        })
        .collect();
    (sub, free, value, old)
}

/// The best choice of at most `k` candidates, searched from `start` (a good answer, e.g.
/// greedy with swaps), with a bound; optimal to `limits.relative_gap` unless time ran out.
pub fn solve(m: &CoverageMatrix, k: usize, start: &Selection, limits: &Limits) -> Solution {
    let mut best = start.clone();
    let mut nodes = 0usize;
    let mut stack = vec![Node {
        m: m.clone(),
        origin: (0..m.covers.len()).collect(),
        fixed_in: Vec::new(),
        base: 0.0,
        k,
        lambda: start_lambda(m),
        bound: f64::INFINITY,
    }];
    // Within the gap of the answer (a relative gap of the answer's value, as HiGHS's
    // `mip_rel_gap`, which is relative to the larger of the two).
    let close_enough = |bound: f64, value: f64| {
        bound.is_finite() && bound <= value + limits.relative_gap * value.abs().max(1e-12)
    };
    // Every node closed leaves a bound for what it held: the answer is within the largest.
    let mut closed_bound = f64::NEG_INFINITY;
    while let Some(mut node) = stack.pop() {
        if close_enough(node.bound, best.value) {
            closed_bound = closed_bound.max(node.bound);
            continue;
        }
        if limits.stop.should_stop() {
            closed_bound = stack.iter().map(|n| n.bound).fold(node.bound, f64::max);
            closed_bound = closed_bound.max(best.value);
            break;
        }
        nodes += 1;
        if node.k == 0 || node.m.covers.is_empty() {
            // Nothing more to choose: exactly what the fixed candidates meet.
            if node.base > best.value + 1e-9 * best.value.abs() && node.fixed_in.len() <= k {
                best = selection_of(m, node.fixed_in.clone());
            }
            closed_bound = closed_bound.max(node.base);
            continue;
        }
        // The root from scratch with patience; a child from its parent's multipliers, briefly:
        // on Porto many quick nodes prove the optimum sooner than fewer tight ones (20 steps:
        // 2.2 s, 150: 6.5 s). At the root a patience of 15 proved Porto at 180 s and 300 s
        // soonest together (30: 0.43 s and 2.8 s; 15: 0.30 s and 0.72 s).
        let steps = match nodes {
            1 => Steps {
                iterations: 1500,
                theta: 2.0,
                patience: 15,
                stop: Some(limits.stop.clone()),
            },
            _ => Steps {
                iterations: 20,
                theta: 0.5,
                patience: 5,
                stop: Some(limits.stop.clone()),
            },
        };
        let target = best.value - node.base;
        let relaxed = node.base + descend(&node.m, node.k, &mut node.lambda, target, steps);
        let bound = relaxed.min(node.bound);
        // The relaxation's own choice may be a better answer.
        let (mut c, mut top) = (Vec::new(), Vec::new());
        relax(&node.m, node.k, &node.lambda, &mut c, &mut top);
        let (mut chosen, mut value) = (top.clone(), node.m.value(&top));
        if nodes == 1 || nodes % 50 == 0 {
            // The relaxation's choice improved by swaps: a Lagrangian heuristic.
            let improved =
                swap_improve_until(&node.m, &selection_of(&node.m, top.clone()), &limits.stop);
            if improved.value > value {
                (chosen, value) = (improved.chosen, improved.value);
            }
        }
        if node.base + value > best.value + 1e-9 * best.value.abs() {
            let mut all: Vec<usize> = node.fixed_in.clone();
            all.extend(chosen.iter().map(|&j| node.origin[j]));
            best = selection_of(m, all);
        }
        if close_enough(bound, best.value) {
            closed_bound = closed_bound.max(bound);
            continue;
        }
        // Fix by the multipliers: which candidates every answer above `floor` takes or
        // leaves (what the fixing cuts off is worth at most `floor`).
        let r = top.len();
        let mut order: Vec<usize> = (0..node.m.covers.len()).collect();
        order.sort_by(|&a, &b| c[b].total_cmp(&c[a]));
        let last_in = if r > 0 { c[order[r - 1]] } else { 0.0 };
        let first_out = order.get(r).map_or(0.0, |&j| c[j]);
        let floor = best.value + limits.relative_gap * best.value.abs().max(1e-12);
        let mut fixed_out = vec![false; node.m.covers.len()];
        let mut is_in = vec![false; node.m.covers.len()];
        for (rank, &j) in order.iter().enumerate() {
            if rank < r {
                is_in[j] = relaxed - c[j] + first_out <= floor;
            } else {
                fixed_out[j] = relaxed - last_in + c[j] <= floor;
            }
        }
        let fixed_in: Vec<usize> = (0..is_in.len()).filter(|&j| is_in[j]).collect();
        if !fixed_in.is_empty() || fixed_out.contains(&true) {
            closed_bound = closed_bound.max(floor);
        }
        let child = |extra_in: Option<usize>, extra_out: Option<usize>| {
            let mut ins = fixed_in.clone();
            ins.extend(extra_in);
            let mut outs = fixed_out.clone();
            if let Some(j) = extra_out {
                outs[j] = true;
            }
            let (sub, free, value, old) = reduce(&node.m, &ins, &outs);
            let mut fixed = node.fixed_in.clone();
            fixed.extend(ins.iter().map(|&j| node.origin[j]));
            Node {
                lambda: old.iter().map(|&i| node.lambda[i as usize]).collect(),
                origin: free.iter().map(|&j| node.origin[j]).collect(),
                m: sub,
                fixed_in: fixed,
                base: node.base + value,
                k: node.k.saturating_sub(ins.len()),
                bound,
            }
        };
        // Branch on the strongest free candidate of the relaxation's choice (in first, so
        // pushed last), or of any when all of those are fixed.
        let pick = order[..r]
            .iter()
            .chain(&order[r..])
            .copied()
            .find(|&j| !is_in[j] && !fixed_out[j]);
        match pick {
            Some(j) if fixed_in.len() < node.k => {
                stack.push(child(None, Some(j)));
                stack.push(child(Some(j), None));
            }
            // Fixed in as many as may be chosen, or nothing free: one child, no choice left.
            _ => stack.push(child(None, None)),
        }
    }
    // Stopped before any node closed, the bound is at most all the demand left to meet.
    let all: f64 = m.weights.iter().sum();
    let bound = closed_bound.max(best.value).min(all.max(best.value));
    Solution {
        proven: close_enough(bound, best.value),
        selection: best,
        bound,
        nodes,
    }
}
