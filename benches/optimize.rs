//! Post placement on Porto (`../shared/data/porto.osm.pbf`, car), issue 6's instance as the
//! CLI builds it: demand = every usable road edge weighted by its length, 2,000 candidate
//! nodes drawn with seed 6 (`--candidates random:2000:6`), 10 existing units drawn with seed
//! 6 (`patrolmap scenario random --units 10 --seed 6`), K = 25. Prints, once, each question's
//! answer with its bound, proof and time (greedy with swaps, then the exact search), then
//! times the matrix, the quick selection and the exact search at 180 s.
//!
//! `cargo bench --bench optimize`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use patrolmap::network::{
    self, NoProgress, Profile, ProfileGraph, RoadNetwork, SnapIndex, TravelMode,
};
use patrolmap::optimize::exact::{solve, Limits};
use patrolmap::optimize::greedy::{lazy_greedy, perturb_improve, swap_improve};
use patrolmap::optimize::matrix::CoverageMatrix;
use patrolmap::optimize::problem::{parse_targets, prepare, Candidates, DemandKind, Question};
use patrolmap::optimize::PERTURB_ROUNDS;
use patrolmap::scenario::{generate::random_scenario, Scenario};
use patrolmap::stop::Stop;

struct Instance {
    network: RoadNetwork,
    graph: ProfileGraph,
    index: SnapIndex,
    existing: Scenario,
}

fn instance() -> &'static Instance {
    static INSTANCE: std::sync::OnceLock<Instance> = std::sync::OnceLock::new();
    INSTANCE.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/porto.osm.pbf");
        let network = network::load(&path, &NoProgress).expect("porto");
        let graph = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
        let index = SnapIndex::build(&network, &graph);
        let existing = random_scenario(&network, &graph, 10, 0, 6);
        Instance {
            network,
            graph,
            index,
            existing,
        }
    })
}

/// The matrix for `targets` (e.g. `180:2`), as `patrolmap optimize` builds it.
fn matrix_for(targets: &str) -> CoverageMatrix {
    let i = instance();
    let question = Question {
        demand: DemandKind::Roads,
        targets: parse_targets(targets).expect("targets"),
        candidates: Candidates::Random {
            count: 2000,
            seed: 6,
        },
        area: None,
        margin_m: 0.0,
        max_snap_m: 250.0,
        max_matrix_bytes: 4 << 30,
    };
    let car = [patrolmap::coverage::ModeNetwork {
        mode: patrolmap::network::TravelMode::Car,
        graph: &i.graph,
        index: &i.index,
    }];
    prepare(&i.network, &car, &i.existing, &question, &Stop::never())
        .expect("instance")
        .matrix
}

fn report(name: &str, m: &CoverageMatrix, k: usize) {
    let started = Instant::now();
    let greedy = lazy_greedy(m, k);
    let mut best = swap_improve(m, &greedy);
    if !m.single_need() {
        best = perturb_improve(m, &best, k, PERTURB_ROUNDS, 1, &Stop::never());
    }
    let quick_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    // HiGHS's default relative gap, as the peer runs.
    let limits = Limits {
        stop: Stop::after(Duration::from_secs(60)),
        relative_gap: 1e-4,
    };
    let exact = solve(m, k, &best, &limits);
    let exact_s = started.elapsed().as_secs_f64();
    let share = |w: f64| 100.0 * m.share(w);
    println!(
        "{name}: {} items; existing {:.3}%; greedy {:.3}%, with swaps (and perturbation) {:.3}% ({:.3} s); exact search {:.3}%, bound {:.3}% (gap {:.3} points, proven {}, {} nodes, {:.3} s)",
        m.weights.len(),
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
    report("K=25 within 180 s", &matrix_for("180"), 25);
    report("K=25 within 300 s", &matrix_for("300"), 25);
    report("K=25, 2 units within 180 s", &matrix_for("180:2"), 25);
    divan::main();
}

/// The coverage matrix: 2,010 bounded searches and the merge of identical demand.
#[divan::bench(sample_count = 5)]
fn matrix() -> usize {
    matrix_for("180").weights.len()
}

/// Lazy greedy and 1-swap for K = 25 at 180 s.
#[divan::bench(sample_count = 5)]
fn select(bencher: divan::Bencher) {
    let m = matrix_for("180");
    bencher.bench(|| swap_improve(&m, &lazy_greedy(&m, 25)).value);
}

/// The exact search at 180 s from greedy with swaps, to the proven optimum.
#[divan::bench(sample_count = 5)]
fn exact(bencher: divan::Bencher) {
    let m = matrix_for("180");
    let start = swap_improve(&m, &lazy_greedy(&m, 25));
    bencher.bench(|| {
        let limits = Limits {
            stop: Stop::after(Duration::from_secs(60)),
            relative_gap: 1e-4,
        };
        solve(&m, 25, &start, &limits).selection.value
    });
}
