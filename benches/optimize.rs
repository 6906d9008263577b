//! Post placement on Porto (`../shared/data/porto.osm.pbf`, car): demand = every usable road
//! edge weighted by its length, 2,000 candidate nodes and 10 existing posts drawn with a fixed
//! seed, K = 25, budget 180 s (issue 6's instance). Prints the coverage, the bound and the gap
//! once, then times the coverage matrix and the selection.
//!
//! `cargo bench --bench optimize`

use std::path::PathBuf;

use patrolmap::coverage::search::Source;
use patrolmap::network::{self, NoProgress, Profile, ProfileGraph, RoadNetwork, TravelMode};
use patrolmap::optimize::exact::{solve, Limits};
use patrolmap::optimize::greedy::{lazy_greedy, swap_improve};
use patrolmap::optimize::matrix::{road_nodes, CoverageMatrix, Demand, Existing, Target};

struct Instance {
    network: RoadNetwork,
    graph: ProfileGraph,
    candidates: Vec<u32>,
    existing: Vec<u32>,
}

/// Nodes with a usable edge, drawn with a fixed seed (xorshift).
fn draw(network: &RoadNetwork, graph: &ProfileGraph, count: usize, seed: u64) -> Vec<u32> {
    let nodes = road_nodes(network, graph);
    let mut x = seed;
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = nodes[(x % nodes.len() as u64) as usize];
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn instance() -> &'static Instance {
    static INSTANCE: std::sync::OnceLock<Instance> = std::sync::OnceLock::new();
    INSTANCE.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/porto.osm.pbf");
        let network = network::load(&path, &NoProgress).expect("porto");
        let graph = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
        let candidates = draw(&network, &graph, 2000, 0x5eed_0001);
        let existing = draw(&network, &graph, 10, 0x5eed_0002);
        Instance {
            network,
            graph,
            candidates,
            existing,
        }
    })
}

/// The matrix for `units` distinct units within `budget_s`.
fn matrix_for(i: &Instance, budget_s: f64, units: u32) -> CoverageMatrix {
    let existing: Vec<Existing> = i
        .existing
        .iter()
        .map(|&node| Existing {
            sources: vec![Source {
                node,
                time_s: 0.0,
                unit: 0,
            }],
            on_edge: None,
        })
        .collect();
    let target = Target {
        budget_s,
        units,
        weight: 1.0,
    };
    CoverageMatrix::build(
        &i.network,
        &i.graph,
        &Demand::Roads,
        &[target],
        &i.candidates,
        &existing,
    )
}

fn report(name: &str, m: &CoverageMatrix, k: usize) {
    let started = std::time::Instant::now();
    let greedy = lazy_greedy(m, k);
    let best = swap_improve(m, &greedy);
    let quick_s = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    // HiGHS's default relative gap, as the peer runs.
    let gap = 1e-4;
    let exact = solve(
        m,
        k,
        &best,
        Limits {
            time: std::time::Duration::from_secs(60),
            relative_gap: gap,
        },
    );
    let exact_s = started.elapsed().as_secs_f64();
    let share = |w: f64| 100.0 * m.share(w);
    println!(
        "{name}: {} items, {} nonzeros; existing {:.3}%; greedy {:.3}%, with swaps {:.3}% ({:.3} s); exact {:.3}%, bound {:.3}% (gap {:.4} points, proven {}, {} nodes, {:.3} s)",
        m.weights.len(),
        m.covers.iter().map(Vec::len).sum::<usize>(),
        share(0.0),
        share(greedy.value),
        share(best.value),
        quick_s,
        share(exact.selection.value),
        share(exact.bound),
        share(exact.bound) - share(exact.selection.value),
        exact.proven,
        exact.nodes,
        exact_s,
    );
}

fn main() {
    let i = instance();
    report("K=25 within 180 s", &matrix_for(i, 180.0, 1), 25);
    report("K=25 within 300 s", &matrix_for(i, 300.0, 1), 25);
    report("K=25, 2 units within 180 s", &matrix_for(i, 180.0, 2), 25);
    divan::main();
}

/// The coverage matrix: 2,000 bounded searches and the merge of identical demand.
#[divan::bench(sample_count = 5)]
fn matrix() -> usize {
    matrix_for(instance(), 180.0, 1).weights.len()
}

/// Lazy greedy and 1-swap for K = 25 on the matrix.
#[divan::bench(sample_count = 5)]
fn select(bencher: divan::Bencher) {
    let m = matrix_for(instance(), 180.0, 1);
    bencher.bench(|| swap_improve(&m, &lazy_greedy(&m, 25)).value);
}
