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
 */
#include "input.h"
#include "input_file.h"
#include "cmd_int.h"
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

/* Decompressed bytes per read, and reads per loop turn. */
#define WT_REPLAY_CHUNK          (256 * 1024)
#define WT_REPLAY_READS_PER_TURN 8
/* How often the end checks whether everything is acked. */
#define WT_DRAIN_CHECK_MS 20
#define WT_HEARTBEAT_MS   1000
/* The state file is rewritten at most this often while batches are acked. */
#define WT_REPLAY_STATE_MS 250
/* Bytes of each file's start that go into the job's identity. */
#define WT_REPLAY_ID_BYTES 4096
/* Largest state file read. */
#define WT_REPLAY_STATE_MAX (4u * 1024 * 1024)
/* Linger of a replay with state: batches close on size and file ends only. */
#define WT_REPLAY_NO_LINGER_MS (1000LL * 86400 * 1000)

struct rfile {
    const char *path;                /* as given: "src" in events */
    uint64_t dev, ino;               /* identity (regular files) */
    uint32_t head_crc;               /* CRC-32C of the first WT_REPLAY_ID_BYTES */
    uint64_t size;                   /* at the check, for progress */
    bool regular;                    /* size known */
    struct wt_input *pre;            /* a pipe, kept open from the check */
    const struct wt_input_cfg *icfg; /* format, fields, max_line */
};

struct replay {
    struct wt_cmd_env env; /* config, loop, metrics */
    struct wt_pipeline *p;
    /* --index / --index-only: the index stage, and (index only) the config
     * the pipeline sees: the loaded one without its sinks. */
    struct wt_index *idx;
    uv_timer_t idx_timer;
    struct wt_config nosinks;
    /* The config the pipeline runs with (env.cfg, or nosinks): its sinks are
     * the ones the state knows. */
    const struct wt_config *pcfg;
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

    /* State (see the top of the file); use_state false: --no-state or a pipe. */
    bool use_state, restart;
    char tag[17];   /* the job's identity: 16 hex digits */
    char fname[64]; /* replay-<tag>.json in state_dir */
    uint64_t job;   /* nonce of this job: batch ids start at job_base */
    uint64_t next_batch;
    size_t st_file;                 /* acked: file index ... */
    uint64_t st_off, st_line;       /* ... and position in it */
    bool aux_has[WT_CFG_MAX_SINKS]; /* per sink: an output size to keep */
    uint64_t aux[WT_CFG_MAX_SINKS];
    bool st_dirty, complete_before;
    uint64_t resume_off, resume_line; /* where the first file read starts */
    uv_timer_t state_timer;
    bool state_failed;
    /* Writes: snapshots numbered st_seq; the newest on disk is st_written. */
    pthread_mutex_t st_lock;
    uint64_t st_seq, st_written;
    uv_work_t st_work;
    bool st_busy;
    char *st_text;
    uint64_t st_text_seq;
    int st_rc;
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
/* State: resume an interrupted job, and never ship a finished one twice    */
/* ------------------------------------------------------------------------ */

static uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv64_u64(uint64_t h, uint64_t v)
{
    return fnv64(h, &v, sizeof(v));
}

/* Device, inode and the CRC of the first bytes: what a file is, whatever its name. */
static int file_identity(struct rfile *f)
{
    char head[WT_REPLAY_ID_BYTES];
    struct stat st;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = fstat(fd, &st) == 0 ? wt_pread_full(fd, head, sizeof(head), 0) : -1;
    close(fd);
    if (n < 0)
        return -EIO;
    f->dev = (uint64_t)st.st_dev;
    f->ino = (uint64_t)st.st_ino;
    f->head_crc = wt_crc32c(0, head, (size_t)n);
    return 0;
}

/* The job's tag: files (in order), window, batch sizes and sink entries. */
static void make_tag(struct replay *r)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const struct wt_config *cfg = r->pcfg;
    h = fnv64(h, "wtexport-replay-1", 17);
    h = fnv64_u64(h, r->nfiles);
    for (size_t i = 0; i < r->nfiles; i++) {
        const struct rfile *f = &r->files[i];
        h = fnv64(h, f->path, strlen(f->path) + 1);
        h = fnv64_u64(h, f->dev);
        h = fnv64_u64(h, f->ino);
        h = fnv64_u64(h, f->size);
        h = fnv64_u64(h, f->head_crc);
    }
    h = fnv64_u64(h, (uint64_t)r->since_ms);
    h = fnv64_u64(h, (uint64_t)r->until_ms);
    /* What cuts the batches, and every sink entry as written (where it ships). */
    h = fnv64_u64(h, cfg->batch.max_events);
    h = fnv64_u64(h, cfg->batch.max_bytes);
    for (size_t i = 0; i < cfg->nsinks; i++) {
        const char *src = cfg->sinks[i].source ? cfg->sinks[i].source : cfg->sinks[i].name;
        h = fnv64(h, src, strlen(src) + 1);
    }
    snprintf(r->tag, sizeof(r->tag), "%016" PRIx64, h);
    snprintf(r->fname, sizeof(r->fname), "replay-%s.json", r->tag);
}

/* Batch ids of a job: 2^55 and up, apart from a spool's sequence numbers. */
static uint64_t job_base(uint64_t job)
{
    return ((job & 0xffffffffULL) | 0x80000000ULL) << 24;
}

/* The state as JSON text (cJSON_free it), or NULL (out of memory). */
static char *state_text(const struct replay *r, bool complete)
{
    const struct wt_config *cfg = r->pcfg;
    char job[17], ts[32];
    snprintf(job, sizeof(job), "%016" PRIx64, r->job);
    wt_iso8601_ms(wt_wall_ms(), ts);
    cJSON *o = cJSON_CreateObject();
    cJSON *files = cJSON_CreateArray(), *sinks = cJSON_CreateArray();
    if (!o || !files || !sinks) {
        cJSON_Delete(o);
        cJSON_Delete(files);
        cJSON_Delete(sinks);
        return NULL;
    }
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "tag", r->tag);
    cJSON_AddStringToObject(o, "job", job);
    cJSON_AddStringToObject(o, "updated_at", ts);
    cJSON_AddBoolToObject(o, "complete", complete);
    /* Numbers above 2^53 do not survive a double: strings. */
    char nb[24], off[24], line[24];
    snprintf(nb, sizeof(nb), "%" PRIu64, r->next_batch);
    snprintf(off, sizeof(off), "%" PRIu64, r->st_off);
    snprintf(line, sizeof(line), "%" PRIu64, r->st_line);
    cJSON_AddStringToObject(o, "next_batch", nb);
    cJSON_AddNumberToObject(o, "file", (double)r->st_file);
    cJSON_AddStringToObject(o, "offset", off);
    cJSON_AddStringToObject(o, "lineno", line);
    for (size_t i = 0; i < r->nfiles; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", r->files[i].path);
        cJSON_AddNumberToObject(f, "size", (double)r->files[i].size);
        cJSON_AddItemToArray(files, f);
    }
    cJSON_AddItemToObject(o, "files", files);
    for (size_t i = 0; i < cfg->nsinks; i++) {
        cJSON *sk = cJSON_CreateObject();
        cJSON_AddStringToObject(sk, "name", cfg->sinks[i].name);
        cJSON_AddStringToObject(sk, "type", cfg->sinks[i].type->name);
        if (r->aux_has[i]) {
            char a[24];
            snprintf(a, sizeof(a), "%" PRIu64, r->aux[i]);
            cJSON_AddStringToObject(sk, "output_size", a);
        }
        cJSON_AddItemToArray(sinks, sk);
    }
    cJSON_AddItemToObject(o, "sinks", sinks);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    return text;
}

/*
 * Write snapshot number seq, unless a newer one is on disk already (a
 * background write may finish after the final one). Any thread: the
 * writes are serialised (they share one temp file name).
 */
static int state_put(struct replay *r, const char *text, uint64_t seq)
{
    int rc = 0;
    pthread_mutex_lock(&r->st_lock);
    if (seq > r->st_written) {
        wt_crash_point("replay-state");
        rc = wt_write_atomic(r->env.cfg->state_dir, r->fname, text, strlen(text));
        if (rc == 0)
            r->st_written = seq;
    }
    pthread_mutex_unlock(&r->st_lock);
    return rc;
}

/* Log and report the outcome of a state write (loop thread). */
static void state_result(struct replay *r, int rc)
{
    const struct wt_config *cfg = r->pcfg;
    if (rc != 0 && !r->state_failed)
        wt_log_error("replay",
                     "%s/%s: cannot write the replay state: %s (retrying; a re-run after a "
                     "crash may ship the batches since the last write again)",
                     cfg->state_dir, r->fname, wt_strerror(rc));
    else if (rc == 0 && r->state_failed)
        wt_log_info("replay", "%s/%s: written again", cfg->state_dir, r->fname);
    wt_metrics_problem(r->env.m, "replay-state", rc ? "cannot write the replay state" : NULL);
    r->state_failed = rc != 0;
}

/* Write the state now, on the loop thread (start, end, signals). */
static int state_write(struct replay *r, bool complete)
{
    char *text = state_text(r, complete);
    if (!text) {
        state_result(r, -ENOMEM);
        return -ENOMEM;
    }
    r->st_dirty = false;
    int rc = state_put(r, text, ++r->st_seq);
    cJSON_free(text);
    state_result(r, rc);
    return rc;
}

/* Periodic writes go to the thread pool: an fsync must not stall reading. */
static void state_work(uv_work_t *req)
{
    struct replay *r = req->data;
    r->st_rc = state_put(r, r->st_text, r->st_text_seq);
}

static void state_work_done(uv_work_t *req, int status)
{
    struct replay *r = req->data;
    cJSON_free(r->st_text);
    r->st_text = NULL;
    r->st_busy = false;
    state_result(r, status ? status : r->st_rc);
}

static bool json_u64(const cJSON *o, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char *end;
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return false;
    errno = 0;
    unsigned long long x = strtoull(v->valuestring, &end, 10);
    if (errno || *end)
        return false;
    *out = x;
    return true;
}

/*
 * Load the job's state. @returns 0 (found: r filled), -ENOENT (a new job),
 * or WT_EPARSE (damaged: logged; the caller refuses to guess).
 */
static int state_load(struct replay *r)
{
    const struct wt_config *cfg = r->pcfg;
    char path[4200], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, r->fname);
    int rc = wt_read_state_file(path, WT_REPLAY_STATE_MAX, &data, &len);
    if (rc != 0)
        return rc == -ENOENT ? rc : WT_EPARSE;
    cJSON *o = cJSON_ParseWithLength(data, len);
    wt_free(data);
    const cJSON *tag = cJSON_GetObjectItemCaseSensitive(o, "tag");
    const cJSON *job = cJSON_GetObjectItemCaseSensitive(o, "job");
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(o, "file");
    const cJSON *sinks = cJSON_GetObjectItemCaseSensitive(o, "sinks");
    bool ok = cJSON_IsString(tag) && strcmp(tag->valuestring, r->tag) == 0 && cJSON_IsString(job) &&
              cJSON_IsNumber(file) && file->valuedouble >= 0 &&
              file->valuedouble <= (double)r->nfiles && cJSON_IsArray(sinks) &&
              json_u64(o, "next_batch", &r->next_batch) && json_u64(o, "offset", &r->st_off) &&
              json_u64(o, "lineno", &r->st_line);
    if (ok) {
        char *end;
        r->job = strtoull(job->valuestring, &end, 16);
        r->st_file = (size_t)file->valuedouble;
        r->complete_before = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "complete"));
        for (size_t i = 0; i < cfg->nsinks && i < (size_t)cJSON_GetArraySize(sinks); i++)
            r->aux_has[i] = json_u64(cJSON_GetArrayItem(sinks, (int)i), "output_size", &r->aux[i]);
    }
    cJSON_Delete(o);
    if (!ok) {
        wt_log_error("replay",
                     "%s is damaged: not resuming (move it away to ship these files again "
                     "from the start, or use --restart)",
                     path);
        return WT_EPARSE;
    }
    return 0;
}

/* The job's files in state_dir: its state and the sinks' per-job files. */
static void remove_job_files(struct replay *r)
{
    const char *dir = r->env.cfg->state_dir;
    char pat[4200];
    glob_t g;
    snprintf(pat, sizeof(pat), "%s/replay-%s.*", dir, r->tag);
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
        globfree(&g);
    }
    wt_fsync_dir(dir);
}

/* Sinks' per-job files (the SSE plan) are useless once the job is complete. */
static void remove_sink_job_files(struct replay *r)
{
    char pat[4200];
    glob_t g;
    snprintf(pat, sizeof(pat), "%s/replay-%s.*.plan", r->env.cfg->state_dir, r->tag);
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
        globfree(&g);
    }
}

static void state_timer_cb(uv_timer_t *h)
{
    struct replay *r = h->data;
    if (r->st_busy || !(r->st_dirty || r->state_failed))
        return;
    r->st_text = state_text(r, false);
    if (!r->st_text)
        return;
    r->st_text_seq = ++r->st_seq;
    r->st_dirty = false;
    r->st_busy = true;
    r->st_work.data = r;
    if (uv_queue_work(r->env.loop, &r->st_work, state_work, state_work_done) != 0) {
        state_work(&r->st_work);
        state_work_done(&r->st_work, 0);
    }
}

/* The one file sink whose output size the state keeps (-1: none). */
static int aux_sink(struct replay *r)
{
    int found = -1;
    for (unsigned i = 0; i < r->pcfg->nsinks; i++) {
        if (wt_pipeline_sink(r->p, i)->has_aux0) {
            if (found >= 0)
                return -2;
            found = (int)i;
        }
    }
    return found;
}

/*
 * Before anything is sent: load or create the state, resume the sinks
 * (a file sink cut back to its size at the state's position, the SSE sink
 * on the job's plan), and number batches on from the state.
 * @returns 0, 1 when the job is complete (nothing to do), or an exit code.
 */
static int state_start(struct replay *r)
{
    const struct wt_config *cfg = r->pcfg;
    int rc = wt_mkdir_p(cfg->state_dir);
    if (rc != 0) {
        wt_log_error("replay", "%s: %s", cfg->state_dir, wt_strerror(rc));
        return WT_EXIT_FAIL;
    }
    if (r->restart)
        remove_job_files(r);
    rc = state_load(r);
    if (rc == WT_EPARSE)
        return WT_EXIT_FAIL;
    bool fresh = rc == -ENOENT;
    if (!fresh && r->complete_before) {
        wt_log_info("replay",
                    "these files were replayed to these sinks before (%s/%s): nothing to ship "
                    "(--restart ships them again)",
                    cfg->state_dir, r->fname);
        return 1;
    }
    int ai = aux_sink(r);
    if (ai == -2)
        wt_log_warn("replay", "more than one file sink writes a file: after a crash, a re-run "
                              "may write the last batches to them twice");
    if (fresh) {
        if (getrandom(&r->job, sizeof(r->job), GRND_NONBLOCK) != (ssize_t)sizeof(r->job))
            r->job = wt_mono_ns() ^ ((uint64_t)getpid() << 32);
        r->next_batch = job_base(r->job);
        for (unsigned i = 0; i < cfg->nsinks; i++) {
            r->aux_has[i] = (int)i == ai;
            r->aux[i] = (int)i == ai ? wt_pipeline_sink(r->p, i)->aux0 : 0;
        }
    } else {
        wt_log_info("replay",
                    "resuming an interrupted replay (%s/%s): file %zu of %zu at offset %" PRIu64
                    " (line %" PRIu64 ")",
                    cfg->state_dir, r->fname, r->st_file + 1, r->nfiles, r->st_off, r->st_line);
    }
    for (unsigned i = 0; i < cfg->nsinks; i++) {
        struct wt_sink *s = wt_pipeline_sink(r->p, i);
        bool has = r->aux_has[i] && (int)i == ai;
        s->state_tag = r->tag;
        if (s->ops->resume)
            s->ops->resume(s, has, r->aux[i]);
    }
    wt_pipeline_set_next_id(r->p, r->next_batch);
    r->cur = r->st_file;
    r->resume_off = r->st_off;
    r->resume_line = r->st_line;
    for (size_t i = 0; i < r->st_file; i++) {
        r->done_before += r->files[i].size;
        r->files_ok++;
    }
    /* Written before the first send: a crash from now on resumes. */
    if (state_write(r, false) != 0)
        return WT_EXIT_FAIL;
    return 0;
}

static void on_batch(void *ctx, const struct wt_batch *b)
{
    struct replay *r = ctx;
    if (!r->use_state)
        return;
    r->next_batch = b->id + 1;
    if (b->has_aux) {
        for (unsigned i = 0; i < r->pcfg->nsinks; i++) {
            if (r->aux_has[i])
                r->aux[i] = b->sink_aux;
        }
    }
    r->st_dirty = true;
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
    uv_timer_stop(&r->state_timer);
    if (r->use_state) {
        /* Complete: a re-run ships nothing. Else the position reached. */
        bool complete = idle && r->exit_code == WT_EXIT_OK;
        if (state_write(r, complete) == 0 && complete)
            remove_sink_job_files(r);
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
    struct replay *r = ctx;
    if (!r->use_state)
        return;
    r->st_file = input;
    r->st_off = offset;
    r->st_line = lineno;
    r->st_dirty = true;
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
    if (r->use_state) {
        /* Batches not acked yet are sent again, the same way, by a re-run:
         * flushing the open batch would cut it where a re-run does not. */
        wt_log_info("replay", "%s: stopping; run the same command again to continue", name);
        state_write(r, false);
        print_summary(r);
        wt_metrics_stop(r->env.m);
        fflush(stderr);
        _exit(WT_EXIT_FAIL);
    }
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
        if (!r->files[i].regular || file_identity(&r->files[i]) != 0) {
            wt_log_warn("replay",
                        "%s is not a regular file: no replay state is kept (a re-run "
                        "ships everything again)",
                        r->files[i].path);
            r->use_state = false;
        }
    }
    if (r->use_state) {
        make_tag(r);
        /* Batches close on size and file ends only, so a re-run cuts them again the same way. */
        r->env.cfg->batch.linger_ms = WT_REPLAY_NO_LINGER_MS;
    }
    r->buf = wt_malloc(r->cap);
    if (!r->buf) {
        wt_log_error("replay", "out of memory for a %zu-byte read buffer", r->cap);
        goto out;
    }

    struct wt_pipeline_hooks hooks = {
        .ctx = r, .on_ack = on_ack, .on_resume = on_resume, .on_batch = on_batch};
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
        int st = state_start(r);
        if (st != 0) {
            ex = st == 1 ? WT_EXIT_OK : st;
            goto out;
        }
        uv_timer_start(&r->state_timer, state_timer_cb, WT_REPLAY_STATE_MS, WT_REPLAY_STATE_MS);
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
    if (!r->handles_init)
        wt_index_close(r->idx);
    input_free(r->in);
    for (size_t i = 0; r->files && i < r->nfiles; i++)
        input_free(r->files[i].pre);
    wt_cmd_env_close(&r->env);
    wt_free(r->files);
    wt_free(r->buf);
    pthread_mutex_destroy(&r->st_lock);
    wt_free(r);
    return ex;
}
