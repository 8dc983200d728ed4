"""The Moré, Garbow & Hillstrom (1981) problems of tests/mgh.cl, in NumPy.

Each problem is residuals F(x) and their Jacobian J(x); f = F.F and
g = 2 J^T F, as the kernels compute them. The numbers are the paper's.
"""
import numpy as np


def rosenbrock(x):
    F = np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])
    J = np.array([[-20 * x[0], 10], [-1, 0]])
    return F, J


def freudenstein_roth(x):
    t = x[1]
    F = np.array([-13 + x[0] + ((5 - t) * t - 2) * t, -29 + x[0] + ((t + 1) * t - 14) * t])
    J = np.array([[1, (10 - 3 * t) * t - 2], [1, (3 * t + 2) * t - 14]])
    return F, J


def brown_badly_scaled(x):
    F = np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2])
    J = np.array([[1, 0], [0, 1], [x[1], x[0]]])
    return F, J


def beale(x):
    y = np.array([1.5, 2.25, 2.625])
    k = np.arange(1, 4)
    F = y - x[0] * (1 - x[1] ** k)
    J = np.stack([-(1 - x[1] ** k), x[0] * k * x[1] ** (k - 1)], axis=1)
    return F, J


def jennrich_sampson(x):
    i = np.arange(1, 11)
    e0, e1 = np.exp(i * x[0]), np.exp(i * x[1])
    return 2 + 2 * i - (e0 + e1), np.stack([-i * e0, -i * e1], axis=1)


def helical_valley(x):
    r2 = x[0] ** 2 + x[1] ** 2
    r = np.sqrt(r2)
    theta = np.arctan(x[1] / x[0]) / (2 * np.pi) + (0.5 if x[0] < 0 else 0)
    F = np.array([10 * (x[2] - 10 * theta), 10 * (r - 1), x[2]])
    J = np.array([[100 * x[1] / (2 * np.pi * r2), -100 * x[0] / (2 * np.pi * r2), 10],
                  [10 * x[0] / r, 10 * x[1] / r, 0], [0, 0, 1]])
    return F, J


def bard(x):
    y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39,
                  0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39])
    u = np.arange(1.0, 16.0)
    v = 16 - u
    w = np.minimum(u, v)
    d = v * x[1] + w * x[2]
    F = y - (x[0] + u / d)
    J = np.stack([-np.ones(15), u * v / d ** 2, u * w / d ** 2], axis=1)
    return F, J


def powell_block(x):
    s5, s10 = np.sqrt(5), np.sqrt(10)
    a, c = x[1] - 2 * x[2], x[0] - x[3]
    F = np.array([x[0] + 10 * x[1], s5 * (x[2] - x[3]), a * a, s10 * c * c])
    J = np.array([[1, 10, 0, 0], [0, 0, s5, -s5], [0, 2 * a, -4 * a, 0],
                  [2 * s10 * c, 0, 0, -2 * s10 * c]])
    return F, J


def wood(x):
    s90, s10 = np.sqrt(90), np.sqrt(10)
    F = np.array([10 * (x[1] - x[0] ** 2), 1 - x[0], s90 * (x[3] - x[2] ** 2), 1 - x[2],
                  s10 * (x[1] + x[3] - 2), (x[1] - x[3]) / s10])
    J = np.array([[-20 * x[0], 10, 0, 0], [-1, 0, 0, 0], [0, 0, -2 * s90 * x[2], s90],
                  [0, 0, -1, 0], [0, s10, 0, s10], [0, 1 / s10, 0, -1 / s10]])
    return F, J


def ext_rosenbrock(x):
    n = x.size
    F = np.empty(n)
    J = np.zeros((n, n))
    for k in range(0, n, 2):
        F[k:k + 2], J[k:k + 2, k:k + 2] = rosenbrock(x[k:k + 2])
    return F, J


def ext_powell_singular(x):
    n = x.size
    F = np.empty(n)
    J = np.zeros((n, n))
    for k in range(0, n, 4):
        F[k:k + 4], J[k:k + 4, k:k + 4] = powell_block(x[k:k + 4])
    return F, J


def penalty_1(x):
    n = x.size
    a = np.sqrt(1e-5)
    F = np.append(a * (x - 1), x @ x - 0.25)
    J = np.vstack([a * np.eye(n), 2 * x])
    return F, J


def variably_dimensioned(x):
    n = x.size
    j = np.arange(1, n + 1)
    s = j @ (x - 1)
    F = np.concatenate([x - 1, [s, s * s]])
    J = np.vstack([np.eye(n), j, 2 * s * j])
    return F, J


def trigonometric(x):
    n = x.size
    i = np.arange(1, n + 1)
    F = n - np.sum(np.cos(x)) + i * (1 - np.cos(x)) - np.sin(x)
    J = np.tile(np.sin(x), (n, 1)) + np.diag(i * np.sin(x) - np.cos(x))
    return F, J


def broyden_tridiagonal(x):
    n = x.size
    xp = np.concatenate([[0], x, [0]])
    F = (3 - 2 * x) * x - xp[:-2] - 2 * xp[2:] + 1
    J = np.diag(3 - 4 * x) - np.eye(n, k=-1) - 2 * np.eye(n, k=1)
    return F, J


def broyden_banded(x):
    n = x.size
    F = x * (2 + 5 * x * x) + 1
    J = np.diag(2 + 15 * x * x)
    for i in range(n):
        for j in range(max(0, i - 5), min(n - 1, i + 1) + 1):
            if j != i:
                F[i] -= x[j] * (1 + x[j])
                J[i, j] -= 1 + 2 * x[j]
    return F, J


def objective(residuals):
    def f(x):
        F, _ = residuals(x)
        return float(F @ F)

    def g(x):
        F, J = residuals(x)
        return 2 * J.T @ F

    return f, g


# Why a problem is not run in float (None: it is).
BROWN_IN_FLOAT = ("x1 = 1e6 and x2 = 2e-6 meet in x1 x2 - 2: float's 24 bits leave gradient "
                  "noise far above gtol, and the path through f ~ 1e11 needs more digits")

# (name in the table, kernel, n, x0, residuals, also run without a gradient,
#  why not in float)
PROBLEMS = [
    ("Rosenbrock", "rosenbrock", 2, [-1.2, 1], rosenbrock, True, None),
    ("Freudenstein-Roth", "freudenstein_roth", 2, [0.5, -2], freudenstein_roth, False, None),
    ("Brown badly scaled", "brown_badly_scaled", 2, [1, 1], brown_badly_scaled, False, BROWN_IN_FLOAT),
    ("Beale", "beale", 2, [1, 1], beale, True, None),
    ("Jennrich-Sampson", "jennrich_sampson", 2, [0.3, 0.4], jennrich_sampson, False, None),
    ("helical valley", "helical_valley", 3, [-1, 0, 0], helical_valley, True, None),
    ("Bard", "bard", 3, [1, 1, 1], bard, False, None),
    ("Powell singular", "powell_singular", 4, [3, -1, 0, 1], powell_block, False, None),
    ("Wood", "wood", 4, [-3, -1, -3, -1], wood, True, None),
    ("ext. Rosenbrock", "builtin:ext-rosenbrock", 10, [-1.2, 1] * 5, ext_rosenbrock, False, None),
    ("ext. Powell singular", "ext_powell_singular", 12, [3, -1, 0, 1] * 3,
     ext_powell_singular, False, None),
    ("penalty I", "penalty_1", 10, list(range(1, 11)), penalty_1, False, None),
    ("variably dimensioned", "variably_dimensioned", 10, [1 - j / 10 for j in range(1, 11)],
     variably_dimensioned, False, None),
    ("trigonometric", "trigonometric", 10, [0.1] * 10, trigonometric, True, None),
    ("Broyden tridiagonal", "broyden_tridiagonal", 10, [-1] * 10, broyden_tridiagonal, False, None),
    ("Broyden banded", "broyden_banded", 10, [-1] * 10, broyden_banded, False, None),
    ("trigonometric", "trigonometric", 100, [0.01] * 100, trigonometric, False, None),
    ("Broyden tridiagonal", "broyden_tridiagonal", 100, [-1] * 100, broyden_tridiagonal, False, None),
]
