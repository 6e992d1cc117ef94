/*
 * spooler.c - batches to the disk spool on the thread pool, and from the
 * spool to every sink through its own reader and durable cursor.
 *
 * Writes: batches wait in put order; one job at a time appends as many as
 * fit (up to WT_SPOOLER_GROUP) and commits them with one fsync. When the
 * spool is full the job stops, the spooler reports full (reading pauses)
 * and the rest waits until an ack or an expiry frees space. A failed write
 * or fsync (a full disk) stops spooling: reading pauses, /healthz reports
 * it, and a retry timer with backoff first discards what the spool holds
 * uncommitted (after a failed fsync the page cache cannot be trusted), then
 * appends the waiting batches again from memory; nothing was acked to the
 * input, so nothing is lost or doubled. One log line when it stops, one
 * when it resumes.
 *
 * Reads: each sink's reader reads records after its position (bounded
 * preads of data just written, so from the page cache), decompresses them
 * when the sink needs NDJSON, and sends them; acks advance the sink's
 * cursor strictly in order, so a restart resumes after the last record
 * every earlier one of which was acked.
 */
#include "spooler.h"
#include "log.h"
#include "state_health.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

enum { R_SENT = 0, R_DONE = 1, R_HELD = 2 };

struct reader {
    struct wt_spool_pos pos;      /* next record to read */
    struct wt_batch *head, *tail; /* in flight, in read order (b->next) */
    unsigned n;
    unsigned nheld;         /* of n: held by the sink without their buffers (wt_sink_hold) */
    struct wt_batch *spare; /* reusable batches (b->next) */
    unsigned nspare;
    bool warned;
    uint64_t done_seq; /* the newest record finished in order (0: none this run) */
    struct wt_metric *m_pending;
};

struct wt_spooler {
    uv_loop_t *loop;
    const struct wt_config *cfg;
    struct wt_metrics *m;
    struct wt_spool *spool;
    struct wt_sink *sinks;
    unsigned nsinks;
    wt_spooled_fn on_spooled;
    void *ctx;
    wt_delivered_fn on_delivered;
    void *dctx;
    uint64_t delivered; /* last seq reported to on_delivered */

    /* Batches put and not yet spooled, in put order (b->qnext). */
    struct wt_batch *wait_head, *wait_tail;
    unsigned nwait;

    /* The append + commit job. */
    uv_work_t job;
    bool job_busy;
    struct wt_batch *job_b[WT_SPOOLER_GROUP];
    unsigned job_n, job_appended;
    int job_rc;
    bool job_full;
    uint64_t job_dropped_events;

    bool full;        /* the last append found no room */
    bool room_maybe;  /* space may have been freed while the job ran */
    bool failed;      /* a write or fsync failed: retrying (retry timer) */
    bool job_discard; /* the next job first drops uncommitted records */
    uint64_t backoff_ms;
    uv_timer_t retry;
    unsigned open_handles; /* timers not closed yet: sp is freed at 0 */
    struct wt_state_health h_spool, h_cursor;

    uv_timer_t timer;
    uint64_t last_expire;
    uv_work_t sync_job;
    bool sync_busy;
    int sync_rc;

    struct reader r[WT_CFG_MAX_SINKS];
    char dir[PATH_MAX];

    struct wt_metric *m_bytes, *m_full, *m_recovered, *m_cut_records, *m_cut_bytes, *m_expired,
        *m_dropped, *m_cursor_errors, *m_lost_records, *m_lost_events;
};

static bool pos_before(const struct wt_spool_pos *a, const struct wt_spool_pos *b)
{
    return a->segment < b->segment || (a->segment == b->segment && a->offset < b->offset);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

static void job_start(struct wt_spooler *sp);
static void retry_cb(uv_timer_t *h);

static void job_work(uv_work_t *req)
{
    struct wt_spooler *sp = req->data;
    unsigned i;
    sp->job_rc = 0;
    sp->job_full = false;
    sp->job_dropped_events = 0;
    sp->job_appended = 0;
    if (sp->job_discard) {
        sp->job_rc = wt_spool_discard_uncommitted(sp->spool);
        if (sp->job_rc != 0)
            return;
    }
    for (i = 0; i < sp->job_n; i++) {
        struct wt_batch *b = sp->job_b[i];
        struct wt_srcpos at[WT_BATCH_MAX_MARKS];
        for (unsigned k = 0; k < b->nmarks; k++)
            at[k] = b->marks[k].at;
        struct wt_spool_meta meta = {.ts_min = b->ts_min,
                                     .ts_max = b->ts_max,
                                     .nevents = b->nevents,
                                     .flags = WT_SPOOL_F_ZSTD,
                                     .srcpos = at,
                                     .nsrcpos = b->nmarks};
        uint64_t seq = 0;
        int rc = wt_spool_append(sp->spool, b->z, b->zlen, &meta, &seq);
        b->spool_seq = seq;
        if (rc == WT_EFULL) {
            sp->job_full = true;
            break;
        }
        if (rc == WT_ETOOLONG) {
            /* Can never fit (spool.max_bytes below one batch): counted, dropped. */
            sp->job_dropped_events += b->nevents;
            continue;
        }
        if (rc != 0) {
            sp->job_rc = rc;
            break;
        }
    }
    sp->job_appended = i;
    if (i > 0 && sp->job_rc == 0)
        sp->job_rc = wt_spool_commit(sp->spool);
    if (i > 0 && sp->job_rc == 0)
        wt_crash_point("spool-committed");
}

static void readers_feed(struct wt_spooler *sp);

static void job_done(uv_work_t *req, int status)
{
    struct wt_spooler *sp = req->data;
    int rc = status ? status : sp->job_rc;
    sp->job_busy = false;
    if (rc != 0) {
        /* Whatever the job appended is uncommitted: the retry drops it and
         * appends the same batches again (they are still waiting). */
        sp->failed = true;
        sp->job_discard = true;
        sp->backoff_ms = sp->backoff_ms ? sp->backoff_ms * 2 : WT_SPOOLER_RETRY_MIN_MS;
        if (sp->backoff_ms > WT_SPOOLER_RETRY_MAX_MS)
            sp->backoff_ms = WT_SPOOLER_RETRY_MAX_MS;
        if (wt_state_health_failed(&sp->h_spool, uv_now(sp->loop))) {
            wt_log_error("spool",
                         "%s: writing failed: %s; input paused, retrying until it works "
                         "(nothing is lost)",
                         sp->dir, wt_strerror(rc));
            wt_metrics_problem(sp->m, "spool", "the spool cannot be written (retrying)");
        }
        wt_metric_set(sp->m_full, 1);
        uv_timer_start(&sp->retry, retry_cb, sp->backoff_ms, 0);
        return;
    }
    if (sp->failed) {
        bool ended;
        const uint64_t ms = wt_state_health_ok(&sp->h_spool, uv_now(sp->loop), &ended);
        sp->failed = false;
        sp->job_discard = false;
        sp->backoff_ms = 0;
        wt_log_info("spool", "%s: writing works again after %.1f s; spooling resumed", sp->dir,
                    (double)ms / 1000);
        wt_metrics_problem(sp->m, "spool", NULL);
    }
    if (sp->job_dropped_events) {
        wt_metric_add(sp->m_dropped, sp->job_dropped_events);
        wt_log_error("spool", "%llu events in batches larger than spool.max_bytes were dropped",
                     (unsigned long long)sp->job_dropped_events);
    }
    if (sp->job_full && !sp->full)
        wt_log_warn("spool", "%s is full (%llu bytes): input paused until the sinks catch up",
                    sp->dir, (unsigned long long)wt_spool_bytes(sp->spool));
    sp->full = sp->job_full;
    wt_metric_set(sp->m_full, sp->full);
    /* Room freed while the job ran was not offered to it (retry_full saw
     * the job busy): let the next job try, or reading would stay paused. */
    const bool again = sp->full && sp->room_maybe;
    sp->room_maybe = false;
    /* The appended batches are durable: hand them back in order. */
    for (unsigned i = 0; i < sp->job_appended; i++) {
        struct wt_batch *b = sp->wait_head;
        sp->wait_head = b->qnext;
        if (!sp->wait_head)
            sp->wait_tail = NULL;
        sp->nwait--;
        b->qnext = NULL;
        sp->on_spooled(sp->ctx, b);
    }
    wt_metric_set(sp->m_bytes, (int64_t)wt_spool_bytes(sp->spool));
    readers_feed(sp);
    if (!sp->full || again)
        job_start(sp);
}

static void job_run(struct wt_spooler *sp)
{
    if (sp->job_busy)
        return;
    unsigned n = 0;
    for (struct wt_batch *b = sp->wait_head; b && n < WT_SPOOLER_GROUP; b = b->qnext)
        sp->job_b[n++] = b;
    sp->job_n = n;
    sp->job_busy = true;
    sp->job.data = sp;
    int rc = uv_queue_work(sp->loop, &sp->job, job_work, job_done);
    if (rc != 0) {
        wt_log_error("spool", "uv_queue_work: %s", uv_strerror(rc));
        abort();
    }
}

static void job_start(struct wt_spooler *sp)
{
    if (sp->job_busy || sp->failed || !sp->wait_head)
        return;
    job_run(sp);
}

/* Backoff expired after a failed write: discard, then try again (also with
 * no batch waiting: the discard alone may be what failed). */
static void retry_cb(uv_timer_t *h)
{
    struct wt_spooler *sp = h->data;
    if (sp->failed)
        job_run(sp);
}

void wt_spooler_put(struct wt_spooler *sp, struct wt_batch *b)
{
    b->qnext = NULL;
    if (sp->wait_tail)
        sp->wait_tail->qnext = b;
    else
        sp->wait_head = b;
    sp->wait_tail = b;
    sp->nwait++;
    if (!sp->full)
        job_start(sp);
}

bool wt_spooler_full(const struct wt_spooler *sp)
{
    return sp->full || sp->failed;
}

bool wt_spooler_failing(const struct wt_spooler *sp)
{
    return sp->failed;
}

/* Space may have been freed (acks, expiry): try the waiting batches again. */
static void retry_full(struct wt_spooler *sp)
{
    /* Still full until the job says otherwise: reading stays paused. */
    if (sp->job_busy)
        sp->room_maybe = true; /* job_done tries again if that job found it full */
    else if (sp->full && !sp->failed)
        job_start(sp);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

static struct wt_batch *reader_batch(struct wt_spooler *sp, struct reader *r)
{
    struct wt_batch *b = r->spare;
    if (b) {
        r->spare = b->next;
        r->nspare--;
        return b;
    }
    b = wt_batch_new(sp->cfg->batch.max_bytes);
    if (!b) {
        wt_log_error("spool", "out of memory");
        abort();
    }
    return b;
}

static void reader_put(struct reader *r, struct wt_batch *b)
{
    b->next = r->spare;
    r->spare = b;
    r->nspare++;
}

/*
 * Out of memory aborts, as reader_batch does: read_record has already moved
 * r->pos past the record, and an error there would skip it for good once a
 * later record is acked. A restart reads it again from the spool cursor.
 */
static void grow(char **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return;
    char *nb = wt_realloc(*buf, need);
    if (!nb) {
        wt_log_error("spool", "out of memory for a %zu-byte spool record", need);
        abort();
    }
    *buf = nb;
    *cap = need;
}

/* Read the record at r->pos into b. 0, WT_EAGAIN (caught up) or an error. */
static int read_record(struct wt_spooler *sp, unsigned i, struct wt_batch *b)
{
    struct reader *r = &sp->r[i];
    struct wt_spool_rec rec;
    struct wt_spool_pos at = r->pos;
    int rc = wt_spool_next(sp->spool, i, &r->pos, &rec, b->z, b->zcap);
    if (rc == WT_EFULL) {
        grow(&b->z, &b->zcap, rec.len);
        r->pos = at;
        rc = wt_spool_next(sp->spool, i, &r->pos, &rec, b->z, b->zcap);
    }
    if (rc != 0)
        return rc;
    wt_batch_reset(b, rec.seq);
    b->zlen = rec.len;
    b->nevents = rec.meta.nevents;
    b->ts_min = rec.meta.ts_min;
    b->ts_max = rec.meta.ts_max;
    b->spool_seg = rec.next.segment;
    b->spool_off = rec.next.offset;
    if (!sp->sinks[i].needs_raw)
        return 0;
    unsigned long long raw = ZSTD_getFrameContentSize(b->z, b->zlen);
    if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN ||
        raw > WT_SPOOL_RECORD_MAX)
        return WT_EPARSE;
    grow(&b->data, &b->cap, (size_t)raw);
    long n = wt_zstd_decompress(b->z, b->zlen, b->data, b->cap);
    if (n < 0 || (unsigned long long)n != raw)
        return WT_EPARSE;
    b->len = (size_t)n;
    return 0;
}

static void reader_feed(struct wt_spooler *sp, unsigned i)
{
    struct reader *r = &sp->r[i];
    struct wt_sink *s = &sp->sinks[i];
    while (r->n - r->nheld < WT_SPOOLER_INFLIGHT && r->nheld < WT_SPOOLER_HELD_MAX &&
           s->ops->ready(s)) {
        struct wt_batch *b = reader_batch(sp, r);
        int rc = read_record(sp, i, b);
        if (rc == WT_EAGAIN) {
            reader_put(r, b);
            break;
        }
        if (rc != 0) {
            /* A record that passed its CRC but does not decode, or a file
             * changed under us: skip it (its position is acked in turn). */
            wt_log_once(&r->warned, WT_LOG_ERROR, "spool",
                        "sink %s: a spool record cannot be read (%s): skipped and counted",
                        s->cfg->name, wt_strerror(rc));
            wt_metric_add(sp->m_dropped, b->nevents);
            if (rc != WT_EPARSE) {
                reader_put(r, b);
                break;
            }
            b->state = R_DONE;
            b->has_aux = false;
            b->spool_seg = r->pos.segment;
            b->spool_off = r->pos.offset;
        } else {
            b->state = R_SENT;
        }
        b->next = NULL;
        if (r->tail)
            r->tail->next = b;
        else
            r->head = b;
        r->tail = b;
        r->n++;
        if (b->state == R_SENT)
            s->ops->send(s, b);
    }
    wt_metric_set(r->m_pending, (int64_t)wt_spool_pending(sp->spool, i));
}

static void readers_feed(struct wt_spooler *sp)
{
    /* Also while writing fails: acks free space, committed data is fine. */
    for (unsigned i = 0; i < sp->nsinks; i++)
        reader_feed(sp, i);
}

void wt_spooler_sink_done(struct wt_spooler *sp, unsigned i, struct wt_batch *b)
{
    struct reader *r = &sp->r[i];
    bool acked = false;
    if (b->state == R_HELD)
        r->nheld--;
    b->state = R_DONE;
    /* The cursor moves only over a run of finished records from the oldest. */
    while (r->head && r->head->state == R_DONE) {
        struct wt_batch *h = r->head;
        struct wt_spool_pos after = {h->spool_seg, h->spool_off};
        r->head = h->next;
        if (!r->head)
            r->tail = NULL;
        r->n--;
        if (h->id > r->done_seq)
            r->done_seq = h->id;
        int rc = h->has_aux ? wt_spool_ack_aux(sp->spool, i, &after, h->sink_aux)
                            : wt_spool_ack(sp->spool, i, &after);
        if (rc == 0)
            acked = true;
        else
            wt_log_error("spool", "sink %s: moving its cursor: %s", sp->sinks[i].cfg->name,
                         wt_strerror(rc));
        reader_put(r, h);
    }
    while (r->nspare > WT_SPOOLER_INFLIGHT / 4) {
        struct wt_batch *x = r->spare;
        r->spare = x->next;
        r->nspare--;
        wt_batch_free(x);
    }
    if (acked)
        retry_full(sp);
    if (sp->on_delivered) {
        uint64_t low = UINT64_MAX;
        for (unsigned k = 0; k < sp->nsinks; k++)
            low = sp->r[k].done_seq < low ? sp->r[k].done_seq : low;
        if (low != UINT64_MAX && low > sp->delivered) {
            sp->delivered = low;
            sp->on_delivered(sp->dctx, low);
        }
    }
    reader_feed(sp, i);
    wt_metric_set(sp->m_bytes, (int64_t)wt_spool_bytes(sp->spool));
}

void wt_spooler_on_delivered(struct wt_spooler *sp, wt_delivered_fn fn, void *ctx)
{
    sp->on_delivered = fn;
    sp->dctx = ctx;
}

void wt_spooler_sink_hold(struct wt_spooler *sp, unsigned i, struct wt_batch *b)
{
    struct reader *r = &sp->r[i];
    if (b->state != R_SENT)
        return;
    b->state = R_HELD;
    r->nheld++;
    /* Only the small struct stays (its place in the cursor's order); a spare
     * batch without buffers grows them again when it is reused. */
    wt_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    wt_free(b->z);
    b->z = NULL;
    b->zcap = 0;
    reader_feed(sp, i);
}

/* ------------------------------------------------------------------------ */
/* Cursors and expiry                                                       */
/* ------------------------------------------------------------------------ */

static void sync_work(uv_work_t *req)
{
    struct wt_spooler *sp = req->data;
    wt_crash_point("cursor-sync");
    sp->sync_rc = wt_spool_sync_cursors(sp->spool);
}

static void sync_done(uv_work_t *req, int status)
{
    struct wt_spooler *sp = req->data;
    int rc = status ? status : sp->sync_rc;
    sp->sync_busy = false;
    /* Failed cursors stay dirty and are written again at the next tick. */
    bool ended;
    if (rc != 0) {
        wt_metric_add(sp->m_cursor_errors, 1);
        if (wt_state_health_failed(&sp->h_cursor, uv_now(sp->loop))) {
            wt_log_error("spool",
                         "%s: persisting sink cursors: %s (retrying every checkpoint_interval)",
                         sp->dir, wt_strerror(rc));
            wt_metrics_problem(sp->m, "cursors", "cannot write spool cursors");
        }
    } else {
        /* Segments behind the persisted cursors were deleted: room, perhaps. */
        retry_full(sp);
        const uint64_t ms = wt_state_health_ok(&sp->h_cursor, uv_now(sp->loop), &ended);
        if (ended) {
            wt_log_info("spool", "%s: sink cursors written again after %.1f s", sp->dir,
                        (double)ms / 1000);
            wt_metrics_problem(sp->m, "cursors", NULL);
        }
    }
}

size_t wt_spooler_srcpos(const struct wt_spooler *sp, struct wt_srcpos *out, size_t cap)
{
    return wt_spool_srcpos(sp->spool, out, cap);
}

uint64_t wt_spooler_next_seq(const struct wt_spooler *sp)
{
    return wt_spool_next_seq(sp->spool);
}

void wt_spooler_checkpointed(struct wt_spooler *sp, uint64_t seq)
{
    wt_spool_keep_from(sp->spool, seq + 1);
    retry_full(sp);
}

static void expire(struct wt_spooler *sp)
{
    struct wt_spool_expired ex;
    memset(&ex, 0, sizeof(ex));
    if (wt_spool_expire(sp->spool, wt_wall_ms() - sp->cfg->retention_ms, &ex) != 0)
        return;
    if (ex.records) {
        wt_metric_add(sp->m_expired, ex.events);
        wt_log_warn("spool",
                    "%llu events in %llu batches were older than the retention window "
                    "and expired from the spool before every sink had them",
                    (unsigned long long)ex.events, (unsigned long long)ex.records);
        /* Readers inside a deleted segment continue from their cursor. */
        for (unsigned i = 0; i < sp->nsinks; i++) {
            struct wt_spool_pos cur;
            if (wt_spool_cursor(sp->spool, i, &cur) == 0 && pos_before(&sp->r[i].pos, &cur))
                sp->r[i].pos = cur;
        }
    }
    retry_full(sp);
}

static void timer_cb(uv_timer_t *h)
{
    struct wt_spooler *sp = h->data;
    uint64_t now = uv_now(sp->loop);
    if (now - sp->last_expire >= WT_SPOOLER_EXPIRE_MS) {
        sp->last_expire = now;
        expire(sp);
    }
    if (!sp->sync_busy) {
        sp->sync_busy = true;
        sp->sync_job.data = sp;
        if (uv_queue_work(sp->loop, &sp->sync_job, sync_work, sync_done) != 0)
            sp->sync_busy = false;
    }
    readers_feed(sp); /* sinks that became ready without acking */
    wt_metric_set(sp->m_bytes, (int64_t)wt_spool_bytes(sp->spool));
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

static struct wt_metric *counter(struct wt_metrics *m, const char *name, const char *help)
{
    return wt_metrics_get(m, WT_METRIC_COUNTER, name, help, NULL, NULL, 0);
}

static const char *const damage_kind[] = {"records", "tail", "header", "segment", "missing"};

/* One damage found by the spool's open: one log line and the counters. */
static void on_damage(void *ctx, const struct wt_spool_damage *d)
{
    struct wt_spooler *sp = ctx;
    char l[32], recs[48], evs[48];
    snprintf(l, sizeof(l), "kind=\"%s\"", damage_kind[d->kind]);
    wt_metric_add(wt_metrics_get(sp->m, WT_METRIC_COUNTER, "wtexport_spool_damage_total",
                                 "Damage found in the spool at start, by kind.", l, NULL, 0),
                  1);
    wt_metric_add(sp->m_lost_records, d->records);
    wt_metric_add(sp->m_lost_events, d->events);
    snprintf(recs, sizeof(recs), "%s%llu", d->records_known ? "" : "at least ",
             (unsigned long long)d->records);
    snprintf(evs, sizeof(evs), "%s%llu", d->events_known ? "" : "at least ",
             (unsigned long long)d->events);
    switch (d->kind) {
    case WT_SPOOL_DAMAGE_RECORDS:
        wt_log_error("spool",
                     "%s: segment %016llx offset %llu: %llu corrupt bytes skipped; %s records "
                     "(%s events) lost, reading resumes at the next whole record",
                     sp->dir, (unsigned long long)d->segment, (unsigned long long)d->offset,
                     (unsigned long long)d->bytes, recs, evs);
        break;
    case WT_SPOOL_DAMAGE_TAIL:
        wt_log_warn("spool",
                    "%s: segment %016llx offset %llu: a torn or corrupt tail was cut (%llu "
                    "bytes); %s records (%s events) in it%s",
                    sp->dir, (unsigned long long)d->segment, (unsigned long long)d->offset,
                    (unsigned long long)d->bytes, recs, evs,
                    d->records_known ? " lost"
                                     : " (records never committed are read again from the input)");
        break;
    case WT_SPOOL_DAMAGE_HEADER:
        wt_log_warn("spool",
                    "%s: segment %016llx: a bad segment header was rewritten from its "
                    "records; nothing lost",
                    sp->dir, (unsigned long long)d->segment);
        break;
    case WT_SPOOL_DAMAGE_SEGMENT:
        wt_log_error("spool",
                     "%s: segment %016llx has no readable record: set aside as .wts.bad; "
                     "%s records lost",
                     sp->dir, (unsigned long long)d->segment,
                     d->records_known ? recs : "an unknown number of");
        break;
    case WT_SPOOL_DAMAGE_MISSING:
        wt_log_error("spool",
                     "%s: %llu segment file(s) from %016llx are missing between present ones "
                     "(deleted outside wtexport, or expired); %s records lost",
                     sp->dir, (unsigned long long)d->bytes, (unsigned long long)d->segment,
                     d->records_known ? recs : "an unknown number of");
        break;
    }
}

struct wt_spooler *wt_spooler_new(uv_loop_t *loop, const struct wt_config *cfg,
                                  struct wt_metrics *m, struct wt_sink *sinks, unsigned n,
                                  wt_spooled_fn on_spooled, void *ctx, char *err, size_t errlen)
{
    struct wt_spooler *sp = wt_calloc(1, sizeof(*sp));
    const char *names[WT_CFG_MAX_SINKS];
    struct wt_spool_recovery rec;

    if (!sp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sp->loop = loop;
    sp->cfg = cfg;
    sp->m = m;
    sp->sinks = sinks;
    sp->nsinks = n;
    sp->on_spooled = on_spooled;
    sp->ctx = ctx;
    if (cfg->spool.dir)
        snprintf(sp->dir, sizeof(sp->dir), "%s", cfg->spool.dir);
    else
        snprintf(sp->dir, sizeof(sp->dir), "%s/spool", cfg->state_dir);
    for (unsigned i = 0; i < n; i++)
        names[i] = sinks[i].cfg->name;
    struct wt_spool_opts o = {.dir = sp->dir,
                              .max_bytes = cfg->spool.max_bytes,
                              .segment_bytes = cfg->spool.segment_bytes,
                              .nsinks = n,
                              .sink_names = names,
                              .gc_durable = true,
                              .on_damage = on_damage,
                              .damage_ctx = sp};
    sp->m_lost_records = counter(m, "wtexport_spool_lost_records_total",
                                 "Spool records lost to damage found at start.");
    sp->m_lost_events = counter(m, "wtexport_spool_lost_events_total",
                                "Events in spool records lost to damage (as far as known).");
    memset(&rec, 0, sizeof(rec));
    char why[256] = "";
    int rc = wt_spool_open(&sp->spool, &o, &rec, why, sizeof(why));
    if (rc != 0) {
        snprintf(err, errlen, "spool %s: %s", sp->dir, why[0] ? why : wt_strerror(rc));
        wt_free(sp);
        return NULL;
    }
    sp->m_bytes = wt_metrics_get(m, WT_METRIC_GAUGE, "wtexport_spool_bytes",
                                 "Bytes of the disk spool.", NULL, NULL, 0);
    sp->m_full =
        wt_metrics_get(m, WT_METRIC_GAUGE, "wtexport_spool_full",
                       "1 while the spool is full or failing (input paused).", NULL, NULL, 0);
    sp->m_recovered = counter(m, "wtexport_spool_recovered_records_total",
                              "Spool records found intact at start.");
    sp->m_cut_records =
        counter(m, "wtexport_spool_cut_records_total", "Torn or corrupt spool tails cut at start.");
    sp->m_cut_bytes =
        counter(m, "wtexport_spool_cut_bytes_total", "Bytes of torn or corrupt spool tails cut.");
    sp->m_expired = counter(m, "wtexport_spool_expired_events_total",
                            "Events that expired from the spool (older than retention) before "
                            "every sink had them.");
    sp->m_dropped = counter(m, "wtexport_spool_dropped_events_total",
                            "Events that could not be spooled or read back, counted and logged.");
    sp->m_cursor_errors = counter(m, "wtexport_spool_cursor_errors_total",
                                  "Sink cursor writes that failed (retried).");
    wt_state_health_init(&sp->h_spool, m, "spool");
    wt_state_health_init(&sp->h_cursor, m, "cursor");
    wt_metric_set(
        wt_metrics_get(m, WT_METRIC_GAUGE, "wtexport_spool_max_bytes",
                       "The spool's size limit (spool.max_bytes).", NULL, NULL, 0),
        (int64_t)(cfg->spool.max_bytes ? cfg->spool.max_bytes : WT_SPOOL_MAX_BYTES_DEFAULT));
    /* Nothing is deleted until a checkpoint covers its input positions. */
    wt_spool_keep_from(sp->spool, 1);
    wt_metric_add(sp->m_recovered, rec.records);
    wt_metric_add(sp->m_cut_records, rec.cut_records);
    wt_metric_add(sp->m_cut_bytes, rec.cut_bytes);
    /* Each damage was logged by on_damage; this sums them up. */
    if (rec.damages)
        wt_log_warn("spool",
                    "%s: %u damage(s) found at start: %llu records (%llu events) lost; "
                    "%llu records intact",
                    sp->dir, rec.damages, (unsigned long long)rec.lost_records,
                    (unsigned long long)rec.lost_events, (unsigned long long)rec.records);
    else if (rec.records)
        wt_log_info("spool", "%s: %llu records waiting from the last run", sp->dir,
                    (unsigned long long)rec.records);
    if (rec.symlinks_removed)
        wt_log_warn("spool",
                    "%s: %u symbolic link(s) named like segment files were deleted unread "
                    "(someone planted them: check who can write the directory)",
                    sp->dir, rec.symlinks_removed);
    if (rec.bad_cursors)
        wt_log_warn("spool",
                    "%s: a damaged sink cursor was reset to the oldest record "
                    "(those records are sent again)",
                    sp->dir);
    bool first_aux = false;
    for (unsigned i = 0; i < n; i++) {
        /* Each sink learns what it stored with its cursor (file: size). */
        uint64_t aux = 0;
        int has = wt_spool_cursor_aux(sp->spool, i, &aux);
        if (sinks[i].ops->resume)
            sinks[i].ops->resume(&sinks[i], has == 1, aux);
        /* A sink with nothing saved yet (a first start, or a crash before its
         * first cursor write) gets its "nothing written" value saved now,
         * before it writes anything: a crash before its first ack then cuts
         * the output back to it instead of keeping what will be sent again. */
        if (has != 1 && sinks[i].has_aux0 && wt_spool_set_aux(sp->spool, i, sinks[i].aux0) == 0)
            first_aux = true;
    }
    if (first_aux) {
        int src = wt_spool_sync_cursors(sp->spool);
        if (src != 0)
            wt_log_error("spool", "%s: cannot save the sinks' first cursors: %s", sp->dir,
                         wt_strerror(src));
    }
    for (unsigned i = 0; i < n; i++) {
        char l[WT_METRIC_LABELS_MAX], esc[128];
        wt_metrics_label_escape(sinks[i].cfg->name, esc, sizeof(esc));
        snprintf(l, sizeof(l), "sink=\"%s\"", esc);
        sp->r[i].m_pending = wt_metrics_get(m, WT_METRIC_GAUGE, "wtexport_spool_pending_bytes",
                                            "Spool bytes a sink has not acked yet.", l, NULL, 0);
        wt_spool_cursor(sp->spool, i, &sp->r[i].pos);
    }
    uv_timer_init(loop, &sp->timer);
    sp->timer.data = sp;
    uv_timer_init(loop, &sp->retry);
    sp->retry.data = sp;
    sp->open_handles = 2;
    uv_timer_start(&sp->timer, timer_cb, (uint64_t)cfg->checkpoint_interval_ms,
                   (uint64_t)cfg->checkpoint_interval_ms);
    sp->last_expire = 0; /* expire at the first tick */
    readers_feed(sp);
    return sp;
}

void wt_spooler_apply(struct wt_spooler *sp, const struct wt_config *cfg)
{
    sp->cfg = cfg;
}

bool wt_spooler_idle(const struct wt_spooler *sp)
{
    if (sp->nwait || sp->job_busy)
        return false;
    for (unsigned i = 0; i < sp->nsinks; i++) {
        if (sp->r[i].n || wt_spool_pending(sp->spool, i))
            return false;
    }
    return true;
}

bool wt_spooler_busy(const struct wt_spooler *sp)
{
    return sp->job_busy || sp->sync_busy;
}

int wt_spooler_sync(struct wt_spooler *sp)
{
    return wt_spool_sync_cursors(sp->spool);
}

static void free_batches(struct wt_batch *b)
{
    while (b) {
        struct wt_batch *n = b->next;
        wt_batch_free(b);
        b = n;
    }
}

static void on_timer_closed(uv_handle_t *h)
{
    struct wt_spooler *sp = h->data;
    if (--sp->open_handles == 0)
        wt_free(sp);
}

void wt_spooler_free(struct wt_spooler *sp)
{
    if (!sp)
        return;
    wt_spool_close(sp->spool);
    for (unsigned i = 0; i < sp->nsinks; i++) {
        /* In-flight batches: the sinks were closed with them. */
        free_batches(sp->r[i].head);
        free_batches(sp->r[i].spare);
    }
    uv_close((uv_handle_t *)&sp->timer, on_timer_closed);
    uv_close((uv_handle_t *)&sp->retry, on_timer_closed);
}
