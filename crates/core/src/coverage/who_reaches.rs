//! Who reaches a point, and how soon: the units ranked by their exact arrival time at the
//! nearest car road point (a duty officer's click on the map), and the tiers of the standard
//! met there. One typed report ([`WhoReaches`]), the body of `/api/isochrone`.

use super::assess::{tiers_met_at, Assessment, Options, Roads};
use super::{reach, search_with};
use crate::network::{ProfileGraph, SnapRefusal};
use crate::scenario::{Scenario, UnitKind};

/// Who reaches a point.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct WhoReaches {
    /// The revision asked about (0: the loaded scenario).
    pub rev: u64,
    /// The point asked about, `[lon, lat]`.
    pub query: [f64; 2],
    /// The nearest car road point, `[lon, lat]`.
    pub position: [f64; 2],
    /// Its distance from the query, in metres.
    pub dist_m: f64,
    /// The road it is on.
    pub road: RoadAt,
    /// When the first unit arrives, in seconds (none when no unit arrives within twice the
    /// largest budget).
    pub nearest_s: Option<f64>,
    /// The units arriving, first first.
    pub units: Vec<RankedUnit>,
    /// For each tier of the standard, whether it is met there.
    pub tiers_met: Vec<bool>,
}

/// A road edge, as a person knows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RoadAt {
    /// Its index.
    pub edge: u32,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Its class (`primary`, `residential`…).
    pub class: String,
}

/// A unit and when it arrives.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RankedUnit {
    /// 1 for the first to arrive.
    pub rank: usize,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its class.
    pub class: Option<String>,
    /// Its travel mode (`car`, `ebike`, `foot`).
    pub mode: &'static str,
    /// `unit` or `post`.
    pub kind: &'static str,
    /// Its arrival time, in seconds (turnout included).
    pub time_s: f64,
    /// The smallest budget it arrives within, if any.
    pub within_s: Option<f64>,
}

/// Who reaches `lon_lat` on `roads` in `assessment` of `scenario` (measured with `options`):
/// at most `limit` units, ranked by exact arrival time, searched up to twice the largest
/// budget so that a gap still shows who is closest; refused when no car road is within the
/// options' snap distance.
pub fn who_reaches(
    roads: Roads,
    assessment: &Assessment,
    scenario: &Scenario,
    options: &Options,
    lon_lat: [f64; 2],
    limit: usize,
    rev: u64,
) -> Result<WhoReaches, SnapRefusal> {
    let modes = roads.modes;
    let snapped = modes[0].index.snap(lon_lat, options.max_snap_m)?;
    let graphs: Vec<&ProfileGraph> = modes.iter().map(|m| m.graph).collect();
    let budgets = options.piece_budgets();
    let cutoff_s = 2.0 * budgets.last().copied().unwrap_or(300.0);
    let a = assessment;
    let labels = search_with(
        roads.engine,
        roads.network,
        &graphs,
        &a.placements,
        limit,
        cutoff_s,
    );
    let arrivals = reach::arrivals_at(
        roads.network,
        &reach::mode_reach(&graphs, &labels),
        &a.placements,
        snapped.edge,
        snapped.fraction,
        limit,
    );
    let units = arrivals
        .iter()
        .enumerate()
        .map(|(rank, &(u, t))| {
            let unit = &scenario.units[u as usize];
            RankedUnit {
                rank: rank + 1,
                id: unit.id.clone(),
                name: unit.name.clone(),
                class: unit.class.clone(),
                mode: unit.mode.as_str(),
                kind: if unit.kind == UnitKind::Post {
                    "post"
                } else {
                    "unit"
                },
                time_s: t,
                within_s: budgets.iter().copied().find(|&b| t <= b),
            }
        })
        .collect();
    let tiers_met = tiers_met_at(
        roads.network,
        &graphs,
        &options.standard,
        &a.tiers,
        snapped.edge,
        snapped.fraction,
    );
    let network = roads.network;
    let edge = snapped.edge as usize;
    Ok(WhoReaches {
        rev,
        query: lon_lat,
        position: snapped.position,
        dist_m: snapped.dist_m,
        road: RoadAt {
            edge: snapped.edge,
            name: network.name(edge).map(str::to_string),
            class: network.class_name(network.edges[edge].class).to_string(),
        },
        nearest_s: arrivals.first().map(|a| a.1),
        units,
        tiers_met,
    })
}
