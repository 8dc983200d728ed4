/* Objectives behind one internal interface, as the driver sees them.
 *
 * An evaluation at x (a device buffer of n reals) enqueues the gradient
 * into g and f either into the run's SLOT_F or as terms whose sum is f,
 * which the driver adds up in the same kernel that computes phi'(alpha):
 * one launch fewer per trial point. Nothing here waits for the device unless
 * the objective itself must (a host callback reads x). */
#ifndef CLBFGS_OBJECTIVE_H
#define CLBFGS_OBJECTIVE_H

#include "exec.h"

/* The most extra kernel arguments a source objective takes. */
#define CLBFGS_MAX_EXTRA_ARGS 64

/* Where an evaluation left f: terms[0 .. count) to be summed, in a fixed
 * order, by the driver; or, when terms is NULL, in SLOT_F already. */
typedef struct clbfgs_terms {
    cl_mem terms;
    size_t count;
} clbfgs_terms;

/* One run's objective state: what prepare built, what eval counts. */
typedef struct clbfgs_eval {
    const clbfgs_objective *objective;
    clbfgs_exec *exec;
    size_t n;
    size_t nfev, njev; /* as SciPy counts: n + 1 values per forward-difference gradient */
    void *state;       /* the kind's own */
    double *fg;        /* with a reduce function: f, g and the terms on the host */
    size_t fg_count;
} clbfgs_eval;

/* Device bytes the objective needs for a run of n in reals of elem bytes,
 * besides the iteration's, and in *largest its largest single buffer; in
 * double, so nothing overflows. */
double clbfgs__objective_bytes(const clbfgs_objective *o, size_t n, size_t elem, double *largest);
/* Whether an evaluation touches nothing but the device (no caller code runs,
 * no reduce function): the driver may then evaluate a trial point before it
 * knows it needs it. */
int clbfgs__objective_pure(const clbfgs_objective *o);

/* Checks the objective against the run (n, precision, context), builds its
 * kernels and allocates its buffers. eps is the forward-difference step (0:
 * the square root of the precision's machine epsilon). */
clbfgs_status clbfgs__eval_prepare(clbfgs_eval *ev, const clbfgs_objective *o, clbfgs_exec *e,
                                   size_t n, double eps);
/* Releases what prepare made; a zeroed ev is fine. */
void clbfgs__eval_release(clbfgs_eval *ev);
/* Enqueues f(x) and the gradient into g (under PHASE_OBJECTIVE). With a
 * reduce function it also waits for them, reduces them on the host and
 * writes the result back: f into SLOT_F, never as terms. */
clbfgs_status clbfgs__eval(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f);

#endif
