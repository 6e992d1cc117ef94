/*
 * wt_json_esc.h - the JSON string escaping primitives, shared by
 * wt_json_append_str (common/json.c) and the event encoder's specialised
 * writers (queue/event.c), which inline them on their hot path.
 *
 * A byte is "plain" when it is copied as it is: printable ASCII other than
 * '"' and '\\'. Everything else goes through wt__json_esc_one().
 */
#ifndef WT_JSON_ESC_H
#define WT_JSON_ESC_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* 1: byte is copied as is (printable ASCII other than '"' and '\\'). */
extern const unsigned char wt__json_plain[256];

#define WT_JSON_INLINE static inline __attribute__((always_inline))

#if defined(__SSE2__)
/*
 * 0xff in each byte that is plain (0x20-0x7e, not '"' or '\\'), else 0.
 * min(v, v ^ 0x7e) is 0x22 exactly for '"' (0x22) and '\\' (0x5c = 0x22 ^
 * 0x7e). Adding 0x60 maps exactly 0x20-0x7e onto 0x80-0xde, the signed
 * bytes below -33, so one compare tests the range (the rest lands on
 * -33..127).
 */
WT_JSON_INLINE __m128i wt__json_plain16(__m128i v)
{
    __m128i qb =
        _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_xor_si128(v, _mm_set1_epi8(0x7e))), _mm_set1_epi8('"'));
    __m128i range = _mm_cmpgt_epi8(_mm_set1_epi8(-33), _mm_add_epi8(v, _mm_set1_epi8(0x60)));
    return _mm_andnot_si128(qb, range);
}

/* Both blocks all plain. */
WT_JSON_INLINE bool wt__json_plain2x16(__m128i a, __m128i b)
{
    return _mm_movemask_epi8(_mm_and_si128(wt__json_plain16(a), wt__json_plain16(b))) == 0xffff;
}
#endif

/* Length of the valid UTF-8 sequence at p (2-4), or 0 if it is not one. */
static inline size_t wt__utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;

    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    /* Overlongs, surrogates and > U+10FFFF are excluded by the second byte. */
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    }
    return n;
}

/*
 * Write the byte at *pp, which is not plain: '"' and '\\' escaped, a valid
 * UTF-8 sequence as it is, a broken one as U+FFFD, a control byte or DEL as
 * \u00XX. At most 6 bytes out per byte in. @returns the new output end.
 */
static inline char *wt__json_esc_one(char *o, const unsigned char **pp, const unsigned char *end)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = *pp;
    unsigned char c = *p;
    size_t k;

    if (wt__json_plain[c]) {
        *o++ = (char)c;
        k = 1;
    } else if (c == '"' || c == '\\') {
        *o++ = '\\';
        *o++ = (char)c;
        k = 1;
    } else if (c >= 0x80 && (k = wt__utf8_seq(p, end)) > 0) {
        memcpy(o, p, k);
        o += k;
    } else if (c >= 0x80) {
        memcpy(o, "\\ufffd", 6);
        o += 6;
        k = 1;
    } else {
        memcpy(o, "\\u00", 4);
        o[4] = hex[c >> 4];
        o[5] = hex[c & 15];
        o += 6;
        k = 1;
    }
    *pp = p + k;
    return o;
}

#endif /* WT_JSON_ESC_H */
