/* The BFGS iteration: state on the device, SciPy's control flow on the host.
 *
 * Per iteration, with H the inverse-Hessian approximation, p = -H g, s the
 * step, y the gradient change and rho = 1 / y.s (DESIGN.md):
 *   v = H g_new,  u = v + p (= H y),
 *   H += -rho (u s^T + s u^T) + (rho^2 y.u + rho) s s^T,
 *   p_new = -v + rho (s.g) u + (rho (u.g) - (rho^2 y.u + rho)(s.g)) s.
 * One product and one rank-two update of H: O(n^2), never O(n^3). */
#include "config.h"

#include "cl_sources.h"
#include "linesearch.h"
#include "run.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The size of clbfgs_options in the first release that has struct_size
 * (0.2, not yet out): the whole struct until then. Appending a field after
 * that release leaves this at that release's size; a new field must not start
 * inside that size's tail padding (add an explicit pad first if it would). */
#define OPTIONS_OLDEST sizeof(clbfgs_options)

static void options_defaults(clbfgs_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->gtol = 1e-5;
    o->norm = (double)INFINITY;
    o->maxiter = 0;
    o->xrtol = 0;
    o->c1 = 1e-4;
    o->c2 = 0.9;
    o->precision = CLBFGS_PRECISION_AUTO;
}

void clbfgs_options_init_size(clbfgs_options *options, size_t struct_size)
{
    clbfgs_options defaults;
    options_defaults(&defaults);
    clbfgs__options_init(options, struct_size, &defaults, sizeof defaults);
}

/* ---- small helpers shared through run.h ---- */

int clbfgs__fits_float(double v) { return !isfinite(v) || fabs(v) <= (double)FLT_MAX; }

cl_int clbfgs__set_real_arg(cl_kernel k, cl_uint i, clbfgs_precision precision, double v)
{
    if (precision == CLBFGS_PRECISION_DOUBLE)
        return clSetKernelArg(k, i, sizeof v, &v);
    float f = (float)v;
    return clSetKernelArg(k, i, sizeof f, &f);
}

clbfgs_status clbfgs__arg_real(const clbfgs_run *run, cl_kernel k, cl_uint i, double v)
{
    cl_int err = clbfgs__set_real_arg(k, i, run->precision, v);
    return err == CL_SUCCESS
               ? CLBFGS_SUCCESS
               : clbfgs__fail_cl(run->ctx, err, "clSetKernelArg", "real argument %u", i);
}

enum { EVENT_KERNEL, EVENT_SPAN_START, EVENT_SPAN_END };

static cl_event *next_event(clbfgs_run *run, int kind)
{
    if (!run->profiling)
        return NULL;
    if (run->event_count == CLBFGS_PROFILE_EVENTS && clbfgs__profile_collect(run) != CLBFGS_SUCCESS)
        return NULL; /* the times are lost, the run goes on */
    size_t i = run->event_count++;
    run->events[i] = NULL; /* stays NULL when the enqueue fails */
    run->event_phase[i] = (signed char)run->phase;
    run->event_kind[i] = (signed char)kind;
    return &run->events[i];
}

cl_event *clbfgs__event(clbfgs_run *run) { return next_event(run, EVENT_KERNEL); }

clbfgs_status clbfgs__mark(clbfgs_run *run, int end)
{
    if (!run->profiling)
        return CLBFGS_SUCCESS;
    cl_event *e = next_event(run, end ? EVENT_SPAN_END : EVENT_SPAN_START);
    cl_int err = clEnqueueMarkerWithWaitList(run->ctx->queue, 0, NULL, e);
    return err == CL_SUCCESS ? CLBFGS_SUCCESS
                             : clbfgs__fail_cl(run->ctx, err, "clEnqueueMarkerWithWaitList",
                                               "marking a profiled span");
}

clbfgs_status clbfgs__profile_collect(clbfgs_run *run)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    for (size_t i = 0; i < run->event_count; i++) {
        cl_event e = run->events[i];
        if (!e)
            continue;
        cl_ulong start = 0, end = 0;
        cl_int err = clWaitForEvents(1, &e);
        if (err == CL_SUCCESS)
            err =
                clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
        if (err == CL_SUCCESS)
            err = clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
        clReleaseEvent(e);
        run->events[i] = NULL;
        if (err != CL_SUCCESS) {
            if (status == CLBFGS_SUCCESS)
                status = clbfgs__fail_cl(run->ctx, err, "clGetEventProfilingInfo",
                                         "reading a command's profiling times");
            continue;
        }
        double *t = &run->device_time[run->event_phase[i]];
        switch (run->event_kind[i]) {
        case EVENT_KERNEL: *t += (double)(end - start) * 1e-9; break;
        case EVENT_SPAN_START: *t -= (double)end * 1e-9; break;
        default: *t += (double)end * 1e-9; break;
        }
    }
    run->event_count = 0;
    return status;
}

clbfgs_status clbfgs__launch(clbfgs_run *run, cl_kernel k, size_t n, const char *what)
{
    size_t global = (n + 63) / 64 * 64;
    cl_int err = clEnqueueNDRangeKernel(run->ctx->queue, k, 1, NULL, &global, NULL, 0, NULL,
                                        clbfgs__event(run));
    return err == CL_SUCCESS ? CLBFGS_SUCCESS
                             : clbfgs__fail_cl(run->ctx, err, "clEnqueueNDRangeKernel",
                                               "launching %s (n = %zu)", what, n);
}

clbfgs_status clbfgs__launch_2d(clbfgs_run *run, cl_kernel k, size_t n, size_t problems,
                                const char *what)
{
    size_t global[2] = {(n + 63) / 64 * 64, problems};
    cl_int err = clEnqueueNDRangeKernel(run->ctx->queue, k, 2, NULL, global, NULL, 0, NULL,
                                        clbfgs__event(run));
    return err == CL_SUCCESS ? CLBFGS_SUCCESS
                             : clbfgs__fail_cl(run->ctx, err, "clEnqueueNDRangeKernel",
                                               "launching %s (%zu x %zu)", what, n, problems);
}

/* Room for n floats on their way to or from the device: host_tmp, which holds
 * max(run->n, SLOT_COUNT) values, or a new block in *big (the caller frees
 * it) for more, as H takes; NULL when that allocation fails. */
static float *float_buffer(clbfgs_run *run, size_t n, float **big)
{
    *big = NULL;
    if (n <= run->n || n <= SLOT_COUNT)
        return run->host_tmp;
    return *big = malloc(n * sizeof **big);
}

clbfgs_status clbfgs__write_reals(clbfgs_run *run, cl_mem buf, size_t offset, const double *src,
                                  size_t n)
{
    const void *data = src;
    float *big = NULL;
    if (run->precision == CLBFGS_PRECISION_FLOAT) {
        float *t = float_buffer(run, n, &big);
        if (!t)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY,
                                "converting %zu values to float for the device", n);
        for (size_t i = 0; i < n; i++)
            t[i] = (float)src[i];
        data = t;
    }
    int phase = run->phase;
    run->phase = PHASE_TRANSFER;
    cl_int err = clEnqueueWriteBuffer(run->ctx->queue, buf, CL_TRUE, offset * run->elem,
                                      n * run->elem, data, 0, NULL, clbfgs__event(run));
    run->phase = phase;
    free(big);
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(run->ctx, err, "clEnqueueWriteBuffer",
                               "copying %zu values to the device", n);
    run->syncs++;
    return clbfgs__profile_collect(run);
}

clbfgs_status clbfgs__read_reals(clbfgs_run *run, cl_mem buf, size_t offset, double *dst, size_t n)
{
    void *data = dst;
    float *big = NULL;
    if (run->precision == CLBFGS_PRECISION_FLOAT && !(data = float_buffer(run, n, &big)))
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY,
                            "converting %zu values from float on the host", n);
    int phase = run->phase;
    run->phase = PHASE_TRANSFER;
    cl_int err = clEnqueueReadBuffer(run->ctx->queue, buf, CL_TRUE, offset * run->elem,
                                     n * run->elem, data, 0, NULL, clbfgs__event(run));
    run->phase = phase;
    clbfgs_status status;
    if (err != CL_SUCCESS) {
        status = clbfgs__fail_cl(run->ctx, err, "clEnqueueReadBuffer",
                                 "copying %zu values from the device", n);
    } else {
        run->syncs++;
        status = clbfgs__profile_collect(run);
    }
    if (status == CLBFGS_SUCCESS && run->precision == CLBFGS_PRECISION_FLOAT)
        for (size_t i = 0; i < n; i++)
            dst[i] = (double)((const float *)data)[i];
    free(big);
    return status;
}

/* ---- setting up and tearing down a run ---- */

void clbfgs__run_release(clbfgs_run *run)
{
    for (size_t i = 0; i < run->event_count; i++)
        if (run->events[i])
            clReleaseEvent(run->events[i]);
    run->event_count = 0;
    cl_kernel *kernels[] = {&run->axpy_into,
                            &run->step_and_change,
                            &run->combine3,
                            &run->vecnorm,
                            &run->dot,
                            &run->sum,
                            &run->set_identity,
                            &run->hessian_apply,
                            &run->hessian_update,
                            &run->hessian_update_apply,
                            &run->hessian_update_apply_rows,
                            &run->sum_chunks};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (*kernels[i])
            clReleaseKernel(*kernels[i]);
    clbfgs__objective_release(run);
    cl_mem *bufs[] = {&run->x,       &run->g,         &run->p,         &run->xt,       &run->gt,
                      &run->s,       &run->y,         &run->v,         &run->u,        &run->h,
                      &run->scalars, &run->s_pending, &run->u_pending, &run->h_partial};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (*bufs[i])
            clReleaseMemObject(*bufs[i]);
    free(run->host_x);
    free(run->host_g);
    free(run->host_tmp);
}

/* Refuses, before reading x0 or allocating anything, a problem the device
 * cannot hold: every size in bytes is computed in double, so none overflows
 * (n = 2^61 doubles is 2^64 bytes, 0 in size_t). */
static clbfgs_status check_memory(const clbfgs_run *run)
{
    const clbfgs_device_info *d = &run->ctx->info;
    const char *real = clbfgs__real_name(run->precision);
    double n = (double)run->n, elem = (double)run->elem;
    double h_bytes = n * n * elem, largest = 0;
    double objective = clbfgs__objective_bytes(run, &largest);
    largest = h_bytes > largest ? h_bytes : largest;
    /* The kernels count in uint; the host holds H as n x n doubles (hess_inv0,
     * the result's hess_inv), and every buffer's size must fit in size_t. */
    if (run->n > (size_t)UINT32_MAX || n * n * (double)sizeof(double) >= (double)SIZE_MAX ||
        largest >= (double)SIZE_MAX)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_DEVICE_MEMORY,
                            "n = %zu is too large: H alone (n x n in %s) needs %.4g bytes, and "
                            "the largest buffer %.4g bytes; n must be at most %u, and no device "
                            "holds that much",
                            run->n, real, h_bytes, largest, (unsigned)UINT32_MAX);
    double total = h_bytes + 11.0 * n * elem + SLOT_COUNT * elem +
                   (double)clbfgs__hessian_default_chunks(run) * n * elem + objective;
    if (largest > (double)d->max_alloc_bytes || total > (double)d->global_mem_bytes)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_DEVICE_MEMORY,
                            "n = %zu in %s needs %.0f bytes on the device (H alone %.0f bytes, "
                            "the largest buffer %.0f bytes); '%s' has %llu bytes of global "
                            "memory and allocates at most %llu bytes at once",
                            run->n, real, total, h_bytes, largest, d->name,
                            (unsigned long long)d->global_mem_bytes,
                            (unsigned long long)d->max_alloc_bytes);
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs__run_setup(clbfgs_run *run, double eps)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_context *ctx = run->ctx;
    size_t n = run->n;
    run->elem = run->precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    CLBFGS_TRY(check_memory(run));
    cl_command_queue_properties props = 0;
    CLBFGS_CL_TRY(
        ctx, clGetCommandQueueInfo(ctx->queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL),
        "reading the queue's properties");
    run->profiling = (props & CL_QUEUE_PROFILING_ENABLE) != 0;

    cl_program util, hessian;
    CLBFGS_TRY(
        clbfgs__program_get(ctx, "cl/util.cl", clbfgs__cl_util, NULL, run->precision, &util, NULL));
    CLBFGS_TRY(clbfgs__program_get(ctx, "cl/hessian.cl", clbfgs__cl_hessian, NULL, run->precision,
                                   &hessian, NULL));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, util, "axpy_into", &run->axpy_into));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, util, "step_and_change", &run->step_and_change));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, util, "combine3", &run->combine3));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, util, "vecnorm", &run->vecnorm));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, util, "dot_product", &run->dot));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, util, "sum_values", &run->sum));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, util, "set_identity", &run->set_identity));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, hessian, "hessian_apply", &run->hessian_apply));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, hessian, "hessian_update", &run->hessian_update));
    CLBFGS_TRY(
        clbfgs__kernel_new(ctx, hessian, "hessian_update_apply", &run->hessian_update_apply));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, hessian, "hessian_update_apply_rows",
                                  &run->hessian_update_apply_rows));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, hessian, "sum_chunks", &run->sum_chunks));

    /* One work-group size for the reductions: a power of two up to 256 that
     * all of them take. */
    size_t wg = 256;
    cl_kernel reductions[] = {run->vecnorm, run->dot, run->sum};
    for (size_t i = 0; i < sizeof reductions / sizeof reductions[0]; i++) {
        size_t most = 0;
        CLBFGS_CL_TRY(ctx,
                      clGetKernelWorkGroupInfo(reductions[i], ctx->device,
                                               CL_KERNEL_WORK_GROUP_SIZE, sizeof most, &most, NULL),
                      "the work-group size of a reduction kernel");
        wg = most < wg ? most : wg;
    }
    run->wg_reduce = 1;
    while (run->wg_reduce * 2 <= wg)
        run->wg_reduce *= 2;

    run->host_x = malloc(n * sizeof(double));
    run->host_g = malloc(n * sizeof(double));
    /* conversions pass through here: n values, or the scalars when n is smaller */
    run->host_tmp = malloc((n > SLOT_COUNT ? n : SLOT_COUNT) * sizeof(double));
    if (!run->host_x || !run->host_g || !run->host_tmp) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "host copies of x and g (n = %zu)", n);
        goto cleanup;
    }
    cl_mem *vectors[] = {&run->x, &run->g, &run->p, &run->xt,        &run->gt,       &run->s,
                         &run->y, &run->v, &run->u, &run->s_pending, &run->u_pending};
    cl_int err = CL_SUCCESS;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        *vectors[i] = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, n * run->elem, NULL, &err);
        CLBFGS_CL_TRY(ctx, err, "allocating a vector of %zu bytes", n * run->elem);
    }
    run->scalars =
        clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, SLOT_COUNT * run->elem, NULL, &err);
    CLBFGS_CL_TRY(ctx, err, "allocating the scalars");
    run->h = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, n * n * run->elem, NULL, &err);
    CLBFGS_CL_TRY(ctx, err, "allocating H (%zu bytes)", n * n * run->elem);
    CLBFGS_TRY(clbfgs__hessian_set_pass(run, clbfgs__hessian_default_by_rows(run),
                                        clbfgs__hessian_default_chunks(run)));
    CLBFGS_TRY(clbfgs__objective_prepare(run, eps));
cleanup:
    return status;
}

/* ---- the pieces of an iteration ---- */

static clbfgs_status vecnorm(clbfgs_run *run, int slot, cl_mem x, double ord)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    cl_kernel k = run->vecnorm;
    cl_uint s = (cl_uint)slot, n = (cl_uint)run->n;
    size_t wg = run->wg_reduce;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &run->scalars), "vecnorm");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof s, &s), "vecnorm");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &x), "vecnorm");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 3, sizeof n, &n), "vecnorm");
    CLBFGS_TRY(clbfgs__arg_real(run, k, 4, ord));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 5, wg * run->elem, NULL), "vecnorm");
    CLBFGS_CL_TRY(
        run->ctx,
        clEnqueueNDRangeKernel(run->ctx->queue, k, 1, NULL, &wg, &wg, 0, NULL, clbfgs__event(run)),
        "launching vecnorm");
cleanup:
    return status;
}

/* out = a u + b v + c w */
static clbfgs_status combine3(clbfgs_run *run, cl_mem out, double a, cl_mem u, double b, cl_mem v,
                              double c, cl_mem w)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    cl_kernel k = run->combine3;
    cl_uint n = (cl_uint)run->n;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &out), "combine3");
    CLBFGS_TRY(clbfgs__arg_real(run, k, 1, a));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &u), "combine3");
    CLBFGS_TRY(clbfgs__arg_real(run, k, 3, b));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 4, sizeof(cl_mem), &v), "combine3");
    CLBFGS_TRY(clbfgs__arg_real(run, k, 5, c));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 6, sizeof(cl_mem), &w), "combine3");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 7, sizeof n, &n), "combine3");
    CLBFGS_TRY(clbfgs__launch(run, k, run->n, "combine3"));
cleanup:
    return status;
}

/* Fills a vector with NaN, so a kernel that forgets to write shows up. */
static clbfgs_status poison(clbfgs_run *run, cl_mem buf)
{
    return combine3(run, buf, (double)NAN, run->x, 0, run->x, 0, run->x);
}

struct line {
    clbfgs_run *run;
    clbfgs_status error; /* why phi aborted */
};

/* phi(alpha) = f(x + alpha p), phi'(alpha) = g(x + alpha p) . p, into xt, gt. */
static int phi(void *user, double alpha, double *f, double *dphi)
{
    struct line *line = user;
    clbfgs_run *run = line->run;
    clbfgs_status status = CLBFGS_SUCCESS;
    cl_uint n = (cl_uint)run->n;
    cl_kernel k = run->axpy_into;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &run->xt), "axpy_into");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &run->x), "axpy_into");
    CLBFGS_TRY(clbfgs__arg_real(run, k, 2, alpha));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 3, sizeof(cl_mem), &run->p), "axpy_into");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 4, sizeof n, &n), "axpy_into");
    CLBFGS_TRY(clbfgs__launch(run, k, run->n, "axpy_into"));
    CLBFGS_TRY(clbfgs__objective_eval(run, run->xt, run->gt));
    CLBFGS_TRY(clbfgs__blas_dot(run, SLOT_DPHI, run->gt, run->p));
    double both[2];
    CLBFGS_TRY(clbfgs__read_reals(run, run->scalars, SLOT_F, both, 2));
    *f = both[0];
    *dphi = both[1];
cleanup:
    line->error = status;
    return status != CLBFGS_SUCCESS;
}

static const char *message_of(int status)
{
    switch (status) {
    case 0: return "Optimization terminated successfully.";
    case 1: return "Maximum number of iterations has been exceeded.";
    case 2: return "Desired error not necessarily achieved due to precision loss.";
    case 3: return "NaN result encountered.";
    case 99: return "Stopped by the callback.";
    }
    return "Unknown status.";
}

/* A run that an error ended: the result says so in its status (the error's
 * code, negative, apart from SciPy's) and message (the error's detail). */
static clbfgs_status ended_by_error(clbfgs_result *result, clbfgs_status status)
{
    result->status = (int)status;
    result->success = 0;
    snprintf(result->message, sizeof result->message, "Error: %s: %s", clbfgs_strerror(status),
             clbfgs_last_error());
    return status;
}

/* hess_inv0 must be a symmetric positive definite matrix: finite, symmetric
 * to a few ulps, and with a Cholesky factor (computed on the host, once). */
static clbfgs_status check_spd(const double *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double a = h[i * n + j], b = h[j * n + i];
            if (!isfinite(a))
                return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                    "hess_inv0[%zu][%zu] = %g is not finite", i, j, a);
            if (fabs(a - b) > 8 * 2.220446049250313e-16 * fmax(fabs(a), fabs(b)))
                return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                    "hess_inv0 is not symmetric: [%zu][%zu] = %.17g but "
                                    "[%zu][%zu] = %.17g",
                                    i, j, a, j, i, b);
        }
    double *l = malloc(n * n * sizeof *l);
    if (!l)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "checking hess_inv0 (n = %zu)", n);
    clbfgs_status status = CLBFGS_SUCCESS;
    for (size_t j = 0; j < n && status == CLBFGS_SUCCESS; j++) {
        double d = h[j * n + j];
        for (size_t k = 0; k < j; k++)
            d -= l[j * n + k] * l[j * n + k];
        if (!(d > 0)) {
            status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                  "hess_inv0 is not positive definite (its Cholesky "
                                  "factorisation breaks down at row %zu, pivot %g)",
                                  j, d);
            break;
        }
        l[j * n + j] = sqrt(d);
        for (size_t i = j + 1; i < n; i++) {
            double v = h[i * n + j];
            for (size_t k = 0; k < j; k++)
                v -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = v / l[j * n + j];
        }
    }
    free(l);
    return status;
}

/* The arguments that can be checked without reading x0 or hess_inv0: their
 * sizes come first (check_memory), then their values (check_values). */
static clbfgs_status check_arguments(const clbfgs_context *ctx, const clbfgs_objective *objective,
                                     size_t n, const double *x0, const clbfgs_options *o)
{
    if (!ctx || !objective)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_minimize: context and objective must not be NULL");
    if (n == 0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "clbfgs_minimize: n must be at least 1");
    if (!x0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "clbfgs_minimize: x0 must not be NULL");
    if (!(o->gtol >= 0))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "gtol must be >= 0, not %g", o->gtol);
    if (isnan(o->norm) || o->norm == 0 || (o->norm < 0 && !isinf(o->norm)))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "norm must be INFINITY, -INFINITY or positive, not %g", o->norm);
    if (!(o->xrtol >= 0))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "xrtol must be >= 0, not %g", o->xrtol);
    if (!(o->eps >= 0) || isinf(o->eps))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "eps must be finite and >= 0, not %g",
                            o->eps);
    if (!(0 < o->c1 && o->c1 < o->c2 && o->c2 < 1))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the line search needs 0 < c1 < c2 < 1, not c1 = %g, c2 = %g", o->c1,
                            o->c2);
    return CLBFGS_SUCCESS;
}

/* x0 and hess_inv0 must be finite and, in float, representable: a value
 * that becomes infinite on the device would make the run's first step NaN. */
static clbfgs_status check_values(const clbfgs_run *run, const double *x0, const clbfgs_options *o)
{
    const size_t n = run->n;
    const int in_float = run->precision == CLBFGS_PRECISION_FLOAT;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x0[i]))
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "clbfgs_minimize: x0[%zu] = %g is not finite", i, x0[i]);
        if (in_float && !clbfgs__fits_float(x0[i]))
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "clbfgs_minimize: x0[%zu] = %g overflows float (largest %g); "
                                "run in double precision or rescale the problem",
                                i, x0[i], (double)FLT_MAX);
    }
    if (!o->hess_inv0)
        return CLBFGS_SUCCESS;
    for (size_t i = 0; in_float && i < n * n; i++)
        if (!clbfgs__fits_float(o->hess_inv0[i]))
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "clbfgs_minimize: hess_inv0[%zu][%zu] = %g overflows float "
                                "(largest %g); run in double precision or rescale the problem",
                                i / n, i % n, o->hess_inv0[i], (double)FLT_MAX);
    return check_spd(o->hess_inv0, n);
}

clbfgs_status clbfgs_minimize(clbfgs_context *ctx, clbfgs_objective *objective, size_t n,
                              const double *x0, const clbfgs_options *options,
                              clbfgs_result *result)
{
    double t_start = clbfgs__now();
    if (!result)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_minimize: result must not be NULL");
    memset(result, 0, sizeof *result);
    clbfgs_options opts;
    options_defaults(&opts);
    clbfgs_status status = options ? clbfgs__options_read(&opts, sizeof opts, OPTIONS_OLDEST,
                                                          options, "clbfgs_options")
                                   : CLBFGS_SUCCESS;
    if (status != CLBFGS_SUCCESS)
        return ended_by_error(result, status);
    options = &opts;
    status = check_arguments(ctx, objective, n, x0, options);
    if (status != CLBFGS_SUCCESS)
        return ended_by_error(result, status);

    clbfgs_run run;
    memset(&run, 0, sizeof run);
    run.ctx = ctx;
    run.objective = objective;
    run.n = n;
    status = clbfgs__resolve_precision(ctx, options->precision, &run.precision);
    if (status != CLBFGS_SUCCESS)
        return ended_by_error(result, status);
    result->precision = run.precision;
    run.elem = run.precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    /* Sizes before values: n may be too large to read x0 by. */
    status = check_memory(&run);
    if (status == CLBFGS_SUCCESS)
        status = check_values(&run, x0, options);
    if (status != CLBFGS_SUCCESS)
        return ended_by_error(result, status);

    /* The result holds x0 from the start, so even an early error leaves a point. */
    result->n = n;
    result->x = malloc(n * sizeof(double));
    result->jac = malloc(n * sizeof(double));
    if (!result->x || !result->jac) {
        clbfgs_result_free(result);
        return ended_by_error(result, clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY,
                                                   "the result's x and jac (n = %zu)", n));
    }
    memcpy(result->x, x0, n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        result->jac[i] = (double)NAN;
    result->fun = (double)NAN;

    int on_device = 0; /* x on the device is the best point */
    int evaluated = 0; /* f and g of that point are known */
    /* The run's state, here so that an error anywhere reports how far it got. */
    double f = (double)NAN;
    size_t k = 0;
    CLBFGS_TRY(clbfgs__run_setup(&run, options->eps));

    const size_t maxiter = options->maxiter ? options->maxiter : 200 * n;
    const clbfgs_ls_params ls_params = {options->c1, options->c2, 1e-100, 1e100, 1e-14};
    struct line line = {&run, CLBFGS_SUCCESS};
    double sc[SLOT_COUNT] = {0};

    /* x0, f(x0), g(x0), p = -g, H = I */
    CLBFGS_TRY(clbfgs__write_reals(&run, run.x, 0, x0, n));
    on_device = 1;
    cl_mem work[] = {run.g, run.p, run.xt, run.gt, run.s, run.y, run.v, run.u};
    for (size_t i = 0; i < sizeof work / sizeof work[0]; i++)
        CLBFGS_TRY(poison(&run, work[i]));
    if (options->hess_inv0) /* one transfer, not a round trip per row */
        CLBFGS_TRY(clbfgs__write_reals(&run, run.h, 0, options->hess_inv0, n * n));
    else
        CLBFGS_TRY(clbfgs__hessian_identity(&run));
    CLBFGS_TRY(clbfgs__objective_eval(&run, run.x, run.g));
    CLBFGS_TRY(vecnorm(&run, SLOT_GNORM, run.g, options->norm));
    CLBFGS_TRY(vecnorm(&run, SLOT_G2NORM, run.g, 2.0));
    if (options->hess_inv0) { /* p = -H0 g */
        CLBFGS_TRY(clbfgs__hessian_update_apply(&run, 0, 0, run.u, 0, run.s, run.v, run.g));
        CLBFGS_TRY(combine3(&run, run.p, -1.0, run.v, 0, run.v, 0, run.v));
    } else {
        CLBFGS_TRY(combine3(&run, run.p, -1.0, run.g, 0, run.g, 0, run.g));
    }
    CLBFGS_TRY(clbfgs__read_reals(&run, run.scalars, 0, sc, SLOT_COUNT));
    f = sc[SLOT_F];
    evaluated = 1;
    double gnorm = sc[SLOT_GNORM];
    double old_f = f + sc[SLOT_G2NORM] / 2; /* SciPy's value before the first step */
    int warnflag = 0;
    /* The H update of one iteration is applied by the next one's fused pass. */
    int pending = 0;
    double pa = 0, pb = 0;
    if (!isfinite(f) || !isfinite(gnorm))
        warnflag = 3; /* nothing to descend from */
    double t_loop = clbfgs__now();
    result->time.setup = t_loop - t_start;
    /* The counts below are the iterations' (the last read left nothing in flight). */
    CLBFGS_TRY(clbfgs__profile_collect(&run));
    memset(run.device_time, 0, sizeof run.device_time);
    run.syncs = 0;

    while (warnflag == 0 && gnorm > options->gtol && k < maxiter) {
        double t0 = clbfgs__now();
        CLBFGS_TRY(clbfgs__blas_dot(&run, SLOT_DPHI, run.g, run.p));
        double dphi0;
        CLBFGS_TRY(clbfgs__read_reals(&run, run.scalars, SLOT_DPHI, &dphi0, 1));
        clbfgs_ls_result ls;
        clbfgs_ls_outcome out = clbfgs__line_search(phi, &line, f, dphi0, old_f, &ls_params, &ls);
        if (out == CLBFGS_LS_ABORTED) {
            status = line.error;
            goto cleanup;
        }
        if (out == CLBFGS_LS_OK && ls.last_alpha != ls.alpha) {
            /* xt and gt must hold the accepted point. */
            double fa, da;
            if (phi(&line, ls.alpha, &fa, &da) != 0) {
                status = line.error;
                goto cleanup;
            }
        }
        result->time.line_search += clbfgs__now() - t0;
        if (out == CLBFGS_LS_FAILED) {
            warnflag = 2;
            break;
        }

        double t1 = clbfgs__now();
        /* s = alpha p, y = g_new - g; then x, g take the new point. */
        cl_kernel kc = run.step_and_change;
        cl_uint nu = (cl_uint)n;
        CLBFGS_CL_TRY(ctx, clSetKernelArg(kc, 0, sizeof(cl_mem), &run.s), "step_and_change");
        CLBFGS_CL_TRY(ctx, clSetKernelArg(kc, 1, sizeof(cl_mem), &run.y), "step_and_change");
        CLBFGS_TRY(clbfgs__arg_real(&run, kc, 2, ls.alpha));
        CLBFGS_CL_TRY(ctx, clSetKernelArg(kc, 3, sizeof(cl_mem), &run.p), "step_and_change");
        CLBFGS_CL_TRY(ctx, clSetKernelArg(kc, 4, sizeof(cl_mem), &run.gt), "step_and_change");
        CLBFGS_CL_TRY(ctx, clSetKernelArg(kc, 5, sizeof(cl_mem), &run.g), "step_and_change");
        CLBFGS_CL_TRY(ctx, clSetKernelArg(kc, 6, sizeof nu, &nu), "step_and_change");
        CLBFGS_TRY(clbfgs__launch(&run, kc, n, "step_and_change"));
        cl_mem swap = run.x;
        run.x = run.xt;
        run.xt = swap;
        swap = run.g;
        run.g = run.gt;
        run.gt = swap;
        old_f = f;
        f = ls.phi;
        k++;

        /* Everything the host needs to decide, in one read. */
        CLBFGS_TRY(vecnorm(&run, SLOT_GNORM, run.g, options->norm));
        CLBFGS_TRY(clbfgs__blas_dot(&run, SLOT_YS, run.y, run.s));
        CLBFGS_TRY(clbfgs__hessian_update_apply(&run, pending, pa, run.u_pending, pb, run.s_pending,
                                                run.v, run.g));
        pending = 0;
        CLBFGS_TRY(combine3(&run, run.u, 1.0, run.v, 1.0, run.p, 0, run.p));
        CLBFGS_TRY(clbfgs__blas_dot(&run, SLOT_YU, run.y, run.u));
        CLBFGS_TRY(clbfgs__blas_dot(&run, SLOT_SG, run.s, run.g));
        CLBFGS_TRY(clbfgs__blas_dot(&run, SLOT_UG, run.u, run.g));
        CLBFGS_TRY(vecnorm(&run, SLOT_PNORM, run.p, 2.0));
        if (options->xrtol > 0)
            CLBFGS_TRY(vecnorm(&run, SLOT_XNORM, run.x, 2.0));
        CLBFGS_TRY(clbfgs__read_reals(&run, run.scalars, SLOT_GNORM, sc + SLOT_GNORM,
                                      SLOT_XNORM + 1 - SLOT_GNORM));
        gnorm = sc[SLOT_GNORM];
        double step = ls.alpha * sc[SLOT_PNORM];
        result->time.hessian += clbfgs__now() - t1;

        if (options->callback) {
            double t2 = clbfgs__now();
            CLBFGS_TRY(clbfgs__read_reals(&run, run.x, 0, run.host_x, n));
            clbfgs_iterate it = {k, f, gnorm, step, run.nfev, run.host_x, n};
            int stop = options->callback(options->callback_user, &it);
            result->time.callback += clbfgs__now() - t2;
            if (stop) {
                warnflag = 99;
                break;
            }
        }
        if (gnorm <= options->gtol)
            break;
        /* SciPy's relative-step test; ||x|| is computed only when xrtol > 0. */
        double xbound = options->xrtol > 0 ? options->xrtol * (options->xrtol + sc[SLOT_XNORM]) : 0;
        if (step <= xbound)
            break;
        if (!isfinite(f)) {
            warnflag = 2;
            break;
        }

        t1 = clbfgs__now();
        double ys = sc[SLOT_YS];
        if (ys > 0 && isfinite(ys)) {
            double rho = 1.0 / ys;
            double a = -rho, b = rho * rho * sc[SLOT_YU] + rho;
            double sg = sc[SLOT_SG], ug = sc[SLOT_UG];
            CLBFGS_TRY(
                combine3(&run, run.p, -1.0, run.v, rho * sg, run.u, rho * ug - b * sg, run.s));
            /* H += a (u s^T + s u^T) + b s s^T waits for the next fused pass */
            pending = 1;
            pa = a;
            pb = b;
            cl_mem swap_u = run.u, swap_s = run.s;
            run.u = run.u_pending;
            run.u_pending = swap_u;
            run.s = run.s_pending;
            run.s_pending = swap_s;
        } else {
            /* Curvature not safely positive: keep H (positive definite). */
            result->skipped_updates++;
            CLBFGS_TRY(combine3(&run, run.p, -1.0, run.v, 0, run.v, 0, run.v));
        }
        result->time.hessian += clbfgs__now() - t1;
    }

    CLBFGS_TRY(clbfgs__profile_collect(&run));
    result->time.syncs = run.syncs;
    result->time.device_objective = run.device_time[PHASE_OBJECTIVE];
    result->time.device_hessian = run.device_time[PHASE_HESSIAN];
    result->time.device_other = run.device_time[PHASE_OTHER];
    result->time.device_transfer = run.device_time[PHASE_TRANSFER];
    if (warnflag == 0 && k >= maxiter)
        warnflag = 1;
    result->nit = k;
    result->fun = f;
    CLBFGS_TRY(clbfgs__read_reals(&run, run.x, 0, result->x, n));
    CLBFGS_TRY(clbfgs__read_reals(&run, run.g, 0, result->jac, n));
    if (warnflag == 0 || warnflag == 1) {
        int has_nan = isnan(gnorm) || isnan(f);
        for (size_t i = 0; i < n && !has_nan; i++)
            has_nan = isnan(result->x[i]);
        if (has_nan && warnflag == 0)
            warnflag = 3;
    }
    if (options->return_hess_inv) {
        if (pending)
            CLBFGS_TRY(clbfgs__hessian_update(&run, pa, run.u_pending, pb, run.s_pending));
        result->hess_inv = malloc(n * n * sizeof(double));
        if (!result->hess_inv) {
            status =
                clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the result's hess_inv (n = %zu)", n);
            goto cleanup;
        }
        CLBFGS_TRY(clbfgs__read_reals(&run, run.h, 0, result->hess_inv, n * n));
    }
    result->status = warnflag;
    result->success = warnflag == 0;
    snprintf(result->message, sizeof result->message, "%s", message_of(warnflag));
    on_device = 0;
cleanup:
    if (status != CLBFGS_SUCCESS && on_device) {
        /* Keep the best point and its f and g if the device still answers;
         * the first error's message stands. */
        char *message = clbfgs__strdup(clbfgs_last_error());
        if (clbfgs__read_reals(&run, run.x, 0, run.host_x, n) == CLBFGS_SUCCESS)
            memcpy(result->x, run.host_x, n * sizeof(double));
        if (evaluated && clbfgs__read_reals(&run, run.g, 0, run.host_g, n) == CLBFGS_SUCCESS)
            memcpy(result->jac, run.host_g, n * sizeof(double));
        if (message) /* else a failed read's message stands in for it */
            clbfgs__fail(status, "%s", message);
        free(message);
    }
    if (status != CLBFGS_SUCCESS) {
        result->fun = f;
        result->nit = k;
    }
    result->nfev = run.nfev;
    result->njev = run.njev;
    clbfgs__run_release(&run);
    result->time.total = clbfgs__now() - t_start;
    return status == CLBFGS_SUCCESS ? status : ended_by_error(result, status);
}

void clbfgs_result_free(clbfgs_result *result)
{
    if (!result)
        return;
    free(result->x);
    free(result->jac);
    free(result->hess_inv);
    result->x = result->jac = result->hess_inv = NULL;
}
