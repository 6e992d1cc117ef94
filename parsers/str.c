/*
 * str.c - views, numbers, error strings and the record reset.
 */
#include "parsers_int.h"

#include <errno.h>
#include <string.h>

const char *wt_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case WT_EPARSE:
        return "malformed input";
    case WT_EAGAIN:
        return "need more input";
    case WT_EFULL:
        return "buffer or queue full";
    case WT_ETOOLONG:
        return "exceeds its length limit";
    case WT_ESKIP:
        return "no record (header or comment)";
    case WT_ECONFIG:
        return "invalid configuration";
    default:
        break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}

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
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (!wt__is_digit(c))
            return WT_EPARSE;
        uint64_t d = (uint64_t)(c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return WT_EPARSE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int wt_str_to_epoch_ms(struct wt_str s, int64_t *out_ms)
{
    const char *p = s.p, *end = s.p + s.len;
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
