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
 * batches at or before it are acked without being produced. The
 * transactional calls run on the loop thread with a short timeout and are
 * resumed from the timer when they time out (librdkafka makes them
 * resumable), so the loop never blocks for longer than WT_KAFKA_TXN_CALL_MS;
 * commit is called only once every message of the transaction has its
 * delivery report, so its internal flush has nothing to wait for.
 */
#include "log.h"
#include "wt_common.h"
#include "sink.h"
#include "dead_letter.h"
#include "sink_kafka_int.h"
#include "wt_exporter.h"
#include "wt_parsers.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TAG "sink.kafka"

/* Safety-net poll period (see the top of the file). */
#define WT_KAFKA_TICK_MS 100
/* rd_kafka_poll() calls per loop callback; each serves the whole queue. */
#define WT_KAFKA_POLL_ROUNDS 8
/* Backoff before a batch is produced again after a transient failure. */
#define WT_KAFKA_RETRY_MIN_MS 1000
#define WT_KAFKA_RETRY_MAX_MS 30000
/* Retry period of a dead-letter write that failed. */
#define WT_KAFKA_DL_RETRY_MS 5000
/* rd_kafka_flush() bound in close() when nothing is in flight. */
#define WT_KAFKA_CLOSE_FLUSH_MS 2000

/* exactly_once: longest block of a transactional call on the loop thread,
 * and the pause before a call that timed out is resumed. */
#define WT_KAFKA_TXN_CALL_MS  20
#define WT_KAFKA_TXN_RETRY_MS 5
/* exactly_once: how long reading the offsets topic back may take. */
#define WT_KAFKA_LOAD_TIMEOUT_MS 60000

static_assert(WT_KAFKA_RETRY_MIN_MS <= WT_KAFKA_RETRY_MAX_MS, "retry backoff");

/* ------------------------------------------------------------------------ */
/* Pure helpers (sink_kafka_int.h)                                          */
/* ------------------------------------------------------------------------ */

bool wt__kafka_next_line(const char **pp, const char *end, struct wt_str *line)
{
    const char *p = *pp;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (stop > p) {
            *line = (struct wt_str){p, (size_t)(stop - p)};
            *pp = nl ? nl + 1 : end;
            return true;
        }
        p = stop + 1; /* an empty line */
    }
    *pp = end;
    return false;
}

bool wt__kafka_json_str(struct wt_str line, const char *pat, struct wt_str *out)
{
    size_t plen = strlen(pat);
    const char *m = memmem(line.p, line.len, pat, plen);
    if (!m)
        return false;
    const char *v = m + plen, *end = line.p + line.len, *q = v;
    while (q < end && *q != '"')
        q += *q == '\\' ? 2 : 1;
    if (q >= end)
        return false;
    *out = (struct wt_str){v, (size_t)(q - v)};
    return true;
}

bool wt__kafka_event_key(struct wt_str line, enum wt_kafka_key rule, struct wt_str *key)
{
    static const char obs[] = "\"observables\":[{\"type\":\"";
    struct wt_str type;

    switch (rule) {
    case WT_KAFKA_KEY_OBSERVABLE:
        /* The type string, then its value: {"type":"ip","value":"..."}. */
        if (!wt__kafka_json_str(line, obs, &type))
            return false;
        line.len -= (size_t)(type.p + type.len - line.p);
        line.p = type.p + type.len;
        if (line.len < 11 || memcmp(line.p, "\",\"value\":\"", 11) != 0)
            return false;
        return wt__kafka_json_str(line, "\",\"value\":\"", key);
    case WT_KAFKA_KEY_CLIENT_IP:
        return wt__kafka_json_str(line, "\"client_ip\":\"", key);
    case WT_KAFKA_KEY_NONE:
        break;
    }
    return false;
}

bool wt__kafka_err_permanent(rd_kafka_resp_err_t err)
{
    switch (err) {
    /* librdkafka gave up or was told to: the bytes were never refused. */
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR__RETRY:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__FAIL:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__NODE_UPDATE:
    case RD_KAFKA_RESP_ERR__INCONSISTENT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    /* Retriable broker errors, seen when a user limited the retries. */
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        return false;
    default:
        /* MSG_SIZE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED, UNKNOWN_TOPIC_OR_PART,
         * __UNKNOWN_TOPIC, INVALID_RECORD, POLICY_VIOLATION, ... */
        return true;
    }
}

size_t wt__kafka_offsets_value(char *buf, size_t cap, uint64_t seq, uint64_t seg, uint64_t off)
{
    int n = snprintf(buf, cap,
                     "{\"v\":1,\"seq\":%" PRIu64 ",\"segment\":%" PRIu64 ",\"offset\":%" PRIu64 "}",
                     seq, seg, off);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

bool wt__kafka_offsets_parse(const char *p, size_t len, uint64_t *seq)
{
    static const char pre[] = "{\"v\":1,\"seq\":";
    const size_t plen = sizeof(pre) - 1;
    if (len <= plen || memcmp(p, pre, plen) != 0)
        return false;
    size_t i = plen, n = 0;
    while (i + n < len && p[i + n] >= '0' && p[i + n] <= '9')
        n++;
    return n > 0 && i + n < len && wt_str_to_u64((struct wt_str){p + i, n}, seq) == 0;
}

/* ------------------------------------------------------------------------ */
/* State                                                                    */
/* ------------------------------------------------------------------------ */

enum tstate {
    T_FREE = 0,
    T_PRODUCE,   /* messages left to produce, from off */
    T_WAIT,      /* all produced; waiting for delivery reports */
    T_DEAD_WAIT, /* to be written to the dead-letter directory (job not running) */
    T_DEAD_JOB,  /* dead-letter write running on the thread pool */
};

struct kafka_sink;

/* One batch in flight. */
struct ktrack {
    struct kafka_sink *k;
    struct wt_batch *b;
    enum tstate state;
    size_t off;           /* T_PRODUCE: next byte of b->data to produce */
    uint32_t outstanding; /* produced, no delivery report yet */
    uint32_t nmsgs;       /* produced or refused at produce time */
    uint32_t nfailed;     /* permanently failed: their values are refused[0, nfailed) */
    struct wt_str *refused;
    uint32_t refused_cap; /* grown on the failure path only; kept for reuse */
    bool resend;          /* a transient failure: produce the whole batch again */
    bool txn;             /* exactly_once: produced in the open transaction */
    rd_kafka_resp_err_t err, transient_err;
    struct wt_str host; /* header value: the first event's "host" */
    uint64_t dl_retry_at;
    struct ktrack *next; /* in-flight list, in send order */
};

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

/* exactly_once: where the transactional producer is. */
enum xphase {
    X_OFF = 0, /* not exactly_once */
    X_INIT,    /* init_transactions to call (again) */
    X_LOAD,    /* reading the committed position back (thread pool) */
    X_IDLE,    /* no transaction open */
    X_OPEN,    /* a transaction open, batches being produced */
    X_SEAL,    /* the offsets message produced, its report awaited */
    X_COMMIT,  /* commit_transaction to call (again) */
    X_ABORT,   /* abort_transaction to call (again) */
    X_ABORTED, /* aborted; waiting for the purged messages' reports */
    X_FENCED,  /* another producer took the transactional.id: stopped */
};

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

struct kafka_sink {
    struct wt_sink *s;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    rd_kafka_queue_t *mainq;
    int pipefd[2];
    uv_poll_t poll;
    uv_timer_t tick;
    unsigned open_handles; /* freed when 0 after close */
    bool closing;
    bool destroying; /* rd_kafka_destroy() running: ignore delivery reports */
    bool fatal;      /* the producer hit a fatal error: restart it */

    /* Batches in flight, in send order; trackers come from trk[]. */
    struct ktrack trk[WT_KAFKA_MAX_INFLIGHT];
    struct ktrack *head, *tail;
    unsigned ntrk, nproduce, njobs;
    uint64_t outstanding; /* messages without a report, all batches */

    uint64_t retry_at, backoff_ms;           /* produce again not before retry_at */
    uint64_t restart_at, restart_backoff_ms; /* a producer that keeps failing fatally */
    bool warned_resend;
    char name[WT_SINK_NAME_MAX + 1]; /* copies: the config may be swapped on reload */
    char topic[256];
    char dead_letter[4096];
    enum wt_kafka_key key_rule;
    enum wt_kafka_message unit;

    /* exactly_once */
    bool eo;
    bool durable; /* resume() was called: batch ids are spool sequence numbers */
    bool fenced;
    bool need_abort; /* a produce call found the transaction failed */
    bool blocked;    /* the last produce hit QUEUE_FULL */
    enum xphase xp;
    char txn_id[1024];
    char offsets_topic[256];
    rd_kafka_topic_t *okt;
    unsigned ntxn;            /* batches in the open transaction */
    unsigned off_outstanding; /* the offsets message: 1 until its report */
    rd_kafka_resp_err_t off_err;
    uint64_t committed_seq; /* last spool record committed in the offsets topic */
    bool have_committed;
    uint64_t skipped, skipped_batches; /* acked without producing (already committed) */
    uint64_t txn_seq;                  /* the offsets message of the open transaction holds */
    uint64_t ncommits, naborts;
    bool loading;    /* load job running */
    bool txn_inited; /* init_transactions done on this producer */
    bool id_final;   /* txn_id settled (":replay" appended without a spool) */
};

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
static void trk_remove(struct kafka_sink *k, struct ktrack *t)
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

static void set_state(struct kafka_sink *k, struct ktrack *t, enum tstate st)
{
    if (t->state == T_PRODUCE)
        k->nproduce--;
    if (st == T_PRODUCE)
        k->nproduce++;
    t->state = st;
}

/* A message of t refused for good: remember its bytes for the dead letter. */
static void refuse(struct ktrack *t, const void *value, size_t len, rd_kafka_resp_err_t err)
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
        refuse(t, m->payload, m->len, m->err); /* payload: our bytes (no copy) */
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
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
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

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                    size_t errlen)
{
    char msg[512];
    if (rd_kafka_conf_set(conf, name, value, msg, sizeof(msg)) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "%s", msg);
        return WT_ECONFIG;
    }
    return 0;
}

/* Create rk, its topic handle and the main queue's wake-up on the pipe. */
static int producer_new(struct kafka_sink *k, char *err, size_t errlen)
{
    const struct wt_kafka_opts *o = k->s->cfg->opts;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char msg[512];
    /* Defaults first; the user's properties override them. */
    static const char *const defaults[][2] = {
        {"enable.idempotence", "true"}, {"acks", "all"},           {"compression.type", "zstd"},
        {"message.timeout.ms", "0"},    {"client.id", "wtexport"},
    };
    int rc = conf_set(conf, "bootstrap.servers", o->brokers, err, errlen);
    for (size_t i = 0; rc == 0 && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        /* Transactions: a message times out with its transaction
         * (transaction.timeout.ms), which librdkafka needs; then the
         * transaction is aborted and its batches sent again. */
        if (k->eo && strcmp(defaults[i][0], "message.timeout.ms") == 0)
            continue;
        rc = conf_set(conf, defaults[i][0], defaults[i][1], err, errlen);
    }
    if (rc == 0 && k->eo)
        rc = conf_set(conf, "transactional.id", k->txn_id, err, errlen);
    for (size_t i = 0; rc == 0 && i < o->nproperties; i++)
        rc = conf_set(conf, o->properties[i].name, o->properties[i].value, err, errlen);
    /* Logs are served on the loop with everything else, whatever the user says. */
    if (rc == 0)
        rc = conf_set(conf, "log.queue", "true", err, errlen);
    if (rc != 0) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
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
    }
    return 0;
}

/*
 * Destroy the producer without serving its queue: messages still held are
 * dropped by librdkafka without reports (destroying guards the callbacks).
 */
static void producer_free(struct kafka_sink *k)
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
    producer_free(k);
    for (struct ktrack *t = k->head; t; t = t->next) {
        if (t->state != T_PRODUCE && t->state != T_WAIT)
            continue;
        if (t->state == T_WAIT && t->outstanding == 0 && !t->resend && !t->txn)
            continue; /* settled: acked or dead-lettered by finish() */
        t->outstanding = 0;
        t->nmsgs = t->nfailed = 0;
        t->err = RD_KAFKA_RESP_ERR_NO_ERROR;
        t->resend = false;
        t->txn = false;
        t->off = 0;
        set_state(k, t, T_PRODUCE);
    }
    k->outstanding = 0;
    k->fatal = false;
    /* exactly_once: the open transaction is aborted by the next
     * init_transactions; what it held is produced again unless the
     * offsets topic says it was committed after all. */
    k->ntxn = 0;
    k->off_outstanding = 0;
    k->need_abort = k->blocked = false;
    if (producer_new(k, err, sizeof(err)) != 0) {
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
    rd_kafka_resp_err_t err =
        rd_kafka_producev(k->rk, RD_KAFKA_V_RKT(k->rkt), RD_KAFKA_V_MSGFLAGS(0),
                          RD_KAFKA_V_VALUE((void *)value.p, value.len),
                          RD_KAFKA_V_KEY(key ? key->p : NULL, key ? key->len : 0),
                          RD_KAFKA_V_HEADER(WT_KAFKA_HDR_HOST, t->host.p, (ssize_t)t->host.len),
                          RD_KAFKA_V_HEADER(WT_KAFKA_HDR_VERSION, version, (ssize_t)1),
                          RD_KAFKA_V_OPAQUE(t), RD_KAFKA_V_END);
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
        refuse(t, value.p, value.len, err);
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
        refuse(t, value.p, value.len, err);
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
    set_state(k, t, T_WAIT);
    return true;
}

/* Produce from the oldest batch with messages left, in order, until stopped. */
static void pump(struct kafka_sink *k)
{
    if (k->fatal || !k->rk || uv_now(k->s->loop) < k->retry_at)
        return;
    if (k->eo && (k->xp != X_OPEN || k->need_abort))
        return; /* only into an open transaction (begun by eo_step) */
    k->blocked = false;
    for (struct ktrack *t = k->head; t; t = t->next) {
        if (t->state == T_PRODUCE && !produce_batch(k, t))
            return;
    }
}

/* ------------------------------------------------------------------------ */
/* Settling batches                                                         */
/* ------------------------------------------------------------------------ */

static void dl_start(struct kafka_sink *k, struct ktrack *t);

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
        set_state(k, t, T_PRODUCE);
        return false;
    }
    if (t->nfailed > 0) {
        set_state(k, t, T_DEAD_WAIT);
        dl_start(k, t);
        return false;
    }
    struct wt_batch *b = t->b;
    trk_remove(k, t);
    k->warned_resend = false;
    wt_sink_done(k->s, b, WT_SINK_ACKED);
    return true;
}

/*
 * Settle every batch whose messages all have a report. wt_sink_done() may
 * call send() (the pipeline dispatches at once), which changes the list:
 * scan again from the head after each.
 */
static void finish(struct kafka_sink *k)
{
    bool again = true;
    while (again && !k->closing) {
        again = false;
        for (struct ktrack *t = k->head; t; t = t->next) {
            if (t->state == T_DEAD_WAIT && uv_now(k->s->loop) >= t->dl_retry_at) {
                dl_start(k, t);
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
/* exactly_once: transactions and the offsets topic                         */
/* ------------------------------------------------------------------------ */

static void tick_cb(uv_timer_t *h);
static void free_if_closed(struct kafka_sink *k);
static int producer_new(struct kafka_sink *k, char *err, size_t errlen);
static void producer_free(struct kafka_sink *k);

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

static void eo_skip_committed(struct kafka_sink *k);

static void load_done(uv_work_t *req, int status)
{
    struct load_job *j = req->data;
    struct kafka_sink *k = j->k;
    int rc = status ? status : j->rc;
    k->njobs--;
    k->loading = false;
    k->txn_inited = j->inited;
    if (k->closing) {
        producer_free(k); /* kafka_close left it to us */
        wt_free(j);
        free_if_closed(k);
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
    eo_skip_committed(k);
    uv_timer_start(&k->tick, tick_cb, 0, WT_KAFKA_TICK_MS);
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
    int rc = conf_set(j->conf, "bootstrap.servers", o->brokers, err, sizeof(err));
    if (rc == 0)
        rc = conf_set(j->conf, "isolation.level", "read_committed", err, sizeof(err));
    if (rc == 0)
        rc = conf_set(j->conf, "enable.auto.commit", "false", err, sizeof(err));
    if (rc == 0)
        rc = conf_set(j->conf, "client.id", "wtexport-offsets", err, sizeof(err));
    /* assign() needs a group.id; nothing is committed to the group. */
    if (rc == 0)
        rc = conf_set(j->conf, "group.id", "wtexport-offsets-reader", err, sizeof(err));
    for (size_t i = 0; rc == 0 && i < o->nproperties; i++) {
        if (consumer_property(o->properties[i].name))
            rc = conf_set(j->conf, o->properties[i].name, o->properties[i].value, err, sizeof(err));
    }
    if (rc != 0) {
        /* The producer took the same values: cannot happen. */
        wt_log_error(TAG, "%s: offsets consumer: %s", k->name, err);
        abort();
    }
    rd_kafka_conf_set_log_cb(j->conf, on_log);
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
static void eo_skip_committed(struct kafka_sink *k)
{
    if (!k->durable || !k->have_committed)
        return;
    for (struct ktrack *t = k->head; t; t = t->next) {
        if (t->state != T_PRODUCE || t->txn || t->b->id > k->committed_seq)
            continue;
        t->off = t->b->len;
        set_state(k, t, T_WAIT); /* outstanding 0: finish() acks it */
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
        uv_timer_start(&k->tick, tick_cb, WT_KAFKA_TXN_RETRY_MS, WT_KAFKA_TICK_MS);
    } else if (k->xp == X_COMMIT && rd_kafka_error_txn_requires_abort(err)) {
        wt_log_warn(TAG, "%s: %s: %s; aborting the transaction and sending its batches again",
                    k->name, what, rd_kafka_error_string(err));
        k->xp = X_ABORT;
        uv_timer_start(&k->tick, tick_cb, 0, WT_KAFKA_TICK_MS);
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
            refuse(t, t->b->data, t->b->len, t->err);
            t->nmsgs = t->b->nevents;
            t->dl_retry_at = 0;
            set_state(k, t, T_DEAD_WAIT);
        } else {
            t->nmsgs = 0;
            t->err = RD_KAFKA_RESP_ERR_NO_ERROR;
            set_state(k, t, T_PRODUCE);
        }
    }
    k->ntxn = 0;
    k->need_abort = false;
    k->naborts++;
    eo_skip_committed(k);
}

/* Commit succeeded: ack the transaction's batches, in order. */
static void eo_committed(struct kafka_sink *k)
{
    k->committed_seq = k->txn_seq;
    k->have_committed = true;
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
            trk_remove(k, t);
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
    size_t n =
        wt__kafka_offsets_value(v, sizeof(v), last->b->id, last->b->spool_seg, last->b->spool_off);
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
static void eo_step(struct kafka_sink *k)
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
            /* No resume() after open: no spool (replay). Its own id, so it
             * never fences the daemon's producer. */
            k->id_final = true;
            if (!k->durable) {
                char e[512];
                size_t n = strlen(k->txn_id);
                snprintf(k->txn_id + n, sizeof(k->txn_id) - n, ":replay");
                producer_free(k);
                if (producer_new(k, e, sizeof(e)) != 0) {
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
        k->xp = X_OPEN;
        /* fall through */
    case X_OPEN:
        pump(k);
        if (k->need_abort) {
            k->xp = X_ABORT;
            eo_step(k);
            return;
        }
        if (!eo_txn_settled(k, &failed) || k->ntxn == 0)
            return;
        if (failed) {
            k->xp = X_ABORT;
            eo_step(k);
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
                eo_step(k);
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
        uv_timer_start(&k->tick, tick_cb, 0, WT_KAFKA_TICK_MS);
        return;
    case X_LOAD:
    case X_FENCED:
    case X_OFF:
        return;
    }
}

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
        eo_step(k);
        finish(k);
        eo_step(k);
        return;
    }
    pump(k);
    finish(k);
    pump(k); /* a resend scheduled without backoff (none today) or room made by acks */
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

static void tick_cb(uv_timer_t *h)
{
    service(h->data);
}

/* ------------------------------------------------------------------------ */
/* Dead letters (thread pool)                                               */
/* ------------------------------------------------------------------------ */

static void dl_work(uv_work_t *req)
{
    struct dl_job *j = req->data;
    j->rc =
        wt_dead_letter_write(j->dir, j->base, j->data, j->len, j->reason, j->path, sizeof(j->path));
}

static void free_if_closed(struct kafka_sink *k);

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
        free_if_closed(k);
        return;
    }
    if (rc != 0) {
        wt_log_error(TAG,
                     "%s: batch %" PRIu64 ": cannot write it to the dead-letter directory %s: %s "
                     "(retrying; it is not acked until written)",
                     k->name, t->b->id, j->dir, wt_strerror(rc));
        k->s->failing = true;
        t->dl_retry_at = uv_now(k->s->loop) + WT_KAFKA_DL_RETRY_MS;
        set_state(k, t, T_DEAD_WAIT);
    } else {
        struct wt_batch *b = t->b;
        wt_log_error(TAG,
                     "%s: batch %" PRIu64 " (%u events): %u of %u messages refused for good: "
                     "%s: %s; written to %s",
                     k->name, b->id, b->nevents, t->nfailed, t->nmsgs, rd_kafka_err2name(t->err),
                     rd_kafka_err2str(t->err), j->path);
        trk_remove(k, t);
        wt_sink_done(k->s, b, WT_SINK_DEAD);
    }
    cJSON_Delete(j->reason);
    wt_free(j->data);
    wt_free(j);
    if (!k->closing)
        finish(k);
}

static void dl_start(struct kafka_sink *k, struct ktrack *t)
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
    set_state(k, t, T_DEAD_JOB);
    k->njobs++;
    int rc = uv_queue_work(k->s->loop, &j->req, dl_work, dl_done);
    if (rc != 0) {
        wt_log_error(TAG, "uv_queue_work: %s", uv_strerror(rc));
        abort();
    }
}

/* ------------------------------------------------------------------------ */
/* Sink interface                                                           */
/* ------------------------------------------------------------------------ */

static void handle_closed(uv_handle_t *h)
{
    struct kafka_sink *k = h->data;
    k->open_handles--;
    free_if_closed(k);
}

static void free_if_closed(struct kafka_sink *k)
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
    int rc = producer_new(k, msg, sizeof(msg));
    if (rc != 0) {
        snprintf(err, errlen, "sink %s: %s", sc->name, msg);
        producer_free(k);
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
    uv_timer_start(&k->tick, tick_cb, WT_KAFKA_TICK_MS, WT_KAFKA_TICK_MS);
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

/* Durable (spool) mode: batch ids are spool sequence numbers. */
static void kafka_resume(struct wt_sink *s, bool has, uint64_t aux)
{
    struct kafka_sink *k = s->impl;
    (void)has;
    (void)aux;
    k->durable = true;
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
    set_state(k, t, T_PRODUCE);
    if (k->tail)
        k->tail->next = t;
    else
        k->head = t;
    k->tail = t;
    k->ntrk++;
    if (k->eo) {
        /* Produced in the open transaction by eo_step, soon (never from
         * inside the pipeline's dispatch); or acked if already committed. */
        eo_skip_committed(k);
        uv_timer_start(&k->tick, tick_cb, 0, WT_KAFKA_TICK_MS);
        return;
    }
    pump(k);
    /* Settled at once (every message refused at produce time): finish soon,
     * not from inside the pipeline's dispatch. */
    if (t->state == T_WAIT && t->outstanding == 0)
        uv_timer_start(&k->tick, tick_cb, 0, WT_KAFKA_TICK_MS);
}

static bool kafka_ready(const struct wt_sink *s)
{
    const struct kafka_sink *k = s->impl;
    if (k->eo)
        return k->xp >= X_IDLE && k->xp != X_FENCED && !k->blocked && !k->fatal &&
               k->ntrk < WT_KAFKA_MAX_INFLIGHT;
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
        producer_free(k); /* else load_done does, once the job let go of it */
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
