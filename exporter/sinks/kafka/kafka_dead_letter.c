/*
 * kafka_dead_letter.c - the Kafka sink's dead letters: the events the
 * cluster refused for good, and a .reason file, written to the dead-letter
 * directory on the thread pool (dead_letter.c, fsync'ed) before the batch
 * is reported dead. The state is in kafka_sink_int.h; the outcomes of a
 * batch are described at the top of sink_kafka.c.
 */
#include "log.h"
#include "wt_common.h"
#include "sink.h"
#include "dead_letter.h"
#include "kafka_sink_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG "sink.kafka"

/* Retry period of a dead-letter write that failed. */
#define WT_KAFKA_DL_RETRY_MS 5000

/* A dead-letter write on the thread pool: owns a copy of the batch. */
struct dl_job {
    uv_work_t req;
    struct kafka_sink *k;
    struct ktrack *t;
    char *data;
    size_t len;
    cJSON *reason; /* the .reason document */
    char dir[4096];
    char base[192];
    char path[WT_DEAD_LETTER_PATH_MAX]; /* the .ndjson written */
    int rc;
};

/* ------------------------------------------------------------------------ */
/* Dead letters (thread pool)                                               */
/* ------------------------------------------------------------------------ */

static void dl_work(uv_work_t *req)
{
    struct dl_job *j = req->data;
    j->rc =
        wt_dead_letter_write(j->dir, j->base, j->data, j->len, j->reason, j->path, sizeof(j->path));
}

static void dl_done(uv_work_t *req, int status)
{
    struct dl_job *j = req->data;
    struct kafka_sink *k = j->k;
    struct ktrack *t = j->t;
    int rc = status ? status : j->rc;
    k->njobs--;
    if (k->closing) {
        cJSON_Delete(j->reason);
        wt_free(j->data);
        wt_free(j);
        wt__kafka_free_if_closed(k);
        return;
    }
    if (rc != 0) {
        wt_log_error(TAG,
                     "%s: batch %" PRIu64 ": cannot write it to the dead-letter directory %s: %s "
                     "(retrying; it is not acked until written)",
                     k->name, t->b->id, j->dir, wt_strerror(rc));
        k->s->failing = true;
        t->dl_retry_at = uv_now(k->s->loop) + WT_KAFKA_DL_RETRY_MS;
        wt__kafka_set_state(k, t, T_DEAD_WAIT);
    } else {
        struct wt_batch *b = t->b;
        wt_log_error(TAG,
                     "%s: batch %" PRIu64 " (%u events): %u of %u messages refused for good: "
                     "%s: %s; written to %s",
                     k->name, b->id, b->nevents, t->nfailed, t->nmsgs, rd_kafka_err2name(t->err),
                     rd_kafka_err2str(t->err), j->path);
        wt__kafka_trk_remove(k, t);
        wt_sink_done(k->s, b, WT_SINK_DEAD);
    }
    cJSON_Delete(j->reason);
    wt_free(j->data);
    wt_free(j);
    if (!k->closing)
        wt__kafka_finish(k);
}

void wt__kafka_dl_start(struct kafka_sink *k, struct ktrack *t)
{
    struct dl_job *j = wt_calloc(1, sizeof(*j));
    size_t len = 0;
    for (uint32_t i = 0; i < t->nfailed; i++)
        len += t->refused[i].len + 1;
    char *copy = wt_malloc(len ? len : 1);
    if (!j || !copy) {
        wt_log_error(TAG, "%s: out of memory", k->name);
        abort();
    }
    int64_t now = wt_wall_ms();
    /* Only the refused events (NDJSON): the others are in the topic. */
    len = 0;
    for (uint32_t i = 0; i < t->nfailed; i++) {
        const struct wt_str *r = &t->refused[i];
        memcpy(copy + len, r->p, r->len);
        len += r->len;
        if (r->len == 0 || r->p[r->len - 1] != '\n')
            copy[len++] = '\n';
    }
    j->req.data = j;
    j->k = k;
    j->t = t;
    j->data = copy;
    j->len = len;
    snprintf(j->dir, sizeof(j->dir), "%s", k->dead_letter);
    wt_dead_letter_name(j->base, sizeof(j->base), k->name, now, t->b->id, "");
    char why[512];
    snprintf(why, sizeof(why), "%s: %s", rd_kafka_err2name(t->err), rd_kafka_err2str(t->err));
    j->reason = wt_dead_letter_reason(k->name, now, t->b->id, why);
    if (!j->reason || !cJSON_AddStringToObject(j->reason, "topic", k->topic) ||
        !cJSON_AddNumberToObject(j->reason, "events_in_batch", t->b->nevents) ||
        !cJSON_AddNumberToObject(j->reason, "messages_refused", t->nfailed) ||
        !cJSON_AddNumberToObject(j->reason, "messages", t->nmsgs) ||
        !cJSON_AddStringToObject(j->reason, "error", rd_kafka_err2name(t->err))) {
        wt_log_error(TAG, "%s: out of memory", k->name);
        abort();
    }
    wt__kafka_set_state(k, t, T_DEAD_JOB);
    k->njobs++;
    int rc = uv_queue_work(k->s->loop, &j->req, dl_work, dl_done);
    if (rc != 0) {
        wt_log_error(TAG, "uv_queue_work: %s", uv_strerror(rc));
        abort();
    }
}
