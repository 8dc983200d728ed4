/* A straight line y = x0 t + x1 as term functions, for the command's tests
 * (cli.sh, oclgrind.sh): the residual with its gradient, and half its
 * square alone (for forward differences). */
real line(const uint i, const real *x, real *g, __global const real *t,
          __global const real *y)
{
    g[0] = t[i];
    g[1] = 1;
    return x[0] * t[i] + x[1] - y[i];
}

real line_value(const uint i, const real *x, __global const real *t, __global const real *y)
{
    const real r = x[0] * t[i] + x[1] - y[i];
    return r * r / 2;
}
