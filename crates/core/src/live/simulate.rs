//! A drill by simulation: a shift or a day of 110 calls (seeded), each sent the nearest free
//! units by travel time from their posts, busy for the drive, the time on scene and the drive
//! back; what share of calls had the 1st unit within 1 minute, 2 within 3, 3 within 5, the
//! first unit's response times, each unit's busy share and how many units were free when.
//! A discrete-event simulation: calls in time order, units freed at their completion times.
//! With one unit a call and exponential busy times it is Larson's hypercube queue (a loss
//! system), which the tests solve exactly to check it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::respond::{arrival_times, Responder, Target};
use crate::coverage::{ModeNetwork, ResponseStandard};
use crate::network::RoadNetwork;
use crate::scenario::generate::SplitMix64;
use crate::stop::{Stop, Stopped};

/// A call: when, and where (an index into the places of the [`Drill`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Call {
    /// Seconds from the start.
    pub time_s: f64,
    /// The place.
    pub place: usize,
}

/// How long a sent unit is busy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Busy {
    /// Exponential with this mean, whatever the drive (the hypercube model's service).
    Exponential {
        /// The mean, in seconds.
        mean_s: f64,
    },
    /// The drive there, an exponential time on scene of this mean, and the drive back.
    DriveAndScene {
        /// The mean time on scene, in seconds.
        on_scene_mean_s: f64,
    },
}

/// How free units are moved up while others are away.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MoveUpPolicy {
    /// Units stay at their posts.
    None,
    /// A fixed table: each post is covered by the unit of the nearest other post of its mode
    /// (by drive time) while the post stands empty, and that unit goes home when the post's
    /// own unit is back.
    Table,
    /// After every dispatch and every return, at most this many moves of free units to empty
    /// posts, each the one that restores the most of the standard at the calls' places
    /// (place-weighted), as the live move-up proposes on the map.
    Greedy {
        /// Moves at most per event.
        max_moves: usize,
    },
}

impl MoveUpPolicy {
    /// Its name in reports: `none`, `table` or `greedy`.
    pub fn name(&self) -> &'static str {
        match self {
            MoveUpPolicy::None => "none",
            MoveUpPolicy::Table => "table",
            MoveUpPolicy::Greedy { .. } => "greedy",
        }
    }
}

impl std::str::FromStr for MoveUpPolicy {
    type Err = String;
    /// `none`, `table` or `greedy` (3 moves an event).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "none" => Ok(MoveUpPolicy::None),
            "table" => Ok(MoveUpPolicy::Table),
            "greedy" => Ok(MoveUpPolicy::Greedy { max_moves: 3 }),
            other => Err(format!(
                "unknown move-up policy {other:?}: none, table or greedy"
            )),
        }
    }
}

/// Where units may move up to: the posts of the drill's units (post `h` is unit `h`'s).
#[derive(Clone, Debug, PartialEq)]
pub struct MoveUp {
    /// The policy.
    pub policy: MoveUpPolicy,
    /// `post_s[post][unit]`: each unit's drive from its own post to each post (only between
    /// posts of its mode; empty with no moves).
    pub post_s: Vec<Vec<f64>>,
    /// Each unit's mode (an index); moves are between posts of one mode (empty: one mode).
    pub mode_of: Vec<usize>,
}

impl MoveUp {
    /// No move-up: units stay at their posts.
    pub fn none() -> Self {
        MoveUp {
            policy: MoveUpPolicy::None,
            post_s: Vec::new(),
            mode_of: Vec::new(),
        }
    }
}

/// How often units on patrol move on, in seconds: their spots are this far apart or a
/// multiple of it.
pub const PATROL_TICK_S: f64 = 60.0;

/// A unit on patrol: while free it is at one spot of its route after another (columns of
/// [`Drill::travel_s`] after the posts), each for `step_s` from the drill's start, round
/// and round; sent to a call, it leaves from where it is, and back it rejoins the route where
/// the clock has it. Patrols are not moved up, and their posts are not moved up to.
#[derive(Clone, Debug, PartialEq)]
pub struct Patrol {
    /// The unit.
    pub unit: usize,
    /// Its spots in route order.
    pub spots: Vec<usize>,
    /// How long it is at each: [`PATROL_TICK_S`] or a multiple of it.
    pub step_s: f64,
}

impl Patrol {
    /// The spot it is at (or passing) at `time_s` when free.
    ///
    /// ```
    /// use patrolmap_core::live::simulate::Patrol;
    /// let patrol = Patrol { unit: 0, spots: vec![4, 5, 6], step_s: 60.0 };
    /// assert_eq!(patrol.spot_at(0.0), 4);
    /// assert_eq!(patrol.spot_at(179.0), 6);
    /// assert_eq!(patrol.spot_at(185.0), 4); // round again
    /// ```
    pub fn spot_at(&self, time_s: f64) -> usize {
        let i = (time_s.max(0.0) / self.step_s).floor() as usize;
        self.spots[i % self.spots.len()]
    }
}

/// What the drill runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Drill {
    /// `travel_s[place][spot]`: the drive from each spot to each place (infinite when it
    /// cannot be made). Spot `h` below the unit count is unit `h`'s post (a unit moved up to
    /// post `h` drives as unit `h` does); the patrols' spots follow.
    pub travel_s: Vec<Vec<f64>>,
    /// Each unit's turnout, in seconds.
    pub turnout_s: Vec<f64>,
    /// Each place's weight in the coverage measured over time and by move-up (empty: 1).
    pub weights: Vec<f64>,
    /// The calls, in time order.
    pub calls: Vec<Call>,
    /// Units sent to each call at most (the standard's full force; 1 for the hypercube).
    pub units_per_call: usize,
    /// How long they are busy.
    pub busy: Busy,
    /// The move-up policy and the drives it needs.
    pub move_up: MoveUp,
    /// The units on patrol (empty: every unit stands at its post).
    pub patrols: Vec<Patrol>,
    /// A tier's coverage below this share of the plan's (every unit free at its post) counts
    /// as fallen below (as the live alerts do).
    pub alert_level: f64,
    /// How long the drill lasts, in seconds (busy time after it is not counted).
    pub horizon_s: f64,
    /// The seed of the times on scene.
    pub seed: u64,
}

/// A moment of the drill, for replaying it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DrillEvent {
    /// A call, and the units sent (nearest first) with their response times (none free:
    /// empty).
    Call {
        /// When, in seconds from the start.
        time_s: f64,
        /// The place.
        place: usize,
        /// The units sent.
        units: Vec<usize>,
        /// Their response times (turnout and drive), in seconds.
        response_s: Vec<f64>,
        /// When each is free again, back at its post, in seconds from the start.
        free_s: Vec<f64>,
    },
    /// A unit moved up to a post (its own: home again).
    Move {
        /// When it left, in seconds from the start.
        time_s: f64,
        /// The unit.
        unit: usize,
        /// The post it goes to (the unit index of the post's own unit).
        post: usize,
        /// When it is there.
        arrive_s: f64,
    },
}

/// The coverage of the free units at a moment: per tier, the place-weighted share of the
/// calls' places where the tier holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CoverageAt {
    /// When, in seconds from the start.
    pub time_s: f64,
    /// Per tier, from 0 to 1.
    pub tier_shares: Vec<f64>,
}

/// What the drill found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DrillReport {
    /// The move-up policy (`none`, `table`, `greedy`).
    pub policy: String,
    /// Calls.
    pub calls: usize,
    /// Calls no unit was free for.
    pub lost: usize,
    /// Per tier of the standard: the share of calls it held at (enough units arriving within
    /// its budget).
    pub tier_shares: Vec<f64>,
    /// The first unit's response time (turnout and drive), percentiles 50, 90 and 95, in
    /// seconds, over the calls a unit went to.
    pub first_unit_p50_s: f64,
    /// 90th percentile.
    pub first_unit_p90_s: f64,
    /// 95th percentile.
    pub first_unit_p95_s: f64,
    /// Each unit's share of the drill it was busy.
    pub busy_share: Vec<f64>,
    /// `dispatches[unit]`: calls each unit was sent to.
    pub dispatches: Vec<usize>,
    /// `free_share[n]`: the share of the drill with exactly `n` units free.
    pub free_share: Vec<f64>,
    /// Moves up made.
    pub moves: usize,
    /// Per tier: its coverage with every unit free at its post (the plan's).
    pub plan_coverage: Vec<f64>,
    /// Per tier: its coverage averaged over the drill.
    pub mean_coverage: Vec<f64>,
    /// Per tier: the share of the drill its coverage was below the alert level of the plan's.
    pub below_share: Vec<f64>,
    /// Every call and move, in time order.
    pub events: Vec<DrillEvent>,
    /// The coverage after every event that changed it, in time order (the plan's first).
    pub coverage: Vec<CoverageAt>,
    /// `first_sent[place][unit]`: how often each unit was the first sent to each place.
    #[serde(skip)]
    pub first_sent: Vec<Vec<usize>>,
}

/// The units' state in a drill, and the coverage it gives.
struct Units<'a> {
    drill: &'a Drill,
    tiers: Vec<(f64, usize)>,
    free: Vec<bool>,
    /// The post each unit is at or moving to.
    at: Vec<usize>,
    /// When it is there.
    arrive_s: Vec<f64>,
    /// The post it last left, and when.
    from: Vec<(usize, f64)>,
    /// `near[spot]`: the places a unit at the spot reaches within the largest budget, and the
    /// drive.
    near: Vec<Vec<(usize, f64)>>,
    /// Each unit's patrol (an index into the drill's), if it patrols.
    patrol: Vec<Option<usize>>,
}

impl<'a> Units<'a> {
    fn new(drill: &'a Drill, standard: &ResponseStandard) -> Self {
        let units = drill.turnout_s.len();
        let tiers: Vec<(f64, usize)> = standard
            .tiers
            .iter()
            .map(|t| (t.budget_s, t.units))
            .collect();
        let reach = tiers.iter().map(|t| t.0).fold(0.0, f64::max);
        let spots = drill.travel_s.first().map_or(units, Vec::len).max(units);
        let mut near = vec![Vec::new(); spots];
        for (p, row) in drill.travel_s.iter().enumerate() {
            for (post, &t) in row.iter().enumerate() {
                if t <= reach {
                    near[post].push((p, t));
                }
            }
        }
        let mut patrol = vec![None; units];
        for (i, p) in drill.patrols.iter().enumerate() {
            patrol[p.unit] = Some(i);
        }
        let mut state = Units {
            drill,
            tiers,
            free: vec![true; units],
            at: (0..units).collect(),
            arrive_s: vec![0.0; units],
            from: (0..units).map(|u| (u, 0.0)).collect(),
            near,
            patrol,
        };
        for u in 0..units {
            state.back(u, 0.0);
        }
        state
    }

    /// Where a free `unit` is when it is back at `now_s`: its post, or its patrol's spot.
    fn home(&self, unit: usize, now_s: f64) -> usize {
        match self.patrol[unit] {
            Some(i) => self.drill.patrols[i].spot_at(now_s),
            None => unit,
        }
    }

    /// The free patrols move on to their spots of `now_s`; whether one moved.
    fn step(&mut self, now_s: f64) -> bool {
        let mut moved = false;
        for u in 0..self.free.len() {
            if self.free[u] && self.patrol[u].is_some() {
                let spot = self.home(u, now_s);
                moved |= spot != self.at[u];
                self.at[u] = spot;
            }
        }
        moved
    }

    fn weight(&self, place: usize) -> f64 {
        self.drill.weights.get(place).copied().unwrap_or(1.0)
    }

    fn mode(&self, unit: usize) -> usize {
        self.drill.move_up.mode_of.get(unit).copied().unwrap_or(0)
    }

    /// Per place and tier: how many free units reach it within the tier's budget, each
    /// counted at the post it is at or moving to.
    fn counts(&self) -> Vec<Vec<u32>> {
        let mut count = vec![vec![0u32; self.tiers.len()]; self.drill.travel_s.len()];
        for u in (0..self.free.len()).filter(|&u| self.free[u]) {
            self.add(&mut count, u, self.at[u], 1);
        }
        count
    }

    fn add(&self, count: &mut [Vec<u32>], unit: usize, post: usize, sign: i32) {
        let turnout = self.drill.turnout_s[unit];
        for &(p, t) in &self.near[post] {
            for (k, &(budget, _)) in self.tiers.iter().enumerate() {
                if turnout + t <= budget {
                    count[p][k] = count[p][k].wrapping_add_signed(sign);
                }
            }
        }
    }

    /// Per tier, the place-weighted share where it holds.
    fn coverage(&self, count: &[Vec<u32>]) -> Vec<f64> {
        let total: f64 = (0..count.len()).map(|p| self.weight(p)).sum();
        (0..self.tiers.len())
            .map(|k| {
                let met: f64 = (0..count.len())
                    .filter(|&p| count[p][k] as usize >= self.tiers[k].1)
                    .map(|p| self.weight(p))
                    .sum();
                if total > 0.0 {
                    met / total
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The weighted tiers held at the places `unit` at `post` reaches that it would make
    /// hold, with the free units counted in `count`.
    fn held_by(&self, count: &[Vec<u32>], unit: usize, post: usize) -> f64 {
        let turnout = self.drill.turnout_s[unit];
        let mut held = 0.0;
        for &(p, t) in &self.near[post] {
            for (k, &(budget, need)) in self.tiers.iter().enumerate() {
                let c = count[p][k] as usize;
                if turnout + t <= budget && c < need && c + 1 >= need {
                    held += self.weight(p);
                }
            }
        }
        held
    }

    /// The best move of `unit` from `from` to one of `posts` (of its mode, reachable): the
    /// post and the change in weighted tiers held, with the free units counted in `count`
    /// (restored on return).
    fn best_move(
        &self,
        count: &mut [Vec<u32>],
        unit: usize,
        from: usize,
        posts: impl Iterator<Item = usize>,
    ) -> Option<(f64, usize)> {
        self.add(count, unit, from, -1);
        let loss = self.held_by(count, unit, from);
        let best = posts
            .map(|post| (self.held_by(count, unit, post) - loss, post))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        self.add(count, unit, from, 1);
        best
    }

    /// Whether a free unit is at or moving to `post`.
    fn manned(&self, post: usize) -> bool {
        (0..self.free.len()).any(|u| self.free[u] && self.at[u] == post)
    }

    /// The moves the policy makes now: `(unit, post)`.
    fn plan_moves(&self, now_s: f64) -> Vec<(usize, usize)> {
        let units = self.free.len();
        let posted = |u: usize| self.patrol[u].is_none();
        let standing = |u: usize| posted(u) && self.free[u] && self.arrive_s[u] <= now_s;
        let same_mode = |u: usize, post: usize| self.mode(u) == self.mode(post);
        let drive = |u: usize, post: usize| {
            self.drill
                .move_up
                .post_s
                .get(post)
                .and_then(|row| row.get(self.at[u]))
                .copied()
                .unwrap_or(f64::INFINITY)
        };
        match self.drill.move_up.policy {
            MoveUpPolicy::None => Vec::new(),
            MoveUpPolicy::Table => {
                let mut moves = Vec::new();
                let mut moving = vec![false; units];
                // A cover whose post's own unit is back goes home, from the road if it is
                // still on its way.
                for v in (0..units).filter(|&v| posted(v) && self.free[v] && self.at[v] != v) {
                    let post = self.at[v];
                    if self.free[post] && self.at[post] == post {
                        moves.push((v, v));
                        moving[v] = true;
                    }
                }
                let going_home = |h: usize| moves.iter().any(|&(_, to)| to == h);
                let empty: Vec<usize> = (0..units)
                    .filter(|&h| posted(h) && !self.manned(h) && !going_home(h))
                    .collect();
                for post in empty {
                    let cover = (0..units)
                        .filter(|&c| c != post && posted(c) && same_mode(c, post))
                        .filter(|&c| self.drill.move_up.post_s[post][c].is_finite())
                        .min_by(|&a, &b| {
                            let row = &self.drill.move_up.post_s[post];
                            row[a].total_cmp(&row[b]).then(a.cmp(&b))
                        });
                    if let Some(c) = cover {
                        if standing(c) && self.at[c] == c && !moving[c] {
                            moves.push((c, post));
                            moving[c] = true;
                        }
                    }
                }
                moves
            }
            MoveUpPolicy::Greedy { max_moves } => {
                let mut count = self.counts();
                let mut at = self.at.clone();
                let mut moves = Vec::new();
                let mut moved = vec![false; units];
                let mut empty: Vec<usize> = (0..units)
                    .filter(|&h| posted(h) && !self.manned(h))
                    .collect();
                for _ in 0..max_moves {
                    let mut best: Option<(f64, usize, usize)> = None;
                    for u in (0..units).filter(|&u| standing(u) && !moved[u]) {
                        let posts = empty
                            .iter()
                            .copied()
                            .filter(|&h| same_mode(u, h) && drive(u, h).is_finite());
                        if let Some((g, post)) = self.best_move(&mut count, u, at[u], posts) {
                            if g > 1e-9 && best.is_none_or(|(bg, _, _)| g > bg) {
                                best = Some((g, u, post));
                            }
                        }
                    }
                    let Some((_, u, post)) = best else { break };
                    self.add(&mut count, u, at[u], -1);
                    self.add(&mut count, u, post, 1);
                    empty.retain(|&h| h != post);
                    if !empty.contains(&at[u]) {
                        empty.push(at[u]);
                    }
                    at[u] = post;
                    moved[u] = true;
                    moves.push((u, post));
                }
                moves
            }
        }
    }

    /// `unit` is free again at its own post (or on its patrol).
    fn back(&mut self, unit: usize, now_s: f64) {
        let home = self.home(unit, now_s);
        self.free[unit] = true;
        self.at[unit] = home;
        self.arrive_s[unit] = now_s;
        self.from[unit] = (home, now_s);
    }

    /// Sends `unit` to `post` now; when it is there.
    fn send(&mut self, unit: usize, post: usize, now_s: f64) -> f64 {
        let (from, left_s) = self.from[unit];
        let drive = if self.arrive_s[unit] > now_s && from == post {
            // Turned back on the way: as far as it has come.
            now_s - left_s
        } else {
            self.drill.move_up.post_s[post][self.at[unit]]
        };
        self.from[unit] = (self.at[unit], now_s);
        self.at[unit] = post;
        self.arrive_s[unit] = now_s + drive;
        self.arrive_s[unit]
    }

    /// A unit's response to `place` now: its turnout and drive from its post, or the rest of
    /// its move up and the drive from the post it goes to.
    fn response_s(&self, unit: usize, place: usize, now_s: f64) -> f64 {
        let drive = self.drill.travel_s[place][self.at[unit]];
        if self.arrive_s[unit] > now_s {
            self.arrive_s[unit] - now_s + drive
        } else {
            self.drill.turnout_s[unit] + drive
        }
    }
}

/// Runs the drill and measures it against `standard`.
///
/// ```
/// use patrolmap_core::live::simulate::{run, Busy, Call, Drill, MoveUp};
/// let drill = Drill {
///     travel_s: vec![vec![30.0, 90.0]], turnout_s: vec![0.0, 0.0], weights: vec![],
///     calls: vec![Call { time_s: 0.0, place: 0 }, Call { time_s: 1.0, place: 0 }],
///     units_per_call: 1, busy: Busy::Exponential { mean_s: 600.0 }, move_up: MoveUp::none(),
///     patrols: vec![], alert_level: 0.9, horizon_s: 3600.0, seed: 1,
/// };
/// let report = run(&drill, &Default::default());
/// assert_eq!(report.dispatches, vec![1, 1]); // the nearest first, then the other
/// assert_eq!(report.tier_shares[0], 0.5);    // only the first call had a unit within 60 s
/// ```
pub fn run(drill: &Drill, standard: &ResponseStandard) -> DrillReport {
    let units = drill.turnout_s.len();
    let mut rng = SplitMix64::new(drill.seed);
    let mut state = Units::new(drill, standard);
    let mut free_count = units;
    // (free again at, unit), soonest first.
    let mut busy_until: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    let mut busy_s = vec![0.0; units];
    let mut dispatches = vec![0usize; units];
    let mut first_sent = vec![vec![0usize; units]; drill.travel_s.len()];
    let mut free_time = vec![0.0; units + 1];
    let mut last_s = 0.0;
    let mut met = vec![0usize; standard.tiers.len()];
    let (mut lost, mut firsts) = (0usize, Vec::new());
    let mut events = Vec::new();
    let mut moves = 0usize;
    let plan_coverage = state.coverage(&state.counts());
    let mut coverage = vec![CoverageAt {
        time_s: 0.0,
        tier_shares: plan_coverage.clone(),
    }];
    let tiers = standard.tiers.len();
    let (mut covered_s, mut below_s) = (vec![0.0; tiers], vec![0.0; tiers]);
    // Time passes: the free-unit count and the coverage since the last event accrue.
    let mut advance = |to: f64, free_count: usize, now: &[f64], last_s: &mut f64| {
        let to = to.min(drill.horizon_s);
        if to > *last_s {
            let dt = to - *last_s;
            free_time[free_count] += dt;
            for k in 0..tiers {
                covered_s[k] += dt * now[k];
                if now[k] < drill.alert_level * plan_coverage[k] - 1e-12 {
                    below_s[k] += dt;
                }
            }
            *last_s = to;
        }
    };
    let shares_now = |coverage: &[CoverageAt]| {
        coverage
            .last()
            .map(|c| c.tier_shares.clone())
            .unwrap_or_default()
    };
    // Patrols move on at every tick.
    let mut tick_s = if drill.patrols.is_empty() {
        f64::INFINITY
    } else {
        PATROL_TICK_S
    };
    // The calls, then the end: the units still busy freed.
    for call in drill.calls.iter().map(Some).chain([None]) {
        let until_s = call.map_or(f64::INFINITY, |c| c.time_s);
        // Units freed before this call, back at their own posts, and the patrols' ticks.
        loop {
            let freed = busy_until
                .peek()
                .map(|&Reverse((bits, u))| (f64::from_bits(bits), u));
            if tick_s < drill.horizon_s
                && tick_s <= until_s
                && freed.is_none_or(|(t, _)| tick_s < t)
            {
                advance(tick_s, free_count, &shares_now(&coverage), &mut last_s);
                if state.step(tick_s) {
                    record(&state, tick_s, &mut coverage);
                }
                tick_s += PATROL_TICK_S;
                continue;
            }
            let Some((t, u)) = freed.filter(|&(t, _)| t <= until_s) else {
                break;
            };
            busy_until.pop();
            advance(t, free_count, &shares_now(&coverage), &mut last_s);
            state.back(u, t);
            free_count += 1;
            if t < drill.horizon_s {
                settle(&mut state, t, &mut events, &mut coverage, &mut moves);
            }
        }
        let Some(call) = call else { break };
        advance(call.time_s, free_count, &shares_now(&coverage), &mut last_s);
        let respond: Vec<f64> = (0..units)
            .map(|u| state.response_s(u, call.place, call.time_s))
            .collect();
        let mut candidates: Vec<usize> = (0..units)
            .filter(|&u| state.free[u] && respond[u].is_finite())
            .collect();
        candidates.sort_by(|&a, &b| respond[a].total_cmp(&respond[b]).then(a.cmp(&b)));
        candidates.truncate(drill.units_per_call);
        if candidates.is_empty() {
            lost += 1;
            events.push(DrillEvent::Call {
                time_s: call.time_s,
                place: call.place,
                units: Vec::new(),
                response_s: Vec::new(),
                free_s: Vec::new(),
            });
            continue;
        }
        first_sent[call.place][candidates[0]] += 1;
        let response: Vec<f64> = candidates.iter().map(|&u| respond[u]).collect();
        firsts.push(response[0]);
        for (k, tier) in standard.tiers.iter().enumerate() {
            if response.iter().filter(|&&t| t <= tier.budget_s).count() >= tier.units {
                met[k] += 1;
            }
        }
        let mut free_s = Vec::new();
        for (&u, &there_s) in candidates.iter().zip(&response) {
            // The drive back is to its own post, or to its patrol's road where it left it.
            let back_s = drill.travel_s[call.place][if state.patrol[u].is_some() {
                state.at[u]
            } else {
                u
            }];
            let exp = |mean: f64, rng: &mut SplitMix64| -mean * (1.0 - rng.next_f64()).ln();
            let busy = match drill.busy {
                Busy::Exponential { mean_s } => exp(mean_s, &mut rng),
                Busy::DriveAndScene { on_scene_mean_s } => {
                    there_s + exp(on_scene_mean_s, &mut rng) + back_s
                }
            };
            state.free[u] = false;
            free_count -= 1;
            dispatches[u] += 1;
            let end = call.time_s + busy;
            busy_s[u] += end.min(drill.horizon_s) - call.time_s.min(drill.horizon_s);
            busy_until.push(Reverse((end.to_bits(), u)));
            free_s.push(end);
        }
        events.push(DrillEvent::Call {
            time_s: call.time_s,
            place: call.place,
            units: candidates,
            response_s: response,
            free_s,
        });
        settle(
            &mut state,
            call.time_s,
            &mut events,
            &mut coverage,
            &mut moves,
        );
    }
    advance(
        drill.horizon_s,
        free_count,
        &shares_now(&coverage),
        &mut last_s,
    );
    firsts.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        if firsts.is_empty() {
            return f64::NAN;
        }
        firsts[((p * firsts.len() as f64).ceil() as usize).clamp(1, firsts.len()) - 1]
    };
    let calls = drill.calls.len();
    let share = |n: usize| {
        if calls == 0 {
            0.0
        } else {
            n as f64 / calls as f64
        }
    };
    let horizon = drill.horizon_s.max(f64::MIN_POSITIVE);
    DrillReport {
        policy: drill.move_up.policy.name().to_string(),
        calls,
        lost,
        tier_shares: met.iter().map(|&m| share(m)).collect(),
        first_unit_p50_s: percentile(0.5),
        first_unit_p90_s: percentile(0.9),
        first_unit_p95_s: percentile(0.95),
        busy_share: busy_s.iter().map(|b| b / horizon).collect(),
        dispatches,
        free_share: free_time.iter().map(|t| t / horizon).collect(),
        moves,
        plan_coverage,
        mean_coverage: covered_s.iter().map(|c| c / horizon).collect(),
        below_share: below_s.iter().map(|b| b / horizon).collect(),
        events,
        coverage,
        first_sent,
    }
}

/// After an event: the policy's moves, and the coverage now if it changed.
fn settle(
    state: &mut Units,
    now_s: f64,
    events: &mut Vec<DrillEvent>,
    coverage: &mut Vec<CoverageAt>,
    moves: &mut usize,
) {
    for (unit, post) in state.plan_moves(now_s) {
        let arrive_s = state.send(unit, post, now_s);
        *moves += 1;
        events.push(DrillEvent::Move {
            time_s: now_s,
            unit,
            post,
            arrive_s,
        });
    }
    record(state, now_s, coverage);
}

/// The coverage now, if it changed.
fn record(state: &Units, now_s: f64, coverage: &mut Vec<CoverageAt>) {
    let shares = state.coverage(&state.counts());
    if coverage.last().is_none_or(|c| c.tier_shares != shares) {
        coverage.push(CoverageAt {
            time_s: now_s,
            tier_shares: shares,
        });
    }
}

/// A day of even load: every hour weighs the same.
pub const FLAT_DAY: [f64; 24] = [1.0; 24];

/// Calls at `rate_per_hour` on average (a Poisson process) over `horizon_s`, each hour of the
/// day (the drill starting at 00:00) at that rate times its weight in `by_hour` over their
/// mean, each call at a place drawn with `weights` (one per place), seeded.
///
/// ```
/// use patrolmap_core::live::simulate::{poisson_calls, FLAT_DAY};
/// let calls = poisson_calls(&[1.0, 3.0], 60.0, &FLAT_DAY, 36_000.0, 7);
/// assert!((500..700).contains(&calls.len()));
/// assert!(calls.windows(2).all(|w| w[0].time_s <= w[1].time_s));
/// assert!(calls.iter().filter(|c| c.place == 1).count() > calls.len() / 2);
/// // Night hours empty, the day busy.
/// let mut day = [0.0; 24];
/// day[8..20].fill(1.0);
/// let calls = poisson_calls(&[1.0], 10.0, &day, 86_400.0, 7);
/// assert!(calls.iter().all(|c| (8.0..20.0).contains(&(c.time_s / 3600.0))));
/// assert!((190..290).contains(&calls.len())); // 240 calls a day, all in 12 hours
/// ```
pub fn poisson_calls(
    weights: &[f64],
    rate_per_hour: f64,
    by_hour: &[f64; 24],
    horizon_s: f64,
    seed: u64,
) -> Vec<Call> {
    let mut rng = SplitMix64::new(seed ^ 0xCA11);
    let total: f64 = weights.iter().sum();
    let mean_hour = by_hour.iter().sum::<f64>() / 24.0;
    let peak = by_hour.iter().cloned().fold(0.0, f64::max);
    let mut out = Vec::new();
    if total <= 0.0 || rate_per_hour <= 0.0 || peak <= 0.0 {
        return out;
    }
    // Drawn at the busiest hour's rate, each call kept by its hour's share of that (thinning).
    let mean_gap_s = 3600.0 / (rate_per_hour * peak / mean_hour);
    let mut t = 0.0;
    loop {
        t += -mean_gap_s * (1.0 - rng.next_f64()).ln();
        if t >= horizon_s {
            return out;
        }
        let keep = by_hour[(t / 3600.0) as usize % 24] / peak;
        let mut pick = rng.next_f64() * total;
        if rng.next_f64() >= keep {
            continue;
        }
        let place = weights
            .iter()
            .position(|&w| {
                pick -= w;
                pick < 0.0
            })
            .unwrap_or(weights.len() - 1);
        out.push(Call { time_s: t, place });
    }
}

/// `travel_s[place][unit]` for units at `posts` (on their modes' roads in `modes`) to
/// `places` (on the car roads): one backward search per place, up to `cutoff_s`; `stop`
/// polled before each.
pub fn travel_times(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    posts: &[Responder],
    places: &[Target],
    cutoff_s: f64,
    stop: &Stop,
) -> Result<Vec<Vec<f64>>, Stopped> {
    use rayon::prelude::*;
    places
        .par_iter()
        .map(|&place| {
            stop.check()?;
            let mut row = vec![f64::INFINITY; posts.len()];
            let standing: Vec<Responder> = posts
                .iter()
                .enumerate()
                .map(|(i, r)| Responder {
                    unit: i,
                    start_s: 0.0,
                    ..*r
                })
                .collect();
            for (unit, eta_s) in arrival_times(network, modes, &standing, place, cutoff_s) {
                row[unit] = eta_s;
            }
            stop.advance(1);
            Ok(row)
        })
        .collect()
}

/// What a drill of a plan asks.
#[derive(Clone, Debug, PartialEq)]
pub struct DrillOptions {
    /// Calls an hour, over the whole city, on average over the day.
    pub calls_per_hour: f64,
    /// Each hour's weight in the day's calls (from 00:00; their mean is `calls_per_hour`).
    pub by_hour: [f64; 24],
    /// Past calls to replay instead of generated ones: each at its place, at its time from
    /// the hour the first came in.
    pub history: Vec<super::history::PastCall>,
    /// How long, in hours.
    pub hours: f64,
    /// Mean time on scene, in seconds (exponential).
    pub on_scene_mean_s: f64,
    /// The seed of the calls and the times on scene.
    pub seed: u64,
    /// How free units are moved up.
    pub move_up: MoveUpPolicy,
    /// Patrol routes driven through the drill (a plan file's, or the map's): each unit and the
    /// road it drives; a unit of the plan with the id patrols instead of standing at its post,
    /// another joins the drill.
    pub patrols: Vec<(
        crate::patrol::plan::PatrolUnit,
        Vec<crate::patrol::paths::Step>,
    )>,
}

impl Default for DrillOptions {
    /// 10 calls an hour, even over the day, for 24 hours, 20 minutes on scene, seed 1, no
    /// move-up.
    fn default() -> Self {
        DrillOptions {
            calls_per_hour: 10.0,
            by_hour: FLAT_DAY,
            history: Vec::new(),
            hours: 24.0,
            on_scene_mean_s: 1200.0,
            seed: 1,
            move_up: MoveUpPolicy::None,
            patrols: Vec::new(),
        }
    }
}

/// A patrol route in time, for a drill: the unit's id and its timeline, gone round and round.
#[derive(Clone, Debug, PartialEq)]
pub struct DrillPatrol {
    /// The unit's id: a unit of the plan with it patrols instead of standing at its post;
    /// another joins the drill (by car, already on the road: no turnout).
    pub unit: String,
    /// Its route in time.
    pub timeline: crate::patrol::timeline::Timeline,
}

/// A patrol's spots at most (12 hours a minute apart): a longer round is taken at whole
/// multiples of the tick.
pub const MAX_PATROL_SPOTS: usize = 720;

/// Drives from a patrol's spot to a place a drill keeps at most (8 bytes each: 32 MB); with
/// more places, the spots are further apart.
pub const MAX_DRILL_CELLS: usize = 4_000_000;

/// A unit of a drill, for the map.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DrillUnit {
    /// The unit's id in the plan.
    pub unit: String,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Its mode: `car`, `foot` or `bike`.
    #[schema(value_type = String)]
    pub mode: crate::network::TravelMode,
    /// Its post, `[lon, lat]`.
    pub post: [f64; 2],
    /// On patrol: where it is while free, `[lon, lat]`, one point every `route_step_s` from
    /// the drill's start, round and round (empty: it stands at its post).
    pub route: Vec<[f64; 2]>,
    /// The time between two points of `route`, in seconds (0 with none).
    pub route_step_s: f64,
}

/// A drill of a plan and what it found, per move-up policy: the units and places the
/// reports' indices refer to.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DrillRun {
    /// The units (a report's unit `i` is `units[i]`; post `i` is its post).
    pub units: Vec<DrillUnit>,
    /// The places calls come to, `[lon, lat]` (a report's place `j` is `places[j]`).
    pub places: Vec<[f64; 2]>,
    /// Calls of the history left out: off the roads (beyond the snapping distance) or after
    /// the drill's end.
    pub calls_left_out: usize,
    /// One report per policy, in the order asked.
    pub reports: Vec<DrillReport>,
}

/// The drill of `plan`'s units (posts stand and are not sent) on `modes`: calls at the
/// plan's incident sites by their weights (or, with none, at 500 seeded points of the car
/// roads), each sent the standard's full force, busy for the drive, the time on scene and
/// the drive back; `patrols` drive their routes instead (a spot every minute of the round,
/// further apart beyond [`MAX_PATROL_SPOTS`] a patrol or [`MAX_DRILL_CELLS`] drives); with
/// the units and places in the drill's order (a run with no reports yet). Units or places
/// off the roads (beyond `max_snap_m`) are left out. `stop` is polled before each search.
#[allow(clippy::too_many_arguments)]
pub fn plan_drill(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    plan: &crate::scenario::Scenario,
    standard: &ResponseStandard,
    options: &DrillOptions,
    patrols: &[DrillPatrol],
    max_snap_m: f64,
    stop: &Stop,
) -> Result<(Drill, DrillRun), Stopped> {
    let mut posts = Vec::new();
    let mut turnout_s = Vec::new();
    let mut units = Vec::new();
    for u in plan
        .units
        .iter()
        .filter(|u| u.kind == crate::scenario::UnitKind::Unit)
    {
        let Some(m) = modes.iter().position(|x| x.mode == u.mode) else {
            continue;
        };
        if let Ok(s) = modes[m].index.snap(u.position, max_snap_m) {
            posts.push(Responder {
                unit: posts.len(),
                mode_index: m,
                edge: s.edge,
                fraction: s.fraction,
                forward: None,
                start_s: 0.0,
            });
            turnout_s.push(u.turnout_s);
            units.push(DrillUnit {
                unit: u.id.clone(),
                name: u.name.clone(),
                mode: u.mode,
                post: u.position,
                route: Vec::new(),
                route_step_s: 0.0,
            });
        }
    }
    // Patrols: the plan's unit of the id, or one more on the car roads from its home.
    let point = |(edge, fraction): (u32, f64)| {
        crate::network::geodesy::point_along(network.geometry(edge as usize), fraction)
    };
    let mut patrolling = Vec::new();
    for p in patrols.iter().filter(|p| p.timeline.end_s() > 0.0) {
        let unit = match units.iter().position(|u| u.unit == p.unit) {
            Some(u) => u,
            None => {
                let (edge, fraction) = p.timeline.home;
                posts.push(Responder {
                    unit: posts.len(),
                    mode_index: 0,
                    edge,
                    fraction,
                    forward: None,
                    start_s: 0.0,
                });
                turnout_s.push(0.0);
                units.push(DrillUnit {
                    unit: p.unit.clone(),
                    name: None,
                    mode: modes[0].mode,
                    post: point(p.timeline.home),
                    route: Vec::new(),
                    route_step_s: 0.0,
                });
                units.len() - 1
            }
        };
        if patrolling.iter().any(|&(u, _)| u == unit) {
            continue;
        }
        // On the road: no turnout.
        turnout_s[unit] = 0.0;
        patrolling.push((unit, &p.timeline));
    }
    let sites: Vec<([f64; 2], f64)> = if !options.history.is_empty() {
        options.history.iter().map(|c| (c.position, 1.0)).collect()
    } else if plan.incidents.is_empty() {
        crate::scenario::generate::random_road_points(network, modes[0].graph, 500, options.seed)
            .into_iter()
            .map(|p| (p, 1.0))
            .collect()
    } else {
        plan.incidents
            .iter()
            .map(|s| (s.position, s.weight))
            .collect()
    };
    let (mut places, mut weights, mut at) = (Vec::new(), Vec::new(), Vec::new());
    // The place each site became (none: off the roads).
    let mut place_of = Vec::new();
    for (p, w) in sites {
        place_of.push(None);
        if let Ok(s) = modes[0].index.snap(p, max_snap_m) {
            *place_of.last_mut().expect("pushed") = Some(places.len());
            places.push(Target {
                edge: s.edge,
                fraction: s.fraction,
            });
            weights.push(w);
            at.push(p);
        }
    }
    let mut spots = posts.clone();
    let mut patrol_list = Vec::new();
    // The drives from every spot to every place are kept: so many spots at most, a spot
    // every few ticks when the rounds are long or the places many.
    let round_s: f64 = patrolling.iter().map(|(_, t)| t.end_s()).sum();
    let spots_at_most = (MAX_DRILL_CELLS / places.len().max(1)).clamp(
        patrolling.len().max(1),
        MAX_PATROL_SPOTS * patrolling.len().max(1),
    );
    let ticks = (round_s / (PATROL_TICK_S * spots_at_most as f64))
        .ceil()
        .max(1.0);
    let step_s = PATROL_TICK_S * ticks;
    for (unit, timeline) in patrolling {
        let end_s = timeline.end_s();
        let count = ((end_s / step_s).ceil() as usize).max(1);
        let first = spots.len();
        for i in 0..count {
            let t = i as f64 * step_s;
            let (edge, fraction) = timeline.position_at(t);
            spots.push(Responder {
                unit,
                mode_index: 0,
                edge,
                fraction,
                forward: timeline.heading_at(t),
                start_s: 0.0,
            });
            units[unit].route.push(point((edge, fraction)));
        }
        units[unit].route_step_s = step_s;
        patrol_list.push(Patrol {
            unit,
            spots: (first..first + count).collect(),
            step_s,
        });
    }
    let horizon_s = options.hours * 3600.0;
    let move_up = match options.move_up {
        MoveUpPolicy::None => MoveUp::none(),
        policy => {
            let homes: Vec<Target> = posts
                .iter()
                .map(|r| Target {
                    edge: r.edge,
                    fraction: r.fraction,
                })
                .collect();
            stop.stage("matrix", (homes.len() + places.len()) as u64);
            let mut post_s = travel_times(network, modes, &posts, &homes, f64::INFINITY, stop)?;
            // Only between posts of one mode: a unit covers a post of its own kind.
            for (h, row) in post_s.iter_mut().enumerate() {
                for (u, t) in row.iter_mut().enumerate() {
                    if posts[u].mode_index != posts[h].mode_index {
                        *t = f64::INFINITY;
                    }
                }
            }
            MoveUp {
                policy,
                post_s,
                mode_of: posts.iter().map(|r| r.mode_index).collect(),
            }
        }
    };
    if options.move_up == MoveUpPolicy::None {
        stop.stage("matrix", places.len() as u64);
    }
    let drill = Drill {
        travel_s: travel_times(network, modes, &spots, &places, f64::INFINITY, stop)?,
        turnout_s,
        calls: if options.history.is_empty() {
            poisson_calls(
                &weights,
                options.calls_per_hour,
                &options.by_hour,
                horizon_s,
                options.seed,
            )
        } else {
            let start_s = (options.history[0].time_s / 3600.0).floor() * 3600.0;
            options
                .history
                .iter()
                .zip(&place_of)
                .filter_map(|(c, place)| {
                    Some(Call {
                        time_s: c.time_s - start_s,
                        place: (*place)?,
                    })
                })
                .filter(|c| c.time_s < horizon_s)
                .collect()
        },
        weights,
        move_up,
        patrols: patrol_list,
        alert_level: 0.9,
        units_per_call: standard.tiers.iter().map(|t| t.units).max().unwrap_or(1),
        busy: Busy::DriveAndScene {
            on_scene_mean_s: options.on_scene_mean_s,
        },
        horizon_s,
        seed: options.seed,
    };
    let run = DrillRun {
        units,
        places: at,
        calls_left_out: options.history.len().saturating_sub(drill.calls.len()),
        reports: Vec::new(),
    };
    Ok((drill, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two posts; place 0 (weight 3) near post A, place 1 (weight 1) near post B. A call at
    /// place 0 takes A away for long; a second call there 10 minutes later.
    fn two_posts(policy: MoveUpPolicy) -> Drill {
        Drill {
            travel_s: vec![vec![30.0, 200.0], vec![200.0, 30.0]],
            turnout_s: vec![0.0, 0.0],
            weights: vec![3.0, 1.0],
            calls: vec![
                Call {
                    time_s: 0.0,
                    place: 0,
                },
                Call {
                    time_s: 600.0,
                    place: 0,
                },
            ],
            units_per_call: 1,
            busy: Busy::Exponential { mean_s: 1e7 },
            move_up: MoveUp {
                policy,
                // post_s[post][unit]: 100 s between the posts.
                post_s: vec![vec![0.0, 100.0], vec![100.0, 0.0]],
                mode_of: vec![0, 0],
            },
            patrols: Vec::new(),
            alert_level: 0.9,
            horizon_s: 3600.0,
            seed: 3,
        }
    }

    fn one_minute() -> ResponseStandard {
        ResponseStandard {
            tiers: vec![crate::coverage::Tier {
                budget_s: 60.0,
                units: 1,
                classes: Vec::new(),
            }],
        }
    }

    #[test]
    fn a_moved_up_unit_answers_the_second_call_sooner() {
        let none = run(&two_posts(MoveUpPolicy::None), &one_minute());
        assert_eq!(none.moves, 0);
        assert_eq!(none.dispatches, vec![1, 1]);
        assert_eq!(none.tier_shares, vec![0.5]); // B drove 200 s to the second call
        for policy in [MoveUpPolicy::Greedy { max_moves: 3 }, MoveUpPolicy::Table] {
            let r = run(&two_posts(policy), &one_minute());
            assert_eq!(r.dispatches, vec![1, 1], "{policy:?}");
            assert_eq!(r.tier_shares, vec![1.0], "{policy:?}"); // B stood at A's post
            assert_eq!(r.moves, 1, "{policy:?}");
            assert_eq!(
                r.events[1],
                DrillEvent::Move {
                    time_s: 0.0,
                    unit: 1,
                    post: 0,
                    arrive_s: 100.0
                }
            );
            // Held at A's place 3/4 of the weight from 100 s to 600 s, against 1/4 standing.
            assert!(r.mean_coverage[0] > none.mean_coverage[0], "{policy:?}");
        }
    }

    /// Unit 0 patrols two spots (1 near place 0, 2 near place 1) a minute each; unit 1
    /// stands at its post, far from both. Nothing stays on scene.
    fn a_patrol(policy: MoveUpPolicy) -> Drill {
        Drill {
            travel_s: vec![
                vec![900.0, 900.0, 30.0, 500.0],
                vec![900.0, 900.0, 500.0, 30.0],
            ],
            turnout_s: vec![0.0, 0.0],
            weights: Vec::new(),
            calls: [(10.0, 0), (75.0, 1), (140.0, 1), (200.0, 0)]
                .map(|(time_s, place)| Call { time_s, place })
                .to_vec(),
            units_per_call: 1,
            busy: Busy::DriveAndScene {
                on_scene_mean_s: 1e-9,
            },
            move_up: MoveUp {
                policy,
                post_s: vec![vec![0.0, 100.0], vec![100.0, 0.0]],
                mode_of: vec![0, 0],
            },
            patrols: vec![Patrol {
                unit: 0,
                spots: vec![2, 3],
                step_s: 60.0,
            }],
            alert_level: 0.9,
            horizon_s: 300.0,
            seed: 5,
        }
    }

    #[test]
    fn a_patrol_answers_from_where_its_route_has_it_and_the_coverage_follows() {
        for policy in [
            MoveUpPolicy::None,
            MoveUpPolicy::Table,
            MoveUpPolicy::Greedy { max_moves: 3 },
        ] {
            let r = run(&a_patrol(policy), &one_minute());
            let sent: Vec<(Vec<usize>, Vec<f64>)> = r
                .events
                .iter()
                .filter_map(|e| match e {
                    DrillEvent::Call {
                        units, response_s, ..
                    } => Some((units.clone(), response_s.clone())),
                    _ => None,
                })
                .collect();
            // 10 s: at spot 2, 30 s away (back at 70 s, at spot 3 by the clock); 75 s: 30 s
            // (back at 135 s, at spot 2); 140 s: 500 s from place 1, still nearer than unit
            // 1; 200 s: busy until 1140 s, so unit 1 goes.
            assert_eq!(
                sent,
                vec![
                    (vec![0], vec![30.0]),
                    (vec![0], vec![30.0]),
                    (vec![0], vec![500.0]),
                    (vec![1], vec![900.0]),
                ],
                "{policy:?}"
            );
            assert_eq!(r.tier_shares, vec![0.5], "{policy:?}");
            // Patrols are not moved up, nor moved up to.
            assert!(
                r.events.iter().all(|e| !matches!(
                    e,
                    DrillEvent::Move { unit: 0, .. } | DrillEvent::Move { post: 0, .. }
                )),
                "{policy:?}"
            );
            // Half the places held from the start, none while unit 0 is away, half again
            // once it is back on its route (70 s), none from 140 s.
            assert_eq!(r.plan_coverage, vec![0.5]);
            let at = |t: f64| {
                r.coverage
                    .iter()
                    .rev()
                    .find(|c| c.time_s <= t)
                    .map(|c| c.tier_shares[0])
            };
            assert_eq!(at(20.0), Some(0.0), "{policy:?}");
            assert_eq!(at(72.0), Some(0.5), "{policy:?}");
            assert_eq!(at(150.0), Some(0.0), "{policy:?}");
        }
        // Standing at its post instead, unit 0 reaches no call within the minute.
        let mut standing = a_patrol(MoveUpPolicy::None);
        standing.patrols.clear();
        assert_eq!(run(&standing, &one_minute()).tier_shares, vec![0.0]);
    }

    #[test]
    fn a_patrols_coverage_moves_with_it_at_every_tick() {
        // One place, near only the patrol's first spot: held every other minute.
        let mut drill = a_patrol(MoveUpPolicy::None);
        drill.calls.clear();
        let changes = |r: &DrillReport| -> Vec<(f64, f64)> {
            r.coverage
                .iter()
                .map(|c| (c.time_s, c.tier_shares[0]))
                .collect()
        };
        let r = run(&drill, &one_minute());
        assert_eq!(changes(&r), vec![(0.0, 0.5)]); // each spot holds one of the two places
        drill.travel_s[1][3] = 500.0; // now spot 3 holds neither
        let r = run(&drill, &one_minute());
        assert_eq!(
            changes(&r),
            vec![
                (0.0, 0.5),
                (60.0, 0.0),
                (120.0, 0.5),
                (180.0, 0.0),
                (240.0, 0.5)
            ]
        );
        assert!((r.mean_coverage[0] - 0.3).abs() < 1e-12); // 0.5 for 180 of 300 s
    }

    #[test]
    fn greedy_moves_only_when_the_standard_gains() {
        // Place 1 weighs more: leaving B's post would lose more than A's place gains.
        let mut drill = two_posts(MoveUpPolicy::Greedy { max_moves: 3 });
        drill.weights = vec![1.0, 3.0];
        assert_eq!(run(&drill, &one_minute()).moves, 0);
        // The table moves whatever the weights, and goes home when A is back.
        drill.move_up.policy = MoveUpPolicy::Table;
        drill.busy = Busy::Exponential { mean_s: 300.0 };
        drill.calls.truncate(1);
        let r = run(&drill, &one_minute());
        let homes = r
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    DrillEvent::Move {
                        unit: 1,
                        post: 1,
                        ..
                    }
                )
            })
            .count();
        assert_eq!((r.moves, homes), (2, 1), "{:?}", r.events);
    }

    #[test]
    fn moves_stay_within_a_mode_and_the_same_seed_gives_the_same_drill() {
        let mut drill = two_posts(MoveUpPolicy::Greedy { max_moves: 3 });
        drill.move_up.mode_of = vec![0, 1];
        drill.move_up.post_s = vec![vec![0.0, f64::INFINITY], vec![f64::INFINITY, 0.0]];
        assert_eq!(run(&drill, &one_minute()).moves, 0);
        drill.move_up.policy = MoveUpPolicy::Table;
        assert_eq!(run(&drill, &one_minute()).moves, 0);
        let drill = two_posts(MoveUpPolicy::Greedy { max_moves: 3 });
        assert_eq!(run(&drill, &one_minute()), run(&drill, &one_minute()));
    }

    /// The greedy's score of a move is the change in weighted tiers held, recounted from
    /// scratch, on random small cases.
    fn below(rng: &mut SplitMix64, n: usize) -> usize {
        (rng.next_u64() % n as u64) as usize
    }

    #[test]
    fn a_moves_score_is_the_recounted_change() {
        let mut rng = SplitMix64::new(11);
        let standard = ResponseStandard::default();
        for _ in 0..200 {
            let (units, places) = (2 + below(&mut rng, 5), 1 + below(&mut rng, 6));
            let time = |rng: &mut SplitMix64| {
                if rng.next_f64() < 0.2 {
                    f64::INFINITY
                } else {
                    rng.next_f64() * 400.0
                }
            };
            let mut drill = two_posts(MoveUpPolicy::Greedy { max_moves: 3 });
            drill.travel_s = (0..places)
                .map(|_| (0..units).map(|_| time(&mut rng)).collect())
                .collect();
            drill.turnout_s = (0..units).map(|_| rng.next_f64() * 60.0).collect();
            drill.weights = (0..places)
                .map(|_| 1.0 + below(&mut rng, 3) as f64)
                .collect();
            let mut state = Units::new(&drill, &standard);
            for u in 0..units {
                state.free[u] = rng.next_f64() < 0.7;
                state.at[u] = below(&mut rng, units);
            }
            let held = |state: &Units| -> f64 {
                let count = state.counts();
                (0..places)
                    .map(|p| {
                        let met = (0..state.tiers.len())
                            .filter(|&k| count[p][k] as usize >= state.tiers[k].1)
                            .count();
                        met as f64 * state.weight(p)
                    })
                    .sum()
            };
            let u = below(&mut rng, units);
            state.free[u] = true;
            let before = held(&state);
            let mut count = state.counts();
            let (score, post) = state
                .best_move(&mut count, u, state.at[u], 0..units)
                .unwrap();
            assert_eq!(count, state.counts(), "the counts are restored");
            let brute = (0..units)
                .map(|h| {
                    let mut moved = Units::new(&drill, &standard);
                    moved.free.clone_from(&state.free);
                    moved.at.clone_from(&state.at);
                    moved.at[u] = h;
                    held(&moved) - before
                })
                .fold(f64::NEG_INFINITY, f64::max);
            assert!((score - brute).abs() < 1e-9, "{score} against {brute}");
            let mut moved = Units::new(&drill, &standard);
            moved.free.clone_from(&state.free);
            moved.at.clone_from(&state.at);
            moved.at[u] = post;
            assert!((held(&moved) - before - score).abs() < 1e-9);
        }
    }

    #[test]
    fn policies_parse_by_name() {
        assert_eq!("none".parse(), Ok(MoveUpPolicy::None));
        assert_eq!("table".parse(), Ok(MoveUpPolicy::Table));
        assert_eq!("greedy".parse(), Ok(MoveUpPolicy::Greedy { max_moves: 3 }));
        assert!("fastest"
            .parse::<MoveUpPolicy>()
            .unwrap_err()
            .contains("fastest"));
    }
}
