/* Building programs: the preamble, build logs, kernel lookup, and the two
 * caches (per context and on disk) with their hit, miss and corrupt paths. */
#include "common.h"

#include "cache.h"
#include "cl_sources.h"
#include "internal.h"
#include "tests_cl_sources.h"

#include <math.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One context for the tests that need no cache of their own; it uses the
 * suite's disk cache (CLBFGS_CACHE_DIR), so reruns skip the compiles. */
static clbfgs_context *shared;

static int setup_shared(void **state)
{
    (void)state;
    return clbfgs_context_new(&shared, NULL) == CLBFGS_SUCCESS ? 0 : -1;
}

static int teardown_shared(void **state)
{
    (void)state;
    clbfgs_context_free(shared);
    return 0;
}

/* Runs cl/util.cl's fill on n-1 of n poisoned elements and checks that the
 * kernel wrote exactly those. */
/* A context made with the environment variable name set to value (and held),
 * the variable put back as it was before anything is asserted. */
static clbfgs_status context_new_under(const char *name, const char *value, clbfgs_context **ctx)
{
    char *saved = getenv(name) ? strdup(getenv(name)) : NULL;
    setenv(name, value, 1);
    clbfgs_status status = clbfgs_context_new(ctx, NULL);
    hold(*ctx, release_context);
    if (saved)
        setenv(name, saved, 1);
    else
        unsetenv(name);
    free(saved);
    return status;
}

static void check_fill(clbfgs_context *ctx, cl_program program, clbfgs_precision precision,
                       size_t n)
{
    size_t mark = held_mark();
    size_t elem = precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    unsigned char *host = hold_alloc(n * elem);
    memset(host, 0xff, n * elem); /* NaN in either precision */
    cl_int err;
    cl_mem buf =
        clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * elem, host, &err);
    hold(buf, release_cl_mem);
    assert_int_equal(err, CL_SUCCESS);
    cl_kernel k = NULL;
    assert_ok(clbfgs__kernel_new(ctx, program, "fill", &k));
    hold(k, release_cl_kernel);
    double value = 3.25;
    float valuef = 3.25f;
    cl_uint count = (cl_uint)(n - 1);
    assert_int_equal(clSetKernelArg(k, 0, sizeof buf, &buf), CL_SUCCESS);
    if (precision == CLBFGS_PRECISION_DOUBLE)
        assert_int_equal(clSetKernelArg(k, 1, sizeof value, &value), CL_SUCCESS);
    else
        assert_int_equal(clSetKernelArg(k, 1, sizeof valuef, &valuef), CL_SUCCESS);
    assert_int_equal(clSetKernelArg(k, 2, sizeof count, &count), CL_SUCCESS);
    size_t global = (n + 63) / 64 * 64;
    assert_int_equal(clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL),
                     CL_SUCCESS);
    assert_int_equal(
        clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, n * elem, host, 0, NULL, NULL),
        CL_SUCCESS);
    for (size_t i = 0; i < n; i++) {
        double v =
            precision == CLBFGS_PRECISION_DOUBLE ? ((double *)host)[i] : (double)((float *)host)[i];
        if (i < n - 1)
            assert_true(v == 3.25);
        else
            assert_true(isnan(v)); /* the element past the count is untouched */
    }
    release_held_since(mark);
}

static void the_librarys_kernels_build_and_run_in_each_precision(void **state)
{
    (void)state;
    clbfgs_precision precisions[] = {CLBFGS_PRECISION_FLOAT, CLBFGS_PRECISION_DOUBLE};
    for (int p = shared->info.has_fp64 ? 0 : 1; p >= 0; p--) {
        cl_program program;
        assert_ok(clbfgs__program_get(shared, "cl/util.cl", clbfgs__cl_util, NULL, precisions[p],
                                      &program, NULL));
        check_fill(shared, program, precisions[p], 1);
        check_fill(shared, program, precisions[p], 1001);
    }
}

static const char size_source[] =
    "__kernel void size(__global uint *out) { out[0] = sizeof(real); out[1] = CLBFGS_DOUBLE; }\n";

static void read_size(clbfgs_context *ctx, clbfgs_precision precision, cl_uint out[2])
{
    size_t mark = held_mark();
    cl_program program;
    assert_ok(clbfgs__program_get(ctx, "size", size_source, NULL, precision, &program, NULL));
    cl_kernel k;
    assert_ok(clbfgs__kernel_new(ctx, program, "size", &k));
    hold(k, release_cl_kernel);
    cl_int err;
    cl_mem buf = clCreateBuffer(ctx->cl_ctx, CL_MEM_WRITE_ONLY, 2 * sizeof(cl_uint), NULL, &err);
    hold(buf, release_cl_mem);
    assert_int_equal(err, CL_SUCCESS);
    assert_int_equal(clSetKernelArg(k, 0, sizeof buf, &buf), CL_SUCCESS);
    assert_int_equal(clEnqueueTask(ctx->queue, k, 0, NULL, NULL), CL_SUCCESS);
    assert_int_equal(
        clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, 2 * sizeof(cl_uint), out, 0, NULL, NULL),
        CL_SUCCESS);
    release_held_since(mark);
}

static void the_preamble_makes_real_the_asked_precision(void **state)
{
    (void)state;
    cl_uint got[2] = {99, 99};
    read_size(shared, CLBFGS_PRECISION_FLOAT, got);
    assert_int_equal(got[0], 4);
    assert_int_equal(got[1], 0);
    if (shared->info.has_fp64) {
        read_size(shared, CLBFGS_PRECISION_DOUBLE, got);
        assert_int_equal(got[0], 8);
        assert_int_equal(got[1], 1);
        read_size(shared, CLBFGS_PRECISION_AUTO, got);
        assert_int_equal(got[0], 8);
    }
}

static void double_on_a_device_without_fp64_is_refused_by_name(void **state)
{
    (void)state;
    struct clbfgs_context fake;
    memset(&fake, 0, sizeof fake);
    snprintf(fake.info.name, sizeof fake.info.name, "Some Consumer GPU");
    fake.info.has_fp64 = 0;
    clbfgs_precision p;
    assert_int_equal(clbfgs__resolve_precision(&fake, CLBFGS_PRECISION_DOUBLE, &p),
                     CLBFGS_ERR_UNSUPPORTED);
    assert_non_null(strstr(clbfgs_last_error(), "Some Consumer GPU"));
    assert_non_null(strstr(clbfgs_last_error(), "fp64"));
    assert_ok(clbfgs__resolve_precision(&fake, CLBFGS_PRECISION_AUTO, &p));
    assert_int_equal(p, CLBFGS_PRECISION_FLOAT);
    assert_int_equal(clbfgs__resolve_precision(&fake, (clbfgs_precision)7, &p),
                     CLBFGS_ERR_INVALID_ARGUMENT);
}

static void the_same_program_is_built_once_per_context(void **state)
{
    (void)state;
    cl_program a, b;
    clbfgs_program_origin origin;
    assert_ok(clbfgs__program_get(shared, "cl/util.cl", clbfgs__cl_util, NULL,
                                  CLBFGS_PRECISION_FLOAT, &a, NULL));
    assert_ok(clbfgs__program_get(shared, "cl/util.cl", clbfgs__cl_util, NULL,
                                  CLBFGS_PRECISION_FLOAT, &b, &origin));
    assert_ptr_equal(a, b);
    assert_int_equal(origin, CLBFGS_PROGRAM_MEMORY);
    /* Other options are another program. */
    assert_ok(clbfgs__program_get(shared, "cl/util.cl", clbfgs__cl_util, "-DUNUSED_FLAG=1",
                                  CLBFGS_PRECISION_FLOAT, &b, &origin));
    assert_ptr_not_equal(a, b);
}

static void a_syntax_error_returns_the_build_log_pointing_into_the_cl_file(void **state)
{
    (void)state;
    /* tests/broken.cl went through build-aux/cl2c.sh like the files in cl/ do. */
    assert_non_null(strstr(clbfgs__cl_broken, "#line 1 \"tests/broken.cl\""));
    cl_program program = (cl_program)(uintptr_t)1;
    assert_int_equal(clbfgs__program_get(shared, "tests/broken.cl", clbfgs__cl_broken, NULL,
                                         CLBFGS_PRECISION_FLOAT, &program, NULL),
                     CLBFGS_ERR_BUILD);
    const char *msg = clbfgs_last_error();
    assert_non_null(strstr(msg, "build log"));
    assert_non_null(strstr(msg, shared->info.name));
    assert_non_null(strstr(msg, "undeclared_variable"));
    assert_non_null(strstr(msg, "tests/broken.cl:4"));
    /* The public entry point says the same. */
    program = NULL;
    clbfgs_status st = clbfgs_program_build(shared, clbfgs__cl_broken, NULL, CLBFGS_PRECISION_FLOAT,
                                            &program, NULL);
    if (st == CLBFGS_SUCCESS)
        hold(program, release_cl_program);
    assert_int_equal(st, CLBFGS_ERR_BUILD);
    assert_non_null(strstr(clbfgs_last_error(), "tests/broken.cl:4"));
}

static void a_missing_kernel_is_named_with_the_kernels_that_exist(void **state)
{
    (void)state;
    cl_program program;
    assert_ok(clbfgs__program_get(shared, "cl/util.cl", clbfgs__cl_util, NULL,
                                  CLBFGS_PRECISION_FLOAT, &program, NULL));
    cl_kernel k = (cl_kernel)(uintptr_t)1;
    assert_int_equal(clbfgs__kernel_new(shared, program, "no_such_kernel", &k),
                     CLBFGS_ERR_KERNEL_NOT_FOUND);
    assert_null(k);
    const char *msg = clbfgs_last_error();
    assert_non_null(strstr(msg, "no_such_kernel"));
    assert_non_null(strstr(msg, "fill"));
    assert_non_null(strstr(msg, "fd_points"));
}

static void the_public_build_hands_out_its_own_reference(void **state)
{
    (void)state;
    cl_program program = NULL;
    assert_ok(clbfgs_program_build(shared, clbfgs__cl_util, NULL, CLBFGS_PRECISION_FLOAT, &program,
                                   NULL));
    assert_int_equal(clReleaseProgram(program), CL_SUCCESS);
    /* The context's own reference survives the caller's release. */
    clbfgs_program_origin origin;
    assert_ok(clbfgs_program_build(shared, clbfgs__cl_util, NULL, CLBFGS_PRECISION_FLOAT, &program,
                                   &origin));
    hold(program, release_cl_program);
    assert_int_equal(origin, CLBFGS_PROGRAM_MEMORY);
    check_fill(shared, program, CLBFGS_PRECISION_FLOAT, 100);
    release_now(program);
    program = NULL;
    clbfgs_status st =
        clbfgs_program_build(shared, NULL, NULL, CLBFGS_PRECISION_FLOAT, &program, NULL);
    if (st == CLBFGS_SUCCESS)
        hold(program, release_cl_program);
    assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
}

/* ---- the disk cache, each test in a directory of its own ---- */

static clbfgs_context *cached_context(const char *dir, struct logbook *book)
{
    clbfgs_context_options opts;
    clbfgs_context_options_init(&opts);
    opts.cache_dir = dir;
    opts.log = record;
    opts.log_user = book;
    opts.log_level = CLBFGS_LOG_DEBUG;
    memset(book, 0, sizeof *book);
    clbfgs_context *ctx = NULL;
    assert_ok(clbfgs_context_new(&ctx, &opts));
    return hold(ctx, release_context);
}

/* Builds cl/util.cl in a new context over dir; returns where it came from.
 * cached_context() holds the context; release_now frees it here, as the
 * next context must not find this one's program in memory. */
static clbfgs_program_origin build_in_new_context(const char *dir, struct logbook *book)
{
    clbfgs_context *ctx = cached_context(dir, book);
    cl_program program;
    clbfgs_program_origin origin;
    assert_ok(clbfgs__program_get(ctx, "cl/util.cl", clbfgs__cl_util, NULL, CLBFGS_PRECISION_FLOAT,
                                  &program, &origin));
    check_fill(ctx, program, CLBFGS_PRECISION_FLOAT, 257);
    release_now(ctx);
    return origin;
}

/* The one cache file in dir (asserting there is exactly one). */
static void only_cache_file(const char *dir, char *path, size_t size)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls %s/*.clbin 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char extra[4096];
    int first = fgets(path, (int)size, p) != NULL;
    int more = first && fgets(extra, sizeof extra, p) != NULL;
    pclose(p);
    assert_true(first);
    path[strcspn(path, "\n")] = '\0';
    assert_false(more);
}

static void a_second_context_loads_the_program_from_disk(void **state)
{
    struct logbook book;
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_COMPILED);
    assert_non_null(strstr(book.text, "compiled in"));
    char path[4096];
    only_cache_file(*state, path, sizeof path);
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_DISK_CACHE);
    assert_non_null(strstr(book.text, "loaded from the disk cache"));
}

static void a_corrupt_cache_file_is_ignored_and_rewritten(void **state)
{
    struct logbook book;
    build_in_new_context(*state, &book);
    char path[4096];
    only_cache_file(*state, path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, st.st_size / 2, SEEK_SET);
    fputs("corruption!", f);
    fclose(f);
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_COMPILED);
    assert_non_null(strstr(book.text, "checksum"));
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_DISK_CACHE);
}

/* One flipped byte in the binary, under a checksum that the old format's
 * FNV-1a still matches: pocl's loader crashed on such files, so the entry
 * must be dropped before the driver sees it, and replaced. */
static void a_corrupt_entry_never_reaches_the_driver(void **state)
{
    struct logbook book;
    build_in_new_context(*state, &book);
    char path[4096];
    only_cache_file(*state, path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    size_t len = (size_t)st.st_size;
    unsigned char *file = hold_alloc(len);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t got = fread(file, 1, len, f);
    fclose(f);
    assert_int_equal(got, len);
    size_t key_len = 0, bin_len = 0;
    for (int i = 0; i < 8; i++)
        key_len |= (size_t)file[8 + i] << (8 * i);
    for (int i = 0; i < 8; i++)
        bin_len |= (size_t)file[16 + key_len + i] << (8 * i);
    file[24 + key_len + bin_len / 2] ^= 0x01;
    uint64_t h = fnv1a64(file, len - 8);
    for (int i = 0; i < 8; i++)
        file[len - 8 + i] = (unsigned char)(h >> (8 * i));
    f = fopen(path, "wb");
    size_t written = f ? fwrite(file, 1, len, f) : 0;
    if (f)
        fclose(f);
    release_now(file);
    assert_int_equal(written, len);
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_COMPILED);
    assert_non_null(strstr(book.text, "checksum"));
    assert_null(strstr(book.text, "ignoring the cached binary")); /* the driver never saw it */
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_DISK_CACHE);
}

static void a_well_formed_file_the_driver_rejects_is_recompiled(void **state)
{
    struct logbook book;
    build_in_new_context(*state, &book);
    char path[4096];
    only_cache_file(*state, path, sizeof path);
    /* Keep the key, replace the binary with junk under a valid checksum. */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char head[16];
    size_t got = fread(head, 1, 16, f);
    size_t key_len = 0;
    for (int i = 0; got == 16 && i < 8; i++)
        key_len |= (size_t)head[8 + i] << (8 * i);
    char *key = got == 16 ? malloc(key_len ? key_len : 1) : NULL;
    size_t key_got = key ? fread(key, 1, key_len, f) : 0;
    fclose(f);
    hold(key, free);
    assert_int_equal(got, 16);
    assert_non_null(key);
    assert_int_equal(key_got, key_len);
    unsigned char junk[512];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(rand() >> 5);
    char why[256];
    assert_int_equal(clbfgs__cache_store(*state, key, key_len, junk, sizeof junk, why, sizeof why),
                     0);
    release_now(key);
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_COMPILED);
    assert_non_null(strstr(book.text, "ignoring the cached binary"));
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_DISK_CACHE);
}

/* Whoever can write the cache directory could plant a binary for the
 * driver: such a directory is refused with a warning, and nothing is read
 * from it or written to it. */
static void a_cache_directory_others_can_write_is_refused_with_a_warning(void **state)
{
    assert_int_equal(chmod(*state, 0777), 0);
    struct logbook book;
    clbfgs_context *ctx = cached_context(*state, &book);
    char *dir = ctx->cache_dir;
    char *warning = strstr(book.text, "1 not using the disk program cache");
    release_now(ctx);
    assert_null(dir);
    assert_non_null(warning);
    assert_non_null(strstr(warning, *state));
    assert_non_null(strstr(warning, "writable by others"));
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_COMPILED);
    assert_int_equal(build_in_new_context(*state, &book), CLBFGS_PROGRAM_COMPILED);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", (char *)*state);
    assert_int_equal(system(cmd), 0);
}

static void with_the_disk_cache_off_nothing_is_written(void **state)
{
    clbfgs_context_options opts;
    clbfgs_context_options_init(&opts);
    opts.cache_dir = *state;
    opts.disk_cache = 0;
    clbfgs_context *ctx = NULL;
    assert_ok(clbfgs_context_new(&ctx, &opts));
    hold(ctx, release_context);
    cl_program program;
    clbfgs_program_origin origin;
    assert_ok(clbfgs__program_get(ctx, "size", size_source, NULL, CLBFGS_PRECISION_FLOAT, &program,
                                  &origin));
    assert_int_equal(origin, CLBFGS_PROGRAM_COMPILED);
    release_now(ctx);
    /* CLBFGS_CACHE_DIR=off does the same for contexts that name no directory. */
    ctx = NULL;
    clbfgs_status status = context_new_under("CLBFGS_CACHE_DIR", "off", &ctx);
    assert_ok(status);
    assert_null(ctx->cache_dir);
    release_now(ctx);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", (char *)*state);
    assert_int_equal(system(cmd), 0);
}

/* ---- headers and names ---- */

static const char value_source[] =
    "#include \"value.h\"\n__kernel void value(__global int *out) { out[0] = VALUE; }\n";

/* Builds value_source (or source) in a new context with the disk cache in
 * cache_dir; returns the kernel's value, and where the program came from. */
static int build_value(const char *cache_dir, const char *name, const char *source,
                       const char *options, struct logbook *book, clbfgs_program_origin *origin)
{
    size_t mark = held_mark();
    clbfgs_context *ctx = cached_context(cache_dir, book);
    cl_program program;
    assert_ok(
        clbfgs__program_get(ctx, name, source, options, CLBFGS_PRECISION_FLOAT, &program, origin));
    cl_kernel k;
    assert_ok(clbfgs__kernel_new(ctx, program, "value", &k));
    hold(k, release_cl_kernel);
    cl_int err;
    cl_mem buf = clCreateBuffer(ctx->cl_ctx, CL_MEM_WRITE_ONLY, sizeof(cl_int), NULL, &err);
    hold(buf, release_cl_mem);
    assert_int_equal(err, CL_SUCCESS);
    cl_int value = -1;
    assert_int_equal(clSetKernelArg(k, 0, sizeof buf, &buf), CL_SUCCESS);
    assert_int_equal(clEnqueueTask(ctx->queue, k, 0, NULL, NULL), CL_SUCCESS);
    assert_int_equal(
        clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, sizeof value, &value, 0, NULL, NULL),
        CL_SUCCESS);
    release_held_since(mark); /* the buffer, the kernel, then the context */
    return value;
}

/* The cache keyed on the source alone, so a changed header brought back the
 * old binary. Here the change is two levels down, behind an <include>. */
static void a_changed_header_is_compiled_afresh(void **state)
{
    char *headers = hold(make_temp_dir(), release_temp_dir);
    char options[4200];
    snprintf(options, sizeof options, "-I %s", headers);
    put_file(headers, "value.h", "#include <inner.h>\n#define VALUE (INNER + 10)\n");
    put_file(headers, "inner.h", "#define INNER 1\n");
    struct logbook book;
    clbfgs_program_origin first, second, third;
    int v1 = build_value(*state, "value.cl", value_source, options, &book, &first);
    put_file(headers, "inner.h", "#define INNER 2\n");
    int v2 = build_value(*state, "value.cl", value_source, options, &book, &second);
    int v3 = build_value(*state, "value.cl", value_source, options, &book, &third);
    release_now(headers);
    assert_int_equal(v1, 11);
    assert_int_equal(first, CLBFGS_PROGRAM_COMPILED);
    assert_int_equal(v2, 12);
    assert_int_equal(second, CLBFGS_PROGRAM_COMPILED);
    assert_int_equal(v3, 12);
    assert_int_equal(third, CLBFGS_PROGRAM_DISK_CACHE);
}

/* A header the library cannot find (here behind #if 0, so the build works)
 * cannot be keyed: the program compiles every time and is never stored. */
static void an_include_that_cannot_be_resolved_keeps_the_program_off_the_disk(void **state)
{
    static const char source[] = "#if 0\n#include \"absent.h\"\n#endif\n"
                                 "__kernel void value(__global int *out) { out[0] = 5; }\n";
    struct logbook book;
    clbfgs_program_origin first, second;
    int v1 = build_value(*state, "absent.cl", source, NULL, &book, &first);
    int v2 = build_value(*state, "absent.cl", source, NULL, &book, &second);
    assert_int_equal(v1, 5);
    assert_int_equal(v2, 5);
    assert_int_equal(first, CLBFGS_PROGRAM_COMPILED);
    assert_int_equal(second, CLBFGS_PROGRAM_COMPILED);
    const char *why = strstr(book.text, "not using the disk cache");
    assert_non_null(why);
    assert_non_null(strstr(why, "absent.h"));
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", (char *)*state);
    assert_int_equal(system(cmd), 0);
}

/* The driver compiles a copy elsewhere, so "x.h" beside the user's file was
 * not found; a name with a directory part puts that directory on -I. */
static void a_source_named_by_its_path_finds_headers_beside_it(void **state)
{
    char *dir = hold(make_temp_dir(), release_temp_dir);
    put_file(dir, "value.h", "#define VALUE 7\n");
    char name[4200];
    snprintf(name, sizeof name, "%s/obj.cl", dir);
    struct logbook book;
    clbfgs_program_origin first, second;
    int v1 = build_value(*state, name, value_source, NULL, &book, &first);
    put_file(dir, "value.h", "#define VALUE 8\n");
    int v2 = build_value(*state, name, value_source, NULL, &book, &second);
    release_now(dir);
    assert_int_equal(v1, 7);
    assert_int_equal(v2, 8); /* and the header beside it is in the key */
    assert_int_equal(second, CLBFGS_PROGRAM_COMPILED);
}

static void a_build_error_points_at_the_name_given(void **state)
{
    (void)state;
    static const char source[] = "__kernel void value(__global int *out)\n"
                                 "{ out[0] = not_declared_anywhere; }\n";
    cl_program program;
    assert_int_equal(clbfgs__program_get(shared, "my_objective.cl", source, NULL,
                                         CLBFGS_PRECISION_FLOAT, &program, NULL),
                     CLBFGS_ERR_BUILD);
    assert_non_null(strstr(clbfgs_last_error(), "my_objective.cl:2:"));
}

/* ---- build options ---- */

static void expect_invalid_options(clbfgs_context *ctx, const char *options, const char *named)
{
    cl_program program;
    clbfgs_status status = clbfgs__program_get(ctx, "size", size_source, options,
                                               CLBFGS_PRECISION_FLOAT, &program, NULL);
    if (status != CLBFGS_ERR_INVALID_ARGUMENT || !strstr(clbfgs_last_error(), named))
        print_error("options '%s' -> %s: %s\n", options ? options : "(context's)",
                    clbfgs_strerror(status), clbfgs_last_error());
    assert_int_equal(status, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(clbfgs_last_error(), named));
}

/* pocl 3.1 segfaults on a trailing -D; the others reach it misread. */
static void malformed_build_options_are_refused_by_name(void **state)
{
    (void)state;
    expect_invalid_options(shared, "-DA=1 -D", "'-D'");
    expect_invalid_options(shared, "-I", "'-I'");
    expect_invalid_options(shared, "-D -cl-fast-relaxed-math", "'-D'");
    expect_invalid_options(shared, "-D=1", "'-D=1'");
    expect_invalid_options(shared, "-I -DX", "'-I'");
    expect_invalid_options(shared, "-I \"\"", "'-I \"\"'");
    expect_invalid_options(shared, "-DMSG=\"unfinished", "'-DMSG=\"unfinished'");
    cl_program program;
    assert_ok(clbfgs__program_get(shared, "size", size_source, "-DFOO -D BAR=1 -I /tmp -Werror",
                                  CLBFGS_PRECISION_FLOAT, &program, NULL));
}

static void malformed_context_and_environment_options_are_refused(void **state)
{
    (void)state;
    clbfgs_context_options opts;
    clbfgs_context_options_init(&opts);
    opts.build_options = "-I";
    clbfgs_context *ctx = NULL;
    assert_ok(clbfgs_context_new(&ctx, &opts));
    hold(ctx, release_context);
    expect_invalid_options(ctx, NULL, "'-I'");
    release_now(ctx);

    ctx = NULL;
    clbfgs_status status = context_new_under("CLBFGS_BUILD_OPTIONS", "-cl-mad-enable -D", &ctx);
    assert_ok(status);
    expect_invalid_options(ctx, NULL, "CLBFGS_BUILD_OPTIONS");
}

/* ---- adopting the caller's OpenCL objects ---- */

static void an_adopted_context_runs_kernels_and_leaves_the_callers_objects_alive(void **state)
{
    (void)state;
    cl_device_id device = shared->device;
    cl_int err;
    cl_context cl_ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    hold(cl_ctx, release_cl_context);
    assert_int_equal(err, CL_SUCCESS);
    cl_command_queue queue = clCreateCommandQueue(cl_ctx, device, 0, &err);
    hold(queue, release_cl_queue);
    assert_int_equal(err, CL_SUCCESS);

    clbfgs_context *ctx = NULL;
    assert_ok(clbfgs_context_adopt(&ctx, cl_ctx, device, queue, NULL));
    hold(ctx, release_context);
    assert_ptr_equal(clbfgs_context_cl_context(ctx), cl_ctx);
    assert_ptr_equal(clbfgs_context_queue(ctx), queue);
    clbfgs_device_info info;
    assert_ok(clbfgs_context_device(ctx, &info));
    assert_string_equal(info.name, shared->info.name);
    assert_int_equal(info.index, shared->info.index);
    cl_program program;
    assert_ok(clbfgs__program_get(ctx, "cl/util.cl", clbfgs__cl_util, NULL, CLBFGS_PRECISION_FLOAT,
                                  &program, NULL));
    check_fill(ctx, program, CLBFGS_PRECISION_FLOAT, 64);
    release_now(ctx);

    /* The caller's references are still good. */
    assert_int_equal(clFinish(queue), CL_SUCCESS);
    cl_uint refs = 0;
    assert_int_equal(clGetContextInfo(cl_ctx, CL_CONTEXT_REFERENCE_COUNT, sizeof refs, &refs, NULL),
                     CL_SUCCESS);
    assert_true(refs >= 1);
}

static void adopting_a_queue_of_another_context_is_refused(void **state)
{
    (void)state;
    cl_device_id device = shared->device;
    cl_int err;
    cl_context other = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    hold(other, release_cl_context);
    assert_int_equal(err, CL_SUCCESS);
    clbfgs_context *ctx = (clbfgs_context *)(uintptr_t)1;
    clbfgs_status st = clbfgs_context_adopt(&ctx, other, device, shared->queue, NULL);
    if (st == CLBFGS_SUCCESS)
        hold(ctx, release_context);
    assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
    assert_null(ctx);
    assert_non_null(strstr(clbfgs_last_error(), "another context"));
    st = clbfgs_context_adopt(&ctx, other, device, NULL, NULL);
    if (st == CLBFGS_SUCCESS)
        hold(ctx, release_context);
    assert_int_equal(st, CLBFGS_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    skip_without_opencl();
    srand((unsigned)time(NULL));
    const struct CMUnitTest tests[] = {
        held_test(the_librarys_kernels_build_and_run_in_each_precision),
        held_test(the_preamble_makes_real_the_asked_precision),
        held_test(double_on_a_device_without_fp64_is_refused_by_name),
        held_test(the_same_program_is_built_once_per_context),
        held_test(a_syntax_error_returns_the_build_log_pointing_into_the_cl_file),
        held_test(a_missing_kernel_is_named_with_the_kernels_that_exist),
        held_test(the_public_build_hands_out_its_own_reference),
        cmocka_unit_test_setup_teardown(a_second_context_loads_the_program_from_disk,
                                        temp_dir_setup, temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_corrupt_cache_file_is_ignored_and_rewritten,
                                        temp_dir_setup, temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_corrupt_entry_never_reaches_the_driver, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_well_formed_file_the_driver_rejects_is_recompiled,
                                        temp_dir_setup, temp_dir_teardown),
        cmocka_unit_test_setup_teardown(
            a_cache_directory_others_can_write_is_refused_with_a_warning, temp_dir_setup,
            temp_dir_teardown),
        cmocka_unit_test_setup_teardown(with_the_disk_cache_off_nothing_is_written, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_changed_header_is_compiled_afresh, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(
            an_include_that_cannot_be_resolved_keeps_the_program_off_the_disk, temp_dir_setup,
            temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_source_named_by_its_path_finds_headers_beside_it,
                                        temp_dir_setup, temp_dir_teardown),
        held_test(a_build_error_points_at_the_name_given),
        held_test(malformed_build_options_are_refused_by_name),
        held_test(malformed_context_and_environment_options_are_refused),
        held_test(an_adopted_context_runs_kernels_and_leaves_the_callers_objects_alive),
        held_test(adopting_a_queue_of_another_context_is_refused),
    };
    return cmocka_run_group_tests(tests, setup_shared, teardown_shared);
}
