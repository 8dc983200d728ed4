/* The command's messages: each error names its cause, on stderr, and
 * returns the exit status it means. */
#include "cli.h"

#include <stdarg.h>

static void vreport(const char *fmt, va_list ap)
{
    fprintf(stderr, "clbfgs: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'clbfgs help'.\n");
    return EXIT_USAGE;
}

int cli_input_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_library_error(clbfgs_status status)
{
    fprintf(stderr, "clbfgs: %s: %s\n", clbfgs_strerror(status), clbfgs_last_error());
    switch (status) {
    case CLBFGS_ERR_INVALID_ARGUMENT: return EXIT_USAGE;
    case CLBFGS_ERR_OUT_OF_HOST_MEMORY: return EXIT_HOST;
    default: return EXIT_DEVICE;
    }
}

int cli_out_of_memory(const char *what)
{
    fprintf(stderr, "clbfgs: out of memory %s\n", what);
    return EXIT_HOST;
}

void cli_log(void *user, clbfgs_log_level level, const char *message)
{
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "clbfgs: %s: %s\n", level <= CLBFGS_LOG_DEBUG ? names[level] : "log", message);
}
