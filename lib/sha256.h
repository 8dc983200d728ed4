/* SHA-256 (FIPS 180-4), for the program cache's keys and its entries'
 * integrity: a corrupt binary must never reach the driver's loader, which a
 * 64-bit non-cryptographic checksum could not promise. */
#ifndef CLBFGS_SHA256_H
#define CLBFGS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CLBFGS_SHA256_SIZE 32

typedef struct clbfgs_sha256 {
    uint32_t state[8];
    uint64_t bytes; /* message length so far */
    unsigned char block[64];
    size_t used; /* bytes waiting in block */
} clbfgs_sha256;

void clbfgs__sha256_init(clbfgs_sha256 *s);
void clbfgs__sha256_update(clbfgs_sha256 *s, const void *data, size_t len);
void clbfgs__sha256_final(clbfgs_sha256 *s, unsigned char digest[CLBFGS_SHA256_SIZE]);

/* The digest of one buffer. */
void clbfgs__sha256(const void *data, size_t len, unsigned char digest[CLBFGS_SHA256_SIZE]);

/* The digest as 64 lowercase hex digits and a NUL. */
void clbfgs__sha256_hex(const unsigned char digest[CLBFGS_SHA256_SIZE], char hex[65]);

#endif
