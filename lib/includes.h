/* The headers a program source reaches through #include, so the program
 * cache can key on everything the compiler reads, not just the source. */
#ifndef CLBFGS_INCLUDES_H
#define CLBFGS_INCLUDES_H

#include <stddef.h>

/* Whether source has any #include directive. */
int clbfgs__includes_present(const char *source);

/* Follows source's #include "..." and #include <...> recursively, as the
 * compiler would: a quoted name first in the including header's directory,
 * then (both kinds) in dirs, in order. On success *list is a malloc'd text
 * with a line per directive: the name, the file it resolved to, and the
 * SHA-256 of that file's contents ("" when there are none). Returns -1 with
 * the reason in why when an include cannot be resolved or read (a computed
 * #include, a header only the driver knows, an unreadable file), or when out
 * of memory: the program's binary then cannot be keyed safely. */
int clbfgs__includes_list(const char *source, char *const *dirs, size_t ndirs, char **list,
                          char *why, size_t why_size);

#endif
