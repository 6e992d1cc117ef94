/*
 * obs_ip.c - IPv4 and IPv6 addresses: the canonical-form checks, the text
 * form of an IPv6 address, the general normaliser (inet_pton), the parsers'
 * client check and wt_norm_ip().
 */
#include "obs_int.h"

#include <arpa/inet.h>
#include <string.h>

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

size_t wt_ip_text(const unsigned char *bin, size_t len, char *out)
{
    return len == 4 ? put_dotted(out, bin) : len == 16 ? wt__ipv6_text(bin, out) : 0;
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
bool wt__ipv6_plain(const char *p, size_t n, unsigned char bin[16])
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

bool wt__ipv6_canonical(const char *p, size_t n)
{
    return ipv6_canonical(p, n);
}

/* wt_norm_ip() by inet_pton and an inet_ntop-equal writer. */
int wt__ip_general(struct wt_str in, char *out, size_t cap, enum wt_obs_type *type)
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
    if (wt__ipv6_plain(p, n, bin)) {
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
    if (n > 0 && n < INET6_ADDRSTRLEN && wt__ipv6_plain(p, n, bin))
        return true;
    return wt__ip_general(in, txt, sizeof(txt), &t) >= 0;
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
        if (wt__ipv6_plain(c.p, c.len, bin))
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
    return r != IP_GENERAL ? r : wt__ip_general(in, out, cap, type);
}
