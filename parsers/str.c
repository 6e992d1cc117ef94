/*
 * str.c - views, numbers and the record reset.
 */
#include "parsers_int.h"

#include <errno.h>
#include <string.h>

bool wt_str_eq(struct wt_str a, const char *s)
{
    size_t n = strlen(s);
    return a.len == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

bool wt_str_ieq(struct wt_str a, const char *s)
{
    size_t n = strlen(s);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (wt__lower((unsigned char)a.p[i]) != wt__lower((unsigned char)s[i]))
            return false;
    }
    return true;
}

int wt_str_to_u64(struct wt_str s, uint64_t *out)
{
    uint64_t v = 0;
    if (s.len == 0 || s.len > 20)
        return WT_EPARSE;
    /* Up to 19 digits cannot overflow: no check per digit. */
    size_t safe = s.len < 19 ? s.len : 19, i = 0;
    for (; i < safe; i++) {
        unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
        if (d > 9)
            return WT_EPARSE;
        v = v * 10 + d;
    }
    if (i < s.len) {
        unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return WT_EPARSE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* The eight ASCII digits at p as a number, or -1 when one is not a digit. */
static int64_t digits8(const char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, hi = 0xF0F0F0F0F0F0F0F0ULL;
    uint64_t v;
    memcpy(&v, p, 8);
    /* A byte is a digit when its high nibble is 3 before and after adding 6
     * (a carry out of a byte >= 0xFA only spoils a byte that fails anyway). */
    if (((v & hi) | (((v + 6 * ones) & hi) >> 4)) != 0x33 * ones)
        return -1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Pairs, then fours, then all eight (p[0] is the low byte). */
    v -= 0x30 * ones;
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
        32;
    return (int64_t)v;
#else
    int64_t n = 0;
    for (int i = 0; i < 8; i++)
        n = n * 10 + (p[i] - '0');
    return n;
#endif
}

static inline unsigned dval(char c)
{
    return (unsigned)(unsigned char)c - '0';
}

int wt_str_to_epoch_ms(struct wt_str s, int64_t *out_ms)
{
    const char *p = s.p, *end = s.p + s.len;

    /* The usual shape, `1700000000.123`, without a loop. */
    if (s.len == 14 && p[10] == '.') {
        int64_t h = digits8(p);
        unsigned d8 = dval(p[8]), d9 = dval(p[9]), f0 = dval(p[11]), f1 = dval(p[12]),
                 f2 = dval(p[13]);
        if (h >= 0 && !((d8 > 9) | (d9 > 9) | (f0 > 9) | (f1 > 9) | (f2 > 9))) {
            *out_ms = (h * 100 + d8 * 10 + d9) * 1000 + f0 * 100 + f1 * 10 + f2;
            return 0;
        }
    }

    const char *dot = memchr(p, '.', s.len);
    uint64_t sec, ms = 0;
    struct wt_str whole = dot ? wt__str(p, dot) : s;

    /* Seconds: 1..12 digits keeps the product far from overflow. */
    if (whole.len > 12 || wt_str_to_u64(whole, &sec) != 0)
        return WT_EPARSE;
    if (dot) {
        const char *f = dot + 1;
        int scale = 100;
        if (f == end)
            return WT_EPARSE;
        for (; f < end; f++) {
            if (!wt__is_digit((unsigned char)*f))
                return WT_EPARSE;
            if (scale > 0) {
                ms += (uint64_t)(*f - '0') * (uint64_t)scale;
                scale /= 10;
            }
        }
    }
    *out_ms = (int64_t)(sec * 1000 + ms);
    return 0;
}

void wt_record_clear(struct wt_record *rec)
{
    /* Only the scalar head is reset; views are set by the parsers. */
    memset(rec, 0, offsetof(struct wt_record, vend));
    rec->nfield = 0;
    rec->elapsed_ms = -1;
    rec->bytes = -1;
}
