//! The live board: each unit's last position on its mode's roads and its status, as a
//! gateway relays the vehicles' and radios' GPS. Pure state: a batch of positions in, one
//! verdict per position out; nothing here reads a clock (the caller passes `now_s`).

use std::collections::HashMap;

use crate::coverage::ModeNetwork;
use crate::network::geodesy::{haversine_m, is_valid_lon_lat};
use crate::network::{RoadNetwork, TravelMode};
use crate::scenario::{Scenario, Unit, UnitKind};

/// What a unit is doing.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Free to be sent: counted in the live coverage and for a call.
    #[default]
    Available,
    /// Driving to a call.
    EnRoute,
    /// At a call.
    OnScene,
    /// Not on shift.
    OffDuty,
}

impl Status {
    /// Every status, in the order the map lists them.
    pub const ALL: [Status; 4] = [
        Status::Available,
        Status::EnRoute,
        Status::OnScene,
        Status::OffDuty,
    ];

    /// Its name, as the API spells it.
    ///
    /// ```
    /// assert_eq!(patrolmap_core::live::Status::EnRoute.as_str(), "en_route");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::EnRoute => "en_route",
            Status::OnScene => "on_scene",
            Status::OffDuty => "off_duty",
        }
    }

    /// The status named `text`.
    ///
    /// ```
    /// use patrolmap_core::live::Status;
    /// assert_eq!(Status::parse("on_scene"), Some(Status::OnScene));
    /// assert_eq!(Status::parse("busy"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One position as the gateway sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionReport {
    /// The unit's id, as in the scenario.
    pub unit: String,
    /// Where, `[lon, lat]` (WGS 84).
    pub lon_lat: [f64; 2],
    /// When, in Unix seconds.
    pub time_s: f64,
    /// Which way it moves, degrees clockwise from north.
    pub heading_deg: Option<f64>,
    /// How fast, in km/h.
    pub speed_kph: Option<f64>,
}

/// Why a position was not taken. The others of its batch are taken regardless.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PositionError {
    /// No unit of the scenario has this id (posts do not move).
    #[error("no unit {0:?} in the scenario")]
    UnknownUnit(String),
    /// Not after the unit's last position.
    #[error("time {time_s} is not after the unit's last position at {last_s}")]
    OutOfOrder {
        /// The position's time.
        time_s: f64,
        /// The last one taken.
        last_s: f64,
    },
    /// Later than the server's clock allows.
    #[error("time {time_s} is {ahead_s:.0} s in the future")]
    InFuture {
        /// The position's time.
        time_s: f64,
        /// How far ahead of the server's clock.
        ahead_s: f64,
    },
    /// Not a longitude and latitude.
    #[error("[{0}, {1}] is not a longitude and latitude")]
    BadPosition(f64, f64),
    /// A heading or speed that cannot be.
    #[error("{field} {value} is out of range")]
    BadValue {
        /// `heading_deg` or `speed_kph`.
        field: &'static str,
        /// What was sent.
        value: f64,
    },
    /// No road of the unit's mode near it.
    #[error("no {mode} road within {max_m:.0} m")]
    FarFromRoad {
        /// The unit's mode.
        mode: &'static str,
        /// The limit.
        max_m: f64,
    },
}

impl PositionError {
    /// A stable name of what went wrong, for the map's own words.
    ///
    /// ```
    /// assert_eq!(patrolmap_core::live::PositionError::UnknownUnit("x".into()).code(), "unknown_unit");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            PositionError::UnknownUnit(_) => "unknown_unit",
            PositionError::OutOfOrder { .. } => "out_of_order",
            PositionError::InFuture { .. } => "in_future",
            PositionError::BadPosition(..) => "bad_position",
            PositionError::BadValue { .. } => "bad_value",
            PositionError::FarFromRoad { .. } => "far_from_roads",
        }
    }
}

/// Where a unit is on its mode's roads.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct OnRoad {
    /// The road edge.
    pub edge: u32,
    /// Where on it, as a fraction of its length from its first node.
    pub fraction: f64,
    /// The point on the road, `[lon, lat]`.
    pub position: [f64; 2],
    /// How far the reported position was from it, in metres.
    pub dist_m: f64,
    /// Which way along the edge it moves: `Some(true)` towards its last node, `Some(false)`
    /// towards its first, `None` when standing or its heading is not known.
    pub forward: Option<bool>,
}

/// A unit's last position taken.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Fix {
    /// As reported, `[lon, lat]`.
    pub lon_lat: [f64; 2],
    /// When, in Unix seconds.
    pub time_s: f64,
    /// Heading, degrees clockwise from north.
    pub heading_deg: Option<f64>,
    /// Speed, km/h.
    pub speed_kph: Option<f64>,
    /// On the road.
    pub on_road: OnRoad,
}

impl Fix {
    /// Whether the unit is on the move (faster than [`MOVING_KPH`] with a heading): then it
    /// needs no turnout and leaves the way it is heading.
    pub fn moving(&self) -> bool {
        self.on_road.forward.is_some()
    }
}

/// A unit on the board.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveUnit {
    /// Its index among the scenario's units.
    pub unit: usize,
    /// Its id.
    pub id: String,
    /// How it travels.
    pub mode: TravelMode,
    /// What it is doing.
    pub status: Status,
    /// Its last position, if any came.
    pub fix: Option<Fix>,
    /// Where it was told to move up to (`[lon, lat]`), until it is there.
    pub move_to: Option<[f64; 2]>,
}

/// The settings of the board.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoardOptions {
    /// A unit with no position for longer is stale: shown so, and not counted.
    pub stale_after_s: f64,
    /// A position further ahead of the server's clock is refused.
    pub future_tolerance_s: f64,
    /// A position farther from every road of its mode is refused.
    pub max_snap_m: f64,
}

impl Default for BoardOptions {
    /// Stale after 2 minutes, 30 s of clock skew allowed, roads within 100 m.
    fn default() -> Self {
        BoardOptions {
            stale_after_s: 120.0,
            future_tolerance_s: 30.0,
            max_snap_m: 100.0,
        }
    }
}

/// A unit this near (metres) where it was moved up to has arrived.
pub const ARRIVED_M: f64 = 50.0;

/// Slower than this (km/h), a unit counts as standing.
pub const MOVING_KPH: f64 = 5.0;

/// Each degree between the heading and the road costs as much as this many metres of
/// distance when choosing the road a moving unit is on (30° ≈ 10 m).
const METRES_PER_DEGREE: f64 = 1.0 / 3.0;

/// Every unit of a scenario (posts stand still and are not on it), its last position and
/// status.
///
/// ```
/// use patrolmap_core::live::{Board, BoardOptions, Status};
/// let scenario = patrolmap_core::scenario::read_geojson_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"kind":"unit","id":"car-1"},"geometry":{"type":"Point","coordinates":[0,0]}}]}"#).unwrap();
/// let mut board = Board::new(&scenario, BoardOptions::default());
/// assert_eq!(board.units().len(), 1);
/// board.set_status("car-1", Status::OffDuty).unwrap();
/// assert!(board.set_status("car-9", Status::OffDuty).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Board {
    units: Vec<LiveUnit>,
    by_id: HashMap<String, usize>,
    /// Its settings.
    pub options: BoardOptions,
}

impl Board {
    /// The units of `scenario`, available and with no position yet.
    pub fn new(scenario: &Scenario, options: BoardOptions) -> Board {
        let units: Vec<LiveUnit> = scenario
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.kind == UnitKind::Unit)
            .map(|(i, u)| LiveUnit {
                unit: i,
                id: u.id.clone(),
                mode: u.mode,
                status: Status::Available,
                fix: None,
                move_to: None,
            })
            .collect();
        let by_id = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.clone(), i))
            .collect();
        Board {
            units,
            by_id,
            options,
        }
    }

    /// The board for `scenario` (a new plan loaded): its units, each keeping the status and
    /// last position this board had for its id.
    pub fn for_scenario(&self, scenario: &Scenario) -> Board {
        let mut next = Board::new(scenario, self.options);
        for unit in &mut next.units {
            if let Some(old) = self.unit(&unit.id) {
                unit.status = old.status;
                unit.move_to = old.move_to;
                unit.fix = if old.mode == unit.mode {
                    old.fix.clone()
                } else {
                    None
                };
            }
        }
        next
    }

    /// The units, in the scenario's order.
    pub fn units(&self) -> &[LiveUnit] {
        &self.units
    }

    /// The unit with this id.
    pub fn unit(&self, id: &str) -> Option<&LiveUnit> {
        self.by_id.get(id).map(|&i| &self.units[i])
    }

    /// Sets a unit's status; refused for an id the board does not have.
    pub fn set_status(&mut self, id: &str, status: Status) -> Result<Status, PositionError> {
        let i = *self
            .by_id
            .get(id)
            .ok_or_else(|| PositionError::UnknownUnit(id.to_string()))?;
        Ok(std::mem::replace(&mut self.units[i].status, status))
    }

    /// Tells a unit to move up to `to` (`[lon, lat]`), or no longer (`None`); refused for an
    /// id the board does not have.
    pub fn set_move_to(&mut self, id: &str, to: Option<[f64; 2]>) -> Result<(), PositionError> {
        let i = *self
            .by_id
            .get(id)
            .ok_or_else(|| PositionError::UnknownUnit(id.to_string()))?;
        self.units[i].move_to = to;
        Ok(())
    }

    /// Takes `reports` (the positions of a batch, in any order of units), each snapped to
    /// the roads of its unit's mode in `modes` (car first, as [`crate::city::City`] gives
    /// them); one verdict per report, in their order. A refused report changes nothing.
    pub fn apply(
        &mut self,
        network: &RoadNetwork,
        modes: &[ModeNetwork],
        reports: &[PositionReport],
        now_s: f64,
    ) -> Vec<Result<(), PositionError>> {
        reports
            .iter()
            .map(|r| {
                let fix = self.check(network, modes, r, now_s)?;
                let i = self.by_id[&r.unit];
                // Arrived where it was moved up to: done.
                let unit = &mut self.units[i];
                if unit
                    .move_to
                    .is_some_and(|to| haversine_m(to, fix.on_road.position) <= ARRIVED_M)
                {
                    unit.move_to = None;
                }
                unit.fix = Some(fix);
                Ok(())
            })
            .collect()
    }

    fn check(
        &self,
        network: &RoadNetwork,
        modes: &[ModeNetwork],
        r: &PositionReport,
        now_s: f64,
    ) -> Result<Fix, PositionError> {
        let i = *self
            .by_id
            .get(&r.unit)
            .ok_or_else(|| PositionError::UnknownUnit(r.unit.clone()))?;
        let unit = &self.units[i];
        if !is_valid_lon_lat(r.lon_lat) {
            return Err(PositionError::BadPosition(r.lon_lat[0], r.lon_lat[1]));
        }
        if let Some(h) = r
            .heading_deg
            .filter(|h| !(h.is_finite() && (-360.0..=360.0).contains(h)))
        {
            return Err(PositionError::BadValue {
                field: "heading_deg",
                value: h,
            });
        }
        if let Some(v) = r
            .speed_kph
            .filter(|v| !(v.is_finite() && (0.0..=400.0).contains(v)))
        {
            return Err(PositionError::BadValue {
                field: "speed_kph",
                value: v,
            });
        }
        let ahead_s = r.time_s - now_s;
        if !r.time_s.is_finite() || ahead_s > self.options.future_tolerance_s {
            return Err(PositionError::InFuture {
                time_s: r.time_s,
                ahead_s,
            });
        }
        if let Some(last) = &unit.fix {
            if r.time_s <= last.time_s {
                return Err(PositionError::OutOfOrder {
                    time_s: r.time_s,
                    last_s: last.time_s,
                });
            }
        }
        let far = || PositionError::FarFromRoad {
            mode: unit.mode.as_str(),
            max_m: self.options.max_snap_m,
        };
        let mode = modes.iter().find(|m| m.mode == unit.mode).ok_or_else(far)?;
        let heading = r
            .heading_deg
            .filter(|_| r.speed_kph.is_some_and(|v| v >= MOVING_KPH));
        let on_road = snap_heading(network, mode, r.lon_lat, heading, self.options.max_snap_m)
            .ok_or_else(far)?;
        Ok(Fix {
            lon_lat: r.lon_lat,
            time_s: r.time_s,
            heading_deg: r.heading_deg,
            speed_kph: r.speed_kph,
            on_road,
        })
    }

    /// Whether `unit`'s last position is older than the board allows at `now_s` (or none
    /// came).
    pub fn stale(&self, unit: &LiveUnit, now_s: f64) -> bool {
        unit.fix
            .as_ref()
            .is_none_or(|f| now_s - f.time_s > self.options.stale_after_s)
    }

    /// The units counted at `now_s`: available, with a position that is not stale.
    pub fn counted(&self, now_s: f64) -> impl Iterator<Item = &LiveUnit> {
        self.units
            .iter()
            .filter(move |u| u.status == Status::Available && !self.stale(u, now_s))
    }

    /// `plan` with its units where the board has them now: the counted units at their
    /// roads' points (a moving one with no turnout), the others left out; posts, sites,
    /// closures and the rest as planned. What the live coverage measures.
    pub fn deployment(&self, plan: &Scenario, now_s: f64) -> Scenario {
        let mut live = plan.clone();
        let counted: HashMap<usize, &Fix> = self
            .counted(now_s)
            .filter_map(|u| Some((u.unit, u.fix.as_ref()?)))
            .collect();
        live.units = plan
            .units
            .iter()
            .enumerate()
            .filter_map(|(i, u)| match u.kind {
                UnitKind::Post => Some(u.clone()),
                UnitKind::Unit => counted.get(&i).map(|fix| Unit {
                    position: fix.on_road.position,
                    turnout_s: if fix.moving() { 0.0 } else { u.turnout_s },
                    ..u.clone()
                }),
            })
            .collect();
        live
    }
}

/// The road point of `mode` a unit at `lon_lat` is on: the nearest, or, for a unit moving
/// on `heading_deg`, the nearby road and direction best agreeing with it (a car on a dual
/// carriageway is on the side it drives).
pub fn snap_heading(
    network: &RoadNetwork,
    mode: &ModeNetwork,
    lon_lat: [f64; 2],
    heading_deg: Option<f64>,
    max_snap_m: f64,
) -> Option<OnRoad> {
    let on_road = |s: &crate::network::Snapped, forward| OnRoad {
        edge: s.edge,
        fraction: s.fraction,
        position: s.position,
        dist_m: s.dist_m,
        forward,
    };
    let Some(heading) = heading_deg else {
        return mode
            .index
            .snap(lon_lat, max_snap_m)
            .ok()
            .map(|s| on_road(&s, None));
    };
    let mut best: Option<(f64, OnRoad)> = None;
    for s in mode.index.candidates(lon_lat, max_snap_m, 8) {
        let geometry = network.geometry(s.edge as usize);
        let i = (s.segment as usize).min(geometry.len().saturating_sub(2));
        let bearing = bearing_deg(geometry[i], geometry[i + 1]);
        for forward in [true, false] {
            if !mode.graph.allows(s.edge, forward) {
                continue;
            }
            let along = if forward { bearing } else { bearing + 180.0 };
            let score = s.dist_m + METRES_PER_DEGREE * angle_between(heading, along);
            if best.as_ref().is_none_or(|(b, _)| score < *b) {
                best = Some((score, on_road(&s, Some(forward))));
            }
        }
    }
    best.map(|(_, r)| r)
}

/// The bearing from `a` to `b`, degrees clockwise from north (on the local plane).
fn bearing_deg(a: [f64; 2], b: [f64; 2]) -> f64 {
    let dx = (b[0] - a[0]) * ((a[1] + b[1]) / 2.0).to_radians().cos();
    let dy = b[1] - a[1];
    dx.atan2(dy).to_degrees()
}

/// The angle between two bearings, 0..=180 degrees.
fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_wrap() {
        assert_eq!(angle_between(350.0, 10.0), 20.0);
        assert_eq!(angle_between(-90.0, 90.0), 180.0);
        assert!((bearing_deg([0.0, 0.0], [0.0, 1.0])).abs() < 1e-9);
        assert!((bearing_deg([0.0, 0.0], [1.0, 0.0]) - 90.0).abs() < 1e-9);
    }
}
