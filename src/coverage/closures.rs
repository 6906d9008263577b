//! Which road edges a scenario's closures close.
//!
//! A closure polygon (an event perimeter) closes every edge that enters it; a closure line
//! (works on a street) closes the edges whose middle lies within [`LINE_TOLERANCE_M`] of it.

use geo::{BoundingRect, Coord, Distance, Euclidean, Intersects, LineString, Point, Polygon, Rect};

use crate::network::geodesy::point_along;
use crate::network::RoadNetwork;
use crate::scenario::Closure;

/// How near a closure line an edge's middle must be to be closed, in metres.
pub const LINE_TOLERANCE_M: f64 = 10.0;

/// A closure in metres, with its bounding box widened by the line tolerance.
struct Shape {
    is_polygon: bool,
    polygon: Polygon<f64>,
    line: LineString<f64>,
    rect: Rect<f64>,
}

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
    // Each shape with its bounding box widened by the tolerance: most edges are far from
    // every closure and are dismissed by two comparisons (a long closure line has hundreds of
    // segments, and a city 100k edges).
    let shapes: Vec<Shape> = closures
        .iter()
        .filter_map(|c| {
            let line: LineString<f64> = c.ring.iter().map(|&p| to_xy(p)).collect();
            let rect = line.bounding_rect()?;
            let pad = Coord {
                x: LINE_TOLERANCE_M,
                y: LINE_TOLERANCE_M,
            };
            let rect = Rect::new(rect.min() - pad, rect.max() + pad);
            Some(Shape {
                is_polygon: c.polygon,
                polygon: Polygon::new(line.clone(), vec![]),
                line,
                rect,
            })
        })
        .collect();
    for (e, flag) in closed.iter_mut().enumerate() {
        let geometry = network.geometry(e);
        let Some(&first) = geometry.first() else {
            continue;
        };
        let (mut lo, mut hi) = (to_xy(first), to_xy(first));
        for &p in geometry {
            let c = to_xy(p);
            (lo.x, lo.y, hi.x, hi.y) = (lo.x.min(c.x), lo.y.min(c.y), hi.x.max(c.x), hi.y.max(c.y));
        }
        let edge_rect = Rect::new(lo, hi);
        let mut near = shapes
            .iter()
            .filter(|s| s.rect.intersects(&edge_rect))
            .peekable();
        if near.peek().is_none() {
            continue;
        }
        let edge_line: LineString<f64> = geometry.iter().map(|&p| to_xy(p)).collect();
        let middle = Point::from(to_xy(point_along(geometry, 0.5)));
        *flag = near.any(|s| {
            if s.is_polygon {
                edge_line.intersects(&s.polygon)
            } else {
                Euclidean.distance(&middle, &s.line) <= LINE_TOLERANCE_M
            }
        });
    }
    closed
}
