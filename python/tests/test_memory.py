"""Many small solves in one process do not grow its memory (the package's
ctypes callbacks, results, objectives and their device data are all
released). The longer standalone check is leak_check.py."""
import sys

import numpy as np
import pytest

import clbfgs
from _common import ExpData, rss_bytes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/self/statm")
MiB = 2**20


def test_many_solves_do_not_grow_rss(rng):
    # 2-variable quadratics with jac=True; a leak of 500 bytes a solve shows
    c = rng.uniform(1, 3, 2)

    def fg(x):
        d = x - 1
        return float(c @ (d * d)), 2 * c * d
    starts = rng.uniform(-3, 3, (5000, 2))
    rss = {}
    for i, x0 in enumerate(starts, 1):
        res = clbfgs.minimize(fg, x0, jac=True)
        assert res.success
        if i in (500, 2000, 5000):
            rss[i] = rss_bytes()
    np.testing.assert_allclose(res.x, 1, atol=1e-4)
    assert rss[2000] - rss[500] < 2 * MiB, f"RSS grew {(rss[2000] - rss[500]) / MiB:.1f} MiB"
    assert rss[5000] - rss[500] < 2 * MiB, f"RSS grew {(rss[5000] - rss[500]) / MiB:.1f} MiB"


def test_other_kinds_do_not_grow_rss(rng):
    # a run on the device, forward differences with bounds, callbacks, a
    # device objective, exceptions from fun
    c = rng.uniform(1, 3, 2)

    def f(x):
        d = x - 1
        return float(c @ (d * d))

    def fg(x):
        d = x - 1
        return float(c @ (d * d)), 2 * c * d
    obj = clbfgs.Builtin("rosen")

    def failing(x):
        raise ValueError("no")
    rss = {}
    for i in range(1, 501):
        x0 = rng.uniform(-3, 3, 2)
        clbfgs.minimize(fg, x0, jac=True, options={"single_kernel": "never"})
        clbfgs.minimize(f, x0, method="L-BFGS-B", bounds=[(-2, 2), (None, 0.5)])
        clbfgs.minimize(obj, np.resize(1.3 + 0.1 * x0, 4),
                        callback=lambda intermediate_result: None)
        with pytest.raises(ValueError):
            clbfgs.minimize(failing, x0)
        if i in (100, 500):
            rss[i] = rss_bytes()
    assert rss[500] - rss[100] < 2 * MiB, f"RSS grew {(rss[500] - rss[100]) / MiB:.1f} MiB"


def test_new_objectives_do_not_grow_rss(rng):
    # a new Terms objective (its data copied to the device) for each run:
    # 20 kB of data each, so a leak of the objective or its buffers shows
    d = ExpData(rng)
    rss = {}
    for i in range(1, 401):
        res = clbfgs.minimize(d.terms(clbfgs), d.x0(rng))
        assert res.status in (0, 2)
        if i in (100, 400):
            rss[i] = rss_bytes()
    assert rss[400] - rss[100] < 2 * MiB, f"RSS grew {(rss[400] - rss[100]) / MiB:.1f} MiB"


def test_objective_outlives_contexts(rng):
    # one objective run on a fresh Context again and again (a Context per
    # task, a with block each time): what it made for each dead Context
    # (its device copies of 4 MB of data) must go with it
    d = ExpData(rng, m=200_000)
    obj = d.terms(clbfgs)
    x0 = d.x0(rng)
    rss = []
    for i in range(10):
        with clbfgs.Context() as ctx:
            res = clbfgs.minimize(obj, x0, device=ctx)
        del ctx
        rss.append(rss_bytes())
    assert res.status in (0, 2)
    growth = rss[-1] - rss[1]
    assert growth < 16 * MiB, f"RSS grew {growth / MiB:.1f} MiB over 8 Contexts"
