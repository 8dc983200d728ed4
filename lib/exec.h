/* The execution layer: a run's queue and everything that crosses it.
 *
 * Every command the library enqueues during a run goes through here:
 * kernel launches (counted), reads and writes between host and device
 * (counted as syncs when they block), profiling events and the device time
 * they add up to, and the run's small buffer of scalars, which the kernels
 * above fill and the driver reads in one transfer per iteration. Nothing
 * above this layer calls clEnqueue* (blas.c's CLBlast calls take their
 * event from here); nothing here knows BFGS. See docs/ARCHITECTURE.md. */
#ifndef CLBFGS_EXEC_H
#define CLBFGS_EXEC_H

#include "internal.h"

/* The run's scalars: one small device buffer, written by kernels and read
 * by the host together. The driver's slots first, then a block the H
 * operator keeps for itself. */
enum {
    SLOT_F = 0,  /* f at the last evaluated point (every objective leaves it here) */
    SLOT_DPHI,   /* g . p at that point: phi'(alpha) */
    SLOT_GNORM,  /* the current gradient's norm (options.norm) */
    SLOT_PNORM,  /* ||p||_2 of the step just taken, for xrtol */
    SLOT_XNORM,  /* ||x||_2 at the current point, for xrtol */
    SLOT_DPHI0,  /* g . p at the current point along the new direction */
    SLOT_ALPHA0, /* the line search's first trial step along it */
    SLOT_FX,     /* f at the current point, kept when a trial overwrites SLOT_F */
    SLOT_DRIVER_COUNT,
    SLOT_OPERATOR = SLOT_DRIVER_COUNT, /* the H operator's own slots */
    SLOT_OPERATOR_COUNT = 6,
    SLOT_COUNT = SLOT_OPERATOR + SLOT_OPERATOR_COUNT
};

/* What device time counts under when the queue records profiling times. */
enum { PHASE_OTHER = 0, PHASE_OBJECTIVE, PHASE_HESSIAN, PHASE_TRANSFER, PHASE_COUNT };
/* Events held between syncs; a full list is waited on and read. */
#define CLBFGS_PROFILE_EVENTS 64

typedef struct clbfgs_exec {
    clbfgs_context *ctx;
    clbfgs_precision precision; /* DOUBLE or FLOAT, resolved */
    size_t elem;                /* sizeof(real) on the device */
    cl_mem scalars;             /* SLOT_COUNT reals */
    void *tmp;                  /* tmp_count doubles: conversions to and from float */
    size_t tmp_count;
    size_t syncs;    /* blocking transfers since the last reset */
    size_t launches; /* kernels enqueued (CLBlast calls count one) since the last reset */
    /* profiling (queues created with CL_QUEUE_PROFILING_ENABLE) */
    int profiling;
    int phase; /* PHASE_*: what the next command counts under */
    cl_event events[CLBFGS_PROFILE_EVENTS];
    signed char event_phase[CLBFGS_PROFILE_EVENTS];
    signed char event_kind[CLBFGS_PROFILE_EVENTS];
    size_t event_count;
    double device_time[PHASE_COUNT]; /* seconds, since the last reset */
} clbfgs_exec;

/* Sets up the layer over the context's queue in a resolved precision, with
 * a conversion buffer for tmp_count values, and allocates the scalars. */
clbfgs_status clbfgs__exec_init(clbfgs_exec *e, clbfgs_context *ctx, clbfgs_precision precision,
                                size_t tmp_count);
void clbfgs__exec_release(clbfgs_exec *e);

/* Waits for what is in flight and zeroes the counts and device times. */
clbfgs_status clbfgs__exec_reset_counts(clbfgs_exec *e);
/* Sets what the next commands count under; returns the previous phase. */
int clbfgs__exec_phase(clbfgs_exec *e, int phase);

/* A device buffer of count reals, or of count values of elem bytes (4 or
 * 8: H in float in a double run). */
clbfgs_status clbfgs__exec_buffer(const clbfgs_exec *e, size_t count, cl_mem *out,
                                  const char *what);
clbfgs_status clbfgs__exec_buffer_of(const clbfgs_exec *e, size_t count, size_t elem, cl_mem *out,
                                     const char *what);

/* ---- kernel arguments: failures name the kernel and the argument ---- */
clbfgs_status clbfgs__exec_arg_mem(const clbfgs_exec *e, cl_kernel k, cl_uint i, cl_mem m);
clbfgs_status clbfgs__exec_arg_uint(const clbfgs_exec *e, cl_kernel k, cl_uint i, cl_uint v);
clbfgs_status clbfgs__exec_arg_int(const clbfgs_exec *e, cl_kernel k, cl_uint i, cl_int v);
/* The real value v, as a double or a float. */
clbfgs_status clbfgs__exec_arg_real(const clbfgs_exec *e, cl_kernel k, cl_uint i, double v);
/* __local scratch of count reals. */
clbfgs_status clbfgs__exec_arg_local(const clbfgs_exec *e, cl_kernel k, cl_uint i, size_t count);

/* The largest power of two <= want that kernel k runs as a work-group. */
clbfgs_status clbfgs__exec_group_size(const clbfgs_exec *e, cl_kernel k, size_t want, size_t *wg);

/* ---- launches ---- */
/* An NDRange launch (local may be NULL); what names it in a failure. */
clbfgs_status clbfgs__exec_launch(clbfgs_exec *e, cl_kernel k, cl_uint dims, const size_t *global,
                                  const size_t *local, const char *what);
/* A 1-D launch over n work-items (rounded up to a multiple of 64). */
clbfgs_status clbfgs__exec_launch_1d(clbfgs_exec *e, cl_kernel k, size_t n, const char *what);
/* A 2-D launch over (n rounded up to a multiple of 64) x rows. */
clbfgs_status clbfgs__exec_launch_2d(clbfgs_exec *e, cl_kernel k, size_t n, size_t rows,
                                     const char *what);
/* groups work-groups of wg work-items each. */
clbfgs_status clbfgs__exec_launch_groups(clbfgs_exec *e, cl_kernel k, size_t groups, size_t wg,
                                         const char *what);
/* The event slot for a command enqueued elsewhere (a CLBlast call), counted
 * as one launch; NULL when the queue does not profile. */
cl_event *clbfgs__exec_event(clbfgs_exec *e);
/* Marks the start (end = 0) or end (end = 1) of a span whose device time is
 * counted from marker to marker: for work the library does not enqueue itself. */
clbfgs_status clbfgs__exec_mark(clbfgs_exec *e, int end);

/* ---- transfers: blocking, each one a sync ---- */
/* Copies n doubles into a buffer of reals (from element offset), converting for float. */
clbfgs_status clbfgs__exec_write_reals(clbfgs_exec *e, cl_mem buf, size_t offset, const double *src,
                                       size_t n);
/* Copies n reals from a buffer (from element offset) into doubles. */
clbfgs_status clbfgs__exec_read_reals(clbfgs_exec *e, cl_mem buf, size_t offset, double *dst,
                                      size_t n);
/* The same for a buffer of values of elem bytes (4: floats, 8: doubles),
 * whatever the run's precision. */
clbfgs_status clbfgs__exec_write_of(clbfgs_exec *e, cl_mem buf, size_t elem, size_t offset,
                                    const double *src, size_t n);
clbfgs_status clbfgs__exec_read_of(clbfgs_exec *e, cl_mem buf, size_t elem, size_t offset,
                                   double *dst, size_t n);
/* Reads every slot of the scalars into dst (SLOT_COUNT doubles): one sync. */
clbfgs_status clbfgs__exec_read_scalars(clbfgs_exec *e, double *dst);
/* Waits for everything in flight (not counted as a sync: nothing is read). */
clbfgs_status clbfgs__exec_finish(clbfgs_exec *e);

/* A program's source for kernels that use the scalars: the slot numbers as
 * #defines (SLOT_F, ..., SLOT_OPERATOR), then the parts in order; malloc'd,
 * NULL when out of memory. */
char *clbfgs__exec_source(const char *const *parts, size_t count);

/* ---- outside a run ---- */
/* A new read-only buffer holding n values of src in precision, copied as it
 * is created: data an objective keeps between runs. In float, a value past
 * float's range is CLBFGS_ERR_INVALID_ARGUMENT naming `what` and the index. */
clbfgs_status clbfgs__upload_reals(clbfgs_context *ctx, const double *src, size_t n,
                                   clbfgs_precision precision, cl_mem *out, const char *what);

/* Whether v converts to float without overflowing: within +-FLT_MAX, or
 * not finite (inf and NaN have float twins). Checked before the conversion,
 * which is undefined behaviour in C for a finite value out of range. */
int clbfgs__fits_float(double v);
/* Sets argument i of kernel k to the real value v, as a double or a float. */
cl_int clbfgs__set_real_arg(cl_kernel k, cl_uint i, clbfgs_precision precision, double v);

#endif
