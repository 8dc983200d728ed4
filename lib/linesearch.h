/* Strong-Wolfe line search: Moré & Thuente (1994, ACM TOMS 20(3)) with
 * SciPy's first step and fallback. The search itself is cl/linesearch.cl,
 * by reverse communication, which the device's one-kernel solve compiles
 * too; here the host drives it with a phi callback. No OpenCL here. */
#ifndef CLBFGS_LINESEARCH_H
#define CLBFGS_LINESEARCH_H

/* phi(alpha) = f(x + alpha p) and dphi = phi'(alpha) = g(x + alpha p).p.
 * Returns 0, or non-zero to abort the search (an error the caller recorded). */
typedef int (*clbfgs_phi_fn)(void *user, double alpha, double *phi, double *dphi);

/* ---- Moré–Thuente, step by step (reverse communication, as dcsrch) ---- */

typedef double ls_real;
#define CLBFGS_LS_TYPES_ONLY
#include "../cl/linesearch.cl" /* the types: the same file is the device's search */
#undef CLBFGS_LS_TYPES_ONLY

/* Starts a search from phi(0) = f0, dphi(0) = g0 with trial step *stp.
 * ftol is c1, gtol is c2. Returns CLBFGS_MT_FG or an ERROR task. */
clbfgs_mt_task clbfgs__mt_start(clbfgs_mt_state *s, double *stp, double f0, double g0, double ftol,
                                double gtol, double xtol, double stpmin, double stpmax);

/* Takes phi(*stp) = f and dphi(*stp) = g; returns FG with the next *stp,
 * CONVERGENCE, or a WARNING. */
clbfgs_mt_task clbfgs__mt_iterate(clbfgs_mt_state *s, double *stp, double f, double g);

/* One safeguarded step (the paper's four cases, MINPACK-2's dcstep). */
void clbfgs__mt_step(double *stx, double *fx, double *dx, double *sty, double *fy, double *dy,
                     double *stp, double fp, double dp, int *brackt, double stpmin, double stpmax);

/* ---- SciPy's search: Moré–Thuente first, then the bracketing/zoom search ---- */

/* The search by reverse communication (cl/linesearch.cl). */
clbfgs_ls_outcome clbfgs__ls_begin(clbfgs_ls *ls, double phi0, double dphi0, double alpha1,
                                   const clbfgs_ls_params *params);
clbfgs_ls_outcome clbfgs__ls_next(clbfgs_ls *ls, double f, double g);

typedef struct clbfgs_ls_result {
    double alpha, phi, dphi;   /* the accepted step and phi, dphi there */
    double last_alpha;         /* the last step phi was evaluated at */
    int nfev;                  /* evaluations of phi (each gives f and dphi) */
    int used_fallback;         /* 1 when Moré–Thuente failed and the zoom search ran */
    int backoffs;              /* trial steps that gave a non-finite phi or dphi */
    clbfgs_mt_task mt_task;    /* how the Moré–Thuente stage ended */
} clbfgs_ls_result;

/* The first trial step, as SciPy: min(1, 2.02 (phi0 - old_phi0) / dphi0),
 * or 1 when that is negative or there is no previous value (old_phi0 NaN). */
double clbfgs__ls_first_step(double phi0, double dphi0, double old_phi0);

/* Searches along a descent direction (dphi0 < 0). A trial step where phi or
 * dphi is not finite counts as too far: the search backs off below it. */
clbfgs_ls_outcome clbfgs__line_search(clbfgs_phi_fn phi, void *user, double phi0, double dphi0,
                                      double old_phi0, const clbfgs_ls_params *params,
                                      clbfgs_ls_result *result);

/* The same search from a first trial step computed elsewhere (the device
 * computes clbfgs__ls_first_step's value, operation for operation, so the
 * first trial point can be evaluated before the host has read anything). */
clbfgs_ls_outcome clbfgs__line_search_from(clbfgs_phi_fn phi, void *user, double phi0,
                                           double dphi0, double alpha1,
                                           const clbfgs_ls_params *params,
                                           clbfgs_ls_result *result);

#endif
