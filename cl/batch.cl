/* The one-kernel solve (lib/batch.c): the whole BFGS run of a problem in one
 * work-item, for batches of independent small problems and for a single
 * small problem. Compiled after the caller's term function (or a built-in's
 * function form), cl/linesearch.cl (ls_real is real) and cl/iteration.cl
 * (the norms), with these definitions of the library's:
 *
 *   CLBFGS_N           the number of parameters (at most 64)
 *   CLBFGS_GRADIENT    1: CLBFGS_BATCH_TERM(i, x, g) returns item i's value
 *                      and writes its gradient; 0: CLBFGS_BATCH_TERM(i, x)
 *                      and forward differences (SciPy's step, CLBFGS_EPS)
 *   CLBFGS_LSQ         1: the value is a residual r, f = 1/2 sum r^2
 *   CLBFGS_EPS         the forward-difference step
 *   CLBFGS_HLOCAL      1: each work-item's H in __local memory; 0: in the
 *                      global buffer hg, n x n reals per work-item
 *   CLBFGS_BATCH_WG    the work-group size
 *   CLBFGS_TERM_PARAMS the data parameters, each with a leading comma
 *   CLBFGS_TERM_NAMES  their names, each with a leading comma
 *   CLBFGS_BATCH_TERM  the call of the function for item i of problem
 *                      clbfgs_prob (per-problem data offset to its block)
 *
 * The iteration is driver.c's and hessian.cl's (SciPy's BFGS): the same
 * tests in the same order, the same update and skip rule, the same first
 * trial step, the same line search (the same file); only the order of a few
 * sums differs from the multi-kernel run, and how the update is rounded
 * (here a (u s^T + s u^T) + b s s^T; hessian.cl forms c = a u + (b / 2) s
 * and adds c s^T + s c^T, the same in exact arithmetic). Each work-item takes problems
 * from a counter until none is left, so a problem that stops early frees its
 * work-item for the next one, and nothing crosses to the host until every
 * problem has stopped. Work-items never wait for each other (no barrier). */
#pragma OPENCL FP_CONTRACT OFF

#if CLBFGS_HLOCAL
#define CLBFGS_HMEM __local
#else
#define CLBFGS_HMEM __global
#endif

/* Past 64 parameters the vectors other than x, the trial point and an
 * item's gradient (private by the function's contract) live in global
 * memory, 8 n reals per work-item (vg). */
#if CLBFGS_VWIDE
#define CLBFGS_VMEM __global
#else
#define CLBFGS_VMEM
#endif

/* CLBFGS_KAHAN, CLBFGS_VALUE and clbfgs_step: cl/term_sums.cl. */

/* f and the gradient (into g) of problem clbfgs_prob at x, summed over its
 * m items in item order. */
static real clbfgs_batch_eval(const uint clbfgs_m, real *clbfgs_x, CLBFGS_VMEM real *clbfgs_g,
                              CLBFGS_VMEM real *clbfgs_gc,
                              const size_t clbfgs_prob CLBFGS_TERM_PARAMS)
{
    real clbfgs_fs = 0, clbfgs_fc = 0;
    for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
        clbfgs_g[clbfgs_j] = clbfgs_gc[clbfgs_j] = 0;
#if CLBFGS_GRADIENT
    real clbfgs_gi[CLBFGS_N], clbfgs_gb[CLBFGS_N];
    for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
        clbfgs_gb[clbfgs_j] = 0;
    for (uint clbfgs_i = 0; clbfgs_i < clbfgs_m; clbfgs_i++) {
        for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
            clbfgs_gi[clbfgs_j] = 0;
        const real clbfgs_r = CLBFGS_BATCH_TERM(clbfgs_i, clbfgs_x, clbfgs_gi);
        CLBFGS_KAHAN(clbfgs_fs, clbfgs_fc, CLBFGS_VALUE(clbfgs_r));
        /* the gradient: plain sums over blocks of 8 items, each block's
         * sum then added with compensation (a sixth of the work of
         * compensating every item, and as accurate to a few ulps) */
        for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
            clbfgs_gb[clbfgs_j] +=
                CLBFGS_LSQ ? clbfgs_r * clbfgs_gi[clbfgs_j] : clbfgs_gi[clbfgs_j];
        if ((clbfgs_i & 7) == 7 || clbfgs_i + 1 == clbfgs_m)
            for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
                CLBFGS_KAHAN(clbfgs_g[clbfgs_j], clbfgs_gc[clbfgs_j], clbfgs_gb[clbfgs_j]);
                clbfgs_gb[clbfgs_j] = 0;
            }
    }
#if CLBFGS_LSQ
    clbfgs_fs /= 2;
#endif
#else
    for (uint clbfgs_i = 0; clbfgs_i < clbfgs_m; clbfgs_i++) {
        real clbfgs_r = CLBFGS_BATCH_TERM(clbfgs_i, clbfgs_x);
        const real clbfgs_f0 = CLBFGS_VALUE(clbfgs_r);
        CLBFGS_KAHAN(clbfgs_fs, clbfgs_fc, clbfgs_f0);
        for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
            const real clbfgs_keep = clbfgs_x[clbfgs_j];
            clbfgs_x[clbfgs_j] = clbfgs_step(clbfgs_keep);
            clbfgs_r = CLBFGS_BATCH_TERM(clbfgs_i, clbfgs_x);
            clbfgs_x[clbfgs_j] = clbfgs_keep;
            CLBFGS_KAHAN(clbfgs_g[clbfgs_j], clbfgs_gc[clbfgs_j],
                         CLBFGS_VALUE(clbfgs_r) - clbfgs_f0);
        }
    }
    for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
#if CLBFGS_LSQ
        clbfgs_g[clbfgs_j] /= 2;
#endif
        clbfgs_g[clbfgs_j] /= clbfgs_step(clbfgs_x[clbfgs_j]) - clbfgs_x[clbfgs_j];
    }
#if CLBFGS_LSQ
    clbfgs_fs /= 2;
#endif
#endif
    return clbfgs_fs;
}

/* The options, as the host packs them (lib/batch.c). */
enum {
    CLBFGS_OPT_GTOL,
    CLBFGS_OPT_NORM,
    CLBFGS_OPT_XRTOL,
    CLBFGS_OPT_C1,
    CLBFGS_OPT_C2,
    CLBFGS_OPT_COUNT
};
/* Each problem's counts (uint): status, nit, nfev, njev, skipped updates. */
enum {
    CLBFGS_OUT_STATUS,
    CLBFGS_OUT_NIT,
    CLBFGS_OUT_NFEV,
    CLBFGS_OUT_NJEV,
    CLBFGS_OUT_SKIPPED,
    CLBFGS_OUT_COUNT
};

/* P problems; x holds their starting points (P x n) and gets their best
 * points, g their gradients, f their values; out their counts; next is
 * the problem counter (0 at launch); hg (global tier) n x n reals per
 * work-item. */
__kernel __attribute__((reqd_work_group_size(CLBFGS_BATCH_WG, 1, 1))) void
clbfgs_batch(const uint clbfgs_P, __global real *clbfgs_xio, __global real *clbfgs_fio,
             __global real *clbfgs_gio, __global uint *clbfgs_out,
             __global volatile int *clbfgs_next, __global real *clbfgs_hg,
             __global const real *clbfgs_opt, __global real *clbfgs_vg, const uint clbfgs_m,
             const uint clbfgs_maxiter CLBFGS_TERM_PARAMS)
{
#if CLBFGS_HLOCAL
    __local real clbfgs_hl[CLBFGS_BATCH_WG * CLBFGS_N * CLBFGS_N];
    CLBFGS_HMEM real *clbfgs_H = clbfgs_hl + get_local_id(0) * (size_t)(CLBFGS_N * CLBFGS_N);
    (void)clbfgs_hg;
#else
    CLBFGS_HMEM real *clbfgs_H = clbfgs_hg + get_global_id(0) * (size_t)(CLBFGS_N * CLBFGS_N);
#endif
    const real clbfgs_gtol = clbfgs_opt[CLBFGS_OPT_GTOL], clbfgs_ord = clbfgs_opt[CLBFGS_OPT_NORM],
               clbfgs_xrtol = clbfgs_opt[CLBFGS_OPT_XRTOL];
    clbfgs_ls_params clbfgs_lsp;
    clbfgs_lsp.c1 = clbfgs_opt[CLBFGS_OPT_C1];
    clbfgs_lsp.c2 = clbfgs_opt[CLBFGS_OPT_C2];
#if CLBFGS_DOUBLE
    clbfgs_lsp.amin = 1e-100;
    clbfgs_lsp.amax = 1e100;
#else
    /* the host's bounds are 1e-100 and 1e100 (in double, whatever the run's
     * precision); float's nearest: a first step of -0 (f unchanged) must be
     * refused as the host refuses it, not searched from */
    clbfgs_lsp.amin = FLT_MIN;
    clbfgs_lsp.amax = (real)INFINITY;
#endif
    clbfgs_lsp.xtol = (real)1e-14;
    real clbfgs_x[CLBFGS_N], clbfgs_xt[CLBFGS_N];
#if CLBFGS_VWIDE
    __global real *clbfgs_w = clbfgs_vg + get_global_id(0) * (size_t)(8 * CLBFGS_N);
    __global real *clbfgs_g = clbfgs_w, *clbfgs_p = clbfgs_w + CLBFGS_N,
                  *clbfgs_gt = clbfgs_w + 2 * CLBFGS_N, *clbfgs_v = clbfgs_w + 3 * CLBFGS_N,
                  *clbfgs_u = clbfgs_w + 4 * CLBFGS_N, *clbfgs_s = clbfgs_w + 5 * CLBFGS_N,
                  *clbfgs_gc = clbfgs_w + 6 * CLBFGS_N;
#else
    real clbfgs_g[CLBFGS_N], clbfgs_p[CLBFGS_N], clbfgs_gt[CLBFGS_N], clbfgs_v[CLBFGS_N],
        clbfgs_u[CLBFGS_N], clbfgs_s[CLBFGS_N], clbfgs_gc[CLBFGS_N];
    (void)clbfgs_vg;
#endif

    for (;;) {
        const int clbfgs_claimed = atomic_inc(clbfgs_next);
        if (clbfgs_claimed < 0 || (uint)clbfgs_claimed >= clbfgs_P)
            break;
        const size_t clbfgs_prob = (size_t)clbfgs_claimed;
        uint clbfgs_nit = 0, clbfgs_nfev = 0, clbfgs_njev = 0, clbfgs_skipped = 0;
        const uint clbfgs_values = CLBFGS_GRADIENT ? 1 : CLBFGS_N + 1;

        for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
            clbfgs_x[clbfgs_j] = clbfgs_xio[clbfgs_prob * CLBFGS_N + clbfgs_j];
            for (uint clbfgs_k = 0; clbfgs_k < CLBFGS_N; clbfgs_k++)
                clbfgs_H[clbfgs_j * CLBFGS_N + clbfgs_k] = clbfgs_j == clbfgs_k ? (real)1 : (real)0;
        }
        real clbfgs_f = clbfgs_batch_eval(clbfgs_m, clbfgs_x, clbfgs_g, clbfgs_gc,
                                          clbfgs_prob CLBFGS_TERM_NAMES);
        clbfgs_nfev += clbfgs_values;
        clbfgs_njev++;
        real clbfgs_gn = clbfgs_norm_start(clbfgs_ord), clbfgs_gg = 0, clbfgs_gp = 0;
        for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
            clbfgs_gn = clbfgs_norm_add(clbfgs_gn, clbfgs_g[clbfgs_j], clbfgs_ord);
            clbfgs_gg += fabs(clbfgs_g[clbfgs_j]) * fabs(clbfgs_g[clbfgs_j]);
            /* as dense_step writes it: 0 v turns an inf in g into NaN */
            clbfgs_p[clbfgs_j] = ((real)-1 * clbfgs_g[clbfgs_j] + (real)0 * clbfgs_g[clbfgs_j]) +
                                 (real)0 * clbfgs_g[clbfgs_j];
            clbfgs_gp += clbfgs_g[clbfgs_j] * clbfgs_p[clbfgs_j];
        }
        real clbfgs_gnorm = clbfgs_norm_final(clbfgs_gn, clbfgs_ord);
        int clbfgs_warn = (!isfinite(clbfgs_f) || !isfinite(clbfgs_gnorm)) ? 3 : 0;
        real clbfgs_alpha0 =
            clbfgs__ls_first_step(clbfgs_f, clbfgs_gp, clbfgs_f + sqrt(clbfgs_gg) / (real)2);

        for (;;) {
            /* SciPy's loop test */
            if (clbfgs_warn != 0 || !(clbfgs_gnorm > clbfgs_gtol) || clbfgs_nit >= clbfgs_maxiter)
                break;
            clbfgs_ls clbfgs_search;
            clbfgs_ls_outcome clbfgs_o =
                clbfgs__ls_begin(&clbfgs_search, clbfgs_f, clbfgs_gp, clbfgs_alpha0, &clbfgs_lsp);
            real clbfgs_last = (real)NAN;
            while (clbfgs_o == CLBFGS_LS_EVAL) {
                clbfgs_last = clbfgs_search.trial;
                for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
                    clbfgs_xt[clbfgs_j] = clbfgs_x[clbfgs_j] + clbfgs_last * clbfgs_p[clbfgs_j];
                const real clbfgs_ft = clbfgs_batch_eval(clbfgs_m, clbfgs_xt, clbfgs_gt, clbfgs_gc,
                                                         clbfgs_prob CLBFGS_TERM_NAMES);
                clbfgs_nfev += clbfgs_values;
                clbfgs_njev++;
                real clbfgs_d = 0;
                for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
                    clbfgs_d += clbfgs_gt[clbfgs_j] * clbfgs_p[clbfgs_j];
                clbfgs_o = clbfgs__ls_next(&clbfgs_search, clbfgs_ft, clbfgs_d);
            }
            if (clbfgs_o != CLBFGS_LS_OK) {
                clbfgs_warn = 2;
                break;
            }
            if (!(clbfgs_last ==
                  clbfgs_search.alpha)) { /* xt and gt must hold the accepted point */
                for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
                    clbfgs_xt[clbfgs_j] =
                        clbfgs_x[clbfgs_j] + clbfgs_search.alpha * clbfgs_p[clbfgs_j];
                clbfgs_batch_eval(clbfgs_m, clbfgs_xt, clbfgs_gt, clbfgs_gc,
                                  clbfgs_prob CLBFGS_TERM_NAMES);
                clbfgs_nfev += clbfgs_values;
                clbfgs_njev++;
            }
            const real clbfgs_alpha = clbfgs_search.alpha, clbfgs_f_prev = clbfgs_f;
            clbfgs_f = clbfgs_search.phi;
            clbfgs_nit++;
            /* x, g take the new point; s = alpha p, y = g - g_old, v = H g,
             * u = v + p = H y */
            real clbfgs_ys = 0, clbfgs_yu = 0, clbfgs_sg = 0, clbfgs_ug = 0, clbfgs_pp = 0,
                 clbfgs_xx = 0;
            clbfgs_gn = clbfgs_norm_start(clbfgs_ord);
            for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
                real clbfgs_acc = 0;
                for (uint clbfgs_k = 0; clbfgs_k < CLBFGS_N; clbfgs_k++)
                    clbfgs_acc += clbfgs_H[clbfgs_j * CLBFGS_N + clbfgs_k] * clbfgs_gt[clbfgs_k];
                clbfgs_v[clbfgs_j] = clbfgs_acc;
            }
            for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
                const real clbfgs_gj = clbfgs_gt[clbfgs_j],
                           clbfgs_yj = clbfgs_gj - clbfgs_g[clbfgs_j],
                           clbfgs_pj = clbfgs_p[clbfgs_j];
                clbfgs_x[clbfgs_j] = clbfgs_xt[clbfgs_j];
                clbfgs_g[clbfgs_j] = clbfgs_gj;
                clbfgs_s[clbfgs_j] = clbfgs_alpha * clbfgs_pj;
                /* dense_step's u = (1 v + 1 p) + 0 p: an inf in p becomes NaN */
                clbfgs_u[clbfgs_j] =
                    ((real)1 * clbfgs_v[clbfgs_j] + (real)1 * clbfgs_pj) + (real)0 * clbfgs_pj;
                clbfgs_gn = clbfgs_norm_add(clbfgs_gn, clbfgs_gj, clbfgs_ord);
                clbfgs_xx += fabs(clbfgs_x[clbfgs_j]) * fabs(clbfgs_x[clbfgs_j]);
                clbfgs_ys += clbfgs_yj * clbfgs_s[clbfgs_j];
                clbfgs_yu += clbfgs_yj * clbfgs_u[clbfgs_j];
                clbfgs_sg += clbfgs_s[clbfgs_j] * clbfgs_gj;
                clbfgs_ug += clbfgs_u[clbfgs_j] * clbfgs_gj;
                clbfgs_pp += fabs(clbfgs_pj) * fabs(clbfgs_pj);
            }
            clbfgs_gnorm = clbfgs_norm_final(clbfgs_gn, clbfgs_ord);
            /* the update (made only when y.s > 0) and the new direction */
            const int clbfgs_pending = clbfgs_ys > 0 && isfinite(clbfgs_ys);
            real clbfgs_a = 0, clbfgs_b = 0, clbfgs_cu = 0, clbfgs_cs = 0;
            if (clbfgs_pending) {
                const real clbfgs_rho = (real)1 / clbfgs_ys;
                clbfgs_a = -clbfgs_rho;
                clbfgs_b = clbfgs_rho * clbfgs_rho * clbfgs_yu + clbfgs_rho;
                clbfgs_cu = clbfgs_rho * clbfgs_sg;
                clbfgs_cs = clbfgs_rho * clbfgs_ug - clbfgs_b * clbfgs_sg;
                for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
                    for (uint clbfgs_k = 0; clbfgs_k < CLBFGS_N; clbfgs_k++)
                        clbfgs_H[clbfgs_j * CLBFGS_N + clbfgs_k] +=
                            clbfgs_a * (clbfgs_u[clbfgs_j] * clbfgs_s[clbfgs_k] +
                                        clbfgs_s[clbfgs_j] * clbfgs_u[clbfgs_k]) +
                            clbfgs_b * (clbfgs_s[clbfgs_j] * clbfgs_s[clbfgs_k]);
            }
            clbfgs_gp = 0;
            for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
                const real clbfgs_vj = clbfgs_v[clbfgs_j];
                clbfgs_p[clbfgs_j] =
                    clbfgs_pending
                        ? ((real)-1 * clbfgs_vj + clbfgs_cu * clbfgs_u[clbfgs_j]) +
                              clbfgs_cs * clbfgs_s[clbfgs_j]
                        : ((real)-1 * clbfgs_vj + (real)0 * clbfgs_vj) + (real)0 * clbfgs_vj;
                clbfgs_gp += clbfgs_g[clbfgs_j] * clbfgs_p[clbfgs_j];
            }
            clbfgs_alpha0 = clbfgs__ls_first_step(clbfgs_f, clbfgs_gp, clbfgs_f_prev);
            /* SciPy's tests after a step, in its order */
            const real clbfgs_steplen = clbfgs_alpha * sqrt(clbfgs_pp);
            const real clbfgs_xbound =
                clbfgs_xrtol > 0 ? clbfgs_xrtol * (clbfgs_xrtol + sqrt(clbfgs_xx)) : (real)0;
            if (clbfgs_gnorm <= clbfgs_gtol || clbfgs_steplen <= clbfgs_xbound)
                break;
            if (!isfinite(clbfgs_f)) {
                clbfgs_warn = 2;
                break;
            }
            clbfgs_skipped += !clbfgs_pending;
        }
        /* the status, as SciPy sets it after its loop */
        if (clbfgs_warn == 0 && clbfgs_nit >= clbfgs_maxiter)
            clbfgs_warn = 1;
        if (clbfgs_warn == 0) {
            int clbfgs_nan = isnan(clbfgs_gnorm) || isnan(clbfgs_f);
            for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++)
                clbfgs_nan |= isnan(clbfgs_x[clbfgs_j]);
            if (clbfgs_nan)
                clbfgs_warn = 3;
        }
        for (uint clbfgs_j = 0; clbfgs_j < CLBFGS_N; clbfgs_j++) {
            clbfgs_xio[clbfgs_prob * CLBFGS_N + clbfgs_j] = clbfgs_x[clbfgs_j];
            clbfgs_gio[clbfgs_prob * CLBFGS_N + clbfgs_j] = clbfgs_g[clbfgs_j];
        }
        clbfgs_fio[clbfgs_prob] = clbfgs_f;
        __global uint *clbfgs_o = clbfgs_out + clbfgs_prob * CLBFGS_OUT_COUNT;
        clbfgs_o[CLBFGS_OUT_STATUS] = (uint)clbfgs_warn;
        clbfgs_o[CLBFGS_OUT_NIT] = clbfgs_nit;
        clbfgs_o[CLBFGS_OUT_NFEV] = clbfgs_nfev;
        clbfgs_o[CLBFGS_OUT_NJEV] = clbfgs_njev;
        clbfgs_o[CLBFGS_OUT_SKIPPED] = clbfgs_skipped;
    }
}

#undef CLBFGS_HMEM
