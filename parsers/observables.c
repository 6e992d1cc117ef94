/*
 * observables.c - extraction and normalisation of the observables of a line.
 *
 * The values threat responders pivot on (ip, ipv6, domain, url, sha256) are
 * taken from a parsed record, normalised to one canonical text form each and
 * written into the caller's scratch memory, or, when the line already has a
 * value in that form, kept as a view of the line. This runs once per log
 * line, so nothing here allocates, calls locale-dependent functions or scans
 * a field more often than needed.
 */
#include "parsers_int.h"

#include <arpa/inet.h>
#include <string.h>

/* Longest host name (RFC 1035) and label. */
#define DOMAIN_MAX 253
#define LABEL_MAX  63
/* A scheme longer than this is no scheme (keeps the look-ahead short). */
#define SCHEME_MAX 32

/* ------------------------------------------------------------------------ */
/* Types and sets                                                           */
/* ------------------------------------------------------------------------ */

const char *wt_obs_type_name(enum wt_obs_type t)
{
    static const char *const names[] = {"ip", "ipv6", "domain", "url", "sha256"};
    return t < WT_OBS_NTYPES ? names[t] : "unknown";
}

void wt_obs_set_init(struct wt_obs_set *os, char *scratch, size_t cap)
{
    memset(os, 0, sizeof(*os));
    os->scratch = scratch;
    os->scratch_cap = cap;
}

static bool is_alpha(unsigned char c)
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
 * memcpy() for the short values of this file without the library call: two
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
 * The byte classes of the fast paths below come from one SSE2 compare per
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

/* domain_fast() leaves the name to the general loop. */
#define DOMAIN_GENERAL 1

#if defined(__SSE2__)
/*
 * wt_norm_domain()'s answer for a name of len bytes (1..64) from its byte
 * classes m (no bits at or above len): its output length, WT_EPARSE, or
 * DOMAIN_GENERAL when a byte is none of letter, '_', digit, '-' and '.'.
 */
static WT_ALWAYS_INLINE int name_verdict(const struct name_masks *m, size_t len)
{
    const uint64_t all = below(len);
    if ((m->letter | m->digit | m->dash | m->dot) != all)
        return DOMAIN_GENERAL;
    const uint64_t dot = m->dot, dash = m->dash;
    const unsigned last = (unsigned)len - 1;
    const uint64_t trail = (dot >> last) & 1; /* a trailing dot is dropped */
    /* Empty labels; a '-' at a label's start or end. */
    if ((dot & 1) || (dot & (dot >> 1)) || (dash & ((dot << 1) | 1)) || (dash & (dot >> 1)) ||
        (dash >> last & 1))
        return WT_EPARSE;
    const uint64_t body = trail ? all >> 1 : all;
    const uint64_t inner = dot & body;
    if (!inner)
        return WT_EPARSE; /* one label */
    const unsigned ld = 63u - (unsigned)__builtin_clzll(inner);
    const uint64_t tld = ld == 63 ? 0 : body & ~((2ULL << ld) - 1);
    if (!((m->letter | dash) & tld))
        return WT_EPARSE; /* the last label is all digits */
    return (int)(len - (size_t)trail);
}
#endif

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

/* memchr(s.p, ':', s.len) != NULL, sixteen bytes at a time. */
static bool has_colon(struct wt_str s)
{
#if defined(__SSE2__)
    for (size_t i = 0; i < s.len; i += 16) {
        size_t pos;
        __m128i v = load_chunk(s.p, s.len, i, &pos);
        if (eq_mask(v, ':'))
            return true;
    }
    return false;
#else
    return s.len && memchr(s.p, ':', s.len) != NULL;
#endif
}

/* ------------------------------------------------------------------------ */
/* Request targets                                                          */
/* ------------------------------------------------------------------------ */

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

/* split_fast() leaves the target to the general split. */
#define SPLIT_GENERAL 1

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
#endif

#if defined(__SSE2__)
/* Or the bits of the ':', '@' and "/?#" lanes of v, whose lane 0 is byte pos,
 * into the masks of split_fast(). */
static WT_ALWAYS_INLINE void split_masks(__m128i v, size_t pos, uint64_t *colon, uint64_t *at,
                                         uint64_t *term)
{
    __m128i tv = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')), _mm_cmpeq_epi8(v, _mm_set1_epi8('?'))),
        _mm_cmpeq_epi8(v, _mm_set1_epi8('#')));
    *colon |= (uint64_t)eq_mask(v, ':') << pos;
    *at |= (uint64_t)eq_mask(v, '@') << pos;
    *term |= (uint64_t)(unsigned)_mm_movemask_epi8(tv) << pos;
}
#endif

#if defined(__SSE2__)
/*
 * The end of split_fast(): the authority is [a, end) and the masks cover it.
 * A userinfo ends at its last '@'; two or more colons after that make an
 * unbracketed v6 host, one splits off the port.
 */
static WT_ALWAYS_INLINE int split_authority(const char *p, size_t n, size_t a, size_t end,
                                            uint64_t colon, uint64_t at, struct wt__target *tg)
{
    tg->rest = wt__str(p + end, p + n);
    tg->port = WT_STR_NULL;
    tg->bracketed = false;
    const uint64_t auth = below(end) & ~below(a);
    size_t h = (at & auth) ? 64 - (size_t)__builtin_clzll(at & auth) : a;
    if (h < end && p[h] == '[')
        return SPLIT_GENERAL;
    /* [h, end) is host[:port]. */
    const uint64_t hc = colon & auth & ~below(h);
    if (hc && !(hc & (hc - 1))) {
        const size_t c = (size_t)__builtin_ctzll(hc);
        tg->host = wt__str(p + h, p + c);
        tg->port = wt__str(p + c + 1, p + end);
    } else {
        tg->host = wt__str(p + h, p + end);
    }
    return tg->host.len ? 0 : WT_EPARSE;
}

/*
 * wt__split_target_general() with one pass of byte masks over the first 64
 * bytes instead of a scheme loop and several memchr() calls: bit i of colon,
 * at and term says byte i is ':', '@' or one of "/?#". The scan stops as soon
 * as the authority's end is known. A '[' host or an authority not ending in
 * the first 64 bytes is SPLIT_GENERAL. Out of line: split_fast() answers
 * the common shapes without it.
 */
static __attribute__((noinline)) int split_scan(struct wt_str t, struct wt__target *tg)
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

/*
 * split_scan() for the targets of proxy logs: "http://", "https://" and
 * "tunnel://" written in lower case are known without masks, and the
 * authority mostly ends in the 32 bytes after them, which two loads inside
 * the target cover ([a, a + 32), or [a, n) with a last load that overlaps
 * the first, or a view shorter than 16). Anything else is split_scan()'s.
 */
static WT_ALWAYS_INLINE int split_fast(struct wt_str t, struct wt__target *tg)
{
#if defined(__SSE2__)
    const char *p = t.p;
    const size_t n = t.len;
    uint64_t colon = 0, at = 0, term = 0;
    size_t a = 0, e;

    if (n >= 10 && word4(p) == word4("http")) {
        if (p[4] == ':' && p[5] == '/' && p[6] == '/')
            a = 7;
        else if (word4(p + 4) == word4("s://"))
            a = 8;
    } else if (n >= 10 && word4(p) == word4("tunn") && word4(p + 4) == word4("el:/") &&
               p[8] == '/') {
        a = 9;
    }
    if (a == 0)
        return split_scan(t, tg);
    /* n > a: at least one byte after the scheme. */
    const size_t m = n - a;
    if (m >= 16) {
        const size_t second = m >= 32 ? a + 16 : n - 16;
        split_masks(_mm_loadu_si128((const __m128i *)(const void *)(p + a)), a, &colon, &at, &term);
        split_masks(_mm_loadu_si128((const __m128i *)(const void *)(p + second)), second, &colon,
                    &at, &term);
        e = m >= 32 ? a + 32 : n;
    } else {
        split_masks(load_short(p + a, m), a, &colon, &at, &term);
        e = n;
    }
    /* The bits below a (the scheme, or repeats of a last load) are not read. */
    const uint64_t after = term >> a;
    size_t end;
    if (after)
        end = a + (size_t)__builtin_ctzll(after);
    else if (e == n)
        end = n;
    else
        return split_scan(t, tg);
    tg->scheme = wt__str(p, p + a - 3);
    return split_authority(p, n, a, end, colon, at, tg);
#else
    (void)t;
    (void)tg;
    return SPLIT_GENERAL;
#endif
}

/* Inline: wt_obs_extract() splits two targets a line. */
static WT_ALWAYS_INLINE int split_target(struct wt_str t, struct wt__target *tg)
{
    int r = split_fast(t, tg);
    return r != SPLIT_GENERAL ? r : wt__split_target_general(t, tg);
}

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

/* A port: 1-5 digits, 1..65535. */
static WT_ALWAYS_INLINE int parse_port(struct wt_str s, unsigned *out)
{
    unsigned v = 0;
    if (s.len == 0 || s.len > 5)
        return WT_EPARSE;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (!wt__is_digit(c))
            return WT_EPARSE;
        v = v * 10 + (unsigned)(c - '0');
    }
    if (v == 0 || v > 65535)
        return WT_EPARSE;
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Normalisers                                                              */
/* ------------------------------------------------------------------------ */

/*
 * A dotted-quad IPv4 address as inet_pton(AF_INET) accepts it: four
 * decimal octets 0..255, no leading zeros. Such text is already canonical.
 * This is the definition; wt__ipv4_canonical() must give the same answer.
 */
bool wt__ipv4_canonical_general(const char *p, size_t n)
{
    const char *end = p + n;
    for (int octet = 0; octet < 4; octet++) {
        unsigned v = 0, digits = 0;
        if (octet) {
            if (p == end || *p != '.')
                return false;
            p++;
        }
        const char *start = p;
        while (p < end && wt__is_digit((unsigned char)*p) && digits < 4) {
            v = v * 10 + (unsigned)(*p - '0');
            digits++;
            p++;
        }
        if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && *start == '0'))
            return false;
    }
    return p == end;
}

/*
 * wt__ipv4_canonical_general() with masks of one 16-byte load: the same rules
 * as whole-text bit tests. Only 7..15 bytes can be a canonical quad.
 */
static WT_ALWAYS_INLINE bool ipv4_fast(const char *p, size_t n)
{
#if defined(__SSE2__)
    if (n < 7 || n > 15)
        return false;
    const __m128i v = load_short(p, n);
    const unsigned all = (1u << n) - 1;
    const unsigned digit = (unsigned)_mm_movemask_epi8(in_range(v, '0', '9'));
    const unsigned dot = eq_mask(v, '.');
    /* Only digits and dots; the zero lanes past n are neither. */
    if ((digit | dot) != all)
        return false;
    /* Exactly three dots: clearing the two lowest leaves one bit. */
    unsigned d = dot & (dot - 1);
    d &= d - 1;
    if (!d || (d & (d - 1)))
        return false;
    /* No empty octet: the first and last bytes and the neighbours of each
     * dot are digits (a last dot puts its right neighbour at bit n, never a
     * digit). */
    if (((dot << 1) | (dot >> 1) | 1u | 1u << (n - 1)) & ~digit)
        return false;
    /* So four octets of digits; at most three digits each. */
    if (digit & (digit >> 1) & (digit >> 2) & (digit >> 3))
        return false;
    /* No leading zero: an octet's first digit is '0' and a digit follows. */
    const unsigned first = 1u | dot << 1;
    if (eq_mask(v, '0') & first & (digit >> 1))
        return false;
    /* A three-digit octet is at most 255, compared as text with "255":
     * d0 > '2', or d0 == '2' and (d1 > '5', or d1 == '5' and d2 > '5'). */
    const unsigned three = first & (digit >> 1) & (digit >> 2);
    const unsigned gt2 = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_set1_epi8('2')));
    const unsigned gt5 = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_set1_epi8('5')));
    const unsigned over =
        gt2 | (eq_mask(v, '2') & ((gt5 >> 1) | ((eq_mask(v, '5') >> 1) & (gt5 >> 2))));
    return !(three & over);
#else
    return wt__ipv4_canonical_general(p, n);
#endif
}

bool wt__ipv4_canonical(const char *p, size_t n)
{
    return ipv4_fast(p, n);
}

/* inet_ntop's "%u.%u.%u.%u" without its sprintf. @returns the length (<= 15). */
static size_t put_dotted(char *out, const unsigned char b[4])
{
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (i)
            out[n++] = '.';
        if (v >= 100)
            out[n++] = (char)('0' + v / 100);
        if (v >= 10)
            out[n++] = (char)('0' + v / 10 % 10);
        out[n++] = (char)('0' + v % 10);
    }
    return n;
}

size_t wt__ipv6_text(const unsigned char bin[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    int best = -1, best_len = 0;
    size_t n = 0;

    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)bin[2 * i] << 8 | bin[2 * i + 1];
    /* The longest run of two or more zero words (the first of equals) is "::". */
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out[n++] = ':';
            if (i + best_len == 8)
                out[n++] = ':';
            i += best_len - 1;
            continue;
        }
        if (i)
            out[n++] = ':';
        /* An embedded IPv4 address, as glibc's inet_ntop writes it. */
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
            return n + put_dotted(out + n, bin + 12);
        }
        bool lead = true;
        for (int sh = 12; sh >= 0; sh -= 4) {
            unsigned d = (w[i] >> sh) & 0xf;
            if (d == 0 && lead && sh)
                continue;
            lead = false;
            out[n++] = hex[d];
        }
    }
    return n;
}

/* ip_fast() leaves the text to inet_pton. */
#define IP_GENERAL 1

/* No address ends like this text (every text ip_general() accepts ends in a
 * hex digit, '.', ':' or ']'), so a host name like "example.com" costs one
 * test. */
static WT_ALWAYS_INLINE bool ip_ruled_out(struct wt_str in)
{
    if (in.len == 0)
        return true;
    const unsigned char last = (unsigned char)in.p[in.len - 1];
    return !wt__is_hex(last) && last != '.' && last != ':' && last != ']';
}

/*
 * wt_norm_ip() for the texts that need no inet_pton: one ip_ruled_out(), and
 * an IPv4 address in canonical form, which is its own output. Inline, so
 * that take_ip() makes no call for them.
 */
static inline int ip_fast(struct wt_str in, char *out, size_t cap, enum wt_obs_type *type)
{
    if (ip_ruled_out(in))
        return WT_EPARSE;
    if (!ipv4_fast(in.p, in.len))
        return IP_GENERAL;
    if (in.len > cap)
        return WT_EFULL;
    copy_short(out, in.p, in.len);
    if (type)
        *type = WT_OBS_IP;
    return (int)in.len;
}

/* The value of a hex digit, or -1. */
static int hex_value(unsigned char c)
{
    if (wt__is_digit(c))
        return c - '0';
    c = (unsigned char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * inet_pton(AF_INET6) for the plain form only: groups of 1-4 hex digits split
 * by ':', at most one "::" (standing for one or more zero groups), no
 * embedded IPv4. @returns false for anything else, valid or not, and
 * inet_pton decides: so it accepts only what inet_pton accepts, with the
 * same 16 bytes (fuzz_observables compares wt_norm_ip with inet_pton).
 */
static bool ipv6_plain(const char *p, size_t n, unsigned char bin[16])
{
    unsigned w[8];
    int k = 0, gap = -1; /* groups read; how many came before the "::" */
    size_t i = 0;

    if (n < 2 || n > 39)
        return false;
    if (p[0] == ':') {
        if (p[1] != ':')
            return false;
        gap = 0;
        i = 2;
    }
    while (i < n) {
        unsigned v = 0, d = 0;
        int h;
        for (; i < n && d < 5 && (h = hex_value((unsigned char)p[i])) >= 0; i++, d++)
            v = v << 4 | (unsigned)h;
        if (d == 0 || d > 4 || k == 8)
            return false;
        w[k++] = v;
        if (i == n)
            break;
        if (p[i] != ':' || ++i == n)
            return false; /* a '.' (IPv4 tail), another byte or a last lone ':' */
        if (p[i] == ':') {
            if (gap >= 0)
                return false;
            gap = k;
            i++;
        }
    }
    /* Eight groups, or fewer and a "::" that stands for at least one. */
    if (gap < 0 ? k != 8 : k == 8)
        return false;
    memset(bin, 0, 16);
    for (int j = 0; j < k; j++) {
        const int at = gap >= 0 && j >= gap ? 8 - (k - j) : j;
        bin[2 * at] = (unsigned char)(w[j] >> 8);
        bin[2 * at + 1] = (unsigned char)w[j];
    }
    return true;
}

/*
 * An IPv6 address exactly as wt__ipv6_text() writes it, so its own normal
 * form (lower-case hex, no leading zeros, "::" for the first longest zero
 * run, no dotted IPv4 tail): by definition, parsed and written again. False
 * for anything else, valid or not: then ip_general() decides
 * (fuzz_observables compares the two).
 */
static bool ipv6_canonical(const char *p, size_t n)
{
    unsigned char bin[16];
    char txt[INET6_ADDRSTRLEN];
    return ipv6_plain(p, n, bin) && wt__ipv6_text(bin, txt) == n && memcmp(txt, p, n) == 0;
}

bool wt__ipv6_canonical(const char *p, size_t n)
{
    return ipv6_canonical(p, n);
}

/* wt_norm_ip() by inet_pton and an inet_ntop-equal writer. */
static int ip_general(struct wt_str in, char *out, size_t cap, enum wt_obs_type *type)
{
    /* inet_pton needs a NUL-terminated copy; a longer text is no address. */
    char buf[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    const char *p = in.p;
    size_t n = in.len;
    bool v6 = false, bracketed = false;

    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
        bracketed = true;
    }
    if (n == 0 || n >= sizeof(buf))
        return WT_EPARSE;
    if (ipv6_plain(p, n, bin)) {
        v6 = true; /* as the loop below finds; inet_pton gives the same bytes */
    } else {
        /* Copy and reject early what inet_pton would (masks like 10.xx.xx.xx, NULs). */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c == ':')
                v6 = true;
            else if (!wt__is_hex(c) && c != '.')
                return WT_EPARSE;
            buf[i] = (char)c;
        }
        buf[n] = '\0';
        /* Brackets are IPv6 syntax only. */
        if (bracketed && !v6)
            return WT_EPARSE;
        int af = v6 ? AF_INET6 : AF_INET;
        if (inet_pton(af, buf, bin) != 1)
            return WT_EPARSE;
    }
    size_t len;
    if (v6) {
        len = wt__ipv6_text(bin, buf);
    } else {
        len = put_dotted(buf, bin);
    }
    if (len > cap)
        return WT_EFULL;
    memcpy(out, buf, len);
    if (type)
        *type = v6 ? WT_OBS_IPV6 : WT_OBS_IP;
    return (int)len;
}

bool wt__ip_ok(struct wt_str in)
{
    const char *p = in.p;
    size_t n = in.len;
    unsigned char bin[16];
    char txt[INET6_ADDRSTRLEN];
    enum wt_obs_type t;

    if (ip_ruled_out(in))
        return false;
    if (ipv4_fast(p, n))
        return true;
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
    }
    /* A plain IPv6 text without writing it back; the rest as wt_norm_ip(). */
    if (n > 0 && n < INET6_ADDRSTRLEN && ipv6_plain(p, n, bin))
        return true;
    return ip_general(in, txt, sizeof(txt), &t) >= 0;
}

/*
 * The parsers' client check: wt__client_ok_general() (an address that
 * wt_norm_ip() takes, or a masked one), but one pass that also tells
 * wt_obs_extract() what it found, so that it does not parse the text again.
 */
int wt__client_kind(struct wt_str c, unsigned char bin[16])
{
    if (ipv4_fast(c.p, c.len))
        return WT_CLIENT_IPV4;
    if (!ip_ruled_out(c)) {
        if (ipv6_plain(c.p, c.len, bin))
            return WT_CLIENT_IPV6;
        if (c.len <= 47 && wt__ip_ok(c))
            return WT_CLIENT_IP;
    }
    return wt__client_masked(c) ? WT_CLIENT_MASKED : WT_EPARSE;
}

bool wt__client_ok(struct wt_str c)
{
    unsigned char bin[16];
    return c.len == 0 || wt__client_kind(c, bin) >= 0;
}

int wt_norm_ip(struct wt_str in, char *out, size_t cap, enum wt_obs_type *type)
{
    int r = ip_fast(in, out, cap, type);
    return r != IP_GENERAL ? r : ip_general(in, out, cap, type);
}

/*
 * The checks of domain_fast() for a name of at most 64 bytes of letters,
 * digits, '-' and '.': its output length, WT_EPARSE or DOMAIN_GENERAL (a
 * port, any other byte or a longer name). The lower-cased chunks are stored
 * at lc + their offset (up to 64 bytes from lc) unless lc is NULL; *upper
 * says whether the name has an upper-case letter.
 */
static WT_ALWAYS_INLINE int domain_scan(struct wt_str in, char *lc, bool *upper)
{
#if defined(__SSE2__)
    struct name_masks m = {0, 0, 0, 0, 0};
    const size_t len = in.len;

    if (len == 0 || len > 64)
        return DOMAIN_GENERAL;
    for (size_t i = 0; i < len; i += 16) {
        size_t pos;
        __m128i v = load_chunk(in.p, len, i, &pos);
        __m128i u = name_masks_add(&m, v, pos);
        /* Lower-case: add 0x20 to A-Z. */
        if (lc)
            _mm_storeu_si128((__m128i *)(void *)(lc + pos),
                             _mm_add_epi8(v, _mm_and_si128(u, _mm_set1_epi8(0x20))));
    }
    *upper = m.upper != 0;
    return name_verdict(&m, len);
#else
    (void)in;
    (void)lc;
    *upper = true;
    return DOMAIN_GENERAL;
#endif
}

/*
 * wt_norm_domain() for a name of at most 64 bytes of letters, digits, '-'
 * and '.' (nearly every name), with bit masks instead of a loop: the same
 * answer and the same bytes written. A port, any other byte or a longer
 * name is DOMAIN_GENERAL (fuzz_observables compares the two).
 */
static inline int domain_fast(struct wt_str in, char *out, size_t cap)
{
    char buf[64];
    bool upper;
    /* The lower-cased chunks go straight to out when it has room for every
     * store (at most 64 bytes from its start), else through buf. */
    char *const lc = cap >= sizeof(buf) ? out : buf;
    const int r = domain_scan(in, lc, &upper);

    if (r < 0 || r == DOMAIN_GENERAL)
        return r;
    const size_t n = (size_t)r;
    if (lc == buf)
        copy_short(out, buf, n < cap ? n : cap);
    return n > cap ? WT_EFULL : r;
}

/*
 * A name that wt_norm_domain() accepts and leaves as it is (no upper case,
 * no trailing dot): its normal form is the text itself, so the set keeps a
 * view of it. False for anything else, valid or not.
 */
static WT_ALWAYS_INLINE bool domain_canonical(struct wt_str in)
{
#if defined(__SSE2__)
    const size_t len = in.len;
    if (len == 0 || len > 32) {
        bool upper = true;
        const int r = domain_scan(in, NULL, &upper);
        return r > 0 && r != DOMAIN_GENERAL && (size_t)r == len && !upper;
    }
    /* Up to 32 bytes: one or two loads inside the name (the second overlaps
     * the first), the classes of a canonical name only: a-z, '_', 0-9, '.', '-'. */
    __m128i v[2];
    size_t pos1 = 0;
    v[0] = len >= 16 ? _mm_loadu_si128((const __m128i *)(const void *)in.p) : load_short(in.p, len);
    if (len > 16) {
        pos1 = len - 16;
        v[1] = _mm_loadu_si128((const __m128i *)(const void *)(in.p + pos1));
    }
    uint64_t ok = 0, digit = 0, dot = 0, dash = 0;
    for (int i = 0; i < (len > 16 ? 2 : 1); i++) {
        const size_t pos = i ? pos1 : 0;
        const __m128i d = in_range(v[i], '0', '9'), t = _mm_cmpeq_epi8(v[i], _mm_set1_epi8('.')),
                      h = _mm_cmpeq_epi8(v[i], _mm_set1_epi8('-'));
        const __m128i k = _mm_or_si128(
            _mm_or_si128(_mm_or_si128(in_range(v[i], 'a', 'z'), d), _mm_or_si128(t, h)),
            _mm_cmpeq_epi8(v[i], _mm_set1_epi8('_')));
        ok |= (uint64_t)(unsigned)_mm_movemask_epi8(k) << pos;
        digit |= (uint64_t)(unsigned)_mm_movemask_epi8(d) << pos;
        dot |= (uint64_t)(unsigned)_mm_movemask_epi8(t) << pos;
        dash |= (uint64_t)(unsigned)_mm_movemask_epi8(h) << pos;
    }
    const uint64_t all = below(len);
    const unsigned last = (unsigned)len - 1;
    /* name_verdict() for such a name, without a trailing dot (no label can
     * be longer than 63 bytes here). */
    if (ok != all || (dot >> last & 1) || !dot || (dot & 1) || (dot & (dot >> 1)) ||
        (dash & ((dot << 1) | 1)) || (dash & (dot >> 1)) || (dash >> last & 1))
        return false;
    const unsigned ld = 63u - (unsigned)__builtin_clzll(dot);
    const uint64_t tld = all & ~((2ULL << ld) - 1);
    return (tld & ~digit) != 0; /* the last label is not all digits */
#else
    (void)in;
    return false;
#endif
}

bool wt__domain_canonical(struct wt_str in)
{
    return domain_canonical(in);
}

int wt_norm_domain(struct wt_str in, char *out, size_t cap)
{
    int r = domain_fast(in, out, cap);
    return r != DOMAIN_GENERAL ? r : wt__norm_domain_general(in, out, cap);
}

/*
 * One pass: validate, lower-case into out while it fits, and strip a trailing
 * dot and a ":port". Validity never depends on cap: an invalid name is
 * WT_EPARSE whatever the room, WT_EFULL means valid but too long for out.
 */
int wt__norm_domain_general(struct wt_str in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in.p;
    const unsigned char *end = p + in.len;
    size_t n = 0;            /* output bytes, trailing dot included */
    size_t label = 0;        /* bytes of the current label */
    unsigned labels = 0;     /* labels closed by a dot */
    bool digits = true;      /* the current label is all digits so far */
    bool last_digits = true; /* the label closed by the last dot was */
    unsigned char prev = '.';

    for (; p < end; p++) {
        unsigned char c = *p;
        if (c == '.') {
            if (label == 0 || prev == '-')
                return WT_EPARSE;
            labels++;
            label = 0;
            last_digits = digits;
            digits = true;
        } else {
            if (is_alpha(c)) {
                c = wt__lower(c);
                digits = false;
            } else if (c == '_') {
                digits = false; /* anywhere in a label (`_dmarc`, `test_web`) */
            } else if (c == '-') {
                if (label == 0)
                    return WT_EPARSE;
                digits = false;
            } else if (c == ':') {
                break;
            } else if (!wt__is_digit(c)) {
                return WT_EPARSE; /* '[', '~', space, non-ASCII, ... */
            }
            if (++label > LABEL_MAX)
                return WT_EPARSE;
        }
        /* 253 bytes plus a trailing dot at most. */
        if (n > DOMAIN_MAX)
            return WT_EPARSE;
        if (n < cap)
            out[n] = (char)c;
        n++;
        prev = c;
    }
    if (p < end) {
        unsigned port;
        if (parse_port(wt__str((const char *)p + 1, in.p + in.len), &port) != 0)
            return WT_EPARSE;
    }
    if (n == 0)
        return WT_EPARSE;
    if (prev == '.') {
        n--; /* trailing dot: its label was checked and counted at the dot */
        digits = last_digits;
    } else {
        if (prev == '-')
            return WT_EPARSE;
        labels++;
    }
    if (labels < 2 || digits || n > DOMAIN_MAX)
        return WT_EPARSE;
    if (n > cap)
        return WT_EFULL;
    return (int)n;
}

int wt_norm_sha256(struct wt_str in, char *out, size_t cap)
{
    if (in.len != 64)
        return WT_EPARSE;
#if defined(__SSE2__)
    /* Four chunks of 16: every byte a hex digit; A-F lower-cased by 0x20. */
    __m128i v[4];
    unsigned hex = 0xffff;
    for (int i = 0; i < 4; i++) {
        v[i] = _mm_loadu_si128((const __m128i *)(const void *)(in.p + 16 * i));
        __m128i up = in_range(v[i], 'A', 'F');
        __m128i ok =
            _mm_or_si128(_mm_or_si128(in_range(v[i], '0', '9'), in_range(v[i], 'a', 'f')), up);
        hex &= (unsigned)_mm_movemask_epi8(ok);
        v[i] = _mm_add_epi8(v[i], _mm_and_si128(up, _mm_set1_epi8(0x20)));
    }
    if (hex != 0xffff)
        return WT_EPARSE;
    if (cap < 64)
        return WT_EFULL;
    for (int i = 0; i < 4; i++)
        _mm_storeu_si128((__m128i *)(void *)(out + 16 * i), v[i]);
    return 64;
#else
    for (size_t i = 0; i < 64; i++) {
        unsigned char c = (unsigned char)in.p[i];
        if (!wt__is_hex(c))
            return WT_EPARSE;
        if (cap >= 64)
            out[i] = (char)wt__lower(c);
    }
    return cap >= 64 ? 64 : WT_EFULL;
#endif
}

/*
 * A URL or target host (without brackets) -> an IP address (type ip/ipv6)
 * or a domain (type domain). A bracketed host must be IPv6.
 */
/* Forced inline (here and take_ip): called once or twice a line, their call
 * (saving registers, passing views) costs as much as their work. */
static WT_ALWAYS_INLINE int norm_host(struct wt_str host, bool bracketed, char *out, size_t cap,
                                      enum wt_obs_type *type)
{
    int r;

    /* Below, a host without brackets, ':' or a last digit gets the answer of
     * wt_norm_domain(). domain_fast() answers only for hosts of letters,
     * digits, '-' and '.', so when it answers that is the answer: names are
     * done without the ':' scan. */
    if (!bracketed && !wt__is_digit((unsigned char)host.p[host.len - 1])) {
        r = domain_fast(host, out, cap);
        if (r != DOMAIN_GENERAL) {
            *type = WT_OBS_DOMAIN;
            return r;
        }
    }

    if (bracketed || has_colon(host)) {
        r = wt_norm_ip(host, out, cap, type);
        return (r >= 0 && *type != WT_OBS_IPV6) ? WT_EPARSE : r;
    }
    /* An address ends in a digit; a name may too ("a1.example"). */
    if (wt__is_digit((unsigned char)host.p[host.len - 1])) {
        r = wt_norm_ip(host, out, cap, type);
        if (r != WT_EPARSE)
            return r;
    }
    *type = WT_OBS_DOMAIN;
    return wt_norm_domain(host, out, cap);
}

/* A byte of an RFC 3986 reg-name besides pct-encoded: unreserved, sub-delims. */
static bool regname_byte(unsigned char c)
{
    if (is_alpha(c) || wt__is_digit(c))
        return true;
    switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
        return true;
    default:
        return false;
    }
}

/*
 * A URL host that is neither an address nor a domain but an RFC 3986
 * reg-name (unreserved, sub-delims and %HH; `intranet`, `a~b.example`):
 * written lower-case, the hex digits of a %HH upper-case (RFC 3986
 * 6.2.2.1). Its url is an observable; the name is none. @returns the
 * length, WT_EPARSE or WT_EFULL. Not taken: a name longer than DOMAIN_MAX
 * (no resolver takes it), and a name whose last label is all digits
 * (`999.1.1.1`, `10.1.1`: an address gone wrong, as the WHATWG URL
 * standard's "ends in a number" rule has it).
 */
static int norm_regname(struct wt_str in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in.p;

    if (in.len == 0 || in.len > DOMAIN_MAX)
        return WT_EPARSE;
    {
        size_t e = in.len - (p[in.len - 1] == '.'), b = e;
        while (b > 0 && wt__is_digit(p[b - 1]))
            b--;
        if (b < e && (b == 0 || p[b - 1] == '.'))
            return WT_EPARSE;
    }
    for (size_t i = 0; i < in.len; i++) {
        if (p[i] == '%') {
            if (in.len - i < 3 || !wt__is_hex(p[i + 1]) || !wt__is_hex(p[i + 2]))
                return WT_EPARSE;
            i += 2;
        } else if (!regname_byte(p[i])) {
            return WT_EPARSE;
        }
    }
    if (in.len > cap)
        return WT_EFULL;
    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = p[i];
        if (c == '%') {
            out[i] = '%';
            for (int k = 1; k <= 2; k++) {
                c = p[i + (size_t)k];
                out[i + (size_t)k] = (char)(c >= 'a' && c <= 'f' ? c - 0x20 : c);
            }
            i += 2;
            continue;
        }
        out[i] = (char)wt__lower(c);
    }
    return (int)in.len;
}

/* Host types of a url's host beyond the observable ones: a reg-name. */
#define HOST_REGNAME WT_OBS_NTYPES

/* The URL schemes that make a url observable. */
struct url_scheme {
    const char *prefix; /* the scheme and "://", as written */
    size_t len;         /* of prefix */
    unsigned port;      /* default */
};

/* The scheme of s, compared as wt_str_ieq() does (ASCII case ignored). */
static WT_ALWAYS_INLINE const struct url_scheme *url_scheme(struct wt_str s)
{
    static const struct url_scheme http = {"http://", 7, 80}, https = {"https://", 8, 443},
                                   ftp = {"ftp://", 6, 21};

    /* For a lower-case letter x, (c | 0x20) == x holds for c == x and for
     * c == x - 0x20 (its upper case) only: exactly wt__lower(c) == x. */
    if ((s.len == 4 || s.len == 5) && (word4(s.p) | 0x20202020u) == word4("http")) {
        if (s.len == 4)
            return &http;
        return (s.p[4] | 0x20) == 's' ? &https : NULL;
    }
    return s.len == 3 && wt_str_ieq(s, "ftp") ? &ftp : NULL;
}

/*
 * Check the scheme and port of a split URL. *port is 0 when the URL keeps no
 * port (absent, empty or the scheme's default).
 */
static WT_ALWAYS_INLINE const struct url_scheme *url_check(const struct wt__target *tg,
                                                           unsigned *port)
{
    const struct url_scheme *sc = url_scheme(tg->scheme);

    *port = 0;
    if (!sc)
        return NULL;
    if (tg->port.len && parse_port(tg->port, port) != 0)
        return NULL;
    if (*port == sc->port)
        *port = 0;
    return sc;
}

/* Bounded output: once a put does not fit, len stays past cap. */
struct wbuf {
    char *p;
    size_t cap;
    size_t len;
};

static void put(struct wbuf *w, const char *s, size_t n)
{
    if (w->len <= w->cap && n <= w->cap - w->len)
        memcpy(w->p + w->len, s, n);
    w->len += n;
}

/* put() for the scheme prefix and the host: mostly 32 bytes or fewer. */
static void put_short(struct wbuf *w, const char *s, size_t n)
{
    if (w->len <= w->cap && n <= w->cap - w->len)
        copy_short(w->p + w->len, s, n);
    w->len += n;
}

/*
 * Write the normalised URL: scheme://host[:port]path[?query]. host is the
 * normalised host; the path and query are copied byte-exact from tg->rest,
 * the fragment is dropped, and an empty path becomes "/".
 */
static int url_build(const struct wt__target *tg, const struct url_scheme *sc, unsigned port,
                     struct wt_str host, enum wt_obs_type htype, bool strip_query, char *out,
                     size_t cap)
{
    struct wbuf w = {out, cap, 0};
    const char *p = tg->rest.p, *end = tg->rest.p + tg->rest.len;
    const char *q;

    put_short(&w, sc->prefix, sc->len);
    if (htype == WT_OBS_IPV6) {
        put(&w, "[", 1);
        put(&w, host.p, host.len);
        put(&w, "]", 1);
    } else {
        put_short(&w, host.p, host.len);
    }
    if (port) {
        char num[6];
        size_t i = sizeof(num);
        num[--i] = (char)('0' + port % 10);
        while ((port /= 10) > 0)
            num[--i] = (char)('0' + port % 10);
        num[--i] = ':';
        put(&w, num + i, sizeof(num) - i);
    }
    q = find2(p, (size_t)(end - p), '?', '#');
    if (q == p)
        put(&w, "/", 1);
    else
        put(&w, p, (size_t)(q - p));
    if (q < end && *q == '?') {
        p = q;
        q = find2(q + 1, (size_t)(end - q - 1), '#', '#');
        if (!strip_query)
            put(&w, p, (size_t)(q - p));
    }
    if (w.len > cap)
        return WT_EFULL;
    return (int)w.len;
}

int wt_norm_url(struct wt_str in, bool strip_query, char *out, size_t cap)
{
    char host[DOMAIN_MAX + 1];
    struct wt__target tg;
    enum wt_obs_type htype;
    unsigned port;
    const struct url_scheme *sc;

    if (split_target(in, &tg) != 0)
        return WT_EPARSE;
    sc = url_check(&tg, &port);
    if (!sc)
        return WT_EPARSE;
    int h = norm_host(tg.host, tg.bracketed, host, sizeof(host), &htype);
    if (h < 0 && !tg.bracketed) {
        h = norm_regname(tg.host, host, sizeof(host));
        htype = HOST_REGNAME;
    }
    if (h < 0)
        return WT_EPARSE; /* host always fits: a domain, an address or a reg-name */
    return url_build(&tg, sc, port, (struct wt_str){host, (size_t)h}, htype, strip_query, out, cap);
}

/* ------------------------------------------------------------------------ */
/* Extraction                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Values in canonical form in the line (a dotted quad without leading zeros,
 * a lower-case name without a trailing dot, a URL that needs no change) are
 * kept as views of the line: they need no copy and no scratch, and live as
 * long as the record's own views. Every other value is normalised into
 * scratch.
 */

/* The value the set has with type t and the bytes of v, or NULL. */
static WT_ALWAYS_INLINE const struct wt_obs *find_item(const struct wt_obs_set *os,
                                                       enum wt_obs_type t, struct wt_str v)
{
    for (unsigned i = 0; i < os->n; i++) {
        if (os->item[i].type == t && str_same(os->item[i].value, v))
            return &os->item[i];
    }
    return NULL;
}

/* Append a new item (the caller knows the set does not have it). */
static WT_ALWAYS_INLINE void push_item(struct wt_obs_set *os, enum wt_obs_type t, struct wt_str v)
{
    /* At most 6 items can be distinct (client, server, s-ip, destination,
     * url, hash: the server and the destination are each an ip or a domain). */
    if (os->n < WT_OBS_MAX)
        os->item[os->n++] = (struct wt_obs){t, v};
}

/*
 * Add the n bytes at v as an item of type t, unless the set has it already;
 * *kept is the view the set keeps. Values are normalised in place at the end
 * of scratch when it has the room (value_dst(); the url always), else on the
 * stack, and only new ones are kept, so WT_EFULL means the list does not fit,
 * never that a duplicate did not.
 */
static WT_ALWAYS_INLINE int add_item(struct wt_obs_set *os, enum wt_obs_type t, const char *v,
                                     size_t n, struct wt_str *kept)
{
    char *dst = os->scratch + os->scratch_used;
    const struct wt_obs *had = find_item(os, t, (struct wt_str){v, n});

    if (had) {
        *kept = had->value;
        return 0;
    }
    if (n > os->scratch_cap - os->scratch_used)
        return WT_EFULL;
    if (v != dst)
        copy_short(dst, v, n);
    os->scratch_used += n;
    *kept = (struct wt_str){dst, n};
    push_item(os, t, *kept);
    return 0;
}

/* add_item() for a value that is canonical where it is (a view of the line):
 * no copy, no scratch, so it always fits. */
static WT_ALWAYS_INLINE void add_view(struct wt_obs_set *os, enum wt_obs_type t, struct wt_str v,
                                      struct wt_str *kept)
{
    const struct wt_obs *had = find_item(os, t, v);

    if (had) {
        *kept = had->value;
        return;
    }
    *kept = v;
    push_item(os, t, v);
}

/*
 * Where to normalise a value of at most max bytes: at the end of scratch when
 * that has the room, so add_item() need not copy a new value (a duplicate
 * leaves scratch_used as it was), else buf. Either way the normaliser gets
 * the same cap, max.
 */
static WT_ALWAYS_INLINE char *value_dst(struct wt_obs_set *os, char *buf, size_t max)
{
    return os->scratch_cap - os->scratch_used >= max ? os->scratch + os->scratch_used : buf;
}

/*
 * The split of a host that split_target() returned without brackets: it has
 * no '/', '?', '#' or '@', does not start with '[' and has no single ':', so
 * split_target() would find no scheme and no port in it either. A canonical
 * dotted quad (digits and dots only) is such a host too.
 */
static WT_ALWAYS_INLINE struct wt__target host_target(struct wt_str host)
{
    return (struct wt__target){.host = host, .rest = {host.p + host.len, 0}};
}

/* Normalise an address and add it. WT_EPARSE: not an address. */
static WT_ALWAYS_INLINE int take_ip(struct wt_obs_set *os, struct wt_str in, struct wt_str *kept)
{
    if (ip_ruled_out(in))
        return WT_EPARSE;
    /* The text of an address the set has (a server or s-ip equal to the
     * client or server): a normal form, whose normal form is itself. */
    for (unsigned i = 0; i < os->n; i++) {
        if (os->item[i].type <= WT_OBS_IPV6 && str_same(os->item[i].value, in)) {
            *kept = os->item[i].value;
            return 0;
        }
    }
    /* A canonical dotted quad is its own normal form (ip_fast() copies it),
     * and so is a canonical IPv6 text. */
    if (ipv4_fast(in.p, in.len)) {
        *kept = in; /* new: the set has no address with these bytes */
        push_item(os, WT_OBS_IP, in);
        return 0;
    }
    if (ipv6_canonical(in.p, in.len)) {
        *kept = in;
        push_item(os, WT_OBS_IPV6, in);
        return 0;
    }
    char buf[INET6_ADDRSTRLEN];
    char *dst = value_dst(os, buf, sizeof(buf));
    enum wt_obs_type t;
    int r = ip_general(in, dst, sizeof(buf), &t);
    if (r < 0)
        return r;
    return add_item(os, t, dst, (size_t)r, kept);
}

/*
 * take_ip() for the client, the first item of the set, by what the parser
 * found it to be (rec->client_kind): the same outcome without a second look
 * at the text (fuzz_squid and fuzz_w3c compare with an UNCHECKED client).
 */
static WT_ALWAYS_INLINE int take_client(struct wt_obs_set *os, const struct wt_record *rec)
{
    const struct wt_str in = rec->client;

    switch (rec->client_kind) {
    case WT_CLIENT_IPV4:
        os->client_ip = in;
        push_item(os, WT_OBS_IP, in);
        return 0;
    case WT_CLIENT_IPV6: {
        char buf[INET6_ADDRSTRLEN];
        char *dst = value_dst(os, buf, sizeof(buf));
        size_t n = wt__ipv6_text(rec->client_bin, dst);
        if (n == in.len && memcmp(dst, in.p, n) == 0) {
            os->client_ip = in; /* canonical: a view of the line */
            push_item(os, WT_OBS_IPV6, in);
            return 0;
        }
        return add_item(os, WT_OBS_IPV6, dst, n, &os->client_ip);
    }
    case WT_CLIENT_MASKED:
        return WT_EPARSE;
    default:
        return take_ip(os, in, &os->client_ip);
    }
}

/*
 * A target host (without brackets) whose normal form is its own text:
 * a canonical dotted quad (*type ip) or a canonical name (*type domain),
 * the answer norm_host() gives for it. False for any other host.
 */
static WT_ALWAYS_INLINE bool host_canonical(struct wt_str host, enum wt_obs_type *type)
{
    if (wt__is_digit((unsigned char)host.p[host.len - 1])) {
        *type = WT_OBS_IP;
        return ipv4_fast(host.p, host.len);
    }
    *type = WT_OBS_DOMAIN;
    return domain_canonical(host);
}

/*
 * A scheme that url_scheme() matched (http, https or ftp in any case) is
 * written in lower case: each of its letters has bit 0x20. For "ftp" the
 * fourth byte is the ':' of "://", which has that bit too.
 */
static WT_ALWAYS_INLINE bool scheme_lower(struct wt_str scheme)
{
    return (word4(scheme.p) & 0x20202020u) == 0x20202020u &&
           (scheme.len < 5 || (scheme.p[4] & 0x20));
}

/*
 * url_build() for the common shape, from the bytes of the line: a lower-case
 * scheme, no userinfo, a host in normal form (dest has its bytes, not an
 * IPv6 address), no port or the scheme's default, and a path. Then the URL
 * is the line up to the host's end (*head), then rest up to the fragment, or
 * with strip_query up to the query (*tail). False for any other shape.
 */
static WT_ALWAYS_INLINE bool url_in_line(struct wt_str url, const struct wt__target *tg,
                                         const struct url_scheme *sc, unsigned port,
                                         struct wt_str dest, enum wt_obs_type dtype,
                                         bool strip_query, struct wt_str *head, struct wt_str *tail)
{
    const char *rest = tg->rest.p;

    if (port || dtype == WT_OBS_IPV6 || tg->bracketed || tg->host.p != url.p + sc->len ||
        tg->rest.len == 0 || rest[0] != '/' || !scheme_lower(tg->scheme))
        return false;
    /* dest is mostly the host itself, kept as a view. */
    if (!(dest.p == tg->host.p && dest.len == tg->host.len) && !str_same(dest, tg->host))
        return false;
    *head = wt__str(url.p, tg->host.p + tg->host.len);
    /* Two calls, so each scan has its bytes as constants. */
    const char *stop =
        strip_query ? find2(rest, tg->rest.len, '#', '?') : find2(rest, tg->rest.len, '#', '#');
    *tail = wt__str(rest, stop);
    return true;
}

/* The url of the line (dest is its normalised host), added. WT_EFULL when it
 * does not fit. A url is never a duplicate. */
static WT_ALWAYS_INLINE int take_url(struct wt_obs_set *os, struct wt_str url,
                                     const struct wt__target *tg, const struct url_scheme *sc,
                                     unsigned port, struct wt_str dest, enum wt_obs_type dtype,
                                     bool strip_query)
{
    char *dst = os->scratch + os->scratch_used;
    const size_t room = os->scratch_cap - os->scratch_used;
    struct wt_str head, tail;
    int r;

    if (url_in_line(url, tg, sc, port, dest, dtype, strip_query, &head, &tail)) {
        if (head.p + head.len == tail.p) {
            /* Nothing dropped between host and path: all one view. */
            os->url = (struct wt_str){head.p, head.len + tail.len};
            push_item(os, WT_OBS_URL, os->url);
            return 0;
        }
        if (head.len + tail.len > room)
            return WT_EFULL;
        copy_short(dst, head.p, head.len);
        copy_short(dst + head.len, tail.p, tail.len);
        r = (int)(head.len + tail.len);
    } else {
        /* Built in place at the end of scratch. */
        r = url_build(tg, sc, port, dest, dtype, strip_query, dst, room);
        if (r < 0)
            return WT_EFULL;
    }
    os->scratch_used += (size_t)r;
    os->url = (struct wt_str){dst, (size_t)r};
    push_item(os, WT_OBS_URL, os->url);
    return 0;
}

/* Built for the baseline and for x86-64-v3 (WT_CLONES_V3), like the squid
 * fast path; its helpers are forced inline to be in both. */
WT_CLONES_V3 int wt_obs_extract(const struct wt_record *rec, const struct wt_obs_opts *opts,
                                struct wt_obs_set *os)
{
    const bool strip_query = opts && opts->strip_query;
    struct wt_str shost = WT_STR_NULL, sip;
    struct wt_str dest = WT_STR_NULL; /* normalised destination host */
    enum wt_obs_type dtype = WT_OBS_DOMAIN;
    bool server_is_ip = false, server_v4 = false, have_tg, same_host = false;
    struct wt__target stg, tg; /* tg is read only when have_tg */
    char buf[DOMAIN_MAX + 1];  /* a host name, an address or a hash */
    char hbuf[DOMAIN_MAX];     /* a url's reg-name host */
    int r;

    os->n = 0;
    os->scratch_used = 0;
    os->client_ip = os->server_ip = os->domain = os->url = os->sha256 = WT_STR_NULL;

    /* ip / ipv6: client, server (hierarchy field, then W3C s-ip), destination.
     * Each step stops on WT_EFULL, so a short scratch keeps a prefix. */
    if (rec->client.len && take_client(os, rec) == WT_EFULL)
        return WT_EFULL;

    /* The target is split before the server (a split adds no item): the
     * server ("DIRECT/h") is mostly the target's host ("https://h:443/")
     * again, and then needs no split of its own. */
    stg.host = WT_STR_NULL;
    stg.bracketed = false;
    have_tg = rec->url.len && split_target(rec->url, &tg) == 0;
    if (rec->server.len && wt__is_digit((unsigned char)rec->server.p[rec->server.len - 1]) &&
        ipv4_fast(rec->server.p, rec->server.len)) {
        /* "DIRECT/1.2.3.4": a canonical dotted quad splits as itself and is
         * its own normal form (take_ip() would keep the same view; an equal
         * client is found as the same item). */
        stg = host_target(rec->server);
        shost = rec->server;
        server_is_ip = server_v4 = true;
        add_view(os, WT_OBS_IP, rec->server, &os->server_ip);
    } else {
        if (rec->server.len && have_tg && !tg.bracketed && str_same(rec->server, tg.host)) {
            stg = host_target(rec->server);
            same_host = true;
        } else if (rec->server.len && split_target(rec->server, &stg) != 0)
            stg.host = WT_STR_NULL;
        if (stg.host.len) {
            /* Keep the brackets of a [v6] for wt_norm_ip to check. */
            struct wt_str sraw =
                stg.bracketed ? wt__str(stg.host.p - 1, stg.host.p + stg.host.len + 1) : stg.host;
            shost = stg.host;
            if (str_same(sraw, rec->client)) {
                /* Same bytes as the client: same answer, no second parse. */
                server_is_ip = os->client_ip.len > 0;
                os->server_ip = os->client_ip;
            } else {
                r = take_ip(os, sraw, &os->server_ip);
                if (r == WT_EFULL)
                    return r;
                server_is_ip = r == 0;
            }
        }
    }
    if (rec->server_ip.len) {
        r = take_ip(os, rec->server_ip, &sip);
        if (r == WT_EFULL)
            return r;
        if (r == 0 && !server_is_ip)
            os->server_ip = sip;
    }

    /* Destination host: an address, or the first domain (every ip is done). */
    if (have_tg) {
        if (server_is_ip && tg.bracketed == stg.bracketed &&
            (same_host || str_same(tg.host, shost))) {
            dest = os->server_ip; /* tunnel://1.2.3.4:443/ with DIRECT/1.2.3.4 */
            dtype = server_v4 || !memchr(dest.p, ':', dest.len) ? WT_OBS_IP : WT_OBS_IPV6;
        } else if (!tg.bracketed && host_canonical(tg.host, &dtype)) {
            if (dtype == WT_OBS_DOMAIN) {
                dest = tg.host; /* the first domain: the set has addresses only */
                push_item(os, WT_OBS_DOMAIN, dest);
            } else {
                add_view(os, dtype, tg.host, &dest);
            }
        } else {
            char *dst = value_dst(os, buf, sizeof(buf));
            r = norm_host(tg.host, tg.bracketed, dst, sizeof(buf), &dtype);
            if (r >= 0 && add_item(os, dtype, dst, (size_t)r, &dest) != 0)
                return WT_EFULL;
            if (r < 0 && !tg.bracketed && url_scheme(tg.scheme)) {
                /* No observable, but the host of a url (its own buffer: buf
                 * and the end of scratch are reused before the url is built). */
                r = norm_regname(tg.host, hbuf, sizeof(hbuf));
                if (r > 0) {
                    dest = (struct wt_str){hbuf, (size_t)r};
                    dtype = HOST_REGNAME;
                }
            }
        }
        if (dest.len && dtype == WT_OBS_DOMAIN)
            os->domain = dest;
    }

    /* The server's domain, unless it is the destination host again. */
    if (shost.len && !server_is_ip && !stg.bracketed &&
        !(same_host || (have_tg && !tg.bracketed && str_same(shost, tg.host)))) {
        struct wt_str sdom = WT_STR_NULL;
        if (domain_canonical(shost)) {
            add_view(os, WT_OBS_DOMAIN, shost, &sdom);
        } else {
            char *dst = value_dst(os, buf, sizeof(buf));
            r = wt_norm_domain(shost, dst, sizeof(buf));
            if (r >= 0 && add_item(os, WT_OBS_DOMAIN, dst, (size_t)r, &sdom) != 0)
                return WT_EFULL;
        }
        if (sdom.len && !os->domain.len)
            os->domain = sdom;
    }

    /* url: http, https and ftp targets whose host is valid. */
    if (dest.len) {
        unsigned port;
        const struct url_scheme *sc = url_check(&tg, &port);
        if (sc && take_url(os, rec->url, &tg, sc, port, dest, dtype, strip_query) != 0)
            return WT_EFULL;
    }

    if (rec->amp_sha.len) {
        char *dst = value_dst(os, buf, sizeof(buf));
        r = wt_norm_sha256(rec->amp_sha, dst, sizeof(buf));
        if (r >= 0 && add_item(os, WT_OBS_SHA256, dst, (size_t)r, &os->sha256) != 0)
            return WT_EFULL;
    }
    return 0;
}
