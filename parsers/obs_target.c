/*
 * obs_target.c - request targets split into scheme, host, port and rest:
 * the general split (the definition), the mask scan that split_fast()
 * (obs_int.h) falls back to, and the entry points.
 */
#include "obs_int.h"

#include <string.h>

/* A scheme longer than this is no scheme (keeps the look-ahead short). */
#define SCHEME_MAX 32

/* @returns the ':' of a leading "scheme://", or NULL when there is none. */
static const char *scheme_end(const char *p, const char *end)
{
    const char *lim = end - p > SCHEME_MAX ? p + SCHEME_MAX : end;

    if (p == end || !is_alpha((unsigned char)*p))
        return NULL;
    for (p++; p < lim; p++) {
        unsigned char c = (unsigned char)*p;
        if (!is_alpha(c) && !wt__is_digit(c) && c != '+' && c != '-' && c != '.')
            break;
    }
    if (end - p >= 3 && p[0] == ':' && p[1] == '/' && p[2] == '/')
        return p;
    return NULL;
}

/*
 * Split "scheme://[userinfo@]host[:port][/path?query#fragment]" or a bare
 * "host[:port]", "[v6][:port]" or "v6" (two or more colons, no port).
 * The userinfo is skipped. WT_EPARSE when there is no host. This is the
 * definition; split_fast() must give the same answer.
 */
int wt__split_target_general(struct wt_str t, struct wt__target *tg)
{
    const char *p = t.p, *end = t.p + t.len;
    const char *colon, *a, *at = NULL;

    memset(tg, 0, sizeof(*tg));
    if (t.len == 0)
        return WT_EPARSE;
    colon = scheme_end(p, end);
    if (colon) {
        tg->scheme = wt__str(p, colon);
        p = colon + 3;
    }
    a = p;
    p = wt__find3(p, end, '/', '?', '#');
    tg->rest = wt__str(p, end);
    /* A userinfo ends at the last '@' of the authority. */
    if ((at = memchr(a, '@', (size_t)(p - a))) != NULL) {
        const char *more;
        while ((more = memchr(at + 1, '@', (size_t)(p - at - 1))) != NULL)
            at = more;
        a = at + 1;
    }
    /* [a, p) is host[:port]. */
    if (a < p && *a == '[') {
        const char *rb = memchr(a, ']', (size_t)(p - a));
        if (!rb)
            return WT_EPARSE;
        tg->host = wt__str(a + 1, rb);
        tg->bracketed = true;
        if (rb + 1 < p) {
            if (rb[1] != ':')
                return WT_EPARSE;
            tg->port = wt__str(rb + 2, p);
        }
    } else if (a < p) {
        const char *c = memchr(a, ':', (size_t)(p - a));
        if (c && !memchr(c + 1, ':', (size_t)(p - c - 1))) {
            tg->host = wt__str(a, c);
            tg->port = wt__str(c + 1, p);
        } else {
            /* No colon, or an unbracketed IPv6 address: all host. */
            tg->host = wt__str(a, p);
        }
    }
    return tg->host.len ? 0 : WT_EPARSE;
}

#if defined(__SSE2__)
/*
 * scheme_end(p, end) == p + c, given that the first ':' is at c <= SCHEME_MAX
 * and "//" follows it. The schemes of proxy logs, in lower case, are known
 * scheme characters with a letter first, so they need no loop.
 */
static WT_ALWAYS_INLINE bool scheme_at(const char *p, const char *end, size_t c)
{
    if (c == 4 || c == 5 || c == 6) {
        const uint32_t w = word4(p);
        if ((c == 4 && w == word4("http")) || (c == 5 && w == word4("http") && p[4] == 's') ||
            (c == 6 && w == word4("tunn") && p[4] == 'e' && p[5] == 'l'))
            return true;
    }
    return scheme_end(p, end) == p + c;
}

/*
 * wt__split_target_general() with one pass of byte masks over the first 64
 * bytes instead of a scheme loop and several memchr() calls: bit i of colon,
 * at and term says byte i is ':', '@' or one of "/?#". The scan stops as soon
 * as the authority's end is known. A '[' host or an authority not ending in
 * the first 64 bytes is SPLIT_GENERAL. Out of line: split_fast() answers
 * the common shapes without it.
 */
__attribute__((noinline)) int wt__split_scan(struct wt_str t, struct wt__target *tg)
{
    const char *p = t.p;
    const size_t n = t.len;
    uint64_t colon = 0, at = 0, term = 0;
    size_t e = 0;        /* the masks cover bytes [0, e) */
    size_t a = SIZE_MAX; /* where the authority starts, once known */
    size_t end;          /* where it ends: the first of "/?#" from a, or n */

    if (n == 0)
        return WT_EPARSE;
    tg->scheme = WT_STR_NULL;
    for (;;) {
        if (e == 64)
            return SPLIT_GENERAL;
        size_t pos;
        const __m128i v = load_chunk(p, n, e, &pos);
        split_masks(v, pos, &colon, &at, &term);
        e = n - e < 16 ? n : e + 16;
        if (a == SIZE_MAX) {
            /* scheme_end() stops at the first byte that is no scheme byte, so
             * a "scheme://" ends at the first ':' of the target, at most
             * SCHEME_MAX bytes in. */
            if (colon) {
                const size_t c = (size_t)__builtin_ctzll(colon);
                if (c <= SCHEME_MAX && n - c >= 3 && p[c + 1] == '/' && p[c + 2] == '/' &&
                    scheme_at(p, p + n, c)) {
                    tg->scheme = wt__str(p, p + c);
                    a = c + 3;
                } else {
                    a = 0;
                }
            } else if (e > SCHEME_MAX || e == n) {
                a = 0; /* no ':' where a scheme could end */
            } else {
                continue;
            }
        }
        const uint64_t after = term >> a; /* a <= SCHEME_MAX + 3 */
        if (after) {
            end = a + (size_t)__builtin_ctzll(after);
            break;
        }
        if (e == n) {
            end = n;
            break;
        }
    }
    return split_authority(p, n, a, end, colon, at, tg);
}
#endif

int wt__split_target(struct wt_str t, struct wt__target *tg)
{
    return split_target(t, tg);
}

int wt_target_host(struct wt_str target, struct wt_str *host, struct wt_str *port)
{
    struct wt__target tg;
    int rc = split_target(target, &tg);
    if (rc != 0)
        return rc;
    *host = tg.host;
    *port = tg.port;
    return 0;
}
