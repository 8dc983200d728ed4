/* What an objective is inside the library: a kind, as a table of what the
 * kind does (objective.c dispatches through it), and the kind's own data.
 * One file per kind: objective_source.c (OpenCL source and the built-ins),
 * objective_device.c, objective_host.c, objective_logistic.c. */
#ifndef CLBFGS_OBJECTIVE_INTERNAL_H
#define CLBFGS_OBJECTIVE_INTERNAL_H

#include "objective.h"

typedef struct clbfgs_objective_ops {
    const char *name;
    /* Whether an evaluation runs no caller code (clbfgs__objective_pure). */
    int pure;
    /* Function values one evaluation at n counts for, as SciPy counts nfev;
     * NULL: one. */
    size_t (*values)(const void *data, size_t n);
    /* Device bytes a run of n in reals of elem bytes needs, and in *largest
     * its largest single buffer (clbfgs__objective_bytes); NULL: none. */
    double (*bytes)(const void *data, size_t n, size_t elem, double *largest);
    /* The bytes of the kind's state for a run: objective.c allocates it,
     * zeroed, into ev->state before prepare, and frees it after release. */
    size_t state_size;
    /* Checks the objective against the run (ev's n and exec), builds its
     * kernels and buffers into ev->state; eps is the forward-difference step,
     * the default already resolved. */
    clbfgs_status (*prepare)(clbfgs_eval *ev, double eps);
    /* Enqueues f and the gradient into g; f comes with terms NULL (SLOT_F). */
    clbfgs_status (*eval)(clbfgs_eval *ev, cl_mem x, cl_mem g, clbfgs_terms *f);
    /* Releases what prepare made in ev->state (not NULL), as far as it got;
     * NULL when there is nothing. */
    void (*release)(clbfgs_eval *ev);
    /* Frees the kind's data (not NULL). */
    void (*free_data)(void *data);
} clbfgs_objective_ops;

struct clbfgs_objective {
    const clbfgs_objective_ops *ops;
    void *data; /* the kind's own */
};

struct extra_arg;
/* The term objectives' kind (objective_terms.c), and the slot of a term
 * function's data argument index (0 is the first after g) for the
 * clbfgs_objective_set_arg* family. */
extern const clbfgs_objective_ops clbfgs__terms_ops;
clbfgs_status clbfgs__terms_arg_slot(void *data, unsigned index, const char *who,
                                     struct extra_arg **slot);

/* A new objective of the kind ops that owns data from then on; out of
 * memory, the message is who and data is still the caller's. */
clbfgs_status clbfgs__objective_new(clbfgs_objective **objective, const clbfgs_objective_ops *ops,
                                    void *data, const char *who);

#endif
