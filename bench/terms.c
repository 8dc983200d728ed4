/* The C side of the data-parallel suite (`bench/run data-parallel`, which
 * runs bench/data_parallel.py): logistic regression on m items of n
 * features, f(w) = (1/m) sum_i log(1 + exp(-y_i x_i . w)), from w = 0 with
 * SciPy's defaults (gtol 1e-5), solved
 *
 *   - through clbfgs_objective_terms (the term function below: analytic
 *     gradient, or its value alone and forward differences), and
 *   - through clbfgs_objective_host with the same model in plain C and the
 *     analytic gradient, one thread (what a user writes first; bench/run
 *     builds this file at -O3 -march=native, as bench/host.c).
 *
 *   clbfgs-terms-bench --dir DIR --m M --n N [--gradient analytic|fd]
 *                      [--precision double|float] [--reps R] [--max-seconds S]
 *                      [--host 0|1] [--model logistic|linear] [--profile 0|1]
 *                      [--device SEL]
 *
 * DIR holds X.bin (m x n float64, row-major, as NumPy's tofile writes a
 * C-order array) and y.bin (m float64 labels, -1 or 1). Each solve is the
 * whole clbfgs_minimize call, data upload included, after a warm-up run of
 * one evaluation (the program cache; its time is first_eval); R solves (3;
 * 0 for the warm-up alone), or fewer once they have taken S seconds (30). Prints one
 * JSON object; times in seconds, medians. --model linear swaps the term
 * function for least squares on the same linear predictor (analytic only),
 * and --profile 1 fills device_objective (the kernels' time in the
 * iterations' evaluations), to see how much of an evaluation is reading
 * the data and how much the model's arithmetic. */
#include <clbfgs.h>

#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char terms_source[] =
    "/* item i's loss, log(1 + exp(-y z)) with z = x_i . w, scaled by 1/m */\n"
    "real logistic(const uint i, const real *w, real *g, __global const real *X,\n"
    "              __global const real *y, const real scale)\n"
    "{\n"
    "    __global const real *row = X + (size_t)i * CLBFGS_N;\n"
    "    real z = 0;\n"
    "    for (int j = 0; j < CLBFGS_N; j++) z += row[j] * w[j];\n"
    "    const real yz = y[i] * z, e = exp(-fabs(yz));\n"
    "    /* d loss / d z = -y / (1 + exp(yz)) */\n"
    "    const real d = -y[i] * scale * (yz >= 0 ? e / (1 + e) : 1 / (1 + e));\n"
    "    for (int j = 0; j < CLBFGS_N; j++) g[j] = d * row[j];\n"
    "    return scale * (fmax(-yz, (real)0) + log1p(e));\n"
    "}\n"
    "real logistic_value(const uint i, const real *w, __global const real *X,\n"
    "                    __global const real *y, const real scale)\n"
    "{\n"
    "    __global const real *row = X + (size_t)i * CLBFGS_N;\n"
    "    real z = 0;\n"
    "    for (int j = 0; j < CLBFGS_N; j++) z += row[j] * w[j];\n"
    "    const real yz = y[i] * z;\n"
    "    return scale * (fmax(-yz, (real)0) + log1p(exp(-fabs(yz))));\n"
    "}\n";

/* For a closer look at where the time goes (--model linear): least squares
 * on the same linear predictor, the same reads and nearly the arithmetic of
 * the dot products alone, no exp or log. */
static const char linear_source[] =
    "real linear(const uint i, const real *w, real *g, __global const real *X,\n"
    "            __global const real *y, const real scale)\n"
    "{\n"
    "    __global const real *row = X + (size_t)i * CLBFGS_N;\n"
    "    real z = 0;\n"
    "    for (int j = 0; j < CLBFGS_N; j++) z += row[j] * w[j];\n"
    "    const real r = z - y[i];\n"
    "    for (int j = 0; j < CLBFGS_N; j++) g[j] = scale * r * row[j];\n"
    "    return scale * r * r / 2;\n"
    "}\n";

static const char terms_args[] =
    "__global const real *X, __global const real *y, const real scale";

struct data {
    size_t m, n;
    double *X, *y;
};

/* The same model on the host, one thread. */
static int host_logistic(void *user, const double *w, size_t n, double *f, double *g)
{
    const struct data *d = user;
    const double scale = 1.0 / (double)d->m;
    double fs = 0;
    for (size_t j = 0; j < n; j++)
        g[j] = 0;
    for (size_t i = 0; i < d->m; i++) {
        const double *row = d->X + i * n;
        double z = 0;
        for (size_t j = 0; j < n; j++)
            z += row[j] * w[j];
        const double yz = d->y[i] * z, e = exp(-fabs(yz));
        const double s = -d->y[i] * (yz >= 0 ? e / (1 + e) : 1 / (1 + e));
        fs += fmax(-yz, 0.0) + log1p(e);
        for (size_t j = 0; j < n; j++)
            g[j] += s * row[j];
    }
    *f = fs * scale;
    for (size_t j = 0; j < n; j++)
        g[j] *= scale;
    return 0;
}

static double *read_doubles(const char *dir, const char *file, size_t count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    double *v = malloc(count * sizeof *v);
    if (!f || !v || fread(v, sizeof *v, count, f) != count) {
        fprintf(stderr, "clbfgs-terms-bench: cannot read %zu doubles from %s\n", count, path);
        free(v);
        v = NULL;
    }
    if (f)
        fclose(f);
    return v;
}

struct run {
    double seconds, eval_seconds, fun, setup, iterations, device_objective;
    size_t nit, nfev;
    int status;
    size_t reps;
};

/* A warm-up (stopped at x0: the program built or loaded from the cache, the
 * data uploaded, one evaluation; its time is out->eval_seconds), then up to
 * reps solves, fewer once they have taken max_seconds; reps 0: two
 * warm-ups, the second timed. */
static int solve(clbfgs_context *ctx, clbfgs_objective *obj, size_t n, clbfgs_precision precision,
                 size_t reps, double max_seconds, struct run *out)
{
    double *times = calloc(reps + 1, sizeof *times), *x0 = calloc(n, sizeof *x0), spent = 0;
    size_t done_reps = 0;
    int rc = 1;
    if (!times || !x0)
        goto done;
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.precision = precision;
    const double gtol = o.gtol;
    *out = (struct run){0};
    /* reps 0: a second warm-up, timed with the program cache warm */
    size_t warmups = reps ? 1 : 2;
    for (size_t r = 0; r < warmups + reps && (r <= warmups || spent < max_seconds); r++) {
        clbfgs_result res;
        o.gtol = r < warmups ? 1e300 : gtol; /* a warm-up stops at x0 */
        double t0 = now();
        clbfgs_status st = clbfgs_minimize(ctx, obj, n, x0, &o, &res);
        double t = now() - t0;
        if (st != CLBFGS_SUCCESS) {
            fprintf(stderr, "clbfgs-terms-bench: %s\n", clbfgs_last_error());
            clbfgs_result_free(&res);
            goto done;
        }
        if (r < warmups) {
            out->eval_seconds = t;
        } else {
            times[done_reps++] = t;
            spent += t;
            *out = (struct run){0,
                                out->eval_seconds,
                                res.fun,
                                res.time.setup,
                                res.time.total - res.time.setup,
                                res.time.device_objective,
                                res.nit,
                                res.nfev,
                                res.status,
                                done_reps};
        }
        clbfgs_result_free(&res);
    }
    out->seconds = done_reps ? median(times, done_reps) : 0;
    rc = 0;
done:
    free(times);
    free(x0);
    return rc;
}

static void print_run(const char *key, const struct run *r)
{
    printf("\"%s\": {\"seconds\": %.6e, \"reps\": %zu, \"first_eval\": %.6e, \"setup\": %.6e, "
           "\"iterations\": %.6e, \"device_objective\": %.6e, \"fun\": %.17g, \"nit\": %zu, "
           "\"nfev\": %zu, \"status\": %d}",
           key, r->seconds, r->reps, r->eval_seconds, r->setup, r->iterations, r->device_objective,
           r->fun, r->nit, r->nfev, r->status);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *device = NULL;
    size_t m = 0, n = 0, reps = 3;
    double max_seconds = 30;
    int fd = 0, host = 1, linear = 0, profile = 0;
    clbfgs_precision precision = CLBFGS_PRECISION_DOUBLE;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--dir") == 0)
            dir = v;
        else if (strcmp(k, "--device") == 0)
            device = v;
        else if (strcmp(k, "--m") == 0)
            m = strtoull(v, NULL, 10);
        else if (strcmp(k, "--n") == 0)
            n = strtoull(v, NULL, 10);
        else if (strcmp(k, "--reps") == 0)
            reps = strtoull(v, NULL, 10);
        else if (strcmp(k, "--max-seconds") == 0)
            max_seconds = strtod(v, NULL);
        else if (strcmp(k, "--host") == 0)
            host = atoi(v);
        else if (strcmp(k, "--profile") == 0)
            profile = atoi(v);
        else if (strcmp(k, "--model") == 0 && (!strcmp(v, "logistic") || !strcmp(v, "linear")))
            linear = strcmp(v, "linear") == 0;
        else if (strcmp(k, "--gradient") == 0 && (!strcmp(v, "analytic") || !strcmp(v, "fd")))
            fd = strcmp(v, "fd") == 0;
        else if (strcmp(k, "--precision") == 0 && (!strcmp(v, "double") || !strcmp(v, "float")))
            precision = strcmp(v, "float") == 0 ? CLBFGS_PRECISION_FLOAT : CLBFGS_PRECISION_DOUBLE;
        else {
            fprintf(stderr, "clbfgs-terms-bench: bad option %s %s\n", k, v);
            return 2;
        }
    }
    if (!dir || m == 0 || n == 0 || argc % 2 == 0 || (linear && fd)) {
        fprintf(stderr, "usage: clbfgs-terms-bench --dir DIR --m M --n N [--gradient analytic|fd] "
                        "[--precision double|float] [--reps R] [--max-seconds S] [--host 0|1] "
                        "[--model logistic|linear (analytic only)] [--profile 0|1] [--device SEL]\n");
        return 2;
    }
    struct data d = {m, n, read_doubles(dir, "X.bin", m * n), read_doubles(dir, "y.bin", m)};
    clbfgs_context *ctx = NULL;
    clbfgs_objective *terms = NULL, *callback = NULL;
    int rc = 1;
    if (!d.X || !d.y)
        goto done;
    clbfgs_context_options co;
    clbfgs_context_options_init(&co);
    co.device = device;
    co.profile = profile; /* device_objective, for a closer look */
    clbfgs_terms_options to;
    clbfgs_terms_options_init(&to);
    to.name = "bench/terms.c";
    to.args = terms_args;
    to.gradient = !fd;
    if (clbfgs_context_new(&ctx, &co) != CLBFGS_SUCCESS ||
        clbfgs_objective_terms(&terms, linear ? linear_source : terms_source,
                               linear ? "linear" : fd ? "logistic_value" : "logistic", m, &to) !=
            CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(terms, 0, d.X, m * n) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(terms, 1, d.y, m) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_real(terms, 2, 1.0 / (double)m) != CLBFGS_SUCCESS ||
        clbfgs_objective_host(&callback, host_logistic, &d) != CLBFGS_SUCCESS) {
        fprintf(stderr, "clbfgs-terms-bench: %s\n", clbfgs_last_error());
        goto done;
    }
    struct run ours, theirs = {0};
    if (solve(ctx, terms, n, precision, reps, max_seconds, &ours))
        goto done;
    /* the host callback is timed in double, with the analytic gradient */
    if (host && solve(ctx, callback, n, CLBFGS_PRECISION_DOUBLE, reps, max_seconds, &theirs))
        goto done;
    printf("{\"m\": %zu, \"n\": %zu, \"gradient\": \"%s\", \"precision\": \"%s\", ", m, n,
           fd ? "fd" : "analytic", precision == CLBFGS_PRECISION_FLOAT ? "float" : "double");
    print_run("clbfgs", &ours);
    if (host) {
        printf(", ");
        print_run("host_callback", &theirs);
    }
    printf("}\n");
    rc = 0;
done:
    clbfgs_objective_free(terms);
    clbfgs_objective_free(callback);
    clbfgs_context_free(ctx);
    free(d.X);
    free(d.y);
    return rc;
}
