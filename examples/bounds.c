/* L-BFGS-B: a million variables and a box. Extended Rosenbrock with the
 * even-numbered coordinates held at or below 0.5, which cuts off its
 * minimum at (1, 1, ...): the answer is every pair at (0.5, 0.25), f = n / 8,
 * with half the bounds active. Dense BFGS would need n^2 reals for H (8 TB
 * here); L-BFGS-B keeps 10 pairs of n-vectors on the device.
 *
 *     examples/bounds [--n N]      (N even; default 1000000)
 *
 * Build after `make install`:  cc bounds.c $(pkg-config --cflags --libs clbfgs) -lm */
#include <clbfgs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    size_t n = 1000000;
    if (argc == 3 && strcmp(argv[1], "--n") == 0)
        n = strtoul(argv[2], NULL, 10);
    if (n < 2 || n % 2) {
        fprintf(stderr, "usage: bounds [--n N], N even and at least 2\n");
        return 2;
    }
    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_result res = {0};
    double *x0 = malloc(n * sizeof *x0), *upper = malloc(n * sizeof *upper);
    int rc = 1;
    if (!x0 || !upper) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        x0[i] = i % 2 ? 1.0 : -1.2;                  /* the usual start */
        upper[i] = i % 2 ? (double)INFINITY : 0.5; /* no bound on the odd ones */
    }
    clbfgs_options o;
    clbfgs_options_init(&o);
    o.method = CLBFGS_METHOD_LBFGSB; /* m = 10 pairs, SciPy's tests and defaults */
    o.upper = upper;                 /* lower: NULL, none */
    if (clbfgs_context_new(&ctx, NULL) != CLBFGS_SUCCESS ||
        clbfgs_objective_builtin(&obj, "ext-rosenbrock") != CLBFGS_SUCCESS ||
        clbfgs_minimize(ctx, obj, n, x0, &o, &res) != CLBFGS_SUCCESS) {
        fprintf(stderr, "clbfgs: %s\n", clbfgs_last_error());
        goto done;
    }
    size_t active = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        active += i % 2 == 0 && res.x[i] == 0.5;
        double want = i % 2 ? 0.25 : 0.5;
        worst = fmax(worst, fabs(res.x[i] - want));
    }
    printf("%s\n", res.message);
    printf("n = %zu: f = %.10g (n/8 = %g) after %zu iterations, %zu evaluations, %.2f s\n", n,
           res.fun, n / 8.0, res.nit, res.nfev, res.time.total);
    printf("bounds active at the answer: %zu of %zu; largest |x - (0.5, 0.25, ...)| = %.2e\n",
           active, n / 2, worst);
    rc = res.success && active == n / 2 && worst < 1e-6 ? 0 : 1;
done:
    clbfgs_result_free(&res);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    free(x0);
    free(upper);
    return rc;
}
