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

/* Seeds rand() from CLBFGS_TEST_SEED when set (to replay a run), else from
 * the clock, and prints the seed so a failure can be replayed. */
static inline void seed_random(void)
{
    const char *fixed = getenv("CLBFGS_TEST_SEED");
    unsigned seed = fixed && *fixed ? (unsigned)strtoul(fixed, NULL, 10) : (unsigned)time(NULL);
    printf("# random seed %u (CLBFGS_TEST_SEED replays it)\n", seed);
    srand(seed);
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
    assert_non_null(mkdtemp(dir));
    return dir;
}

/* rm -r of a directory made by make_temp_dir (one level of files). */
void remove_temp_dir(const char *dir);

#endif
