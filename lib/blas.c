/* The CLBlast calls we use, with the precision dispatch in one place.
 * Results land in the run's device scalars buffer, so no call forces a sync. */
#include "config.h"

#include "run.h"

#include <clblast_c.h>

static clbfgs_status check(const clbfgs_run *run, CLBlastStatusCode code, const char *routine,
                           size_t len)
{
    if (code == CLBlastSuccess)
        return CLBFGS_SUCCESS;
    return clbfgs__fail(CLBFGS_ERR_BLAS, "CLBlast %s%s failed with status %d on '%s' (length %zu)",
                        run->precision == CLBFGS_PRECISION_DOUBLE ? "D" : "S", routine, (int)code,
                        run->ctx->info.name, len);
}

clbfgs_status clbfgs__blas_dot(clbfgs_run *run, int slot, cl_mem x, cl_mem y)
{
    cl_command_queue q = run->ctx->queue;
    CLBlastStatusCode code =
        run->precision == CLBFGS_PRECISION_DOUBLE
            ? CLBlastDdot(run->n, run->scalars, (size_t)slot, x, 0, 1, y, 0, 1, &q, NULL)
            : CLBlastSdot(run->n, run->scalars, (size_t)slot, x, 0, 1, y, 0, 1, &q, NULL);
    return check(run, code, "dot", run->n);
}

clbfgs_status clbfgs__blas_sum(clbfgs_run *run, int slot, cl_mem x, size_t len)
{
    cl_command_queue q = run->ctx->queue;
    CLBlastStatusCode code =
        run->precision == CLBFGS_PRECISION_DOUBLE
            ? CLBlastDsum(len, run->scalars, (size_t)slot, x, 0, 1, &q, NULL)
            : CLBlastSsum(len, run->scalars, (size_t)slot, x, 0, 1, &q, NULL);
    return check(run, code, "sum", len);
}

clbfgs_status clbfgs__blas_gemv(clbfgs_run *run, int transpose, size_t m, size_t n, cl_mem a,
                                cl_mem x, double beta, cl_mem y)
{
    cl_command_queue q = run->ctx->queue;
    CLBlastTranspose t = transpose ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastStatusCode code =
        run->precision == CLBFGS_PRECISION_DOUBLE
            ? CLBlastDgemv(CLBlastLayoutRowMajor, t, m, n, 1.0, a, 0, n, x, 0, 1, beta, y, 0, 1,
                           &q, NULL)
            : CLBlastSgemv(CLBlastLayoutRowMajor, t, m, n, 1.0f, a, 0, n, x, 0, 1, (float)beta, y,
                           0, 1, &q, NULL);
    return check(run, code, "gemv", m * n);
}
