"""Device objectives (Builtin, Source, Terms): f and g computed on the device
against SciPy on the same function written in NumPy."""
import numpy as np
import pytest

import clbfgs
from _common import (SOURCE, TERMS, TERMS_PARAMS, ExpData, assert_same_run, draw_stable,
                     message_kind, rosen_x0, stable_fit)

so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der

ERR_INVALID_ARGUMENT, ERR_BUILD, ERR_KERNEL_NOT_FOUND = -1, -6, -7

# Forward differences of the fit: on noisy data its gradient is good to
# about 1e-4 that way, and the device's f (summed otherwise, and by the
# library term by term for a Terms objective) differs from NumPy's in the
# last bits, which the differences magnify. So: data without noise (f
# falls to 0, and its rounding with it), gtol 1e-4 (1e-3 for Terms, whose
# weights make f larger), starts whose SciPy run is stable (draw_stable), x
# to 1e-5.
FD_XTOL = 1e-5


def fd_case(rng, fun, options):
    d = ExpData(rng, noise=0.0)
    return (d.x0(rng), lambda x: so.minimize(getattr(d, fun), x, method="BFGS", options=options),
            d)


@pytest.mark.parametrize("single_kernel", ["auto", "never", "always"])
def test_builtin_rosen(rng, single_kernel):
    x0 = rosen_x0(rng)
    res = clbfgs.minimize(clbfgs.Builtin("rosen"), x0, options={"single_kernel": single_kernel})
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS")
    assert_same_run(res, ref, xtol=1e-7, counts=("nit", "nfev", "njev"))
    np.testing.assert_allclose(res.jac, rosen_der(res.x), rtol=1e-9, atol=1e-9)


def test_builtin_rosen_through_scipy_and_lbfgsb(rng):
    x0 = rosen_x0(rng)
    res = so.minimize(clbfgs.Builtin("rosen"), x0, method=clbfgs.bfgs)
    assert_same_run(res, so.minimize(rosen, x0, jac=rosen_der, method="BFGS"), xtol=1e-7)
    bounds = [(None, 0.9)] + [(0.5, 1.5)] * (x0.size - 1)
    res = clbfgs.minimize(clbfgs.Builtin("rosen"), x0, method="L-BFGS-B", bounds=bounds)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", bounds=bounds)
    assert_same_run(res, ref, xtol=1e-7, counts=("nit", "nfev"), message=False)
    assert message_kind(res.message) == message_kind(ref.message)


def test_builtin_quadratic(rng):
    # sum_i (i + 1) / 2 (x_i - 1)^2 (ext-rosenbrock's long valley leaves the
    # two runs' counts apart by one or two now and then: not compared here)
    n = 7  # (the one-kernel solve compiles n in: one n, one build)
    c = np.arange(1, n + 1)
    x0 = rng.uniform(-2, 2, n)
    res = clbfgs.minimize(clbfgs.Builtin("quadratic"), x0)
    ref = so.minimize(lambda x: float(np.sum(c / 2 * (x - 1) ** 2)), x0,
                      jac=lambda x: c * (x - 1), method="BFGS")
    assert_same_run(res, ref, counts=("nit", "nfev", "njev"))


def test_source(rng):
    d = ExpData(rng)
    x0, ref = stable_fit(rng, d, "fun_all", "jac_all")
    res = clbfgs.minimize(d.source(clbfgs), x0)
    assert_same_run(res, ref, xtol=1e-7, counts=("nit", "nfev", "njev"))
    assert ref.status == 0
    # and the fit found the truth, to the noise
    assert abs(res.x[0] - d.a) < 0.05 * d.a and abs(res.x[1] - d.b) < 0.05 * d.b


def test_source_without_gradient(rng):
    # forward differences on the device: SciPy's step, n + 1 values per gradient
    opts = {"gtol": 1e-4}
    x0, ref, d = draw_stable(rng, lambda: fd_case(rng, "fun_all", opts))
    res = clbfgs.minimize(d.source(clbfgs, gradient=False), x0, options=opts)
    assert ref.status == 0
    assert_same_run(res, ref, xtol=FD_XTOL, counts=("nit", "nfev", "njev"))


def test_terms(rng):
    d = ExpData(rng)
    x0, ref = stable_fit(rng, d)
    obj = d.terms(clbfgs)
    res = clbfgs.minimize(obj, x0)
    assert_same_run(res, ref, xtol=1e-7, counts=("nit", "nfev", "njev"))
    # the int32 weights and the uint32 cut reached the device: f is the
    # weighted sum over the first k items only
    assert res.fun == pytest.approx(d.fun(res.x), rel=1e-10)
    np.testing.assert_allclose(res.jac, d.jac(res.x), rtol=1e-8, atol=1e-10)
    # the same objective again (its data stay on the device): the same bits
    again = clbfgs.minimize(obj, x0)
    np.testing.assert_array_equal(again.x, res.x)
    assert (again.nit, again.nfev) == (res.nit, res.nfev)


def test_terms_float32_data(rng):
    # float32 arrays for real data are taken as their values (in double here)
    d = ExpData(rng)
    x0 = d.x0(rng)
    t32, y32 = d.t.astype(np.float32), d.y.astype(np.float32)
    obj32 = clbfgs.Terms(TERMS, "expfit", d.m, TERMS_PARAMS, args=(t32, y32, d.w, d.k, d.s),
                         least_squares=True)
    d.t, d.y = t32.astype(np.float64), y32.astype(np.float64)
    res = clbfgs.minimize(obj32, x0)
    same = clbfgs.minimize(d.terms(clbfgs), x0)
    np.testing.assert_array_equal(res.x, same.x)
    assert (res.nit, res.nfev) == (same.nit, same.nfev)


def test_terms_host_driven(rng):
    d = ExpData(rng)
    x0, ref = stable_fit(rng, d)
    res = clbfgs.minimize(d.terms(clbfgs), x0, options={"single_kernel": "never"})
    assert_same_run(res, ref, xtol=1e-7, counts=("nit", "nfev", "njev"))


def test_terms_without_gradient(rng):
    opts = {"gtol": 1e-3}
    x0, ref, d = draw_stable(rng, lambda: fd_case(rng, "fun", opts))
    res = clbfgs.minimize(d.terms(clbfgs, gradient=False), x0, options=opts)
    assert ref.status == 0
    assert_same_run(res, ref, xtol=FD_XTOL, counts=("nit", "nfev", "njev"))


def test_terms_lbfgsb_bounds(rng):
    d = ExpData(rng)
    bounds = [(0.0, 0.9 * d.a), (0.1, None)]  # a bound that binds
    # maxcor 1: with both variables free and two pairs or more, the 2m x 2m
    # matrix of SciPy's formk is singular in exact arithmetic, and whether
    # its Cholesky factorisation breaks down (a restart) is a matter of
    # rounding: about 1 run in 10 of this fit restarts on one side only
    opts = {"maxcor": 1}
    x0, ref = stable_fit(rng, d, method="L-BFGS-B", bounds=bounds, options=opts)
    res = clbfgs.minimize(d.terms(clbfgs), x0, method="L-BFGS-B", bounds=bounds, options=opts)
    assert_same_run(res, ref, xtol=1e-7, counts=("nit", "nfev", "njev"), message=False)
    assert message_kind(res.message) == message_kind(ref.message)
    assert res.x[0] == 0.9 * d.a


def test_device_objective_takes_no_args(rng):
    d = ExpData(rng)
    with pytest.raises(ValueError, match="args"):
        clbfgs.minimize(d.terms(clbfgs), d.x0(rng), args=(1.0,))


def test_compile_error():
    broken = ("__kernel void broken(const uint n, __global const real *x,\n"
              "                     __global real *f_terms, __global real *g)\n"
              "{\n"
              "    f_terms[get_global_id(0)] = x[0] +* ;\n"
              "}\n")
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.minimize(clbfgs.Source(broken, "broken", name="broken_objective.cl"), np.ones(2))
    e = excinfo.value
    assert e.status == ERR_BUILD
    assert "build log" in e.message
    assert "broken_objective.cl:4:" in e.message  # the log points at the line
    terms = "real f(const uint i, const real *x, real *g)\n{\n    return x[0] +* ;\n}\n"
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.minimize(clbfgs.Terms(terms, "f", 10, name="broken_terms.cl"), np.ones(2))
    assert excinfo.value.status == ERR_BUILD
    assert "broken_terms.cl:3:" in excinfo.value.message


def test_kernel_not_found(rng):
    d = ExpData(rng)
    obj = clbfgs.Source(SOURCE, "no_such_kernel", args=(d.t, d.y, np.uint32(d.m)))
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.minimize(obj, d.x0(rng))
    assert excinfo.value.status == ERR_KERNEL_NOT_FOUND
    assert "no_such_kernel" in excinfo.value.message and "expsum" in excinfo.value.message


def test_missing_data_argument(rng):
    d = ExpData(rng)
    x0 = d.x0(rng)
    obj = clbfgs.Terms(TERMS, "expfit", d.m, TERMS_PARAMS, args=(d.t, d.y), least_squares=True)
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.minimize(obj, x0)
    e = excinfo.value
    assert e.status == ERR_INVALID_ARGUMENT
    # the message names the function, what it declares (w and k among it)
    # and how many were set
    assert "expfit" in e.message and "*w" in e.message and "uint k" in e.message
    assert "2 were set" in e.message, e.message
    obj = clbfgs.Source(SOURCE, "expsum", args=(d.t,))
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.minimize(obj, x0)
    assert excinfo.value.status == ERR_INVALID_ARGUMENT
    assert "expsum" in excinfo.value.message and "1 were set" in excinfo.value.message


def test_wrong_data_argument(rng):
    d = ExpData(rng)
    x0 = d.x0(rng)
    # a Python int is an OpenCL int; the function declares a uint
    obj = clbfgs.Terms(TERMS, "expfit", d.m, TERMS_PARAMS, args=(d.t, d.y, d.w, int(d.k), d.s),
                       least_squares=True)
    with pytest.raises(clbfgs.Error, match="'k'") as excinfo:
        clbfgs.minimize(obj, x0)
    assert excinfo.value.status == ERR_INVALID_ARGUMENT
    # reals where the int weights go
    obj = clbfgs.Terms(TERMS, "expfit", d.m, TERMS_PARAMS,
                       args=(d.t, d.y, d.w.astype(np.float64), d.k, d.s), least_squares=True)
    with pytest.raises(clbfgs.Error, match="'w'"):
        clbfgs.minimize(obj, x0)
    # a Python int is an int, not a real
    obj = clbfgs.Terms(TERMS, "expfit", d.m, TERMS_PARAMS, args=(d.t, d.y, d.w, d.k, 1),
                       least_squares=True)
    with pytest.raises(clbfgs.Error, match="'s'"):
        clbfgs.minimize(obj, x0)
    # a dtype no kernel argument has
    obj = clbfgs.Terms(TERMS, "expfit", d.m, TERMS_PARAMS,
                       args=(d.t, d.y, d.w.astype(np.complex128), d.k, d.s),
                       least_squares=True)
    with pytest.raises(ValueError, match="complex"):
        clbfgs.minimize(obj, x0)
