/* OpenCL source objectives, the caller's and the built-ins (cl/objectives.cl):
 * the kernel writes f terms, which the driver sums; without a gradient the
 * n + 1 forward-difference points go through the same kernel in one 2-D
 * launch, and util.cl's kernels turn their values into the gradient. The
 * caller's extra kernel arguments are stored here (the
 * clbfgs_objective_set_arg* family) and checked against the kernel in
 * kernel_args.c. */
#include "config.h"

#include "build_options.h"
#include "cl_sources.h"
#include "kernel_args.h"
#include "objective_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct source {
    char *source;        /* owned; NULL for a built-in */
    const char *builtin; /* the library's source for a built-in */
    char *name, *kernel, *build_options;
    int gradient;
    size_t work_size;
    int needs_even_n;
    struct extra_arg *args; /* args[k] is kernel argument fixed + k */
    unsigned nargs;
};

/* One run's kernels and buffers (clbfgs_eval.state). */
struct source_run {
    cl_kernel objective_kernel, fd_points, fd_sums_kernel, fd_gradient;
    cl_mem terms;                              /* f terms: work_size per problem */
    cl_mem fd_x, fd_dx, fd_sums;               /* forward differences: n + 1 points */
    cl_mem arg_buffers[CLBFGS_MAX_EXTRA_ARGS]; /* extra arguments given as reals */
    size_t work_size;                          /* f terms per problem */
    size_t wg_reduce;                          /* work-group size of fd_sums */
    double fd_eps;                             /* forward-difference step */
};

static const struct {
    const char *name, *kernel;
    int needs_even_n;
    const char *function; /* its function form (cl/functions.cl) */
} builtins[] = {
    {"rosen", "rosen", 0, "clbfgs_rosen_item"},
    {"ext-rosenbrock", "ext_rosenbrock", 1, "clbfgs_ext_rosenbrock_item"},
    {"quadratic", "quadratic", 0, "clbfgs_quadratic_item"},
};


static void source_free(void *data)
{
    struct source *o = data;
    if (!o)
        return;
    clbfgs__args_clear(o->args, o->nargs);
    free(o->args);
    free(o->source);
    free(o->name);
    free(o->kernel);
    free(o->build_options);
    free(o);
}

/* ---- running ---- */

static double source_bytes(const void *data, size_t n_, size_t elem_, double *largest)
{
    const struct source *o = data;
    double n = (double)n_, w = (double)(o->work_size ? o->work_size : n_);
    double elem = (double)elem_;
    if (o->gradient) {
        *largest = w * elem;
        return w * elem;
    }
    /* n + 1 points, their terms and sums, and the steps */
    double points = (n + 1) * n * elem, terms = (n + 1) * w * elem;
    *largest = points > terms ? points : terms;
    return points + terms + ((n + 1) + n) * elem;
}

static clbfgs_status check_n(const struct source *o, size_t n)
{
    if (o->needs_even_n && n % 2 != 0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the extended Rosenbrock function needs an even n, not %zu", n);
    return CLBFGS_SUCCESS;
}

static clbfgs_status source_prepare(clbfgs_eval *ev, double eps)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct source *o = ev->objective->data;
    struct source_run *run = ev->state;
    clbfgs_exec *e = ev->exec;
    size_t n = ev->n;
    run->work_size = n;
    CLBFGS_TRY(check_n(o, n));
    if (o->work_size)
        run->work_size = o->work_size;
    cl_program program;
    /* The caller's kernels are built with their argument info, so that what
     * was set can be checked against what the kernel takes (NVIDIA and others
     * give none without it). */
    char *options = NULL;
    if (!o->builtin) {
        options = clbfgs__strdup_printf("-cl-kernel-arg-info%s%s", o->build_options ? " " : "",
                                        o->build_options ? o->build_options : "");
        if (!options)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "build options of %s", o->name);
    }
    clbfgs_program_origin origin = CLBFGS_PROGRAM_COMPILED;
    const char *source = o->builtin ? o->builtin : o->source;
    status = clbfgs__program_get(e->ctx, o->name, source, options, e->precision, &program, &origin);
    if (status == CLBFGS_SUCCESS)
        status = clbfgs__kernel_new(e->ctx, program, o->kernel, &run->objective_kernel);
    /* Argument info is only sure for programs built from source: one from
     * the disk cache that has none is compiled again, or the checks below
     * would go silent and a wrong argument crash the driver. */
    if (status == CLBFGS_SUCCESS && !o->builtin && origin != CLBFGS_PROGRAM_COMPILED &&
        !clbfgs__has_arg_info(run->objective_kernel)) {
        clReleaseKernel(run->objective_kernel);
        run->objective_kernel = NULL;
        status = clbfgs__program_get_flags(e->ctx, o->name, source, options, e->precision,
                                           CLBFGS__PROGRAM_FROM_SOURCE, &program, &origin);
        if (status == CLBFGS_SUCCESS)
            status = clbfgs__kernel_new(e->ctx, program, o->kernel, &run->objective_kernel);
        if (status == CLBFGS_SUCCESS && origin == CLBFGS_PROGRAM_COMPILED)
            clbfgs__log(e->ctx, CLBFGS_LOG_INFO,
                        "%s: the program from the disk cache gave no argument info for kernel "
                        "'%s'; compiled it from source so that its arguments are checked",
                        o->name, o->kernel);
    }
    free(options);
    CLBFGS_TRY(status);
    struct kernel_args args = {.kernel = o->kernel,
                               .name = o->name,
                               .gradient = o->gradient,
                               .args = o->args,
                               .nargs = o->nargs};
    CLBFGS_TRY(clbfgs__set_extra_args(e, run->objective_kernel, &args, run->arg_buffers));
    size_t problems = o->gradient ? 1 : n + 1;
    CLBFGS_TRY(clbfgs__exec_buffer(e, problems * run->work_size, &run->terms, "the f terms"));
    if (!o->gradient) {
        cl_program util;
        CLBFGS_TRY(clbfgs__program_get(e->ctx, "cl/util.cl", clbfgs__cl_util, NULL, e->precision,
                                       &util, NULL));
        CLBFGS_TRY(clbfgs__kernel_new(e->ctx, util, "fd_points", &run->fd_points));
        CLBFGS_TRY(clbfgs__kernel_new(e->ctx, util, "fd_sums", &run->fd_sums_kernel));
        CLBFGS_TRY(clbfgs__kernel_new(e->ctx, util, "fd_gradient", &run->fd_gradient));
        CLBFGS_TRY(clbfgs__exec_group_size(e, run->fd_sums_kernel, 256, &run->wg_reduce));
        CLBFGS_TRY(
            clbfgs__exec_buffer(e, (n + 1) * n, &run->fd_x, "the forward-difference points"));
        CLBFGS_TRY(clbfgs__exec_buffer(e, n, &run->fd_dx, "the forward-difference steps"));
        CLBFGS_TRY(clbfgs__exec_buffer(e, n + 1, &run->fd_sums, "the forward-difference values"));
        run->fd_eps = eps;
    }
cleanup:
    return status;
}

static void source_release(clbfgs_eval *ev)
{
    struct source_run *run = ev->state;
    cl_kernel kernels[] = {run->objective_kernel, run->fd_points, run->fd_sums_kernel,
                           run->fd_gradient};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i])
            clReleaseKernel(kernels[i]);
    cl_mem bufs[] = {run->terms, run->fd_x, run->fd_dx, run->fd_sums};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    for (size_t i = 0; i < CLBFGS_MAX_EXTRA_ARGS; i++)
        if (run->arg_buffers[i])
            clReleaseMemObject(run->arg_buffers[i]);
}

/* The caller's kernel over `problems` points at xs into run->terms (and g). */
static clbfgs_status launch_source(clbfgs_eval *ev, cl_mem xs, cl_mem g, size_t problems)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct source *o = ev->objective->data;
    struct source_run *run = ev->state;
    clbfgs_exec *e = ev->exec;
    cl_kernel k = run->objective_kernel;
    cl_uint n = (cl_uint)ev->n;
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 0, sizeof n, &n), "argument 0 of '%s'", o->kernel);
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &xs), "argument 1 of '%s'",
                  o->kernel);
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &run->terms), "argument 2 of '%s'",
                  o->kernel);
    if (o->gradient)
        CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 3, sizeof(cl_mem), &g), "argument 3 of '%s'",
                      o->kernel);
    CLBFGS_TRY(clbfgs__exec_launch_2d(e, k, run->work_size, problems, o->kernel));
cleanup:
    return status;
}

static clbfgs_status eval_forward_differences(clbfgs_eval *ev, cl_mem x, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    struct source_run *run = ev->state;
    clbfgs_exec *e = ev->exec;
    cl_uint n = (cl_uint)ev->n, w = (cl_uint)run->work_size;
    cl_kernel k = run->fd_points;
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &run->fd_x), "fd_points");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &run->fd_dx), "fd_points");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &x), "fd_points");
    CLBFGS_TRY(clbfgs__exec_arg_real(e, k, 3, run->fd_eps));
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 4, sizeof n, &n), "fd_points");
    CLBFGS_TRY(clbfgs__exec_launch_2d(e, k, ev->n, ev->n + 1, "fd_points"));

    CLBFGS_TRY(launch_source(ev, run->fd_x, NULL, ev->n + 1));

    k = run->fd_sums_kernel;
    size_t wg = run->wg_reduce;
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &run->fd_sums), "fd_sums");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &run->terms), "fd_sums");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 2, sizeof w, &w), "fd_sums");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 3, wg * e->elem, NULL), "fd_sums");
    CLBFGS_TRY(clbfgs__exec_launch_groups(e, k, ev->n + 1, wg, "fd_sums"));

    k = run->fd_gradient;
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &g), "fd_gradient");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &e->scalars), "fd_gradient");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &run->fd_sums), "fd_gradient");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 3, sizeof(cl_mem), &run->fd_dx), "fd_gradient");
    CLBFGS_CL_TRY(e->ctx, clSetKernelArg(k, 4, sizeof n, &n), "fd_gradient");
    CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, ev->n, "fd_gradient"));
cleanup:
    return status;
}

static clbfgs_status source_eval(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct source *o = ev->objective->data;
    struct source_run *run = ev->state;
    if (!o->gradient)
        return eval_forward_differences(ev, x, g);
    CLBFGS_TRY(launch_source(ev, x, g, 1));
    f->terms = run->terms;
    f->count = run->work_size;
cleanup:
    return status;
}

static size_t source_values(const void *data, size_t n)
{
    const struct source *o = data;
    return o->gradient ? 1 : n + 1;
}

/* A built-in's function form: its items are rosen's n - 1 neighbouring
 * pairs, ext-rosenbrock's n / 2 pairs, the quadratic's n coordinates. */
static clbfgs_status source_form(void *data, size_t n, struct clbfgs_function_form *form)
{
    const struct source *o = data;
    const char *function = NULL;
    for (size_t b = 0; o->builtin && b < sizeof builtins / sizeof builtins[0]; b++)
        if (!strcmp(o->kernel, builtins[b].kernel))
            function = builtins[b].function;
    if (!function)
        return clbfgs__fail(CLBFGS_ERR_UNSUPPORTED,
                            "the kernel objective '%s' (%s) is not a function the library can "
                            "compile into one kernel; write it as a term function "
                            "(clbfgs_objective_terms)",
                            o->kernel, o->name);
    clbfgs_status status = check_n(o, n);
    if (status != CLBFGS_SUCCESS)
        return status;
    memset(form, 0, sizeof *form);
    form->source = clbfgs__cl_functions;
    form->name = "cl/functions.cl";
    form->function = function;
    form->m = !strcmp(function, "clbfgs_rosen_item")             ? n - 1
              : !strcmp(function, "clbfgs_ext_rosenbrock_item") ? n / 2
                                                                : n;
    form->gradient = 1;
    return CLBFGS_SUCCESS;
}

static const clbfgs_objective_ops source_ops = {
    .name = "source",
    .pure = 1,
    .values = source_values,
    .bytes = source_bytes,
    .state_size = sizeof(struct source_run),
    .prepare = source_prepare,
    .eval = source_eval,
    .release = source_release,
    .free_data = source_free,
    .function_form = source_form,
};

/* ---- making ---- */

/* The size of clbfgs_source_options in the first release that has struct_size
 * (0.2, not yet out): the whole struct until then. Appending a field after
 * that release leaves this at that release's size; a new field must not start
 * inside that size's tail padding (add an explicit pad first if it would). */
#define SOURCE_OPTIONS_OLDEST sizeof(clbfgs_source_options)

static void source_defaults(clbfgs_source_options *options)
{
    memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->name = "objective.cl";
    options->gradient = 1;
}

void clbfgs_source_options_init_size(clbfgs_source_options *options, size_t struct_size)
{
    clbfgs_source_options defaults;
    source_defaults(&defaults);
    clbfgs__options_init(options, struct_size, &defaults, sizeof defaults);
}

/* The objective around o, which it owns from then on; freed on failure. */
static clbfgs_status wrap(clbfgs_objective **objective, struct source *o, const char *who)
{
    clbfgs_status status = clbfgs__objective_new(objective, &source_ops, o, who);
    if (status != CLBFGS_SUCCESS)
        source_free(o);
    return status;
}

clbfgs_status clbfgs_objective_builtin(clbfgs_objective **objective, const char *name)
{
    if (!objective || !name)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_builtin: objective and name must not be NULL");
    *objective = NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (strcmp(name, builtins[i].name) != 0)
            continue;
        struct source *o = calloc(1, sizeof *o);
        if (!o)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "clbfgs_objective_builtin");
        o->builtin = clbfgs__cl_objectives;
        o->name = clbfgs__strdup("cl/objectives.cl");
        o->kernel = clbfgs__strdup(builtins[i].kernel);
        o->gradient = 1;
        o->needs_even_n = builtins[i].needs_even_n;
        if (!o->name || !o->kernel) {
            source_free(o);
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "clbfgs_objective_builtin");
        }
        return wrap(objective, o, "clbfgs_objective_builtin");
    }
    if (strcmp(name, "logistic") == 0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the logistic regression needs its data: use "
                            "clbfgs_objective_logistic()");
    return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                        "no built-in objective is called '%s'; there are: rosen, ext-rosenbrock, "
                        "quadratic (and logistic, through clbfgs_objective_logistic)",
                        name);
}

clbfgs_status clbfgs_objective_source(clbfgs_objective **objective, const char *source,
                                      const char *kernel, const clbfgs_source_options *options)
{
    if (!objective)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_source: objective must not be NULL");
    *objective = NULL;
    if (!source || !*source)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_source: the source is NULL or empty");
    if (!kernel || !*kernel)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_source: the kernel name is NULL or empty");
    clbfgs_source_options opts;
    source_defaults(&opts);
    if (options) {
        clbfgs_status read = clbfgs__options_read(&opts, sizeof opts, SOURCE_OPTIONS_OLDEST,
                                                  options, "clbfgs_source_options");
        if (read != CLBFGS_SUCCESS)
            return read;
    }
    options = &opts;
    if (options->gradient != 0 && options->gradient != 1)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_source: gradient must be 0 or 1, not %d",
                            options->gradient);
    if (options->work_size > (size_t)UINT32_MAX)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_source: work_size %zu is too large",
                            options->work_size);
    /* Checked here, as the caller wrote them: by the build, the library's own
     * -cl-kernel-arg-info is in front of them and would be quoted too. */
    char where[256];
    snprintf(where, sizeof where, "the build options of %s",
             options->name ? options->name : "objective.cl");
    clbfgs_status checked = clbfgs__build_options_check(options->build_options, where);
    if (checked != CLBFGS_SUCCESS)
        return checked;
    struct source *o = calloc(1, sizeof *o);
    if (!o)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "clbfgs_objective_source");
    o->source = clbfgs__strdup(source);
    o->name = clbfgs__strdup(options->name ? options->name : "objective.cl");
    o->kernel = clbfgs__strdup(kernel);
    o->build_options = options->build_options ? clbfgs__strdup(options->build_options) : NULL;
    o->gradient = options->gradient;
    o->work_size = options->work_size;
    if (!o->source || !o->name || !o->kernel || (options->build_options && !o->build_options)) {
        source_free(o);
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "clbfgs_objective_source");
    }
    return wrap(objective, o, "clbfgs_objective_source");
}

/* The slot for kernel argument index, grown as needed. */
static clbfgs_status arg_slot(clbfgs_objective *objective, unsigned index, const char *who,
                              struct extra_arg **slot)
{
    if (!objective)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: objective must not be NULL", who);
    if (objective->ops == &clbfgs__terms_ops)
        return clbfgs__terms_arg_slot(objective->data, index, who, slot);
    struct source *o = objective->data;
    if (objective->ops != &source_ops || o->builtin)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: only objectives from clbfgs_objective_source or "
                            "clbfgs_objective_terms take arguments",
                            who);
    unsigned fixed = clbfgs__fixed_args(o->gradient);
    if (index < fixed)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u is the library's (n, x, f_terms%s); the caller's "
                            "start at %u",
                            who, index, o->gradient ? ", g" : "", fixed);
    if (index >= fixed + CLBFGS_MAX_EXTRA_ARGS)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u is beyond the %d extra arguments supported", who,
                            index, CLBFGS_MAX_EXTRA_ARGS);
    return clbfgs__args_slot(&o->args, &o->nargs, index - fixed, who, slot);
}

clbfgs_status clbfgs_objective_set_arg(clbfgs_objective *objective, unsigned index, size_t size,
                                       const void *value)
{
    const char *who = "clbfgs_objective_set_arg";
    if (size == 0 || (value && size > ARG_BYTES_MAX))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u has size %zu; it must be 1 to %d bytes (or any "
                            "size of __local memory with a NULL value)",
                            who, index, size, ARG_BYTES_MAX);
    struct extra_arg *a;
    clbfgs_status status = arg_slot(objective, index, who, &a);
    if (status != CLBFGS_SUCCESS)
        return status;
    a->size = size;
    a->kind = value ? ARG_BYTES : ARG_LOCAL;
    if (value)
        memcpy(a->bytes, value, size);
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs_objective_set_arg_typed(clbfgs_objective *objective, unsigned index,
                                             const char *type, size_t size, const void *value)
{
    const char *who = "clbfgs_objective_set_arg_typed";
    if (!type || !value)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u: type and value must not be NULL (for __local "
                            "memory use clbfgs_objective_set_arg with a NULL value)",
                            who, index);
    /* "real" is left as it is, to be refused by name below */
    char canonical[64];
    int pointer = 0;
    clbfgs__canonical_type(type, "real", canonical, sizeof canonical, &pointer);
    if (pointer)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u: '%s' is a pointer; a buffer is set with "
                            "clbfgs_objective_set_arg_buffer or _set_arg_reals",
                            who, index, type);
    if (!strncmp(canonical, "real", 4))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u: '%s' is double or float as the run is; set a real "
                            "with clbfgs_objective_set_arg_real",
                            who, index, type);
    size_t expected = clbfgs__scalar_size(canonical);
    if (expected == 0 || strlen(canonical) >= ARG_TYPE_MAX)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u: '%s' is not an OpenCL C scalar or vector type (char, "
                            "uchar, short, ushort, half, int, uint, long, ulong, float, double, "
                            "or one of their vectors such as float4); set raw bytes and structs "
                            "with clbfgs_objective_set_arg",
                            who, index, type);
    if (size != expected)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u: %s %s is %zu bytes, not %zu", who, index,
                            clbfgs__article(canonical), canonical, expected, size);
    struct extra_arg *a;
    clbfgs_status status = arg_slot(objective, index, who, &a);
    if (status != CLBFGS_SUCCESS)
        return status;
    a->kind = ARG_TYPED;
    a->size = size;
    memcpy(a->bytes, value, size);
    memcpy(a->type, canonical, strlen(canonical) + 1); /* its length was checked above */
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs_objective_set_arg_real(clbfgs_objective *objective, unsigned index,
                                            double value)
{
    struct extra_arg *a;
    clbfgs_status status = arg_slot(objective, index, "clbfgs_objective_set_arg_real", &a);
    if (status != CLBFGS_SUCCESS)
        return status;
    a->kind = ARG_REAL;
    a->real = value;
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs_objective_set_arg_buffer(clbfgs_objective *objective, unsigned index,
                                              cl_mem buffer)
{
    const char *who = "clbfgs_objective_set_arg_buffer";
    if (!buffer)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: buffer must not be NULL", who);
    cl_int err = clRetainMemObject(buffer);
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(NULL, err, "clRetainMemObject", "%s: argument %u", who, index);
    struct extra_arg *a;
    clbfgs_status status = arg_slot(objective, index, who, &a);
    if (status != CLBFGS_SUCCESS) {
        clReleaseMemObject(buffer);
        return status;
    }
    a->kind = ARG_BUFFER;
    a->buffer = buffer;
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs_objective_set_arg_reals(clbfgs_objective *objective, unsigned index,
                                             const double *values, size_t count)
{
    const char *who = "clbfgs_objective_set_arg_reals";
    if (!values || count == 0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: argument %u needs at least one value",
                            who, index);
    if (count > SIZE_MAX / sizeof(double))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u: %zu values are more than memory holds", who, index,
                            count);
    double *copy = malloc(count * sizeof *copy);
    if (!copy)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s: %zu values", who, count);
    memcpy(copy, values, count * sizeof *copy);
    struct extra_arg *a;
    clbfgs_status status = arg_slot(objective, index, who, &a);
    if (status != CLBFGS_SUCCESS) {
        free(copy);
        return status;
    }
    a->kind = ARG_REALS;
    a->reals = copy;
    a->count = count;
    return CLBFGS_SUCCESS;
}
