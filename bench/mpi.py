"""The MPI suite: weak scaling of clbfgs_mpi_minimize (libclbfgs-mpi).

The climate fit of examples/climate.cl (n = 4, least squares) with the same
number of samples on every rank (--m-per-rank), under mpiexec with 1, 2 and
4 ranks on this machine, oversubscribed where there are fewer cores. Each
rank's pocl device is held to one thread (POCL_MAX_PTHREAD_COUNT=1), so a
rank is a core's worth of work, as a rank per device is on a cluster.

For each rank count, bench/clbfgs-mpi-bench reports medians over --repeat
runs: wall time per evaluation, time per evaluation spent in the Allreduce
of f and g (the largest and smallest over the ranks: mostly waiting for the
slowest rank), and the Allreduce's own latency (back-to-back calls of the
same 56 bytes). Records go into <out>/<tag>.json under the keys "mpi" and
"mpi_info", and a table into <out>/<tag>-mpi.md, with the model the table
predicts 64 nodes from.
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys

# Small-message MPI latency per message (one round of a recursive-doubling
# Allreduce) on two common interconnects: assumptions, not measurements here.
NETWORKS = [("InfiniBand (HDR/NDR, ~1.5 us per message)", 1.5e-6),
            ("25 GbE over TCP (~25 us per message)", 25e-6)]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def run(args, ranks):
    env = dict(os.environ, POCL_MAX_PTHREAD_COUNT="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    cmd = [args.mpiexec, "-n", str(ranks), args.bin, "--m-per-rank", str(args.m_per_rank),
           "--repeat", str(args.repeat)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    line = [l for l in out.splitlines() if l.startswith("{")][0]
    rec = json.loads(line)
    rec["command"] = "POCL_MAX_PTHREAD_COUNT=1 " + " ".join(cmd)
    return rec


def predict(base, latency_per_round, nodes=64):
    """t_eval(P) = t_eval(1) + ceil(log2 P) alpha: the evaluation of a fixed
    shard, plus a recursive-doubling Allreduce of 56 bytes (bandwidth is
    nothing at that size)."""
    rounds = math.ceil(math.log2(nodes))
    t = base + rounds * latency_per_round
    return {"nodes": nodes, "rounds": rounds, "alpha_s": latency_per_round,
            "allreduce_s": rounds * latency_per_round, "seconds_per_evaluation": t,
            "efficiency": base / t}


def markdown(res):
    info, rows = res["mpi_info"], res["mpi"]
    lines = ["# MPI suite: %s" % info["tag"], "",
             "Weak scaling of `clbfgs_mpi_minimize`: the climate fit (n = 4), %d samples per rank, "
             "double, each rank's pocl device on one thread. %s; %s cores; %s. Medians of %d runs."
             % (info["m_per_rank"], info["cpu"], info["cores"], info["date"], info["repeat"]), "",
             "| ranks | samples | nit | nfev | ms per evaluation | vs 1 rank | Allreduce ms per "
             "evaluation (max / min over ranks) | Allreduce alone, us |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    base = rows[0]["seconds_per_evaluation"]
    for r in rows:
        lines.append("| %d | %d | %d | %d | %.3f | %.2fx | %.3f / %.3f | %.2f |" % (
            r["ranks"], r["m"], r["nit"], r["nfev"], 1e3 * r["seconds_per_evaluation"],
            r["seconds_per_evaluation"] / base,
            1e3 * r["allreduce_seconds_per_evaluation_max_over_ranks"],
            1e3 * r["allreduce_seconds_per_evaluation_min_over_ranks"],
            1e6 * r["allreduce_latency_seconds"]))
    lines += ["", "64 nodes, from t(P) = t(1) + ceil(log2 P) alpha (a 56-byte recursive-doubling "
              "Allreduce; per-message latency alpha assumed):", "",
              "| network | alpha | Allreduce at 64 nodes | ms per evaluation | efficiency |",
              "|---|---:|---:|---:|---:|"]
    for p in info["prediction_64_nodes"]:
        lines.append("| %s | %.1f us | %.1f us | %.3f | %.1f%% |" % (
            p["network"], 1e6 * p["alpha_s"], 1e6 * p["allreduce_s"],
            1e3 * p["seconds_per_evaluation"], 100 * p["efficiency"]))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="bench/clbfgs-mpi-bench")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="cpu-pocl")
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--ranks", default="1,2,4")
    ap.add_argument("--m-per-rank", type=int, default=1000000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for k in [int(v) for v in args.ranks.split(",")]:
        rec = run(args, k)
        print("ranks %d: %.3f ms per evaluation, Allreduce %.3f / %.3f ms (max / min over ranks), "
              "%.2f us alone" % (k, 1e3 * rec["seconds_per_evaluation"],
                                 1e3 * rec["allreduce_seconds_per_evaluation_max_over_ranks"],
                                 1e3 * rec["allreduce_seconds_per_evaluation_min_over_ranks"],
                                 1e6 * rec["allreduce_latency_seconds"]), file=sys.stderr)
        rows.append(rec)
    base = rows[0]["seconds_per_evaluation"]
    preds = []
    for name, alpha in NETWORKS:
        p = predict(base, alpha)
        p["network"] = name
        preds.append(p)
    path = os.path.join(args.out, args.tag + ".json")
    res = {}
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
    res["mpi"] = rows
    res["mpi_info"] = {
        "tag": args.tag, "cpu": cpu_name(), "cores": os.cpu_count(),
        "date": datetime.date.today().isoformat(), "m_per_rank": args.m_per_rank,
        "repeat": args.repeat, "device_threads_per_rank": 1,
        "model": "t(P) = t(1) + ceil(log2 P) alpha",
        "prediction_64_nodes": preds,
        "commands": [" ".join([os.path.basename(sys.argv[0])] + sys.argv[1:])],
    }
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    md = markdown(res)
    with open(os.path.join(args.out, args.tag + "-mpi.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
