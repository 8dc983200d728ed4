/* Helpers shared by the CMocka tests. */
#ifndef CLBFGS_TESTS_COMMON_H
#define CLBFGS_TESTS_COMMON_H

#include "clbfgs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* automake's code for a skipped test */
#define TEST_SKIP 77

/* Exits with 77 when the machine has no OpenCL platform at all, so the suite
 * reports a skip rather than a failure there. CI installs pocl, so it runs. */
static inline void skip_without_opencl(void)
{
    clbfgs_device_info *list = NULL;
    size_t count = 0;
    clbfgs_status status = clbfgs_devices(&list, &count);
    clbfgs_devices_free(list);
    if (status == CLBFGS_ERR_NO_PLATFORM) {
        fprintf(stderr, "skipped: %s\n", clbfgs_last_error());
        exit(TEST_SKIP);
    }
}

/* Under check-valgrind (CLBFGS_TEST_VALGRIND): a test may leave out what
 * only runs other kernel builds, or other sizes, of the same host code;
 * pocl compiles each program again there, for minutes, and make check
 * runs the whole test. */
static inline int under_valgrind(void)
{
    const char *v = getenv("CLBFGS_TEST_VALGRIND");
    return v && *v && strcmp(v, "0") != 0;
}

/* Seeds rand() from CLBFGS_TEST_SEED when set (to replay a run), else from
 * the clock, and prints the seed so a failure can be replayed; returns it
 * for failure messages. */
static inline unsigned seed_random(void)
{
    const char *fixed = getenv("CLBFGS_TEST_SEED");
    unsigned seed = fixed && *fixed ? (unsigned)strtoul(fixed, NULL, 10) : (unsigned)time(NULL);
    printf("# random seed %u (CLBFGS_TEST_SEED replays it)\n", seed);
    srand(seed);
    return seed;
}

/* Asserts that a status is success, printing the library's message if not. */
#define assert_ok(expr)                                                                            \
    do {                                                                                           \
        clbfgs_status st_ = (expr);                                                                \
        if (st_ != CLBFGS_SUCCESS)                                                                 \
            print_error("%s -> %s: %s\n", #expr, clbfgs_strerror(st_), clbfgs_last_error());       \
        assert_int_equal(st_, CLBFGS_SUCCESS);                                                     \
    } while (0)

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the name. */
static inline char *make_temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char *dir = malloc(4096);
    assert_non_null(dir);
    snprintf(dir, 4096, "%s/clbfgs-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        fail_msg("mkdtemp under %s failed", base && *base ? base : "/tmp");
    }
    return dir;
}

/* rm -r of a directory made by make_temp_dir (one level of files). */
void remove_temp_dir(const char *dir);

/* CMocka setup and teardown for a test that works in a fresh temporary
 * directory (*state, its name); the teardown also releases what was held. */
int temp_dir_setup(void **state);
int temp_dir_teardown(void **state);

/* The context a test program shares, made by context_setup and freed by
 * context_teardown (CMocka group fixtures). A program that uses them
 * declares `extern clbfgs_context *ctx;` itself (common.c defines it): here
 * it would shadow the contexts other tests name ctx. */
int context_setup(void **state);
int context_teardown(void **state);

/* A log callback that appends "LEVEL message" lines to a logbook. */
struct logbook {
    char text[8192];
};
void record(void *user, clbfgs_log_level level, const char *message);

/* Writes text to dir/name: 0 when written, -1 when not (for tests that
 * check it themselves); put_file asserts it was written. */
int write_text(const char *dir, const char *name, const char *text);
void put_file(const char *dir, const char *name, const char *text);

/* FNV-1a, 64 bits: the checksum of the cache's old file format, which the
 * tests forge to show a digest cannot be fooled the same way. */
uint64_t fnv1a64(const unsigned char *p, size_t len);

/* What a test holds. A failed assertion longjmps out of the test, so what
 * the test would have freed after it leaks, and valgrind's leak reports
 * bury the failure. A test holds each allocation as it makes it; the
 * teardown release_held_teardown releases them, newest first, whether the
 * test passed or failed. Only heap objects and handles can be held, never
 * the address of a local: the test's frame is gone when teardown runs. */
typedef void (*release_fn)(void *);

/* Holds p until released with fn; returns p. NULL is not held. */
void *hold(void *p, release_fn fn);
/* malloc(size) held for free(), asserting it succeeded. */
void *hold_alloc(size_t size);
/* Releases p now and forgets it: for a test whose order matters (what it
 * checks comes after the free). */
void release_now(void *p);
/* Forgets p without releasing it, where something else now owns it. */
void unhold(void *p);
/* A mark, and the release of everything held since it: for a helper called
 * in a loop, so the loop does not pile up what each round held. */
size_t held_mark(void);
void release_held_since(size_t mark);
/* Releases everything held, newest first; release_held_teardown does it as
 * a CMocka teardown, and held_test makes a test that uses it. */
void release_held(void);
int release_held_teardown(void **state);
#define held_test(f) cmocka_unit_test_teardown(f, release_held_teardown)

/* Release functions for what tests hold. */
void release_context(void *ctx);
void release_objective(void *obj);
void release_temp_dir(void *dir); /* removes the directory, frees the name */
void release_cl_mem(void *mem);
void release_cl_kernel(void *kernel);
void release_cl_program(void *program);
void release_cl_queue(void *queue);
void release_cl_context(void *context);

/* A zeroed result on the heap, held: its arrays and itself are freed by
 * the teardown. */
clbfgs_result *hold_result(void);

/* SciPy's rosen and rosen_der on the host, into *fx and g (n values). */
void rosen_on_host(const double *x, size_t n, double *fx, double *g);

#endif
