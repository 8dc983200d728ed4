/* The execution layer (exec.h): the only file that enqueues commands. */
#include "config.h"

#include "exec.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int clbfgs__fits_float(double v) { return !isfinite(v) || fabs(v) <= (double)FLT_MAX; }

cl_int clbfgs__set_real_arg(cl_kernel k, cl_uint i, clbfgs_precision precision, double v)
{
    if (precision == CLBFGS_PRECISION_DOUBLE)
        return clSetKernelArg(k, i, sizeof v, &v);
    float f = (float)v;
    return clSetKernelArg(k, i, sizeof f, &f);
}

clbfgs_status clbfgs__exec_init(clbfgs_exec *e, clbfgs_context *ctx, clbfgs_precision precision,
                                size_t tmp_count)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    memset(e, 0, sizeof *e);
    e->ctx = ctx;
    e->precision = precision;
    e->elem = precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    cl_command_queue_properties props = 0;
    CLBFGS_CL_TRY(
        ctx, clGetCommandQueueInfo(ctx->queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL),
        "reading the queue's properties");
    e->profiling = (props & CL_QUEUE_PROFILING_ENABLE) != 0;
    e->tmp_count = tmp_count > SLOT_COUNT ? tmp_count : SLOT_COUNT;
    e->tmp = malloc(e->tmp_count * sizeof(double));
    if (!e->tmp) {
        status = clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "a conversion buffer of %zu values",
                              e->tmp_count);
        goto cleanup;
    }
    CLBFGS_TRY(clbfgs__exec_buffer(e, SLOT_COUNT, &e->scalars, "the run's scalars"));
cleanup:
    return status;
}

void clbfgs__exec_release(clbfgs_exec *e)
{
    for (size_t i = 0; i < e->event_count; i++)
        if (e->events[i])
            clReleaseEvent(e->events[i]);
    e->event_count = 0;
    if (e->scalars)
        clReleaseMemObject(e->scalars);
    e->scalars = NULL;
    free(e->tmp);
    e->tmp = NULL;
}

int clbfgs__exec_phase(clbfgs_exec *e, int phase)
{
    int old = e->phase;
    e->phase = phase;
    return old;
}

clbfgs_status clbfgs__exec_buffer(const clbfgs_exec *e, size_t count, cl_mem *out, const char *what)
{
    return clbfgs__exec_buffer_of(e, count, e->elem, out, what);
}

clbfgs_status clbfgs__exec_buffer_of(const clbfgs_exec *e, size_t count, size_t elem, cl_mem *out,
                                     const char *what)
{
    cl_int err = CL_SUCCESS;
    *out = clCreateBuffer(e->ctx->cl_ctx, CL_MEM_READ_WRITE, count * elem, NULL, &err);
    if (err == CL_SUCCESS)
        return CLBFGS_SUCCESS;
    *out = NULL;
    return clbfgs__fail_cl(e->ctx, err, "clCreateBuffer", "allocating %s (%zu bytes)", what,
                           count * elem);
}

/* ---- profiling ---- */

enum { EVENT_KERNEL, EVENT_SPAN_START, EVENT_SPAN_END };

static clbfgs_status collect(clbfgs_exec *e)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    for (size_t i = 0; i < e->event_count; i++) {
        cl_event ev = e->events[i];
        if (!ev)
            continue;
        cl_ulong start = 0, end = 0;
        cl_int err = clWaitForEvents(1, &ev);
        if (err == CL_SUCCESS)
            err =
                clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
        if (err == CL_SUCCESS)
            err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
        clReleaseEvent(ev);
        e->events[i] = NULL;
        if (err != CL_SUCCESS) {
            if (status == CLBFGS_SUCCESS)
                status = clbfgs__fail_cl(e->ctx, err, "clGetEventProfilingInfo",
                                         "reading a command's profiling times");
            continue;
        }
        double *t = &e->device_time[e->event_phase[i]];
        switch (e->event_kind[i]) {
        case EVENT_KERNEL: *t += (double)(end - start) * 1e-9; break;
        case EVENT_SPAN_START: *t -= (double)end * 1e-9; break;
        default: *t += (double)end * 1e-9; break;
        }
    }
    e->event_count = 0;
    return status;
}

static cl_event *next_event(clbfgs_exec *e, int kind)
{
    if (!e->profiling)
        return NULL;
    if (e->event_count == CLBFGS_PROFILE_EVENTS && collect(e) != CLBFGS_SUCCESS)
        return NULL; /* the times are lost, the run goes on */
    size_t i = e->event_count++;
    e->events[i] = NULL; /* stays NULL when the enqueue fails */
    e->event_phase[i] = (signed char)e->phase;
    e->event_kind[i] = (signed char)kind;
    return &e->events[i];
}

cl_event *clbfgs__exec_event(clbfgs_exec *e)
{
    e->launches++;
    return next_event(e, EVENT_KERNEL);
}

clbfgs_status clbfgs__exec_mark(clbfgs_exec *e, int end)
{
    if (!e->profiling)
        return CLBFGS_SUCCESS;
    cl_event *ev = next_event(e, end ? EVENT_SPAN_END : EVENT_SPAN_START);
    cl_int err = clEnqueueMarkerWithWaitList(e->ctx->queue, 0, NULL, ev);
    return err == CL_SUCCESS ? CLBFGS_SUCCESS
                             : clbfgs__fail_cl(e->ctx, err, "clEnqueueMarkerWithWaitList",
                                               "marking a profiled span");
}

clbfgs_status clbfgs__exec_finish(clbfgs_exec *e)
{
    cl_int err = clFinish(e->ctx->queue);
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(e->ctx, err, "clFinish", "waiting for the device");
    return collect(e);
}

clbfgs_status clbfgs__exec_reset_counts(clbfgs_exec *e)
{
    clbfgs_status status = collect(e);
    memset(e->device_time, 0, sizeof e->device_time);
    e->syncs = e->launches = 0;
    return status;
}

/* ---- kernel arguments ---- */

/* "argument 3 of kernel 'combine3'" into a failure. */
static clbfgs_status arg_failed(const clbfgs_exec *e, cl_int err, cl_kernel k, cl_uint i)
{
    char name[128] = "?";
    if (clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL) != CL_SUCCESS)
        strcpy(name, "?");
    return clbfgs__fail_cl(e->ctx, err, "clSetKernelArg", "argument %u of kernel '%s'", i, name);
}

static clbfgs_status set_arg(const clbfgs_exec *e, cl_kernel k, cl_uint i, size_t size,
                             const void *value)
{
    cl_int err = clSetKernelArg(k, i, size, value);
    return err == CL_SUCCESS ? CLBFGS_SUCCESS : arg_failed(e, err, k, i);
}

clbfgs_status clbfgs__exec_arg_mem(const clbfgs_exec *e, cl_kernel k, cl_uint i, cl_mem m)
{
    return set_arg(e, k, i, sizeof m, &m);
}

clbfgs_status clbfgs__exec_arg_uint(const clbfgs_exec *e, cl_kernel k, cl_uint i, cl_uint v)
{
    return set_arg(e, k, i, sizeof v, &v);
}

clbfgs_status clbfgs__exec_arg_int(const clbfgs_exec *e, cl_kernel k, cl_uint i, cl_int v)
{
    return set_arg(e, k, i, sizeof v, &v);
}

clbfgs_status clbfgs__exec_arg_real(const clbfgs_exec *e, cl_kernel k, cl_uint i, double v)
{
    cl_int err = clbfgs__set_real_arg(k, i, e->precision, v);
    return err == CL_SUCCESS ? CLBFGS_SUCCESS : arg_failed(e, err, k, i);
}

clbfgs_status clbfgs__exec_arg_local(const clbfgs_exec *e, cl_kernel k, cl_uint i, size_t count)
{
    return set_arg(e, k, i, count * e->elem, NULL);
}

clbfgs_status clbfgs__exec_group_size(const clbfgs_exec *e, cl_kernel k, size_t want, size_t *wg)
{
    size_t most = 0;
    cl_int err = clGetKernelWorkGroupInfo(k, e->ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof most,
                                          &most, NULL);
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(e->ctx, err, "clGetKernelWorkGroupInfo",
                               "the work-group size of a reduction kernel");
    most = most < want ? most : want;
    *wg = 1;
    while (*wg * 2 <= most)
        *wg *= 2;
    return CLBFGS_SUCCESS;
}

/* ---- launches ---- */

clbfgs_status clbfgs__exec_launch(clbfgs_exec *e, cl_kernel k, cl_uint dims, const size_t *global,
                                  const size_t *local, const char *what)
{
    cl_int err = clEnqueueNDRangeKernel(e->ctx->queue, k, dims, NULL, global, local, 0, NULL,
                                        clbfgs__exec_event(e));
    if (err == CL_SUCCESS)
        return CLBFGS_SUCCESS;
    if (dims > 1)
        return clbfgs__fail_cl(e->ctx, err, "clEnqueueNDRangeKernel", "launching %s (%zu x %zu)",
                               what, global[0], global[1]);
    return clbfgs__fail_cl(e->ctx, err, "clEnqueueNDRangeKernel", "launching %s (%zu)", what,
                           global[0]);
}

clbfgs_status clbfgs__exec_launch_1d(clbfgs_exec *e, cl_kernel k, size_t n, const char *what)
{
    size_t global = (n + 63) / 64 * 64;
    return clbfgs__exec_launch(e, k, 1, &global, NULL, what);
}

clbfgs_status clbfgs__exec_launch_2d(clbfgs_exec *e, cl_kernel k, size_t n, size_t rows,
                                     const char *what)
{
    size_t global[2] = {(n + 63) / 64 * 64, rows};
    return clbfgs__exec_launch(e, k, 2, global, NULL, what);
}

clbfgs_status clbfgs__exec_launch_groups(clbfgs_exec *e, cl_kernel k, size_t groups, size_t wg,
                                         const char *what)
{
    size_t global = groups * wg;
    return clbfgs__exec_launch(e, k, 1, &global, &wg, what);
}

/* ---- transfers ---- */

/* Room for n floats on their way to or from the device: the conversion
 * buffer, or a new block in *big (the caller frees it) for more, as H
 * takes; NULL when that allocation fails. */
static float *float_buffer(clbfgs_exec *e, size_t n, float **big)
{
    *big = NULL;
    if (n <= e->tmp_count)
        return e->tmp;
    return *big = malloc(n * sizeof **big);
}

clbfgs_status clbfgs__exec_write_reals(clbfgs_exec *e, cl_mem buf, size_t offset, const double *src,
                                       size_t n)
{
    return clbfgs__exec_write_of(e, buf, e->elem, offset, src, n);
}

clbfgs_status clbfgs__exec_read_reals(clbfgs_exec *e, cl_mem buf, size_t offset, double *dst,
                                      size_t n)
{
    return clbfgs__exec_read_of(e, buf, e->elem, offset, dst, n);
}

clbfgs_status clbfgs__exec_write_of(clbfgs_exec *e, cl_mem buf, size_t elem, size_t offset,
                                    const double *src, size_t n)
{
    const void *data = src;
    float *big = NULL;
    if (elem == sizeof(float)) {
        float *t = float_buffer(e, n, &big);
        if (!t)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY,
                                "converting %zu values to float for the device", n);
        for (size_t i = 0; i < n; i++)
            t[i] = (float)src[i];
        data = t;
    }
    int phase = clbfgs__exec_phase(e, PHASE_TRANSFER);
    cl_int err = clEnqueueWriteBuffer(e->ctx->queue, buf, CL_TRUE, offset * elem, n * elem, data,
                                      0, NULL, next_event(e, EVENT_KERNEL));
    e->phase = phase;
    free(big);
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(e->ctx, err, "clEnqueueWriteBuffer",
                               "copying %zu values to the device", n);
    e->syncs++;
    return collect(e);
}

clbfgs_status clbfgs__exec_read_of(clbfgs_exec *e, cl_mem buf, size_t elem, size_t offset,
                                   double *dst, size_t n)
{
    void *data = dst;
    float *big = NULL;
    if (elem == sizeof(float) && !(data = float_buffer(e, n, &big)))
        return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY,
                            "converting %zu values from float on the host", n);
    int phase = clbfgs__exec_phase(e, PHASE_TRANSFER);
    cl_int err = clEnqueueReadBuffer(e->ctx->queue, buf, CL_TRUE, offset * elem, n * elem, data, 0,
                                     NULL, next_event(e, EVENT_KERNEL));
    e->phase = phase;
    clbfgs_status status;
    if (err != CL_SUCCESS) {
        status = clbfgs__fail_cl(e->ctx, err, "clEnqueueReadBuffer",
                                 "copying %zu values from the device", n);
    } else {
        e->syncs++;
        status = collect(e);
    }
    if (status == CLBFGS_SUCCESS && elem == sizeof(float))
        for (size_t i = 0; i < n; i++)
            dst[i] = (double)((const float *)data)[i];
    free(big);
    return status;
}

clbfgs_status clbfgs__exec_read_scalars(clbfgs_exec *e, double *dst)
{
    return clbfgs__exec_read_reals(e, e->scalars, 0, dst, SLOT_COUNT);
}

char *clbfgs__exec_source(const char *const *parts, size_t count)
{
    static const struct {
        const char *name;
        int value;
    } slots[] = {
        {"SLOT_F", SLOT_F},           {"SLOT_DPHI", SLOT_DPHI},   {"SLOT_GNORM", SLOT_GNORM},
        {"SLOT_PNORM", SLOT_PNORM},   {"SLOT_XNORM", SLOT_XNORM}, {"SLOT_DPHI0", SLOT_DPHI0},
        {"SLOT_ALPHA0", SLOT_ALPHA0}, {"SLOT_FX", SLOT_FX},       {"SLOT_OPERATOR", SLOT_OPERATOR}};
    /* every driver slot, and the operator's block: a slot added to the enum
     * without its name here would leave the kernels a number short */
    _Static_assert(sizeof slots / sizeof slots[0] == SLOT_DRIVER_COUNT + 1,
                   "exec.c's slot names and exec.h's enum disagree");
    char defines[512];
    size_t used = 0;
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        used += (size_t)snprintf(defines + used, sizeof defines - used, "#define %s %d\n",
                                 slots[i].name, slots[i].value);
    size_t total = used + 1;
    for (size_t i = 0; i < count; i++)
        total += strlen(parts[i]) + 1;
    char *out = malloc(total);
    if (!out)
        return NULL;
    char *o = out;
    memcpy(o, defines, used);
    o += used;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(parts[i]);
        memcpy(o, parts[i], len);
        o += len;
        *o++ = '\n';
    }
    *o = '\0';
    return out;
}

clbfgs_status clbfgs__upload_reals(clbfgs_context *ctx, const double *src, size_t n,
                                   clbfgs_precision precision, cl_mem *out, const char *what)
{
    size_t elem = precision == CLBFGS_PRECISION_DOUBLE ? sizeof(double) : sizeof(float);
    const void *data = src;
    float *f = NULL;
    *out = NULL;
    if (precision == CLBFGS_PRECISION_FLOAT) {
        f = malloc((n ? n : 1) * sizeof *f);
        if (!f)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "converting %s to float", what);
        for (size_t i = 0; i < n; i++) {
            if (!clbfgs__fits_float(src[i])) {
                free(f);
                return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                    "%s: value %zu = %g overflows float; run in double "
                                    "precision or rescale",
                                    what, i, src[i]);
            }
            f[i] = (float)src[i];
        }
        data = f;
    }
    /* Copied when the buffer is created: no command on any queue. */
    cl_int err = CL_SUCCESS;
    *out = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * elem,
                          (void *)data, &err);
    free(f);
    if (err != CL_SUCCESS) {
        *out = NULL;
        return clbfgs__fail_cl(ctx, err, "clCreateBuffer", "copying %s (%zu bytes) to the device",
                               what, n * elem);
    }
    return CLBFGS_SUCCESS;
}
