/* Strong-Wolfe line search.
 *
 * The Moré–Thuente search is written from the paper: J. J. Moré and
 * D. J. Thuente, "Line search algorithms with guaranteed sufficient
 * decrease", ACM TOMS 20(3), 1994, with MINPACK-2's task structure (the
 * form SciPy's line_search_wolfe1 drives). When it fails, SciPy falls back to
 * the bracketing and zoom search of Nocedal & Wright (Algorithms 3.5, 3.6),
 * and so do we, with SciPy's iteration limits, so that step counts agree. */
#include "config.h"

#include "linesearch.h"

#include <math.h>

static const double xtrapl = 1.1, xtrapu = 4.0; /* extrapolation bounds */

static double max3(double a, double b, double c)
{
    double m = a > b ? a : b;
    return m > c ? m : c;
}

void clbfgs__mt_step(double *stx, double *fx, double *dx, double *sty, double *fy, double *dy,
                     double *stp, double fp, double dp, int *brackt, double stpmin, double stpmax)
{
    double sgnd = dp * (*dx / fabs(*dx));
    double stpf, stpc, stpq, theta, s, gamma, p, q, r;

    if (fp > *fx) {
        /* Case 1: a higher value. The minimum is bracketed; take the cubic
         * step if it is closer to stx than the quadratic one, else their mean. */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = max3(fabs(theta), fabs(*dx), fabs(dp));
        gamma = s * sqrt((theta / s) * (theta / s) - (*dx / s) * (dp / s));
        if (*stp < *stx)
            gamma = -gamma;
        p = (gamma - *dx) + theta;
        q = ((gamma - *dx) + gamma) + dp;
        r = p / q;
        stpc = *stx + r * (*stp - *stx);
        stpq = *stx + ((*dx / ((*fx - fp) / (*stp - *stx) + *dx)) / 2.0) * (*stp - *stx);
        if (fabs(stpc - *stx) < fabs(stpq - *stx))
            stpf = stpc;
        else
            stpf = stpc + (stpq - stpc) / 2.0;
        *brackt = 1;
    } else if (sgnd < 0.0) {
        /* Case 2: lower value, derivatives of opposite sign: bracketed; take
         * the step farther from stp (cubic or secant). */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = max3(fabs(theta), fabs(*dx), fabs(dp));
        gamma = s * sqrt((theta / s) * (theta / s) - (*dx / s) * (dp / s));
        if (*stp > *stx)
            gamma = -gamma;
        p = (gamma - dp) + theta;
        q = ((gamma - dp) + gamma) + *dx;
        r = p / q;
        stpc = *stp + r * (*stx - *stp);
        stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        if (fabs(stpc - *stp) > fabs(stpq - *stp))
            stpf = stpc;
        else
            stpf = stpq;
        *brackt = 1;
    } else if (fabs(dp) < fabs(*dx)) {
        /* Case 3: lower value, same sign, the derivative shrinks. The cubic
         * is used only if it tends to infinity in the step's direction or its
         * minimum lies beyond stp; otherwise the step goes to a bound. */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = max3(fabs(theta), fabs(*dx), fabs(dp));
        double rad = (theta / s) * (theta / s) - (*dx / s) * (dp / s);
        gamma = s * sqrt(rad > 0.0 ? rad : 0.0);
        if (*stp > *stx)
            gamma = -gamma;
        p = (gamma - dp) + theta;
        q = (gamma + (*dx - dp)) + gamma;
        r = p / q;
        if (r < 0.0 && gamma != 0.0)
            stpc = *stp + r * (*stx - *stp);
        else if (*stp > *stx)
            stpc = stpmax;
        else
            stpc = stpmin;
        stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        if (*brackt) {
            /* Closer step to stp, kept inside a fraction of the interval. */
            stpf = fabs(stpc - *stp) < fabs(stpq - *stp) ? stpc : stpq;
            if (*stp > *stx)
                stpf = fmin(*stp + 0.66 * (*sty - *stp), stpf);
            else
                stpf = fmax(*stp + 0.66 * (*sty - *stp), stpf);
        } else {
            /* Farther step from stp, kept within the bounds. */
            stpf = fabs(stpc - *stp) > fabs(stpq - *stp) ? stpc : stpq;
            stpf = fmin(stpmax, stpf);
            stpf = fmax(stpmin, stpf);
        }
    } else {
        /* Case 4: lower value, same sign, the derivative does not shrink.
         * If bracketed, the cubic through stp and sty; else a bound. */
        if (*brackt) {
            theta = 3.0 * (fp - *fy) / (*sty - *stp) + *dy + dp;
            s = max3(fabs(theta), fabs(*dy), fabs(dp));
            gamma = s * sqrt((theta / s) * (theta / s) - (*dy / s) * (dp / s));
            if (*stp > *sty)
                gamma = -gamma;
            p = (gamma - dp) + theta;
            q = ((gamma - dp) + gamma) + *dy;
            r = p / q;
            stpc = *stp + r * (*sty - *stp);
            stpf = stpc;
        } else if (*stp > *stx) {
            stpf = stpmax;
        } else {
            stpf = stpmin;
        }
    }

    /* The interval that contains a minimizer. */
    if (fp > *fx) {
        *sty = *stp;
        *fy = fp;
        *dy = dp;
    } else {
        if (sgnd < 0.0) {
            *sty = *stx;
            *fy = *fx;
            *dy = *dx;
        }
        *stx = *stp;
        *fx = fp;
        *dx = dp;
    }
    *stp = stpf;
}

clbfgs_mt_task clbfgs__mt_start(clbfgs_mt_state *s, double *stp, double f0, double g0, double ftol,
                                double gtol, double xtol, double stpmin, double stpmax)
{
    if (!(*stp >= stpmin) || !(*stp <= stpmax))
        return CLBFGS_MT_ERROR_STP;
    if (!(g0 < 0.0))
        return CLBFGS_MT_ERROR_ASCENT;
    if (!(ftol >= 0.0) || !(gtol >= 0.0) || !(xtol >= 0.0) || !(stpmin >= 0.0) ||
        !(stpmax >= stpmin))
        return CLBFGS_MT_ERROR_PARAMETERS;
    s->ftol = ftol;
    s->gtol = gtol;
    s->xtol = xtol;
    s->stpmin = stpmin;
    s->stpmax = stpmax;
    s->brackt = 0;
    s->stage = 1;
    s->finit = f0;
    s->ginit = g0;
    s->gtest = ftol * g0;
    s->width = stpmax - stpmin;
    s->width1 = s->width / 0.5;
    /* stx is the step with the least value so far; sty the interval's other end. */
    s->stx = 0.0;
    s->fx = f0;
    s->gx = g0;
    s->sty = 0.0;
    s->fy = f0;
    s->gy = g0;
    s->stmin = 0.0;
    s->stmax = *stp + xtrapu * *stp;
    return CLBFGS_MT_FG;
}

clbfgs_mt_task clbfgs__mt_iterate(clbfgs_mt_state *s, double *stp, double f, double g)
{
    clbfgs_mt_task task = CLBFGS_MT_FG;
    double ftest = s->finit + *stp * s->gtest;

    /* Stage 2 starts once a step has sufficient decrease and dphi >= 0. */
    if (s->stage == 1 && f <= ftest && g >= 0.0)
        s->stage = 2;

    /* Later tests take precedence, as in MINPACK-2. */
    if (s->brackt && (*stp <= s->stmin || *stp >= s->stmax))
        task = CLBFGS_MT_WARNING_ROUNDING;
    if (s->brackt && s->stmax - s->stmin <= s->xtol * s->stmax)
        task = CLBFGS_MT_WARNING_XTOL;
    if (*stp == s->stpmax && f <= ftest && g <= s->gtest)
        task = CLBFGS_MT_WARNING_STPMAX;
    if (*stp == s->stpmin && (f > ftest || g >= s->gtest))
        task = CLBFGS_MT_WARNING_STPMIN;
    if (f <= ftest && fabs(g) <= s->gtol * (-s->ginit))
        task = CLBFGS_MT_CONVERGENCE;
    if (task != CLBFGS_MT_FG)
        return task;

    if (s->stage == 1 && f <= s->fx && f > ftest) {
        /* In stage 1 a lower value without sufficient decrease: step on the
         * modified function psi(stp) = phi(stp) - phi(0) - ftol stp phi'(0). */
        double fm = f - *stp * s->gtest;
        double fxm = s->fx - s->stx * s->gtest, fym = s->fy - s->sty * s->gtest;
        double gm = g - s->gtest, gxm = s->gx - s->gtest, gym = s->gy - s->gtest;
        clbfgs__mt_step(&s->stx, &fxm, &gxm, &s->sty, &fym, &gym, stp, fm, gm, &s->brackt,
                        s->stmin, s->stmax);
        s->fx = fxm + s->stx * s->gtest;
        s->fy = fym + s->sty * s->gtest;
        s->gx = gxm + s->gtest;
        s->gy = gym + s->gtest;
    } else {
        clbfgs__mt_step(&s->stx, &s->fx, &s->gx, &s->sty, &s->fy, &s->gy, stp, f, g, &s->brackt,
                        s->stmin, s->stmax);
    }

    /* Bisect when the interval does not shrink fast enough. */
    if (s->brackt) {
        if (fabs(s->sty - s->stx) >= 0.66 * s->width1)
            *stp = s->stx + 0.5 * (s->sty - s->stx);
        s->width1 = s->width;
        s->width = fabs(s->sty - s->stx);
    }
    if (s->brackt) {
        s->stmin = fmin(s->stx, s->sty);
        s->stmax = fmax(s->stx, s->sty);
    } else {
        s->stmin = *stp + xtrapl * (*stp - s->stx);
        s->stmax = *stp + xtrapu * (*stp - s->stx);
    }
    *stp = fmax(*stp, s->stpmin);
    *stp = fmin(*stp, s->stpmax);
    /* With no further progress possible, the best step so far is the answer. */
    if ((s->brackt && (*stp <= s->stmin || *stp >= s->stmax)) ||
        (s->brackt && s->stmax - s->stmin <= s->xtol * s->stmax))
        *stp = s->stx;
    return CLBFGS_MT_FG;
}

double clbfgs__ls_first_step(double phi0, double dphi0, double old_phi0)
{
    if (isnan(old_phi0) || dphi0 == 0.0)
        return 1.0;
    double a = fmin(1.0, 1.01 * 2.0 * (phi0 - old_phi0) / dphi0);
    return a < 0.0 ? 1.0 : a;
}

/* One evaluation, with bookkeeping; returns -1 when phi asked to abort,
 * 1 when the values are not finite, 0 otherwise. */
static int evaluate(clbfgs_phi_fn phi, void *user, double alpha, double *f, double *g,
                    clbfgs_ls_result *r)
{
    r->nfev++;
    r->last_alpha = alpha;
    if (phi(user, alpha, f, g) != 0)
        return -1;
    if (!isfinite(*f) || !isfinite(*g)) {
        r->backoffs++;
        return 1;
    }
    return 0;
}

/* Moré–Thuente, as SciPy's line_search_wolfe1 drives it (at most 100
 * evaluations). A non-finite trial ends it: the zoom search that follows
 * treats that step as +infinity and backs off from it, which is what SciPy
 * does for +inf (its dcsrch errors out, its wolfe2 zooms). */
static clbfgs_ls_outcome more_thuente(clbfgs_phi_fn phi, void *user, double phi0, double dphi0,
                                      double alpha1, const clbfgs_ls_params *p,
                                      clbfgs_ls_result *r)
{
    clbfgs_mt_state s;
    double stp = alpha1;
    clbfgs_mt_task task =
        clbfgs__mt_start(&s, &stp, phi0, dphi0, p->c1, p->c2, p->xtol, p->amin, p->amax);
    for (int i = 0; i < 100 && task == CLBFGS_MT_FG; i++) {
        double f, g;
        int e = evaluate(phi, user, stp, &f, &g, r);
        if (e < 0)
            return CLBFGS_LS_ABORTED;
        if (e > 0)
            break; /* task stays FG: a failure */
        r->phi = f;
        r->dphi = g;
        task = clbfgs__mt_iterate(&s, &stp, f, g);
    }
    r->mt_task = task;
    if (task != CLBFGS_MT_CONVERGENCE)
        return CLBFGS_LS_FAILED;
    r->alpha = stp;
    return CLBFGS_LS_OK;
}

/* Minimizer of the cubic through (a, fa) with slope fpa, (b, fb), (c, fc);
 * NaN when it does not exist. */
static double cubicmin(double a, double fa, double fpa, double b, double fb, double c, double fc)
{
    double C = fpa, db = b - a, dc = c - a;
    double denom = (db * dc) * (db * dc) * (db - dc);
    if (denom == 0.0)
        return NAN;
    double r1 = fb - fa - C * db, r2 = fc - fa - C * dc;
    double A = (dc * dc * r1 - db * db * r2) / denom;
    double B = (-dc * dc * dc * r1 + db * db * db * r2) / denom;
    double radical = B * B - 3.0 * A * C;
    if (A == 0.0 || radical < 0.0)
        return NAN;
    double xmin = a + (-B + sqrt(radical)) / (3.0 * A);
    return isfinite(xmin) ? xmin : (double)NAN;
}

/* Minimizer of the quadratic through (a, fa) with slope fpa and (b, fb). */
static double quadmin(double a, double fa, double fpa, double b, double fb)
{
    double db = b - a;
    if (db == 0.0)
        return NAN;
    double B = (fb - fa - fpa * db) / (db * db);
    if (B == 0.0)
        return NAN;
    double xmin = a - fpa / (2.0 * B);
    return isfinite(xmin) ? xmin : (double)NAN;
}

/* A non-finite value is treated as +infinity: too far, so the search backs off. */
static double finite_or_inf(double v) { return isfinite(v) ? v : (double)INFINITY; }

/* Nocedal & Wright's zoom, with SciPy's interpolation checks and limit. */
static clbfgs_ls_outcome zoom(clbfgs_phi_fn phi, void *user, double a_lo, double a_hi,
                              double phi_lo, double phi_hi, double dphi_lo, double phi0,
                              double dphi0, const clbfgs_ls_params *p, clbfgs_ls_result *r)
{
    const double delta1 = 0.2, delta2 = 0.1;
    double phi_rec = phi0, a_rec = 0.0;
    for (int i = 0; i <= 10; i++) {
        double dalpha = a_hi - a_lo;
        double a = dalpha < 0 ? a_hi : a_lo, b = dalpha < 0 ? a_lo : a_hi;
        double a_j = NAN, cchk = 0.0;
        if (i > 0) {
            cchk = delta1 * dalpha;
            a_j = cubicmin(a_lo, phi_lo, dphi_lo, a_hi, phi_hi, a_rec, phi_rec);
        }
        if (i == 0 || isnan(a_j) || a_j > b - cchk || a_j < a + cchk) {
            double qchk = delta2 * dalpha;
            a_j = quadmin(a_lo, phi_lo, dphi_lo, a_hi, phi_hi);
            if (isnan(a_j) || a_j > b - qchk || a_j < a + qchk)
                a_j = a_lo + 0.5 * dalpha;
        }
        double f, g;
        int e = evaluate(phi, user, a_j, &f, &g, r);
        if (e < 0)
            return CLBFGS_LS_ABORTED;
        f = finite_or_inf(f);
        if (f > phi0 + p->c1 * a_j * dphi0 || f >= phi_lo || e > 0) {
            phi_rec = phi_hi;
            a_rec = a_hi;
            a_hi = a_j;
            phi_hi = f;
        } else {
            if (fabs(g) <= -p->c2 * dphi0) {
                r->alpha = a_j;
                r->phi = f;
                r->dphi = g;
                return CLBFGS_LS_OK;
            }
            if (g * (a_hi - a_lo) >= 0) {
                phi_rec = phi_hi;
                a_rec = a_hi;
                a_hi = a_lo;
                phi_hi = phi_lo;
            } else {
                phi_rec = phi_lo;
                a_rec = a_lo;
            }
            a_lo = a_j;
            phi_lo = f;
            dphi_lo = g;
        }
    }
    return CLBFGS_LS_FAILED;
}

/* SciPy's line_search_wolfe2: double the step until the minimum is
 * bracketed (at most 10 times), then zoom. */
static clbfgs_ls_outcome bracket_and_zoom(clbfgs_phi_fn phi, void *user, double phi0, double dphi0,
                                          double alpha1, const clbfgs_ls_params *p,
                                          clbfgs_ls_result *r)
{
    double alpha0 = 0.0, phi_a0 = phi0, dphi_a0 = dphi0;
    alpha1 = fmin(alpha1, p->amax);
    double phi_a1, dphi_a1;
    int e = evaluate(phi, user, alpha1, &phi_a1, &dphi_a1, r);
    if (e < 0)
        return CLBFGS_LS_ABORTED;
    phi_a1 = finite_or_inf(phi_a1);
    for (int i = 0; i < 10; i++) {
        if (alpha1 == 0.0 || alpha0 == p->amax)
            return CLBFGS_LS_FAILED;
        if (phi_a1 > phi0 + p->c1 * alpha1 * dphi0 || (phi_a1 >= phi_a0 && i > 0) || e > 0)
            return zoom(phi, user, alpha0, alpha1, phi_a0, phi_a1, dphi_a0, phi0, dphi0, p, r);
        if (fabs(dphi_a1) <= -p->c2 * dphi0) {
            r->alpha = alpha1;
            r->phi = phi_a1;
            r->dphi = dphi_a1;
            return CLBFGS_LS_OK;
        }
        if (dphi_a1 >= 0)
            return zoom(phi, user, alpha1, alpha0, phi_a1, phi_a0, dphi_a1, phi0, dphi0, p, r);
        double alpha2 = fmin(2.0 * alpha1, p->amax);
        alpha0 = alpha1;
        alpha1 = alpha2;
        phi_a0 = phi_a1;
        dphi_a0 = dphi_a1;
        e = evaluate(phi, user, alpha1, &phi_a1, &dphi_a1, r);
        if (e < 0)
            return CLBFGS_LS_ABORTED;
        phi_a1 = finite_or_inf(phi_a1);
    }
    /* SciPy accepts the last step here, without a curvature check; a
     * non-finite one is not a step worth taking. */
    if (!isfinite(phi_a1) || !isfinite(dphi_a1))
        return CLBFGS_LS_FAILED;
    r->alpha = alpha1;
    r->phi = phi_a1;
    r->dphi = dphi_a1;
    return CLBFGS_LS_OK;
}

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
    result->alpha = result->last_alpha = 0.0;
    result->phi = phi0;
    result->dphi = dphi0;
    result->nfev = result->used_fallback = result->backoffs = 0;
    result->mt_task = CLBFGS_MT_FG;
    clbfgs_ls_outcome out = more_thuente(phi, user, phi0, dphi0, alpha1, params, result);
    if (out != CLBFGS_LS_FAILED)
        return out;
    result->used_fallback = 1;
    return bracket_and_zoom(phi, user, phi0, dphi0, alpha1, params, result);
}
