/* clbfgs: the command-line front end of the library.
 *
 * Exit status: 0 success (converged), 1 stopped without converging,
 * 2 bad usage or input, 3 device or compile error. */
#include "clbfgs.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_NOT_CONVERGED = 1, EXIT_USAGE = 2, EXIT_DEVICE = 3 };

static const char usage_text[] =
    "usage: clbfgs COMMAND [OPTIONS]\n"
    "\n"
    "BFGS minimization on any OpenCL device.\n"
    "\n"
    "Commands:\n"
    "  devices [--json]      list every OpenCL device with what a choice needs:\n"
    "                        index, platform:device, type, name, OpenCL version,\n"
    "                        fp64, global memory, largest allocation, compute units\n"
    "  build FILE.cl [--precision double|float|auto] [--device SEL] [--options STR]\n"
    "        [--verbose]\n"
    "                        compile an OpenCL file with the library's preamble\n"
    "                        (`real` defined) and print the build log on failure;\n"
    "                        --verbose reports the program cache's hits and misses\n"
    "  minimize OBJECTIVE --n N [options]\n"
    "                        minimize an objective, one of:\n"
    "    --builtin NAME      rosen (SciPy's rosen), ext-rosenbrock (n even),\n"
    "                        quadratic, or logistic with --data FILE (one example\n"
    "                        per line: label 0 or 1, then n features) [--lambda L (1)]\n"
    "    --cl FILE --kernel NAME\n"
    "                        a kernel of an OpenCL file, written to the contract\n"
    "                        (n, x, f_terms, g, extra arguments...; see the README)\n"
    "      --arg TYPE:VALUE  the next extra kernel argument; TYPE is real (double\n"
    "                        or float as the run is), double, float, int, uint,\n"
    "                        long or ulong; or reals:LIST|@FILE, values for a\n"
    "                        `__global const real *`; repeat in the kernel's order\n"
    "      --work-size W     work-items (f terms) per problem (default n)\n"
    "      --no-gradient     the kernel computes f only (no g argument); the\n"
    "                        gradient comes from forward differences on the device\n"
    "      --options STR     extra OpenCL build options (-D...)\n"
    "  demo [--n N] [--device SEL]\n"
    "                        minimize SciPy's rosen (n = 100 unless given) and\n"
    "                        show the result\n"
    "  help                  this text\n"
    "  version               the library's version\n"
    "\n"
    "minimize options (SciPy's names and defaults):\n"
    "  --x0 LIST|@FILE       starting point: comma-separated values, or a file of\n"
    "                        whitespace-separated values (n of them)\n"
    "  --fill V              starting point with every value V (default: SciPy's\n"
    "                        tutorial start 1.3,0.7,0.8,1.9,1.2 repeated)\n"
    "  --gtol G (1e-5)  --norm inf|-inf|P (inf)  --maxiter K (200 n)  --xrtol R (0)\n"
    "  --c1 C (1e-4)  --c2 C (0.9)  --precision double|float|auto (auto)\n"
    "  --eps E               forward-difference step (sqrt of machine epsilon)\n"
    "  --hess-inv0 LIST|@FILE  starting inverse Hessian, n x n row-major values,\n"
    "                        symmetric positive definite (default the identity)\n"
    "  --device SEL  --json (one JSON object: result, device, timings)\n"
    "  --verbose (one line per iteration: k, f, gradient norm, step, evaluations)\n"
    "  --profile             time the device's work by phase (objective, H pass,\n"
    "                        other kernels, transfers) with OpenCL profiling\n"
    "\n"
    "Device selection (--device, else CLBFGS_DEVICE, else the first GPU, else the\n"
    "first device): an index (0), platform:device (1:0), a type (gpu, cpu,\n"
    "accelerator) or part of a name, vendor or platform name (pocl, NVIDIA).\n"
    "\n"
    "Environment:\n"
    "  CLBFGS_DEVICE         default device selector\n"
    "  CLBFGS_CACHE_DIR      program cache directory ('off' disables it);\n"
    "                        default $XDG_CACHE_HOME/clbfgs or ~/.cache/clbfgs\n"
    "  CLBFGS_BUILD_OPTIONS  extra OpenCL build options for every kernel\n"
    "\n"
    "Exit status: 0 success, 1 stopped without converging, 2 bad usage or input,\n"
    "3 device or compile error.\n";

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clbfgs: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'clbfgs help'.\n");
    va_end(ap);
    return EXIT_USAGE;
}

static int library_error(clbfgs_status status)
{
    fprintf(stderr, "clbfgs: %s: %s\n", clbfgs_strerror(status), clbfgs_last_error());
    switch (status) {
    case CLBFGS_ERR_INVALID_ARGUMENT:
        return EXIT_USAGE;
    default:
        return EXIT_DEVICE;
    }
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_bytes(char *out, size_t size, uint64_t bytes)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(out, size, "%.1f %s", v, units[u]);
}

static int cmd_devices(int argc, char **argv)
{
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            return usage_error("devices: unknown option '%s'", argv[i]);
    }
    clbfgs_device_info *list = NULL;
    size_t count = 0;
    clbfgs_status status = clbfgs_devices(&list, &count);
    if (status != CLBFGS_SUCCESS)
        return library_error(status);
    if (json) {
        printf("[");
        for (size_t i = 0; i < count; i++) {
            const clbfgs_device_info *d = &list[i];
            printf("%s\n  {\"index\": %u, \"platform_index\": %u, \"device_index\": %u, \"type\": ",
                   i ? "," : "", d->index, d->platform_index, d->device_index);
            json_string(clbfgs_device_type_name(d->type));
            printf(", \"name\": ");
            json_string(d->name);
            printf(", \"vendor\": ");
            json_string(d->vendor);
            printf(", \"platform\": ");
            json_string(d->platform_name);
            printf(", \"opencl_version\": ");
            json_string(d->opencl_version);
            printf(", \"driver_version\": ");
            json_string(d->driver_version);
            printf(", \"fp64\": %s, \"global_mem_bytes\": %llu, \"max_alloc_bytes\": %llu, "
                   "\"compute_units\": %u}",
                   d->has_fp64 ? "true" : "false", (unsigned long long)d->global_mem_bytes,
                   (unsigned long long)d->max_alloc_bytes, d->compute_units);
        }
        printf("\n]\n");
    } else {
        printf("%-3s %-5s %-5s %-40s %-6s %-4s %-10s %-10s %s\n", "#", "P:D", "type", "name",
               "OpenCL", "fp64", "memory", "max alloc", "CUs");
        for (size_t i = 0; i < count; i++) {
            const clbfgs_device_info *d = &list[i];
            char pd[24], mem[32], alloc[32], version[16] = "?";
            /* "OpenCL 3.0 vendor-specific..." -> "3.0"; the full string is below. */
            sscanf(d->opencl_version, "OpenCL %15s", version);
            snprintf(pd, sizeof pd, "%u:%u", d->platform_index, d->device_index);
            print_bytes(mem, sizeof mem, d->global_mem_bytes);
            print_bytes(alloc, sizeof alloc, d->max_alloc_bytes);
            printf("%-3u %-5s %-5s %-40.40s %-6s %-4s %-10s %-10s %u\n", d->index, pd,
                   clbfgs_device_type_name(d->type), d->name, version, d->has_fp64 ? "yes" : "no",
                   mem, alloc, d->compute_units);
            printf("    platform: %s; vendor: %s; driver: %s; %s\n", d->platform_name, d->vendor,
                   d->driver_version, d->opencl_version);
        }
    }
    clbfgs_devices_free(list);
    return EXIT_OK;
}

/* Reads a whole file; NULL with a message on failure. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(text, cap *= 2);
            if (!bigger)
                free(text);
            text = bigger;
        }
    }
    if (text && ferror(f)) {
        perror(path);
        free(text);
        text = NULL;
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

static int parse_precision(const char *s, clbfgs_precision *p)
{
    if (strcmp(s, "double") == 0)
        *p = CLBFGS_PRECISION_DOUBLE;
    else if (strcmp(s, "float") == 0)
        *p = CLBFGS_PRECISION_FLOAT;
    else if (strcmp(s, "auto") == 0)
        *p = CLBFGS_PRECISION_AUTO;
    else
        return -1;
    return 0;
}

static void log_to_stderr(void *user, clbfgs_log_level level, const char *message)
{
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "clbfgs: %s: %s\n", names[level], message);
}

/* A .cl file with a #line in front, so compiler messages name the file and
 * its own line numbers. NULL (after a message) on failure. */
static char *read_cl_source(const char *file)
{
    char *text = read_text(file);
    if (!text)
        return NULL;
    size_t size = strlen(file) + strlen(text) + 32;
    char *source = malloc(size);
    if (source)
        snprintf(source, size, "#line 1 \"%s\"\n%s", file, text);
    else
        fprintf(stderr, "clbfgs: out of memory reading '%s'\n", file);
    free(text);
    return source;
}

static int cmd_build(int argc, char **argv)
{
    const char *file = NULL, *options = NULL;
    clbfgs_context_options copts;
    clbfgs_context_options_init(&copts);
    clbfgs_precision precision = CLBFGS_PRECISION_AUTO;
    int verbose = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--precision") == 0 || strcmp(a, "--device") == 0 ||
             strcmp(a, "--options") == 0) && i + 1 >= argc)
            return usage_error("build: %s needs a value", a);
        if (strcmp(a, "--precision") == 0) {
            if (parse_precision(argv[++i], &precision) != 0)
                return usage_error("build: precision must be double, float or auto, not '%s'", argv[i]);
        } else if (strcmp(a, "--device") == 0) {
            copts.device = argv[++i];
        } else if (strcmp(a, "--options") == 0) {
            options = argv[++i];
        } else if (strcmp(a, "--verbose") == 0) {
            verbose = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            return usage_error("build: unknown option '%s'", a);
        } else if (!file) {
            file = a;
        } else {
            return usage_error("build: one file only ('%s' is extra)", a);
        }
    }
    if (!file)
        return usage_error("build: %s", "which .cl file?");
    char *source = read_cl_source(file);
    if (!source)
        return EXIT_USAGE;
    if (verbose) {
        copts.log = log_to_stderr;
        copts.log_level = CLBFGS_LOG_DEBUG;
    }
    clbfgs_context *ctx = NULL;
    cl_program program = NULL;
    clbfgs_program_origin origin;
    clbfgs_status status = clbfgs_context_new(&ctx, &copts);
    if (status == CLBFGS_SUCCESS)
        status = clbfgs_program_build(ctx, source, options, precision, &program, &origin);
    int rc = EXIT_OK;
    if (status != CLBFGS_SUCCESS) {
        rc = library_error(status);
    } else {
        clbfgs_device_info info;
        clbfgs_context_device(ctx, &info);
        printf("%s: built for %s (%s)\n", file, info.name,
               origin == CLBFGS_PROGRAM_DISK_CACHE ? "from the disk cache" : "compiled");
        clReleaseProgram(program);
    }
    clbfgs_context_free(ctx);
    free(source);
    return rc;
}

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    if (strcmp(s, "inf") == 0 || strcmp(s, "Inf") == 0) {
        *v = (double)INFINITY;
        return 0;
    }
    if (strcmp(s, "-inf") == 0 || strcmp(s, "-Inf") == 0) {
        *v = -(double)INFINITY;
        return 0;
    }
    *v = strtod(s, &end);
    return (errno || end == s || *end) ? -1 : 0;
}

static int parse_size(const char *s, size_t *v)
{
    char *end;
    errno = 0;
    if (*s == '-')
        return -1;
    unsigned long long u = strtoull(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *v = (size_t)u;
    return 0;
}

/* Parses numbers separated by whitespace or commas out of text (which it
 * consumes and frees); returns the count, or -1 after a message naming `what`. */
static long parse_number_text(char *text, const char *what, double **out)
{
    size_t cap = 16, count = 0;
    double *x = malloc(cap * sizeof *x);
    char *save = NULL;
    for (char *tok = strtok_r(text, ", \t\r\n", &save); x && tok; tok = strtok_r(NULL, ", \t\r\n", &save)) {
        double v;
        if (parse_double(tok, &v) != 0) {
            fprintf(stderr, "clbfgs: '%s' in %s is not a number\n", tok, what);
            free(x);
            x = NULL;
            break;
        }
        if (count == cap) {
            double *bigger = realloc(x, (cap *= 2) * sizeof *x);
            if (!bigger) {
                free(x);
                x = NULL;
                break;
            }
            x = bigger;
        }
        x[count++] = v;
    }
    free(text);
    *out = x;
    return x ? (long)count : -1;
}

/* Reads numbers: "a,b,c" or "@file". */
static long parse_numbers(const char *spec, const char *what, double **out)
{
    char *text = spec[0] == '@' ? read_text(spec + 1) : malloc(strlen(spec) + 1);
    if (!text)
        return -1;
    if (spec[0] != '@')
        strcpy(text, spec);
    return parse_number_text(text, what, out);
}

struct progress {
    int verbose;
};

static int print_iterate(void *user, const clbfgs_iterate *it)
{
    (void)user;
    printf("%6zu  %23.16e  %12.6e  %12.6e  %6zu\n", it->k, it->f, it->gnorm, it->step, it->nfev);
    fflush(stdout);
    return 0;
}

static void print_json_array(const double *v, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s%.17g", i ? ", " : "", v[i]);
    putchar(']');
}

static void print_result(const clbfgs_result *r, const clbfgs_device_info *dev, const char *problem,
                         int json)
{
    const char *precision = r->precision == CLBFGS_PRECISION_FLOAT ? "float" : "double";
    if (json) {
        printf("{\"problem\": ");
        json_string(problem);
        printf(", \"n\": %zu, \"status\": %d, \"success\": %s, \"message\": ", r->n, r->status,
               r->success ? "true" : "false");
        json_string(r->message);
        printf(", \"fun\": %.17g, \"nit\": %zu, \"nfev\": %zu, \"njev\": %zu, "
               "\"skipped_updates\": %zu, \"precision\": \"%s\", \"device\": ",
               r->fun, r->nit, r->nfev, r->njev, r->skipped_updates, precision);
        json_string(dev->name);
        printf(", \"platform\": ");
        json_string(dev->platform_name);
        const clbfgs_timings *t = &r->time;
        printf(", \"time\": {\"total\": %.6f, \"setup\": %.6f, \"line_search\": %.6f, "
               "\"hessian\": %.6f, \"callback\": %.6f, \"syncs\": %zu, "
               "\"device_objective\": %.6f, \"device_hessian\": %.6f, \"device_other\": %.6f, "
               "\"device_transfer\": %.6f}, \"x\": ",
               t->total, t->setup, t->line_search, t->hessian, t->callback, t->syncs,
               t->device_objective, t->device_hessian, t->device_other, t->device_transfer);
        print_json_array(r->x, r->n);
        printf(", \"jac\": ");
        print_json_array(r->jac, r->n);
        printf("}\n");
        return;
    }
    double gmax = 0;
    for (size_t i = 0; i < r->n; i++)
        gmax = fabs(r->jac[i]) > gmax ? fabs(r->jac[i]) : gmax;
    printf("%s\n", r->message);
    printf("  problem:      %s, n = %zu, %s precision\n", problem, r->n, precision);
    printf("  device:       %s [%s]\n", dev->name, dev->platform_name);
    printf("  fun:          %.17g\n", r->fun);
    printf("  status:       %d (success: %s)\n", r->status, r->success ? "yes" : "no");
    printf("  nit:          %zu\n  nfev:         %zu\n  njev:         %zu\n", r->nit, r->nfev,
           r->njev);
    printf("  max |jac|:    %.3e\n", gmax);
    printf("  x[0..%zu]:     ", r->n < 5 ? r->n - 1 : 4);
    for (size_t i = 0; i < r->n && i < 5; i++)
        printf("%s%.10g", i ? ", " : "", r->x[i]);
    printf("%s\n", r->n > 5 ? ", ..." : "");
    printf("  time:         %.3f s (setup %.3f, line search %.3f, H %.3f)\n", r->time.total,
           r->time.setup, r->time.line_search, r->time.hessian);
    const clbfgs_timings *t = &r->time;
    double dev_total = t->device_objective + t->device_hessian + t->device_other + t->device_transfer;
    if (dev_total > 0)
        printf("  device time:  %.3f s (objective %.3f, H %.3f, other %.3f, transfers %.3f), "
               "%zu syncs\n",
               dev_total, t->device_objective, t->device_hessian, t->device_other,
               t->device_transfer, t->syncs);
}

/* What to minimize, as the command line gives it. */
struct problem {
    const char *builtin, *cl_file, *kernel, *build_options, *data_file;
    size_t work_size;
    int no_gradient;
    double lambda;
    const char *args[64]; /* --arg TYPE:VALUE, in order */
    int nargs;
};

/* Sets the extra kernel argument index from "TYPE:VALUE". */
static int set_kernel_arg(clbfgs_objective *o, unsigned index, const char *spec,
                          clbfgs_status *status)
{
    const char *colon = strchr(spec, ':');
    if (!colon)
        return usage_error("--arg '%s' must be TYPE:VALUE (real, double, float, int, uint, long, "
                           "ulong, reals)", spec);
    size_t tlen = (size_t)(colon - spec);
    const char *value = colon + 1;
    if (tlen == 5 && strncmp(spec, "reals", 5) == 0) {
        double *v = NULL;
        long count = parse_numbers(value, "an --arg reals list", &v);
        if (count <= 0) {
            free(v);
            return count < 0 ? EXIT_USAGE : usage_error("--arg '%s' holds no values", spec);
        }
        *status = clbfgs_objective_set_arg_reals(o, index, v, (size_t)count);
        free(v);
        return 0;
    }
    double d;
    if (parse_double(value, &d) != 0)
        return usage_error("--arg '%s': '%s' is not a number", spec, value);
#define TYPE_IS(t) (tlen == strlen(t) && strncmp(spec, t, tlen) == 0)
    if (TYPE_IS("real")) {
        *status = clbfgs_objective_set_arg_real(o, index, d);
        return 0;
    }
    if (TYPE_IS("double")) {
        *status = clbfgs_objective_set_arg(o, index, sizeof d, &d);
        return 0;
    }
    if (TYPE_IS("float")) {
        float f = (float)d;
        *status = clbfgs_objective_set_arg(o, index, sizeof f, &f);
        return 0;
    }
    int is_signed = TYPE_IS("int") || TYPE_IS("long");
    int is_integer = is_signed || TYPE_IS("uint") || TYPE_IS("ulong");
    if (!is_integer)
        return usage_error("--arg '%s': the type must be real, double, float, int, uint, long or "
                           "ulong", spec);
    int wide = TYPE_IS("long") || TYPE_IS("ulong");
#undef TYPE_IS
    double lo = is_signed ? (wide ? -9.2e18 : -2147483648.0) : 0;
    double hi = wide ? (is_signed ? 9.2e18 : 1.8e19) : (is_signed ? 2147483647.0 : 4294967295.0);
    if (d != floor(d) || d < lo || d > hi)
        return usage_error("--arg '%s': %s is not a whole number in the type's range", spec, value);
    if (wide) {
        cl_long l = (cl_long)d;
        cl_ulong u = (cl_ulong)d;
        *status = is_signed ? clbfgs_objective_set_arg(o, index, sizeof l, &l)
                            : clbfgs_objective_set_arg(o, index, sizeof u, &u);
    } else {
        cl_int i = (cl_int)d;
        cl_uint u = (cl_uint)d;
        *status = is_signed ? clbfgs_objective_set_arg(o, index, sizeof i, &i)
                            : clbfgs_objective_set_arg(o, index, sizeof u, &u);
    }
    return 0;
}

/* Reads a logistic-regression data file: one example per line, the label
 * (0 or 1) then the n features. */
static int read_dataset(const char *file, size_t n, double **a, double **y, size_t *m)
{
    double *v = NULL;
    char *text = read_text(file);
    long count = text ? parse_number_text(text, file, &v) : -1;
    if (count < 0)
        return EXIT_USAGE;
    if (count == 0 || (size_t)count % (n + 1) != 0) {
        free(v);
        return usage_error("%s holds %ld numbers, not a whole number of lines of a label and %zu "
                           "features (--n)", file, count, n);
    }
    *m = (size_t)count / (n + 1);
    *a = malloc(*m * n * sizeof **a);
    *y = malloc(*m * sizeof **y);
    if (!*a || !*y) {
        free(v);
        fprintf(stderr, "clbfgs: out of memory reading %s\n", file);
        return EXIT_DEVICE;
    }
    for (size_t i = 0; i < *m; i++) {
        (*y)[i] = v[i * (n + 1)];
        memcpy(*a + i * n, v + i * (n + 1) + 1, n * sizeof **a);
    }
    free(v);
    return EXIT_OK;
}

/* Makes the objective; returns an exit code (EXIT_OK on success). */
static int make_objective(const struct problem *pb, clbfgs_context *ctx, size_t n,
                          clbfgs_precision precision, clbfgs_objective **objective)
{
    clbfgs_status status;
    if (pb->builtin && strcmp(pb->builtin, "logistic") == 0) {
        if (!pb->data_file)
            return usage_error("--builtin logistic needs --data FILE (lines of: label x_1 .. x_n)%s",
                               "");
        double *a = NULL, *y = NULL;
        size_t m = 0;
        int rc = read_dataset(pb->data_file, n, &a, &y, &m);
        status = rc == EXIT_OK ? clbfgs_objective_logistic(objective, ctx, m, n, a, y, pb->lambda,
                                                            precision)
                               : CLBFGS_SUCCESS;
        free(a);
        free(y);
        if (rc != EXIT_OK)
            return rc;
        return status == CLBFGS_SUCCESS ? EXIT_OK : library_error(status);
    }
    if (pb->builtin) {
        status = clbfgs_objective_builtin(objective, pb->builtin);
        return status == CLBFGS_SUCCESS ? EXIT_OK : library_error(status);
    }
    char *source = read_cl_source(pb->cl_file);
    if (!source)
        return EXIT_USAGE;
    clbfgs_source_options so;
    clbfgs_source_options_init(&so);
    so.name = pb->cl_file;
    so.build_options = pb->build_options;
    so.gradient = !pb->no_gradient;
    so.work_size = pb->work_size;
    status = clbfgs_objective_source(objective, source, pb->kernel, &so);
    free(source);
    unsigned first = so.gradient ? 4 : 3;
    for (int k = 0; k < pb->nargs && status == CLBFGS_SUCCESS; k++) {
        int rc = set_kernel_arg(*objective, first + (unsigned)k, pb->args[k], &status);
        if (rc != EXIT_OK)
            return rc;
    }
    return status == CLBFGS_SUCCESS ? EXIT_OK : library_error(status);
}

static int cmd_minimize(int argc, char **argv, int demo)
{
    const char *x0_spec = NULL, *hess_spec = NULL;
    struct problem pb;
    memset(&pb, 0, sizeof pb);
    pb.builtin = demo ? "rosen" : NULL;
    pb.lambda = 1.0;
    size_t n = demo ? 100 : 0;
    double fill = (double)NAN;
    int json = 0, verbose = 0;
    clbfgs_options opts;
    clbfgs_options_init(&opts);
    clbfgs_context_options copts;
    clbfgs_context_options_init(&copts);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            verbose = 1;
            continue;
        }
        if (strcmp(a, "--profile") == 0) {
            copts.profile = 1;
            continue;
        }
        if (strcmp(a, "--no-gradient") == 0 && !demo) {
            pb.no_gradient = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return usage_error("unexpected argument '%s'", a);
        if (i + 1 >= argc)
            return usage_error("%s needs a value", a);
        const char *v = argv[++i];
        double d = 0;
        if (strcmp(a, "--builtin") == 0 && !demo) {
            pb.builtin = v;
        } else if (strcmp(a, "--cl") == 0 && !demo) {
            pb.cl_file = v;
        } else if (strcmp(a, "--kernel") == 0 && !demo) {
            pb.kernel = v;
        } else if (strcmp(a, "--options") == 0 && !demo) {
            pb.build_options = v;
        } else if (strcmp(a, "--data") == 0 && !demo) {
            pb.data_file = v;
        } else if (strcmp(a, "--arg") == 0 && !demo) {
            if (pb.nargs == 64)
                return usage_error("at most 64 --arg%s", "");
            pb.args[pb.nargs++] = v;
        } else if (strcmp(a, "--work-size") == 0 && !demo) {
            if (parse_size(v, &pb.work_size) != 0 || pb.work_size == 0)
                return usage_error("--work-size must be a positive whole number, not '%s'", v);
        } else if (strcmp(a, "--n") == 0) {
            if (parse_size(v, &n) != 0 || n == 0)
                return usage_error("--n must be a positive whole number, not '%s'", v);
        } else if (strcmp(a, "--x0") == 0 && !demo) {
            x0_spec = v;
        } else if (strcmp(a, "--hess-inv0") == 0 && !demo) {
            hess_spec = v;
        } else if (strcmp(a, "--fill") == 0 && !demo) {
            if (parse_double(v, &fill) != 0 || !isfinite(fill))
                return usage_error("--fill must be a finite number, not '%s'", v);
        } else if (strcmp(a, "--device") == 0) {
            copts.device = v;
        } else if (strcmp(a, "--precision") == 0 && !demo) {
            if (parse_precision(v, &opts.precision) != 0)
                return usage_error("--precision must be double, float or auto, not '%s'", v);
        } else if (strcmp(a, "--maxiter") == 0 && !demo) {
            if (parse_size(v, &opts.maxiter) != 0 || opts.maxiter == 0)
                return usage_error("--maxiter must be a positive whole number, not '%s'", v);
        } else if (!demo && (strcmp(a, "--gtol") == 0 || strcmp(a, "--norm") == 0 ||
                             strcmp(a, "--xrtol") == 0 || strcmp(a, "--c1") == 0 ||
                             strcmp(a, "--c2") == 0 || strcmp(a, "--eps") == 0 ||
                             strcmp(a, "--lambda") == 0)) {
            if (parse_double(v, &d) != 0)
                return usage_error("%s must be a number, not '%s'", a, v);
            if (strcmp(a, "--gtol") == 0)
                opts.gtol = d;
            else if (strcmp(a, "--norm") == 0)
                opts.norm = d;
            else if (strcmp(a, "--xrtol") == 0)
                opts.xrtol = d;
            else if (strcmp(a, "--c1") == 0)
                opts.c1 = d;
            else if (strcmp(a, "--c2") == 0)
                opts.c2 = d;
            else if (strcmp(a, "--eps") == 0)
                opts.eps = d;
            else
                pb.lambda = d;
        } else {
            return usage_error("%s: unknown option '%s'", demo ? "demo" : "minimize", a);
        }
    }
    if (!pb.builtin && !pb.cl_file)
        return usage_error("minimize: which objective? --builtin NAME, or --cl FILE --kernel "
                           "NAME%s", "");
    if (pb.builtin && pb.cl_file)
        return usage_error("minimize: --builtin and --cl are alternatives; give one%s", "");
    if (pb.cl_file && !pb.kernel)
        return usage_error("minimize: --cl %s needs --kernel NAME", pb.cl_file);
    if (pb.builtin && (pb.kernel || pb.nargs || pb.work_size || pb.no_gradient || pb.build_options))
        return usage_error("minimize: --kernel, --arg, --work-size, --no-gradient and --options "
                           "go with --cl, not --builtin%s", "");
    if (pb.data_file && !(pb.builtin && strcmp(pb.builtin, "logistic") == 0))
        return usage_error("minimize: --data goes with --builtin logistic%s", "");
    double *x0 = NULL, *hess_inv0 = NULL;
    if (x0_spec) {
        long count = parse_numbers(x0_spec, "the starting point", &x0);
        if (count < 0)
            return EXIT_USAGE;
        if (n && (size_t)count != n) {
            free(x0);
            return usage_error("--x0 has %ld values but --n is %zu", count, n);
        }
        if (count == 0) {
            free(x0);
            return usage_error("--x0 holds no values%s", "");
        }
        n = (size_t)count;
    } else {
        if (n == 0)
            return usage_error("minimize: give --n or --x0%s", "");
        static const double start[] = {1.3, 0.7, 0.8, 1.9, 1.2};
        x0 = malloc(n * sizeof *x0);
        if (!x0)
            return EXIT_DEVICE;
        for (size_t i = 0; i < n; i++)
            x0[i] = isnan(fill) ? start[i % 5] : fill;
    }
    if (hess_spec) {
        long count = parse_numbers(hess_spec, "the starting inverse Hessian", &hess_inv0);
        if (count < 0 || (size_t)count != n * n) {
            if (count >= 0)
                usage_error("--hess-inv0 has %ld values; n = %zu needs n x n = %zu", count, n, n * n);
            free(hess_inv0);
            free(x0);
            return EXIT_USAGE;
        }
        opts.hess_inv0 = hess_inv0;
    }
    char problem[512];
    if (pb.builtin)
        snprintf(problem, sizeof problem, "%s", pb.builtin);
    else
        snprintf(problem, sizeof problem, "%s:%s", pb.cl_file, pb.kernel);
    clbfgs_objective *objective = NULL;
    clbfgs_context *ctx = NULL;
    clbfgs_result result;
    memset(&result, 0, sizeof result);
    int rc = EXIT_OK;
    clbfgs_status status = clbfgs_context_new(&ctx, &copts);
    if (status != CLBFGS_SUCCESS)
        rc = library_error(status);
    if (rc == EXIT_OK)
        rc = make_objective(&pb, ctx, n, opts.precision, &objective);
    if (rc == EXIT_OK) {
        if (verbose) {
            opts.callback = print_iterate;
            printf("%6s  %23s  %12s  %12s  %6s\n", "k", "f", "|g|", "step", "nfev");
        }
        status = clbfgs_minimize(ctx, objective, n, x0, &opts, &result);
        if (status != CLBFGS_SUCCESS) {
            rc = library_error(status);
        } else {
            clbfgs_device_info dev;
            clbfgs_context_device(ctx, &dev);
            print_result(&result, &dev, problem, json);
            rc = result.success ? EXIT_OK : EXIT_NOT_CONVERGED;
        }
    }
    clbfgs_result_free(&result);
    clbfgs_objective_free(objective);
    clbfgs_context_free(ctx);
    free(x0);
    free(hess_inv0);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("clbfgs %s\n", clbfgs_version());
        return EXIT_OK;
    }
    if (strcmp(cmd, "devices") == 0)
        return cmd_devices(argc - 2, argv + 2);
    if (strcmp(cmd, "build") == 0)
        return cmd_build(argc - 2, argv + 2);
    if (strcmp(cmd, "minimize") == 0)
        return cmd_minimize(argc - 2, argv + 2, 0);
    if (strcmp(cmd, "demo") == 0)
        return cmd_minimize(argc - 2, argv + 2, 1);
    return usage_error("unknown command '%s'", cmd);
}
