/* The BFGS driver: SciPy's control flow on the host, state on the device.
 *
 * One step machine (clbfgs_solver_*) that clbfgs_minimize loops over. It
 * owns the iteration's vectors and the line search, and sees the inverse
 * Hessian only through its operator (hop.h) and the objective only through
 * its interface (objective.h); every command goes through the execution
 * layer (exec.h). docs/ARCHITECTURE.md draws the layers.
 *
 * An iteration waits on the device once when the line search takes its
 * first step: the operator's step kernel leaves every scalar the host needs
 * (gradient norm, step norm, g . p, the first trial step) in the run's
 * scalars and writes the first trial point, the objective is evaluated
 * there at once, and one read brings back all of it together with f and
 * phi' at that trial point. Objectives that run the caller's code (host
 * and device callbacks) are not evaluated before the line search asks, so
 * they see exactly SciPy's evaluations; for them the read comes first. */
#include "config.h"

#include "batch.h"
#include "cl_sources.h"
#include "hop.h"
#include "host_solve.h"
#include "lbfgsb.h"
#include "linesearch.h"
#include "objective.h"

#include <float.h>
#include <stddef.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The size of clbfgs_options in the first release that has struct_size
 * (0.2, not yet out): the whole struct until then. Appending a field after
 * that release leaves this at that release's size; a new field must not start
 * inside that size's tail padding (add an explicit pad first if it would). */
/* 0.2's struct ended at single_kernel: a caller built against it still runs. */
#define OPTIONS_OLDEST offsetof(clbfgs_options, method)

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
    o->method = CLBFGS_METHOD_BFGS;
    o->m = 10;
    o->ftol = 2.220446049250313e-09;
    o->maxfun = 15000;
    o->maxls = 20;
}

void clbfgs_options_init_size(clbfgs_options *options, size_t struct_size)
{
    clbfgs_options defaults;
    options_defaults(&defaults);
    clbfgs__options_init(options, struct_size, &defaults, sizeof defaults);
}

/* A run that an error ended: the result says so in its status (the error's
 * code, negative, apart from SciPy's) and message (the error's detail). */
static clbfgs_status ended_by_error(clbfgs_result *result, clbfgs_status status, const char *why)
{
    result->status = (int)status;
    result->success = 0;
    char full[512]; /* cut to the message's size below, as the header says */
    snprintf(full, sizeof full, "Error: %s: %s", clbfgs_strerror(status),
             why ? why : clbfgs_last_error());
    size_t len = strlen(full);
    len = len < sizeof result->message ? len : sizeof result->message - 1;
    memcpy(result->message, full, len);
    result->message[len] = '\0';
    return status;
}

/* The options and arguments that can be checked without reading x0 or
 * hess_inv0: their sizes come first (check_memory), then their values. */
static clbfgs_status check_arguments(const char *who, const clbfgs_context *ctx,
                                     const clbfgs_objective *objective, size_t n,
                                     const clbfgs_options *o)
{
    if (!ctx || !objective)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: context and objective must not be NULL", who);
    if (n == 0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: n must be at least 1", who);
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
    if (o->single_kernel < -1 || o->single_kernel > 1)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "single_kernel must be -1 (never), 0 (where it can) or 1 (always), "
                            "not %d",
                            o->single_kernel);
    if (!(0 < o->c1 && o->c1 < o->c2 && o->c2 < 1))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the line search needs 0 < c1 < c2 < 1, not c1 = %g, c2 = %g", o->c1,
                            o->c2);
    if (o->method != CLBFGS_METHOD_BFGS && o->method != CLBFGS_METHOD_LBFGSB)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: method must be CLBFGS_METHOD_BFGS (0) or CLBFGS_METHOD_LBFGSB "
                            "(1), not %d",
                            who, (int)o->method);
    if (o->method == CLBFGS_METHOD_BFGS && (o->lower || o->upper))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: bounds (options.lower, options.upper) need method "
                            "CLBFGS_METHOD_LBFGSB; BFGS takes none, as SciPy's",
                            who);
    return CLBFGS_SUCCESS;
}

/* The vectors the driver keeps on the device: x, g, p and the trial's xt, gt. */
enum { DRIVER_VECTORS = 5 };

/* Refuses, before reading x0 or allocating anything, a problem the device
 * cannot hold: every size in bytes is computed in double, so none overflows
 * (n = 2^61 doubles is 2^64 bytes, 0 in size_t). */
static clbfgs_status check_memory(const clbfgs_context *ctx, const clbfgs_objective *objective,
                                  const clbfgs_hop_ops *ops, size_t n_, clbfgs_precision precision)
{
    const clbfgs_device_info *d = &ctx->info;
    const char *real = clbfgs__real_name(precision);
    size_t elem_ = precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    double n = (double)n_, elem = (double)elem_;
    double h_bytes = 0, largest = 0;
    double op = ops->bytes(ctx, n_, elem_, &h_bytes);
    double objective_bytes = clbfgs__objective_bytes(objective, n_, elem_, &largest);
    largest = h_bytes > largest ? h_bytes : largest;
    /* The kernels count in uint; the host holds H as n x n doubles (hess_inv0,
     * the result's hess_inv), and every buffer's size must fit in size_t. */
    if (n_ > (size_t)UINT32_MAX || n * n * (double)sizeof(double) >= (double)SIZE_MAX ||
        largest >= (double)SIZE_MAX)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_DEVICE_MEMORY,
                            "n = %zu is too large: H alone (in %s) needs %.4g bytes, and "
                            "the largest buffer %.4g bytes; n must be at most %u, and no device "
                            "holds that much",
                            n_, real, h_bytes, largest, (unsigned)UINT32_MAX);
    double total = op + DRIVER_VECTORS * n * elem + SLOT_COUNT * elem + objective_bytes;
    if (largest > (double)d->max_alloc_bytes || total > (double)d->global_mem_bytes)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_DEVICE_MEMORY,
                            "n = %zu in %s needs %.0f bytes on the device (H alone %.0f bytes, "
                            "the largest buffer %.0f bytes); '%s' has %llu bytes of global "
                            "memory and allocates at most %llu bytes at once",
                            n_, real, total, h_bytes, largest, d->name,
                            (unsigned long long)d->global_mem_bytes,
                            (unsigned long long)d->max_alloc_bytes);
    return CLBFGS_SUCCESS;
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

/* x0 must be finite and, in float, representable: a value that becomes
 * infinite on the device would make the run's first step NaN. */
static clbfgs_status check_x0(const char *who, const double *x0, size_t n,
                              clbfgs_precision precision)
{
    if (!x0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: x0 must not be NULL", who);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x0[i]))
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: x0[%zu] = %g is not finite", who,
                                i, x0[i]);
        if (precision == CLBFGS_PRECISION_FLOAT && !clbfgs__fits_float(x0[i]))
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "%s: x0[%zu] = %g overflows float (largest %g); "
                                "run in double precision or rescale the problem",
                                who, i, x0[i], (double)FLT_MAX);
    }
    return CLBFGS_SUCCESS;
}

/* hess_inv0, when given: in float within float's range, and SPD. */
static clbfgs_status check_hess_inv0(const char *who, const double *h, size_t n,
                                     clbfgs_precision precision)
{
    if (!h)
        return CLBFGS_SUCCESS;
    for (size_t i = 0; precision == CLBFGS_PRECISION_FLOAT && i < n * n; i++)
        if (!clbfgs__fits_float(h[i]))
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "%s: hess_inv0[%zu][%zu] = %g overflows float "
                                "(largest %g); run in double precision or rescale the problem",
                                who, i / n, i % n, h[i], (double)FLT_MAX);
    return check_spd(h, n);
}

/* ---- the step machine ---- */

enum solver_state { SOLVER_IDLE, SOLVER_RUNNING, SOLVER_STOPPED, SOLVER_FAILED };

struct clbfgs_solver {
    clbfgs_context *ctx;
    const clbfgs_objective *objective;
    size_t n;
    clbfgs_options opts; /* the caller's, read once; hess_inv0 may point at h0 */
    double *h0;          /* a copy of options.hess_inv0 (solvers from clbfgs_solver_new) */
    size_t maxiter;
    clbfgs_ls_params ls_params;
    /* the layers below */
    clbfgs_exec exec;
    clbfgs_eval eval;
    const clbfgs_hop_ops *ops;
    clbfgs_hop *hop;
    int speculate; /* evaluate the first trial point before the host asks */
    cl_kernel trial_scalars, axpy_into, fill;
    size_t wg; /* trial_scalars' work-group */
    cl_mem x, g, p, xt, gt;
    double *host_x, *x0; /* n each: callback copies; the run's starting point */
    /* the run */
    enum solver_state state;
    int on_device; /* x on the device is the best point */
    int evaluated; /* f and g of that point are known */
    int warnflag;
    size_t k, skipped;
    double f, gnorm, step, xnorm, dphi0, alpha0;
    size_t syncs, launches; /* the iterations' counts, kept when the run stops */
    double device_time[PHASE_COUNT];
    int commit_on_stop; /* the result's H has the pending update folded in */
    /* the first trial point, evaluated ahead (speculate) */
    int prefetched;
    double pre_f, pre_dphi;
    size_t spec_nfev, spec_njev;
    clbfgs_status error; /* what ended a failed run, and its message */
    char *error_message; /* a copy of clbfgs_last_error() then, whole (build logs) */
    clbfgs_timings time;
    double built;   /* seconds clbfgs_solver_new took: every run's setup includes them */
    double t_start; /* when the run started, less `built`: the result's total counts from here */
};

/* The message of the error that ended the run. */
static const char *error_message(const clbfgs_solver *s)
{
    return s->error_message ? s->error_message : "(its message was lost: out of host memory)";
}

/* Records an error that ended the run; returns it. */
static clbfgs_status failed(clbfgs_solver *s, clbfgs_status status)
{
    s->state = SOLVER_FAILED;
    s->error = status;
    free(s->error_message);
    s->error_message = clbfgs__strdup(clbfgs_last_error()); /* NULL: said as such below */
    return status;
}

void clbfgs_solver_free(clbfgs_solver *s)
{
    if (!s)
        return;
    clbfgs__eval_release(&s->eval);
    if (s->ops)
        s->ops->free(s->hop);
    cl_kernel kernels[] = {s->trial_scalars, s->axpy_into, s->fill};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i])
            clReleaseKernel(kernels[i]);
    cl_mem bufs[] = {s->x, s->g, s->p, s->xt, s->gt};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    clbfgs__exec_release(&s->exec);
    free(s->host_x);
    free(s->x0);
    free(s->h0);
    free(s->error_message);
    free(s);
}

/* Builds a solver from checked arguments (opts read, precision resolved).
 * copy_h0: keep a copy of hess_inv0 (a solver outlives the caller's options;
 * clbfgs_minimize's run does not, and n x n doubles are worth not copying). */
static clbfgs_status create(clbfgs_solver **out, clbfgs_context *ctx,
                            const clbfgs_objective *objective, size_t n, const clbfgs_options *opts,
                            clbfgs_precision precision, int copy_h0)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    char *source = NULL;
    double t0 = clbfgs__now();
    clbfgs_solver *s = calloc(1, sizeof *s);
    if (!s)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "a solver");
    s->ctx = ctx;
    s->objective = objective;
    s->n = n;
    s->opts = *opts;
    s->ops = &clbfgs__hop_dense;
    s->maxiter = opts->maxiter ? opts->maxiter : 200 * n;
    s->ls_params = (clbfgs_ls_params){opts->c1, opts->c2, 1e-100, 1e100, 1e-14};
    s->speculate = clbfgs__objective_pure(objective);
    s->host_x = malloc(n * sizeof(double));
    s->x0 = malloc(n * sizeof(double));
    if (opts->hess_inv0 && copy_h0) {
        s->h0 = malloc(n * n * sizeof(double));
        if (s->h0)
            memcpy(s->h0, opts->hess_inv0, n * n * sizeof(double));
        s->opts.hess_inv0 = s->h0;
    }
    if (!s->host_x || !s->x0 || (opts->hess_inv0 && !s->opts.hess_inv0)) {
        status =
            clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the solver's host copies (n = %zu)", n);
        goto cleanup;
    }
    CLBFGS_TRY(clbfgs__exec_init(&s->exec, ctx, precision, n));
    const char *parts[] = {clbfgs__cl_norms, clbfgs__cl_iteration};
    source = clbfgs__exec_source(parts, 2);
    if (!source) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the iteration's source");
        goto cleanup;
    }
    cl_program iteration, util;
    CLBFGS_TRY(
        clbfgs__program_get(ctx, "cl/iteration.cl", source, NULL, precision, &iteration, NULL));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, iteration, "trial_scalars", &s->trial_scalars));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, iteration, "axpy_into", &s->axpy_into));
    CLBFGS_TRY(
        clbfgs__program_get(ctx, "cl/util.cl", clbfgs__cl_util, NULL, precision, &util, NULL));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, util, "fill", &s->fill));
    CLBFGS_TRY(clbfgs__exec_group_size(&s->exec, s->trial_scalars, 256, &s->wg));
    cl_mem *vectors[DRIVER_VECTORS] = {&s->x, &s->g, &s->p, &s->xt, &s->gt};
    for (size_t i = 0; i < DRIVER_VECTORS; i++)
        CLBFGS_TRY(clbfgs__exec_buffer(&s->exec, n, vectors[i], "a vector of the iteration"));
    CLBFGS_TRY(s->ops->create(&s->hop, &s->exec, n));
    CLBFGS_TRY(clbfgs__eval_prepare(&s->eval, objective, &s->exec, n, opts->eps));
    s->built = clbfgs__now() - t0;
    *out = s;
    s = NULL;
cleanup:
    free(source);
    clbfgs_solver_free(s);
    return status;
}

clbfgs_status clbfgs_solver_new(clbfgs_solver **solver, clbfgs_context *ctx,
                                clbfgs_objective *objective, size_t n,
                                const clbfgs_options *options)
{
    static const char who[] = "clbfgs_solver_new";
    if (!solver)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: solver must not be NULL", who);
    *solver = NULL;
    clbfgs_options opts;
    options_defaults(&opts);
    clbfgs_status status = CLBFGS_SUCCESS;
    if (options)
        CLBFGS_TRY(
            clbfgs__options_read(&opts, sizeof opts, OPTIONS_OLDEST, options, "clbfgs_options"));
    CLBFGS_TRY(check_arguments(who, ctx, objective, n, &opts));
    if (opts.method != CLBFGS_METHOD_BFGS)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: the step-by-step API runs BFGS; L-BFGS-B runs through "
                            "clbfgs_minimize",
                            who);
    clbfgs_precision precision;
    CLBFGS_TRY(clbfgs__resolve_precision(ctx, opts.precision, &precision));
    CLBFGS_TRY(check_memory(ctx, objective, &clbfgs__hop_dense, n, precision));
    CLBFGS_TRY(check_hess_inv0(who, opts.hess_inv0, n, precision));
    CLBFGS_TRY(create(solver, ctx, objective, n, &opts, precision, 1));
cleanup:
    return status;
}

/* Fills a vector with NaN, so a kernel that forgets to write shows up. */
static clbfgs_status poison(clbfgs_solver *s, cl_mem buf)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    CLBFGS_TRY(clbfgs__exec_arg_mem(&s->exec, s->fill, 0, buf));
    CLBFGS_TRY(clbfgs__exec_arg_real(&s->exec, s->fill, 1, (double)NAN));
    CLBFGS_TRY(clbfgs__exec_arg_uint(&s->exec, s->fill, 2, (cl_uint)s->n));
    CLBFGS_TRY(clbfgs__exec_launch_1d(&s->exec, s->fill, s->n, "fill"));
cleanup:
    return status;
}

/* f and phi' at the trial point in (xt, gt): the objective, then the
 * kernel that sums its terms and forms gt . p. Nothing is read. */
static clbfgs_status evaluate(clbfgs_solver *s, cl_mem x, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = &s->exec;
    clbfgs_terms terms;
    CLBFGS_TRY(clbfgs__eval(&s->eval, x, g, &terms));
    cl_kernel k = s->trial_scalars;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, e->scalars));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, terms.terms ? terms.terms : g));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 2, (cl_uint)terms.count));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 3, g));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 4, s->p));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 5, (cl_uint)s->n));
    CLBFGS_TRY(clbfgs__exec_arg_local(e, k, 6, 2 * s->wg));
    CLBFGS_TRY(clbfgs__exec_launch_groups(e, k, 1, s->wg, "trial_scalars"));
cleanup:
    return status;
}

/* After the operator's start or step: the first trial point evaluated
 * ahead where allowed, then every scalar in one read. */
static clbfgs_status read_iteration(clbfgs_solver *s, double *sc)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    s->prefetched = 0;
    s->spec_nfev = s->spec_njev = 0;
    if (s->speculate) {
        size_t nfev = s->eval.nfev, njev = s->eval.njev;
        CLBFGS_TRY(evaluate(s, s->xt, s->gt));
        s->spec_nfev = s->eval.nfev - nfev;
        s->spec_njev = s->eval.njev - njev;
    }
    CLBFGS_TRY(clbfgs__exec_read_scalars(&s->exec, sc));
    s->prefetched = s->speculate;
    s->pre_f = sc[SLOT_F];
    s->pre_dphi = sc[SLOT_DPHI];
    s->gnorm = sc[SLOT_GNORM];
    s->xnorm = sc[SLOT_XNORM];
    s->dphi0 = sc[SLOT_DPHI0];
    s->alpha0 = sc[SLOT_ALPHA0];
cleanup:
    return status;
}

/* An evaluation made ahead that the run did not use: SciPy never made it. */
static void drop_prefetch(clbfgs_solver *s)
{
    s->eval.nfev -= s->spec_nfev;
    s->eval.njev -= s->spec_njev;
    s->spec_nfev = s->spec_njev = 0;
    s->prefetched = 0;
}

clbfgs_status clbfgs_solver_start(clbfgs_solver *s, const double *x0)
{
    static const char who[] = "clbfgs_solver_start";
    if (!s)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: solver must not be NULL", who);
    clbfgs_status status = check_x0(who, x0, s->n, s->exec.precision);
    if (status != CLBFGS_SUCCESS)
        return status; /* the solver is as it was */
    double t0 = clbfgs__now();
    memset(&s->time, 0, sizeof s->time);
    s->t_start = t0 - s->built;
    s->state = SOLVER_RUNNING;
    s->on_device = s->evaluated = s->prefetched = 0;
    /* per run: a reduce function may have been set since the solver was made */
    s->speculate = clbfgs__objective_pure(s->objective);
    s->warnflag = 0;
    s->k = s->skipped = 0;
    s->f = s->gnorm = (double)NAN;
    s->step = s->xnorm = 0;
    s->eval.nfev = s->eval.njev = 0;
    s->spec_nfev = s->spec_njev = 0;
    memcpy(s->x0, x0, s->n * sizeof(double));
    double sc[SLOT_COUNT];
    CLBFGS_TRY(clbfgs__exec_reset_counts(&s->exec)); /* none of a previous run's */

    CLBFGS_TRY(clbfgs__exec_write_reals(&s->exec, s->x, 0, x0, s->n));
    s->on_device = 1;
    cl_mem work[] = {s->g, s->p, s->xt, s->gt};
    for (size_t i = 0; i < sizeof work / sizeof work[0]; i++)
        CLBFGS_TRY(poison(s, work[i]));
    CLBFGS_TRY(s->ops->reset(s->hop, s->opts.hess_inv0));
    CLBFGS_TRY(evaluate(s, s->x, s->g));
    clbfgs_hop_args a = {s->x, s->g, NULL, s->p, s->xt, 0, 0, s->opts.norm, s->speculate};
    CLBFGS_TRY(s->ops->start(s->hop, &a));
    CLBFGS_TRY(read_iteration(s, sc));
    s->f = sc[SLOT_FX];
    s->evaluated = 1;
    if (!isfinite(s->f) || !isfinite(s->gnorm))
        s->warnflag = 3; /* nothing to descend from */
    /* The counts below are the iterations' (the last read left nothing in flight). */
    CLBFGS_TRY(clbfgs__exec_reset_counts(&s->exec));
    s->time.setup = s->built + clbfgs__now() - t0;
cleanup:
    return status == CLBFGS_SUCCESS ? status : failed(s, status);
}

/* phi(alpha) = f(x + alpha p), phi'(alpha) = g(x + alpha p) . p, into xt,
 * gt: one sync, or none for the first trial point when it was evaluated
 * ahead. */
static int phi(void *user, double alpha, double *f, double *dphi)
{
    clbfgs_solver *s = user;
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_exec *e = &s->exec;
    if (s->prefetched) {
        if (alpha == s->alpha0) {
            s->prefetched = 0;
            s->spec_nfev = s->spec_njev = 0; /* used: SciPy made it too */
            *f = s->pre_f;
            *dphi = s->pre_dphi;
            return 0;
        }
        drop_prefetch(s);
    }
    cl_kernel k = s->axpy_into;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, s->xt));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, s->x));
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, 2, alpha));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 3, s->p));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 4, (cl_uint)s->n));
    CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, s->n, "axpy_into"));
    CLBFGS_TRY(evaluate(s, s->xt, s->gt));
    double both[2];
    CLBFGS_TRY(clbfgs__exec_read_reals(e, e->scalars, SLOT_F, both, 2));
    *f = both[0];
    *dphi = both[1];
cleanup:
    s->error = status;
    return status != CLBFGS_SUCCESS;
}

/* Ends the run with SciPy's status, as its BFGS sets it after the loop:
 * precision loss (2) and a stop by the callback (99) stand; otherwise the
 * iteration limit, once reached, is status 1 even if the tests also held;
 * a NaN in f, the gradient norm or x turns success into 3. The last check
 * needs x on the host: its read is not counted with the iterations'.
 * after_update: whether SciPy had made the H update the device holds
 * pending (the loop ended by its own test, or the line search failed at
 * the top of an iteration) or not (a test after the step stopped the run
 * before SciPy's update). */
static clbfgs_status stop(clbfgs_solver *s, int warnflag, int after_update)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    drop_prefetch(s);
    if (warnflag == 0 && s->k >= s->maxiter)
        warnflag = 1;
    s->warnflag = warnflag;
    s->state = SOLVER_STOPPED;
    s->commit_on_stop = after_update;
    CLBFGS_TRY(clbfgs__exec_finish(&s->exec)); /* the device times, collected */
    s->syncs = s->exec.syncs;
    s->launches = s->exec.launches;
    memcpy(s->device_time, s->exec.device_time, sizeof s->device_time);
    if (warnflag == 0) {
        int has_nan = isnan(s->gnorm) || isnan(s->f);
        if (!has_nan) {
            CLBFGS_TRY(clbfgs__exec_read_reals(&s->exec, s->x, 0, s->host_x, s->n));
            for (size_t i = 0; i < s->n && !has_nan; i++)
                has_nan = isnan(s->host_x[i]);
        }
        if (has_nan)
            s->warnflag = 3;
    }
cleanup:
    return status == CLBFGS_SUCCESS ? status : failed(s, status);
}

/* The loop's own test, before an iteration: SciPy's while condition. */
static int loop_ends(const clbfgs_solver *s)
{
    return s->warnflag != 0 || !(s->gnorm > s->opts.gtol) || s->k >= s->maxiter;
}

static clbfgs_status iterate(clbfgs_solver *s, int *stopped)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const clbfgs_options *o = &s->opts;
    double sc[SLOT_COUNT];
    if (loop_ends(s)) {
        *stopped = 1;
        return stop(s, s->warnflag, 1);
    }
    double t0 = clbfgs__now();
    clbfgs_ls_result ls;
    s->error = CLBFGS_SUCCESS;
    clbfgs_ls_outcome out =
        clbfgs__line_search_from(phi, s, s->f, s->dphi0, s->alpha0, &s->ls_params, &ls);
    if (out == CLBFGS_LS_ABORTED)
        return s->error;
    if (out == CLBFGS_LS_OK && ls.last_alpha != ls.alpha) {
        /* xt and gt must hold the accepted point. */
        double fa, da;
        if (phi(s, ls.alpha, &fa, &da) != 0)
            return s->error;
    }
    s->time.line_search += clbfgs__now() - t0;
    if (out == CLBFGS_LS_FAILED) {
        *stopped = 1;
        return stop(s, 2, 1);
    }

    double t1 = clbfgs__now();
    /* x, g take the new point; the old gradient stays in gt for y. */
    cl_mem swap = s->x;
    s->x = s->xt;
    s->xt = swap;
    swap = s->g;
    s->g = s->gt;
    s->gt = swap;
    double f_prev = s->f;
    s->f = ls.phi;
    s->k++;
    clbfgs_hop_args a = {s->x, s->g, s->gt, s->p, s->xt, ls.alpha, f_prev, o->norm, s->speculate};
    CLBFGS_TRY(s->ops->step(s->hop, &a));
    CLBFGS_TRY(read_iteration(s, sc));
    s->step = ls.alpha * sc[SLOT_PNORM];
    s->time.hessian += clbfgs__now() - t1;

    if (o->callback) {
        double t2 = clbfgs__now();
        CLBFGS_TRY(clbfgs__exec_read_reals(&s->exec, s->x, 0, s->host_x, s->n));
        clbfgs_iterate it = {s->k,      s->f, s->gnorm, s->step, s->eval.nfev - s->spec_nfev,
                             s->host_x, s->n};
        int halt;
        status = clbfgs__iteration_callback(o, &it, &halt);
        s->time.callback += clbfgs__now() - t2;
        if (status != CLBFGS_SUCCESS)
            goto cleanup;
        if (halt) {
            *stopped = 1;
            return stop(s, 99, 0);
        }
    }
    /* SciPy's tests after a step, in its order; ||x|| counts only when xrtol > 0. */
    double xbound = o->xrtol > 0 ? o->xrtol * (o->xrtol + s->xnorm) : 0;
    if (s->gnorm <= o->gtol || s->step <= xbound) {
        *stopped = 1;
        return stop(s, 0, 0);
    }
    if (!isfinite(s->f)) {
        *stopped = 1;
        return stop(s, 2, 0);
    }
    /* The update was made (pending) or skipped; SciPy decides it here. */
    s->skipped += (size_t)s->ops->skipped(s->hop, sc);
    if (loop_ends(s)) {
        *stopped = 1;
        return stop(s, s->warnflag, 1);
    }
cleanup:
    return status;
}

clbfgs_status clbfgs_solver_iterate(clbfgs_solver *s, int *stopped)
{
    static const char who[] = "clbfgs_solver_iterate";
    if (!s || !stopped)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: solver and stopped must not be NULL",
                            who);
    *stopped = s->state != SOLVER_RUNNING;
    switch (s->state) {
    case SOLVER_IDLE:
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: no run has started; call clbfgs_solver_start first", who);
    case SOLVER_STOPPED:
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: the run has stopped (status %d: %s); take its result, or call "
                            "clbfgs_solver_start for a new run",
                            who, s->warnflag, clbfgs_status_message(s->warnflag));
    case SOLVER_FAILED:
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: the run ended with an error (%s: %s); call clbfgs_solver_start "
                            "for a new run",
                            who, clbfgs_strerror(s->error), error_message(s));
    case SOLVER_RUNNING: break;
    }
    clbfgs_status status = iterate(s, stopped);
    if (status != CLBFGS_SUCCESS && s->state != SOLVER_FAILED)
        failed(s, status);
    if (status != CLBFGS_SUCCESS)
        *stopped = 1;
    return status;
}

clbfgs_status clbfgs_solver_x(clbfgs_solver *s, double *x)
{
    if (!s || !x)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "clbfgs_solver_x: solver and x must not "
                                                         "be NULL");
    if (s->state == SOLVER_IDLE)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_solver_x: no run has started; call clbfgs_solver_start first");
    if (!s->on_device) {
        memcpy(x, s->x0, s->n * sizeof(double));
        return CLBFGS_SUCCESS;
    }
    return clbfgs__exec_read_reals(&s->exec, s->x, 0, x, s->n);
}

/* The result of a failed run: the best point and its f and g if the device
 * still answers; the error's own message stands. */
static void failed_result(clbfgs_solver *s, clbfgs_result *r)
{
    if (s->on_device &&
        clbfgs__exec_read_reals(&s->exec, s->x, 0, s->host_x, s->n) == CLBFGS_SUCCESS)
        memcpy(r->x, s->host_x, s->n * sizeof(double));
    if (s->on_device && s->evaluated &&
        clbfgs__exec_read_reals(&s->exec, s->g, 0, s->host_x, s->n) == CLBFGS_SUCCESS)
        memcpy(r->jac, s->host_x, s->n * sizeof(double));
    r->fun = s->evaluated ? s->f : (double)NAN;
    ended_by_error(r, s->error, error_message(s));
}

clbfgs_status clbfgs_solver_result(clbfgs_solver *s, clbfgs_result *r)
{
    static const char who[] = "clbfgs_solver_result";
    if (!r)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: result must not be NULL", who);
    memset(r, 0, sizeof *r);
    if (!s)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: solver must not be NULL", who);
    if (s->state == SOLVER_IDLE)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: no run has started; call clbfgs_solver_start first", who);
    clbfgs_status status = CLBFGS_SUCCESS;
    size_t n = s->n;
    r->n = n;
    r->precision = s->exec.precision;
    r->x = malloc(n * sizeof(double));
    r->jac = malloc(n * sizeof(double));
    if (!r->x || !r->jac) {
        clbfgs_result_free(r);
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the result's x and jac (n = %zu)", n);
    }
    memcpy(r->x, s->x0, n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        r->jac[i] = (double)NAN;
    r->fun = (double)NAN;
    r->nit = s->k;
    r->nfev = s->eval.nfev - s->spec_nfev;
    r->njev = s->eval.njev - s->spec_njev;
    r->skipped_updates = s->skipped;
    r->time = s->time;
    int counted = s->state == SOLVER_STOPPED;
    /* A failed run's device may not answer: its counts are what they are. */
    if (!counted && s->state != SOLVER_FAILED)
        CLBFGS_TRY(clbfgs__exec_finish(&s->exec));
    const double *device = counted ? s->device_time : s->exec.device_time;
    r->time.syncs = counted ? s->syncs : s->exec.syncs;
    r->time.launches = counted ? s->launches : s->exec.launches;
    r->time.device_objective = device[PHASE_OBJECTIVE];
    r->time.device_hessian = device[PHASE_HESSIAN];
    r->time.device_other = device[PHASE_OTHER];
    r->time.device_transfer = device[PHASE_TRANSFER];
    r->time.hessian_bytes = s->hop ? s->ops->moved(s->hop) : 0;
    if (s->state == SOLVER_FAILED) {
        failed_result(s, r);
        r->time.total = clbfgs__now() - s->t_start;
        clbfgs__fail(s->error, "%s", error_message(s)); /* not a failed read's */
        return CLBFGS_SUCCESS;
    }
    int running = s->state == SOLVER_RUNNING;
    r->fun = s->f;
    CLBFGS_TRY(clbfgs__exec_read_reals(&s->exec, s->x, 0, r->x, n));
    CLBFGS_TRY(clbfgs__exec_read_reals(&s->exec, s->g, 0, r->jac, n));
    if (s->opts.return_hess_inv) {
        r->hess_inv = malloc(n * n * sizeof(double));
        if (!r->hess_inv) {
            status =
                clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the result's hess_inv (n = %zu)", n);
            goto cleanup;
        }
        /* SciPy's H has the pending update in a run that goes on, and in one
         * that stopped where SciPy had made it (see stop()). */
        CLBFGS_TRY(s->ops->matrix(s->hop, running || s->commit_on_stop, r->hess_inv));
    }
    r->status = running ? 99 : s->warnflag;
    r->success = r->status == 0;
    snprintf(r->message, sizeof r->message, "%s",
             running ? "Stopped by the caller." : clbfgs_status_message(s->warnflag));
    r->time.total = clbfgs__now() - s->t_start;
cleanup:
    if (status != CLBFGS_SUCCESS)
        ended_by_error(r, status, NULL);
    return status;
}

/* An error before any run's point existed: the result holds x0, with f
 * and the gradient unknown (NaN); out of memory, no arrays. */
static void result_at_x0(clbfgs_result *result, size_t n, const double *x0)
{
    result->x = malloc(n * sizeof(double));
    result->jac = malloc(n * sizeof(double));
    if (result->x && result->jac) {
        memcpy(result->x, x0, n * sizeof(double));
        for (size_t i = 0; i < n; i++)
            result->jac[i] = (double)NAN;
    } else {
        clbfgs_result_free(result);
    }
    result->fun = (double)NAN;
}

/* ---- the one-kernel solve (batch.c) ---- */

/* The most item evaluations per point (m, times n + 1 by differences) for
 * which clbfgs_minimize chooses the one-kernel solve by itself. */
#define SINGLE_KERNEL_MAX_WORK 4096.0
/* ... and the largest n: past it one work-item's O(n^2) H work loses to the
 * host-driven run's parallel H pass. */
#define SINGLE_KERNEL_MAX_N 64

/* Why a run cannot be one kernel, or NULL: what only the host-driven run
 * does. The objective's own reasons come from clbfgs__batch_form. */
static const char *single_kernel_refusal(const clbfgs_options *o)
{
    if (o->callback)
        return "a callback runs after every iteration on the host";
    if (o->hess_inv0)
        return "hess_inv0 is not taken by it";
    if (o->return_hess_inv)
        return "return_hess_inv: it keeps no H to return";
    return NULL;
}

/* clbfgs_minimize as one kernel, where options.single_kernel allows and the
 * objective and options can (*used = 1); with single_kernel = 1, an error
 * that says why not. A result it fills is clbfgs_minimize's in every field
 * it has (one launch: no iterations' syncs, no device times). */
static clbfgs_status single_kernel(clbfgs_context *ctx, const clbfgs_objective *objective, size_t n,
                                   const double *x0, const clbfgs_options *o,
                                   clbfgs_precision precision, clbfgs_result *result, int *used)
{
    static const char who[] = "clbfgs_minimize (options.single_kernel = 1)";
    *used = 0;
    const char *why = single_kernel_refusal(o);
    if (why)
        return o->single_kernel == 1
                   ? clbfgs__fail(CLBFGS_ERR_UNSUPPORTED, "%s: the one-kernel solve cannot run: %s",
                                  who, why)
                   : CLBFGS_SUCCESS;
    struct clbfgs_function_form form;
    clbfgs_status status = clbfgs__batch_form(objective, n, who, &form);
    if (status != CLBFGS_SUCCESS)
        return o->single_kernel == 1 ? status : CLBFGS_SUCCESS;
    /* one work-item adds up every item: past a few thousand item
     * evaluations per point the data-parallel kernels win (on pocl an
     * iteration's round trips cost about what 10^4 simple items do) */
    double work = (double)form.m * (form.gradient ? 1.0 : (double)n + 1.0);
    if (o->single_kernel == 0 && (work > SINGLE_KERNEL_MAX_WORK || n > SINGLE_KERNEL_MAX_N))
        return CLBFGS_SUCCESS;
    clbfgs_batch_result b;
    memset(&b, 0, sizeof b);
    status = clbfgs__batch_run(ctx, &form, n, 1, x0, o, precision, &b);
    if (status != CLBFGS_SUCCESS && o->single_kernel == 0) {
        /* chosen, not asked for: the host-driven run takes over */
        clbfgs__log(ctx, CLBFGS_LOG_INFO,
                    "the one-kernel solve failed (%s: %.300s); the run goes on host-driven",
                    clbfgs_strerror(status), clbfgs_last_error());
        return CLBFGS_SUCCESS;
    }
    *used = 1;
    result->n = n;
    result->precision = precision;
    if (status != CLBFGS_SUCCESS) {
        result_at_x0(result, n, x0);
        return ended_by_error(result, status, NULL);
    }
    result->x = b.x;
    result->jac = b.jac;
    b.x = b.jac = NULL;
    result->fun = b.fun[0];
    result->nit = b.nit[0];
    result->nfev = b.nfev[0];
    result->njev = b.njev[0];
    result->status = b.status[0];
    result->success = result->status == 0;
    snprintf(result->message, sizeof result->message, "%s", clbfgs_status_message(result->status));
    result->skipped_updates = b.skipped_updates;
    result->time.setup = b.setup;
    result->time.launches = 1;
    clbfgs_batch_result_free(&b);
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs_minimize_batch(clbfgs_context *ctx, clbfgs_objective *objective, size_t n,
                                    size_t P, const double *x0, const clbfgs_options *options,
                                    clbfgs_batch_result *result)
{
    static const char who[] = "clbfgs_minimize_batch";
    double t0 = clbfgs__now();
    if (!result)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: result must not be NULL", who);
    memset(result, 0, sizeof *result);
    clbfgs_options opts;
    options_defaults(&opts);
    clbfgs_status status = CLBFGS_SUCCESS;
    if (options)
        CLBFGS_TRY(
            clbfgs__options_read(&opts, sizeof opts, OPTIONS_OLDEST, options, "clbfgs_options"));
    CLBFGS_TRY(check_arguments(who, ctx, objective, n, &opts));
    if (opts.method != CLBFGS_METHOD_BFGS)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: batches run BFGS, not L-BFGS-B",
                            who);
    if (P == 0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: P = 0: a batch needs at least one "
                            "problem",
                            who);
    if (!x0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: x0 must not be NULL", who);
    const char *why = single_kernel_refusal(&opts);
    if (why)
        return clbfgs__fail(CLBFGS_ERR_UNSUPPORTED, "%s: %s", who, why);
    if (opts.single_kernel == -1)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: options.single_kernel = -1, but a batch is one kernel", who);
    clbfgs_precision precision;
    CLBFGS_TRY(clbfgs__resolve_precision(ctx, opts.precision, &precision));
    result->precision = precision;
    /* the kernel counts problems and their elements in uint */
    if (P > (size_t)INT32_MAX || (double)P * (double)n > (double)UINT32_MAX)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: P = %zu problems of n = %zu: at most %d problems and %u values "
                            "in one batch",
                            who, P, n, INT32_MAX, (unsigned)UINT32_MAX);
    for (size_t p = 0; p < P; p++) {
        char where[64];
        snprintf(where, sizeof where, "%s: problem %zu", who, p);
        CLBFGS_TRY(check_x0(where, x0 + p * n, n, precision));
    }
    struct clbfgs_function_form form;
    CLBFGS_TRY(clbfgs__batch_form(objective, n, who, &form));
    CLBFGS_TRY(clbfgs__batch_run(ctx, &form, n, P, x0, &opts, precision, result));
    result->total = clbfgs__now() - t0;
cleanup:
    return status;
}

/* ---- clbfgs_minimize: a loop over the step machine ---- */

clbfgs_status clbfgs_minimize(clbfgs_context *ctx, clbfgs_objective *objective, size_t n,
                              const double *x0, const clbfgs_options *options,
                              clbfgs_result *result)
{
    static const char who[] = "clbfgs_minimize";
    double t_start = clbfgs__now();
    if (!result)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: result must not be NULL", who);
    memset(result, 0, sizeof *result);
    clbfgs_options opts;
    options_defaults(&opts);
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_solver *s = NULL;
    if (options)
        CLBFGS_TRY(
            clbfgs__options_read(&opts, sizeof opts, OPTIONS_OLDEST, options, "clbfgs_options"));
    CLBFGS_TRY(check_arguments(who, ctx, objective, n, &opts));
    if (!x0) {
        status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: x0 must not be NULL", who);
        goto cleanup;
    }
    clbfgs_precision precision;
    CLBFGS_TRY(clbfgs__resolve_precision(ctx, opts.precision, &precision));
    result->precision = precision;
    if (opts.method == CLBFGS_METHOD_LBFGSB) {
        CLBFGS_TRY(clbfgs__lbfgsb_check(who, &opts, n));
        CLBFGS_TRY(check_x0(who, x0, n, precision));
        return clbfgs__lbfgsb_minimize(ctx, objective, n, x0, &opts, precision, result);
    }
    /* Sizes before values: n may be too large to read x0 by. */
    CLBFGS_TRY(check_memory(ctx, objective, &clbfgs__hop_dense, n, precision));
    CLBFGS_TRY(check_x0(who, x0, n, precision));
    CLBFGS_TRY(check_hess_inv0(who, opts.hess_inv0, n, precision));

    if (clbfgs__host_solve_fits(objective, n, &opts, precision)) {
        clbfgs__log(ctx, CLBFGS_LOG_DEBUG,
                    "a host objective at n = %zu: the whole run on the host (single_kernel = -1 "
                    "keeps it on the device)",
                    n);
        status = clbfgs__host_solve(objective, n, x0, &opts, result);
        result->time.total = clbfgs__now() - t_start;
        return status == CLBFGS_SUCCESS ? status : ended_by_error(result, status, NULL);
    }
    if (opts.single_kernel != -1) {
        int used = 0;
        status = single_kernel(ctx, objective, n, x0, &opts, precision, result, &used);
        if (!used && status != CLBFGS_SUCCESS) /* refused with single_kernel = 1 */
            goto cleanup;
        if (used) {
            result->time.total = clbfgs__now() - t_start;
            return status;
        }
    }
    /* From here the result holds x0 at least, so even an early error leaves a point. */
    status = create(&s, ctx, objective, n, &opts, precision, 0);
    if (status == CLBFGS_SUCCESS)
        status = clbfgs_solver_start(s, x0);
    int stopped = 0;
    while (status == CLBFGS_SUCCESS && !stopped)
        status = clbfgs_solver_iterate(s, &stopped);
    if (s) {
        clbfgs_status got = clbfgs_solver_result(s, result);
        status = status != CLBFGS_SUCCESS ? status : got;
    } else { /* nothing since the error has touched its message */
        result->n = n;
        result_at_x0(result, n, x0);
        ended_by_error(result, status, NULL);
    }
    if (s && s->state == SOLVER_FAILED) /* the first error's message stands */
        clbfgs__fail(status, "%s", error_message(s));
    clbfgs_solver_free(s);
    result->time.total = clbfgs__now() - t_start;
    return status;
cleanup:
    return ended_by_error(result, status, NULL);
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
