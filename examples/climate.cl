/* Global mean temperature after an abrupt step in forcing (an
 * abrupt-4xCO2 experiment), as the two-layer energy balance model answers
 * it: a fast (mixed layer) and a slow (deep ocean) response,
 *
 *     T(t) = S_f (1 - exp(-t / tau_f)) + S_s (1 - exp(-t / tau_s)).
 *
 * The parameters are x = (S_f, ln tau_f, S_s, ln tau_s): the timescales as
 * logarithms keep them positive and the problem well scaled. One data item
 * is one observation (t_i in years, temp_i in K). The function returns the
 * residual, scaled by s = 1/sqrt(m), so that with --least-squares f is half
 * the mean squared misfit, and writes the residual's gradient into g. */
real two_layer(const uint i, const real *x, real *g, __global const real *t,
               __global const real *temp, const real s)
{
    const real uf = t[i] * exp(-x[1]), us = t[i] * exp(-x[3]);
    const real ef = exp(-uf), es = exp(-us);
    g[0] = s * (1 - ef);
    g[1] = -s * x[0] * uf * ef; /* d/d(ln tau) of 1 - exp(-t/tau) is -u exp(-u) */
    g[2] = s * (1 - es);
    g[3] = -s * x[2] * us * es;
    return s * (x[0] * (1 - ef) + x[2] * (1 - es) - temp[i]);
}
