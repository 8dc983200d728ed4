/* The dense inverse-Hessian operator: H (n x n, row-major, symmetric).
 * Built after cl/iteration.cl, whose helpers the step kernel uses.
 *
 * Per iteration, with p = -H g, s the step, y the gradient change and
 * rho = 1 / y.s (DESIGN.md):
 *   v = H g_new,  u = v + p (= H y),
 *   H += -rho (u s^T + s u^T) + (rho^2 y.u + rho) s s^T,
 *   p_new = -v + rho (s.g) u + (rho (u.g) - (rho^2 y.u + rho)(s.g)) s.
 * One product and one rank-two update of H: O(n^2), never O(n^3).
 *
 * Delayed updates: the updates are kept pending, up to q of them, each as
 * its a, b, u and s, and H as stored is the H of the last fold. The H of
 * the iteration is the stored H plus the pending terms, so v = H g is the
 * stored H's product plus, for each pending update k in order,
 *   a_k (u_k (s_k.g) + s_k (u_k.g)) + b_k s_k (s_k.g)   (dense_lowrank),
 * a read of H and O(q n) more. Every q-th iteration one pass folds all of
 * them into H, each element taking the terms one by one in the order they
 * came, the reference pair's expression for each, so the stored H is the
 * one the updates one at a time would have left, to the bit; the same pass
 * forms the product from the values it writes. q = 1 folds every update at
 * the next pass: one read and one write of H an iteration, 16 n^2 bytes in
 * double; q folds at one iteration in q, (8 + 8 / q) n^2 bytes an iteration.
 *
 * The pending updates live on the device: slot k of U and S (n reals
 * each, at k n) and of coef (a_k, b_k and whether the update was made, at
 * 3 k), written by dense_step: the host never waits for them. */

#pragma OPENCL FP_CONTRACT OFF

#define DENSE_A (SLOT_OPERATOR + 0)
#define DENSE_B (SLOT_OPERATOR + 1)
#define DENSE_PENDING (SLOT_OPERATOR + 2)
/* The most pending updates (hop_dense.c's DENSE_MAX_DELAY). */
#define DENSE_QMAX 8

/* H = identity, the starting inverse Hessian. */
__kernel void set_identity(__global real *h, const uint n)
{
    const size_t i = get_global_id(0);
    const size_t j = get_global_id(1);
    if (i < n && j < n)
        h[i * n + j] = (i == j) ? (real)1 : (real)0;
}

/* A pending update's coefficients as the host gives them (the tests): a
 * kernel rather than a write, so nothing waits. */
__kernel void dense_set_update(__global real *coef, const real a, const real b, const int pending,
                               const uint slot)
{
    if (get_global_id(0) == 0) {
        coef[3 * slot] = a;
        coef[3 * slot + 1] = b;
        coef[3 * slot + 2] = pending ? (real)1 : (real)0;
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

/* The pending updates that were made, of the first m slots: their a and b,
 * and where their u and s start. Returns how many. */
static uint pending_terms(__global const real *coef, const uint m, const uint n, real *a, real *b,
                          size_t *at)
{
    uint k = 0;
    for (uint t = 0; t < m && t < DENSE_QMAX; t++)
        if (coef[3 * t + 2] != 0) {
            a[k] = coef[3 * t];
            b[k] = coef[3 * t + 1];
            at[k] = t * (size_t)n;
            k++;
        }
    return k;
}

/* The fold-and-product pass: applies the first m pending updates to H
 * (none when m is 0: a product alone) and, from the values just written,
 * accumulates v = H g. One read and one write of H; a read alone with
 * nothing to fold.
 *
 * Work-item (i, c) owns column i over the rows of chunk c, rows [c R,
 * min(n, (c + 1) R)). H is symmetric, so column i is row i, and at each row
 * j neighbouring work-items touch neighbouring addresses: coalesced on a
 * GPU. Each chunk writes its partial sums to v + c n; with one chunk that
 * is v itself, summed in the same order as hessian_apply, so the two agree
 * to the bit. */
__kernel void hessian_fold_apply(__global real *h, __global const real *coef,
                                 __global const real *U, __global const real *S, const uint m,
                                 __global const real *g, __global real *v, const uint n,
                                 const uint rows)
{
    const size_t i = get_global_id(0), c = get_global_id(1);
    if (i >= n)
        return;
    real a[DENSE_QMAX], b[DENSE_QMAX], si[DENSE_QMAX], ui[DENSE_QMAX];
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(coef, m, n, a, b, at);
    for (uint k = 0; k < terms; k++) {
        si[k] = S[at[k] + i];
        ui[k] = U[at[k] + i];
    }
    const size_t first = c * (size_t)rows;
    const size_t last = min(first + rows, (size_t)n);
    real acc = 0;
    for (size_t j = first; j < last; j++) {
        __global real *hji = h + j * n + i;
        real hv = *hji;
        if (terms) {
            for (uint k = 0; k < terms; k++) {
                const real sj = S[at[k] + j], uj = U[at[k] + j];
                hv += a[k] * (uj * si[k] + sj * ui[k]) + b[k] * (sj * si[k]);
            }
            *hji = hv;
        }
        acc += hv * g[j];
    }
    v[c * (size_t)n + i] = acc;
}

/* Row i's pass over the columns [from, n) in the reference order: the
 * pending terms, then sum += H_ij g_j, from the sum given. */
static real row_from(__global real *row, const size_t i, const uint terms, const real *a,
                     const real *b, const size_t *at, __global const real *U,
                     __global const real *S, __global const real *g, const size_t from,
                     const size_t n, real sum)
{
    for (size_t j = from; j < n; j++) {
        real hv = row[j];
        if (terms) {
            for (uint k = 0; k < terms; k++) {
                const real si = S[at[k] + i], ui = U[at[k] + i];
                const real sj = S[at[k] + j], uj = U[at[k] + j];
                hv = hv + (a[k] * (ui * sj + si * uj) + b[k] * (si * sj));
            }
            row[j] = hv;
        }
        sum += hv * g[j];
    }
    return sum;
}

/* Sums eight lanes in a fixed order. */
static real hsum8(const real8 v)
{
    return ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
}

/* The same pass by rows in eight lanes, for CPUs: a work-item takes two
 * rows and walks them eight columns at a time, with vload8 and vstore8, so
 * each core reads memory in order (the column form makes a CPU's
 * work-items stride by n). A pass in the reference order of summation is
 * one chain of dependent additions per row, which a compiler may not
 * vectorise (no reassociation without fast math): it ran at instruction
 * rate, not memory rate. Here each row sums in eight lanes, lane l taking
 * the columns j = l mod 8 in order; the lanes are added as
 * ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), then the last n mod 8
 * columns in order. Each update's s and u are loaded once for both rows.
 * The element update is the reference pair's expression, term by term, so
 * H is identical to it; v is within the rounding of its own order. A short
 * last block (n odd) takes its one row alone, in the reference order. */
__kernel void hessian_fold_apply_rows8(__global real *h, __global const real *coef,
                                       __global const real *U, __global const real *S,
                                       const uint m, __global const real *g, __global real *v,
                                       const uint n)
{
    const size_t i0 = get_global_id(0) * 2;
    if (i0 >= n)
        return;
    real a[DENSE_QMAX], b[DENSE_QMAX];
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(coef, m, n, a, b, at);
    __global real *r0 = h + i0 * (size_t)n;
    if (i0 + 1 >= n) {
        v[i0] = row_from(r0, i0, terms, a, b, at, U, S, g, 0, n, 0);
        return;
    }
    __global real *r1 = r0 + n;
    const size_t body = n & ~(size_t)7;
    real8 acc0 = 0, acc1 = 0;
    if (terms) {
        real s0[DENSE_QMAX], u0[DENSE_QMAX], s1[DENSE_QMAX], u1[DENSE_QMAX];
        for (uint k = 0; k < DENSE_QMAX; k++) {
            if (k >= terms)
                break;
            s0[k] = S[at[k] + i0];
            u0[k] = U[at[k] + i0];
            s1[k] = S[at[k] + i0 + 1];
            u1[k] = U[at[k] + i0 + 1];
        }
        for (size_t j = 0; j < body; j += 8) {
            real8 h0 = vload8(0, r0 + j), h1 = vload8(0, r1 + j);
            /* a loop of constant length, so that the compiler unrolls it
             * and keeps each term's scalars in registers */
            for (uint k = 0; k < DENSE_QMAX; k++)
                if (k < terms) {
                    const real8 s8 = vload8(0, S + at[k] + j), u8 = vload8(0, U + at[k] + j);
                    h0 = h0 + (a[k] * (u0[k] * s8 + s0[k] * u8) + b[k] * (s0[k] * s8));
                    h1 = h1 + (a[k] * (u1[k] * s8 + s1[k] * u8) + b[k] * (s1[k] * s8));
                }
            vstore8(h0, 0, r0 + j);
            vstore8(h1, 0, r1 + j);
            const real8 g8 = vload8(0, g + j);
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
    v[i0] = row_from(r0, i0, terms, a, b, at, U, S, g, body, n, hsum8(acc0));
    v[i0 + 1] = row_from(r1, i0 + 1, terms, a, b, at, U, S, g, body, n, hsum8(acc1));
}

/* v += the first m pending updates' share of H g, after a pass that left
 * v = H g of the stored H: for each update k that was made, in order,
 * a_k (u_k (s_k.g) + s_k (u_k.g)) + b_k s_k (s_k.g). One work-group,
 * launched alone; scratch holds 2 DENSE_QMAX reals per work-item. */
__kernel void dense_lowrank(__global real *v, __global const real *coef, __global const real *U,
                            __global const real *S, const uint m, __global const real *g,
                            const uint n, __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    real a[DENSE_QMAX], b[DENSE_QMAX], dots[2 * DENSE_QMAX];
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(coef, m, n, a, b, at);
    for (uint k = 0; k < 2 * terms; k++)
        dots[k] = 0;
    for (size_t i = lid; i < n; i += lsize) {
        const real gi = g[i];
        for (uint k = 0; k < terms; k++) {
            dots[2 * k] += S[at[k] + i] * gi;
            dots[2 * k + 1] += U[at[k] + i] * gi;
        }
    }
    group_sums(dots, (int)(2 * terms), scratch);
    for (size_t i = lid; i < n; i += lsize) {
        real vi = v[i];
        for (uint k = 0; k < terms; k++) {
            const real si = S[at[k] + i], ui = U[at[k] + i], sg = dots[2 * k], ug = dots[2 * k + 1];
            vi = vi + (a[k] * (ui * sg + si * ug) + b[k] * (si * sg));
        }
        v[i] = vi;
    }
}

/* v[i] = sum over chunks of the partial sums of hessian_fold_apply. */
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

/* Ends an iteration after the passes above have left v = H g (the stored
 * H's product and the pending updates' share): one work-group, launched
 * alone, that
 *  - with step != 0: forms s = alpha p, y = g - g_old, u = v + p, the
 *    inner products y.s, y.u, s.g, u.g and ||p||_2, and from them the next
 *    update (made only when y.s > 0 and finite; else H is kept), into
 *    pending slot `slot` (its s and u at slot n of S and U, its a, b and
 *    whether it was made at 3 slot of coef, and in the scalars), and the
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
                         __global const real *x, __global real *S, __global real *U,
                         __global real *coef, const uint slot, __global real *xt,
                         const real alpha, const real old_f_in, const real ord, const int step,
                         const int trial, const uint n, __local real *scratch)
{
    __global real *s = S + slot * (size_t)n, *u = U + slot * (size_t)n;
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
        if (step) {
            coef[3 * slot] = a;
            coef[3 * slot + 1] = b;
            coef[3 * slot + 2] = pending ? (real)1 : (real)0;
        }
    }
}
