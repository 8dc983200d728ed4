/* The host callback objective: x is read back to the host, the caller's
 * function fills f and the gradient there, and both go back to the device,
 * f into SLOT_F so that every kind reads back the same way. The only kind
 * whose every evaluation waits for the device. */
#include "config.h"

#include "objective_internal.h"

#include <math.h>
#include <stdlib.h>

struct host {
    clbfgs_host_fn fn;
    void *user;
};

/* One run's host copies of x and g, n each. */
struct host_run {
    double *x, *g;
};

static clbfgs_status host_prepare(clbfgs_eval *ev, double eps)
{
    (void)eps;
    struct host_run *run = ev->state;
    size_t n = ev->n;
    run->x = malloc(n * sizeof(double));
    run->g = malloc(n * sizeof(double));
    if (!run->x || !run->g)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "host copies of x and g (n = %zu)", n);
    return CLBFGS_SUCCESS;
}

static void host_release(clbfgs_eval *ev)
{
    struct host_run *run = ev->state;
    free(run->x);
    free(run->g);
}

clbfgs_status clbfgs__host_call(clbfgs_host_fn fn, void *user, const double *x, size_t n,
                                double *f, double *g, size_t evaluation)
{
    for (size_t i = 0; i < n; i++)
        g[i] = (double)NAN; /* poison: a callback that skips g is caught */
    *f = (double)NAN;
    clbfgs__callback_begin();
    int rc = fn(user, x, n, f, g);
    return clbfgs__objective_callback_result("host", rc, evaluation);
}

static clbfgs_status host_eval(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f_)
{
    (void)f_;
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct host *h = ev->objective->data;
    struct host_run *run = ev->state;
    CLBFGS_TRY(clbfgs__exec_read_reals(ev->exec, x, 0, run->x, ev->n));
    double f;
    CLBFGS_TRY(clbfgs__host_call(h->fn, h->user, run->x, ev->n, &f, run->g, ev->nfev));
    CLBFGS_TRY(clbfgs__exec_write_reals(ev->exec, g, 0, run->g, ev->n));
    /* f goes through the device so every kind reads back the same way. */
    CLBFGS_TRY(clbfgs__exec_write_reals(ev->exec, ev->exec->scalars, SLOT_F, &f, 1));
cleanup:
    return status;
}

static const clbfgs_objective_ops host_ops = {
    .name = "host",
    .pure = 0, /* the caller's code runs */
    .state_size = sizeof(struct host_run),
    .prepare = host_prepare,
    .eval = host_eval,
    .release = host_release,
    .free_data = free,
};

clbfgs_status clbfgs_objective_host(clbfgs_objective **objective, clbfgs_host_fn fn, void *user)
{
    const char *who = "clbfgs_objective_host";
    if (!objective || !fn)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_host: objective and fn must not be NULL");
    struct host *h = malloc(sizeof *h);
    if (!h)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
    h->fn = fn;
    h->user = user;
    clbfgs_status status = clbfgs__objective_new(objective, &host_ops, h, who);
    if (status != CLBFGS_SUCCESS)
        free(h);
    return status;
}

int clbfgs__objective_host_fn(const clbfgs_objective *objective, clbfgs_host_fn *fn, void **user)
{
    if (!objective || objective->ops != &host_ops)
        return 0;
    const struct host *h = objective->data;
    *fn = h->fn;
    *user = h->user;
    return 1;
}
