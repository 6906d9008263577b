//! Post placement on Porto (`../shared/data/porto.osm.pbf`, car): demand = every usable road
//! edge weighted by its length, 2,000 candidate nodes and 10 existing posts drawn with a fixed
//! seed, K = 25, budget 180 s (issue 6's instance). Prints the coverage, the bound and the gap
//! once, then times the coverage matrix and the selection.
//!
//! `cargo bench --bench optimize`

use std::path::PathBuf;

use patrolmap::network::{self, NoProgress, Profile, ProfileGraph, RoadNetwork, TravelMode};
use patrolmap::optimize::greedy::{lazy_greedy, swap_improve};
use patrolmap::optimize::matrix::{road_nodes, CoverageMatrix};

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

fn main() {
    let i = instance();
    let m = CoverageMatrix::build(&i.network, &i.graph, &i.candidates, &i.existing, 180.0);
    let greedy = lazy_greedy(&m, 25);
    let best = swap_improve(&m, &greedy);
    let share = |w: f64| 100.0 * (w + m.existing_m) / m.total_m;
    println!(
        "K=25 within 180 s: {} demand items; existing {:.2}%; greedy {:.2}%, with swaps {:.2}%, bound {:.2}% (gap {:.2} points)",
        m.weights.len(),
        share(0.0),
        share(greedy.covered),
        share(best.covered),
        share(best.upper_bound),
        share(best.upper_bound) - share(best.covered)
    );
    divan::main();
}

/// The coverage matrix: 2,000 bounded searches and the merge of identical demand.
#[divan::bench(sample_count = 5)]
fn matrix() -> usize {
    let i = instance();
    CoverageMatrix::build(&i.network, &i.graph, &i.candidates, &i.existing, 180.0)
        .weights
        .len()
}

/// Lazy greedy and 1-swap for K = 25 on the matrix.
#[divan::bench(sample_count = 5)]
fn select(bencher: divan::Bencher) {
    let i = instance();
    let m = CoverageMatrix::build(&i.network, &i.graph, &i.candidates, &i.existing, 180.0);
    bencher.bench(|| swap_improve(&m, &lazy_greedy(&m, 25)).covered);
}
