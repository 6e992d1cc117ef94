/*
 * kafka_sink_int.h - the state of an open Kafka sink, shared by its files:
 * the producer and the sink operations (sink_kafka.c), the transactional
 * producer (kafka_txn.c) and the dead letters (kafka_dead_letter.c).
 *
 * Internal to sinks/kafka/: the tests reach the sink through
 * sink_kafka_int.h, which does not show this state.
 */
#ifndef WT_KAFKA_SINK_INT_H
#define WT_KAFKA_SINK_INT_H

#include "kafka_conf.h"
#include "sink.h"
#include "sink_kafka_int.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Safety-net poll period (see the top of sink_kafka.c). */
#define WT_KAFKA_TICK_MS 100
/* Backoff before a batch is produced again after a transient failure. */
#define WT_KAFKA_RETRY_MIN_MS 1000
#define WT_KAFKA_RETRY_MAX_MS 30000
static_assert(WT_KAFKA_RETRY_MIN_MS <= WT_KAFKA_RETRY_MAX_MS, "retry backoff");

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
    bool durable;    /* resume() was called: batch ids are spool sequence numbers */
    bool replay_job; /* ... or, replay with state, ids of a job (WT_KAFKA_JOB_SHIFT) */
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
    /* Transaction tags (header WT_KAFKA_HDR_TXN, and the offsets record) */
    uint64_t txn_instance;              /* random, new with each producer */
    uint64_t txn_no;                    /* transactions begun by this producer */
    uint64_t txn_prev;                  /* the last of them committed (0: none) */
    char txn_tag[WT_KAFKA_TXN_TAG_MAX]; /* "<instance>-<txn_no>" of the open one */
    bool loading;                       /* load job running */
    bool txn_inited;                    /* init_transactions done on this producer */
    bool id_final;                      /* txn_id settled (":replay" appended without a spool) */
};

/* ------------------------------------------------------------------------ */
/* sink_kafka.c                                                             */
/* ------------------------------------------------------------------------ */

/** Unlink t from the in-flight list and free its tracker. */
void wt__kafka_trk_remove(struct kafka_sink *k, struct ktrack *t);
/** Move t to state st, keeping k->nproduce the count of T_PRODUCE trackers. */
void wt__kafka_set_state(struct kafka_sink *k, struct ktrack *t, enum tstate st);
/** A message of t refused for good: remember its bytes for the dead letter. */
void wt__kafka_refuse(struct ktrack *t, const void *value, size_t len, rd_kafka_resp_err_t err);
/** librdkafka's log callback (log.queue: served on the loop thread). */
void wt__kafka_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf);
/** Create k->rk, its topic handles and the main queue's wake-up on the pipe. */
int wt__kafka_producer_new(struct kafka_sink *k, char *err, size_t errlen);
/** Destroy the producer without serving its queue (no delivery reports). */
void wt__kafka_producer_free(struct kafka_sink *k);
/** Produce from the oldest batch with messages left, in order, until stopped. */
void wt__kafka_pump(struct kafka_sink *k);
/** Settle every batch whose messages all have a report (may call wt_sink_done). */
void wt__kafka_finish(struct kafka_sink *k);
/** The timer's callback: serve the queue, produce, settle. */
void wt__kafka_tick_cb(uv_timer_t *h);
/** Free k once its handles are closed and no job runs (after close). */
void wt__kafka_free_if_closed(struct kafka_sink *k);

/* ------------------------------------------------------------------------ */
/* kafka_txn.c (exactly_once)                                               */
/* ------------------------------------------------------------------------ */

/** Ack, without producing them, the batches at or before the committed seq. */
void wt__kafka_eo_skip_committed(struct kafka_sink *k);
/** One step of the transactional producer's state machine (loop thread). */
void wt__kafka_eo_step(struct kafka_sink *k);

/* ------------------------------------------------------------------------ */
/* kafka_dead_letter.c                                                      */
/* ------------------------------------------------------------------------ */

/** Write t's refused events to the dead-letter directory (thread pool);
 *  t goes T_DEAD_JOB, then acked DEAD or back to T_DEAD_WAIT. */
void wt__kafka_dl_start(struct kafka_sink *k, struct ktrack *t);

#endif /* WT_KAFKA_SINK_INT_H */
