/* Strict parsing for the command: numbers read whole (strtod and strtoull
 * alone skip leading spaces and strtoull negates a '-'), lists with no empty
 * elements, files read up to a cap. Every failure prints a message that names
 * the option and the text. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int cli_parse_uint64(const char *option, const char *text, uint64_t max, uint64_t *out)
{
    if (!all_digits(text))
        return cli_usage_error("%s: '%s' is not a whole number (digits only, no sign or spaces)",
                               option, text);
    errno = 0;
    unsigned long long v = strtoull(text, NULL, 10);
    if (errno == ERANGE || v > max)
        return cli_usage_error("%s: %s is out of range (at most %llu)", option, text,
                               (unsigned long long)max);
    *out = (uint64_t)v;
    return EXIT_OK;
}

int cli_parse_int64(const char *option, const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (!all_digits(text[0] == '-' ? text + 1 : text))
        return cli_usage_error("%s: '%s' is not a whole number (digits with an optional '-', no "
                               "spaces)",
                               option, text);
    errno = 0;
    long long v = strtoll(text, NULL, 10);
    if (errno == ERANGE || v < min || v > max)
        return cli_usage_error("%s: %s is out of range (%lld to %lld)", option, text,
                               (long long)min, (long long)max);
    *out = (int64_t)v;
    return EXIT_OK;
}

int cli_parse_size(const char *option, const char *text, size_t min, size_t max, size_t *out)
{
    uint64_t v;
    int rc = cli_parse_uint64(option, text, (uint64_t)max, &v);
    if (rc != EXIT_OK)
        return rc;
    if (v < min)
        return cli_usage_error("%s: %s is out of range (%zu to %zu)", option, text, min, max);
    *out = (size_t)v;
    return EXIT_OK;
}

int cli_strict_double(const char *text, double *out)
{
    const char *s = text;
    if (*s == '+' || *s == '-')
        s++;
    /* strtod skips leading white space, also after our sign check */
    if (!*s || !(*s == '.' || (*s >= '0' && *s <= '9') || *s == 'i' || *s == 'I' || *s == 'n' ||
                 *s == 'N'))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end)
        return -1;
    if (errno == ERANGE && isinf(v))
        return -2; /* 1e999 is not inf: the user wrote a finite number */
    *out = v;
    return 0;
}

int cli_parse_double(const char *option, const char *text, double *out)
{
    int r = cli_strict_double(text, out);
    if (r == -2)
        return cli_usage_error("%s: %s is out of the range of a double", option, text);
    if (r != 0)
        return cli_usage_error("%s: '%s' is not a number", option, text);
    return EXIT_OK;
}

int cli_parse_finite(const char *option, const char *text, double *out)
{
    int rc = cli_parse_double(option, text, out);
    if (rc == EXIT_OK && !isfinite(*out))
        return cli_usage_error("%s must be a finite number, not '%s'", option, text);
    return rc;
}

int cli_parse_precision(const char *option, const char *text, clbfgs_precision *out)
{
    if (strcmp(text, "double") == 0)
        *out = CLBFGS_PRECISION_DOUBLE;
    else if (strcmp(text, "float") == 0)
        *out = CLBFGS_PRECISION_FLOAT;
    else if (strcmp(text, "auto") == 0)
        *out = CLBFGS_PRECISION_AUTO;
    else
        return cli_usage_error("%s must be double, float or auto, not '%s'", option, text);
    return EXIT_OK;
}

int cli_read_file(const char *option, const char *path, size_t max_bytes, char **out)
{
    *out = NULL;
    if (!*path)
        return cli_usage_error("%s: the file name is empty", option);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_input_error("%s: cannot open '%s': %s", option, path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    int rc = text ? EXIT_OK : cli_out_of_memory("reading a file");
    while (rc == EXIT_OK) {
        if (len + 1 == cap) {
            /* Room for one byte past the cap (which tells it was passed) and the NUL. */
            size_t bigger_cap = cap < (max_bytes + 2) / 2 ? cap * 2 : max_bytes + 2;
            char *bigger = realloc(text, bigger_cap);
            if (!bigger) {
                rc = cli_out_of_memory("reading a file");
                break;
            }
            text = bigger;
            cap = bigger_cap;
        }
        size_t want = cap - 1 - len;
        if (want > max_bytes + 1 - len)
            want = max_bytes + 1 - len; /* one byte past the cap tells it was reached */
        size_t got = fread(text + len, 1, want, f);
        if (memchr(text + len, '\0', got)) {
            rc = cli_input_error("%s: '%s' is not a text file (it holds a NUL byte)", option, path);
            break;
        }
        len += got;
        if (len > max_bytes) {
            rc = cli_input_error("%s: '%s' is larger than %zu bytes", option, path, max_bytes);
            break;
        }
        if (got < want) {
            if (ferror(f))
                rc = cli_input_error("%s: cannot read '%s': %s", option, path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc != EXIT_OK) {
        free(text);
        return rc;
    }
    text[len] = '\0';
    *out = text;
    return EXIT_OK;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Walks the elements of a list: separated by a comma (with optional white
 * space around it) or by white space alone, none empty. Calls take for each
 * (NULL only counts them); it returns EXIT_OK, or an exit status after its
 * own message, which ends the walk. More than max_count elements is an
 * error. where names the file (" in FILE") or is "". */
typedef int (*list_take_fn)(void *user, size_t index, const char *token);

static int scan_list(const char *option, const char *where, const char *text, size_t max_count,
                     list_take_fn take, void *user, size_t *count)
{
    size_t n = 0;
    const char *p = text;
    while (is_space(*p))
        p++;
    int need = 0; /* after a comma, another value must follow */
    while (*p || need) {
        size_t len = 0;
        while (p[len] && p[len] != ',' && !is_space(p[len]))
            len++;
        if (len == 0)
            return cli_usage_error("%s: value %zu%s is empty", option, n + 1, where);
        char token[512];
        if (len >= sizeof token)
            return cli_usage_error("%s: value %zu%s ('%.20s...') is too long for a number", option,
                                   n + 1, where, p);
        if (n == max_count)
            return cli_usage_error("%s: more than %zu values%s", option, max_count, where);
        memcpy(token, p, len);
        token[len] = '\0';
        if (take) {
            int rc = take(user, n, token);
            if (rc != EXIT_OK)
                return rc;
        }
        n++;
        p += len;
        while (is_space(*p))
            p++;
        need = *p == ',';
        if (need) {
            p++;
            while (is_space(*p))
                p++;
        }
    }
    *count = n;
    return EXIT_OK;
}

/* A growing array of numbers, for scan_list. */
struct number_list {
    const char *option, *where;
    double *v;
    size_t cap;
};

static int take_number(void *user, size_t index, const char *token)
{
    struct number_list *l = user;
    double d;
    int r = cli_strict_double(token, &d);
    if (r != 0)
        return cli_usage_error("%s: value %zu%s, '%s', is %s", l->option, index + 1, l->where,
                               token, r == -2 ? "out of the range of a double" : "not a number");
    if (index == l->cap) {
        size_t bigger_cap = l->cap ? l->cap * 2 : 16;
        double *bigger =
            bigger_cap <= SIZE_MAX / sizeof *l->v ? realloc(l->v, bigger_cap * sizeof *l->v) : NULL;
        if (!bigger)
            return cli_out_of_memory("reading a list of numbers");
        l->v = bigger;
        l->cap = bigger_cap;
    }
    l->v[index] = d;
    return EXIT_OK;
}

static int parse_list_text(const char *option, const char *where, const char *text,
                           size_t max_count, double **out, size_t *count)
{
    struct number_list l = {option, where, NULL, 0};
    int rc = scan_list(option, where, text, max_count, take_number, &l, count);
    if (rc != EXIT_OK) {
        free(l.v);
        return rc;
    }
    *out = l.v;
    return EXIT_OK;
}

/* The text of a LIST or of its @FILE (*text the caller's to free), and
 * where it came from for messages (" in FILE", or ""; *where the caller's
 * to free, or NULL). */
static int list_source(const char *option, const char *spec, char **text, char **where)
{
    *text = NULL;
    *where = NULL;
    if (spec[0] != '@')
        return EXIT_OK;
    int rc = cli_read_file(option, spec + 1, CLI_MAX_FILE_BYTES, text);
    if (rc != EXIT_OK)
        return rc;
    size_t size = strlen(spec) + 8;
    *where = malloc(size);
    if (!*where) {
        free(*text);
        *text = NULL;
        return cli_out_of_memory("reading a list of numbers");
    }
    snprintf(*where, size, " in %s", spec + 1);
    return EXIT_OK;
}

int cli_parse_list(const char *option, const char *spec, size_t max_count, double **out,
                   size_t *count)
{
    *out = NULL;
    *count = 0;
    char *text, *where;
    int rc = list_source(option, spec, &text, &where);
    if (rc == EXIT_OK)
        rc = parse_list_text(option, where ? where : "", text ? text : spec, max_count, out, count);
    free(where);
    free(text);
    return rc;
}

/* --bounds' values as scan_list reads them: where they go, and how to name
 * the one that is wrong. */
struct bound_list {
    const char *where;
    int each; /* one pair for every coordinate */
    double *pair;
    double *lower, *upper;
};

static int take_bound(void *user, size_t index, const char *token)
{
    struct bound_list *b = user;
    int is_upper = index % 2 == 1;
    char what[96];
    if (b->each)
        snprintf(what, sizeof what, "the %s bound of every coordinate",
                 is_upper ? "upper" : "lower");
    else
        snprintf(what, sizeof what, "the %s bound of x[%zu]", is_upper ? "upper" : "lower",
                 index / 2);
    double d;
    if (strcmp(token, "none") == 0 || strcmp(token, "None") == 0) { /* SciPy's spelling too */
        d = is_upper ? INFINITY : -INFINITY;
    } else {
        int r = cli_strict_double(token, &d);
        if (r != 0)
            return cli_usage_error(
                "--bounds: value %zu%s (%s), '%s', is %s", index + 1, b->where, what, token,
                r == -2 ? "out of the range of a double" : "not a number, inf, -inf or none");
        if (isnan(d))
            return cli_usage_error("--bounds: value %zu%s (%s) is NaN; no bound on that side is "
                                   "none (or -inf, inf)",
                                   index + 1, b->where, what);
    }
    if (b->each)
        b->pair[index] = d;
    else
        (is_upper ? b->upper : b->lower)[index / 2] = d;
    return EXIT_OK;
}

int cli_parse_bounds(const char *spec, size_t n, double **lower, double **upper)
{
    *lower = *upper = NULL;
    char *text, *where;
    int rc = list_source("--bounds", spec, &text, &where);
    const char *list = text ? text : spec, *in = where ? where : "";
    size_t count = 0;
    if (rc == EXIT_OK)
        rc = scan_list("--bounds", in, list, SIZE_MAX, NULL, NULL, &count);
    if (rc == EXIT_OK && count == 0)
        rc = cli_usage_error("--bounds holds no values%s", in);
    else if (rc == EXIT_OK && count != 2 && count != 2 * n)
        rc = cli_usage_error("--bounds has %zu values%s; n = %zu takes 2 (one lower,upper pair "
                             "for every coordinate) or %zu (a pair per coordinate)",
                             count, in, n, 2 * n);
    double pair[2];
    struct bound_list b = {in, count == 2, pair, NULL, NULL};
    if (rc == EXIT_OK) {
        b.lower = malloc(n * sizeof *b.lower); /* n <= CLI_MAX_N: no overflow */
        b.upper = malloc(n * sizeof *b.upper);
        if (!b.lower || !b.upper)
            rc = cli_out_of_memory("for the bounds");
    }
    if (rc == EXIT_OK)
        rc = scan_list("--bounds", in, list, count, take_bound, &b, &count);
    if (rc == EXIT_OK && b.each)
        for (size_t i = 0; i < n; i++) {
            b.lower[i] = pair[0];
            b.upper[i] = pair[1];
        }
    free(where);
    free(text);
    if (rc != EXIT_OK) {
        free(b.lower);
        free(b.upper);
        return rc;
    }
    *lower = b.lower;
    *upper = b.upper;
    return EXIT_OK;
}
