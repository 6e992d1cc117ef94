/*
 * spool_read.c - the sinks' side of the spool: reading records from a
 * sink's cursor (holes and damaged records skipped), acks, the cursor files
 * (cursor-<sink>, written by temp file and rename), and expiry and
 * accounting (bytes held, batches pending per sink). The format, segment
 * table, append and commit are in spool.c, opening and recovery in
 * spool_recover.c; docs/spool.md has the format and the guarantees.
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
    wt__spool_rec_hdr_decode(h, out);
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
    if (rc == 0 && wt__spool_pos_cmp(&p, &sp->commit) >= 0)
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
    if (wt__spool_pos_cmp(after, &sp->commit) > 0) {
        rc = -EINVAL;
    } else if (wt__spool_pos_cmp(after, &k->cur) > 0) {
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
        !wt__spool_parse_hex(s + 5, 16, &seg) || s[21] != ' ' || !parse_dec(s, n, &i, &off))
        return false;
    if (v2 && (i >= n || s[i] != ' '))
        return false;
    if (v2) {
        i++;
        if (!parse_dec(s, n, &i, &a))
            return false;
    }
    if (n != i + 10 || s[i] != ' ' || !wt__spool_parse_hex(s + i + 1, 8, &crc) ||
        s[n - 1] != '\n' || crc != wt_crc32c(0, s, i))
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
    wt__spool_cursor_name(name, sp->sinks[k].name);
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
    wt__spool_cursor_name(dst, sink);
    /* A new file under a unique name: nothing planted in the directory is
     * ever opened for writing, and rename replaces a symlink at dst itself. */
    snprintf(prefix, sizeof(prefix), "." CURSOR_PREFIX "%s.", sink);
    size_t n = cursor_encode(buf, sizeof(buf), p, has_aux, aux);
    int fd = wt_create_unique(dirfd, prefix, ".tmp", tmp, sizeof(tmp));
    if (fd < 0)
        return fd;
    struct iovec iov = {buf, n};
    int rc = wt__spool_pwritev_full(fd, &iov, 1, 0);
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
            if (want[k] && wt__spool_pos_cmp(&pos[k], &sp->sinks[k].durable) > 0)
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
        rc = wt__spool_seg_drop(sp, i);
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
    full = !wt__spool_room_for(sp, REC_HDR + (uint64_t)next_len, &roll) &&
           !(sp->segs[sp->nsegs - 1].records > 0 && wt__spool_all_consumed(sp) &&
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
