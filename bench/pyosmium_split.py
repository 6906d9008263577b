#!/usr/bin/env python3
"""Peer for `cargo bench --bench network`: the same filter-and-split that patrolmap's OSM
loader does, written with pyosmium.

Reads a .osm.pbf, keeps the car profile's highway ways (as patrolmap does: drivable classes,
no area=yes, no access=no unless emergency or police may), splits them at every node shared with another kept way or
at way ends, and computes each edge's haversine length. Prints one JSON line with the counts
and the time taken inside Python (after interpreter start).
"""
import json
import math
import sys
import time

import osmium

DRIVABLE = {
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "service", "living_street", "road",
}
R = 6371008.8


def haversine(a, b):
    p1, p2 = math.radians(a[1]), math.radians(b[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(min(h, 1.0)))


def main(path):
    start = time.perf_counter()
    ways = []  # (refs, coords)
    for way in osmium.FileProcessor(path).with_locations().with_filter(osmium.filter.KeyFilter("highway")):
        if not way.is_way():
            continue
        tags = way.tags
        closed = tags.get("access") == "no" and not any(
            tags.get(k) in ("yes", "designated", "permissive") for k in ("emergency", "police"))
        if tags.get("highway") not in DRIVABLE or tags.get("area") == "yes" or closed:
            continue
        refs, coords = [], []
        for n in way.nodes:
            if n.location.valid():
                refs.append(n.ref)
                coords.append((n.lon, n.lat))
        if len(refs) >= 2:
            ways.append((refs, coords))
    uses = {}
    for refs, _ in ways:
        for r in refs:
            uses[r] = uses.get(r, 0) + 1
        uses[refs[0]] += 2
        uses[refs[-1]] += 2
    edges, length, nodes = 0, 0.0, set()
    for refs, coords in ways:
        nodes.add(refs[0])
        for i in range(1, len(refs)):
            length += haversine(coords[i - 1], coords[i])
            if uses[refs[i]] >= 2:
                edges += 1
                nodes.add(refs[i])
    elapsed = time.perf_counter() - start
    print(json.dumps({"edges": edges, "nodes": len(nodes), "length_m": length, "seconds": elapsed}))


if __name__ == "__main__":
    main(sys.argv[1])
