//! Road network benchmarks on the real extracts in `../shared/data`.
//!
//! `cargo bench --bench network` first prints a side-by-side table (patrolmap against the
//! pyosmium peer in `bench/pyosmium_split.py`, same file, same run), then divan's statistics.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use patrolmap::network::{self, NoProgress, Profile, ProfileGraph, SnapIndex, TravelMode};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(name)
}

/// Load + car graph + R-tree: what every command does before its first query.
fn load_car(name: &str) -> (network::RoadNetwork, ProfileGraph, SnapIndex) {
    let net = network::load(&data(name), &NoProgress).expect("load");
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let index = SnapIndex::build(&net, &graph);
    (net, graph, index)
}

fn random_points(bbox: [f64; 4], n: usize) -> Vec<[f64; 2]> {
    let mut state = 0x5eed_u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            [
                bbox[0] + next() * (bbox[2] - bbox[0]),
                bbox[1] + next() * (bbox[3] - bbox[1]),
            ]
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn load_graph_rtree_porto(bencher: divan::Bencher) {
    bencher.bench(|| load_car("porto.osm.pbf"));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn load_graph_rtree_columbus(bencher: divan::Bencher) {
    bencher.bench(|| load_car("columbus.osm.pbf"));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn snap_100k_points_porto(bencher: divan::Bencher) {
    let (net, _, index) = load_car("porto.osm.pbf");
    let points = random_points(net.bbox().unwrap(), 100_000);
    bencher.bench(|| {
        points
            .iter()
            .filter(|&&p| index.snap(p, 1e9).is_ok())
            .count()
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn snap_100k_points_porto_parallel(bencher: divan::Bencher) {
    let (net, _, index) = load_car("porto.osm.pbf");
    let points = random_points(net.bbox().unwrap(), 100_000);
    bencher.bench(|| index.snap_all(&points, 1e9).len());
}

/// Points as units and incidents are placed: within 200 m of a random road.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn snap_100k_points_near_roads_porto(bencher: divan::Bencher) {
    let (net, _, index) = load_car("porto.osm.pbf");
    let bbox_points = random_points([0.0, 0.0, 1.0, 1.0], 100_000);
    let points: Vec<[f64; 2]> = bbox_points
        .iter()
        .map(|r| {
            let e = ((r[0] * net.edges.len() as f64) as usize).min(net.edges.len() - 1);
            let p = net.geometry(e)[0];
            // About 200 m at most in each direction.
            [
                p[0] + (r[1] - 0.5) * 0.004,
                p[1] + (r[0] * 7.0).fract() * 0.0036 - 0.0018,
            ]
        })
        .collect();
    bencher.bench(|| {
        points
            .iter()
            .filter(|&&p| index.snap(p, 1e9).is_ok())
            .count()
    });
}

/// The basemap's features read from a file (a second pass over it, made while the city is
/// prepared): the demo city is a full extract, Porto a highway-only one (street names).
#[divan::bench(args = ["campo-grande.osm.pbf", "porto.osm.pbf"], sample_count = 10, sample_size = 1)]
fn basemap_read(bencher: divan::Bencher, file: &str) {
    let path = if file == "campo-grande.osm.pbf" {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(file)
    } else {
        data(file)
    };
    bencher.bench(|| patrolmap::network::map_features::read_pbf(&path).expect("read"));
}

/// One basemap tile over the city centre (the map asks for a dozen per view; they are not
/// cached, as they are cut from the index in about a millisecond).
#[divan::bench(args = [("campo-grande.osm.pbf", 13), ("campo-grande.osm.pbf", 15), ("porto.osm.pbf", 13), ("porto.osm.pbf", 15)], sample_count = 20)]
fn basemap_tile(bencher: divan::Bencher, (file, z): (&str, u32)) {
    use patrolmap::tiles::{basemap::Basemap, TileId};
    let (path, centre) = if file == "campo-grande.osm.pbf" {
        (
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("data")
                .join(file),
            [-54.5625, -20.464],
        )
    } else {
        (data(file), [-8.61, 41.15])
    };
    let basemap = Basemap::new(patrolmap::network::map_features::read_pbf(&path).expect("read"));
    let id = TileId::containing(z, centre).expect("a tile");
    bencher.bench(|| basemap.tile(id));
}

/// patrolmap and pyosmium side by side on Porto, in this run, with the ratio.
fn side_by_side() {
    let file = data("porto.osm.pbf");
    let ours: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let _ = load_car("porto.osm.pbf");
            start.elapsed().as_secs_f64()
        })
        .collect();
    // Nothing else has run in this process yet: its peak is that of load + graph + R-tree.
    let peak_mb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
            line.split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
                .map(|kb| kb / 1024.0)
        });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/pyosmium_split.py");
    let mut peer = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let out = Command::new("python3").arg(&script).arg(&file).output();
        let wall = start.elapsed().as_secs_f64();
        match out {
            Ok(o) if o.status.success() => {
                let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("peer JSON");
                peer.push((v["seconds"].as_f64().unwrap(), wall));
            }
            _ => {
                println!(
                    "pyosmium peer not available (pip install -r bench/requirements.txt); skipped"
                );
                break;
            }
        }
    }
    let ours_s = median(ours);
    println!("\n== Porto, car profile: load + split + graph + R-tree (median) ==");
    println!(
        "patrolmap            {:>8.3} s   peak memory of load + graph + R-tree: {peak_mb:.0?} MB",
        ours_s
    );
    if !peer.is_empty() {
        let inside = median(peer.iter().map(|p| p.0).collect());
        let wall = median(peer.iter().map(|p| p.1).collect());
        println!(
            "pyosmium (inside)    {inside:>8.3} s   ratio {:.1}x",
            inside / ours_s
        );
        println!(
            "pyosmium (wall)      {wall:>8.3} s   ratio {:.1}x",
            wall / ours_s
        );
    }
    println!();
}

fn main() {
    side_by_side();
    divan::main();
}
