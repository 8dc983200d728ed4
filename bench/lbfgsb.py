"""The L-BFGS-B suite (`bench/run lbfgsb`, or `./quickstart bench lbfgsb`):
clbfgs's L-BFGS-B against SciPy's on extended Rosenbrock at large n, and
against the bytes an iteration must move.

The problem is the built-in "ext-rosenbrock" (SciPy's side: the same
function and gradient in NumPy, bench.py's ext_rosenbrock) from
(-1.2, 1, -1.2, 1, ...), in double, m = 10, for each n of --sizes,
unbounded and bounded (upper bound 0.5 on every even coordinate, 0-based,
no other bound: all of them active at the solution). One run measures, for
each (n, bounded):

  clbfgs_per_iteration_s  (time.total - time.setup) / nit of a run with
                          gtol = 0, ftol = 0, maxiter = K (it never
                          converges), median of R runs (bench/lbfgsb.c,
                          after one untimed run that builds the programs)
  scipy_per_iteration_s   scipy.optimize.minimize(method='L-BFGS-B',
                          jac=True, options maxiter K, gtol 0, ftol 0,
                          maxcor m): wall time / nit, median of R runs
  floor_s                 (4m + 10) n reals of 8 bytes at the device's
                          triad bandwidth (bench/clbfgs-bench triad, as
                          bench.py measures it, in this run)
  nit, scipy_nit          at n <= --converge-n: the iterations of one run
                          to convergence each (default gtol and ftol), when
                          both converge within --converge-seconds; else the
                          timed runs' (K)

K and R are per size (--iters, --reps). K is 15 at n = 10^6: the bounded
problem's projected gradient reaches exactly 0 at the 19th iteration, which
ends a run even with gtol = 0. Records go into <out>/<tag>.json
under the key lbfgsb (the rest of the file is kept), the details (machine,
date, triad, floor formula, K, R, every run's numbers, where clbfgs's time
goes from a profiled run) under lbfgsb_info, and a table into
<out>/<tag>-lbfgsb.md.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import Bounds, minimize

from bench import ext_rosenbrock, machine, run_json, x0_ext

REAL = 8
FLOOR_FORMULA = "(4m + 10) n reals of 8 bytes / device triad bandwidth"
TARGET_SPEEDUP, TARGET_SPEEDUP_N = 3.0, 10**6
TARGET_FLOOR, TARGET_FLOOR_N = 1.5, 10**7


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def floor_bytes(n, m):
    """The compact form reads the 2m stored vectors twice (W'g, then the
    combination W v); about 10 more vector passes: the objective reads x and
    writes g, the trial point x + a d, the new pair s and y, g and the old g."""
    return (4 * m + 10) * n * REAL


def bounds_for(n, bounded):
    if not bounded:
        return None
    ub = np.full(n, np.inf)
    ub[0::2] = 0.5
    return Bounds(np.full(n, -np.inf), ub)


def scipy_run(n, m, bounds, options):
    """Wall seconds, seconds after the first evaluation returned (clbfgs's
    time.setup ends there too), and SciPy's result."""
    x0 = x0_ext(n)
    first = []

    def fun(x):
        fg = ext_rosenbrock(x)
        if not first:
            first.append(time.perf_counter())
        return fg

    t0 = time.perf_counter()
    r = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                 options=dict(options, maxcor=m))
    t1 = time.perf_counter()
    return t1 - t0, t1 - first[0], r


def scipy_timed(n, m, bounded, iters, reps):
    bounds = bounds_for(n, bounded)
    per, after, r = [], [], None
    for _ in range(reps):
        seconds, loop, r = scipy_run(n, m, bounds, {"maxiter": iters, "gtol": 0.0, "ftol": 0.0})
        per.append(seconds / max(int(r.nit), 1))
        after.append(loop / max(int(r.nit), 1))
    return {"per_iteration": per, "per_iteration_median": statistics.median(per),
            "after_first_evaluation_per_iteration": after,
            "after_first_evaluation_per_iteration_median": statistics.median(after),
            "nit": int(r.nit), "nfev": int(r.nfev), "status": int(r.status),
            "message": str(r.message), "fun": float(r.fun)}


def scipy_converge(n, m, bounded, per_iteration, budget):
    maxiter = max(1, int(np.ceil(budget / per_iteration)))
    seconds, _, r = scipy_run(n, m, bounds_for(n, bounded), {"maxiter": maxiter})
    out = {"maxiter": maxiter, "nit": int(r.nit), "nfev": int(r.nfev), "status": int(r.status),
           "message": str(r.message), "fun": float(r.fun), "seconds": seconds,
           "capped": int(r.status) == 1}
    if bounded:
        out["active_bounds"] = int(np.count_nonzero(r.x[0::2] == 0.5))
        out["bounds"] = n // 2
        out["max_violation"] = float(np.max(r.x[0::2] - 0.5))
    return out


def loadavg():
    """The 1-minute load average, the suite's own runs included (on a shared
    machine, one well above the cores the suite uses says that others ran
    too); None off Linux."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def fmt_s(s):
    return "%.3g" % s if s < 0.1 else "%.3f" % s


def write_markdown(res, path):
    info = res["lbfgsb_info"]
    tri = info["triad_gbs"]
    lines = ["# L-BFGS-B suite: %s" % info["tag"], "",
             "Extended Rosenbrock from (-1.2, 1, ...), double, m = %d; bounded: upper bound 0.5 "
             "on every even coordinate (0-based), active at the solution. Device %s; %s. "
             "clbfgs s/iter: (time.total - time.setup) / nit, SciPy s/iter: "
             "minimize(method='L-BFGS-B') wall time / nit, both from runs of K iterations "
             "(gtol = 0, ftol = 0; K = %s), medians of %s runs. floor: the bytes an iteration "
             "must move, %s, at the device triad bandwidth measured in this run (%.1f GB/s). "
             "nit, scipy_nit: %s."
             % (info["m"], info["device"], info["date"],
                ", ".join("%d at n = %s" % (k, n) for n, k in info["iters"].items()),
                ", ".join("%d at n = %s" % (r, n) for n, r in info["reps"].items()),
                info["floor_formula"], tri, info["nit_rule"]), "",
             "| n | m | bounded | clbfgs s/iter | SciPy s/iter | SciPy/clbfgs | floor s "
             "| clbfgs/floor | nit | scipy_nit |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["lbfgsb"]:
        lines.append("| %d | %d | %s | %s | %s | %.2fx | %s | %.2fx | %d | %d |" % (
            r["n"], r["m"], "yes" if r["bounded"] else "no", fmt_s(r["clbfgs_per_iteration_s"]),
            fmt_s(r["scipy_per_iteration_s"]),
            r["scipy_per_iteration_s"] / r["clbfgs_per_iteration_s"], fmt_s(r["floor_s"]),
            r["clbfgs_per_iteration_s"] / r["floor_s"], r["nit"], r["scipy_nit"]))
    if info["targets"]:
        lines += [""] + ["- %s" % t["text"] for t in info["targets"]]
    lines += ["", "SciPy's s/iter counted from the end of its first evaluation instead, as "
              "clbfgs's leaves out time.setup (which ends there): SciPy/clbfgs %s." % ", ".join(
                  "%.2fx (n = %d, %s)" % (
                      u["scipy"]["timed"]["after_first_evaluation_per_iteration_median"] /
                      r["clbfgs_per_iteration_s"], r["n"], "bounded" if r["bounded"] else "unbounded")
                  for r, u in zip(res["lbfgsb"], info["runs"]))]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return "\n".join(lines)


def targets(records):
    out = []
    for r in records:
        ratio = r["scipy_per_iteration_s"] / r["clbfgs_per_iteration_s"]
        if r["n"] == TARGET_SPEEDUP_N:
            met = ratio >= TARGET_SPEEDUP
            out.append({"n": r["n"], "bounded": r["bounded"], "met": met,
                        "text": "n = %d, %s: clbfgs at least %gx faster per iteration than "
                                "SciPy: %s (%.2fx)" % (
                                    r["n"], "bounded" if r["bounded"] else "unbounded",
                                    TARGET_SPEEDUP, "met" if met else "NOT MET", ratio)})
    for r in records:
        of_floor = r["clbfgs_per_iteration_s"] / r["floor_s"]
        if r["n"] == TARGET_FLOOR_N:
            met = of_floor <= TARGET_FLOOR
            out.append({"n": r["n"], "bounded": r["bounded"], "met": met,
                        "text": "n = %d, %s: clbfgs within %gx of floor_s: %s (%.2fx)" % (
                            r["n"], "bounded" if r["bounded"] else "unbounded", TARGET_FLOOR,
                            "met" if met else "NOT MET", of_floor)})
    return out


def per_size(spec, sizes, name):
    vals = [int(v) for v in spec.split(",")]
    if len(vals) == 1:
        vals *= len(sizes)
    if len(vals) != len(sizes) or min(vals) < 1:
        raise SystemExit("lbfgsb: --%s takes one value, or one per size (%d)" % (name, len(sizes)))
    return dict(zip(sizes, vals))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="bench/clbfgs-lbfgsb-bench")
    ap.add_argument("--bench-bin", required=True, help="bench/clbfgs-bench (the triad)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", help="results file name (default: <device type>-<platform>)")
    ap.add_argument("--device")
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--iters", default="15,8", help="K, one or one per size")
    ap.add_argument("--reps", default="5,3", help="R, one or one per size")
    ap.add_argument("--m", type=int, default=10)
    ap.add_argument("--profile-reps", type=int, default=1,
                    help="profiled clbfgs runs per case, for where the time goes (0: none)")
    ap.add_argument("--converge-n", type=int, default=10**6,
                    help="sizes up to this also run to convergence, for nit")
    ap.add_argument("--converge-seconds", type=float, default=60.0)
    ap.add_argument("--method", default="lbfgsb", choices=["lbfgsb", "bfgs"],
                    help="clbfgs's method; bfgs (no bounds) only to try the suite at small n")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    iters, reps = per_size(args.iters, sizes, "iters"), per_size(args.reps, sizes, "reps")
    dev_args = ["--device", args.device] if args.device else []

    log("lbfgsb: device triad")
    triad = run_json([args.bench_bin, "triad", "--mb", "256", "--reps", "10"] + dev_args)
    bw = triad["triad_gbs"] * 1e9
    log("lbfgsb: triad %.1f GB/s" % triad["triad_gbs"])

    records, runs = [], []
    for n in sizes:
        converge = n <= args.converge_n
        for bounded in (False, True):
            case = "n = %d, %s" % (n, "bounded" if bounded else "unbounded")
            load = [loadavg()]
            cmd = [args.bin, "--n", str(n), "--m", str(args.m), "--bounded", str(int(bounded)),
                   "--iters", str(iters[n]), "--reps", str(reps[n]),
                   "--profile-reps", str(args.profile_reps), "--method", args.method,
                   "--converge", str(args.converge_seconds if converge else 0)] + dev_args
            log("lbfgsb: %s: clbfgs: %s" % (case, " ".join(cmd)))
            c = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout)
            log("lbfgsb: %s: clbfgs %.4g s/iter (nit %d)" % (
                case, c["timed"]["per_iteration_median"], c["timed"]["nit"]))
            log("lbfgsb: %s: SciPy, %d runs of %d iterations" % (case, reps[n], iters[n]))
            s = {"timed": scipy_timed(n, args.m, bounded, iters[n], reps[n])}
            log("lbfgsb: %s: SciPy %.4g s/iter (nit %d)" % (
                case, s["timed"]["per_iteration_median"], s["timed"]["nit"]))
            if converge:
                log("lbfgsb: %s: SciPy to convergence" % case)
                s["converge"] = scipy_converge(n, args.m, bounded,
                                               s["timed"]["per_iteration_median"],
                                               args.converge_seconds)
            load.append(loadavg())
            nit, scipy_nit, nit_from = c["timed"]["nit"], s["timed"]["nit"], "timed"
            cc, sc = c.get("converge"), s.get("converge")
            if cc and sc and cc["status"] == 0 and sc["status"] == 0:
                nit, scipy_nit, nit_from = cc["nit"], sc["nit"], "converge"
            records.append({"n": n, "m": args.m, "bounded": bounded,
                            "clbfgs_per_iteration_s": c["timed"]["per_iteration_median"],
                            "scipy_per_iteration_s": s["timed"]["per_iteration_median"],
                            "floor_s": floor_bytes(n, args.m) / bw,
                            "nit": nit, "scipy_nit": scipy_nit})
            runs.append({"n": n, "bounded": bounded, "nit_from": nit_from,
                         "loadavg_before_after": load, "clbfgs": c, "scipy": s})

    path = os.path.join(args.out, "%s.json" % (args.tag or "%s-%s" % (
        triad["device_type"],
        "pocl" if "Portable" in triad["platform"] else triad["platform"].split()[0].lower())))
    tag = os.path.basename(path)[:-5]
    res = {}
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
    res["lbfgsb"] = records
    mach = machine(triad)
    froms = {r["nit_from"] for r in runs}
    res["lbfgsb_info"] = {
        "tag": tag, "device": triad["device"], "platform": triad["platform"],
        "precision": "double", "method": args.method, "m": args.m,
        "machine": {k: mach[k] for k in ("cpu", "cores", "memory", "python", "numpy", "scipy")},
        "date": datetime.date.today().isoformat(),
        "triad_gbs": triad["triad_gbs"], "triad": triad,
        "floor_formula": FLOOR_FORMULA,
        "iters": {str(n): k for n, k in iters.items()}, "reps": {str(n): r for n, r in reps.items()},
        "bounds": "upper 0.5 on every even coordinate (0-based), no other bound",
        "nit_rule": ("iterations to convergence (default gtol and ftol) at n <= %d where both "
                     "converged within %g s, else the timed runs' (K)"
                     % (args.converge_n, args.converge_seconds)) if "converge" in froms
                    else "the timed runs' (K)",
        "targets": targets(records),
        "runs": runs,
        "commands": [" ".join([os.path.basename(sys.argv[0])] + sys.argv[1:])],
    }
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print(write_markdown(res, os.path.join(args.out, tag + "-lbfgsb.md")))
    log("lbfgsb: wrote %s" % path)


if __name__ == "__main__":
    main()
