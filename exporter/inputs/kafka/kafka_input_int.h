/*
 * kafka_input_int.h - what the Kafka input's files share: its options and
 * limits, the offset tracker (which Kafka offsets may be committed, from
 * the pipeline's acks) and the check of an "event" message, both pure (no
 * broker, no loop: the unit tests call them), and its operations. Not for
 * use outside exporter/inputs/kafka/.
 */
#ifndef WT_KAFKA_INPUT_INT_H
#define WT_KAFKA_INPUT_INT_H

#include "input_type.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits: each has a key (kafka_input_config.c). */
#define WT_KIN_MAX_TOPICS         16 /* names or patterns in `topic` */
#define WT_KIN_MAX_PROPERTIES     64
#define WT_KIN_INFLIGHT_DEFAULT   100000
#define WT_KIN_INFLIGHT_MIN       16
#define WT_KIN_INFLIGHT_LIMIT     (16 * 1024 * 1024)
#define WT_KIN_PARTITIONS_DEFAULT 1024
#define WT_KIN_PARTITIONS_LIMIT   65536
#define WT_KIN_COMMIT_DEFAULT_MS  1000
#define WT_KIN_COMMIT_MIN_MS      10
#define WT_KIN_COMMIT_MAX_MS      (10 * 60 * 1000)
#define WT_KIN_UNREACH_DEFAULT_MS (60 * 1000)
#define WT_KIN_UNREACH_MIN_MS     1000
#define WT_KIN_UNREACH_MAX_MS     (24LL * 3600 * 1000)
/* Messages taken from librdkafka per loop callback (then the loop turns). */
#define WT_KIN_PER_TURN 1024
/* Safety-net poll period, as the Kafka sink's. */
#define WT_KIN_TICK_MS 100
/* At stop: longest wait for the revocation after unsubscribing (kin_free). */
#define WT_KIN_LEAVE_MS 5000
/* librdkafka statistics (lag, broker state): every unreachable_timeout / 4
 * within these bounds (statistics.interval.ms in properties overrides). */
#define WT_KIN_STATS_MIN_MS 1000
#define WT_KIN_STATS_MS     5000

/** A Kafka input's own keys (wt_input_cfg.opts of type "kafka"). */
struct wt_kin_opts {
    char *brokers;
    char *topic; /* one name or ^pattern, or several separated by commas */
    char *group;
    size_t nproperties;
    struct wt_cfg_pair properties[WT_KIN_MAX_PROPERTIES]; /* passed to librdkafka */
    size_t max_in_flight;
    int max_partitions;
    int64_t commit_interval_ms;
    int64_t unreachable_ms;
};

/**
 * Split opts' topic list into names[0..cap). @returns how many (0: an
 * empty or bad list); names point into buf (bufcap bytes).
 */
size_t wt__kin_topics(const char *list, char *buf, size_t bufcap, const char **names, size_t cap);

/* ------------------------------------------------------------------------ */
/* Offset tracker (kafka_input_track.c)                                     */
/* ------------------------------------------------------------------------ */

/** One partition the input has seen (a slot; never freed while the input lives). */
struct wt_kin_part {
    uint32_t topic; /* index into the input's table of topic names seen */
    int32_t partition;
    uint32_t gen; /* bumped at each assign and revoke */
    bool assigned;
    int64_t fed;       /* next offset to feed (-1: none fed in this assignment) */
    int64_t acked;     /* highest offset whose every line is acked (-1: none) */
    int64_t committed; /* offset last committed (the next to read; -1: none) */
    struct wt_metric *m_lag;
};

/** A message fed to the pipeline, not yet acked. */
struct wt_kin_fed {
    uint64_t seq; /* the position the pipeline acks (end_offset of its lines) */
    uint32_t slot, gen;
    int64_t offset;
};

/** Fed messages up to seq are in the spool record token (or before). */
struct wt_kin_spooled {
    uint64_t token, seq;
};

struct wt_kin_track {
    struct wt_kin_fed *ring; /* in feeding order */
    size_t cap, head, n;
    struct wt_kin_spooled *pend; /* spooled, not yet delivered by every sink: cap at most */
    size_t phead, pn;
    uint64_t delivered; /* every sink finished the spool up to this token */
    struct wt_kin_part *parts;
    size_t nparts, maxparts;
    uint64_t seq; /* the last seq handed out */
};

/** @returns 0 or -ENOMEM. ring_cap messages in flight, max_parts slots. */
int wt__kin_track_init(struct wt_kin_track *t, size_t ring_cap, size_t max_parts);
void wt__kin_track_free(struct wt_kin_track *t);
/** The slot of (topic, partition), made if new. @returns -1 when max_parts are in use. */
long wt__kin_slot(struct wt_kin_track *t, uint32_t topic, int32_t partition);
/** The partition is assigned to this consumer: a new generation, nothing acked yet. */
void wt__kin_assign(struct wt_kin_track *t, size_t slot);
/** Revoked: what is in flight of it will be ignored when acked. */
void wt__kin_revoke(struct wt_kin_track *t, size_t slot);
/** No room for another message in flight: stop feeding. */
static inline bool wt__kin_full(const struct wt_kin_track *t)
{
    return t->n == t->cap;
}
/** Message offset of slot is about to be fed: @returns its seq (never 0). Not when full. */
uint64_t wt__kin_feed(struct wt_kin_track *t, size_t slot, int64_t offset);
/**
 * Every message fed up to seq is in the spool, in record token or before
 * (on_ack, in feeding order): acked (wt__kin_acked) once every sink has
 * finished token (wt__kin_delivered), at once if it has already.
 */
void wt__kin_spooled(struct wt_kin_track *t, uint64_t seq, uint64_t token);
/** Every sink finished the spool up to token. @returns messages acked by it. */
size_t wt__kin_delivered(struct wt_kin_track *t, uint64_t token);
/**
 * Every message fed up to seq is acked (in feeding order): each one's
 * partition, if still assigned in the same generation, may commit past it.
 * @returns how many messages left the ring.
 */
size_t wt__kin_acked(struct wt_kin_track *t, uint64_t seq);
/** The offset to commit for slot (the next to read), or -1: nothing new. */
int64_t wt__kin_commit_offset(const struct wt_kin_track *t, size_t slot);

/* ------------------------------------------------------------------------ */
/* "event" messages (kafka_input_track.c)                                   */
/* ------------------------------------------------------------------------ */

/**
 * Is line (no newline; trailing CR and blanks ignored by the caller) one
 * event object of docs/events.md as wtexport writes it: "{...}" with a
 * "ts" of RFC 3339 UTC time? Its time in *ts_ms. @returns 0 or WT_EPARSE.
 */
int wt__kin_event_check(const char *line, size_t len, int64_t *ts_ms);

/* ------------------------------------------------------------------------ */
/* librdkafka statistics (kafka_input_track.c)                              */
/* ------------------------------------------------------------------------ */

struct cJSON;
/**
 * Does the parsed statistics object (statistics.interval.ms) show a broker
 * connection in state "UP" (a bootstrap, learned or the coordinator's
 * logical broker), in statistics taken after after_us (CLOCK_MONOTONIC
 * microseconds, as their "ts"; 0: any)? Statistics are taken on
 * librdkafka's thread and served later: ones taken before the outage was
 * seen may still say UP. Parsed, never matched as text: librdkafka's
 * layout of the text (its blanks) is no interface.
 */
bool wt__kin_stats_up(const struct cJSON *stats, uint64_t after_us);

extern const struct wt_input_ops wt__kin_ops;

#endif /* WT_KAFKA_INPUT_INT_H */
