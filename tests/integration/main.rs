//! patrolmap's integration tests: one binary, one module per area.

mod access;
mod balanced;
mod basemap;
mod cli;
mod common;
mod coverage;
mod crs;
mod formats;
mod limits;
mod live;
mod mmkwrpp;
mod optimize;
mod osm_real;
mod patrol;
mod polygons;
mod province;
mod road_geojson;
mod same_answer;
mod scenario;
mod server;
mod shift;
mod snap;
mod spec_check;
mod store;
mod work;
