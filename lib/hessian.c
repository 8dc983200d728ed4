/* The inverse-Hessian operator: dense today, behind an interface (identity,
 * apply, update, and the fused update-and-apply the iteration uses) that
 * L-BFGS and batched storage can implement later. The pair apply/update is
 * the reference the fused pass is tested against. */
#include "config.h"

#include "run.h"

clbfgs_status clbfgs__hessian_identity(clbfgs_run *run)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int phase = run->phase;
    run->phase = PHASE_HESSIAN;
    cl_uint n = (cl_uint)run->n;
    size_t global[2] = {(run->n + 15) / 16 * 16, (run->n + 15) / 16 * 16};
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(run->set_identity, 0, sizeof(cl_mem), &run->h), "set_identity");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(run->set_identity, 1, sizeof n, &n), "set_identity");
    CLBFGS_CL_TRY(run->ctx,
                  clEnqueueNDRangeKernel(run->ctx->queue, run->set_identity, 2, NULL, global, NULL,
                                         0, NULL, clbfgs__event(run)),
                  "launching set_identity (n = %zu)", run->n);
cleanup:
    run->phase = phase;
    return status;
}

clbfgs_status clbfgs__hessian_apply(clbfgs_run *run, cl_mem v, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int phase = run->phase;
    run->phase = PHASE_HESSIAN;
    cl_uint n = (cl_uint)run->n;
    cl_kernel k = run->hessian_apply;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &v), "hessian_apply");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &run->h), "hessian_apply");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &g), "hessian_apply");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 3, sizeof n, &n), "hessian_apply");
    CLBFGS_TRY(clbfgs__launch(run, k, run->n, "hessian_apply"));
cleanup:
    run->phase = phase;
    return status;
}

clbfgs_status clbfgs__hessian_update(clbfgs_run *run, double a, cl_mem u, double b, cl_mem s)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int phase = run->phase;
    run->phase = PHASE_HESSIAN;
    cl_uint n = (cl_uint)run->n;
    cl_kernel k = run->hessian_update;
    size_t global[2] = {(run->n + 15) / 16 * 16, (run->n + 15) / 16 * 16};
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &run->h), "hessian_update");
    CLBFGS_TRY(clbfgs__arg_real(run, k, 1, a));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &u), "hessian_update");
    CLBFGS_TRY(clbfgs__arg_real(run, k, 3, b));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 4, sizeof(cl_mem), &s), "hessian_update");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 5, sizeof n, &n), "hessian_update");
    CLBFGS_CL_TRY(run->ctx,
                  clEnqueueNDRangeKernel(run->ctx->queue, k, 2, NULL, global, NULL, 0, NULL,
                                         clbfgs__event(run)),
                  "launching hessian_update (n = %zu)", run->n);
cleanup:
    run->phase = phase;
    return status;
}

clbfgs_status clbfgs__hessian_set_pass(clbfgs_run *run, int by_rows, size_t chunks)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int phase = run->phase;
    run->phase = PHASE_HESSIAN;
    if (by_rows || chunks < 1 || chunks > run->n)
        chunks = 1;
    if (run->h_partial) {
        clReleaseMemObject(run->h_partial);
        run->h_partial = NULL;
    }
    run->h_by_rows = by_rows;
    run->h_chunks = chunks;
    if (chunks > 1) {
        cl_int err = CL_SUCCESS;
        run->h_partial = clCreateBuffer(run->ctx->cl_ctx, CL_MEM_READ_WRITE,
                                        chunks * run->n * run->elem, NULL, &err);
        CLBFGS_CL_TRY(run->ctx, err, "allocating the partial sums of H g (%zu x %zu)", chunks,
                      run->n);
    }
cleanup:
    run->phase = phase;
    return status;
}

int clbfgs__hessian_default_by_rows(const clbfgs_run *run)
{
    /* A CPU runs a work-group's items one after another on a core: rows
     * keep each one's reads in order. A GPU runs them side by side: columns
     * make neighbours read neighbouring addresses. */
    return run->ctx->info.type == CLBFGS_DEVICE_CPU;
}

size_t clbfgs__hessian_default_chunks(const clbfgs_run *run)
{
    /* A GPU wants tens of thousands of work-items in flight; with n columns
     * alone it would idle below n = 64K, so split the rows (at least 16 each). */
    if (clbfgs__hessian_default_by_rows(run))
        return 1;
    size_t want = (65536 + run->n - 1) / run->n;
    size_t most = run->n / 16 ? run->n / 16 : 1;
    want = want < most ? want : most;
    return want > 64 ? 64 : want;
}

clbfgs_status clbfgs__hessian_update_apply(clbfgs_run *run, int update, double a, cl_mem u,
                                           double b, cl_mem s, cl_mem v, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int phase = run->phase;
    run->phase = PHASE_HESSIAN;
    cl_uint n = (cl_uint)run->n;
    cl_uint rows = (cl_uint)((run->n + run->h_chunks - 1) / run->h_chunks);
    cl_int up = update ? 1 : 0;
    cl_mem out = run->h_chunks > 1 ? run->h_partial : v;
    cl_kernel k = run->h_by_rows ? run->hessian_update_apply_rows : run->hessian_update_apply;
    const char *name = run->h_by_rows ? "hessian_update_apply_rows" : "hessian_update_apply";
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &run->h), "%s", name);
    CLBFGS_TRY(clbfgs__arg_real(run, k, 1, update ? a : 0.0));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &u), "%s", name);
    CLBFGS_TRY(clbfgs__arg_real(run, k, 3, update ? b : 0.0));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 4, sizeof(cl_mem), &s), "%s", name);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 5, sizeof up, &up), "%s", name);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 6, sizeof(cl_mem), &g), "%s", name);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 7, sizeof(cl_mem), &out), "%s", name);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 8, sizeof n, &n), "%s", name);
    if (run->h_by_rows) {
        CLBFGS_TRY(clbfgs__launch(run, k, run->n, name));
        goto cleanup;
    }
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 9, sizeof rows, &rows), "%s", name);
    CLBFGS_TRY(clbfgs__launch_2d(run, k, run->n, run->h_chunks, name));
    if (run->h_chunks > 1) {
        cl_uint chunks = (cl_uint)run->h_chunks;
        k = run->sum_chunks;
        CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &v), "sum_chunks");
        CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &run->h_partial), "sum_chunks");
        CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof n, &n), "sum_chunks");
        CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 3, sizeof chunks, &chunks), "sum_chunks");
        CLBFGS_TRY(clbfgs__launch(run, k, run->n, "sum_chunks"));
    }
cleanup:
    run->phase = phase;
    return status;
}
