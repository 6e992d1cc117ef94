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
#include "log.h"
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

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void job_work(uv_work_t *req)
{
    struct file_sink *f = req->data;
    off_t start = -1;
    int rc = 0;

    if (!f->is_stdout)
        start = lseek(f->fd, 0, SEEK_END);
    for (unsigned i = 0; i < f->job_n && rc == 0; i++) {
        struct wt_batch *b = f->q[(f->q_head + i) % WT_FILE_SINK_QUEUE];
        if (f->s->wants_zstd)
            rc = write_all(f->fd, b->z, b->zlen);
        else
            rc = write_all(f->fd, b->data, b->len);
    }
    if (rc == 0 && f->do_fsync && fsync(f->fd) != 0 && errno != EINVAL)
        rc = -errno;
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
            wt_log_error("sink.file", "%s: write failed: %s (retrying; nothing is acked until "
                         "it is written)", f->path, wt_strerror(rc));
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
    unsigned n = f->job_n;
    f->job_n = 0;
    for (unsigned i = 0; i < n; i++) {
        struct wt_batch *b = f->q[f->q_head];
        f->q_head = (f->q_head + 1) % WT_FILE_SINK_QUEUE;
        f->q_len--;
        wt_sink_done(s, b, WT_SINK_ACKED);
    }
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

static int file_open(struct wt_sink *s, char *err, size_t errlen)
{
    struct file_sink *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    f->s = s;
    s->impl = f;
    s->wants_zstd = s->cfg->compress;
    snprintf(f->path, sizeof(f->path), "%s", s->cfg->path);
    f->is_stdout = strcmp(s->cfg->path, "-") == 0;
    f->do_fsync = s->cfg->fsync && !f->is_stdout;
    if (f->is_stdout) {
        f->fd = STDOUT_FILENO;
    } else {
        f->fd = open(s->cfg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (f->fd < 0) {
            int e = errno;
            snprintf(err, errlen, "sink %s: %s: %s", s->cfg->name, s->cfg->path, strerror(e));
            free(f);
            s->impl = NULL;
            return -e;
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

static void on_retry_closed(uv_handle_t *h)
{
    struct file_sink *f = h->data;
    if (!f->is_stdout && f->fd >= 0)
        close(f->fd);
    free(f);
}

static void file_close(struct wt_sink *s)
{
    struct file_sink *f = s->impl;
    if (!f)
        return;
    s->impl = NULL;
    uv_close((uv_handle_t *)&f->retry, on_retry_closed);
}

const struct wt_sink_ops wt_sink_file_ops = {
    .type = "file",
    .open = file_open,
    .send = file_send,
    .ready = file_ready,
    .idle = file_idle,
    .close = file_close,
};
