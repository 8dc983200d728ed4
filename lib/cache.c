/* The on-disk program cache.
 *
 * File layout, integers as 8 little-endian bytes:
 *   "CLBFGSC2" | key length | key | binary length | binary | SHA-256 of all before
 * The whole key (device, driver, options, source, headers' digests) is stored
 * and compared, so a stale file is a miss, never a wrong program. The digest
 * is cryptographic because a binary that merely matches a checksum by chance
 * still reaches the driver's loader, and pocl's crashes on a corrupt one. */
#include "config.h"

#include "cache.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = {'C', 'L', 'B', 'F', 'G', 'S', 'C', '2'};

char *clbfgs__cache_path(const char *dir, const char *key, size_t key_len)
{
    unsigned char digest[CLBFGS_SHA256_SIZE];
    char hex[65];
    clbfgs__sha256(key, key_len, digest);
    clbfgs__sha256_hex(digest, hex);
    size_t len = strlen(dir) + 1 + 64 + sizeof ".clbin";
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/%s.clbin", dir, hex);
    return path;
}

int clbfgs__cache_dir_check(const char *dir, char *why, size_t why_size)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(why, why_size, "cannot inspect %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, why_size, "%s is not a directory", dir);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(why, why_size, "%s belongs to uid %lu, not to this user (uid %lu)", dir,
                 (unsigned long)st.st_uid, (unsigned long)geteuid());
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, why_size, "%s is writable by %s (mode %04o); chmod go-w it", dir,
                 (st.st_mode & S_IWOTH) ? "others" : "its group", (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static unsigned char *read_file(const char *path, size_t *size, int *missing, char *why,
                                size_t why_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *missing = errno == ENOENT;
        snprintf(why, why_size, "%s", *missing ? "no cache file" : strerror(errno));
        return NULL;
    }
    unsigned char *data = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(why, why_size, "cannot size the cache file");
    } else if (!(data = malloc(len > 0 ? (size_t)len : 1))) {
        snprintf(why, why_size, "out of memory reading the cache file");
    } else if (fread(data, 1, (size_t)len, f) != (size_t)len) {
        snprintf(why, why_size, "short read of the cache file");
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = (size_t)len;
    return data;
}

/* Whether the file's last 32 bytes are the SHA-256 of the rest. */
static int digest_matches(const unsigned char *data, size_t len)
{
    unsigned char digest[CLBFGS_SHA256_SIZE];
    clbfgs__sha256(data, len - CLBFGS_SHA256_SIZE, digest);
    return memcmp(digest, data + len - CLBFGS_SHA256_SIZE, CLBFGS_SHA256_SIZE) == 0;
}

int clbfgs__cache_load(const char *dir, const char *key, size_t key_len, unsigned char **binary,
                       size_t *size, char *why, size_t why_size)
{
    *binary = NULL;
    *size = 0;
    if (clbfgs__cache_dir_check(dir, why, why_size) != 0)
        return CLBFGS_CACHE_REJECTED;
    char *path = clbfgs__cache_path(dir, key, key_len);
    if (!path) {
        snprintf(why, why_size, "out of memory");
        return CLBFGS_CACHE_REJECTED;
    }
    size_t len = 0;
    int missing = 0;
    unsigned char *data = read_file(path, &len, &missing, why, why_size);
    free(path);
    if (!data)
        return missing ? CLBFGS_CACHE_MISS : CLBFGS_CACHE_REJECTED;

    int ok = 0;
    const size_t fixed = sizeof magic + 8 + 8 + CLBFGS_SHA256_SIZE;
    if (len < fixed || memcmp(data, magic, sizeof magic) != 0) {
        snprintf(why, why_size, "not a clbfgs cache file (bad magic or too short)");
    } else if (!digest_matches(data, len)) {
        snprintf(why, why_size, "SHA-256 checksum mismatch (corrupt or truncated file)");
    } else {
        uint64_t klen = get_u64(data + 8);
        if (klen > len - fixed) {
            snprintf(why, why_size, "key length out of range");
        } else if (klen != key_len || memcmp(data + 16, key, key_len) != 0) {
            snprintf(why, why_size, "stale file: stored for another device, driver or source");
        } else {
            uint64_t blen = get_u64(data + 16 + klen);
            if (blen == 0 || blen != len - fixed - klen) {
                snprintf(why, why_size, "binary length out of range");
            } else if (!(*binary = malloc(blen))) {
                snprintf(why, why_size, "out of memory");
            } else {
                memcpy(*binary, data + 24 + klen, blen);
                *size = blen;
                ok = 1;
            }
        }
    }
    free(data);
    return ok ? CLBFGS_CACHE_HIT : CLBFGS_CACHE_REJECTED;
}

static int make_dirs(char *path)
{
    /* mkdir -p, each missing level private to the user. */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return (mkdir(path, 0700) == 0 || errno == EEXIST) ? 0 : -1;
}

int clbfgs__cache_store(const char *dir, const char *key, size_t key_len,
                        const unsigned char *binary, size_t size, char *why, size_t why_size)
{
    int rc = -1, fd = -1, created = 0;
    char *dir_copy = NULL, *path = NULL, *tmp = NULL;
    unsigned char *data = NULL;
    size_t len = sizeof magic + 8 + key_len + 8 + size + CLBFGS_SHA256_SIZE;

    if (!(dir_copy = malloc(strlen(dir) + 1)) || !(path = clbfgs__cache_path(dir, key, key_len)) ||
        !(tmp = malloc(strlen(path) + sizeof ".XXXXXX")) || !(data = malloc(len))) {
        snprintf(why, why_size, "out of memory");
        goto cleanup;
    }
    strcpy(dir_copy, dir);
    if (make_dirs(dir_copy) != 0) {
        snprintf(why, why_size, "cannot create %s: %s", dir, strerror(errno));
        goto cleanup;
    }
    /* Checked again here: another user may have made the directory since the
     * context looked at it. */
    if (clbfgs__cache_dir_check(dir, why, why_size) != 0)
        goto cleanup;
    unsigned char *p = data;
    memcpy(p, magic, sizeof magic);
    p += sizeof magic;
    put_u64(p, key_len);
    p += 8;
    memcpy(p, key, key_len);
    p += key_len;
    put_u64(p, size);
    p += 8;
    memcpy(p, binary, size);
    p += size;
    clbfgs__sha256(data, len - CLBFGS_SHA256_SIZE, p);

    sprintf(tmp, "%s.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(why, why_size, "cannot create a file in %s: %s", dir, strerror(errno));
        goto cleanup;
    }
    created = 1;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(why, why_size, "writing %s: %s", tmp, strerror(errno));
            goto cleanup;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(why, why_size, "closing %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    /* rename() is atomic: a reader sees the old file or the new one, never half. */
    if (rename(tmp, path) != 0) {
        snprintf(why, why_size, "renaming into %s: %s", path, strerror(errno));
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && created)
        unlink(tmp);
    free(data);
    free(tmp);
    free(path);
    free(dir_copy);
    return rc;
}
