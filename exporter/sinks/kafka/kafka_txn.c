/*
 * kafka_txn.c - the Kafka sink's transactional producer (exactly_once,
 * docs/kafka.md "Exactly once"): init_transactions and the read-back of
 * the committed position from the offsets topic (on the thread pool), and
 * the state machine that begins, seals, commits and aborts transactions
 * on the loop thread. The producer and the sink operations are in
 * sink_kafka.c (whose top comment tells the whole design); the state is in
 * kafka_sink_int.h.
 */
#include "log.h"
#include "wt_common.h"
#include "sink.h"
#include "kafka_sink_int.h"
#include "sink_kafka_int.h"
#include "wt_exporter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAG "sink.kafka"

/* exactly_once: longest block of a transactional call on the loop thread,
 * and the pause before a call that timed out is resumed. */
#define WT_KAFKA_TXN_CALL_MS  20
#define WT_KAFKA_TXN_RETRY_MS 5
/* exactly_once: how long reading the offsets topic back may take. */
#define WT_KAFKA_LOAD_TIMEOUT_MS 60000

/* Reading the offsets topic back, on the thread pool with its own consumer. */
struct load_job {
    uv_work_t req;
    struct kafka_sink *k;
    rd_kafka_t *producer;  /* init_transactions on it first (blocking: here, not on the loop) */
    bool durable;          /* then read the position back (spool mode only) */
    rd_kafka_conf_t *conf; /* the consumer's, taken by rd_kafka_new */
    bool init_fatal;
    bool inited; /* init_transactions done (a read retried after it skips it) */
    char topic[256];
    char key[1024];
    uint64_t seq;
    bool found;
    int rc;
    char err[512];
};

/* ------------------------------------------------------------------------ */
/* exactly_once: transactions and the offsets topic                         */
/* ------------------------------------------------------------------------ */

/* Properties the offsets consumer shares with the producer (connection, auth). */
static bool consumer_property(const char *name)
{
    static const char *const pre[] = {"security.",   "sasl.",      "ssl.",
                                      "socket.",     "broker.",    "client.dns",
                                      "api.version", "reconnect.", NULL};
    for (size_t i = 0; pre[i]; i++) {
        if (strncmp(name, pre[i], strlen(pre[i])) == 0)
            return true;
    }
    return false;
}

/* Thread pool: the last value under the key in the offsets topic, read_committed. */
static void load_work(uv_work_t *req)
{
    struct load_job *j = req->data;
    char msg[512];
    /* init_transactions waits on its own reply queue (it never serves the
     * main queue, which stays the loop's), so it may block here. -1: up to
     * 2 x transaction.timeout.ms, which also waits out an older instance's
     * transaction. */
    rd_kafka_error_t *ie = j->inited ? NULL : rd_kafka_init_transactions(j->producer, -1);
    if (ie) {
        snprintf(j->err, sizeof(j->err), "init_transactions: %s", rd_kafka_error_string(ie));
        j->init_fatal = rd_kafka_error_is_fatal(ie);
        j->rc = -EAGAIN;
        rd_kafka_error_destroy(ie);
        rd_kafka_conf_destroy(j->conf);
        return;
    }
    j->inited = true;
    if (!j->durable) {
        rd_kafka_conf_destroy(j->conf);
        return;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, j->conf, msg, sizeof(msg));
    rd_kafka_topic_partition_list_t *parts = NULL;
    const struct rd_kafka_metadata *md = NULL;
    int64_t *hi = NULL;
    if (!rk) {
        rd_kafka_conf_destroy(j->conf);
        snprintf(j->err, sizeof(j->err), "consumer: %s", msg);
        j->rc = WT_ECONFIG;
        return;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, j->topic, NULL);
    rd_kafka_resp_err_t err =
        rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : rd_kafka_last_error();
    if (err || md->topic_cnt != 1) {
        snprintf(j->err, sizeof(j->err), "metadata of %s: %s", j->topic, rd_kafka_err2str(err));
        j->rc = -EAGAIN;
        goto out;
    }
    if (md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        goto out; /* no offsets topic yet: nothing committed (the first produce creates it) */
    if (md->topics[0].err) {
        snprintf(j->err, sizeof(j->err), "metadata of %s: %s", j->topic,
                 rd_kafka_err2str(md->topics[0].err));
        j->rc = -EAGAIN;
        goto out;
    }
    int np = md->topics[0].partition_cnt;
    parts = rd_kafka_topic_partition_list_new(np > 0 ? np : 1);
    hi = wt_calloc((size_t)(np > 0 ? np : 1), sizeof(*hi));
    if (!hi) {
        j->rc = -ENOMEM;
        goto out;
    }
    for (int p = 0; p < np; p++) {
        int64_t lo = 0, h = 0;
        int32_t id = md->topics[0].partitions[p].id;
        err = rd_kafka_query_watermark_offsets(rk, j->topic, id, &lo, &h, 10000);
        if (err) {
            snprintf(j->err, sizeof(j->err), "watermarks of %s [%d]: %s", j->topic, id,
                     rd_kafka_err2str(err));
            j->rc = -EAGAIN;
            goto out;
        }
        if (h > lo) {
            hi[parts->cnt] = h;
            rd_kafka_topic_partition_list_add(parts, j->topic, id)->offset = lo;
        }
    }
    if (parts->cnt == 0)
        goto out;
    err = rd_kafka_assign(rk, parts);
    if (err) {
        snprintf(j->err, sizeof(j->err), "assign: %s", rd_kafka_err2str(err));
        j->rc = -EAGAIN;
        goto out;
    }
    /* Read to the high watermark of the start on every partition: with
     * read_committed, the position passes it once the transactions before
     * it ended (ours did: init_transactions came first). */
    const size_t klen = strlen(j->key);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m) {
            if (!m->err && m->key_len == klen && memcmp(m->key, j->key, klen) == 0) {
                uint64_t seq;
                if (m->payload && wt__kafka_offsets_parse(m->payload, m->len, &seq)) {
                    j->seq = seq; /* later offsets are newer */
                    j->found = true;
                }
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_position(rk, parts);
        int at_end = 0;
        for (int i = 0; i < parts->cnt; i++)
            at_end += parts->elems[i].offset >= hi[i];
        if (at_end == parts->cnt)
            break;
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if ((t1.tv_sec - t0.tv_sec) * 1000 > WT_KAFKA_LOAD_TIMEOUT_MS) {
            snprintf(j->err, sizeof(j->err), "%s not read to its end within %d s", j->topic,
                     WT_KAFKA_LOAD_TIMEOUT_MS / 1000);
            j->rc = -ETIMEDOUT;
            break;
        }
    }
out:
    if (md)
        rd_kafka_metadata_destroy(md);
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    wt_free(hi);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void load_done(uv_work_t *req, int status)
{
    struct load_job *j = req->data;
    struct kafka_sink *k = j->k;
    int rc = status ? status : j->rc;
    k->njobs--;
    k->loading = false;
    k->txn_inited = j->inited;
    if (k->closing) {
        wt__kafka_producer_free(k); /* kafka_close left it to us */
        wt_free(j);
        wt__kafka_free_if_closed(k);
        return;
    }
    if (j->init_fatal) {
        k->fatal = true; /* the error event follows: restart, or stop when fenced */
        wt_log_error(TAG, "%s: %s", k->name, j->err);
        wt_free(j);
        return;
    }
    if (k->xp != X_LOAD) {
        wt_free(j); /* the producer was restarted meanwhile: it loads again */
        return;
    }
    if (rc != 0) {
        wt_log_error(TAG, "%s: cannot read the committed position from %s: %s (retrying)", k->name,
                     k->offsets_topic, j->err[0] ? j->err : wt_strerror(rc));
        k->s->failing = true;
        k->xp = X_INIT; /* init_transactions again is a no-op; then read again */
        k->retry_at = uv_now(k->s->loop) + WT_KAFKA_RETRY_MIN_MS;
        wt_free(j);
        return;
    }
    k->have_committed = j->found;
    k->committed_seq = j->found ? j->seq : 0;
    if (!k->durable)
        ; /* replay: nothing to read back */
    else if (j->found)
        wt_log_info(TAG,
                    "%s: transactional.id \"%s\": spool records up to %" PRIu64
                    " are committed in %s; resuming after them",
                    k->name, k->txn_id, k->committed_seq, k->offsets_topic);
    else
        wt_log_info(TAG, "%s: transactional.id \"%s\": no position committed in %s yet", k->name,
                    k->txn_id, k->offsets_topic);
    wt_free(j);
    k->xp = X_IDLE;
    wt__kafka_eo_skip_committed(k);
    uv_timer_start(&k->tick, wt__kafka_tick_cb, 0, WT_KAFKA_TICK_MS);
}

static void load_start(struct kafka_sink *k)
{
    const struct wt_kafka_opts *o = k->s->cfg->opts;
    struct load_job *j = wt_calloc(1, sizeof(*j));
    char err[512];
    if (!j) {
        wt_log_error(TAG, "%s: out of memory", k->name);
        abort();
    }
    j->req.data = j;
    j->k = k;
    j->producer = k->rk;
    j->inited = k->txn_inited;
    j->durable = k->durable;
    snprintf(j->topic, sizeof(j->topic), "%s", k->offsets_topic);
    snprintf(j->key, sizeof(j->key), "%s", k->txn_id);
    j->conf = rd_kafka_conf_new();
    int rc = wt_kafka_conf_set(j->conf, "bootstrap.servers", o->brokers, err, sizeof(err));
    if (rc == 0)
        rc = wt_kafka_conf_set(j->conf, "isolation.level", "read_committed", err, sizeof(err));
    if (rc == 0)
        rc = wt_kafka_conf_set(j->conf, "enable.auto.commit", "false", err, sizeof(err));
    if (rc == 0)
        rc = wt_kafka_conf_set(j->conf, "client.id", "wtexport-offsets", err, sizeof(err));
    /* assign() needs a group.id; nothing is committed to the group. */
    if (rc == 0)
        rc = wt_kafka_conf_set(j->conf, "group.id", "wtexport-offsets-reader", err, sizeof(err));
    for (size_t i = 0; rc == 0 && i < o->nproperties; i++) {
        if (consumer_property(o->properties[i].name))
            rc = wt_kafka_conf_set(j->conf, o->properties[i].name, o->properties[i].value, err,
                                   sizeof(err));
    }
    if (rc != 0) {
        /* The producer took the same values: cannot happen. */
        wt_log_error(TAG, "%s: offsets consumer: %s", k->name, err);
        abort();
    }
    rd_kafka_conf_set_log_cb(j->conf, wt__kafka_on_log);
    k->xp = X_LOAD;
    k->loading = true;
    k->njobs++;
    rc = uv_queue_work(k->s->loop, &j->req, load_work, load_done);
    if (rc != 0) {
        wt_log_error(TAG, "uv_queue_work: %s", uv_strerror(rc));
        abort();
    }
}

/* Batches already committed (spool sequence number at or before the
 * committed one) are acked without being produced. */
void wt__kafka_eo_skip_committed(struct kafka_sink *k)
{
    if (!k->durable || !k->have_committed)
        return;
    for (struct ktrack *t = k->head; t; t = t->next) {
        if (t->state != T_PRODUCE || t->txn || t->b->id > k->committed_seq)
            continue;
        if (k->replay_job &&
            t->b->id >> WT_KAFKA_JOB_SHIFT != k->committed_seq >> WT_KAFKA_JOB_SHIFT)
            continue; /* another replay job's position */
        t->off = t->b->len;
        wt__kafka_set_state(k, t, T_WAIT); /* outstanding 0: wt__kafka_finish() acks it */
        if (k->skipped_batches++ == 0)
            wt_log_info(TAG,
                        "%s: spool record %" PRIu64 " (and any other up to %" PRIu64
                        ") already committed to Kafka: acked without producing it again",
                        k->name, t->b->id, k->committed_seq);
        k->skipped += t->b->nevents;
    }
}

/* A transactional call failed: what now. Takes err. */
static void eo_failed(struct kafka_sink *k, const char *what, rd_kafka_error_t *err)
{
    uv_loop_t *loop = k->s->loop;
    if (rd_kafka_error_is_fatal(err)) {
        /* The error event follows; service() restarts (or stops when fenced). */
        k->fatal = true;
        if (rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR__FENCED ||
            rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
            rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH) {
            if (!k->fenced)
                wt_log_error(TAG,
                             "%s: fenced: another producer uses transactional.id \"%s\" (%s); "
                             "this sink stops and acks nothing more. Stop the other exporter, "
                             "or give each its own transactional.id, then restart",
                             k->name, k->txn_id, rd_kafka_error_string(err));
            k->fenced = true;
            k->s->failing = true;
        }
    } else if (rd_kafka_error_is_retriable(err)) {
        /* Timed out: the call goes on in the background; resume it soon. */
        uv_timer_start(&k->tick, wt__kafka_tick_cb, WT_KAFKA_TXN_RETRY_MS, WT_KAFKA_TICK_MS);
    } else if (k->xp == X_COMMIT && rd_kafka_error_txn_requires_abort(err)) {
        wt_log_warn(TAG, "%s: %s: %s; aborting the transaction and sending its batches again",
                    k->name, what, rd_kafka_error_string(err));
        k->xp = X_ABORT;
        uv_timer_start(&k->tick, wt__kafka_tick_cb, 0, WT_KAFKA_TICK_MS);
    } else {
        wt_log_error(TAG, "%s: %s: %s (retrying)", k->name, what, rd_kafka_error_string(err));
        k->s->failing = true;
        k->retry_at = uv_now(loop) + WT_KAFKA_RETRY_MIN_MS;
        if (k->xp == X_COMMIT)
            k->xp = X_ABORT;
    }
    rd_kafka_error_destroy(err);
}

/* After a successful abort: each batch of it again, or whole to the dead
 * letters when the cluster refused some of its messages for good. */
static void eo_requeue(struct kafka_sink *k)
{
    for (struct ktrack *t = k->head; t; t = t->next) {
        if (!t->txn)
            continue;
        t->txn = false;
        t->outstanding = 0;
        t->resend = false;
        t->off = 0;
        if (t->nfailed > 0) {
            /* The transaction is gone: no event of it is in the topic. */
            t->nfailed = 0;
            wt__kafka_refuse(t, t->b->data, t->b->len, t->err);
            t->nmsgs = t->b->nevents;
            t->dl_retry_at = 0;
            wt__kafka_set_state(k, t, T_DEAD_WAIT);
        } else {
            t->nmsgs = 0;
            t->err = RD_KAFKA_RESP_ERR_NO_ERROR;
            wt__kafka_set_state(k, t, T_PRODUCE);
        }
    }
    k->ntxn = 0;
    k->need_abort = false;
    k->naborts++;
    wt__kafka_eo_skip_committed(k);
}

/* Commit succeeded: ack the transaction's batches, in order. */
static void eo_committed(struct kafka_sink *k)
{
    k->committed_seq = k->txn_seq;
    k->have_committed = true;
    k->txn_prev = k->txn_no;
    k->ntxn = 0;
    k->ncommits++;
    k->xp = X_IDLE;
    if (k->s->failing && !k->fenced)
        wt_log_info(TAG, "%s: committing again", k->name);
    k->s->failing = false;
    bool again = true;
    while (again && !k->closing) {
        again = false;
        for (struct ktrack *t = k->head; t; t = t->next) {
            if (!t->txn)
                continue;
            struct wt_batch *b = t->b;
            t->txn = false;
            wt__kafka_trk_remove(k, t);
            wt_sink_done(k->s, b, WT_SINK_ACKED); /* may call send(): scan again */
            again = true;
            break;
        }
    }
}

/* Is every message of the open transaction produced and reported? */
static bool eo_txn_settled(const struct kafka_sink *k, bool *failed)
{
    *failed = k->need_abort;
    for (const struct ktrack *t = k->head; t; t = t->next) {
        if (!t->txn)
            continue;
        if (t->state != T_WAIT || t->outstanding > 0)
            return false;
        if (t->resend || t->nfailed > 0)
            *failed = true;
    }
    return true;
}

/* The offsets message: the spool position after the transaction's last batch. */
static void eo_seal(struct kafka_sink *k)
{
    const struct ktrack *last = NULL;
    char v[WT_KAFKA_OFFSETS_VALUE_MAX];
    for (const struct ktrack *t = k->head; t; t = t->next) {
        if (t->txn)
            last = t;
    }
    k->txn_seq = last->b->id;
    if (!k->durable) {
        /* No spool (replay): batch ids are not positions; nothing to record. */
        k->xp = X_COMMIT;
        return;
    }
    size_t n = wt__kafka_offsets_value(v, sizeof(v), last->b->id, last->b->spool_seg,
                                       last->b->spool_off, k->txn_tag, k->txn_prev);
    rd_kafka_resp_err_t err =
        rd_kafka_producev(k->rk, RD_KAFKA_V_RKT(k->okt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_VALUE(v, n), RD_KAFKA_V_KEY(k->txn_id, strlen(k->txn_id)),
                          RD_KAFKA_V_OPAQUE(NULL), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return; /* again at the next service, when reports made room */
    if (err) {
        if (err == RD_KAFKA_RESP_ERR__FATAL)
            k->fatal = true;
        else
            k->xp = X_ABORT;
        return;
    }
    k->off_outstanding = 1;
    k->off_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    k->xp = X_SEAL;
}

/* One step of the transactional producer's state machine (loop thread). */
void wt__kafka_eo_step(struct kafka_sink *k)
{
    rd_kafka_error_t *err;
    bool failed;
    if (k->fatal || !k->rk || k->closing)
        return;
    switch (k->xp) {
    case X_INIT:
        if (uv_now(k->s->loop) < k->retry_at || k->loading)
            return;
        if (!k->id_final) {
            /* No resume() after open (replay without state), or replay
             * with state: its own id, so it never fences the daemon's
             * producer. */
            k->id_final = true;
            if (!k->durable || k->replay_job) {
                char e[512];
                size_t n = strlen(k->txn_id);
                snprintf(k->txn_id + n, sizeof(k->txn_id) - n, ":replay");
                wt__kafka_producer_free(k);
                if (wt__kafka_producer_new(k, e, sizeof(e)) != 0) {
                    wt_log_error(TAG, "%s: cannot create the producer: %s", k->name, e);
                    abort();
                }
            }
        }
        load_start(k); /* init_transactions, then the committed position */
        return;
    case X_IDLE:
        if (k->nproduce == 0)
            return;
        err = rd_kafka_begin_transaction(k->rk);
        if (err) {
            eo_failed(k, "begin_transaction", err);
            return;
        }
        k->txn_no++;
        snprintf(k->txn_tag, sizeof(k->txn_tag), "%016" PRIx64 "-%" PRIu64, k->txn_instance,
                 k->txn_no);
        k->xp = X_OPEN;
        /* fall through */
    case X_OPEN:
        wt__kafka_pump(k);
        if (k->need_abort) {
            k->xp = X_ABORT;
            wt__kafka_eo_step(k);
            return;
        }
        if (!eo_txn_settled(k, &failed) || k->ntxn == 0)
            return;
        if (failed) {
            k->xp = X_ABORT;
            wt__kafka_eo_step(k);
            return;
        }
        eo_seal(k);
        if (k->xp != X_COMMIT)
            return;
        /* no offsets message (replay): commit at once */
        /* fall through */
    case X_SEAL:
        if (k->xp == X_SEAL) {
            if (k->off_outstanding > 0)
                return;
            if (k->off_err) {
                wt_log_warn(TAG, "%s: offsets message to %s: %s; aborting the transaction", k->name,
                            k->offsets_topic, rd_kafka_err2name(k->off_err));
                k->xp = X_ABORT;
                wt__kafka_eo_step(k);
                return;
            }
            wt_crash_point("kafka-produced");
            k->xp = X_COMMIT;
        }
        /* fall through */
    case X_COMMIT:
        err = rd_kafka_commit_transaction(k->rk, WT_KAFKA_TXN_CALL_MS);
        if (err) {
            eo_failed(k, "commit_transaction", err);
            return;
        }
        eo_committed(k);
        return;
    case X_ABORT:
        if (uv_now(k->s->loop) < k->retry_at)
            return;
        err = rd_kafka_abort_transaction(k->rk, WT_KAFKA_TXN_CALL_MS);
        if (err) {
            eo_failed(k, "abort_transaction", err);
            return;
        }
        k->xp = X_ABORTED;
        /* fall through */
    case X_ABORTED:
        for (const struct ktrack *t = k->head; t; t = t->next) {
            if (t->txn && t->outstanding > 0)
                return; /* purged messages still to be reported */
        }
        if (k->off_outstanding > 0)
            return;
        eo_requeue(k);
        k->xp = X_IDLE;
        uv_timer_start(&k->tick, wt__kafka_tick_cb, 0, WT_KAFKA_TICK_MS);
        return;
    case X_LOAD:
    case X_FENCED:
    case X_OFF:
        return;
    }
}
