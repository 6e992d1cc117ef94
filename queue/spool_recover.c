/*
 * spool_recover.c - opening the spool: options checked, the directory locked,
 * every segment scanned, torn or corrupt tails cut, sink cursors placed
 * (docs/spool.md "Recovery"). The rest of the spool is in spool.c.
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
/* Open and recovery                                                        */
/* ------------------------------------------------------------------------ */

static bool sink_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > WT_SPOOL_SINK_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static int check_opts(struct wt_spool *sp, const struct wt_spool_opts *o, char *err, size_t errlen)
{
    sp->segment_bytes = o->segment_bytes ? o->segment_bytes : WT_SPOOL_SEGMENT_BYTES_DEFAULT;
    sp->max_bytes = o->max_bytes ? o->max_bytes : WT_SPOOL_MAX_BYTES_DEFAULT;
    if (!o->dir || !o->dir[0]) {
        snprintf(err, errlen, "spool: no directory");
        return WT_ECONFIG;
    }
    if (sp->segment_bytes < WT_SPOOL_SEGMENT_BYTES_MIN ||
        sp->segment_bytes > WT_SPOOL_SEGMENT_BYTES_MAX) {
        snprintf(err, errlen, "spool: segment_bytes %" PRIu64 " out of range %llu..%llu",
                 sp->segment_bytes, WT_SPOOL_SEGMENT_BYTES_MIN, WT_SPOOL_SEGMENT_BYTES_MAX);
        return WT_ECONFIG;
    }
    if (sp->max_bytes < sp->segment_bytes) {
        snprintf(err, errlen, "spool: max_bytes %" PRIu64 " below segment_bytes %" PRIu64,
                 sp->max_bytes, sp->segment_bytes);
        return WT_ECONFIG;
    }
    if (o->nsinks == 0 || o->nsinks > WT_SPOOL_MAX_SINKS || !o->sink_names) {
        snprintf(err, errlen, "spool: %u sinks, need 1..%d", o->nsinks, WT_SPOOL_MAX_SINKS);
        return WT_ECONFIG;
    }
    for (unsigned k = 0; k < o->nsinks; k++) {
        const char *name = o->sink_names[k];
        if (!sink_name_ok(name)) {
            snprintf(err, errlen, "spool: bad sink name \"%s\" (1..%d of [A-Za-z0-9_.-])",
                     name ? name : "", WT_SPOOL_SINK_NAME_MAX);
            return WT_ECONFIG;
        }
        for (unsigned j = 0; j < k; j++) {
            if (strcmp(name, o->sink_names[j]) == 0) {
                snprintf(err, errlen, "spool: sink name \"%s\" given twice", name);
                return WT_ECONFIG;
            }
        }
        snprintf(sp->sinks[k].name, sizeof(sp->sinks[k].name), "%s", name);
    }
    sp->nsinks = o->nsinks;
    return 0;
}

static int open_dir(struct wt_spool *sp, const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        int rc = -errno;
        snprintf(err, errlen, "spool: cannot create %s: %s", dir, strerror(-rc));
        return rc;
    }
    sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sp->dirfd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "spool: cannot open %s: %s", dir, strerror(-rc));
        return rc;
    }
    if (flock(sp->dirfd, LOCK_EX | LOCK_NB) != 0) {
        int rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
        snprintf(err, errlen, "spool: %s is in use by another process", dir);
        return rc;
    }
    return 0;
}

static int id_cmp(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Collect segment ids, sorted; drop stale cursor temp files. */
static int list_dir(struct wt_spool *sp, uint64_t **ids, unsigned *n, char *err, size_t errlen)
{
    unsigned cap = 0;
    int rc = 0;
    *ids = NULL;
    *n = 0;
    int fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "spool: cannot list the directory: %s", strerror(-rc));
        return rc;
    }
    for (;;) {
        errno = 0;
        const struct dirent *e = readdir(d);
        uint64_t id;
        if (!e) {
            rc = -errno;
            break;
        }
        const size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "." CURSOR_PREFIX, sizeof(CURSOR_PREFIX)) == 0 && len > 4 &&
            strcmp(e->d_name + len - 4, ".tmp") == 0) {
            unlinkat(sp->dirfd, e->d_name, 0);
            continue;
        }
        if (!wt__spool_parse_seg_name(e->d_name, &id))
            continue;
        if (*n == WT_SPOOL_MAX_SEGMENTS) {
            snprintf(err, errlen, "spool: more than %d segment files", WT_SPOOL_MAX_SEGMENTS);
            rc = WT_EFULL;
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *p = wt_realloc(*ids, cap * sizeof(*p));
            if (!p) {
                rc = -ENOMEM;
                break;
            }
            *ids = p;
        }
        (*ids)[(*n)++] = id;
    }
    closedir(d);
    if (rc == 0 && *n > 1)
        qsort(*ids, *n, sizeof(**ids), id_cmp);
    if (rc != 0 && err[0] == '\0')
        snprintf(err, errlen, "spool: cannot list the directory: %s", wt_strerror(rc));
    return rc;
}

/* Load every sink's cursor file; a damaged one means "from the oldest". */
static int load_cursors(struct wt_spool *sp, struct wt_spool_recovery *rec, char *err,
                        size_t errlen)
{
    for (unsigned k = 0; k < sp->nsinks; k++) {
        struct sink *s = &sp->sinks[k];
        int rc = wt__spool_cursor_load(sp, k, &s->cur);
        if (rc == WT_EPARSE)
            rec->bad_cursors |= 1U << k;
        if (rc == 0 || rc == WT_EPARSE) {
            s->oldest = true; /* placed once the segments are known */
            s->dirty = rc == WT_EPARSE;
        } else if (rc < 0) {
            snprintf(err, errlen, "spool: cannot read the cursor of sink %s: %s", s->name,
                     wt_strerror(rc));
            return rc;
        }
    }
    return 0;
}

/* During the scan: a cursor in segment id at or before boundary b lands on b. */
static void place_cursors(struct wt_spool *sp, uint64_t id, uint64_t b,
                          struct wt_spool_recovery *rec)
{
    for (unsigned k = 0; k < sp->nsinks; k++) {
        struct sink *s = &sp->sinks[k];
        if (s->placed || s->oldest || s->cur.segment != id || s->cur.offset > b)
            continue;
        if (s->cur.offset != b)
            rec->cursors_clamped++;
        s->cur.offset = b;
        s->placed = true;
    }
}

/*
 * Keep the newest position of each (dev, ino, gen): records are scanned in
 * order, so the last one wins. The table is bounded; past it, positions of
 * generations not seen yet are counted but not kept (their files then resume
 * from the checkpoint).
 */
static void remember_srcpos(struct wt_spool *sp, const unsigned char *p)
{
    struct wt_srcpos a;
    wt__spool_srcpos_decode(p, &a);
    for (size_t i = sp->nsrcpos; i-- > 0;) {
        struct wt_srcpos *e = &sp->srcpos[i];
        if (e->dev == a.dev && e->ino == a.ino && e->gen == a.gen) {
            *e = a;
            return;
        }
    }
    sp->srcpos_total++;
    if (sp->nsrcpos == WT_SPOOL_SRCPOS_TABLE)
        return;
    if (!sp->srcpos) {
        sp->srcpos = wt_calloc(WT_SPOOL_SRCPOS_TABLE, sizeof(*sp->srcpos));
        if (!sp->srcpos)
            return;
    }
    sp->srcpos[sp->nsrcpos++] = a;
}

/* ------------------------------------------------------------------------ */
/* Checking records, resynchronising after damage                          */
/* ------------------------------------------------------------------------ */

int wt__spool_rec_check(int fd, uint64_t off, uint64_t fsize, unsigned char *chunk, struct rchk *c)
{
    ssize_t r = wt_pread_full(fd, c->h, REC_HDR, off);
    if (r < 0)
        return (int)r;
    if (r != REC_HDR || !wt__spool_rec_hdr_plausible(c->h, off, fsize))
        return 0;
    c->len = wt__spool_get32(c->h + 4);
    c->plen = wt__spool_rec_plen(c->h);
    c->seq = wt__spool_get64(c->h + 12);
    uint32_t crc = wt__spool_rec_hdr_crc(c->h), done = 0;
    r = wt_pread_full(fd, c->pos, c->plen, off + REC_HDR);
    if (r < 0)
        return (int)r;
    if ((size_t)r != c->plen)
        return 0;
    crc = wt_crc32c(crc, c->pos, c->plen);
    while (done < c->len) {
        const size_t want = c->len - done < SCAN_CHUNK ? c->len - done : SCAN_CHUNK;
        r = wt_pread_full(fd, chunk, want, off + REC_HDR + c->plen + done);
        if (r < 0)
            return (int)r;
        if ((size_t)r != want)
            return 0; /* the file shrank under us */
        crc = wt_crc32c(crc, chunk, want);
        done += (uint32_t)want;
    }
    return crc == wt__spool_get32(c->h + 8);
}

/*
 * Scan forward from `from` for the next record that is whole: its magic,
 * plausible lengths, a CRC over all of it, and a sequence number of at least
 * min_seq (an older one is a stale copy). Candidates are only offsets where
 * a record magic starts, so the cost is one read of the damaged range plus
 * one CRC per false candidate. @returns 1 (*at, *c), 0 none, or -errno.
 */
int wt__spool_resync(int fd, uint64_t from, uint64_t fsize, uint64_t min_seq, unsigned char *chunk,
                     uint64_t *at, struct rchk *c)
{
    enum { WIN = 4096 };
    unsigned char w[WIN + 3];
    for (uint64_t o = from; o + REC_HDR <= fsize; o += WIN) {
        const ssize_t r = wt_pread_full(fd, w, sizeof(w), o);
        if (r < 0)
            return (int)r;
        for (ssize_t i = 0; i + 4 <= r && i < WIN; i++) {
            if (w[i] != 'W' || w[i + 1] != 'T' || w[i + 2] != 'R' ||
                (w[i + 3] != '1' && w[i + 3] != '2'))
                continue;
            const int v = wt__spool_rec_check(fd, o + (uint64_t)i, fsize, chunk, c);
            if (v < 0)
                return v;
            if (v == 1 && c->seq >= min_seq) {
                *at = o + (uint64_t)i;
                return 1;
            }
        }
    }
    return 0;
}

/*
 * Count what a damaged range [from, to) held by walking the headers that
 * still chain (plausible, consecutive sequence numbers from seq).
 * *exact: the chain covers the range to the byte.
 */
static void damaged_count(int fd, uint64_t from, uint64_t to, uint64_t seq, uint64_t *records,
                          uint64_t *events, bool *exact)
{
    unsigned char h[REC_HDR];
    uint64_t o = from, n = 0, e = 0;
    while (o < to) {
        if (wt_pread_full(fd, h, REC_HDR, o) != REC_HDR || !wt__spool_rec_hdr_plausible(h, o, to) ||
            wt__spool_get64(h + 12) != seq + n)
            break;
        e += wt__spool_get32(h + 36);
        n++;
        o += REC_HDR + (uint64_t)wt__spool_rec_plen(h) + wt__spool_get32(h + 4);
    }
    *records = n;
    *events = e;
    *exact = o == to;
}

static void report(struct wt_spool_recovery *rec, const struct wt_spool_opts *o,
                   const struct wt_spool_damage *d)
{
    rec->damages++;
    rec->lost_records += d->records;
    rec->lost_events += d->events;
    if (o->on_damage)
        o->on_damage(o->damage_ctx, d);
}

void wt__spool_hole_skip(const struct wt_spool *sp, struct wt_spool_pos *pos)
{
    for (unsigned i = 0; i < sp->nholes; i++) {
        const struct hole *h = &sp->holes[i];
        if (h->seg == pos->segment && pos->offset >= h->start && pos->offset < h->end)
            pos->offset = h->end;
    }
}

void wt__spool_holes_drop(struct wt_spool *sp, uint64_t seg)
{
    unsigned j = 0;
    for (unsigned i = 0; i < sp->nholes; i++)
        if (sp->holes[i].seg != seg)
            sp->holes[j++] = sp->holes[i];
    sp->nholes = j;
}

/*
 * Corrupt bytes [off, at) of segment s, followed by a good record with
 * sequence number seq_at, where expect was due: remember the hole for the
 * readers, move cursors inside it to its end, report it.
 */
static void hole_found(struct wt_spool *sp, struct seg *s, int fd, uint64_t off, uint64_t at,
                       uint64_t expect, uint64_t seq_at, struct wt_spool_recovery *rec,
                       const struct wt_spool_opts *o)
{
    struct wt_spool_damage d = {.kind = WT_SPOOL_DAMAGE_RECORDS,
                                .segment = s->id,
                                .offset = off,
                                .bytes = at - off,
                                .records = seq_at - expect,
                                .records_known = true};
    uint64_t n;
    bool exact;
    damaged_count(fd, off, at, expect, &n, &d.events, &exact);
    d.events_known = exact && n == d.records;
    if (s->guessed && s->records == 0 && off == SEG_HDR)
        d.records_known = false; /* what came before the first whole record is unknown */
    if (n > d.records) {
        /* A repaired header guessed first_seq: trust the chain. */
        d.records = n;
        d.records_known = exact;
    }
    for (unsigned k = 0; k < sp->nsinks; k++) {
        struct sink *c = &sp->sinks[k];
        if (!c->placed && !c->oldest && c->cur.segment == s->id && c->cur.offset >= off &&
            c->cur.offset <= at) {
            c->cur.offset = at; /* a sink that stood at the damage: not clamped */
            c->placed = true;
        }
    }
    if (at > off && sp->nholes < MAX_HOLES) {
        if (!sp->holes)
            sp->holes = wt_calloc(MAX_HOLES, sizeof(*sp->holes));
        if (sp->holes)
            sp->holes[sp->nholes++] = (struct hole){s->id, off, at};
    }
    report(rec, o, &d);
}

/*
 * Walk the records of segment s (file fd, fsize bytes), checking each fully.
 * A bad record is skipped alone: the walk resynchronises on the next whole
 * record with a sequence number at least the one due. Damage with no whole
 * record after it is the tail, cut by the caller.
 * @returns the offset after the last good record, or -errno on I/O errors.
 */
static int64_t scan_records(struct wt_spool *sp, struct seg *s, int fd, uint64_t fsize,
                            unsigned char *chunk, struct wt_spool_recovery *rec,
                            const struct wt_spool_opts *o)
{
    uint64_t off = SEG_HDR, expect = s->first_seq;
    struct rchk c;
    while (off < fsize) {
        int v = wt__spool_rec_check(fd, off, fsize, chunk, &c);
        if (v < 0)
            return v;
        if (v == 0 || c.seq != expect) {
            uint64_t at;
            v = wt__spool_resync(fd, off, fsize, expect, chunk, &at, &c);
            if (v < 0)
                return v;
            if (v == 0)
                break;
            hole_found(sp, s, fd, off, at, expect, c.seq, rec, o);
            off = at;
            expect = c.seq;
        }
        for (uint32_t i = 0; i < c.plen; i += SRCPOS)
            remember_srcpos(sp, c.pos + i);
        place_cursors(sp, s->id, off, rec);
        const int64_t ts_max = (int64_t)wt__spool_get64(c.h + 28);
        if (!s->has_ts || ts_max > s->ts_max)
            s->ts_max = ts_max;
        s->has_ts = true;
        s->records++;
        s->events += wt__spool_get32(c.h + 36);
        off += REC_HDR + (uint64_t)c.plen + c.len;
        expect++;
    }
    s->end_seq = expect;
    if (off < fsize) {
        bool exact;
        damaged_count(fd, off, fsize, expect, &s->cut_records, &s->cut_events, &exact);
        s->cut_off = off;
        s->cut_bytes = fsize - off;
    }
    place_cursors(sp, s->id, off, rec);
    return (int64_t)off;
}

/* The previous kept segment when it is segment id - 1, else NULL. */
static const struct seg *prev_of(const struct wt_spool *sp, uint64_t id)
{
    if (sp->nsegs == 0 || sp->segs[sp->nsegs - 1].id + 1 != id)
        return NULL;
    return &sp->segs[sp->nsegs - 1];
}

/*
 * A segment header is bad but records follow it: rewrite the header from
 * what is known (the previous segment's end, or the first whole record) so
 * one flipped byte there costs nothing. @returns 1 repaired, 0 no whole
 * record (set the file aside), -errno.
 */
static int repair_header(struct wt_spool *sp, uint64_t id, int fd, uint64_t fsize,
                         unsigned char *chunk, uint64_t *first_seq, struct wt_spool_recovery *rec,
                         const struct wt_spool_opts *o)
{
    const struct seg *prev = prev_of(sp, id);
    const uint64_t min = prev ? prev->end_seq : 1;
    struct rchk c;
    uint64_t at;
    unsigned char h[SEG_HDR];
    int v = wt__spool_resync(fd, SEG_HDR, fsize, min, chunk, &at, &c);
    if (v <= 0)
        return v;
    *first_seq = prev ? prev->end_seq : c.seq;
    wt__spool_seg_hdr_encode(h, id, *first_seq);
    if (pwrite(fd, h, SEG_HDR, 0) != SEG_HDR)
        return errno ? -errno : -EIO;
    rec->repaired_headers++;
    const struct wt_spool_damage d = {.kind = WT_SPOOL_DAMAGE_HEADER,
                                      .segment = id,
                                      .bytes = SEG_HDR,
                                      .records_known = true,
                                      .events_known = true};
    report(rec, o, &d);
    return 1;
}

/* Ids of segments set aside during this open, for the report. */
struct setaside {
    uint64_t *ids;
    unsigned n, cap;
};

static int setaside_add(struct setaside *a, uint64_t id)
{
    if (a->n == a->cap) {
        unsigned cap = a->cap ? a->cap * 2 : 16;
        uint64_t *p = wt_realloc(a->ids, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        a->ids = p;
        a->cap = cap;
    }
    a->ids[a->n++] = id;
    return 0;
}

static bool setaside_has(const struct setaside *a, uint64_t id)
{
    for (unsigned i = 0; i < a->n; i++)
        if (a->ids[i] == id)
            return true;
    return false;
}

/*
 * After every segment is loaded: report cut tails, segments set aside and
 * segments missing between present ones. The sequence numbers tell what
 * was lost: the next segment's header holds the number of its first record.
 */
static void report_gaps(struct wt_spool *sp, const struct setaside *aside,
                        struct wt_spool_recovery *rec, const struct wt_spool_opts *o)
{
    unsigned reported = 0;
    for (unsigned i = 0; i < sp->nsegs; i++) {
        const struct seg *a = &sp->segs[i];
        const struct seg *b = i + 1 < sp->nsegs ? &sp->segs[i + 1] : NULL;
        const uint64_t gap = b && b->first_seq > a->end_seq ? b->first_seq - a->end_seq : 0;
        if (a->cut_bytes) {
            struct wt_spool_damage d = {.kind = WT_SPOOL_DAMAGE_TAIL,
                                        .segment = a->id,
                                        .offset = a->cut_off,
                                        .bytes = a->cut_bytes,
                                        .records = a->cut_records,
                                        .events = a->cut_events};
            if (b && b->id == a->id + 1) {
                /* A sealed segment: the next one says how many records. */
                d.records_known = true;
                d.events_known = gap == a->cut_records;
                d.records = gap;
            }
            report(rec, o, &d);
        }
        if (!b || b->id == a->id + 1)
            continue;
        uint64_t missing = 0, first_missing = 0, bad = 0;
        for (uint64_t id = a->id + 1; id < b->id && id - a->id <= WT_SPOOL_MAX_SEGMENTS; id++) {
            if (setaside_has(aside, id)) {
                bad++;
                continue;
            }
            if (!missing)
                first_missing = id;
            missing++;
        }
        for (uint64_t id = a->id + 1; id < b->id && bad; id++) {
            if (!setaside_has(aside, id))
                continue;
            const struct wt_spool_damage d = {.kind = WT_SPOOL_DAMAGE_SEGMENT,
                                              .segment = id,
                                              .records = missing == 0 && bad == 1 ? gap : 0,
                                              .records_known = missing == 0 && bad == 1};
            report(rec, o, &d);
            reported++;
        }
        /* Ids without records (torn creations, deleted) leave no sequence gap. */
        if (missing && gap) {
            const struct wt_spool_damage d = {.kind = WT_SPOOL_DAMAGE_MISSING,
                                              .segment = first_missing,
                                              .bytes = missing,
                                              .records = bad ? 0 : gap,
                                              .records_known = bad == 0};
            report(rec, o, &d);
        }
    }
    /* Set-aside segments before the first or after the last kept one. */
    for (unsigned j = 0; j < aside->n && reported < aside->n; j++) {
        const uint64_t id = aside->ids[j];
        const unsigned i = wt__spool_seg_find(sp, id);
        if (i > 0 && i < sp->nsegs)
            continue; /* between kept segments: reported above */
        const struct wt_spool_damage d = {.kind = WT_SPOOL_DAMAGE_SEGMENT, .segment = id};
        report(rec, o, &d);
    }
}

/*
 * Check one segment file and add it to the table, or set it aside. A file
 * with a bad header that is too short to hold a record is a torn creation
 * and is deleted; a longer one is renamed .bad for a human to look at.
 */
static int load_segment(struct wt_spool *sp, uint64_t id, unsigned char *chunk,
                        struct wt_spool_recovery *rec, const struct wt_spool_opts *o,
                        struct setaside *aside, char *err, size_t errlen)
{
    char name[NAME_BUF], bad[NAME_BUF];
    unsigned char h[SEG_HDR];
    struct stat st;
    uint64_t first_seq = 0;
    const unsigned repaired = rec->repaired_headers;
    int rc = wt__spool_seg_reserve(sp);
    if (rc != 0)
        return rc;
    wt__spool_seg_name(name, id, "");
    int fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ELOOP) {
        /* A symlink planted as a segment: recovery would write through it. */
        if (unlinkat(sp->dirfd, name, 0) != 0)
            return -errno;
        rec->symlinks_removed++;
        return 0;
    }
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = -errno;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        /* A FIFO or device planted under a segment's name: refused, untouched. */
        rc = WT_ENOTREG;
        goto fail;
    }
    ssize_t r = wt_pread_full(fd, h, SEG_HDR, 0);
    if (r < 0) {
        rc = (int)r;
        goto fail;
    }
    const uint64_t fsize = (uint64_t)st.st_size;
    if (r != SEG_HDR || !wt__spool_seg_hdr_valid(h, id, &first_seq)) {
        int v = fsize < SEG_HDR + REC_HDR
                    ? 0
                    : repair_header(sp, id, fd, fsize, chunk, &first_seq, rec, o);
        if (v < 0) {
            rc = v;
            goto fail;
        }
        if (v == 1)
            goto scan;
        close(fd);
        if (fsize < SEG_HDR + REC_HDR) {
            rec->cut_bytes += fsize;
            if (unlinkat(sp->dirfd, name, 0) != 0)
                return -errno;
            return 0;
        }
        wt__spool_seg_name(bad, id, ".bad");
        if (renameat(sp->dirfd, name, sp->dirfd, bad) != 0)
            return -errno;
        rec->bad_segments++;
        return setaside_add(aside, id);
    }
scan:;
    struct seg *s = &sp->segs[sp->nsegs];
    *s = (struct seg){.id = id, .first_seq = first_seq, .fd = -1};
    s->guessed = rec->repaired_headers > repaired && !prev_of(sp, id);
    const int64_t end = scan_records(sp, s, fd, fsize, chunk, rec, o);
    if (end < 0) {
        rc = (int)end;
        goto fail;
    }
    if ((uint64_t)end < fsize) {
        rec->cut_records++;
        rec->cut_bytes += fsize - (uint64_t)end;
        if (ftruncate(fd, (off_t)end) != 0) {
            rc = -errno;
            goto fail;
        }
    }
    /* From here on the segment is as good as committed. */
    if (fdatasync(fd) != 0) {
        rc = -errno;
        goto fail;
    }
    s->size = s->synced = (uint64_t)end;
    s->fd = fd;
    sp->nsegs++;
    sp->bytes += s->size;
    if (s->end_seq > sp->next_seq)
        sp->next_seq = s->end_seq; /* lost records' numbers are not handed out again */
    return 0;
fail:
    snprintf(err, errlen, "spool: %s: %s", name, wt_strerror(rc));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* After the scan: cursors not on a boundary of a kept segment are moved. */
static void clamp_cursors(struct wt_spool *sp, struct wt_spool_recovery *rec)
{
    const struct seg *a = wt__spool_active(sp);
    for (unsigned k = 0; k < sp->nsinks; k++) {
        struct sink *s = &sp->sinks[k];
        struct wt_spool_pos *c = &s->cur;
        if (s->placed)
            continue;
        s->placed = true;
        if (s->oldest) {
            *c = (struct wt_spool_pos){sp->segs[0].id, SEG_HDR};
            wt__spool_hole_skip(sp, c);
            continue;
        }
        const unsigned i = wt__spool_seg_find(sp, c->segment);
        if (i == sp->nsegs) {
            /* Past the newest segment: everything was read. */
            rec->cursors_clamped++;
            *c = (struct wt_spool_pos){a->id, a->size};
        } else if (sp->segs[i].id == c->segment) {
            /* Past the end of its (cut) segment: the first record after it. */
            rec->cursors_clamped++;
            if (i + 1 < sp->nsegs)
                *c = (struct wt_spool_pos){sp->segs[i + 1].id, SEG_HDR};
            else
                *c = (struct wt_spool_pos){a->id, a->size};
        } else {
            /* Absent, or in a deleted segment: the next segment's first record. */
            *c = (struct wt_spool_pos){sp->segs[i].id, SEG_HDR};
            wt__spool_hole_skip(sp, c);
        }
    }
}

static void spool_free(struct wt_spool *sp)
{
    for (unsigned i = 0; i < sp->nsegs; i++)
        wt__spool_close_fd(&sp->segs[i].fd);
    for (unsigned k = 0; k < WT_SPOOL_MAX_SINKS; k++)
        wt__spool_close_fd(&sp->sinks[k].rfd);
    wt__spool_close_fd(&sp->dirfd); /* releases the flock */
    pthread_mutex_destroy(&sp->lock);
    pthread_mutex_destroy(&sp->sync_lock);
    wt_free(sp->segs);
    wt_free(sp->srcpos);
    wt_free(sp->holes);
    wt_free(sp);
}

int wt_spool_open(struct wt_spool **out, const struct wt_spool_opts *o,
                  struct wt_spool_recovery *rec, char *err, size_t errlen)
{
    struct wt_spool_recovery local;
    char ebuf[1];
    uint64_t *ids = NULL;
    unsigned nids = 0;
    unsigned char *chunk = NULL;
    struct setaside aside = {NULL, 0, 0};
    int rc;

    *out = NULL;
    if (!rec)
        rec = &local;
    if (!err || errlen == 0) {
        err = ebuf;
        errlen = sizeof(ebuf);
    }
    memset(rec, 0, sizeof(*rec));
    err[0] = '\0';
    struct wt_spool *sp = wt_calloc(1, sizeof(*sp));
    if (!sp)
        return -ENOMEM;
    pthread_mutex_init(&sp->lock, NULL);
    pthread_mutex_init(&sp->sync_lock, NULL);
    sp->dirfd = -1;
    sp->next_seq = 1;
    sp->next_id = 1;
    for (unsigned k = 0; k < WT_SPOOL_MAX_SINKS; k++)
        sp->sinks[k].rfd = -1;

    rc = check_opts(sp, o, err, errlen);
    if (rc == 0)
        rc = open_dir(sp, o->dir, err, errlen);
    if (rc == 0)
        rc = list_dir(sp, &ids, &nids, err, errlen);
    if (rc == 0)
        rc = load_cursors(sp, rec, err, errlen);
    if (rc != 0)
        goto fail;
    chunk = wt_malloc(SCAN_CHUNK);
    if (!chunk) {
        rc = -ENOMEM;
        goto fail;
    }
    for (unsigned j = 0; j < nids; j++) {
        rc = load_segment(sp, ids[j], chunk, rec, o, &aside, err, errlen);
        if (rc != 0)
            goto fail;
    }
    report_gaps(sp, &aside, rec, o);
    if (nids > 0 && ids[nids - 1] >= sp->next_id)
        sp->next_id = ids[nids - 1] + 1;
    /* Sealed segments need no descriptor; the newest one stays active. */
    for (unsigned i = 0; i + 1 < sp->nsegs; i++)
        wt__spool_close_fd(&sp->segs[i].fd);
    if (sp->nsegs == 0) {
        rc = wt__spool_seg_create(sp);
        if (rc != 0) {
            snprintf(err, errlen, "spool: cannot create a segment: %s", wt_strerror(rc));
            goto fail;
        }
    }
    clamp_cursors(sp, rec);
    sp->gc_durable = o->gc_durable;
    for (unsigned k = 0; k < sp->nsinks; k++)
        sp->sinks[k].durable = sp->sinks[k].cur;
    wt__spool_gc(sp); /* a failed delete is retried at the next ack */
    /* Make the cuts, renames and any new segment durable. */
    if (fsync(sp->dirfd) != 0 || fdatasync(wt__spool_active(sp)->fd) != 0) {
        rc = -errno;
        snprintf(err, errlen, "spool: fsync: %s", strerror(-rc));
        goto fail;
    }
    wt__spool_active(sp)->synced = wt__spool_active(sp)->size;
    sp->dir_synced = sp->dir_gen;
    sp->commit = (struct wt_spool_pos){wt__spool_active(sp)->id, wt__spool_active(sp)->size};
    sp->commit_records = wt__spool_active(sp)->records;
    sp->commit_events = wt__spool_active(sp)->events;
    sp->commit_end_seq = sp->next_seq;
    rec->segments = sp->nsegs;
    rec->bytes = sp->bytes;
    for (unsigned i = 0; i < sp->nsegs; i++)
        rec->records += sp->segs[i].records;
    wt_free(chunk);
    wt_free(ids);
    wt_free(aside.ids);
    *out = sp;
    return 0;
fail:
    wt_free(chunk);
    wt_free(ids);
    wt_free(aside.ids);
    spool_free(sp);
    return rc;
}

void wt_spool_close(struct wt_spool *sp)
{
    if (!sp)
        return;
    wt_spool_sync_cursors(sp); /* best effort: errors were the caller's to see */
    spool_free(sp);
}
