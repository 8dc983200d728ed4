"""precision='float': the run in float reaches float-level agreement."""
import numpy as np
import pytest

import clbfgs
from _common import rosen_x0

so = pytest.importorskip("scipy.optimize")
rosen, rosen_der = so.rosen, so.rosen_der


@pytest.mark.parametrize("objective", ["builtin", "python"])
def test_float_rosen(rng, objective):
    # gtol 1e-3: the library keeps tolerances as given, and 1e-5 is below
    # what float resolves on rosen (see the README's options)
    x0 = rosen_x0(rng, 4)
    opts = {"precision": "float", "gtol": 1e-3}
    if objective == "builtin":
        res = clbfgs.minimize(clbfgs.Builtin("rosen"), x0, options=opts)
    else:
        res = clbfgs.minimize(rosen, x0, jac=rosen_der, options=opts)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS", options={"gtol": 1e-3})
    assert res.precision == "float"
    assert res.status == 0, res.message
    assert res.x.dtype == np.float64
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-3, atol=1e-3)
    # and it is a float run: x is not what the double run gives to the bit
    double = clbfgs.minimize(rosen, x0, jac=rosen_der, options={"gtol": 1e-3})
    assert not np.array_equal(res.x, double.x)


def test_double_where_the_device_has_fp64(rng):
    res = clbfgs.minimize(rosen, rosen_x0(rng, 4), jac=rosen_der)
    assert res.precision == ("double" if clbfgs.select_device(None).has_fp64 else "float")
    if clbfgs.select_device(None).has_fp64:
        res = clbfgs.minimize(rosen, rosen_x0(rng, 4), jac=rosen_der,
                              options={"precision": "double"})
        assert res.precision == "double"
