/*
 * obs_norm.c - host names, SHA-256 hashes and URLs: wt_norm_domain() and
 * its general loop, wt_norm_sha256(), the reg-name hosts of URLs, the URL
 * writer and wt_norm_url().
 */
#include "obs_int.h"

#include <string.h>

/* Longest label of a host name (RFC 1035). */
#define LABEL_MAX 63

bool wt__domain_canonical(struct wt_str in)
{
    return domain_canonical(in);
}

int wt_norm_domain(struct wt_str in, char *out, size_t cap)
{
    return norm_domain(in, out, cap);
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

/* memchr(s.p, ':', s.len) != NULL, sixteen bytes at a time. */
bool wt__has_colon(struct wt_str s)
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
int wt__norm_regname(struct wt_str in, char *out, size_t cap)
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
int wt__url_build(const struct wt__target *tg, const struct url_scheme *sc, unsigned port,
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
        h = wt__norm_regname(tg.host, host, sizeof(host));
        htype = HOST_REGNAME;
    }
    if (h < 0)
        return WT_EPARSE; /* host always fits: a domain, an address or a reg-name */
    return wt__url_build(&tg, sc, port, (struct wt_str){host, (size_t)h}, htype, strip_query, out,
                         cap);
}
