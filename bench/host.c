/* The host side of `make bench`, built by bench/run with OpenMP and OpenBLAS
 * (cc -O3 -march=native -fopenmp bench/host.c -lopenblas): each subcommand
 * prints one JSON object.
 *
 *   triad --mb M --reps R          STREAM triad a = b + s c on every core
 *                                  (OpenMP), and the in-place a = s a + t;
 *                                  median GB/s of R
 *   bfgs  --n N --iters K --reps R BFGS on extended Rosenbrock from
 *                                  (-1.2, 1, ...), gtol = 0: the O(n^2)
 *                                  iteration a CPU-only user would write over
 *                                  OpenBLAS (one dsymv and one dsyr2 on the
 *                                  upper triangle per iteration); median time
 *                                  per iteration of R runs
 *
 * The BFGS step is SciPy's: H(k+1) = (I - rho s y')H(k)(I - rho y s') + rho s s',
 * written as H += a (u s' + s u') + b s s' with u = H y, a = -rho,
 * b = rho + rho^2 y'u, and H y = H g(k+1) + p(k) since p(k) = -H g(k), so one
 * product with H serves both the update and the next direction. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int cmd_triad(size_t mb, size_t reps)
{
    size_t n = mb * 1024 * 1024 / sizeof(double);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    double *t = calloc(reps, sizeof *t), *u = calloc(reps, sizeof *u);
    if (!a || !b || !c || !t || !u) {
        fprintf(stderr, "host: out of memory\n");
        return 1;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        a[i] = 0;
        b[i] = 1;
        c[i] = 2;
    }
    const double s = 3.0;
    for (size_t r = 0; r <= reps; r++) {
        double t0 = now();
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
        if (r > 0)
            t[r - 1] = now() - t0;
    }
    for (size_t r = 0; r < reps; r++) {
        double t0 = now();
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            a[i] = 0.5 * a[i] + 1.0;
        u[r] = now() - t0;
    }
    double bytes = (double)(n * sizeof(double));
    printf("{\"kind\": \"host_triad\", \"threads\": %d, \"array_bytes\": %.0f, \"reps\": %zu, "
           "\"triad_gbs\": %.3f, \"update_gbs\": %.3f, \"check\": %g}\n",
           omp_get_max_threads(), bytes, reps, 3 * bytes / median(t, reps) * 1e-9,
           2 * bytes / median(u, reps) * 1e-9, a[n / 2]);
    free(a);
    free(b);
    free(c);
    free(t);
    free(u);
    return 0;
}

/* ---- BFGS over OpenBLAS ---- */

/* Extended Rosenbrock, as clbfgs's built-in: pairs (x[2i], x[2i+1]). */
static double ext_rosenbrock(const double *x, double *g, size_t n)
{
    double f = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        double a = x[i], d = x[i + 1] - a * a;
        f += 100 * d * d + (1 - a) * (1 - a);
        g[i] = -400 * a * d - 2 * (1 - a);
        g[i + 1] = 200 * d;
    }
    if (n % 2) {
        g[n - 1] = 0;
    }
    return f;
}

struct ls {
    size_t n;
    const double *x, *p;
    double *xt, *gt;
    size_t nfev;
};

static double phi(struct ls *l, double alpha, double *dphi)
{
    for (size_t i = 0; i < l->n; i++)
        l->xt[i] = l->x[i] + alpha * l->p[i];
    double f = ext_rosenbrock(l->xt, l->gt, l->n);
    l->nfev++;
    *dphi = cblas_ddot((int)l->n, l->gt, 1, l->p, 1);
    return f;
}

/* The minimizer of the cubic through (a, fa, da) and (b, fb, db), or NAN. */
static double cubic_min(double a, double fa, double da, double b, double fb, double db)
{
    double d1 = da + db - 3 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    if (disc < 0)
        return (double)NAN;
    double d2 = copysign(sqrt(disc), b - a);
    return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
}

/* Strong Wolfe (Nocedal and Wright, algorithms 3.5 and 3.6); leaves the
 * accepted point in xt, gt. Returns alpha, or 0 when none was found. */
static double wolfe(struct ls *l, double f0, double d0, double alpha1, double *fa_out)
{
    const double c1 = 1e-4, c2 = 0.9;
    double a_prev = 0, f_prev = f0, d_prev = d0, a = alpha1, fa, da;
    double lo = 0, flo = 0, dlo = 0, hi = 0, fhi = 0, dhi = 0;
    int zoom = 0;
    for (int it = 0; it < 20 && !zoom; it++) {
        fa = phi(l, a, &da);
        if (fa > f0 + c1 * a * d0 || (it > 0 && fa >= f_prev)) {
            lo = a_prev, flo = f_prev, dlo = d_prev, hi = a, fhi = fa, dhi = da;
            zoom = 1;
        } else if (fabs(da) <= -c2 * d0) {
            *fa_out = fa;
            return a;
        } else if (da >= 0) {
            lo = a, flo = fa, dlo = da, hi = a_prev, fhi = f_prev, dhi = d_prev;
            zoom = 1;
        } else {
            a_prev = a, f_prev = fa, d_prev = da;
            a *= 2;
        }
    }
    for (int it = 0; zoom && it < 30; it++) {
        double t = cubic_min(lo, flo, dlo, hi, fhi, dhi);
        double left = lo < hi ? lo : hi, width = fabs(hi - lo);
        if (!isfinite(t) || t < left + 0.1 * width || t > left + 0.9 * width)
            t = (lo + hi) / 2;
        fa = phi(l, t, &da);
        if (fa > f0 + c1 * t * d0 || fa >= flo) {
            hi = t, fhi = fa, dhi = da;
        } else {
            if (fabs(da) <= -c2 * d0) {
                *fa_out = fa;
                return t;
            }
            if (da * (hi - lo) >= 0)
                hi = lo, fhi = flo, dhi = dlo;
            lo = t, flo = fa, dlo = da;
        }
    }
    return 0;
}

struct bfgs_out {
    size_t nit, nfev;
    double f, loop, blas;
};

static int bfgs(size_t n, size_t iters, struct bfgs_out *out)
{
    double *h = malloc(n * n * sizeof *h);
    double *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), *p = malloc(n * sizeof *p);
    double *xt = malloc(n * sizeof *xt), *gt = malloc(n * sizeof *gt), *s = malloc(n * sizeof *s);
    double *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w), *u = malloc(n * sizeof *u);
    int rc = 1;
    if (!h || !x || !g || !p || !xt || !gt || !s || !y || !w || !u) {
        fprintf(stderr, "host: out of memory (n = %zu)\n", n);
        goto done;
    }
    memset(h, 0, n * n * sizeof *h);
    for (size_t i = 0; i < n; i++) {
        h[i * n + i] = 1;
        x[i] = i % 2 ? 1.0 : -1.2;
    }
    double f = ext_rosenbrock(x, g, n), gg = cblas_ddot((int)n, g, 1, g, 1);
    double old_f = f + sqrt(gg) / 2; /* SciPy's first step */
    for (size_t i = 0; i < n; i++)
        p[i] = -g[i];
    struct ls l = {n, x, p, xt, gt, 1};
    size_t k = 0;
    double t_loop = now(), blas = 0;
    for (; k < iters; k++) {
        double d0 = cblas_ddot((int)n, g, 1, p, 1);
        double alpha1 = d0 != 0 ? fmin(1.0, 1.01 * 2 * (f - old_f) / d0) : 1.0;
        if (!(alpha1 > 0))
            alpha1 = 1.0;
        double fa = f;
        double alpha = wolfe(&l, f, d0, alpha1, &fa);
        if (alpha == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            s[i] = alpha * p[i];
            y[i] = gt[i] - g[i];
            x[i] = xt[i];
            g[i] = gt[i];
        }
        old_f = f;
        f = fa;
        double t0 = now();
        /* w = H g(k+1); u = H y = w + p(k) */
        cblas_dsymv(CblasRowMajor, CblasUpper, (int)n, 1.0, h, (int)n, g, 1, 0.0, w, 1);
        blas += now() - t0;
        for (size_t i = 0; i < n; i++)
            u[i] = w[i] + p[i];
        double ys = cblas_ddot((int)n, y, 1, s, 1);
        if (!(ys > 0)) {
            for (size_t i = 0; i < n; i++)
                p[i] = -w[i];
            continue;
        }
        double rho = 1 / ys, a = -rho;
        double b = rho + rho * rho * cblas_ddot((int)n, y, 1, u, 1);
        double sg = cblas_ddot((int)n, s, 1, g, 1), ug = cblas_ddot((int)n, u, 1, g, 1);
        for (size_t i = 0; i < n; i++) {
            p[i] = -(w[i] + a * (u[i] * sg + s[i] * ug) + b * s[i] * sg);
            u[i] += b / (2 * a) * s[i]; /* a (u s' + s u') + b s s' = a (z s' + s z') */
        }
        t0 = now();
        cblas_dsyr2(CblasRowMajor, CblasUpper, (int)n, a, u, 1, s, 1, h, (int)n);
        blas += now() - t0;
    }
    out->loop = now() - t_loop;
    out->blas = blas;
    out->nit = k;
    out->nfev = l.nfev;
    out->f = f;
    rc = 0;
done:
    free(h);
    free(x);
    free(g);
    free(p);
    free(xt);
    free(gt);
    free(s);
    free(y);
    free(w);
    free(u);
    return rc;
}

static int cmd_bfgs(size_t n, size_t iters, size_t reps)
{
    double *per = calloc(reps, sizeof *per), *blas = calloc(reps, sizeof *blas);
    struct bfgs_out o = {0, 0, 0, 0, 0};
    if (!per || !blas)
        return 1;
    for (size_t r = 0; r < reps; r++) {
        if (bfgs(n, iters, &o) != 0)
            return 1;
        per[r] = o.nit ? o.loop / (double)o.nit : NAN;
        blas[r] = o.nit ? o.blas / (double)o.nit : NAN;
    }
    printf("{\"kind\": \"openblas_bfgs\", \"n\": %zu, \"nit\": %zu, \"nfev\": %zu, \"fun\": %.17g, "
           "\"reps\": %zu, \"threads\": %d, \"per_iteration\": %.6e, \"blas_per_iteration\": %.6e, "
           "\"openblas\": \"%s\"}\n",
           n, o.nit, o.nfev, o.f, reps, openblas_get_num_threads(), median(per, reps),
           median(blas, reps), openblas_get_config());
    free(per);
    free(blas);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 0, iters = 20, reps = 5, mb = 256;
    for (int i = 2; i + 1 < argc; i += 2) {
        size_t v = (size_t)strtoull(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--n") == 0)
            n = v;
        else if (strcmp(argv[i], "--iters") == 0)
            iters = v;
        else if (strcmp(argv[i], "--reps") == 0)
            reps = v;
        else if (strcmp(argv[i], "--mb") == 0)
            mb = v;
    }
    if (reps == 0 || mb == 0) {
        fprintf(stderr, "host: --reps and --mb must be positive\n");
        return 2;
    }
    if (argc > 1 && strcmp(argv[1], "triad") == 0)
        return cmd_triad(mb, reps);
    if (argc > 1 && strcmp(argv[1], "bfgs") == 0 && n > 1)
        return cmd_bfgs(n, iters, reps);
    fprintf(stderr, "usage: host triad [--mb M] [--reps R] | host bfgs --n N [--iters K] [--reps R]\n");
    return 2;
}
