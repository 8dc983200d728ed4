/* Calibrating a climate model's response against a long observation
 * record: the two-layer energy balance model's answer to an abrupt step in
 * forcing (examples/climate.cl), four parameters, fitted to 10^6 noisy
 * samples of global mean temperature over 300 years. The record is made
 * here from known parameters, so the fit can be checked against them.
 *
 * The term objective sums the squared misfit over the samples on the
 * device: the library writes the kernels that add up f and the gradient;
 * climate.cl only says what one sample contributes.
 *
 *   examples/climate [--m M] [--write-npy DIR] [CL_FILE]
 *
 * --write-npy DIR also saves the record as DIR/t.npy and DIR/temp.npy, for
 * the same fit from the command line:
 *
 *   tools/clbfgs minimize --terms examples/climate.cl --function two_layer \
 *       --data DIR/t.npy --data DIR/temp.npy --arg real:0.001 --least-squares \
 *       --x0 1,0,1,3.9
 *
 * (--arg real:0.001 is s = 1/sqrt(m) for m = 10^6.) Exits 1 unless the fit
 * recovers the parameters the record came from.
 * Build after `make install`:  cc climate.c $(pkg-config --cflags --libs clbfgs) -lm */
#include <clbfgs.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "."
#endif

/* The truth: fast and slow equilibrium warming (K) and timescales (years). */
static const double S_FAST = 1.9, TAU_FAST = 4.2, S_SLOW = 2.6, TAU_SLOW = 180.0;
static const double NOISE = 0.15; /* K: internal variability, as white noise */
static const double YEARS = 300.0;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (text && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
    } else {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

/* A standard normal deviate (Box-Muller) from rand(). */
static double normal(void)
{
    double u = (rand() + 1.0) / ((double)RAND_MAX + 2.0), v = rand() / ((double)RAND_MAX + 1.0);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* NumPy's .npy format, version 1.0: a float64 vector. */
static int write_npy(const char *dir, const char *name, const double *v, size_t count)
{
    char path[4096], header[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int len = snprintf(header, sizeof header,
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu,), }", count);
    int total = (10 + len + 1 + 63) / 64 * 64; /* magic, version, length, header, '\n' */
    unsigned short hlen = (unsigned short)(total - 10);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fputs(header, f);
    for (int k = 10 + len; k < total - 1; k++)
        fputc(' ', f);
    fputc('\n', f);
    size_t wrote = fwrite(v, sizeof *v, count, f);
    return fclose(f) == 0 && wrote == count ? 0 : -1;
}

int main(int argc, char **argv)
{
    size_t m = 1000000;
    const char *path = EXAMPLES_DIR "/climate.cl", *npy_dir = NULL;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--m") == 0 && k + 1 < argc)
            m = strtoull(argv[++k], NULL, 10);
        else if (strcmp(argv[k], "--write-npy") == 0 && k + 1 < argc)
            npy_dir = argv[++k];
        else
            path = argv[k];
    }
    char *source = read_file(path);
    double *t = malloc(m * sizeof *t), *temp = malloc(m * sizeof *temp);
    if (!source || !t || !temp || m < 100) {
        fprintf(stderr, "climate: cannot read %s, or m < 100, or out of memory\n", path);
        return 1;
    }

    /* the record: the model's response at the true parameters, plus noise */
    srand(2026);
    for (size_t i = 0; i < m; i++) {
        t[i] = YEARS * (double)i / (double)m;
        temp[i] = S_FAST * (1 - exp(-t[i] / TAU_FAST)) + S_SLOW * (1 - exp(-t[i] / TAU_SLOW)) +
                  NOISE * normal();
    }
    if (npy_dir && (write_npy(npy_dir, "t.npy", t, m) || write_npy(npy_dir, "temp.npy", temp, m))) {
        fprintf(stderr, "climate: cannot write the record into %s\n", npy_dir);
        return 1;
    }

    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_result res;
    memset(&res, 0, sizeof res);
    int rc = 1;
    clbfgs_terms_options to;
    clbfgs_terms_options_init(&to);
    to.name = path;
    to.args = "__global const real *t, __global const real *temp, const real s";
    to.least_squares = 1; /* f = 1/2 sum r^2, g = J^T r */
    /* a first guess a modeller might start from: 1 K each, 1 and 50 years */
    double x0[4] = {1.0, 0.0, 1.0, log(50.0)};
    if (clbfgs_context_new(&ctx, NULL) != CLBFGS_SUCCESS ||
        clbfgs_objective_terms(&obj, source, "two_layer", m, &to) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(obj, 0, t, m) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(obj, 1, temp, m) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_real(obj, 2, 1 / sqrt((double)m)) != CLBFGS_SUCCESS ||
        clbfgs_minimize(ctx, obj, 4, x0, NULL, &res) != CLBFGS_SUCCESS) {
        fprintf(stderr, "climate: %s\n", clbfgs_last_error());
        goto done;
    }
    double fit[4] = {res.x[0], exp(res.x[1]), res.x[2], exp(res.x[3])};
    double truth[4] = {S_FAST, TAU_FAST, S_SLOW, TAU_SLOW};
    const char *names[4] = {"S_fast (K)", "tau_fast (yr)", "S_slow (K)", "tau_slow (yr)"};
    printf("two-layer fit to %zu samples: %s\n", m, res.message);
    printf("  nit %zu, nfev %zu, f = %.9g (noise alone: %.9g), %.3f s\n", res.nit, res.nfev,
           res.fun, NOISE * NOISE / 2, res.time.total);
    int recovered = res.success;
    for (int j = 0; j < 4; j++) {
        double err = fabs(fit[j] - truth[j]) / truth[j];
        printf("  %-14s %9.4f   true %9.4f   (%.2f%%)\n", names[j], fit[j], truth[j], 100 * err);
        recovered &= err < 0.05; /* the noise allows far less at m = 10^6 */
    }
    printf("  equilibrium warming S_fast + S_slow = %.3f K (true %.3f K)\n", fit[0] + fit[2],
           S_FAST + S_SLOW);
    rc = recovered ? 0 : 1;
    if (!recovered)
        fprintf(stderr, "climate: the fit did not recover the parameters\n");
done:
    clbfgs_result_free(&res);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    free(source);
    free(t);
    free(temp);
    return rc;
}
