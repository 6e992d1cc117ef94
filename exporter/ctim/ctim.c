/*
 * ctim.c - the CTIM sighting encoder and checker (ctim.h).
 */
#include "ctim.h"

#include <stdio.h>
#include <string.h>

const char *wt_ctim_obs_type(enum wt_obs_type t)
{
    return wt_obs_type_name(t);
}

static void put_observable(struct wt_tbuf *b, enum wt_obs_type t, struct wt_str v)
{
    WT_TBUF_LIT(b, "{\"type\":\"");
    wt_tbuf_put(b, wt_ctim_obs_type(t), strlen(wt_ctim_obs_type(t))); /* a plain word */
    WT_TBUF_LIT(b, "\",\"value\":");
    wt_tbuf_json_str(b, v.p, v.len);
    WT_TBUF_LIT(b, "}");
}

static void put_str(struct wt_tbuf *b, const char *s)
{
    wt_tbuf_json_str(b, s, strlen(s));
}

void wt_ctim_sighting_write(struct wt_tbuf *b, const struct wt_ctim_sighting *s)
{
    /* The observed_time object, written once: every target repeats it. */
    char ot[96];
    struct wt_buf w = {ot, 0, sizeof(ot)};
    char a[25], e[25];
    wt_iso8601_ms(s->start_ms, a);
    wt_iso8601_ms(s->end_ms, e);
#define OT_LIT(lit) wt_buf_append(&w, "" lit, sizeof("" lit) - 1)
    OT_LIT("{\"start_time\":\"");
    wt_buf_append(&w, a, strlen(a));
    OT_LIT("\",\"end_time\":\"");
    wt_buf_append(&w, e, strlen(e));
    OT_LIT("\"}");
#undef OT_LIT

    WT_TBUF_LIT(b, "{\"observables\":[");
    put_observable(b, s->type, s->value);
    WT_TBUF_LIT(b, "],\"type\":\"sighting\",\"count\":");
    wt_tbuf_u64(b, s->count);
    WT_TBUF_LIT(b, ",\"observed_time\":");
    wt_tbuf_put(b, ot, w.len);
    WT_TBUF_LIT(b, ",\"confidence\":");
    put_str(b, s->confidence ? s->confidence : "High");
    WT_TBUF_LIT(b, ",\"sensor\":\"network.proxy\",\"source\":");
    put_str(b, s->source ? s->source : "wtexport");
    WT_TBUF_LIT(b, ",\"internal\":true,\"targets\":[");
    for (size_t i = 0; i < s->ntargets && i < WT_CTIM_TARGETS_MAX; i++) {
        if (i)
            WT_TBUF_LIT(b, ",");
        WT_TBUF_LIT(b, "{\"type\":\"endpoint\",\"observables\":[");
        put_observable(b, s->targets[i].type, s->targets[i].addr);
        WT_TBUF_LIT(b, "],\"observed_time\":");
        wt_tbuf_put(b, ot, w.len);
        WT_TBUF_LIT(b, "}");
    }
    WT_TBUF_LIT(b, "],\"tlp\":");
    put_str(b, s->tlp ? s->tlp : "amber");
    if (s->id) {
        WT_TBUF_LIT(b, ",\"id\":");
        put_str(b, s->id);
    }
    if (s->source_uri) {
        WT_TBUF_LIT(b, ",\"source_uri\":");
        put_str(b, s->source_uri);
    }
    if (s->title) {
        WT_TBUF_LIT(b, ",\"title\":");
        put_str(b, s->title);
    }
    if (s->description) {
        WT_TBUF_LIT(b, ",\"description\":");
        put_str(b, s->description);
    }
    if (s->external_id) {
        WT_TBUF_LIT(b, ",\"external_ids\":[");
        put_str(b, s->external_id);
        WT_TBUF_LIT(b, "]");
    }
    WT_TBUF_LIT(b, "}");
}

/* ------------------------------------------------------------------------ */
/* Checks                                                                   */
/* ------------------------------------------------------------------------ */

#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return false;                                                                              \
    } while (0)

static bool one_of(const char *v, const char *const *set)
{
    for (; v && *set; set++) {
        if (strcmp(v, *set) == 0)
            return true;
    }
    return false;
}

bool wt_ctim_time_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, n = 0;
    unsigned frac = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        n != 19)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        int k = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, k++) {
            if (k < 3)
                frac = frac * 10 + (unsigned)(*p - '0');
        }
        if (k == 0)
            return false;
        for (; k < 3; k++)
            frac *= 10;
    }
    if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return false;
    /* Days from civil (H. Hinnant). */
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (unsigned)((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
    *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000) + frac;
    return true;
}

static bool check_observable(const cJSON *o, const char *where, char *err, size_t errlen)
{
    static const char *const types[] = {"ip", "ipv6", "domain", "url", "sha256", NULL};
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "type"));
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "value"));
    if (!cJSON_IsObject(o))
        BAD("%s: must be an object", where);
    if (!one_of(t, types))
        BAD("%s.type: must be ip, ipv6, domain, url or sha256", where);
    if (!v || !v[0])
        BAD("%s.value: must be a non-empty string", where);
    return true;
}

static bool check_time(const cJSON *o, const char *where, char *err, size_t errlen)
{
    int64_t a, b;
    const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "start_time"));
    const char *en = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "end_time"));
    if (!cJSON_IsObject(o))
        BAD("%s: must be an object", where);
    if (!wt_ctim_time_parse(st, &a))
        BAD("%s.start_time: must be an ISO 8601 UTC time", where);
    if (en && !wt_ctim_time_parse(en, &b))
        BAD("%s.end_time: must be an ISO 8601 UTC time", where);
    if (en && b < a)
        BAD("%s.end_time: before start_time", where);
    return true;
}

bool wt_ctim_sighting_check(const cJSON *o, char *err, size_t errlen)
{
    static const char *const confidences[] = {"High", "Medium", "Low", "None", "Unknown", NULL};
    static const char *const tlps[] = {"white", "green", "amber", "red", NULL};
    char where[64];

    if (!cJSON_IsObject(o))
        BAD("a sighting must be an object");
    if (!one_of(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "type")),
                (const char *const[]){"sighting", NULL}))
        BAD("type: must be \"sighting\"");
    if (cJSON_GetObjectItemCaseSensitive(o, "schema_version"))
        BAD("schema_version: not written by wtexport (CTIA sets it)");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(o, "count");
    if (!cJSON_IsNumber(count) || count->valuedouble < 1 ||
        count->valuedouble != (double)(int64_t)count->valuedouble)
        BAD("count: must be an integer >= 1");
    if (!check_time(cJSON_GetObjectItemCaseSensitive(o, "observed_time"), "observed_time", err,
                    errlen))
        return false;
    if (!one_of(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "confidence")),
                confidences))
        BAD("confidence: must be High, Medium, Low, None or Unknown");
    if (!one_of(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "sensor")),
                (const char *const[]){"network.proxy", NULL}))
        BAD("sensor: must be \"network.proxy\"");
    const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "source"));
    if (!src || !src[0])
        BAD("source: must be a non-empty string");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "internal")))
        BAD("internal: must be true");
    const char *tlp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "tlp"));
    if (tlp && !one_of(tlp, tlps))
        BAD("tlp: must be white, green, amber or red");
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(o, "observables");
    if (!cJSON_IsArray(obs) || cJSON_GetArraySize(obs) != 1)
        BAD("observables: must be an array of one observable");
    if (!check_observable(obs->child, "observables[0]", err, errlen))
        return false;
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(o, "targets");
    if (targets && (!cJSON_IsArray(targets) || cJSON_GetArraySize(targets) > WT_CTIM_TARGETS_MAX))
        BAD("targets: must be an array of at most %d", WT_CTIM_TARGETS_MAX);
    int i = 0;
    for (const cJSON *t = targets ? targets->child : NULL; t; t = t->next, i++) {
        snprintf(where, sizeof(where), "targets[%d]", i);
        if (!cJSON_IsObject(t) ||
            !one_of(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "type")),
                    (const char *const[]){"endpoint", NULL}))
            BAD("%s.type: must be \"endpoint\"", where);
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(t, "observables");
        if (!cJSON_IsArray(to) || cJSON_GetArraySize(to) < 1)
            BAD("%s.observables: must be a non-empty array", where);
        for (const cJSON *x = to->child; x; x = x->next) {
            if (!check_observable(x, where, err, errlen))
                return false;
        }
        if (!check_time(cJSON_GetObjectItemCaseSensitive(t, "observed_time"), where, err, errlen))
            return false;
    }
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(o, "external_ids");
    if (ids && !cJSON_IsArray(ids))
        BAD("external_ids: must be an array of strings");
    for (const cJSON *x = ids ? ids->child : NULL; x; x = x->next) {
        if (!cJSON_IsString(x))
            BAD("external_ids: must be an array of strings");
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (id && !cJSON_IsString(id))
        BAD("id: must be a string");
    return true;
}

/* ------------------------------------------------------------------------ */
/* Bundles                                                                  */
/* ------------------------------------------------------------------------ */

void wt_ctim_bundle_begin(struct wt_tbuf *b, const char *source)
{
    WT_TBUF_LIT(b, "{\"type\":\"bundle\",\"source\":");
    put_str(b, source);
    WT_TBUF_LIT(b, ",\"sightings\":[");
}

void wt_ctim_bundle_end(struct wt_tbuf *b)
{
    WT_TBUF_LIT(b, "]}");
}

bool wt_ctim_bundle_check(const cJSON *o, size_t max, char *err, size_t errlen)
{
    if (max > WT_CTIM_BUNDLE_MAX)
        max = WT_CTIM_BUNDLE_MAX;
    if (!cJSON_IsObject(o))
        BAD("a bundle must be an object");
    if (!one_of(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "type")),
                (const char *const[]){"bundle", NULL}))
        BAD("type: must be \"bundle\"");
    const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "source"));
    if (!src || !src[0])
        BAD("source: must be a non-empty string");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "sightings");
    if (!cJSON_IsArray(s) || cJSON_GetArraySize(s) < 1)
        BAD("sightings: must be a non-empty array");
    if ((size_t)cJSON_GetArraySize(s) > max)
        BAD("sightings: %d entities, more than %zu", cJSON_GetArraySize(s), max);
    for (const cJSON *m = o->child; m; m = m->next) {
        if (cJSON_IsArray(m) && m->string && strcmp(m->string, "sightings") != 0)
            BAD("%s: only sightings are imported by wtexport", m->string);
    }
    return true;
}
