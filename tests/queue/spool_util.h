/*
 * spool_util.h - what the spool tests share (test_spool.c,
 * test_spool_recovery.c): a spool in a temporary directory per test
 * (setup, teardown), its damage reports, records whose payload and meta
 * follow from their sequence number, and byte-level edits of its files.
 *
 * Header-only (static functions): each test is one executable.
 */
#ifndef WT_TEST_SPOOL_UTIL_H
#define WT_TEST_SPOOL_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool_int.h" /* broken, to stand for a failed fsync */
#include "wt_queue.h"

#define SEG_HDR WT_SPOOL_SEGMENT_HEADER_BYTES
#define REC_HDR WT_SPOOL_RECORD_HEADER_BYTES

struct fx {
    char root[64]; /* mkdtemp */
    char dir[128]; /* root/spool: created by the spool */
    struct wt_spool *sp;
    struct wt_spool_recovery rec;
};

static const char *const names3[] = {"sse", "kafka", "file"};
/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static inline int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    snprintf(f->root, sizeof(f->root), "%s/wt_spool_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->root))
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s/spool", f->root);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fx *f = *state;
    wt_spool_close(f->sp);
    nftw(f->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Damage reports of the last open. */
static struct wt_spool_damage dmg[16];
static unsigned ndmg;

static inline void on_dmg(void *ctx, const struct wt_spool_damage *d)
{
    (void)ctx;
    if (ndmg < 16)
        dmg[ndmg] = *d;
    ndmg++;
}

static inline int try_open(struct fx *f, unsigned nsinks, uint64_t seg_bytes, uint64_t max_bytes)
{
    char err[256];
    struct wt_spool_opts o = {.dir = f->dir,
                              .max_bytes = max_bytes,
                              .segment_bytes = seg_bytes,
                              .nsinks = nsinks,
                              .sink_names = names3,
                              .on_damage = on_dmg};
    ndmg = 0;
    wt_spool_close(f->sp);
    f->sp = NULL;
    int rc = wt_spool_open(&f->sp, &o, &f->rec, err, sizeof(err));
    if (rc != 0)
        print_message("open: %s\n", err);
    return rc;
}

static inline void open_ok(struct fx *f, unsigned nsinks, uint64_t seg_bytes, uint64_t max_bytes)
{
    assert_int_equal(try_open(f, nsinks, seg_bytes, max_bytes), 0);
    assert_non_null(f->sp);
}

static inline void close_sp(struct fx *f)
{
    wt_spool_close(f->sp);
    f->sp = NULL;
}

/* Payload of record seq: len bytes derived from seq. */
static inline size_t fill(unsigned char *buf, uint64_t seq, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(seq * 131 + i * 7 + (i >> 8));
    return len;
}

static inline bool payload_ok(const unsigned char *buf, uint64_t seq, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != (unsigned char)(seq * 131 + i * 7 + (i >> 8)))
            return false;
    return true;
}

static inline struct wt_spool_meta meta_of(uint64_t seq)
{
    return (struct wt_spool_meta){.ts_min = (int64_t)seq * 1000,
                                  .ts_max = (int64_t)seq * 1000 + 500,
                                  .nevents = (uint32_t)seq + 1,
                                  .flags = seq % 2 ? WT_SPOOL_F_ZSTD : 0};
}

/* Append one record for seq (payload and meta derived from it); check its seq. */
static inline uint64_t append_seq(struct fx *f, uint64_t seq, size_t len)
{
    static unsigned char buf[256 * 1024];
    uint64_t got = 0;
    assert_true(len <= sizeof(buf));
    fill(buf, seq, len);
    struct wt_spool_meta m = meta_of(seq);
    assert_int_equal(wt_spool_append(f->sp, buf, len, &m, &got), 0);
    assert_int_equal(got, seq);
    return got;
}

/* Read the next record for sink and check it is seq with len bytes. */
static inline void expect_rec(struct fx *f, unsigned sink, struct wt_spool_pos *pos, uint64_t seq,
                              size_t len, struct wt_spool_rec *out)
{
    static unsigned char buf[256 * 1024];
    struct wt_spool_rec r;
    struct wt_spool_meta m = meta_of(seq);
    int rc = wt_spool_next(f->sp, sink, pos, &r, buf, sizeof(buf));
    if (rc != 0)
        print_message("next(sink %u) for seq %" PRIu64 ": %s\n", sink, seq, wt_strerror(rc));
    assert_int_equal(rc, 0);
    assert_int_equal(r.seq, seq);
    assert_int_equal(r.len, len);
    assert_true(payload_ok(buf, seq, len));
    assert_int_equal(r.meta.ts_min, m.ts_min);
    assert_int_equal(r.meta.ts_max, m.ts_max);
    assert_int_equal(r.meta.nevents, m.nevents);
    assert_int_equal(r.meta.flags, m.flags);
    assert_int_equal(pos->segment, r.next.segment);
    assert_int_equal(pos->offset, r.next.offset);
    if (out)
        *out = r;
}

static inline void expect_eagain(struct fx *f, unsigned sink, struct wt_spool_pos *pos)
{
    unsigned char buf[16];
    struct wt_spool_rec r;
    assert_int_equal(wt_spool_next(f->sp, sink, pos, &r, buf, sizeof(buf)), WT_EAGAIN);
}

static inline struct wt_spool_pos cursor(struct fx *f, unsigned sink)
{
    struct wt_spool_pos p;
    assert_int_equal(wt_spool_cursor(f->sp, sink, &p), 0);
    return p;
}

/* Read and ack n records (seq from, len each) for sink. */
static inline void consume(struct fx *f, unsigned sink, uint64_t from, unsigned n, size_t len)
{
    struct wt_spool_pos pos = cursor(f, sink);
    for (unsigned i = 0; i < n; i++) {
        struct wt_spool_rec r;
        expect_rec(f, sink, &pos, from + i, len, &r);
        assert_int_equal(wt_spool_ack(f->sp, sink, &r.next), 0);
    }
}

static inline unsigned count_files(struct fx *f, const char *suffix)
{
    DIR *d = opendir(f->dir);
    const struct dirent *e;
    unsigned n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name), s = strlen(suffix);
        if (strncmp(e->d_name, "seg-", 4) == 0 && l >= s && strcmp(e->d_name + l - s, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static inline void seg_path(struct fx *f, uint64_t id, char *out, size_t n)
{
    snprintf(out, n, "%s/seg-%016" PRIx64 ".wts", f->dir, id);
}

static inline uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static inline unsigned char *slurp(const char *path, size_t *n)
{
    *n = file_size(path);
    unsigned char *b = malloc(*n + 1);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, b, *n, 0), (ssize_t)*n);
    close(fd);
    return b;
}

static inline void spit(const char *path, const void *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    close(fd);
}

static inline void xor_byte(const char *path, uint64_t off, unsigned char x)
{
    unsigned char c;
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
    c ^= x;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
    close(fd);
}

static inline void append_bytes(const char *path, const void *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    close(fd);
}

static inline void write_cursor(struct fx *f, const char *sink, uint64_t seg, uint64_t off)
{
    char path[256], line[96];
    int n = snprintf(line, sizeof(line), "WTC1 %016" PRIx64 " %" PRIu64, seg, off);
    uint32_t crc = wt_crc32c(0, line, (size_t)n);
    n += snprintf(line + n, sizeof(line) - (size_t)n, " %08" PRIx32 "\n", crc);
    snprintf(path, sizeof(path), "%s/cursor-%s", f->dir, sink);
    spit(path, line, (size_t)n);
}

/* 1000-byte records in 4096-byte segments: three per segment. */
#define SMALL_SEG 4096
#define LEN1K     1000
#define RSZ1K     (REC_HDR + LEN1K)
#define SEG3      (SEG_HDR + 3 * RSZ1K)

#endif
