/* clbfgs: the command-line front end of the library. This file holds the
 * help and picks the command; each command has a file of its own (cmd-*.c),
 * options.c scans options, parse.c reads numbers, lists and files,
 * output.c writes, messages.c reports errors. */
#include "cli.h"

#include <string.h>

const char cli_usage_text[] =
    "usage: clbfgs COMMAND [OPTIONS]\n"
    "\n"
    "BFGS and L-BFGS-B minimization on any OpenCL device.\n"
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
    "  minimize OBJECTIVE (--n N | --x0 LIST | --batch FILE) [options]\n"
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
    "    --terms FILE --function NAME --data FILE [--data FILE ...]\n"
    "                        f summed over data items: NAME in FILE is\n"
    "                        real NAME(uint i, const real *x, real *g, data...),\n"
    "                        item i's value, its gradient written into g\n"
    "                        (CLBFGS_N is n); each --data (.npy float64/float32,\n"
    "                        or CSV) is the next `__global const real *` argument,\n"
    "                        one row per item; m is its rows\n"
    "      --arg TYPE:VALUE  the next argument is a value, as for --cl; --data\n"
    "                        and --arg in the function's order\n"
    "      --batch-data FILE\n"
    "                        with --batch: the next `__global const real *`\n"
    "                        argument, one row per problem: problem p's function\n"
    "                        sees row p (without --data, m is the row length);\n"
    "                        among --data and --arg in the function's order\n"
    "      --least-squares   the value is a residual: f = 1/2 sum r^2, g = J^T r\n"
    "      --no-gradient     NAME has no g; forward differences in the same pass\n"
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
    "  --method bfgs|lbfgsb  bfgs (default): SciPy's method='BFGS', a dense n x n\n"
    "                        inverse Hessian; lbfgsb: SciPy's 'L-BFGS-B', the m\n"
    "                        latest steps instead, and box bounds; it takes:\n"
    "    --bounds LIST|@FILE lower,upper pairs: one pair for every coordinate\n"
    "                        (0,inf) or n pairs in order (l0,u0,l1,u1,...; in a\n"
    "                        file, a pair per line); a value is a number, inf,\n"
    "                        -inf or none (no bound on that side); lower = upper\n"
    "                        fixes x_i; an x0 outside the box is projected onto it\n"
    "    --m N (10)          the (s, y) pairs kept (SciPy's maxcor)\n"
    "    --ftol F (2.220446049250313e-09)  stop when f's relative reduction <= F\n"
    "    --maxfun N (15000)  --maxls N (20)  evaluations in all, and per line search\n"
    "                        --gtol bounds the projected gradient (SciPy's pgtol)\n"
    "                        and --maxiter is 15000 unless given; --norm, --xrtol,\n"
    "                        --c1, --c2, --hess-inv0 are BFGS's\n"
    "  --gtol G (1e-5)  --norm inf|-inf|P (inf)  --maxiter K (200 n)  --xrtol R (0)\n"
    "  --c1 C (1e-4)  --c2 C (0.9)  --precision double|float|auto (auto)\n"
    "  --eps E               forward-difference step (sqrt of machine epsilon)\n"
    "  --hess-inv0 LIST|@FILE  starting inverse Hessian, n x n row-major values,\n"
    "                        symmetric positive definite (default the identity)\n"
    "  --device SEL  --json (one JSON object: result, device, timings with the\n"
    "                        iterations' syncs and kernel launches and the bytes\n"
    "                        the H pass moved; a value that is inf or NaN is\n"
    "                        written as null)\n"
    "  --verbose (one line per iteration: k, f, gradient norm, step, evaluations;\n"
    "                        on stderr with --json, so stdout stays one object;\n"
    "                        with --method lbfgsb also the library's log on\n"
    "                        stderr, which says when x0 was projected)\n"
    "  --profile             time the device's work by phase (objective, H pass,\n"
    "                        other kernels, transfers) with OpenCL profiling\n"
    "                        (of the host-driven iterations: --single-kernel never)\n"
    "  --single-kernel auto|never|always (auto)  the whole solve of a small\n"
    "                        problem in one kernel: auto where the objective is a\n"
    "                        function (--terms, n <= 64, at most 4096 item\n"
    "                        evaluations per point; the built-ins), never, or\n"
    "                        always (an error says why it cannot)\n"
    "  --batch FILE          P problems in one BFGS run, FILE their starting points,\n"
    "                        one per row (.npy or CSV, as --data; n is the row\n"
    "                        length, at most 1024), with --terms or --builtin\n"
    "                        rosen, ext-rosenbrock or quadratic: one JSON line\n"
    "                        per problem (problem, status, success, message,\n"
    "                        fun, nit, nfev, njev, x); exit status 0 when every\n"
    "                        problem converged; --verbose shows the library's\n"
    "                        log (where H is kept)\n"
    "  --summary             with --batch: a table instead (P, n, converged, each\n"
    "                        status, nit min/median/max, time, fits per second,\n"
    "                        where H was kept); with --json, one object\n"
    "\n"
    "Under MPI (a build configured --with-mpi):\n"
    "  mpirun -n K clbfgs minimize --terms FILE --function NAME --data FILE.npy ...\n"
    "                        one minimization across K ranks: each reads only its\n"
    "                        own rows of every --data file (.npy: from the offsets\n"
    "                        of its header; CSV is read whole and cut), runs on its\n"
    "                        node's devices in turn (by local rank; --device gpu,\n"
    "                        cpu or accelerator picks the type, another selector one\n"
    "                        device), and the ranks add up f and g with one\n"
    "                        MPI_Allreduce per evaluation; rank 0 prints. Other\n"
    "                        objectives, and --batch, are refused; one rank is a\n"
    "                        plain run. In containers: mpirun --allow-run-as-root\n"
    "                        --oversubscribe, and\n"
    "                        OMPI_MCA_btl_vader_single_copy_mechanism=none\n"
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
    "  CLBFGS_DENSE_DELAY    BFGS: iterations an H update stays pending, 1 to 8\n"
    "                        (default 4 on CPUs from n = 2048, else 1)\n"
    "  CLBFGS_DENSE_TRIANGLE BFGS: 1 stores only H's upper triangle, 0 all of H\n"
    "                        (default 1 on CPUs from n = 2048, else 0)\n"
    "  CLBFGS_DENSE_H_FLOAT  BFGS in double: 1 keeps H in float, x, g and every\n"
    "                        scalar in double (default 0: it loses SciPy's\n"
    "                        agreement on badly scaled problems)\n"
    "\n"
    "Exit status: 0 success, 1 stopped without converging, 2 bad usage or input,\n"
    "3 device or compile error, 4 out of host memory or the output could not be\n"
    "written.\n";

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
