//! The basemap as vector tiles: water, green areas, land use, railways, buildings, place and
//! street names from the city's own OSM file ([`crate::network::map_features`]), in the
//! OpenMapTiles layer names, so the command map has context offline with nothing fetched.
//!
//! Each tile is cut from the features whose bounding box meets it: simplified at the tile's
//! resolution, clipped to the tile and its margin, features too small to see left out, and each
//! layer only from the zoom where it helps (buildings from 14, street names from 13).

use rstar::RTree;

use super::clip::{clip_line, clip_ring, extent_of, project, quantize, simplify, UNITS_PER_PX};
use super::mvt::{self, Layer, PropertyValue};
use super::{boxed, tile_query, Boxed, TileId, EXTENT};
use crate::network::map_features::{MapFeature, MapLayer, Shape};

/// The basemap features of a city, indexed for tiles.
///
/// ```
/// use patrolmap_core::network::map_features;
/// use patrolmap_core::tiles::{basemap::Basemap, TileId};
/// let features = map_features::read_pbf("../../data/campo-grande.osm.pbf".as_ref()).unwrap();
/// let basemap = Basemap::new(features);
/// // Campo Grande's centre at zoom 15.
/// let tile = basemap.tile(TileId::containing(15, [-54.5625, -20.464]).unwrap());
/// assert!(!tile.is_empty());
/// ```
pub struct Basemap {
    features: Vec<MapFeature>,
    tree: RTree<Boxed<u32>>,
}

impl Basemap {
    /// Indexes `features`.
    pub fn new(features: Vec<MapFeature>) -> Basemap {
        let boxes = features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| boxed(points(&f.shape), i as u32))
            .collect();
        Basemap {
            features,
            tree: RTree::bulk_load(boxes),
        }
    }

    /// How many features each layer holds (layers with none left out).
    pub fn counts(&self) -> Vec<(MapLayer, usize)> {
        MapLayer::ALL
            .iter()
            .map(|&l| (l, self.features.iter().filter(|f| f.layer == l).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The basemap tile `id` as Mapbox Vector Tile bytes (empty when nothing is in it).
    ///
    /// Every feature carries `class` and, where the file has them, `name`, `name:zh` and
    /// `name:en`.
    pub fn tile(&self, id: TileId) -> Vec<u8> {
        mvt::encode_tile(&self.tile_layers(id))
    }

    /// The layers of tile `id` before encoding, one per [`MapLayer`] in its order (some may be
    /// empty): what [`Basemap::tile`] writes.
    pub fn tile_layers(&self, id: TileId) -> Vec<Layer> {
        let mut found: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&tile_query(&id))
            .map(|f| f.data)
            .collect();
        found.sort_unstable();
        let mut layers: Vec<Layer> = MapLayer::ALL
            .iter()
            .map(|l| Layer::new(l.name(), EXTENT))
            .collect();
        let tolerance = if id.z >= 14 { 1.0 } else { 2.0 };
        for i in found {
            let f = &self.features[i as usize];
            if id.z < min_zoom(f) {
                continue;
            }
            let layer = &mut layers[MapLayer::ALL.iter().position(|&l| l == f.layer).unwrap()];
            let props = properties(f);
            match &f.shape {
                Shape::Point(p) => {
                    let [x, y] = id.project(*p);
                    let e = f64::from(EXTENT);
                    if (0.0..e).contains(&x) && (0.0..e).contains(&y) {
                        layer.add_points(None, &[[x as i32, y as i32]], &props);
                    }
                }
                Shape::Line(points) => {
                    let line = project(&id, points);
                    if extent_of(&line) < UNITS_PER_PX {
                        continue;
                    }
                    let parts: Vec<Vec<[i32; 2]>> = clip_line(&line)
                        .into_iter()
                        .map(|p| quantize(&simplify(p, tolerance)))
                        .filter(|p| p.len() >= 2)
                        .collect();
                    layer.add_lines(None, &parts, &props);
                }
                Shape::Area(polygons) => {
                    let mut out = Vec::new();
                    for polygon in polygons {
                        let outer = project(&id, &polygon[0]);
                        if extent_of(&outer) < UNITS_PER_PX {
                            continue;
                        }
                        let rings: Vec<Vec<[i32; 2]>> = std::iter::once(outer)
                            .chain(polygon[1..].iter().map(|r| project(&id, r)))
                            .map(|r| quantize(&simplify(clip_ring(&r), tolerance)))
                            .collect();
                        if rings[0].len() >= 3 {
                            out.push(rings);
                        }
                    }
                    layer.add_polygons(None, &out, &props);
                }
            }
        }
        layers
    }
}

/// The zoom from which a feature is drawn.
fn min_zoom(f: &MapFeature) -> u8 {
    match f.layer {
        MapLayer::Water => 6,
        MapLayer::Landcover | MapLayer::Park => 9,
        MapLayer::Waterway | MapLayer::Landuse | MapLayer::Transportation => 10,
        MapLayer::TransportationName => 13,
        MapLayer::Building => 14,
        MapLayer::Place => match f.class.as_str() {
            "city" | "town" => 6,
            "suburb" | "village" | "island" => 11,
            _ => 13,
        },
    }
}

fn properties(f: &MapFeature) -> Vec<(&'static str, PropertyValue)> {
    let mut props = vec![("class", PropertyValue::String(f.class.clone()))];
    for (key, value) in [
        ("name", &f.names.name),
        ("name:zh", &f.names.name_zh),
        ("name:en", &f.names.name_en),
    ] {
        if let Some(v) = value {
            props.push((key, PropertyValue::String(v.clone())));
        }
    }
    props
}

/// A shape's points that bound it (outer rings only).
fn points(shape: &Shape) -> Box<dyn Iterator<Item = [f64; 2]> + '_> {
    match shape {
        Shape::Point(p) => Box::new(std::iter::once(*p)),
        Shape::Line(l) => Box::new(l.iter().copied()),
        Shape::Area(polygons) => {
            Box::new(polygons.iter().filter_map(|p| p.first()).flatten().copied())
        }
    }
}
