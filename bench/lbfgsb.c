/* The C side of the L-BFGS-B suite (`bench/run lbfgsb`, which runs
 * bench/lbfgsb.py): extended Rosenbrock (the built-in "ext-rosenbrock")
 * from (-1.2, 1, -1.2, 1, ...), in double, by clbfgs_minimize with
 * method L-BFGS-B; with --bounded 1 the even coordinates (0-based) have the
 * upper bound 0.5 and nothing else is bounded, so at the solution every
 * even coordinate sits on its bound (x = (0.5, 0.25) per pair).
 *
 *   clbfgs-lbfgsb-bench --n N [--m M] [--bounded 0|1] [--iters K] [--reps R]
 *                       [--profile-reps P] [--converge S] [--method lbfgsb|bfgs]
 *                       [--device SEL]
 *
 * Prints one JSON object:
 *   - timed: R runs of gtol = 0, ftol = 0, maxiter = K (runs that never
 *     converge), after one untimed run of one iteration that builds the
 *     programs: (time.total - time.setup) / nit of each, their median, and
 *     the last run's nit, nfev, status and f;
 *   - profiled: P more such runs (0 for none) on a queue that profiles,
 *     per iteration, medians: the phases' wall times and device times
 *     (clbfgs_timings), launches and syncs;
 *   - converge (S > 0): one run with the default stopping rules (gtol 1e-5,
 *     ftol 2.2e-9), its maxiter S / (the timed per-iteration time) so that
 *     it ends within about S seconds; nit, nfev, status, f, wall seconds,
 *     whether the cap stopped it, and for --bounded 1 how many bounds are
 *     active at the end and the largest violation.
 *
 * --method bfgs runs dense BFGS instead, without bounds (it takes none):
 * only to try the suite at small n before L-BFGS-B is there. */
#include <clbfgs.h>

#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct args {
    const char *device;
    clbfgs_method method;
    size_t n, m, iters, reps, profile_reps;
    int bounded;
    double converge;
};

static int fail(const char *what)
{
    fprintf(stderr, "clbfgs-lbfgsb-bench: %s: %s\n", what, clbfgs_last_error());
    return 1;
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        if ((unsigned char)*s >= 0x20)
            putchar(*s);
    }
    putchar('"');
}

static int parse(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "clbfgs-lbfgsb-bench: %s needs a value\n", argv[i]);
            return -1;
        }
        const char *k = argv[i], *v = argv[i + 1];
        char *end = NULL;
        unsigned long long u = strtoull(v, &end, 10);
        int numeric = end != v && *end == '\0';
        if (strcmp(k, "--device") == 0) {
            a->device = v;
        } else if (strcmp(k, "--method") == 0 && strcmp(v, "lbfgsb") == 0) {
            a->method = CLBFGS_METHOD_LBFGSB;
        } else if (strcmp(k, "--method") == 0 && strcmp(v, "bfgs") == 0) {
            a->method = CLBFGS_METHOD_BFGS;
        } else if (strcmp(k, "--converge") == 0) {
            a->converge = strtod(v, &end);
            if (end == v || *end != '\0' || !(a->converge >= 0)) {
                fprintf(stderr, "clbfgs-lbfgsb-bench: --converge takes seconds >= 0\n");
                return -1;
            }
        } else if (numeric && strcmp(k, "--bounded") == 0 && u <= 1) {
            a->bounded = (int)u;
        } else if (numeric && strcmp(k, "--profile-reps") == 0 && u <= 64) {
            a->profile_reps = (size_t)u;
        } else if (numeric && u > 0 && strcmp(k, "--n") == 0 && u % 2 == 0) {
            a->n = (size_t)u;
        } else if (numeric && u > 0 && strcmp(k, "--m") == 0) {
            a->m = (size_t)u;
        } else if (numeric && u > 0 && strcmp(k, "--iters") == 0) {
            a->iters = (size_t)u;
        } else if (numeric && u > 0 && u <= 64 && strcmp(k, "--reps") == 0) {
            a->reps = (size_t)u;
        } else {
            fprintf(stderr, "clbfgs-lbfgsb-bench: bad option %s %s\n", k, v);
            return -1;
        }
    }
    if (a->n == 0) {
        fprintf(stderr, "usage: clbfgs-lbfgsb-bench --n N (even) [--m M] [--bounded 0|1] "
                        "[--iters K] [--reps 1..64] [--profile-reps 0..64] [--converge S] "
                        "[--method lbfgsb|bfgs] [--device SEL]\n");
        return -1;
    }
    return 0;
}

/* Runs reps minimizations; each run's timings into times, the last result into last. */
static int run_reps(clbfgs_context *ctx, clbfgs_objective *obj, const struct args *a,
                    const double *x0, const clbfgs_options *o, size_t reps, clbfgs_timings *times,
                    clbfgs_result *last)
{
    for (size_t r = 0; r < reps; r++) {
        clbfgs_result res;
        if (clbfgs_minimize(ctx, obj, a->n, x0, o, &res) != CLBFGS_SUCCESS) {
            clbfgs_result_free(&res);
            return fail("clbfgs_minimize");
        }
        if (times)
            times[r] = res.time;
        if (last && r + 1 == reps) {
            clbfgs_result_free(last);
            *last = res;
        } else {
            clbfgs_result_free(&res);
        }
    }
    return 0;
}

static int open_context(const struct args *a, int profile, clbfgs_context **ctx)
{
    clbfgs_context_options co;
    clbfgs_context_options_init(&co);
    co.device = a->device;
    co.profile = profile;
    return clbfgs_context_new(ctx, &co) == CLBFGS_SUCCESS ? 0 : fail("creating a context");
}

static double per_iteration(const clbfgs_timings *t, size_t nit)
{
    return nit ? (t->total - t->setup) / (double)nit : (double)NAN;
}

#define PRINT_MEDIAN(field)                                                                        \
    do {                                                                                           \
        for (size_t r = 0; r < a.profile_reps; r++)                                                \
            tmp[r] = profiled[r].field / nit;                                                      \
        printf(", \"%s\": %.6e", #field, median(tmp, a.profile_reps));                             \
    } while (0)

int main(int argc, char **argv)
{
    struct args a = {NULL, CLBFGS_METHOD_LBFGSB, 0, 10, 20, 3, 1, 0, 0};
    if (parse(argc, argv, &a) != 0)
        return 2;
    const int bounds = a.bounded && a.method == CLBFGS_METHOD_LBFGSB;
    double *x0 = malloc(a.n * sizeof *x0), *upper = bounds ? malloc(a.n * sizeof *upper) : NULL;
    clbfgs_timings *timed = calloc(a.reps, sizeof *timed);
    clbfgs_timings *profiled = calloc(a.profile_reps + 1, sizeof *profiled);
    double *tmp = calloc(a.reps + a.profile_reps, sizeof *tmp);
    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_result last, conv;
    memset(&last, 0, sizeof last);
    memset(&conv, 0, sizeof conv);
    int rc = 1;
    if (!x0 || (bounds && !upper) || !timed || !profiled || !tmp) {
        fprintf(stderr, "clbfgs-lbfgsb-bench: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < a.n; i++) {
        x0[i] = i % 2 ? 1.0 : -1.2;
        if (upper)
            upper[i] = i % 2 ? (double)INFINITY : 0.5;
    }
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.method = a.method;
    o.precision = CLBFGS_PRECISION_DOUBLE;
    if (a.method == CLBFGS_METHOD_LBFGSB) {
        o.m = a.m;
        o.upper = upper;
        o.ftol = 0;
    }
    o.gtol = 0;
    o.maxiter = 1;
    if (clbfgs_objective_builtin(&obj, "ext-rosenbrock") != CLBFGS_SUCCESS) {
        fail("the built-in objective");
        goto done;
    }

    /* the timed runs, after one of one iteration that builds the programs */
    if (open_context(&a, 0, &ctx) || run_reps(ctx, obj, &a, x0, &o, 1, NULL, NULL))
        goto done;
    o.maxiter = a.iters;
    if (run_reps(ctx, obj, &a, x0, &o, a.reps, timed, &last))
        goto done;
    for (size_t r = 0; r < a.reps; r++)
        tmp[r] = timed[r].setup;
    const double setup = median(tmp, a.reps);
    printf("{\"n\": %zu, \"m\": %zu, \"bounded\": %s, \"method\": \"%s\", \"iters\": %zu, "
           "\"reps\": %zu, ",
           a.n, a.m, a.bounded ? "true" : "false",
           a.method == CLBFGS_METHOD_LBFGSB ? "lbfgsb" : "bfgs", a.iters, a.reps);
    clbfgs_device_info dev;
    if (clbfgs_context_device(ctx, &dev) == CLBFGS_SUCCESS) {
        printf("\"device\": ");
        json_string(dev.name);
        printf(", \"platform\": ");
        json_string(dev.platform_name);
        printf(", \"device_type\": \"%s\", ", clbfgs_device_type_name(dev.type));
    }
    printf("\"precision\": \"%s\",\n \"timed\": {\"per_iteration\": [",
           last.precision == CLBFGS_PRECISION_FLOAT ? "float" : "double");
    for (size_t r = 0; r < a.reps; r++) {
        tmp[r] = per_iteration(&timed[r], last.nit);
        printf("%s%.6e", r ? ", " : "", tmp[r]);
    }
    printf("], \"per_iteration_median\": %.6e, \"setup_median\": %.6e, \"nit\": %zu, "
           "\"nfev\": %zu, \"status\": %d, \"fun\": %.17g}",
           median(tmp, a.reps), setup, last.nit, last.nfev, last.status, last.fun);
    const double per_iter = median(tmp, a.reps);
    fflush(stdout);

    /* where the time goes: the same runs on a queue that profiles */
    if (a.profile_reps) {
        clbfgs_context_free(ctx);
        ctx = NULL;
        if (open_context(&a, 1, &ctx) || run_reps(ctx, obj, &a, x0, &o, 1, NULL, NULL) ||
            run_reps(ctx, obj, &a, x0, &o, a.profile_reps, profiled, &last))
            goto done;
        const double nit = last.nit ? (double)last.nit : 1;
        printf(",\n \"profiled\": {\"reps\": %zu, \"nit\": %zu", a.profile_reps, last.nit);
        for (size_t r = 0; r < a.profile_reps; r++)
            tmp[r] = per_iteration(&profiled[r], last.nit);
        printf(", \"per_iteration\": %.6e", median(tmp, a.profile_reps));
        PRINT_MEDIAN(line_search);
        PRINT_MEDIAN(hessian);
        PRINT_MEDIAN(callback);
        PRINT_MEDIAN(device_objective);
        PRINT_MEDIAN(device_hessian);
        PRINT_MEDIAN(device_other);
        PRINT_MEDIAN(device_transfer);
        printf(", \"nfev\": %zu, \"syncs_per_iteration\": %.3f, "
               "\"launches_per_iteration\": %.3f}",
               last.nfev, (double)profiled[0].syncs / nit, (double)profiled[0].launches / nit);
        fflush(stdout);
    }

    /* to convergence, with an iteration cap that ends it within about S seconds */
    if (a.converge > 0) {
        clbfgs_options c;
        clbfgs_options_init(&c);
        c.method = a.method;
        c.precision = CLBFGS_PRECISION_DOUBLE;
        if (a.method == CLBFGS_METHOD_LBFGSB) {
            c.m = a.m;
            c.upper = upper;
        }
        double cap = per_iter > 0 ? ceil(a.converge / per_iter) : 1;
        c.maxiter = cap < 1 ? 1 : cap > 1e6 ? 1000000 : (size_t)cap;
        double t0 = now();
        if (run_reps(ctx, obj, &a, x0, &c, 1, NULL, &conv))
            goto done;
        double seconds = now() - t0;
        printf(",\n \"converge\": {\"maxiter\": %zu, \"nit\": %zu, \"nfev\": %zu, \"status\": %d, "
               "\"message\": ",
               c.maxiter, conv.nit, conv.nfev, conv.status);
        json_string(conv.message);
        printf(", \"fun\": %.17g, \"seconds\": %.6e, \"setup\": %.6e, \"capped\": %s", conv.fun,
               seconds, conv.time.setup, conv.status == 1 ? "true" : "false");
        if (bounds && conv.x) {
            size_t active = 0;
            double violation = 0;
            for (size_t i = 0; i < a.n; i += 2) {
                active += conv.x[i] == upper[i];
                violation = fmax(violation, conv.x[i] - upper[i]);
            }
            printf(", \"active_bounds\": %zu, \"bounds\": %zu, \"max_violation\": %.3e", active,
                   a.n / 2, violation);
        }
        printf("}");
    }
    printf("}\n");
    rc = 0;
done:
    clbfgs_result_free(&last);
    clbfgs_result_free(&conv);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    free(x0);
    free(upper);
    free(timed);
    free(profiled);
    free(tmp);
    return rc;
}
