//! Coverage benchmarks on Porto (`../shared/data/porto.osm.pbf`, car), 20/50/200/500 seeded
//! random units, budgets 60/180/300 s.
//!
//! `cargo bench --bench coverage` first prints a side-by-side table against scipy
//! (`bench/spec_reference.py --search-only`: `dijkstra(indices=…, min_only=True, limit=300)`
//! and one search per unit), run in this same process run, then divan's statistics.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use patrolmap::coverage::cch::Cch;
use patrolmap::coverage::hierarchy::{Hierarchy, Sweep};
use patrolmap::coverage::overlay::{road_pieces, RoadPiece};
use patrolmap::coverage::polygons::{tier_polygons, PolygonOptions};
use patrolmap::coverage::search::Labels;
use patrolmap::coverage::{self, reach, Engine, ModeNetwork, Placement};
use patrolmap::network::{
    self, NoProgress, Profile, ProfileGraph, RoadNetwork, SnapIndex, TravelMode,
};
use patrolmap::scenario::{generate, write};

const BUDGETS: [f64; 3] = [60.0, 180.0, 300.0];
const SEED: u64 = 7;

struct Porto {
    network: RoadNetwork,
    graph: ProfileGraph,
    index: SnapIndex,
    hierarchy: Hierarchy,
}

/// Porto, loaded and prepared once for every bench.
fn porto() -> &'static Porto {
    static PORTO: std::sync::OnceLock<Porto> = std::sync::OnceLock::new();
    PORTO.get_or_init(load_porto)
}

fn load_porto() -> Porto {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/porto.osm.pbf");
    let network = network::load(&path, &NoProgress).expect("porto");
    let graph = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&network, &graph);
    let hierarchy = Hierarchy::prepare(&graph);
    Porto {
        network,
        graph,
        index,
        hierarchy,
    }
}

fn placements(p: &Porto, units: usize) -> Vec<Placement> {
    let scenario = generate::random_scenario(&p.network, &p.graph, units, 0, SEED);
    let modes = [ModeNetwork {
        mode: TravelMode::Car,
        graph: &p.graph,
        index: &p.index,
    }];
    coverage::place_units(&scenario.units, &modes, 1e9).0
}

/// How the labels are found: Dijkstra, or PHAST on the prepared hierarchy by a sweep.
#[derive(Clone, Copy, PartialEq)]
enum Search {
    Dijkstra,
    Phast(Sweep),
}

/// The labels of `placed` (k per node) by `search`.
fn labels(p: &Porto, placed: &[Placement], k: usize, search: Search) -> Labels {
    let Search::Phast(sweep) = search else {
        return if k == 1 {
            coverage::search_nearest_times(Engine::Dijkstra, &p.network, &[&p.graph], placed, 300.0)
        } else {
            coverage::search(&p.network, &[&p.graph], placed, k, 300.0)
        }
        .remove(0);
    };
    let mut sources = Vec::new();
    for pl in placed {
        coverage::sources_of(&p.network, &p.graph, pl, &mut sources);
    }
    if k == 1 {
        p.hierarchy.nearest_times_by(sweep, &sources, 300.0)
    } else {
        p.hierarchy.k_nearest_by(sweep, &sources, k, 300.0)
    }
}

/// Search plus covered length by 1..k units at the three budgets.
fn coverage_by(p: &Porto, placed: &[Placement], k: usize, search: Search) -> f64 {
    let labels = labels(p, placed, k, search);
    let modes = [reach::ModeReach {
        graph: &p.graph,
        labels: &labels,
    }];
    reach::covered_lengths(&p.network, &p.graph, &modes, placed, &BUDGETS, k)[2][k - 1]
}

/// The overlay's road pieces cut at the three budgets (nearest-unit search included).
fn pieces(p: &Porto, placed: &[Placement]) -> Vec<RoadPiece> {
    let labels = coverage::search_nearest_times(
        coverage::Engine::Dijkstra,
        &p.network,
        &[&p.graph],
        placed,
        300.0,
    );
    let modes = reach::mode_reach(&[&p.graph], &labels);
    road_pieces(&p.network, &p.graph, &modes, placed, &BUDGETS)
}

/// The largest relative difference between two searches' node times (0 where both are
/// unreached).
fn worst_relative(a: &Labels, b: &Labels) -> f64 {
    a.time_s
        .iter()
        .zip(&b.time_s)
        .map(|(x, y)| {
            if x == y {
                0.0
            } else {
                (x - y).abs() / x.max(1.0)
            }
        })
        .fold(0.0f64, f64::max)
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// patrolmap (Dijkstra and PHAST) and scipy on the same roads and units, in this run.
fn side_by_side() {
    let start = Instant::now();
    let p = porto();
    let prepare_s = {
        let s = Instant::now();
        Hierarchy::prepare(&p.graph);
        s.elapsed().as_secs_f64()
    };
    println!(
        "\nPorto car graph: {} nodes, {} arcs; hierarchy prepared in {prepare_s:.2} s \
         ({} shortcuts, {} arcs up and down); all loading {:.1} s",
        p.graph.node_count(),
        p.graph.arc_count(),
        p.hierarchy.shortcut_count(),
        p.hierarchy.arc_count(),
        start.elapsed().as_secs_f64()
    );
    let dir = std::env::temp_dir().join("patrolmap-bench-coverage");
    std::fs::create_dir_all(&dir).unwrap();
    let roads = dir.join("porto.geojson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&roads).unwrap());
    network::export::write_geojson(&p.network, &p.graph, &mut out).unwrap();
    drop(out);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/spec_reference.py");
    println!(
        "== Porto, car, budgets 60/180/300 s; search + covered length, medians in ms; \
         PHAST full / restricted sweeps, auto = the engine's choice; ratio = scipy's search alone / auto =="
    );
    println!(
        "{:>5} {:>4} | {:>9} {:>9} {:>9} {:>9} | {:>9} {:>9} | {:>11} {:>6}",
        "units",
        "k",
        "dijkstra",
        "full",
        "restricted",
        "auto",
        "auto srch",
        "cover",
        "scipy srch",
        "ratio"
    );
    for units in [20, 50, 200, 500] {
        let placed = placements(p, units);
        let scenario = generate::random_scenario(&p.network, &p.graph, units, 0, SEED);
        let scenario_path = dir.join(format!("units-{units}.geojson"));
        std::fs::write(&scenario_path, write::to_geojson(&scenario).to_string()).unwrap();
        let peer = Command::new("python3")
            .arg(&script)
            .args([roads.to_str().unwrap(), scenario_path.to_str().unwrap()])
            .args(["--k", "2", "--repeat", "20", "--search-only"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok());
        let scipy = |key: &str| {
            peer.as_ref()
                .and_then(|v| v["scipy_ms"][key].as_f64())
                .unwrap_or(f64::NAN)
        };
        for k in [1, 2, 3] {
            // Every engine and sweep agrees with Dijkstra (up to the rounding of shortcut
            // sums) before it is timed.
            let reference = labels(p, &placed, k, Search::Dijkstra);
            let all = [Sweep::Full, Sweep::Restricted, Sweep::Auto];
            for sweep in all {
                let got = labels(p, &placed, k, Search::Phast(sweep));
                let worst = worst_relative(&reference, &got);
                assert!(worst < 1e-9, "PHAST differs from Dijkstra by {worst}");
            }
            let runs = if k == 1 { 30 } else { 20 };
            let ms = |search| {
                median_ms(runs, || {
                    coverage_by(p, &placed, k, search);
                })
            };
            let [full, restricted, auto] = all.map(|sweep| ms(Search::Phast(sweep)));
            let dijkstra = ms(Search::Dijkstra);
            let auto_search = median_ms(runs, || {
                labels(p, &placed, k, Search::Phast(Sweep::Auto));
            });
            let auto_labels = labels(p, &placed, k, Search::Phast(Sweep::Auto));
            let cover = median_ms(runs, || {
                let modes = [reach::ModeReach {
                    graph: &p.graph,
                    labels: &auto_labels,
                }];
                reach::covered_lengths(&p.network, &p.graph, &modes, &placed, &BUDGETS, k);
            });
            // scipy's search alone: one multi-source search for k = 1, one per unit for k ≥ 2.
            let peer_ms = match k {
                1 => scipy("multi_source_min_only"),
                2 => scipy("per_unit"),
                _ => f64::NAN,
            };
            println!(
                "{units:>5} {k:>4} | {dijkstra:>9.2} {full:>9.2} {restricted:>9.2} {auto:>9.2} | {auto_search:>9.2} {cover:>9.2} | {peer_ms:>11.2} {:>5.1}x",
                peer_ms / auto
            );
        }
    }
    let placed = placements(p, 200);
    let cut = pieces(p, &placed);
    let pieces_ms = median_ms(10, || {
        pieces(p, &placed);
    });
    let polygons_ms = median_ms(10, || {
        tier_polygons(&p.network, &cut, 3, PolygonOptions::default());
    });
    let tiers = tier_polygons(&p.network, &cut, 3, PolygonOptions::default());
    println!(
        "200 units: overlay pieces (search + cut) {pieces_ms:.2} ms; tier polygons from them {polygons_ms:.2} ms \
         (40 m buffer, {} m grid; {} polygons, {} vertices)",
        tiers[0].cell_m,
        tiers.iter().map(|t| t.area.0.len()).sum::<usize>(),
        tiers.iter().map(|t| geo::CoordsIter::coords_count(&t.area)).sum::<usize>()
    );
    if rayon::current_num_threads() >= 2 {
        println!(
            "(patrolmap's nearest-unit search splits its units over 2 threads; scipy runs on one)"
        );
    }
    println!();
}

/// A rush hour on `p`: every road direction at a fixed 25-100 % of its free speed.
fn rush_hour(p: &Porto) -> ProfileGraph {
    let g = &p.graph;
    g.with_speeds_kph(&p.network, |e, forward| {
        let h = (e as u64 * 2 + forward as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        let kph = if forward {
            g.edge_forward_speed_kph[e as usize]
        } else {
            g.edge_backward_speed_kph[e as usize]
        };
        Some(kph * (0.25 + 0.75 * (h % 1000) as f64 / 999.0))
    })
}

/// Issue 20 item 3: how long applying a speed set takes on Porto's CCH, and what a query on
/// the customised hierarchy costs against the contraction hierarchy prepared for free flow.
fn time_of_day() {
    let p = porto();
    let s = Instant::now();
    let cch = Cch::prepare(&p.graph, &p.network.nodes);
    let order_s = s.elapsed().as_secs_f64();
    let rush = rush_hour(p);
    let retime_ms = median_ms(10, || {
        rush_hour(p);
    });
    let customise_ms = median_ms(10, || {
        cch.customise(&rush);
    });
    let on_rush = cch.customise(&rush);
    println!(
        "\n== Time of day (CCH), Porto car: order + completion {order_s:.2} s ({} edges, {} arcs up and down after customising); \
         a speed set applied: re-timing the graph {retime_ms:.1} ms + customising {customise_ms:.1} ms ==",
        cch.edge_count(),
        on_rush.arc_count(),
    );
    let placed = placements(p, 200);
    let mut sources = Vec::new();
    for pl in &placed {
        coverage::sources_of(&p.network, &rush, pl, &mut sources);
    }
    let mut free_sources = Vec::new();
    for pl in &placed {
        coverage::sources_of(&p.network, &p.graph, pl, &mut free_sources);
    }
    for k in [1, 2] {
        let d = coverage::search(&p.network, &[&rush], &placed, k, 300.0).remove(0);
        let c = on_rush.k_nearest_by(Sweep::Auto, &sources, k, 300.0);
        let worst = worst_relative(&d, &c);
        assert!(
            worst < 1e-9,
            "CCH at rush hour differs from Dijkstra by {worst}"
        );
        let cch_ms = median_ms(20, || {
            on_rush.k_nearest_by(Sweep::Auto, &sources, k, 300.0);
        });
        let dijkstra_ms = median_ms(20, || {
            coverage::search(&p.network, &[&rush], &placed, k, 300.0);
        });
        let ch_ms = median_ms(20, || {
            p.hierarchy
                .k_nearest_by(Sweep::Auto, &free_sources, k, 300.0);
        });
        println!(
            "200 units, k = {k}, search at rush hour: CCH {cch_ms:.2} ms, Dijkstra {dijkstra_ms:.2} ms \
             (free flow on the CH: {ch_ms:.2} ms); equal to Dijkstra within {worst:.1e}"
        );
    }
}

#[divan::bench(sample_count = 10)]
fn cch_customise(bencher: divan::Bencher) {
    let p = porto();
    let cch = Cch::prepare(&p.graph, &p.network.nodes);
    let rush = rush_hour(p);
    bencher.bench(|| cch.customise(&rush));
}

#[divan::bench(args = [20, 50, 200, 500], sample_count = 30)]
fn nearest_plus_coverage(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(p, units);
    bencher.bench(|| coverage_by(p, &placed, 1, Search::Phast(Sweep::Auto)));
}

#[divan::bench(args = [20, 50, 200, 500], sample_count = 20)]
fn k2_coverage(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(p, units);
    bencher.bench(|| coverage_by(p, &placed, 2, Search::Phast(Sweep::Auto)));
}

#[divan::bench(args = [20, 50, 200], sample_count = 20)]
fn k3_coverage(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(p, units);
    bencher.bench(|| coverage_by(p, &placed, 3, Search::Phast(Sweep::Auto)));
}

/// The search alone at k = 2 by each sweep: where the restricted sweep gains and loses.
#[divan::bench(args = [20, 50, 200, 500], sample_count = 40)]
fn search_full_k2(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(p, units);
    bencher.bench(|| labels(p, &placed, 2, Search::Phast(Sweep::Full)));
}

#[divan::bench(args = [20, 50, 200, 500], sample_count = 40)]
fn search_restricted_k2(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(p, units);
    bencher.bench(|| labels(p, &placed, 2, Search::Phast(Sweep::Restricted)));
}

#[divan::bench(args = [20, 200], sample_count = 10)]
fn polygons(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let cut = pieces(p, &placements(p, units));
    bencher.bench(|| tier_polygons(&p.network, &cut, 3, PolygonOptions::default()));
}

fn main() {
    // `SKIP_TABLE=1` runs divan's benches alone (for a profiler).
    if std::env::var_os("SKIP_TABLE").is_none() {
        time_of_day();
        side_by_side();
    }
    divan::main();
}
