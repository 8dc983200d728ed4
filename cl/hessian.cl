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
/* The side of a tile of the triangle layout (hop_dense.c's DENSE_TILE). */
#define DENSE_TILE 64

/* H's elements: the run's reals, or, in a double run built with
 * DENSE_H_FLOAT, floats (H in float; x, g, the pending c and s and every
 * scalar stay double). Elements are read into reals, updated in reals,
 * and rounded to H's type after each update's term (H_ROUND), so that a
 * fold of several updates leaves the H the updates one at a time leave. */
#if defined(DENSE_H_FLOAT) && CLBFGS_DOUBLE
typedef float hreal;
#define H_LOAD8(q, p) convert_double8(vload8((q), (p)))
#define H_STORE8(v, q, p) vstore8(convert_float8(v), (q), (p))
#define H_ROUND(x) ((real)(float)(x))
#define H_ROUND8(x) convert_double8(convert_float8(x))
#else
typedef real hreal;
#define H_LOAD8(q, p) vload8((q), (p))
#define H_STORE8(v, q, p) vstore8((v), (q), (p))
#define H_ROUND(x) (x)
#define H_ROUND8(x) (x)
#endif

/* Two layouts of H. Full: n x n, row-major (tiles = 0 below). Triangle:
 * the upper triangle in tiles of DENSE_TILE x DENSE_TILE, n padded to
 * nt = tiles tiles a side: tile (I, J), I <= J, is the square of rows
 * [I T, I T + T) and columns [J T, J T + T), row-major, and the tiles are
 * stored by block row, I then J. A diagonal tile is stored whole (both of
 * its triangles); the padding (a row or a column >= n) is 0. About n^2 / 2
 * reals: a pass reads half the bytes. Element (i, j) of the stored
 * triangle, i's block <= j's: */
static size_t tri_at(const size_t i, const size_t j, const size_t nt)
{
    const size_t I = i / DENSE_TILE, J = j / DENSE_TILE;
    const size_t tile = I * nt - I * (I + 1) / 2 + J;
    return (tile * DENSE_TILE + i % DENSE_TILE) * DENSE_TILE + j % DENSE_TILE;
}

/* Where element (i, j) of H is stored, in either layout (the triangle's
 * lower part read from its mirror). */
static size_t h_at(const size_t i, const size_t j, const size_t n, const size_t tiles)
{
    if (!tiles)
        return i * n + j;
    return i / DENSE_TILE <= j / DENSE_TILE ? tri_at(i, j, tiles) : tri_at(j, i, tiles);
}

/* H = identity, the starting inverse Hessian, in either layout (the grid
 * covers n, or the padded side of the triangle's). */
__kernel void set_identity(__global hreal *h, const uint n, const uint tiles)
{
    const size_t i = get_global_id(1);
    const size_t j = get_global_id(0);
    if (!tiles) {
        if (i < n && j < n)
            h[i * n + j] = (i == j) ? (hreal)1 : (hreal)0;
        return;
    }
    const size_t side = (size_t)tiles * DENSE_TILE;
    if (i < side && j < side && i / DENSE_TILE <= j / DENSE_TILE)
        h[tri_at(i, j, tiles)] = (i == j && i < n) ? (hreal)1 : (hreal)0;
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

/* v = H g, one row per work-item, in either layout (tiles: see h_at). */
__kernel void hessian_apply(__global real *v, __global const hreal *h, __global const real *g,
                            const uint n, const uint tiles)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    real acc = 0;
    for (uint j = 0; j < n; j++)
        acc += (real)h[h_at(i, j, n, tiles)] * g[j];
    v[i] = acc;
}

/* H += a (u s^T + s u^T) + b s s^T, as c s^T + s c^T, in either layout
 * (the triangle's stored elements only). */
__kernel void hessian_update(__global hreal *h, const real a, __global const real *u,
                             const real b, __global const real *s, const uint n,
                             const uint tiles)
{
    const size_t i = get_global_id(1), j = get_global_id(0);
    if (i >= n || j >= n || (tiles && i / DENSE_TILE > j / DENSE_TILE))
        return;
    const real ci = update_c(a, u[i], b, s[i]), cj = update_c(a, u[j], b, s[j]);
    __global hreal *hij = h + h_at(i, j, n, tiles);
    *hij = (hreal)((real)*hij + update_term(ci, s[i], cj, s[j]));
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
__kernel void hessian_fold_apply(__global hreal *h, __global const real *made,
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
        __global hreal *hji = h + j * n + i;
        real hv = (real)*hji;
        if (terms) {
            for (uint k = 0; k < terms; k++)
                hv = H_ROUND(hv + update_term(C[at[k] + j], S[at[k] + j], ci[k], si[k]));
            *hji = (hreal)hv;
        }
        acc += hv * g[j];
    }
    v[c * (size_t)n + i] = acc;
}

/* Row i's pass over the columns [from, n) in the reference order: the
 * pending terms, then sum += H_ij g_j, from the sum given. */
static real row_from(__global hreal *row, const size_t i, const uint terms, const size_t *at,
                     __global const real *C, __global const real *S, __global const real *g,
                     const size_t from, const size_t n, real sum)
{
    for (size_t j = from; j < n; j++) {
        real hv = (real)row[j];
        if (terms) {
            for (uint k = 0; k < terms; k++)
                hv = H_ROUND(hv + update_term(C[at[k] + i], S[at[k] + i], C[at[k] + j], S[at[k] + j]));
            row[j] = (hreal)hv;
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
__kernel void hessian_fold_apply_rows8(__global hreal *h, __global const real *made,
                                       __global const real *C, __global const real *S,
                                       const uint m, __global const real *g, __global real *v,
                                       const uint n)
{
    const size_t i0 = get_global_id(0) * 2;
    if (i0 >= n)
        return;
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(made, m, n, at);
    __global hreal *r0 = h + i0 * (size_t)n;
    if (i0 + 1 >= n) {
        v[i0] = row_from(r0, i0, terms, at, C, S, g, 0, n, 0);
        return;
    }
    __global hreal *r1 = r0 + n;
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
            real8 h0 = H_LOAD8(0, r0 + j), h1 = H_LOAD8(0, r1 + j);
            /* a loop of constant length, so that the compiler unrolls it
             * and keeps each term's scalars in registers */
            for (uint k = 0; k < DENSE_QMAX; k++)
                if (k < terms) {
                    const real8 s8 = vload8(0, S + at[k] + j), c8 = vload8(0, C + at[k] + j);
                    h0 = H_ROUND8(h0 + (c0[k] * s8 + s0[k] * c8));
                    h1 = H_ROUND8(h1 + (c1[k] * s8 + s1[k] * c8));
                }
            H_STORE8(h0, 0, r0 + j);
            H_STORE8(h1, 0, r1 + j);
            const real8 g8 = vload8(0, g + j);
            acc0 += h0 * g8;
            acc1 += h1 * g8;
        }
    } else {
        for (size_t j = 0; j < body; j += 8) {
            const real8 g8 = vload8(0, g + j);
            acc0 += H_LOAD8(0, r0 + j) * g8;
            acc1 += H_LOAD8(0, r1 + j) * g8;
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

/* The triangle layout's passes. Each folds the first m pending updates
 * into the stored triangle as it reads it (none when m is 0) and forms the
 * partial sums of v = H g from the values it writes: tile (I, J) gives
 * H_IJ g_J to v's block I and, off the diagonal, H_IJ^T g_I to block J.
 * There are no atomic additions of doubles in OpenCL C 1.2, so the partial
 * sums go to P, nt vectors of nt T reals, and sum_tri adds them: P[a],
 * block b holds, for a < b, tile (a, b)'s column sums, and for a >= b tile
 * (b, a)'s row sums (hessian_tri_tiles), or for a = b the whole block row's
 * row sums (hessian_tri_rows8, which leaves P[a], a > b, unused). Each
 * element takes the pending terms as every other pass does, so the
 * triangle holds the full layout's upper part to the bit. */

/* dst[r] = src[from + r] for the tile's T reals, 0 past n. */
static void load_block(real *dst, __global const real *src, const size_t from, const uint n)
{
    for (uint r = 0; r < DENSE_TILE; r++)
        dst[r] = from + r < n ? src[from + r] : (real)0;
}

/* One tile of the block-row pass: each row's products with g_J into
 * rows[r] (eight lanes), the column sums with g_I into col, and the
 * pending terms folded in first when fold (constant after inlining, so
 * the pass with nothing to fold is a plain read). A row's 64 elements stay
 * in registers while the terms go over them one by one, in order. */
static inline void tri_tile_rows8(__global hreal *tile, const int fold, const uint terms,
                                  real (*cI)[DENSE_TILE], real (*sI)[DENSE_TILE],
                                  real (*cJ)[DENSE_TILE], real (*sJ)[DENSE_TILE], const real *gI,
                                  const real *gJ, real8 *rows, real8 *col)
{
    for (uint r = 0; r < DENSE_TILE; r++) {
        __global hreal *row = tile + r * DENSE_TILE;
        real8 hv[DENSE_TILE / 8];
        for (uint q = 0; q < DENSE_TILE / 8; q++)
            hv[q] = H_LOAD8(q, row);
        if (fold) {
            for (uint k = 0; k < terms; k++) {
                const real ci = cI[k][r], si = sI[k][r];
                for (uint q = 0; q < DENSE_TILE / 8; q++)
                    hv[q] = H_ROUND8(hv[q] + (ci * vload8(q, sJ[k]) + si * vload8(q, cJ[k])));
            }
            for (uint q = 0; q < DENSE_TILE / 8; q++)
                H_STORE8(hv[q], q, row);
        }
        real8 part = 0;
        const real gi = gI[r];
        for (uint q = 0; q < DENSE_TILE / 8; q++) {
            part += hv[q] * vload8(q, gJ);
            col[q] += hv[q] * gi;
        }
        rows[r] += part;
    }
}

/* Block row I of the block-row pass: tiles (I, I) .. (I, nt - 1), which
 * lie one after another in memory, one stream read in order. Its rows'
 * sums stay in eight lanes across the block row; each tile's column sums
 * go to P when the tile is done. */
static inline void tri_block_row(__global hreal *h, const size_t I, const uint terms,
                                 const size_t *at, __global const real *C,
                                 __global const real *S, __global const real *g,
                                 __global real *P, const uint n, const uint nt)
{
    const size_t side = (size_t)nt * DENSE_TILE, i0 = I * DENSE_TILE;
    real gI[DENSE_TILE], gJ[DENSE_TILE];
    real cI[DENSE_QMAX][DENSE_TILE], sI[DENSE_QMAX][DENSE_TILE];
    real cJ[DENSE_QMAX][DENSE_TILE], sJ[DENSE_QMAX][DENSE_TILE];
    real8 rows[DENSE_TILE], col[DENSE_TILE / 8];
    load_block(gI, g, i0, n);
    for (uint k = 0; k < terms; k++) {
        load_block(cI[k], C + at[k], i0, n);
        load_block(sI[k], S + at[k], i0, n);
    }
    for (uint r = 0; r < DENSE_TILE; r++)
        rows[r] = 0;
    __global hreal *tile = h + tri_at(i0, i0, nt);
    for (size_t J = I; J < nt; J++, tile += DENSE_TILE * DENSE_TILE) {
        const size_t j0 = J * DENSE_TILE;
        load_block(gJ, g, j0, n);
        for (uint k = 0; k < terms; k++) {
            load_block(cJ[k], C + at[k], j0, n);
            load_block(sJ[k], S + at[k], j0, n);
        }
        for (uint q = 0; q < DENSE_TILE / 8; q++)
            col[q] = 0;
        if (terms)
            tri_tile_rows8(tile, 1, terms, cI, sI, cJ, sJ, gI, gJ, rows, col);
        else
            tri_tile_rows8(tile, 0, 0, cI, sI, cJ, sJ, gI, gJ, rows, col);
        if (J > I)
            for (uint q = 0; q < DENSE_TILE / 8; q++)
                vstore8(col[q], q, P + I * side + j0);
    }
    for (uint r = 0; r < DENSE_TILE; r++)
        P[I * side + i0 + r] = hsum8(rows[r]);
}

/* The triangle pass by block rows, for CPUs: work-item w (launched one to
 * a work-group, (nt + 1) / 2 of them) takes block rows w and nt - 1 - w,
 * nt + 1 tiles in all, so that every work-item has the same work
 * (pocl hands each thread a range of work-groups: one block row each left
 * the first thread three quarters of the triangle). */
__kernel void hessian_tri_rows8(__global hreal *h, __global const real *made,
                                __global const real *C, __global const real *S, const uint m,
                                __global const real *g, __global real *P, const uint n,
                                const uint nt)
{
    const size_t w = get_global_id(0);
    if (w >= (nt + 1) / 2)
        return;
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(made, m, n, at);
    tri_block_row(h, w, terms, at, C, S, g, P, n, nt);
    if (nt - 1 - w != w)
        tri_block_row(h, nt - 1 - w, terms, at, C, S, g, P, n, nt);
}

/* The triangle pass by tiles, for GPUs: work-group (J, I) of T work-items
 * takes tile (I, J) (groups with I > J return at once), work-item c its
 * column c, row by row: neighbours read neighbouring addresses. Column
 * sums stay in each work-item; the row sums go through local memory, a
 * strip of 16 rows at a time (scratch: 16 (T + 1) reals, padded against
 * bank conflicts), each summed in order by one work-item. rowdata holds
 * g_I and the pending c_I and s_I: (1 + 2 DENSE_QMAX) T reals. */
__kernel void hessian_tri_tiles(__global hreal *h, __global const real *made,
                                __global const real *C, __global const real *S, const uint m,
                                __global const real *g, __global real *P, const uint n,
                                const uint nt, __local real *scratch, __local real *rowdata)
{
    enum { T = DENSE_TILE, STRIP = 16, PITCH = DENSE_TILE + 1 };
    const size_t c = get_local_id(0), J = get_group_id(0), I = get_group_id(1);
    if (I > J)
        return;
    const size_t side = (size_t)nt * T, i0 = I * T, j = J * T + c;
    size_t at[DENSE_QMAX];
    const uint terms = pending_terms(made, m, n, at);
    __local real *gI = rowdata, *cI = rowdata + T, *sI = rowdata + (1 + DENSE_QMAX) * T;
    gI[c] = i0 + c < n ? g[i0 + c] : (real)0;
    real cj[DENSE_QMAX], sj[DENSE_QMAX];
    for (uint k = 0; k < terms; k++) {
        cI[k * T + c] = i0 + c < n ? C[at[k] + i0 + c] : (real)0;
        sI[k * T + c] = i0 + c < n ? S[at[k] + i0 + c] : (real)0;
        cj[k] = j < n ? C[at[k] + j] : (real)0;
        sj[k] = j < n ? S[at[k] + j] : (real)0;
    }
    const real gj = j < n ? g[j] : (real)0;
    barrier(CLK_LOCAL_MEM_FENCE);
    __global hreal *tile = h + tri_at(i0, J * T, nt);
    real col = 0;
    for (uint strip = 0; strip < T; strip += STRIP) {
        for (uint rr = 0; rr < STRIP; rr++) {
            const uint r = strip + rr;
            real hv = (real)tile[r * T + c];
            if (terms) {
                for (uint k = 0; k < terms; k++)
                    hv = H_ROUND(hv + update_term(cI[k * T + r], sI[k * T + r], cj[k], sj[k]));
                tile[r * T + c] = (hreal)hv;
            }
            col += hv * gI[r];
            scratch[rr * PITCH + c] = hv * gj;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (c < STRIP) {
            real sum = 0;
            for (uint k = 0; k < T; k++)
                sum += scratch[c * PITCH + k];
            P[J * side + i0 + strip + c] = sum;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (I < J)
        P[I * side + j] = col;
}

/* v[i] = the sum of P[a][i] over a = 0 .. nt - 1 (all, after
 * hessian_tri_tiles) or a = 0 .. i's block (after hessian_tri_rows8), in
 * order. */
__kernel void sum_tri(__global real *v, __global const real *P, const uint n, const uint nt,
                      const int all)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    const size_t side = (size_t)nt * DENSE_TILE, last = all ? nt - 1 : i / DENSE_TILE;
    real acc = 0;
    for (size_t a = 0; a <= last; a++)
        acc += P[a * side + i];
    v[i] = acc;
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
