/* clbfgs: the command-line front end of the library. This file picks the
 * command, scans options and reports errors; each command has a file of its
 * own (cmd-*.c), parse.c reads numbers, lists and files, output.c writes. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

const char cli_usage_text[] =
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
    "                        long or ulong (whole numbers in the type's range); or\n"
    "                        reals:LIST|@FILE, values for a `__global const real *`;\n"
    "                        repeat in the kernel's order (at most 64)\n"
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
    "  --fill V              with --n instead of --x0: every value V (default:\n"
    "                        SciPy's tutorial start 1.3,0.7,0.8,1.9,1.2 repeated)\n"
    "  --gtol G (1e-5)  --norm inf|-inf|P (inf)  --maxiter K (200 n)  --xrtol R (0)\n"
    "  --c1 C (1e-4)  --c2 C (0.9)  --precision double|float|auto (auto)\n"
    "  --eps E               forward-difference step (sqrt of machine epsilon)\n"
    "  --hess-inv0 LIST|@FILE  starting inverse Hessian, n x n row-major values,\n"
    "                        symmetric positive definite (default the identity)\n"
    "  --device SEL  --json (one JSON object: result, device, timings; a value\n"
    "                        that is inf or NaN is written as null)\n"
    "  --verbose (one line per iteration: k, f, gradient norm, step, evaluations;\n"
    "                        on stderr with --json, so stdout stays one object)\n"
    "  --profile             time the device's work by phase (objective, H pass,\n"
    "                        other kernels, transfers) with OpenCL profiling\n"
    "\n"
    "Options take their value as --opt VALUE or --opt=VALUE, spelled in full.\n"
    "Numbers are read whole: no spaces, a sign only where negative values make\n"
    "sense, within the option's range; N is at most 1048576. LIST elements are\n"
    "separated by commas or white space, none empty; an @FILE is read up to\n"
    "256 MiB.\n"
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
    "3 device or compile error, 4 out of host memory or the output could not be\n"
    "written.\n";

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clbfgs: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'clbfgs help'.\n");
    va_end(ap);
    return EXIT_USAGE;
}

int cli_input_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clbfgs: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return EXIT_USAGE;
}

int cli_library_error(clbfgs_status status)
{
    fprintf(stderr, "clbfgs: %s: %s\n", clbfgs_strerror(status), clbfgs_last_error());
    switch (status) {
    case CLBFGS_ERR_INVALID_ARGUMENT: return EXIT_USAGE;
    default: return EXIT_DEVICE;
    }
}

int cli_out_of_memory(const char *what)
{
    fprintf(stderr, "clbfgs: out of memory %s\n", what);
    return EXIT_HOST;
}

void cli_args_init(cli_args *a, int argc, char **argv, const struct option *options)
{
    a->argc = argc;
    a->argv = argv;
    a->options = options;
    a->rest = 0;
    optind = 0; /* glibc: start over, whatever scanned before */
    opterr = 0; /* our messages, not getopt's */
}

/* "--name=value" -> the length of "--name". */
static int option_length(const char *text)
{
    const char *eq = strchr(text, '=');
    return eq ? (int)(eq - text) : (int)strlen(text);
}

int cli_args_next(cli_args *a, const char **value)
{
    *value = NULL;
    if (a->rest) {
        if (a->rest >= a->argc)
            return CLI_END;
        *value = a->argv[a->rest++];
        return CLI_POSITIONAL;
    }
    /* "-" keeps the arguments in order (positional ones come back as 1), so
     * the option getopt reads is argv[at]; ":" reports a missing value. */
    int at = optind > 0 ? optind : 1, index = -1;
    int c = getopt_long(a->argc, a->argv, "-:", a->options, &index);
    const char *command = a->argv[0];
    if (c == -1) {
        a->rest = optind > 0 ? optind : a->argc; /* what follows "--", if anything */
        return cli_args_next(a, value);
    }
    const char *text = at < a->argc ? a->argv[at] : "";
    if (c == 1) {
        *value = optarg;
        return CLI_POSITIONAL;
    }
    if (c == ':') {
        cli_usage_error("%s: option '%s' needs a value", command, text);
        return CLI_ERROR;
    }
    if (c == '?') {
        if (optopt != 0 && strncmp(text, "--", 2) == 0)
            cli_usage_error("%s: option '%.*s' takes no value", command, option_length(text), text);
        else
            cli_usage_error("%s: unknown option '%.*s'", command, option_length(text), text);
        return CLI_ERROR;
    }
    /* getopt_long takes any unambiguous prefix; we do not, so that a typo
     * never silently means another option and --help stays the whole list. */
    const char *name = index >= 0 ? a->options[index].name : "";
    if (strncmp(text, "--", 2) != 0 || option_length(text) != (int)strlen(name) + 2 ||
        strncmp(text + 2, name, strlen(name)) != 0) {
        cli_usage_error("%s: unknown option '%.*s' (options are not abbreviated)", command,
                        option_length(text), text);
        return CLI_ERROR;
    }
    *value = optarg;
    return c;
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        fputs(cli_usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(cli_usage_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("clbfgs %s\n", clbfgs_version());
        return EXIT_OK;
    }
    /* Each command scans argv + 1, so getopt sees the command as its name. */
    if (strcmp(cmd, "devices") == 0)
        return cli_devices(argc - 1, argv + 1);
    if (strcmp(cmd, "build") == 0)
        return cli_build(argc - 1, argv + 1);
    if (strcmp(cmd, "minimize") == 0)
        return cli_minimize(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0)
        return cli_demo(argc - 1, argv + 1);
    return cli_usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    int rc = run_command(argc, argv);
    int out = cli_close_stdout();
    return rc == EXIT_OK || rc == EXIT_NOT_CONVERGED ? (out != EXIT_OK ? out : rc) : rc;
}
