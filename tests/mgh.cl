/* Test problems of Moré, Garbow & Hillstrom (1981), "Testing unconstrained
 * optimization software", ACM TOMS 7(1), as clbfgs objectives: f is the sum
 * of squares of residuals F_k, and g_j = 2 sum_k F_k dF_k/dx_j. The numbers
 * in the comments are the paper's. tests/mgh.py holds the same problems in
 * NumPy for SciPy.
 *
 * The small problems (fixed n) share one body: every work-item evaluates the
 * residuals and their Jacobian in private memory, writes its own gradient
 * entry, and work-item 0 writes the whole f as its term. Each also comes
 * without a gradient (NAME_f), for the device's forward differences. A call
 * with the wrong n gives NaN, which the library reports as status 3. */

#define PI_REAL ((real)3.14159265358979323846)

#define SMALL_PROBLEM(NAME, N, M)                                                          \
    __kernel void NAME(const uint n, __global const real *x, __global real *f_terms,       \
                       __global real *g)                                                   \
    {                                                                                      \
        const size_t i = get_global_id(0), b = get_global_id(1);                           \
        if (i >= n)                                                                        \
            return;                                                                        \
        real v[N], F[M], J[M][N];                                                          \
        for (int j = 0; j < N; j++)                                                        \
            v[j] = x[b * n + (n == N ? j : 0)];                                            \
        NAME##_residuals(v, F, J);                                                         \
        real gi = 0, f = 0;                                                                \
        for (int k = 0; k < M; k++) {                                                      \
            gi += 2 * F[k] * J[k][i < N ? i : 0];                                          \
            f += F[k] * F[k];                                                              \
        }                                                                                  \
        f_terms[b * n + i] = n != N ? (real)NAN : i == 0 ? f : 0;                          \
        g[b * n + i] = n != N ? (real)NAN : gi;                                            \
    }                                                                                      \
    __kernel void NAME##_f(const uint n, __global const real *x, __global real *f_terms)   \
    {                                                                                      \
        const size_t i = get_global_id(0), b = get_global_id(1);                           \
        if (i >= n)                                                                        \
            return;                                                                        \
        real v[N], F[M], J[M][N];                                                          \
        for (int j = 0; j < N; j++)                                                        \
            v[j] = x[b * n + (n == N ? j : 0)];                                            \
        NAME##_residuals(v, F, J);                                                         \
        real f = 0;                                                                        \
        for (int k = 0; k < M; k++)                                                        \
            f += F[k] * F[k];                                                              \
        f_terms[b * n + i] = n != N ? (real)NAN : i == 0 ? f : 0;                          \
    }

/* 1. Rosenbrock, n = 2, x0 = (-1.2, 1), f* = 0 */
void rosenbrock_residuals(const real *x, real *F, real J[2][2])
{
    F[0] = 10 * (x[1] - x[0] * x[0]);
    J[0][0] = -20 * x[0];
    J[0][1] = 10;
    F[1] = 1 - x[0];
    J[1][0] = -1;
    J[1][1] = 0;
}
SMALL_PROBLEM(rosenbrock, 2, 2)

/* 2. Freudenstein and Roth, n = 2, x0 = (0.5, -2), f* = 0 or 48.9842... */
void freudenstein_roth_residuals(const real *x, real *F, real J[2][2])
{
    const real t = x[1];
    F[0] = -13 + x[0] + ((5 - t) * t - 2) * t;
    J[0][0] = 1;
    J[0][1] = (10 - 3 * t) * t - 2;
    F[1] = -29 + x[0] + ((t + 1) * t - 14) * t;
    J[1][0] = 1;
    J[1][1] = (3 * t + 2) * t - 14;
}
SMALL_PROBLEM(freudenstein_roth, 2, 2)

/* 4. Brown badly scaled, n = 2, x0 = (1, 1), f* = 0 at (1e6, 2e-6) */
void brown_badly_scaled_residuals(const real *x, real *F, real J[3][2])
{
    F[0] = x[0] - (real)1e6;
    J[0][0] = 1;
    J[0][1] = 0;
    F[1] = x[1] - (real)2e-6;
    J[1][0] = 0;
    J[1][1] = 1;
    F[2] = x[0] * x[1] - 2;
    J[2][0] = x[1];
    J[2][1] = x[0];
}
SMALL_PROBLEM(brown_badly_scaled, 2, 3)

/* 5. Beale, n = 2, x0 = (1, 1), f* = 0 at (3, 0.5) */
void beale_residuals(const real *x, real *F, real J[3][2])
{
    const real y[3] = {1.5, 2.25, 2.625};
    real p = 1; /* x2^(k-1) */
    for (int k = 0; k < 3; k++) {
        const real pk = p * x[1];
        F[k] = y[k] - x[0] * (1 - pk);
        J[k][0] = -(1 - pk);
        J[k][1] = x[0] * (k + 1) * p;
        p = pk;
    }
}
SMALL_PROBLEM(beale, 2, 3)

/* 6. Jennrich and Sampson, n = 2, m = 10, x0 = (0.3, 0.4), f* = 124.362... */
void jennrich_sampson_residuals(const real *x, real *F, real J[10][2])
{
    for (int k = 0; k < 10; k++) {
        const real i = k + 1, e0 = exp(i * x[0]), e1 = exp(i * x[1]);
        F[k] = 2 + 2 * i - (e0 + e1);
        J[k][0] = -i * e0;
        J[k][1] = -i * e1;
    }
}
SMALL_PROBLEM(jennrich_sampson, 2, 10)

/* 7. Helical valley, n = 3, x0 = (-1, 0, 0), f* = 0 at (1, 0, 0) */
void helical_valley_residuals(const real *x, real *F, real J[3][3])
{
    const real r2 = x[0] * x[0] + x[1] * x[1], r = sqrt(r2);
    const real theta = atan(x[1] / x[0]) / (2 * PI_REAL) + (x[0] < 0 ? (real)0.5 : 0);
    F[0] = 10 * (x[2] - 10 * theta);
    J[0][0] = 100 * x[1] / (2 * PI_REAL * r2);
    J[0][1] = -100 * x[0] / (2 * PI_REAL * r2);
    J[0][2] = 10;
    F[1] = 10 * (r - 1);
    J[1][0] = 10 * x[0] / r;
    J[1][1] = 10 * x[1] / r;
    J[1][2] = 0;
    F[2] = x[2];
    J[2][0] = 0;
    J[2][1] = 0;
    J[2][2] = 1;
}
SMALL_PROBLEM(helical_valley, 3, 3)

/* 8. Bard, n = 3, m = 15, x0 = (1, 1, 1), f* = 8.21487...e-3 */
void bard_residuals(const real *x, real *F, real J[15][3])
{
    const real y[15] = {0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39,
                        0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39};
    for (int k = 0; k < 15; k++) {
        const real u = k + 1, v = 15 - k, w = fmin(u, v), d = v * x[1] + w * x[2];
        F[k] = y[k] - (x[0] + u / d);
        J[k][0] = -1;
        J[k][1] = u * v / (d * d);
        J[k][2] = u * w / (d * d);
    }
}
SMALL_PROBLEM(bard, 3, 15)

/* 13. Powell singular, n = 4, x0 = (3, -1, 0, 1), f* = 0 */
void powell_singular_residuals(const real *x, real *F, real J[4][4])
{
    const real s5 = sqrt((real)5), s10 = sqrt((real)10);
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++)
            J[k][j] = 0;
    F[0] = x[0] + 10 * x[1];
    J[0][0] = 1;
    J[0][1] = 10;
    F[1] = s5 * (x[2] - x[3]);
    J[1][2] = s5;
    J[1][3] = -s5;
    const real a = x[1] - 2 * x[2];
    F[2] = a * a;
    J[2][1] = 2 * a;
    J[2][2] = -4 * a;
    const real c = x[0] - x[3];
    F[3] = s10 * c * c;
    J[3][0] = 2 * s10 * c;
    J[3][3] = -2 * s10 * c;
}
SMALL_PROBLEM(powell_singular, 4, 4)

/* 14. Wood, n = 4, x0 = (-3, -1, -3, -1), f* = 0; the paper's six residuals */
void wood_residuals(const real *x, real *F, real J[6][4])
{
    const real s90 = sqrt((real)90), s10 = sqrt((real)10);
    for (int k = 0; k < 6; k++)
        for (int j = 0; j < 4; j++)
            J[k][j] = 0;
    F[0] = 10 * (x[1] - x[0] * x[0]);
    J[0][0] = -20 * x[0];
    J[0][1] = 10;
    F[1] = 1 - x[0];
    J[1][0] = -1;
    F[2] = s90 * (x[3] - x[2] * x[2]);
    J[2][2] = -2 * s90 * x[2];
    J[2][3] = s90;
    F[3] = 1 - x[2];
    J[3][2] = -1;
    F[4] = s10 * (x[1] + x[3] - 2);
    J[4][1] = s10;
    J[4][3] = s10;
    F[5] = (x[1] - x[3]) / s10;
    J[5][1] = 1 / s10;
    J[5][3] = -1 / s10;
}
SMALL_PROBLEM(wood, 4, 6)

/* ---- problems of any n: one work-item per coordinate ---- */

#define SLICE()                                                                            \
    const size_t i = get_global_id(0), b = get_global_id(1);                               \
    if (i >= n)                                                                            \
        return;                                                                            \
    x += b * n;                                                                            \
    f_terms += b * n;                                                                      \
    g += b * n;

/* 22. Extended Powell singular, n a multiple of 4, x0 = (3, -1, 0, 1, ...), f* = 0:
 * Powell's singular function (13) on each block of four. */
__kernel void ext_powell_singular(const uint n, __global const real *x, __global real *f_terms,
                                  __global real *g)
{
    SLICE()
    const size_t k = i / 4 * 4, j = i - k;
    real v[4], F[4], J[4][4];
    for (size_t t = 0; t < 4; t++) /* a trailing partial block (n % 4) reads zeros */
        v[t] = k + t < n ? x[k + t] : 0;
    powell_singular_residuals(v, F, J);
    g[i] = n % 4 ? (real)NAN
                 : 2 * (F[0] * J[0][j] + F[1] * J[1][j] + F[2] * J[2][j] + F[3] * J[3][j]);
    f_terms[i] = j == 0 ? F[0] * F[0] + F[1] * F[1] + F[2] * F[2] + F[3] * F[3] : 0;
}

/* 23. Penalty I, x0_j = j, f* = 2.24997...e-5 at n = 4, 7.08765...e-5 at n = 10:
 * F_i = sqrt(1e-5) (x_i - 1), i <= n; F_{n+1} = sum x_j^2 - 1/4. */
__kernel void penalty_1(const uint n, __global const real *x, __global real *f_terms,
                        __global real *g)
{
    SLICE()
    real s = 0;
    for (uint j = 0; j < n; j++)
        s += x[j] * x[j];
    const real t = s - (real)0.25, a = (real)1e-5, d = x[i] - 1;
    f_terms[i] = a * d * d + (i == 0 ? t * t : 0);
    g[i] = 2 * a * d + 4 * x[i] * t;
}

/* 25. Variably dimensioned, x0_j = 1 - j/n, f* = 0: F_i = x_i - 1, then
 * S = sum j (x_j - 1) and S^2. */
__kernel void variably_dimensioned(const uint n, __global const real *x, __global real *f_terms,
                                   __global real *g)
{
    SLICE()
    real s = 0;
    for (uint j = 0; j < n; j++)
        s += (real)(j + 1) * (x[j] - 1);
    const real d = x[i] - 1;
    f_terms[i] = d * d + (i == 0 ? s * s + s * s * s * s : 0);
    g[i] = 2 * d + (real)(i + 1) * (2 * s + 4 * s * s * s);
}

/* 26. Trigonometric, x0_j = 1/n, f* = 0:
 * F_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i (i from 1). */
__kernel void trigonometric(const uint n, __global const real *x, __global real *f_terms,
                            __global real *g)
{
    SLICE()
    real c = 0, sum_f = 0;
    for (uint j = 0; j < n; j++)
        c += cos(x[j]);
    for (uint j = 0; j < n; j++)
        sum_f += n - c + (real)(j + 1) * (1 - cos(x[j])) - sin(x[j]);
    const real si = sin(x[i]), ci = cos(x[i]);
    const real Fi = n - c + (real)(i + 1) * (1 - ci) - si;
    f_terms[i] = Fi * Fi;
    g[i] = 2 * si * sum_f + 2 * Fi * ((real)(i + 1) * si - ci);
}

/* The trigonometric function's value alone, for forward differences. */
__kernel void trigonometric_f(const uint n, __global const real *x, __global real *f_terms)
{
    const size_t i = get_global_id(0), b = get_global_id(1);
    if (i >= n)
        return;
    x += b * n;
    real c = 0;
    for (uint j = 0; j < n; j++)
        c += cos(x[j]);
    const real Fi = n - c + (real)(i + 1) * (1 - cos(x[i])) - sin(x[i]);
    f_terms[b * n + i] = Fi * Fi;
}

/* 30. Broyden tridiagonal, x0 = (-1, ...), f* = 0:
 * F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1, with x_0 = x_{n+1} = 0. */
real broyden_tri_residual(const uint n, __global const real *x, const size_t i)
{
    const real left = i > 0 ? x[i - 1] : 0, right = i + 1 < n ? x[i + 1] : 0;
    return (3 - 2 * x[i]) * x[i] - left - 2 * right + 1;
}

__kernel void broyden_tridiagonal(const uint n, __global const real *x, __global real *f_terms,
                                  __global real *g)
{
    SLICE()
    const real Fi = broyden_tri_residual(n, x, i);
    real gi = 2 * Fi * (3 - 4 * x[i]);
    if (i + 1 < n)
        gi -= 2 * broyden_tri_residual(n, x, i + 1);
    if (i > 0)
        gi -= 4 * broyden_tri_residual(n, x, i - 1);
    f_terms[i] = Fi * Fi;
    g[i] = gi;
}

/* 31. Broyden banded, x0 = (-1, ...), f* = 0:
 * F_i = x_i (2 + 5 x_i^2) + 1 - sum_{j in J_i} x_j (1 + x_j),
 * J_i = {j != i : max(1, i - 5) <= j <= min(n, i + 1)}. */
real broyden_banded_residual(const uint n, __global const real *x, const size_t i)
{
    real r = x[i] * (2 + 5 * x[i] * x[i]) + 1;
    const size_t lo = i >= 5 ? i - 5 : 0, hi = i + 1 < n ? i + 1 : n - 1;
    for (size_t j = lo; j <= hi; j++)
        if (j != i)
            r -= x[j] * (1 + x[j]);
    return r;
}

__kernel void broyden_banded(const uint n, __global const real *x, __global real *f_terms,
                             __global real *g)
{
    SLICE()
    const real Fi = broyden_banded_residual(n, x, i);
    /* x_i appears in F_k for k = i - 1 .. i + 5, k != i */
    real gi = 2 * Fi * (2 + 15 * x[i] * x[i]);
    const size_t lo = i >= 1 ? i - 1 : 0, hi = i + 5 < n ? i + 5 : n - 1;
    for (size_t k = lo; k <= hi; k++)
        if (k != i)
            gi -= 2 * broyden_banded_residual(n, x, k) * (1 + 2 * x[i]);
    f_terms[i] = Fi * Fi;
    g[i] = gi;
}
