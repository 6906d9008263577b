//! Coverage benchmarks on Porto (`../shared/data/porto.osm.pbf`, car), 20/50/200 seeded
//! random units, budgets 60/180/300 s.
//!
//! `cargo bench --bench coverage` first prints a side-by-side table against scipy
//! (`bench/spec_reference.py --search-only`: `dijkstra(indices=…, min_only=True, limit=300)`
//! and one search per unit), run in this same process run, then divan's statistics.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use patrolmap::coverage::overlay::{road_pieces, RoadPiece};
use patrolmap::coverage::polygons::{tier_polygons, PolygonOptions};
use patrolmap::coverage::{self, reach, ModeNetwork, Placement};
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
}

fn porto() -> Porto {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/porto.osm.pbf");
    let network = network::load(&path, &NoProgress).expect("porto");
    let graph = ProfileGraph::build(&network, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&network, &graph);
    Porto {
        network,
        graph,
        index,
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

/// Nearest-unit search plus covered length at the three budgets.
fn nearest_coverage(p: &Porto, placed: &[Placement]) -> f64 {
    let labels = coverage::search_nearest_times(&p.network, &[&p.graph], placed, 300.0);
    let modes = [reach::ModeReach {
        graph: &p.graph,
        labels: &labels[0],
    }];
    reach::covered_lengths(&p.network, &p.graph, &modes, placed, &BUDGETS, 1)[2][0]
}

/// k-label search plus covered length by 1..k units at the three budgets.
fn k_coverage(p: &Porto, placed: &[Placement], k: usize) -> f64 {
    let labels = coverage::search(&p.network, &[&p.graph], placed, k, 300.0);
    let modes = [reach::ModeReach {
        graph: &p.graph,
        labels: &labels[0],
    }];
    reach::covered_lengths(&p.network, &p.graph, &modes, placed, &BUDGETS, k)[2][k - 1]
}

/// The overlay's road pieces cut at the three budgets (nearest-unit search included).
fn pieces(p: &Porto, placed: &[Placement]) -> Vec<RoadPiece> {
    let labels = coverage::search_nearest_times(&p.network, &[&p.graph], placed, 300.0);
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

/// patrolmap and scipy on the same roads and units, in this run.
fn side_by_side() {
    let p = porto();
    let dir = std::env::temp_dir().join("patrolmap-bench-coverage");
    std::fs::create_dir_all(&dir).unwrap();
    let roads = dir.join("porto.geojson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&roads).unwrap());
    network::export::write_geojson(&p.network, &p.graph, &mut out).unwrap();
    drop(out);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/spec_reference.py");
    println!("\n== Porto, car, budgets 60/180/300 s; medians in ms; ratio = scipy / patrolmap ==");
    println!(
        "{:>5} | {:>14} {:>10} {:>6} | {:>10} {:>14} {:>6} | {:>10}",
        "units",
        "nearest+cover",
        "scipy min",
        "ratio",
        "k=2 cover",
        "scipy per-unit",
        "ratio",
        "k=3 cover"
    );
    for units in [20, 50, 200] {
        let placed = placements(&p, units);
        let scenario = generate::random_scenario(&p.network, &p.graph, units, 0, SEED);
        let scenario_path = dir.join(format!("units-{units}.geojson"));
        std::fs::write(&scenario_path, write::to_geojson(&scenario).to_string()).unwrap();
        let ours1 = median_ms(30, || {
            nearest_coverage(&p, &placed);
        });
        let ours2 = median_ms(20, || {
            k_coverage(&p, &placed, 2);
        });
        let ours3 = median_ms(20, || {
            k_coverage(&p, &placed, 3);
        });
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
            "{units:>5} | {ours1:>14.2} {min_only:>10.2} {:>5.1}x | {ours2:>10.2} {per_unit:>14.2} {:>5.1}x | {ours3:>10.2}",
            min_only / ours1,
            per_unit / ours2
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
    bencher.bench(|| nearest_coverage(&p, &placed));
}

#[divan::bench(args = [20, 50, 200], sample_count = 20)]
fn k2_coverage(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(&p, units);
    bencher.bench(|| k_coverage(&p, &placed, 2));
}

#[divan::bench(args = [20, 50, 200], sample_count = 20)]
fn k3_coverage(bencher: divan::Bencher, units: usize) {
    let p = porto();
    let placed = placements(&p, units);
    bencher.bench(|| k_coverage(&p, &placed, 3));
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
