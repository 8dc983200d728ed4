"""The benchmark behind `make bench` (bench/run makes the virtual environment
and the helpers, then runs this). One run on one machine measures:

  1. streaming bandwidth: an OpenCL triad on the device, an OpenMP one on the host;
  2. clbfgs per iteration on extended Rosenbrock, n = 256 ... 8192, gtol = 0 and a
     fixed iteration count, split by phase from OpenCL profiling;
  3. SciPy's BFGS (from PyPI, with its OpenBLAS) on the same problem and count,
     up to the size where a run would pass the time budget;
  4. BFGS in plain C over OpenBLAS (dsymv + dsyr2), bench/host.c;
  5. JAX's BFGS on the CPU, where JAX installed;
  6. small problems (n = 2 ... 64): whole solves against SciPy's;
  7. start-up: process start to the end of the first iteration, cold and warm
     program cache.

It writes <tag>.json, <tag>.md and <tag>.png into the results directory.
Every figure is a median over repetitions; ratios come from this run only."""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- the problem, in NumPy: clbfgs's ext-rosenbrock built-in ----

def ext_rosenbrock(x):
    a, b = x[0::2], x[1::2]
    d = b - a * a
    f = np.sum(100.0 * d * d + (1.0 - a) ** 2)
    g = np.empty_like(x)
    g[0::2] = -400.0 * a * d - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * d
    return f, g


def x0_ext(n):
    x = np.ones(n)
    x[0::2] = -1.2
    return x


def scipy_per_iteration(n, iters, reps, budget):
    """Median seconds per iteration, from the callback's timestamps; runs
    while the budget lasts (at least one run)."""
    from scipy.optimize import minimize
    per, spent, nit = [], 0.0, 0
    for _ in range(reps):
        stamps = []
        t0 = time.perf_counter()
        r = minimize(ext_rosenbrock, x0_ext(n), jac=True, method="BFGS",
                     callback=lambda xk: stamps.append(time.perf_counter()),
                     options={"gtol": 0.0, "maxiter": iters})
        t1 = time.perf_counter()
        spent += t1 - t0
        nit = r.nit
        times = np.diff([t0] + stamps)
        per.extend(times[1:] if len(times) > 1 else times)  # the first carries set-up
        if spent + (t1 - t0) > budget:
            break
    return {"per_iteration": statistics.median(per), "nit": int(nit), "seconds": spent}


def jax_setup():
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        import jax.numpy as jnp
        from jax.scipy.optimize import minimize
    except Exception as e:  # JAX is optional: say why it is missing
        return None, "JAX did not import: %s" % e

    def f(x):
        a, b = x[0::2], x[1::2]
        d = b - a * a
        return jnp.sum(100.0 * d * d + (1.0 - a) ** 2)

    def make(iters):
        return jax.jit(lambda x0: minimize(f, x0, method="BFGS",
                                           options={"maxiter": iters, "gtol": 0.0}))
    return (jax, jnp, make), "JAX %s on %s" % (jax.__version__, jax.devices()[0].platform)


def jax_per_iteration(jx, n, iters, reps, budget):
    jax, jnp, make = jx
    solve = make(iters)
    x0 = jnp.asarray(x0_ext(n))
    t0 = time.perf_counter()
    r = solve(x0)
    r.x.block_until_ready()
    compile_s = time.perf_counter() - t0
    per, spent = [], 0.0
    for _ in range(reps):
        t0 = time.perf_counter()
        r = solve(x0)
        r.x.block_until_ready()
        dt = time.perf_counter() - t0
        spent += dt
        per.append(dt / max(int(r.nit), 1))
        if spent + dt > budget:
            break
    return {"per_iteration": statistics.median(per), "nit": int(r.nit),
            "first_call": compile_s, "seconds": spent}


def scipy_small(n, reps):
    from scipy.optimize import minimize, rosen, rosen_der
    x0 = np.resize(np.array([1.3, 0.7, 0.8, 1.9, 1.2]), n)
    ts = []
    for _ in range(reps + 1):
        t0 = time.perf_counter()
        r = minimize(rosen, x0, jac=rosen_der, method="BFGS")
        ts.append(time.perf_counter() - t0)
    return {"per_solve": statistics.median(ts[1:]), "nit": int(r.nit), "nfev": int(r.nfev),
            "fun": float(r.fun)}


def process_seconds(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def startup(bench_bin, python, n, reps):
    """Process start to the end of the first iteration (the process exits
    right after it), cold and warm program cache; and SciPy's the same way."""
    cmd = [bench_bin, "first", "--n", str(n)]
    cold, warm = [], []
    for _ in range(reps):
        # cold: our program cache and pocl's own kernel cache both empty
        d, p = tempfile.mkdtemp(prefix="clbfgs-cache-"), tempfile.mkdtemp(prefix="pocl-cache-")
        env = dict(os.environ, CLBFGS_CACHE_DIR=d, POCL_CACHE_DIR=p)
        cold.append(process_seconds(cmd, env))
        warm.append(process_seconds(cmd, env))
        shutil.rmtree(d)
        shutil.rmtree(p)
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from scipy.optimize import minimize\n"
            "from bench import ext_rosenbrock, x0_ext\n"
            "minimize(ext_rosenbrock, x0_ext(%d), jac=True, method='BFGS',"
            " options={'gtol': 0.0, 'maxiter': 1})\n") % (HERE, n)
    sp = [process_seconds([python, "-c", code]) for _ in range(reps)]
    return {"n": n, "cold": statistics.median(cold), "warm": statistics.median(warm),
            "scipy": statistics.median(sp), "reps": reps}


def machine(dev):
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = "%.0f GiB" % (kb / 2**20)
    except (OSError, ValueError, IndexError):
        pass
    import scipy
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "device": dev["device"], "platform": dev["platform"],
            "device_type": dev["device_type"], "numpy": np.__version__,
            "scipy": scipy.__version__, "python": platform.python_version(),
            "date": datetime.date.today().isoformat()}


# ---- output ----

def fmt_ms(s):
    if s is None:
        return "—"
    ms = s * 1e3
    return "%.3g" % ms if ms < 100 else "%.0f" % ms


def fmt_x(r):
    return "—" if r is None else ("%.2f×" % r if r < 10 else "%.0f×" % r)


def floor_bandwidth(res):
    """The machine's best measured bandwidth for the device's kind, and what
    measured it: on a CPU device the largest of the device's triad and
    in-place update and the host's (OpenMP) triad and in-place update, for
    the host's best loop is the user's alternative; elsewhere the device's
    own two."""
    bw = res["bandwidth"]
    runs = [(bw["device"]["triad_gbs"], "device triad"),
            (bw["device"]["update_gbs"], "device in-place update")]
    if res["machine"]["device_type"] == "cpu" and bw.get("host"):
        runs += [(bw["host"]["triad_gbs"], "host triad"),
                 (bw["host"]["update_gbs"], "host in-place update")]
    return max(runs)


def write_markdown(res, path):
    m = res["machine"]
    bw = res["bandwidth"]
    floor_bw, floor_what = floor_bandwidth(res)
    triad_bw = bw["device"]["triad_gbs"]
    lines = []
    lines.append("Machine: %s, %d cores, %s; device %s (%s, %s); NumPy %s, SciPy %s%s; %s."
                 % (m["cpu"], m["cores"], m["memory"], m["device"], m["platform"],
                    m["device_type"], m["numpy"], m["scipy"],
                    ", " + res["jax_note"] if res.get("jax_note") else "", m["date"]))
    blas = [r["openblas"]["openblas"] for r in res["sizes"]
            if isinstance(r.get("openblas"), dict) and "openblas" in r["openblas"]]
    if blas:
        lines[-1] += " C reference over %s." % blas[0]
    lines.append("")
    host = ("host triad %.1f (OpenMP, %d threads), host in-place update %.1f"
            % (bw["host"]["triad_gbs"], bw["host"]["threads"], bw["host"]["update_gbs"])
            if bw.get("host") else "no host loops (OpenBLAS not built)")
    lines.append("Bandwidth (GB/s, median of %d): device triad %.1f, device in-place update "
                 "%.1f; %s. Device round trip (kernel + blocking read) %.0f µs, one launch "
                 "%.1f µs."
                 % (bw["device"]["reps"], bw["device"]["triad_gbs"], bw["device"]["update_gbs"],
                    host, res["latency"]["round_trip"] * 1e6, res["latency"]["launch"] * 1e6))
    lines.append("")
    lines.append("Time per iteration, extended Rosenbrock, gtol = 0, %d iterations, double "
                 "(ms, median). Floor: 16 n² bytes at the machine's best measured bandwidth "
                 "for the device's kind, %.1f GB/s (%s); \"of 16 n² at triad\": clbfgs's "
                 "time against 16 n² bytes at the device's triad bandwidth. "
                 "\"(k it.)\": the run's line search gave up after k iterations; the time "
                 "is per iteration it made." % (res["iters"], floor_bw, floor_what))
    lines.append("")
    lines.append("| n | clbfgs | floor | clbfgs / floor | of 16 n² at triad | OpenBLAS C | SciPy "
                 "| JAX (CPU) | SciPy / clbfgs | OpenBLAS / clbfgs | JAX / clbfgs |")
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    variants = []
    for row in res["sizes"]:
        n = row["n"]
        c = row["clbfgs"]["per_iteration"]
        floor = 16.0 * n * n / (floor_bw * 1e9)

        def other(key):
            v = row.get(key)
            return v["per_iteration"] if isinstance(v, dict) else None

        def cell(key):
            v = row.get(key)
            if isinstance(v, dict):  # a run that ended early says after how many
                short = v["nit"] < res["iters"]
                return fmt_ms(v["per_iteration"]) + (" (%d it.)" % v["nit"] if short else "")
            return v or "—"
        ob, sp, jx = other("openblas"), other("scipy"), other("jax")
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            n, fmt_ms(c), fmt_ms(floor), fmt_x(c / floor),
            fmt_x(c / (16.0 * n * n / (triad_bw * 1e9))), cell("openblas"), cell("scipy"),
            cell("jax"), fmt_x(sp / c if sp else None), fmt_x(ob / c if ob else None),
            fmt_x(jx / c if jx else None)))
        for name, key in (("default", "clbfgs"), ("H in float (option)", "clbfgs_hfloat"),
                          ("all of H", "clbfgs_full"),
                          ("all of H, each update at once (q = 1)", "clbfgs_q1")):
            v = row.get(key)
            if isinstance(v, dict) and "hessian_bytes_per_iteration" in v:
                b = v["hessian_bytes_per_iteration"]
                variants.append("| %d | %s | %s | %s | %s | %s | %.2f n² | %s | %s |" % (
                    n, name, v.get("triangle", "—"), v.get("delay", "—"), v.get("h_float", "—"),
                    fmt_ms(v["per_iteration"]), b / (n * n),
                    fmt_x(b / (16.0 * n * n)),
                    fmt_x(v["per_iteration"] / (16.0 * n * n / (triad_bw * 1e9)))))
    lines.append("")
    if variants:
        lines.append("The H pass's variants: bytes of device memory the H update and product "
                     "moved per iteration, by the library's own account "
                     "(`clbfgs_timings.hessian_bytes`), against the 16 n² of one read and one "
                     "write of H; triangle: whether H's upper triangle alone is stored "
                     "(CLBFGS_DENSE_TRIANGLE, or the library's choice); delay: how many "
                     "iterations updates stay pending (CLBFGS_DENSE_DELAY, or the library's "
                     "choice); H in float: H's elements in float, x, g and every scalar in "
                     "double (CLBFGS_DENSE_H_FLOAT, off by default: it loses SciPy's "
                     "agreement on badly scaled problems).")
        lines.append("")
        lines.append("| n | variant | triangle | delay | H in float | ms / iteration "
                     "| H bytes / iteration | of 16 n² | of 16 n² at triad |")
        lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        lines += variants
        lines.append("")
    lines.append("Where clbfgs's iteration goes (ms per iteration, median; device times from "
                 "OpenCL profiling, the rest is launches, host work and waiting on syncs):")
    lines.append("")
    lines.append("| n | iteration (profiled) | H pass | objective | other kernels | transfers "
                 "| host, launches, syncs | syncs / iteration | launches / iteration | H pass GB/s "
                 "| of floor bandwidth |")
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in res["sizes"]:
        c = row["clbfgs"]
        n = row["n"]
        dev = c["device_hessian"] + c["device_objective"] + c["device_other"] + c["device_transfer"]
        gbs = c.get("hessian_bytes_per_iteration", 16.0 * n * n) / c["device_hessian"] * 1e-9
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %.2f | %s | %.1f | %.0f %% |" % (
            n, fmt_ms(c["profiled_per_iteration"]), fmt_ms(c["device_hessian"]),
            fmt_ms(c["device_objective"]), fmt_ms(c["device_other"]),
            fmt_ms(c["device_transfer"]), fmt_ms(c["profiled_per_iteration"] - dev),
            c["syncs_per_iteration"],
            "%.1f" % c["launches_per_iteration"] if "launches_per_iteration" in c else "—",
            gbs, 100 * gbs / floor_bw))
    lines.append("")
    lines.append("Small problems: SciPy's rosen from its tutorial start (1.3, 0.7, 0.8, 1.9, "
                 "1.2, ...) to gtol = 1e-5, whole solve (ms, median of %d, warm process):"
                 % res["small_reps"])
    lines.append("")
    lines.append("| n | clbfgs | nit | SciPy | nit | clbfgs / SciPy |")
    lines.append("|---:|---:|---:|---:|---:|---:|")
    for row in res["small"]:
        c, s = row["clbfgs"], row["scipy"]
        lines.append("| %d | %s | %d | %s | %d | %s |" % (
            row["n"], fmt_ms(c["per_solve"]), c["nit"], fmt_ms(s["per_solve"]), s["nit"],
            fmt_x(c["per_solve"] / s["per_solve"])))
    lines.append("")
    st = res["startup"]
    lines.append("Start-up, process start to the end of the first iteration (n = %d, median "
                 "of %d): clbfgs %.0f ms with cold program caches (ours and pocl's), %.0f ms "
                 "warm; SciPy "
                 "(Python, imports, one iteration) %.0f ms."
                 % (st["n"], st["reps"], st["cold"] * 1e3, st["warm"] * 1e3, st["scipy"] * 1e3))
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def write_plot(res, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        log("bench: no plot (%s)" % e)
        return False
    bw, what = floor_bandwidth(res)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    series = [("clbfgs", "clbfgs (%s)" % res["machine"]["platform"], "o-"),
              ("openblas", "C over OpenBLAS (dsymv + dsyr2)", "s-"),
              ("scipy", "SciPy %s" % res["machine"]["scipy"], "^-"),
              ("jax", "JAX BFGS (CPU)", "v-")]
    for key, label, style in series:
        pts = [(r["n"], r[key]["per_iteration"]) for r in res["sizes"]
               if isinstance(r.get(key), dict)]
        if pts:
            ax.plot(*zip(*pts), style, label=label)
    ns = np.array([r["n"] for r in res["sizes"]], dtype=float)
    ax.plot(ns, 16 * ns * ns / (bw * 1e9), "k--", label="floor: 16 n² bytes at %.1f GB/s (%s)" % (bw, what))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("seconds per iteration")
    m = res["machine"]
    ax.set_title("BFGS on extended Rosenbrock, double\n%s, %d cores, %s" %
                 (m["cpu"], m["cores"], m["date"]), fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def rewrite(json_path):
    """Writes the markdown again from a run's JSON (after a format change)."""
    with open(json_path) as fh:
        res = json.load(fh)
    write_markdown(res, json_path[:-5] + ".md")


def measure_small(res, args, dev_args):
    """The small records: whole solves of rosen, ours (one kernel where
    clbfgs_minimize chooses it) and SciPy's, in the same run."""
    res["small_reps"] = 21
    res["small"] = []
    for n in [int(s) for s in args.small.split(",")]:
        log("bench: small n = %d" % n)
        res["small"].append({
            "n": n,
            "clbfgs": run_json([args.bin, "solve", "--n", str(n), "--reps", "21"] + dev_args),
            "scipy": scipy_small(n, 21)})
    res["small_measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def only_small(args, dev_args):
    """--only-small: the small records alone, into an existing results file."""
    stem = os.path.join(args.out, args.tag or "cpu-pocl")
    with open(stem + ".json") as fh:
        res = json.load(fh)
    measure_small(res, args, dev_args)
    with open(stem + ".json", "w") as fh:
        json.dump(res, fh, indent=1)
    write_markdown(res, stem + ".md")
    log("bench: rewrote the small records of %s.json and %s.md" % (stem, stem))
    for row in res["small"]:
        c, s = row["clbfgs"], row["scipy"]
        print("n = %2d: clbfgs %8.3f ms (nit %d), SciPy %8.3f ms (nit %d), ratio %.2f" % (
            row["n"], c["per_solve"] * 1e3, c["nit"], s["per_solve"] * 1e3, s["nit"],
            c["per_solve"] / s["per_solve"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(HERE, "clbfgs-bench"))
    ap.add_argument("--host", default=os.path.join(HERE, "host"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--tag", default=None, help="file name stem (default: from the device)")
    ap.add_argument("--device", default=None)
    ap.add_argument("--sizes", default="256,512,1024,2048,4096,8192")
    ap.add_argument("--small", default="2,4,8,10,16,32,64")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--budget", type=float, default=240.0,
                    help="seconds one size may take for SciPy or JAX (repetitions stop "
                         "there); the next size runs only if one run of this size, times "
                         "8 (the O(n^3) growth), fits in it")
    ap.add_argument("--jax", action="store_true", help="time JAX's BFGS too")
    ap.add_argument("--only-small", action="store_true",
                    help="re-measure only the small records, into the existing "
                         "results file (--tag, default cpu-pocl)")
    args = ap.parse_args()
    dev_args = ["--device", args.device] if args.device else []
    if args.only_small:
        only_small(args, dev_args)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    res = {"iters": args.iters, "reps": args.reps, "budget": args.budget}

    log("bench: bandwidth")
    dev_triad = run_json([args.bin, "triad", "--mb", "256", "--reps", "10"] + dev_args)
    host_triad = (run_json([args.host, "triad", "--mb", "256", "--reps", "10"])
                  if os.path.exists(args.host) else None)
    res["bandwidth"] = {"device": dev_triad, "host": host_triad}
    res["latency"] = run_json([args.bin, "latency", "--reps", "500"] + dev_args)
    res["machine"] = machine(dev_triad)
    plat = dev_triad["platform"]
    short = "pocl" if plat.startswith("Portable Computing Language") else plat.split()[0].lower()
    tag = args.tag or "%s-%s" % (dev_triad["device_type"], short)

    jx, res["jax_note"] = jax_setup() if args.jax else (None, "")
    if args.jax and jx is None:
        log("bench: %s" % res["jax_note"])
    res["sizes"] = []
    scipy_on = jax_on = True
    for n in sizes:
        row = {"n": n}
        log("bench: n = %d: clbfgs" % n)
        row["clbfgs"] = run_json([args.bin, "iterations", "--n", str(n), "--iters",
                                  str(args.iters), "--reps", str(args.reps)] + dev_args)
        if row["clbfgs"].get("hessian_bytes_per_iteration", 0) < 15.0 * n * n:
            # the default moves fewer bytes than a read and a write of H: the
            # same run with all of H stored, then also each update folded at once
            for key, what, extra in (("clbfgs_hfloat", "H in float", ["--h-float", "1"]),
                                     ("clbfgs_full", "all of H stored", ["--triangle", "0"]),
                                     ("clbfgs_q1", "all of H, each update folded at once",
                                      ["--triangle", "0", "--delay", "1"])):
                log("bench: n = %d: clbfgs, %s" % (n, what))
                row[key] = run_json([args.bin, "iterations", "--n", str(n), "--iters",
                                     str(args.iters), "--reps", str(args.reps)] + extra +
                                    dev_args)
        if os.path.exists(args.host):
            log("bench: n = %d: OpenBLAS C" % n)
            row["openblas"] = run_json([args.host, "bfgs", "--n", str(n), "--iters",
                                        str(args.iters), "--reps", str(args.reps)])
        else:
            row["openblas"] = "not built"
        if scipy_on:
            log("bench: n = %d: SciPy" % n)
            row["scipy"] = scipy_per_iteration(n, args.iters, args.reps, args.budget)
            scipy_on = row["scipy"]["per_iteration"] * args.iters * 8 < args.budget
        else:
            row["scipy"] = "over budget"
        if jx and jax_on:
            log("bench: n = %d: JAX" % n)
            row["jax"] = jax_per_iteration(jx, n, args.iters, args.reps, args.budget)
            jax_on = row["jax"]["per_iteration"] * args.iters * 8 < args.budget
        elif jx:
            row["jax"] = "over budget"
        res["sizes"].append(row)

    measure_small(res, args, dev_args)
    log("bench: start-up")
    res["startup"] = startup(args.bin, sys.executable, 1024, 5)

    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, tag)
    with open(stem + ".json", "w") as fh:
        json.dump(res, fh, indent=1)
    write_markdown(res, stem + ".md")
    plotted = write_plot(res, stem + ".png")
    log("bench: wrote %s.json, %s.md%s" % (stem, stem, ", %s.png" % stem if plotted else ""))
    with open(stem + ".md") as fh:
        print(fh.read())


if __name__ == "__main__":
    main()
