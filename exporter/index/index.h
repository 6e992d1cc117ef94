/*
 * index.h - the observable index: "who saw this, when, how often?" over the
 * retention window, kept in LMDB under state_dir, written from the pipeline
 * after parsing (a stage, not a sink: it never waits for a sink).
 *
 *   wt_index_add()     loop thread, once per parsed record: copies the
 *                      record's observables, time, client, verdict and
 *                      allowed/blocked flag into an ingest buffer (memcpy
 *                      only; no hashing, no LMDB, no allocation)
 *   wt_index_commit()  loop thread, every index.commit_interval: hands the
 *                      buffer to the index's writer thread, which sorts it,
 *                      merges it into the hour buckets in ONE LMDB write
 *                      transaction and commits (fsync). A full buffer is
 *                      handed over early; if the writer is still busy with
 *                      the previous one, wt_index_add waits for it (counted
 *                      as a stall): the index slows the reader down instead
 *                      of dropping anything.
 *   wt_index_lookup()  any thread, any process (read transactions; MVCC:
 *                      never blocked by the writer's transaction).
 *
 * Layout (docs/observe-api.md "Index format"): one LMDB named database per
 * bucket: "h" + the hour number since the epoch in 8 decimal digits for
 * the hours of the current UTC day, and "d" + the day number for each
 * closed day: the writer rolls a closed day's hours up into its day
 * database (values merged, hours dropped) in ONE write transaction, a day
 * per commit, so a 30-day lookup searches about 30 + 24 buckets instead of
 * 720. An index of the hour-only layout opens as is and is migrated that
 * way. A record that arrives for a rolled-up day goes into the day.
 * key = 1 byte observable type + the normalised value; value = a compact
 * aggregate (varints): request count, allowed and blocked counts, first and
 * last seen (ms into the bucket), up to WT_INDEX_VERDICTS_MAX AMP verdicts,
 * and the top index.top_clients client addresses with their counts
 * (Space-Saving: exact while a bucket has at most top_clients clients, an
 * upper bound per listed client beyond). Expiry drops whole bucket
 * databases (mdb_drop) once they ended before now - retention (a day: all
 * of it): their pages go to LMDB's free list and are reused.
 *
 * A kill -9 loses what was added since the last commit (at most about one
 * commit_interval plus the transaction in progress); LMDB never exposes a
 * torn transaction. The committed transaction also records, per input
 * file, the position of the last record it holds (wt_index_positions), so
 * a restart re-indexes the lines between that position and where the file
 * resumes, and does not index again what lies before it (tail.c).
 */
#ifndef WT_INDEX_H
#define WT_INDEX_H

#include "wt_common.h"
#include "wt_parsers.h"
#include "wt_queue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Clients kept per bucket at most (index.top_clients is 1..this). */
#define WT_INDEX_TOP_MAX 100
/* Distinct AMP verdicts kept per bucket, and the longest one kept. */
#define WT_INDEX_VERDICTS_MAX 4
#define WT_INDEX_VERDICT_LEN  15
/* Buckets held at most: 30 days of hours plus slack for clock skew (the
 * hour-only layout's worst case; rolled up, about 30 days + 24 hours). */
#define WT_INDEX_BUCKETS_MAX (30 * 24 + 48)
/* Bytes of one ingest buffer (two exist: one filling, one being written). */
#define WT_INDEX_BUF_DEFAULT (8u * 1024 * 1024)
/* Longest observable value indexed (longer URLs are cut at a character boundary). */
#define WT_INDEX_VALUE_MAX 2048
/* Input files whose position the index remembers. */
#define WT_INDEX_SOURCES_MAX 256
#define WT_HOUR_MS           3600000LL

struct wt_index;

struct wt_index_opts {
    const char *path;        /* directory of the LMDB environment (created) */
    size_t max_size;         /* LMDB map size */
    unsigned top_clients;    /* 1..WT_INDEX_TOP_MAX */
    int64_t retention_ms;    /* buckets older than now - this are dropped */
    size_t buf_bytes;        /* 0: WT_INDEX_BUF_DEFAULT */
    bool readonly;           /* lookups only (wtexport lookup, while the daemon runs) */
    bool nosync;             /* bulk load: no fsync per commit (bench only) */
    bool allow_symlink;      /* path may be a symlink (allow_symlinked_state) */
    int64_t (*now_ms)(void); /* NULL: wt_wall_ms (tests inject a clock) */
};

/**
 * Open (create unless readonly) the index. A writable index starts its
 * writer thread. @returns NULL with the reason in err.
 */
struct wt_index *wt_index_open(const struct wt_index_opts *o, char *err, size_t errlen);

/** Commit what was added, stop the writer and close. NULL is fine. */
void wt_index_close(struct wt_index *idx);

/**
 * Add one parsed record (loop thread). src names the input (one id per file
 * generation); at, when not NULL, is where the record ends in it: the
 * file's identity (dev, ino, fingerprint, generation) with the offset after
 * the record's line and that line's number. Each commit stores the last
 * position of every input it holds records of (wt_index_positions).
 */
void wt_index_add(struct wt_index *idx, const struct wt_record *rec, const struct wt_obs_set *os,
                  uint32_t src, const struct wt_srcpos *at);

/** Hand what was added to the writer, unless it is busy (then at the next call). */
void wt_index_commit(struct wt_index *idx);

/** Commit everything added so far and wait for it. @returns 0 or the last write error. */
int wt_index_sync(struct wt_index *idx);

/** Drop buckets that ended before now - retention (the writer also does it on commit). */
int wt_index_expire(struct wt_index *idx);

/** Change the retention window (reload). */
void wt_index_set_retention(struct wt_index *idx, int64_t retention_ms);

struct wt_index_stats {
    uint64_t records;        /* records added */
    uint64_t entries;        /* (bucket, observable) updates written */
    uint64_t commits;        /* write transactions committed */
    uint64_t failed;         /* write transactions that failed (records lost) */
    uint64_t stalls;         /* adds that waited for the writer */
    uint64_t skipped;        /* records outside [now - retention, now + 1h] */
    uint64_t expired;        /* buckets dropped */
    uint64_t rolled;         /* closed days rolled up from hours into one bucket */
    uint64_t commit_ns_last; /* time of the last write transaction */
    uint64_t commit_ns_total;
    unsigned buckets;   /* buckets held (hours of open days, rolled-up days) */
    uint64_t map_bytes; /* bytes of the map in use (last page * page size) */
};

/** A consistent copy of the counters (any thread). */
void wt_index_stats(struct wt_index *idx, struct wt_index_stats *st);

/** One client of a bucket: its address (4 or 16 bytes) and request count. */
struct wt_index_client {
    uint8_t len;
    uint8_t addr[16];
    uint64_t count;
};

/** What one bucket (an hour or a day; or a merged range of them) says about an observable. */
struct wt_index_bucket {
    int64_t start_ms, end_ms;  /* the bucket's hour or day (merged: first to last) */
    int64_t first_ms, last_ms; /* first and last request seen */
    uint64_t count, allowed, blocked;
    unsigned nverdicts;
    char verdict[WT_INDEX_VERDICTS_MAX][WT_INDEX_VERDICT_LEN + 1];
    unsigned nclients; /* sorted by count, highest first */
    struct wt_index_client client[WT_INDEX_TOP_MAX];
};

typedef int (*wt_index_bucket_fn)(void *ctx, const struct wt_index_bucket *b);

/**
 * Call fn for each bucket (hour, or rolled-up day) of (t, value) that
 * overlaps [since_ms, until_ms) (0: unbounded), newest first, in one read
 * transaction: a day counts whole when it overlaps the window. value
 * must be normalised (wt_index_normalise). fn returning non-zero stops the
 * walk and is returned. Thread-safe.
 * @returns 0, fn's value, or a negative error.
 */
int wt_index_lookup(struct wt_index *idx, enum wt_obs_type t, struct wt_str value, int64_t since_ms,
                    int64_t until_ms, wt_index_bucket_fn fn, void *ctx);

/** One stored bucket value of an observable (wt_index_lookup_many). */
struct wt_index_hit {
    int64_t start_ms, span_ms; /* the bucket's hour or day */
    const void *p;             /* the encoded value (wt_index_bucket_decode), in the map */
    size_t n;
};

/** hits[0, nhits) of observable `which`, newest first; valid only during the call. */
typedef int (*wt_index_hits_fn)(void *ctx, size_t which, const struct wt_index_hit *hits,
                                size_t nhits);

/**
 * wt_index_lookup for n observables at once, in one read transaction:
 * each bucket is searched for every key before the next bucket (its
 * pages stay in the CPU caches), and the values are handed over encoded,
 * without copies. fn is called once per observable, in order (also with
 * nhits 0). Values must be normalised. Thread-safe.
 * @returns 0, fn's value (non-zero stops), or a negative error.
 */
int wt_index_lookup_many(struct wt_index *idx, size_t n, const enum wt_obs_type *types,
                         const struct wt_str *values, int64_t since_ms, int64_t until_ms,
                         wt_index_hits_fn fn, void *ctx);

/** Merge src into dst (counts summed, times widened, clients kept to top). */
void wt_index_bucket_merge(struct wt_index_bucket *dst, const struct wt_index_bucket *src,
                           unsigned top);

/**
 * Decode hits[0, n) (one observable's buckets) and merge them into dst
 * one by one (wt_index_bucket_merge); scratch is working space. Damaged
 * values are left out.
 * @returns how many values were merged (0: dst->count is 0).
 */
size_t wt_index_hits_merge(const struct wt_index_hit *hits, size_t n, unsigned top,
                           struct wt_index_bucket *dst, struct wt_index_bucket *scratch);

/**
 * The canonical form of an observable as the index keys it (the pipeline's
 * normalisers): "ip" also accepts an IPv6 address (and answers as ipv6).
 * strip_query: a URL loses its query, as the pipeline indexes URLs with
 * privacy.strip_query on (so a URL asked for with its query is found).
 * @returns the length in out, or WT_EPARSE (not a valid value of that type).
 */
int wt_index_normalise(enum wt_obs_type *t, struct wt_str in, bool strip_query, char *out,
                       size_t cap);

/** Parse a CTIM type name ("ip", "ipv6", "domain", "url", "sha256"). WT_EPARSE otherwise. */
int wt_index_type_from_str(struct wt_str s, enum wt_obs_type *t);

/**
 * Decode one stored bucket value of the bucket [start_ms, start_ms +
 * span_ms) (an hour or a day; exposed for the fuzz target).
 * @returns 0 or WT_EPARSE.
 */
int wt_index_bucket_decode(const void *p, size_t n, int64_t start_ms, int64_t span_ms,
                           struct wt_index_bucket *b);
/** Encode b into out (cap bytes). @returns the length or WT_EFULL. */
int wt_index_bucket_encode(const struct wt_index_bucket *b, void *out, size_t cap);

/**
 * Crash recovery: for each input file (dev, ino) the committed index holds
 * records of, the position its last committed record ends at (identity,
 * generation, offset and line number). Every record of that file
 * generation up to offset is in the index, none after it. A file not
 * written to for longer than the retention window is forgotten.
 * out NULL: only count.
 * @returns how many there are (at most cap are written), or a negative error.
 */
int wt_index_positions(struct wt_index *idx, struct wt_srcpos *out, size_t cap);

#endif /* WT_INDEX_H */
