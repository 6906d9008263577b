#!/usr/bin/env python3
"""Makes data/demo-scenario.geojson, the demo deployment on Campo Grande.

Places points with `patrolmap scenario random` (seeded, on the car roads), then gives them
police roles: fixed posts (kiosks, stations, a sub-bureau), patrol cars, e-bike and foot
patrols, checkpoints and key sites. Run from the repo root after `cargo build --release`:

    python3 scripts/make_demo_scenario.py
"""
import json
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

with open(OUT, "w", encoding="utf-8") as out:
    json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False, indent=1)
print(f"wrote {len(features)} features to {OUT}")
