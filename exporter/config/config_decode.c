/*
 * config_decode.c - the config engine's decoder: a JSON document into
 * struct wt_config by the key tables (config_keys.h). Durations and sizes
 * as written in the config, error messages with the key's path and what a
 * valid value is, defaults, objects, typed entries (sinks, inputs) whose
 * type picks the second table, arrays and maps. The rules across keys, and
 * parsing, loading and freeing a whole document, are in config.c.
 *
 * Config is decoded on one thread (start, SIGHUP); nothing here is shared.
 */
#include "config.h"
#include "config_int.h"
#include "config_keys.h"
#include "wt_common.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of an unknown key name quoted in its error. */
#define KEY_NAME_SHOWN 48

/* ------------------------------------------------------------------------ */
/* Durations and sizes                                                      */
/* ------------------------------------------------------------------------ */

struct unit {
    const char *name;
    uint64_t mult;
};

/* Largest first: formatting picks the first unit that divides exactly. */
static const struct unit dur_units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000},
                                        {"s", 1000},     {"ms", 1},      {NULL, 0}};
static const struct unit size_units[] = {
    {"GiB", 1024 * 1024 * 1024}, {"MiB", 1024 * 1024}, {"KiB", 1024}, {"B", 1}, {NULL, 0}};

/* "<digits><unit>" with a unit of the list; value * mult <= max. */
static int parse_with_unit(const char *s, const struct unit *units, uint64_t max, uint64_t *out)
{
    size_t nd = strspn(s, "0123456789");
    uint64_t v;

    if (nd == 0 || wt_str_to_u64((struct wt_str){s, nd}, &v) != 0)
        return WT_EPARSE;
    for (const struct unit *u = units; u->name; u++) {
        if (strcmp(s + nd, u->name) == 0) {
            if (v > max / u->mult)
                return WT_EPARSE;
            *out = v * u->mult;
            return 0;
        }
    }
    return WT_EPARSE;
}

int wt_parse_duration_ms(const char *s, int64_t *out_ms)
{
    uint64_t v;
    int rc = parse_with_unit(s, dur_units, INT64_MAX, &v);
    if (rc == 0)
        *out_ms = (int64_t)v;
    return rc;
}

int wt_parse_size(const char *s, uint64_t *out)
{
    return parse_with_unit(s, size_units, UINT64_MAX, out);
}

static void fmt_with_unit(uint64_t v, const struct unit *units, char *buf, size_t cap)
{
    const struct unit *u = units;
    while (u[1].name && (v == 0 || v % u->mult != 0))
        u++;
    snprintf(buf, cap, "%llu%s", (unsigned long long)(v / u->mult), u->name);
}

void wt__cfg_fmt_duration(int64_t ms, char *buf, size_t cap)
{
    if (ms == 0)
        snprintf(buf, cap, "0s"); /* reads better than "0ms" */
    else
        fmt_with_unit((uint64_t)ms, dur_units, buf, cap);
}

void wt_cfg_fmt_size(uint64_t bytes, char *buf, size_t cap)
{
    fmt_with_unit(bytes, size_units, buf, cap);
}

/* A K_FRAC value (millionths) as a JSON number: 250000 -> "0.25". */
void wt__cfg_fmt_frac(int64_t ppm, char *buf, size_t cap)
{
    snprintf(buf, cap, "%g", (double)ppm / 1e6);
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) void wt__cfg_err_add(struct wt_config_errors *errs,
                                                           const char *path, const char *fmt, ...)
{
    if (errs->n >= WT_CFG_MAX_ERRORS) {
        errs->dropped++;
        return;
    }
    char *m = errs->msg[errs->n++];
    size_t cap = sizeof(errs->msg[0]);
    int n = path && path[0] ? snprintf(m, cap, "%s: ", path) : 0;
    if (n < 0 || (size_t)n >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
}

void wt_cfg_error(struct wt_cfg_ctx *c, const char *path, const char *fmt, ...)
{
    char msg[sizeof(c->errs->msg[0])];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wt__cfg_err_add(c->errs, path, "%s", msg);
}

static void mark_failed(struct wt_cfg_ctx *c, const void *value)
{
    if (c->nfailed < WT_CFG_NKEYS(c->failed))
        c->failed[c->nfailed++] = value;
    else
        c->failed_overflow = true;
}

bool wt_cfg_failed(const struct wt_cfg_ctx *c, const void *value)
{
    if (c->failed_overflow)
        return true;
    for (size_t i = 0; i < c->nfailed; i++) {
        if (c->failed[i] == value)
            return true;
    }
    return false;
}

/* What a valid value of k is, after "must be ". */
static void want_text(const struct wt_cfg_key *k, char *buf, size_t cap)
{
    char lo[32], hi[32], def[32];

    switch (k->type) {
    case K_STR:
        snprintf(buf, cap, "%s", k->want);
        break;
    case K_BOOL:
        snprintf(buf, cap, "true or false");
        break;
    case K_INT:
        snprintf(buf, cap, "an integer from %lld to %lld", (long long)k->min, (long long)k->max);
        break;
    case K_DUR:
        wt__cfg_fmt_duration(k->min, lo, sizeof(lo));
        wt__cfg_fmt_duration(k->max, hi, sizeof(hi));
        wt__cfg_fmt_duration(k->def, def, sizeof(def));
        snprintf(buf, cap, "a duration from %s to %s (e.g. \"%s\")", lo, hi, def);
        break;
    case K_SIZE:
        wt_cfg_fmt_size((uint64_t)k->min, lo, sizeof(lo));
        wt_cfg_fmt_size((uint64_t)k->max, hi, sizeof(hi));
        wt_cfg_fmt_size((uint64_t)k->def, def, sizeof(def));
        snprintf(buf, cap,
                 "a size from %s to %s (e.g. \"%s\"; units B, KiB, MiB, GiB, not KB, MB, GB)", lo,
                 hi, def);
        break;
    case K_ENUM: {
        size_t n = 0, len = 0;
        while (k->enums[n].name)
            n++;
        buf[0] = '\0';
        for (size_t i = 0; i < n && len < cap; i++) {
            const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
            int w = snprintf(buf + len, cap - len, "%s\"%s\"", sep, k->enums[i].name);
            len += w > 0 ? (size_t)w : 0;
        }
        break;
    }
    case K_OBJ:
        snprintf(buf, cap, "an object");
        break;
    case K_EMBED:
        buf[0] = '\0'; /* never decoded itself: its keys are */
        break;
    case K_MAP:
        snprintf(buf, cap, "an object of at most %lld %s (string, number or boolean values)",
                 (long long)k->max, k->want);
        break;
    case K_ARR:
        snprintf(buf, cap, "an array of %lld to %lld objects", (long long)k->min,
                 (long long)k->max);
        break;
    case K_FRAC:
        wt__cfg_fmt_frac(k->min, lo, sizeof(lo));
        wt__cfg_fmt_frac(k->max, hi, sizeof(hi));
        snprintf(buf, cap, "a number from %s to %s", lo, hi);
        break;
    }
}

static void err_want(struct wt_cfg_ctx *c, const char *path, const struct wt_cfg_key *k)
{
    char want[200];
    want_text(k, want, sizeof(want));
    wt__cfg_err_add(c->errs, path, "must be %s", want);
}

/* "prefix.name" or "name" at the top. */
static void key_path(char *buf, const char *prefix, const char *name)
{
    snprintf(buf, WT_CFG_PATH_MAX, "%s%s%s", prefix, prefix[0] ? "." : "", name);
}

/* A key name from the document, fit to print: escaped and cut. */
static void shown_name(const char *name, char *buf, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 8 < cap; p++) {
        if (o >= KEY_NAME_SHOWN) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
    }
    buf[o] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

static void store_num(void *p, enum wt_cfg_store st, int64_t v)
{
    switch (st) {
    case S_BOOL:
        *(bool *)p = v != 0;
        break;
    case S_INT:
        *(int *)p = (int)v;
        break;
    case S_U32:
        *(uint32_t *)p = (uint32_t)v;
        break;
    case S_I64:
        *(int64_t *)p = v;
        break;
    case S_SIZE:
        *(size_t *)p = (size_t)v;
        break;
    case S_DBL:
        *(double *)p = (double)v / 1e6; /* K_FRAC: millionths */
        break;
    case S_NONE:
        break; /* a key whose value is taken elsewhere (a sink's type) */
    default:
        assert(!"not a number");
    }
}

void wt_cfg_set_str(struct wt_cfg_ctx *c, char **p, const char *v)
{
    char *d = wt_strdup(v);
    if (!d) {
        c->nomem = true;
        return;
    }
    wt_free(*p);
    *p = d;
}

/* Doubles beyond 2^53 are not exact integers; the ranges are far below. */
#define JSON_INT_MAX 9007199254740992.0

static bool json_integer(const cJSON *it, int64_t *v)
{
    if (!cJSON_IsNumber(it))
        return false;
    double d = it->valuedouble;
    if (!(d >= -JSON_INT_MAX && d <= JSON_INT_MAX) || (double)(int64_t)d != d)
        return false;
    *v = (int64_t)d;
    return true;
}

/* A number or string node as the number of k's type; false if invalid. */
static bool scalar_value(const cJSON *it, const struct wt_cfg_key *k, int64_t *v)
{
    switch (k->type) {
    case K_BOOL:
        if (!cJSON_IsBool(it))
            return false;
        *v = cJSON_IsTrue(it) ? 1 : 0;
        return true;
    case K_ENUM:
        if (!cJSON_IsString(it) || !it->valuestring)
            return false;
        for (const struct wt_cfg_enum *e = k->enums; e->name; e++) {
            if (strcmp(it->valuestring, e->name) == 0) {
                *v = e->value;
                return true;
            }
        }
        return false;
    case K_INT:
        if (!json_integer(it, v))
            return false;
        break;
    case K_DUR:
        if (cJSON_IsString(it) && it->valuestring) {
            if (wt_parse_duration_ms(it->valuestring, v) != 0)
                return false;
        } else if (cJSON_IsNumber(it)) {
            /* Seconds, possibly fractional, rounded to the millisecond. */
            double s = it->valuedouble;
            if (!(s >= 0 && s <= JSON_INT_MAX / 1000))
                return false;
            *v = (int64_t)(s * 1000.0 + 0.5);
        } else {
            return false;
        }
        break;
    case K_FRAC:
        if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 && it->valuedouble <= 1.0))
            return false;
        *v = (int64_t)(it->valuedouble * 1e6 + 0.5);
        break;
    case K_SIZE:
        if (cJSON_IsString(it) && it->valuestring) {
            uint64_t u;
            if (wt_parse_size(it->valuestring, &u) != 0 || u > INT64_MAX)
                return false;
            *v = (int64_t)u;
        } else if (!json_integer(it, v)) {
            return false;
        }
        break;
    default:
        assert(!"not a scalar");
        return false;
    }
    return *v >= k->min && *v <= k->max;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                 */
/* ------------------------------------------------------------------------ */

static void decode_value(struct wt_cfg_ctx *c, const cJSON *it, const char *path, char *base,
                         const struct wt_cfg_key *k);

void wt__cfg_apply_defaults(struct wt_cfg_ctx *c, char *base, const struct wt_cfg_obj *o)
{
    for (size_t i = 0; i < o->nkeys; i++) {
        const struct wt_cfg_key *k = &o->keys[i];
        switch (k->type) {
        case K_OBJ:
        case K_EMBED:
            wt__cfg_apply_defaults(c, base + k->off, k->sub);
            break;
        case K_ARR:
        case K_MAP:
            break; /* entries get theirs when decoded */
        case K_STR:
            if (k->def_str)
                wt_cfg_set_str(c, (char **)(base + k->off), k->def_str);
            break;
        default:
            if (!(k->flags & F_REQUIRED))
                store_num(base + k->off, k->store, k->def);
        }
    }
}

/* An F_LIST array: non-empty strings without commas, joined with ",". */
static bool join_list(const cJSON *arr, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const cJSON *e = arr->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !e->valuestring || !e->valuestring[0] ||
            strchr(e->valuestring, ','))
            return false;
        size_t n = strlen(e->valuestring);
        if (len + (len > 0) + n >= cap)
            return false;
        if (len > 0)
            buf[len++] = ',';
        memcpy(buf + len, e->valuestring, n + 1);
        len += n;
    }
    return len > 0;
}

/* First child named exactly name (cJSON_GetObjectItem ignores case). */
static const cJSON *child(const cJSON *obj, const char *name)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (it->string && strcmp(it->string, name) == 0)
            return it;
    }
    return NULL;
}

/* The key called name in tabs[0..ntabs), at tabs[*t]->keys[*i]; NULL if none. */
static const struct wt_cfg_key *find_key(const struct wt_cfg_obj *const *tabs, size_t ntabs,
                                         const char *name, size_t *t, size_t *i)
{
    for (*t = 0; *t < ntabs; (*t)++) {
        assert(tabs[*t]->nkeys <= WT_CFG_OBJ_MAX_KEYS);
        for (*i = 0; *i < tabs[*t]->nkeys; (*i)++) {
            if (tabs[*t]->keys[*i].type != K_EMBED && strcmp(tabs[*t]->keys[*i].name, name) == 0)
                return &tabs[*t]->keys[*i];
        }
    }
    return NULL;
}

/* The tables of an object: tabs[] and the blocks they embed (K_EMBED),
 * each with its base, into xtabs/xbases. @returns how many. */
static size_t with_embedded(char *const *bases, const struct wt_cfg_obj *const *tabs, size_t ntabs,
                            char **xbases, const struct wt_cfg_obj **xtabs)
{
    size_t n = 0;
    for (size_t t = 0; t < ntabs; t++) {
        xbases[n] = bases[t];
        xtabs[n++] = tabs[t];
        for (size_t i = 0; i < tabs[t]->nkeys; i++) {
            if (tabs[t]->keys[i].type != K_EMBED)
                continue;
            assert(n < 2 * (1 + WT_CFG_MAX_EMBED));
            xbases[n] = bases[t] + tabs[t]->keys[i].off;
            xtabs[n++] = tabs[t]->keys[i].sub;
        }
    }
    return n;
}

/*
 * Decode the members of obj by the keys of tabs[0..ntabs) and of the blocks
 * they embed, each into its base: unknown keys, duplicates and missing
 * required keys are errors.
 */
void wt__cfg_decode_obj(struct wt_cfg_ctx *c, const cJSON *obj, const char *path,
                        char *const *in_bases, const struct wt_cfg_obj *const *in_tabs,
                        size_t in_ntabs)
{
    bool seen[2 * (1 + WT_CFG_MAX_EMBED)][WT_CFG_OBJ_MAX_KEYS] = {{false}};
    char kp[WT_CFG_PATH_MAX];
    char *bases[2 * (1 + WT_CFG_MAX_EMBED)];
    const struct wt_cfg_obj *tabs[2 * (1 + WT_CFG_MAX_EMBED)];

    assert(in_ntabs <= 2);
    size_t ntabs = with_embedded(in_bases, in_tabs, in_ntabs, bases, tabs);
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        size_t t, i;
        const struct wt_cfg_key *k = find_key(tabs, ntabs, name, &t, &i);
        if (!k) {
            char shown[KEY_NAME_SHOWN * 4 + 8];
            if (name[0])
                shown_name(name, shown, sizeof(shown));
            else
                snprintf(shown, sizeof(shown), "\"\"");
            key_path(kp, path, shown);
            wt__cfg_err_add(c->errs, kp, "unknown key");
            continue;
        }
        key_path(kp, path, k->name);
        if (seen[t][i]) {
            wt__cfg_err_add(c->errs, kp, "duplicate key");
            continue;
        }
        seen[t][i] = true;
        decode_value(c, it, kp, bases[t], k);
    }
    for (size_t t = 0; t < ntabs; t++) {
        for (size_t i = 0; i < tabs[t]->nkeys; i++) {
            if ((tabs[t]->keys[i].flags & F_REQUIRED) && !seen[t][i]) {
                key_path(kp, path, tabs[t]->keys[i].name);
                wt__cfg_err_add(c->errs, kp, "required");
            }
        }
    }
}

/* A typed entry (a sink, an input): its type picks the second key table
 * and the struct of its options. */
static void decode_typed(struct wt_cfg_ctx *c, const cJSON *el, const char *path, char *base,
                         const struct wt_cfg_obj *o)
{
    const struct wt_cfg_typed *ty = o->typed;
    const void **type = (const void **)(void *)(base + ty->type_off);
    void **opts = (void **)(void *)(base + ty->opts_off);
    char **source = (char **)(void *)(base + ty->source_off);
    const struct wt_cfg_key *tk = &o->keys[0];
    const cJSON *t = child(el, tk->name);
    char kp[WT_CFG_PATH_MAX];
    int64_t v = tk->def;

    assert(strcmp(tk->name, "type") == 0);
    key_path(kp, path, tk->name);
    if (!t && (tk->flags & F_REQUIRED)) {
        wt__cfg_err_add(c->errs, kp, "required");
        return;
    }
    if (t && !scalar_value(t, tk, &v)) {
        err_want(c, kp, tk);
        return; /* the other keys depend on the type */
    }
    *type = ty->type_at((size_t)v);
    const struct wt_cfg_obj *keys = ty->keys_of(*type);
    *opts = wt_calloc(1, keys->size);
    if (!*opts) {
        c->nomem = true;
        *type = NULL;
        return;
    }
    wt__cfg_apply_defaults(c, *opts, keys);
    char *const bases[] = {base, *opts};
    const struct wt_cfg_obj *const tabs[] = {o, keys};
    wt__cfg_decode_obj(c, el, path, bases, tabs, 2);
    /* The entry as written, so a reload can tell whether it changed. */
    cJSON_free(*source);
    *source = cJSON_PrintUnformatted(el);
    if (!*source)
        c->nomem = true;
}

static void decode_array(struct wt_cfg_ctx *c, const cJSON *it, const char *path, char *base,
                         const struct wt_cfg_key *k)
{
    int n = cJSON_GetArraySize(it);
    if (n < k->min || n > k->max)
        err_want(c, path, k);
    /* Entries beyond the maximum are not decoded: the count is the error. */
    size_t i = 0;
    for (const cJSON *el = it->child; el && i < (size_t)k->max; el = el->next, i++) {
        char ep[WT_CFG_PATH_MAX];
        char *eb = base + k->off + i * k->sub->size;
        snprintf(ep, sizeof(ep), "%s[%zu]", path, i);
        if (!cJSON_IsObject(el)) {
            wt__cfg_err_add(c->errs, ep, "must be an object");
            continue;
        }
        wt__cfg_apply_defaults(c, eb, k->sub);
        if (k->sub->typed) {
            decode_typed(c, el, ep, eb, k->sub);
        } else {
            char *const bases[] = {eb};
            const struct wt_cfg_obj *const tabs[] = {k->sub};
            wt__cfg_decode_obj(c, el, ep, bases, tabs, 1);
        }
    }
    *(size_t *)(base + k->count_off) = i;
}

/* A K_MAP object: each member a string, number or boolean, judged by k->check_pair. */
static void decode_map(struct wt_cfg_ctx *c, const cJSON *obj, const char *path, char *base,
                       const struct wt_cfg_key *k)
{
    struct wt_cfg_pair *pv = (struct wt_cfg_pair *)(void *)(base + k->off);
    size_t *n = (size_t *)(base + k->count_off);
    char kp[WT_CFG_PATH_MAX], shown[KEY_NAME_SHOWN * 4 + 8], num[64], msg[200];

    if (cJSON_GetArraySize(obj) > k->max) {
        err_want(c, path, k);
        mark_failed(c, pv);
        return;
    }
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        const char *v = NULL;
        int64_t iv;
        if (name[0])
            shown_name(name, shown, sizeof(shown));
        else
            snprintf(shown, sizeof(shown), "\"\"");
        key_path(kp, path, shown);
        bool dup = false;
        for (size_t j = 0; j < *n && !dup; j++)
            dup = strcmp(pv[j].name, name) == 0;
        if (dup) {
            wt__cfg_err_add(c->errs, kp, "duplicate key");
            continue;
        }
        if (cJSON_IsString(it) && it->valuestring) {
            v = it->valuestring;
        } else if (cJSON_IsBool(it)) {
            v = cJSON_IsTrue(it) ? "true" : "false";
        } else if (json_integer(it, &iv)) {
            snprintf(num, sizeof(num), "%lld", (long long)iv);
            v = num;
        } else if (cJSON_IsNumber(it)) {
            snprintf(num, sizeof(num), "%.15g", it->valuedouble);
            v = num;
        } else {
            wt__cfg_err_add(c->errs, kp, "must be a string, number or boolean");
            continue;
        }
        if (k->check_pair && !k->check_pair(name, v, msg, sizeof(msg))) {
            wt__cfg_err_add(c->errs, kp, "%s", msg);
            continue;
        }
        char *dn = wt_strdup(name), *dv = wt_strdup(v);
        if (!dn || !dv) {
            wt_free(dn);
            wt_free(dv);
            c->nomem = true;
            return;
        }
        pv[*n].name = dn;
        pv[*n].value = dv;
        (*n)++;
    }
}

static void decode_value(struct wt_cfg_ctx *c, const cJSON *it, const char *path, char *base,
                         const struct wt_cfg_key *k)
{
    void *p = base + k->off;
    int64_t v;

    switch (k->type) {
    case K_OBJ:
        if (cJSON_IsObject(it)) {
            char *const bases[] = {base + k->off};
            const struct wt_cfg_obj *const tabs[] = {k->sub};
            wt__cfg_decode_obj(c, it, path, bases, tabs, 1);
            return;
        }
        break;
    case K_ARR:
        if (cJSON_IsArray(it)) {
            decode_array(c, it, path, base, k);
            return;
        }
        break;
    case K_MAP:
        if (cJSON_IsObject(it)) {
            decode_map(c, it, path, base, k);
            return;
        }
        break;
    case K_STR:
        if (cJSON_IsString(it) && it->valuestring && (!k->check || k->check(it->valuestring))) {
            wt_cfg_set_str(c, p, it->valuestring);
            return;
        }
        if ((k->flags & F_LIST) && cJSON_IsArray(it)) {
            char joined[WT_CFG_LIST_MAX];
            if (join_list(it, joined, sizeof(joined)) && (!k->check || k->check(joined))) {
                wt_cfg_set_str(c, p, joined);
                return;
            }
        }
        break;
    default:
        if (scalar_value(it, k, &v)) {
            store_num(p, k->store, v);
            return;
        }
    }
    err_want(c, path, k);
    mark_failed(c, p);
}
