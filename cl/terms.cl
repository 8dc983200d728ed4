/* The kernels of a term objective (lib/objective_terms.c): f and its
 * gradient summed over m data items of a function the caller writes for one
 * item. The library compiles this after the caller's source and these
 * definitions of its own:
 *
 *   CLBFGS_N            the number of parameters
 *   CLBFGS_WG           the work-group size
 *   CLBFGS_GRADIENT     1: CLBFGS_TERM(i, x, g) returns item i's value and
 *                       writes its gradient into g; 0: CLBFGS_TERM(i, x)
 *                       returns the value alone, and the gradient comes from
 *                       forward differences in the same pass
 *   CLBFGS_LSQ          1: the value is a residual r, f = 1/2 sum r^2
 *   CLBFGS_WIDE         1: each work-item's gradient sums live in global
 *                       memory (partial, after the groups' sums) instead of
 *                       private arrays, for n past what registers hold
 *   CLBFGS_EPS          the forward-difference step (SciPy's rule)
 *   CLBFGS_TERM_PARAMS  the caller's data parameters, each with a leading comma
 *
 * Each work-group takes a contiguous block of items, CLBFGS_WG at a time
 * with one item per work-item (adjacent work-items read adjacent items, so a
 * GPU's reads coalesce; the loop's trip count is the same for the whole
 * group, so a CPU driver can run it across work-items in SIMD lanes). Every
 * work-item adds its items' values into compensated (Kahan) sums; each group
 * then adds its work-items' sums in a fixed tree through local memory and
 * writes n + 1 partials; clbfgs_terms_final adds the groups' partials in
 * group order, again compensated. The number of groups depends only on m and
 * the device, so the same inputs give the same bits on one device, and in
 * float the total of 10^7 items is within a few ulps of the exact one. */
#pragma OPENCL FP_CONTRACT OFF

/* CLBFGS_KAHAN, CLBFGS_VALUE and clbfgs_step come from cl/term_sums.cl. */

/* The groups' partials, then (CLBFGS_WIDE) each work-item's sums and
 * compensations: 2 (n + 1) reals per work-item. */
__kernel __attribute__((reqd_work_group_size(CLBFGS_WG, 1, 1))) void
clbfgs_terms(const uint m, __global const real *xg, __global real *partial CLBFGS_TERM_PARAMS)
{
    __local real scratch[CLBFGS_WG];
    const size_t lid = get_local_id(0);
    real x[CLBFGS_N], fsum = 0, fc = 0;
#if CLBFGS_GRADIENT
    real g[CLBFGS_N];
#else
    real xs[CLBFGS_N];
#endif
#if CLBFGS_WIDE
    __global real *gsum =
        partial + get_num_groups(0) * (CLBFGS_N + 1) + get_global_id(0) * 2 * (CLBFGS_N + 1);
    __global real *gc = gsum + CLBFGS_N + 1;
#else
    real gsum[CLBFGS_N], gc[CLBFGS_N];
#endif
    for (uint j = 0; j < CLBFGS_N; j++) {
        x[j] = xg[j];
        gsum[j] = 0;
        gc[j] = 0;
#if !CLBFGS_GRADIENT
        xs[j] = clbfgs_step(x[j]);
#endif
    }
    /* the group's block: a whole number of rounds of CLBFGS_WG items */
    const size_t groups = get_num_groups(0);
    const size_t per = ((m + groups - 1) / groups + CLBFGS_WG - 1) / CLBFGS_WG * CLBFGS_WG;
    const size_t start = get_group_id(0) * per, end = min(start + per, (size_t)m);
    for (size_t b = start; b < end; b += CLBFGS_WG) {
#if !CLBFGS_WIDE
        /* the whole group passes here each round: lets pocl run the body
         * across work-items in vector lanes (a wide one's private arrays
         * would not fit them) */
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
        const size_t i = b + lid;
        if (i >= end)
            continue;
#if CLBFGS_GRADIENT
        for (uint j = 0; j < CLBFGS_N; j++)
            g[j] = 0;
        const real r = CLBFGS_TERM((uint)i, x, g);
        CLBFGS_KAHAN(fsum, fc, CLBFGS_VALUE(r));
        for (uint j = 0; j < CLBFGS_N; j++)
            CLBFGS_KAHAN(gsum[j], gc[j], CLBFGS_LSQ ? r * g[j] : g[j]);
#else
        /* the item at x and at each stepped point: one read of its data */
        real r = CLBFGS_TERM((uint)i, x);
        const real f0 = CLBFGS_VALUE(r);
        CLBFGS_KAHAN(fsum, fc, f0);
        for (uint j = 0; j < CLBFGS_N; j++) {
            const real keep = x[j];
            x[j] = xs[j];
            r = CLBFGS_TERM((uint)i, x);
            x[j] = keep;
            CLBFGS_KAHAN(gsum[j], gc[j], CLBFGS_VALUE(r) - f0);
        }
#endif
    }
    /* the group's n + 1 sums, each in a fixed tree */
    __global real *out = partial + get_group_id(0) * (CLBFGS_N + 1);
    for (uint k = 0; k <= CLBFGS_N; k++) {
        scratch[lid] = k == 0 ? fsum : gsum[k - 1];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (size_t s = CLBFGS_WG / 2; s > 0; s /= 2) {
            if (lid < s)
                scratch[lid] += scratch[lid + s];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lid == 0)
            out[k] = scratch[0];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* Sum k (0: f, j + 1: gradient component j) of the groups' partials, in
 * group order, into the run's scalars (f) and g. */
__kernel void clbfgs_terms_final(__global const real *partial, const uint groups,
                                 __global const real *xg, __global real *g, __global real *sc)
{
    const size_t k = get_global_id(0);
    if (k > CLBFGS_N)
        return;
    real acc = 0, c = 0;
    for (uint p = 0; p < groups; p++)
        CLBFGS_KAHAN(acc, c, partial[p * (CLBFGS_N + 1) + k]);
#if CLBFGS_LSQ && CLBFGS_GRADIENT
    if (k == 0) /* f = 1/2 sum r^2 */
        acc /= 2;
#elif CLBFGS_LSQ
    acc /= 2; /* and so are its differences */
#endif
    if (k == 0) {
        sc[SLOT_F] = acc;
        return;
    }
#if CLBFGS_GRADIENT
    g[k - 1] = acc;
#else
    const real xj = xg[k - 1];
    g[k - 1] = acc / (clbfgs_step(xj) - xj);
#endif
}
