/* The objective kinds through the public API: the caller's OpenCL source
 * with extra arguments and its own work size, value-only kernels with device
 * forward differences, device callbacks, the logistic regression, and the
 * starting inverse Hessian; and the bad input of each, refused with a
 * message that names the problem while the result keeps the best point. */
#include "common.h"

#include <math.h>

extern clbfgs_context *ctx; /* tests/common.c, made by context_setup */

static double uniform(double lo, double hi) { return lo + (hi - lo) * rand() / (double)RAND_MAX; }

/* f = sum_i w_i (x_i - c)^2 with w from a buffer and c a real argument; the
 * value-only twin; and a version with one work-item that loops (work size 1,
 * given to the kernel as an extra argument). */
static const char bowl_source[] =
    "__kernel void bowl(const uint n, __global const real *x, __global real *f_terms,\n"
    "                   __global real *g, __global const real *w, const real c)\n"
    "{\n"
    "    const size_t i = get_global_id(0), b = get_global_id(1);\n"
    "    if (i >= n) return;\n"
    "    const real d = x[b * n + i] - c;\n"
    "    f_terms[b * n + i] = w[i] * d * d;\n"
    "    g[b * n + i] = 2 * w[i] * d;\n"
    "}\n"
    "__kernel void bowl_value(const uint n, __global const real *x, __global real *f_terms,\n"
    "                         __global const real *w, const real c)\n"
    "{\n"
    "    const size_t i = get_global_id(0), b = get_global_id(1);\n"
    "    if (i >= n) return;\n"
    "    const real d = x[b * n + i] - c;\n"
    "    f_terms[b * n + i] = w[i] * d * d;\n"
    "}\n"
    "__kernel void bowl_serial(const uint n, __global const real *x, __global real *f_terms,\n"
    "                          __global real *g, __global const real *w, const real c,\n"
    "                          const uint work)\n"
    "{\n"
    "    const size_t i = get_global_id(0), b = get_global_id(1);\n"
    "    if (i >= work) return;\n"
    "    real f = 0;\n"
    "    for (uint j = 0; j < n; j++) {\n"
    "        const real d = x[b * n + j] - c;\n"
    "        f += w[j] * d * d;\n"
    "        g[b * n + j] = 2 * w[j] * d;\n"
    "    }\n"
    "    f_terms[b * work + i] = f;\n"
    "}\n";

enum { N = 12 };
static const double centre = 1.5;

/* Random weights in a held buffer. */
static cl_mem weights(double *w)
{
    for (size_t i = 0; i < N; i++)
        w[i] = uniform(0.5, 4.0);
    cl_int err;
    cl_mem buf = clCreateBuffer(clbfgs_context_cl_context(ctx), CL_MEM_READ_ONLY,
                                N * sizeof(double), NULL, &err);
    hold(buf, release_cl_mem);
    assert_int_equal(err, CL_SUCCESS);
    assert_int_equal(clEnqueueWriteBuffer(clbfgs_context_queue(ctx), buf, CL_TRUE, 0,
                                          N * sizeof(double), w, 0, NULL, NULL),
                     CL_SUCCESS);
    return buf;
}

/* A held objective over the bowl's kernels. */
static clbfgs_objective *bowl(const char *kernel, int gradient, size_t work_size, cl_mem w)
{
    clbfgs_source_options so;
    clbfgs_source_options_init(&so);
    so.name = "bowl.cl";
    so.gradient = gradient;
    so.work_size = work_size;
    clbfgs_objective *o = NULL;
    assert_ok(clbfgs_objective_source(&o, bowl_source, kernel, &so));
    hold(o, release_objective);
    unsigned first = gradient ? 4 : 3;
    assert_ok(clbfgs_objective_set_arg_buffer(o, first, w));
    assert_ok(clbfgs_objective_set_arg_real(o, first + 1, centre));
    if (work_size) {
        cl_uint work = (cl_uint)work_size;
        assert_ok(clbfgs_objective_set_arg(o, first + 2, sizeof work, &work));
    }
    return o;
}

/* Creation that must fail: what is made anyway is held, not leaked. */
static clbfgs_status kept(clbfgs_status made, clbfgs_objective **o)
{
    if (made == CLBFGS_SUCCESS)
        hold(*o, release_objective);
    return made;
}

static clbfgs_options double_precision(void)
{
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.precision = CLBFGS_PRECISION_DOUBLE;
    return o;
}

static void source_kernels_with_arguments_reach_the_minimum(void **state)
{
    (void)state;
    double w[N], x0[N];
    cl_mem buf = weights(w);
    for (size_t i = 0; i < N; i++)
        x0[i] = uniform(-3, 3);
    clbfgs_options opts = double_precision();
    const char *kernels[] = {"bowl", "bowl_serial", "bowl_value"};
    for (int k = 0; k < 3; k++) {
        size_t mark = held_mark();
        clbfgs_objective *o = bowl(kernels[k], k != 2, k == 1 ? 1 : 0, buf);
        clbfgs_result *r = hold_result();
        assert_ok(clbfgs_minimize(ctx, o, N, x0, &opts, r));
        assert_int_equal(r->status, 0);
        for (size_t i = 0; i < N; i++)
            assert_true(fabs(r->x[i] - centre) < 1e-5); /* gtol / (2 min w) */
        if (k == 2) /* forward differences: n + 1 values per gradient, as SciPy counts */
            assert_int_equal(r->nfev, (N + 1) * r->njev);
        else
            assert_int_equal(r->nfev, r->njev);
        release_held_since(mark);
    }
    release_now(buf); /* the objectives retained it; they are gone now */
}

static void forward_differences_follow_the_analytic_path(void **state)
{
    (void)state;
    double w[N], x0[N];
    cl_mem buf = weights(w);
    for (size_t i = 0; i < N; i++)
        x0[i] = uniform(-3, 3);
    clbfgs_options opts = double_precision();
    clbfgs_objective *exact = bowl("bowl", 1, 0, buf), *fd = bowl("bowl_value", 0, 0, buf);
    clbfgs_result *a = hold_result(), *b = hold_result();
    assert_ok(clbfgs_minimize(ctx, exact, N, x0, &opts, a));
    assert_ok(clbfgs_minimize(ctx, fd, N, x0, &opts, b));
    /* a quadratic: the forward difference is off by w h, the paths agree */
    assert_true(labs((long)a->nit - (long)b->nit) <= 2);
    for (size_t i = 0; i < N; i++)
        assert_true(fabs(b->jac[i]) < 1e-4);
}

static void kernel_problems_are_named_and_x0_is_kept(void **state)
{
    (void)state;
    double x0[N];
    for (size_t i = 0; i < N; i++)
        x0[i] = uniform(-1, 1);
    clbfgs_options opts = double_precision();
    clbfgs_result *r = hold_result();
    clbfgs_objective *o = NULL;

    /* does not compile: the build log names the file and line */
    clbfgs_source_options so;
    clbfgs_source_options_init(&so);
    so.name = "typo.cl";
    assert_ok(clbfgs_objective_source(&o,
                                      "#line 1 \"typo.cl\"\n"
                                      "__kernel void k(const uint n, __global const real *x,\n"
                                      "  __global real *t, __global real *g) { t[0] = y; }\n",
                                      "k", &so));
    hold(o, release_objective);
    assert_int_equal(clbfgs_minimize(ctx, o, N, x0, &opts, r), CLBFGS_ERR_BUILD);
    assert_non_null(strstr(clbfgs_last_error(), "typo.cl:2"));
    assert_memory_equal(r->x, x0, sizeof x0);
    clbfgs_result_free(r);
    release_now(o);

    /* a kernel name that is not there: the message lists what is */
    assert_ok(clbfgs_objective_source(&o, bowl_source, "bowel", NULL));
    hold(o, release_objective);
    assert_int_equal(clbfgs_minimize(ctx, o, N, x0, &opts, r), CLBFGS_ERR_KERNEL_NOT_FOUND);
    assert_non_null(strstr(clbfgs_last_error(), "bowl_value"));
    assert_memory_equal(r->x, x0, sizeof x0);
    clbfgs_result_free(r);
    release_now(o);

    /* extra arguments: too few set, one left unset */
    assert_ok(clbfgs_objective_source(&o, bowl_source, "bowl", NULL));
    hold(o, release_objective);
    assert_ok(clbfgs_objective_set_arg_real(o, 5, 1.0));
    assert_int_equal(clbfgs_minimize(ctx, o, N, x0, &opts, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "argument 4"));
    clbfgs_result_free(r);
    release_now(o);
    assert_ok(clbfgs_objective_source(&o, bowl_source, "bowl", NULL));
    hold(o, release_objective);
    assert_int_equal(clbfgs_minimize(ctx, o, N, x0, &opts, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "2 extra arguments"));
    clbfgs_result_free(r);

    /* arguments the library owns, and nonsense */
    assert_int_equal(clbfgs_objective_set_arg_real(o, 3, 1.0), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "start at 4"));
    assert_int_equal(clbfgs_objective_set_arg(o, 4, 0, &opts), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs_objective_set_arg(o, 4, 4096, &opts), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs_objective_set_arg_buffer(o, 4, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    release_now(o);
    clbfgs_objective *builtin = NULL;
    assert_ok(clbfgs_objective_builtin(&builtin, "rosen"));
    hold(builtin, release_objective);
    assert_int_equal(clbfgs_objective_set_arg_real(builtin, 4, 1.0), CLBFGS_ERR_INVALID_ARGUMENT);
    release_now(builtin);
    assert_int_equal(kept(clbfgs_objective_builtin(&builtin, "logistic"), &builtin),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "clbfgs_objective_logistic"));

    /* creation */
    assert_int_equal(kept(clbfgs_objective_source(&o, "", "k", NULL), &o),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_null(o);
    assert_int_equal(kept(clbfgs_objective_source(&o, bowl_source, NULL, NULL), &o),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    so.gradient = 2;
    assert_int_equal(kept(clbfgs_objective_source(&o, bowl_source, "bowl", &so), &o),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(kept(clbfgs_objective_device(&o, NULL, NULL), &o),
                     CLBFGS_ERR_INVALID_ARGUMENT);
}

/* Every kind of extra argument in one kernel, to be set right and wrong. */
static const char shapes_source[] =
    "__kernel void shapes(const uint n, __global const real *x, __global real *f_terms,\n"
    "                     __global real *g, __global const real *w, const real c, const int m,\n"
    "                     __local real *scratch, __constant float *table)\n"
    "{\n"
    "    const size_t i = get_global_id(0), b = get_global_id(1);\n"
    "    if (get_local_id(0) == 0) scratch[0] = c;\n"
    "    if (i >= n) return;\n"
    "    const real d = x[b * n + i] - c, k = m * table[0] * w[i];\n"
    "    f_terms[b * n + i] = k * d * d;\n"
    "    g[b * n + i] = 2 * k * d;\n"
    "}\n"
    "__kernel void f_by_value(const uint n, __global const real *x, real f_terms,\n"
    "                         __global real *g) { }\n";

enum { SHAPES_RIGHT = -1 };

struct shape_case {
    unsigned index;       /* the argument set wrong; SHAPES_RIGHT for none */
    int how;              /* 0 bytes, 1 real, 2 buffer, 3 reals, 4 local */
    size_t size;          /* for bytes and local */
    const char *words[3]; /* the message must name these */
};

/* Sets shapes' arguments right, then case c's wrong; minimizes; returns the
 * status and copies the message. Frees everything before returning. */
static clbfgs_status run_shapes(const struct shape_case *c, clbfgs_precision precision, char *why,
                                size_t why_size, int *converged)
{
    double w[N], x0[N], one = 1;
    for (size_t i = 0; i < N; i++) {
        w[i] = uniform(0.5, 2);
        x0[i] = uniform(-2, 2);
    }
    cl_int err;
    cl_mem table =
        clCreateBuffer(clbfgs_context_cl_context(ctx), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                       sizeof(float), &(float){1.0f}, &err);
    if (err != CL_SUCCESS)
        return CLBFGS_ERR_OPENCL;
    clbfgs_objective *o = NULL;
    cl_int m = 1;
    clbfgs_status st = clbfgs_objective_source(&o, shapes_source, "shapes", NULL);
    if (!st)
        st = clbfgs_objective_set_arg_reals(o, 4, w, N);
    if (!st)
        st = clbfgs_objective_set_arg_real(o, 5, centre);
    if (!st)
        st = clbfgs_objective_set_arg(o, 6, sizeof m, &m);
    if (!st)
        st = clbfgs_objective_set_arg(o, 7, 64, NULL);
    if (!st)
        st = clbfgs_objective_set_arg_buffer(o, 8, table);
    if (!st && c->index != (unsigned)SHAPES_RIGHT) {
        switch (c->how) {
        case 0: st = clbfgs_objective_set_arg(o, c->index, c->size, &one); break;
        case 1: st = clbfgs_objective_set_arg_real(o, c->index, 2.0); break;
        case 2: st = clbfgs_objective_set_arg_buffer(o, c->index, table); break;
        case 3: st = clbfgs_objective_set_arg_reals(o, c->index, w, N); break;
        default: st = clbfgs_objective_set_arg(o, c->index, c->size, NULL); break;
        }
    }
    clbfgs_result r;
    memset(&r, 0, sizeof r);
    clbfgs_options opts;
    clbfgs_options_init(&opts);
    opts.precision = precision;
    opts.gtol = precision == CLBFGS_PRECISION_FLOAT ? 1e-3 : 1e-5;
    if (!st)
        st = clbfgs_minimize(ctx, o, N, x0, &opts, &r);
    snprintf(why, why_size, "%s", st ? clbfgs_last_error() : "");
    *converged = r.status == 0 && r.x && fabs(r.x[0] - centre) < 1e-2;
    clbfgs_result_free(&r);
    clbfgs_objective_free(o);
    clReleaseMemObject(table);
    return st;
}

static void extra_arguments_that_do_not_fit_the_kernel_are_named(void **state)
{
    (void)state;
    const struct shape_case cases[] = {
        /* a scalar where a buffer goes: pocl read it as a cl_mem and crashed */
        {4, 0, sizeof(double), {"argument 4", "'w'", "8 bytes"}},
        /* an int for a real in double: half of c was garbage */
        {5, 0, sizeof(int), {"argument 5", "'c'", "4 bytes"}},
        {6, 2, 0, {"argument 6", "'m'", "buffer"}},
        {6, 1, 0, {"argument 6", "'m'", "set_arg_real"}},
        {7, 0, sizeof(double), {"argument 7", "'scratch'", "__local"}},
        {5, 4, 64, {"argument 5", "'c'", "__local"}},
        {8, 3, 0, {"argument 8", "'table'", "reals (double)"}},
        {4, 1, 0, {"argument 4", "'w'", "buffer"}},
    };
    char why[sizeof cases / sizeof cases[0]][1024];
    clbfgs_status st[sizeof cases / sizeof cases[0]];
    int converged;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        st[i] = run_shapes(&cases[i], CLBFGS_PRECISION_DOUBLE, why[i], sizeof why[i], &converged);
    /* and set right, in both precisions, the same kernel runs */
    const struct shape_case right = {(unsigned)SHAPES_RIGHT, 0, 0, {NULL, NULL, NULL}};
    char why_right[2][1024];
    int conv[2];
    clbfgs_status st_right[2] = {
        run_shapes(&right, CLBFGS_PRECISION_DOUBLE, why_right[0], sizeof why_right[0], &conv[0]),
        run_shapes(&right, CLBFGS_PRECISION_FLOAT, why_right[1], sizeof why_right[1], &conv[1])};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int named = st[i] == CLBFGS_ERR_INVALID_ARGUMENT;
        for (int k = 0; k < 3; k++)
            named = named && strstr(why[i], cases[i].words[k]) != NULL;
        if (!named)
            print_error("case %zu: %s: %s\n", i, clbfgs_strerror(st[i]), why[i]);
        assert_true(named);
    }
    for (int p = 0; p < 2; p++) {
        if (st_right[p] != CLBFGS_SUCCESS)
            print_error("right, precision %d: %s\n", p, why_right[p]);
        assert_int_equal(st_right[p], CLBFGS_SUCCESS);
        assert_true(conv[p]);
    }
}

static void a_kernel_whose_fixed_arguments_break_the_contract_is_named(void **state)
{
    (void)state;
    clbfgs_objective *o = NULL;
    double x0[N] = {0};
    clbfgs_result r;
    memset(&r, 0, sizeof r);
    clbfgs_status st = clbfgs_objective_source(&o, shapes_source, "f_by_value", NULL);
    clbfgs_options opts = double_precision();
    if (!st)
        st = clbfgs_minimize(ctx, o, N, x0, &opts, &r);
    char why[1024];
    snprintf(why, sizeof why, "%s", clbfgs_last_error());
    clbfgs_result_free(&r);
    clbfgs_objective_free(o);
    assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(why, "argument 2 ('f_terms'"));
    assert_non_null(strstr(why, "__global real *"));
}

/* A device callback: the caller's own kernel, built with the library's
 * preamble, enqueued on the library's queue; f by a second launch. */
struct device_bowl {
    cl_kernel terms, total;
    cl_mem t;
    int calls, fail_at;
};

static const char device_source[] =
    "__kernel void terms(__global const real *x, __global real *t, __global real *g, real c)\n"
    "{ const size_t i = get_global_id(0); const real d = x[i] - c; t[i] = d * d; g[i] = 2 * d; }\n"
    "__kernel void total(__global const real *t, __global real *f, const uint n)\n"
    "{ real s = 0; for (uint i = 0; i < n; i++) s += t[i]; f[0] = s; }\n";

static int device_bowl_eval(void *user, cl_command_queue queue, cl_mem x, cl_mem f, cl_mem g,
                            size_t n, clbfgs_precision precision)
{
    struct device_bowl *d = user;
    if (++d->calls == d->fail_at)
        return 7;
    double c = centre;
    float cf = (float)centre;
    cl_uint nu = (cl_uint)n;
    size_t global = n, one = 1;
    cl_int err = clSetKernelArg(d->terms, 0, sizeof x, &x);
    err |= clSetKernelArg(d->terms, 1, sizeof d->t, &d->t);
    err |= clSetKernelArg(d->terms, 2, sizeof g, &g);
    err |= precision == CLBFGS_PRECISION_DOUBLE ? clSetKernelArg(d->terms, 3, sizeof c, &c)
                                                : clSetKernelArg(d->terms, 3, sizeof cf, &cf);
    err |= clSetKernelArg(d->total, 0, sizeof d->t, &d->t);
    err |= clSetKernelArg(d->total, 1, sizeof f, &f);
    err |= clSetKernelArg(d->total, 2, sizeof nu, &nu);
    err |= clEnqueueNDRangeKernel(queue, d->terms, 1, NULL, &global, NULL, 0, NULL, NULL);
    err |= clEnqueueNDRangeKernel(queue, d->total, 1, NULL, &one, NULL, 0, NULL, NULL);
    return err == CL_SUCCESS ? 0 : 1;
}

static void device_callbacks_run_on_the_library_queue(void **state)
{
    (void)state;
    const clbfgs_precision precisions[] = {CLBFGS_PRECISION_DOUBLE, CLBFGS_PRECISION_FLOAT};
    for (int p = 0; p < 2; p++) {
        size_t mark = held_mark();
        cl_program program;
        assert_ok(clbfgs_program_build(ctx, device_source, NULL, precisions[p], &program, NULL));
        hold(program, release_cl_program);
        struct device_bowl d = {0};
        cl_int err;
        d.terms = hold(clCreateKernel(program, "terms", &err), release_cl_kernel);
        assert_int_equal(err, CL_SUCCESS);
        d.total = hold(clCreateKernel(program, "total", &err), release_cl_kernel);
        assert_int_equal(err, CL_SUCCESS);
        d.t = hold(clCreateBuffer(clbfgs_context_cl_context(ctx), CL_MEM_READ_WRITE,
                                  N * sizeof(double), NULL, &err),
                   release_cl_mem);
        assert_int_equal(err, CL_SUCCESS);
        clbfgs_objective *o = NULL;
        assert_ok(clbfgs_objective_device(&o, device_bowl_eval, &d));
        hold(o, release_objective);
        double x0[N];
        for (size_t i = 0; i < N; i++)
            x0[i] = uniform(-3, 3);
        clbfgs_options opts;
        clbfgs_options_init(&opts);
        opts.precision = precisions[p];
        opts.gtol = p ? 1e-3 : 1e-5;
        clbfgs_result *r = hold_result();
        assert_ok(clbfgs_minimize(ctx, o, N, x0, &opts, r));
        assert_int_equal(r->status, 0);
        assert_int_equal((size_t)d.calls, r->nfev);
        for (size_t i = 0; i < N; i++)
            assert_true(fabs(r->x[i] - centre) < (p ? 1e-3 : 1e-7));
        assert_true(r->time.device_objective == 0);

        /* On an adopted queue that profiles, the callback's work is timed
         * from marker to marker, and the run is the same. */
        clbfgs_device_info info;
        assert_ok(clbfgs_context_device(ctx, &info));
        cl_command_queue pq = clCreateCommandQueue(clbfgs_context_cl_context(ctx), info.device_id,
                                                   CL_QUEUE_PROFILING_ENABLE, &err);
        hold(pq, release_cl_queue);
        assert_int_equal(err, CL_SUCCESS);
        clbfgs_context *pctx = NULL;
        assert_ok(
            clbfgs_context_adopt(&pctx, clbfgs_context_cl_context(ctx), info.device_id, pq, NULL));
        hold(pctx, release_context);
        clbfgs_result *pr = hold_result();
        assert_ok(clbfgs_minimize(pctx, o, N, x0, &opts, pr));
        assert_int_equal(pr->nit, r->nit);
        assert_memory_equal(pr->x, r->x, N * sizeof(double));
        assert_true(pr->time.device_objective > 0);
        assert_true(pr->time.device_objective <= pr->time.total - pr->time.setup);
        release_now(pr);
        release_now(pctx);
        release_now(pq);
        clbfgs_result_free(r);

        /* the callback fails on its third call: the run stops, x is kept */
        d.calls = 0;
        d.fail_at = 3;
        assert_int_equal(clbfgs_minimize(ctx, o, N, x0, &opts, r), CLBFGS_ERR_OBJECTIVE);
        assert_non_null(strstr(clbfgs_last_error(), "returned 7"));
        for (size_t i = 0; i < N; i++)
            assert_true(isfinite(r->x[i]));
        release_held_since(mark);
    }
}

/* The callback fails on its fourth call, after at least one iteration: the
 * result tells how far the run got and why it ended. */
static void a_failing_device_callback_leaves_the_best_point_and_an_error_status(void **state)
{
    (void)state;
    cl_program program;
    assert_ok(
        clbfgs_program_build(ctx, device_source, NULL, CLBFGS_PRECISION_DOUBLE, &program, NULL));
    struct device_bowl d = {0};
    cl_int err1, err2, err3;
    d.terms = clCreateKernel(program, "terms", &err1);
    d.total = clCreateKernel(program, "total", &err2);
    d.t = clCreateBuffer(clbfgs_context_cl_context(ctx), CL_MEM_READ_WRITE, N * sizeof(double),
                         NULL, &err3);
    clbfgs_objective *o = NULL;
    clbfgs_status made = clbfgs_objective_device(&o, device_bowl_eval, &d);
    double x0[N], f0 = 0;
    for (size_t i = 0; i < N; i++) {
        x0[i] = uniform(-3, 3);
        f0 += (x0[i] - centre) * (x0[i] - centre);
    }
    clbfgs_options opts = double_precision();
    d.fail_at = 4;
    clbfgs_result r;
    memset(&r, 0, sizeof r);
    clbfgs_status st = made == CLBFGS_SUCCESS ? clbfgs_minimize(ctx, o, N, x0, &opts, &r) : made;
    char message[sizeof r.message];
    snprintf(message, sizeof message, "%s", r.message);
    double fun = r.fun, f_at_x = 0;
    int finite = 1;
    for (size_t i = 0; r.x && i < N; i++) {
        f_at_x += (r.x[i] - centre) * (r.x[i] - centre);
        finite = finite && isfinite(r.x[i]) && isfinite(r.jac[i]);
    }
    size_t nit = r.nit, nfev = r.nfev, calls = (size_t)d.calls;
    int status = r.status, success = r.success;
    clbfgs_result_free(&r);
    clbfgs_objective_free(o);
    clReleaseMemObject(d.t);
    clReleaseKernel(d.terms);
    clReleaseKernel(d.total);
    clReleaseProgram(program);

    assert_int_equal(err1, CL_SUCCESS);
    assert_int_equal(err2, CL_SUCCESS);
    assert_int_equal(err3, CL_SUCCESS);
    assert_int_equal(st, CLBFGS_ERR_OBJECTIVE);
    assert_int_equal(status, CLBFGS_ERR_OBJECTIVE);
    assert_int_equal(success, 0);
    assert_non_null(strstr(message, "Error: "));
    assert_non_null(strstr(message, "returned 7"));
    assert_true(nit >= 1);
    assert_int_equal(nfev, calls); /* the failed call counts: it ran */
    assert_true(finite);
    assert_true(isfinite(fun) && fun < f0);
    assert_true(fabs(fun - f_at_x) <= 1e-12 * f0); /* fun is f at the x returned */
}

/* The logistic regression, on the host, for the built-in to agree with. */
struct dataset {
    size_t m, n;
    double *a, *y, lambda;
};

static int host_logistic(void *user, const double *w, size_t n, double *fw, double *g)
{
    const struct dataset *d = user;
    double f = 0;
    for (size_t j = 0; j < n; j++) {
        f += d->lambda / 2 * w[j] * w[j];
        g[j] = d->lambda * w[j];
    }
    for (size_t i = 0; i < d->m; i++) {
        double z = 0;
        for (size_t j = 0; j < n; j++)
            z += d->a[i * n + j] * w[j];
        f += fmax(z, 0) + log1p(exp(-fabs(z))) - d->y[i] * z;
        double r = 1 / (1 + exp(-z)) - d->y[i];
        for (size_t j = 0; j < n; j++)
            g[j] += r * d->a[i * n + j];
    }
    *fw = f;
    return 0;
}

static void logistic_regression_agrees_with_the_host(void **state)
{
    (void)state;
    struct dataset d = {300, 8, NULL, NULL, 0.1};
    d.a = hold_alloc(d.m * d.n * sizeof *d.a);
    d.y = hold_alloc(d.m * sizeof *d.y);
    double truth[8];
    for (size_t j = 0; j < d.n; j++)
        truth[j] = uniform(-2, 2);
    for (size_t i = 0; i < d.m; i++) {
        double z = 0;
        for (size_t j = 0; j < d.n; j++) {
            d.a[i * d.n + j] = uniform(-1, 1);
            z += d.a[i * d.n + j] * truth[j];
        }
        d.y[i] = uniform(0, 1) < 1 / (1 + exp(-z)) ? 1 : 0;
    }
    clbfgs_objective *dev = NULL, *host = NULL;
    assert_ok(clbfgs_objective_logistic(&dev, ctx, d.m, d.n, d.a, d.y, d.lambda,
                                        CLBFGS_PRECISION_DOUBLE));
    hold(dev, release_objective);
    assert_ok(clbfgs_objective_host(&host, host_logistic, &d));
    hold(host, release_objective);
    double x0[8] = {0};
    clbfgs_options opts = double_precision();
    clbfgs_result *a = hold_result(), *b = hold_result();
    assert_ok(clbfgs_minimize(ctx, dev, d.n, x0, &opts, a));
    assert_ok(clbfgs_minimize(ctx, host, d.n, x0, &opts, b));
    assert_int_equal(a->status, 0);
    assert_int_equal(b->status, 0);
    assert_true(fabs(a->fun - b->fun) <= 1e-10 * fabs(b->fun));
    for (size_t j = 0; j < d.n; j++)
        assert_true(fabs(a->x[j] - b->x[j]) < 1e-5);
    clbfgs_result_free(a);

    /* the run must match the data: n, precision */
    assert_int_equal(clbfgs_minimize(ctx, dev, 4, x0, &opts, a), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "8 features"));
    clbfgs_result_free(a);
    opts.precision = CLBFGS_PRECISION_FLOAT;
    assert_int_equal(clbfgs_minimize(ctx, dev, d.n, x0, &opts, a), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "in double"));
    release_now(host);
    release_now(dev);

    /* bad data */
    d.y[5] = 2;
    assert_int_equal(kept(clbfgs_objective_logistic(&dev, ctx, d.m, d.n, d.a, d.y, d.lambda,
                                                    CLBFGS_PRECISION_AUTO),
                          &dev),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "y[5]"));
    d.y[5] = 1;
    d.a[7] = NAN;
    assert_int_equal(kept(clbfgs_objective_logistic(&dev, ctx, d.m, d.n, d.a, d.y, d.lambda,
                                                    CLBFGS_PRECISION_AUTO),
                          &dev),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "a[0][7]"));
    assert_int_equal(
        kept(clbfgs_objective_logistic(&dev, ctx, d.m, d.n, d.a, d.y, -1, CLBFGS_PRECISION_AUTO),
             &dev),
        CLBFGS_ERR_INVALID_ARGUMENT);
    assert_null(dev);
}

static void a_starting_inverse_hessian_is_used_and_checked(void **state)
{
    (void)state;
    enum { M = 6 };
    clbfgs_objective *q = NULL;
    assert_ok(clbfgs_objective_builtin(&q, "quadratic")); /* Hessian diag(1 .. n) */
    hold(q, release_objective);
    double x0[M], h0[M * M] = {0};
    for (size_t i = 0; i < M; i++) {
        x0[i] = uniform(-2, 2);
        h0[i * M + i] = 1.0 / (double)(i + 1);
    }
    clbfgs_options opts = double_precision();
    opts.hess_inv0 = h0;
    clbfgs_result *r = hold_result();
    /* the exact inverse: every direction is Newton's (on a quadratic the
     * update keeps H exact), so only the step lengths remain: SciPy's first
     * trial step is not 1, and a Wolfe step short of the minimum may be
     * taken once or twice before a step lands on it. */
    assert_ok(clbfgs_minimize(ctx, q, M, x0, &opts, r));
    assert_int_equal(r->status, 0);
    assert_true(r->nit <= 3);
    for (size_t i = 0; i < M; i++)
        assert_true(fabs(r->x[i] - 1) < 1e-9);
    size_t newton_nit = r->nit;
    clbfgs_result_free(r);

    /* the identity given is the default (both host-driven: the one-kernel
     * solve takes no hess_inv0, and sums in another order) */
    opts.single_kernel = -1;
    double eye[M * M] = {0};
    for (size_t i = 0; i < M; i++)
        eye[i * M + i] = 1;
    clbfgs_result *a = hold_result(), *b = hold_result();
    opts.hess_inv0 = eye;
    assert_ok(clbfgs_minimize(ctx, q, M, x0, &opts, a));
    opts.hess_inv0 = NULL;
    assert_ok(clbfgs_minimize(ctx, q, M, x0, &opts, b));
    assert_int_equal(a->nit, b->nit);
    assert_true(b->nit > newton_nit); /* condition number 6 */
    assert_memory_equal(a->x, b->x, sizeof x0);

    /* not symmetric, not positive definite, not finite */
    opts.hess_inv0 = h0;
    h0[1] = 0.5;
    assert_int_equal(clbfgs_minimize(ctx, q, M, x0, &opts, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "not symmetric"));
    clbfgs_result_free(r);
    h0[M] = 0.5; /* symmetric now, and [[1, .5], [.5, .2]] is indefinite */
    h0[M + 1] = 0.2;
    assert_int_equal(clbfgs_minimize(ctx, q, M, x0, &opts, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "not positive definite"));
    clbfgs_result_free(r);
    h0[M + 1] = INFINITY;
    assert_int_equal(clbfgs_minimize(ctx, q, M, x0, &opts, r), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "not finite"));
}

int main(void)
{
    skip_without_opencl();
    seed_random();
    const struct CMUnitTest tests[] = {
        held_test(source_kernels_with_arguments_reach_the_minimum),
        held_test(forward_differences_follow_the_analytic_path),
        held_test(kernel_problems_are_named_and_x0_is_kept),
        held_test(extra_arguments_that_do_not_fit_the_kernel_are_named),
        held_test(a_kernel_whose_fixed_arguments_break_the_contract_is_named),
        held_test(device_callbacks_run_on_the_library_queue),
        held_test(a_failing_device_callback_leaves_the_best_point_and_an_error_status),
        held_test(logistic_regression_agrees_with_the_host),
        held_test(a_starting_inverse_hessian_is_used_and_checked),
    };
    return cmocka_run_group_tests(tests, context_setup, context_teardown);
}
