/* Contexts: a device, an OpenCL context and queue, options, and the programs built. */
#include "config.h"

#include "cache.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The size of clbfgs_context_options in the first release that has struct_size
 * (0.2, not yet out): the whole struct until then. Appending a field after
 * that release leaves this at that release's size; a new field must not start
 * inside that size's tail padding (add an explicit pad first if it would). */
#define CONTEXT_OPTIONS_OLDEST sizeof(clbfgs_context_options)

static void context_defaults(clbfgs_context_options *options)
{
    memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->disk_cache = 1;
    options->log_level = CLBFGS_LOG_INFO;
}

void clbfgs_context_options_init_size(clbfgs_context_options *options, size_t struct_size)
{
    clbfgs_context_options defaults;
    context_defaults(&defaults);
    clbfgs__options_init(options, struct_size, &defaults, sizeof defaults);
}

/* The caller's options (NULL: the defaults) as this library's struct. */
static clbfgs_status context_options_read(const clbfgs_context_options *options,
                                          clbfgs_context_options *out)
{
    context_defaults(out);
    return options ? clbfgs__options_read(out, sizeof *out, CONTEXT_OPTIONS_OLDEST, options,
                                          "clbfgs_context_options")
                   : CLBFGS_SUCCESS;
}

/* The cache directory from the options and the environment; NULL when off. */
static clbfgs_status cache_dir_from(const clbfgs_context_options *opts, char **dir)
{
    *dir = NULL;
    const char *env = getenv("CLBFGS_CACHE_DIR");
    if (!opts->disk_cache || (!opts->cache_dir && env && strcmp(env, "off") == 0))
        return CLBFGS_SUCCESS;
    if (opts->cache_dir && *opts->cache_dir)
        *dir = clbfgs__strdup(opts->cache_dir);
    else if (env && *env)
        *dir = clbfgs__strdup(env);
    else if (getenv("XDG_CACHE_HOME") && *getenv("XDG_CACHE_HOME"))
        *dir = clbfgs__strdup_printf("%s/clbfgs", getenv("XDG_CACHE_HOME"));
    else if (getenv("HOME") && *getenv("HOME"))
        *dir = clbfgs__strdup_printf("%s/.cache/clbfgs", getenv("HOME"));
    else
        return CLBFGS_SUCCESS; /* nowhere to keep it: compile every time */
    return *dir ? CLBFGS_SUCCESS
                : clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "cache directory name");
}

/* Everything but the OpenCL objects: options, cache directory, log. */
static clbfgs_status context_alloc(clbfgs_context **out, const clbfgs_context_options *options)
{
    clbfgs_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "clbfgs_context");
    ctx->log = options->log;
    ctx->log_user = options->log_user;
    ctx->log_level = options->log_level;
    clbfgs_status status = cache_dir_from(options, &ctx->cache_dir);
    char why[512];
    if (ctx->cache_dir && clbfgs__cache_dir_check(ctx->cache_dir, why, sizeof why) != 0) {
        /* A directory others can write could hold a planted binary. */
        clbfgs__log(ctx, CLBFGS_LOG_WARNING, "not using the disk program cache: %s", why);
        free(ctx->cache_dir);
        ctx->cache_dir = NULL;
    }
    const char *env_opts = getenv("CLBFGS_BUILD_OPTIONS");
    if (status == CLBFGS_SUCCESS) {
        ctx->build_options = clbfgs__strdup_printf(
            "%s%s%s", options->build_options ? options->build_options : "",
            options->build_options && env_opts ? " " : "", env_opts ? env_opts : "");
        if (!ctx->build_options)
            status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "build options");
    }
    if (status != CLBFGS_SUCCESS) {
        clbfgs_context_free(ctx);
        return status;
    }
    *out = ctx;
    return CLBFGS_SUCCESS;
}

clbfgs_status clbfgs_context_new(clbfgs_context **context, const clbfgs_context_options *options)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_context *ctx = NULL;
    if (!context)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "clbfgs_context_new: context must not be NULL");
    *context = NULL;
    clbfgs_context_options opts;
    CLBFGS_TRY(context_options_read(options, &opts));
    CLBFGS_TRY(context_alloc(&ctx, &opts));
    CLBFGS_TRY(clbfgs_select_device(opts.device, &ctx->info));
    ctx->device = ctx->info.device_id;

    cl_int err = CL_SUCCESS;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                     (cl_context_properties)ctx->info.platform_id, 0};
    ctx->cl_ctx = clCreateContext(props, 1, &ctx->device, NULL, NULL, &err);
    CLBFGS_CL_TRY(ctx, err, "creating a context");
    cl_command_queue_properties qprops = opts.profile ? CL_QUEUE_PROFILING_ENABLE : 0;
    ctx->queue = clCreateCommandQueue(ctx->cl_ctx, ctx->device, qprops, &err);
    CLBFGS_CL_TRY(ctx, err, "creating a command queue");
    clbfgs__log(ctx, CLBFGS_LOG_INFO, "device %u (%u:%u): %s [%s, %s]", ctx->info.index,
                ctx->info.platform_index, ctx->info.device_index, ctx->info.name,
                ctx->info.platform_name, ctx->info.opencl_version);
    *context = ctx;
    ctx = NULL;
cleanup:
    clbfgs_context_free(ctx);
    return status;
}

clbfgs_status clbfgs_context_adopt(clbfgs_context **context, cl_context cl_ctx, cl_device_id device,
                                   cl_command_queue queue, const clbfgs_context_options *options)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    clbfgs_context *ctx = NULL;
    if (!context || !cl_ctx || !device || !queue)
        return clbfgs__fail(
            CLBFGS_ERR_INVALID_ARGUMENT,
            "clbfgs_context_adopt: context, cl_ctx, device and queue must not be NULL");
    *context = NULL;
    clbfgs_context_options opts;
    CLBFGS_TRY(context_options_read(options, &opts));
    CLBFGS_TRY(context_alloc(&ctx, &opts));

    cl_context queue_ctx = NULL;
    cl_device_id queue_dev = NULL;
    cl_command_queue_properties props = 0;
    cl_platform_id platform = NULL;
    CLBFGS_CL_TRY(
        NULL, clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof queue_ctx, &queue_ctx, NULL),
        "reading the adopted queue's context");
    CLBFGS_CL_TRY(NULL,
                  clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof queue_dev, &queue_dev, NULL),
                  "reading the adopted queue's device");
    CLBFGS_CL_TRY(NULL,
                  clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL),
                  "reading the adopted queue's properties");
    if (queue_ctx != cl_ctx || queue_dev != device) {
        status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                              "clbfgs_context_adopt: the queue belongs to another %s",
                              queue_ctx != cl_ctx ? "context" : "device");
        goto cleanup;
    }
    if (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) {
        status = clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                              "clbfgs_context_adopt: the queue must be in-order");
        goto cleanup;
    }
    CLBFGS_CL_TRY(NULL,
                  clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL),
                  "reading the adopted device's platform");
    CLBFGS_TRY(clbfgs__device_info(platform, device, &ctx->info));
    /* Give the adopted device its place in the flat list, if it has one. */
    clbfgs_device_info *list = NULL;
    size_t count = 0;
    if (clbfgs_devices(&list, &count) == CLBFGS_SUCCESS) {
        for (size_t i = 0; i < count; i++)
            if (list[i].device_id == device) {
                ctx->info.index = list[i].index;
                ctx->info.platform_index = list[i].platform_index;
                ctx->info.device_index = list[i].device_index;
            }
        clbfgs_devices_free(list);
    }
    CLBFGS_CL_TRY(NULL, clRetainContext(cl_ctx), "retaining the adopted context");
    ctx->cl_ctx = cl_ctx;
    CLBFGS_CL_TRY(NULL, clRetainCommandQueue(queue), "retaining the adopted queue");
    ctx->queue = queue;
    ctx->device = device;
    *context = ctx;
    ctx = NULL;
cleanup:
    clbfgs_context_free(ctx);
    return status;
}

void clbfgs_context_free(clbfgs_context *ctx)
{
    if (!ctx)
        return;
    /* nothing left in flight when the context is gone: pocl compiles a
     * kernel at its first launch on a thread of its own, and a process
     * that exits under that compile crashes (a failure's return value
     * here cannot be reported, and the queue is released either way) */
    if (ctx->queue)
        (void)clFinish(ctx->queue);
    clbfgs__batch_memo_free(ctx);
    clbfgs__programs_free(ctx);
    if (ctx->queue)
        clReleaseCommandQueue(ctx->queue);
    if (ctx->cl_ctx)
        clReleaseContext(ctx->cl_ctx);
    free(ctx->cache_dir);
    free(ctx->build_options);
    free(ctx);
}

clbfgs_status clbfgs_context_device(const clbfgs_context *ctx, clbfgs_device_info *info)
{
    if (!ctx || !info)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "clbfgs_context_device: NULL argument");
    *info = ctx->info;
    return CLBFGS_SUCCESS;
}

cl_context clbfgs_context_cl_context(const clbfgs_context *ctx) { return ctx ? ctx->cl_ctx : NULL; }

cl_command_queue clbfgs_context_queue(const clbfgs_context *ctx) { return ctx ? ctx->queue : NULL; }
