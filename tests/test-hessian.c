/* The H kernels: the fold-and-product pass against the reference pair
 * (hessian_update then hessian_apply), and both against the same arithmetic
 * on the host, on fresh random inputs of awkward sizes: 1, 7, 10, 1000 and 1031
 * (a prime, so no work-group size divides it), in double and float, with
 * one row chunk and with several; then delayed updates: the product of the
 * stored H plus the pending updates' share against the host's product of
 * the updated H, and the fold of several against the reference updates one
 * at a time. Outputs are poisoned before kernels write. */
#include "common.h"

#include "hop.h"

#include <float.h>
#include <math.h>

static clbfgs_context *ctx;
/* rand()'s seed, in every failure message: CLBFGS_TEST_SEED replays it. */
static unsigned seed;

#define fail_seeded(fmt, ...) fail_msg("seed %u: " fmt, seed, __VA_ARGS__)

#define ok_or_fail(expr)                                                                           \
    do {                                                                                           \
        clbfgs_status st_ = (expr);                                                                \
        if (st_ != CLBFGS_SUCCESS)                                                                 \
            fail_seeded("%s -> %s: %s", #expr, clbfgs_strerror(st_), clbfgs_last_error());         \
    } while (0)

#define cl_ok_or_fail(expr)                                                                        \
    do {                                                                                           \
        cl_int err_ = (expr);                                                                      \
        if (err_ != CL_SUCCESS)                                                                    \
            fail_seeded("%s -> OpenCL error %d", #expr, (int)err_);                                \
    } while (0)

static int setup(void **state)
{
    (void)state;
    return clbfgs_context_new(&ctx, NULL) == CLBFGS_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clbfgs_context_free(ctx);
    return 0;
}

static double uniform(void) { return 2.0 * rand() / (double)RAND_MAX - 1.0; }

/* gamma_k = k u / (1 - k u): the bound on the relative error of k roundings
 * with unit roundoff u (Higham, Accuracy and Stability, section 3.1). */
static double gamma_k(double k, double u) { return k * u / (1.0 - k * u); }

/* The dense operator with its own execution layer and the vectors the
 * tests give its passes. */
typedef struct hrun {
    clbfgs_exec e;
    clbfgs_hop *hop;
    size_t n, elem;
    clbfgs_precision precision;
    cl_mem u, s, g, v;
    int pass;
    size_t h_chunks;
    int h_float; /* H in float in a double run (CLBFGS_DENSE_H_FLOAT) */
} hrun;

/* Rounds to the run's precision, so host and device start from equal values. */
static double as_real(const hrun *run, double v)
{
    return run->precision == CLBFGS_PRECISION_FLOAT ? (double)(float)v : v;
}

/* Rounds to H's precision. */
static double as_h(const hrun *run, double v) { return run->h_float ? (double)(float)v : as_real(run, v); }

/* H in and out as n x n matrices, whatever the layout. */
static void write_h(hrun *run, const double *src) { ok_or_fail(clbfgs__dense_write_h(run->hop, src)); }
static void read_h(hrun *run, double *dst) { ok_or_fail(clbfgs__dense_read_h(run->hop, dst)); }

/* The pass's name in a failure. */
static const char *pass_name(int pass)
{
    switch (pass) {
    case DENSE_PASS_COLUMNS:
        return "by columns";
    case DENSE_PASS_ROWS8:
        return "by rows";
    case DENSE_PASS_TRI_ROWS:
        return "triangle by block rows";
    default:
        return "triangle by tiles";
    }
}

struct inputs {
    size_t n;
    double *h, *u, *s, *g, a, b;
};

/* Fresh inputs, held. */
static void draw(const hrun *run, struct inputs *in)
{
    size_t n = run->n;
    in->n = n;
    in->h = hold_alloc(n * n * sizeof *in->h);
    in->u = hold_alloc(n * sizeof *in->u);
    in->s = hold_alloc(n * sizeof *in->s);
    in->g = hold_alloc(n * sizeof *in->g);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            in->h[i * n + j] = in->h[j * n + i] = as_h(run, uniform() + (i == j ? 2.0 : 0.0));
    for (size_t i = 0; i < n; i++) {
        in->u[i] = as_real(run, uniform());
        in->s[i] = as_real(run, uniform());
        in->g[i] = as_real(run, uniform());
    }
    in->a = as_real(run, uniform());
    in->b = as_real(run, uniform());
}

static void release_run(void *p)
{
    hrun *run = p;
    cl_mem bufs[] = {run->u, run->s, run->g, run->v};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    if (run->hop)
        clbfgs__hop_dense.free(run->hop);
    clbfgs__exec_release(&run->e);
    free(run);
}

/* The device's v against the host's product, in double, of the device's
 * own H and g: whatever the order of summation, each is within
 * gamma_n sum_j |H_ij g_j| of the exact product (the host far closer in a
 * float run, its products exact in double), so they differ by at most
 * twice that. */
static void check_product(const char *what, size_t n, const double *h, const double *g,
                          const double *v, double u, const hrun *run)
{
    for (size_t i = 0; i < n; i++) {
        double acc = 0, mag = 0;
        for (size_t j = 0; j < n; j++) {
            acc += h[i * n + j] * g[j];
            mag += fabs(h[i * n + j] * g[j]);
        }
        double bound = 2.0 * gamma_k((double)n, u) * mag;
        if (isnan(v[i]) || fabs(v[i] - acc) > bound)
            fail_seeded("n = %zu, %s, %s, %zu chunks: v[%zu] = %.17g, host product of the "
                        "device's H %.17g, differ by %.3g > bound %.3g",
                        n, what, pass_name(run->pass), run->h_chunks, i, v[i], acc, fabs(v[i] - acc), bound);
    }
}

/* A held run of size n with its test vectors, the pass by rows or by
 * columns in chunks (chunks 0: the device's default pass). */
static hrun *new_run(size_t n, clbfgs_precision precision, int pass, size_t chunks, int h_float)
{
    hrun *run = hold(calloc(1, sizeof(hrun)), release_run);
    if (!run)
        fail_seeded("n = %zu: out of memory for the run", n);
    run->n = n;
    run->precision = precision;
    ok_or_fail(clbfgs__exec_init(&run->e, ctx, precision, n));
    run->elem = run->e.elem;
    run->h_float = h_float && precision == CLBFGS_PRECISION_DOUBLE;
    if (h_float)
        setenv("CLBFGS_DENSE_H_FLOAT", "1", 1);
    clbfgs_status made = clbfgs__hop_dense.create(&run->hop, &run->e, n);
    if (h_float)
        unsetenv("CLBFGS_DENSE_H_FLOAT");
    ok_or_fail(made);
    cl_mem *vectors[] = {&run->u, &run->s, &run->g, &run->v};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
        ok_or_fail(clbfgs__exec_buffer(&run->e, n, vectors[i], "a test vector"));
    run->pass = clbfgs__dense_default_pass(ctx, n);
    run->h_chunks = clbfgs__dense_default_chunks(ctx, n);
    if (chunks) {
        ok_or_fail(clbfgs__dense_set_pass(run->hop, pass, chunks));
        run->pass = pass;
        run->h_chunks = pass != DENSE_PASS_COLUMNS || chunks > n ? 1 : chunks;
    }
    return run;
}

/* One case: size n, precision, the pass by rows or by columns in chunks
 * (chunks 0: the device's default pass). */
static void check_case(size_t n, clbfgs_precision precision, int pass, size_t chunks, int h_float)
{
    size_t mark = held_mark();
    hrun *run = new_run(n, precision, pass, chunks, h_float);
    struct inputs in;
    draw(run, &in);

    double *h_ref = hold_alloc(n * n * sizeof *h_ref),
           *h_fused = hold_alloc(n * n * sizeof *h_fused);
    double *h_host = hold_alloc(n * n * sizeof *h_host), *h_mag = hold_alloc(n * n * sizeof *h_mag);
    double *v_ref = hold_alloc(n * sizeof *v_ref), *v_fused = hold_alloc(n * sizeof *v_fused);
    double *nan = hold_alloc(n * sizeof *nan);
    for (size_t i = 0; i < n; i++)
        nan[i] = (double)NAN;

    /* the host: the update in double (as a (u s^T + s u^T) + b s s^T; the
     * kernels form it as c s^T + s c^T with c = a u + (b / 2) s, the same
     * in exact arithmetic), and the magnitudes of its terms, which bound
     * the rounding errors of either evaluation */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            h_host[i * n + j] = in.h[i * n + j] + (in.a * (in.u[i] * in.s[j] + in.s[i] * in.u[j]) +
                                                   in.b * (in.s[i] * in.s[j]));
            h_mag[i * n + j] = fabs(in.h[i * n + j]) + fabs(in.a * in.u[i] * in.s[j]) +
                               fabs(in.a * in.s[i] * in.u[j]) + fabs(in.b * in.s[i] * in.s[j]);
        }
    double u = (precision == CLBFGS_PRECISION_FLOAT ? (double)FLT_EPSILON : DBL_EPSILON) / 2;

    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->u, 0, in.u, n));
    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->s, 0, in.s, n));
    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->g, 0, in.g, n));

    /* the reference pair */
    write_h(run, in.h);
    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->v, 0, nan, n));
    ok_or_fail(clbfgs__dense_update(run->hop, in.a, run->u, in.b, run->s));
    ok_or_fail(clbfgs__dense_apply(run->hop, run->v, run->g));
    read_h(run, h_ref);
    ok_or_fail(clbfgs__exec_read_reals(&run->e, run->v, 0, v_ref, n));

    /* the pass, folding the update in slot 0 */
    ok_or_fail(clbfgs__dense_set_pending(run->hop, 0, in.a, run->u, in.b, run->s, 1));
    write_h(run, in.h);
    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->v, 0, nan, n));
    ok_or_fail(clbfgs__dense_fold(run->hop, 1, run->v, run->g));
    read_h(run, h_fused);
    ok_or_fail(clbfgs__exec_read_reals(&run->e, run->v, 0, v_fused, n));

    for (size_t i = 0; i < n * n; i++) {
        /* the update is elementwise the same expression: equal to the bit,
         * exactly symmetric, and within the rounding of that expression of
         * the host's: each term passes through at most 6 roundings (c_i's
         * three, the product, the sum, h +), and |c_i s_j| <= |a u_i s_j| +
         * |b s_i s_j| / 2, so the device is within gamma_6 (|h| +
         * |a u_i s_j| + |a s_i u_j| + |b s_i s_j|) of the exact update
         * whatever its code generator (FMA only removes roundings), and the
         * host in double within gamma_5 of the same; a factor 2 covers both.
         * H in float rounds the result once more, by at most u_float of
         * it: FLT_EPSILON covers that with room */
        size_t r = i / n, c = i % n;
        if (h_fused[i] != h_ref[i])
            fail_seeded("n = %zu: H[%zu][%zu] = %.17g fused, %.17g reference", n, r, c, h_fused[i],
                        h_ref[i]);
        if (h_fused[i] != h_fused[c * n + r])
            fail_seeded("n = %zu: H[%zu][%zu] = %.17g but H[%zu][%zu] = %.17g", n, r, c, h_fused[i],
                        c, r, h_fused[c * n + r]);
        if (run->h_float && h_fused[i] != (double)(float)h_fused[i])
            fail_seeded("n = %zu, H in float: H[%zu][%zu] = %.17g is not a float", n, r, c,
                        h_fused[i]);
        double bound = 2.0 * gamma_k(6, u) * h_mag[i] +
                       (run->h_float ? (double)FLT_EPSILON * fabs(h_host[i]) : 0);
        if (fabs(h_fused[i] - h_host[i]) > bound)
            fail_seeded("n = %zu, %s: H[%zu][%zu] = %.17g, host %.17g, differ by %.3g > bound %.3g "
                        "(2 gamma_6 times %.17g)",
                        n,
                        run->h_float                          ? "double, H in float"
                        : precision == CLBFGS_PRECISION_FLOAT ? "float"
                                                              : "double",
                        r, c,
                        h_fused[i], h_host[i], fabs(h_fused[i] - h_host[i]), bound, h_mag[i]);
    }
    for (size_t i = 0; i < n; i++) {
        if (isnan(v_fused[i]))
            fail_seeded("n = %zu: v[%zu] was not written", n, i);
        /* the same order of summation, but in eight lanes (checked
         * against the host product below) */
        if (run->h_chunks == 1 && run->pass == DENSE_PASS_COLUMNS && v_fused[i] != v_ref[i])
            fail_seeded("n = %zu, one chunk: v[%zu] = %.17g, reference %.17g", n, i, v_fused[i],
                        v_ref[i]);
    }
    /* h_ref equals h_fused to the bit: one host product checks both */
    check_product("fused", n, h_fused, in.g, v_fused, u, run);
    check_product("reference", n, h_ref, in.g, v_ref, u, run);

    /* Nothing to fold: H is only read, whatever the slots hold. */
    ok_or_fail(clbfgs__dense_set_pending(run->hop, 0, 123.0, run->u, 456.0, run->s, 1));
    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->v, 0, nan, n));
    ok_or_fail(clbfgs__dense_fold(run->hop, 0, run->v, run->g));
    read_h(run, h_ref);
    for (size_t i = 0; i < n * n; i++)
        if (h_ref[i] != h_fused[i])
            fail_seeded("n = %zu: with no update pending H[%zu][%zu] changed from %.17g to %.17g",
                        n, i / n, i % n, h_fused[i], h_ref[i]);
    ok_or_fail(clbfgs__exec_read_reals(&run->e, run->v, 0, v_ref, n));
    check_product("no update", n, h_fused, in.g, v_ref, u, run);

    release_held_since(mark);
}

/* Delayed updates: three pending (the second not made), H as stored
 * (in.h), g. The stored H's product plus the pending share (the pass with
 * nothing to fold, then dense_lowrank) against the host's, in long double,
 * of the same sum, within the rounding of its evaluation; then the pass
 * that folds all three, whose H must be the reference updates' one at a
 * time, to the bit, and whose v is checked as any pass's. */
static void check_delayed(size_t n, clbfgs_precision precision, int pass, size_t chunks,
                          int h_float)
{
    enum { M = 3 };
    size_t mark = held_mark();
    hrun *run = new_run(n, precision, pass, chunks, h_float);
    struct inputs in[M];
    int made[M] = {1, 0, 1};
    for (int k = 0; k < M; k++)
        draw(run, &in[k]); /* H and g from in[0]; u, s, a, b from each */
    double *h_ref = hold_alloc(n * n * sizeof *h_ref), *h_fold = hold_alloc(n * n * sizeof *h_fold);
    double *v = hold_alloc(n * sizeof *v), *nan = hold_alloc(n * sizeof *nan);
    for (size_t i = 0; i < n; i++)
        nan[i] = (double)NAN;
    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->g, 0, in[0].g, n));
    double u = (precision == CLBFGS_PRECISION_FLOAT ? (double)FLT_EPSILON : DBL_EPSILON) / 2;

    /* the reference updates, one at a time */
    write_h(run, in[0].h);
    for (int k = 0; k < M; k++) {
        if (!made[k])
            continue;
        ok_or_fail(clbfgs__exec_write_reals(&run->e, run->u, 0, in[k].u, n));
        ok_or_fail(clbfgs__exec_write_reals(&run->e, run->s, 0, in[k].s, n));
        ok_or_fail(clbfgs__dense_update(run->hop, in[k].a, run->u, in[k].b, run->s));
    }
    read_h(run, h_ref);

    /* the stored H's product and the pending share */
    write_h(run, in[0].h);
    for (int k = 0; k < M; k++) {
        ok_or_fail(clbfgs__exec_write_reals(&run->e, run->u, 0, in[k].u, n));
        ok_or_fail(clbfgs__exec_write_reals(&run->e, run->s, 0, in[k].s, n));
        ok_or_fail(clbfgs__dense_set_pending(run->hop, (unsigned)k, in[k].a, run->u, in[k].b,
                                             run->s, made[k]));
    }
    /* the operator's matrix (hess_inv) folds them on the host, in the
     * kernels' arithmetic: the same H to the bit, the device's left alone */
    ok_or_fail(clbfgs__hop_dense.matrix(run->hop, 1, h_fold));
    for (size_t i = 0; i < n * n; i++)
        if (h_fold[i] != h_ref[i])
            fail_seeded("n = %zu, %s: hess_inv's H[%zu][%zu] = %.17g, one at a time %.17g", n,
                        pass_name(pass), i / n, i % n, h_fold[i], h_ref[i]);
    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->v, 0, nan, n));
    ok_or_fail(clbfgs__dense_fold(run->hop, 0, run->v, run->g));
    ok_or_fail(clbfgs__dense_lowrank(run->hop, M, run->v, run->g));
    ok_or_fail(clbfgs__exec_read_reals(&run->e, run->v, 0, v, n));
    read_h(run, h_fold);
    for (size_t i = 0; i < n * n; i++)
        if (h_fold[i] != in[0].h[i])
            fail_seeded("n = %zu: a pass with nothing to fold changed H[%zu][%zu]", n, i / n, i % n);
    const double *g = in[0].g;
    long double sg[M], ug[M];
    double sgm[M], ugm[M];
    for (int k = 0; k < M; k++) {
        sg[k] = ug[k] = 0;
        sgm[k] = ugm[k] = 0;
        for (size_t j = 0; j < n; j++) {
            sg[k] += (long double)in[k].s[j] * g[j];
            ug[k] += (long double)in[k].u[j] * g[j];
            sgm[k] += fabs(in[k].s[j] * g[j]);
            ugm[k] += fabs(in[k].u[j] * g[j]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        long double want = 0;
        double mag = 0;
        for (size_t j = 0; j < n; j++) {
            want += (long double)in[0].h[i * n + j] * g[j];
            mag += fabs(in[0].h[i * n + j] * g[j]);
        }
        for (int k = 0; k < M; k++) {
            if (!made[k])
                continue;
            const struct inputs *t = &in[k];
            want += t->a * (t->u[i] * sg[k] + t->s[i] * ug[k]) + t->b * (t->s[i] * sg[k]);
            mag += fabs(t->a) * (fabs(t->u[i]) * sgm[k] + fabs(t->s[i]) * ugm[k]) +
                   fabs(t->b) * fabs(t->s[i]) * sgm[k];
        }
        /* each part passes through at most n + 8 roundings (c's three, the
         * inner products' n, the sums), and mag bounds every part: |c_i| <=
         * |a u_i| + |b s_i| / 2, and so for c's inner product */
        double bound = 2.0 * gamma_k((double)n + 8, u) * mag;
        if (isnan(v[i]) || fabs(v[i] - (double)want) > bound)
            fail_seeded("n = %zu, %s, pending: v[%zu] = %.17g, host %.17g, differ by %.3g > %.3g",
                        n, pass_name(pass), i, v[i], (double)want,
                        fabs(v[i] - (double)want), bound);
    }

    /* the pass that folds all three */
    ok_or_fail(clbfgs__exec_write_reals(&run->e, run->v, 0, nan, n));
    ok_or_fail(clbfgs__dense_fold(run->hop, M, run->v, run->g));
    ok_or_fail(clbfgs__exec_read_reals(&run->e, run->v, 0, v, n));
    read_h(run, h_fold);
    for (size_t i = 0; i < n * n; i++)
        if (h_fold[i] != h_ref[i])
            fail_seeded("n = %zu, %s: folded H[%zu][%zu] = %.17g, one at a time %.17g", n,
                        pass_name(pass), i / n, i % n, h_fold[i], h_ref[i]);
    check_product("folded", n, h_fold, g, v, u, run);
    release_held_since(mark);
}

/* Every pass at awkward sizes; with h_float (a double run, H in float)
 * each pass once, the column pass in three chunks. */
static void awkward_sizes(clbfgs_precision precision, int h_float)
{
    /* 10: two rows with a tail each; 130: three tiles a side, the last
     * short; 1000, 1031: a short last tile */
    const size_t sizes[] = {1, 7, 10, 130, 1000, 1031};
    /* under valgrind the host code at the small sizes only: the large ones
     * run the same host code over O(n^2) checks, minutes each there */
    size_t count = under_valgrind() ? 4 : sizeof sizes / sizeof sizes[0];
    for (size_t k = 0; k < count; k++) {
        size_t n = sizes[k], three = n >= 7 ? 3 : 1;
        /* two rows in eight lanes (n odd: a row alone, in order) */
        check_case(n, precision, DENSE_PASS_ROWS8, 1, h_float);
        if (!h_float) {
            check_case(n, precision, DENSE_PASS_COLUMNS, 1, 0); /* by columns */
            if (n >= 7)
                check_case(n, precision, DENSE_PASS_COLUMNS, 64, 0); /* many short chunks */
            if (clbfgs__dense_default_chunks(ctx, n) > 1)
                check_case(n, precision, DENSE_PASS_COLUMNS, 0, 0); /* the device's own choice */
        }
        check_case(n, precision, DENSE_PASS_COLUMNS, three, h_float); /* chunks of unequal length */
        check_case(n, precision, DENSE_PASS_TRI_ROWS, 1, h_float);
        check_case(n, precision, DENSE_PASS_TRI_TILES, 1, h_float);
        check_delayed(n, precision, DENSE_PASS_ROWS8, 1, h_float);
        check_delayed(n, precision, DENSE_PASS_COLUMNS, three, h_float);
        check_delayed(n, precision, DENSE_PASS_TRI_ROWS, 1, h_float);
        check_delayed(n, precision, DENSE_PASS_TRI_TILES, 1, h_float);
    }
}

static void fused_pass_matches_the_pair_and_the_host_in_double(void **state)
{
    (void)state;
    clbfgs_device_info info;
    ok_or_fail(clbfgs_context_device(ctx, &info));
    if (!info.has_fp64)
        skip();
    awkward_sizes(CLBFGS_PRECISION_DOUBLE, 0);
}

static void fused_pass_matches_the_pair_and_the_host_in_float(void **state)
{
    (void)state;
    awkward_sizes(CLBFGS_PRECISION_FLOAT, 0);
}

static void fused_pass_matches_the_pair_and_the_host_with_h_in_float(void **state)
{
    (void)state;
    clbfgs_device_info info;
    ok_or_fail(clbfgs_context_device(ctx, &info));
    /* under valgrind: one more kernel build of the host code the double
     * test runs, minutes of pocl's compiler there */
    if (!info.has_fp64 || under_valgrind())
        skip();
    awkward_sizes(CLBFGS_PRECISION_DOUBLE, 1);
}

/* With H in float, a starting H past float's range is refused by name, not
 * stored as inf. */
static void a_starting_h_past_float_is_refused_with_h_in_float(void **state)
{
    (void)state;
    clbfgs_device_info info;
    ok_or_fail(clbfgs_context_device(ctx, &info));
    if (!info.has_fp64 || under_valgrind()) /* the H-in-float build: see above */
        skip();
    size_t mark = held_mark();
    hrun *run = new_run(3, CLBFGS_PRECISION_DOUBLE, DENSE_PASS_ROWS8, 1, 1);
    double h0[9] = {1, 0, 0, 0, 1e39, 0, 0, 0, 1};
    assert_int_equal(clbfgs__hop_dense.reset(run->hop, h0), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "hess_inv0[1][1] = 1e+39 overflows float"));
    assert_non_null(strstr(clbfgs_last_error(), "CLBFGS_DENSE_H_FLOAT"));
    h0[4] = 1e38; /* within range: taken */
    ok_or_fail(clbfgs__hop_dense.reset(run->hop, h0));
    release_held_since(mark);
}

static void default_chunks_fit_the_device(void **state)
{
    (void)state;
    const size_t sizes[] = {1, 7, 1000, 100000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        size_t c = clbfgs__dense_default_chunks(ctx, n);
        if (!(c >= 1 && c <= 64 && c <= n))
            fail_seeded("n = %zu: %zu chunks", n, c);
        if (n >= 16 && (n + c - 1) / c < 16) /* at least 16 rows a chunk */
            fail_seeded("n = %zu: %zu chunks of fewer than 16 rows", n, c);
    }
}

static void a_pass_that_does_not_exist_is_refused(void **state)
{
    (void)state;
    size_t mark = held_mark();
    hrun *run = hold(calloc(1, sizeof(hrun)), release_run);
    if (!run)
        fail_seeded("%s", "out of memory for the run");
    ok_or_fail(clbfgs__exec_init(&run->e, ctx, CLBFGS_PRECISION_FLOAT, 8));
    ok_or_fail(clbfgs__hop_dense.create(&run->hop, &run->e, 8));
    assert_int_equal(clbfgs__dense_set_pass(run->hop, 1, 1), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "by its tiles (4), not 1"));
    assert_int_equal(clbfgs__dense_set_pass(run->hop, 5, 1), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(clbfgs__dense_set_pending(run->hop, 8, 1, NULL, 1, NULL, 1),
                     CLBFGS_ERR_INVALID_ARGUMENT);
    release_held_since(mark);
}

/* A delay outside 1 .. 8, or a layout other than 0 or 1, in the
 * environment is refused by name, and the operator is not made. */
static void a_setting_that_does_not_exist_is_refused(void **state)
{
    (void)state;
    const struct {
        const char *var, *value, *says;
    } bad[] = {
        {"CLBFGS_DENSE_DELAY", "0", "delay is 1 to 8"},
        {"CLBFGS_DENSE_DELAY", "9", "delay is 1 to 8"},
        {"CLBFGS_DENSE_DELAY", "4x", "delay is 1 to 8"},
        {"CLBFGS_DENSE_DELAY", "-1", "delay is 1 to 8"},
        {"CLBFGS_DENSE_TRIANGLE", "2", "1 stores H's upper triangle, 0 all of H"},
        {"CLBFGS_DENSE_TRIANGLE", "yes", "1 stores H's upper triangle, 0 all of H"},
        {"CLBFGS_DENSE_H_FLOAT", "2", "1 keeps H in float in a double run"},
        {"CLBFGS_DENSE_H_FLOAT", "float", "1 keeps H in float in a double run"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        size_t mark = held_mark();
        const char *was = getenv(bad[k].var);
        char *keep = was ? hold(strdup(was), free) : NULL;
        hrun *run = hold(calloc(1, sizeof(hrun)), release_run);
        if (!run)
            fail_seeded("%s", "out of memory for the run");
        ok_or_fail(clbfgs__exec_init(&run->e, ctx, CLBFGS_PRECISION_FLOAT, 8));
        setenv(bad[k].var, bad[k].value, 1);
        clbfgs_status st = clbfgs__hop_dense.create(&run->hop, &run->e, 8);
        if (keep)
            setenv(bad[k].var, keep, 1);
        else
            unsetenv(bad[k].var);
        assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
        assert_null(run->hop);
        char want[64];
        snprintf(want, sizeof want, "%s is \"%s\"", bad[k].var, bad[k].value);
        assert_non_null(strstr(clbfgs_last_error(), want));
        assert_non_null(strstr(clbfgs_last_error(), bad[k].says));
        release_held_since(mark);
    }
}

int main(void)
{
    skip_without_opencl();
    seed = seed_random();
    const struct CMUnitTest tests[] = {
        held_test(fused_pass_matches_the_pair_and_the_host_in_double),
        held_test(fused_pass_matches_the_pair_and_the_host_in_float),
        held_test(fused_pass_matches_the_pair_and_the_host_with_h_in_float),
        held_test(a_starting_h_past_float_is_refused_with_h_in_float),
        held_test(default_chunks_fit_the_device),
        held_test(a_pass_that_does_not_exist_is_refused),
        held_test(a_setting_that_does_not_exist_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
