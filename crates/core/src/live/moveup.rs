//! Move-up: when units are committed to calls, which available units to move, and where (to
//! posts or chosen points), to restore the standard best. At most N moves, chosen greedily:
//! each round the move adding the most road where a tier is met, on a model of the road as
//! its nodes (each weighing half the length of the car roads at it) and each unit's reach
//! from one bounded search; the caller measures the chosen moves exactly afterwards.

use super::respond::{arrivals, Responder, Target};
use super::{Board, Status};
use crate::coverage::radix_heap::RadixHeap;
use crate::coverage::search::Source;
use crate::coverage::{sources_of, ModeNetwork, Placement, ResponseStandard};
use crate::network::{ProfileGraph, RoadNetwork};
use crate::scenario::{Scenario, UnitKind};

/// A proposed move.
#[derive(Clone, Debug, PartialEq)]
pub struct Move {
    /// The unit, by its index on the board.
    pub unit: usize,
    /// The target, by its index in the targets given.
    pub target: usize,
    /// The unit's travel time to it, in seconds.
    pub travel_s: f64,
    /// Per tier: metres of road where the tier is met that the move adds (net of what the
    /// unit held where it is), on the node model.
    pub gain_m: Vec<f64>,
}

/// The settings of a proposal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MoveUpOptions {
    /// Moves at most.
    pub max_moves: usize,
    /// Units considered for each target: the nearest by travel time.
    pub movers_per_target: usize,
    /// Units farther than this from a target (in seconds) are not sent to it.
    pub max_travel_s: f64,
    /// Snap distance for the targets, in metres.
    pub max_snap_m: f64,
}

impl Default for MoveUpOptions {
    /// 3 moves, the 10 nearest units per target, within 15 minutes, targets within 200 m of
    /// a road.
    fn default() -> Self {
        MoveUpOptions {
            max_moves: 3,
            movers_per_target: 10,
            max_travel_s: 900.0,
            max_snap_m: 200.0,
        }
    }
}

/// One unit's reach: `(node, seconds)` within the largest budget.
type Reach = Vec<(u32, f64)>;

/// The node model: what each node weighs and how many units reach it within each tier.
struct Model<'a> {
    standard: &'a ResponseStandard,
    weight_m: Vec<f64>,
    /// `count[tier][node]`: eligible units arriving within the tier's budget.
    count: Vec<Vec<u32>>,
    /// Scratch: the change of each node's count for one tier, and the nodes touched.
    delta: Vec<i32>,
    touched: Vec<u32>,
}

impl Model<'_> {
    /// Applies `sign` (+1 or -1) of `reach` (shifted by `start_s`) of a unit of `class` to
    /// the counts.
    fn add(&mut self, reach: &Reach, start_s: f64, class: Option<&str>, sign: i32) {
        for (k, tier) in self.standard.tiers.iter().enumerate() {
            if !eligible(&tier.classes, class) {
                continue;
            }
            for &(v, t) in reach {
                if t + start_s <= tier.budget_s {
                    let c = &mut self.count[k][v as usize];
                    *c = c.saturating_add_signed(sign);
                }
            }
        }
    }

    /// Per tier: the metres met after a unit of `class` leaves `from` (its reach where it
    /// is) for `to` (its reach at the target, `to_start_s` its turnout there), minus before.
    fn gain(&mut self, from: (&Reach, f64), to: (&Reach, f64), class: Option<&str>) -> Vec<f64> {
        let mut out = vec![0.0; self.standard.tiers.len()];
        for (k, tier) in self.standard.tiers.iter().enumerate() {
            if !eligible(&tier.classes, class) {
                continue;
            }
            for (reach, start_s, sign) in [(from.0, from.1, -1), (to.0, to.1, 1)] {
                for &(v, t) in reach {
                    if t + start_s <= tier.budget_s {
                        if self.delta[v as usize] == 0 {
                            self.touched.push(v);
                        }
                        self.delta[v as usize] += sign;
                    }
                }
            }
            let need = tier.units as i64;
            for v in self.touched.drain(..) {
                let before = self.count[k][v as usize] as i64;
                let after = before + self.delta[v as usize] as i64;
                self.delta[v as usize] = 0;
                out[k] += self.weight_m[v as usize]
                    * (f64::from(u8::from(after >= need)) - f64::from(u8::from(before >= need)));
            }
        }
        out
    }
}

fn eligible(classes: &[String], class: Option<&str>) -> bool {
    classes.is_empty() || class.is_some_and(|c| classes.iter().any(|x| x == c))
}

/// Every node a unit placed at `p` reaches within `cutoff_s` (from time 0; its turnout is
/// added by the caller), with `time` a scratch array all infinite, left so.
fn reach_of(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    p: &Placement,
    cutoff_s: f64,
    time: &mut [f64],
) -> Reach {
    let mut sources: Vec<Source> = Vec::new();
    sources_of(
        network,
        graph,
        &Placement { start_s: 0.0, ..*p },
        &mut sources,
    );
    let mut heap = RadixHeap::new();
    let mut reached: Vec<u32> = Vec::new();
    for s in &sources {
        if s.time_s <= cutoff_s && s.time_s < time[s.node as usize] {
            if time[s.node as usize].is_infinite() {
                reached.push(s.node);
            }
            time[s.node as usize] = s.time_s;
            heap.push(s.time_s.to_bits(), s.node);
        }
    }
    while let Some((key, v)) = heap.pop() {
        let t = f64::from_bits(key);
        if t > time[v as usize] {
            continue;
        }
        for arc in graph.forward.arcs_of(v) {
            let (w, nt) = (arc.other as usize, t + arc.time_s);
            if nt <= cutoff_s && nt < time[w] {
                if time[w].is_infinite() {
                    reached.push(arc.other);
                }
                time[w] = nt;
                heap.push(nt.to_bits(), arc.other);
            }
        }
    }
    let out: Reach = reached.iter().map(|&v| (v, time[v as usize])).collect();
    for v in reached {
        time[v as usize] = f64::INFINITY;
    }
    out
}

/// Each node's weight: half the length of the car roads at it, so that the nodes weigh
/// the whole usable car road.
fn node_weights(network: &RoadNetwork, car: &ProfileGraph) -> Vec<f64> {
    let mut w = vec![0.0; network.nodes.len()];
    for (e, edge) in network.edges.iter().enumerate() {
        if car.edge_direction[e].is_some() {
            w[edge.from as usize] += edge.length_m / 2.0;
            w[edge.to as usize] += edge.length_m / 2.0;
        }
    }
    w
}

/// At most `options.max_moves` moves of the board's counted units (available, not stale at
/// `now_s`) to `targets` (`[lon, lat]`, snapped to the car roads) that add the most road
/// where the tiers of `standard` are met, posts of `plan` standing where they are; each
/// round the best move of the nearest units to each target. A unit moves once; a target
/// takes one unit. No move is proposed that adds nothing.
///
/// ```
/// # use patrolmap_core::live::moveup::{propose, MoveUpOptions};
/// # use patrolmap_core::live::{Board, BoardOptions};
/// # let scenario = patrolmap_core::scenario::read_geojson_str(r#"{"type":"FeatureCollection","features":[]}"#).unwrap();
/// # let net = patrolmap_core::network::road_geojson::read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}}]}"#, "r.geojson".as_ref()).unwrap();
/// # let graph = patrolmap_core::network::ProfileGraph::build(&net, &patrolmap_core::network::Profile::default_for(patrolmap_core::network::TravelMode::Car));
/// # let index = patrolmap_core::network::SnapIndex::build(&net, &graph);
/// # let modes = [patrolmap_core::coverage::ModeNetwork { mode: patrolmap_core::network::TravelMode::Car, graph: &graph, index: &index }];
/// let board = Board::new(&scenario, BoardOptions::default());
/// let moves = propose(&net, &modes, &scenario, &board, &Default::default(), &[[0.0005, 0.0]], &MoveUpOptions::default(), 0.0);
/// assert!(moves.is_empty(), "no unit to move");
/// ```
#[allow(clippy::too_many_arguments)]
pub fn propose(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    plan: &Scenario,
    board: &Board,
    standard: &ResponseStandard,
    targets: &[[f64; 2]],
    options: &MoveUpOptions,
    now_s: f64,
) -> Vec<Move> {
    let largest_s = standard
        .tiers
        .iter()
        .map(|t| t.budget_s)
        .fold(0.0, f64::max);
    let n = network.nodes.len();
    let mut scratch = vec![f64::INFINITY; n];
    let mut model = Model {
        standard,
        weight_m: node_weights(network, modes[0].graph),
        count: vec![vec![0; n]; standard.tiers.len()],
        delta: vec![0; n],
        touched: Vec::new(),
    };
    let mode_of = |m| modes.iter().position(|x| x.mode == m);
    // Posts stand where the plan has them.
    for post in plan.units.iter().filter(|u| u.kind == UnitKind::Post) {
        let Some(m) = mode_of(post.mode) else {
            continue;
        };
        let Ok(s) = modes[m].index.snap(post.position, options.max_snap_m) else {
            continue;
        };
        let p = placement(s.edge, s.fraction);
        let reach = reach_of(network, modes[m].graph, &p, largest_s, &mut scratch);
        model.add(&reach, post.turnout_s, post.class.as_deref(), 1);
    }
    // The counted units where they are, and how soon each can go.
    struct Live {
        board: usize,
        mode: usize,
        start_s: f64,
        turnout_s: f64,
        class: Option<String>,
        reach: Reach,
        responder: Responder,
    }
    let mut live: Vec<Live> = Vec::new();
    for (i, u) in board.units().iter().enumerate() {
        if u.status != Status::Available || board.stale(u, now_s) {
            continue;
        }
        let (Some(fix), Some(m)) = (u.fix.as_ref(), mode_of(u.mode)) else {
            continue;
        };
        let unit = &plan.units[u.unit];
        let start_s = if fix.moving() { 0.0 } else { unit.turnout_s };
        let reach = reach_of(
            network,
            modes[m].graph,
            &placement(fix.on_road.edge, fix.on_road.fraction),
            largest_s,
            &mut scratch,
        );
        model.add(&reach, start_s, unit.class.as_deref(), 1);
        live.push(Live {
            board: i,
            mode: m,
            start_s,
            turnout_s: unit.turnout_s,
            class: unit.class.clone(),
            reach,
            responder: Responder {
                unit: live.len(),
                mode_index: m,
                edge: fix.on_road.edge,
                fraction: fix.on_road.fraction,
                forward: fix.on_road.forward,
                start_s: 0.0,
            },
        });
    }
    // Each target: where it is on the roads, and its nearest units by travel time.
    struct Candidate {
        target: usize,
        snapped: (u32, f64),
        movers: Vec<(usize, f64)>,
        /// The reach at the target, per mode (made when first needed).
        reach: Vec<Option<Reach>>,
    }
    let responders: Vec<Responder> = live.iter().map(|l| l.responder).collect();
    let mut candidates: Vec<Candidate> = targets
        .iter()
        .enumerate()
        .filter_map(|(t, &lon_lat)| {
            let s = modes[0].index.snap(lon_lat, options.max_snap_m).ok()?;
            let found = arrivals(
                network,
                modes,
                &responders,
                Target {
                    edge: s.edge,
                    fraction: s.fraction,
                },
                options.max_travel_s,
            );
            let movers = found
                .into_iter()
                .take(options.movers_per_target)
                .map(|a| (a.unit, a.eta_s))
                .collect();
            Some(Candidate {
                target: t,
                snapped: (s.edge, s.fraction),
                movers,
                reach: vec![None; modes.len()],
            })
        })
        .collect();
    let mut moves: Vec<Move> = Vec::new();
    let mut moved = vec![false; live.len()];
    let mut taken = vec![false; candidates.len()];
    while moves.len() < options.max_moves {
        let mut best: Option<(f64, usize, usize, f64, Vec<f64>)> = None;
        for (c, candidate) in candidates.iter_mut().enumerate() {
            if taken[c] {
                continue;
            }
            for &(l, travel_s) in &candidate.movers {
                if moved[l] {
                    continue;
                }
                let unit = &live[l];
                let (edge, fraction) = candidate.snapped;
                let at = candidate.reach[unit.mode].get_or_insert_with(|| {
                    let graph = modes[unit.mode].graph;
                    // A target off this mode's roads: the unit cannot stand there.
                    if graph.edge_direction[edge as usize].is_none() {
                        return Vec::new();
                    }
                    reach_of(
                        network,
                        graph,
                        &placement(edge, fraction),
                        largest_s,
                        &mut scratch,
                    )
                });
                if at.is_empty() {
                    continue;
                }
                let gain = model.gain(
                    (&unit.reach, unit.start_s),
                    (at, unit.turnout_s),
                    unit.class.as_deref(),
                );
                let total: f64 = gain.iter().sum();
                // The most road restored; of equals, the sooner there.
                let better = best.as_ref().is_none_or(|b| {
                    total > b.0 + 1e-9 || ((total - b.0).abs() <= 1e-9 && travel_s < b.3)
                });
                if total > 1e-9 && better {
                    best = Some((total, c, l, travel_s, gain));
                }
            }
        }
        let Some((_, c, l, travel_s, gain_m)) = best else {
            break;
        };
        let unit = &live[l];
        let at = candidates[c].reach[unit.mode].clone().unwrap_or_default();
        model.add(&unit.reach, unit.start_s, unit.class.as_deref(), -1);
        model.add(&at, unit.turnout_s, unit.class.as_deref(), 1);
        moved[l] = true;
        taken[c] = true;
        moves.push(Move {
            unit: unit.board,
            target: candidates[c].target,
            travel_s,
            gain_m,
        });
    }
    moves
}

fn placement(edge: u32, fraction: f64) -> Placement {
    Placement {
        unit: 0,
        mode_index: 0,
        edge,
        fraction,
        start_s: 0.0,
        dist_m: 0.0,
    }
}
