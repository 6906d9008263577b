#!/usr/bin/env python3
"""Post placement side by side: patrolmap against HiGHS (a MIP through `highspy`) and PySAL
`spopt` (MCLP with CBC), on the same coverage matrix, in the same run.

patrolmap is run first (`optimize ... --instance FILE --json FILE`); the instance it writes
(demand items merged as patrolmap merges them: weights, how many units each needs, which
candidates reach each) is then given to the peers:

- HiGHS: maximise sum w_i y_i, need_i y_i <= sum_{j reaching i} x_j, sum x_j <= K, x binary,
  y in [0, 1] (binary where need_i > 1), with a time limit and HiGHS's default relative gap
  (1e-4);
- spopt: `MCLP.from_cost_matrix` on a random sample of the demand items (it cannot take
  them all, as the issue found), solved with CBC; its choice is then measured on the whole
  demand. Plain coverage only (items needing one unit).

Shares are of all road length, the existing units' included, as patrolmap reports them.

    python3 bench/optimize_peers.py --patrolmap target/release/patrolmap \\
        --roads ../shared/data/porto.osm.pbf --scenario existing.geojson \\
        --candidates random:2000:6 --add 25 --budget 180 [--units 2] [--seconds 600] \\
        [--patrolmap-seconds 10]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np


def run_patrolmap(args, workdir):
    instance = os.path.join(workdir, "instance.json")
    report = os.path.join(workdir, "report.json")
    cmd = [args.patrolmap, "optimize", "--roads", args.roads, "--scenario", args.scenario,
           "--candidates", args.candidates, "--budget-s", str(args.budget),
           "--units", str(args.units), "--time-limit-s", str(args.patrolmap_seconds),
           "--instance", instance, "--json", report]
    cmd += ["--cover", args.cover] if args.cover else ["--add", str(args.add)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    with open(instance) as f:
        inst = json.load(f)
    with open(report) as f:
        rep = json.load(f)
    return inst, rep, wall


def value(inst, chosen):
    """The weight `chosen` (candidate indices) meets."""
    count = np.zeros(len(inst["weights"]), dtype=np.int64)
    for j in chosen:
        count[inst["covers"][j]] += 1
    need = np.asarray(inst["need"])
    return float(np.asarray(inst["weights"])[count >= need].sum())


def share(inst, v):
    return (inst["existing"] + v) / inst["total"]


def highs(inst, seconds):
    import highspy

    weights = np.asarray(inst["weights"], dtype=float)
    need = np.asarray(inst["need"], dtype=float)
    covers = inst["covers"]
    n, m, k = len(covers), len(weights), inst["k"]
    started = time.perf_counter()
    lp = highspy.HighsLp()
    lp.num_col_ = n + m
    lp.num_row_ = m + 1
    lp.col_cost_ = np.concatenate([np.zeros(n), weights])
    lp.col_lower_ = np.zeros(n + m)
    lp.col_upper_ = np.ones(n + m)
    lp.row_lower_ = np.full(m + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(m), [float(k)]])
    # Column-wise: x_j has -1 in each row i it reaches and 1 in the cardinality row; y_i has
    # need_i in row i.
    starts, index, values = [0], [], []
    for j, items in enumerate(covers):
        index.extend(items)
        values.extend([-1.0] * len(items))
        index.append(m)
        values.append(1.0)
        starts.append(len(index))
    for i in range(m):
        index.append(i)
        values.append(need[i])
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(values)
    lp.sense_ = highspy.ObjSense.kMaximize
    # y may be continuous where one unit is needed (x integral makes it so at the optimum);
    # where two are, a fractional y would count half an item met by one unit.
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [
        highspy.HighsVarType.kContinuous if need[i] == 1 else highspy.HighsVarType.kInteger for i in range(m)]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(seconds))
    h.setOptionValue("threads", 2)
    h.passModel(lp)
    build_s = time.perf_counter() - started
    h.run()
    solve_s = time.perf_counter() - started - build_s
    info = h.getInfo()
    sol = h.getSolution().col_value
    chosen = [j for j in range(n) if sol[j] > 0.5]
    return {"value": value(inst, chosen), "bound": info.mip_dual_bound, "status": h.modelStatusToString(h.getModelStatus()),
            "gap": info.mip_gap, "build_s": build_s, "solve_s": solve_s}


def highs_cover(inst, seconds):
    """The fewest candidates meeting every item: min sum x_j, sum_{j reaching i} x_j >= need_i."""
    import highspy

    need = np.asarray(inst["need"], dtype=float)
    covers = inst["covers"]
    n, m = len(covers), len(need)
    started = time.perf_counter()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.ones(n)
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.ones(n)
    lp.row_lower_, lp.row_upper_ = need, np.full(m, highspy.kHighsInf)
    starts, index = [0], []
    for items in covers:
        index.extend(items)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(len(index))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(seconds))
    h.passModel(lp)
    h.run()
    solve_s = time.perf_counter() - started
    info = h.getInfo()
    return {"posts": round(info.objective_function_value), "bound": info.mip_dual_bound,
            "status": h.modelStatusToString(h.getModelStatus()), "solve_s": solve_s}


def spopt(inst, sample, seconds, seed=1):
    import pulp
    from spopt.locate import MCLP

    weights = np.asarray(inst["weights"], dtype=float)
    m, n, k = len(weights), len(inst["covers"]), inst["k"]
    rng = random.Random(seed)
    items = sorted(rng.sample(range(m), min(sample, m)))
    where = {i: r for r, i in enumerate(items)}
    cost = np.full((len(items), n), 2.0)
    for j, reach in enumerate(inst["covers"]):
        for i in reach:
            r = where.get(i)
            if r is not None:
                cost[r, j] = 0.0
    started = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights[items], service_radius=1.0, p_facilities=k, name="mclp")
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=seconds))
    solve_s = time.perf_counter() - started
    chosen = [j for j in range(n) if model.fac_vars[j].value() > 0.5]
    return {"value": value(inst, chosen), "solve_s": solve_s, "sample": len(items)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patrolmap", default="target/release/patrolmap")
    p.add_argument("--roads", required=True)
    p.add_argument("--scenario", required=True)
    p.add_argument("--candidates", default="random:2000:6")
    p.add_argument("--add", type=int, default=25)
    p.add_argument("--budget", type=float, default=180)
    p.add_argument("--units", type=int, default=1)
    p.add_argument("--seconds", type=float, default=600, help="time limit of each peer")
    p.add_argument("--patrolmap-seconds", type=float, default=10, help="time limit of patrolmap's search")
    p.add_argument("--spopt-sample", type=int, default=5000)
    p.add_argument("--no-spopt", action="store_true")
    p.add_argument("--cover", help="instead: the fewest posts meeting all of this demand (checkpoints, ...)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        inst, rep, wall = run_patrolmap(args, workdir)
    pm_s = (rep["timings_ms"]["matrix"] + rep["timings_ms"]["search"]) / 1e3
    if args.cover:
        h = highs_cover(inst, args.seconds)
        print(f"fewest posts for all {args.cover} ({len(inst['weights'])} items, {len(rep['cannot_be_met'])} out of reach): "
              f"patrolmap {len(rep['added'])} (proven {rep['proven']}, lower bound {rep['lower_bound']}) in {pm_s:.3f} s; "
              f"HiGHS {h['posts']} ({h['status']}, bound {h['bound']:.2f}) in {h['solve_s']:.2f} s")
        return
    print(f"instance: {len(inst['covers'])} candidates, {len(inst['weights'])} demand items, K={inst['k']}, "
          f"targets {inst['targets']}; existing {100 * share(inst, 0):.3f}%")
    print(f"patrolmap: {100 * rep['share']:.3f}%, bound {100 * rep['upper_bound_share']:.3f}%, proven {rep['proven']}, "
          f"matrix + search {pm_s:.3f} s (process {wall:.2f} s with loading the roads)")
    h = highs(inst, args.seconds)
    print(f"HiGHS: {100 * share(inst, h['value']):.3f}%, bound {100 * share(inst, h['bound']):.3f}%, {h['status']}, "
          f"model {h['build_s']:.2f} s + solve {h['solve_s']:.2f} s; patrolmap/HiGHS time {pm_s / h['solve_s']:.4f}, "
          f"value difference {100 * (share(inst, h['value']) - rep['share']):+.3f} points")
    if not args.no_spopt and all(n == 1 for n in inst["need"]):
        s = spopt(inst, args.spopt_sample, args.seconds)
        print(f"spopt (CBC, {s['sample']} of {len(inst['weights'])} items): {100 * share(inst, s['value']):.3f}% "
              f"measured on all demand, {s['solve_s']:.2f} s; patrolmap/spopt time {pm_s / s['solve_s']:.4f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
