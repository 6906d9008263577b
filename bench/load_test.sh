#!/usr/bin/env bash
# The server under load: Porto (../shared/data) with 200 seeded units and 50 checkpoints, a
# release build, a planner's token, then examples/load_test.rs: 40 clients, what-if updates and
# the tiles of each new revision, for 60 s, on loopback. Results in BENCHMARKS.md.
#
#   bench/load_test.sh [CLIENTS] [SECONDS] [THINK_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients="${1:-40}" seconds="${2:-60}" think="${3:-0}"
porto=../shared/data/porto.osm.pbf
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release --quiet --bin patrolmap --example load_test
bin=target/release/patrolmap
"$bin" scenario random --roads "$porto" --units 200 --checkpoints 50 --seed 7 -o "$work/s.geojson" >/dev/null
token="$("$bin" user add load --role planner --db "$work/s.db" 2>/dev/null)"
"$bin" serve --roads "$porto" --scenario "$work/s.geojson" --db "$work/s.db" --addr 127.0.0.1:0 \
    >"$work/out" 2>"$work/log" &
server=$!
for _ in $(seq 1 120); do grep -q "command map" "$work/out" 2>/dev/null && break; sleep 0.5; done
url="$(head -1 "$work/out" | awk '{print $NF}' | sed 's#/$##')"
echo "server at $url (pid $server)"
target/release/examples/load_test --url "$url" --token "$token" --clients "$clients" \
    --seconds "$seconds" --think-ms "$think" --json "${LOAD_JSON:-/dev/null}"
echo "server peak memory: $(grep VmHWM /proc/$server/status | awk '{print $2/1024 " MB"}')"
