/*
 * cmd_replay.c - `wtexport replay -c FILE [--since TIME] [--until TIME] LOGFILE...`:
 * backfill. Reads the given files once, in order, through the same pipeline
 * and sinks as `run`, and exits when every batch is acked.
 *
 * Reading runs on the loop from an idle handle: each turn takes at most
 * WT_REPLAY_READS_PER_TURN decompressed chunks of WT_REPLAY_CHUNK bytes from
 * the current file, splits them into lines and feeds the pipeline; it stops
 * while the pipeline is full and starts again on its on_resume hook. Replay
 * keeps no checkpoints (on_ack does nothing) and writes nothing in state_dir.
 *
 * Line format and max_line of a file: those of the first config input whose
 * glob matches the file's real path, else of the first input; --format
 * overrides the format for every file.
 *
 *   SIGTERM/SIGINT  stop reading, flush, wait for acks up to
 *                   shutdown.drain_timeout, print the summary, exit 1;
 *                   a second signal exits at once.
 *
 * Exit: 0 when every file was read and every batch acked; 1 when a file
 * could not be read to its end (I/O error, corrupt or truncated data), a
 * batch failed, or replay was interrupted; 2 on usage or configuration
 * errors, including a file that cannot be opened (checked before anything
 * is shipped).
 */
#include "input.h"
#include "input_file.h"
#include "cmd_int.h"
#include "log.h"
#include "pipeline.h"
#include "progress.h"
#include "wt_exporter.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Decompressed bytes per read, and reads per loop turn. */
#define WT_REPLAY_CHUNK          (256 * 1024)
#define WT_REPLAY_READS_PER_TURN 8
/* How often the end checks whether everything is acked. */
#define WT_DRAIN_CHECK_MS 20
#define WT_HEARTBEAT_MS   1000

struct rfile {
    const char *path;                /* as given: "src" in events */
    uint64_t size;                   /* at the check, for progress */
    bool regular;                    /* size known */
    struct wt_input *pre;            /* a pipe, kept open from the check */
    const struct wt_input_cfg *icfg; /* format, fields, max_line */
};

struct replay {
    struct wt_cmd_env env; /* config, loop, metrics */
    struct wt_pipeline *p;
    int64_t since_ms, until_ms;

    /* Files, and the one being read (cur == nfiles: all read). */
    struct rfile *files;
    size_t nfiles, cur;
    struct wt_input_cfg icfg[WT_CFG_MAX_INPUTS + 1]; /* copies, --format applied */
    struct wt_input *in;                             /* the file being read, or NULL */
    struct wt_source src;
    struct wt_splitter sp;
    char *buf; /* buf[0, len): decompressed, not yet split */
    size_t cap, len;
    uint64_t off;         /* decompressed offset of buf[0] */
    uint64_t done_before; /* sizes of the files finished */
    size_t files_ok, files_failed;

    uv_idle_t reader;
    uv_timer_t drain, progress_timer, heartbeat;
    uv_signal_t sig_int, sig_term;
    bool handles_init;
    bool all_read, stopping, read_error;
    int exit_code; /* set by finish() */
    uint64_t drain_started;
    uint64_t t0_ns;
    struct wt_progress pr;
};

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

static uint64_t bytes_done(const struct replay *r)
{
    return r->done_before + (r->in ? r->in->consumed : 0);
}

static void print_summary(struct replay *r)
{
    const struct wt_pipeline_counts *n = wt_pipeline_counts(r->p);
    double secs = (double)(uv_hrtime() - r->t0_ns) / 1e9;
    char bytes[64];
    const char *how = r->stopping                              ? "interrupted"
                      : r->read_error || n->failed_batches > 0 ? "finished with errors"
                                                               : "finished";
    wt_progress_fmt_bytes(bytes_done(r), r->pr.total, bytes, sizeof(bytes));
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

static void close_all(struct replay *r)
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
    r->handles_init = false;
    wt_pipeline_free(r->p);
    r->p = NULL;
}

static int exit_code(struct replay *r)
{
    const struct wt_pipeline_counts *n = wt_pipeline_counts(r->p);
    if (r->stopping || r->read_error || n->failed_batches > 0)
        return WT_EXIT_FAIL;
    return WT_EXIT_OK;
}

/* Everything acked (idle) or the drain timed out: report and leave. */
static void finish(struct replay *r, bool idle)
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
    print_summary(r);
    r->exit_code = exit_code(r);
    wt_metrics_stop(r->env.m);
    if (!idle) {
        /* Work on the thread pool (a blocked sink) cannot be cancelled. */
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
    finish(r, idle);
    close_all(r);
}

static void start_drain(struct replay *r)
{
    wt_pipeline_flush(r->p);
    r->drain_started = uv_now(r->env.loop);
    if (!uv_is_active((uv_handle_t *)&r->drain))
        uv_timer_start(&r->drain, drain_cb, 0, WT_DRAIN_CHECK_MS);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

static struct wt_input *input_new(const char *path, char *err, size_t errlen)
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

static void input_free(struct wt_input *in)
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
    input_free(r->in);
    r->in = NULL;
    r->len = 0;
    r->cur++;
}

static void start_file(struct replay *r)
{
    struct rfile *f = &r->files[r->cur];
    char err[WT_INPUT_ERR_MAX + 64];
    /* A pipe cannot be opened twice: it was kept open from the check. */
    r->in = f->pre ? f->pre : input_new(f->path, err, sizeof(err));
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
    start_drain(r);
}

static void reader_cb(uv_idle_t *h)
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

static void on_resume(void *ctx)
{
    struct replay *r = ctx;
    if (!r->stopping && !r->all_read && r->handles_init)
        uv_idle_start(&r->reader, reader_cb);
}

static void on_ack(void *ctx, uint32_t input, uint64_t offset, uint64_t lineno)
{
    /* Replay keeps no checkpoints. */
    (void)ctx;
    (void)input;
    (void)offset;
    (void)lineno;
}

/* ------------------------------------------------------------------------ */
/* Loop callbacks                                                           */
/* ------------------------------------------------------------------------ */

static void signal_cb(uv_signal_t *h, int signum)
{
    struct replay *r = h->data;
    const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";
    if (r->stopping) {
        wt_progress_clear(&r->pr);
        wt_log_warn("replay", "%s again: exiting now without waiting for acks", name);
        print_summary(r);
        wt_metrics_stop(r->env.m);
        fflush(stderr);
        _exit(WT_EXIT_FAIL);
    }
    r->stopping = true;
    wt_progress_clear(&r->pr);
    wt_log_info("replay", "%s: stopping; flushing and waiting up to %lld ms for acks", name,
                (long long)r->env.cfg->drain_timeout_ms);
    uv_idle_stop(&r->reader);
    if (r->in) {
        r->done_before += r->in->consumed; /* for the summary */
        input_free(r->in);
        r->in = NULL;
    }
    start_drain(r);
}

static void progress_cb(uv_timer_t *h)
{
    struct replay *r = h->data;
    wt_progress_update(&r->pr, uv_now(r->env.loop), bytes_done(r), wt_pipeline_counts(r->p)->lines,
                       false);
}

static void heartbeat_cb(uv_timer_t *h)
{
    struct replay *r = h->data;
    wt_metrics_heartbeat(r->env.m);
    wt_metrics_problem(r->env.m, "sinks", wt_pipeline_failing(r->p) ? "a sink is failing" : NULL);
    wt_pipeline_counts(r->p); /* publishes counters */
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                   */
/* ------------------------------------------------------------------------ */

static const char replay_usage[] =
    "usage: wtexport replay -c FILE [--since TIME] [--until TIME] [--format FMT] LOGFILE...\n"
    "\n"
    "Read old access logs once, in the order given, through the same pipeline and\n"
    "sinks as 'run', and exit when every event is acknowledged (backfill). Files may\n"
    "be plain, gzip or zstd (detected from their content). Replay keeps no\n"
    "checkpoints: running it twice ships the events twice.\n"
    "\n"
    "  -c, --config FILE  the configuration file (JSON; its inputs are not tailed)\n"
    "  --since TIME       skip events before TIME (counted as out_of_range)\n"
    "  --until TIME       skip events at or after TIME (counted as out_of_range)\n"
    "  --format FMT       auto, squid or w3c for every file (default: the format of\n"
    "                     the first config input whose glob matches the file, else\n"
    "                     of the first input; max_line and fields come from there too)\n"
    "  -h, --help         this text\n"
    "\n"
    "TIME: 2024-05-01T00:00:00Z, 2024-05-01T12:00:00+02:00 (RFC 3339 / ISO 8601 with\n"
    "a zone), 2024-05-01 (midnight UTC) or epoch seconds (1714521600).\n"
    "Events older than the config's retention are skipped too (counted as expired).\n"
    "\n"
    "On a terminal a progress bar is shown, otherwise a progress line every 5 s;\n"
    "the summary at the end gives every counter. Exit status: 0 all acked, 1 a file\n"
    "could not be read to its end, a batch failed or SIGINT/SIGTERM, 2 usage or\n"
    "configuration error (including a file that cannot be opened).\n";

static int parse_time_opt(const char *opt, const char *s, int64_t *out)
{
    if (wt_parse_time_ms(s, out) == 0)
        return 0;
    fprintf(stderr,
            "wtexport replay: %s: invalid time '%s' (expected e.g. 2024-05-01T00:00:00Z, "
            "2024-05-01T12:00:00+02:00, 2024-05-01 or epoch seconds; a date-time needs a zone)\n",
            opt, s);
    return WT_EPARSE;
}

/* The input settings for path: the first input whose glob matches it, else the first. */
static const struct wt_input_cfg *icfg_for(const struct replay *r, const char *path)
{
    char real[PATH_MAX];
    const char *p = realpath(path, real) ? real : path;
    for (size_t i = 0; i < r->env.cfg->ninputs; i++) {
        const char *glob = wt_input_file_path(&r->env.cfg->inputs[i]);
        if (glob && fnmatch(glob, p, FNM_PATHNAME) == 0)
            return &r->icfg[i];
    }
    return r->env.cfg->ninputs ? &r->icfg[0] : &r->icfg[WT_CFG_MAX_INPUTS];
}

/* Copies of the inputs' settings with --format applied; the last slot holds defaults. */
static void setup_icfg(struct replay *r, bool have_fmt, enum wt_format fmt)
{
    for (size_t i = 0; i < r->env.cfg->ninputs; i++)
        r->icfg[i] = r->env.cfg->inputs[i];
    r->icfg[WT_CFG_MAX_INPUTS] = (struct wt_input_cfg){.max_line = WT_LINE_MAX_DEFAULT};
    if (!have_fmt)
        return;
    for (size_t i = 0; i <= WT_CFG_MAX_INPUTS; i++) {
        r->icfg[i].format = fmt;
        if (fmt == WT_FORMAT_SQUID)
            r->icfg[i].fields = NULL;
    }
}

/* Open every file once: all must be readable before anything is shipped. */
static int check_files(struct replay *r, char **paths, size_t n)
{
    int bad = 0;
    size_t max_line = WT_LINE_MAX_MIN;
    for (size_t i = 0; i < n; i++) {
        char err[WT_INPUT_ERR_MAX + 64];
        struct rfile *f = &r->files[i];
        f->path = paths[i];
        f->icfg = icfg_for(r, paths[i]);
        if (f->icfg->max_line > max_line)
            max_line = f->icfg->max_line;
        struct wt_input *in = input_new(paths[i], err, sizeof(err));
        if (!in) {
            fprintf(stderr, "wtexport replay: %s\n", err);
            bad++;
            continue;
        }
        f->size = in->size;
        f->regular = in->regular;
        /* Files are opened again one at a time (few descriptors); a pipe
         * would lose what the check read: it stays open. */
        if (f->regular)
            input_free(in);
        else
            f->pre = in;
    }
    if (bad)
        return WT_ECONFIG;
    r->cap = max_line + 1 + WT_REPLAY_CHUNK;
    return 0;
}

static void log_window(const struct replay *r)
{
    char since[25] = "-", until[25] = "-", oldest[25];
    int64_t horizon = wt_wall_ms() - r->env.cfg->retention_ms;
    if (r->since_ms)
        wt_iso8601_ms(r->since_ms, since);
    if (r->until_ms)
        wt_iso8601_ms(r->until_ms, until);
    wt_iso8601_ms(horizon, oldest);
    wt_log_info("replay",
                "wtexport %s replaying %zu file(s) to %zu sink(s): since %s, until %s, "
                "retention %lld s (events before %s are skipped as expired)",
                WT_VERSION, r->nfiles, r->env.cfg->nsinks, since, until,
                (long long)(r->env.cfg->retention_ms / 1000), oldest);
    if (r->until_ms && r->until_ms <= horizon)
        wt_log_warn("replay",
                    "--until %s is older than the retention window: every event "
                    "will be skipped as expired",
                    until);
}

int wt_cmd_replay(int argc, char **argv)
{
    enum { OPT_SINCE = 256, OPT_UNTIL, OPT_FORMAT };
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"since", required_argument, NULL, OPT_SINCE},
                                         {"until", required_argument, NULL, OPT_UNTIL},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct replay *r = wt_calloc(1, sizeof(*r));
    const char *cfg_path = NULL;
    enum wt_format fmt = WT_FORMAT_AUTO;
    bool have_fmt = false;
    char err[512] = "";
    int o, ex = WT_EXIT_FAIL;

    if (!r) {
        fprintf(stderr, "wtexport: out of memory\n");
        return WT_EXIT_FAIL;
    }
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            cfg_path = optarg;
            break;
        case OPT_SINCE:
            if (parse_time_opt("--since", optarg, &r->since_ms) != 0)
                goto usage;
            break;
        case OPT_UNTIL:
            if (parse_time_opt("--until", optarg, &r->until_ms) != 0)
                goto usage;
            break;
        case OPT_FORMAT:
            if (wt_format_from_str(optarg, &fmt) != 0) {
                fprintf(stderr, "wtexport replay: --format: '%s' is not auto, squid or w3c\n",
                        optarg);
                goto usage;
            }
            have_fmt = true;
            break;
        case 'h':
            fputs(replay_usage, stdout);
            wt_free(r);
            return WT_EXIT_OK;
        default:
            goto usage_text;
        }
    }
    if (!cfg_path || optind >= argc) {
        fprintf(stderr, "wtexport replay: %s\n",
                !cfg_path ? "-c FILE is required" : "no LOGFILE given");
        goto usage_text;
    }
    if (r->since_ms && r->until_ms && r->since_ms >= r->until_ms) {
        fprintf(stderr, "wtexport replay: --since must be before --until\n");
        goto usage;
    }

    r->nfiles = (size_t)(argc - optind);
    r->files = wt_calloc(r->nfiles, sizeof(*r->files));
    if (!r->files) {
        fprintf(stderr, "wtexport: out of memory\n");
        goto out;
    }
    ex = wt_cmd_env_open(&r->env, "replay", cfg_path, false);
    if (ex != 0)
        goto out;
    ex = WT_EXIT_FAIL;
    setup_icfg(r, have_fmt, fmt);
    if (check_files(r, argv + optind, r->nfiles) != 0) {
        ex = WT_EXIT_USAGE;
        goto out;
    }
    r->buf = wt_malloc(r->cap);
    if (!r->buf) {
        wt_log_error("replay", "out of memory for a %zu-byte read buffer", r->cap);
        goto out;
    }

    struct wt_pipeline_hooks hooks = {.ctx = r, .on_ack = on_ack, .on_resume = on_resume};
    r->p = wt_pipeline_new(r->env.loop, r->env.cfg, r->env.m, &hooks, false, r->since_ms,
                           r->until_ms, err, sizeof(err));
    if (!r->p) {
        wt_log_error("replay", "%s", err);
        goto out;
    }

    uv_idle_init(r->env.loop, &r->reader);
    uv_signal_init(r->env.loop, &r->sig_int);
    uv_signal_init(r->env.loop, &r->sig_term);
    uv_timer_init(r->env.loop, &r->drain);
    uv_timer_init(r->env.loop, &r->progress_timer);
    uv_timer_init(r->env.loop, &r->heartbeat);
    r->reader.data = r->sig_int.data = r->sig_term.data = r;
    r->drain.data = r->progress_timer.data = r->heartbeat.data = r;
    r->handles_init = true;
    uv_signal_start(&r->sig_int, signal_cb, SIGINT);
    uv_signal_start(&r->sig_term, signal_cb, SIGTERM);

    log_window(r);
    uint64_t total = 0;
    bool no_total = false;
    for (size_t i = 0; i < r->nfiles; i++) {
        total += r->files[i].size;
        no_total |= !r->files[i].regular;
    }
    uv_update_time(r->env.loop);
    r->t0_ns = uv_hrtime();
    wt_progress_init(&r->pr, STDERR_FILENO, isatty(STDERR_FILENO) == 1, r->env.cfg->log.json, total,
                     uv_now(r->env.loop));
    r->pr.no_total = no_total;
    uint64_t every = wt_progress_interval_ms(&r->pr);
    uv_timer_start(&r->progress_timer, progress_cb, every, every);
    uv_timer_start(&r->heartbeat, heartbeat_cb, 0, WT_HEARTBEAT_MS);
    uv_idle_start(&r->reader, reader_cb);

    r->exit_code = WT_EXIT_FAIL;
    uv_run(r->env.loop, UV_RUN_DEFAULT);
    ex = r->exit_code; /* from finish(), before close_all freed the pipeline */
    goto out;

usage_text:
    fputs(replay_usage, stderr);
usage:
    ex = WT_EXIT_USAGE;
out:
    if (r->handles_init)
        close_all(r);
    else if (r->p)
        wt_pipeline_free(r->p);
    input_free(r->in);
    for (size_t i = 0; r->files && i < r->nfiles; i++)
        input_free(r->files[i].pre);
    wt_cmd_env_close(&r->env);
    wt_free(r->files);
    wt_free(r->buf);
    wt_free(r);
    return ex;
}
