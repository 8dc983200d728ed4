/* clbfgs_mpi_minimize under mpiexec: the climate example's fit
 * (examples/climate.cl) with its record split across the ranks. Run by
 * tests/mpi.sh with 1, 2 and 3 ranks:
 *
 *   test-mpi fit [--method bfgs|lbfgsb] [--fd] [--m M] [--seed S] [--empty R]
 *       prints (rank 0) "status nit nfev njev f x0 x1 x2 x3", %.17g; rank R
 *       (--empty) holds no data and passes a NULL objective; --fd: the model
 *       without its gradient, forward differences in the terms' pass
 *   test-mpi disagree-n | disagree-gtol | disagree-x0 | bad-args
 *       one rank passes something else: every rank must fail at the start
 *   test-mpi fail-eval      rank 1's device objective fails at its 5th call
 *   test-mpi diverge        rank 1's callback stops the run at iteration 3
 *       every rank must end with an error, none hang
 *
 * Each rank prints "rank R: error: MESSAGE" for its error and exits 0 when
 * what happened is what the mode expects on that rank. The record is drawn
 * on rank 0 from --seed (default: the clock) and broadcast. */
#include <clbfgs_mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "examples"
#endif

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)len + 1))) {
        if (fread(s, 1, (size_t)len, f) != (size_t)len) {
            free(s);
            s = NULL;
        } else {
            s[len] = '\0';
        }
    }
    fclose(f);
    return s;
}

/* climate.cl's model without its gradient */
static const char model_fd[] =
    "real two_layer(const uint i, const real *x, __global const real *t,\n"
    "               __global const real *temp, const real s)\n"
    "{\n"
    "    return s * (x[0] * (1 - exp(-t[i] * exp(-x[1]))) + x[2] * (1 - exp(-t[i] * exp(-x[3])))\n"
    "                - temp[i]);\n"
    "}\n";

/* rank 1's device objective in fail-eval: a failing device at its 5th call */
static int failing_device(void *user, cl_command_queue queue, cl_mem x, cl_mem f, cl_mem g,
                          size_t n, clbfgs_precision precision)
{
    int *calls = user;
    (void)queue, (void)x, (void)f, (void)g, (void)n, (void)precision;
    if (++*calls == 5) {
        clbfgs_callback_fail("simulated device failure on rank 1");
        return 1;
    }
    return 0;
}

/* zero f and g written on the device: a rank whose data contribute nothing */
static int zero_device(void *user, cl_command_queue queue, cl_mem x, cl_mem f, cl_mem g, size_t n,
                       clbfgs_precision precision)
{
    (void)x;
    size_t elem = precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    double zero = 0;
    if (clEnqueueFillBuffer(queue, f, &zero, elem, 0, elem, 0, NULL, NULL) != CL_SUCCESS ||
        clEnqueueFillBuffer(queue, g, &zero, elem, 0, n * elem, 0, NULL, NULL) != CL_SUCCESS)
        return 1;
    return failing_device(user, queue, x, f, g, n, precision);
}

static int stop_at_3(void *user, const clbfgs_iterate *it)
{
    int rank = *(int *)user;
    return rank == 1 && it->k >= 3;
}

static int go_on(void *user, const clbfgs_iterate *it)
{
    (void)user, (void)it;
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *mode = argc > 1 ? argv[1] : "fit";
    const char *method = "bfgs";
    int empty = -1, fd = 0;
    size_t m = 20000;
    unsigned long seed = (unsigned long)time(NULL);
    for (int k = 2; k < argc; k++) {
        if (!strcmp(argv[k], "--method") && k + 1 < argc)
            method = argv[++k];
        else if (!strcmp(argv[k], "--m") && k + 1 < argc)
            m = strtoull(argv[++k], NULL, 10);
        else if (!strcmp(argv[k], "--seed") && k + 1 < argc)
            seed = strtoul(argv[++k], NULL, 10);
        else if (!strcmp(argv[k], "--fd"))
            fd = 1;
        else if (!strcmp(argv[k], "--empty") && k + 1 < argc)
            empty = atoi(argv[++k]);
    }
    MPI_Bcast(&seed, 1, MPI_UNSIGNED_LONG, 0, MPI_COMM_WORLD);

    /* the record, the same on every rank; each keeps its own rows */
    double *t = malloc(m * sizeof *t), *temp = malloc(m * sizeof *temp);
    char *source = read_file(EXAMPLES_DIR "/climate.cl");
    if (!t || !temp || !source) {
        fprintf(stderr, "rank %d: cannot read %s or out of memory\n", rank,
                EXAMPLES_DIR "/climate.cl");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    srand((unsigned)seed);
    for (size_t i = 0; i < m; i++) {
        double u1 = (rand() + 1.0) / ((double)RAND_MAX + 2.0), u2 = rand() / (double)RAND_MAX;
        t[i] = 300.0 * (double)i / (double)m;
        temp[i] = 4.0 * (1 - exp(-t[i] / 4.0)) + 3.0 * (1 - exp(-t[i] / 250.0)) +
                  0.3 * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
    }
#define ROW(r) (m * (size_t)(r) / (size_t)size)
    size_t lo = ROW(rank), hi = ROW(rank + 1);
    /* --empty R: rank R holds nothing, a neighbour in row order its rows */
    int heir = empty < size - 1 ? empty + 1 : empty - 1;
    if (rank == empty)
        lo = hi = 0;
    else if (empty >= 0 && empty < size && rank == heir)
        lo = heir > empty ? ROW(empty) : lo, hi = heir > empty ? hi : ROW(empty + 1);

    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_result res;
    memset(&res, 0, sizeof res);
    clbfgs_mpi_info info;
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.precision = CLBFGS_PRECISION_DOUBLE;
    o.method = !strcmp(method, "lbfgsb") ? CLBFGS_METHOD_LBFGSB : CLBFGS_METHOD_BFGS;
    int calls = 0;
    size_t n = 4;
    double x0[4] = {1.0, 0.0, 1.0, log(50.0)};
    clbfgs_status st = clbfgs_mpi_context_new(&ctx, MPI_COMM_WORLD, NULL);
    if (st == CLBFGS_SUCCESS && !strcmp(mode, "fail-eval") && rank == 1) {
        st = clbfgs_objective_device(&obj, zero_device, &calls);
    } else if (st == CLBFGS_SUCCESS && hi > lo) {
        clbfgs_terms_options to;
        clbfgs_terms_options_init(&to);
        to.name = "climate.cl";
        to.args = "__global const real *t, __global const real *temp, const real s";
        to.least_squares = 1;
        to.gradient = !fd;
        st = clbfgs_objective_terms(&obj, fd ? model_fd : source, "two_layer", hi - lo, &to);
        if (st == CLBFGS_SUCCESS)
            st = clbfgs_objective_set_arg_reals(obj, 0, t + lo, hi - lo);
        if (st == CLBFGS_SUCCESS)
            st = clbfgs_objective_set_arg_reals(obj, 1, temp + lo, hi - lo);
        if (st == CLBFGS_SUCCESS)
            st = clbfgs_objective_set_arg_real(obj, 2, 1 / sqrt((double)m));
    }
    (void)failing_device;
    if (st != CLBFGS_SUCCESS) {
        fprintf(stderr, "rank %d: setup: %s\n", rank, clbfgs_last_error());
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int expect_error = strcmp(mode, "fit") != 0;
    const double *x0p = x0;
    clbfgs_result *resp = &res;
    if (rank == 1) {
        if (!strcmp(mode, "disagree-n"))
            n = 3;
        else if (!strcmp(mode, "disagree-gtol"))
            o.gtol = 1e-6;
        else if (!strcmp(mode, "disagree-x0"))
            x0[0] = 1.5;
        else if (!strcmp(mode, "bad-args"))
            resp = NULL;
    }
    if (!strcmp(mode, "diverge")) {
        o.callback = rank == 1 ? stop_at_3 : go_on;
        o.callback_user = &rank;
    }
    st = clbfgs_mpi_minimize(MPI_COMM_WORLD, ctx, obj, n, x0p, &o, resp, &info);
    int ok;
    if (st != CLBFGS_SUCCESS) {
        printf("rank %d: error: %s: %s\n", rank, clbfgs_strerror(st), clbfgs_last_error());
        ok = expect_error;
    } else {
        if (rank == 0)
            printf("%d %zu %zu %zu %.17g %.17g %.17g %.17g %.17g\n", res.status, res.nit, res.nfev,
                   res.njev, res.fun, res.x[0], res.x[1], res.x[2], res.x[3]);
        if (rank == 0)
            fprintf(stderr, "%d ranks: %zu Allreduces of %zu bytes, %.3f ms in them; %s\n", size,
                    info.reductions, info.bytes_per_reduce, 1e3 * info.reduce_seconds,
                    res.message);
        ok = !expect_error && res.status == 0 && info.reductions == res.njev;
    }
    fflush(stdout);
    clbfgs_result_free(&res);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    free(source);
    free(t);
    free(temp);
    MPI_Finalize();
    return ok ? 0 : 1;
}
