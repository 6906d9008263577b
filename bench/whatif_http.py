#!/usr/bin/env python3
"""What-if over HTTP, as the command map does it while a planner drags units.

Start a server first, e.g. on Porto with 200 seeded random units and 50 checkpoints:

    cargo build --release
    target/release/patrolmap scenario random --roads ../shared/data/porto.osm.pbf \\
        --units 200 --checkpoints 50 --seed 7 -o /tmp/porto200.geojson
    target/release/patrolmap serve --roads ../shared/data/porto.osm.pbf \\
        --scenario /tmp/porto200.geojson --addr 127.0.0.1:8093 &
    python3 bench/whatif_http.py http://127.0.0.1:8093 [--close-a-road]

Moves one unit 40 m per request (60 requests, each the whole scenario, as the page sends it)
and prints the median and 90th percentile of the server's own timings and of the round trip.
"""
import json
import statistics
import sys
import time
import urllib.request

base = sys.argv[1].rstrip("/")
scenario = json.load(urllib.request.urlopen(base + "/api/scenario"))
if "--close-a-road" in sys.argv:
    road = json.load(urllib.request.urlopen(base + "/api/roads/at?lon=-8.611&lat=41.149"))
    scenario["features"].append({"type": "Feature", "properties": {"kind": "closure", "id": "works"},
                                 "geometry": road["geometry"]})
units = [f for f in scenario["features"] if f["properties"]["kind"] in ("unit", "post")]
wall, parts = [], {}
for i in range(61):
    unit = units[i % len(units)]
    unit["geometry"]["coordinates"][0] += 0.0005 if i % 2 else -0.0005
    body = json.dumps(scenario).encode()
    start = time.perf_counter()
    request = urllib.request.Request(base + "/api/whatif", data=body,
                                     headers={"content-type": "application/json"})
    raw = urllib.request.urlopen(request).read()
    elapsed_ms = (time.perf_counter() - start) * 1e3
    reply = json.loads(raw)
    if i == 0:
        continue  # the first may build the graphs around a closure
    wall.append(elapsed_ms)
    for key, value in reply["timings_ms"].items():
        parts.setdefault(key, []).append(value)


def row(name, values):
    values = sorted(values)
    print(f"{name:>10} {statistics.median(values):8.2f} {values[int(0.9 * len(values))]:8.2f}")


print(f"{reply['units']} units, engine {reply['engine']}, {reply['closed_edges']} closed edges, "
      f"request body {len(body)} B, response {len(raw)} B; ms:")
print(f"{'':>10} {'median':>8} {'p90':>8}")
for key in ["snap", "search", "coverage", "pieces", "tiers", "points", "total", "request"]:
    row(key, parts[key])
row("round trip", wall)
