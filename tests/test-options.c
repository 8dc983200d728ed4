/* Versioned option structs: the *_init functions record the caller's size,
 * the library reads only the fields within it over its defaults, and a
 * struct never filled by its *_init (size 0 or garbage) is refused with a
 * message that names the *_init to call. */
#include "common.h"

#include "internal.h"

#include <stddef.h>

static void init_records_the_callers_size_and_the_defaults(void **state)
{
    (void)state;
    clbfgs_options o;
    clbfgs_source_options so;
    clbfgs_context_options co;
    memset(&o, 0xAA, sizeof o);
    memset(&so, 0xAA, sizeof so);
    memset(&co, 0xAA, sizeof co);
    clbfgs_options_init(&o);
    clbfgs_source_options_init(&so);
    clbfgs_context_options_init(&co);
    clbfgs_options_init(NULL);
    clbfgs_source_options_init(NULL);
    clbfgs_context_options_init(NULL);
    assert_int_equal(o.struct_size, sizeof o);
    assert_int_equal(so.struct_size, sizeof so);
    assert_int_equal(co.struct_size, sizeof co);
    assert_true(o.gtol == 1e-5 && o.c2 == 0.9 && o.hess_inv0 == NULL);
    assert_true(so.gradient == 1 && so.work_size == 0);
    assert_true(co.disk_cache == 1 && co.device == NULL);

    /* a newer header's struct: ours filled, its own fields zeroed, its size kept */
    unsigned char big[sizeof(clbfgs_options) + 16];
    memset(big, 0xAA, sizeof big);
    clbfgs_options_init_size((clbfgs_options *)(void *)big, sizeof big);
    size_t recorded;
    memcpy(&recorded, big, sizeof recorded);
    assert_int_equal(recorded, sizeof big);
    for (size_t i = sizeof(clbfgs_options); i < sizeof big; i++)
        assert_int_equal(big[i], 0);
}

/* 0 (a zeroed struct), a small number, and garbage beyond the struct. */
static const size_t bad_sizes[] = {0, 3, sizeof(size_t), (size_t)0xdeadbeefcafe};

static void a_struct_not_filled_by_its_init_is_refused_by_name(void **state)
{
    (void)state;
    double x0[2] = {1, 2};
    char why[3][sizeof bad_sizes / sizeof bad_sizes[0]][512];
    clbfgs_status st[3][sizeof bad_sizes / sizeof bad_sizes[0]];
    int left_something = 0;
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        clbfgs_options o;
        clbfgs_options_init(&o);
        o.struct_size = bad_sizes[i];
        clbfgs_result r;
        st[0][i] = clbfgs_minimize(NULL, NULL, 2, x0, &o, &r);
        snprintf(why[0][i], sizeof why[0][i], "%s", clbfgs_last_error());
        left_something |= r.x != NULL || (st[0][i] != CLBFGS_SUCCESS && r.status != (int)st[0][i]);
        clbfgs_result_free(&r);

        clbfgs_source_options so;
        clbfgs_source_options_init(&so);
        so.struct_size = bad_sizes[i];
        clbfgs_objective *obj = NULL;
        st[1][i] = clbfgs_objective_source(&obj, "__kernel void k() {}", "k", &so);
        snprintf(why[1][i], sizeof why[1][i], "%s", clbfgs_last_error());
        left_something |= obj != NULL;
        clbfgs_objective_free(obj);

        clbfgs_context_options co;
        clbfgs_context_options_init(&co);
        co.struct_size = bad_sizes[i];
        clbfgs_context *ctx = NULL;
        st[2][i] = clbfgs_context_new(&ctx, &co);
        snprintf(why[2][i], sizeof why[2][i], "%s", clbfgs_last_error());
        left_something |= ctx != NULL;
        clbfgs_context_free(ctx);
    }
    const char *inits[3] = {"clbfgs_options_init()", "clbfgs_source_options_init()",
                            "clbfgs_context_options_init()"};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
            if (st[k][i] != CLBFGS_ERR_INVALID_ARGUMENT || !strstr(why[k][i], inits[k]) ||
                !strstr(why[k][i], "struct_size"))
                print_error("struct %d, size %zu: %s: %s\n", k, bad_sizes[i],
                            clbfgs_strerror(st[k][i]), why[k][i]);
            assert_int_equal(st[k][i], CLBFGS_ERR_INVALID_ARGUMENT);
            assert_non_null(strstr(why[k][i], inits[k]));
            assert_non_null(strstr(why[k][i], "struct_size"));
        }
    /* beyond the library's size it may be a newer header: the message says so */
    assert_non_null(strstr(why[0][3], "newer clbfgs.h"));
    assert_false(left_something);
}

/* Two versions of a struct, as a header grows: a program compiled with the
 * first passes its smaller struct to a library built with the second. */
struct opts_v1 {
    size_t struct_size;
    double a;
    int b;
};
struct opts_v2 {
    size_t struct_size;
    double a;
    int b;
    int pad_; /* v1's tail padding: a new field must not start inside it */
    double c;
    const char *d;
};

static void an_older_smaller_struct_is_read_up_to_its_size(void **state)
{
    (void)state;
    struct opts_v2 dst = {sizeof dst, 1.0, 2, 0, 3.0, "default"};
    struct opts_v1 old = {sizeof old, 5.0, 6};
    clbfgs_status st = clbfgs__options_read(&dst, sizeof dst, sizeof old, &old, "opts");
    assert_int_equal(st, CLBFGS_SUCCESS);
    assert_true(dst.a == 5.0 && dst.b == 6);
    assert_true(dst.c == 3.0 && strcmp(dst.d, "default") == 0); /* the library's defaults */
    assert_int_equal(dst.struct_size, sizeof dst);

    struct opts_v2 now = {sizeof now, 7.0, 8, 0, 9.0, "mine"};
    st = clbfgs__options_read(&dst, sizeof dst, sizeof old, &now, "opts");
    assert_int_equal(st, CLBFGS_SUCCESS);
    assert_true(dst.a == 7.0 && dst.b == 8 && dst.c == 9.0 && strcmp(dst.d, "mine") == 0);

    /* smaller than any version: refused, and dst untouched */
    old.struct_size = sizeof old - 8;
    st = clbfgs__options_read(&dst, sizeof dst, sizeof old, &old, "opts");
    assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), "opts_init()"));
    assert_true(dst.a == 7.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_records_the_callers_size_and_the_defaults),
        cmocka_unit_test(a_struct_not_filled_by_its_init_is_refused_by_name),
        cmocka_unit_test(an_older_smaller_struct_is_read_up_to_its_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
