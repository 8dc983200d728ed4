/* The dense inverse-Hessian operator: H (n x n, row-major, symmetric).
 * Built after cl/iteration.cl, whose helpers the step kernel uses. The
 * pending update's coefficients live in the run's scalars, at
 * SLOT_OPERATOR + DENSE_A, DENSE_B and DENSE_PENDING, where the step kernel
 * writes them and the next pass reads them: the host never waits for them.
 *
 * Per iteration, with p = -H g, s the step, y the gradient change and
 * rho = 1 / y.s (DESIGN.md):
 *   v = H g_new,  u = v + p (= H y),
 *   H += -rho (u s^T + s u^T) + (rho^2 y.u + rho) s s^T,
 *   p_new = -v + rho (s.g) u + (rho (u.g) - (rho^2 y.u + rho)(s.g)) s.
 * One product and one rank-two update of H: O(n^2), never O(n^3). */

#pragma OPENCL FP_CONTRACT OFF

#define DENSE_A (SLOT_OPERATOR + 0)
#define DENSE_B (SLOT_OPERATOR + 1)
#define DENSE_PENDING (SLOT_OPERATOR + 2)

/* H = identity, the starting inverse Hessian. */
__kernel void set_identity(__global real *h, const uint n)
{
    const size_t i = get_global_id(0);
    const size_t j = get_global_id(1);
    if (i < n && j < n)
        h[i * n + j] = (i == j) ? (real)1 : (real)0;
}

/* The pending update as the host gives it (the tests; folding the update
 * into H for a result): a kernel rather than a write, so nothing waits. */
__kernel void dense_set_update(__global real *sc, const real a, const real b, const int pending)
{
    if (get_global_id(0) == 0) {
        sc[DENSE_A] = a;
        sc[DENSE_B] = b;
        sc[DENSE_PENDING] = pending ? (real)1 : (real)0;
    }
}

/* The reference pair: one product, one rank-two update. */

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
 * (no update pending: the first iteration, or a skipped one). The
 * update's a, b and whether it is pending come from the scalars (sc). */
__kernel void hessian_update_apply(__global real *h, __global const real *sc,
                                   __global const real *u, __global const real *s,
                                   __global const real *g, __global real *v, const uint n,
                                   const uint rows)
{
    const size_t i = get_global_id(0), c = get_global_id(1);
    if (i >= n)
        return;
    const real a = sc[DENSE_A], b = sc[DENSE_B];
    const int update = sc[DENSE_PENDING] != 0;
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
__kernel void hessian_update_apply_rows(__global real *h, __global const real *sc,
                                        __global const real *u, __global const real *s,
                                        __global const real *g, __global real *v, const uint n)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    const real a = sc[DENSE_A], b = sc[DENSE_B];
    const int update = sc[DENSE_PENDING] != 0;
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

/* Row i's pass over the columns [from, n) in the reference order: the
 * pending update (when update) and sum += H_ij g_j, from the sum given. */
static real row_from(__global real *row, const real si, const real ui, const real a, const real b,
                     const int update, __global const real *s, __global const real *u,
                     __global const real *g, const size_t from, const size_t n, real sum)
{
    for (size_t j = from; j < n; j++) {
        real hv = row[j];
        if (update) {
            const real sj = s[j], uj = u[j];
            hv = hv + (a * (ui * sj + si * uj) + b * (si * sj));
            row[j] = hv;
        }
        sum += hv * g[j];
    }
    return sum;
}

/* The pass by rows with four rows per work-item, for large n on CPUs: at
 * each column j the work-item updates and accumulates its four rows side by
 * side, so four sums advance at once instead of one chain of dependent
 * additions, and s_j, u_j and g_j are loaded once for the four. Each row's
 * element update and order of summation are still the reference pair's, so
 * the result is identical to it. On pocl (AVX-512 host) it moved 25-27 GB/s
 * against the one-row pass's 20-21 GB/s at n = 2048-8192, and was 10 %
 * slower at n = 1024, where H stays in cache. */
#define ROWS 4
__kernel void hessian_update_apply_rows4(__global real *h, __global const real *sc,
                                         __global const real *u, __global const real *s,
                                         __global const real *g, __global real *v, const uint n)
{
    const size_t i0 = get_global_id(0) * ROWS;
    if (i0 >= n)
        return;
    const uint rows = min((uint)ROWS, (uint)(n - i0));
    const real a = sc[DENSE_A], b = sc[DENSE_B];
    const int update = sc[DENSE_PENDING] != 0;
    real si[ROWS], ui[ROWS], acc[ROWS];
    for (uint r = 0; r < ROWS; r++) {
        const size_t i = r < rows ? i0 + r : i0; /* a short last block repeats its first row */
        si[r] = s[i];
        ui[r] = u[i];
        acc[r] = 0;
    }
    __global real *row = h + i0 * (size_t)n;
    if (rows == ROWS && update) {
        for (size_t j = 0; j < n; j++) {
            const real sj = s[j], uj = u[j], gj = g[j];
            for (uint r = 0; r < ROWS; r++) {
                const real hv =
                    row[r * (size_t)n + j] + (a * (ui[r] * sj + si[r] * uj) + b * (si[r] * sj));
                row[r * (size_t)n + j] = hv;
                acc[r] += hv * gj;
            }
        }
    } else if (rows == ROWS) {
        for (size_t j = 0; j < n; j++) {
            const real gj = g[j];
            for (uint r = 0; r < ROWS; r++)
                acc[r] += row[r * (size_t)n + j] * gj;
        }
    } else { /* the last, short block: row by row */
        for (uint r = 0; r < rows; r++)
            acc[r] = row_from(row + r * (size_t)n, s[i0 + r], u[i0 + r], a, b, update, s, u, g, 0,
                              n, 0);
    }
    for (uint r = 0; r < rows; r++)
        v[i0 + r] = acc[r];
}
#undef ROWS

/* Sums eight lanes in a fixed order. */
static real hsum8(const real8 v)
{
    return ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
}

/* The pass by rows in eight lanes, for CPUs: a work-item takes two rows
 * and walks them eight columns at a time, with vload8 and vstore8, which
 * the scalar passes above leave to the compiler: they keep the reference
 * order of summation, one dependent chain per row, which a compiler may
 * not vectorise (no reassociation without fast math), so they ran at
 * instruction rate, not memory rate. Here each row sums in eight lanes,
 * lane l taking the columns j = l mod 8 in order; the lanes are added as
 * ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), then the last n mod 8
 * columns in order. s, u and g are loaded once for both rows. The element
 * update is the reference pair's expression, so H is identical to it; v is
 * within the rounding of its own order. A short last block (n odd) takes
 * its one row alone, in the reference order (one row in n). */
__kernel void hessian_update_apply_rows8(__global real *h, __global const real *sc,
                                         __global const real *u, __global const real *s,
                                         __global const real *g, __global real *v, const uint n)
{
    const size_t i0 = get_global_id(0) * 2;
    if (i0 >= n)
        return;
    const real a = sc[DENSE_A], b = sc[DENSE_B];
    const int update = sc[DENSE_PENDING] != 0;
    __global real *r0 = h + i0 * (size_t)n;
    if (i0 + 1 >= n) {
        v[i0] = row_from(r0, s[i0], u[i0], a, b, update, s, u, g, 0, n, 0);
        return;
    }
    __global real *r1 = r0 + n;
    const real s0 = s[i0], u0 = u[i0], s1 = s[i0 + 1], u1 = u[i0 + 1];
    const size_t body = n & ~(size_t)7;
    real8 acc0 = 0, acc1 = 0;
    if (update) {
        for (size_t j = 0; j < body; j += 8) {
            const real8 s8 = vload8(0, s + j), u8 = vload8(0, u + j), g8 = vload8(0, g + j);
            const real8 h0 = vload8(0, r0 + j) + (a * (u0 * s8 + s0 * u8) + b * (s0 * s8));
            const real8 h1 = vload8(0, r1 + j) + (a * (u1 * s8 + s1 * u8) + b * (s1 * s8));
            vstore8(h0, 0, r0 + j);
            vstore8(h1, 0, r1 + j);
            acc0 += h0 * g8;
            acc1 += h1 * g8;
        }
    } else {
        for (size_t j = 0; j < body; j += 8) {
            const real8 g8 = vload8(0, g + j);
            acc0 += vload8(0, r0 + j) * g8;
            acc1 += vload8(0, r1 + j) * g8;
        }
    }
    v[i0] = row_from(r0, s0, u0, a, b, update, s, u, g, body, n, hsum8(acc0));
    v[i0 + 1] = row_from(r1, s1, u1, a, b, update, s, u, g, body, n, hsum8(acc1));
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

/* Ends an iteration after the pass above has left v = H g (the pending
 * update applied): one work-group, launched alone, that
 *  - with step != 0: forms s = alpha p, y = g - g_old, u = v + p, the
 *    inner products y.s, y.u, s.g, u.g and ||p||_2, and from them the next
 *    update (pending only when y.s > 0 and finite; else H is kept) and the
 *    direction p = -v + rho (s.g) u + (rho (u.g) - b (s.g)) s, in place;
 *  - at the start (step = 0, v = H0 g, or g itself for the identity):
 *    p = -v, nothing pending, and SciPy's first old_f = f + ||g||_2 / 2;
 *  - either way: ||g|| (options.norm) and ||x||_2, then direction_end's
 *    g . p, first trial step and trial point.
 * The arithmetic is that of the separate kernels it replaces (combine3,
 * dot_product, vecnorm), element for element and in the same summation
 * order, and the coefficients are the host's formulas in the run's
 * precision. scratch holds 7 reals per work-item. */
__kernel void dense_step(__global real *sc, __global const real *v, __global real *p,
                         __global const real *g, __global const real *g_old,
                         __global const real *x, __global real *s, __global real *u,
                         __global real *xt, const real alpha, const real old_f_in,
                         const real ord, const int step, const int trial, const uint n,
                         __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    enum { YS, YU, SG, UG, PP, XX, GG, COUNT };
    real acc[COUNT] = {0, 0, 0, 0, 0, 0, 0};
    real gn = clbfgs_norm_start(ord);
    for (size_t i = lid; i < n; i += lsize) {
        const real gi = g[i], xi = x[i];
        gn = clbfgs_norm_add(gn, gi, ord);
        acc[XX] += fabs(xi) * fabs(xi);
        if (step) {
            /* u as combine3(u, 1, v, 1, p, 0, p) made it: 0 p keeps an inf in p a NaN */
            const real pi = p[i], si = alpha * pi, yi = gi - g_old[i];
            const real ui = ((real)1 * v[i] + (real)1 * pi) + (real)0 * pi;
            s[i] = si;
            u[i] = ui;
            acc[YS] += yi * si;
            acc[YU] += yi * ui;
            acc[SG] += si * gi;
            acc[UG] += ui * gi;
            acc[PP] += fabs(pi) * fabs(pi);
        } else {
            acc[GG] += fabs(gi) * fabs(gi);
        }
    }
    group_sums(acc, COUNT, scratch);
    const real gnorm = group_norm(gn, ord, scratch);

    /* The next update and the new direction's coefficients. */
    const real ys = acc[YS];
    const int pending = step && ys > 0 && isfinite(ys);
    real a = 0, b = 0, cu = 0, cs = 0;
    if (pending) {
        const real rho = (real)1 / ys;
        a = -rho;
        b = rho * rho * acc[YU] + rho;
        cu = rho * acc[SG];
        cs = rho * acc[UG] - b * acc[SG];
    }
    const real f = sc[SLOT_F]; /* at x: the last point evaluated */
    real gp = 0;
    for (size_t i = lid; i < n; i += lsize) {
        const real vi = v[i];
        const real pi = pending ? ((real)-1 * vi + cu * u[i]) + cs * s[i]
                                : ((real)-1 * vi + (real)0 * vi) + (real)0 * vi;
        p[i] = pi;
        gp += g[i] * pi;
    }
    const real old_f = step ? old_f_in : f + sqrt(acc[GG]) / (real)2;
    direction_end(sc, gp, f, old_f, x, p, xt, trial, n, scratch);
    if (lid == 0) {
        sc[SLOT_GNORM] = gnorm;
        sc[SLOT_XNORM] = sqrt(acc[XX]);
        sc[SLOT_PNORM] = sqrt(acc[PP]);
        sc[DENSE_A] = a;
        sc[DENSE_B] = b;
        sc[DENSE_PENDING] = pending ? (real)1 : (real)0;
    }
}
