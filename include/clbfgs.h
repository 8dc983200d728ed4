/* clbfgs — BFGS minimization on any OpenCL device.
 *
 * The one public header. Handles are opaque; every function that can fail
 * returns a clbfgs_status, and clbfgs_last_error() gives the detailed message
 * (which device, which kernel, which OpenCL call and its code) for the most
 * recent failure on the calling thread. The library never prints unless
 * asked (see clbfgs_log_fn), never exits and never aborts.
 *
 * A clbfgs_context is not thread-safe: use one per thread, or lock around it.
 */
#ifndef CLBFGS_H
#define CLBFGS_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CLBFGS_BUILDING) && defined(__GNUC__)
#define CLBFGS_API __attribute__((visibility("default")))
#else
#define CLBFGS_API
#endif

/* ---- Version ----------------------------------------------------------- */

#define CLBFGS_VERSION_MAJOR 0
#define CLBFGS_VERSION_MINOR 1
#define CLBFGS_VERSION_PATCH 0

/** The library's version as "MAJOR.MINOR.PATCH" (of the library loaded at
 * run time, which may differ from the header's CLBFGS_VERSION_*). */
CLBFGS_API const char *clbfgs_version(void);

/* ---- Status codes and errors ------------------------------------------- */

typedef enum clbfgs_status {
    CLBFGS_SUCCESS = 0,
    /** An argument was NULL, zero or out of range; the message names it. */
    CLBFGS_ERR_INVALID_ARGUMENT = -1,
    /** A host allocation failed. */
    CLBFGS_ERR_OUT_OF_HOST_MEMORY = -2,
    /** No OpenCL platform is installed (no ICD, or the loader found none). */
    CLBFGS_ERR_NO_PLATFORM = -3,
    /** A device selector matched nothing; the message lists the devices. */
    CLBFGS_ERR_DEVICE_NOT_FOUND = -4,
    /** An OpenCL call failed; the message names the call and its code. */
    CLBFGS_ERR_OPENCL = -5,
    /** A kernel source failed to compile; the message holds the build log. */
    CLBFGS_ERR_BUILD = -6,
    /** A kernel name is not in the program. */
    CLBFGS_ERR_KERNEL_NOT_FOUND = -7,
    /** The device cannot do what was asked (double precision without fp64). */
    CLBFGS_ERR_UNSUPPORTED = -8,
    /** The problem does not fit in device memory; the message gives bytes. */
    CLBFGS_ERR_OUT_OF_DEVICE_MEMORY = -9,
    /** A CLBlast call failed; the message names the routine and its code. */
    CLBFGS_ERR_BLAS = -10,
    /** The caller's objective callback reported a failure. */
    CLBFGS_ERR_OBJECTIVE = -11,
    /** The caller's iteration callback reported a failure with
     * clbfgs_callback_fail() (since 0.3). */
    CLBFGS_ERR_CALLBACK = -12
} clbfgs_status;

/** A fixed, short description of a status code (never NULL). */
CLBFGS_API const char *clbfgs_strerror(clbfgs_status status);

/** The detailed message of the most recent failure on the calling thread,
 * or "" if none. Valid until the next failing clbfgs call on this thread. */
CLBFGS_API const char *clbfgs_last_error(void);

/** For a callback of the caller's that fails (clbfgs_host_fn,
 * clbfgs_device_fn, clbfgs_callback_fn): call it with a message, then
 * return non-zero. The run ends with an error whose message
 * (clbfgs_last_error(); clbfgs_result.message holds its first 127 bytes)
 * ends with yours:
 * CLBFGS_ERR_OBJECTIVE from an objective callback, CLBFGS_ERR_CALLBACK from
 * an iteration callback (which, returning non-zero without calling this,
 * stops the run with status 99 instead, as SciPy's StopIteration does). The
 * result keeps the best point reached and the counts, as for every error.
 * The message is copied (its first 1023 bytes; NULL reads as ""); it
 * belongs to the callback call in progress on the calling thread, and is
 * forgotten when the next callback is called. Language bindings use it to
 * end a run on an exception and raise that exception to their caller. */
CLBFGS_API void clbfgs_callback_fail(const char *message);

/* ---- Versioned option structs ------------------------------------------
 *
 * clbfgs_context_options, clbfgs_source_options and clbfgs_options begin
 * with `size_t struct_size`. Fill each with its *_init() function, which
 * sets struct_size to the struct's size as *your* program was compiled
 * (they are inline, over the library's *_init_size()), and the defaults.
 * Fields are only ever appended. The library reads only the fields that fit
 * in struct_size and takes its defaults for the rest, so a program compiled
 * against an older, smaller header keeps working with a newer library. A
 * struct_size of 0 or one that no version of the struct ever had (a struct
 * never passed to its *_init) is CLBFGS_ERR_INVALID_ARGUMENT, and so is one
 * larger than the library's (a program compiled against a newer header than
 * the library it runs with); the message names the *_init to use. */

/* ---- Logging ----------------------------------------------------------- */

typedef enum clbfgs_log_level {
    CLBFGS_LOG_ERROR = 0,
    CLBFGS_LOG_WARNING = 1,
    CLBFGS_LOG_INFO = 2, /**< device chosen, program cache hits and misses */
    CLBFGS_LOG_DEBUG = 3
} clbfgs_log_level;

/** Receives the library's messages; nothing is printed without one. */
typedef void (*clbfgs_log_fn)(void *user, clbfgs_log_level level, const char *message);

/* ---- Devices ----------------------------------------------------------- */

typedef enum clbfgs_device_type {
    CLBFGS_DEVICE_CPU = 1,
    CLBFGS_DEVICE_GPU = 2,
    CLBFGS_DEVICE_ACCELERATOR = 3,
    CLBFGS_DEVICE_OTHER = 4
} clbfgs_device_type;

/** What a user needs to choose a device. Strings are NUL-terminated and
 * truncated to fit. */
typedef struct clbfgs_device_info {
    unsigned index;          /**< position in the flat list of all devices */
    unsigned platform_index; /**< selector "P:D" is platform_index:device_index */
    unsigned device_index;
    clbfgs_device_type type;
    char name[128];
    char vendor[128];
    char platform_name[128];
    char opencl_version[64]; /**< CL_DEVICE_VERSION, e.g. "OpenCL 3.0 ..." */
    char driver_version[64];
    int has_fp64;              /**< 1 if the device computes in double */
    uint64_t global_mem_bytes; /**< CL_DEVICE_GLOBAL_MEM_SIZE */
    uint64_t max_alloc_bytes;  /**< CL_DEVICE_MAX_MEM_ALLOC_SIZE */
    unsigned compute_units;
    uint64_t max_work_group_size;
    cl_platform_id platform_id;
    cl_device_id device_id;
} clbfgs_device_info;

/** "cpu", "gpu", "accelerator" or "other": the words selectors accept. */
CLBFGS_API const char *clbfgs_device_type_name(clbfgs_device_type type);

/** Every device of every platform, platform by platform. On success *list is
 * an array of *count entries to release with clbfgs_devices_free().
 * CLBFGS_ERR_NO_PLATFORM when no OpenCL platform exists. */
CLBFGS_API clbfgs_status clbfgs_devices(clbfgs_device_info **list, size_t *count);

/** Releases a list from clbfgs_devices(); NULL is fine. */
CLBFGS_API void clbfgs_devices_free(clbfgs_device_info *list);

/** Resolves a device selector, as clbfgs_context_new() does:
 *  - NULL or "": the CLBFGS_DEVICE environment variable if set and non-empty,
 *    else the first GPU, else the first device of any kind;
 *  - "N": the N-th device of the flat list; "P:D": device D of platform P;
 *  - "gpu", "cpu", "accelerator" (any case): the first device of that type;
 *  - anything else: the first device whose name, vendor or platform name
 *    contains it, ignoring case ("pocl", "NVIDIA", "gfx1100").
 * A selector that matches nothing is CLBFGS_ERR_DEVICE_NOT_FOUND, and the
 * message lists the devices that exist; there is never a silent fallback. */
CLBFGS_API clbfgs_status clbfgs_select_device(const char *selector, clbfgs_device_info *out);

/* ---- Precision --------------------------------------------------------- */

typedef enum clbfgs_precision {
    CLBFGS_PRECISION_AUTO = 0, /**< double where the device has fp64, else float */
    CLBFGS_PRECISION_DOUBLE = 1,
    CLBFGS_PRECISION_FLOAT = 2
} clbfgs_precision;

/* ---- Context ----------------------------------------------------------- */

typedef struct clbfgs_context clbfgs_context;

/** Options for clbfgs_context_new(). Fill with clbfgs_context_options_init();
 * a NULL options pointer means the defaults. */
typedef struct clbfgs_context_options {
    /** sizeof the struct as the caller was compiled; set by clbfgs_context_options_init()
     * (never by hand). See "Versioned option structs". */
    size_t struct_size;
    /** Device selector (see clbfgs_select_device); NULL (default) defers to
     * CLBFGS_DEVICE, then the first GPU, then the first device. */
    const char *device;
    /** Directory of the on-disk program cache. NULL (default): the
     * CLBFGS_CACHE_DIR environment variable, else $XDG_CACHE_HOME/clbfgs,
     * else $HOME/.cache/clbfgs. Created 0700 when missing; another user's,
     * one group or others can write, or a symbolic link (name the directory
     * itself) is refused with a warning. */
    const char *cache_dir;
    /** 1 (default) to keep compiled programs on disk between processes; 0 to
     * compile every process. CLBFGS_CACHE_DIR=off also turns it off. */
    int disk_cache;
    /** Extra options appended to every kernel build (after the library's);
     * NULL (default) for none. The CLBFGS_BUILD_OPTIONS environment variable
     * is appended after these. */
    const char *build_options;
    clbfgs_log_fn log;          /**< NULL (default): the library stays silent */
    void *log_user;             /**< passed to log as its first argument */
    clbfgs_log_level log_level; /**< most verbose level passed on; default INFO */
    /** 1 to create the queue with CL_QUEUE_PROFILING_ENABLE, so that results
     * split the iterations' device time by phase (clbfgs_timings); 0
     * (default) for none. An adopted queue profiles when it was created so. */
    int profile;
} clbfgs_context_options;

/** Fills the first struct_size bytes of options (a struct compiled with
 * that size) with the defaults and struct_size; bytes beyond the library's
 * own struct are zeroed. Call it through the inline *_init() below. */
CLBFGS_API void clbfgs_context_options_init_size(clbfgs_context_options *options,
                                                 size_t struct_size);
/** Fills options with the documented defaults and struct_size; NULL is fine. */
static inline void clbfgs_context_options_init(clbfgs_context_options *options)
{
    clbfgs_context_options_init_size(options, sizeof *options);
}

/** Chooses a device, creates an OpenCL context and an in-order queue on it. */
CLBFGS_API clbfgs_status clbfgs_context_new(clbfgs_context **context,
                                            const clbfgs_context_options *options);

/** Wraps the caller's own OpenCL context, device and in-order queue (the queue
 * must belong to that context and device). The library retains all three and
 * releases its references in clbfgs_context_free(); the caller keeps its own.
 * options->device is ignored. */
CLBFGS_API clbfgs_status clbfgs_context_adopt(clbfgs_context **context, cl_context cl_ctx,
                                              cl_device_id device, cl_command_queue queue,
                                              const clbfgs_context_options *options);

/** Releases the context, its queue and every cached program; NULL is fine. */
CLBFGS_API void clbfgs_context_free(clbfgs_context *context);

/** The device the context runs on. */
CLBFGS_API clbfgs_status clbfgs_context_device(const clbfgs_context *context,
                                               clbfgs_device_info *info);

/** The underlying OpenCL objects, owned by the context (do not release them). */
CLBFGS_API cl_context clbfgs_context_cl_context(const clbfgs_context *context);
CLBFGS_API cl_command_queue clbfgs_context_queue(const clbfgs_context *context);

/* ---- Programs ---------------------------------------------------------- */

/** Where a built program came from. */
typedef enum clbfgs_program_origin {
    CLBFGS_PROGRAM_COMPILED = 0,  /**< compiled from source (and cached) */
    CLBFGS_PROGRAM_MEMORY = 1,    /**< already built in this context */
    CLBFGS_PROGRAM_DISK_CACHE = 2 /**< loaded from the on-disk cache */
} clbfgs_program_origin;

/** Compiles OpenCL C source for the context's device, with the library's
 * preamble: `real` is double or float by precision (AUTO: double where the
 * device has fp64), `real2`..`real16` the vector types, and CLBFGS_DOUBLE is
 * 1 or 0. Programs are cached in the context and on disk, keyed by device,
 * driver version, source, options and the contents of every header the
 * source #includes. A program whose headers cannot all be listed (one that
 * cannot be found, a computed #include, __has_include) is compiled on every
 * call and cached nowhere. On
 * success *program is a new reference (release it with clReleaseProgram). A
 * compile error is CLBFGS_ERR_BUILD and clbfgs_last_error() carries the build
 * log. origin may be NULL. */
CLBFGS_API clbfgs_status clbfgs_program_build(clbfgs_context *context, const char *source,
                                              const char *options, clbfgs_precision precision,
                                              cl_program *program, clbfgs_program_origin *origin);

/* ---- Objectives -------------------------------------------------------- */

/** An objective: what to minimize, and how its value and gradient are
 * computed. Four kinds, one interface: OpenCL C source (the main one), a
 * device callback, a host callback, and built-in problems. An objective may
 * be used for any number of runs, one at a time. */
typedef struct clbfgs_objective clbfgs_objective;

/** Options for clbfgs_objective_source(). Fill with
 * clbfgs_source_options_init(); a NULL pointer means the defaults. */
typedef struct clbfgs_source_options {
    /** sizeof the struct as the caller was compiled; set by clbfgs_source_options_init()
     * (never by hand). See "Versioned option structs". */
    size_t struct_size;
    /** A name for messages and build logs (the source starts at #line 1
     * "NAME"), such as the file name; default "objective.cl". A quoted
     * #include "x.h" of the source is searched for in the working directory
     * first (as pocl's compiler does), then in the name's directory part, if
     * any ("src/obj.cl"; relative to the working directory, passed as -I
     * src), then in the -I directories of the build options; <x.h> skips
     * the working directory. pocl 3.1 cannot take a directory with a space
     * in its name. A quoted name found both in the working directory and in
     * another of these keeps the program off the disk cache, since drivers
     * differ on the order. */
    const char *name;
    /** Extra compiler options (-D..., -I...); default NULL. Checked by
     * clbfgs_objective_source: -D without a macro name, -I without a
     * directory or an unbalanced quote is CLBFGS_ERR_INVALID_ARGUMENT there,
     * with a message that names the option and quotes these options. */
    const char *build_options;
    /** 1 (default): the kernel writes the gradient. 0: it computes f only,
     * and the library forms the gradient by forward differences on the
     * device, all n perturbed points in one launch (see the contract). */
    int gradient;
    /** Work-items, and so f terms, per problem; 0 (default) means n. Set it
     * when a work-item does not stand for one coordinate (then pass the
     * value to the kernel as an extra argument, so it can guard its range). */
    size_t work_size;
} clbfgs_source_options;

/** Fills the first struct_size bytes of options (a struct compiled with
 * that size) with the defaults and struct_size; bytes beyond the library's
 * own struct are zeroed. Call it through the inline *_init() below. */
CLBFGS_API void clbfgs_source_options_init_size(clbfgs_source_options *options, size_t struct_size);
/** Fills options with the defaults above and struct_size; NULL is fine. */
static inline void clbfgs_source_options_init(clbfgs_source_options *options)
{
    clbfgs_source_options_init_size(options, sizeof *options);
}

/** An objective given as OpenCL C source. The library compiles it with its
 * preamble (`real` is double or float, `real2`..`real16`, CLBFGS_DOUBLE 1 or
 * 0) and calls the kernel named `kernel`, which must read:
 *
 *     __kernel void NAME(const uint n, __global const real *x,
 *                        __global real *f_terms, __global real *g, ...)
 *
 * (without `g` when options->gradient is 0). It is launched over W x P
 * work-items, W = options->work_size (default n) rounded up to a multiple
 * of 64, and P problems: one for a plain run, n + 1 for forward differences,
 * more for batched runs. Work-item (i, b) with i < W reads problem b's point
 * at x + b n, writes its share of f to f_terms[b W + i] (0 when it has
 * none), and, with a gradient, the kernel writes every g[b n + j], j < n.
 * Work-items with i >= W must return without writing. f of problem b is the
 * sum of its W terms. Arguments after the fixed ones are the caller's (at
 * most 64): set each with the clbfgs_objective_set_arg* functions before
 * minimizing; minimizing checks that every one is set and that it fits the
 * kernel's declaration (the source is built with -cl-kernel-arg-info): a
 * value for a __global or __constant pointer, a buffer for a value, a size
 * that is not the type's (`real` is double or float as the run is), a typed
 * value (clbfgs_objective_set_arg_typed) of another type, a value for
 * __local memory, and fixed arguments of another shape (n must be a uint or
 * an int by its type name, not just 4 bytes) are each
 * CLBFGS_ERR_INVALID_ARGUMENT naming the argument's index and name, what it
 * takes and what was given. Drivers need give argument info only for
 * programs built from source, so a program from the disk cache that gives
 * none is compiled again from source (once per context); where the driver
 * gives none even so, only the sizes clSetKernelArg checks are checked.
 *
 * The source is copied; compiling happens in clbfgs_minimize (errors there
 * are CLBFGS_ERR_BUILD with the build log, or CLBFGS_ERR_KERNEL_NOT_FOUND
 * with the program's kernel names). */
CLBFGS_API clbfgs_status clbfgs_objective_source(clbfgs_objective **objective, const char *source,
                                                 const char *kernel,
                                                 const clbfgs_source_options *options);

/** Sets kernel argument `index` (counted as clSetKernelArg counts, so the
 * first extra argument is 4, or 3 without a gradient) to `size` bytes at
 * value (copied; at most 128 bytes), or to __local memory of `size` bytes
 * when value is NULL. Raw bytes carry no type, so they are checked by size
 * only: prefer clbfgs_objective_set_arg_typed for scalars, and keep this for
 * structs and __local memory. For a cl_mem use clbfgs_objective_set_arg_buffer. */
CLBFGS_API clbfgs_status clbfgs_objective_set_arg(clbfgs_objective *objective, unsigned index,
                                                  size_t size, const void *value);
/** Sets kernel argument `index` to a value of an OpenCL C scalar or vector
 * type, named as in OpenCL C: "int", "uint" (or "unsigned int"), "long",
 * "ulong", "short", "ushort", "char", "uchar", "half", "float", "double", or
 * a vector of one ("float4"). `size` must be that type's size (4 for "int",
 * 16 for "float3"), and value points at it (copied). A name that is not such
 * a type, a pointer, `real` (use clbfgs_objective_set_arg_real) or a size
 * that is not the type's is CLBFGS_ERR_INVALID_ARGUMENT at once. Minimizing
 * checks the type against the kernel's declaration (qualifiers aside, `real`
 * as double or float as the run is): an int for a float, or a uint for an
 * int, is CLBFGS_ERR_INVALID_ARGUMENT naming the argument's index and name,
 * the kernel's type and the given one. A type of the kernel's own (a typedef
 * other than real, a struct), or a driver that gives no argument info, leaves
 * the size check of clSetKernelArg. */
CLBFGS_API clbfgs_status clbfgs_objective_set_arg_typed(clbfgs_objective *objective, unsigned index,
                                                        const char *type, size_t size,
                                                        const void *value);
/** Sets a `real` argument: passed as double or float, as the run is. */
CLBFGS_API clbfgs_status clbfgs_objective_set_arg_real(clbfgs_objective *objective, unsigned index,
                                                       double value);
/** Sets a `__global const real *` argument to a copy of count values; the
 * library puts them on the device in the run's precision (double or
 * float), so one call serves both. The device copy is made by the first run
 * that needs it and kept with the objective for the next runs in the same
 * context and precision (until the argument is set again or the objective
 * freed): a large dataset crosses to the device once, not once per solve.
 * So runs of one objective are not to be started from two threads at once. */
CLBFGS_API clbfgs_status clbfgs_objective_set_arg_reals(clbfgs_objective *objective, unsigned index,
                                                        const double *values, size_t count);
/** Sets a buffer argument; the objective retains the buffer until it is
 * freed or the argument is set again. */
CLBFGS_API clbfgs_status clbfgs_objective_set_arg_buffer(clbfgs_objective *objective,
                                                         unsigned index, cl_mem buffer);

/** A device objective: enqueues work on `queue` (the library's in-order
 * queue) that writes f(x) into `f` (one real) and the gradient into `g` (n
 * reals), reading `x` (n reals); real is double or float as `precision`
 * says. The callback may use its own kernels and CLBlast on that queue; work
 * it puts on another queue must be finished before it returns. It returns
 * 0, or non-zero to stop the run with CLBFGS_ERR_OBJECTIVE (say why with
 * clbfgs_callback_fail()). The buffers are valid during the call only. */
typedef int (*clbfgs_device_fn)(void *user, cl_command_queue queue, cl_mem x, cl_mem f, cl_mem g,
                                size_t n, clbfgs_precision precision);

/** An objective evaluated on the device by fn. */
CLBFGS_API clbfgs_status clbfgs_objective_device(clbfgs_objective **objective, clbfgs_device_fn fn,
                                                 void *user);

/** A host objective, the SciPy habit: writes f(x) into *f and the gradient
 * into g (x and g both n long). x goes to the host and g back to the device
 * at each evaluation; the O(n^2) work still runs on the device. Up to n =
 * 256 (precision double or AUTO, options.single_kernel 0) clbfgs_minimize runs the whole
 * BFGS iteration on the host instead: a device run's round trips per
 * evaluation cost more there than the O(n^2) work (see single_kernel). It returns
 * 0, or non-zero to stop the run with CLBFGS_ERR_OBJECTIVE (the result keeps
 * the best point reached; say why with clbfgs_callback_fail()), as
 * clbfgs_device_fn does. A non-finite *f is not
 * an error: it is a step too far, and the line search backs off. *f and g
 * hold NaN on entry, so a value left unwritten shows up as NaN. */
typedef int (*clbfgs_host_fn)(void *user, const double *x, size_t n, double *f, double *g);

/** An objective evaluated on the host by fn. */
CLBFGS_API clbfgs_status clbfgs_objective_host(clbfgs_objective **objective, clbfgs_host_fn fn,
                                               void *user);

/** A function that combines an evaluation with other processes' (an MPI
 * Allreduce is what include/clbfgs_mpi.h sets; any other transport fits).
 * fg holds this process's f then its gradient, n + 1 doubles, on the host;
 * the function replaces them, in place, with the combined values, and the
 * run goes on with those. failed is non-zero when this process's evaluation
 * failed (fg then holds NaN): the function is called even so, so that a
 * collective it runs still completes on every process, and the run ends
 * with the evaluation's own error whatever it returns. It returns 0, or
 * non-zero to end the run with CLBFGS_ERR_OBJECTIVE (say why with
 * clbfgs_callback_fail()). */
typedef int (*clbfgs_reduce_fn)(void *user, double *fg, size_t n, int failed);

/** Sets (fn not NULL) or clears (fn NULL) the objective's reduce function,
 * called after every evaluation of every run with the objective (since
 * 0.3). Each evaluation then reads f and g to the host (and f's terms,
 * where the kind leaves f as terms: work_size of them for a source
 * objective, a few per work-group for a term objective), and writes the
 * combined f and g back (n + 1 reals). So that every process makes
 * the same evaluations in the same order, such an objective is never
 * evaluated ahead of need, and runs host-driven: never in the one-kernel
 * solve (clbfgs_minimize_batch refuses it; options.single_kernel = 1 is an
 * error) nor in the host solve of a host objective. A solver of the step
 * API takes the change at its next clbfgs_solver_start. */
CLBFGS_API clbfgs_status clbfgs_objective_set_reduce(clbfgs_objective *objective,
                                                     clbfgs_reduce_fn fn, void *user);

/** A built-in objective, by name:
 *  - "rosen": SciPy's rosen, sum_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2;
 *  - "ext-rosenbrock": extended Rosenbrock (Moré, Garbow & Hillstrom 21), n even;
 *  - "quadratic": sum_i (i+1)/2 (x_i - 1)^2, convex, condition number n.
 * Each is a kernel of cl/objectives.cl, written to the source contract. */
CLBFGS_API clbfgs_status clbfgs_objective_builtin(clbfgs_objective **objective, const char *name);

/** The built-in L2-regularised logistic regression on a dataset held on the
 * context's device:
 *
 *     f(w) = sum_i [log(1 + exp(a_i . w)) - y_i a_i . w] + lambda/2 |w|^2,
 *
 * with rows a_i of the m x n row-major matrix a and labels y_i in {0, 1}.
 * Each evaluation is two CLBlast GEMVs and one elementwise kernel. The data
 * are copied to the device now, in `precision` (AUTO: double where the
 * device has fp64; in float, a value or lambda past float's range is
 * CLBFGS_ERR_INVALID_ARGUMENT); runs must use that precision and n. The
 * objective uses the context, which must outlive it. */
CLBFGS_API clbfgs_status clbfgs_objective_logistic(clbfgs_objective **objective,
                                                   clbfgs_context *context, size_t m, size_t n,
                                                   const double *a, const double *y, double lambda,
                                                   clbfgs_precision precision);

/** Options for clbfgs_objective_terms(). Fill with clbfgs_terms_options_init(). */
typedef struct clbfgs_terms_options {
    /** sizeof the struct as the caller was compiled; set by clbfgs_terms_options_init()
     * (never by hand). See "Versioned option structs". */
    size_t struct_size;
    /** A name for messages and build logs; default "terms.cl". */
    const char *name;
    /** The function's data parameters after g, declared as in OpenCL C
     * ("__global const real *t, __global const real *y, const real c");
     * NULL (default) for none. Set them with clbfgs_objective_set_arg_*(),
     * counting from 0. */
    const char *args;
    /** 1 (default): the function writes its item's gradient into g (n reals,
     * zero on entry); 0: it has no g parameter, and the gradient comes from
     * forward differences in the same pass over the data (SciPy's rule). */
    int gradient;
    /** 1: the function's value is a residual r_i (and g its gradient);
     * f = 1/2 sum r_i^2 and the gradient J^T r. Default 0: f = sum of the values. */
    int least_squares;
    /** Extra OpenCL build options (-D...), checked as clbfgs_source_options'. */
    const char *build_options;
} clbfgs_terms_options;

/** Fills the first struct_size bytes of options with the defaults. */
CLBFGS_API void clbfgs_terms_options_init_size(clbfgs_terms_options *options, size_t struct_size);
/** Fills options with the defaults above and struct_size; NULL is fine. */
static inline void clbfgs_terms_options_init(clbfgs_terms_options *options)
{
    clbfgs_terms_options_init_size(options, sizeof *options);
}

/** An objective summed over m data items (1 .. 2^32 - 1): f = sum over
 * i < m of `function` for item i, written by the caller in OpenCL C as
 *
 *     real FUNCTION(const uint i, const real *x, real *g, <the data arguments>)
 *
 * (without `real *g` when options.gradient is 0): it returns item i's
 * value and, with a gradient, writes d(value)/dx_j into g[j] (g holds n
 * reals, zero on entry; x holds the n parameters; both are private). The
 * source sees CLBFGS_N, the number of parameters, defined. The data
 * arguments (options.args) are set with clbfgs_objective_set_arg_reals (host
 * values, copied to the device in the run's precision by the first run and
 * kept for the next ones),
 * _set_arg_buffer (the caller's cl_mem, used in place) or the scalar setters,
 * counting from 0. The library writes and launches the kernels that sum f
 * and the gradient on the device (cl/terms.cl): each work-group takes a
 * block of items, 64 at a time; each work-item keeps compensated (Kahan)
 * sums; each work-group adds its work-items' sums in a fixed tree, and a
 * second pass adds the groups' sums in order. So the same inputs give the
 * same bits on one device, and a float sum of 10^7 items is within a few
 * ulps of the exact one. With options.gradient 0 the same pass evaluates
 * each item at x and at the n points x + h_j e_j (SciPy's step rule and
 * eps), one read of the data for f and the whole gradient.
 *
 * n is compiled in. Up to 64 the sums stay in registers; from 65 to 1024
 * each work-item's sums go through global memory (slower per parameter);
 * above 1024 is CLBFGS_ERR_UNSUPPORTED, as x and g, private arrays by this
 * contract, no longer fit. m = 0 or more than 2^32 - 1, a function name that
 * is not an identifier, or args that are not a parameter list are
 * CLBFGS_ERR_INVALID_ARGUMENT now; a data argument never set, or set to the
 * wrong kind ("data argument 1 ('y', ...) of function 'f'"), when a run
 * starts; a function that does not compile is CLBFGS_ERR_BUILD with the
 * build log, its lines those of the caller's source (options.name). NaN in
 * the data makes f NaN: the run ends with status 3, as SciPy's does. */
CLBFGS_API clbfgs_status clbfgs_objective_terms(clbfgs_objective **objective, const char *source,
                                                const char *function, size_t m,
                                                const clbfgs_terms_options *options);

/** Releases an objective and anything it holds; NULL is fine. */
CLBFGS_API void clbfgs_objective_free(clbfgs_objective *objective);

/* ---- Minimization ------------------------------------------------------ */

/** What the callback sees after each iteration. */
typedef struct clbfgs_iterate {
    size_t k;        /**< iterations done (1 after the first) */
    double f;        /**< f at x */
    double gnorm;    /**< the gradient's norm (options.norm) */
    double step;     /**< ||x_k - x_{k-1}||_2 */
    size_t nfev;     /**< objective evaluations so far */
    const double *x; /**< the current point, n values (valid during the call) */
    size_t n;
} clbfgs_iterate;

/** Called after each iteration; a non-zero return stops the run (status 99),
 * or ends it with CLBFGS_ERR_CALLBACK after clbfgs_callback_fail(). */
typedef int (*clbfgs_callback_fn)(void *user, const clbfgs_iterate *iterate);

/** The minimization method (clbfgs_options.method). */
typedef enum clbfgs_method {
    CLBFGS_METHOD_BFGS = 0,  /**< dense BFGS, SciPy's method='BFGS' */
    CLBFGS_METHOD_LBFGSB = 1 /**< limited-memory BFGS with box bounds, SciPy's 'L-BFGS-B' */
} clbfgs_method;

/** Options, with SciPy's names and defaults (minimize(method='BFGS'), and
 * method='L-BFGS-B' where `method` says so). Fill with clbfgs_options_init();
 * NULL means the defaults. With CLBFGS_METHOD_LBFGSB, gtol bounds the
 * projected gradient's max-norm (SciPy's pgtol), maxiter 0 means 15000, and
 * norm, xrtol, c1, c2, hess_inv0, return_hess_inv and single_kernel = 1 are
 * refused unless left at their defaults (SciPy's L-BFGS-B has none of them;
 * its line search's constants are fixed: 1e-3, 0.9, xtol 0.1). */
typedef struct clbfgs_options {
    /** sizeof the struct as the caller was compiled; set by clbfgs_options_init()
     * (never by hand). See "Versioned option structs". */
    size_t struct_size;
    double gtol;                /**< stop when the gradient's norm <= gtol; default 1e-5 */
    double norm;                /**< the norm's order: INFINITY (default), -INFINITY, or p > 0 */
    size_t maxiter;             /**< iteration limit; 0 (default) means 200 n (L-BFGS-B: 15000) */
    double xrtol;               /**< stop when ||step|| <= xrtol (xrtol + ||x||); default 0 */
    double c1;                  /**< Armijo constant of the line search; default 1e-4 */
    double c2;                  /**< curvature constant; default 0.9; 0 < c1 < c2 < 1 */
    clbfgs_precision precision; /**< default AUTO: double where the device has fp64 */
    /** The starting inverse Hessian, n x n row-major; NULL (default) for the
     * identity. It must be symmetric and positive definite (checked by a
     * Cholesky factorisation on the host, O(n^3) once), and in a float run
     * every entry must be within float's range. */
    const double *hess_inv0;
    /** Forward-difference step for objectives without a gradient, SciPy's
     * `eps`: the step is eps, or eps max(1, |x_i|) where x_i + eps == x_i.
     * 0 (default) means the square root of the run's machine epsilon
     * (1.49e-8, SciPy's default, in double; 3.45e-4 in float). */
    double eps;
    int return_hess_inv;         /**< 1 to copy H to the result; default 0 */
    clbfgs_callback_fn callback; /**< NULL (default) for none */
    void *callback_user;
    /** The one-kernel solve (see "Batches"): 0 (default) lets clbfgs_minimize
     * run the whole solve of a small problem in one kernel where it can (a
     * term objective of at most 4096 item evaluations per point, m or
     * m (n + 1) by differences, past which the data-parallel kernels are
     * faster; or a built-in with a function form; n <= 64, no callback, no
     * hess_inv0 or return_hess_inv); -1 never; 1 insists (an error says why
     * it cannot; no limit on m). clbfgs_minimize_batch always uses it.
     * With 0, clbfgs_minimize also runs a host objective (clbfgs_objective_host)
     * of n <= 256 wholly on the host, in double (precision AUTO or DOUBLE,
     * whether or not the device has fp64), with no device work (syncs
     * and launches 0; callback, hess_inv0 and return_hess_inv work there);
     * -1 keeps it on the device. */
    int single_kernel;
    /* ---- since 0.3: L-BFGS-B (see "L-BFGS-B") ---- */
    /** CLBFGS_METHOD_BFGS (default: SciPy's method='BFGS', dense H) or
     * CLBFGS_METHOD_LBFGSB (SciPy's method='L-BFGS-B': the m latest (s, y)
     * pairs instead of H, and box bounds). */
    clbfgs_method method;
    /** L-BFGS-B: the (s, y) pairs kept, SciPy's maxcor; default 10, 1 to 256. */
    size_t m;
    /** L-BFGS-B: n lower and n upper bounds, or NULL for none on that side;
     * -INFINITY / INFINITY for a coordinate without that bound. No NaN, and
     * lower[i] <= upper[i] (equal fixes x_i). x0 outside the box is projected
     * onto it, as SciPy does (logged at CLBFGS_LOG_INFO). BFGS takes none. */
    const double *lower;
    const double *upper;
    /** L-BFGS-B: stop when (f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol;
     * default 2.220446049250313e-09 (SciPy's factr 1e7 times machine epsilon). */
    double ftol;
    /** L-BFGS-B: stop once an iteration ends with more than maxfun
     * evaluations; default 15000, at least 1. */
    size_t maxfun;
    /** L-BFGS-B: the most evaluations in one line search; default 20, at least 1. */
    int maxls;
} clbfgs_options;

/** Fills the first struct_size bytes of options (a struct compiled with
 * that size) with the defaults and struct_size; bytes beyond the library's
 * own struct are zeroed. Call it through the inline *_init() below. */
CLBFGS_API void clbfgs_options_init_size(clbfgs_options *options, size_t struct_size);
/** Fills options with the defaults above and struct_size; NULL is fine. */
static inline void clbfgs_options_init(clbfgs_options *options)
{
    clbfgs_options_init_size(options, sizeof *options);
}

/** Where the run's time went, in seconds of wall time. */
typedef struct clbfgs_timings {
    double total;       /**< clbfgs_minimize from entry to return (a solver's
                             result: its setup, then from clbfgs_solver_start on) */
    double setup;       /**< programs, buffers (a solver's: clbfgs_solver_new), the
                             first evaluation */
    double line_search; /**< the line searches, objective evaluations included */
    double hessian;     /**< the H update and product, the new direction, every scalar
                             the iteration reads, and the first trial point evaluated
                             ahead where the objective allows it */
    double callback;    /**< copying x to the host and the caller's callback */
    /** Blocking transfers between host and device during the iterations
     * (each one a round trip the device waits on): one per iteration when
     * the line search takes its first step, one more per further trial
     * point, and more for objectives that run the caller's code (a host
     * callback reads x and writes g and f at every evaluation). */
    size_t syncs;
    /** Kernels enqueued during the iterations (a CLBlast call counts one). */
    size_t launches;
    /** Device time during the iterations, by phase, from the queue's profiling
     * times; all 0 unless the queue profiles (clbfgs_context_options.profile).
     * Each is the sum of its commands' start-to-end times, so what is left of
     * the iterations' wall time is launch overhead and the host's own work.
     * A CLBlast call counts its last kernel; a device callback objective counts
     * from a marker before it to one after. */
    double device_objective; /**< the objective's kernels (and its CLBlast calls) */
    double device_hessian;   /**< the H pass */
    double device_other;     /**< vector kernels: steps, dot products, norms */
    double device_transfer;  /**< reads and writes between host and device */
    /** Bytes of device memory the H update and product read and wrote from
     * the start, the first product included (H at 8 bytes an element in
     * double: 16 n^2 an iteration when each update is folded in at once,
     * (8 + 8 / q) n^2 with q updates kept pending, about half that with
     * only H's upper triangle stored, the default on CPUs from n = 2048,
     * and half again with H in float (CLBFGS_DENSE_H_FLOAT=1); see the
     * README's "Delayed updates", "One triangle" and "H in float"), by the
     * library's own account of what each of its kernels
     * touches, not measured. 0 where no dense H pass ran: L-BFGS-B, the
     * single-kernel solve, the host. */
    double hessian_bytes;
} clbfgs_timings;

/** A run's outcome, as SciPy's OptimizeResult. Arrays belong to the result:
 * release them with clbfgs_result_free(). */
typedef struct clbfgs_result {
    size_t n;
    /** The best point reached, n values; also after an error (x0 when the
     * error came before the first step, or when the device no longer answers);
     * NULL when the arguments were refused before a point existed. */
    double *x;
    double fun;       /**< f(x); NaN when an error came before f(x0) was known */
    double *jac;      /**< the gradient at x, n values (NaN where unknown) */
    double *hess_inv; /**< H, n x n row-major, when asked for; else NULL */
    size_t nit;       /**< iterations completed (also when an error ended the run) */
    size_t nfev;      /**< objective values computed (n + 1 per point with
                           forward differences, as SciPy counts) */
    size_t njev;      /**< gradients computed */
    /** SciPy's codes: 0 converged, 1 iteration limit, 2 precision loss (the
     * line search found no acceptable step), 3 NaN, 99 stopped by the callback
     * (or, from clbfgs_solver_result, by the caller before the run stopped);
     * and clbfgs's own: negative when an error ended the run (an objective
     * callback that failed, an OpenCL call that failed mid-run, refused
     * arguments), the clbfgs_status that clbfgs_minimize returned. */
    int status;
    int success; /**< 1 when status is 0 */
    /** SciPy's message for the status; for a negative status "Error: ",
     * clbfgs_strerror() of it, ": " and the start of clbfgs_last_error(). */
    char message[128];
    size_t skipped_updates;     /**< H updates skipped because y.s was not > 0 */
    clbfgs_precision precision; /**< the precision the run used */
    clbfgs_timings time;
} clbfgs_result;

/** Minimizes the objective from x0 (n values) on the context's device.
 * Returns CLBFGS_SUCCESS whenever the run itself worked, whatever its
 * result.status; an error status means a device, build, argument or
 * objective problem, and then result.status is that status too, and result
 * still holds the best point reached, its f, and the counts (nit, nfev, njev)
 * of what ran. result must be released with clbfgs_result_free() in either
 * case.
 *
 * Sizes are checked before x0 is read or anything allocated: an n whose
 * buffers (H is n x n reals; forward differences need (n + 1) x n more)
 * overflow size_t or exceed the device's largest allocation or global memory
 * is CLBFGS_ERR_OUT_OF_DEVICE_MEMORY, and the message gives the bytes. x0 and
 * hess_inv0 must be finite and, in a float run, within float's range; a
 * value that is not is CLBFGS_ERR_INVALID_ARGUMENT naming its index. */
CLBFGS_API clbfgs_status clbfgs_minimize(clbfgs_context *context, clbfgs_objective *objective,
                                         size_t n, const double *x0, const clbfgs_options *options,
                                         clbfgs_result *result);

/** Releases the result's arrays (the struct itself is the caller's); NULL is fine. */
CLBFGS_API void clbfgs_result_free(clbfgs_result *result);

/** SciPy's message for a status (0, 1, 2, 3, 99), as clbfgs_result.message
 * holds it; "Unknown status." for any other. Never NULL. */
CLBFGS_API const char *clbfgs_status_message(int status);

/* ---- L-BFGS-B --------------------------------------------------------- */

/* options.method = CLBFGS_METHOD_LBFGSB runs SciPy's minimize(method=
 * 'L-BFGS-B') through clbfgs_minimize: the m latest pairs (s, y) instead of
 * an n x n H, so n is bounded by memory for (2 m + 13) n reals, and box
 * bounds options.lower, options.upper. It follows the Fortran code SciPy
 * runs (Zhu, Byrd, Lu & Nocedal, version 3.0, with Morales & Nocedal's
 * subspace step): the generalized Cauchy point along the projected
 * gradient, the subspace minimization over the free variables, MINPACK-2's
 * line search with ftol 1e-3, gtol 0.9, xtol 0.1 and at most maxls
 * evaluations, the first step min(1/||d||, 1) of an unbounded run, SciPy's
 * tests in its order (maxiter, maxfun, the projected gradient's max-norm <=
 * gtol, (f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol), its restarts
 * of the memory, and its statuses and messages (SciPy 1.15's wording):
 * 0 "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL" or "CONVERGENCE:
 * RELATIVE REDUCTION OF F <= FACTR*EPSMCH"; 1 "STOP: TOTAL NO. OF
 * ITERATIONS REACHED LIMIT" or "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS
 * LIMIT"; 2 "ABNORMAL: " (the line search found no step from a fresh
 * memory; x is the last accepted point); 3 when f(x0) is not finite; 99
 * the callback stopped the run. When every variable is fixed (lower =
 * upper) the result is x0 with "All independent variables were fixed by
 * bounds." and njev 0, as SciPy. nit counts iterations as SciPy's wrapper
 * does; skipped_updates the pairs not stored because y.s was not safely
 * positive. A forward-difference gradient steps by eps = 1e-8 when
 * options.eps is 0 (SciPy's L-BFGS-B default), and, unlike SciPy's, does not
 * turn backwards at an upper bound: an objective undefined past its bounds
 * needs its own gradient.
 *
 * Every n-vector and the n x m blocks S and Y stay on the device; each
 * iteration reads a few hundred per-work-group partial sums, never an
 * n-vector. clbfgs_solver_*, clbfgs_minimize_batch and the one-kernel solve
 * run BFGS only. */

/* ---- Batches ----------------------------------------------------------- */

/** P independent problems of the same n and objective, each from its own
 * starting point, in one run. Each problem has its own line search, stopping
 * test and result: the whole solve of a problem runs in one work-item of one
 * kernel (H in the device's __local memory where it fits, else in global
 * memory), the objective compiled in as a function, and a problem that stops
 * frees its work-item for the next problem. Nothing crosses to the host until
 * every problem has stopped. A problem's result is, field for field and bit
 * for bit, what clbfgs_minimize gives it alone with options.single_kernel = 1
 * (what it chooses by itself for a small problem); the host-driven run
 * (single_kernel = -1) adds a few sums in another order, so its f agrees to
 * rounding and, on a long run, its nit may differ by one or two. In float the
 * search runs in float here and in double on the host.
 *
 * The objective must have a function form: a term objective
 * (clbfgs_objective_terms) or the built-ins rosen, ext-rosenbrock and
 * quadratic; any other is CLBFGS_ERR_UNSUPPORTED. n is at most 1024: up to
 * 64 a work-item's vectors are private, past it all but x, the trial point
 * and an item's gradient are in global memory. Data that differ
 * from problem to problem are one data argument holding P blocks of equal
 * size, declared with clbfgs_objective_set_arg_per_problem: problem p's
 * function sees its own block.
 *
 * Options are clbfgs_minimize's; callback, hess_inv0 and return_hess_inv are
 * refused (CLBFGS_ERR_UNSUPPORTED), and so is single_kernel = -1. x0 holds
 * P x n values, row by row. Errors (refused arguments, a build or device
 * failure) are returned and leave every array of result NULL. A problem whose
 * f or gradient is NaN at its start ends with status 3 (a NaN met at a later
 * trial point makes its line search fail: status 2, as in SciPy) and does
 * not touch the others. Release result with clbfgs_batch_result_free() in
 * every case. */
typedef struct clbfgs_batch_result {
    size_t P, n;
    double *x;             /**< P x n: each problem's best point */
    double *fun;           /**< P: f there */
    double *jac;           /**< P x n: the gradient there */
    size_t *nit;           /**< P: iterations */
    size_t *nfev;          /**< P: objective values, as SciPy counts them */
    size_t *njev;          /**< P: gradients */
    int *status;           /**< P: SciPy's codes 0, 1, 2, 3 (clbfgs_status_message) */
    size_t converged;      /**< problems with status 0 */
    size_t skipped_updates; /**< H updates skipped (y.s not > 0), all problems together */
    clbfgs_precision precision;
    /** 1: each H in __local memory; 0: in global memory (the device's
     * local memory is too small for n); said in the verbose log too. */
    int local_hessian;
    size_t work_items;     /**< problems solved at once (at most P) */
    double total;          /**< seconds, entry to return */
    double setup;          /**< seconds building the program and buffers */
} clbfgs_batch_result;

/** Minimizes P problems (see above) from x0 (P x n). P = 0 is an error. */
CLBFGS_API clbfgs_status clbfgs_minimize_batch(clbfgs_context *context,
                                               clbfgs_objective *objective, size_t n, size_t P,
                                               const double *x0, const clbfgs_options *options,
                                               clbfgs_batch_result *result);

/** Releases the result's arrays (the struct is the caller's); NULL is fine. */
CLBFGS_API void clbfgs_batch_result_free(clbfgs_batch_result *result);

/** Declares data argument `index` of a term objective per-problem: it holds
 * `count` elements for each problem of a batch, problem p's from p count on,
 * and the function sees a pointer to its problem's block. clbfgs_minimize
 * (one problem) sees the first block. count = 0 makes the argument shared
 * again (the default). Checked against the argument's size when a batch
 * runs: it must hold at least P count elements. */
CLBFGS_API clbfgs_status clbfgs_objective_set_arg_per_problem(clbfgs_objective *objective,
                                                              unsigned index, size_t count);

/* ---- Step by step ------------------------------------------------------ */

/** A BFGS run one iteration at a time: clbfgs_minimize is a loop over
 * these calls, with the same iterates, counts and result (where it runs
 * host-driven: not when it hands a small problem to the one-kernel solve
 * or a small host objective to the host, see options.single_kernel; set it
 * to -1 for the same bits). A solver holds
 * its programs, buffers and H for one objective, n and options, and serves
 * any number of runs, one after another, without building anything again:
 *
 *     clbfgs_solver *s;
 *     clbfgs_solver_new(&s, ctx, objective, n, &options);
 *     for (each starting point x0) {
 *         clbfgs_solver_start(s, x0);
 *         int stopped = 0;
 *         while (!stopped && clbfgs_solver_iterate(s, &stopped) == CLBFGS_SUCCESS)
 *             ;  // look at clbfgs_solver_x() or a result, or stop early
 *         clbfgs_solver_result(s, &result);
 *         clbfgs_result_free(&result);
 *     }
 *     clbfgs_solver_free(s);
 *
 * One solver is not to be used from two threads at once. */
typedef struct clbfgs_solver clbfgs_solver;

/** Checks the options and n against the device as clbfgs_minimize does
 * (the same errors, the same messages), builds the programs and allocates
 * the buffers. options.hess_inv0 is copied; the callback, if any, is called
 * after each iteration as in clbfgs_minimize. The context and the objective
 * must outlive the solver. */
CLBFGS_API clbfgs_status clbfgs_solver_new(clbfgs_solver **solver, clbfgs_context *context,
                                           clbfgs_objective *objective, size_t n,
                                           const clbfgs_options *options);

/** Starts a run from x0 (n values, finite, within float's range in a float
 * run; else CLBFGS_ERR_INVALID_ARGUMENT and the solver is unchanged): H
 * back to hess_inv0 or the identity, counts to zero, f and g at x0. Also
 * ends a run in progress, whatever its state. */
CLBFGS_API clbfgs_status clbfgs_solver_start(clbfgs_solver *solver, const double *x0);

/** Runs one iteration. *stopped becomes 1 when the run has stopped (SciPy's
 * tests: gtol, xrtol, maxiter, a failed line search, NaN, the callback);
 * the reason is clbfgs_solver_result's status and message. A run whose
 * tests already hold at x0 stops on the first call without an iteration.
 * An error (a failed objective or device) ends the run and is returned;
 * *stopped is 1 then too. Calling it before clbfgs_solver_start or after
 * the run stopped is CLBFGS_ERR_INVALID_ARGUMENT, naming why. */
CLBFGS_API clbfgs_status clbfgs_solver_iterate(clbfgs_solver *solver, int *stopped);

/** Copies the run's current point (n values) into x: x0 until an
 * iteration has moved it. One read from the device. */
CLBFGS_API clbfgs_status clbfgs_solver_x(clbfgs_solver *solver, double *x);

/** The run's result, as clbfgs_minimize fills it. Once the run has stopped:
 * SciPy's status and message; after an error: that error, as
 * clbfgs_minimize reports it (CLBFGS_SUCCESS is returned: the result was
 * made). Before the run has stopped: the iterations so far, with status
 * 99 and "Stopped by the caller." (and hess_inv with the last update folded
 * in), and the run can go on. Release it with clbfgs_result_free(). */
CLBFGS_API clbfgs_status clbfgs_solver_result(clbfgs_solver *solver, clbfgs_result *result);

/** Releases the solver and everything it holds; NULL is fine. */
CLBFGS_API void clbfgs_solver_free(clbfgs_solver *solver);

#ifdef __cplusplus
}
#endif

#endif /* CLBFGS_H */
