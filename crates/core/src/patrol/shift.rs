//! The shift timetable: every pass the schedules ask of the shift ([`super::schedule::slots`])
//! given to a unit at a time, each unit within its duty hours and taking its breaks at its
//! post, minimising first the passes missed, then the longest working time (driving and
//! dwell, not waiting or breaks), then the total.
//!
//! How: each pass is a job with a time window (a line's runs of road driven whole inside its
//! slot; a checkpoint's edge driven with the stay inside it; a break at the post). Jobs are
//! inserted tightest deadline first where they raise the longest working time least (then
//! the driving least), with the classic forward-time and latest-start arrays making each
//! trial O(1) (Savelsbergh 1992); then each job in turn is taken out and put back where it
//! does best, while that shortens the longest (or, at equal longest, the total), and missed
//! passes are tried again. This is the insertion-and-relocate scheme of time-window vehicle
//! routing; the windows leave far fewer choices than the one-pass plan's min-max core has,
//! so the construction does most of the work. What no unit can fit is reported with how
//! late it would be, and the planner is run again with more units (copies of the given ones
//! in turn) to say how many would meet everything.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::balance::runs;
use super::paths::{ends, time_matrix, PathSearch, Places, Step};
use super::plan::PatrolUnit;
use super::requirements::Requirements;
use crate::network::{ProfileGraph, RoadNetwork};
use crate::scenario::schedule::{break_in_shift, duty_span, slots, Duty, Schedule, Slot};
use crate::stop::Stop;

/// A unit that patrols the shift, with its duty hours and breaks.
#[derive(Clone, Debug, PartialEq)]
pub struct ShiftUnit {
    /// The unit and its post.
    pub unit: PatrolUnit,
    /// When it is on duty.
    pub duty: Duty,
}

/// What a shift plan must hold.
#[derive(Clone, Copy, Debug)]
pub struct ShiftRequest<'a> {
    /// The lines and checkpoints as matched and placed.
    pub requirements: &'a Requirements,
    /// Each line's schedule, in the order of `requirements.lines`.
    pub line_schedules: &'a [Schedule],
    /// Each checkpoint's schedule, in the order of `requirements.checkpoints`.
    pub checkpoint_schedules: &'a [Schedule],
    /// The units.
    pub units: &'a [ShiftUnit],
    /// The units that would be added next, in order, to find how many would make every
    /// pass (the posts in turn, say); none: the given units in turn.
    pub more_units: &'a [ShiftUnit],
    /// When the shift starts, seconds after midnight.
    pub shift_start_s: f64,
    /// How long it lasts, in seconds.
    pub shift_s: f64,
}

/// What a unit does at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activity {
    /// Drives a patrol line (index in the requirements).
    LinePass {
        /// The line.
        line: usize,
    },
    /// Stays at a checkpoint.
    CheckpointVisit {
        /// The checkpoint.
        checkpoint: usize,
    },
    /// Takes a break at its post.
    Break {
        /// Which of its breaks.
        index: usize,
    },
}

/// Why a pass is missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissReason {
    /// Every unit is busy or too far away then: more units would make it.
    NoUnitFree,
    /// The slot is shorter than the pass itself.
    SlotTooShort,
    /// No unit's post can reach it and come back.
    Unreachable,
    /// The line is not matched to the roads (its reason is in the requirements).
    NotMatched,
    /// The checkpoint is not on a road.
    NotPlaced,
    /// A break that does not fit the unit's duty hours.
    OutsideDuty,
}

/// A pass (or break) the plan does not make.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MissedPass {
    /// What it is.
    pub activity: Activity,
    /// The unit, for a break.
    pub unit: Option<usize>,
    /// When it was due, seconds into the shift.
    pub slot: Slot,
    /// Why it is missed.
    pub reason: MissReason,
    /// For [`MissReason::NoUnitFree`]: the least any unit would be late by, in seconds.
    pub late_by_s: Option<f64>,
}

/// Something a unit does, in its timetable.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Event {
    /// What.
    pub activity: Activity,
    /// Which slot of the requirement (or which break) it makes.
    pub slot: usize,
    /// When it starts (entering the line, arriving at the checkpoint), seconds into the shift.
    pub start_s: f64,
    /// When it is over.
    pub end_s: f64,
}

/// Why a unit stands still.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    /// Waiting for the next job's time.
    Wait,
    /// Staying at a checkpoint.
    Dwell,
    /// A break.
    Break,
}

/// A time a unit stands still on its road: before step `step` is driven (or at the end when
/// `step` is the number of steps), `along` of the way into it (a fraction of the step in its
/// direction of travel; 0 at its start).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Hold {
    /// The step it stands on.
    pub step: usize,
    /// How far into that step.
    pub along: f64,
    /// How long, in seconds.
    pub length_s: f64,
    /// Why.
    pub kind: HoldKind,
}

/// One unit's shift: the road it drives from its post and back, where it stands still and
/// for how long, and its timetable.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ShiftRoute {
    /// Index of the unit.
    pub unit: usize,
    /// When it leaves its post, seconds into the shift.
    pub start_s: f64,
    /// The road, from its post back to it.
    pub steps: Vec<Step>,
    /// Where and how long it stands still, in order.
    pub holds: Vec<Hold>,
    /// What it does when, in order.
    pub events: Vec<Event>,
    /// Driving and dwell, in seconds.
    pub working_s: f64,
    /// Driving alone, in seconds.
    pub driving_s: f64,
    /// When it is back at its post for the last time, seconds into the shift.
    pub end_s: f64,
}

/// The shift plan.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ShiftPlan {
    /// One per unit, in the units' order.
    pub routes: Vec<ShiftRoute>,
    /// Every slot of every line and checkpoint: the unit that makes it, if any.
    pub passes: Vec<PassMade>,
    /// What is not made, and why.
    pub missed: Vec<MissedPass>,
    /// The longest working time, in seconds.
    pub longest_working_s: f64,
    /// All units' driving, in seconds.
    pub total_driving_s: f64,
    /// When passes are missed that more units could make: how many units (copies of the
    /// given ones in turn) the planner needs to make every pass it can, if it found a number
    /// up to sixteen times as many (or 16 more) within [`UNITS_NEEDED_TIME`].
    pub units_needed: Option<usize>,
}

/// A slot of a line or checkpoint, and who makes it.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PassMade {
    /// The line or checkpoint.
    pub activity: Activity,
    /// The slot.
    pub slot: Slot,
    /// The unit that makes it (all of a line's runs), if one does.
    pub unit: Option<usize>,
}

/// The most time spent finding how many units would make every pass.
pub const UNITS_NEEDED_TIME: Duration = Duration::from_secs(5);

/// Keeps planned times this far inside every limit, in seconds: the planner times its
/// choices by a matrix of f32, the routes then by their exact steps.
const MARGIN_S: f64 = 1.0;

/// One way to do a job: from place to place over `steps`, starting within `earliest_s` and
/// `latest_s`; for a checkpoint, the stay starts `stop_after_s` into it, `stop_along` of the
/// way along its step.
#[derive(Clone, Debug)]
struct Way {
    from: u32,
    to: u32,
    steps: Vec<Step>,
    earliest_s: f64,
    latest_s: f64,
    stop: Option<(f64, f64)>,
    /// How long it takes once begun (driving plus stay, or the break): per way, since each
    /// direction of an edge has its own time.
    service_s: f64,
    /// Of which working time.
    working_s: f64,
}

#[derive(Clone, Debug)]
struct Job {
    activity: Activity,
    slot: usize,
    window: Slot,
    ways: Vec<Way>,
    /// A break belongs to its unit.
    owner: Option<usize>,
}

/// A unit's sequence of jobs, with the arrays that make an insertion's check O(1).
#[derive(Clone, Debug)]
struct Tour {
    depot: u32,
    span: Slot,
    items: Vec<(u32, u8)>,
    finish: Vec<f64>,
    latest: Vec<f64>,
    working_s: f64,
}

/// Where a job goes: tour, gap, way, and the working time it adds.
type Insertion = (usize, usize, u8, f64);

struct Model {
    jobs: Vec<Job>,
    places: usize,
    matrix: std::sync::Arc<Vec<f64>>,
}

impl Model {
    fn t(&self, a: u32, b: u32) -> f64 {
        self.matrix[a as usize * self.places + b as usize]
    }

    fn way(&self, item: (u32, u8)) -> &Way {
        &self.jobs[item.0 as usize].ways[item.1 as usize]
    }

    fn refresh(&self, tour: &mut Tour) {
        let n = tour.items.len();
        tour.finish.resize(n, 0.0);
        tour.latest.resize(n, 0.0);
        let (mut clock, mut at, mut working) = (tour.span.start_s, tour.depot, 0.0);
        for (i, &item) in tour.items.iter().enumerate() {
            let w = self.way(item);
            let drive = self.t(at, w.from);
            working += drive + w.working_s;
            clock = (clock + drive).max(w.earliest_s) + w.service_s;
            tour.finish[i] = clock;
            at = w.to;
        }
        working += self.t(at, tour.depot);
        tour.working_s = working;
        let (mut next_latest, mut next_from) = (tour.span.end_s - MARGIN_S, tour.depot);
        for i in (0..n).rev() {
            let item = tour.items[i];
            let w = self.way(item);
            let l = w
                .latest_s
                .min(next_latest - self.t(w.to, next_from) - w.service_s);
            tour.latest[i] = l;
            next_latest = l;
            next_from = w.from;
        }
    }

    /// Inserting way `w` of `job` at gap `g` of `tour`: `Ok(working time added)`, or
    /// `Err(seconds late)`.
    fn try_insert(&self, tour: &Tour, g: usize, job: u32, w: u8) -> Result<f64, f64> {
        let j = &self.jobs[job as usize];
        let way = &j.ways[w as usize];
        let (prev_finish, prev_at) = if g == 0 {
            (tour.span.start_s, tour.depot)
        } else {
            (tour.finish[g - 1], self.way(tour.items[g - 1]).to)
        };
        let (next_from, next_latest) = if g == tour.items.len() {
            (tour.depot, tour.span.end_s - MARGIN_S)
        } else {
            (self.way(tour.items[g]).from, tour.latest[g])
        };
        let drive_in = self.t(prev_at, way.from);
        let begin = (prev_finish + drive_in).max(way.earliest_s);
        if begin.is_nan() || begin > way.latest_s {
            return Err(if begin.is_finite() {
                begin - way.latest_s
            } else {
                f64::INFINITY
            });
        }
        let drive_out = self.t(way.to, next_from);
        let arrive = begin + way.service_s + drive_out;
        if arrive.is_nan() || arrive > next_latest {
            return Err(if arrive.is_finite() {
                arrive - next_latest
            } else {
                f64::INFINITY
            });
        }
        Ok(drive_in + way.working_s + drive_out - self.t(prev_at, next_from))
    }

    /// The best place for `job` over `tours` (its owner's only, for a break): (tour, gap,
    /// way, added), by the longest working time it leaves, then the time it adds; or the
    /// least lateness.
    fn best_insertion(&self, tours: &[Tour], job: u32) -> Result<Insertion, f64> {
        let j = &self.jobs[job as usize];
        let longest = tours.iter().map(|t| t.working_s).fold(0.0, f64::max);
        let mut best: Option<((f64, f64), Insertion)> = None;
        let mut least_late = f64::INFINITY;
        for (u, tour) in tours.iter().enumerate() {
            if j.owner.is_some_and(|o| o != u) {
                continue;
            }
            for g in 0..=tour.items.len() {
                for w in 0..j.ways.len() as u8 {
                    match self.try_insert(tour, g, job, w) {
                        Ok(added) => {
                            let key = (longest.max(tour.working_s + added), added);
                            if best.as_ref().is_none_or(|(k, _)| key < *k) {
                                best = Some((key, (u, g, w, added)));
                            }
                        }
                        Err(late) => least_late = least_late.min(late),
                    }
                }
            }
        }
        best.map(|(_, b)| b).ok_or(least_late)
    }

    fn insert(&self, tours: &mut [Tour], (u, g, w, _): Insertion, job: u32) {
        tours[u].items.insert(g, (job, w));
        self.refresh(&mut tours[u]);
    }
}

/// The longest and the total working time.
fn objective(tours: &[Tour]) -> (f64, f64) {
    let working: Vec<f64> = tours.iter().map(|t| t.working_s).collect();
    objective_of(&working)
}

fn objective_of(working: &[f64]) -> (f64, f64) {
    (
        working.iter().copied().fold(0.0, f64::max),
        working.iter().sum(),
    )
}

/// The jobs of a request: every slot of every line run and checkpoint, and every break; with
/// the passes that cannot be jobs at all.
struct Jobs {
    model: Model,
    nodes: Vec<u32>,
    depots: Vec<u32>,
    passes: Vec<(Activity, usize, Slot)>,
    missed: Vec<MissedPass>,
}

fn build_jobs(network: &RoadNetwork, graph: &ProfileGraph, request: &ShiftRequest) -> Jobs {
    let time = |s: Step| graph.time_s(s.0, s.1);
    let mut places = Places::default();
    let mut place = |v: u32| places.place(v);
    let all_units: Vec<&ShiftUnit> = request.units.iter().chain(request.more_units).collect();
    let depots: Vec<u32> = all_units.iter().map(|u| place(u.unit.depot)).collect();
    let mut jobs = Vec::new();
    let mut passes = Vec::new();
    let mut missed = Vec::new();
    let (start, length) = (request.shift_start_s, request.shift_s);
    let miss = |activity, slot: Slot, reason| MissedPass {
        activity,
        unit: None,
        slot,
        reason,
        late_by_s: None,
    };
    for (i, line) in request.requirements.lines.iter().enumerate() {
        let activity = Activity::LinePass { line: i };
        let schedule = request.line_schedules.get(i).cloned().unwrap_or_default();
        let line_runs = runs(network, graph, &line.required);
        for (s, slot) in slots(&schedule, start, length).into_iter().enumerate() {
            passes.push((activity, s, slot));
            if line.matched.is_err() || line_runs.is_empty() {
                missed.push(miss(activity, slot, MissReason::NotMatched));
                continue;
            }
            for run in &line_runs {
                let mut ways = vec![run.steps.clone()];
                if run.reversible {
                    ways.push(run.steps.iter().rev().map(|&(e, f)| (e, !f)).collect());
                }
                jobs.push(Job {
                    activity,
                    slot: s,
                    window: slot,
                    ways: ways
                        .into_iter()
                        .map(|steps| {
                            let service_s: f64 = steps.iter().map(|&st| time(st)).sum();
                            Way {
                                from: place(ends(network, steps[0]).0),
                                to: place(ends(network, steps[steps.len() - 1]).1),
                                steps,
                                earliest_s: slot.start_s,
                                latest_s: slot.end_s - service_s - MARGIN_S,
                                stop: None,
                                service_s,
                                working_s: service_s,
                            }
                        })
                        .collect(),
                    owner: None,
                });
            }
        }
    }
    for (i, c) in request.requirements.checkpoints.iter().enumerate() {
        let activity = Activity::CheckpointVisit { checkpoint: i };
        let schedule = request
            .checkpoint_schedules
            .get(i)
            .cloned()
            .unwrap_or_default();
        for (s, slot) in slots(&schedule, start, length).into_iter().enumerate() {
            passes.push((activity, s, slot));
            let Ok(p) = &c.place else {
                missed.push(miss(activity, slot, MissReason::NotPlaced));
                continue;
            };
            let mut ways = Vec::new();
            for forward in [true, false] {
                if !graph.allows(p.edge, forward) {
                    continue;
                }
                let t = graph.time_s(p.edge, forward);
                let along = if forward {
                    p.fraction
                } else {
                    1.0 - p.fraction
                };
                let step = (p.edge, forward);
                let (a, b) = ends(network, step);
                ways.push(Way {
                    from: place(a),
                    to: place(b),
                    steps: vec![step],
                    earliest_s: slot.start_s - along * t,
                    latest_s: slot.end_s - c.dwell_s - along * t - MARGIN_S,
                    stop: Some((along * t, along)),
                    service_s: t + c.dwell_s,
                    working_s: t + c.dwell_s,
                });
            }
            if ways.is_empty() {
                missed.push(miss(activity, slot, MissReason::Unreachable));
                continue;
            }
            jobs.push(Job {
                activity,
                slot: s,
                window: slot,
                ways,
                owner: None,
            });
        }
    }
    for (u, unit) in all_units.iter().enumerate() {
        let span = duty_span(&unit.duty, start, length);
        for (b, brk) in unit.duty.breaks.iter().enumerate() {
            let window = break_in_shift(brk, start);
            let activity = Activity::Break { index: b };
            let fits =
                window.start_s >= span.start_s && window.start_s + brk.length_s <= span.end_s;
            if !fits && u < request.units.len() {
                missed.push(MissedPass {
                    unit: Some(u),
                    ..miss(
                        activity,
                        Slot {
                            start_s: window.start_s,
                            end_s: window.end_s + brk.length_s,
                        },
                        MissReason::OutsideDuty,
                    )
                });
                continue;
            }
            if !fits {
                continue;
            }
            jobs.push(Job {
                activity,
                slot: b,
                window: Slot {
                    start_s: window.start_s,
                    end_s: window.end_s + brk.length_s,
                },
                ways: vec![Way {
                    from: depots[u],
                    to: depots[u],
                    steps: Vec::new(),
                    earliest_s: window.start_s,
                    latest_s: window.end_s.min(span.end_s - brk.length_s - MARGIN_S),
                    stop: None,
                    service_s: brk.length_s,
                    working_s: 0.0,
                }],
                owner: Some(u),
            });
        }
    }
    let nodes = places.nodes;
    let matrix = std::sync::Arc::new(
        time_matrix(network, graph, &nodes)
            .into_iter()
            .map(f64::from)
            .collect(),
    );
    Jobs {
        model: Model {
            jobs,
            places: nodes.len(),
            matrix,
        },
        nodes,
        depots,
        passes,
        missed,
    }
}

/// Plans the shift for `request`, its improvement searching at most `search` (or until
/// `stop`); every pass it cannot make is in [`ShiftPlan::missed`] with the reason.
pub fn plan_shift(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    request: &ShiftRequest,
    stop: &Stop,
    search: Duration,
) -> ShiftPlan {
    assert!(
        !request.units.is_empty(),
        "a shift plan needs at least one unit"
    );
    stop.stage("timetabling", 0);
    let jobs = build_jobs(network, graph, request);
    let k = request.units.len();
    let spans: Vec<Slot> = request
        .units
        .iter()
        .chain(request.more_units)
        .map(|u| duty_span(&u.duty, request.shift_start_s, request.shift_s))
        .collect();
    let deadline = Instant::now() + search;
    let (tours, left) = solve(
        &jobs.model,
        &jobs.depots[..k],
        &spans[..k],
        stop,
        Some(deadline),
    );
    let more_could = left.iter().any(|(_, r, _)| *r == MissReason::NoUnitFree);
    let units_needed = more_could
        .then(|| {
            units_needed(
                &jobs.model,
                k,
                &jobs.depots,
                &spans,
                &stop.within(UNITS_NEEDED_TIME),
            )
        })
        .flatten();
    let mut missed = jobs.missed.clone();
    let model = &jobs.model;
    for &(job, reason, late) in &left {
        let j = &model.jobs[job as usize];
        // A line's runs in one slot are one pass: say it once.
        if missed
            .iter()
            .any(|m| m.activity == j.activity && m.slot == j.window && j.owner.is_none())
        {
            continue;
        }
        missed.push(MissedPass {
            activity: j.activity,
            unit: j.owner,
            slot: j.window,
            reason,
            late_by_s: late.is_finite().then_some(late),
        });
    }
    let routes: Vec<ShiftRoute> = tours
        .iter()
        .enumerate()
        .map(|(u, tour)| materialise(network, graph, model, &jobs.nodes, u, tour))
        .collect();
    // A pass is made by the unit doing its every run in its slot.
    let mut unit_of_job: Vec<Option<usize>> = vec![None; model.jobs.len()];
    for (u, t) in tours.iter().enumerate() {
        for item in &t.items {
            unit_of_job[item.0 as usize] = Some(u);
        }
    }
    let mut runs_of: HashMap<(Activity, usize), Vec<usize>> = HashMap::new();
    for (j, job) in model.jobs.iter().enumerate() {
        runs_of.entry((job.activity, job.slot)).or_default().push(j);
    }
    let passes = jobs
        .passes
        .iter()
        .map(|&(activity, s, slot)| {
            let runs = runs_of.get(&(activity, s)).map_or(&[][..], Vec::as_slice);
            let unit = if !runs.is_empty() && runs.iter().all(|&j| unit_of_job[j].is_some()) {
                unit_of_job[runs[0]]
            } else {
                None
            };
            PassMade {
                activity,
                slot,
                unit,
            }
        })
        .collect();
    ShiftPlan {
        longest_working_s: routes.iter().map(|r| r.working_s).fold(0.0, f64::max),
        total_driving_s: routes.iter().map(|r| r.driving_s).sum(),
        routes,
        passes,
        missed,
        units_needed,
    }
}

type Left = Vec<(u32, MissReason, f64)>;

/// Construction and improvement on `model` for units at `depots` on duty in `spans`: the
/// tours, and the jobs left out with why and how late.
fn solve(
    model: &Model,
    depots: &[u32],
    spans: &[Slot],
    stop: &Stop,
    deadline: Option<Instant>,
) -> (Vec<Tour>, Left) {
    // Breaks of units not planned here (the spare ones) are left aside.
    let jobs: Vec<u32> = (0..model.jobs.len() as u32)
        .filter(|&j| {
            model.jobs[j as usize]
                .owner
                .is_none_or(|o| o < depots.len())
        })
        .collect();
    let latest = |j: u32| {
        model.jobs[j as usize]
            .ways
            .iter()
            .map(|w| w.latest_s)
            .fold(f64::INFINITY, f64::min)
    };
    let start = |j: u32| model.jobs[j as usize].window.start_s;
    let owned = |j: u32| model.jobs[j as usize].owner.is_none();
    // Breaks first (they belong to one unit each), then the passes by one of these orders:
    // tightest deadline, earliest start, shortest slot. The first alone when no time is
    // given (counting the units needed); each then improved, the best kept.
    let orders: [&dyn Fn(u32) -> (bool, f64, f64); 3] = [
        &|j| (owned(j), latest(j), start(j)),
        &|j| (owned(j), start(j), latest(j)),
        &|j| (owned(j), latest(j) - start(j), start(j)),
    ];
    let over = |stop: &Stop| stop.should_stop() || deadline.is_some_and(|d| Instant::now() >= d);
    let mut best: Option<(Vec<Tour>, Vec<u32>)> = None;
    for key in orders {
        if best.is_some() && (deadline.is_none() || over(stop)) {
            break;
        }
        let mut order = jobs.clone();
        order.sort_by(|&a, &b| {
            key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let (mut tours, mut left) = construct(model, depots, spans, &order);
        if deadline.is_some() {
            improve(model, &mut tours, &mut left, &|| over(stop));
        }
        let better = best
            .as_ref()
            .is_none_or(|(t, l)| (left.len(), objective(&tours)) < (l.len(), objective(t)));
        if better {
            best = Some((tours, left));
        }
    }
    let (tours, left) = best.expect("one order at least");
    let with_reason = left
        .into_iter()
        .map(|j| {
            let job = &model.jobs[j as usize];
            let reachable = job.ways.iter().any(|w| {
                depots
                    .iter()
                    .any(|&d| model.t(d, w.from).is_finite() && model.t(w.to, d).is_finite())
            });
            let fits = job.ways.iter().any(|w| w.latest_s >= w.earliest_s);
            let late = model
                .best_insertion(&tours, j)
                .err()
                .unwrap_or(f64::INFINITY);
            let reason = if job.owner.is_some() {
                MissReason::OutsideDuty
            } else if !reachable {
                MissReason::Unreachable
            } else if !fits {
                MissReason::SlotTooShort
            } else {
                MissReason::NoUnitFree
            };
            (j, reason, late)
        })
        .collect();
    (tours, with_reason)
}

/// Empty tours for units at `depots` on duty in `spans`, then each job of `order` put where
/// it does best; the jobs that fit nowhere.
fn construct(
    model: &Model,
    depots: &[u32],
    spans: &[Slot],
    order: &[u32],
) -> (Vec<Tour>, Vec<u32>) {
    let mut tours: Vec<Tour> = depots
        .iter()
        .zip(spans)
        .map(|(&depot, &span)| {
            let mut t = Tour {
                depot,
                span,
                items: Vec::new(),
                finish: Vec::new(),
                latest: Vec::new(),
                working_s: 0.0,
            };
            model.refresh(&mut t);
            t
        })
        .collect();
    let mut left = Vec::new();
    for &j in order {
        match model.best_insertion(&tours, j) {
            Ok(at) => model.insert(&mut tours, at, j),
            Err(_) => left.push(j),
        }
    }
    (tours, left)
}

/// Until nothing changes (or `over`): each job taken out and put back where it does best
/// when that shortens the longest working time (or, at equal, the total); each job left out
/// tried again, also in the place of one job that then goes elsewhere (an ejection).
fn improve(model: &Model, tours: &mut [Tour], left: &mut Vec<u32>, over: &dyn Fn() -> bool) {
    let mut improved = true;
    while improved && !over() {
        improved = false;
        for u in 0..tours.len() {
            let mut i = 0;
            while i < tours[u].items.len() && !over() {
                let before = objective(tours);
                let item = tours[u].items.remove(i);
                model.refresh(&mut tours[u]);
                if let Ok(at) = model.best_insertion(tours, item.0) {
                    let mut working: Vec<f64> = tours.iter().map(|t| t.working_s).collect();
                    working[at.0] += at.3;
                    let after = objective_of(&working);
                    if after.0 < before.0 - 1e-6
                        || (after.0 <= before.0 + 1e-6 && after.1 < before.1 - 1e-6)
                    {
                        model.insert(tours, at, item.0);
                        improved = true;
                        // Moved to another unit: the next job is now at `i`.
                        if at.0 == u {
                            i += 1;
                        }
                        continue;
                    }
                }
                tours[u].items.insert(i, item);
                model.refresh(&mut tours[u]);
                i += 1;
            }
        }
        // Room made: the missed ones again, straight in or by ejecting one.
        let mut still = Vec::new();
        for j in std::mem::take(left) {
            if over() {
                still.push(j);
                continue;
            }
            match model.best_insertion(tours, j) {
                Ok(at) => {
                    model.insert(tours, at, j);
                    improved = true;
                }
                Err(_) if eject_for(model, tours, j) => improved = true,
                Err(_) => still.push(j),
            }
        }
        *left = still;
    }
}

/// Makes room for `job` by taking one job out of a tour and putting it elsewhere: `job` goes
/// where it does best, or either way into the gap the other left (or next to it); the other
/// then where it does best. Whether it found a way (both then in), else `tours` as they were.
fn eject_for(model: &Model, tours: &mut [Tour], job: u32) -> bool {
    let ways = model.jobs[job as usize].ways.len() as u8;
    for u in 0..tours.len() {
        for i in 0..tours[u].items.len() {
            let out = tours[u].items.remove(i);
            model.refresh(&mut tours[u]);
            let mut tries: Vec<Insertion> = model.best_insertion(tours, job).into_iter().collect();
            for g in i.saturating_sub(1)..=(i + 1).min(tours[u].items.len()) {
                for w in 0..ways {
                    if let Ok(added) = model.try_insert(&tours[u], g, job, w) {
                        tries.push((u, g, w, added));
                    }
                }
            }
            for at in tries {
                let saved = tours[at.0].clone();
                model.insert(tours, at, job);
                if let Ok(again) = model.best_insertion(tours, out.0) {
                    model.insert(tours, again, out.0);
                    return true;
                }
                tours[at.0] = saved;
            }
            tours[u].items.insert(i, out);
            model.refresh(&mut tours[u]);
        }
    }
    false
}

/// How many units, the first `k` of `depots` and then the rest in order (the given ones in
/// turn when there is no rest), leave no pass missed for want of a free unit, by
/// construction alone (the plan's improvement can only make more): doubling, then halving
/// the gap; `None` past sixteen times as many (or 16 more), or when [`UNITS_NEEDED_TIME`]
/// runs out first.
fn units_needed(
    model: &Model,
    k: usize,
    depots: &[u32],
    spans: &[Slot],
    stop: &Stop,
) -> Option<usize> {
    let extra = depots.len() > k;
    let most = if extra {
        depots.len()
    } else {
        (4 * k).max(k + 16)
    };
    let enough =
        |n: usize| -> bool {
            let d: Vec<u32> = (0..n)
                .map(|i| depots[if extra { i } else { i % k }])
                .collect();
            let s: Vec<Slot> = (0..n)
                .map(|i| spans[if extra { i } else { i % k }])
                .collect();
            // Copies of the given units take their breaks too (spare units from the request
            // have theirs among the jobs already).
            let with_copies;
            let m =
                if extra {
                    model
                } else {
                    let mut jobs = model.jobs.clone();
                    for copy in k..n {
                        jobs.extend(model.jobs.iter().filter(|j| j.owner == Some(copy % k)).map(
                            |j| {
                                let mut j = j.clone();
                                j.owner = Some(copy);
                                j
                            },
                        ));
                    }
                    with_copies = Model {
                        jobs,
                        places: model.places,
                        matrix: model.matrix.clone(),
                    };
                    &with_copies
                };
            let (_, left) = solve(m, &d, &s, stop, None);
            !left.iter().any(|(_, r, _)| *r == MissReason::NoUnitFree)
        };
    let mut low = k;
    let mut high = loop {
        let next = (low * 2).min(most);
        if next <= low || stop.should_stop() {
            return None;
        }
        if enough(next) {
            break next;
        }
        low = next;
    };
    while high - low > 1 && !stop.should_stop() {
        let mid = (low + high) / 2;
        if enough(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(high)
}

/// `tour` on the road: the quickest way between its jobs, its waits, stays and breaks, timed
/// by the exact steps.
fn materialise(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    model: &Model,
    nodes: &[u32],
    unit: usize,
    tour: &Tour,
) -> ShiftRoute {
    let mut search = PathSearch::new(network.nodes.len());
    let depot = nodes[tour.depot as usize];
    let time = |s: &Step| graph.time_s(s.0, s.1);
    let mut route = ShiftRoute {
        unit,
        start_s: tour.span.start_s,
        steps: Vec::new(),
        holds: Vec::new(),
        events: Vec::new(),
        working_s: 0.0,
        driving_s: 0.0,
        end_s: tour.span.start_s,
    };
    let mut clock = tour.span.start_s;
    let mut at = depot;
    let mut link = |from: u32, to: u32| -> Vec<Step> {
        if from == to {
            return Vec::new();
        }
        search
            .quickest(network, graph, from, to)
            .map(|(_, steps)| steps)
            .unwrap_or_default()
    };
    for &item in &tour.items {
        let job = &model.jobs[item.0 as usize];
        let way = model.way(item);
        let path = link(at, nodes[way.from as usize]);
        let drive: f64 = path.iter().map(time).sum();
        // Wait where it is (at its post, or where the last job ended) before driving on.
        let wait = way.earliest_s - (clock + drive);
        if wait > 1e-9 {
            route.holds.push(Hold {
                step: route.steps.len(),
                along: 0.0,
                length_s: wait,
                kind: HoldKind::Wait,
            });
            clock += wait;
        }
        route.steps.extend(path);
        route.driving_s += drive;
        clock += drive;
        let begin = clock;
        match job.activity {
            Activity::Break { .. } => {
                route.holds.push(Hold {
                    step: route.steps.len(),
                    along: 0.0,
                    length_s: way.service_s,
                    kind: HoldKind::Break,
                });
                clock += way.service_s;
                route.events.push(Event {
                    activity: job.activity,
                    slot: job.slot,
                    start_s: begin,
                    end_s: clock,
                });
            }
            Activity::CheckpointVisit { .. } => {
                let (after_s, along) = way.stop.unwrap_or((0.0, 0.0));
                let dwell = way.service_s - time(&way.steps[0]);
                route.holds.push(Hold {
                    step: route.steps.len(),
                    along,
                    length_s: dwell,
                    kind: HoldKind::Dwell,
                });
                route.events.push(Event {
                    activity: job.activity,
                    slot: job.slot,
                    start_s: begin + after_s,
                    end_s: begin + after_s + dwell,
                });
                route.steps.extend(&way.steps);
                route.driving_s += time(&way.steps[0]);
                route.working_s += dwell;
                clock += way.service_s;
            }
            Activity::LinePass { .. } => {
                route.steps.extend(&way.steps);
                let d: f64 = way.steps.iter().map(time).sum();
                route.driving_s += d;
                clock += d;
                route.events.push(Event {
                    activity: job.activity,
                    slot: job.slot,
                    start_s: begin,
                    end_s: clock,
                });
            }
        }
        at = nodes[way.to as usize];
    }
    let home = link(at, depot);
    let drive: f64 = home.iter().map(time).sum();
    route.steps.extend(home);
    route.driving_s += drive;
    route.working_s += route.driving_s;
    route.end_s = clock + drive;
    route
}
