/* Denoising a signal by smoothed total variation, as a clbfgs objective:
 *
 *   f(x) = sum_i (x_i - d_i)^2 / 2 + lambda sum_{i<n-1} sqrt(beta + (x_{i+1} - x_i)^2)
 *
 * d is the noisy signal (a buffer the caller sets), lambda and beta are
 * scalars. The contract: work-item (i, b) handles coordinate i of problem
 * b, writes that problem's f term i and gradient entry i. */
__kernel void denoise(const uint n, __global const real *x, __global real *f_terms,
                      __global real *g, __global const real *d, const real lambda,
                      const real beta)
{
    const size_t i = get_global_id(0), b = get_global_id(1);
    if (i >= n)
        return;
    x += b * n; /* this problem's point, terms and gradient */
    f_terms += b * n;
    g += b * n;

    const real r = x[i] - d[i];
    real term = r * r / 2, grad = r;
    if (i + 1 < n) { /* the jump to the right: its term is ours */
        const real jump = x[i + 1] - x[i], q = sqrt(beta + jump * jump);
        term += lambda * q;
        grad -= lambda * jump / q;
    }
    if (i > 0) { /* the jump from the left: only its derivative */
        const real jump = x[i] - x[i - 1];
        grad += lambda * jump / sqrt(beta + jump * jump);
    }
    f_terms[i] = term;
    g[i] = grad;
}
