/* Following #include for the program cache's key. Directives are found line
 * by line without a preprocessor, so one inside a comment or a false #if is
 * followed too: that can only add a header to the key, or (when it does not
 * resolve) keep the program off the disk cache, never give a stale binary. */
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

/* The next #include on or after *p: the name (not terminated) and its
 * delimiter ('"' or '<'; 0 for a computed #include). 0 at the end. */
static int next_include(const char **p, const char **name, size_t *len, char *delim,
                        const char **line)
{
    for (const char *s = *p; *s;) {
        const char *eol = strchr(s, '\n');
        if (!eol)
            eol = s + strlen(s);
        const char *c = s;
        *line = s;
        s = *eol ? eol + 1 : eol;
        while (c < eol && (*c == ' ' || *c == '\t'))
            c++;
        if (c == eol || *c != '#')
            continue;
        c++;
        while (c < eol && (*c == ' ' || *c == '\t'))
            c++;
        if (eol - c < 7 || memcmp(c, "include", 7) != 0)
            continue;
        c += 7;
        if (c < eol && (*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                        (*c >= '0' && *c <= '9')))
            continue; /* #include_next and the like: another word */
        while (c < eol && (*c == ' ' || *c == '\t'))
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

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
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

/* Where the compiler finds name, malloc'd; NULL when nowhere (or out of memory). */
static char *resolve(const struct scan *s, const char *from_dir, const char *name, size_t len,
                     char delim)
{
    if (len > 0 && name[0] == '/') {
        char *path = join("", name, len);
        if (path && is_file(path))
            return path;
        free(path);
        return NULL;
    }
    for (size_t i = (delim == '"' && from_dir) ? 0 : 1; i <= s->ndirs; i++) {
        char *path = join(i == 0 ? from_dir : s->dirs[i - 1], name, len);
        if (path && is_file(path))
            return path;
        free(path);
    }
    return NULL;
}

static int scan(struct scan *s, const char *text, const char *from, const char *from_dir)
{
    const char *p = text, *name = NULL, *line = NULL;
    size_t len = 0;
    char delim;
    while (next_include(&p, &name, &len, &delim, &line)) {
        if (!delim)
            return fail(s, "%s has a computed #include (%.*s), which cannot be followed", from,
                        (int)strcspn(line, "\n"), line);
        char close = delim == '"' ? '"' : '>';
        char *path = resolve(s, from_dir, name, len, delim);
        if (!path)
            return fail(s, "#include %c%.*s%c in %s is not in %s%s", delim, (int)len, name, close,
                        from, s->ndirs ? "the -I directories" : "any -I directory (there are none)",
                        delim == '"' && from_dir ? " or beside it" : "");
        size_t size = 0;
        char *header = slurp(path, &size);
        if (!header) {
            int rc = fail(s, "cannot read %s: %s", path, strerror(errno));
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
            snprintf(entry, elen + 1, "#include %c%.*s%c in %s: %s sha256 %s\n", delim, (int)len,
                     name, close, from, path, hex);
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
                rc = scan(s, header, s->visited[s->nvisited - 1], dir);
            }
            free(dir);
        }
        free(path);
        free(header);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int clbfgs__includes_present(const char *source)
{
    const char *p = source, *name, *line;
    size_t len;
    char delim;
    return next_include(&p, &name, &len, &delim, &line);
}

int clbfgs__includes_list(const char *source, char *const *dirs, size_t ndirs, char **list,
                          char *why, size_t why_size)
{
    struct scan s = {.dirs = dirs, .ndirs = ndirs, .why = why, .why_size = why_size};
    *list = NULL;
    int rc = append(&s, "") == 0 ? scan(&s, source, "the source", NULL) : fail(&s, "out of memory");
    for (size_t i = 0; i < s.nvisited; i++)
        free(s.visited[i]);
    if (rc != 0) {
        free(s.list);
        return -1;
    }
    *list = s.list;
    return 0;
}
