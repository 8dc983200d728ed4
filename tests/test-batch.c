/* Batches (clbfgs_minimize_batch) and the one-kernel solve: every problem
 * of a batch against its own solo run (clbfgs_minimize, which takes the same
 * kernel for a small problem: the same status, nit, nfev and bits) and
 * against the host-driven run (options.single_kernel = -1: the same status
 * and nit, f to rounding), on a batch whose problems stop in very different
 * ways; the forms (gradient, least squares, forward differences), float,
 * the global-memory tier, NaN at one problem's start, and bad input. Fresh
 * random starts and scales each run. */
#include "common.h"

#include <math.h>

extern clbfgs_context *ctx; /* tests/common.c, made by context_setup */

/* Rosenbrock's valley of CLBFGS_N coordinates, scaled per problem:
 * f = s (a (x_{i+1} - x_i^2)^2 + (1 - x_i)^2) over items i < n - 1, with
 * (s, a) the problem's two data values. A large a makes a long valley
 * (many iterations), a huge s a gradient no step can bring under gtol
 * (precision loss), a tiny s a start that already meets it. */
static const char valley[] =
    "real valley(const uint i, const real *x, real *g, __global const real *sa)\n"
    "{\n"
    "    const real s = sa[0], a = sa[1];\n"
    "    const real d = x[i + 1] - x[i] * x[i], e = 1 - x[i];\n"
    "    g[i] = s * (-4 * a * x[i] * d - 2 * e);\n"
    "    g[i + 1] = s * (2 * a * d);\n"
    "    return s * (a * d * d + e * e);\n"
    "}\n"
    "real valley_value(const uint i, const real *x, __global const real *sa)\n"
    "{\n"
    "    real g[CLBFGS_N];\n"
    "    return valley(i, x, g, sa);\n"
    "}\n"
    "real valley_residuals(const uint i, const real *x, real *g, __global const real *sa)\n"
    "{\n"
    "    /* r_{2k} = sqrt(2 s a) (x_{k+1} - x_k^2), r_{2k+1} = sqrt(2 s) (1 - x_k) */\n"
    "    const uint k = i / 2;\n"
    "    if (i % 2 == 0) {\n"
    "        const real c = sqrt(2 * sa[0] * sa[1]);\n"
    "        g[k] = -2 * c * x[k];\n"
    "        g[k + 1] = c;\n"
    "        return c * (x[k + 1] - x[k] * x[k]);\n"
    "    }\n"
    "    const real c = sqrt(2 * sa[0]);\n"
    "    g[k] = -c;\n"
    "    return c * (1 - x[k]);\n"
    "}\n";

enum { N = 4, P = 24 };

static double uniform(double lo, double hi) { return lo + (hi - lo) * rand() / (double)RAND_MAX; }

/* Problem p's data (s, a) and start: four kinds in turn, drawn fresh. */
static void draw(double *sa, double *x0)
{
    for (size_t p = 0; p < P; p++) {
        double *d = sa + 2 * p;
        switch (p % 4) {
        case 0: d[0] = uniform(0.5, 2), d[1] = uniform(1, 3); break;        /* a few iterations */
        case 1: d[0] = uniform(0.5, 2), d[1] = uniform(3e3, 1e4); break;    /* a long valley */
        case 2: d[0] = uniform(1e13, 1e14), d[1] = uniform(50, 100); break; /* precision loss */
        case 3: d[0] = uniform(1e-12, 1e-11), d[1] = 100; break;            /* done at x0 */
        }
        for (size_t j = 0; j < N; j++) /* the long valleys from its far side */
            x0[p * N + j] =
                p % 4 == 1 ? (j % 2 ? 1.0 : -1.2) + uniform(-0.1, 0.1) : uniform(-1.5, 1.5);
    }
}

/* A term objective over `function` of source valley with data sa (P blocks
 * of 2), per-problem; held. */
static clbfgs_objective *valley_objective(const char *function, int gradient, int lsq,
                                          const double *sa, size_t problems)
{
    clbfgs_terms_options o;
    clbfgs_terms_options_init(&o);
    o.name = "valley.cl";
    o.args = "__global const real *sa";
    o.gradient = gradient;
    o.least_squares = lsq;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_terms(&obj, valley, function, lsq ? 2 * (N - 1) : N - 1, &o));
    hold(obj, release_objective);
    assert_ok(clbfgs_objective_set_arg_reals(obj, 0, sa, 2 * problems));
    assert_ok(clbfgs_objective_set_arg_per_problem(obj, 0, 2));
    return obj;
}

/* A zeroed batch result, held: its arrays freed, then itself, by the
 * teardown (held in that order, released newest first). */
static clbfgs_batch_result *hold_batch(void)
{
    clbfgs_batch_result *r = hold_alloc(sizeof *r);
    memset(r, 0, sizeof *r);
    hold(r, (release_fn)clbfgs_batch_result_free);
    return r;
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* The batch, then each problem alone: in one kernel (the same status,
 * counts and bits) and, with host_driven, by the host-driven iteration. */
static void batch_against_solo(const char *function, int gradient, int lsq,
                               clbfgs_precision precision, int host_driven, double tol)
{
    double sa[2 * P], x0[P * N];
    draw(sa, x0);
    clbfgs_objective *obj = valley_objective(function, gradient, lsq, sa, P);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.precision = precision;
    o.maxiter = 60;
    clbfgs_batch_result *b = hold_batch();
    assert_ok(clbfgs_minimize_batch(ctx, obj, N, P, x0, &o, b));
    assert_int_equal(b->P, P);
    int seen[4] = {0, 0, 0, 0};
    for (size_t p = 0; p < P; p++) {
        clbfgs_objective *one = valley_objective(function, gradient, lsq, sa + 2 * p, 1);
        clbfgs_result *r = hold_result();
        assert_ok(clbfgs_minimize(ctx, one, N, x0 + p * N, &o, r));
        if (r->status != b->status[p] || r->nit != b->nit[p] || r->nfev != b->nfev[p] ||
            r->njev != b->njev[p] || !same_bits(r->fun, b->fun[p]))
            fail_msg("%s problem %zu: batch status %d nit %zu nfev %zu f %.17g; alone %d %zu "
                     "%zu %.17g",
                     function, p, b->status[p], b->nit[p], b->nfev[p], b->fun[p], r->status, r->nit,
                     r->nfev, r->fun);
        for (size_t j = 0; j < N; j++)
            assert_true(same_bits(r->x[j], b->x[p * N + j]) &&
                        same_bits(r->jac[j], b->jac[p * N + j]));
        assert_string_equal(r->message, clbfgs_status_message(b->status[p]));
        if (b->status[p] >= 0 && b->status[p] < 4)
            seen[b->status[p]]++;
        /* The host-driven run sums a few things in another order, so its
         * rounding differs, and along a long valley the difference grows:
         * nit may differ by one or two where a test is met by a hair (so
         * both run to convergence, without the iteration limit here). f
         * (about 0 at the minimum) agrees to tol of the problem's scale s.
         * The problems scaled by 10^13 are left out: there rounding decides
         * where a line search fails, and one run has been seen to lose
         * precision after 4 iterations where the other reached f = 0. */
        if (!host_driven || p % 4 == 2)
            continue;
        clbfgs_options free_run = o;
        free_run.maxiter = 0;
        free_run.single_kernel = 1;
        clbfgs_result *k = hold_result(), *h = hold_result();
        assert_ok(clbfgs_minimize(ctx, one, N, x0 + p * N, &free_run, k));
        free_run.single_kernel = -1;
        assert_ok(clbfgs_minimize(ctx, one, N, x0 + p * N, &free_run, h));
        double dnit = fabs((double)h->nit - (double)k->nit);
        if (h->status != k->status ||
            (k->status == 0 && (dnit > 2 + 0.05 * (double)h->nit ||
                                fabs(h->fun - k->fun) > tol * fmax(1, sa[2 * p]))))
            fail_msg("%s problem %zu: one kernel status %d nit %zu f %.17g; host-driven %d %zu "
                     "%.17g",
                     function, p, k->status, k->nit, k->fun, h->status, h->nit, h->fun);
    }
    printf("# %s: status 0: %d, 1: %d, 2: %d problems; nit %zu .. %zu\n", function, seen[0],
           seen[1], seen[2], b->nit[3], b->nit[1]);
    /* the batch has problems that stop in every way (in float, precision
     * loss can come before the iteration limit on every long valley) */
    assert_true(seen[0] > 0 && seen[2] > 0);
    assert_true(seen[1] > 0 || precision == CLBFGS_PRECISION_FLOAT);
}

static void batch_equals_solo(void **state)
{
    (void)state;
    batch_against_solo("valley", 1, 0, CLBFGS_PRECISION_DOUBLE, 1, 1e-10);
}

static void least_squares_and_differences(void **state)
{
    (void)state;
    batch_against_solo("valley_residuals", 1, 1, CLBFGS_PRECISION_DOUBLE, 0, 0);
    batch_against_solo("valley_value", 0, 0, CLBFGS_PRECISION_DOUBLE, 0, 0);
}

static void in_float(void **state)
{
    (void)state;
    batch_against_solo("valley", 1, 0, CLBFGS_PRECISION_FLOAT, 0, 0);
}

/* A built-in's function form against its host-driven run, n = 2 .. 64. */
static void builtins_in_one_kernel(void **state)
{
    (void)state;
    static const double start[] = {1.3, 0.7, 0.8, 1.9, 1.2};
    const char *names[] = {"rosen", "ext-rosenbrock"};
    size_t sizes[] = {2, 10, 64};
    double x0[64];
    for (size_t b = 0; b < 2; b++) {
        clbfgs_objective *obj = NULL;
        assert_ok(clbfgs_objective_builtin(&obj, names[b]));
        hold(obj, release_objective);
        for (size_t s = 0; s < 3; s++) {
            size_t n = sizes[s];
            for (size_t i = 0; i < n; i++)
                x0[i] = start[i % 5] + uniform(-0.1, 0.1);
            clbfgs_options o;
            clbfgs_options_init(&o);
            o.single_kernel = 1;
            clbfgs_result *one = hold_result(), *host = hold_result();
            assert_ok(clbfgs_minimize(ctx, obj, n, x0, &o, one));
            o.single_kernel = -1;
            assert_ok(clbfgs_minimize(ctx, obj, n, x0, &o, host));
            /* the order of a few sums differs: nit may by one or two */
            double dnit = fabs((double)one->nit - (double)host->nit);
            if (one->status != host->status || dnit > 2 + 0.05 * (double)host->nit ||
                fabs(one->fun - host->fun) > 1e-9)
                fail_msg("%s n = %zu: one kernel status %d nit %zu nfev %zu f %.17g; host-driven "
                         "%d %zu %zu %.17g",
                         names[b], n, one->status, one->nit, one->nfev, one->fun, host->status,
                         host->nit, host->nfev, host->fun);
            assert_int_equal(one->status, 0);
            for (size_t i = 0; i < n; i++)
                assert_true(fabs(one->x[i] - 1) < 1e-4);
        }
    }
}

/* Past 64 parameters (vectors in global memory), with H in __local and in
 * global memory: each problem as alone in one kernel, bit for bit, and as
 * the host-driven run to rounding. */
static void past_64_parameters(void **state)
{
    (void)state;
    enum { NW = 100, PW = 3 };
    static const double start[] = {1.3, 0.7, 0.8, 1.9, 1.2};
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    double *x0 = hold_alloc(PW * NW * sizeof(double));
    for (size_t p = 0; p < PW; p++)
        for (size_t i = 0; i < NW; i++)
            x0[p * NW + i] = start[(i + p) % 5] + uniform(-0.05, 0.05);
    clbfgs_options o;
    clbfgs_options_init(&o);
    clbfgs_batch_result *b = hold_batch(), *c = hold_batch();
    assert_ok(clbfgs_minimize_batch(ctx, obj, NW, PW, x0, &o, b));
    setenv("CLBFGS_LOCAL_MEM_LIMIT", "1024", 1);
    clbfgs_status st = clbfgs_minimize_batch(ctx, obj, NW, PW, x0, &o, c);
    unsetenv("CLBFGS_LOCAL_MEM_LIMIT");
    assert_ok(st);
    assert_int_equal(c->local_hessian, 0);
    for (size_t p = 0; p < PW; p++) {
        assert_int_equal(b->status[p], 0);
        assert_int_equal(c->status[p], 0);
        assert_int_equal(b->nit[p], c->nit[p]);
        assert_true(same_bits(b->fun[p], c->fun[p]));
        clbfgs_result *one = hold_result(), *host = hold_result();
        o.single_kernel = 1;
        assert_ok(clbfgs_minimize(ctx, obj, NW, x0 + p * NW, &o, one));
        o.single_kernel = -1;
        assert_ok(clbfgs_minimize(ctx, obj, NW, x0 + p * NW, &o, host));
        o.single_kernel = 0;
        assert_int_equal(one->nit, b->nit[p]);
        assert_true(same_bits(one->fun, b->fun[p]));
        double dnit = fabs((double)host->nit - (double)b->nit[p]);
        if (host->status != 0 || dnit > 2 + 0.05 * (double)host->nit ||
            fabs(host->fun - b->fun[p]) > 1e-9)
            fail_msg("n = 100 problem %zu: batch nit %zu f %.17g; host-driven status %d nit %zu "
                     "f %.17g",
                     p, b->nit[p], b->fun[p], host->status, host->nit, host->fun);
    }
}

/* NaN at one problem's start: that problem ends with status 3 at once, and
 * the others are what they are in a batch without it. */
static void nan_at_one_start(void **state)
{
    (void)state;
    double sa[2 * P], x0[P * N];
    draw(sa, x0);
    clbfgs_objective *good = valley_objective("valley", 1, 0, sa, P);
    sa[2 * 5 + 1] = NAN; /* problem 5's a */
    clbfgs_objective *bad = valley_objective("valley", 1, 0, sa, P);
    clbfgs_batch_result *a = hold_batch(), *b = hold_batch();
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.maxiter = 60;
    assert_ok(clbfgs_minimize_batch(ctx, good, N, P, x0, &o, a));
    assert_ok(clbfgs_minimize_batch(ctx, bad, N, P, x0, &o, b));
    assert_int_equal(b->status[5], 3);
    assert_int_equal(b->nit[5], 0);
    assert_true(isnan(b->fun[5]));
    for (size_t p = 0; p < P; p++) {
        if (p == 5)
            continue;
        assert_int_equal(a->status[p], b->status[p]);
        assert_int_equal(a->nit[p], b->nit[p]);
        assert_true(same_bits(a->fun[p], b->fun[p]));
    }
}

/* A device whose local memory holds no H: the global-memory tier, with the
 * same results, said in the log. */
static void global_memory_tier(void **state)
{
    (void)state;
    double sa[2 * P], x0[P * N];
    draw(sa, x0);
    struct logbook *book = hold_alloc(sizeof *book);
    book->text[0] = '\0';
    clbfgs_context_options co;
    clbfgs_context_options_init(&co);
    co.log = record;
    co.log_user = book;
    clbfgs_context *c = NULL;
    assert_ok(clbfgs_context_new(&c, &co));
    hold(c, release_context);
    clbfgs_objective *obj = valley_objective("valley", 1, 0, sa, P);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.maxiter = 60;
    clbfgs_batch_result *a = hold_batch(), *b = hold_batch();
    assert_ok(clbfgs_minimize_batch(c, obj, N, P, x0, &o, a));
    assert_int_equal(a->local_hessian, 1);
    setenv("CLBFGS_LOCAL_MEM_LIMIT", "64", 1);
    clbfgs_status st = clbfgs_minimize_batch(c, obj, N, P, x0, &o, b);
    unsetenv("CLBFGS_LOCAL_MEM_LIMIT");
    assert_ok(st);
    assert_int_equal(b->local_hessian, 0);
    assert_non_null(strstr(book->text, "H goes to global memory"));
    for (size_t p = 0; p < P; p++) {
        assert_int_equal(a->status[p], b->status[p]);
        assert_int_equal(a->nit[p], b->nit[p]);
        assert_true(same_bits(a->fun[p], b->fun[p]));
    }
}

static int host_rosen(void *user, const double *x, size_t n, double *f, double *g)
{
    (void)user;
    *f = 0;
    for (size_t i = 0; i < n; i++)
        g[i] = x[i];
    return 0;
}

static int never_called(void *user, const clbfgs_iterate *it)
{
    (void)user;
    (void)it;
    return 0;
}

#define assert_fails(expr, code, words)                                                            \
    do {                                                                                           \
        clbfgs_status st_ = (expr);                                                                \
        assert_int_equal(st_, code);                                                               \
        if (!strstr(clbfgs_last_error(), words))                                                   \
            fail_msg("%s: '%s' does not say '%s'", #expr, clbfgs_last_error(), words);             \
    } while (0)

static void bad_input(void **state)
{
    (void)state;
    double sa[2 * P], x0[(P + 1) * N]; /* one start more than the data have */
    draw(sa, x0);
    for (size_t j = 0; j < N; j++)
        x0[P * N + j] = 0.5;
    clbfgs_objective *obj = valley_objective("valley", 1, 0, sa, P);
    clbfgs_batch_result r;
    memset(&r, 0, sizeof r);
    assert_fails(clbfgs_minimize_batch(ctx, obj, N, 0, x0, NULL, &r), CLBFGS_ERR_INVALID_ARGUMENT,
                 "P = 0");
    assert_null(r.x);
    assert_fails(clbfgs_minimize_batch(ctx, obj, N, P, NULL, NULL, &r), CLBFGS_ERR_INVALID_ARGUMENT,
                 "x0 must not be NULL");
    x0[7 * N + 2] = INFINITY;
    assert_fails(clbfgs_minimize_batch(ctx, obj, N, P, x0, NULL, &r), CLBFGS_ERR_INVALID_ARGUMENT,
                 "problem 7: x0[2] = inf");
    x0[7 * N + 2] = 0;
    /* the data hold P blocks of 2: not P + 1 */
    assert_fails(clbfgs_minimize_batch(ctx, obj, N, P + 1, x0, NULL, &r),
                 CLBFGS_ERR_INVALID_ARGUMENT, "holds 48 elements; 25 problems of 2 elements");
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.callback = never_called;
    assert_fails(clbfgs_minimize_batch(ctx, obj, N, P, x0, &o, &r), CLBFGS_ERR_UNSUPPORTED,
                 "callback");
    clbfgs_result *one = hold_result();
    o.single_kernel = 1;
    assert_fails(clbfgs_minimize(ctx, obj, N, x0, &o, one), CLBFGS_ERR_UNSUPPORTED, "callback");
    clbfgs_objective *host = NULL;
    assert_ok(clbfgs_objective_host(&host, host_rosen, NULL));
    hold(host, release_objective);
    assert_fails(clbfgs_minimize_batch(ctx, host, N, P, x0, NULL, &r), CLBFGS_ERR_UNSUPPORTED,
                 "a host objective");
    assert_fails(clbfgs_objective_set_arg_per_problem(host, 0, 2), CLBFGS_ERR_INVALID_ARGUMENT,
                 "only term objectives");
    assert_fails(clbfgs_objective_set_arg_per_problem(obj, 1, 2), CLBFGS_ERR_INVALID_ARGUMENT,
                 "no argument 1");
    double *big = hold_alloc(1025 * sizeof(double));
    for (size_t i = 0; i < 1025; i++)
        big[i] = 0;
    clbfgs_objective *rosen = NULL;
    assert_ok(clbfgs_objective_builtin(&rosen, "rosen"));
    hold(rosen, release_objective);
    assert_fails(clbfgs_minimize_batch(ctx, rosen, 1025, 1, big, NULL, &r), CLBFGS_ERR_UNSUPPORTED,
                 "n up to 1024");
    assert_null(r.x);
}

int main(void)
{
    skip_without_opencl();
    seed_random();
    const struct CMUnitTest tests[] = {
        held_test(batch_equals_solo), held_test(least_squares_and_differences),
        held_test(in_float),          held_test(builtins_in_one_kernel),
        held_test(nan_at_one_start),  held_test(global_memory_tier),
        held_test(bad_input),         held_test(past_64_parameters),
    };
    return cmocka_run_group_tests(tests, context_setup, context_teardown);
}
