/* Status codes, the thread's last detailed error message, small string helpers. */
#include "config.h"

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLBFGS_MESSAGE_MAX 16384 /* room for a build log's first lines */

static _Thread_local char last_message[CLBFGS_MESSAGE_MAX];

const char *clbfgs_version(void) { return PACKAGE_VERSION; }

const char *clbfgs_strerror(clbfgs_status status)
{
    switch (status) {
    case CLBFGS_SUCCESS: return "success";
    case CLBFGS_ERR_INVALID_ARGUMENT: return "invalid argument";
    case CLBFGS_ERR_OUT_OF_HOST_MEMORY: return "out of host memory";
    case CLBFGS_ERR_NO_PLATFORM: return "no OpenCL platform found";
    case CLBFGS_ERR_DEVICE_NOT_FOUND: return "no device matches the selector";
    case CLBFGS_ERR_OPENCL: return "OpenCL call failed";
    case CLBFGS_ERR_BUILD: return "kernel build failed";
    case CLBFGS_ERR_KERNEL_NOT_FOUND: return "kernel not found in program";
    case CLBFGS_ERR_UNSUPPORTED: return "not supported by the device";
    case CLBFGS_ERR_OUT_OF_DEVICE_MEMORY: return "out of device memory";
    case CLBFGS_ERR_BLAS: return "CLBlast call failed";
    case CLBFGS_ERR_OBJECTIVE: return "the objective callback failed";
    case CLBFGS_ERR_CALLBACK: return "the iteration callback failed";
    }
    return "unknown status";
}

const char *clbfgs_last_error(void) { return last_message; }

/* What the callback in progress on this thread said when it failed. */
static _Thread_local char callback_message[1024];
static _Thread_local int callback_failed;

void clbfgs_callback_fail(const char *message)
{
    snprintf(callback_message, sizeof callback_message, "%s", message ? message : "");
    callback_failed = 1;
}

void clbfgs__callback_begin(void)
{
    callback_failed = 0;
    callback_message[0] = '\0';
}

const char *clbfgs__callback_failure(void)
{
    if (!callback_failed)
        return NULL;
    callback_failed = 0; /* read once: a nested run's failure cannot reach its caller's */
    return callback_message;
}

clbfgs_status clbfgs__objective_callback_result(const char *kind, int rc, size_t evaluation)
{
    const char *why = clbfgs__callback_failure();
    if (rc == 0)
        return CLBFGS_SUCCESS;
    if (why)
        return clbfgs__fail(CLBFGS_ERR_OBJECTIVE,
                            "the %s objective callback failed (evaluation %zu): %s", kind,
                            evaluation, why);
    return clbfgs__fail(CLBFGS_ERR_OBJECTIVE,
                        "the %s objective callback returned %d (evaluation %zu)", kind, rc,
                        evaluation);
}

clbfgs_status clbfgs__iteration_callback(const clbfgs_options *o, const clbfgs_iterate *it,
                                         int *halt)
{
    clbfgs__callback_begin();
    *halt = o->callback(o->callback_user, it);
    const char *why = clbfgs__callback_failure();
    if (*halt && why)
        return clbfgs__fail(CLBFGS_ERR_CALLBACK,
                            "the iteration callback failed (iteration %zu): %s", it->k, why);
    return CLBFGS_SUCCESS;
}

static void set_message(const char *fmt, va_list ap)
{
    int len = vsnprintf(last_message, sizeof last_message, fmt, ap);
    if (len >= (int)sizeof last_message)
        memcpy(last_message + sizeof last_message - 5, "...\n", 5);
}

clbfgs_status clbfgs__fail(clbfgs_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(fmt, ap);
    va_end(ap);
    return status;
}

clbfgs_status clbfgs__fail_cl(const clbfgs_context *ctx, cl_int err, const char *call,
                              const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t call_len = strcspn(call, "(");
    if (call_len > 64)
        call_len = 64;
    clbfgs_status status = (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_INVALID_BUFFER_SIZE)
                               ? CLBFGS_ERR_OUT_OF_DEVICE_MEMORY
                               : CLBFGS_ERR_OPENCL;
    return clbfgs__fail(status, "%.*s failed with %s (%d)%s%s%s: %s", (int)call_len, call,
                        clbfgs__cl_error_name(err), (int)err, ctx ? " on '" : "",
                        ctx ? ctx->info.name : "", ctx ? "'" : "", what);
}

const char *clbfgs__cl_error_name(cl_int err)
{
    switch (err) {
#define NAME(c) case c: return #c
        NAME(CL_SUCCESS);
        NAME(CL_DEVICE_NOT_FOUND);
        NAME(CL_DEVICE_NOT_AVAILABLE);
        NAME(CL_COMPILER_NOT_AVAILABLE);
        NAME(CL_MEM_OBJECT_ALLOCATION_FAILURE);
        NAME(CL_OUT_OF_RESOURCES);
        NAME(CL_OUT_OF_HOST_MEMORY);
        NAME(CL_PROFILING_INFO_NOT_AVAILABLE);
        NAME(CL_MEM_COPY_OVERLAP);
        NAME(CL_IMAGE_FORMAT_MISMATCH);
        NAME(CL_IMAGE_FORMAT_NOT_SUPPORTED);
        NAME(CL_BUILD_PROGRAM_FAILURE);
        NAME(CL_MAP_FAILURE);
        NAME(CL_MISALIGNED_SUB_BUFFER_OFFSET);
        NAME(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
        NAME(CL_COMPILE_PROGRAM_FAILURE);
        NAME(CL_LINKER_NOT_AVAILABLE);
        NAME(CL_LINK_PROGRAM_FAILURE);
        NAME(CL_DEVICE_PARTITION_FAILED);
        NAME(CL_KERNEL_ARG_INFO_NOT_AVAILABLE);
        NAME(CL_INVALID_VALUE);
        NAME(CL_INVALID_DEVICE_TYPE);
        NAME(CL_INVALID_PLATFORM);
        NAME(CL_INVALID_DEVICE);
        NAME(CL_INVALID_CONTEXT);
        NAME(CL_INVALID_QUEUE_PROPERTIES);
        NAME(CL_INVALID_COMMAND_QUEUE);
        NAME(CL_INVALID_HOST_PTR);
        NAME(CL_INVALID_MEM_OBJECT);
        NAME(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR);
        NAME(CL_INVALID_IMAGE_SIZE);
        NAME(CL_INVALID_SAMPLER);
        NAME(CL_INVALID_BINARY);
        NAME(CL_INVALID_BUILD_OPTIONS);
        NAME(CL_INVALID_PROGRAM);
        NAME(CL_INVALID_PROGRAM_EXECUTABLE);
        NAME(CL_INVALID_KERNEL_NAME);
        NAME(CL_INVALID_KERNEL_DEFINITION);
        NAME(CL_INVALID_KERNEL);
        NAME(CL_INVALID_ARG_INDEX);
        NAME(CL_INVALID_ARG_VALUE);
        NAME(CL_INVALID_ARG_SIZE);
        NAME(CL_INVALID_KERNEL_ARGS);
        NAME(CL_INVALID_WORK_DIMENSION);
        NAME(CL_INVALID_WORK_GROUP_SIZE);
        NAME(CL_INVALID_WORK_ITEM_SIZE);
        NAME(CL_INVALID_GLOBAL_OFFSET);
        NAME(CL_INVALID_EVENT_WAIT_LIST);
        NAME(CL_INVALID_EVENT);
        NAME(CL_INVALID_OPERATION);
        NAME(CL_INVALID_GL_OBJECT);
        NAME(CL_INVALID_BUFFER_SIZE);
        NAME(CL_INVALID_MIP_LEVEL);
        NAME(CL_INVALID_GLOBAL_WORK_SIZE);
        NAME(CL_INVALID_PROPERTY);
        NAME(CL_INVALID_IMAGE_DESCRIPTOR);
        NAME(CL_INVALID_COMPILER_OPTIONS);
        NAME(CL_INVALID_LINKER_OPTIONS);
        NAME(CL_INVALID_DEVICE_PARTITION_COUNT);
#undef NAME
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    }
    return "unknown OpenCL error";
}

char *clbfgs__strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy)
        memcpy(copy, s, len);
    return copy;
}

char *clbfgs__strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return NULL;
    char *out = malloc((size_t)len + 1);
    if (!out)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return out;
}

/* Logging lives here, below both context.c and program.c, which use it. */
void clbfgs__log(const clbfgs_context *ctx, clbfgs_log_level level, const char *fmt, ...)
{
    if (!ctx || !ctx->log || level > ctx->log_level)
        return;
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    ctx->log(ctx->log_user, level, message);
}

const char *clbfgs_status_message(int status)
{
    switch (status) {
    case 0: return "Optimization terminated successfully.";
    case 1: return "Maximum number of iterations has been exceeded.";
    case 2: return "Desired error not necessarily achieved due to precision loss.";
    case 3: return "NaN result encountered.";
    case 99: return "Stopped by the callback.";
    }
    return "Unknown status.";
}
