/*
 * observables.c - extraction of the observables of a line.
 *
 * The values threat responders pivot on (ip, ipv6, domain, url, sha256) are
 * taken from a parsed record, normalised to one canonical text form each and
 * written into the caller's scratch memory, or, when the line already has a
 * value in that form, kept as a view of the line. This runs once per log
 * line, so nothing here allocates, calls locale-dependent functions or scans
 * a field more often than needed.
 *
 * The normalisers are in obs_target.c (request targets), obs_ip.c
 * (addresses) and obs_norm.c (names, hashes, URLs); the fast paths that
 * wt_obs_extract() inlines are in obs_int.h and obs_simd_int.h.
 */
#include "obs_int.h"

#include <arpa/inet.h>
#include <string.h>

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
    int r = wt__ip_general(in, dst, sizeof(buf), &t);
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
 * wt__url_build() for the common shape, from the bytes of the line: a lower-case
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
        r = wt__url_build(tg, sc, port, dest, dtype, strip_query, dst, room);
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
                r = wt__norm_regname(tg.host, hbuf, sizeof(hbuf));
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
