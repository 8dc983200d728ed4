/* L-BFGS-B: limited-memory BFGS with box bounds, as SciPy's
 * minimize(method='L-BFGS-B') runs it (the Fortran code of Zhu, Byrd, Lu &
 * Nocedal, version 3.0 with Morales & Nocedal's subspace step), written from
 * the papers with SciPy's control flow, constants, tests and messages:
 *
 *   Byrd, Lu, Nocedal & Zhu, "A limited memory algorithm for bound
 *   constrained optimization", SIAM J. Sci. Comput. 16(5), 1995;
 *   Byrd, Nocedal & Schnabel, "Representations of quasi-Newton matrices and
 *   their use in limited memory methods", Math. Prog. 63, 1994;
 *   Morales & Nocedal, "Remark on Algorithm 778", ACM TOMS 38(1), 2011.
 *
 * Every n-vector lives on the device (cl/lbfgsb.cl): x, g, the Cauchy point,
 * the subspace step, the search direction, the two n x m blocks S and Y.
 * The host keeps the 2m x 2m algebra (S'Y, S'S, Y'Y, the Cholesky factors of
 * the middle matrix and of the subspace matrix K) and reads per-work-group
 * partial sums: a few hundred reals per read, never an n-vector.
 *
 * One deliberate difference in how, not what: SciPy's formk updates the
 * subspace matrix's free-set products incrementally from the variables that
 * entered and left the free set; here they are the full products minus the
 * products over the variables at a bound, summed afresh each iteration
 * (lb_active_gram: O(|A| m^2), nothing for a problem without bounds). */
#include "config.h"

#include "lbfgsb.h"

#include "cl_sources.h"
#include "exec.h"
#include "linesearch.h"
#include "objective.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cl/lbfgsb_small.cl on the host: M v, and the triangular solves. */
typedef double lb_real;
#define LB_SMALL
#include "../cl/lbfgsb_small.cl"
#undef LB_SMALL

/* SciPy's messages (those of SciPy 1.15 and later, whose C translation of
 * the Fortran code prints them; 1.14 and before printed the same tests as
 * "CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL" and so on). */
static const char MSG_PGTOL[] = "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL";
static const char MSG_FTOL[] = "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH";
static const char MSG_MAXITER[] = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT";
static const char MSG_MAXFUN[] = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT";
static const char MSG_ABNORMAL[] = "ABNORMAL: ";

/* lnsrlb's constants (not options in SciPy either). */
#define LB_FTOL 1e-3
#define LB_GTOL 0.9
#define LB_XTOL 0.1
#define LB_BIG 1e10

enum { N_VECTORS = 13, N_KERNELS = 16 };

typedef struct lb_run {
    clbfgs_context *ctx;
    clbfgs_exec e;
    clbfgs_eval ev;
    const clbfgs_options *o;
    size_t n;
    int m;
    int constrained; /* some variable has a bound */
    int all_fixed;   /* every variable has lower = upper */
    int chunked;     /* a work-item's rows are one block (CPUs), not strided */
    int boxed;       /* every variable has both */
    size_t groups, wg;
    union {
        struct {
            cl_kernel point, prep, walk, move, gram, finish_r, project, limit, back, dir, trial,
                new_pair, wdots, wcomb, gram_blocks, step_free;
        } k;
        cl_kernel all[N_KERNELS];
    } k;
    union {
        struct {
            cl_mem x, g, xt, gt, d, z, xcp, r, ds, t, l, u, ht;
        } v;
        cl_mem all[N_VECTORS];
    } v;
    cl_mem ws, wy, nbd, iwhere, hi, part, part2, ipart, out, sy_d, wt_d, small_d;
    double *part_h;
    int *ipart_h;
    /* the limited-memory matrix: logical pair i (0 = oldest) is column (head + i) % m */
    int col, head, itail, iupdat, updatd;
    double theta;
    double *sy, *ss, *yy, *wt, *wn; /* m x m (wn: 2m x 2m), by columns */
    double *gram;                   /* 2m x (2m + 1): the active set's products */
    /* without bounds: W'g at the current point, from the update's pass */
    double wgrad[2 * CLBFGS_LBFGSB_MAX_M];
    int wg_valid;
    double small[4 * CLBFGS_LBFGSB_MAX_M];
    /* the iteration */
    double f, sbgnrm;
    size_t nit, skipped;
    double *host_x;
    clbfgs_timings time;
} lb_run;

/* ---- setup ---- */

clbfgs_status clbfgs__lbfgsb_check(const char *who, const clbfgs_options *o, size_t n)
{
    if (o->m < 1 || o->m > CLBFGS_LBFGSB_MAX_M)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: m (the L-BFGS-B pairs kept) must be 1 to %d, not %zu", who,
                            CLBFGS_LBFGSB_MAX_M, o->m);
    if (!(o->ftol >= 0))
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: ftol must be >= 0, not %g", who,
                            o->ftol);
    if (o->maxfun < 1)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: maxfun must be at least 1", who);
    if (o->maxls < 1)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: maxls must be at least 1, not %d",
                            who, o->maxls);
    const char *refused = !isinf(o->norm) || o->norm < 0 ? "norm (L-BFGS-B's test is the "
                                                           "projected gradient's max-norm)"
                          : o->xrtol != 0                ? "xrtol"
                          : o->c1 != 1e-4 || o->c2 != 0.9
                              ? "c1 and c2 (L-BFGS-B's line search constants are fixed: "
                                "1e-3 and 0.9, as SciPy's)"
                          : o->hess_inv0            ? "hess_inv0"
                          : o->return_hess_inv      ? "return_hess_inv"
                          : o->single_kernel == 1   ? "single_kernel = 1"
                                                    : NULL;
    if (refused)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: method L-BFGS-B does not take %s; leave it at its default", who,
                            refused);
    for (size_t i = 0; i < n; i++) {
        double l = o->lower ? o->lower[i] : -(double)INFINITY, u = o->upper ? o->upper[i] : (double)INFINITY;
        if (isnan(l) || isnan(u))
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: %s[%zu] is NaN", who,
                                isnan(l) ? "lower" : "upper", i);
        if (l > u)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "%s: lower[%zu] = %g > upper[%zu] = %g: no point is feasible", who,
                                i, l, i, u);
        if (l == (double)INFINITY || u == -(double)INFINITY)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "%s: %s[%zu] = %g: no point is feasible", who,
                                l == (double)INFINITY ? "lower" : "upper", i, l == (double)INFINITY ? l : u);
    }
    return CLBFGS_SUCCESS;
}

static double run_bytes(size_t n, size_t m, size_t elem, double *largest)
{
    double nn = (double)n;
    *largest = nn * (double)m * (double)elem;
    return (N_VECTORS + 2.0 * (double)m) * nn * (double)elem + 3.0 * nn * sizeof(cl_int);
}

static clbfgs_status check_memory(const clbfgs_context *ctx, const clbfgs_objective *objective,
                                  size_t n, size_t m, clbfgs_precision precision)
{
    size_t elem = precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    double largest = 0, obj_largest = 0;
    double total = run_bytes(n, m, elem, &largest) +
                   clbfgs__objective_bytes(objective, n, elem, &obj_largest);
    largest = largest > obj_largest ? largest : obj_largest;
    const clbfgs_device_info *d = &ctx->info;
    if (n > (size_t)UINT32_MAX || largest > (double)d->max_alloc_bytes ||
        total > (double)d->global_mem_bytes)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_DEVICE_MEMORY,
                            "L-BFGS-B with n = %zu and m = %zu in %s needs %.0f bytes on the "
                            "device (the largest buffer %.0f bytes); '%s' has %llu bytes of "
                            "global memory and allocates at most %llu bytes at once",
                            n, m, clbfgs__real_name(precision), total, largest, d->name,
                            (unsigned long long)d->global_mem_bytes,
                            (unsigned long long)d->max_alloc_bytes);
    return CLBFGS_SUCCESS;
}

static void run_free(lb_run *r)
{
    for (int i = 0; i < N_KERNELS; i++)
        if (r->k.all[i])
            clReleaseKernel(r->k.all[i]);
    for (int i = 0; i < N_VECTORS; i++)
        if (r->v.all[i])
            clReleaseMemObject(r->v.all[i]);
    cl_mem other[] = {r->ws,    r->wy,    r->nbd, r->iwhere, r->hi,   r->part,
                      r->part2, r->ipart, r->out, r->sy_d,   r->wt_d, r->small_d};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (other[i])
            clReleaseMemObject(other[i]);
    clbfgs__eval_release(&r->ev);
    clbfgs__exec_release(&r->e);
    free(r->part_h);
    free(r->ipart_h);
    free(r->sy);
    free(r->ss);
    free(r->yy);
    free(r->wt);
    free(r->wn);
    free(r->gram);
    free(r->host_x);
}

static clbfgs_status int_buffer(lb_run *r, size_t count, cl_mem *out, const char *what)
{
    cl_int err;
    *out = clCreateBuffer(r->ctx->cl_ctx, CL_MEM_READ_WRITE, count * sizeof(cl_int), NULL, &err);
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(r->ctx, err, "clCreateBuffer", "%s (%zu ints)", what, count);
    return CLBFGS_SUCCESS;
}

/* The most values a group writes to the partials: the active set's products. */
static size_t part_per_group(int m) { return (size_t)(2 * m) * (size_t)(2 * m + 1) + 4; }

/* Whether a work-item takes a contiguous block of rows (CPUs) or every
 * global-size-th row (GPUs: coalesced). CLBFGS_LBFGSB_ROWS=strided or
 * =blocks overrides, so that a CPU can test the GPUs' form. */
static int chunked(const clbfgs_context *ctx)
{
    const char *v = getenv("CLBFGS_LBFGSB_ROWS");
    if (v && strcmp(v, "strided") == 0)
        return 0;
    if (v && strcmp(v, "blocks") == 0)
        return 1;
    return ctx->info.type == CLBFGS_DEVICE_CPU;
}

static clbfgs_status setup(lb_run *r)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    char *source = NULL;
    size_t m = (size_t)r->m, n = r->n;
    const char *parts[] = {clbfgs__cl_lbfgsb_small, clbfgs__cl_lbfgsb};
    r->chunked = chunked(r->ctx);
    char prefix[160];
    snprintf(prefix, sizeof prefix,
             "#define LB_M %d\n%s%s#define lb_real real\n#define LB_SMALL __global\n", r->m,
             r->chunked ? "#define LB_CHUNKED 1\n" : "",
             r->e.precision == CLBFGS_PRECISION_DOUBLE ? "#define LB_DOUBLE 1\n" : "");
    char *body = clbfgs__exec_source(parts, 2);
    if (body) {
        source = malloc(strlen(prefix) + strlen(body) + 1);
        if (source) {
            strcpy(source, prefix);
            strcat(source, body);
        }
        free(body);
    }
    if (!source)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "L-BFGS-B's kernel source");
    cl_program program;
    CLBFGS_TRY(clbfgs__program_get(r->ctx, "cl/lbfgsb.cl", source, NULL, r->e.precision, &program,
                                   NULL));
    static const char *const names[N_KERNELS] = {
        "lb_point",       "lb_cauchy_prep", "lb_cauchy_walk",    "lb_cauchy_move",
        "lb_active_gram", "lb_finish_r",    "lb_project",        "lb_subspace_limit",
        "lb_subspace_back", "lb_direction", "lb_trial",          "lb_new_pair",
        "lb_wdots",       "lb_wcomb",       "lb_active_gram_blocks", "lb_step_free"};
    for (int i = 0; i < N_KERNELS; i++)
        CLBFGS_TRY(clbfgs__kernel_new(r->ctx, program, names[i], &r->k.all[i]));
    CLBFGS_TRY(clbfgs__exec_group_size(&r->e, r->k.k.prep, 64, &r->wg));
    size_t cu = r->ctx->info.compute_units ? r->ctx->info.compute_units : 1;
    size_t want = 8 * cu, enough = (n + r->wg - 1) / r->wg;
    r->groups = want < enough ? want : enough;
    if (r->groups < 1)
        r->groups = 1;
    for (int i = 0; i < N_VECTORS; i++)
        CLBFGS_TRY(clbfgs__exec_buffer(&r->e, n, &r->v.all[i], "an L-BFGS-B vector"));
    CLBFGS_TRY(clbfgs__exec_buffer(&r->e, n * m, &r->ws, "L-BFGS-B's S (n x m)"));
    CLBFGS_TRY(clbfgs__exec_buffer(&r->e, n * m, &r->wy, "L-BFGS-B's Y (n x m)"));
    CLBFGS_TRY(int_buffer(r, n, &r->nbd, "the bounds' kinds"));
    CLBFGS_TRY(int_buffer(r, n, &r->iwhere, "the variables' status"));
    CLBFGS_TRY(int_buffer(r, n, &r->hi, "the breakpoints' heap"));
    CLBFGS_TRY(int_buffer(r, r->groups, &r->ipart, "per-group indices"));
    CLBFGS_TRY(clbfgs__exec_buffer(&r->e, r->groups * part_per_group(r->m), &r->part,
                                   "per-group partial sums"));
    CLBFGS_TRY(clbfgs__exec_buffer(&r->e, r->groups * 6 * m, &r->part2,
                                   "per-group products with the pairs"));
    CLBFGS_TRY(clbfgs__exec_buffer(&r->e, 4 + 2 * m, &r->out, "the Cauchy walk's results"));
    CLBFGS_TRY(clbfgs__exec_buffer(&r->e, m * m, &r->sy_d, "S'Y"));
    CLBFGS_TRY(clbfgs__exec_buffer(&r->e, m * m, &r->wt_d, "the middle matrix's factor"));
    CLBFGS_TRY(clbfgs__exec_buffer(&r->e, 4 * m, &r->small_d, "a 2m vector"));
    r->part_h = malloc(r->groups * (part_per_group(r->m) + 6 * m) * sizeof(double));
    r->ipart_h = malloc(r->groups * sizeof(int));
    r->sy = calloc(m * m, sizeof(double));
    r->ss = calloc(m * m, sizeof(double));
    r->yy = calloc(m * m, sizeof(double));
    r->wt = calloc(m * m, sizeof(double));
    r->wn = calloc(4 * m * m, sizeof(double));
    r->gram = calloc(2 * m * (2 * m + 1), sizeof(double));
    r->host_x = malloc(n * sizeof(double));
    if (!r->part_h || !r->ipart_h || !r->sy || !r->ss || !r->yy || !r->wt || !r->wn || !r->gram ||
        !r->host_x)
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "L-BFGS-B's host arrays (n = %zu)", n);
cleanup:
    free(source);
    return status;
}

/* ---- launches: arguments in order, then the launch ---- */

typedef struct {
    lb_run *r;
    cl_kernel k;
    cl_uint i;
    clbfgs_status status;
} args;

static void a_mem(args *a, cl_mem m)
{
    if (a->status == CLBFGS_SUCCESS)
        a->status = clbfgs__exec_arg_mem(&a->r->e, a->k, a->i, m);
    a->i++;
}
static void a_uint(args *a, size_t v)
{
    if (a->status == CLBFGS_SUCCESS)
        a->status = clbfgs__exec_arg_uint(&a->r->e, a->k, a->i, (cl_uint)v);
    a->i++;
}
static void a_int(args *a, int v)
{
    if (a->status == CLBFGS_SUCCESS)
        a->status = clbfgs__exec_arg_int(&a->r->e, a->k, a->i, v);
    a->i++;
}
static void a_real(args *a, double v)
{
    if (a->status == CLBFGS_SUCCESS)
        a->status = clbfgs__exec_arg_real(&a->r->e, a->k, a->i, v);
    a->i++;
}
static void a_local(args *a, size_t reals)
{
    if (a->status == CLBFGS_SUCCESS)
        a->status = clbfgs__exec_arg_local(&a->r->e, a->k, a->i, reals);
    a->i++;
}
static void a_local_ints(args *a, size_t count)
{
    if (a->status == CLBFGS_SUCCESS) {
        cl_int err = clSetKernelArg(a->k, a->i, count * sizeof(cl_int), NULL);
        if (err != CL_SUCCESS)
            a->status = clbfgs__fail_cl(a->r->ctx, err, "clSetKernelArg",
                                        "local ints for an L-BFGS-B kernel");
    }
    a->i++;
}

static args begin(lb_run *r, cl_kernel k) { return (args){r, k, 0, CLBFGS_SUCCESS}; }

/* Over the groups (sums to part_h) */
static clbfgs_status launch_groups(args *a, const char *what)
{
    if (a->status != CLBFGS_SUCCESS)
        return a->status;
    return clbfgs__exec_launch_groups(&a->r->e, a->k, a->r->groups, a->r->wg, what);
}

static clbfgs_status launch_n(args *a, const char *what)
{
    if (a->status != CLBFGS_SUCCESS)
        return a->status;
    return clbfgs__exec_launch_1d(&a->r->e, a->k, a->r->n, what);
}

/* Reads K partials per group and adds them up in group order into sum
 * (maxima for the indices in max_from.., minima for min_at). */
static clbfgs_status read_sums_from(lb_run *r, cl_mem part, size_t K, double *sum, int max_at,
                                    int min_at)
{
    clbfgs_status status = clbfgs__exec_read_reals(&r->e, part, 0, r->part_h, r->groups * K);
    if (status != CLBFGS_SUCCESS)
        return status;
    for (size_t k = 0; k < K; k++) {
        double s = r->part_h[k];
        for (size_t gi = 1; gi < r->groups; gi++) {
            double v = r->part_h[gi * K + k];
            if ((int)k == max_at)
                s = (v > s || isnan(v)) ? v : s;
            else if ((int)k == min_at)
                s = v < s ? v : s;
            else
                s += v;
        }
        sum[k] = s;
    }
    return CLBFGS_SUCCESS;
}

static clbfgs_status read_sums(lb_run *r, size_t K, double *sum, int max_at, int min_at)
{
    return read_sums_from(r, r->part, K, sum, max_at, min_at);
}

/* The products of the cnt pairs from head with nv vectors into part2
 * (lb_wdots' layout; v0 and v1 from element off0, off1); nothing read. */
static clbfgs_status wdots_at(lb_run *r, int head, int cnt, cl_mem v0, size_t off0, cl_mem v1,
                              size_t off1, cl_mem v2, int nv)
{
    args a = begin(r, r->k.k.wdots);
    a_mem(&a, r->ws);
    a_mem(&a, r->wy);
    a_uint(&a, (size_t)r->m);
    a_uint(&a, (size_t)head);
    a_uint(&a, (size_t)cnt);
    a_mem(&a, v0);
    a_mem(&a, v1 ? v1 : v0);
    a_mem(&a, v2 ? v2 : v0);
    if (a.status == CLBFGS_SUCCESS) {
        cl_ulong o[2] = {off0, off1};
        for (int k = 0; k < 2; k++) {
            cl_int err = clSetKernelArg(a.k, a.i, sizeof(cl_ulong), &o[k]);
            if (err != CL_SUCCESS)
                a.status = clbfgs__fail_cl(r->ctx, err, "clSetKernelArg", "lb_wdots' offsets");
            a.i++;
        }
    }
    a_uint(&a, (size_t)nv);
    a_uint(&a, r->n);
    a_mem(&a, r->part2);
    a_local(&a, r->wg);
    return launch_groups(&a, "lb_wdots");
}

static clbfgs_status wdots(lb_run *r, int head, int cnt, cl_mem v0)
{
    return wdots_at(r, head, cnt, v0, 0, NULL, 0, NULL, 1);
}

/* out = scale (sign base + W coef) over the col pairs; coef (2 col) is uploaded. */
static clbfgs_status wcomb(lb_run *r, const double *coef, cl_mem base, double sign, double scale,
                          cl_mem out)
{
    clbfgs_status status =
        clbfgs__exec_write_reals(&r->e, r->small_d, 0, coef, 2 * (size_t)r->col);
    if (status != CLBFGS_SUCCESS)
        return status;
    args a = begin(r, r->k.k.wcomb);
    a_mem(&a, r->ws);
    a_mem(&a, r->wy);
    a_uint(&a, (size_t)r->m);
    a_uint(&a, (size_t)r->head);
    a_uint(&a, (size_t)r->col);
    a_mem(&a, r->small_d);
    a_mem(&a, base);
    a_real(&a, sign);
    a_real(&a, scale);
    a_uint(&a, r->n);
    a_mem(&a, out);
    return launch_groups(&a, "lb_wcomb");
}

/* ---- the small algebra (host) ---- */

#define AT(a, i, j, ld) (a)[(size_t)(i) + (size_t)(j) * (size_t)(ld)]

/* LINPACK's dpofa: the upper Cholesky factor of the n x n block at a, in
 * place. Returns 0, or k + 1 where the leading minor of order k + 1 is not
 * positive definite. */
static int cholesky_upper(double *a, int ld, int n)
{
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < j; k++) {
            double dot = 0;
            for (int i = 0; i < k; i++)
                dot += AT(a, i, k, ld) * AT(a, i, j, ld);
            double t = (AT(a, k, j, ld) - dot) / AT(a, k, k, ld);
            AT(a, k, j, ld) = t;
            s += t * t;
        }
        s = AT(a, j, j, ld) - s;
        if (s <= 0)
            return j + 1;
        AT(a, j, j, ld) = sqrt(s);
    }
    return 0;
}

/* SciPy's formt: the factor J' of T = theta S'S + L D^-1 L' into wt. */
static int form_t(lb_run *r)
{
    int m = r->m, col = r->col;
    for (int j = 0; j < col; j++)
        AT(r->wt, 0, j, m) = r->theta * AT(r->ss, 0, j, m);
    for (int i = 1; i < col; i++)
        for (int j = i; j < col; j++) {
            double ddum = 0;
            for (int k = 0; k < i; k++)
                ddum += AT(r->sy, i, k, m) * AT(r->sy, j, k, m) / AT(r->sy, k, k, m);
            AT(r->wt, i, j, m) = ddum + r->theta * AT(r->ss, i, j, m);
        }
    return cholesky_upper(r->wt, m, col);
}

/* SciPy's formk: the LEL' factorization of
 * K = [-D - Y'ZZ'Y / theta, L_a' - R_z'; L_a - R_z, theta S'AA'S]
 * into wn (2m x 2m, upper), from the full products and gram, the
 * products over the variables at a bound (row a of [S Y]'AA'[S Y] holds
 * 2 col + 1 values: s_b or y_b products, then the count). */
static int form_k(lb_run *r)
{
    int m = r->m, col = r->col, m2 = 2 * m, gl = 2 * col + 1;
    const double *g = r->gram;
#define SAAS(i, j) g[(size_t)(i) * gl + (size_t)(j)]
#define SAAY(i, j) g[(size_t)(i) * gl + (size_t)col + (size_t)(j)]
#define YAAY(i, j) g[(size_t)(col + (i)) * gl + (size_t)col + (size_t)(j)]
    for (int iy = 0; iy < col; iy++) {
        int is = col + iy;
        for (int jy = 0; jy <= iy; jy++) {
            int js = col + jy;
            AT(r->wn, jy, iy, m2) = (AT(r->yy, iy, jy, m) - YAAY(iy, jy)) / r->theta;
            AT(r->wn, js, is, m2) = SAAS(iy, jy) * r->theta;
        }
        for (int jy = 0; jy < iy; jy++)
            AT(r->wn, jy, is, m2) = -SAAY(iy, jy);
        for (int jy = iy; jy < col; jy++)
            AT(r->wn, jy, is, m2) = AT(r->sy, iy, jy, m) - SAAY(iy, jy);
        AT(r->wn, iy, iy, m2) += AT(r->sy, iy, iy, m);
    }
#undef SAAS
#undef SAAY
#undef YAAY
    if (cholesky_upper(r->wn, m2, col))
        return -1;
    for (int js = col; js < 2 * col; js++)
        if (lb_trsv_upper(r->wn, m2, col, &AT(r->wn, 0, js, m2), 1))
            return -1;
    for (int is = col; is < 2 * col; is++)
        for (int js = is; js < 2 * col; js++) {
            double dot = 0;
            for (int k = 0; k < col; k++)
                dot += AT(r->wn, k, is, m2) * AT(r->wn, k, js, m2);
            AT(r->wn, is, js, m2) += dot;
        }
    if (cholesky_upper(&AT(r->wn, col, col, m2), m2, col))
        return -2;
    return 0;
}

/* Forgets every pair: B = I (SciPy's "refresh the lbfgs memory"). */
static void forget(lb_run *r)
{
    r->wg_valid = 0;
    r->col = 0;
    r->head = 0;
    r->theta = 1;
    r->iupdat = 0;
    r->updatd = 0;
}

/* Uploads S'Y and the factor J' for the device's M v (the Cauchy walk). */
static clbfgs_status upload_middle(lb_run *r)
{
    size_t mm = (size_t)r->m * (size_t)r->m;
    clbfgs_status status = clbfgs__exec_write_reals(&r->e, r->sy_d, 0, r->sy, mm);
    if (status == CLBFGS_SUCCESS)
        status = clbfgs__exec_write_reals(&r->e, r->wt_d, 0, r->wt, mm);
    return status;
}

/* ---- one run ---- */

typedef enum { GO_ON, RESTART, LS_FAILED } lb_next;

/* f, g . d and the projected gradient's max-norm at x (g there). */
static clbfgs_status evaluate_point(lb_run *r, cl_mem x, cl_mem g, cl_mem d, double *f, double *gd,
                                    double *pg)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_terms terms;
    CLBFGS_TRY(clbfgs__eval(&r->ev, x, g, &terms));
    args a = begin(r, r->k.k.point);
    a_mem(&a, r->e.scalars);
    a_mem(&a, terms.terms ? terms.terms : g);
    a_uint(&a, terms.count);
    a_mem(&a, x);
    a_mem(&a, g);
    a_mem(&a, d);
    a_mem(&a, r->v.v.l);
    a_mem(&a, r->v.v.u);
    a_mem(&a, r->nbd);
    a_int(&a, r->constrained);
    a_uint(&a, r->n);
    a_mem(&a, r->part);
    a_local(&a, r->wg);
    CLBFGS_TRY(launch_groups(&a, "lb_point"));
    double s[3];
    CLBFGS_TRY(read_sums(r, 3, s, 2, -1));
    *f = s[0];
    *gd = s[1];
    *pg = s[2];
cleanup:
    return status;
}

/* The generalized Cauchy point into xcp (SciPy's cauchy); *info non-zero
 * when M is singular. Leaves c = W'(xcp - x) in small[0 .. 2 col). */
static clbfgs_status cauchy(lb_run *r, int *info)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int col = r->col;
    args a = begin(r, r->k.k.prep);
    a_mem(&a, r->v.v.x);
    a_mem(&a, r->v.v.g);
    a_mem(&a, r->v.v.l);
    a_mem(&a, r->v.v.u);
    a_mem(&a, r->nbd);
    a_mem(&a, r->iwhere);
    a_mem(&a, r->v.v.d);
    a_mem(&a, r->v.v.t);
    a_mem(&a, r->v.v.xcp);
    a_uint(&a, r->n);
    a_mem(&a, r->part);
    a_local(&a, r->wg);
    CLBFGS_TRY(launch_groups(&a, "lb_cauchy_prep"));
    if (col > 0) /* p = W'd */
        CLBFGS_TRY(wdots(r, r->head, col, r->v.v.d));
    a = begin(r, r->k.k.walk);
    a_mem(&a, r->part);
    a_mem(&a, r->part2);
    a_uint(&a, r->groups);
    a_mem(&a, r->sy_d);
    a_mem(&a, r->wt_d);
    a_real(&a, r->theta);
    a_uint(&a, (size_t)col);
    a_uint(&a, (size_t)r->head);
    a_uint(&a, (size_t)r->m);
    a_mem(&a, r->v.v.x);
    a_mem(&a, r->v.v.l);
    a_mem(&a, r->v.v.u);
    a_mem(&a, r->v.v.d);
    a_mem(&a, r->v.v.t);
    a_mem(&a, r->v.v.xcp);
    a_mem(&a, r->iwhere);
    a_mem(&a, r->ws);
    a_mem(&a, r->wy);
    a_mem(&a, r->v.v.ht);
    a_mem(&a, r->hi);
    a_uint(&a, r->n);
    a_real(&a, r->e.precision == CLBFGS_PRECISION_DOUBLE ? DBL_EPSILON : (double)FLT_EPSILON);
    a_mem(&a, r->out);
    if (a.status == CLBFGS_SUCCESS)
        CLBFGS_TRY(clbfgs__exec_launch_groups(&r->e, r->k.k.walk, 1, 1, "lb_cauchy_walk"));
    CLBFGS_TRY(a.status);
    a = begin(r, r->k.k.move);
    a_mem(&a, r->v.v.xcp);
    a_mem(&a, r->v.v.d);
    a_mem(&a, r->out);
    a_uint(&a, r->n);
    CLBFGS_TRY(launch_n(&a, "lb_cauchy_move"));
    double out[4 + 2 * CLBFGS_LBFGSB_MAX_M];
    CLBFGS_TRY(clbfgs__exec_read_reals(&r->e, r->out, 0, out, 4 + 2 * (size_t)col));
    *info = (int)out[0];
    memcpy(r->small, out + 4, 2 * (size_t)col * sizeof(double));
cleanup:
    return status;
}

/* The products over the variables at a bound at the GCP (constrained runs
 * with pairs); *nfree the free variables. */
static clbfgs_status active_products(lb_run *r, size_t *nfree)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int col = r->col, col2 = 2 * col;
    size_t K = (size_t)col2 * (size_t)(col2 + 1);
    args a = begin(r, r->chunked ? r->k.k.gram_blocks : r->k.k.gram);
    a_mem(&a, r->iwhere);
    a_mem(&a, r->ws);
    a_mem(&a, r->wy);
    a_uint(&a, (size_t)r->m);
    a_uint(&a, (size_t)r->head);
    a_uint(&a, (size_t)col);
    a_uint(&a, r->n);
    a_mem(&a, r->part);
    a_local(&a, r->wg);
    CLBFGS_TRY(a.status);
    if (r->chunked) {
        CLBFGS_TRY(launch_groups(&a, "lb_active_gram_blocks"));
    } else {
        size_t global[2] = {r->groups * r->wg, (size_t)col2}, local[2] = {r->wg, 1};
        CLBFGS_TRY(clbfgs__exec_launch(&r->e, r->k.k.gram, 2, global, local, "lb_active_gram"));
    }
    CLBFGS_TRY(read_sums(r, K, r->gram, -1, -1));
    *nfree = r->n - (size_t)llround(r->gram[col2]);
cleanup:
    return status;
}

/* The subspace minimization from xcp into z (SciPy's cmprlb and subsm);
 * *info non-zero when a system is singular. Without bounds it also forms
 * the search direction d = z - x, and dir holds d'd and g'd (else dir[0]
 * is NaN: the caller's direction() forms them). */
static clbfgs_status subspace(lb_run *r, cl_mem xcp, int *info, double *dir)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int col = r->col, col2 = 2 * col, m2 = 2 * r->m;
    double v[2 * CLBFGS_LBFGSB_MAX_M], wv[2 * CLBFGS_LBFGSB_MAX_M];
    for (int j = 0; j < col2; j++)
        v[j] = 0;
    if (r->constrained && lb_bmv(r->m, r->sy, r->wt, col, r->small, v)) {
        *info = -8;
        return CLBFGS_SUCCESS;
    }
    /* r = -Z'(g + theta (xcp - x) - W M c) on the free variables; without
     * bounds xcp = x and c = 0, so r = -g, which is not stored */
    cl_mem rvec = r->v.v.g;
    double sign = -1;
    if (r->constrained) {
        double coef[2 * CLBFGS_LBFGSB_MAX_M];
        for (int j = 0; j < col; j++) {
            coef[j] = v[j];
            coef[col + j] = r->theta * v[col + j];
        }
        CLBFGS_TRY(wcomb(r, coef, r->v.v.r, 0, 1, r->v.v.r));
        args a = begin(r, r->k.k.finish_r);
        a_mem(&a, r->v.v.x);
        a_mem(&a, r->v.v.g);
        a_mem(&a, xcp);
        a_mem(&a, r->iwhere);
        a_real(&a, r->theta);
        a_uint(&a, r->n);
        a_mem(&a, r->v.v.r);
        CLBFGS_TRY(launch_groups(&a, "lb_finish_r"));
        rvec = r->v.v.r;
        sign = 1;
    }
    if (!r->constrained && r->wg_valid) {
        memcpy(wv, r->wgrad, (size_t)col2 * sizeof(double));
    } else {
        CLBFGS_TRY(wdots(r, r->head, col, rvec));
        CLBFGS_TRY(read_sums_from(r, r->part2, (size_t)col2, wv, -1, -1));
    }
    r->wg_valid = 0;
    for (int j = 0; j < col2; j++)
        wv[j] = sign * wv[j];
    for (int j = col; j < col2; j++)
        wv[j] = r->theta * wv[j];
    /* wv = K^-1 wv through the LEL' factors */
    if ((*info = lb_trsv_upper(r->wn, m2, col2, wv, 1)) != 0)
        return CLBFGS_SUCCESS;
    for (int j = 0; j < col; j++)
        wv[j] = -wv[j];
    if ((*info = lb_trsv_upper(r->wn, m2, col2, wv, 0)) != 0)
        return CLBFGS_SUCCESS;
    /* ds = (r + W [wv1 / theta; wv2]) / theta, then z = P(xcp + ds) */
    for (int j = 0; j < col; j++)
        wv[j] = wv[j] / r->theta;
    CLBFGS_TRY(wcomb(r, wv, rvec, sign, 1 / r->theta, r->v.v.ds));
    if (!r->constrained) { /* nothing to project: z = x + ds and d at once */
        args a = begin(r, r->k.k.step_free);
        a_mem(&a, r->v.v.ds);
        a_mem(&a, r->v.v.x);
        a_mem(&a, r->v.v.g);
        a_uint(&a, r->n);
        a_mem(&a, r->v.v.z);
        a_mem(&a, r->v.v.d);
        a_mem(&a, r->part);
        a_local(&a, r->wg);
        CLBFGS_TRY(launch_groups(&a, "lb_step_free"));
        CLBFGS_TRY(read_sums(r, 2, dir, -1, -1));
        goto cleanup;
    }
    args a = begin(r, r->k.k.project);
    a_mem(&a, r->v.v.ds);
    a_mem(&a, xcp);
    a_mem(&a, r->v.v.x);
    a_mem(&a, r->v.v.g);
    a_mem(&a, r->v.v.l);
    a_mem(&a, r->v.v.u);
    a_mem(&a, r->nbd);
    a_mem(&a, r->iwhere);
    a_uint(&a, r->n);
    a_mem(&a, r->v.v.z);
    a_mem(&a, r->part);
    a_local(&a, r->wg);
    CLBFGS_TRY(launch_groups(&a, "lb_project"));
    double s[2];
    CLBFGS_TRY(read_sums(r, 2, s, 0, -1));
    if (s[0] == 0 || !(s[1] > 0))
        goto cleanup; /* inside the box, or the projected step still goes down */
    /* Morales & Nocedal: back along ds from xcp to the first bound */
    a = begin(r, r->k.k.limit);
    a_mem(&a, r->v.v.ds);
    a_mem(&a, xcp);
    a_mem(&a, r->v.v.l);
    a_mem(&a, r->v.v.u);
    a_mem(&a, r->nbd);
    a_mem(&a, r->iwhere);
    a_uint(&a, r->n);
    a_mem(&a, r->part);
    a_mem(&a, r->ipart);
    a_local(&a, r->wg);
    a_local_ints(&a, r->wg);
    CLBFGS_TRY(launch_groups(&a, "lb_subspace_limit"));
    CLBFGS_TRY(clbfgs__exec_read_reals(&r->e, r->part, 0, r->part_h, r->groups));
    CLBFGS_CL_TRY(r->ctx,
                  clEnqueueReadBuffer(r->ctx->queue, r->ipart, CL_TRUE, 0,
                                      r->groups * sizeof(cl_int), r->ipart_h, 0, NULL, NULL),
                  "the subspace step's limiting variable");
    r->e.syncs++;
    double alpha = 1;
    int ibd = -1;
    for (size_t gi = 0; gi < r->groups; gi++) {
        int ib = r->ipart_h[gi];
        if (ib >= 0 && (r->part_h[gi] < alpha || (r->part_h[gi] == alpha && ibd >= 0 && ib < ibd))) {
            alpha = r->part_h[gi];
            ibd = ib;
        }
    }
    a = begin(r, r->k.k.back);
    a_mem(&a, r->v.v.z);
    a_mem(&a, xcp);
    a_mem(&a, r->v.v.ds);
    a_mem(&a, r->v.v.l);
    a_mem(&a, r->v.v.u);
    a_mem(&a, r->iwhere);
    a_real(&a, alpha);
    a_int(&a, ibd);
    a_uint(&a, r->n);
    CLBFGS_TRY(launch_n(&a, "lb_subspace_back"));
cleanup:
    return status;
}

/* d = z - x, and d'd, g'd and the step bound (SciPy's lnsrlb, start). */
static clbfgs_status direction(lb_run *r, cl_mem z, double *dtd, double *gd, double *stpmx)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int limit = r->constrained && r->nit > 0;
    args a = begin(r, r->k.k.dir);
    a_mem(&a, z);
    a_mem(&a, r->v.v.x);
    a_mem(&a, r->v.v.g);
    a_mem(&a, r->v.v.l);
    a_mem(&a, r->v.v.u);
    a_mem(&a, r->nbd);
    a_int(&a, limit);
    a_uint(&a, r->n);
    a_mem(&a, r->v.v.d);
    a_mem(&a, r->part);
    a_local(&a, r->wg);
    CLBFGS_TRY(launch_groups(&a, "lb_direction"));
    double s[3];
    CLBFGS_TRY(read_sums(r, 3, s, -1, 2));
    *dtd = s[0];
    *gd = s[1];
    *stpmx = limit ? s[2] : r->constrained ? 1.0 : LB_BIG;
cleanup:
    return status;
}

/* The new pair (SciPy's matupd) and the middle matrix's factor (formt);
 * *info non-zero when T is not positive definite. */
static clbfgs_status update(lb_run *r, double stp, double dtd, double dr, int *info)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    int m = r->m;
    r->updatd = 1;
    r->iupdat++;
    if (r->iupdat <= m) {
        r->col = r->iupdat;
        r->itail = (r->head + r->iupdat - 1) % m;
    } else {
        r->itail = (r->itail + 1) % m;
        r->head = (r->head + 1) % m;
        double *mats[] = {r->sy, r->ss, r->yy};
        for (int t = 0; t < 3; t++)
            for (int j = 0; j < m - 1; j++)
                for (int i = 0; i < m - 1; i++)
                    AT(mats[t], i, j, m) = AT(mats[t], i + 1, j + 1, m);
    }
    int col = r->col, old = col - 1;
    args a = begin(r, r->k.k.new_pair);
    a_mem(&a, r->v.v.d);
    a_real(&a, stp);
    a_mem(&a, r->v.v.g);
    a_mem(&a, r->v.v.gt); /* the old gradient: x and g were swapped with the trial's */
    a_mem(&a, r->ws);
    a_mem(&a, r->wy);
    a_uint(&a, (size_t)r->itail);
    a_uint(&a, r->n);
    a_mem(&a, r->part);
    a_local(&a, r->wg);
    CLBFGS_TRY(launch_groups(&a, "lb_new_pair"));
    double s[1 + 4 * CLBFGS_LBFGSB_MAX_M];
    if (r->constrained)
        CLBFGS_TRY(read_sums(r, 1, s, -1, -1));
    if (!r->constrained) {
        /* one pass over every pair: the new s and y against the older ones,
         * y'y (the new y against itself), and W'g for the next subspace
         * step (the new pair's other products with s and y are not used:
         * SciPy sets them from dr and d'd) */
        double t[6 * CLBFGS_LBFGSB_MAX_M];
        size_t tail = (size_t)r->itail * r->n; /* the new s and y, in S and Y */
        CLBFGS_TRY(wdots_at(r, r->head, col, r->ws, tail, r->wy, tail, r->v.v.g, 3));
        CLBFGS_TRY(read_sums_from(r, r->part2, 6 * (size_t)col, t, -1, -1));
        for (int j = 0; j < old; j++) {
            s[1 + j] = t[j];
            s[1 + old + j] = t[col + j];
            s[1 + 2 * old + j] = t[2 * col + j];
            s[1 + 3 * old + j] = t[3 * col + j];
        }
        s[0] = t[2 * col + col - 1];
        memcpy(r->wgrad, t + 4 * col, 2 * (size_t)col * sizeof(double));
        r->wg_valid = 1;
    } else if (old > 0) { /* the new s and y against the older pairs */
        size_t tail = (size_t)r->itail * r->n;
        CLBFGS_TRY(wdots_at(r, r->head, old, r->ws, tail, r->wy, tail, NULL, 2));
        CLBFGS_TRY(read_sums_from(r, r->part2, 4 * (size_t)old, s + 1, -1, -1));
    }
    double rr = s[0];
    int c = col - 1;
    for (int j = 0; j < old; j++) {
        AT(r->sy, c, j, m) = s[1 + j];
        AT(r->ss, j, c, m) = AT(r->ss, c, j, m) = s[1 + old + j];
        AT(r->yy, j, c, m) = AT(r->yy, c, j, m) = s[1 + 2 * old + j];
        AT(r->sy, j, c, m) = s[1 + 3 * old + j];
    }
    AT(r->ss, c, c, m) = stp == 1 ? dtd : stp * stp * dtd;
    AT(r->sy, c, c, m) = dr;
    AT(r->yy, c, c, m) = rr;
    r->theta = rr / dr;
    *info = form_t(r);
    if (*info == 0)
        CLBFGS_TRY(upload_middle(r));
cleanup:
    return status;
}

static void swap_mem(cl_mem *a, cl_mem *b)
{
    cl_mem t = *a;
    *a = *b;
    *b = t;
}

/* One line search along d from x (SciPy's lnsrlb with dcsrch): on success
 * x, g, f hold the new point (the old x and g in xt, gt). */
static clbfgs_status line_search(lb_run *r, cl_mem z, double dtd, double gd0, double stpmx,
                                 double *stp_out, double *gd_out, lb_next *next)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    double dnorm = sqrt(dtd);
    double stp = r->nit == 0 && !r->boxed ? fmin(1.0 / dnorm, stpmx) : 1.0;
    *next = LS_FAILED;
    if (!(gd0 < 0)) /* not a descent direction (also NaN) */
        return CLBFGS_SUCCESS;
    clbfgs_mt_state mt;
    clbfgs_mt_task task = clbfgs__mt_start(&mt, &stp, r->f, gd0, LB_FTOL, LB_GTOL, LB_XTOL, 0,
                                           stpmx);
    int ifun = 0;
    double ft = r->f, gdt = gd0, pgt = 0;
    while (task == CLBFGS_MT_FG) {
        if (ifun >= r->o->maxls) /* SciPy's iback >= maxls, before the evaluation */
            return CLBFGS_SUCCESS;
        ifun++;
        args a = begin(r, r->k.k.trial);
        a_mem(&a, r->v.v.xt);
        a_mem(&a, r->v.v.x);
        a_mem(&a, r->v.v.d);
        a_mem(&a, z);
        a_real(&a, stp);
        a_uint(&a, r->n);
        CLBFGS_TRY(launch_n(&a, "lb_trial"));
        CLBFGS_TRY(evaluate_point(r, r->v.v.xt, r->v.v.gt, r->v.v.d, &ft, &gdt, &pgt));
        task = clbfgs__mt_iterate(&mt, &stp, ft, gdt);
    }
    if (task != CLBFGS_MT_CONVERGENCE &&
        !(task >= CLBFGS_MT_WARNING_ROUNDING && task <= CLBFGS_MT_WARNING_STPMIN))
        return CLBFGS_SUCCESS; /* an ERROR task: as SciPy's info != 0 */
    swap_mem(&r->v.v.x, &r->v.v.xt);
    swap_mem(&r->v.v.g, &r->v.v.gt);
    r->f = ft;
    r->sbgnrm = pgt;
    *stp_out = stp;
    *gd_out = gdt;
    *next = GO_ON;
cleanup:
    return status;
}

static void set_message(clbfgs_result *res, int status, const char *msg)
{
    res->status = status;
    res->success = status == 0;
    snprintf(res->message, sizeof res->message, "%s", msg);
}

/* The host's side of the start: bounds' kinds, x0 projected, status. */
static clbfgs_status start_arrays(lb_run *r, const double *x0, size_t *projected)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    size_t n = r->n;
    const clbfgs_options *o = r->o;
    int *nbd = malloc(n * sizeof(int)), *iwhere = malloc(n * sizeof(int));
    double *l = malloc(n * sizeof(double)), *u = malloc(n * sizeof(double));
    if (!nbd || !iwhere || !l || !u) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "L-BFGS-B's bounds (n = %zu)", n);
        goto cleanup;
    }
    r->constrained = 0;
    r->boxed = 1;
    size_t fixed = 0;
    *projected = 0;
    for (size_t i = 0; i < n; i++) {
        double li = o->lower ? o->lower[i] : -(double)INFINITY, ui = o->upper ? o->upper[i] : (double)INFINITY;
        int has_l = isfinite(li), has_u = isfinite(ui);
        nbd[i] = has_l && has_u ? 2 : has_l ? 1 : has_u ? 3 : 0;
        l[i] = has_l ? li : 0;
        u[i] = has_u ? ui : 0;
        double xi = x0[i];
        if (has_l && xi < li)
            xi = li;
        if (has_u && xi > ui)
            xi = ui;
        *projected += xi != x0[i];
        r->host_x[i] = xi;
        if (nbd[i] != 2)
            r->boxed = 0;
        if (nbd[i] == 0) {
            iwhere[i] = -1;
        } else {
            r->constrained = 1;
            iwhere[i] = nbd[i] == 2 && ui - li <= 0 ? 3 : 0;
            fixed += iwhere[i] == 3;
        }
    }
    r->all_fixed = fixed == n;
    CLBFGS_TRY(clbfgs__exec_write_reals(&r->e, r->v.v.l, 0, l, n));
    CLBFGS_TRY(clbfgs__exec_write_reals(&r->e, r->v.v.u, 0, u, n));
    CLBFGS_TRY(clbfgs__exec_write_reals(&r->e, r->v.v.x, 0, r->host_x, n));
    CLBFGS_CL_TRY(r->ctx,
                  clEnqueueWriteBuffer(r->ctx->queue, r->nbd, CL_TRUE, 0, n * sizeof(cl_int), nbd,
                                       0, NULL, NULL),
                  "the bounds' kinds");
    CLBFGS_CL_TRY(r->ctx,
                  clEnqueueWriteBuffer(r->ctx->queue, r->iwhere, CL_TRUE, 0, n * sizeof(cl_int),
                                       iwhere, 0, NULL, NULL),
                  "the variables' status");
cleanup:
    free(nbd);
    free(iwhere);
    free(l);
    free(u);
    return status;
}

static clbfgs_status run(lb_run *r, const double *x0, clbfgs_result *res)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    const clbfgs_options *o = r->o;
    size_t n = r->n, projected = 0;
    size_t maxiter = o->maxiter ? o->maxiter : 15000;
    double epsmch = r->e.precision == CLBFGS_PRECISION_DOUBLE ? DBL_EPSILON : (double)FLT_EPSILON;
    double tol = o->ftol / DBL_EPSILON * DBL_EPSILON; /* SciPy's factr * epsmch */
    double t0 = clbfgs__now();
    CLBFGS_TRY(start_arrays(r, x0, &projected));
    if (projected)
        clbfgs__log(r->ctx, CLBFGS_LOG_INFO,
                    "L-BFGS-B: x0 is outside the bounds in %zu coordinate%s; starting from its "
                    "projection onto them, as SciPy does",
                    projected, projected == 1 ? "" : "s");
    forget(r);
    double gd_unused;
    /* no direction yet: g . g is computed and dropped */
    CLBFGS_TRY(evaluate_point(r, r->v.v.x, r->v.v.g, r->v.v.g, &r->f, &gd_unused, &r->sbgnrm));
    r->time.setup += clbfgs__now() - t0;
    CLBFGS_TRY(clbfgs__exec_reset_counts(&r->e));
    if (r->all_fixed) { /* SciPy answers without running L-BFGS-B */
        set_message(res, 0, "All independent variables were fixed by bounds.");
        r->ev.njev = 0;
        goto cleanup;
    }
    if (!isfinite(r->f)) {
        set_message(res, 3, "NaN result encountered.");
        goto cleanup;
    }
    if (r->sbgnrm <= o->gtol) {
        set_message(res, 0, MSG_PGTOL);
        goto cleanup;
    }
    for (;;) {
        double th = clbfgs__now();
        /* the point the subspace step starts from */
        cl_mem xcp = r->v.v.xcp;
        size_t nfree = n;
        int info = 0;
        if (!r->constrained && r->col > 0) {
            xcp = r->v.v.x; /* SciPy skips the Cauchy point: z = x */
        } else {
            CLBFGS_TRY(cauchy(r, &info));
            if (info) {
                forget(r);
                continue;
            }
        }
        cl_mem z = xcp;
        double dir[2] = {(double)NAN, (double)NAN};
        if (r->col > 0) {
            int col2 = 2 * r->col;
            if (r->constrained)
                CLBFGS_TRY(active_products(r, &nfree));
            else
                memset(r->gram, 0, (size_t)col2 * (size_t)(col2 + 1) * sizeof(double));
            if (nfree > 0) {
                if (form_k(r) == 0)
                    CLBFGS_TRY(subspace(r, xcp, &info, dir));
                else
                    info = -1;
                if (info) {
                    forget(r);
                    continue;
                }
                z = r->v.v.z;
            }
        }
        double dtd, gd0, stpmx, stp = 1, gd = 0;
        if (isnan(dir[0])) {
            CLBFGS_TRY(direction(r, z, &dtd, &gd0, &stpmx));
        } else { /* no bounds: subspace() formed d */
            dtd = dir[0];
            gd0 = dir[1];
            stpmx = LB_BIG;
        }
        r->time.hessian += clbfgs__now() - th;
        double tl = clbfgs__now();
        double fold = r->f;
        lb_next next;
        CLBFGS_TRY(line_search(r, z, dtd, gd0, stpmx, &stp, &gd, &next));
        r->time.line_search += clbfgs__now() - tl;
        if (next == LS_FAILED) {
            if (r->col == 0) {
                set_message(res, 2, MSG_ABNORMAL);
                break;
            }
            forget(r);
            continue;
        }
        r->nit++;
        if (o->callback) {
            double tc = clbfgs__now();
            CLBFGS_TRY(clbfgs__exec_read_reals(&r->e, r->v.v.x, 0, r->host_x, n));
            clbfgs_iterate it = {r->nit, r->f, r->sbgnrm, stp * sqrt(dtd), r->ev.nfev, r->host_x,
                                 n};
            int stop;
            status = clbfgs__iteration_callback(o, &it, &stop);
            r->time.callback += clbfgs__now() - tc;
            if (status != CLBFGS_SUCCESS)
                goto cleanup;
            if (stop) {
                set_message(res, 99, "Stopped by the callback.");
                break;
            }
        }
        if (r->nit >= maxiter) {
            set_message(res, 1, MSG_MAXITER);
            break;
        }
        if (r->ev.nfev > o->maxfun) {
            set_message(res, 1, MSG_MAXFUN);
            break;
        }
        if (r->sbgnrm <= o->gtol) {
            set_message(res, 0, MSG_PGTOL);
            break;
        }
        double ddum = fmax(fmax(fabs(fold), fabs(r->f)), 1.0);
        if (fold - r->f <= tol * ddum) {
            set_message(res, 0, MSG_FTOL);
            break;
        }
        th = clbfgs__now();
        double dr = stp == 1 ? gd - gd0 : (gd - gd0) * stp;
        ddum = stp == 1 ? -gd0 : -gd0 * stp;
        if (dr <= epsmch * ddum) {
            r->skipped++;
            r->updatd = 0;
        } else {
            CLBFGS_TRY(update(r, stp, dtd, dr, &info));
            if (info)
                forget(r);
        }
        r->time.hessian += clbfgs__now() - th;
    }
cleanup:
    return status;
}

clbfgs_status clbfgs__lbfgsb_minimize(clbfgs_context *ctx, const clbfgs_objective *objective,
                                      size_t n, const double *x0, const clbfgs_options *o,
                                      clbfgs_precision precision, clbfgs_result *res)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    double t_start = clbfgs__now();
    lb_run r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.o = o;
    r.n = n;
    r.m = (int)o->m;
    res->n = n;
    res->precision = precision;
    res->x = malloc(n * sizeof(double));
    res->jac = malloc(n * sizeof(double));
    if (!res->x || !res->jac) {
        clbfgs_result_free(res);
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "the result's x and jac (n = %zu)", n);
        goto cleanup;
    }
    memcpy(res->x, x0, n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        res->jac[i] = (double)NAN;
    res->fun = (double)NAN;
    CLBFGS_TRY(check_memory(ctx, objective, n, o->m, precision));
    CLBFGS_TRY(clbfgs__exec_init(&r.e, ctx, precision, n));
    CLBFGS_TRY(setup(&r));
    /* SciPy's L-BFGS-B steps by eps = 1e-8 (BFGS by the square root of epsilon) */
    CLBFGS_TRY(clbfgs__eval_prepare(&r.ev, objective, &r.e, n, o->eps > 0 ? o->eps : 1e-8));
    r.time.setup = clbfgs__now() - t_start;
    status = run(&r, x0, res);
    res->nit = r.nit;
    res->nfev = r.ev.nfev;
    res->njev = r.ev.njev;
    res->skipped_updates = r.skipped;
    res->fun = r.f;
    if (r.v.v.x && clbfgs__exec_read_reals(&r.e, r.v.v.x, 0, res->x, n) != CLBFGS_SUCCESS &&
        status == CLBFGS_SUCCESS)
        status = CLBFGS_ERR_OPENCL;
    if (status == CLBFGS_SUCCESS)
        status = clbfgs__exec_read_reals(&r.e, r.v.v.g, 0, res->jac, n);
    res->time = r.time;
    res->time.syncs = r.e.syncs;
    res->time.launches = r.e.launches;
    res->time.device_objective = r.e.device_time[PHASE_OBJECTIVE];
    res->time.device_hessian = r.e.device_time[PHASE_HESSIAN];
    res->time.device_other = r.e.device_time[PHASE_OTHER];
    res->time.device_transfer = r.e.device_time[PHASE_TRANSFER];
cleanup:
    if (status != CLBFGS_SUCCESS) {
        res->status = (int)status;
        res->success = 0;
        snprintf(res->message, sizeof res->message, "Error: %s: %s", clbfgs_strerror(status),
                 clbfgs_last_error());
    }
    run_free(&r);
    res->time.total = clbfgs__now() - t_start;
    return status;
}
