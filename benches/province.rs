//! Issue 20 item 2: a province on one server. Copies of the shared extracts side by side
//! (`network::province::compose`, seeded: Porto, and Columbus as every seventh city) joined
//! by motorways, at 1, 4 and 14 cities; for each, in a fresh process so that memory is its
//! own: composing, preparing every mode as `serve` does (`City::prepare`: graphs, snap
//! indexes, contraction hierarchies, tile and street indexes), resident memory, and the
//! coverage of 200 units per city (uniform over road length, 50 checkpoints per city) with
//! the road pieces for the tiles, as the map's first load and every what-if compute it.
//!
//! `cargo bench --bench province`

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use patrolmap::coverage::assess;
use patrolmap::network::province::{compose, Layout};
use patrolmap::network::{self, NoProgress, ProfileSet};
use patrolmap::scenario::generate;
use patrolmap::server::City;

const CITIES: [usize; 3] = [1, 4, 14];

fn main() {
    if let Ok(n) = std::env::var("PROVINCE_CITIES") {
        one(n.parse().expect("a number of cities"));
        return;
    }
    println!("\n== A province of copies of Porto (and Columbus every 7th), joined by motorways ==");
    println!("cities\tnodes\tedges\tload s\tcompose s\tprepare s\tRSS MB\tpeak MB\tcoverage ms\twhat-if ms");
    for n in CITIES {
        let out = Command::new(std::env::current_exe().unwrap())
            .env("PROVINCE_CITIES", n.to_string())
            .output()
            .expect("run one size");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

/// Kilobytes of the process's memory from `/proc/self/status` (`VmRSS`, `VmHWM`).
fn memory_kb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[runs / 2]
}

fn one(n: usize) {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let start = Instant::now();
    let porto = network::load(&data.join("porto.osm.pbf"), &NoProgress).expect("porto");
    let columbus = network::load(&data.join("columbus.osm.pbf"), &NoProgress).expect("columbus");
    let load_s = start.elapsed().as_secs_f64();
    let cities: Vec<(&str, &network::RoadNetwork)> = (0..n)
        .map(|i| {
            if i % 7 == 6 {
                ("columbus", &columbus)
            } else {
                ("porto", &porto)
            }
        })
        .collect();
    let start = Instant::now();
    let province = compose(&cities, &Layout::default());
    let compose_s = start.elapsed().as_secs_f64();
    drop((porto, columbus));
    let (nodes, edges) = (province.network.nodes.len(), province.network.edges.len());
    let start = Instant::now();
    let options = assess::Options {
        gaps: false,
        ..assess::Options::default()
    };
    let city = City::prepare(
        format!("province-{n}"),
        province.network,
        ProfileSet::default(),
        options,
    );
    let prepare_s = start.elapsed().as_secs_f64();
    let rss_mb = memory_kb("VmRSS:") / 1024.0;
    let scenario =
        generate::random_scenario(&city.network, &city.modes.graphs[0], 200 * n, 50 * n, 7);
    let coverage_ms = median_ms(5, || {
        std::hint::black_box(city.evaluate(scenario.clone()).compute_s);
    });
    let mut step = 0;
    let whatif_ms = median_ms(9, || {
        step += 1;
        let mut moved = scenario.clone();
        let unit = step % moved.units.len();
        moved.units[unit].position[0] += 5e-4;
        std::hint::black_box(city.summary(1, &city.evaluate(moved)).tiers.len());
    });
    let peak_mb = memory_kb("VmHWM:") / 1024.0;
    println!(
        "{n}\t{nodes}\t{edges}\t{load_s:.1}\t{compose_s:.1}\t{prepare_s:.1}\t{rss_mb:.0}\t{peak_mb:.0}\t{coverage_ms:.0}\t{whatif_ms:.0}"
    );
}
