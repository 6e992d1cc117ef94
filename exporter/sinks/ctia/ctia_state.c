/*
 * ctia_state.c - the CTIA sink's flush journal (ctia_int.h): which flushes
 * cut which buckets after which spool record, with which part numbers,
 * and whether they were imported; and the next part number of each bucket.
 *
 * Text: {"version": 1, "next": [[bucket_ms, part], ...], "flushes":
 * [{"after": record, "before": ms, "done": bool, "done_ms": ms, "parts":
 * [[bucket_ms, part], ...]}, ...]}. Written atomically by the sink (on the
 * thread pool) before a flush is imported and when it is done; why it
 * exists: sink_ctia.c and docs/ctia.md.
 */
#include "ctia_int.h"
#include "wt_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Most flushes and buckets a journal may hold (a damaged file is refused beyond). */
#define STATE_MAX_ENTRIES 1000000

void wt__ctia_state_init(struct wt__ctia_state *st)
{
    *st = (struct wt__ctia_state){0};
}

void wt__ctia_state_close(struct wt__ctia_state *st)
{
    for (size_t i = 0; i < st->nfl; i++)
        wt_free(st->fl[i].parts);
    wt_free(st->fl);
    wt_free(st->next);
    *st = (struct wt__ctia_state){0};
}

static size_t next_find(const struct wt__ctia_state *st, int64_t bucket)
{
    size_t lo = 0, hi = st->nnext;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->next[mid].bucket < bucket)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t wt__ctia_state_next(const struct wt__ctia_state *st, int64_t bucket)
{
    size_t i = next_find(st, bucket);
    return i < st->nnext && st->next[i].bucket == bucket ? st->next[i].part : 0;
}

int wt__ctia_state_used(struct wt__ctia_state *st, int64_t bucket, uint32_t part)
{
    size_t i = next_find(st, bucket);
    if (i < st->nnext && st->next[i].bucket == bucket) {
        if (part + 1 > st->next[i].part)
            st->next[i].part = part + 1;
        return 0;
    }
    if (st->nnext == st->capn) {
        size_t nc = st->capn ? st->capn * 2 : 16;
        struct wt__ctia_part_no *n = wt_realloc(st->next, nc * sizeof(*n));
        if (!n)
            return -ENOMEM;
        st->next = n;
        st->capn = nc;
    }
    memmove(st->next + i + 1, st->next + i, (st->nnext - i) * sizeof(*st->next));
    st->next[i] = (struct wt__ctia_part_no){bucket, part + 1};
    st->nnext++;
    return 0;
}

int wt__ctia_state_add(struct wt__ctia_state *st, uint64_t after, int64_t before,
                       struct wt__ctia_part_no *parts, size_t nparts)
{
    if (st->nfl == st->capf) {
        size_t nc = st->capf ? st->capf * 2 : 8;
        struct wt__ctia_flush_rec *n = wt_realloc(st->fl, nc * sizeof(*n));
        if (!n) {
            wt_free(parts);
            return -ENOMEM;
        }
        st->fl = n;
        st->capf = nc;
    }
    st->fl[st->nfl++] = (struct wt__ctia_flush_rec){
        .after = after, .before = before, .parts = parts, .nparts = nparts};
    return 0;
}

void wt__ctia_state_prune(struct wt__ctia_state *st, int64_t now_ms, int64_t oldest)
{
    size_t k = 0;
    for (size_t i = 0; i < st->nfl; i++) {
        struct wt__ctia_flush_rec *f = &st->fl[i];
        if (f->done && now_ms - f->done_ms > WT_CTIA_JOURNAL_KEEP_MS) {
            wt_free(f->parts);
            continue;
        }
        st->fl[k++] = *f;
    }
    st->nfl = k;
    k = 0;
    for (size_t i = 0; i < st->nnext; i++) {
        if (st->next[i].bucket >= oldest)
            st->next[k++] = st->next[i];
    }
    st->nnext = k;
}

/* ------------------------------------------------------------------------ */
/* Text                                                                     */
/* ------------------------------------------------------------------------ */

static cJSON *pairs_json(const struct wt__ctia_part_no *p, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *e = cJSON_CreateArray();
        if (!e) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)p[i].bucket));
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)p[i].part));
        cJSON_AddItemToArray(arr, e);
    }
    return arr;
}

char *wt__ctia_state_text(const struct wt__ctia_state *st)
{
    cJSON *o = cJSON_CreateObject(), *fl = cJSON_CreateArray();
    cJSON *next = pairs_json(st->next, st->nnext);
    char *text = NULL;
    if (!o || !fl || !next)
        goto out;
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddItemToObject(o, "next", next);
    next = NULL;
    for (size_t i = 0; i < st->nfl; i++) {
        const struct wt__ctia_flush_rec *f = &st->fl[i];
        cJSON *e = cJSON_CreateObject(), *parts = pairs_json(f->parts, f->nparts);
        if (!e || !parts) {
            cJSON_Delete(e);
            cJSON_Delete(parts);
            goto out;
        }
        cJSON_AddNumberToObject(e, "after", (double)f->after);
        cJSON_AddNumberToObject(e, "before", (double)f->before);
        cJSON_AddBoolToObject(e, "done", f->done);
        cJSON_AddNumberToObject(e, "done_ms", (double)f->done_ms);
        cJSON_AddItemToObject(e, "parts", parts);
        cJSON_AddItemToArray(fl, e);
    }
    cJSON_AddItemToObject(o, "flushes", fl);
    fl = NULL;
    text = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(o);
    cJSON_Delete(fl);
    cJSON_Delete(next);
    return text;
}

/* An integer-valued JSON number within [lo, hi]. */
static bool int_of(const cJSON *n, double lo, double hi, int64_t *out)
{
    if (!cJSON_IsNumber(n) || n->valuedouble < lo || n->valuedouble > hi ||
        n->valuedouble != (double)(int64_t)n->valuedouble)
        return false;
    *out = (int64_t)n->valuedouble;
    return true;
}

/* [[bucket, part], ...] into a new array. */
static int pairs_parse(const cJSON *arr, struct wt__ctia_part_no **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr))
        return WT_EPARSE;
    int cnt = cJSON_GetArraySize(arr);
    if (cnt == 0)
        return 0;
    if (cnt > STATE_MAX_ENTRIES)
        return WT_EPARSE;
    struct wt__ctia_part_no *p = wt_calloc((size_t)cnt, sizeof(*p));
    if (!p)
        return -ENOMEM;
    size_t k = 0;
    for (const cJSON *e = arr->child; e; e = e->next, k++) {
        int64_t b, part;
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !int_of(e->child, -9e15, 9e15, &b) ||
            !int_of(e->child->next, 0, 4e9, &part)) {
            wt_free(p);
            return WT_EPARSE;
        }
        p[k] = (struct wt__ctia_part_no){b, (uint32_t)part};
    }
    *out = p;
    *n = k;
    return 0;
}

int wt__ctia_state_parse(struct wt__ctia_state *st, const char *text, size_t len, char *err,
                         size_t errlen)
{
    int rc = WT_EPARSE;
    struct wt__ctia_part_no *pairs = NULL;
    size_t n = 0;
    wt__ctia_state_init(st);
    cJSON *o = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(o, "flushes");
    if (!cJSON_IsObject(o) || !cJSON_IsNumber(ver) || ver->valuedouble != 1 || !cJSON_IsArray(fl) ||
        cJSON_GetArraySize(fl) > STATE_MAX_ENTRIES) {
        snprintf(err, errlen, "not a version 1 journal");
        goto out;
    }
    rc = pairs_parse(cJSON_GetObjectItemCaseSensitive(o, "next"), &pairs, &n);
    if (rc != 0) {
        snprintf(err, errlen, "next: must be [[bucket, part], ...]");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rc = wt__ctia_state_used(st, pairs[i].bucket, pairs[i].part ? pairs[i].part - 1 : 0);
        if (rc != 0)
            goto out;
        if (pairs[i].part == 0)
            st->next[next_find(st, pairs[i].bucket)].part = 0;
    }
    wt_free(pairs);
    pairs = NULL;
    for (const cJSON *f = fl->child; f; f = f->next) {
        int64_t after, before, done_ms = 0;
        const cJSON *done = cJSON_GetObjectItemCaseSensitive(f, "done");
        if (!int_of(cJSON_GetObjectItemCaseSensitive(f, "after"), 0, 9e15, &after) ||
            !int_of(cJSON_GetObjectItemCaseSensitive(f, "before"), -9e15, 9.3e18, &before) ||
            !cJSON_IsBool(done) ||
            (cJSON_GetObjectItemCaseSensitive(f, "done_ms") &&
             !int_of(cJSON_GetObjectItemCaseSensitive(f, "done_ms"), 0, 9e15, &done_ms))) {
            snprintf(err, errlen, "flushes: an entry without after, before and done");
            rc = WT_EPARSE;
            goto out;
        }
        rc = pairs_parse(cJSON_GetObjectItemCaseSensitive(f, "parts"), &pairs, &n);
        if (rc != 0) {
            snprintf(err, errlen, "flushes: parts must be [[bucket, part], ...]");
            goto out;
        }
        rc = wt__ctia_state_add(st, (uint64_t)after, before, pairs, n);
        pairs = NULL;
        if (rc != 0)
            goto out;
        st->fl[st->nfl - 1].done = cJSON_IsTrue(done);
        st->fl[st->nfl - 1].done_ms = done_ms;
    }
    rc = 0;
out:
    wt_free(pairs);
    cJSON_Delete(o);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc != 0)
        wt__ctia_state_close(st);
    return rc;
}
