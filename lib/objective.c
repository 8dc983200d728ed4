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

int clbfgs__objective_pure(const clbfgs_objective *o) { return o->ops->pure; }

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
    clbfgs__exec_phase(ev->exec, phase);
    return status;
}
