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
/* No batch for this long: the stream is idle (buckets close by the wall clock alone). */
#define IDLE_MS 1000
/* Journal entries not reached this long after the spool went idle are given up. */
#define JOURNAL_IDLE_MS 10000
/* Retry period of a failed journal or dead-letter write. */
#define WRITE_RETRY_MS 5000
/* Batches held at most (the spooler's own bound is WT_SPOOLER_HELD_MAX, above). */
#define WT_CTIA_HELD_MAX 90000
/* Holds handed to the spooler per loop turn (each reads the next record). */
#define HOLDS_PER_TURN 16
/* Connection phase of a request, at most. */
#define CONNECT_TIMEOUT_MS 30000
/* Consecutive failed requests before the sink reports failing. */
#define FAILING_AFTER 3
/* Bundle bytes: floor, start and ceiling of the budget controller. */
#define TARGET_MIN     (16 * 1024)
#define TARGET_INITIAL (512 * 1024)
#define TARGET_MAX     (8 * 1024 * 1024)
/* Bytes a sighting is expected to take in a bundle, beyond its value and targets. */
#define SIGHT_BYTES        900
#define SIGHT_TARGET_BYTES 160
/* Bytes of an import answer kept. */
#define RESP_MAX (1u << 20)

/* ------------------------------------------------------------------------ */
/* State                                                                    */
/* ------------------------------------------------------------------------ */

struct ctia_sink;

struct held {
    struct wt_batch *b;
    uint64_t refs; /* sightings opened in it not yet imported */
    bool dead;     /* some of its events were dead-lettered */
    bool held;     /* wt_sink_hold done */
};

enum fstate {
    F_PERSIST = 0, /* journal entry being made durable */
    F_IMPORT,      /* sightings being imported */
    F_FINISH,      /* all imported; the done mark being made durable */
};

struct ctia_flush {
    struct ctia_flush *next;
    enum fstate state;
    uint64_t after;
    int64_t before;
    uint64_t need_ver;            /* journal version that must be durable first */
    struct wt__ctia_sight *parts; /* all of them (->next) */
    struct wt__ctia_sight **todo; /* not yet in a bundle: todo[ntodo_at..ntodo) */
    size_t nparts, ntodo, todo_at;
    size_t unresolved; /* parts without a final result */
    bool dead;
};

struct ctia_bundle {
    struct ctia_bundle *next;
    struct ctia_flush *f;
    struct wt__ctia_sight **items;
    size_t n;
    char *body;
    size_t len;
    unsigned attempts;
    bool reauthed;
    int64_t due, first_ms;
};

struct slot {
    struct ctia_sink *cs;
    CURL *eh;
    struct ctia_bundle *bd; /* NULL: free */
    struct curl_slist *hdrs;
    uint64_t t0_ns;
    char errbuf[CURL_ERROR_SIZE];
    struct wt_http_resp resp;
};

/* A dead letter on the thread pool: sightings as NDJSON and a reason. */
struct dl_job {
    struct ctia_sink *cs;
    struct dl_job *next;
    uv_work_t work;
    struct ctia_flush *f;
    uint64_t after; /* f->after (f may go at close while the job runs) */
    struct wt__ctia_sight **items;
    size_t n;
    char *ndjson;
    size_t len;
    cJSON *reason;
    int rc;
    bool running;
    int64_t due;
    char path[WT_DEAD_LETTER_PATH_MAX];
};

enum tstate { TOK_NONE = 0, TOK_FETCHING, TOK_OK };

struct ctia_sink {
    struct wt_sink *s;
    char name[WT_SINK_NAME_MAX + 1];
    char host[256];
    char token_url[WT_CTIA_URL_MAX + 1];
    char import_url[WT_CTIA_URL_MAX + 64];
    char dl_dir[4200];
    char state_dir[4096], state_name[WT_SINK_NAME_MAX + 16];
    struct wt__ctia_secret sec;
    unsigned concurrency;
    int64_t timeout_ms;
    size_t hold_limit; /* held record bytes that force an early flush */

    struct wt__ctia_agg agg;
    struct wt__ctia_state st;
    size_t jnext, jloaded; /* journal entries re-applied so far, and loaded */
    uint64_t ver, durable_ver;
    bool persist_busy, persist_failed;
    int64_t persist_due;
    uv_work_t persist_work;
    char *persist_text;
    int persist_rc;
    uint64_t persist_ver;

    /* Held batches: held[0] has index hbase. */
    struct held *held;
    size_t nheld, hcap, hhead;
    uint64_t hbase;
    size_t held_bytes;
    size_t to_hold; /* held[] entries from here on still need wt_sink_hold */
    uint64_t last_id;
    bool have_id;
    int64_t last_batch_ms;

    struct ctia_flush *flushes, *flushes_tail;
    struct ctia_bundle *queue; /* bundles waiting (due) */
    struct dl_job *dls;

    struct wt_http_loop http;
    bool http_ok;
    struct slot slots[WT_CTIA_CONCURRENCY_MAX];
    unsigned inflight;
    CURL *tok_eh;
    struct wt_http_resp tok_resp;
    char tok_err[CURL_ERROR_SIZE];
    enum tstate tok;
    char token[WT_CTIA_TOKEN_MAX + 1];
    int64_t tok_renew_at, tok_due;
    unsigned tok_attempts;

    uv_timer_t wake, tick, kick;
    int64_t paused_until;
    struct wt_http_budget bg;
    uint64_t rng;
    unsigned fail_streak;
    bool problem_set, in_pump, in_ack, warned_bad;
    bool closing;
    unsigned pending;

    struct wt_metrics *own_metrics;
    struct wt_metric *m_res[3], *m_req[6], *m_open, *m_held, *m_flushes, *m_sightings_count,
        *m_token, *m_dead, *m_events, *m_tx, *m_paused, *m_retries, *m_replayed;
};

enum { RQ_2XX = 0, RQ_3XX, RQ_4XX, RQ_5XX, RQ_ERROR, RQ_TIMEOUT };
static const char *const rq_class[] = {"2xx", "3xx", "4xx", "5xx", "error", "timeout"};
static const char *const res_name[] = {"created", "exists", "error"};

static void pump(struct ctia_sink *cs);
static void progress(struct ctia_sink *cs);

/* The options: through the sink, whose cfg a reload points at the new document. */
#define O(cs) ((const struct wt_ctia_opts *)(cs)->s->cfg->opts)

static int64_t now_ms(const struct ctia_sink *cs)
{
    return (int64_t)uv_now(cs->s->loop);
}

static void *must(void *p)
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
        struct held *n = must(wt_calloc(nc, sizeof(*n)));
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
static void try_ack(struct ctia_sink *cs)
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
static void unpin(struct ctia_sink *cs, const struct wt__ctia_sight *x, bool dead)
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
/* The journal (thread pool)                                                */
/* ------------------------------------------------------------------------ */

static void persist_work(uv_work_t *req)
{
    struct ctia_sink *cs = req->data;
    cs->persist_rc = cs->persist_text ? wt_write_atomic(cs->state_dir, cs->state_name,
                                                        cs->persist_text, strlen(cs->persist_text))
                                      : -ENOMEM;
}

static void sink_free(struct ctia_sink *cs);

static void persist_after(uv_work_t *req, int status)
{
    struct ctia_sink *cs = req->data;
    cs->persist_busy = false;
    wt_free(cs->persist_text);
    cs->persist_text = NULL;
    if (cs->closing) {
        if (--cs->pending == 0)
            sink_free(cs);
        return;
    }
    int rc = status ? status : cs->persist_rc;
    if (rc != 0) {
        if (!cs->persist_failed)
            wt_log_error(TAG,
                         "%s: cannot write %s/%s: %s (retrying every %d s; nothing is imported "
                         "or acked meanwhile)",
                         cs->name, cs->state_dir, cs->state_name, wt_strerror(rc),
                         WRITE_RETRY_MS / 1000);
        cs->persist_failed = true;
        cs->persist_due = now_ms(cs) + WRITE_RETRY_MS;
    } else {
        if (cs->persist_failed)
            wt_log_info(TAG, "%s: journal written again", cs->name);
        cs->persist_failed = false;
        cs->durable_ver = cs->persist_ver;
    }
    progress(cs);
}

/* Start writing the journal if it changed since the last write. */
static void persist(struct ctia_sink *cs)
{
    if (!cs->s->spooled) {
        cs->durable_ver = cs->ver; /* replay: nothing to recover, nothing written */
        return;
    }
    if (cs->persist_busy || cs->durable_ver == cs->ver ||
        (cs->persist_failed && now_ms(cs) < cs->persist_due))
        return;
    cs->persist_text = wt__ctia_state_text(&cs->st);
    cs->persist_ver = cs->ver;
    cs->persist_busy = true;
    cs->persist_work.data = cs;
    if (uv_queue_work(cs->s->loop, &cs->persist_work, persist_work, persist_after) != 0) {
        wt_log_error(TAG, "%s: uv_queue_work failed", cs->name);
        abort();
    }
}

/* ------------------------------------------------------------------------ */
/* Flushes                                                                  */
/* ------------------------------------------------------------------------ */

static struct ctia_flush *flush_new(struct ctia_sink *cs, uint64_t after, int64_t before,
                                    struct wt__ctia_sight *parts)
{
    struct ctia_flush *f = must(wt_calloc(1, sizeof(*f)));
    f->after = after;
    f->before = before;
    f->parts = parts;
    for (struct wt__ctia_sight *x = parts; x; x = x->next)
        f->nparts++;
    f->todo = must(wt_calloc(f->nparts ? f->nparts : 1, sizeof(*f->todo)));
    for (struct wt__ctia_sight *x = parts; x; x = x->next)
        f->todo[f->ntodo++] = x;
    f->unresolved = f->nparts;
    if (cs->flushes_tail)
        cs->flushes_tail->next = f;
    else
        cs->flushes = f;
    cs->flushes_tail = f;
    wt_metric_add(cs->m_flushes, 1);
    return f;
}

static void flush_free(struct ctia_flush *f)
{
    struct wt__ctia_sight *x = f->parts;
    while (x) {
        struct wt__ctia_sight *n = x->next;
        wt__ctia_sight_free(x);
        x = n;
    }
    wt_free(f->todo);
    wt_free(f);
}

/* The journal entry of f (the newest with its after and before). */
static struct wt__ctia_flush_rec *flush_rec(struct ctia_sink *cs, const struct ctia_flush *f)
{
    for (size_t i = cs->st.nfl; i-- > 0;) {
        if (cs->st.fl[i].after == f->after && cs->st.fl[i].before == f->before)
            return &cs->st.fl[i];
    }
    return NULL;
}

/* Part numbers and ids of a cut; parts: the journal's numbers (NULL: new ones). */
static struct wt__ctia_part_no *number_parts(struct ctia_sink *cs, struct wt__ctia_sight *list,
                                             const struct wt__ctia_flush_rec *rec, size_t *np)
{
    struct wt__ctia_part_no *out = NULL;
    size_t n = 0, cap = 0;
    for (struct wt__ctia_sight *x = list; x; x = x->next) {
        size_t k = 0;
        while (k < n && out[k].bucket != x->bucket)
            k++;
        if (k == n) {
            uint32_t part = 0;
            bool found = false;
            for (size_t j = 0; rec && j < rec->nparts; j++) {
                if (rec->parts[j].bucket == x->bucket) {
                    part = rec->parts[j].part;
                    found = true;
                }
            }
            if (!found) {
                if (rec)
                    wt_log_warn(TAG,
                                "%s: a replayed flush has a bucket its journal entry does not "
                                "name: new part number",
                                cs->name);
                part = wt__ctia_state_next(&cs->st, x->bucket);
            }
            if (wt__ctia_state_used(&cs->st, x->bucket, part) != 0)
                must(NULL);
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                out = must(wt_realloc(out, cap * sizeof(*out)));
            }
            out[n++] = (struct wt__ctia_part_no){x->bucket, part};
        }
        x->part = out[k].part;
        wt__ctia_sight_set_id(x, cs->host);
    }
    *np = n;
    return out;
}

/* Cut the open sightings of buckets before `before` as a new flush (journaled first). */
static void flush_cut(struct ctia_sink *cs, int64_t before, const char *why)
{
    struct wt__ctia_sight *list = wt__ctia_agg_cut(&cs->agg, before);
    if (!list)
        return;
    size_t np;
    struct wt__ctia_part_no *parts = number_parts(cs, list, NULL, &np);
    if (wt__ctia_state_add(&cs->st, cs->last_id, before, parts, np) != 0)
        must(NULL);
    cs->ver++;
    struct ctia_flush *f = flush_new(cs, cs->last_id, before, list);
    f->state = F_PERSIST;
    f->need_ver = cs->ver;
    wt_log_debug(TAG, "%s: flush of %zu sighting(s) in %zu bucket(s) after record %" PRIu64 " (%s)",
                 cs->name, f->nparts, np, cs->last_id, why);
    wt_metric_set(cs->m_open, (int64_t)cs->agg.open);
    persist(cs);
}

/* Apply journal entry rec again (after a restart) at its record. */
static void journal_apply(struct ctia_sink *cs, struct wt__ctia_flush_rec *rec)
{
    struct wt__ctia_sight *list = wt__ctia_agg_cut(&cs->agg, rec->before);
    size_t np;
    wt_free(number_parts(cs, list, rec, &np));
    cs->ver++;
    if (rec->done) {
        /* Imported whole before the restart: what was derived again is a part of it. */
        size_t n = 0;
        while (list) {
            struct wt__ctia_sight *x = list->next;
            unpin(cs, list, false);
            wt__ctia_sight_free(list);
            list = x;
            n++;
        }
        wt_metric_add(cs->m_replayed, n);
        wt_log_debug(TAG, "%s: journal: flush after record %" PRIu64 " was done: %zu dropped",
                     cs->name, rec->after, n);
        return;
    }
    if (!list) {
        rec->done = true;
        rec->done_ms = wt_wall_ms();
        return;
    }
    struct ctia_flush *f = flush_new(cs, rec->after, rec->before, list);
    f->state = F_IMPORT;
    wt_log_info(TAG,
                "%s: journal: importing again %zu sighting(s) of a flush after record %" PRIu64,
                cs->name, f->nparts, rec->after);
}

/* Re-apply journal entries up to record id (inclusive: entries after id itself). */
static void journal_replay(struct ctia_sink *cs, uint64_t id, bool inclusive)
{
    while (cs->jnext < cs->jloaded) {
        struct wt__ctia_flush_rec *rec = &cs->st.fl[cs->jnext];
        if (!(rec->after < id || (inclusive && rec->after == id)))
            break;
        cs->jnext++;
        journal_apply(cs, rec);
    }
}

static bool replaying(const struct ctia_sink *cs)
{
    return cs->jnext < cs->jloaded;
}

/* Decide whether to cut a flush now (no flush of our own is unfinished). */
static void maybe_flush(struct ctia_sink *cs)
{
    if (cs->closing || !cs->agg.open)
        return;
    int64_t now = now_ms(cs);
    if (replaying(cs)) {
        if (now - cs->last_batch_ms < JOURNAL_IDLE_MS)
            return;
        wt_log_warn(TAG, "%s: %zu journal entr%s never reached by the spool: applied now", cs->name,
                    cs->jloaded - cs->jnext, cs->jloaded - cs->jnext == 1 ? "y" : "ies");
        journal_replay(cs, UINT64_MAX, true);
    }
    for (struct ctia_flush *f = cs->flushes; f; f = f->next) {
        if (f->state == F_PERSIST)
            return; /* one new flush at a time */
    }
    int64_t bms = O(cs)->bucket_ms, grace = O(cs)->bucket_grace_ms;
    int64_t t_wall = wt__ctia_bucket_of(wt_wall_ms() - grace, bms);
    int64_t t = t_wall;
    bool idle = now - cs->last_batch_ms >= IDLE_MS;
    /* replay (no spool): the input has ended or stalls; nothing would be recovered
     * from an open bucket, so everything goes. */
    if (idle && !cs->s->spooled)
        t = INT64_MAX;
    if (!idle && cs->agg.watermark != INT64_MIN) {
        int64_t t_wm = wt__ctia_bucket_of(cs->agg.watermark - grace, bms);
        if (t_wm < t)
            t = t_wm;
    }
    if (wt__ctia_agg_oldest(&cs->agg) < t) {
        flush_cut(cs, t, "bucket end");
        return;
    }
    if (cs->agg.open >= (size_t)O(cs)->max_open_sightings) {
        flush_cut(cs, wt__ctia_agg_cut_for(&cs->agg, (size_t)O(cs)->max_open_sightings / 2),
                  "max_open_sightings");
        return;
    }
    bool busy = cs->flushes != NULL;
    if (!busy && cs->held_bytes > cs->hold_limit) {
        int64_t oldest = wt__ctia_agg_oldest(&cs->agg);
        flush_cut(cs, oldest > INT64_MAX - bms ? INT64_MAX : oldest + bms, "held records");
    }
}

/* Finish what can finish: journal durable, flushes done, acks. */
static void progress(struct ctia_sink *cs)
{
    if (cs->closing)
        return;
    for (struct ctia_flush *f = cs->flushes; f; f = f->next) {
        if (f->state == F_PERSIST && cs->durable_ver >= f->need_ver)
            f->state = F_IMPORT;
        if (f->state == F_IMPORT && f->unresolved == 0) {
            struct wt__ctia_flush_rec *rec = flush_rec(cs, f);
            if (rec) {
                rec->done = true;
                rec->done_ms = wt_wall_ms();
            }
            cs->ver++;
            f->need_ver = cs->ver;
            f->state = F_FINISH;
        }
    }
    /* Also when nothing changed here: a change made while a write was running
     * is written once that write is over. */
    persist(cs);
    /* Done flushes whose mark is durable release their records, oldest first. */
    struct ctia_flush **pp = &cs->flushes, *prev = NULL;
    bool released = false;
    while (*pp) {
        struct ctia_flush *f = *pp;
        if (f->state != F_FINISH || cs->durable_ver < f->need_ver) {
            prev = f;
            pp = &f->next;
            continue;
        }
        *pp = f->next;
        if (cs->flushes_tail == f)
            cs->flushes_tail = prev;
        for (struct wt__ctia_sight *x = f->parts; x; x = x->next)
            unpin(cs, x, x->result == WT_CTIA_RES_ERROR);
        flush_free(f);
        released = true;
    }
    if (released) {
        if (!replaying(cs)) {
            /* Events older than the retention window never arrive: their buckets' part
             * numbers can go (a day of margin); done flushes after a while. */
            const struct wt_config *g = cs->s->config;
            int64_t keep = g ? g->retention_ms : WT_CTIA_BUCKET_MAX_MS;
            wt__ctia_state_prune(&cs->st, wt_wall_ms(),
                                 wt_wall_ms() - keep - WT_CTIA_BUCKET_MAX_MS - O(cs)->bucket_ms);
            cs->jnext = cs->jloaded = cs->st.nfl;
        }
        try_ack(cs);
    }
    maybe_flush(cs);
    pump(cs);
}

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
    cJSON *arr = must(cJSON_CreateArray());
    for (size_t i = 0; i < bd->n; i++)
        cJSON_AddItemToArray(arr, must(wt__ctia_sight_json(bd->items[i], cs->host)));
    cJSON *b = must(wt_ctim_bundle_json(arr, "wtexport"));
    wt_free(bd->body);
    bd->body = must(cJSON_PrintUnformatted(b));
    bd->len = strlen(bd->body);
    cJSON_Delete(b);
}

static struct ctia_bundle *bundle_new(struct ctia_sink *cs, struct ctia_flush *f,
                                      struct wt__ctia_sight **items, size_t n)
{
    struct ctia_bundle *bd = must(wt_calloc(1, sizeof(*bd)));
    bd->f = f;
    bd->items = must(wt_calloc(n, sizeof(*bd->items)));
    memcpy(bd->items, items, n * sizeof(*items));
    bd->n = n;
    bd->due = now_ms(cs);
    bd->first_ms = -1;
    bundle_body(cs, bd);
    return bd;
}

static void bundle_free(struct ctia_bundle *bd)
{
    if (!bd)
        return;
    wt_free(bd->items);
    cJSON_free(bd->body);
    wt_free(bd);
}

/* The next bundle of the oldest flush that has sightings left, or NULL. */
static struct ctia_bundle *cut_bundle(struct ctia_sink *cs)
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
    bundle_free(bd);
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

static void dl_start(struct ctia_sink *cs, struct dl_job *j);

static void dl_free(struct dl_job *j)
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
        dl_free(j);
        if (--cs->pending == 0)
            sink_free(cs);
        return;
    }
    int rc = status ? status : j->rc;
    if (rc != 0) {
        wt_log_error(TAG, "%s: cannot write a dead letter to %s: %s (retrying in %d s)", cs->name,
                     cs->dl_dir, wt_strerror(rc), WRITE_RETRY_MS / 1000);
        j->due = now_ms(cs) + WRITE_RETRY_MS;
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
    dl_free(j);
    progress(cs);
}

static void dl_start(struct ctia_sink *cs, struct dl_job *j)
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
    struct dl_job *j = must(wt_calloc(1, sizeof(*j)));
    j->cs = cs;
    j->f = f;
    j->after = f->after;
    j->items = must(wt_calloc(n, sizeof(*items)));
    memcpy(j->items, items, n * sizeof(*items));
    j->n = n;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *o = must(wt__ctia_sight_json(items[i], cs->host));
        char *t = must(cJSON_PrintUnformatted(o));
        cJSON_Delete(o);
        size_t tl = strlen(t);
        if (j->len + tl + 1 > cap) {
            cap = (j->len + tl + 1) * 2;
            j->ndjson = must(wt_realloc(j->ndjson, cap));
        }
        memcpy(j->ndjson + j->len, t, tl);
        j->len += tl;
        j->ndjson[j->len++] = '\n';
        cJSON_free(t);
    }
    j->reason = must(wt_dead_letter_reason(cs->name, wt_wall_ms(), f->after, reason));
    cJSON_AddNumberToObject(j->reason, "sightings", (double)n);
    if (status)
        cJSON_AddNumberToObject(j->reason, "status", (double)status);
    if (resp && resp[0])
        cJSON_AddStringToObject(j->reason, "response", resp);
    j->next = cs->dls;
    cs->dls = j;
    dl_start(cs, j);
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
    return wt_http_backoff_ms((uint64_t)O(cs)->retry.base_ms, (uint64_t)O(cs)->retry.cap_ms,
                              attempt, wt_http_rand(&cs->rng));
}

static void retry_later(struct ctia_sink *cs, struct ctia_bundle *bd, const char *why)
{
    int64_t now = now_ms(cs);
    int64_t maxd = O(cs)->retry.max_duration_ms;
    if (maxd > 0 && bd->first_ms >= 0 && now - bd->first_ms >= maxd) {
        char reason[600];
        snprintf(reason, sizeof(reason), "retry.max_duration (%" PRId64 " ms) exceeded; last: %s",
                 maxd, why);
        dead_letter(cs, bd->f, bd->items, bd->n, 0, reason, NULL);
        bundle_free(bd);
        return;
    }
    bd->due = now + (int64_t)backoff(cs, bd->attempts);
    bd->attempts++;
    wt_metric_add(cs->m_retries, 1);
    enqueue(cs, bd, false);
}

static void wipe_slist(struct curl_slist *l)
{
    for (struct curl_slist *h = l; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(l);
}

static void start_import(struct ctia_sink *cs, struct slot *sl, struct ctia_bundle *bd)
{
    char h[WT_CTIA_TOKEN_MAX + 64];
    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
    l = curl_slist_append(l, "Accept: application/json");
    snprintf(h, sizeof(h), "Authorization: Bearer %s", cs->token);
    l = must(curl_slist_append(l, h));
    explicit_bzero(h, sizeof(h));
    CURL *eh = sl->eh;
    wt_http_curl_common(eh, cs->import_url, O(cs)->ca_file, O(cs)->proxy, sl->errbuf);
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
        bd->first_ms = now_ms(cs);
    if (wt_http_loop_add(&cs->http, eh) != 0)
        abort();
    cs->inflight++;
    wt_log_debug(TAG, "%s: POST bundle of %zu sighting(s), %zu bytes", cs->name, bd->n, bd->len);
}

static void start_token(struct ctia_sink *cs)
{
    char err[600];
    wt__ctia_secrets_wipe(&cs->sec);
    /* Read again each time: a rotated secret is picked up without a restart. */
    if (wt__ctia_secrets_load(O(cs), &cs->sec, err, sizeof(err)) != 0) {
        note_failure(cs, err);
        cs->tok_due = now_ms(cs) + (int64_t)backoff(cs, cs->tok_attempts++);
        return;
    }
    CURL *eh = cs->tok_eh;
    wt__ctia_token_setup(eh, cs->token_url, O(cs)->ca_file, O(cs)->proxy, &cs->sec, cs->tok_err);
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
        cs->tok_renew_at = now_ms(cs) + life * 1000 - margin;
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
    cs->tok_due = now_ms(cs) + (int64_t)backoff(cs, cs->tok_attempts++);
}

/* The answer's text for logs and dead letters: printable, cut short. */
static void describe(const struct slot *sl, CURLcode rc, long http, char *buf, size_t cap)
{
    if (rc != CURLE_OK) {
        snprintf(buf, cap, "%s: %s", sl->cs->import_url,
                 sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(rc));
        return;
    }
    char body[200];
    size_t n = sl->resp.len < sizeof(body) - 1 ? sl->resp.len : sizeof(body) - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)sl->resp.body[i];
        body[i] = ch >= ' ' && ch < 0x7f ? (char)ch : ' ';
    }
    body[n] = '\0';
    snprintf(buf, cap, "HTTP %ld%s%s", http, n ? ": " : "", body);
}

static bool maybe_pause(struct ctia_sink *cs, CURL *eh, long http)
{
    struct curl_header *h = NULL;
    int64_t delay;
    if (!wt_http_pausing_status(http) ||
        curl_easy_header(eh, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h ||
        wt_http_retry_after(h->value, wt_wall_ms(), &delay) != 0 || delay <= 0)
        return false;
    int64_t until = now_ms(cs) + delay + 5;
    if (until > cs->paused_until) {
        cs->paused_until = until;
        wt_metric_set(cs->m_paused, (wt_wall_ms() + delay + 999) / 1000);
        wt_log_warn(TAG, "%s: HTTP %ld with Retry-After %s: no request for %" PRId64 " ms",
                    cs->name, http, h->value, delay);
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
    rc.errs = must(wt_calloc(bd->n, sizeof(*rc.errs)));
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
    bundle_free(bd);
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
            bd->due = now_ms(cs);
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
        bundle_free(bd);
        return;
    }
    if (rc == CURLE_OK && http >= 400 && http <= 499 && http != 408 && http != 429) {
        dead_letter(cs, bd->f, bd->items, bd->n, http, what, sl->resp.body);
        bundle_free(bd);
        return;
    }
    if (http == 408 || http == 429 || http >= 500 || (connected && rc != CURLE_OK))
        wt_http_budget_fail(&cs->bg, bd->len);
    note_failure(cs, what);
    if (maybe_pause(cs, sl->eh, http)) {
        bd->attempts++;
        bd->due = now_ms(cs);
        wt_metric_add(cs->m_retries, 1);
        enqueue(cs, bd, true);
        return;
    }
    retry_later(cs, bd, what);
}

static void on_transfer(void *ctx, CURL *eh, CURLcode rc)
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
    wipe_slist(sl->hdrs);
    sl->hdrs = NULL;
    struct ctia_bundle *bd = sl->bd;
    sl->bd = NULL;
    on_import(cs, sl, bd, rc);
}

static void after_transfers(void *ctx)
{
    progress(ctx);
}

/* ------------------------------------------------------------------------ */
/* The pump                                                                 */
/* ------------------------------------------------------------------------ */

static void wake_cb(uv_timer_t *t)
{
    progress(t->data);
}

static struct slot *free_slot(struct ctia_sink *cs)
{
    for (unsigned i = 0; i < cs->concurrency; i++) {
        if (!cs->slots[i].bd)
            return &cs->slots[i];
    }
    return NULL;
}

static void pump(struct ctia_sink *cs)
{
    if (cs->closing || cs->in_pump)
        return;
    cs->in_pump = true;
    int64_t now = now_ms(cs), next = INT64_MAX;
    for (struct dl_job *j = cs->dls; j; j = j->next) {
        if (!j->running && j->due && j->due <= now)
            dl_start(cs, j);
        else if (!j->running && j->due)
            next = j->due < next ? j->due : next;
    }
    if (cs->persist_failed) {
        if (now >= cs->persist_due)
            persist(cs);
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
            start_token(cs);
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
            bd = cut_bundle(cs);
        if (!bd)
            break;
        start_import(cs, free_slot(cs), bd);
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
    progress(cs);
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
    try_ack(cs);
    progress(cs);
}

/* ------------------------------------------------------------------------ */
/* Sink operations                                                          */
/* ------------------------------------------------------------------------ */

static void ctia_send(struct wt_sink *s, struct wt_batch *b)
{
    struct ctia_sink *cs = s->impl;
    if (s->spooled)
        journal_replay(cs, b->id, false);
    uint64_t idx = held_push(cs, b);
    uint64_t created0 = cs->agg.created;
    size_t off = 0;
    while (off < b->len) {
        const char *nl = memchr(b->data + off, '\n', b->len - off);
        size_t end = nl ? (size_t)(nl - b->data) : b->len;
        if (end > off) {
            int rc = wt__ctia_agg_line(&cs->agg, b->data + off, end - off, idx);
            if (rc == -ENOMEM)
                must(NULL);
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
    cs->last_batch_ms = now_ms(cs);
    if (s->spooled) {
        journal_replay(cs, b->id, true);
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

static void sink_free(struct ctia_sink *cs)
{
    wt__ctia_secrets_wipe(&cs->sec);
    explicit_bzero(cs->token, sizeof(cs->token));
    for (unsigned i = 0; i < WT_CTIA_CONCURRENCY_MAX; i++)
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
        sink_free(cs);
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
    int rc = wt_read_file(path, 64u << 20, &text, &len);
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
    cs->concurrency = (unsigned)o->concurrency;
    if (cs->concurrency < 1 || cs->concurrency > WT_CTIA_CONCURRENCY_MAX)
        cs->concurrency = WT_CTIA_CONCURRENCY_DEFAULT;
    cs->timeout_ms = o->transaction_timeout_ms;
    size_t cap = g ? (s->spooled ? (size_t)(g->spool.max_bytes / 4) : g->queue.max_bytes / 4)
                   : (size_t)16 << 20;
    cs->hold_limit = cap;
    cs->last_batch_ms = (int64_t)uv_now(s->loop);
    wt_http_budget_init(&cs->bg, o->budget_fraction * (double)cs->timeout_ms / 1000.0, TARGET_MIN,
                        TARGET_MAX, TARGET_INITIAL);
    if (getrandom(&cs->rng, sizeof(cs->rng), GRND_NONBLOCK) != (ssize_t)sizeof(cs->rng))
        cs->rng = (uint64_t)wt_wall_ms() ^ ((uint64_t)getpid() << 32);
    wt__ctia_state_init(&cs->st);
    int rc = wt__ctia_secrets_load(o, &cs->sec, err, errlen);
    if (rc != 0) {
        char why[600];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "sink %s: %s", cs->name, why);
        sink_free(cs);
        return rc;
    }
    wt__ctia_secrets_wipe(&cs->sec); /* read again for each token request */
    if (wt__ctia_agg_init(&cs->agg, o->bucket_ms, o->types_mask,
                          o->targets == WT_CTIA_TARGETS_IP) != 0) {
        snprintf(err, errlen, "out of memory");
        sink_free(cs);
        return -ENOMEM;
    }
    if (s->spooled) {
        rc = load_state(cs, sf, err, errlen);
        if (rc != 0) {
            sink_free(cs);
            return rc;
        }
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "sink %s: curl_global_init failed", cs->name);
        sink_free(cs);
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
        sink_free(cs);
        return -ENOMEM;
    }
    metrics_create(cs, m);
    uv_timer_init(s->loop, &cs->wake);
    uv_timer_init(s->loop, &cs->tick);
    uv_timer_init(s->loop, &cs->kick);
    cs->wake.data = cs->tick.data = cs->kick.data = cs;
    uv_timer_start(&cs->tick, tick_cb, TICK_MS, TICK_MS);
    cs->http_ok = wt_http_loop_init(&cs->http, s->loop, cs->concurrency + 1, on_transfer,
                                    after_transfers, cs, cs->name) == 0;
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
    for (unsigned i = 0; i < WT_CTIA_CONCURRENCY_MAX; i++) {
        struct slot *sl = &cs->slots[i];
        if (sl->bd) {
            wt_http_loop_remove(&cs->http, sl->eh);
            wipe_slist(sl->hdrs);
            sl->hdrs = NULL;
            bundle_free(sl->bd);
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
        bundle_free(cs->queue);
        cs->queue = n;
    }
    while (cs->flushes) {
        struct ctia_flush *n = cs->flushes->next;
        flush_free(cs->flushes);
        cs->flushes = n;
    }
    cs->flushes_tail = NULL;
    for (struct dl_job *j = cs->dls, *n; j; j = n) {
        n = j->next;
        if (j->running)
            cs->pending++; /* its after-callback frees it */
        else
            dl_free(j);
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
