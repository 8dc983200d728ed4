#!/usr/bin/env python3
"""Standalone memory check (not run by make check): 10^4 small solves in one
process, printing the resident set size every 1000. Flat numbers after the
first thousand mean nothing leaks per solve.

    CLBFGS_LIBRARY=.libs/libclbfgs.so.0 PYTHONPATH=python python3 python/tests/leak_check.py [N]
"""
import os
import sys
import time

import numpy as np

import clbfgs


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main():
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rng = np.random.default_rng()
    c = rng.uniform(1, 3, 2)

    def fg(x):
        d = x - 1
        return float(c @ (d * d)), 2 * c * d

    def f(x):
        d = x - 1
        return float(c @ (d * d))
    obj = clbfgs.Builtin("rosen")
    start = time.perf_counter()
    first = None
    for i in range(1, total + 1):
        x0 = rng.uniform(-3, 3, 2)
        # the three kinds in turn: jac=True, forward differences (L-BFGS-B,
        # with bounds), a device objective with a callback
        if i % 3 == 0:
            clbfgs.minimize(fg, x0, jac=True)
        elif i % 3 == 1:
            clbfgs.minimize(f, x0, method="L-BFGS-B", bounds=[(-2, 2), (None, 0.5)])
        else:
            clbfgs.minimize(obj, 1.3 + 0.1 * x0, callback=lambda xk: None)
        if i % 1000 == 0:
            rss = rss_mib()
            first = rss if first is None else first
            print(f"{i:6d} solves  RSS {rss:8.1f} MiB  (+{rss - first:.1f} since 1000)  "
                  f"{time.perf_counter() - start:6.1f} s", flush=True)


if __name__ == "__main__":
    main()
