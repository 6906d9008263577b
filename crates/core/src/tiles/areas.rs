//! The tier areas of one revision as vector tiles: each tier's polygons cut per tile on the
//! server, so the map draws a few small pieces per view instead of triangulating a whole
//! city's polygons with their holes (Porto's 244,000 vertices took 10 s to draw as GeoJSON).

use rstar::RTree;

use super::clip::{clip_ring, extent_of, project, quantize, simplify, UNITS_PER_PX};
use super::mvt::{self, Layer, PropertyValue};
use super::{bbox, boxed, tile_query, Boxed, TileId, BUFFER};
use crate::coverage::polygons::TierPolygon;

/// The tier areas of a revision, indexed for tiles.
///
/// ```
/// use patrolmap_core::coverage::overlay::RoadPiece;
/// use patrolmap_core::coverage::polygons::{tier_polygons, PolygonOptions};
/// use patrolmap_core::network::road_geojson::read_str;
/// use patrolmap_core::tiles::{areas::AreaTiles, TileId};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
///   "geometry":{"type":"LineString","coordinates":[[0,0],[0.01,0]]}}]}"#, "r.geojson".as_ref()).unwrap();
/// let piece = RoadPiece { edge: 0, from: 0.0, to: 1.0, tier: 0, min_time_s: 0.0, max_time_s: 0.0 };
/// let areas = AreaTiles::new(tier_polygons(&net, &[piece], 1, PolygonOptions::default()));
/// assert!(!areas.tile(TileId::containing(14, [0.005, 0.0]).unwrap()).is_empty());
/// assert!(areas.tile(TileId::containing(14, [1.0, 1.0]).unwrap()).is_empty());
/// ```
pub struct AreaTiles {
    tiers: Vec<TierPolygon>,
    /// Each polygon by `(tier, polygon)`.
    tree: RTree<Boxed<(u32, u32)>>,
    /// Per tier, per polygon, each hole's `[west, south, east, north]`: a hole away from the
    /// tile is passed over without projecting it (a city-wide tier has thousands).
    hole_boxes: Vec<Vec<Vec<[f64; 4]>>>,
}

impl AreaTiles {
    /// Indexes every polygon of `tiers`.
    pub fn new(tiers: Vec<TierPolygon>) -> AreaTiles {
        let corners = |l: &geo::LineString<f64>| l.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>();
        let mut boxes = Vec::new();
        for (t, tier) in tiers.iter().enumerate() {
            for (i, polygon) in tier.area.0.iter().enumerate() {
                boxes.extend(boxed(corners(polygon.exterior()), (t as u32, i as u32)));
            }
        }
        let hole_boxes = tiers
            .iter()
            .map(|t| {
                t.area
                    .0
                    .iter()
                    .map(|p| {
                        p.interiors()
                            .iter()
                            .map(|h| bbox(h.0.iter().map(|c| [c.x, c.y])).unwrap_or_default())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        AreaTiles {
            tiers,
            tree: RTree::bulk_load(boxes),
            hole_boxes,
        }
    }

    /// The tier areas indexed.
    pub fn tiers(&self) -> &[TierPolygon] {
        &self.tiers
    }

    /// The tile `id`: an `areas` layer with one feature per tier present (property `tier`),
    /// the widest tier first so that nearer tiers are drawn over it.
    pub fn tile(&self, id: TileId) -> Vec<u8> {
        let b = id.bounds(BUFFER);
        let mut found: Vec<(u32, u32)> = self
            .tree
            .locate_in_envelope_intersecting(&tile_query(&id))
            .map(|a| a.data)
            .collect();
        // Widest tier first, then in the polygons' order.
        found.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let tolerance = if id.z >= 14 { 1.0 } else { 2.0 };
        let mut layer = Layer::new("areas", super::EXTENT);
        let mut at = 0;
        while at < found.len() {
            let tier = found[at].0;
            let mut polygons = Vec::new();
            while at < found.len() && found[at].0 == tier {
                let index = found[at].1 as usize;
                let polygon = &self.tiers[tier as usize].area.0[index];
                let holes = &self.hole_boxes[tier as usize][index];
                at += 1;
                let ring = |l: &geo::LineString<f64>| -> Vec<[f64; 2]> {
                    let points: Vec<[f64; 2]> = l.0.iter().map(|c| [c.x, c.y]).collect();
                    project(&id, &points)
                };
                let outer = ring(polygon.exterior());
                if extent_of(&outer) < UNITS_PER_PX {
                    continue;
                }
                let mut rings = vec![quantize(&simplify(clip_ring(&outer), tolerance))];
                if rings[0].len() < 3 {
                    continue;
                }
                for (hole, hb) in polygon.interiors().iter().zip(holes) {
                    // A hole wholly outside the tile is left out, unprojected.
                    if hb[2] < b[0] || hb[0] > b[2] || hb[3] < b[1] || hb[1] > b[3] {
                        continue;
                    }
                    let hole = ring(hole);
                    if extent_of(&hole) < UNITS_PER_PX {
                        continue;
                    }
                    rings.push(quantize(&simplify(clip_ring(&hole), tolerance)));
                }
                polygons.push(rings);
            }
            layer.add_polygons(
                None,
                &polygons,
                &[("tier", PropertyValue::Int(tier.into()))],
            );
        }
        mvt::encode_tile(&[layer])
    }
}
