/* libclbfgs-mpi: one minimization over data spread across MPI ranks.
 *
 * The iteration is the library's own (clbfgs_minimize), replicated on every
 * rank; this file adds a reduce function to the rank's objective that sums
 * f and g over the ranks with one MPI_Allreduce per evaluation, and two
 * flags in the same message that carry failures and ends between ranks:
 *
 *     [ f, g_0 .. g_{n-1}, failed, ended ]   (n + 3 doubles, MPI_SUM)
 *
 * Every collective of a run has that shape, so a rank that stops early (its
 * run failed outside an evaluation, or its callback stopped it) meets the
 * others' next evaluation with ended = 1 instead of leaving them waiting:
 * they fail that evaluation, and nobody calls another collective. A rank
 * that ended learns from the same message whether everyone else ended too;
 * only then do the ranks compare their results. */
#include "config.h"

#include "clbfgs_mpi.h"
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mpi_run {
    MPI_Comm comm;
    int rank, size;
    size_t n;
    double *buf; /* n + 3 */
    int over;    /* every rank has seen the run end: no more collectives */
    size_t reductions;
    double seconds;
};

/* ---- the start: do the ranks agree? ---- */

/* FNV-1a of bytes (64 bits; they travel as MPI_UINT64_T). */
static uint64_t hash_bytes(const void *p, size_t len, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t hash_reals(const double *v, size_t n)
{
    return v ? hash_bytes(v, n * sizeof *v, 14695981039346656037ULL) : 0;
}

static uint64_t bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

enum { FIELD_REAL, FIELD_INT, FIELD_HASH };

struct field {
    const char *name;
    int kind;
    uint64_t value;
};

/* The values every rank must share, or an error that names the first that
 * differs. Collective: one MPI_Allreduce(MAX) of each value and its
 * complement, which gives every rank the largest and the smallest. */
static clbfgs_status agree(MPI_Comm comm, const struct field *f, size_t count, const char *who,
                           size_t *differs)
{
    *differs = count;
    uint64_t use[2 * 32];
    if (count > 32)
        count = 32;
    for (size_t i = 0; i < count; i++) {
        use[2 * i] = f[i].value;
        use[2 * i + 1] = ~f[i].value;
    }
    int rc = MPI_Allreduce(MPI_IN_PLACE, use, (int)(2 * count), MPI_UINT64_T, MPI_MAX, comm);
    clbfgs_status status = CLBFGS_SUCCESS;
    if (rc != MPI_SUCCESS) {
        status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                              "%s: MPI_Allreduce of the ranks' arguments failed (MPI error %d)",
                              who, rc);
    } else {
        for (size_t i = 0; i < count; i++) {
            uint64_t hi = use[2 * i], lo = ~use[2 * i + 1];
            if (hi == lo)
                continue;
            *differs = i;
            double dlo, dhi, here;
            memcpy(&dlo, &lo, sizeof dlo);
            memcpy(&dhi, &hi, sizeof dhi);
            memcpy(&here, &f[i].value, sizeof here);
            if (f[i].kind == FIELD_REAL)
                status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                      "%s: the ranks disagree on %s (%.17g here; %.17g and %.17g "
                                      "among the ranks): every rank must pass the same",
                                      who, f[i].name, here, dlo, dhi);
            else if (f[i].kind == FIELD_INT)
                status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                      "%s: the ranks disagree on %s (from %llu to %llu among the "
                                      "ranks; %llu here): every rank must pass the same",
                                      who, f[i].name, (unsigned long long)lo,
                                      (unsigned long long)hi, (unsigned long long)f[i].value);
            else
                status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                      "%s: the ranks disagree on %s: every rank must pass the "
                                      "same values",
                                      who, f[i].name);
            break;
        }
    }
    return status;
}

static clbfgs_precision resolved_precision(clbfgs_context *ctx, clbfgs_precision asked)
{
    clbfgs_device_info info;
    if (asked != CLBFGS_PRECISION_AUTO || !ctx || clbfgs_context_device(ctx, &info))
        return asked;
    return info.has_fp64 ? CLBFGS_PRECISION_DOUBLE : CLBFGS_PRECISION_FLOAT;
}

/* local: CLBFGS_SUCCESS, or this rank's own error, which the other ranks
 * learn of through the same collective. */
static clbfgs_status check_start(MPI_Comm comm, clbfgs_context *ctx, size_t n, const double *x0,
                                 const clbfgs_options *o, clbfgs_status local, const char *who)
{
    char *mine = local != CLBFGS_SUCCESS ? clbfgs__strdup_printf("%s", clbfgs_last_error()) : NULL;
    int bad = local != CLBFGS_SUCCESS;
    size_t nx = x0 ? n : 0;
    int lbfgsb = o->method == CLBFGS_METHOD_LBFGSB;
    struct field f[] = {
        {"whether each rank could start", FIELD_INT, (uint64_t)bad},
        {"n", FIELD_INT, (uint64_t)n},
        {"x0", FIELD_HASH, hash_reals(x0, nx)},
        {"options.method", FIELD_INT, (uint64_t)o->method},
        {"the precision (options.precision, AUTO as each device resolves it)", FIELD_INT,
         (uint64_t)resolved_precision(ctx, o->precision)},
        {"options.gtol", FIELD_REAL, bits(o->gtol)},
        {"options.norm", FIELD_REAL, bits(o->norm)},
        {"options.maxiter", FIELD_INT, (uint64_t)o->maxiter},
        {"options.xrtol", FIELD_REAL, bits(o->xrtol)},
        {"options.c1", FIELD_REAL, bits(o->c1)},
        {"options.c2", FIELD_REAL, bits(o->c2)},
        {"options.hess_inv0", FIELD_HASH, hash_reals(o->hess_inv0, x0 ? n * n : 0)},
        {"options.eps", FIELD_REAL, bits(o->eps)},
        {"options.return_hess_inv", FIELD_INT, (uint64_t)o->return_hess_inv},
        {"whether options.callback is set", FIELD_INT, (uint64_t)(o->callback != NULL)},
        {"options.single_kernel", FIELD_INT, (uint64_t)(int64_t)o->single_kernel},
        {"options.m", FIELD_INT, (uint64_t)o->m},
        {"options.lower", FIELD_HASH, lbfgsb ? hash_reals(o->lower, nx) : 0},
        {"options.upper", FIELD_HASH, lbfgsb ? hash_reals(o->upper, nx) : 0},
        {"options.ftol", FIELD_REAL, bits(o->ftol)},
        {"options.maxfun", FIELD_INT, (uint64_t)o->maxfun},
        {"options.maxls", FIELD_INT, (uint64_t)(int64_t)o->maxls},
    };
    size_t differs;
    clbfgs_status status = agree(comm, f, sizeof f / sizeof f[0], who, &differs);
    if (bad) { /* this rank's own reason, not the disagreement it caused */
        if (mine)
            clbfgs__fail(local, "%s", mine);
        free(mine);
        return local;
    }
    if (differs == 0)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: another rank could not start (its own error says why)", who);
    return status;
}

/* ---- every evaluation: one Allreduce ---- */

static int allreduce(struct mpi_run *r)
{
    double t0 = MPI_Wtime();
    int rc = MPI_Allreduce(MPI_IN_PLACE, r->buf, (int)(r->n + 3), MPI_DOUBLE, MPI_SUM, r->comm);
    r->seconds += MPI_Wtime() - t0;
    r->reductions++;
    return rc;
}

static int reduce_fg(void *user, double *fg, size_t n, int failed)
{
    struct mpi_run *r = user;
    char why[256];
    if (r->over) { /* cannot happen: the run ended at the last collective */
        clbfgs_callback_fail("the MPI run already ended on every rank");
        return 1;
    }
    if (failed)
        memset(r->buf, 0, (r->n + 1) * sizeof *r->buf);
    else
        memcpy(r->buf, fg, (n + 1) * sizeof *fg);
    r->buf[r->n + 1] = failed ? 1.0 : 0.0;
    r->buf[r->n + 2] = 0.0;
    int rc = allreduce(r);
    if (rc != MPI_SUCCESS) {
        r->over = 1;
        snprintf(why, sizeof why, "MPI_Allreduce of f and g failed on rank %d (MPI error %d)",
                 r->rank, rc);
        clbfgs_callback_fail(why);
        return 1;
    }
    double nfailed = r->buf[r->n + 1], nended = r->buf[r->n + 2];
    if (nfailed > 0 || nended > 0) {
        r->over = 1; /* every rank saw this message: none calls another collective */
        if (nended > 0)
            snprintf(why, sizeof why,
                     "the run ended on %.0f of %d ranks while this one (rank %d) was evaluating: "
                     "the ranks diverged, or a rank's run failed",
                     nended, r->size, r->rank);
        else
            snprintf(why, sizeof why, "the evaluation failed on %.0f of %d ranks (rank %d here%s)",
                     nfailed, r->size, r->rank, failed ? ", one of them" : ", not one of them");
        clbfgs_callback_fail(why);
        return 1;
    }
    if (!failed)
        memcpy(fg, r->buf, (n + 1) * sizeof *fg);
    return 0;
}

/* A rank without data: f = 0 and g = 0, its share of every sum. */
static int zero_fn(void *user, const double *x, size_t n, double *f, double *g)
{
    (void)user;
    (void)x;
    *f = 0;
    memset(g, 0, n * sizeof *g);
    return 0;
}

/* ---- the end: did every rank end, and alike? ---- */

static clbfgs_status finish(struct mpi_run *r, clbfgs_status status, clbfgs_result *result,
                            const char *who)
{
    if (r->over)
        return status;
    memset(r->buf, 0, (r->n + 1) * sizeof *r->buf);
    r->buf[r->n + 1] = status != CLBFGS_SUCCESS ? 1.0 : 0.0;
    r->buf[r->n + 2] = 1.0;
    double seconds = r->seconds;
    int rc = allreduce(r);
    r->reductions--; /* not an evaluation's */
    r->seconds = seconds;
    r->over = 1;
    if (rc != MPI_SUCCESS)
        return clbfgs__fail(CLBFGS_ERR_OBJECTIVE, "%s: MPI_Allreduce at the run's end failed on "
                                                  "rank %d (MPI error %d)",
                            who, r->rank, rc);
    double nfailed = r->buf[r->n + 1], nended = r->buf[r->n + 2];
    if (nended < r->size) /* the others are evaluating, and now fail */
        return status != CLBFGS_SUCCESS
                   ? status
                   : clbfgs__fail(CLBFGS_ERR_OBJECTIVE,
                                  "%s: the run ended on this rank (%d) while %.0f of %d ranks "
                                  "went on evaluating: the ranks diverged",
                                  who, r->rank, r->size - nended, r->size);
    if (status != CLBFGS_SUCCESS)
        return status;
    if (nfailed > 0)
        return clbfgs__fail(CLBFGS_ERR_OBJECTIVE, "%s: the run failed on %.0f of %d ranks", who,
                            nfailed, r->size);
    /* every rank ended: compare what they ended with. nfev is not compared:
     * each kind counts the values of an evaluation its own way (n + 1 with
     * forward differences, 1 for a rank without data); the largest is the
     * run's. */
    struct field f[] = {
        {"the result's status", FIELD_INT, (uint64_t)(int64_t)result->status},
        {"the result's nit", FIELD_INT, (uint64_t)result->nit},
        {"the result's njev", FIELD_INT, (uint64_t)result->njev},
        {"the result's f", FIELD_REAL, bits(result->fun)},
        {"the result's x", FIELD_HASH, hash_reals(result->x, result->x ? r->n : 0)},
        {"the result's nfev", FIELD_INT, (uint64_t)result->nfev},
    };
    size_t differs;
    clbfgs_status status2 = agree(r->comm, f, sizeof f / sizeof f[0], who, &differs);
    if (differs == sizeof f / sizeof f[0] - 1) { /* nfev alone: it is last */
        uint64_t most = result->nfev;
        MPI_Allreduce(MPI_IN_PLACE, &most, 1, MPI_UINT64_T, MPI_MAX, r->comm);
        result->nfev = (size_t)most;
        return CLBFGS_SUCCESS;
    }
    if (status2 != CLBFGS_SUCCESS) /* devices that round differently drifted apart */
        return clbfgs__fail(CLBFGS_ERR_OBJECTIVE,
                            "%s: the ranks ended with different results (%s): their devices "
                            "round differently, so they evaluated at different points",
                            who, f[differs].name);
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs_mpi_minimize(MPI_Comm comm, clbfgs_context *ctx, clbfgs_objective *objective,
                                  size_t n, const double *x0, const clbfgs_options *options,
                                  clbfgs_result *result, clbfgs_mpi_info *info)
{
    static const char who[] = "clbfgs_mpi_minimize";
    struct mpi_run r;
    memset(&r, 0, sizeof r);
    r.comm = comm;
    r.n = n;
    if (info)
        memset(info, 0, sizeof *info);
    if (result)
        memset(result, 0, sizeof *result);
    if (MPI_Comm_rank(comm, &r.rank) != MPI_SUCCESS || MPI_Comm_size(comm, &r.size) != MPI_SUCCESS)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: comm is not a communicator", who);
    /* whatever goes wrong here is this rank's, and the start's collective
     * tells the others: no rank returns before it */
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_options opts;
    clbfgs_options_init(&opts);
    if (options && options->struct_size != sizeof opts)
        status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                              "%s: options.struct_size is %zu, not this library's %zu "
                              "(fill options with clbfgs_options_init())",
                              who, options->struct_size, sizeof opts);
    else if (options)
        opts = *options;
    if (status == CLBFGS_SUCCESS && (!ctx || !result || !x0 || n == 0))
        status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                              "%s: context, x0 and result must not be NULL, and n must be > 0",
                              who);
    if (status == CLBFGS_SUCCESS && n > (size_t)INT_MAX - 3)
        status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                              "%s: n = %zu: an MPI message counts at most INT_MAX values, and "
                              "the layer sends n + 3",
                              who, n);
    clbfgs_objective *zero = NULL;
    if (status == CLBFGS_SUCCESS && !objective) {
        status = clbfgs_objective_host(&zero, zero_fn, NULL);
        objective = zero;
    }
    if (status == CLBFGS_SUCCESS && !(r.buf = malloc((n + 3) * sizeof *r.buf)))
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s: the reduce buffer (n = %zu)",
                              who, n);
    status = check_start(comm, ctx, n, x0, &opts, status, who);
    if (status != CLBFGS_SUCCESS) {
        clbfgs_objective_free(zero);
        free(r.buf);
        if (result) {
            result->status = (int)status;
            snprintf(result->message, sizeof result->message, "Error: %s: %s",
                     clbfgs_strerror(status), clbfgs_last_error());
        }
        return status;
    }
    if (info) {
        info->rank = r.rank;
        info->size = r.size;
        info->bytes_per_reduce = (n + 3) * sizeof(double);
    }
    status = clbfgs_objective_set_reduce(objective, reduce_fg, &r);
    if (status == CLBFGS_SUCCESS) {
        status = clbfgs_minimize(ctx, objective, n, x0, &opts, result);
        clbfgs_objective_set_reduce(objective, NULL, NULL);
    }
    status = finish(&r, status, result, who);
    if (status != CLBFGS_SUCCESS && result && result->status >= 0) {
        result->status = (int)status;
        result->success = 0;
        snprintf(result->message, sizeof result->message, "Error: %s: %s",
                 clbfgs_strerror(status), clbfgs_last_error());
    }
    if (info) {
        info->reductions = r.reductions;
        info->reduce_seconds = r.seconds;
    }
    clbfgs_objective_free(zero);
    free(r.buf);
    return status;
}

/* ---- a device per rank ---- */

clbfgs_status clbfgs_mpi_context_new(clbfgs_context **context, MPI_Comm comm,
                                     const clbfgs_context_options *options)
{
    static const char who[] = "clbfgs_mpi_context_new";
    MPI_Comm node; /* collective: before anything can return */
    int local = 0, rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) !=
        MPI_SUCCESS)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s: MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) failed", who);
    MPI_Comm_rank(node, &local);
    MPI_Comm_free(&node);
    if (!context)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s: context must not be NULL", who);
    *context = NULL;

    clbfgs_context_options o;
    clbfgs_context_options_init(&o);
    if (options)
        o = *options;
    const char *sel = o.device;
    if (!sel || !*sel)
        sel = getenv("CLBFGS_DEVICE");
    int by_type = !sel || !*sel || !strcasecmp(sel, "gpu") || !strcasecmp(sel, "cpu") ||
                  !strcasecmp(sel, "accelerator");
    char chosen[32];
    if (by_type) {
        clbfgs_device_info *list = NULL;
        size_t count = 0;
        clbfgs_status status = clbfgs_devices(&list, &count);
        if (status != CLBFGS_SUCCESS)
            return status;
        clbfgs_device_type want = CLBFGS_DEVICE_GPU;
        int any = 0;
        if (sel && *sel)
            want = !strcasecmp(sel, "gpu")   ? CLBFGS_DEVICE_GPU
                   : !strcasecmp(sel, "cpu") ? CLBFGS_DEVICE_CPU
                                             : CLBFGS_DEVICE_ACCELERATOR;
        size_t of_type = 0;
        for (size_t i = 0; i < count; i++)
            of_type += list[i].type == want;
        if (of_type == 0 && !(sel && *sel))
            any = 1, of_type = count; /* no GPU: every device */
        if (of_type == 0) {
            clbfgs_devices_free(list);
            return clbfgs__fail(CLBFGS_ERR_DEVICE_NOT_FOUND, "%s: no %s device on rank %d's node",
                                who, sel && *sel ? sel : "OpenCL", rank);
        }
        size_t pick = (size_t)local % of_type, seen = 0;
        for (size_t i = 0; i < count; i++) {
            if (!any && list[i].type != want)
                continue;
            if (seen++ == pick) {
                snprintf(chosen, sizeof chosen, "%u", list[i].index);
                break;
            }
        }
        clbfgs_devices_free(list);
        o.device = chosen;
    } else {
        o.device = sel;
    }
    return clbfgs_context_new(context, &o);
}
