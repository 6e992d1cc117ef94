/*
 * sink_file.c - the file sink: appends batches (NDJSON, or one zstd frame
 * each) to a file, fsync before ack; or writes them to stdout.
 *
 * Writes run on the libuv thread pool, one job at a time, each job taking
 * every batch queued so far (one writev loop, one fsync). A failed write is
 * cut back (ftruncate to the size before the job) and retried with backoff,
 * so the file never holds half a batch and nothing is acked that is not on
 * disk. A blocked stdout blocks the job; batches queue up to the
 * pipeline's byte cap and reading pauses.
 */
#include "wt_common.h"
#include "log.h"
#include "file_int.h"
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* Batches queued in one sink; more makes ready() false. */
#define WT_FILE_SINK_QUEUE 64
/* Retry backoff after a write error. */
#define WT_FILE_SINK_RETRY_MIN_MS 500
#define WT_FILE_SINK_RETRY_MAX_MS 30000

struct file_sink {
    struct wt_sink *s;
    int fd;
    bool is_stdout;
    bool do_fsync;
    /* Ring of batches waiting, then those in the running job. */
    struct wt_batch *q[WT_FILE_SINK_QUEUE];
    unsigned q_head, q_len;
    unsigned job_n; /* batches from q_head taken by the running job */
    bool busy;
    int job_err;
    uv_work_t req;
    uv_timer_t retry;
    uint64_t backoff_ms;
    char path[4096];
};

static void job_work(uv_work_t *req)
{
    struct file_sink *f = req->data;
    off_t start = -1;
    int rc = 0;

    if (!f->is_stdout)
        start = lseek(f->fd, 0, SEEK_END);
    uint64_t end = start >= 0 ? (uint64_t)start : 0;
    for (unsigned i = 0; i < f->job_n && rc == 0; i++) {
        struct wt_batch *b = f->q[(f->q_head + i) % WT_FILE_SINK_QUEUE];
        const void *p = f->s->wants_zstd ? (const void *)b->z : (const void *)b->data;
        size_t n = f->s->wants_zstd ? b->zlen : b->len;
        rc = wt_write_all(f->fd, p, n);
        /* The output's size after this batch: stored with the spool cursor
         * when it is acked, and cut back to at a restart (exactly once).
         * Only where the batch's field is this sink's to write (own_aux). */
        end += n;
        if (f->s->own_aux) {
            b->sink_aux = end;
            b->has_aux = start >= 0;
        }
    }
    if (rc == 0 && f->do_fsync && fsync(f->fd) != 0 && errno != EINVAL)
        rc = -errno;
    if (rc == 0)
        wt_crash_point("file-written");
    if (rc != 0 && start >= 0) {
        /* Never leave half a batch behind: it would be written again. */
        if (ftruncate(f->fd, start) != 0)
            rc = rc ? rc : -errno;
    }
    f->job_err = rc;
}

static void kick(struct file_sink *f);

static void retry_cb(uv_timer_t *t)
{
    kick(t->data);
}

static void job_done(uv_work_t *req, int status)
{
    struct file_sink *f = req->data;
    struct wt_sink *s = f->s;
    int rc = status ? status : f->job_err;
    f->busy = false;
    if (rc != 0) {
        if (!s->failing)
            wt_log_error("sink.file",
                         "%s: write failed: %s (retrying; nothing is acked until "
                         "it is written)",
                         f->path, wt_strerror(rc));
        s->failing = true;
        f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : WT_FILE_SINK_RETRY_MIN_MS;
        if (f->backoff_ms > WT_FILE_SINK_RETRY_MAX_MS)
            f->backoff_ms = WT_FILE_SINK_RETRY_MAX_MS;
        uv_timer_start(&f->retry, retry_cb, f->backoff_ms, 0);
        return;
    }
    if (s->failing)
        wt_log_info("sink.file", "%s: writing again", f->path);
    s->failing = false;
    f->backoff_ms = 0;
    /* Take the written batches off the queue before acking any: an ack may
     * send the next batch at once (re-entering file_send and kick). */
    struct wt_batch *done[WT_FILE_SINK_QUEUE];
    unsigned n = f->job_n;
    f->job_n = 0;
    for (unsigned i = 0; i < n; i++) {
        done[i] = f->q[f->q_head];
        f->q[f->q_head] = NULL;
        f->q_head = (f->q_head + 1) % WT_FILE_SINK_QUEUE;
        f->q_len--;
    }
    for (unsigned i = 0; i < n; i++)
        wt_sink_done(s, done[i], WT_SINK_ACKED);
    kick(f);
}

static void kick(struct file_sink *f)
{
    if (f->busy || f->q_len == 0 || uv_is_active((uv_handle_t *)&f->retry))
        return;
    f->job_n = f->q_len;
    f->busy = true;
    f->req.data = f;
    int rc = uv_queue_work(f->s->loop, &f->req, job_work, job_done);
    if (rc != 0) {
        wt_log_error("sink.file", "uv_queue_work: %s", uv_strerror(rc));
        abort();
    }
}

/* ------------------------------------------------------------------------ */
/* Repair at open: a crash can leave half a batch at the end of the file    */
/* ------------------------------------------------------------------------ */

/* Exactly n bytes at off, or -1. */
static int pread_exact(int fd, void *buf, size_t n, uint64_t off)
{
    return wt_pread_full(fd, buf, n, off) == (ssize_t)n ? 0 : -1;
}

/*
 * End of the last complete zstd frame, walking frame and block headers with
 * small preads (the data itself is not read), so a large file is checked in
 * one pass of its headers (RFC 8878 sections 3.1.1 and 3.1.1.2).
 */
static uint64_t zstd_valid_end(int fd, uint64_t size)
{
    uint64_t off = 0;
    while (off < size) {
        unsigned char h[18];
        uint64_t p = off;
        if (size - p < 6 || pread_exact(fd, h, 5, p) != 0)
            break;
        if (h[0] != 0x28 || h[1] != 0xB5 || h[2] != 0x2F || h[3] != 0xFD)
            break;
        unsigned fhd = h[4];
        static const unsigned did_len[4] = {0, 1, 2, 4};
        unsigned single = (fhd >> 5) & 1, fcs_flag = fhd >> 6;
        unsigned fcs_len = fcs_flag == 0 ? single : (1u << fcs_flag);
        p += 5 + (single ? 0 : 1) + did_len[fhd & 3] + fcs_len;
        bool checksum = (fhd >> 2) & 1;
        bool last = false;
        while (!last) {
            unsigned char b[3];
            if (p + 3 > size || pread_exact(fd, b, 3, p) != 0)
                return off;
            uint32_t bh = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
            unsigned type = (bh >> 1) & 3;
            uint64_t bsize = bh >> 3;
            last = bh & 1;
            if (type == 3)
                return off;
            p += 3 + (type == 1 ? 1 : bsize);
        }
        if (checksum)
            p += 4;
        if (p > size)
            break;
        off = p;
    }
    return off;
}

/* End of the last complete line: a scan back from the end for '\n'. */
static uint64_t ndjson_valid_end(int fd, uint64_t size)
{
    char buf[64 * 1024];
    uint64_t end = size;
    while (end > 0) {
        size_t n = end > sizeof(buf) ? sizeof(buf) : (size_t)end;
        if (pread_exact(fd, buf, n, end - n) != 0)
            return size;
        for (size_t i = n; i-- > 0;) {
            if (buf[i] == '\n')
                return end - n + i + 1;
        }
        end -= n;
    }
    return 0;
}

/* Cut a torn last batch (a crash in the middle of a write) before appending. */
static void repair_tail(struct file_sink *f, bool zstd)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return;
    uint64_t size = (uint64_t)st.st_size;
    uint64_t good = zstd ? zstd_valid_end(f->fd, size) : ndjson_valid_end(f->fd, size);
    if (good == size)
        return;
    if (ftruncate(f->fd, (off_t)good) == 0 && fsync(f->fd) == 0)
        wt_log_warn("sink.file",
                    "%s: cut %llu bytes of a batch torn by a crash (it is written "
                    "again from the spool)",
                    f->path, (unsigned long long)(size - good));
    else
        wt_log_error("sink.file", "%s: cannot cut a torn last batch: %s", f->path, strerror(errno));
}

/*
 * Durable mode: aux is the output's size after the last batch whose spool
 * cursor was persisted. Everything after it is written again from the
 * spool, so cut it now: a crash between a write and its cursor costs no
 * duplicate. Without aux (first run, an older cursor), repair_tail at open
 * has already cut a torn batch, and the batches after the cursor may repeat.
 */
static void file_resume(struct wt_sink *s, bool has, uint64_t aux)
{
    struct file_sink *f = s->impl;
    struct stat st;
    if (!has || f->is_stdout || fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    const uint64_t size = (uint64_t)st.st_size;
    if (size < aux) {
        wt_log_warn("sink.file",
                    "%s is shorter (%llu bytes) than when its spool cursor was saved "
                    "(%llu): it was truncated or replaced; appending to it",
                    f->path, (unsigned long long)size, (unsigned long long)aux);
        return;
    }
    if (size == aux)
        return;
    if (ftruncate(f->fd, (off_t)aux) == 0 && fsync(f->fd) == 0)
        wt_log_info("sink.file",
                    "%s: cut %llu bytes written after the last saved spool cursor "
                    "(those batches are written again from the spool, once)",
                    f->path, (unsigned long long)(size - aux));
    else
        wt_log_error("sink.file", "%s: cannot cut back to %llu bytes: %s", f->path,
                     (unsigned long long)aux, strerror(errno));
}

static int file_open(struct wt_sink *s, char *err, size_t errlen)
{
    struct file_sink *f = wt_calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    f->s = s;
    s->impl = f;
    const struct wt_file_opts *o = s->cfg->opts;
    s->wants_zstd = o->compress;
    s->zstd_level = o->level;
    s->needs_raw = !o->compress;
    snprintf(f->path, sizeof(f->path), "%s", o->path);
    f->is_stdout = strcmp(o->path, "-") == 0;
    f->do_fsync = o->fsync && !f->is_stdout;
    if (f->is_stdout) {
        f->fd = STDOUT_FILENO;
    } else {
        f->fd = open(o->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (f->fd < 0) {
            int e = errno;
            snprintf(err, errlen, "sink %s: %s: %s", s->cfg->name, o->path, strerror(e));
            wt_free(f);
            s->impl = NULL;
            return -e;
        }
    }
    if (!f->is_stdout) {
        struct stat st;
        repair_tail(f, o->compress);
        /* "Nothing written yet" for a replay's state (sink.h aux0). */
        if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode)) {
            s->aux0 = (uint64_t)st.st_size;
            s->has_aux0 = true;
        }
    }
    uv_timer_init(s->loop, &f->retry);
    f->retry.data = f;
    return 0;
}

static void file_send(struct wt_sink *s, struct wt_batch *b)
{
    struct file_sink *f = s->impl;
    f->q[(f->q_head + f->q_len) % WT_FILE_SINK_QUEUE] = b;
    f->q_len++;
    kick(f);
}

static bool file_ready(const struct wt_sink *s)
{
    const struct file_sink *f = s->impl;
    return f->q_len < WT_FILE_SINK_QUEUE;
}

static bool file_idle(const struct wt_sink *s)
{
    const struct file_sink *f = s->impl;
    return f->q_len == 0 && !f->busy;
}

static bool file_pool_busy(const struct wt_sink *s)
{
    const struct file_sink *f = s->impl;
    return f && f->busy;
}

static void on_retry_closed(uv_handle_t *h)
{
    struct file_sink *f = h->data;
    if (!f->is_stdout && f->fd >= 0)
        close(f->fd);
    wt_free(f);
}

static void file_close(struct wt_sink *s)
{
    struct file_sink *f = s->impl;
    if (!f)
        return;
    s->impl = NULL;
    uv_close((uv_handle_t *)&f->retry, on_retry_closed);
}

const struct wt_sink_ops wt__file_ops = {
    .type = "file",
    .open = file_open,
    .send = file_send,
    .ready = file_ready,
    .idle = file_idle,
    .pool_busy = file_pool_busy,
    .close = file_close,
    .resume = file_resume,
};
