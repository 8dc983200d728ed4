/* An objective written on the host, the SciPy habit: f and its gradient in
 * plain C. x comes up and g goes down each evaluation; the O(n^2) BFGS work
 * stays on the device. Here: a least-squares fit of y = a exp(-b t) + c. */
#include <clbfgs.h>
#include <math.h>
#include <stdio.h>

#define M 50

struct data {
    double t[M], y[M];
};

/* f and g of the fit; 0 for success (non-zero would stop the run). */
static int residuals(void *user, const double *x, size_t n, double *fx, double *g)
{
    const struct data *d = user;
    double f = 0;
    (void)n;
    g[0] = g[1] = g[2] = 0;
    for (int i = 0; i < M; i++) {
        double e = exp(-x[1] * d->t[i]);
        double r = x[0] * e + x[2] - d->y[i];
        f += 0.5 * r * r;
        g[0] += r * e;
        g[1] += r * (-x[0] * d->t[i] * e);
        g[2] += r;
    }
    *fx = f;
    return 0;
}

int main(void)
{
    struct data d;
    for (int i = 0; i < M; i++) {
        d.t[i] = 0.1 * i;
        d.y[i] = 2.5 * exp(-1.3 * d.t[i]) + 0.5 + 0.01 * sin(7.0 * i); /* a little "noise" */
    }
    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_result res = {0};
    double x0[3] = {1, 1, 0};
    int rc = 1;
    if (clbfgs_context_new(&ctx, NULL) != CLBFGS_SUCCESS ||
        clbfgs_objective_host(&obj, residuals, &d) != CLBFGS_SUCCESS ||
        clbfgs_minimize(ctx, obj, 3, x0, NULL, &res) != CLBFGS_SUCCESS) {
        fprintf(stderr, "clbfgs: %s\n", clbfgs_last_error());
    } else {
        printf("%s\na = %.4f, b = %.4f, c = %.4f (data made with 2.5, 1.3, 0.5)\n", res.message,
               res.x[0], res.x[1], res.x[2]);
        rc = res.success ? 0 : 1;
    }
    clbfgs_result_free(&res);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    return rc;
}
