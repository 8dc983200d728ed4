/* Built-in objectives, written to the contract every OpenCL objective meets:
 *
 *   __kernel void NAME(const uint n, __global const real *x,
 *                      __global real *f_terms, __global real *g, ...)
 *
 * launched over (at least n) x (problems) work-items. Work-item (i, b)
 * reads problem b's point x + b n, writes g[b n + i] = df/dx_i and a term
 * f_terms[b n + i]; f for problem b is the sum of its n terms. */

#define PROBLEM_SLICE()                                                                    \
    const size_t i = get_global_id(0);                                                     \
    const size_t base = get_global_id(1) * (size_t)n;                                      \
    if (i >= n)                                                                            \
        return;                                                                            \
    x += base;

/* SciPy's rosen: sum_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2. */
__kernel void rosen(const uint n, __global const real *x, __global real *f_terms,
                    __global real *g)
{
    PROBLEM_SLICE()
    const real xi = x[i];
    real term = 0, grad = 0;
    if (i + 1 < n) {
        const real d = x[i + 1] - xi * xi;
        term = 100 * d * d + (1 - xi) * (1 - xi);
        grad += -400 * xi * d - 2 * (1 - xi);
    }
    if (i > 0) {
        const real xm = x[i - 1];
        grad += 200 * (xi - xm * xm);
    }
    f_terms[base + i] = term;
    g[base + i] = grad;
}

/* Extended Rosenbrock (Moré, Garbow & Hillstrom no. 21; n even): pairs
 * (x_{2k}, x_{2k+1}) with 100 (x_{2k+1} - x_{2k}^2)^2 + (1 - x_{2k})^2. */
__kernel void ext_rosenbrock(const uint n, __global const real *x, __global real *f_terms,
                             __global real *g)
{
    PROBLEM_SLICE()
    const size_t k = i & ~(size_t)1;
    const real a = x[k], d = x[k + 1] - a * a;
    if ((i & 1) == 0) {
        f_terms[base + i] = 100 * d * d + (1 - a) * (1 - a);
        g[base + i] = -400 * a * d - 2 * (1 - a);
    } else {
        f_terms[base + i] = 0;
        g[base + i] = 200 * d;
    }
}

/* A convex quadratic with condition number n: sum (i+1)/2 (x_i - 1)^2. */
__kernel void quadratic(const uint n, __global const real *x, __global real *f_terms,
                        __global real *g)
{
    PROBLEM_SLICE()
    const real c = (real)(i + 1), d = x[i] - 1;
    f_terms[base + i] = c / 2 * d * d;
    g[base + i] = c * d;
}

/* The logistic regression built-in's elementwise pass, between its two
 * GEMVs. On entry z = A w; on exit z[i] = sigmoid(z_i) - y_i (the residual
 * the second GEMV turns into A^T r), terms[i] = log(1 + exp(z_i)) - y_i z_i
 * for i < m, terms[m + j] = lambda/2 w_j^2 and g[j] = lambda w_j for j < n.
 * Both log(1 + e^z) and the sigmoid are written to stay finite for any z. */
__kernel void logistic_terms(__global real *terms, __global real *z, __global const real *y,
                             __global const real *w, __global real *g, const real lambda,
                             const uint m, const uint n)
{
    const size_t i = get_global_id(0);
    if (i < m) {
        const real zi = z[i], e = exp(-fabs(zi));
        const real softplus = fmax(zi, (real)0) + log1p(e);
        const real sigmoid = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
        terms[i] = softplus - y[i] * zi;
        z[i] = sigmoid - y[i];
    }
    if (i < n) {
        const real wi = w[i];
        terms[m + i] = lambda / 2 * wi * wi;
        g[i] = lambda * wi;
    }
}
