//! Snapping points to the nearest road of a profile, with an R-tree over road segments.
//!
//! The geometry is `spec/coverage.md` §2: positions are projected with
//! `x = lon·cos(φ0)`, `y = lat`, φ0 the middle latitude of the roads, and a point snaps to the
//! nearest point of the nearest segment; ties go to the lowest edge, then the lowest segment.

use rayon::prelude::*;
use rstar::{PointDistance, RTree, RTreeObject, AABB};

use super::geodesy::{haversine_m, is_valid_lon_lat};
use super::{ProfileGraph, RoadNetwork};

/// A point placed on a road edge.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Snapped {
    /// The road edge.
    pub edge: u32,
    /// The segment of the edge's geometry (0 = first).
    pub segment: u32,
    /// Position along that segment, 0..1.
    pub t: f64,
    /// Distance along the edge from its first position, in metres.
    pub offset_m: f64,
    /// `offset_m / length_m` of the edge (0 for a zero-length edge).
    pub fraction: f64,
    /// The snapped position, `[lon, lat]`.
    pub position: [f64; 2],
    /// Haversine distance from the query point to the snapped position.
    pub dist_m: f64,
}

/// Why a point was not snapped.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SnapRefusal {
    /// The nearest road is farther than allowed.
    #[error("nearest road is {dist_m:.0} m away, more than the {max_m:.0} m allowed")]
    TooFar {
        /// Distance to the nearest road.
        dist_m: f64,
        /// The limit.
        max_m: f64,
    },
    /// The position is not a valid longitude/latitude.
    #[error("invalid position [{0}, {1}]")]
    BadPosition(f64, f64),
    /// The profile has no road to snap to.
    #[error("no road of this travel mode to snap to")]
    NoRoads,
}

impl SnapRefusal {
    /// A stable name of what went wrong, for the map's own words.
    ///
    /// ```
    /// use patrolmap_core::network::SnapRefusal;
    /// assert_eq!(SnapRefusal::NoRoads.code(), "no_roads");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            SnapRefusal::TooFar { .. } => "far_from_roads",
            SnapRefusal::BadPosition(..) => "bad_position",
            SnapRefusal::NoRoads => "no_roads",
        }
    }
}

/// One road segment in projected coordinates. Kept to 40 bytes: the bulk load moves every
/// element many times, and halving the element halved its time on Porto.
#[derive(Clone, Copy, Debug)]
struct Segment {
    a: [f64; 2],
    b: [f64; 2],
    /// Index of the segment's first position in [`SnapIndex::points`].
    first_point: u32,
    edge: u32,
}

impl Segment {
    /// Clamped projection parameter and squared distance, exactly the spec's formula.
    #[inline]
    fn project(&self, p: [f64; 2]) -> (f64, f64) {
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 == 0.0 {
            0.0
        } else {
            (((p[0] - self.a[0]) * dx + (p[1] - self.a[1]) * dy) / len2).clamp(0.0, 1.0)
        };
        let (qx, qy) = (self.a[0] + t * dx - p[0], self.a[1] + t * dy - p[1]);
        (t, qx * qx + qy * qy)
    }
}

impl RTreeObject for Segment {
    type Envelope = AABB<[f64; 2]>;
    // Inline across codegen units: rstar's bulk load calls this in its innermost loops, and
    // without the hint it was 4x slower on Porto.
    #[inline]
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a, self.b)
    }
}

impl PointDistance for Segment {
    #[inline]
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        self.project(*p).1
    }
}

/// An R-tree over the segments of the edges a profile may use.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, SnapIndex, TravelMode};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
///   "geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}}]}"#, "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let index = SnapIndex::build(&net, &graph);
/// let s = index.snap([0.00025, 0.0001], 50.0).unwrap();
/// assert!((s.fraction - 0.25).abs() < 1e-12);
/// assert!(index.snap([0.00025, 0.01], 50.0).is_err());
/// ```
pub struct SnapIndex {
    tree: RTree<Segment>,
    cos_phi0: f64,
    /// The `[lon, lat]` positions of the usable edges' geometries, edge after edge.
    points: Vec<[f64; 2]>,
    /// Per position: the length of the edge before it, in metres.
    before_m: Vec<f64>,
    /// Per road edge: the index of its first position in `points` (unusable edges: unused).
    edge_first_point: Vec<u32>,
    /// Per road edge: its length in metres.
    edge_length_m: Vec<f64>,
}

impl SnapIndex {
    /// Builds the index over the edges `graph` may use.
    pub fn build(network: &RoadNetwork, graph: &ProfileGraph) -> SnapIndex {
        let usable = || (0..network.edges.len()).filter(|&e| graph.is_usable(e));
        let (mut min_lat, mut max_lat) = (f64::INFINITY, f64::NEG_INFINITY);
        for e in usable() {
            for p in network.geometry(e) {
                min_lat = min_lat.min(p[1]);
                max_lat = max_lat.max(p[1]);
            }
        }
        let cos_phi0 = ((min_lat + max_lat) / 2.0).to_radians().cos();
        let cos_phi0 = if cos_phi0.is_finite() { cos_phi0 } else { 1.0 };
        let mut segments = Vec::new();
        let mut points = Vec::new();
        let mut before_m = Vec::new();
        let mut edge_first_point = vec![u32::MAX; network.edges.len()];
        for e in usable() {
            let geometry = network.geometry(e);
            let first = points.len() as u32;
            edge_first_point[e] = first;
            let mut along = 0.0;
            for (i, w) in geometry.windows(2).enumerate() {
                before_m.push(along);
                along += haversine_m(w[0], w[1]);
                segments.push(Segment {
                    a: [w[0][0] * cos_phi0, w[0][1]],
                    b: [w[1][0] * cos_phi0, w[1][1]],
                    first_point: first + i as u32,
                    edge: e as u32,
                });
            }
            before_m.push(along);
            points.extend_from_slice(geometry);
        }
        let tree = RTree::bulk_load(segments);
        SnapIndex {
            tree,
            cos_phi0,
            points,
            before_m,
            edge_first_point,
            edge_length_m: network.edges.iter().map(|e| e.length_m).collect(),
        }
    }

    /// Number of segments in the index.
    pub fn segment_count(&self) -> usize {
        self.tree.size()
    }

    /// Snaps `[lon, lat]` to the nearest usable road, refusing it farther than `max_dist_m`.
    pub fn snap(&self, lon_lat: [f64; 2], max_dist_m: f64) -> Result<Snapped, SnapRefusal> {
        if !is_valid_lon_lat(lon_lat) {
            return Err(SnapRefusal::BadPosition(lon_lat[0], lon_lat[1]));
        }
        let p = [lon_lat[0] * self.cos_phi0, lon_lat[1]];
        // Nearest first; exact ties (a point opposite a shared vertex, overlapping roads) go to
        // the lowest edge, then the lowest segment, as the spec says.
        let mut best: Option<(&Segment, f64)> = None;
        for (seg, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&p) {
            match best {
                None => best = Some((seg, d2)),
                Some((_, best_d2)) if d2 > best_d2 => break,
                Some((b, _)) if (seg.edge, seg.first_point) < (b.edge, b.first_point) => {
                    best = Some((seg, d2))
                }
                Some(_) => {}
            }
        }
        let (seg, _) = best.ok_or(SnapRefusal::NoRoads)?;
        let snapped = self.snapped_on(seg, p, lon_lat);
        if snapped.dist_m > max_dist_m {
            return Err(SnapRefusal::TooFar {
                dist_m: snapped.dist_m,
                max_m: max_dist_m,
            });
        }
        Ok(snapped)
    }

    /// The point of `seg` nearest `p` (scaled) as a [`Snapped`] for the query `lon_lat`.
    fn snapped_on(&self, seg: &Segment, p: [f64; 2], lon_lat: [f64; 2]) -> Snapped {
        let (t, _) = seg.project(p);
        let i = seg.first_point as usize;
        let (a, b) = (self.points[i], self.points[i + 1]);
        let position = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
        let offset_m = self.before_m[i] + t * haversine_m(a, b);
        let length_m = self.edge_length_m[seg.edge as usize];
        Snapped {
            edge: seg.edge,
            segment: seg.first_point - self.edge_first_point[seg.edge as usize],
            t,
            offset_m,
            fraction: if length_m == 0.0 {
                0.0
            } else {
                offset_m / length_m
            },
            position,
            dist_m: haversine_m(lon_lat, position),
        }
    }

    /// Every usable edge within `max_dist_m` of `[lon, lat]`, each at its nearest point,
    /// nearest first, at most `max_count` of them: the candidates of map matching.
    ///
    /// ```
    /// # use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, SnapIndex, TravelMode};
    /// let net = read_str(r#"{"type":"FeatureCollection","features":[
    ///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}},
    ///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0.0003],[0.001,0.0003]]}}]}"#,
    ///   "r.geojson".as_ref()).unwrap();
    /// let index = SnapIndex::build(&net, &ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car)));
    /// let near = index.candidates([0.0005, 0.0001], 50.0, 5);
    /// assert_eq!(near.iter().map(|s| s.edge).collect::<Vec<_>>(), vec![0, 1]);
    /// assert_eq!(index.candidates([0.0005, 0.0001], 15.0, 5).len(), 1);
    /// ```
    pub fn candidates(&self, lon_lat: [f64; 2], max_dist_m: f64, max_count: usize) -> Vec<Snapped> {
        let mut out: Vec<Snapped> = Vec::new();
        if !is_valid_lon_lat(lon_lat) || max_count == 0 {
            return out;
        }
        let p = [lon_lat[0] * self.cos_phi0, lon_lat[1]];
        // The scaled plane is within a fraction of a percent of metres / 111 km at city
        // scale: stop a little past the limit, then check exactly.
        let limit_deg = max_dist_m * 1.05 / 111_195.0;
        for (seg, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&p) {
            if d2.sqrt() > limit_deg {
                break;
            }
            if out.iter().any(|s| s.edge == seg.edge) {
                continue; // an edge's nearest segment comes first
            }
            let snapped = self.snapped_on(seg, p, lon_lat);
            if snapped.dist_m <= max_dist_m {
                out.push(snapped);
                if out.len() == max_count {
                    break;
                }
            }
        }
        out
    }

    /// Snaps many points at once, in parallel; results are in the order of `points`.
    ///
    /// ```
    /// # use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, SnapIndex, TravelMode};
    /// # let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
    /// #   "geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}}]}"#, "r.geojson".as_ref()).unwrap();
    /// # let index = SnapIndex::build(&net, &ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car)));
    /// let all = index.snap_all(&[[0.0005, 0.0], [5.0, 5.0]], 100.0);
    /// assert!(all[0].is_ok() && all[1].is_err());
    /// ```
    pub fn snap_all(
        &self,
        points: &[[f64; 2]],
        max_dist_m: f64,
    ) -> Vec<Result<Snapped, SnapRefusal>> {
        points
            .par_iter()
            .with_min_len(256)
            .map(|&p| self.snap(p, max_dist_m))
            .collect()
    }
}
