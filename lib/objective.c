/* Objectives behind one internal interface: evaluate(x) leaves f in the
 * device scalars buffer (SLOT_F) or as terms, and the gradient in a device
 * buffer.
 *
 * What every kind shares: making and freeing the handle, the evaluation
 * counts and the device time they count under, and the dispatch to the
 * kind's table (objective_internal.h). The kinds are their own files:
 * objective_source.c, objective_device.c, objective_host.c,
 * objective_logistic.c. */
#include "config.h"

#include "objective_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

clbfgs_status clbfgs__objective_new(clbfgs_objective **objective, const clbfgs_objective_ops *ops,
                                    void *data, const char *who)
{
    *objective = calloc(1, sizeof **objective);
    if (!*objective)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
    (*objective)->ops = ops;
    (*objective)->data = data;
    return CLBFGS_SUCCESS;
}

void clbfgs_objective_free(clbfgs_objective *o)
{
    if (!o)
        return;
    if (o->data)
        o->ops->free_data(o->data);
    free(o);
}

double clbfgs__objective_bytes(const clbfgs_objective *o, size_t n, size_t elem, double *largest)
{
    *largest = 0;
    if (!o->ops->bytes)
        return 0;
    return o->ops->bytes(o->data, n, elem, largest);
}

int clbfgs__objective_pure(const clbfgs_objective *o) { return o->ops->pure && !o->reduce; }

clbfgs_status clbfgs_objective_set_reduce(clbfgs_objective *o, clbfgs_reduce_fn fn, void *user)
{
    if (!o)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_objective_set_reduce: objective must not be NULL");
    o->reduce = fn;
    o->reduce_user = fn ? user : NULL;
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs__eval_prepare(clbfgs_eval *ev, const clbfgs_objective *o, clbfgs_exec *e,
                                   size_t n, double eps)
{
    memset(ev, 0, sizeof *ev);
    ev->objective = o;
    ev->exec = e;
    ev->n = n;
    if (o->ops->state_size) {
        ev->state = calloc(1, o->ops->state_size);
        if (!ev->state)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "an objective's run state");
    }
    if (!(eps > 0)) /* SciPy's default: the square root of the machine epsilon */
        eps = sqrt(e->precision == CLBFGS_PRECISION_DOUBLE ? 2.220446049250313e-16
                                                           : 1.1920928955078125e-07);
    return o->ops->prepare(ev, eps);
}

void clbfgs__eval_release(clbfgs_eval *ev)
{
    if (ev->state && ev->objective->ops->release)
        ev->objective->ops->release(ev);
    free(ev->state);
    ev->state = NULL;
    free(ev->fg);
    ev->fg = NULL;
    ev->fg_count = 0;
}

/* Room for need values in ev->fg. */
static clbfgs_status fg_room(clbfgs_eval *ev, size_t need)
{
    if (ev->fg_count < need) {
        double *fg = realloc(ev->fg, need * sizeof *fg);
        if (!fg)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY,
                                "the host copy of f and g for the reduce function (%zu values)",
                                need);
        ev->fg = fg;
        ev->fg_count = need;
    }
    return CLBFGS_SUCCESS;
}

/* This process's f and g onto the host: fg[0] f (the terms summed in order
 * when the kind left terms), fg[1..n] g. */
static clbfgs_status read_fg(clbfgs_eval *ev, cl_mem g, const clbfgs_terms *f)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    CLBFGS_TRY(fg_room(ev, ev->n + 1 + f->count));
    CLBFGS_TRY(clbfgs__exec_read_reals(ev->exec, g, 0, ev->fg + 1, ev->n));
    if (f->terms) {
        double *t = ev->fg + ev->n + 1, sum = 0, c = 0;
        CLBFGS_TRY(clbfgs__exec_read_reals(ev->exec, f->terms, 0, t, f->count));
        for (size_t i = 0; i < f->count; i++) { /* compensated, in a fixed order */
            double y = t[i] - c, s = sum + y;
            c = (s - sum) - y;
            sum = s;
        }
        ev->fg[0] = sum;
    } else {
        CLBFGS_TRY(clbfgs__exec_read_reals(ev->exec, ev->exec->scalars, SLOT_F, ev->fg, 1));
    }
cleanup:
    return status;
}

/* The reduce function's part of an evaluation whose own status is status:
 * f and g to the host, the function, the result back into g and SLOT_F. */
static clbfgs_status reduce(clbfgs_eval *ev, cl_mem g, clbfgs_terms *f, clbfgs_status status)
{
    const clbfgs_objective *o = ev->objective;
    if (status == CLBFGS_SUCCESS)
        status = read_fg(ev, g, f);
    if (status != CLBFGS_SUCCESS) {
        /* still called, so that a collective completes everywhere; the
         * evaluation's own error is the run's */
        char *saved = clbfgs__strdup_printf("%s", clbfgs_last_error()); /* it may fail calls */
        if (fg_room(ev, ev->n + 1) == CLBFGS_SUCCESS) {
            for (size_t i = 0; i <= ev->n; i++)
                ev->fg[i] = NAN;
            clbfgs__callback_begin();
            o->reduce(o->reduce_user, ev->fg, ev->n, 1);
            (void)clbfgs__callback_failure();
        }
        if (saved)
            clbfgs__fail(status, "%s", saved);
        free(saved);
        return status;
    }
    double *fg = ev->fg;
    clbfgs__callback_begin();
    int rc = o->reduce(o->reduce_user, fg, ev->n, 0);
    status = clbfgs__objective_callback_result("reduce", rc, ev->njev);
    if (status != CLBFGS_SUCCESS)
        return status;
    status = clbfgs__exec_write_reals(ev->exec, g, 0, fg + 1, ev->n);
    if (status == CLBFGS_SUCCESS)
        status = clbfgs__exec_write_reals(ev->exec, ev->exec->scalars, SLOT_F, fg, 1);
    f->terms = NULL;
    f->count = 0;
    return status;
}

clbfgs_status clbfgs__eval(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f)
{
    const clbfgs_objective_ops *ops = ev->objective->ops;
    ev->njev++;
    ev->nfev += ops->values ? ops->values(ev->objective->data, ev->n) : 1;
    f->terms = NULL;
    f->count = 0;
    int phase = clbfgs__exec_phase(ev->exec, PHASE_OBJECTIVE);
    clbfgs_status status = ops->eval(ev, x, g, f);
    if (ev->objective->reduce)
        status = reduce(ev, g, f, status);
    clbfgs__exec_phase(ev->exec, phase);
    return status;
}
