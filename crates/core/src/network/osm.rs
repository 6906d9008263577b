//! Reads OpenStreetMap `.osm.pbf` files into a [`RoadNetwork`].
//!
//! Blocks are decoded in parallel (rayon). Ways with a road `highway` tag become edges, split
//! at every node they share with another kept way (or with themselves) and at their ends, so
//! every edge runs from intersection to intersection with its full polyline.
//!
//! Node positions are read in the same pass as the ways and kept as 1e-7 degree integers
//! (16 bytes per node), which suits city and province extracts.

use std::collections::hash_map::{Entry, HashMap};
use std::path::Path;

use osmpbf::{BlobDecode, BlobReader, PrimitiveBlock};
use rayon::prelude::*;

use super::{
    Access, Direction, EdgeAttributes, LoadProgress, NetworkBuilder, NetworkError, NetworkSource,
    RoadNetwork,
};

/// `highway` values that are not roads (planned, disused, or points and areas).
const NOT_ROADS: [&str; 13] = [
    "proposed",
    "construction",
    "abandoned",
    "disused",
    "razed",
    "platform",
    "raceway",
    "bus_stop",
    "elevator",
    "rest_area",
    "services",
    "emergency_bay",
    "no",
];

/// A kept way with the tags that matter for routing.
#[derive(Debug)]
struct WayRecord {
    id: i64,
    refs: Vec<i64>,
    class: String,
    oneway: Direction,
    /// The posted speed along the way's drawing and against it.
    maxspeed_kph: [Option<f64>; 2],
    name: Option<String>,
    road_ref: Option<String>,
    access: Access,
}

/// What one decoded block yields.
#[derive(Default)]
struct BlockContent {
    /// `(id, lon, lat)` with positions in 1e-7 degrees.
    nodes: Vec<(i64, i32, i32)>,
    ways: Vec<WayRecord>,
    excluded_ways: usize,
}

/// Reads a `.osm.pbf` file.
pub fn read_pbf(path: &Path, progress: &dyn LoadProgress) -> Result<RoadNetwork, NetworkError> {
    std::fs::metadata(path).map_err(|source| NetworkError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = BlobReader::from_path(path).map_err(|e| NetworkError::Pbf {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    read_blobs(reader, path, progress)
}

/// Reads `.osm.pbf` content already in memory (`label` names it in errors): what the fuzz
/// target feeds with arbitrary bytes.
///
/// ```
/// use patrolmap_core::network::{osm, NoProgress};
/// let bytes = std::fs::read("../../data/campo-grande.osm.pbf").unwrap();
/// let roads = osm::read_pbf_bytes(&bytes, "campo-grande".as_ref(), &NoProgress).unwrap();
/// assert!(roads.edges.len() > 1000);
/// assert!(osm::read_pbf_bytes(&bytes[..999], "cut".as_ref(), &NoProgress).is_err());
/// ```
pub fn read_pbf_bytes(
    bytes: &[u8],
    label: &Path,
    progress: &dyn LoadProgress,
) -> Result<RoadNetwork, NetworkError> {
    read_blobs(
        BlobReader::new(std::io::Cursor::new(bytes)),
        label,
        progress,
    )
}

fn read_blobs<R: std::io::Read + Send>(
    reader: BlobReader<R>,
    path: &Path,
    progress: &dyn LoadProgress,
) -> Result<RoadNetwork, NetworkError> {
    let pbf_error = |e: osmpbf::Error| NetworkError::Pbf {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let blobs = reader.collect::<Result<Vec<_>, _>>().map_err(pbf_error)?;
    progress.start("decoding blocks", blobs.len() as u64);
    let blocks = blobs
        .par_iter()
        .map(|blob| {
            let content = match blob.decode()? {
                BlobDecode::OsmData(block) => read_block(&block),
                BlobDecode::OsmHeader(_) | BlobDecode::Unknown(_) => BlockContent::default(),
            };
            progress.advance(1);
            Ok(content)
        })
        .collect::<Result<Vec<_>, osmpbf::Error>>()
        .map_err(pbf_error)?;
    progress.finish();
    if blobs.is_empty() {
        return Err(NetworkError::Pbf {
            path: path.to_path_buf(),
            message: "the file holds no OSM blocks".into(),
        });
    }

    let mut nodes = Vec::with_capacity(blocks.iter().map(|b| b.nodes.len()).sum());
    let mut ways = Vec::with_capacity(blocks.iter().map(|b| b.ways.len()).sum());
    let mut excluded = 0;
    for block in blocks {
        nodes.extend(block.nodes);
        ways.extend(block.ways);
        excluded += block.excluded_ways;
    }
    if !nodes.windows(2).all(|w| w[0].0 < w[1].0) {
        nodes.sort_unstable_by_key(|n| n.0);
        nodes.dedup_by_key(|n| n.0);
    }
    for &(id, lon, lat) in &nodes {
        if !(-1_800_000_000..=1_800_000_000).contains(&lon)
            || !(-900_000_000..=900_000_000).contains(&lat)
        {
            return Err(NetworkError::BadCoordinate {
                path: path.to_path_buf(),
                location: format!("node {id}"),
                value: vec![degrees(lon), degrees(lat)],
            });
        }
    }
    if ways.is_empty() {
        return Err(NetworkError::Empty {
            path: path.to_path_buf(),
            detail: format!("no way with a road highway tag ({excluded} highway ways excluded)"),
        });
    }
    let network = split_ways(&nodes, &ways, excluded);
    if network.edges.is_empty() {
        return Err(NetworkError::Empty {
            path: path.to_path_buf(),
            detail: format!(
                "{} highway ways, but none has two nodes present in the file ({} node references missing)",
                ways.len(),
                network.report.missing_node_refs
            ),
        });
    }
    Ok(network)
}

#[inline]
fn degrees(e7: i32) -> f64 {
    // Division (not multiplication by 1e-7) gives the f64 nearest the decimal value, so the
    // node key's `{:.7}` formatting gives back exactly the stored digits.
    e7 as f64 / 1e7
}

fn read_block(block: &PrimitiveBlock) -> BlockContent {
    let mut out = BlockContent::default();
    for group in block.groups() {
        for n in group.dense_nodes() {
            out.nodes
                .push((n.id(), n.decimicro_lon(), n.decimicro_lat()));
        }
        for n in group.nodes() {
            out.nodes
                .push((n.id(), n.decimicro_lon(), n.decimicro_lat()));
        }
        for way in group.ways() {
            match way_record(&way) {
                Some(Ok(w)) => out.ways.push(w),
                Some(Err(())) => out.excluded_ways += 1,
                None => {}
            }
        }
    }
    out
}

/// `None` for a way without `highway`; `Err` for a highway way that is not a usable road.
fn way_record(way: &osmpbf::Way) -> Option<Result<WayRecord, ()>> {
    let mut highway = None;
    let (mut oneway, mut junction, mut maxspeed, mut name, mut road_ref) =
        (None, None, None, None, None);
    let (mut maxspeed_forward, mut maxspeed_backward) = (None, None);
    let (mut access, mut emergency, mut police) = (None, None, None);
    let mut excluded = false;
    for (k, v) in way.tags() {
        match k {
            "highway" => highway = Some(v),
            "oneway" => oneway = Some(v),
            "junction" => junction = Some(v),
            "maxspeed" => maxspeed = Some(v),
            "maxspeed:forward" => maxspeed_forward = Some(v),
            "maxspeed:backward" => maxspeed_backward = Some(v),
            "name" => name = Some(v),
            "ref" => road_ref = Some(v),
            "area" => excluded |= v == "yes",
            "access" => access = Some(v),
            "emergency" => emergency = Some(v),
            "police" => police = Some(v),
            _ => {}
        }
    }
    let class = highway?;
    let access = Access::from_tags(access, emergency, police);
    let Some(access) = access.filter(|_| !excluded && !NOT_ROADS.contains(&class)) else {
        return Some(Err(()));
    };
    Some(Ok(WayRecord {
        id: way.id(),
        refs: way.refs().collect(),
        class: class.to_string(),
        oneway: parse_oneway(oneway, junction, class),
        maxspeed_kph: directed_maxspeed_kph(maxspeed, maxspeed_forward, maxspeed_backward),
        name: name.map(str::to_string),
        road_ref: road_ref.map(str::to_string),
        access,
    }))
}

/// The vehicle direction of a way from its `oneway`, `junction` and `highway` tags.
///
/// ```
/// use patrolmap_core::network::{osm::parse_oneway, Direction};
/// assert_eq!(parse_oneway(Some("yes"), None, "primary"), Direction::Forward);
/// assert_eq!(parse_oneway(Some("reverse"), None, "primary"), Direction::Backward);
/// assert_eq!(parse_oneway(None, Some("roundabout"), "primary"), Direction::Forward);
/// assert_eq!(parse_oneway(None, None, "motorway"), Direction::Forward);
/// assert_eq!(parse_oneway(Some("no"), None, "motorway"), Direction::Both);
/// ```
pub fn parse_oneway(oneway: Option<&str>, junction: Option<&str>, highway: &str) -> Direction {
    match oneway.map(str::trim) {
        Some("yes" | "true" | "1") => Direction::Forward,
        Some("-1" | "reverse") => Direction::Backward,
        Some("no" | "false" | "0") => Direction::Both,
        _ if matches!(junction, Some("roundabout" | "circular")) => Direction::Forward,
        _ if matches!(highway, "motorway" | "motorway_link") => Direction::Forward,
        _ => Direction::Both,
    }
}

/// The posted speed of a way along its drawing and against it: `maxspeed:forward` and
/// `maxspeed:backward` where they read, else `maxspeed`.
///
/// ```
/// use patrolmap_core::network::osm::directed_maxspeed_kph;
/// assert_eq!(directed_maxspeed_kph(None, Some("90"), Some("70")), [Some(90.0), Some(70.0)]);
/// assert_eq!(directed_maxspeed_kph(Some("50"), None, Some("30")), [Some(50.0), Some(30.0)]);
/// assert_eq!(directed_maxspeed_kph(Some("50"), Some("walk"), None), [Some(50.0), Some(50.0)]);
/// ```
pub fn directed_maxspeed_kph(
    maxspeed: Option<&str>,
    forward: Option<&str>,
    backward: Option<&str>,
) -> [Option<f64>; 2] {
    let both = maxspeed.and_then(parse_maxspeed_kph);
    [
        forward.and_then(parse_maxspeed_kph).or(both),
        backward.and_then(parse_maxspeed_kph).or(both),
    ]
}

/// Parses an OSM `maxspeed` value into km/h: `50`, `50 km/h`, `50kmh`, `30 mph`. Anything else
/// (`none`, `walk`, `RU:urban`, `50;30`) gives `None` and the profile's default applies.
///
/// ```
/// use patrolmap_core::network::osm::parse_maxspeed_kph;
/// assert_eq!(parse_maxspeed_kph("50"), Some(50.0));
/// assert_eq!(parse_maxspeed_kph("50 km/h"), Some(50.0));
/// assert!((parse_maxspeed_kph("30 mph").unwrap() - 48.28032).abs() < 1e-9);
/// assert_eq!(parse_maxspeed_kph("walk"), None);
/// assert_eq!(parse_maxspeed_kph("0"), None);
/// ```
pub fn parse_maxspeed_kph(value: &str) -> Option<f64> {
    let v = value.trim();
    let digits_end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let number: f64 = v[..digits_end].parse().ok()?;
    let factor = match v[digits_end..].trim() {
        "" | "km/h" | "kmh" | "kph" | "kmph" => 1.0,
        "mph" => 1.609344,
        "knots" => 1.852,
        _ => return None,
    };
    let kph = number * factor;
    (kph.is_finite() && kph > 0.0).then_some(kph)
}

/// Splits ways into intersection-to-intersection edges. `nodes` is sorted by id.
fn split_ways(nodes: &[(i64, i32, i32)], ways: &[WayRecord], excluded: usize) -> RoadNetwork {
    const MISSING: u32 = u32::MAX;
    let index_of = |id: i64| {
        nodes
            .binary_search_by_key(&id, |n| n.0)
            .map_or(MISSING, |i| i as u32)
    };
    let resolved: Vec<Vec<u32>> = ways
        .par_iter()
        .map(|w| w.refs.iter().map(|&id| index_of(id)).collect())
        .collect();

    // A node becomes a graph node when it is used twice or more, or ends a run of present nodes.
    let mut uses = vec![0u8; nodes.len()];
    let mut missing = 0;
    for refs in &resolved {
        for run in refs.split(|&i| i == MISSING) {
            if let (Some(&first), Some(&last)) = (run.first(), run.last()) {
                uses[first as usize] = 2;
                uses[last as usize] = 2;
            }
            for &i in run {
                uses[i as usize] = uses[i as usize].saturating_add(1);
            }
        }
        missing += refs.iter().filter(|&&i| i == MISSING).count();
    }

    let mut builder = NetworkBuilder::new(NetworkSource::Osm);
    let mut graph_node = vec![MISSING; nodes.len()];
    // Distinct OSM nodes at the very same position (a data error validators flag) become one
    // graph node: the same identity as the 7-decimal node key of GeoJSON roads.
    let mut at_position: HashMap<(i32, i32), u32> = HashMap::new();
    let mut merged = 0;
    let position = |i: u32| {
        let n = nodes[i as usize];
        [degrees(n.1), degrees(n.2)]
    };
    let mut node_id = |builder: &mut NetworkBuilder, i: u32| {
        if graph_node[i as usize] == MISSING {
            let n = nodes[i as usize];
            graph_node[i as usize] = match at_position.entry((n.1, n.2)) {
                Entry::Occupied(o) => {
                    merged += 1;
                    *o.get()
                }
                Entry::Vacant(v) => *v.insert(builder.add_node(position(i))),
            };
        }
        graph_node[i as usize]
    };
    let mut geometry = Vec::new();
    for (way, refs) in ways.iter().zip(&resolved) {
        let attrs = EdgeAttributes {
            class: &way.class,
            oneway: Some(way.oneway),
            tagged_speed_kph: way.maxspeed_kph[0],
            tagged_backward_speed_kph: way.maxspeed_kph[1],
            name: way.name.as_deref(),
            road_ref: way.road_ref.as_deref(),
            osm_way_id: way.id,
            access: way.access,
        };
        for run in refs.split(|&i| i == MISSING).filter(|r| r.len() >= 2) {
            let mut start = node_id(&mut builder, run[0]);
            geometry.clear();
            geometry.push(position(run[0]));
            for &i in &run[1..] {
                geometry.push(position(i));
                if uses[i as usize] >= 2 {
                    let end = node_id(&mut builder, i);
                    builder.add_edge(start, end, &geometry, &attrs);
                    start = end;
                    geometry.clear();
                    geometry.push(position(i));
                }
            }
        }
    }
    let report = builder.report_mut();
    report.ways_kept = ways.len();
    report.ways_excluded = excluded;
    report.ways_restricted = ways.iter().filter(|w| w.access != Access::Public).count();
    report.missing_node_refs = missing;
    report.merged_duplicate_nodes = merged;
    builder.finish()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    use super::*;

    fn way(id: i64, refs: Vec<i64>) -> WayRecord {
        WayRecord {
            id,
            refs,
            class: "residential".into(),
            oneway: Direction::Both,
            maxspeed_kph: [None; 2],
            name: None,
            road_ref: None,
            access: Access::Public,
        }
    }

    /// The reference: a node splits when it is referenced twice or more in all ways, or ends a
    /// run of present nodes; each way is cut at every split node. Edges as lists of node ids.
    fn reference_split(present: &HashMap<i64, [i32; 2]>, ways: &[Vec<i64>]) -> Vec<Vec<i64>> {
        let mut count: HashMap<i64, usize> = HashMap::new();
        let runs: Vec<Vec<Vec<i64>>> = ways
            .iter()
            .map(|w| {
                w.split(|id| !present.contains_key(id))
                    .filter(|r| !r.is_empty())
                    .map(|r| r.to_vec())
                    .collect()
            })
            .collect();
        for run in runs.iter().flatten() {
            for id in run {
                *count.entry(*id).or_default() += 1;
            }
            *count.entry(run[0]).or_default() += 2;
            *count.entry(*run.last().unwrap()).or_default() += 2;
        }
        let mut edges = Vec::new();
        for run in runs.iter().flatten().filter(|r| r.len() >= 2) {
            let mut current = vec![run[0]];
            for id in &run[1..] {
                current.push(*id);
                if count[id] >= 2 {
                    edges.push(std::mem::replace(&mut current, vec![*id]));
                }
            }
        }
        edges
    }

    proptest! {
        #![proptest_config(Config { cases: 300, rng_seed: RngSeed::Fixed(2026), failure_persistence: None, ..Config::default() })]

        /// Splitting equals the reference on random ways over a small pool of nodes, some
        /// missing from the file, with repeated nodes, loops and shared nodes.
        #[test]
        fn split_matches_reference(
            ways in prop::collection::vec(prop::collection::vec(0i64..25, 2..9), 1..8),
            missing in prop::collection::btree_set(0i64..25, 0..4),
        ) {
            let nodes: Vec<(i64, i32, i32)> = (0..25)
                .filter(|id| !missing.contains(id))
                .map(|id| (id, (id as i32 % 5) * 10_000, (id as i32 / 5) * 10_000))
                .collect();
            let present: HashMap<i64, [i32; 2]> = nodes.iter().map(|n| (n.0, [n.1, n.2])).collect();
            let records: Vec<WayRecord> = ways.iter().enumerate().map(|(i, w)| way(i as i64 + 1, w.clone())).collect();
            let network = split_ways(&nodes, &records, 0);
            let expected = reference_split(&present, &ways);
            prop_assert_eq!(network.edges.len(), expected.len());
            for (e, refs) in expected.iter().enumerate() {
                let pos = |id: i64| [degrees(present[&id][0]), degrees(present[&id][1])];
                let geometry: Vec<[f64; 2]> = refs.iter().map(|&id| pos(id)).collect();
                prop_assert_eq!(network.geometry(e), &geometry[..]);
                prop_assert_eq!(network.nodes[network.edges[e].from as usize], pos(refs[0]));
                prop_assert_eq!(network.nodes[network.edges[e].to as usize], pos(*refs.last().unwrap()));
            }
            let total_missing: usize = ways.iter().flatten().filter(|id| missing.contains(id)).count();
            prop_assert_eq!(network.report.missing_node_refs, total_missing);
        }
    }

    #[test]
    fn shared_node_splits_both_ways_and_closed_way_is_a_loop() {
        let nodes: Vec<(i64, i32, i32)> = (1..=6).map(|id| (id, id as i32 * 1000, 0)).collect();
        let ways = vec![
            way(1, vec![1, 2, 3]),
            way(2, vec![4, 2, 5]),
            way(3, vec![6, 6]),
        ];
        let net = split_ways(&nodes, &ways, 0);
        let ends: Vec<(u32, u32)> = net.edges.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(ends.len(), 5, "1-2, 2-3, 4-2, 2-5 and the loop 6-6");
        assert_eq!(ends[4].0, ends[4].1);
        assert_eq!(net.nodes.len(), 6);
    }

    #[test]
    fn maxspeed_forms() {
        assert_eq!(parse_maxspeed_kph("80"), Some(80.0));
        assert_eq!(parse_maxspeed_kph(" 40kmh"), Some(40.0));
        assert_eq!(parse_maxspeed_kph("RU:urban"), None);
        assert_eq!(parse_maxspeed_kph("50;30"), None);
        assert_eq!(parse_maxspeed_kph("none"), None);
        assert_eq!(parse_maxspeed_kph(""), None);
    }
}
