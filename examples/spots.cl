/* A 2-D Gaussian spot on a small square image (SPOT_SIDE x SPOT_SIDE
 * pixels, 9 unless the build options say otherwise):
 *
 *     m(u, v) = A exp(-((u - x0)^2 + (v - y0)^2) / (2 s^2)) + B,
 *
 * with pixel i at column u = i % SPOT_SIDE, row v = i / SPOT_SIDE. The
 * parameters are x = (A, x0, y0, ln s, B): the width as a logarithm stays
 * positive whatever step the line search tries. One data item is one
 * pixel; the function returns its residual, model minus image, in units of
 * the noise's standard deviation, so that with least squares f is half the
 * chi-square, and writes the residual's gradient into g. In a batch, image
 * is the problem's own SPOT_SIDE^2 pixels. */
#ifndef SPOT_SIDE
#define SPOT_SIDE 9
#endif

real spot(const uint i, const real *x, real *g, __global const real *image)
{
    const real du = (real)(i % SPOT_SIDE) - x[1], dv = (real)(i / SPOT_SIDE) - x[2];
    const real r2 = du * du + dv * dv, w = exp(-2 * x[3]); /* w = 1 / s^2 */
    const real e = exp(-(real)0.5 * r2 * w), ae = x[0] * e * w;
    g[0] = e;
    g[1] = ae * du;
    g[2] = ae * dv;
    g[3] = ae * r2; /* d/d(ln s) of -r2 / (2 s^2) is r2 / s^2 */
    g[4] = 1;
    return x[0] * e + x[4] - image[i];
}
