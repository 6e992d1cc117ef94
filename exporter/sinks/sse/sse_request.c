/*
 * sse_request.c - the requests of the SSE sink (sse_int.h): a part's
 * body and headers on a free easy handle, the pump that starts what may
 * start (backoffs, Retry-After pauses, concurrency), and what an answer
 * means for its part (ack, split, retry, re-read the credential,
 * dead-letter). The table of answers is in sink_sse.c.
 */
#include "log.h"
#include "wt_common.h"
#include "sse_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define TAG "sink.sse"

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct sse_slot *sl = userp;
    size_t n = size * nmemb;
    size_t room = sizeof(sl->resp) - 1 - sl->resp_len;
    size_t take = n < room ? n : room;
    memcpy(sl->resp + sl->resp_len, data, take);
    sl->resp_len += take;
    sl->resp[sl->resp_len] = '\0';
    return n;
}

/* The request body of p: the batch's own frame, or p's bytes compressed once. */
static int part_body(struct sse_sink *ss, struct sse_part *p)
{
    struct wt_batch *b = p->sb->b;
    if (p->z)
        return 0;
    if (wt__sse_whole_frame(p->sb, p->off, p->len)) {
        p->z = b->z;
        p->zlen = b->zlen;
        p->z_owned = false;
        return 0;
    }
    size_t cap = ZSTD_compressBound(p->len);
    p->z = wt_malloc(cap);
    if (!p->z)
        return -ENOMEM;
    p->z_owned = true;
    size_t r = ZSTD_compressCCtx(ss->zc, p->z, cap, wt__sse_sb_bytes(p->sb) + p->off, p->len,
                                 WT_SSE_PART_ZSTD_LEVEL);
    if (ZSTD_isError(r)) {
        wt_log_error(TAG, "%s: zstd: %s", ss->name, ZSTD_getErrorName(r));
        return -EIO;
    }
    p->zlen = r;
    return 0;
}

static struct sse_slot *free_slot(struct sse_sink *ss)
{
    for (unsigned i = 0; i < ss->concurrency; i++) {
        if (!ss->slots[i].part)
            return &ss->slots[i];
    }
    return NULL;
}

void wt__sse_wipe_slist(struct curl_slist *l)
{
    for (struct curl_slist *h = l; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(l);
}

static void start(struct sse_sink *ss, struct sse_part *p)
{
    struct sse_slot *sl = free_slot(ss);
    char h[WT_SSE_CREDENTIAL_MAX + WT_SSE_KEY_MAX + 64];
    struct curl_slist *l = NULL;

    if (part_body(ss, p) != 0) {
        wt_log_error(TAG, "%s: cannot compress a part: out of memory", ss->name);
        abort();
    }
    l = curl_slist_append(l, "Content-Type: application/x-ndjson");
    l = curl_slist_append(l, "Content-Encoding: zstd");
    snprintf(h, sizeof(h), "Idempotency-Key: %s", p->key);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof(h), "Authorization: Bearer %s", ss->cred.credential);
    l = curl_slist_append(l, h);
    explicit_bzero(h, sizeof(h));
    if (!l) {
        wt_log_error(TAG, "%s: out of memory", ss->name);
        abort();
    }
    CURL *eh = sl->eh;
    /* Every option is set on every request, so a reused handle needs no reset. */
    wt_http_curl_common(eh, ss->events_url, ss->have_ca ? ss->ca_file : NULL,
                        ss->have_proxy ? ss->proxy : NULL, sl->errbuf);
    curl_easy_setopt(eh, CURLOPT_POST, 1L);
    curl_easy_setopt(eh, CURLOPT_POSTFIELDS, p->z);
    curl_easy_setopt(eh, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->zlen);
    curl_easy_setopt(eh, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(eh, CURLOPT_TIMEOUT_MS, (long)ss->timeout_ms);
    curl_easy_setopt(eh, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(ss->timeout_ms < WT_SSE_CONNECT_TIMEOUT_MS
                                ? ss->timeout_ms
                                : WT_SSE_CONNECT_TIMEOUT_MS));
    curl_easy_setopt(eh, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(eh, CURLOPT_WRITEDATA, sl);
    curl_easy_setopt(eh, CURLOPT_PRIVATE, sl);
    sl->part = p;
    sl->hdrs = l;
    sl->resp_len = 0;
    sl->resp[0] = '\0';
    sl->t0_ns = uv_hrtime();
    p->state = P_FLIGHT;
    if (wt_http_loop_add(&ss->http, eh) != 0)
        abort(); /* only when curl is out of memory or misused: logged */
    ss->inflight++;
    wt_metric_add(ss->m_bytes_sent, p->zlen);
    wt_log_debug(TAG, "%s: POST key=%s lines=%" PRIu32 " bytes=%zu zstd=%zu", ss->name, p->key,
                 p->count, p->len, p->zlen);
}

/* Any queued part waiting out a backoff (due later)? Then no new part is cut. */
static bool backing_off(const struct sse_sink *ss, int64_t now)
{
    for (const struct sse_part *p = ss->queue; p; p = p->next) {
        if (p->due > now)
            return true;
    }
    return false;
}

static struct sse_part *take_due(struct sse_sink *ss, int64_t now)
{
    for (struct sse_part *p = ss->queue; p; p = p->next) {
        if (p->due <= now) {
            wt__sse_unlink_part(&ss->queue, p);
            return p;
        }
    }
    return NULL;
}

/* Arm the wake timer for the earliest backoff, pause end or dead-letter retry. */
void wt__sse_arm_wake(struct sse_sink *ss, int64_t now)
{
    int64_t next = INT64_MAX;
    if (ss->paused_until > now) {
        next = ss->paused_until;
    } else if (ss->inflight < ss->concurrency) {
        for (const struct sse_part *p = ss->queue; p; p = p->next) {
            if (p->due < next)
                next = p->due;
        }
    }
    for (const struct sse_part *p = ss->dl; p; p = p->next) {
        if (p->state == P_DL_WAIT && p->due < next)
            next = p->due;
    }
    if (next == INT64_MAX) {
        uv_timer_stop(&ss->wake);
        return;
    }
    uv_timer_start(&ss->wake, wt__sse_wake_cb, next > now ? (uint64_t)(next - now) : 0, 0);
}

/* Start what may start now: dead-letter writes due, then requests up to concurrency. */
void wt__sse_pump(struct sse_sink *ss)
{
    if (ss->closing || ss->in_pump)
        return;
    ss->in_pump = true;
    int64_t now = wt__sse_now_ms(ss);
    for (struct sse_part *p = ss->dl; p; p = p->next) {
        if (p->state == P_DL_WAIT && p->due <= now)
            wt__sse_dl_start(ss, p);
    }
    if (ss->paused_until && ss->paused_until <= now) {
        ss->paused_until = 0;
        wt_metric_set(ss->m_paused_until, 0);
        wt_log_info(TAG, "%s: Retry-After pause over: sending again", ss->name);
    }
    while (!ss->paused_until && ss->inflight < ss->concurrency) {
        struct sse_part *p = take_due(ss, now);
        if (!p && !backing_off(ss, now))
            p = wt__sse_cut_next(ss);
        if (!p)
            break;
        start(ss, p);
    }
    wt__sse_arm_wake(ss, now);
    ss->in_pump = false;
}

void wt__sse_wake_cb(uv_timer_t *t)
{
    struct sse_sink *ss = t->data;
    wt__sse_pump(ss);
    wt__sse_reap(ss);
}

/* ------------------------------------------------------------------------ */
/* Outcomes                                                                 */
/* ------------------------------------------------------------------------ */

static void note_success(struct sse_sink *ss)
{
    if (ss->s->failing || ss->fail_streak >= WT_SSE_FAILING_AFTER)
        wt_log_info(TAG, "%s: delivering again after %u failed request(s)", ss->name,
                    ss->fail_streak);
    ss->fail_streak = 0;
    ss->auth_bad = false;
    ss->s->failing = false;
    if (ss->problem_set)
        wt_metrics_problem(ss->s->metrics, ss->name, NULL);
    ss->problem_set = false;
}

/* A failed request: log the first of a streak, and report failing after a few. */
static void note_failure(struct sse_sink *ss, const char *what)
{
    ss->fail_streak++;
    if (ss->fail_streak == 1)
        wt_log_warn(TAG, "%s: %s (retrying with backoff; nothing is dropped)", ss->name, what);
    else
        wt_log_debug(TAG, "%s: %s", ss->name, what);
    if (!ss->s->failing && (ss->fail_streak >= WT_SSE_FAILING_AFTER || ss->auth_bad)) {
        ss->s->failing = true;
        wt_log_error(TAG, "%s: failing: %u requests in a row failed, last: %s", ss->name,
                     ss->fail_streak, what);
    }
    if (ss->s->failing && ss->s->metrics && !ss->problem_set) {
        wt_metrics_problem(ss->s->metrics, ss->name, what);
        ss->problem_set = true;
    }
}

/* Schedule p again after a backoff, or dead-letter it past retry.max_duration. */
static void retry_later(struct sse_sink *ss, struct sse_part *p, const char *why)
{
    int64_t now = wt__sse_now_ms(ss);
    if (ss->max_dur_ms > 0 && now - p->sb->first_ms >= ss->max_dur_ms) {
        char reason[400];
        snprintf(reason, sizeof(reason), "retry.max_duration (%" PRId64 " ms) exceeded; last: %s",
                 ss->max_dur_ms, why);
        wt__sse_dead_letter(ss, p, 0, reason, NULL, 0);
        return;
    }
    uint64_t d = wt_http_backoff_ms((uint64_t)ss->base_ms, (uint64_t)ss->cap_ms, p->attempts,
                                    wt_http_rand(&ss->rng));
    p->attempts++;
    p->due = now + (int64_t)d;
    wt_metric_add(ss->m_retries, 1);
    wt__sse_enqueue(ss, p, false);
}

/* Re-read the credential file (another process may have registered again). */
static void reload_credential(struct sse_sink *ss)
{
    struct wt__sse_cred c;
    char err[512];
    wt_metric_add(ss->m_reauth, 1);
    int rc = wt__sse_cred_load(ss->cred_path, &c, err, sizeof(err));
    if (rc != 0) {
        wt_log_warn(TAG, "%s: re-reading the credential: %s (keeping the one in use)", ss->name,
                    err);
        return;
    }
    if (strcmp(c.credential, ss->cred.credential) != 0 ||
        strcmp(c.device_id, ss->cred.device_id) != 0)
        wt_log_info(TAG, "%s: credential file changed (device %s): using it", ss->name,
                    c.device_id);
    /* Keys of parts already cut keep the old device id: they stay stable. */
    ss->cred = c;
    wt__sse_cred_wipe(&c);
}

/* "HTTP 503: reason" or "curl error text" for logs and dead-letter reasons. */
static void describe(const struct sse_slot *sl, CURLcode rc, long http, char *buf, size_t cap)
{
    if (rc != CURLE_OK) {
        const char *e = sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(rc);
        const char *hint = wt_http_tls_hint(rc, sl->errbuf);
        if (hint)
            snprintf(buf, cap, "%s: TLS verification failed: %s (%s)", sl->ss->events_url, e, hint);
        else
            snprintf(buf, cap, "%s: %s", sl->ss->events_url, e);
        return;
    }
    /* The server's reason, printable, cut short. */
    wt_http_status_text(buf, cap, http, sl->resp, sl->resp_len);
}

/* A Retry-After on a 429/503: pause the whole sink. @returns true when paused. */
static bool maybe_pause(struct sse_sink *ss, CURL *eh, long http)
{
    int64_t delay;
    const char *value;
    if (!wt_http_pause_asked(eh, http, &delay, &value))
        return false;
    int64_t until = wt__sse_now_ms(ss) + delay + WT_SSE_PAUSE_MARGIN_MS;
    if (until > ss->paused_until) {
        ss->paused_until = until;
        wt_metric_set(ss->m_paused_until, (wt_wall_ms() + delay + 999) / 1000);
        wt_log_warn(TAG, "%s: HTTP %ld with Retry-After %s: no request for %" PRId64 " ms",
                    ss->name, http, value, delay);
    }
    return true;
}

/*
 * A request of p ended. sl (its response, error text, handle) is read
 * before p is acked: acking may start a new request on the same slot.
 */
static void on_done(struct sse_sink *ss, struct sse_slot *sl, struct sse_part *p, CURLcode rc)
{
    long http = 0;
    curl_off_t pretransfer_us = 0;
    long nconn = 0;
    char what[600];

    double secs = (double)(uv_hrtime() - sl->t0_ns) / 1e9;
    curl_easy_getinfo(sl->eh, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_getinfo(sl->eh, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    curl_easy_getinfo(sl->eh, CURLINFO_NUM_CONNECTS, &nconn);
    /* The request was on its way (connected, TLS done): a timeout says "too slow". */
    bool connected = pretransfer_us > 0;
    wt_metric_observe(ss->m_tx_seconds, secs);
    wt_metric_add(ss->m_connects, (uint64_t)nconn);
    bool over = secs > ss->bg.budget_s;
    if (over)
        wt_metric_add(ss->m_over_budget, 1);

    enum wt__sse_outcome out = wt__sse_classify(rc, http, connected);
    int cls = rc == CURLE_OPERATION_TIMEDOUT ? SSE_RQ_TIMEOUT
              : rc != CURLE_OK               ? SSE_RQ_ERROR
              : http >= 500                  ? SSE_RQ_5XX
              : http >= 400                  ? SSE_RQ_4XX
              : http >= 300                  ? SSE_RQ_3XX
                                             : SSE_RQ_2XX;
    wt_metric_add(ss->m_req[cls], 1);
    describe(sl, rc, http, what, sizeof(what));
    wt_log_debug(TAG, "%s: key=%s -> %s in %.3f s", ss->name, p->key, what, secs);

    switch (out) {
    case WT_SSE_OUT_ACK:
    case WT_SSE_OUT_DUP:
        if (wt_http_budget_success(&ss->bg, p->len, secs))
            wt_log_debug(TAG, "%s: request over budget (%.3f s > %.3f s): smaller parts", ss->name,
                         secs, ss->bg.budget_s);
        note_success(ss);
        wt__sse_part_done(ss, p);
        break;
    case WT_SSE_OUT_REJECT:
        wt__sse_dead_letter(ss, p, http, "rejected by SSE (HTTP 400): never retried", sl->resp,
                            sl->resp_len);
        break;
    case WT_SSE_OUT_AUTH:
        reload_credential(ss);
        if (!p->reauthed) {
            p->reauthed = true;
            wt_log_info(TAG, "%s: credential refused (HTTP 401): re-read %s, retrying once",
                        ss->name, ss->cred_path);
            p->due = wt__sse_now_ms(ss);
            wt__sse_enqueue(ss, p, true);
        } else {
            if (!ss->auth_bad)
                wt_log_error(TAG,
                             "%s: credential refused again (HTTP 401): register again with "
                             "'wtexport register' (retrying with backoff; nothing is dropped)",
                             ss->name);
            ss->auth_bad = true;
            note_failure(ss, what);
            retry_later(ss, p, what);
        }
        break;
    case WT_SSE_OUT_TOO_LARGE:
        wt_http_budget_too_large(&ss->bg, p->len);
        if (p->count > 1) {
            wt__sse_split(ss, p);
        } else {
            wt__sse_dead_letter(ss, p, http, "too large: a single event refused with HTTP 413",
                                sl->resp, sl->resp_len);
        }
        break;
    case WT_SSE_OUT_TIMEOUT:
        wt_http_budget_fail(&ss->bg, p->len);
        if (p->count > 1 && !ss->use_plan) {
            wt_log_warn(TAG,
                        "%s: request of %" PRIu32 " events timed out after %.1f s: sending "
                        "it again as two halves",
                        ss->name, p->count, secs);
            wt__sse_split(ss, p);
        } else {
            note_failure(ss, what);
            retry_later(ss, p, what);
        }
        break;
    case WT_SSE_OUT_RETRY:
        if (connected && rc != CURLE_OK)
            wt_http_budget_fail(&ss->bg, p->len);
        else if (http == 408 || http == 429 || http >= 500)
            wt_http_budget_fail(&ss->bg, p->len);
        note_failure(ss, what);
        if (maybe_pause(ss, sl->eh, http) &&
            !(ss->max_dur_ms > 0 && wt__sse_now_ms(ss) - p->sb->first_ms >= ss->max_dur_ms)) {
            /* Not before the pause ends; the attempt still counts toward the backoff. */
            p->attempts++;
            wt_metric_add(ss->m_retries, 1);
            p->due = wt__sse_now_ms(ss);
            wt__sse_enqueue(ss, p, true);
        } else {
            retry_later(ss, p, what);
        }
        break;
    }
    wt_metric_set(ss->m_target, (int64_t)wt_http_budget_target(&ss->bg));
}

/* A transfer finished (http_loop): its slot is free, then the outcome is handled. */
void wt__sse_on_transfer(void *ctx, CURL *eh, CURLcode rc)
{
    struct sse_sink *ss = ctx;
    char *priv = NULL;
    curl_easy_getinfo(eh, CURLINFO_PRIVATE, &priv);
    struct sse_slot *sl = (struct sse_slot *)(void *)priv;
    ss->inflight--;
    wt__sse_wipe_slist(sl->hdrs);
    sl->hdrs = NULL;
    /* The slot is free before the outcome is handled: acking may start new
     * requests (wt_sink_done -> send -> pump), which may reuse it. */
    struct sse_part *p = sl->part;
    sl->part = NULL;
    on_done(ss, sl, p, rc);
}

/* After a round of finished transfers: start what may start. */
void wt__sse_after_transfers(void *ctx)
{
    wt__sse_pump(ctx);
}
