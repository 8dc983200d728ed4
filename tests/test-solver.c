/* The step-by-step API: an iterate loop is clbfgs_minimize (the same
 * iterates, counts and result, to the bit), one solver serves many starting
 * points, a result taken mid-run changes nothing, and every misuse is a
 * named error, never a crash. Fresh random starting points each run. */
#include "common.h"

#include <math.h>

extern clbfgs_context *ctx; /* tests/common.c, made by context_setup */

static void release_solver(void *s) { clbfgs_solver_free(s); }

static double random_in(double lo, double hi) { return lo + (hi - lo) * rand() / (double)RAND_MAX; }

/* SciPy's rosen on the host; fails (returns -3) from call `fail_at` on. */
struct host_rosen {
    int calls, fail_at;
};

static int host_rosen(void *user, const double *x, size_t n, double *fx, double *g)
{
    struct host_rosen *h = user;
    if (++h->calls >= h->fail_at && h->fail_at > 0)
        return -3;
    rosen_on_host(x, n, fx, g);
    return 0;
}

/* Every iteration's f, gradient norm, step and x, as the callback saw them. */
#define MAX_SEEN 512
struct trace {
    size_t count, n;
    double f[MAX_SEEN], gnorm[MAX_SEEN], step[MAX_SEEN], nfev[MAX_SEEN];
    double x[MAX_SEEN][8];
};

static int record_iterate(void *user, const clbfgs_iterate *it)
{
    struct trace *t = user;
    if (t->count < MAX_SEEN) {
        size_t i = t->count++;
        t->f[i] = it->f;
        t->gnorm[i] = it->gnorm;
        t->step[i] = it->step;
        t->nfev[i] = (double)it->nfev;
        for (size_t j = 0; j < it->n && j < 8; j++)
            t->x[i][j] = it->x[j];
    }
    return 0;
}

static void same_result(const clbfgs_result *a, const clbfgs_result *b, size_t n)
{
    assert_int_equal(a->status, b->status);
    assert_string_equal(a->message, b->message);
    assert_int_equal(a->nit, b->nit);
    assert_int_equal(a->nfev, b->nfev);
    assert_int_equal(a->njev, b->njev);
    assert_int_equal(a->skipped_updates, b->skipped_updates);
    assert_memory_equal(&a->fun, &b->fun, sizeof a->fun);
    assert_memory_equal(a->x, b->x, n * sizeof(double));
    assert_memory_equal(a->jac, b->jac, n * sizeof(double));
    assert_int_equal(a->time.syncs, b->time.syncs);
    assert_int_equal(a->time.launches, b->time.launches);
}

static void same_trace(const struct trace *a, const struct trace *b)
{
    assert_int_equal(a->count, b->count);
    assert_memory_equal(a->f, b->f, a->count * sizeof(double));
    assert_memory_equal(a->gnorm, b->gnorm, a->count * sizeof(double));
    assert_memory_equal(a->step, b->step, a->count * sizeof(double));
    assert_memory_equal(a->nfev, b->nfev, a->count * sizeof(double));
    assert_memory_equal(a->x, b->x, a->count * sizeof a->x[0]);
}

/* Runs to the stop through the step API; returns the iterate calls made. */
static size_t run_steps(clbfgs_solver *s, const double *x0, clbfgs_result *r)
{
    assert_ok(clbfgs_solver_start(s, x0));
    int stopped = 0;
    size_t calls = 0;
    while (!stopped) {
        assert_ok(clbfgs_solver_iterate(s, &stopped));
        calls++;
    }
    assert_ok(clbfgs_solver_result(s, r));
    return calls;
}

/* minimize and an iterate loop, each with a trace, on one objective. */
static void loop_equals_minimize(clbfgs_objective *obj, size_t n, const double *x0)
{
    static struct trace ta, tb; /* large: not on the stack */
    memset(&ta, 0, sizeof ta);
    memset(&tb, 0, sizeof tb);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.callback = record_iterate;
    o.callback_user = &ta;
    o.single_kernel = -1; /* host-driven: not the host solve of a small host objective */
    clbfgs_result *a = hold_result(), *b = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, n, x0, &o, a));
    o.callback_user = &tb;
    clbfgs_solver *s = NULL;
    assert_ok(clbfgs_solver_new(&s, ctx, obj, n, &o));
    hold(s, release_solver);
    size_t calls = run_steps(s, x0, b);
    assert_true(a->nit > 5);
    assert_int_equal(calls, b->nit); /* the call that stopped did the last iteration */
    same_result(a, b, n);
    same_trace(&ta, &tb);
}

static void an_iterate_loop_is_minimize_on_the_device(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "ext-rosenbrock"));
    hold(obj, release_objective);
    double x0[8];
    for (size_t i = 0; i < 8; i++)
        x0[i] = (i % 2 ? 1.0 : -1.2) + random_in(-0.2, 0.2);
    loop_equals_minimize(obj, 8, x0);
}

static void an_iterate_loop_is_minimize_with_a_host_callback(void **state)
{
    (void)state;
    struct host_rosen h = {0, 0};
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_host(&obj, host_rosen, &h));
    hold(obj, release_objective);
    double x0[5] = {1.3, 0.7, 0.8, 1.9, 1.2};
    for (size_t i = 0; i < 5; i++)
        x0[i] += random_in(-0.05, 0.05);
    loop_equals_minimize(obj, 5, x0);
}

static void one_solver_serves_many_starting_points(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    size_t n = 4;
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.return_hess_inv = 1;
    clbfgs_solver *s = NULL;
    assert_ok(clbfgs_solver_new(&s, ctx, obj, n, &o));
    hold(s, release_solver);
    for (int start = 0; start < 3; start++) {
        double x0[4];
        for (size_t i = 0; i < n; i++)
            x0[i] = 1 + random_in(-0.5, 0.5);
        clbfgs_result *a = hold_result(), *b = hold_result();
        assert_ok(clbfgs_minimize(ctx, obj, n, x0, &o, a));
        run_steps(s, x0, b);
        same_result(a, b, n);
        assert_memory_equal(a->hess_inv, b->hess_inv, n * n * sizeof(double));
    }
}

static void a_result_mid_run_changes_nothing(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "ext-rosenbrock"));
    hold(obj, release_objective);
    size_t n = 6;
    double x0[6];
    for (size_t i = 0; i < n; i++)
        x0[i] = (i % 2 ? 1.0 : -1.2) + random_in(-0.2, 0.2);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.return_hess_inv = 1;
    clbfgs_result *whole = hold_result(), *mid = hold_result(), *end = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, n, x0, &o, whole));
    clbfgs_solver *s = NULL;
    assert_ok(clbfgs_solver_new(&s, ctx, obj, n, &o));
    hold(s, release_solver);
    assert_ok(clbfgs_solver_start(s, x0));
    int stopped = 0;
    for (int i = 0; i < 3; i++)
        assert_ok(clbfgs_solver_iterate(s, &stopped));
    assert_false(stopped);
    assert_ok(clbfgs_solver_result(s, mid));
    assert_int_equal(mid->status, 99);
    assert_string_equal(mid->message, "Stopped by the caller.");
    assert_int_equal(mid->nit, 3);
    assert_true(isfinite(mid->fun) && mid->fun < whole->fun + 1e3);
    double x[6];
    assert_ok(clbfgs_solver_x(s, x));
    assert_memory_equal(x, mid->x, n * sizeof(double));
    for (size_t i = 0; i < n; i++) /* H with the last update folded in */
        for (size_t j = 0; j < n; j++)
            assert_true(mid->hess_inv[i * n + j] == mid->hess_inv[j * n + i]);
    while (!stopped)
        assert_ok(clbfgs_solver_iterate(s, &stopped));
    assert_ok(clbfgs_solver_result(s, end));
    /* the counts differ by the reads the mid-run result made; nothing else */
    assert_int_equal(end->status, whole->status);
    assert_int_equal(end->nit, whole->nit);
    assert_int_equal(end->nfev, whole->nfev);
    assert_memory_equal(&end->fun, &whole->fun, sizeof end->fun);
    assert_memory_equal(end->x, whole->x, n * sizeof(double));
    assert_memory_equal(end->hess_inv, whole->hess_inv, n * n * sizeof(double));
}

static void a_run_that_starts_at_the_minimum_stops_at_once(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    double x0[3] = {1, 1, 1}; /* rosen's gradient is exactly 0 there */
    clbfgs_solver *s = NULL;
    assert_ok(clbfgs_solver_new(&s, ctx, obj, 3, NULL));
    hold(s, release_solver);
    clbfgs_result *r = hold_result();
    assert_int_equal(run_steps(s, x0, r), 1);
    assert_int_equal(r->status, 0);
    assert_int_equal(r->nit, 0);
    /* SciPy's count: x0 alone, not the trial point evaluated ahead */
    assert_int_equal(r->nfev, 1);
    assert_int_equal(r->njev, 1);
    assert_true(r->fun == 0);
}

static void misuse_is_a_named_error(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    int stopped = 7;
    double x0[2] = {-1.2, 1}, x[2];
    clbfgs_solver *s = (clbfgs_solver *)&stopped;
    assert_int_equal(clbfgs_solver_new(&s, ctx, obj, 0, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_null(s);
    assert_non_null(strstr(clbfgs_last_error(), "n must be at least 1"));
    assert_int_equal(clbfgs_solver_new(NULL, ctx, obj, 2, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs_solver_new(&s, NULL, obj, 2, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.c1 = 0.95;
    assert_int_equal(clbfgs_solver_new(&s, ctx, obj, 2, &o), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "c1"));

    assert_ok(clbfgs_solver_new(&s, ctx, obj, 2, NULL));
    hold(s, release_solver);
    clbfgs_result *r = hold_result();
    assert_int_equal(clbfgs_solver_iterate(s, &stopped), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "clbfgs_solver_start first"));
    assert_int_equal(stopped, 1);
    assert_int_equal(clbfgs_solver_result(s, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs_solver_x(s, x), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs_solver_iterate(s, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs_solver_iterate(NULL, &stopped), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs_solver_start(s, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    double bad[2] = {1, NAN};
    assert_int_equal(clbfgs_solver_start(s, bad), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "x0[1]"));
    /* still unstarted: the refused start changed nothing */
    assert_int_equal(clbfgs_solver_iterate(s, &stopped), CLBFGS_ERR_INVALID_ARGUMENT);

    run_steps(s, x0, r);
    assert_int_equal(r->status, 0);
    stopped = 0;
    assert_int_equal(clbfgs_solver_iterate(s, &stopped), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(stopped, 1);
    assert_non_null(strstr(clbfgs_last_error(), "the run has stopped (status 0"));
    /* the stopped run's result can be taken again, and a new run started */
    clbfgs_result *again = hold_result();
    assert_ok(clbfgs_solver_result(s, again));
    same_result(r, again, 2);
    clbfgs_solver_free(NULL);
}

static void an_error_ends_the_run_and_a_new_start_recovers(void **state)
{
    (void)state;
    struct host_rosen h = {0, 4};
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_host(&obj, host_rosen, &h));
    hold(obj, release_objective);
    double x0[3] = {1.3, 0.7, 0.8};
    clbfgs_solver *s = NULL;
    assert_ok(clbfgs_solver_new(&s, ctx, obj, 3, NULL));
    hold(s, release_solver);
    assert_ok(clbfgs_solver_start(s, x0));
    int stopped = 0;
    clbfgs_status st = CLBFGS_SUCCESS;
    for (int i = 0; i < 10 && st == CLBFGS_SUCCESS && !stopped; i++)
        st = clbfgs_solver_iterate(s, &stopped);
    assert_int_equal(st, CLBFGS_ERR_OBJECTIVE);
    assert_int_equal(stopped, 1);
    assert_non_null(strstr(clbfgs_last_error(), "returned -3"));
    clbfgs_result *r = hold_result();
    assert_ok(clbfgs_solver_result(s, r));
    assert_int_equal(r->status, CLBFGS_ERR_OBJECTIVE);
    assert_non_null(strstr(r->message, "returned -3"));
    assert_int_equal(r->nfev, 4); /* three values and the call that failed */
    assert_true(isfinite(r->fun));
    assert_int_equal(clbfgs_solver_iterate(s, &stopped), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "ended with an error"));
    h.fail_at = 0; /* the objective works again: so does the solver */
    clbfgs_result *ok = hold_result();
    run_steps(s, x0, ok);
    assert_int_equal(ok->status, 0);
}

/* Stops the run after iteration `at` (status 99). */
static int stop_after(void *user, const clbfgs_iterate *it) { return it->k >= *(size_t *)user; }

static void hess_inv_at_the_iteration_limit_has_the_last_update(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    size_t n = 4, k = 3 + (size_t)(rand() % 4);
    double x0[4];
    for (size_t i = 0; i < n; i++)
        x0[i] = 1 + random_in(-0.5, 0.5);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.return_hess_inv = 1;
    o.gtol = 0;
    /* SciPy updates H at the end of every iteration the loop does not break
     * out of: at the limit k, H has k updates; a callback that stops after
     * iteration k + 1 breaks before that iteration's update, so H has k too */
    o.maxiter = k;
    clbfgs_result *limit = hold_result(), *callback = hold_result(), *stepped = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, n, x0, &o, limit));
    assert_int_equal(limit->status, 1);
    o.maxiter = 0;
    size_t at = k + 1;
    o.callback = stop_after;
    o.callback_user = &at;
    assert_ok(clbfgs_minimize(ctx, obj, n, x0, &o, callback));
    assert_int_equal(callback->status, 99);
    assert_int_equal(callback->nit, k + 1);
    assert_int_equal(limit->skipped_updates, callback->skipped_updates);
    assert_memory_equal(limit->hess_inv, callback->hess_inv, n * n * sizeof(double));
    /* and a result taken on the way does not change it */
    o.maxiter = k;
    o.callback = NULL;
    clbfgs_solver *s = NULL;
    assert_ok(clbfgs_solver_new(&s, ctx, obj, n, &o));
    hold(s, release_solver);
    assert_ok(clbfgs_solver_start(s, x0));
    int stopped = 0;
    assert_ok(clbfgs_solver_iterate(s, &stopped));
    assert_ok(clbfgs_solver_iterate(s, &stopped));
    clbfgs_result mid;
    assert_ok(clbfgs_solver_result(s, &mid));
    clbfgs_result_free(&mid);
    while (!stopped)
        assert_ok(clbfgs_solver_iterate(s, &stopped));
    assert_ok(clbfgs_solver_result(s, stepped));
    assert_int_equal(stepped->status, 1);
    assert_memory_equal(limit->hess_inv, stepped->hess_inv, n * n * sizeof(double));
    assert_memory_equal(limit->x, stepped->x, n * sizeof(double));
}

static void converging_at_the_iteration_limit_is_status_1_as_in_scipy(void **state)
{
    (void)state;
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_builtin(&obj, "rosen"));
    hold(obj, release_objective);
    double x0[3] = {1.3, 0.7, 0.8};
    for (size_t i = 0; i < 3; i++)
        x0[i] += random_in(-0.05, 0.05);
    clbfgs_result *free_run = hold_result(), *limited = hold_result();
    assert_ok(clbfgs_minimize(ctx, obj, 3, x0, NULL, free_run));
    assert_int_equal(free_run->status, 0);
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.maxiter = free_run->nit; /* the tests hold on the last allowed iteration */
    assert_ok(clbfgs_minimize(ctx, obj, 3, x0, &o, limited));
    assert_int_equal(limited->status, 1);
    assert_string_equal(limited->message, "Maximum number of iterations has been exceeded.");
    assert_int_equal(limited->nit, free_run->nit);
    assert_memory_equal(limited->x, free_run->x, 3 * sizeof(double));
}

static void a_long_build_log_reaches_the_caller_whole(void **state)
{
    (void)state;
    /* twelve errors, the last one named so it can be found */
    char source[2048] = "__kernel void f(const uint n, __global const real *x,\n"
                        "                __global real *t, __global real *g) {\n";
    for (int i = 0; i < 11; i++)
        snprintf(source + strlen(source), sizeof source - strlen(source),
                 "    t[0] = undeclared_value_number_%d;\n", i);
    strcat(source, "    t[0] = the_last_undeclared_value;\n}\n");
    clbfgs_objective *obj = NULL;
    assert_ok(clbfgs_objective_source(&obj, source, "f", NULL));
    hold(obj, release_objective);
    double x0[2] = {0, 0};
    clbfgs_result *r = hold_result();
    assert_int_equal(clbfgs_minimize(ctx, obj, 2, x0, NULL, r), CLBFGS_ERR_BUILD);
    const char *why = clbfgs_last_error();
    assert_true(strlen(why) > 1000);
    assert_non_null(strstr(why, "the_last_undeclared_value"));
    assert_int_equal(r->status, CLBFGS_ERR_BUILD);
    clbfgs_solver *s = NULL;
    assert_int_equal(clbfgs_solver_new(&s, ctx, obj, 2, NULL), CLBFGS_ERR_BUILD);
    assert_null(s);
    assert_non_null(strstr(clbfgs_last_error(), "the_last_undeclared_value"));
}

int main(void)
{
    skip_without_opencl();
    seed_random();
    const struct CMUnitTest tests[] = {
        held_test(an_iterate_loop_is_minimize_on_the_device),
        held_test(an_iterate_loop_is_minimize_with_a_host_callback),
        held_test(one_solver_serves_many_starting_points),
        held_test(a_result_mid_run_changes_nothing),
        held_test(a_run_that_starts_at_the_minimum_stops_at_once),
        held_test(misuse_is_a_named_error),
        held_test(an_error_ends_the_run_and_a_new_start_recovers),
        held_test(hess_inv_at_the_iteration_limit_has_the_last_update),
        held_test(converging_at_the_iteration_limit_is_status_1_as_in_scipy),
        held_test(a_long_build_log_reaches_the_caller_whole),
    };
    return cmocka_run_group_tests(tests, context_setup, context_teardown);
}
