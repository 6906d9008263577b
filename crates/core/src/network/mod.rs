//! Road networks: reading OSM and GeoJSON roads, travel profiles, the CSR graph per profile,
//! connectivity and snapping points to roads.
//!
//! The flow is a preparation/query split in the spirit of fast_paths:
//! [`RoadNetwork`] (mode-independent roads as loaded) → [`ProfileGraph`] (flat arrays for one
//! [`TravelMode`]) → [`SnapIndex`] (an R-tree over the profile's road segments).

pub mod components;
pub mod csr;
pub mod export;
pub mod geodesy;
pub mod map_features;
pub mod osm;
pub mod profile;
pub mod progress;
pub mod province;
pub mod road_geojson;
pub mod road_layer;
pub mod snap;
pub mod streets;
pub mod time_of_day;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use components::Connectivity;
pub use csr::ProfileGraph;
pub use profile::{EdgeSpeeds, Profile, ProfileSet, TravelMode};
pub use progress::{LoadProgress, NoProgress};
pub use snap::{SnapIndex, SnapRefusal, Snapped};

/// Which way a road may be travelled, relative to its digitised direction (first to last
/// position of its geometry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Both ways.
    Both,
    /// Only from the first position to the last (`oneway=yes`).
    Forward,
    /// Only from the last position to the first (`oneway=-1`).
    Backward,
}

impl Direction {
    /// Whether travel from `from` to `to` (the digitised direction) is allowed.
    #[inline]
    pub fn allows_forward(self) -> bool {
        self != Direction::Backward
    }
    /// Whether travel from `to` to `from` is allowed.
    #[inline]
    pub fn allows_backward(self) -> bool {
        self != Direction::Forward
    }
}

/// Who may drive a road, from its OSM `access`, `emergency` and `police` tags (or a GeoJSON
/// road's `access`). Police vehicles may use roads general traffic may not: a profile's
/// [`AccessRule`](profile::AccessRule) says which it follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Anyone (no `access` tag, `yes`, `permissive`).
    #[default]
    Public,
    /// Only to reach a place on it (`access=destination`).
    Destination,
    /// Not open to the public (`private`, `delivery`, `customers`, `permit`, `residents`):
    /// a residential compound's service road.
    Restricted,
    /// Closed to all but emergency services (`access=no` with `emergency=yes` or `police=yes`).
    EmergencyOnly,
}

impl Access {
    /// The access of a road from its tag values; `None` for one nobody may drive
    /// (`access=no` without `emergency` or `police` allowed).
    ///
    /// ```
    /// use patrolmap_core::network::Access;
    /// assert_eq!(Access::from_tags(None, None, None), Some(Access::Public));
    /// assert_eq!(Access::from_tags(Some("private"), None, None), Some(Access::Restricted));
    /// assert_eq!(Access::from_tags(Some("no"), Some("yes"), None), Some(Access::EmergencyOnly));
    /// assert_eq!(Access::from_tags(Some("no"), None, Some("designated")), Some(Access::EmergencyOnly));
    /// assert_eq!(Access::from_tags(Some("no"), None, None), None);
    /// ```
    pub fn from_tags(
        access: Option<&str>,
        emergency: Option<&str>,
        police: Option<&str>,
    ) -> Option<Access> {
        let allows = |v: Option<&str>| matches!(v, Some("yes" | "designated" | "permissive"));
        match access.map(str::trim) {
            None | Some("" | "yes" | "permissive" | "public") => Some(Access::Public),
            Some("destination") => Some(Access::Destination),
            Some("private" | "delivery" | "customers" | "permit" | "residents" | "restricted") => {
                Some(Access::Restricted)
            }
            Some("emergency" | "emergency_only") => Some(Access::EmergencyOnly),
            _ if allows(emergency) || allows(police) => Some(Access::EmergencyOnly),
            Some("no") => None,
            // Other values (`agricultural`, `forestry`, `unknown`, ...) are read as they were
            // before access was kept: open.
            Some(_) => Some(Access::Public),
        }
    }

    /// Its name in files (`public`, `destination`, `restricted`, `emergency_only`).
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Destination => "destination",
            Access::Restricted => "restricted",
            Access::EmergencyOnly => "emergency_only",
        }
    }
}

/// Where a road network came from; it decides how profiles read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkSource {
    /// OpenStreetMap: every highway way; each profile keeps the classes it may use.
    Osm,
    /// A GeoJSON road file in the format of `spec/coverage.md` §1: a network already chosen,
    /// so every feature is an edge for every profile.
    RoadGeoJson,
}

/// One road edge between two nodes (intersections or way ends), with its full geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct RoadEdge {
    /// Node at the first position of the geometry.
    pub from: u32,
    /// Node at the last position of the geometry.
    pub to: u32,
    /// Haversine length of the geometry.
    pub length_m: f64,
    /// The `highway` class, an index into [`RoadNetwork::class_name`].
    pub class: u16,
    /// Direction for vehicles, as tagged (OSM one-way rules already applied).
    pub oneway: Direction,
    /// Posted speed from the first node to the last (OSM `maxspeed:forward`, else `maxspeed`;
    /// GeoJSON `forward_speed_kph`, else `speed_kph`), when given and valid.
    pub tagged_speed_kph: Option<f64>,
    /// Posted speed from the last node to the first (OSM `maxspeed:backward`, else
    /// `maxspeed`; GeoJSON `backward_speed_kph`, else `speed_kph`), when given and valid.
    pub tagged_backward_speed_kph: Option<f64>,
    /// Street name, an index into the network's strings (0 = none).
    pub name: u32,
    /// Road reference number (`ref`), an index into the network's strings (0 = none).
    pub road_ref: u32,
    /// The OSM way this edge was cut from (0 for GeoJSON roads).
    pub osm_way_id: i64,
    /// Who may drive it.
    pub access: Access,
    geometry_start: u32,
    geometry_end: u32,
}

/// Counters of what a loader saw and left out, for the user to read.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LoadReport {
    /// GeoJSON features that are not edges (not a LineString of 2+ positions).
    pub skipped_features: usize,
    /// OSM ways with a road `highway` tag that were kept.
    pub ways_kept: usize,
    /// OSM ways left out (`area=yes`, `access=no` without emergency or police allowed,
    /// non-road highway values).
    pub ways_excluded: usize,
    /// Kept OSM ways general traffic may not use (`access` private, destination, delivery,
    /// ...; `access=no` with `emergency` or `police` allowed): the police profiles use them.
    pub ways_restricted: usize,
    /// References of kept ways to nodes that are not in the file (cut at the extract's edge).
    pub missing_node_refs: usize,
    /// Distinct OSM nodes at an identical position, merged into one graph node.
    pub merged_duplicate_nodes: usize,
}

/// A road network as loaded, independent of travel mode.
///
/// Nodes are `[lon, lat]` in degrees. Edge geometries live in one flat array outside the
/// edges so that the routing arrays stay small.
#[derive(Clone, Debug, Default)]
pub struct RoadNetwork {
    /// Where it came from.
    pub source: Option<NetworkSource>,
    /// Node positions, `[lon, lat]`.
    pub nodes: Vec<[f64; 2]>,
    /// Edges, in file order.
    pub edges: Vec<RoadEdge>,
    /// What the loader skipped.
    pub report: LoadReport,
    points: Vec<[f64; 2]>,
    classes: Vec<String>,
    strings: Vec<String>,
}

impl RoadNetwork {
    /// An empty network from the given source.
    pub fn new(source: NetworkSource) -> Self {
        RoadNetwork {
            source: Some(source),
            strings: vec![String::new()],
            ..Default::default()
        }
    }

    /// The geometry of edge `e`, first position at `from`, last at `to`.
    #[inline]
    pub fn geometry(&self, e: usize) -> &[[f64; 2]] {
        let edge = &self.edges[e];
        &self.points[edge.geometry_start as usize..edge.geometry_end as usize]
    }

    /// Every `highway` class of its roads.
    pub fn class_names(&self) -> &[String] {
        &self.classes
    }

    /// The `highway` value of class index `class`.
    pub fn class_name(&self, class: u16) -> &str {
        &self.classes[class as usize]
    }

    /// The street name of edge `e`, if it has one.
    pub fn name(&self, e: usize) -> Option<&str> {
        self.string(self.edges[e].name)
    }

    /// The road reference (`ref`) of edge `e`, if it has one.
    pub fn road_ref(&self, e: usize) -> Option<&str> {
        self.string(self.edges[e].road_ref)
    }

    fn string(&self, id: u32) -> Option<&str> {
        (id != 0).then(|| self.strings[id as usize].as_str())
    }

    /// Total length of all edges, in metres.
    pub fn length_m(&self) -> f64 {
        self.edges.iter().map(|e| e.length_m).sum()
    }

    /// Bounding box `[min_lon, min_lat, max_lon, max_lat]` of all geometry, if any.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        let mut it = self.points.iter();
        let first = it.next()?;
        Some(it.fold([first[0], first[1], first[0], first[1]], |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        }))
    }
}

impl RoadNetwork {
    fn sort_nodes_spatially(&mut self) {
        let Some([x0, y0, x1, y1]) = self.bbox() else {
            return;
        };
        let scale = |v: f64, lo: f64, hi: f64| {
            if hi > lo {
                (((v - lo) / (hi - lo)) * 65535.0) as u32
            } else {
                0
            }
        };
        let mut order: Vec<u32> = (0..self.nodes.len() as u32).collect();
        let keys: Vec<u64> = self
            .nodes
            .iter()
            .map(|p| hilbert_index(scale(p[0], x0, x1), scale(p[1], y0, y1)))
            .collect();
        order.sort_by_key(|&v| (keys[v as usize], v));
        let mut new_id = vec![0u32; self.nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old as usize] = new as u32;
        }
        self.nodes = order.iter().map(|&old| self.nodes[old as usize]).collect();
        for edge in &mut self.edges {
            edge.from = new_id[edge.from as usize];
            edge.to = new_id[edge.to as usize];
        }
    }
}

/// Position of `(x, y)` (16 bits each) along a Hilbert curve over the 65536² grid.
fn hilbert_index(mut x: u32, mut y: u32) -> u64 {
    let mut d = 0u64;
    let mut s = 1u32 << 15;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = s.wrapping_mul(2).wrapping_sub(1).wrapping_sub(x) & 0xFFFF;
                y = s.wrapping_mul(2).wrapping_sub(1).wrapping_sub(y) & 0xFFFF;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    d
}

/// Builds a [`RoadNetwork`] edge by edge, interning classes and names.
#[derive(Debug)]
pub(crate) struct NetworkBuilder {
    network: RoadNetwork,
    class_ids: HashMap<String, u16>,
    string_ids: HashMap<String, u32>,
}

/// The attributes of an edge apart from its ends and geometry.
#[derive(Debug, Default)]
pub(crate) struct EdgeAttributes<'a> {
    pub class: &'a str,
    pub oneway: Option<Direction>,
    pub tagged_speed_kph: Option<f64>,
    pub tagged_backward_speed_kph: Option<f64>,
    pub name: Option<&'a str>,
    pub road_ref: Option<&'a str>,
    pub osm_way_id: i64,
    pub access: Access,
}

impl NetworkBuilder {
    pub fn new(source: NetworkSource) -> Self {
        NetworkBuilder {
            network: RoadNetwork::new(source),
            class_ids: HashMap::new(),
            string_ids: HashMap::new(),
        }
    }

    pub fn add_node(&mut self, p: [f64; 2]) -> u32 {
        self.network.nodes.push(p);
        (self.network.nodes.len() - 1) as u32
    }

    pub fn node_count(&self) -> usize {
        self.network.nodes.len()
    }

    fn class_id(&mut self, class: &str) -> u16 {
        if let Some(&id) = self.class_ids.get(class) {
            return id;
        }
        let id = self.network.classes.len() as u16;
        self.network.classes.push(class.to_string());
        self.class_ids.insert(class.to_string(), id);
        id
    }

    fn string_id(&mut self, s: Option<&str>) -> u32 {
        let Some(s) = s.filter(|s| !s.is_empty()) else {
            return 0;
        };
        if let Some(&id) = self.string_ids.get(s) {
            return id;
        }
        let id = self.network.strings.len() as u32;
        self.network.strings.push(s.to_string());
        self.string_ids.insert(s.to_string(), id);
        id
    }

    /// Adds an edge from `from` to `to` along `geometry` (whose ends are those nodes).
    pub fn add_edge(&mut self, from: u32, to: u32, geometry: &[[f64; 2]], attrs: &EdgeAttributes) {
        let geometry_start = self.network.points.len() as u32;
        self.network.points.extend_from_slice(geometry);
        let edge = RoadEdge {
            from,
            to,
            length_m: geodesy::polyline_length_m(geometry),
            class: self.class_id(attrs.class),
            oneway: attrs.oneway.unwrap_or(Direction::Both),
            tagged_speed_kph: attrs.tagged_speed_kph,
            tagged_backward_speed_kph: attrs.tagged_backward_speed_kph,
            name: self.string_id(attrs.name),
            road_ref: self.string_id(attrs.road_ref),
            osm_way_id: attrs.osm_way_id,
            access: attrs.access,
            geometry_start,
            geometry_end: self.network.points.len() as u32,
        };
        self.network.edges.push(edge);
    }

    pub fn report_mut(&mut self) -> &mut LoadReport {
        &mut self.network.report
    }

    /// The network, with nodes renumbered along a Hilbert curve: searches then touch nearby
    /// memory for nearby nodes (node ids are internal; files name nodes by position).
    pub fn finish(mut self) -> RoadNetwork {
        self.network.sort_nodes_spatially();
        self.network
    }
}

/// What can go wrong reading or preparing a road network. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The file could not be read.
    #[error("{path}: cannot read")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid OSM PBF file (or is truncated).
    #[error("{path}: not a readable OSM PBF file: {message}")]
    Pbf { path: PathBuf, message: String },
    /// The file is not valid GeoJSON, or not a FeatureCollection.
    #[error("{path}: invalid GeoJSON: {message}")]
    GeoJson { path: PathBuf, message: String },
    /// A coordinate is not a finite longitude/latitude.
    #[error("{path}: {location}: invalid coordinate {value:?}: longitude must be in -180..180 and latitude in -90..90")]
    BadCoordinate {
        path: PathBuf,
        location: String,
        value: Vec<f64>,
    },
    /// The file holds no road at all.
    #[error("{path}: no roads found: {detail}")]
    Empty { path: PathBuf, detail: String },
    /// The profile keeps none of the file's roads.
    #[error("{path}: the {profile} profile keeps none of the {edges} road edges (check the profile's highway classes)")]
    NoEdgesForProfile {
        path: PathBuf,
        profile: String,
        edges: usize,
    },
    /// The file type could not be told from its name or content.
    #[error("{path}: unknown road file type (expected .osm.pbf, .pbf, .geojson or .json)")]
    UnknownFormat { path: PathBuf },
    /// A profile configuration file is wrong.
    #[error("{path}")]
    Config {
        path: PathBuf,
        #[source]
        source: profile::ConfigError,
    },
}

/// Loads a road network from `.osm.pbf` or GeoJSON, telling the format by its extension or,
/// failing that, its first bytes.
pub fn load(path: &Path, progress: &dyn LoadProgress) -> Result<RoadNetwork, NetworkError> {
    match detect_format(path)? {
        RoadFormat::Pbf => osm::read_pbf(path, progress),
        RoadFormat::GeoJson => road_geojson::read_path(path),
    }
}

enum RoadFormat {
    Pbf,
    GeoJson,
}

fn detect_format(path: &Path) -> Result<RoadFormat, NetworkError> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".pbf") {
        return Ok(RoadFormat::Pbf);
    }
    if name.ends_with(".geojson") || name.ends_with(".json") {
        return Ok(RoadFormat::GeoJson);
    }
    let io = |source| NetworkError::Io {
        path: path.to_path_buf(),
        source,
    };
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .map_err(io)?
        .read(&mut head)
        .map_err(io)?;
    let text = String::from_utf8_lossy(&head[..n]);
    if text.trim_start().starts_with('{') {
        Ok(RoadFormat::GeoJson)
    } else if text.contains("OSMHeader") {
        Ok(RoadFormat::Pbf)
    } else {
        Err(NetworkError::UnknownFormat {
            path: path.to_path_buf(),
        })
    }
}
