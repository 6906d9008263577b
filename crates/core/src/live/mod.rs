//! Live operations: where the units are now ([`Board`]), and who goes to a 110 call
//! ([`call_package`]): each available unit's exact travel time from its live position, its
//! route, and whether the standard holds at the call. Pure: the caller passes the clock and
//! the roads.

pub mod alerts;
mod board;
pub mod history;
pub mod moveup;
mod respond;
pub mod simulate;
pub mod time;
pub mod tracks;

pub use board::{
    snap_heading, Board, BoardOptions, Fix, LiveUnit, OnRoad, PositionError, PositionReport,
    Status, MOVING_KPH,
};
pub use respond::{arrival_times, arrivals, Arrival, Responder, Target};

use crate::coverage::who_reaches::RoadAt;
use crate::coverage::{ModeNetwork, ResponseStandard};
use crate::network::{RoadNetwork, SnapRefusal};
use crate::scenario::Scenario;

/// The response package of a call.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CallPackage {
    /// The point of the call, `[lon, lat]`.
    pub query: [f64; 2],
    /// The nearest car road point, `[lon, lat]`.
    pub position: [f64; 2],
    /// Its distance from the call, in metres.
    pub dist_m: f64,
    /// The road it is on.
    pub road: RoadAt,
    /// The standard checked, e.g. `60:1,180:2,300:3`.
    pub standard: String,
    /// The units that arrive within the search's limit, soonest first (at most the limit
    /// asked for).
    pub units: Vec<CallUnit>,
    /// Each tier of the standard at the call.
    pub tiers: Vec<TierAtCall>,
    /// Whether every tier holds.
    pub standard_met: bool,
    /// Units not counted, and why.
    pub not_counted: NotCounted,
    /// The search's limit, in seconds: units farther away are not listed.
    pub searched_s: f64,
}

/// A unit that could go, and when it arrives.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CallUnit {
    /// 1 for the first to arrive.
    pub rank: usize,
    /// Its id.
    pub unit: String,
    /// Its name.
    pub name: Option<String>,
    /// Its class.
    pub class: Option<String>,
    /// Its travel mode.
    pub mode: &'static str,
    /// Its travel time from its live position, in seconds (turnout only when standing).
    pub eta_s: f64,
    /// The smallest budget of the standard it arrives within, if any.
    pub within_s: Option<f64>,
    /// Where it is now on the road, `[lon, lat]`.
    pub position: [f64; 2],
    /// Its route's length, in metres.
    pub length_m: f64,
    /// Its route, `[lon, lat]` positions from where it is to the call.
    pub route: Vec<[f64; 2]>,
}

/// One tier of the standard at a call.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TierAtCall {
    /// The budget, in seconds.
    pub budget_s: f64,
    /// The units it needs.
    pub units: usize,
    /// The units of its classes that arrive within the budget.
    pub arriving: usize,
    /// Whether it holds.
    pub met: bool,
}

/// Units a call does not count.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct NotCounted {
    /// En route to or on scene at another call.
    pub busy: usize,
    /// Off duty.
    pub off_duty: usize,
    /// Available, but no position lately (or ever).
    pub stale: usize,
}

/// The response package for a call at `lon_lat`: the board's counted units (available, not
/// stale at `now_s`) on `modes` (car first: the call is placed on the car roads), ranked by
/// exact travel time, at most `limit` listed; `standard` checked with every arriving unit.
/// Refused when no car road is within `max_snap_m`.
#[allow(clippy::too_many_arguments)]
pub fn call_package(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    plan: &Scenario,
    board: &Board,
    standard: &ResponseStandard,
    lon_lat: [f64; 2],
    limit: usize,
    now_s: f64,
    max_snap_m: f64,
) -> Result<CallPackage, SnapRefusal> {
    let snapped = modes[0].index.snap(lon_lat, max_snap_m)?;
    let largest_s = standard
        .tiers
        .iter()
        .map(|t| t.budget_s)
        .fold(0.0, f64::max);
    let searched_s = (2.0 * largest_s).max(600.0);
    let mut not_counted = NotCounted::default();
    let mut responders = Vec::new();
    for (i, u) in board.units().iter().enumerate() {
        match u.status {
            Status::EnRoute | Status::OnScene => not_counted.busy += 1,
            Status::OffDuty => not_counted.off_duty += 1,
            Status::Available => match (&u.fix, board.stale(u, now_s)) {
                (Some(fix), false) => {
                    let Some(mode_index) = modes.iter().position(|m| m.mode == u.mode) else {
                        continue;
                    };
                    let standing = plan.units[u.unit].turnout_s;
                    responders.push(Responder {
                        unit: i,
                        mode_index,
                        edge: fix.on_road.edge,
                        fraction: fix.on_road.fraction,
                        forward: fix.on_road.forward,
                        start_s: if fix.moving() { 0.0 } else { standing },
                    });
                }
                _ => not_counted.stale += 1,
            },
        }
    }
    let target = Target {
        edge: snapped.edge,
        fraction: snapped.fraction,
    };
    let found = arrivals(network, modes, &responders, target, searched_s);
    let budgets: Vec<f64> = {
        let mut b: Vec<f64> = standard.tiers.iter().map(|t| t.budget_s).collect();
        b.sort_by(f64::total_cmp);
        b
    };
    let class_of = |a: &Arrival| plan.units[board.units()[a.unit].unit].class.clone();
    let tiers: Vec<TierAtCall> = standard
        .tiers
        .iter()
        .map(|tier| {
            let arriving = found
                .iter()
                .filter(|a| a.eta_s <= tier.budget_s)
                .filter(|a| {
                    tier.classes.is_empty()
                        || class_of(a).is_some_and(|c| tier.classes.contains(&c))
                })
                .count();
            TierAtCall {
                budget_s: tier.budget_s,
                units: tier.units,
                arriving,
                met: arriving >= tier.units,
            }
        })
        .collect();
    let units = found
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(rank, a)| {
            let live = &board.units()[a.unit];
            let unit = &plan.units[live.unit];
            CallUnit {
                rank: rank + 1,
                unit: live.id.clone(),
                name: unit.name.clone(),
                class: unit.class.clone(),
                mode: unit.mode.as_str(),
                eta_s: a.eta_s,
                within_s: budgets.iter().copied().find(|&b| a.eta_s <= b),
                position: live
                    .fix
                    .as_ref()
                    .map_or(unit.position, |f| f.on_road.position),
                length_m: a.length_m,
                route: a.route,
            }
        })
        .collect();
    let e = snapped.edge as usize;
    Ok(CallPackage {
        query: lon_lat,
        position: snapped.position,
        dist_m: snapped.dist_m,
        road: RoadAt {
            edge: snapped.edge,
            name: network.name(e).map(str::to_string),
            class: network.class_name(network.edges[e].class).to_string(),
        },
        standard: standard.to_string(),
        standard_met: tiers.iter().all(|t| t.met),
        units,
        tiers,
        not_counted,
        searched_s,
    })
}
