/*
 * pipeline.h - lines in, acked positions out.
 *
 *   line -> parse -> observables -> retention/time filter -> NDJSON batch
 *        -> (zstd on the thread pool) -> every sink -> ack -> on_ack(input, offset)
 *
 * Runs on the loop thread. Sources (the tailer, replay) call
 * wt_pipeline_line() for each complete line and wt_pipeline_mark() for bytes
 * that yield no line (a skipped over-long line). Batches are acked to the
 * source in order: on_ack(input, offset) is called only when every batch
 * created before is acked by every sink, so a checkpoint at that offset
 * never skips an unacked line.
 *
 * Backpressure: when the bytes held by batches in flight reach
 * queue.max_bytes (or the spool is full), wt_pipeline_wait_if_full() turns
 * true and sources must stop reading; on_resume() is called once it is
 * below half of that (or the spool has room).
 *
 * Every position callback carries the line number of the line ending there,
 * so a source resumed from a checkpoint keeps numbering lines correctly.
 */
#ifndef WT_PIPELINE_H
#define WT_PIPELINE_H

#include "config.h"
#include "metrics.h"
#include "wt_queue.h"

#include <uv.h>

/** One input stream's parser state and identity in events. */
struct wt_source {
    uint32_t id;        /* stable while the source lives; used in marks */
    struct wt_str path; /* "src" in events (owned by the caller) */
    /* "syslog_host" of the next line's event (owned by the caller, set per
     * line by a syslog input; empty for files: omitted). */
    struct wt_str sender;
    struct wt_parser ps; /* per-stream parser state (W3C layout) */
    /* The file's identity (dev 0, ino 0: none), kept current by the source;
     * stored with each spool record next to the offset and line number. */
    struct wt_srcpos at;
    /* Crash recovery of the index (0: none; wt_pipeline_source_init clears
     * them): a line ending at or before ship_from is only indexed (it
     * reached the spool before the crash, not the index); one ending at or
     * before index_from is not indexed (the index held it already). */
    uint64_t ship_from, index_from;
};

struct wt_pipeline_hooks {
    void *ctx;
    /* Every line of input up to offset is acked by every sink (or was dropped). */
    void (*on_ack)(void *ctx, uint32_t input, uint64_t offset, uint64_t lineno);
    /* The queue went below the low watermark: sources may read again. */
    void (*on_resume)(void *ctx);
    /*
     * Optional, memory mode (replay): batch b is acked by every sink (or
     * held no event), in creation order, just before on_ack of its marks.
     * b->id, b->marks and b->sink_aux (a file sink's output size after
     * it) are valid during the call only.
     */
    void (*on_batch)(void *ctx, const struct wt_batch *b);
    /*
     * Optional, durable mode (run): every sink has finished the spool
     * records up to token (acked or dead-lettered). Tokens are those of
     * wt_pipeline_ckpt_token: one taken during on_ack is delivered once a
     * call here carries a token at or past it.
     */
    void (*on_delivered)(void *ctx, uint64_t token);
};

/** Counters kept by the pipeline (also exported as metrics). */
struct wt_pipeline_counts {
    /* lines = parsed + malformed + too_long + empty + skipped (comments, W3C headers) */
    uint64_t lines, parsed, malformed, too_long, empty, skipped, expired, out_of_range, oversize;
    uint64_t events, batches, acked_batches, failed_batches;
    uint64_t reindexed; /* lines only indexed at start (crash recovery of the index) */
    uint64_t obs[WT_OBS_NTYPES];
    uint64_t bytes_raw, bytes_z;
};

struct wt_pipeline;

/**
 * Create the pipeline and open its sinks. cfg must outlive the pipeline
 * (wt_pipeline_apply swaps it). durable: batches go through the disk spool
 * (spooler.h) and on_ack fires once a batch is in the spool (run); else
 * they go to the sinks from memory and on_ack fires when every sink acked
 * (replay). since/until: replay window in epoch ms (0 = none).
 * @returns NULL with a message in err on failure.
 */
struct wt_pipeline *wt_pipeline_new(uv_loop_t *loop, const struct wt_config *cfg,
                                    struct wt_metrics *m, const struct wt_pipeline_hooks *hooks,
                                    bool durable, int64_t since_ms, int64_t until_ms, char *err,
                                    size_t errlen);

/** Do batches go through the spool (on_ack once spooled, then on_delivered)? */
bool wt_pipeline_durable(const struct wt_pipeline *p);

/** True while thread-pool work of the pipeline or of a sink still runs (free waits for it). */
bool wt_pipeline_busy(const struct wt_pipeline *p);

/** Persist the spool's sink cursors now (shutdown). 0 or negative. */
int wt_pipeline_sync(struct wt_pipeline *p);

/** Start a source: parser for its format (and configured W3C fields). */
void wt_pipeline_source_init(struct wt_pipeline *p, struct wt_source *src, uint32_t id,
                             struct wt_str path, const struct wt_input_cfg *icfg);

/** A complete line (no newline) of src ending at end_offset (after its newline). */
void wt_pipeline_line(struct wt_pipeline *p, struct wt_source *src, const char *line, size_t len,
                      uint64_t lineno, uint64_t end_offset);

/**
 * An event already encoded (one JSON object of docs/events.md, no newline:
 * a Kafka input of format "event") of src ending at end_offset, with its
 * time ts_ms: into the open batch as it is, after the retention test.
 */
void wt_pipeline_event(struct wt_pipeline *p, struct wt_source *src, const char *json, size_t len,
                       int64_t ts_ms, uint64_t lineno, uint64_t end_offset);

/** Bytes of src up to offset yield no line (skipped), but their position must be acked. */
void wt_pipeline_mark(struct wt_pipeline *p, struct wt_source *src, uint64_t offset,
                      uint64_t lineno);

/** A line longer than the limit was skipped (counted; logged once). */
void wt_pipeline_too_long(struct wt_pipeline *p, struct wt_source *src, uint64_t lineno);

/**
 * Must sources stop reading now (the queue at its byte cap, or the spool
 * full)? When the spool is the reason, the caller is registered as waiting:
 * on_resume() follows once the spool has room again. Not a pure query.
 */
bool wt_pipeline_wait_if_full(struct wt_pipeline *p);

/**
 * Memory mode: the id the next batch gets (replay numbers the batches of a
 * job on from where an interrupted run stopped). Call before the first line.
 */
void wt_pipeline_set_next_id(struct wt_pipeline *p, uint64_t id);

struct wt_sink;
/** Sink i (0 .. the config's nsinks - 1), for a source that resumes them (replay). */
struct wt_sink *wt_pipeline_sink(struct wt_pipeline *p, unsigned i);

/** Close the open batch now (end of input, shutdown). */
void wt_pipeline_flush(struct wt_pipeline *p);

/**
 * The newest input positions found in the spool at open (see
 * wt_spool_srcpos): a source resumes each file from the newest of these and
 * its checkpoint. 0 without a spool.
 */
size_t wt_pipeline_srcpos(const struct wt_pipeline *p, struct wt_srcpos *out, size_t cap);

/**
 * The positions up to which the index (wt_pipeline_set_index) holds each
 * input file's records, for a source to set ship_from / index_from.
 * out NULL: only count. @returns how many (0 without an index).
 */
size_t wt_pipeline_index_positions(const struct wt_pipeline *p, struct wt_srcpos *out, size_t cap);

/** Does the pipeline feed an index (wt_pipeline_set_index)? */
bool wt_pipeline_indexing(const struct wt_pipeline *p);

/**
 * A token for "every position acked to the sources so far": take it when
 * encoding a checkpoint, and hand it to wt_pipeline_checkpointed once that
 * checkpoint is durable; the spool then may delete the records it covers.
 */
uint64_t wt_pipeline_ckpt_token(const struct wt_pipeline *p);
void wt_pipeline_checkpointed(struct wt_pipeline *p, uint64_t token);

/** True when no batch is open or in flight. */
bool wt_pipeline_idle(const struct wt_pipeline *p);

/** Bytes held by batches in flight (queue bytes). */
size_t wt_pipeline_queue_bytes(const struct wt_pipeline *p);

struct wt_index;
/**
 * Feed every record that passes the retention and replay window to the
 * observable index (index.h), right after its observables are extracted
 * and before batching: the index never waits for a sink. NULL: none.
 */
void wt_pipeline_set_index(struct wt_pipeline *p, struct wt_index *idx);

/** Apply a reloaded config (retention, privacy, batch sizes); sinks stay. */
void wt_pipeline_apply(struct wt_pipeline *p, const struct wt_config *cfg);

/** Any sink failing (for /healthz and status). */
bool wt_pipeline_failing(const struct wt_pipeline *p);

const struct wt_pipeline_counts *wt_pipeline_counts(const struct wt_pipeline *p);

/**
 * Close sinks and free everything. Batches still in flight are abandoned
 * (their lines were never acked, so they are read again on restart).
 * Thread-pool work still running (compression, spool) is waited for first
 * (the loop runs until it is done: stop the sources before). Then run the
 * loop until the handles are closed.
 */
void wt_pipeline_free(struct wt_pipeline *p);

#endif /* WT_PIPELINE_H */
