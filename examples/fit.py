#!/usr/bin/env python3
"""Fit y = a exp(-b t) + c to 10^5 noisy samples three ways with clbfgs, and
check that they agree with each other and with the truth.

1. SciPy's own call, with clbfgs as the method: the objective is NumPy code,
   called from the device's iteration at each evaluation.
2. clbfgs.minimize with the same NumPy objective and jac=True.
3. A term objective: the per-sample residual in OpenCL C, the samples on the
   device; f and g never come back to Python.

Run it from a built clone: PYTHONPATH=python python3 examples/fit.py
(or after `pip install ./python`). Exits non-zero when a check fails.
"""

import sys

import numpy as np
import scipy.optimize as so

import clbfgs

seed = np.random.SeedSequence().entropy
rng = np.random.default_rng(seed)
m = 100_000
truth = np.array([2.0, 0.7, 0.3])
t = np.linspace(0.0, 8.0, m)
sigma = 0.05
y = truth[0] * np.exp(-truth[1] * t) + truth[2] + sigma * rng.standard_normal(m)


def loss(p):
    """1/2 sum r_i^2 and its gradient, in NumPy."""
    e = np.exp(-p[1] * t)
    r = p[0] * e + p[2] - y
    g = np.array([r @ e, -(r @ (p[0] * t * e)), r.sum()])
    return 0.5 * (r @ r), g


RESIDUAL = """
real residual(const uint i, const real *p, real *g,
              __global const real *t, __global const real *y)
{
    real e = exp(-p[1] * t[i]);
    g[0] = e;
    g[1] = -p[0] * t[i] * e;
    g[2] = 1;
    return p[0] * e + p[2] - y[i];
}
"""

x0 = np.array([1.0, 1.0, 0.0])
a = so.minimize(loss, x0, jac=True, method=clbfgs.bfgs, options={"gtol": 1e-4})
b = clbfgs.minimize(loss, x0, jac=True, options={"gtol": 1e-4})
terms = clbfgs.Terms(RESIDUAL, "residual", m,
                     params="__global const real *t, __global const real *y", args=(t, y),
                     least_squares=True)
c = clbfgs.minimize(terms, x0, options={"gtol": 1e-4})
ref = so.minimize(loss, x0, jac=True, method="BFGS", options={"gtol": 1e-4})

print(f"device: {clbfgs.select_device().name}; noise seed {seed}")
print(f"{'how':<34} {'status':>6} {'nit':>4} {'nfev':>5}  a, b, c")
for name, r in (("scipy.optimize.minimize(BFGS)", ref), ("scipy ... method=clbfgs.bfgs", a),
                ("clbfgs.minimize(NumPy fun)", b), ("clbfgs.minimize(clbfgs.Terms)", c)):
    print(f"{name:<34} {r.status:>6} {r.nit:>4} {r.nfev:>5}  {np.array2string(r.x, precision=6)}")

# The standard errors of the fit, from J'J at the solution.
e = np.exp(-c.x[1] * t)
J = np.stack([e, -c.x[0] * t * e, np.ones(m)], axis=1)
se = sigma * np.sqrt(np.diag(np.linalg.inv(J.T @ J)))
ok = all(r.success for r in (a, b, c))
# SciPy's path to rounding, and the same run twice over
ok &= bool(np.all(np.abs(a.x - ref.x) < 1e-2 * se)) and abs(a.nit - ref.nit) <= 2
ok &= bool(np.array_equal(b.x, a.x))
ok &= bool(np.all(np.abs(c.x - a.x) < 1e-2 * se))  # the device sums in another order
ok &= bool(np.all(np.abs(c.x - truth) < 5 * se))
print(f"standard errors {', '.join(f'{v:.2e}' for v in se)}; "
      f"|terms - truth| / se = {np.array2string(np.abs(c.x - truth) / se, precision=2)}")
print("all checks passed" if ok else "CHECK FAILED")
sys.exit(0 if ok else 1)
