/*
 * tail.c - follow files matching globs and feed their lines to the pipeline.
 *
 * A followed file is identified by (device, inode) plus a fingerprint of its
 * first bytes. Its read offset `off` is always just after the last complete
 * line handed to the pipeline; `acked` is the offset the pipeline has acked,
 * which is what the checkpoint stores. Each file generation (a new file, or
 * the same file after truncation) gets a fresh source id, so acks of an
 * older generation can never move a newer one.
 *
 * Change detection: inotify on the inputs' directories (uv_fs_event) wakes
 * the reader at once, a poll timer (WT_TAIL_POLL_MS) fstat()s every file as
 * a safety net and checks fingerprints (copytruncate), and a rescan timer
 * (scan_interval, or sooner after a create/rename event) re-runs the globs.
 *
 * This file: the life cycle, acks and checkpoints, and the helpers the
 * others share. Opening files, the globs and rotation out of them are in
 * tail_scan.c; reading and change detection in tail_read.c; what they
 * share in tail_int.h.
 */
#include "tail_int.h"
#include "tail.h"
#include "state_health.h"
#include "checkpoint.h"
#include "input_file.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

struct tfile *wt__tail_find_by_inode(struct wt_tail *t, uint64_t dev, uint64_t ino)
{
    for (struct tfile *f = t->files; f; f = f->next) {
        if (f->fd >= 0 && f->dev == dev && f->ino == ino)
            return f;
    }
    return NULL;
}

static struct tfile *find_by_id(struct wt_tail *t, uint32_t id)
{
    for (struct tfile *f = t->files; f; f = f->next) {
        if (f->src.id == id)
            return f;
    }
    return NULL;
}

/* The first input whose glob matches path, or NULL. */
const struct wt_input_cfg *wt__tail_input_for(const struct wt_config *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->ninputs; i++) {
        const char *glob = wt_input_file_path(&cfg->inputs[i]);
        if (glob && fnmatch(glob, path, FNM_PATHNAME) == 0)
            return &cfg->inputs[i];
    }
    return NULL;
}

void wt__tail_start_reader(struct wt_tail *t)
{
    if (!t->stopped && !uv_is_active((uv_handle_t *)&t->reader))
        uv_idle_start(&t->reader, wt__tail_reader_cb);
}

void wt__tail_lag_metric(struct wt_tail *t, struct tfile *f)
{
    char esc[PATH_MAX + 64], l[WT_METRIC_LABELS_MAX];
    wt_metrics_label_escape(f->path, esc, sizeof(esc));
    /* The inode keeps a rotated file apart from its successor at the same path. */
    snprintf(l, sizeof(l), "file=\"%s\",inode=\"%llu\"", esc, (unsigned long long)f->ino);
    wt_metrics_remove(t->m, f->m_lag);
    f->m_lag = wt_metrics_get(t->m, WT_METRIC_GAUGE, "wtexport_file_lag_bytes",
                              "Bytes of a followed file not yet acked by every sink.", l, NULL, 0);
}

/* The identity stored with each spool record of f's lines. */
void wt__tail_refresh_at(struct tfile *f)
{
    f->src.at.dev = f->dev;
    f->src.at.ino = f->ino;
    f->src.at.fp = f->fp;
    f->src.at.fp_len = f->fp_len;
    f->src.at.gen = f->gen;
    f->src.at.size = f->size > f->off ? f->size : f->off;
}

/* A new generation of f starting at offset/lineno (new file or truncated). */
void wt__tail_new_generation(struct wt_tail *t, struct tfile *f, uint64_t off, uint64_t lineno,
                             const struct wt_input_cfg *icfg)
{
    f->off = f->acked = off;
    f->acked_lineno = lineno;
    f->max_line = icfg ? icfg->max_line : WT_LINE_MAX_DEFAULT;
    wt_splitter_init(&f->sp, f->max_line);
    f->sp.lineno = lineno;
    wt_pipeline_source_init(t->p, &f->src, t->next_id++, (struct wt_str){f->path, strlen(f->path)},
                            icfg);
    f->dirty = true;
    f->eof_since = 0;
    t->ckpt_dirty = true;
    wt__tail_refresh_at(f);
}

/* ------------------------------------------------------------------------ */
/* Acks and checkpoints                                                     */
/* ------------------------------------------------------------------------ */

static void on_ack(void *ctx, uint32_t id, uint64_t offset, uint64_t lineno)
{
    struct wt_tail *t = ctx;
    struct tfile *f = find_by_id(t, id);
    if (!f)
        return; /* an older generation */
    if (offset > f->acked) {
        f->acked = offset;
        f->acked_lineno = lineno;
        t->ckpt_dirty = true;
    }
    if (f->fd < 0)
        t->need_reap = true; /* acks may arrive while the reader walks the list */
}

static void on_resume(void *ctx)
{
    wt__tail_start_reader(ctx);
}

struct wt_pipeline_hooks wt_tail_hooks(struct wt_tail *t)
{
    return (struct wt_pipeline_hooks){.ctx = t, .on_ack = on_ack, .on_resume = on_resume};
}

static int ckpt_encode(struct wt_tail *t, char **out, size_t *len)
{
    struct wt_ckpt *e = wt_calloc(t->nfiles + 1, sizeof(*e));
    size_t n = 0;
    if (!e)
        return -ENOMEM;
    for (struct tfile *f = t->files; f; f = f->next) {
        e[n] = (struct wt_ckpt){.dev = f->dev,
                                .ino = f->ino,
                                .fp = f->fp,
                                .fp_len = f->fp_len,
                                .offset = f->acked,
                                .lineno = f->acked_lineno,
                                .gen = f->gen,
                                .size = f->size > f->acked ? f->size : f->acked};
        snprintf(e[n].path, sizeof(e[n].path), "%s", f->path);
        n++;
    }
    int rc = wt_ckpt_encode(e, n, out, len);
    wt_free(e);
    return rc;
}

static void ckpt_work(uv_work_t *req)
{
    struct ckpt_job *j = req->data;
    wt_crash_point("checkpoint-write");
    j->rc = wt_ckpt_write(j->dir, j->data, j->len);
}

static void ckpt_done(uv_work_t *req, int status)
{
    struct ckpt_job *j = req->data;
    struct wt_tail *t = j->t;
    int rc = status ? status : j->rc;
    wt_free(j->data);
    j->data = NULL;
    t->ckpt_busy = false;
    bool ended;
    if (rc != 0) {
        wt_metric_add(t->m_ckpt_errors, 1);
        t->ckpt_dirty = true;
        /* One line per outage; retried every checkpoint_interval. */
        if (wt_state_health_failed(&t->h_ckpt, uv_now(t->loop)))
            wt_log_error("tail",
                         "writing checkpoints in %s: %s (retrying every "
                         "checkpoint_interval)",
                         t->cfg->state_dir, wt_strerror(rc));
        wt_metrics_problem(t->m, "checkpoints", "cannot write checkpoints");
    } else {
        wt_metric_add(t->m_ckpt_writes, 1);
        /* The spool may now drop the records whose positions this covers. */
        wt_pipeline_checkpointed(t->p, j->token);
        const uint64_t ms = wt_state_health_ok(&t->h_ckpt, uv_now(t->loop), &ended);
        if (ended)
            wt_log_info("tail", "checkpoints written again after %.1f s", (double)ms / 1000);
        wt_metrics_problem(t->m, "checkpoints", NULL);
    }
}

static void ckpt_cb(uv_timer_t *h)
{
    struct wt_tail *t = h->data;
    if (!t->ckpt_dirty || t->ckpt_busy)
        return;
    t->job.token = wt_pipeline_ckpt_token(t->p);
    if (ckpt_encode(t, &t->job.data, &t->job.len) != 0)
        return;
    t->ckpt_dirty = false;
    t->ckpt_busy = true;
    t->job.t = t;
    snprintf(t->job.dir, sizeof(t->job.dir), "%s", t->cfg->state_dir);
    t->job.req.data = &t->job;
    if (uv_queue_work(t->loop, &t->job.req, ckpt_work, ckpt_done) != 0) {
        wt_free(t->job.data);
        t->job.data = NULL;
        t->ckpt_busy = false;
        t->ckpt_dirty = true;
    }
}

int wt_tail_checkpoint_sync(struct wt_tail *t)
{
    char *data;
    size_t len;
    if (t->ckpt_busy)
        return -EBUSY;
    const uint64_t token = wt_pipeline_ckpt_token(t->p);
    int rc = ckpt_encode(t, &data, &len);
    if (rc != 0)
        return rc;
    rc = wt_ckpt_write(t->cfg->state_dir, data, len);
    wt_free(data);
    if (rc == 0) {
        t->ckpt_dirty = false;
        wt_pipeline_checkpointed(t->p, token);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

static size_t buf_need(const struct wt_config *cfg)
{
    size_t max_line = WT_LINE_MAX_MIN;
    for (size_t i = 0; i < cfg->ninputs; i++) {
        if (cfg->inputs[i].max_line > max_line)
            max_line = cfg->inputs[i].max_line;
    }
    return max_line + 1 + WT_TAIL_CHUNK;
}

struct wt_tail *wt_tail_new(uv_loop_t *loop, const struct wt_config *cfg, struct wt_metrics *m)
{
    struct wt_tail *t = wt_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->loop = loop;
    t->cfg = cfg;
    t->m = m;
    t->bufcap = buf_need(cfg);
    t->buf = wt_malloc(t->bufcap);
    if (!t->buf) {
        wt_free(t);
        return NULL;
    }
    uv_idle_init(loop, &t->reader);
    uv_timer_init(loop, &t->poll);
    uv_timer_init(loop, &t->scan);
    uv_timer_init(loop, &t->ckpt);
    t->reader.data = t->poll.data = t->scan.data = t->ckpt.data = t;
    t->m_files = wt_metrics_get(m, WT_METRIC_GAUGE, "wtexport_files_followed",
                                "Files being followed.", NULL, NULL, 0);
    t->m_rotations = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_file_rotations_total",
                                    "Files renamed away or deleted while followed.", NULL, NULL, 0);
    t->m_truncations =
        wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_file_truncations_total",
                       "Files truncated or replaced in place (copytruncate).", NULL, NULL, 0);
    t->m_ckpt_writes = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_checkpoint_writes_total",
                                      "Checkpoint files written.", NULL, NULL, 0);
    wt_state_health_init(&t->h_ckpt, m, "checkpoint");
    t->m_adopted = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_files_found_by_identity_total",
                                  "Rotated files found outside the globs (by identity at start, "
                                  "or rotated away before a scan saw them) and finished.",
                                  NULL, NULL, 0);
    t->m_ckpt_errors = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_checkpoint_errors_total",
                                      "Checkpoint writes that failed.", NULL, NULL, 0);
    t->m_unread = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_file_unread_bytes_total",
                                 "Bytes of a file generation that were never read: it was "
                                 "truncated or replaced before wtexport got to them.",
                                 NULL, NULL, 0);
    return t;
}

int wt_tail_start(struct wt_tail *t, struct wt_pipeline *p, char *err, size_t errlen)
{
    char why[256] = "";
    t->p = p;
    int rc = wt_ckpt_read(t->cfg->state_dir, &t->loaded, &t->nloaded, why, sizeof(why));
    if (rc == WT_EPARSE) {
        wt_log_warn("tail", "%s/%s is damaged (%s): ignoring it; files start per read_from",
                    t->cfg->state_dir, WT_CKPT_FILE, why);
    } else if (rc != 0) {
        snprintf(err, errlen, "%s/%s: %s", t->cfg->state_dir, WT_CKPT_FILE, wt_strerror(rc));
        return rc;
    }
    /* Positions in the spool's records: newer than the checkpoint after a crash. */
    size_t nspos = wt_pipeline_srcpos(p, NULL, 0);
    if (nspos > 0) {
        t->spos = wt_calloc(nspos, sizeof(*t->spos));
        if (t->spos)
            t->nspos = wt_pipeline_srcpos(p, t->spos, nspos);
    }
    t->indexing = wt_pipeline_indexing(p);
    size_t nipos = wt_pipeline_index_positions(p, NULL, 0);
    if (nipos > 0) {
        t->ipos = wt_calloc(nipos, sizeof(*t->ipos));
        if (t->ipos)
            t->nipos = wt_pipeline_index_positions(p, t->ipos, nipos);
    }
    t->started = true;
    t->initial_scan = true;
    /* Written at the first tick even if nothing moves: it covers the
     * positions taken from the spool, which may then be deleted. */
    t->ckpt_dirty = true;
    wt__tail_scan(t);
    t->initial_scan = false;
    /* Files renamed out of the globs while down, and files rotated
     * through their names meanwhile. */
    wt__tail_find_moved(t);
    wt_free(t->loaded);
    t->loaded = NULL;
    t->nloaded = 0;
    wt_free(t->spos);
    t->spos = NULL;
    t->nspos = 0;
    wt_free(t->ipos);
    t->ipos = NULL;
    t->nipos = 0;
    wt__tail_watch_dirs(t);
    uv_timer_start(&t->poll, wt__tail_poll_cb, WT_TAIL_POLL_MS, WT_TAIL_POLL_MS);
    uv_timer_start(&t->scan, wt__tail_scan_cb, (uint64_t)t->cfg->scan_interval_ms, 0);
    uv_timer_start(&t->ckpt, ckpt_cb, (uint64_t)t->cfg->checkpoint_interval_ms,
                   (uint64_t)t->cfg->checkpoint_interval_ms);
    wt__tail_start_reader(t);
    return 0;
}

void wt_tail_apply(struct wt_tail *t, const struct wt_config *cfg)
{
    size_t need = buf_need(cfg);
    if (need > t->bufcap) {
        char *nb = wt_realloc(t->buf, need);
        if (nb) {
            t->buf = nb;
            t->bufcap = need;
        }
    }
    t->cfg = cfg;
    for (struct tfile *f = t->files; f; f = f->next) {
        const struct wt_input_cfg *in = wt__tail_input_for(cfg, f->path);
        if (in && in->max_line <= t->bufcap - 1 - WT_TAIL_CHUNK)
            f->max_line = in->max_line;
    }
    if (!t->stopped) {
        wt__tail_scan(t);
        wt__tail_watch_dirs(t);
        uv_timer_start(&t->scan, wt__tail_scan_cb, (uint64_t)cfg->scan_interval_ms, 0);
    }
}

void wt_tail_stop(struct wt_tail *t)
{
    t->stopped = true;
    uv_idle_stop(&t->reader);
    uv_timer_stop(&t->poll);
    uv_timer_stop(&t->scan);
    for (size_t i = 0; i < t->nwatch; i++) {
        if (uv_is_active((uv_handle_t *)&t->watch[i]->h))
            uv_fs_event_stop(&t->watch[i]->h);
    }
}

bool wt_tail_failing(const struct wt_tail *t)
{
    return t->failing;
}

size_t wt_tail_nfiles(const struct wt_tail *t)
{
    return t->nfiles;
}

void wt_tail_others_acked(struct wt_tail *t)
{
    t->ckpt_dirty = true;
}

static void on_closed(uv_handle_t *h)
{
    struct wt_tail *t = h->data;
    if (--t->closing == 0) {
        for (size_t i = 0; i < t->nwatch; i++)
            wt_free(t->watch[i]);
        wt_free(t);
    }
}

static void on_watch_closed(uv_handle_t *h)
{
    struct watch *w = h->data;
    on_closed((uv_handle_t *)&w->t->reader);
}

void wt_tail_free(struct wt_tail *t)
{
    if (!t)
        return;
    wt_tail_stop(t);
    uv_timer_stop(&t->ckpt);
    while (t->files) {
        struct tfile *f = t->files;
        t->files = f->next;
        if (f->fd >= 0)
            close(f->fd);
        wt_free(f);
    }
    wt_free(t->buf);
    wt_free(t->loaded);
    t->closing = 4;
    uv_close((uv_handle_t *)&t->reader, on_closed);
    uv_close((uv_handle_t *)&t->poll, on_closed);
    uv_close((uv_handle_t *)&t->scan, on_closed);
    uv_close((uv_handle_t *)&t->ckpt, on_closed);
    for (size_t i = 0; i < t->nwatch; i++) {
        if (!uv_is_closing((uv_handle_t *)&t->watch[i]->h)) {
            t->closing++;
            uv_close((uv_handle_t *)&t->watch[i]->h, on_watch_closed);
        }
    }
}
