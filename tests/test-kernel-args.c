/* The caller's kernel arguments against the kernel's declaration: build
 * options checked as the caller wrote them, typed values refused when the
 * kernel takes another type, the fixed argument n refused when it is not an
 * integer, and programs from the disk cache compiled again when they lose
 * the argument info the checks need. Every test frees what it made before it
 * asserts anything. */
#include "common.h"
#include "internal.h"

#include <math.h>

extern clbfgs_context *ctx; /* tests/common.c, made by context_setup */

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

/* f = sum_i (x_i - c s k)^2: a real, a float and a uint after the contract;
 * and a kernel whose n is a float. */
static const char shift_source[] =
    "__kernel void shift(const uint n, __global const real *x, __global real *f_terms,\n"
    "                    __global real *g, const real c, const float s, const uint k)\n"
    "{\n"
    "    const size_t i = get_global_id(0), b = get_global_id(1);\n"
    "    if (i >= n) return;\n"
    "    const real d = x[b * n + i] - c * s * k;\n"
    "    f_terms[b * n + i] = d * d;\n"
    "    g[b * n + i] = 2 * d;\n"
    "}\n"
    "__kernel void float_n(const float n, __global const real *x, __global real *f_terms,\n"
    "                      __global real *g) { }\n";

enum { N = 6 };

/* What run_shift sets wrong: nothing, or one argument to an int. */
enum shift_wrong { SHIFT_RIGHT, SHIFT_C_INT, SHIFT_S_INT, SHIFT_K_INT };

/* Sets shift's arguments with the typed setter (c as the run's own type),
 * one of them wrong as asked; minimizes; returns the status and copies the
 * message. Frees everything before returning. */
static clbfgs_status run_shift(enum shift_wrong wrong, clbfgs_precision precision, char *why,
                               size_t why_size, int *converged)
{
    const int one = 1, float_bits = 1077936128; /* 3.0f read as an int */
    const float c_f = 1.5f, s = 2.0f;
    const double c_d = 1.5;
    const cl_uint k = 1;
    double x0[N];
    for (size_t i = 0; i < N; i++)
        x0[i] = (double)i - 2;
    clbfgs_objective *o = NULL;
    clbfgs_status st = clbfgs_objective_source(&o, shift_source, "shift", NULL);
    if (!st && wrong == SHIFT_C_INT)
        st = clbfgs_objective_set_arg_typed(o, 4, "int", sizeof one, &one);
    else if (!st && precision == CLBFGS_PRECISION_FLOAT)
        st = clbfgs_objective_set_arg_typed(o, 4, "float", sizeof c_f, &c_f);
    else if (!st)
        st = clbfgs_objective_set_arg_typed(o, 4, "double", sizeof c_d, &c_d);
    if (!st)
        st = wrong == SHIFT_S_INT
                 ? clbfgs_objective_set_arg_typed(o, 5, "int", sizeof float_bits, &float_bits)
                 : clbfgs_objective_set_arg_typed(o, 5, "float", sizeof s, &s);
    if (!st)
        st = wrong == SHIFT_K_INT
                 ? clbfgs_objective_set_arg_typed(o, 6, "int", sizeof one, &one)
                 : clbfgs_objective_set_arg_typed(o, 6, "unsigned int", sizeof k, &k);
    clbfgs_result r;
    memset(&r, 0, sizeof r);
    clbfgs_options opts;
    clbfgs_options_init(&opts);
    opts.precision = precision;
    opts.gtol = 1e-4;
    if (!st)
        st = clbfgs_minimize(ctx, o, N, x0, &opts, &r);
    snprintf(why, why_size, "%s", st ? clbfgs_last_error() : "");
    *converged = st == CLBFGS_SUCCESS && r.status == 0 && r.x;
    for (size_t i = 0; *converged && i < N; i++)
        *converged = fabs(r.x[i] - 3.0) < 1e-3;
    clbfgs_result_free(&r);
    clbfgs_objective_free(o);
    return st;
}

static void a_typed_value_of_another_type_is_refused_by_name(void **state)
{
    (void)state;
    int has_fp64 = 0;
    clbfgs_device_info info;
    assert_ok(clbfgs_context_device(ctx, &info));
    has_fp64 = info.has_fp64;
    const struct {
        enum shift_wrong wrong;
        clbfgs_precision precision;
        const char *words[4];
    } cases[] = {
        /* --arg int:1 for a real in a float run: the int's bits read as a float */
        {SHIFT_C_INT,
         CLBFGS_PRECISION_FLOAT,
         {"argument 4 ('c'", "real = float", "takes float", "gave an int"}},
        /* --arg int:1077936128 for a float in a double run: 3.0f by its bits */
        {SHIFT_S_INT,
         CLBFGS_PRECISION_DOUBLE,
         {"argument 5 ('s'", "float)", "takes float", "gave an int"}},
        /* signedness counts: an int for a uint */
        {SHIFT_K_INT,
         CLBFGS_PRECISION_DOUBLE,
         {"argument 6 ('k'", "uint", "takes uint", "gave an int"}},
    };
    enum { CASES = sizeof cases / sizeof cases[0] };
    char why[CASES][1024];
    clbfgs_status st[CASES];
    int converged;
    for (size_t i = 0; i < CASES; i++) {
        clbfgs_precision p = cases[i].precision;
        if (p == CLBFGS_PRECISION_DOUBLE && !has_fp64)
            p = CLBFGS_PRECISION_FLOAT;
        st[i] = run_shift(cases[i].wrong, p, why[i], sizeof why[i], &converged);
    }
    for (size_t i = 0; i < CASES; i++) {
        int named = st[i] == CLBFGS_ERR_INVALID_ARGUMENT;
        for (int k = 0; k < 4; k++)
            named = named && strstr(why[i], cases[i].words[k]) != NULL;
        if (!named)
            print_error("case %zu: %s: %s\n", i, clbfgs_strerror(st[i]), why[i]);
        assert_true(named);
        assert_non_null(strstr(why[i], "kernel 'shift'"));
    }
}

static void typed_values_of_the_kernel_s_types_reach_the_minimum(void **state)
{
    (void)state;
    clbfgs_device_info info;
    assert_ok(clbfgs_context_device(ctx, &info));
    char why[2][1024];
    int converged[2] = {0, 0};
    clbfgs_status st[2] = {
        run_shift(SHIFT_RIGHT, CLBFGS_PRECISION_FLOAT, why[0], sizeof why[0], &converged[0]),
        info.has_fp64
            ? run_shift(SHIFT_RIGHT, CLBFGS_PRECISION_DOUBLE, why[1], sizeof why[1], &converged[1])
            : CLBFGS_SUCCESS};
    if (!info.has_fp64)
        converged[1] = 1;
    for (int p = 0; p < 2; p++) {
        if (st[p] != CLBFGS_SUCCESS)
            print_error("precision %s: %s\n", p ? "double" : "float", why[p]);
        assert_int_equal(st[p], CLBFGS_SUCCESS);
        assert_true(converged[p]);
    }
}

/* Refused when set, before any kernel is seen: the message names the cause. */
static void a_typed_value_that_is_no_opencl_type_is_refused_when_set(void **state)
{
    (void)state;
    const int i = 1;
    const double d = 1;
    const float f4[4] = {1, 2, 3, 4};
    const struct {
        const char *type;
        size_t size;
        const void *value;
        const char *word; /* NULL: accepted */
    } cases[] = {
        {"int", sizeof d, &d, "an int is 4 bytes, not 8"},
        {"double", sizeof i, &i, "a double is 8 bytes, not 4"},
        {"real", sizeof d, &d, "clbfgs_objective_set_arg_real"},
        {"real4", 4 * sizeof d, f4, "clbfgs_objective_set_arg_real"},
        {"size_t", sizeof(size_t), &d, "not an OpenCL C scalar or vector type"},
        {"struct pair", sizeof d, &d, "not an OpenCL C scalar or vector type"},
        {"float4x", sizeof f4, f4, "not an OpenCL C scalar or vector type"},
        {"int02", 2 * sizeof i, f4, "not an OpenCL C scalar or vector type"},
        {"int5", 5 * sizeof i, f4, "not an OpenCL C scalar or vector type"},
        {"float *", sizeof(void *), &d, "pointer"},
        {"int", sizeof i, NULL, "must not be NULL"},
        {NULL, sizeof i, &i, "must not be NULL"},
        {"unsigned int", sizeof i, &i, NULL},
        {"const int", sizeof i, &i, NULL},
        {"float4", sizeof f4, f4, NULL},
        {"float3", sizeof f4, f4, NULL}, /* a 3-vector takes a 4-vector's room */
    };
    enum { CASES = sizeof cases / sizeof cases[0] };
    clbfgs_status st[CASES];
    char why[CASES][512];
    clbfgs_objective *o = NULL;
    clbfgs_status made = clbfgs_objective_source(&o, shift_source, "shift", NULL);
    for (size_t c = 0; c < CASES; c++) {
        st[c] = made ? made
                     : clbfgs_objective_set_arg_typed(o, 4, cases[c].type, cases[c].size,
                                                      cases[c].value);
        snprintf(why[c], sizeof why[c], "%s", st[c] ? clbfgs_last_error() : "");
    }
    /* and only the caller's arguments, of an objective that takes them */
    clbfgs_status fixed = made ? made : clbfgs_objective_set_arg_typed(o, 0, "uint", 4, &i);
    clbfgs_objective *builtin = NULL;
    clbfgs_status b = clbfgs_objective_builtin(&builtin, "rosen");
    if (!b)
        b = clbfgs_objective_set_arg_typed(builtin, 4, "int", sizeof i, &i);
    clbfgs_objective_free(builtin);
    clbfgs_objective_free(o);
    assert_ok(made);
    for (size_t c = 0; c < CASES; c++) {
        int right = cases[c].word ? st[c] == CLBFGS_ERR_INVALID_ARGUMENT &&
                                        strstr(why[c], cases[c].word) != NULL &&
                                        strstr(why[c], "argument 4") != NULL
                                  : st[c] == CLBFGS_SUCCESS;
        if (!right)
            print_error("case %zu ('%s'): %s: %s\n", c, cases[c].type ? cases[c].type : "NULL",
                        clbfgs_strerror(st[c]), why[c]);
        assert_true(right);
    }
    assert_int_equal(fixed, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_int_equal(b, CLBFGS_ERR_INVALID_ARGUMENT);
}

static void a_float_n_breaks_the_contract_by_its_type_name(void **state)
{
    (void)state;
    double x0[N] = {0};
    clbfgs_result r;
    memset(&r, 0, sizeof r);
    clbfgs_objective *o = NULL;
    clbfgs_status st = clbfgs_objective_source(&o, shift_source, "float_n", NULL);
    if (!st)
        st = clbfgs_minimize(ctx, o, N, x0, NULL, &r);
    char why[1024];
    snprintf(why, sizeof why, "%s", st ? clbfgs_last_error() : "");
    clbfgs_result_free(&r);
    clbfgs_objective_free(o);
    if (st != CLBFGS_ERR_INVALID_ARGUMENT)
        print_error("%s: %s\n", clbfgs_strerror(st), why);
    assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(why, "argument 0 ('n', float)"));
    assert_non_null(strstr(why, "const uint"));
}

/* A second context on the same cache directory finds the program on disk;
 * asked for a program built from source, it compiles once, replacing the
 * disk's copy in memory, so later plain requests get the compiled one. */
static void a_program_from_source_passes_over_the_disk_cache(void **state)
{
    (void)state;
    static const char source[] = "__kernel void k(const uint n, __global real *x) { }";
    const char *options = "-cl-kernel-arg-info";
    char *dir = make_temp_dir();
    clbfgs_context_options co;
    clbfgs_context_options_init(&co);
    co.cache_dir = dir;
    co.disk_cache = 1;
    clbfgs_context *first = NULL, *second = NULL;
    clbfgs_program_origin origin[5] = {-1, -1, -1, -1, -1};
    cl_program program[5] = {NULL};
    clbfgs_status st = clbfgs_context_new(&first, &co);
    if (!st)
        st = clbfgs__program_get(first, "k.cl", source, options, CLBFGS_PRECISION_FLOAT,
                                 &program[0], &origin[0]);
    if (!st)
        st = clbfgs_context_new(&second, &co);
    if (!st)
        st = clbfgs__program_get(second, "k.cl", source, options, CLBFGS_PRECISION_FLOAT,
                                 &program[1], &origin[1]);
    if (!st)
        st = clbfgs__program_get_flags(second, "k.cl", source, options, CLBFGS_PRECISION_FLOAT,
                                       CLBFGS__PROGRAM_FROM_SOURCE, &program[2], &origin[2]);
    if (!st)
        st = clbfgs__program_get(second, "k.cl", source, options, CLBFGS_PRECISION_FLOAT,
                                 &program[3], &origin[3]);
    if (!st)
        st = clbfgs__program_get_flags(second, "k.cl", source, options, CLBFGS_PRECISION_FLOAT,
                                       CLBFGS__PROGRAM_FROM_SOURCE, &program[4], &origin[4]);
    /* the compiled program describes its arguments */
    char name[16] = "";
    cl_kernel k = NULL;
    if (!st)
        st = clbfgs__kernel_new(second, program[3], "k", &k);
    cl_int err = k ? clGetKernelArgInfo(k, 0, CL_KERNEL_ARG_NAME, sizeof name, name, NULL)
                   : CL_INVALID_KERNEL;
    if (k)
        clReleaseKernel(k);
    char why[1024];
    snprintf(why, sizeof why, "%s", st ? clbfgs_last_error() : "");
    clbfgs_context_free(second);
    clbfgs_context_free(first);
    remove_temp_dir(dir);
    free(dir);
    if (st)
        print_error("%s: %s\n", clbfgs_strerror(st), why);
    assert_ok(st);
    assert_int_equal(origin[0], CLBFGS_PROGRAM_COMPILED);
    assert_int_equal(origin[1], CLBFGS_PROGRAM_DISK_CACHE);
    assert_int_equal(origin[2], CLBFGS_PROGRAM_COMPILED);
    assert_int_equal(origin[3], CLBFGS_PROGRAM_MEMORY);
    assert_true(program[3] == program[2]);
    assert_int_equal(origin[4], CLBFGS_PROGRAM_MEMORY); /* compiled once, not again */
    assert_true(program[4] == program[2]);
    assert_int_equal(err, CL_SUCCESS);
    assert_string_equal(name, "n");
}

/* The logistic regression's lambda goes to its kernel as a real: in float,
 * one past float's range would make every f infinite. */
static void a_float_logistic_lambda_past_float_s_range_is_refused(void **state)
{
    (void)state;
    const double a[2] = {1, 2}, y[2] = {0, 1};
    clbfgs_objective *o = NULL;
    clbfgs_status st = clbfgs_objective_logistic(&o, ctx, 2, 1, a, y, 1e39, CLBFGS_PRECISION_FLOAT);
    char why[512];
    snprintf(why, sizeof why, "%s", st ? clbfgs_last_error() : "");
    clbfgs_objective_free(o);
    assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(why, "lambda = 1e+39 overflows float"));
}

int main(void)
{
    skip_without_opencl();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_options_are_checked_as_the_caller_wrote_them),
        cmocka_unit_test(a_typed_value_of_another_type_is_refused_by_name),
        cmocka_unit_test(typed_values_of_the_kernel_s_types_reach_the_minimum),
        cmocka_unit_test(a_typed_value_that_is_no_opencl_type_is_refused_when_set),
        cmocka_unit_test(a_float_n_breaks_the_contract_by_its_type_name),
        cmocka_unit_test(a_program_from_source_passes_over_the_disk_cache),
        cmocka_unit_test(a_float_logistic_lambda_past_float_s_range_is_refused),
    };
    return cmocka_run_group_tests(tests, context_setup, context_teardown);
}
