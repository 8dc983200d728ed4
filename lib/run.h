/* The state of one minimization: device buffers, kernels, precision. Shared
 * by the driver (bfgs.c), the objectives and the H operator. */
#ifndef CLBFGS_RUN_H
#define CLBFGS_RUN_H

#include "internal.h"

/* The most extra kernel arguments a source objective takes. */
#define CLBFGS_MAX_EXTRA_ARGS 64

/* Slots of the small device buffer that carries scalars to the host. */
enum {
    SLOT_F = 0,  /* f at the last evaluation */
    SLOT_DPHI,   /* g . p there */
    SLOT_GNORM,  /* the gradient's norm (options.norm) */
    SLOT_YS,     /* y . s */
    SLOT_YU,     /* y . u, u = H y */
    SLOT_SG,     /* s . g */
    SLOT_UG,     /* u . g */
    SLOT_PNORM,  /* ||p||_2, for xrtol */
    SLOT_XNORM,  /* ||x||_2, for xrtol */
    SLOT_G2NORM, /* ||g||_2, for the first step */
    SLOT_COUNT
};

/* What device time counts under when the queue records profiling times. */
enum { PHASE_OTHER = 0, PHASE_OBJECTIVE, PHASE_HESSIAN, PHASE_TRANSFER, PHASE_COUNT };
/* Events held between syncs; a full list is waited on and read. */
#define CLBFGS_PROFILE_EVENTS 64

typedef struct clbfgs_run {
    clbfgs_context *ctx;
    clbfgs_objective *objective;
    size_t n;
    clbfgs_precision precision; /* DOUBLE or FLOAT, resolved */
    size_t elem;                /* sizeof(real) on the device */
    size_t wg_reduce;           /* work-group size of vecnorm */
    cl_kernel axpy_into, step_and_change, combine3, vecnorm, dot, sum, set_identity;
    cl_kernel hessian_apply, hessian_update, hessian_update_apply, hessian_update_apply_rows;
    cl_kernel sum_chunks;
    cl_mem x, g, p, xt, gt, s, y, v, u, h, scalars;
    cl_mem s_pending, u_pending; /* the update not yet applied to H */
    int h_by_rows;               /* the fused H pass by rows (CPUs) or columns */
    size_t h_chunks;             /* row chunks of the column pass */
    cl_mem h_partial;            /* its partial sums when h_chunks > 1 */
    /* the objective's (objective.c) */
    cl_kernel objective_kernel, fd_points, fd_sums_kernel, fd_gradient;
    cl_mem terms;                              /* f terms: work_size per problem */
    cl_mem fd_x, fd_dx, fd_sums;               /* forward differences: n + 1 points */
    cl_mem f_view;                             /* scalars[SLOT_F] alone, for device callbacks */
    cl_mem arg_buffers[CLBFGS_MAX_EXTRA_ARGS]; /* extra arguments given as reals */
    size_t work_size;                          /* f terms per problem */
    double fd_eps;                             /* forward-difference step */
    double *host_x, *host_g;                   /* host copies, n each */
    void *host_tmp;                            /* max(n, SLOT_COUNT) reals, for conversions */
    size_t nfev, njev;
    /* profiling (queues created with CL_QUEUE_PROFILING_ENABLE) */
    int profiling;
    int phase; /* PHASE_*: what the next command counts under */
    cl_event events[CLBFGS_PROFILE_EVENTS];
    signed char event_phase[CLBFGS_PROFILE_EVENTS];
    signed char event_kind[CLBFGS_PROFILE_EVENTS]; /* EVENT_* */
    size_t event_count;
    double device_time[PHASE_COUNT]; /* seconds, since the last reset */
    size_t syncs;                    /* blocking transfers, since the last reset */
} clbfgs_run;

/* ---- profiling (bfgs.c) ---- */
/* The slot for the next command's event under run->phase, or NULL when the
 * queue does not profile. A full list is read first. */
cl_event *clbfgs__event(clbfgs_run *run);
/* Marks the start (end = 0) or end (end = 1) of a span whose device time is
 * counted from marker to marker: for work the library does not enqueue itself. */
clbfgs_status clbfgs__mark(clbfgs_run *run, int end);
/* Waits for the held events, adds their times to run->device_time and releases them. */
clbfgs_status clbfgs__profile_collect(clbfgs_run *run);

/* Whether v converts to float without overflowing: within +-FLT_MAX, or
 * not finite (inf and NaN have float twins). Checked before the conversion,
 * which is undefined behaviour in C for a finite value out of range. */
int clbfgs__fits_float(double v);
/* Sets argument i of kernel to the real value v, as a double or a float. */
cl_int clbfgs__set_real_arg(cl_kernel k, cl_uint i, clbfgs_precision precision, double v);
/* clbfgs__set_real_arg with its failure recorded as a status. */
clbfgs_status clbfgs__arg_real(const clbfgs_run *run, cl_kernel k, cl_uint i, double v);
/* Launches a 1-D kernel over n work-items (rounded up to a multiple of 64). */
clbfgs_status clbfgs__launch(clbfgs_run *run, cl_kernel k, size_t n, const char *what);
/* Launches a 2-D kernel over (n rounded up to a multiple of 64) x problems. */
clbfgs_status clbfgs__launch_2d(clbfgs_run *run, cl_kernel k, size_t n, size_t problems,
                                const char *what);
/* Copies n doubles to a device buffer of reals (from element offset),
 * converting for float; blocking. One transfer, whatever n (H is n x n). */
clbfgs_status clbfgs__write_reals(clbfgs_run *run, cl_mem buf, size_t offset, const double *src,
                                  size_t n);
/* Copies n reals from a device buffer (from element offset) into doubles; blocking. */
clbfgs_status clbfgs__read_reals(clbfgs_run *run, cl_mem buf, size_t offset, double *dst, size_t n);

/* ---- objectives (objective.c) ---- */
/* Device bytes the objective needs for this run, besides the iteration's,
 * and in *largest its largest single buffer; in double, so nothing overflows. */
double clbfgs__objective_bytes(const clbfgs_run *run, double *largest);
/* Checks the objective against the run, builds its kernels, allocates its buffers. */
clbfgs_status clbfgs__objective_prepare(clbfgs_run *run, double eps);
/* Releases what prepare made. */
void clbfgs__objective_release(clbfgs_run *run);
/* Enqueues f(x) into scalars[SLOT_F] and the gradient into g. */
clbfgs_status clbfgs__objective_eval(clbfgs_run *run, cl_mem x, cl_mem g);

/* ---- the inverse Hessian (hessian.c) ---- */
clbfgs_status clbfgs__hessian_identity(clbfgs_run *run);
/* v = H g */
clbfgs_status clbfgs__hessian_apply(clbfgs_run *run, cl_mem v, cl_mem g);
/* H += a (u s^T + s u^T) + b s s^T */
clbfgs_status clbfgs__hessian_update(clbfgs_run *run, double a, cl_mem u, double b, cl_mem s);
/* The fused pass: when update, H += a (u s^T + s u^T) + b s s^T; then v = H g. */
clbfgs_status clbfgs__hessian_update_apply(clbfgs_run *run, int update, double a, cl_mem u,
                                           double b, cl_mem s, cl_mem v, cl_mem g);
/* Whether the fused pass goes by rows on this device (CPUs), and how many
 * row chunks the column pass uses (1 by rows). */
int clbfgs__hessian_default_by_rows(const clbfgs_run *run);
size_t clbfgs__hessian_default_chunks(const clbfgs_run *run);
/* Chooses the pass (by rows, or by columns in chunks 1 .. n) and allocates
 * the partial sums it needs. */
clbfgs_status clbfgs__hessian_set_pass(clbfgs_run *run, int by_rows, size_t chunks);

/* ---- a run's setup and release (bfgs.c), for the driver and the tests ---- */
/* With run->ctx, objective, n and precision set: checks memory, builds the
 * kernels, allocates every buffer. eps is the forward-difference step. */
clbfgs_status clbfgs__run_setup(clbfgs_run *run, double eps);
void clbfgs__run_release(clbfgs_run *run);

/* ---- vector BLAS (blas.c) ---- */
/* scalars[slot] = x . y (n values) */
clbfgs_status clbfgs__blas_dot(clbfgs_run *run, int slot, cl_mem x, cl_mem y);
/* scalars[slot] = sum of the first len values of x */
clbfgs_status clbfgs__blas_sum(clbfgs_run *run, int slot, cl_mem x, size_t len);
/* y = op(A) x + beta y, A m x n row-major, op transposes when transpose != 0 */
clbfgs_status clbfgs__blas_gemv(clbfgs_run *run, int transpose, size_t m, size_t n, cl_mem a,
                                cl_mem x, double beta, cl_mem y);

#endif
