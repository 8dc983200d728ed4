/* The device side of `make bench`: each subcommand prints one JSON object.
 *
 *   triad      [--device SEL] [--mb M] [--reps R]
 *              STREAM triad a = b + s c on the device, and an in-place
 *              a = s a + t (the H pass's pattern: read and write one array);
 *              kernel times from OpenCL profiling, median of R
 *   latency    [--device SEL] [--reps R]
 *              one empty kernel's cost in a batch, and one kernel plus a
 *              blocking 8-byte read (a round trip), medians
 *   iterations --n N [--iters K] [--reps R] [--device SEL] [--precision P]
 *              [--delay Q] [--triangle 0|1] [--h-float 0|1]
 *              extended Rosenbrock from (-1.2, 1, ...) with gtol = 0 and
 *              maxiter = K: wall time per iteration (median of R runs), then
 *              R runs on a profiling queue for the split by phase, and the
 *              bytes the H pass moved per iteration by the library's own
 *              account; --delay Q keeps the H updates pending Q iterations
 *              (CLBFGS_DENSE_DELAY) instead of the library's choice, and
 *              --triangle 1 (0) stores H's upper triangle (all of H)
 *              (CLBFGS_DENSE_TRIANGLE), and --h-float 1 keeps H in float
 *              in a double run (CLBFGS_DENSE_H_FLOAT)
 *   first      --n N [--device SEL]
 *              for start-up timing: one process, one context, one iteration
 *              of extended Rosenbrock, then exit
 *   solve      --n N [--reps R] [--device SEL] [--precision P]
 *              SciPy's rosen from its tutorial start to gtol = 1e-5: the
 *              whole clbfgs_minimize call, median of R (the first is warm-up)
 *
 * Times are in seconds. The library and its program cache are warm after
 * the first run in a process; `bench/run` times a cold process separately. */
#include <clbfgs.h>

#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int fail(const char *what)
{
    fprintf(stderr, "clbfgs-bench: %s: %s\n", what, clbfgs_last_error());
    return 1;
}

static int cl_fail(cl_int err, const char *what)
{
    fprintf(stderr, "clbfgs-bench: %s failed with OpenCL error %d\n", what, (int)err);
    return 1;
}

struct args {
    const char *device;
    clbfgs_precision precision;
    size_t n, iters, reps, mb;
};

static int parse(int argc, char **argv, struct args *a)
{
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc) {
            fprintf(stderr, "clbfgs-bench: %s needs a value\n", argv[i]);
            return -1;
        }
        const char *k = argv[i], *v = argv[++i];
        char *end = NULL;
        unsigned long long u = strtoull(v, &end, 10);
        int numeric = end != v && *end == '\0';
        if (strcmp(k, "--device") == 0) {
            a->device = v;
        } else if (strcmp(k, "--precision") == 0) {
            if (strcmp(v, "double") == 0)
                a->precision = CLBFGS_PRECISION_DOUBLE;
            else if (strcmp(v, "float") == 0)
                a->precision = CLBFGS_PRECISION_FLOAT;
            else {
                fprintf(stderr, "clbfgs-bench: --precision is double or float, not '%s'\n", v);
                return -1;
            }
        } else if (numeric && u > 0 && strcmp(k, "--n") == 0) {
            a->n = (size_t)u;
        } else if (numeric && u > 0 && strcmp(k, "--iters") == 0) {
            a->iters = (size_t)u;
        } else if (numeric && u > 0 && strcmp(k, "--reps") == 0) {
            a->reps = (size_t)u;
        } else if (numeric && u > 0 && strcmp(k, "--mb") == 0) {
            a->mb = (size_t)u;
        } else if (numeric && u > 0 && strcmp(k, "--delay") == 0) {
            /* the library reads it when it builds a run's H operator */
            if (setenv("CLBFGS_DENSE_DELAY", v, 1) != 0) {
                fprintf(stderr, "clbfgs-bench: cannot set CLBFGS_DENSE_DELAY\n");
                return -1;
            }
        } else if ((strcmp(k, "--triangle") == 0 || strcmp(k, "--h-float") == 0) &&
                   (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
            /* the library reads them when it builds a run's H operator */
            const char *var = k[2] == 't' ? "CLBFGS_DENSE_TRIANGLE" : "CLBFGS_DENSE_H_FLOAT";
            if (setenv(var, v, 1) != 0) {
                fprintf(stderr, "clbfgs-bench: cannot set %s\n", var);
                return -1;
            }
        } else {
            fprintf(stderr, "clbfgs-bench: bad option %s %s\n", k, v);
            return -1;
        }
    }
    return 0;
}

static int open_context(const struct args *a, int profile, clbfgs_context **ctx)
{
    clbfgs_context_options o;
    clbfgs_context_options_init(&o);
    o.device = a->device;
    o.profile = profile;
    return clbfgs_context_new(ctx, &o) == CLBFGS_SUCCESS ? 0 : fail("creating a context");
}

static void print_device(clbfgs_context *ctx)
{
    clbfgs_device_info info;
    if (clbfgs_context_device(ctx, &info) != CLBFGS_SUCCESS)
        return;
    printf("\"device\": ");
    json_string(info.name);
    printf(", \"platform\": ");
    json_string(info.platform_name);
    printf(", \"device_type\": \"%s\", ", clbfgs_device_type_name(info.type));
}

/* ---- triad and latency: plain OpenCL on the library's queue ---- */

static const char *stream_source =
    "#ifdef USE_DOUBLE\n"
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
    "typedef double real;\n"
    "#else\n"
    "typedef float real;\n"
    "#endif\n"
    "__kernel void triad(__global real *a, __global const real *b, __global const real *c,\n"
    "                    const real s) { size_t i = get_global_id(0); a[i] = b[i] + s * c[i]; }\n"
    "__kernel void update(__global real *a, const real s, const real t)\n"
    "{ size_t i = get_global_id(0); a[i] = s * a[i] + t; }\n"
    "__kernel void empty(__global real *a) { if (get_global_id(0) == 0) a[0] += 1; }\n";

struct stream {
    cl_context cl;
    cl_command_queue q;
    cl_program program;
    int fp64;
    size_t elem;
};

static int stream_open(clbfgs_context *ctx, struct stream *s)
{
    clbfgs_device_info info;
    cl_int err = CL_SUCCESS;
    if (clbfgs_context_device(ctx, &info) != CLBFGS_SUCCESS)
        return fail("reading the device");
    s->cl = clbfgs_context_cl_context(ctx);
    s->q = clbfgs_context_queue(ctx);
    s->fp64 = info.has_fp64;
    s->elem = s->fp64 ? sizeof(double) : sizeof(float);
    s->program = clCreateProgramWithSource(s->cl, 1, &stream_source, NULL, &err);
    if (err != CL_SUCCESS)
        return cl_fail(err, "clCreateProgramWithSource");
    err = clBuildProgram(s->program, 1, &info.device_id, s->fp64 ? "-DUSE_DOUBLE" : "", NULL, NULL);
    return err == CL_SUCCESS ? 0 : cl_fail(err, "clBuildProgram (stream kernels)");
}

static int set_real(cl_kernel k, cl_uint i, const struct stream *s, double v)
{
    float f = (float)v;
    cl_int err = s->fp64 ? clSetKernelArg(k, i, sizeof v, &v) : clSetKernelArg(k, i, sizeof f, &f);
    return err == CL_SUCCESS ? 0 : cl_fail(err, "clSetKernelArg");
}

/* Runs k over n items reps times; kernel seconds into t (profiling). */
static int time_kernel(const struct stream *s, cl_kernel k, size_t n, size_t reps, double *t)
{
    for (size_t r = 0; r < reps; r++) {
        cl_event e = NULL;
        cl_ulong t0 = 0, t1 = 0;
        cl_int err = clEnqueueNDRangeKernel(s->q, k, 1, NULL, &n, NULL, 0, NULL, &e);
        if (err == CL_SUCCESS)
            err = clWaitForEvents(1, &e);
        if (err == CL_SUCCESS)
            err = clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        if (err == CL_SUCCESS)
            err = clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        if (e)
            clReleaseEvent(e);
        if (err != CL_SUCCESS)
            return cl_fail(err, "timing a stream kernel");
        t[r] = (double)(t1 - t0) * 1e-9;
    }
    return 0;
}

static int cmd_triad(const struct args *a)
{
    clbfgs_context *ctx = NULL;
    struct stream s = {0};
    cl_mem buf[3] = {NULL, NULL, NULL};
    cl_kernel triad = NULL, update = NULL;
    double *t = calloc(a->reps, sizeof *t);
    int rc = 1;
    if (!t || open_context(a, 1, &ctx) || stream_open(ctx, &s))
        goto done;
    size_t n = a->mb * 1024 * 1024 / s.elem;
    cl_int err = CL_SUCCESS;
    for (int i = 0; i < 3; i++) {
        buf[i] = clCreateBuffer(s.cl, CL_MEM_READ_WRITE, n * s.elem, NULL, &err);
        if (err != CL_SUCCESS) {
            cl_fail(err, "clCreateBuffer");
            goto done;
        }
        double zero = 0;
        float zf = 0;
        err = clEnqueueFillBuffer(s.q, buf[i], s.fp64 ? (void *)&zero : (void *)&zf, s.elem, 0,
                                  n * s.elem, 0, NULL, NULL);
        if (err != CL_SUCCESS) {
            cl_fail(err, "clEnqueueFillBuffer");
            goto done;
        }
    }
    triad = clCreateKernel(s.program, "triad", &err);
    if (err == CL_SUCCESS)
        update = clCreateKernel(s.program, "update", &err);
    if (err != CL_SUCCESS) {
        cl_fail(err, "clCreateKernel");
        goto done;
    }
    for (cl_uint i = 0; i < 3; i++)
        if ((err = clSetKernelArg(triad, i, sizeof(cl_mem), &buf[i])) != CL_SUCCESS) {
            cl_fail(err, "clSetKernelArg");
            goto done;
        }
    if ((err = clSetKernelArg(update, 0, sizeof(cl_mem), &buf[0])) != CL_SUCCESS) {
        cl_fail(err, "clSetKernelArg");
        goto done;
    }
    if (set_real(triad, 3, &s, 3.0) || set_real(update, 1, &s, 0.5) || set_real(update, 2, &s, 1.0))
        goto done;
    double triad_t = 0, triad_best = 0, update_t = 0;
    if (time_kernel(&s, triad, n, 1, t)) /* first touch */
        goto done;
    if (time_kernel(&s, triad, n, a->reps, t))
        goto done;
    triad_t = median(t, a->reps);
    triad_best = t[0];
    if (time_kernel(&s, update, n, a->reps, t))
        goto done;
    update_t = median(t, a->reps);
    printf("{\"kind\": \"triad\", ");
    print_device(ctx);
    printf("\"real_bytes\": %zu, \"array_bytes\": %zu, \"reps\": %zu, "
           "\"triad_gbs\": %.3f, \"triad_gbs_best\": %.3f, \"update_gbs\": %.3f}\n",
           s.elem, n * s.elem, a->reps, 3.0 * (double)(n * s.elem) / triad_t * 1e-9,
           3.0 * (double)(n * s.elem) / triad_best * 1e-9,
           2.0 * (double)(n * s.elem) / update_t * 1e-9);
    rc = 0;
done:
    if (triad)
        clReleaseKernel(triad);
    if (update)
        clReleaseKernel(update);
    for (int i = 0; i < 3; i++)
        if (buf[i])
            clReleaseMemObject(buf[i]);
    if (s.program)
        clReleaseProgram(s.program);
    clbfgs_context_free(ctx);
    free(t);
    return rc;
}

static int cmd_latency(const struct args *a)
{
    clbfgs_context *ctx = NULL;
    struct stream s = {0};
    cl_mem buf = NULL;
    cl_kernel k = NULL;
    double *batch = calloc(a->reps, sizeof *batch), *trip = calloc(a->reps, sizeof *trip);
    int rc = 1;
    if (!batch || !trip || open_context(a, 0, &ctx) || stream_open(ctx, &s))
        goto done;
    cl_int err = CL_SUCCESS;
    buf = clCreateBuffer(s.cl, CL_MEM_READ_WRITE, 64 * s.elem, NULL, &err);
    if (err == CL_SUCCESS)
        k = clCreateKernel(s.program, "empty", &err);
    if (err == CL_SUCCESS)
        err = clSetKernelArg(k, 0, sizeof(cl_mem), &buf);
    if (err != CL_SUCCESS) {
        cl_fail(err, "setting up the empty kernel");
        goto done;
    }
    size_t global = 64;
    char host[16];
    for (size_t r = 0; r < a->reps; r++) {
        /* a batch of 10 launches then one finish, per launch */
        double t0 = now();
        for (int j = 0; j < 10 && err == CL_SUCCESS; j++)
            err = clEnqueueNDRangeKernel(s.q, k, 1, NULL, &global, NULL, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clFinish(s.q);
        double t1 = now();
        /* one launch and a blocking read */
        if (err == CL_SUCCESS)
            err = clEnqueueNDRangeKernel(s.q, k, 1, NULL, &global, NULL, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clEnqueueReadBuffer(s.q, buf, CL_TRUE, 0, s.elem, host, 0, NULL, NULL);
        double t2 = now();
        if (err != CL_SUCCESS) {
            cl_fail(err, "the latency loop");
            goto done;
        }
        batch[r] = (t1 - t0) / 10;
        trip[r] = t2 - t1;
    }
    printf("{\"kind\": \"latency\", ");
    print_device(ctx);
    printf("\"reps\": %zu, \"launch\": %.3e, \"round_trip\": %.3e}\n", a->reps,
           median(batch, a->reps), median(trip, a->reps));
    rc = 0;
done:
    if (k)
        clReleaseKernel(k);
    if (buf)
        clReleaseMemObject(buf);
    if (s.program)
        clReleaseProgram(s.program);
    clbfgs_context_free(ctx);
    free(batch);
    free(trip);
    return rc;
}

/* ---- the library ---- */

/* Runs the minimization reps times; per-run values into the arrays (any NULL). */
static int run_reps(clbfgs_context *ctx, const char *builtin, const struct args *a,
                    const double *x0, const clbfgs_options *o, double *per_iter, double *total,
                    clbfgs_timings *times, clbfgs_result *last)
{
    clbfgs_objective *obj = NULL;
    if (clbfgs_objective_builtin(&obj, builtin) != CLBFGS_SUCCESS)
        return fail("the built-in objective");
    int rc = 0;
    for (size_t r = 0; r < a->reps && rc == 0; r++) {
        clbfgs_result res;
        if (clbfgs_minimize(ctx, obj, a->n, x0, o, &res) != CLBFGS_SUCCESS) {
            rc = fail("clbfgs_minimize");
        } else {
            double loop = res.time.total - res.time.setup;
            if (per_iter)
                per_iter[r] = res.nit ? loop / (double)res.nit : (double)NAN;
            if (total)
                total[r] = res.time.total;
            if (times)
                times[r] = res.time;
            if (last && r + 1 == a->reps) {
                *last = res;
                continue;
            }
        }
        clbfgs_result_free(&res);
    }
    clbfgs_objective_free(obj);
    return rc;
}

#define MEDIAN_OF(field, scale)                                                                   \
    do {                                                                                          \
        for (size_t r = 0; r < a->reps; r++)                                                      \
            tmp[r] = times[r].field / (scale);                                                    \
        printf(", \"%s\": %.6e", #field, median(tmp, a->reps));                                   \
    } while (0)

static int cmd_iterations(const struct args *a)
{
    clbfgs_context *ctx = NULL, *pctx = NULL;
    double *x0 = malloc(a->n * sizeof *x0), *per_iter = calloc(a->reps, sizeof(double));
    double *tmp = calloc(a->reps, sizeof(double));
    clbfgs_timings *times = calloc(a->reps, sizeof *times);
    clbfgs_result last;
    int rc = 1;
    memset(&last, 0, sizeof last);
    if (!x0 || !per_iter || !tmp || !times) {
        fprintf(stderr, "clbfgs-bench: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < a->n; i++)
        x0[i] = i % 2 ? 1.0 : -1.2;
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.gtol = 0;
    o.maxiter = a->iters;
    o.precision = a->precision;
    if (open_context(a, 0, &ctx))
        goto done;
    /* a first run builds the programs; it is not counted */
    struct args one = *a;
    one.reps = 1;
    if (run_reps(ctx, "ext-rosenbrock", &one, x0, &o, NULL, NULL, NULL, NULL) ||
        run_reps(ctx, "ext-rosenbrock", a, x0, &o, per_iter, NULL, NULL, &last))
        goto done;
    clbfgs_context_free(ctx);
    ctx = NULL;
    if (open_context(a, 1, &pctx) ||
        run_reps(pctx, "ext-rosenbrock", &one, x0, &o, NULL, NULL, NULL, NULL) ||
        run_reps(pctx, "ext-rosenbrock", a, x0, &o, NULL, NULL, times, NULL))
        goto done;
    printf("{\"kind\": \"iterations\", ");
    print_device(pctx);
    printf("\"precision\": \"%s\", \"n\": %zu, \"nit\": %zu, \"nfev\": %zu, \"status\": %d, "
           "\"fun\": %.17g, \"reps\": %zu, \"per_iteration\": %.6e",
           last.precision == CLBFGS_PRECISION_FLOAT ? "float" : "double", a->n, last.nit,
           last.nfev, last.status, last.fun, a->reps, median(per_iter, a->reps));
    /* the profiled runs, per iteration */
    double nit = last.nit ? (double)last.nit : 1;
    for (size_t r = 0; r < a->reps; r++)
        tmp[r] = (times[r].total - times[r].setup) / nit;
    printf(", \"profiled_per_iteration\": %.6e", median(tmp, a->reps));
    MEDIAN_OF(line_search, nit);
    MEDIAN_OF(hessian, nit);
    MEDIAN_OF(device_objective, nit);
    MEDIAN_OF(device_hessian, nit);
    MEDIAN_OF(device_other, nit);
    MEDIAN_OF(device_transfer, nit);
    const char *delay = getenv("CLBFGS_DENSE_DELAY"), *tri = getenv("CLBFGS_DENSE_TRIANGLE");
    const char *hf = getenv("CLBFGS_DENSE_H_FLOAT");
    printf(", \"syncs_per_iteration\": %.3f, \"launches_per_iteration\": %.3f, "
           "\"hessian_bytes_per_iteration\": %.6e, \"delay\": \"%s\", \"triangle\": \"%s\", "
           "\"h_float\": \"%s\"}\n",
           (double)times[0].syncs / nit, (double)times[0].launches / nit,
           times[0].hessian_bytes / nit, delay && *delay ? delay : "default",
           tri && *tri ? tri : "default", hf && *hf ? hf : "default");
    rc = 0;
done:
    clbfgs_result_free(&last);
    clbfgs_context_free(ctx);
    clbfgs_context_free(pctx);
    free(x0);
    free(per_iter);
    free(tmp);
    free(times);
    return rc;
}

static int cmd_first(const struct args *a)
{
    clbfgs_context *ctx = NULL;
    clbfgs_result res;
    double *x0 = malloc(a->n * sizeof *x0);
    int rc = 1;
    memset(&res, 0, sizeof res);
    if (!x0)
        return 1;
    for (size_t i = 0; i < a->n; i++)
        x0[i] = i % 2 ? 1.0 : -1.2;
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.gtol = 0;
    o.maxiter = 1;
    struct args one = *a;
    one.reps = 1;
    if (open_context(a, 0, &ctx) == 0 &&
        run_reps(ctx, "ext-rosenbrock", &one, x0, &o, NULL, NULL, NULL, &res) == 0) {
        printf("{\"kind\": \"first\", \"n\": %zu, \"nit\": %zu, \"setup\": %.6e, "
               "\"total\": %.6e}\n",
               a->n, res.nit, res.time.setup, res.time.total);
        rc = 0;
    }
    clbfgs_result_free(&res);
    clbfgs_context_free(ctx);
    free(x0);
    return rc;
}

static int cmd_solve(const struct args *a)
{
    static const double start[] = {1.3, 0.7, 0.8, 1.9, 1.2};
    clbfgs_context *ctx = NULL;
    double *x0 = malloc(a->n * sizeof *x0), *total = calloc(a->reps, sizeof(double));
    clbfgs_result last;
    int rc = 1;
    memset(&last, 0, sizeof last);
    if (!x0 || !total) {
        fprintf(stderr, "clbfgs-bench: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < a->n; i++)
        x0[i] = start[i % 5];
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.precision = a->precision;
    struct args one = *a;
    one.reps = 1;
    if (open_context(a, 0, &ctx) ||
        run_reps(ctx, "rosen", &one, x0, &o, NULL, NULL, NULL, NULL) ||
        run_reps(ctx, "rosen", a, x0, &o, NULL, total, NULL, &last))
        goto done;
    printf("{\"kind\": \"solve\", ");
    print_device(ctx);
    printf("\"n\": %zu, \"nit\": %zu, \"nfev\": %zu, \"status\": %d, \"fun\": %.17g, "
           "\"reps\": %zu, \"per_solve\": %.6e, \"setup\": %.6e, \"syncs\": %zu}\n",
           a->n, last.nit, last.nfev, last.status, last.fun, a->reps, median(total, a->reps),
           last.time.setup, last.time.syncs);
    rc = 0;
done:
    clbfgs_result_free(&last);
    clbfgs_context_free(ctx);
    free(x0);
    free(total);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a = {NULL, CLBFGS_PRECISION_AUTO, 0, 20, 5, 256};
    const char *cmd = argc > 1 ? argv[1] : "";
    if (parse(argc, argv, &a) != 0)
        return 2;
    if (strcmp(cmd, "triad") == 0)
        return cmd_triad(&a);
    if (strcmp(cmd, "latency") == 0)
        return cmd_latency(&a);
    if ((strcmp(cmd, "iterations") == 0 || strcmp(cmd, "solve") == 0 ||
         strcmp(cmd, "first") == 0) &&
        a.n == 0) {
        fprintf(stderr, "clbfgs-bench: %s needs --n\n", cmd);
        return 2;
    }
    if (strcmp(cmd, "iterations") == 0)
        return cmd_iterations(&a);
    if (strcmp(cmd, "solve") == 0)
        return cmd_solve(&a);
    if (strcmp(cmd, "first") == 0)
        return cmd_first(&a);
    fprintf(stderr, "usage: clbfgs-bench triad|latency|iterations|first|solve [options]\n"
                    "(see the comment at the top of bench/clbfgs-bench.c)\n");
    return 2;
}
