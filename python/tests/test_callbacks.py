"""Iteration callbacks: once per iteration with SciPy's iterates, in both
styles; StopIteration ends the run with status 99; any other exception
reaches the caller unchanged."""
import numpy as np
import pytest

import clbfgs
from _common import PATHS, rosen_x0

so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der

METHODS = [("BFGS", clbfgs.bfgs), ("L-BFGS-B", clbfgs.lbfgsb)]
# Halfway along rosen's valley the two runs' iterates are further apart than
# at either end (see rosen_x0): 1e-6 at most on the starts drawn there.
ITERATE_TOL = 1e-5


def scipy_iterates(x0, method, **kw):
    xs = []
    ref = so.minimize(rosen, x0, jac=rosen_der, method=method,
                      callback=lambda xk: xs.append(np.array(xk, copy=True)), **kw)
    assert len(xs) == ref.nit
    return ref, xs


@pytest.mark.parametrize("method,ours", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_old_style(rng, method, ours, path):
    x0 = rosen_x0(rng)
    ref, expected = scipy_iterates(x0, method)
    xs = []
    res = so.minimize(rosen, x0, jac=rosen_der, method=ours, callback=lambda xk: xs.append(xk),
                      options=PATHS[path])
    assert res.nit == ref.nit and len(xs) == res.nit
    for k, (a, b) in enumerate(zip(xs, expected)):
        assert isinstance(a, np.ndarray) and a.shape == x0.shape and a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=0, atol=ITERATE_TOL, err_msg=f"iterate {k + 1}")
    np.testing.assert_allclose(xs[-1], expected[-1], rtol=0, atol=1e-8)
    np.testing.assert_array_equal(xs[-1], res.x)


@pytest.mark.parametrize("method,ours", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_new_style(rng, method, ours, path):
    x0 = rosen_x0(rng)
    ref, expected = scipy_iterates(x0, method)
    seen = []

    def callback(intermediate_result):
        seen.append((intermediate_result.x, intermediate_result.fun))
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method=method, callback=callback,
                          options=PATHS[path])
    assert res.nit == ref.nit and len(seen) == res.nit
    for k, ((x, f), b) in enumerate(zip(seen, expected)):
        np.testing.assert_allclose(x, b, rtol=0, atol=ITERATE_TOL, err_msg=f"iterate {k + 1}")
        assert f == pytest.approx(rosen(x), rel=1e-12, abs=1e-300)
    assert seen[-1][1] == res.fun


def test_callback_gets_a_copy(rng):
    x0 = rosen_x0(rng)
    plain = clbfgs.minimize(rosen, x0, jac=rosen_der)

    def vandal(xk):
        xk[:] = 1e6
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, callback=vandal)
    np.testing.assert_array_equal(res.x, plain.x)
    assert res.nit == plain.nit


def test_device_objective_callback(rng):
    x0 = rosen_x0(rng)
    ref, expected = scipy_iterates(x0, "BFGS")
    xs = []
    res = clbfgs.minimize(clbfgs.Builtin("rosen"), x0, callback=xs.append)
    assert res.nit == ref.nit == len(xs)
    # f and g from the device differ from NumPy's in the last bits, and
    # rosen's valley magnifies that halfway (the ends agree to 1e-7)
    np.testing.assert_allclose(np.array(xs), np.array(expected), rtol=0, atol=1e-5)
    np.testing.assert_allclose(xs[-1], expected[-1], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(xs[-1], res.x)


@pytest.mark.parametrize("method,ours", METHODS)
@pytest.mark.parametrize("style", ["old", "new"])
@pytest.mark.parametrize("path", PATHS)
def test_stop_iteration(rng, method, ours, style, path):
    x0 = rosen_x0(rng)
    ref, expected = scipy_iterates(x0, method)
    stop_at = int(rng.integers(1, ref.nit))
    calls = []
    if style == "old":
        def callback(xk):
            calls.append(xk)
            if len(calls) == stop_at:
                raise StopIteration
    else:
        def callback(intermediate_result):
            calls.append(intermediate_result.x)
            if len(calls) == stop_at:
                raise StopIteration
    res = so.minimize(rosen, x0, jac=rosen_der, method=ours, callback=callback,
                      options=PATHS[path])
    assert res.status == 99
    assert res.success is False
    assert res.message == "`callback` raised `StopIteration`."
    assert len(calls) == stop_at and res.nit == stop_at
    np.testing.assert_allclose(res.x, expected[stop_at - 1], rtol=0, atol=ITERATE_TOL)
    assert res.fun == pytest.approx(rosen(res.x), rel=1e-12)


class CallbackFailure(ZeroDivisionError):
    pass


@pytest.mark.parametrize("method,ours", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_exception_reaches_caller(rng, method, ours, path):
    x0 = rosen_x0(rng)
    ref = so.minimize(rosen, x0, jac=rosen_der, method=method)
    fail_at = int(rng.integers(1, ref.nit))
    calls, raised, count = [], [], [0]

    def f(x):
        calls.append(1)
        return rosen(x)

    def counting(xk):
        count[0] += 1
        if count[0] == fail_at:
            exc = CallbackFailure("from the callback")
            raised.append((exc, len(calls)))
            raise exc
    with pytest.raises(ZeroDivisionError) as excinfo:
        so.minimize(f, x0, jac=rosen_der, method=ours, callback=counting, options=PATHS[path])
    exc, evaluations = raised[0]
    assert excinfo.value is exc
    assert count[0] == fail_at
    assert len(calls) == evaluations  # nothing ran after the callback failed
    # and the library is fine for the next run
    res = clbfgs.minimize(rosen, x0, jac=rosen_der, method=method, options=PATHS[path])
    assert (res.status, res.nit, res.nfev) == (ref.status, ref.nit, ref.nfev)


def test_exception_in_device_objective_callback(rng):
    x0 = rosen_x0(rng)
    exc = KeyError("stop here")

    def callback(intermediate_result):
        raise exc
    with pytest.raises(KeyError) as excinfo:
        clbfgs.minimize(clbfgs.Builtin("rosen"), x0, callback=callback)
    assert excinfo.value is exc
