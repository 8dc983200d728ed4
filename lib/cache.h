/* The on-disk program cache: one file per (device, driver, source, headers,
 * options). Pure host code; OpenCL is not touched here. */
#ifndef CLBFGS_CACHE_H
#define CLBFGS_CACHE_H

#include <stddef.h>

/* What clbfgs__cache_load found. */
#define CLBFGS_CACHE_HIT 0
#define CLBFGS_CACHE_MISS 1      /* no file for the key */
#define CLBFGS_CACHE_REJECTED -1 /* a file or directory that cannot be trusted, or an error */

/* dir/<SHA-256 of the key, 64 hex digits>.clbin, malloc'd; NULL when out of memory. */
char *clbfgs__cache_path(const char *dir, const char *key, size_t key_len);

/* 0 when dir may hold the cache: it is missing (it will be created 0700), or
 * it is a directory, not a symbolic link to one, owned by the effective user
 * that neither group nor others can write. Otherwise -1 with the reason in
 * why: anyone else who can write there, or re-point a link, could plant a
 * binary for the driver to load. Load and store check again, on the
 * descriptor they then read and write through (openat, renameat), so what
 * they use is what was checked. */
int clbfgs__cache_dir_check(const char *dir, char *why, size_t why_size);

/* Reads the binary stored for key. CLBFGS_CACHE_HIT and a malloc'd *binary;
 * CLBFGS_CACHE_MISS when there is no file; CLBFGS_CACHE_REJECTED for a file
 * that cannot be trusted (a symbolic link or not a regular file, wrong
 * magic, truncated, SHA-256 or key mismatch) or a directory that fails
 * clbfgs__cache_dir_check. why says which. */
int clbfgs__cache_load(const char *dir, const char *key, size_t key_len, unsigned char **binary,
                       size_t *size, char *why, size_t why_size);

/* Writes the binary for key atomically (a new temporary file, created with
 * O_EXCL under an unpredictable name, renamed into place), creating dir with
 * mode 0700 if needed. Returns 0, or -1 with why. */
int clbfgs__cache_store(const char *dir, const char *key, size_t key_len,
                        const unsigned char *binary, size_t size, char *why, size_t why_size);

#endif
