/* Programs: the precision preamble, compilation with the build log on failure,
 * and two caches (this context's programs; compiled binaries on disk). */
#include "config.h"

#include "build_options.h"
#include "cache.h"
#include "includes.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct clbfgs_program_entry {
    char *key;
    size_t key_len;
    int reusable; /* 0: its headers are unknown, so a lookup never finds it */
    cl_program program;
    int from_disk; /* loaded from the disk cache, not compiled from source */
    struct clbfgs_program_entry *next;
};

/* Every program starts with this, then a #line 1 naming the source (see
 * line_directive); CLBFGS_DOUBLE comes from the build options. */
static const char preamble[] =
    "#if CLBFGS_DOUBLE\n"
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
    "typedef double real;\ntypedef double2 real2;\ntypedef double4 real4;\n"
    "typedef double8 real8;\ntypedef double16 real16;\n"
    "#define REAL_MAX DBL_MAX\n#define REAL_EPSILON DBL_EPSILON\n"
    "#else\n"
    "typedef float real;\ntypedef float2 real2;\ntypedef float4 real4;\n"
    "typedef float8 real8;\ntypedef float16 real16;\n"
    "#define REAL_MAX FLT_MAX\n#define REAL_EPSILON FLT_EPSILON\n"
    "#endif\n";

double clbfgs__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void clbfgs__programs_free(clbfgs_context *ctx)
{
    struct clbfgs_program_entry *e = ctx->programs;
    while (e) {
        struct clbfgs_program_entry *next = e->next;
        clReleaseProgram(e->program);
        free(e->key);
        free(e);
        e = next;
    }
    ctx->programs = NULL;
}

const char *clbfgs__real_name(clbfgs_precision precision)
{
    return precision == CLBFGS_PRECISION_DOUBLE ? "double" : "float";
}

clbfgs_status clbfgs__resolve_precision(const clbfgs_context *ctx, clbfgs_precision requested,
                                        clbfgs_precision *resolved)
{
    switch (requested) {
    case CLBFGS_PRECISION_AUTO:
        *resolved = ctx->info.has_fp64 ? CLBFGS_PRECISION_DOUBLE : CLBFGS_PRECISION_FLOAT;
        return CLBFGS_SUCCESS;
    case CLBFGS_PRECISION_DOUBLE:
        if (!ctx->info.has_fp64)
            return clbfgs__fail(CLBFGS_ERR_UNSUPPORTED,
                                "double precision was asked for, but '%s' has no fp64 "
                                "(cl_khr_fp64); use float precision",
                                ctx->info.name);
        *resolved = requested;
        return CLBFGS_SUCCESS;
    case CLBFGS_PRECISION_FLOAT: *resolved = requested; return CLBFGS_SUCCESS;
    }
    return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "precision %d is not a clbfgs_precision",
                        (int)requested);
}

/* The build log, trimmed; "" when there is none. malloc'd or NULL. */
static char *build_log(const clbfgs_context *ctx, cl_program program)
{
    size_t len = 0;
    if (clGetProgramBuildInfo(program, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len) !=
        CL_SUCCESS)
        return NULL;
    char *log = malloc(len + 1);
    if (!log)
        return NULL;
    if (clGetProgramBuildInfo(program, ctx->device, CL_PROGRAM_BUILD_LOG, len, log, NULL) !=
        CL_SUCCESS)
        len = 0;
    log[len] = '\0';
    while (len > 0 && (log[len - 1] == '\n' || log[len - 1] == ' ' || log[len - 1] == '\0'))
        log[--len] = '\0';
    return log;
}

static clbfgs_status build(const clbfgs_context *ctx, cl_program program, const char *name,
                           const char *options)
{
    cl_int err = clBuildProgram(program, 1, &ctx->device, options, NULL, NULL);
    if (err == CL_SUCCESS)
        return CLBFGS_SUCCESS;
    char *log = build_log(ctx, program);
    clbfgs_status status;
    if (err == CL_BUILD_PROGRAM_FAILURE || err == CL_COMPILE_PROGRAM_FAILURE)
        status = clbfgs__fail(CLBFGS_ERR_BUILD, "building %s for '%s' failed; build log:\n%s", name,
                              ctx->info.name, log && *log ? log : "(the driver gave no log)");
    else
        status =
            clbfgs__fail_cl(ctx, err, "clBuildProgram", "building %s with options '%s'%s%s", name,
                            options, log && *log ? "; build log:\n" : "", log ? log : "");
    free(log);
    return status;
}

/* The disk binary of a built program for the context's device (an adopted
 * context may hold several devices); NULL when the driver gives none. */
static unsigned char *program_binary(const clbfgs_context *ctx, cl_program program, size_t *size)
{
    cl_uint n = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_NUM_DEVICES, sizeof n, &n, NULL) != CL_SUCCESS ||
        n == 0)
        return NULL;
    cl_device_id *devices = calloc(n, sizeof *devices);
    size_t *sizes = calloc(n, sizeof *sizes);
    unsigned char **bins = calloc(n, sizeof *bins);
    unsigned char *result = NULL;
    cl_uint mine = n;
    if (!devices || !sizes || !bins ||
        clGetProgramInfo(program, CL_PROGRAM_DEVICES, n * sizeof *devices, devices, NULL) !=
            CL_SUCCESS ||
        clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, n * sizeof *sizes, sizes, NULL) !=
            CL_SUCCESS)
        goto cleanup;
    for (cl_uint i = 0; i < n; i++)
        if (devices[i] == ctx->device)
            mine = i;
    if (mine == n || sizes[mine] == 0 || !(bins[mine] = malloc(sizes[mine])))
        goto cleanup;
    /* Entries left NULL are skipped by the driver. */
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, n * sizeof *bins, bins, NULL) ==
        CL_SUCCESS) {
        result = bins[mine];
        bins[mine] = NULL;
        *size = sizes[mine];
    }
cleanup:
    if (bins && mine < n)
        free(bins[mine]);
    free(bins);
    free(sizes);
    free(devices);
    return result;
}

static cl_program load_from_disk(const clbfgs_context *ctx, const char *name, const char *key,
                                 size_t key_len, const char *options)
{
    char why[512];
    unsigned char *bin = NULL;
    size_t size = 0;
    int found = clbfgs__cache_load(ctx->cache_dir, key, key_len, &bin, &size, why, sizeof why);
    if (found == CLBFGS_CACHE_MISS) {
        clbfgs__log(ctx, CLBFGS_LOG_DEBUG, "program cache miss for %s: %s", name, why);
        return NULL;
    }
    if (found != CLBFGS_CACHE_HIT) {
        /* Never handed to the driver; the compile that follows replaces it. */
        clbfgs__log(ctx, CLBFGS_LOG_INFO, "ignoring the cache file of %s: %s; recompiling", name,
                    why);
        return NULL;
    }
    cl_int err = CL_SUCCESS, bin_status = CL_SUCCESS;
    const unsigned char *bins[1] = {bin};
    cl_program program =
        clCreateProgramWithBinary(ctx->cl_ctx, 1, &ctx->device, &size, bins, &bin_status, &err);
    free(bin);
    cl_int build_err = CL_SUCCESS;
    if (err == CL_SUCCESS && bin_status == CL_SUCCESS &&
        (build_err = clBuildProgram(program, 1, &ctx->device, options, NULL, NULL)) == CL_SUCCESS)
        return program;
    clbfgs__log(ctx, CLBFGS_LOG_WARNING,
                "ignoring the cached binary of %s: the driver rejected it (%s); recompiling", name,
                clbfgs__cl_error_name(err != CL_SUCCESS          ? err
                                      : bin_status != CL_SUCCESS ? bin_status
                                                                 : build_err));
    if (program)
        clReleaseProgram(program);
    return NULL;
}

static void store_to_disk(const clbfgs_context *ctx, const char *name, const char *key,
                          size_t key_len, cl_program program)
{
    size_t size = 0;
    unsigned char *bin = program_binary(ctx, program, &size);
    char why[512];
    if (!bin) {
        clbfgs__log(ctx, CLBFGS_LOG_DEBUG, "the driver gives no binary of %s to cache", name);
        return;
    }
    if (clbfgs__cache_store(ctx->cache_dir, key, key_len, bin, size, why, sizeof why) != 0)
        clbfgs__log(ctx, CLBFGS_LOG_WARNING, "cannot cache %s on disk: %s", name, why);
    free(bin);
}

/* "#line 1 \"name\"\n", so build logs name the caller's file rather than the
 * driver's temporary copy; malloc'd. */
static char *line_directive(const char *name)
{
    char *out = malloc(2 * strlen(name) + sizeof "#line 1 \"\"\n");
    if (!out)
        return NULL;
    char *o = out + sprintf(out, "#line 1 \"");
    for (const char *c = name; *c; c++) {
        if (*c == '"' || *c == '\\')
            *o++ = '\\';
        *o++ = (unsigned char)*c < 0x20 ? '?' : *c;
    }
    strcpy(o, "\"\n");
    return out;
}

/* "-I DIR " for a source named by a path with a directory part, so that its
 * #include "x.h" finds x.h beside it (the driver compiles a copy elsewhere);
 * "" otherwise, or when the source includes nothing. malloc'd. */
static char *source_dir_option(const char *name, const char *source)
{
    const char *slash = strrchr(name, '/');
    if (!slash || !clbfgs__includes_present(source))
        return clbfgs__strdup("");
    int len = slash == name ? 1 : (int)(slash - name);
    if (memchr(name, '"', (size_t)len))
        return clbfgs__strdup(""); /* no driver can be given it */
    /* Quoted when it must be; pocl 3.1 cannot take such a path at all. */
    int quote = strcspn(name, " \t\n\r\v\f'") < (size_t)len;
    return clbfgs__strdup_printf("-I %s%.*s%s ", quote ? "\"" : "", len, name, quote ? "\"" : "");
}

/* The first option that makes the compiler read a file or look for headers
 * other than through -I (clang's -include, -imacros, -iquote, -isystem,
 * -idirafter, --include..., -nostdinc), or NULL. */
const char *clbfgs__reads_file_option(const char *options)
{
    for (const char *p = options; p && *p; p++) {
        if (p != options && !strchr(" \t\n\r\v\f", p[-1]))
            continue;
        if (!strncmp(p, "-i", 2) || !strncmp(p, "--include", 9) || !strncmp(p, "-nostdinc", 9))
            return p;
    }
    return NULL;
}

/* The headers the source reaches, for the key; NULL when they cannot all be
 * listed, with why (the program is then cached neither on disk nor in the
 * context). */
static char *header_list(const char *source, const char *options, char *why, size_t why_size)
{
    char **dirs = NULL, *list = NULL;
    size_t ndirs = 0;
    int quoted = 0;
    const char *file_option = clbfgs__reads_file_option(options);
    if (file_option) {
        snprintf(why, why_size,
                 "the build option '%.*s', which reads or finds files the key "
                 "cannot follow",
                 (int)strcspn(file_option, " \t\n"), file_option);
        return NULL;
    }
    if (clbfgs__build_options_include_dirs(options, &dirs, &ndirs, &quoted) != 0)
        snprintf(why, why_size, "out of memory");
    else if (quoted && clbfgs__includes_present(source))
        snprintf(why, why_size, "a quoted -I directory, which drivers read differently");
    else
        clbfgs__includes_list(source, dirs, ndirs, &list, why, why_size);
    clbfgs__build_options_free(dirs, ndirs);
    return list;
}

clbfgs_status clbfgs__program_get(clbfgs_context *ctx, const char *name, const char *source,
                                  const char *options, clbfgs_precision precision, cl_program *out,
                                  clbfgs_program_origin *origin)
{
    return clbfgs__program_get_flags(ctx, name, source, options, precision, 0, out, origin);
}

clbfgs_status clbfgs__program_get_flags(clbfgs_context *ctx, const char *name, const char *source,
                                        const char *options, clbfgs_precision precision,
                                        unsigned flags, cl_program *out,
                                        clbfgs_program_origin *origin)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    char *full_options = NULL, *key = NULL, *dir_option = NULL, *line = NULL, *headers = NULL;
    cl_program program = NULL;
    struct clbfgs_program_entry *entry = NULL, *stale = NULL;
    clbfgs_program_origin from = CLBFGS_PROGRAM_COMPILED;
    char where[256], why[1024] = "";

    CLBFGS_TRY(clbfgs__resolve_precision(ctx, precision, &precision));
    /* Every option reaches the driver through here; check before it sees them. */
    CLBFGS_TRY(clbfgs__build_options_check(ctx->build_options,
                                           "the context's build options or CLBFGS_BUILD_OPTIONS"));
    snprintf(where, sizeof where, "the build options of %s", name);
    CLBFGS_TRY(clbfgs__build_options_check(options, where));
    dir_option = source_dir_option(name, source);
    line = line_directive(name);
    full_options = dir_option && line
                       ? clbfgs__strdup_printf("-DCLBFGS_DOUBLE=%d %s%s %s",
                                               precision == CLBFGS_PRECISION_DOUBLE, dir_option,
                                               ctx->build_options, options ? options : "")
                       : NULL;
    if (!full_options) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "building %s", name);
        goto cleanup;
    }
    headers = header_list(source, full_options, why, sizeof why);
    /* The key holds everything that could change the binary: the headers'
     * contents too, or a changed header would bring back the old binary. */
    key = clbfgs__strdup_printf("clbfgs program cache 2\nlibrary %s\nplatform %s\ndevice %s\n"
                                "device version %s\ndriver %s\noptions %s\nheaders\n%s\n%s%s%s",
                                PACKAGE_VERSION, ctx->info.platform_name, ctx->info.name,
                                ctx->info.opencl_version, ctx->info.driver_version, full_options,
                                headers ? headers : "(unknown)\n", preamble, line, source);
    if (!key) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "building %s", name);
        goto cleanup;
    }
    size_t key_len = strlen(key);

    /* Without the headers the key cannot tell a changed one from the old:
     * such a program is built afresh on every call. */
    for (struct clbfgs_program_entry *e = ctx->programs; e && headers; e = e->next)
        if (e->reusable && e->key_len == key_len && memcmp(e->key, key, key_len) == 0) {
            if ((flags & CLBFGS__PROGRAM_FROM_SOURCE) && e->from_disk) {
                stale = e; /* replaced below by a compile */
                break;
            }
            *out = e->program;
            from = CLBFGS_PROGRAM_MEMORY;
            goto cleanup;
        }

    int disk = ctx->cache_dir != NULL;
    if (!headers) {
        clbfgs__log(ctx, CLBFGS_LOG_INFO, "%s: not using the %scache: %s", name,
                    disk ? "disk cache or the context's " : "context's ", why);
        disk = 0;
    }
    double t0 = clbfgs__now();
    if (disk && !(flags & CLBFGS__PROGRAM_FROM_SOURCE) &&
        (program = load_from_disk(ctx, name, key, key_len, full_options))) {
        from = CLBFGS_PROGRAM_DISK_CACHE;
        clbfgs__log(ctx, CLBFGS_LOG_INFO, "%s: loaded from the disk cache in %.1f ms", name,
                    1e3 * (clbfgs__now() - t0));
    } else {
        cl_int err = CL_SUCCESS;
        const char *parts[3] = {preamble, line, source};
        program = clCreateProgramWithSource(ctx->cl_ctx, 3, parts, NULL, &err);
        CLBFGS_CL_TRY(ctx, err, "creating the program %s", name);
        CLBFGS_TRY(build(ctx, program, name, full_options));
        clbfgs__log(ctx, CLBFGS_LOG_INFO, "%s: compiled in %.1f ms", name,
                    1e3 * (clbfgs__now() - t0));
        if (disk)
            store_to_disk(ctx, name, key, key_len, program);
    }

    /* The context keeps it to release it; one of unknown headers replaces
     * the last build of the same key, so that rebuilding in a context that
     * lives on does not pile programs up. */
    for (struct clbfgs_program_entry *e = ctx->programs; e && !headers && !stale; e = e->next)
        if (!e->reusable && e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
            stale = e;
    if (stale) {
        clReleaseProgram(stale->program);
        stale->program = program;
        stale->from_disk = from == CLBFGS_PROGRAM_DISK_CACHE;
        *out = program;
        program = NULL;
        goto cleanup;
    }
    entry = malloc(sizeof *entry);
    if (!entry) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "program cache entry");
        goto cleanup;
    }
    entry->key = key;
    entry->key_len = key_len;
    entry->reusable = headers != NULL;
    entry->program = program;
    entry->from_disk = from == CLBFGS_PROGRAM_DISK_CACHE;
    entry->next = ctx->programs;
    ctx->programs = entry;
    *out = program;
    key = NULL;
    program = NULL;
cleanup:
    if (status == CLBFGS_SUCCESS && origin)
        *origin = from;
    if (program)
        clReleaseProgram(program);
    free(key);
    free(headers);
    free(line);
    free(dir_option);
    free(full_options);
    return status;
}

clbfgs_status clbfgs_program_build(clbfgs_context *ctx, const char *source, const char *options,
                                   clbfgs_precision precision, cl_program *program,
                                   clbfgs_program_origin *origin)
{
    if (!ctx || !source || !program)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_program_build: context, source and program must not be NULL");
    cl_program built = NULL;
    clbfgs_status status =
        clbfgs__program_get(ctx, "the caller's source", source, options, precision, &built, origin);
    if (status != CLBFGS_SUCCESS)
        return status;
    cl_int err = clRetainProgram(built);
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(ctx, err, "clRetainProgram", "handing out a program");
    *program = built;
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs__kernel_new(const clbfgs_context *ctx, cl_program program, const char *name,
                                 cl_kernel *kernel)
{
    cl_int err = CL_SUCCESS;
    *kernel = clCreateKernel(program, name, &err);
    if (err == CL_SUCCESS)
        return CLBFGS_SUCCESS;
    *kernel = NULL;
    if (err != CL_INVALID_KERNEL_NAME)
        return clbfgs__fail_cl(ctx, err, "clCreateKernel", "kernel '%s'", name);
    char names[2048] = "";
    if (clGetProgramInfo(program, CL_PROGRAM_KERNEL_NAMES, sizeof names, names, NULL) != CL_SUCCESS)
        snprintf(names, sizeof names, "(unknown)");
    names[sizeof names - 1] = '\0';
    return clbfgs__fail(CLBFGS_ERR_KERNEL_NOT_FOUND,
                        "kernel '%s' is not in the program; it has: %s", name,
                        *names ? names : "(no kernels)");
}
