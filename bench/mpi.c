/* The MPI suite's worker (bench/mpi.py runs it under mpiexec with 1, 2, 4
 * ranks): weak scaling of clbfgs_mpi_minimize on the climate fit
 * (examples/climate.cl), each rank holding --m-per-rank samples of one
 * record whatever the number of ranks.
 *
 *   clbfgs-mpi-bench [--m-per-rank M] [--repeat R] [--latency-calls C]
 *
 * Rank 0 prints one JSON object: per run (after one run that compiles the
 * kernels) the wall time, nfev, and the time in the Allreduces of f and g on
 * every rank (median over the runs; the largest and smallest over the
 * ranks: the rank that waits longest for the others, and least); then the
 * Allreduce alone, C calls of the same n + 3 doubles back to back after a
 * barrier: its latency without anyone's evaluation to wait for. */
#include <clbfgs_mpi.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* uniform in (0, 1) from the sample's global index: the record is the same
 * however it is split */
static double uniform(uint64_t i, uint64_t salt)
{
    uint64_t z = i * 0x9E3779B97F4A7C15ULL + salt;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    size_t mr = 1000000;
    int repeat = 5, calls = 2000;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--m-per-rank") && k + 1 < argc)
            mr = strtoull(argv[++k], NULL, 10);
        else if (!strcmp(argv[k], "--repeat") && k + 1 < argc)
            repeat = atoi(argv[++k]);
        else if (!strcmp(argv[k], "--latency-calls") && k + 1 < argc)
            calls = atoi(argv[++k]);
    }
    if (repeat < 1 || repeat > 100)
        repeat = 5;
    size_t m = mr * (size_t)size, lo = mr * (size_t)rank;
    double *t = malloc(mr * sizeof *t), *temp = malloc(mr * sizeof *temp);
    char *source = read_file(EXAMPLES_DIR "/climate.cl");
    if (!t || !temp || !source) {
        fprintf(stderr, "rank %d: cannot read climate.cl, or out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    for (size_t i = 0; i < mr; i++) {
        uint64_t g = lo + i;
        double u1 = uniform(g, 1), u2 = uniform(g, 2);
        t[i] = 300.0 * (double)g / (double)m;
        temp[i] = 4.0 * (1 - exp(-t[i] / 4.0)) + 3.0 * (1 - exp(-t[i] / 250.0)) +
                  0.3 * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
    }
    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_terms_options to;
    clbfgs_terms_options_init(&to);
    to.name = "climate.cl";
    to.args = "__global const real *t, __global const real *temp, const real s";
    to.least_squares = 1;
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.precision = CLBFGS_PRECISION_DOUBLE;
    double x0[4] = {1.0, 0.0, 1.0, log(50.0)};
    if (clbfgs_mpi_context_new(&ctx, MPI_COMM_WORLD, NULL) != CLBFGS_SUCCESS ||
        clbfgs_objective_terms(&obj, source, "two_layer", mr, &to) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(obj, 0, t, mr) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(obj, 1, temp, mr) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_real(obj, 2, 1 / sqrt((double)m)) != CLBFGS_SUCCESS) {
        fprintf(stderr, "rank %d: %s\n", rank, clbfgs_last_error());
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    double *per_eval = calloc((size_t)repeat, sizeof *per_eval);
    double *reduce_max = calloc((size_t)repeat, sizeof *reduce_max);
    double *reduce_min = calloc((size_t)repeat, sizeof *reduce_min);
    size_t nfev = 0, nit = 0;
    int status = 0;
    double fun = 0;
    for (int r = -1; r < repeat; r++) { /* r = -1 compiles the kernels */
        clbfgs_result res;
        clbfgs_mpi_info info;
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        clbfgs_status st = clbfgs_mpi_minimize(MPI_COMM_WORLD, ctx, obj, 4, x0, &o, &res, &info);
        double wall = MPI_Wtime() - t0;
        if (st != CLBFGS_SUCCESS) {
            fprintf(stderr, "rank %d: %s\n", rank, clbfgs_last_error());
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        if (r >= 0) {
            double mine = info.reduce_seconds / (double)res.nfev, hi, low;
            MPI_Allreduce(&mine, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            MPI_Allreduce(&mine, &low, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
            per_eval[r] = wall / (double)res.nfev;
            reduce_max[r] = hi;
            reduce_min[r] = low;
            nfev = res.nfev;
            nit = res.nit;
            status = res.status;
            fun = res.fun;
        }
        clbfgs_result_free(&res);
    }
    /* the Allreduce alone */
    double buf[7] = {0};
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int c = 0; c < calls; c++)
        MPI_Allreduce(MPI_IN_PLACE, buf, 7, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double latency = (MPI_Wtime() - t0) / calls;
    qsort(per_eval, (size_t)repeat, sizeof *per_eval, cmp);
    qsort(reduce_max, (size_t)repeat, sizeof *reduce_max, cmp);
    qsort(reduce_min, (size_t)repeat, sizeof *reduce_min, cmp);
    if (rank == 0) {
        clbfgs_device_info dev;
        clbfgs_context_device(ctx, &dev);
        printf("{\"ranks\": %d, \"m_per_rank\": %zu, \"m\": %zu, \"n\": 4, \"status\": %d, "
               "\"nit\": %zu, \"nfev\": %zu, \"fun\": %.17g, \"runs\": %d, "
               "\"seconds_per_evaluation\": %.9g, \"allreduce_seconds_per_evaluation_max_over_ranks\": "
               "%.9g, \"allreduce_seconds_per_evaluation_min_over_ranks\": %.9g, "
               "\"allreduce_latency_seconds\": %.9g, \"allreduce_bytes\": %zu, \"device\": \"%s\"}\n",
               size, mr, m, status, nit, nfev, fun, repeat, per_eval[repeat / 2],
               reduce_max[repeat / 2], reduce_min[repeat / 2], latency, 7 * sizeof(double),
               dev.name);
    }
    free(per_eval);
    free(reduce_max);
    free(reduce_min);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    free(source);
    free(t);
    free(temp);
    MPI_Finalize();
    return 0;
}
