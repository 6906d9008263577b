#!/usr/bin/env python3
"""Patrol route peers, side by side with patrolmap on the very same instance.

The instance is what `patrolmap patrol plan --instance FILE` solved: the car graph of the
road file (one-ways as they are), the required edges of every mandatory line, the
checkpoints (dwell) and the units' depots, with patrolmap's own figures.

Peers:
- OR-tools (routing library): a VRP with each line and each checkpoint as a stop (a line in
  either direction when all its edges are two-way; a disjunction picks one), service time
  inside the arc cost, guided local search for --seconds; for K > 1 units the longest route
  is minimised (global span cost) before the total.
- PyVRP (hybrid genetic search for vehicle routing): the GVRP transform its docs describe,
  each line and each checkpoint a group of one client per direction it may be driven (a
  required, mutually exclusive group: exactly one is visited), the pass's own time as the
  client's service duration. PyVRP minimises the total; for K > 1 units the longest route
  is found by bisecting a shift limit on every vehicle (its `shift_duration`): a first solve
  without a limit, then rounds that keep the shortest limit PyVRP meets, --seconds in all.
- postman_problems (rural postman, undirected, networkx): the required graph is made
  connected with shortest paths first (its RPP needs it), the package's own odd-node
  matching and Euler circuit run, and then the route is repaired for one-ways: every edge
  it drives against its one-way is replaced by the shortest legal path. One unit only.

Every plan is costed the same way: driving on the real directed graph plus dwell. Prints a
table and writes JSON with --json.

    cargo build --release
    target/release/patrolmap scenario patrol --roads ../shared/data/porto.osm.pbf --seed 5 -o /tmp/porto-patrol.geojson
    target/release/patrolmap patrol plan --roads ../shared/data/porto.osm.pbf \\
        --scenario /tmp/porto-patrol.geojson --units 1 --shift-s 48h --instance /tmp/inst1.json
    python3 bench/patrol_peers.py /tmp/inst1.json --seconds 300 --peers ortools,pyvrp
"""

import argparse
import json
import sys
import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra


def load(path):
    with open(path) as f:
        inst = json.load(f)
    n = inst["nodes"]
    rows, cols, times = [], [], []
    edge = {}
    for e, a, b, t, fwd, bwd, t_back in inst["edges"]:
        edge[e] = (a, b, t, fwd, bwd, t_back)
        if fwd:
            rows.append(a), cols.append(b), times.append(t)
        if bwd:
            rows.append(b), cols.append(a), times.append(t_back)
    # Parallel arcs: keep the quickest (csr_matrix would add them up).
    best = {}
    for a, b, t in zip(rows, cols, times):
        if (a, b) not in best or t < best[(a, b)]:
            best[(a, b)] = t
    keys = list(best)
    graph = csr_matrix(
        ([max(best[k], 1e-9) for k in keys], ([k[0] for k in keys], [k[1] for k in keys])), shape=(n, n)
    )
    return inst, edge, graph


def step_ends(edge, e, forward):
    a, b = edge[e][0], edge[e][1]
    return (a, b) if forward else (b, a)


def allowed(edge, e, forward):
    return edge[e][3] if forward else edge[e][4]


def step_time(edge, e, forward):
    """Each direction its own time (OSM maxspeed:forward/backward)."""
    return edge[e][2] if forward else edge[e][5]


class Costs:
    """Shortest times between nodes, cached by source."""

    def __init__(self, graph):
        self.graph = graph
        self.rows = {}

    def prime(self, sources):
        todo = [s for s in set(sources) if s not in self.rows]
        for i in range(0, len(todo), 64):
            chunk = todo[i : i + 64]
            d = dijkstra(self.graph, directed=True, indices=chunk)
            for s, row in zip(chunk, d):
                self.rows[s] = row.astype(np.float32)

    def __call__(self, a, b):
        if a == b:
            return 0.0
        if a not in self.rows:
            self.prime([a])
        return float(self.rows[a][b])


def tasks_of(inst, edge):
    """Each task's variants: (entry node, exit node, steps, internal time without joins)."""
    tasks = []
    for line in inst["lines"]:
        variants = []
        for reverse in (False, True):
            steps = [(e, (not f) if reverse else f) for e, f in (reversed(line) if reverse else line)]
            if all(allowed(edge, e, f) for e, f in steps):
                variants.append(steps)
        if not variants:  # drawn against a one-way somewhere: each edge its allowed way
            variants.append([(e, f if allowed(edge, e, f) else not f) for e, f in line])
        tasks.append(("line", variants, 0.0))
    for c in inst["checkpoints"]:
        e = c["edge"]
        variants = [[(e, f)] for f in (True, False) if allowed(edge, e, f)]
        tasks.append(("checkpoint", variants, c["dwell_s"]))
    return tasks


def variant_cost(costs, edge, steps):
    """Driving through a variant's steps in order (joining gaps by shortest paths)."""
    total = 0.0
    for i, (e, f) in enumerate(steps):
        total += step_time(edge, e, f)
        if i + 1 < len(steps):
            total += costs(step_ends(edge, e, f)[1], step_ends(edge, *steps[i + 1])[0])
    return total


def route_time(costs, edge, depot, visits):
    """A route's driving plus dwell: depot, each visited variant (steps, dwell), depot."""
    at, total = depot, 0.0
    for steps, dwell in visits:
        total += costs(at, step_ends(edge, *steps[0])[0]) + variant_cost(costs, edge, steps) + dwell
        at = step_ends(edge, *steps[-1])[1]
    return total + costs(at, depot)


def ortools_plan(inst, edge, costs, seconds):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    depots = inst["depots"]
    k = len(depots)
    tasks = tasks_of(inst, edge)
    nodes = []  # (task, steps, dwell) per routing node after the depots
    for t, (_, variants, dwell) in enumerate(tasks):
        for steps in variants:
            nodes.append((t, steps, dwell))
    entry = [d for d in depots] + [step_ends(edge, *s[0])[0] for _, s, _ in nodes]
    exit_ = [d for d in depots] + [step_ends(edge, *s[-1])[1] for _, s, _ in nodes]
    costs.prime(exit_)
    inner = [0.0] * k + [variant_cost(costs, edge, s) + dw for _, s, dw in nodes]
    size = len(entry)
    scale = 10  # deciseconds: the solver takes integers
    matrix = np.zeros((size, size), dtype=np.int64)
    for i in range(size):
        row = costs.rows[exit_[i]]
        matrix[i, :] = np.round((inner[i] + row[entry]) * scale).astype(np.int64)
        matrix[i, i] = 0
    manager = pywrapcp.RoutingIndexManager(size, k, list(range(k)), list(range(k)))
    routing = pywrapcp.RoutingModel(manager)

    def arc(i, j):
        return int(matrix[manager.IndexToNode(i), manager.IndexToNode(j)])

    cb = routing.RegisterTransitCallback(arc)
    routing.SetArcCostEvaluatorOfAllVehicles(cb)
    if k > 1:
        routing.AddDimension(cb, 0, int(1e12), True, "time")
        routing.GetDimensionOrDie("time").SetGlobalSpanCostCoefficient(100)
    by_task = {}
    for n, (t, _, _) in enumerate(nodes):
        by_task.setdefault(t, []).append(manager.NodeToIndex(k + n))
    for indices in by_task.values():
        routing.AddDisjunction(indices, int(1e12), 1)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.seconds = int(seconds)
    start = time.time()
    solution = routing.SolveWithParameters(params)
    elapsed = time.time() - start
    if solution is None:
        return None
    routes = []
    for v in range(k):
        i = routing.Start(v)
        visits = []
        while not routing.IsEnd(i):
            node = manager.IndexToNode(i)
            if node >= k:
                _, steps, dwell = nodes[node - k]
                visits.append((steps, dwell))
            i = solution.Value(routing.NextVar(i))
        routes.append(route_time(costs, edge, depots[v], visits))
    return {"peer": "OR-tools GLS", "longest_s": max(routes), "total_s": sum(routes), "seconds": elapsed}


def pyvrp_plan(inst, edge, costs, seconds):
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    depots = inst["depots"]
    k = len(depots)
    tasks = tasks_of(inst, edge)
    nodes = []  # (task, steps, dwell) per client, in the order added
    for t, (_, variants, dwell) in enumerate(tasks):
        for steps in variants:
            nodes.append((t, steps, dwell))
    entry = list(depots) + [step_ends(edge, *s[0])[0] for _, s, _ in nodes]
    exit_ = list(depots) + [step_ends(edge, *s[-1])[1] for _, s, _ in nodes]
    costs.prime(exit_)
    inner = [0.0] * k + [variant_cost(costs, edge, s) + dw for _, s, dw in nodes]
    scale = 10  # deciseconds: PyVRP takes integers
    travel = np.zeros((len(entry), len(entry)), dtype=np.int64)
    for i in range(len(entry)):
        travel[i, :] = np.round(costs.rows[exit_[i]][entry] * scale).astype(np.int64)
        travel[i, i] = 0
    service = [int(round(x * scale)) for x in inner]

    def solve(limit, budget):
        m = Model()
        locations = [m.add_location(0, 0) for _ in entry]
        for v in range(k):
            d = m.add_depot(locations[v])
            m.add_vehicle_type(num_available=1, start_depot=d, end_depot=d,
                               **({} if limit is None else {"shift_duration": int(limit)}))
        groups = {}
        for n, (t, _, _) in enumerate(nodes):
            if t not in groups:
                groups[t] = m.add_client_group(required=True)
            m.add_client(locations[k + n], service_duration=service[k + n], required=False, group=groups[t])
        for i, a in enumerate(locations):
            row = travel[i]
            for j, b in enumerate(locations):
                # The cost of going to j includes j's own pass: the objective is the time.
                if i != j:
                    m.add_edge(a, b, distance=int(row[j]) + service[j], duration=int(row[j]))
        result = m.solve(stop=MaxRuntime(budget), display=False)
        if not result.best.is_feasible():
            return None
        routes = [0.0] * k
        for route in result.best.routes():
            visits = [(nodes[a.idx][1], nodes[a.idx][2]) for a in route if a.is_client()]
            routes[route.vehicle_type()] = route_time(costs, edge, depots[route.vehicle_type()], visits)
        return routes

    start = time.time()
    rounds = 1 if k == 1 else 6
    best = solve(None, seconds / rounds)
    if best is None:
        return None
    low = inst["patrolmap"]["longest_lower_bound_s"]
    high = max(best)
    for _ in range(rounds - 1):
        left = seconds - (time.time() - start)
        if left <= 1:
            break
        limit = (low + high) / 2
        routes = solve(limit * scale, left / max(1, rounds - 1))
        if routes is not None and max(routes) < high:
            best, high = routes, max(routes)
        else:
            low = limit
    elapsed = time.time() - start
    return {"peer": "PyVRP HGS (GVRP)", "longest_s": max(best), "total_s": sum(best), "seconds": elapsed}


def postman_plan(inst, edge, costs, graph):
    """postman_problems' rural postman, one unit, repaired for one-ways."""
    import networkx as nx
    import pandas as pd
    from postman_problems import graph as ppg

    # Compatibility with networkx 3 (the package was written for networkx 2.0): matching
    # returns a set of pairs now, not a dict.
    def dedupe_matching(matching):
        pairs = matching.items() if isinstance(matching, dict) else matching
        return list({tuple(sorted(p)) for p in pairs})

    ppg.dedupe_matching = dedupe_matching

    depot = inst["depots"][0]
    required = set()
    for line in inst["lines"]:
        required.update(e for e, _ in line)
    required.update(c["edge"] for c in inst["checkpoints"])
    dwell = sum(c["dwell_s"] for c in inst["checkpoints"])
    start = time.time()
    # The undirected graph the package works on (one-ways ignored: its model has none).
    und = nx.Graph()
    for e, (a, b, t, fwd, bwd) in edge.items():
        if a != b and (not und.has_edge(a, b) or und[a][b]["distance"] > t):
            und.add_edge(a, b, distance=t, id=e)
    # Its RPP needs the required graph connected: join the pieces (and the depot) with
    # shortest paths, nearest piece first, and make those paths required too.
    req_graph = nx.Graph()
    for e in required:
        a, b = edge[e][0], edge[e][1]
        req_graph.add_edge(a, b)
    req_graph.add_node(depot)
    pieces = [set(c) for c in nx.connected_components(req_graph)]
    joined = set(next(p for p in pieces if depot in p))
    rest = [p for p in pieces if depot not in p]
    join_edges = set()
    while rest:
        dist, paths = nx.multi_source_dijkstra(und, joined, weight="distance")
        best = min(rest, key=lambda p: min(dist.get(v, float("inf")) for v in p))
        target = min(best, key=lambda v: dist.get(v, float("inf")))
        path = paths[target]
        join_edges.update(tuple(sorted(w)) for w in zip(path, path[1:]))
        joined |= best | set(path)
        rest.remove(best)
    # Required by node pair: where two roads join the same nodes the graph keeps the quicker.
    required_pairs = {tuple(sorted(edge[e][:2])) for e in required}
    rows = []
    for a, b, data in und.edges(data=True):
        key = tuple(sorted((a, b)))
        is_required = key in required_pairs or key in join_edges
        rows.append((str(a), str(b), data["distance"], int(is_required), data["id"]))
    el = pd.DataFrame(rows, columns=["start_node", "end_node", "distance", "required", "id"])
    # The package's reader indexes rows by position, which pandas 3 no longer allows: the same
    # graph, built directly.
    g_full = nx.MultiGraph()
    for a, b, distance, is_required, e in el.itertuples(index=False):
        g_full.add_edge(a, b, distance=distance, required=is_required, id=e)
    g_req = ppg.create_required_graph(g_full)
    ppg.assert_graph_is_connected(g_req)
    odd = ppg.get_odd_nodes(g_req)
    # Odd-pair distances with one Dijkstra per odd node (the package's per-pair Dijkstra
    # would take hours on a city).
    odd_int = [int(v) for v in odd]
    dist = {}
    for v in odd_int:
        lengths = nx.single_source_dijkstra_path_length(und, v, weight="distance")
        for w in odd_int:
            if w > v:
                dist[(str(v), str(w))] = lengths[w]
    complete = ppg.create_complete_graph(dist, flip_weights=True)
    matching = ppg.dedupe_matching(nx.algorithms.max_weight_matching(complete, True))
    g_aug = ppg.add_augmenting_path_to_graph(g_req, matching)
    circuit = list(ppg.create_eulerian_circuit(g_aug, g_full, str(depot)))
    solve_s = time.time() - start
    # Drive it on the directed graph: each edge its legal way, else the shortest legal path.
    at, driving, repaired = depot, 0.0, 0
    for a, b, _key, data in circuit:
        a, b = int(a), int(b)
        if at != a:
            driving += costs(at, a)
        e = data["id"]
        ea, eb = edge[e][0], edge[e][1]
        forward = (ea, eb) == (a, b)
        if allowed(edge, e, forward):
            driving += step_time(edge, e, forward)
        else:
            driving += costs(a, b)
            repaired += 1
        at = b
    driving += costs(at, depot)
    total = driving + dwell
    return {"peer": "postman_problems RPP (repaired)", "longest_s": total, "total_s": total,
            "seconds": solve_s, "one_way_repairs": repaired}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("instance", help="JSON from patrolmap patrol plan --instance")
    parser.add_argument("--seconds", type=float, default=300, help="each peer's time limit")
    parser.add_argument("--skip-postman", action="store_true")
    parser.add_argument("--peers", default="ortools,pyvrp", help="which of ortools, pyvrp to run")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    inst, edge, graph = load(args.instance)
    costs = Costs(graph)
    ours = inst["patrolmap"]
    results = [{"peer": "patrolmap", "longest_s": ours["longest_s"], "total_s": ours["total_s"], "seconds": ours["seconds"]}]
    if len(inst["depots"]) == 1 and not args.skip_postman:
        results.append(postman_plan(inst, edge, costs, graph))
    peers = args.peers.split(",")
    if "ortools" in peers:
        r = ortools_plan(inst, edge, costs, args.seconds)
        if r:
            results.append(r)
    if "pyvrp" in peers:
        r = pyvrp_plan(inst, edge, costs, args.seconds)
        if r:
            results.append(r)
    total_lb, longest_lb = ours["total_lower_bound_s"], ours["longest_lower_bound_s"]
    print(f"{len(inst['depots'])} unit(s); lower bounds: total {total_lb:.0f} s, longest {longest_lb:.0f} s")
    print(f"{'planner':<34} {'longest s':>10} {'total s':>10} {'time s':>8} {'gap longest':>12} {'vs patrolmap':>13}")
    for r in results:
        r["longest_gap"] = r["longest_s"] / longest_lb - 1
        r["longest_vs_patrolmap"] = r["longest_s"] / ours["longest_s"]
        print(f"{r['peer']:<34} {r['longest_s']:>10.0f} {r['total_s']:>10.0f} {r['seconds']:>8.1f} "
              f"{100 * r['longest_gap']:>11.1f}% {r['longest_vs_patrolmap']:>12.3f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"instance": args.instance, "results": results}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
