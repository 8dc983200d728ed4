/* The dense inverse-Hessian operator (hop.h): H as n x n reals.
 *
 * An iteration is two launches: the fused pass, which applies the update
 * left pending by the previous step and forms v = H g in one read and one
 * write of H (by rows on CPUs; by columns, split into row chunks, on GPUs,
 * with a short pass summing the chunks), and dense_step (cl/hessian.cl),
 * one work-group that forms s, u, every inner product, the next update and
 * the new direction. The update's coefficients go from dense_step to the
 * next pass through the run's scalars, never through the host. */
#include "config.h"

#include "cl_sources.h"
#include "hop.h"

#include <stdlib.h>
#include <string.h>

enum { DENSE_A = SLOT_OPERATOR, DENSE_B, DENSE_PENDING };

struct clbfgs_hop {
    clbfgs_exec *e;
    size_t n;
    cl_kernel set_identity, set_update, apply, update, pass_cols, pass_rows, pass_rows8,
        pass_rows4, sum_chunks, step;
    cl_mem h, s, u, v, partial;
    int by_rows;   /* the fused pass by rows (CPUs): rows per work-item, 1, 2 (in eight lanes)
                    * or 4; 0 by columns */
    size_t chunks; /* row chunks of the column pass */
    size_t wg;     /* dense_step's work-group */
    int identity;  /* H was reset to the identity and not yet updated */
};

int clbfgs__dense_default_by_rows(const clbfgs_context *ctx, size_t n)
{
    /* A CPU runs a work-group's items one after another on a core: rows
     * keep each one's reads in order. A GPU runs them side by side: columns
     * make neighbours read neighbouring addresses. On a CPU two rows in
     * eight lanes (cl/hessian.cl) beat the passes in the reference order at
     * every n measured, 256 to 8192 (README, "The H pass"). */
    (void)n;
    if (ctx->info.type != CLBFGS_DEVICE_CPU)
        return 0;
    return 2;
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

static double dense_bytes(const clbfgs_context *ctx, size_t n_, size_t elem_, double *largest)
{
    double n = (double)n_, elem = (double)elem_;
    *largest = n * n * elem;
    /* H, s, u, v, and the column pass's partial sums */
    return n * n * elem + 3 * n * elem + (double)clbfgs__dense_default_chunks(ctx, n_) * n * elem;
}

static void dense_free(clbfgs_hop *hop)
{
    if (!hop)
        return;
    cl_kernel kernels[] = {hop->set_identity, hop->set_update, hop->apply,
                           hop->update,       hop->pass_cols,  hop->pass_rows,
                           hop->pass_rows8,   hop->pass_rows4, hop->sum_chunks,
                           hop->step};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i])
            clReleaseKernel(kernels[i]);
    cl_mem bufs[] = {hop->h, hop->s, hop->u, hop->v, hop->partial};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    free(hop);
}

clbfgs_status clbfgs__dense_set_pass(clbfgs_hop *hop, int by_rows, size_t chunks)
{
    if (by_rows != 0 && by_rows != 1 && by_rows != 2 && by_rows != 4)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the H pass takes 1, 2 or 4 rows per work-item, or 0 (by columns), not %d",
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
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "dense_set_update", &hop->set_update));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_apply", &hop->apply));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_update", &hop->update));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_update_apply", &hop->pass_cols));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_update_apply_rows", &hop->pass_rows));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_update_apply_rows8", &hop->pass_rows8));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "hessian_update_apply_rows4", &hop->pass_rows4));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "sum_chunks", &hop->sum_chunks));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "dense_step", &hop->step));
    CLBFGS_TRY(clbfgs__exec_group_size(e, hop->step, 256, &hop->wg));
    CLBFGS_TRY(clbfgs__exec_buffer(e, n * n, &hop->h, "H"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, n, &hop->s, "the step s"));
    CLBFGS_TRY(clbfgs__exec_buffer(e, n, &hop->u, "u = H y"));
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

/* The pending update's a, b and flag, set by a kernel: no sync. (A write
 * at an offset into the scalars would also do, but Oclgrind 21.10 takes
 * what such a write leaves for uninitialized memory.) */
static clbfgs_status write_update(clbfgs_hop *hop, int update, double a, double b)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    cl_kernel k = hop->set_update;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, e->scalars));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, 1, update ? a : 0));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, 2, update ? b : 0));
    CLBFGS_TRY(clbfgs__exec_arg_int(e, k, 3, update ? 1 : 0));
    CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, 1, "dense_set_update"));
cleanup:
    return status;
}

static clbfgs_status dense_reset(clbfgs_hop *hop, const double *h0)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    CLBFGS_TRY(write_update(hop, 0, 0, 0)); /* nothing pending */
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

/* The fused pass as the scalars say: the pending update (if any) of H with
 * u and s, then v = H g. */
static clbfgs_status pass(clbfgs_hop *hop, cl_mem u, cl_mem s, cl_mem v, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = hop->e;
    int phase = clbfgs__exec_phase(e, PHASE_HESSIAN);
    cl_uint n = (cl_uint)hop->n;
    cl_mem out = hop->chunks > 1 ? hop->partial : v;
    cl_kernel k = hop->by_rows == 4   ? hop->pass_rows4
                  : hop->by_rows == 2 ? hop->pass_rows8
                  : hop->by_rows      ? hop->pass_rows
                                      : hop->pass_cols;
    const char *name = hop->by_rows == 4   ? "hessian_update_apply_rows4"
                       : hop->by_rows == 2 ? "hessian_update_apply_rows8"
                       : hop->by_rows      ? "hessian_update_apply_rows"
                                           : "hessian_update_apply";
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, hop->h));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, e->scalars));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, u));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 3, s));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 4, g));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 5, out));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 6, n));
    if (hop->by_rows) {
        size_t items = (hop->n + (size_t)hop->by_rows - 1) / (size_t)hop->by_rows;
        CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, items, name));
        goto cleanup;
    }
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 7, (cl_uint)((hop->n + hop->chunks - 1) / hop->chunks)));
    CLBFGS_TRY(clbfgs__exec_launch_2d(e, k, hop->n, hop->chunks, name));
    if (hop->chunks > 1) {
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

/* dense_step over v (H g, or g itself at an identity start). */
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
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->s));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, hop->u));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, i++, a->xt));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, i++, step ? a->alpha : 0));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, i++, step ? a->old_f : 0));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, i++, a->norm));
    CLBFGS_TRY(clbfgs__exec_arg_int(e, k, i++, step));
    CLBFGS_TRY(clbfgs__exec_arg_int(e, k, i++, a->trial));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, i++, (cl_uint)hop->n));
    CLBFGS_TRY(clbfgs__exec_arg_local(e, k, i++, 7 * hop->wg));
    CLBFGS_TRY(clbfgs__exec_launch_groups(e, k, 1, hop->wg, "dense_step"));
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
    CLBFGS_TRY(pass(hop, hop->u, hop->s, hop->v, a->g));
    CLBFGS_TRY(end_step(hop, a, hop->v, 1));
cleanup:
    return status;
}

static int dense_skipped(const clbfgs_hop *hop, const double *scalars)
{
    (void)hop;
    return scalars[DENSE_PENDING] == 0;
}

static clbfgs_status dense_matrix(clbfgs_hop *hop, int commit, double *out)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    if (commit) {
        /* Fold the pending update in and mark it done: the pass with nothing
         * pending computes the same H g from the updated H, bit for bit. */
        double coef[3];
        CLBFGS_TRY(clbfgs__exec_read_reals(hop->e, hop->e->scalars, DENSE_A, coef, 3));
        if (coef[2] != 0) {
            CLBFGS_TRY(clbfgs__dense_update(hop, coef[0], hop->u, coef[1], hop->s));
            CLBFGS_TRY(write_update(hop, 0, 0, 0));
        }
    }
    CLBFGS_TRY(clbfgs__exec_read_reals(hop->e, hop->h, 0, out, hop->n * hop->n));
cleanup:
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

clbfgs_status clbfgs__dense_update_apply(clbfgs_hop *hop, int update, double a, cl_mem u, double b,
                                         cl_mem s, cl_mem v, cl_mem g)
{
    clbfgs_status status = write_update(hop, update, a, b);
    return status == CLBFGS_SUCCESS ? pass(hop, u, s, v, g) : status;
}
