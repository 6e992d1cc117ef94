/*
 * sink.h - the interface every sink implements (file now; SSE and Kafka
 * later), and the one way a sink reports the outcome of a batch.
 *
 * A sink receives batches in order through send(), may hold several in
 * flight (ready() says whether it takes another now), and must call
 * wt_sink_done() exactly once per batch, on the loop thread. The batch
 * (data, z) is read-only and valid until then.
 */
#ifndef WT_SINK_H
#define WT_SINK_H

#include "config.h"
#include "metrics.h"
#include "wt_queue.h"

#include <uv.h>

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
    /* Release resources; nothing may be in flight. */
    void (*close)(struct wt_sink *s);
};

struct wt_sink {
    const struct wt_sink_ops *ops;
    const struct wt_sink_cfg *cfg;
    uv_loop_t *loop;
    wt_sink_done_fn done;
    void *done_ctx;
    bool wants_zstd; /* send() expects b->z */
    bool needs_raw;  /* send() reads b->data (true unless the sink clears it in open) */
    bool failing;    /* for /healthz */
    /* Metrics (labels: sink="name"). */
    struct wt_metric *m_batches, *m_events, *m_bytes_raw, *m_bytes_out, *m_acks, *m_errors;
    void *impl; /* the type's own state */
    /* Registry for series a sink type adds itself (labels sink="name"); NULL: none. */
    struct wt_metrics *metrics;
};

/** Report a batch's outcome (counts metrics, calls the pipeline). */
void wt_sink_done(struct wt_sink *s, struct wt_batch *b, enum wt_sink_status st);

extern const struct wt_sink_ops wt_sink_file_ops;
extern const struct wt_sink_ops wt_sink_kafka_ops;
extern const struct wt_sink_ops wt_sink_sse_ops;

/** The ops of a sink type, NULL if not built in. */
const struct wt_sink_ops *wt_sink_ops_for(enum wt_sink_type type);

#endif /* WT_SINK_H */
