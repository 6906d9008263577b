//! `patrolmap patrol match|plan`: the mandatory patrol lines matched to the roads and the
//! checkpoints placed on them (with what failed and why), and routes planned over them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use super::network_cmd::{load_roads, ProfileArgs};
use super::write_json;
use crate::network::SnapIndex;
use crate::patrol::matching::MatchOptions;
use crate::patrol::report::{PatrolReport, PatrolTimings, PlanMade, ShiftCoverageReport};
use crate::patrol::requirements::{matched_lines_geojson, MatchReport, MatchTimings, Requirements};
use crate::scenario;

#[derive(Debug, Subcommand)]
pub enum PatrolCommand {
    /// Match every mandatory patrol line to the roads (hidden Markov model) and place every
    /// checkpoint on its road; report each line's fit and anything that could not be matched.
    Match {
        /// Road file: .osm.pbf or GeoJSON roads.
        #[arg(long)]
        roads: PathBuf,
        /// Scenario with `patrol_line` LineStrings and `checkpoint` Points.
        #[arg(long)]
        scenario: PathBuf,
        /// Farthest road a line's sample may be matched to, in metres.
        #[arg(long, default_value_t = 40.0)]
        radius_m: f64,
        /// Farthest a checkpoint may stand from a road, in metres.
        #[arg(long, default_value_t = 250.0, value_parser = super::snap_distance_m)]
        max_snap_m: f64,
        /// Write the report here as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the matched roads here as GeoJSON: one MultiLineString per line.
        #[arg(long)]
        geojson: Option<PathBuf>,
        /// Also measure each line as a source of response: the road reached within 60, 180
        /// and 300 s from the best point of the line and from anywhere on it (worst case).
        #[arg(long)]
        line_coverage: bool,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Check a plan, as planned or edited by hand (in QGIS, say): every route continuous,
    /// legal (one-ways), closed at its start and within the shift, every line travelled and
    /// every checkpoint passed. A route whose line no longer follows its `steps` is matched to
    /// the roads anew.
    Check {
        /// Road file: .osm.pbf or GeoJSON roads.
        #[arg(long)]
        roads: PathBuf,
        /// Scenario with the `patrol_line`s and `checkpoint`s the plan must cover.
        #[arg(long)]
        scenario: PathBuf,
        /// The plan: a GeoJSON FeatureCollection of route LineStrings (as `patrol plan -o`
        /// writes), each with a `unit` property.
        #[arg(long)]
        plan: PathBuf,
        /// Shift length: 8h, 90m, 3600s or seconds (`shift_s` in the API).
        #[arg(
            long = "shift-s",
            alias = "shift",
            value_name = "DURATION",
            default_value = "8h"
        )]
        shift: String,
        /// Write the report here as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Farthest a checkpoint may stand from a road, in metres.
        #[arg(long, default_value_t = 250.0, value_parser = super::snap_distance_m)]
        max_snap_m: f64,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Plan routes for K units from their posts that travel every mandatory line and pass every
    /// checkpoint, balanced (shortest longest route, then least total), checked independently.
    Plan {
        /// Road file: .osm.pbf or GeoJSON roads.
        #[arg(long)]
        roads: PathBuf,
        /// Scenario with `patrol_line`s, `checkpoint`s and the `post`s units start from.
        #[arg(long)]
        scenario: PathBuf,
        /// Number of patrol units (they take the posts in order, round again when more).
        #[arg(long, default_value_t = 1)]
        units: usize,
        /// Shift length: 8h, 90m, 3600s or seconds (`shift_s` in the API).
        #[arg(
            long = "shift-s",
            alias = "shift",
            value_name = "DURATION",
            default_value = "8h"
        )]
        shift: String,
        /// When the shift starts by the clock (07:30). The plan is then a timetable for the
        /// whole shift: every line and checkpoint as often and when its `every`, `passes` and
        /// `windows` say, each unit within its `shift` and taking its `break`s at its post. A
        /// scenario with any of those is planned so anyway, from 08:00 unless given.
        #[arg(long, value_name = "HH:MM")]
        shift_start: Option<String>,
        /// Write the routes here as GeoJSON (LineStrings in travel order, with timetables); for a
        /// shift timetable also as GPX or KML by the file's extension (`.gpx`, `.kml`), with
        /// each checkpoint stay as a waypoint.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write the report here as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Farthest a checkpoint or post may stand from a road, in metres.
        #[arg(long, default_value_t = 250.0, value_parser = super::snap_distance_m)]
        max_snap_m: f64,
        /// Also measure the 1-3-5 minute coverage over the shift, sampled this often (30s,
        /// 1m, ...): the patrols move along their routes, the scenario's units stay; 0 for
        /// none (as the API's coverage_every_s=0) [default: none].
        #[arg(
            long = "coverage-every-s",
            alias = "coverage-every",
            value_name = "DURATION"
        )]
        coverage_every: Option<String>,
        /// Write each road's share of the shift within each tier here as GeoJSON (needs
        /// --coverage-every-s).
        #[arg(long, requires = "coverage_every")]
        coverage_geojson: Option<PathBuf>,
        /// Write the instance solved here as JSON (the mode's graph, the required edges by
        /// line, the checkpoints, the depots, and this plan's figures), for running other
        /// solvers on the very same problem (bench/patrol_peers.py).
        #[arg(long)]
        instance: Option<PathBuf>,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Solve a public routing benchmark instance with the planner's core: the min-max
    /// K-vehicles windy rural postman problem (MM-kWRPP, Benavent et al. 2009), K vehicles
    /// from vertex 1 traversing every required edge, the longest route minimised.
    #[command(
        after_help = "Example:\n  patrolmap patrol solve ../shared/bench/mmkwrpp/P0315 --format mmkwrpp --units 3 --json out.json\n\n\
The JSON written: {\"longest\", \"total\", \"routes\": [[1, ..., 1], ...], \"costs\", \"idle\", \"seconds\"}, \
routes in the file's vertex numbering (vehicles with nothing to do left out and counted in idle)."
    )]
    Solve {
        /// The instance file.
        file: PathBuf,
        /// Its format.
        #[arg(long, value_enum, default_value = "mmkwrpp")]
        format: SolveFormat,
        /// Number of vehicles (units).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        units: u32,
        /// Stop searching after this long (30s, 2m or seconds) and answer the best found.
        #[arg(long, value_name = "DURATION", value_parser = super::duration_s)]
        time_limit: Option<f64>,
        /// Ruin-and-recreate rounds per run (default: from the instance's size).
        #[arg(long)]
        iterations: Option<usize>,
        /// Seed of the search (the same seed gives the same answer).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the answer here as JSON (`-` for standard output).
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

/// The benchmark formats `patrol solve` reads.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SolveFormat {
    /// Benavent et al.'s MM-kWRPP text files (NOMBRE, VERTICES, LISTA_ARISTAS_REQ, ...).
    Mmkwrpp,
}

/// Parses a shift length: `8h`, `90m`, `3600s` or plain seconds.
fn parse_shift(text: &str) -> Result<f64> {
    parse_duration("--shift-s", text)
}

/// Parses a duration given to `flag` (see [`super::duration_s`]).
fn parse_duration(flag: &str, text: &str) -> Result<f64> {
    super::duration_s(text).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

pub fn run(cmd: PatrolCommand) -> Result<()> {
    match cmd {
        PatrolCommand::Solve {
            file,
            format: SolveFormat::Mmkwrpp,
            units,
            time_limit,
            iterations,
            seed,
            json,
        } => solve(&file, units as usize, time_limit, iterations, seed, json),
        PatrolCommand::Check {
            roads,
            scenario,
            plan,
            shift,
            json,
            max_snap_m,
            profile,
        } => check(&roads, &scenario, &plan, &shift, json, max_snap_m, &profile),
        PatrolCommand::Plan {
            roads,
            scenario,
            units,
            shift,
            shift_start,
            output,
            json,
            max_snap_m,
            coverage_every,
            coverage_geojson,
            instance,
            profile,
        } => plan(
            roads,
            scenario,
            units,
            &shift,
            shift_start.as_deref(),
            output,
            json,
            max_snap_m,
            coverage_every.as_deref().map(|c| (c, coverage_geojson)),
            instance,
            profile,
        ),
        PatrolCommand::Match {
            roads,
            scenario: scenario_path,
            radius_m,
            max_snap_m,
            json: json_path,
            geojson,
            line_coverage,
            profile,
        } => {
            if !(radius_m.is_finite() && (1.0..=500.0).contains(&radius_m)) {
                bail!("--radius-m must be from 1 to 500 metres");
            }
            let (loaded, scenario, index) = load(&roads, &scenario_path, &profile)?;
            let network = &loaded.network;
            if scenario.patrol_lines.is_empty() && scenario.checkpoints.is_empty() {
                bail!(
                    "{}: no patrol lines or checkpoints",
                    scenario_path.display()
                );
            }
            let options = MatchOptions {
                radius_m,
                ..MatchOptions::default()
            };
            let start = Instant::now();
            let req = Requirements::gather(
                network,
                &loaded.graph,
                &index,
                &scenario,
                &options,
                max_snap_m,
            );
            let match_s = start.elapsed().as_secs_f64();
            let reach = if line_coverage {
                Some(lines_as_sources(network, &loaded.graph, &profile, &req)?)
            } else {
                None
            };
            let mut report =
                MatchReport::of(network, &loaded.graph, profile.profile, &req, reach.clone());
            report.timings_ms = Some(MatchTimings {
                matching: match_s * 1e3,
            });
            let (matched, placed) = (report.lines_matched, report.checkpoints_placed);
            let (required_m, work_s) = (report.required_m, report.work_s);
            println!(
                "{matched} of {} patrol lines matched ({} road edges, {:.2} km to travel); {placed} of {} checkpoints placed; driving + dwell at least {:.0} s; matched in {:.0} ms",
                req.lines.len(),
                report.required_edges,
                required_m / 1e3,
                req.checkpoints.len(),
                work_s,
                match_s * 1e3
            );
            for (i, l) in req.lines.iter().enumerate() {
                match &l.matched {
                    Ok(m) => println!(
                        "  line {}: drawn {:.0} m, matched {:.0} m, off the road {:.1} m on average, {:.1} m at most",
                        l.id, m.drawn_length_m, m.matched_length_m, m.mean_dist_m, m.max_dist_m
                    ),
                    Err(e) => println!("  line {}: NOT MATCHED: {e}", l.id),
                }
                if let Some(Some(c)) = reach.as_ref().map(|r| &r[i]) {
                    let km = |v: &[f64]| {
                        v.iter()
                            .map(|m| format!("{:.1}", m / 1e3))
                            .collect::<Vec<_>>()
                            .join("/")
                    };
                    println!(
                        "    a unit on it reaches {} km of road within 60/180/300 s at best, {} km wherever it is",
                        km(&c.best_m),
                        km(&c.worst_m)
                    );
                }
            }
            for c in &req.checkpoints {
                if let Err(e) = &c.place {
                    println!("  checkpoint {}: NOT PLACED: {e}", c.id);
                }
            }
            if let Some(path) = &json_path {
                write_json(path, &report)?;
            }
            if let Some(path) = &geojson {
                write_json(path, &matched_lines_geojson(network, &req))?;
            }
            if matched < req.lines.len() || placed < req.checkpoints.len() {
                eprintln!("warning: some lines or checkpoints could not be placed on the roads (listed above)");
            }
            Ok(())
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn plan(
    roads: PathBuf,
    scenario_path: PathBuf,
    unit_count: usize,
    shift: &str,
    shift_start: Option<&str>,
    output: Option<PathBuf>,
    json_path: Option<PathBuf>,
    max_snap_m: f64,
    coverage: Option<(&str, Option<PathBuf>)>,
    instance: Option<PathBuf>,
    profile: ProfileArgs,
) -> Result<()> {
    use crate::patrol::plan::{plan_patrols, CheckpointTask};
    let shift_s = parse_shift(shift)?;
    // 0 is no sampling, as the API's coverage_every_s=0.
    let coverage = match coverage {
        Some((every, geojson)) if every.trim() == "0" => {
            if geojson.is_some() {
                bail!("--coverage-geojson needs --coverage-every-s above 0");
            }
            None
        }
        coverage => coverage,
    };
    let sample_s = coverage
        .as_ref()
        .map(|(every, _)| parse_duration("--coverage-every-s", every))
        .transpose()?;
    if unit_count == 0 || unit_count > 500 {
        bail!("--units must be from 1 to 500");
    }
    let (loaded, scenario, index) = load(&roads, &scenario_path, &profile)?;
    let network = &loaded.network;
    let graph = &loaded.graph;
    let start = Instant::now();
    let req = gather(network, graph, &index, &scenario, max_snap_m);
    let match_s = start.elapsed().as_secs_f64();
    if shift_start.is_some() || crate::patrol::shift_report::wants_timetable(&scenario) {
        if coverage.is_some() || instance.is_some() {
            bail!(
                "--coverage-every-s and --instance are for a one-pass plan, not a shift timetable"
            );
        }
        let start_s = match shift_start {
            Some(t) => crate::scenario::schedule::clock_s(t)
                .map_err(|e| anyhow::anyhow!("--shift-start: {e}"))?,
            None => {
                eprintln!("note: the scenario has schedules or duty hours: planning the shift as a timetable from 08:00 (--shift-start to change)");
                8.0 * 3600.0
            }
        };
        if shift_s > crate::scenario::schedule::DAY_S {
            bail!("--shift-s: a timetable covers at most 24 hours");
        }
        // A schedule that does not read would leave its pass or break out: said, not planned
        // around.
        if let Some(p) = scenario
            .problems
            .iter()
            .find(|p| p.code == crate::scenario::ProblemCode::BadSchedule)
        {
            bail!(
                "{}: feature {}: {} (a timetable needs every schedule to read)",
                scenario_path.display(),
                p.feature,
                p.reason
            );
        }
        let ask = crate::patrol::shift_report::ShiftAsk {
            network,
            graph,
            index: &index,
            scenario: &scenario,
            requirements: &req,
            units: unit_count,
            shift_start_s: start_s,
            shift_s,
            max_snap_m,
        };
        return timetable(&ask, &scenario_path, output, json_path);
    }
    for l in &req.lines {
        if let Err(e) = &l.matched {
            eprintln!(
                "warning: line {} not matched, left out of the plan: {e}",
                l.id
            );
        }
    }
    for c in &req.checkpoints {
        if let Err(e) = &c.place {
            eprintln!(
                "warning: checkpoint {} not placed, left out of the plan: {e}",
                c.id
            );
        }
    }
    // Units start from the posts (else from any responding unit's position), in order.
    let units =
        crate::patrol::plan::units_from_posts(&scenario, unit_count, network, &index, max_snap_m)
            .with_context(|| scenario_path.display().to_string())?;
    let checkpoints = CheckpointTask::placed(&req);
    let start = Instant::now();
    let plan = plan_patrols(network, graph, &req.required_edges(), &checkpoints, &units)?;
    let plan_s = start.elapsed().as_secs_f64();
    let over_shift = match (sample_s, coverage) {
        (Some(sample_s), Some((_, geojson))) => Some(shift_report(
            &loaded, &profile, &scenario, &plan, &units, shift_s, sample_s, max_snap_m, geojson,
        )?),
        _ => None,
    };
    let made = PlanMade {
        network,
        graph,
        scenario: &scenario,
        requirements: &req,
        units: &units,
        plan: &plan,
        planned: true,
    };
    let mut report = PatrolReport::of(&made, shift_s, over_shift);
    report.timings_ms = Some(PatrolTimings {
        matching: match_s * 1e3,
        plan: plan_s * 1e3,
    });
    warn_cut_off(&report);
    println!(
        "{} units: longest route {:.0} s ({:.1}% above its lower bound {:.0} s), total {:.0} s ({:.1}% above {:.0} s); planned in {:.2} s (matching {:.2} s)",
        units.len(),
        plan.longest_s,
        100.0 * report.longest_gap.unwrap_or(0.0),
        plan.longest_lower_bound_s,
        plan.total_s,
        100.0 * report.total_gap.unwrap_or(0.0),
        plan.total_lower_bound_s,
        plan_s,
        match_s
    );
    for r in plan.routes.iter().filter(|r| !r.steps.is_empty()) {
        println!(
            "  {:<16} {:>7.0} s ({:.0} s driving, {:.0} s at {} checkpoints)",
            units[r.unit].id,
            r.duration_s,
            r.driving_s,
            r.dwell_s,
            r.visits.len()
        );
    }
    if !report.idle_units.is_empty() {
        println!(
            "  idle (nothing left to patrol, they stay at their posts): {}",
            report.idle_units.join(", ")
        );
    }
    let check = &report.check;
    if check.is_ok() {
        println!(
            "check: every route continuous, legal and closed; {} of {} lines and {} of {} checkpoints covered; all within the {shift_s:.0} s shift",
            check.lines_covered, check.lines_total, check.checkpoints_visited, check.checkpoints_total
        );
    } else {
        println!(
            "check: {} of {} lines and {} of {} checkpoints covered",
            check.lines_covered,
            check.lines_total,
            check.checkpoints_visited,
            check.checkpoints_total
        );
        print_findings(check);
    }
    if let Some(path) = &output {
        write_json(path, &report.routes)?;
    }
    if let Some(path) = &json_path {
        write_json(path, &report)?;
    }
    if let Some(path) = &instance {
        write_json(
            path,
            &crate::patrol::plan::instance_json(
                network,
                graph,
                &req,
                &checkpoints,
                &units,
                &plan,
                plan_s,
            ),
        )?;
    }
    if !report.passes() {
        bail!("the plan does not pass the check (listed above)");
    }
    Ok(())
}

/// Plans the shift of `ask` as a timetable, prints it and writes what was asked for.
fn timetable(
    ask: &crate::patrol::shift_report::ShiftAsk,
    scenario_path: &std::path::Path,
    output: Option<PathBuf>,
    json_path: Option<PathBuf>,
) -> Result<()> {
    let start = Instant::now();
    let report = crate::patrol::shift_report::plan_shift_for(ask, &crate::stop::Stop::never())
        .with_context(|| scenario_path.display().to_string())?;
    let plan_s = start.elapsed().as_secs_f64();
    for l in &report.lines_not_matched {
        println!(
            "line {}: NOT MATCHED, every pass missed: {}",
            l.id, l.reason
        );
    }
    for c in &report.checkpoints_not_placed {
        println!(
            "checkpoint {}: NOT PLACED, every visit missed: {}",
            c.id, c.reason
        );
    }
    let check = &report.check;
    println!(
        "shift {} for {:.1} h, {} units: {} of {} passes made, {} of {} breaks; longest working time {:.0} s, driving {:.0} s in all; planned in {plan_s:.2} s",
        report.shift_start,
        report.shift_s / 3600.0,
        report.units,
        check.passes_made,
        check.passes_required,
        check.breaks_taken,
        check.breaks_required,
        report.longest_working_s,
        report.total_driving_s,
    );
    for t in &report.timetables {
        if t.entries.is_empty() {
            continue;
        }
        println!(
            "  {} leaves {} back {}, working {:.0} s ({:.0} s driving):",
            t.unit, t.leaves, t.back, t.working_s, t.driving_s
        );
        for e in &t.entries {
            println!(
                "    {}-{} {} {}",
                e.start,
                e.end,
                e.kind,
                e.id.as_deref().unwrap_or("")
            );
        }
    }
    if !report.idle_units.is_empty() {
        println!(
            "  idle (nothing to patrol, they stay at their posts): {}",
            report.idle_units.join(", ")
        );
    }
    if !report.missed.is_empty() {
        println!("missed ({}):", report.missed.len());
        for m in &report.missed {
            let late = m
                .late_by_s
                .map(|s| format!(", {s:.0} s late at best"))
                .unwrap_or_default();
            println!(
                "  {} {} due {}-{}: {}{late}",
                m.kind,
                m.id,
                m.from,
                m.to,
                serde_json::to_value(m.reason)?.as_str().unwrap_or("")
            );
        }
        match report.units_needed {
            Some(n) => println!("{n} units would make every pass that more units can make"),
            None if report
                .missed
                .iter()
                .any(|m| m.reason == crate::patrol::shift::MissReason::NoUnitFree) =>
            {
                println!("no number of units up to sixteen times as many makes every pass (or none was found in 5 s)")
            }
            None => {}
        }
    }
    if report.check.is_ok() {
        println!("check: every route continuous, legal, closed and within duty hours; every pass and break made");
    } else if report.confirmed() {
        println!("check: every route continuous, legal, closed and within duty hours; missed exactly what is listed");
    } else {
        for f in &report.check.findings {
            println!(
                "check: {:?} {}: {}",
                f.kind,
                f.unit.as_deref().unwrap_or(""),
                f.detail
            );
        }
    }
    if let Some(path) = &output {
        write_routes(path, &report)?;
    }
    if let Some(path) = &json_path {
        write_json(path, &report)?;
    }
    if !report.confirmed() {
        bail!("the timetable does not pass the check (listed above)");
    }
    Ok(())
}

/// Writes the timetable's routes (and its checkpoint stays as points) at `path`: GPX for the
/// in-car terminals and KML by its extension, else GeoJSON of the routes.
fn write_routes(
    path: &std::path::Path,
    report: &crate::patrol::shift_report::ShiftReport,
) -> Result<()> {
    use crate::files::{export, ExportFormat};
    use patrolmap_core::formats::dbf::DbfEncoding;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let format = match ext.as_str() {
        "gpx" => ExportFormat::Gpx,
        "kml" => ExportFormat::Kml,
        _ => return write_json(path, &report.routes),
    };
    let features: Vec<geojson::Feature> = [&report.routes, &report.stops]
        .iter()
        .flat_map(|c| c["features"].as_array().cloned().unwrap_or_default())
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .context("the routes as GeoJSON")?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "patrol-routes".into());
    let file = export(
        &features,
        format,
        &patrolmap_core::crs::Crs::Wgs84,
        &stem,
        DbfEncoding::Utf8,
    )?;
    std::fs::write(path, file.bytes).with_context(|| format!("{}: cannot write", path.display()))
}

/// Prints what the check found, one line each.
fn print_findings(check: &crate::patrol::check::CheckReport) {
    for f in &check.findings {
        println!(
            "check: {} {}: {}",
            f.kind,
            f.unit.as_deref().unwrap_or(""),
            f.detail
        );
    }
}

/// `patrol check`: reads the plan's routes (their steps when the line still follows them,
/// else the line matched anew) and checks them.
fn check(
    roads: &std::path::Path,
    scenario_path: &std::path::Path,
    plan_path: &std::path::Path,
    shift: &str,
    json_path: Option<PathBuf>,
    max_snap_m: f64,
    profile: &ProfileArgs,
) -> Result<()> {
    use crate::patrol::edit::edited_plan;
    use crate::patrol::routes_read::{routes_from_geojson, RoutesRead};
    let shift_s = parse_shift(shift)?;
    let (loaded, scenario, index) = load(roads, scenario_path, profile)?;
    let (network, graph) = (&loaded.network, &loaded.graph);
    let text = std::fs::read_to_string(plan_path)
        .with_context(|| format!("cannot read the plan {}", plan_path.display()))?;
    let plan: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not JSON", plan_path.display()))?;
    let RoutesRead {
        units: patrol_units,
        routes,
        rematched,
    } = routes_from_geojson(network, graph, &index, &plan)
        .with_context(|| plan_path.display().to_string())?;
    let req = gather(network, graph, &index, &scenario, max_snap_m);
    // Road no route from the first route's start can reach and leave is excused, as in `plan`.
    let plan = edited_plan(network, graph, &req, patrol_units[0].depot, routes);
    let made = PlanMade {
        network,
        graph,
        scenario: &scenario,
        requirements: &req,
        units: &patrol_units,
        plan: &plan,
        planned: false,
    };
    let mut report = PatrolReport::of(&made, shift_s, None);
    report.rematched = Some(rematched);
    warn_cut_off(&report);
    let check = &report.check;
    println!(
        "{} routes ({rematched} matched to the roads anew): {} of {} lines and {} of {} checkpoints covered",
        patrol_units.len(),
        check.lines_covered,
        check.lines_total,
        check.checkpoints_visited,
        check.checkpoints_total
    );
    for (unit, d) in patrol_units.iter().zip(&check.durations_s) {
        println!("  {:<16} {d:>7.0} s", unit.id);
    }
    print_findings(check);
    if let Some(path) = &json_path {
        write_json(path, &report)?;
    }
    if !report.passes() {
        bail!("the plan does not pass the check (listed above)");
    }
    println!("check: every route continuous, legal and closed; everything that can be reached covered; all within the {shift_s:.0} s shift");
    Ok(())
}

/// Warns of the lines and checkpoints no patrol from the posts can reach and leave.
fn warn_cut_off(report: &PatrolReport) {
    for l in &report.lines_not_matched {
        eprintln!(
            "warning: line {} is not matched to the roads ({}): left out, counted as missed",
            l.id, l.reason
        );
    }
    for c in &report.checkpoints_not_placed {
        eprintln!(
            "warning: checkpoint {} is not on a road ({}): left out, counted as missed",
            c.id, c.reason
        );
    }
    for id in &report.lines_cut_off {
        eprintln!("warning: line {id} runs on road no patrol from the posts can reach and leave: left out");
    }
    for id in &report.checkpoints_cut_off {
        eprintln!("warning: checkpoint {id} is on road no patrol from the posts can reach and leave: left out");
    }
}

/// Each matched line as a source of response (`None` for a line not matched): the road a unit
/// of the patrol's mode somewhere on it reaches within 60, 180 and 300 s, best and worst case,
/// measured on the car roads.
fn lines_as_sources(
    network: &crate::network::RoadNetwork,
    graph: &crate::network::ProfileGraph,
    profile: &ProfileArgs,
    req: &Requirements,
) -> Result<Vec<Option<crate::coverage::line_source::LineCoverage>>> {
    use crate::coverage::line_source::{line_coverage, SPREAD};
    use crate::network::{ProfileGraph, TravelMode};
    use rayon::prelude::*;
    let profiles = profile.profiles()?;
    let car = (profile.profile != TravelMode::Car)
        .then(|| ProfileGraph::build(network, profiles.get(TravelMode::Car)));
    let graphs: Vec<&ProfileGraph> = match &car {
        Some(car) => vec![car, graph],
        None => vec![graph],
    };
    let mode_index = graphs.len() - 1;
    Ok(req
        .lines
        .par_iter()
        .map(|l| {
            l.matched.as_ref().ok().map(|m| {
                line_coverage(
                    network,
                    &graphs,
                    mode_index,
                    &m.points(),
                    &m.spread(network, SPREAD),
                    &[60.0, 180.0, 300.0],
                )
            })
        })
        .collect())
}

/// The coverage over the shift with the plan's patrols moving: printed per tier, returned for
/// the JSON report, and each road's share written to `geojson` when asked.
#[allow(clippy::too_many_arguments)]
fn shift_report(
    loaded: &super::network_cmd::LoadedRoads,
    profile: &ProfileArgs,
    scenario: &scenario::Scenario,
    plan: &crate::patrol::plan::Plan,
    units: &[crate::patrol::plan::PatrolUnit],
    shift_s: f64,
    sample_s: f64,
    max_snap_m: f64,
    geojson: Option<PathBuf>,
) -> Result<ShiftCoverageReport> {
    use crate::coverage::assess::Roads;
    use crate::coverage::modes::ModeSet;
    use crate::coverage::shift::{sample_times, shift_coverage};
    use crate::coverage::ResponseStandard;
    use crate::network::TravelMode;
    if sample_s < 1.0 || shift_s / sample_s > 100_000.0 {
        bail!("--coverage-every-s: at least 1 s, and at most 100,000 samples a shift");
    }
    let network = &loaded.network;
    // Coverage is measured on the car roads; every mode a unit uses gets its graph.
    let profiles = profile.profiles()?;
    let mut modes_used = vec![TravelMode::Car];
    for mode in std::iter::once(profile.profile).chain(scenario.units.iter().map(|u| u.mode)) {
        if !modes_used.contains(&mode) {
            modes_used.push(mode);
        }
    }
    let set = ModeSet::build(network, &profiles, &modes_used, &[]);
    let modes = set.networks();
    let patrol_mode = set.position(profile.profile).unwrap_or(0);
    let times = sample_times(shift_s, sample_s);
    let moving = crate::patrol::timeline::moving_units(
        plan,
        units,
        network,
        &set.graphs[patrol_mode],
        profile.profile,
        patrol_mode,
        &times,
    );
    let roads = Roads {
        network,
        modes: &modes,
        engine: set.engine(),
    };
    let standard = ResponseStandard::default();
    let bar = super::progress::TerminalProgress::new();
    use crate::network::LoadProgress;
    bar.start("shift coverage", times.len() as u64);
    let start = Instant::now();
    let shift = shift_coverage(
        roads,
        scenario,
        &standard,
        max_snap_m,
        &times,
        &moving,
        &|| bar.advance(1),
        &crate::stop::Stop::never(),
    )?;
    bar.finish();
    let coverage_s = start.elapsed().as_secs_f64();
    println!(
        "coverage over the shift ({} samples every {sample_s:.0} s, {} measured, in {coverage_s:.1} s):",
        times.len(),
        shift.distinct_samples
    );
    for (tier, t) in standard.tiers.iter().zip(&shift.tiers) {
        println!(
            "  {} unit(s) within {:.0} s: {:.1}% of road on average, worst {:.1}% at {:.0} s",
            tier.units,
            tier.budget_s,
            100.0 * t.mean_share,
            100.0 * t.worst_share,
            t.worst_time_s
        );
    }
    if let Some(path) = geojson {
        write_json(
            &path,
            &crate::coverage::shift::edge_shares_geojson(network, set.measure(), &shift),
        )?;
    }
    Ok(ShiftCoverageReport::of(&standard, &shift, sample_s))
}

/// What a plan must cover: the lines matched with the default options, the checkpoints
/// placed within `max_snap_m`.
fn gather(
    network: &crate::network::RoadNetwork,
    graph: &crate::network::ProfileGraph,
    index: &SnapIndex,
    scenario: &scenario::Scenario,
    max_snap_m: f64,
) -> Requirements {
    Requirements::gather(
        network,
        graph,
        index,
        scenario,
        &MatchOptions::default(),
        max_snap_m,
    )
}

/// The roads of the chosen mode, the scenario (its bad features warned about) and the
/// mode's snap index.
fn load(
    roads: &std::path::Path,
    scenario_path: &std::path::Path,
    profile: &ProfileArgs,
) -> Result<(
    super::network_cmd::LoadedRoads,
    scenario::Scenario,
    SnapIndex,
)> {
    let loaded = load_roads(roads, &profile.profiles()?, profile.profile)?;
    let scenario = crate::files::load_scenario(scenario_path)?;
    for p in &scenario.problems {
        eprintln!(
            "warning: {}: feature {}: {}",
            scenario_path.display(),
            p.feature,
            p.reason
        );
    }
    let index = SnapIndex::build(&loaded.network, &loaded.graph);
    Ok((loaded, scenario, index))
}

/// `patrol solve`: one benchmark instance, solved and printed (and written as JSON).
fn solve(
    file: &std::path::Path,
    units: usize,
    time_limit_s: Option<f64>,
    iterations: Option<usize>,
    seed: u64,
    json: Option<PathBuf>,
) -> Result<()> {
    use crate::patrol::{minmax::Options, mmkwrpp};
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read", file.display()))?;
    let problem = mmkwrpp::parse(&text).with_context(|| format!("{}", file.display()))?;
    let started = Instant::now();
    let mut options = Options::for_tasks(problem.required.len());
    options.seed = seed;
    if let Some(i) = iterations {
        options.iterations = i;
    }
    let stop = match time_limit_s {
        Some(s) => crate::stop::Stop::after(std::time::Duration::from_secs_f64(s)),
        None => crate::stop::Stop::never(),
    };
    let answer = mmkwrpp::solve(&problem, units, &options, &stop)
        .with_context(|| format!("{}", file.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    #[derive(serde::Serialize)]
    struct Written<'a> {
        #[serde(flatten)]
        answer: &'a mmkwrpp::Answer,
        instance: &'a str,
        units: usize,
        seconds: f64,
    }
    let written = Written {
        answer: &answer,
        instance: &problem.name,
        units,
        seconds,
    };
    match json.as_deref() {
        Some(p) if p == std::path::Path::new("-") => {
            println!("{}", serde_json::to_string_pretty(&written)?);
            return Ok(());
        }
        Some(p) => write_json(p, &written)?,
        None => {}
    }
    println!(
        "{}: {} vertices, {} required edges, {} units: longest route {}, total {} ({} idle) in {:.3} s",
        file.display(),
        problem.vertices,
        problem.required.len(),
        units,
        answer.longest,
        answer.total,
        answer.idle,
        seconds
    );
    for (r, (route, cost)) in answer.routes.iter().zip(&answer.costs).enumerate() {
        let path: Vec<String> = route.iter().map(u32::to_string).collect();
        println!("  route {} (cost {cost}): {}", r + 1, path.join(" "));
    }
    Ok(())
}
