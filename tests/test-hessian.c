/* The H kernels: the fused update-and-apply pass against the reference pair
 * (hessian_update then hessian_apply), and both against the same arithmetic
 * on the host, on fresh random inputs of awkward sizes: 1, 7, 1000 and 1031
 * (a prime, so no work-group size divides it), in double and float, with
 * one row chunk and with several. Outputs are poisoned before kernels write. */
#include "common.h"

#include "run.h"

#include <float.h>
#include <math.h>

static clbfgs_context *ctx;
static clbfgs_objective *quadratic;

static int setup(void **state)
{
    (void)state;
    if (clbfgs_context_new(&ctx, NULL) != CLBFGS_SUCCESS)
        return -1;
    return clbfgs_objective_builtin(&quadratic, "quadratic") == CLBFGS_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clbfgs_objective_free(quadratic);
    clbfgs_context_free(ctx);
    return 0;
}

static double uniform(void) { return 2.0 * rand() / (double)RAND_MAX - 1.0; }

/* Rounds to the run's precision, so host and device start from equal values. */
static double as_real(const clbfgs_run *run, double v)
{
    return run->precision == CLBFGS_PRECISION_FLOAT ? (double)(float)v : v;
}

/* Whole-matrix copies in one transfer each, converting for float. */
static void write_matrix(clbfgs_run *run, cl_mem m, const double *src)
{
    size_t count = run->n * run->n;
    void *data = (void *)src;
    float *f = NULL;
    if (run->precision == CLBFGS_PRECISION_FLOAT) {
        f = malloc(count * sizeof *f);
        assert_non_null(f);
        for (size_t i = 0; i < count; i++)
            f[i] = (float)src[i];
        data = f;
    }
    assert_int_equal(clEnqueueWriteBuffer(ctx->queue, m, CL_TRUE, 0, count * run->elem, data, 0,
                                          NULL, NULL),
                     CL_SUCCESS);
    free(f);
}

static void read_matrix(clbfgs_run *run, cl_mem m, double *dst)
{
    size_t count = run->n * run->n;
    float *f = run->precision == CLBFGS_PRECISION_FLOAT ? malloc(count * sizeof *f) : NULL;
    assert_true(f || run->precision != CLBFGS_PRECISION_FLOAT);
    assert_int_equal(clEnqueueReadBuffer(ctx->queue, m, CL_TRUE, 0, count * run->elem,
                                         f ? (void *)f : (void *)dst, 0, NULL, NULL),
                     CL_SUCCESS);
    for (size_t i = 0; f && i < count; i++)
        dst[i] = (double)f[i];
    free(f);
}

struct inputs {
    size_t n;
    double *h, *u, *s, *g, a, b;
};

static void draw(const clbfgs_run *run, struct inputs *in)
{
    size_t n = run->n;
    in->n = n;
    in->h = malloc(n * n * sizeof *in->h);
    in->u = malloc(n * sizeof *in->u);
    in->s = malloc(n * sizeof *in->s);
    in->g = malloc(n * sizeof *in->g);
    assert_non_null(in->h);
    assert_non_null(in->u);
    assert_non_null(in->s);
    assert_non_null(in->g);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            in->h[i * n + j] = in->h[j * n + i] = as_real(run, uniform() + (i == j ? 2.0 : 0.0));
    for (size_t i = 0; i < n; i++) {
        in->u[i] = as_real(run, uniform());
        in->s[i] = as_real(run, uniform());
        in->g[i] = as_real(run, uniform());
    }
    in->a = as_real(run, uniform());
    in->b = as_real(run, uniform());
}

static void release(struct inputs *in)
{
    free(in->h);
    free(in->u);
    free(in->s);
    free(in->g);
}

/* One case: size n, precision, the pass by rows or by columns in chunks
 * (chunks 0: the device's default pass). */
static void check_case(size_t n, clbfgs_precision precision, int by_rows, size_t chunks)
{
    clbfgs_run run;
    memset(&run, 0, sizeof run);
    run.ctx = ctx;
    run.objective = quadratic;
    run.n = n;
    run.precision = precision;
    assert_ok(clbfgs__run_setup(&run, 0));
    if (chunks)
        assert_ok(clbfgs__hessian_set_pass(&run, by_rows, chunks));
    struct inputs in;
    draw(&run, &in);

    double *h_ref = malloc(n * n * sizeof *h_ref), *h_fused = malloc(n * n * sizeof *h_fused);
    double *h_host = malloc(n * n * sizeof *h_host);
    double *v_ref = malloc(n * sizeof *v_ref), *v_fused = malloc(n * sizeof *v_fused);
    double *v_host = malloc(n * sizeof *v_host), *nan = malloc(n * sizeof *nan);
    assert_true(h_ref && h_fused && h_host && v_ref && v_fused && v_host && nan);
    for (size_t i = 0; i < n; i++)
        nan[i] = (double)NAN;

    /* the host: the kernels' arithmetic, in double */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            h_host[i * n + j] = in.h[i * n + j] + (in.a * (in.u[i] * in.s[j] + in.s[i] * in.u[j]) +
                                                   in.b * (in.s[i] * in.s[j]));
    double scale = 0;
    for (size_t i = 0; i < n; i++) {
        double acc = 0, mag = 0;
        for (size_t j = 0; j < n; j++) {
            acc += h_host[i * n + j] * in.g[j];
            mag += fabs(h_host[i * n + j] * in.g[j]);
        }
        v_host[i] = acc;
        scale = mag > scale ? mag : scale;
    }
    double eps = precision == CLBFGS_PRECISION_FLOAT ? (double)FLT_EPSILON : DBL_EPSILON;

    assert_ok(clbfgs__write_reals(&run, run.u, 0, in.u, n));
    assert_ok(clbfgs__write_reals(&run, run.s, 0, in.s, n));
    assert_ok(clbfgs__write_reals(&run, run.g, 0, in.g, n));

    /* the reference pair */
    write_matrix(&run, run.h, in.h);
    assert_ok(clbfgs__write_reals(&run, run.v, 0, nan, n));
    assert_ok(clbfgs__hessian_update(&run, in.a, run.u, in.b, run.s));
    assert_ok(clbfgs__hessian_apply(&run, run.v, run.g));
    read_matrix(&run, run.h, h_ref);
    assert_ok(clbfgs__read_reals(&run, run.v, 0, v_ref, n));

    /* the fused pass */
    write_matrix(&run, run.h, in.h);
    assert_ok(clbfgs__write_reals(&run, run.v, 0, nan, n));
    assert_ok(clbfgs__hessian_update_apply(&run, 1, in.a, run.u, in.b, run.s, run.v, run.g));
    read_matrix(&run, run.h, h_fused);
    assert_ok(clbfgs__read_reals(&run, run.v, 0, v_fused, n));

    for (size_t i = 0; i < n * n; i++) {
        /* the update is elementwise the same expression: equal to the bit,
         * exactly symmetric, and within a few roundings of the host */
        assert_true(h_fused[i] == h_ref[i]);
        assert_true(h_fused[i] == h_fused[(i % n) * n + i / n]);
        double tol = 8 * eps * (fabs(in.h[i]) + 4.0);
        if (fabs(h_fused[i] - h_host[i]) > tol)
            fail_msg("n = %zu: H[%zu] = %.17g, host %.17g", n, i, h_fused[i], h_host[i]);
    }
    for (size_t i = 0; i < n; i++) {
        assert_false(isnan(v_fused[i]));
        if (run.h_chunks == 1 && v_fused[i] != v_ref[i]) /* same order of summation */
            fail_msg("n = %zu, %s: v[%zu] = %.17g, reference %.17g", n,
                     run.h_by_rows ? "by rows" : "one chunk", i, v_fused[i], v_ref[i]);
        double tol = 2.0 * (double)n * eps * scale + 8 * eps * fabs(v_host[i]);
        if (fabs(v_fused[i] - v_host[i]) > tol || fabs(v_ref[i] - v_host[i]) > tol)
            fail_msg("n = %zu, %zu chunks: v[%zu] = %.17g fused, %.17g reference, %.17g host", n,
                     run.h_chunks, i, v_fused[i], v_ref[i], v_host[i]);
    }

    /* No update pending: H is only read. */
    assert_ok(clbfgs__write_reals(&run, run.v, 0, nan, n));
    assert_ok(clbfgs__hessian_update_apply(&run, 0, 123.0, run.u, 456.0, run.s, run.v, run.g));
    read_matrix(&run, run.h, h_ref);
    for (size_t i = 0; i < n * n; i++)
        assert_true(h_ref[i] == h_fused[i]);
    assert_ok(clbfgs__read_reals(&run, run.v, 0, v_ref, n));
    for (size_t i = 0; i < n; i++)
        assert_true(fabs(v_ref[i] - v_fused[i]) <= 2.0 * (double)n * eps * scale);

    free(h_ref);
    free(h_fused);
    free(h_host);
    free(v_ref);
    free(v_fused);
    free(v_host);
    free(nan);
    release(&in);
    clbfgs__run_release(&run);
}

static void awkward_sizes(clbfgs_precision precision)
{
    const size_t sizes[] = {1, 7, 1000, 1031};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        check_case(n, precision, 1, 1); /* by rows */
        check_case(n, precision, 0, 1); /* by columns */
        if (n >= 7) {
            check_case(n, precision, 0, 3);  /* chunks of unequal length */
            check_case(n, precision, 0, 64); /* many short chunks */
        }
        clbfgs_run probe = {.ctx = ctx, .n = n};
        if (clbfgs__hessian_default_chunks(&probe) > 1)
            check_case(n, precision, 0, 0); /* the device's own choice */
    }
}

static void fused_pass_matches_the_pair_and_the_host_in_double(void **state)
{
    (void)state;
    clbfgs_device_info info;
    assert_ok(clbfgs_context_device(ctx, &info));
    if (!info.has_fp64)
        skip();
    awkward_sizes(CLBFGS_PRECISION_DOUBLE);
}

static void fused_pass_matches_the_pair_and_the_host_in_float(void **state)
{
    (void)state;
    awkward_sizes(CLBFGS_PRECISION_FLOAT);
}

static void default_chunks_fit_the_device(void **state)
{
    (void)state;
    clbfgs_run run;
    memset(&run, 0, sizeof run);
    run.ctx = ctx;
    const size_t sizes[] = {1, 7, 1000, 100000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        run.n = sizes[k];
        size_t c = clbfgs__hessian_default_chunks(&run);
        assert_true(c >= 1 && c <= 64 && c <= run.n);
        if (run.n >= 16)
            assert_true((run.n + c - 1) / c >= 16); /* at least 16 rows a chunk */
    }
}

int main(void)
{
    skip_without_opencl();
    seed_random();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fused_pass_matches_the_pair_and_the_host_in_double),
        cmocka_unit_test(fused_pass_matches_the_pair_and_the_host_in_float),
        cmocka_unit_test(default_chunks_fit_the_device),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
