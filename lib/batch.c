/* The one-kernel solve: whole BFGS runs on the device, one problem per
 * work-item (cl/batch.cl says how), for batches of independent problems
 * (clbfgs_minimize_batch) and for a single small problem, which
 * clbfgs_minimize hands here where it can (clbfgs__single_kernel).
 *
 * The objective is compiled in as a function: a term objective's function
 * or a built-in's function form (objective_internal.h). Each work-item's H
 * lives in __local memory where the device has room for a work-group's
 * worth, else in a global buffer (said in the log at INFO). The host writes
 * the starting points and the options, launches one kernel, and reads the
 * results: no round trip per iteration. */
#include "config.h"

#include "batch.h"
#include "cl_sources.h"
#include "includes.h"
#include "kernel_args.h"
#include "objective_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to this n a work-item's vectors are private arrays (registers on a
 * GPU, the stack on a CPU); past it all but x, the trial point and an item's
 * gradient (private by the term function's contract) go to global memory. */
#define BATCH_NARROW_N 64
/* The largest n, where those three private arrays of n stop fitting (the
 * term objectives' limit too). */
#define BATCH_MAX_N 1024
/* The kernel's own arguments before the function's data arguments. */
#define BATCH_FIXED_ARGS 11
/* Per problem, the counts the kernel writes (cl/batch.cl's OUT_*). */
enum { OUT_STATUS, OUT_NIT, OUT_NFEV, OUT_NJEV, OUT_SKIPPED, OUT_COUNT };
/* The options it reads (cl/batch.cl's OPT_*). */
enum { OPT_GTOL, OPT_NORM, OPT_XRTOL, OPT_C1, OPT_C2, OPT_COUNT };

void clbfgs_batch_result_free(clbfgs_batch_result *r)
{
    if (!r)
        return;
    free(r->x);
    free(r->fun);
    free(r->jac);
    free(r->nit);
    free(r->nfev);
    free(r->njev);
    free(r->status);
    r->x = r->fun = r->jac = NULL;
    r->nit = r->nfev = r->njev = NULL;
    r->status = NULL;
}

clbfgs_status clbfgs__batch_form(const clbfgs_objective *objective, size_t n, const char *who,
                                 struct clbfgs_function_form *form)
{
    if (!objective->ops->function_form)
        return clbfgs__fail(CLBFGS_ERR_UNSUPPORTED,
                            "%s: a %s objective is not a function the library can compile into "
                            "one kernel; the one-kernel solve takes term objectives "
                            "(clbfgs_objective_terms) and the built-ins rosen, ext-rosenbrock "
                            "and quadratic",
                            who, objective->ops->name);
    if (objective->reduce)
        return clbfgs__fail(CLBFGS_ERR_UNSUPPORTED,
                            "%s: the objective has a reduce function "
                            "(clbfgs_objective_set_reduce), which runs between evaluations on "
                            "the host, so it cannot run in the one-kernel solve",
                            who);
    if (n > BATCH_MAX_N)
        return clbfgs__fail(CLBFGS_ERR_UNSUPPORTED,
                            "%s: the one-kernel solve takes n up to %d (each work-item holds "
                            "x, a trial point and an item's gradient in private memory), not "
                            "n = %zu",
                            who, BATCH_MAX_N, n);
    memset(form, 0, sizeof *form);
    clbfgs_status status = objective->ops->function_form(objective->data, n, form);
    if (status != CLBFGS_SUCCESS)
        return status;
    if (form->nargs != form->nparams)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the term function '%s' in %s declares %u data arguments (\"%s\") "
                            "but %u were set",
                            form->function, form->name, form->nparams,
                            form->args_decl ? form->args_decl : "", form->nargs);
    return CLBFGS_SUCCESS;
}

/* The function's call for item i of problem clbfgs_prob: its data
 * arguments by name, a per-problem one offset to the problem's block. */
static char *call_args(const struct clbfgs_function_form *form)
{
    size_t len = form->args_names ? strlen(form->args_names) : 0;
    size_t cap = 2 * len + form->nparams * 64 + 1;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    const char *p = form->args_names;
    for (unsigned k = 0; p && k < form->nparams; k++) {
        size_t id = strcspn(p, ",");
        size_t used = strlen(out);
        if (form->per_problem && form->per_problem[k])
            snprintf(out + used, cap - used, ", %.*s + clbfgs_prob * (size_t)%zu", (int)id, p,
                     form->per_problem[k]);
        else
            snprintf(out + used, cap - used, ", %.*s", (int)id, p);
        p += id;
        p += strspn(p, ", ");
    }
    return out;
}

/* The program: the function's source (its own name and lines), then the
 * library's definitions, the line search, the norms and cl/batch.cl. */
static char *batch_source(const struct clbfgs_function_form *form, size_t n, double eps, int hlocal,
                          size_t wg)
{
    char *calls = call_args(form);
    const char *decl = form->args_decl ? form->args_decl : "";
    const char *names = form->args_names ? form->args_names : "";
    const char *sep = form->nparams ? ", " : "";
    char *defines =
        calls ? clbfgs__strdup_printf(
                    "#line 1 \"clbfgs-batch (generated)\"\n"
                    "#define ls_real real\n#define CLBFGS_BATCH_WG %zu\n#define CLBFGS_HLOCAL %d\n"
                    "#define CLBFGS_VWIDE %d\n"
                    "#define CLBFGS_EPS ((real)%.17g)\n#define CLBFGS_GRADIENT %d\n"
                    "#define CLBFGS_LSQ %d\n#define CLBFGS_TERM_PARAMS %s%s\n"
                    "#define CLBFGS_TERM_NAMES %s%s\n"
                    "#define CLBFGS_BATCH_TERM(i, x%s) %s(i, x%s%s)\n",
                    wg, hlocal, n > BATCH_NARROW_N, eps, form->gradient, form->least_squares, sep,
                    decl, sep, names, form->gradient ? ", g" : "", form->function,
                    form->gradient ? ", g" : "", calls)
              : NULL;
    const char *parts[] = {defines, clbfgs__cl_linesearch, clbfgs__cl_norms, clbfgs__cl_term_sums,
                           clbfgs__cl_batch};
    char *generated = defines ? clbfgs__exec_source(parts, 5) : NULL;
    /* a name that cannot sit in a #line string is left out of it */
    const char *line_name = strpbrk(form->name, "\"\\\n\r") ? "terms.cl" : form->name;
    char *source = generated ? clbfgs__strdup_printf("#define CLBFGS_N %zu\n#line 1 \"%s\"\n%s\n%s",
                                                     n, line_name, form->source, generated)
                             : NULL;
    free(calls);
    free(defines);
    free(generated);
    return source;
}

static clbfgs_status build_hint(const struct clbfgs_function_form *form);

/* The programs of the one-kernel solve this context has, by their whole
 * source and options: a small problem's clbfgs_minimize finds its program
 * here in microseconds, where the program cache's lookup (which lists the
 * source's headers) takes about a millisecond on this source. Sources with
 * an #include go through the program cache every time: a header may change. */
struct clbfgs_batch_memo {
    char *key;
    size_t len;
    cl_program program; /* retained by the memo, released by clbfgs__batch_memo_free */
    struct clbfgs_batch_memo *next;
};

void clbfgs__batch_memo_free(clbfgs_context *ctx)
{
    while (ctx->batch_programs) {
        struct clbfgs_batch_memo *m = ctx->batch_programs;
        ctx->batch_programs = m->next;
        clReleaseProgram(m->program);
        free(m->key);
        free(m);
    }
}

static clbfgs_status batch_program(clbfgs_context *ctx, const struct clbfgs_function_form *form,
                                   const char *source, const char *options,
                                   clbfgs_precision precision, int from_source, cl_program *program)
{
    char *key = clbfgs__strdup_printf("%d %s\n%s", (int)precision, options, source);
    if (!key)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the one-kernel solve's program");
    size_t len = strlen(key);
    for (struct clbfgs_batch_memo *m = ctx->batch_programs; m; m = m->next)
        if (m->len == len && memcmp(m->key, key, len) == 0) {
            free(key);
            *program = m->program;
            return CLBFGS_SUCCESS;
        }
    clbfgs_status status =
        clbfgs__program_get_flags(ctx, form->name, source, options, precision,
                                  from_source ? CLBFGS__PROGRAM_FROM_SOURCE : 0, program, NULL);
    if (status == CLBFGS_ERR_BUILD && strstr(clbfgs_last_error(), "clbfgs-batch (generated)"))
        status = build_hint(form);
    /* a header, or a build option that reads files, may change under the
     * same source: then the program cache decides every time */
    int fixed = !clbfgs__includes_present(source) && !clbfgs__reads_file_option(options) &&
                !clbfgs__reads_file_option(ctx->build_options);
    struct clbfgs_batch_memo *m = NULL;
    if (status == CLBFGS_SUCCESS && fixed && (m = malloc(sizeof *m))) {
        clRetainProgram(*program); /* the memo's own reference */
        m->key = key;
        m->len = len;
        m->program = *program;
        m->next = ctx->batch_programs;
        ctx->batch_programs = m;
        key = NULL;
    }
    free(key);
    return status;
}

/* Where H goes, and how many problems run at once. */
struct plan {
    int hlocal;
    size_t wg, groups;
};

static clbfgs_status make_plan(clbfgs_context *ctx, size_t n, size_t P, size_t elem,
                               struct plan *plan)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    cl_ulong local = 0;
    CLBFGS_CL_TRY(
        ctx,
        clGetDeviceInfo(ctx->info.device_id, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL),
        "the device's local memory size");
    /* a cap on what the device says it has: for testing the global tier,
     * and for drivers that promise more than they give */
    const char *cap = getenv("CLBFGS_LOCAL_MEM_LIMIT");
    if (cap && *cap) {
        char *end;
        unsigned long long v = strtoull(cap, &end, 10);
        if (*end == '\0' && v < local)
            local = (cl_ulong)v;
    }
    int gpu = ctx->info.type != CLBFGS_DEVICE_CPU;
    /* a CPU runs a work-group's work-items one after another: one per group
     * is enough; a GPU wants its lanes full */
    size_t want = gpu ? 64 : 1, per = n * n * elem;
    size_t wg = want;
    while (wg > 1 && (double)wg * (double)per > (double)local)
        wg /= 2;
    plan->hlocal = (double)wg * (double)per <= (double)local && (!gpu || wg >= 16);
    plan->wg = plan->hlocal ? wg : want;
    cl_uint units = ctx->info.compute_units ? ctx->info.compute_units : 1;
    size_t most = (size_t)units * (gpu ? 16 : 4);
    if (!plan->hlocal) {
        /* each work-item's H (and, past BATCH_NARROW_N, its vectors) in one
         * buffer: at most half the largest allocation */
        double item = (double)per + (n > BATCH_NARROW_N ? 8.0 * (double)n * (double)elem : 0);
        double fit = (double)ctx->info.max_alloc_bytes / 2 / (item * (double)plan->wg);
        if (fit < 1)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_DEVICE_MEMORY,
                                "the one-kernel solve at n = %zu needs %.0f bytes per work-group "
                                "of %zu; '%s' allocates at most %llu bytes at once",
                                n, item * (double)plan->wg, plan->wg, ctx->info.name,
                                (unsigned long long)ctx->info.max_alloc_bytes);
        most = fit < (double)most ? (size_t)fit : most;
    }
    size_t need = (P + plan->wg - 1) / plan->wg;
    plan->groups = need < most ? need : most;
    clbfgs__log(ctx, CLBFGS_LOG_INFO,
                "one-kernel solve: %zu problem%s of n = %zu, %zu work-group%s of %zu; each H "
                "(%zu bytes) in %s memory%s",
                P, P == 1 ? "" : "s", n, plan->groups, plan->groups == 1 ? "" : "s", plan->wg, per,
                plan->hlocal ? "__local" : "global",
                plan->hlocal ? "" : " (the device's local memory is too small for them)");
    if (!plan->hlocal)
        clbfgs__log(ctx, CLBFGS_LOG_INFO,
                    "one-kernel solve: %llu bytes of local memory hold no H of %zu bytes "
                    "for a work-group of %zu: H goes to global memory",
                    (unsigned long long)local, per, gpu ? (size_t)16 : (size_t)1);
cleanup:
    return status;
}

/* An error in the library's call of the function: say what it calls. */
static clbfgs_status build_hint(const struct clbfgs_function_form *form)
{
    char *log = clbfgs__strdup(clbfgs_last_error());
    clbfgs_status status = clbfgs__fail(
        CLBFGS_ERR_BUILD,
        "%s\nThe library calls %s(i, x%s%s%s) for each item, with the data arguments declared "
        "as \"%s\": the function must take exactly these, in this order",
        log ? log : "", form->function, form->gradient ? ", g" : "", form->nparams ? ", " : "",
        form->args_names ? form->args_names : "", form->args_decl ? form->args_decl : "");
    free(log);
    return status;
}

/* A per-problem data argument must hold P blocks: reals given by the host
 * count as they are, a buffer's elements by the size of the type the
 * function declares it points at (the run's real where the driver does not
 * say). */
static clbfgs_status check_blocks(const clbfgs_exec *e, cl_kernel kernel,
                                  const struct kernel_args *ka,
                                  const struct clbfgs_function_form *form, size_t P)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_context *ctx = e->ctx;
    for (unsigned k = 0; form->per_problem && k < form->nparams; k++) {
        size_t count = form->per_problem[k];
        if (!count)
            continue;
        const struct extra_arg *a = &form->args[k];
        double have = -1;
        if (a->kind == ARG_REALS) {
            have = (double)a->count;
        } else if (a->kind == ARG_BUFFER) {
            size_t bytes = 0;
            CLBFGS_CL_TRY(ctx,
                          clGetMemObjectInfo(a->buffer, CL_MEM_SIZE, sizeof bytes, &bytes, NULL),
                          "the size of data argument %u", k);
            size_t elem = clbfgs__arg_element_size(e, ka, kernel, BATCH_FIXED_ARGS + k);
            elem = elem ? elem : e->elem;
            have = (double)(bytes / elem);
        } else {
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "data argument %u of function '%s' is per-problem (%zu "
                                "elements each) but is not a buffer: set it with "
                                "clbfgs_objective_set_arg_reals or _set_arg_buffer",
                                k, form->function, count);
        }
        if (have < (double)P * (double)count)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "data argument %u of function '%s' holds %.0f elements; %zu "
                                "problems of %zu elements each need %.0f",
                                k, form->function, have, P, count, (double)P * (double)count);
    }
cleanup:
    return status;
}

clbfgs_status clbfgs__batch_run(clbfgs_context *ctx, const struct clbfgs_function_form *form,
                                size_t n, size_t P, const double *x0, const clbfgs_options *o,
                                clbfgs_precision precision, clbfgs_batch_result *r)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    double t0 = clbfgs__now();
    clbfgs_exec e;
    memset(&e, 0, sizeof e);
    char *source = NULL, *options = NULL;
    cl_kernel k = NULL;
    cl_mem xio = NULL, fio = NULL, gio = NULL, out = NULL, next = NULL, hg = NULL, opt = NULL,
           vg = NULL;
    cl_mem arg_buffers[CLBFGS_MAX_EXTRA_ARGS] = {0};
    cl_uint *counts = NULL;
    float *staging = NULL;
    int queued = 0;
    r->P = P;
    r->n = n;
    r->precision = precision;
    size_t elem = precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    size_t pn = P * n;
    struct plan plan = {0, 0, 0};
    CLBFGS_TRY(make_plan(ctx, n, P, elem, &plan));
    r->local_hessian = plan.hlocal;
    r->work_items = plan.groups * plan.wg < P ? plan.groups * plan.wg : P;

    double eps = o->eps > 0 ? o->eps
                            : sqrt(precision == CLBFGS_PRECISION_DOUBLE ? 2.220446049250313e-16
                                                                        : 1.1920928955078125e-07);
    source = batch_source(form, n, eps, plan.hlocal, plan.wg);
    int data = form->nparams > 0;
    options = clbfgs__strdup_printf("%s%s%s", data ? "-cl-kernel-arg-info" : "",
                                    data && form->build_options ? " " : "",
                                    form->build_options ? form->build_options : "");
    if (!source || !options) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the one-kernel solve's source");
        goto cleanup;
    }
    /* no conversion buffer: the transfers go through `staging` */
    CLBFGS_TRY(clbfgs__exec_init(&e, ctx, precision, 0));
    cl_program program;
    /* the data arguments are checked against the kernel's argument info,
     * which a program loaded from a binary need not have */
    CLBFGS_TRY(batch_program(ctx, form, source, options, precision, data, &program));
    CLBFGS_TRY(clbfgs__kernel_new(ctx, program, "clbfgs_batch", &k));

    CLBFGS_TRY(clbfgs__exec_buffer(&e, pn, &xio, "the batch's points"));
    CLBFGS_TRY(clbfgs__exec_buffer(&e, pn, &gio, "the batch's gradients"));
    CLBFGS_TRY(clbfgs__exec_buffer(&e, P, &fio, "the batch's values"));
    CLBFGS_TRY(clbfgs__exec_buffer(&e, OPT_COUNT, &opt, "the batch's options"));
    size_t items = plan.groups * plan.wg;
    CLBFGS_TRY(clbfgs__exec_buffer(&e, plan.hlocal ? 1 : items * n * n, &hg,
                                   "the batch's inverse Hessians"));
    CLBFGS_TRY(clbfgs__exec_buffer(&e, n > BATCH_NARROW_N ? items * 8 * n : 1, &vg,
                                   "the batch's vectors"));
    cl_int err = CL_SUCCESS;
    out =
        clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, P * OUT_COUNT * sizeof(cl_uint), NULL, &err);
    CLBFGS_CL_TRY(ctx, err, "the batch's counts (%zu problems)", P);
    next = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, sizeof(cl_int), NULL, &err);
    CLBFGS_CL_TRY(ctx, err, "the batch's problem counter");
    static const cl_int zero = 0; /* a non-blocking write: not a local */
    CLBFGS_CL_TRY(
        ctx, clEnqueueWriteBuffer(ctx->queue, next, CL_FALSE, 0, sizeof zero, &zero, 0, NULL, NULL),
        "the batch's problem counter");
    /* Every transfer is queued without waiting and the queue is waited on
     * once, after the results' reads: a small problem's whole solve takes
     * less time than a few blocking round trips on pocl. In float the
     * values cross through converted copies (staging), kept until then. */
    double ov[OPT_COUNT];
    ov[OPT_GTOL] = o->gtol;
    ov[OPT_NORM] = o->norm;
    ov[OPT_XRTOL] = o->xrtol;
    ov[OPT_C1] = o->c1;
    ov[OPT_C2] = o->c2;
    int dbl = precision == CLBFGS_PRECISION_DOUBLE;
    if (!dbl) {
        staging = malloc((2 * pn + P + OPT_COUNT) * sizeof(float));
        if (!staging) {
            status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the batch's float copies");
            goto cleanup;
        }
        for (size_t i = 0; i < pn; i++)
            staging[i] = (float)x0[i];
        for (size_t i = 0; i < OPT_COUNT; i++) /* fits float: checked with the options */
            staging[2 * pn + P + i] = clbfgs__fits_float(ov[i]) ? (float)ov[i] : (float)INFINITY;
    }
    queued = 1;
    CLBFGS_CL_TRY(ctx,
                  clEnqueueWriteBuffer(ctx->queue, xio, CL_FALSE, 0, pn * e.elem,
                                       dbl ? (const void *)x0 : (const void *)staging, 0, NULL,
                                       NULL),
                  "the batch's starting points");
    CLBFGS_CL_TRY(ctx,
                  clEnqueueWriteBuffer(
                      ctx->queue, opt, CL_FALSE, 0, OPT_COUNT * e.elem,
                      dbl ? (const void *)ov : (const void *)(staging + 2 * pn + P), 0, NULL, NULL),
                  "the batch's options");
    size_t maxiter = o->maxiter ? o->maxiter : 200 * n;
    cl_mem mems[] = {xio, fio, gio, out, next, hg, opt, vg};
    CLBFGS_TRY(clbfgs__exec_arg_uint(&e, k, 0, (cl_uint)P));
    for (cl_uint i = 0; i < sizeof mems / sizeof mems[0]; i++)
        CLBFGS_TRY(clbfgs__exec_arg_mem(&e, k, 1 + i, mems[i]));
    CLBFGS_TRY(clbfgs__exec_arg_uint(&e, k, 9, (cl_uint)form->m));
    CLBFGS_TRY(clbfgs__exec_arg_uint(&e, k, 10,
                                     maxiter > UINT32_MAX - 1 ? UINT32_MAX - 1 : (cl_uint)maxiter));
    struct kernel_args ka = {.kernel = form->function,
                             .name = form->name,
                             .args = form->args,
                             .nargs = form->nargs,
                             .data_args = 1,
                             .fixed = BATCH_FIXED_ARGS};
    CLBFGS_TRY(clbfgs__set_extra_args(&e, k, &ka, arg_buffers));
    CLBFGS_TRY(check_blocks(&e, k, &ka, form, P));
    r->setup = clbfgs__now() - t0;
    CLBFGS_TRY(clbfgs__exec_launch_groups(&e, k, plan.groups, plan.wg, "the one-kernel solve"));

    r->x = malloc(pn * sizeof(double));
    r->jac = malloc(pn * sizeof(double));
    r->fun = malloc(P * sizeof(double));
    r->nit = malloc(P * sizeof(size_t));
    r->nfev = malloc(P * sizeof(size_t));
    r->njev = malloc(P * sizeof(size_t));
    r->status = malloc(P * sizeof(int));
    counts = malloc(P * OUT_COUNT * sizeof *counts);
    if (!r->x || !r->jac || !r->fun || !r->nit || !r->nfev || !r->njev || !r->status || !counts) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the batch's results (P = %zu)", P);
        goto cleanup;
    }
    CLBFGS_CL_TRY(ctx,
                  clEnqueueReadBuffer(ctx->queue, out, CL_FALSE, 0, P * OUT_COUNT * sizeof *counts,
                                      counts, 0, NULL, NULL),
                  "the batch's counts");
    cl_mem from[] = {xio, gio, fio};
    double *into[] = {r->x, r->jac, r->fun};
    size_t count[] = {pn, pn, P}, at[] = {0, pn, 2 * pn};
    for (size_t i = 0; i < 3; i++)
        CLBFGS_CL_TRY(ctx,
                      clEnqueueReadBuffer(ctx->queue, from[i], CL_FALSE, 0, count[i] * e.elem,
                                          dbl ? (void *)into[i] : (void *)(staging + at[i]), 0,
                                          NULL, NULL),
                      "the batch's results");
    CLBFGS_CL_TRY(ctx, clFinish(ctx->queue), "waiting for the one-kernel solve");
    queued = 0;
    for (size_t i = 0; !dbl && i < 3; i++)
        for (size_t j = 0; j < count[i]; j++)
            into[i][j] = (double)staging[at[i] + j];
    r->converged = 0;
    r->skipped_updates = 0;
    for (size_t p = 0; p < P; p++) {
        const cl_uint *c = counts + p * OUT_COUNT;
        r->status[p] = (int)c[OUT_STATUS];
        r->nit[p] = c[OUT_NIT];
        r->nfev[p] = c[OUT_NFEV];
        r->njev[p] = c[OUT_NJEV];
        r->skipped_updates += c[OUT_SKIPPED];
        r->converged += r->status[p] == 0;
    }
    r->total = clbfgs__now() - t0;
cleanup:
    if (queued) /* an error with transfers in flight: they use memory freed below */
        clFinish(ctx->queue);
    if (status != CLBFGS_SUCCESS)
        clbfgs_batch_result_free(r);
    free(staging);
    free(counts);
    free(source);
    free(options);
    if (k)
        clReleaseKernel(k);
    cl_mem bufs[] = {xio, fio, gio, out, next, hg, opt, vg};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    for (size_t i = 0; i < CLBFGS_MAX_EXTRA_ARGS; i++)
        if (arg_buffers[i])
            clReleaseMemObject(arg_buffers[i]);
    if (e.ctx)
        clbfgs__exec_release(&e);
    return status;
}
