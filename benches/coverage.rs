//! Coverage benchmarks on Porto (`../shared/data/porto.osm.pbf`, car), 20/50/200 seeded
//! random units, budgets 60/180/300 s.
//!
//! `cargo bench --bench coverage` first prints a side-by-side table against scipy
//! (`bench/spec_reference.py --search-only`: `dijkstra(indices=…, min_only=True, limit=300)`
//! and one search per unit), run in this same process run, then divan's statistics.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use patrolmap::coverage::hierarchy::Hierarchy;
use patrolmap::coverage::overlay::{road_pieces, RoadPiece};
use patrolmap::coverage::polygons::{tier_polygons, PolygonOptions};
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

fn porto() -> Porto {
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

/// The engine: Dijkstra, or PHAST on the prepared hierarchy.
fn engine(p: &Porto, phast: bool) -> Engine<'_> {
    if phast {
        Engine::Phast(std::slice::from_ref(&p.hierarchy))
    } else {
        Engine::Dijkstra
    }
}

/// Nearest-unit search plus covered length at the three budgets.
fn nearest_coverage(p: &Porto, placed: &[Placement], phast: bool) -> f64 {
    let labels =
        coverage::search_nearest_times(engine(p, phast), &p.network, &[&p.graph], placed, 300.0);
    let modes = [reach::ModeReach {
        graph: &p.graph,
        labels: &labels[0],
    }];
    reach::covered_lengths(&p.network, &p.graph, &modes, placed, &BUDGETS, 1)[2][0]
}

/// k-label search plus covered length by 1..k units at the three budgets.
fn k_coverage(p: &Porto, placed: &[Placement], k: usize, phast: bool) -> f64 {
    let labels = coverage::search_with(engine(p, phast), &p.network, &[&p.graph], placed, k, 300.0);
    let modes = [reach::ModeReach {
        graph: &p.graph,
        labels: &labels[0],
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
    println!("== Porto, car, budgets 60/180/300 s; medians in ms; ratio = scipy / PHAST ==");
    println!(
        "{:>5} | {:>9} {:>9} {:>9} {:>6} | {:>9} {:>9} {:>9} {:>6} | {:>9} {:>9}",
        "units",
        "dijk k=1",
        "PHAST k=1",
        "scipy min",
        "ratio",
        "dijk k=2",
        "PHAST k=2",
        "scipy/unit",
        "ratio",
        "dijk k=3",
        "PHAST k=3"
    );
    for units in [20, 50, 200] {
        let placed = placements(&p, units);
        // The two engines agree (up to the rounding of shortcut sums).
        let (d, h) = (
            coverage::search(&p.network, &[&p.graph], &placed, 2, 300.0),
            coverage::search_with(engine(&p, true), &p.network, &[&p.graph], &placed, 2, 300.0),
        );
        let worst = d[0]
            .time_s
            .iter()
            .zip(&h[0].time_s)
            .map(|(a, b)| {
                if a == b {
                    0.0
                } else {
                    (a - b).abs() / a.max(1.0)
                }
            })
            .fold(0.0f64, f64::max);
        assert!(worst < 1e-9, "PHAST differs from Dijkstra by {worst}");
        let scenario = generate::random_scenario(&p.network, &p.graph, units, 0, SEED);
        let scenario_path = dir.join(format!("units-{units}.geojson"));
        std::fs::write(&scenario_path, write::to_geojson(&scenario).to_string()).unwrap();
        let ms = |runs, k, phast| {
            median_ms(runs, || {
                if k == 1 {
                    nearest_coverage(&p, &placed, phast);
                } else {
                    k_coverage(&p, &placed, k, phast);
                }
            })
        };
        let (d1, h1) = (ms(30, 1, false), ms(30, 1, true));
        let (d2, h2) = (ms(20, 2, false), ms(20, 2, true));
        let (d3, h3) = (ms(20, 3, false), ms(20, 3, true));
        let peer = Command::new("python3")
            .arg(&script)
            .args([roads.to_str().unwrap(), scenario_path.to_str().unwrap()])
            .args(["--k", "2", "--repeat", "20", "--search-only"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok());
        let (min_only, per_unit) = match &peer {
            Some(v) => (
                v["scipy_ms"]["multi_source_min_only"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
                v["scipy_ms"]["per_unit"].as_f64().unwrap_or(f64::NAN),
            ),
            None => (f64::NAN, f64::NAN),
        };
        println!(
            "{units:>5} | {d1:>9.2} {h1:>9.2} {min_only:>9.2} {:>5.1}x | {d2:>9.2} {h2:>9.2} {per_unit:>9.2} {:>5.1}x | {d3:>9.2} {h3:>9.2}   (max rel. diff {worst:.0e})",
            min_only / h1,
            per_unit / h2
        );
    }
    let placed = placements(&p, 200);
    let cut = pieces(&p, &placed);
    let pieces_ms = median_ms(10, || {
        pieces(&p, &placed);
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

#[divan::bench(args = [20, 50, 200], sample_count = 30)]
fn nearest_plus_coverage(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(&p, units);
    bencher.bench(|| nearest_coverage(&p, &placed, false));
}

#[divan::bench(args = [20, 50, 200], sample_count = 20)]
fn k2_coverage(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(&p, units);
    bencher.bench(|| k_coverage(&p, &placed, 2, false));
}

#[divan::bench(args = [20, 50, 200], sample_count = 20)]
fn k3_coverage(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(&p, units);
    bencher.bench(|| k_coverage(&p, &placed, 3, false));
}

#[divan::bench(args = [20, 200], sample_count = 10)]
fn polygons(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let cut = pieces(&p, &placements(&p, units));
    bencher.bench(|| tier_polygons(&p.network, &cut, 3, PolygonOptions::default()));
}

fn main() {
    side_by_side();
    divan::main();
}
