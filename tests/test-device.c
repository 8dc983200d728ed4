/* Device enumeration and every selector form, good and bad. */
#include "common.h"

#include <ctype.h>

static clbfgs_device_info *devices;
static size_t n_devices;

static int setup(void **state)
{
    (void)state;
    unsetenv("CLBFGS_DEVICE");
    return clbfgs_devices(&devices, &n_devices) == CLBFGS_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clbfgs_devices_free(devices);
    return 0;
}

/* Each test's teardown: what it held, and a selector it left in the
 * environment when an assertion ended it early. */
static int teardown_test(void **state)
{
    unsetenv("CLBFGS_DEVICE");
    return release_held_teardown(state);
}

static void select_ok(const char *selector, clbfgs_device_info *out)
{
    assert_ok(clbfgs_select_device(selector, out));
}

static void every_device_is_listed_with_what_a_choice_needs(void **state)
{
    (void)state;
    assert_true(n_devices >= 1);
    for (size_t i = 0; i < n_devices; i++) {
        const clbfgs_device_info *d = &devices[i];
        assert_int_equal(d->index, i);
        assert_true(strlen(d->name) > 0);
        assert_true(strlen(d->platform_name) > 0);
        assert_non_null(strstr(d->opencl_version, "OpenCL"));
        assert_true(d->type >= CLBFGS_DEVICE_CPU && d->type <= CLBFGS_DEVICE_OTHER);
        assert_true(d->has_fp64 == 0 || d->has_fp64 == 1);
        assert_true(d->global_mem_bytes > 0);
        assert_true(d->max_alloc_bytes > 0 && d->max_alloc_bytes <= d->global_mem_bytes);
        assert_true(d->compute_units > 0);
        assert_non_null(d->device_id);
        if (i > 0) {
            const clbfgs_device_info *p = &devices[i - 1];
            assert_true(d->platform_index > p->platform_index ||
                        (d->platform_index == p->platform_index &&
                         d->device_index == p->device_index + 1));
        }
    }
}

static void an_index_selects_that_device(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_devices; i++) {
        char sel[32];
        clbfgs_device_info d;
        snprintf(sel, sizeof sel, "%zu", i);
        select_ok(sel, &d);
        assert_ptr_equal(d.device_id, devices[i].device_id);
        snprintf(sel, sizeof sel, "%u:%u", devices[i].platform_index, devices[i].device_index);
        select_ok(sel, &d);
        assert_ptr_equal(d.device_id, devices[i].device_id);
    }
}

static void a_type_selects_the_first_device_of_that_type(void **state)
{
    (void)state;
    const char *words[] = {"cpu", "gpu", "accelerator"};
    const char *upper[] = {"CPU", "Gpu", "ACCELERATOR"};
    const clbfgs_device_type types[] = {CLBFGS_DEVICE_CPU, CLBFGS_DEVICE_GPU,
                                        CLBFGS_DEVICE_ACCELERATOR};
    for (int t = 0; t < 3; t++) {
        long first = -1;
        for (size_t i = 0; i < n_devices && first < 0; i++)
            if (devices[i].type == types[t])
                first = (long)i;
        clbfgs_device_info d;
        clbfgs_status st = clbfgs_select_device(words[t], &d);
        if (first < 0) {
            assert_int_equal(st, CLBFGS_ERR_DEVICE_NOT_FOUND);
            assert_non_null(strstr(clbfgs_last_error(), "device type"));
        } else {
            assert_int_equal(st, CLBFGS_SUCCESS);
            assert_ptr_equal(d.device_id, devices[first].device_id);
            select_ok(upper[t], &d);
            assert_ptr_equal(d.device_id, devices[first].device_id);
        }
    }
}

static void part_of_a_name_in_any_case_selects_the_device(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_devices; i++) {
        /* A middle slice of the name, case flipped, must find this device or
         * an earlier one whose name also holds it. */
        char part[32];
        size_t len = strlen(devices[i].name);
        size_t start = len > 6 ? 2 : 0, take = len - start > 8 ? 8 : len - start;
        for (size_t k = 0; k < take; k++) {
            char c = devices[i].name[start + k];
            part[k] = islower((unsigned char)c) ? (char)toupper((unsigned char)c)
                                                : (char)tolower((unsigned char)c);
        }
        part[take] = '\0';
        clbfgs_device_info d;
        select_ok(part, &d);
        assert_true(d.index <= i);
    }
    /* The platform name counts too: the first device of the first platform. */
    clbfgs_device_info d;
    select_ok(devices[0].platform_name, &d);
    assert_int_equal(d.index, 0);
}

static void the_default_is_the_first_gpu_else_the_first_device(void **state)
{
    (void)state;
    size_t expected = 0;
    for (size_t i = n_devices; i-- > 0;)
        if (devices[i].type == CLBFGS_DEVICE_GPU)
            expected = i;
    clbfgs_device_info d;
    select_ok(NULL, &d);
    assert_int_equal(d.index, expected);
    select_ok("", &d);
    assert_int_equal(d.index, expected);
}

static void the_environment_chooses_when_the_api_does_not(void **state)
{
    (void)state;
    size_t last = n_devices - 1;
    char sel[32];
    snprintf(sel, sizeof sel, "%zu", last);
    setenv("CLBFGS_DEVICE", sel, 1);
    clbfgs_device_info d;
    select_ok(NULL, &d);
    assert_int_equal(d.index, last);
    /* The API's selector wins over the environment. */
    select_ok("0", &d);
    assert_int_equal(d.index, 0);
    unsetenv("CLBFGS_DEVICE");
}

static void a_bad_selector_in_the_environment_is_an_error_not_a_fallback(void **state)
{
    (void)state;
    setenv("CLBFGS_DEVICE", "no-such-device-anywhere", 1);
    clbfgs_device_info d;
    assert_int_equal(clbfgs_select_device(NULL, &d), CLBFGS_ERR_DEVICE_NOT_FOUND);
    assert_non_null(strstr(clbfgs_last_error(), "CLBFGS_DEVICE"));
    clbfgs_context *ctx = (clbfgs_context *)&d; /* poison: must be set to NULL */
    clbfgs_status st = clbfgs_context_new(&ctx, NULL);
    if (st == CLBFGS_SUCCESS)
        hold(ctx, release_context);
    assert_int_equal(st, CLBFGS_ERR_DEVICE_NOT_FOUND);
    assert_null(ctx);
    unsetenv("CLBFGS_DEVICE");
}

static void a_selector_that_matches_nothing_lists_the_devices(void **state)
{
    (void)state;
    char beyond[32], beyond_platform[32], beyond_device[32];
    snprintf(beyond, sizeof beyond, "%zu", n_devices);
    snprintf(beyond_platform, sizeof beyond_platform, "%u:0", devices[n_devices - 1].platform_index + 1);
    snprintf(beyond_device, sizeof beyond_device, "0:%zu", n_devices + 5);
    const char *bad[] = {beyond, beyond_platform, beyond_device, "zz-no-such-device", "-1",
                         "1:", ":0", "99999999999999999999"};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        clbfgs_device_info d;
        memset(&d, 0x5a, sizeof d);
        assert_int_equal(clbfgs_select_device(bad[b], &d), CLBFGS_ERR_DEVICE_NOT_FOUND);
        const char *msg = clbfgs_last_error();
        assert_non_null(strstr(msg, bad[b]));
        for (size_t i = 0; i < n_devices; i++)
            assert_non_null(strstr(msg, devices[i].name));
    }
}

static void a_context_runs_on_the_selected_device(void **state)
{
    (void)state;
    clbfgs_context_options opts;
    clbfgs_context_options_init(&opts);
    char sel[32];
    snprintf(sel, sizeof sel, "%zu", n_devices - 1);
    opts.device = sel;
    clbfgs_context *ctx = NULL;
    assert_ok(clbfgs_context_new(&ctx, &opts));
    hold(ctx, release_context);
    clbfgs_device_info d;
    assert_ok(clbfgs_context_device(ctx, &d));
    assert_ptr_equal(d.device_id, devices[n_devices - 1].device_id);
    assert_non_null(clbfgs_context_cl_context(ctx));
    assert_non_null(clbfgs_context_queue(ctx));
}

int main(void)
{
    skip_without_opencl();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(every_device_is_listed_with_what_a_choice_needs, teardown_test),
        cmocka_unit_test_teardown(an_index_selects_that_device, teardown_test),
        cmocka_unit_test_teardown(a_type_selects_the_first_device_of_that_type, teardown_test),
        cmocka_unit_test_teardown(part_of_a_name_in_any_case_selects_the_device, teardown_test),
        cmocka_unit_test_teardown(the_default_is_the_first_gpu_else_the_first_device,
                                  teardown_test),
        cmocka_unit_test_teardown(the_environment_chooses_when_the_api_does_not, teardown_test),
        cmocka_unit_test_teardown(a_bad_selector_in_the_environment_is_an_error_not_a_fallback,
                                  teardown_test),
        cmocka_unit_test_teardown(a_selector_that_matches_nothing_lists_the_devices, teardown_test),
        cmocka_unit_test_teardown(a_context_runs_on_the_selected_device, teardown_test),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
