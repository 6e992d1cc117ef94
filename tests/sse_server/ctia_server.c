/*
 * ctia_server.c - the CTIA endpoints of wt-sse-server, standing in for
 * Cisco XDR's OAuth2 token service and CTIA's bundle import, for the CTIA
 * sink's tests, the demo and the benchmark (docs/ctia.md).
 *
 *   POST /iroh/oauth2/token   grant_type=client_credentials with HTTP Basic
 *                             client id and secret -> 200 {"access_token",
 *                             "token_type": "bearer", "expires_in"}; 401
 *                             for anything else
 *   POST /ctia/bundle/import  Bearer access token (401 when unknown or
 *                             expired); a bundle of at most 2000 sightings
 *                             (400 otherwise) -> 200 {"results": [{"id",
 *                             "original_id", "result": "created" | "exists"
 *                             | "error", "type", "external_ids", "error"?}]}
 *   POST /ctia/expire-tokens  (test control) every token issued expires now
 *   POST /ctia/outage?ms=N    (test control) imports answer 503 for N ms
 *
 * Each sighting is checked with the exporter's own CTIM checker
 * (wt_ctim_sighting_check): one that fails is an "error" result. A valid
 * one is stored under its first external id: "created" the first time,
 * "exists" after, as CTIA answers when an import carries an external id it
 * has (external-key-prefixes). Faults (--script) are applied by the caller
 * (sse_server.c) as for POST /v1/events.
 */
#include "sse_server.h"
#include "ctim.h"
#include "wt_common.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#define TOKENS_MAX 4096 /* live tokens remembered (the oldest is forgotten beyond) */
#define SECRET_MAX 1024
#define IDS_MAX    ((size_t)10000000)

struct token {
    char value[33];
    uint64_t expires_ms; /* CLOCK_MONOTONIC */
};

struct wt_ctiasrv {
    pthread_mutex_t lock;
    char client_id[SECRET_MAX + 1], secret[SECRET_MAX + 1];
    unsigned long ttl_s;
    struct token tokens[TOKENS_MAX];
    size_t next_token;
    struct wt_ssesrv_keyset ids; /* external ids stored ("accepted") */
    int out_fd;
    uint64_t tokens_issued, token_refused, imports, unauthorized, bad_bundles;
    uint64_t created, exists, errors, count_created, count_all, outage_answers;
    uint64_t outage_until; /* CLOCK_MONOTONIC ms */
};

static char *answer(cJSON *o)
{
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

static char *error_json(const char *code, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "error_description", reason);
    return answer(o);
}

struct wt_ctiasrv *wt_ctiasrv_new(const char *client_id, const char *secret_file, const char *out,
                                  unsigned long ttl_s)
{
    struct wt_ctiasrv *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->ttl_s = ttl_s ? ttl_s : WT_CTIASRV_DEFAULT_TTL;
    c->out_fd = -1;
    wt_ssesrv_keyset_init(&c->ids, IDS_MAX);
    snprintf(c->client_id, sizeof(c->client_id), "%s", client_id ? client_id : "");
    if (secret_file != NULL) {
        FILE *f = fopen(secret_file, "r");
        if (f == NULL || fgets(c->secret, sizeof(c->secret), f) == NULL) {
            fprintf(stderr, WT_SSESRV_PROG ": cannot read %s\n", secret_file);
            if (f)
                fclose(f);
            wt_ctiasrv_free(c);
            return NULL;
        }
        fclose(f);
        c->secret[strcspn(c->secret, "\r\n")] = '\0';
    }
    if (out != NULL) {
        c->out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (c->out_fd < 0) {
            fprintf(stderr, WT_SSESRV_PROG ": cannot open %s: %s\n", out, strerror(errno));
            wt_ctiasrv_free(c);
            return NULL;
        }
    }
    return c;
}

void wt_ctiasrv_free(struct wt_ctiasrv *c)
{
    if (c == NULL)
        return;
    if (c->out_fd >= 0)
        close(c->out_fd);
    wt_ssesrv_keyset_close(&c->ids);
    pthread_mutex_destroy(&c->lock);
    memset(c->secret, 0, sizeof(c->secret));
    free(c);
}

/* ------------------------------------------------------------------------ */
/* Tokens                                                                   */
/* ------------------------------------------------------------------------ */

static int b64v(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/* Base64 of in into out (NUL-terminated). false when malformed or too long. */
static bool b64dec(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *in && *in != '='; in++) {
        int v = b64v((unsigned char)*in);
        if (v < 0)
            return false;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= cap)
                return false;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[n] = '\0';
    return true;
}

int wt_ctiasrv_token(struct wt_ctiasrv *c, const char *authorization, const char *body, size_t len,
                     char **json)
{
    char creds[2 * SECRET_MAX + 2];
    bool grant = body != NULL && len == strlen("grant_type=client_credentials") &&
                 memcmp(body, "grant_type=client_credentials", len) == 0;
    if (!grant) {
        *json = error_json("unsupported_grant_type", "grant_type=client_credentials expected");
        return 400;
    }
    bool ok = authorization != NULL && strncasecmp(authorization, "Basic ", 6) == 0 &&
              b64dec(authorization + 6, creds, sizeof(creds));
    char *colon = ok ? strchr(creds, ':') : NULL;
    if (colon != NULL) {
        *colon = '\0';
        ok = c->client_id[0] != '\0' && strcmp(creds, c->client_id) == 0 &&
             strcmp(colon + 1, c->secret) == 0;
    } else {
        ok = false;
    }
    memset(creds, 0, sizeof(creds));
    pthread_mutex_lock(&c->lock);
    if (!ok) {
        c->token_refused++;
        pthread_mutex_unlock(&c->lock);
        *json = error_json("invalid_client", "client id or secret refused");
        return 401;
    }
    struct token *t = &c->tokens[c->next_token++ % TOKENS_MAX];
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        memset(rnd, 7, sizeof(rnd));
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(t->value + 2 * i, 3, "%02x", rnd[i]);
    t->expires_ms = wt_mono_ns() / 1000000u + c->ttl_s * 1000u;
    c->tokens_issued++;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "access_token", t->value);
    pthread_mutex_unlock(&c->lock);
    cJSON_AddStringToObject(o, "token_type", "bearer");
    cJSON_AddNumberToObject(o, "expires_in", (double)c->ttl_s);
    cJSON_AddStringToObject(o, "scope", "private-intel");
    *json = answer(o);
    return 200;
}

void wt_ctiasrv_expire(struct wt_ctiasrv *c)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < TOKENS_MAX; i++)
        c->tokens[i].expires_ms = 0;
    pthread_mutex_unlock(&c->lock);
}

void wt_ctiasrv_outage(struct wt_ctiasrv *c, unsigned long ms)
{
    pthread_mutex_lock(&c->lock);
    c->outage_until = wt_mono_ns() / 1000000u + ms;
    pthread_mutex_unlock(&c->lock);
}

bool wt_ctiasrv_in_outage(struct wt_ctiasrv *c)
{
    pthread_mutex_lock(&c->lock);
    bool on = wt_mono_ns() / 1000000u < c->outage_until;
    if (on)
        c->outage_answers++;
    pthread_mutex_unlock(&c->lock);
    return on;
}

static bool token_ok(struct wt_ctiasrv *c, const char *authorization)
{
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *v = authorization + 7;
    uint64_t now = wt_mono_ns() / 1000000u;
    bool ok = false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < TOKENS_MAX && !ok; i++)
        ok = c->tokens[i].value[0] && strcmp(c->tokens[i].value, v) == 0 &&
             c->tokens[i].expires_ms > now;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Bundle import                                                            */
/* ------------------------------------------------------------------------ */

/* Store one valid sighting under its first external id: created or exists. */
static const char *store(struct wt_ctiasrv *c, const cJSON *sg, const char *ext)
{
    const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(sg, "count");
    uint64_t n = cJSON_IsNumber(cnt) ? (uint64_t)cnt->valuedouble : 0;
    pthread_mutex_lock(&c->lock);
    c->count_all += n;
    if (wt_ssesrv_keyset_get(&c->ids, ext) == WT_SSESRV_KEY_ACCEPTED) {
        c->exists++;
        pthread_mutex_unlock(&c->lock);
        return "exists";
    }
    if (wt_ssesrv_keyset_mark(&c->ids, ext, WT_SSESRV_KEY_ACCEPTED) != 0) {
        c->errors++;
        pthread_mutex_unlock(&c->lock);
        return NULL;
    }
    c->created++;
    c->count_created += n;
    if (c->out_fd >= 0) {
        char *t = cJSON_PrintUnformatted(sg);
        if (t != NULL) {
            size_t tl = strlen(t);
            t[tl] = '\n';
            ssize_t w = write(c->out_fd, t, tl + 1); /* under the lock: lines stay whole */
            (void)w;
            free(t);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return "created";
}

int wt_ctiasrv_import(struct wt_ctiasrv *c, const char *authorization, const char *body, size_t len,
                      char **json)
{
    char err[300];
    if (!token_ok(c, authorization)) {
        pthread_mutex_lock(&c->lock);
        c->unauthorized++;
        pthread_mutex_unlock(&c->lock);
        *json = error_json("invalid_token", "missing, unknown or expired access token");
        return 401;
    }
    cJSON *b = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    if (!wt_ctim_bundle_check(b, WT_CTIM_BUNDLE_MAX, err, sizeof(err))) {
        cJSON_Delete(b);
        pthread_mutex_lock(&c->lock);
        c->bad_bundles++;
        pthread_mutex_unlock(&c->lock);
        *json = error_json("invalid_bundle", err);
        return 400;
    }
    pthread_mutex_lock(&c->lock);
    c->imports++;
    pthread_mutex_unlock(&c->lock);
    cJSON *res = cJSON_CreateArray();
    for (const cJSON *sg = cJSON_GetObjectItemCaseSensitive(b, "sightings")->child; sg;
         sg = sg->next) {
        cJSON *r = cJSON_CreateObject();
        const char *oid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sg, "id"));
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(sg, "external_ids");
        const char *ext = cJSON_IsArray(ids) ? cJSON_GetStringValue(ids->child) : NULL;
        const char *what = NULL;
        cJSON_AddStringToObject(r, "type", "sighting");
        if (oid != NULL)
            cJSON_AddStringToObject(r, "original_id", oid);
        if (!wt_ctim_sighting_check(sg, err, sizeof(err))) {
            cJSON_AddStringToObject(r, "error", err);
        } else if (ext == NULL || ext[0] == '\0') {
            snprintf(err, sizeof(err), "external_ids: required for an idempotent import");
            cJSON_AddStringToObject(r, "error", err);
        } else {
            what = store(c, sg, ext);
            if (what == NULL)
                cJSON_AddStringToObject(r, "error", "store full");
        }
        if (what == NULL) {
            pthread_mutex_lock(&c->lock);
            c->errors++;
            pthread_mutex_unlock(&c->lock);
        }
        cJSON_AddStringToObject(r, "result", what != NULL ? what : "error");
        if (what != NULL) {
            char id[160];
            snprintf(id, sizeof(id), "https://private.intel.example/ctia/sighting/sighting-%.64s",
                     ext);
            cJSON_AddStringToObject(r, "id", id);
            cJSON *e = cJSON_CreateArray();
            cJSON_AddItemToArray(e, cJSON_CreateString(ext));
            cJSON_AddItemToObject(r, "external_ids", e);
        }
        cJSON_AddItemToArray(res, r);
    }
    cJSON_Delete(b);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "results", res);
    *json = answer(o);
    return 200;
}

void wt_ctiasrv_stats(struct wt_ctiasrv *c, void *cjson_obj)
{
    cJSON *o = cjson_obj;
    cJSON *x = cJSON_CreateObject();
    pthread_mutex_lock(&c->lock);
#define NUM(name, v) cJSON_AddNumberToObject(x, name, (double)(v))
    NUM("tokens_issued", c->tokens_issued);
    NUM("token_refused", c->token_refused);
    NUM("imports", c->imports);
    NUM("unauthorized", c->unauthorized);
    NUM("bad_bundles", c->bad_bundles);
    NUM("created", c->created);
    NUM("exists", c->exists);
    NUM("errors", c->errors);
    NUM("count_created", c->count_created);
    NUM("count_all", c->count_all);
    NUM("outage_answers", c->outage_answers);
#undef NUM
    pthread_mutex_unlock(&c->lock);
    cJSON_AddItemToObject(o, "ctia", x);
}
