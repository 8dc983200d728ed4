/* The dense inverse-Hessian operator (hop.h): H as n x n reals, or as its
 * upper triangle in tiles (half the bytes to read).
 *
 * An iteration is the pass, which forms v = H g in one read of H (full:
 * by rows on CPUs; by columns, split into row chunks, on GPUs, with a
 * short pass summing the chunks; triangle: by block rows on CPUs, a tile
 * a work-group on GPUs, then a short pass summing the tiles' partial
 * sums), and dense_step (cl/hessian.cl), one work-group that
 * forms s, u, every inner product, the next update and the new direction.
 * Updates stay pending, as their c and s, for up to q iterations
 * (the delay): while some are, dense_lowrank adds their share of H g to
 * the pass's product, and at one iteration in q the pass folds them all
 * into H as it reads it, one read and one write. The updates go from
 * dense_step to the passes through device memory, never through the host. */
#include "config.h"

#include "cl_sources.h"
#include "hop.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

enum { DENSE_PENDING = SLOT_OPERATOR }; /* cl/hessian.cl's */

struct clbfgs_hop {
    clbfgs_exec *e;
    size_t n;
    cl_kernel set_identity, set_pending, apply, update, fold_cols, fold_rows8, tri_rows, tri_tiles,
        lowrank, sum_chunks, sum_tri, step;
    cl_mem h, S, C, made, v, partial;
    int pass;         /* DENSE_PASS_* */
    size_t chunks;    /* row chunks of the column pass */
    size_t tiles;     /* the triangle layout's tiles a side, or 0: the full layout */
    size_t h_elem;    /* bytes of an element of H: the run's, or 4 (H in float) */
    size_t wg;        /* dense_step's work-group */
    size_t lowrank_wg;
    unsigned delay;   /* q: the most updates kept pending */
    unsigned pending; /* how many are (slots 0 .. pending - 1, oldest first) */
    int identity;     /* H was reset to the identity and not yet updated */
    double moved;     /* bytes the passes read and wrote since the reset */
};

/* CLBFGS_DENSE_TRIANGLE: 1 (the triangle, by the device's pass), 0 (the
 * full layout), or for the tests a pass over the triangle whatever the
 * device ("rows": DENSE_PASS_TRI_ROWS, "tiles": DENSE_PASS_TRI_TILES);
 * -1: not set (the default); -2: a value it refuses. */
static int triangle_from_env(void)
{
    const char *v = getenv("CLBFGS_DENSE_TRIANGLE");
    if (!v || !*v)
        return -1;
    if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)
        return *v - '0';
    if (strcmp(v, "rows") == 0)
        return DENSE_PASS_TRI_ROWS;
    if (strcmp(v, "tiles") == 0)
        return DENSE_PASS_TRI_TILES;
    return -2;
}

/* CLBFGS_DENSE_H_FLOAT: 1 (H in float in a double run), 0 or not set
 * (H in the run's precision), -2 (a value it refuses). */
static int h_float_from_env(void)
{
    const char *v = getenv("CLBFGS_DENSE_H_FLOAT");
    if (!v || !*v || strcmp(v, "0") == 0)
        return 0;
    return strcmp(v, "1") == 0 ? 1 : -2;
}

int clbfgs__dense_default_pass(const clbfgs_context *ctx, size_t n)
{
    /* A CPU runs a work-group's items one after another on a core: rows
     * keep each one's reads in order. A GPU runs them side by side: columns
     * make neighbours read neighbouring addresses. On a CPU two rows in
     * eight lanes (cl/hessian.cl) beat the passes in the reference order at
     * every n measured, 256 to 8192 (README, "The H pass"). The triangle
     * reads half the bytes: on CPUs it is the default from
     * DENSE_TRIANGLE_FROM (README, "One triangle"); on GPUs nothing has
     * measured it yet, so the full layout stays the default there. */
    int cpu = ctx->info.type == CLBFGS_DEVICE_CPU;
    int triangle = triangle_from_env();
    if (triangle < 0)
        triangle = cpu && n >= DENSE_TRIANGLE_FROM;
    if (triangle > 1)
        return triangle;
    if (triangle)
        return cpu ? DENSE_PASS_TRI_ROWS : DENSE_PASS_TRI_TILES;
    return cpu ? DENSE_PASS_ROWS8 : DENSE_PASS_COLUMNS;
}

size_t clbfgs__dense_default_chunks(const clbfgs_context *ctx, size_t n)
{
    /* A GPU wants tens of thousands of work-items in flight; with n columns
     * alone it would idle below n = 64K, so split the rows (at least 16 each). */
    if (clbfgs__dense_default_pass(ctx, n) != DENSE_PASS_COLUMNS)
        return 1;
    size_t want = (65536 + n - 1) / n;
    size_t most = n / 16 ? n / 16 : 1;
    want = want < most ? want : most;
    return want > 64 ? 64 : want;
}

unsigned clbfgs__dense_default_delay(const clbfgs_context *ctx, size_t n)
{
    /* An iteration moves (8 + 8 / q) n^2 bytes in double (cl/hessian.cl)
     * and costs one launch more while updates are pending: worth it where
     * the pass, not the launches, is the iteration. A fold costs 4 q
     * operations an element of H: on the 2-core Xeon of the README's
     * "Delayed updates" q = 4 was the fastest at n = 2048 to 8192. On a GPU
     * the bytes would argue for q = 8, but nothing has measured it there,
     * and dense_lowrank runs in one work-group, which a GPU leaves mostly
     * idle: 1 until a GPU run says otherwise. */
    if (n < DENSE_DELAY_FROM || ctx->info.type != CLBFGS_DEVICE_CPU)
        return 1;
    return 4;
}

/* The triangle layout for n: its tiles a side, and its reals. */
static size_t tri_side(size_t n) { return (n + DENSE_TILE - 1) / DENSE_TILE; }
static double tri_reals(size_t nt) { return (double)nt * ((double)nt + 1) / 2 * DENSE_TILE * DENSE_TILE; }

/* cl/hessian.cl's tri_at: element (i, j), i's block <= j's, of the triangle. */
static size_t tri_at(size_t i, size_t j, size_t nt)
{
    size_t I = i / DENSE_TILE, J = j / DENSE_TILE, tile = I * nt - I * (I + 1) / 2 + J;
    return (tile * DENSE_TILE + i % DENSE_TILE) * DENSE_TILE + j % DENSE_TILE;
}

/* How many elements H holds in its layout. */
static double h_reals(const clbfgs_hop *hop)
{
    return hop->tiles ? tri_reals(hop->tiles) : (double)hop->n * (double)hop->n;
}

static int is_triangle(int pass) { return pass == DENSE_PASS_TRI_ROWS || pass == DENSE_PASS_TRI_TILES; }

static double dense_bytes(const clbfgs_context *ctx, size_t n_, size_t elem_, double *largest)
{
    double n = (double)n_, elem = (double)elem_;
    double h_elem = h_float_from_env() == 1 ? (double)sizeof(float) : elem;
    size_t chunks = clbfgs__dense_default_chunks(ctx, n_), nt = tri_side(n_);
    /* H, the pending updates' c and s, v, and the partial sums (the column
     * pass's chunks, or the triangle's nt vectors of nt T) */
    double h = n * n, partial = chunks > 1 ? (double)chunks * n : 0;
    if (is_triangle(clbfgs__dense_default_pass(ctx, n_))) {
        h = tri_reals(nt);
        partial = (double)nt * (double)nt * DENSE_TILE;
    }
    *largest = h * h_elem;
    return h * h_elem + (partial + (2.0 * DENSE_MAX_DELAY + 1) * n + DENSE_MAX_DELAY) * elem;
}

static void dense_free(clbfgs_hop *hop)
{
    if (!hop)
        return;
    cl_kernel kernels[] = {hop->set_identity, hop->set_pending, hop->apply,    hop->update,
                           hop->fold_cols,    hop->fold_rows8,  hop->tri_rows, hop->tri_tiles,
                           hop->lowrank,      hop->sum_chunks,  hop->sum_tri,  hop->step};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i])
            clReleaseKernel(kernels[i]);
    cl_mem bufs[] = {hop->h, hop->S, hop->C, hop->made, hop->v, hop->partial};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    free(hop);
}

clbfgs_status clbfgs__dense_set_pass(clbfgs_hop *hop, int pass, size_t chunks)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    if (pass != DENSE_PASS_COLUMNS && pass != DENSE_PASS_ROWS8 && pass != DENSE_PASS_TRI_ROWS &&
        pass != DENSE_PASS_TRI_TILES)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the H pass goes by columns (0), by two rows a work-item (2), by the "
                            "triangle's block rows (3) or by its tiles (4), not %d",
                            pass);
    if (pass != DENSE_PASS_COLUMNS || chunks < 1 || chunks > hop->n)
        chunks = 1;
    size_t nt = tri_side(hop->n), tiles = is_triangle(pass) ? nt : 0;
    cl_mem *bufs[] = {&hop->partial, &hop->h};
    for (size_t i = 0; i < 2; i++)
        if (*bufs[i]) {
            clReleaseMemObject(*bufs[i]);
            *bufs[i] = NULL;
        }
    hop->pass = pass;
    hop->chunks = chunks;
    hop->tiles = tiles;
    if (tiles) {
        CLBFGS_TRY(clbfgs__exec_buffer_of(hop->e, (size_t)tri_reals(nt), hop->h_elem, &hop->h,
                                          "H's upper triangle"));
        CLBFGS_TRY(clbfgs__exec_buffer(hop->e, nt * nt * DENSE_TILE, &hop->partial,
                                       "the tiles' partial sums of H g"));
    } else {
        CLBFGS_TRY(clbfgs__exec_buffer_of(hop->e, hop->n * hop->n, hop->h_elem, &hop->h, "H"));
        if (chunks > 1)
            CLBFGS_TRY(clbfgs__exec_buffer(hop->e, chunks * hop->n, &hop->partial,
                                           "the partial sums of H g"));
    }
    /* nothing launched here: H holds nothing until a reset (or the tests'
     * write_h), and create launches nothing, so a run refused after it
     * leaves no work in flight (pocl compiles a kernel at its first launch,
     * on a thread of its own, which a process exiting under it crashes) */
    hop->pending = 0;
    hop->moved = 0;
    hop->identity = 0;
cleanup:
    return status;
}

/* CLBFGS_DENSE_DELAY=q overrides the default delay (the tests run whole
 * suites at each); anything but 1 .. DENSE_MAX_DELAY is refused. */
static clbfgs_status delay_from_env(clbfgs_hop *hop)
{
    const char *v = getenv("CLBFGS_DENSE_DELAY");
    if (!v || !*v)
        return CLBFGS_SUCCESS;
    char *end = NULL;
    unsigned long q = strtoul(v, &end, 10);
    if (*end || q < 1 || q > DENSE_MAX_DELAY)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "CLBFGS_DENSE_DELAY is \"%s\": the H updates' delay is 1 to %d", v,
                            DENSE_MAX_DELAY);
    hop->delay = (unsigned)q;
    return CLBFGS_SUCCESS;
}

/* A setting in the environment refused: its name, its value, what it takes. */
static clbfgs_status env_refused(const char *var, const char *takes)
{
    return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s is \"%s\": %s", var, getenv(var), takes);
}

static clbfgs_status dense_create(clbfgs_hop **out, clbfgs_exec *e, size_t n)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_context *ctx = e->ctx;
    char *source = NULL;
    clbfgs_hop *hop = calloc(1, sizeof *hop);
    if (!hop)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the dense H operator");
    hop->e = e;
    hop->n = n;
    hop->delay = clbfgs__dense_default_delay(ctx, n);
    CLBFGS_TRY(delay_from_env(hop));
    if (h_float_from_env() == -2) {
        status = env_refused("CLBFGS_DENSE_H_FLOAT",
                             "1 keeps H in float in a double run, 0 in the run's precision");
        goto cleanup;
    }
    /* H in float only changes a double run: in a float one it is already */
    int h_float = h_float_from_env() == 1 && e->precision == CLBFGS_PRECISION_DOUBLE;
    hop->h_elem = h_float ? sizeof(float) : e->elem;
    if (triangle_from_env() == -2) {
        status = env_refused("CLBFGS_DENSE_TRIANGLE", "1 stores H's upper triangle, 0 all of H "
                                                      "(rows and tiles choose the triangle's pass)");
        goto cleanup;
    }
    const char *parts[] = {clbfgs__cl_norms, clbfgs__cl_iteration, clbfgs__cl_hessian};
    source = clbfgs__exec_source(parts, 3);
    if (!source) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the dense H operator's source");
        goto cleanup;
    }
    cl_program program;
    CLBFGS_TRY(clbfgs__program_get(ctx, "cl/hessian.cl", source,
                                   h_float ? "-DDENSE_H_FLOAT=1" : NULL, e->precision, &program,
                                   NULL));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "set_identity", &hop->set_identity));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "dense_set_pending", &hop->set_pending));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_apply", &hop->apply));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_update", &hop->update));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_fold_apply", &hop->fold_cols));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_fold_apply_rows8", &hop->fold_rows8));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "dense_lowrank", &hop->lowrank));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_tri_rows8", &hop->tri_rows));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_tri_tiles", &hop->tri_tiles));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "sum_chunks", &hop->sum_chunks));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "sum_tri", &hop->sum_tri));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "dense_step", &hop->step));
    CLBFGS_TRY(clbfgs__exec_group_size(e, hop->step, 256, &hop->wg));
    CLBFGS_TRY(clbfgs__exec_group_size(e, hop->lowrank, 128, &hop->lowrank_wg));
    CLBFGS_TRY(clbfgs__exec_buffer(e, DENSE_MAX_DELAY * n, &hop->S, "the pending steps s"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, DENSE_MAX_DELAY * n, &hop->C,
                                   "the pending c = a u + (b / 2) s"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, DENSE_MAX_DELAY, &hop->made,
                                   "which pending updates were made"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, n, &hop->v, "v = H g"));
    CLBFGS_TRY(clbfgs__dense_set_pass(hop, clbfgs__dense_default_pass(ctx, n),
                                      clbfgs__dense_default_chunks(ctx, n)));
    *out = hop;
    hop = NULL;
cleanup:
    free(source);
    dense_free(hop);
    return status;
}

/* Slot k as the host gives it (the tests), set by a kernel: no sync. */
clbfgs_status clbfgs__dense_set_pending(clbfgs_hop *hop, unsigned slot, double a, cl_mem u, double b,
                                        cl_mem s, int made)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    cl_kernel k = hop->set_pending;
    cl_uint i = 0;
    if (slot >= DENSE_MAX_DELAY)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "no pending slot %u", slot);
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->made));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->C));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->S));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, i++, slot));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, i++, a));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, u));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, i++, b));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, s));
    CLBFGS_TRY(clbfgs__exec_arg_int(e, k, i++, made ? 1 : 0));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, i++, (cl_uint)hop->n));
    CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, hop->n, "dense_set_pending"));
    if (slot >= hop->pending) /* what the operator's matrix then folds on the host */
        hop->pending = slot + 1;
cleanup:
    return status;
}

/* H from an n x n matrix, in one transfer (the triangle packed on the
 * host first, its padding 0). */
clbfgs_status clbfgs__dense_write_h(clbfgs_hop *hop, const double *full)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    size_t n = hop->n, nt = hop->tiles;
    if (!nt)
        return clbfgs__exec_write_of(hop->e, hop->h, hop->h_elem, 0, full, n * n);
    size_t count = (size_t)tri_reals(nt);
    double *packed = calloc(count, sizeof *packed);
    if (!packed)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "H's triangle on the host (n = %zu)", n);
    /* every stored element from the upper half, the diagonal tiles' lower
     * parts too: a full matrix symmetric to a few ulps (hess_inv0) is
     * stored exactly symmetric */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i / DENSE_TILE * DENSE_TILE; j < n; j++)
            packed[tri_at(i, j, nt)] = i <= j ? full[i * n + j] : full[j * n + i];
    CLBFGS_TRY(clbfgs__exec_write_of(hop->e, hop->h, hop->h_elem, 0, packed, count));
cleanup:
    free(packed);
    return status;
}

/* H as an n x n matrix, in one transfer (the triangle mirrored). */
clbfgs_status clbfgs__dense_read_h(clbfgs_hop *hop, double *full)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    size_t n = hop->n, nt = hop->tiles;
    if (!nt)
        return clbfgs__exec_read_of(hop->e, hop->h, hop->h_elem, 0, full, n * n);
    size_t count = (size_t)tri_reals(nt);
    double *packed = malloc(count * sizeof *packed);
    if (!packed)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "H's triangle on the host (n = %zu)", n);
    CLBFGS_TRY(clbfgs__exec_read_of(hop->e, hop->h, hop->h_elem, 0, packed, count));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            full[i * n + j] = i / DENSE_TILE <= j / DENSE_TILE ? packed[tri_at(i, j, nt)]
                                                               : packed[tri_at(j, i, nt)];
cleanup:
    free(packed);
    return status;
}

static clbfgs_status dense_reset(clbfgs_hop *hop, const double *h0)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    hop->pending = 0; /* nothing pending */
    hop->moved = 0;
    hop->identity = h0 == NULL;
    if (h0) {
        /* H in float in a double run: hess_inv0 must fit float too */
        for (size_t i = 0; hop->h_elem < e->elem && i < hop->n * hop->n; i++)
            if (!clbfgs__fits_float(h0[i])) {
                status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                      "hess_inv0[%zu][%zu] = %g overflows float (largest %g), "
                                      "and CLBFGS_DENSE_H_FLOAT=1 keeps H in float; unset it "
                                      "or rescale the problem",
                                      i / hop->n, i % hop->n, h0[i], (double)FLT_MAX);
                goto cleanup;
            }
        CLBFGS_TRY(clbfgs__dense_write_h(hop, h0));
    } else {
        size_t side = hop->tiles ? hop->tiles * DENSE_TILE : (hop->n + 15) / 16 * 16;
        size_t global[2] = {side, side};
        CLBFGS_TRY(clbfgs__exec_arg_mem(e, hop->set_identity, 0, hop->h));
        CLBFGS_TRY(clbfgs__exec_arg_uint(e, hop->set_identity, 1, (cl_uint)hop->n));
        CLBFGS_TRY(clbfgs__exec_arg_uint(e, hop->set_identity, 2, (cl_uint)hop->tiles));
        CLBFGS_TRY(clbfgs__exec_launch(e, hop->set_identity, 2, global, NULL, "set_identity"));
    }
cleanup:
    clbfgs__exec_phase(e, phase);
    return status;
}

/* The triangle's pass (m as clbfgs__dense_fold's), then sum_tri. */
static clbfgs_status fold_triangle(clbfgs_hop *hop, unsigned m, cl_mem v, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    size_t nt = hop->tiles;
    int rows = hop->pass == DENSE_PASS_TRI_ROWS;
    cl_kernel k = rows ? hop->tri_rows : hop->tri_tiles;
    const char *name = rows ? "hessian_tri_rows8" : "hessian_tri_tiles";
    /* beside H (clbfgs__dense_fold counts it): each update's c and s and
     * g; the partial sums written, then read by sum_tri, which writes v:
     * by block rows nt (nt + 1) / 2 vectors of T, one a tile; by tiles two
     * a tile off the diagonal, and sum_tri reads all nt^2 */
    double nn = (double)hop->n, elem = (double)e->elem, t = (double)nt;
    double written = rows ? t * (t + 1) / 2 : t * t, read = rows ? written : t * t;
    hop->moved += ((2.0 * m + 2) * nn + (written + read) * DENSE_TILE) * elem;
    cl_uint i = 0;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->h));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->made));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->C));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->S));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, i++, m));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, g));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->partial));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, i++, (cl_uint)hop->n));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, i++, (cl_uint)nt));
    if (rows) {
        CLBFGS_TRY(clbfgs__exec_launch_groups(e, k, (nt + 1) / 2, 1, name));
    } else {
        size_t global[2] = {nt * DENSE_TILE, nt}, local[2] = {DENSE_TILE, 1};
        CLBFGS_TRY(clbfgs__exec_arg_local(e, k, i++, 16 * (DENSE_TILE + 1)));
        CLBFGS_TRY(clbfgs__exec_arg_local(e, k, i++, (1 + 2 * DENSE_MAX_DELAY) * DENSE_TILE));
        CLBFGS_TRY(clbfgs__exec_launch(e, k, 2, global, local, name));
    }
    k = hop->sum_tri;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, v));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, hop->partial));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 2, (cl_uint)hop->n));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 3, (cl_uint)nt));
    CLBFGS_TRY(clbfgs__exec_arg_int(e, k, 4, !rows));
    CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, hop->n, "sum_tri"));
cleanup:
    return status;
}

clbfgs_status clbfgs__dense_fold(clbfgs_hop *hop, unsigned m, cl_mem v, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    cl_uint n = (cl_uint)hop->n;
    double nn = (double)hop->n, elem = (double)e->elem;
    cl_mem out = hop->chunks > 1 ? hop->partial : v;
    int by_rows = hop->pass == DENSE_PASS_ROWS8;
    cl_kernel k = by_rows ? hop->fold_rows8 : hop->fold_cols;
    const char *name = by_rows ? "hessian_fold_apply_rows8" : "hessian_fold_apply";
    /* H read, in either layout (and written back when something folds: the
     * host does not wait to know whether the updates were made or skipped,
     * and counts them alike) */
    hop->moved += (m ? 2 : 1) * h_reals(hop) * (double)hop->h_elem;
    if (hop->tiles) {
        CLBFGS_TRY(fold_triangle(hop, m, v, g));
        goto cleanup;
    }
    /* each update's c and s, g, and v or the chunks' sums */
    hop->moved += (2.0 * m + 1 + (double)hop->chunks) * nn * elem;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, hop->h));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, hop->made));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, hop->C));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 3, hop->S));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 4, m));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 5, g));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 6, out));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 7, n));
    if (by_rows) {
        CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, (hop->n + 1) / 2, name));
        goto cleanup;
    }
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 8, (cl_uint)((hop->n + hop->chunks - 1) / hop->chunks)));
    CLBFGS_TRY(clbfgs__exec_launch_2d(e, k, hop->n, hop->chunks, name));
    if (hop->chunks > 1) {
        hop->moved += ((double)hop->chunks + 1) * nn * elem; /* read the chunks, write v */
        k = hop->sum_chunks;
        CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, v));
        CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, hop->partial));
        CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 2, n));
        CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 3, (cl_uint)hop->chunks));
        CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, hop->n, "sum_chunks"));
    }
cleanup:
    clbfgs__exec_phase(e, phase);
    return status;
}

clbfgs_status clbfgs__dense_lowrank(clbfgs_hop *hop, unsigned m, cl_mem v, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    cl_kernel k = hop->lowrank;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    /* c and s twice (the inner products, then the sum), g, v read and written */
    hop->moved += (4.0 * m + 3) * (double)hop->n * (double)e->elem;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, v));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, hop->made));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, hop->C));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 3, hop->S));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 4, m));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 5, g));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 6, (cl_uint)hop->n));
    CLBFGS_TRY(clbfgs__exec_arg_local(e, k, 7, 2 * DENSE_MAX_DELAY * hop->lowrank_wg));
    CLBFGS_TRY(clbfgs__exec_launch_groups(e, k, 1, hop->lowrank_wg, "dense_lowrank"));
cleanup:
    clbfgs__exec_phase(e, phase);
    return status;
}

/* dense_step over v (H g, or g itself at an identity start); a step's
 * update goes to the next free slot. */
static clbfgs_status end_step(clbfgs_hop *hop, const clbfgs_hop_args *a, cl_mem v, int step)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    cl_kernel k = hop->step;
    cl_uint i = 0;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, e->scalars));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, v));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, a->p));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, a->g));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, step ? a->g_old : a->g));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, a->x));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->S));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->C));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->made));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, i++, hop->pending));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, a->xt));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, i++, step ? a->alpha : 0));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, i++, step ? a->old_f : 0));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, i++, a->norm));
    CLBFGS_TRY(clbfgs__exec_arg_int(e, k, i++, step));
    CLBFGS_TRY(clbfgs__exec_arg_int(e, k, i++, a->trial));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, i++, (cl_uint)hop->n));
    CLBFGS_TRY(clbfgs__exec_arg_local(e, k, i++, 7 * hop->wg));
    CLBFGS_TRY(clbfgs__exec_launch_groups(e, k, 1, hop->wg, "dense_step"));
    if (step)
        hop->pending++;
cleanup:
    clbfgs__exec_phase(e, phase);
    return status;
}

static clbfgs_status dense_start(clbfgs_hop *hop, const clbfgs_hop_args *a)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    if (!hop->identity) /* v = H0 g: the reference product, nothing to update */
        CLBFGS_TRY(clbfgs__dense_apply(hop, hop->v, a->g));
    CLBFGS_TRY(end_step(hop, a, hop->identity ? a->g : hop->v, 0));
cleanup:
    return status;
}

static clbfgs_status dense_step(clbfgs_hop *hop, const clbfgs_hop_args *a)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    if (hop->pending >= hop->delay) { /* fold them all in as H is read */
        CLBFGS_TRY(clbfgs__dense_fold(hop, hop->pending, hop->v, a->g));
        hop->pending = 0;
    } else { /* read H as it is, then add the pending updates' share */
        CLBFGS_TRY(clbfgs__dense_fold(hop, 0, hop->v, a->g));
        if (hop->pending)
            CLBFGS_TRY(clbfgs__dense_lowrank(hop, hop->pending, hop->v, a->g));
    }
    CLBFGS_TRY(end_step(hop, a, hop->v, 1));
cleanup:
    return status;
}

static int dense_skipped(const clbfgs_hop *hop, const double *scalars)
{
    (void)hop;
    return scalars[DENSE_PENDING] == 0;
}

static double dense_moved(const clbfgs_hop *hop) { return hop->moved; }

/* One pending term added to an element of H: the kernels' expression,
 * operation for operation, in the run's precision (the library is built
 * with -ffp-contract=off, so these are the device's roundings too), and
 * with H in float in a double run rounded to float after the term. */
enum { FOLD_DOUBLE, FOLD_SINGLE, FOLD_H_FLOAT };
static double fold_one(double h, double ci, double si, double cj, double sj, int mode)
{
    if (mode == FOLD_SINGLE)
        return (double)((float)h + ((float)ci * (float)sj + (float)si * (float)cj));
    double sum = h + (ci * sj + si * cj);
    return mode == FOLD_H_FLOAT ? (double)(float)sum : sum;
}

static clbfgs_status dense_matrix(clbfgs_hop *hop, int commit, double *out)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    size_t n = hop->n;
    double *vecs = NULL, made[DENSE_MAX_DELAY];
    /* The stored H with what is pending added on the host, in the order the
     * passes would fold it: all of it (commit), or all but the last step's
     * update, which SciPy had not made when its run stopped. The device's
     * state is left as it is, so a result taken mid-run changes nothing. */
    unsigned count = commit || !hop->pending ? hop->pending : hop->pending - 1;
    CLBFGS_TRY(clbfgs__dense_read_h(hop, out));
    if (!count)
        goto cleanup;
    vecs = malloc(2 * (size_t)count * n * sizeof *vecs);
    if (!vecs) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the pending H updates (n = %zu)", n);
        goto cleanup;
    }
    CLBFGS_TRY(clbfgs__exec_read_reals(hop->e, hop->made, 0, made, count));
    CLBFGS_TRY(clbfgs__exec_read_reals(hop->e, hop->C, 0, vecs, count * n));
    CLBFGS_TRY(clbfgs__exec_read_reals(hop->e, hop->S, 0, vecs + count * n, count * n));
    int mode = hop->e->elem == sizeof(float)  ? FOLD_SINGLE
               : hop->h_elem == sizeof(float) ? FOLD_H_FLOAT
                                              : FOLD_DOUBLE;
    for (unsigned k = 0; k < count; k++) {
        if (made[k] == 0)
            continue;
        const double *c = vecs + k * n, *s = vecs + (count + k) * n;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                out[i * n + j] = fold_one(out[i * n + j], c[i], s[i], c[j], s[j], mode);
    }
cleanup:
    free(vecs);
    return status;
}

const clbfgs_hop_ops clbfgs__hop_dense = {
    .name = "dense",
    .bytes = dense_bytes,
    .create = dense_create,
    .reset = dense_reset,
    .start = dense_start,
    .step = dense_step,
    .skipped = dense_skipped,
    .moved = dense_moved,
    .matrix = dense_matrix,
    .free = dense_free,
};

/* ---- the parts, for the tests ---- */

clbfgs_status clbfgs__dense_apply(clbfgs_hop *hop, cl_mem v, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    cl_kernel k = hop->apply;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    hop->moved += h_reals(hop) * (double)hop->h_elem + 2.0 * (double)hop->n * (double)e->elem;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, v));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, hop->h));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, g));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 3, (cl_uint)hop->n));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 4, (cl_uint)hop->tiles));
    CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, hop->n, "hessian_apply"));
cleanup:
    clbfgs__exec_phase(e, phase);
    return status;
}

clbfgs_status clbfgs__dense_update(clbfgs_hop *hop, double a, cl_mem u, double b, cl_mem s)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    cl_kernel k = hop->update;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    size_t side = (hop->n + 15) / 16 * 16, global[2] = {side, side};
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, hop->h));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, 1, a));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, u));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, 3, b));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 4, s));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 5, (cl_uint)hop->n));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 6, (cl_uint)hop->tiles));
    CLBFGS_TRY(clbfgs__exec_launch(e, k, 2, global, NULL, "hessian_update"));
cleanup:
    clbfgs__exec_phase(e, phase);
    return status;
}
