/* The inverse-Hessian operator: the driver's only view of H.
 *
 * The driver owns the iteration's vectors (x, g, p and the trial point) and
 * the line search; an operator owns its storage (dense: H, s, u) and
 * whatever kernels it needs, and answers four questions: what to do at the
 * start (p = -H0 g), what to do after an accepted step (update with s, y
 * and form p = -H g), how much memory that takes, and what H is as a matrix.
 * Both start and step end with the driver's shared epilogue
 * (cl/iteration.cl's direction_end): g . p, the first trial step and, when
 * asked, the trial point, all on the device, so that the host reads every
 * scalar of an iteration at once. An operator keeps its own scalars in the
 * run's scalars at SLOT_OPERATOR + 0 .. SLOT_OPERATOR_COUNT - 1. */
#ifndef CLBFGS_HOP_H
#define CLBFGS_HOP_H

#include "exec.h"

typedef struct clbfgs_hop clbfgs_hop;

/* The driver's vectors and scalars for one start or step. */
typedef struct clbfgs_hop_args {
    cl_mem x;     /* the current point (after the step) */
    cl_mem g;     /* the gradient there */
    cl_mem g_old; /* the gradient before the step (step only) */
    cl_mem p;     /* in: the direction just followed (step only); out: the new one */
    cl_mem xt;    /* out, when trial: x + alpha0 p */
    double alpha; /* the step taken along p (step only) */
    double old_f; /* f before the step (step only; the start computes SciPy's) */
    double norm;  /* the order of the gradient norm (options.norm) */
    int trial;    /* whether to write the trial point */
} clbfgs_hop_args;

typedef struct clbfgs_hop_ops {
    const char *name;
    /* Device bytes for n in reals of elem bytes, and in *largest the largest
     * single buffer, in double so nothing overflows; the CPU-side hint for
     * device-dependent layouts comes from the context's device. */
    double (*bytes)(const clbfgs_context *ctx, size_t n, size_t elem, double *largest);
    /* Builds the kernels and allocates the storage. */
    clbfgs_status (*create)(clbfgs_hop **hop, clbfgs_exec *e, size_t n);
    /* H = h0 (n x n row-major), or the identity when h0 is NULL; nothing pending. */
    clbfgs_status (*reset)(clbfgs_hop *hop, const double *h0);
    /* p = -H g at the start of a run, then the epilogue (see above); also
     * SLOT_GNORM and SLOT_XNORM. f at x is read from SLOT_F, where the last
     * evaluation left it. */
    clbfgs_status (*start)(clbfgs_hop *hop, const clbfgs_hop_args *a);
    /* After an accepted step alpha along p: the update with s = alpha p and
     * y = g - g_old (kept pending until the next pass, or skipped when y.s
     * is not safely positive), p = -H g, then the epilogue; also SLOT_GNORM,
     * SLOT_XNORM and SLOT_PNORM (||p||_2 of the step taken). */
    clbfgs_status (*step)(clbfgs_hop *hop, const clbfgs_hop_args *a);
    /* From the scalars as read after a step: whether its update was skipped. */
    int (*skipped)(const clbfgs_hop *hop, const double *scalars);
    /* H as an n x n row-major matrix into out. With the pending update
     * folded in (commit != 0: SciPy's H in a run that goes on, or that
     * stopped at the iteration limit or in a failed line search), or as the
     * last pass left it (commit = 0: a run that a test after its step
     * stopped, before SciPy's update). */
    clbfgs_status (*matrix)(clbfgs_hop *hop, int commit, double *out);
    void (*free)(clbfgs_hop *hop);
} clbfgs_hop_ops;

/* The dense operator (hop_dense.c): H as n x n reals, one fused pass per
 * iteration that applies the pending update and forms H g. */
extern const clbfgs_hop_ops clbfgs__hop_dense;

/* ---- the dense operator's parts, for its tests ---- */
/* How the fused pass goes on the context's device for n: by rows (CPUs),
 * with 1 or 4 rows per work-item in the reference order of summation or 2
 * rows in eight lanes, or 0 by columns; and how many row chunks the column
 * pass uses (1 by rows). */
int clbfgs__dense_default_by_rows(const clbfgs_context *ctx, size_t n);
size_t clbfgs__dense_default_chunks(const clbfgs_context *ctx, size_t n);
/* Chooses the pass: by_rows 1, 2 or 4 rows per work-item, or 0 by columns
 * in chunks 1 .. n; anything else is CLBFGS_ERR_INVALID_ARGUMENT. */
clbfgs_status clbfgs__dense_set_pass(clbfgs_hop *hop, int by_rows, size_t chunks);
/* H itself, and its s and u vectors (n reals each). */
cl_mem clbfgs__dense_h(const clbfgs_hop *hop);
/* The reference pair: v = H g; H += a (u s^T + s u^T) + b s s^T. */
clbfgs_status clbfgs__dense_apply(clbfgs_hop *hop, cl_mem v, cl_mem g);
clbfgs_status clbfgs__dense_update(clbfgs_hop *hop, double a, cl_mem u, double b, cl_mem s);
/* The fused pass with the update given here (set in the scalars by a
 * kernel): when update, H += a (u s^T + s u^T) + b s s^T; then v = H g. */
clbfgs_status clbfgs__dense_update_apply(clbfgs_hop *hop, int update, double a, cl_mem u, double b,
                                         cl_mem s, cl_mem v, cl_mem g);

#endif
