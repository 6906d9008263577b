#!/usr/bin/env python3
"""Makes data/demo-speeds.csv, made-up car speeds by time of day for the demo city.

Not measurements: a plausible day on Campo Grande's main roads (primary, secondary, tertiary,
unclassified and their links) for the demo and the docs. Each way and direction drives at a
share of its free-flow speed in each period (a seeded spread round the class's share):
morning rush from 07:00, day from 09:30, evening rush from 17:00, evening from 19:30, free
flow from 22:00 through the night. Residential and service streets are not listed and keep
their free-flow speed, as a traffic feed seldom covers them. Free-flow speeds and way ids
come from `patrolmap network export`. Run from the repo root after `cargo build --release`:

    python3 scripts/make_demo_speeds.py
"""
import json
import os
import random
import subprocess
import tempfile

ROADS = "data/campo-grande.osm.pbf"
OUT = "data/demo-speeds.csv"
PATROLMAP = os.environ.get("PATROLMAP", "target/release/patrolmap")
MAIN = {"primary", "primary_link", "secondary", "secondary_link", "tertiary", "unclassified"}
# Per period, the share of free flow by class (the busier the road, the slower at rush hour).
PERIODS = [
    ("07:00", {"primary": 0.35, "secondary": 0.40, "tertiary": 0.50, "unclassified": 0.60}),
    ("09:30", {"primary": 0.70, "secondary": 0.75, "tertiary": 0.80, "unclassified": 0.85}),
    ("17:00", {"primary": 0.30, "secondary": 0.35, "tertiary": 0.45, "unclassified": 0.55}),
    ("19:30", {"primary": 0.75, "secondary": 0.80, "tertiary": 0.85, "unclassified": 0.90}),
    ("22:00", {"primary": 1.00, "secondary": 1.00, "tertiary": 1.00, "unclassified": 1.00}),
]

with tempfile.NamedTemporaryFile(suffix=".geojson") as tmp:
    subprocess.run([PATROLMAP, "network", "export", ROADS, "-o", tmp.name], check=True)
    edges = json.load(open(tmp.name))["features"]

ways = {}
for e in edges:
    p = e["properties"]
    if p["highway"] in MAIN and p["osm_way_id"] not in ways:
        ways[p["osm_way_id"]] = (p["highway"].removesuffix("_link"), p["speed_kph"], p.get("oneway") == "yes")

rng = random.Random(2026)
rows = ["osm_way_id,direction,time,speed_kph"]
for way in sorted(ways):
    cls, free_kph, oneway = ways[way]
    for direction in ["forward"] if oneway else ["forward", "backward"]:
        spread = rng.uniform(0.85, 1.15)
        for time, share in PERIODS:
            factor = 1.0 if share[cls] == 1.0 else min(1.0, share[cls] * spread)
            rows.append(f"{way},{direction},{time},{free_kph * factor:.1f}")
with open(OUT, "w") as out:
    out.write("\n".join(rows) + "\n")
print(f"wrote {len(rows) - 1} rows for {len(ways)} ways to {OUT}")
