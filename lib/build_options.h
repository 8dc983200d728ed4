/* Build options as the driver will read them: checked before they reach it,
 * and the -I directories taken out for the program cache's include scan. */
#ifndef CLBFGS_BUILD_OPTIONS_H
#define CLBFGS_BUILD_OPTIONS_H

#include "internal.h"

#include <stddef.h>

/* Options are tokens separated by white space; a run in '"' or '\'' quotes
 * stays in one token. Rejects, as CLBFGS_ERR_INVALID_ARGUMENT with a message
 * naming the option and `where` the options came from, what drivers crash on
 * or misread: an unbalanced quote, -D without a macro name (pocl segfaults on
 * a trailing "-D"), -I without a directory. NULL or "" is fine. */
clbfgs_status clbfgs__build_options_check(const char *options, const char *where);

/* The -I directories of checked options, in order, each malloc'd, quotes
 * removed; *quoted is set when any was quoted (drivers differ on quotes:
 * pocl keeps them as part of the path). Free with clbfgs__build_options_free.
 * Returns -1 when out of memory. */
int clbfgs__build_options_include_dirs(const char *options, char ***dirs, size_t *count,
                                       int *quoted);
void clbfgs__build_options_free(char **dirs, size_t count);

#endif
