/* Option scanning for every command: getopt_long, with our own messages
 * and no abbreviations. */
#include "cli.h"

#include <string.h>

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
