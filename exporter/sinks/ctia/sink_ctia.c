/*
 * sink_ctia.c - the CTIA sink: events aggregated into CTIM sightings per
 * (observable type, value, time bucket) and imported into Cisco XDR private
 * intelligence with POST {import_url}?external-key-prefixes=... (a bundle
 * of at most max_entities sightings), after an OAuth2 client-credentials
 * token from {token_url}. curl runs on the loop through exporter/http.
 *
 * Aggregation and acks (docs/ctia.md, "The aggregation rule").
 *   - Every batch the spooler sends is counted into the open sightings,
 *     then held (wt_sink_hold: its buffers go, its record stays unacked).
 *   - A flush cuts every open sighting of a bucket that starts before a
 *     point T, after the last record counted. T comes from the wall clock
 *     (buckets that ended bucket_grace ago), held back by the newest event
 *     time while events stream in (a backlog closes bucket by bucket), or
 *     from a bound: max_open_sightings, or held records of more than a
 *     quarter of spool.max_bytes (queue.max_bytes without the spool).
 *   - Each bucket of a flush gets the next part number of that bucket; a
 *     sighting's external id hashes (host, type, value, bucket, part).
 *   - With the spool, the flush (record, T, part numbers) is written to the
 *     journal <state_dir>/ctia-<name>.json before anything is imported, and
 *     marked done once every sighting of it was imported (created or
 *     exists); only then are the records it holds acked.
 *   - A record is acked when no open or unfinished sighting has events of
 *     it or of an earlier held record (each sighting pins the record it was
 *     opened in).
 *   - After a restart the spool replays the unacked records; the journal's
 *     flushes are applied again at the same records with the same T and
 *     part numbers, so the same sightings come out under the same ids: a
 *     flush that was done is dropped (it was imported whole), one that was
 *     not is imported again (CTIA answers exists for what it has). New
 *     flush decisions wait until the journal is replayed.
 * So every event is counted in exactly one imported sighting, through
 * crashes and replays.
 *
 * Requests: bundles are cut from a flush when a slot is free, sized by the
 * budget controller (http.h) and max_entities. 2xx: per entity created /
 * exists (done) or error (dead-lettered, counted); 401: a new token, once;
 * 413 or a timeout: two halves; other 4xx: dead-lettered with the answer;
 * 408, 429, 5xx, connection errors: full-jitter backoff, and a Retry-After
 * on 429/503 pauses the sink.
 *
 * Files: this one holds the held batches and acks, the pump and the sink
 * operations; ctia_flush.c the journal on the loop and the flushes,
 * ctia_import.c the bundles, their import requests, the token and the
 * dead letters. Their shared state is in ctia_int.h.
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

/* How often bucket ends and token expiry are checked. */
#define TICK_MS 500
/* Batches held at most (the spooler's own bound is WT_SPOOLER_HELD_MAX, above). */
#define WT_CTIA_HELD_MAX 90000
/* Holds handed to the spooler per loop turn (each reads the next record). */
#define HOLDS_PER_TURN 16
/* Bundle bytes: floor, start and ceiling of the budget controller. */
#define TARGET_MIN     (16 * 1024)
#define TARGET_INITIAL (512 * 1024)
#define TARGET_MAX     (8 * 1024 * 1024)
/* Bytes of an import answer kept. */
#define RESP_MAX (1u << 20)

/* ------------------------------------------------------------------------ */
/* State                                                                    */
/* ------------------------------------------------------------------------ */

/* The structs, the options macro O() and the helpers shared by the files
 * of the sink are in ctia_int.h. */

static const char *const rq_class[] = {"2xx", "3xx", "4xx", "5xx", "error", "timeout"};
static const char *const res_name[] = {"created", "exists", "error"};

int64_t wt__ctia_now_ms(const struct ctia_sink *cs)
{
    return (int64_t)uv_now(cs->s->loop);
}

void *wt__ctia_must(void *p)
{
    if (!p) {
        wt_log_error(TAG, "out of memory");
        abort();
    }
    return p;
}

/* ------------------------------------------------------------------------ */
/* Metrics                                                                  */
/* ------------------------------------------------------------------------ */

static const double tx_buckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                    2.5,  5,     10,   20,  30,   60,  120};

static void metrics_create(struct ctia_sink *cs, struct wt_metrics *m)
{
    char esc[128], l[WT_METRIC_LABELS_MAX], lc[WT_METRIC_LABELS_MAX];
    wt_metrics_label_escape(cs->name, esc, sizeof(esc));
    snprintf(l, sizeof(l), "sink=\"%s\"", esc);
#define C(name, help) wt_metrics_get(m, WT_METRIC_COUNTER, name, help, l, NULL, 0)
#define G(name, help) wt_metrics_get(m, WT_METRIC_GAUGE, name, help, l, NULL, 0)
    cs->m_open = G("wtexport_ctia_open_sightings", "Sightings being counted in memory.");
    cs->m_held = G("wtexport_ctia_held_batches",
                   "Spool records counted but not acked (their sightings are not imported yet).");
    cs->m_flushes = C("wtexport_ctia_flushes_total", "Flushes: sets of sightings cut to import.");
    cs->m_sightings_count = C("wtexport_ctia_imported_count_total",
                              "Sum of the count of sightings imported (created or exists).");
    cs->m_token = C("wtexport_ctia_token_requests_total", "OAuth2 token requests.");
    cs->m_dead = C("wtexport_ctia_dead_letter_sightings_total",
                   "Sightings written to the CTIA dead-letter directory.");
    cs->m_events = C("wtexport_ctia_events_total", "Events counted into sightings.");
    cs->m_paused = G("wtexport_ctia_paused_until_seconds",
                     "Unix time until which a Retry-After pauses the CTIA sink; 0: not paused.");
    cs->m_retries = C("wtexport_ctia_retries_total", "CTIA requests scheduled again.");
    cs->m_replayed = C("wtexport_ctia_replayed_done_sightings_total",
                       "Sightings derived again after a restart from a flush that was imported "
                       "already (dropped, not sent).");
    cs->m_tx = wt_metrics_get(m, WT_METRIC_HISTOGRAM, "wtexport_ctia_transaction_seconds",
                              "Duration of CTIA bundle imports (every outcome).", l, tx_buckets,
                              sizeof(tx_buckets) / sizeof(tx_buckets[0]));
#undef C
#undef G
    for (int i = 0; i < 3; i++) {
        snprintf(lc, sizeof(lc), "%s,result=\"%s\"", l, res_name[i]);
        cs->m_res[i] =
            wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_ctia_entities_total",
                           "Sightings by import result: created, exists, error.", lc, NULL, 0);
    }
    for (size_t i = 0; i < sizeof(rq_class) / sizeof(rq_class[0]); i++) {
        snprintf(lc, sizeof(lc), "%s,class=\"%s\"", l, rq_class[i]);
        cs->m_req[i] = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_ctia_requests_total",
                                      "CTIA import requests by outcome.", lc, NULL, 0);
    }
}

/* ------------------------------------------------------------------------ */
/* Held batches and acks                                                    */
/* ------------------------------------------------------------------------ */

static struct held *held_at(struct ctia_sink *cs, uint64_t idx)
{
    if (idx < cs->hbase || idx - cs->hbase >= cs->nheld)
        return NULL;
    return &cs->held[(cs->hhead + (size_t)(idx - cs->hbase)) % cs->hcap];
}

static uint64_t held_push(struct ctia_sink *cs, struct wt_batch *b)
{
    if (cs->nheld == cs->hcap) {
        size_t nc = cs->hcap ? cs->hcap * 2 : 64;
        struct held *n = wt__ctia_must(wt_calloc(nc, sizeof(*n)));
        for (size_t i = 0; i < cs->nheld; i++)
            n[i] = cs->held[(cs->hhead + i) % cs->hcap];
        wt_free(cs->held);
        cs->held = n;
        cs->hcap = nc;
        cs->hhead = 0;
    }
    cs->held[(cs->hhead + cs->nheld) % cs->hcap] = (struct held){.b = b};
    cs->nheld++;
    cs->held_bytes += cs->s->spooled ? b->zlen : b->len;
    return cs->hbase + cs->nheld - 1;
}

/* Ack held batches from the oldest while nothing pins them (in order, as the cursor wants). */
void wt__ctia_try_ack(struct ctia_sink *cs)
{
    if (cs->in_ack || cs->closing)
        return;
    cs->in_ack = true;
    while (cs->nheld && cs->to_hold > 0) {
        struct held h = cs->held[cs->hhead];
        if (h.refs > 0)
            break;
        cs->hhead = (cs->hhead + 1) % cs->hcap;
        cs->nheld--;
        cs->hbase++;
        cs->to_hold--;
        cs->held_bytes -= cs->s->spooled ? h.b->zlen : h.b->len;
        wt_sink_done(cs->s, h.b, h.dead ? WT_SINK_DEAD : WT_SINK_ACKED);
    }
    cs->in_ack = false;
    wt_metric_set(cs->m_held, (int64_t)cs->nheld);
}

/* A sighting is imported or dead-lettered: it no longer pins its records. */
void wt__ctia_unpin(struct ctia_sink *cs, const struct wt__ctia_sight *x, bool dead)
{
    struct held *h = held_at(cs, x->min_idx);
    if (h && h->refs)
        h->refs--;
    for (uint64_t i = x->min_idx; dead && i <= x->max_idx; i++) {
        struct held *d = held_at(cs, i);
        if (d)
            d->dead = true;
    }
}

/* ------------------------------------------------------------------------ */
/* The pump                                                                 */
/* ------------------------------------------------------------------------ */

static void wake_cb(uv_timer_t *t)
{
    wt__ctia_progress(t->data);
}

static struct slot *free_slot(struct ctia_sink *cs)
{
    for (unsigned i = 0; i < cs->concurrency; i++) {
        if (!cs->slots[i].bd)
            return &cs->slots[i];
    }
    return NULL;
}

void wt__ctia_pump(struct ctia_sink *cs)
{
    if (cs->closing || cs->in_pump)
        return;
    cs->in_pump = true;
    int64_t now = wt__ctia_now_ms(cs), next = INT64_MAX;
    for (struct dl_job *j = cs->dls; j; j = j->next) {
        if (!j->running && j->due && j->due <= now)
            wt__ctia_dl_start(cs, j);
        else if (!j->running && j->due)
            next = j->due < next ? j->due : next;
    }
    if (cs->persist_failed) {
        if (now >= cs->persist_due)
            wt__ctia_persist(cs);
        else
            next = cs->persist_due < next ? cs->persist_due : next;
    }
    bool work = cs->queue != NULL;
    for (struct ctia_flush *f = cs->flushes; f && !work; f = f->next)
        work = f->state == F_IMPORT && f->todo_at < f->ntodo;
    if (cs->tok == TOK_OK && now >= cs->tok_renew_at)
        cs->tok = TOK_NONE;
    if (work && cs->tok == TOK_NONE) {
        if (now >= cs->tok_due)
            wt__ctia_start_token(cs);
        else
            next = cs->tok_due < next ? cs->tok_due : next;
    }
    if (cs->paused_until && cs->paused_until <= now) {
        cs->paused_until = 0;
        wt_metric_set(cs->m_paused, 0);
        wt_log_info(TAG, "%s: Retry-After pause over: importing again", cs->name);
    }
    if (cs->paused_until)
        next = cs->paused_until < next ? cs->paused_until : next;
    while (cs->tok == TOK_OK && !cs->paused_until && cs->inflight < cs->concurrency) {
        struct ctia_bundle *bd = NULL, **pp = &cs->queue;
        bool backing_off = false;
        for (; *pp; pp = &(*pp)->next) {
            if ((*pp)->due <= now) {
                bd = *pp;
                *pp = bd->next;
                bd->next = NULL;
                break;
            }
            backing_off = true;
            next = (*pp)->due < next ? (*pp)->due : next;
        }
        if (!bd && !backing_off)
            bd = wt__ctia_cut_bundle(cs);
        if (!bd)
            break;
        wt__ctia_start_import(cs, free_slot(cs), bd);
    }
    if (next == INT64_MAX)
        uv_timer_stop(&cs->wake);
    else
        uv_timer_start(&cs->wake, wake_cb, next > now ? (uint64_t)(next - now) : 0, 0);
    cs->in_pump = false;
}

static void tick_cb(uv_timer_t *t)
{
    struct ctia_sink *cs = t->data;
    wt_metric_set(cs->m_open, (int64_t)cs->agg.open);
    wt__ctia_progress(cs);
}

/* Hand held batches to the spooler a few per loop turn (each hold reads on). */
static void kick_cb(uv_timer_t *t)
{
    struct ctia_sink *cs = t->data;
    for (int k = 0; k < HOLDS_PER_TURN && cs->to_hold < cs->nheld; k++) {
        struct held *h = &cs->held[(cs->hhead + cs->to_hold) % cs->hcap];
        cs->to_hold++;
        h->held = true;
        wt_sink_hold(cs->s, h->b); /* may send() the next record: appended, not held yet */
    }
    if (cs->to_hold < cs->nheld)
        uv_timer_start(&cs->kick, kick_cb, 0, 0);
    wt__ctia_try_ack(cs);
    wt__ctia_progress(cs);
}

/* ------------------------------------------------------------------------ */
/* Sink operations                                                          */
/* ------------------------------------------------------------------------ */

static void ctia_send(struct wt_sink *s, struct wt_batch *b)
{
    struct ctia_sink *cs = s->impl;
    if (s->spooled)
        wt__ctia_journal_replay(cs, b->id, false);
    uint64_t idx = held_push(cs, b);
    uint64_t created0 = cs->agg.created;
    size_t off = 0;
    while (off < b->len) {
        const char *nl = memchr(b->data + off, '\n', b->len - off);
        size_t end = nl ? (size_t)(nl - b->data) : b->len;
        if (end > off) {
            int rc = wt__ctia_agg_line(&cs->agg, b->data + off, end - off, idx);
            if (rc == -ENOMEM)
                wt__ctia_must(NULL);
            if (rc == WT_EPARSE)
                wt_log_once(&cs->warned_bad, WT_LOG_WARN, TAG,
                            "%s: an event without a valid \"ts\" was not counted (more are "
                            "counted, not logged)",
                            cs->name);
        }
        off = end + 1;
    }
    wt_metric_add(cs->m_events, b->nevents);
    /* Pin this record until the sightings opened in it are imported. */
    held_at(cs, idx)->refs += cs->agg.created - created0;
    cs->last_id = b->id;
    cs->have_id = true;
    cs->last_batch_ms = wt__ctia_now_ms(cs);
    if (s->spooled) {
        wt__ctia_journal_replay(cs, b->id, true);
    } else {
        /* Without the spool a batch stays in the pipeline's memory: nothing to hand back. */
        cs->to_hold = cs->nheld;
    }
    uv_timer_start(&cs->kick, kick_cb, 0, 0);
}

static bool ctia_ready(const struct wt_sink *s)
{
    const struct ctia_sink *cs = s->impl;
    bool importing = cs->flushes != NULL;
    if (importing && cs->agg.open >= (size_t)O(cs)->max_open_sightings)
        return false;
    if (importing && cs->held_bytes > 2 * cs->hold_limit)
        return false;
    return cs->nheld < WT_CTIA_HELD_MAX && cs->to_hold >= cs->nheld;
}

static bool ctia_idle(const struct wt_sink *s)
{
    const struct ctia_sink *cs = s->impl;
    return cs->nheld == 0 && cs->inflight == 0 && !cs->dls && !cs->flushes;
}

void wt__ctia_sink_free(struct ctia_sink *cs)
{
    wt__ctia_secrets_wipe(&cs->sec);
    explicit_bzero(cs->token, sizeof(cs->token));
    for (unsigned i = 0; i < WT_HTTP_CONCURRENCY_MAX; i++)
        wt_free(cs->slots[i].resp.body);
    if (cs->tok_resp.body)
        explicit_bzero(cs->tok_resp.body, cs->tok_resp.cap);
    wt_free(cs->tok_resp.body);
    wt__ctia_agg_close(&cs->agg);
    wt__ctia_state_close(&cs->st);
    wt_free(cs->held);
    wt_metrics_free(cs->own_metrics);
    wt_free(cs);
}

static void on_closed(void *ctx)
{
    struct ctia_sink *cs = ctx;
    if (--cs->pending == 0)
        wt__ctia_sink_free(cs);
}

static void on_handle_closed(uv_handle_t *h)
{
    on_closed(h->data);
}

/* Load the journal: flushes to apply again as the spool replays its records. */
static int load_state(struct ctia_sink *cs, const char *path, char *err, size_t errlen)
{
    char *text = NULL, why[300];
    size_t len = 0;
    int rc = wt_read_state_file(path, 64u << 20, &text, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc == 0)
        rc = wt__ctia_state_parse(&cs->st, text, len, why, sizeof(why));
    else
        snprintf(why, sizeof(why), "%s", wt_strerror(rc));
    wt_free(text);
    if (rc != 0) {
        snprintf(err, errlen,
                 "sink %s: %s: %s (move it away to start without it: sightings of records "
                 "not yet acked may then be counted twice)",
                 cs->name, path, why);
        return rc;
    }
    cs->jloaded = cs->st.nfl;
    size_t pending = 0;
    for (size_t i = 0; i < cs->st.nfl; i++)
        pending += !cs->st.fl[i].done;
    if (cs->jloaded)
        wt_log_info(TAG,
                    "%s: journal %s: %zu flush(es) to apply again as records replay, %zu "
                    "not imported yet",
                    cs->name, path, cs->jloaded, pending);
    return 0;
}

static void ctia_close(struct wt_sink *s);

static int ctia_open(struct wt_sink *s, char *err, size_t errlen)
{
    const struct wt_sink_cfg *sc = s->cfg;
    const struct wt_ctia_opts *o = sc->opts;
    const struct wt_config *g = s->config;
    struct ctia_sink *cs = wt_calloc(1, sizeof(*cs));
    if (!cs) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    cs->s = s;
    snprintf(cs->name, sizeof(cs->name), "%s", sc->name);
    if (g && g->host)
        snprintf(cs->host, sizeof(cs->host), "%s", g->host);
    else if (gethostname(cs->host, sizeof(cs->host) - 1) != 0)
        snprintf(cs->host, sizeof(cs->host), "localhost");
    wt__ctia_urls(o, cs->token_url, sizeof(cs->token_url), cs->import_url, sizeof(cs->import_url));
    snprintf(cs->dl_dir, sizeof(cs->dl_dir), "%s/ctia-%s",
             o->dead_letter ? o->dead_letter : "dead-letter", sc->name);
    const char *sf = o->state_file ? o->state_file : "ctia.json";
    const char *slash = strrchr(sf, '/');
    snprintf(cs->state_dir, sizeof(cs->state_dir), "%.*s", slash ? (int)(slash - sf) : 1,
             slash ? sf : ".");
    snprintf(cs->state_name, sizeof(cs->state_name), "%s", slash ? slash + 1 : sf);
    cs->concurrency = (unsigned)o->http.concurrency;
    if (cs->concurrency < 1 || cs->concurrency > WT_HTTP_CONCURRENCY_MAX)
        cs->concurrency = WT_HTTP_CONCURRENCY_DEFAULT;
    cs->timeout_ms = o->http.transaction_timeout_ms;
    size_t cap = g ? (s->spooled ? (size_t)(g->spool.max_bytes / 4) : g->queue.max_bytes / 4)
                   : (size_t)16 << 20;
    cs->hold_limit = cap;
    cs->last_batch_ms = (int64_t)uv_now(s->loop);
    wt_http_budget_init(&cs->bg, o->http.budget_fraction * (double)cs->timeout_ms / 1000.0,
                        TARGET_MIN, TARGET_MAX, TARGET_INITIAL);
    if (getrandom(&cs->rng, sizeof(cs->rng), GRND_NONBLOCK) != (ssize_t)sizeof(cs->rng))
        cs->rng = (uint64_t)wt_wall_ms() ^ ((uint64_t)getpid() << 32);
    wt__ctia_state_init(&cs->st);
    int rc = wt__ctia_secrets_load(o, &cs->sec, err, errlen);
    if (rc != 0) {
        char why[600];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "sink %s: %s", cs->name, why);
        wt__ctia_sink_free(cs);
        return rc;
    }
    wt__ctia_secrets_wipe(&cs->sec); /* read again for each token request */
    if (wt__ctia_agg_init(&cs->agg, o->bucket_ms, o->types_mask,
                          o->targets == WT_CTIA_TARGETS_IP) != 0) {
        snprintf(err, errlen, "out of memory");
        wt__ctia_sink_free(cs);
        return -ENOMEM;
    }
    if (s->spooled) {
        rc = load_state(cs, sf, err, errlen);
        if (rc != 0) {
            wt__ctia_sink_free(cs);
            return rc;
        }
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "sink %s: curl_global_init failed", cs->name);
        wt__ctia_sink_free(cs);
        return -EIO;
    }
    s->impl = cs;
    struct wt_metrics *m = s->metrics;
    if (!m)
        m = cs->own_metrics = wt_metrics_new();
    if (!m) {
        snprintf(err, errlen, "out of memory");
        curl_global_cleanup();
        s->impl = NULL;
        wt__ctia_sink_free(cs);
        return -ENOMEM;
    }
    metrics_create(cs, m);
    uv_timer_init(s->loop, &cs->wake);
    uv_timer_init(s->loop, &cs->tick);
    uv_timer_init(s->loop, &cs->kick);
    cs->wake.data = cs->tick.data = cs->kick.data = cs;
    uv_timer_start(&cs->tick, tick_cb, TICK_MS, TICK_MS);
    cs->http_ok = wt_http_loop_init(&cs->http, s->loop, cs->concurrency + 1, wt__ctia_on_transfer,
                                    wt__ctia_after_transfers, cs, cs->name) == 0;
    bool ok = cs->http_ok;
    cs->tok_eh = curl_easy_init();
    cs->tok_resp.cap = 64 * 1024;
    cs->tok_resp.body = wt_calloc(1, cs->tok_resp.cap);
    ok = ok && cs->tok_eh && cs->tok_resp.body;
    for (unsigned i = 0; i < cs->concurrency; i++) {
        struct slot *sl = &cs->slots[i];
        sl->cs = cs;
        sl->eh = curl_easy_init();
        sl->resp.cap = RESP_MAX;
        sl->resp.body = wt_calloc(1, RESP_MAX);
        ok = ok && sl->eh && sl->resp.body;
    }
    if (!ok) {
        snprintf(err, errlen, "sink %s: out of memory", cs->name);
        ctia_close(s);
        return -ENOMEM;
    }
    wt_log_info(TAG,
                "%s: %s (token %s), buckets of %" PRId64 " s + %" PRId64
                " s grace, %d sightings per bundle, %u request(s) in flight%s",
                cs->name, cs->import_url, cs->token_url, o->bucket_ms / 1000,
                o->bucket_grace_ms / 1000, o->max_entities, cs->concurrency,
                s->spooled ? "" : " (replay: no journal)");
    return 0;
}

static void ctia_close(struct wt_sink *s)
{
    struct ctia_sink *cs = s->impl;
    if (!cs)
        return;
    s->impl = NULL;
    cs->closing = true;
    /* What is open or in flight was never acked: the spool replays it at the next start. */
    for (unsigned i = 0; i < WT_HTTP_CONCURRENCY_MAX; i++) {
        struct slot *sl = &cs->slots[i];
        if (sl->bd) {
            wt_http_loop_remove(&cs->http, sl->eh);
            wt__ctia_wipe_slist(sl->hdrs);
            sl->hdrs = NULL;
            wt__ctia_bundle_free(sl->bd);
            sl->bd = NULL;
        }
        if (sl->eh)
            curl_easy_cleanup(sl->eh);
        sl->eh = NULL;
    }
    if (cs->tok_eh) {
        if (cs->tok == TOK_FETCHING)
            wt_http_loop_remove(&cs->http, cs->tok_eh);
        curl_easy_cleanup(cs->tok_eh);
        cs->tok_eh = NULL;
    }
    if (cs->http_ok) {
        cs->pending++;
        wt_http_loop_close(&cs->http, on_closed);
    }
    while (cs->queue) {
        struct ctia_bundle *n = cs->queue->next;
        wt__ctia_bundle_free(cs->queue);
        cs->queue = n;
    }
    while (cs->flushes) {
        struct ctia_flush *n = cs->flushes->next;
        wt__ctia_flush_free(cs->flushes);
        cs->flushes = n;
    }
    cs->flushes_tail = NULL;
    for (struct dl_job *j = cs->dls, *n; j; j = n) {
        n = j->next;
        if (j->running)
            cs->pending++; /* its after-callback frees it */
        else
            wt__ctia_dl_free(j);
    }
    cs->dls = NULL;
    if (cs->persist_busy)
        cs->pending++;
    curl_global_cleanup();
    uv_timer_stop(&cs->wake);
    uv_timer_stop(&cs->tick);
    uv_timer_stop(&cs->kick);
    cs->pending += 3;
    uv_close((uv_handle_t *)&cs->wake, on_handle_closed);
    uv_close((uv_handle_t *)&cs->tick, on_handle_closed);
    uv_close((uv_handle_t *)&cs->kick, on_handle_closed);
}

const struct wt_sink_ops wt__ctia_ops = {
    .type = "ctia",
    .open = ctia_open,
    .send = ctia_send,
    .ready = ctia_ready,
    .idle = ctia_idle,
    .close = ctia_close,
};
