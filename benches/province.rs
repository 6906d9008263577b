//! Issue 20 item 2: a province on one server. Copies of the shared extracts side by side
//! (`network::province::compose`, seeded: Porto, and Columbus as every seventh city) joined
//! by motorways, at 1, 4 and 14 cities; for each, in a fresh process so that memory is its
//! own: composing, preparing every mode as `serve` does (`City::prepare`: graphs, snap
//! indexes, contraction hierarchies, tile and street indexes), resident memory, and the
//! coverage of 200 units per city (uniform over road length, 50 checkpoints per city) with
//! the road pieces for the tiles, as the map's first load and every what-if compute it.
//! Two designs side by side: `whole` (one graph and hierarchy per mode for the province, as
//! `serve` prepares it) and `regional` (`coverage::regions`: each city with its halo on its
//! own hierarchies; checked against a Dijkstra over the whole province before timing).
//! `tiers ms` is the standard's tiers alone (what both designs compute), `coverage ms` all
//! the map's first load needs (rows, tiers, points, pieces), `what-if ms` one unit moved.
//!
//! `cargo bench --bench province`

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use patrolmap::city::MODES;
use patrolmap::coverage::assess::{self, Roads};
use patrolmap::coverage::modes::ModeSet;
use patrolmap::coverage::{self, regions, Engine};
use patrolmap::network::province::{compose, Layout};
use patrolmap::network::{self, NoProgress, ProfileGraph, ProfileSet};
use patrolmap::scenario::generate;
use patrolmap::server::City;

const CITIES: [usize; 3] = [1, 4, 14];

fn main() {
    let asked = (
        std::env::var("PROVINCE_CITIES"),
        std::env::var("PROVINCE_DESIGN"),
    );
    if let (Ok(n), Ok(design)) = asked {
        one(n.parse().expect("a number of cities"), &design);
        return;
    }
    println!("\n== A province of copies of Porto (and Columbus every 7th), joined by motorways ==");
    println!("cities\tdesign\tnodes\tedges\tload s\tcompose s\tprepare s\tRSS MB\tpeak MB\ttiers ms\tcoverage ms\twhat-if ms");
    for n in CITIES {
        for design in ["whole", "regional"] {
            let out = Command::new(std::env::current_exe().unwrap())
                .env("PROVINCE_CITIES", n.to_string())
                .env("PROVINCE_DESIGN", design)
                .output()
                .expect("run one size");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{err}");
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
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

fn one(n: usize, design: &str) {
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
    let options = assess::Options {
        gaps: false,
        ..assess::Options::default()
    };
    let standard = options.standard.clone();
    let mut row = format!("{n}\t{design}\t{nodes}\t{edges}\t{load_s:.1}\t{compose_s:.1}");
    match design {
        "whole" => {
            // As `serve` prepares a city today: one graph and one hierarchy per mode for all.
            let start = Instant::now();
            let city = City::prepare(
                format!("province-{n}"),
                province.network,
                ProfileSet::default(),
                options,
            );
            let prepare_s = start.elapsed().as_secs_f64();
            let rss_mb = memory_kb("VmRSS:") / 1024.0;
            let scenario = scenario_of(&city.network, &city.modes.graphs[0], n);
            let modes = city.open_roads();
            let (placed, _) = coverage::place_units(&scenario.units, &modes, 100.0);
            let graphs: Vec<&ProfileGraph> = modes.iter().map(|m| m.graph).collect();
            let roads = Roads {
                network: &city.network,
                modes: &modes,
                engine: city.modes.engine(),
            };
            let tiers_ms = median_ms(5, || {
                std::hint::black_box(
                    assess::measure_tiers(roads, &graphs, &scenario, &standard, &placed).len(),
                );
            });
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
            row += &format!("\t{prepare_s:.1}\t{rss_mb:.0}\t{peak_mb:.0}\t{tiers_ms:.0}\t{coverage_ms:.0}\t{whatif_ms:.0}");
        }
        _ => {
            // Region by region: the province's graphs and snap indexes (no hierarchy), and
            // each city (and the motorways) with its halo and its own hierarchies.
            let network = province.network;
            let start = Instant::now();
            let profiles = ProfileSet::default();
            let whole = ModeSet::build(&network, &profiles, &MODES, &[]);
            let mut parts: Vec<(String, std::ops::Range<usize>)> = province
                .cities
                .iter()
                .map(|c| (c.name.clone(), c.edges.clone()))
                .collect();
            parts.push(("motorways".into(), province.motorways.clone()));
            let max_budget_s = standard
                .tiers
                .iter()
                .map(|t| t.budget_s)
                .fold(0.0, f64::max);
            let by_region = regions::prepare(&network, &whole, &profiles, &parts, max_budget_s);
            let prepare_s = start.elapsed().as_secs_f64();
            let rss_mb = memory_kb("VmRSS:") / 1024.0;
            let scenario = scenario_of(&network, &whole.graphs[0], n);
            let (placed, _) = coverage::place_units(&scenario.units, &whole.networks(), 100.0);
            let (_, total) = regions::province_tiers(&by_region, &scenario, &placed, &standard);
            // Checked against a Dijkstra over the whole province before timing.
            let modes = whole.networks();
            let graphs: Vec<&ProfileGraph> = modes.iter().map(|m| m.graph).collect();
            let roads = Roads {
                network: &network,
                modes: &modes,
                engine: Engine::Dijkstra,
            };
            let check = assess::measure_tiers(roads, &graphs, &scenario, &standard, &placed);
            for (t, c) in total.iter().zip(&check) {
                assert!(
                    (t - c.covered_m).abs() <= 1e-6 * c.covered_m.max(1.0),
                    "{t} vs {}",
                    c.covered_m
                );
            }
            let tiers_ms = median_ms(5, || {
                std::hint::black_box(
                    regions::province_tiers(&by_region, &scenario, &placed, &standard).1,
                );
            });
            // A what-if: one unit moved along its edge; the regions holding it measured again.
            let mut step = 0;
            let whatif_ms = median_ms(9, || {
                step += 1;
                let mut moved = placed.clone();
                let p = &mut moved[step * 7919 % placed.len()];
                p.fraction = 1.0 - p.fraction;
                for r in regions::regions_with_edge(&by_region, p.edge) {
                    std::hint::black_box(by_region[r].tiers(&scenario, &moved, &standard));
                }
            });
            let peak_mb = memory_kb("VmHWM:") / 1024.0;
            row += &format!(
                "\t{prepare_s:.1}\t{rss_mb:.0}\t{peak_mb:.0}\t{tiers_ms:.0}\t-\t{whatif_ms:.0}"
            );
        }
    }
    println!("{row}");
}

/// 200 units per city on average (uniform over road length) and 50 checkpoints.
fn scenario_of(
    network: &network::RoadNetwork,
    car: &ProfileGraph,
    n: usize,
) -> patrolmap::scenario::Scenario {
    generate::random_scenario(network, car, 200 * n, 50 * n, 7)
}
