/* Following #include for the program cache's key. Directives are found
 * line by line after translation phases 1 to 3 (trigraphs, joined lines,
 * comments gone, %: read as #), without macros or #if: one in a false #if is
 * followed too, which can only add a header to the key or (when it does
 * not resolve) keep the program off the disk cache, never give a stale
 * binary. What the scan cannot place makes the headers unknown. */
#include "config.h"

#include "includes.h"
#include "sha256.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Far beyond real kernels; a bound on what a cyclic or runaway tree costs. */
#define MAX_HEADERS 256

struct scan {
    char *const *dirs;
    size_t ndirs;
    char *list; /* the result so far */
    size_t list_len;
    char *visited[MAX_HEADERS];
    size_t nvisited;
    char *why;
    size_t why_size;
};

static int fail(struct scan *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, s->why_size, fmt, ap);
    va_end(ap);
    return -1;
}

static int append(struct scan *s, const char *text)
{
    size_t len = strlen(text);
    char *grown = realloc(s->list, s->list_len + len + 1);
    if (!grown)
        return -1;
    memcpy(grown + s->list_len, text, len + 1);
    s->list = grown;
    s->list_len += len;
    return 0;
}

static int is_ident(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

/* Identifiers through which the compiler can read a file: directives (#embed
 * too, which newer clangs have), and __has_include and __has_embed, whose
 * answers depend on which files exist. */
static int reads_files(const char *word, size_t len)
{
    static const char *const words[] = {"include",       "include_next",       "import",
                                        "__has_include", "__has_include_next", "embed",
                                        "__has_embed"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == len && memcmp(words[i], word, len) == 0)
            return 1;
    return 0;
}

/* Translation phases 1 to 3, as far as directives depend on them: line ends
 * become \n, trigraphs are read (pocl's clang reads them: ??=include is a
 * directive there), a backslash-newline (spaces may come between, as
 * compilers accept with a warning) joins lines, a comment becomes one space,
 * and %: is #. String and character literals are copied, so a comment
 * marker in one is kept; one left open ends at the line's end, as the
 * compiler's does. *words counts the identifiers for which reads_files()
 * holds, outside literals and the <...> of an #include; *trigraph_backslash
 * is set when the text has ??/, where a driver that does not read trigraphs
 * sees other lines, literals and comments. malloc'd; NULL when out of
 * memory. */
static char *phase3(const char *text, size_t *words, int *trigraph_backslash)
{
    size_t len = strlen(text);
    char *joined = malloc(len + 1), *out = malloc(len + 1);
    if (!joined || !out) {
        free(joined);
        free(out);
        return NULL;
    }
    /* Phase 1 into out, phase 2 from there into joined. */
    static const char trigraphs[] = "=#([)]'^<{>}!|-~/\\";
    char *o = out;
    *trigraph_backslash = 0;
    for (const char *c = text; *c;) {
        const char *t = c[0] == '?' && c[1] == '?' && c[2] ? strchr(trigraphs, c[2]) : NULL;
        if (t && (t - trigraphs) % 2 == 0) {
            *trigraph_backslash |= c[2] == '/';
            *o++ = t[1];
            c += 3;
        } else if (*c == '\r') {
            *o++ = '\n';
            c += c[1] == '\n' ? 2 : 1;
        } else {
            *o++ = *c++;
        }
    }
    *o = '\0';
    o = joined;
    for (const char *c = out; *c;) {
        if (*c == '\\') {
            const char *e = c + 1;
            while (is_space(*e))
                e++;
            if (*e == '\n') {
                c = e + 1;
                continue;
            }
        }
        *o++ = *c++;
    }
    *o = '\0';

    /* line_start: nothing but white space yet on this line; directive: the
     * next identifier names a directive; header: after #include, where a
     * <...> is a header name, not tokens. */
    int line_start = 1, directive = 0, header = 0;
    const char *c = joined;
    o = out;
    *words = 0;
    while (*c) {
        if (c[0] == '/' && c[1] == '*') {
            const char *end = strstr(c + 2, "*/");
            c = end ? end + 2 : c + strlen(c);
            *o++ = ' ';
        } else if (c[0] == '/' && c[1] == '/') {
            c += strcspn(c, "\n");
            *o++ = ' ';
        } else if (*c == '\n') {
            *o++ = *c++;
            line_start = 1;
            directive = header = 0;
        } else if (is_space(*c)) {
            *o++ = *c++;
        } else if (c[0] == '%' && c[1] == ':') {
            *o++ = '#';
            c += 2;
            directive = line_start;
            line_start = header = 0;
        } else if (*c == '#') {
            *o++ = *c++;
            directive = line_start;
            line_start = header = 0;
        } else if (*c == '"' || *c == '\'' || (*c == '<' && header)) {
            char close = *c == '<' ? '>' : *c;
            *o++ = *c++;
            while (*c && *c != '\n') {
                if (*c == '\\' && close != '>' && c[1] && c[1] != '\n')
                    *o++ = *c++;
                else if (*c == close) {
                    *o++ = *c++;
                    break;
                }
                *o++ = *c++;
            }
            line_start = directive = header = 0;
        } else if (is_ident(*c)) {
            size_t n = 1;
            while (is_ident(c[n]) || (*c >= '0' && *c <= '9' && c[n] == '.'))
                n++;
            int counts = !(*c >= '0' && *c <= '9') && reads_files(c, n);
            *words += (size_t)counts;
            header = directive && counts;
            memcpy(o, c, n);
            o += n;
            c += n;
            line_start = directive = 0;
        } else {
            *o++ = *c++;
            line_start = directive = header = 0;
        }
    }
    *o = '\0';
    free(joined);
    return out;
}

/* The next directive on or after *p in phase-3 text that reads a file:
 * #include or #import (include_next set for #include_next), the name (not
 * terminated) and its delimiter ('"' or '<'; 0 for a computed one). 0 at
 * the end. */
static int next_include(const char **p, const char **name, size_t *len, char *delim,
                        const char **line, int *include_next)
{
    for (const char *s = *p; *s;) {
        const char *eol = strchr(s, '\n');
        if (!eol)
            eol = s + strlen(s);
        const char *c = s;
        *line = s;
        s = *eol ? eol + 1 : eol;
        while (c < eol && is_space(*c))
            c++;
        if (c == eol || *c != '#')
            continue;
        c++;
        while (c < eol && is_space(*c))
            c++;
        size_t word = 0;
        while (c + word < eol && is_ident(c[word]))
            word++;
        if (!(word == 7 && memcmp(c, "include", 7) == 0) &&
            !(word == 6 && memcmp(c, "import", 6) == 0) &&
            !(word == 12 && memcmp(c, "include_next", 12) == 0))
            continue;
        *include_next = word == 12;
        c += word;
        while (c < eol && is_space(*c))
            c++;
        *p = s;
        *delim = 0;
        if (c < eol && (*c == '"' || *c == '<')) {
            const char *end = memchr(c + 1, *c == '"' ? '"' : '>', (size_t)(eol - c - 1));
            if (end) {
                *delim = *c;
                *name = c + 1;
                *len = (size_t)(end - c - 1);
            }
        }
        return 1;
    }
    return 0;
}

/* The whole file, malloc'd and NUL-terminated; NULL with errno set. */
static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            char *grown = realloc(data, cap = 2 * cap + 4096);
            if (!grown) {
                free(data);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        errno = EIO;
        return NULL;
    }
    data[len] = '\0';
    *size = len;
    return data;
}

/* 0 with *st when path is a regular file. */
static int file_stat(const char *path, struct stat *st)
{
    return stat(path, st) == 0 && S_ISREG(st->st_mode) ? 0 : -1;
}

static char *join(const char *dir, const char *name, size_t len)
{
    size_t dlen = strlen(dir);
    char *path = malloc(dlen + 1 + len + 1);
    if (path)
        snprintf(path, dlen + 1 + len + 1, "%s%s%.*s", dir, dlen && dir[dlen - 1] != '/' ? "/" : "",
                 (int)len, name);
    return path;
}

/* dir of path ("." when it has none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return join(".", "", 0);
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (dir) {
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    return dir;
}

/* Where the compiler finds name, malloc'd: a quoted name first in from_dir,
 * then every name in the -I directories in order. NULL when nowhere, or out
 * of memory. For the source itself (top), from_dir is the working
 * directory, which pocl's clang searches first; another driver may search
 * the source's directory (an -I here) first instead, so a quoted name found
 * in both, as different files, sets *twin to the other (malloc'd) and the
 * headers are unknown. */
static char *resolve(const struct scan *s, const char *from_dir, int top, const char *name,
                     size_t len, char delim, char **twin)
{
    struct stat st, other;
    *twin = NULL;
    if (len > 0 && name[0] == '/') {
        char *path = join("", name, len);
        if (path && file_stat(path, &st) == 0)
            return path;
        free(path);
        return NULL;
    }
    char *found = NULL;
    for (size_t i = delim == '"' ? 0 : 1; i <= s->ndirs; i++) {
        char *path = join(i == 0 ? from_dir : s->dirs[i - 1], name, len);
        if (!path)
            break;
        if (!found && file_stat(path, &st) == 0) {
            found = path;
            if (!(top && i == 0))
                return found;
        } else if (found && file_stat(path, &other) == 0 &&
                   (other.st_dev != st.st_dev || other.st_ino != st.st_ino)) {
            *twin = path;
            return found;
        } else {
            free(path);
        }
    }
    return found;
}

static int follow(struct scan *s, const char *from, const char *from_dir, int top, const char *name,
                  size_t len, char delim, const char *line, int include_next);

static int scan(struct scan *s, const char *raw, const char *from, const char *from_dir, int top)
{
    const char *p, *name = NULL, *line = NULL;
    size_t len = 0, words = 0, directives = 0;
    char delim;
    int include_next = 0, rc = 0, trigraph_backslash = 0;
    char *text = phase3(raw, &words, &trigraph_backslash);
    if (!text)
        return fail(s, "out of memory");
    if (trigraph_backslash) {
        free(text);
        return fail(s, "%s has the trigraph ?\?/, which drivers read differently", from);
    }
    for (p = text; next_include(&p, &name, &len, &delim, &line, &include_next);)
        directives++;
    /* A way of reading a file that the scan does not see as a directive
     * (one of a spelling it does not know, a macro expanding to include,
     * __has_include) would leave a header out of the key. */
    if (words > directives)
        rc = fail(s,
                  "%s spells include, import or __has_include %zu time%s but has %zu #include "
                  "directive%s the library can follow",
                  from, words, words == 1 ? "" : "s", directives, directives == 1 ? "" : "s");
    for (p = text; rc == 0 && next_include(&p, &name, &len, &delim, &line, &include_next);)
        rc = follow(s, from, from_dir, top, name, len, delim, line, include_next);
    free(text);
    return rc;
}

/* One directive: its entry in the list, then (once per file) its own. */
static int follow(struct scan *s, const char *from, const char *from_dir, int top, const char *name,
                  size_t len, char delim, const char *line, int include_next)
{
    if (include_next)
        return fail(s, "%s has #include_next (%.*s), whose search the library cannot follow", from,
                    (int)strcspn(line, "\n"), line);
    if (!delim)
        return fail(s, "%s has a computed #include (%.*s), which cannot be followed", from,
                    (int)strcspn(line, "\n"), line);
    char close = delim == '"' ? '"' : '>';
    char *twin = NULL;
    char *path = resolve(s, from_dir, top, name, len, delim, &twin);
    if (!path)
        return fail(s, "#include %c%.*s%c in %s is not in %s%s", delim, (int)len, name, close, from,
                    s->ndirs ? "the -I directories" : "any -I directory (there are none)",
                    delim != '"' ? ""
                    : top        ? " or the working directory"
                                 : " or beside it");
    if (twin) {
        int rc = fail(s,
                      "#include %c%.*s%c in %s is both %s and %s, and drivers differ on which "
                      "they read",
                      delim, (int)len, name, close, from, path, twin);
        free(twin);
        free(path);
        return rc;
    }
    size_t size = 0;
    char *header = slurp(path, &size);
    if (!header) {
        int rc = fail(s, "cannot read %s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    if (memchr(header, '\0', size)) { /* the scan would stop where the compiler reads on */
        int rc = fail(s, "%s holds a NUL byte", path);
        free(header);
        free(path);
        return rc;
    }
    unsigned char digest[CLBFGS_SHA256_SIZE];
    char hex[65];
    clbfgs__sha256(header, size, digest);
    clbfgs__sha256_hex(digest, hex);
    char *entry = NULL;
    size_t elen = (size_t)snprintf(NULL, 0, "#include %c%.*s%c in %s: %s sha256 %s\n", delim,
                                   (int)len, name, close, from, path, hex);
    int seen = 0;
    for (size_t i = 0; i < s->nvisited; i++)
        seen |= strcmp(s->visited[i], path) == 0;
    int rc = 0;
    if (!(entry = malloc(elen + 1))) {
        rc = fail(s, "out of memory");
    } else {
        snprintf(entry, elen + 1, "#include %c%.*s%c in %s: %s sha256 %s\n", delim, (int)len, name,
                 close, from, path, hex);
        if (append(s, entry) != 0)
            rc = fail(s, "out of memory");
    }
    free(entry);
    /* A header is followed once: guards make repeats empty, and it
     * resolves its own includes the same way each time. */
    if (rc == 0 && !seen) {
        char *dir = NULL;
        if (s->nvisited == MAX_HEADERS)
            rc = fail(s, "more than %d headers", MAX_HEADERS);
        else if (!(dir = dir_of(path)))
            rc = fail(s, "out of memory");
        else {
            s->visited[s->nvisited++] = path;
            path = NULL;
            rc = scan(s, header, s->visited[s->nvisited - 1], dir, 0);
        }
        free(dir);
    }
    free(path);
    free(header);
    return rc;
}

int clbfgs__includes_present(const char *source)
{
    size_t words = 0;
    int trigraph_backslash;
    char *text = phase3(source, &words, &trigraph_backslash);
    if (!text)
        return 1; /* cannot tell: as if it had, which only costs an -I */
    const char *p = text, *name, *line;
    size_t len;
    char delim;
    int include_next;
    int present = next_include(&p, &name, &len, &delim, &line, &include_next);
    free(text);
    return present;
}

int clbfgs__includes_list(const char *source, char *const *dirs, size_t ndirs, char **list,
                          char *why, size_t why_size)
{
    struct scan s = {.dirs = dirs, .ndirs = ndirs, .why = why, .why_size = why_size};
    *list = NULL;
    int rc =
        append(&s, "") == 0 ? scan(&s, source, "the source", ".", 1) : fail(&s, "out of memory");
    for (size_t i = 0; i < s.nvisited; i++)
        free(s.visited[i]);
    if (rc != 0) {
        free(s.list);
        return -1;
    }
    *list = s.list;
    return 0;
}
