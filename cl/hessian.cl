/* The dense inverse-Hessian approximation H (n x n, row-major, symmetric).
 * The reference pair: one product, one rank-two update. */

#pragma OPENCL FP_CONTRACT OFF

/* v = H g, one row per work-item. */
__kernel void hessian_apply(__global real *v, __global const real *h, __global const real *g,
                            const uint n)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    __global const real *row = h + i * (size_t)n;
    real acc = 0;
    for (uint j = 0; j < n; j++)
        acc += row[j] * g[j];
    v[i] = acc;
}

/* H += a (u s^T + s u^T) + b s s^T. Each term is symmetric in (i, j) as
 * rounded (b (s_i s_j), not (b s_i) s_j), so H stays exactly symmetric. */
__kernel void hessian_update(__global real *h, const real a, __global const real *u,
                             const real b, __global const real *s, const uint n)
{
    const size_t i = get_global_id(1), j = get_global_id(0);
    if (i >= n || j >= n)
        return;
    const real si = s[i], sj = s[j], ui = u[i], uj = u[j];
    h[i * n + j] += a * (ui * sj + si * uj) + b * (si * sj);
}

/* The fused pass: applies the pending update H += a (u s^T + s u^T) +
 * b s s^T and, from the values just written, accumulates v = H g. One read
 * and one write of H instead of the pair's two reads and one write.
 *
 * Work-item (i, c) owns column i over the rows of chunk c, rows [c R,
 * min(n, (c + 1) R)). H is symmetric, so column i is row i, and at each row
 * j neighbouring work-items touch neighbouring addresses: coalesced on a
 * GPU, vectorisable on a CPU. Each chunk writes its partial sums to
 * v + c n; with one chunk that is v itself, summed in the same order as
 * hessian_apply, so the two agree to the bit. update = 0 skips the writes
 * (no update pending: the first iteration, or a skipped one). */
__kernel void hessian_update_apply(__global real *h, const real a, __global const real *u,
                                   const real b, __global const real *s, const int update,
                                   __global const real *g, __global real *v, const uint n,
                                   const uint rows)
{
    const size_t i = get_global_id(0), c = get_global_id(1);
    if (i >= n)
        return;
    const size_t first = c * (size_t)rows;
    const size_t last = min(first + rows, (size_t)n);
    const real si = s[i], ui = u[i];
    real acc = 0;
    for (size_t j = first; j < last; j++) {
        __global real *hji = h + j * n + i;
        real hv = *hji;
        if (update) {
            const real sj = s[j], uj = u[j];
            hv += a * (uj * si + sj * ui) + b * (sj * si);
            *hji = hv;
        }
        acc += hv * g[j];
    }
    v[c * (size_t)n + i] = acc;
}

/* The same pass by rows, for CPUs: work-item i streams row i of H, so each
 * core reads memory in order (the column form makes a CPU's work-items
 * stride by n). The element update and the order of summation are those of
 * the reference pair, so the result is identical to it. */
__kernel void hessian_update_apply_rows(__global real *h, const real a, __global const real *u,
                                        const real b, __global const real *s, const int update,
                                        __global const real *g, __global real *v, const uint n)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    __global real *row = h + i * (size_t)n;
    const real si = s[i], ui = u[i];
    real acc = 0;
    if (update) {
        for (size_t j = 0; j < n; j++) {
            const real sj = s[j], uj = u[j];
            const real hv = row[j] + (a * (ui * sj + si * uj) + b * (si * sj));
            row[j] = hv;
            acc += hv * g[j];
        }
    } else {
        for (size_t j = 0; j < n; j++)
            acc += row[j] * g[j];
    }
    v[i] = acc;
}

/* v[i] = sum over chunks of the partial sums of hessian_update_apply. */
__kernel void sum_chunks(__global real *v, __global const real *partial, const uint n,
                         const uint chunks)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    real acc = 0;
    for (uint c = 0; c < chunks; c++)
        acc += partial[c * (size_t)n + i];
    v[i] = acc;
}
