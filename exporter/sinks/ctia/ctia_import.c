/*
 * ctia_import.c - the CTIA sink's import transfers: bundles cut from a
 * flush, the POST of a bundle and the handling of its answer (results,
 * halves, retries, pauses), the OAuth2 token, and the dead letters of
 * sightings refused for good. The sink operations and the pump that starts
 * these requests are in sink_ctia.c.
 */
#include "ctia_int.h"
#include "dead_letter.h"
#include "log.h"
#include "sink.h"
#include "wt_common.h"
#include "wt_exporter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define TAG "sink.ctia"

/* Connection phase of a request, at most. */
#define CONNECT_TIMEOUT_MS 30000
/* Consecutive failed requests before the sink reports failing. */
#define FAILING_AFTER 3
/* Bytes a sighting is expected to take in a bundle, beyond its value and targets. */
#define SIGHT_BYTES        900
#define SIGHT_TARGET_BYTES 160

/* ------------------------------------------------------------------------ */
/* Bundles                                                                  */
/* ------------------------------------------------------------------------ */

static size_t sight_bytes(const struct wt__ctia_sight *x)
{
    return SIGHT_BYTES + 2 * x->vlen +
           SIGHT_TARGET_BYTES *
               (x->ntargets < WT_CTIM_TARGETS_MAX ? x->ntargets : WT_CTIM_TARGETS_MAX);
}

/* The JSON body of a bundle of items (the CTIM encoder, ctim.h). */
static void bundle_body(struct ctia_sink *cs, struct ctia_bundle *bd)
{
    struct wt_tbuf b = {0};
    wt_ctim_bundle_begin(&b, "wtexport");
    for (size_t i = 0; i < bd->n; i++) {
        if (i)
            WT_TBUF_LIT(&b, ",");
        wt__ctia_sight_write(&b, bd->items[i], cs->host);
    }
    wt_ctim_bundle_end(&b);
    wt_free(bd->body);
    bd->body = wt__ctia_must(wt_tbuf_take(&b, &bd->len));
}

static struct ctia_bundle *bundle_new(struct ctia_sink *cs, struct ctia_flush *f,
                                      struct wt__ctia_sight **items, size_t n)
{
    struct ctia_bundle *bd = wt__ctia_must(wt_calloc(1, sizeof(*bd)));
    bd->f = f;
    bd->items = wt__ctia_must(wt_calloc(n, sizeof(*bd->items)));
    memcpy(bd->items, items, n * sizeof(*items));
    bd->n = n;
    bd->due = wt__ctia_now_ms(cs);
    bd->first_ms = -1;
    bundle_body(cs, bd);
    return bd;
}

void wt__ctia_bundle_free(struct ctia_bundle *bd)
{
    if (!bd)
        return;
    wt_free(bd->items);
    wt_free(bd->body);
    wt_free(bd);
}

/* The next bundle of the oldest flush that has sightings left, or NULL. */
struct ctia_bundle *wt__ctia_cut_bundle(struct ctia_sink *cs)
{
    for (struct ctia_flush *f = cs->flushes; f; f = f->next) {
        if (f->state != F_IMPORT || f->todo_at >= f->ntodo)
            continue;
        size_t target = wt_http_budget_target(&cs->bg), bytes = 0, n = 0;
        size_t max = (size_t)O(cs)->max_entities;
        while (f->todo_at + n < f->ntodo && n < max) {
            size_t b = sight_bytes(f->todo[f->todo_at + n]);
            if (n > 0 && bytes + b > target)
                break;
            bytes += b;
            n++;
        }
        struct ctia_bundle *bd = bundle_new(cs, f, f->todo + f->todo_at, n);
        f->todo_at += n;
        return bd;
    }
    return NULL;
}

static void enqueue(struct ctia_sink *cs, struct ctia_bundle *bd, bool front)
{
    if (front || !cs->queue) {
        bd->next = cs->queue;
        cs->queue = bd;
        return;
    }
    struct ctia_bundle *t = cs->queue;
    while (t->next)
        t = t->next;
    bd->next = NULL;
    t->next = bd;
}

/* Replace bd by its two halves at the head of the queue. */
static void split(struct ctia_sink *cs, struct ctia_bundle *bd)
{
    size_t h = bd->n / 2;
    struct ctia_bundle *a = bundle_new(cs, bd->f, bd->items, h);
    struct ctia_bundle *b = bundle_new(cs, bd->f, bd->items + h, bd->n - h);
    a->first_ms = b->first_ms = bd->first_ms;
    wt_log_debug(TAG, "%s: bundle of %zu sightings split in two", cs->name, bd->n);
    wt__ctia_bundle_free(bd);
    enqueue(cs, b, true);
    enqueue(cs, a, true);
}

/* A sighting has its final result. */
static void resolve(struct ctia_sink *cs, struct ctia_flush *f, struct wt__ctia_sight *x,
                    enum wt__ctia_res r)
{
    if (x->result >= 0)
        return;
    x->result = (int)r;
    wt_metric_add(cs->m_res[r], 1);
    if (r != WT_CTIA_RES_ERROR)
        wt_metric_add(cs->m_sightings_count, x->count);
    else
        f->dead = true;
    f->unresolved--;
}

/* ------------------------------------------------------------------------ */
/* Dead letters (thread pool)                                               */
/* ------------------------------------------------------------------------ */

static void dl_work(uv_work_t *req)
{
    struct dl_job *j = req->data;
    struct ctia_sink *cs = j->cs;
    char base[256];
    int64_t when = wt_wall_ms();
    wt_dead_letter_name(base, sizeof(base), cs->name, when, j->after, "");
    j->rc = wt_dead_letter_write(cs->dl_dir, base, j->ndjson, j->len, j->reason, j->path,
                                 sizeof(j->path));
}

void wt__ctia_dl_free(struct dl_job *j)
{
    wt_free(j->items);
    wt_free(j->ndjson);
    cJSON_Delete(j->reason);
    wt_free(j);
}

static void dl_after(uv_work_t *req, int status)
{
    struct dl_job *j = req->data;
    struct ctia_sink *cs = j->cs;
    j->running = false;
    if (cs->closing) {
        wt__ctia_dl_free(j);
        if (--cs->pending == 0)
            wt__ctia_sink_free(cs);
        return;
    }
    int rc = status ? status : j->rc;
    if (rc != 0) {
        wt_log_error(TAG, "%s: cannot write a dead letter to %s: %s (retrying in %d s)", cs->name,
                     cs->dl_dir, wt_strerror(rc), WT_CTIA_WRITE_RETRY_MS / 1000);
        j->due = wt__ctia_now_ms(cs) + WT_CTIA_WRITE_RETRY_MS;
        return;
    }
    for (struct dl_job **pp = &cs->dls; *pp; pp = &(*pp)->next) {
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    }
    wt_metric_add(cs->m_dead, j->n);
    wt_log_error(TAG, "%s: %zu sighting(s) dead-lettered to %s: %s", cs->name, j->n, j->path,
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j->reason, "reason")));
    for (size_t i = 0; i < j->n; i++)
        resolve(cs, j->f, j->items[i], WT_CTIA_RES_ERROR);
    wt__ctia_dl_free(j);
    wt__ctia_progress(cs);
}

void wt__ctia_dl_start(struct ctia_sink *cs, struct dl_job *j)
{
    j->running = true;
    j->work.data = j;
    if (uv_queue_work(cs->s->loop, &j->work, dl_work, dl_after) != 0) {
        wt_log_error(TAG, "%s: uv_queue_work failed", cs->name);
        abort();
    }
}

/* Refuse items[0..n) of flush f for good: write them with the reason, then resolve them. */
static void dead_letter(struct ctia_sink *cs, struct ctia_flush *f, struct wt__ctia_sight **items,
                        size_t n, long status, const char *reason, const char *resp)
{
    struct dl_job *j = wt__ctia_must(wt_calloc(1, sizeof(*j)));
    j->cs = cs;
    j->f = f;
    j->after = f->after;
    j->items = wt__ctia_must(wt_calloc(n, sizeof(*items)));
    memcpy(j->items, items, n * sizeof(*items));
    j->n = n;
    struct wt_tbuf t = {0};
    for (size_t i = 0; i < n; i++) {
        wt__ctia_sight_write(&t, items[i], cs->host);
        WT_TBUF_LIT(&t, "\n");
    }
    j->ndjson = wt__ctia_must(wt_tbuf_take(&t, &j->len));
    j->reason = wt__ctia_must(wt_dead_letter_reason(cs->name, wt_wall_ms(), f->after, reason));
    cJSON_AddNumberToObject(j->reason, "sightings", (double)n);
    if (status)
        cJSON_AddNumberToObject(j->reason, "status", (double)status);
    if (resp && resp[0])
        cJSON_AddStringToObject(j->reason, "response", resp);
    j->next = cs->dls;
    cs->dls = j;
    wt__ctia_dl_start(cs, j);
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

static void note_success(struct ctia_sink *cs)
{
    if (cs->s->failing)
        wt_log_info(TAG, "%s: importing again after %u failed request(s)", cs->name,
                    cs->fail_streak);
    cs->fail_streak = 0;
    cs->s->failing = false;
    if (cs->problem_set)
        wt_metrics_problem(cs->s->metrics, cs->name, NULL);
    cs->problem_set = false;
}

static void note_failure(struct ctia_sink *cs, const char *what)
{
    cs->fail_streak++;
    if (cs->fail_streak == 1)
        wt_log_warn(TAG, "%s: %s (retrying with backoff; nothing is dropped)", cs->name, what);
    else
        wt_log_debug(TAG, "%s: %s", cs->name, what);
    if (!cs->s->failing && cs->fail_streak >= FAILING_AFTER) {
        cs->s->failing = true;
        wt_log_error(TAG, "%s: failing: %u requests in a row failed, last: %s", cs->name,
                     cs->fail_streak, what);
    }
    if (cs->s->failing && cs->s->metrics && !cs->problem_set) {
        wt_metrics_problem(cs->s->metrics, cs->name, what);
        cs->problem_set = true;
    }
}

static uint64_t backoff(struct ctia_sink *cs, unsigned attempt)
{
    return wt_http_backoff_ms((uint64_t)O(cs)->http.retry.base_ms,
                              (uint64_t)O(cs)->http.retry.cap_ms, attempt, wt_http_rand(&cs->rng));
}

static void retry_later(struct ctia_sink *cs, struct ctia_bundle *bd, const char *why)
{
    int64_t now = wt__ctia_now_ms(cs);
    int64_t maxd = O(cs)->http.retry.max_duration_ms;
    if (maxd > 0 && bd->first_ms >= 0 && now - bd->first_ms >= maxd) {
        char reason[600];
        snprintf(reason, sizeof(reason), "retry.max_duration (%" PRId64 " ms) exceeded; last: %s",
                 maxd, why);
        dead_letter(cs, bd->f, bd->items, bd->n, 0, reason, NULL);
        wt__ctia_bundle_free(bd);
        return;
    }
    bd->due = now + (int64_t)backoff(cs, bd->attempts);
    bd->attempts++;
    wt_metric_add(cs->m_retries, 1);
    enqueue(cs, bd, false);
}

void wt__ctia_wipe_slist(struct curl_slist *l)
{
    for (struct curl_slist *h = l; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(l);
}

void wt__ctia_start_import(struct ctia_sink *cs, struct slot *sl, struct ctia_bundle *bd)
{
    char h[WT_CTIA_TOKEN_MAX + 64];
    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
    l = curl_slist_append(l, "Accept: application/json");
    snprintf(h, sizeof(h), "Authorization: Bearer %s", cs->token);
    l = wt__ctia_must(curl_slist_append(l, h));
    explicit_bzero(h, sizeof(h));
    CURL *eh = sl->eh;
    wt_http_curl_common(eh, cs->import_url, O(cs)->http.ca_file, O(cs)->http.proxy, sl->errbuf);
    curl_easy_setopt(eh, CURLOPT_POST, 1L);
    curl_easy_setopt(eh, CURLOPT_POSTFIELDS, bd->body);
    curl_easy_setopt(eh, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bd->len);
    curl_easy_setopt(eh, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(eh, CURLOPT_TIMEOUT_MS, (long)cs->timeout_ms);
    curl_easy_setopt(
        eh, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(cs->timeout_ms < CONNECT_TIMEOUT_MS ? cs->timeout_ms : CONNECT_TIMEOUT_MS));
    curl_easy_setopt(eh, CURLOPT_WRITEFUNCTION, wt_http_collect);
    curl_easy_setopt(eh, CURLOPT_WRITEDATA, &sl->resp);
    curl_easy_setopt(eh, CURLOPT_PRIVATE, sl);
    sl->resp.len = 0;
    sl->resp.truncated = false;
    sl->resp.body[0] = '\0';
    sl->bd = bd;
    sl->hdrs = l;
    sl->t0_ns = uv_hrtime();
    if (bd->first_ms < 0)
        bd->first_ms = wt__ctia_now_ms(cs);
    if (wt_http_loop_add(&cs->http, eh) != 0)
        abort();
    cs->inflight++;
    wt_log_debug(TAG, "%s: POST bundle of %zu sighting(s), %zu bytes", cs->name, bd->n, bd->len);
}

void wt__ctia_start_token(struct ctia_sink *cs)
{
    char err[600];
    wt__ctia_secrets_wipe(&cs->sec);
    /* Read again each time: a rotated secret is picked up without a restart. */
    if (wt__ctia_secrets_load(O(cs), &cs->sec, err, sizeof(err)) != 0) {
        note_failure(cs, err);
        cs->tok_due = wt__ctia_now_ms(cs) + (int64_t)backoff(cs, cs->tok_attempts++);
        return;
    }
    CURL *eh = cs->tok_eh;
    wt__ctia_token_setup(eh, cs->token_url, O(cs)->http.ca_file, O(cs)->http.proxy, &cs->sec,
                         cs->tok_err);
    curl_easy_setopt(eh, CURLOPT_TIMEOUT_MS, (long)cs->timeout_ms);
    curl_easy_setopt(
        eh, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(cs->timeout_ms < CONNECT_TIMEOUT_MS ? cs->timeout_ms : CONNECT_TIMEOUT_MS));
    curl_easy_setopt(eh, CURLOPT_WRITEFUNCTION, wt_http_collect);
    curl_easy_setopt(eh, CURLOPT_WRITEDATA, &cs->tok_resp);
    curl_easy_setopt(eh, CURLOPT_PRIVATE, NULL);
    cs->tok_resp.len = 0;
    cs->tok_resp.body[0] = '\0';
    cs->tok = TOK_FETCHING;
    wt_metric_add(cs->m_token, 1);
    if (wt_http_loop_add(&cs->http, eh) != 0)
        abort();
}

static void on_token(struct ctia_sink *cs, CURLcode rc)
{
    long http = 0;
    char what[600], err[200];
    int64_t life;
    curl_easy_getinfo(cs->tok_eh, CURLINFO_RESPONSE_CODE, &http);
    wt__ctia_secrets_wipe(&cs->sec);
    /* curl keeps copies of the user name and password: replace them. */
    curl_easy_setopt(cs->tok_eh, CURLOPT_USERNAME, "");
    curl_easy_setopt(cs->tok_eh, CURLOPT_PASSWORD, "");
    if (rc == CURLE_OK && http == 200 &&
        wt__ctia_token_parse(cs->tok_resp.body, cs->tok_resp.len, cs->token, sizeof(cs->token),
                             &life, err, sizeof(err)) == 0) {
        explicit_bzero(cs->tok_resp.body, cs->tok_resp.cap);
        int64_t margin =
            life * 1000 / 10 < WT_CTIA_TOKEN_MARGIN_MS ? life * 1000 / 10 : WT_CTIA_TOKEN_MARGIN_MS;
        cs->tok_renew_at = wt__ctia_now_ms(cs) + life * 1000 - margin;
        cs->tok = TOK_OK;
        cs->tok_attempts = 0;
        wt_log_info(TAG, "%s: access token obtained, valid for %" PRId64 " s", cs->name, life);
        return;
    }
    explicit_bzero(cs->tok_resp.body, cs->tok_resp.cap);
    cs->tok = TOK_NONE;
    if (rc != CURLE_OK)
        snprintf(what, sizeof(what), "token request to %s: %s", cs->token_url,
                 cs->tok_err[0] ? cs->tok_err : curl_easy_strerror(rc));
    else if (http == 200)
        snprintf(what, sizeof(what), "token request to %s: %s", cs->token_url, err);
    else
        snprintf(what, sizeof(what), "token request to %s: HTTP %ld%s", cs->token_url, http,
                 http == 400 || http == 401 || http == 403
                     ? " (client id or secret refused: check the API client)"
                     : "");
    note_failure(cs, what);
    cs->tok_due = wt__ctia_now_ms(cs) + (int64_t)backoff(cs, cs->tok_attempts++);
}

/* The answer's text for logs and dead letters: printable, cut short. */
static void describe(const struct slot *sl, CURLcode rc, long http, char *buf, size_t cap)
{
    if (rc != CURLE_OK) {
        snprintf(buf, cap, "%s: %s", sl->cs->import_url,
                 sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(rc));
        return;
    }
    wt_http_status_text(buf, cap, http, sl->resp.body, sl->resp.len);
}

static bool maybe_pause(struct ctia_sink *cs, CURL *eh, long http)
{
    int64_t delay;
    const char *value;
    if (!wt_http_pause_asked(eh, http, &delay, &value))
        return false;
    int64_t until = wt__ctia_now_ms(cs) + delay + 5;
    if (until > cs->paused_until) {
        cs->paused_until = until;
        wt_metric_set(cs->m_paused, (wt_wall_ms() + delay + 999) / 1000);
        wt_log_warn(TAG, "%s: HTTP %ld with Retry-After %s: no request for %" PRId64 " ms",
                    cs->name, http, value, delay);
    }
    return true;
}

struct results_ctx {
    struct ctia_sink *cs;
    struct ctia_bundle *bd;
    struct wt__ctia_sight **errs;
    size_t nerr;
    char first_err[400];
};

static void on_result(void *ctx, const char *oid, enum wt__ctia_res r, const char *error)
{
    struct results_ctx *rc = ctx;
    static const char pre[] = "transient:sighting-";
    if (strncmp(oid, pre, sizeof(pre) - 1) != 0)
        return;
    for (size_t i = 0; i < rc->bd->n; i++) {
        struct wt__ctia_sight *x = rc->bd->items[i];
        if (x->result >= 0 ||
            strcmp(oid + sizeof(pre) - 1, x->id + sizeof(WT_CTIA_EXTID_PREFIX) - 1) != 0)
            continue;
        if (r == WT_CTIA_RES_ERROR) {
            rc->errs[rc->nerr++] = x;
            x->result = -2; /* being dead-lettered */
            if (!rc->first_err[0])
                snprintf(rc->first_err, sizeof(rc->first_err), "%s", error ? error : "error");
            wt_log_warn(TAG, "%s: CTIA refused sighting %s: %s", rc->cs->name, x->id,
                        error ? error : "error");
        } else {
            resolve(rc->cs, rc->bd->f, x, r);
        }
        return;
    }
}

/* A 2xx answer: per entity results; those without one are sent again. */
static bool on_results(struct ctia_sink *cs, struct slot *sl, struct ctia_bundle *bd)
{
    char err[200];
    struct results_ctx rc = {.cs = cs, .bd = bd};
    rc.errs = wt__ctia_must(wt_calloc(bd->n, sizeof(*rc.errs)));
    if (wt__ctia_results_parse(sl->resp.body, sl->resp.len, on_result, &rc, err, sizeof(err)) !=
        0) {
        wt_free(rc.errs);
        return false;
    }
    if (rc.nerr) {
        for (size_t i = 0; i < rc.nerr; i++)
            rc.errs[i]->result = -1;
        dead_letter(cs, bd->f, rc.errs, rc.nerr, 200, rc.first_err, sl->resp.body);
    }
    /* Entities the answer did not mention go again (rare: a proxy cut the body). */
    size_t left = 0;
    for (size_t i = 0; i < bd->n; i++) {
        bool queued = false;
        for (size_t k = 0; k < rc.nerr; k++)
            queued |= rc.errs[k] == bd->items[i];
        if (bd->items[i]->result < 0 && !queued)
            bd->items[left++] = bd->items[i];
    }
    wt_free(rc.errs);
    if (left) {
        wt_log_warn(TAG, "%s: %zu sighting(s) without a result in the answer: sent again", cs->name,
                    left);
        bd->n = left;
        bundle_body(cs, bd);
        retry_later(cs, bd, "results missing");
        return true;
    }
    wt__ctia_bundle_free(bd);
    return true;
}

static void on_import(struct ctia_sink *cs, struct slot *sl, struct ctia_bundle *bd, CURLcode rc)
{
    long http = 0;
    curl_off_t pre_us = 0;
    char what[600];
    double secs = (double)(uv_hrtime() - sl->t0_ns) / 1e9;
    curl_easy_getinfo(sl->eh, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_getinfo(sl->eh, CURLINFO_PRETRANSFER_TIME_T, &pre_us);
    bool connected = pre_us > 0;
    wt_metric_observe(cs->m_tx, secs);
    int cls = rc == CURLE_OPERATION_TIMEDOUT ? RQ_TIMEOUT
              : rc != CURLE_OK               ? RQ_ERROR
              : http >= 500                  ? RQ_5XX
              : http >= 400                  ? RQ_4XX
              : http >= 300                  ? RQ_3XX
                                             : RQ_2XX;
    wt_metric_add(cs->m_req[cls], 1);
    describe(sl, rc, http, what, sizeof(what));
    wt_log_debug(TAG, "%s: bundle of %zu -> %s in %.3f s", cs->name, bd->n, what, secs);

    if (rc == CURLE_OPERATION_TIMEDOUT && connected && bd->n > 1) {
        wt_http_budget_fail(&cs->bg, bd->len);
        wt_log_warn(TAG, "%s: import of %zu sightings timed out after %.1f s: two halves", cs->name,
                    bd->n, secs);
        split(cs, bd);
        return;
    }
    if (rc == CURLE_OK && http >= 200 && http <= 299) {
        size_t len = bd->len;
        if (on_results(cs, sl, bd)) { /* bd is freed or queued again */
            wt_http_budget_success(&cs->bg, len, secs);
            note_success(cs);
            return;
        }
        note_failure(cs, "a 2xx answer without results");
        retry_later(cs, bd, what);
        return;
    }
    if (rc == CURLE_OK && http == 401) {
        /* The token expired early or was revoked: a new one, then this bundle again, once. */
        cs->tok = TOK_NONE;
        cs->tok_due = 0;
        if (!bd->reauthed) {
            bd->reauthed = true;
            bd->due = wt__ctia_now_ms(cs);
            enqueue(cs, bd, true);
            return;
        }
        note_failure(cs, what);
        retry_later(cs, bd, what);
        return;
    }
    if (rc == CURLE_OK && http == 413) {
        wt_http_budget_too_large(&cs->bg, bd->len);
        if (bd->n > 1) {
            split(cs, bd);
            return;
        }
        dead_letter(cs, bd->f, bd->items, bd->n, http, "too large: a single sighting refused",
                    sl->resp.body);
        wt__ctia_bundle_free(bd);
        return;
    }
    if (rc == CURLE_OK && http >= 400 && http <= 499 && http != 408 && http != 429) {
        dead_letter(cs, bd->f, bd->items, bd->n, http, what, sl->resp.body);
        wt__ctia_bundle_free(bd);
        return;
    }
    if (http == 408 || http == 429 || http >= 500 || (connected && rc != CURLE_OK))
        wt_http_budget_fail(&cs->bg, bd->len);
    note_failure(cs, what);
    if (maybe_pause(cs, sl->eh, http)) {
        bd->attempts++;
        bd->due = wt__ctia_now_ms(cs);
        wt_metric_add(cs->m_retries, 1);
        enqueue(cs, bd, true);
        return;
    }
    retry_later(cs, bd, what);
}

void wt__ctia_on_transfer(void *ctx, CURL *eh, CURLcode rc)
{
    struct ctia_sink *cs = ctx;
    if (eh == cs->tok_eh) {
        on_token(cs, rc);
        return;
    }
    char *priv = NULL;
    curl_easy_getinfo(eh, CURLINFO_PRIVATE, &priv);
    struct slot *sl = (struct slot *)(void *)priv;
    cs->inflight--;
    wt__ctia_wipe_slist(sl->hdrs);
    sl->hdrs = NULL;
    struct ctia_bundle *bd = sl->bd;
    sl->bd = NULL;
    on_import(cs, sl, bd, rc);
}

void wt__ctia_after_transfers(void *ctx)
{
    wt__ctia_progress(ctx);
}
