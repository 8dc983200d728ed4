/* The on-disk cache format alone (no device): hits, misses, and every kind of
 * file that must not be trusted. */
#include "common.h"

#include "cache.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char key_a[] = "device A\ndriver 1\nsource: kernel void a() {}";
static const char key_b[] = "device A\ndriver 1\nsource: kernel void b() {}";

/* Random bytes, fresh each run, so no test depends on one binary's shape. */
static void random_bytes(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(rand() >> 7);
}

static void store(const char *dir, const char *key, const unsigned char *bin, size_t n)
{
    char why[256] = "";
    int rc = clbfgs__cache_store(dir, key, strlen(key), bin, n, why, sizeof why);
    if (rc != 0)
        print_error("store failed: %s\n", why);
    assert_int_equal(rc, 0);
}

/* Loads key; returns the binary, held, or NULL, with the reason in why. */
static unsigned char *load(const char *dir, const char *key, size_t *n, char *why)
{
    unsigned char *bin = NULL;
    int rc = clbfgs__cache_load(dir, key, strlen(key), &bin, n, why, 256);
    hold(bin, free);
    assert_int_equal(rc == 0, bin != NULL);
    return bin;
}

/* The cache file's name for key in dir, held. */
static char *path_of(const char *dir, const char *key)
{
    char *path = clbfgs__cache_path(dir, key, strlen(key));
    assert_non_null(path);
    return hold(path, free);
}

static void rewrite(const char *path, long offset, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    int sought = fseek(f, offset, offset < 0 ? SEEK_END : SEEK_SET);
    size_t written = sought == 0 ? fwrite(bytes, 1, n, f) : 0;
    fclose(f);
    assert_int_equal(sought, 0);
    assert_int_equal(written, n);
}

static void a_stored_binary_loads_back_identical(void **state)
{
    unsigned char bin[5000];
    random_bytes(bin, sizeof bin);
    store(*state, key_a, bin, sizeof bin);
    size_t n = 0;
    char why[256];
    unsigned char *got = load(*state, key_a, &n, why);
    assert_non_null(got);
    assert_int_equal(n, sizeof bin);
    assert_memory_equal(got, bin, sizeof bin);
}

static void a_missing_file_is_a_miss(void **state)
{
    size_t n = 1;
    char why[256];
    assert_null(load(*state, key_a, &n, why));
    assert_int_equal(n, 0);
    assert_string_equal(why, "no cache file");
}

static void a_file_stored_for_another_key_is_stale(void **state)
{
    unsigned char bin[300];
    random_bytes(bin, sizeof bin);
    store(*state, key_a, bin, sizeof bin);
    /* Put A's file where B's belongs, as a hash collision or a copy would. */
    char *path_a = path_of(*state, key_a);
    char *path_b = path_of(*state, key_b);
    assert_string_not_equal(path_a, path_b);
    assert_int_equal(rename(path_a, path_b), 0);
    size_t n;
    char why[256];
    assert_null(load(*state, key_b, &n, why));
    assert_non_null(strstr(why, "stale"));
}

static void a_flipped_byte_fails_the_checksum(void **state)
{
    unsigned char bin[4096];
    random_bytes(bin, sizeof bin);
    store(*state, key_a, bin, sizeof bin);
    char *path = path_of(*state, key_a);
    unsigned char flipped = (unsigned char)(bin[1000] ^ 0x10);
    /* 8 magic + 8 length + key + 8 length, then the binary */
    rewrite(path, (long)(24 + strlen(key_a) + 1000), &flipped, 1);
    size_t n;
    char why[256];
    assert_null(load(*state, key_a, &n, why));
    assert_non_null(strstr(why, "checksum"));
}

/* pocl's loader crashed on a binary whose corruption the old checksum
 * happened to match; with a digest the reader cannot be fooled that way. */
static void a_flipped_byte_under_a_matching_old_checksum_is_rejected(void **state)
{
    unsigned char bin[4096];
    random_bytes(bin, sizeof bin);
    store(*state, key_a, bin, sizeof bin);
    char *path = path_of(*state, key_a);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char file[8192];
    size_t len = fread(file, 1, sizeof file, f);
    fclose(f);
    assert_true(len > 24 + strlen(key_a) + 1000 + 8);
    file[24 + strlen(key_a) + 1000] ^= 0x10;
    uint64_t h = fnv1a64(file, len - 8);
    for (int i = 0; i < 8; i++)
        file[len - 8 + i] = (unsigned char)(h >> (8 * i));
    f = fopen(path, "wb");
    assert_non_null(f);
    size_t written = fwrite(file, 1, len, f);
    fclose(f);
    assert_int_equal(written, len);
    size_t n;
    char why[256];
    assert_null(load(*state, key_a, &n, why));
    assert_non_null(strstr(why, "checksum"));
}

static void a_truncated_file_is_rejected(void **state)
{
    unsigned char bin[4096];
    random_bytes(bin, sizeof bin);
    store(*state, key_a, bin, sizeof bin);
    char *path = path_of(*state, key_a);
    assert_int_equal(truncate(path, 2000), 0);
    size_t n;
    char why[256];
    assert_null(load(*state, key_a, &n, why));
    assert_non_null(strstr(why, "checksum"));
    assert_int_equal(truncate(path, 5), 0);
    assert_null(load(*state, key_a, &n, why));
    assert_non_null(strstr(why, "magic"));
}

static void a_file_of_garbage_is_rejected(void **state)
{
    char *path = path_of(*state, key_a);
    unsigned char junk[777];
    random_bytes(junk, sizeof junk);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(junk, 1, sizeof junk, f);
    fclose(f);
    size_t n;
    char why[256];
    assert_null(load(*state, key_a, &n, why));
    assert_non_null(strstr(why, "magic"));
}

static void a_rejected_file_is_replaced_by_the_next_store(void **state)
{
    char *path = path_of(*state, key_a);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("CLBFGSC1 but then nothing sensible", f);
    fclose(f);
    unsigned char bin[64];
    random_bytes(bin, sizeof bin);
    store(*state, key_a, bin, sizeof bin);
    size_t n;
    char why[256];
    unsigned char *got = load(*state, key_a, &n, why);
    assert_non_null(got);
    assert_memory_equal(got, bin, sizeof bin);
}

static void missing_directories_are_created_private(void **state)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/a", (char *)*state);
    char nested[4200];
    snprintf(nested, sizeof nested, "%s/b", dir);
    unsigned char bin[10] = {1, 2, 3};
    store(nested, key_a, bin, sizeof bin);
    struct stat st;
    assert_int_equal(stat(nested, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char *path = path_of(nested, key_a);
    unlink(path);
    rmdir(nested);
    rmdir(dir);
}

/* Anyone who can write the directory could plant a binary for the driver. */
static void a_directory_others_can_write_is_refused(void **state)
{
    unsigned char bin[64];
    random_bytes(bin, sizeof bin);
    store(*state, key_a, bin, sizeof bin);
    assert_int_equal(chmod(*state, 0777), 0);
    size_t n;
    char why[256] = "";
    unsigned char *got = NULL;
    int found = clbfgs__cache_load(*state, key_a, strlen(key_a), &got, &n, why, sizeof why);
    hold(got, free);
    assert_int_equal(found, CLBFGS_CACHE_REJECTED);
    assert_non_null(strstr(why, "writable by others"));
    assert_int_equal(
        clbfgs__cache_store(*state, key_b, strlen(key_b), bin, sizeof bin, why, sizeof why), -1);
    assert_non_null(strstr(why, "writable by others"));
    assert_int_equal(chmod(*state, 0770), 0);
    assert_int_equal(clbfgs__cache_dir_check(*state, why, sizeof why), -1);
    assert_non_null(strstr(why, "its group"));
    assert_int_equal(chmod(*state, 0700), 0);
    assert_int_equal(clbfgs__cache_dir_check(*state, why, sizeof why), 0);
}

static void an_unwritable_location_is_an_error_with_a_reason(void **state)
{
    (void)state;
    unsigned char bin[10] = {0};
    char why[256] = "";
    /* A path below a regular file can never be created, even by root. */
    assert_int_equal(clbfgs__cache_store("/dev/null/cache", key_a, strlen(key_a), bin, sizeof bin,
                                         why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "/dev/null/cache"));
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_stored_binary_loads_back_identical, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_missing_file_is_a_miss, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_file_stored_for_another_key_is_stale, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_flipped_byte_fails_the_checksum, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_flipped_byte_under_a_matching_old_checksum_is_rejected,
                                        temp_dir_setup, temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_truncated_file_is_rejected, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_file_of_garbage_is_rejected, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_rejected_file_is_replaced_by_the_next_store,
                                        temp_dir_setup, temp_dir_teardown),
        cmocka_unit_test_setup_teardown(missing_directories_are_created_private, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test_setup_teardown(a_directory_others_can_write_is_refused, temp_dir_setup,
                                        temp_dir_teardown),
        cmocka_unit_test(an_unwritable_location_is_an_error_with_a_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
