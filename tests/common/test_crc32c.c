/*
 * test_crc32c.c - CRC32C: RFC 3720 B.4 vectors, the check value, and the
 * SSE4.2 and table implementations agreeing on every length and alignment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crc32c_int.h"
#include "wt_common.h"

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static const crc_fn impls[] = {wt_crc32c, wt__crc32c_sw, wt__crc32c_hw};
#define NIMPLS (sizeof(impls) / sizeof(impls[0]))

/* RFC 3720 B.4: 32 bytes of zeros, ones, ascending and descending values. */
static void test_rfc3720_vectors(void **state)
{
    unsigned char b[32];
    (void)state;
    for (size_t f = 0; f < NIMPLS; f++) {
        memset(b, 0, sizeof(b));
        assert_int_equal(impls[f](0, b, sizeof(b)), 0x8A9136AAU);
        memset(b, 0xFF, sizeof(b));
        assert_int_equal(impls[f](0, b, sizeof(b)), 0x62A8AB43U);
        for (int i = 0; i < 32; i++)
            b[i] = (unsigned char)i;
        assert_int_equal(impls[f](0, b, sizeof(b)), 0x46DD794EU);
        for (int i = 0; i < 32; i++)
            b[i] = (unsigned char)(31 - i);
        assert_int_equal(impls[f](0, b, sizeof(b)), 0x113FDB5CU);
    }
}

/* RFC 3720 B.4: an iSCSI read command PDU. */
static void test_rfc3720_pdu(void **state)
{
    static const unsigned char pdu[48] = {
        0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    (void)state;
    for (size_t f = 0; f < NIMPLS; f++)
        assert_int_equal(impls[f](0, pdu, sizeof(pdu)), 0xD9963A56U);
}

/* The customary check value of "123456789", and the empty input. */
static void test_check_value(void **state)
{
    (void)state;
    for (size_t f = 0; f < NIMPLS; f++) {
        assert_int_equal(impls[f](0, "123456789", 9), 0xE3069283U);
        assert_int_equal(impls[f](0, NULL, 0), 0);
        assert_int_equal(impls[f](0x12345678U, NULL, 0), 0x12345678U);
    }
}

/* n pseudo-random bytes (xorshift32 from seed) into buf. */
static void fill(unsigned char *buf, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (unsigned char)x;
    }
}

/* Every implementation, every offset and length, one shot and chained. */
static void test_impls_agree(void **state)
{
    static unsigned char buf[1024 + 16];
    (void)state;
    fill(buf, sizeof(buf), 2463534242U);
    for (size_t off = 0; off < 16; off++) {
        for (size_t len = 0; len <= 1024; len += (len < 80 ? 1 : 37)) {
            const uint32_t ref = wt__crc32c_sw(0, buf + off, len);
            assert_int_equal(wt__crc32c_hw(0, buf + off, len), ref);
            assert_int_equal(wt_crc32c(0, buf + off, len), ref);
            for (size_t cut = 0; cut <= len; cut += 1 + len / 7) {
                for (size_t f = 0; f < NIMPLS; f++) {
                    const uint32_t a = impls[f](0, buf + off, cut);
                    assert_int_equal(impls[f](a, buf + off + cut, len - cut), ref);
                }
            }
        }
    }
}

/* Long inputs (the SSE4.2 path runs three 2 KiB lanes from 6 KiB on): lengths
 * around the lane sizes, every offset mod 8, one shot and chained. */
static void test_long_inputs(void **state)
{
    static unsigned char buf[40000 + 8];
    static const size_t lens[] = {6143,  6144,  6145,  6151,      12287,
                                  12288, 12295, 18432, 24576 + 3, 40000};
    (void)state;
    fill(buf, sizeof(buf), 88172645U);
    for (size_t off = 0; off < 8; off++) {
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            const size_t len = lens[l];
            const uint32_t ref = wt__crc32c_sw(0, buf + off, len);
            assert_int_equal(wt__crc32c_hw(0, buf + off, len), ref);
            assert_int_equal(wt_crc32c(0x5EED, buf + off, len),
                             wt__crc32c_sw(0x5EED, buf + off, len));
            for (size_t cut = 1; cut < len; cut += len / 5) {
                const uint32_t a = wt__crc32c_hw(0, buf + off, cut);
                assert_int_equal(wt__crc32c_hw(a, buf + off + cut, len - cut), ref);
            }
        }
    }
}

/* Not a check of the CPU: just that the answer is stable. */
static void test_hw_probe(void **state)
{
    (void)state;
    assert_true(wt__crc32c_hw_available() == wt__crc32c_hw_available());
    print_message("crc32c: sse4.2 %s\n", wt__crc32c_hw_available() ? "used" : "not available");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3720_vectors), cmocka_unit_test(test_rfc3720_pdu),
        cmocka_unit_test(test_check_value),     cmocka_unit_test(test_impls_agree),
        cmocka_unit_test(test_long_inputs),     cmocka_unit_test(test_hw_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
