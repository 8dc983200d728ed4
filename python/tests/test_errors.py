"""Errors: exceptions from fun and jac reach the caller unchanged; bad input
is a ValueError before anything runs; the library's own failures are
clbfgs.Error with its message and a negative status."""
import warnings

import numpy as np
import pytest

import clbfgs
from _common import PATHS, Counted, rosen_x0

so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der


class Boom(Exception):
    pass


def check_library_still_works(rng):
    x0 = rosen_x0(rng, 4)
    res = clbfgs.minimize(rosen, x0, jac=rosen_der)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS")
    assert (res.status, res.nit, res.nfev) == (ref.status, ref.nit, ref.nfev)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B"])
@pytest.mark.parametrize("jac", ["callable", "True", "None"])
@pytest.mark.parametrize("path", PATHS)
def test_exception_in_fun(rng, method, jac, path):
    exc = Boom("fifth call")
    x0 = rosen_x0(rng)
    if jac == "True":
        f = Counted(lambda x: (rosen(x), rosen_der(x)), fail_at=5, exc=exc)
        kw = {"jac": True}
    else:
        f = Counted(rosen, fail_at=5, exc=exc)
        kw = {"jac": rosen_der if jac == "callable" else None}
    with pytest.raises(Boom) as excinfo:
        clbfgs.minimize(f, x0, method=method, options=PATHS[path], **kw)
    assert excinfo.value is exc
    assert f.calls == 5  # the run stopped at the failing call
    assert excinfo.traceback[-1].name == "__call__"  # its own traceback, from Counted
    check_library_still_works(rng)


@pytest.mark.parametrize("ours", [clbfgs.bfgs, clbfgs.lbfgsb])
@pytest.mark.parametrize("path", PATHS)
def test_exception_in_jac(rng, ours, path):
    exc = ArithmeticError("third gradient")
    x0 = rosen_x0(rng)
    g = Counted(rosen_der, fail_at=3, exc=exc)
    with pytest.raises(ArithmeticError) as excinfo:
        so.minimize(rosen, x0, jac=g, method=ours, options=PATHS[path])
    assert excinfo.value is exc and g.calls == 3
    check_library_still_works(rng)


@pytest.mark.parametrize("path", PATHS)
def test_keyboard_interrupt(rng, path):
    exc = KeyboardInterrupt()
    f = Counted(rosen, fail_at=5, exc=exc)
    with pytest.raises(KeyboardInterrupt) as excinfo:
        clbfgs.minimize(f, rosen_x0(rng), jac=rosen_der, options=PATHS[path])
    assert excinfo.value is exc and f.calls == 5
    check_library_still_works(rng)


@pytest.mark.parametrize("case", [
    "x0 2-D", "x0 empty", "x0 NaN", "x0 inf", "x0 complex", "bounds length", "lower > upper",
    "bounds NaN", "bounds with BFGS", "unknown method", "precision quad", "jac 3-point",
    "maxiter negative", "return_all", "hess_inv0 shape", "single_kernel"])
def test_value_errors_before_anything_runs(rng, case):
    n = 4
    x0 = rosen_x0(rng, n)
    f = Counted(rosen)
    kw = {"jac": rosen_der}
    if case == "x0 2-D":
        x0 = x0.reshape(2, 2)
    elif case == "x0 empty":
        x0 = np.empty(0)
    elif case == "x0 NaN":
        x0[2] = np.nan
    elif case == "x0 inf":
        x0[1] = -np.inf
    elif case == "x0 complex":
        x0 = x0 + 1j
    elif case == "bounds length":
        kw.update(method="L-BFGS-B", bounds=[(0, 2)] * (n + 1))
    elif case == "lower > upper":
        kw.update(method="L-BFGS-B", bounds=[(0, 2)] * (n - 1) + [(1.5, 1.4)])
    elif case == "bounds NaN":
        kw.update(method="L-BFGS-B", bounds=[(0, 2)] * (n - 1) + [(np.nan, 1)])
    elif case == "bounds with BFGS":
        kw.update(method="BFGS", bounds=[(0, 2)] * n)
    elif case == "unknown method":
        kw.update(method="Newton-CG")
    elif case == "precision quad":
        kw.update(options={"precision": "quad"})
    elif case == "jac 3-point":
        kw.update(jac="3-point")
    elif case == "maxiter negative":
        kw.update(options={"maxiter": -1})
    elif case == "return_all":
        kw.update(options={"return_all": True})
    elif case == "hess_inv0 shape":
        kw.update(options={"hess_inv0": np.eye(n)[:, :2]})
    elif case == "single_kernel":
        kw.update(options={"single_kernel": "sometimes"})
    with warnings.catch_warnings():
        # (a complex x0 is cast, with NumPy's ComplexWarning, before it is refused)
        warnings.simplefilter("ignore", np.ComplexWarning)
        with pytest.raises(ValueError):
            clbfgs.minimize(f, x0, **kw)
    assert f.calls == 0


def test_constraints_refused(rng):
    with pytest.raises(ValueError, match="constraints"):
        so.minimize(rosen, rosen_x0(rng, 3), method=clbfgs.bfgs,
                    constraints=[{"type": "eq", "fun": lambda x: x[0] - 1}])


def test_fun_returning_a_vector(rng):
    with pytest.raises(ValueError, match="scalar"):
        clbfgs.minimize(lambda x: x * 2, rosen_x0(rng, 3), jac=lambda x: np.ones(3))
    with pytest.raises(ValueError):  # and with forward differences
        clbfgs.minimize(lambda x: x * 2, rosen_x0(rng, 3))
    check_library_still_works(rng)


def test_fun_returning_a_one_element_array_is_fine(rng):
    # SciPy takes a size-1 array as the scalar it holds
    x0 = rosen_x0(rng)
    res = clbfgs.minimize(lambda x: np.array([rosen(x)]), x0, jac=rosen_der)
    ref = so.minimize(lambda x: np.array([rosen(x)]), x0, jac=rosen_der, method="BFGS")
    assert (res.status, res.nit, res.nfev) == (ref.status, ref.nit, ref.nfev)


def test_jac_wrong_shape(rng):
    x0 = rosen_x0(rng, 3)
    with pytest.raises(ValueError, match="shape"):
        clbfgs.minimize(rosen, x0, jac=lambda x: np.ones(4))
    with pytest.raises(ValueError, match="shape"):
        clbfgs.minimize(lambda x: (rosen(x), np.ones((3, 1))), x0, jac=True)
    with pytest.raises(ValueError):
        clbfgs.minimize(lambda x: rosen(x), x0, jac=True)  # not a pair
    check_library_still_works(rng)


def test_library_error_maxcor(rng):
    x0 = rosen_x0(rng, 4)
    f = Counted(rosen)
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.minimize(f, x0, jac=rosen_der, method="L-BFGS-B", options={"maxcor": 0})
    e = excinfo.value
    assert isinstance(e, RuntimeError)
    assert e.status < 0
    assert "L-BFGS-B pairs" in e.message and "not 0" in e.message, e.message
    assert str(e) == e.message
    check_library_still_works(rng)


def test_library_error_device():
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.minimize(rosen, np.ones(3), jac=rosen_der, device="no-such-device")
    e = excinfo.value
    assert e.status < 0
    assert "no-such-device" in e.message
    # and it lists the devices there are
    assert clbfgs.devices()[0].name in e.message


def test_unknown_option_warns(rng):
    x0 = rosen_x0(rng)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS")
    with pytest.warns(so.OptimizeWarning, match="no_such_option"):
        res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs,
                          options={"no_such_option": 1})
    assert (res.status, res.nit, res.nfev) == (ref.status, ref.nit, ref.nfev)
    with pytest.warns(so.OptimizeWarning, match="maxcor"):  # an L-BFGS-B option for BFGS
        clbfgs.minimize(rosen, x0, jac=rosen_der, options={"maxcor": 3})


def test_nan_objective_ends_the_run(rng):
    # NaN at x0: SciPy's status 3 ("NaN result encountered.") or an error,
    # never a hang or a crash
    x0 = rosen_x0(rng, 3)
    res = clbfgs.minimize(lambda x: np.nan, x0, jac=lambda x: np.full(3, np.nan))
    ref = so.minimize(lambda x: np.nan, x0, jac=lambda x: np.full(3, np.nan), method="BFGS")
    assert res.status == ref.status == 3 and not res.success
    assert res.message == ref.message
