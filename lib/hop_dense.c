/* The dense inverse-Hessian operator (hop.h): H as n x n reals.
 *
 * An iteration is the pass, which forms v = H g in one read of H (by rows
 * on CPUs; by columns, split into row chunks, on GPUs, with a short pass
 * summing the chunks), and dense_step (cl/hessian.cl), one work-group that
 * forms s, u, every inner product, the next update and the new direction.
 * Updates stay pending, as their c and s, for up to q iterations
 * (the delay): while some are, dense_lowrank adds their share of H g to
 * the pass's product, and at one iteration in q the pass folds them all
 * into H as it reads it, one read and one write. The updates go from
 * dense_step to the passes through device memory, never through the host. */
#include "config.h"

#include "cl_sources.h"
#include "hop.h"

#include <stdlib.h>
#include <string.h>

enum { DENSE_PENDING = SLOT_OPERATOR }; /* cl/hessian.cl's */

struct clbfgs_hop {
    clbfgs_exec *e;
    size_t n;
    cl_kernel set_identity, set_pending, apply, update, fold_cols, fold_rows8, lowrank, sum_chunks,
        step;
    cl_mem h, S, C, made, v, partial;
    int by_rows;      /* the pass by rows, two in eight lanes (CPUs), or 0 by columns */
    size_t chunks;    /* row chunks of the column pass */
    size_t wg;        /* dense_step's work-group */
    size_t lowrank_wg;
    unsigned delay;   /* q: the most updates kept pending */
    unsigned pending; /* how many are (slots 0 .. pending - 1, oldest first) */
    int identity;     /* H was reset to the identity and not yet updated */
    double moved;     /* bytes the passes read and wrote since the reset */
};

int clbfgs__dense_default_by_rows(const clbfgs_context *ctx, size_t n)
{
    /* A CPU runs a work-group's items one after another on a core: rows
     * keep each one's reads in order. A GPU runs them side by side: columns
     * make neighbours read neighbouring addresses. On a CPU two rows in
     * eight lanes (cl/hessian.cl) beat the passes in the reference order at
     * every n measured, 256 to 8192 (README, "The H pass"). */
    (void)n;
    return ctx->info.type == CLBFGS_DEVICE_CPU ? 2 : 0;
}

size_t clbfgs__dense_default_chunks(const clbfgs_context *ctx, size_t n)
{
    /* A GPU wants tens of thousands of work-items in flight; with n columns
     * alone it would idle below n = 64K, so split the rows (at least 16 each). */
    if (clbfgs__dense_default_by_rows(ctx, n))
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

static double dense_bytes(const clbfgs_context *ctx, size_t n_, size_t elem_, double *largest)
{
    double n = (double)n_, elem = (double)elem_;
    *largest = n * n * elem;
    /* H, the pending updates' c and s, v, and the column pass's partial sums */
    size_t chunks = clbfgs__dense_default_chunks(ctx, n_);
    return n * n * elem + (2.0 * DENSE_MAX_DELAY + 1) * n * elem + DENSE_MAX_DELAY * elem +
           (chunks > 1 ? (double)chunks * n * elem : 0);
}

static void dense_free(clbfgs_hop *hop)
{
    if (!hop)
        return;
    cl_kernel kernels[] = {hop->set_identity, hop->set_pending, hop->apply,
                           hop->update,       hop->fold_cols,  hop->fold_rows8,
                           hop->lowrank,      hop->sum_chunks, hop->step};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i])
            clReleaseKernel(kernels[i]);
    cl_mem bufs[] = {hop->h, hop->S, hop->C, hop->made, hop->v, hop->partial};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    free(hop);
}

clbfgs_status clbfgs__dense_set_pass(clbfgs_hop *hop, int by_rows, size_t chunks)
{
    if (by_rows != 0 && by_rows != 2)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the H pass goes by two rows a work-item (2) or by columns (0), not %d",
                            by_rows);
    if (by_rows || chunks < 1 || chunks > hop->n)
        chunks = 1;
    if (hop->partial) {
        clReleaseMemObject(hop->partial);
        hop->partial = NULL;
    }
    hop->by_rows = by_rows;
    hop->chunks = chunks;
    if (chunks > 1)
        return clbfgs__exec_buffer(hop->e, chunks * hop->n, &hop->partial,
                                   "the partial sums of H g");
    return CLBFGS_SUCCESS;
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
    const char *parts[] = {clbfgs__cl_norms, clbfgs__cl_iteration, clbfgs__cl_hessian};
    source = clbfgs__exec_source(parts, 3);
    if (!source) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the dense H operator's source");
        goto cleanup;
    }
    cl_program program;
    CLBFGS_TRY(
        clbfgs__program_get(ctx, "cl/hessian.cl", source, NULL, e->precision, &program, NULL));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "set_identity", &hop->set_identity));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "dense_set_pending", &hop->set_pending));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_apply", &hop->apply));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_update", &hop->update));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_fold_apply", &hop->fold_cols));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_fold_apply_rows8", &hop->fold_rows8));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "dense_lowrank", &hop->lowrank));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "sum_chunks", &hop->sum_chunks));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "dense_step", &hop->step));
    CLBFGS_TRY(clbfgs__exec_group_size(e, hop->step, 256, &hop->wg));
    CLBFGS_TRY(clbfgs__exec_group_size(e, hop->lowrank, 128, &hop->lowrank_wg));
    CLBFGS_TRY(clbfgs__exec_buffer(e, n * n, &hop->h, "H"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, DENSE_MAX_DELAY * n, &hop->S, "the pending steps s"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, DENSE_MAX_DELAY * n, &hop->C,
                                   "the pending c = a u + (b / 2) s"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, DENSE_MAX_DELAY, &hop->made,
                                   "which pending updates were made"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, n, &hop->v, "v = H g"));
    CLBFGS_TRY(clbfgs__dense_set_pass(hop, clbfgs__dense_default_by_rows(ctx, n),
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
cleanup:
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
    if (h0) { /* one transfer, not a round trip per row */
        CLBFGS_TRY(clbfgs__exec_write_reals(e, hop->h, 0, h0, hop->n * hop->n));
    } else {
        size_t side = (hop->n + 15) / 16 * 16, global[2] = {side, side};
        CLBFGS_TRY(clbfgs__exec_arg_mem(e, hop->set_identity, 0, hop->h));
        CLBFGS_TRY(clbfgs__exec_arg_uint(e, hop->set_identity, 1, (cl_uint)hop->n));
        CLBFGS_TRY(clbfgs__exec_launch(e, hop->set_identity, 2, global, NULL, "set_identity"));
    }
cleanup:
    clbfgs__exec_phase(e, phase);
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
    cl_kernel k = hop->by_rows ? hop->fold_rows8 : hop->fold_cols;
    const char *name = hop->by_rows ? "hessian_fold_apply_rows8" : "hessian_fold_apply";
    /* H read (and written back when something folds: the host does not
     * wait to know whether the updates were made or skipped, and counts
     * them alike), each update's c and s, g, and v or the chunks' sums */
    hop->moved += ((m ? 2 : 1) * nn * nn + (2.0 * m + 1 + (double)hop->chunks) * nn) * elem;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, hop->h));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, hop->made));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, hop->C));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 3, hop->S));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 4, m));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 5, g));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 6, out));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 7, n));
    if (hop->by_rows) {
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
 * with -ffp-contract=off, so these are the device's roundings too). */
static double fold_one(double h, double ci, double si, double cj, double sj, int single)
{
    if (single)
        return (double)((float)h + ((float)ci * (float)sj + (float)si * (float)cj));
    return h + (ci * sj + si * cj);
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
    CLBFGS_TRY(clbfgs__exec_read_reals(hop->e, hop->h, 0, out, n * n));
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
    int single = hop->e->elem == sizeof(float);
    for (unsigned k = 0; k < count; k++) {
        if (made[k] == 0)
            continue;
        const double *c = vecs + k * n, *s = vecs + (count + k) * n;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                out[i * n + j] = fold_one(out[i * n + j], c[i], s[i], c[j], s[j], single);
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

cl_mem clbfgs__dense_h(const clbfgs_hop *hop) { return hop->h; }

clbfgs_status clbfgs__dense_apply(clbfgs_hop *hop, cl_mem v, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    cl_kernel k = hop->apply;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    hop->moved += ((double)hop->n * (double)hop->n + 2.0 * (double)hop->n) * (double)e->elem;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, v));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, hop->h));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, g));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 3, (cl_uint)hop->n));
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
    CLBFGS_TRY(clbfgs__exec_launch(e, k, 2, global, NULL, "hessian_update"));
cleanup:
    clbfgs__exec_phase(e, phase);
    return status;
}
