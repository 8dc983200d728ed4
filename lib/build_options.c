/* Checking build options before the driver sees them: pocl 3.1 segfaults on
 * a trailing "-D" or "-I" (it reads the missing next token), and other
 * mistakes surface as a driver error that does not say which option. */
#include "config.h"

#include "build_options.h"

#include <stdlib.h>
#include <string.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next token from *p: its start and length (quotes kept). Returns 0 at
 * the end, 1 for a token, -1 for a token with an unbalanced quote. */
static int next_token(const char **p, const char **start, size_t *len)
{
    const char *s = *p;
    while (*s && is_space(*s))
        s++;
    if (!*s)
        return 0;
    *start = s;
    char quote = 0;
    for (; *s && (quote || !is_space(*s)); s++) {
        if (quote && *s == quote)
            quote = 0;
        else if (!quote && (*s == '"' || *s == '\''))
            quote = *s;
    }
    *len = (size_t)(s - *start);
    *p = s;
    return quote ? -1 : 1;
}

/* The token without its quotes, malloc'd; NULL when out of memory. */
static char *unquote(const char *start, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char c = start[i];
        if (quote && c == quote)
            quote = 0;
        else if (!quote && (c == '"' || c == '\''))
            quote = c;
        else
            *o++ = c;
    }
    *o = '\0';
    return out;
}

/* -D and -I, alone or with their argument attached. */
static int is_option(const char *start, size_t len, char letter)
{
    return len >= 2 && start[0] == '-' && start[1] == letter;
}

static clbfgs_status invalid(const char *where, const char *options, const char *start, size_t len,
                             const char *why)
{
    return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "invalid build option '%.*s' in %s ('%s'): %s",
                        (int)len, start, where, options, why);
}

clbfgs_status clbfgs__build_options_check(const char *options, const char *where)
{
    if (!options)
        return CLBFGS_SUCCESS;
    const char *p = options, *start = NULL, *arg = NULL;
    size_t len = 0, arg_len = 0;
    int got;
    while ((got = next_token(&p, &start, &len)) != 0) {
        if (got < 0)
            return invalid(where, options, start, len, "a quote is not closed");
        int define = is_option(start, len, 'D'), include = is_option(start, len, 'I');
        if (!define && !include)
            continue;
        if (len > 2) {
            arg = start + 2;
            arg_len = len - 2;
        } else {
            const char *flag = start;
            got = next_token(&p, &arg, &arg_len);
            if (got == 0)
                return invalid(where, options, flag, 2,
                               define ? "-D needs a macro name (-DNAME or -DNAME=value)"
                                      : "-I needs a directory (-I DIR or -IDIR)");
            if (got < 0)
                return invalid(where, options, arg, arg_len, "a quote is not closed");
            if (*arg == '-')
                return invalid(where, options, flag, 2,
                               define ? "-D is followed by another option, not a macro name"
                                      : "-I is followed by another option, not a directory "
                                        "(write ./-dir for a directory named so)");
            start = flag;
            len = (size_t)(arg + arg_len - flag);
        }
        char *value = unquote(arg, arg_len);
        if (!value)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "checking build options");
        int bad = define ? !(value[0] == '_' || (value[0] >= 'A' && value[0] <= 'Z') ||
                             (value[0] >= 'a' && value[0] <= 'z'))
                         : value[0] == '\0';
        free(value);
        if (bad)
            return invalid(where, options, start, len,
                           define ? "a macro name starts with a letter or '_'"
                                  : "the directory is empty");
    }
    return CLBFGS_SUCCESS;
}

void clbfgs__build_options_free(char **dirs, size_t count)
{
    if (!dirs)
        return;
    for (size_t i = 0; i < count; i++)
        free(dirs[i]);
    free(dirs);
}

int clbfgs__build_options_include_dirs(const char *options, char ***dirs, size_t *count,
                                       int *quoted)
{
    *dirs = NULL;
    *count = 0;
    *quoted = 0;
    const char *p = options ? options : "", *start, *arg;
    size_t len, arg_len, n = 0;
    char **list = NULL;
    while (next_token(&p, &start, &len) > 0) {
        if (!is_option(start, len, 'I'))
            continue;
        if (len > 2) {
            arg = start + 2;
            arg_len = len - 2;
        } else if (next_token(&p, &arg, &arg_len) <= 0) {
            break; /* unchecked options; the check reports it */
        }
        char **grown = realloc(list, (n + 1) * sizeof *list);
        if (!grown || !(grown[n] = unquote(arg, arg_len))) {
            clbfgs__build_options_free(grown ? grown : list, n);
            return -1;
        }
        list = grown;
        if (memchr(arg, '"', arg_len) || memchr(arg, '\'', arg_len))
            *quoted = 1;
        n++;
    }
    *dirs = list;
    *count = n;
    return 0;
}
