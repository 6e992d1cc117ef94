/*
 * sink.h - what a sink type is (its config keys, checks, commands and
 * operations), the registry of built-in types, the interface every sink
 * implements, and the one way a sink reports the outcome of a batch.
 *
 * A sink type lives in its own folder under exporter/sinks/ and exports one
 * const struct wt_sink_type; adding a type is that folder plus one line in
 * WT_SINK_TYPES (sink.c). The config engine, the commands and metrics know
 * sinks only through this header.
 *
 * A sink receives batches in order through send(), may hold several in
 * flight (ready() says whether it takes another now), and must call
 * wt_sink_done() exactly once per batch, on the loop thread. The batch
 * (data, z) is read-only and valid until then.
 */
#ifndef WT_SINK_H
#define WT_SINK_H

#include "config.h"
#include "config_keys.h"
#include "metrics.h"
#include "wt_exporter.h"
#include "wt_queue.h"

#include <uv.h>

/*
 * Replay with state numbers a job's batches (b->id) from a base of its own:
 * a random 32-bit job number with its top bit set, shifted left this many
 * bits (2^55 and up, apart from a spool's sequence numbers). A sink that
 * stores a position may tell jobs apart by b->id >> WT_SINK_REPLAY_JOB_SHIFT.
 */
#define WT_SINK_REPLAY_JOB_SHIFT 24

struct wt_sink;

/** The outcome of a batch. */
enum wt_sink_status {
    WT_SINK_ACKED = 0, /* stored by the sink */
    WT_SINK_DEAD,      /* refused for good: written to the dead-letter dir, counted */
};

typedef void (*wt_sink_done_fn)(void *ctx, struct wt_sink *s, struct wt_batch *b,
                                enum wt_sink_status st);

struct wt_sink_ops {
    const char *type;
    /* Open resources. 0, or negative with a message in err. */
    int (*open)(struct wt_sink *s, char *err, size_t errlen);
    /* Take a batch; wt_sink_done() follows exactly once. */
    void (*send)(struct wt_sink *s, struct wt_batch *b);
    /* May send() be called now? (bounded in-flight work) */
    bool (*ready)(const struct wt_sink *s);
    /* Nothing in flight? */
    bool (*idle)(const struct wt_sink *s);
    /*
     * Does work on the thread pool still read a batch (a write, a dead
     * letter)? Such work cannot be cancelled: the pipeline waits for it to
     * end before it closes the sink and frees the batches. NULL: never.
     */
    bool (*pool_busy)(const struct wt_sink *s);
    /* Release resources. Requests in flight are abandoned (no done call
     * follows); no thread-pool work of the sink may be running (pool_busy). */
    void (*close)(struct wt_sink *s);
    /*
     * Optional: called once after open and before the first send with
     * what the sink stored with its spool cursor (b->sink_aux of the last
     * batch acked before the restart; has false: nothing stored). The file
     * sink truncates its output back to it. Durable (spool) mode, and
     * replay with state (state_tag set; aux from the replay state file).
     */
    void (*resume)(struct wt_sink *s, bool has, uint64_t aux);
};

struct wt_sink {
    const struct wt_sink_ops *ops;
    const struct wt_sink_cfg *cfg;
    const struct wt_config *config; /* the whole config (host, retention, queue, spool) */
    uv_loop_t *loop;
    wt_sink_done_fn done;
    void *done_ctx;
    bool wants_zstd; /* send() expects b->z */
    int zstd_level;  /* with wants_zstd: the level it wants (the pipeline uses the highest) */
    bool needs_raw;  /* send() reads b->data (true unless the sink clears it in open) */
    bool failing;    /* for /healthz */
    bool spooled;    /* batches come from the disk spool: b->id is stable across restarts */
    /* Metrics (labels: sink="name"). */
    struct wt_metric *m_batches, *m_events, *m_bytes_raw, *m_bytes_out, *m_acks, *m_errors;
    /*
     * Replay with state: the job's tag, set before resume() is called; a
     * sink keeps per-job state files under it (the SSE part plan). NULL in run.
     */
    const char *state_tag;
    /* Set by open when the sink has an aux value (see resume) for "nothing
     * sent yet": the file sink's output size at open. */
    bool has_aux0;
    uint64_t aux0;
    /* May the sink store its aux value in the batches it is sent (sink_aux)?
     * Set by the pipeline after open: from the spool each sink has its own
     * batches; from memory (replay) all share them, so only the one sink
     * with an aux value may (two writing one field on two threads race). */
    bool own_aux;
    void *impl; /* the type's own state */
    /* Registry for series a sink type adds itself (labels sink="name"); NULL: none. */
    struct wt_metrics *metrics;
};

/** Report a batch's outcome (counts metrics, calls the pipeline). */
void wt_sink_done(struct wt_sink *s, struct wt_batch *b, enum wt_sink_status st);

/**
 * The sink keeps b unacked (wt_sink_done follows later, maybe much later)
 * but no longer reads b->data or b->z: with the spool, the batch's buffers
 * are freed and it stops counting toward the sink's in-flight limit, so
 * the sink may hold many (at most WT_SPOOLER_HELD_MAX); its record stays
 * in the spool and its cursor does not pass it. Without the spool (replay)
 * nothing changes: the batch stays in memory until done. Loop thread; at
 * most once per batch, inside or after send().
 */
void wt_sink_hold(struct wt_sink *s, struct wt_batch *b);

/** A sink type: everything the rest of the exporter knows of it. */
struct wt_sink_type {
    const char *name; /* the "type" value in the config */
    /* Its keys, in a struct of keys->size bytes (wt_sink_cfg.opts). */
    const struct wt_cfg_obj *keys;
    /*
     * Rules across keys and defaults derived from the rest of the config,
     * for sinks[i] (the engine has decoded every key); NULL: none. Errors
     * go to wt_cfg_error with key paths "sinks[i].key".
     */
    void (*check)(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i);
    /* Free what opts holds beyond its keys' strings; NULL: nothing. */
    void (*free_opts)(void *opts);
    const struct wt_sink_ops *ops;
    /* Commands of this type (`wtexport register`, ...), NULL-terminated list or NULL. */
    const struct wt_command *const *commands;
    /*
     * `wtexport status`: print this sink's own state (registration, tokens)
     * for the sink sc of cfg, read from cfg_path; NULL: nothing to show.
     * @returns true when that state is fine.
     */
    bool (*status)(const struct wt_config *cfg, const struct wt_sink_cfg *sc, const char *cfg_path);
};

/** The built-in sink types, NULL-terminated (sink.c). */
extern const struct wt_sink_type *const wt_sink_types[];

/** The type called name, or NULL. */
const struct wt_sink_type *wt_sink_type_find(const char *name);

#endif /* WT_SINK_H */
