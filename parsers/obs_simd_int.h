/*
 * obs_simd_int.h - the byte helpers of the observables files (observables.c,
 * obs_target.c, obs_ip.c, obs_norm.c): compares and copies of short views a
 * word at a time, sixteen-byte SSE2 loads and masks that never leave a view,
 * and the byte classes of a host name. Internal to parsers/.
 *
 * Every helper is forced inline: wt_obs_extract() is built twice
 * (WT_CLONES_V3), and a helper it calls must be inlined to be in both.
 */
#ifndef WT_OBS_SIMD_INT_H
#define WT_OBS_SIMD_INT_H

#include "parsers_int.h"

#include <stdint.h>
#include <string.h>

static inline bool is_alpha(unsigned char c)
{
    return (unsigned char)(c | 0x20) >= 'a' && (unsigned char)(c | 0x20) <= 'z';
}

/* The same bytes; 8 to 16 of them without a memcmp() call (two overlapping words). */
static WT_ALWAYS_INLINE bool str_same(struct wt_str a, struct wt_str b)
{
    if (a.len != b.len)
        return false;
    if (a.len >= 8 && a.len <= 16) {
        uint64_t x0, x1, y0, y1;
        memcpy(&x0, a.p, 8);
        memcpy(&x1, a.p + a.len - 8, 8);
        memcpy(&y0, b.p, 8);
        memcpy(&y1, b.p + b.len - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    return a.len == 0 || memcmp(a.p, b.p, a.len) == 0;
}

/* The four bytes of s as one word, to compare four bytes at once. */
static WT_ALWAYS_INLINE uint32_t word4(const char *s)
{
    uint32_t w;
    memcpy(&w, s, 4);
    return w;
}

/*
 * memcpy() for the short values of the observables files without the library call: two
 * moves of 16, 8 or 4 bytes that overlap in the middle. Every byte of s is
 * loaded before any is stored.
 */
static WT_ALWAYS_INLINE void copy_short(char *d, const char *s, size_t n)
{
#if defined(__SSE2__)
    if (n >= 16 && n <= 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        _mm_storeu_si128((__m128i *)(void *)d, a);
        _mm_storeu_si128((__m128i *)(void *)(d + n - 16), b);
        return;
    }
#endif
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a = word4(s), b = word4(s + n - 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n > 0 && n < 4) {
        char a = s[0], b = s[n / 2], c = s[n - 1];
        d[0] = a;
        d[n / 2] = b;
        d[n - 1] = c;
    } else if (n > 0) {
        memcpy(d, s, n);
    }
}

/* Byte classes of up to 64 bytes of a host name: bit i is byte i. An
 * underscore is in the letter class: it may stand anywhere in a label. */
struct name_masks {
    uint64_t letter, digit, dash, dot, upper;
};

#if defined(__SSE2__)
/*
 * The byte classes of the fast paths (obs_int.h) come from one SSE2 compare per
 * class over 16 bytes (SSE2 is part of every x86-64, which is little-endian:
 * lane i is byte i, bit i of a movemask). Loads never leave the view.
 */

/* Bits of the positions below x (x <= 64). */
static WT_ALWAYS_INLINE uint64_t below(size_t x)
{
    return x >= 64 ? ~0ULL : (1ULL << x) - 1;
}

/* Bit i: lane i of v is c. */
static WT_ALWAYS_INLINE unsigned eq_mask(__m128i v, char c)
{
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* Bit i: lane i of v is in [lo, hi] (signed compare: bytes >= 0x80 never are). */
static WT_ALWAYS_INLINE __m128i in_range(__m128i v, char lo, char hi)
{
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)(lo - 1))),
                         _mm_cmplt_epi8(v, _mm_set1_epi8((char)(hi + 1))));
}

/*
 * The n bytes at p (1 <= n < 16) in the low lanes, zeros above, from two
 * overlapping loads of 8, 4 or 1 bytes inside [p, p + n). Overlapping bytes
 * are or-ed with themselves.
 */
static WT_ALWAYS_INLINE __m128i load_short(const char *p, size_t n)
{
    uint64_t lo, hi = 0;

    if (n >= 8) {
        memcpy(&lo, p, 8);
        memcpy(&hi, p + n - 8, 8);
        hi = hi >> (8 * (15 - n)) >> 8; /* drop the 16 - n bytes lo has */
    } else if (n >= 4) {
        lo = word4(p) | (uint64_t)word4(p + n - 4) << (8 * (n - 4));
    } else {
        lo = (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << (8 * (n / 2)) |
             (uint64_t)(unsigned char)p[n - 1] << (8 * (n - 1));
    }
    return _mm_unpacklo_epi64(_mm_cvtsi64_si128((long long)lo), _mm_cvtsi64_si128((long long)hi));
}

/*
 * Sixteen bytes of the n-byte view at p for a scan stepping by 16 from off
 * (off < n), loaded without leaving the view; *pos is the byte in lane 0.
 * A plain load at off while 16 bytes are left; for the tail of a view of 16
 * bytes or more, the load of its last 16 (*pos = n - 16: its low lanes repeat
 * bytes before off, which set the same mask bits again); for a view shorter
 * than 16 (off is 0), the view zero-filled.
 */
static WT_ALWAYS_INLINE __m128i load_chunk(const char *p, size_t n, size_t off, size_t *pos)
{
    if (n - off >= 16) {
        *pos = off;
        return _mm_loadu_si128((const __m128i *)(const void *)(p + off));
    }
    if (n >= 16) {
        *pos = n - 16;
        return _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
    }
    *pos = 0;
    return load_short(p, n);
}

/* Add the classes of the 16 bytes of v, whose lane 0 is byte pos. @returns
 * the A-Z lanes (for lower-casing). */
static WT_ALWAYS_INLINE __m128i name_masks_add(struct name_masks *m, __m128i v, size_t pos)
{
    __m128i u = in_range(v, 'A', 'Z');
    __m128i l =
        _mm_or_si128(_mm_or_si128(u, in_range(v, 'a', 'z')), _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
    m->letter |= (uint64_t)(unsigned)_mm_movemask_epi8(l) << pos;
    m->upper |= (uint64_t)(unsigned)_mm_movemask_epi8(u) << pos;
    m->digit |= (uint64_t)(unsigned)_mm_movemask_epi8(in_range(v, '0', '9')) << pos;
    m->dash |= (uint64_t)eq_mask(v, '-') << pos;
    m->dot |= (uint64_t)eq_mask(v, '.') << pos;
    return u;
}
#endif

#if defined(__SSE2__)
/*
 * The first byte of [p, p + n) equal to a or b, or p + n: wt__find3() without
 * its byte loop for the tail. A tail load's repeated lanes were scanned
 * before without a match, so the lowest bit found is the first match.
 */
static WT_ALWAYS_INLINE unsigned eq2_mask(__m128i v, char a, char b)
{
    return (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(a)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b))));
}
#endif

/* Neither a nor b may be '\0' (a short view's load is zero-filled). */
static WT_ALWAYS_INLINE const char *find2(const char *p, size_t n, char a, char b)
{
#if defined(__SSE2__)
    /* Up to 32 bytes (most URL paths): one or two loads and no loop. */
    if (n < 16) {
        const unsigned m = n ? eq2_mask(load_short(p, n), a, b) : 0;
        return m ? p + __builtin_ctz(m) : p + n;
    }
    if (n <= 32) {
        const unsigned m0 = eq2_mask(_mm_loadu_si128((const __m128i *)(const void *)p), a, b);
        if (m0)
            return p + __builtin_ctz(m0);
        const unsigned m1 =
            eq2_mask(_mm_loadu_si128((const __m128i *)(const void *)(p + n - 16)), a, b);
        return m1 ? p + n - 16 + __builtin_ctz(m1) : p + n;
    }
    for (size_t i = 0; i < n; i += 16) {
        size_t pos;
        __m128i v = load_chunk(p, n, i, &pos);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(a)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b))));
        if (m)
            return p + pos + (size_t)__builtin_ctz(m);
    }
    return p + n;
#else
    return wt__find3(p, p + n, a, b, b);
#endif
}

#endif /* WT_OBS_SIMD_INT_H */
