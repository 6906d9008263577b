//! Live operations on Porto (`../shared/data/porto.osm.pbf`): 200 seeded random car units
//! with live positions on the move (heading and speed), 50 checkpoints, the 1-3-5 standard.
//! The 110 call's package (one backward search from the call) side by side with the same
//! answer from one forward search per unit; a batch of 200 positions snapped by heading; and
//! the live coverage refresh (the units where they are, evaluated as a what-if).
//!
//! `cargo bench --bench live`

use std::path::PathBuf;

use patrolmap::city::City;
use patrolmap::coverage::{self, assess, search, ResponseStandard};
use patrolmap::live::{call_package, Board, BoardOptions, PositionReport};
use patrolmap::network::{self, NoProgress, ProfileSet};
use patrolmap::scenario::{generate, Scenario};
use patrolmap::stop::Stop;

const SEED: u64 = 21;
const NOW_S: f64 = 1_764_806_400.0;

struct Setup {
    city: City,
    plan: Scenario,
    board: Board,
    /// Where the calls come from.
    calls: Vec<[f64; 2]>,
}

/// The units' positions at `time_s`: each moved a little along a seeded heading.
fn reports(plan: &Scenario, time_s: f64, step: u64) -> Vec<PositionReport> {
    plan.units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let h = ((i as u64 + 1) * 0x9E37_79B9_7F4A_7C15).rotate_left(7) % 360;
            let nudge = 1e-5 * step as f64;
            PositionReport {
                unit: u.id.clone(),
                lon_lat: [u.position[0] + nudge, u.position[1]],
                time_s,
                heading_deg: Some(h as f64),
                speed_kph: Some(40.0),
            }
        })
        .collect()
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
        let plan = generate::random_scenario(&city.network, &city.modes.graphs[0], 200, 50, SEED);
        let calls =
            generate::random_scenario(&city.network, &city.modes.graphs[0], 32, 0, SEED + 1)
                .units
                .iter()
                .map(|u| u.position)
                .collect();
        let mut board = Board::new(&plan, BoardOptions::default());
        let verdicts = board.apply(
            &city.network,
            &city.open_roads(),
            &reports(&plan, NOW_S, 0),
            NOW_S,
        );
        assert!(verdicts.iter().all(|v| v.is_ok()));
        Setup {
            city,
            plan,
            board,
            calls,
        }
    })
}

fn main() {
    divan::main();
}

/// The 110 call's response package with 200 live units: every unit's exact arrival and
/// route, the standard at the call.
#[divan::bench(sample_count = 64)]
fn call_package_200_units(bencher: divan::Bencher) {
    let s = setup();
    let modes = s.city.open_roads();
    let standard = ResponseStandard::default();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % s.calls.len();
        call_package(
            &s.city.network,
            &modes,
            &s.plan,
            &s.board,
            &standard,
            s.calls[i],
            10,
            NOW_S,
            200.0,
        )
        .expect("a call on the roads")
    });
}

/// The same arrivals the way a search from each unit finds them (what who-reaches does for
/// the plan, and what a CAD ranking by drive time does): one bounded Dijkstra per unit, then
/// its arrival at the call. The reference the package is compared with.
#[divan::bench(sample_count = 16)]
fn call_by_one_search_per_unit(bencher: divan::Bencher) {
    let s = setup();
    let modes = s.city.open_roads();
    let graph = modes[0].graph;
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % s.calls.len();
        let target = modes[0].index.snap(s.calls[i], 200.0).unwrap();
        let edge = &s.city.network.edges[target.edge as usize];
        let mut best = Vec::new();
        for u in s.board.units() {
            let fix = u.fix.as_ref().unwrap();
            let placement = coverage::Placement {
                unit: u.unit as u32,
                mode_index: 0,
                edge: fix.on_road.edge,
                fraction: fix.on_road.fraction,
                start_s: 0.0,
                dist_m: 0.0,
            };
            let mut sources = Vec::new();
            coverage::sources_of(&s.city.network, graph, &placement, &mut sources);
            let labels = search::nearest(graph, &sources, 600.0);
            let f = target.fraction;
            let t = (labels.nearest_s(edge.from)
                + f * graph.edge_forward_time_s[target.edge as usize])
                .min(
                    labels.nearest_s(edge.to)
                        + (1.0 - f) * graph.edge_backward_time_s[target.edge as usize],
                );
            best.push(t);
        }
        best
    });
}

/// A gateway's batch of 200 positions, each snapped by its heading to the car roads.
#[divan::bench(sample_count = 32)]
fn live_positions_200(bencher: divan::Bencher) {
    let s = setup();
    let modes = s.city.open_roads();
    let mut board = s.board.clone();
    let mut step = 0u64;
    bencher.bench_local(|| {
        step += 1;
        let batch = reports(&s.plan, NOW_S + step as f64, step);
        board.apply(&s.city.network, &modes, &batch, NOW_S + step as f64)
    });
}

/// The live coverage refresh: the 200 units where they are now, evaluated (what
/// `GET /api/live/coverage` does when the board moved).
#[divan::bench(sample_count = 16)]
fn live_coverage_refresh(bencher: divan::Bencher) {
    let s = setup();
    bencher.bench_local(|| s.city.evaluate(s.board.deployment(&s.plan, NOW_S)));
}

/// Move-up with 20 of the 200 units away: at most 3 moves to the plan's 200 places (the
/// nearest 10 units to each), chosen on the node model, then measured exactly before and
/// after (what `POST /api/live/moveup` does).
#[divan::bench(sample_count = 8)]
fn move_up_20_away(bencher: divan::Bencher) {
    use patrolmap::city::MoveTarget;
    use patrolmap::live::moveup::MoveUpOptions;
    let s = setup();
    let mut board = s.board.clone();
    for u in s.plan.units.iter().take(20) {
        board
            .set_status(&u.id, patrolmap::live::Status::EnRoute)
            .unwrap();
    }
    let base = s.city.evaluate(s.plan.clone());
    let targets = MoveTarget::of_plan(&s.plan);
    bencher.bench_local(|| {
        s.city
            .move_up(&base, &board, &targets, &MoveUpOptions::default(), NOW_S)
    });
}

/// A day of 2,000 calls at 500 seeded places with the first 50 units of the Porto plan,
/// run with `policies` (empty: none); the first `patrols` of them on patrol.
fn drill_day(
    bencher: divan::Bencher,
    policies: &[patrolmap::live::simulate::MoveUpPolicy],
    patrols: usize,
) {
    use patrolmap::live::simulate::DrillOptions;
    let s = setup();
    let mut plan = s.plan.clone();
    plan.units.truncate(50);
    plan.incidents.clear();
    let options = DrillOptions {
        calls_per_hour: 2000.0 / 24.0,
        hours: 24.0,
        on_scene_mean_s: 600.0,
        seed: 3,
        patrols: patrol_routes(&s.city, &plan, patrols),
        ..Default::default()
    };
    bencher.bench_local(|| s.city.drill(&plan, &options, policies, &Stop::never()));
}

/// Patrol rounds for the first `count` units of `plan`: from the node nearest each unit's
/// post the quickest way to another unit's post and back (tens of minutes on Porto).
fn patrol_routes(
    city: &City,
    plan: &Scenario,
    count: usize,
) -> Vec<(
    patrolmap::patrol::plan::PatrolUnit,
    Vec<patrolmap::patrol::paths::Step>,
)> {
    use patrolmap::patrol::paths::PathSearch;
    use patrolmap::patrol::plan::PatrolUnit;
    let (network, graph, index) = (&city.network, &city.modes.graphs[0], &city.modes.indexes[0]);
    let mut search = PathSearch::new(network.nodes.len());
    let units: Vec<PatrolUnit> = plan
        .units
        .iter()
        .map(|u| {
            PatrolUnit::at(u.id.clone(), u.position, network, index, 200.0).expect("on a road")
        })
        .collect();
    (0..count)
        .filter_map(|i| {
            let (home, far) = (units[i].depot, units[(i + 17) % units.len()].depot);
            let (_, out) = search.quickest(network, graph, home, far)?;
            let (_, back) = search.quickest(network, graph, far, home)?;
            Some((units[i].clone(), [out, back].concat()))
        })
        .collect()
}

/// Issue 21 item 5: a simulated day of 2,000 calls with 50 units on Porto: the travel
/// times from every post to 500 places, the calls, each sent 3 units, measured (what
/// `patrolmap live simulate` does after loading).
#[divan::bench(sample_count = 4)]
fn drill_day_2000_calls_50_units(bencher: divan::Bencher) {
    drill_day(bencher, &[], 0);
}

/// The same day with 10 of the 50 units on patrol (out to another post and back, round and
/// round): their spots, a minute apart, join the travel times, and the coverage follows
/// them every minute.
#[divan::bench(sample_count = 4)]
fn drill_day_2000_calls_50_units_10_on_patrol(bencher: divan::Bencher) {
    drill_day(bencher, &[], 10);
}

/// The same day with move-up policies side by side on the same calls: none, the fixed
/// table and greedy (up to 3 moves after every dispatch and return, each scored over the
/// 500 places); the drives between the 50 posts included.
#[divan::bench(sample_count = 4)]
fn drill_day_2000_calls_50_units_three_policies(bencher: divan::Bencher) {
    use patrolmap::live::simulate::MoveUpPolicy;
    drill_day(
        bencher,
        &[
            MoveUpPolicy::None,
            MoveUpPolicy::Table,
            MoveUpPolicy::Greedy { max_moves: 3 },
        ],
        0,
    );
}
