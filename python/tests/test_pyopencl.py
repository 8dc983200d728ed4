"""pyopencl interop: its CommandQueue or Context as device=, its Buffers as
data arguments. Skipped without pyopencl."""
import numpy as np
import pytest

import clbfgs
from _common import SOURCE, TERMS, TERMS_PARAMS, ExpData, rosen_x0

cl = pytest.importorskip("pyopencl")
so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der


@pytest.fixture(scope="module")
def queue():
    """A pyopencl queue on clbfgs's default device (one for the module: the
    package keeps a Context per queue, and kernels build once per Context)."""
    dev = clbfgs.select_device(None)
    try:
        platforms = cl.get_platforms()
    except cl.Error as e:
        pytest.skip(f"pyopencl sees no platform: {e}")
    for p in platforms:
        for d in p.get_devices():
            if d.name.strip() == dev.name.strip() and p.name.strip() == dev.platform.strip():
                ctx = cl.Context([d])
                return cl.CommandQueue(ctx)
    pytest.skip(f"pyopencl does not see {dev.name}")


def test_queue_and_context_as_device(rng, queue):
    x0 = rosen_x0(rng)
    base = clbfgs.minimize(rosen, x0, jac=rosen_der)
    for device in (queue, queue.context):
        res = clbfgs.minimize(rosen, x0, jac=rosen_der, device=device)
        np.testing.assert_array_equal(res.x, base.x)
        assert (res.nit, res.nfev, res.status) == (base.nit, base.nfev, base.status)
    res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs, options={"device": queue})
    np.testing.assert_array_equal(res.x, base.x)


def test_context_adopts_the_queue(queue):
    with clbfgs.Context(device=queue) as ctx:
        assert ctx.cl_queue == queue.int_ptr
        assert ctx.cl_context == queue.context.int_ptr
        assert ctx.device == clbfgs.select_device(None)


def buffer(queue, array):
    mf = cl.mem_flags
    return cl.Buffer(queue.context, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=array)


def test_buffer_arguments_terms(rng, queue):
    d = ExpData(rng)
    x0 = d.x0(rng)
    with_arrays = clbfgs.minimize(d.terms(clbfgs), x0, device=queue)
    obj = clbfgs.Terms(TERMS, "expfit", d.m, TERMS_PARAMS,
                       args=(buffer(queue, d.t), buffer(queue, d.y), buffer(queue, d.w), d.k, d.s),
                       least_squares=True)
    res = clbfgs.minimize(obj, x0, device=queue)
    np.testing.assert_array_equal(res.x, with_arrays.x)
    assert (res.nit, res.nfev, res.status) == (with_arrays.nit, with_arrays.nfev,
                                               with_arrays.status)
    ref = so.minimize(d.fun, x0, jac=d.jac, method="BFGS")
    assert (res.status, res.nit, res.nfev) == (ref.status, ref.nit, ref.nfev)
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-7)


def test_buffer_arguments_source(rng, queue):
    d = ExpData(rng)
    x0 = d.x0(rng)
    with_arrays = clbfgs.minimize(d.source(clbfgs), x0, device=queue)
    obj = clbfgs.Source(SOURCE, "expsum",
                        args=(buffer(queue, d.t), buffer(queue, d.y), np.uint32(d.m)))
    res = clbfgs.minimize(obj, x0, device=queue)
    np.testing.assert_array_equal(res.x, with_arrays.x)
    assert (res.nit, res.nfev) == (with_arrays.nit, with_arrays.nfev)


def test_buffer_per_problem(rng, queue):
    d = ExpData(rng, m=300)
    P = 4
    Y = np.stack([rng.uniform(1, 3) * np.exp(-rng.uniform(0.5, 2) * d.t) for _ in range(P)])
    X0 = d.x0(rng, (P,))
    with_array = clbfgs.minimize_batch(d.terms(clbfgs, y=clbfgs.PerProblem(Y)), X0,
                                       device=queue)
    with pytest.raises(ValueError, match="count"):  # a buffer's size is in bytes: say it
        clbfgs.minimize_batch(d.terms(clbfgs, y=clbfgs.PerProblem(buffer(queue, Y))), X0,
                              device=queue)
    res = clbfgs.minimize_batch(d.terms(clbfgs, y=clbfgs.PerProblem(buffer(queue, Y), d.m)),
                                X0, device=queue)
    np.testing.assert_array_equal(res.x, with_array.x)
    np.testing.assert_array_equal(res.nit, with_array.nit)
