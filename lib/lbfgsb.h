/* L-BFGS-B (lbfgsb.c): SciPy's method='L-BFGS-B' with its vectors on the
 * device. clbfgs_minimize hands a run here when options.method says so. */
#ifndef CLBFGS_LBFGSB_H
#define CLBFGS_LBFGSB_H

#include "internal.h"

/* The most pairs a run keeps (private arrays in the kernels are sized by m). */
#define CLBFGS_LBFGSB_MAX_M 256

/* Refuses options L-BFGS-B does not take or cannot run with, and bounds
 * that are NaN or cross; nothing is allocated. who names the caller. */
clbfgs_status clbfgs__lbfgsb_check(const char *who, const clbfgs_options *o, size_t n);

/* The whole run, from checked options (clbfgs__lbfgsb_check) and a finite
 * x0; the result as clbfgs_minimize documents it. */
clbfgs_status clbfgs__lbfgsb_minimize(clbfgs_context *ctx, const clbfgs_objective *objective,
                                      size_t n, const double *x0, const clbfgs_options *o,
                                      clbfgs_precision precision, clbfgs_result *result);

#endif
