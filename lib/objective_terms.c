/* Term objectives (issue 12): f = sum over m data items of a function the
 * caller writes in OpenCL C for one item; the library writes the kernels
 * that sum f and the gradient over the items.
 *
 * The generated kernel (see term_source) gives each work-item x in private
 * memory, runs a grid-stride loop over the items, accumulating f and the
 * n gradient components in private memory, then adds each of the n + 1
 * sums across the work-group through local memory in a fixed tree; each
 * group writes its n + 1 partial sums, and a second short kernel adds the
 * groups' partials in group order, one work-item per component. The
 * number of groups depends only on m and the device, so the same inputs
 * give the same bits on one device.
 *
 * Without a gradient the same pass evaluates each item at x and at the n
 * points x + h_j e_j (SciPy's step rule, as util.cl's fd_points), so one
 * read of the data gives f and the whole forward-difference gradient;
 * the differences are summed term by term. Least squares: the function
 * gives a residual r_i (and its gradient), f = 1/2 sum r_i^2, g = J^T r.
 *
 * n is a compile-time constant of the generated program: the private
 * arrays (x, the gradient sums, the item's gradient) are in registers for
 * small n and spill to private memory beyond. */
#include "config.h"

#include "build_options.h"
#include "kernel_args.h"
#include "objective_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The work-group of the generated kernel: its local arrays are sized by it. */
#define TERMS_WG 64
/* The most parameters: the private arrays are 3 n reals per work-item. */
#define TERMS_MAX_N 256

struct terms {
    char *source, *name, *function, *args_decl, *args_names, *build_options;
    size_t m;
    int gradient, least_squares;
    struct extra_arg *args;  /* args[k] is the function's data parameter k */
    unsigned nargs, nparams; /* set, and declared in args_decl */
};

struct terms_run {
    cl_kernel sum, final;
    cl_mem partial;
    cl_mem arg_buffers[CLBFGS_MAX_EXTRA_ARGS];
    size_t groups;
};

static void terms_free(void *data)
{
    struct terms *t = data;
    if (!t)
        return;
    clbfgs__args_clear(t->args, t->nargs);
    free(t->args);
    free(t->source);
    free(t->name);
    free(t->function);
    free(t->args_decl);
    free(t->args_names);
    free(t->build_options);
    free(t);
}

clbfgs_status clbfgs__terms_arg_slot(void *data, unsigned index, const char *who,
                                     struct extra_arg **slot)
{
    struct terms *t = data;
    if (index >= t->nparams)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: the term function '%s' declares %u data argument%s (\"%s\"); "
                            "there is no argument %u (they count from 0, after g)",
                            who, t->function, t->nparams, t->nparams == 1 ? "" : "s",
                            t->args_decl ? t->args_decl : "", index);
    return clbfgs__args_slot(&t->args, &t->nargs, index, who, slot);
}

/* The end of both sum kernels and the start of the final pass: each
 * group's n + 1 sums (fsum, gsum[]) through local memory in a fixed tree,
 * then the groups' partials added in group order, one work-item per sum. */
#define TERMS_REDUCE                                                                               \
    "    __global real *out = partial + get_group_id(0) * (CLBFGS_N + 1);\n"                       \
    "    for (uint k = 0; k <= CLBFGS_N; k++) {\n"                                                 \
    "        scratch[lid] = k == 0 ? fsum : gsum[k - 1];\n"                                        \
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"                                                      \
    "        for (size_t s = CLBFGS_WG / 2; s > 0; s /= 2) {\n"                                    \
    "            if (lid < s) scratch[lid] += scratch[lid + s];\n"                                 \
    "            barrier(CLK_LOCAL_MEM_FENCE);\n"                                                  \
    "        }\n"                                                                                  \
    "        if (lid == 0) out[k] = scratch[0];\n"                                                 \
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"                                                      \
    "    }\n"                                                                                      \
    "}\n"                                                                                          \
    "__kernel void clbfgs_terms_final(__global const real *partial, const uint groups,\n"          \
    "                                 __global const real *xg,\n"                                  \
    "                                 __global real *g, __global real *sc)\n"                      \
    "{\n"                                                                                          \
    "    const size_t k = get_global_id(0);\n"                                                     \
    "    if (k > CLBFGS_N) return;\n"                                                              \
    "    real acc = 0;\n"                                                                          \
    "    for (uint c = 0; c < groups; c++) acc += partial[c * (CLBFGS_N + 1) + k];\n"

/* The generated kernels that follow the caller's source, for n parameters. */
static char *term_source(const struct terms *t, size_t n, double eps)
{
    const char *decl = t->args_decl ? t->args_decl : "";
    const char *names = t->args_names ? t->args_names : "";
    const char *sep = t->nparams ? ", " : "";
    /* an item's contribution to f and to gradient component j */
    const char *f_add = t->least_squares ? "r * r" : "r";
    if (t->gradient)
        return clbfgs__strdup_printf(
            "#line 1 \"clbfgs-terms (generated)\"\n"
            "#define CLBFGS_N %zu\n#define CLBFGS_WG %d\n#define CLBFGS_EPS ((real)%.17g)\n"
            "#pragma OPENCL FP_CONTRACT OFF\n"
            "__kernel __attribute__((reqd_work_group_size(CLBFGS_WG, 1, 1)))\n"
            "void clbfgs_terms(const uint m, __global const real *xg, __global real *partial%s%s)\n"
            "{\n"
            "    __local real scratch[CLBFGS_WG];\n"
            "    const size_t lid = get_local_id(0);\n"
            "    real x[CLBFGS_N], gsum[CLBFGS_N], g[CLBFGS_N], fsum = 0;\n"
            "    for (uint j = 0; j < CLBFGS_N; j++) { x[j] = xg[j]; gsum[j] = 0; }\n"
            "    for (size_t i = get_global_id(0); i < m; i += get_global_size(0)) {\n"
            "        for (uint j = 0; j < CLBFGS_N; j++) g[j] = 0;\n"
            "        const real r = %s((uint)i, x, g%s%s);\n"
            "        fsum += %s;\n"
            "        for (uint j = 0; j < CLBFGS_N; j++) gsum[j] += %s;\n"
            "    }\n" TERMS_REDUCE "    if (k == 0) sc[SLOT_F] = %s; else g[k - 1] = acc;\n"
            "}\n",
            n, TERMS_WG, eps, sep, decl, t->function, sep, names, f_add,
            t->least_squares ? "r * g[j]" : "g[j]", t->least_squares ? "acc / 2" : "acc");
    /* forward differences: each item at x and at the n stepped points */
    return clbfgs__strdup_printf(
        "#line 1 \"clbfgs-terms (generated)\"\n"
        "#define CLBFGS_N %zu\n#define CLBFGS_WG %d\n#define CLBFGS_EPS ((real)%.17g)\n"
        "#pragma OPENCL FP_CONTRACT OFF\n"
        "static real clbfgs_step(const real xj)\n"
        "{\n"
        "    const real eps = CLBFGS_EPS;\n"
        "    real t = xj + eps;\n"
        "    if (t - xj == 0) t = xj + eps * (xj >= 0 ? (real)1 : (real)-1) * fmax((real)1, "
        "fabs(xj));\n"
        "    return t;\n"
        "}\n"
        "__kernel __attribute__((reqd_work_group_size(CLBFGS_WG, 1, 1)))\n"
        "void clbfgs_terms(const uint m, __global const real *xg, __global real *partial%s%s)\n"
        "{\n"
        "    __local real scratch[CLBFGS_WG];\n"
        "    const size_t lid = get_local_id(0);\n"
        "    real x[CLBFGS_N], xs[CLBFGS_N], gsum[CLBFGS_N], fsum = 0;\n"
        "    for (uint j = 0; j < CLBFGS_N; j++) {\n"
        "        x[j] = xg[j]; xs[j] = clbfgs_step(x[j]); gsum[j] = 0;\n"
        "    }\n"
        "    for (size_t i = get_global_id(0); i < m; i += get_global_size(0)) {\n"
        "        real r = %s((uint)i, x%s%s);\n"
        "        const real f0 = %s;\n"
        "        fsum += f0;\n"
        "        for (uint j = 0; j < CLBFGS_N; j++) {\n"
        "            const real keep = x[j];\n"
        "            x[j] = xs[j];\n"
        "            r = %s((uint)i, x%s%s);\n"
        "            x[j] = keep;\n"
        "            gsum[j] += %s - f0;\n"
        "        }\n"
        "    }\n" TERMS_REDUCE "    if (%d) acc = acc / 2;\n"
        "    if (k == 0) { sc[SLOT_F] = acc; return; }\n"
        "    const real xj = xg[k - 1];\n"
        "    g[k - 1] = acc / (clbfgs_step(xj) - xj);\n"
        "}\n",
        n, TERMS_WG, eps, sep, decl, t->function, sep, names, f_add, t->function, sep, names, f_add,
        t->least_squares);
}

static double terms_bytes(const void *data, size_t n, size_t elem, double *largest)
{
    (void)data;
    /* the groups' partial sums: at most 4096 groups of n + 1 */
    double partial = 4096.0 * ((double)n + 1) * (double)elem;
    *largest = partial;
    return partial;
}

static size_t terms_values(const void *data, size_t n)
{
    const struct terms *t = data;
    return t->gradient ? 1 : n + 1;
}

static clbfgs_status terms_prepare(clbfgs_eval *ev, double eps)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct terms *t = ev->objective->data;
    struct terms_run *run = ev->state;
    clbfgs_exec *e = ev->exec;
    char *body = NULL, *source = NULL, *options = NULL;
    /* Each work-item keeps x, its item's gradient and its sums in private
     * arrays of n: past a few hundred they would overflow a CPU thread's
     * stack (pocl) or a GPU's private memory. Larger n waits for sums
     * through local or global memory. */
    if (ev->n > TERMS_MAX_N)
        return clbfgs__fail(CLBFGS_ERR_UNSUPPORTED,
                            "%s: term objectives take n up to %d for now (each work-item keeps "
                            "its gradient sums in private memory), not n = %zu",
                            t->name, TERMS_MAX_N, ev->n);
    double machine_eps =
        e->precision == CLBFGS_PRECISION_DOUBLE ? 2.220446049250313e-16 : 1.1920928955078125e-07;
    /* the step is compiled into the forward-difference kernels */
    body = term_source(t, ev->n, eps > 0 ? eps : sqrt(machine_eps));
    /* the caller's source first, so its lines keep their numbers; then the
     * slot numbers and the generated kernels */
    const char *parts[1] = {body};
    char *generated = body ? clbfgs__exec_source(parts, 1) : NULL;
    source = generated ? clbfgs__strdup_printf("%s\n%s", t->source, generated) : NULL;
    free(generated);
    options = clbfgs__strdup_printf("-cl-kernel-arg-info%s%s", t->build_options ? " " : "",
                                    t->build_options ? t->build_options : "");
    if (!body || !source || !options) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the kernels of %s", t->name);
        goto cleanup;
    }
    cl_program program;
    CLBFGS_TRY(clbfgs__program_get_flags(e->ctx, t->name, source, options, e->precision,
                                         CLBFGS__PROGRAM_FROM_SOURCE, &program, NULL));
    CLBFGS_TRY(clbfgs__kernel_new(e->ctx, program, "clbfgs_terms", &run->sum));
    CLBFGS_TRY(clbfgs__kernel_new(e->ctx, program, "clbfgs_terms_final", &run->final));
    /* the data arguments: checked against the generated kernel's parameters
     * after its own (m, x, partial, and eps without a gradient) */
    struct kernel_args args = {.kernel = t->function,
                               .name = t->name,
                               .gradient = 0, /* m, x, partial: three of the library's */
                               .args = t->args,
                               .nargs = t->nargs};
    if (t->nargs != t->nparams)
        CLBFGS_TRY(clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "the term function '%s' in %s declares %u data arguments (\"%s\") "
                                "but %u were set",
                                t->function, t->name, t->nparams, t->args_decl ? t->args_decl : "",
                                t->nargs));
    CLBFGS_TRY(clbfgs__set_extra_args(e, run->sum, &args, run->arg_buffers));
    cl_uint units = e->ctx->info.compute_units ? e->ctx->info.compute_units : 1;
    size_t want = (t->m + TERMS_WG - 1) / TERMS_WG, most = (size_t)units * 8;
    most = most > 4096 ? 4096 : most;
    run->groups = want < most ? want : most;
    CLBFGS_TRY(clbfgs__exec_buffer(e, run->groups * (ev->n + 1), &run->partial,
                                   "the term sums' partials"));
cleanup:
    free(body);
    free(source);
    free(options);
    return status;
}

static void terms_release(clbfgs_eval *ev)
{
    struct terms_run *run = ev->state;
    if (run->sum)
        clReleaseKernel(run->sum);
    if (run->final)
        clReleaseKernel(run->final);
    if (run->partial)
        clReleaseMemObject(run->partial);
    for (size_t i = 0; i < CLBFGS_MAX_EXTRA_ARGS; i++)
        if (run->arg_buffers[i])
            clReleaseMemObject(run->arg_buffers[i]);
}

static clbfgs_status terms_eval(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f)
{
    (void)f; /* f goes to SLOT_F */
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct terms *t = ev->objective->data;
    struct terms_run *run = ev->state;
    clbfgs_exec *e = ev->exec;
    cl_kernel k = run->sum;
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 0, (cl_uint)t->m));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 1, x));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, run->partial));
    CLBFGS_TRY(clbfgs__exec_launch_groups(e, k, run->groups, TERMS_WG, "the term sums"));
    k = run->final;
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 0, run->partial));
    CLBFGS_TRY(clbfgs__exec_arg_uint(e, k, 1, (cl_uint)run->groups));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 2, x));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 3, g));
    CLBFGS_TRY(clbfgs__exec_arg_mem(e, k, 4, e->scalars));
    CLBFGS_TRY(clbfgs__exec_launch_1d(e, k, ev->n + 1, "the term sums' final pass"));
cleanup:
    return status;
}

const clbfgs_objective_ops clbfgs__terms_ops = {
    .name = "terms",
    .pure = 1,
    .values = terms_values,
    .bytes = terms_bytes,
    .state_size = sizeof(struct terms_run),
    .prepare = terms_prepare,
    .eval = terms_eval,
    .release = terms_release,
    .free_data = terms_free,
};

/* ---- making ---- */

#define TERMS_OPTIONS_OLDEST sizeof(clbfgs_terms_options)

static void terms_defaults(clbfgs_terms_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->name = "terms.cl";
    o->gradient = 1;
}

void clbfgs_terms_options_init_size(clbfgs_terms_options *options, size_t struct_size)
{
    clbfgs_terms_options defaults;
    terms_defaults(&defaults);
    clbfgs__options_init(options, struct_size, &defaults, sizeof defaults);
}

static int is_identifier(const char *s, size_t len)
{
    if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/* The parameter names of a declaration list ("__global const real *t,
 * const real c"): the identifier that ends each comma-separated part, as
 * ", t, c" (a leading comma and space each), and their count. */
static clbfgs_status parameter_names(const char *decl, char **names, unsigned *count)
{
    *names = NULL;
    *count = 0;
    size_t len = strlen(decl), cap = len + 8;
    char *out = calloc(cap + 2 * (len + 1), 1);
    if (!out)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "clbfgs_objective_terms");
    const char *p = decl;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *q = end;
        while (q > p && isspace((unsigned char)q[-1]))
            q--;
        const char *id = q;
        while (id > p && (isalnum((unsigned char)id[-1]) || id[-1] == '_'))
            id--;
        if (!is_identifier(id, (size_t)(q - id)) || id == p) {
            free(out);
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "clbfgs_objective_terms: the data arguments \"%s\" are not a "
                                "parameter list (each a type and a name, separated by commas)",
                                decl);
        }
        if (*count == CLBFGS_MAX_EXTRA_ARGS) {
            free(out);
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "clbfgs_objective_terms: more than %d data arguments",
                                CLBFGS_MAX_EXTRA_ARGS);
        }
        strcat(out, *count ? ", " : "");
        strncat(out, id, (size_t)(q - id));
        ++*count;
        if (!*end)
            break;
        p = end + 1;
    }
    *names = out;
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs_objective_terms(clbfgs_objective **objective, const char *source,
                                     const char *function, size_t m,
                                     const clbfgs_terms_options *options)
{
    static const char who[] = "clbfgs_objective_terms";
    if (!objective)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: objective must not be NULL", who);
    *objective = NULL;
    if (!source || !*source)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: the source is NULL or empty", who);
    if (!function || !is_identifier(function, strlen(function)))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: the function name must be an OpenCL C identifier, not '%s'", who,
                            function ? function : "(null)");
    if (m == 0 || m > (size_t)UINT32_MAX)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: m = %zu data items; it must be 1 to %u", who, m,
                            (unsigned)UINT32_MAX);
    clbfgs_terms_options opts;
    terms_defaults(&opts);
    if (options) {
        clbfgs_status read = clbfgs__options_read(&opts, sizeof opts, TERMS_OPTIONS_OLDEST, options,
                                                  "clbfgs_terms_options");
        if (read != CLBFGS_SUCCESS)
            return read;
    }
    if ((opts.gradient != 0 && opts.gradient != 1) ||
        (opts.least_squares != 0 && opts.least_squares != 1))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: gradient and least_squares must be 0 or 1, not %d and %d", who,
                            opts.gradient, opts.least_squares);
    char where[256];
    snprintf(where, sizeof where, "the build options of %s", opts.name ? opts.name : "terms.cl");
    clbfgs_status status = clbfgs__build_options_check(opts.build_options, where);
    if (status != CLBFGS_SUCCESS)
        return status;
    struct terms *t = calloc(1, sizeof *t);
    if (!t)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
    t->m = m;
    t->gradient = opts.gradient;
    t->least_squares = opts.least_squares;
    int blank = !opts.args;
    for (const char *c = opts.args; c && *c && blank; c++)
        blank = isspace((unsigned char)*c) != 0;
    if (!blank) {
        status = parameter_names(opts.args, &t->args_names, &t->nparams);
        if (status != CLBFGS_SUCCESS) {
            terms_free(t);
            return status;
        }
        t->args_decl = clbfgs__strdup(opts.args);
    }
    t->source = clbfgs__strdup(source);
    t->name = clbfgs__strdup(opts.name ? opts.name : "terms.cl");
    t->function = clbfgs__strdup(function);
    t->build_options = opts.build_options ? clbfgs__strdup(opts.build_options) : NULL;
    if (!t->source || !t->name || !t->function || (opts.build_options && !t->build_options) ||
        (!blank && !t->args_decl)) {
        terms_free(t);
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
    }
    status = clbfgs__objective_new(objective, &clbfgs__terms_ops, t, who);
    if (status != CLBFGS_SUCCESS)
        terms_free(t);
    return status;
}
