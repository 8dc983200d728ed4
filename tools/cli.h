/* The clbfgs command's shared pieces: exit statuses, messages, option
 * scanning, strict parsing of numbers, lists and files, and output. */
#ifndef CLBFGS_TOOLS_CLI_H
#define CLBFGS_TOOLS_CLI_H

#include "clbfgs.h"

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    EXIT_OK = 0,
    EXIT_NOT_CONVERGED = 1,
    EXIT_USAGE = 2,  /* bad usage or input */
    EXIT_DEVICE = 3, /* a device or compile error */
    EXIT_HOST = 4    /* out of host memory, or the output could not be written */
};

/* The largest n the command accepts: a dense n x n inverse Hessian of this
 * size is 8 TiB in double, beyond any device, while x0 is still 8 MiB. */
#define CLI_MAX_N ((size_t)1 << 20)
/* The most a file given as @FILE, --data or --cl is read, so /dev/zero or a
 * stray log cannot make the command read (and allocate) forever. */
#define CLI_MAX_FILE_BYTES ((size_t)256 << 20)

/* ---- main.c ---- */
extern const char cli_usage_text[];

/* ---- messages.c ---- */
#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* Prints "clbfgs: MESSAGE" and a pointer to the help; returns EXIT_USAGE. */
CLI_PRINTF(1, 2) int cli_usage_error(const char *fmt, ...);
/* Prints "clbfgs: MESSAGE" alone; returns EXIT_USAGE (bad input, not usage). */
CLI_PRINTF(1, 2) int cli_input_error(const char *fmt, ...);
/* Prints the library's status and message; returns the exit status it means. */
int cli_library_error(clbfgs_status status);
/* The library's log on stderr ("clbfgs: warning: ..."): every command sets it
 * at WARNING at least, so an unsafe cache directory is never passed over. */
void cli_log(void *user, clbfgs_log_level level, const char *message);
/* Prints that host memory ran out while doing `what`; returns EXIT_HOST. */
int cli_out_of_memory(const char *what);

/* ---- options.c: getopt_long over one command's arguments ---- */
enum { CLI_END = -1, CLI_ERROR = -2, CLI_POSITIONAL = -3 };

typedef struct cli_args {
    int argc;
    char **argv; /* argv[0] is the command's name */
    const struct option *options;
    int rest; /* after "--" (or the end): the next positional argument */
} cli_args;

void cli_args_init(cli_args *a, int argc, char **argv, const struct option *options);
/* The next option's val with *value its argument (NULL when it takes none);
 * CLI_POSITIONAL with *value the argument; CLI_END; or CLI_ERROR after a
 * message (an unknown or abbreviated option, a missing or unwanted value). */
int cli_args_next(cli_args *a, const char **value);

/* ---- parse.c: each returns EXIT_OK, or an exit status after a message
 * naming the option and the text ---- */
int cli_parse_size(const char *option, const char *text, size_t min, size_t max, size_t *out);
int cli_parse_int64(const char *option, const char *text, int64_t min, int64_t max, int64_t *out);
int cli_parse_uint64(const char *option, const char *text, uint64_t max, uint64_t *out);
/* The number that is the whole of text, read as cli_parse_double reads it,
 * without a message: 0, -1 when it is not a number, -2 when it is out of the
 * range of a double (1e999). For readers that name the place themselves. */
int cli_strict_double(const char *text, double *out);
/* Any double strtod reads, inf and nan included, but the whole text and no
 * leading space; overflow (1e999) is an error. */
int cli_parse_double(const char *option, const char *text, double *out);
int cli_parse_finite(const char *option, const char *text, double *out);
int cli_parse_precision(const char *option, const char *text, clbfgs_precision *out);
/* Reads a text file whole, at most max_bytes, refusing NUL bytes; *out is
 * NUL-terminated and the caller's to free. */
int cli_read_file(const char *option, const char *path, size_t max_bytes, char **out);
/* Reads numbers separated by commas or white space, from the text or, for
 * "@FILE", from the file; an empty element ("1,,2") is an error, and so are
 * more than max_count values. *out is the caller's to free (NULL for none). */
int cli_parse_list(const char *option, const char *spec, size_t max_count, double **out,
                   size_t *count);

/* --bounds LIST|@FILE for n coordinates: lower,upper pairs, either one pair
 * for every coordinate or n pairs in order; a value is a number, inf, -inf,
 * or none (no bound on that side). *lower and *upper (n each) are the
 * caller's to free. lower > upper is left to the library, which names the
 * coordinate. */
int cli_parse_bounds(const char *spec, size_t n, double **lower, double **upper);

/* A .cl file with a #line in front, so compiler messages name the file, for
 * clbfgs_program_build, which takes no name (cmd-build.c; minimize names its
 * source through clbfgs_source_options.name instead). */
int cli_read_cl_source(const char *option, const char *file, char **out);
/* FILE with "./" in front when it has no directory part (malloc'd; NULL when
 * out of memory): the library searches a source name's directory for
 * #include files. */
char *cli_path_with_dir(const char *file);

/* ---- output.c ---- */
/* A JSON string: escaped, with invalid UTF-8 replaced by U+FFFD. */
void cli_json_string(FILE *out, const char *s);
/* A JSON number, or null for inf and NaN (JSON has no such numbers). */
void cli_json_number(FILE *out, double v);
void cli_print_devices_table(FILE *out, const clbfgs_device_info *list, size_t count);
void cli_print_devices_json(FILE *out, const clbfgs_device_info *list, size_t count);
void cli_print_result(FILE *out, const clbfgs_result *r, const clbfgs_device_info *dev,
                      const char *problem, int json);
/* A batch's results, one JSON object per problem and per line (JSON Lines),
 * each with the fields of cli_print_result's that are the problem's own. */
void cli_print_batch_records(FILE *out, const clbfgs_batch_result *r);
/* A batch in a few lines (or, with json, one object): P, n, how many
 * converged, the count of each status with its message, nit's minimum,
 * median and maximum, the time and fits per second, where H was kept.
 * EXIT_OK, or EXIT_HOST after a message when memory ran out. */
int cli_print_batch_summary(FILE *out, const clbfgs_batch_result *r, const clbfgs_device_info *dev,
                            const char *problem, int json);
/* Flushes and closes stdout; EXIT_OK, or EXIT_HOST after a message when
 * anything written to it was lost (a full disk, a closed pipe). */
int cli_close_stdout(void);

/* ---- the commands ---- */
int cli_devices(int argc, char **argv);
int cli_build(int argc, char **argv);
int cli_minimize(int argc, char **argv);
int cli_demo(int argc, char **argv);
/* minimize's options (getopt_long vals), which demo shares a part of. */
enum {
    CLI_OPT_JSON = 256,
    CLI_OPT_VERBOSE,
    CLI_OPT_PROFILE,
    CLI_OPT_NO_GRADIENT,
    CLI_OPT_BUILTIN,
    CLI_OPT_CL,
    CLI_OPT_KERNEL,
    CLI_OPT_OPTIONS,
    CLI_OPT_DATA,
    CLI_OPT_ARG,
    CLI_OPT_WORK_SIZE,
    CLI_OPT_N,
    CLI_OPT_X0,
    CLI_OPT_HESS_INV0,
    CLI_OPT_FILL,
    CLI_OPT_DEVICE,
    CLI_OPT_PRECISION,
    CLI_OPT_MAXITER,
    CLI_OPT_GTOL,
    CLI_OPT_NORM,
    CLI_OPT_XRTOL,
    CLI_OPT_C1,
    CLI_OPT_C2,
    CLI_OPT_EPS,
    CLI_OPT_LAMBDA,
    CLI_OPT_TERMS,
    CLI_OPT_FUNCTION,
    CLI_OPT_LEAST_SQUARES,
    CLI_OPT_BATCH,
    CLI_OPT_BATCH_DATA,
    CLI_OPT_SUMMARY,
    CLI_OPT_SINGLE_KERNEL,
    CLI_OPT_METHOD,
    CLI_OPT_M,
    CLI_OPT_BOUNDS,
    CLI_OPT_FTOL,
    CLI_OPT_MAXFUN,
    CLI_OPT_MAXLS
};
/* minimize and demo: the same run, each with its own table of options. */
int cli_minimize_with(int argc, char **argv, const struct option *options, int demo);

#endif /* CLBFGS_TOOLS_CLI_H */
