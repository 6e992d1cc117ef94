/*
 * sink_sse.c - the SSE sink: batches uploaded as zstd-compressed NDJSON to
 * POST {base}/v1/events (docs/sse-protocol.md), with libcurl's multi
 * interface driven by the libuv loop. This file: the sink's operations
 * (open, send, close, resume) and metrics; batches, parts and the part
 * plan are in sse_plan.c, requests and answers in sse_request.c, dead
 * letters in sse_dead.c, what they share in sse_int.h.
 *
 * curl runs on the loop through exporter/http (one CURLM per sink, capped
 * at `concurrency` connections kept open for reuse); a pool of
 * `concurrency` easy handles carries the requests.
 *
 * Parts. A batch (one unit of acking for the pipeline) is cut into parts,
 * ranges of whole NDJSON lines, each one request with its own
 * Idempotency-Key (sse_int.h: device, batch id, first line, line count,
 * checksum; stable across retries). Parts are cut when a request slot is
 * free, sized by the budget controller (sse_int.h): the measured
 * throughput times budget_fraction * transaction_timeout, shrinking fast
 * on slow or failed requests and growing slowly on fast ones. A part that
 * is the whole batch reuses the pipeline's zstd frame (b->z); others are
 * compressed here (zstd level 1, on the loop: parts are small).
 *
 * Answers (sse_int.h wt__sse_classify):
 *   2xx, 409        acked (409: the server has this key already)
 *   400             dead-lettered with the response, never retried
 *   401             credential file re-read, the part retried at once; a
 *                   second 401: the sink is failing, retries with backoff
 *   413             split in two halves; a single event is dead-lettered
 *   timeout         split in two halves (a single event: backoff)
 *   408, 429, 5xx, other statuses, connection and TLS errors: retried
 *                   with full-jitter backoff; 429/503 with Retry-After
 *                   pause the whole sink until then (no request starts)
 *   retry.max_duration past a batch's first attempt: dead-lettered.
 * While a part waits out its backoff no new part is cut: an outage costs
 * at most `concurrency` requests per backoff period.
 *
 * A batch is done when every part is acked or dead-lettered: ACKED when
 * nothing was dead-lettered, else DEAD (the pipeline counts it, and moves
 * the checkpoint past it just the same, so a poison batch never blocks
 * the input). Dead letters are written on the thread pool to
 * <dead_letter>/sse-<name>/ (0700): the part's events (.ndjson, 0600) and
 * a .reason JSON (status, reason, response, key); a failed write is
 * retried, never dropped. Every dead-lettered event is counted and logged.
 *
 * Secrets: the credential is read from the 0600 credential file into this
 * struct and into one curl_slist per request (wiped after it); never
 * logged, never a metric label.
 */
#include "log.h"
#include "wt_common.h"
#include "sink.h"
#include "sse_int.h"
#include "wt_exporter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define TAG "sink.sse"

static const char *const rq_class[] = {"2xx", "3xx", "4xx", "5xx", "error", "timeout"};

/* ------------------------------------------------------------------------ */
/* Metrics                                                                  */
/* ------------------------------------------------------------------------ */

/* Transaction seconds: 10 ms .. 120 s (14 bounds, +Inf implicit). */
static const double tx_buckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                    2.5,  5,     10,   20,  30,   60,  120};
static_assert(sizeof(tx_buckets) / sizeof(tx_buckets[0]) <= WT_HIST_MAX_BUCKETS, "buckets");

static void metrics_create(struct sse_sink *ss, struct wt_metrics *m)
{
    char esc[128], l[WT_METRIC_LABELS_MAX], lc[WT_METRIC_LABELS_MAX];
    wt_metrics_label_escape(ss->name, esc, sizeof(esc));
    snprintf(l, sizeof(l), "sink=\"%s\"", esc);
#define C(name, help) wt_metrics_get(m, WT_METRIC_COUNTER, name, help, l, NULL, 0)
#define G(name, help) wt_metrics_get(m, WT_METRIC_GAUGE, name, help, l, NULL, 0)
    ss->m_tx_seconds = wt_metrics_get(m, WT_METRIC_HISTOGRAM, "wtexport_sse_transaction_seconds",
                                      "Duration of SSE upload requests (every outcome).", l,
                                      tx_buckets, sizeof(tx_buckets) / sizeof(tx_buckets[0]));
    ss->m_over_budget = C("wtexport_sse_transactions_over_budget_total",
                          "SSE requests that took longer than budget_fraction * "
                          "transaction_timeout (timeouts included).");
    ss->m_retries =
        C("wtexport_sse_retries_total", "SSE requests scheduled again after a failure.");
    ss->m_splits =
        C("wtexport_sse_splits_total", "SSE parts split in two after a timeout or a 413.");
    ss->m_dead_events = C("wtexport_sse_dead_letter_events_total",
                          "Events written to the SSE dead-letter directory.");
    ss->m_bytes_sent =
        C("wtexport_sse_bytes_sent_total", "Request body bytes (zstd) sent to SSE, retries too.");
    ss->m_reauth = C("wtexport_sse_reauth_total", "Credential file re-reads after a 401 from SSE.");
    ss->m_connects = C("wtexport_sse_connections_total",
                       "New connections opened to SSE (the rest were reused).");
    ss->m_target =
        G("wtexport_sse_target_bytes", "NDJSON bytes the next SSE request is sized for.");
    ss->m_paused_until =
        G("wtexport_sse_paused_until_seconds",
          "Unix time until which a Retry-After pauses the SSE sink; 0: not paused.");
#undef C
#undef G
    for (size_t i = 0; i < sizeof(rq_class) / sizeof(rq_class[0]); i++) {
        snprintf(lc, sizeof(lc), "%s,class=\"%s\"", l, rq_class[i]);
        ss->m_req[i] = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_sse_requests_total",
                                      "SSE upload requests by outcome: HTTP status class, "
                                      "connection error or timeout.",
                                      lc, NULL, 0);
    }
    wt_metric_set(ss->m_target, (int64_t)wt_http_budget_target(&ss->bg));
}

/* ------------------------------------------------------------------------ */
/* Sink operations                                                          */
/* ------------------------------------------------------------------------ */

void wt__sse_sink_free(struct sse_sink *ss)
{
    if (ss->plan_fd >= 0)
        close(ss->plan_fd);
    wt_free(ss->plan);
    wt__sse_cred_wipe(&ss->cred);
    wt_metrics_free(ss->own_metrics);
    wt_free(ss);
}

static int load_credential(struct sse_sink *ss, const struct wt_sse_opts *o, char *err,
                           size_t errlen)
{
    char why[600], where[WT_HTTP_URL_MAX + 16];
    int rc = wt__sse_cred_load(ss->cred_path, &ss->cred, why, sizeof(why));
    if (rc == -ENOENT) {
        snprintf(err, errlen,
                 "sink %s: not registered: run 'wtexport register -c FILE --token-file PATH'",
                 ss->name);
        return WT_ECONFIG;
    }
    if (rc != 0) {
        snprintf(err, errlen, "sink %s: %s", ss->name, why);
        return rc;
    }
    if (!wt__sse_cred_matches(&ss->cred, o)) {
        snprintf(err, errlen,
                 "sink %s: registered with %s, but configured for %s %s: run 'wtexport "
                 "deregister -c FILE' and register again",
                 ss->name, wt__sse_cred_where(&ss->cred, where, sizeof(where)),
                 o->region ? "region" : "url", o->region ? o->region : o->url);
        wt__sse_cred_wipe(&ss->cred);
        return WT_ECONFIG;
    }
    struct stat st;
    if (stat(ss->cred_path, &st) == 0 && (st.st_mode & 077))
        wt_log_warn(TAG, "%s: %s is readable by others (mode %03o): chmod 600 it", ss->name,
                    ss->cred_path, (unsigned)(st.st_mode & 0777));
    return 0;
}

static void sse_close(struct wt_sink *s);

static int sse_open(struct wt_sink *s, char *err, size_t errlen)
{
    const struct wt_sink_cfg *sc = s->cfg;
    const struct wt_sse_opts *o = sc->opts;
    struct sse_sink *ss = wt_calloc(1, sizeof(*ss));
    if (!ss) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    ss->s = s;
    ss->plan_fd = -1;
    snprintf(ss->name, sizeof(ss->name), "%s", sc->name);
    wt__sse_base_url(o, ss->base, sizeof(ss->base));
    snprintf(ss->events_url, sizeof(ss->events_url), "%s/v1/events", ss->base);
    ss->have_ca = o->http.ca_file != NULL;
    snprintf(ss->ca_file, sizeof(ss->ca_file), "%s", o->http.ca_file ? o->http.ca_file : "");
    ss->have_proxy = o->http.proxy != NULL;
    snprintf(ss->proxy, sizeof(ss->proxy), "%s", o->http.proxy ? o->http.proxy : "");
    snprintf(ss->cred_path, sizeof(ss->cred_path), "%s", o->cred_file ? o->cred_file : "");
    /* config.c fills in the default (<state_dir>/dead-letter). */
    snprintf(ss->dl_dir, sizeof(ss->dl_dir), "%s/sse-%s",
             o->dead_letter ? o->dead_letter : "dead-letter", sc->name);
    ss->concurrency = (unsigned)o->http.concurrency;
    if (ss->concurrency < 1 || ss->concurrency > WT_HTTP_CONCURRENCY_MAX)
        ss->concurrency = WT_HTTP_CONCURRENCY_DEFAULT;
    ss->timeout_ms = o->http.transaction_timeout_ms;
    ss->base_ms = o->http.retry.base_ms;
    ss->cap_ms = o->http.retry.cap_ms;
    ss->max_dur_ms = o->http.retry.max_duration_ms;
    wt_http_budget_init(&ss->bg, o->http.budget_fraction * (double)ss->timeout_ms / 1000.0,
                        WT_SSE_TARGET_MIN, WT_SSE_TARGET_MAX, WT_SSE_TARGET_INITIAL);
    if (getrandom(&ss->rng, sizeof(ss->rng), GRND_NONBLOCK) != (ssize_t)sizeof(ss->rng))
        ss->rng = (uint64_t)wt_wall_ms() ^ ((uint64_t)getpid() << 32);

    int rc = load_credential(ss, o, err, errlen);
    if (rc != 0) {
        wt_free(ss);
        return rc;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "sink %s: curl_global_init failed", ss->name);
        wt__sse_sink_free(ss);
        return -EIO;
    }
    s->impl = ss;
    s->wants_zstd = true; /* a part that is the whole batch sends the pipeline's frame */
    /* The spool's frames are decompressed here only for records that must be cut. */
    s->needs_raw = false;
    struct wt_metrics *m = s->metrics;
    if (!m)
        m = ss->own_metrics = wt_metrics_new(); /* series kept, not served */
    if (!m) {
        snprintf(err, errlen, "sink %s: out of memory", ss->name);
        curl_global_cleanup();
        wt__sse_sink_free(ss);
        s->impl = NULL;
        return -ENOMEM;
    }
    metrics_create(ss, m);
    uv_timer_init(s->loop, &ss->wake);
    ss->wake.data = ss;
    ss->http_ok = wt_http_loop_init(&ss->http, s->loop, ss->concurrency, wt__sse_on_transfer,
                                    wt__sse_after_transfers, ss, ss->name) == 0;
    ss->zc = ZSTD_createCCtx();
    bool handles = true;
    for (unsigned i = 0; i < ss->concurrency; i++) {
        ss->slots[i].ss = ss;
        ss->slots[i].eh = curl_easy_init();
        handles &= ss->slots[i].eh != NULL;
    }
    if (!ss->http_ok || !ss->zc || !handles) {
        snprintf(err, errlen, "sink %s: out of memory", ss->name);
        sse_close(s);
        return -ENOMEM;
    }
    wt_log_info(TAG,
                "%s: %s as device %s, %u request(s) in flight, transaction_timeout %" PRId64
                " ms, budget %.1f s%s%s",
                ss->name, ss->events_url, ss->cred.device_id, ss->concurrency, ss->timeout_ms,
                ss->bg.budget_s, ss->have_proxy ? ", proxy " : "", ss->have_proxy ? ss->proxy : "");
    return 0;
}

static void sse_send(struct wt_sink *s, struct wt_batch *b)
{
    struct sse_sink *ss = s->impl;
    struct sse_batch *sb = wt_calloc(1, sizeof(*sb));
    if (!sb) {
        wt_log_error(TAG, "%s: out of memory", ss->name);
        abort();
    }
    sb->b = b;
    sb->first_ms = -1;
    sb->len = b->len;
    if (b->len == 0 && b->z && b->zlen) {
        /* A spool record (run): the NDJSON size is in the frame header. */
        unsigned long long n = ZSTD_getFrameContentSize(b->z, b->zlen);
        if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
            n > WT_SPOOL_RECORD_MAX) {
            wt_log_error(TAG, "%s: batch %" PRIu64 " is not a zstd frame of known size: dropped",
                         ss->name, b->id);
            sb->dead_events = b->nevents;
            wt_metric_add(ss->m_dead_events, b->nevents);
        } else {
            sb->len = (size_t)n;
        }
    }
    if (ss->btail)
        ss->btail->next = sb;
    else
        ss->bhead = sb;
    ss->btail = sb;
    ss->nbatches++;
    if (sb->len == 0) {
        /* Nothing to upload: done at the next loop turn, never inside send(). */
        uv_timer_start(&ss->wake, wt__sse_wake_cb, 0, 0);
        return;
    }
    wt__sse_pump(ss);
}

static bool sse_ready(const struct wt_sink *s)
{
    const struct sse_sink *ss = s->impl;
    unsigned max =
        2 * ss->concurrency < WT_SSE_MAX_BATCHES ? 2 * ss->concurrency : WT_SSE_MAX_BATCHES;
    return ss->nbatches < max;
}

static bool sse_idle(const struct wt_sink *s)
{
    const struct sse_sink *ss = s->impl;
    return ss->nbatches == 0 && ss->inflight == 0 && !ss->dl;
}

/* A dead letter being written on the pool reads its batch's NDJSON. */
static bool sse_pool_busy(const struct wt_sink *s)
{
    const struct sse_sink *ss = s->impl;
    for (const struct sse_part *p = ss ? ss->dl : NULL; p; p = p->next) {
        if (p->state == P_DL_JOB)
            return true;
    }
    return false;
}

static void on_http_closed(void *ctx)
{
    struct sse_sink *ss = ctx;
    if (--ss->pending == 0)
        wt__sse_sink_free(ss);
}

static void on_timer_closed(uv_handle_t *h)
{
    on_http_closed(h->data);
}

static void free_parts(struct sse_part **head, bool keep_jobs)
{
    struct sse_part *p = *head, *keep = NULL;
    while (p) {
        struct sse_part *next = p->next;
        if (keep_jobs && p->state == P_DL_JOB) {
            p->next = keep;
            keep = p;
        } else {
            wt__sse_part_free(p);
        }
        p = next;
    }
    *head = keep;
}

static void sse_close(struct wt_sink *s)
{
    struct sse_sink *ss = s->impl;
    if (!ss)
        return;
    s->impl = NULL;
    ss->closing = true;
    /* Requests still running are abandoned (their batches were never acked). */
    for (unsigned i = 0; i < WT_HTTP_CONCURRENCY_MAX; i++) {
        struct sse_slot *sl = &ss->slots[i];
        if (sl->part) {
            wt_http_loop_remove(&ss->http, sl->eh);
            wt__sse_wipe_slist(sl->hdrs);
            sl->hdrs = NULL;
            wt__sse_part_free(sl->part);
            sl->part = NULL;
        }
        if (sl->eh)
            curl_easy_cleanup(sl->eh);
        sl->eh = NULL;
    }
    if (ss->http_ok) {
        ss->pending++;
        wt_http_loop_close(&ss->http, on_http_closed);
    }
    ZSTD_freeCCtx(ss->zc);
    ss->zc = NULL;
    free_parts(&ss->queue, false);
    free_parts(&ss->dl, true);
    for (struct sse_part *p = ss->dl; p; p = p->next)
        ss->pending++; /* a running job: its after-callback frees it */
    while (ss->bhead) {
        struct sse_batch *next = ss->bhead->next;
        wt_free(ss->bhead->raw);
        wt_free(ss->bhead);
        ss->bhead = next;
    }
    curl_global_cleanup();
    uv_timer_stop(&ss->wake);
    ss->pending++;
    uv_close((uv_handle_t *)&ss->wake, on_timer_closed);
}

/*
 * Durable mode (wtexport run): records come from the spool with stable
 * sequence numbers, so cut them per the persisted plan, and never re-cut a
 * part whose outcome is unknown (a timeout): exactly once with 409.
 * `wtexport replay` with state does the same: its batch ids are stable
 * across re-runs of one job (cmd_replay.c), and the plan is the job's.
 */
static void sse_resume(struct wt_sink *s, bool has, uint64_t aux)
{
    struct sse_sink *ss = s->impl;
    (void)has;
    (void)aux;
    char dir[4096], *slash;
    snprintf(dir, sizeof(dir), "%s", ss->cred_path);
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (s->state_tag)
        /* Replay with state: a plan per job, beside its state file. */
        snprintf(ss->plan_path, sizeof(ss->plan_path), "%s/replay-%s.sse-%s.plan",
                 slash ? dir : ".", s->state_tag, ss->name);
    else
        snprintf(ss->plan_path, sizeof(ss->plan_path), "%s/sse-%s.plan", slash ? dir : ".",
                 ss->name);
    int rc = wt__sse_plan_load(ss);
    if (rc != 0)
        wt_log_error(TAG, "%s: %s: cannot load the part plan: %s (records are sent whole)",
                     ss->name, ss->plan_path, wt_strerror(rc));
    else
        wt_log_debug(TAG, "%s: part plan %s: %zu records", ss->name, ss->plan_path, ss->nplan);
    ss->use_plan = true;
}

const struct wt_sink_ops wt__sse_ops = {
    .type = "sse",
    .open = sse_open,
    .send = sse_send,
    .ready = sse_ready,
    .idle = sse_idle,
    .pool_busy = sse_pool_busy,
    .close = sse_close,
    .resume = sse_resume,
};
