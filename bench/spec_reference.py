#!/usr/bin/env python3
"""An independent implementation of spec/coverage.md, on numpy and scipy.

Two uses:
- the integration tests compare patrolmap's node times and covered metres with it on real
  roads (tests/integration/spec_check.rs);
- `cargo bench --bench coverage` times its scipy searches side by side with patrolmap:
  the multi-source search (`dijkstra(indices=..., min_only=True, limit=...)`) and one search
  per unit (what k-coverage needs with scipy).

usage: spec_reference.py ROADS.geojson SCENARIO.geojson --budgets 60,180,300 --k 2
           [--json OUT] [--node-times OUT] [--repeat N] [--search-only]
"""
import argparse
import json
import math
import sys
import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

R = 6371008.8
SPEEDS = {"motorway": 100, "trunk": 80, "primary": 60, "secondary": 50, "tertiary": 40,
          "unclassified": 30, "residential": 30, "service": 15, "living_street": 15}
# scipy's sparse graphs drop explicit zeros: a zero-time arc becomes this instead.
EPS = 1e-300


def hav(a, b):
    p1, p2 = math.radians(a[1]), math.radians(b[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(min(h, 1.0)))


def key(p):
    s = lambda v: ("%.7f" % v).replace("-0.0000000", "0.0000000")
    return s(p[0]) + "," + s(p[1])


def load_roads(path):
    fc = json.load(open(path))
    nodes, coords, edges = {}, [], []
    skipped = 0
    for f in fc["features"]:
        g = f.get("geometry")
        if not g or g.get("type") != "LineString" or len(g.get("coordinates", [])) < 2:
            skipped += 1
            continue
        line = [(float(p[0]), float(p[1])) for p in g["coordinates"]]
        props = f.get("properties") or {}

        def node(p):
            k = key(p)
            if k not in nodes:
                nodes[k] = len(coords)
                coords.append(p)
            return nodes[k]

        u, v = node(line[0]), node(line[-1])
        seglens = [hav(line[i], line[i + 1]) for i in range(len(line) - 1)]
        length = 0.0
        for s in seglens:
            length += s
        def speed(v):
            return v if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0 else None
        sp = speed(props.get("speed_kph")) or SPEEDS.get(props.get("highway"), 25)
        # patrolmap's own extension: a speed per direction (none in a §1 file: both are sp).
        sp_f = speed(props.get("forward_speed_kph")) or sp
        sp_b = speed(props.get("backward_speed_kph")) or sp
        ow = props.get("oneway")
        fwd = not (ow == "-1" or (isinstance(ow, (int, float)) and not isinstance(ow, bool) and ow == -1))
        bwd = not (ow == "yes" or ow is True)
        edges.append(dict(u=u, v=v, line=line, seglens=seglens, L=length, Tf=length / (sp_f / 3.6), Tb=length / (sp_b / 3.6), fwd=fwd, bwd=bwd))
    return coords, edges, skipped, nodes


def load_units(path):
    fc = json.load(open(path))
    units = []
    for f in fc["features"]:
        g = f.get("geometry") or {}
        kind = (f.get("properties") or {}).get("kind")
        if g.get("type") == "Point" and kind in (None, "unit", "post"):
            units.append((float(g["coordinates"][0]), float(g["coordinates"][1])))
    return units


def snap(edges, units):
    lats = [p[1] for e in edges for p in e["line"]]
    c = math.cos(math.radians((min(lats) + max(lats)) / 2))
    ax, ay, bx, by, eid, sid = [], [], [], [], [], []
    for i, e in enumerate(edges):
        for j in range(len(e["line"]) - 1):
            a, b = e["line"][j], e["line"][j + 1]
            ax.append(a[0] * c); ay.append(a[1]); bx.append(b[0] * c); by.append(b[1]); eid.append(i); sid.append(j)
    ax, ay, bx, by = map(np.array, (ax, ay, bx, by))
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    out = []
    for (lon, lat) in units:
        px, py = lon * c, lat
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(len2 == 0, 0.0, ((px - ax) * dx + (py - ay) * dy) / len2)
        t = np.clip(t, 0.0, 1.0)
        qx, qy = ax + t * dx - px, ay + t * dy - py
        d2 = qx * qx + qy * qy
        k = int(np.argmin(d2))  # first minimum: lowest feature, then segment
        e = edges[eid[k]]
        j, tk = sid[k], float(t[k])
        before = 0.0
        for s in e["seglens"][:j]:
            before += s
        off = before + tk * hav(e["line"][j], e["line"][j + 1])
        out.append((eid[k], off / e["L"] if e["L"] > 0 else 0.0))
    return out


def build_graph(n, edges, placed):
    """Arcs of the roads plus one virtual source node per unit (n + i)."""
    rows, cols, w = [], [], []
    for e in edges:
        if e["fwd"]:
            rows.append(e["u"]); cols.append(e["v"]); w.append(e["Tf"])
        if e["bwd"]:
            rows.append(e["v"]); cols.append(e["u"]); w.append(e["Tb"])
    for i, (ei, f) in enumerate(placed):
        e = edges[ei]
        if e["fwd"]:
            rows.append(n + i); cols.append(e["v"]); w.append((1 - f) * e["Tf"])
        if e["bwd"]:
            rows.append(n + i); cols.append(e["u"]); w.append(f * e["Tb"])
    rows, cols, w = np.array(rows), np.array(cols), np.array(w, dtype=float)
    w = np.where(w == 0, EPS, w)
    # Parallel arcs: keep the cheapest (a csr_matrix would add them up).
    order = np.lexsort((w, cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    size = n + len(placed)
    return csr_matrix((w[first], (rows[first], cols[first])), shape=(size, size))


def intervals(e, tu, tv, onedge, B):
    out = []
    r = lambda spare, T: spare / T if T > 0 else math.inf
    if e["fwd"] and tu <= B:
        out.append((0.0, min(1.0, r(B - tu, e["Tf"]))))
    if e["bwd"] and tv <= B:
        out.append((max(0.0, 1 - r(B - tv, e["Tb"])), 1.0))
    for g in onedge:
        g = min(max(g, 0.0), 1.0)
        out.append((max(0.0, g - r(B, e["Tb"])) if e["bwd"] else g, min(1.0, g + r(B, e["Tf"])) if e["fwd"] else g))
    return out


def union_measure(iv):
    iv = sorted(iv)
    total, cur = 0.0, None
    for lo, hi in iv:
        if cur and lo <= cur[1]:
            cur[1] = max(cur[1], hi)
        else:
            if cur:
                total += cur[1] - cur[0]
            cur = [lo, hi]
    if cur:
        total += cur[1] - cur[0]
    return total, iv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("roads"); ap.add_argument("scenario")
    ap.add_argument("--budgets", default="60,180,300"); ap.add_argument("--k", type=int, default=1)
    ap.add_argument("--json"); ap.add_argument("--node-times"); ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--search-only", action="store_true")
    a = ap.parse_args()
    budgets = [float(b) for b in a.budgets.split(",")]
    B = max(budgets)
    coords, edges, skipped, nodes = load_roads(a.roads)
    units = load_units(a.scenario)
    placed = snap(edges, units)
    n = len(coords)
    G = build_graph(n, edges, placed)
    src = np.arange(n, n + len(placed))

    def median_ms(f):
        ts = []
        for _ in range(a.repeat):
            s = time.perf_counter(); r = f(); ts.append(time.perf_counter() - s)
        return r, sorted(ts)[len(ts) // 2] * 1e3

    nearest, multi_ms = median_ms(lambda: dijkstra(G, indices=src, min_only=True, limit=B))
    per_unit, per_unit_ms = (None, None)
    if a.k >= 2:
        per_unit, per_unit_ms = median_ms(lambda: dijkstra(G, indices=src, min_only=False, limit=B))
    result = {"scipy_ms": {"multi_source_min_only": multi_ms, "per_unit": per_unit_ms},
              "network": {"nodes": n, "edges": len(edges), "length_m": sum(e["L"] for e in edges), "skipped_features": skipped},
              "units": len(placed)}
    if not a.search_only:
        if per_unit is None:
            per_unit = dijkstra(G, indices=src, min_only=False, limit=B)
        onedge = {}
        for i, (ei, f) in enumerate(placed):
            onedge.setdefault(ei, []).append((i, f))
        rows = []
        total = result["network"]["length_m"]
        for Bb in budgets:
            cov = [0.0] * a.k
            for ei, e in enumerate(edges):
                if e["L"] == 0:
                    continue
                sets = []
                for i in range(len(placed)):
                    tu, tv = per_unit[i, e["u"]], per_unit[i, e["v"]]
                    mine = [g for (j, g) in onedge.get(ei, []) if j == i]
                    if tu > Bb and tv > Bb and not mine:
                        continue
                    m, iv = union_measure(intervals(e, tu, tv, mine, Bb))
                    if iv:
                        sets.append(iv)
                # Sweep the units' merged sets, counting how many cover each stretch.
                events = []
                for iv in sets:
                    merged = []
                    for lo, hi in sorted(iv):
                        if merged and lo <= merged[-1][1]:
                            merged[-1][1] = max(merged[-1][1], hi)
                        else:
                            merged.append([lo, hi])
                    for lo, hi in merged:
                        events += [(lo, 1), (hi, -1)]
                events.sort(key=lambda x: (x[0], -x[1]))
                depth, last = 0, 0.0
                for x, d in events:
                    if depth > 0 and x > last:
                        for j in range(min(depth, a.k)):
                            cov[j] += e["L"] * (x - last)
                    depth += d; last = x
            for j in range(a.k):
                rows.append({"budget_s": Bb, "k": j + 1, "covered_m": cov[j], "share": cov[j] / total})
        result["coverage"] = rows
        if a.node_times:
            t = np.asarray(nearest)[:n]
            inv = {v: k for k, v in nodes.items()}
            json.dump({inv[i]: (float(t[i]) if np.isfinite(t[i]) else None) for i in range(n)}, open(a.node_times, "w"))
    out = json.dumps(result)
    if a.json:
        open(a.json, "w").write(out)
    print(out)


if __name__ == "__main__":
    sys.exit(main())
