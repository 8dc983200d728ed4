/* A source objective's extra kernel arguments: what the caller set (the
 * clbfgs_objective_set_arg* family stores them, objective_source.c), and
 * their check against what the driver says the kernel takes
 * (clGetKernelArgInfo) before they are set on it. */
#ifndef CLBFGS_KERNEL_ARGS_H
#define CLBFGS_KERNEL_ARGS_H

#include "exec.h"

#define ARG_BYTES_MAX 128
#define ARG_TYPE_MAX 16

struct extra_arg {
    enum { ARG_UNSET, ARG_BYTES, ARG_TYPED, ARG_LOCAL, ARG_REAL, ARG_BUFFER, ARG_REALS } kind;
    size_t size;
    unsigned char bytes[ARG_BYTES_MAX];
    char type[ARG_TYPE_MAX]; /* ARG_TYPED: the canonical type name, "int", "uint", "float4" */
    double real;
    cl_mem buffer; /* retained */
    double *reals; /* owned; copied to the device in the run's precision */
    size_t count;
    /* ARG_REALS: the device copy, made by the first run that needs it and
     * kept for the next ones in the same OpenCL context and precision */
    cl_mem device;
    cl_context device_ctx;
    clbfgs_precision device_precision;
};

/* A source objective's kernel, as the checks name it and what was set. */
struct kernel_args {
    const char *kernel;           /* the kernel's name */
    const char *name;             /* its source's name ("objective.cl"), for messages */
    int gradient;                 /* whether the contract passes g */
    struct extra_arg *args; /* args[k] is kernel argument fixed + k (the
                             * device copies of reals are kept in them) */
    unsigned nargs;
    /* 1: the arguments are a term function's data arguments, and messages
     * count them from 0 as the caller does ("data argument 1 of function") */
    int data_args;
    /* non-zero: the kernel is the library's own, with this many arguments of
     * its own before the data arguments (not checked: not the contract's) */
    unsigned fixed;
};

/* Releases what count arguments hold. */
void clbfgs__args_clear(struct extra_arg *args, unsigned count);
/* The slot for argument k of a list of *nargs, grown (zeroed) as needed,
 * and cleared; out of memory, the message is who. */
clbfgs_status clbfgs__args_slot(struct extra_arg **args, unsigned *nargs, unsigned k,
                                const char *who, struct extra_arg **slot);

/* The contract's arguments, the library's: n, x, f_terms (and g). */
static inline unsigned clbfgs__fixed_args(int gradient) { return gradient ? 4 : 3; }
/* The library's arguments before the extra ones of a kernel. */
static inline unsigned clbfgs__fixed_of(const struct kernel_args *o)
{
    return o->fixed ? o->fixed : clbfgs__fixed_args(o->gradient);
}

/* "an int", "a uint" */
static inline const char *clbfgs__article(const char *type) { return type[0] == 'i' ? "an" : "a"; }

/* The bytes of an OpenCL C scalar or vector type ("float4": 16), 0 for any
 * other name. */
size_t clbfgs__scalar_size(const char *type);
/* Canonical type from a declared type name: qualifiers dropped, "unsigned
 * int" as "uint", `real`/`realN` as real ("double") with the lanes; in
 * *pointer whether it is a pointer. */
void clbfgs__canonical_type(const char *declared, const char *real, char *type, size_t size,
                            int *pointer);
/* The bytes of the element a pointer argument points at ("double *": 8),
 * from the kernel's argument info; 0 where the driver gives none, or for a
 * pointer to a struct. */
size_t clbfgs__arg_element_size(const clbfgs_exec *e, const struct kernel_args *o, cl_kernel k,
                                cl_uint index);
/* Whether the driver describes the kernel's arguments. */
int clbfgs__has_arg_info(cl_kernel k);
/* Checks the kernel's arguments against the contract and what was set
 * (where the driver describes them), then sets the extra ones on k; the
 * ones given as reals are copied to the device once per context and
 * precision (kept in the argument), and buffers[k] holds a reference the
 * caller releases. */
clbfgs_status clbfgs__set_extra_args(const clbfgs_exec *e, cl_kernel k,
                                     const struct kernel_args *ka, cl_mem *buffers);

#endif
