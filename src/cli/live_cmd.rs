//! `patrolmap live`: live operations from the command line. `replay` sends recorded tracks to
//! a server's `POST /api/live/positions` as a GPS gateway would, faster than real time if
//! asked: for drills, demonstrations and tests.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::live::{tracks, PositionReport};

#[derive(Debug, Subcommand)]
pub enum LiveCommand {
    /// Replay recorded tracks into a running server, as a GPS gateway would: each position
    /// sent when it is due (SPEED times faster than recorded), stamped with the time it is
    /// sent; what the server refuses is printed.
    #[command(
        after_help = "Example:\n  patrolmap user add gateway --role feed --db scenarios.db   # prints TOKEN\n  \
PATROLMAP_TOKEN=TOKEN patrolmap live replay tracks.csv --server http://127.0.0.1:8080 --speed 10x\n\n\
A CSV has a header naming unit, time (Unix seconds or RFC 3339), lon, lat and optionally\n\
heading_deg and speed_kph; a GPX file has one <trk> per unit, its <name> the unit's id, and a\n\
<time> in every <trkpt>. Missing headings and speeds are worked out from the track."
    )]
    Replay(ReplayArgs),
    /// A drill by simulation: seeded 110 calls at the scenario's incident sites (by weight),
    /// each sent the standard's full force by travel time from the units' posts, busy for the
    /// drive, the time on scene and the drive back; the share of calls meeting each tier, the
    /// first unit's response times, each unit's busy share, how many units were free when,
    /// and how the coverage fell while units were away; move-up policies side by side.
    #[command(
        after_help = "Example:\n  patrolmap live simulate --roads data/campo-grande.osm.pbf --scenario data/demo-scenario.geojson --calls-per-hour 4 --hours 24 --move-up none,greedy,table\n\n\
Move-up policies: none (units stay at their posts); table (an empty post is covered by the unit\n\
of the nearest post of its mode, which goes home when the post's unit is back); greedy (after\n\
every dispatch and return, up to 3 moves of free units to empty posts, each the one restoring\n\
the most of the standard at the incident sites, as the map's move-up proposes). Every policy\n\
sees the same calls and times on scene."
    )]
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The road network (.osm.pbf or GeoJSON).
    #[arg(long)]
    pub roads: PathBuf,
    /// The scenario: its units (posts stand), incident sites and closures. Incidents with a
    /// `time` are a call history: replayed at their times unless --history, --calls-per-hour
    /// or --by-hour says otherwise.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Calls an hour over the whole city, on average over the day [default: 10].
    #[arg(long)]
    pub calls_per_hour: Option<f64>,
    /// Each hour's weight in the day's calls from 00:00: 24 numbers, comma-separated (e.g. a
    /// busy evening: ...,1,1,2,3,3,2); their mean is --calls-per-hour [default: even].
    #[arg(long, value_delimiter = ',', num_args = 1)]
    pub by_hour: Vec<f64>,
    /// Past 110 calls to replay instead of generated ones: a CSV with time (Unix seconds or
    /// RFC 3339), lon and lat columns; each call at its place and time from the hour the first
    /// came in.
    #[arg(long, conflicts_with_all = ["calls_per_hour", "by_hour"])]
    pub history: Option<PathBuf>,
    /// How long, in hours [default: 24, or the history's span].
    #[arg(long)]
    pub hours: Option<f64>,
    /// Mean time on scene, in seconds (exponential).
    #[arg(long, default_value_t = 1200.0)]
    pub on_scene_s: f64,
    /// The seed: the same seed gives the same drill.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Patrol routes to drive through the drill: a plan file as `patrolmap patrol plan -o`
    /// writes it (or as edited in QGIS). A unit of the scenario with a route's unit id patrols
    /// instead of standing at its post; another joins the drill; each goes round its route,
    /// stopping at the checkpoints on it, and is sent from where it is.
    #[arg(long)]
    pub patrols: Option<PathBuf>,
    /// Move-up policies to compare, comma-separated: none, table, greedy.
    #[arg(long, value_delimiter = ',', default_value = "none")]
    pub move_up: Vec<crate::live::simulate::MoveUpPolicy>,
    /// Also write the drill as JSON to this file: its units and places, and one report per
    /// policy with every call, move and coverage change.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The tracks: a .csv or .gpx file.
    pub tracks: PathBuf,
    /// The server's address, e.g. http://127.0.0.1:8080 (plain HTTP).
    #[arg(long)]
    pub server: String,
    /// A token of a feed user (or an admin) [default: $PATROLMAP_TOKEN].
    #[arg(long)]
    pub token: Option<String>,
    /// How much faster than recorded: 10 or 10x.
    #[arg(long, default_value = "1", value_parser = parse_speed)]
    pub speed: f64,
    /// Positions due within this many seconds of each other go in one request.
    #[arg(long, default_value_t = 1.0)]
    pub batch_s: f64,
}

fn parse_speed(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .trim_end_matches(['x', 'X'])
        .parse()
        .map_err(|_| format!("{text:?}: a speed is a number, e.g. 10 or 10x"))?;
    if !(v.is_finite() && v > 0.0 && v <= 10_000.0) {
        return Err(format!("{text:?}: a speed from 0 to 10000"));
    }
    Ok(v)
}

pub fn run(cmd: LiveCommand) -> Result<()> {
    match cmd {
        LiveCommand::Replay(args) => replay(args),
        LiveCommand::Simulate(args) => simulate(args),
    }
}

/// The tracks of `path`, by its extension.
fn read_tracks(path: &std::path::Path) -> Result<Vec<PositionReport>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the tracks", path.display()))?;
    let gpx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gpx"));
    let mut reports = if gpx {
        tracks::read_gpx(&text)
    } else {
        tracks::read_csv(&text)
    }
    .with_context(|| format!("{}", path.display()))?;
    tracks::fill_motion(&mut reports);
    Ok(reports)
}

fn replay(args: ReplayArgs) -> Result<()> {
    let token = args
        .token
        .clone()
        .or_else(|| std::env::var("PATROLMAP_TOKEN").ok())
        .context("a feed's token is needed: --token TOKEN or PATROLMAP_TOKEN (patrolmap user add NAME --role feed)")?;
    let reports = read_tracks(&args.tracks)?;
    let plan = tracks::schedule(&reports, args.speed, args.batch_s.max(0.0));
    let units: std::collections::BTreeSet<&str> = reports.iter().map(|r| r.unit.as_str()).collect();
    let span_s = plan.last().map_or(0.0, |p| p.0);
    eprintln!(
        "replaying {} positions of {} units over {:.0} s (at {}x) to {}",
        reports.len(),
        units.len(),
        span_s,
        args.speed,
        args.server
    );
    let url = format!("{}/api/live/positions", args.server.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let started = Instant::now();
    let start_unix = crate::server::live_api::now_s();
    let t0 = reports
        .iter()
        .map(|r| r.time_s)
        .fold(f64::INFINITY, f64::min);
    let (mut sent, mut refused) = (0usize, 0usize);
    for (due_s, batch) in &plan {
        let wait = Duration::from_secs_f64(*due_s).saturating_sub(started.elapsed());
        std::thread::sleep(wait);
        let positions: Vec<Value> = batch
            .iter()
            .map(|&i| {
                let r = &reports[i];
                json!({
                    "unit": r.unit,
                    "lon": r.lon_lat[0],
                    "lat": r.lon_lat[1],
                    "time": start_unix + (r.time_s - t0) / args.speed,
                    "heading_deg": r.heading_deg,
                    "speed_kph": r.speed_kph,
                })
            })
            .collect();
        let body = json!({ "positions": positions }).to_string();
        let answer = post(&agent, &url, &token, &body)?;
        sent += answer["taken"].as_u64().unwrap_or(0) as usize;
        let refusals = answer["refused"].as_array().cloned().unwrap_or_default();
        refused += refusals.len();
        for r in refusals.iter().take(3) {
            eprintln!("  refused: {}", r["error"].as_str().unwrap_or(""));
        }
        if refusals.len() > 3 {
            eprintln!("  … and {} more refused", refusals.len() - 3);
        }
    }
    eprintln!(
        "done in {:.1} s: {sent} positions taken, {refused} refused",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Posts one batch; waits and sends again when the server says the feed is too fast.
fn post(agent: &ureq::Agent, url: &str, token: &str, body: &str) -> Result<Value> {
    for _ in 0..5 {
        let mut response = agent
            .post(url)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(body)
            .with_context(|| format!("{url}: cannot reach the server"))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .with_context(|| format!("{url}: no answer"))?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match status {
            200 => return Ok(value),
            429 => {
                eprintln!(
                    "  the server says: {} (waiting)",
                    value["error"].as_str().unwrap_or("too fast")
                );
                std::thread::sleep(Duration::from_secs(2));
            }
            _ => bail!(
                "{url}: {status}: {}",
                value["error"].as_str().unwrap_or(text.as_str())
            ),
        }
    }
    bail!("{url}: the server kept refusing the feed as too fast")
}

fn simulate(args: SimulateArgs) -> Result<()> {
    // The flags first, before any file is read.
    let limits = [
        ("--calls-per-hour", args.calls_per_hour, 10_000.0),
        ("--hours", args.hours, 24.0 * 31.0),
        ("--on-scene-s", Some(args.on_scene_s), 86_400.0),
    ];
    for (name, v, max) in limits {
        if let Some(v) = v.filter(|v| !(v.is_finite() && *v > 0.0 && *v <= max)) {
            bail!("{name} must be more than 0 and at most {max}, got {v}");
        }
    }
    let plan = crate::files::load_scenario(&args.scenario)?;
    let generated = args.calls_per_hour.is_some() || !args.by_hour.is_empty();
    let history = match &args.history {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("{}: cannot read the call history", path.display()))?;
            // Exported by Chinese Excel it may be GBK.
            let (text, _) = crate::scenario::decode_text(&bytes)
                .with_context(|| format!("{}", path.display()))?;
            crate::live::history::read_csv(&text).with_context(|| format!("{}", path.display()))?
        }
        None if generated => Vec::new(),
        None => {
            let calls = crate::live::history::of_scenario(&plan);
            if !calls.is_empty() {
                eprintln!(
                    "replaying the {} incidents of {} with a time (--calls-per-hour for generated calls)",
                    calls.len(),
                    args.scenario.display()
                );
            }
            calls
        }
    };
    let calls_per_hour = args
        .calls_per_hour
        .unwrap_or(crate::live::simulate::DrillOptions::default().calls_per_hour);
    let hours = args
        .hours
        .unwrap_or_else(|| match (history.first(), history.last()) {
            (Some(first), Some(last)) => {
                let start_s = (first.time_s / 3600.0).floor() * 3600.0;
                ((last.time_s - start_s) / 3600.0).floor() + 1.0
            }
            _ => 24.0,
        });
    let by_hour: [f64; 24] = match args.by_hour.len() {
        0 => crate::live::simulate::FLAT_DAY,
        24 => args.by_hour.clone().try_into().expect("24"),
        n => bail!("--by-hour needs 24 weights, one an hour from 00:00, got {n}"),
    };
    if by_hour.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || by_hour.iter().sum::<f64>() <= 0.0 {
        bail!("--by-hour weights must be 0 or more, and not all 0");
    }
    if hours > 24.0 * 31.0 {
        bail!(
            "the call history spans {hours} hours, at most {}: --hours to drill part of it",
            24 * 31
        );
    }
    // A broken plan file is said before the roads are loaded.
    let patrol_plan = args.patrols.as_deref().map(read_plan_file).transpose()?;
    let profiles = crate::network::ProfileSet::default();
    let loaded = super::network_cmd::load_road_files(
        std::slice::from_ref(&args.roads),
        &profiles,
        crate::network::TravelMode::Car,
    )?;
    let city = crate::city::City::prepare(
        super::network_cmd::stem(&args.roads),
        loaded.roads.network,
        profiles,
        Default::default(),
    );
    let started = Instant::now();
    let options = crate::live::simulate::DrillOptions {
        calls_per_hour,
        by_hour,
        history,
        hours,
        on_scene_mean_s: args.on_scene_s,
        seed: args.seed,
        move_up: crate::live::simulate::MoveUpPolicy::None,
        patrols: match &patrol_plan {
            Some((path, plan)) => patrol_routes(&city, path, plan)?,
            None => Vec::new(),
        },
    };
    let run = city.drill(&plan, &options, &args.move_up, &crate::stop::Stop::never())?;
    let reports = &run.reports;
    let Some(first) = reports.first() else {
        bail!("--move-up names no policy");
    };
    if run.calls_left_out > 0 {
        eprintln!(
            "warning: calls of the history left out (off the roads or after the drill's end): {}",
            run.calls_left_out
        );
    }
    let patrolling = run.units.iter().filter(|u| !u.route.is_empty()).count();
    println!(
        "{} calls over {} h, {} units ({patrolling} on patrol), simulated in {:.2} s",
        first.calls,
        hours,
        run.units.len(),
        started.elapsed().as_secs_f64()
    );
    print!("{}", drill_table(reports, &city.options.standard));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&run)?;
        std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
}

/// A patrol plan file as JSON, with its path.
fn read_plan_file(path: &std::path::Path) -> Result<(&std::path::Path, Value)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the patrol plan", path.display()))?;
    let plan: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: the patrol plan is not JSON", path.display()))?;
    Ok((path, plan))
}

/// The routes of a plan file (`path`, read as `plan`), matched to `city`'s car roads where a
/// line no longer follows its steps.
fn patrol_routes(
    city: &crate::city::City,
    path: &std::path::Path,
    plan: &Value,
) -> Result<
    Vec<(
        crate::patrol::plan::PatrolUnit,
        Vec<crate::patrol::paths::Step>,
    )>,
> {
    let read = crate::patrol::routes_read::routes_from_geojson(
        &city.network,
        &city.modes.graphs[0],
        &city.modes.indexes[0],
        plan,
    )
    .with_context(|| format!("{}: not a patrol plan", path.display()))?;
    eprintln!(
        "{} patrol routes from {} ({} matched to the roads anew)",
        read.units.len(),
        path.display(),
        read.rematched
    );
    Ok(read.units.into_iter().zip(read.routes).collect())
}

/// The reports side by side: one row per measure, one column per policy.
fn drill_table(
    reports: &[crate::live::simulate::DrillReport],
    standard: &crate::coverage::ResponseStandard,
) -> String {
    let minutes = |s: f64| {
        if s.is_finite() {
            let s = s.round() as u64;
            format!("{}:{:02}", s / 60, s % 60)
        } else {
            "-".into()
        }
    };
    let percent = |x: f64| format!("{:.1} %", 100.0 * x);
    let mut rows: Vec<(String, Vec<String>)> = vec![(
        "move-up".into(),
        reports.iter().map(|r| r.policy.clone()).collect(),
    )];
    let mut row = |name: String, f: &dyn Fn(&crate::live::simulate::DrillReport) -> String| {
        rows.push((name, reports.iter().map(f).collect()));
    };
    for (k, tier) in standard.tiers.iter().enumerate() {
        let (units, min) = (tier.units, tier.budget_s / 60.0);
        row(
            format!("calls with {units} unit(s) within {min} min"),
            &|r| percent(r.tier_shares[k]),
        );
    }
    row("calls with no unit free".into(), &|r| r.lost.to_string());
    row("first unit, median".into(), &|r| {
        minutes(r.first_unit_p50_s)
    });
    row("first unit, 90 % within".into(), &|r| {
        minutes(r.first_unit_p90_s)
    });
    row("first unit, 95 % within".into(), &|r| {
        minutes(r.first_unit_p95_s)
    });
    row("units busy, mean".into(), &|r| {
        percent(r.busy_share.iter().sum::<f64>() / r.busy_share.len().max(1) as f64)
    });
    row("units busy, the busiest".into(), &|r| {
        percent(r.busy_share.iter().cloned().fold(0.0, f64::max))
    });
    row("time with no unit free".into(), &|r| {
        percent(r.free_share.first().copied().unwrap_or(0.0))
    });
    row("moves up".into(), &|r| r.moves.to_string());
    for (k, tier) in standard.tiers.iter().enumerate() {
        let (units, min) = (tier.units, tier.budget_s / 60.0);
        row(
            format!("sites covered, {units} within {min} min: plan"),
            &|r| percent(r.plan_coverage[k]),
        );
        row("  mean over the drill".into(), &|r| {
            percent(r.mean_coverage[k])
        });
        row("  time below 90 % of plan".into(), &|r| {
            percent(r.below_share[k])
        });
    }
    let width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, cells) in &rows {
        out.push_str(&format!("  {name:<width$}"));
        for c in cells {
            out.push_str(&format!("  {c:>10}"));
        }
        out.push('\n');
    }
    out
}
