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

/* A view as a new cJSON string (the view needs no NUL). */
static cJSON *str_of(struct wt_str v)
{
    char buf[WT_CTIM_TEXT_MAX * 8];
    if (v.len >= sizeof(buf)) {
        char *heap = wt_strndup(v.p, v.len);
        cJSON *o = heap ? cJSON_CreateString(heap) : NULL;
        wt_free(heap);
        return o;
    }
    memcpy(buf, v.p, v.len);
    buf[v.len] = '\0';
    return cJSON_CreateString(buf);
}

static cJSON *observable(enum wt_obs_type type, struct wt_str value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *v = str_of(value);
    if (!o || !v || !cJSON_AddStringToObject(o, "type", wt_ctim_obs_type(type))) {
        cJSON_Delete(o);
        cJSON_Delete(v);
        return NULL;
    }
    cJSON_AddItemToObject(o, "value", v);
    return o;
}

static cJSON *observed_time(int64_t start_ms, int64_t end_ms)
{
    char a[25], b[25];
    wt_iso8601_ms(start_ms, a);
    wt_iso8601_ms(end_ms, b);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "start_time", a) ||
        !cJSON_AddStringToObject(o, "end_time", b)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Add item to obj under name; false (item freed) when either is missing. */
static bool add(cJSON *obj, const char *name, cJSON *item)
{
    if (!item)
        return false;
    cJSON_AddItemToObject(obj, name, item);
    return true;
}

static cJSON *targets_json(const struct wt_ctim_sighting *s)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < s->ntargets && i < WT_CTIM_TARGETS_MAX; i++) {
        cJSON *t = cJSON_CreateObject(), *obs = cJSON_CreateArray();
        bool ok = t && obs && cJSON_AddStringToObject(t, "type", "endpoint");
        if (ok) {
            cJSON *one = observable(s->targets[i].type, s->targets[i].addr);
            ok = one != NULL;
            if (ok)
                cJSON_AddItemToArray(obs, one);
        }
        if (ok) {
            cJSON_AddItemToObject(t, "observables", obs);
            obs = NULL;
            ok = add(t, "observed_time", observed_time(s->start_ms, s->end_ms));
        }
        cJSON_Delete(obs);
        if (!ok) {
            cJSON_Delete(t);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, t);
    }
    return arr;
}

cJSON *wt_ctim_sighting_json(const struct wt_ctim_sighting *s)
{
    cJSON *o = cJSON_CreateObject(), *obs = cJSON_CreateArray();
    bool ok = o && obs;
    if (ok) {
        cJSON *one = observable(s->type, s->value);
        ok = one != NULL;
        if (ok)
            cJSON_AddItemToArray(obs, one);
    }
    if (ok) {
        cJSON_AddItemToObject(o, "observables", obs);
        obs = NULL;
    }
    ok = ok && cJSON_AddStringToObject(o, "type", "sighting") &&
         cJSON_AddNumberToObject(o, "count", (double)s->count) &&
         add(o, "observed_time", observed_time(s->start_ms, s->end_ms)) &&
         cJSON_AddStringToObject(o, "confidence", s->confidence ? s->confidence : "High") &&
         cJSON_AddStringToObject(o, "sensor", "network.proxy") &&
         cJSON_AddStringToObject(o, "source", s->source ? s->source : "wtexport") &&
         cJSON_AddBoolToObject(o, "internal", true) && add(o, "targets", targets_json(s)) &&
         cJSON_AddStringToObject(o, "tlp", s->tlp ? s->tlp : "amber");
    if (ok && s->id)
        ok = cJSON_AddStringToObject(o, "id", s->id) != NULL;
    if (ok && s->source_uri)
        ok = cJSON_AddStringToObject(o, "source_uri", s->source_uri) != NULL;
    if (ok && s->title)
        ok = cJSON_AddStringToObject(o, "title", s->title) != NULL;
    if (ok && s->description)
        ok = cJSON_AddStringToObject(o, "description", s->description) != NULL;
    if (ok && s->external_id) {
        cJSON *ids = cJSON_CreateArray(), *id = cJSON_CreateString(s->external_id);
        ok = ids && id;
        if (ok) {
            cJSON_AddItemToArray(ids, id);
            cJSON_AddItemToObject(o, "external_ids", ids);
        } else {
            cJSON_Delete(ids);
            cJSON_Delete(id);
        }
    }
    cJSON_Delete(obs);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
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

cJSON *wt_ctim_bundle_json(cJSON *sightings, const char *source)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !sightings || !cJSON_AddStringToObject(o, "type", "bundle") ||
        !cJSON_AddStringToObject(o, "source", source)) {
        cJSON_Delete(o);
        cJSON_Delete(sightings);
        return NULL;
    }
    cJSON_AddItemToObject(o, "sightings", sightings);
    return o;
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
