/*
 * cmd_replay_read.c - replay's reading and its end (cmd_replay.c has the
 * command, its set-up and the job's state format). An idle handle reads
 * the current file in bounded chunks, splits them into lines and feeds the
 * pipeline, pausing while the pipeline is full (on_resume starts it
 * again); acks advance the position the state keeps. At the end: wait
 * until every batch is acked or shutdown.drain_timeout passes, print the
 * summary, write the final state and close the handles.
 */
#include "cmd_replay_int.h"
#include "input.h"
#include "input_file.h"
#include "index.h"
#include "log.h"
#include "pipeline.h"
#include "progress.h"
#include "sink.h"
#include "wt_exporter.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Summary                                                                  */
/* ------------------------------------------------------------------------ */

/* A summary line: plain on stderr, or an info log line when the log is JSON. */
__attribute__((format(printf, 2, 3))) static void say(const struct replay *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r->env.cfg->log.json)
        wt__log(WT_LOG_INFO, "replay", "%s", msg); /* always: it is the result */
    else
        fprintf(stderr, "replay: %s\n", msg);
}

uint64_t wt__replay_bytes_done(const struct replay *r)
{
    return r->done_before + (r->in ? r->in->consumed : 0);
}

void wt__replay_print_summary(struct replay *r)
{
    const struct wt_pipeline_counts *n = wt_pipeline_counts(r->p);
    double secs = (double)(uv_hrtime() - r->t0_ns) / 1e9;
    char bytes[64];
    const char *how = r->stopping                              ? "interrupted"
                      : r->read_error || n->failed_batches > 0 ? "finished with errors"
                                                               : "finished";
    wt_progress_fmt_bytes(wt__replay_bytes_done(r), r->pr.total, bytes, sizeof(bytes));
    say(r, "%s after %.3f s: %zu of %zu file(s) read completely (%s), %zu failed", how, secs,
        r->files_ok, r->nfiles, bytes, r->files_failed);
    say(r,
        "lines=%llu parsed=%llu malformed=%llu too_long=%llu skipped=%llu expired=%llu "
        "out_of_range=%llu",
        (unsigned long long)n->lines, (unsigned long long)n->parsed,
        (unsigned long long)n->malformed, (unsigned long long)n->too_long,
        (unsigned long long)n->skipped, (unsigned long long)n->expired,
        (unsigned long long)n->out_of_range);
    say(r, "events=%llu batches=%llu acked_batches=%llu failed_batches=%llu",
        (unsigned long long)n->events, (unsigned long long)n->batches,
        (unsigned long long)n->acked_batches, (unsigned long long)n->failed_batches);
    say(r, "observables ip=%llu ipv6=%llu domain=%llu url=%llu sha256=%llu",
        (unsigned long long)n->obs[WT_OBS_IP], (unsigned long long)n->obs[WT_OBS_IPV6],
        (unsigned long long)n->obs[WT_OBS_DOMAIN], (unsigned long long)n->obs[WT_OBS_URL],
        (unsigned long long)n->obs[WT_OBS_SHA256]);
    say(r, "bytes_raw=%llu bytes_compressed=%llu elapsed_s=%.3f lines_per_s=%.0f",
        (unsigned long long)n->bytes_raw, (unsigned long long)n->bytes_z, secs,
        secs > 0 ? (double)n->lines / secs : 0.0);
}

/* ------------------------------------------------------------------------ */
/* End                                                                      */
/* ------------------------------------------------------------------------ */

void wt__replay_close_all(struct replay *r)
{
    uv_idle_stop(&r->reader);
    uv_signal_stop(&r->sig_int);
    uv_signal_stop(&r->sig_term);
    uv_close((uv_handle_t *)&r->reader, NULL);
    uv_close((uv_handle_t *)&r->sig_int, NULL);
    uv_close((uv_handle_t *)&r->sig_term, NULL);
    uv_close((uv_handle_t *)&r->drain, NULL);
    uv_close((uv_handle_t *)&r->progress_timer, NULL);
    uv_close((uv_handle_t *)&r->heartbeat, NULL);
    uv_close((uv_handle_t *)&r->state_timer, NULL);
    if (r->idx)
        uv_close((uv_handle_t *)&r->idx_timer, NULL);
    r->handles_init = false;
    wt_pipeline_free(r->p);
    r->p = NULL;
    wt_index_close(r->idx); /* commits what the pipeline added */
    r->idx = NULL;
}

static int exit_code(struct replay *r)
{
    const struct wt_pipeline_counts *n = wt_pipeline_counts(r->p);
    if (r->stopping || r->read_error || n->failed_batches > 0)
        return WT_EXIT_FAIL;
    return WT_EXIT_OK;
}

/* Everything acked (idle) or the drain timed out: report and leave. */
void wt__replay_finish(struct replay *r, bool idle)
{
    uv_timer_stop(&r->drain);
    uv_timer_stop(&r->progress_timer);
    uv_timer_stop(&r->heartbeat);
    wt_progress_clear(&r->pr);
    if (!idle) {
        wt_log_warn("replay",
                    "drain_timeout (%lld ms) reached with %zu bytes of batches unacked: their "
                    "events may be missing from the sinks",
                    (long long)r->env.cfg->drain_timeout_ms, wt_pipeline_queue_bytes(r->p));
    }
    wt__replay_print_summary(r);
    r->exit_code = exit_code(r);
    uv_timer_stop(&r->state_timer);
    if (r->use_state) {
        /* Complete: a re-run ships nothing. Else the position reached. */
        bool complete = idle && r->exit_code == WT_EXIT_OK;
        if (wt__replay_state_write(r, complete) == 0 && complete)
            wt__replay_remove_sink_job_files(r);
        else if (complete)
            r->exit_code = WT_EXIT_FAIL;
    }
    wt_metrics_stop(r->env.m);
    if (!idle) {
        /* Work on the thread pool (a blocked sink) cannot be cancelled. */
        if (r->idx)
            wt_index_sync(r->idx);
        fflush(stderr);
        _exit(WT_EXIT_FAIL);
    }
}

static void drain_cb(uv_timer_t *h)
{
    struct replay *r = h->data;
    bool idle = wt_pipeline_idle(r->p);
    bool timed_out = r->stopping && uv_now(r->env.loop) - r->drain_started >=
                                        (uint64_t)r->env.cfg->drain_timeout_ms;
    if (!idle && !timed_out)
        return;
    wt__replay_finish(r, idle);
    wt__replay_close_all(r);
}

void wt__replay_start_drain(struct replay *r)
{
    wt_pipeline_flush(r->p);
    r->drain_started = uv_now(r->env.loop);
    if (!uv_is_active((uv_handle_t *)&r->drain))
        uv_timer_start(&r->drain, drain_cb, 0, WT_DRAIN_CHECK_MS);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

struct wt_input *wt__replay_input_new(const char *path, char *err, size_t errlen)
{
    struct wt_input *in = wt_malloc(sizeof(*in));
    if (!in) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (wt_input_open(in, path, err, errlen) != 0) {
        wt_free(in);
        return NULL;
    }
    return in;
}

void wt__replay_input_free(struct wt_input *in)
{
    if (in) {
        wt_input_close(in);
        wt_free(in);
    }
}

static void end_file(struct replay *r, bool ok)
{
    if (ok)
        r->files_ok++;
    else
        r->files_failed++;
    r->done_before += r->in->consumed;
    wt__replay_input_free(r->in);
    r->in = NULL;
    r->len = 0;
    r->cur++;
}

/* Resume: read (and drop) the first off decompressed bytes, acked before. */
static int skip_to(struct replay *r, uint64_t off)
{
    while (r->off < off) {
        uint64_t left = off - r->off;
        size_t want = left < r->cap ? (size_t)left : r->cap;
        ssize_t n = wt_input_read(r->in, r->buf, want);
        if (n <= 0) {
            wt_log_error("replay", "%s: ends before offset %" PRIu64 ", where the replay stopped",
                         r->files[r->cur].path, off);
            r->read_error = true;
            end_file(r, false);
            return -1;
        }
        r->off += (uint64_t)n;
    }
    wt_log_info("replay", "%s: resumed at offset %" PRIu64 " (line %" PRIu64 ")",
                r->files[r->cur].path, off, r->resume_line);
    return 0;
}

static void start_file(struct replay *r)
{
    struct rfile *f = &r->files[r->cur];
    char err[WT_INPUT_ERR_MAX + 64];
    /* A pipe cannot be opened twice: it was kept open from the check. */
    r->in = f->pre ? f->pre : wt__replay_input_new(f->path, err, sizeof(err));
    f->pre = NULL;
    if (!r->in) {
        /* It could be opened at the start: deleted or replaced meanwhile. */
        wt_log_error("replay", "%s", err);
        r->read_error = true;
        r->files_failed++;
        r->cur++;
        return;
    }
    r->len = 0;
    r->off = 0;
    wt_splitter_init(&r->sp, f->icfg->max_line);
    if (r->resume_off > 0 && skip_to(r, r->resume_off) != 0)
        return;
    r->sp.lineno = r->resume_line;
    r->resume_off = r->resume_line = 0;
    wt_pipeline_source_init(r->p, &r->src, (uint32_t)r->cur,
                            (struct wt_str){f->path, strlen(f->path)}, f->icfg);
    wt_log_info("replay", "reading %s (%s, %llu bytes, format %s)", f->path,
                wt_input_kind_name(r->in->kind), (unsigned long long)r->in->size,
                wt_format_name(f->icfg->format));
}

static void report_too_long(struct replay *r, uint64_t before)
{
    /* One splitter call can skip several over-long lines. */
    for (uint64_t i = before; i < r->sp.too_long; i++)
        wt_pipeline_too_long(r->p, &r->src, r->sp.lineno);
}

/*
 * Every complete line in buf to the pipeline; what is left is a partial
 * line. @returns false if it stopped because the pipeline is full.
 */
static bool split_buf(struct replay *r)
{
    size_t pos = 0;
    bool more = true;
    while (pos < r->len) {
        if (wt_pipeline_wait_if_full(r->p)) {
            more = false;
            break;
        }
        struct wt_str line;
        size_t used = 0;
        uint64_t too_long = r->sp.too_long;
        int rc = wt_splitter_next(&r->sp, r->buf + pos, r->len - pos, &used, &line);
        pos += used;
        r->off += used;
        report_too_long(r, too_long);
        if (rc != 0) {
            /* Only a skipped line ended here: mark its position. */
            if (used > 0 && !r->sp.skipping)
                wt_pipeline_mark(r->p, &r->src, r->off, r->sp.lineno);
            break;
        }
        wt_pipeline_line(r->p, &r->src, line.p, line.len, r->sp.lineno, r->off);
    }
    if (pos > 0) {
        memmove(r->buf, r->buf + pos, r->len - pos);
        r->len -= pos;
    }
    return more;
}

/* End of the file: what is left without a newline is its last line. */
static void last_line(struct replay *r)
{
    struct wt_str line;
    uint64_t too_long = r->sp.too_long;
    int rc = wt_splitter_finish(&r->sp, r->buf, r->len, &line);
    r->off += r->len;
    if (rc == 0) {
        wt_pipeline_line(r->p, &r->src, line.p, line.len, r->sp.lineno, r->off);
    } else if (r->len > 0) {
        report_too_long(r, too_long);
        wt_pipeline_mark(r->p, &r->src, r->off, r->sp.lineno);
    }
    r->len = 0;
    wt_log_info("replay", "%s: done (%llu lines, %llu bytes decompressed)", r->files[r->cur].path,
                (unsigned long long)r->sp.lineno, (unsigned long long)r->off);
}

static void all_read(struct replay *r)
{
    r->all_read = true;
    uv_idle_stop(&r->reader);
    wt_log_info("replay", "all %zu file(s) read; waiting for the sinks to ack", r->nfiles);
    wt__replay_start_drain(r);
}

void wt__replay_reader_cb(uv_idle_t *h)
{
    struct replay *r = h->data;
    for (int i = 0; i < WT_REPLAY_READS_PER_TURN && !r->stopping; i++) {
        if (!r->in) {
            if (r->cur >= r->nfiles) {
                all_read(r);
                return;
            }
            start_file(r);
            continue;
        }
        if (!split_buf(r))
            break; /* full */
        size_t want = r->cap - r->len;
        if (want > WT_REPLAY_CHUNK)
            want = WT_REPLAY_CHUNK;
        ssize_t n = wt_input_read(r->in, r->buf + r->len, want);
        if (n < 0) {
            /* Lines before the error were shipped; the partial one is dropped. */
            wt_log_error("replay",
                         "%s; the lines before it are replayed, the rest of the file is not",
                         wt_input_error(r->in));
            r->read_error = true;
            end_file(r, false);
        } else if (n == 0) {
            last_line(r);
            end_file(r, true);
        } else {
            r->len += (size_t)n;
            /* A pipe blocks until its writer writes: one read per turn
             * keeps signals and timers going. */
            if (!r->in->regular)
                break;
        }
    }
    if (wt_pipeline_wait_if_full(r->p) || r->stopping)
        uv_idle_stop(&r->reader);
}

void wt__replay_on_resume(void *ctx)
{
    struct replay *r = ctx;
    if (!r->stopping && !r->all_read && r->handles_init)
        uv_idle_start(&r->reader, wt__replay_reader_cb);
}

void wt__replay_on_ack(void *ctx, uint32_t input, uint64_t offset, uint64_t lineno)
{
    struct replay *r = ctx;
    if (!r->use_state)
        return;
    r->st_file = input;
    r->st_off = offset;
    r->st_line = lineno;
    r->st_dirty = true;
}
