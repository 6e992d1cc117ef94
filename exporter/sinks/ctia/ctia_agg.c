/*
 * ctia_agg.c - events into sightings (ctia_int.h): one open sighting per
 * (observable type, value, time bucket), counting requests, their time
 * range, the clients that made them (bounded) and their results.
 *
 * Pure: no I/O, no clock. Events are NDJSON lines (docs/events.md), parsed
 * with cJSON (STYLE.md 7: JSON lines are the exception); the sightings are
 * the memory this sink holds, bounded by max_open_sightings in the sink.
 */
#include "ctia_int.h"
#include "wt_common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slots of the table at first; it doubles at 3/4 load. */
#define AGG_INITIAL_CAP 1024

static uint64_t key_hash(enum wt_obs_type t, int64_t bucket, const char *v, size_t n)
{
    uint64_t h = WT_FNV1A64_INIT;
    unsigned char tb = (unsigned char)t;
    h = wt_fnv1a64(h, &tb, 1);
    h = wt_fnv1a64(h, &bucket, sizeof(bucket));
    return wt_fnv1a64(h, v, n);
}

int64_t wt__ctia_bucket_of(int64_t ts_ms, int64_t bucket_ms)
{
    int64_t q = ts_ms / bucket_ms;
    if (ts_ms % bucket_ms < 0)
        q--;
    return q * bucket_ms;
}

int wt__ctia_agg_init(struct wt__ctia_agg *a, int64_t bucket_ms, unsigned types_mask, bool targets)
{
    *a = (struct wt__ctia_agg){.bucket_ms = bucket_ms,
                               .types_mask = types_mask,
                               .targets = targets,
                               .watermark = INT64_MIN};
    a->tab = wt_calloc(AGG_INITIAL_CAP, sizeof(*a->tab));
    if (!a->tab)
        return -ENOMEM;
    a->cap = AGG_INITIAL_CAP;
    return 0;
}

void wt__ctia_sight_free(struct wt__ctia_sight *s)
{
    if (!s)
        return;
    wt_free(s->value);
    wt_free(s->targets);
    wt_free(s);
}

void wt__ctia_agg_close(struct wt__ctia_agg *a)
{
    for (size_t i = 0; a->tab && i < a->cap; i++) {
        struct wt__ctia_sight *s = a->tab[i];
        while (s) {
            struct wt__ctia_sight *n = s->hnext;
            wt__ctia_sight_free(s);
            s = n;
        }
    }
    wt_free(a->tab);
    wt_free(a->buckets);
    *a = (struct wt__ctia_agg){0};
}

/* ------------------------------------------------------------------------ */
/* Buckets (a small sorted array: a few open buckets at a time)             */
/* ------------------------------------------------------------------------ */

static size_t bucket_find(const struct wt__ctia_agg *a, int64_t start)
{
    size_t lo = 0, hi = a->nbuckets;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a->buckets[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int bucket_add(struct wt__ctia_agg *a, int64_t start)
{
    size_t i = bucket_find(a, start);
    if (i < a->nbuckets && a->buckets[i].start == start) {
        a->buckets[i].n++;
        return 0;
    }
    if (a->nbuckets == a->bcap) {
        size_t nc = a->bcap ? a->bcap * 2 : 16;
        struct wt__ctia_bucket *nb = wt_realloc(a->buckets, nc * sizeof(*nb));
        if (!nb)
            return -ENOMEM;
        a->buckets = nb;
        a->bcap = nc;
    }
    memmove(a->buckets + i + 1, a->buckets + i, (a->nbuckets - i) * sizeof(*a->buckets));
    a->buckets[i] = (struct wt__ctia_bucket){start, 1};
    a->nbuckets++;
    return 0;
}

int64_t wt__ctia_agg_oldest(const struct wt__ctia_agg *a)
{
    return a->nbuckets ? a->buckets[0].start : INT64_MAX;
}

int64_t wt__ctia_agg_cut_for(const struct wt__ctia_agg *a, size_t keep)
{
    size_t left = a->open;
    for (size_t i = 0; i < a->nbuckets; i++) {
        left -= a->buckets[i].n;
        if (left <= keep)
            return i + 1 < a->nbuckets ? a->buckets[i + 1].start : INT64_MAX;
    }
    return INT64_MAX;
}

/* ------------------------------------------------------------------------ */
/* The table                                                                */
/* ------------------------------------------------------------------------ */

static int grow(struct wt__ctia_agg *a)
{
    size_t nc = a->cap * 2;
    struct wt__ctia_sight **nt = wt_calloc(nc, sizeof(*nt));
    if (!nt)
        return -ENOMEM;
    for (size_t i = 0; i < a->cap; i++) {
        struct wt__ctia_sight *s = a->tab[i];
        while (s) {
            struct wt__ctia_sight *n = s->hnext;
            size_t j = (size_t)s->hash & (nc - 1);
            s->hnext = nt[j];
            nt[j] = s;
            s = n;
        }
    }
    wt_free(a->tab);
    a->tab = nt;
    a->cap = nc;
    return 0;
}

/* The open sighting of (t, bucket, v), created when new; NULL when out of memory. */
static struct wt__ctia_sight *lookup(struct wt__ctia_agg *a, enum wt_obs_type t, int64_t bucket,
                                     const char *v, size_t n, uint64_t idx)
{
    uint64_t h = key_hash(t, bucket, v, n);
    for (struct wt__ctia_sight *s = a->tab[h & (a->cap - 1)]; s; s = s->hnext) {
        if (s->hash == h && s->type == t && s->bucket == bucket && s->vlen == n &&
            memcmp(s->value, v, n) == 0)
            return s;
    }
    if (a->open + 1 > a->cap / 4 * 3 && grow(a) != 0)
        return NULL;
    struct wt__ctia_sight *s = wt_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->value = wt_strndup(v, n);
    if (!s->value || bucket_add(a, bucket) != 0) {
        wt__ctia_sight_free(s);
        return NULL;
    }
    s->hash = h;
    s->type = t;
    s->bucket = bucket;
    s->vlen = n;
    s->first_ms = INT64_MAX;
    s->last_ms = INT64_MIN;
    s->min_idx = idx;
    s->result = -1;
    size_t j = (size_t)h & (a->cap - 1);
    s->hnext = a->tab[j];
    a->tab[j] = s;
    a->open++;
    a->created++;
    return s;
}

static void add_target(struct wt__ctia_sight *s, const char *ip)
{
    size_t n = strlen(ip);
    if (n == 0 || n >= sizeof(s->targets[0].addr)) {
        s->others++;
        return;
    }
    for (uint32_t i = 0; i < s->ntargets; i++) {
        if (strcmp(s->targets[i].addr, ip) == 0) {
            s->targets[i].count++;
            return;
        }
    }
    if (s->ntargets >= WT_CTIM_TARGETS_MAX) {
        s->others++;
        return;
    }
    if (s->ntargets == s->tcap) {
        uint32_t nc = s->tcap ? s->tcap * 2 : 2;
        struct wt__ctia_target *nt = wt_realloc(s->targets, nc * sizeof(*nt));
        if (!nt) {
            s->others++; /* counted, not listed */
            return;
        }
        s->targets = nt;
        s->tcap = nc;
    }
    struct wt__ctia_target *t = &s->targets[s->ntargets++];
    memcpy(t->addr, ip, n + 1);
    t->type = strchr(ip, ':') ? WT_OBS_IPV6 : WT_OBS_IP;
    t->count = 1;
}

static int obs_type_of(const char *name)
{
    for (int t = 0; t < WT_OBS_NTYPES; t++) {
        if (strcmp(name, wt_obs_type_name((enum wt_obs_type)t)) == 0)
            return t;
    }
    return -1;
}

static const char *str_member(const cJSON *o, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* Blocked by the proxy: a DENIED or BLOCK result, or a BLOCK_ ACL decision. */
static bool is_blocked(const cJSON *ev)
{
    const char *r = str_member(ev, "result"), *acl = str_member(ev, "acl");
    return (r && (strstr(r, "DENIED") || strstr(r, "BLOCK"))) ||
           (acl && strncmp(acl, "BLOCK", 5) == 0);
}

int wt__ctia_agg_line(struct wt__ctia_agg *a, const char *line, size_t len, uint64_t idx)
{
    int64_t ts;
    cJSON *ev = cJSON_ParseWithLengthOpts(line, len, NULL, 0);
    const char *tss = ev ? str_member(ev, "ts") : NULL;
    if (!tss || !wt_ctim_time_parse(tss, &ts)) {
        cJSON_Delete(ev);
        a->bad_lines++;
        return WT_EPARSE;
    }
    a->events++;
    if (ts > a->watermark)
        a->watermark = ts;
    const char *client = str_member(ev, "client_ip");
    const char *amp = str_member(ev, "amp_threat");
    if (!amp)
        amp = str_member(ev, "amp_verdict");
    bool blocked = is_blocked(ev);
    int64_t bucket = wt__ctia_bucket_of(ts, a->bucket_ms);
    int counted = 0;
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(ev, "observables");
    for (const cJSON *o = cJSON_IsArray(obs) ? obs->child : NULL; o; o = o->next) {
        const char *tn = str_member(o, "type"), *v = str_member(o, "value");
        int t = tn ? obs_type_of(tn) : -1;
        if (t < 0 || !v || !v[0] || !(a->types_mask & (1u << t)))
            continue;
        struct wt__ctia_sight *s = lookup(a, (enum wt_obs_type)t, bucket, v, strlen(v), idx);
        if (!s) {
            cJSON_Delete(ev);
            return -ENOMEM;
        }
        s->count++;
        s->max_idx = idx;
        if (ts < s->first_ms)
            s->first_ms = ts;
        if (ts > s->last_ms)
            s->last_ms = ts;
        if (blocked)
            s->blocked++;
        if (amp && amp[0] && strcmp(amp, "-") != 0) {
            snprintf(s->amp, sizeof(s->amp), "%s", amp);
            s->amp_count++;
        }
        if (a->targets && client)
            add_target(s, client);
        counted++;
    }
    cJSON_Delete(ev);
    return counted;
}

struct wt__ctia_sight *wt__ctia_agg_cut(struct wt__ctia_agg *a, int64_t before)
{
    /* Collect per bucket, so the list comes out oldest bucket first. */
    size_t nb = bucket_find(a, before);
    if (nb == 0)
        return NULL;
    struct wt__ctia_sight **heads = wt_calloc(nb, sizeof(*heads));
    struct wt__ctia_sight *list = NULL, *cut = NULL;
    for (size_t i = 0; i < a->cap; i++) {
        struct wt__ctia_sight **pp = &a->tab[i];
        while (*pp) {
            struct wt__ctia_sight *s = *pp;
            if (s->bucket >= before) {
                pp = &s->hnext;
                continue;
            }
            *pp = s->hnext;
            s->hnext = NULL;
            a->open--;
            size_t k = bucket_find(a, s->bucket);
            if (heads && k < nb) {
                s->next = heads[k];
                heads[k] = s;
            } else {
                s->next = cut;
                cut = s;
            }
        }
    }
    /* Link newest bucket first onto the front, so the oldest ends up first. */
    list = cut;
    for (size_t k = nb; heads && k-- > 0;) {
        struct wt__ctia_sight *h = heads[k];
        while (h) {
            struct wt__ctia_sight *n = h->next;
            h->next = list;
            list = h;
            h = n;
        }
    }
    wt_free(heads);
    memmove(a->buckets, a->buckets + nb, (a->nbuckets - nb) * sizeof(*a->buckets));
    a->nbuckets -= nb;
    return list;
}

/* ------------------------------------------------------------------------ */
/* Ids and CTIM                                                             */
/* ------------------------------------------------------------------------ */

void wt__ctia_sight_set_id(struct wt__ctia_sight *s, const char *host)
{
    /* Two FNV-1a 64 hashes with different bases: 128 bits of the key. */
    uint64_t h[2] = {WT_FNV1A64_INIT, 0x84222325cbf29ce4ULL};
    char num[64];
    int n = snprintf(num, sizeof(num), "|%d|%" PRId64 "|%" PRIu32 "|", (int)s->type, s->bucket,
                     s->part);
    for (int i = 0; i < 2; i++) {
        h[i] = wt_fnv1a64(h[i], host, strlen(host));
        h[i] = wt_fnv1a64(h[i], num, (size_t)n);
        h[i] = wt_fnv1a64(h[i], s->value, s->vlen);
    }
    snprintf(s->id, sizeof(s->id), WT_CTIA_EXTID_PREFIX "%016" PRIx64 "%016" PRIx64, h[0], h[1]);
}

/* Targets by request count, most first (ties: address), for the first WT_CTIM_TARGETS_MAX. */
static int by_count(const void *x, const void *y)
{
    const struct wt__ctia_target *a = x, *b = y;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return strcmp(a->addr, b->addr);
}

void wt__ctia_sight_write(struct wt_tbuf *out, const struct wt__ctia_sight *s, const char *host)
{
    struct wt_ctim_target tg[WT_CTIM_TARGETS_MAX];
    char title[WT_CTIM_TEXT_MAX], desc[WT_CTIM_TEXT_MAX], tid[WT_CTIA_EXTID_MAX + 16];
    char a[25], b[25];
    const char *tname = wt_ctim_obs_type(s->type);

    if (s->ntargets > 1)
        qsort(s->targets, s->ntargets, sizeof(*s->targets), by_count);
    size_t nt = s->ntargets < WT_CTIM_TARGETS_MAX ? s->ntargets : WT_CTIM_TARGETS_MAX;
    for (size_t i = 0; i < nt; i++)
        tg[i] = (struct wt_ctim_target){s->targets[i].type,
                                        {s->targets[i].addr, strlen(s->targets[i].addr)},
                                        s->targets[i].count};
    wt_iso8601_ms(s->first_ms, a);
    wt_iso8601_ms(s->last_ms, b);
    /* A long URL is cut in the title; the observable carries it whole. */
    snprintf(title, sizeof(title), "%s %.200s%s seen %" PRIu64 " time%s at web proxy %s", tname,
             s->value, s->vlen > 200 ? "..." : "", s->count, s->count == 1 ? "" : "s", host);
    int n =
        snprintf(desc, sizeof(desc),
                 "%" PRIu64 " request%s through web proxy %s from %s to %s: %" PRIu64
                 " allowed, %" PRIu64 " blocked",
                 s->count, s->count == 1 ? "" : "s", host, a, b, s->count - s->blocked, s->blocked);
    if (n > 0 && (size_t)n < sizeof(desc) && s->amp[0])
        n +=
            snprintf(desc + n, sizeof(desc) - (size_t)n, "; AMP verdict %s (%" PRIu64 " request%s)",
                     s->amp, s->amp_count, s->amp_count == 1 ? "" : "s");
    if (n > 0 && (size_t)n < sizeof(desc) && s->others)
        n += snprintf(desc + n, sizeof(desc) - (size_t)n,
                      "; %" PRIu64 " more request%s from clients not listed as targets", s->others,
                      s->others == 1 ? "" : "s");
    if (n > 0 && (size_t)n < sizeof(desc))
        snprintf(desc + n, sizeof(desc) - (size_t)n, ".");
    snprintf(tid, sizeof(tid), "transient:sighting-%s", s->id + sizeof(WT_CTIA_EXTID_PREFIX) - 1);
    struct wt_ctim_sighting cs = {
        .id = tid,
        .external_id = s->id,
        .type = s->type,
        .value = {s->value, s->vlen},
        .count = s->count,
        .start_ms = s->first_ms,
        .end_ms = s->last_ms,
        .confidence = "High",
        .source = "wtexport",
        .title = title,
        .description = desc,
        .tlp = "amber",
        .targets = tg,
        .ntargets = nt,
    };
    wt_ctim_sighting_write(out, &cs);
}
