/* Vector BLAS and the one CLBlast call we keep, with the precision dispatch
 * in one place. Results land in the run's device scalars buffer, so no call
 * forces a sync.
 *
 * Dot products and sums are our own one-work-group kernels (cl/util.cl): a
 * dense BFGS vector is short enough for one work-group's sweep, and CLBlast's
 * Xdot, tuned for many work-groups, took 72 % of an iteration's time on pocl
 * at n = 64 (perf, bench/clbfgs-bench iterations). Our kernels also show in
 * the profiling split, where a CLBlast call shows only its last kernel. */
#include "config.h"

#include "run.h"

#include <clblast_c.h>

/* One work-group of run->wg_reduce items over len values of x (and y). */
static clbfgs_status reduce(clbfgs_run *run, cl_kernel k, const char *name, int slot, cl_mem x,
                            cl_mem y, size_t len)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    cl_uint s = (cl_uint)slot, n = (cl_uint)len, i = 0;
    size_t wg = run->wg_reduce;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, i++, sizeof(cl_mem), &run->scalars), "%s", name);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, i++, sizeof s, &s), "%s", name);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, i++, sizeof(cl_mem), &x), "%s", name);
    if (y)
        CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, i++, sizeof(cl_mem), &y), "%s", name);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, i++, sizeof n, &n), "%s", name);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, i, wg * run->elem, NULL), "%s", name);
    CLBFGS_CL_TRY(run->ctx,
                  clEnqueueNDRangeKernel(run->ctx->queue, k, 1, NULL, &wg, &wg, 0, NULL,
                                         clbfgs__event(run)),
                  "launching %s (length %zu)", name, len);
cleanup:
    return status;
}

clbfgs_status clbfgs__blas_dot(clbfgs_run *run, int slot, cl_mem x, cl_mem y)
{
    return reduce(run, run->dot, "dot_product", slot, x, y, run->n);
}

clbfgs_status clbfgs__blas_sum(clbfgs_run *run, int slot, cl_mem x, size_t len)
{
    return reduce(run, run->sum, "sum_values", slot, x, NULL, len);
}

clbfgs_status clbfgs__blas_gemv(clbfgs_run *run, int transpose, size_t m, size_t n, cl_mem a,
                                cl_mem x, double beta, cl_mem y)
{
    cl_command_queue q = run->ctx->queue;
    CLBlastTranspose t = transpose ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastStatusCode code =
        run->precision == CLBFGS_PRECISION_DOUBLE
            ? CLBlastDgemv(CLBlastLayoutRowMajor, t, m, n, 1.0, a, 0, n, x, 0, 1, beta, y, 0, 1,
                           &q, clbfgs__event(run))
            : CLBlastSgemv(CLBlastLayoutRowMajor, t, m, n, 1.0f, a, 0, n, x, 0, 1, (float)beta, y,
                           0, 1, &q, clbfgs__event(run));
    if (code == CLBlastSuccess)
        return CLBFGS_SUCCESS;
    return clbfgs__fail(CLBFGS_ERR_BLAS, "CLBlast %sgemv failed with status %d on '%s' (%zu x %zu)",
                        run->precision == CLBFGS_PRECISION_DOUBLE ? "D" : "S", (int)code,
                        run->ctx->info.name, m, n);
}
