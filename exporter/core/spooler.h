/*
 * spooler.h - the disk spool between the batcher and the sinks, on the loop.
 *
 *   compressed batch -> wt_spooler_put -> (thread pool) append + fsync
 *                    -> on_spooled(batch): its lines may be checkpointed
 *   spool -> one reader per sink (its own durable cursor) -> sink send()
 *         -> wt_spooler_sink_done -> cursor advances in order
 *
 * Batches the sinks see come from the spool: b->id is the record's spool
 * sequence number, stable across restarts (sinks derive idempotency keys
 * from it). When the spool is full, wt_spooler_full() is true and the
 * pipeline pauses reading; puts wait until the sinks free space or old
 * segments expire.
 */
#ifndef WT_SPOOLER_H
#define WT_SPOOLER_H

#include "config.h"
#include "metrics.h"
#include "sink.h"

#include <uv.h>

/* Batches one sink may have in flight from the spool. */
#define WT_SPOOLER_INFLIGHT 16
/* Batches one sink may hold without their buffers (wt_sink_hold) at most. */
#define WT_SPOOLER_HELD_MAX 100000
/* Batches appended per fsync at most. */
#define WT_SPOOLER_GROUP 32
/* How often old segments are expired (cursors: every checkpoint_interval). */
#define WT_SPOOLER_EXPIRE_MS 10000
/* After a failed spool write, retry after this, doubling up to the max. */
#define WT_SPOOLER_RETRY_MIN_MS 100
#define WT_SPOOLER_RETRY_MAX_MS 5000

struct wt_spooler;

/* A put batch is durable (or, on a fatal spool error, never will be: ok false). */
typedef void (*wt_spooled_fn)(void *ctx, struct wt_batch *b);

/**
 * Open the spool (spool.dir, default <state_dir>/spool) for sinks[0..n),
 * recovering it (a torn tail is cut, counted and logged). The sinks must be
 * open; their done callbacks must route to wt_spooler_sink_done.
 * @returns NULL with a message in err.
 */
struct wt_spooler *wt_spooler_new(uv_loop_t *loop, const struct wt_config *cfg,
                                  struct wt_metrics *m, struct wt_sink *sinks, unsigned n,
                                  wt_spooled_fn on_spooled, void *ctx, char *err, size_t errlen);

/* Every sink has finished (acked or dead-lettered) every record up to seq. */
typedef void (*wt_delivered_fn)(void *ctx, uint64_t seq);

/** Call fn as records get finished by every sink, in order (records read this run). */
void wt_spooler_on_delivered(struct wt_spooler *sp, wt_delivered_fn fn, void *ctx);

/**
 * Queue a compressed batch (b->z) for the spool; on_spooled follows, in put
 * order. The spooler links waiting batches through b->qnext only.
 */
void wt_spooler_put(struct wt_spooler *sp, struct wt_batch *b);

/** The spool is full (or failing): the pipeline must not read. */
bool wt_spooler_full(const struct wt_spooler *sp);

/** A sink finished a batch the spooler sent it. */
void wt_spooler_sink_done(struct wt_spooler *sp, unsigned sink, struct wt_batch *b);

/** A sink holds a batch it was sent (wt_sink_hold): free its buffers, read on. */
void wt_spooler_sink_hold(struct wt_spooler *sp, unsigned sink, struct wt_batch *b);

/** Nothing waiting to be spooled and every sink caught up with nothing in flight. */
bool wt_spooler_idle(const struct wt_spooler *sp);

/** Spool failing (cannot write) -- for /healthz. */
bool wt_spooler_failing(const struct wt_spooler *sp);

/** Newest input positions in the spool at open (wt_spool_srcpos). */
size_t wt_spooler_srcpos(const struct wt_spooler *sp, struct wt_srcpos *out, size_t cap);

/** The sequence number the next record gets. */
uint64_t wt_spooler_next_seq(const struct wt_spooler *sp);

/**
 * The input checkpoint now durably covers every record up to seq: the
 * spool may delete them once every sink's persisted cursor passed them.
 */
void wt_spooler_checkpointed(struct wt_spooler *sp, uint64_t seq);

/** Reload: retention for expiry. */
void wt_spooler_apply(struct wt_spooler *sp, const struct wt_config *cfg);

/** Persist cursors now, blocking (shutdown). 0 or negative. */
int wt_spooler_sync(struct wt_spooler *sp);

/**
 * Close: no pool job may be running (see wt_spooler_idle or accept losing
 * nothing: unacked records stay in the spool). Frees after the handles close.
 */
void wt_spooler_free(struct wt_spooler *sp);

/** True while a thread-pool job of the spooler runs (free must wait). */
bool wt_spooler_busy(const struct wt_spooler *sp);

#endif /* WT_SPOOLER_H */
