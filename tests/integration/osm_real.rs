//! The OSM loader on real extracts, against an independent count from the raw osmpbf elements.

use std::collections::{HashMap, HashSet};

use osmpbf::{Element, ElementReader};
use patrolmap::network::{
    self, export, road_geojson, Direction, NoProgress, Profile, ProfileGraph, TravelMode,
};

use crate::common::{haversine, shared_data};

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

struct Expected {
    nodes: usize,
    edges: usize,
    length_m: f64,
}

/// Reads the file sequentially with osmpbf's element reader and a hash map, splits ways at
/// nodes used twice or at run ends, and counts.
fn independent_count(name: &str) -> Expected {
    let mut coords: HashMap<i64, [f64; 2]> = HashMap::new();
    let mut ways: Vec<Vec<i64>> = Vec::new();
    ElementReader::from_path(shared_data(name))
        .unwrap()
        .for_each(|element| match element {
            Element::DenseNode(n) => {
                coords.insert(n.id(), [n.lon(), n.lat()]);
            }
            Element::Node(n) => {
                coords.insert(n.id(), [n.lon(), n.lat()]);
            }
            Element::Way(w) => {
                let tags: HashMap<&str, &str> = w.tags().collect();
                let Some(highway) = tags.get("highway") else {
                    return;
                };
                // Private, destination and delivery roads are kept (police may drive them);
                // `access=no` only when neither emergency services nor police may.
                let allowed = |key: &str| {
                    matches!(tags.get(key), Some(&"yes" | &"designated" | &"permissive"))
                };
                let closed = tags.get("access") == Some(&"no")
                    && !allowed("emergency")
                    && !allowed("police");
                let excluded =
                    tags.get("area") == Some(&"yes") || closed || NOT_ROADS.contains(highway);
                if !excluded {
                    ways.push(w.refs().collect());
                }
            }
            _ => {}
        })
        .unwrap();
    let runs: Vec<Vec<i64>> = ways
        .iter()
        .flat_map(|w| {
            w.split(|id| !coords.contains_key(id))
                .map(|r| r.to_vec())
                .collect::<Vec<_>>()
        })
        .filter(|r| !r.is_empty())
        .collect();
    let mut uses: HashMap<i64, u32> = HashMap::new();
    for run in &runs {
        for id in run {
            *uses.entry(*id).or_default() += 1;
        }
        for end in [run[0], *run.last().unwrap()] {
            *uses.entry(end).or_default() += 2;
        }
    }
    // Graph nodes are told apart by position, so duplicate OSM nodes at one place are one node.
    let key = |id: &i64| format!("{:.7},{:.7}", coords[id][0], coords[id][1]);
    let mut nodes = HashSet::new();
    let (mut edges, mut length_m) = (0, 0.0);
    for run in runs.iter().filter(|r| r.len() >= 2) {
        nodes.insert(key(&run[0]));
        for pair in run.windows(2) {
            length_m += haversine(coords[&pair[0]], coords[&pair[1]]);
            if uses[&pair[1]] >= 2 {
                edges += 1;
                nodes.insert(key(&pair[1]));
            }
        }
    }
    Expected {
        nodes: nodes.len(),
        edges,
        length_m,
    }
}

fn check_counts(name: &str) {
    let net = network::load(&shared_data(name), &NoProgress).unwrap();
    let expected = independent_count(name);
    assert_eq!(net.nodes.len(), expected.nodes, "{name}: nodes");
    assert_eq!(net.edges.len(), expected.edges, "{name}: edges");
    let rel = (net.length_m() - expected.length_m).abs() / expected.length_m;
    assert!(
        rel < 1e-9,
        "{name}: length {} vs {}",
        net.length_m(),
        expected.length_m
    );
}

#[test]
fn campo_grande_counts_match_an_independent_reading() {
    check_counts("campo-grande.osm.pbf");
}

#[test]
fn columbus_counts_match_an_independent_reading() {
    check_counts("columbus.osm.pbf");
}

/// Export as GeoJSON, read back: the same edges (ends, lengths, times, directions).
fn check_round_trip(name: &str, mode: TravelMode) {
    let net = network::load(&shared_data(name), &NoProgress).unwrap();
    let profile = Profile::default_for(mode);
    let graph = ProfileGraph::build(&net, &profile);
    let mut out = Vec::new();
    export::write_geojson(&net, &graph, &mut out).unwrap();
    let back = road_geojson::read_str(
        std::str::from_utf8(&out).unwrap(),
        "export.geojson".as_ref(),
    )
    .unwrap();
    let back_graph = ProfileGraph::build(&back, &profile);
    let usable: Vec<usize> = (0..net.edges.len())
        .filter(|&e| graph.is_usable(e))
        .collect();
    assert_eq!(back.edges.len(), usable.len());
    assert_eq!(back.report.skipped_features, 0);
    let used_nodes: HashSet<u32> = usable
        .iter()
        .flat_map(|&e| [net.edges[e].from, net.edges[e].to])
        .collect();
    assert_eq!(
        back.nodes.len(),
        used_nodes.len(),
        "{name}: node count after re-import"
    );
    for (b, &e) in usable.iter().enumerate() {
        let (orig, new) = (&net.edges[e], &back.edges[b]);
        assert_eq!(net.geometry(e), back.geometry(b));
        assert_eq!(orig.length_m, new.length_m);
        assert_eq!(
            graph.edge_forward_time_s[e], back_graph.edge_forward_time_s[b],
            "edge {e} time"
        );
        assert_eq!(
            graph.edge_backward_time_s[e], back_graph.edge_backward_time_s[b],
            "edge {e} time back"
        );
        assert_eq!(graph.edge_direction[e], back_graph.edge_direction[b]);
        assert_eq!(net.nodes[orig.from as usize], back.nodes[new.from as usize]);
        assert_eq!(net.nodes[orig.to as usize], back.nodes[new.to as usize]);
        assert_eq!(net.name(e), back.name(b));
    }
    assert_eq!(graph.arc_count(), back_graph.arc_count());
}

#[test]
fn campo_grande_export_reimports_as_the_same_graph() {
    check_round_trip("campo-grande.osm.pbf", TravelMode::Car);
    check_round_trip("campo-grande.osm.pbf", TravelMode::Foot);
}

#[test]
fn columbus_export_reimports_as_the_same_graph() {
    check_round_trip("columbus.osm.pbf", TravelMode::Car);
}

#[test]
fn profiles_differ_in_roads_and_one_ways() {
    let net = network::load(&shared_data("campo-grande.osm.pbf"), &NoProgress).unwrap();
    let car = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let foot = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Foot));
    let one_way = (0..net.edges.len())
        .filter(|&e| car.edge_direction[e].is_some_and(|d| d != Direction::Both))
        .count();
    assert!(
        one_way > 100,
        "the city centre has one-way streets ({one_way})"
    );
    assert!(foot
        .edge_direction
        .iter()
        .flatten()
        .all(|&d| d == Direction::Both));
    assert!(foot.usable_edge_count() > car.usable_edge_count());
    // Walking is slower than driving on every edge both may use.
    for e in 0..net.edges.len() {
        if car.is_usable(e) && foot.is_usable(e) && net.edges[e].length_m > 0.0 {
            assert!(foot.edge_forward_time_s[e] > car.edge_forward_time_s[e]);
        }
    }
}

/// Porto's ways with `maxspeed:forward`/`:backward`, read straight from the file's elements:
/// each of their edges takes its length at the forward speed along the drawing and at the
/// backward speed against it, and its GeoJSON export reads back with both.
#[test]
fn porto_speeds_per_direction_time_each_way() {
    let name = "porto.osm.pbf";
    let mut tagged: HashMap<i64, (f64, f64)> = HashMap::new();
    ElementReader::from_path(shared_data(name))
        .unwrap()
        .for_each(|element| {
            if let Element::Way(w) = element {
                let tags: HashMap<&str, &str> = w.tags().collect();
                let kph = |key: &str| tags.get(key).and_then(|v| v.trim().parse::<f64>().ok());
                let both = kph("maxspeed");
                if let (Some(f), Some(b)) = (
                    kph("maxspeed:forward").or(both),
                    kph("maxspeed:backward").or(both),
                ) {
                    if f != b {
                        tagged.insert(w.id(), (f, b));
                    }
                }
            }
        })
        .unwrap();
    assert!(
        !tagged.is_empty(),
        "Porto has ways with a speed per direction"
    );
    let net = network::load(&shared_data(name), &NoProgress).unwrap();
    let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    let mut checked = Vec::new();
    for (e, edge) in net.edges.iter().enumerate() {
        let Some(&(f, b)) = tagged.get(&edge.osm_way_id) else {
            continue;
        };
        if !graph.is_usable(e) {
            continue;
        }
        assert_eq!(
            graph.time_s(e as u32, true),
            edge.length_m / (f / 3.6),
            "edge {e}"
        );
        assert_eq!(
            graph.time_s(e as u32, false),
            edge.length_m / (b / 3.6),
            "edge {e}"
        );
        checked.push(e);
    }
    assert!(checked.len() >= tagged.len(), "{checked:?} for {tagged:?}");
    assert_eq!(graph.directed_speed_edge_count(), checked.len());
    // The export keeps each direction's speed.
    let mut out = Vec::new();
    export::write_geojson(&net, &graph, &mut out).unwrap();
    let back = road_geojson::read_str(std::str::from_utf8(&out).unwrap(), "back.geojson".as_ref())
        .unwrap();
    let back_graph = ProfileGraph::build(&back, &Profile::default_for(TravelMode::Car));
    assert_eq!(back_graph.directed_speed_edge_count(), checked.len());
}
