/* Many small fits in one run: a 2-D Gaussian spot (amplitude, centre,
 * width, background: n = 5) fitted to each of P small noisy images, as a
 * microscope or a telescope makes them by the thousand, through
 * clbfgs_minimize_batch. The images are made here from known parameters
 * (examples/spots_images.h), so each fit can be checked against them.
 *
 * The objective is a least-squares term objective over one image's pixels
 * (examples/spots.cl gives one pixel's residual and its gradient); the
 * images are one data argument with a block of pixels per problem
 * (clbfgs_objective_set_arg_per_problem), and every fit starts from the
 * image's moments.
 *
 *   examples/spots [--P P] [--seed S] [CL_FILE]
 *
 * P is 100000 unless given. Prints the fits per second, how many fits
 * converged and how many recovered their true parameters: all five within
 * three standard errors, the errors estimated from the fit itself (the
 * Gauss-Newton covariance (J^T J)^-1, the noise's standard deviation being
 * 1). Were the errors normal, at least 0.9973^5 = 98.65% of the fits would
 * (Sidak's inequality holds whatever their correlation). Exits 1 unless 99%
 * converged and 95% recovered.
 * Build after `make install`:  cc spots.c $(pkg-config --cflags --libs clbfgs) -lm */
#include <clbfgs.h>

#include "spots_images.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "."
#endif

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

/* The standard errors of a fit x to image: the square roots of the
 * diagonal of (J^T J)^-1, J the residuals' Jacobian there (as spots.cl
 * computes it). 0 when J^T J is not positive definite. */
static int standard_errors(const double x[SPOTS_N], double se[SPOTS_N])
{
    double a[SPOTS_N][SPOTS_N] = {{0}};
    const double w = exp(-2 * x[3]);
    for (int i = 0; i < SPOTS_PIXELS; i++) {
        const double du = i % SPOTS_SIDE - x[1], dv = i / SPOTS_SIDE - x[2];
        const double r2 = du * du + dv * dv, e = exp(-0.5 * r2 * w), ae = x[0] * e * w;
        const double j[SPOTS_N] = {e, ae * du, ae * dv, ae * r2, 1};
        for (int r = 0; r < SPOTS_N; r++)
            for (int c = 0; c <= r; c++)
                a[r][c] += j[r] * j[c];
    }
    /* Cholesky, J^T J = L L^T, in the lower triangle */
    for (int c = 0; c < SPOTS_N; c++) {
        for (int k = 0; k < c; k++)
            a[c][c] -= a[c][k] * a[c][k];
        if (!(a[c][c] > 0))
            return 0;
        a[c][c] = sqrt(a[c][c]);
        for (int r = c + 1; r < SPOTS_N; r++) {
            for (int k = 0; k < c; k++)
                a[r][c] -= a[r][k] * a[c][k];
            a[r][c] /= a[c][c];
        }
    }
    /* (L L^T)^-1_jj = |L^-1 e_j|^2: solve L y = e_j */
    for (int j = 0; j < SPOTS_N; j++) {
        double y[SPOTS_N] = {0}, sum = 0;
        for (int r = j; r < SPOTS_N; r++) {
            double t = r == j ? 1 : 0;
            for (int k = j; k < r; k++)
                t -= a[r][k] * y[k];
            y[r] = t / a[r][r];
            sum += y[r] * y[r];
        }
        se[j] = sqrt(sum);
    }
    return 1;
}

int main(int argc, char **argv)
{
    size_t P = 100000;
    uint64_t seed = 2026;
    const char *path = EXAMPLES_DIR "/spots.cl";
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--P") == 0 && k + 1 < argc)
            P = strtoull(argv[++k], NULL, 10);
        else if (strcmp(argv[k], "--seed") == 0 && k + 1 < argc)
            seed = strtoull(argv[++k], NULL, 10);
        else
            path = argv[k];
    }
    if (P == 0) {
        fprintf(stderr, "spots: --P takes a number of images, at least 1\n");
        return 1;
    }
    char *source = read_file(path);
    double *truth = malloc(P * SPOTS_N * sizeof *truth);
    double *images = malloc(P * SPOTS_PIXELS * sizeof *images);
    double *x0 = malloc(P * SPOTS_N * sizeof *x0);
    if (!source || !truth || !images || !x0) {
        fprintf(stderr, "spots: cannot read %s, or out of memory for %zu images\n", path, P);
        return 1;
    }
    for (size_t p = 0; p < P; p++)
        spots_problem(seed, p, truth + p * SPOTS_N, images + p * SPOTS_PIXELS, x0 + p * SPOTS_N);

    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_batch_result res;
    memset(&res, 0, sizeof res);
    int rc = 1;
    char defines[32];
    snprintf(defines, sizeof defines, "-DSPOT_SIDE=%d", SPOTS_SIDE);
    clbfgs_terms_options to;
    clbfgs_terms_options_init(&to);
    to.name = path;
    to.args = "__global const real *image";
    to.least_squares = 1; /* f = 1/2 chi-square, g = J^T r */
    to.build_options = defines;
    if (clbfgs_context_new(&ctx, NULL) != CLBFGS_SUCCESS ||
        clbfgs_objective_terms(&obj, source, "spot", SPOTS_PIXELS, &to) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(obj, 0, images, P * SPOTS_PIXELS) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_per_problem(obj, 0, SPOTS_PIXELS) != CLBFGS_SUCCESS ||
        clbfgs_minimize_batch(ctx, obj, SPOTS_N, P, x0, NULL, &res) != CLBFGS_SUCCESS) {
        fprintf(stderr, "spots: %s\n", clbfgs_last_error());
        goto done;
    }

    size_t recovered = 0, by_status[4] = {0}, other = 0;
    for (size_t p = 0; p < P; p++) {
        const double *x = res.x + p * SPOTS_N, *t = truth + p * SPOTS_N;
        double se[SPOTS_N];
        if (res.status[p] >= 0 && res.status[p] < 4)
            by_status[res.status[p]]++;
        else
            other++;
        int near = standard_errors(x, se);
        for (int j = 0; j < SPOTS_N && near; j++)
            near = fabs(x[j] - t[j]) <= 3 * se[j];
        recovered += near;
    }
    printf("%zu fits of a 2-D Gaussian spot (n = %d) to %dx%d images with noise, %s precision\n", P,
           SPOTS_N, SPOTS_SIDE, SPOTS_SIDE,
           res.precision == CLBFGS_PRECISION_FLOAT ? "float" : "double");
    printf("  time:       %.3f s (setup %.3f s): %.0f fits/s; %zu at once, H in %s memory\n",
           res.total, res.setup, (double)P / res.total, res.work_items,
           res.local_hessian ? "local" : "global");
    printf("  converged:  %zu of %zu\n", res.converged, P);
    for (int s = 1; s < 4; s++)
        if (by_status[s])
            printf("  status %d:   %zu (%s)\n", s, by_status[s], clbfgs_status_message(s));
    if (other)
        printf("  other:      %zu with another status\n", other);
    printf("  recovered:  %zu of %zu (%.2f%%) within 3 standard errors in all five parameters\n",
           recovered, P, 100.0 * (double)recovered / (double)P);
    const double *x = res.x, *t = truth;
    printf("  problem 0:  A %.2f (true %.2f), centre (%.3f, %.3f) (true (%.3f, %.3f)), "
           "width %.3f (true %.3f), background %.2f (true %.2f), %s\n",
           x[0], t[0], x[1], x[2], t[1], t[2], exp(x[3]), exp(t[3]), x[4], t[4],
           clbfgs_status_message(res.status[0]));
    rc = res.converged >= P - P / 100 && recovered >= P - P / 20 ? 0 : 1;
    if (rc)
        fprintf(stderr, "spots: too few fits converged or recovered their parameters\n");
done:
    clbfgs_batch_result_free(&res);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    free(source);
    free(truth);
    free(images);
    free(x0);
    return rc;
}
