/* The host solve: clbfgs_minimize's whole BFGS run on the host, for a host
 * objective of small n (driver.c chooses it; HOST_SOLVE_MAX_N).
 *
 * A host objective's every evaluation crosses to the host anyway (x up, f
 * and g down), and at small n the device's O(n^2) work is microseconds:
 * what a device run costs there is its round trips, several per
 * evaluation, each tens of microseconds on pocl. So the whole iteration
 * runs here, in double, and touches no device: SciPy's BFGS as the
 * one-kernel solve (cl/batch.cl) and the host-driven run have it -- the same
 * tests in the same order, the same line search (cl/linesearch.cl, compiled
 * here as C), the same first trial step, update and skip rule -- with H
 * updated where SciPy updates it, after the tests, so that hess_inv is
 * SciPy's H whatever stopped the run, and the direction -H g from it. */
#include "config.h"

#include "host_solve.h"
#include "internal.h"
#include "linesearch.h"
#include "objective_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SciPy's vecnorm (cl/norms.cl, compiled here as C over doubles) */
typedef double real;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../cl/norms.cl"
#pragma GCC diagnostic pop

static double vec_norm(const double *v, size_t n, double ord)
{
    double acc = clbfgs_norm_start(ord);
    for (size_t i = 0; i < n; i++)
        acc = clbfgs_norm_add(acc, v[i], ord);
    return clbfgs_norm_final(acc, ord);
}

struct host_solve {
    clbfgs_host_fn fn;
    void *user;
    size_t n, nfev;
    double *x, *g, *xt, *gt, *p, *s, *y, *u, *H;
};

static clbfgs_status eval(struct host_solve *h, const double *x, double *f, double *g)
{
    h->nfev++;
    return clbfgs__host_call(h->fn, h->user, x, h->n, f, g, h->nfev);
}

int clbfgs__host_solve_fits(const clbfgs_objective *objective, size_t n,
                            const clbfgs_options *o, clbfgs_precision precision)
{
    clbfgs_host_fn fn;
    void *user;
    return o->single_kernel == 0 && o->method == CLBFGS_METHOD_BFGS &&
           (precision == CLBFGS_PRECISION_DOUBLE || o->precision == CLBFGS_PRECISION_AUTO) &&
           n <= HOST_SOLVE_MAX_N && !objective->reduce &&
           clbfgs__objective_host_fn(objective, &fn, &user);
}

clbfgs_status clbfgs__host_solve(const clbfgs_objective *objective, size_t n, const double *x0,
                                 const clbfgs_options *o, clbfgs_result *r)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    struct host_solve h = {0};
    clbfgs__objective_host_fn(objective, &h.fn, &h.user);
    h.n = n;
    double t0 = clbfgs__now();
    r->n = n;
    r->precision = CLBFGS_PRECISION_DOUBLE;
    r->x = malloc(n * sizeof(double));
    r->jac = malloc(n * sizeof(double));
    if (!r->x || !r->jac) {
        clbfgs_result_free(r); /* as driver.c's result_at_x0: no arrays */
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the result's x and jac (n = %zu)", n);
    }
    memcpy(r->x, x0, n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        r->jac[i] = (double)NAN;
    r->fun = (double)NAN;
    double *block = malloc((8 * n + n * n) * sizeof(double));
    if (!block)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the host solve's vectors (n = %zu)",
                            n);
    h.x = block;
    h.g = h.x + n;
    h.xt = h.g + n;
    h.gt = h.xt + n;
    h.p = h.gt + n;
    h.s = h.p + n;
    h.y = h.s + n;
    h.u = h.y + n;
    h.H = h.u + n;
    memcpy(h.x, x0, n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            h.H[i * n + j] = o->hess_inv0 ? o->hess_inv0[i * n + j] : (i == j ? 1.0 : 0.0);

    const double ord = o->norm;
    const size_t maxiter = o->maxiter ? o->maxiter : 200 * n;
    clbfgs_ls_params lsp = {o->c1, o->c2, 1e-100, 1e100, 1e-14};
    size_t k = 0, skipped = 0;
    int warn = 0, evaluated = 0;
    double f, t_ls = 0, t_h = 0, t_cb = 0;
    CLBFGS_TRY(eval(&h, h.x, &f, h.g));
    evaluated = 1;
    double gnorm = vec_norm(h.g, n, ord), gg = 0;
    for (size_t i = 0; i < n; i++)
        gg += fabs(h.g[i]) * fabs(h.g[i]);
    if (!isfinite(f) || !isfinite(gnorm))
        warn = 3;
    double old_f = f + sqrt(gg) / 2; /* SciPy's old_old_fval */
    r->time.setup = clbfgs__now() - t0;

    while (warn == 0 && gnorm > o->gtol && k < maxiter) {
        double th = clbfgs__now(), gp = 0, pp = 0;
        for (size_t i = 0; i < n; i++) {
            double acc = 0;
            for (size_t j = 0; j < n; j++)
                acc += h.H[i * n + j] * h.g[j];
            h.p[i] = -acc;
            gp += h.g[i] * h.p[i];
            pp += fabs(h.p[i]) * fabs(h.p[i]);
        }
        double tl = clbfgs__now();
        t_h += tl - th;
        clbfgs_ls ls;
        clbfgs_ls_outcome out =
            clbfgs__ls_begin(&ls, f, gp, clbfgs__ls_first_step(f, gp, old_f), &lsp);
        double last = (double)NAN;
        while (out == CLBFGS_LS_EVAL) {
            last = ls.trial;
            for (size_t i = 0; i < n; i++)
                h.xt[i] = h.x[i] + last * h.p[i];
            double ft, d = 0;
            CLBFGS_TRY(eval(&h, h.xt, &ft, h.gt));
            for (size_t i = 0; i < n; i++)
                d += h.gt[i] * h.p[i];
            out = clbfgs__ls_next(&ls, ft, d);
        }
        if (out != CLBFGS_LS_OK) {
            t_ls += clbfgs__now() - tl;
            warn = 2;
            break;
        }
        if (!(last == ls.alpha)) { /* xt and gt must hold the accepted point */
            double ft;
            for (size_t i = 0; i < n; i++)
                h.xt[i] = h.x[i] + ls.alpha * h.p[i];
            CLBFGS_TRY(eval(&h, h.xt, &ft, h.gt));
        }
        double tu = clbfgs__now();
        t_ls += tu - tl;
        const double alpha = ls.alpha;
        old_f = f;
        f = ls.phi;
        k++;
        double xx = 0;
        for (size_t i = 0; i < n; i++) {
            h.s[i] = alpha * h.p[i];
            h.y[i] = h.gt[i] - h.g[i];
            h.x[i] = h.xt[i];
            h.g[i] = h.gt[i];
            xx += fabs(h.x[i]) * fabs(h.x[i]);
        }
        gnorm = vec_norm(h.g, n, ord);
        const double step = alpha * sqrt(pp);
        t_h += clbfgs__now() - tu;
        if (o->callback) {
            double tc = clbfgs__now();
            clbfgs_iterate it = {k, f, gnorm, step, h.nfev, h.x, n};
            int halt;
            status = clbfgs__iteration_callback(o, &it, &halt);
            t_cb += clbfgs__now() - tc;
            if (status != CLBFGS_SUCCESS)
                goto cleanup;
            if (halt) {
                warn = 99;
                break;
            }
        }
        /* SciPy's tests after a step, in its order */
        const double xbound = o->xrtol > 0 ? o->xrtol * (o->xrtol + sqrt(xx)) : 0;
        if (gnorm <= o->gtol || step <= xbound)
            break;
        if (!isfinite(f)) {
            warn = 2;
            break;
        }
        /* the update, made only when y.s > 0: H += a (u s' + s u') + b s s'
         * with u = H y, a = -rho, b = rho^2 y'u + rho */
        tu = clbfgs__now();
        double ys = 0, yu = 0;
        for (size_t i = 0; i < n; i++) {
            double acc = 0;
            for (size_t j = 0; j < n; j++)
                acc += h.H[i * n + j] * h.y[j];
            h.u[i] = acc;
            ys += h.y[i] * h.s[i];
        }
        for (size_t i = 0; i < n; i++)
            yu += h.y[i] * h.u[i];
        if (ys > 0 && isfinite(ys)) {
            const double rho = 1 / ys, a = -rho, b = rho * rho * yu + rho;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    h.H[i * n + j] +=
                        a * (h.u[i] * h.s[j] + h.s[i] * h.u[j]) + b * (h.s[i] * h.s[j]);
        } else {
            skipped++;
        }
        t_h += clbfgs__now() - tu;
    }
    /* the status, as SciPy sets it after its loop */
    if (warn == 0 && k >= maxiter)
        warn = 1;
    if (warn == 0) {
        int nan = isnan(gnorm) || isnan(f);
        for (size_t i = 0; i < n; i++)
            nan |= isnan(h.x[i]);
        if (nan)
            warn = 3;
    }
    if (o->return_hess_inv) {
        r->hess_inv = malloc(n * n * sizeof(double));
        if (!r->hess_inv) {
            status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the result's hess_inv (n = %zu)",
                                  n);
            goto cleanup;
        }
        memcpy(r->hess_inv, h.H, n * n * sizeof(double));
    }
    r->status = warn;
    r->success = warn == 0;
    snprintf(r->message, sizeof r->message, "%s", clbfgs_status_message(warn));
cleanup:
    /* the best point reached (the last accepted), also after an error */
    if (evaluated) {
        memcpy(r->x, h.x, n * sizeof(double));
        memcpy(r->jac, h.g, n * sizeof(double));
        r->fun = f;
    }
    r->nit = k;
    r->nfev = r->njev = h.nfev;
    r->skipped_updates = skipped;
    r->time.line_search = t_ls;
    r->time.hessian = t_h;
    r->time.callback = t_cb;
    free(block);
    return status;
}
