/* The built-in objectives as term functions (cl/terms.cl's contract: item i
 * of m, x and g private, g zero on entry), for the one-kernel solve
 * (cl/batch.cl). Their values are those of the kernels in cl/objectives.cl;
 * lib/objective_source.c gives each its m. */

/* SciPy's rosen, item i < n - 1: 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2. */
real clbfgs_rosen_item(const uint i, const real *x, real *g)
{
    const real xi = x[i], d = x[i + 1] - xi * xi;
    g[i] = -400 * xi * d - 2 * (1 - xi);
    g[i + 1] = 200 * d;
    return 100 * d * d + (1 - xi) * (1 - xi);
}

/* Extended Rosenbrock, pair i < n / 2: 100 (x_{2i+1} - x_{2i}^2)^2 + (1 - x_{2i})^2. */
real clbfgs_ext_rosenbrock_item(const uint i, const real *x, real *g)
{
    const uint k = 2 * i;
    const real a = x[k], d = x[k + 1] - a * a;
    g[k] = -400 * a * d - 2 * (1 - a);
    g[k + 1] = 200 * d;
    return 100 * d * d + (1 - a) * (1 - a);
}

/* The quadratic, item i < n: (i + 1) / 2 (x_i - 1)^2. */
real clbfgs_quadratic_item(const uint i, const real *x, real *g)
{
    const real c = (real)(i + 1), d = x[i] - 1;
    g[i] = c * d;
    return c / 2 * d * d;
}
