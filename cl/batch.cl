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
 * sums differs from the multi-kernel run. Each work-item takes problems
 * from a counter until none is left, so a problem that stops early frees its
 * work-item for the next one, and nothing crosses to the host until every
 * problem has stopped. Work-items never wait for each other (no barrier). */
#pragma OPENCL FP_CONTRACT OFF

#define N CLBFGS_N

#if CLBFGS_HLOCAL
#define HMEM __local
#else
#define HMEM __global
#endif

#if CLBFGS_LSQ
#define BATCH_VALUE(r) ((r) * (r))
#else
#define BATCH_VALUE(r) (r)
#endif

/* sum += v, Kahan's way, as cl/terms.cl sums items. */
#define BATCH_KAHAN(sum, c, v)                                                                    \
    do {                                                                                          \
        const real y_ = (v) - (c);                                                                \
        const real t_ = (sum) + y_;                                                               \
        (c) = (t_ - (sum)) - y_;                                                                  \
        (sum) = t_;                                                                               \
    } while (0)

#if !CLBFGS_GRADIENT
/* x_j + h_j: SciPy's relative step, as cl/terms.cl's clbfgs_step. */
static real batch_step(const real xj)
{
    real t = xj + CLBFGS_EPS;
    if (t - xj == 0)
        t = xj + CLBFGS_EPS * (xj >= 0 ? (real)1 : (real)-1) * fmax((real)1, fabs(xj));
    return t;
}
#endif

/* f and the gradient (into g) of problem clbfgs_prob at x, summed over its
 * m items in item order. */
static real batch_eval(const uint m, real *x, real *g, const size_t clbfgs_prob CLBFGS_TERM_PARAMS)
{
    real fs = 0, fc = 0, gc[N];
    for (uint j = 0; j < N; j++)
        g[j] = gc[j] = 0;
#if CLBFGS_GRADIENT
    real gi[N];
    for (uint i = 0; i < m; i++) {
        for (uint j = 0; j < N; j++)
            gi[j] = 0;
        const real r = CLBFGS_BATCH_TERM(i, x, gi);
        BATCH_KAHAN(fs, fc, BATCH_VALUE(r));
        for (uint j = 0; j < N; j++)
            BATCH_KAHAN(g[j], gc[j], CLBFGS_LSQ ? r * gi[j] : gi[j]);
    }
#if CLBFGS_LSQ
    fs /= 2;
#endif
#else
    for (uint i = 0; i < m; i++) {
        real r = CLBFGS_BATCH_TERM(i, x);
        const real f0 = BATCH_VALUE(r);
        BATCH_KAHAN(fs, fc, f0);
        for (uint j = 0; j < N; j++) {
            const real keep = x[j];
            x[j] = batch_step(keep);
            r = CLBFGS_BATCH_TERM(i, x);
            x[j] = keep;
            BATCH_KAHAN(g[j], gc[j], BATCH_VALUE(r) - f0);
        }
    }
    for (uint j = 0; j < N; j++) {
#if CLBFGS_LSQ
        g[j] /= 2;
#endif
        g[j] /= batch_step(x[j]) - x[j];
    }
#if CLBFGS_LSQ
    fs /= 2;
#endif
#endif
    return fs;
}

/* The options, as the host packs them (lib/batch.c). */
enum { OPT_GTOL, OPT_NORM, OPT_XRTOL, OPT_C1, OPT_C2, OPT_COUNT };
/* Each problem's counts (uint): status, nit, nfev, njev, skipped updates. */
enum { OUT_STATUS, OUT_NIT, OUT_NFEV, OUT_NJEV, OUT_SKIPPED, OUT_COUNT };

/* P problems; x holds their starting points (P x n) and gets their best
 * points, g their gradients, f their values; out their counts; next is
 * the problem counter (0 at launch); hg (global tier) n x n reals per
 * work-item. */
__kernel __attribute__((reqd_work_group_size(CLBFGS_BATCH_WG, 1, 1))) void
clbfgs_batch(const uint P, __global real *xio, __global real *fio, __global real *gio,
             __global uint *out, __global volatile int *next, __global real *hg,
             __global const real *opt, const uint m, const uint maxiter CLBFGS_TERM_PARAMS)
{
#if CLBFGS_HLOCAL
    __local real hl[CLBFGS_BATCH_WG * N * N];
    HMEM real *H = hl + get_local_id(0) * (size_t)(N * N);
    (void)hg;
#else
    HMEM real *H = hg + get_global_id(0) * (size_t)(N * N);
#endif
    const real gtol = opt[OPT_GTOL], ord = opt[OPT_NORM], xrtol = opt[OPT_XRTOL];
    clbfgs_ls_params lsp;
    lsp.c1 = opt[OPT_C1];
    lsp.c2 = opt[OPT_C2];
#ifdef CLBFGS_DOUBLE
    lsp.amin = 1e-100;
    lsp.amax = 1e100;
#else
    lsp.amin = (real)1e-100; /* 0 and inf in float, as the host's double bounds become */
    lsp.amax = (real)INFINITY;
#endif
    lsp.xtol = (real)1e-14;
    real x[N], g[N], p[N], xt[N], gt[N], v[N], u[N], s[N];

    for (;;) {
        const int claimed = atomic_inc(next);
        if (claimed < 0 || (uint)claimed >= P)
            break;
        const size_t prob = (size_t)claimed;
        uint nit = 0, nfev = 0, njev = 0, skipped = 0;
        const uint values = CLBFGS_GRADIENT ? 1 : N + 1;

        for (uint j = 0; j < N; j++) {
            x[j] = xio[prob * N + j];
            for (uint k = 0; k < N; k++)
                H[j * N + k] = j == k ? (real)1 : (real)0;
        }
        real f = batch_eval(m, x, g, prob CLBFGS_TERM_NAMES);
        nfev += values;
        njev++;
        real gn = norm_start(ord), gg = 0, gp = 0;
        for (uint j = 0; j < N; j++) {
            gn = norm_add(gn, g[j], ord);
            gg += fabs(g[j]) * fabs(g[j]);
            p[j] = -g[j];
            gp += g[j] * p[j];
        }
        real gnorm = norm_final(gn, ord);
        int warn = (!isfinite(f) || !isfinite(gnorm)) ? 3 : 0;
        real alpha0 = clbfgs__ls_first_step(f, gp, f + sqrt(gg) / (real)2);

        for (;;) {
            /* SciPy's loop test */
            if (warn != 0 || !(gnorm > gtol) || nit >= maxiter)
                break;
            clbfgs_ls ls;
            clbfgs_ls_outcome o = clbfgs__ls_begin(&ls, f, gp, alpha0, &lsp);
            real last = (real)NAN;
            while (o == CLBFGS_LS_EVAL) {
                last = ls.trial;
                for (uint j = 0; j < N; j++)
                    xt[j] = x[j] + last * p[j];
                const real ft = batch_eval(m, xt, gt, prob CLBFGS_TERM_NAMES);
                nfev += values;
                njev++;
                real d = 0;
                for (uint j = 0; j < N; j++)
                    d += gt[j] * p[j];
                o = clbfgs__ls_next(&ls, ft, d);
            }
            if (o != CLBFGS_LS_OK) {
                warn = 2;
                break;
            }
            if (!(last == ls.alpha)) { /* xt and gt must hold the accepted point */
                for (uint j = 0; j < N; j++)
                    xt[j] = x[j] + ls.alpha * p[j];
                batch_eval(m, xt, gt, prob CLBFGS_TERM_NAMES);
                nfev += values;
                njev++;
            }
            const real alpha = ls.alpha, f_prev = f;
            f = ls.phi;
            nit++;
            /* x, g take the new point; s = alpha p, y = g - g_old, v = H g,
             * u = v + p = H y */
            real ys = 0, yu = 0, sg = 0, ug = 0, pp = 0, xx = 0;
            gn = norm_start(ord);
            for (uint j = 0; j < N; j++) {
                real acc = 0;
                for (uint k = 0; k < N; k++)
                    acc += H[j * N + k] * gt[k];
                v[j] = acc;
            }
            for (uint j = 0; j < N; j++) {
                const real gj = gt[j], yj = gj - g[j], pj = p[j];
                x[j] = xt[j];
                g[j] = gj;
                s[j] = alpha * pj;
                u[j] = v[j] + pj;
                gn = norm_add(gn, gj, ord);
                xx += fabs(x[j]) * fabs(x[j]);
                ys += yj * s[j];
                yu += yj * u[j];
                sg += s[j] * gj;
                ug += u[j] * gj;
                pp += fabs(pj) * fabs(pj);
            }
            gnorm = norm_final(gn, ord);
            /* the update (made only when y.s > 0) and the new direction */
            const int pending = ys > 0 && isfinite(ys);
            real a = 0, b = 0, cu = 0, cs = 0;
            if (pending) {
                const real rho = (real)1 / ys;
                a = -rho;
                b = rho * rho * yu + rho;
                cu = rho * sg;
                cs = rho * ug - b * sg;
                for (uint j = 0; j < N; j++)
                    for (uint k = 0; k < N; k++)
                        H[j * N + k] += a * (u[j] * s[k] + s[j] * u[k]) + b * (s[j] * s[k]);
            }
            gp = 0;
            for (uint j = 0; j < N; j++) {
                p[j] = pending ? (-v[j] + cu * u[j]) + cs * s[j] : -v[j];
                gp += g[j] * p[j];
            }
            alpha0 = clbfgs__ls_first_step(f, gp, f_prev);
            /* SciPy's tests after a step, in its order */
            const real step = alpha * sqrt(pp);
            const real xbound = xrtol > 0 ? xrtol * (xrtol + sqrt(xx)) : (real)0;
            if (gnorm <= gtol || step <= xbound)
                break;
            if (!isfinite(f)) {
                warn = 2;
                break;
            }
            skipped += !pending;
        }
        /* the status, as SciPy sets it after its loop */
        if (warn == 0 && nit >= maxiter)
            warn = 1;
        if (warn == 0) {
            int nan = isnan(gnorm) || isnan(f);
            for (uint j = 0; j < N; j++)
                nan |= isnan(x[j]);
            if (nan)
                warn = 3;
        }
        for (uint j = 0; j < N; j++) {
            xio[prob * N + j] = x[j];
            gio[prob * N + j] = g[j];
        }
        fio[prob] = f;
        __global uint *o = out + prob * OUT_COUNT;
        o[OUT_STATUS] = (uint)warn;
        o[OUT_NIT] = nit;
        o[OUT_NFEV] = nfev;
        o[OUT_NJEV] = njev;
        o[OUT_SKIPPED] = skipped;
    }
}

#undef N
#undef HMEM
