/*
 * observe_answer.c - request decoding and the answers of the observe API,
 * without HTTP (shared with `wtexport lookup --json`). See observe.h.
 */
#include "observe.h"
#include "ctim.h"

#include <arpa/inet.h>
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

struct collect {
    struct wt_index_bucket *b; /* WT_INDEX_BUCKETS_MAX */
    size_t n;
};

static int collect_cb(void *ctx, const struct wt_index_bucket *b)
{
    struct collect *c = ctx;
    if (c->n < WT_INDEX_BUCKETS_MAX)
        c->b[c->n++] = *b;
    return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

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

/* One CTIM sighting of a bucket (or a merged range of buckets). */
static cJSON *sighting(const struct wt_observe_obs *ob, const struct wt_index_bucket *b,
                       const struct wt_observe_answer_opts *o)
{
    struct wt_ctim_target tg[WT_INDEX_TOP_MAX];
    char addr[WT_INDEX_TOP_MAX][48];
    size_t nt = 0;
    for (unsigned i = 0; i < b->nclients && nt < o->top && nt < WT_CTIM_TARGETS_MAX; i++) {
        int af = b->client[i].len == 4 ? AF_INET : AF_INET6;
        if (!inet_ntop(af, b->client[i].addr, addr[nt], sizeof(addr[nt])))
            continue;
        tg[nt] = (struct wt_ctim_target){af == AF_INET ? WT_OBS_IP : WT_OBS_IPV6,
                                         {addr[nt], strlen(addr[nt])},
                                         b->client[i].count};
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
    uint64_t h = fnv(0xcbf29ce484222325ULL, o->host, strlen(o->host));
    h = fnv(h, &ob->type, sizeof(ob->type));
    h = fnv(h, ob->value, ob->len);
    h = fnv(h, &b->start_ms, sizeof(b->start_ms));
    h = fnv(h, &b->end_ms, sizeof(b->end_ms));
    snprintf(id, sizeof(id), "transient:sighting-%016llx", (unsigned long long)h);
    snprintf(ext, sizeof(ext), "wtexport-sighting-%016llx", (unsigned long long)h);
    char *uri = o->source_uri ? wt_observe_expand(o->source_uri, ob->type, ob->value) : NULL;
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
        .source_uri = uri,
        .title = title,
        .description = desc,
        .tlp = "amber",
        .targets = tg,
        .ntargets = nt,
    };
    cJSON *j = wt_ctim_sighting_json(&s);
    wt_free(uri);
    return j;
}

/* Add an observable's sightings to docs. */
static int observe_one(struct wt_index *idx, const struct wt_observe_obs *ob,
                       const struct wt_observe_answer_opts *o, struct collect *c, cJSON *docs)
{
    c->n = 0;
    int rc = wt_index_lookup(idx, ob->type, (struct wt_str){ob->value, ob->len}, o->since_ms,
                             o->until_ms, collect_cb, c);
    if (rc)
        return rc;
    size_t limit = o->limit ? o->limit : 1;
    size_t groups = c->n < limit ? c->n : limit;
    /* Newest first; group g takes buckets [g*n/groups, (g+1)*n/groups). */
    for (size_t g = 0; g < groups; g++) {
        size_t from = g * c->n / groups, to = (g + 1) * c->n / groups;
        struct wt_index_bucket *m = &c->b[from];
        for (size_t k = from + 1; k < to; k++)
            wt_index_bucket_merge(m, &c->b[k], o->top);
        cJSON *s = sighting(ob, m, o);
        if (!s)
            return -ENOMEM;
        cJSON_AddItemToArray(docs, s);
    }
    return 0;
}

cJSON *wt_observe_sightings(struct wt_index *idx, const struct wt_observe_req *req,
                            const struct wt_observe_answer_opts *o)
{
    struct collect c = {wt_malloc(WT_INDEX_BUCKETS_MAX * sizeof(*c.b)), 0};
    cJSON *data = cJSON_CreateObject(), *docs = cJSON_CreateArray();
    int rc = c.b && data && docs ? 0 : -ENOMEM;
    for (size_t i = 0; i < req->n && rc == 0; i++)
        rc = observe_one(idx, &req->obs[i], o, &c, docs);
    wt_free(c.b);
    if (rc) {
        cJSON_Delete(data);
        cJSON_Delete(docs);
        return NULL;
    }
    int n = cJSON_GetArraySize(docs);
    if (n == 0) {
        cJSON_Delete(docs);
        return data;
    }
    cJSON *s = cJSON_AddObjectToObject(data, "sightings");
    if (!s || !cJSON_AddNumberToObject(s, "count", n)) {
        cJSON_Delete(data);
        cJSON_Delete(docs);
        return NULL;
    }
    cJSON_AddItemToObject(s, "docs", docs);
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
