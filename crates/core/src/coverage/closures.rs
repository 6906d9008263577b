//! Which road edges a scenario's closures close.
//!
//! A closure polygon (an event perimeter) closes every edge that enters it; a closure line
//! (works on a street) closes the edges whose middle lies within [`LINE_TOLERANCE_M`] of it.
//!
//! A polygon's sides go into an R-tree, so testing an edge costs about its own length in
//! segments times the logarithm of the polygon's size: a 300,000-vertex perimeter drawn by a
//! careless tool costs what a square does, per edge.

use geo::{BoundingRect, Coord, Distance, Euclidean, Intersects, Line, LineString, Point, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::network::geodesy::point_along;
use crate::network::RoadNetwork;
use crate::scenario::Closure;

/// How near a closure line an edge's middle must be to be closed, in metres.
pub const LINE_TOLERANCE_M: f64 = 10.0;

/// A closure in metres, with its bounding box widened by the line tolerance.
struct Shape {
    is_polygon: bool,
    /// A polygon's sides (index in `line`), by their boxes.
    sides: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    line: LineString<f64>,
    rect: Rect<f64>,
}

/// The sides of the ring `line` (the last joined to the first), by their boxes.
fn sides_of(line: &LineString<f64>) -> RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> {
    let n = line.0.len();
    RTree::bulk_load(
        (0..n)
            .map(|i| {
                let (a, b) = (line.0[i], line.0[(i + 1) % n]);
                GeomWithData::new(
                    Rectangle::from_corners(
                        [a.x.min(b.x), a.y.min(b.y)],
                        [a.x.max(b.x), a.y.max(b.y)],
                    ),
                    i,
                )
            })
            .collect(),
    )
}

impl Shape {
    fn side(&self, i: usize) -> Line<f64> {
        Line::new(self.line.0[i], self.line.0[(i + 1) % self.line.0.len()])
    }

    /// Whether the polyline `edge` enters the polygon: it crosses a side, or it starts inside
    /// (an even-odd ray to the east crosses an odd number of sides).
    fn polygon_meets(&self, edge: &[Coord<f64>]) -> bool {
        for pair in edge.windows(2) {
            let segment = Line::new(pair[0], pair[1]);
            let envelope = AABB::from_corners(
                [pair[0].x.min(pair[1].x), pair[0].y.min(pair[1].y)],
                [pair[0].x.max(pair[1].x), pair[0].y.max(pair[1].y)],
            );
            if self
                .sides
                .locate_in_envelope_intersecting(&envelope)
                .any(|s| self.side(s.data).intersects(&segment))
            {
                return true;
            }
        }
        let Some(&p) = edge.first() else {
            return false;
        };
        let ray = AABB::from_corners([p.x, p.y], [self.rect.max().x, p.y]);
        let crossings = self
            .sides
            .locate_in_envelope_intersecting(&ray)
            .filter(|s| {
                let side = self.side(s.data);
                let (a, b) = (side.start, side.end);
                // Half-open in y, so a vertex on the ray counts once.
                (a.y > p.y) != (b.y > p.y) && {
                    let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                    x > p.x
                }
            })
            .count();
        crossings % 2 == 1
    }
}

/// `closed[e]`: whether edge `e` is closed by any of `closures`.
///
/// ```
/// use patrolmap_core::coverage::closures::closed_edges;
/// use patrolmap_core::network::road_geojson::read_str;
/// use patrolmap_core::scenario::Closure;
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
            let sides = if c.polygon {
                sides_of(&line)
            } else {
                RTree::new()
            };
            Some(Shape {
                is_polygon: c.polygon,
                sides,
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
        let edge_line: Vec<Coord<f64>> = geometry.iter().map(|&p| to_xy(p)).collect();
        let middle = Point::from(to_xy(point_along(geometry, 0.5)));
        *flag = near.any(|s| {
            if s.is_polygon {
                s.polygon_meets(&edge_line)
            } else {
                Euclidean.distance(&middle, &s.line) <= LINE_TOLERANCE_M
            }
        });
    }
    closed
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Polygon;
    use proptest::prelude::*;

    fn shape_of(ring: &[[f64; 2]]) -> Shape {
        let line: LineString<f64> = ring.iter().map(|&[x, y]| Coord { x, y }).collect();
        let sides = sides_of(&line);
        let rect = line.bounding_rect().unwrap();
        Shape {
            is_polygon: true,
            sides,
            line,
            rect,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, rng_seed: proptest::test_runner::RngSeed::Fixed(15), ..ProptestConfig::default() })]

        /// The indexed test agrees with geo's own `intersects` on random star-shaped polygons
        /// (many vertices, concave) and random polylines.
        #[test]
        fn the_indexed_polygon_test_agrees_with_geo(
            radii in proptest::collection::vec(20.0f64..100.0, 3..60),
            edge in proptest::collection::vec((-150.0f64..150.0, -150.0f64..150.0), 1..5),
        ) {
            let n = radii.len();
            let mut ring: Vec<[f64; 2]> = radii
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    [r * a.cos(), r * a.sin()]
                })
                .collect();
            ring.push(ring[0]);
            let shape = shape_of(&ring);
            let polygon = Polygon::new(shape.line.clone(), vec![]);
            let coords: Vec<Coord<f64>> = edge.iter().map(|&(x, y)| Coord { x, y }).collect();
            let expected = if coords.len() == 1 {
                Point::from(coords[0]).intersects(&polygon)
            } else {
                LineString::from(coords.clone()).intersects(&polygon)
            };
            prop_assert_eq!(shape.polygon_meets(&coords), expected);
        }
    }
}
