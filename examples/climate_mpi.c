/* The climate calibration of climate.c across MPI ranks: the two-layer
 * energy balance model (examples/climate.cl) fitted to one long record of
 * noisy global mean temperatures, each rank holding only its own stretch
 * of the record on its own device. The ranks run the same iteration; after
 * every evaluation one MPI_Allreduce adds up their shares of f and the
 * gradient (libclbfgs-mpi, include/clbfgs_mpi.h).
 *
 *   mpirun -n K examples/climate_mpi [--m-per-rank M]
 *
 * (in a container: mpirun --allow-run-as-root --oversubscribe -n K ..., and
 * OMPI_MCA_btl_vader_single_copy_mechanism=none in the environment). Each
 * rank makes its own rows of the record from their global index, so the
 * record is the same however many ranks share it. Exits 1 unless the fit
 * recovers the parameters the record came from.
 * Build after `make install` (configured --with-mpi):
 *   mpicc climate_mpi.c $(pkg-config --cflags --libs clbfgs-mpi) -lm */
#include <clbfgs_mpi.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "."
#endif

/* the record's truth: fast and slow response (K) and timescales (years) */
#define S_FAST 4.0
#define TAU_FAST 4.0
#define S_SLOW 3.0
#define TAU_SLOW 250.0
#define NOISE 0.3
#define YEARS 300.0

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)len + 1))) {
        if (fread(s, 1, (size_t)len, f) == (size_t)len)
            s[len] = '\0';
        else
            free(s), s = NULL;
    }
    fclose(f);
    return s;
}

/* a uniform number in (0, 1) from sample i's global index (splitmix64) */
static double uniform(uint64_t i, uint64_t salt)
{
    uint64_t z = i * 0x9E3779B97F4A7C15ULL + salt;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, rc = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    size_t per_rank = 250000;
    if (argc == 3 && strcmp(argv[1], "--m-per-rank") == 0)
        per_rank = strtoull(argv[2], NULL, 10);
    size_t m = per_rank * (size_t)size, lo = per_rank * (size_t)rank;

    /* this rank's stretch of the record: samples lo .. lo + per_rank */
    double *t = malloc(per_rank * sizeof *t), *temp = malloc(per_rank * sizeof *temp);
    char *source = read_file(EXAMPLES_DIR "/climate.cl");
    if (!t || !temp || !source || per_rank == 0) {
        fprintf(stderr, "rank %d: cannot read climate.cl, or out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1); /* before any collective: nothing else is safe */
    }
    for (size_t i = 0; i < per_rank; i++) {
        uint64_t g = lo + i;
        double u1 = uniform(g, 1), u2 = uniform(g, 2);
        t[i] = YEARS * (double)g / (double)m;
        temp[i] = S_FAST * (1 - exp(-t[i] / TAU_FAST)) + S_SLOW * (1 - exp(-t[i] / TAU_SLOW)) +
                  NOISE * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
    }

    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_result res;
    memset(&res, 0, sizeof res);
    clbfgs_mpi_info info;
    clbfgs_terms_options to;
    clbfgs_terms_options_init(&to);
    to.name = "climate.cl";
    to.args = "__global const real *t, __global const real *temp, const real s";
    to.least_squares = 1;
    double x0[4] = {1.0, 0.0, 1.0, log(50.0)};
    /* a device per rank (the node's GPUs in turn, else its devices); the
     * objective is this rank's share: s = 1/sqrt(m) over the whole record */
    clbfgs_status st = clbfgs_mpi_context_new(&ctx, MPI_COMM_WORLD, NULL);
    if (st == CLBFGS_SUCCESS)
        st = clbfgs_objective_terms(&obj, source, "two_layer", per_rank, &to);
    if (st == CLBFGS_SUCCESS)
        st = clbfgs_objective_set_arg_reals(obj, 0, t, per_rank);
    if (st == CLBFGS_SUCCESS)
        st = clbfgs_objective_set_arg_reals(obj, 1, temp, per_rank);
    if (st == CLBFGS_SUCCESS)
        st = clbfgs_objective_set_arg_real(obj, 2, 1 / sqrt((double)m));
    /* a setup that failed on one rank stops them all before the run */
    int failed = st != CLBFGS_SUCCESS, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any) {
        fprintf(stderr, "rank %d: %s\n", rank,
                failed ? clbfgs_last_error() : "the setup failed on another rank");
        goto done;
    }
    /* collective: errors anywhere (an evaluation, a device) end it on every rank */
    st = clbfgs_mpi_minimize(MPI_COMM_WORLD, ctx, obj, 4, x0, NULL, &res, &info);
    if (st != CLBFGS_SUCCESS) {
        fprintf(stderr, "rank %d: %s\n", rank, clbfgs_last_error());
    } else if (rank == 0) {
        double fit[4] = {res.x[0], exp(res.x[1]), res.x[2], exp(res.x[3])};
        double truth[4] = {S_FAST, TAU_FAST, S_SLOW, TAU_SLOW};
        printf("two-layer fit to %zu samples on %d ranks: %s\n", m, size, res.message);
        printf("  nit %zu, nfev %zu, f = %.9g, %.3f s; %zu Allreduces of %zu bytes, %.3f s in "
               "them\n",
               res.nit, res.nfev, res.fun, res.time.total, info.reductions,
               info.bytes_per_reduce, info.reduce_seconds);
        rc = 0;
        for (int j = 0; j < 4; j++) {
            double err = fabs(fit[j] - truth[j]) / truth[j];
            printf("  parameter %d: %9.4f, true %9.4f (%.2f%%)\n", j, fit[j], truth[j], 100 * err);
            rc |= err > 0.05;
        }
    } else {
        rc = 0;
    }
done:
    clbfgs_result_free(&res);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    free(source);
    free(t);
    free(temp);
    MPI_Finalize();
    return rc;
}
