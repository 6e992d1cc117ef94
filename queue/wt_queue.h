/*
 * wt_queue.h - public contract of the queue module: the event encoder
 * (one JSON object per line, NDJSON), batches and their zstd framing.
 *
 * Depends on parsers only. No libuv, curl or rdkafka here; plain synchronous
 * calls the exporter runs where it sees fit.
 */
#ifndef WT_QUEUE_H
#define WT_QUEUE_H

#include "wt_parsers.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Bounded byte buffer                                                      */
/* ------------------------------------------------------------------------ */

/** A byte buffer over caller memory with a hard capacity. Never grows. */
struct wt_buf {
    char *p;
    size_t len;
    size_t cap;
};

static inline void wt_buf_init(struct wt_buf *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
}

/** Append n bytes. WT_EFULL (and nothing written) when they do not fit. */
int wt_buf_append(struct wt_buf *b, const void *data, size_t n);

/* ------------------------------------------------------------------------ */
/* Event encoder                                                            */
/* ------------------------------------------------------------------------ */

/** Version of the event object; shipped in sink headers. Bump on breaking change. */
#define WT_EVENT_VERSION 1

/**
 * Upper bound of one encoded event for a line of line_len bytes: every byte
 * of the line may appear in up to 3 fields (url, observables) escaped to 6.
 */
#define WT_EVENT_MAX(line_len) ((size_t)(line_len) * 18 + 4096)

struct wt_event_opts {
    bool export_user;     /* include "user" (off by default: privacy) */
    struct wt_str host;   /* exporter host name; empty: field omitted */
    struct wt_str src;    /* input path; empty: field omitted */
};

/**
 * Append one event as a JSON object and a newline to b (see docs/events.md).
 * Strings are escaped so the output is always valid UTF-8 JSON: invalid
 * UTF-8 becomes U+FFFD, control bytes become \u00XX.
 * @returns WT_OK, or WT_EFULL with b unchanged.
 */
int wt_event_encode(struct wt_buf *b, uint64_t lineno, const struct wt_record *rec,
                    const struct wt_obs_set *os, const struct wt_event_opts *opts);

/**
 * Append s as a JSON string (with quotes). WT_EFULL with b unchanged when it
 * does not fit.
 */
int wt_json_append_str(struct wt_buf *b, const char *s, size_t n);

/** Format epoch ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 bytes + NUL) into out[25]. */
void wt_iso8601_ms(int64_t ts_ms, char out[25]);

/* ------------------------------------------------------------------------ */
/* Batches                                                                  */
/* ------------------------------------------------------------------------ */

/** Input positions one batch can cover; a batch closes when it needs more. */
#define WT_BATCH_MAX_MARKS 64

/**
 * Where a batch ends in one input: after it is acked by every sink, the
 * input's checkpoint may advance to offset.
 */
struct wt_batch_mark {
    uint32_t input;   /* caller's input id */
    uint64_t offset;  /* byte offset after the last line the batch covers */
    uint64_t lineno;  /* number of that line */
};

/**
 * A batch: NDJSON events in one buffer of fixed capacity (max_bytes), the
 * input positions it covers, and once compressed, one zstd frame. Heap
 * object; the buffers are allocated once and reused through wt_batch_reset.
 */
struct wt_batch {
    uint64_t id;            /* caller's sequence number */
    char *data;             /* NDJSON, len bytes */
    size_t len, cap;
    char *z;                /* zstd frame, zlen bytes (NULL until compressed) */
    size_t zlen, zcap;
    uint32_t nevents;
    int64_t ts_min, ts_max; /* event time range, epoch ms (0 when empty) */
    int64_t opened_ms;      /* caller's clock when the first line went in */
    unsigned nmarks;
    struct wt_batch_mark marks[WT_BATCH_MAX_MARKS];
    /* Caller's bookkeeping (the exporter's pipeline). */
    unsigned pending;       /* sinks that have not acked yet */
    int state;
    struct wt_batch *next;
};

/** @returns a batch whose event buffer holds cap bytes, or NULL (ENOMEM). */
struct wt_batch *wt_batch_new(size_t cap);
/** Free a batch and its buffers. NULL is fine. */
void wt_batch_free(struct wt_batch *b);
/** Empty it for reuse (keeps the buffers). */
void wt_batch_reset(struct wt_batch *b, uint64_t id);

/** A wt_buf over the free space of the batch, for wt_event_encode. */
static inline struct wt_buf wt_batch_space(struct wt_batch *b)
{
    struct wt_buf w = {b->data + b->len, 0, b->cap - b->len};
    return w;
}

/** Account for one event of n bytes just encoded at data + len. */
void wt_batch_commit_event(struct wt_batch *b, size_t n, int64_t ts_ms);

/**
 * Record that input `input` is covered up to offset. Updates the input's
 * mark or adds one. WT_EFULL when WT_BATCH_MAX_MARKS inputs are in already.
 */
int wt_batch_mark(struct wt_batch *b, uint32_t input, uint64_t offset, uint64_t lineno);

/**
 * Compress data into one zstd frame in b->z (grown to ZSTD_compressBound on
 * first use). cctx: a ZSTD_CCtx * owned by the calling thread (one per
 * thread), level 1..19. @returns 0, -ENOMEM or WT_EFULL.
 */
int wt_batch_compress(struct wt_batch *b, void *cctx, int level);

/**
 * Decompress one zstd frame (src, n) into out (cap bytes) -- for tests and
 * tools. @returns the decompressed length or a negative error.
 */
long wt_zstd_decompress(const void *src, size_t n, void *out, size_t cap);

#endif /* WT_QUEUE_H */
