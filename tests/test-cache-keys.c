/* The program cache's keys and directory (issue 10): every directive the
 * preprocessor sees is followed, a quoted include is resolved as the
 * compiler does, a program whose headers cannot be listed is cached nowhere,
 * and the cache directory is trusted by what was opened, not by a path.
 * Each test frees what it allocated before its assertions can fire. */
#include "common.h"

#include "cache.h"
#include "includes.h"
#include "internal.h"

#include <sys/stat.h>
#include <unistd.h>

struct dirs {
    char *work;    /* a private directory for headers and sources */
    char *cache;   /* a private directory for the disk cache */
    char *open;    /* a directory anyone can write, as /tmp */
    char *old_cwd; /* the working directory before the test */
};

static int setup(void **state)
{
    struct dirs *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    d->work = make_temp_dir();
    d->cache = make_temp_dir();
    d->open = make_temp_dir();
    d->old_cwd = getcwd(NULL, 0);
    if (!d->old_cwd || chmod(d->open, 01777) != 0)
        return -1;
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dirs *d = *state;
    int rc = d->old_cwd && chdir(d->old_cwd) == 0 ? 0 : -1;
    remove_temp_dir(d->work);
    remove_temp_dir(d->cache);
    remove_temp_dir(d->open);
    free(d->work);
    free(d->cache);
    free(d->open);
    free(d->old_cwd);
    free(d);
    return rc;
}

/* The header list of source with dir as the only -I directory (none when
 * NULL): 1 when listed and mentioning `expect`, 0 when listed without it,
 * -1 when the headers were found unknown (why says why). */
static int listed(const char *source, const char *dir, const char *expect, char *why)
{
    char *dirs[1] = {(char *)dir};
    char *list = NULL;
    int rc = clbfgs__includes_list(source, dirs, dir ? 1 : 0, &list, why, 512);
    int result = rc != 0 ? -1 : (list && expect && strstr(list, expect)) ? 1 : 0;
    free(list);
    return result;
}

/* ---- 1: directives the preprocessor sees, written the ways it allows ---- */

static void directive_spellings_the_preprocessor_accepts_are_followed(void **state)
{
    struct dirs *d = *state;
    assert_int_equal(write_text(d->work, "h.h", "#define H 1\n"), 0);
    static const char *const spellings[] = {
        "/**/#include \"h.h\"\n",
        "#/**/include \"h.h\"\n",
        "%:include \"h.h\"\n",
        "#inc\\\nlude \"h.h\"\n",
        "# /* a\n b */ include \"h.h\"\n",
        "#include \\\n\"h.h\"\n",
        "#include \"h.h\" // x\r\n",
        "  %: include <h.h>\n",
        "?\?=include \"h.h\"\n",
    };
    char why[512];
    int found[sizeof spellings / sizeof *spellings];
    for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
        found[i] = listed(spellings[i], d->work, "h.h sha256", why);
        if (found[i] != 1)
            print_error("not followed: %s(%s)\n", spellings[i], found[i] < 0 ? why : "no entry");
    }
    for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++)
        assert_int_equal(found[i], 1);
}

static void a_directive_hidden_in_a_comment_or_string_is_not_one(void **state)
{
    struct dirs *d = *state;
    char why[512];
    /* Neither is a directive, and nothing spells the identifier `include`
     * outside them, so the list is known and empty. */
    assert_int_equal(listed("/*\n#include \"missing.h\"\n*/\n", d->work, NULL, why), 0);
    assert_int_equal(listed("const char *s = \"\\\n#include <missing.h>\";\n", d->work, NULL, why),
                     0);
    assert_false(clbfgs__includes_present("// a comment \\\n#include \"missing.h\"\n"));
}

/* A spelling the scanner does not know must not make an empty list: the
 * identifier `include` outside a directive makes the headers unknown. */
static void an_include_the_scanner_cannot_place_makes_the_headers_unknown(void **state)
{
    struct dirs *d = *state;
    assert_int_equal(write_text(d->work, "h.h", "#define H 1\n"), 0);
    char why[512];
    assert_int_equal(listed("#define X include\n", d->work, NULL, why), -1);
    assert_non_null(strstr(why, "include"));
    assert_int_equal(listed("#include \"h.h\"\n#define X include\n", d->work, NULL, why), -1);
    assert_int_equal(listed("#if __has_include(\"h.h\")\n#endif\n", d->work, NULL, why), -1);
    /* #embed (newer clangs) reads a file too */
    assert_int_equal(listed("const char b[] = {\n#embed \"h.h\"\n};\n", d->work, NULL, why), -1);
    /* a NUL byte would end the scan where the compiler reads on */
    static const char nul_header[] = "#define A 1\n\0#include \"h.h\"\n";
    char path[4200];
    snprintf(path, sizeof path, "%s/nul.h", d->work);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t wrote = fwrite(nul_header, 1, sizeof nul_header - 1, f);
    int closed = fclose(f);
    assert_int_equal(wrote, sizeof nul_header - 1);
    assert_int_equal(closed, 0);
    assert_int_equal(listed("#include \"nul.h\"\n", d->work, NULL, why), -1);
    assert_non_null(strstr(why, "NUL"));
}

/* pocl reads trigraphs, so ??/ before a newline splices lines there; a
 * driver that does not read them sees other lines, other comments. */
static void a_trigraph_backslash_makes_the_headers_unknown(void **state)
{
    struct dirs *d = *state;
    assert_int_equal(write_text(d->work, "h.h", "#define H 1\n"), 0);
    char why[512] = "";
    assert_int_equal(listed("#inc?\?/\nlude \"h.h\"\n", d->work, NULL, why), -1);
    assert_non_null(strstr(why, "?\?/"));
}

/* ---- 2: quoted includes of the source, searched from the working directory ---- */

static void a_quoted_include_of_the_source_is_found_in_the_working_directory(void **state)
{
    struct dirs *d = *state;
    char other[4200];
    snprintf(other, sizeof other, "%s/other", d->work);
    assert_int_equal(mkdir(other, 0700), 0);
    assert_int_equal(write_text(d->work, "h.h", "#define H 1\n"), 0);
    assert_int_equal(chdir(d->work), 0);
    char why[512];
    int only_cwd = listed("#include \"h.h\"\n", other, "./h.h sha256", why);
    int angled = listed("#include <h.h>\n", other, NULL, why);
    /* Where the name is also in a -I directory, drivers differ on which wins. */
    int both = write_text(other, "h.h", "#define H 2\n") == 0
                   ? listed("#include \"h.h\"\n", other, NULL, why)
                   : 2;
    char path[4300];
    snprintf(path, sizeof path, "%s/h.h", other);
    unlink(path);
    rmdir(other);
    assert_int_equal(only_cwd, 1);
    assert_int_equal(angled, -1); /* <h.h> never looks in the working directory */
    assert_int_equal(both, -1);
    assert_non_null(strstr(why, "h.h"));
}

/* ---- 3 and 2 with a device: where the program comes from ---- */

/* A context with the disk cache in dir (none when NULL), logging into book. */
static clbfgs_status context_over(const char *dir, struct logbook *book, clbfgs_context **ctx)
{
    clbfgs_context_options opts;
    clbfgs_context_options_init(&opts);
    opts.cache_dir = dir;
    opts.disk_cache = dir != NULL;
    opts.log = record;
    opts.log_user = book;
    opts.log_level = CLBFGS_LOG_DEBUG;
    memset(book, 0, sizeof *book);
    *ctx = NULL;
    return clbfgs_context_new(ctx, &opts);
}

/* Builds source (its kernel `value` writes VALUE) in ctx and runs it; the
 * value, or -1000 - the step that failed. */
static int run_value(clbfgs_context *ctx, const char *name, const char *source, const char *options,
                     clbfgs_program_origin *origin)
{
    cl_program program = NULL;
    cl_kernel k = NULL;
    cl_mem buf = NULL;
    cl_int value = -1000, err = CL_SUCCESS;
    if (clbfgs__program_get(ctx, name, source, options, CLBFGS_PRECISION_FLOAT, &program, origin) !=
        CLBFGS_SUCCESS) {
        print_error("%s\n", clbfgs_last_error());
        return -1001;
    }
    if (clbfgs__kernel_new(ctx, program, "value", &k) != CLBFGS_SUCCESS)
        return -1002;
    buf = clCreateBuffer(ctx->cl_ctx, CL_MEM_WRITE_ONLY, sizeof(cl_int), NULL, &err);
    if (err != CL_SUCCESS || clSetKernelArg(k, 0, sizeof buf, &buf) != CL_SUCCESS ||
        clEnqueueTask(ctx->queue, k, 0, NULL, NULL) != CL_SUCCESS ||
        clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, sizeof value, &value, 0, NULL, NULL) !=
            CL_SUCCESS)
        value = -1003;
    if (buf)
        clReleaseMemObject(buf);
    clReleaseKernel(k);
    return value;
}

/* A computed #include cannot be listed, so nothing can tell a changed
 * header: even a context that lives on must compile it again. */
static void a_program_whose_headers_are_unknown_is_not_kept_in_memory(void **state)
{
    struct dirs *d = *state;
    static const char source[] = "#define HEADER \"value.h\"\n#include HEADER\n"
                                 "__kernel void value(__global int *out) { out[0] = VALUE; }\n";
    char options[4200];
    snprintf(options, sizeof options, "-I %s", d->work);
    struct logbook book;
    clbfgs_context *ctx = NULL;
    clbfgs_program_origin first = CLBFGS_PROGRAM_MEMORY, second = CLBFGS_PROGRAM_MEMORY;
    int v1 = -2000, v2 = -2000;
    if (write_text(d->work, "value.h", "#define VALUE 1\n") == 0 &&
        context_over(NULL, &book, &ctx) == CLBFGS_SUCCESS) {
        v1 = run_value(ctx, "computed.cl", source, options, &first);
        if (write_text(d->work, "value.h", "#define VALUE 2\n") == 0)
            v2 = run_value(ctx, "computed.cl", source, options, &second);
    }
    clbfgs_context_free(ctx);
    assert_int_equal(v1, 1);
    assert_int_equal(first, CLBFGS_PROGRAM_COMPILED);
    assert_int_equal(v2, 2);
    assert_int_equal(second, CLBFGS_PROGRAM_COMPILED);
}

/* h.h in the working directory and beside the source: the compiler takes
 * the working directory's, another driver might not, so nothing is stored. */
static void a_header_in_the_working_directory_and_beside_the_source_is_not_stored(void **state)
{
    struct dirs *d = *state;
    static const char source[] =
        "#include \"value.h\"\n__kernel void value(__global int *out) { out[0] = VALUE; }\n";
    char src_dir[4200], name[4300];
    snprintf(src_dir, sizeof src_dir, "%s/src", d->work);
    snprintf(name, sizeof name, "%s/obj.cl", src_dir);
    struct logbook book;
    clbfgs_context *ctx = NULL;
    clbfgs_program_origin first = CLBFGS_PROGRAM_MEMORY, second = CLBFGS_PROGRAM_MEMORY;
    int v1 = -2000, v2 = -2000;
    const char *why = NULL;
    if (mkdir(src_dir, 0700) == 0 && write_text(src_dir, "value.h", "#define VALUE 2\n") == 0 &&
        write_text(d->work, "value.h", "#define VALUE 1\n") == 0 && chdir(d->work) == 0) {
        for (int i = 0; i < 2; i++) {
            if (context_over(d->cache, &book, &ctx) == CLBFGS_SUCCESS)
                *(i ? &v2 : &v1) = run_value(ctx, name, source, NULL, i ? &second : &first);
            clbfgs_context_free(ctx);
            ctx = NULL;
        }
        why = strstr(book.text, "not using the disk cache");
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/value.h", src_dir);
    unlink(path);
    rmdir(src_dir);
    assert_int_equal(v1, 1); /* the working directory's, as pocl reads it */
    assert_int_equal(v2, 1);
    assert_int_equal(first, CLBFGS_PROGRAM_COMPILED);
    assert_int_equal(second, CLBFGS_PROGRAM_COMPILED);
    assert_non_null(why);
}

/* ---- 4: the directory is checked as opened, and used through that ---- */

static void a_symlink_to_a_private_directory_is_refused(void **state)
{
    struct dirs *d = *state;
    char link[4200], why[512] = "";
    snprintf(link, sizeof link, "%s/cache", d->open);
    assert_int_equal(symlink(d->cache, link), 0);
    static const char key[] = "a key";
    unsigned char bin[16] = {1, 2, 3}, *got = NULL;
    size_t n = 0;
    int checked = clbfgs__cache_dir_check(link, why, sizeof why);
    int said = strstr(why, "symbolic link") != NULL;
    int stored = clbfgs__cache_store(link, key, strlen(key), bin, sizeof bin, why, sizeof why);
    int loaded = clbfgs__cache_load(link, key, strlen(key), &got, &n, why, sizeof why);
    free(got);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", d->cache);
    int empty = system(cmd) == 0;
    assert_int_equal(checked, -1);
    assert_true(said);
    assert_int_equal(stored, -1);
    assert_int_equal(loaded, CLBFGS_CACHE_REJECTED);
    assert_true(empty);
}

static void a_context_over_a_symlinked_cache_warns_and_stores_nothing(void **state)
{
    struct dirs *d = *state;
    char link[4200];
    snprintf(link, sizeof link, "%s/cache", d->open);
    assert_int_equal(symlink(d->cache, link), 0);
    struct logbook book;
    clbfgs_context *ctx = NULL;
    clbfgs_status status = context_over(link, &book, &ctx);
    int off = status == CLBFGS_SUCCESS && ctx->cache_dir == NULL;
    clbfgs_context_free(ctx);
    const char *warning = strstr(book.text, "1 not using the disk program cache");
    assert_int_equal(status, CLBFGS_SUCCESS);
    assert_true(off);
    assert_non_null(warning);
    assert_non_null(strstr(warning, "symbolic link"));
}

static void a_private_directory_stores_and_loads(void **state)
{
    struct dirs *d = *state;
    static const char key[] = "another key";
    unsigned char bin[300], *got = NULL;
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 7);
    char why[512] = "";
    size_t n = 0;
    int checked = clbfgs__cache_dir_check(d->cache, why, sizeof why);
    int stored = clbfgs__cache_store(d->cache, key, strlen(key), bin, sizeof bin, why, sizeof why);
    int loaded = clbfgs__cache_load(d->cache, key, strlen(key), &got, &n, why, sizeof why);
    int same = got && n == sizeof bin && memcmp(got, bin, n) == 0;
    free(got);
    assert_int_equal(checked, 0);
    assert_int_equal(stored, 0);
    assert_int_equal(loaded, CLBFGS_CACHE_HIT);
    assert_true(same);
}

/* An entry is a file of the directory, not whatever a link there names. */
static void a_symlinked_entry_is_not_read(void **state)
{
    struct dirs *d = *state;
    static const char key[] = "linked key";
    unsigned char bin[64] = {9}, *got = NULL;
    char why[512] = "", *path = clbfgs__cache_path(d->cache, key, strlen(key));
    char real[4300];
    snprintf(real, sizeof real, "%s/real", d->cache);
    size_t n = 0;
    int stored = clbfgs__cache_store(d->cache, key, strlen(key), bin, sizeof bin, why, sizeof why);
    int moved = path && rename(path, real) == 0 && symlink(real, path) == 0;
    int loaded = clbfgs__cache_load(d->cache, key, strlen(key), &got, &n, why, sizeof why);
    free(got);
    free(path);
    assert_int_equal(stored, 0);
    assert_true(moved);
    assert_int_equal(loaded, CLBFGS_CACHE_REJECTED);
}

int main(void)
{
    skip_without_opencl();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(directive_spellings_the_preprocessor_accepts_are_followed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_directive_hidden_in_a_comment_or_string_is_not_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            an_include_the_scanner_cannot_place_makes_the_headers_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(a_trigraph_backslash_makes_the_headers_unknown, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            a_quoted_include_of_the_source_is_found_in_the_working_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(a_program_whose_headers_are_unknown_is_not_kept_in_memory,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_header_in_the_working_directory_and_beside_the_source_is_not_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(a_symlink_to_a_private_directory_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_context_over_a_symlinked_cache_warns_and_stores_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_private_directory_stores_and_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(a_symlinked_entry_is_not_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
