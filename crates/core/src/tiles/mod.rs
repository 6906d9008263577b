//! Vector tiles of the road network coloured by response time, made from the graph itself so
//! the command map needs no basemap and no tile server.
//!
//! [`RoadTiles::prepare`] indexes every edge's bounding box once per city; [`RoadTiles::tile`]
//! then writes one Mapbox Vector Tile with a `roads` layer: each car road cut into pieces by
//! the nearest-unit arrival time ([`RoadPiece`]s), with its `tier` (index of the smallest
//! budget that reaches it, or the number of budgets when none does) and, from zoom
//! [`DETAIL_ZOOM`], its earliest arrival `t_s`. Below that zoom the pieces of a tier are
//! merged into one feature, which keeps a tile of a whole city small.

pub mod areas;
pub mod basemap;
mod clip;
pub mod mvt;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::coverage::overlay::RoadPiece;
use crate::network::{ProfileGraph, RoadNetwork};
use mvt::{Layer, PropertyValue};

/// Coordinates across a tile.
pub const EXTENT: u32 = 4096;
/// Margin drawn around a tile, in tile units, so lines join across tile edges.
const BUFFER: f64 = 64.0;
/// From this zoom every road piece is its own feature, with its arrival time.
pub const DETAIL_ZOOM: u8 = 14;
/// The deepest zoom served.
pub const MAX_ZOOM: u8 = 20;

/// A tile that does not exist.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// Deeper than the tiles go.
    #[error("zoom {z} is deeper than {MAX_ZOOM}")]
    TooDeep {
        /// The zoom asked for.
        z: u32,
    },
    /// Not a tile of its zoom.
    #[error("tile {x}/{y} is outside zoom {z} (0..{})", 1u64 << z)]
    Outside {
        /// The zoom.
        z: u32,
        /// The column.
        x: u32,
        /// The row.
        y: u32,
    },
}

/// A tile address in the XYZ scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom.
    pub z: u8,
    /// Column, from the west.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
}

impl TileId {
    /// The tile, or why it does not exist.
    ///
    /// ```
    /// use patrolmap_core::tiles::TileId;
    /// assert!(TileId::new(2, 3, 3).is_ok());
    /// assert!(TileId::new(2, 4, 0).is_err());
    /// ```
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, TileError> {
        if z > u32::from(MAX_ZOOM) {
            return Err(TileError::TooDeep { z });
        }
        let n = 1u32 << z;
        if x >= n || y >= n {
            return Err(TileError::Outside { z, x, y });
        }
        Ok(TileId { z: z as u8, x, y })
    }

    /// The tile of zoom `z` holding `[lon, lat]`.
    ///
    /// ```
    /// use patrolmap_core::tiles::TileId;
    /// let t = TileId::containing(12, [-8.61, 41.15]).unwrap();
    /// let [w, s, e, n] = t.bounds(0.0);
    /// assert!(w <= -8.61 && -8.61 <= e && s <= 41.15 && 41.15 <= n);
    /// ```
    pub fn containing(z: u32, p: [f64; 2]) -> Result<TileId, TileError> {
        let world = TileId::new(0, 0, 0)?.project(p);
        let n = f64::from(1u32 << z.min(u32::from(MAX_ZOOM)));
        let cell = |c: f64| ((c / f64::from(EXTENT) * n).floor().clamp(0.0, n - 1.0)) as u32;
        TileId::new(z, cell(world[0]), cell(world[1]))
    }

    /// Position of `[lon, lat]` in this tile's coordinates (0..[`EXTENT`] inside it).
    pub fn project(&self, p: [f64; 2]) -> [f64; 2] {
        let n = f64::from(1u32 << self.z);
        let lat = p[1].clamp(-85.051_128, 85.051_128).to_radians();
        let x = (p[0] + 180.0) / 360.0 * n;
        let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
        [
            (x - f64::from(self.x)) * f64::from(EXTENT),
            (y - f64::from(self.y)) * f64::from(EXTENT),
        ]
    }

    /// `[west, south, east, north]` in degrees, widened by `margin` tile units on each side.
    pub fn bounds(&self, margin: f64) -> [f64; 4] {
        let n = f64::from(1u32 << self.z);
        let e = f64::from(EXTENT);
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| {
            let m = std::f64::consts::PI * (1.0 - 2.0 * y / n);
            m.sinh().atan().to_degrees()
        };
        let (x0, x1) = (
            f64::from(self.x) - margin / e,
            f64::from(self.x) + 1.0 + margin / e,
        );
        let (y0, y1) = (
            f64::from(self.y) - margin / e,
            f64::from(self.y) + 1.0 + margin / e,
        );
        [lon(x0), lat(y1), lon(x1), lat(y0)]
    }
}

/// Something indexed for tiles by its bounding box (an edge, a basemap feature, a polygon).
pub(crate) type Boxed<T> = GeomWithData<Rectangle<[f64; 2]>, T>;

/// `[west, south, east, north]` of `points` (none when there are none).
pub(crate) fn bbox(points: impl IntoIterator<Item = [f64; 2]>) -> Option<[f64; 4]> {
    points.into_iter().fold(None, |b, p| {
        Some(match b {
            None => [p[0], p[1], p[0], p[1]],
            Some(b) => [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ],
        })
    })
}

/// `data` in the index by the bounding box of `points` (none when there are none).
pub(crate) fn boxed<T>(points: impl IntoIterator<Item = [f64; 2]>, data: T) -> Option<Boxed<T>> {
    let [w, s, e, n] = bbox(points)?;
    Some(GeomWithData::new(
        Rectangle::from_corners([w, s], [e, n]),
        data,
    ))
}

/// The envelope a tile's features are looked up in: the tile and its margin.
pub(crate) fn tile_query(id: &TileId) -> AABB<[f64; 2]> {
    let b = id.bounds(BUFFER);
    AABB::from_corners([b[0], b[1]], [b[2], b[3]])
}

/// What a road tile shows: the pieces of the current coverage and which edges are closed.
pub struct Coloring<'a> {
    /// The car graph coverage is measured on (closed edges unusable).
    pub measure: &'a ProfileGraph,
    /// Reached pieces, grouped by edge in edge order ([`group_pieces`]).
    pub pieces: &'a [RoadPiece],
    /// `piece_start[e]..piece_start[e + 1]`: the pieces of edge `e`.
    pub piece_start: &'a [u32],
    /// `closed[e]`, or empty when nothing is closed.
    pub closed: &'a [bool],
    /// How many budgets the pieces were cut at (the `tier` of unreached road).
    pub budget_count: usize,
}

/// Sorts `pieces` by edge and returns the start of each edge's run (length edges + 1).
pub fn group_pieces(pieces: &mut [RoadPiece], edge_count: usize) -> Vec<u32> {
    let order = |a: &RoadPiece, b: &RoadPiece| a.edge.cmp(&b.edge).then(a.from.total_cmp(&b.from));
    // road_pieces already gives them in order: then this is one pass.
    if !pieces.is_sorted_by(|a, b| order(a, b).is_le()) {
        pieces.sort_by(order);
    }
    let mut start = vec![0u32; edge_count + 1];
    for p in pieces.iter() {
        start[p.edge as usize + 1] += 1;
    }
    for e in 0..edge_count {
        start[e + 1] += start[e];
    }
    start
}

/// The edges of a city indexed for tiles.
pub struct RoadTiles {
    tree: RTree<Boxed<u32>>,
}

impl RoadTiles {
    /// Indexes every edge of `network`.
    pub fn prepare(network: &RoadNetwork) -> RoadTiles {
        let boxes = (0..network.edges.len())
            .filter_map(|e| boxed(network.geometry(e).iter().copied(), e as u32))
            .collect();
        RoadTiles {
            tree: RTree::bulk_load(boxes),
        }
    }

    /// The road tile `id` as Mapbox Vector Tile bytes (empty when no road crosses it).
    ///
    /// Properties: `tier` (see the module doc; closed roads and roads cars may not use
    /// carry none), `kind` (`car`, `other` for paths only foot or e-bike units use, `closed`),
    /// and from [`DETAIL_ZOOM`] `t_s` (earliest arrival on the piece, whole seconds) and the
    /// edge index as the feature id.
    pub fn tile(&self, network: &RoadNetwork, coloring: &Coloring, id: TileId) -> Vec<u8> {
        let mut edges: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&tile_query(&id))
            .map(|e| e.data)
            .collect();
        edges.sort_unstable();
        let detail = id.z >= DETAIL_ZOOM;
        let mut layer = Layer::new("roads", EXTENT);
        // Below DETAIL_ZOOM: one feature per (kind, tier) with all its lines.
        let groups = coloring.budget_count + 3;
        let mut merged: Vec<Vec<Vec<[i32; 2]>>> = vec![Vec::new(); if detail { 0 } else { groups }];
        let beyond = coloring.budget_count;
        for e in edges {
            let eu = e as usize;
            let geometry = network.geometry(eu);
            let closed = coloring.closed.get(eu).copied().unwrap_or(false);
            if closed || !coloring.measure.is_usable(eu) {
                let (kind, group) = if closed {
                    ("closed", beyond + 1)
                } else {
                    ("other", beyond + 2)
                };
                let line = quantize(&id, geometry);
                if detail {
                    let props = [("kind", PropertyValue::String(kind.into()))];
                    layer.add_lines(Some(u64::from(e)), &[line], &props);
                } else {
                    merged[group].push(line);
                }
                continue;
            }
            let pieces = &coloring.pieces
                [coloring.piece_start[eu] as usize..coloring.piece_start[eu + 1] as usize];
            let mut at = 0.0;
            let mut emit = |from: f64, to: f64, tier: usize, t_s: Option<f64>| {
                if to <= from {
                    return;
                }
                let part = crate::coverage::overlay::slice_polyline(geometry, from, to);
                let line = quantize(&id, &part);
                if detail {
                    let mut props = vec![
                        ("kind", PropertyValue::String("car".into())),
                        ("tier", PropertyValue::Int(tier as i64)),
                    ];
                    if let Some(t) = t_s {
                        props.push(("t_s", PropertyValue::Int(t.round() as i64)));
                    }
                    layer.add_lines(Some(u64::from(e)), &[line], &props);
                } else {
                    merged[tier].push(line);
                }
            };
            for p in pieces {
                emit(at, p.from, beyond, None);
                emit(p.from, p.to, p.tier, Some(p.min_time_s));
                at = p.to;
            }
            emit(at, 1.0, beyond, None);
        }
        for (group, lines) in merged.iter().enumerate() {
            let mut props = Vec::new();
            if group <= beyond {
                props.push(("kind", PropertyValue::String("car".into())));
                props.push(("tier", PropertyValue::Int(group as i64)));
            } else if group == beyond + 1 {
                props.push(("kind", PropertyValue::String("closed".into())));
            } else {
                props.push(("kind", PropertyValue::String("other".into())));
            }
            layer.add_lines(None, lines, &props);
        }
        mvt::encode_tile(&[layer])
    }
}

/// A polyline in tile coordinates, repeated points dropped.
fn quantize(id: &TileId, points: &[[f64; 2]]) -> Vec<[i32; 2]> {
    let mut line: Vec<[i32; 2]> = Vec::with_capacity(points.len());
    for &p in points {
        let [x, y] = id.project(p);
        let q = [x.round() as i32, y.round() as i32];
        if line.last() != Some(&q) {
            line.push(q);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_projects_into_its_own_tile() {
        // Porto, zoom 12: tile x = floor((lon + 180) / 360 · 4096).
        let p = [-8.61, 41.15];
        let z = 12u32;
        let n = f64::from(1u32 << z);
        let x = ((p[0] + 180.0) / 360.0 * n).floor() as u32;
        let lat = p[1].to_radians();
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n)
            .floor() as u32;
        let tile = TileId::new(z, x, y).unwrap();
        let [px, py] = tile.project(p);
        assert!((0.0..4096.0).contains(&px) && (0.0..4096.0).contains(&py));
        let b = tile.bounds(0.0);
        assert!(b[0] <= p[0] && p[0] <= b[2] && b[1] <= p[1] && p[1] <= b[3]);
        // The tile's corners project to 0 and EXTENT.
        let nw = tile.project([b[0], b[3]]);
        assert!(nw[0].abs() < 1e-6 && nw[1].abs() < 1e-6, "{nw:?}");
    }
}
