//! `patrolmap optimize` (where the next posts go: the most demand met by K more, or the
//! fewest that meet all of it) and `patrolmap event plan` (temporary posts for an event
//! venue and their compliance with its standard). The scenario's units stay where they are,
//! its closures are honoured and its no-go areas kept free. Every answer with its bound.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use super::network_cmd::{load_roads, ProfileArgs};
use super::write_json;
use crate::city::MODES;
use crate::coverage::closures::closed_edges;
use crate::coverage::modes::ModeSet;
use crate::coverage::ResponseStandard;
use crate::network::RoadNetwork;
use crate::optimize::answer::{answer, posts_geojson, Ask};
use crate::optimize::event::{plan_event, standard_for, EventRequest};
use crate::optimize::exact::Limits;
use crate::optimize::matrix::PlacementInstance;
use crate::optimize::problem::{parse_targets, prepare, Candidates, DemandKind, Question};
use crate::scenario::{AreaKind, Scenario};
use crate::stop::Stop;

/// What both commands share: roads, scenario, candidates.
#[derive(Debug, Args)]
pub struct PlacementArgs {
    /// Road file: .osm.pbf or GeoJSON roads.
    #[arg(long)]
    roads: PathBuf,
    /// Scenario: its units and posts stay (each counted on this mode's roads where it
    /// stands), its closures are honoured, its `no_go` areas keep posts out, and its sites,
    /// `candidate` points and `event_area`s can be used.
    #[arg(long)]
    scenario: PathBuf,
    /// Where posts may stand: `nodes` (every road node), `scenario` (its `candidate`
    /// points), `grid:SPACING_M` (a grid over the area or the whole map), `random:COUNT:SEED`
    /// (road nodes drawn at random), or a GeoJSON file of Points.
    #[arg(long, default_value = "nodes")]
    candidates: String,
    /// Farthest a unit, site or candidate may stand from a road, in metres.
    #[arg(long, default_value_t = 250.0, value_parser = super::snap_distance_m)]
    max_snap_m: f64,
    /// How long the whole answer may take, matrix and search: seconds, or 1m (`time_limit_s`
    /// in the API); then it answers with its best and a bound (or, when even the matrix is
    /// not done, says how to ask less).
    #[arg(long = "time-limit-s", alias = "time-limit", value_name = "DURATION", default_value = "10", value_parser = super::duration_s)]
    time_limit: f64,
    /// Write the report here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the new posts here as GeoJSON Points (`kind: post`, rank, gain).
    #[arg(long)]
    geojson: Option<PathBuf>,
    #[command(flatten)]
    profile: ProfileArgs,
}

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    #[command(flatten)]
    place: PlacementArgs,
    /// How many posts to add for the most demand met (the default question, 10 posts).
    #[arg(long, conflicts_with = "cover")]
    add: Option<usize>,
    /// Instead: the fewest posts that meet all of this demand (`checkpoints`, `key_sites`,
    /// `incidents`, `sites` or `roads`), and what cannot be met and why.
    #[arg(long)]
    cover: Option<DemandKind>,
    /// What is counted with --add: `roads` (by length), `checkpoints`, `key_sites`,
    /// `incidents` or `sites` (by weight).
    #[arg(long, default_value = "roads")]
    demand: DemandKind,
    /// The budget demand must be reached within: seconds, or 3m, 90s (`budget_s` in the
    /// API).
    #[arg(long = "budget-s", alias = "budget", value_name = "DURATION", default_value = "180", value_parser = super::duration_s)]
    budget: f64,
    /// Distinct units that must reach it (2 or more: reinforcement; the scenario's units count).
    #[arg(long, default_value_t = 1)]
    units: u32,
    /// Instead of --budget-s/--units, a weighted mix: `BUDGET_S:UNITS:WEIGHT,…`
    /// (e.g. `60:1:3,180:2:2,300:3:1`).
    #[arg(long)]
    targets: Option<String>,
    /// Only demand inside this area of the scenario (an `event_area` or other polygon id),
    /// and node or grid candidates within --margin-m of it.
    #[arg(long)]
    area: Option<String>,
    /// How far outside --area candidates may stand, in metres.
    #[arg(long, default_value_t = 500.0)]
    margin_m: f64,
    /// Also write the coverage matrix here as JSON (weights, need, covers, K), for the peers
    /// in `bench/optimize_peers.py`.
    #[arg(long)]
    instance: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Temporary posts for an event venue so that its roads and hot spots meet its standard;
    /// the compliance table tier by tier; what still fails.
    Plan {
        #[command(flatten)]
        place: PlacementArgs,
        /// The venue: the id of an `event_area` of the scenario (the first when not given).
        #[arg(long)]
        area: Option<String>,
        /// The event's standard (`BUDGET_S:UNITS,…`); default the area's `standard`, else
        /// 60:1,180:2,300:3.
        #[arg(long)]
        standard: Option<ResponseStandard>,
        /// Exactly this many temporary posts (the most compliance they give); default the
        /// fewest that meet everything that can be met.
        #[arg(long)]
        posts: Option<usize>,
        /// How far outside the venue temporary posts may stand, in metres.
        #[arg(long, default_value_t = 300.0)]
        margin_m: f64,
    },
}

/// The roads, every mode's graph and snap index (closures left out; the posts' mode first,
/// the others for the scenario's units, each measured on its own) and the scenario.
struct Loaded {
    network: RoadNetwork,
    modes: ModeSet,
    scenario: Scenario,
}

/// The most memory the command line's matrices may take (it runs on the planner's own
/// machine; the server's limit is lower).
const CLI_MATRIX_BYTES: usize = 4 << 30;

fn load(place: &PlacementArgs) -> Result<Loaded> {
    if !(place.time_limit.is_finite() && place.time_limit > 0.0 && place.time_limit <= 3600.0) {
        bail!("--time-limit-s must be from 0 to 3600 seconds");
    }
    let profiles = place.profile.profiles()?;
    let loaded = load_roads(&place.roads, &profiles, place.profile.profile)?;
    let scenario = crate::files::load_scenario(&place.scenario)?;
    for p in &scenario.problems {
        eprintln!(
            "warning: {}: feature {}: {}",
            place.scenario.display(),
            p.feature,
            p.reason
        );
    }
    let network = loaded.network;
    let closed = closed_edges(&network, &scenario.closures);
    if closed.contains(&true) {
        eprintln!(
            "{} closures close {} road edges",
            scenario.closures.len(),
            closed.iter().filter(|&&c| c).count()
        );
    }
    let mut order = vec![place.profile.profile];
    order.extend(MODES.iter().filter(|&&m| m != place.profile.profile));
    let modes = ModeSet::build(&network, &profiles, &order, &closed);
    Ok(Loaded {
        network,
        modes,
        scenario,
    })
}

/// The candidates argument: a keyword or a GeoJSON file of Points.
fn candidates_of(text: &str) -> Result<Candidates> {
    match text.parse::<Candidates>() {
        Ok(c) => Ok(c),
        Err(_) if Path::new(text).is_file() => {
            Ok(Candidates::Points(read_points(Path::new(text))?))
        }
        Err(e) => bail!("--candidates: {e}"),
    }
}

/// Candidate points from a GeoJSON file: every Point feature.
fn read_points(path: &Path) -> Result<Vec<[f64; 2]>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the candidates {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let features = value["features"]
        .as_array()
        .with_context(|| format!("{}: not a GeoJSON FeatureCollection", path.display()))?;
    let points: Vec<[f64; 2]> = features
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .filter_map(|f| serde_json::from_value(f["geometry"]["coordinates"].clone()).ok())
        .collect();
    if points.is_empty() {
        bail!("{}: no Point features to use as candidates", path.display());
    }
    Ok(points)
}

pub fn run(args: OptimizeArgs) -> Result<()> {
    let targets = match &args.targets {
        Some(text) => parse_targets(text).map_err(|e| anyhow::anyhow!("--targets: {e}"))?,
        None => parse_targets(&format!("{}:{}", args.budget, args.units))
            .map_err(|e| anyhow::anyhow!("--budget-s/--units: {e}"))?,
    };
    let add = args.add.unwrap_or(10);
    if args.cover.is_none() && !(1..=1000).contains(&add) {
        bail!("--add must be from 1 to 1000");
    }
    let place = &args.place;
    let l = load(place)?;
    let area = match &args.area {
        None => None,
        Some(id) => Some(
            l.scenario
                .areas
                .iter()
                .find(|a| &a.id == id)
                .with_context(|| {
                    format!(
                        "--area {id}: no area with that id in {}",
                        place.scenario.display()
                    )
                })?
                .ring
                .clone(),
        ),
    };
    let question = Question {
        demand: args.cover.unwrap_or(args.demand),
        targets: targets.clone(),
        candidates: candidates_of(&place.candidates)?,
        area,
        margin_m: args.margin_m,
        max_snap_m: place.max_snap_m,
        max_matrix_bytes: CLI_MATRIX_BYTES,
    };
    let start = Instant::now();
    let stop = Stop::after(Duration::from_secs_f64(place.time_limit));
    let prepared = prepare(
        &l.network,
        &l.modes.networks(),
        &l.scenario,
        &question,
        &stop,
    )?;
    let matrix_s = start.elapsed().as_secs_f64();
    for s in &prepared.skipped {
        eprintln!("warning: left out: {s}");
    }
    if let Some(path) = &args.instance {
        let m = &prepared.matrix;
        write_json(
            path,
            &PlacementInstance {
                k: add,
                weights: &m.weights,
                need: &m.need,
                covers: &m.covers,
                existing: m.existing,
                total: m.total,
                targets: &targets,
            },
        )?;
    }
    let limits = Limits {
        stop,
        ..Limits::default()
    };
    let ask = match args.cover {
        Some(_) => Ask::Cover,
        None => Ask::Add(add),
    };
    let a = answer(&l.network, &prepared, &targets, ask, &limits);
    let demand = serde_json::to_value(question.demand)?;
    if ask == Ask::Cover {
        println!(
            "{} posts meet all of the {} that can be met ({}; the {} units alone meet {:.2}%); matrix {:.2} s, search {:.2} s",
            a.added.len(),
            demand.as_str().unwrap_or(""),
            if a.proven {
                "proven the fewest".to_string()
            } else {
                format!("no fewer than {} can", a.lower_bound)
            },
            a.existing_units,
            100.0 * a.share_before,
            matrix_s,
            a.timings_ms.search / 1e3
        );
        for u in &a.cannot_be_met {
            println!("  cannot be met: {}: {}", u.element, u.why);
        }
    } else {
        println!(
            "{} posts added of {} candidates: {:.2}% of the demand met (the {} units alone: {:.2}%); no {} posts can do better than {:.2}% ({}, gap {:.3}%); matrix {:.2} s, search {:.2} s ({} nodes)",
            a.added.len(),
            a.candidates,
            100.0 * a.share,
            a.existing_units,
            100.0 * a.share_before,
            add,
            100.0 * a.upper_bound_share,
            if a.proven { "proven optimal" } else { "time limit reached" },
            100.0 * a.gap,
            matrix_s,
            a.timings_ms.search / 1e3,
            a.nodes
        );
    }
    let unit = if question.demand == DemandKind::Roads {
        " m"
    } else {
        ""
    };
    for p in &a.added {
        println!(
            "  {:>3}. node {} at [{:.6}, {:.6}]: adds {:.0}{unit}",
            p.rank, p.node, p.position[0], p.position[1], p.gain
        );
    }
    if let Some(path) = &place.json {
        write_json(path, &a)?;
    }
    if let Some(path) = &place.geojson {
        write_json(path, &posts_geojson(&a.added, |p| p.position, |p| p.rank))?;
    }
    Ok(())
}

pub fn run_event(cmd: EventCommand) -> Result<()> {
    let EventCommand::Plan {
        place,
        area,
        standard,
        posts,
        margin_m,
    } = cmd;
    let l = load(&place)?;
    let venues: Vec<_> = l
        .scenario
        .areas
        .iter()
        .filter(|a| a.kind == AreaKind::Event)
        .collect();
    let venue = match &area {
        Some(id) => venues.iter().find(|a| &a.id == id).with_context(|| {
            format!(
                "--area {id}: no event_area with that id in {}",
                place.scenario.display()
            )
        })?,
        None => venues.first().with_context(|| {
            format!(
                "{}: no event_area polygon to plan for",
                place.scenario.display()
            )
        })?,
    };
    let standard =
        standard_for(venue, standard).with_context(|| place.scenario.display().to_string())?;
    let request = EventRequest {
        standard,
        posts,
        margin_m,
        candidates: candidates_of(&place.candidates)?,
        max_snap_m: place.max_snap_m,
        stop: Stop::after(Duration::from_secs_f64(place.time_limit)),
        max_matrix_bytes: CLI_MATRIX_BYTES,
    };
    let start = Instant::now();
    let plan = plan_event(
        &l.network,
        &l.modes.networks(),
        &l.scenario,
        venue,
        &request,
    )?;
    println!(
        "event {}{}: {} temporary posts{} against {} (of {} candidate places, {:.2} s)",
        plan.area,
        plan.name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        plan.posts.len(),
        if posts.is_some() {
            String::new()
        } else if plan.minimal {
            ", proven the fewest".into()
        } else {
            format!(", no fewer than {}", plan.lower_bound)
        },
        plan.standard,
        plan.candidates,
        start.elapsed().as_secs_f64()
    );
    for t in &plan.compliance {
        println!(
            "  {} s, {} units: road {:.1}% -> {:.1}% of {:.0} m; hot spots {} -> {} of {}{}",
            t.budget_s,
            t.units,
            100.0 * t.road_met_before_m / t.road_m.max(1e-9),
            100.0 * t.road_met_after_m / t.road_m.max(1e-9),
            t.road_m,
            t.hot_spots_met_before,
            t.hot_spots_met_after,
            t.hot_spots,
            if t.failing_hot_spots.is_empty() {
                String::new()
            } else {
                format!("; still failing: {}", t.failing_hot_spots.join(", "))
            }
        );
    }
    for s in &plan.skipped {
        eprintln!("warning: left out: {s}");
    }
    if let Some(path) = &place.json {
        write_json(path, &plan)?;
    }
    if let Some(path) = &place.geojson {
        write_json(
            path,
            &posts_geojson(&plan.posts, |p| p.position, |p| p.rank),
        )?;
    }
    Ok(())
}
