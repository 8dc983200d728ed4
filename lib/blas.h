/* The one CLBlast call we keep, with the precision dispatch in one place. */
#ifndef CLBFGS_BLAS_H
#define CLBFGS_BLAS_H

#include "exec.h"

/* y = op(A) x + beta y, A m x n row-major, op transposes when transpose != 0;
 * enqueued on the run's queue, counted as one launch. */
clbfgs_status clbfgs__blas_gemv(clbfgs_exec *e, int transpose, size_t m, size_t n, cl_mem a,
                                cl_mem x, double beta, cl_mem y);

#endif
