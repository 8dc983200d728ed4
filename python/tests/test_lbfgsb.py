"""L-BFGS-B against SciPy's method='L-BFGS-B': status, nit, nfev, njev and x.
The messages are compared by kind only (CONVERGENCE, STOP): clbfgs words
them as SciPy 1.15 does, older SciPy as the Fortran code did."""
import warnings

import numpy as np
import pytest

import clbfgs
from _common import (Counted, assert_same_run, draw_stable, message_kind, quartic,
                     quartic_problem, rosen_x0, separable, separable_problem)

so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der


def same(res, ref, xtol=1e-8):
    assert_same_run(res, ref, xtol=xtol, counts=("nit", "nfev", "njev"), message=False)
    assert message_kind(res.message) == message_kind(ref.message), (res.message, ref.message)


def random_bounds(rng, n):
    """Pairs with None for a missing side; some bounds active at rosen's
    minimum (1, ..., 1), some not."""
    pairs = []
    for i in range(n):
        kind = rng.integers(4)
        lo, hi = rng.uniform(0.3, 0.9), rng.uniform(1.1, 1.5)
        if kind == 0:
            pairs.append((None, None))
        elif kind == 1:
            pairs.append((lo, None))
        elif kind == 2:
            pairs.append((None, rng.uniform(0.8, 0.95)))  # active: below 1
        else:
            pairs.append((lo, hi))
    pairs[0] = (None, rng.uniform(0.8, 0.95))  # at least one active
    return pairs


def test_unbounded(rng):
    x0 = rosen_x0(rng)
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.lbfgsb)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")
    same(res, ref)
    assert ref.status == 0 and ref.nit > 10
    res2 = clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")
    np.testing.assert_array_equal(res2.x, res.x)
    assert (res2.nit, res2.nfev) == (res.nit, res.nfev)
    assert "hess_inv" not in res


def test_bounds_pairs(rng):
    x0 = rosen_x0(rng)
    bounds = random_bounds(rng, x0.size)
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.lbfgsb, bounds=bounds)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=bounds)
    same(res, ref)
    lo = np.array([-np.inf if lo is None else lo for lo, _ in bounds])
    hi = np.array([np.inf if hi is None else hi for _, hi in bounds])
    assert np.all(res.x >= lo) and np.all(res.x <= hi)
    assert res.x[0] <= hi[0] < 0.96  # the bounds took effect: not rosen's minimum


def test_bounds_object(rng):
    x0 = rosen_x0(rng)
    B = so.Bounds(np.full(x0.size, 1.1), np.full(x0.size, 1.5))
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=B)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=B)
    same(res, ref)
    assert np.all(res.x >= 1.1) and np.all(res.x <= 1.5) and np.any(res.x == 1.1)
    # scalar bounds broadcast, as SciPy's Bounds do
    B = so.Bounds(1.1, 1.5)
    same(so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.lbfgsb, bounds=B), ref)


def test_maxcor_ftol(rng):
    x0 = rosen_x0(rng)
    opts = {"maxcor": 4, "ftol": 1e-12}  # (each maxcor is a kernel build: one here)
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.lbfgsb, options=opts)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options=opts)
    same(res, ref)
    # both options reached the library: the run differs from the default one
    default = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")
    assert (ref.nit, ref.nfev) != (default.nit, default.nfev)


def test_ftol_stops_early(rng):
    x0 = rosen_x0(rng)
    opts = {"ftol": 1e-4}
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options=opts)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options=opts)
    same(res, ref, xtol=1e-6)
    assert ref.nit < so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B").nit


def test_maxfun(rng):
    x0 = rosen_x0(rng)
    k = int(rng.integers(3, 15))
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.lbfgsb, options={"maxfun": k})
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options={"maxfun": k})
    assert ref.status == 1
    same(res, ref)


def test_maxiter(rng):
    x0 = rosen_x0(rng)
    k = int(rng.integers(1, 10))
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options={"maxiter": k})
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options={"maxiter": k})
    assert ref.status == 1 and ref.nit == k
    same(res, ref)


@pytest.mark.parametrize("option", ["maxiter", "maxfun"])
def test_zero_limits(rng, option):
    # SciPy's L-BFGS-B tests its limits after an iteration: 0 acts as 1. The
    # library reads maxiter 0 as its default (15000) and refuses maxfun 0.
    x0 = rosen_x0(rng)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options={option: 0})
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options={option: 0})
    assert ref.status == 1
    same(res, ref)


def test_tol(rng):
    x0 = rosen_x0(rng)
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.lbfgsb, tol=1e-3)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", tol=1e-3)
    same(res, ref, xtol=1e-6)
    assert ref.nit < so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B").nit


def test_gtol(rng):
    x0 = rosen_x0(rng)
    opts = {"gtol": 1e-3, "ftol": 1e-15}
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options=opts)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options=opts)
    same(res, ref, xtol=1e-6)
    assert np.max(np.abs(res.jac)) <= 1e-3


def fd_case(rng, options):
    """A 10-D quartic in a box, from a start with coordinates on its bounds
    (where SciPy turns the forward step back), for forward differences: the
    first on the upper bound and the second on the lower whatever the draw
    (a draw of 10 has none above 0.3 about once in 120), the rest clipped.
    maxcor 2 keeps the 2m x 2m matrix of SciPy's formk nonsingular with the
    free variables there are (see test_device_objectives.test_terms_lbfgsb_bounds)."""
    args, x0 = quartic_problem(rng, 10)
    x0 = np.clip(x0, -0.3, 0.3)
    x0[:2] = 0.3, -0.3
    bounds = [(-0.3, 0.3)] * 10
    options = dict(options, maxcor=2)
    return (x0, lambda x: so.minimize(quartic, x, args=args, method="L-BFGS-B", bounds=bounds,
                                      options=options), args, bounds, options)


def test_forward_differences_at_bounds(rng):
    # jac=None: SciPy's absolute step 1e-8, turned back at an upper bound
    x0, ref, args, bounds, opts = draw_stable(rng, lambda: fd_case(rng, {}))
    f = Counted(quartic)
    res = so.minimize(f, x0, args=args, method=clbfgs.lbfgsb, bounds=bounds, options=opts)
    same(res, ref, xtol=1e-5)
    assert f.calls == res.nfev


def test_eps(rng):
    x0, ref, args, bounds, opts = draw_stable(rng, lambda: fd_case(rng, {"eps": 1e-6}))
    res = clbfgs.minimize(quartic, x0, args=args, method="L-BFGS-B", bounds=bounds,
                          options=opts)
    same(res, ref, xtol=1e-5)


def test_x0_outside_bounds_is_projected(rng):
    x0 = rosen_x0(rng)
    x0[:3] = [-5.0, 7.0, 0.0]
    bounds = [(0.5, 1.5)] * x0.size
    seen = []

    def f(x):
        seen.append(x.copy())
        return rosen(x)
    res = clbfgs.minimize(f, x0, jac=rosen_der, method="L-BFGS-B", bounds=bounds)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=bounds)
    same(res, ref)
    np.testing.assert_array_equal(seen[0], np.clip(x0, 0.5, 1.5))


def test_all_fixed(rng):
    x0 = rosen_x0(rng, 5)
    v = rng.uniform(0.5, 1.5, 5)
    bounds = list(zip(v, v))
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=bounds)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=bounds)
    assert res.message == ref.message == "All independent variables were fixed by bounds."
    assert res.success and ref.success and res.status == 0 and res.nit == 0
    np.testing.assert_array_equal(res.x, v)
    assert res.fun == pytest.approx(ref.fun, rel=1e-14)


def test_one_fixed(rng):
    x0 = rosen_x0(rng)
    bounds = [(None, None)] * x0.size
    bounds[3] = (1.2, 1.2)
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=bounds)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=bounds)
    same(res, ref)
    assert res.x[3] == 1.2


def test_one_fixed_with_forward_differences(rng):
    # a variable fixed by its bounds gets a zero difference (not 0/0 = NaN);
    # SciPy's minimize drops it from the problem
    (c, a), x0 = separable_problem(rng, 6)
    bounds = [(-3.0, 3.0)] * 6
    bounds[2] = (0.25, 0.25)
    x0[2] = 0.25
    f = lambda x: separable(x, c, a)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 0/0
        res = clbfgs.minimize(f, x0, method="L-BFGS-B", bounds=bounds)
    ref = so.minimize(f, x0, method="L-BFGS-B", bounds=bounds)
    assert res.status == ref.status == 0
    assert res.x[2] == 0.25 and res.jac[2] == 0.0
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-6)


def test_bfgs_options_refused_or_warned(rng):
    # BFGS's options are not L-BFGS-B's: SciPy warns of unknown ones
    x0 = rosen_x0(rng, 4)
    with pytest.warns(so.OptimizeWarning, match="xrtol"):
        clbfgs.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options={"xrtol": 1e-3})
