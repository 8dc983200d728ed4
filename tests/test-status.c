/* Status codes, messages and the version: no device needed. */
#include "common.h"

static const clbfgs_status all_codes[] = {
    CLBFGS_SUCCESS,          CLBFGS_ERR_INVALID_ARGUMENT,   CLBFGS_ERR_OUT_OF_HOST_MEMORY,
    CLBFGS_ERR_NO_PLATFORM,  CLBFGS_ERR_DEVICE_NOT_FOUND,   CLBFGS_ERR_OPENCL,
    CLBFGS_ERR_BUILD,        CLBFGS_ERR_KERNEL_NOT_FOUND,   CLBFGS_ERR_UNSUPPORTED,
    CLBFGS_ERR_OUT_OF_DEVICE_MEMORY, CLBFGS_ERR_BLAS, CLBFGS_ERR_OBJECTIVE,
    CLBFGS_ERR_CALLBACK};

static void every_status_has_its_own_message(void **state)
{
    (void)state;
    size_t n = sizeof all_codes / sizeof all_codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *a = clbfgs_strerror(all_codes[i]);
        assert_non_null(a);
        assert_true(strlen(a) > 3);
        assert_string_not_equal(a, "unknown status");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(a, clbfgs_strerror(all_codes[j]));
    }
}

static void an_unknown_status_is_named_unknown(void **state)
{
    (void)state;
    assert_string_equal(clbfgs_strerror((clbfgs_status)12345), "unknown status");
}

static void a_null_argument_is_named_in_the_message(void **state)
{
    (void)state;
    assert_int_equal(clbfgs_devices(NULL, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "must not be NULL"));
    assert_int_equal(clbfgs_context_new(NULL, NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "clbfgs_context_new"));
    assert_int_equal(clbfgs_select_device("0", NULL), CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "clbfgs_select_device"));
}

static void the_version_matches_the_header(void **state)
{
    (void)state;
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", CLBFGS_VERSION_MAJOR, CLBFGS_VERSION_MINOR,
             CLBFGS_VERSION_PATCH);
    assert_string_equal(clbfgs_version(), expected);
}

static void free_functions_accept_null(void **state)
{
    (void)state;
    clbfgs_context_free(NULL);
    clbfgs_devices_free(NULL);
    clbfgs_context_options_init(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_status_has_its_own_message),
        cmocka_unit_test(an_unknown_status_is_named_unknown),
        cmocka_unit_test(a_null_argument_is_named_in_the_message),
        cmocka_unit_test(the_version_matches_the_header),
        cmocka_unit_test(free_functions_accept_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
