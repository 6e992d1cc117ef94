/*
 * sse_respond.c - wt-sse-server's answers: responses with their
 * headers, the request headers it reads, the request log and the counters
 * of GET /stats (sse_http.h).
 */
#include "sse_http.h"
#include "wt_common.h"

#include <microhttpd.h>
#include <cjson/cJSON.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const outcome_name[O_COUNT] = {"reset", "close", "cut", "hang", "aborted"};

/* ------------------------------------------------------------------------ */
/* Request headers                                                          */
/* ------------------------------------------------------------------------ */

const char *wt_ssesrv_header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* The credential of "Authorization: Bearer <credential>", copied; false if none. */
bool wt_ssesrv_bearer(struct MHD_Connection *c, char *out, size_t cap)
{
    const char *v = wt_ssesrv_header(c, MHD_HTTP_HEADER_AUTHORIZATION);

    if (v == NULL || strncasecmp(v, "Bearer ", 7) != 0)
        return false;
    v += 7;
    v += strspn(v, " \t");
    size_t n = strcspn(v, " \t");
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

/* ------------------------------------------------------------------------ */
/* Responses                                                                */
/* ------------------------------------------------------------------------ */

/* {"error": code, "reason": reason} plus an optional integer member. */
char *wt_ssesrv_error_json(const char *code, const char *reason, const char *extra, long long value)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "reason", reason);
    if (extra != NULL)
        cJSON_AddNumberToObject(o, extra, (double)value);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

struct answer wt_ssesrv_fail_with(int status, const char *code, const char *reason)
{
    return (struct answer){status, wt_ssesrv_error_json(code, reason, NULL, 0), -1, NULL};
}

static void add_retry_after(struct server *s, struct MHD_Response *resp, long secs)
{
    char v[64];

    if (s->o.retry_after_date) {
        /* An HTTP-date has 1 s resolution: round up so the wait is never shorter. */
        time_t t = (time_t)((wt_wall_ms() + 999) / 1000) + secs;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(v, sizeof(v), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    } else {
        snprintf(v, sizeof(v), "%ld", secs);
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
}

void wt_ssesrv_add_headers(struct server *s, const struct req *r, struct MHD_Response *resp,
                           const struct answer *a)
{
    if (a->json != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (a->retry_after >= 0)
        add_retry_after(s, resp, a->retry_after);
    if (a->status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (a->status == MHD_HTTP_METHOD_NOT_ALLOWED && r->allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (a->location != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, a->location);
}

/* Queue a (takes a->json), count and log it. */
enum MHD_Result wt_ssesrv_respond(struct server *s, struct MHD_Connection *c, struct req *r,
                                  struct answer a)
{
    size_t len = a.json != NULL ? strlen(a.json) : 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, a.json, MHD_RESPMEM_MUST_FREE);

    if (resp == NULL) {
        free(a.json);
        return MHD_NO;
    }
    wt_ssesrv_add_headers(s, r, resp, &a);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)a.status, resp);
    MHD_destroy_response(resp);
    r->answered = true;
    wt_ssesrv_note(s, r, a.status, 0);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* The request log and the counters                                         */
/* ------------------------------------------------------------------------ */

/* One line of the request log: time, method, path, status, key, bytes, events, ms,
 * arrival, and the decompressed bytes of an events batch (raw). */
static void log_request(struct server *s, const struct req *r, const char *status)
{
    char now[25], arr[25];

    if (s->logf == NULL)
        return;
    wt_iso8601_ms(wt_wall_ms(), now);
    wt_iso8601_ms((int64_t)r->arrival, arr);
    fprintf(s->logf, "%s %s %s %s key=%s bytes=%zu events=%zu ms=%llu arrived=%s at=%llu raw=%zu\n",
            now, r->method, r->path, status, r->key[0] != '\0' ? r->key : "-", r->received,
            r->events, (unsigned long long)(wt_mono_ns() / 1000000u - r->t0), arr,
            (unsigned long long)r->arrival, r->raw_bytes);
    fflush(s->logf);
}

/* One line per fault injected: FAULT what, the request, the script step. */
void wt_ssesrv_log_fault(struct server *s, const struct req *r, const char *fmt, ...)
{
    char now[25], what[128];
    va_list ap;

    pthread_mutex_lock(&s->lock);
    s->st.faults++;
    size_t n = s->o.nscript;
    pthread_mutex_unlock(&s->lock);
    if (s->logf == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    wt_iso8601_ms(wt_wall_ms(), now);
    fprintf(s->logf, "%s FAULT %s %s %s key=%s step=%zu/%zu\n", now, what, r->method, r->path,
            r->key[0] != '\0' ? r->key : "-", r->step_no, n);
    fflush(s->logf);
}

/* Count and log the end of a request: an HTTP status, or an outcome when status < 0. */
void wt_ssesrv_note(struct server *s, struct req *r, int status, enum outcome o)
{
    char label[16];

    if (r->logged)
        return;
    r->logged = true;
    if (status >= 0)
        snprintf(label, sizeof(label), "%d", status);
    else
        snprintf(label, sizeof(label), "%s", outcome_name[o]);
    if (r->route == R_EVENTS || r->route == R_CTIA_IMPORT) {
        pthread_mutex_lock(&s->lock);
        if (status >= 0 && status < STATUS_MAX)
            s->st.by_status[status]++;
        if ((status == 400 || status == 413) && !r->scripted)
            s->st.rejected++;
        else if (status < 0)
            s->st.by_outcome[o]++;
        pthread_mutex_unlock(&s->lock);
    }
    log_request(s, r, label);
}

char *wt_ssesrv_stats_json(struct server *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *bs = cJSON_CreateObject();

    pthread_mutex_lock(&s->lock);
    const struct stats *st = &s->st;
#define NUM(name, v) cJSON_AddNumberToObject(o, name, (double)(v))
    NUM("requests", st->requests);
    NUM("events_requests", st->events_requests);
    NUM("accepted_batches", st->accepted_batches);
    NUM("duplicate_batches", st->duplicate_batches);
    NUM("accepted_events", st->accepted_events);
    NUM("rejected", st->rejected);
    NUM("faults", st->faults);
    NUM("in_flight", st->in_flight);
    NUM("max_concurrent", st->max_concurrent);
    NUM("keys_seen", s->keys.count);
    NUM("keys_accepted", s->keys.accepted);
    NUM("keys_overflow", st->keys_overflow);
    NUM("devices", s->ndev);
    NUM("registered", st->registered);
    NUM("deregistered", st->deregistered);
    NUM("register_failed", st->register_failed);
    NUM("script_pos", s->script_pos);
    NUM("script_len", s->o.nscript);
#undef NUM
    if (s->ctia != NULL)
        wt_ctiasrv_stats(s->ctia, o);
    for (int i = 0; i < STATUS_MAX; i++) {
        char k[8];
        snprintf(k, sizeof(k), "%d", i);
        if (st->by_status[i] != 0)
            cJSON_AddNumberToObject(bs, k, (double)st->by_status[i]);
    }
    for (int i = 0; i < O_COUNT; i++) {
        if (st->by_outcome[i] != 0)
            cJSON_AddNumberToObject(bs, outcome_name[i], (double)st->by_outcome[i]);
    }
    pthread_mutex_unlock(&s->lock);
    cJSON_AddItemToObject(o, "by_status", bs);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}
