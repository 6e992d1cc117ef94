/*
 * sink_kafka.c - the Kafka sink: every event (or every batch) becomes one
 * message of one topic, produced with librdkafka from the loop thread.
 *
 * librdkafka on the loop (STYLE.md 6): the producer's main queue carries
 * delivery reports, error events and (log.queue) librdkafka's own log
 * lines. rd_kafka_queue_io_event_enable() makes librdkafka write a byte
 * to a non-blocking pipe when that queue becomes non-empty; a uv_poll_t
 * watches the pipe and serves the queue with rd_kafka_poll(rk, 0), so
 * every callback below runs on the loop thread. A repeating uv_timer
 * (WT_KAFKA_TICK_MS) serves it too, as a safety net: the pipe is written
 * only on the empty -> non-empty transition, so events left behind by the
 * bounded poll loop, and backoff deadlines, are picked up by the timer.
 *
 * Messages point into the batch (flags 0, no copy, STYLE.md 5): the
 * batch stays valid until wt_sink_done(), which comes only after the last
 * delivery report of the batch. One tracker per batch counts the messages
 * without a report.
 *
 * Backpressure: RD_KAFKA_RESP_ERR__QUEUE_FULL stops producing where it
 * is; ready() turns false (the pipeline's queue fills, reading pauses),
 * and production resumes after the next poll, when delivery reports have
 * made room. Nothing loops or blocks on a full queue.
 *
 * Outcomes of a batch, once every message has a report:
 *   - all delivered: wt_sink_done(ACKED);
 *   - a permanent error (the cluster refused the bytes): the refused
 *     events (NDJSON; the others are in the topic, so nothing is in both)
 *     and a .reason file with the librdkafka error go to the dead-letter
 *     directory (on the thread pool, fsync'ed), one log line,
 *     wt_sink_done(DEAD);
 *   - a transient error reported after librdkafka stopped retrying (only
 *     with a finite message.timeout.ms; the default 0 retries forever):
 *     the whole batch is produced again after a backoff (duplicates are
 *     possible: delivery is at-least-once).
 * A fatal producer error (idempotence state lost) restarts the producer:
 * every batch not fully acknowledged is produced again by the new one.
 *
 * exactly_once (docs/kafka.md "Exactly once"): a transactional producer.
 * A transaction holds the batches sent while the previous one committed,
 * then one message to the offsets topic (key: the transactional.id, value:
 * the spool sequence number of its last batch). Nothing is acked before
 * the commit. At start (and after a producer restart), init_transactions
 * fences an older instance and aborts its open transaction, a consumer on
 * the thread pool reads the committed position back (read_committed), and
 * batches at or before it are acked without being produced (batches
 * arriving meanwhile wait). Each message carries its transaction's tag
 * (header wtexport-txn), and the offsets record names it and the last
 * committed transaction, so a reader can tell committed from aborted
 * without the broker's markers (the tests do: the mock cluster has none).
 * The
 * transactional calls run on the loop thread with a short timeout and are
 * resumed from the timer when they time out (librdkafka makes them
 * resumable), so the loop never blocks for longer than WT_KAFKA_TXN_CALL_MS;
 * commit is called only once every message of the transaction has its
 * delivery report, so its internal flush has nothing to wait for.
 *
 * Files: this one holds the producer and the sink operations;
 * kafka_txn.c the transactional producer (exactly_once), kafka_dead_letter.c
 * the dead letters, kafka_helpers.c the pure helpers (sink_kafka_int.h);
 * the state they share is in kafka_sink_int.h.
 */
#include "log.h"
#include "wt_common.h"
#include "sink.h"
#include "dead_letter.h"
#include "sink_kafka_int.h"
#include "kafka_sink_int.h"
#include "wt_exporter.h"
#include "wt_parsers.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define TAG "sink.kafka"

/* rd_kafka_poll() calls per loop callback; each serves the whole queue. */
#define WT_KAFKA_POLL_ROUNDS 8
/* rd_kafka_flush() bound in close() when nothing is in flight. */
#define WT_KAFKA_CLOSE_FLUSH_MS 2000

/* ------------------------------------------------------------------------ */
/* State                                                                    */
/* ------------------------------------------------------------------------ */

/* The trackers, the phases and struct kafka_sink are in kafka_sink_int.h. */

static struct ktrack *trk_get(struct kafka_sink *k)
{
    for (unsigned i = 0; i < WT_KAFKA_MAX_INFLIGHT; i++) {
        struct ktrack *t = &k->trk[i];
        if (t->state == T_FREE) {
            struct wt_str *refused = t->refused;
            uint32_t cap = t->refused_cap;
            memset(t, 0, sizeof(*t));
            t->k = k;
            t->refused = refused;
            t->refused_cap = cap;
            return t;
        }
    }
    return NULL;
}

/* Unlink t from the in-flight list and free it. */
void wt__kafka_trk_remove(struct kafka_sink *k, struct ktrack *t)
{
    struct ktrack **pp = &k->head, *prev = NULL;
    while (*pp != t) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    *pp = t->next;
    if (k->tail == t)
        k->tail = prev;
    if (t->state == T_PRODUCE)
        k->nproduce--;
    t->state = T_FREE;
    k->ntrk--;
}

void wt__kafka_set_state(struct kafka_sink *k, struct ktrack *t, enum tstate st)
{
    if (t->state == T_PRODUCE)
        k->nproduce--;
    if (st == T_PRODUCE)
        k->nproduce++;
    t->state = st;
}

/* A message of t refused for good: remember its bytes for the dead letter. */
void wt__kafka_refuse(struct ktrack *t, const void *value, size_t len, rd_kafka_resp_err_t err)
{
    if (t->nfailed == t->refused_cap) {
        uint32_t cap = t->refused_cap ? t->refused_cap * 2 : 16;
        struct wt_str *r = wt_realloc(t->refused, cap * sizeof(*r));
        if (!r) {
            wt_log_error(TAG, "out of memory");
            abort();
        }
        t->refused = r;
        t->refused_cap = cap;
    }
    t->refused[t->nfailed++] = (struct wt_str){value, len};
    if (!t->err)
        t->err = err;
}

/* ------------------------------------------------------------------------ */
/* librdkafka callbacks (all on the loop thread, from rd_kafka_poll)        */
/* ------------------------------------------------------------------------ */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct kafka_sink *k = opaque;
    struct ktrack *t = m->_private;
    (void)rk;
    if (k->destroying)
        return;
    if (!t) { /* exactly_once: the offsets message */
        k->off_outstanding--;
        k->off_err = m->err;
        return;
    }
    t->outstanding--;
    k->outstanding--;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (k->s->failing)
            wt_log_info(TAG, "%s: delivering again", k->name);
        k->s->failing = false;
        k->backoff_ms = 0;
        k->restart_backoff_ms = 0;
        return;
    }
    if (wt__kafka_err_permanent(m->err)) {
        wt__kafka_refuse(t, m->payload, m->len, m->err); /* payload: our bytes (no copy) */
    } else {
        t->resend = true;
        t->transient_err = m->err;
    }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct kafka_sink *k = opaque;
    if (k->destroying)
        return;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof(why));
        if (k->eo &&
            (orig == RD_KAFKA_RESP_ERR__FENCED || orig == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
             orig == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)) {
            if (!k->fenced)
                wt_log_error(TAG,
                             "%s: fenced: another producer uses transactional.id \"%s\" (%s: "
                             "%s); this sink stops and acks nothing more. Stop the other "
                             "exporter, or give each its own transactional.id, then restart",
                             k->name, k->txn_id, rd_kafka_err2name(orig), why);
            k->fenced = true;
            k->fatal = true;
            k->s->failing = true;
            return;
        }
        wt_log_error(TAG,
                     "%s: fatal producer error: %s: %s; restarting the producer (batches not "
                     "fully delivered are sent again)",
                     k->name, rd_kafka_err2name(orig), why);
        k->fatal = true;
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        if (!k->s->failing)
            wt_log_warn(TAG, "%s: %s (retrying; nothing is acked until delivered)", k->name,
                        reason);
        k->s->failing = true;
        return;
    }
    /* Transport and resolve errors are in librdkafka's log lines too. */
    wt_log_debug(TAG, "%s: %s: %s", k->name, rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* librdkafka levels are syslog levels. */
void wt__kafka_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const struct kafka_sink *k = rk ? rd_kafka_opaque(rk) : NULL;
    const char *name = k ? k->name : "kafka";
    enum wt_log_level l = level <= 3   ? WT_LOG_ERROR
                          : level == 4 ? WT_LOG_WARN
                          : level <= 6 ? WT_LOG_INFO
                                       : WT_LOG_DEBUG;
    wt_log(l, TAG, "%s: librdkafka %s: %s", name, fac, buf);
}

/* ------------------------------------------------------------------------ */
/* Producer                                                                 */
/* ------------------------------------------------------------------------ */

/* exactly_once: a random name for this producer's transactions. */
static uint64_t txn_instance(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 32);
    }
    return v;
}

/* Create rk, its topic handle and the main queue's wake-up on the pipe. */
int wt__kafka_producer_new(struct kafka_sink *k, char *err, size_t errlen)
{
    const struct wt_kafka_opts *o = k->s->cfg->opts;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char msg[512];
    /* Defaults first; the user's properties override them. */
    static const char *const defaults[][2] = {
        {"enable.idempotence", "true"}, {"acks", "all"},           {"compression.type", "zstd"},
        {"message.timeout.ms", "0"},    {"client.id", "wtexport"},
    };
    int rc = wt_kafka_conf_set(conf, "bootstrap.servers", o->brokers, err, errlen);
    for (size_t i = 0; rc == 0 && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        /* Transactions: a message times out with its transaction
         * (transaction.timeout.ms), which librdkafka needs; then the
         * transaction is aborted and its batches sent again. */
        if (k->eo && strcmp(defaults[i][0], "message.timeout.ms") == 0)
            continue;
        rc = wt_kafka_conf_set(conf, defaults[i][0], defaults[i][1], err, errlen);
    }
    if (rc == 0 && k->eo)
        rc = wt_kafka_conf_set(conf, "transactional.id", k->txn_id, err, errlen);
    for (size_t i = 0; rc == 0 && i < o->nproperties; i++)
        rc = wt_kafka_conf_set(conf, o->properties[i].name, o->properties[i].value, err, errlen);
    /* Logs are served on the loop with everything else, whatever the user says. */
    if (rc == 0)
        rc = wt_kafka_conf_set(conf, "log.queue", "true", err, errlen);
    if (rc != 0) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, wt__kafka_on_log);
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, msg, sizeof(msg));
    if (!k->rk) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        snprintf(err, errlen, "%s", msg);
        return WT_ECONFIG;
    }
    k->mainq = rd_kafka_queue_get_main(k->rk);
    rd_kafka_set_log_queue(k->rk, NULL); /* to the main queue */
    rd_kafka_queue_io_event_enable(k->mainq, k->pipefd[1], "1", 1);
    k->rkt = rd_kafka_topic_new(k->rk, k->topic, NULL);
    if (!k->rkt) {
        snprintf(err, errlen, "topic %s: %s", k->topic, rd_kafka_err2str(rd_kafka_last_error()));
        return WT_ECONFIG;
    }
    if (k->eo) {
        k->okt = rd_kafka_topic_new(k->rk, k->offsets_topic, NULL);
        if (!k->okt) {
            snprintf(err, errlen, "topic %s: %s", k->offsets_topic,
                     rd_kafka_err2str(rd_kafka_last_error()));
            return WT_ECONFIG;
        }
        k->xp = X_INIT;
        k->txn_inited = false;
        k->txn_instance = txn_instance();
        k->txn_no = k->txn_prev = 0;
        k->txn_tag[0] = '\0';
    }
    return 0;
}

/*
 * Destroy the producer without serving its queue: messages still held are
 * dropped by librdkafka without reports (destroying guards the callbacks).
 */
void wt__kafka_producer_free(struct kafka_sink *k)
{
    if (!k->rk)
        return;
    k->destroying = true;
    if (k->rkt)
        rd_kafka_topic_destroy(k->rkt);
    if (k->okt)
        rd_kafka_topic_destroy(k->okt);
    k->okt = NULL;
    rd_kafka_queue_io_event_enable(k->mainq, -1, NULL, 0);
    rd_kafka_queue_destroy(k->mainq);
    rd_kafka_destroy(k->rk);
    k->rk = NULL;
    k->rkt = NULL;
    k->mainq = NULL;
    k->destroying = false;
}

/*
 * After a fatal error: a new producer, and every batch not settled is
 * produced again from its start (what the old one delivered is duplicated).
 */
static void producer_restart(struct kafka_sink *k)
{
    char err[512];
    wt__kafka_producer_free(k);
    for (struct ktrack *t = k->head; t; t = t->next) {
        if (t->state != T_PRODUCE && t->state != T_WAIT)
            continue;
        if (t->state == T_WAIT && t->outstanding == 0 && !t->resend && !t->txn)
            continue; /* settled: acked or dead-lettered by wt__kafka_finish() */
        t->outstanding = 0;
        t->nmsgs = t->nfailed = 0;
        t->err = RD_KAFKA_RESP_ERR_NO_ERROR;
        t->resend = false;
        t->txn = false;
        t->off = 0;
        wt__kafka_set_state(k, t, T_PRODUCE);
    }
    k->outstanding = 0;
    k->fatal = false;
    /* exactly_once: the open transaction is aborted by the next
     * init_transactions; what it held is produced again unless the
     * offsets topic says it was committed after all. */
    k->ntxn = 0;
    k->off_outstanding = 0;
    k->need_abort = k->blocked = false;
    if (wt__kafka_producer_new(k, err, sizeof(err)) != 0) {
        /* It was created from the same settings before: out of resources. */
        wt_log_error(TAG, "%s: cannot restart the producer: %s", k->name, err);
        abort();
    }
    wt_log_info(TAG, "%s: producer restarted", k->name);
}

/* ------------------------------------------------------------------------ */
/* Producing                                                                */
/* ------------------------------------------------------------------------ */

enum prod { P_OK, P_FULL, P_FATAL };

static enum prod produce_one(struct kafka_sink *k, struct ktrack *t, struct wt_str value,
                             const struct wt_str *key)
{
    static const char version[] = {'0' + WT_EVENT_VERSION, '\0'};
    static_assert(WT_EVENT_VERSION >= 0 && WT_EVENT_VERSION <= 9, "one-digit version header");
    /* One header list per message, as RD_KAFKA_V_HEADER makes; taken by
     * producev on success. */
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(k->eo ? 3 : 2);
    rd_kafka_header_add(hdrs, WT_KAFKA_HDR_HOST, -1, t->host.p, (ssize_t)t->host.len);
    rd_kafka_header_add(hdrs, WT_KAFKA_HDR_VERSION, -1, version, 1);
    if (k->eo)
        rd_kafka_header_add(hdrs, WT_KAFKA_HDR_TXN, -1, k->txn_tag, -1);
    rd_kafka_resp_err_t err =
        rd_kafka_producev(k->rk, RD_KAFKA_V_RKT(k->rkt), RD_KAFKA_V_MSGFLAGS(0),
                          RD_KAFKA_V_VALUE((void *)value.p, value.len),
                          RD_KAFKA_V_KEY(key ? key->p : NULL, key ? key->len : 0),
                          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(t), RD_KAFKA_V_END);
    if (err)
        rd_kafka_headers_destroy(hdrs);
    switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        t->outstanding++;
        t->nmsgs++;
        k->outstanding++;
        return P_OK;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        if (k->outstanding > 0) {
            k->blocked = true;
            return P_FULL; /* delivery reports will make room */
        }
        /* Full with nothing of ours in it: this message alone exceeds
         * queue.buffering.max.kbytes and would wait forever. */
        t->nmsgs++;
        wt__kafka_refuse(t, value.p, value.len, err);
        return P_OK;
    case RD_KAFKA_RESP_ERR__FATAL:
        k->fatal = true; /* the error event follows; restart then */
        return P_FATAL;
    case RD_KAFKA_RESP_ERR__STATE:
        if (k->eo) {
            /* The transaction failed (an abortable error): abort, send again. */
            k->need_abort = true;
            return P_FULL;
        }
        /* fall through */
    default:
        /* Refused at once (message too large, unknown topic, ...): for good. */
        t->nmsgs++;
        wt__kafka_refuse(t, value.p, value.len, err);
        return P_OK;
    }
}

/* Produce what is left of t. false: stopped (queue full, fatal); t->off is where. */
static bool produce_batch(struct kafka_sink *k, struct ktrack *t)
{
    struct wt_batch *b = t->b;
    if (k->eo && !t->txn) {
        t->txn = true;
        k->ntxn++;
    }
    const char *p = b->data + t->off, *end = b->data + b->len;
    struct wt_str line, key;

    if (k->unit == WT_KAFKA_MESSAGE_BATCH) {
        bool has_key = false;
        const char *q = b->data;
        if (wt__kafka_next_line(&q, end, &line))
            has_key = wt__kafka_event_key(line, k->key_rule, &key);
        if (has_key && key.len > WT_KAFKA_KEY_MAX)
            key.len = WT_KAFKA_KEY_MAX;
        if (produce_one(k, t, (struct wt_str){b->data, b->len}, has_key ? &key : NULL) != P_OK)
            return false;
        t->off = b->len;
    } else {
        while (wt__kafka_next_line(&p, end, &line)) {
            bool has_key = wt__kafka_event_key(line, k->key_rule, &key);
            if (produce_one(k, t, line, has_key ? &key : NULL) != P_OK) {
                t->off = (size_t)(line.p - b->data);
                return false;
            }
        }
        t->off = b->len;
    }
    wt__kafka_set_state(k, t, T_WAIT);
    return true;
}

/* Produce from the oldest batch with messages left, in order, until stopped. */
void wt__kafka_pump(struct kafka_sink *k)
{
    if (k->fatal || !k->rk || uv_now(k->s->loop) < k->retry_at)
        return;
    if (k->eo && (k->xp != X_OPEN || k->need_abort))
        return; /* only into an open transaction (begun by wt__kafka_eo_step) */
    k->blocked = false;
    for (struct ktrack *t = k->head; t; t = t->next) {
        if (t->state == T_PRODUCE && !produce_batch(k, t))
            return;
    }
}

/* ------------------------------------------------------------------------ */
/* Settling batches                                                         */
/* ------------------------------------------------------------------------ */

/* A settled batch (every message reported): ack, resend or dead-letter it. */
static bool settle_one(struct kafka_sink *k, struct ktrack *t)
{
    if (t->resend) {
        /* librdkafka gave up on a transient error: the whole batch again, later. */
        if (!k->warned_resend)
            wt_log_warn(TAG,
                        "%s: batch %" PRIu64 " not delivered (%s); sending it again "
                        "(message.timeout.ms is finite; 0 retries without giving up)",
                        k->name, t->b->id, rd_kafka_err2name(t->transient_err));
        k->warned_resend = true;
        k->s->failing = true;
        k->backoff_ms = k->backoff_ms ? k->backoff_ms * 2 : WT_KAFKA_RETRY_MIN_MS;
        if (k->backoff_ms > WT_KAFKA_RETRY_MAX_MS)
            k->backoff_ms = WT_KAFKA_RETRY_MAX_MS;
        k->retry_at = uv_now(k->s->loop) + k->backoff_ms;
        t->resend = false;
        t->off = 0;
        t->nmsgs = t->nfailed = 0;
        t->err = RD_KAFKA_RESP_ERR_NO_ERROR;
        wt__kafka_set_state(k, t, T_PRODUCE);
        return false;
    }
    if (t->nfailed > 0) {
        wt__kafka_set_state(k, t, T_DEAD_WAIT);
        wt__kafka_dl_start(k, t);
        return false;
    }
    struct wt_batch *b = t->b;
    wt__kafka_trk_remove(k, t);
    k->warned_resend = false;
    wt_sink_done(k->s, b, WT_SINK_ACKED);
    return true;
}

/*
 * Settle every batch whose messages all have a report. wt_sink_done() may
 * call send() (the pipeline dispatches at once), which changes the list:
 * scan again from the head after each.
 */
void wt__kafka_finish(struct kafka_sink *k)
{
    bool again = true;
    while (again && !k->closing) {
        again = false;
        for (struct ktrack *t = k->head; t; t = t->next) {
            if (t->state == T_DEAD_WAIT && uv_now(k->s->loop) >= t->dl_retry_at) {
                wt__kafka_dl_start(k, t);
                continue;
            }
            if (t->state != T_WAIT || t->outstanding > 0 || t->txn)
                continue; /* a batch of a transaction is acked by its commit */
            if (settle_one(k, t)) {
                again = true;
                break;
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Serving librdkafka's queue (poll and timer callbacks)                   */
/* ------------------------------------------------------------------------ */

/* Serve librdkafka's queue, then produce and settle what that allowed. */
static void service(struct kafka_sink *k)
{
    int rounds = 0;
    if (k->rk) {
        while (rounds < WT_KAFKA_POLL_ROUNDS && rd_kafka_poll(k->rk, 0) > 0)
            rounds++;
    }
    if (k->closing)
        return;
    if (k->fenced) {
        k->xp = X_FENCED; /* stopped: the producer stays as it is until close */
        return;
    }
    if (k->fatal && !k->loading && uv_now(k->s->loop) >= k->restart_at) {
        producer_restart(k);
        /* Once at once; again and again only with a growing pause. */
        k->restart_backoff_ms =
            k->restart_backoff_ms ? k->restart_backoff_ms * 2 : WT_KAFKA_RETRY_MIN_MS;
        if (k->restart_backoff_ms > WT_KAFKA_RETRY_MAX_MS)
            k->restart_backoff_ms = WT_KAFKA_RETRY_MAX_MS;
        k->restart_at = uv_now(k->s->loop) + k->restart_backoff_ms;
    }
    if (k->eo) {
        wt__kafka_eo_step(k);
        wt__kafka_finish(k);
        wt__kafka_eo_step(k);
        return;
    }
    wt__kafka_pump(k);
    wt__kafka_finish(k);
    wt__kafka_pump(k); /* a resend scheduled without backoff (none today) or room made by acks */
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
    struct kafka_sink *k = h->data;
    char buf[256];
    (void)events;
    if (status < 0) {
        wt_log_error(TAG, "%s: wake-up pipe: %s", k->name, uv_strerror(status));
        return;
    }
    while (read(k->pipefd[0], buf, sizeof(buf)) > 0)
        ;
    service(k);
}

void wt__kafka_tick_cb(uv_timer_t *h)
{
    service(h->data);
}

/* ------------------------------------------------------------------------ */
/* Sink interface                                                           */
/* ------------------------------------------------------------------------ */

static void handle_closed(uv_handle_t *h)
{
    struct kafka_sink *k = h->data;
    k->open_handles--;
    wt__kafka_free_if_closed(k);
}

void wt__kafka_free_if_closed(struct kafka_sink *k)
{
    if (k->open_handles > 0 || k->njobs > 0)
        return;
    if (k->pipefd[0] >= 0)
        close(k->pipefd[0]);
    if (k->pipefd[1] >= 0)
        close(k->pipefd[1]);
    for (unsigned i = 0; i < WT_KAFKA_MAX_INFLIGHT; i++)
        wt_free(k->trk[i].refused);
    wt_free(k);
}

static int kafka_open(struct wt_sink *s, char *err, size_t errlen)
{
    const struct wt_sink_cfg *sc = s->cfg;
    const struct wt_kafka_opts *o = sc->opts;
    struct kafka_sink *k = wt_calloc(1, sizeof(*k));
    char msg[512];
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    k->s = s;
    snprintf(k->name, sizeof(k->name), "%s", sc->name ? sc->name : "kafka");
    k->pipefd[0] = k->pipefd[1] = -1;
    k->key_rule = (enum wt_kafka_key)o->key;
    k->unit = (enum wt_kafka_message)o->message;
    snprintf(k->topic, sizeof(k->topic), "%s", o->topic);
    /* config.c fills in the default (<state_dir>/dead-letter). */
    snprintf(k->dead_letter, sizeof(k->dead_letter), "%s",
             o->dead_letter ? o->dead_letter : "dead-letter");
    s->wants_zstd = false; /* librdkafka compresses (compression.type) */
    k->eo = o->exactly_once;
    if (k->eo) {
        /* kafka_check derived them; a config built by hand may lack them. */
        snprintf(k->txn_id, sizeof(k->txn_id), "%s", o->txn_id ? o->txn_id : k->name);
        if (o->offsets_topic)
            snprintf(k->offsets_topic, sizeof(k->offsets_topic), "%s", o->offsets_topic);
        else
            snprintf(k->offsets_topic, sizeof(k->offsets_topic), "%s.wtexport-offsets", k->topic);
    }
    if (pipe2(k->pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
        int e = errno;
        snprintf(err, errlen, "sink %s: pipe: %s", sc->name, strerror(e));
        wt_free(k);
        return -e;
    }
    int rc = wt__kafka_producer_new(k, msg, sizeof(msg));
    if (rc != 0) {
        snprintf(err, errlen, "sink %s: %s", sc->name, msg);
        wt__kafka_producer_free(k);
        close(k->pipefd[0]);
        close(k->pipefd[1]);
        wt_free(k);
        return rc;
    }
    s->impl = k;
    uv_poll_init(s->loop, &k->poll, k->pipefd[0]);
    uv_timer_init(s->loop, &k->tick);
    k->poll.data = k->tick.data = k;
    k->open_handles = 2;
    uv_poll_start(&k->poll, UV_READABLE, poll_cb);
    uv_timer_start(&k->tick, wt__kafka_tick_cb, WT_KAFKA_TICK_MS, WT_KAFKA_TICK_MS);
    wt_log_info(TAG, "%s: producing to topic %s via %s (key %s, one message per %s)", k->name,
                k->topic, o->brokers,
                k->key_rule == WT_KAFKA_KEY_OBSERVABLE  ? "observable"
                : k->key_rule == WT_KAFKA_KEY_CLIENT_IP ? "client_ip"
                                                        : "none",
                k->unit == WT_KAFKA_MESSAGE_BATCH ? "batch" : "event");
    if (k->eo)
        wt_log_info(TAG, "%s: exactly once: transactional.id \"%s\", offsets topic %s", k->name,
                    k->txn_id, k->offsets_topic);
    return 0;
}

/* Durable (spool) mode: batch ids are spool sequence numbers. Replay
 * with state (state_tag): ids of the job, from its base (cmd_replay.c). */
static void kafka_resume(struct wt_sink *s, bool has, uint64_t aux)
{
    struct kafka_sink *k = s->impl;
    (void)has;
    (void)aux;
    k->durable = true;
    k->replay_job = s->state_tag != NULL;
}

static void kafka_send(struct wt_sink *s, struct wt_batch *b)
{
    struct kafka_sink *k = s->impl;
    struct ktrack *t = trk_get(k);
    struct wt_str first;
    const char *q = b->data;
    /* ready() was true: there is a free tracker. */
    if (!t) {
        wt_log_error(TAG, "%s: send() while not ready", k->name);
        abort();
    }
    t->b = b;
    t->host = (struct wt_str){"", 0};
    if (wt__kafka_next_line(&q, b->data + b->len, &first))
        wt__kafka_json_str(first, "\"host\":\"", &t->host);
    wt__kafka_set_state(k, t, T_PRODUCE);
    if (k->tail)
        k->tail->next = t;
    else
        k->head = t;
    k->tail = t;
    k->ntrk++;
    if (k->eo) {
        /* Produced in the open transaction by wt__kafka_eo_step, soon (never from
         * inside the pipeline's dispatch); or acked if already committed. */
        wt__kafka_eo_skip_committed(k);
        uv_timer_start(&k->tick, wt__kafka_tick_cb, 0, WT_KAFKA_TICK_MS);
        return;
    }
    wt__kafka_pump(k);
    /* Settled at once (every message refused at produce time): finish soon,
     * not from inside the pipeline's dispatch. */
    if (t->state == T_WAIT && t->outstanding == 0)
        uv_timer_start(&k->tick, wt__kafka_tick_cb, 0, WT_KAFKA_TICK_MS);
}

static bool kafka_ready(const struct wt_sink *s)
{
    const struct kafka_sink *k = s->impl;
    /* Also while init_transactions and the read-back run (X_INIT, X_LOAD):
     * batches wait in T_PRODUCE, and the committed ones are skipped when
     * the position is known. Refusing them then would stall replay, whose
     * pipeline offers batches again only on an ack. */
    if (k->eo)
        return k->xp != X_FENCED && !k->blocked && !k->fatal && k->ntrk < WT_KAFKA_MAX_INFLIGHT;
    return k->nproduce == 0 && k->ntrk < WT_KAFKA_MAX_INFLIGHT && !k->fatal;
}

static bool kafka_idle(const struct wt_sink *s)
{
    const struct kafka_sink *k = s->impl;
    return k->ntrk == 0 && k->njobs == 0;
}

static void kafka_close(struct wt_sink *s)
{
    struct kafka_sink *k = s->impl;
    if (!k)
        return;
    s->impl = NULL;
    /* Nothing in flight: let librdkafka finish its own requests, briefly.
     * Batches still in flight are abandoned (read again at the next start). */
    if (k->rk && k->ntrk == 0 && k->njobs == 0)
        rd_kafka_flush(k->rk, WT_KAFKA_CLOSE_FLUSH_MS);
    k->closing = true;
    if (!k->loading)
        wt__kafka_producer_free(k); /* else load_done does, once the job let go of it */
    uv_poll_stop(&k->poll);
    uv_timer_stop(&k->tick);
    uv_close((uv_handle_t *)&k->poll, handle_closed);
    uv_close((uv_handle_t *)&k->tick, handle_closed);
}

rd_kafka_t *wt__kafka_handle(const struct wt_sink *s)
{
    const struct kafka_sink *k = s->impl;
    return k ? k->rk : NULL;
}

const struct wt_sink_ops wt__kafka_ops = {
    .type = "kafka",
    .open = kafka_open,
    .send = kafka_send,
    .ready = kafka_ready,
    .idle = kafka_idle,
    .close = kafka_close,
    .resume = kafka_resume,
};
