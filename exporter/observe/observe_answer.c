/*
 * observe_answer.c - request decoding and the answers of the observe API,
 * without HTTP (shared with `wtexport lookup --json`). See observe.h.
 */
#include "observe.h"
#include "ctim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

void wt_observe_req_free(struct wt_observe_req *req)
{
    for (size_t i = 0; i < req->n; i++)
        wt_free(req->obs[i].value);
    wt_free(req->obs);
    req->obs = NULL;
    req->n = 0;
}

static bool have(const struct wt_observe_req *req, enum wt_obs_type t, const char *v, size_t len)
{
    for (size_t i = 0; i < req->n; i++) {
        if (req->obs[i].type == t && req->obs[i].len == len &&
            memcmp(req->obs[i].value, v, len) == 0)
            return true;
    }
    return false;
}

int wt_observe_decode(const char *body, size_t len, bool strip_query, struct wt_observe_req *req,
                      char *msg, size_t msglen)
{
    req->n = 0;
    req->obs = NULL;
    if (len > WT_OBSERVE_BODY_MAX) {
        snprintf(msg, msglen, "Invalid JSON payload received. The body is larger than %d bytes.",
                 WT_OBSERVE_BODY_MAX);
        return WT_EPARSE;
    }
    cJSON *doc = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsArray(doc)) {
        snprintf(msg, msglen, "Invalid JSON payload received. %s",
                 doc ? "Expected a list of observables." : "Not valid JSON.");
        cJSON_Delete(doc);
        return WT_EPARSE;
    }
    int n = cJSON_GetArraySize(doc);
    if (n > WT_OBSERVE_OBSERVABLES_MAX) {
        snprintf(msg, msglen, "Invalid JSON payload received. At most %d observables.",
                 WT_OBSERVE_OBSERVABLES_MAX);
        cJSON_Delete(doc);
        return WT_EPARSE;
    }
    req->obs = wt_calloc((size_t)n + 1, sizeof(*req->obs));
    if (!req->obs) {
        cJSON_Delete(doc);
        return -ENOMEM;
    }
    int i = 0, rc = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, doc)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");
        if (!cJSON_IsObject(it) || !cJSON_IsString(t) || !cJSON_IsString(v) || !t->valuestring[0] ||
            !v->valuestring[0]) {
            /* The relay modules' schema: both fields are required, non-empty strings. */
            snprintf(msg, msglen,
                     "Invalid JSON payload received. {\"%d\": {\"type\": [\"Missing data for "
                     "required field.\"], \"value\": [\"Missing data for required field.\"]}}",
                     i);
            rc = WT_EPARSE;
            break;
        }
        i++;
        enum wt_obs_type type;
        char buf[8192];
        struct wt_str tv = {t->valuestring, strlen(t->valuestring)};
        if (wt_index_type_from_str(tv, &type) != 0)
            continue; /* a type we hold nothing of: ignored */
        int l = wt_index_normalise(&type, (struct wt_str){v->valuestring, strlen(v->valuestring)},
                                   strip_query, buf, sizeof(buf));
        if (l <= 0 || have(req, type, buf, (size_t)l))
            continue; /* cannot have been seen, or asked twice */
        char *copy = wt_strndup(buf, (size_t)l);
        if (!copy) {
            rc = -ENOMEM;
            break;
        }
        req->obs[req->n++] = (struct wt_observe_obs){type, copy, (size_t)l};
    }
    cJSON_Delete(doc);
    if (rc)
        wt_observe_req_free(req);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Sightings                                                                */
/* ------------------------------------------------------------------------ */

char *wt_observe_expand(const char *tpl, enum wt_obs_type t, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t cap = strlen(tpl) + 3 * strlen(value) * 2 + 16, n = 0;
    char *out = wt_malloc(cap + 1);
    if (!out)
        return NULL;
    for (const char *p = tpl; *p;) {
        const char *v = NULL;
        if (strncmp(p, "{value}", 7) == 0) {
            v = value;
            p += 7;
        } else if (strncmp(p, "{type}", 6) == 0) {
            v = wt_obs_type_name(t);
            p += 6;
        } else {
            if (n < cap)
                out[n++] = *p;
            p++;
            continue;
        }
        for (; *v && n + 3 <= cap; v++) {
            unsigned char ch = (unsigned char)*v;
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '-' || ch == '.' || ch == '_' || ch == '~') {
                out[n++] = (char)ch;
            } else {
                out[n++] = '%';
                out[n++] = hex[ch >> 4];
                out[n++] = hex[ch & 15];
            }
        }
    }
    out[n] = '\0';
    return out;
}

/* One CTIM sighting of a bucket (or a merged range of buckets), into b. */
static void sighting(struct wt_tbuf *out, const struct wt_observe_obs *ob,
                     const struct wt_index_bucket *b, const struct wt_observe_answer_opts *o)
{
    struct wt_ctim_target tg[WT_INDEX_TOP_MAX];
    char addr[WT_INDEX_TOP_MAX][48];
    size_t nt = 0;
    for (unsigned i = 0; i < b->nclients && nt < o->top && nt < WT_CTIM_TARGETS_MAX; i++) {
        size_t n = wt_ip_text(b->client[i].addr, b->client[i].len, addr[nt]);
        if (n == 0)
            continue;
        tg[nt] = (struct wt_ctim_target){
            b->client[i].len == 4 ? WT_OBS_IP : WT_OBS_IPV6, {addr[nt], n}, b->client[i].count};
        nt++;
    }
    char verdicts[WT_INDEX_VERDICTS_MAX * (WT_INDEX_VERDICT_LEN + 2) + 1] = "";
    for (unsigned i = 0; i < b->nverdicts; i++) {
        strcat(verdicts, i ? ", " : "");
        strcat(verdicts, b->verdict[i]);
    }
    uint64_t listed = 0;
    for (size_t i = 0; i < nt; i++)
        listed += tg[i].count;
    char title[WT_CTIM_TEXT_MAX], desc[WT_CTIM_TEXT_MAX], id[64], ext[96];
    snprintf(title, sizeof(title), "Web proxy %s saw this %s", o->host, wt_obs_type_name(ob->type));
    snprintf(desc, sizeof(desc),
             "%llu request(s) through web proxy %s: %llu allowed, %llu blocked%s%s; %zu client(s) "
             "listed as targets with %llu of the requests (the busiest ones).",
             (unsigned long long)b->count, o->host, (unsigned long long)b->allowed,
             (unsigned long long)b->blocked, b->nverdicts ? "; AMP verdicts: " : "", verdicts, nt,
             (unsigned long long)(listed > b->count ? b->count : listed));
    uint64_t h = wt_fnv1a64(WT_FNV1A64_INIT, o->host, strlen(o->host));
    h = wt_fnv1a64(h, &ob->type, sizeof(ob->type));
    h = wt_fnv1a64(h, ob->value, ob->len);
    h = wt_fnv1a64(h, &b->start_ms, sizeof(b->start_ms));
    h = wt_fnv1a64(h, &b->end_ms, sizeof(b->end_ms));
    static const char hex[] = "0123456789abcdef";
    char hx[17];
    for (int i = 0; i < 16; i++)
        hx[i] = hex[(h >> (60 - 4 * i)) & 15];
    hx[16] = '\0';
    memcpy(id, "transient:sighting-", 19);
    memcpy(id + 19, hx, 17);
    memcpy(ext, "wtexport-sighting-", 18);
    memcpy(ext + 18, hx, 17);
    struct wt_ctim_sighting s = {
        .id = id,
        .external_id = ext,
        .type = ob->type,
        .value = {ob->value, ob->len},
        .count = b->count,
        .start_ms = b->first_ms,
        .end_ms = b->last_ms,
        .confidence = "High",
        .source = "wtexport",
        .source_uri = o->source_uri_expanded,
        .title = title,
        .description = desc,
        .tlp = "amber",
        .targets = tg,
        .ntargets = nt,
    };
    wt_ctim_sighting_write(out, &s);
}

/* Bytes left before the docs for {"data":{"sightings":{"count":N,"docs":[. */
#define ANSWER_GAP 64

struct answer {
    const struct wt_observe_req *req;
    struct wt_observe_answer_opts o;
    struct wt_tbuf docs;
    size_t ndocs;
    struct wt_index_bucket *m, *one; /* the range being merged, one decoded bucket */
};

/* One observable's buckets (newest first) as at most o.limit sightings. */
static int answer_one(void *ctx, size_t which, const struct wt_index_hit *hits, size_t n)
{
    struct answer *a = ctx;
    const struct wt_observe_obs *ob = &a->req->obs[which];
    size_t limit = a->o.limit ? a->o.limit : 1;
    size_t groups = n < limit ? n : limit;
    char *uri = NULL;
    if (groups && a->o.source_uri) {
        uri = wt_observe_expand(a->o.source_uri, ob->type, ob->value);
        if (!uri)
            return -ENOMEM;
    }
    a->o.source_uri_expanded = uri;
    /* Group g merges buckets [g*n/groups, (g+1)*n/groups): consecutive hours. */
    for (size_t g = 0; g < groups; g++) {
        size_t from = g * n / groups, to = (g + 1) * n / groups;
        wt_index_hits_merge(hits + from, to - from, a->o.top, a->m, a->one);
        if (a->m->count == 0)
            continue;
        if (a->ndocs++)
            WT_TBUF_LIT(&a->docs, ",");
        sighting(&a->docs, ob, a->m, &a->o);
    }
    wt_free(uri);
    a->o.source_uri_expanded = NULL;
    return a->docs.oom ? -ENOMEM : 0;
}

char *wt_observe_answer_text(struct wt_index *idx, const struct wt_observe_req *req,
                             const struct wt_observe_answer_opts *o, size_t *len)
{
    struct answer a = {.req = req, .o = *o};
    enum wt_obs_type *types = wt_malloc((req->n + 1) * sizeof(*types));
    struct wt_str *values = wt_malloc((req->n + 1) * sizeof(*values));
    a.m = wt_malloc(sizeof(*a.m));
    a.one = wt_malloc(sizeof(*a.one));
    int rc = types && values && a.m && a.one ? 0 : -ENOMEM;
    /* Room for the header, written when the count is known. */
    if (rc == 0 && wt_tbuf_reserve(&a.docs, 64 * 1024))
        a.docs.len = ANSWER_GAP;
    for (size_t i = 0; rc == 0 && i < req->n; i++) {
        types[i] = req->obs[i].type;
        values[i] = (struct wt_str){req->obs[i].value, req->obs[i].len};
    }
    if (rc == 0)
        rc = wt_index_lookup_many(idx, req->n, types, values, o->since_ms, o->until_ms, answer_one,
                                  &a);
    wt_free(types);
    wt_free(values);
    wt_free(a.m);
    wt_free(a.one);
    if (rc == 0 && a.ndocs == 0) {
        wt_tbuf_free(&a.docs);
        WT_TBUF_LIT(&a.docs, "{\"data\":{}}");
    } else if (rc == 0 && !a.docs.oom) {
        /* The header, now that the count is known, right before the docs
         * (in the gap left for it), then moved to the front: no second
         * buffer of the answer's size. */
        char hdr[ANSWER_GAP + 1];
        int h = snprintf(hdr, sizeof(hdr), "{\"data\":{\"sightings\":{\"count\":%zu,\"docs\":[",
                         a.ndocs);
        memcpy(a.docs.p + ANSWER_GAP - h, hdr, (size_t)h);
        memmove(a.docs.p, a.docs.p + ANSWER_GAP - h, a.docs.len - (ANSWER_GAP - (size_t)h));
        a.docs.len -= ANSWER_GAP - (size_t)h;
        WT_TBUF_LIT(&a.docs, "]}}}");
    }
    if (rc) {
        wt_tbuf_free(&a.docs);
        return NULL;
    }
    return wt_tbuf_take(&a.docs, len);
}

cJSON *wt_observe_sightings(struct wt_index *idx, const struct wt_observe_req *req,
                            const struct wt_observe_answer_opts *o)
{
    size_t len;
    char *text = wt_observe_answer_text(idx, req, o, &len);
    cJSON *doc = text ? cJSON_ParseWithLength(text, len) : NULL;
    wt_free(text);
    cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(doc, "data");
    cJSON_Delete(doc);
    return data;
}

cJSON *wt_observe_refer(const struct wt_observe_req *req, const char *refer_url)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && refer_url && i < req->n; i++) {
        const struct wt_observe_obs *ob = &req->obs[i];
        const char *tn = wt_obs_type_name(ob->type);
        char *url = wt_observe_expand(refer_url, ob->type, ob->value);
        char *idv = wt_observe_expand("{value}", ob->type, ob->value);
        cJSON *r = cJSON_CreateObject(), *cat = cJSON_CreateArray();
        char id[256], title[128], desc[160];
        snprintf(id, sizeof(id), "ref-wtexport-search-%s-%.200s", tn, idv ? idv : "");
        snprintf(title, sizeof(title), "Search for this %s", tn);
        snprintf(desc, sizeof(desc), "Look up this %s in the web proxy logs", tn);
        bool ok = url && idv && r && cat && cJSON_AddStringToObject(r, "id", id) &&
                  cJSON_AddStringToObject(r, "title", title) &&
                  cJSON_AddStringToObject(r, "description", desc) &&
                  cJSON_AddStringToObject(r, "url", url);
        if (ok) {
            cJSON_AddItemToArray(cat, cJSON_CreateString("Search"));
            cJSON_AddItemToArray(cat, cJSON_CreateString("wtexport"));
            cJSON_AddItemToObject(r, "categories", cat);
            cat = NULL;
            cJSON_AddItemToArray(arr, r);
            r = NULL;
        }
        cJSON_Delete(r);
        cJSON_Delete(cat);
        wt_free(url);
        wt_free(idv);
        if (!ok) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}
