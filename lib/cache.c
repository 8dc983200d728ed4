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
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 64 hex digits, ".clbin", NUL */
#define ENTRY_NAME_SIZE (64 + sizeof ".clbin")

static const char magic[8] = {'C', 'L', 'B', 'F', 'G', 'S', 'C', '2'};

/* <SHA-256 of the key, 64 hex digits>.clbin */
static void entry_name(const char *key, size_t key_len, char name[ENTRY_NAME_SIZE])
{
    unsigned char digest[CLBFGS_SHA256_SIZE];
    char hex[65];
    clbfgs__sha256(key, key_len, digest);
    clbfgs__sha256_hex(digest, hex);
    snprintf(name, ENTRY_NAME_SIZE, "%s.clbin", hex);
}

char *clbfgs__cache_path(const char *dir, const char *key, size_t key_len)
{
    char name[ENTRY_NAME_SIZE];
    entry_name(key, key_len, name);
    size_t len = strlen(dir) + 1 + sizeof name;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/%s", dir, name);
    return path;
}

/* Opens dir, the cache directory, and checks what was opened: O_NOFOLLOW
 * refuses a symbolic link as its last component (one in a directory others
 * can write could be pointed elsewhere between a check and a use), and the
 * owner and mode come from the descriptor. Every read and write then goes
 * through the descriptor, so a directory swapped in by path afterwards is
 * never used. Returns the descriptor; DIR_MISSING when dir does not exist;
 * -1 with why otherwise. */
#define DIR_MISSING -2
static int open_dir(const char *dir, char *why, size_t why_size)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT) {
            snprintf(why, why_size, "%s does not exist", dir);
            return DIR_MISSING;
        }
        if ((err == ELOOP || err == ENOTDIR) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
            snprintf(why, why_size,
                     "%s is a symbolic link, which could be pointed elsewhere; name the "
                     "directory itself",
                     dir);
        else if (err == ENOTDIR)
            snprintf(why, why_size, "%s is not a directory", dir);
        else
            snprintf(why, why_size, "cannot open %s: %s", dir, strerror(err));
        return -1;
    }
    const char *bad = NULL;
    if (fstat(fd, &st) != 0) {
        snprintf(why, why_size, "cannot inspect %s: %s", dir, strerror(errno));
        bad = why;
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(why, why_size, "%s is not a directory", dir);
        bad = why;
    } else if (st.st_uid != geteuid()) {
        snprintf(why, why_size, "%s belongs to uid %lu, not to this user (uid %lu)", dir,
                 (unsigned long)st.st_uid, (unsigned long)geteuid());
        bad = why;
    } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, why_size, "%s is writable by %s (mode %04o); chmod go-w it", dir,
                 (st.st_mode & S_IWOTH) ? "others" : "its group", (unsigned)(st.st_mode & 07777));
        bad = why;
    }
    if (bad) {
        close(fd);
        return -1;
    }
    return fd;
}

int clbfgs__cache_dir_check(const char *dir, char *why, size_t why_size)
{
    int fd = open_dir(dir, why, why_size);
    if (fd == DIR_MISSING)
        return 0;
    if (fd < 0)
        return -1;
    if (close(fd) != 0) {
        snprintf(why, why_size, "closing %s: %s", dir, strerror(errno));
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

/* The entry `name` of the directory dirfd, malloc'd; NULL with why and
 * *missing set when there is none. A symbolic link or anything but a
 * regular file is refused: the entry must be the directory's own. */
static unsigned char *read_entry(int dirfd, const char *name, size_t *size, int *missing, char *why,
                                 size_t why_size)
{
    *missing = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *missing = errno == ENOENT;
        snprintf(why, why_size, "%s",
                 *missing         ? "no cache file"
                 : errno == ELOOP ? "the cache file is a symbolic link"
                                  : strerror(errno));
        return NULL;
    }
    unsigned char *data = NULL;
    struct stat st;
    size_t len = 0;
    if (fstat(fd, &st) != 0) {
        snprintf(why, why_size, "cannot inspect the cache file: %s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_size, "the cache file is not a regular file");
    } else if (st.st_size < 0 || (uintmax_t)st.st_size >= SIZE_MAX) {
        snprintf(why, why_size, "the cache file is too large");
    } else if (!(data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1))) {
        snprintf(why, why_size, "out of memory reading the cache file");
    } else {
        while (len < (size_t)st.st_size) {
            ssize_t got = read(fd, data + len, (size_t)st.st_size - len);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                break;
            len += (size_t)got;
        }
        if (len != (size_t)st.st_size) {
            snprintf(why, why_size, "short read of the cache file");
            free(data);
            data = NULL;
        }
    }
    close(fd); /* read-only: nothing to lose */
    *size = len;
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
    int dirfd = open_dir(dir, why, why_size);
    if (dirfd == DIR_MISSING) {
        snprintf(why, why_size, "no cache file");
        return CLBFGS_CACHE_MISS;
    }
    if (dirfd < 0)
        return CLBFGS_CACHE_REJECTED;
    char name[ENTRY_NAME_SIZE];
    entry_name(key, key_len, name);
    size_t len = 0;
    int missing = 0;
    unsigned char *data = read_entry(dirfd, name, &len, &missing, why, why_size);
    close(dirfd);
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

/* A name for a temporary file that no other writer picks: the process, the
 * time and a counter, hashed. */
static void temp_name(const char *entry, unsigned attempt, char *out, size_t size)
{
    static unsigned counter;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        ts.tv_sec = ts.tv_nsec = 0;
    char seed[128];
    int n = snprintf(seed, sizeof seed, "%ld %ld %ld %u %u %p", (long)getpid(), (long)ts.tv_sec,
                     (long)ts.tv_nsec, counter++, attempt, (void *)&ts);
    unsigned char digest[CLBFGS_SHA256_SIZE];
    char hex[65];
    clbfgs__sha256(seed, (size_t)n, digest);
    clbfgs__sha256_hex(digest, hex);
    snprintf(out, size, "%s.tmp-%.12s", entry, hex);
}

int clbfgs__cache_store(const char *dir, const char *key, size_t key_len,
                        const unsigned char *binary, size_t size, char *why, size_t why_size)
{
    int rc = -1, fd = -1, dirfd = -1, created = 0;
    char *dir_copy = NULL, name[ENTRY_NAME_SIZE], tmp[ENTRY_NAME_SIZE + 32];
    unsigned char *data = NULL;
    size_t len = sizeof magic + 8 + key_len + 8 + size + CLBFGS_SHA256_SIZE;

    if (!(dir_copy = malloc(strlen(dir) + 1)) || !(data = malloc(len))) {
        snprintf(why, why_size, "out of memory");
        goto cleanup;
    }
    strcpy(dir_copy, dir);
    if (make_dirs(dir_copy) != 0) {
        snprintf(why, why_size, "cannot create %s: %s", dir, strerror(errno));
        goto cleanup;
    }
    /* Checked again here, on what is then written through: another user may
     * have made the directory, or a link in its place, since the context
     * looked at it. */
    dirfd = open_dir(dir, why, why_size);
    if (dirfd < 0)
        goto cleanup;
    entry_name(key, key_len, name);
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

    for (unsigned attempt = 0; fd < 0 && attempt < 100; attempt++) {
        temp_name(name, attempt, tmp, sizeof tmp);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
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
            snprintf(why, why_size, "writing %s/%s: %s", dir, tmp,
                     w < 0 ? strerror(errno) : "nothing written");
            goto cleanup;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(why, why_size, "closing %s/%s: %s", dir, tmp, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    /* Atomic: a reader sees the old file or the new one, never half. */
    if (renameat(dirfd, tmp, dirfd, name) != 0) {
        snprintf(why, why_size, "renaming into %s/%s: %s", dir, name, strerror(errno));
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd); /* already failing: the file is removed below */
    if (rc != 0 && created)
        unlinkat(dirfd, tmp, 0); /* best effort: a leftover is never read as an entry */
    if (dirfd >= 0)
        close(dirfd); /* only read through after the rename: nothing to lose */
    free(data);
    free(dir_copy);
    return rc;
}
