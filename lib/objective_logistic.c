/* The logistic regression built-in: the data (an m x n matrix and m
 * labels) go to the device once, when the objective is made, in the
 * precision of the runs it serves; an evaluation is two GEMVs (CLBlast) and
 * one kernel of cl/objectives.cl, which leaves m + n terms whose sum is f. */
#include "config.h"

#include "blas.h"
#include "cl_sources.h"
#include "objective_internal.h"

#include <math.h>
#include <stdlib.h>

struct logistic {
    clbfgs_context *ctx;
    size_t m, n;
    clbfgs_precision precision;
    double lambda;
    cl_mem a, y, z, terms;
    cl_kernel kernel;
};

static void logistic_free(struct logistic *l)
{
    if (!l)
        return;
    cl_mem bufs[] = {l->a, l->y, l->z, l->terms};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    if (l->kernel)
        clReleaseKernel(l->kernel);
    free(l);
}

static void logistic_free_data(void *data) { logistic_free(data); }

static clbfgs_status logistic_prepare(clbfgs_eval *ev, double eps)
{
    (void)eps;
    const struct logistic *l = ev->objective->data;
    const clbfgs_exec *e = ev->exec;
    size_t n = ev->n;
    if (l->ctx != e->ctx)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the logistic regression's data live in another context");
    if (l->n != n)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the logistic regression has %zu features, but n = %zu", l->n, n);
    if (l->precision != e->precision)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the logistic regression's data are in %s, but the run is in %s",
                            clbfgs__real_name(l->precision), clbfgs__real_name(e->precision));
    return CLBFGS_SUCCESS;
}

static clbfgs_status logistic_eval(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct logistic *l = ev->objective->data;
    cl_kernel k = l->kernel;
    cl_uint m = (cl_uint)l->m, n = (cl_uint)l->n;
    /* z = A w; then r = sigmoid(z) - y into z, the loss terms, g = lambda w; then g += A^T r */
    CLBFGS_TRY(clbfgs__blas_gemv(ev->exec, 0, l->m, l->n, l->a, x, 0.0, l->z));
    CLBFGS_CL_TRY(ev->exec->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &l->terms), "logistic_terms");
    CLBFGS_CL_TRY(ev->exec->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &l->z), "logistic_terms");
    CLBFGS_CL_TRY(ev->exec->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &l->y), "logistic_terms");
    CLBFGS_CL_TRY(ev->exec->ctx, clSetKernelArg(k, 3, sizeof(cl_mem), &x), "logistic_terms");
    CLBFGS_CL_TRY(ev->exec->ctx, clSetKernelArg(k, 4, sizeof(cl_mem), &g), "logistic_terms");
    CLBFGS_TRY(clbfgs__exec_arg_real(ev->exec, k, 5, l->lambda));
    CLBFGS_CL_TRY(ev->exec->ctx, clSetKernelArg(k, 6, sizeof m, &m), "logistic_terms");
    CLBFGS_CL_TRY(ev->exec->ctx, clSetKernelArg(k, 7, sizeof n, &n), "logistic_terms");
    CLBFGS_TRY(clbfgs__exec_launch_1d(ev->exec, k, l->m > l->n ? l->m : l->n, "logistic_terms"));
    CLBFGS_TRY(clbfgs__blas_gemv(ev->exec, 1, l->m, l->n, l->a, l->z, 1.0, g));
    f->terms = l->terms;
    f->count = l->m + l->n;
cleanup:
    return status;
}

static const clbfgs_objective_ops logistic_ops = {
    .name = "logistic",
    .pure = 1,
    .state_size = 0, /* the data hold the buffers; a run adds nothing */
    .prepare = logistic_prepare,
    .eval = logistic_eval,
    .free_data = logistic_free_data,
};

clbfgs_status clbfgs_objective_logistic(clbfgs_objective **objective, clbfgs_context *ctx, size_t m,
                                        size_t n, const double *a, const double *y, double lambda,
                                        clbfgs_precision precision)
{
    const char *who = "clbfgs_objective_logistic";
    if (!objective || !ctx || !a || !y)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: objective, context, a and y must not be NULL", who);
    *objective = NULL;
    if (m == 0 || n == 0 || m > UINT32_MAX || n > UINT32_MAX || m > SIZE_MAX / n / sizeof(double))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: m = %zu and n = %zu must be 1 to %u",
                            who, m, n, (unsigned)UINT32_MAX);
    if (!(lambda >= 0) || isinf(lambda))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: lambda must be finite and >= 0, not %g", who, lambda);
    for (size_t i = 0; i < m; i++)
        if (y[i] != 0 && y[i] != 1)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "%s: label y[%zu] = %g; labels must be 0 or 1", who, i, y[i]);
    for (size_t i = 0; i < m * n; i++)
        if (!isfinite(a[i]))
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: a[%zu][%zu] = %g is not finite",
                                who, i / n, i % n, a[i]);
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_objective *o = NULL;
    struct logistic *l = calloc(1, sizeof *l);
    if (!l)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
    l->ctx = ctx;
    l->m = m;
    l->n = n;
    l->lambda = lambda;
    CLBFGS_TRY(clbfgs__resolve_precision(ctx, precision, &l->precision));
    if (l->precision == CLBFGS_PRECISION_FLOAT && !clbfgs__fits_float(lambda)) {
        status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                              "%s: lambda = %g overflows float; use double precision or rescale",
                              who, lambda);
        goto cleanup;
    }
    size_t elem = l->precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    if ((double)m * (double)n * (double)elem > (double)ctx->info.max_alloc_bytes) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_DEVICE_MEMORY,
                              "%s: the %zu x %zu data need %.0f bytes; '%s' allocates at most "
                              "%llu bytes at once",
                              who, m, n, (double)m * (double)n * (double)elem, ctx->info.name,
                              (unsigned long long)ctx->info.max_alloc_bytes);
        goto cleanup;
    }
    CLBFGS_TRY(
        clbfgs__upload_reals(ctx, a, m * n, l->precision, &l->a, "the logistic regression's data"));
    CLBFGS_TRY(
        clbfgs__upload_reals(ctx, y, m, l->precision, &l->y, "the logistic regression's labels"));
    cl_int err = CL_SUCCESS;
    /* GEMV with beta = 0 may still read z (CLBlast computes 0 * z): it starts
     * at zero, copied as it is created (calloc's zero bytes are 0.0 in both
     * precisions), so no NaN is ever there. */
    void *zeros = calloc(m, elem);
    if (!zeros) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s: %zu zeros", who, m);
        goto cleanup;
    }
    l->z = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, m * elem, zeros,
                          &err);
    free(zeros);
    CLBFGS_CL_TRY(ctx, err, "%s: allocating %zu values", who, m);
    l->terms = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, (m + n) * elem, NULL, &err);
    CLBFGS_CL_TRY(ctx, err, "%s: allocating %zu values", who, m + n);
    cl_program program;
    CLBFGS_TRY(clbfgs__program_get(ctx, "cl/objectives.cl", clbfgs__cl_objectives, NULL,
                                   l->precision, &program, NULL));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "logistic_terms", &l->kernel));
    CLBFGS_TRY(clbfgs__objective_new(&o, &logistic_ops, l, who));
    l = NULL;
    *objective = o;
cleanup:
    logistic_free(l);
    return status;
}
