/* The strong-Wolfe line search, one source for the host and the device.
 *
 * The host compiles this as C (lib/linesearch.c, with ls_real = double) and
 * drives it with its phi callback; the one-kernel solve (cl/batch.cl)
 * compiles it as OpenCL C (ls_real = real) and evaluates phi itself. Both
 * run the same decisions, operation for operation, so a problem solved in
 * one kernel takes SciPy's steps as the host-driven run does.
 *
 * The search is SciPy's: Moré & Thuente first (J. J. Moré and D. J. Thuente,
 * "Line search algorithms with guaranteed sufficient decrease", ACM TOMS
 * 20(3), 1994, with MINPACK-2's task structure, as line_search_wolfe1 drives
 * dcsrch, at most 100 evaluations); when it fails, the bracketing and zoom
 * search of Nocedal & Wright (Algorithms 3.5, 3.6), as line_search_wolfe2
 * runs it, with its limits. It is written by reverse communication: the
 * caller starts it, evaluates phi and phi' wherever it says (ls->trial), and
 * hands the values back until it answers OK or FAILED.
 *
 * Whoever includes this defines ls_real first. With CLBFGS_LS_TYPES_ONLY
 * defined, only the types come (the host's header). */
#ifdef __OPENCL_VERSION__
/* the host's C does not fuse a * b + c (lib/linesearch.c is built with
 * -ffp-contract=off where the compiler has it): neither may the device */
#pragma OPENCL FP_CONTRACT OFF
#endif

#ifndef CLBFGS_LS_TYPES
#define CLBFGS_LS_TYPES

typedef enum clbfgs_mt_task {
    CLBFGS_MT_FG = 0,           /* evaluate phi and dphi at *stp, call again */
    CLBFGS_MT_CONVERGENCE,      /* *stp satisfies the strong Wolfe conditions */
    CLBFGS_MT_WARNING_ROUNDING, /* rounding errors prevent progress */
    CLBFGS_MT_WARNING_XTOL,     /* the interval is narrower than xtol */
    CLBFGS_MT_WARNING_STPMAX,   /* stp = stpmax and still decreasing */
    CLBFGS_MT_WARNING_STPMIN,   /* stp = stpmin and no sufficient decrease */
    CLBFGS_MT_ERROR_STP,        /* start: stp outside [stpmin, stpmax] */
    CLBFGS_MT_ERROR_ASCENT,     /* start: dphi(0) >= 0 */
    CLBFGS_MT_ERROR_PARAMETERS  /* start: a tolerance or bound is out of range */
} clbfgs_mt_task;

typedef struct clbfgs_mt_state {
    ls_real ftol, gtol, xtol, stpmin, stpmax;
    int brackt, stage;
    ls_real ginit, gtest, gx, gy, finit, fx, fy, stx, sty, stmin, stmax, width, width1;
} clbfgs_mt_state;

typedef struct clbfgs_ls_params {
    ls_real c1, c2;     /* Wolfe constants: 1e-4 and 0.9 */
    ls_real amin, amax; /* step bounds: 1e-100 and 1e100 (SciPy's BFGS) */
    ls_real xtol;       /* Moré–Thuente's relative interval tolerance: 1e-14 */
} clbfgs_ls_params;

typedef enum clbfgs_ls_outcome {
    CLBFGS_LS_OK = 0,      /* a strong-Wolfe step was found: alpha, phi, dphi */
    CLBFGS_LS_FAILED = 1,  /* no acceptable step: SciPy's precision-loss stop */
    CLBFGS_LS_ABORTED = 2, /* (the host's) phi returned non-zero */
    CLBFGS_LS_EVAL = 3     /* evaluate phi and phi' at trial, then clbfgs__ls_next */
} clbfgs_ls_outcome;

/* The search in progress, and its result. */
typedef struct clbfgs_ls {
    /* the result */
    ls_real alpha, phi, dphi; /* the accepted step and phi, dphi there */
    ls_real last_alpha;       /* the last step phi was evaluated at */
    int nfev;                 /* evaluations of phi (each gives f and dphi) */
    int used_fallback;        /* 1 when Moré–Thuente failed and the zoom search ran */
    int backoffs;             /* trial steps that gave a non-finite phi or dphi */
    int mt_task;              /* how the Moré–Thuente stage ended (clbfgs_mt_task) */
    ls_real trial;            /* CLBFGS_LS_EVAL: where to evaluate */
    /* the state */
    clbfgs_ls_params p;
    int stage, i; /* the stage (Moré–Thuente, bracketing, zoom) and its counter */
    ls_real phi0, dphi0, alpha_first;
    clbfgs_mt_state mt;
    ls_real stp;                                                  /* Moré–Thuente's trial */
    ls_real b_alpha0, b_alpha1, b_phi0, b_phi1, b_dphi0, b_dphi1; /* bracketing */
    int b_bad; /* its last trial was not finite */
    ls_real a_lo, a_hi, phi_lo, phi_hi, dphi_lo, phi_rec, a_rec, a_j; /* zoom */
} clbfgs_ls;

#endif /* CLBFGS_LS_TYPES */

#ifndef CLBFGS_LS_TYPES_ONLY

#define LS_C(v) ((ls_real)(v))

static ls_real clbfgs__ls_max3(ls_real a, ls_real b, ls_real c)
{
    ls_real m = a > b ? a : b;
    return m > c ? m : c;
}

/* One safeguarded step (the paper's four cases, MINPACK-2's dcstep). */
void clbfgs__mt_step(ls_real *stx, ls_real *fx, ls_real *dx, ls_real *sty, ls_real *fy, ls_real *dy,
                     ls_real *stp, ls_real fp, ls_real dp, int *brackt, ls_real stpmin,
                     ls_real stpmax)
{
    ls_real sgnd = dp * (*dx / fabs(*dx));
    ls_real stpf, stpc, stpq, theta, s, gamma, p, q, r;

    if (fp > *fx) {
        /* Case 1: a higher value. The minimum is bracketed; take the cubic
         * step if it is closer to stx than the quadratic one, else their mean. */
        theta = LS_C(3.0) * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = clbfgs__ls_max3(fabs(theta), fabs(*dx), fabs(dp));
        gamma = s * sqrt((theta / s) * (theta / s) - (*dx / s) * (dp / s));
        if (*stp < *stx)
            gamma = -gamma;
        p = (gamma - *dx) + theta;
        q = ((gamma - *dx) + gamma) + dp;
        r = p / q;
        stpc = *stx + r * (*stp - *stx);
        stpq = *stx + ((*dx / ((*fx - fp) / (*stp - *stx) + *dx)) / LS_C(2.0)) * (*stp - *stx);
        if (fabs(stpc - *stx) < fabs(stpq - *stx))
            stpf = stpc;
        else
            stpf = stpc + (stpq - stpc) / LS_C(2.0);
        *brackt = 1;
    } else if (sgnd < LS_C(0.0)) {
        /* Case 2: lower value, derivatives of opposite sign: bracketed; take
         * the step farther from stp (cubic or secant). */
        theta = LS_C(3.0) * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = clbfgs__ls_max3(fabs(theta), fabs(*dx), fabs(dp));
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
        theta = LS_C(3.0) * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = clbfgs__ls_max3(fabs(theta), fabs(*dx), fabs(dp));
        ls_real rad = (theta / s) * (theta / s) - (*dx / s) * (dp / s);
        gamma = s * sqrt(rad > LS_C(0.0) ? rad : LS_C(0.0));
        if (*stp > *stx)
            gamma = -gamma;
        p = (gamma - dp) + theta;
        q = (gamma + (*dx - dp)) + gamma;
        r = p / q;
        if (r < LS_C(0.0) && gamma != LS_C(0.0))
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
                stpf = fmin(*stp + LS_C(0.66) * (*sty - *stp), stpf);
            else
                stpf = fmax(*stp + LS_C(0.66) * (*sty - *stp), stpf);
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
            theta = LS_C(3.0) * (fp - *fy) / (*sty - *stp) + *dy + dp;
            s = clbfgs__ls_max3(fabs(theta), fabs(*dy), fabs(dp));
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
        if (sgnd < LS_C(0.0)) {
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

/* Starts a search from phi(0) = f0, dphi(0) = g0 with trial step *stp.
 * ftol is c1, gtol is c2. Returns CLBFGS_MT_FG or an ERROR task. */
clbfgs_mt_task clbfgs__mt_start(clbfgs_mt_state *s, ls_real *stp, ls_real f0, ls_real g0,
                                ls_real ftol, ls_real gtol, ls_real xtol, ls_real stpmin,
                                ls_real stpmax)
{
    if (!(*stp >= stpmin) || !(*stp <= stpmax))
        return CLBFGS_MT_ERROR_STP;
    if (!(g0 < LS_C(0.0)))
        return CLBFGS_MT_ERROR_ASCENT;
    if (!(ftol >= LS_C(0.0)) || !(gtol >= LS_C(0.0)) || !(xtol >= LS_C(0.0)) ||
        !(stpmin >= LS_C(0.0)) || !(stpmax >= stpmin))
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
    s->width1 = s->width / LS_C(0.5);
    /* stx is the step with the least value so far; sty the interval's other end. */
    s->stx = 0;
    s->fx = f0;
    s->gx = g0;
    s->sty = 0;
    s->fy = f0;
    s->gy = g0;
    s->stmin = 0;
    s->stmax = *stp + LS_C(4.0) * *stp; /* xtrapu */
    return CLBFGS_MT_FG;
}

/* Takes phi(*stp) = f and dphi(*stp) = g; returns FG with the next *stp,
 * CONVERGENCE, or a WARNING. */
clbfgs_mt_task clbfgs__mt_iterate(clbfgs_mt_state *s, ls_real *stp, ls_real f, ls_real g)
{
    const ls_real xtrapl = LS_C(1.1), xtrapu = LS_C(4.0); /* extrapolation bounds */
    clbfgs_mt_task task = CLBFGS_MT_FG;
    ls_real ftest = s->finit + *stp * s->gtest;

    /* Stage 2 starts once a step has sufficient decrease and dphi >= 0. */
    if (s->stage == 1 && f <= ftest && g >= LS_C(0.0))
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
        ls_real fm = f - *stp * s->gtest;
        ls_real fxm = s->fx - s->stx * s->gtest, fym = s->fy - s->sty * s->gtest;
        ls_real gm = g - s->gtest, gxm = s->gx - s->gtest, gym = s->gy - s->gtest;
        clbfgs__mt_step(&s->stx, &fxm, &gxm, &s->sty, &fym, &gym, stp, fm, gm, &s->brackt, s->stmin,
                        s->stmax);
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
        if (fabs(s->sty - s->stx) >= LS_C(0.66) * s->width1)
            *stp = s->stx + LS_C(0.5) * (s->sty - s->stx);
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

/* The first trial step, as SciPy: min(1, 2.02 (phi0 - old_phi0) / dphi0),
 * or 1 when that is negative or there is no previous value (old_phi0 NaN). */
ls_real clbfgs__ls_first_step(ls_real phi0, ls_real dphi0, ls_real old_phi0)
{
    if (isnan(old_phi0) || dphi0 == LS_C(0.0))
        return 1;
    ls_real a = fmin(LS_C(1.0), LS_C(1.01) * LS_C(2.0) * (phi0 - old_phi0) / dphi0);
    return a < LS_C(0.0) ? LS_C(1.0) : a;
}

/* Minimizer of the cubic through (a, fa) with slope fpa, (b, fb), (c, fc);
 * NaN when it does not exist. */
static ls_real clbfgs__ls_cubicmin(ls_real a, ls_real fa, ls_real fpa, ls_real b, ls_real fb,
                                   ls_real c, ls_real fc)
{
    ls_real C = fpa, db = b - a, dc = c - a;
    ls_real denom = (db * dc) * (db * dc) * (db - dc);
    if (denom == LS_C(0.0))
        return (ls_real)NAN;
    ls_real r1 = fb - fa - C * db, r2 = fc - fa - C * dc;
    ls_real A = (dc * dc * r1 - db * db * r2) / denom;
    ls_real B = (-dc * dc * dc * r1 + db * db * db * r2) / denom;
    ls_real radical = B * B - LS_C(3.0) * A * C;
    if (A == LS_C(0.0) || radical < LS_C(0.0))
        return (ls_real)NAN;
    ls_real xmin = a + (-B + sqrt(radical)) / (LS_C(3.0) * A);
    return isfinite(xmin) ? xmin : (ls_real)NAN;
}

/* Minimizer of the quadratic through (a, fa) with slope fpa and (b, fb). */
static ls_real clbfgs__ls_quadmin(ls_real a, ls_real fa, ls_real fpa, ls_real b, ls_real fb)
{
    ls_real db = b - a;
    if (db == LS_C(0.0))
        return (ls_real)NAN;
    ls_real B = (fb - fa - fpa * db) / (db * db);
    if (B == LS_C(0.0))
        return (ls_real)NAN;
    ls_real xmin = a - fpa / (LS_C(2.0) * B);
    return isfinite(xmin) ? xmin : (ls_real)NAN;
}

/* A non-finite value is treated as +infinity: too far, so the search backs off. */
static ls_real clbfgs__ls_finite_or_inf(ls_real v) { return isfinite(v) ? v : (ls_real)INFINITY; }

enum { CLBFGS_LS_STAGE_MT, CLBFGS_LS_STAGE_BRACKET, CLBFGS_LS_STAGE_ZOOM };

/* Asks for phi at alpha. */
static clbfgs_ls_outcome clbfgs__ls_eval(clbfgs_ls *ls, ls_real alpha)
{
    ls->nfev++;
    ls->last_alpha = alpha;
    ls->trial = alpha;
    return CLBFGS_LS_EVAL;
}

static clbfgs_ls_outcome clbfgs__ls_accept(clbfgs_ls *ls, ls_real alpha, ls_real phi, ls_real dphi)
{
    ls->alpha = alpha;
    ls->phi = phi;
    ls->dphi = dphi;
    return CLBFGS_LS_OK;
}

/* SciPy's line_search_wolfe2, after Moré–Thuente failed: double the step
 * until the minimum is bracketed (at most 10 times), then zoom. */
static clbfgs_ls_outcome clbfgs__ls_fallback(clbfgs_ls *ls)
{
    ls->used_fallback = 1;
    ls->stage = CLBFGS_LS_STAGE_BRACKET;
    ls->i = 0;
    ls->b_alpha0 = 0;
    ls->b_phi0 = ls->phi0;
    ls->b_dphi0 = ls->dphi0;
    ls->b_alpha1 = fmin(ls->alpha_first, ls->p.amax);
    return clbfgs__ls_eval(ls, ls->b_alpha1);
}

/* Nocedal & Wright's zoom, with SciPy's interpolation checks: the next trial. */
static clbfgs_ls_outcome clbfgs__ls_zoom_trial(clbfgs_ls *ls)
{
    const ls_real delta1 = LS_C(0.2), delta2 = LS_C(0.1);
    if (ls->i > 10)
        return CLBFGS_LS_FAILED;
    ls_real dalpha = ls->a_hi - ls->a_lo;
    ls_real a = dalpha < LS_C(0.0) ? ls->a_hi : ls->a_lo;
    ls_real b = dalpha < LS_C(0.0) ? ls->a_lo : ls->a_hi;
    ls_real a_j = (ls_real)NAN, cchk = 0;
    if (ls->i > 0) {
        cchk = delta1 * dalpha;
        a_j = clbfgs__ls_cubicmin(ls->a_lo, ls->phi_lo, ls->dphi_lo, ls->a_hi, ls->phi_hi,
                                  ls->a_rec, ls->phi_rec);
    }
    if (ls->i == 0 || isnan(a_j) || a_j > b - cchk || a_j < a + cchk) {
        ls_real qchk = delta2 * dalpha;
        a_j = clbfgs__ls_quadmin(ls->a_lo, ls->phi_lo, ls->dphi_lo, ls->a_hi, ls->phi_hi);
        if (isnan(a_j) || a_j > b - qchk || a_j < a + qchk)
            a_j = ls->a_lo + LS_C(0.5) * dalpha;
    }
    ls->a_j = a_j;
    return clbfgs__ls_eval(ls, a_j);
}

static clbfgs_ls_outcome clbfgs__ls_zoom(clbfgs_ls *ls, ls_real a_lo, ls_real a_hi, ls_real phi_lo,
                                         ls_real phi_hi, ls_real dphi_lo)
{
    ls->stage = CLBFGS_LS_STAGE_ZOOM;
    ls->i = 0;
    ls->a_lo = a_lo;
    ls->a_hi = a_hi;
    ls->phi_lo = phi_lo;
    ls->phi_hi = phi_hi;
    ls->dphi_lo = dphi_lo;
    ls->phi_rec = ls->phi0;
    ls->a_rec = 0;
    return clbfgs__ls_zoom_trial(ls);
}

/* The bracketing loop's test of its latest trial (b_alpha1). */
static clbfgs_ls_outcome clbfgs__ls_bracket(clbfgs_ls *ls)
{
    const clbfgs_ls_params *p = &ls->p;
    if (ls->i >= 10) {
        /* SciPy accepts the last step here, without a curvature check; a
         * non-finite one is not a step worth taking. */
        if (!isfinite(ls->b_phi1) || !isfinite(ls->b_dphi1))
            return CLBFGS_LS_FAILED;
        return clbfgs__ls_accept(ls, ls->b_alpha1, ls->b_phi1, ls->b_dphi1);
    }
    if (ls->b_alpha1 == LS_C(0.0) || ls->b_alpha0 == p->amax)
        return CLBFGS_LS_FAILED;
    if (ls->b_phi1 > ls->phi0 + p->c1 * ls->b_alpha1 * ls->dphi0 ||
        (ls->b_phi1 >= ls->b_phi0 && ls->i > 0) || ls->b_bad)
        return clbfgs__ls_zoom(ls, ls->b_alpha0, ls->b_alpha1, ls->b_phi0, ls->b_phi1, ls->b_dphi0);
    if (fabs(ls->b_dphi1) <= -p->c2 * ls->dphi0)
        return clbfgs__ls_accept(ls, ls->b_alpha1, ls->b_phi1, ls->b_dphi1);
    if (ls->b_dphi1 >= LS_C(0.0))
        return clbfgs__ls_zoom(ls, ls->b_alpha1, ls->b_alpha0, ls->b_phi1, ls->b_phi0, ls->b_dphi1);
    ls_real alpha2 = fmin(LS_C(2.0) * ls->b_alpha1, p->amax);
    ls->b_alpha0 = ls->b_alpha1;
    ls->b_alpha1 = alpha2;
    ls->b_phi0 = ls->b_phi1;
    ls->b_dphi0 = ls->b_dphi1;
    ls->i++;
    return clbfgs__ls_eval(ls, ls->b_alpha1);
}

/* Starts a search along a descent direction (dphi0 < 0) from the first
 * trial step alpha1 (clbfgs__ls_first_step's value); returns EVAL (or
 * FAILED). */
clbfgs_ls_outcome clbfgs__ls_begin(clbfgs_ls *ls, ls_real phi0, ls_real dphi0, ls_real alpha1,
                                   const clbfgs_ls_params *params)
{
    ls->p = *params;
    ls->alpha = ls->last_alpha = 0;
    ls->phi = phi0;
    ls->dphi = dphi0;
    ls->nfev = ls->used_fallback = ls->backoffs = 0;
    ls->mt_task = CLBFGS_MT_FG;
    ls->phi0 = phi0;
    ls->dphi0 = dphi0;
    ls->alpha_first = alpha1;
    ls->stage = CLBFGS_LS_STAGE_MT;
    ls->i = 0;
    ls->stp = alpha1;
    clbfgs_mt_task task = clbfgs__mt_start(&ls->mt, &ls->stp, phi0, dphi0, params->c1, params->c2,
                                           params->xtol, params->amin, params->amax);
    if (task == CLBFGS_MT_FG)
        return clbfgs__ls_eval(ls, ls->stp);
    ls->mt_task = task;
    return clbfgs__ls_fallback(ls);
}

/* Takes phi and phi' at ls->trial; returns EVAL with the next trial, OK or
 * FAILED. A trial where either is not finite counts as too far: the search
 * backs off below it. */
clbfgs_ls_outcome clbfgs__ls_next(clbfgs_ls *ls, ls_real f, ls_real g)
{
    const int bad = !isfinite(f) || !isfinite(g);
    if (bad)
        ls->backoffs++;
    if (ls->stage == CLBFGS_LS_STAGE_MT) {
        /* A non-finite trial ends Moré–Thuente (its task stays FG: a
         * failure); the zoom search that follows treats that step as
         * +infinity, as SciPy's dcsrch errors out and its wolfe2 zooms. */
        if (bad)
            return clbfgs__ls_fallback(ls);
        ls->phi = f;
        ls->dphi = g;
        clbfgs_mt_task task = clbfgs__mt_iterate(&ls->mt, &ls->stp, f, g);
        ls->i++;
        if (task == CLBFGS_MT_FG && ls->i < 100)
            return clbfgs__ls_eval(ls, ls->stp);
        ls->mt_task = task;
        if (task == CLBFGS_MT_CONVERGENCE) {
            ls->alpha = ls->stp;
            return CLBFGS_LS_OK;
        }
        return clbfgs__ls_fallback(ls);
    }
    if (ls->stage == CLBFGS_LS_STAGE_BRACKET) {
        ls->b_phi1 = clbfgs__ls_finite_or_inf(f);
        ls->b_dphi1 = g;
        ls->b_bad = bad;
        return clbfgs__ls_bracket(ls);
    }
    /* zoom */
    const clbfgs_ls_params *p = &ls->p;
    ls_real a_j = ls->a_j;
    f = clbfgs__ls_finite_or_inf(f);
    if (f > ls->phi0 + p->c1 * a_j * ls->dphi0 || f >= ls->phi_lo || bad) {
        ls->phi_rec = ls->phi_hi;
        ls->a_rec = ls->a_hi;
        ls->a_hi = a_j;
        ls->phi_hi = f;
    } else {
        if (fabs(g) <= -p->c2 * ls->dphi0)
            return clbfgs__ls_accept(ls, a_j, f, g);
        if (g * (ls->a_hi - ls->a_lo) >= LS_C(0.0)) {
            ls->phi_rec = ls->phi_hi;
            ls->a_rec = ls->a_hi;
            ls->a_hi = ls->a_lo;
            ls->phi_hi = ls->phi_lo;
        } else {
            ls->phi_rec = ls->phi_lo;
            ls->a_rec = ls->a_lo;
        }
        ls->a_lo = a_j;
        ls->phi_lo = f;
        ls->dphi_lo = g;
    }
    ls->i++;
    return clbfgs__ls_zoom_trial(ls);
}

#undef LS_C
#endif /* CLBFGS_LS_TYPES_ONLY */
