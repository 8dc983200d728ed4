/* The iteration's own kernels, and the pieces every H operator's step kernel
 * shares. The library prepends the slot numbers of the run's scalars
 * (SLOT_F, SLOT_DPHI, ...: lib/exec.h) and `real`.
 *
 * Every reduction here is one work-group launched alone: a BFGS vector is
 * short next to the n^2 work of an iteration, and one group sums in a fixed
 * order (work-item l adds elements l, l + L, l + 2L, ..., then a tree), so
 * the same inputs give the same bits on one device, and the values equal
 * those of a separate dot product or norm kernel with that order. */

/* x + a*p and dot products must round as SciPy's numpy does, not fused. */
#pragma OPENCL FP_CONTRACT OFF

/* Adds count values per work-item across the work-group, each with its own
 * tree; scratch holds count reals per work-item. vals[c] of work-item 0
 * (and of every work-item, after the last barrier) is the total. */
static void group_sums(real *vals, const int count, __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    for (int c = 0; c < count; c++)
        scratch[c * lsize + lid] = vals[c];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t stride = lsize / 2; stride > 0; stride /= 2) {
        if (lid < stride)
            for (int c = 0; c < count; c++)
                scratch[c * lsize + lid] += scratch[c * lsize + lid + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int c = 0; c < count; c++)
        vals[c] = scratch[c * lsize];
    barrier(CLK_LOCAL_MEM_FENCE);
}

/* The merge tree of clbfgs_norm_add's values (cl/norms.cl) across the work-group. */
static real group_norm(const real acc, const real ord, __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t stride = lsize / 2; stride > 0; stride /= 2) {
        if (lid < stride)
            scratch[lid] = clbfgs_norm_merge(scratch[lid], scratch[lid + stride], ord);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const real r = clbfgs_norm_final(scratch[0], ord);
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* The line search's first trial step, SciPy's rule (linesearch.c's
 * clbfgs__ls_first_step, operation for operation):
 * min(1, 2.02 (f - old_f) / dphi0), or 1 when that is negative or
 * undefined. */
static real first_step(const real f, const real dphi0, const real old_f)
{
    if (isnan(old_f) || dphi0 == (real)0)
        return 1;
    const real a = fmin((real)1, (real)1.01 * (real)2 * (f - old_f) / dphi0);
    return a < (real)0 ? (real)1 : a;
}

/* The end of every iteration, whatever the operator, once p holds the new
 * direction: g . p into SLOT_DPHI0, the first trial step into SLOT_ALPHA0,
 * f into SLOT_FX (a trial evaluated next overwrites SLOT_F) and, when trial != 0, the trial point xt = x + alpha0 p, so that the
 * objective can be evaluated there before the host has read anything.
 * acc_gp is this work-item's part of g . p. */
static void direction_end(__global real *sc, const real acc_gp, const real f, const real old_f,
                          __global const real *x, __global const real *p, __global real *xt,
                          const int trial, const uint n, __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    real gp[1] = {acc_gp};
    group_sums(gp, 1, scratch);
    const real alpha0 = first_step(f, gp[0], old_f);
    if (trial)
        for (size_t i = lid; i < n; i += lsize)
            xt[i] = x[i] + alpha0 * p[i];
    if (lid == 0) {
        sc[SLOT_DPHI0] = gp[0];
        sc[SLOT_ALPHA0] = alpha0;
        sc[SLOT_FX] = f;
    }
}

/* What the host needs at a trial point: f, the sum of the objective's m
 * terms (m = 0: the objective left f in SLOT_F itself), and phi'(alpha) =
 * g . p. One work-group launched alone; scratch holds 2 reals per work-item. */
__kernel void trial_scalars(__global real *sc, __global const real *terms, const uint m,
                            __global const real *g, __global const real *p, const uint n,
                            __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    real acc[2] = {0, 0};
    for (size_t i = lid; i < m; i += lsize)
        acc[0] += terms[i];
    for (size_t i = lid; i < n; i += lsize)
        acc[1] += g[i] * p[i];
    group_sums(acc, 2, scratch);
    if (lid == 0) {
        if (m > 0)
            sc[SLOT_F] = acc[0];
        sc[SLOT_DPHI] = acc[1];
    }
}

/* out = x + a * p: a trial point of the line search after the first. */
__kernel void axpy_into(__global real *out, __global const real *x, const real a,
                        __global const real *p, const uint n)
{
    const size_t i = get_global_id(0);
    if (i < n)
        out[i] = x[i] + a * p[i];
}
