/* The host solve (host_solve.c): clbfgs_minimize's whole BFGS run on the
 * host for a host objective of small n. */
#ifndef CLBFGS_HOST_SOLVE_H
#define CLBFGS_HOST_SOLVE_H

#include "clbfgs.h"

/* The largest n the host solve takes by itself: up to it the O(n^2) update
 * costs less on the host than a device run's round trips per evaluation
 * (see host_solve.c). */
#define HOST_SOLVE_MAX_N 256

/* Whether clbfgs_minimize runs this objective's run on the host: a host
 * objective, BFGS, n <= HOST_SOLVE_MAX_N, precision double or AUTO (on the
 * host it is double, whether or not the device has fp64), single_kernel 0. */
int clbfgs__host_solve_fits(const clbfgs_objective *objective, size_t n,
                            const clbfgs_options *o, clbfgs_precision precision);

/* The run, into r (zeroed by the caller; r->time.total is the caller's).
 * Options are checked already. An error ends the run: r then holds the best
 * point reached and the counts, and the caller marks r with the error. */
clbfgs_status clbfgs__host_solve(const clbfgs_objective *objective, size_t n, const double *x0,
                                 const clbfgs_options *o, clbfgs_result *r);

#endif
