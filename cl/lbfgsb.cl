/* L-BFGS-B's kernels over n-vectors (lib/lbfgsb.c drives them). The library
 * prepends `real`, LB_M (the most pairs kept, for private arrays),
 * cl/lbfgsb_small.cl, and the scalars' slot numbers.
 *
 * The m pairs live in two blocks ws, wy of m columns of n reals, column c at
 * c n: work-item i reads row i of every column, so neighbouring work-items
 * read neighbouring addresses (coalesced on a GPU). Pairs are kept in a ring
 * as SciPy's Fortran keeps them: pair j (0 = oldest) is column (head + j) % m.
 *
 * Every sum goes to per-work-group partials part[group * K + k] (a tree in
 * local memory after a grid-stride loop): the host adds the groups in order,
 * so the same inputs give the same bits on one device. variables' status
 * (iwhere) follows SciPy's lbfgsb.f: -1 no bounds, 0 free, -3 free and not
 * moving, 1 at its lower bound, 2 at its upper, 3 fixed (lower = upper);
 * free means iwhere <= 0. nbd: 0 none, 1 lower, 2 both, 3 upper. */

#pragma OPENCL FP_CONTRACT OFF

#define LB_STEPMAX ((real)1e10)

/* A work-item's rows: on a GPU every global-size-th row, so that a
 * work-group reads neighbouring addresses together; on a CPU (LB_CHUNKED)
 * one contiguous block, so that each thread streams through memory (pocl
 * runs a group's work-items one after another). */
#ifdef LB_CHUNKED
#define LB_ROWS(i, n)                                                                              \
    for (size_t lb_chunk_ = ((n) + get_global_size(0) - 1) / get_global_size(0),                \
                i = get_global_id(0) * lb_chunk_,                                                  \
                lb_end_ = i + lb_chunk_ < (size_t)(n) ? i + lb_chunk_ : (size_t)(n);               \
         i < lb_end_; i++)
#else
#define LB_ROWS(i, n) for (size_t i = get_global_id(0); i < (size_t)(n); i += get_global_size(0))
#endif

/* A work-item's contiguous block [a, b) of n rows (CPUs). */
#define LB_BLOCK(a, b, n)                                                                          \
    const size_t lb_chunk_ = ((size_t)(n) + get_global_size(0) - 1) / get_global_size(0);        \
    const size_t a = get_global_id(0) * lb_chunk_;                                                 \
    const size_t b = a + lb_chunk_ < (size_t)(n) ? a + lb_chunk_ : (size_t)(n);

/* Masks for select() on real8: as wide as real's lanes. */
#ifdef LB_DOUBLE
typedef long8 lb_mask8;
#define LB_MASK8(c) convert_long8(c)
#else
typedef int8 lb_mask8;
#define LB_MASK8(c) (c)
#endif

/* Sums 8 lanes in a fixed order. */
static real lb_hsum8(const real8 v)
{
    return ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
}

/* The offsets of the col pairs' columns, oldest first: pair j is column
 * (head + j) % m, at its n-th multiple. */
#define LB_COLUMNS(cb, head, m, col, n)                                                            \
    size_t cb[LB_M];                                                                               \
    for (uint j_ = 0; j_ < (col); j_++)                                                            \
        cb[j_] = (size_t)(((head) + j_) % (m)) * (size_t)(n);

/* The group's total (op 0), maximum (op 1, NaN wins) or minimum (op 2) of v. */
static real lb_reduce(real v, const int op, __local real *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t stride = lsize / 2; stride > 0; stride /= 2) {
        if (lid < stride) {
            const real a = scratch[lid], b = scratch[lid + stride];
            scratch[lid] = op == 0   ? a + b
                           : op == 1 ? ((b > a || isnan(b)) ? b : a)
                                     : (b < a ? b : a);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const real r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* Writes the group's totals of acc[0 .. K) to part[group * stride ..]. */
static void lb_sums(const real *acc, const int K, const int stride, __global real *part,
                    __local real *scratch)
{
    for (int k = 0; k < K; k++) {
        const real r = lb_reduce(acc[k], 0, scratch);
        if (get_local_id(0) == 0)
            part[get_group_id(0) * stride + k] = r;
    }
}

/* The projected gradient's component i (SciPy's projgr). */
static real lb_proj_grad(const real x, const real g, const real l, const real u, const int nbd)
{
    real gi = g;
    if (nbd != 0) {
        if (gi < 0) {
            if (nbd >= 2)
                gi = fmax(x - u, gi);
        } else if (nbd <= 2) {
            gi = fmin(x - l, gi);
        }
    }
    return gi;
}

/* At a trial point (x, g): f (the sum of the objective's m terms, or
 * SLOT_F where m = 0), g . d, and the projected gradient's max-norm
 * (|g|'s where bounded = 0: x, l, u, nbd are not read). part: 3 per group. */
__kernel void lb_point(__global const real *sc, __global const real *terms, const uint m,
                       __global const real *x, __global const real *g, __global const real *d,
                       __global const real *l, __global const real *u, __global const int *nbd,
                       const int bounded, const uint n, __global real *part,
                       __local real *scratch)
{
    real acc[2] = {0, 0}, pg = 0;
    if (m == 0 && get_global_id(0) == 0)
        acc[0] = sc[SLOT_F];
#ifdef LB_CHUNKED
    {
        LB_BLOCK(ta, tb, m)
        real8 t8 = 0;
        size_t i = ta;
        for (; i + 8 <= tb; i += 8)
            t8 += vload8(0, terms + i);
        acc[0] += lb_hsum8(t8);
        for (; i < tb; i++)
            acc[0] += terms[i];
    }
    LB_BLOCK(a, b, n)
    real8 s8 = 0, p8 = 0;
    size_t i = a;
    for (; i + 8 <= b; i += 8) {
        const real8 g8 = vload8(0, g + i);
        s8 += g8 * vload8(0, d + i);
        real8 a8 = g8;
        if (bounded) {
            const int8 nb = vload8(0, nbd + i);
            const real8 x8 = vload8(0, x + i);
            const lb_mask8 neg = g8 < (real8)0;
            const lb_mask8 has_u = LB_MASK8(nb >= 2), has_l = LB_MASK8((nb != 0) & (nb <= 2));
            a8 = select(a8, fmax(x8 - vload8(0, u + i), g8), neg & has_u);
            a8 = select(a8, fmin(x8 - vload8(0, l + i), g8), ~neg & has_l);
        }
        a8 = fabs(a8);
        p8 = select(p8, a8, (a8 > p8) | isnan(a8));
    }
    acc[1] = lb_hsum8(s8);
    real lanes[8];
    vstore8(p8, 0, lanes);
    for (int k = 0; k < 8; k++)
        pg = (lanes[k] > pg || isnan(lanes[k])) ? lanes[k] : pg;
    for (; i < b; i++) {
#else
    LB_ROWS(i, m) {
        acc[0] += terms[i];
    }
    LB_ROWS(i, n) {
#endif
        acc[1] += g[i] * d[i];
        const real a = fabs(bounded ? lb_proj_grad(x[i], g[i], l[i], u[i], nbd[i]) : g[i]);
        pg = (a > pg || isnan(a)) ? a : pg;
    }
    lb_sums(acc, 2, 3, part, scratch);
    const real r = lb_reduce(pg, 1, scratch);
    if (get_local_id(0) == 0)
        part[get_group_id(0) * 3 + 2] = r;
}

/* The Cauchy direction d = P(x - t g) - x at t -> 0, each variable's
 * status and breakpoint t (-1: not moving, -2: moving without a bound
 * ahead, >= 0: where it reaches its bound), xcp = x, and per group
 * f1 = -d'd, whether any breakpoint, any unbounded mover, any moving
 * unbounded variable. part: 4 per group (p = W'd is lb_wdots' after). */
__kernel void lb_cauchy_prep(__global const real *x, __global const real *g,
                             __global const real *l, __global const real *u,
                             __global const int *nbd, __global int *iwhere, __global real *d,
                             __global real *t, __global real *xcp, const uint n,
                             __global real *part, __local real *scratch)
{
    real acc[4] = {0, 0, 0, 0};
    LB_ROWS(i, n) {
        const real neggi = -g[i];
        const int nb = nbd[i];
        int iw = iwhere[i];
        real tl = 0, tu = 0;
        if (iw != 3 && iw != -1) {
            if (nb <= 2)
                tl = x[i] - l[i];
            if (nb >= 2)
                tu = u[i] - x[i];
            const int xlower = nb <= 2 && tl <= 0, xupper = nb >= 2 && tu <= 0;
            iw = 0;
            if (xlower) {
                if (neggi <= 0)
                    iw = 1;
            } else if (xupper) {
                if (neggi >= 0)
                    iw = 2;
            } else if (fabs(neggi) <= 0) {
                iw = -3;
            }
            iwhere[i] = iw;
        }
        xcp[i] = x[i];
        if (iw != 0 && iw != -1) {
            d[i] = 0;
            t[i] = -1;
            continue;
        }
        d[i] = neggi;
        acc[0] -= neggi * neggi;
        if (nb <= 2 && nb != 0 && neggi < 0) {
            t[i] = tl / (-neggi);
            acc[1] = 1;
        } else if (nb >= 2 && neggi > 0) {
            t[i] = tu / neggi;
            acc[1] = 1;
        } else {
            t[i] = -2;
            acc[2] = 1;
            if (fabs(neggi) > 0)
                acc[3] = 1;
        }
    }
    lb_sums(acc, 4, 4, part, scratch);
}

/* SciPy's hpsolb on t[0 .. n), idx[0 .. n) (1-based in the paper's code):
 * heap = 0 first makes a heap; then the least element goes to t[n - 1]
 * and t[0 .. n - 1) is a heap again. */
#define LB_T(k) t[(k) - 1]
#define LB_I(k) idx[(k) - 1]
static void lb_heap_pop(const int n, __global real *t, __global int *idx, const int heap)
{
    if (heap == 0) {
        for (int k = 2; k <= n; k++) {
            const real v = LB_T(k);
            const int vi = LB_I(k);
            int i = k;
            while (i > 1) {
                const int j = i / 2;
                if (!(v < LB_T(j)))
                    break;
                LB_T(i) = LB_T(j);
                LB_I(i) = LB_I(j);
                i = j;
            }
            LB_T(i) = v;
            LB_I(i) = vi;
        }
    }
    if (n > 1) {
        int i = 1;
        const real out = LB_T(1);
        const int outi = LB_I(1);
        const real v = LB_T(n);
        const int vi = LB_I(n);
        for (;;) {
            int j = i + i;
            if (j > n - 1)
                break;
            if (LB_T(j + 1) < LB_T(j))
                j = j + 1;
            if (!(LB_T(j) < v))
                break;
            LB_T(i) = LB_T(j);
            LB_I(i) = LB_I(j);
            i = j;
        }
        LB_T(i) = v;
        LB_I(i) = vi;
        LB_T(n) = out;
        LB_I(n) = outi;
    }
}
#undef LB_T
#undef LB_I

static real lb_dot(const real *a, const real *b, const int k)
{
    real s = 0;
    for (int i = 0; i < k; i++)
        s += a[i] * b[i];
    return s;
}

/* The generalized Cauchy point's walk along the projected gradient path,
 * breakpoint by breakpoint in increasing order (SciPy's cauchy, with its
 * heap): one work-item. Its cost is the breakpoints passed, O(m^2 + log n)
 * each; the parallel parts are lb_cauchy_prep before and lb_cauchy_move
 * after. out: [0] info (non-zero: a singular system in M), [1] segments,
 * [2] the step every unfixed variable moves along d, [3] dtm,
 * [4 .. 4 + 2 col) c = W'(xcp - x). */
__kernel void lb_cauchy_walk(__global const real *part, __global const real *pw,
                             const uint groups,
                             __global const real *sy, __global const real *wt, const real theta,
                             const uint col_, const uint head, const uint m_,
                             __global const real *x, __global const real *l,
                             __global const real *u, __global real *d, __global const real *t,
                             __global real *xcp, __global int *iwhere, __global const real *ws,
                             __global const real *wy, __global real *ht, __global int *hi,
                             const uint n, const real epsmch, __global real *out)
{
    if (get_global_id(0) != 0)
        return;
    const int col = (int)col_, m = (int)m_, col2 = 2 * col;
    real p[2 * LB_M], c[2 * LB_M], v[2 * LB_M], wbp[2 * LB_M];
    real f1 = 0, anybreak = 0, anyfree = 0, moving = 0;
    for (int j = 0; j < col2; j++)
        p[j] = c[j] = 0;
    for (uint gi = 0; gi < groups; gi++) {
        __global const real *q = part + gi * 4;
        f1 += q[0];
        anybreak += q[1];
        anyfree += q[2];
        moving += q[3];
        for (int j = 0; j < col2; j++)
            p[j] += pw[gi * col2 + j];
    }
    for (int j = col; j < col2; j++)
        p[j] = theta * p[j];
    out[0] = 0;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
    for (int j = 0; j < col2; j++)
        out[4 + j] = 0;
    if (anybreak == 0 && anyfree == 0) /* d = 0: the GCP is x */
        return;
    const int bnded = moving == 0;
    real f2 = -theta * f1;
    const real f2_org = f2;
    int info = 0;
    if (col > 0) {
        info = lb_bmv(m, sy, wt, col, p, v);
        if (info) {
            out[0] = info;
            return;
        }
        f2 = f2 - lb_dot(v, p, col2);
    }
    real dtm = -f1 / f2, tsum = 0;
    int nseg = 1, all_fixed = 0;
    if (anybreak != 0) {
        int nbreak = 0, ibkmin = 0;
        real bkmin = 0;
        for (uint i = 0; i < n; i++) {
            const real ti = t[i];
            if (ti >= 0) {
                ht[nbreak] = ti;
                hi[nbreak] = (int)i;
                if (nbreak == 0 || ti < bkmin) {
                    bkmin = ti;
                    ibkmin = nbreak;
                }
                nbreak++;
            }
        }
        int nleft = nbreak, iter = 1;
        real tj = 0;
        for (;;) {
            const real tj0 = tj;
            int ibp;
            if (iter == 1) {
                tj = bkmin;
                ibp = hi[ibkmin];
            } else {
                if (iter == 2 && ibkmin != nbreak - 1) {
                    ht[ibkmin] = ht[nbreak - 1];
                    hi[ibkmin] = hi[nbreak - 1];
                }
                lb_heap_pop(nleft, ht, hi, iter - 2);
                tj = ht[nleft - 1];
                ibp = hi[nleft - 1];
            }
            const real dt = tj - tj0;
            if (dtm < dt)
                break; /* the minimizer is in this segment */
            tsum = tsum + dt;
            nleft--;
            iter++;
            const real dibp = d[ibp];
            d[ibp] = 0;
            real zibp;
            if (dibp > 0) {
                zibp = u[ibp] - x[ibp];
                xcp[ibp] = u[ibp];
                iwhere[ibp] = 2;
            } else {
                zibp = l[ibp] - x[ibp];
                xcp[ibp] = l[ibp];
                iwhere[ibp] = 1;
            }
            if (nleft == 0 && nbreak == (int)n) { /* every variable at a bound */
                dtm = dt;
                all_fixed = 1;
                break;
            }
            nseg++;
            const real dibp2 = dibp * dibp;
            f1 = f1 + dt * f2 + dibp2 - theta * dibp * zibp;
            f2 = f2 - theta * dibp2;
            if (col > 0) {
                for (int j = 0; j < col2; j++)
                    c[j] = c[j] + dt * p[j];
                for (int j = 0; j < col; j++) {
                    const size_t cc = (size_t)((head + (uint)j) % (uint)m) * n + (size_t)ibp;
                    wbp[j] = wy[cc];
                    wbp[col + j] = theta * ws[cc];
                }
                info = lb_bmv(m, sy, wt, col, wbp, v);
                if (info) {
                    out[0] = info;
                    return;
                }
                const real wmc = lb_dot(c, v, col2), wmp = lb_dot(p, v, col2),
                           wmw = lb_dot(wbp, v, col2);
                for (int j = 0; j < col2; j++)
                    p[j] = p[j] + (-dibp) * wbp[j];
                f1 = f1 + dibp * wmc;
                f2 = f2 + (real)2 * dibp * wmp - dibp2 * wmw;
            }
            f2 = fmax(epsmch * f2_org, f2);
            if (nleft > 0) {
                dtm = -f1 / f2;
                continue;
            } else if (bnded) {
                f1 = 0;
                f2 = 0;
                dtm = 0;
            } else {
                dtm = -f1 / f2;
            }
            break;
        }
    }
    if (!all_fixed) {
        if (dtm <= 0)
            dtm = 0;
        tsum = tsum + dtm;
        out[2] = tsum;
    }
    if (col > 0)
        for (int j = 0; j < col2; j++)
            c[j] = c[j] + dtm * p[j];
    out[1] = nseg;
    out[3] = dtm;
    for (int j = 0; j < col2; j++)
        out[4 + j] = c[j];
}

/* xcp += a d (a from the walk's out[2]; d is 0 where a breakpoint was passed). */
__kernel void lb_cauchy_move(__global real *xcp, __global const real *d,
                             __global const real *out, const uint n)
{
    const size_t i = get_global_id(0);
    const real a = out[2];
    if (i < n && a != 0)
        xcp[i] = xcp[i] + a * d[i];
}

/* Adds row i's part of row a of the active set's products (wa = column a)
 * to acc, when variable i is at a bound. */
static void lb_gram_row(const size_t i, __global const int *iwhere, __global const real *wa,
                        __global const real *ws, __global const real *wy, const size_t *cb,
                        const uint col, real *acc)
{
    if (iwhere[i] <= 0)
        return;
    const real va = wa[i];
    for (uint b = 0; b < col; b++) {
        const size_t o = cb[b] + i;
        acc[b] += va * ws[o];
        acc[col + b] += va * wy[o];
    }
    acc[2 * col] += 1;
}

/* The group's totals of row a's 2 col + 1 values into the partials. */
static void lb_gram_write(const real *acc, const uint a, const uint col, __global real *part,
                          __local real *scratch)
{
    const uint col2 = 2 * col;
    const size_t base = (get_group_id(0) * col2 + a) * (col2 + 1);
    for (uint k = 0; k <= col2; k++) {
        const real r = lb_reduce(acc[k], 0, scratch);
        if (get_local_id(0) == 0)
            part[base + k] = r;
    }
}

/* Over the variables at a bound at the GCP (iwhere > 0): row a of
 * [S Y]'AA'[S Y] restricted to the columns the subspace step needs, i.e.
 * for a < col: s_a'AA's_b and s_a'AA'y_b; for a >= col: y_a'AA's_b and
 * y_a'AA'y_b (b < col); and the count of such variables. A 2-D launch:
 * dimension 1 is a (2 col), a work-group one a. part: per (group, a)
 * 2 col + 1 values, at (group * 2 col + a) * (2 col + 1). */
__kernel void lb_active_gram(__global const int *iwhere, __global const real *ws,
                             __global const real *wy, const uint m, const uint head,
                             const uint col, const uint n, __global real *part,
                             __local real *scratch)
{
    const uint a = (uint)get_global_id(1), col2 = 2 * col;
    LB_COLUMNS(cb, head, m, col, n)
    const size_t ca = (size_t)((head + a % col) % m) * n;
    __global const real *wa = a < col ? ws + ca : wy + ca;
    real acc[2 * LB_M + 1];
    for (uint k = 0; k <= col2; k++)
        acc[k] = 0;
    LB_ROWS(i, n) {
        lb_gram_row(i, iwhere, wa, ws, wy, cb, col, acc);
    }
    lb_gram_write(acc, a, col, part, scratch);
}

/* lb_active_gram for CPUs, in one dimension: a work-item takes every row a
 * in turn over its block of rows (which stays in its cache), 8 rows at a
 * time, skipping blocks of 8 free variables. The same partials. */
__kernel void lb_active_gram_blocks(__global const int *iwhere, __global const real *ws,
                                    __global const real *wy, const uint m, const uint head,
                                    const uint col, const uint n, __global real *part,
                                    __local real *scratch)
{
    const uint col2 = 2 * col;
    LB_COLUMNS(cb, head, m, col, n)
    LB_BLOCK(a0, b0, n)
    const size_t b8 = a0 < b0 ? a0 + (b0 - a0) / 8 * 8 : a0;
    for (uint a = 0; a < col2; a++) {
        __global const real *wa = (a < col ? ws : wy) + cb[a % col];
        real8 acc8[2 * LB_M];
        real acc[2 * LB_M + 1];
        for (uint k = 0; k < col2; k++)
            acc8[k] = 0;
        real8 cnt8 = 0;
        for (size_t i = a0; i < b8; i += 8) {
            const lb_mask8 on = LB_MASK8(vload8(0, iwhere + i) > (int8)0);
            if (!any(on))
                continue;
            const real8 one = select((real8)0, (real8)1, on);
            const real8 va = vload8(0, wa + i) * one;
            for (uint b = 0; b < col; b++) {
                acc8[b] += va * vload8(0, ws + cb[b] + i);
                acc8[col + b] += va * vload8(0, wy + cb[b] + i);
            }
            cnt8 += one;
        }
        for (uint k = 0; k < col2; k++)
            acc[k] = lb_hsum8(acc8[k]);
        acc[col2] = lb_hsum8(cnt8);
        for (size_t i = b8; i < b0; i++)
            lb_gram_row(i, iwhere, wa, ws, wy, cb, col, acc);
        lb_gram_write(acc, a, col, part, scratch);
    }
}

/* The reduced gradient at the GCP on the free variables of a bounded
 * problem (SciPy's cmprlb): r = -theta (xcp - x) - g + W M c, where r
 * holds W M c (lb_wcomb) on entry; 0 on the others. */
__kernel void lb_finish_r(__global const real *x, __global const real *g,
                          __global const real *xcp, __global const int *iwhere,
                          const real theta, const uint n, __global real *r)
{
    LB_ROWS(i, n) {
        r[i] = iwhere[i] > 0 ? (real)0 : (-theta * (xcp[i] - x[i]) - g[i]) + r[i];
    }
}

/* The subspace Newton step on the free variables (SciPy's subsm, with
 * Morales & Nocedal's projection): ds (lb_wcomb's) is kept on the free
 * variables and zeroed elsewhere; z = P(xcp + ds) there, xcp elsewhere.
 * Per group: whether a bound was met, and (z - x) . g. part: 2 per group. */
__kernel void lb_project(__global real *ds, __global const real *xcp,
                         __global const real *x, __global const real *g,
                         __global const real *l, __global const real *u,
                         __global const int *nbd, __global const int *iwhere, const uint n,
                         __global real *z, __global real *part, __local real *scratch)
{
    real acc[2] = {0, 0};
    LB_ROWS(i, n) {
        real zi = xcp[i];
        if (iwhere[i] <= 0) {
            const real di = ds[i], xk = zi;
            const int nb = nbd[i];
            if (nb == 0) {
                zi = xk + di;
            } else if (nb == 1) {
                zi = fmax(l[i], xk + di);
                if (zi == l[i])
                    acc[0] = 1;
            } else if (nb == 2) {
                zi = fmin(u[i], fmax(l[i], xk + di));
                if (zi == l[i] || zi == u[i])
                    acc[0] = 1;
            } else {
                zi = fmin(u[i], xk + di);
                if (zi == u[i])
                    acc[0] = 1;
            }
        } else {
            ds[i] = 0;
        }
        z[i] = zi;
        acc[1] += (zi - x[i]) * g[i];
    }
    lb_sums(acc, 2, 2, part, scratch);
}

/* The backtracking step along ds from xcp when the projected step points
 * uphill: the largest alpha <= 1 that keeps xcp + alpha ds in the box, and
 * the first variable that limits it. part: 1 per group, ipart: its index
 * (-1: none below 1). */
__kernel void lb_subspace_limit(__global const real *ds, __global const real *xcp,
                                __global const real *l, __global const real *u,
                                __global const int *nbd, __global const int *iwhere,
                                const uint n, __global real *part, __global int *ipart,
                                __local real *scratch, __local int *iscratch)
{
    real best = 1;
    int bi = -1;
    LB_ROWS(i, n) {
        const int nb = nbd[i];
        if (iwhere[i] > 0 || nb == 0)
            continue;
        const real dk = ds[i];
        real ratio = best;
        if (dk < 0 && nb <= 2) {
            const real t2 = l[i] - xcp[i];
            if (t2 >= 0)
                ratio = 0;
            else if (dk * best < t2)
                ratio = t2 / dk;
        } else if (dk > 0 && nb >= 2) {
            const real t2 = u[i] - xcp[i];
            if (t2 <= 0)
                ratio = 0;
            else if (dk * best > t2)
                ratio = t2 / dk;
        }
        if (ratio < best) {
            best = ratio;
            bi = (int)i;
        }
    }
    /* the least ratio, the lowest index among equals */
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    scratch[lid] = best;
    iscratch[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t stride = lsize / 2; stride > 0; stride /= 2) {
        if (lid < stride) {
            const real a = scratch[lid], b = scratch[lid + stride];
            const int ia = iscratch[lid], ib = iscratch[lid + stride];
            if (ib >= 0 && (b < a || (b == a && (ia < 0 || ib < ia)))) {
                scratch[lid] = b;
                iscratch[lid] = ib;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        part[get_group_id(0)] = scratch[0];
        ipart[get_group_id(0)] = iscratch[0];
    }
}

/* z = xcp + alpha ds on the free variables, with variable ibd (when
 * alpha < 1) exactly at the bound that limited the step. */
__kernel void lb_subspace_back(__global real *z, __global const real *xcp,
                               __global const real *ds, __global const real *l,
                               __global const real *u, __global const int *iwhere,
                               const real alpha, const int ibd, const uint n)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    if (iwhere[i] > 0) {
        z[i] = xcp[i];
        return;
    }
    real xi = xcp[i], di = ds[i];
    if ((int)i == ibd && alpha < 1) {
        if (di > 0)
            xi = u[i];
        else if (di < 0)
            xi = l[i];
        di = 0;
    }
    z[i] = xi + alpha * di;
}

/* The search direction d = z - x and per group d'd, g'd and the largest
 * step that keeps x + step d in the box (from LB_STEPMAX; only when limit
 * is set: SciPy's first iteration of a bounded problem takes 1). part: 3
 * per group. */
__kernel void lb_direction(__global const real *z, __global const real *x,
                           __global const real *g, __global const real *l,
                           __global const real *u, __global const int *nbd, const int limit,
                           const uint n, __global real *d, __global real *part,
                           __local real *scratch)
{
    real acc[2] = {0, 0}, smax = LB_STEPMAX;
    LB_ROWS(i, n) {
        const real di = z[i] - x[i];
        d[i] = di;
        acc[0] += di * di;
        acc[1] += g[i] * di;
        const int nb = nbd[i];
        if (!limit || nb == 0)
            continue;
        if (di < 0 && nb <= 2) {
            const real a2 = l[i] - x[i];
            if (a2 >= 0)
                smax = 0;
            else if (di * smax < a2)
                smax = a2 / di;
        } else if (di > 0 && nb >= 2) {
            const real a2 = u[i] - x[i];
            if (a2 <= 0)
                smax = 0;
            else if (di * smax > a2)
                smax = a2 / di;
        }
    }
    lb_sums(acc, 2, 3, part, scratch);
    const real r = lb_reduce(smax, 2, scratch);
    if (get_local_id(0) == 0)
        part[get_group_id(0) * 3 + 2] = r;
}

/* The subspace step of a problem without bounds from x (lb_wcomb's ds):
 * z = x + ds, d = z - x, and per group d'd and g'd. part: 2 per group. */
__kernel void lb_step_free(__global const real *ds, __global const real *x,
                           __global const real *g, const uint n, __global real *z,
                           __global real *d, __global real *part, __local real *scratch)
{
    real acc[2] = {0, 0};
#ifdef LB_CHUNKED
    LB_BLOCK(a, b, n)
    real8 t8 = 0, g8s = 0;
    size_t i = a;
    for (; i + 8 <= b; i += 8) {
        const real8 x8 = vload8(0, x + i), z8 = x8 + vload8(0, ds + i), d8 = z8 - x8;
        vstore8(z8, 0, z + i);
        vstore8(d8, 0, d + i);
        t8 += d8 * d8;
        g8s += vload8(0, g + i) * d8;
    }
    acc[0] = lb_hsum8(t8);
    acc[1] = lb_hsum8(g8s);
    for (; i < b; i++) {
#else
    LB_ROWS(i, n) {
#endif
        const real zi = x[i] + ds[i], di = zi - x[i];
        z[i] = zi;
        d[i] = di;
        acc[0] += di * di;
        acc[1] += g[i] * di;
    }
    lb_sums(acc, 2, 2, part, scratch);
}

/* A trial point: xt = z at step 1 (SciPy takes the subspace point itself),
 * else x + stp d. */
__kernel void lb_trial(__global real *xt, __global const real *x, __global const real *d,
                       __global const real *z, const real stp, const uint n)
{
    const size_t i = get_global_id(0);
    if (i < n)
        xt[i] = stp == (real)1 ? z[i] : stp * d[i] + x[i];
}

/* The new pair into column itail: s = stp d, y = g - g_old, and per group
 * y'y. part: 1 per group (the products with the older pairs are
 * lb_wdots' after). */
__kernel void lb_new_pair(__global const real *d, const real stp, __global const real *g,
                          __global const real *g_old, __global real *ws, __global real *wy,
                          const uint itail, const uint n, __global real *part,
                          __local real *scratch)
{
    real acc[1] = {0};
    __global real *sc_ = ws + (size_t)itail * n, *yc_ = wy + (size_t)itail * n;
#ifdef LB_CHUNKED
    LB_BLOCK(a, b, n)
    real8 r8 = 0;
    size_t i = a;
    for (; i + 8 <= b; i += 8) {
        const real8 d8 = vload8(0, d + i);
        const real8 s8 = stp == (real)1 ? d8 : stp * d8;
        const real8 y8 = vload8(0, g + i) - vload8(0, g_old + i);
        vstore8(s8, 0, sc_ + i);
        vstore8(y8, 0, yc_ + i);
        r8 += y8 * y8;
    }
    acc[0] = lb_hsum8(r8);
    for (; i < b; i++) {
#else
    LB_ROWS(i, n) {
#endif
        const real s = stp == (real)1 ? d[i] : stp * d[i];
        const real y = g[i] - g_old[i];
        sc_[i] = s;
        yc_[i] = y;
        acc[0] += y * y;
    }
    lb_sums(acc, 1, 1, part, scratch);
}

/* The pairs' products with up to three vectors v0, v1, v2 (nv of them;
 * v0 and v1 from element off0, off1 of their buffers, so that they can be
 * columns of S and Y):
 * per group, for vector t and pair j of the cnt from head, y_j . v_t at
 * t 2 cnt + j and s_j . v_t at t 2 cnt + cnt + j. Each column is read once
 * for all the vectors. On CPUs a work-item streams its block of each column
 * in turn, 8 rows at a time. part: 2 cnt nv per group. */
__kernel void lb_wdots(__global const real *ws, __global const real *wy, const uint m,
                       const uint head, const uint cnt, __global const real *v0_,
                       __global const real *v1_, __global const real *v2, const ulong off0,
                       const ulong off1, const uint nv, const uint n, __global real *part,
                       __local real *scratch)
{
    __global const real *v0 = v0_ + off0, *v1 = v1_ + off1;
    real acc[3 * 2 * LB_M];
    const uint c2 = 2 * cnt, K = c2 * nv;
    LB_COLUMNS(cb, head, m, cnt, n)
    for (uint k = 0; k < K; k++)
        acc[k] = 0;
#ifdef LB_CHUNKED
    const size_t chunk = ((size_t)n + get_global_size(0) - 1) / get_global_size(0);
    const size_t a = get_global_id(0) * chunk;
    const size_t b = a + chunk < (size_t)n ? a + chunk : (size_t)n;
    for (uint c = 0; c < c2 && a < b; c++) {
        __global const real *w = (c < cnt ? wy : ws) + cb[c % cnt];
        real8 s0 = 0, s1 = 0, s2 = 0;
        size_t i = a;
        for (; i + 8 <= b; i += 8) {
            const real8 w8 = vload8(0, w + i);
            s0 += w8 * vload8(0, v0 + i);
            if (nv > 1)
                s1 += w8 * vload8(0, v1 + i);
            if (nv > 2)
                s2 += w8 * vload8(0, v2 + i);
        }
        real t0 = lb_hsum8(s0), t1 = lb_hsum8(s1), t2 = lb_hsum8(s2);
        for (; i < b; i++) {
            t0 += w[i] * v0[i];
            if (nv > 1)
                t1 += w[i] * v1[i];
            if (nv > 2)
                t2 += w[i] * v2[i];
        }
        acc[c] = t0;
        if (nv > 1)
            acc[c2 + c] = t1;
        if (nv > 2)
            acc[2 * c2 + c] = t2;
    }
#else
    LB_ROWS(i, n) {
        const real a0 = v0[i], a1 = nv > 1 ? v1[i] : 0, a2 = nv > 2 ? v2[i] : 0;
        for (uint c = 0; c < c2; c++) {
            const real w = (c < cnt ? wy : ws)[cb[c % cnt] + i];
            acc[c] += w * a0;
            if (nv > 1)
                acc[c2 + c] += w * a1;
            if (nv > 2)
                acc[2 * c2 + c] += w * a2;
        }
    }
#endif
    lb_sums(acc, (int)K, (int)K, part, scratch);
}

/* out = scale (sign base + sum_j y_j coef[j] + s_j coef[cnt + j]) over the
 * cnt pairs from head (sign 0: no base). On CPUs a work-item adds the
 * columns into its block of out in turn, 8 rows at a time. */
__kernel void lb_wcomb(__global const real *ws, __global const real *wy, const uint m,
                       const uint head, const uint cnt, __global const real *coef,
                       __global const real *base, const real sign, const real scale,
                       const uint n, __global real *out)
{
    LB_COLUMNS(cb, head, m, cnt, n)
    const uint c2 = 2 * cnt;
#ifdef LB_CHUNKED
    const size_t chunk = ((size_t)n + get_global_size(0) - 1) / get_global_size(0);
    const size_t a = get_global_id(0) * chunk;
    const size_t b = a + chunk < (size_t)n ? a + chunk : (size_t)n;
    const size_t b8 = a < b ? a + (b - a) / 8 * 8 : a;
    for (size_t i = a; i < b8; i += 8)
        vstore8(sign == 0 ? (real8)0 : sign * vload8(0, base + i), 0, out + i);
    for (size_t i = b8; i < b; i++)
        out[i] = sign == 0 ? (real)0 : sign * base[i];
    for (uint c = 0; c < c2; c++) {
        __global const real *w = (c < cnt ? wy : ws) + cb[c % cnt];
        const real k = coef[c];
        for (size_t i = a; i < b8; i += 8)
            vstore8(vload8(0, out + i) + vload8(0, w + i) * k, 0, out + i);
        for (size_t i = b8; i < b; i++)
            out[i] = out[i] + w[i] * k;
    }
    for (size_t i = a; i < b8; i += 8)
        vstore8(scale * vload8(0, out + i), 0, out + i);
    for (size_t i = b8; i < b; i++)
        out[i] = scale * out[i];
#else
    LB_ROWS(i, n) {
        real o = sign == 0 ? (real)0 : sign * base[i];
        for (uint c = 0; c < c2; c++)
            o = o + (c < cnt ? wy : ws)[cb[c % cnt] + i] * coef[c];
        out[i] = scale * o;
    }
#endif
}
