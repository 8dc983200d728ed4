/* Norms of a vector as SciPy's vecnorm computes them, for the kernels that
 * sum in parallel (cl/iteration.cl's group_norm, cl/hessian.cl) and the
 * one-kernel solve (cl/batch.cl). Prefixed: the one-kernel solve compiles
 * them beside a caller's function. */

#pragma OPENCL FP_CONTRACT OFF

/* SciPy's vecnorm, in four parts: the starting value, a work-item's running
 * value over its elements, the merge of two such values, and the final value. ord is
 * +inf (max |x|), -inf (min |x|) or p > 0 ((sum |x|^p)^(1/p)). */
static real clbfgs_norm_start(const real ord)
{
    return (isinf(ord) && ord < 0) ? (real)INFINITY : 0;
}

static real clbfgs_norm_add(real acc, const real x, const real ord)
{
    const real a = fabs(x);
    if (isinf(ord))
        return ord > 0 ? ((a > acc || isnan(a)) ? a : acc) : ((a < acc || isnan(a)) ? a : acc);
    if (ord == (real)2)
        return acc + a * a;
    if (ord == (real)1)
        return acc + a;
    return acc + pow(a, ord);
}

static real clbfgs_norm_merge(const real a, const real b, const real ord)
{
    if (isinf(ord))
        return ord > 0 ? ((b > a || isnan(b)) ? b : a) : ((b < a || isnan(b)) ? b : a);
    return a + b;
}

static real clbfgs_norm_final(const real r, const real ord)
{
    if (isinf(ord) || ord == (real)1)
        return r;
    return ord == (real)2 ? sqrt(r) : pow(r, (real)1 / ord);
}
