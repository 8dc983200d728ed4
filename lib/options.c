/* Versioned option structs: each begins with size_t struct_size, fields are
 * only appended, and the library reads the fields that fit in the caller's
 * size over its own defaults (include/clbfgs.h, "Versioned option structs"). */
#include "config.h"

#include "internal.h"

#include <string.h>

void clbfgs__options_init(void *options, size_t struct_size, const void *defaults, size_t size)
{
    if (!options || struct_size < sizeof(size_t))
        return;
    memcpy(options, defaults, struct_size < size ? struct_size : size);
    if (struct_size > size) /* a newer header's fields: zero, and refused when read */
        memset((char *)options + size, 0, struct_size - size);
    memcpy(options, &struct_size, sizeof struct_size);
}

clbfgs_status clbfgs__options_read(void *dst, size_t size, size_t oldest, const void *options,
                                   const char *type)
{
    size_t given;
    memcpy(&given, options, sizeof given);
    if (given > size)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s.struct_size is %zu, larger than the %zu bytes of this library's "
                            "%s (clbfgs %s): the program was compiled against a newer clbfgs.h "
                            "than the library it runs with, or the struct was not filled by "
                            "%s_init()",
                            type, given, size, type, clbfgs_version(), type);
    if (given < oldest)
        return clbfgs__fail(CLBFGS_ERR_INVALID_ARGUMENT,
                            "%s.struct_size is %zu, a size no %s ever had (%zu bytes here): fill "
                            "the struct with %s_init() before setting its fields",
                            type, given, type, size, type);
    memcpy(dst, options, given); /* the caller's fields over the defaults in dst */
    memcpy(dst, &size, sizeof size);
    return CLBFGS_SUCCESS;
}
