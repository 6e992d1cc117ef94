/*
 * fields.c - the typed fields both line formats validate alike: status,
 * method and client address (the timestamp range is in parsers_int.h).
 * docs/events.md, "What each format accepts", is the table these follow.
 */
#include "parsers_int.h"

int wt__status_general(struct wt_str s, int *out)
{
    size_t i = 0;
    bool neg = false;
    unsigned v = 0;

    if (s.len == 1 && s.p[0] == '-') {
        *out = 0;
        return 0;
    }
    if (s.len && (s.p[0] == '-' || s.p[0] == '+')) {
        neg = s.p[0] == '-';
        i = 1;
    }
    if (i == s.len)
        return WT_EPARSE;
    for (; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
        if (d > 9)
            return WT_EPARSE;
        v = v * 10 + d;
        if (v > WT__STATUS_MAX)
            return WT_EPARSE; /* also bounds v: no overflow */
    }
    *out = neg ? -(int)v : (int)v;
    return 0;
}

/* tchar (RFC 9110 5.6.2): ALPHA DIGIT ! # $ % & ' * + - . ^ _ ` | ~ */
#define T2(c) [c] = 1
const unsigned char wt__tchar[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1, T2('!'), T2('#'), T2('$'),
    T2('%'),           T2('&'),           T2('\''),          T2('*'), T2('+'), T2('-'),
    T2('.'),           T2('^'),           T2('_'),           T2('`'), T2('|'), T2('~'),
};
#undef T2

static WT_ALWAYS_INLINE bool is_x(unsigned char c)
{
    return c == 'x' || c == 'X';
}

/* `10.xx.xx.xx`: four parts of 1-3 digits or 1-3 x, at least one of x. */
static bool masked_v4(struct wt_str c)
{
    const char *p = c.p, *end = c.p + c.len;
    unsigned parts = 0, masked = 0;

    while (parts < 4) {
        const char *a = p;
        bool x = p < end && is_x((unsigned char)*p);
        while (p < end && (x ? is_x((unsigned char)*p) : wt__is_digit((unsigned char)*p)))
            p++;
        if (p == a || p - a > 3)
            return false;
        masked += x;
        if (++parts < 4) {
            if (p == end || *p != '.')
                return false;
            p++;
        }
    }
    return p == end && masked > 0;
}

/* An IPv6 text with masked groups: hex digits, x, ':' and '.', two or more
 * colons, at least one x, at most 45 bytes (the longest address text). */
static bool masked_v6(struct wt_str c)
{
    unsigned colons = 0, xs = 0;

    if (c.len > 45)
        return false;
    for (size_t i = 0; i < c.len; i++) {
        unsigned char ch = (unsigned char)c.p[i];
        if (ch == ':')
            colons++;
        else if (is_x(ch))
            xs++;
        else if (!wt__is_hex(ch) && ch != '.')
            return false;
    }
    return colons >= 2 && xs > 0;
}

bool wt__client_masked(struct wt_str c)
{
    return masked_v4(c) || masked_v6(c);
}

bool wt__client_ok_general(struct wt_str c)
{
    if (c.len == 0)
        return true; /* absent */
    if (c.len <= 47 && wt__ip_ok(c))
        return true;
    return wt__client_masked(c);
}
