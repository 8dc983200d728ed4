/* L-BFGS-B (lib/lbfgsb.c, cl/lbfgsb.cl): answers known in closed form,
 * the same problem through the device and the host, SciPy's stopping tests
 * and statuses, and bad input. The comparison with SciPy itself, problem by
 * problem, is tests/scipy_compare.py (tests/scipy.sh). */
#include "common.h"

#include <float.h>
#include <math.h>

extern clbfgs_context *ctx;

/* Under check-valgrind (under_valgrind, common.h): the other precision
 * and the other row layout are other kernel builds of the same host code,
 * and pocl compiles each for minutes there; make check runs them. */

static double urand(double lo, double hi) { return lo + (hi - lo) * rand() / (double)RAND_MAX; }

static clbfgs_options lbfgsb_options(void)
{
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.method = CLBFGS_METHOD_LBFGSB;
    return o;
}

/* f = sum_i c_i (x_i - t_i)^2 / 2 on the host: its minimum in a box is t
 * clipped to the box, exactly. */
typedef struct {
    const double *c, *t;
    int calls;
    int sign; /* -1: a gradient of the wrong sign */
} separable;

static int separable_fn(void *user, const double *x, size_t n, double *f, double *g)
{
    separable *s = user;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - s->t[i];
        sum += 0.5 * s->c[i] * d * d;
        g[i] = s->sign * s->c[i] * d;
    }
    *f = sum;
    s->calls++;
    return 0;
}

/* SciPy's rosen and its gradient on the host. */
static int rosen_fn(void *user, const double *x, size_t n, double *f, double *g)
{
    (void)user;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        g[i] = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
        sum += 100 * a * a + b * b;
        g[i] += -400 * x[i] * a - 2 * b;
        g[i + 1] += 200 * a;
    }
    *f = sum;
    return 0;
}

/* Extended Rosenbrock (n even) on the host. */
static int ext_rosen_fn(void *user, const double *x, size_t n, double *f, double *g)
{
    (void)user;
    double sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        double t = x[i + 1] - x[i] * x[i], b = 1 - x[i];
        sum += 100 * t * t + b * b;
        g[i] = -400 * x[i] * t - 2 * b;
        g[i + 1] = 200 * t;
    }
    *f = sum;
    return 0;
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Random boxes (some one-sided, some unbounded, some fixed, some with the
 * target inside) around random targets: the answer is the clipped target. */
static void random_box_problem(void **state)
{
    (void)state;
    enum { N = 60 };
    double *c = hold_alloc(N * sizeof(double)), *t = hold_alloc(N * sizeof(double));
    double *lo = hold_alloc(N * sizeof(double)), *up = hold_alloc(N * sizeof(double));
    double *x0 = hold_alloc(N * sizeof(double));
    for (int i = 0; i < N; i++) {
        c[i] = urand(0.5, 20);
        t[i] = urand(-5, 5);
        double a = urand(-4, 4), b = urand(-4, 4);
        lo[i] = fmin(a, b);
        up[i] = fmax(a, b);
        switch (i % 6) {
        case 0: lo[i] = -INFINITY; break;
        case 1: up[i] = INFINITY; break;
        case 2: lo[i] = -INFINITY, up[i] = INFINITY; break;
        case 3: up[i] = lo[i]; break; /* fixed */
        default: break;
        }
        x0[i] = urand(-6, 6); /* often outside: projected */
    }
    separable s = {c, t, 0, 1};
    clbfgs_objective *obj;
    assert_ok(clbfgs_objective_host(&obj, separable_fn, &s));
    hold(obj, (release_fn)clbfgs_objective_free);
    clbfgs_options o = lbfgsb_options();
    o.lower = lo;
    o.upper = up;
    o.gtol = 1e-10;
    o.ftol = 0; /* on to the projected-gradient test */
    clbfgs_result *r = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, N, x0, &o, r));
    printf("# box problem: status %d nit %zu nfev %zu: %s\n", r->status, r->nit, r->nfev, r->message);
    assert_int_equal(r->status, 0);
    assert_int_equal((int)r->nfev, s.calls);
    for (int i = 0; i < N; i++) {
        /* the test on f stops where f's rounding hides c (x - t)^2 / 2 */
        double want = clip(t[i], lo[i], up[i]);
        if (fabs(r->x[i] - want) > 4 * sqrt(DBL_EPSILON * fmax(r->fun, 1) / c[i]))
            fail_msg("x[%d] = %.17g, the clipped target is %.17g (box [%g, %g])", i, r->x[i], want,
                     lo[i], up[i]);
        assert_true(r->x[i] >= lo[i] && r->x[i] <= up[i]);
    }
}

/* Every target beyond its box: the Cauchy point passes every breakpoint
 * and the answer is a corner. */
static void all_at_bounds(void **state)
{
    (void)state;
    enum { N = 40 };
    double c[N], t[N], lo[N], up[N], x0[N];
    for (int i = 0; i < N; i++) {
        c[i] = urand(1, 3);
        lo[i] = -1;
        up[i] = 1;
        t[i] = i % 2 ? urand(2, 9) : urand(-9, -2);
        x0[i] = urand(-0.9, 0.9);
    }
    separable s = {c, t, 0, 1};
    clbfgs_objective *obj;
    assert_ok(clbfgs_objective_host(&obj, separable_fn, &s));
    hold(obj, (release_fn)clbfgs_objective_free);
    clbfgs_options o = lbfgsb_options();
    o.lower = lo;
    o.upper = up;
    clbfgs_result *r = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, N, x0, &o, r));
    assert_int_equal(r->status, 0);
    assert_string_equal(r->message, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL");
    for (int i = 0; i < N; i++)
        assert_true(r->x[i] == (i % 2 ? 1.0 : -1.0));
    /* x0 on the answer already: nothing to do */
    separable s2 = {c, t, 0, 1};
    clbfgs_objective *obj2;
    assert_ok(clbfgs_objective_host(&obj2, separable_fn, &s2));
    hold(obj2, (release_fn)clbfgs_objective_free);
    clbfgs_result *r2 = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj2, N, r->x, &o, r2));
    assert_int_equal(r2->status, 0);
    assert_int_equal((int)r2->nit, 0);
    assert_int_equal((int)r2->nfev, 1);
}

/* The built-in rosen on the device and the same function on the host take
 * the same path (their sums round differently, so a step or two may
 * differ), bounded and not. */
static void device_and_host_agree(void **state)
{
    /* the second time through: the GPUs' strided rows (CLBFGS_LBFGSB_ROWS) */
    int strided = state && *state == (void *)1;
    if (strided && under_valgrind())
        skip();
    if (strided)
        setenv("CLBFGS_LBFGSB_ROWS", "strided", 1);
    enum { N = 12 };
    double x0[N], up[N];
    for (int i = 0; i < N; i++) {
        x0[i] = urand(-1.5, 1.5);
        up[i] = i % 3 == 0 ? 0.5 : (double)INFINITY;
    }
    clbfgs_objective *dev, *host;
    assert_ok(clbfgs_objective_builtin(&dev, "rosen"));
    hold(dev, (release_fn)clbfgs_objective_free);
    assert_ok(clbfgs_objective_host(&host, rosen_fn, NULL));
    hold(host, (release_fn)clbfgs_objective_free);
    for (int bounded = 0; bounded < 2; bounded++) {
        clbfgs_options o = lbfgsb_options();
        if (bounded)
            o.upper = up;
        clbfgs_result *a = hold_result(), *b = hold_result();
        assert_ok(clbfgs_minimize(ctx, dev, N, x0, &o, a));
        assert_ok(clbfgs_minimize(ctx, host, N, x0, &o, b));
        printf("# rosen n=%d %s%s: device nit %zu f %.6e, host nit %zu f %.6e\n", N,
               bounded ? "bounded" : "unbounded", strided ? " (strided rows)" : "", a->nit,
               a->fun, b->nit, b->fun);
        assert_int_equal(a->status, 0);
        assert_int_equal(b->status, 0);
        assert_true(labs((long)a->nit - (long)b->nit) <= 2 + (long)b->nit / 10);
        assert_true(fabs(a->fun - b->fun) <= 1e-8 * (1 + fabs(b->fun)));
        for (int i = 0; i < N; i++) {
            assert_true(fabs(a->x[i] - b->x[i]) <= 1e-4);
            if (bounded)
                assert_true(a->x[i] <= up[i]);
        }
        assert_true(a->time.syncs > 0);
    }
    unsetenv("CLBFGS_LBFGSB_ROWS");
}

/* n large enough that a work-item's block of rows is more than 8 long (the
 * CPUs' 8-wide loops, and a tail that is not a multiple of 8), in both
 * layouts of the rows, against the same function on the host. */
static void large_n(void **state)
{
    (void)state;
    enum { N = 20002 };
    double *x0 = hold_alloc(N * sizeof(double)), *up = hold_alloc(N * sizeof(double));
    for (int i = 0; i < N; i++) {
        x0[i] = i % 2 ? 1.0 : -1.2; /* every pair alike: see below */
        up[i] = i % 2 ? (double)INFINITY : 0.5;
    }
    clbfgs_objective *dev, *host;
    assert_ok(clbfgs_objective_builtin(&dev, "ext-rosenbrock"));
    hold(dev, (release_fn)clbfgs_objective_free);
    assert_ok(clbfgs_objective_host(&host, ext_rosen_fn, NULL));
    hold(host, (release_fn)clbfgs_objective_free);
    for (int layout = 0; layout < (under_valgrind() ? 1 : 2); layout++) {
        setenv("CLBFGS_LBFGSB_ROWS", layout ? "strided" : "blocks", 1);
        for (int bounded = 0; bounded < 2; bounded++) {
            clbfgs_options o = lbfgsb_options();
            o.upper = bounded ? up : NULL;
            clbfgs_result *a = hold_result(), *b = hold_result();
            assert_ok(clbfgs_minimize(ctx, dev, N, x0, &o, a));
            assert_ok(clbfgs_minimize(ctx, host, N, x0, &o, b));
            printf("# ext-rosenbrock n=%d %s, %s rows: device nit %zu f %.9e, host nit %zu "
                   "f %.9e\n",
                   N, bounded ? "bounded" : "unbounded", layout ? "strided" : "blocks of",
                   a->nit, a->fun, b->nit, b->fun);
            assert_int_equal(a->status, 0);
            assert_int_equal(b->status, 0);
            assert_true(labs((long)a->nit - (long)b->nit) <= 2 + (long)b->nit / 10);
            assert_true(fabs(a->fun - b->fun) <= 1e-7 * (1 + fabs(b->fun)));
            /* every coordinate pair sees the same elementwise operations on the
             * same values: a row the 8-wide loops or their tails handle
             * wrongly stands out */
            for (int i = 2; i < N; i++)
                if (a->x[i] != a->x[i % 2])
                    fail_msg("x[%d] = %.17g, x[%d] = %.17g", i, a->x[i], i % 2, a->x[i % 2]);
            for (int i = 0; i < 2; i++)
                assert_true(fabs(a->x[i] - (bounded ? (i % 2 ? 0.25 : 0.5) : 1.0)) < 1e-3);
        }
    }
    unsetenv("CLBFGS_LBFGSB_ROWS");
}

/* float: the same machinery in single precision reaches rosen's minimum. */
static void float_run(void **state)
{
    (void)state;
    if (under_valgrind())
        skip();
    double x0[8];
    for (int i = 0; i < 8; i++)
        x0[i] = i % 2 ? 1.0 : -1.2;
    clbfgs_objective *obj;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, (release_fn)clbfgs_objective_free);
    clbfgs_options o = lbfgsb_options();
    o.precision = CLBFGS_PRECISION_FLOAT;
    o.gtol = 1e-3;
    clbfgs_result *r = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, 8, x0, &o, r));
    printf("# float rosen: status %d nit %zu f %g: %s\n", r->status, r->nit, r->fun, r->message);
    assert_int_equal(r->precision, CLBFGS_PRECISION_FLOAT);
    assert_int_equal(r->status, 0);
    for (int i = 0; i < 8; i++)
        assert_true(fabs(r->x[i] - 1) < 2e-2);
}

typedef struct {
    size_t calls, stop_at;
    double last_gnorm;
} watch;

static int watcher(void *user, const clbfgs_iterate *it)
{
    watch *w = user;
    w->calls++;
    assert_int_equal((int)it->k, (int)w->calls);
    assert_non_null(it->x);
    w->last_gnorm = it->gnorm;
    return w->stop_at && w->calls >= w->stop_at;
}

/* SciPy's limits and the callback: maxiter, maxfun (tested at the end of
 * an iteration, so nfev passes it), a callback that stops the run. */
static void limits_and_callback(void **state)
{
    (void)state;
    double x0[6] = {-1.2, 1, -1.2, 1, -1.2, 1};
    clbfgs_objective *obj;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, (release_fn)clbfgs_objective_free);
    clbfgs_options o = lbfgsb_options();
    clbfgs_result *r = hold_result();
    o.maxiter = 3;
    assert_ok(clbfgs_minimize(ctx, obj, 6, x0, &o, r));
    assert_int_equal(r->status, 1);
    assert_int_equal((int)r->nit, 3);
    assert_string_equal(r->message, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT");
    o.maxiter = 0;
    o.maxfun = 5;
    clbfgs_result *r2 = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, 6, x0, &o, r2));
    assert_int_equal(r2->status, 1);
    assert_true(r2->nfev > 5);
    assert_string_equal(r2->message, "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT");
    o.maxfun = 15000;
    watch w = {0, 4, 0};
    o.callback = watcher;
    o.callback_user = &w;
    clbfgs_result *r3 = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, 6, x0, &o, r3));
    assert_int_equal(r3->status, 99);
    assert_int_equal((int)r3->nit, 4);
    assert_int_equal((int)w.calls, 4);
    assert_true(w.last_gnorm > 0);
}

/* A gradient of the wrong sign: no descent, so SciPy's abnormal end with
 * x0 kept; and x0 outside the box is projected and said. */
static void abnormal_and_projection(void **state)
{
    (void)state;
    enum { N = 5 };
    double c[N] = {1, 2, 3, 4, 5}, t[N] = {0, 0, 0, 0, 0}, x0[N] = {1, 2, 3, 4, 5};
    separable s = {c, t, 0, -1};
    clbfgs_objective *obj;
    assert_ok(clbfgs_objective_host(&obj, separable_fn, &s));
    hold(obj, (release_fn)clbfgs_objective_free);
    clbfgs_options o = lbfgsb_options();
    clbfgs_result *r = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, N, x0, &o, r));
    assert_int_equal(r->status, 2);
    assert_string_equal(r->message, "ABNORMAL: ");
    assert_int_equal((int)r->nit, 0);
    for (int i = 0; i < N; i++)
        assert_true(r->x[i] == x0[i]);

    struct logbook book = {{0}};
    clbfgs_context_options co;
    clbfgs_context_options_init(&co);
    co.log = record;
    co.log_user = &book;
    clbfgs_context *logged;
    assert_ok(clbfgs_context_new(&logged, &co));
    hold(logged, (release_fn)clbfgs_context_free);
    separable good = {c, t, 0, 1};
    clbfgs_objective *obj2;
    assert_ok(clbfgs_objective_host(&obj2, separable_fn, &good));
    hold(obj2, (release_fn)clbfgs_objective_free);
    double lo[N] = {2, -INFINITY, 0.5, -1, 3}, up[N] = {3, 1, INFINITY, 1, 3};
    o.lower = lo;
    o.upper = up;
    clbfgs_result *r2 = hold_result();
    assert_ok(clbfgs_minimize(logged, obj2, N, x0, &o, r2));
    assert_int_equal(r2->status, 0);
    double want[N] = {2, 0, 0.5, 0, 3};
    for (int i = 0; i < N; i++)
        assert_true(fabs(r2->x[i] - want[i]) < 1e-7);
    assert_non_null(strstr(book.text, "x0 is outside the bounds in 4 coordinates"));
}

static void expect_refused(clbfgs_options *o, size_t n, clbfgs_status want, const char *text)
{
    clbfgs_objective *obj;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    double x0[4] = {0.5, 0.5, 0.5, 0.5};
    clbfgs_result r;
    clbfgs_status st = clbfgs_minimize(ctx, obj, n, x0, o, &r);
    const char *msg = clbfgs_last_error();
    int found = strstr(msg, text) != NULL;
    clbfgs_result_free(&r);
    clbfgs_objective_free(obj);
    if (st != want || !found)
        fail_msg("expected %s with '%s', got %s: %s", clbfgs_strerror(want), text,
                 clbfgs_strerror(st), msg);
}

static void bad_input(void **state)
{
    (void)state;
    double lo[4] = {0, -1, 2, 0}, up[4] = {1, 1, 1, 1}, nan4[4] = {0, 0, NAN, 0};
    double pinf[4] = {INFINITY, 0, 0, 0};
    clbfgs_options o = lbfgsb_options();
    o.lower = lo;
    o.upper = up;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "lower[2] = 2 > upper[2] = 1");
    o.lower = NULL;
    o.upper = nan4;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "upper[2] is NaN");
    o.upper = NULL;
    o.lower = pinf;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "lower[0] = inf");
    o = lbfgsb_options();
    o.m = 0;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "m (the L-BFGS-B pairs kept) must be");
    o.m = 100000;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "not 100000");
    o = lbfgsb_options();
    o.ftol = -1;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "ftol must be >= 0");
    o = lbfgsb_options();
    o.maxls = 0;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "maxls must be at least 1");
    o = lbfgsb_options();
    o.norm = 2;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "does not take norm");
    o = lbfgsb_options();
    o.c1 = 1e-3;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "does not take c1 and c2");
    o = lbfgsb_options();
    o.return_hess_inv = 1;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "return_hess_inv");
    o = lbfgsb_options();
    o.method = (clbfgs_method)7;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "method must be");
    clbfgs_options_init(&o); /* BFGS */
    o.upper = up;
    expect_refused(&o, 4, CLBFGS_ERR_INVALID_ARGUMENT, "need method CLBFGS_METHOD_LBFGSB");
    /* the step-by-step API and batches run BFGS only */
    o = lbfgsb_options();
    clbfgs_objective *obj;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, (release_fn)clbfgs_objective_free);
    clbfgs_solver *solver = NULL;
    assert_int_equal(clbfgs_solver_new(&solver, ctx, obj, 4, &o), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_null(solver);
    double x0[8] = {0};
    clbfgs_batch_result br;
    assert_int_equal(clbfgs_minimize_batch(ctx, obj, 4, 2, x0, &o, &br),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "not L-BFGS-B"));
}

int main(void)
{
    skip_without_opencl();
    seed_random();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(random_box_problem, release_held_teardown),
        cmocka_unit_test_teardown(all_at_bounds, release_held_teardown),
        cmocka_unit_test_teardown(device_and_host_agree, release_held_teardown),
        cmocka_unit_test_prestate_setup_teardown(device_and_host_agree, NULL,
                                                 release_held_teardown, (void *)1),
        cmocka_unit_test_teardown(large_n, release_held_teardown),
        cmocka_unit_test_teardown(float_run, release_held_teardown),
        cmocka_unit_test_teardown(limits_and_callback, release_held_teardown),
        cmocka_unit_test_teardown(abnormal_and_projection, release_held_teardown),
        cmocka_unit_test_teardown(bad_input, release_held_teardown),
    };
    return cmocka_run_group_tests(tests, context_setup, context_teardown);
}
