/*
 * obs_int.h - what the observables files share (observables.c: extraction;
 * obs_target.c: request targets; obs_ip.c: addresses; obs_norm.c: names,
 * hashes and URLs). Internal to parsers/.
 *
 * The fast paths here are inlined into wt_obs_extract(), which is built
 * twice (WT_CLONES_V3): the hot ones are forced inline so as to be in both
 * clones, and their rare cases call the out-of-line functions declared
 * next to them, each defined in the file of its role. Only these files
 * include this header, so its inline helpers keep the short names they had
 * as file-local functions; what is defined out of line is `wt__`.
 */
#ifndef WT_OBS_INT_H
#define WT_OBS_INT_H

#include "obs_simd_int.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

/* Longest host name (RFC 1035). */
#define DOMAIN_MAX 253

/* ------------------------------------------------------------------------ */
/* Request targets (obs_target.c)                                           */
/* ------------------------------------------------------------------------ */

/* split_fast() leaves the target to the general split. */
#define SPLIT_GENERAL 1

/*
 * split_fast() for the shapes it does not know: a pass of byte masks over
 * the first 64 bytes, or SPLIT_GENERAL. Out of line (obs_target.c).
 */
int wt__split_scan(struct wt_str t, struct wt__target *tg);

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
#endif

/*
 * wt__split_scan() for the targets of proxy logs: "http://", "https://" and
 * "tunnel://" written in lower case are known without masks, and the
 * authority mostly ends in the 32 bytes after them, which two loads inside
 * the target cover ([a, a + 32), or [a, n) with a last load that overlaps
 * the first, or a view shorter than 16). Anything else is wt__split_scan()'s.
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
        return wt__split_scan(t, tg);
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
        return wt__split_scan(t, tg);
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
/* Addresses (obs_ip.c)                                                     */
/* ------------------------------------------------------------------------ */

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

/* ip_fast() leaves the text to inet_pton. */
#define IP_GENERAL 1

/* No address ends like this text (every text wt__ip_general() accepts ends in a
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
 * inet_pton(AF_INET6) for the plain form only (no embedded IPv4): true with
 * the 16 bytes in bin, or false for anything else, valid or not.
 */
bool wt__ipv6_plain(const char *p, size_t n, unsigned char bin[16]);

/* wt_norm_ip() by inet_pton and an inet_ntop-equal writer. */
int wt__ip_general(struct wt_str in, char *out, size_t cap, enum wt_obs_type *type);

/*
 * An IPv6 address exactly as wt__ipv6_text() writes it, so its own normal
 * form (lower-case hex, no leading zeros, "::" for the first longest zero
 * run, no dotted IPv4 tail): by definition, parsed and written again. False
 * for anything else, valid or not: then wt__ip_general() decides
 * (fuzz_observables compares the two).
 */
static inline bool ipv6_canonical(const char *p, size_t n)
{
    unsigned char bin[16];
    char txt[INET6_ADDRSTRLEN];
    return wt__ipv6_plain(p, n, bin) && wt__ipv6_text(bin, txt) == n && memcmp(txt, p, n) == 0;
}

/* ------------------------------------------------------------------------ */
/* Names, hosts and URLs (obs_norm.c)                                       */
/* ------------------------------------------------------------------------ */

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

/*
 * wt_norm_domain() itself, inlinable where norm_host() needs it: domain_fast(),
 * else the general loop (obs_norm.c).
 */
static inline int norm_domain(struct wt_str in, char *out, size_t cap)
{
    int r = domain_fast(in, out, cap);
    return r != DOMAIN_GENERAL ? r : wt__norm_domain_general(in, out, cap);
}

/* memchr(s.p, ':', s.len) != NULL, sixteen bytes at a time. */
bool wt__has_colon(struct wt_str s);

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

    if (bracketed || wt__has_colon(host)) {
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
    return norm_domain(host, out, cap);
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

/*
 * A URL host that is neither an address nor a domain but an RFC 3986
 * reg-name, written in its normal form: the length, WT_EPARSE or WT_EFULL.
 */
int wt__norm_regname(struct wt_str in, char *out, size_t cap);

/*
 * Write the normalised URL scheme://host[:port]path[?query] of a split
 * target: the length, or WT_EFULL.
 */
int wt__url_build(const struct wt__target *tg, const struct url_scheme *sc, unsigned port,
                  struct wt_str host, enum wt_obs_type htype, bool strip_query, char *out,
                  size_t cap);

#endif /* WT_OBS_INT_H */
