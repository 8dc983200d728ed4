"""minimize_batch: each row's result is, bit for bit, what clbfgs.minimize
gives that row alone with single_kernel='always' (the header's "Batches"),
and agrees with SciPy's BFGS on that row."""
import numpy as np
import pytest

import clbfgs
from _common import ExpData, rosen_x0, stable_fit

so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der


def check_rows(batch, obj, X0, options=None):
    P, n = X0.shape
    assert batch.x.shape == (P, n) and batch.jac.shape == (P, n)
    for name in ("fun", "nit", "nfev", "njev", "status", "success"):
        assert batch[name].shape == (P,), name
    assert len(batch.message) == P
    assert batch.converged == int(np.sum(batch.status == 0))
    for p in range(P):
        alone = clbfgs.minimize(obj, X0[p], options=dict(options or {}, single_kernel="always"))
        np.testing.assert_array_equal(batch.x[p], alone.x, err_msg=f"row {p}")
        np.testing.assert_array_equal(batch.jac[p], alone.jac, err_msg=f"row {p}")
        assert batch.fun[p] == alone.fun, p
        assert (batch.nit[p], batch.nfev[p], batch.njev[p], batch.status[p]) == \
            (alone.nit, alone.nfev, alone.njev, alone.status), p
        assert batch.success[p] == alone.success and batch.message[p] == alone.message


def test_builtin_rosen(rng):
    P = int(rng.integers(3, 8))
    X0 = np.array([rosen_x0(rng) for _ in range(P)])  # n = 10: n is compiled in
    obj = clbfgs.Builtin("rosen")
    batch = clbfgs.minimize_batch(obj, X0)
    check_rows(batch, obj, X0)
    for p in range(P):
        ref = so.minimize(rosen, X0[p], jac=rosen_der, method="BFGS")
        assert batch.status[p] == ref.status and batch.message[p] == ref.message
        assert (batch.nit[p], batch.nfev[p], batch.njev[p]) == (ref.nit, ref.nfev, ref.njev), p
        np.testing.assert_allclose(batch.x[p], ref.x, rtol=0, atol=1e-7)


def test_terms(rng):
    d = ExpData(rng)
    P = int(rng.integers(3, 9))
    X0, refs = stable_rows(rng, d, [d.y] * P)
    obj = d.terms(clbfgs)
    batch = clbfgs.minimize_batch(obj, X0)
    check_rows(batch, obj, X0)
    for p, ref in enumerate(refs):
        assert batch.status[p] == ref.status
        assert (batch.nit[p], batch.nfev[p]) == (ref.nit, ref.nfev), p
        np.testing.assert_allclose(batch.x[p], ref.x, rtol=0, atol=1e-7)
        assert batch.fun[p] == pytest.approx(ref.fun, rel=1e-10)


def stable_rows(rng, d, ys):
    """A start per data set y in ys whose SciPy run is stable (stable_fit),
    and the runs."""
    rows = [stable_fit(rng, d, args=(y,)) for y in ys]
    return np.array([x0 for x0, _ in rows]), [ref for _, ref in rows]


def test_options(rng):
    # a limit every row meets: status 1 everywhere, as each row alone
    P = 4
    X0 = np.array([rosen_x0(rng) for _ in range(P)])
    obj = clbfgs.Builtin("rosen")
    opts = {"maxiter": 3}
    batch = clbfgs.minimize_batch(obj, X0, options=opts)
    assert np.all(batch.status == 1) and np.all(batch.nit == 3) and batch.converged == 0
    assert not np.any(batch.success)
    check_rows(batch, obj, X0, opts)
    batch = clbfgs.minimize_batch(obj, X0, options={"gtol": 1e-3})
    check_rows(batch, obj, X0, {"gtol": 1e-3})


def test_per_problem_data(rng):
    # P data sets in one array: problem p fits its own y
    d = ExpData(rng, m=300)
    P = int(rng.integers(3, 7))
    a, b = rng.uniform(1, 3, P), rng.uniform(0.5, 2, P)
    Y = a[:, None] * np.exp(-b[:, None] * d.t) + 0.01 * rng.standard_normal((P, d.m))
    X0, refs = stable_rows(rng, d, Y)
    batch = clbfgs.minimize_batch(d.terms(clbfgs, y=clbfgs.PerProblem(Y)), X0)
    for p, ref in enumerate(refs):
        alone = clbfgs.minimize(d.terms(clbfgs, y=Y[p]), X0[p],
                                options={"single_kernel": "always"})
        np.testing.assert_array_equal(batch.x[p], alone.x, err_msg=f"row {p}")
        assert (batch.nit[p], batch.nfev[p], batch.status[p]) == \
            (alone.nit, alone.nfev, alone.status)
        assert (batch.status[p], batch.nit[p], batch.nfev[p]) == (ref.status, ref.nit, ref.nfev)
        np.testing.assert_allclose(batch.x[p], ref.x, rtol=0, atol=1e-7)
    # the rows found different curves (their own data), near their truths
    assert np.all(np.abs(batch.x[:, 1] - b) < 0.1 * b)


def test_per_problem_size_must_split(rng):
    d = ExpData(rng, m=300)
    Y = np.tile(d.y, 3)  # 900 values: no 7 equal blocks
    with pytest.raises(ValueError, match="P = 7"):
        clbfgs.minimize_batch(d.terms(clbfgs, y=clbfgs.PerProblem(Y)), d.x0(rng, (7,)))


def test_bad_x0():
    obj = clbfgs.Builtin("rosen")
    with pytest.raises(ValueError, match="2-D"):
        clbfgs.minimize_batch(obj, np.ones(4))
    with pytest.raises(ValueError):
        clbfgs.minimize_batch(obj, np.ones((3, 4, 1)))
    with pytest.raises(ValueError):
        clbfgs.minimize_batch(obj, np.ones((0, 4)))
    x0 = np.ones((3, 4))
    x0[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"x0\[1, 2\]"):
        clbfgs.minimize_batch(obj, x0)


def test_host_function_refused():
    with pytest.raises(TypeError):
        clbfgs.minimize_batch(rosen, np.ones((2, 3)))


def test_refused_options(rng):
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.minimize_batch(clbfgs.Builtin("rosen"), np.ones((2, 3)),
                              options={"return_hess_inv": True})
    assert excinfo.value.status < 0
