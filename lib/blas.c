/* Vector BLAS through CLBlast (blas.h). Dot products and sums are not here:
 * they are fused into the iteration's own one-work-group kernels
 * (cl/iteration.cl), because CLBlast's Xdot, tuned for many work-groups,
 * took 72 % of an iteration's time on pocl at n = 64, and a separate launch
 * per scalar is what made an iteration wait on the device several times. */
#include "config.h"

#include "blas.h"

#include <clblast_c.h>

clbfgs_status clbfgs__blas_gemv(clbfgs_exec *e, int transpose, size_t m, size_t n, cl_mem a,
                                cl_mem x, double beta, cl_mem y)
{
    cl_command_queue q = e->ctx->queue;
    CLBlastTranspose t = transpose ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastStatusCode code = e->precision == CLBFGS_PRECISION_DOUBLE
                                 ? CLBlastDgemv(CLBlastLayoutRowMajor, t, m, n, 1.0, a, 0, n, x, 0,
                                                1, beta, y, 0, 1, &q, clbfgs__exec_event(e))
                                 : CLBlastSgemv(CLBlastLayoutRowMajor, t, m, n, 1.0f, a, 0, n, x, 0,
                                                1, (float)beta, y, 0, 1, &q, clbfgs__exec_event(e));
    if (code == CLBlastSuccess)
        return CLBFGS_SUCCESS;
    return clbfgs__fail(CLBFGS_ERR_BLAS, "CLBlast %sgemv failed with status %d on '%s' (%zu x %zu)",
                        e->precision == CLBFGS_PRECISION_DOUBLE ? "D" : "S", (int)code,
                        e->ctx->info.name, m, n);
}
