#include "common.h"

#include <dirent.h>
#include <unistd.h>

void remove_temp_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[8192];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

#define MAX_HELD 256

static struct {
    void *p;
    release_fn fn;
} held[MAX_HELD];
static size_t n_held;

void *hold(void *p, release_fn fn)
{
    if (!p)
        return NULL;
    if (n_held == MAX_HELD) {
        fn(p);
        fail_msg("more than %d allocations held at once", MAX_HELD);
    }
    held[n_held].p = p;
    held[n_held].fn = fn;
    n_held++;
    return p;
}

void *hold_alloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    assert_non_null(p);
    return hold(p, free);
}

/* The newest entry for p, which must be held. */
static size_t find_held(void *p)
{
    for (size_t i = n_held; i-- > 0;)
        if (held[i].p == p)
            return i;
    fail_msg("%p is not held", p);
    return 0;
}

static void forget(size_t i)
{
    memmove(&held[i], &held[i + 1], (n_held - i - 1) * sizeof held[0]);
    n_held--;
}

void release_now(void *p)
{
    if (!p)
        return;
    size_t i = find_held(p);
    release_fn fn = held[i].fn;
    forget(i);
    fn(p);
}

void unhold(void *p)
{
    if (p)
        forget(find_held(p));
}

size_t held_mark(void) { return n_held; }

void release_held_since(size_t mark)
{
    while (n_held > mark) {
        n_held--;
        held[n_held].fn(held[n_held].p);
    }
}

void release_held(void) { release_held_since(0); }

int release_held_teardown(void **state)
{
    (void)state;
    release_held();
    return 0;
}

void release_context(void *ctx) { clbfgs_context_free(ctx); }

void release_objective(void *obj) { clbfgs_objective_free(obj); }

void release_temp_dir(void *dir)
{
    remove_temp_dir(dir);
    free(dir);
}

void release_cl_mem(void *mem) { clReleaseMemObject(mem); }

void release_cl_kernel(void *kernel) { clReleaseKernel(kernel); }

void release_cl_program(void *program) { clReleaseProgram(program); }

void release_cl_queue(void *queue) { clReleaseCommandQueue(queue); }

void release_cl_context(void *context) { clReleaseContext(context); }

static void release_result(void *r)
{
    clbfgs_result_free(r);
    free(r);
}

clbfgs_result *hold_result(void)
{
    clbfgs_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return hold(r, release_result);
}

int temp_dir_setup(void **state)
{
    *state = make_temp_dir();
    return 0;
}

int temp_dir_teardown(void **state)
{
    release_held();
    remove_temp_dir(*state);
    free(*state);
    return 0;
}

uint64_t fnv1a64(const unsigned char *p, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

clbfgs_context *ctx;

int context_setup(void **state)
{
    (void)state;
    return clbfgs_context_new(&ctx, NULL) == CLBFGS_SUCCESS ? 0 : -1;
}

int context_teardown(void **state)
{
    (void)state;
    clbfgs_context_free(ctx);
    ctx = NULL;
    return 0;
}

void record(void *user, clbfgs_log_level level, const char *message)
{
    struct logbook *book = user;
    size_t used = strlen(book->text);
    snprintf(book->text + used, sizeof book->text - used, "%d %s\n", (int)level, message);
}

int write_text(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int bad = fputs(text, f) < 0;
    return fclose(f) != 0 || bad ? -1 : 0;
}

void put_file(const char *dir, const char *name, const char *text)
{
    assert_int_equal(write_text(dir, name, text), 0);
}

void rosen_on_host(const double *x, size_t n, double *fx, double *g)
{
    double f = 0;
    for (size_t i = 0; i < n; i++)
        g[i] = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double d = x[i + 1] - x[i] * x[i];
        f += 100 * d * d + (1 - x[i]) * (1 - x[i]);
        g[i] += -400 * x[i] * d - 2 * (1 - x[i]);
        g[i + 1] += 200 * d;
    }
    *fx = f;
}
