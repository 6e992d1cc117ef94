/*
 * tail_read.c - reading the followed files and noticing their changes:
 * bounded chunks from one shared buffer on an idle handle, split into
 * lines for the pipeline; orphans finished and closed; the poll timer
 * (growth, truncation, fingerprints, lag), the rescan timer and inotify
 * watches on the inputs' directories (uv_fs_event).
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
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

static void close_file(struct wt_tail *t, struct tfile *f)
{
    (void)t;
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    f->dirty = false;
}

/*
 * Drop closed files whose lines are all acked. Only called where no loop
 * over the file list is running (the poll timer, the end of a reader turn):
 * acks can arrive synchronously from inside the reader.
 */
static void reap(struct wt_tail *t)
{
    t->need_reap = false;
    struct tfile **pp = &t->files;
    while (*pp) {
        struct tfile *f = *pp;
        if (f->fd < 0 && f->acked >= f->off) {
            *pp = f->next;
            wt_metrics_remove(t->m, f->m_lag);
            t->nfiles--;
            t->ckpt_dirty = true;
            wt_free(f);
            continue;
        }
        pp = &f->next;
    }
    wt_metric_set(t->m_files, (int64_t)t->nfiles);
}

/* An orphan at EOF: after the grace period its partial last line is a line. */
static void finish_orphan(struct wt_tail *t, struct tfile *f)
{
    uint64_t now = uv_now(t->loop);
    if (!f->eof_since) {
        f->eof_since = now;
        return;
    }
    if (now - f->eof_since < (uint64_t)t->cfg->rotate_wait_ms)
        return;
    ssize_t r = pread(f->fd, t->buf, t->bufcap, (off_t)f->off);
    struct wt_str line;
    uint64_t too_long = f->sp.too_long;
    if (r > 0 && wt_splitter_finish(&f->sp, t->buf, (size_t)r, &line) == 0) {
        f->off += (uint64_t)r;
        wt_pipeline_line(t->p, &f->src, line.p, line.len, f->sp.lineno, f->off);
    } else if (r > 0) {
        f->off += (uint64_t)r;
        if (f->sp.too_long != too_long)
            wt_pipeline_too_long(t->p, &f->src, f->sp.lineno);
        wt_pipeline_mark(t->p, &f->src, f->off, f->sp.lineno);
    }
    wt_log_info("tail", "%s: finished (%llu lines)", f->path, (unsigned long long)f->sp.lineno);
    close_file(t, f);
    /* Not freed here: the reader is iterating over the list (see reap). */
    t->need_reap = true;
}

/*
 * Read f from its offset: one bounded pread, every complete line to the
 * pipeline. @returns true if f may have more to read right now.
 */
static int check_truncation(struct wt_tail *t, struct tfile *f, struct stat *st);

static bool read_chunk(struct wt_tail *t, struct tfile *f)
{
    struct stat st;
    if (check_truncation(t, f, &st) != 0)
        return false;
    size_t want = f->max_line + 1 + WT_TAIL_CHUNK;
    if (want > t->bufcap)
        want = t->bufcap;
    ssize_t r = pread(f->fd, t->buf, want, (off_t)f->off);
    if (r < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return true;
        wt_log_once(&f->warned_read, WT_LOG_ERROR, "tail", "%s: read failed: %s", f->path,
                    strerror(errno));
        f->dirty = false;
        return false;
    }
    if (r == 0) {
        f->dirty = false;
        if (f->orphan)
            finish_orphan(t, f);
        return false;
    }
    size_t n = (size_t)r, pos = 0;
    uint64_t before = f->off;
    while (pos < n) {
        if (wt_pipeline_wait_if_full(t->p))
            return false;
        struct wt_str line;
        size_t used = 0;
        uint64_t too_long = f->sp.too_long;
        int rc = wt_splitter_next(&f->sp, t->buf + pos, n - pos, &used, &line);
        pos += used;
        f->off += used;
        /* One call may skip several over-long lines: count each. */
        /* Lines read again only for the index were counted and acked before. */
        bool shipped = f->off > f->src.ship_from;
        for (uint64_t k = too_long; shipped && k < f->sp.too_long; k++)
            wt_pipeline_too_long(t->p, &f->src, f->sp.lineno);
        if (rc != 0) {
            /* Only a skipped line ended here: its position still needs acking. */
            if (used > 0 && !f->sp.skipping && shipped)
                wt_pipeline_mark(t->p, &f->src, f->off, f->sp.lineno);
            break;
        }
        wt_pipeline_line(t->p, &f->src, line.p, line.len, f->sp.lineno, f->off);
    }
    if (f->off > f->size)
        f->size = f->off;
    if (f->off != before)
        f->eof_since = 0; /* progress: an orphan's grace period starts again */
    /* A short read is the end for now; a full one may have more behind it. */
    if (n < want) {
        f->dirty = false;
        /* Only a partial last line (or nothing) is left: an orphan may finish. */
        if (f->orphan && !wt_pipeline_wait_if_full(t->p))
            finish_orphan(t, f);
        return false;
    }
    return true;
}

void wt__tail_reader_cb(uv_idle_t *h)
{
    struct wt_tail *t = h->data;
    bool more = false;
    for (struct tfile *f = t->files; f && !t->stopped; f = f->next) {
        if (f->fd < 0 || !f->dirty)
            continue;
        for (int i = 0; i < WT_TAIL_READS_PER_TURN; i++) {
            if (wt_pipeline_wait_if_full(t->p))
                break;
            if (!read_chunk(t, f))
                break;
        }
        if (f->fd >= 0 && f->dirty)
            more = true;
    }
    if (t->need_reap)
        reap(t);
    /* Closed orphans may be waiting on their grace period: the poll re-checks. */
    if (!more || wt_pipeline_wait_if_full(t->p) || t->stopped)
        uv_idle_stop(&t->reader);
}

/* ------------------------------------------------------------------------ */
/* Polling: growth, truncation, fingerprints, lag                           */
/* ------------------------------------------------------------------------ */

/*
 * Truncated or rewritten in place (copytruncate)? The size below our offset
 * says so, and so do first bytes that no longer match the fingerprint (the
 * writer may already have written past our offset again). Checked before
 * every read, so new content is never read from an old offset. A file
 * still shorter than WT_FP_BYTES gets its fingerprint extended as it grows.
 * @returns 0 with the file's fstat in *st, or -1 if fstat fails.
 */
static int check_truncation(struct wt_tail *t, struct tfile *f, struct stat *st)
{
    if (f->fd < 0 || fstat(f->fd, st) != 0)
        return -1;
    uint64_t size = (uint64_t)st->st_size;
    bool truncated = size < f->off;
    if (!truncated && f->fp_len > 0 && wt_fp_matches(f->fd, f->fp, f->fp_len) == 0)
        truncated = true;
    if (truncated) {
        /* Bytes the old generation had past our offset when we last looked. */
        const uint64_t unread = f->size > f->off ? f->size - f->off : 0;
        wt_crash_point("tail-truncated");
        wt_log_info("tail",
                    "%s was truncated (size %llu, offset %llu) or rewritten: "
                    "reading from the start (generation %u; %llu bytes of the previous "
                    "one were never read)",
                    f->path, (unsigned long long)size, (unsigned long long)f->off,
                    (unsigned)(f->gen + 1), (unsigned long long)unread);
        wt_metric_add(t->m_truncations, 1);
        wt_metric_add(t->m_unread, unread);
        f->gen++;
        f->size = size;
        wt_fp_of_fd(f->fd, &f->fp, &f->fp_len);
        wt__tail_new_generation(t, f, 0, 0, wt__tail_input_for(t->cfg, f->path));
    } else if (f->fp_len < WT_FP_BYTES && size > f->fp_len) {
        wt_fp_of_fd(f->fd, &f->fp, &f->fp_len);
    }
    if (size > f->size)
        f->size = size;
    wt__tail_refresh_at(f);
    return 0;
}

static void check_file(struct wt_tail *t, struct tfile *f)
{
    struct stat st;
    if (check_truncation(t, f, &st) != 0)
        return;
    uint64_t size = (uint64_t)st.st_size;
    if (size > f->off)
        f->dirty = true;
    f->size = size;
    if (st.st_nlink == 0 && !f->orphan) {
        f->orphan = true;
        f->dirty = true;
        wt_metric_add(t->m_rotations, 1);
        wt_log_info("tail", "%s was deleted: finishing it", f->path);
    }
    wt_metric_set(f->m_lag, (int64_t)(size > f->acked ? size - f->acked : 0));
}

void wt__tail_poll_cb(uv_timer_t *h)
{
    struct wt_tail *t = h->data;
    if (t->need_reap)
        reap(t);
    for (struct tfile *f = t->files; f; f = f->next) {
        check_file(t, f);
        if (f->orphan && f->fd >= 0)
            f->dirty = true; /* let the reader run the grace-period check */
        /* A renamed path (rename rotation) shows as a different inode. */
        if (f->fd >= 0 && !f->orphan) {
            struct stat st;
            if (stat(f->path, &st) != 0 || (uint64_t)st.st_ino != f->ino ||
                (uint64_t)st.st_dev != f->dev) {
                wt__tail_schedule_scan(t, 0);
            }
        }
    }
    wt__tail_start_reader(t);
}

void wt__tail_scan_cb(uv_timer_t *h)
{
    struct wt_tail *t = h->data;
    if (t->stopped)
        return;
    wt__tail_scan(t);
    uv_timer_start(&t->scan, wt__tail_scan_cb, (uint64_t)t->cfg->scan_interval_ms, 0);
}

void wt__tail_schedule_scan(struct wt_tail *t, uint64_t delay)
{
    if (t->stopped)
        return;
    uint64_t due = uv_timer_get_due_in(&t->scan);
    if (!uv_is_active((uv_handle_t *)&t->scan) || due > delay)
        uv_timer_start(&t->scan, wt__tail_scan_cb, delay, 0);
}

static void fs_event_cb(uv_fs_event_t *h, const char *name, int events, int status)
{
    struct watch *w = h->data;
    struct wt_tail *t = w->t;
    (void)name;
    if (status != 0 || t->stopped)
        return;
    if (events & UV_RENAME)
        wt__tail_schedule_scan(t, WT_TAIL_RESCAN_DELAY_MS);
    for (struct tfile *f = t->files; f; f = f->next) {
        if (f->fd >= 0)
            f->dirty = true;
    }
    wt__tail_start_reader(t);
}

static bool has_glob_chars(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

void wt__tail_watch_dirs(struct wt_tail *t)
{
    for (size_t i = 0; i < t->cfg->ninputs; i++) {
        char dir[PATH_MAX];
        const char *pattern = wt_input_file_path(&t->cfg->inputs[i]);
        if (!pattern)
            continue; /* not a file input */
        snprintf(dir, sizeof(dir), "%s", pattern);
        char *slash = strrchr(dir, '/');
        if (!slash)
            continue;
        *slash = '\0';
        if (dir[0] == '\0')
            snprintf(dir, sizeof(dir), "/");
        if (has_glob_chars(dir))
            continue; /* wildcard directories rely on polling */
        bool dup = false;
        for (size_t k = 0; k < t->nwatch; k++)
            dup = dup || strcmp(t->watch[k]->dir, dir) == 0;
        if (dup || t->nwatch == WT_TAIL_MAX_WATCHES)
            continue;
        struct watch *w = wt_calloc(1, sizeof(*w));
        if (!w)
            continue;
        w->t = t;
        snprintf(w->dir, sizeof(w->dir), "%s", dir);
        uv_fs_event_init(t->loop, &w->h);
        w->h.data = w;
        int rc = uv_fs_event_start(&w->h, fs_event_cb, dir, 0);
        if (rc != 0) {
            wt_log_warn("tail", "%s: cannot watch (%s); polling every %d ms", dir, uv_strerror(rc),
                        WT_TAIL_POLL_MS);
            uv_close((uv_handle_t *)&w->h, (uv_close_cb)NULL);
            /* Freed with the others when the tailer closes. */
        }
        t->watch[t->nwatch++] = w;
    }
}
