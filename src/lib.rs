//! patrolmap: a GIS patrol and rapid-response planner for police command centres.
//!
//! The layers depend one way: [`network`] (road graphs, loaders, snapping) is used by
//! [`scenario`] (the police layers), [`coverage`] (Dijkstra and PHAST searches, covered
//! length, points, gaps, overlays, tier polygons, one whole [`coverage::assess`]ment),
//! [`patrol`] (patrol lines matched to roads, postman tours, plans and their check),
//! [`optimize`] (where new posts go) and [`tiles`] (vector tiles of the roads by arrival
//! time), which are pure; [`city`] is the domain layer both edges call. Those live in the
//! `patrolmap-core` crate (no HTTP, CLI or database dependency) and are re-exported here.
//! Above them, in this crate: the [`store`] keeps scenario versions in SQLite or PostgreSQL;
//! the [`cli`] and the [`server`] (axum: the API and the command map) do the I/O.
//!
//! ```
//! use patrolmap::network::{self, NoProgress, Profile, ProfileGraph, SnapIndex, TravelMode};
//! let roads = network::load("data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
//! let car = ProfileGraph::build(&roads, &Profile::default_for(TravelMode::Car));
//! let index = SnapIndex::build(&roads, &car);
//! let on_road = index.snap([-54.58, -20.46], 200.0).unwrap();
//! println!("edge {} at {:.0} m", on_road.edge, on_road.offset_m);
//! ```

pub mod basemap;
pub mod cli;
pub mod files;
pub mod server;
pub mod store;

pub use patrolmap_core::{
    city, coverage, describe, live, network, optimize, patrol, scenario, stop, tiles,
};
