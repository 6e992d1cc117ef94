/*
 * crc32c.c - CRC32C (Castagnoli), the checksum of spool records.
 *
 * Two implementations behind wt_crc32c(): the SSE4.2 crc32 instruction on
 * x86-64 CPUs that have it (checked once at run time; three interleaved
 * lanes on long inputs), and slicing-by-8
 * tables everywhere else. Both keep the reflected CRC state; the public
 * function adds the usual pre- and post-inversion so results chain.
 */
#include "wt_common.h"
#include "crc32c_int.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WT_CRC32C_X86 1
#include <nmmintrin.h>
#endif

/* The reflected form of 0x1EDC6F41. */
#define CRC32C_POLY 0x82F63B78U

typedef uint32_t (*crc_fn)(uint32_t state, const unsigned char *p, size_t n);

static uint32_t table[8][256];
static crc_fn impl;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------------ */
/* Slicing-by-8                                                             */
/* ------------------------------------------------------------------------ */

static inline uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void init_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32C_POLY & (0U - (c & 1U)));
        table[0][i] = c;
    }
    /* table[t][i]: the CRC of byte i followed by t zero bytes. */
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
}

static uint32_t sw_update(uint32_t c, const unsigned char *p, size_t n)
{
    while (n >= 8) {
        uint32_t lo = c ^ load_le32(p);
        uint32_t hi = load_le32(p + 4);
        c = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
            table[4][lo >> 24] ^ table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
            table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

/* ------------------------------------------------------------------------ */
/* SSE4.2                                                                   */
/* ------------------------------------------------------------------------ */

#ifdef WT_CRC32C_X86
/*
 * The crc32 instruction takes three cycles but can start one a cycle, so
 * long inputs run as three lanes of LANE bytes each, joined by shifting the
 * earlier lane's state over LANE zero bytes (the CRC state is linear:
 * state(c, A B) = shift_|B|(state(c, A)) ^ state(0, B)).
 */
#define LANE 2048

/* shift_tab[k][b]: the state after LANE zero bytes from byte k of it being b. */
static uint32_t shift_tab[4][256];

static void init_shift(void)
{
    static const unsigned char zeros[LANE];
    uint32_t img[32]; /* where each single state bit ends up */
    for (int i = 0; i < 32; i++)
        img[i] = sw_update(1U << i, zeros, LANE);
    for (int k = 0; k < 4; k++) {
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int i = 0; i < 8; i++)
                v ^= (b >> i & 1U) ? img[8 * k + i] : 0;
            shift_tab[k][b] = v;
        }
    }
}

static inline uint32_t shift_lane(uint32_t c)
{
    return shift_tab[0][c & 0xFF] ^ shift_tab[1][(c >> 8) & 0xFF] ^ shift_tab[2][(c >> 16) & 0xFF] ^
           shift_tab[3][c >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t hw_update(uint32_t c, const unsigned char *p,
                                                            size_t n)
{
    uint64_t c64 = c;
    while (n >= 3 * LANE) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < LANE; i += 8) {
            uint64_t a, b, d;
            memcpy(&a, p + i, sizeof(a));
            memcpy(&b, p + LANE + i, sizeof(b));
            memcpy(&d, p + 2 * LANE + i, sizeof(d));
            c64 = _mm_crc32_u64(c64, a);
            c1 = _mm_crc32_u64(c1, b);
            c2 = _mm_crc32_u64(c2, d);
        }
        c64 = shift_lane((uint32_t)c64) ^ (uint32_t)c1;
        c64 = shift_lane((uint32_t)c64) ^ (uint32_t)c2;
        p += 3 * LANE;
        n -= 3 * LANE;
    }
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, sizeof(v)); /* x86 is little-endian, as the CRC wants */
        c64 = _mm_crc32_u64(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--)
        c = _mm_crc32_u8(c, *p++);
    return c;
}
#endif

static bool cpu_has_sse42(void)
{
#ifdef WT_CRC32C_X86
    return __builtin_cpu_supports("sse4.2");
#else
    return false;
#endif
}

static void init_once(void)
{
    init_tables();
    impl = sw_update;
#ifdef WT_CRC32C_X86
    init_shift();
    if (cpu_has_sse42())
        impl = hw_update;
#endif
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */
/* ------------------------------------------------------------------------ */

uint32_t wt_crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&once, init_once);
    return ~impl(~crc, p, n);
}

uint32_t wt__crc32c_sw(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&once, init_once);
    return ~sw_update(~crc, p, n);
}

uint32_t wt__crc32c_hw(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&once, init_once);
#ifdef WT_CRC32C_X86
    if (cpu_has_sse42())
        return ~hw_update(~crc, p, n);
#endif
    return ~sw_update(~crc, p, n);
}

bool wt__crc32c_hw_available(void)
{
    return cpu_has_sse42();
}
