/*
 * pipeline.c - parse, extract, filter, batch, compress, fan out to sinks,
 * and ack positions back to the sources in order. See pipeline.h.
 */
#include "pipeline.h"
#include "index.h"
#include "log.h"
#include "sink.h"
#include "spooler.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

/* Compression jobs queued on the thread pool at once (one ZSTD_CCtx each).
 * More than the pool's threads, so a thread that finishes one starts the
 * next at once instead of waiting for the loop to hand it over. */
#define WT_COMPRESS_JOBS 6
/* Emptied batches kept for reuse instead of freed. */
#define WT_BATCH_SPARES 4

static_assert(WT_COMPRESS_JOBS >= 1, "at least one compressor");

/* OPEN -> (ZWAIT -> ZRUN) -> READY -> [SPOOLING] -> DONE, popped in order. */
enum batch_state { B_OPEN = 0, B_ZWAIT, B_ZRUN, B_READY, B_SPOOLING, B_DONE };

struct zjob {
    uv_work_t req;
    struct wt_pipeline *p;
    struct wt_batch *b;
    ZSTD_CCtx *cctx;
    int level;
    int rc;
};

struct wt_pipeline {
    uv_loop_t *loop;
    const struct wt_config *cfg;
    struct wt_metrics *m;
    struct wt_pipeline_hooks hooks;
    int64_t since_ms, until_ms;
    char host[256];

    /* Per-line scratch, reused: nothing is allocated per line. */
    struct wt_record rec;
    struct wt_obs_set os;
    char *scratch;
    struct wt_obs_opts oopts;
    struct wt_event_opts eopts;

    /* Batches: the open one, then those in flight in creation order. */
    struct wt_batch *open;
    struct wt_batch *head, *tail;
    struct wt_batch *spare;
    unsigned nspare;
    uint64_t next_id;
    size_t batch_mem;   /* memory one batch holds (data + zstd bound) */
    size_t queue_bytes; /* memory held by open and in-flight batches */
    bool paused;
    uv_timer_t linger;
    bool closing;

    /* Compression. */
    bool zstd;
    int zlevel;
    struct zjob jobs[WT_COMPRESS_JOBS];
    bool job_busy[WT_COMPRESS_JOBS];

    /* The disk spool (run), or NULL: batches go to the sinks from memory (replay). */
    struct wt_spooler *spooler;
    bool spool_blocked; /* a source saw the spool full and waits for on_resume */
    uint64_t acked_seq; /* spool seq of the last batch acked to the sources */

    /* Sinks and, per sink, the next batch to send it (memory mode). */
    unsigned nsinks;
    struct wt_sink sinks[WT_CFG_MAX_SINKS];
    struct wt_batch *cursor[WT_CFG_MAX_SINKS];

    /* Counters, published to metrics as deltas on each batch and timer. */
    struct wt_pipeline_counts n, published;
    struct wt_metric *m_lines, *m_parsed, *m_malformed, *m_too_long, *m_empty, *m_skipped,
        *m_expired, *m_range, *m_oversize, *m_events, *m_batches, *m_obs[WT_OBS_NTYPES], *m_queue,
        *m_paused;
    bool warned_malformed, warned_too_long, warned_oversize;

    /* Wall clock from the loop's cached monotonic time. */
    int64_t wall0_ms;
    uint64_t mono0_ms;

    struct wt_index *index; /* the observable index stage, or NULL */
};

static int64_t wall_now_ms(const struct wt_pipeline *p)
{
    return p->wall0_ms + (int64_t)(uv_now(p->loop) - p->mono0_ms);
}

/* ------------------------------------------------------------------------ */
/* Metrics                                                                  */
/* ------------------------------------------------------------------------ */

static struct wt_metric *counter(struct wt_pipeline *p, const char *name, const char *help,
                                 const char *labels)
{
    return wt_metrics_get(p->m, WT_METRIC_COUNTER, name, help, labels, NULL, 0);
}

static void metrics_create(struct wt_pipeline *p)
{
    p->m_lines = counter(p, "wtexport_lines_read_total", "Lines read from inputs.", NULL);
    p->m_parsed = counter(p, "wtexport_lines_parsed_total", "Lines parsed into events.", NULL);
    p->m_malformed =
        counter(p, "wtexport_lines_malformed_total", "Lines that are not valid log records.", NULL);
    p->m_too_long = counter(p, "wtexport_lines_too_long_total",
                            "Lines longer than max_line, skipped whole.", NULL);
    p->m_empty =
        counter(p, "wtexport_lines_empty_total", "Blank lines (no record, nothing lost).", NULL);
    p->m_skipped = counter(p, "wtexport_lines_skipped_total",
                           "Comment and W3C header lines (no record, nothing lost).", NULL);
    p->m_expired = counter(p, "wtexport_events_expired_total",
                           "Events older than the retention window, not exported.", NULL);
    p->m_range = counter(p, "wtexport_events_out_of_range_total",
                         "Replay events outside [since, until), not exported.", NULL);
    p->m_oversize = counter(p, "wtexport_events_oversize_total",
                            "Events larger than batch.max_bytes, not exported.", NULL);
    p->m_events = counter(p, "wtexport_events_total", "Events put into batches.", NULL);
    p->m_batches = counter(p, "wtexport_batches_total", "Batches closed.", NULL);
    for (int t = 0; t < WT_OBS_NTYPES; t++) {
        char l[64];
        snprintf(l, sizeof(l), "type=\"%s\"", wt_obs_type_name((enum wt_obs_type)t));
        p->m_obs[t] =
            counter(p, "wtexport_observables_total", "Observables extracted, by type.", l);
    }
    p->m_queue = wt_metrics_get(p->m, WT_METRIC_GAUGE, "wtexport_queue_bytes",
                                "Memory held by batches open or in flight.", NULL, NULL, 0);
    p->m_paused = wt_metrics_get(p->m, WT_METRIC_GAUGE, "wtexport_paused",
                                 "1 while reading is paused by backpressure.", NULL, NULL, 0);
}

#define PUB(field, metric)                                                                         \
    do {                                                                                           \
        wt_metric_add(p->metric, p->n.field - p->published.field);                                 \
        p->published.field = p->n.field;                                                           \
    } while (0)

static void metrics_publish(struct wt_pipeline *p)
{
    PUB(lines, m_lines);
    PUB(parsed, m_parsed);
    PUB(malformed, m_malformed);
    PUB(too_long, m_too_long);
    PUB(empty, m_empty);
    PUB(skipped, m_skipped);
    PUB(expired, m_expired);
    PUB(out_of_range, m_range);
    PUB(events, m_events);
    PUB(batches, m_batches);
    for (int t = 0; t < WT_OBS_NTYPES; t++) {
        wt_metric_add(p->m_obs[t], p->n.obs[t] - p->published.obs[t]);
        p->published.obs[t] = p->n.obs[t];
    }
    PUB(oversize, m_oversize);
    wt_metric_set(p->m_queue, (int64_t)p->queue_bytes);
    wt_metric_set(p->m_paused, p->paused || p->spool_blocked);
}

/* ------------------------------------------------------------------------ */
/* Batches in flight                                                        */
/* ------------------------------------------------------------------------ */

static struct wt_batch *batch_get(struct wt_pipeline *p)
{
    struct wt_batch *b = p->spare;
    if (b) {
        p->spare = b->next;
        p->nspare--;
        if (!b->data && !(b->data = wt_malloc(b->cap))) {
            wt_log_error("pipeline", "out of memory for a batch of %zu bytes", b->cap);
            abort();
        }
    } else {
        b = wt_batch_new(p->cfg->batch.max_bytes);
        if (!b) {
            wt_log_error("pipeline", "out of memory for a batch of %zu bytes",
                         p->cfg->batch.max_bytes);
            abort();
        }
    }
    wt_batch_reset(b, p->next_id++);
    return b;
}

static void batch_put(struct wt_pipeline *p, struct wt_batch *b)
{
    /* A batch sized for an older config is not reused. */
    if (p->nspare < WT_BATCH_SPARES && b->cap == p->cfg->batch.max_bytes) {
        b->next = p->spare;
        p->spare = b;
        p->nspare++;
    } else {
        wt_batch_free(b);
    }
}

/* Memory a batch holds: its buffer and the zstd bound (a reload may change sizes). */
static size_t batch_mem_of(const struct wt_batch *b)
{
    return b->cap + ZSTD_compressBound(b->cap);
}

/*
 * Pause when the batches in flight leave no room for the open batch and the
 * one after it; resume when they are down to half the cap. The open batch is
 * left out of both tests: it closes by itself (size, count or linger), and
 * counting it would hold reading until its linger ran out.
 */
static void update_pause(struct wt_pipeline *p)
{
    size_t max = p->cfg->queue.max_bytes;
    size_t flying = p->queue_bytes - (p->open ? batch_mem_of(p->open) : 0);
    if (!p->paused && flying + 2 * p->batch_mem > max) {
        p->paused = true;
        wt_log_debug("pipeline", "queue full (%zu bytes): pausing input", p->queue_bytes);
    } else if (p->paused && flying <= max / 2) {
        p->paused = false;
        wt_log_debug("pipeline", "queue below half: resuming input");
        if (p->hooks.on_resume)
            p->hooks.on_resume(p->hooks.ctx);
    }
    wt_metric_set(p->m_paused, p->paused || p->spool_blocked);
    wt_metric_set(p->m_queue, (int64_t)p->queue_bytes);
}

/* Pop acked batches from the head, in order, and ack their positions. */
static void pop_done(struct wt_pipeline *p)
{
    while (p->head && p->head->state == B_DONE) {
        struct wt_batch *b = p->head;
        p->head = b->next;
        if (!p->head)
            p->tail = NULL;
        if (b->spool_seq)
            p->acked_seq = b->spool_seq;
        if (p->hooks.on_batch && !p->spooler)
            p->hooks.on_batch(p->hooks.ctx, b);
        for (unsigned i = 0; i < b->nmarks; i++) {
            if (p->hooks.on_ack)
                p->hooks.on_ack(p->hooks.ctx, b->marks[i].input, b->marks[i].offset,
                                b->marks[i].lineno);
        }
        p->queue_bytes -= batch_mem_of(b);
        batch_put(p, b);
    }
    update_pause(p);
}

static void dispatch(struct wt_pipeline *p)
{
    if (p->spooler) {
        /* Compressed batches go to the spool in order; sinks read it. */
        for (struct wt_batch *b = p->head; b; b = b->next) {
            if (b->state == B_SPOOLING || b->state == B_DONE)
                continue;
            if (b->state != B_READY)
                break;
            b->state = B_SPOOLING;
            wt_spooler_put(p->spooler, b);
        }
        return;
    }
    for (unsigned i = 0; i < p->nsinks; i++) {
        struct wt_sink *s = &p->sinks[i];
        while (p->cursor[i] && p->cursor[i]->state == B_READY && s->ops->ready(s)) {
            struct wt_batch *b = p->cursor[i];
            p->cursor[i] = b->next;
            s->ops->send(s, b);
        }
    }
}

static void compress_start(struct wt_pipeline *p);

static void zjob_work(uv_work_t *req)
{
    struct zjob *j = req->data;
    j->rc = wt_batch_compress(j->b, j->cctx, j->level);
}

static void zjob_done(uv_work_t *req, int status)
{
    struct zjob *j = req->data;
    struct wt_pipeline *p = j->p;
    p->job_busy[j - p->jobs] = false;
    if (status != 0 || j->rc != 0) {
        /* Out of memory in the pool: the process cannot keep its promises. */
        wt_log_error("pipeline", "compressing batch %llu failed: %s", (unsigned long long)j->b->id,
                     wt_strerror(status ? status : j->rc));
        abort();
    }
    j->b->state = B_READY;
    p->n.bytes_z += j->b->zlen;
    if (p->spooler) {
        /* The spool takes the zstd frame: the NDJSON buffer can go now
         * instead of when the batch is spooled (batches queue for the spool
         * behind compression jobs; this keeps them small meanwhile). */
        wt_free(j->b->data);
        j->b->data = NULL;
    }
    compress_start(p);
    dispatch(p);
}

/* Start compression jobs for waiting batches, oldest first. */
static void compress_start(struct wt_pipeline *p)
{
    for (struct wt_batch *b = p->head; b; b = b->next) {
        if (b->state != B_ZWAIT)
            continue;
        int k = -1;
        for (int i = 0; i < WT_COMPRESS_JOBS; i++) {
            if (!p->job_busy[i]) {
                k = i;
                break;
            }
        }
        if (k < 0)
            return;
        struct zjob *j = &p->jobs[k];
        j->p = p;
        j->b = b;
        j->level = p->zlevel;
        j->req.data = j;
        b->state = B_ZRUN;
        p->job_busy[k] = true;
        int rc = uv_queue_work(p->loop, &j->req, zjob_work, zjob_done);
        if (rc != 0) {
            wt_log_error("pipeline", "uv_queue_work: %s", uv_strerror(rc));
            abort();
        }
    }
}

/* Close the open batch and send it on its way. */
static void close_open(struct wt_pipeline *p)
{
    struct wt_batch *b = p->open;
    if (!b)
        return;
    p->open = NULL;
    uv_timer_stop(&p->linger);
    b->pending = p->nsinks;
    if (p->tail)
        p->tail->next = b;
    else
        p->head = b;
    p->tail = b;
    if (b->nevents == 0 || p->nsinks == 0) {
        /* Only positions (malformed, expired lines), or no sinks (replay
         * --index-only): nothing to send. */
        b->state = B_DONE;
        pop_done(p);
        return;
    }
    p->n.batches++;
    p->n.bytes_raw += b->len;
    for (unsigned i = 0; i < p->nsinks && !p->spooler; i++) {
        if (!p->cursor[i])
            p->cursor[i] = b;
    }
    b->state = p->zstd ? B_ZWAIT : B_READY;
    metrics_publish(p);
    if (p->zstd)
        compress_start(p);
    else
        dispatch(p);
    update_pause(p);
}

static void linger_cb(uv_timer_t *t)
{
    struct wt_pipeline *p = t->data;
    close_open(p);
}

static struct wt_batch *open_batch(struct wt_pipeline *p)
{
    if (!p->open) {
        p->open = batch_get(p);
        p->open->opened_ms = (int64_t)uv_now(p->loop);
        p->queue_bytes += batch_mem_of(p->open);
        uv_timer_start(&p->linger, linger_cb, (uint64_t)p->cfg->batch.linger_ms, 0);
    }
    return p->open;
}

/* ------------------------------------------------------------------------ */
/* Sinks                                                                    */
/* ------------------------------------------------------------------------ */

static void sink_done(void *ctx, struct wt_sink *s, struct wt_batch *b, enum wt_sink_status st)
{
    struct wt_pipeline *p = ctx;
    if (st != WT_SINK_ACKED)
        p->n.failed_batches++;
    if (p->spooler) {
        wt_spooler_sink_done(p->spooler, (unsigned)(s - p->sinks), b);
        return;
    }
    if (--b->pending == 0) {
        b->state = B_DONE;
        p->n.acked_batches++;
        pop_done(p);
    }
    dispatch(p);
}

void wt_sink_done(struct wt_sink *s, struct wt_batch *b, enum wt_sink_status st)
{
    if (st == WT_SINK_ACKED) {
        wt_metric_add(s->m_acks, 1);
        wt_metric_add(s->m_batches, 1);
        wt_metric_add(s->m_events, b->nevents);
        wt_metric_add(s->m_bytes_raw, b->len);
        wt_metric_add(s->m_bytes_out, s->wants_zstd ? b->zlen : b->len);
    } else {
        wt_metric_add(s->m_errors, 1);
    }
    s->done(s->done_ctx, s, b, st);
}

void wt_sink_hold(struct wt_sink *s, struct wt_batch *b)
{
    struct wt_pipeline *p = s->done_ctx;
    /* Without the spool the batch stays in memory (its position in the pipeline's
     * queue is its ack order): nothing to release. */
    if (p && p->spooler)
        wt_spooler_sink_hold(p->spooler, (unsigned)(s - p->sinks), b);
}

static int sinks_open(struct wt_pipeline *p, bool durable, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->cfg->nsinks; i++) {
        const struct wt_sink_cfg *sc = &p->cfg->sinks[i];
        struct wt_sink *s = &p->sinks[i];
        char l[WT_METRIC_LABELS_MAX], esc[128];
        s->ops = sc->type->ops;
        s->cfg = sc;
        s->config = p->cfg;
        s->loop = p->loop;
        s->needs_raw = true;
        s->spooled = durable;
        s->done = sink_done;
        s->done_ctx = p;
        s->metrics = p->m;
        wt_metrics_label_escape(sc->name, esc, sizeof(esc));
        snprintf(l, sizeof(l), "sink=\"%s\",type=\"%s\"", esc, s->ops->type);
        s->m_batches = counter(p, "wtexport_sink_batches_total", "Batches acked by a sink.", l);
        s->m_events = counter(p, "wtexport_sink_events_total", "Events acked by a sink.", l);
        s->m_bytes_raw = counter(p, "wtexport_sink_bytes_raw_total",
                                 "Uncompressed NDJSON bytes acked by a sink.", l);
        s->m_bytes_out =
            counter(p, "wtexport_sink_bytes_out_total",
                    "Bytes written or sent by a sink (compressed if it compresses).", l);
        s->m_acks = counter(p, "wtexport_sink_acks_total", "Acknowledgements from a sink.", l);
        s->m_errors = counter(p, "wtexport_sink_errors_total",
                              "Batches a sink refused for good (dead-lettered).", l);
        int rc = s->ops->open(s, err, errlen);
        if (rc != 0)
            return rc;
        p->nsinks++;
        if (s->wants_zstd) {
            p->zstd = true;
            if (s->zstd_level > p->zlevel)
                p->zlevel = s->zstd_level;
        }
    }
    unsigned with_aux = 0;
    for (unsigned i = 0; i < p->nsinks; i++)
        with_aux += p->sinks[i].has_aux0;
    for (unsigned i = 0; i < p->nsinks; i++)
        p->sinks[i].own_aux = durable || (with_aux == 1 && p->sinks[i].has_aux0);
    return 0;
}

/* A batch is in the spool: its lines may be checkpointed. */
static void on_spooled(void *ctx, struct wt_batch *b)
{
    struct wt_pipeline *p = ctx;
    b->state = B_DONE;
    p->n.acked_batches++;
    pop_done(p);
    if (p->spool_blocked && !wt_spooler_full(p->spooler)) {
        p->spool_blocked = false;
        wt_metric_set(p->m_paused, p->paused);
        if (!p->paused && p->hooks.on_resume)
            p->hooks.on_resume(p->hooks.ctx);
    }
}

/* ------------------------------------------------------------------------ */
/* Lines                                                                    */
/* ------------------------------------------------------------------------ */

void wt_pipeline_source_init(struct wt_pipeline *p, struct wt_source *src, uint32_t id,
                             struct wt_str path, const struct wt_input_cfg *icfg)
{
    (void)p;
    src->id = id;
    src->path = path;
    src->ship_from = src->index_from = 0;
    src->sender = (struct wt_str){NULL, 0};
    wt_parser_init(&src->ps, icfg ? icfg->format : WT_FORMAT_AUTO);
    if (icfg && icfg->fields)
        wt_parser_set_fields(&src->ps, icfg->fields, strlen(icfg->fields));
}

static void mark(struct wt_pipeline *p, struct wt_source *src, uint64_t offset, uint64_t lineno)
{
    struct wt_batch *b = open_batch(p);
    struct wt_srcpos at = src->at;
    at.offset = offset;
    at.lineno = lineno;
    if (wt_batch_mark_at(b, src->id, &at) == WT_EFULL) {
        close_open(p);
        b = open_batch(p);
        wt_batch_mark_at(b, src->id, &at);
    }
}

void wt_pipeline_mark(struct wt_pipeline *p, struct wt_source *src, uint64_t offset,
                      uint64_t lineno)
{
    mark(p, src, offset, lineno);
}

void wt_pipeline_too_long(struct wt_pipeline *p, struct wt_source *src, uint64_t lineno)
{
    p->n.lines++;
    p->n.too_long++;
    wt_log_once(&p->warned_too_long, WT_LOG_WARN, "pipeline",
                "%.*s:%llu: line longer than max_line skipped (further ones are only counted "
                "in wtexport_lines_too_long_total)",
                (int)src->path.len, src->path.p, (unsigned long long)lineno);
}

static bool encode_into(struct wt_pipeline *p, struct wt_batch *b, uint64_t lineno)
{
    struct wt_buf w = wt_batch_space(b);
    if (wt_event_encode(&w, lineno, &p->rec, &p->os, &p->eopts) != 0)
        return false;
    wt_batch_commit_event(b, w.len, p->rec.ts_ms);
    return true;
}

/* Copy one encoded event and its newline into b; false: no room. */
static bool copy_into(struct wt_batch *b, const char *json, size_t len, int64_t ts_ms)
{
    struct wt_buf w = wt_batch_space(b);
    if (len + 1 > w.cap)
        return false;
    memcpy(w.p, json, len);
    w.p[len] = '\n';
    wt_batch_commit_event(b, len + 1, ts_ms);
    return true;
}

/*
 * One event into the open batch (a new one when it is full): the record
 * just parsed (json NULL) or an event already encoded; then src's mark.
 */
static void ship(struct wt_pipeline *p, struct wt_source *src, const char *json, size_t len,
                 int64_t ts_ms, uint64_t lineno, uint64_t end_offset)
{
    struct wt_batch *b = open_batch(p);
    if (b->nevents >= p->cfg->batch.max_events) {
        close_open(p);
        b = open_batch(p);
    }
    bool ok = json ? copy_into(b, json, len, ts_ms) : encode_into(p, b, lineno);
    if (!ok) {
        if (b->nevents > 0) {
            close_open(p);
            b = open_batch(p);
        }
        ok = json ? copy_into(b, json, len, ts_ms) : encode_into(p, b, lineno);
        if (!ok) {
            p->n.oversize++;
            wt_log_once(&p->warned_oversize, WT_LOG_WARN, "pipeline",
                        "%.*s:%llu: event larger than batch.max_bytes dropped (further ones "
                        "are only counted in wtexport_events_oversize_total)",
                        (int)src->path.len, src->path.p, (unsigned long long)lineno);
            mark(p, src, end_offset, lineno);
            return;
        }
    }
    p->n.events++;
    for (unsigned i = 0; !json && i < p->os.n; i++)
        p->n.obs[p->os.item[i].type]++;
    mark(p, src, end_offset, lineno);
    if (b->nevents >= p->cfg->batch.max_events)
        close_open(p);
}

static void index_add(struct wt_pipeline *p, struct wt_source *src, uint64_t lineno,
                      uint64_t end_offset)
{
    struct wt_srcpos at = src->at;
    at.offset = end_offset;
    at.lineno = lineno;
    wt_index_add(p->index, &p->rec, &p->os, src->id, at.dev || at.ino ? &at : NULL);
}

/* A line the spool holds but the index lost in a crash: index it only. */
static void line_index_only(struct wt_pipeline *p, struct wt_source *src, const char *line,
                            size_t len, uint64_t lineno, uint64_t end_offset)
{
    if (wt_parse_line(&src->ps, line, len, &p->rec) != 0)
        return;
    if (p->rec.ts_ms < wall_now_ms(p) - p->cfg->retention_ms)
        return;
    if (!p->index || end_offset <= src->index_from)
        return;
    wt_obs_extract(&p->rec, &p->oopts, &p->os);
    index_add(p, src, lineno, end_offset);
    p->n.reindexed++;
}

void wt_pipeline_line(struct wt_pipeline *p, struct wt_source *src, const char *line, size_t len,
                      uint64_t lineno, uint64_t end_offset)
{
    if (end_offset <= src->ship_from) {
        line_index_only(p, src, line, len, lineno, end_offset);
        return;
    }
    p->n.lines++;
    int rc = wt_parse_line(&src->ps, line, len, &p->rec);
    if (rc != 0) {
        if (rc == WT_ESKIP) {
            /* A blank line (spaces and tabs at most) or a comment / header. */
            size_t i = 0;
            while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
            if (i == len)
                p->n.empty++;
            else
                p->n.skipped++;
        } else {
            p->n.malformed++;
            wt_log_once(&p->warned_malformed, WT_LOG_WARN, "pipeline",
                        "%.*s:%llu: malformed line (further ones are only counted in "
                        "wtexport_lines_malformed_total)",
                        (int)src->path.len, src->path.p, (unsigned long long)lineno);
        }
        mark(p, src, end_offset, lineno);
        return;
    }
    p->n.parsed++;
    int64_t ts = p->rec.ts_ms;
    if (ts < wall_now_ms(p) - p->cfg->retention_ms) {
        p->n.expired++;
        mark(p, src, end_offset, lineno);
        return;
    }
    if ((p->since_ms && ts < p->since_ms) || (p->until_ms && ts >= p->until_ms)) {
        p->n.out_of_range++;
        mark(p, src, end_offset, lineno);
        return;
    }
    wt_obs_extract(&p->rec, &p->oopts, &p->os);
    if (p->index && end_offset > src->index_from)
        index_add(p, src, lineno, end_offset);
    if (p->nsinks == 0) {
        /* Only the index stage (replay --index-only): no event to encode. */
        p->n.events++;
        for (unsigned i = 0; i < p->os.n; i++)
            p->n.obs[p->os.item[i].type]++;
        mark(p, src, end_offset, lineno);
        return;
    }
    p->eopts.src = src->path;
    p->eopts.syslog_host = src->sender;
    ship(p, src, NULL, 0, p->rec.ts_ms, lineno, end_offset);
}

void wt_pipeline_event(struct wt_pipeline *p, struct wt_source *src, const char *json, size_t len,
                       int64_t ts_ms, uint64_t lineno, uint64_t end_offset)
{
    p->n.lines++;
    p->n.parsed++;
    if (ts_ms < wall_now_ms(p) - p->cfg->retention_ms) {
        p->n.expired++;
        mark(p, src, end_offset, lineno);
        return;
    }
    ship(p, src, json, len, ts_ms, lineno, end_offset);
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

static void apply_cfg(struct wt_pipeline *p, const struct wt_config *cfg)
{
    size_t max_line = WT_LINE_MAX_DEFAULT;
    p->cfg = cfg;
    p->oopts.strip_query = cfg->privacy.strip_query;
    p->eopts.export_user = cfg->privacy.export_user;
    if (cfg->host) {
        snprintf(p->host, sizeof(p->host), "%s", cfg->host);
    } else if (gethostname(p->host, sizeof(p->host)) != 0) {
        snprintf(p->host, sizeof(p->host), "unknown");
    }
    p->host[sizeof(p->host) - 1] = '\0';
    p->eopts.host = (struct wt_str){p->host, strlen(p->host)};
    for (size_t i = 0; i < cfg->ninputs; i++) {
        if (cfg->inputs[i].max_line > max_line)
            max_line = cfg->inputs[i].max_line;
    }
    size_t need = max_line + WT_OBS_SCRATCH_EXTRA;
    if (!p->scratch || p->os.scratch_cap < need) {
        wt_free(p->scratch);
        p->scratch = wt_malloc(need);
        if (!p->scratch) {
            wt_log_error("pipeline", "out of memory");
            abort();
        }
        wt_obs_set_init(&p->os, p->scratch, need);
    }
    p->batch_mem = cfg->batch.max_bytes + ZSTD_compressBound(cfg->batch.max_bytes);
}

static void on_delivered(void *ctx, uint64_t seq)
{
    struct wt_pipeline *p = ctx;
    p->hooks.on_delivered(p->hooks.ctx, seq);
}

struct wt_pipeline *wt_pipeline_new(uv_loop_t *loop, const struct wt_config *cfg,
                                    struct wt_metrics *m, const struct wt_pipeline_hooks *hooks,
                                    bool durable, int64_t since_ms, int64_t until_ms, char *err,
                                    size_t errlen)
{
    struct wt_pipeline *p = wt_calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->loop = loop;
    p->m = m;
    p->hooks = *hooks;
    p->since_ms = since_ms;
    p->until_ms = until_ms;
    p->zlevel = 1;
    uv_update_time(loop);
    p->wall0_ms = wt_wall_ms();
    p->mono0_ms = uv_now(loop);
    apply_cfg(p, cfg);
    metrics_create(p);
    uv_timer_init(loop, &p->linger);
    p->linger.data = p;
    for (int i = 0; i < WT_COMPRESS_JOBS; i++) {
        p->jobs[i].cctx = ZSTD_createCCtx();
        if (!p->jobs[i].cctx) {
            snprintf(err, errlen, "out of memory");
            wt_pipeline_free(p);
            return NULL;
        }
    }
    if (sinks_open(p, durable, err, errlen) != 0) {
        wt_pipeline_free(p);
        return NULL;
    }
    if (durable) {
        /* The spool stores zstd frames. */
        p->zstd = true;
        p->spooler = wt_spooler_new(loop, cfg, m, p->sinks, p->nsinks, on_spooled, p, err, errlen);
        if (!p->spooler) {
            wt_pipeline_free(p);
            return NULL;
        }
        if (hooks->on_delivered)
            wt_spooler_on_delivered(p->spooler, on_delivered, p);
        /* The records from the last run are covered by the first checkpoint
         * this run writes (each file resumes from their positions). */
        p->acked_seq = wt_spooler_next_seq(p->spooler) - 1;
    }
    return p;
}

bool wt_pipeline_durable(const struct wt_pipeline *p)
{
    return p->spooler != NULL;
}

size_t wt_pipeline_srcpos(const struct wt_pipeline *p, struct wt_srcpos *out, size_t cap)
{
    return p->spooler ? wt_spooler_srcpos(p->spooler, out, cap) : 0;
}

uint64_t wt_pipeline_ckpt_token(const struct wt_pipeline *p)
{
    return p->acked_seq;
}

void wt_pipeline_checkpointed(struct wt_pipeline *p, uint64_t token)
{
    if (p->spooler)
        wt_spooler_checkpointed(p->spooler, token);
}

void wt_pipeline_set_index(struct wt_pipeline *p, struct wt_index *idx)
{
    p->index = idx;
}

bool wt_pipeline_indexing(const struct wt_pipeline *p)
{
    return p->index != NULL;
}

size_t wt_pipeline_index_positions(const struct wt_pipeline *p, struct wt_srcpos *out, size_t cap)
{
    if (!p->index)
        return 0;
    int n = wt_index_positions(p->index, out, cap);
    if (n < 0) {
        wt_log_warn("pipeline",
                    "reading the index's positions: %s (no crash recovery of the index)",
                    wt_strerror(n));
        return 0;
    }
    return out && (size_t)n > cap ? cap : (size_t)n;
}

void wt_pipeline_apply(struct wt_pipeline *p, const struct wt_config *cfg)
{
    /* Batches in flight keep their size; new ones take the new size. */
    close_open(p);
    apply_cfg(p, cfg);
    /* The caller carried the sinks' settings over unchanged (cmd_run.c):
     * point each sink at its entry in the new document. */
    for (unsigned i = 0; i < p->nsinks; i++) {
        p->sinks[i].cfg = &cfg->sinks[i];
        p->sinks[i].config = cfg;
    }
    if (p->spooler)
        wt_spooler_apply(p->spooler, cfg);
    update_pause(p);
}

bool wt_pipeline_wait_if_full(struct wt_pipeline *p)
{
    if (p->spooler && wt_spooler_full(p->spooler)) {
        /* Remembered, so the source hears on_resume when the spool has room. */
        p->spool_blocked = true;
        wt_metric_set(p->m_paused, 1);
        return true;
    }
    return p->paused;
}

void wt_pipeline_set_next_id(struct wt_pipeline *p, uint64_t id)
{
    assert(!p->open && !p->head);
    p->next_id = id;
}

struct wt_sink *wt_pipeline_sink(struct wt_pipeline *p, unsigned i)
{
    return i < p->nsinks ? &p->sinks[i] : NULL;
}

void wt_pipeline_flush(struct wt_pipeline *p)
{
    close_open(p);
}

bool wt_pipeline_idle(const struct wt_pipeline *p)
{
    return !p->open && !p->head && (!p->spooler || wt_spooler_idle(p->spooler));
}

size_t wt_pipeline_queue_bytes(const struct wt_pipeline *p)
{
    return p->queue_bytes;
}

bool wt_pipeline_failing(const struct wt_pipeline *p)
{
    if (p->spooler && wt_spooler_failing(p->spooler))
        return true;
    for (unsigned i = 0; i < p->nsinks; i++) {
        if (p->sinks[i].failing)
            return true;
    }
    return false;
}

const struct wt_pipeline_counts *wt_pipeline_counts(const struct wt_pipeline *p)
{
    metrics_publish((struct wt_pipeline *)p);
    return &p->n;
}

static void free_list(struct wt_batch *b)
{
    while (b) {
        struct wt_batch *next = b->next;
        wt_batch_free(b);
        b = next;
    }
}

static void on_linger_closed(uv_handle_t *h)
{
    wt_free(h->data);
}

void wt_pipeline_free(struct wt_pipeline *p)
{
    if (!p)
        return;
    /* Compression and spool work on the thread pool holds pointers into the
     * pipeline and its batches, and its after-callback runs on the loop: let
     * it finish first (each job is short). Normally run and replay only free
     * an idle pipeline; a start-up error or a drain timeout may not. */
    while (wt_pipeline_busy(p) && uv_run(p->loop, UV_RUN_ONCE) != 0) {
    }
    for (unsigned i = 0; i < p->nsinks; i++)
        p->sinks[i].ops->close(&p->sinks[i]);
    wt_spooler_free(p->spooler);
    for (int i = 0; i < WT_COMPRESS_JOBS; i++)
        ZSTD_freeCCtx(p->jobs[i].cctx);
    if (p->open)
        wt_batch_free(p->open);
    free_list(p->head);
    free_list(p->spare);
    wt_free(p->scratch);
    /* The linger timer is embedded: free after its close callback. */
    uv_close((uv_handle_t *)&p->linger, on_linger_closed);
}

bool wt_pipeline_busy(const struct wt_pipeline *p)
{
    for (int i = 0; i < WT_COMPRESS_JOBS; i++) {
        if (p->job_busy[i])
            return true;
    }
    for (unsigned i = 0; i < p->nsinks; i++) {
        const struct wt_sink *s = &p->sinks[i];
        if (s->ops->pool_busy && s->ops->pool_busy(s))
            return true;
    }
    return p->spooler && wt_spooler_busy(p->spooler);
}

int wt_pipeline_sync(struct wt_pipeline *p)
{
    return p->spooler ? wt_spooler_sync(p->spooler) : 0;
}
