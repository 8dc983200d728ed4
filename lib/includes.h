/* The headers a program source reaches through #include, so the program
 * cache can key on everything the compiler reads, not just the source. */
#ifndef CLBFGS_INCLUDES_H
#define CLBFGS_INCLUDES_H

#include <stddef.h>

/* Whether source has any #include (or #import) directive, as the
 * preprocessor reads it: not in a comment, and found through a line
 * splice, a comment before or after the '#', the digraph %: or the
 * trigraph ??=. */
int clbfgs__includes_present(const char *source);

/* Follows source's #include "..." and #include <...> recursively, as the
 * compiler would: a quoted name first in the including file's directory
 * (the working directory for the source itself, as pocl's clang reads it),
 * then (both kinds) in dirs, in order. On success *list is a malloc'd text
 * with a line per directive: the name, the file it resolved to, and the
 * SHA-256 of that file's contents ("" when there are none). Returns -1 with
 * the reason in why when the headers cannot be listed exactly: an include
 * that cannot be resolved or read (a computed #include, #include_next, a
 * header only the driver knows, an unreadable file); a quoted include of
 * the source found both in the working directory and in a -I directory
 * (drivers differ on which comes first); more uses of the identifiers
 * include, import or __has_include in a file than directives followed; the
 * trigraph ??/ (drivers that do not read trigraphs split the text
 * differently); or out of memory. The program's binary then cannot be keyed safely. */
int clbfgs__includes_list(const char *source, char *const *dirs, size_t ndirs, char **list,
                          char *why, size_t why_size);

#endif
