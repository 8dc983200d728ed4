/* The one-kernel solve (batch.c, cl/batch.cl): the entry points the driver
 * uses for clbfgs_minimize_batch and for a single small problem. */
#ifndef CLBFGS_BATCH_H
#define CLBFGS_BATCH_H

#include "objective_internal.h"

/* The objective's function form at n (objective_internal.h), or why it has
 * none: UNSUPPORTED for a kind without one or n past the kernel's limit,
 * INVALID_ARGUMENT for data arguments not all set. who names the caller. */
clbfgs_status clbfgs__batch_form(const clbfgs_objective *objective, size_t n, const char *who,
                                 struct clbfgs_function_form *form);

/* Solves P problems from x0 (P x n, checked) with checked options in a
 * resolved precision; fills r's arrays (NULL again on an error). */
clbfgs_status clbfgs__batch_run(clbfgs_context *ctx, const struct clbfgs_function_form *form,
                                size_t n, size_t P, const double *x0, const clbfgs_options *options,
                                clbfgs_precision precision, clbfgs_batch_result *r);

#endif
