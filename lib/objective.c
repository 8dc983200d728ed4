/* Objectives behind one internal interface: evaluate(x) leaves f in the
 * device scalars buffer (SLOT_F) and the gradient in a device buffer.
 *
 * Four kinds. OpenCL source (built-ins are source too, cl/objectives.cl):
 * the kernel writes f terms, CLBlast sums them; without a gradient the n + 1
 * forward-difference points go through the same kernel in one 2-D launch.
 * Device callbacks enqueue their own work. Host callbacks see x on the host.
 * The logistic regression built-in is two GEMVs and one kernel. */
#include "config.h"

#include "build_options.h"
#include "cl_sources.h"
#include "blas.h"
#include "objective.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum objective_kind { OBJECTIVE_SOURCE, OBJECTIVE_DEVICE, OBJECTIVE_HOST, OBJECTIVE_LOGISTIC };

#define ARG_BYTES_MAX 128
#define ARG_TYPE_MAX 16

struct extra_arg {
    enum { ARG_UNSET, ARG_BYTES, ARG_TYPED, ARG_LOCAL, ARG_REAL, ARG_BUFFER, ARG_REALS } kind;
    size_t size;
    unsigned char bytes[ARG_BYTES_MAX];
    char type[ARG_TYPE_MAX]; /* ARG_TYPED: the canonical type name, "int", "uint", "float4" */
    double real;
    cl_mem buffer; /* retained */
    double *reals; /* owned; copied to the device in the run's precision */
    size_t count;
};

struct logistic {
    clbfgs_context *ctx;
    size_t m, n;
    clbfgs_precision precision;
    double lambda;
    cl_mem a, y, z, terms;
    cl_kernel kernel;
};

struct clbfgs_objective {
    enum objective_kind kind;
    /* source */
    char *source;        /* owned; NULL for a built-in */
    const char *builtin; /* the library's source for a built-in */
    char *name, *kernel, *build_options;
    int gradient;
    size_t work_size;
    int needs_even_n;
    struct extra_arg *args; /* args[k] is kernel argument fixed + k */
    unsigned nargs;
    /* callbacks */
    clbfgs_device_fn device_fn;
    clbfgs_host_fn host_fn;
    void *user;
    struct logistic *logistic;
};

/* One run's state for an objective (clbfgs_eval.state). */
struct orun {
    clbfgs_exec *exec;
    clbfgs_context *ctx;
    const clbfgs_objective *objective;
    size_t n;
    clbfgs_precision precision;
    size_t elem;
    size_t *nfev; /* the clbfgs_eval's counts */
    cl_mem scalars;
    cl_kernel objective_kernel, fd_points, fd_sums_kernel, fd_gradient;
    cl_mem terms;                              /* f terms: work_size per problem */
    cl_mem fd_x, fd_dx, fd_sums;               /* forward differences: n + 1 points */
    cl_mem f_view;                             /* scalars[SLOT_F] alone, for device callbacks */
    cl_mem arg_buffers[CLBFGS_MAX_EXTRA_ARGS]; /* extra arguments given as reals */
    size_t work_size;                          /* f terms per problem */
    size_t wg_reduce;                          /* work-group size of fd_sums */
    double fd_eps;                             /* forward-difference step */
    double *host_x, *host_g;                   /* host copies, n each */
};

static const struct {
    const char *name, *kernel;
    int needs_even_n;
} builtins[] = {
    {"rosen", "rosen", 0},
    {"ext-rosenbrock", "ext_rosenbrock", 1},
    {"quadratic", "quadratic", 0},
};

static unsigned fixed_args(const clbfgs_objective *o) { return o->gradient ? 4 : 3; }

static clbfgs_status new_objective(clbfgs_objective **objective, enum objective_kind kind,
                                   const char *who)
{
    *objective = calloc(1, sizeof **objective);
    if (!*objective)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
    (*objective)->kind = kind;
    return CLBFGS_SUCCESS;
}

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

clbfgs_status clbfgs_objective_builtin(clbfgs_objective **objective, const char *name)
{
    if (!objective || !name)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_builtin: objective and name must not be NULL");
    *objective = NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (strcmp(name, builtins[i].name) != 0)
            continue;
        clbfgs_objective *o;
        clbfgs_status status = new_objective(&o, OBJECTIVE_SOURCE, "clbfgs_objective_builtin");
        if (status != CLBFGS_SUCCESS)
            return status;
        o->builtin = clbfgs__cl_objectives;
        o->name = clbfgs__strdup("cl/objectives.cl");
        o->kernel = clbfgs__strdup(builtins[i].kernel);
        o->gradient = 1;
        o->needs_even_n = builtins[i].needs_even_n;
        if (!o->name || !o->kernel) {
            clbfgs_objective_free(o);
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "clbfgs_objective_builtin");
        }
        *objective = o;
        return CLBFGS_SUCCESS;
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
    clbfgs_objective *o;
    clbfgs_status status = new_objective(&o, OBJECTIVE_SOURCE, "clbfgs_objective_source");
    if (status != CLBFGS_SUCCESS)
        return status;
    o->source = clbfgs__strdup(source);
    o->name = clbfgs__strdup(options->name ? options->name : "objective.cl");
    o->kernel = clbfgs__strdup(kernel);
    o->build_options = options->build_options ? clbfgs__strdup(options->build_options) : NULL;
    o->gradient = options->gradient;
    o->work_size = options->work_size;
    if (!o->source || !o->name || !o->kernel || (options->build_options && !o->build_options)) {
        clbfgs_objective_free(o);
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "clbfgs_objective_source");
    }
    *objective = o;
    return CLBFGS_SUCCESS;
}

/* The slot for kernel argument index, grown as needed. */
static clbfgs_status arg_slot(clbfgs_objective *o, unsigned index, const char *who,
                              struct extra_arg **slot)
{
    if (!o)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: objective must not be NULL", who);
    if (o->kind != OBJECTIVE_SOURCE || o->builtin)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: only objectives from clbfgs_objective_source take arguments", who);
    unsigned fixed = fixed_args(o);
    if (index < fixed)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u is the library's (n, x, f_terms%s); the caller's "
                            "start at %u",
                            who, index, o->gradient ? ", g" : "", fixed);
    if (index >= fixed + CLBFGS_MAX_EXTRA_ARGS)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: argument %u is beyond the %d extra arguments supported", who,
                            index, CLBFGS_MAX_EXTRA_ARGS);
    unsigned k = index - fixed;
    if (k >= o->nargs) {
        struct extra_arg *grown = realloc(o->args, (k + 1) * sizeof *grown);
        if (!grown)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
        memset(grown + o->nargs, 0, (k + 1 - o->nargs) * sizeof *grown);
        o->args = grown;
        o->nargs = k + 1;
    }
    *slot = &o->args[k];
    if ((*slot)->kind == ARG_BUFFER)
        clReleaseMemObject((*slot)->buffer);
    free((*slot)->reals);
    memset(*slot, 0, sizeof **slot);
    return CLBFGS_SUCCESS;
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

/* "an int", "a uint" */
static const char *article(const char *type) { return type[0] == 'i' ? "an" : "a"; }

static size_t scalar_size(const char *type);
static void canonical_type(const char *declared, const char *real, char *type, size_t size,
                           int *pointer);

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
    canonical_type(type, "real", canonical, sizeof canonical, &pointer);
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
    size_t expected = scalar_size(canonical);
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
                            article(canonical), canonical, expected, size);
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

clbfgs_status clbfgs_objective_device(clbfgs_objective **objective, clbfgs_device_fn fn, void *user)
{
    if (!objective || !fn)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_device: objective and fn must not be NULL");
    clbfgs_status status = new_objective(objective, OBJECTIVE_DEVICE, "clbfgs_objective_device");
    if (status == CLBFGS_SUCCESS) {
        (*objective)->device_fn = fn;
        (*objective)->user = user;
    }
    return status;
}

clbfgs_status clbfgs_objective_host(clbfgs_objective **objective, clbfgs_host_fn fn, void *user)
{
    if (!objective || !fn)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_host: objective and fn must not be NULL");
    clbfgs_status status = new_objective(objective, OBJECTIVE_HOST, "clbfgs_objective_host");
    if (status == CLBFGS_SUCCESS) {
        (*objective)->host_fn = fn;
        (*objective)->user = user;
    }
    return status;
}

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

void clbfgs_objective_free(clbfgs_objective *o)
{
    if (!o)
        return;
    for (unsigned k = 0; k < o->nargs; k++) {
        if (o->args[k].kind == ARG_BUFFER)
            clReleaseMemObject(o->args[k].buffer);
        free(o->args[k].reals);
    }
    free(o->args);
    free(o->source);
    free(o->name);
    free(o->kernel);
    free(o->build_options);
    logistic_free(o->logistic);
    free(o);
}

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
    CLBFGS_TRY(clbfgs__upload_reals(ctx, a, m * n, l->precision, &l->a, "the logistic regression's data"));
    CLBFGS_TRY(clbfgs__upload_reals(ctx, y, m, l->precision, &l->y, "the logistic regression's labels"));
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
    CLBFGS_TRY(new_objective(&o, OBJECTIVE_LOGISTIC, who));
    o->logistic = l;
    l = NULL;
    *objective = o;
cleanup:
    logistic_free(l);
    return status;
}

/* ---- running ---- */

double clbfgs__objective_bytes(const clbfgs_objective *o, size_t n_, size_t elem_, double *largest)
{
    *largest = 0;
    if (o->kind != OBJECTIVE_SOURCE)
        return 0;
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

int clbfgs__objective_pure(const clbfgs_objective *o)
{
    return o->kind == OBJECTIVE_SOURCE || o->kind == OBJECTIVE_LOGISTIC;
}

/* ---- the kernel's arguments, checked against what the driver says ---- */

/* One kernel argument as the driver describes it (built with
 * -cl-kernel-arg-info). type is canonical: qualifiers dropped, "unsigned
 * int" as "uint", the library's `real`/`realN` resolved to the run's type;
 * size is the value's (or, for a pointer, the pointee's) bytes, 0 when the
 * type is the caller's own (a struct, a typedef). */
struct arg_info {
    cl_kernel_arg_address_qualifier space;
    char name[64];
    char declared[64]; /* the type as written, for messages */
    char type[64];
    int pointer;
    size_t size;
};

static size_t scalar_size(const char *type)
{
    static const struct {
        const char *name;
        size_t size;
    } scalars[] = {{"char", 1}, {"uchar", 1}, {"short", 2}, {"ushort", 2}, {"half", 2},  {"int", 4},
                   {"uint", 4}, {"float", 4}, {"long", 8},  {"ulong", 8},  {"double", 8}};
    size_t len = strcspn(type, "0123456789");
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        if (strlen(scalars[i].name) != len || strncmp(type, scalars[i].name, len) != 0)
            continue;
        static const struct {
            const char *suffix;
            size_t lanes;
        } vectors[] = {{"", 1}, {"2", 2}, {"3", 4}, {"4", 4}, {"8", 8}, {"16", 16}};
        for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++)
            if (!strcmp(type + len, vectors[v].suffix)) /* a 3-vector is stored as a 4-vector */
                return scalars[i].size * vectors[v].lanes;
        return 0;
    }
    return 0;
}

/* Canonical type from the driver's type name, in the run's precision. */
static void canonical_type(const char *declared, const char *real, char *type, size_t size,
                           int *pointer)
{
    char words[4][32];
    int count = 0;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", declared);
    *pointer = strchr(copy, '*') != NULL;
    for (char *save = NULL, *w = strtok_r(copy, " *", &save); w && count < 4;
         w = strtok_r(NULL, " *", &save)) {
        if (!strcmp(w, "const") || !strcmp(w, "volatile") || !strcmp(w, "restrict") ||
            !strcmp(w, "struct") || !strcmp(w, "signed") || w[0] == '_')
            continue;
        snprintf(words[count++], sizeof words[0], "%s", w);
    }
    type[0] = '\0';
    if (count == 0)
        return;
    const char *lanes = words[0] + 4;
    if (!strcmp(words[0], "unsigned")) { /* "unsigned int", "unsigned" */
        snprintf(type, size, "u%s", count > 1 ? words[1] : "int");
    } else if (!strncmp(words[0], "real", 4) &&
               (!*lanes || !strcmp(lanes, "2") || !strcmp(lanes, "3") || !strcmp(lanes, "4") ||
                !strcmp(lanes, "8") || !strcmp(lanes, "16"))) {
        /* the preamble's real, real2 .. real16 */
        if (snprintf(type, size, "%s%s", real, lanes) >= (int)size)
            type[0] = '\0';
    } else {
        snprintf(type, size, "%s", words[0]);
    }
}

static const char *space_name(cl_kernel_arg_address_qualifier space)
{
    switch (space) {
    case CL_KERNEL_ARG_ADDRESS_GLOBAL: return "__global";
    case CL_KERNEL_ARG_ADDRESS_LOCAL: return "__local";
    case CL_KERNEL_ARG_ADDRESS_CONSTANT: return "__constant";
    }
    return "private";
}

/* CLBFGS_ERR_UNSUPPORTED (no message) when the driver gives no argument info. */
/* One string of clGetKernelArgInfo; a string longer than buf becomes "?". */
static cl_int arg_string(cl_kernel k, cl_uint index, cl_kernel_arg_info what, char *buf,
                         size_t size)
{
    cl_int err = clGetKernelArgInfo(k, index, what, size, buf, NULL);
    if (err == CL_INVALID_VALUE) {
        snprintf(buf, size, "?");
        return CL_SUCCESS;
    }
    buf[size - 1] = '\0';
    return err;
}

static clbfgs_status kernel_arg_info(const struct orun *run, cl_kernel k, cl_uint index,
                                     struct arg_info *info)
{
    const char *real = clbfgs__real_name(run->precision);
    memset(info, 0, sizeof *info);
    cl_int err = clGetKernelArgInfo(k, index, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof info->space,
                                    &info->space, NULL);
    if (err == CL_SUCCESS)
        err = arg_string(k, index, CL_KERNEL_ARG_TYPE_NAME, info->declared, sizeof info->declared);
    if (err == CL_SUCCESS)
        err = arg_string(k, index, CL_KERNEL_ARG_NAME, info->name, sizeof info->name);
    if (err == CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        return CLBFGS_ERR_UNSUPPORTED;
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(run->ctx, err, "clGetKernelArgInfo", "argument %u of kernel '%s'",
                               index, run->objective->kernel);
    canonical_type(info->declared, real, info->type, sizeof info->type, &info->pointer);
    info->size = scalar_size(info->type);
    return CLBFGS_SUCCESS;
}

/* "argument 5 ('c', real = double)", "argument 4 ('w', __global real*)" */
static const char *describe(const struct arg_info *a, cl_uint index, char *buf, size_t size)
{
    int resolved = !a->pointer && strcmp(a->type, a->declared) != 0;
    snprintf(buf, size, "argument %u ('%s', %s%s%s%s%s)", index, a->name,
             a->pointer ? space_name(a->space) : "", a->pointer ? " " : "", a->declared,
             resolved ? " = " : "", resolved ? a->type : "");
    return buf;
}

/* The contract's arguments: uint (or int) n, then __global real pointers. */
static clbfgs_status check_fixed_args(const struct orun *run, cl_kernel k, int *have_info)
{
    const clbfgs_objective *o = run->objective;
    const char *real = clbfgs__real_name(run->precision);
    static const char *const roles[] = {"n", "x", "f_terms", "g"};
    *have_info = 0;
    for (cl_uint i = 0; i < fixed_args(o); i++) {
        struct arg_info a;
        clbfgs_status status = kernel_arg_info(run, k, i, &a);
        if (status == CLBFGS_ERR_UNSUPPORTED)
            return CLBFGS_SUCCESS;
        if (status != CLBFGS_SUCCESS)
            return status;
        /* n by name, not by size: a float n is 4 bytes too, and reads the
         * uint's bits as a float */
        int ok = i == 0 ? !a.pointer && a.space == CL_KERNEL_ARG_ADDRESS_PRIVATE &&
                              (!strcmp(a.type, "uint") || !strcmp(a.type, "int"))
                        : a.pointer && a.space == CL_KERNEL_ARG_ADDRESS_GLOBAL &&
                              (a.size == 0 || !strcmp(a.type, real));
        if (!ok) {
            char what[256];
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "%s of kernel '%s' in %s is the contract's %s: it must be %s "
                                "(real is %s in this run)",
                                describe(&a, i, what, sizeof what), o->kernel, o->name, roles[i],
                                i == 0 ? "const uint" : "__global real *", real);
        }
    }
    *have_info = 1;
    return CLBFGS_SUCCESS;
}

/* An extra argument against the kernel's parameter: a scalar for a pointer
 * would be read as a cl_mem (pocl crashes), 4 bytes for a double leave half
 * of it garbage; both are refused here, before clSetKernelArg. */
static clbfgs_status check_extra_arg(const struct orun *run, cl_kernel k, cl_uint index,
                                     const struct extra_arg *arg)
{
    const clbfgs_objective *o = run->objective;
    const char *real = clbfgs__real_name(run->precision);
    struct arg_info a;
    clbfgs_status status = kernel_arg_info(run, k, index, &a);
    if (status == CLBFGS_ERR_UNSUPPORTED)
        return CLBFGS_SUCCESS; /* clSetKernelArg checks what sizes it can */
    if (status != CLBFGS_SUCCESS)
        return status;
    int memory =
        a.space == CL_KERNEL_ARG_ADDRESS_GLOBAL || a.space == CL_KERNEL_ARG_ADDRESS_CONSTANT;
    int local = a.space == CL_KERNEL_ARG_ADDRESS_LOCAL;
    char what[256], given[256];
    describe(&a, index, what, sizeof what);
    const char *expected = NULL;
    switch (arg->kind) {
    case ARG_BYTES:
        snprintf(given, sizeof given, "clbfgs_objective_set_arg gave a value of %zu bytes",
                 arg->size);
        if (memory)
            expected = "a buffer (clbfgs_objective_set_arg_buffer or _set_arg_reals)";
        else if (local)
            expected = "__local memory: its size with a NULL value";
        else if (a.size && a.size != arg->size) {
            snprintf(given, sizeof given,
                     "clbfgs_objective_set_arg gave %zu bytes where %s takes %zu (real is %s "
                     "in this run)",
                     arg->size, a.type, a.size, real);
            expected = a.type;
        }
        break;
    case ARG_TYPED:
        snprintf(given, sizeof given, "clbfgs_objective_set_arg_typed gave %s %s",
                 article(arg->type), arg->type);
        if (memory)
            expected = "a buffer (clbfgs_objective_set_arg_buffer or _set_arg_reals)";
        else if (local)
            expected = "__local memory: its size with a NULL value";
        else if (a.size && strcmp(a.type, arg->type) != 0)
            expected = a.type; /* the caller's own types (size 0): clSetKernelArg's size check */
        break;
    case ARG_LOCAL:
        snprintf(given, sizeof given,
                 "clbfgs_objective_set_arg gave %zu bytes of __local memory (a NULL value)",
                 arg->size);
        if (!local)
            expected = memory ? "a buffer" : "a value";
        break;
    case ARG_REAL:
        snprintf(given, sizeof given, "clbfgs_objective_set_arg_real gave a real (%s, %zu bytes)",
                 real, run->elem);
        if (memory || local || (a.size && strcmp(a.type, real) != 0))
            expected = memory  ? "a buffer"
                       : local ? "__local memory"
                               : "a value of its own type (clbfgs_objective_set_arg_typed)";
        break;
    case ARG_BUFFER:
        snprintf(given, sizeof given, "clbfgs_objective_set_arg_buffer gave a buffer");
        if (!memory)
            expected = local ? "__local memory: its size with a NULL value"
                             : "a value (clbfgs_objective_set_arg_typed or _set_arg_real)";
        break;
    case ARG_REALS:
        snprintf(given, sizeof given,
                 "clbfgs_objective_set_arg_reals gave a buffer of %zu reals (%s)", arg->count,
                 real);
        if (!memory || (a.size && strcmp(a.type, real) != 0))
            expected = memory  ? "a buffer of its own type (clbfgs_objective_set_arg_buffer)"
                       : local ? "__local memory: its size with a NULL value"
                               : "a value (clbfgs_objective_set_arg_typed or _set_arg_real)";
        break;
    case ARG_UNSET: break;
    }
    if (!expected)
        return CLBFGS_SUCCESS;
    return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s of kernel '%s' in %s takes %s, but %s",
                        what, o->kernel, o->name, expected, given);
}

/* Whether the driver describes the kernel's arguments: only
 * CL_KERNEL_ARG_INFO_NOT_AVAILABLE says no; any other failure (a kernel with
 * no arguments) is left to the checks, which report it. */
static int has_arg_info(cl_kernel k)
{
    cl_kernel_arg_address_qualifier space;
    return clGetKernelArgInfo(k, 0, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof space, &space, NULL) !=
           CL_KERNEL_ARG_INFO_NOT_AVAILABLE;
}

/* A clSetKernelArg failure on the caller's argument is the caller's mistake
 * (a size the driver refuses), so it is INVALID_ARGUMENT, with the call's code. */
static clbfgs_status set_arg_failed(const struct orun *run, cl_int err, cl_uint index,
                                    const char *what)
{
    const clbfgs_objective *o = run->objective;
    if (err == CL_INVALID_ARG_SIZE || err == CL_INVALID_ARG_VALUE || err == CL_INVALID_MEM_OBJECT ||
        err == CL_INVALID_SAMPLER)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "argument %u of kernel '%s' in %s: the driver refused %s (%s)", index,
                            o->kernel, o->name, what, clbfgs__cl_error_name(err));
    return clbfgs__fail_cl(run->ctx, err, "clSetKernelArg", "argument %u (%s) of kernel '%s'",
                           index, what, o->kernel);
}

static clbfgs_status set_extra_args(struct orun *run)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const clbfgs_objective *o = run->objective;
    cl_kernel k = run->objective_kernel;
    unsigned fixed = fixed_args(o);
    cl_uint count = 0;
    CLBFGS_CL_TRY(run->ctx, clGetKernelInfo(k, CL_KERNEL_NUM_ARGS, sizeof count, &count, NULL),
                  "the argument count of kernel '%s'", o->kernel);
    if (count < fixed)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "kernel '%s' in %s takes %u arguments; the contract needs at least %u: "
                            "(uint n, const real *x, real *f_terms%s)",
                            o->kernel, o->name, count, fixed, o->gradient ? ", real *g" : "");
    if (count - fixed != o->nargs)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "kernel '%s' in %s takes %u extra arguments after the contract's %u, "
                            "but %u were set",
                            o->kernel, o->name, count - fixed, fixed, o->nargs);
    int have_info = 0;
    CLBFGS_TRY(check_fixed_args(run, k, &have_info));
    if (!have_info)
        clbfgs__log(run->ctx, CLBFGS_LOG_DEBUG,
                    "the driver gives no argument info for kernel '%s': its arguments are "
                    "checked by size only, by clSetKernelArg",
                    o->kernel);
    for (unsigned a = 0; a < o->nargs; a++) {
        const struct extra_arg *arg = &o->args[a];
        cl_uint index = fixed + a;
        if (arg->kind == ARG_UNSET)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "argument %u of kernel '%s' in %s was never set", index, o->kernel,
                                o->name);
        if (have_info)
            CLBFGS_TRY(check_extra_arg(run, k, index, arg));
        cl_int err = CL_SUCCESS;
        char what[64];
        switch (arg->kind) {
        case ARG_UNSET: break;
        case ARG_BYTES:
            err = clSetKernelArg(k, index, arg->size, arg->bytes);
            snprintf(what, sizeof what, "a value of %zu bytes", arg->size);
            break;
        case ARG_TYPED:
            err = clSetKernelArg(k, index, arg->size, arg->bytes);
            snprintf(what, sizeof what, "%s %s", article(arg->type), arg->type);
            break;
        case ARG_LOCAL:
            err = clSetKernelArg(k, index, arg->size, NULL);
            snprintf(what, sizeof what, "%zu bytes of __local memory", arg->size);
            break;
        case ARG_REAL:
            if (run->precision == CLBFGS_PRECISION_FLOAT && !clbfgs__fits_float(arg->real))
                return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                    "argument %u of kernel '%s' in %s: the real %g overflows "
                                    "float; run in double precision or rescale",
                                    index, o->kernel, o->name, arg->real);
            err = clbfgs__set_real_arg(k, index, run->precision, arg->real);
            snprintf(what, sizeof what, "a real (%zu bytes)", run->elem);
            break;
        case ARG_BUFFER:
            err = clSetKernelArg(k, index, sizeof(cl_mem), &arg->buffer);
            snprintf(what, sizeof what, "a buffer");
            break;
        case ARG_REALS:
            CLBFGS_TRY(clbfgs__upload_reals(run->ctx, arg->reals, arg->count, run->precision,
                              &run->arg_buffers[a], "a kernel argument's values"));
            err = clSetKernelArg(k, index, sizeof(cl_mem), &run->arg_buffers[a]);
            snprintf(what, sizeof what, "a buffer of %zu reals", arg->count);
            break;
        }
        if (err != CL_SUCCESS)
            return set_arg_failed(run, err, index, what);
    }
cleanup:
    return status;
}

static clbfgs_status prepare(struct orun *run, double eps)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const clbfgs_objective *o = run->objective;
    size_t n = run->n;
    run->work_size = n;
    switch (o->kind) {
    case OBJECTIVE_HOST:
        run->host_x = malloc(n * sizeof(double));
        run->host_g = malloc(n * sizeof(double));
        if (!run->host_x || !run->host_g)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY,
                                "host copies of x and g (n = %zu)", n);
        return CLBFGS_SUCCESS;
    case OBJECTIVE_LOGISTIC: {
        const struct logistic *l = o->logistic;
        if (l->ctx != run->ctx)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "the logistic regression's data live in another context");
        if (l->n != n)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "the logistic regression has %zu features, but n = %zu", l->n, n);
        if (l->precision != run->precision)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "the logistic regression's data are in %s, but the run is in %s",
                                clbfgs__real_name(l->precision), clbfgs__real_name(run->precision));
        return CLBFGS_SUCCESS;
    }
    case OBJECTIVE_DEVICE: {
        /* SLOT_F is element 0, so the view starts at offset 0 (always aligned). */
        cl_buffer_region region = {SLOT_F * run->elem, run->elem};
        cl_int err = CL_SUCCESS;
        run->f_view = clCreateSubBuffer(run->scalars, CL_MEM_READ_WRITE,
                                        CL_BUFFER_CREATE_TYPE_REGION, &region, &err);
        CLBFGS_CL_TRY(run->ctx, err, "the one-value buffer for f");
        return CLBFGS_SUCCESS;
    }
    case OBJECTIVE_SOURCE: break;
    }
    if (o->needs_even_n && n % 2 != 0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "the extended Rosenbrock function needs an even n, not %zu", n);
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
    status =
        clbfgs__program_get(run->ctx, o->name, source, options, run->precision, &program, &origin);
    if (status == CLBFGS_SUCCESS)
        status = clbfgs__kernel_new(run->ctx, program, o->kernel, &run->objective_kernel);
    /* Argument info is only sure for programs built from source: one from
     * the disk cache that has none is compiled again, or the checks below
     * would go silent and a wrong argument crash the driver. */
    if (status == CLBFGS_SUCCESS && !o->builtin && origin != CLBFGS_PROGRAM_COMPILED &&
        !has_arg_info(run->objective_kernel)) {
        clReleaseKernel(run->objective_kernel);
        run->objective_kernel = NULL;
        status = clbfgs__program_get_flags(run->ctx, o->name, source, options, run->precision,
                                           CLBFGS__PROGRAM_FROM_SOURCE, &program, &origin);
        if (status == CLBFGS_SUCCESS)
            status = clbfgs__kernel_new(run->ctx, program, o->kernel, &run->objective_kernel);
        if (status == CLBFGS_SUCCESS && origin == CLBFGS_PROGRAM_COMPILED)
            clbfgs__log(run->ctx, CLBFGS_LOG_INFO,
                        "%s: the program from the disk cache gave no argument info for kernel "
                        "'%s'; compiled it from source so that its arguments are checked",
                        o->name, o->kernel);
    }
    free(options);
    CLBFGS_TRY(status);
    CLBFGS_TRY(set_extra_args(run));
    size_t problems = o->gradient ? 1 : n + 1;
    CLBFGS_TRY(clbfgs__exec_buffer(run->exec, problems * run->work_size, &run->terms, "the f terms"));
    if (!o->gradient) {
        cl_program util;
        CLBFGS_TRY(clbfgs__program_get(run->ctx, "cl/util.cl", clbfgs__cl_util, NULL,
                                       run->precision, &util, NULL));
        CLBFGS_TRY(clbfgs__kernel_new(run->ctx, util, "fd_points", &run->fd_points));
        CLBFGS_TRY(clbfgs__kernel_new(run->ctx, util, "fd_sums", &run->fd_sums_kernel));
        CLBFGS_TRY(clbfgs__kernel_new(run->ctx, util, "fd_gradient", &run->fd_gradient));
        CLBFGS_TRY(clbfgs__exec_group_size(run->exec, run->fd_sums_kernel, 256, &run->wg_reduce));
        CLBFGS_TRY(clbfgs__exec_buffer(run->exec, (n + 1) * n, &run->fd_x, "the forward-difference points"));
        CLBFGS_TRY(clbfgs__exec_buffer(run->exec, n, &run->fd_dx, "the forward-difference steps"));
        CLBFGS_TRY(clbfgs__exec_buffer(run->exec, n + 1, &run->fd_sums, "the forward-difference values"));
        double machine_eps = run->precision == CLBFGS_PRECISION_DOUBLE ? 2.220446049250313e-16
                                                                       : 1.1920928955078125e-07;
        run->fd_eps = eps > 0 ? eps : sqrt(machine_eps);
    }
cleanup:
    return status;
}

static void release(struct orun *run)
{
    free(run->host_x);
    free(run->host_g);
    cl_kernel kernels[] = {run->objective_kernel, run->fd_points, run->fd_sums_kernel,
                           run->fd_gradient};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i])
            clReleaseKernel(kernels[i]);
    cl_mem bufs[] = {run->terms, run->fd_x, run->fd_dx, run->fd_sums, run->f_view};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    for (size_t i = 0; i < CLBFGS_MAX_EXTRA_ARGS; i++)
        if (run->arg_buffers[i])
            clReleaseMemObject(run->arg_buffers[i]);
}

static clbfgs_status eval_host(struct orun *run, cl_mem x, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const clbfgs_objective *o = run->objective;
    CLBFGS_TRY(clbfgs__exec_read_reals(run->exec, x, 0, run->host_x, run->n));
    for (size_t i = 0; i < run->n; i++)
        run->host_g[i] = (double)NAN; /* poison: a callback that skips g is caught */
    double f = (double)NAN;
    int rc = o->host_fn(o->user, run->host_x, run->n, &f, run->host_g);
    if (rc != 0)
        return clbfgs__fail(CLBFGS_ERR_OBJECTIVE,
                            "the host objective callback returned %d (evaluation %zu)", rc,
                            *run->nfev);
    CLBFGS_TRY(clbfgs__exec_write_reals(run->exec, g, 0, run->host_g, run->n));
    /* f goes through the device so every kind reads back the same way. */
    CLBFGS_TRY(clbfgs__exec_write_reals(run->exec, run->scalars, SLOT_F, &f, 1));
cleanup:
    return status;
}

static clbfgs_status eval_logistic(struct orun *run, cl_mem x, cl_mem g, clbfgs_terms *f)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct logistic *l = run->objective->logistic;
    cl_kernel k = l->kernel;
    cl_uint m = (cl_uint)l->m, n = (cl_uint)l->n;
    /* z = A w; then r = sigmoid(z) - y into z, the loss terms, g = lambda w; then g += A^T r */
    CLBFGS_TRY(clbfgs__blas_gemv(run->exec, 0, l->m, l->n, l->a, x, 0.0, l->z));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &l->terms), "logistic_terms");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &l->z), "logistic_terms");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &l->y), "logistic_terms");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 3, sizeof(cl_mem), &x), "logistic_terms");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 4, sizeof(cl_mem), &g), "logistic_terms");
    CLBFGS_TRY(clbfgs__exec_arg_real(run->exec, k, 5, l->lambda));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 6, sizeof m, &m), "logistic_terms");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 7, sizeof n, &n), "logistic_terms");
    CLBFGS_TRY(clbfgs__exec_launch_1d(run->exec, k, l->m > l->n ? l->m : l->n, "logistic_terms"));
    CLBFGS_TRY(clbfgs__blas_gemv(run->exec, 1, l->m, l->n, l->a, l->z, 1.0, g));
    f->terms = l->terms;
    f->count = l->m + l->n;
cleanup:
    return status;
}

/* The caller's kernel over `problems` points at xs into run->terms (and g). */
static clbfgs_status launch_source(struct orun *run, cl_mem xs, cl_mem g, size_t problems)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const clbfgs_objective *o = run->objective;
    cl_kernel k = run->objective_kernel;
    cl_uint n = (cl_uint)run->n;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof n, &n), "argument 0 of '%s'", o->kernel);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &xs), "argument 1 of '%s'",
                  o->kernel);
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &run->terms), "argument 2 of '%s'",
                  o->kernel);
    if (o->gradient)
        CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 3, sizeof(cl_mem), &g), "argument 3 of '%s'",
                      o->kernel);
    CLBFGS_TRY(clbfgs__exec_launch_2d(run->exec, k, run->work_size, problems, o->kernel));
cleanup:
    return status;
}

static clbfgs_status eval_forward_differences(struct orun *run, cl_mem x, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    cl_uint n = (cl_uint)run->n, w = (cl_uint)run->work_size;
    cl_kernel k = run->fd_points;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &run->fd_x), "fd_points");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &run->fd_dx), "fd_points");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &x), "fd_points");
    CLBFGS_TRY(clbfgs__exec_arg_real(run->exec, k, 3, run->fd_eps));
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 4, sizeof n, &n), "fd_points");
    CLBFGS_TRY(clbfgs__exec_launch_2d(run->exec, k, run->n, run->n + 1, "fd_points"));

    CLBFGS_TRY(launch_source(run, run->fd_x, NULL, run->n + 1));

    k = run->fd_sums_kernel;
    size_t wg = run->wg_reduce;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &run->fd_sums), "fd_sums");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &run->terms), "fd_sums");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof w, &w), "fd_sums");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 3, wg * run->elem, NULL), "fd_sums");
    CLBFGS_TRY(clbfgs__exec_launch_groups(run->exec, k, run->n + 1, wg, "fd_sums"));

    k = run->fd_gradient;
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 0, sizeof(cl_mem), &g), "fd_gradient");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 1, sizeof(cl_mem), &run->scalars), "fd_gradient");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 2, sizeof(cl_mem), &run->fd_sums), "fd_gradient");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 3, sizeof(cl_mem), &run->fd_dx), "fd_gradient");
    CLBFGS_CL_TRY(run->ctx, clSetKernelArg(k, 4, sizeof n, &n), "fd_gradient");
    CLBFGS_TRY(clbfgs__exec_launch_1d(run->exec, k, run->n, "fd_gradient"));
cleanup:
    return status;
}

static clbfgs_status eval_device(struct orun *run, cl_mem x, cl_mem g)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const clbfgs_objective *o = run->objective;
    /* The callback's commands are not ours to time one by one: time the span. */
    CLBFGS_TRY(clbfgs__exec_mark(run->exec, 0));
    int rc = o->device_fn(o->user, run->ctx->queue, x, run->f_view, g, run->n, run->precision);
    if (rc != 0)
        return clbfgs__fail(CLBFGS_ERR_OBJECTIVE,
                            "the device objective callback returned %d (evaluation %zu)", rc,
                            *run->nfev);
    CLBFGS_TRY(clbfgs__exec_mark(run->exec, 1));
cleanup:
    return status;
}

static clbfgs_status eval(struct orun *run, cl_mem x, cl_mem g, clbfgs_terms *f)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const clbfgs_objective *o = run->objective;
    f->terms = NULL;
    f->count = 0;
    switch (o->kind) {
    case OBJECTIVE_HOST: return eval_host(run, x, g);
    case OBJECTIVE_LOGISTIC: return eval_logistic(run, x, g, f);
    case OBJECTIVE_DEVICE: return eval_device(run, x, g);
    case OBJECTIVE_SOURCE: break;
    }
    if (!o->gradient)
        return eval_forward_differences(run, x, g);
    CLBFGS_TRY(launch_source(run, x, g, 1));
    f->terms = run->terms;
    f->count = run->work_size;
cleanup:
    return status;
}

clbfgs_status clbfgs__eval_prepare(clbfgs_eval *ev, const clbfgs_objective *o, clbfgs_exec *e,
                                   size_t n, double eps)
{
    memset(ev, 0, sizeof *ev);
    ev->objective = o;
    ev->exec = e;
    ev->n = n;
    struct orun *run = calloc(1, sizeof *run);
    if (!run)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "an objective's run state");
    ev->state = run;
    run->exec = e;
    run->ctx = e->ctx;
    run->objective = o;
    run->n = n;
    run->precision = e->precision;
    run->elem = e->elem;
    run->scalars = e->scalars;
    run->nfev = &ev->nfev;
    return prepare(run, eps);
}

void clbfgs__eval_release(clbfgs_eval *ev)
{
    if (ev->state)
        release(ev->state);
    free(ev->state);
    ev->state = NULL;
}

clbfgs_status clbfgs__eval(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f)
{
    const clbfgs_objective *o = ev->objective;
    ev->njev++;
    ev->nfev += o->kind == OBJECTIVE_SOURCE && !o->gradient ? ev->n + 1 : 1;
    int phase = clbfgs__exec_phase(ev->exec, PHASE_OBJECTIVE);
    clbfgs_status status = eval(ev->state, x, g, f);
    clbfgs__exec_phase(ev->exec, phase);
    return status;
}
