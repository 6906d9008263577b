//! A province made of real cities, for scale tests: copies of loaded road networks placed
//! side by side on a grid (each keeps its shape and lengths, moved to the province's
//! latitude) and joined to their neighbours by motorways, seeded.
//!
//! Hunan runs 14 cities on one map; the shared extracts are three cities. A province of
//! copies has the size and the shape that matter to the engine (dense cities, sparse links
//! between them) without pretending to be real geography.

use super::{EdgeAttributes, NetworkBuilder, RoadNetwork};

/// Earth's radius as the haversine in [`geodesy`] takes it, in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// How the cities are laid out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    /// Cities per row of the grid.
    pub columns: usize,
    /// Open country between neighbouring cities, in metres.
    pub gap_m: f64,
    /// Motorways across each border between grid neighbours.
    pub joins_per_border: usize,
    /// The province's south-west corner, `[lon, lat]`.
    pub origin: [f64; 2],
    /// Seeds which junctions the motorways join.
    pub seed: u64,
}

impl Default for Layout {
    /// Four columns, 8 km apart, two motorways per border, south-west corner at Xiangtan's
    /// latitude.
    fn default() -> Self {
        Layout {
            columns: 4,
            gap_m: 8_000.0,
            joins_per_border: 2,
            origin: [112.0, 27.0],
            seed: 2026,
        }
    }
}

/// The composed province.
#[derive(Debug)]
pub struct Province {
    /// All cities' roads and the motorways joining them.
    pub network: RoadNetwork,
    /// The cities, in the order given.
    pub cities: Vec<ProvinceCity>,
    /// The motorway edges, after every city's edges.
    pub motorways: std::ops::Range<usize>,
}

/// One city of a [`Province`].
#[derive(Clone, Debug, PartialEq)]
pub struct ProvinceCity {
    /// Its name (the source's name and its copy number).
    pub name: String,
    /// Its edges in the province network.
    pub edges: std::ops::Range<usize>,
    /// Its bounds in the province, `[west, south, east, north]`.
    pub bbox: [f64; 4],
}

/// Classes a motorway may start from: the main roads (motorway to tertiary and their links,
/// the first ten drivable classes), likely in a city's main component.
const MAIN_ROADS: &[&str] = super::profile::DRIVABLE.split_at(10).0;

/// Places `cities` (name, roads) on a grid by `layout` and joins each to its right and lower
/// neighbours by `layout.joins_per_border` two-way motorways (class `motorway`, named).
///
/// ```
/// use patrolmap_core::network::{self, province, NoProgress};
/// let city = network::load("../../data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
/// let p = province::compose(&[("a", &city), ("b", &city), ("c", &city)], &province::Layout { columns: 2, ..Default::default() });
/// assert_eq!(p.cities.len(), 3);
/// // a-b across a column border, a-c across a row border: two motorways each.
/// assert_eq!(p.motorways.len(), 4);
/// assert_eq!(p.network.edges.len(), 3 * city.edges.len() + 4);
/// assert!(p.cities[1].bbox[0] > p.cities[0].bbox[2]);
/// ```
pub fn compose(cities: &[(&str, &RoadNetwork)], layout: &Layout) -> Province {
    let columns = layout.columns.max(1);
    // Each city's size in metres, and the grid's column widths and row heights.
    let sizes: Vec<[f64; 2]> = cities.iter().map(|(_, c)| size_m(c)).collect();
    let rows = cities.len().div_ceil(columns);
    let mut widths = vec![0.0f64; columns];
    let mut heights = vec![0.0f64; rows];
    for (i, s) in sizes.iter().enumerate() {
        widths[i % columns] = widths[i % columns].max(s[0]);
        heights[i / columns] = heights[i / columns].max(s[1]);
    }
    let offset = |sizes: &[f64], i: usize| sizes[..i].iter().sum::<f64>() + i as f64 * layout.gap_m;

    let mut builder = NetworkBuilder::new(source_of(cities));
    let mut placed = Vec::with_capacity(cities.len());
    // Per city, its nodes' ids in the province (before the builder renumbers them).
    let mut node_ids: Vec<Vec<u32>> = Vec::with_capacity(cities.len());
    for (i, (name, city)) in cities.iter().enumerate() {
        let corner = [offset(&widths, i % columns), offset(&heights, i / columns)];
        let bbox = city.bbox().unwrap_or_default();
        let moved = |p: [f64; 2]| place(p, bbox, corner, layout.origin);
        let ids: Vec<u32> = city
            .nodes
            .iter()
            .map(|&p| builder.add_node(moved(p)))
            .collect();
        placed.push(add_city(
            &mut builder,
            &format!("{name}-{}", i + 1),
            city,
            &ids,
            moved,
        ));
        node_ids.push(ids);
    }

    // Motorways to the right and lower neighbours, between main-road junctions near the
    // facing sides.
    let mut draws = 0u64;
    let mut draw = || {
        // A fixed mix of the seed and a counter (Fibonacci hashing): seeded, no state to keep.
        draws += 1;
        (layout.seed ^ draws.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_mul(0xBF58_476D_1CE4_E5B9)
            >> 17
    };
    let first_motorway = builder.network.edges.len();
    let mut number = 0;
    for i in 0..cities.len() {
        let right = (i % columns + 1 < columns).then_some(i + 1);
        let below = Some(i + columns);
        for (j, east) in [(right, true), (below, false)] {
            let Some(j) = j.filter(|&j| j < cities.len()) else {
                continue;
            };
            for _ in 0..layout.joins_per_border {
                let (from, to) = if east {
                    (Side::East, Side::West)
                } else {
                    (Side::North, Side::South)
                };
                let a = junction(cities[i].1, from, draw());
                let b = junction(cities[j].1, to, draw());
                let (Some(a), Some(b)) = (a, b) else {
                    continue;
                };
                let (na, nb) = (node_ids[i][a], node_ids[j][b]);
                let line = [
                    builder.network.nodes[na as usize],
                    builder.network.nodes[nb as usize],
                ];
                number += 1;
                builder.add_edge(
                    na,
                    nb,
                    &line,
                    &EdgeAttributes {
                        class: "motorway",
                        name: Some(&format!("省际高速 G{number}")),
                        road_ref: Some(&format!("G{number}")),
                        ..Default::default()
                    },
                );
            }
        }
    }
    let motorways = first_motorway..builder.network.edges.len();
    Province {
        network: builder.finish(),
        cities: placed,
        motorways,
    }
}

/// The cities' roads as they lie (several extracts of one region, e.g. one file per city), in
/// one network: a node at the same position in two files is one node, so a road crossing a
/// border joins there.
///
/// ```
/// use patrolmap_core::network::{self, province, NoProgress};
/// let city = network::load("../../data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
/// // The same file twice: every node shared, every edge twice.
/// let p = province::join(&[("a", &city), ("b", &city)]);
/// assert_eq!(p.network.nodes.len(), city.nodes.len());
/// assert_eq!(p.network.edges.len(), 2 * city.edges.len());
/// assert_eq!(p.cities[1].edges, city.edges.len()..2 * city.edges.len());
/// ```
pub fn join(cities: &[(&str, &RoadNetwork)]) -> Province {
    let mut builder = NetworkBuilder::new(source_of(cities));
    let mut at: std::collections::HashMap<[u64; 2], u32> = std::collections::HashMap::new();
    let mut placed = Vec::with_capacity(cities.len());
    for (name, city) in cities {
        let ids: Vec<u32> = city
            .nodes
            .iter()
            .map(|&p| {
                *at.entry([p[0].to_bits(), p[1].to_bits()])
                    .or_insert_with(|| builder.add_node(p))
            })
            .collect();
        placed.push(add_city(&mut builder, name, city, &ids, |p| p));
    }
    let end = builder.network.edges.len();
    Province {
        network: builder.finish(),
        cities: placed,
        motorways: end..end,
    }
}

/// The roads `edges` of `network` (in that order, each as it is) as a network of their own,
/// with its nodes (those of the edges) renumbered: a city's part of a province.
///
/// ```
/// use patrolmap_core::network::{self, province, NoProgress};
/// let city = network::load("../../data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
/// let part = province::part(&city, &[5, 2]);
/// assert_eq!(part.edges.len(), 2);
/// assert_eq!(part.geometry(0), city.geometry(5));
/// assert_eq!(part.name(1), city.name(2));
/// ```
pub fn part(network: &RoadNetwork, edges: &[usize]) -> RoadNetwork {
    let mut builder = NetworkBuilder::new(network.source.unwrap_or(super::NetworkSource::Osm));
    let mut ids = vec![u32::MAX; network.nodes.len()];
    let mut id = |builder: &mut NetworkBuilder, v: u32| {
        if ids[v as usize] == u32::MAX {
            ids[v as usize] = builder.add_node(network.nodes[v as usize]);
        }
        ids[v as usize]
    };
    for &e in edges {
        let edge = &network.edges[e];
        let (from, to) = (id(&mut builder, edge.from), id(&mut builder, edge.to));
        builder.add_edge(from, to, network.geometry(e), &attributes(network, e));
    }
    builder.finish()
}

/// Edge `e`'s attributes as [`NetworkBuilder::add_edge`] takes them.
fn attributes(network: &RoadNetwork, e: usize) -> EdgeAttributes<'_> {
    let edge = &network.edges[e];
    EdgeAttributes {
        class: network.class_name(edge.class),
        oneway: Some(edge.oneway),
        tagged_speed_kph: edge.tagged_speed_kph,
        tagged_backward_speed_kph: edge.tagged_backward_speed_kph,
        name: network.name(e),
        road_ref: network.road_ref(e),
        osm_way_id: edge.osm_way_id,
        access: edge.access,
    }
}

/// The source of the cities' roads (OSM unless the first is a GeoJSON road file).
fn source_of(cities: &[(&str, &RoadNetwork)]) -> super::NetworkSource {
    cities
        .first()
        .and_then(|(_, c)| c.source)
        .unwrap_or(super::NetworkSource::Osm)
}

/// Adds every edge of `city` to `builder`, its nodes as `ids` and its positions `moved`.
fn add_city(
    builder: &mut NetworkBuilder,
    name: &str,
    city: &RoadNetwork,
    ids: &[u32],
    moved: impl Fn([f64; 2]) -> [f64; 2],
) -> ProvinceCity {
    let first_edge = builder.network.edges.len();
    let mut geometry = Vec::new();
    for (e, edge) in city.edges.iter().enumerate() {
        geometry.clear();
        geometry.extend(city.geometry(e).iter().map(|&p| moved(p)));
        builder.add_edge(
            ids[edge.from as usize],
            ids[edge.to as usize],
            &geometry,
            &attributes(city, e),
        );
    }
    let bbox = city.bbox().unwrap_or_default();
    let corners = [moved([bbox[0], bbox[1]]), moved([bbox[2], bbox[3]])];
    ProvinceCity {
        name: name.to_string(),
        edges: first_edge..builder.network.edges.len(),
        bbox: [corners[0][0], corners[0][1], corners[1][0], corners[1][1]],
    }
}

/// A city's width and height in metres (east-west at its middle latitude).
fn size_m(city: &RoadNetwork) -> [f64; 2] {
    let Some([w, s, e, n]) = city.bbox() else {
        return [0.0, 0.0];
    };
    let mid = (s + n) / 2.0;
    [
        (e - w).to_radians() * EARTH_RADIUS_M * mid.to_radians().cos(),
        (n - s).to_radians() * EARTH_RADIUS_M,
    ]
}

/// `p` of a city with bounds `bbox`, moved so that the city's south-west corner is `corner`
/// metres east and north of `origin`; distances are kept by going through metres at the
/// source's and the destination's latitudes.
fn place(p: [f64; 2], bbox: [f64; 4], corner: [f64; 2], origin: [f64; 2]) -> [f64; 2] {
    let y = (p[1] - bbox[1]).to_radians() * EARTH_RADIUS_M;
    let x = (p[0] - bbox[0]).to_radians() * EARTH_RADIUS_M * p[1].to_radians().cos();
    let lat = origin[1] + ((corner[1] + y) / EARTH_RADIUS_M).to_degrees();
    let lon =
        origin[0] + ((corner[0] + x) / (EARTH_RADIUS_M * lat.to_radians().cos())).to_degrees();
    [lon, lat]
}

#[derive(Clone, Copy)]
enum Side {
    East,
    West,
    North,
    South,
}

/// A node of `city` (its own index) at an end of a main road in the tenth of the city nearest
/// `side`, chosen by `draw`; any road's end when no main road is there.
fn junction(city: &RoadNetwork, side: Side, draw: u64) -> Option<usize> {
    let [w, s, e, n] = city.bbox()?;
    let near = |p: [f64; 2]| match side {
        Side::East => p[0] >= e - 0.1 * (e - w),
        Side::West => p[0] <= w + 0.1 * (e - w),
        Side::North => p[1] >= n - 0.1 * (n - s),
        Side::South => p[1] <= s + 0.1 * (n - s),
    };
    let ends = |main: bool| -> Vec<usize> {
        let mut v: Vec<usize> = city
            .edges
            .iter()
            .filter(|edge| !main || MAIN_ROADS.contains(&city.class_name(edge.class)))
            .flat_map(|edge| [edge.from as usize, edge.to as usize])
            .filter(|&v| near(city.nodes[v]))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut candidates = ends(true);
    if candidates.is_empty() {
        candidates = ends(false);
    }
    if candidates.is_empty() {
        return None;
    }
    Some(candidates[(draw % candidates.len() as u64) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::geodesy;

    #[test]
    fn a_moved_city_keeps_its_lengths() {
        let bbox = [-8.7, 41.1, -8.5, 41.2];
        let (a, b) = ([-8.65, 41.12], [-8.55, 41.18]);
        let corner = [5_000.0, 20_000.0];
        let d0 = geodesy::haversine_m(a, b);
        let d1 = geodesy::haversine_m(
            place(a, bbox, corner, [112.0, 27.0]),
            place(b, bbox, corner, [112.0, 27.0]),
        );
        assert!((d0 - d1).abs() / d0 < 0.01, "{d0} vs {d1}");
        let sw = place([bbox[0], bbox[1]], bbox, corner, [112.0, 27.0]);
        assert!((geodesy::haversine_m([112.0, sw[1]], sw) - 5_000.0).abs() < 10.0);
    }
}
