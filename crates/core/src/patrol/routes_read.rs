//! Routes read back into a plan: from a plan file's GeoJSON (as `patrolmap patrol plan -o`
//! writes it, or as a planner edited it in QGIS), and from the map's edit (each route's unit,
//! depot and road steps). Every index is checked against the roads, and what is wrong names
//! the route (or feature) and the field.

use serde_json::Value;

use super::edit::{route_line, steps_from_line};
use super::matching::{MatchError, MatchOptions};
use super::paths::{ends, Step};
use super::plan::PatrolUnit;
use crate::network::{ProfileGraph, RoadNetwork, SnapIndex};

/// The routes read: each unit (its id and depot) and the road it drives.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutesRead {
    /// The units, in the file's order.
    pub units: Vec<PatrolUnit>,
    /// Each unit's steps.
    pub routes: Vec<Vec<Step>>,
    /// Routes whose line no longer followed their `steps`, matched to the roads anew.
    pub rematched: usize,
}

/// Why a plan file cannot be read as routes.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// Not a GeoJSON FeatureCollection.
    #[error("not a GeoJSON FeatureCollection")]
    NotFeatureCollection,
    /// It has no route.
    #[error("no routes")]
    Empty,
    /// A feature's geometry is not a LineString of positions.
    #[error("feature {feature}: the geometry must be a LineString of [lon, lat]")]
    NotLine {
        /// The feature's index.
        feature: usize,
    },
    /// A route drawn off the roads.
    #[error("feature {feature}: the route cannot be matched to the roads")]
    Unmatched {
        /// The feature's index.
        feature: usize,
        /// Why.
        #[source]
        source: MatchError,
    },
    /// A route with no road at all.
    #[error("feature {feature}: the route drives no road")]
    NoRoad {
        /// The feature's index.
        feature: usize,
    },
}

/// The routes of a plan file's FeatureCollection `plan`: each LineString's `unit` (else
/// `route-I`), its `depot` (else where its road starts) and its `steps` when the line still
/// follows them, else the line matched to the roads of `graph` anew.
pub fn routes_from_geojson(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    index: &SnapIndex,
    plan: &Value,
) -> Result<RoutesRead, PlanFileError> {
    let features = plan["features"]
        .as_array()
        .ok_or(PlanFileError::NotFeatureCollection)?;
    let mut read = RoutesRead {
        units: Vec::new(),
        routes: Vec::new(),
        rematched: 0,
    };
    let edges = network.edges.len() as u64;
    for (feature, f) in features.iter().enumerate() {
        let line: Vec<[f64; 2]> = serde_json::from_value(f["geometry"]["coordinates"].clone())
            .ok()
            .filter(|_| f["geometry"]["type"] == "LineString")
            .ok_or(PlanFileError::NotLine { feature })?;
        let id = f["properties"]["unit"]
            .as_str()
            .map_or_else(|| format!("route-{feature}"), str::to_string);
        let steps: Option<Vec<Step>> = f["properties"]["steps"].as_array().and_then(|list| {
            list.iter()
                .map(|s| {
                    let e = s.get(0)?.as_u64().filter(|&e| e < edges)?;
                    let forward = s.get(1)?.as_u64().filter(|&d| d <= 1)?;
                    Some((e as u32, forward == 1))
                })
                .collect()
        });
        // Consecutive repeats (a unit standing at a checkpoint) are not road.
        let mut drawn = line.clone();
        drawn.dedup();
        let same = |steps: &Vec<Step>| {
            let road = route_line(network, steps);
            road.len() == drawn.len()
                && road
                    .iter()
                    .zip(&drawn)
                    .all(|(a, b)| (a[0] - b[0]).abs() < 1e-7 && (a[1] - b[1]).abs() < 1e-7)
        };
        let steps = match steps.filter(same) {
            Some(s) => s,
            None => {
                read.rematched += 1;
                steps_from_line(network, graph, index, &line, &MatchOptions::default())
                    .map_err(|source| PlanFileError::Unmatched { feature, source })?
            }
        };
        let depot = f["properties"]["depot"]
            .as_u64()
            .filter(|&d| d < network.nodes.len() as u64)
            .map(|d| d as u32)
            .or_else(|| steps.first().map(|&s| ends(network, s).0))
            .ok_or(PlanFileError::NoRoad { feature })?;
        read.units.push(PatrolUnit { id, depot });
        read.routes.push(steps);
    }
    if read.routes.is_empty() {
        return Err(PlanFileError::Empty);
    }
    Ok(read)
}

/// A field of the map's edited routes that is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RouteFieldError {
    /// The field, as `routes[2].depot`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// The map's edited `routes` (`[{unit, depot, steps: [[edge, 1 forward | 0 backward], …]}]`,
/// 1 to 100 of them, as `/api/patrol/plan` gave them), every index checked against
/// `network`.
///
/// ```
/// use patrolmap_core::patrol::routes_read::routes_from_steps;
/// let roads = patrolmap_core::network::RoadNetwork::default();
/// let wrong = routes_from_steps(&roads, &serde_json::json!([{"unit": "car-1", "depot": 5, "steps": []}]));
/// assert_eq!(wrong.unwrap_err().field, "routes[0].depot");
/// ```
pub fn routes_from_steps(
    network: &RoadNetwork,
    list: &Value,
) -> Result<(Vec<PatrolUnit>, Vec<Vec<Step>>), RouteFieldError> {
    let wrong = |field: String, reason: String| RouteFieldError { field, reason };
    let list = list
        .as_array()
        .filter(|l| !l.is_empty() && l.len() <= 100)
        .ok_or_else(|| {
            wrong(
                "routes".into(),
                "routes must be a list of 1 to 100 routes".into(),
            )
        })?;
    let (nodes, edges) = (network.nodes.len() as u64, network.edges.len() as u64);
    let mut units = Vec::with_capacity(list.len());
    let mut routes = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let field = |name: &str| format!("routes[{i}].{name}");
        let id = r
            .get("unit")
            .and_then(Value::as_str)
            .ok_or_else(|| wrong(field("unit"), "a unit id (text) is required".into()))?;
        let depot = r
            .get("depot")
            .and_then(Value::as_u64)
            .filter(|&d| d < nodes)
            .ok_or_else(|| {
                wrong(
                    field("depot"),
                    format!("a node index below {nodes} is required"),
                )
            })?;
        let steps = r
            .get("steps")
            .and_then(Value::as_array)
            .filter(|s| s.len() <= 1_000_000)
            .ok_or_else(|| {
                wrong(
                    field("steps"),
                    "a list of [edge, 1 or 0] is required".into(),
                )
            })?
            .iter()
            .map(|s| {
                let pair = s.as_array().filter(|p| p.len() == 2);
                let edge = pair.and_then(|p| p[0].as_u64()).filter(|&e| e < edges);
                let forward = pair.and_then(|p| p[1].as_u64()).filter(|&f| f <= 1);
                match (edge, forward) {
                    (Some(e), Some(f)) => Ok((e as u32, f == 1)),
                    _ => Err(wrong(
                        field("steps"),
                        format!("each step is [edge below {edges}, 1 or 0], got {s}"),
                    )),
                }
            })
            .collect::<Result<Vec<Step>, RouteFieldError>>()?;
        units.push(PatrolUnit {
            id: id.to_string(),
            depot: depot as u32,
        });
        routes.push(steps);
    }
    Ok((units, routes))
}
