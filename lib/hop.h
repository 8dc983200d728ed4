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
     * y = g - g_old (kept pending until a later pass folds it in, or
     * skipped when y.s is not safely positive), p = -H g, then the
     * epilogue; also SLOT_GNORM, SLOT_XNORM and SLOT_PNORM (||p||_2 of the
     * step taken). */
    clbfgs_status (*step)(clbfgs_hop *hop, const clbfgs_hop_args *a);
    /* From the scalars as read after a step: whether its update was skipped. */
    int (*skipped)(const clbfgs_hop *hop, const double *scalars);
    /* Bytes of device memory the operator's kernels read and wrote since
     * the reset, by its own account of what each launch touches. */
    double (*moved)(const clbfgs_hop *hop);
    /* H as an n x n row-major matrix into out. With every pending update
     * folded in (commit != 0: SciPy's H in a run that goes on, or that
     * stopped at the iteration limit or in a failed line search), or all
     * but the last step's (commit = 0: a run that a test after its step
     * stopped, before SciPy's update). */
    clbfgs_status (*matrix)(clbfgs_hop *hop, int commit, double *out);
    void (*free)(clbfgs_hop *hop);
} clbfgs_hop_ops;

/* The dense operator (hop_dense.c): H as n x n reals, or its upper
 * triangle in tiles, one pass per iteration that reads H and forms H g,
 * with the updates kept pending for up to q iterations (the delay) and
 * folded into H, as it is read, by one pass in q. */
extern const clbfgs_hop_ops clbfgs__hop_dense;

/* The most updates kept pending (cl/hessian.cl's DENSE_QMAX must be the
 * same), the n from which the default delay is more than 1 on CPUs, the
 * side of the triangle layout's tiles (cl/hessian.cl's DENSE_TILE), and
 * the n from which CPUs store the triangle by default. */
#define DENSE_MAX_DELAY 8
#define DENSE_DELAY_FROM 2048
#define DENSE_TILE 64
#define DENSE_TRIANGLE_FROM 2048

/* ---- the dense operator's parts, for its tests ---- */
/* The passes over H: by columns in row chunks (GPUs), two rows a
 * work-item in eight lanes (CPUs), both over the full n x n layout; and
 * over the upper triangle in tiles, by block rows (CPUs) or a tile a
 * work-group (GPUs). */
enum {
    DENSE_PASS_COLUMNS = 0,
    DENSE_PASS_ROWS8 = 2,
    DENSE_PASS_TRI_ROWS = 3,
    DENSE_PASS_TRI_TILES = 4,
};
/* The pass on the context's device for n (CLBFGS_DENSE_TRIANGLE=0 or 1
 * chooses the layout, and rows or tiles the triangle's pass whatever the
 * device; a value it refuses leaves the default here, and create fails),
 * how many row chunks the column pass uses (1 for the others), and the
 * delay q. */
int clbfgs__dense_default_pass(const clbfgs_context *ctx, size_t n);
size_t clbfgs__dense_default_chunks(const clbfgs_context *ctx, size_t n);
unsigned clbfgs__dense_default_delay(const clbfgs_context *ctx, size_t n);
/* Chooses the pass (DENSE_PASS_*; chunks 1 .. n for the column pass) and
 * with it the layout: H then holds nothing until a reset or write_h, and
 * nothing is pending. Anything else is CLBFGS_ERR_INVALID_ARGUMENT. */
clbfgs_status clbfgs__dense_set_pass(clbfgs_hop *hop, int pass, size_t chunks);
/* H in or out as an n x n row-major matrix, whatever the layout. */
clbfgs_status clbfgs__dense_write_h(clbfgs_hop *hop, const double *full);
clbfgs_status clbfgs__dense_read_h(clbfgs_hop *hop, double *full);
/* Pending slot k (of DENSE_MAX_DELAY) as the update a (u s^T + s u^T) + b s s^T (u and s n reals each),
 * and whether that update was made (0: it is skipped); slots 0 .. k then
 * count as pending for the operator's matrix. */
clbfgs_status clbfgs__dense_set_pending(clbfgs_hop *hop, unsigned slot, double a, cl_mem u, double b,
                                        cl_mem s, int made);
/* The reference pair: v = H g; H += a (u s^T + s u^T) + b s s^T. */
clbfgs_status clbfgs__dense_apply(clbfgs_hop *hop, cl_mem v, cl_mem g);
clbfgs_status clbfgs__dense_update(clbfgs_hop *hop, double a, cl_mem u, double b, cl_mem s);
/* The pass: folds slots 0 .. m - 1 into H (none when m = 0), then v = H g. */
clbfgs_status clbfgs__dense_fold(clbfgs_hop *hop, unsigned m, cl_mem v, cl_mem g);
/* v += slots 0 .. m - 1's share of H g (after a pass with m = 0). */
clbfgs_status clbfgs__dense_lowrank(clbfgs_hop *hop, unsigned m, cl_mem v, cl_mem g);

#endif
