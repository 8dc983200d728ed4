/* What the kernels that sum a term function over items share (cl/terms.cl,
 * the data-parallel sums; cl/batch.cl, the one-kernel solve): compensated
 * addition, the value of an item (a residual's square in least squares)
 * and the forward-difference step. Needs CLBFGS_LSQ, CLBFGS_GRADIENT and
 * CLBFGS_EPS defined. */
#pragma OPENCL FP_CONTRACT OFF

/* sum += v, Kahan's way: c carries what the last addition lost. */
#define CLBFGS_KAHAN(sum, c, v)                                                                    \
    do {                                                                                           \
        const real clbfgs_y_ = (v) - (c);                                                          \
        const real clbfgs_t_ = (sum) + clbfgs_y_;                                                  \
        (c) = (clbfgs_t_ - (sum)) - clbfgs_y_;                                                     \
        (sum) = clbfgs_t_;                                                                         \
    } while (0)

#if CLBFGS_LSQ
#define CLBFGS_VALUE(r) ((r) * (r))
#else
#define CLBFGS_VALUE(r) (r)
#endif

#if !CLBFGS_GRADIENT
/* x_j + h_j as util.cl's fd_points: SciPy's relative step, h = eps max(1, |x|)
 * signed as x, where eps alone would not change x. */
static real clbfgs_step(const real xj)
{
    real t = xj + CLBFGS_EPS;
    if (t - xj == 0)
        t = xj + CLBFGS_EPS * (xj >= 0 ? (real)1 : (real)-1) * fmax((real)1, fabs(xj));
    return t;
}
#endif
