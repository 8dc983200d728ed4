/* Data files for the command (data.h): .npy and CSV tables. A data file is
 * usually written by another program, so every refusal names the file and
 * what to change there; every size is checked before it is multiplied or
 * allocated, because the sizes come from the file. */
#include "config.h"

#include "data.h"

#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A float array's header is under 128 bytes; NumPy pads it to 64-byte
 * alignment. Anything near this is not one of ours. */
#define NPY_MAX_HEADER ((size_t)1 << 16)
#define NPY_MAX_DIMS 64

/* Prints "clbfgs: OPTION: 'PATH': PROBLEM", as cli_read_file names a file
 * (quoted, so a name with blanks or colons reads whole); returns EXIT_USAGE. */
CLI_PRINTF(3, 4) static int bad_file(const char *option, const char *path, const char *fmt, ...)
{
    char problem[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    return cli_input_error("%s: '%s': %s", option, path, problem);
}

/* What fread's short count meant: a read error, or (0) the end of the file. */
static int read_error(const char *option, const char *path, FILE *f)
{
    if (!ferror(f))
        return EXIT_OK;
    return bad_file(option, path, "cannot read it: %s", strerror(errno));
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static void swap_bytes(unsigned char *p, size_t size)
{
    for (size_t i = 0; i < size / 2; i++) {
        unsigned char t = p[i];
        p[i] = p[size - 1 - i];
        p[size - 1 - i] = t;
    }
}

/* ---- the .npy header: a Python dict literal ---- */

typedef struct npy_header {
    char descr[32];
    int fortran_order;
    uint64_t shape[NPY_MAX_DIMS];
    size_t ndim;
    int seen_descr, seen_order, seen_shape;
} npy_header;

typedef struct header_parser {
    const char *text, *p;
    char *err; /* the problem, for the caller's message */
    size_t err_size;
} header_parser;

static void skip_blanks(header_parser *h)
{
    while (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r')
        h->p++;
}

static int syntax_error(header_parser *h, const char *what)
{
    /* Show the text from where it went wrong, without the padding after it. */
    size_t shown = strcspn(h->p, "\n");
    if (shown > 24)
        shown = 24;
    while (shown > 0 && h->p[shown - 1] == ' ')
        shown--;
    if (!*h->p || !shown)
        snprintf(h->err, h->err_size,
                 "its header is not a dictionary as NumPy writes it: %s at its end", what);
    else
        snprintf(h->err, h->err_size,
                 "its header is not a dictionary as NumPy writes it: %s at byte %zu ('%.*s')", what,
                 (size_t)(h->p - h->text), (int)shown, h->p);
    return -1;
}

/* A quoted Python string, without escapes (no dtype or key has one). */
static int parse_string(header_parser *h, char *out, size_t size)
{
    char quote = *h->p;
    if (quote != '\'' && quote != '"')
        return syntax_error(h, "a quoted string expected");
    const char *start = h->p + 1, *end = start;
    while (*end && *end != quote && *end != '\\' && *end != '\n')
        end++;
    if (*end != quote)
        return syntax_error(h, "a string without its closing quote");
    if ((size_t)(end - start) >= size)
        return syntax_error(h, "a string too long for a key or a dtype");
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    h->p = end + 1;
    return 0;
}

static int is_name_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int parse_bool(header_parser *h, int *out)
{
    if (strncmp(h->p, "True", 4) == 0 && !is_name_char(h->p[4])) {
        *out = 1;
        h->p += 4;
    } else if (strncmp(h->p, "False", 5) == 0 && !is_name_char(h->p[5])) {
        *out = 0;
        h->p += 5;
    } else {
        return syntax_error(h, "True or False expected");
    }
    return 0;
}

/* A tuple of whole numbers: "()", "(1000,)", "(1000, 3)"; also "(1000)"
 * and Python 2's "(1000L,)", which older NumPy wrote. */
static int parse_shape(header_parser *h, npy_header *hdr)
{
    if (*h->p != '(')
        return syntax_error(h, "a tuple expected for 'shape'");
    h->p++;
    hdr->ndim = 0;
    for (;;) {
        skip_blanks(h);
        if (*h->p == ')')
            break;
        if (*h->p < '0' || *h->p > '9')
            return syntax_error(h, "a whole number expected in 'shape'");
        uint64_t v = 0;
        for (; *h->p >= '0' && *h->p <= '9'; h->p++) {
            unsigned digit = (unsigned)(*h->p - '0');
            if (v > (UINT64_MAX - digit) / 10)
                return syntax_error(h, "a dimension too large for 64 bits");
            v = v * 10 + digit;
        }
        if (*h->p == 'L')
            h->p++;
        if (hdr->ndim == NPY_MAX_DIMS)
            return syntax_error(h, "more dimensions than NumPy allows");
        hdr->shape[hdr->ndim++] = v;
        skip_blanks(h);
        if (*h->p == ',')
            h->p++;
        else if (*h->p != ')')
            return syntax_error(h, "',' or ')' expected in 'shape'");
    }
    h->p++;
    return 0;
}

static int parse_header(const char *text, npy_header *hdr, char *err, size_t err_size)
{
    header_parser h = {.text = text, .p = text, .err = err, .err_size = err_size};
    memset(hdr, 0, sizeof *hdr);
    skip_blanks(&h);
    if (*h.p != '{')
        return syntax_error(&h, "'{' expected");
    h.p++;
    for (;;) {
        skip_blanks(&h);
        if (*h.p == '}')
            break;
        char key[32];
        if (parse_string(&h, key, sizeof key) != 0)
            return -1;
        skip_blanks(&h);
        if (*h.p != ':')
            return syntax_error(&h, "':' expected after a key");
        h.p++;
        skip_blanks(&h);
        int *seen;
        int rc;
        if (strcmp(key, "descr") == 0) {
            seen = &hdr->seen_descr;
            if (*h.p == '[') {
                snprintf(err, err_size,
                         "a structured dtype (a list of fields) is not supported: save a plain "
                         "float64 or float32 array");
                return -1;
            }
            rc = parse_string(&h, hdr->descr, sizeof hdr->descr);
        } else if (strcmp(key, "fortran_order") == 0) {
            seen = &hdr->seen_order;
            rc = parse_bool(&h, &hdr->fortran_order);
        } else if (strcmp(key, "shape") == 0) {
            seen = &hdr->seen_shape;
            rc = parse_shape(&h, hdr);
        } else {
            snprintf(err, err_size,
                     "its header has the key '%s'; NumPy writes only 'descr', 'fortran_order' and "
                     "'shape'",
                     key);
            return -1;
        }
        if (rc != 0)
            return -1;
        if (*seen) {
            snprintf(err, err_size, "its header has the key '%s' twice", key);
            return -1;
        }
        *seen = 1;
        skip_blanks(&h);
        if (*h.p == ',')
            h.p++;
        else if (*h.p != '}')
            return syntax_error(&h, "',' or '}' expected after a value");
    }
    h.p++;
    skip_blanks(&h);
    if (*h.p)
        return syntax_error(&h, "text after the dictionary");
    const char *missing = !hdr->seen_descr   ? "descr"
                          : !hdr->seen_order ? "fortran_order"
                          : !hdr->seen_shape ? "shape"
                                             : NULL;
    if (missing) {
        snprintf(err, err_size, "its header has no '%s'", missing);
        return -1;
    }
    return 0;
}

/* The kind of values a dtype's letter stands for, for the message. */
static const char *dtype_kind(char letter)
{
    switch (letter) {
    case 'i': return "integers";
    case 'u': return "unsigned integers";
    case 'b': return "booleans";
    case 'f': return "floats of another size";
    case 'c': return "complex numbers";
    case 'O': return "Python objects";
    case 'U': return "Unicode strings";
    case 'S':
    case 'a': return "byte strings";
    case 'V': return "raw records";
    case 'M': return "dates";
    case 'm': return "time deltas";
    default: return "not a kind NumPy writes";
    }
}

/* The item size of a dtype this reader takes (8 or 4) and whether its bytes
 * must be swapped here, or -1 after a message. */
static int check_dtype(const char *option, const char *path, const char *descr, size_t *size,
                       int *swap)
{
    char order = descr[0];
    const char *type =
        order == '<' || order == '>' || order == '=' || order == '|' ? descr + 1 : descr;
    int f8 = strcmp(type, "f8") == 0, f4 = strcmp(type, "f4") == 0;
    if ((f8 || f4) && (order == '<' || order == '=')) {
        *size = f8 ? 8 : 4;
        /* '=' is the reading machine's order, as NumPy reads it */
        *swap = order == '<' && !host_is_little_endian();
        return 0;
    }
    if ((f8 || f4) && order == '>')
        bad_file(option, path,
                 "dtype '%s' is big-endian: save it little-endian (array.astype('<%s'))", descr,
                 type);
    else
        bad_file(option, path,
                 "dtype '%s' (%s) is not supported: save float64 or float32 "
                 "(array.astype('float64'))",
                 descr, dtype_kind(*type));
    return -1;
}

static void format_shape(const npy_header *hdr, char *out, size_t size)
{
    size_t len = (size_t)snprintf(out, size, "(");
    for (size_t i = 0; i < hdr->ndim && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%llu", i ? ", " : "",
                                (unsigned long long)hdr->shape[i]);
    if (len < size)
        snprintf(out + len, size - len, hdr->ndim == 1 ? ",)" : ")");
}

/* ---- the .npy file ---- */

/* The bytes after the body, counted up to just past limit (a file that
 * runs on past the cap is not read to its end). */
static int count_rest(const char *option, const char *path, FILE *f, size_t limit, size_t *rest)
{
    unsigned char buf[4096];
    *rest = 0;
    size_t got;
    while (*rest <= limit && (got = fread(buf, 1, sizeof buf, f)) > 0)
        *rest += got;
    return read_error(option, path, f);
}

/* The body as read, in place: float32 (in the first half of values)
 * widened to double from the last, byte-swapped where the file's order is
 * not this machine's. */
static void widen(double *values, size_t count, size_t item, int swap)
{
    unsigned char *raw = (unsigned char *)values;
    if (item == 4) {
        /* From the last: value i's double (bytes 8i..) only covers floats i and above. */
        for (size_t i = count; i-- > 0;) {
            unsigned char bytes[4];
            float v;
            memcpy(bytes, raw + 4 * i, 4);
            if (swap)
                swap_bytes(bytes, 4);
            memcpy(&v, bytes, 4);
            values[i] = (double)v;
        }
    } else if (swap) {
        for (size_t i = 0; i < count; i++)
            swap_bytes(raw + 8 * i, 8);
    }
}

/* Rows [lo, hi) of rows for part `part` of `parts`: as even as can be, the
 * first rows % parts parts one row longer. */
static void part_rows(uint64_t rows, size_t part, size_t parts, uint64_t *lo, uint64_t *hi)
{
    uint64_t q = rows / parts, r = rows % parts;
    *lo = q * part + (part < r ? part : r);
    *hi = *lo + q + (part < r ? 1 : 0);
}

/* Part `part` of `parts` of the body: the rows [lo, hi) of part_rows, read
 * from where they sit in the file after its whole length has been checked. */
static int read_npy_part(const char *option, const char *path, FILE *f, uint64_t start,
                         uint64_t rows, uint64_t cols, size_t item, size_t part, size_t parts,
                         size_t max_bytes, cli_table *out)
{
    uint64_t lo, hi;
    part_rows(rows, part, parts, &lo, &hi);
    if (rows > UINT64_MAX / cols || rows * cols > (UINT64_MAX - start) / item)
        return bad_file(option, path, "its shape is too large to address");
    uint64_t body = rows * cols * item;
    if (fseeko(f, 0, SEEK_END) != 0)
        return cli_input_error("%s: cannot seek in '%s': %s", option, path, strerror(errno));
    off_t end = ftello(f);
    if (end < 0)
        return cli_input_error("%s: cannot tell the length of '%s': %s", option, path,
                               strerror(errno));
    if ((uint64_t)end != start + body)
        return bad_file(option, path,
                        "the header says %llu x %llu values (%llu bytes) but the file has %lld "
                        "bytes after it",
                        (unsigned long long)rows, (unsigned long long)cols,
                        (unsigned long long)body, (long long)end - (long long)start);
    out->rows = (size_t)(hi - lo);
    out->cols = (size_t)cols;
    if (hi == lo)
        return EXIT_OK; /* more parts than rows: this one holds none */
    if ((hi - lo) * cols > SIZE_MAX / sizeof(double) || (hi - lo) * cols * item > max_bytes)
        return bad_file(option, path,
                        "rows %llu to %llu of it are more than the %zu bytes a data file may "
                        "have",
                        (unsigned long long)lo, (unsigned long long)hi, max_bytes);
    size_t count = (size_t)((hi - lo) * cols), bytes = count * item;
    double *values = malloc(count * sizeof(double));
    if (!values)
        return cli_out_of_memory("reading a .npy file");
    if (fseeko(f, (off_t)(start + lo * cols * item), SEEK_SET) != 0 ||
        fread(values, 1, bytes, f) != bytes) {
        free(values);
        return read_error(option, path, f) ? EXIT_USAGE
                                           : bad_file(option, path, "it ended while being read");
    }
    out->values = values;
    return EXIT_OK;
}

static int read_npy(const char *option, const char *path, FILE *f, size_t max_bytes, size_t part,
                    size_t parts, size_t *total, cli_table *out)
{
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    unsigned char pre[12];
    size_t got = fread(pre, 1, 8, f);
    if (got < 8) {
        if (read_error(option, path, f))
            return EXIT_USAGE;
        if (got == 0)
            return bad_file(option, path, "the file is empty");
        return bad_file(option, path, "it is %zu bytes long, too short for a .npy file", got);
    }
    if (memcmp(pre, magic, sizeof magic) != 0)
        return bad_file(option, path,
                        "it is not a .npy file (it does not start with NumPy's \\x93NUMPY)");
    unsigned major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0)
        return bad_file(option, path,
                        ".npy format version %u.%u is not one this reader knows (1.0, 2.0, 3.0)",
                        major, minor);
    /* 1.0 has a 2-byte header length; 2.0 (and 3.0, a UTF-8 header) 4 bytes */
    size_t field = major == 1 ? 2 : 4, preamble = 8 + field;
    got = fread(pre + 8, 1, field, f);
    if (got < field)
        return read_error(option, path, f)
                   ? EXIT_USAGE
                   : bad_file(option, path, "the file ends inside its %zu-byte preamble", preamble);
    uint64_t header_len = 0;
    for (size_t i = field; i-- > 0;)
        header_len = header_len << 8 | pre[8 + i];
    if (header_len > NPY_MAX_HEADER)
        return bad_file(option, path,
                        "its header length is %llu bytes, more than a float array's header needs "
                        "(at most %zu)",
                        (unsigned long long)header_len, NPY_MAX_HEADER);
    if (preamble + header_len > max_bytes)
        return bad_file(option, path, "it is larger than %zu bytes", max_bytes);

    char *text = malloc((size_t)header_len + 1);
    if (!text)
        return cli_out_of_memory("reading a .npy header");
    got = fread(text, 1, (size_t)header_len, f);
    if (got < header_len) {
        free(text);
        return read_error(option, path, f)
                   ? EXIT_USAGE
                   : bad_file(option, path,
                              "its header is %llu bytes long but the file ends %zu bytes into it",
                              (unsigned long long)header_len, got);
    }
    text[header_len] = '\0';
    npy_header hdr;
    char err[256];
    int parsed = parse_header(text, &hdr, err, sizeof err);
    free(text);
    if (parsed != 0)
        return bad_file(option, path, "%s", err);

    size_t item;
    int swap;
    if (check_dtype(option, path, hdr.descr, &item, &swap) != 0)
        return EXIT_USAGE;
    const char *type_name = item == 8 ? "float64" : "float32";
    char shape[128];
    format_shape(&hdr, shape, sizeof shape);
    if (hdr.fortran_order)
        return bad_file(option, path,
                        "the array is in Fortran order: save it in C order "
                        "(numpy.ascontiguousarray(array))");
    if (hdr.ndim == 0)
        return bad_file(option, path,
                        "the array is 0-d (one number, shape ()): save a 1-D or 2-D array");
    if (hdr.ndim > 2)
        return bad_file(option, path,
                        "shape %s has %zu dimensions: only 1 (items) or 2 (items x values) are "
                        "supported",
                        shape, hdr.ndim);
    uint64_t rows = hdr.shape[0], cols = hdr.ndim == 2 ? hdr.shape[1] : 1;
    if (rows == 0 || cols == 0)
        return bad_file(option, path, "the array is empty (shape %s)", shape);
    if (rows > SIZE_MAX)
        return bad_file(option, path, "shape %s has more rows than this machine can count", shape);
    *total = (size_t)rows;
    int rc = EXIT_OK;
    if (parts > 1) {
        rc = read_npy_part(option, path, f, preamble + header_len, rows, cols, item, part, parts,
                           max_bytes, out);
        if (rc != EXIT_OK || !out->values)
            return rc;
        widen(out->values, out->rows * out->cols, item, swap);
        return EXIT_OK;
    }
    /* Each product checked before it is formed: the shape is the file's word. */
    if (rows > UINT64_MAX / cols || rows * cols > SIZE_MAX / sizeof(double) ||
        rows * cols * item > max_bytes - preamble - header_len)
        return bad_file(option, path,
                        "shape %s of %s is larger than the %zu bytes a data file may have", shape,
                        type_name, max_bytes);
    size_t count = (size_t)(rows * cols), body = count * item;
    char what[128];
    if (hdr.ndim == 1)
        snprintf(what, sizeof what, "%zu %s values (%zu bytes)", count, type_name, body);
    else
        snprintf(what, sizeof what, "%llu x %llu %s values (%zu bytes)", (unsigned long long)rows,
                 (unsigned long long)cols, type_name, body);

    double *values = malloc(count * sizeof(double));
    if (!values)
        return cli_out_of_memory("reading a .npy file");
    /* In one go: float32 lands in the first half and is widened in place. */
    got = fread(values, 1, body, f);
    if (got < body) {
        free(values);
        return read_error(option, path, f)
                   ? EXIT_USAGE
                   : bad_file(option, path,
                              "the header says %s but the file has %zu bytes after it", what, got);
    }
    size_t limit = max_bytes - preamble - (size_t)header_len - body, rest;
    if (count_rest(option, path, f, limit, &rest) != EXIT_OK) {
        free(values);
        return EXIT_USAGE;
    }
    if (rest > 0) {
        free(values);
        if (rest > limit)
            return bad_file(option, path,
                            "the header says %s but the file goes on past the cap of %zu bytes",
                            what, max_bytes);
        return bad_file(option, path, "the header says %s but the file has %zu bytes after it",
                        what, body + rest);
    }

    widen(values, count, item, swap);
    out->values = values;
    out->rows = (size_t)rows;
    out->cols = (size_t)cols;
    return EXIT_OK;
}

/* ---- CSV and blank-separated text ---- */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

typedef struct text_table {
    double *values;
    size_t count, cap;
    size_t rows, cols, first_line;
} text_table;

static int append(text_table *t, double v)
{
    if (t->count == t->cap) {
        size_t bigger_cap = t->cap ? t->cap * 2 : 256;
        double *bigger = bigger_cap <= SIZE_MAX / sizeof(double)
                             ? realloc(t->values, bigger_cap * sizeof(double))
                             : NULL;
        if (!bigger)
            return cli_out_of_memory("reading a data file");
        t->values = bigger;
        t->cap = bigger_cap;
    }
    t->values[t->count++] = v;
    return EXIT_OK;
}

/* One line (NUL-terminated, without its '\n'): a row, or nothing for a blank
 * or '#' line. */
static int parse_line(const char *option, const char *path, char *p, size_t line, text_table *t)
{
    while (is_blank(*p))
        p++;
    if (!*p || *p == '#')
        return EXIT_OK;
    size_t fields = 0;
    int need = 0; /* after a comma, another value must follow */
    while (*p || need) {
        size_t len = strcspn(p, ", \t\r\v\f");
        if (len == 0)
            return bad_file(option, path, "line %zu, field %zu is empty", line, fields + 1);
        char after = p[len];
        p[len] = '\0';
        double v;
        int r = cli_strict_double(p, &v);
        p[len] = after;
        if (r != 0)
            return bad_file(option, path, "line %zu, field %zu, '%.*s', is %s%s", line, fields + 1,
                            (int)(len < 40 ? len : 40), p,
                            r == -2 ? "out of the range of a double" : "not a number",
                            t->rows == 0 && r == -1 ? " (a heading must be a '#' line)" : "");
        int rc = append(t, v);
        if (rc != EXIT_OK)
            return rc;
        fields++;
        p += len;
        while (is_blank(*p))
            p++;
        need = *p == ',';
        if (need) {
            p++;
            while (is_blank(*p))
                p++;
        }
    }
    if (t->rows == 0) {
        t->cols = fields;
        t->first_line = line;
    } else if (fields != t->cols) {
        return bad_file(option, path, "line %zu has %zu fields, line %zu had %zu", line, fields,
                        t->first_line, t->cols);
    }
    t->rows++;
    return EXIT_OK;
}

static int read_text(const char *option, const char *path, size_t max_bytes, cli_table *out)
{
    char *text;
    int rc = cli_read_file(option, path, max_bytes, &text);
    if (rc != EXIT_OK)
        return rc;
    text_table t = {0};
    size_t line = 0;
    for (char *p = text; rc == EXIT_OK && *p;) {
        char *end = strchr(p, '\n');
        if (end)
            *end = '\0';
        rc = parse_line(option, path, p, ++line, &t);
        p = end ? end + 1 : p + strlen(p);
    }
    if (rc == EXIT_OK && t.rows == 0)
        rc =
            bad_file(option, path, "%s",
                     *text ? "it holds no numbers, only blank and '#' lines" : "the file is empty");
    free(text);
    if (rc != EXIT_OK) {
        free(t.values);
        return rc;
    }
    out->values = t.values;
    out->rows = t.rows;
    out->cols = t.cols;
    return EXIT_OK;
}

/* ---- either ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[n - k + i];
        if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != suffix[i])
            return 0;
    }
    return 1;
}

int cli_read_table(const char *option, const char *path, size_t max_bytes, cli_table *out)
{
    size_t total;
    return cli_read_table_part(option, path, max_bytes, 0, 1, out, &total);
}

int cli_read_table_part(const char *option, const char *path, size_t max_bytes, size_t part,
                        size_t parts, cli_table *out, size_t *total)
{
    memset(out, 0, sizeof *out);
    *total = 0;
    if (parts == 0 || part >= parts)
        return cli_usage_error("%s: part %zu of %zu does not exist", option, part, parts);
    if (max_bytes > SIZE_MAX / 2)
        max_bytes = SIZE_MAX / 2; /* so that counting past it cannot wrap */
    if (!*path)
        return cli_usage_error("%s: the file name is empty", option);
    if (ends_with(path, ".npz"))
        return bad_file(option, path,
                        "an .npz archive is not supported: save each array with numpy.save");
    if (!ends_with(path, ".npy")) {
        /* text cannot be entered at a row: read whole, keep the part */
        int rc = read_text(option, path, max_bytes, out);
        if (rc != EXIT_OK || parts <= 1) {
            *total = out->rows;
            return rc;
        }
        uint64_t lo, hi;
        *total = out->rows;
        part_rows(out->rows, part, parts, &lo, &hi);
        memmove(out->values, out->values + lo * out->cols,
                (size_t)(hi - lo) * out->cols * sizeof(double));
        out->rows = (size_t)(hi - lo);
        if (out->rows == 0) {
            free(out->values);
            out->values = NULL;
        }
        return EXIT_OK;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_input_error("%s: cannot open '%s': %s", option, path, strerror(errno));
    int rc = read_npy(option, path, f, max_bytes, part, parts, total, out);
    fclose(f);
    if (rc != EXIT_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

void cli_table_free(cli_table *t)
{
    if (!t)
        return;
    free(t->values);
    memset(t, 0, sizeof *t);
}
