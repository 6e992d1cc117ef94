/*
 * wt_queue.h - public contract of the queue module: the event encoder
 * (one JSON object per line, NDJSON), batches and their zstd framing.
 *
 * Depends on parsers and common only. No libuv, curl or rdkafka here; plain synchronous
 * calls the exporter runs where it sees fit.
 */
#ifndef WT_QUEUE_H
#define WT_QUEUE_H

#include "wt_parsers.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ------------------------------------------------------------------------ */
/* Event encoder                                                            */
/* ------------------------------------------------------------------------ */

/** Version of the event object; shipped in sink headers. Bump on breaking change. */
#define WT_EVENT_VERSION 1

/**
 * Upper bound of one encoded event for a line of line_len bytes: every byte
 * of the line may appear in up to 3 fields (url, observables) escaped to 6.
 */
#define WT_EVENT_MAX(line_len) ((size_t)(line_len)*18 + 4096)

struct wt_event_opts {
    bool export_user;          /* include "user" (off by default: privacy) */
    struct wt_str host;        /* exporter host name; empty: field omitted */
    struct wt_str src;         /* input path; empty: field omitted */
    struct wt_str syslog_host; /* the sending host of a syslog message; empty: omitted */
};

/**
 * Append one event as a JSON object and a newline to b (see docs/events.md).
 * Strings are escaped so the output is always valid UTF-8 JSON: invalid
 * UTF-8 becomes U+FFFD, control bytes become \u00XX.
 * @returns WT_OK, or WT_EFULL with b unchanged.
 */
int wt_event_encode(struct wt_buf *b, uint64_t lineno, const struct wt_record *rec,
                    const struct wt_obs_set *os, const struct wt_event_opts *opts);

/* ------------------------------------------------------------------------ */
/* Batches                                                                  */
/* ------------------------------------------------------------------------ */

/** Input positions one batch can cover; a batch closes when it needs more. */
#define WT_BATCH_MAX_MARKS 64

/**
 * A position in one generation of one input file, as the spool stores it
 * with each record (docs/spool.md): the file's identity, and the offset and
 * line number just after the last line the record holds. dev 0 and ino 0
 * mean "no identity" (a source that is not a file): never stored.
 */
struct wt_srcpos {
    uint64_t dev, ino;
    uint64_t fp;     /* fingerprint (FNV-1a 64) of the file's first fp_len bytes */
    uint32_t fp_len; /* 0..1024 */
    uint32_t gen;    /* truncation generation of (dev, ino), from 0 */
    uint64_t offset; /* after the last line */
    uint64_t lineno; /* number of that line */
    uint64_t size;   /* the file's size as last seen (for "never read" counts) */
};

/**
 * Where a batch ends in one input: after it is acked by every sink, the
 * input's checkpoint may advance to offset.
 */
struct wt_batch_mark {
    uint32_t input;      /* caller's input id */
    uint64_t offset;     /* byte offset after the last line the batch covers */
    uint64_t lineno;     /* number of that line */
    struct wt_srcpos at; /* identity (dev 0: none) and the same offset/lineno */
};

/**
 * A batch: NDJSON events in one buffer of fixed capacity (max_bytes), the
 * input positions it covers, and once compressed, one zstd frame. Heap
 * object; the buffers are allocated once and reused through wt_batch_reset.
 */
struct wt_batch {
    uint64_t id; /* caller's sequence number */
    char *data;  /* NDJSON, len bytes */
    size_t len, cap;
    char *z; /* zstd frame, zlen bytes (NULL until compressed) */
    size_t zlen, zcap;
    uint32_t nevents;
    int64_t ts_min, ts_max; /* event time range, epoch ms (0 when empty) */
    int64_t opened_ms;      /* caller's clock when the first line went in */
    unsigned nmarks;
    struct wt_batch_mark marks[WT_BATCH_MAX_MARKS];
    /* Caller's bookkeeping (the exporter's pipeline). */
    unsigned pending; /* sinks that have not acked yet */
    int state;
    uint64_t spool_seg, spool_off; /* spool position after this batch's record */
    uint64_t spool_seq;            /* sequence number of its spool record (0: none) */
    uint64_t sink_aux;             /* a sink's value stored with its cursor (file: size) */
    bool has_aux;
    struct wt_batch *next;  /* the pipeline's list */
    struct wt_batch *qnext; /* a second queue (the spooler's), independent of next */
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
 * wt_batch_mark with the input file's identity (at->offset and at->lineno
 * are the position), stored in the spool record. WT_EFULL as above.
 */
int wt_batch_mark_at(struct wt_batch *b, uint32_t input, const struct wt_srcpos *at);

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

/* ------------------------------------------------------------------------ */
/* The durable disk spool (docs/spool.md)                                   */
/* ------------------------------------------------------------------------ */

/** Default size at which the active segment is closed (spool.segment_bytes). */
#define WT_SPOOL_SEGMENT_BYTES_DEFAULT (16ULL * 1024 * 1024)
/** Smallest and largest settable segment size. */
#define WT_SPOOL_SEGMENT_BYTES_MIN (4ULL * 1024)
#define WT_SPOOL_SEGMENT_BYTES_MAX (1024ULL * 1024 * 1024)
/** Default cap of the whole spool on disk (spool.max_bytes). */
#define WT_SPOOL_MAX_BYTES_DEFAULT (1024ULL * 1024 * 1024)
/** Sinks that read one spool, each with its own cursor. */
#define WT_SPOOL_MAX_SINKS 8
/** Longest sink name; names are [A-Za-z0-9_.-], not starting with '.'. */
#define WT_SPOOL_SINK_NAME_MAX 64
/** Largest payload of one record; a longer length on disk is corruption. */
#define WT_SPOOL_RECORD_MAX (128U * 1024 * 1024)
/** Segment files one spool holds; a roll past it is WT_EFULL. */
#define WT_SPOOL_MAX_SEGMENTS 4096
/** Bytes of a segment file header, and of a record header (on-disk format 2). */
#define WT_SPOOL_SEGMENT_HEADER_BYTES 40
#define WT_SPOOL_RECORD_HEADER_BYTES  52
/** Bytes of one source position stored with a record, and most per record. */
#define WT_SPOOL_SRCPOS_BYTES 56
#define WT_SPOOL_MAX_SRCPOS   WT_BATCH_MAX_MARKS
/** Distinct file generations whose newest position an open remembers. */
#define WT_SPOOL_SRCPOS_TABLE 4096
/** Record flag: the payload is one zstd frame (else raw NDJSON). */
#define WT_SPOOL_F_ZSTD (1U << 0)

_Static_assert(WT_SPOOL_SEGMENT_BYTES_MIN <= WT_SPOOL_SEGMENT_BYTES_DEFAULT &&
                   WT_SPOOL_SEGMENT_BYTES_DEFAULT <= WT_SPOOL_SEGMENT_BYTES_MAX,
               "default segment size out of range");
_Static_assert(WT_SPOOL_SEGMENT_BYTES_DEFAULT <= WT_SPOOL_MAX_BYTES_DEFAULT,
               "a default spool must hold a default segment");
_Static_assert(WT_SPOOL_RECORD_MAX < UINT32_MAX - WT_SPOOL_RECORD_HEADER_BYTES,
               "record length is a u32 on disk");
_Static_assert(WT_SPOOL_MAX_SINKS <= 32, "bad_cursors is a 32-bit mask");

/** Spool handle (opaque). Thread-safe: every call may come from any thread. */
struct wt_spool;

/** Kinds of damage wt_spool_open finds (docs/spool.md "What damage costs"). */
enum wt_spool_damage_kind {
    WT_SPOOL_DAMAGE_RECORDS, /* corrupt bytes between good records: skipped */
    WT_SPOOL_DAMAGE_TAIL,    /* a torn or corrupt end of a segment: cut */
    WT_SPOOL_DAMAGE_HEADER,  /* a bad segment header, rewritten from its records */
    WT_SPOOL_DAMAGE_SEGMENT, /* a segment with no readable record: set aside (.bad) */
    WT_SPOOL_DAMAGE_MISSING, /* segment files missing between present ones */
};

/** One damage found at open, reported once through wt_spool_opts.on_damage. */
struct wt_spool_damage {
    enum wt_spool_damage_kind kind;
    uint64_t segment;   /* segment id (MISSING: the first missing id) */
    uint64_t offset;    /* where the damage starts in that file */
    uint64_t bytes;     /* bytes skipped or cut (MISSING: how many segment ids) */
    uint64_t records;   /* records lost */
    uint64_t events;    /* events lost, as far as the damaged headers tell */
    bool records_known; /* records is exact (from the sequence numbers) */
    bool events_known;  /* events is exact (every lost record's header was whole) */
};

/** Called from wt_spool_open, on the opening thread, once per damage. */
typedef void (*wt_spool_damage_fn)(void *ctx, const struct wt_spool_damage *d);

struct wt_spool_opts {
    const char *dir;               /* created 0700 if missing (parent must exist) */
    uint64_t max_bytes;            /* cap on all segment files; 0: default */
    uint64_t segment_bytes;        /* roll size; 0: default */
    unsigned nsinks;               /* 1..WT_SPOOL_MAX_SINKS */
    const char *const *sink_names; /* nsinks unique names; cursor file cursor-<name> */
    bool gc_durable;               /* delete a segment only once persisted cursors passed it */
    wt_spool_damage_fn on_damage;  /* each damage found at open (may be NULL) */
    void *damage_ctx;
};

/** What wt_spool_open found and repaired; the caller counts and logs it. */
struct wt_spool_recovery {
    uint64_t records, bytes;   /* records kept; bytes of all segment files */
    uint64_t cut_records;      /* torn or corrupt records cut (one per cut point) */
    uint64_t cut_bytes;        /* bytes removed: cut tails, empty torn segment files */
    unsigned segments;         /* segment files kept */
    unsigned bad_segments;     /* segments set aside as seg-<id>.wts.bad (bad header) */
    uint32_t bad_cursors;      /* bit i: sink i's cursor file was damaged (-> oldest) */
    unsigned cursors_clamped;  /* cursors off a record boundary or past the end, moved */
    unsigned damages;          /* damages reported through on_damage */
    uint64_t lost_records;     /* records lost to them (known counts only) */
    uint64_t lost_events;      /* events lost to them (as far as known) */
    unsigned repaired_headers; /* segment headers rewritten from their records */
    unsigned symlinks_removed; /* symlinks planted as segment files, deleted */
};

/** Per-record metadata, stored in the record header. */
struct wt_spool_meta {
    int64_t ts_min, ts_max; /* event time range, epoch ms */
    uint32_t nevents;
    uint32_t flags; /* WT_SPOOL_F_* */
    /* Append only: the input positions the record covers (stored with it). */
    const struct wt_srcpos *srcpos;
    unsigned nsrcpos; /* 0..WT_SPOOL_MAX_SRCPOS */
};

/**
 * A place in the spool: a segment id and a byte offset in its file. Only
 * positions the spool handed out (cursor, out->next) are meaningful; they
 * order as (segment, offset).
 */
struct wt_spool_pos {
    uint64_t segment;
    uint64_t offset;
};

/** One record read by wt_spool_next. */
struct wt_spool_rec {
    uint64_t seq; /* spool-wide sequence number, from 1, never reused */
    struct wt_spool_meta meta;
    size_t len;               /* payload bytes */
    struct wt_spool_pos pos;  /* where the record starts */
    struct wt_spool_pos next; /* where the next one starts: pass to wt_spool_ack */
};

/** What wt_spool_expire dropped. */
struct wt_spool_expired {
    uint64_t records, events, bytes;
    unsigned segments;
};

/**
 * @brief Open (or create) the spool in o->dir and recover it: every segment
 * seg-<16 hex id>.wts is checked record by record (CRC); the first bad or
 * torn record ends its segment (the file is truncated there); a segment with
 * a bad header is renamed seg-<id>.wts.bad. Cursors are loaded from
 * cursor-<sink name> (absent or damaged: the oldest record). The directory is
 * locked (flock) against a second process.
 * @param rec what was found and repaired (may be NULL).
 * @param err a reason for any failure (may be NULL).
 * @returns 0 with *out; WT_ECONFIG (bad options), -EBUSY (in use),
 *          WT_EFULL (more than WT_SPOOL_MAX_SEGMENTS segments), -ENOMEM,
 *          or -errno from the file system. *out is NULL on failure.
 */
int wt_spool_open(struct wt_spool **out, const struct wt_spool_opts *o,
                  struct wt_spool_recovery *rec, char *err, size_t errlen);

/**
 * @brief Persist dirty cursors (best effort), close every file, free sp.
 * Does not commit: records appended since the last commit may or may not
 * survive a crash. NULL is fine. Nothing else may use sp concurrently.
 */
void wt_spool_close(struct wt_spool *sp);

/**
 * @brief Append one record (payload copied to the active segment; rolls to a
 * new segment when segment_bytes would be exceeded; a record larger than
 * segment_bytes gets a segment of its own). Does not fsync: readers see it
 * only after wt_spool_commit.
 * @param seq_out its sequence number (may be NULL).
 * @returns 0; WT_EFULL when the spool (max_bytes or WT_SPOOL_MAX_SEGMENTS)
 *          has no room now (pause input, retry after acks or expiry);
 *          WT_ETOOLONG when len can never fit (> WT_SPOOL_RECORD_MAX or
 *          max_bytes); -errno (nothing appended), or the sticky error of an
 *          earlier failed fsync.
 */
int wt_spool_append(struct wt_spool *sp, const void *payload, size_t len,
                    const struct wt_spool_meta *m, uint64_t *seq_out);

/**
 * @brief Make every record appended before this call durable: fdatasync the
 * segments written since the last commit, and the directory if a segment was
 * created. Only then may the input checkpoint advance. Blocking.
 * @returns 0, or -errno. A failed fsync sticks: later appends and commits
 *          return it (the page cache can no longer be trusted) until
 *          wt_spool_discard_uncommitted succeeds.
 */
int wt_spool_commit(struct wt_spool *sp);

/**
 * @brief Drop every record appended after the last successful commit and
 * clear the error of a failed fsync, so appends and commits work again
 * (after a full disk, say). The segments holding only such records are
 * deleted, the one holding the commit point is truncated there and synced;
 * after a failed fsync the next records go to a new segment, never again
 * to a file whose page cache the kernel may have dropped. No reader ever
 * saw the dropped records (readers see committed data only): the caller
 * appends them again from memory, with the same sequence numbers.
 * @returns 0, or -errno (still failing: call it again later; what it did
 *          so far is consistent).
 */
int wt_spool_discard_uncommitted(struct wt_spool *sp);

/**
 * @brief The durable cursor of a sink: the position after its last acked
 * record (the oldest record when it has acked nothing).
 * @returns 0, or -EINVAL for a bad sink index.
 */
int wt_spool_cursor(const struct wt_spool *sp, unsigned sink, struct wt_spool_pos *out);

/**
 * @brief Read the committed record at *pos into buf (cap bytes), check its
 * CRC, fill out and advance *pos past it. A sink may read ahead of its
 * cursor; start from wt_spool_cursor. No allocation.
 * @returns 0; WT_EAGAIN at the end of committed data; WT_EFULL when cap is
 *          too small (out->len says how much is needed, *pos unchanged);
 *          WT_EPARSE when the record changed on disk since open (*pos
 *          unchanged, out->next is where reading resumes: the next segment,
 *          or the end of the active one; the skipped records are lost);
 *          -EINVAL (bad sink or position); -errno.
 */
int wt_spool_next(struct wt_spool *sp, unsigned sink, struct wt_spool_pos *pos,
                  struct wt_spool_rec *out, void *buf, size_t cap);

/**
 * @brief Move a sink's cursor to *after (a record's out->next, acked in
 * order), in memory; a position at or behind the cursor is ignored. Then
 * delete every segment all sinks have passed (never the active one).
 * @returns 0; -EINVAL (bad sink, or *after beyond committed data); -errno
 *          when a passed segment could not be deleted (the cursor did move;
 *          deletion is retried at the next ack).
 */
int wt_spool_ack(struct wt_spool *sp, unsigned sink, const struct wt_spool_pos *after);

/**
 * @brief Persist the cursors that moved since the last call: cursor-<name>
 * written to a temp file, fsync'd, renamed, then the directory fsync'd.
 * Blocking; call it at most every N ms. A crash loses only un-synced acks:
 * those records are delivered again.
 * @returns 0, or the first -errno (failed cursors stay dirty).
 */
int wt_spool_sync_cursors(struct wt_spool *sp);

/**
 * @brief Drop whole non-active segments whose newest event (max ts_max) is
 * older than older_than_ms, and empty non-active segments; cursors inside
 * them move to the next segment. *out reports what was dropped (totals of
 * the segments, whether or not some sink had read part of them).
 * @returns 0, or -errno if a segment could not be deleted (*out counts the
 *          segments dropped before it).
 */
int wt_spool_expire(struct wt_spool *sp, int64_t older_than_ms, struct wt_spool_expired *out);

/**
 * @brief The newest stored position of each input file generation found in
 * the records at open (the last record naming (dev, ino, gen) wins), copied
 * to out (cap entries). Positions of records cut at open are not included.
 * @returns how many there are (may exceed cap: only cap are copied).
 */
size_t wt_spool_srcpos(const struct wt_spool *sp, struct wt_srcpos *out, size_t cap);

/**
 * @brief Like wt_spool_ack, and store aux with the cursor (written by the
 * same atomic cursor write): a sink keeps there what must agree with its
 * position, such as the file sink's output size after that record.
 */
int wt_spool_ack_aux(struct wt_spool *sp, unsigned sink, const struct wt_spool_pos *after,
                     uint64_t aux);

/**
 * @brief The aux value loaded with (or last acked into) a sink's cursor.
 * @returns 1 with *aux, 0 when the cursor has none (no cursor file, a
 *          format 1 cursor, or a damaged one), -EINVAL for a bad index.
 */
int wt_spool_cursor_aux(const struct wt_spool *sp, unsigned sink, uint64_t *aux);

/**
 * @brief Give a sink's cursor an aux value without moving it (a sink that
 * has none yet: the file sink's output size before it writes anything), to
 * be persisted by the next wt_spool_sync_cursors().
 * @returns 0, or -EINVAL for a bad index.
 */
int wt_spool_set_aux(struct wt_spool *sp, unsigned sink, uint64_t aux);

/**
 * @brief Keep every segment holding a record with a sequence number at or
 * above seq, whatever the cursors say (0: no floor, the default). The
 * exporter raises it as its input checkpoint covers the records' positions,
 * so the positions a restart needs are never deleted before they are saved
 * elsewhere. With o->gc_durable, segments are also kept until every sink's
 * *persisted* cursor has passed them.
 */
void wt_spool_keep_from(struct wt_spool *sp, uint64_t seq);

/** @returns the sequence number the next append gets. */
uint64_t wt_spool_next_seq(const struct wt_spool *sp);

/** @returns true when appending next_len bytes now would return WT_EFULL. */
bool wt_spool_full(const struct wt_spool *sp, size_t next_len);

/** @returns the bytes of all segment files (what max_bytes caps). */
uint64_t wt_spool_bytes(const struct wt_spool *sp);

/**
 * @returns the record bytes (headers included) between a sink's cursor and
 * the end of appended data; 0 for a bad sink index.
 */
uint64_t wt_spool_pending(const struct wt_spool *sp, unsigned sink);

#endif /* WT_QUEUE_H */
