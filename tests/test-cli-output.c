/* The command's output and parsing, without a device: strict JSON, the
 * devices table, strict numbers and lists. */
#include "common.h"

#include "cli.h"

#include <math.h>

/* What call writes to out, as a held string. */
#define CAPTURE(text, call)                                                                        \
    do {                                                                                           \
        size_t size_;                                                                              \
        FILE *out = open_memstream(&(text), &size_);                                               \
        assert_non_null(out);                                                                      \
        call;                                                                                      \
        int closed_ = fclose(out);                                                                 \
        hold(text, free);                                                                          \
        assert_int_equal(closed_, 0);                                                              \
    } while (0)

static void inf_and_nan_are_null_in_json(void **state)
{
    (void)state;
    const double values[] = {(double)INFINITY, -(double)INFINITY, (double)NAN};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char *text = NULL;
        CAPTURE(text, cli_json_number(out, values[i]));
        assert_string_equal(text, "null");
        release_now(text);
    }
    char *text = NULL;
    CAPTURE(text, cli_json_number(out, 0.1));
    assert_string_equal(text, "0.10000000000000001"); /* round-trips */
}

static void json_strings_are_escaped(void **state)
{
    (void)state;
    char *text = NULL;
    CAPTURE(text, cli_json_string(out, "a\"b\\c\td\n\x01\x7f"));
    assert_string_equal(text, "\"a\\\"b\\\\c\\u0009d\\u000a\\u0001\\u007f\"");
}

static void valid_utf8_is_kept_and_invalid_bytes_replaced(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},                                     /* é */
        {"\xe2\x82\xac \xf0\x9f\x98\x80", "\"\xe2\x82\xac \xf0\x9f\x98\x80\""}, /* € 😀 */
        {"a\xffz", "\"a\\ufffdz\""},                              /* not UTF-8 at all */
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},                       /* an overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},            /* a surrogate */
        {"\xe2\x82", "\"\\ufffd\\ufffd\""},                       /* cut short */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* past U+10FFFF */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = NULL;
        CAPTURE(text, cli_json_string(out, cases[i].in));
        assert_string_equal(text, cases[i].out);
        release_now(text);
    }
}

static void the_devices_table_never_cuts_a_name(void **state)
{
    (void)state;
    clbfgs_device_info d;
    memset(&d, 0, sizeof d);
    const char *name = "pthread-skylake-avx512-AMD EPYC 9654 96-Core Processor with a long name";
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.opencl_version, sizeof d.opencl_version, "OpenCL 3.0 PoCL");
    d.type = CLBFGS_DEVICE_CPU;
    d.global_mem_bytes = 1 << 30;
    d.max_alloc_bytes = 1 << 29;
    d.compute_units = 2;
    char *text = NULL;
    CAPTURE(text, cli_print_devices_table(out, &d, 1));
    assert_non_null(strstr(text, name));
    /* and the columns after it still line up with the header's */
    const char *header_opencl = strstr(text, "OpenCL");
    const char *row = strchr(text, '\n') + 1;
    const char *row_version = strstr(row, " 3.0 ") + 1;
    assert_int_equal(header_opencl - text, row_version - row);
}

static void sizes_are_read_whole_and_in_range(void **state)
{
    (void)state;
    size_t v = 0;
    assert_int_equal(cli_parse_size("--n", "42", 1, 100, &v), EXIT_OK);
    assert_int_equal(v, 42);
    const char *bad[] = {"",   " 1",   "1 ",  "-1", " -1", "+1",
                         "1x", "0x10", "1e3", "0",  "101", "18446744073709551616"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 7;
        assert_int_equal(cli_parse_size("--n", bad[i], 1, 100, &v), EXIT_USAGE);
        assert_int_equal(v, 7); /* untouched */
    }
}

static void integers_are_read_into_their_own_range(void **state)
{
    (void)state;
    int64_t i;
    uint64_t u;
    assert_int_equal(cli_parse_int64("int", "-2147483648", INT32_MIN, INT32_MAX, &i), EXIT_OK);
    assert_int_equal(i, INT32_MIN);
    assert_int_equal(cli_parse_int64("int", "2147483648", INT32_MIN, INT32_MAX, &i), EXIT_USAGE);
    assert_int_equal(cli_parse_int64("long", "-9223372036854775808", INT64_MIN, INT64_MAX, &i),
                     EXIT_OK);
    assert_true(i == INT64_MIN);
    assert_int_equal(cli_parse_int64("long", "9223372036854775808", INT64_MIN, INT64_MAX, &i),
                     EXIT_USAGE);
    assert_int_equal(cli_parse_int64("int", "--1", INT32_MIN, INT32_MAX, &i), EXIT_USAGE);
    assert_int_equal(cli_parse_int64("int", "-", INT32_MIN, INT32_MAX, &i), EXIT_USAGE);
    assert_int_equal(cli_parse_uint64("ulong", "18446744073709551615", UINT64_MAX, &u), EXIT_OK);
    assert_true(u == UINT64_MAX);
    assert_int_equal(cli_parse_uint64("ulong", "18446744073709551616", UINT64_MAX, &u), EXIT_USAGE);
    assert_int_equal(cli_parse_uint64("uint", "-1", UINT32_MAX, &u), EXIT_USAGE);
}

static void reals_are_read_whole(void **state)
{
    (void)state;
    double d;
    assert_int_equal(cli_parse_double("--gtol", "-1.5e-3", &d), EXIT_OK);
    assert_true(d == -1.5e-3);
    assert_int_equal(cli_parse_double("--norm", "-inf", &d), EXIT_OK);
    assert_true(isinf(d) && d < 0);
    const char *bad[] = {"", " 1", "1 ", "1x", "1e999", "-1e999", "--1", ".", "e5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cli_parse_double("--gtol", bad[i], &d), EXIT_USAGE);
    assert_int_equal(cli_parse_finite("--fill", "nan", &d), EXIT_USAGE);
}

static void a_list_has_no_empty_elements(void **state)
{
    (void)state;
    double *v = NULL;
    size_t n = 0;
    int rc = cli_parse_list("--x0", "1, 2 3\n4", 10, &v, &n);
    hold(v, free);
    assert_int_equal(rc, EXIT_OK);
    assert_int_equal(n, 4);
    assert_true(v[0] == 1 && v[3] == 4);
    release_now(v);
    const char *bad[] = {"1,,2", ",1", "1,", "1, ,2", ",", "1;2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = cli_parse_list("--x0", bad[i], 10, &v, &n);
        hold(v, free);
        assert_int_equal(rc, EXIT_USAGE);
        assert_null(v);
    }
    v = NULL;
    rc = cli_parse_list("--x0", "1,2,3", 2, &v, &n);
    hold(v, free);
    assert_int_equal(rc, EXIT_USAGE); /* too many */
}

/* Removes a file and frees its name. */
static void remove_file(void *path)
{
    remove(path);
    free(path);
}

static void a_file_is_read_up_to_its_cap(void **state)
{
    (void)state;
    char *text = NULL;
    int rc = cli_read_file("--x0", "/dev/zero", 1 << 20, &text);
    hold(text, free);
    assert_int_equal(rc, EXIT_USAGE);
    assert_null(text);
    char *path = hold_alloc(32);
    snprintf(path, 32, "/tmp/clbfgs-test-cli-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unhold(path);
    hold(path, remove_file);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 10000; i++)
        fputs("1 ", f);
    fclose(f);
    rc = cli_read_file("--x0", path, 20000, &text);
    hold(text, free);
    assert_int_equal(rc, EXIT_OK); /* exactly the cap */
    assert_int_equal(strlen(text), 20000);
    release_now(text);
    text = NULL;
    rc = cli_read_file("--x0", path, 19999, &text);
    hold(text, free);
    assert_int_equal(rc, EXIT_USAGE);
    assert_null(text);
    release_now(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        held_test(inf_and_nan_are_null_in_json),
        held_test(json_strings_are_escaped),
        held_test(valid_utf8_is_kept_and_invalid_bytes_replaced),
        held_test(the_devices_table_never_cuts_a_name),
        held_test(sizes_are_read_whole_and_in_range),
        held_test(integers_are_read_into_their_own_range),
        held_test(reals_are_read_whole),
        held_test(a_list_has_no_empty_elements),
        held_test(a_file_is_read_up_to_its_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
