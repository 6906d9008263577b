//! Writes a profile's roads as GeoJSON in the road format of `spec/coverage.md` §1, so that
//! any other tool can check patrolmap's graph, and patrolmap can read it back unchanged.

use std::io::Write;

use serde_json::{json, Map, Value};

use super::{Direction, ProfileGraph, RoadNetwork};

/// Writes every edge `graph` may use as a `LineString` feature with `highway`, `speed_kph`
/// (along the drawing), `backward_speed_kph` (only where the way back differs: a tool that
/// reads §1 alone then times that direction as the forward one), `oneway` (`"yes"` or `"-1"` when one-way for this mode), `name`, `ref`, `osm_way_id`,
/// `access` (when not public: `destination`, `restricted`, `emergency_only`) and
/// `length_m`.
///
/// ```
/// use patrolmap_core::network::{export::write_geojson, road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"highway":"primary","oneway":"-1","name":"韶山路"},
///   "geometry":{"type":"LineString","coordinates":[[112.9,27.8],[112.91,27.81]]}}]}"#, "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let mut out = Vec::new();
/// write_geojson(&net, &graph, &mut out).unwrap();
/// let back = read_str(std::str::from_utf8(&out).unwrap(), "back.geojson".as_ref()).unwrap();
/// assert_eq!(back.edges[0].length_m, net.edges[0].length_m);
/// assert_eq!(back.edges[0].oneway, patrolmap_core::network::Direction::Backward);
/// assert_eq!(back.edges[0].tagged_speed_kph, Some(60.0));
/// assert_eq!(back.name(0), Some("韶山路"));
/// ```
pub fn write_geojson(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let mut first = true;
    for (e, edge) in network.edges.iter().enumerate() {
        let Some(direction) = graph.edge_direction[e] else {
            continue;
        };
        let mut props = Map::new();
        let class = network.class_name(edge.class);
        if !class.is_empty() {
            props.insert("highway".into(), json!(class));
        }
        props.insert("speed_kph".into(), json!(graph.edge_forward_speed_kph[e]));
        if graph.edge_backward_speed_kph[e] != graph.edge_forward_speed_kph[e] {
            props.insert(
                "backward_speed_kph".into(),
                json!(graph.edge_backward_speed_kph[e]),
            );
        }
        match direction {
            Direction::Forward => {
                props.insert("oneway".into(), json!("yes"));
            }
            Direction::Backward => {
                props.insert("oneway".into(), json!("-1"));
            }
            Direction::Both => {}
        }
        if let Some(name) = network.name(e) {
            props.insert("name".into(), json!(name));
        }
        if let Some(r) = network.road_ref(e) {
            props.insert("ref".into(), json!(r));
        }
        if edge.osm_way_id != 0 {
            props.insert("osm_way_id".into(), json!(edge.osm_way_id));
        }
        if edge.access != crate::network::Access::Public {
            props.insert("access".into(), json!(edge.access.as_str()));
        }
        props.insert("length_m".into(), json!(edge.length_m));
        let feature = json!({
            "type": "Feature",
            "properties": Value::Object(props),
            "geometry": {"type": "LineString", "coordinates": network.geometry(e)},
        });
        if !first {
            out.write_all(b",\n")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &feature)?;
    }
    out.write_all(b"\n]}\n")?;
    Ok(())
}
