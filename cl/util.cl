/* Small kernels of the objectives' (forward differences) and a fill for
 * poisoning buffers. `real` is double or float, defined by the library's
 * preamble. The iteration's own kernels are in cl/iteration.cl. */

/* Differences must round as SciPy's numpy does, not fused. */
#pragma OPENCL FP_CONTRACT OFF

/* x[i] = value for i < n: initialising and poisoning buffers. */
__kernel void fill(__global real *x, const real value, const uint n)
{
    const size_t i = get_global_id(0);
    if (i < n)
        x[i] = value;
}

/* Adds the work-group's values of acc; work-item 0 gets the total. A
 * power-of-two work-group; scratch holds one real per work-item. */
static real sum_local(real acc, __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t stride = lsize / 2; stride > 0; stride /= 2) {
        if (lid < stride)
            scratch[lid] += scratch[lid + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return scratch[0];
}

/* ---- forward differences for objectives without a gradient ---- */

/* The n + 1 points of one forward-difference gradient, problem by problem:
 * xb + 0 n is x itself, xb + (j + 1) n is x with coordinate j stepped.
 * SciPy's rule (approx_derivative with an absolute step): the step is eps,
 * or eps max(1, |x_j|) signed like x_j where x_j + eps rounds back to x_j;
 * dx[j] is the step as it rounds, (x_j + h) - x_j. Launched over
 * (n, n + 1). */
__kernel void fd_points(__global real *xb, __global real *dx, __global const real *x,
                        const real eps, const uint n)
{
    const size_t j = get_global_id(0), b = get_global_id(1);
    if (j >= n || b > n)
        return;
    const real xj = x[j];
    real t = xj;
    if (b == j + 1) {
        t = xj + eps;
        if (t - xj == 0) {
            const real sign = xj >= 0 ? (real)1 : (real)-1;
            t = xj + eps * sign * fmax((real)1, fabs(xj));
        }
        dx[j] = t - xj;
    }
    xb[b * n + j] = t;
}

/* The forward-difference sums, one work-group per point: out[0] = f(x), the
 * sum of row 0 of the terms, and out[b] = f(x + dx e_{b-1}) - f(x), summed
 * as differences of terms, row b minus row 0. A term the step does not
 * touch cancels exactly, so the difference carries the rounding of the
 * terms that changed, not of all of f. Power-of-two work-groups; scratch
 * holds one real per work-item. */
__kernel void fd_sums(__global real *out, __global const real *terms, const uint m,
                      __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0), b = get_group_id(0);
    __global const real *row = terms + b * (size_t)m;
    real acc = 0;
    for (size_t i = lid; i < m; i += lsize)
        acc += b == 0 ? row[i] : row[i] - terms[i];
    const real r = sum_local(acc, scratch);
    if (lid == 0)
        out[b] = r;
}

/* g[j] = (f(x + dx_j e_j) - f(x)) / dx_j from fd_sums' differences; f(x)
 * goes to scalars[0], where every objective leaves f. */
__kernel void fd_gradient(__global real *g, __global real *scalars, __global const real *sums,
                          __global const real *dx, const uint n)
{
    const size_t j = get_global_id(0);
    if (j >= n)
        return;
    g[j] = sums[j + 1] / dx[j];
    if (j == 0)
        scalars[0] = sums[0];
}
