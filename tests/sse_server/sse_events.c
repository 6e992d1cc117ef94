/*
 * sse_events.c - POST /v1/events in wt-sse-server
 * (docs/sse-protocol.md): the credential, the Idempotency-Key, the media
 * type, then the batch decoded, validated and stored exactly once per key;
 * and POST /ctia/bundle/import handed to ctia_server.c (sse_http.h).
 */
#include "sse_http.h"
#include "wt_common.h"

#include <microhttpd.h>
#include <cjson/cJSON.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Is the media type of header value v (before any ';') equal to want? */
static bool media_is(const char *v, const char *want)
{
    v += strspn(v, " \t");
    size_t n = strcspn(v, ";");
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return n == strlen(want) && strncasecmp(v, want, n) == 0;
}

/* ------------------------------------------------------------------------ */
/* POST /v1/events                                                          */
/* ------------------------------------------------------------------------ */

/* Check the credential (and --fail-auth-once). 0, or a 401 answer in *a. */
static int check_auth(struct server *s, struct MHD_Connection *c, struct req *r, struct answer *a)
{
    char cred[CRED_MAX + 1];

    if (!wt_ssesrv_bearer(c, cred, sizeof(cred))) {
        *a = wt_ssesrv_fail_with(401, "unauthorized",
                                 "missing credential (Authorization: Bearer ...)");
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    bool ok = (s->o.credential != NULL && strcmp(cred, s->o.credential) == 0) ||
              wt_ssesrv_device_by_cred(s, cred) != NULL;
    bool fail_once = ok && s->o.fail_auth_once && !s->auth_failed_once;
    if (fail_once)
        s->auth_failed_once = true;
    pthread_mutex_unlock(&s->lock);
    if (!ok) {
        *a = wt_ssesrv_fail_with(401, "unauthorized", "unknown credential");
        return -1;
    }
    if (fail_once) {
        wt_ssesrv_log_fault(s, r, "fail-auth-once");
        *a = wt_ssesrv_fail_with(401, "unauthorized", "credential expired (--fail-auth-once)");
        return -1;
    }
    return 0;
}

/* Idempotency-Key: 1..255 printable ASCII, no spaces. 0, or a 400 answer in *a. */
static int check_key(struct server *s, struct MHD_Connection *c, struct answer *a)
{
    const char *k = wt_ssesrv_header(c, "Idempotency-Key");

    if (k == NULL || k[0] == '\0') {
        *a = wt_ssesrv_fail_with(400, "invalid_request", "missing Idempotency-Key");
        return -1;
    }
    size_t n = strlen(k);
    for (size_t i = 0; i < n; i++) {
        if (k[i] <= 0x20 || k[i] >= 0x7f) {
            *a = wt_ssesrv_fail_with(400, "invalid_request",
                                     "Idempotency-Key must be printable ASCII without spaces");
            return -1;
        }
    }
    if (n > WT_SSESRV_KEY_MAX) {
        *a = wt_ssesrv_fail_with(400, "invalid_request", "Idempotency-Key longer than 255 bytes");
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    if (wt_ssesrv_keyset_mark(&s->keys, k, WT_SSESRV_KEY_SEEN) != 0)
        s->st.keys_overflow++;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Content-Type and Content-Encoding. 0 with *zstd set, or a 400 answer in *a. */
static int check_media(struct MHD_Connection *c, bool *zstd, struct answer *a)
{
    const char *ct = wt_ssesrv_header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *ce = wt_ssesrv_header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
    char why[160];

    if (ct == NULL || !media_is(ct, "application/x-ndjson")) {
        snprintf(why, sizeof(why), "Content-Type must be application/x-ndjson, not %s",
                 ct != NULL ? ct : "(none)");
        *a = wt_ssesrv_fail_with(400, "invalid_request", why);
        return -1;
    }
    *zstd = ce != NULL && media_is(ce, "zstd");
    if (ce != NULL && !*zstd && !media_is(ce, "identity")) {
        snprintf(why, sizeof(why), "unsupported Content-Encoding %s (zstd or none)", ce);
        *a = wt_ssesrv_fail_with(400, "invalid_request", why);
        return -1;
    }
    return 0;
}

/* Under lock: append the batch to --events-out and its key to STATE.keys. */
static int store(struct server *s, const char *key, const char *ndjson, size_t len)
{
    int rc = 0;

    if (s->events_fd >= 0) {
        rc = wt_write_all(s->events_fd, ndjson, len);
        if (rc == 0 && ndjson[len - 1] != '\n')
            rc = wt_write_all(s->events_fd, "\n", 1);
    }
    if (rc == 0 && s->keys_fd >= 0) {
        rc = wt_write_all(s->keys_fd, key, strlen(key));
        if (rc == 0)
            rc = wt_write_all(s->keys_fd, "\n", 1);
    }
    if (rc != 0)
        wt_ssesrv_say("cannot store a batch: %s", strerror(-rc));
    return rc;
}

/* Decode, validate and store the batch; the answer to send. */
struct answer wt_ssesrv_process_batch(struct server *s, struct MHD_Connection *c, struct req *r)
{
    struct answer a;
    char why[256];
    bool zstd = false;

    if (check_auth(s, c, r, &a) != 0 || check_key(s, c, &a) != 0)
        return a;
    const char *key = wt_ssesrv_header(c, "Idempotency-Key");
    if (r->over) {
        snprintf(why, sizeof(why), "body of %zu bytes exceeds --max-body %zu", r->received,
                 s->o.max_body);
        a = (struct answer){
            413, wt_ssesrv_error_json("too_large", why, "max_body", (long long)s->o.max_body), -1,
            NULL};
        return a;
    }
    if (check_media(c, &zstd, &a) != 0)
        return a;
    pthread_mutex_lock(&s->lock);
    bool dup = wt_ssesrv_keyset_get(&s->keys, key) == WT_SSESRV_KEY_ACCEPTED;
    if (dup)
        s->st.duplicate_batches++;
    pthread_mutex_unlock(&s->lock);
    if (dup)
        return (struct answer){
            409,
            wt_ssesrv_error_json("duplicate", "Idempotency-Key already accepted", "accepted", 0),
            -1, NULL};

    /* Decode (a private buffer: no lock) and validate every line. */
    char *raw = r->body;
    size_t rawlen = r->len;
    int rc = 0;
    if (zstd)
        rc = wt_ssesrv_batch_unzstd(r->body, r->len, s->o.max_events_bytes, &raw, &rawlen, why,
                                    sizeof(why));
    else if (r->len > s->o.max_events_bytes)
        rc = WT_SSESRV_ETOOBIG;
    if (rc == WT_SSESRV_ETOOBIG) {
        snprintf(why, sizeof(why), "decompressed batch exceeds --max-events-bytes %zu",
                 s->o.max_events_bytes);
        a = (struct answer){413,
                            wt_ssesrv_error_json("too_large", why, "max_events_bytes",
                                                 (long long)s->o.max_events_bytes),
                            -1, NULL};
        return a;
    }
    if (rc == -ENOMEM)
        return wt_ssesrv_fail_with(500, "internal", "out of memory");
    if (rc != 0) {
        a = wt_ssesrv_fail_with(400, "invalid_body", why);
        return a;
    }
    if (raw == NULL) {
        a = wt_ssesrv_fail_with(400, "invalid_body", "empty body");
        return a;
    }
    raw[rawlen] = '\0'; /* r->body has room for it too */
    size_t events = 0, bad_line = 0;
    if (s->o.bench) {
        /* --bench: the client is measured, not checked; count lines only. */
        for (const char *p = raw, *end = raw + rawlen; p < end; events++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
        }
    } else if (wt_ssesrv_batch_validate(raw, rawlen, &events, &bad_line, why, sizeof(why)) != 0) {
        a = (struct answer){
            400, wt_ssesrv_error_json("invalid_body", why, "line", (long long)bad_line), -1, NULL};
        if (raw != r->body)
            free(raw);
        return a;
    }
    r->events = events;
    r->raw_bytes = rawlen;

    /* Simulated processing time, proportional to the NDJSON bytes. */
    bool go_on = s->o.rate_mbps <= 0 ||
                 wt_ssesrv_nap(s, (uint64_t)((double)rawlen / (s->o.rate_mbps * 1e3)));
    if (!go_on)
        a = wt_ssesrv_fail_with(503, "unavailable", "server stopping");

    /* Commit: the key check, the append and the mark are one critical section. */
    if (go_on) {
        pthread_mutex_lock(&s->lock);
        enum wt_ssesrv_key_state ks = wt_ssesrv_keyset_get(&s->keys, key);
        if (ks == WT_SSESRV_KEY_ACCEPTED) {
            s->st.duplicate_batches++;
            a = (struct answer){409,
                                wt_ssesrv_error_json(
                                    "duplicate", "Idempotency-Key already accepted", "accepted", 0),
                                -1, NULL};
        } else if (ks == WT_SSESRV_KEY_ABSENT && s->keys.count >= s->keys.max) {
            a = wt_ssesrv_fail_with(507, "key_set_full",
                                    "the Idempotency-Key set is full (--max-keys)");
        } else if (store(s, key, raw, rawlen) != 0 ||
                   wt_ssesrv_keyset_mark(&s->keys, key, WT_SSESRV_KEY_ACCEPTED) != 0) {
            a = wt_ssesrv_fail_with(500, "internal", "cannot store the batch");
        } else {
            s->st.accepted_batches++;
            s->st.accepted_events += events;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "accepted", (double)events);
            a = (struct answer){202, cJSON_PrintUnformatted(o), -1, NULL};
            cJSON_Delete(o);
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (raw != r->body)
        free(raw);
    return a;
}

/* POST /ctia/bundle/import (ctia_server.c), after the script's fault if any. */
struct answer wt_ssesrv_ctia_import(struct server *s, struct MHD_Connection *c, struct req *r)
{
    char *json = NULL;
    if (wt_ctiasrv_in_outage(s->ctia))
        return wt_ssesrv_fail_with(503, "unavailable", "outage (POST /ctia/outage)");
    if (r->over)
        return wt_ssesrv_fail_with(413, "too_large", "bundle larger than --max-body");
    int st = wt_ctiasrv_import(s->ctia, wt_ssesrv_header(c, MHD_HTTP_HEADER_AUTHORIZATION), r->body,
                               r->len, &json);
    return (struct answer){st, json, -1, NULL};
}
