/* What an objective is inside the library: a kind, as a table of what the
 * kind does (objective.c dispatches through it), and the kind's own data.
 * One file per kind: objective_source.c (OpenCL source and the built-ins),
 * objective_device.c, objective_host.c, objective_logistic.c. */
#ifndef CLBFGS_OBJECTIVE_INTERNAL_H
#define CLBFGS_OBJECTIVE_INTERNAL_H

#include "objective.h"

struct extra_arg;

/* An objective as a term function: f = sum over m items of function(i, x,
 * g, data...) (cl/terms.cl's contract). Everything points into the
 * objective, which outlives the run. */
struct clbfgs_function_form {
    const char *source;     /* the function's source */
    const char *name;       /* the source's name, for #line and messages */
    const char *function;   /* the function's name */
    const char *args_decl;  /* its data parameters ("__global const real *y"); NULL: none */
    const char *args_names; /* their names, "t, y"; NULL: none */
    unsigned nparams;       /* declared data parameters */
    struct extra_arg *args; /* what was set for them */
    unsigned nargs;
    const size_t *per_problem; /* elements per problem of each (0: shared); NULL: none */
    size_t m;                  /* items */
    int gradient, least_squares;
    const char *build_options; /* the caller's, or NULL */
};

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
    /* The objective as a function the one-kernel solve compiles in
     * (lib/batch.c): fills form for n and returns CLBFGS_SUCCESS, or an
     * error that says why it has none at this n; NULL: the kind has none. */
    clbfgs_status (*function_form)(void *data, size_t n, struct clbfgs_function_form *form);
} clbfgs_objective_ops;

struct clbfgs_objective {
    const clbfgs_objective_ops *ops;
    void *data; /* the kind's own */
    clbfgs_reduce_fn reduce; /* clbfgs_objective_set_reduce; NULL: none */
    void *reduce_user;
};

/* The term objectives' kind (objective_terms.c), and the slot of a term
 * function's data argument index (0 is the first after g) for the
 * clbfgs_objective_set_arg* family. */
extern const clbfgs_objective_ops clbfgs__terms_ops;
clbfgs_status clbfgs__terms_arg_slot(void *data, unsigned index, const char *who,
                                     struct extra_arg **slot);

/* The caller's function of a host objective (objective_host.c): 1 and
 * *fn, *user for a host objective, 0 for any other kind. */
int clbfgs__objective_host_fn(const clbfgs_objective *objective, clbfgs_host_fn *fn, void **user);
/* One call of a host objective's function at x (n values): f and g are
 * poisoned with NaN first, and a failure is CLBFGS_ERR_OBJECTIVE with a
 * message that names the evaluation (1 for the first) and what the
 * callback said through clbfgs_callback_fail(). */
clbfgs_status clbfgs__host_call(clbfgs_host_fn fn, void *user, const double *x, size_t n,
                                double *f, double *g, size_t evaluation);

/* A new objective of the kind ops that owns data from then on; out of
 * memory, the message is who and data is still the caller's. */
clbfgs_status clbfgs__objective_new(clbfgs_objective **objective, const clbfgs_objective_ops *ops,
                                    void *data, const char *who);

#endif
