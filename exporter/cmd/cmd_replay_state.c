/*
 * cmd_replay_state.c - replay's job state (the format is described at the
 * top of cmd_replay.c and in docs/operations.md "Backfill"): the job's
 * identity (files by device, inode and head CRC, window, batch sizes,
 * sinks), the state file replay-<tag>.json written atomically on the loop
 * or, periodically, on the thread pool, and loading it to resume a job or
 * to refuse re-shipping a finished one. Batch ids of a job come from here
 * (on_batch), so a re-run cuts and numbers batches the same way.
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
/* State: resume an interrupted job, and never ship a finished one twice    */
/* ------------------------------------------------------------------------ */

static uint64_t fnv64_u64(uint64_t h, uint64_t v)
{
    return wt_fnv1a64(h, &v, sizeof(v));
}

/* Device, inode and the CRC of the first bytes: what a file is, whatever its name. */
int wt__replay_file_identity(struct rfile *f)
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
void wt__replay_make_tag(struct replay *r)
{
    uint64_t h = WT_FNV1A64_INIT;
    const struct wt_config *cfg = r->pcfg;
    h = wt_fnv1a64(h, "wtexport-replay-1", 17);
    h = fnv64_u64(h, r->nfiles);
    for (size_t i = 0; i < r->nfiles; i++) {
        const struct rfile *f = &r->files[i];
        h = wt_fnv1a64(h, f->path, strlen(f->path) + 1);
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
        h = wt_fnv1a64(h, src, strlen(src) + 1);
    }
    snprintf(r->tag, sizeof(r->tag), "%016" PRIx64, h);
    snprintf(r->fname, sizeof(r->fname), "replay-%s.json", r->tag);
}

/* Batch ids of a job: 2^55 and up, apart from a spool's sequence numbers (sink.h). */
static uint64_t job_base(uint64_t job)
{
    return ((job & 0xffffffffULL) | 0x80000000ULL) << WT_SINK_REPLAY_JOB_SHIFT;
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
int wt__replay_state_write(struct replay *r, bool complete)
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
void wt__replay_remove_sink_job_files(struct replay *r)
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

void wt__replay_state_timer_cb(uv_timer_t *h)
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
int wt__replay_state_start(struct replay *r)
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
    if (wt__replay_state_write(r, false) != 0)
        return WT_EXIT_FAIL;
    return 0;
}

void wt__replay_on_batch(void *ctx, const struct wt_batch *b)
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
