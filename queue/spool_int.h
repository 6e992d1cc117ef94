/*
 * spool_int.h - what the spool's three files share (spool.c: format,
 * segment table, append, commit; spool_read.c: reading, cursors, expiry,
 * accounting; spool_recover.c: open and recovery): the on-disk constants,
 * the in-memory state and the helpers more than one uses. Not part of the queue module's contract:
 * include only inside queue/ and tests/queue/.
 */
#ifndef WT_SPOOL_INT_H
#define WT_SPOOL_INT_H

#include "wt_queue.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define SEG_HDR        WT_SPOOL_SEGMENT_HEADER_BYTES
#define REC_HDR        WT_SPOOL_RECORD_HEADER_BYTES
#define SEG_MAGIC      "WTSPOOL" /* and a NUL: 8 bytes */
#define REC_MAGIC      "WTR2"    /* format 2: source positions before the payload */
#define REC_MAGIC_V1   "WTR1"    /* format 1: no positions; still read */
#define FORMAT_VERSION 2U
#define FORMAT_V1      1U
#define SRCPOS         WT_SPOOL_SRCPOS_BYTES
/* Commit syncs at most this many segments per round (usually one or two). */
#define SYNC_BATCH 16
/* Recovery reads payloads in chunks of this size to check their CRC. */
#define SCAN_CHUNK (256 * 1024)
/* Segment and cursor file names: "seg-" 16 hex ".wts" (+ ".bad"), "cursor-" name. */
#define SEG_NAME_LEN  24
#define NAME_BUF      96
#define CURSOR_PREFIX "cursor-"
/* "WTC2 <16 hex> <offset> <aux> <8 hex>\n" (WTC1: no aux) */
#define CURSOR_FILE_MAX 96

_Static_assert(SEG_NAME_LEN + 5 < NAME_BUF, "segment names fit");
_Static_assert(sizeof(CURSOR_PREFIX) + WT_SPOOL_SINK_NAME_MAX + 6 < NAME_BUF, "cursor names fit");
_Static_assert(WT_SPOOL_SEGMENT_BYTES_MIN > SEG_HDR + REC_HDR, "a segment holds a record");

/* One segment file. fd is open for the active segment, and for a sealed one
 * until its last bytes are synced; readers of sealed segments use their own. */
struct seg {
    uint64_t id;
    uint64_t first_seq; /* sequence number of its first record */
    uint64_t size;      /* bytes of valid data (header included) */
    uint64_t synced;    /* bytes known to be on disk */
    uint64_t records;
    uint64_t events;
    int64_t ts_max; /* newest event, if has_ts */
    bool has_ts;
    int fd;
    /* Open only: the sequence number after its last record (lost ones
     * included), and a tail cut there (cut_bytes > 0). */
    uint64_t end_seq; /* also kept up to date by appends */
    uint64_t cut_off, cut_bytes, cut_events, cut_records;
    bool guessed; /* first_seq taken from the first whole record (header repaired) */
};

/* Corrupt bytes between two good records of a segment, found at open:
 * readers jump from start to end (the next good record). */
struct hole {
    uint64_t seg, start, end;
};
/* Holes remembered per spool; past it a reader finds the damage itself
 * (WT_EPARSE, then it resynchronises). */
#define MAX_HOLES 4096

/* A record read and checked whole (header, positions, CRC of all). */
struct rchk {
    unsigned char h[REC_HDR];
    unsigned char pos[WT_SPOOL_MAX_SRCPOS * SRCPOS];
    uint32_t plen, len;
    uint64_t seq;
};

struct sink {
    char name[WT_SPOOL_SINK_NAME_MAX + 1];
    struct wt_spool_pos cur;     /* after the last acked record */
    bool dirty;                  /* cur moved since the last sync */
    struct wt_spool_pos durable; /* the position the cursor file holds */
    uint64_t aux;                /* stored with the cursor (has_aux) */
    bool has_aux;
    bool placed; /* open only: cur checked against the segments */
    bool oldest; /* open only: no usable cursor file, start at the oldest */
    int rfd;     /* read descriptor of sealed segment rseg, or -1 */
    uint64_t rseg;
};

struct wt_spool {
    pthread_mutex_t lock;      /* everything below */
    pthread_mutex_t sync_lock; /* one wt_spool_sync_cursors at a time */
    int dirfd;                 /* the spool directory, flock'ed */
    uint64_t max_bytes, segment_bytes;
    struct seg *segs; /* by id; segs[nsegs - 1] is the active one */
    unsigned nsegs, capsegs;
    struct wt_spool_pos commit; /* readers see records before it */
    uint64_t bytes;             /* sum of segs[].size */
    uint64_t next_seq, next_id;
    uint64_t dir_gen;    /* bumped when a segment is created */
    uint64_t dir_synced; /* the dir_gen the last directory fsync covered */
    int broken;          /* error of a failed fsync, until wt_spool_discard_uncommitted */
    /* What the segment holding `commit` held at that position (records,
     * events, the sequence number after them): restored by a discard. */
    uint64_t commit_records, commit_events, commit_end_seq;
    unsigned nsinks;
    struct sink sinks[WT_SPOOL_MAX_SINKS];
    bool gc_durable;   /* delete only what persisted cursors passed */
    uint64_t keep_seq; /* keep segments holding seqs >= it (0: no floor) */
    /* Newest position per (dev, ino, gen) found at open. */
    struct wt_srcpos *srcpos;
    size_t nsrcpos, srcpos_total;
    struct hole *holes; /* sorted by (seg, start) */
    unsigned nholes;
};

/* Helpers of spool.c that recovery uses too. */
struct seg *wt__spool_active(struct wt_spool *sp);
void wt__spool_close_fd(int *fd);
int wt__spool_cursor_load(struct wt_spool *sp, unsigned k, struct wt_spool_pos *p);
int wt__spool_gc(struct wt_spool *sp);
uint32_t wt__spool_get32(const unsigned char *p);
uint64_t wt__spool_get64(const unsigned char *p);
bool wt__spool_parse_seg_name(const char *name, uint64_t *id);
uint32_t wt__spool_rec_hdr_crc(const unsigned char h[REC_HDR]);
uint32_t wt__spool_rec_plen(const unsigned char h[REC_HDR]);
void wt__spool_srcpos_decode(const unsigned char *p, struct wt_srcpos *out);
bool wt__spool_rec_hdr_plausible(const unsigned char h[REC_HDR], uint64_t off, uint64_t size);
int wt__spool_seg_create(struct wt_spool *sp);
unsigned wt__spool_seg_find(const struct wt_spool *sp, uint64_t id);
bool wt__spool_seg_hdr_valid(const unsigned char h[SEG_HDR], uint64_t id, uint64_t *first_seq);
void wt__spool_seg_name(char out[NAME_BUF], uint64_t id, const char *suffix);
int wt__spool_seg_reserve(struct wt_spool *sp);
void wt__spool_seg_hdr_encode(unsigned char h[SEG_HDR], uint64_t id, uint64_t first_seq);
int wt__spool_rec_check(int fd, uint64_t off, uint64_t fsize, unsigned char *chunk, struct rchk *c);
int wt__spool_resync(int fd, uint64_t from, uint64_t fsize, uint64_t min_seq, unsigned char *chunk,
                     uint64_t *at, struct rchk *c);
void wt__spool_hole_skip(const struct wt_spool *sp, struct wt_spool_pos *pos);
void wt__spool_holes_drop(struct wt_spool *sp, uint64_t seg);

/* Helpers of spool.c that reading and the cursors (spool_read.c) use. */
/* Has every sink acked everything, the active segment included? */
bool wt__spool_all_consumed(const struct wt_spool *sp);
void wt__spool_cursor_name(char out[NAME_BUF], const char *sink);
/* Parse exactly n lower-case hex digits. */
bool wt__spool_parse_hex(const char *s, size_t n, uint64_t *out);
/* Write iov[0..n) at off, all of it. @returns 0 or -errno. */
int wt__spool_pwritev_full(int fd, struct iovec *iov, int n, uint64_t off);
void wt__spool_rec_hdr_decode(const unsigned char h[REC_HDR], struct wt_spool_rec *out);
/* Would a record of rsz bytes fit now? *roll: it needs a new segment. */
bool wt__spool_room_for(const struct wt_spool *sp, uint64_t rsz, bool *roll);
/* Delete segment i (never the active one) and forget it. */
int wt__spool_seg_drop(struct wt_spool *sp, unsigned i);

/* Order of two positions: -1, 0 or 1. */
static inline int wt__spool_pos_cmp(const struct wt_spool_pos *a, const struct wt_spool_pos *b)
{
    if (a->segment != b->segment)
        return a->segment < b->segment ? -1 : 1;
    if (a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    return 0;
}

#endif /* WT_SPOOL_INT_H */
