/* clbfgs minimize (and demo, its fixed-problem form): reads the objective and
 * the options, runs the minimization, prints the result. */
#include "cli.h"
#include "data.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef CLI_MPI
#include <clbfgs_mpi.h>
#endif

#define MAX_ARGS 64

/* What to minimize, as the command line gives it. */
struct problem {
    const char *builtin, *cl_file, *kernel, *build_options;
    const char *terms_file, *function; /* --terms FILE --function NAME */
    const char *data[MAX_ARGS];        /* --data and --batch-data FILE, in order */
    int per_problem[MAX_ARGS];         /* data[d] came from --batch-data */
    int ndata, nbatch_data;
    const char *batch_file; /* --batch FILE: the starting points, one per row */
    size_t problems;        /* its rows, P */
    size_t work_size;
    int no_gradient, least_squares;
    double lambda;
    const char *args[MAX_ARGS]; /* --arg TYPE:VALUE, in order */
    int nargs;
    char order[2 * MAX_ARGS]; /* with --terms: 'd' per --data, 'a' per --arg, as given */
    int norder;
    size_t part, parts; /* under mpirun: this rank and the ranks; --data's rows are split */
};

/* The types --arg takes, as its usage errors list them. */
#define ARG_TYPES "real, double, float, int, uint, long, ulong, reals"

/* Sets the extra kernel argument index from "TYPE:VALUE", each integer type
 * read straight into itself, so no value is ever converted out of range, and
 * each scalar given with its type, which the library checks against the
 * kernel's (an int's bits never reach a float). */
static int set_kernel_arg(clbfgs_objective *o, unsigned index, const char *spec,
                          clbfgs_status *status)
{
    const char *colon = strchr(spec, ':');
    if (!colon)
        return cli_usage_error("--arg '%s' must be TYPE:VALUE (" ARG_TYPES ")", spec);
    size_t tlen = (size_t)(colon - spec);
    const char *value = colon + 1;
    char option[80];
    snprintf(option, sizeof option, "--arg %.*s", (int)(tlen < 16 ? tlen : 16), spec);
#define TYPE_IS(t) (tlen == strlen(t) && strncmp(spec, t, tlen) == 0)
    int rc;
    if (TYPE_IS("reals")) {
        double *v = NULL;
        size_t count;
        if ((rc = cli_parse_list(option, value, SIZE_MAX / sizeof(double), &v, &count)) != EXIT_OK)
            return rc;
        if (count == 0)
            return cli_usage_error("--arg '%s' holds no values", spec);
        *status = clbfgs_objective_set_arg_reals(o, index, v, count);
        free(v);
    } else if (TYPE_IS("real") || TYPE_IS("double") || TYPE_IS("float")) {
        double d;
        if ((rc = cli_parse_double(option, value, &d)) != EXIT_OK)
            return rc;
        if (TYPE_IS("real")) {
            *status = clbfgs_objective_set_arg_real(o, index, d);
        } else if (TYPE_IS("double")) {
            *status = clbfgs_objective_set_arg_typed(o, index, "double", sizeof d, &d);
        } else {
            if (isfinite(d) && fabs(d) > (double)FLT_MAX)
                return cli_usage_error("%s: %s is out of the range of a float", option, value);
            float f = (float)d;
            *status = clbfgs_objective_set_arg_typed(o, index, "float", sizeof f, &f);
        }
    } else if (TYPE_IS("int") || TYPE_IS("long")) {
        int wide = TYPE_IS("long");
        int64_t i;
        if ((rc = cli_parse_int64(option, value, wide ? INT64_MIN : INT32_MIN,
                                  wide ? INT64_MAX : INT32_MAX, &i)) != EXIT_OK)
            return rc;
        /* Each conversion only where the parse bounded i to its type. */
        if (wide) {
            cl_long l = (cl_long)i;
            *status = clbfgs_objective_set_arg_typed(o, index, "long", sizeof l, &l);
        } else {
            cl_int s = (cl_int)i;
            *status = clbfgs_objective_set_arg_typed(o, index, "int", sizeof s, &s);
        }
    } else if (TYPE_IS("uint") || TYPE_IS("ulong")) {
        int wide = TYPE_IS("ulong");
        uint64_t u;
        if ((rc = cli_parse_uint64(option, value, wide ? UINT64_MAX : UINT32_MAX, &u)) != EXIT_OK)
            return rc;
        if (wide) {
            cl_ulong l = (cl_ulong)u;
            *status = clbfgs_objective_set_arg_typed(o, index, "ulong", sizeof l, &l);
        } else {
            cl_uint s = (cl_uint)u;
            *status = clbfgs_objective_set_arg_typed(o, index, "uint", sizeof s, &s);
        }
    } else {
        return cli_usage_error("--arg '%s': the type must be real, double, float, int, uint, "
                               "long, ulong or reals",
                               spec);
    }
#undef TYPE_IS
    return EXIT_OK;
}

/* Reads a logistic-regression data file: one example per line, the label
 * (0 or 1) then the n features. */
static int read_dataset(const char *file, size_t n, double **a, double **y, size_t *m)
{
    double *v = NULL;
    size_t count;
    char spec[4096];
    if (snprintf(spec, sizeof spec, "@%s", file) >= (int)sizeof spec)
        return cli_usage_error("--data: the file name is too long");
    int rc = cli_parse_list("--data", spec, SIZE_MAX / sizeof(double), &v, &count);
    if (rc != EXIT_OK)
        return rc;
    if (count == 0 || count % (n + 1) != 0) {
        free(v);
        return cli_input_error("--data: %s holds %zu numbers, not a whole number of lines of a "
                               "label and %zu features (--n)",
                               file, count, n);
    }
    *m = count / (n + 1);
    *a = malloc(*m * n * sizeof **a); /* fewer values than v holds: no overflow */
    *y = malloc(*m * sizeof **y);
    if (!*a || !*y) {
        free(v);
        return cli_out_of_memory("reading the --data file");
    }
    for (size_t i = 0; i < *m; i++) {
        (*y)[i] = v[i * (n + 1)];
        memcpy(*a + i * n, v + i * (n + 1) + 1, n * sizeof **a);
    }
    free(v);
    return EXIT_OK;
}

/* The OpenCL C declaration of a --terms scalar argument "TYPE:VALUE"
 * ("const real"), or NULL for a type set_kernel_arg does not take. */
static const char *terms_arg_type(const char *spec)
{
    static const char *const types[][2] = {
        {"real", "const real"}, {"double", "const double"}, {"float", "const float"},
        {"int", "const int"},   {"uint", "const uint"},     {"long", "const long"},
        {"ulong", "const ulong"}, {"reals", "__global const real *"}};
    const char *colon = strchr(spec, ':');
    for (size_t i = 0; colon && i < sizeof types / sizeof types[0]; i++)
        if ((size_t)(colon - spec) == strlen(types[i][0]) &&
            strncmp(spec, types[i][0], strlen(types[i][0])) == 0)
            return types[i][1];
    return NULL;
}

/* A term objective from --terms FILE --function NAME: its data arguments
 * are the --data and --batch-data files (each a `__global const real *`,
 * its table row-major) and the --arg values, in the order given. m is the
 * first --data file's rows, and every --data file must have as many; a
 * --batch-data file has one row per problem (P, the --batch file's rows),
 * and each problem's function sees its own row. With no --data, m is the
 * first --batch-data file's row length: each problem's own items. */
static int make_terms(const struct problem *pb, clbfgs_objective **objective)
{
    cli_table tables[MAX_ARGS];
    memset(tables, 0, sizeof tables);
    size_t total[MAX_ARGS] = {0};
    char *source = NULL, *name = NULL, decl[2 * MAX_ARGS * 40] = "";
    clbfgs_status status = CLBFGS_SUCCESS;
    int rc = EXIT_OK, shared = -1; /* the first --data file's index */
    for (int k = 0, d = 0, a = 0; k < pb->norder && rc == EXIT_OK; k++) {
        size_t used = strlen(decl);
        if (pb->order[k] == 'a') {
            const char *type = terms_arg_type(pb->args[a]);
            if (!type)
                rc = cli_usage_error("--arg '%s' must be TYPE:VALUE (" ARG_TYPES ")",
                                     pb->args[a]);
            else
                snprintf(decl + used, sizeof decl - used, "%s%s%sarg%d", k ? ", " : "", type,
                         type[strlen(type) - 1] == '*' ? "" : " ", a);
            a++;
            continue;
        }
        if (pb->per_problem[d]) {
            rc = cli_read_table("--batch-data", pb->data[d], CLI_MAX_DATA_BYTES, &tables[d]);
            if (rc == EXIT_OK && tables[d].rows != pb->problems)
                rc = cli_input_error("--batch-data: '%s' has %zu rows, but --batch '%s' has %zu "
                                     "problems: a --batch-data file holds one row per problem",
                                     pb->data[d], tables[d].rows, pb->batch_file, pb->problems);
        } else {
            rc = cli_read_table_part("--data", pb->data[d], CLI_MAX_DATA_BYTES, pb->part,
                                     pb->parts, &tables[d], &total[d]);
            if (shared < 0)
                shared = d;
            if (rc == EXIT_OK && total[d] != total[shared])
                rc = cli_input_error("--data: '%s' has %zu rows, but '%s' has %zu: every data "
                                     "file holds one row per data item",
                                     pb->data[d], total[d], pb->data[shared], total[shared]);
        }
        snprintf(decl + used, sizeof decl - used, "%s__global const real *data%d", k ? ", " : "",
                 d);
        d++;
    }
    if (rc == EXIT_OK && pb->ndata == 0)
        rc = cli_usage_error("--terms %s needs its data: --data FILE (.npy or CSV), once per "
                             "data array of the function",
                             pb->terms_file);
    if (rc == EXIT_OK && shared >= 0 && tables[shared].rows == 0)
        goto done; /* under mpirun, a rank with no rows: no objective, it adds 0 */
    if (rc == EXIT_OK)
        rc = cli_read_file("--terms", pb->terms_file, CLI_MAX_FILE_BYTES, &source);
    if (rc == EXIT_OK && !(name = cli_path_with_dir(pb->terms_file)))
        rc = cli_out_of_memory("reading an OpenCL file");
    if (rc == EXIT_OK) {
        clbfgs_terms_options to;
        clbfgs_terms_options_init(&to);
        to.name = name;
        to.args = decl;
        to.gradient = !pb->no_gradient;
        to.least_squares = pb->least_squares;
        to.build_options = pb->build_options;
        size_t m = shared >= 0 ? tables[shared].rows : tables[0].cols;
        status = clbfgs_objective_terms(objective, source, pb->function, m, &to);
        for (int k = 0, d = 0, a = 0; k < pb->norder && status == CLBFGS_SUCCESS && rc == EXIT_OK;
             k++) {
            if (pb->order[k] == 'a') {
                rc = set_kernel_arg(*objective, (unsigned)k, pb->args[a++], &status);
            } else {
                status = clbfgs_objective_set_arg_reals(*objective, (unsigned)k, tables[d].values,
                                                        tables[d].rows * tables[d].cols);
                /* P blocks of a row each: problem p's function sees row p. */
                if (status == CLBFGS_SUCCESS && pb->per_problem[d])
                    status = clbfgs_objective_set_arg_per_problem(*objective, (unsigned)k,
                                                                  tables[d].cols);
                d++;
            }
        }
        if (rc == EXIT_OK && status != CLBFGS_SUCCESS)
            rc = cli_library_error(status);
    }
done:
    for (int k = 0; k < pb->ndata; k++)
        cli_table_free(&tables[k]);
    free(source);
    free(name);
    return rc;
}

static int make_objective(const struct problem *pb, clbfgs_context *ctx, size_t n,
                          clbfgs_precision precision, clbfgs_objective **objective)
{
    clbfgs_status status;
    if (pb->builtin && strcmp(pb->builtin, "logistic") == 0) {
        if (pb->ndata != 1)
            return cli_usage_error("--builtin logistic needs one --data FILE (lines of: label "
                                   "x_1 .. x_n)");
        double *a = NULL, *y = NULL;
        size_t m = 0;
        int rc = read_dataset(pb->data[0], n, &a, &y, &m);
        status = rc == EXIT_OK
                     ? clbfgs_objective_logistic(objective, ctx, m, n, a, y, pb->lambda, precision)
                     : CLBFGS_SUCCESS;
        free(a);
        free(y);
        if (rc != EXIT_OK)
            return rc;
        return status == CLBFGS_SUCCESS ? EXIT_OK : cli_library_error(status);
    }
    if (pb->builtin) {
        status = clbfgs_objective_builtin(objective, pb->builtin);
        return status == CLBFGS_SUCCESS ? EXIT_OK : cli_library_error(status);
    }
    if (pb->terms_file)
        return make_terms(pb, objective);
    char *source;
    /* The library starts the source at #line 1 "NAME" itself. */
    int rc = cli_read_file("--cl", pb->cl_file, CLI_MAX_FILE_BYTES, &source);
    if (rc != EXIT_OK)
        return rc;
    /* The library searches the directory part of the name for #include
     * files; a bare file name is in the working directory. */
    char *name = cli_path_with_dir(pb->cl_file);
    if (!name) {
        free(source);
        return cli_out_of_memory("reading an OpenCL file");
    }
    clbfgs_source_options so;
    clbfgs_source_options_init(&so);
    so.name = name;
    so.build_options = pb->build_options;
    so.gradient = !pb->no_gradient;
    so.work_size = pb->work_size;
    status = clbfgs_objective_source(objective, source, pb->kernel, &so);
    free(source);
    free(name);
    unsigned first = so.gradient ? 4 : 3;
    for (int k = 0; k < pb->nargs && status == CLBFGS_SUCCESS; k++) {
        rc = set_kernel_arg(*objective, first + (unsigned)k, pb->args[k], &status);
        if (rc != EXIT_OK)
            return rc;
    }
    return status == CLBFGS_SUCCESS ? EXIT_OK : cli_library_error(status);
}

/* The exit status of a run that returned status with result. */
static int run_exit(clbfgs_status status, const clbfgs_result *result)
{
    if (status != CLBFGS_SUCCESS)
        return cli_library_error(status);
    return result->success ? EXIT_OK : EXIT_NOT_CONVERGED;
}

#ifdef CLI_MPI
static int print_iterate(void *user, const clbfgs_iterate *it);

static int silent_iterate(void *user, const clbfgs_iterate *it)
{
    (void)user, (void)it;
    return 0;
}

/* Whether an MPI launcher started this process (Open MPI, MPICH's Hydra,
 * PMIx, Slurm's srun with PMI): then minimize runs across the ranks. A
 * plain run never initialises MPI. */
static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                       "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

/* The ranks' exit codes after a step every rank takes: the largest, so that
 * a rank whose step failed stops them all before the next collective. */
static int agree_rc(int rc)
{
    int worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (worst != EXIT_OK && rc == EXIT_OK)
        fprintf(stderr, "clbfgs: error: another MPI rank failed (its message says why)\n");
    return worst;
}

/* minimize under mpirun: the --terms objective's --data rows split across
 * the ranks, a device per rank, one MPI_Allreduce per evaluation; rank 0
 * prints. */
static int run_mpi(struct problem *pb, clbfgs_context_options *copts, size_t n, const double *x0,
                   clbfgs_options *opts, const char *problem, int verbose, int json)
{
    int rank = 0, size = 1, rc = EXIT_OK;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (!pb->terms_file || pb->batch_file)
        return cli_usage_error(
            "minimize under mpirun (%d ranks) runs a --terms objective, whose --data rows are "
            "split across the ranks; %s",
            size, pb->batch_file ? "--batch is not distributed" : "this objective holds no data to split");
    pb->part = (size_t)rank;
    pb->parts = (size_t)size;
    clbfgs_objective *objective = NULL;
    clbfgs_context *ctx = NULL;
    clbfgs_result result;
    memset(&result, 0, sizeof result);
    clbfgs_mpi_info info;
    clbfgs_status status = clbfgs_mpi_context_new(&ctx, MPI_COMM_WORLD, copts);
    if (status != CLBFGS_SUCCESS)
        rc = cli_library_error(status);
    if (rc == EXIT_OK)
        rc = make_objective(pb, ctx, n, opts->precision, &objective);
    rc = agree_rc(rc);
    if (rc == EXIT_OK) {
        if (verbose) {
            FILE *table = json ? stderr : stdout;
            opts->callback = rank == 0 ? print_iterate : silent_iterate;
            opts->callback_user = table;
            if (rank == 0)
                fprintf(table, "%6s  %23s  %12s  %12s  %6s\n", "k", "f", "|g|", "step", "nfev");
        }
        status = clbfgs_mpi_minimize(MPI_COMM_WORLD, ctx, objective, n, x0, opts, &result, &info);
        if (rank == 0 && result.x) {
            clbfgs_device_info dev;
            clbfgs_context_device(ctx, &dev);
            cli_print_result(stdout, &result, &dev, problem, json);
            if (!json)
                printf("ranks: %d, one MPI_Allreduce of %zu bytes per evaluation, %.6f s in "
                       "them on rank 0\n",
                       size, info.bytes_per_reduce, info.reduce_seconds);
        }
        rc = run_exit(status, &result);
    }
    clbfgs_result_free(&result);
    clbfgs_objective_free(objective);
    clbfgs_context_free(ctx);
    return rc;
}
#endif

/* With --json, the iteration lines go to stderr so stdout holds one object. */
static int print_iterate(void *user, const clbfgs_iterate *it)
{
    FILE *out = user;
    fprintf(out, "%6zu  %23.16e  %12.6e  %12.6e  %6zu\n", it->k, it->f, it->gnorm, it->step,
            it->nfev);
    /* Output nobody can read is no reason to go on: stop the run (status 99),
     * and the exit check reports the write error. */
    return fflush(out) != 0 || ferror(out);
}

/* Minimizes the --batch file's P problems in one run and prints a JSON record
 * per problem, or the summary; 0 when every problem converged. */
static int run_batch(clbfgs_context *ctx, clbfgs_objective *objective, size_t n,
                     const cli_table *starts, const clbfgs_options *opts, const char *problem,
                     int summary, int json)
{
    clbfgs_batch_result result;
    memset(&result, 0, sizeof result);
    clbfgs_status status =
        clbfgs_minimize_batch(ctx, objective, n, starts->rows, starts->values, opts, &result);
    int rc;
    if (status != CLBFGS_SUCCESS) {
        /* An error leaves no results to print. */
        rc = cli_library_error(status);
    } else if (summary) {
        clbfgs_device_info dev;
        clbfgs_context_device(ctx, &dev);
        rc = cli_print_batch_summary(stdout, &result, &dev, problem, json);
    } else {
        cli_print_batch_records(stdout, &result);
        rc = EXIT_OK;
    }
    if (rc == EXIT_OK)
        rc = result.converged == result.P ? EXIT_OK : EXIT_NOT_CONVERGED;
    clbfgs_batch_result_free(&result);
    return rc;
}

int cli_minimize(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"verbose", no_argument, NULL, CLI_OPT_VERBOSE},
        {"profile", no_argument, NULL, CLI_OPT_PROFILE},
        {"no-gradient", no_argument, NULL, CLI_OPT_NO_GRADIENT},
        {"builtin", required_argument, NULL, CLI_OPT_BUILTIN},
        {"cl", required_argument, NULL, CLI_OPT_CL},
        {"kernel", required_argument, NULL, CLI_OPT_KERNEL},
        {"options", required_argument, NULL, CLI_OPT_OPTIONS},
        {"data", required_argument, NULL, CLI_OPT_DATA},
        {"terms", required_argument, NULL, CLI_OPT_TERMS},
        {"function", required_argument, NULL, CLI_OPT_FUNCTION},
        {"least-squares", no_argument, NULL, CLI_OPT_LEAST_SQUARES},
        {"arg", required_argument, NULL, CLI_OPT_ARG},
        {"work-size", required_argument, NULL, CLI_OPT_WORK_SIZE},
        {"n", required_argument, NULL, CLI_OPT_N},
        {"x0", required_argument, NULL, CLI_OPT_X0},
        {"hess-inv0", required_argument, NULL, CLI_OPT_HESS_INV0},
        {"fill", required_argument, NULL, CLI_OPT_FILL},
        {"device", required_argument, NULL, CLI_OPT_DEVICE},
        {"precision", required_argument, NULL, CLI_OPT_PRECISION},
        {"maxiter", required_argument, NULL, CLI_OPT_MAXITER},
        {"gtol", required_argument, NULL, CLI_OPT_GTOL},
        {"norm", required_argument, NULL, CLI_OPT_NORM},
        {"xrtol", required_argument, NULL, CLI_OPT_XRTOL},
        {"c1", required_argument, NULL, CLI_OPT_C1},
        {"c2", required_argument, NULL, CLI_OPT_C2},
        {"eps", required_argument, NULL, CLI_OPT_EPS},
        {"lambda", required_argument, NULL, CLI_OPT_LAMBDA},
        {"batch", required_argument, NULL, CLI_OPT_BATCH},
        {"batch-data", required_argument, NULL, CLI_OPT_BATCH_DATA},
        {"summary", no_argument, NULL, CLI_OPT_SUMMARY},
        {"single-kernel", required_argument, NULL, CLI_OPT_SINGLE_KERNEL},
        {"method", required_argument, NULL, CLI_OPT_METHOD},
        {"m", required_argument, NULL, CLI_OPT_M},
        {"bounds", required_argument, NULL, CLI_OPT_BOUNDS},
        {"ftol", required_argument, NULL, CLI_OPT_FTOL},
        {"maxfun", required_argument, NULL, CLI_OPT_MAXFUN},
        {"maxls", required_argument, NULL, CLI_OPT_MAXLS},
        {NULL, 0, NULL, 0}};
    return cli_minimize_with(argc, argv, options, 0);
}

int cli_minimize_with(int argc, char **argv, const struct option *options, int demo)
{
    const char *x0_spec = NULL, *hess_spec = NULL, *bounds_spec = NULL;
    const char *lbfgsb_option = NULL; /* the first option only L-BFGS-B takes */
    struct problem pb;
    memset(&pb, 0, sizeof pb);
    pb.builtin = demo ? "rosen" : NULL;
    pb.lambda = 1.0;
    pb.parts = 1;
    size_t n = demo ? 100 : 0;
    double fill = (double)NAN;
    int json = 0, verbose = 0, summary = 0, rc = EXIT_OK;
    clbfgs_options opts;
    clbfgs_options_init(&opts);
    clbfgs_context_options copts;
    clbfgs_context_options_init(&copts);
    copts.log = cli_log;
    copts.log_level = CLBFGS_LOG_WARNING;
    cli_args args;
    cli_args_init(&args, argc, argv, options);
    const char *v;
    for (int c; rc == EXIT_OK && (c = cli_args_next(&args, &v)) != CLI_END;) {
        switch (c) {
        case CLI_ERROR: return EXIT_USAGE;
        case CLI_POSITIONAL: return cli_usage_error("%s: unexpected argument '%s'", argv[0], v);
        case CLI_OPT_JSON: json = 1; break;
        case CLI_OPT_VERBOSE: verbose = 1; break;
        case CLI_OPT_PROFILE:
            copts.profile = 1;
            opts.single_kernel = -1; /* the phases are the host-driven iterations' */
            break;
        case CLI_OPT_SINGLE_KERNEL:
            if (!strcmp(v, "auto"))
                opts.single_kernel = 0;
            else if (!strcmp(v, "never"))
                opts.single_kernel = -1;
            else if (!strcmp(v, "always"))
                opts.single_kernel = 1;
            else
                rc = cli_usage_error("--single-kernel must be auto, never or always, not '%s'", v);
            break;
        case CLI_OPT_NO_GRADIENT: pb.no_gradient = 1; break;
        case CLI_OPT_BUILTIN: pb.builtin = v; break;
        case CLI_OPT_CL: pb.cl_file = v; break;
        case CLI_OPT_KERNEL: pb.kernel = v; break;
        case CLI_OPT_OPTIONS: pb.build_options = v; break;
        case CLI_OPT_DATA:
        case CLI_OPT_BATCH_DATA:
            if (pb.ndata == MAX_ARGS)
                rc = cli_usage_error("--data and --batch-data: at most %d files", MAX_ARGS);
            else {
                pb.order[pb.norder++] = 'd';
                pb.per_problem[pb.ndata] = c == CLI_OPT_BATCH_DATA;
                pb.nbatch_data += c == CLI_OPT_BATCH_DATA;
                pb.data[pb.ndata++] = v;
            }
            break;
        case CLI_OPT_BATCH: pb.batch_file = v; break;
        case CLI_OPT_SUMMARY: summary = 1; break;
        case CLI_OPT_TERMS: pb.terms_file = v; break;
        case CLI_OPT_FUNCTION: pb.function = v; break;
        case CLI_OPT_LEAST_SQUARES: pb.least_squares = 1; break;
        case CLI_OPT_ARG:
            if (pb.nargs == MAX_ARGS)
                return cli_usage_error("at most %d --arg", MAX_ARGS);
            pb.order[pb.norder++] = 'a';
            pb.args[pb.nargs++] = v;
            break;
        case CLI_OPT_WORK_SIZE:
            rc = cli_parse_size("--work-size", v, 1, UINT32_MAX, &pb.work_size);
            break;
        case CLI_OPT_N: rc = cli_parse_size("--n", v, 1, CLI_MAX_N, &n); break;
        case CLI_OPT_X0: x0_spec = v; break;
        case CLI_OPT_HESS_INV0: hess_spec = v; break;
        case CLI_OPT_FILL: rc = cli_parse_finite("--fill", v, &fill); break;
        case CLI_OPT_DEVICE: copts.device = v; break;
        case CLI_OPT_PRECISION: rc = cli_parse_precision("--precision", v, &opts.precision); break;
        case CLI_OPT_MAXITER:
            rc = cli_parse_size("--maxiter", v, 1, SIZE_MAX, &opts.maxiter);
            break;
        case CLI_OPT_GTOL: rc = cli_parse_finite("--gtol", v, &opts.gtol); break;
        case CLI_OPT_NORM: rc = cli_parse_double("--norm", v, &opts.norm); break;
        case CLI_OPT_XRTOL: rc = cli_parse_finite("--xrtol", v, &opts.xrtol); break;
        case CLI_OPT_C1: rc = cli_parse_finite("--c1", v, &opts.c1); break;
        case CLI_OPT_C2: rc = cli_parse_finite("--c2", v, &opts.c2); break;
        case CLI_OPT_EPS: rc = cli_parse_finite("--eps", v, &opts.eps); break;
        case CLI_OPT_LAMBDA: rc = cli_parse_finite("--lambda", v, &pb.lambda); break;
        case CLI_OPT_METHOD:
            if (!strcmp(v, "bfgs"))
                opts.method = CLBFGS_METHOD_BFGS;
            else if (!strcmp(v, "lbfgsb"))
                opts.method = CLBFGS_METHOD_LBFGSB;
            else
                rc = cli_usage_error("--method must be bfgs or lbfgsb (L-BFGS-B), not '%s'", v);
            break;
        case CLI_OPT_M:
            rc = cli_parse_size("--m", v, 1, SIZE_MAX, &opts.m);
            lbfgsb_option = lbfgsb_option ? lbfgsb_option : "--m";
            break;
        case CLI_OPT_BOUNDS:
            bounds_spec = v; /* read once n is known */
            lbfgsb_option = lbfgsb_option ? lbfgsb_option : "--bounds";
            break;
        case CLI_OPT_FTOL:
            rc = cli_parse_finite("--ftol", v, &opts.ftol);
            lbfgsb_option = lbfgsb_option ? lbfgsb_option : "--ftol";
            break;
        case CLI_OPT_MAXFUN:
            rc = cli_parse_size("--maxfun", v, 1, SIZE_MAX, &opts.maxfun);
            lbfgsb_option = lbfgsb_option ? lbfgsb_option : "--maxfun";
            break;
        case CLI_OPT_MAXLS: {
            size_t maxls;
            rc = cli_parse_size("--maxls", v, 1, INT_MAX, &maxls);
            opts.maxls = (int)maxls; /* at most INT_MAX */
            lbfgsb_option = lbfgsb_option ? lbfgsb_option : "--maxls";
            break;
        }
        }
    }
    if (rc != EXIT_OK)
        return rc;
    /* Said here, not left to a run that would ignore them. */
    if (lbfgsb_option && opts.method != CLBFGS_METHOD_LBFGSB)
        return cli_usage_error("minimize: %s needs --method lbfgsb (--bounds, --m, --ftol, "
                               "--maxfun and --maxls are L-BFGS-B's)",
                               lbfgsb_option);
    /* The library logs at INFO what L-BFGS-B did to the input (x0 projected
     * onto the bounds): --verbose shows it. */
    if (verbose && opts.method == CLBFGS_METHOD_LBFGSB)
        copts.log_level = CLBFGS_LOG_INFO;
    if (!pb.builtin && !pb.cl_file && !pb.terms_file)
        return cli_usage_error("minimize: which objective? --builtin NAME, --cl FILE --kernel "
                               "NAME, or --terms FILE --function NAME");
    if (!!pb.builtin + !!pb.cl_file + !!pb.terms_file > 1)
        return cli_usage_error("minimize: --builtin, --cl and --terms are alternatives; give one");
    if (pb.terms_file && !pb.function)
        return cli_usage_error("minimize: --terms %s needs --function NAME", pb.terms_file);
    if (pb.function && !pb.terms_file)
        return cli_usage_error("minimize: --function goes with --terms");
    if (pb.least_squares && !pb.terms_file)
        return cli_usage_error("minimize: --least-squares goes with --terms");
    if (pb.terms_file && (pb.kernel || pb.work_size))
        return cli_usage_error("minimize: --kernel and --work-size go with --cl, not --terms");
    if (pb.cl_file && !pb.kernel)
        return cli_usage_error("minimize: --cl %s needs --kernel NAME", pb.cl_file);
    if (pb.builtin && (pb.kernel || pb.nargs || pb.work_size || pb.no_gradient || pb.build_options))
        return cli_usage_error("minimize: --kernel, --arg, --work-size, --no-gradient and "
                               "--options go with --cl, not --builtin");
    if (pb.nbatch_data && !pb.batch_file)
        return cli_usage_error("minimize: --batch-data goes with --batch FILE");
    if (pb.nbatch_data && !pb.terms_file)
        return cli_usage_error("minimize: --batch-data goes with --terms (the data arguments of "
                               "its function)");
    if (pb.ndata && !pb.terms_file && !(pb.builtin && strcmp(pb.builtin, "logistic") == 0))
        return cli_usage_error("minimize: --data goes with --terms or --builtin logistic");
    if (summary && !pb.batch_file)
        return cli_usage_error("minimize: --summary goes with --batch FILE");
    if (pb.batch_file) {
        /* The library would refuse these too; here the message says why. */
        if (x0_spec || !isnan(fill))
            return cli_usage_error("minimize: --batch holds the starting points; --x0 and --fill "
                                   "go without it");
        if (pb.cl_file)
            return cli_usage_error("minimize: --batch takes a function the library compiles "
                                   "in: --terms, or --builtin rosen, ext-rosenbrock or "
                                   "quadratic; not --cl");
        if (hess_spec)
            return cli_usage_error("minimize: --hess-inv0 does not go with --batch");
        if (opts.method == CLBFGS_METHOD_LBFGSB)
            return cli_usage_error("minimize: --batch runs BFGS; --method lbfgsb takes one "
                                   "problem at a time (--x0 or --n)");
        if (copts.profile)
            return cli_usage_error("minimize: --profile times the phases of one run; with --batch "
                                   "there are none (--summary gives the times)");
        /* No per-iteration callback in a batch: --verbose is the library's log
         * instead, which says where each H is kept and why. */
        if (verbose)
            copts.log_level = CLBFGS_LOG_INFO;
    }
    if (x0_spec && !isnan(fill))
        return cli_usage_error("minimize: --x0 and --fill are alternatives; give one");
    double *x0 = NULL, *hess_inv0 = NULL;
    cli_table starts;
    memset(&starts, 0, sizeof starts);
    if (pb.batch_file) {
        if ((rc = cli_read_table("--batch", pb.batch_file, CLI_MAX_DATA_BYTES, &starts)) != EXIT_OK)
            return rc;
        size_t cols = starts.cols;
        if (cols > CLI_MAX_N || (n && cols != n)) {
            cli_table_free(&starts);
            if (n)
                return cli_input_error("--batch: '%s' has rows of %zu values, but --n is %zu",
                                       pb.batch_file, cols, n);
            return cli_input_error("--batch: '%s' has rows of %zu values; n is at most %zu",
                                   pb.batch_file, cols, CLI_MAX_N);
        }
        n = starts.cols;
        pb.problems = starts.rows;
    } else if (x0_spec) {
        size_t count;
        if ((rc = cli_parse_list("--x0", x0_spec, n ? n : CLI_MAX_N, &x0, &count)) != EXIT_OK)
            return rc;
        if (count == 0)
            return cli_usage_error("--x0 holds no values");
        if (n && count != n) {
            free(x0);
            return cli_usage_error("--x0 has %zu values but --n is %zu", count, n);
        }
        n = count;
    } else {
        if (n == 0)
            return cli_usage_error("minimize: give --n or --x0");
        static const double start[] = {1.3, 0.7, 0.8, 1.9, 1.2};
        x0 = malloc(n * sizeof *x0); /* n <= CLI_MAX_N: no overflow */
        if (!x0)
            return cli_out_of_memory("for the starting point");
        for (size_t i = 0; i < n; i++)
            x0[i] = isnan(fill) ? start[i % 5] : fill;
    }
    if (hess_spec) {
        size_t count, nn = n <= SIZE_MAX / n ? n * n : SIZE_MAX; /* a 32-bit size_t */
        rc = cli_parse_list("--hess-inv0", hess_spec, nn, &hess_inv0, &count);
        if (rc == EXIT_OK && count != nn)
            rc = cli_usage_error("--hess-inv0 has %zu values; n = %zu needs n x n = %zu", count, n,
                                 nn);
        if (rc != EXIT_OK) {
            free(hess_inv0);
            free(x0);
            return rc;
        }
        opts.hess_inv0 = hess_inv0;
    }
    double *lower = NULL, *upper = NULL;
    if (bounds_spec) {
        if ((rc = cli_parse_bounds(bounds_spec, n, &lower, &upper)) != EXIT_OK) {
            free(hess_inv0);
            free(x0);
            cli_table_free(&starts);
            return rc;
        }
        opts.lower = lower;
        opts.upper = upper;
    }
    char problem[512];
    if (pb.builtin)
        snprintf(problem, sizeof problem, "%s", pb.builtin);
    else if (pb.terms_file)
        snprintf(problem, sizeof problem, "%s:%s", pb.terms_file, pb.function);
    else
        snprintf(problem, sizeof problem, "%s:%s", pb.cl_file, pb.kernel);
#ifdef CLI_MPI
    /* under mpirun with more than one rank; one rank is a plain run */
    int ranks = 1, initialised = 0;
    if (!demo && launched_by_mpi()) {
        MPI_Initialized(&initialised);
        if (!initialised && MPI_Init(NULL, NULL) != MPI_SUCCESS)
            rc = cli_usage_error("minimize: started by an MPI launcher, but MPI_Init failed");
        else
            MPI_Comm_size(MPI_COMM_WORLD, &ranks);
        if (rc == EXIT_OK && ranks > 1)
            rc = run_mpi(&pb, &copts, n, x0, &opts, problem, verbose, json);
        if (rc == EXIT_OK && ranks == 1 && !initialised)
            MPI_Finalize();
    }
    if (rc != EXIT_OK || ranks > 1) {
        if (ranks > 1 && !initialised)
            MPI_Finalize();
        cli_table_free(&starts);
        free(x0);
        free(hess_inv0);
        free(lower);
        free(upper);
        return rc;
    }
#endif
    clbfgs_objective *objective = NULL;
    clbfgs_context *ctx = NULL;
    clbfgs_result result;
    memset(&result, 0, sizeof result);
    clbfgs_status status = clbfgs_context_new(&ctx, &copts);
    if (status != CLBFGS_SUCCESS)
        rc = cli_library_error(status);
    if (rc == EXIT_OK)
        rc = make_objective(&pb, ctx, n, opts.precision, &objective);
    if (rc == EXIT_OK && pb.batch_file) {
        rc = run_batch(ctx, objective, n, &starts, &opts, problem, summary, json);
    } else if (rc == EXIT_OK) {
        if (verbose) {
            FILE *table = json ? stderr : stdout;
            opts.callback = print_iterate;
            opts.callback_user = table;
            fprintf(table, "%6s  %23s  %12s  %12s  %6s\n", "k", "f", "|g|", "step", "nfev");
        }
        status = clbfgs_minimize(ctx, objective, n, x0, &opts, &result);
        /* A run that failed midway still has its best point, counts and a
         * negative status: print them (with --json, stdout stays one object). */
        if (result.x) {
            clbfgs_device_info dev;
            clbfgs_context_device(ctx, &dev);
            cli_print_result(stdout, &result, &dev, problem, json);
        }
        rc = run_exit(status, &result);
    }
    clbfgs_result_free(&result);
    clbfgs_objective_free(objective);
    clbfgs_context_free(ctx);
    cli_table_free(&starts);
    free(x0);
    free(hess_inv0);
    free(lower);
    free(upper);
    return rc;
}
