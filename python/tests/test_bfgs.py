"""BFGS with a Python objective against SciPy's method='BFGS' on the same
problems from fresh random starts: the same path (status, message, nit,
nfev, njev) and x within 1e-8 (1e-5 with forward differences)."""
import inspect

import numpy as np
import pytest

import clbfgs
from _common import (PATHS, Counted, assert_same_run, draw_stable, quartic, quartic_der,
                     quartic_problem, rosen_x0, scipy_bfgs, separable, separable_problem)

so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der
P = PATHS  # the options that send the run where the test's `path` says


@pytest.mark.parametrize("path", PATHS)
def test_headline_scipy_method(rng, path):
    x0 = rosen_x0(rng)
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs, options=P[path])
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS")
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    assert ref.status == 0 and ref.nit > 10  # a real run, not a start at the minimum
    np.testing.assert_allclose(res.jac, ref.jac, rtol=0, atol=1e-6)
    assert res.precision == "double" or not clbfgs.select_device(None).has_fp64
    # the run went where it was sent: the device launches kernels, the
    # library's host solve (n <= 256, double) none
    if path == "device" or res.precision != "double":
        assert res.time["launches"] > 0
        # the dense H pass's bytes: at least one read of H an iteration
        elem = 4 if res.precision == "float" else 8
        assert res.time["hessian_bytes"] >= elem * x0.size ** 2 * res.nit
    else:
        assert res.time["launches"] == 0 and res.time["syncs"] == 0
        assert res.time["hessian_bytes"] == 0


@pytest.mark.parametrize("path", PATHS)
def test_clbfgs_minimize_is_the_same_run(rng, path):
    x0 = rosen_x0(rng)
    via_scipy = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs, options=P[path])
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, options=P[path])
    np.testing.assert_array_equal(res.x, via_scipy.x)
    assert (res.nit, res.nfev, res.njev, res.status) == \
        (via_scipy.nit, via_scipy.nfev, via_scipy.njev, via_scipy.status)
    assert_same_run(res, so.minimize(rosen, x0, jac=rosen_der, method="BFGS"),
                    counts=("nit", "nfev", "njev"))


def test_x0_is_not_modified(rng):
    x0 = rosen_x0(rng)
    keep = x0.copy()
    clbfgs.minimize(rosen, x0, jac=rosen_der)
    np.testing.assert_array_equal(x0, keep)


@pytest.mark.parametrize("through", ["scipy", "clbfgs"])
@pytest.mark.parametrize("path", PATHS)
def test_jac_true_one_call_per_point(rng, through, path):
    x0 = rosen_x0(rng)
    fg = Counted(lambda x: (rosen(x), rosen_der(x)))
    if through == "scipy":
        res = so.minimize(fg, x0, jac=True, method=clbfgs.bfgs, options=P[path])
    else:
        res = clbfgs.minimize(fg, x0, jac=True, options=P[path])
    ref = so.minimize(lambda x: (rosen(x), rosen_der(x)), x0, jac=True, method="BFGS")
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    assert fg.calls == res.nfev  # MemoizeJac unwrapped: (f, g) once per point


def test_jac_true_with_args_and_hess_warning(rng):
    args, y0 = quartic_problem(rng)

    def fg(x, A, b):
        return quartic(x, A, b), quartic_der(x, A, b)
    ref = so.minimize(fg, y0, args=args, jac=True, method="BFGS")
    with pytest.warns(RuntimeWarning, match="Hessian"):
        res = so.minimize(fg, y0, args=args, jac=True, method=clbfgs.bfgs,
                          hess=lambda x, A, b: A)
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))


FD_XTOL = 1e-5  # forward differences: x to what their gradient's accuracy allows


@pytest.mark.parametrize("path", PATHS)
def test_forward_differences_jac_none(rng, path):
    # rosen in 2-D to a loose gtol, and a quartic in 4-D: forward differences
    # leave both on SciPy's path (rosen in 10-D to 1e-5 is chaotic there)
    def draw_rosen():
        return rosen_x0(rng, 2), lambda x: so.minimize(rosen, x, method="BFGS",
                                                       options={"gtol": 1e-4})
    x0, ref = draw_stable(rng, draw_rosen)
    f = Counted(rosen)
    res = so.minimize(f, x0, method=clbfgs.bfgs, options={**P[path], "gtol": 1e-4})
    assert_same_run(res, ref, xtol=FD_XTOL, counts=("nit", "nfev", "njev"))
    assert f.calls == res.nfev
    assert res.nfev >= res.njev * 3  # n + 1 values per gradient

    x0, ref, args = draw_stable(rng, lambda: quartic_case(rng, {"gtol": 1e-3}))
    res = clbfgs.minimize(quartic, x0, args=args, options={**P[path], "gtol": 1e-3})
    assert_same_run(res, ref, xtol=FD_XTOL, counts=("nit", "nfev", "njev"))


def quartic_case(rng, options, jac=None):
    args, x0 = quartic_problem(rng)
    return (x0, lambda x: so.minimize(quartic, x, args=args, jac=jac, method="BFGS",
                                      options=options), args)


@pytest.mark.parametrize("path", PATHS)
def test_eps_option(rng, path):
    opts = {"eps": 1e-6, "gtol": 1e-3}
    x0, ref, args = draw_stable(rng, lambda: quartic_case(rng, opts))
    res = clbfgs.minimize(quartic, x0, args=args, options={**P[path], **opts})
    assert_same_run(res, ref, xtol=FD_XTOL, counts=("nit", "nfev", "njev"))


@pytest.mark.parametrize("path", PATHS)
def test_two_point(rng, path):
    opts = {"gtol": 1e-3}
    x0, ref, args = draw_stable(rng, lambda: quartic_case(rng, opts, jac="2-point"))
    res = clbfgs.minimize(quartic, x0, args=args, jac="2-point", options={**P[path], **opts})
    assert_same_run(res, ref, xtol=FD_XTOL, counts=("nit", "nfev", "njev"))

    def draw_separable():
        args, x0 = separable_problem(rng)
        return (x0, lambda x: so.minimize(separable, x, args=args, jac="2-point",
                                          method="BFGS", options=opts), args)
    x0, ref, args = draw_stable(rng, draw_separable)
    res = clbfgs.minimize(separable, x0, args=args, jac="2-point", options={**P[path], **opts})
    assert_same_run(res, ref, xtol=FD_XTOL, counts=("nit", "nfev", "njev"))


def test_args(rng):
    args, y0 = quartic_problem(rng)
    ref = so.minimize(quartic, y0, args=args, jac=quartic_der, method="BFGS")
    res = so.minimize(quartic, y0, args=args, jac=quartic_der, method=clbfgs.bfgs)
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    res = clbfgs.minimize(quartic, y0, args=args, jac=quartic_der)
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))

    # a single argument that is not a tuple is one argument, as in SciPy
    c = rng.uniform(1, 3, 3)
    x0 = rng.standard_normal(3)

    def f(x, c):
        return float(np.sum(c * (x - 1) ** 2))
    res = clbfgs.minimize(f, x0, args=c, jac=lambda x, c: 2 * c * (x - 1))
    ref = so.minimize(f, x0, args=c, jac=lambda x, c: 2 * c * (x - 1), method="BFGS")
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))


def test_scalar_x0():
    res = clbfgs.minimize(lambda x: float((x[0] - 2) ** 2), 0.0, jac=lambda x: 2 * (x - 2))
    assert res.x.shape == (1,) and res.success
    assert abs(res.x[0] - 2) < 1e-8


@pytest.mark.parametrize("path", PATHS)
def test_gtol(rng, path):
    # a loose gtol stops rosen halfway along its valley, where the last bits
    # of the two runs' arithmetic have moved x further than at the minimum
    x0 = rosen_x0(rng)
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, options={**P[path], "gtol": 1e-3})
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS", options={"gtol": 1e-3})
    assert_same_run(res, ref, xtol=1e-6, counts=("nit", "nfev", "njev"))
    assert ref.status == 0 and np.max(np.abs(res.jac)) <= 1e-3
    # a tight one on a well-conditioned problem (rosen's end game at 1e-7
    # is precision loss on one side or the other now and then)
    args, y0 = quartic_problem(rng, 6)
    opts = {"gtol": 1e-7}
    res = clbfgs.minimize(quartic, y0, args=args, jac=quartic_der, options={**P[path], **opts})
    ref = so.minimize(quartic, y0, args=args, jac=quartic_der, method="BFGS", options=opts)
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    assert ref.status == 0 and np.max(np.abs(res.jac)) <= 1e-7


@pytest.mark.parametrize("path", PATHS)
def test_maxiter(rng, path):
    x0 = rosen_x0(rng)
    k = int(rng.integers(1, 9))
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs,
                      options={**P[path], "maxiter": k})
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS", options={"maxiter": k})
    assert ref.status == 1 and ref.nit == k
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    assert res.message == "Maximum number of iterations has been exceeded."
    assert not res.success


def test_maxiter_zero(rng):
    # SciPy: no iteration, status 1. The library reads maxiter 0 as its
    # default (200 n), so the package must not pass 0 through as it is:
    # either SciPy's result or a ValueError before anything runs.
    x0 = rosen_x0(rng)
    f = Counted(rosen)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS", options={"maxiter": 0})
    try:
        res = clbfgs.minimize(f, x0, jac=rosen_der, options={"maxiter": 0})
    except ValueError:
        assert f.calls == 0
        return
    assert (res.status, res.nit) == (ref.status, ref.nit) == (1, 0), res.message
    np.testing.assert_array_equal(res.x, x0)


@pytest.mark.parametrize("norm", [2, 1])
@pytest.mark.parametrize("path", PATHS)
def test_norm(rng, norm, path):
    x0 = rosen_x0(rng)
    opts = {"norm": norm, "gtol": 1e-4}
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, options={**P[path], **opts})
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS", options=opts)
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    assert np.linalg.norm(res.jac, norm) <= 1e-4


@pytest.mark.parametrize("path", PATHS)
def test_c1_c2(rng, path):
    x0 = rosen_x0(rng)
    c1, c2 = 10 ** rng.uniform(-5, -2), rng.uniform(0.2, 0.8)
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, options={**P[path], "c1": c1, "c2": c2})
    ref = scipy_bfgs(rosen, x0, jac=rosen_der, c1=c1, c2=c2)
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    # and through scipy.optimize.minimize
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs,
                      options={**P[path], "c1": c1, "c2": c2})
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))


@pytest.mark.parametrize("path", PATHS)
def test_xrtol(rng, path):
    # on a problem where xrtol ends SciPy's run early (so that ignoring it
    # would show); the quartic keeps both runs on one path halfway through
    for _ in range(20):
        args, y0 = quartic_problem(rng, 6)
        xrtol = 10 ** rng.uniform(-3, -2)
        opts = {"xrtol": xrtol}
        ref = so.minimize(quartic, y0, args=args, jac=quartic_der, method="BFGS", options=opts)
        full = so.minimize(quartic, y0, args=args, jac=quartic_der, method="BFGS")
        if ref.nit < full.nit:
            break
    else:
        pytest.fail("xrtol never ended SciPy's run early")
    res = clbfgs.minimize(quartic, y0, args=args, jac=quartic_der, options={**P[path], **opts})
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))


@pytest.mark.parametrize("path", PATHS)
def test_tol(rng, path):
    # tol=1e-3 stops rosen halfway: x to 1e-6 (see test_gtol)
    x0 = rosen_x0(rng)
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs, tol=1e-3, options=P[path])
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS", tol=1e-3)
    assert_same_run(res, ref, xtol=1e-6, counts=("nit", "nfev", "njev"))
    assert res.nit < so.minimize(rosen, x0, jac=rosen_der, method="BFGS").nit
    # clbfgs.minimize's own tol, and gtol in options winning over tol
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, tol=1e-3, options=P[path])
    assert_same_run(res, ref, xtol=1e-6, counts=("nit", "nfev", "njev"))
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs, tol=1e-3,
                      options={**P[path], "gtol": 1e-5})
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS", tol=1e-3, options={"gtol": 1e-5})
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    assert res.nit == so.minimize(rosen, x0, jac=rosen_der, method="BFGS").nit


@pytest.mark.parametrize("path", PATHS)
def test_return_hess_inv(rng, path):
    x0 = rosen_x0(rng)
    n = x0.size
    assert "hess_inv" not in clbfgs.minimize(rosen, x0, jac=rosen_der, options=P[path])
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, options={**P[path], "return_hess_inv": True})
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS")
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))
    H = res.hess_inv
    assert isinstance(H, np.ndarray) and H.shape == (n, n) and H.dtype == np.float64
    np.testing.assert_array_equal(H, H.T)
    np.testing.assert_allclose(H, ref.hess_inv, rtol=0, atol=1e-6 * np.abs(ref.hess_inv).max())
    assert np.all(np.linalg.eigvalsh(H) > 0)


@pytest.mark.parametrize("path", PATHS)
def test_hess_inv0(rng, path):
    # on a quadratic, H0 = A^-1 makes the first step Newton's, and from a
    # start where the line search's first trial is a step of 1 (|g0| <=
    # lambda_min(A)) that step lands on the minimum: one iteration
    n = 5
    M = rng.standard_normal((n, n))
    A = M @ M.T + np.eye(n)
    b = rng.standard_normal(n)
    xstar = np.linalg.solve(A, b)
    lam = np.linalg.eigvalsh(A)
    d = rng.standard_normal(n)
    x0 = xstar + 0.5 * lam[0] / lam[-1] * d / np.linalg.norm(d)

    def f(x):
        return float(0.5 * x @ A @ x - b @ x)

    def g(x):
        return A @ x - b
    plain = clbfgs.minimize(f, x0, jac=g, options=P[path])
    assert plain.nit > 1
    Ainv = np.linalg.inv(A)
    Ainv = (Ainv + Ainv.T) / 2  # the library wants it exactly symmetric
    res = clbfgs.minimize(f, x0, jac=g, options={**P[path], "hess_inv0": Ainv})
    assert res.status == 0 and res.nit == 1, res
    np.testing.assert_allclose(res.x, xstar, rtol=0, atol=1e-8 * max(1, np.abs(xstar).max()))
    # SciPy from 1.11 has the option: then the same path
    import scipy.optimize._optimize as opt
    if "hess_inv0" in inspect.signature(opt._minimize_bfgs).parameters:
        H0 = np.diag(rng.uniform(0.5, 2, 10))
        x0 = rosen_x0(rng)
        res = clbfgs.minimize(rosen, x0, jac=rosen_der, options={**P[path], "hess_inv0": H0})
        ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS", options={"hess_inv0": H0})
        assert_same_run(res, ref, counts=("nit", "nfev", "njev"))


def test_hess_inv0_checked(rng):
    x0 = rosen_x0(rng, 3)
    with pytest.raises(ValueError, match="hess_inv0"):
        clbfgs.minimize(rosen, x0, jac=rosen_der, options={"hess_inv0": np.eye(4)})
    not_spd = np.array([[1.0, 2, 0], [2, 1, 0], [0, 0, 1]])
    with pytest.raises(clbfgs.Error, match="positive definite") as e:
        clbfgs.minimize(rosen, x0, jac=rosen_der, options={"hess_inv0": not_spd})
    assert e.value.status < 0


def test_disp_prints_scipy_summary(rng, capsys):
    x0 = rosen_x0(rng)
    so.minimize(rosen, x0, jac=rosen_der, method="BFGS", options={"disp": True})
    ref = capsys.readouterr().out
    so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs, options={"disp": True})
    assert capsys.readouterr().out == ref
    clbfgs.minimize(rosen, x0, jac=rosen_der)
    assert capsys.readouterr().out == ""


def test_bounds_through_scipy_are_ignored_with_a_warning(rng):
    x0 = rosen_x0(rng)
    with pytest.warns(RuntimeWarning, match="bounds"):
        res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs,
                          bounds=[(0, 1.1)] * x0.size)
    assert_same_run(res, so.minimize(rosen, x0, jac=rosen_der, method="BFGS"))


def test_result_fields(rng):
    x0 = rosen_x0(rng, 4)
    res = clbfgs.minimize(rosen, x0, jac=rosen_der)
    for name in ("x", "fun", "jac", "nit", "nfev", "njev", "status", "success", "message",
                 "precision", "skipped_updates", "time"):
        assert name in res, name
    assert isinstance(res.fun, float) and isinstance(res.nit, int)
    assert res.fun == pytest.approx(rosen(res.x), rel=1e-12, abs=1e-300)
    np.testing.assert_allclose(res.jac, rosen_der(res.x), rtol=1e-12, atol=1e-14)
    assert res.time["total"] > 0
