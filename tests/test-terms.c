/* Term objectives: f and g summed on the device over m data items against
 * the same sums on the host, in the plain, least-squares and
 * forward-difference forms; a fit through them against the same fit
 * through a host callback; bad input. Fresh random data each run. */
#include "common.h"

#include <float.h>
#include <math.h>

extern clbfgs_context *ctx; /* tests/common.c, made by context_setup */

/* A damped, decaying signal y = a exp(-b t) + c, observed with noise. */
static const char model[] =
    "real decay(const uint i, const real *x, real *g, __global const real *t,\n"
    "           __global const real *y)\n"
    "{\n"
    "    const real e = exp(-x[1] * t[i]);\n"
    "    const real r = x[0] * e + x[2] - y[i];\n"
    "    g[0] = e;\n"
    "    g[1] = -x[0] * t[i] * e;\n"
    "    g[2] = 1;\n"
    "    return r;\n"
    "}\n"
    "real decay_sq(const uint i, const real *x, real *g, __global const real *t,\n"
    "              __global const real *y)\n"
    "{\n"
    "    real d[3];\n"
    "    const real r = decay(i, x, d, t, y);\n"
    "    for (int j = 0; j < 3; j++) g[j] = r * d[j];\n"
    "    return r * r / 2;\n"
    "}\n"
    "real decay_value(const uint i, const real *x, __global const real *t, __global const real "
    "*y)\n"
    "{\n"
    "    const real r = x[0] * exp(-x[1] * t[i]) + x[2] - y[i];\n"
    "    return r * r / 2;\n"
    "}\n";

/* The residual alone (least squares by forward differences), and a linear
 * model of CLBFGS_N features, past the n where the sums stay private. */
static const char more[] =
    "real decay_residual(const uint i, const real *x, __global const real *t,\n"
    "                    __global const real *y)\n"
    "{\n"
    "    return x[0] * exp(-x[1] * t[i]) + x[2] - y[i];\n"
    "}\n"
    "real linear(const uint i, const real *x, real *g, __global const real *a,\n"
    "            __global const real *y)\n"
    "{\n"
    "    __global const real *row = a + (size_t)i * CLBFGS_N;\n"
    "    real r = -y[i];\n"
    "    for (int j = 0; j < CLBFGS_N; j++) { r += row[j] * x[j]; g[j] = row[j]; }\n"
    "    return r;\n"
    "}\n"
    "real linear_value(const uint i, const real *x, __global const real *a,\n"
    "                  __global const real *y)\n"
    "{\n"
    "    real d[CLBFGS_N];\n"
    "    return linear(i, x, d, a, y);\n"
    "}\n"
    /* for the float sums: f = sum y_i x_0, g_0 = sum y_i */
    "real scaled(const uint i, const real *x, real *g, __global const real *t,\n"
    "            __global const real *y)\n"
    "{\n"
    "    g[0] = y[i];\n"
    "    return x[0] * y[i];\n"
    "}\n";

static const char args[] = "__global const real *t, __global const real *y";

struct data {
    size_t m;
    double *t, *y;
};

static double random_in(double lo, double hi) { return lo + (hi - lo) * rand() / (double)RAND_MAX; }

static struct data make_data(size_t m)
{
    struct data d = {m, hold_alloc(m * sizeof(double)), hold_alloc(m * sizeof(double))};
    for (size_t i = 0; i < m; i++) {
        d.t[i] = 10.0 * (double)i / (double)m;
        d.y[i] = 2.5 * exp(-0.7 * d.t[i]) + 0.3 + random_in(-0.05, 0.05);
    }
    return d;
}

/* f = 1/2 sum r^2 and its gradient on the host, in long double. */
static void host_sums(const struct data *d, const double *x, double *f, double *g)
{
    long double fs = 0, gs[3] = {0, 0, 0};
    for (size_t i = 0; i < d->m; i++) {
        long double e = expl(-(long double)x[1] * d->t[i]);
        long double r = x[0] * e + x[2] - d->y[i];
        fs += r * r / 2;
        gs[0] += r * e;
        gs[1] += r * (-(long double)x[0] * d->t[i] * e);
        gs[2] += r;
    }
    *f = (double)fs;
    for (int j = 0; j < 3; j++)
        g[j] = (double)gs[j];
}

static int host_objective(void *user, const double *x, size_t n, double *f, double *g)
{
    (void)n;
    host_sums(user, x, f, g);
    return 0;
}

/* A term objective over two data arrays of t_count and m values. */
static clbfgs_objective *terms_over(const double *t, size_t t_count, const double *y, size_t m,
                                    const char *function, int gradient, int least_squares)
{
    static char source[sizeof model + sizeof more];
    snprintf(source, sizeof source, "%s%s", model, more);
    clbfgs_terms_options o;
    clbfgs_terms_options_init(&o);
    o.args = args;
    o.gradient = gradient;
    o.least_squares = least_squares;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_terms(&obj, source, function, m, &o));
    hold(obj, release_objective);
    assert_ok(clbfgs_objective_set_arg_reals(obj, 0, t, t_count));
    assert_ok(clbfgs_objective_set_arg_reals(obj, 1, y, m));
    return obj;
}

static clbfgs_objective *terms(const struct data *d, const char *function, int gradient,
                               int least_squares)
{
    return terms_over(d->t, d->m, d->y, d->m, function, gradient, least_squares);
}

/* f and g at x0 of n values (a run stopped before its first iteration). */
static void at_n(clbfgs_objective *obj, size_t n, const double *x0, clbfgs_precision precision,
                 double *f, double *g)
{
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.gtol = 1e300;
    o.precision = precision;
    clbfgs_result *r = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, n, x0, &o, r));
    assert_int_equal(r->nit, 0);
    *f = r->fun;
    memcpy(g, r->jac, n * sizeof(double));
}

static void at(clbfgs_objective *obj, const double *x0, double *f, double *g)
{
    at_n(obj, 3, x0, CLBFGS_PRECISION_DOUBLE, f, g);
}

static void close_to(const char *what, double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fmax(fabs(want), 1e-300)))
        fail_msg("%s: %.17g, host %.17g, relative error %.3g > %.3g", what, got, want,
                 fabs(got - want) / fabs(want), rel);
}

/* x_j + h_j as the kernels step (cl/term_sums.cl's clbfgs_step), with
 * BFGS's default eps, the square root of double's epsilon. */
static double fd_point(double xj)
{
    const double eps = sqrt(DBL_EPSILON);
    double t = xj + eps;
    if (t - xj == 0)
        t = xj + eps * (xj >= 0 ? 1 : -1) * fmax(1, fabs(xj));
    return t;
}

/* The forward-difference gradient as the library forms it (cl/terms.cl:
 * each item's value at the stepped point less its value at x, summed, over
 * the step; the same in the least-squares form), on the host. Each item's
 * difference r_j^2 / 2 - r^2 / 2 is formed without cancellation, as
 * dr (r + dr / 2) with dr = r_j - r written out for this model (h_0 e,
 * a expm1(-h_1 t) e, h_2), so the host needs no more precision than double
 * (under Valgrind long double is double, and the difference of two sums of
 * 10^5 squares lost the digits this test needs). It carries the same
 * truncation error as the device's, so what is left between them is the
 * device's rounding; *bound is 32 times the standard deviation of that
 * rounding when each item's difference is off by an ulp or so of its
 * parts, independently (Higham's rule of thumb for a long sum: the root of
 * the sum of squares, not the sum of the bounds). A bound relative to each
 * component fails where a component is small and the curvature large: the
 * truncation h/2 f_jj of a sum of 10^5 terms. */
static void host_fd(const struct data *d, const double *x, double *g, double *bound)
{
    long double sum[3] = {0, 0, 0}, spread = 0;
    double h[3];
    for (int j = 0; j < 3; j++)
        h[j] = fd_point(x[j]) - x[j];
    for (size_t i = 0; i < d->m; i++) {
        const double t = d->t[i], e = exp(-x[1] * t), r = x[0] * e + x[2] - d->y[i];
        /* r^2 to an ulp, and r's own rounding, doubled by the square */
        const double w = fabs(r) * (fabs(r) + fabs(x[0] * e) + fabs(x[2]) + fabs(d->y[i]));
        spread += (long double)w * w;
        const double dr[3] = {h[0] * e, x[0] * e * expm1(-h[1] * t), h[2]};
        for (int j = 0; j < 3; j++)
            sum[j] += dr[j] * (r + dr[j] / 2);
    }
    for (int j = 0; j < 3; j++) {
        g[j] = (double)(sum[j] / h[j]);
        bound[j] = 32 * DBL_EPSILON * (double)sqrtl(spread) / fabs(h[j]);
    }
}

/* The form's f and g at x0 against the host's: f to 1e-12 of fh; g, when
 * analytic, to g_rel of gh, and by differences to the host's differences
 * within host_fd's bound. */
static void sums_match(const char *form, const struct data *d, const char *function, int gradient,
                       int least_squares, const double *x0, double fh, const double *gh,
                       double g_rel)
{
    double f, g[3], want[3], bound[3];
    char what[96];
    at(terms(d, function, gradient, least_squares), x0, &f, g);
    snprintf(what, sizeof what, "%s f", form);
    close_to(what, f, fh, 1e-12);
    snprintf(what, sizeof what, "%s g", form);
    if (gradient) {
        for (int j = 0; j < 3; j++)
            close_to(what, g[j], gh[j], g_rel);
        return;
    }
    host_fd(d, x0, want, bound);
    for (int j = 0; j < 3; j++) {
        if (!(fabs(g[j] - want[j]) <= bound[j] + 1e-12 * fabs(want[j])))
            fail_msg("%s[%d]: %.17g, host's differences %.17g, off by %.3g > %.3g", what, j, g[j],
                     want[j], fabs(g[j] - want[j]), bound[j]);
    }
}

static void the_sums_are_the_hosts_in_every_form(void **state)
{
    (void)state;
    struct data d = make_data(100000 + (size_t)(rand() % 1000));
    double x0[3] = {random_in(1, 4), random_in(0.2, 2), random_in(-1, 1)}, fh, gh[3];
    host_sums(&d, x0, &fh, gh);
    /* the residual form, least squares by the library */
    sums_match("least squares", &d, "decay", 1, 1, x0, fh, gh, 1e-10);
    /* the same sum written as plain terms */
    sums_match("plain", &d, "decay_sq", 1, 0, x0, fh, gh, 1e-10);
    /* values only: forward differences in the same pass */
    sums_match("forward-difference", &d, "decay_value", 0, 0, x0, fh, gh, 0);
    /* the residual alone: least squares by forward differences */
    sums_match("least-squares forward-difference", &d, "decay_residual", 0, 1, x0, fh, gh, 0);
}

/* Past 64 parameters each work-item's sums go through global memory: the
 * same sums, analytic and by differences, and the same bits twice. */
static void many_parameters_sum_through_global_memory(void **state)
{
    (void)state;
    enum { N = 100 };
    size_t m = 3000 + (size_t)(rand() % 100);
    double *a = hold_alloc(m * N * sizeof(double)), *y = hold_alloc(m * sizeof(double));
    double x0[N], g[N], g2[N], f, f2;
    long double fh = 0, gh[N] = {0};
    for (size_t j = 0; j < N; j++)
        x0[j] = random_in(-1, 1);
    for (size_t i = 0; i < m; i++) {
        long double r = 0;
        y[i] = random_in(-1, 1);
        for (size_t j = 0; j < N; j++) {
            a[i * N + j] = random_in(-1, 1);
            r += (long double)a[i * N + j] * x0[j];
        }
        r -= y[i];
        fh += r * r / 2;
        for (size_t j = 0; j < N; j++)
            gh[j] += r * a[i * N + j];
    }
    clbfgs_objective *obj = terms_over(a, m * N, y, m, "linear", 1, 1);
    at_n(obj, N, x0, CLBFGS_PRECISION_DOUBLE, &f, g);
    close_to("wide f", f, (double)fh, 1e-12);
    for (int j = 0; j < N; j++)
        close_to("wide g", g[j], (double)gh[j], 1e-9);
    at_n(obj, N, x0, CLBFGS_PRECISION_DOUBLE, &f2, g2);
    assert_memory_equal(&f, &f2, sizeof f);
    assert_memory_equal(g, g2, sizeof g);
    at_n(terms_over(a, m * N, y, m, "linear_value", 0, 1), N, x0, CLBFGS_PRECISION_DOUBLE, &f, g);
    close_to("wide forward-difference f", f, (double)fh, 1e-12);
    for (int j = 0; j < N; j++)
        if (!(fabs(g[j] - (double)gh[j]) <= 1e-5 * fmax(1, fabs((double)fh))))
            fail_msg("wide forward-difference g[%d]: %.17g, host %.17g", j, g[j], (double)gh[j]);
}

/* In float, the sum of 10^7 terms is within a few ulps of the exact one
 * (each work-item's sums are compensated, then added in a tree), not the
 * ~m ulps of a running sum. */
static void float_sums_of_ten_million_terms_are_within_a_few_ulps(void **state)
{
    (void)state;
    size_t m = 10000000;
    double *y = hold_alloc(m * sizeof(double)), exact = 0;
    for (size_t i = 0; i < m; i++) {
        /* 1 + k 2^-12: floats, so the data are the same in both precisions,
         * and exact in a double total; past 2^12 a float running sum drops
         * their low bits, always the same way, and ends ~10^3 ulps off */
        y[i] = 1 + (1 + rand() % 3) * 0x1p-12;
        exact += y[i];
    }
    double t = 0, x0 = 1, f, g;
    at_n(terms_over(&t, 1, y, m, "scaled", 1, 0), 1, &x0, CLBFGS_PRECISION_FLOAT, &f, &g);
    double ulp = nextafterf((float)exact, INFINITY) - (float)exact;
    if (!(fabs(f - exact) <= 4 * ulp && fabs(g - exact) <= 4 * ulp))
        fail_msg("float sums of %zu terms: f %.9g, g %.9g, exact %.9g: %.1f and %.1f ulps", m, f,
                 g, exact, fabs(f - exact) / ulp, fabs(g - exact) / ulp);
}

/* Deterministic sums, from data given as host arrays or as the caller's
 * buffers. */
static void the_same_inputs_give_the_same_bits(void **state)
{
    (void)state;
    struct data d = make_data(50000);
    double x0[3] = {2, 1, 0}, f1, g1[3], f2, g2[3];
    clbfgs_objective *obj = terms(&d, "decay", 1, 1);
    at(obj, x0, &f1, g1);
    at(obj, x0, &f2, g2);
    assert_memory_equal(&f1, &f2, sizeof f1);
    assert_memory_equal(g1, g2, sizeof g1);
    /* the caller's own buffers as the data: the same bits again */
    cl_int err = CL_SUCCESS;
    cl_mem t = clCreateBuffer(clbfgs_context_cl_context(ctx), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                              d.m * sizeof(double), d.t, &err);
    assert_int_equal(err, CL_SUCCESS);
    cl_mem y = clCreateBuffer(clbfgs_context_cl_context(ctx), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                              d.m * sizeof(double), d.y, &err);
    assert_int_equal(err, CL_SUCCESS);
    clbfgs_terms_options o;
    clbfgs_terms_options_init(&o);
    o.args = args;
    o.least_squares = 1;
    clbfgs_objective *mine = NULL;
    assert_ok(clbfgs_objective_terms(&mine, model, "decay", d.m, &o));
    hold(mine, release_objective);
    assert_ok(clbfgs_objective_set_arg_buffer(mine, 0, t));
    assert_ok(clbfgs_objective_set_arg_buffer(mine, 1, y));
    clReleaseMemObject(t); /* the objective holds them now */
    clReleaseMemObject(y);
    at(mine, x0, &f2, g2);
    assert_memory_equal(&f1, &f2, sizeof f1);
    assert_memory_equal(g1, g2, sizeof g1);
}

static void a_fit_matches_the_host_callbacks(void **state)
{
    (void)state;
    struct data d = make_data(200000);
    double x0[3] = {1, 1, 0};
    clbfgs_objective *host = NULL;
    assert_ok(clbfgs_objective_host(&host, host_objective, &d));
    hold(host, release_objective);
    clbfgs_result *a = hold_result(), *b = hold_result();
    assert_ok(clbfgs_minimize(ctx, terms(&d, "decay", 1, 1), 3, x0, NULL, a));
    assert_ok(clbfgs_minimize(ctx, host, 3, x0, NULL, b));
    assert_int_equal(a->status, b->status);
    close_to("fit f", a->fun, b->fun, 1e-8);
    assert_true(labs((long)a->nit - (long)b->nit) <= (long)(b->nit / 10 + 1));
    /* and it recovers the parameters the data came from */
    assert_true(fabs(a->x[0] - 2.5) < 0.02 && fabs(a->x[1] - 0.7) < 0.02 &&
                fabs(a->x[2] - 0.3) < 0.02);
}

static void bad_input_is_named(void **state)
{
    (void)state;
    clbfgs_objective *obj = (clbfgs_objective *)&obj;
    clbfgs_terms_options o;
    clbfgs_terms_options_init(&o);
    assert_int_equal(clbfgs_objective_terms(&obj, model, "decay", 0, NULL),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_null(obj);
    assert_non_null(strstr(clbfgs_last_error(), "m = 0"));
    assert_int_equal(clbfgs_objective_terms(&obj, model, "not a name", 10, NULL),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    o.args = "__global const real *, y";
    assert_int_equal(clbfgs_objective_terms(&obj, model, "decay", 10, &o),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "not a parameter list"));
    /* an argument the function does not declare */
    o.args = args;
    assert_ok(clbfgs_objective_terms(&obj, model, "decay", 10, &o));
    hold(obj, release_objective);
    double v[10] = {0};
    assert_int_equal(clbfgs_objective_set_arg_reals(obj, 2, v, 10), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "declares 2 data arguments"));
    /* one of two set: refused when the run starts */
    assert_ok(clbfgs_objective_set_arg_reals(obj, 0, v, 10));
    double x0[3] = {1, 1, 0};
    clbfgs_result *r = hold_result();
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, NULL, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "but 1 were set"));
    /* a value for a data array: refused, naming the parameter */
    assert_ok(clbfgs_objective_set_arg_real(obj, 1, 2.0));
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, NULL, hold_result()),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "data argument 1 ('y'"));
    assert_non_null(strstr(clbfgs_last_error(), "of function 'decay'"));
    /* n past what the private arrays hold is refused, not a crash */
    double big[1025] = {0};
    /* (each refused run still gets its own result: it holds x0 to release) */
    assert_int_equal(clbfgs_minimize(ctx, obj, 1025, big, NULL, hold_result()),
                     CLBFGS_ERR_UNSUPPORTED);
    assert_non_null(strstr(clbfgs_last_error(), "n up to 1024"));
    /* NaN in the data: status 3 at once, as SciPy's, not a hang */
    struct data d = make_data(1000);
    d.y[rand() % 1000] = NAN;
    clbfgs_result *nan_run = hold_result();
    assert_ok(clbfgs_minimize(ctx, terms(&d, "decay", 1, 1), 3, x0, NULL, nan_run));
    assert_int_equal(nan_run->status, 3);
    assert_string_equal(nan_run->message, "NaN result encountered.");
    /* a compile error names the caller's file and line */
    clbfgs_objective *broken = NULL;
    o.name = "mine.cl";
    o.args = NULL;
    assert_ok(clbfgs_objective_terms(&broken,
                                     "real f(const uint i, const real *x, real *g)\n"
                                     "{\n    return oops;\n}\n",
                                     "f", 10, &o));
    hold(broken, release_objective);
    assert_int_equal(clbfgs_minimize(ctx, broken, 3, x0, NULL, hold_result()), CLBFGS_ERR_BUILD);
    if (!strstr(clbfgs_last_error(), "mine.cl:3"))
        fail_msg("the build log does not point at mine.cl:3: %s", clbfgs_last_error());
}

int main(void)
{
    skip_without_opencl();
    seed_random();
    const struct CMUnitTest tests[] = {
        held_test(the_sums_are_the_hosts_in_every_form),
        held_test(the_same_inputs_give_the_same_bits),
        held_test(a_fit_matches_the_host_callbacks),
        held_test(many_parameters_sum_through_global_memory),
        held_test(float_sums_of_ten_million_terms_are_within_a_few_ulps),
        held_test(bad_input_is_named),
    };
    return cmocka_run_group_tests(tests, context_setup, context_teardown);
}
