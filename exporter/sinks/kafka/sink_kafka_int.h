/*
 * sink_kafka_int.h - internals of the Kafka sink shared by its files
 * (kafka_config.c, kafka_helpers.c, sink_kafka.c, kafka_txn.c) and its
 * tests: its options, pure helpers over the bytes of NDJSON events, which
 * need no broker, and a handle accessor for fault injection. The state of
 * an open sink is in kafka_sink_int.h, which the tests do not see.
 *
 * Not a public header: only sinks/kafka/ and tests/exporter/ include it.
 */
#ifndef WT_SINK_KAFKA_INT_H
#define WT_SINK_KAFKA_INT_H

#include "config.h"
#include "config_keys.h"
#include "sink.h"

#include <assert.h>
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Message key, message unit, passed-through properties (docs/kafka.md). */
#define WT_KAFKA_MAX_PROPERTIES 64
enum wt_kafka_key { WT_KAFKA_KEY_OBSERVABLE = 0, WT_KAFKA_KEY_CLIENT_IP, WT_KAFKA_KEY_NONE };
enum wt_kafka_message { WT_KAFKA_MESSAGE_EVENT = 0, WT_KAFKA_MESSAGE_BATCH };

/** The keys of a `type: "kafka"` entry (kafka_config.c). */
struct wt_kafka_opts {
    char *brokers; /* bootstrap.servers: "host:port,host:port" */
    char *topic;   /* one topic for every event */
    int key;       /* enum wt_kafka_key: what the message key is */
    int message;   /* enum wt_kafka_message: one message per event or per batch */
    size_t nproperties;
    struct wt_cfg_pair properties[WT_KAFKA_MAX_PROPERTIES]; /* passed to librdkafka */
    char *dead_letter;   /* dead-letter directory; default "<state_dir>/dead-letter" */
    bool exactly_once;   /* transactions + the spool position in offsets_topic */
    char *offsets_topic; /* exactly_once: default "<topic>.wtexport-offsets" */
    /* exactly_once: properties["transactional.id"], else derived by kafka_check
     * (wtexport:<host>:<state_dir>:<sink name>); not a key of its own. */
    char *txn_id;
};

extern const struct wt_sink_ops wt__kafka_ops;
extern const struct wt_sink_type wt_sink_kafka_type;

/* Batches held by one Kafka sink at once (produced or being produced). */
#define WT_KAFKA_MAX_INFLIGHT 64
static_assert(WT_KAFKA_MAX_INFLIGHT >= 2, "at least two batches in flight");
/* Longest key of a message=batch message: longer ones are cut (still deterministic). */
#define WT_KAFKA_KEY_MAX 1024
/* Message header names. */
#define WT_KAFKA_HDR_HOST    "wtexport-host"
#define WT_KAFKA_HDR_VERSION "wtexport-format-version"
/* exactly_once: the transaction a message was produced in, "<instance>-<n>":
 * instance is random per producer (16 hex digits), n counts the
 * transactions it began. The offsets record of the transaction names it
 * too, so a reader can tell which transaction each message belongs to. */
#define WT_KAFKA_HDR_TXN     "wtexport-txn"
#define WT_KAFKA_TXN_TAG_MAX 40

/**
 * The next line of an NDJSON buffer. *pp is the cursor (start of the
 * unread bytes), end the end of the buffer. Empty lines are skipped; the
 * last line may lack its newline.
 * @returns true with the line (without newline) in *line and *pp after it;
 *          false at the end of the buffer.
 */
bool wt__kafka_next_line(const char **pp, const char *end, struct wt_str *line);

/**
 * The bytes of the JSON string that follows the first occurrence of pat
 * (which ends just after an opening quote, e.g. "\"client_ip\":\"") in
 * line, exactly as they are in the event (JSON escapes kept).
 *
 * Safe on our events: a '"' inside a JSON string is always escaped, so a
 * pattern starting with an unescaped quote only matches where the encoder
 * put a key. @returns false when pat is absent or the string is not closed.
 */
bool wt__kafka_json_str(struct wt_str line, const char *pat, struct wt_str *out);

/**
 * The message key of one event (one NDJSON line) under rule:
 * WT_KAFKA_KEY_OBSERVABLE: the value of the first element of
 * "observables" (bytes as escaped in the event); WT_KAFKA_KEY_CLIENT_IP:
 * the "client_ip" string; WT_KAFKA_KEY_NONE: no key.
 * @returns true with *key pointing into line; false for "no key" (rule
 *          none, or the event has no such field).
 */
bool wt__kafka_event_key(struct wt_str line, enum wt_kafka_key rule, struct wt_str *key);

/**
 * Does a failed delivery mean the cluster will never take these bytes as
 * they are (the batch goes to the dead-letter directory)? false for
 * errors where sending again may work (timeouts, purges, a fatal producer
 * state, retriable broker errors after librdkafka stopped retrying):
 * those batches are sent again.
 */
bool wt__kafka_err_permanent(rd_kafka_resp_err_t err);

/*
 * exactly_once: the value of the sink's record in the offsets topic (its
 * key is the transactional.id):
 * {"v":1,"seq":N,"segment":S,"offset":O,"txn":"I-T","prev":P},
 * where seq is the spool sequence number of the last record the
 * transaction holds and segment/offset the spool position after it; txn
 * is the transaction's tag (header WT_KAFKA_HDR_TXN of its messages) and
 * prev the number of the last transaction of the same producer instance
 * committed before it began (0: none), so a reader can tell an aborted
 * transaction from a committed one without the broker's markers.
 */
#define WT_KAFKA_OFFSETS_VALUE_MAX 200
/* Replay with state: a committed position of another job (other bits above
 * WT_SINK_REPLAY_JOB_SHIFT, sink.h) covers nothing. */
#define WT_KAFKA_JOB_SHIFT WT_SINK_REPLAY_JOB_SHIFT
/** Format an offsets-topic value into buf (cap >= WT_KAFKA_OFFSETS_VALUE_MAX); its length. */
size_t wt__kafka_offsets_value(char *buf, size_t cap, uint64_t seq, uint64_t seg, uint64_t off,
                               const char *txn, uint64_t prev);
/** Parse an offsets-topic value. @returns false when it is not one. */
bool wt__kafka_offsets_parse(const char *p, size_t len, uint64_t *seq);

/** The producer of an open Kafka sink (tests inject faults through it). */
rd_kafka_t *wt__kafka_handle(const struct wt_sink *s);

#endif /* WT_SINK_KAFKA_INT_H */
