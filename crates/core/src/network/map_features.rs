//! The map's context read from an `.osm.pbf` file: water, green areas, land use, railways,
//! buildings, place names and street names, as plain features for the basemap tiles
//! ([`crate::tiles::basemap`]).
//!
//! Layer and class names follow the OpenMapTiles schema (`water`, `landuse`, `park`,
//! `transportation_name`, `place`, ...), so an operator's own OpenMapTiles basemap (made by
//! planetiler or tilemaker and served as `--basemap region.mbtiles`) draws with the same style
//! as the one made here. Only what the file holds is drawn: a highway-only extract gives street
//! names and nothing else.

use std::collections::HashMap;
use std::path::Path;

use osmpbf::{BlobDecode, BlobReader, PrimitiveBlock, RelMemberType};
use rayon::prelude::*;

use super::NetworkError;

/// A basemap layer, named as in the OpenMapTiles schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapLayer {
    /// Lakes, reservoirs, river areas.
    Water,
    /// Rivers, canals and streams as lines.
    Waterway,
    /// Grass, wood, farmland, wetland, sand.
    Landcover,
    /// Residential, commercial, industrial, schools, hospitals, cemeteries...
    Landuse,
    /// Parks, gardens and nature reserves.
    Park,
    /// Building outlines.
    Building,
    /// Railways (`class` rail or transit); roads come from the coverage tiles.
    Transportation,
    /// Streets with a name or number, for their labels.
    TransportationName,
    /// Cities, towns, suburbs, neighbourhoods and villages.
    Place,
}

impl MapLayer {
    /// Every layer, in drawing order.
    pub const ALL: [MapLayer; 9] = [
        MapLayer::Water,
        MapLayer::Waterway,
        MapLayer::Landcover,
        MapLayer::Landuse,
        MapLayer::Park,
        MapLayer::Building,
        MapLayer::Transportation,
        MapLayer::TransportationName,
        MapLayer::Place,
    ];

    /// The layer's name in the tiles.
    ///
    /// ```
    /// use patrolmap_core::network::map_features::MapLayer;
    /// assert_eq!(MapLayer::TransportationName.name(), "transportation_name");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            MapLayer::Water => "water",
            MapLayer::Waterway => "waterway",
            MapLayer::Landcover => "landcover",
            MapLayer::Landuse => "landuse",
            MapLayer::Park => "park",
            MapLayer::Building => "building",
            MapLayer::Transportation => "transportation",
            MapLayer::TransportationName => "transportation_name",
            MapLayer::Place => "place",
        }
    }
}

/// A closed ring of `[lon, lat]`, first point repeated last.
pub type Ring = Vec<[f64; 2]>;

/// A feature's geometry.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A point (places).
    Point([f64; 2]),
    /// A polyline.
    Line(Vec<[f64; 2]>),
    /// Polygons, each an outer ring followed by its holes.
    Area(Vec<Vec<Ring>>),
}

/// The names of a feature: the local one and the Chinese and English ones where the file has
/// them (`name:zh`, `name:en`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Names {
    /// `name`.
    pub name: Option<String>,
    /// `name:zh` (or `name:zh-Hans`).
    pub name_zh: Option<String>,
    /// `name:en`.
    pub name_en: Option<String>,
}

impl Names {
    fn from_tags<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Names {
        let mut names = Names::default();
        for (k, v) in tags {
            match k {
                "name" => names.name = Some(v.to_string()),
                "name:zh" => names.name_zh = Some(v.to_string()),
                "name:zh-Hans" if names.name_zh.is_none() => names.name_zh = Some(v.to_string()),
                "name:en" => names.name_en = Some(v.to_string()),
                _ => {}
            }
        }
        names
    }

    fn is_empty(&self) -> bool {
        self.name.is_none() && self.name_zh.is_none() && self.name_en.is_none()
    }
}

/// One feature of the basemap.
#[derive(Clone, Debug, PartialEq)]
pub struct MapFeature {
    /// Its layer.
    pub layer: MapLayer,
    /// Its OpenMapTiles `class` (`lake`, `river`, `park`, `residential`, `primary`, `suburb`...).
    pub class: String,
    /// Its names.
    pub names: Names,
    /// Its geometry.
    pub shape: Shape,
}

/// Whether a classified feature is drawn as a line, an area, or either (by whether its way
/// is closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Line,
    Area,
}

/// The basemap layer and class of an OSM element's tags, or `None` when the basemap does not
/// draw it. Roads are classified only for their names (`transportation_name`).
///
/// ```
/// use patrolmap_core::network::map_features::{classify, MapLayer};
/// assert_eq!(classify(&[("natural", "water")]), Some((MapLayer::Water, "lake".into())));
/// assert_eq!(classify(&[("highway", "primary"), ("name", "解放路")]),
///     Some((MapLayer::TransportationName, "primary".into())));
/// assert_eq!(classify(&[("highway", "primary")]), None); // nothing to label
/// assert_eq!(classify(&[("building", "no")]), None);
/// ```
pub fn classify(tags: &[(&str, &str)]) -> Option<(MapLayer, String)> {
    classify_form(tags).map(|(layer, class, _)| (layer, class))
}

fn classify_form(tags: &[(&str, &str)]) -> Option<(MapLayer, String, Form)> {
    let get = |key: &str| tags.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let area = |layer, class: &str| Some((layer, class.to_string(), Form::Area));
    if let Some(v) = get("highway") {
        let named = get("name").is_some() || get("ref").is_some() || get("name:zh").is_some();
        if named && get("area") != Some("yes") {
            return Some((MapLayer::TransportationName, v.to_string(), Form::Line));
        }
        return None;
    }
    if let Some(v) = get("railway") {
        let class = match v {
            "rail" | "narrow_gauge" | "preserved" => "rail",
            "subway" | "light_rail" | "tram" | "monorail" | "funicular" => "transit",
            _ => return None,
        };
        return Some((MapLayer::Transportation, class.into(), Form::Line));
    }
    if let Some(v) = get("waterway") {
        return match v {
            "riverbank" | "dock" => area(MapLayer::Water, "river"),
            "river" | "canal" | "stream" | "drain" | "ditch" => {
                Some((MapLayer::Waterway, v.to_string(), Form::Line))
            }
            _ => None,
        };
    }
    if get("natural") == Some("water") || get("water").is_some() {
        let class = match get("water") {
            Some("river") | Some("canal") | Some("stream") => "river",
            _ => "lake",
        };
        return area(MapLayer::Water, class);
    }
    if let Some(v) = get("landuse") {
        return match v {
            "reservoir" | "basin" => area(MapLayer::Water, "lake"),
            "grass" | "meadow" | "village_green" | "recreation_ground" => {
                area(MapLayer::Landcover, "grass")
            }
            "forest" => area(MapLayer::Landcover, "wood"),
            "farmland" | "farmyard" | "orchard" | "vineyard" | "allotments" => {
                area(MapLayer::Landcover, "farmland")
            }
            "residential" | "commercial" | "industrial" | "retail" | "railway" | "cemetery"
            | "military" | "construction" | "garages" | "brownfield" => area(MapLayer::Landuse, v),
            _ => None,
        };
    }
    if let Some(v) = get("leisure") {
        return match v {
            "park" | "garden" | "nature_reserve" => area(MapLayer::Park, v),
            "pitch" | "stadium" | "sports_centre" | "playground" => area(MapLayer::Landuse, v),
            _ => None,
        };
    }
    if let Some(v) = get("natural") {
        return match v {
            "wood" => area(MapLayer::Landcover, "wood"),
            "scrub" | "heath" | "grassland" => area(MapLayer::Landcover, "grass"),
            "wetland" => area(MapLayer::Landcover, "wetland"),
            "sand" | "beach" => area(MapLayer::Landcover, "sand"),
            _ => None,
        };
    }
    if let Some(v) = get("amenity") {
        let class = match v {
            "school" | "kindergarten" => "school",
            "university" | "college" => "university",
            "hospital" => "hospital",
            _ => return None,
        };
        return area(MapLayer::Landuse, class);
    }
    if let Some(v) = get("building") {
        if v != "no" {
            return area(MapLayer::Building, "building");
        }
    }
    None
}

/// The places a node names (`place=city|town|suburb|...` with a name).
fn place_class(tags: &[(&str, &str)]) -> Option<String> {
    let place = tags.iter().find(|(k, _)| *k == "place")?.1;
    matches!(
        place,
        "city" | "town" | "village" | "hamlet" | "suburb" | "quarter" | "neighbourhood" | "island"
    )
    .then(|| place.to_string())
}

/// A way the basemap may use: drawn itself (`class`) or a member of a multipolygon (`None`).
struct WayEntry {
    id: i64,
    drawn: Option<(MapLayer, String, Form, Names)>,
    refs: Vec<i64>,
}

/// A multipolygon relation the basemap draws.
struct RelationEntry {
    layer: MapLayer,
    class: String,
    names: Names,
    /// `(way id, inner)`.
    members: Vec<(i64, bool)>,
}

#[derive(Default)]
struct BlockFeatures {
    nodes: Vec<(i64, i32, i32)>,
    places: Vec<(i64, String, Names)>,
    ways: Vec<WayEntry>,
    relations: Vec<RelationEntry>,
}

/// Reads the basemap features of an `.osm.pbf` file.
///
/// ```
/// use patrolmap_core::network::map_features::{read_pbf, MapLayer};
/// let features = read_pbf("../../data/campo-grande.osm.pbf".as_ref()).unwrap();
/// assert!(features.iter().any(|f| f.layer == MapLayer::TransportationName));
/// ```
pub fn read_pbf(path: &Path) -> Result<Vec<MapFeature>, NetworkError> {
    let pbf_error = |e: osmpbf::Error| NetworkError::Pbf {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let reader = BlobReader::from_path(path).map_err(pbf_error)?;
    let blobs = reader.collect::<Result<Vec<_>, _>>().map_err(pbf_error)?;
    let blocks = blobs
        .par_iter()
        .map(|blob| match blob.decode()? {
            BlobDecode::OsmData(block) => Ok(read_block(&block)),
            _ => Ok(BlockFeatures::default()),
        })
        .collect::<Result<Vec<_>, osmpbf::Error>>()
        .map_err(pbf_error)?;
    Ok(assemble(blocks))
}

fn read_block(block: &PrimitiveBlock) -> BlockFeatures {
    let mut out = BlockFeatures::default();
    for group in block.groups() {
        let mut node = |id: i64, lon: i32, lat: i32, tags: Vec<(&str, &str)>| {
            out.nodes.push((id, lon, lat));
            if let Some(class) = place_class(&tags) {
                let names = Names::from_tags(tags.iter().copied());
                if !names.is_empty() {
                    out.places.push((id, class, names));
                }
            }
        };
        for n in group.dense_nodes() {
            node(
                n.id(),
                n.decimicro_lon(),
                n.decimicro_lat(),
                n.tags().collect(),
            );
        }
        for n in group.nodes() {
            node(
                n.id(),
                n.decimicro_lon(),
                n.decimicro_lat(),
                n.tags().collect(),
            );
        }
        for way in group.ways() {
            let tags: Vec<(&str, &str)> = way.tags().collect();
            let drawn = classify_form(&tags).map(|(layer, class, form)| {
                (layer, class, form, Names::from_tags(tags.iter().copied()))
            });
            // Untagged ways are kept too: they are the outlines multipolygons are made of.
            if drawn.is_some() || tags.is_empty() {
                out.ways.push(WayEntry {
                    id: way.id(),
                    drawn,
                    refs: way.refs().collect(),
                });
            }
        }
        for rel in group.relations() {
            let tags: Vec<(&str, &str)> = rel.tags().collect();
            if !tags.contains(&("type", "multipolygon")) {
                continue;
            }
            let Some((layer, class, Form::Area)) = classify_form(&tags) else {
                continue;
            };
            let members = rel
                .members()
                .filter(|m| m.member_type == RelMemberType::Way)
                .map(|m| (m.member_id, m.role().is_ok_and(|r| r == "inner")))
                .collect();
            out.relations.push(RelationEntry {
                layer,
                class,
                names: Names::from_tags(tags.iter().copied()),
                members,
            });
        }
    }
    out
}

fn assemble(blocks: Vec<BlockFeatures>) -> Vec<MapFeature> {
    let mut nodes = Vec::new();
    let mut places = Vec::new();
    let mut ways = Vec::new();
    let mut relations = Vec::new();
    for b in blocks {
        nodes.extend(b.nodes);
        places.extend(b.places);
        ways.extend(b.ways);
        relations.extend(b.relations);
    }
    nodes.sort_unstable_by_key(|n| n.0);
    let at = |id: i64| -> Option<[f64; 2]> {
        let i = nodes.binary_search_by_key(&id, |n| n.0).ok()?;
        Some([f64::from(nodes[i].1) / 1e7, f64::from(nodes[i].2) / 1e7])
    };
    let line = |refs: &[i64]| -> Vec<[f64; 2]> { refs.iter().filter_map(|&r| at(r)).collect() };

    let mut features = Vec::new();
    for (id, class, names) in places {
        if let Some(p) = at(id) {
            features.push(MapFeature {
                layer: MapLayer::Place,
                class,
                names,
                shape: Shape::Point(p),
            });
        }
    }
    // Streets: the ways of one name joined end to end, so a label has room along the street.
    let mut streets: HashMap<(String, Names), Vec<Vec<i64>>> = HashMap::new();
    let mut members: HashMap<i64, &[i64]> = HashMap::new();
    for w in &ways {
        members.insert(w.id, &w.refs);
        let Some((layer, class, form, names)) = &w.drawn else {
            continue;
        };
        if *layer == MapLayer::TransportationName {
            streets
                .entry((class.clone(), names.clone()))
                .or_default()
                .push(w.refs.clone());
            continue;
        }
        let closed = w.refs.len() >= 4 && w.refs.first() == w.refs.last();
        let shape = match form {
            Form::Area if closed => Shape::Area(vec![vec![line(&w.refs)]]),
            Form::Area => continue,
            Form::Line => Shape::Line(line(&w.refs)),
        };
        features.push(MapFeature {
            layer: *layer,
            class: class.clone(),
            names: names.clone(),
            shape,
        });
    }
    let mut street_keys: Vec<_> = streets.into_iter().collect();
    street_keys.sort_by(|a, b| a.0 .1.name.cmp(&b.0 .1.name).then(a.0 .0.cmp(&b.0 .0)));
    for ((class, names), parts) in street_keys {
        for chain in join_chains(parts) {
            features.push(MapFeature {
                layer: MapLayer::TransportationName,
                class: class.clone(),
                names: names.clone(),
                shape: Shape::Line(line(&chain)),
            });
        }
    }
    for rel in relations {
        let ring_of = |inner: bool| -> Vec<Ring> {
            let parts = rel
                .members
                .iter()
                .filter(|m| m.1 == inner)
                .filter_map(|m| members.get(&m.0).map(|r| r.to_vec()))
                .collect();
            join_chains(parts)
                .into_iter()
                .filter(|c| c.len() >= 4 && c.first() == c.last())
                .map(|c| line(&c))
                .filter(|r| r.len() >= 4)
                .collect()
        };
        let outers = ring_of(false);
        if outers.is_empty() {
            continue;
        }
        let mut polygons: Vec<Vec<Ring>> = outers.into_iter().map(|o| vec![o]).collect();
        for hole in ring_of(true) {
            if let Some(p) = polygons.iter_mut().find(|p| inside(hole[0], &p[0])) {
                p.push(hole);
            }
        }
        features.push(MapFeature {
            layer: rel.layer,
            class: rel.class,
            names: rel.names,
            shape: Shape::Area(polygons),
        });
    }
    features.retain(|f| match &f.shape {
        Shape::Point(_) => true,
        Shape::Line(l) => l.len() >= 2,
        Shape::Area(p) => !p.is_empty(),
    });
    features
}

/// Joins node sequences that share an end into the longest chains it can (reversing parts as
/// needed): the outlines of a multipolygon into rings, the ways of a street into lines. Every
/// part appears in exactly one chain.
///
/// ```
/// use patrolmap_core::network::map_features::join_chains;
/// let chains = join_chains(vec![vec![1, 2], vec![3, 2], vec![3, 4, 1]]);
/// assert_eq!(chains, vec![vec![1, 2, 3, 4, 1]]);
/// ```
pub fn join_chains(parts: Vec<Vec<i64>>) -> Vec<Vec<i64>> {
    let mut by_end: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, p) in parts.iter().enumerate() {
        if let (Some(&a), Some(&b)) = (p.first(), p.last()) {
            by_end.entry(a).or_default().push(i);
            if b != a {
                by_end.entry(b).or_default().push(i);
            }
        }
    }
    let mut used = vec![false; parts.len()];
    let mut chains = Vec::new();
    for start in 0..parts.len() {
        if used[start] || parts[start].is_empty() {
            continue;
        }
        used[start] = true;
        let mut chain = parts[start].clone();
        // Grow at the end, then turn round and grow at the other end.
        for _ in 0..2 {
            while chain.len() < 2 || chain.first() != chain.last() {
                let end = *chain.last().unwrap();
                let next = by_end
                    .get(&end)
                    .and_then(|c| c.iter().copied().find(|&j| !used[j]));
                let Some(j) = next else { break };
                used[j] = true;
                if parts[j][0] == end {
                    chain.extend_from_slice(&parts[j][1..]);
                } else {
                    chain.extend(parts[j].iter().rev().skip(1));
                }
            }
            chain.reverse();
        }
        chains.push(chain);
    }
    chains
}

/// Whether `p` is inside the closed `ring` (even-odd rule).
fn inside(p: [f64; 2], ring: &[[f64; 2]]) -> bool {
    let mut odd = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                odd = !odd;
            }
        }
    }
    odd
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn classes_follow_the_openmaptiles_schema() {
        let c = |tags: &[(&str, &str)]| classify(tags).map(|(l, c)| (l.name(), c));
        assert_eq!(c(&[("leisure", "park")]), Some(("park", "park".into())));
        assert_eq!(
            c(&[("landuse", "forest")]),
            Some(("landcover", "wood".into()))
        );
        assert_eq!(
            c(&[("waterway", "river"), ("name", "湘江")]),
            Some(("waterway", "river".into()))
        );
        assert_eq!(
            c(&[("railway", "subway")]),
            Some(("transportation", "transit".into()))
        );
        assert_eq!(c(&[("railway", "abandoned")]), None);
        assert_eq!(
            c(&[("amenity", "school")]),
            Some(("landuse", "school".into()))
        );
        assert_eq!(
            c(&[("building", "yes")]),
            Some(("building", "building".into()))
        );
        // A pedestrian square is an area, not a street to label along.
        assert_eq!(
            c(&[("highway", "pedestrian"), ("area", "yes"), ("name", "x")]),
            None
        );
    }

    #[test]
    fn names_prefer_simplified_chinese_tags() {
        let n = Names::from_tags(
            [
                ("name", "Rua A"),
                ("name:zh-Hans", "甲街"),
                ("name:en", "A Street"),
            ]
            .into_iter(),
        );
        assert_eq!(n.name_zh.as_deref(), Some("甲街"));
        let n = Names::from_tags([("name:zh", "乙"), ("name:zh-Hans", "甲")].into_iter());
        assert_eq!(n.name_zh.as_deref(), Some("乙"));
    }

    #[test]
    fn a_hole_goes_into_the_ring_around_it() {
        let square = vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]];
        assert!(inside([1.0, 1.0], &square));
        assert!(!inside([5.0, 1.0], &square));
    }

    proptest! {
        /// A path cut into pieces (some reversed, shuffled) is joined back into one chain with
        /// every step of the path, in one direction or the other.
        #[test]
        fn cut_paths_join_back(len in 2usize..30, cuts in proptest::collection::vec(1usize..29, 0..6),
                               flips in proptest::collection::vec(any::<bool>(), 8), seed in 0u64..1000) {
            let path: Vec<i64> = (0..len as i64).collect();
            let mut at: Vec<usize> = cuts.into_iter().filter(|&c| c < len - 1).collect();
            at.sort_unstable();
            at.dedup();
            let mut parts = Vec::new();
            let mut from = 0;
            for c in at.into_iter().chain([len - 1]) {
                parts.push(path[from..=c].to_vec());
                from = c;
            }
            for (i, p) in parts.iter_mut().enumerate() {
                if flips[i % flips.len()] { p.reverse(); }
            }
            let n = parts.len();
            parts.rotate_left((seed as usize) % n);
            let chains = join_chains(parts);
            prop_assert_eq!(chains.len(), 1);
            let mut chain = chains[0].clone();
            if chain[0] != 0 { chain.reverse(); }
            prop_assert_eq!(chain, path);
        }
    }
}
