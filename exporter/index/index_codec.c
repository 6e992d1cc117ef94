/*
 * index_codec.c - the bytes of the index: bucket values (varints), keys,
 * client lists (Space-Saving top-N), and the canonical form of a looked-up
 * observable. Pure functions; no LMDB. See index.h.
 */
#include "index.h"
#include "index_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Varints (LEB128, at most 10 bytes)                                       */
/* ------------------------------------------------------------------------ */

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static int get_varint_long(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*pp >= end)
            return WT_EPARSE;
        uint8_t b = *(*pp)++;
        if (shift == 63 && b > 1)
            return WT_EPARSE;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            /* One encoding per value: a last group of 0 (after others) is not
             * the shortest form, which is all the encoder writes. */
            if (b == 0 && shift > 0)
                return WT_EPARSE;
            *v = r;
            return 0;
        }
    }
    return WT_EPARSE;
}

/* Most values (counts, client counts) fit one byte: that case inline. */
static inline int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    if (*pp < end && **pp < 0x80) {
        *v = *(*pp)++;
        return 0;
    }
    return get_varint_long(pp, end, v);
}

/* ------------------------------------------------------------------------ */
/* Bucket values                                                            */
/* ------------------------------------------------------------------------ */

int wt_index_bucket_encode(const struct wt_index_bucket *b, void *out, size_t cap)
{
    /* Worst case: 5 varints, the verdicts, the clients. */
    if (cap < WT_INDEX_VALUE_BYTES_MAX)
        return WT_EFULL;
    uint8_t *p = out, *start = out;
    int64_t first = b->first_ms - b->start_ms, last = b->last_ms - b->start_ms;
    if (first < 0)
        first = 0;
    if (last < first)
        last = first;
    p += put_varint(p, b->count);
    p += put_varint(p, b->allowed);
    p += put_varint(p, b->blocked);
    p += put_varint(p, (uint64_t)first);
    p += put_varint(p, (uint64_t)(last - first));
    *p++ = (uint8_t)b->nverdicts;
    for (unsigned i = 0; i < b->nverdicts; i++) {
        size_t n = strlen(b->verdict[i]);
        *p++ = (uint8_t)n;
        memcpy(p, b->verdict[i], n);
        p += n;
    }
    *p++ = (uint8_t)b->nclients;
    for (unsigned i = 0; i < b->nclients; i++) {
        *p++ = b->client[i].len;
        memcpy(p, b->client[i].addr, b->client[i].len);
        p += b->client[i].len;
        p += put_varint(p, b->client[i].count);
    }
    return (int)(p - start);
}

int wt_index_bucket_decode(const void *data, size_t n, int64_t start_ms, int64_t span_ms,
                           struct wt_index_bucket *b)
{
    const uint8_t *p = data, *end = p + n;
    uint64_t first, span;
    b->start_ms = start_ms;
    b->end_ms = start_ms + span_ms;
    if (get_varint(&p, end, &b->count) || get_varint(&p, end, &b->allowed) ||
        get_varint(&p, end, &b->blocked) || get_varint(&p, end, &first) ||
        get_varint(&p, end, &span))
        return WT_EPARSE;
    if (span_ms <= 0 || first >= (uint64_t)span_ms || span >= (uint64_t)span_ms - first)
        return WT_EPARSE;
    b->first_ms = start_ms + (int64_t)first;
    b->last_ms = b->first_ms + (int64_t)span;
    if (p >= end || *p > WT_INDEX_VERDICTS_MAX)
        return WT_EPARSE;
    b->nverdicts = *p++;
    for (unsigned i = 0; i < b->nverdicts; i++) {
        if (p >= end || *p == 0 || *p > WT_INDEX_VERDICT_LEN || (size_t)(end - p) < 1u + *p)
            return WT_EPARSE;
        size_t len = *p++;
        if (memchr(p, '\0', len))
            return WT_EPARSE; /* a verdict is text: the encoder writes it up to a NUL */
        memcpy(b->verdict[i], p, len);
        b->verdict[i][len] = '\0';
        p += len;
    }
    if (p >= end || *p > WT_INDEX_TOP_MAX)
        return WT_EPARSE;
    b->nclients = *p++;
    for (unsigned i = 0; i < b->nclients; i++) {
        if (p >= end || (*p != 4 && *p != 16) || (size_t)(end - p) < 1u + *p)
            return WT_EPARSE;
        b->client[i].len = *p++;
        memcpy(b->client[i].addr, p, b->client[i].len);
        p += b->client[i].len;
        if (get_varint(&p, end, &b->client[i].count))
            return WT_EPARSE;
    }
    return p == end ? 0 : WT_EPARSE;
}

/* ------------------------------------------------------------------------ */
/* Aggregation                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Space-Saving (Metwally et al.): a known client adds to its count; a new
 * one takes a free slot, or replaces the client with the lowest count and
 * inherits that count. Exact while there are at most top clients.
 */
void wt__index_client_add(struct wt_index_bucket *b, unsigned top, const uint8_t *addr, uint8_t len,
                          uint64_t count)
{
    unsigned min = 0;
    for (unsigned i = 0; i < b->nclients; i++) {
        struct wt_index_client *c = &b->client[i];
        if (c->len == len && memcmp(c->addr, addr, len) == 0) {
            c->count += count;
            return;
        }
        if (c->count < b->client[min].count)
            min = i;
    }
    struct wt_index_client *c;
    if (b->nclients < top) {
        c = &b->client[b->nclients++];
        c->count = 0;
    } else {
        c = &b->client[min];
    }
    c->len = len;
    memcpy(c->addr, addr, len);
    c->count += count;
}

void wt__index_verdict_add(struct wt_index_bucket *b, const char *v, size_t len)
{
    if (len == 0 || len > WT_INDEX_VERDICT_LEN)
        return;
    for (unsigned i = 0; i < b->nverdicts; i++) {
        if (strlen(b->verdict[i]) == len && memcmp(b->verdict[i], v, len) == 0)
            return;
    }
    if (b->nverdicts >= WT_INDEX_VERDICTS_MAX)
        return;
    memcpy(b->verdict[b->nverdicts], v, len);
    b->verdict[b->nverdicts][len] = '\0';
    b->nverdicts++;
}

static int by_count_desc(const void *a, const void *b)
{
    const struct wt_index_client *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->addr, y->addr, x->len);
}

/* Insertion sort: the list is short and, after a merge, nearly sorted
 * already (cheaper than qsort's set-up). The order is total (addresses
 * differ), so it is the order qsort gave. */
void wt__index_clients_sort(struct wt_index_bucket *b)
{
    for (unsigned i = 1; i < b->nclients; i++) {
        struct wt_index_client c = b->client[i];
        unsigned j = i;
        for (; j > 0 && by_count_desc(&b->client[j - 1], &c) > 0; j--)
            b->client[j] = b->client[j - 1];
        b->client[j] = c;
    }
}

void wt_index_bucket_merge(struct wt_index_bucket *dst, const struct wt_index_bucket *src,
                           unsigned top)
{
    if (dst->count == 0) {
        *dst = *src;
        return;
    }
    dst->count += src->count;
    dst->allowed += src->allowed;
    dst->blocked += src->blocked;
    if (src->first_ms < dst->first_ms)
        dst->first_ms = src->first_ms;
    if (src->last_ms > dst->last_ms)
        dst->last_ms = src->last_ms;
    if (src->start_ms < dst->start_ms)
        dst->start_ms = src->start_ms;
    if (src->end_ms > dst->end_ms)
        dst->end_ms = src->end_ms;
    for (unsigned i = 0; i < src->nverdicts; i++)
        wt__index_verdict_add(dst, src->verdict[i], strlen(src->verdict[i]));
    for (unsigned i = 0; i < src->nclients; i++)
        wt__index_client_add(dst, top, src->client[i].addr, src->client[i].len,
                             src->client[i].count);
    wt__index_clients_sort(dst);
}

size_t wt_index_hits_merge(const struct wt_index_hit *hits, size_t n, unsigned top,
                           struct wt_index_bucket *dst, struct wt_index_bucket *scratch)
{
    size_t got = 0;
    dst->count = 0;
    for (size_t k = 0; k < n; k++) {
        if (wt_index_bucket_decode(hits[k].p, hits[k].n, hits[k].start_ms, hits[k].span_ms,
                                   got ? scratch : dst) != 0)
            continue; /* damaged: left out, as a single lookup does */
        if (got++)
            wt_index_bucket_merge(dst, scratch, top);
    }
    return got;
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

size_t wt__index_key(enum wt_obs_type t, const char *v, size_t len, uint8_t *key)
{
    key[0] = (uint8_t)t;
    if (1 + len <= WT_INDEX_KEY_MAX) {
        memcpy(key + 1, v, len);
        return 1 + len;
    }
    /* LMDB keys are at most 511 bytes: a long value is its prefix and a hash. */
    size_t pre = WT_INDEX_KEY_MAX - 1 - 8;
    memcpy(key + 1, v, pre);
    /* FNV-1a tells apart long values that share their first bytes (a
     * collision merges two URLs' counts). */
    uint64_t h = wt_fnv1a64(WT_FNV1A64_INIT, v, len);
    for (int i = 0; i < 8; i++)
        key[1 + pre + (size_t)i] = (uint8_t)(h >> (56 - 8 * i));
    return WT_INDEX_KEY_MAX;
}

/* ------------------------------------------------------------------------ */
/* Observables as asked for                                                 */
/* ------------------------------------------------------------------------ */

int wt_index_type_from_str(struct wt_str s, enum wt_obs_type *t)
{
    for (int i = 0; i < WT_OBS_NTYPES; i++) {
        const char *n = wt_obs_type_name((enum wt_obs_type)i);
        if (strlen(n) == s.len && memcmp(n, s.p, s.len) == 0) {
            *t = (enum wt_obs_type)i;
            return 0;
        }
    }
    return WT_EPARSE;
}

int wt_index_normalise(enum wt_obs_type *t, struct wt_str in, bool strip_query, char *out,
                       size_t cap)
{
    int n;
    switch (*t) {
    case WT_OBS_IP:
    case WT_OBS_IPV6: {
        enum wt_obs_type got;
        n = wt_norm_ip(in, out, cap, &got);
        if (n >= 0)
            *t = got;
        return n;
    }
    case WT_OBS_DOMAIN:
        return wt_norm_domain(in, out, cap);
    case WT_OBS_URL:
        return wt_norm_url(in, strip_query, out, cap);
    case WT_OBS_SHA256:
        return wt_norm_sha256(in, out, cap);
    default:
        return WT_EPARSE;
    }
}

int wt__index_client_bin(const char *text, size_t len, uint8_t out[16])
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (memchr(text, ':', len))
        return inet_pton(AF_INET6, buf, out) == 1 ? 16 : 0;
    return inet_pton(AF_INET, buf, out) == 1 ? 4 : 0;
}
