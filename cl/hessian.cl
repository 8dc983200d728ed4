/* The dense inverse-Hessian operator: H (n x n, row-major, symmetric).
 * Built after cl/iteration.cl, whose helpers the step kernel uses.
 *
 * Per iteration, with p = -H g, s the step, y the gradient change and
 * rho = 1 / y.s (DESIGN.md):
 *   v = H g_new,  u = v + p (= H y),
 *   H += a (u s^T + s u^T) + b s s^T,  a = -rho,  b = rho^2 y.u + rho,
 *   p_new = -v + rho (s.g) u + (rho (u.g) - b (s.g)) s.
 * One product and one rank-two update of H: O(n^2), never O(n^3). The
 * update is applied as c s^T + s c^T with c = a u + (b / 2) s, formed once
 * per update: two products and two additions an element, and each element
 * c_i s_j + s_i c_j is the same sum as rounded at (j, i), so H stays
 * exactly symmetric. (Its rounding error is of the order of the three-term
 * form's: c_i's own is relative to |a u_i| + |b s_i| / 2.)
 *
 * Delayed updates: the updates are kept pending, up to q of them, each as
 * its c and s, and H as stored is the H of the last fold. The H of the
 * iteration is the stored H plus the pending terms, so v = H g is the
 * stored H's product plus, for each pending update k in order,
 * c_k (s_k.g) + s_k (c_k.g) (dense_lowrank): a read of H and O(q n) more.
 * Every q-th iteration one pass folds all of them into H, each element
 * taking the terms one by one in the order they came, each as a single
 * update would, so the stored H is the one the updates one at a time
 * would have left, to the bit; the same pass forms the product from the
 * values it writes. q = 1 folds every update at the next pass: one read
 * and one write of H an iteration, 16 n^2 bytes in double; q folds at one
 * iteration in q, (8 + 8 / q) n^2 bytes an iteration.
 *
 * The pending updates live on the device: slot k of C and S (n reals
 * each, at k n), and made[k], 1 when the update was made (0: y.s was not
 * safely positive, and the slot is skipped), written by dense_step: the
 * host never waits for them. */

#pragma OPENCL FP_CONTRACT OFF

/* Whether the last step's update was made, for the host (hop_dense.c). */
#define DENSE_PENDING (SLOT_OPERATOR + 0)
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

/* c = a u + (b / 2) s: an update's vector. */
static real update_c(const real a, const real ui, const real b, const real si)
{
    return a * ui + (b * (real)0.5) * si;
}

/* One update's share of H at row r, column k: c_r s_k + s_r c_k, the one
 * expression of every scalar pass (hessian_fold_apply_rows8's lanes spell
 * it out in real8, and hop_dense.c's fold_one on the host). */
static real update_term(const real c_r, const real s_r, const real c_k, const real s_k)
{
    return c_r * s_k + s_r * c_k;
}

/* A pending update as the host gives it (the tests): slot's c and s from
 * a, u, b and s, and whether it was made. */
__kernel void dense_set_pending(__global real *made, __global real *C, __global real *S,
                                const uint slot, const real a, __global const real *u,
                                const real b, __global const real *s, const int was_made,
                                const uint n)
{
    const size_t i = get_global_id(0);
    if (i == 0)
        made[slot] = was_made ? (real)1 : (real)0;
    if (i >= n)
        return;
    C[slot * (size_t)n + i] = update_c(a, u[i], b, s[i]);
    S[slot * (size_t)n + i] = s[i];
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

/* H += a (u s^T + s u^T) + b s s^T, as c s^T + s c^T. */
__kernel void hessian_update(__global real *h, const real a, __global const real *u,
                             const real b, __global const real *s, const uint n)
{
    const size_t i = get_global_id(1), j = get_global_id(0);
    if (i >= n || j >= n)
        return;
    const real ci = update_c(a, u[i], b, s[i]), cj = update_c(a, u[j], b, s[j]);
    h[i * n + j] += update_term(ci, s[i], cj, s[j]);
}

/* Where the pending updates that were made, of the first m slots, start in
 * C and S. Returns how many. */
static uint pending_terms(__global const real *made, const uint m, const uint n, size_t *at)
{
    uint k = 0;
    for (uint t = 0; t < m && t < DENSE_QMAX; t++)
        if (made[t] != 0)
            at[k++] = t * (size_t)n;
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
__kernel void hessian_fold_apply(__global real *h, __global const real *made,
                                 __global const real *C, __global const real *S, const uint m,
                                 __global const real *g, __global real *v, const uint n,
                                 const uint rows)
{
    const size_t i = get_global_id(0), c = get_global_id(1);
    if (i >= n)
        return;
    real si[DENSE_QMAX], ci[DENSE_QMAX];
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(made, m, n, at);
    for (uint k = 0; k < terms; k++) {
        si[k] = S[at[k] + i];
        ci[k] = C[at[k] + i];
    }
    const size_t first = c * (size_t)rows;
    const size_t last = min(first + rows, (size_t)n);
    real acc = 0;
    for (size_t j = first; j < last; j++) {
        __global real *hji = h + j * n + i;
        real hv = *hji;
        if (terms) {
            for (uint k = 0; k < terms; k++)
                hv += update_term(C[at[k] + j], S[at[k] + j], ci[k], si[k]);
            *hji = hv;
        }
        acc += hv * g[j];
    }
    v[c * (size_t)n + i] = acc;
}

/* Row i's pass over the columns [from, n) in the reference order: the
 * pending terms, then sum += H_ij g_j, from the sum given. */
static real row_from(__global real *row, const size_t i, const uint terms, const size_t *at,
                     __global const real *C, __global const real *S, __global const real *g,
                     const size_t from, const size_t n, real sum)
{
    for (size_t j = from; j < n; j++) {
        real hv = row[j];
        if (terms) {
            for (uint k = 0; k < terms; k++)
                hv += update_term(C[at[k] + i], S[at[k] + i], C[at[k] + j], S[at[k] + j]);
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
 * columns in order. Each update's c and s are loaded once for both rows.
 * The element update is the reference pair's expression, term by term, so
 * H is identical to it; v is within the rounding of its own order. A short
 * last block (n odd) takes its one row alone, in the reference order. */
__kernel void hessian_fold_apply_rows8(__global real *h, __global const real *made,
                                       __global const real *C, __global const real *S,
                                       const uint m, __global const real *g, __global real *v,
                                       const uint n)
{
    const size_t i0 = get_global_id(0) * 2;
    if (i0 >= n)
        return;
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(made, m, n, at);
    __global real *r0 = h + i0 * (size_t)n;
    if (i0 + 1 >= n) {
        v[i0] = row_from(r0, i0, terms, at, C, S, g, 0, n, 0);
        return;
    }
    __global real *r1 = r0 + n;
    const size_t body = n & ~(size_t)7;
    real8 acc0 = 0, acc1 = 0;
    if (terms) {
        real s0[DENSE_QMAX], c0[DENSE_QMAX], s1[DENSE_QMAX], c1[DENSE_QMAX];
        for (uint k = 0; k < DENSE_QMAX; k++) {
            if (k >= terms)
                break;
            s0[k] = S[at[k] + i0];
            c0[k] = C[at[k] + i0];
            s1[k] = S[at[k] + i0 + 1];
            c1[k] = C[at[k] + i0 + 1];
        }
        for (size_t j = 0; j < body; j += 8) {
            real8 h0 = vload8(0, r0 + j), h1 = vload8(0, r1 + j);
            /* a loop of constant length, so that the compiler unrolls it
             * and keeps each term's scalars in registers */
            for (uint k = 0; k < DENSE_QMAX; k++)
                if (k < terms) {
                    const real8 s8 = vload8(0, S + at[k] + j), c8 = vload8(0, C + at[k] + j);
                    h0 = h0 + (c0[k] * s8 + s0[k] * c8);
                    h1 = h1 + (c1[k] * s8 + s1[k] * c8);
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
    v[i0] = row_from(r0, i0, terms, at, C, S, g, body, n, hsum8(acc0));
    v[i0 + 1] = row_from(r1, i0 + 1, terms, at, C, S, g, body, n, hsum8(acc1));
}

/* v += the first m pending updates' share of H g, after a pass that left
 * v = H g of the stored H: for each update k that was made, in order,
 * c_k (s_k.g) + s_k (c_k.g). One work-group, launched alone; scratch holds
 * 2 DENSE_QMAX reals per work-item. */
__kernel void dense_lowrank(__global real *v, __global const real *made, __global const real *C,
                            __global const real *S, const uint m, __global const real *g,
                            const uint n, __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    real dots[2 * DENSE_QMAX];
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(made, m, n, at);
    for (uint k = 0; k < 2 * terms; k++)
        dots[k] = 0;
    for (size_t i = lid; i < n; i += lsize) {
        const real gi = g[i];
        for (uint k = 0; k < terms; k++) {
            dots[2 * k] += S[at[k] + i] * gi;
            dots[2 * k + 1] += C[at[k] + i] * gi;
        }
    }
    group_sums(dots, (int)(2 * terms), scratch);
    for (size_t i = lid; i < n; i += lsize) {
        real vi = v[i];
        for (uint k = 0; k < terms; k++)
            vi = vi + (C[at[k] + i] * dots[2 * k] + S[at[k] + i] * dots[2 * k + 1]);
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
 *    pending slot `slot` (its c and s at slot n of C and S, whether it was
 *    made at made[slot] and, for the host, in the scalars), and the direction
 *    p = -v + rho (s.g) u + (rho (u.g) - b (s.g)) s, in place;
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
                         __global const real *x, __global real *S, __global real *C,
                         __global real *made, const uint slot, __global real *xt,
                         const real alpha, const real old_f_in, const real ord, const int step,
                         const int trial, const uint n, __local real *scratch)
{
    /* u goes where the update's c will: the second loop replaces each u_i
     * by c_i once the update's a and b are known */
    __global real *s = S + slot * (size_t)n, *u = C + slot * (size_t)n;
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
        real pi;
        if (pending) {
            const real ui = u[i], si = s[i];
            pi = ((real)-1 * vi + cu * ui) + cs * si;
            u[i] = update_c(a, ui, b, si); /* the slot's c */
        } else {
            pi = ((real)-1 * vi + (real)0 * vi) + (real)0 * vi;
        }
        p[i] = pi;
        gp += g[i] * pi;
    }
    const real old_f = step ? old_f_in : f + sqrt(acc[GG]) / (real)2;
    direction_end(sc, gp, f, old_f, x, p, xt, trial, n, scratch);
    if (lid == 0) {
        sc[SLOT_GNORM] = gnorm;
        sc[SLOT_XNORM] = sqrt(acc[XX]);
        sc[SLOT_PNORM] = sqrt(acc[PP]);
        sc[DENSE_PENDING] = pending ? (real)1 : (real)0;
        if (step)
            made[slot] = pending ? (real)1 : (real)0;
    }
}
