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

#endif /* WT_QUEUE_H */
