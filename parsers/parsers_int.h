/*
 * parsers_int.h - helpers shared by the files of the parsers module only.
 * Cursor helpers take an explicit end and never read past it; none needs a NUL.
 */
#ifndef WT_PARSERS_INT_H
#define WT_PARSERS_INT_H

#include "wt_parsers.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * Inlined even where the compiler would not: the squid fast path is also
 * built for x86-64-v3 (target_clones), and GCC leaves a baseline helper
 * out of line in such a clone unless told otherwise.
 */
#define WT_ALWAYS_INLINE inline __attribute__((always_inline))

/*
 * A hot function built twice, for the baseline and for x86-64-v3 (popcnt,
 * BMI, AVX2), the loader picking one (GCC's target_clones: x86-64 glibc
 * only; clang and other systems build the baseline only). Helpers it
 * calls must be WT_ALWAYS_INLINE to be in both.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__)
#define WT_CLONES_V3 __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define WT_CLONES_V3
#endif

static WT_ALWAYS_INLINE bool wt__is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static WT_ALWAYS_INLINE bool wt__is_hex(unsigned char c)
{
    return wt__is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static WT_ALWAYS_INLINE unsigned char wt__lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/** A view of [p, end). */
static WT_ALWAYS_INLINE struct wt_str wt__str(const char *p, const char *end)
{
    return (struct wt_str){p, (size_t)(end - p)};
}

/** `-` (or `"-"` after unquoting) means empty. */
static WT_ALWAYS_INLINE struct wt_str wt__dash_empty(struct wt_str s)
{
    if (s.len == 1 && s.p[0] == '-')
        s.len = 0;
    return s;
}

/** Skip spaces (and tabs) from *pp up to end. */
static WT_ALWAYS_INLINE void wt__skip_ws(const char **pp, const char *end)
{
    const char *p = *pp;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    *pp = p;
}

/**
 * The first space or tab in [p, end), or end. Eight bytes at a time (SWAR:
 * a zero byte of v ^ 0x20.. marks a space); on little-endian machines the
 * lowest flagged byte is exact, later ones may be false positives.
 */
static WT_ALWAYS_INLINE const char *wt__find_ws(const char *p, const char *end)
{
#if defined(__SSE2__)
    /* Sixteen bytes at a time: SSE2 is part of every x86-64. */
    const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)));
        if (m)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t v, s, t;
        memcpy(&v, p, 8);
        s = v ^ (ones * ' ');
        t = v ^ (ones * '\t');
        uint64_t z = ((s - ones) & ~s & highs) | ((t - ones) & ~t & highs);
        if (z)
            return p + (__builtin_ctzll(z) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != ' ' && *p != '\t')
        p++;
    return p;
}

/**
 * The first byte in [p, end) equal to a, b or c, or end. Sixteen bytes at a
 * time while that many are left (reads stay inside [p, end)).
 */
static WT_ALWAYS_INLINE const char *wt__find3(const char *p, const char *end, char a, char b,
                                              char c)
{
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                                 _mm_cmpeq_epi8(v, vc));
        int bits = _mm_movemask_epi8(m);
        if (bits)
            return p + __builtin_ctz((unsigned)bits);
        p += 16;
    }
#endif
    while (p < end && *p != a && *p != b && *p != c)
        p++;
    return p;
}

/**
 * Take the next space-separated token at *pp (leading spaces skipped).
 * @returns false when there is no token left.
 */
static WT_ALWAYS_INLINE bool wt__word(const char **pp, const char *end, struct wt_str *out)
{
    const char *p = *pp;
    wt__skip_ws(&p, end);
    if (p >= end) {
        *pp = p;
        return false;
    }
    const char *start = p;
    p = wt__find_ws(p, end);
    *out = wt__str(start, p);
    *pp = p;
    return true;
}

/**
 * Like wt__word, but a token starting with '"' runs to the closing quote that
 * is followed by a space or the end (so a value may contain spaces and quotes);
 * *out is the inside. An unterminated quote takes the rest of the line.
 */
static WT_ALWAYS_INLINE bool wt__field(const char **pp, const char *end, struct wt_str *out)
{
    const char *p = *pp;
    wt__skip_ws(&p, end);
    if (p >= end || *p != '"')
        return wt__word(pp, end, out);
    const char *start = ++p;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q) {
            /* Unterminated: the rest of the line is the value. */
            *out = wt__str(start, end);
            *pp = end;
            return true;
        }
        if (q + 1 == end || q[1] == ' ' || q[1] == '\t') {
            *out = wt__str(start, q);
            *pp = q + 1;
            return true;
        }
        p = q + 1;
    }
}

/*
 * Typed fields, validated alike in both formats (docs/events.md, "What each
 * format accepts"). A timestamp is plausible in [WT__TS_MIN_MS,
 * WT__TS_MAX_MS): 1990-01-01T00:00:00Z up to 2100-01-01T00:00:00Z.
 */
#define WT__TS_MIN_MS 631152000000LL
#define WT__TS_MAX_MS 4102444800000LL
/* The largest magnitude of a status code: -999..999. */
#define WT__STATUS_MAX 999

static WT_ALWAYS_INLINE bool wt__ts_plausible(int64_t ms)
{
    return ms >= WT__TS_MIN_MS && ms < WT__TS_MAX_MS;
}

/**
 * A status code: `-` (absent, 0), or an optional sign and 1..n digits whose
 * value is in -999..999. 0 with *out, or WT_EPARSE. wt__status_general()
 * is the definition; the inline one takes three plain digits itself.
 */
int wt__status_general(struct wt_str s, int *out);

static WT_ALWAYS_INLINE int wt__status(struct wt_str s, int *out)
{
    if (s.len == 3) {
        unsigned a = (unsigned)(unsigned char)s.p[0] - '0',
                 b = (unsigned)(unsigned char)s.p[1] - '0',
                 c = (unsigned)(unsigned char)s.p[2] - '0';
        if ((a | b | c) <= 9) {
            *out = (int)(a * 100 + b * 10 + c);
            return 0;
        }
    }
    return wt__status_general(s, out);
}

/** The bytes of an HTTP token (RFC 9110 tchar): 1, else 0. */
extern const unsigned char wt__tchar[256];

/** A request method: an HTTP token (RFC 9110 tchar), 1 to 32 bytes. */
static WT_ALWAYS_INLINE bool wt__method_ok(struct wt_str m)
{
    unsigned ok = m.len - 1 < 32;
    for (size_t i = 0; i < m.len && ok; i++)
        ok = wt__tchar[(unsigned char)m.p[i]];
    return ok;
}

/**
 * A client address as a log may write it: an address wt_norm_ip() takes, or
 * a masked one (`10.xx.xx.xx`, an IPv6 text with `x` groups). Anything else
 * (`cisco_wsa`, a host name) is no client address. wt__client_ok_general()
 * is the definition; wt__client_kind() the parsers' check, which also says
 * what kind of address it is (fuzz_squid and fuzz_w3c compare the two).
 */
bool wt__client_ok_general(struct wt_str c);

/** A masked client address (`10.xx.xx.xx`, an IPv6 text with `x` groups). */
bool wt__client_masked(struct wt_str c);

/** wt_norm_ip(in, ...) >= 0, without writing the text (fuzz_observables compares). */
bool wt__ip_ok(struct wt_str in);

/**
 * The kind of the client address c (1 byte or more): a wt_client_kind other
 * than UNCHECKED, with the 16 bytes in bin for WT_CLIENT_IPV6 (bin is not
 * written otherwise); WT_EPARSE when c is no client address.
 */
int wt__client_kind(struct wt_str c, unsigned char bin[16]);

/** wt__client_kind() as a yes or no; an absent client (len 0) is fine. */
bool wt__client_ok(struct wt_str c);

/**
 * Set the client of rec (cleared by wt_record_clear()) to c, `-` already
 * made empty: its kind for wt_obs_extract(), or absent when c is no address.
 */
static WT_ALWAYS_INLINE void wt__set_client(struct wt_record *rec, struct wt_str c)
{
    if (c.len == 0)
        return;
    int k = wt__client_kind(c, rec->client_bin);
    if (k < 0)
        return; /* `cisco_wsa`: no address, the field is absent */
    rec->client = c;
    rec->client_kind = (enum wt_client_kind)k;
}

/**
 * The scan-verdict list just inside its opening delimiter (`<`, or `&lt;`
 * when esc) at s, in the line that ends at end: split into rec->vend[] and
 * rec->nverdict, and decoded (category, WBRS, layout by field count, the
 * AMP block). Shared by both formats. @returns the closing delimiter, or
 * NULL when the list has no end outside quotes (nothing is decoded then).
 */
const char *wt__verdict_list_open(struct wt_record *rec, const char *s, const char *end, bool esc);

/**
 * The list [s, close) whose end is already known (no quote tracking across
 * delimiters), decoded as above; terminated false for a truncated list
 * (layout OTHER).
 */
void wt__verdict_list_fixed(struct wt_record *rec, const char *s, const char *close, bool esc,
                            bool terminated);

/** Where a verdict list opens at p (p < end): 1 for `<`, 4 for `&lt;`, 0 if it does not. */
static WT_ALWAYS_INLINE size_t wt__list_open(const char *p, const char *end)
{
    if (*p == '<')
        return 1;
    if (*p == '&' && end - p >= 4 && memcmp(p, "&lt;", 4) == 0)
        return 4;
    return 0;
}

/**
 * The squid-native parser without its fast path: the reference that the fast
 * path must agree with (fuzz_squid compares the two on every input).
 */
int wt__squid_general(const char *line, size_t len, struct wt_record *rec);
/** The squid fast path alone: 0 with rec filled, or non-zero when it leaves the line to the general
 * parser. */
int wt__squid_fast(const char *line, size_t len, struct wt_record *rec);

/**
 * The text form of an IPv6 address, exactly as glibc's inet_ntop writes it
 * (RFC 5952: lower case, longest zero run as "::", dotted embedded IPv4 for
 * ::a.b.c.d and ::ffff:a.b.c.d), without its sprintf. out needs 46 bytes.
 * @returns the length (no NUL is written).
 */
size_t wt__ipv6_text(const unsigned char bin[16], char *out);

/** wt_norm_domain() without its fast path (the reference fuzz_observables compares with). */
int wt__norm_domain_general(struct wt_str in, char *out, size_t cap);

/**
 * A name that wt_norm_domain() accepts and writes back unchanged (so it can
 * be kept as a view of the line). fuzz_observables checks it against
 * wt_norm_domain().
 */
bool wt__domain_canonical(struct wt_str in);

/** A request target split into its parts; every view points into the target. */
struct wt__target {
    struct wt_str scheme; /* before "://"; empty for a bare target */
    struct wt_str host;   /* never empty; without the [brackets] of an IPv6 */
    struct wt_str port;   /* after the host's ':'; may be empty */
    struct wt_str rest;   /* from the first '/', '?' or '#' after the authority */
    bool bracketed;       /* the host was written as [v6] */
};

/**
 * Split "scheme://[userinfo@]host[:port][/path?query#fragment]" or a bare
 * "host[:port]", "[v6][:port]" or "v6". 0, or WT_EPARSE when there is no host
 * (*tg is then unspecified). wt__split_target() is the fast path with the
 * general split as its fallback; fuzz_observables compares the two.
 */
int wt__split_target(struct wt_str t, struct wt__target *tg);
int wt__split_target_general(struct wt_str t, struct wt__target *tg);

/**
 * A dotted quad in the only form inet_pton(AF_INET) accepts and inet_ntop
 * writes (four octets 0..255, no leading zeros). The fast check and the
 * general loop it must agree with (fuzz_observables compares the two).
 */
bool wt__ipv4_canonical(const char *p, size_t n);
bool wt__ipv4_canonical_general(const char *p, size_t n);

/**
 * An IPv6 text that wt_norm_ip() writes back unchanged (type ipv6), checked
 * without parsing it; false may still be valid. fuzz_observables compares it
 * with wt_norm_ip().
 */
bool wt__ipv6_canonical(const char *p, size_t n);

#endif /* WT_PARSERS_INT_H */
