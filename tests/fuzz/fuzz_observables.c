/*
 * fuzz_observables.c - the observable normalisers and wt_obs_extract().
 *
 * The first byte picks a normaliser (ip, domain, url, url with strip_query,
 * sha256, target host) and the rest is its input. The same bytes, split on
 * spaces, also fill a synthetic record for wt_obs_extract(). Invariants
 * (abort() on violation):
 * - a result is a length <= cap, WT_EPARSE or WT_EFULL, and nothing is
 *   written past cap; validity does not depend on cap;
 * - normalising a normalised value gives the same value (idempotence);
 * - each type has its shape (a domain is [a-z0-9.-], a hash 64 [0-9a-f], ...);
 * - the IPv6 text writer matches inet_ntop on the first 16 input bytes;
 * - wt_norm_domain (with its mask fast path) matches the general loop on the
 *   input, with full room and with too little;
 * - wt_norm_sha256 lower-cases exactly 64 hex digits;
 * - the target split and the dotted-quad check match their general code on
 *   the input (the same answer, the same views), and a host the split
 *   returns without brackets splits as itself;
 * - wt_norm_ip rejects only what inet_pton rejects (its early outs are
 *   exact), and a name wt_norm_domain accepts without a ':' is no address
 *   (so a host is a name or an address, never both);
 * - extraction with the documented scratch size succeeds; its items are
 *   unique, ordered, canonical and inside the used scratch; with less
 *   scratch it fails with WT_EFULL keeping a prefix of the list.
 */
#include "parsers_int.h"
#include "wt_parsers.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAX  8192
#define OUT_MAX (IN_MAX + 512)
#define GUARD   64
#define CANARY  0xa5
/* Longer names are never views (the mask fast path takes 64 bytes). */
#define DOMAIN_VIEW_MAX 64

enum mode { M_IP, M_DOMAIN, M_URL, M_URL_STRIP, M_SHA256, M_TARGET, M_COUNT };

static char out[OUT_MAX + GUARD];
static char out2[OUT_MAX + GUARD];
static char scratch[IN_MAX + WT_OBS_SCRATCH_EXTRA + GUARD];
static char scratch2[IN_MAX + WT_OBS_SCRATCH_EXTRA + GUARD];

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void fill(char *buf, size_t n)
{
    memset(buf, CANARY, n);
}

/* Nothing written in [from, to). */
static void untouched(const char *buf, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        check((unsigned char)buf[i] == CANARY);
}

static bool same(struct wt_str a, const char *b, size_t n)
{
    return a.len == n && (n == 0 || memcmp(a.p, b, n) == 0);
}

static int norm(enum mode m, struct wt_str in, char *o, size_t cap, enum wt_obs_type *t)
{
    switch (m) {
    case M_IP:
        return wt_norm_ip(in, o, cap, t);
    case M_DOMAIN:
        *t = WT_OBS_DOMAIN;
        return wt_norm_domain(in, o, cap);
    case M_URL:
    case M_URL_STRIP:
        *t = WT_OBS_URL;
        return wt_norm_url(in, m == M_URL_STRIP, o, cap);
    default:
        *t = WT_OBS_SHA256;
        return wt_norm_sha256(in, o, cap);
    }
}

/* Every address wt_norm_ip rejects, inet_pton rejects ([v4] is no address). */
static void check_not_inet(struct wt_str in, int r)
{
    char buf[64];
    unsigned char bin[16];
    size_t n = in.len;
    const char *p = in.p;
    bool bracketed = false;

    if (r != WT_EPARSE)
        return;
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
        bracketed = true;
    }
    if (n >= sizeof(buf) || memchr(p, '\0', n))
        return;
    memcpy(buf, p, n);
    buf[n] = '\0';
    check(inet_pton(AF_INET6, buf, bin) != 1);
    check(bracketed || inet_pton(AF_INET, buf, bin) != 1);
}

static bool view_same(struct wt_str a, struct wt_str b)
{
    return a.p == b.p && a.len == b.len;
}

/* The fast paths against the general code they stand for. */
static void check_fast_paths(struct wt_str in)
{
    struct wt__target a, b;
    int ra = wt__split_target(in, &a), rb = wt__split_target_general(in, &b);
    check(ra == rb);
    if (ra == 0)
        check(view_same(a.scheme, b.scheme) && view_same(a.host, b.host) &&
              view_same(a.port, b.port) && view_same(a.rest, b.rest) && a.bracketed == b.bracketed);
    /* wt_obs_extract reuses a target's host as the split of an equal server:
     * a host split without brackets splits as itself, with no scheme or port. */
    if (ra == 0 && !a.bracketed) {
        struct wt__target h;
        check(wt__split_target_general(a.host, &h) == 0);
        check(view_same(h.host, a.host) && h.scheme.p == NULL && h.scheme.len == 0 &&
              h.port.p == NULL && h.port.len == 0 && h.rest.p == a.host.p + a.host.len &&
              h.rest.len == 0 && !h.bracketed);
    }
    check(wt__ipv4_canonical(in.p, in.len) == wt__ipv4_canonical_general(in.p, in.len));
    /* An IPv6 text kept as a view is exactly what wt_norm_ip() writes for it,
     * and every such text (but dotted tails) is found. */
    {
        char txt[INET6_ADDRSTRLEN];
        enum wt_obs_type t = WT_OBS_IP;
        int r = wt_norm_ip(in, txt, sizeof(txt), &t);
        bool same_text = r == (int)in.len && t == WT_OBS_IPV6 && memcmp(txt, in.p, in.len) == 0 &&
                         !memchr(in.p, '.', in.len);
        check(wt__ipv6_canonical(in.p, in.len) == same_text);
    }
    /* A name is kept as a view exactly when wt_norm_domain() writes it back
     * unchanged (and it is short enough for the fast path). */
    {
        char d[DOMAIN_VIEW_MAX];
        const bool same_name = in.len <= sizeof(d) &&
                               wt_norm_domain(in, d, sizeof(d)) == (int)in.len &&
                               memcmp(d, in.p, in.len) == 0;
        check(wt__domain_canonical(in) == same_name);
    }
    /* wt_norm_sha256 by its definition: 64 hex digits, lower-cased. */
    {
        bool hex = in.len == 64;
        for (size_t i = 0; hex && i < 64; i++)
            hex = wt__is_hex((unsigned char)in.p[i]);
        int r = wt_norm_sha256(in, out, OUT_MAX);
        check(r == (hex ? 64 : WT_EPARSE));
        for (size_t i = 0; hex && i < 64; i++)
            check(out[i] == (char)wt__lower((unsigned char)in.p[i]));
    }
    /* The address check without text is wt_norm_ip()'s answer. */
    {
        enum wt_obs_type t;
        check(wt__ip_ok(in) == (wt_norm_ip(in, out2, OUT_MAX, &t) >= 0));
    }
    if (in.len && !memchr(in.p, ':', in.len) && wt_norm_domain(in, out, OUT_MAX) >= 0) {
        enum wt_obs_type t;
        check(wt_norm_ip(in, out2, OUT_MAX, &t) == WT_EPARSE);
    }
}

/* Differential check: the text inet_pton + inet_ntop make of an address. */
static void check_inet(struct wt_str in, int r, enum wt_obs_type t)
{
    char buf[64], txt[64];
    unsigned char bin[16];
    size_t n = in.len;
    const char *p = in.p;

    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
    }
    if (r < 0 || n >= sizeof(buf))
        return;
    memcpy(buf, p, n);
    buf[n] = '\0';
    int af = t == WT_OBS_IPV6 ? AF_INET6 : AF_INET;
    check(inet_pton(af, buf, bin) == 1 && inet_ntop(af, bin, txt, sizeof(txt)) != NULL);
    check(strlen(txt) == (size_t)r && memcmp(txt, out, (size_t)r) == 0);
}

static enum mode mode_of(enum wt_obs_type t, bool strip)
{
    switch (t) {
    case WT_OBS_IP:
    case WT_OBS_IPV6:
        return M_IP;
    case WT_OBS_DOMAIN:
        return M_DOMAIN;
    case WT_OBS_URL:
        return strip ? M_URL_STRIP : M_URL;
    default:
        return M_SHA256;
    }
}

/* ------------------------------------------------------------------------ */
/* Shapes                                                                   */
/* ------------------------------------------------------------------------ */

static bool is_lower_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static void check_domain_shape(const char *s, size_t n)
{
    size_t label = 0;
    bool digits = true;
    check(n >= 3 && n <= 253 && s[0] != '.' && s[n - 1] != '.');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        check(is_lower_alnum(c) || c == '.' || c == '-' || c == '_');
        if (c == '.') {
            check(label > 0 && s[i - 1] != '-');
            label = 0;
            digits = true;
            continue;
        }
        check(label > 0 || c != '-');
        check(++label <= 63);
        digits = digits && c >= '0' && c <= '9';
    }
    check(!digits && s[n - 1] != '-' && memchr(s, '.', n));
}

static void check_shape(enum mode m, enum wt_obs_type t, const char *s, size_t n)
{
    switch (m) {
    case M_IP:
        check(n >= 2 && n <= 45);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            check(is_lower_alnum(c) || c == '.' || c == ':');
            check(c <= 'f');
        }
        check((t == WT_OBS_IPV6) == (memchr(s, ':', n) != NULL));
        check(t == WT_OBS_IP || t == WT_OBS_IPV6);
        break;
    case M_DOMAIN:
        check_domain_shape(s, n);
        break;
    case M_URL:
    case M_URL_STRIP: {
        struct wt_str host, port, u = {s, n};
        check(n >= 8 && (memcmp(s, "http://", 7) == 0 || memcmp(s, "https://", 8) == 0 ||
                         memcmp(s, "ftp://", 6) == 0));
        check(memchr(s, '#', n) == NULL);
        check(m == M_URL || memchr(s, '?', n) == NULL);
        check(wt_target_host(u, &host, &port) == 0);
        check(port.len == 0 || port.p[0] != '0');
        /* The scheme is followed by the host; no userinfo survives. */
        {
            const char *h = (const char *)memchr(s, '/', n) + 2;
            const char *end = s + n;
            const char *a = h;
            while (a < end && *a != '/' && *a != '?')
                a++;
            check(a < end && memchr(h, '@', (size_t)(a - h)) == NULL);
        }
        break;
    }
    default:
        check(n == 64);
        for (size_t i = 0; i < n; i++)
            check(is_lower_alnum((unsigned char)s[i]) && (unsigned char)s[i] <= 'f');
        break;
    }
}

/* ------------------------------------------------------------------------ */
/* One normaliser                                                           */
/* ------------------------------------------------------------------------ */

static void fuzz_norm(enum mode m, struct wt_str in)
{
    enum wt_obs_type t = WT_OBS_NTYPES, t2 = WT_OBS_NTYPES;

    fill(out, sizeof(out));
    int r = norm(m, in, out, OUT_MAX, &t);
    untouched(out, OUT_MAX, sizeof(out));
    /* Room to spare: never WT_EFULL. Validity does not depend on cap. */
    check(r >= 0 || r == WT_EPARSE);
    fill(out2, sizeof(out2));
    int r0 = norm(m, in, out2, 0, &t2);
    untouched(out2, 0, sizeof(out2));
    check(r < 0 ? r0 == WT_EPARSE : (r == 0 || r0 == WT_EFULL));
    if (m == M_IP)
        check_not_inet(in, r);
    if (r < 0)
        return;
    check((size_t)r <= OUT_MAX);
    check_shape(m, t, out, (size_t)r);
    if (m == M_IP)
        check_inet(in, r, t);

    /* Exactly enough room, and one byte less. */
    fill(out2, sizeof(out2));
    check(norm(m, in, out2, (size_t)r, &t2) == r && memcmp(out, out2, (size_t)r) == 0);
    untouched(out2, (size_t)r, sizeof(out2));
    if (r > 0) {
        fill(out2, sizeof(out2));
        check(norm(m, in, out2, (size_t)r - 1, &t2) == WT_EFULL);
        untouched(out2, (size_t)r - 1, sizeof(out2));
    }

    /* Idempotence. */
    fill(out2, sizeof(out2));
    int r2 = norm(m, (struct wt_str){out, (size_t)r}, out2, OUT_MAX, &t2);
    check(r2 == r && t2 == t && memcmp(out, out2, (size_t)r) == 0);
}

static void fuzz_target(struct wt_str in)
{
    struct wt_str h, p, h2, p2;
    const char *end = in.p + in.len;

    if (wt_target_host(in, &h, &p) != 0)
        return;
    check(h.len > 0 && h.p >= in.p && h.p + h.len <= end);
    check(p.len == 0 || (p.p >= in.p && p.p + p.len <= end));
    for (size_t i = 0; i < h.len; i++)
        check(h.p[i] != '/' && h.p[i] != '?' && h.p[i] != '#' && h.p[i] != '@');
    /* A plain host (not bracketed, not "a:b") is its own target host. */
    size_t colons = 0;
    for (size_t i = 0; i < h.len; i++)
        colons += h.p[i] == ':';
    if (h.p[0] != '[' && colons != 1) {
        check(wt_target_host(h, &h2, &p2) == 0);
        check(h2.p == h.p && h2.len == h.len && p2.len == 0);
    }
}

/* ------------------------------------------------------------------------ */
/* Extraction over a synthetic record                                       */
/* ------------------------------------------------------------------------ */

static unsigned rank(enum wt_obs_type t)
{
    return t <= WT_OBS_IPV6 ? 0 : (unsigned)t - 1;
}

/* os->field must be what the normaliser makes of in (empty if invalid). */
static void check_field(struct wt_str field, enum mode m, struct wt_str in)
{
    enum wt_obs_type t;
    int r = in.len ? norm(m, in, out, OUT_MAX, &t) : WT_EPARSE;
    if (r < 0)
        check(field.len == 0);
    else
        check(same(field, out, (size_t)r));
}

/* A value in the used scratch, or a view of the line (canonical there). */
static bool inside(struct wt_str v, const char *base, size_t used, struct wt_str line)
{
    return (v.p >= base && v.p + v.len <= base + used) ||
           (v.p >= line.p && v.p + v.len <= line.p + line.len);
}

static void check_set(const struct wt_obs_set *os, const char *base, size_t cap, bool strip,
                      struct wt_str line)
{
    check(os->n <= WT_OBS_MAX && os->scratch_used <= cap);
    for (unsigned i = 0; i < os->n; i++) {
        const struct wt_obs *it = &os->item[i];
        enum wt_obs_type t;
        check(it->type < WT_OBS_NTYPES && it->value.len > 0);
        check(inside(it->value, base, os->scratch_used, line));
        check(i == 0 || rank(os->item[i - 1].type) <= rank(it->type));
        for (unsigned j = 0; j < i; j++)
            check(os->item[j].type != it->type ||
                  !same(os->item[j].value, it->value.p, it->value.len));
        enum mode m = mode_of(it->type, strip);
        int r = norm(m, it->value, out, OUT_MAX, &t);
        check(r >= 0 && t == it->type && same(it->value, out, (size_t)r));
    }
}

static void fuzz_extract(const uint8_t *data, size_t size, bool strip, bool w3c, uint8_t cut)
{
    static struct wt_record rec;
    struct wt_str tok[6] = {{0}};
    const char *p = (const char *)data, *end = p + size;
    struct wt_obs_opts o = {.strip_query = strip};
    struct wt_obs_set os, os2;
    const struct wt_str line = {(const char *)data, size};

    for (unsigned k = 0; k < 6 && p < end; k++) {
        const char *s = p;
        while (p < end && *p != ' ')
            p++;
        tok[k] = (struct wt_str){s, (size_t)(p - s)};
        if (p < end)
            p++;
    }
    wt_record_clear(&rec);
    rec.format = w3c ? WT_FORMAT_W3C : WT_FORMAT_SQUID;
    rec.client = tok[0];
    rec.method = tok[1];
    rec.url = tok[2];
    /* "HIER/server" */
    const char *slash = tok[3].len ? memchr(tok[3].p, '/', tok[3].len) : NULL;
    if (slash) {
        rec.hier = (struct wt_str){tok[3].p, (size_t)(slash - tok[3].p)};
        rec.server = (struct wt_str){slash + 1, tok[3].len - rec.hier.len - 1};
    } else {
        rec.server = tok[3];
    }
    rec.server_ip = tok[4];
    rec.amp_sha = tok[5];

    /* The documented scratch: line length + WT_OBS_SCRATCH_EXTRA. */
    size_t cap = size + WT_OBS_SCRATCH_EXTRA;
    fill(scratch, sizeof(scratch));
    wt_obs_set_init(&os, scratch, cap);
    check(wt_obs_extract(&rec, &o, &os) == 0);
    untouched(scratch, cap, sizeof(scratch));
    check_set(&os, scratch, cap, strip, line);
    check_field(os.client_ip, M_IP, rec.client);
    check_field(os.url, strip ? M_URL_STRIP : M_URL, rec.url);
    check_field(os.sha256, M_SHA256, rec.amp_sha);
    if (os.domain.len) {
        enum wt_obs_type t;
        check(norm(M_DOMAIN, os.domain, out, OUT_MAX, &t) == (int)os.domain.len);
    }

    /* Less scratch: WT_EFULL and a prefix, or the same list. */
    size_t cap2 = os.scratch_used ? os.scratch_used * cut / 255 : 0;
    fill(scratch2, sizeof(scratch2));
    wt_obs_set_init(&os2, scratch2, cap2);
    int rc = wt_obs_extract(&rec, &o, &os2);
    untouched(scratch2, cap2, sizeof(scratch2));
    check(rc == (cap2 >= os.scratch_used ? 0 : WT_EFULL));
    check_set(&os2, scratch2, cap2, strip, line);
    check(os2.n <= os.n);
    for (unsigned i = 0; i < os2.n; i++)
        check(os2.item[i].type == os.item[i].type &&
              same(os2.item[i].value, os.item[i].value.p, os.item[i].value.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > IN_MAX + 1)
        return 0;
    const uint8_t sel = data[0];
    const struct wt_str in = {(const char *)data + 1, size - 1};
    const enum mode m = (enum mode)(sel % M_COUNT);

    for (size_t dcap = in.len + 1; dcap > 0; dcap = dcap > 4 ? dcap / 2 : 0) {
        int a = wt_norm_domain(in, out, dcap);
        int b = wt__norm_domain_general(in, out2, dcap);
        check(a == b);
        if (a > 0 || a == WT_EFULL)
            check(memcmp(out, out2, a > 0 ? (size_t)a : dcap) == 0);
    }
    if (size >= 16) {
        char mine[INET6_ADDRSTRLEN], ref[INET6_ADDRSTRLEN];
        size_t n = wt__ipv6_text(data, mine);
        check(inet_ntop(AF_INET6, data, ref, sizeof(ref)) != NULL);
        check(n == strlen(ref) && memcmp(mine, ref, n) == 0);
    }

    check_fast_paths(in);
    if (m == M_TARGET)
        fuzz_target(in);
    else
        fuzz_norm(m, in);
    /* The cut byte: the last input byte, so it varies with the fields. */
    fuzz_extract(data + 1, size - 1, sel & 0x40, sel & 0x80, size > 1 ? data[size - 1] : 0);
    return 0;
}
