//! The command map's what-if on Porto (`../shared/data/porto.osm.pbf`): 200 seeded random
//! units (car) and 50 checkpoints, the 1-3-5 minute standard; one unit moved per update, as
//! when a planner drags it. Also the road tiles the map then asks for, and the same at a time
//! of day (a generated speed file: every way, each direction, a speed per hour).
//!
//! `cargo bench --bench whatif`

use std::path::PathBuf;

use patrolmap::coverage::assess;
use patrolmap::network::time_of_day::SpeedTable;
use patrolmap::network::{self, NoProgress, ProfileSet};
use patrolmap::scenario::{generate, Closure, Scenario};
use patrolmap::server::{AppState, City};
use patrolmap::tiles::TileId;

const SEED: u64 = 7;

struct Setup {
    state: AppState,
    scenario: Scenario,
}

fn setup() -> &'static Setup {
    static SETUP: std::sync::OnceLock<Setup> = std::sync::OnceLock::new();
    SETUP.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/porto.osm.pbf");
        let network = network::load(&path, &NoProgress).expect("porto");
        let options = assess::Options {
            gaps: false,
            ..assess::Options::default()
        };
        let city = City::prepare("porto".into(), network, ProfileSet::default(), options);
        let table = hourly_speeds(&city.network);
        let city = city.with_traffic(table, "generated hourly speeds");
        let scenario =
            generate::random_scenario(&city.network, &city.modes.graphs[0], 200, 50, SEED);
        let base = city.evaluate(scenario.clone());
        Setup {
            state: AppState::new(city, base),
            scenario,
        }
    })
}

/// A speed file as a traffic feed writes it: every way of `network`, each direction, one row
/// per hour at 25-100 % of a free-flow 50 km/h (a fixed hash of way, direction and hour).
fn hourly_speeds(network: &network::RoadNetwork) -> SpeedTable {
    let mut ways: Vec<i64> = network.edges.iter().map(|e| e.osm_way_id).collect();
    ways.sort_unstable();
    ways.dedup();
    let mut csv = String::from("osm_way_id,direction,time,speed_kph\n");
    for w in ways {
        for (d, salt) in [("forward", 1u64), ("backward", 2)] {
            for hour in 0..24u64 {
                let h =
                    ((w as u64 * 4 + salt) * 32 + hour).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                let kph = 50.0 * (0.25 + 0.75 * (h % 1000) as f64 / 999.0);
                csv += &format!("{w},{d},{hour:02}:00,{kph:.1}\n");
            }
        }
    }
    SpeedTable::parse(&csv, "hourly.csv").expect("a generated file reads")
}

fn main() {
    divan::main();
}

/// Issue 20: a what-if at an hour not asked for lately (the car graph re-timed and its CCH
/// customised, then the same update as `whatif_update`); each sample a new hour of the 24.
#[divan::bench(sample_count = 24, sample_size = 1)]
fn whatif_at_a_new_hour(bencher: divan::Bencher) {
    let s = setup();
    let mut hour = 0u16;
    bencher.bench_local(|| {
        hour = (hour + 5) % 24;
        let evaluation = s
            .state
            .city
            .evaluate_at(s.scenario.clone(), Some(hour * 60));
        divan::black_box(s.state.city.summary(1, &evaluation).tiers.len())
    });
}

/// A what-if at an hour asked for lately (its customised hierarchy kept).
#[divan::bench(sample_count = 40)]
fn whatif_at_a_kept_hour(bencher: divan::Bencher) {
    let s = setup();
    let mut step = 0usize;
    bencher.bench_local(|| {
        step += 1;
        let mut scenario = s.scenario.clone();
        scenario.units[step % 200].position[0] += if step % 2 == 0 { 5e-4 } else { -5e-4 };
        let evaluation = s.state.city.evaluate_at(scenario, Some(8 * 60));
        divan::black_box(s.state.city.summary(1, &evaluation).tiers.len())
    });
}

/// The day chart: each tier's share at each of the 24 hours (24 periods here: 24
/// customisations and assessments).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn day_chart(bencher: divan::Bencher) {
    let s = setup();
    let stop = patrolmap::stop::Stop::never();
    bencher.bench(|| {
        divan::black_box(
            s.state
                .city
                .day_chart(&s.scenario, &stop)
                .unwrap()
                .hours
                .len(),
        )
    });
}

/// One update: the moved scenario evaluated (snap, searches, covered length, tiers, points,
/// road pieces for the tiles) and its summary serialised, as `/api/whatif` does.
#[divan::bench(sample_count = 40)]
fn whatif_update(bencher: divan::Bencher) {
    let s = setup();
    let mut step = 0usize;
    bencher.bench_local(|| {
        step += 1;
        let mut scenario = s.scenario.clone();
        let unit = &mut scenario.units[step % 200];
        unit.position[0] += if step % 2 == 0 { 5e-4 } else { -5e-4 };
        let evaluation = s.state.city.evaluate(scenario);
        let summary = s.state.city.summary(step as u64, &evaluation);
        divan::black_box(serde_json::to_vec(&summary).unwrap().len())
    });
}

/// The same with one road closed (a planner's click): the graphs of every mode are rebuilt
/// without it and searched with Dijkstra, as the hierarchies no longer hold.
#[divan::bench(sample_count = 20)]
fn whatif_update_with_a_closed_road(bencher: divan::Bencher) {
    let s = setup();
    let network = &s.state.city.network;
    // The longest car edge near the centre.
    let e = (0..network.edges.len())
        .filter(|&e| s.state.city.modes.graphs[0].is_usable(e))
        .max_by(|&a, &b| {
            network.edges[a]
                .length_m
                .total_cmp(&network.edges[b].length_m)
        })
        .unwrap();
    let mut scenario = s.scenario.clone();
    scenario.closures.push(Closure {
        id: "works".into(),
        ring: network.geometry(e).to_vec(),
        polygon: false,
        feature: 0,
    });
    let mut step = 0usize;
    bencher.bench_local(|| {
        step += 1;
        let mut scenario = scenario.clone();
        scenario.units[step % 200].position[0] += if step % 2 == 0 { 5e-4 } else { -5e-4 };
        let evaluation = s.state.city.evaluate(scenario);
        assert!(evaluation.closed_count > 0);
        let summary = s.state.city.summary(step as u64, &evaluation);
        divan::black_box(serde_json::to_vec(&summary).unwrap().len())
    });
}

/// Road tiles of the loaded scenario: a whole-city tile (zoom 12, pieces merged per tier) and
/// a detail tile (zoom 15, one feature per piece) at the centre of Porto.
#[divan::bench(args = [12, 15], sample_count = 40)]
fn road_tile(bencher: divan::Bencher, z: u32) {
    let s = setup();
    let evaluation = s.state.revisions.base().clone();
    let (lon, lat) = (-8.611_f64, 41.149_f64);
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let r = lat.to_radians();
    let y =
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    let id = TileId::new(z, x, y).unwrap();
    bencher.bench(|| divan::black_box(s.state.city.road_tile(&evaluation, id).len()));
}

/// The tier areas of a revision traced, simplified and indexed: what the first area tile of a
/// revision waits for (then kept with it).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn tier_areas_of_a_revision(bencher: divan::Bencher) {
    let s = setup();
    bencher.bench(|| {
        // A fresh evaluation each time: the areas are made once per revision.
        let evaluation = s.state.city.evaluate(s.scenario.clone());
        divan::black_box(s.state.city.tier_areas(&evaluation).tiers().len())
    });
}

/// One tier-area tile over the centre once the revision's areas are made (the map asks for a
/// dozen per view).
#[divan::bench(args = [11, 13, 15], sample_count = 20)]
fn area_tile(bencher: divan::Bencher, z: u32) {
    let s = setup();
    let evaluation = s.state.revisions.base().clone();
    s.state.city.tier_areas(&evaluation);
    let id = TileId::containing(z, [-8.611, 41.149]).unwrap();
    bencher.bench(|| divan::black_box(s.state.city.area_tile(&evaluation, id).len()));
}
