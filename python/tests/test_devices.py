"""devices(), select_device(), Context, and the forms device= takes."""
import re
import threading

import numpy as np
import pytest

import clbfgs
from _common import rosen_x0

so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der


def test_devices():
    devs = clbfgs.devices()
    assert isinstance(devs, list) and devs
    for i, d in enumerate(devs):
        assert isinstance(d, clbfgs.Device)
        assert isinstance(d.name, str) and d.name
        assert d.type in ("cpu", "gpu", "accelerator", "other")
        assert re.fullmatch(r"\d+:\d+", d.selector)
        assert d.selector == f"{d.platform_index}:{d.device_index}"
        assert d.index == i
        assert d.global_mem_bytes > 0 and d.compute_units > 0
        assert d.name in str(d) and d.selector in str(d)
    assert len({d.selector for d in devs}) == len(devs)


def test_select_device():
    devs = clbfgs.devices()
    default = clbfgs.select_device(None)
    assert default in devs
    for d in devs:
        assert clbfgs.select_device(d.selector) == d
        assert clbfgs.select_device(d) == d
        assert clbfgs.select_device(str(d.index)) == d
    if any(d.type == "cpu" for d in devs):
        cpu = clbfgs.select_device("cpu")
        assert cpu.type == "cpu"
    else:
        with pytest.raises(clbfgs.Error):
            clbfgs.select_device("cpu")
    with pytest.raises(clbfgs.Error) as excinfo:
        clbfgs.select_device("no-such-device")
    assert excinfo.value.status < 0 and "no-such-device" in excinfo.value.message


def test_device_forms_give_the_same_run(rng):
    # None, a selector, a Device, a Context of our own: one device, one result
    x0 = rosen_x0(rng)
    dev = clbfgs.select_device(None)
    base = clbfgs.minimize(rosen, x0, jac=rosen_der)
    with clbfgs.Context(device=dev) as ctx:
        assert ctx.device == dev and dev.name in repr(ctx)
        assert ctx.cl_context and ctx.cl_queue
        for device in (dev.selector, dev, ctx, str(dev.index)):
            res = clbfgs.minimize(rosen, x0, jac=rosen_der, device=device)
            np.testing.assert_array_equal(res.x, base.x)
            assert (res.nit, res.nfev) == (base.nit, base.nfev)
        res = so.minimize(rosen, x0, jac=rosen_der, method=clbfgs.bfgs, options={"device": ctx})
        np.testing.assert_array_equal(res.x, base.x)
    assert "closed" in repr(ctx)
    with pytest.raises(ValueError, match="closed"):
        clbfgs.minimize(rosen, x0, jac=rosen_der, device=ctx)


def test_context_from_selector_string():
    dev = clbfgs.select_device(None)
    with clbfgs.Context(device=dev.selector) as ctx:
        assert ctx.device == dev


def test_context_log():
    messages = []
    with clbfgs.Context(log=lambda level, msg: messages.append((level, msg)),
                        log_level="debug") as ctx:
        res = clbfgs.minimize(clbfgs.Builtin("rosen"), np.full(4, 1.3), device=ctx)
        assert res.success
    assert messages and all(level in ("error", "warning", "info", "debug")
                            for level, _ in messages)
    assert all(isinstance(m, str) for _, m in messages)
    with pytest.raises(ValueError):
        clbfgs.Context(log=print, log_level="loud")


def test_threads(rng):
    # a Context per thread; runs in two threads at once give the single
    # thread's results
    starts = [rosen_x0(rng) for _ in range(4)]
    expected = [clbfgs.minimize(rosen, x0, jac=rosen_der) for x0 in starts]
    results, errors = {}, []

    def work(i):
        try:
            results[i] = clbfgs.minimize(rosen, starts[i], jac=rosen_der)
        except BaseException as e:  # noqa: B902 (reported below)
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(starts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i, ref in enumerate(expected):
        np.testing.assert_array_equal(results[i].x, ref.x)
        assert results[i].nit == ref.nit
