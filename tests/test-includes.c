/* Following #include for the program cache's key, without a device: what is
 * found where, what cannot be followed, and the -I directories of options. */
#include "common.h"

#include "build_options.h"
#include "includes.h"

#include <sys/stat.h>
#include <unistd.h>

/* The list for source with dir as the only -I directory, held; NULL with why. */
static char *list_of(const char *source, const char *dir, char *why)
{
    char *dirs[1] = {(char *)dir};
    char *list = NULL;
    int rc = clbfgs__includes_list(source, dirs, dir ? 1 : 0, &list, why, 512);
    hold(list, free);
    assert_int_equal(rc == 0, list != NULL);
    return list;
}

static void a_header_and_its_own_headers_are_listed_with_their_digests(void **state)
{
    put_file(*state, "a.h", "#include \"b.h\"\n");
    put_file(*state, "b.h", "#define B 1\n");
    char why[512];
    char *first = list_of("  #  include <a.h>\nkernel void k() {}\n", *state, why);
    put_file(*state, "b.h", "#define B 2\n");
    char *second = list_of("  #  include <a.h>\nkernel void k() {}\n", *state, why);
    assert_true(first && strstr(first, "b.h") != NULL);
    assert_true(first && second && strcmp(first, second) != 0);
}

static void a_source_without_includes_has_an_empty_list(void **state)
{
    (void)state;
    char why[512];
    char *list = list_of("kernel void k() { /* #include is not here */ }\n", NULL, why);
    assert_true(list && *list == '\0');
    assert_false(clbfgs__includes_present("kernel void k() {}\n#define include\n"));
    assert_true(clbfgs__includes_present("\n#include \"x.h\"\n"));
}

static void a_cycle_of_headers_ends(void **state)
{
    put_file(*state, "a.h", "#include \"b.h\"\n");
    put_file(*state, "b.h", "#include \"a.h\"\n");
    char why[512];
    assert_non_null(list_of("#include \"a.h\"\n", *state, why));
}

static void a_quoted_include_looks_beside_its_header_first(void **state)
{
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/sub", (char *)*state);
    assert_int_equal(mkdir(sub, 0700), 0);
    put_file(*state, "x.h", "#include \"y.h\"\n");
    put_file(*state, "y.h", "top\n");
    put_file(sub, "x.h", "#include \"y.h\"\n");
    put_file(sub, "y.h", "sub\n");
    char *dirs[2] = {sub, *state};
    char *list = NULL, why[512];
    int rc = clbfgs__includes_list("#include \"x.h\"\n", dirs, 2, &list, why, sizeof why);
    hold(list, free);
    char expected[4300];
    snprintf(expected, sizeof expected, "%s/y.h", sub);
    int found = list && strstr(list, expected);
    unlink(expected);
    snprintf(expected, sizeof expected, "%s/x.h", sub);
    unlink(expected);
    rmdir(sub);
    assert_int_equal(rc, 0);
    assert_true(found);
}

static void what_cannot_be_followed_is_said(void **state)
{
    char why[512];
    assert_null(list_of("#include \"missing.h\"\n", *state, why));
    assert_non_null(strstr(why, "missing.h"));
    assert_null(list_of("#define H <x.h>\n#include H\n", *state, why));
    assert_non_null(strstr(why, "computed #include"));
    put_file(*state, "a.h", "#include <also_missing.h>\n");
    assert_null(list_of("#include \"a.h\"\n", *state, why));
    assert_non_null(strstr(why, "also_missing.h"));
}

static void include_directories_come_out_of_the_options_in_order(void **state)
{
    (void)state;
    char **dirs = NULL;
    size_t n = 0;
    int quoted = -1;
    int rc = clbfgs__build_options_include_dirs("-DA=1 -Ione  -I two -cl-mad-enable -I"
                                                "three",
                                                &dirs, &n, &quoted);
    int ok = rc == 0 && n == 3 && strcmp(dirs[0], "one") == 0 && strcmp(dirs[1], "two") == 0 &&
             strcmp(dirs[2], "three") == 0 && quoted == 0;
    clbfgs__build_options_free(dirs, n);
    assert_int_equal(rc, 0);
    assert_true(ok);
    dirs = NULL;
    n = 0;
    rc = clbfgs__build_options_include_dirs("-I \"a b\"", &dirs, &n, &quoted);
    ok = rc == 0 && n == 1 && strcmp(dirs[0], "a b") == 0 && quoted == 1;
    clbfgs__build_options_free(dirs, n);
    assert_int_equal(rc, 0);
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_header_and_its_own_headers_are_listed_with_their_digests,
                                        temp_dir_setup, temp_dir_teardown),
        held_test(a_source_without_includes_has_an_empty_list),
        cmocka_unit_test_setup_teardown(a_cycle_of_headers_ends, temp_dir_setup, temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_quoted_include_looks_beside_its_header_first,
                                        temp_dir_setup, temp_dir_teardown),
        cmocka_unit_test_setup_teardown(what_cannot_be_followed_is_said, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test(include_directories_come_out_of_the_options_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
