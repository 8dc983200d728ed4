/* Term objectives (issue 12): f = sum over m data items of a function the
 * caller writes in OpenCL C for one item; the library writes the kernels
 * that sum f and the gradient over the items.
 *
 * The kernels are cl/terms.cl, compiled after the caller's source with
 * definitions that name the function, its data parameters and the form
 * (gradient or forward differences, plain sum or least squares); that file
 * says how the sums go. n is a compile-time constant: up to TERMS_NARROW_N
 * each work-item's sums are private (registers), beyond it they go through
 * global memory, up to TERMS_MAX_N, where x and the item's gradient, private
 * arrays by the function's contract, stop fitting. Least squares: the
 * function gives a residual r_i (and its gradient), f = 1/2 sum r_i^2,
 * g = J^T r.
 */
#include "config.h"

#include "build_options.h"
#include "cl_sources.h"
#include "kernel_args.h"
#include "objective_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The work-group of the generated kernels: their local arrays are sized by it. */
#define TERMS_WG 64
/* Up to this n each work-item's sums are private (registers for small n);
 * past it they go through global memory. */
#define TERMS_NARROW_N 64
/* The most parameters: x and the item's gradient stay private arrays (the
 * term function's contract), 2 n reals per work-item. */
#define TERMS_MAX_N 1024
/* The most work-groups: narrow, and wide (each work-item then holds
 * 2 (n + 1) reals of global memory). */
#define TERMS_GROUPS_MAX 4096
#define TERMS_WIDE_GROUPS_MAX 64

struct terms {
    char *source, *name, *function, *args_decl, *args_names, *build_options;
    size_t m;
    int gradient, least_squares;
    struct extra_arg *args;  /* args[k] is the function's data parameter k */
    unsigned nargs, nparams; /* set, and declared in args_decl */
    /* elements per problem of data parameter k in a batch; 0: shared */
    size_t per_problem[CLBFGS_MAX_EXTRA_ARGS];
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

/* The definitions that make cl/terms.cl the kernels of t (CLBFGS_N comes first). */
static char *term_defines(const struct terms *t, int wide, double eps)
{
    const char *decl = t->args_decl ? t->args_decl : "";
    const char *names = t->args_names ? t->args_names : "";
    const char *sep = t->nparams ? ", " : "";
    return clbfgs__strdup_printf(
        "#line 1 \"clbfgs-terms (generated)\"\n"
        "#define CLBFGS_WG %d\n#define CLBFGS_EPS ((real)%.17g)\n"
        "#define CLBFGS_GRADIENT %d\n#define CLBFGS_LSQ %d\n#define CLBFGS_WIDE %d\n"
        "#define CLBFGS_TERM_PARAMS %s%s\n"
        "#define CLBFGS_TERM(i, x%s) %s(i, x%s%s%s)\n",
        TERMS_WG, eps, t->gradient, t->least_squares, wide, sep, decl, t->gradient ? ", g" : "",
        t->function, t->gradient ? ", g" : "", sep, names);
}

/* The reals of the partial-sums buffer for n parameters and this many
 * groups: the groups' n + 1 sums, and a wide run's per-work-item sums. */
static double partial_reals(size_t n, size_t groups)
{
    double reals = (double)groups * ((double)n + 1);
    if (n > TERMS_NARROW_N)
        reals += (double)groups * TERMS_WG * 2 * ((double)n + 1);
    return reals;
}

static double terms_bytes(const void *data, size_t n, size_t elem, double *largest)
{
    (void)data;
    double bytes = partial_reals(n, n > TERMS_NARROW_N ? TERMS_WIDE_GROUPS_MAX : TERMS_GROUPS_MAX) *
                   (double)elem;
    *largest = bytes;
    return bytes;
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
    /* x and the item's gradient are private arrays of n (the term
     * function's contract): past TERMS_MAX_N they would overflow a CPU
     * thread's stack (pocl) or crawl through a GPU's spilled registers */
    if (ev->n > TERMS_MAX_N)
        return clbfgs__fail(CLBFGS_ERR_UNSUPPORTED,
                            "%s: term objectives take n up to %d (the term function's x and g "
                            "are private arrays of n), not n = %zu",
                            t->name, TERMS_MAX_N, ev->n);
    int wide = ev->n > TERMS_NARROW_N;
    /* the step is compiled into the forward-difference kernels */
    body = term_defines(t, wide, eps);
    /* CLBFGS_N for the caller's source, which keeps its own name and line
     * numbers; then the slot numbers, the definitions and cl/terms.cl */
    const char *parts[3] = {body, clbfgs__cl_term_sums, clbfgs__cl_terms};
    char *generated = body ? clbfgs__exec_source(parts, 3) : NULL;
    /* a name that cannot sit in a #line string is left out of it */
    const char *line_name = strpbrk(t->name, "\"\\\n\r") ? "terms.cl" : t->name;
    source = generated ? clbfgs__strdup_printf("#define CLBFGS_N %zu\n#line 1 \"%s\"\n%s\n%s",
                                               ev->n, line_name, t->source, generated)
                       : NULL;
    free(generated);
    options = clbfgs__strdup_printf("-cl-kernel-arg-info%s%s", t->build_options ? " " : "",
                                    t->build_options ? t->build_options : "");
    if (!body || !source || !options) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the kernels of %s", t->name);
        goto cleanup;
    }
    cl_program program;
    status = clbfgs__program_get_flags(e->ctx, t->name, source, options, e->precision,
                                       CLBFGS__PROGRAM_FROM_SOURCE, &program, NULL);
    if (status == CLBFGS_ERR_BUILD && strstr(clbfgs_last_error(), "clbfgs-terms (generated)")) {
        /* an error in the library's call of the function: say what it calls */
        char *log = clbfgs__strdup(clbfgs_last_error());
        status = clbfgs__fail(CLBFGS_ERR_BUILD,
                              "%s\nThe library calls %s(i, x%s%s%s) for each item, with the data "
                              "arguments declared as \"%s\": the function must take exactly "
                              "these, in this order",
                              log ? log : "", t->function, t->gradient ? ", g" : "",
                              t->nparams ? ", " : "", t->args_names ? t->args_names : "",
                              t->args_decl ? t->args_decl : "");
        free(log);
    }
    if (status != CLBFGS_SUCCESS)
        goto cleanup;
    CLBFGS_TRY(clbfgs__kernel_new(e->ctx, program, "clbfgs_terms", &run->sum));
    CLBFGS_TRY(clbfgs__kernel_new(e->ctx, program, "clbfgs_terms_final", &run->final));
    /* the data arguments: checked against the generated kernel's parameters
     * after its own (m, x, partial) */
    struct kernel_args args = {.kernel = t->function,
                               .name = t->name,
                               .gradient = 0, /* m, x, partial: three of the library's */
                               .args = t->args,
                               .nargs = t->nargs,
                               .data_args = 1};
    if (t->nargs != t->nparams)
        CLBFGS_TRY(clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "the term function '%s' in %s declares %u data arguments (\"%s\") "
                                "but %u were set",
                                t->function, t->name, t->nparams, t->args_decl ? t->args_decl : "",
                                t->nargs));
    CLBFGS_TRY(clbfgs__set_extra_args(e, run->sum, &args, run->arg_buffers));
    /* enough groups to fill the device, and no more: each adds n + 1 partials */
    cl_uint units = e->ctx->info.compute_units ? e->ctx->info.compute_units : 1;
    size_t want = (t->m + TERMS_WG - 1) / TERMS_WG, most = (size_t)units * 8;
    size_t cap = wide ? TERMS_WIDE_GROUPS_MAX : TERMS_GROUPS_MAX;
    most = most > cap ? cap : most;
    run->groups = want < most ? want : most;
    CLBFGS_TRY(clbfgs__exec_buffer(e, (size_t)partial_reals(ev->n, run->groups), &run->partial,
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

static clbfgs_status terms_form(void *data, size_t n, struct clbfgs_function_form *form)
{
    struct terms *t = data;
    (void)n;
    form->source = t->source;
    form->name = t->name;
    form->function = t->function;
    form->args_decl = t->args_decl;
    form->args_names = t->args_names;
    form->nparams = t->nparams;
    form->args = t->args;
    form->nargs = t->nargs;
    form->per_problem = t->per_problem;
    form->m = t->m;
    form->gradient = t->gradient;
    form->least_squares = t->least_squares;
    form->build_options = t->build_options;
    return CLBFGS_SUCCESS;
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
    .function_form = terms_form,
};

clbfgs_status clbfgs_objective_set_arg_per_problem(clbfgs_objective *objective, unsigned index,
                                                   size_t count)
{
    static const char who[] = "clbfgs_objective_set_arg_per_problem";
    if (!objective)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: objective must not be NULL", who);
    if (objective->ops != &clbfgs__terms_ops)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: only term objectives (clbfgs_objective_terms) have per-problem "
                            "data; this one is a %s objective",
                            who, objective->ops->name);
    struct terms *t = objective->data;
    if (index >= t->nparams)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: the term function '%s' declares %u data argument%s; there is no "
                            "argument %u (they count from 0, after g)",
                            who, t->function, t->nparams, t->nparams == 1 ? "" : "s", index);
    t->per_problem[index] = count;
    return CLBFGS_SUCCESS;
}

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
