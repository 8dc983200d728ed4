/* The minimizer through the public API: bad input, each refused with a
 * message that names it; the stopping tests and their statuses; the host
 * callback kind; float runs. (Agreement with SciPy: tests/scipy.sh.) */
#include "common.h"

#include <math.h>
#include <time.h>

extern clbfgs_context *ctx; /* tests/common.c, made by context_setup */

/* SciPy's rosen and rosen_der on the host. */
static int host_rosen(void *user, const double *x, size_t n, double *fx, double *g)
{
    int *calls = user;
    if (calls)
        ++*calls;
    rosen_on_host(x, n, fx, g);
    return 0;
}

static double random_in(double lo, double hi) { return lo + (hi - lo) * rand() / (double)RAND_MAX; }

static void minimize_ok(clbfgs_objective *obj, size_t n, const double *x0, const clbfgs_options *o,
                        clbfgs_result *r)
{
    assert_ok(clbfgs_minimize(ctx, obj, n, x0, o, r));
}

static void the_device_kernel_and_the_host_callback_take_the_same_path(void **state)
{
    (void)state;
    /* Near SciPy's tutorial start: far-off starts may end, correctly, in
     * rosen's local minimum near (-1, 1, ..., 1) for n >= 4. */
    size_t n = 6;
    const double start[6] = {1.3, 0.7, 0.8, 1.9, 1.2, 1.3};
    double x0[6];
    for (size_t i = 0; i < n; i++)
        x0[i] = start[i] + random_in(-0.1, 0.1);
    clbfgs_objective *dev = NULL, *host = NULL;
    int calls = 0;
    assert_ok(clbfgs_objective_builtin(&dev, "rosen"));
    hold(dev, release_objective);
    assert_ok(clbfgs_objective_host(&host, host_rosen, &calls));
    hold(host, release_objective);
    clbfgs_result *a = hold_result(), *b = hold_result();
    minimize_ok(dev, n, x0, NULL, a);
    minimize_ok(host, n, x0, NULL, b);
    if (!(a->fun < 1e-9 && b->fun < 1e-9))
        print_error("device: status %d f %g nit %zu; host: status %d f %g nit %zu\n", a->status,
                    a->fun, a->nit, b->status, b->fun, b->nit);
    assert_int_equal(a->status, 0);
    assert_int_equal(b->status, 0);
    assert_true(a->fun < 1e-9 && b->fun < 1e-9);
    assert_int_equal((int)b->nfev, calls);
    /* Same arithmetic up to summation order: the paths may part only late. */
    assert_true(labs((long)a->nit - (long)b->nit) <= 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(fabs(a->x[i] - 1) < 1e-4);
        assert_true(fabs(b->x[i] - 1) < 1e-4);
    }
}

static void bad_arguments_are_named_and_nothing_runs(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    double x0[3] = {1, 2, 3};
    clbfgs_result *r = hold_result();
    assert_int_equal(clbfgs_minimize(ctx, obj, 0, x0, NULL, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "n must be at least 1"));
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, NULL, NULL, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "x0"));
    assert_int_equal(clbfgs_minimize(NULL, obj, 3, x0, NULL, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, NULL, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    x0[1] = (double)NAN;
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, NULL, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "x0[1]"));
    x0[1] = (double)INFINITY;
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, NULL, r), CLBFGS_ERR_INVALID_ARGUMENT);
    x0[1] = 2;
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.c1 = 0.95;
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, &o, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "c1 < c2"));
    clbfgs_options_init(&o);
    o.gtol = -1;
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, &o, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "gtol"));
    clbfgs_options_init(&o);
    o.norm = 0;
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, &o, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "norm"));
    release_now(obj);

    obj = NULL;
    clbfgs_status made = clbfgs_objective_builtin(&obj, "no-such-problem");
    hold(obj, release_objective);
    assert_int_equal(made, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_null(obj);
    assert_non_null(strstr(clbfgs_last_error(), "rosen"));
    assert_ok(clbfgs_objective_builtin(&obj, "ext-rosenbrock"));
    hold(obj, release_objective);
    assert_int_equal(clbfgs_minimize(ctx, obj, 3, x0, NULL, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "even"));
    /* The result still holds x0. */
    assert_non_null(r->x);
    assert_true(r->x[0] == 1 && r->x[2] == 3);
}

static void a_problem_too_large_for_the_device_says_how_many_bytes(void **state)
{
    (void)state;
    clbfgs_device_info info;
    assert_ok(clbfgs_context_device(ctx, &info));
    /* Just past the largest allocation, even where only H's upper
     * triangle (about n^2 / 2 values, in tiles of 64) is stored, in float
     * (a float run, or CLBFGS_DENSE_H_FLOAT=1). */
    size_t n = (size_t)sqrt(2.0 * (double)info.max_alloc_bytes / 4.0) + 130;
    double *x0 = hold(calloc(n, sizeof *x0), free);
    assert_non_null(x0);
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "quadratic"));
    hold(obj, release_objective);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.precision = info.has_fp64 ? CLBFGS_PRECISION_DOUBLE : CLBFGS_PRECISION_FLOAT;
    clbfgs_result *r = hold_result();
    assert_int_equal(clbfgs_minimize(ctx, obj, n, x0, &o, r), CLBFGS_ERR_OUT_OF_DEVICE_MEMORY);
    const char *msg = clbfgs_last_error();
    assert_non_null(strstr(msg, "bytes"));
    char alloc[64];
    snprintf(alloc, sizeof alloc, "%llu", (unsigned long long)info.max_alloc_bytes);
    assert_non_null(strstr(msg, alloc));
    assert_int_equal(r->nfev, 0); /* refused before anything ran */
}

/* Sizes whose bytes overflow size_t (n * 8, n * n * 8, (n + 1) * n * 8) or
 * exceed any device: refused by size before x0 (4 values here, whatever n
 * says) is read or anything is allocated, for each kind of objective. */
static void a_problem_whose_bytes_overflow_is_refused_before_x0_is_read(void **state)
{
    (void)state;
    const size_t sizes[] = {(size_t)1 << 61,       SIZE_MAX / 8,    SIZE_MAX / 8 - 1,
                            SIZE_MAX / 8 + 2,      SIZE_MAX / 2,    SIZE_MAX,
                            ((size_t)1 << 32) + 1, (size_t)1 << 31, (size_t)1 << 28};
    clbfgs_objective *objs[3] = {NULL, NULL, NULL};
    clbfgs_source_options so;
    clbfgs_source_options_init(&so);
    so.gradient = 0;
    clbfgs_status made[3] = {
        clbfgs_objective_builtin(&objs[0], "quadratic"),
        clbfgs_objective_host(&objs[1], host_rosen, NULL),
        clbfgs_objective_source(&objs[2],
                                "__kernel void v(const uint n, __global const real *x,\n"
                                "                __global real *t) { }\n",
                                "v", &so)};
    double x0[4] = {1, 2, 3, 4}, h0[4] = {1, 0, 0, 1};
    clbfgs_options o;
    clbfgs_options_init(&o);
    int failures = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int k = 0; k < 3; k++) {
            o.hess_inv0 = k == 0 && i % 2 ? h0 : NULL;
            clbfgs_result r;
            clbfgs_status st = made[k] != CLBFGS_SUCCESS
                                   ? made[k]
                                   : clbfgs_minimize(ctx, objs[k], sizes[i], x0, &o, &r);
            int ok = st == CLBFGS_ERR_OUT_OF_DEVICE_MEMORY &&
                     strstr(clbfgs_last_error(), "bytes") != NULL && r.x == NULL && r.nfev == 0 &&
                     r.status == CLBFGS_ERR_OUT_OF_DEVICE_MEMORY;
            if (!ok) {
                print_error("n = %zu, objective %d: %s: %s\n", sizes[i], k, clbfgs_strerror(st),
                            clbfgs_last_error());
                failures++;
            }
            if (made[k] == CLBFGS_SUCCESS)
                clbfgs_result_free(&r);
        }
    for (int k = 0; k < 3; k++)
        clbfgs_objective_free(objs[k]);
    assert_int_equal(failures, 0);
}

/* In float, 1e300 becomes infinity on the device: refused, by index and value. */
static void values_that_overflow_the_run_precision_are_refused(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    clbfgs_status made = clbfgs_objective_builtin(&obj, "quadratic");
    double x0[3] = {1, 1e300, 2}, h0[9] = {1, 0, 0, 0, 1e300, 0, 0, 0, 1};
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.precision = CLBFGS_PRECISION_FLOAT;
    clbfgs_result r;
    memset(&r, 0, sizeof r);
    char why[3][256];
    clbfgs_status st[3];
    st[0] = made ? made : clbfgs_minimize(ctx, obj, 3, x0, &o, &r);
    snprintf(why[0], sizeof why[0], "%s", clbfgs_last_error());
    clbfgs_result_free(&r);
    x0[1] = -3.5e38; /* just past FLT_MAX */
    st[1] = made ? made : clbfgs_minimize(ctx, obj, 3, x0, &o, &r);
    snprintf(why[1], sizeof why[1], "%s", clbfgs_last_error());
    clbfgs_result_free(&r);
    x0[1] = 1;
    o.hess_inv0 = h0;
    st[2] = made ? made : clbfgs_minimize(ctx, obj, 3, x0, &o, &r);
    snprintf(why[2], sizeof why[2], "%s", clbfgs_last_error());
    clbfgs_result_free(&r);
    clbfgs_objective_free(obj);

    for (int i = 0; i < 3; i++) {
        if (st[i] != CLBFGS_ERR_INVALID_ARGUMENT)
            print_error("case %d: %s: %s\n", i, clbfgs_strerror(st[i]), why[i]);
        assert_int_equal(st[i], CLBFGS_ERR_INVALID_ARGUMENT);
        assert_non_null(strstr(why[i], "overflows float"));
    }
    assert_non_null(strstr(why[0], "x0[1] = 1e+300"));
    assert_non_null(strstr(why[1], "x0[1] = -3.5e+38"));
    assert_non_null(strstr(why[2], "hess_inv0[1][1] = 1e+300"));
}

static int nan_everywhere(void *user, const double *x, size_t n, double *f, double *g)
{
    (void)user;
    (void)x;
    for (size_t i = 0; i < n; i++)
        g[i] = 0;
    *f = (double)NAN;
    return 0;
}

static void an_objective_that_is_nan_at_x0_ends_with_status_3(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_host(&obj, nan_everywhere, NULL));
    hold(obj, release_objective);
    double x0[4] = {1, 2, 3, 4};
    clbfgs_result *r = hold_result();
    minimize_ok(obj, 4, x0, NULL, r);
    assert_int_equal(r->status, 3);
    assert_int_equal(r->success, 0);
    assert_string_equal(r->message, "NaN result encountered.");
    assert_int_equal(r->nit, 0);
    assert_true(r->x[3] == 4);
}

/* (x0 - 0.5)^2 + 0.1 x1^2, NaN once x0 >= 0.52: the SciPy case where
 * SciPy's search runs off to 1e14 and ends on a NaN point. */
static int nan_beyond(void *user, const double *x, size_t n, double *f, double *g)
{
    (void)user;
    (void)n;
    if (x[0] >= 0.52) {
        g[0] = g[1] = (double)NAN;
        *f = (double)NAN;
        return 0;
    }
    g[0] = 2 * (x[0] - 0.5);
    g[1] = 0.2 * x[1];
    *f = (x[0] - 0.5) * (x[0] - 0.5) + 0.1 * x[1] * x[1];
    return 0;
}

static void a_nan_along_a_line_search_makes_it_back_off(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_host(&obj, nan_beyond, NULL));
    hold(obj, release_objective);
    double x0[2] = {-0.6, 1.0};
    clbfgs_result *r = hold_result();
    minimize_ok(obj, 2, x0, NULL, r);
    assert_int_equal(r->status, 0);
    assert_true(isfinite(r->fun) && r->fun < 1e-9);
    assert_true(fabs(r->x[0] - 0.5) < 1e-4 && fabs(r->x[1]) < 1e-4);
}

/* rosen until the sixth call, then a failure (a file that cannot be read, a
 * model that cannot be evaluated) */
static int rosen_then_failure(void *user, const double *x, size_t n, double *f, double *g)
{
    int *calls = user;
    if (*calls == 5)
        return -3;
    return host_rosen(user, x, n, f, g);
}

static void a_host_callback_that_fails_stops_the_run_and_keeps_the_best_point(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    int calls = 0;
    clbfgs_status made = clbfgs_objective_host(&obj, rosen_then_failure, &calls);
    double x0[5] = {1.3, 0.7, 0.8, 1.9, 1.2}, g[5], f0 = 0, f_at_x = 0;
    int unused = 0;
    host_rosen(&unused, x0, 5, &f0, g);
    clbfgs_result r;
    memset(&r, 0, sizeof r);
    clbfgs_status st = made == CLBFGS_SUCCESS ? clbfgs_minimize(ctx, obj, 5, x0, NULL, &r) : made;
    const char *why = clbfgs_last_error();
    int names_the_return = strstr(why, "returned -3") != NULL;
    if (r.x)
        host_rosen(&unused, r.x, 5, &f_at_x, g);
    double fun = r.fun;
    size_t nit = r.nit, nfev = r.nfev;
    int status = r.status, in_message = strstr(r.message, "returned -3") != NULL;
    clbfgs_result_free(&r);
    clbfgs_objective_free(obj);

    assert_int_equal(st, CLBFGS_ERR_OBJECTIVE);
    assert_true(names_the_return);
    assert_int_equal(status, CLBFGS_ERR_OBJECTIVE);
    assert_true(in_message);
    assert_int_equal(nfev, 6); /* five values and the call that failed */
    assert_true(nit >= 1);
    assert_true(fun < f0);
    assert_true(fun == f_at_x); /* fun is f at the x returned, computed the same way */
}

/* What the callback saw. It cannot assert: a failure would longjmp out of
 * the minimizer, past everything the run holds; it stops the run instead,
 * and the test fails after the run has cleaned up. */
struct seen {
    size_t k;
    char wrong[160];
};

static int stop_at_three(void *user, const clbfgs_iterate *it)
{
    struct seen *seen = user;
    if (it->k != seen->k + 1)
        snprintf(seen->wrong, sizeof seen->wrong, "iteration %zu after %zu", it->k, seen->k);
    else if (!it->x)
        snprintf(seen->wrong, sizeof seen->wrong, "iteration %zu: no x", it->k);
    else if (!(isfinite(it->f) && isfinite(it->gnorm) && it->step > 0))
        snprintf(seen->wrong, sizeof seen->wrong, "iteration %zu: f %g, gnorm %g, step %g", it->k,
                 it->f, it->gnorm, it->step);
    if (seen->wrong[0])
        return 1;
    seen->k = it->k;
    return it->k == 3;
}

static void a_callback_can_stop_the_run_with_status_99(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    double x0[5] = {1.3, 0.7, 0.8, 1.9, 1.2};
    clbfgs_options o;
    clbfgs_options_init(&o);
    struct seen seen = {0, ""};
    o.callback = stop_at_three;
    o.callback_user = &seen;
    clbfgs_result *r = hold_result();
    minimize_ok(obj, 5, x0, &o, r);
    if (seen.wrong[0])
        fail_msg("the callback saw %s", seen.wrong);
    assert_int_equal(r->status, 99);
    assert_int_equal(r->nit, 3);
    assert_int_equal(seen.k, 3);
    assert_int_equal(r->success, 0);
    assert_string_equal(r->message, "Stopped by the callback.");
}

/* A failure that says why: the message reaches clbfgs_last_error() and the
 * result. A message given by a call that then succeeded is forgotten. */
static int rosen_then_failure_with_message(void *user, const double *x, size_t n, double *f,
                                           double *g)
{
    int *calls = user;
    if (*calls == 2)
        clbfgs_callback_fail("not this one: the call succeeds");
    if (*calls == 5) {
        clbfgs_callback_fail("cannot read model.nc");
        return 1;
    }
    return host_rosen(user, x, n, f, g);
}

static void a_failing_host_callback_can_say_why(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    int calls = 0;
    assert_ok(clbfgs_objective_host(&obj, rosen_then_failure_with_message, &calls));
    hold(obj, release_objective);
    double x0[5] = {1.3, 0.7, 0.8, 1.9, 1.2};
    clbfgs_result *r = hold_result();
    assert_int_equal(clbfgs_minimize(ctx, obj, 5, x0, NULL, r), CLBFGS_ERR_OBJECTIVE);
    if (!strstr(clbfgs_last_error(),
                "the host objective callback failed (evaluation 6): cannot read model.nc"))
        fail_msg("message: %s", clbfgs_last_error());
    assert_int_equal(r->status, CLBFGS_ERR_OBJECTIVE);
    assert_non_null(strstr(r->message, "cannot read"));
    assert_int_equal(r->nfev, 6);
    /* the next run's plain failure does not inherit the old message */
    clbfgs_objective *plain = NULL;
    int calls2 = 0;
    assert_ok(clbfgs_objective_host(&plain, rosen_then_failure, &calls2));
    hold(plain, release_objective);
    clbfgs_result *r2 = hold_result();
    assert_int_equal(clbfgs_minimize(ctx, plain, 5, x0, NULL, r2), CLBFGS_ERR_OBJECTIVE);
    assert_non_null(strstr(clbfgs_last_error(), "returned -3"));
    assert_null(strstr(clbfgs_last_error(), "model.nc"));
}

static int fail_at_two(void *user, const clbfgs_iterate *it)
{
    (void)user;
    if (it->k == 2) {
        clbfgs_callback_fail("ZeroDivisionError: division by zero");
        return 1;
    }
    return 0;
}

/* An iteration callback that fails ends the run with an error (not status
 * 99), under both methods; the result keeps the point and the counts. */
static void a_failing_iteration_callback_ends_the_run_with_an_error(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    double x0[5] = {1.3, 0.7, 0.8, 1.9, 1.2};
    for (int method = 0; method < 2; method++) {
        clbfgs_options o;
        clbfgs_options_init(&o);
        o.callback = fail_at_two;
        o.method = method ? CLBFGS_METHOD_LBFGSB : CLBFGS_METHOD_BFGS;
        clbfgs_result *r = hold_result();
        assert_int_equal(clbfgs_minimize(ctx, obj, 5, x0, &o, r), CLBFGS_ERR_CALLBACK);
        assert_non_null(strstr(clbfgs_last_error(),
                               "the iteration callback failed (iteration 2): ZeroDivisionError"));
        assert_int_equal(r->status, CLBFGS_ERR_CALLBACK);
        assert_int_equal(r->nit, 2);
        assert_non_null(r->x);
        assert_true(isfinite(r->fun));
        assert_non_null(strstr(r->message, "the iteration callback failed"));
    }
}

/* A host objective at small n runs on the host (no device round trip), and
 * its run is the device's: the same status, iterations to a step or two,
 * the same point and H to rounding, the callback at every iteration, the
 * same stops. Past HOST_SOLVE_MAX_N (256) the run is on the device. */
struct counted {
    size_t calls;
    size_t stop_at;
};

static int count_and_stop(void *user, const clbfgs_iterate *it)
{
    struct counted *c = user;
    c->calls++;
    return c->stop_at && it->k == c->stop_at;
}

static void a_small_host_objective_runs_on_the_host_as_on_the_device(void **state)
{
    (void)state;
    size_t n = 8;
    double x0[8];
    for (size_t i = 0; i < n; i++)
        x0[i] = 1.0 + random_in(-0.3, 0.3);
    clbfgs_objective *host = NULL;
    int calls = 0;
    assert_ok(clbfgs_objective_host(&host, host_rosen, &calls));
    hold(host, release_objective);
    for (int stop = 0; stop < 2; stop++) {
        clbfgs_result *on_host = hold_result(), *on_device = hold_result();
        struct counted ch = {0, stop ? 3 : 0}, cd = {0, stop ? 3 : 0};
        clbfgs_options o;
        clbfgs_options_init(&o);
        o.return_hess_inv = 1;
        o.callback = count_and_stop;
        o.callback_user = &ch;
        calls = 0;
        minimize_ok(host, n, x0, &o, on_host);
        assert_int_equal((int)on_host->nfev, calls);
        o.single_kernel = -1;
        o.callback_user = &cd;
        minimize_ok(host, n, x0, &o, on_device);
        assert_int_equal(on_host->time.syncs, 0);
        assert_int_equal(on_host->time.launches, 0);
        assert_true(on_device->time.syncs > 0);
        assert_int_equal(on_host->status, stop ? 99 : 0);
        assert_int_equal(on_device->status, on_host->status);
        assert_string_equal(on_host->message, on_device->message);
        assert_true(labs((long)on_host->nit - (long)on_device->nit) <= 2);
        assert_int_equal(ch.calls, on_host->nit);
        assert_int_equal(cd.calls, on_device->nit);
        if (stop) {
            assert_int_equal(on_host->nit, 3);
            assert_int_equal(on_host->nfev, on_device->nfev);
        }
        for (size_t i = 0; i < n; i++) {
            double tol = stop ? 1e-12 : 1e-5;
            if (!(fabs(on_host->x[i] - on_device->x[i]) <= tol))
                fail_msg("x[%zu]: host %.17g device %.17g", i, on_host->x[i], on_device->x[i]);
        }
        /* H as SciPy has it when the run stops, on both paths */
        assert_non_null(on_host->hess_inv);
        for (size_t i = 0; i < n * n; i++) {
            double a = on_host->hess_inv[i], b = on_device->hess_inv[i];
            if (!(fabs(a - b) <= (stop ? 1e-10 : 1e-2) * (1 + fabs(b))))
                fail_msg("stop %d: H[%zu] host %.17g device %.17g", stop, i, a, b);
            if (!(a == on_host->hess_inv[(i % n) * n + i / n]))
                fail_msg("H[%zu] not symmetric", i);
        }
    }
    /* past HOST_SOLVE_MAX_N, and in float, the device runs it */
    size_t big = 258;
    double *xb = calloc(big, sizeof(double));
    assert_non_null(xb);
    for (size_t i = 0; i < big; i++)
        xb[i] = 1.0 + random_in(-0.1, 0.1);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.maxiter = 3;
    clbfgs_result *r = hold_result(), *rf = hold_result();
    assert_ok(clbfgs_minimize(ctx, host, big, xb, &o, r));
    free(xb);
    assert_true(r->time.syncs > 0);
    o.precision = CLBFGS_PRECISION_FLOAT;
    assert_ok(clbfgs_minimize(ctx, host, n, x0, &o, rf));
    assert_true(rf->time.syncs > 0);
    assert_int_equal(rf->precision, CLBFGS_PRECISION_FLOAT);
}

/* A failure inside a run that a callback makes itself is that run's, not
 * the callback's: the callback's plain stop stays status 99. */
static int always_fails(void *user, const double *x, size_t n, double *f, double *g)
{
    (void)user, (void)x, (void)n, (void)f, (void)g;
    clbfgs_callback_fail("inner failure");
    return 1;
}

static int run_inside_then_stop(void *user, const clbfgs_iterate *it)
{
    int *inner = user;
    clbfgs_objective *obj = NULL;
    if (clbfgs_objective_host(&obj, always_fails, NULL) != CLBFGS_SUCCESS)
        return 1;
    clbfgs_result r;
    *inner = clbfgs_minimize(ctx, obj, it->n, it->x, NULL, &r);
    clbfgs_result_free(&r);
    clbfgs_objective_free(obj);
    return 1; /* a plain stop */
}

static void a_failure_inside_a_callback_s_own_run_is_not_the_callback_s(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    double x0[5] = {1.3, 0.7, 0.8, 1.9, 1.2};
    for (int method = 0; method < 2; method++) {
        int inner = 0;
        clbfgs_options o;
        clbfgs_options_init(&o);
        o.callback = run_inside_then_stop;
        o.callback_user = &inner;
        o.method = method ? CLBFGS_METHOD_LBFGSB : CLBFGS_METHOD_BFGS;
        clbfgs_result *r = hold_result();
        minimize_ok(obj, 5, x0, &o, r);
        assert_int_equal(inner, CLBFGS_ERR_OBJECTIVE);
        assert_int_equal(r->status, 99);
        assert_int_equal(r->nit, 1);
    }
}

static void the_iteration_limit_ends_with_status_1(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    double x0[5] = {1.3, 0.7, 0.8, 1.9, 1.2};
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.maxiter = 4;
    clbfgs_result *r = hold_result();
    minimize_ok(obj, 5, x0, &o, r);
    assert_int_equal(r->status, 1);
    assert_int_equal(r->nit, 4);
    assert_string_equal(r->message, "Maximum number of iterations has been exceeded.");
}

static double sum_of(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

static void profiling_splits_the_iterations_without_changing_them(void **state)
{
    (void)state;
    clbfgs_context_options co;
    clbfgs_context_options_init(&co);
    co.profile = 1;
    clbfgs_context *pctx = NULL;
    assert_ok(clbfgs_context_new(&pctx, &co));
    hold(pctx, release_context);
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "ext-rosenbrock"));
    hold(obj, release_objective);
    size_t n = 64;
    double x0[64];
    for (size_t i = 0; i < n; i++)
        x0[i] = (i % 2 ? 1.0 : -1.2) + random_in(-0.1, 0.1);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.gtol = 0;
    o.maxiter = 8;
    o.single_kernel = -1; /* the host-driven iterations, whose syncs and launches count */
    clbfgs_result *plain = hold_result(), *prof = hold_result();
    minimize_ok(obj, n, x0, &o, plain);
    assert_ok(clbfgs_minimize(pctx, obj, n, x0, &o, prof));
    /* the same arithmetic: profiling only adds events */
    assert_int_equal(prof->nit, 8);
    assert_int_equal(prof->nit, plain->nit);
    assert_int_equal(prof->nfev, plain->nfev);
    assert_memory_equal(prof->x, plain->x, n * sizeof(double));
    /* without profiling, no device times; syncs are counted either way */
    const clbfgs_timings *t = &plain->time, *p = &prof->time;
    assert_true(t->device_objective == 0 && t->device_hessian == 0 && t->device_other == 0 &&
                t->device_transfer == 0);
    assert_int_equal(t->syncs, p->syncs);
    assert_int_equal(t->launches, p->launches);
    /* one read per iteration, which brings the first trial point's f and
     * phi' along, and one per further trial point: one per evaluation after
     * x0's. Each iteration launches the H pass (two kernels when a GPU's
     * column pass is split), the step kernel, the objective and the trial
     * scalars; each further trial point an axpy, the objective and the
     * trial scalars. */
    assert_int_equal(p->syncs, prof->nfev - 1);
    size_t extra = prof->nfev - 1 - prof->nit;
    assert_true(p->launches >= 4 * prof->nit + 3 * extra);
    assert_true(p->launches <= 5 * prof->nit + 3 * extra);
    /* every phase ran, and the device cannot have been busy for longer than
     * the iterations took */
    assert_true(p->device_objective > 0);
    assert_true(p->device_hessian > 0);
    assert_true(p->device_other > 0);
    assert_true(p->device_transfer > 0);
    double device[] = {p->device_objective, p->device_hessian, p->device_other, p->device_transfer};
    double loop = p->total - p->setup;
    if (!(sum_of(device, 4) <= loop))
        print_error("device %.6f s in iterations of %.6f s\n", sum_of(device, 4), loop);
    assert_true(sum_of(device, 4) <= loop);
}

static void float_runs_reach_float_tolerances(void **state)
{
    (void)state;
    const char *names[] = {"rosen", "quadratic", "ext-rosenbrock"};
    for (int p = 0; p < 3; p++) {
        size_t mark = held_mark();
        clbfgs_objective *obj = NULL;
        assert_ok(clbfgs_objective_builtin(&obj, names[p]));
        hold(obj, release_objective);
        /* Near each problem's usual start, so all runs seek the same minimum. */
        static const double rosen_start[5] = {1.3, 0.7, 0.8, 1.9, 1.2};
        size_t n = 10;
        double x0[10];
        for (size_t i = 0; i < n; i++)
            x0[i] = (p == 0   ? rosen_start[i % 5]
                     : p == 2 ? (i % 2 ? 1.0 : -1.2)
                              : 0.5) +
                    random_in(-0.1, 0.1);
        clbfgs_options o;
        clbfgs_options_init(&o);
        o.precision = CLBFGS_PRECISION_FLOAT;
        o.gtol = 1e-3;
        clbfgs_result *r = hold_result();
        minimize_ok(obj, n, x0, &o, r);
        assert_int_equal(r->precision, CLBFGS_PRECISION_FLOAT);
        if (r->status != 0)
            print_error("%s in float: status %d, f %g after %zu iterations\n", names[p], r->status,
                        r->fun, r->nit);
        /* float may stop on precision loss near the minimum; it must be near. */
        assert_true(r->status == 0 || r->status == 2);
        assert_true(r->fun < 1e-5);
        for (size_t i = 0; i < n; i++)
            assert_true(fabs(r->x[i] - 1) < 2e-2);
        release_held_since(mark);
    }
}

static void the_inverse_hessian_comes_back_symmetric_and_positive(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "quadratic"));
    hold(obj, release_objective);
    size_t n = 7;
    double x0[7];
    for (size_t i = 0; i < n; i++)
        x0[i] = random_in(-3, 3);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.return_hess_inv = 1;
    clbfgs_result *r = hold_result();
    minimize_ok(obj, n, x0, &o, r);
    assert_int_equal(r->status, 0);
    assert_non_null(r->hess_inv);
    for (size_t i = 0; i < n; i++) {
        assert_true(r->hess_inv[i * n + i] > 0);
        for (size_t j = 0; j < n; j++)
            assert_true(r->hess_inv[i * n + j] == r->hess_inv[j * n + i]); /* exactly */
    }
}

int main(void)
{
    skip_without_opencl();
    seed_random();
    const struct CMUnitTest tests[] = {
        held_test(the_device_kernel_and_the_host_callback_take_the_same_path),
        held_test(bad_arguments_are_named_and_nothing_runs),
        held_test(a_problem_too_large_for_the_device_says_how_many_bytes),
        held_test(a_problem_whose_bytes_overflow_is_refused_before_x0_is_read),
        held_test(values_that_overflow_the_run_precision_are_refused),
        held_test(an_objective_that_is_nan_at_x0_ends_with_status_3),
        held_test(a_nan_along_a_line_search_makes_it_back_off),
        held_test(a_host_callback_that_fails_stops_the_run_and_keeps_the_best_point),
        held_test(a_callback_can_stop_the_run_with_status_99),
        held_test(a_failing_host_callback_can_say_why),
        held_test(a_failing_iteration_callback_ends_the_run_with_an_error),
        held_test(a_small_host_objective_runs_on_the_host_as_on_the_device),
        held_test(a_failure_inside_a_callback_s_own_run_is_not_the_callback_s),
        held_test(the_iteration_limit_ends_with_status_1),
        held_test(float_runs_reach_float_tolerances),
        held_test(profiling_splits_the_iterations_without_changing_them),
        held_test(the_inverse_hessian_comes_back_symmetric_and_positive),
    };
    return cmocka_run_group_tests(tests, context_setup, context_teardown);
}
