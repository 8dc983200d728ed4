/* Strong-Wolfe line search on the host: cl/linesearch.cl (Moré–Thuente, then
 * SciPy's bracketing and zoom fallback, by reverse communication), compiled
 * here as C over doubles and driven by a phi callback. The device's
 * one-kernel solve compiles the same file and drives it the same way. */
#include "config.h"

#include "linesearch.h"

#include <math.h>

#include "../cl/linesearch.cl"

clbfgs_ls_outcome clbfgs__line_search(clbfgs_phi_fn phi, void *user, double phi0, double dphi0,
                                      double old_phi0, const clbfgs_ls_params *params,
                                      clbfgs_ls_result *result)
{
    return clbfgs__line_search_from(phi, user, phi0, dphi0,
                                    clbfgs__ls_first_step(phi0, dphi0, old_phi0), params, result);
}

clbfgs_ls_outcome clbfgs__line_search_from(clbfgs_phi_fn phi, void *user, double phi0,
                                           double dphi0, double alpha1,
                                           const clbfgs_ls_params *params,
                                           clbfgs_ls_result *result)
{
    clbfgs_ls ls;
    clbfgs_ls_outcome out = clbfgs__ls_begin(&ls, phi0, dphi0, alpha1, params);
    while (out == CLBFGS_LS_EVAL) {
        double f, g;
        if (phi(user, ls.trial, &f, &g) != 0) {
            out = CLBFGS_LS_ABORTED;
            break;
        }
        out = clbfgs__ls_next(&ls, f, g);
    }
    result->alpha = ls.alpha;
    result->phi = ls.phi;
    result->dphi = ls.dphi;
    result->last_alpha = ls.last_alpha;
    result->nfev = ls.nfev;
    result->used_fallback = ls.used_fallback;
    result->backoffs = ls.backoffs;
    result->mt_task = (clbfgs_mt_task)ls.mt_task;
    return out;
}
