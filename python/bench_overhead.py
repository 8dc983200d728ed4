#!/usr/bin/env python3
"""Per-evaluation overhead of a Python objective: clbfgs.minimize against
scipy.optimize.minimize(method='BFGS').

Definition. For the same Python objective (fun, jac) and the same x0, run
scipy.optimize.minimize(method='BFGS') and clbfgs.minimize (BFGS, the
default device). fun and jac are wrapped in timers that accumulate the time
spent inside the user's code. Then

    overhead per evaluation = (wall time of the solve - time inside fun/jac) / nfev

where the wall time is that of the whole minimize() call (argument checks,
setup, iterations, result) and nfev is the solver's count of fun calls. The
ratio reported is clbfgs's overhead / SciPy's (medians over the repeats).

Problems: SciPy's rosen with rosen_der at n = 2, 10, 100, 1000, and a cheap
quadratic f = sum_i (i+1)/2 (x_i - 1)^2 (the library's built-in "quadratic")
at n = 10 and 100. x0 = 1 + U(-0.3, 0.3) per component, fresh per repeat and
the same for both solvers within a repeat (which solver goes first alternates).
Default tolerances (gtol 1e-5). SciPy's BFGS updates its dense inverse Hessian
with two n x n matrix products per iteration (O(n^3)), about 55 ms per
iteration at n = 1000 on a 2-core machine, so at n = 1000 both solvers are
capped at the same maxiter (--maxiter-1000, default 40) and the overhead is
per evaluation of those iterations. The first clbfgs call of the process
(which builds or loads the kernels) is a warm-up and is not timed.

Where clbfgs's time goes (a second set of runs per configuration, same x0s):
  * profiled run: a clbfgs.Context(profile=True) gives the device time of
    the host<->device transfers (clEnqueueRead/WriteBuffer of x, g and f,
    plus the solver's scalar reads) and of the kernels, and counts the
    blocking syncs and kernel launches; the rest of the iteration time is
    launch and sync latency and the library's host work;
  * Python glue: clbfgs._minimize._Call._host is wrapped in a timer for
    these runs (the benchmark patches the class at run time; the package is
    not changed); glue = time inside _host - time inside fun/jac. It is the
    Python work around the user's code: NumPy views of the C buffers, the
    copy of x, the checks and conversions of f and g, the copy of g;
  * ctypes callback: the cost of one C -> Python -> C callback through a
    ctypes CFUNCTYPE, measured by libc's qsort calling a ctypes comparator
    that returns 0 (per call; 2 pointer arguments, HOST_FN has 5);
  * device objective: the same problem as a clbfgs.Builtin objective (f and
    g computed on the device, no callback, no x/g transfers): wall / nfev of
    that run (single_kernel='never': the multi-kernel iteration a host
    objective runs) is the solver's own per-evaluation cost on this device.

Usage (from the clone; the python/ directory next to this script is put on
sys.path, and the package finds ../.libs/libclbfgs.so.0 or $CLBFGS_LIBRARY):

    python3 python/bench_overhead.py [--repeats 7] [--out bench/results/cpu-pocl-python]

Writes OUT.md (the table, also printed) and OUT.json (one record per
(problem, n) and an "info" object).
"""

import argparse
import ctypes
import ctypes.util
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if "CLBFGS_LIBRARY" not in os.environ:
    _lib_path = HERE.parent / ".libs" / "libclbfgs.so.0"
    if _lib_path.exists():
        os.environ["CLBFGS_LIBRARY"] = str(_lib_path)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.optimize as so  # noqa: E402

import clbfgs  # noqa: E402
from clbfgs import _minimize as _cm  # noqa: E402

perf = time.perf_counter


class Timed:
    """fun or jac, with the time spent inside it accumulated."""

    def __init__(self, f):
        self.f = f
        self.t = 0.0
        self.calls = 0

    def __call__(self, x, *args):
        t0 = perf()
        r = self.f(x, *args)
        self.t += perf() - t0
        self.calls += 1
        return r


def quad(x):
    r = x - 1.0
    return 0.5 * float(np.dot(np.arange(1.0, x.size + 1.0) * r, r))


def quad_der(x):
    return np.arange(1.0, x.size + 1.0) * (x - 1.0)


PROBLEMS = {"rosen": (so.rosen, so.rosen_der, "rosen"),
            "quadratic": (quad, quad_der, "quadratic")}


def solve_scipy(fun, jac, x0, maxiter):
    f, g = Timed(fun), Timed(jac)
    opts = {"maxiter": maxiter} if maxiter else {}
    gc.collect()
    t0 = perf()
    r = so.minimize(f, x0, jac=g, method="BFGS", options=opts)
    wall = perf() - t0
    return dict(wall=wall, user=f.t + g.t, nfev=int(r.nfev), nit=int(r.nit), fun=float(r.fun))


def solve_clbfgs(fun, jac, x0, maxiter, device=None):
    f, g = Timed(fun), Timed(jac)
    opts = {"maxiter": maxiter} if maxiter else {}
    gc.collect()
    t0 = perf()
    r = clbfgs.minimize(f, x0, jac=g, options=opts, device=device)
    wall = perf() - t0
    return dict(wall=wall, user=f.t + g.t, nfev=int(r.nfev), nit=int(r.nit), fun=float(r.fun),
                time=r.time)


def overhead_us(run):
    return (run["wall"] - run["user"]) / run["nfev"] * 1e6


class HostTimer:
    """Wraps _Call._host in a timer, for the split runs only."""

    def __init__(self):
        self.t = 0.0
        self.calls = 0
        self.orig = _cm._Call._host

    def __enter__(self):
        orig, timer = self.orig, self

        def _host(call, *a):
            t0 = perf()
            rc = orig(call, *a)
            timer.t += perf() - t0
            timer.calls += 1
            return rc
        _cm._Call._host = _host
        return self

    def __exit__(self, *exc):
        _cm._Call._host = self.orig


def ctypes_callback_us(reps=5):
    """One C -> Python -> C call through a ctypes callback, in µs (median):
    libc's qsort on equal elements calls a ctypes comparator that returns 0."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        qsort = libc.qsort
    except (OSError, AttributeError):
        return None
    CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
    qsort.restype = None
    qsort.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, CMP]
    arr = (ctypes.c_double * 20000)()
    count = [0]

    def counting(a, b):
        count[0] += 1
        return 0

    qsort(arr, len(arr), 8, CMP(counting))
    calls = count[0]
    cmp = CMP(lambda a, b: 0)
    times = []
    for _ in range(reps):
        t0 = perf()
        qsort(arr, len(arr), 8, cmp)
        times.append((perf() - t0) / calls * 1e6)
    return statistics.median(times)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit():
    try:
        return subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def fmt(v, digits=3):
    if v is None:
        return "—"
    if isinstance(v, int):
        return str(v)
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits - 1}f}" if a >= 1 else f"{v:.{digits}g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=None, help="default 7 (--quick: 3)")
    ap.add_argument("--maxiter-1000", type=int, default=40,
                    help="iteration cap for n >= 1000 (both solvers); 0 for none")
    ap.add_argument("--device", default=None, help="clbfgs device selector (default: the default)")
    ap.add_argument("--seed", type=int, default=20240)
    ap.add_argument("--out", default=str(HERE.parent / "bench" / "results" / "cpu-pocl-python"),
                    help="output path without extension (.md and .json are written)")
    ap.add_argument("--quick", action="store_true", help="3 repeats, n <= 100 (a smoke test)")
    a = ap.parse_args()
    if a.repeats is None:
        a.repeats = 3 if a.quick else 7
    configs = [("rosen", 2), ("rosen", 10), ("rosen", 100), ("rosen", 1000),
               ("quadratic", 10), ("quadratic", 100)]
    if a.quick:
        configs = [c for c in configs if c[1] <= 100]

    ctx = clbfgs.Context(a.device) if a.device is not None else clbfgs._context.context_for(None)
    pctx = clbfgs.Context(a.device, profile=True)
    device_name = f"{ctx.device.name} ({ctx.device.platform})"
    # warm-up: build or load every program on both contexts (not timed)
    for c in (ctx, pctx):
        for name, (fun, jac, builtin) in PROBLEMS.items():
            clbfgs.minimize(fun, np.full(4, 1.2), jac=jac, device=c)
            clbfgs.minimize(clbfgs.Builtin(builtin), np.full(4, 1.2), device=c)
    for name, (fun, jac, _) in PROBLEMS.items():
        so.minimize(fun, np.full(4, 1.2), jac=jac, method="BFGS")
    cb_us = ctypes_callback_us()

    t_start = perf()
    records = []
    for problem, n in configs:
        fun, jac, builtin = PROBLEMS[problem]
        maxiter = a.maxiter_1000 if n >= 1000 and a.maxiter_1000 > 0 else None
        rows = {k: [] for k in ("cl", "sp", "prof", "dev")}
        for rep in range(a.repeats):
            rng = np.random.default_rng([a.seed, n, rep])
            x0 = 1.0 + rng.uniform(-0.3, 0.3, n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if rep % 2 == 0:
                    cl = solve_clbfgs(fun, jac, x0, maxiter, ctx)
                    sp = solve_scipy(fun, jac, x0, maxiter)
                else:
                    sp = solve_scipy(fun, jac, x0, maxiter)
                    cl = solve_clbfgs(fun, jac, x0, maxiter, ctx)
                rows["cl"].append(cl)
                rows["sp"].append(sp)
                # the split: a profiled run with _Call._host timed
                with HostTimer() as ht:
                    pr = solve_clbfgs(fun, jac, x0, maxiter, pctx)
                pr["glue"] = (ht.t - pr["user"]) / ht.calls * 1e6 if ht.calls else None
                pr["callbacks"] = ht.calls
                rows["prof"].append(pr)
                # the device objective, same x0
                opts = {"maxiter": maxiter} if maxiter else {}
                opts["single_kernel"] = "never"  # the host objective's multi-kernel path
                gc.collect()
                t0 = perf()
                rd = clbfgs.minimize(clbfgs.Builtin(builtin), x0, options=opts, device=ctx)
                rows["dev"].append(dict(wall=perf() - t0, nfev=int(rd.nfev), nit=int(rd.nit),
                                        syncs=rd.time["syncs"], launches=rd.time["launches"]))
        cl, sp, pr, dv = rows["cl"], rows["sp"], rows["prof"], rows["dev"]
        cl_ov = med([overhead_us(r) for r in cl])
        sp_ov = med([overhead_us(r) for r in sp])
        per_eval = lambda key: med([r["time"][key] / r["nfev"] * 1e6 for r in pr])  # noqa: E731
        kernels = med([(r["time"]["device_hessian"] + r["time"]["device_other"] +
                        r["time"]["device_objective"]) / r["nfev"] * 1e6 for r in pr])
        transfers = per_eval("device_transfer")
        glue = med([r["glue"] for r in pr])
        cb_per_eval = med([cb_us * r["callbacks"] / r["nfev"] for r in pr]) if cb_us else None
        prof_ov = med([overhead_us(r) for r in pr])
        rest = None
        if None not in (prof_ov, glue, cb_per_eval, transfers, kernels):
            rest = prof_ov - glue - cb_per_eval - transfers - kernels
        rec = {
            "problem": problem, "n": n,
            "nit": int(med([r["nit"] for r in cl])), "scipy_nit": int(med([r["nit"] for r in sp])),
            "nfev": int(med([r["nfev"] for r in cl])), "scipy_nfev": int(med([r["nfev"] for r in sp])),
            "clbfgs_wall_s": med([r["wall"] for r in cl]),
            "scipy_wall_s": med([r["wall"] for r in sp]),
            "clbfgs_user_s": med([r["user"] for r in cl]),
            "scipy_user_s": med([r["user"] for r in sp]),
            "clbfgs_overhead_us": cl_ov, "scipy_overhead_us": sp_ov,
            "overhead_ratio": cl_ov / sp_ov,
            "overhead_ratio_paired_median": med([overhead_us(c) / overhead_us(s)
                                                 for c, s in zip(cl, sp)]),
            "maxiter": maxiter, "repeats": a.repeats,
            "same_nit_fraction": sum(c["nit"] == s["nit"] for c, s in zip(cl, sp)) / len(cl),
            "clbfgs_split_us_per_eval": {
                "profiled_overhead": prof_ov,
                "ctypes_callback": cb_per_eval,
                "python_glue": glue,
                "device_transfers": transfers,
                "device_kernels": kernels,
                "launch_sync_latency_and_host": rest,
                "setup": per_eval("setup"),
                "syncs_per_eval": med([r["time"]["syncs"] / r["nfev"] for r in pr]),
                "launches_per_eval": med([r["time"]["launches"] / r["nfev"] for r in pr]),
                "device_objective_run_wall_per_eval": med([d["wall"] / d["nfev"] * 1e6
                                                           for d in dv]),
                "device_objective_run_nfev": int(med([d["nfev"] for d in dv])),
                "device_objective_run_syncs_per_eval": med([d["syncs"] / d["nfev"] for d in dv]),
                "device_objective_run_launches_per_eval": med([d["launches"] / d["nfev"]
                                                               for d in dv]),
            },
        }
        records.append(rec)
        print(f"# {problem} n={n}: clbfgs {cl_ov:.1f} us/eval, SciPy {sp_ov:.1f} us/eval, "
              f"ratio {cl_ov / sp_ov:.2f}", file=sys.stderr)
    elapsed = perf() - t_start

    definition = ("overhead per evaluation = (wall time of the minimize() call - time inside "
                  "the user's fun and jac) / nfev; same Python fun/jac and x0 for "
                  "scipy.optimize.minimize(method='BFGS') and clbfgs.minimize (BFGS, default "
                  "device); medians over repeats; ratio = clbfgs / SciPy")
    info = {
        "cpu": cpu_name(), "cores": os.cpu_count(), "device": device_name,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "clbfgs": clbfgs.__version__,
                     "libclbfgs": clbfgs.library_version},
        "definition": definition, "repeats": a.repeats, "seed": a.seed,
        "maxiter_n1000": a.maxiter_1000 or None,
        "ctypes_callback_us": cb_us, "elapsed_s": elapsed,
        "command": " ".join([Path(sys.executable).name] + sys.argv),
    }

    md = []
    md.append(f"Machine: {info['cpu']}, {info['cores']} cores; device {device_name}; "
              f"Python {info['versions']['python']}, NumPy {np.__version__}, SciPy "
              f"{scipy.__version__}; commit {info['commit']}; {info['date']}.")
    md.append("")
    cap = f" At n = 1000 both solvers stop at maxiter = {a.maxiter_1000}." if \
        any(r["maxiter"] for r in records) else ""
    md.append(f"Overhead per evaluation of a Python objective: (wall time of the minimize() "
              f"call − time inside the user's fun and jac) / nfev, for the same fun, jac and "
              f"x0 (1 ± 0.3, fresh per repeat) with scipy.optimize.minimize(method='BFGS') "
              f"and clbfgs.minimize (BFGS, default device). Median of {a.repeats} repeats, "
              f"warm process (nit, nfev, times: medians); target: clbfgs / SciPy ≤ 1.5.{cap}")
    md.append("")
    md.append("| problem | n | nit (clbfgs / SciPy) | nfev (clbfgs / SciPy) | wall ms clbfgs "
              "| wall ms SciPy | user code ms clbfgs | user code ms SciPy | overhead µs/eval "
              "clbfgs | overhead µs/eval SciPy | clbfgs / SciPy | ≤ 1.5× |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in records:
        md.append(f"| {r['problem']} | {r['n']} | {r['nit']} / {r['scipy_nit']} | "
                  f"{r['nfev']} / {r['scipy_nfev']} | {fmt(r['clbfgs_wall_s'] * 1e3)} | "
                  f"{fmt(r['scipy_wall_s'] * 1e3)} | {fmt(r['clbfgs_user_s'] * 1e3)} | "
                  f"{fmt(r['scipy_user_s'] * 1e3)} | {fmt(r['clbfgs_overhead_us'])} | "
                  f"{fmt(r['scipy_overhead_us'])} | {r['overhead_ratio']:.2f}× | "
                  f"{'yes' if r['overhead_ratio'] <= 1.5 else 'no'} |")
    md.append("")
    md.append("Where clbfgs's overhead per evaluation goes (µs per evaluation, medians; a "
              "second run per repeat on a profiling queue, same x0). ctypes callback: one "
              "C → Python → C call of a ctypes callback (libc qsort calling a comparator that "
              f"returns 0: {fmt(cb_us)} µs a call). Python glue: time inside "
              "_Call._host less the user's code (views of the C buffers, copy of x, checks "
              "and conversions of f and g, copy of g). Transfers and kernels: device time "
              "from OpenCL profiling (reads of x and writes of g and f, the solver's scalar "
              "reads; the H pass, vector kernels). Latency and host: the rest — kernel "
              "launch and blocking-sync round trips, the library's host work, minimize()'s "
              "Python setup and result. Setup: the library's setup phase (buffers, the first "
              "evaluation; it overlaps the columns before it), per evaluation. Syncs: blocking "
              "transfers (a host objective adds a read of x and writes of g and f at each "
              "evaluation). Device objective: the same problem and x0 as clbfgs.Builtin (f "
              "and g on the device: no callback, no x/g/f transfers; single_kernel='never', "
              "the host objective's multi-kernel iteration), wall / nfev and its syncs per "
              "evaluation.")
    md.append("")
    md.append("| problem | n | overhead (profiled) | ctypes callback | Python glue | "
              "transfers | kernels | latency and host | library setup | syncs / eval | "
              "launches / eval | device objective: wall / nfev | device objective: "
              "syncs / eval |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in records:
        s = r["clbfgs_split_us_per_eval"]
        md.append(f"| {r['problem']} | {r['n']} | {fmt(s['profiled_overhead'])} | "
                  f"{fmt(s['ctypes_callback'])} | {fmt(s['python_glue'])} | "
                  f"{fmt(s['device_transfers'])} | {fmt(s['device_kernels'])} | "
                  f"{fmt(s['launch_sync_latency_and_host'])} | {fmt(s['setup'])} | "
                  f"{s['syncs_per_eval']:.2f} | {s['launches_per_eval']:.2f} | "
                  f"{fmt(s['device_objective_run_wall_per_eval'])} | "
                  f"{s['device_objective_run_syncs_per_eval']:.2f} |")
    text = "\n".join(md) + "\n"
    print(text)

    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"info": info, "records": records},
                                                   indent=1) + "\n")
    print(f"# wrote {out.with_suffix('.md')} and {out.with_suffix('.json')} "
          f"({elapsed:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
