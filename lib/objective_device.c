/* The device callback objective: the caller's function enqueues its own work
 * on the run's queue, reading x and writing the gradient and f, the last into
 * a one-value view of the run's scalars at SLOT_F. Its commands are not the
 * library's to time one by one, so the span is timed from marker to marker. */
#include "config.h"

#include "objective_internal.h"

#include <stdlib.h>

struct device {
    clbfgs_device_fn fn;
    void *user;
};

struct device_run {
    cl_mem f_view; /* scalars[SLOT_F] alone */
};

static clbfgs_status device_prepare(clbfgs_eval *ev, double eps)
{
    (void)eps;
    clbfgs_status status = CLBFGS_SUCCESS;
    struct device_run *run = ev->state;
    const clbfgs_exec *e = ev->exec;
    /* SLOT_F is element 0, so the view starts at offset 0 (always aligned). */
    cl_buffer_region region = {SLOT_F * e->elem, e->elem};
    cl_int err = CL_SUCCESS;
    run->f_view = clCreateSubBuffer(e->scalars, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION,
                                    &region, &err);
    CLBFGS_CL_TRY(e->ctx, err, "the one-value buffer for f");
cleanup:
    return status;
}

static void device_release(clbfgs_eval *ev)
{
    struct device_run *run = ev->state;
    if (run->f_view)
        clReleaseMemObject(run->f_view);
}

static clbfgs_status device_eval(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f)
{
    (void)f;
    clbfgs_status status = CLBFGS_SUCCESS;
    const struct device *d = ev->objective->data;
    struct device_run *run = ev->state;
    /* The callback's commands are not ours to time one by one: time the span. */
    CLBFGS_TRY(clbfgs__exec_mark(ev->exec, 0));
    clbfgs__callback_begin();
    int rc = d->fn(d->user, ev->exec->ctx->queue, x, run->f_view, g, ev->n, ev->exec->precision);
    CLBFGS_TRY(clbfgs__objective_callback_result("device", rc, ev->nfev));
    CLBFGS_TRY(clbfgs__exec_mark(ev->exec, 1));
cleanup:
    return status;
}

static const clbfgs_objective_ops device_ops = {
    .name = "device",
    .pure = 0, /* the caller's code runs */
    .state_size = sizeof(struct device_run),
    .prepare = device_prepare,
    .eval = device_eval,
    .release = device_release,
    .free_data = free,
};

clbfgs_status clbfgs_objective_device(clbfgs_objective **objective, clbfgs_device_fn fn, void *user)
{
    const char *who = "clbfgs_objective_device";
    if (!objective || !fn)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_device: objective and fn must not be NULL");
    struct device *d = malloc(sizeof *d);
    if (!d)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
    d->fn = fn;
    d->user = user;
    clbfgs_status status = clbfgs__objective_new(objective, &device_ops, d, who);
    if (status != CLBFGS_SUCCESS)
        free(d);
    return status;
}
