//! The min-max routing core: K units, each leaving its depot and coming back, serve every
//! task (a required piece of road, driven one way or, when it allows, the other, each way with
//! its own cost: a "windy" problem); the longest route is minimised, then the total. The input
//! is abstract (places, a time matrix between them, tasks with their ways), so the same core
//! answers the city plans (tasks are runs of required road, places their ends and the posts)
//! and the public MM-kWRPP benchmark (tasks are its required edges, places its vertices).
//!
//! Method, and why this one: an iterated local search with ruin and recreate (Schrimpf et al.
//! 2000; the "slack induction" variant of Christiaens & Vanden Berghe 2020 removes strings of
//! neighbouring tasks) and simulated-annealing acceptance, over routes whose orientations are
//! chosen exactly by dynamic programming. Benavent et al. (2009) solve MM-kWRPP with an
//! iterated local search, Vidal (2017) with a hybrid genetic search; both owe most of their
//! strength to the same two things kept here: a local search whose moves are evaluated with
//! the best orientation of every task (prefix and suffix DP over the two ways of each task, so
//! a move costs O(1)), and a perturbation that rebuilds a region at a time. A population was
//! not needed: on the MM-kWRPP benchmark this comes within 0.011 % of HGS-CARP's answers on
//! average in 6 % of its time (`BENCHMARKS.md`); two independent runs (one per core) make the
//! result less dependent on one seed.
//!
//! The local search compares plans by their route times sorted longest first
//! (lexicographically): a move that shortens the second longest route without lengthening the
//! longest is an improvement, which a plain "longest, then total" would not always see.

use rayon::prelude::*;

use crate::scenario::generate::SplitMix64;
use crate::stop::Stop;

/// One way of serving a task: from place `from` to place `to`, costing `cost`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Way {
    /// Where the service starts.
    pub from: u32,
    /// Where it ends.
    pub to: u32,
    /// What the service itself costs (seconds for a city; the file's unit for a benchmark).
    pub cost: f64,
}

/// A task: served once, in one of its ways.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Task {
    ways: [Way; 2],
    two: bool,
}

impl Task {
    /// A task with one way only (a one-way road).
    pub fn one_way(way: Way) -> Task {
        Task {
            ways: [way, way],
            two: false,
        }
    }

    /// A task that may be served either way.
    pub fn either(forward: Way, backward: Way) -> Task {
        Task {
            ways: [forward, backward],
            two: true,
        }
    }

    /// Its ways (one or two).
    pub fn ways(&self) -> &[Way] {
        if self.two {
            &self.ways
        } else {
            &self.ways[..1]
        }
    }
}

/// What a min-max problem is made of.
#[derive(Clone, Debug)]
pub struct Instance {
    places: usize,
    /// `time[a * places + b]`: the least cost from place a to place b (infinite when none).
    time: Vec<f64>,
    tasks: Vec<Task>,
    /// One entry per unit: the place it leaves from and comes back to.
    depots: Vec<u32>,
    /// For each task, the others by how close they are (the local search's candidates).
    neighbours: Vec<Vec<u32>>,
}

/// Why an instance cannot be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InstanceError {
    /// The matrix is not places × places.
    #[error("the time matrix has {got} entries, {places} places need {}", places * places)]
    Matrix {
        /// Entries given.
        got: usize,
        /// Places named.
        places: usize,
    },
    /// A task or depot names a place beyond the matrix.
    #[error("place {place} is beyond the {places} places")]
    Place {
        /// The place.
        place: u32,
        /// How many there are.
        places: usize,
    },
    /// No unit.
    #[error("no unit to serve the tasks")]
    NoUnit,
}

/// How many closest tasks the local search tries next to each task.
const NEIGHBOURS: usize = 30;

impl Instance {
    /// An instance from its places' time matrix (row-major, `places × places`), tasks and
    /// one depot per unit.
    ///
    /// ```
    /// use patrolmap_core::patrol::minmax::{Instance, Task, Way};
    /// // Places 0 (the depot), 1, 2 on a line, 1 apart; one task from 1 to 2 either way.
    /// let time = vec![0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0];
    /// let task = Task::either(Way { from: 1, to: 2, cost: 1.0 }, Way { from: 2, to: 1, cost: 1.0 });
    /// let instance = Instance::new(3, time, vec![task], vec![0]).unwrap();
    /// assert_eq!(instance.tasks().len(), 1);
    /// ```
    pub fn new(
        places: usize,
        time: Vec<f64>,
        tasks: Vec<Task>,
        depots: Vec<u32>,
    ) -> Result<Instance, InstanceError> {
        if time.len() != places * places {
            return Err(InstanceError::Matrix {
                got: time.len(),
                places,
            });
        }
        if depots.is_empty() {
            return Err(InstanceError::NoUnit);
        }
        let beyond = |p: u32| (p as usize >= places).then_some(p);
        if let Some(place) = tasks
            .iter()
            .flat_map(|t| t.ways().iter().flat_map(|w| [w.from, w.to]))
            .chain(depots.iter().copied())
            .find_map(beyond)
        {
            return Err(InstanceError::Place { place, places });
        }
        let mut instance = Instance {
            places,
            time,
            tasks,
            depots,
            neighbours: Vec::new(),
        };
        instance.neighbours = (0..instance.tasks.len())
            .map(|x| {
                let mut others: Vec<(f64, u32)> = (0..instance.tasks.len())
                    .filter(|&y| y != x)
                    .map(|y| (instance.closeness(x, y), y as u32))
                    .collect();
                let keep = NEIGHBOURS.min(others.len());
                if keep < others.len() {
                    others.select_nth_unstable_by(keep, |a, b| a.0.total_cmp(&b.0));
                    others.truncate(keep);
                }
                others.sort_by(|a, b| a.0.total_cmp(&b.0));
                others.into_iter().map(|(_, y)| y).collect()
            })
            .collect();
        Ok(instance)
    }

    /// Its tasks.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Its units' depots.
    pub fn depots(&self) -> &[u32] {
        &self.depots
    }

    /// The least cost from place `a` to place `b`.
    #[inline]
    pub fn time(&self, a: u32, b: u32) -> f64 {
        self.time[a as usize * self.places + b as usize]
    }

    /// How close task y is to task x: the least deadhead between their ends either way.
    fn closeness(&self, x: usize, y: usize) -> f64 {
        let mut best = f64::INFINITY;
        for a in self.tasks[x].ways() {
            for b in self.tasks[y].ways() {
                best = best
                    .min(self.time(a.to, b.from))
                    .min(self.time(b.to, a.from));
            }
        }
        best
    }

    /// The cost of a route from `depot` through `tasks` in order, each in its best way, and
    /// those ways (indices into each task's [`Task::ways`]).
    ///
    /// ```
    /// use patrolmap_core::patrol::minmax::{Instance, Task, Way};
    /// let time = vec![0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0];
    /// let task = Task::either(Way { from: 1, to: 2, cost: 1.0 }, Way { from: 2, to: 1, cost: 5.0 });
    /// let instance = Instance::new(3, time, vec![task], vec![0]).unwrap();
    /// // Out to 1, serve 1 → 2 (1), back from 2 (2): 4; the other way would cost 2 + 5 + 1.
    /// assert_eq!(instance.route_cost(0, &[0]), (4.0, vec![0]));
    /// ```
    pub fn route_cost(&self, depot: u32, tasks: &[u32]) -> (f64, Vec<u8>) {
        let mut r = RouteState::new(depot, tasks.to_vec());
        r.refresh(self);
        (r.cost, r.ways)
    }
}

/// How long to search.
#[derive(Clone, Debug)]
pub struct Options {
    /// Ruin-and-recreate rounds per run (the schedule of the acceptance follows them).
    pub iterations: usize,
    /// Independent runs (on all cores); the best is kept.
    pub runs: usize,
    /// The first run's seed; run i uses `seed + i`.
    pub seed: u64,
}

impl Options {
    /// The default effort for an instance of `tasks` tasks, growing with its size: on the
    /// MM-kWRPP benchmark 12 rounds per task (at least 300) come within 0.011 % of the
    /// reference answers on average (worst 1.3 %) in 6 % of the reference's time; 200 per
    /// task met every one, in about its time (`BENCHMARKS.md`).
    pub fn for_tasks(tasks: usize) -> Options {
        Options {
            iterations: (12 * tasks).clamp(300, 20_000),
            runs: 2,
            seed: 1,
        }
    }
}

/// A solution: for each unit, its tasks in order and the way each is served.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// One route per unit (empty when the unit has nothing to do): `(task, way)`.
    pub routes: Vec<Vec<(u32, u8)>>,
    /// Each route's cost.
    pub costs: Vec<f64>,
    /// The longest route's cost.
    pub longest: f64,
    /// All routes' costs.
    pub total: f64,
}

/// One route as the search keeps it: its tasks, their best ways, and the DP tables that price
/// any change in O(1).
#[derive(Clone, Debug)]
struct RouteState {
    depot: u32,
    tasks: Vec<u32>,
    ways: Vec<u8>,
    /// `fwd[i][w]`: least cost from the depot through tasks 0..=i, task i served in way w.
    fwd: Vec<[f64; 2]>,
    /// `bwd[i][w]`: least cost from the start of task i served in way w through the rest and
    /// back to the depot.
    bwd: Vec<[f64; 2]>,
    cost: f64,
}

const INF: f64 = f64::INFINITY;

/// The end of the part before a change: a place and what getting there cost (up to two
/// options: the two ways of the last task kept).
type Ends = [(u32, f64); 2];

impl RouteState {
    fn new(depot: u32, tasks: Vec<u32>) -> RouteState {
        RouteState {
            depot,
            tasks,
            ways: Vec::new(),
            fwd: Vec::new(),
            bwd: Vec::new(),
            cost: 0.0,
        }
    }

    /// The DP tables and best ways, after the tasks changed.
    fn refresh(&mut self, inst: &Instance) {
        let n = self.tasks.len();
        self.fwd.clear();
        self.bwd.clear();
        self.fwd.resize(n, [INF; 2]);
        self.bwd.resize(n, [INF; 2]);
        self.ways.clear();
        self.ways.resize(n, 0);
        if n == 0 {
            self.cost = 0.0;
            return;
        }
        for i in 0..n {
            let task = &inst.tasks[self.tasks[i] as usize];
            for (w, way) in task.ways().iter().enumerate() {
                let reach = if i == 0 {
                    inst.time(self.depot, way.from)
                } else {
                    let prev = &inst.tasks[self.tasks[i - 1] as usize];
                    prev.ways()
                        .iter()
                        .enumerate()
                        .map(|(pw, p)| self.fwd[i - 1][pw] + inst.time(p.to, way.from))
                        .fold(INF, f64::min)
                };
                self.fwd[i][w] = reach + way.cost;
            }
        }
        for i in (0..n).rev() {
            let task = &inst.tasks[self.tasks[i] as usize];
            for (w, way) in task.ways().iter().enumerate() {
                let rest = if i + 1 == n {
                    inst.time(way.to, self.depot)
                } else {
                    let next = &inst.tasks[self.tasks[i + 1] as usize];
                    next.ways()
                        .iter()
                        .enumerate()
                        .map(|(nw, x)| inst.time(way.to, x.from) + self.bwd[i + 1][nw])
                        .fold(INF, f64::min)
                };
                self.bwd[i][w] = way.cost + rest;
            }
        }
        // The ways: forward choice of the best last way, then back through the table.
        let last = &inst.tasks[self.tasks[n - 1] as usize];
        let (mut best, mut w_best) = (INF, 0);
        for (w, way) in last.ways().iter().enumerate() {
            let c = self.fwd[n - 1][w] + inst.time(way.to, self.depot);
            if c < best {
                best = c;
                w_best = w;
            }
        }
        self.cost = best;
        self.ways[n - 1] = w_best as u8;
        for i in (0..n - 1).rev() {
            // The way of task i that the next task's chosen way was reached from.
            let next_way = inst.tasks[self.tasks[i + 1] as usize].ways()[self.ways[i + 1] as usize];
            let task = &inst.tasks[self.tasks[i] as usize];
            let (mut least, mut w_pick) = (INF, 0);
            for (w, way) in task.ways().iter().enumerate() {
                let c = self.fwd[i][w] + inst.time(way.to, next_way.from);
                if c < least {
                    least = c;
                    w_pick = w;
                }
            }
            self.ways[i] = w_pick as u8;
        }
    }

    /// The cost of this route with its tasks at `range` replaced by `middle` (an empty range:
    /// `middle` inserted there).
    fn cost_with(&self, inst: &Instance, range: std::ops::Range<usize>, middle: &[u32]) -> f64 {
        let left = self.left(inst, range.start.checked_sub(1));
        let right = self.right(inst, (range.end < self.tasks.len()).then_some(range.end));
        join(inst, &left, middle, &right)
    }

    /// The ends of the part up to and including position `i` (`None`: nothing, at the depot).
    fn left(&self, inst: &Instance, i: Option<usize>) -> Ends {
        match i {
            None => [(self.depot, 0.0), (self.depot, INF)],
            Some(i) => {
                let task = &inst.tasks[self.tasks[i] as usize];
                let ways = task.ways();
                let second = ways.get(1).map_or((0, INF), |w| (w.to, self.fwd[i][1]));
                [(ways[0].to, self.fwd[i][0]), second]
            }
        }
    }

    /// The starts of the part from position `i` on (`None`: nothing left, back to the depot).
    fn right(&self, inst: &Instance, i: Option<usize>) -> Ends {
        match i {
            None => [(self.depot, 0.0), (self.depot, INF)],
            Some(i) => {
                let task = &inst.tasks[self.tasks[i] as usize];
                let ways = task.ways();
                let second = ways.get(1).map_or((0, INF), |w| (w.from, self.bwd[i][1]));
                [(ways[0].from, self.bwd[i][0]), second]
            }
        }
    }
}

/// The least cost of `left`, then `middle` (tasks in order, each in its best way), then
/// `right`. Without a middle, the two parts joined.
fn join(inst: &Instance, left: &Ends, middle: &[u32], right: &Ends) -> f64 {
    let mut at: Ends = *left;
    for &t in middle {
        let ways = inst.tasks[t as usize].ways();
        let mut next: Ends = [(0, INF), (0, INF)];
        for (w, way) in ways.iter().enumerate() {
            let reach = at
                .iter()
                .filter(|a| a.1 < INF)
                .map(|a| a.1 + inst.time(a.0, way.from))
                .fold(INF, f64::min);
            next[w] = (way.to, reach + way.cost);
        }
        at = next;
    }
    let mut best = INF;
    for a in at.iter().filter(|a| a.1 < INF) {
        for b in right.iter().filter(|b| b.1 < INF) {
            best = best.min(a.1 + inst.time(a.0, b.0) + b.1);
        }
    }
    best
}

/// Whether replacing the route costs `old` (a few of them) by `new` improves the plan's
/// route costs sorted longest first. (The other routes are the same on both sides, so the
/// sorted comparison of the whole plan is the sorted comparison of the changed ones.)
fn improves(old: &[f64], new: &[f64]) -> bool {
    let mut a: [f64; 2] = [0.0; 2];
    let mut b: [f64; 2] = [0.0; 2];
    a[..old.len()].copy_from_slice(old);
    b[..new.len()].copy_from_slice(new);
    if a[0] < a[1] {
        a.swap(0, 1);
    }
    if b[0] < b[1] {
        b.swap(0, 1);
    }
    let eps = 1e-9 * (1.0 + a[0].abs());
    for i in 0..2 {
        if b[i] < a[i] - eps {
            return true;
        }
        if b[i] > a[i] + eps {
            return false;
        }
    }
    false
}

/// A plan under search.
#[derive(Clone, Debug)]
struct Plan {
    routes: Vec<RouteState>,
    /// `place[task] = (route, position)`.
    place: Vec<(u32, u32)>,
    /// A counter of changes, and when each route last changed: the local search's "don't
    /// look bits" (a task is tried again only when a route its moves depend on has changed).
    clock: u64,
    changed: Vec<u64>,
    /// When each task's moves were last tried, and each route's reversals.
    tried: Vec<u64>,
    reversed: Vec<u64>,
}

impl Plan {
    fn new(inst: &Instance) -> Plan {
        Plan {
            routes: inst
                .depots
                .iter()
                .map(|&d| RouteState::new(d, Vec::new()))
                .collect(),
            place: vec![(u32::MAX, u32::MAX); inst.tasks.len()],
            clock: 0,
            changed: vec![0; inst.depots.len()],
            tried: vec![0; inst.tasks.len()],
            reversed: vec![0; inst.depots.len()],
        }
    }

    /// Whether `x`'s moves may find something new: its route, a close task's route, or an
    /// empty route (a relocation's target) changed since they were last tried. The moves
    /// depend on nothing else, so skipping the others loses no improvement.
    fn worth_trying(&self, inst: &Instance, x: u32) -> bool {
        let since = self.tried[x as usize];
        let newer = |t: u32| self.changed[self.place[t as usize].0 as usize] > since;
        newer(x)
            || inst.neighbours[x as usize].iter().any(|&y| newer(y))
            || self
                .routes
                .iter()
                .zip(&self.changed)
                .any(|(r, &c)| r.tasks.is_empty() && c > since)
    }

    /// The route and position of `task`.
    fn at(&self, task: u32) -> (usize, usize) {
        let (r, p) = self.place[task as usize];
        (r as usize, p as usize)
    }

    fn refresh_route(&mut self, inst: &Instance, r: usize) {
        self.clock += 1;
        self.changed[r] = self.clock;
        self.routes[r].refresh(inst);
        for (i, &t) in self.routes[r].tasks.iter().enumerate() {
            self.place[t as usize] = (r as u32, i as u32);
        }
    }

    fn longest(&self) -> f64 {
        self.routes.iter().map(|r| r.cost).fold(0.0, f64::max)
    }

    fn total(&self) -> f64 {
        self.routes.iter().map(|r| r.cost).sum()
    }

    /// The acceptance criterion's one number: the longest route, the total as a tie-break.
    fn score(&self) -> f64 {
        self.longest() + 1e-3 * self.total() / self.routes.len() as f64
    }

    /// Inserts `task` where the plan's longest route grows least (then the route's cost grows
    /// least), skipping each position with probability `blink` (so rebuilds differ).
    fn insert_best(&mut self, inst: &Instance, task: u32, blink: f64, rng: &mut SplitMix64) {
        let longest = self.longest();
        let mut best = (INF, INF, 0usize, 0usize);
        for (r, route) in self.routes.iter().enumerate() {
            let n = route.tasks.len();
            for i in 0..=n {
                if best.0 < INF && blink > 0.0 && rng.next_f64() < blink {
                    continue;
                }
                let c = route.cost_with(inst, i..i, &[task]);
                let key = (longest.max(c), c - route.cost);
                if key.0 < best.0 - 1e-9 || (key.0 <= best.0 + 1e-9 && key.1 < best.1) {
                    best = (key.0, key.1, r, i);
                }
            }
        }
        let (_, _, r, i) = best;
        self.routes[r].tasks.insert(i, task);
        self.refresh_route(inst, r);
    }

    /// Removes `tasks` from their routes.
    fn remove(&mut self, inst: &Instance, tasks: &[u32]) {
        let mut touched: Vec<usize> = Vec::new();
        for &t in tasks {
            let (r, _) = self.place[t as usize];
            if !touched.contains(&(r as usize)) {
                touched.push(r as usize);
            }
            self.place[t as usize] = (u32::MAX, u32::MAX);
        }
        let gone: std::collections::HashSet<u32> = tasks.iter().copied().collect();
        for r in touched {
            self.routes[r].tasks.retain(|t| !gone.contains(t));
            self.refresh_route(inst, r);
        }
    }

    fn solution(&self) -> Solution {
        let routes: Vec<Vec<(u32, u8)>> = self
            .routes
            .iter()
            .map(|r| {
                r.tasks
                    .iter()
                    .copied()
                    .zip(r.ways.iter().copied())
                    .collect()
            })
            .collect();
        let costs: Vec<f64> = self.routes.iter().map(|r| r.cost).collect();
        Solution {
            longest: costs.iter().copied().fold(0.0, f64::max),
            total: costs.iter().sum(),
            routes,
            costs,
        }
    }
}

/// Local search to a local optimum: strings of one to three tasks moved (maybe reversed)
/// next to a close task in any route, two tasks swapped, tails exchanged between routes of
/// the same depot, a run reversed within a route. First improvement, in random order; a task
/// whose moves found nothing is tried again only once a route they depend on has changed
/// (after a ruin and recreate, mostly the tasks near the rebuilt region).
fn local_search(inst: &Instance, plan: &mut Plan, rng: &mut SplitMix64, stop: &Stop) {
    let n = inst.tasks.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut improved = true;
    let mut rounds = 0;
    while improved && rounds < 1000 && !stop.should_stop() {
        improved = false;
        rounds += 1;
        shuffle(&mut order, rng);
        for &x in &order {
            if !plan.worth_trying(inst, x) {
                continue;
            }
            plan.tried[x as usize] = plan.clock;
            if relocate(inst, plan, x) || swap(inst, plan, x) || tails(inst, plan, x) {
                improved = true;
            }
        }
        for r in 0..plan.routes.len() {
            if plan.changed[r] <= plan.reversed[r] {
                continue;
            }
            plan.reversed[r] = plan.clock;
            if reverse_runs(inst, plan, r) {
                improved = true;
            }
        }
    }
}

fn shuffle<T>(v: &mut [T], rng: &mut SplitMix64) {
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// Moves the string of one to three tasks starting at `x` (as is or reversed) next to one of
/// x's close tasks, or into an empty route; the first move that improves.
fn relocate(inst: &Instance, plan: &mut Plan, x: u32) -> bool {
    let (r, p) = plan.at(x);
    for len in 1..=3usize {
        if p + len > plan.routes[r].tasks.len() {
            break;
        }
        let string: Vec<u32> = plan.routes[r].tasks[p..p + len].to_vec();
        let reversed: Vec<u32> = string.iter().rev().copied().collect();
        // The route without the string.
        let mut rest = plan.routes[r].clone();
        rest.tasks.drain(p..p + len);
        rest.refresh(inst);
        let old_r = plan.routes[r].cost;
        // Candidate (route, position) insertions: before and after each close task, and the
        // start of every empty route.
        let mut spots: Vec<(usize, usize)> = Vec::new();
        for &y in &inst.neighbours[x as usize] {
            let (s, mut q) = plan.at(y);
            if s == r {
                if (p..p + len).contains(&q) {
                    continue;
                }
                if q > p {
                    q -= len;
                }
            }
            spots.push((s, q));
            spots.push((s, q + 1));
        }
        if let Some(e) = plan.routes.iter().position(|rt| rt.tasks.is_empty()) {
            spots.push((e, 0));
        }
        for (s, i) in spots {
            let target = if s == r { &rest } else { &plan.routes[s] };
            let m = target.tasks.len();
            if i > m {
                continue;
            }
            let left = target.left(inst, i.checked_sub(1));
            let right = target.right(inst, (i < m).then_some(i));
            for (reverse, seq) in [(false, &string), (true, &reversed)] {
                if reverse && len == 1 {
                    continue;
                }
                let c = join(inst, &left, seq, &right);
                let ok = if s == r {
                    improves(&[old_r], &[c])
                } else {
                    improves(&[old_r, plan.routes[s].cost], &[rest.cost, c])
                };
                if ok {
                    if s == r {
                        let mut tasks = rest.tasks.clone();
                        for (k, &t) in seq.iter().enumerate() {
                            tasks.insert(i + k, t);
                        }
                        plan.routes[r].tasks = tasks;
                        plan.refresh_route(inst, r);
                    } else {
                        plan.routes[r].tasks = rest.tasks.clone();
                        for (k, &t) in seq.iter().enumerate() {
                            plan.routes[s].tasks.insert(i + k, t);
                        }
                        plan.refresh_route(inst, r);
                        plan.refresh_route(inst, s);
                    }
                    return true;
                }
            }
        }
    }
    false
}

/// Swaps `x` with a close task of another route; the first swap that improves.
fn swap(inst: &Instance, plan: &mut Plan, x: u32) -> bool {
    let (r, p) = plan.at(x);
    for &y in &inst.neighbours[x as usize] {
        let (s, q) = plan.at(y);
        if s == r {
            continue;
        }
        let (a, b) = (&plan.routes[r], &plan.routes[s]);
        let ca = a.cost_with(inst, p..p + 1, &[y]);
        let cb = b.cost_with(inst, q..q + 1, &[x]);
        if improves(&[a.cost, b.cost], &[ca, cb]) {
            plan.routes[r].tasks[p] = y;
            plan.routes[s].tasks[q] = x;
            plan.refresh_route(inst, r);
            plan.refresh_route(inst, s);
            return true;
        }
    }
    false
}

/// Exchanges the tails after `x` and after (or from) a close task of another route with the
/// same depot (2-opt*).
fn tails(inst: &Instance, plan: &mut Plan, x: u32) -> bool {
    let (r, p) = plan.at(x);
    for &y in &inst.neighbours[x as usize] {
        let (s, q) = plan.at(y);
        if s == r || plan.routes[s].depot != plan.routes[r].depot {
            continue;
        }
        // r keeps 0..=p and takes s's tail from q (y first); s keeps 0..q and takes r's tail
        // after p.
        let (a, b) = (&plan.routes[r], &plan.routes[s]);
        let ca = join(inst, &a.left(inst, Some(p)), &[], &b.right(inst, Some(q)));
        let a_tail = (p + 1 < a.tasks.len()).then_some(p + 1);
        let cb = join(
            inst,
            &b.left(inst, q.checked_sub(1)),
            &[],
            &a.right(inst, a_tail),
        );
        if improves(&[a.cost, b.cost], &[ca, cb]) {
            let tail_b: Vec<u32> = plan.routes[s].tasks.split_off(q);
            let tail_a: Vec<u32> = plan.routes[r].tasks.split_off(p + 1);
            plan.routes[r].tasks.extend(tail_b);
            plan.routes[s].tasks.extend(tail_a);
            plan.refresh_route(inst, r);
            plan.refresh_route(inst, s);
            return true;
        }
    }
    false
}

/// Reverses a run of route `r` (its tasks in the opposite order, each in its best way) when
/// that shortens it: for each start, the run grows one task at a time with a min-plus 2 × 2
/// table, so each candidate costs O(1).
fn reverse_runs(inst: &Instance, plan: &mut Plan, r: usize) -> bool {
    let route = &plan.routes[r];
    let n = route.tasks.len();
    for i in 0..n {
        let left = route.left(inst, i.checked_sub(1));
        // table[a][c]: least cost of serving tasks j, j-1, ..., i with task j in way a
        // (first) and task i in way c (last), and where it ends.
        let mut table = [[INF; 2]; 2];
        let tj = &inst.tasks[route.tasks[i] as usize];
        for (a, way) in tj.ways().iter().enumerate() {
            table[a][a] = way.cost;
        }
        for j in i + 1..n {
            // Prepend task j: it is served first now.
            let first = &inst.tasks[route.tasks[j] as usize];
            let second = &inst.tasks[route.tasks[j - 1] as usize];
            let mut grown = [[INF; 2]; 2];
            for (a, wa) in first.ways().iter().enumerate() {
                for (b, wb) in second.ways().iter().enumerate() {
                    for c in 0..2 {
                        let rest = table[b][c];
                        if rest < INF {
                            let v = wa.cost + inst.time(wa.to, wb.from) + rest;
                            if v < grown[a][c] {
                                grown[a][c] = v;
                            }
                        }
                    }
                }
            }
            table = grown;
            let right = route.right(inst, (j + 1 < n).then_some(j + 1));
            let last = &inst.tasks[route.tasks[i] as usize];
            let mut best = INF;
            for l in left.iter().filter(|l| l.1 < INF) {
                for (a, wa) in first.ways().iter().enumerate() {
                    for (c, wc) in last.ways().iter().enumerate() {
                        if table[a][c] == INF {
                            continue;
                        }
                        for rt in right.iter().filter(|x| x.1 < INF) {
                            let v = l.1
                                + inst.time(l.0, wa.from)
                                + table[a][c]
                                + inst.time(wc.to, rt.0)
                                + rt.1;
                            best = best.min(v);
                        }
                    }
                }
            }
            if improves(&[route.cost], &[best]) {
                plan.routes[r].tasks[i..=j].reverse();
                plan.refresh_route(inst, r);
                return true;
            }
        }
    }
    false
}

/// Removes a few strings of tasks around a random task (the "ruin").
fn ruin(inst: &Instance, plan: &Plan, rng: &mut SplitMix64, most: usize) -> Vec<u32> {
    let n = inst.tasks.len();
    let seed = (rng.next_u64() % n as u64) as u32;
    let want = 1 + (rng.next_u64() % most.max(1) as u64) as usize;
    let mut removed: Vec<u32> = Vec::with_capacity(want);
    let mut routes_hit: Vec<u32> = Vec::new();
    let candidates = std::iter::once(seed).chain(inst.neighbours[seed as usize].iter().copied());
    for y in candidates {
        if removed.len() >= want {
            break;
        }
        let (r, q) = plan.place[y as usize];
        if removed.contains(&y) || routes_hit.contains(&r) {
            continue;
        }
        routes_hit.push(r);
        // A string through y of up to `want - removed` tasks of its route.
        let route = &plan.routes[r as usize].tasks;
        let len = 1 + (rng.next_u64() % (want - removed.len()).min(route.len()) as u64) as usize;
        let start = (q as usize).saturating_sub((rng.next_u64() % len as u64) as usize);
        let start = start.min(route.len() - len);
        removed.extend_from_slice(&route[start..start + len]);
    }
    removed
}

/// One run of the search from `seed`.
fn run(inst: &Instance, iterations: usize, seed: u64, stop: &Stop) -> Solution {
    let mut rng = SplitMix64::new(seed);
    let n = inst.tasks.len();
    let mut plan = Plan::new(inst);
    let mut order: Vec<u32> = (0..n as u32).collect();
    shuffle(&mut order, &mut rng);
    for &t in &order {
        plan.insert_best(inst, t, 0.0, &mut rng);
    }
    local_search(inst, &mut plan, &mut rng, stop);
    let mut best = plan.clone();
    let (mut best_key, mut key) = ((plan.longest(), plan.total()), plan.score());
    // Temperatures: from 1% of the starting longest route down to a thousandth of it.
    let t0 = 0.01 * plan.longest().max(1e-9);
    let t1 = t0 * 1e-3;
    let most = (n / 3).clamp(2, 40);
    for it in 0..iterations {
        if stop.should_stop() {
            break;
        }
        let temperature = t0 * (t1 / t0).powf(it as f64 / iterations as f64);
        let mut next = plan.clone();
        let mut removed = ruin(inst, &next, &mut rng, most);
        next.remove(inst, &removed);
        // Recreate: the longest task first half the time, else in random order.
        if rng.next_u64() % 2 == 0 {
            removed.sort_by(|a, b| {
                let c = |t: &u32| inst.tasks[*t as usize].ways[0].cost;
                c(b).total_cmp(&c(a))
            });
        } else {
            shuffle(&mut removed, &mut rng);
        }
        for &t in &removed {
            next.insert_best(inst, t, 0.01, &mut rng);
        }
        local_search(inst, &mut next, &mut rng, stop);
        let next_key = next.score();
        if next_key < key - temperature * rng.next_f64().max(1e-300).ln() {
            key = next_key;
            plan = next;
            let k = (plan.longest(), plan.total());
            if k.0 < best_key.0 - 1e-9 || (k.0 <= best_key.0 + 1e-9 && k.1 < best_key.1 - 1e-9) {
                best_key = k;
                best = plan.clone();
            }
        }
    }
    best.solution()
}

/// The best plan found for `inst`: the longest route least, then the total.
///
/// ```
/// use patrolmap_core::patrol::minmax::{solve, Instance, Options, Task, Way};
/// use patrolmap_core::stop::Stop;
/// // Places 0 (the depot), 1 and 2, each 1 from the depot and 2 from each other; a task at
/// // each of 1 and 2 (a loop costing 1). Two units: one each, 3 apiece.
/// let time = vec![0.0, 1.0, 1.0, 1.0, 0.0, 2.0, 1.0, 2.0, 0.0];
/// let tasks = vec![
///     Task::one_way(Way { from: 1, to: 1, cost: 1.0 }),
///     Task::one_way(Way { from: 2, to: 2, cost: 1.0 }),
/// ];
/// let instance = Instance::new(3, time, tasks, vec![0, 0]).unwrap();
/// let best = solve(&instance, &Options::for_tasks(2), &Stop::never());
/// assert_eq!((best.longest, best.total), (3.0, 6.0));
/// ```
pub fn solve(inst: &Instance, options: &Options, stop: &Stop) -> Solution {
    if inst.tasks.is_empty() {
        return Plan::new(inst).solution();
    }
    (0..options.runs.max(1))
        .into_par_iter()
        .map(|i| run(inst, options.iterations, options.seed + i as u64, stop))
        .min_by(|a, b| {
            a.longest
                .total_cmp(&b.longest)
                .then(a.total.total_cmp(&b.total))
        })
        .expect("at least one run")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact optimum by enumeration: every assignment of tasks to units, every order in
    /// each route, every way of each task.
    fn brute_force(inst: &Instance) -> (f64, f64) {
        let n = inst.tasks.len();
        let k = inst.depots.len();
        let mut best = (INF, INF);
        let mut assign = vec![0usize; n];
        loop {
            let mut costs = vec![0.0; k];
            for (u, cost) in costs.iter_mut().enumerate() {
                let mine: Vec<u32> = (0..n)
                    .filter(|&t| assign[t] == u)
                    .map(|t| t as u32)
                    .collect();
                *cost = best_order(inst, inst.depots[u], &mine);
            }
            let key = (
                costs.iter().copied().fold(0.0, f64::max),
                costs.iter().sum::<f64>(),
            );
            if key.0 < best.0 - 1e-9 || (key.0 <= best.0 + 1e-9 && key.1 < best.1) {
                best = key;
            }
            // Next assignment.
            let mut i = 0;
            while i < n {
                assign[i] += 1;
                if assign[i] < k {
                    break;
                }
                assign[i] = 0;
                i += 1;
            }
            if i == n {
                return best;
            }
        }
    }

    /// Least cost over every order and every way of each task.
    fn best_order(inst: &Instance, depot: u32, tasks: &[u32]) -> f64 {
        fn go(inst: &Instance, at: u32, left: &mut Vec<u32>, depot: u32) -> f64 {
            if left.is_empty() {
                return inst.time(at, depot);
            }
            let mut best = INF;
            for i in 0..left.len() {
                let t = left.remove(i);
                for w in inst.tasks[t as usize].ways() {
                    let c = inst.time(at, w.from) + w.cost + go(inst, w.to, left, depot);
                    best = best.min(c);
                }
                left.insert(i, t);
            }
            best
        }
        go(inst, depot, &mut tasks.to_vec(), depot)
    }

    /// A random windy graph's shortest times (Floyd–Warshall) and tasks on some of its edges.
    fn random_instance(
        seed: u64,
        places: usize,
        tasks: usize,
        units: usize,
        depots: bool,
    ) -> Instance {
        let mut rng = SplitMix64::new(seed);
        let mut time = vec![INF; places * places];
        for a in 0..places {
            time[a * places + a] = 0.0;
        }
        let mut edges = Vec::new();
        for a in 0..places {
            // A ring keeps it strongly connected; chords at random.
            let b = (a + 1) % places;
            edges.push((a, b));
            let c = (rng.next_u64() % places as u64) as usize;
            if c != a {
                edges.push((a, c));
            }
        }
        let mut costs = Vec::new();
        for &(a, b) in &edges {
            let ab = 1.0 + (rng.next_u64() % 9) as f64;
            let ba = 1.0 + (rng.next_u64() % 9) as f64;
            time[a * places + b] = time[a * places + b].min(ab);
            time[b * places + a] = time[b * places + a].min(ba);
            costs.push((a, b, ab, ba));
        }
        for m in 0..places {
            for a in 0..places {
                for b in 0..places {
                    let via = time[a * places + m] + time[m * places + b];
                    if via < time[a * places + b] {
                        time[a * places + b] = via;
                    }
                }
            }
        }
        let picked: Vec<Task> = (0..tasks)
            .map(|i| {
                let (a, b, ab, ba) = costs[(i * 7 + seed as usize) % costs.len()];
                let f = Way {
                    from: a as u32,
                    to: b as u32,
                    cost: ab,
                };
                if rng.next_u64() % 4 == 0 {
                    Task::one_way(f)
                } else {
                    Task::either(
                        f,
                        Way {
                            from: b as u32,
                            to: a as u32,
                            cost: ba,
                        },
                    )
                }
            })
            .collect();
        let depot_of = |u: usize| if depots { (u * 3 % places) as u32 } else { 0 };
        Instance::new(places, time, picked, (0..units).map(depot_of).collect()).unwrap()
    }

    #[test]
    fn the_search_finds_the_brute_force_optimum_on_small_random_instances() {
        for seed in 0..40 {
            let tasks = 3 + (seed as usize % 4);
            let units = 1 + (seed as usize % 3);
            let inst = random_instance(seed, 7, tasks, units, seed % 2 == 1);
            let exact = brute_force(&inst);
            let found = solve(&inst, &Options::for_tasks(tasks), &Stop::never());
            assert!(
                (found.longest - exact.0).abs() < 1e-9,
                "seed {seed}: longest {} against the optimum {}",
                found.longest,
                exact.0
            );
            // Every task served once, and the costs are what the routes cost.
            let mut seen = vec![0; tasks];
            for (u, route) in found.routes.iter().enumerate() {
                let order: Vec<u32> = route.iter().map(|s| s.0).collect();
                for &t in &order {
                    seen[t as usize] += 1;
                }
                let (cost, _) = inst.route_cost(inst.depots[u], &order);
                assert!((cost - found.costs[u]).abs() < 1e-9, "seed {seed}");
                // The ways reported reach that cost.
                let mut at = inst.depots[u];
                let mut c = 0.0;
                for &(t, w) in route {
                    let way = inst.tasks[t as usize].ways()[w as usize];
                    c += inst.time(at, way.from) + way.cost;
                    at = way.to;
                }
                c += inst.time(at, inst.depots[u]);
                assert!(
                    (c - cost).abs() < 1e-9,
                    "seed {seed}: ways cost {c}, route {cost}"
                );
            }
            assert!(seen.iter().all(|&s| s == 1), "seed {seed}: {seen:?}");
        }
    }

    #[test]
    fn moves_priced_by_the_tables_equal_the_route_priced_anew() {
        let inst = random_instance(3, 9, 8, 1, false);
        let tasks: Vec<u32> = (0..8).collect();
        let mut route = RouteState::new(0, tasks.clone());
        route.refresh(&inst);
        for p in 0..=tasks.len() {
            for x in [2u32, 5] {
                let mut with: Vec<u32> = tasks.iter().copied().filter(|&t| t != x).collect();
                let mut rest = RouteState::new(0, with.clone());
                rest.refresh(&inst);
                if p > with.len() {
                    continue;
                }
                let c = join(
                    &inst,
                    &rest.left(&inst, p.checked_sub(1)),
                    &[x],
                    &rest.right(&inst, (p < with.len()).then_some(p)),
                );
                with.insert(p, x);
                assert!((c - inst.route_cost(0, &with).0).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn improves_compares_the_changed_routes_longest_first() {
        assert!(improves(&[10.0, 5.0], &[9.0, 9.0]));
        assert!(improves(&[10.0, 5.0], &[10.0, 4.0]));
        assert!(!improves(&[10.0, 5.0], &[5.0, 10.0]));
        assert!(!improves(&[10.0, 5.0], &[11.0, 1.0]));
        assert!(improves(&[4.0], &[3.0]));
    }
}
