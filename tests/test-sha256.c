/* SHA-256 against the FIPS 180-2 test vectors (appendix B), and fed in
 * pieces of every size across the padding boundaries. */
#include "common.h"

#include "sha256.h"

static void check(const void *data, size_t len, const char *expected)
{
    unsigned char digest[CLBFGS_SHA256_SIZE];
    char hex[65];
    clbfgs__sha256(data, len, digest);
    clbfgs__sha256_hex(digest, hex);
    assert_string_equal(hex, expected);
}

static void one_block_message_abc(void **state)
{
    (void)state;
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void multi_block_message_of_448_bits(void **state)
{
    (void)state;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void a_million_as_in_uneven_pieces(void **state)
{
    (void)state;
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    clbfgs_sha256 s;
    clbfgs__sha256_init(&s);
    size_t left = 1000000;
    for (size_t piece = 1; left > 0; piece = piece % sizeof chunk + 1) {
        size_t n = piece < left ? piece : left;
        clbfgs__sha256_update(&s, chunk, n);
        left -= n;
    }
    unsigned char digest[CLBFGS_SHA256_SIZE];
    char hex[65];
    clbfgs__sha256_final(&s, digest);
    clbfgs__sha256_hex(digest, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void the_empty_message(void **state)
{
    (void)state;
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Lengths around 55, 56 and 64 bytes pad differently; split or whole must agree. */
static void pieces_and_whole_agree_at_every_length_up_to_200(void **state)
{
    (void)state;
    unsigned char data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof data; len++) {
        unsigned char whole[CLBFGS_SHA256_SIZE], split[CLBFGS_SHA256_SIZE];
        clbfgs__sha256(data, len, whole);
        clbfgs_sha256 s;
        clbfgs__sha256_init(&s);
        clbfgs__sha256_update(&s, data, len / 3);
        clbfgs__sha256_update(&s, data + len / 3, len - len / 3);
        clbfgs__sha256_final(&s, split);
        assert_memory_equal(whole, split, sizeof whole);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_block_message_abc),
        cmocka_unit_test(multi_block_message_of_448_bits),
        cmocka_unit_test(a_million_as_in_uneven_pieces),
        cmocka_unit_test(the_empty_message),
        cmocka_unit_test(pieces_and_whole_agree_at_every_length_up_to_200),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
