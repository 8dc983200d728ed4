"""The data-parallel suite (`bench/run data-parallel`, or `./quickstart bench
data-parallel`): a few parameters fitted to many data items.

The model is logistic regression, f(w) = (1/m) sum_i log(1 + exp(-y_i x_i . w)),
on m items of n standard-normal features with labels drawn from a true w
(fresh random data each run; the seed is recorded), from w = 0 with SciPy's
defaults (gtol 1e-5). For each case (m, n, gradient):

  clbfgs_s         clbfgs_objective_terms, the whole clbfgs_minimize call
                   (data upload included), bench/terms.c
  host_callback_s  the same model in plain C (-O3 -march=native, one thread) through
                   clbfgs_objective_host, analytic gradient, bench/terms.c
  scipy_s          scipy.optimize.minimize(method='BFGS') with a vectorised
                   NumPy objective: jac=True ("analytic"), jac=None ("fd")
  floor_s          clbfgs's evaluations x the data's bytes (X and y, read
                   once per evaluation) / the device's measured triad bandwidth

Medians of up to --reps runs (fewer past --max-seconds per solve). A solve
whose estimate (one evaluation's time x the evaluations it would take)
exceeds --budget seconds is not run: its fields are null, and the reason
is in the JSON's data_parallel_notes. Results go into
<out>/<tag>.json under the key data_parallel (the rest of the file, the
main suite's, is kept), and a table into <out>/<tag>-data-parallel.md.

--diagnose runs, instead, the per-evaluation split of the analytic cases:
the kernels' device time for logistic regression and for least squares on
the same linear predictor (the same reads, no exp or log), against one read
of the data (data_parallel_diagnostics).
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


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run_json(cmd):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def make_data(m, n, rng, where):
    """X (m x n, float64, C order) and labels y in {-1, 1} from a true w."""
    X = rng.standard_normal((m, n))
    w = rng.standard_normal(n) * (2.0 / np.sqrt(n))
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    y = np.where(rng.random(m) < p, 1.0, -1.0)
    os.makedirs(where, exist_ok=True)
    X.tofile(os.path.join(where, "X.bin"))
    y.tofile(os.path.join(where, "y.bin"))
    return X, y


def scipy_objectives(X, y):
    m = X.shape[0]

    def value(w):
        yz = y * (X @ w)
        return np.logaddexp(0.0, -yz).sum() / m

    def value_and_grad(w):
        yz = y * (X @ w)
        f = np.logaddexp(0.0, -yz).sum() / m
        # d/dz log(1 + exp(-y z)) = -y / (1 + exp(y z))
        s = -y * np.exp(-np.logaddexp(0.0, yz))
        return f, (X.T @ s) / m

    return value, value_and_grad


def scipy_solve(X, y, fd, reps, max_seconds, budget, nfev_hint):
    """Median seconds, and the last result; None and a reason past the budget."""
    value, value_and_grad = scipy_objectives(X, y)
    n = X.shape[1]
    w0 = np.zeros(n)
    t0 = time.perf_counter()
    value(w0)
    one = time.perf_counter() - t0
    estimate = one * (n + 1 if fd else 2) * nfev_hint
    if estimate > budget:
        return None, None, "SciPy: about %.0f s (%.3f s per value, ~%d evaluations%s) > budget %.0f s" % (
            estimate, one, nfev_hint, " of n + 1 values" if fd else "", budget)
    times, res = [], None
    while len(times) < reps and (len(times) == 0 or sum(times) < max_seconds):
        t0 = time.perf_counter()
        if fd:
            res = minimize(value, w0, method="BFGS")
        else:
            res = minimize(value_and_grad, w0, jac=True, method="BFGS")
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), res, None


def terms_run(args, where, m, n, fd, precision, host, reps=None, extra=()):
    cmd = [args.terms_bin, "--dir", where, "--m", str(m), "--n", str(n),
           "--gradient", "fd" if fd else "analytic", "--precision", precision,
           "--reps", str(args.reps if reps is None else reps),
           "--max-seconds", str(args.max_seconds),
           "--host", "1" if host else "0"]
    if args.device:
        cmd += ["--device", args.device]
    return run_json(cmd + list(extra))


def diagnose(args, triad, rng, tmp, res):
    """Where an evaluation's time goes: the term kernels' device time per
    evaluation (profiled) for the logistic model and for least squares on
    the same linear predictor (the same reads, no exp or log), against one
    read of the data at the triad bandwidth. Into data_parallel_diagnostics."""
    rows = []
    for m in [int(float(v)) for v in args.m.split(",")]:
        for n in [int(v) for v in args.n.split(",")]:
            X, y = make_data(m, n, rng, tmp)
            read_s = (X.nbytes + y.nbytes) / (triad["triad_gbs"] * 1e9)
            row = {"m": m, "n": n, "read_s": read_s}
            for model in ("logistic", "linear"):
                out = terms_run(args, tmp, m, n, False, "double", False, reps=1,
                                extra=["--model", model, "--profile", "1"])["clbfgs"]
                row[model + "_eval_s"] = out["device_objective"] / max(out["nfev"] - 1, 1)
            rows.append(row)
            log("diagnose: m = %d, n = %d: logistic %.2f ms, linear %.2f ms, one read %.2f ms "
                "per evaluation" % (m, n, 1e3 * row["logistic_eval_s"], 1e3 * row["linear_eval_s"],
                                    1e3 * read_s))
            del X, y
    res["data_parallel_diagnostics"] = rows
    lines = ["| m | n | logistic (ms/eval) | linear (ms/eval) | one read (ms) | linear/read | "
             "exp, log share of logistic |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %d | %d | %.2f | %.2f | %.2f | %.1fx | %.0f %% |" % (
            r["m"], r["n"], 1e3 * r["logistic_eval_s"], 1e3 * r["linear_eval_s"], 1e3 * r["read_s"],
            r["linear_eval_s"] / r["read_s"],
            100 * max(0.0, 1 - r["linear_eval_s"] / r["logistic_eval_s"])))
    return "\n".join(lines)


def fmt_s(v):
    return "—" if v is None else ("%.3f" % v if v < 10 else "%.1f" % v)


def fmt_x(a, b):
    return "—" if a is None or b is None or a == 0 else "%.2fx" % (b / a)


def write_markdown(res, path):
    recs = res["data_parallel"]
    lines = ["# Data-parallel suite: %s" % res["data_parallel_info"]["tag"], "",
             "Logistic regression on m items of n features, from w = 0 to SciPy's gtol; "
             "device %s, triad %.1f GB/s; %s. Seconds (median); ratios are the peer's time "
             "over clbfgs's (above 1: clbfgs faster) and clbfgs's over the floor."
             % (res["data_parallel_info"]["device"], res["data_parallel_info"]["triad_gbs"],
                res["data_parallel_info"]["date"]), "",
             "| m | n | gradient | precision | clbfgs | host callback | SciPy | floor | "
             "host/clbfgs | SciPy/clbfgs | clbfgs/floor | nit | SciPy nit |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in recs:
        lines.append("| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["m"], r["n"], r["gradient"], r["precision"], fmt_s(r["clbfgs_s"]),
            fmt_s(r["host_callback_s"]), fmt_s(r["scipy_s"]), fmt_s(r["floor_s"]),
            fmt_x(r["clbfgs_s"], r["host_callback_s"]), fmt_x(r["clbfgs_s"], r["scipy_s"]),
            "—" if r["clbfgs_s"] is None or not r["floor_s"] else "%.1fx" % (r["clbfgs_s"] / r["floor_s"]),
            "—" if r["nit"] is None else r["nit"], "—" if r["scipy_nit"] is None else r["scipy_nit"]))
    notes = res.get("data_parallel_notes", [])
    if notes:
        lines += ["", "Not run:", ""] + ["- " + s for s in notes]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--terms-bin", required=True, help="bench/clbfgs-terms-bench")
    ap.add_argument("--bin", required=True, help="bench/clbfgs-bench (for the triad)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", help="results file name (default: <device type>-<platform>)")
    ap.add_argument("--device")
    ap.add_argument("--m", default="100000,1000000,10000000")
    ap.add_argument("--n", default="4,16,64")
    ap.add_argument("--gradient", default="analytic,fd")
    ap.add_argument("--precision", default="double", help="double, float or both")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=20.0, help="stop repeating a solve after this")
    ap.add_argument("--budget", type=float, default=150.0, help="skip a solve estimated past this")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--diagnose", action="store_true",
                    help="instead of the suite: the per-evaluation split, logistic against a "
                         "linear model on the same data (data_parallel_diagnostics)")
    args = ap.parse_args()

    dev = ["--device", args.device] if args.device else []
    triad = run_json([args.bin, "triad", "--mb", "256", "--reps", "10"] + dev)
    short = "pocl" if "Portable" in triad["platform"] else triad["platform"].split()[0].lower()
    tag = args.tag or "%s-%s" % (triad["device_type"], short)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = np.random.default_rng(seed)
    tmp = os.path.join(args.out, "tmp", "data-parallel")
    records, notes = [], []
    if args.diagnose:
        path = os.path.join(args.out, tag + ".json")
        res = json.load(open(path)) if os.path.exists(path) else {}
        table = diagnose(args, triad, rng, tmp, res)
        shutil.rmtree(tmp, ignore_errors=True)
        res["data_parallel_diagnostics_info"] = {
            "device": triad["device"], "triad_gbs": triad["triad_gbs"], "seed": seed,
            "date": datetime.date.today().isoformat(), "command": " ".join(sys.argv[1:])}
        with open(path, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
        print(table)
        return
    precisions = ["double", "float"] if args.precision == "both" else args.precision.split(",")
    for m in [int(float(v)) for v in args.m.split(",")]:
        for n in [int(v) for v in args.n.split(",")]:
            log("data-parallel: m = %d, n = %d: making the data" % (m, n))
            X, y = make_data(m, n, rng, tmp)
            data_bytes = X.nbytes + y.nbytes
            host = {}  # the analytic host callback's seconds, for the fd records
            nfev = {}  # the analytic run's evaluations, to estimate the fd one
            scipy, scipy_nfev = (None, None, None), 20
            for gradient in args.gradient.split(","):
                fd = gradient == "fd"
                for precision in precisions:
                    elem = 8 if precision == "double" else 4
                    rec = {"m": m, "n": n, "gradient": gradient, "precision": precision,
                           "clbfgs_s": None, "host_callback_s": None, "scipy_s": None,
                           "floor_s": None, "nit": None, "scipy_nit": None, "fun": None,
                           "scipy_fun": None}
                    log("data-parallel: m = %d, n = %d, %s, %s" % (m, n, gradient, precision))
                    why = None
                    if fd:  # one evaluation first (--reps 0), to estimate the solve
                        one = terms_run(args, tmp, m, n, True, precision, False, reps=0)
                        evals = nfev.get(precision, 20)
                        guess = one["clbfgs"]["first_eval"] * evals
                        if guess > args.budget:
                            why = ("clbfgs: about %.0f s (%.2f s per evaluation of n + 1 values, "
                                   "~%d evaluations) > budget %.0f s" % (
                                       guess, one["clbfgs"]["first_eval"], evals, args.budget))
                            notes.append("m = %d, n = %d, %s, %s: %s" % (m, n, gradient, precision, why))
                    if not why:
                        out = terms_run(args, tmp, m, n, fd, precision, not fd)
                        c = out["clbfgs"]
                        points = c["nfev"] // (n + 1) if fd else c["nfev"]
                        rec.update(clbfgs_s=c["seconds"], nit=c["nit"], fun=c["fun"],
                                   floor_s=points * data_bytes * elem / 8 / (triad["triad_gbs"] * 1e9))
                        if not fd:
                            nfev[precision] = c["nfev"]
                            host[precision] = out["host_callback"]["seconds"]
                    rec["host_callback_s"] = host.get(precision)
                    # SciPy works in double whatever ours is: once per case and gradient
                    if precision == precisions[0]:
                        s, r, why = scipy_solve(X, y, fd, args.reps, args.max_seconds, args.budget,
                                                scipy_nfev)
                        if why:
                            notes.append("m = %d, n = %d, %s: %s" % (m, n, gradient, why))
                            scipy = (None, None, None)
                        else:
                            scipy = (s, int(r.nit), float(r.fun))
                            if not fd:
                                scipy_nfev = int(r.nfev)
                    rec["scipy_s"], rec["scipy_nit"], rec["scipy_fun"] = scipy
                    records.append(rec)
                    log("  clbfgs %s s (nit %s), host %s s, SciPy %s s (nit %s), floor %s s" % (
                        fmt_s(rec["clbfgs_s"]), rec["nit"], fmt_s(rec["host_callback_s"]),
                        fmt_s(rec["scipy_s"]), rec["scipy_nit"], fmt_s(rec["floor_s"])))
            del X, y
    shutil.rmtree(tmp, ignore_errors=True)

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, tag + ".json")
    res = {}
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
    res["data_parallel"] = records
    res["data_parallel_notes"] = notes
    res["data_parallel_info"] = {
        "tag": tag, "device": triad["device"], "platform": triad["platform"],
        "triad_gbs": triad["triad_gbs"], "seed": seed, "reps": args.reps,
        "max_seconds": args.max_seconds, "budget": args.budget,
        "date": datetime.date.today().isoformat(),
        "numpy": np.__version__, "scipy": __import__("scipy").__version__,
        "command": " ".join(sys.argv[1:]),
    }
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print(write_markdown(res, os.path.join(args.out, tag + "-data-parallel.md")))
    log("data-parallel: wrote %s" % path)


if __name__ == "__main__":
    main()
