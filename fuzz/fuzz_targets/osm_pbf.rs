//! The OSM PBF reader on arbitrary bytes: an error is fine, a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use patrolmap::network::{osm, NoProgress};

fuzz_target!(|data: &[u8]| {
    let _ = osm::read_pbf_bytes(data, "fuzz.osm.pbf".as_ref(), &NoProgress);
});
