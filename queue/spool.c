/*
 * spool.c - the durable disk spool between the batcher and the sinks.
 *
 * A directory of segment files seg-<16 hex id>.wts, each a 40-byte header
 * followed by records (52-byte header + payload, CRC32C), appended in order;
 * the newest segment is the active one. Each sink reads from its own cursor,
 * persisted in cursor-<sink>; a segment is deleted once every sink's cursor
 * has passed it. Opening rescans everything and cuts torn or corrupt tails.
 * The format and the guarantees are in docs/spool.md.
 *
 * Plain synchronous file I/O on a mutex: the exporter calls it from the libuv
 * thread pool. The mutex guards the segment table and the cursors; fsync runs
 * outside it (on dup'd descriptors) so readers are not held up by a commit.
 */
#include "spool_int.h"
#include "wt_queue.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Little-endian fields, positions, names                                   */
/* ------------------------------------------------------------------------ */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

uint32_t wt__spool_get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

uint64_t wt__spool_get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int pos_cmp(const struct wt_spool_pos *a, const struct wt_spool_pos *b)
{
    if (a->segment != b->segment)
        return a->segment < b->segment ? -1 : 1;
    if (a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    return 0;
}

void wt__spool_seg_name(char out[NAME_BUF], uint64_t id, const char *suffix)
{
    snprintf(out, NAME_BUF, "seg-%016" PRIx64 ".wts%s", id, suffix);
}

static void cursor_name(char out[NAME_BUF], const char *sink)
{
    snprintf(out, NAME_BUF, CURSOR_PREFIX "%s", sink);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parse exactly n lower-case hex digits. */
static bool parse_hex(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hexval(s[i]);
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* "seg-" 16 hex ".wts", nothing more. */
bool wt__spool_parse_seg_name(const char *name, uint64_t *id)
{
    return strlen(name) == SEG_NAME_LEN && memcmp(name, "seg-", 4) == 0 &&
           memcmp(name + 20, ".wts", 4) == 0 && parse_hex(name + 4, 16, id);
}

/* ------------------------------------------------------------------------ */
/* Whole reads and writes                                                   */
/* ------------------------------------------------------------------------ */

/* Write iov[0..n) at off, all of it. @returns 0 or -errno. */
static int pwritev_full(int fd, struct iovec *iov, int n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwritev(fd, iov, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (uint64_t)w;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

void wt__spool_close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* ------------------------------------------------------------------------ */
/* On-disk headers                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Segment header (40 bytes): magic "WTSPOOL\0", u32 version, u32 flags (0),
 * u64 segment id, u64 sequence number of the first record, u32 reserved (0),
 * u32 CRC32C of bytes 0..35.
 */
void wt__spool_seg_hdr_encode(unsigned char h[SEG_HDR], uint64_t id, uint64_t first_seq)
{
    memset(h, 0, SEG_HDR);
    memcpy(h, SEG_MAGIC, 8);
    put32(h + 8, FORMAT_VERSION);
    put64(h + 16, id);
    put64(h + 24, first_seq);
    put32(h + 36, wt_crc32c(0, h, 36));
}

bool wt__spool_seg_hdr_valid(const unsigned char h[SEG_HDR], uint64_t id, uint64_t *first_seq)
{
    const uint32_t v = wt__spool_get32(h + 8);
    /* Format 1 segments are read as they are (their records carry no positions). */
    if (memcmp(h, SEG_MAGIC, 8) != 0 || (v != FORMAT_VERSION && v != FORMAT_V1) ||
        wt__spool_get64(h + 16) != id || wt__spool_get32(h + 36) != wt_crc32c(0, h, 36))
        return false;
    *first_seq = wt__spool_get64(h + 24);
    return true;
}

/*
 * Record header (52 bytes): magic "WTR2", u32 payload length, u32 CRC32C,
 * u64 seq, i64 ts_min, i64 ts_max, u32 nevents, u32 flags, u32 length of the
 * source positions (a multiple of 56), u32 reserved (0); then the positions,
 * then the payload. The CRC covers header bytes 0..7 and 12..51, then the
 * positions and the payload: everything but itself. A format 1 record
 * ("WTR1") is the same with no positions (bytes 44..51 are 0).
 */
uint32_t wt__spool_rec_hdr_crc(const unsigned char h[REC_HDR])
{
    return wt_crc32c(wt_crc32c(0, h, 8), h + 12, REC_HDR - 12);
}

/* Bytes of source positions between the header and the payload. */
uint32_t wt__spool_rec_plen(const unsigned char h[REC_HDR])
{
    return memcmp(h, REC_MAGIC, 4) == 0 ? wt__spool_get32(h + 44) : 0;
}

/* One position: u64 dev, ino, fp; u32 fp_len, gen; u64 offset, lineno, size. */
static void srcpos_encode(unsigned char *p, const struct wt_srcpos *a)
{
    put64(p, a->dev);
    put64(p + 8, a->ino);
    put64(p + 16, a->fp);
    put32(p + 24, a->fp_len);
    put32(p + 28, a->gen);
    put64(p + 32, a->offset);
    put64(p + 40, a->lineno);
    put64(p + 48, a->size);
}

void wt__spool_srcpos_decode(const unsigned char *p, struct wt_srcpos *out)
{
    out->dev = wt__spool_get64(p);
    out->ino = wt__spool_get64(p + 8);
    out->fp = wt__spool_get64(p + 16);
    out->fp_len = wt__spool_get32(p + 24);
    out->gen = wt__spool_get32(p + 28);
    out->offset = wt__spool_get64(p + 32);
    out->lineno = wt__spool_get64(p + 40);
    out->size = wt__spool_get64(p + 48);
}

static void rec_hdr_encode(unsigned char h[REC_HDR], uint32_t len, uint64_t seq,
                           const struct wt_spool_meta *m, const unsigned char *pos, uint32_t plen,
                           const void *payload)
{
    memcpy(h, REC_MAGIC, 4);
    put32(h + 4, len);
    put32(h + 8, 0);
    put64(h + 12, seq);
    put64(h + 20, (uint64_t)m->ts_min);
    put64(h + 28, (uint64_t)m->ts_max);
    put32(h + 36, m->nevents);
    put32(h + 40, m->flags);
    put32(h + 44, plen);
    put32(h + 48, 0);
    uint32_t crc = wt_crc32c(wt__spool_rec_hdr_crc(h), pos, plen);
    put32(h + 8, wt_crc32c(crc, payload, len));
}

/* Check magic and lengths of a header at off in a segment of size bytes. */
bool wt__spool_rec_hdr_plausible(const unsigned char h[REC_HDR], uint64_t off, uint64_t size)
{
    const uint32_t len = wt__spool_get32(h + 4);
    uint32_t plen = 0;
    if (memcmp(h, REC_MAGIC, 4) == 0) {
        plen = wt__spool_get32(h + 44);
        if (plen % SRCPOS != 0 || plen > WT_SPOOL_MAX_SRCPOS * SRCPOS ||
            wt__spool_get32(h + 48) != 0)
            return false;
    } else if (memcmp(h, REC_MAGIC_V1, 4) != 0) {
        return false;
    }
    return len <= WT_SPOOL_RECORD_MAX && off <= size &&
           size - off >= (uint64_t)REC_HDR + plen + len;
}

static void rec_hdr_decode(const unsigned char h[REC_HDR], struct wt_spool_rec *out)
{
    out->len = wt__spool_get32(h + 4);
    out->seq = wt__spool_get64(h + 12);
    out->meta.ts_min = (int64_t)wt__spool_get64(h + 20);
    out->meta.ts_max = (int64_t)wt__spool_get64(h + 28);
    out->meta.nevents = wt__spool_get32(h + 36);
    out->meta.flags = wt__spool_get32(h + 40);
}

/* ------------------------------------------------------------------------ */
/* Segment table                                                            */
/* ------------------------------------------------------------------------ */

struct seg *wt__spool_active(struct wt_spool *sp)
{
    return &sp->segs[sp->nsegs - 1];
}

/* @returns the index of the first segment with id >= id (nsegs if none). */
unsigned wt__spool_seg_find(const struct wt_spool *sp, uint64_t id)
{
    unsigned lo = 0, hi = sp->nsegs;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (sp->segs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int wt__spool_seg_reserve(struct wt_spool *sp)
{
    if (sp->nsegs < sp->capsegs)
        return 0;
    if (sp->capsegs >= WT_SPOOL_MAX_SEGMENTS)
        return WT_EFULL;
    unsigned cap = sp->capsegs ? sp->capsegs * 2 : 16;
    if (cap > WT_SPOOL_MAX_SEGMENTS)
        cap = WT_SPOOL_MAX_SEGMENTS;
    struct seg *s = wt_realloc(sp->segs, cap * sizeof(*s));
    if (!s)
        return -ENOMEM;
    sp->segs = s;
    sp->capsegs = cap;
    return 0;
}

/* Has the sink's cursor passed segment i entirely? Never true of the active one. */
static bool seg_passed(const struct wt_spool *sp, unsigned i, const struct wt_spool_pos *cur)
{
    const struct seg *s = &sp->segs[i];
    if (i == sp->nsegs - 1)
        return false;
    return cur->segment > s->id || (cur->segment == s->id && cur->offset >= s->size);
}

static bool seg_passed_by_all(const struct wt_spool *sp, unsigned i)
{
    const struct seg *s = &sp->segs[i];
    /* Records whose source positions may still be needed at a restart. */
    if (sp->keep_seq && s->end_seq > sp->keep_seq)
        return false;
    for (unsigned k = 0; k < sp->nsinks; k++) {
        const struct sink *c = &sp->sinks[k];
        if (!seg_passed(sp, i, &c->cur) || (sp->gc_durable && !seg_passed(sp, i, &c->durable)))
            return false;
    }
    return true;
}

/* Delete segment i (never the active one) and forget it. */
static int seg_drop(struct wt_spool *sp, unsigned i)
{
    struct seg *s = &sp->segs[i];
    char name[NAME_BUF];

    assert(i + 1 < sp->nsegs);
    wt__spool_seg_name(name, s->id, "");
    if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT)
        return -errno;
    wt__spool_close_fd(&s->fd);
    wt__spool_holes_drop(sp, s->id);
    for (unsigned k = 0; k < sp->nsinks; k++)
        if (sp->sinks[k].rseg == s->id)
            wt__spool_close_fd(&sp->sinks[k].rfd);
    sp->bytes -= s->size;
    memmove(s, s + 1, (sp->nsegs - i - 1) * sizeof(*s));
    sp->nsegs--;
    return 0;
}

/* A cursor in a segment that is gone points at the start of the next one. */
static void cursors_normalise(struct wt_spool *sp)
{
    for (unsigned k = 0; k < sp->nsinks; k++) {
        struct wt_spool_pos *c = &sp->sinks[k].cur;
        unsigned i = wt__spool_seg_find(sp, c->segment);
        if (i < sp->nsegs && sp->segs[i].id != c->segment)
            *c = (struct wt_spool_pos){sp->segs[i].id, SEG_HDR};
    }
}

/* Delete the oldest segments while every sink has passed them. */
int wt__spool_gc(struct wt_spool *sp)
{
    int rc = 0;
    while (sp->nsegs > 1 && seg_passed_by_all(sp, 0)) {
        rc = seg_drop(sp, 0);
        if (rc != 0)
            break;
    }
    cursors_normalise(sp);
    return rc;
}

/* Create a new empty segment after the active one; it becomes active. */
int wt__spool_seg_create(struct wt_spool *sp)
{
    unsigned char h[SEG_HDR];
    char name[NAME_BUF];
    int rc = wt__spool_seg_reserve(sp);
    if (rc != 0)
        return rc;
    uint64_t id = sp->next_id;
    wt__spool_seg_name(name, id, "");
    int fd = openat(sp->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    wt__spool_seg_hdr_encode(h, id, sp->next_seq);
    struct iovec iov = {h, SEG_HDR};
    rc = pwritev_full(fd, &iov, 1, 0);
    if (rc != 0) {
        close(fd);
        unlinkat(sp->dirfd, name, 0);
        return rc;
    }
    sp->segs[sp->nsegs++] = (struct seg){.id = id,
                                         .first_seq = sp->next_seq,
                                         .end_seq = sp->next_seq,
                                         .size = SEG_HDR,
                                         .synced = 0,
                                         .fd = fd};
    sp->bytes += SEG_HDR;
    sp->next_id++;
    sp->dir_gen++;
    return 0;
}

/* Seal the active segment and start a new one. */
static int seg_roll(struct wt_spool *sp)
{
    if (sp->nsegs >= WT_SPOOL_MAX_SEGMENTS)
        return WT_EFULL;
    int rc = wt__spool_seg_create(sp);
    if (rc != 0)
        return rc;
    /* The sealed segment keeps its descriptor only until commit syncs it. */
    struct seg *old = &sp->segs[sp->nsegs - 2];
    if (old->synced >= old->size)
        wt__spool_close_fd(&old->fd);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Append and commit                                                        */
/* ------------------------------------------------------------------------ */

/* Has every sink acked everything, the active segment included? */
static bool all_consumed(const struct wt_spool *sp)
{
    const struct seg *a = &sp->segs[sp->nsegs - 1];
    for (unsigned k = 0; k < sp->nsinks; k++) {
        const struct wt_spool_pos *c = &sp->sinks[k].cur;
        if (c->segment != a->id || c->offset < a->size)
            return false;
    }
    return true;
}

/* Would a record of rsz bytes fit now? *roll: it needs a new segment. */
static bool room_for(const struct wt_spool *sp, uint64_t rsz, bool *roll)
{
    const struct seg *a = &sp->segs[sp->nsegs - 1];
    *roll = a->records > 0 && a->size + rsz > sp->segment_bytes;
    if (*roll && sp->nsegs >= WT_SPOOL_MAX_SEGMENTS)
        return false;
    return sp->bytes + rsz + (*roll ? SEG_HDR : 0) <= sp->max_bytes;
}

/*
 * Make room for a record of rsz bytes. When the spool is full but every sink
 * has acked everything, the active segment holds nothing anyone needs: roll
 * so that it can be deleted.
 */
static int make_room(struct wt_spool *sp, uint64_t rsz)
{
    bool roll;
    if (!room_for(sp, rsz, &roll)) {
        if (wt__spool_active(sp)->records == 0 || !all_consumed(sp))
            return WT_EFULL;
        int rc = seg_roll(sp);
        if (rc != 0)
            return rc;
        rc = wt__spool_gc(sp);
        if (rc != 0)
            return rc;
        return room_for(sp, rsz, &roll) && !roll ? 0 : WT_EFULL;
    }
    return roll ? seg_roll(sp) : 0;
}

int wt_spool_append(struct wt_spool *sp, const void *payload, size_t len,
                    const struct wt_spool_meta *m, uint64_t *seq_out)
{
    unsigned char h[REC_HDR], pos[WT_SPOOL_MAX_SRCPOS * SRCPOS];
    uint32_t plen = 0;
    for (unsigned i = 0; i < m->nsrcpos && i < WT_SPOOL_MAX_SRCPOS; i++) {
        if (m->srcpos[i].dev == 0 && m->srcpos[i].ino == 0)
            continue;
        srcpos_encode(pos + plen, &m->srcpos[i]);
        plen += SRCPOS;
    }
    if (len > WT_SPOOL_RECORD_MAX || SEG_HDR + REC_HDR + plen + (uint64_t)len > sp->max_bytes)
        return WT_ETOOLONG;
    const uint64_t rsz = REC_HDR + plen + (uint64_t)len;

    pthread_mutex_lock(&sp->lock);
    int rc = sp->broken;
    if (rc == 0)
        rc = make_room(sp, rsz);
    if (rc != 0)
        goto out;
    struct seg *a = wt__spool_active(sp);
    rec_hdr_encode(h, (uint32_t)len, sp->next_seq, m, pos, plen, payload);
    struct iovec iov[3] = {{h, REC_HDR}, {pos, plen}, {(void *)payload, len}};
    rc = pwritev_full(a->fd, iov, 3, a->size);
    if (rc != 0) {
        /* Best effort: leave no partial record (recovery would cut it anyway). */
        if (ftruncate(a->fd, (off_t)a->size) != 0) {
            /* The next append overwrites it at the same offset. */
        }
        goto out;
    }
    a->size += rsz;
    a->records++;
    a->events += m->nevents;
    if (!a->has_ts || m->ts_max > a->ts_max)
        a->ts_max = m->ts_max;
    a->has_ts = true;
    sp->bytes += rsz;
    if (seq_out)
        *seq_out = sp->next_seq;
    sp->next_seq++;
    a->end_seq = sp->next_seq;
out:
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

/* One round of commit: sync up to SYNC_BATCH segments with unsynced bytes. */
static int sync_round(struct wt_spool *sp, const struct wt_spool_pos *target, bool *done)
{
    int fds[SYNC_BATCH];
    uint64_t ids[SYNC_BATCH], ends[SYNC_BATCH];
    unsigned n = 0;
    int rc = 0;

    pthread_mutex_lock(&sp->lock);
    for (unsigned i = 0; i < sp->nsegs && n < SYNC_BATCH; i++) {
        struct seg *s = &sp->segs[i];
        /* Bytes appended after the target are not this commit's to wait for. */
        const uint64_t need = s->id == target->segment ? target->offset : s->size;
        if (s->id > target->segment || s->fd < 0 || s->synced >= need)
            continue;
        fds[n] = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
        if (fds[n] < 0) {
            rc = -errno;
            break;
        }
        ids[n] = s->id;
        ends[n] = s->size;
        n++;
    }
    pthread_mutex_unlock(&sp->lock);

    for (unsigned j = 0; j < n; j++) {
        if (rc == 0 && fdatasync(fds[j]) != 0)
            rc = -errno;
        close(fds[j]);
    }
    pthread_mutex_lock(&sp->lock);
    if (rc == 0) {
        for (unsigned j = 0; j < n; j++) {
            unsigned i = wt__spool_seg_find(sp, ids[j]);
            if (i == sp->nsegs || sp->segs[i].id != ids[j])
                continue; /* deleted meanwhile */
            struct seg *s = &sp->segs[i];
            if (ends[j] > s->synced)
                s->synced = ends[j];
            if (i + 1 < sp->nsegs && s->synced >= s->size)
                wt__spool_close_fd(&s->fd);
        }
    } else if (rc != -EMFILE && rc != -ENFILE) {
        /* After a failed fsync the kernel may have dropped the dirty pages:
         * nothing written since the last good commit can be trusted. */
        sp->broken = rc;
    }
    pthread_mutex_unlock(&sp->lock);
    *done = n == 0;
    return rc;
}

int wt_spool_commit(struct wt_spool *sp)
{
    pthread_mutex_lock(&sp->lock);
    int rc = sp->broken;
    const struct seg *a = wt__spool_active(sp);
    const struct wt_spool_pos target = {a->id, a->size};
    const uint64_t t_records = a->records, t_events = a->events, t_end = a->end_seq;
    /* Until a directory fsync covers this generation, no commit may
     * publish records in segments created up to now. */
    const uint64_t gen = sp->dir_gen;
    const bool need_dir = sp->dir_synced < gen;
    pthread_mutex_unlock(&sp->lock);
    if (rc != 0)
        return rc;

    bool done = false;
    while (rc == 0 && !done)
        rc = sync_round(sp, &target, &done);
    if (rc == 0 && need_dir && fsync(sp->dirfd) != 0)
        rc = -errno;

    pthread_mutex_lock(&sp->lock);
    if (rc == 0 && need_dir && gen > sp->dir_synced)
        sp->dir_synced = gen;
    if (rc == 0 && pos_cmp(&target, &sp->commit) > 0) {
        sp->commit = target;
        sp->commit_records = t_records;
        sp->commit_events = t_events;
        sp->commit_end_seq = t_end;
    }
    if (rc != 0 && rc != -EMFILE && rc != -ENFILE && sp->broken == 0)
        sp->broken = rc;
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

/* Delete segment i, which holds only uncommitted records (never read). */
static int seg_discard(struct wt_spool *sp, unsigned i)
{
    struct seg *s = &sp->segs[i];
    char name[NAME_BUF];
    wt__spool_seg_name(name, s->id, "");
    if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT)
        return -errno;
    wt__spool_close_fd(&s->fd);
    wt__spool_holes_drop(sp, s->id);
    sp->bytes -= s->size;
    memmove(s, s + 1, (sp->nsegs - i - 1) * sizeof(*s));
    sp->nsegs--;
    return 0;
}

int wt_spool_discard_uncommitted(struct wt_spool *sp)
{
    int rc = 0;
    pthread_mutex_lock(&sp->lock);
    const struct wt_spool_pos c = sp->commit;
    /* Segments after the commit point hold only uncommitted records. */
    const unsigned keep = wt__spool_seg_find(sp, c.segment + 1);
    bool removed = false;
    while (rc == 0 && sp->nsegs > keep) {
        rc = seg_discard(sp, sp->nsegs - 1);
        removed = true;
    }
    struct seg *s = keep > 0 ? &sp->segs[keep - 1] : NULL;
    if (rc == 0 && s && s->id == c.segment && s->size > c.offset) {
        char name[NAME_BUF];
        wt__spool_seg_name(name, s->id, "");
        if (s->fd < 0)
            s->fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (s->fd < 0 || ftruncate(s->fd, (off_t)c.offset) != 0 || fdatasync(s->fd) != 0) {
            rc = -errno;
        } else {
            sp->bytes -= s->size - c.offset;
            s->size = s->synced = c.offset;
            s->records = sp->commit_records;
            s->events = sp->commit_events;
            s->end_seq = sp->commit_end_seq;
        }
    }
    /* Deletes must be durable before the same numbers are used again. */
    if (rc == 0 && removed && fsync(sp->dirfd) != 0)
        rc = -errno;
    if (rc == 0)
        sp->next_seq = sp->commit_end_seq;
    /* After a failed fsync nothing more is written to that file: a new
     * segment takes the next records. */
    if (rc == 0 && (sp->broken || sp->nsegs == 0)) {
        rc = wt__spool_seg_create(sp);
        if (rc == 0 && sp->nsegs > 1) {
            struct seg *old = &sp->segs[sp->nsegs - 2];
            if (old->synced >= old->size)
                wt__spool_close_fd(&old->fd);
        }
    }
    if (rc == 0)
        sp->broken = 0;
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Move *pos onto a readable record start: past the end of sealed segments
 * and over deleted ones. @returns the segment index, or -EINVAL for a
 * position past the end of the spool.
 */
static int locate(const struct wt_spool *sp, struct wt_spool_pos *pos)
{
    unsigned i = wt__spool_seg_find(sp, pos->segment);
    if (i == sp->nsegs)
        return -EINVAL;
    if (sp->segs[i].id != pos->segment || pos->offset < SEG_HDR)
        *pos = (struct wt_spool_pos){sp->segs[i].id, SEG_HDR};
    wt__spool_hole_skip(sp, pos); /* damage found at open, reported then */
    while (pos->offset >= sp->segs[i].size && i + 1 < sp->nsegs) {
        i++;
        *pos = (struct wt_spool_pos){sp->segs[i].id, SEG_HDR};
        wt__spool_hole_skip(sp, pos);
    }
    if (pos->offset > sp->segs[i].size)
        return -EINVAL;
    return (int)i;
}

/* A descriptor to read segment i for a sink. @returns it or -errno. */
static int read_fd(struct wt_spool *sp, unsigned sink, unsigned i)
{
    struct seg *s = &sp->segs[i];
    struct sink *k = &sp->sinks[sink];
    char name[NAME_BUF];
    if (s->fd >= 0)
        return s->fd;
    if (k->rfd >= 0 && k->rseg == s->id)
        return k->rfd;
    wt__spool_close_fd(&k->rfd);
    wt__spool_seg_name(name, s->id, "");
    k->rfd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (k->rfd < 0)
        return -errno;
    k->rseg = s->id;
    return k->rfd;
}

/* Read and check the record at pos in segment i. */
static int read_record(struct wt_spool *sp, unsigned sink, unsigned i,
                       const struct wt_spool_pos *pos, struct wt_spool_rec *out, void *buf,
                       size_t cap)
{
    const struct seg *s = &sp->segs[i];
    unsigned char h[REC_HDR];
    int fd = read_fd(sp, sink, i);
    if (fd < 0)
        return fd;
    ssize_t r = wt_pread_full(fd, h, REC_HDR, pos->offset);
    if (r < 0)
        return (int)r;
    if (r != REC_HDR || !wt__spool_rec_hdr_plausible(h, pos->offset, s->size))
        return WT_EPARSE;
    rec_hdr_decode(h, out);
    const uint32_t plen = wt__spool_rec_plen(h);
    out->pos = *pos;
    out->next = (struct wt_spool_pos){s->id, pos->offset + REC_HDR + plen + out->len};
    if (out->len > cap)
        return WT_EFULL;
    unsigned char pbuf[WT_SPOOL_MAX_SRCPOS * SRCPOS];
    r = wt_pread_full(fd, pbuf, plen, pos->offset + REC_HDR);
    if (r < 0)
        return (int)r;
    if ((size_t)r != plen)
        return WT_EPARSE;
    r = wt_pread_full(fd, buf, out->len, pos->offset + REC_HDR + plen);
    if (r < 0)
        return (int)r;
    uint32_t crc = wt_crc32c(wt__spool_rec_hdr_crc(h), pbuf, plen);
    if ((size_t)r != out->len || wt_crc32c(crc, buf, out->len) != wt__spool_get32(h + 8))
        return WT_EPARSE;
    return 0;
}

/*
 * The record at *p is damaged: point *next at the next whole record after
 * it in segment i, if there is one before the end of committed data.
 * Best effort: on any error *next stays where it is.
 */
static void resync_after(struct wt_spool *sp, unsigned sink, unsigned i,
                         const struct wt_spool_pos *p, struct wt_spool_pos *next)
{
    const struct seg *s = &sp->segs[i];
    const uint64_t end = i + 1 == sp->nsegs ? sp->commit.offset : s->size;
    unsigned char *chunk = wt_malloc(SCAN_CHUNK);
    struct rchk c;
    uint64_t at;
    const int fd = read_fd(sp, sink, i);
    if (chunk && fd >= 0 && wt__spool_resync(fd, p->offset + 1, end, 0, chunk, &at, &c) == 1)
        *next = (struct wt_spool_pos){s->id, at};
    wt_free(chunk);
}

int wt_spool_next(struct wt_spool *sp, unsigned sink, struct wt_spool_pos *pos,
                  struct wt_spool_rec *out, void *buf, size_t cap)
{
    if (sink >= sp->nsinks)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&sp->lock);
    struct wt_spool_pos p = *pos;
    int i = locate(sp, &p);
    int rc = i < 0 ? i : 0;
    if (rc == 0 && pos_cmp(&p, &sp->commit) >= 0)
        rc = WT_EAGAIN;
    if (rc == 0)
        rc = read_record(sp, sink, (unsigned)i, &p, out, buf, cap);
    if (rc == 0) {
        *pos = out->next;
    } else if (rc == WT_EPARSE) {
        /* Damaged since open: resume at the next whole record of this
         * segment (committed data only), else at the next segment. */
        const unsigned u = (unsigned)i;
        out->pos = p;
        if (u + 1 < sp->nsegs)
            out->next = (struct wt_spool_pos){sp->segs[u + 1].id, SEG_HDR};
        else
            out->next = (struct wt_spool_pos){sp->segs[u].id, sp->commit.offset};
        resync_after(sp, sink, u, &p, &out->next);
        *pos = p;
    } else if (rc == WT_EAGAIN || rc == WT_EFULL) {
        *pos = p; /* same place, normalised */
    }
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Cursors                                                                  */
/* ------------------------------------------------------------------------ */

int wt_spool_cursor(const struct wt_spool *sp, unsigned sink, struct wt_spool_pos *out)
{
    pthread_mutex_t *lk = (pthread_mutex_t *)&sp->lock;
    if (sink >= sp->nsinks)
        return -EINVAL;
    pthread_mutex_lock(lk);
    *out = sp->sinks[sink].cur;
    pthread_mutex_unlock(lk);
    return 0;
}

static int ack(struct wt_spool *sp, unsigned sink, const struct wt_spool_pos *after,
               const uint64_t *aux)
{
    int rc = 0;
    if (sink >= sp->nsinks)
        return -EINVAL;
    pthread_mutex_lock(&sp->lock);
    struct sink *k = &sp->sinks[sink];
    if (pos_cmp(after, &sp->commit) > 0) {
        rc = -EINVAL;
    } else if (pos_cmp(after, &k->cur) > 0) {
        k->cur = *after;
        k->dirty = true;
        if (aux) {
            k->aux = *aux;
            k->has_aux = true;
        }
        rc = wt__spool_gc(sp);
    }
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

int wt_spool_ack(struct wt_spool *sp, unsigned sink, const struct wt_spool_pos *after)
{
    return ack(sp, sink, after, NULL);
}

int wt_spool_ack_aux(struct wt_spool *sp, unsigned sink, const struct wt_spool_pos *after,
                     uint64_t aux)
{
    return ack(sp, sink, after, &aux);
}

int wt_spool_set_aux(struct wt_spool *sp, unsigned sink, uint64_t aux)
{
    if (sink >= sp->nsinks)
        return -EINVAL;
    pthread_mutex_lock(&sp->lock);
    sp->sinks[sink].aux = aux;
    sp->sinks[sink].has_aux = true;
    sp->sinks[sink].dirty = true;
    pthread_mutex_unlock(&sp->lock);
    return 0;
}

int wt_spool_cursor_aux(const struct wt_spool *sp, unsigned sink, uint64_t *aux)
{
    pthread_mutex_t *lk = (pthread_mutex_t *)&sp->lock;
    if (sink >= sp->nsinks)
        return -EINVAL;
    pthread_mutex_lock(lk);
    int has = sp->sinks[sink].has_aux;
    *aux = sp->sinks[sink].aux;
    pthread_mutex_unlock(lk);
    return has;
}

void wt_spool_keep_from(struct wt_spool *sp, uint64_t seq)
{
    pthread_mutex_lock(&sp->lock);
    sp->keep_seq = seq;
    wt__spool_gc(sp); /* a failed delete is retried at the next ack */
    pthread_mutex_unlock(&sp->lock);
}

uint64_t wt_spool_next_seq(const struct wt_spool *sp)
{
    pthread_mutex_t *lk = (pthread_mutex_t *)&sp->lock;
    pthread_mutex_lock(lk);
    uint64_t n = sp->next_seq;
    pthread_mutex_unlock(lk);
    return n;
}

size_t wt_spool_srcpos(const struct wt_spool *sp, struct wt_srcpos *out, size_t cap)
{
    for (size_t i = 0; i < sp->nsrcpos && i < cap; i++)
        out[i] = sp->srcpos[i];
    return sp->nsrcpos;
}

/*
 * Cursor file: one line "WTC2 <segment: 16 hex> <offset: decimal> <aux:
 * decimal> <crc: 8 hex>\n", or "WTC1 <segment> <offset> <crc>\n" when the
 * sink stores no aux (format 1, still read). The CRC32C covers the text
 * before its separating space.
 */
static size_t cursor_encode(char *buf, size_t cap, const struct wt_spool_pos *p, bool has_aux,
                            uint64_t aux)
{
    int n;
    if (has_aux)
        n = snprintf(buf, cap, "WTC2 %016" PRIx64 " %" PRIu64 " %" PRIu64, p->segment, p->offset,
                     aux);
    else
        n = snprintf(buf, cap, "WTC1 %016" PRIx64 " %" PRIu64, p->segment, p->offset);
    uint32_t crc = wt_crc32c(0, buf, (size_t)n);
    n += snprintf(buf + n, cap - (size_t)n, " %08" PRIx32 "\n", crc);
    return (size_t)n;
}

/* A decimal without leading zeros at s[*i]; false on overflow or none. */
static bool parse_dec(const char *s, size_t n, size_t *i, uint64_t *out)
{
    uint64_t v = 0;
    size_t digits = 0;
    for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++, digits++) {
        if (digits == 19 || (v == 0 && digits > 0))
            return false; /* overflow or a leading zero */
        v = v * 10 + (uint64_t)(s[*i] - '0');
    }
    *out = v;
    return digits > 0;
}

static bool cursor_decode(const char *s, size_t n, struct wt_spool_pos *p, bool *has_aux,
                          uint64_t *aux)
{
    uint64_t seg, off = 0, crc, a = 0;
    size_t i = 22;
    bool v2 = n >= 5 && memcmp(s, "WTC2 ", 5) == 0;
    if (n < 5 + 16 + 1 + 1 + 1 + 8 + 1 || (!v2 && memcmp(s, "WTC1 ", 5) != 0) ||
        !parse_hex(s + 5, 16, &seg) || s[21] != ' ' || !parse_dec(s, n, &i, &off))
        return false;
    if (v2 && (i >= n || s[i] != ' '))
        return false;
    if (v2) {
        i++;
        if (!parse_dec(s, n, &i, &a))
            return false;
    }
    if (n != i + 10 || s[i] != ' ' || !parse_hex(s + i + 1, 8, &crc) || s[n - 1] != '\n' ||
        crc != wt_crc32c(0, s, i))
        return false;
    *p = (struct wt_spool_pos){seg, off};
    *has_aux = v2;
    *aux = a;
    return true;
}

/* Read cursor-<name>. @returns 1 found, 0 absent, WT_EPARSE damaged, -errno. */
int wt__spool_cursor_load(struct wt_spool *sp, unsigned k, struct wt_spool_pos *p)
{
    char name[NAME_BUF], buf[CURSOR_FILE_MAX + 1];
    cursor_name(name, sp->sinks[k].name);
    int fd = wt_state_open(sp->dirfd, name);
    if (fd == WT_ESYMLINK || fd == WT_ENOTREG) {
        /* A planted symlink is no cursor: damaged, rewritten at the next sync. */
        return WT_EPARSE;
    }
    if (fd < 0)
        return fd == -ENOENT ? 0 : fd;
    ssize_t r = wt_pread_full(fd, buf, sizeof(buf), 0);
    close(fd);
    if (r < 0)
        return (int)r;
    return cursor_decode(buf, (size_t)r, p, &sp->sinks[k].has_aux, &sp->sinks[k].aux) ? 1
                                                                                      : WT_EPARSE;
}

/* Write cursor-<name> by temp file, fdatasync and rename (no dir fsync). */
static int cursor_store(int dirfd, const char *sink, const struct wt_spool_pos *p, bool has_aux,
                        uint64_t aux)
{
    char tmp[NAME_BUF], dst[NAME_BUF], buf[CURSOR_FILE_MAX], prefix[NAME_BUF];
    cursor_name(dst, sink);
    /* A new file under a unique name: nothing planted in the directory is
     * ever opened for writing, and rename replaces a symlink at dst itself. */
    snprintf(prefix, sizeof(prefix), "." CURSOR_PREFIX "%s.", sink);
    size_t n = cursor_encode(buf, sizeof(buf), p, has_aux, aux);
    int fd = wt_create_unique(dirfd, prefix, ".tmp", tmp, sizeof(tmp));
    if (fd < 0)
        return fd;
    struct iovec iov = {buf, n};
    int rc = pwritev_full(fd, &iov, 1, 0);
    if (rc == 0 && fdatasync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(dirfd, tmp, dirfd, dst) != 0)
        rc = -errno;
    if (rc != 0)
        unlinkat(dirfd, tmp, 0);
    return rc;
}

int wt_spool_sync_cursors(struct wt_spool *sp)
{
    struct wt_spool_pos pos[WT_SPOOL_MAX_SINKS];
    bool want[WT_SPOOL_MAX_SINKS], has_aux[WT_SPOOL_MAX_SINKS];
    uint64_t aux[WT_SPOOL_MAX_SINKS];
    unsigned n = 0;
    int rc = 0;

    pthread_mutex_lock(&sp->sync_lock);
    pthread_mutex_lock(&sp->lock);
    for (unsigned k = 0; k < sp->nsinks; k++) {
        want[k] = sp->sinks[k].dirty;
        pos[k] = sp->sinks[k].cur;
        has_aux[k] = sp->sinks[k].has_aux;
        aux[k] = sp->sinks[k].aux;
        sp->sinks[k].dirty = false;
        n += want[k];
    }
    pthread_mutex_unlock(&sp->lock);

    /* Names are fixed at open: no lock needed to read them. */
    for (unsigned k = 0; k < sp->nsinks; k++) {
        if (!want[k])
            continue;
        int r = cursor_store(sp->dirfd, sp->sinks[k].name, &pos[k], has_aux[k], aux[k]);
        if (r != 0) {
            want[k] = false;
            if (rc == 0)
                rc = r;
            pthread_mutex_lock(&sp->lock);
            sp->sinks[k].dirty = true;
            pthread_mutex_unlock(&sp->lock);
        }
    }
    if (n > 0 && fsync(sp->dirfd) != 0 && rc == 0) {
        rc = -errno;
        pthread_mutex_lock(&sp->lock);
        for (unsigned k = 0; k < sp->nsinks; k++)
            if (want[k])
                sp->sinks[k].dirty = true;
        pthread_mutex_unlock(&sp->lock);
    } else if (n > 0) {
        /* Persisted: segments behind these cursors may go now. */
        pthread_mutex_lock(&sp->lock);
        for (unsigned k = 0; k < sp->nsinks; k++)
            if (want[k] && pos_cmp(&pos[k], &sp->sinks[k].durable) > 0)
                sp->sinks[k].durable = pos[k];
        wt__spool_gc(sp);
        pthread_mutex_unlock(&sp->lock);
    }
    pthread_mutex_unlock(&sp->sync_lock);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Expiry and accounting                                                    */
/* ------------------------------------------------------------------------ */

int wt_spool_expire(struct wt_spool *sp, int64_t older_than_ms, struct wt_spool_expired *out)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&sp->lock);
    unsigned i = 0;
    while (i + 1 < sp->nsegs) {
        const struct seg s = sp->segs[i];
        if (s.has_ts && s.ts_max >= older_than_ms) {
            i++;
            continue;
        }
        rc = seg_drop(sp, i);
        if (rc != 0)
            break;
        for (unsigned k = 0; k < sp->nsinks; k++) {
            struct wt_spool_pos *c = &sp->sinks[k].cur;
            if (c->segment == s.id) {
                /* segs[i] is now the segment after the dropped one. */
                *c = (struct wt_spool_pos){sp->segs[i].id, SEG_HDR};
                sp->sinks[k].dirty = true;
            }
        }
        out->segments++;
        out->records += s.records;
        out->events += s.events;
        out->bytes += s.size;
    }
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

bool wt_spool_full(const struct wt_spool *sp, size_t next_len)
{
    pthread_mutex_t *lk = (pthread_mutex_t *)&sp->lock;
    bool roll, full;
    if (next_len > WT_SPOOL_RECORD_MAX)
        return true;
    pthread_mutex_lock(lk);
    full = !room_for(sp, REC_HDR + (uint64_t)next_len, &roll) &&
           !(sp->segs[sp->nsegs - 1].records > 0 && all_consumed(sp) &&
             SEG_HDR + REC_HDR + (uint64_t)next_len <= sp->max_bytes);
    pthread_mutex_unlock(lk);
    return full;
}

uint64_t wt_spool_bytes(const struct wt_spool *sp)
{
    pthread_mutex_t *lk = (pthread_mutex_t *)&sp->lock;
    pthread_mutex_lock(lk);
    uint64_t b = sp->bytes;
    pthread_mutex_unlock(lk);
    return b;
}

uint64_t wt_spool_pending(const struct wt_spool *sp, unsigned sink)
{
    pthread_mutex_t *lk = (pthread_mutex_t *)&sp->lock;
    uint64_t n = 0;
    if (sink >= sp->nsinks)
        return 0;
    pthread_mutex_lock(lk);
    const struct wt_spool_pos c = sp->sinks[sink].cur;
    for (unsigned i = wt__spool_seg_find(sp, c.segment); i < sp->nsegs; i++) {
        const struct seg *s = &sp->segs[i];
        uint64_t from = s->id == c.segment && c.offset > SEG_HDR ? c.offset : SEG_HDR;
        n += s->size > from ? s->size - from : 0;
    }
    pthread_mutex_unlock(lk);
    return n;
}
