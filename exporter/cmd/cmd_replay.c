/*
 * cmd_replay.c - `wtexport replay -c FILE [--since TIME] [--until TIME] LOGFILE...`:
 * backfill. Reads the given files once, in order, through the same pipeline
 * and sinks as `run`, and exits when every batch is acked.
 *
 * Reading runs on the loop from an idle handle: each turn takes at most
 * WT_REPLAY_READS_PER_TURN decompressed chunks of WT_REPLAY_CHUNK bytes from
 * the current file, splits them into lines and feeds the pipeline; it stops
 * while the pipeline is full and starts again on its on_resume hook.
 *
 * State (docs/operations.md "Backfill"): a job is the list of files (path,
 * device, inode, size, CRC of the first 4 KiB), the window and the sinks;
 * its state is <state_dir>/replay-<tag>.json, rewritten atomically (at most
 * every WT_REPLAY_STATE_MS, and at the end) with the position every sink
 * acked: the file being read, the offset and line number after its last
 * acked line, the id of the next batch, and each file sink's output size
 * after the last acked batch. A re-run of the same job resumes there: file
 * sinks are cut back to that size, batches are cut the same way again (no
 * linger: only sizes and file ends close a batch) with the same ids, and
 * the SSE sink cuts them per its job plan, so every re-sent part carries
 * the Idempotency-Key it had (409). A finished job ships nothing again
 * until --restart. --no-state: none of this (at-least-once on a re-run).
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
 *
 * This file: the command, its options and set-up, and the loop's signal,
 * progress and heartbeat callbacks. Reading and the end are in
 * cmd_replay_read.c, the job's state in cmd_replay_state.c, what they share
 * in cmd_replay_int.h.
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
/* Loop callbacks                                                           */
/* ------------------------------------------------------------------------ */

static void signal_cb(uv_signal_t *h, int signum)
{
    struct replay *r = h->data;
    const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";
    if (r->stopping) {
        wt_progress_clear(&r->pr);
        wt_log_warn("replay", "%s again: exiting now without waiting for acks", name);
        wt__replay_print_summary(r);
        wt_metrics_stop(r->env.m);
        fflush(stderr);
        _exit(WT_EXIT_FAIL);
    }
    r->stopping = true;
    wt_progress_clear(&r->pr);
    if (r->use_state) {
        /* Batches not acked yet are sent again, the same way, by a re-run:
         * flushing the open batch would cut it where a re-run does not. */
        wt_log_info("replay", "%s: stopping; run the same command again to continue", name);
        wt__replay_state_write(r, false);
        wt__replay_print_summary(r);
        wt_metrics_stop(r->env.m);
        fflush(stderr);
        _exit(WT_EXIT_FAIL);
    }
    wt_log_info("replay", "%s: stopping; flushing and waiting up to %lld ms for acks", name,
                (long long)r->env.cfg->drain_timeout_ms);
    uv_idle_stop(&r->reader);
    if (r->in) {
        r->done_before += r->in->consumed; /* for the summary */
        wt__replay_input_free(r->in);
        r->in = NULL;
    }
    wt__replay_start_drain(r);
}

static void progress_cb(uv_timer_t *h)
{
    struct replay *r = h->data;
    wt_progress_update(&r->pr, uv_now(r->env.loop), wt__replay_bytes_done(r),
                       wt_pipeline_counts(r->p)->lines, false);
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
    "usage: wtexport replay -c FILE [--since TIME] [--until TIME] [--format FMT]\n"
    "                       [--restart | --no-state]\n"
    "                       [--index | --index-only] LOGFILE...\n"
    "\n"
    "Read old access logs once, in the order given, through the same pipeline and\n"
    "sinks as 'run', and exit when every event is acknowledged (backfill). Files may\n"
    "be plain, gzip or zstd (detected from their content). Progress is kept in\n"
    "state_dir/replay-<job>.json: run the same command again after a crash or a\n"
    "signal and it goes on where every sink had acked, shipping nothing twice; a\n"
    "finished job ships nothing again.\n"
    "\n"
    "  -c, --config FILE  the configuration file (JSON; its inputs are not tailed)\n"
    "  --since TIME       skip events before TIME (counted as out_of_range)\n"
    "  --until TIME       skip events at or after TIME (counted as out_of_range)\n"
    "  --format FMT       auto, squid or w3c for every file (default: the format of\n"
    "                     the first config input whose glob matches the file, else\n"
    "                     of the first input; max_line and fields come from there too)\n"
    "  --restart          forget this job's state and ship the files again\n"
    "  --no-state         keep no state (a re-run ships everything again)\n"
    "  --index            also add the events to the observable index (the config's\n"
    "                     index settings; stop the daemon first, it does not see the\n"
    "                     hours replay creates until it restarts)\n"
    "  --index-only       only add them to the index: no sinks\n"
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

static void idx_timer_cb(uv_timer_t *h)
{
    struct replay *r = h->data;
    wt_index_commit(r->idx);
}

/* --index, --index-only: open the index as `run` does and feed it. */
static int index_open(struct replay *r, bool only, char *err, size_t errlen)
{
    char path[4096];
    const struct wt_config *cfg = r->env.cfg;
    if (cfg->index.path)
        snprintf(path, sizeof(path), "%s", cfg->index.path);
    else
        snprintf(path, sizeof(path), "%s/index", cfg->state_dir);
    struct wt_index_opts io = {.path = path,
                               .max_size = cfg->index.max_size,
                               .top_clients = (unsigned)cfg->index.top_clients,
                               .retention_ms = cfg->retention_ms,
                               .allow_symlink = cfg->allow_symlinked_state};
    r->idx = wt_index_open(&io, err, errlen);
    if (!r->idx)
        return -1;
    wt_pipeline_set_index(r->p, r->idx);
    wt_log_info("replay", "adding the events to the index at %s%s", path,
                only ? " (index only: no sinks)" : "");
    return 0;
}

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
        struct wt_input *in = wt__replay_input_new(paths[i], err, sizeof(err));
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
            wt__replay_input_free(in);
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
    enum {
        OPT_SINCE = 256,
        OPT_UNTIL,
        OPT_FORMAT,
        OPT_RESTART,
        OPT_NO_STATE,
        OPT_INDEX,
        OPT_INDEX_ONLY
    };
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"since", required_argument, NULL, OPT_SINCE},
                                         {"until", required_argument, NULL, OPT_UNTIL},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"restart", no_argument, NULL, OPT_RESTART},
                                         {"no-state", no_argument, NULL, OPT_NO_STATE},
                                         {"index", no_argument, NULL, OPT_INDEX},
                                         {"index-only", no_argument, NULL, OPT_INDEX_ONLY},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct replay *r = wt_calloc(1, sizeof(*r));
    const char *cfg_path = NULL;
    enum wt_format fmt = WT_FORMAT_AUTO;
    bool have_fmt = false, no_state = false;
    int index = 0; /* 1: --index, 2: --index-only */
    char err[512] = "";
    int o, ex = WT_EXIT_FAIL;

    if (!r) {
        fprintf(stderr, "wtexport: out of memory\n");
        return WT_EXIT_FAIL;
    }
    pthread_mutex_init(&r->st_lock, NULL);
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
        case OPT_RESTART:
            r->restart = true;
            break;
        case OPT_NO_STATE:
            no_state = true;
            break;
        case OPT_INDEX:
        case OPT_INDEX_ONLY:
            index = o == OPT_INDEX ? 1 : 2;
            break;
        case 'h':
            fputs(replay_usage, stdout);
            pthread_mutex_destroy(&r->st_lock);
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
    if (r->restart && no_state) {
        fprintf(stderr, "wtexport replay: --restart and --no-state exclude each other\n");
        goto usage;
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
    /* Its state, the sinks' part plans and cursors go under state_dir. */
    if (!wt_cmd_state_dir_ok(r->env.cfg, "replay", false))
        goto out;
    if (index == 2) {
        r->nosinks = *r->env.cfg;
        r->nosinks.nsinks = 0;
    }
    r->pcfg = index == 2 ? &r->nosinks : r->env.cfg;
    setup_icfg(r, have_fmt, fmt);
    if (check_files(r, argv + optind, r->nfiles) != 0) {
        ex = WT_EXIT_USAGE;
        goto out;
    }
    r->use_state = !no_state;
    for (size_t i = 0; i < r->nfiles && r->use_state; i++) {
        if (!r->files[i].regular || wt__replay_file_identity(&r->files[i]) != 0) {
            wt_log_warn("replay",
                        "%s is not a regular file: no replay state is kept (a re-run "
                        "ships everything again)",
                        r->files[i].path);
            r->use_state = false;
        }
    }
    if (r->use_state) {
        wt__replay_make_tag(r);
        /* Batches close on size and file ends only, so a re-run cuts them again the same way. */
        r->env.cfg->batch.linger_ms = WT_REPLAY_NO_LINGER_MS;
    }
    r->buf = wt_malloc(r->cap);
    if (!r->buf) {
        wt_log_error("replay", "out of memory for a %zu-byte read buffer", r->cap);
        goto out;
    }

    struct wt_pipeline_hooks hooks = {.ctx = r,
                                      .on_ack = wt__replay_on_ack,
                                      .on_resume = wt__replay_on_resume,
                                      .on_batch = wt__replay_on_batch};
    r->p = wt_pipeline_new(r->env.loop, r->pcfg, r->env.m, &hooks, false, r->since_ms, r->until_ms,
                           err, sizeof(err));
    if (!r->p) {
        wt_log_error("replay", "%s", err);
        goto out;
    }
    if (index && index_open(r, index == 2, err, sizeof(err)) != 0) {
        wt_log_error("replay", "index: %s", err);
        goto out;
    }

    uv_idle_init(r->env.loop, &r->reader);
    uv_signal_init(r->env.loop, &r->sig_int);
    uv_signal_init(r->env.loop, &r->sig_term);
    uv_timer_init(r->env.loop, &r->drain);
    uv_timer_init(r->env.loop, &r->progress_timer);
    uv_timer_init(r->env.loop, &r->heartbeat);
    uv_timer_init(r->env.loop, &r->state_timer);
    if (r->idx) {
        uv_timer_init(r->env.loop, &r->idx_timer);
        r->idx_timer.data = r;
        uint64_t iv = (uint64_t)r->env.cfg->index.commit_interval_ms;
        uv_timer_start(&r->idx_timer, idx_timer_cb, iv, iv);
    }
    r->reader.data = r->sig_int.data = r->sig_term.data = r;
    r->drain.data = r->progress_timer.data = r->heartbeat.data = r->state_timer.data = r;
    r->handles_init = true;
    if (r->use_state) {
        int st = wt__replay_state_start(r);
        if (st != 0) {
            ex = st == 1 ? WT_EXIT_OK : st;
            goto out;
        }
        uv_timer_start(&r->state_timer, wt__replay_state_timer_cb, WT_REPLAY_STATE_MS,
                       WT_REPLAY_STATE_MS);
    }
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
    uv_idle_start(&r->reader, wt__replay_reader_cb);

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
        wt__replay_close_all(r);
    else if (r->p)
        wt_pipeline_free(r->p);
    if (!r->handles_init)
        wt_index_close(r->idx);
    wt__replay_input_free(r->in);
    for (size_t i = 0; r->files && i < r->nfiles; i++)
        wt__replay_input_free(r->files[i].pre);
    wt_cmd_env_close(&r->env);
    wt_free(r->files);
    wt_free(r->buf);
    pthread_mutex_destroy(&r->st_lock);
    wt_free(r);
    return ex;
}
