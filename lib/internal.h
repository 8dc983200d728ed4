/* Internal declarations shared by the library's files. Internal functions are
 * prefixed clbfgs__ (two underscores) and hidden from the shared library. */
#ifndef CLBFGS_INTERNAL_H
#define CLBFGS_INTERNAL_H

#include "clbfgs.h"

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define CLBFGS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLBFGS_PRINTF(f, a)
#endif

struct clbfgs_program_entry;
struct clbfgs_batch_memo;

/* Forgets the one-kernel solve's programs (batch.c; the context owns them). */
void clbfgs__batch_memo_free(struct clbfgs_context *ctx);

struct clbfgs_context {
    cl_context cl_ctx;
    cl_device_id device;
    cl_command_queue queue;
    clbfgs_device_info info;
    char *cache_dir;     /* NULL when the disk cache is off */
    char *build_options; /* the caller's and CLBFGS_BUILD_OPTIONS, or "" */
    clbfgs_log_fn log;
    void *log_user;
    clbfgs_log_level log_level;
    struct clbfgs_program_entry *programs; /* programs built in this context */
    struct clbfgs_batch_memo *batch_programs; /* the one-kernel solve's, by source (batch.c) */
};

/* ---- errors (status.c) ---- */

/* Records a message for clbfgs_last_error() and returns status. */
clbfgs_status clbfgs__fail(clbfgs_status status, const char *fmt, ...) CLBFGS_PRINTF(2, 3);

/* Records "<call> failed with <CL_NAME> (<code>)[ on <device>]: <what>" and
 * returns CLBFGS_ERR_OPENCL (or OUT_OF_DEVICE_MEMORY for allocation codes).
 * call may be a whole expression: only the function name before '(' is kept. */
clbfgs_status clbfgs__fail_cl(const clbfgs_context *ctx, cl_int err, const char *call,
                              const char *fmt, ...) CLBFGS_PRINTF(4, 5);

/* Forgets what the previous callback said; call before calling one of the
 * caller's callbacks. */
void clbfgs__callback_begin(void);
/* The message the callback just called gave clbfgs_callback_fail(), or
 * NULL when it gave none. Call it once after every callback, whatever it
 * returned: it forgets the message (which stays readable until the next
 * clbfgs_callback_fail), so that a failure inside a run the callback made
 * itself cannot be taken for the callback's own. */
const char *clbfgs__callback_failure(void);

/* What an objective callback's return rc means, read just after it returned
 * (clbfgs__callback_begin before it): CLBFGS_SUCCESS for 0, else
 * CLBFGS_ERR_OBJECTIVE naming the kind ("host", "device"), the evaluation
 * and what the callback said through clbfgs_callback_fail(). */
clbfgs_status clbfgs__objective_callback_result(const char *kind, int rc, size_t evaluation);
/* Calls options->callback with it, as every run does: *halt is what it
 * returned (non-zero: stop, status 99); CLBFGS_ERR_CALLBACK when it also
 * called clbfgs_callback_fail(). */
clbfgs_status clbfgs__iteration_callback(const clbfgs_options *o, const clbfgs_iterate *it,
                                         int *halt);

/* The name of an OpenCL error code ("CL_INVALID_VALUE"), or "unknown". */
const char *clbfgs__cl_error_name(cl_int err);

/* Checks an OpenCL call: on failure records the message, sets `status` and
 * jumps to the function's `cleanup` label. */
#define CLBFGS_CL_TRY(ctx, expr, ...)                                                              \
    do {                                                                                           \
        cl_int clbfgs_err_ = (expr);                                                               \
        if (clbfgs_err_ != CL_SUCCESS) {                                                           \
            status = clbfgs__fail_cl((ctx), clbfgs_err_, #expr, __VA_ARGS__);                      \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

/* Jumps to cleanup when a clbfgs call failed (its message is already set). */
#define CLBFGS_TRY(expr)                                                                           \
    do {                                                                                           \
        status = (expr);                                                                           \
        if (status != CLBFGS_SUCCESS)                                                              \
            goto cleanup;                                                                          \
    } while (0)

/* ---- versioned option structs (options.c) ---- */

/* *_init_size(): the defaults (a whole struct of `size` bytes) into the
 * caller's struct of struct_size bytes, then struct_size. */
void clbfgs__options_init(void *options, size_t struct_size, const void *defaults, size_t size);

/* Reads the caller's options into dst (a struct of `size` bytes that holds
 * the defaults): the fields within options->struct_size, which must be at
 * least `oldest` (the struct's size in the first release that had
 * struct_size) and at most `size`; else INVALID_ARGUMENT naming type's
 * *_init(). dst->struct_size becomes size. */
clbfgs_status clbfgs__options_read(void *dst, size_t size, size_t oldest, const void *options,
                                   const char *type);

/* ---- logging (status.c) ---- */

void clbfgs__log(const clbfgs_context *ctx, clbfgs_log_level level, const char *fmt, ...)
    CLBFGS_PRINTF(3, 4);

/* ---- strings (status.c) ---- */

/* malloc'd printf; NULL when out of memory. */
char *clbfgs__strdup_printf(const char *fmt, ...) CLBFGS_PRINTF(1, 2);
char *clbfgs__strdup(const char *s);

/* ---- devices (device.c) ---- */

clbfgs_status clbfgs__device_info(cl_platform_id platform, cl_device_id device,
                                  clbfgs_device_info *info);

/* ---- programs (program.c) ---- */

void clbfgs__programs_free(clbfgs_context *ctx);

/* Builds (or finds in a cache) a program of the library's own; name is its
 * file ("cl/util.cl") for messages. The context owns the result: do not
 * release it. One whose headers cannot be listed is built on every call and
 * released by the next call for the same source and options: create its
 * kernels (which keep it) at once, or retain it. */
clbfgs_status clbfgs__program_get(clbfgs_context *ctx, const char *name, const char *source,
                                  const char *options, clbfgs_precision precision,
                                  cl_program *program, clbfgs_program_origin *origin);

/* clbfgs__program_get_flags: compile from source, passing over the disk
 * cache and a program of this context that was loaded from it. Drivers need
 * not give the argument info of a program built from a binary. */
#define CLBFGS__PROGRAM_FROM_SOURCE 1u
clbfgs_status clbfgs__program_get_flags(clbfgs_context *ctx, const char *name, const char *source,
                                        const char *options, clbfgs_precision precision,
                                        unsigned flags, cl_program *program,
                                        clbfgs_program_origin *origin);

/* The first build option that reads or finds files by itself (-include,
 * -imacros, -isystem, --include..., -nostdinc), or NULL. */
const char *clbfgs__reads_file_option(const char *options);

/* Creates a kernel; a missing name is CLBFGS_ERR_KERNEL_NOT_FOUND with the
 * program's kernel names in the message. */
clbfgs_status clbfgs__kernel_new(const clbfgs_context *ctx, cl_program program, const char *name,
                                 cl_kernel *kernel);

/* Monotonic wall clock in seconds. */
double clbfgs__now(void);

/* "double" or "float": the C type `real` stands for in a run of that precision. */
const char *clbfgs__real_name(clbfgs_precision precision);
/* Resolves AUTO against the device; UNSUPPORTED for double without fp64. */
clbfgs_status clbfgs__resolve_precision(const clbfgs_context *ctx, clbfgs_precision requested,
                                        clbfgs_precision *resolved);

#endif
