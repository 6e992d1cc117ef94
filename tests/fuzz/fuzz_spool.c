/*
 * fuzz_spool.c - spool recovery. The input bytes are one segment file
 * (seg-0000000000000001.wts) in an empty spool directory. Opening must
 * succeed and cut whatever is damaged; every record read back must be one
 * that is really in the input with a CRC that checks, and all of them must
 * be readable. Afterwards the spool must be clean: one more record appended,
 * a reopen cuts nothing and finds it.
 */
#include "wt_queue.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (1 << 20)
#define SEG_HDR        WT_SPOOL_SEGMENT_HEADER_BYTES
#define REC_HDR        WT_SPOOL_RECORD_HEADER_BYTES

static char root[64], dir[96];
static unsigned char buf[FUZZ_MAX_INPUT];

static const char *const sinks[] = {"a", "b"};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void remove_root(void);

/* A scratch directory on tmpfs when there is one: fsync is free there. */
static void make_root(void)
{
    const char *bases[] = {"/dev/shm", getenv("TMPDIR"), "/tmp"};
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        if (!bases[i])
            continue;
        snprintf(root, sizeof(root), "%s/fuzz_spool_XXXXXX", bases[i]);
        if (mkdtemp(root))
            break;
        root[0] = '\0';
    }
    if (!root[0])
        abort();
    snprintf(dir, sizeof(dir), "%s/spool", root);
    atexit(remove_root);
}

static void empty_dir(void)
{
    DIR *d = opendir(dir);
    const struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

static void remove_root(void)
{
    empty_dir();
    rmdir(dir);
    rmdir(root);
}

static struct wt_spool *open_spool(struct wt_spool_recovery *rec)
{
    struct wt_spool_opts o = {.dir = dir,
                              .segment_bytes = WT_SPOOL_SEGMENT_BYTES_MIN,
                              .max_bytes = 64ULL << 20,
                              .nsinks = 2,
                              .sink_names = sinks};
    struct wt_spool *sp = NULL;
    char err[256];
    if (wt_spool_open(&sp, &o, rec, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_spool: open: %s\n", err);
        abort();
    }
    return sp;
}

/* The record at r->pos must be in the input, whole, with a good CRC. */
static void check_record(const uint8_t *data, size_t size, const struct wt_spool_rec *r)
{
    const uint64_t off = r->pos.offset;
    if (r->pos.segment != 1 || off < SEG_HDR || off > size || size - off < REC_HDR)
        abort();
    const uint8_t *h = data + off;
    const uint32_t len = le32(h + 4);
    if (memcmp(h, "WTR1", 4) != 0 || len != r->len || size - off - REC_HDR < len ||
        le64(h + 12) != r->seq || memcmp(h + REC_HDR, buf, len) != 0)
        abort();
    uint32_t crc = wt_crc32c(wt_crc32c(0, h, 8), h + 12, REC_HDR - 12);
    if (wt_crc32c(crc, h + REC_HDR, len) != le32(h + 8))
        abort();
    if (r->next.segment != 1 || r->next.offset != off + REC_HDR + len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wt_spool_recovery rec, rec2;
    struct wt_spool_rec r;
    struct wt_spool_pos pos, last = {0, 0};
    char path[160];

    if (size > FUZZ_MAX_INPUT)
        return 0;
    if (!root[0])
        make_root();
    empty_dir();
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/seg-0000000000000001.wts", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    close(fd);

    /* 1. Recovery, then every record for sink a. */
    struct wt_spool *sp = open_spool(&rec);
    if (rec.segments != 1 || rec.cut_bytes > size || rec.bad_segments > 1)
        abort();
    wt_spool_cursor(sp, 0, &pos);
    uint64_t n = 0;
    int rc;
    while ((rc = wt_spool_next(sp, 0, &pos, &r, buf, sizeof(buf))) == 0) {
        check_record(data, size, &r);
        last = r.next;
        n++;
    }
    if (rc != WT_EAGAIN || n != rec.records)
        abort();
    /* Sink b with no room: told the size, never advanced. */
    wt_spool_cursor(sp, 1, &pos);
    const struct wt_spool_pos at = pos;
    rc = wt_spool_next(sp, 1, &pos, &r, buf, 0);
    if (!(rc == WT_EAGAIN || (rc == WT_EFULL && r.len > 0) || (rc == 0 && r.len == 0)))
        abort();
    if (rc == WT_EFULL && (pos.segment != at.segment || pos.offset != at.offset))
        abort();

    /* Source positions found (format 2 records): bounded, and each one whole. */
    struct wt_srcpos tab[8];
    const size_t npos = wt_spool_srcpos(sp, tab, 8);
    if (npos > WT_SPOOL_SRCPOS_TABLE || (npos > 0 && n == 0))
        abort();

    /* 2. The recovered spool is clean: append (with a position), ack with
     * an aux value, reopen: the position and the aux come back. */
    const struct wt_srcpos at1 = {.dev = 7,
                                  .ino = 9,
                                  .fp = 11,
                                  .fp_len = 3,
                                  .gen = 0xfffffff0u,
                                  .offset = 1234,
                                  .lineno = 56,
                                  .size = 7890};
    const struct wt_spool_meta m = {
        .ts_min = 1, .ts_max = 2, .nevents = 1, .srcpos = &at1, .nsrcpos = 1};
    struct wt_spool_pos end = {0, 0};
    if (wt_spool_append(sp, "x", 1, &m, NULL) != 0 || wt_spool_commit(sp) != 0)
        abort();
    pos = last.segment ? last : at;
    while (wt_spool_next(sp, 0, &pos, &r, buf, sizeof(buf)) == 0)
        end = r.next;
    if (end.segment == 0 || wt_spool_ack_aux(sp, 0, &end, 4242) != 0)
        abort();
    wt_spool_close(sp);
    sp = open_spool(&rec2);
    if (rec2.cut_records != 0 || rec2.cut_bytes != 0 || rec2.bad_segments != 0 ||
        rec2.bad_cursors != 0 || rec2.cursors_clamped != 0 || rec2.records != rec.records + 1)
        abort();
    uint64_t aux = 0;
    if (wt_spool_cursor_aux(sp, 0, &aux) != 1 || aux != 4242)
        abort();
    struct wt_srcpos all[WT_SPOOL_SRCPOS_TABLE];
    const size_t k = wt_spool_srcpos(sp, all, WT_SPOOL_SRCPOS_TABLE);
    bool found = false;
    for (size_t i = 0; i < k && i < WT_SPOOL_SRCPOS_TABLE; i++)
        found |= memcmp(&all[i], &at1, sizeof(at1)) == 0;
    if (!found)
        abort();
    wt_spool_close(sp);
    return 0;
}
