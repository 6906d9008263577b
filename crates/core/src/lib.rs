//! patrolmap's engine: the pure layers below the store, the server and the command line.
//!
//! The layers depend one way: [`network`] (road graphs, loaders, snapping) is used by
//! [`scenario`] (the police layers), [`coverage`] (Dijkstra and PHAST searches, covered
//! length, points, gaps, overlays, tier polygons, one whole [`coverage::assess`]ment),
//! [`patrol`] (patrol lines matched to roads, postman tours, plans and their check),
//! [`optimize`] (where new posts go) and [`tiles`] (vector tiles of the roads by arrival
//! time), which are pure (no network, no printing, no files but the road and scenario files
//! they are asked to read); [`city`] is the domain layer every front end calls: a road network
//! prepared for every travel mode, and a scenario evaluated on it. Long work is bounded by a
//! [`stop::Stop`].
//!
//! This crate has no HTTP, command-line or database dependency: the `patrolmap` crate above it
//! holds those edges and re-exports these modules as `patrolmap_core::network` and so on.
//!
//! ```
//! use patrolmap_core::network::{self, NoProgress, Profile, ProfileGraph, SnapIndex, TravelMode};
//! let roads = network::load("../../data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
//! let car = ProfileGraph::build(&roads, &Profile::default_for(TravelMode::Car));
//! let index = SnapIndex::build(&roads, &car);
//! let on_road = index.snap([-54.58, -20.46], 200.0).unwrap();
//! println!("edge {} at {:.0} m", on_road.edge, on_road.offset_m);
//! ```

/// `error` with its causes, as one line (`a: b: c`): for messages that travel as text (an API
/// error body), where the chain of sources would otherwise be lost.
///
/// ```
/// let e = patrolmap_core::scenario::read_geojson_str("{").unwrap_err();
/// assert!(patrolmap_core::describe(&e).starts_with("invalid GeoJSON (a scenario must be a FeatureCollection): "));
/// ```
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

pub mod city;
pub mod coverage;
pub mod crs;
pub mod formats;
pub mod live;
pub mod network;
pub mod optimize;
pub mod patrol;
pub mod scenario;
pub mod stop;
pub mod tiles;
