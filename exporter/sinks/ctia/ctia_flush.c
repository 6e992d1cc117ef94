/*
 * ctia_flush.c - the CTIA sink's flushes and their journal: cutting the
 * open sightings of closed buckets into a flush, numbering its parts,
 * writing the journal <state_dir>/ctia-<name>.json on the thread pool
 * before anything of it is imported, applying the journal again after a
 * restart, and finishing flushes (done marks, acks). The rule is at the
 * top of sink_ctia.c and in docs/ctia.md; the journal document itself is
 * ctia_state.c.
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

/* No batch for this long: the stream is idle (buckets close by the wall clock alone). */
#define IDLE_MS 1000
/* Journal entries not reached this long after the spool went idle are given up. */
#define JOURNAL_IDLE_MS 10000

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

static void persist_after(uv_work_t *req, int status)
{
    struct ctia_sink *cs = req->data;
    cs->persist_busy = false;
    wt_free(cs->persist_text);
    cs->persist_text = NULL;
    if (cs->closing) {
        if (--cs->pending == 0)
            wt__ctia_sink_free(cs);
        return;
    }
    int rc = status ? status : cs->persist_rc;
    if (rc != 0) {
        if (!cs->persist_failed)
            wt_log_error(TAG,
                         "%s: cannot write %s/%s: %s (retrying every %d s; nothing is imported "
                         "or acked meanwhile)",
                         cs->name, cs->state_dir, cs->state_name, wt_strerror(rc),
                         WT_CTIA_WRITE_RETRY_MS / 1000);
        cs->persist_failed = true;
        cs->persist_due = wt__ctia_now_ms(cs) + WT_CTIA_WRITE_RETRY_MS;
    } else {
        if (cs->persist_failed)
            wt_log_info(TAG, "%s: journal written again", cs->name);
        cs->persist_failed = false;
        cs->durable_ver = cs->persist_ver;
    }
    wt__ctia_progress(cs);
}

/* Start writing the journal if it changed since the last write. */
void wt__ctia_persist(struct ctia_sink *cs)
{
    if (!cs->s->spooled) {
        cs->durable_ver = cs->ver; /* replay: nothing to recover, nothing written */
        return;
    }
    if (cs->persist_busy || cs->durable_ver == cs->ver ||
        (cs->persist_failed && wt__ctia_now_ms(cs) < cs->persist_due))
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
    struct ctia_flush *f = wt__ctia_must(wt_calloc(1, sizeof(*f)));
    f->after = after;
    f->before = before;
    f->parts = parts;
    for (struct wt__ctia_sight *x = parts; x; x = x->next)
        f->nparts++;
    f->todo = wt__ctia_must(wt_calloc(f->nparts ? f->nparts : 1, sizeof(*f->todo)));
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

void wt__ctia_flush_free(struct ctia_flush *f)
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
                wt__ctia_must(NULL);
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                out = wt__ctia_must(wt_realloc(out, cap * sizeof(*out)));
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
        wt__ctia_must(NULL);
    cs->ver++;
    struct ctia_flush *f = flush_new(cs, cs->last_id, before, list);
    f->state = F_PERSIST;
    f->need_ver = cs->ver;
    wt_log_debug(TAG, "%s: flush of %zu sighting(s) in %zu bucket(s) after record %" PRIu64 " (%s)",
                 cs->name, f->nparts, np, cs->last_id, why);
    wt_metric_set(cs->m_open, (int64_t)cs->agg.open);
    wt__ctia_persist(cs);
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
            wt__ctia_unpin(cs, list, false);
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
void wt__ctia_journal_replay(struct ctia_sink *cs, uint64_t id, bool inclusive)
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
    int64_t now = wt__ctia_now_ms(cs);
    if (replaying(cs)) {
        if (now - cs->last_batch_ms < JOURNAL_IDLE_MS)
            return;
        wt_log_warn(TAG, "%s: %zu journal entr%s never reached by the spool: applied now", cs->name,
                    cs->jloaded - cs->jnext, cs->jloaded - cs->jnext == 1 ? "y" : "ies");
        wt__ctia_journal_replay(cs, UINT64_MAX, true);
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
void wt__ctia_progress(struct ctia_sink *cs)
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
    wt__ctia_persist(cs);
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
            wt__ctia_unpin(cs, x, x->result == WT_CTIA_RES_ERROR);
        wt__ctia_flush_free(f);
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
        wt__ctia_try_ack(cs);
    }
    maybe_flush(cs);
    wt__ctia_pump(cs);
}
