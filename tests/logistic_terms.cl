/* Logistic regression as term functions, for tests/scipy_compare.py: item
 * i is row i of x (CLBFGS_N features) and its label y_i in {-1, 1}; the
 * loss log(1 + exp(-y_i x_i . w)) is scaled by s (1/m: f is the mean). */
real logistic(const uint i, const real *w, real *g, __global const real *x,
              __global const real *y, const real s)
{
    __global const real *row = x + (size_t)i * CLBFGS_N;
    real z = 0;
    for (int j = 0; j < CLBFGS_N; j++)
        z += row[j] * w[j];
    const real yz = y[i] * z, e = exp(-fabs(yz));
    /* d loss / dz = -y / (1 + exp(yz)) */
    const real d = -y[i] * s * (yz >= 0 ? e / (1 + e) : 1 / (1 + e));
    for (int j = 0; j < CLBFGS_N; j++)
        g[j] = d * row[j];
    return s * (fmax(-yz, (real)0) + log1p(e));
}

real logistic_value(const uint i, const real *w, __global const real *x, __global const real *y,
                    const real s)
{
    real g[CLBFGS_N];
    return logistic(i, w, g, x, y, s);
}
