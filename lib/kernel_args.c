/* A source objective's kernel arguments, checked against what the driver
 * says the kernel takes (clGetKernelArgInfo, from a build with
 * -cl-kernel-arg-info) and then set: the contract's n, x, f_terms (and g),
 * and the caller's extra ones, each refused with a message that names the
 * argument, its declaration and what was given, before clSetKernelArg could
 * misread it (a scalar for a pointer crashes pocl). */
#include "config.h"

#include "kernel_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One kernel argument as the driver describes it (built with
 * -cl-kernel-arg-info). type is canonical: qualifiers dropped, "unsigned
 * int" as "uint", the library's `real`/`realN` resolved to the run's type;
 * size is the value's (or, for a pointer, the pointee's) bytes, 0 when the
 * type is the caller's own (a struct, a typedef). */
struct arg_info {
    cl_kernel_arg_address_qualifier space;
    char name[64];
    char declared[64]; /* the type as written, for messages */
    char type[64];
    int pointer;
    size_t size;
};

size_t clbfgs__scalar_size(const char *type)
{
    static const struct {
        const char *name;
        size_t size;
    } scalars[] = {{"char", 1}, {"uchar", 1}, {"short", 2}, {"ushort", 2}, {"half", 2},  {"int", 4},
                   {"uint", 4}, {"float", 4}, {"long", 8},  {"ulong", 8},  {"double", 8}};
    size_t len = strcspn(type, "0123456789");
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        if (strlen(scalars[i].name) != len || strncmp(type, scalars[i].name, len) != 0)
            continue;
        static const struct {
            const char *suffix;
            size_t lanes;
        } vectors[] = {{"", 1}, {"2", 2}, {"3", 4}, {"4", 4}, {"8", 8}, {"16", 16}};
        for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++)
            if (!strcmp(type + len, vectors[v].suffix)) /* a 3-vector is stored as a 4-vector */
                return scalars[i].size * vectors[v].lanes;
        return 0;
    }
    return 0;
}

/* Canonical type from the driver's type name, in the run's precision. */
void clbfgs__canonical_type(const char *declared, const char *real, char *type, size_t size,
                            int *pointer)
{
    char words[4][32];
    int count = 0;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", declared);
    *pointer = strchr(copy, '*') != NULL;
    for (char *save = NULL, *w = strtok_r(copy, " *", &save); w && count < 4;
         w = strtok_r(NULL, " *", &save)) {
        if (!strcmp(w, "const") || !strcmp(w, "volatile") || !strcmp(w, "restrict") ||
            !strcmp(w, "struct") || !strcmp(w, "signed") || w[0] == '_')
            continue;
        snprintf(words[count++], sizeof words[0], "%s", w);
    }
    type[0] = '\0';
    if (count == 0)
        return;
    const char *lanes = words[0] + 4;
    if (!strcmp(words[0], "unsigned")) { /* "unsigned int", "unsigned" */
        snprintf(type, size, "u%s", count > 1 ? words[1] : "int");
    } else if (!strncmp(words[0], "real", 4) &&
               (!*lanes || !strcmp(lanes, "2") || !strcmp(lanes, "3") || !strcmp(lanes, "4") ||
                !strcmp(lanes, "8") || !strcmp(lanes, "16"))) {
        /* the preamble's real, real2 .. real16 */
        if (snprintf(type, size, "%s%s", real, lanes) >= (int)size)
            type[0] = '\0';
    } else {
        snprintf(type, size, "%s", words[0]);
    }
}

static const char *space_name(cl_kernel_arg_address_qualifier space)
{
    switch (space) {
    case CL_KERNEL_ARG_ADDRESS_GLOBAL: return "__global";
    case CL_KERNEL_ARG_ADDRESS_LOCAL: return "__local";
    case CL_KERNEL_ARG_ADDRESS_CONSTANT: return "__constant";
    }
    return "private";
}

/* One string of clGetKernelArgInfo; a string longer than buf becomes "?". */
static cl_int arg_string(cl_kernel k, cl_uint index, cl_kernel_arg_info what, char *buf,
                         size_t size)
{
    cl_int err = clGetKernelArgInfo(k, index, what, size, buf, NULL);
    if (err == CL_INVALID_VALUE) {
        snprintf(buf, size, "?");
        return CL_SUCCESS;
    }
    buf[size - 1] = '\0';
    return err;
}

/* CLBFGS_ERR_UNSUPPORTED (no message) when the driver gives no argument info. */
static clbfgs_status kernel_arg_info(const clbfgs_exec *e, const struct kernel_args *o, cl_kernel k,
                                     cl_uint index, struct arg_info *info)
{
    const char *real = clbfgs__real_name(e->precision);
    memset(info, 0, sizeof *info);
    cl_int err = clGetKernelArgInfo(k, index, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof info->space,
                                    &info->space, NULL);
    if (err == CL_SUCCESS)
        err = arg_string(k, index, CL_KERNEL_ARG_TYPE_NAME, info->declared, sizeof info->declared);
    if (err == CL_SUCCESS)
        err = arg_string(k, index, CL_KERNEL_ARG_NAME, info->name, sizeof info->name);
    if (err == CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        return CLBFGS_ERR_UNSUPPORTED;
    if (err != CL_SUCCESS)
        return clbfgs__fail_cl(e->ctx, err, "clGetKernelArgInfo", "argument %u of kernel '%s'",
                               index, o->kernel);
    clbfgs__canonical_type(info->declared, real, info->type, sizeof info->type, &info->pointer);
    info->size = clbfgs__scalar_size(info->type);
    return CLBFGS_SUCCESS;
}

size_t clbfgs__arg_element_size(const clbfgs_exec *e, const struct kernel_args *o, cl_kernel k,
                                cl_uint index)
{
    struct arg_info a;
    if (kernel_arg_info(e, o, k, index, &a) != CLBFGS_SUCCESS || !a.pointer)
        return 0;
    return a.size;
}

/* Kernel argument index as the caller counts it: "argument 4", or for a
 * term function's data argument (the kernel's argument 4) "data argument 1". */
static const char *arg_word(const struct kernel_args *o)
{
    return o->data_args ? "data argument" : "argument";
}
static unsigned arg_number(const struct kernel_args *o, cl_uint index)
{
    return o->data_args ? index - clbfgs__fixed_of(o) : index;
}
/* Whose argument it is: "kernel" or "function". */
static const char *arg_owner(const struct kernel_args *o)
{
    return o->data_args ? "function" : "kernel";
}

/* "argument 4 of kernel 'k'", "data argument 1 of function 'f'" */
static const char *label(const struct kernel_args *o, cl_uint index, char *buf, size_t size)
{
    snprintf(buf, size, "%s %u of %s '%s'", arg_word(o), arg_number(o, index), arg_owner(o),
             o->kernel);
    return buf;
}

/* "argument 5 ('c', real = double)", "argument 4 ('w', __global real*)" */
static const char *describe(const struct kernel_args *o, const struct arg_info *a, cl_uint index,
                            char *buf, size_t size)
{
    int resolved = !a->pointer && strcmp(a->type, a->declared) != 0;
    snprintf(buf, size, "%s %u ('%s', %s%s%s%s%s)", arg_word(o), arg_number(o, index), a->name,
             a->pointer ? space_name(a->space) : "", a->pointer ? " " : "", a->declared,
             resolved ? " = " : "", resolved ? a->type : "");
    return buf;
}

/* The contract's arguments: uint (or int) n, then __global real pointers. */
static clbfgs_status check_fixed_args(const clbfgs_exec *e, const struct kernel_args *o,
                                      cl_kernel k, int *have_info)
{
    const char *real = clbfgs__real_name(e->precision);
    static const char *const roles[] = {"n", "x", "f_terms", "g"};
    *have_info = 0;
    if (o->fixed) { /* the library's own kernel: its arguments are its own */
        *have_info = clbfgs__has_arg_info(k);
        return CLBFGS_SUCCESS;
    }
    for (cl_uint i = 0; i < clbfgs__fixed_args(o->gradient); i++) {
        struct arg_info a;
        clbfgs_status status = kernel_arg_info(e, o, k, i, &a);
        if (status == CLBFGS_ERR_UNSUPPORTED)
            return CLBFGS_SUCCESS;
        if (status != CLBFGS_SUCCESS)
            return status;
        /* n by name, not by size: a float n is 4 bytes too, and reads the
         * uint's bits as a float */
        int ok = i == 0 ? !a.pointer && a.space == CL_KERNEL_ARG_ADDRESS_PRIVATE &&
                              (!strcmp(a.type, "uint") || !strcmp(a.type, "int"))
                        : a.pointer && a.space == CL_KERNEL_ARG_ADDRESS_GLOBAL &&
                              (a.size == 0 || !strcmp(a.type, real));
        if (!ok) {
            char what[256];
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                "%s of kernel '%s' in %s is the contract's %s: it must be %s "
                                "(real is %s in this run)",
                                describe(o, &a, i, what, sizeof what), o->kernel, o->name, roles[i],
                                i == 0 ? "const uint" : "__global real *", real);
        }
    }
    *have_info = 1;
    return CLBFGS_SUCCESS;
}

/* An extra argument against the kernel's parameter: a scalar for a pointer
 * would be read as a cl_mem (pocl crashes), 4 bytes for a double leave half
 * of it garbage; both are refused here, before clSetKernelArg. */
static clbfgs_status check_extra_arg(const clbfgs_exec *e, const struct kernel_args *o, cl_kernel k,
                                     cl_uint index, const struct extra_arg *arg)
{
    const char *real = clbfgs__real_name(e->precision);
    struct arg_info a;
    clbfgs_status status = kernel_arg_info(e, o, k, index, &a);
    if (status == CLBFGS_ERR_UNSUPPORTED)
        return CLBFGS_SUCCESS; /* clSetKernelArg checks what sizes it can */
    if (status != CLBFGS_SUCCESS)
        return status;
    int memory =
        a.space == CL_KERNEL_ARG_ADDRESS_GLOBAL || a.space == CL_KERNEL_ARG_ADDRESS_CONSTANT;
    int local = a.space == CL_KERNEL_ARG_ADDRESS_LOCAL;
    char what[256], given[256];
    describe(o, &a, index, what, sizeof what);
    const char *expected = NULL;
    switch (arg->kind) {
    case ARG_BYTES:
        snprintf(given, sizeof given, "clbfgs_objective_set_arg gave a value of %zu bytes",
                 arg->size);
        if (memory)
            expected = "a buffer (clbfgs_objective_set_arg_buffer or _set_arg_reals)";
        else if (local)
            expected = "__local memory: its size with a NULL value";
        else if (a.size && a.size != arg->size) {
            snprintf(given, sizeof given,
                     "clbfgs_objective_set_arg gave %zu bytes where %s takes %zu (real is %s "
                     "in this run)",
                     arg->size, a.type, a.size, real);
            expected = a.type;
        }
        break;
    case ARG_TYPED:
        snprintf(given, sizeof given, "clbfgs_objective_set_arg_typed gave %s %s",
                 clbfgs__article(arg->type), arg->type);
        if (memory)
            expected = "a buffer (clbfgs_objective_set_arg_buffer or _set_arg_reals)";
        else if (local)
            expected = "__local memory: its size with a NULL value";
        else if (a.size && strcmp(a.type, arg->type) != 0)
            expected = a.type; /* the caller's own types (size 0): clSetKernelArg's size check */
        break;
    case ARG_LOCAL:
        snprintf(given, sizeof given,
                 "clbfgs_objective_set_arg gave %zu bytes of __local memory (a NULL value)",
                 arg->size);
        if (!local)
            expected = memory ? "a buffer" : "a value";
        break;
    case ARG_REAL:
        snprintf(given, sizeof given, "clbfgs_objective_set_arg_real gave a real (%s, %zu bytes)",
                 real, e->elem);
        if (memory || local || (a.size && strcmp(a.type, real) != 0))
            expected = memory  ? "a buffer"
                       : local ? "__local memory"
                               : "a value of its own type (clbfgs_objective_set_arg_typed)";
        break;
    case ARG_BUFFER:
        snprintf(given, sizeof given, "clbfgs_objective_set_arg_buffer gave a buffer");
        if (!memory)
            expected = local ? "__local memory: its size with a NULL value"
                             : "a value (clbfgs_objective_set_arg_typed or _set_arg_real)";
        break;
    case ARG_REALS:
        snprintf(given, sizeof given,
                 "clbfgs_objective_set_arg_reals gave a buffer of %zu reals (%s)", arg->count,
                 real);
        if (!memory || (a.size && strcmp(a.type, real) != 0))
            expected = memory  ? "a buffer of its own type (clbfgs_objective_set_arg_buffer)"
                       : local ? "__local memory: its size with a NULL value"
                               : "a value (clbfgs_objective_set_arg_typed or _set_arg_real)";
        break;
    case ARG_UNSET: break;
    }
    if (!expected)
        return CLBFGS_SUCCESS;
    return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s of %s '%s' in %s takes %s, but %s", what,
                        arg_owner(o), o->kernel, o->name, expected, given);
}

/* Whether the driver describes the kernel's arguments: only
 * CL_KERNEL_ARG_INFO_NOT_AVAILABLE says no; any other failure (a kernel with
 * no arguments) is left to the checks, which report it. */
int clbfgs__has_arg_info(cl_kernel k)
{
    cl_kernel_arg_address_qualifier space;
    return clGetKernelArgInfo(k, 0, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof space, &space, NULL) !=
           CL_KERNEL_ARG_INFO_NOT_AVAILABLE;
}

/* A clSetKernelArg failure on the caller's argument is the caller's mistake
 * (a size the driver refuses), so it is INVALID_ARGUMENT, with the call's code. */
static clbfgs_status set_arg_failed(const clbfgs_exec *e, const struct kernel_args *o, cl_int err,
                                    cl_uint index, const char *what)
{
    char where[256];
    if (err == CL_INVALID_ARG_SIZE || err == CL_INVALID_ARG_VALUE || err == CL_INVALID_MEM_OBJECT ||
        err == CL_INVALID_SAMPLER)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s in %s: the driver refused %s (%s)",
                            label(o, index, where, sizeof where), o->name, what,
                            clbfgs__cl_error_name(err));
    return clbfgs__fail_cl(e->ctx, err, "clSetKernelArg", "%s (%s)",
                           label(o, index, where, sizeof where), what);
}

clbfgs_status clbfgs__set_extra_args(const clbfgs_exec *e, cl_kernel k, const struct kernel_args *o,
                                     cl_mem *buffers)
{
    clbfgs_status status = CLBFGS_SUCCESS;
    unsigned fixed = clbfgs__fixed_of(o);
    cl_uint count = 0;
    CLBFGS_CL_TRY(e->ctx, clGetKernelInfo(k, CL_KERNEL_NUM_ARGS, sizeof count, &count, NULL),
                  "the argument count of kernel '%s'", o->kernel);
    if (count < fixed)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "kernel '%s' in %s takes %u arguments; the contract needs at least %u: "
                            "(uint n, const real *x, real *f_terms%s)",
                            o->kernel, o->name, count, fixed, o->gradient ? ", real *g" : "");
    if (count - fixed != o->nargs)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "kernel '%s' in %s takes %u extra arguments after the contract's %u, "
                            "but %u were set",
                            o->kernel, o->name, count - fixed, fixed, o->nargs);
    int have_info = 0;
    CLBFGS_TRY(check_fixed_args(e, o, k, &have_info));
    if (!have_info)
        clbfgs__log(e->ctx, CLBFGS_LOG_DEBUG,
                    "the driver gives no argument info for kernel '%s': its arguments are "
                    "checked by size only, by clSetKernelArg",
                    o->kernel);
    char where[256];
    for (unsigned a = 0; a < o->nargs; a++) {
        struct extra_arg *arg = &o->args[a];
        cl_uint index = fixed + a;
        if (arg->kind == ARG_UNSET)
            return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT, "%s in %s was never set",
                                label(o, index, where, sizeof where), o->name);
        if (have_info)
            CLBFGS_TRY(check_extra_arg(e, o, k, index, arg));
        cl_int err = CL_SUCCESS;
        char what[64];
        switch (arg->kind) {
        case ARG_UNSET: break;
        case ARG_BYTES:
            err = clSetKernelArg(k, index, arg->size, arg->bytes);
            snprintf(what, sizeof what, "a value of %zu bytes", arg->size);
            break;
        case ARG_TYPED:
            err = clSetKernelArg(k, index, arg->size, arg->bytes);
            snprintf(what, sizeof what, "%s %s", clbfgs__article(arg->type), arg->type);
            break;
        case ARG_LOCAL:
            err = clSetKernelArg(k, index, arg->size, NULL);
            snprintf(what, sizeof what, "%zu bytes of __local memory", arg->size);
            break;
        case ARG_REAL:
            if (e->precision == CLBFGS_PRECISION_FLOAT && !clbfgs__fits_float(arg->real))
                return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                                    "%s in %s: the real %g overflows float; run in double "
                                    "precision or rescale",
                                    label(o, index, where, sizeof where), o->name, arg->real);
            err = clbfgs__set_real_arg(k, index, e->precision, arg->real);
            snprintf(what, sizeof what, "a real (%zu bytes)", e->elem);
            break;
        case ARG_BUFFER:
            err = clSetKernelArg(k, index, sizeof(cl_mem), &arg->buffer);
            snprintf(what, sizeof what, "a buffer");
            break;
        case ARG_REALS:
            if (!arg->device || arg->device_ctx != e->ctx->cl_ctx ||
                arg->device_precision != e->precision) {
                /* the first run here: copy them (the buffer holds its
                 * context, so device_ctx cannot be a freed one reused) */
                if (arg->device)
                    clReleaseMemObject(arg->device);
                arg->device = NULL;
                CLBFGS_TRY(clbfgs__upload_reals(e->ctx, arg->reals, arg->count, e->precision,
                                                &arg->device, "a kernel argument's values"));
                arg->device_ctx = e->ctx->cl_ctx;
                arg->device_precision = e->precision;
            }
            CLBFGS_CL_TRY(e->ctx, clRetainMemObject(arg->device), "a kernel argument's values");
            buffers[a] = arg->device;
            err = clSetKernelArg(k, index, sizeof(cl_mem), &buffers[a]);
            snprintf(what, sizeof what, "a buffer of %zu reals", arg->count);
            break;
        }
        if (err != CL_SUCCESS)
            return set_arg_failed(e, o, err, index, what);
    }
cleanup:
    return status;
}

void clbfgs__args_clear(struct extra_arg *args, unsigned count)
{
    for (unsigned k = 0; k < count; k++) {
        if (args[k].kind == ARG_BUFFER)
            clReleaseMemObject(args[k].buffer);
        if (args[k].device)
            clReleaseMemObject(args[k].device);
        free(args[k].reals);
    }
}

clbfgs_status clbfgs__args_slot(struct extra_arg **args, unsigned *nargs, unsigned k,
                                const char *who, struct extra_arg **slot)
{
    if (k >= *nargs) {
        struct extra_arg *grown = realloc(*args, (k + 1) * sizeof *grown);
        if (!grown)
            return clbfgs__fail(CLBFGS_ERR_OUT_OF_HOST_MEMORY, "%s", who);
        memset(grown + *nargs, 0, (k + 1 - *nargs) * sizeof *grown);
        *args = grown;
        *nargs = k + 1;
    }
    *slot = &(*args)[k];
    clbfgs__args_clear(*slot, 1);
    memset(*slot, 0, sizeof **slot);
    return CLBFGS_SUCCESS;
}
