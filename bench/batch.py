"""The batch suite (`bench/run batch`, or `./quickstart bench batch`): many
small independent fits, in one run and one at a time.

The problem is examples/spots.c's: a 2-D Gaussian spot (A, x0, y0, ln s, B;
n = 5) fitted by least squares to each of P noisy 9x9 images, from each
image's moments, SciPy's defaults (gtol 1e-5). The images and starts come
from examples/spots_images.h (through bench/batch.c), so every side solves
the same problems: problem p is the same whatever P is. For each P of --P
a record holds

  clbfgs_fits_per_s     P / clbfgs_minimize_batch's total, median of --reps
                        batches (after one untimed batch: program and images)
  solo_loop_fits_per_s  a host loop over clbfgs_minimize, one problem per call
                        (one objective, its image argument set again for
                        each), on the first --subset problems; median of up
                        to --reps loops
  scipy_fits_per_s      a Python loop over scipy.optimize.minimize(
                        method='BFGS', jac=True), the same objective and
                        gradient in NumPy, on the same subset; median of up
                        to --reps loops
  agree                 problems of that subset whose batch status equals
                        SciPy's and whose f agrees, |f - f_scipy| <= 1e-6
                        |f_scipy| or <= 1e-10
  problems              the subset's size, which agree counts among

The two loops solve the first --subset problems whatever P is, so they are
measured once and their rates repeat in every record. Records go into
<out>/<tag>.json under the key batch (the rest of the file is kept), the
details (times, setups, converged counts, how often the solo loop equals
the batch, SciPy's statuses, the commands) under batch_info, and a table
into <out>/<tag>-batch.md.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import minimize

from bench import machine

PROBLEM = "gaussian-spot-9x9"
SIDE = 9
RTOL, ATOL = 1e-6, 1e-10


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def spot(x, image, u, v):
    """examples/spots.cl in NumPy: f = 1/2 sum r^2 over the pixels, and its gradient."""
    A, x0, y0, t, B = x
    w = np.exp(-2 * t)
    du, dv = u - x0, v - y0
    r2 = du * du + dv * dv
    e = np.exp(-0.5 * r2 * w)
    ae = A * e * w
    r = A * e + B - image
    g = np.array([e @ r, (ae * du) @ r, (ae * dv) @ r, (ae * r2) @ r, r.sum()])
    return 0.5 * (r @ r), g


def scipy_loop(images, x0, reps, max_seconds):
    """Median seconds of up to reps loops over the problems, and the last loop's results."""
    i = np.arange(SIDE * SIDE)
    u, v = (i % SIDE).astype(float), (i // SIDE).astype(float)
    times, out = [], None
    while len(times) < reps and (not times or sum(times) < max_seconds):
        out = []
        t0 = time.perf_counter()
        for image, start in zip(images, x0):
            res = minimize(spot, start, args=(image, u, v), jac=True, method="BFGS")
            out.append((int(res.status), float(res.fun), int(res.nit)))
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), len(times), out


def agrees(status, fun, ref_status, ref_fun):
    return status == ref_status and (abs(fun - ref_fun) <= RTOL * abs(ref_fun) or abs(fun - ref_fun) <= ATOL)


def fmt_rate(v):
    return "%.0f" % v if v >= 10 else "%.2f" % v


def write_markdown(res, path):
    info = res["batch_info"]
    lines = ["# Batch suite: %s" % info["tag"], "",
             "A 2-D Gaussian spot (n = 5) fitted to each of P noisy 9x9 images "
             "(examples/spots.c's problems), SciPy's defaults; device %s, %s precision; %s. "
             "Fits per second: clbfgs_minimize_batch on all P (median of %d), a host loop over "
             "clbfgs_minimize and a Python loop over SciPy's BFGS on the first %d problems "
             "(medians). agree: problems of those %d whose status equals SciPy's and whose f "
             "is within %g relative (or %g absolute) of SciPy's."
             % (info["device"], info["precision"], info["date"], info["reps"], info["subset"],
                info["subset"], RTOL, ATOL), "",
             "| P | clbfgs batch (fits/s) | solo loop (fits/s) | SciPy loop (fits/s) | "
             "batch/SciPy | batch/solo | converged | agree |",
             "|---|---|---|---|---|---|---|---|"]
    for r, d in zip(res["batch"], info["per_P"]):
        lines.append("| %d | %s | %s | %s | %.1fx | %.1fx | %d of %d | %d of %d |" % (
            r["P"], fmt_rate(r["clbfgs_fits_per_s"]), fmt_rate(r["solo_loop_fits_per_s"]),
            fmt_rate(r["scipy_fits_per_s"]), r["clbfgs_fits_per_s"] / r["scipy_fits_per_s"],
            r["clbfgs_fits_per_s"] / r["solo_loop_fits_per_s"], d["converged"], r["P"],
            r["agree"], r["problems"]))
    s = info["solo"]
    lines += ["", "The solo loop's results equal the batch's (status and nit, f within 1e-10 "
              "relative) for %d of %d problems; SciPy's statuses on the subset: %s."
              % (s["equal_to_batch"], s["problems"],
                 ", ".join("%s: %d" % kv for kv in sorted(info["scipy"]["statuses"].items())))]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="bench/clbfgs-batch-bench")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", help="results file name (default: <device type>-<platform>)")
    ap.add_argument("--device")
    ap.add_argument("--P", default="1000,10000,100000")
    ap.add_argument("--subset", type=int, default=1000, help="problems the two loops solve")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=60.0, help="stop repeating a loop after this")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()

    tmp = os.path.join(args.out, "tmp", "batch")
    os.makedirs(tmp, exist_ok=True)
    cmd = [args.bin, "--dir", tmp, "--P", args.P, "--subset", str(args.subset),
           "--reps", str(args.reps), "--max-seconds", str(args.max_seconds),
           "--seed", str(args.seed)]
    if args.device:
        cmd += ["--device", args.device]
    log("batch: " + " ".join(cmd))
    c = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout)
    images, x0 = np.load(os.path.join(tmp, "images.npy")), np.load(os.path.join(tmp, "x0.npy"))
    shutil.rmtree(tmp, ignore_errors=True)
    K = len(images)

    log("batch: SciPy's loop over %d problems" % K)
    scipy_s, scipy_reps, ref = scipy_loop(images, x0, args.reps, args.max_seconds)
    log("batch: SciPy: %.3f s, %.0f fits/s" % (scipy_s, K / scipy_s))
    solo = c["solo"]
    solo_rate, scipy_rate = K / solo["seconds"], K / scipy_s

    records, per_P = [], []
    for b in c["batch"]:
        k = len(b["status"])
        agree = sum(agrees(b["status"][p], b["fun"][p], ref[p][0], ref[p][1]) for p in range(k))
        records.append({"P": b["P"], "n": c["n"], "problem": PROBLEM,
                        "clbfgs_fits_per_s": b["P"] / b["seconds"],
                        "solo_loop_fits_per_s": solo_rate, "scipy_fits_per_s": scipy_rate,
                        "agree": agree, "problems": k})
        per_P.append({"P": b["P"], "seconds": b["seconds"], "setup": b["setup"],
                      "converged": b["converged"], "work_items": b["work_items"],
                      "local_hessian": b["local_hessian"],
                      "nit_equal_to_scipy": sum(b["nit"][p] == ref[p][2] for p in range(k))})
    first = c["batch"][[b["P"] for b in c["batch"]].index(max(b["P"] for b in c["batch"]))]
    equal = sum(solo["status"][p] == first["status"][p] and solo["nit"][p] == first["nit"][p] and
                abs(solo["fun"][p] - first["fun"][p]) <= 1e-10 * abs(first["fun"][p])
                for p in range(min(K, len(first["status"]))))
    statuses = {}
    for s, _, _ in ref:
        statuses[str(s)] = statuses.get(str(s), 0) + 1

    path = os.path.join(args.out, "%s.json" % (args.tag or "%s-%s" % (
        c["device_type"], "pocl" if "Portable" in c["platform"] else c["platform"].split()[0].lower())))
    tag = os.path.basename(path)[:-5]
    res = {}
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
    res["batch"] = records
    m = machine(c)
    res["batch_info"] = {
        "tag": tag, "device": c["device"], "platform": c["platform"], "precision": c["precision"],
        "machine": {k: m[k] for k in ("cpu", "cores", "memory", "python", "numpy", "scipy")},
        "date": datetime.date.today().isoformat(), "seed": c["seed"], "reps": args.reps,
        "max_seconds": args.max_seconds, "subset": K,
        "agree_rule": "status equal and |f - f_scipy| <= %g |f_scipy| or <= %g" % (RTOL, ATOL),
        "per_P": per_P,
        "solo": {"problems": K, "seconds": solo["seconds"], "reps": solo["reps"],
                 "equal_to_batch": equal,
                 "equal_rule": "status and nit equal, |f - f_batch| <= 1e-10 |f_batch|, "
                               "against the batch of P = %d" % first["P"]},
        "scipy": {"problems": K, "seconds": scipy_s, "reps": scipy_reps, "statuses": statuses},
        "commands": [" ".join(cmd), " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:])],
    }
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print(write_markdown(res, os.path.join(args.out, tag + "-batch.md")))
    log("batch: wrote %s" % path)


if __name__ == "__main__":
    main()
