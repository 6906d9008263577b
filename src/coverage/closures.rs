//! Which road edges a scenario's closures close.
//!
//! A closure polygon (an event perimeter) closes every edge that enters it; a closure line
//! (works on a street) closes the edges whose middle lies within [`LINE_TOLERANCE_M`] of it.

use geo::{Coord, Distance, Euclidean, Intersects, LineString, Point, Polygon};

use crate::network::geodesy::point_along;
use crate::network::RoadNetwork;
use crate::scenario::Closure;

/// How near a closure line an edge's middle must be to be closed, in metres.
pub const LINE_TOLERANCE_M: f64 = 10.0;

/// `closed[e]`: whether edge `e` is closed by any of `closures`.
///
/// ```
/// use patrolmap::coverage::closures::closed_edges;
/// use patrolmap::network::road_geojson::read_str;
/// use patrolmap::scenario::Closure;
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}},
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0.01],[0.001,0.01]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let square = Closure { id: "event".into(), polygon: true, feature: 0,
///     ring: vec![[-0.001, -0.001], [0.002, -0.001], [0.002, 0.001], [-0.001, 0.001], [-0.001, -0.001]] };
/// assert_eq!(closed_edges(&net, &[square]), vec![true, false]);
/// ```
pub fn closed_edges(network: &RoadNetwork, closures: &[Closure]) -> Vec<bool> {
    let mut closed = vec![false; network.edges.len()];
    if closures.is_empty() {
        return closed;
    }
    // Metres per degree at the network's middle latitude, for the line tolerance.
    let mid_lat = network.bbox().map_or(0.0, |b| (b[1] + b[3]) / 2.0);
    let (m_per_deg_lat, m_per_deg_lon) = (111_195.0, 111_195.0 * mid_lat.to_radians().cos());
    let to_xy = |p: [f64; 2]| Coord {
        x: p[0] * m_per_deg_lon,
        y: p[1] * m_per_deg_lat,
    };
    let shapes: Vec<(bool, Polygon<f64>, LineString<f64>)> = closures
        .iter()
        .map(|c| {
            let line: LineString<f64> = c.ring.iter().map(|&p| to_xy(p)).collect();
            (c.polygon, Polygon::new(line.clone(), vec![]), line)
        })
        .collect();
    for (e, flag) in closed.iter_mut().enumerate() {
        let geometry = network.geometry(e);
        let edge_line: LineString<f64> = geometry.iter().map(|&p| to_xy(p)).collect();
        let middle = Point::from(to_xy(point_along(geometry, 0.5)));
        *flag = shapes.iter().any(|(is_polygon, polygon, line)| {
            if *is_polygon {
                edge_line.intersects(polygon)
            } else {
                Euclidean.distance(&middle, line) <= LINE_TOLERANCE_M
            }
        });
    }
    closed
}
