/*
 * cmd_run.c - `wtexport run -c FILE`: the daemon. One libuv loop owns the
 * tailer, the pipeline and its sinks, the metrics heartbeat and the signals.
 *
 *   SIGTERM/SIGINT  stop reading, flush, wait for acks up to
 *                   shutdown.drain_timeout, write checkpoints, exit 0
 *   SIGHUP          reload the config: validate first, keep the old one on error
 *   SIGUSR1         log every counter
 */
#include "cmd_int.h"
#include "index.h"
#include "log.h"
#include "observe.h"
#include "wt_common.h"
#include "pipeline.h"
#include "input_type.h"
#include "tail.h"
#include "wt_exporter.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often the shutdown checks whether everything is acked. */
#define WT_DRAIN_CHECK_MS 20
#define WT_HEARTBEAT_MS   1000

struct daemon {
    struct wt_cmd_env env; /* config, loop, metrics */
    const char *cfg_path;
    struct wt_tail *tail;
    struct wt_pipeline_hooks tail_hooks; /* the tailer's; hooks() shares them with inputs */
    struct wt_inputs *inputs;            /* inputs other than files (syslog) */
    struct wt_pipeline *p;
    uv_signal_t sig_term, sig_int, sig_hup, sig_usr1;
    uv_timer_t heartbeat, drain;
    uint64_t drain_started;
    /* The observable index (index.enabled) and its relay API (observe.listen). */
    struct wt_index *idx;
    struct wt_observe *obs;
    uv_timer_t idx_timer;
    bool idx_timer_on;
    struct wt_index_stats idx_pub;
    struct wt_metric *m_idx_records, *m_idx_commits, *m_idx_failed, *m_idx_stalls, *m_idx_buckets,
        *m_idx_bytes, *m_idx_commit_s, *m_idx_expired;
    bool stopping;
    int exit_code;
};

static void log_counters(struct daemon *d, const char *when)
{
    const struct wt_pipeline_counts *n = wt_pipeline_counts(d->p);
    wt_log_info("run",
                "%s: lines=%llu parsed=%llu malformed=%llu too_long=%llu expired=%llu "
                "events=%llu batches=%llu acked=%llu ip=%llu ipv6=%llu domain=%llu url=%llu "
                "sha256=%llu files=%zu queue_bytes=%zu",
                when, (unsigned long long)n->lines, (unsigned long long)n->parsed,
                (unsigned long long)n->malformed, (unsigned long long)n->too_long,
                (unsigned long long)n->expired, (unsigned long long)n->events,
                (unsigned long long)n->batches, (unsigned long long)n->acked_batches,
                (unsigned long long)n->obs[WT_OBS_IP], (unsigned long long)n->obs[WT_OBS_IPV6],
                (unsigned long long)n->obs[WT_OBS_DOMAIN], (unsigned long long)n->obs[WT_OBS_URL],
                (unsigned long long)n->obs[WT_OBS_SHA256], wt_tail_nfiles(d->tail),
                wt_pipeline_queue_bytes(d->p));
}

/* ------------------------------------------------------------------------ */
/* Pipeline hooks: acks go to the tailer's files, resumes to every input    */
/* ------------------------------------------------------------------------ */

static void on_ack(void *ctx, uint32_t input, uint64_t offset, uint64_t lineno)
{
    struct daemon *d = ctx;
    /* A syslog message has no position to ack to its sender, but the spool
     * keeps records until a checkpoint covers them: the tailer writes one.
     * A Kafka input commits its offsets. */
    if (!d->tail)
        return; /* closing: wt_pipeline_free may still finish work (close_all) */
    if (input < WT_INPUT_ID_BASE) {
        d->tail_hooks.on_ack(d->tail_hooks.ctx, input, offset, lineno);
    } else {
        wt_inputs_ack(d->inputs, input, offset, lineno);
        wt_tail_others_acked(d->tail);
    }
}

static void on_delivered(void *ctx, uint64_t token)
{
    struct daemon *d = ctx;
    wt_inputs_delivered(d->inputs, token);
}

static void on_resume(void *ctx)
{
    struct daemon *d = ctx;
    if (!d->tail)
        return; /* closing */
    d->tail_hooks.on_resume(d->tail_hooks.ctx);
    wt_inputs_resume(d->inputs);
}

/* ------------------------------------------------------------------------ */
/* Shutdown                                                                 */
/* ------------------------------------------------------------------------ */

static void close_all(struct daemon *d)
{
    uv_signal_stop(&d->sig_term);
    uv_signal_stop(&d->sig_int);
    uv_signal_stop(&d->sig_hup);
    uv_signal_stop(&d->sig_usr1);
    uv_close((uv_handle_t *)&d->sig_term, NULL);
    uv_close((uv_handle_t *)&d->sig_int, NULL);
    uv_close((uv_handle_t *)&d->sig_hup, NULL);
    uv_close((uv_handle_t *)&d->sig_usr1, NULL);
    uv_close((uv_handle_t *)&d->heartbeat, NULL);
    uv_close((uv_handle_t *)&d->drain, NULL);
    if (d->idx_timer_on)
        uv_close((uv_handle_t *)&d->idx_timer, NULL);
    d->idx_timer_on = false;
    wt_observe_stop(d->obs);
    d->obs = NULL;
    /* wt_pipeline_free runs the loop while pool work finishes: an ack or a
     * resume it delivers then must not reach the freed tailer or inputs
     * (on_ack, on_resume and on_delivered see NULL and drop it). */
    wt_tail_free(d->tail);
    d->tail = NULL;
    wt_inputs_free(d->inputs);
    d->inputs = NULL;
    wt_pipeline_free(d->p);
    wt_index_close(d->idx); /* commits what the pipeline added */
    d->idx = NULL;
    d->p = NULL;
}

static void drain_cb(uv_timer_t *h)
{
    struct daemon *d = h->data;
    bool idle = wt_pipeline_idle(d->p);
    bool timed_out =
        uv_now(d->env.loop) - d->drain_started >= (uint64_t)d->env.cfg->drain_timeout_ms;
    if (!idle && !timed_out)
        return;
    if (idle && wt_pipeline_busy(d->p))
        return; /* a background cursor write is finishing */
    int rc = wt_tail_checkpoint_sync(d->tail);
    if (rc == -EBUSY)
        return; /* a background checkpoint write is finishing */
    uv_timer_stop(h);
    if (rc != 0)
        wt_log_error("run", "writing checkpoints at exit: %s", wt_strerror(rc));
    rc = wt_pipeline_sync(d->p);
    if (rc != 0)
        wt_log_error("run", "writing spool cursors at exit: %s", wt_strerror(rc));
    log_counters(d, "stopped");
    wt_metrics_stop(d->env.m);
    if (!idle) {
        /* Work still on the thread pool (a blocked sink) cannot be cancelled:
         * leave without freeing. Unacked lines are read again at the next start. */
        wt_log_warn("run",
                    "drain_timeout (%lld ms) reached before every sink caught up; what is not "
                    "acked stays in the spool (or the logs) for the next start",
                    (long long)d->env.cfg->drain_timeout_ms);
        if (d->idx)
            wt_index_sync(d->idx);
        fflush(stderr);
        _exit(d->exit_code);
    }
    close_all(d);
}

static void shutdown_start(struct daemon *d, const char *why)
{
    if (d->stopping)
        return;
    d->stopping = true;
    wt_log_info("run", "%s: stopping; flushing and waiting up to %lld ms for acks", why,
                (long long)d->env.cfg->drain_timeout_ms);
    wt_tail_stop(d->tail);
    wt_inputs_stop(d->inputs);
    wt_pipeline_flush(d->p);
    d->drain_started = uv_now(d->env.loop);
    uv_timer_start(&d->drain, drain_cb, 0, WT_DRAIN_CHECK_MS);
}

/* ------------------------------------------------------------------------ */
/* Reload                                                                   */
/* ------------------------------------------------------------------------ */

static bool str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Same entry as written (every key of every sink type, defaults aside). */
static bool sink_same(const struct wt_sink_cfg *a, const struct wt_sink_cfg *b)
{
    return str_same(a->source, b->source) && str_same(a->name, b->name);
}

static void swap_ptr(char **a, char **b)
{
    char *t = *a;
    *a = *b;
    *b = t;
}

/*
 * Keep what a running daemon cannot change (state_dir, sinks, metrics
 * listener) from the old config, with a warning when the new one differs.
 */
static void carry_over(struct wt_config *nc, struct wt_config *old)
{
    bool sinks_same = nc->nsinks == old->nsinks;
    for (size_t i = 0; sinks_same && i < nc->nsinks; i++)
        sinks_same = sink_same(&nc->sinks[i], &old->sinks[i]);
    if (!sinks_same)
        wt_log_warn("config", "reload: changes to sinks need a restart; keeping the old sinks");
    if (!str_same(nc->state_dir, old->state_dir))
        wt_log_warn("config", "reload: state_dir changes need a restart; keeping %s",
                    old->state_dir);
    if (!str_same(nc->metrics.listen, old->metrics.listen))
        wt_log_warn("config", "reload: metrics.listen changes need a restart; keeping %s",
                    old->metrics.listen);
    /* Swap, so each document still owns (and frees) its own strings. */
    struct wt_sink_cfg tmp[WT_CFG_MAX_SINKS];
    size_t ntmp = nc->nsinks;
    memcpy(tmp, nc->sinks, sizeof(tmp));
    memcpy(nc->sinks, old->sinks, sizeof(tmp));
    memcpy(old->sinks, tmp, sizeof(tmp));
    nc->nsinks = old->nsinks;
    old->nsinks = ntmp;
    swap_ptr(&nc->state_dir, &old->state_dir);
    swap_ptr(&nc->metrics.listen, &old->metrics.listen);
    /* The index and the observe API keep their start-up settings (retention aside). */
    if (memcmp(&nc->index, &old->index, sizeof(nc->index)) != 0 ||
        !str_same(nc->observe.listen, old->observe.listen))
        wt_log_warn("config", "reload: index and observe changes need a restart");
    __typeof__(nc->index) ti = nc->index;
    nc->index = old->index;
    old->index = ti;
    __typeof__(nc->observe) to = nc->observe;
    nc->observe = old->observe;
    old->observe = to;
}

static void reload(struct daemon *d)
{
    struct wt_config *nc = wt_calloc(1, sizeof(*nc));
    struct wt_config_errors *errs = wt_calloc(1, sizeof(*errs));
    if (!nc || !errs) {
        wt_log_error("config", "reload: out of memory; keeping the running config");
        goto out;
    }
    if (wt_config_load(d->cfg_path, nc, errs) != 0) {
        wt_cmd_log_config_errors(d->cfg_path, errs);
        wt_log_error("config", "reload: %s has %u error(s); keeping the running config",
                     d->cfg_path, errs->n + errs->dropped);
        goto out;
    }
    for (size_t i = 0; i < nc->ninputs || i < d->env.cfg->ninputs; i++) {
        /* A listener keeps running as configured at start (syslog.md). */
        const struct wt_input_cfg *a = i < nc->ninputs ? &nc->inputs[i] : NULL;
        const struct wt_input_cfg *b = i < d->env.cfg->ninputs ? &d->env.cfg->inputs[i] : NULL;
        bool listener = (a && a->type->ops) || (b && b->type->ops);
        if (listener && (!a || !b || strcmp(a->source, b->source) != 0)) {
            wt_log_warn("config", "reload: changes to syslog inputs need a restart; the "
                                  "running listeners are kept");
            break;
        }
    }
    if (nc->spool.enabled != d->env.cfg->spool.enabled) {
        wt_log_error("config", "reload: spool.enabled changes need a restart; keeping the "
                               "running config");
        goto out;
    }
    carry_over(nc, d->env.cfg);
    wt_log_setup((enum wt_log_level)nc->log.level, nc->log.json);
    wt_pipeline_apply(d->p, nc);
    wt_tail_apply(d->tail, nc);
    if (d->idx)
        wt_index_set_retention(d->idx, nc->retention_ms);
    wt_config_free(d->env.cfg);
    wt_free(d->env.cfg);
    d->env.cfg = nc;
    nc = NULL;
    wt_log_info("config", "reloaded %s", d->cfg_path);
out:
    if (nc) {
        wt_config_free(nc);
        wt_free(nc);
    }
    wt_free(errs);
}

/* ------------------------------------------------------------------------ */
/* Loop callbacks                                                           */
/* ------------------------------------------------------------------------ */

static void signal_cb(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;
    switch (signum) {
    case SIGTERM:
        shutdown_start(d, "SIGTERM");
        break;
    case SIGINT:
        shutdown_start(d, "SIGINT");
        break;
    case SIGHUP:
        if (!d->stopping)
            reload(d);
        break;
    case SIGUSR1:
        log_counters(d, "counters");
        wt_metrics_log_all(d->env.m);
        break;
    default:
        break;
    }
}

static void heartbeat_cb(uv_timer_t *h)
{
    struct daemon *d = h->data;
    wt_metrics_heartbeat(d->env.m);
    wt_metrics_problem(d->env.m, "sinks", wt_pipeline_failing(d->p) ? "a sink is failing" : NULL);
    wt_metrics_problem(d->env.m, "inputs",
                       wt_inputs_failing(d->inputs) ? "an input is failing" : NULL);
    wt_pipeline_counts(d->p); /* publishes counters */
}

/* ------------------------------------------------------------------------ */
/* Index and observe API                                                    */
/* ------------------------------------------------------------------------ */

static void index_publish(struct daemon *d)
{
    struct wt_index_stats st;
    wt_index_stats(d->idx, &st);
    wt_metric_add(d->m_idx_records, st.records - d->idx_pub.records);
    wt_metric_add(d->m_idx_commits, st.commits - d->idx_pub.commits);
    wt_metric_add(d->m_idx_failed, st.failed - d->idx_pub.failed);
    wt_metric_add(d->m_idx_stalls, st.stalls - d->idx_pub.stalls);
    wt_metric_add(d->m_idx_expired, st.expired - d->idx_pub.expired);
    wt_metric_set(d->m_idx_buckets, st.buckets);
    wt_metric_set(d->m_idx_bytes, (int64_t)st.map_bytes);
    wt_metric_set(d->m_idx_commit_s, (int64_t)(st.commit_ns_last / 1000000));
    d->idx_pub = st;
}

static void idx_timer_cb(uv_timer_t *h)
{
    struct daemon *d = h->data;
    wt_index_commit(d->idx);
    index_publish(d);
}

static struct wt_metric *idx_metric(struct daemon *d, enum wt_metric_kind k, const char *name,
                                    const char *help)
{
    return wt_metrics_get(d->env.m, k, name, help, NULL, NULL, 0);
}

static int index_start(struct daemon *d, char *err, size_t errlen)
{
    char path[4096];
    if (d->env.cfg->index.path)
        snprintf(path, sizeof(path), "%s", d->env.cfg->index.path);
    else
        snprintf(path, sizeof(path), "%s/index", d->env.cfg->state_dir);
    struct wt_index_opts io = {.path = path,
                               .max_size = d->env.cfg->index.max_size,
                               .top_clients = (unsigned)d->env.cfg->index.top_clients,
                               .retention_ms = d->env.cfg->retention_ms,
                               .allow_symlink = d->env.cfg->allow_symlinked_state};
    /* The directory itself is checked by wt_index_open, those above it here. */
    char why[1024];
    if (wt_dir_check_ancestors(path, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "index directory %s", why);
        return -1;
    }
    d->idx = wt_index_open(&io, err, errlen);
    if (!d->idx)
        return -1;
    d->m_idx_records = idx_metric(d, WT_METRIC_COUNTER, "wtexport_index_records_total",
                                  "Records merged into the observable index.");
    d->m_idx_commits = idx_metric(d, WT_METRIC_COUNTER, "wtexport_index_commits_total",
                                  "Index write transactions committed.");
    d->m_idx_failed = idx_metric(d, WT_METRIC_COUNTER, "wtexport_index_failed_commits_total",
                                 "Index write transactions that failed (their records are lost).");
    d->m_idx_stalls = idx_metric(d, WT_METRIC_COUNTER, "wtexport_index_stalls_total",
                                 "Times reading waited for the index writer.");
    d->m_idx_expired = idx_metric(d, WT_METRIC_COUNTER, "wtexport_index_expired_buckets_total",
                                  "Hour buckets dropped from the index.");
    d->m_idx_buckets =
        idx_metric(d, WT_METRIC_GAUGE, "wtexport_index_buckets", "Hour buckets in the index.");
    d->m_idx_bytes =
        idx_metric(d, WT_METRIC_GAUGE, "wtexport_index_bytes", "Bytes of the index map in use.");
    d->m_idx_commit_s = idx_metric(d, WT_METRIC_GAUGE, "wtexport_index_commit_milliseconds",
                                   "Duration of the last index write transaction.");
    uv_timer_init(d->env.loop, &d->idx_timer);
    d->idx_timer.data = d;
    d->idx_timer_on = true;
    uint64_t iv = (uint64_t)d->env.cfg->index.commit_interval_ms;
    uv_timer_start(&d->idx_timer, idx_timer_cb, iv, iv);
    wt_log_info("run", "index at %s (commit every %llu ms, %zu MiB at most)", path,
                (unsigned long long)iv, d->env.cfg->index.max_size >> 20);
    return 0;
}

static int observe_start(struct daemon *d, char *err, size_t errlen)
{
    char host[256];
    if (d->env.cfg->host)
        snprintf(host, sizeof(host), "%s", d->env.cfg->host);
    else if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    d->obs = wt_observe_start(d->env.cfg, d->idx, host, err, errlen);
    if (!d->obs)
        return -1;
    wt_log_info("run", "observe API on %s://%s (relay module)",
                d->env.cfg->observe.tls_cert_file ? "https" : "http", d->env.cfg->observe.listen);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Command                                                                  */
/* ------------------------------------------------------------------------ */

static const char run_usage[] =
    "usage: wtexport run -c FILE\n"
    "\n"
    "Follow the access logs named by the config's inputs and ship their events\n"
    "to its sinks until SIGTERM/SIGINT. SIGHUP reloads the config, SIGUSR1 logs\n"
    "all counters. See docs/config.md.\n";

/*
 * Remove the temp files (.<name>.XXXXXX) a crash left in the directories
 * the daemon owns, before anything writes there; one line with the count.
 */
static void remove_stale_temps(const struct wt_config *cfg)
{
    char spool[4200], index[4200];
    snprintf(spool, sizeof(spool), "%s/spool", cfg->state_dir);
    snprintf(index, sizeof(index), "%s/index", cfg->state_dir);
    const char *dirs[3] = {cfg->state_dir, cfg->spool.dir ? cfg->spool.dir : spool,
                           cfg->index.path ? cfg->index.path : index};
    int total = 0;
    for (int i = 0; i < 3; i++) {
        int n = wt_remove_stale_temps(dirs[i], WT_STALE_TEMP_AGE_S);
        if (n < 0)
            wt_log_warn("run", "%s: cannot look for stale temporary files: %s", dirs[i],
                        wt_strerror(n));
        else
            total += n;
    }
    if (total > 0)
        wt_log_info("run",
                    "removed %d stale temporary file(s) (.<name>.XXXXXX, older than %d s) "
                    "left by an earlier crash in %s and the directories under it",
                    total, WT_STALE_TEMP_AGE_S, cfg->state_dir);
}

int wt_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct daemon d = {.exit_code = WT_EXIT_OK};
    char err[512] = "";
    int o, ex = WT_EXIT_FAIL;

    optind = 1;
    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            d.cfg_path = optarg;
            break;
        case 'h':
            fputs(run_usage, stdout);
            return WT_EXIT_OK;
        default:
            fputs(run_usage, stderr);
            return WT_EXIT_USAGE;
        }
    }
    if (!d.cfg_path || optind != argc) {
        fputs(run_usage, stderr);
        return WT_EXIT_USAGE;
    }
    ex = wt_cmd_env_open(&d.env, "run", d.cfg_path, true);
    if (ex != 0)
        goto out;
    ex = WT_EXIT_FAIL;
    if (!wt_cmd_state_dir_ok(d.env.cfg, "run", false))
        goto out;
    int rc = wt_mkdir_p(d.env.cfg->state_dir);
    if (rc != 0) {
        wt_log_error("run", "state_dir %s: %s", d.env.cfg->state_dir, wt_strerror(rc));
        goto out;
    }
    /* Again now that state_dir exists: the spool directory inside it. */
    if (!wt_cmd_state_dir_ok(d.env.cfg, "run", true))
        goto out;
    remove_stale_temps(d.env.cfg);
    d.tail = wt_tail_new(d.env.loop, d.env.cfg, d.env.m);
    if (!d.tail) {
        wt_log_error("run", "out of memory");
        goto out;
    }
    d.tail_hooks = wt_tail_hooks(d.tail);
    struct wt_pipeline_hooks hooks = {
        .ctx = &d, .on_ack = on_ack, .on_resume = on_resume, .on_delivered = on_delivered};
    /* spool.enabled false (Kafka inputs only, config.c): from memory, as replay. */
    d.p = wt_pipeline_new(d.env.loop, d.env.cfg, d.env.m, &hooks, d.env.cfg->spool.enabled, 0, 0,
                          err, sizeof(err));
    if (!d.p) {
        wt_log_error("run", "%s", err);
        goto out;
    }
    if (d.env.cfg->index.enabled) {
        if (index_start(&d, err, sizeof(err)) != 0) {
            wt_log_error("run", "index: %s", err);
            goto out;
        }
        wt_pipeline_set_index(d.p, d.idx);
    }
    if (d.env.cfg->observe.listen && d.env.cfg->observe.listen[0] &&
        observe_start(&d, err, sizeof(err)) != 0) {
        wt_log_error("run", "%s", err);
        goto out;
    }
    if (wt_tail_start(d.tail, d.p, err, sizeof(err)) != 0) {
        wt_log_error("run", "%s", err);
        goto out;
    }
    struct wt_input_env ienv = {.loop = d.env.loop, .cfg = d.env.cfg, .p = d.p, .m = d.env.m};
    if (wt_inputs_open(&d.inputs, &ienv, err, sizeof(err)) != 0) {
        wt_log_error("run", "%s", err);
        goto out;
    }
    uv_signal_init(d.env.loop, &d.sig_term);
    uv_signal_init(d.env.loop, &d.sig_int);
    uv_signal_init(d.env.loop, &d.sig_hup);
    uv_signal_init(d.env.loop, &d.sig_usr1);
    d.sig_term.data = d.sig_int.data = d.sig_hup.data = d.sig_usr1.data = &d;
    uv_signal_start(&d.sig_term, signal_cb, SIGTERM);
    uv_signal_start(&d.sig_int, signal_cb, SIGINT);
    uv_signal_start(&d.sig_hup, signal_cb, SIGHUP);
    uv_signal_start(&d.sig_usr1, signal_cb, SIGUSR1);
    uv_timer_init(d.env.loop, &d.heartbeat);
    uv_timer_init(d.env.loop, &d.drain);
    d.heartbeat.data = d.drain.data = &d;
    uv_timer_start(&d.heartbeat, heartbeat_cb, 0, WT_HEARTBEAT_MS);
    wt_log_info("run", "wtexport %s running: %zu input(s), %zu sink(s), retention %lld s%s",
                WT_VERSION, d.env.cfg->ninputs, d.env.cfg->nsinks,
                (long long)(d.env.cfg->retention_ms / 1000),
                d.env.cfg->spool.enabled ? "" : ", no spool (spool.enabled false)");

    uv_run(d.env.loop, UV_RUN_DEFAULT);
    ex = d.exit_code;
    d.tail = NULL;
    d.p = NULL;
out:
    wt_inputs_stop(d.inputs);
    wt_inputs_free(d.inputs);
    d.inputs = NULL; /* wt_pipeline_free below may still deliver acks (on_ack) */
    wt_observe_stop(d.obs);
    if (d.idx_timer_on)
        uv_close((uv_handle_t *)&d.idx_timer, NULL);
    wt_pipeline_free(d.p);
    wt_tail_free(d.tail);
    wt_index_close(d.idx); /* after the pipeline, which adds to it */
    wt_cmd_env_close(&d.env);
    return ex;
}
