#!/usr/bin/env python3
"""Makes data/demo-scenario.geojson, the demo deployment on Campo Grande.

Places points with `patrolmap scenario random` (seeded, on the car roads), then gives them
police roles: fixed posts (kiosks, stations, a sub-bureau), patrol cars, e-bike and foot
patrols, checkpoints, key sites and past incidents; and draws mandatory patrol lines as
seeded walks along the car roads (`patrolmap network export`). Run from the repo root after
`cargo build --release`:

    python3 scripts/make_demo_scenario.py
"""
import json
import math
import random
import subprocess
import tempfile

ROADS = "data/campo-grande.osm.pbf"
OUT = "data/demo-scenario.geojson"

with tempfile.NamedTemporaryFile(suffix=".geojson") as tmp:
    subprocess.run(["target/release/patrolmap", "scenario", "random", "--roads", ROADS,
                    "--units", "20", "--checkpoints", "30", "--seed", "2026", "-o", tmp.name], check=True)
    points = json.load(open(tmp.name))["features"]

units, sites = points[:20], points[20:]
roles = (
    [("post", "kiosk", "car", "岗亭 Kiosk")] * 5
    + [("post", "station", "car", "派出所 Police station")] * 3
    + [("post", "sub_bureau", "car", "分局 Sub-bureau")] * 1
    + [("unit", "patrol", "car", "巡逻车 Patrol car")] * 7
    + [("unit", "patrol", "ebike", "电动车巡逻 E-bike patrol")] * 2
    + [("unit", "patrol", "foot", "步巡 Foot patrol")] * 2
)
features = []
for i, (f, (kind, cls, mode, name)) in enumerate(zip(units, roles)):
    features.append({"type": "Feature", "geometry": f["geometry"], "properties": {
        "kind": kind, "id": f"{cls}-{i + 1}", "name": f"{name} {i + 1}", "class": cls, "mode": mode,
        "turnout_s": 30 if kind == "post" else 0}})
for i, f in enumerate(sites[:24]):
    features.append({"type": "Feature", "geometry": f["geometry"], "properties": {
        "kind": "checkpoint", "id": f"checkpoint-{i + 1}", "name": f"必巡点 Checkpoint {i + 1}", "dwell_s": 300}})
for i, (f, name) in enumerate(zip(sites[24:], ["学校 School", "医院 Hospital", "银行 Bank",
                                               "车站 Bus station", "商场 Mall", "体育场 Stadium"])):
    features.append({"type": "Feature", "geometry": f["geometry"], "properties": {
        "kind": "key_site", "id": f"key-site-{i + 1}", "name": name, "weight": 2}})

# Past incidents: more points on the roads, weighted 1-3.
with tempfile.NamedTemporaryFile(suffix=".geojson") as tmp:
    subprocess.run(["target/release/patrolmap", "scenario", "random", "--roads", ROADS,
                    "--units", "0", "--checkpoints", "40", "--seed", "2027", "-o", tmp.name], check=True)
    incidents = json.load(open(tmp.name))["features"]
rng = random.Random(2026)
for i, f in enumerate(incidents):
    features.append({"type": "Feature", "geometry": f["geometry"], "properties": {
        "kind": "incident", "id": f"incident-{i + 1}", "name": f"警情 Incident {i + 1}",
        "weight": rng.choice([1, 1, 2, 3])}})


def metres(a, b):
    dx = (b[0] - a[0]) * 111_195 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (b[1] - a[1]) * 111_195)


# Patrol lines: walks of about 1 km along two-way car roads, never reusing a road.
with tempfile.NamedTemporaryFile(suffix=".geojson") as tmp:
    subprocess.run(["target/release/patrolmap", "network", "export", ROADS, "--profile", "car",
                    "-o", tmp.name], check=True, stdout=subprocess.DEVNULL)
    roads = [f for f in json.load(open(tmp.name))["features"]
             if f["properties"].get("oneway") in (None, "no", False)]
by_end = {}
for r, f in enumerate(roads):
    c = f["geometry"]["coordinates"]
    for end in (tuple(c[0]), tuple(c[-1])):
        by_end.setdefault(end, []).append(r)
used = set()
for n in range(6):
    start = rng.randrange(len(roads))
    while start in used:
        start = rng.randrange(len(roads))
    line = list(roads[start]["geometry"]["coordinates"])
    used.add(start)
    length = sum(metres(a, b) for a, b in zip(line, line[1:]))
    while length < 1000:
        nexts = [r for r in by_end.get(tuple(line[-1]), []) if r not in used]
        if not nexts:
            break
        r = rng.choice(nexts)
        used.add(r)
        c = roads[r]["geometry"]["coordinates"]
        c = c if tuple(c[0]) == tuple(line[-1]) else c[::-1]
        length += sum(metres(a, b) for a, b in zip(c, c[1:]))
        line.extend(c[1:])
    features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
                     "properties": {"kind": "patrol_line", "id": f"line-{n + 1}",
                                    "name": f"必巡线 Patrol line {n + 1}"}})

with open(OUT, "w", encoding="utf-8") as out:
    json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False, indent=1)
print(f"wrote {len(features)} features to {OUT}")
