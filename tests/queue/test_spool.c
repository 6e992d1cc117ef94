/*
 * test_spool.c - the disk spool: round trips for several sinks, roll-over and
 * deletion, persisted cursors, recovery from torn and corrupt data, limits,
 * expiry, file modes, and concurrent writer and readers.
 */
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

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
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

static int teardown(void **state)
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

static void on_dmg(void *ctx, const struct wt_spool_damage *d)
{
    (void)ctx;
    if (ndmg < 16)
        dmg[ndmg] = *d;
    ndmg++;
}

static int try_open(struct fx *f, unsigned nsinks, uint64_t seg_bytes, uint64_t max_bytes)
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

static void open_ok(struct fx *f, unsigned nsinks, uint64_t seg_bytes, uint64_t max_bytes)
{
    assert_int_equal(try_open(f, nsinks, seg_bytes, max_bytes), 0);
    assert_non_null(f->sp);
}

static void close_sp(struct fx *f)
{
    wt_spool_close(f->sp);
    f->sp = NULL;
}

/* Payload of record seq: len bytes derived from seq. */
static size_t fill(unsigned char *buf, uint64_t seq, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(seq * 131 + i * 7 + (i >> 8));
    return len;
}

static bool payload_ok(const unsigned char *buf, uint64_t seq, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != (unsigned char)(seq * 131 + i * 7 + (i >> 8)))
            return false;
    return true;
}

static struct wt_spool_meta meta_of(uint64_t seq)
{
    return (struct wt_spool_meta){.ts_min = (int64_t)seq * 1000,
                                  .ts_max = (int64_t)seq * 1000 + 500,
                                  .nevents = (uint32_t)seq + 1,
                                  .flags = seq % 2 ? WT_SPOOL_F_ZSTD : 0};
}

/* Append one record for seq (payload and meta derived from it); check its seq. */
static uint64_t append_seq(struct fx *f, uint64_t seq, size_t len)
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
static void expect_rec(struct fx *f, unsigned sink, struct wt_spool_pos *pos, uint64_t seq,
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

static void expect_eagain(struct fx *f, unsigned sink, struct wt_spool_pos *pos)
{
    unsigned char buf[16];
    struct wt_spool_rec r;
    assert_int_equal(wt_spool_next(f->sp, sink, pos, &r, buf, sizeof(buf)), WT_EAGAIN);
}

static struct wt_spool_pos cursor(struct fx *f, unsigned sink)
{
    struct wt_spool_pos p;
    assert_int_equal(wt_spool_cursor(f->sp, sink, &p), 0);
    return p;
}

/* Read and ack n records (seq from, len each) for sink. */
static void consume(struct fx *f, unsigned sink, uint64_t from, unsigned n, size_t len)
{
    struct wt_spool_pos pos = cursor(f, sink);
    for (unsigned i = 0; i < n; i++) {
        struct wt_spool_rec r;
        expect_rec(f, sink, &pos, from + i, len, &r);
        assert_int_equal(wt_spool_ack(f->sp, sink, &r.next), 0);
    }
}

static unsigned count_files(struct fx *f, const char *suffix)
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

static void seg_path(struct fx *f, uint64_t id, char *out, size_t n)
{
    snprintf(out, n, "%s/seg-%016" PRIx64 ".wts", f->dir, id);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    *n = file_size(path);
    unsigned char *b = malloc(*n + 1);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, b, *n, 0), (ssize_t)*n);
    close(fd);
    return b;
}

static void spit(const char *path, const void *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    close(fd);
}

static void xor_byte(const char *path, uint64_t off, unsigned char x)
{
    unsigned char c;
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
    c ^= x;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
    close(fd);
}

static void append_bytes(const char *path, const void *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    close(fd);
}

static void write_cursor(struct fx *f, const char *sink, uint64_t seg, uint64_t off)
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

/* ------------------------------------------------------------------------ */
/* Round trips and cursors                                                  */
/* ------------------------------------------------------------------------ */

static void test_roundtrip(void **state)
{
    struct fx *f = *state;
    struct wt_spool_rec r;
    open_ok(f, 3, 0, 0);
    for (uint64_t s = 1; s <= 10; s++)
        append_seq(f, s, 300);
    append_seq(f, 11, 0); /* an empty payload is a record too */

    /* Nothing is visible before the commit. */
    struct wt_spool_pos p0 = cursor(f, 0), p1 = cursor(f, 1), p2;
    expect_eagain(f, 0, &p0);
    assert_int_equal(wt_spool_commit(f->sp), 0);

    /* Sink 0 reads and acks 5; sink 1 reads 11 ahead and acks 8. */
    consume(f, 0, 1, 5, 300);
    for (uint64_t s = 1; s <= 10; s++) {
        expect_rec(f, 1, &p1, s, 300, &r);
        if (s == 8)
            assert_int_equal(wt_spool_ack(f->sp, 1, &r.next), 0);
    }
    expect_rec(f, 1, &p1, 11, 0, &r);
    expect_eagain(f, 1, &p1);

    /* Cursors are independent; sink 2 still starts at the oldest record. */
    p0 = cursor(f, 0);
    expect_rec(f, 0, &p0, 6, 300, NULL);
    p1 = cursor(f, 1);
    expect_rec(f, 1, &p1, 9, 300, NULL);
    p2 = cursor(f, 2);
    expect_rec(f, 2, &p2, 1, 300, NULL);

    /* Pending counts record bytes after the cursor. */
    assert_int_equal(wt_spool_pending(f->sp, 2), 10 * (REC_HDR + 300) + REC_HDR);
    assert_int_equal(wt_spool_pending(f->sp, 0), 5 * (REC_HDR + 300) + REC_HDR);
    assert_int_equal(wt_spool_bytes(f->sp), SEG_HDR + 10 * (REC_HDR + 300) + REC_HDR);

    /* Acks never go backwards, and never past committed data. */
    struct wt_spool_pos c1 = cursor(f, 1), back = {c1.segment, SEG_HDR};
    assert_int_equal(wt_spool_ack(f->sp, 1, &back), 0);
    assert_int_equal(cursor(f, 1).offset, c1.offset);
    struct wt_spool_pos past = {c1.segment, 1000000};
    assert_int_equal(wt_spool_ack(f->sp, 1, &past), -EINVAL);
    assert_int_equal(wt_spool_ack(f->sp, 3, &c1), -EINVAL);
    assert_int_equal(wt_spool_next(f->sp, 3, &p0, &r, NULL, 0), -EINVAL);
    assert_int_equal(wt_spool_cursor(f->sp, 3, &p0), -EINVAL);
    assert_int_equal(wt_spool_pending(f->sp, 3), 0);
}

static void test_uncommitted_tail_invisible(void **state)
{
    struct fx *f = *state;
    open_ok(f, 1, 0, 0);
    append_seq(f, 1, 10);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    append_seq(f, 2, 10);
    struct wt_spool_pos p = cursor(f, 0);
    expect_rec(f, 0, &p, 1, 10, NULL);
    expect_eagain(f, 0, &p);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    expect_rec(f, 0, &p, 2, 10, NULL);
    expect_eagain(f, 0, &p);
    /* A commit with nothing new is fine. */
    assert_int_equal(wt_spool_commit(f->sp), 0);
}

static void test_small_buffer(void **state)
{
    struct fx *f = *state;
    unsigned char small[100];
    struct wt_spool_rec r;
    open_ok(f, 1, 0, 0);
    append_seq(f, 1, 5000);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    struct wt_spool_pos p = cursor(f, 0), before = p;
    assert_int_equal(wt_spool_next(f->sp, 0, &p, &r, small, sizeof(small)), WT_EFULL);
    assert_int_equal(r.len, 5000);
    assert_int_equal(p.offset, before.offset);
    expect_rec(f, 0, &p, 1, 5000, NULL);
}

static void test_cursors_persist(void **state)
{
    struct fx *f = *state;
    open_ok(f, 3, SMALL_SEG, 0);
    for (uint64_t s = 1; s <= 9; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    consume(f, 0, 1, 2, LEN1K);
    consume(f, 1, 1, 5, LEN1K);
    assert_int_equal(wt_spool_sync_cursors(f->sp), 0);
    const struct wt_spool_pos c0 = cursor(f, 0), c1 = cursor(f, 1);
    /* More acks that are never synced: a crash would lose them. A clean
     * close syncs, so keep the synced files and put them back after it. */
    consume(f, 0, 3, 1, LEN1K);
    char p0[256], p1[256];
    size_t n0, n1;
    snprintf(p0, sizeof(p0), "%s/cursor-sse", f->dir);
    snprintf(p1, sizeof(p1), "%s/cursor-kafka", f->dir);
    unsigned char *b0 = slurp(p0, &n0), *b1 = slurp(p1, &n1);
    close_sp(f);
    spit(p0, b0, n0);
    spit(p1, b1, n1);
    free(b0);
    free(b1);

    open_ok(f, 3, SMALL_SEG, 0);
    assert_int_equal(f->rec.bad_cursors, 0);
    assert_int_equal(f->rec.cursors_clamped, 0);
    assert_int_equal(f->rec.records, 9);
    assert_int_equal(cursor(f, 0).segment, c0.segment);
    assert_int_equal(cursor(f, 0).offset, c0.offset);
    assert_int_equal(cursor(f, 1).segment, c1.segment);
    assert_int_equal(cursor(f, 1).offset, c1.offset);
    struct wt_spool_pos p = cursor(f, 0);
    expect_rec(f, 0, &p, 3, LEN1K, NULL); /* delivered again: at-least-once */
    p = cursor(f, 1);
    expect_rec(f, 1, &p, 6, LEN1K, NULL);
    p = cursor(f, 2); /* no cursor file: the oldest */
    expect_rec(f, 2, &p, 1, LEN1K, NULL);

    /* A clean close persists dirty cursors. */
    consume(f, 2, 1, 4, LEN1K);
    close_sp(f);
    open_ok(f, 3, SMALL_SEG, 0);
    p = cursor(f, 2);
    expect_rec(f, 2, &p, 5, LEN1K, NULL);
}

static void test_seq_continues_after_reopen(void **state)
{
    struct fx *f = *state;
    open_ok(f, 1, SMALL_SEG, 0);
    for (uint64_t s = 1; s <= 7; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    consume(f, 0, 1, 7, LEN1K);
    /* Everything acked: only the active segment is left. */
    assert_int_equal(count_files(f, ".wts"), 1);
    close_sp(f);
    open_ok(f, 1, SMALL_SEG, 0);
    assert_int_equal(f->rec.records, 1); /* seq 7 in the active segment */
    struct wt_spool_pos p = cursor(f, 0);
    expect_eagain(f, 0, &p);
    append_seq(f, 8, LEN1K);
    append_seq(f, 9, LEN1K);
    append_seq(f, 10, LEN1K); /* rolls */
    assert_int_equal(wt_spool_commit(f->sp), 0);
    consume(f, 0, 8, 3, LEN1K);
    close_sp(f);
    /* The newest segment is empty of unread data but carries the numbering. */
    open_ok(f, 1, SMALL_SEG, 0);
    append_seq(f, 11, 10);
}

/* ------------------------------------------------------------------------ */
/* Segments: roll-over, deletion, big records, limits, expiry               */
/* ------------------------------------------------------------------------ */

static void test_rollover_and_deletion(void **state)
{
    struct fx *f = *state;
    open_ok(f, 2, SMALL_SEG, 0);
    for (uint64_t s = 1; s <= 10; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    assert_int_equal(count_files(f, ".wts"), 4);
    assert_int_equal(wt_spool_bytes(f->sp), 3 * SEG3 + SEG_HDR + RSZ1K);

    /* Sink 0 passes two segments; sink 1 none: nothing deleted. */
    consume(f, 0, 1, 6, LEN1K);
    assert_int_equal(count_files(f, ".wts"), 4);
    /* Sink 1 passes the first: it goes. */
    consume(f, 1, 1, 4, LEN1K);
    assert_int_equal(count_files(f, ".wts"), 3);
    assert_int_equal(wt_spool_bytes(f->sp), 2 * SEG3 + SEG_HDR + RSZ1K);
    /* Both read everything: every sealed segment goes, the active one stays. */
    consume(f, 0, 7, 4, LEN1K);
    consume(f, 1, 5, 6, LEN1K);
    assert_int_equal(count_files(f, ".wts"), 1);
    assert_int_equal(wt_spool_bytes(f->sp), SEG_HDR + RSZ1K);
    assert_int_equal(wt_spool_pending(f->sp, 0), 0);
    struct wt_spool_pos p = cursor(f, 1);
    expect_eagain(f, 1, &p);
    append_seq(f, 11, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    expect_rec(f, 1, &p, 11, LEN1K, NULL);
}

static void test_big_record_own_segment(void **state)
{
    struct fx *f = *state;
    unsigned char small[64];
    struct wt_spool_rec r;
    open_ok(f, 1, SMALL_SEG, 1 << 20);
    append_seq(f, 1, 100);
    append_seq(f, 2, 3 * SMALL_SEG);
    append_seq(f, 3, 100);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    assert_int_equal(count_files(f, ".wts"), 3);
    struct wt_spool_pos p = cursor(f, 0);
    expect_rec(f, 0, &p, 1, 100, &r);
    const uint64_t seg1 = r.pos.segment;
    assert_int_equal(wt_spool_next(f->sp, 0, &p, &r, small, sizeof(small)), WT_EFULL);
    assert_int_equal(r.len, 3 * SMALL_SEG);
    assert_int_equal(r.pos.segment, seg1 + 1); /* its own segment */
    expect_rec(f, 0, &p, 2, 3 * SMALL_SEG, &r);
    expect_rec(f, 0, &p, 3, 100, &r);
    assert_int_equal(r.pos.segment, seg1 + 2);
    close_sp(f);
    open_ok(f, 1, SMALL_SEG, 1 << 20);
    assert_int_equal(f->rec.records, 3);
    assert_int_equal(f->rec.cut_records, 0);
}

static void test_max_bytes_full_then_acks_free(void **state)
{
    struct fx *f = *state;
    unsigned char buf[LEN1K] = {0};
    struct wt_spool_meta m = {0};
    open_ok(f, 2, SMALL_SEG, 3 * SMALL_SEG);
    uint64_t n = 0;
    for (;;) {
        bool full = wt_spool_full(f->sp, LEN1K);
        fill(buf, n + 1, LEN1K);
        m = meta_of(n + 1);
        int rc = wt_spool_append(f->sp, buf, LEN1K, &m, NULL);
        assert_int_equal(full, rc == WT_EFULL);
        if (rc == WT_EFULL)
            break;
        assert_int_equal(rc, 0);
        n++;
    }
    assert_int_equal(n, 11);
    assert_true(wt_spool_bytes(f->sp) <= 3 * SMALL_SEG);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    /* One sink done is not enough; the other must pass a segment too. */
    consume(f, 0, 1, 11, LEN1K);
    assert_true(wt_spool_full(f->sp, LEN1K));
    consume(f, 1, 1, 3, LEN1K);
    assert_false(wt_spool_full(f->sp, LEN1K));
    append_seq(f, 12, LEN1K);
    /* A record that can never fit is not "full" but too long. */
    assert_int_equal(wt_spool_append(f->sp, buf, 3 * SMALL_SEG, &m, NULL), WT_ETOOLONG);
    assert_int_equal(wt_spool_append(f->sp, buf, (size_t)WT_SPOOL_RECORD_MAX + 1, &m, NULL),
                     WT_ETOOLONG);
    assert_true(wt_spool_full(f->sp, (size_t)WT_SPOOL_RECORD_MAX + 1));
}

/* max_bytes of a single segment: once everything is acked the active
 * segment itself is rolled away so the spool never wedges. */
static void test_full_active_segment_reclaimed(void **state)
{
    struct fx *f = *state;
    unsigned char buf[SMALL_SEG];
    struct wt_spool_meta m = {0};
    open_ok(f, 2, SMALL_SEG, SMALL_SEG);
    for (uint64_t s = 1; s <= 3; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_append(f->sp, buf, LEN1K, &m, NULL), WT_EFULL);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    consume(f, 0, 1, 3, LEN1K);
    assert_int_equal(wt_spool_append(f->sp, buf, LEN1K, &m, NULL), WT_EFULL);
    consume(f, 1, 1, 3, LEN1K);
    assert_false(wt_spool_full(f->sp, LEN1K));
    append_seq(f, 4, LEN1K);
    assert_int_equal(count_files(f, ".wts"), 1);
    assert_int_equal(wt_spool_bytes(f->sp), SEG_HDR + RSZ1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    struct wt_spool_pos p = cursor(f, 1);
    expect_rec(f, 1, &p, 4, LEN1K, NULL);
    /* The largest record that fits a fresh segment under max_bytes. */
    consume(f, 0, 4, 1, LEN1K);
    consume(f, 1, 4, 1, LEN1K);
    append_seq(f, 5, SMALL_SEG - SEG_HDR - REC_HDR);
    assert_int_equal(wt_spool_append(f->sp, buf, SMALL_SEG - SEG_HDR - REC_HDR + 1, &m, NULL),
                     WT_ETOOLONG);
}

static void test_expire_by_time(void **state)
{
    struct fx *f = *state;
    static unsigned char buf[LEN1K];
    struct wt_spool_expired ex;
    open_ok(f, 3, SMALL_SEG, 0);
    /* seg1: ts_max 1000..3000; seg2: 4000..6000; seg3: 100..300 (replayed
     * old data); seg4, active: 50. */
    static const int64_t ts[] = {1000, 2000, 3000, 4000, 5000, 6000, 100, 200, 300, 50};
    for (unsigned i = 0; i < 10; i++) {
        struct wt_spool_meta m = {.ts_min = ts[i] - 10, .ts_max = ts[i], .nevents = 2};
        fill(buf, i + 1, LEN1K);
        assert_int_equal(wt_spool_append(f->sp, buf, LEN1K, &m, NULL), 0);
    }
    assert_int_equal(wt_spool_commit(f->sp), 0);
    struct wt_spool_pos p = cursor(f, 0), s1;
    struct wt_spool_rec r;
    unsigned char rb[LEN1K];
    assert_int_equal(wt_spool_next(f->sp, 0, &p, &r, rb, sizeof(rb)), 0);
    assert_int_equal(wt_spool_ack(f->sp, 0, &r.next), 0); /* sink 0: inside seg1 */
    const uint64_t seg1 = r.pos.segment;
    for (int i = 0; i < 4; i++) { /* sink 1: inside seg2 */
        s1 = cursor(f, 1);
        assert_int_equal(wt_spool_next(f->sp, 1, &s1, &r, rb, sizeof(rb)), 0);
        assert_int_equal(wt_spool_ack(f->sp, 1, &r.next), 0);
    }
    const struct wt_spool_pos c1 = cursor(f, 1);

    assert_int_equal(wt_spool_expire(f->sp, 3500, &ex), 0);
    assert_int_equal(ex.segments, 2);
    assert_int_equal(ex.records, 6);
    assert_int_equal(ex.events, 12);
    assert_int_equal(ex.bytes, 2 * SEG3);
    assert_int_equal(count_files(f, ".wts"), 2);
    /* Cursors inside seg1 moved to seg2; sink 1 did not move. */
    assert_int_equal(cursor(f, 0).segment, seg1 + 1);
    assert_int_equal(cursor(f, 0).offset, SEG_HDR);
    assert_int_equal(cursor(f, 2).segment, seg1 + 1);
    assert_int_equal(cursor(f, 1).segment, c1.segment);
    assert_int_equal(cursor(f, 1).offset, c1.offset);
    /* Sink 0 reads seg2 then jumps over the dropped seg3. */
    p = cursor(f, 0);
    for (int want = 4; want <= 6; want++) {
        assert_int_equal(wt_spool_next(f->sp, 0, &p, &r, rb, sizeof(rb)), 0);
        assert_true(payload_ok(rb, (uint64_t)want, LEN1K));
    }
    assert_int_equal(wt_spool_next(f->sp, 0, &p, &r, rb, sizeof(rb)), 0);
    assert_true(payload_ok(rb, 10, LEN1K));
    assert_int_equal(r.pos.segment, seg1 + 3);
    /* The active segment is never expired, however old. */
    assert_int_equal(wt_spool_expire(f->sp, INT64_MAX, &ex), 0);
    assert_int_equal(ex.segments, 1);
    assert_int_equal(count_files(f, ".wts"), 1);
    assert_int_equal(wt_spool_expire(f->sp, INT64_MAX, &ex), 0);
    assert_int_equal(ex.segments, 0);
    /* Moved cursors are persisted like acked ones. */
    close_sp(f);
    open_ok(f, 3, SMALL_SEG, 0);
    assert_int_equal(cursor(f, 0).segment, seg1 + 3);
    assert_int_equal(f->rec.cursors_clamped, 0);
}

/* ------------------------------------------------------------------------ */
/* Recovery                                                                 */
/* ------------------------------------------------------------------------ */

/* Truncate the last record at every byte: exactly it is cut, all before kept. */
static void test_torn_tail_every_byte(void **state)
{
    struct fx *f = *state;
    char path[256];
    size_t n;
    open_ok(f, 2, 0, 0);
    for (uint64_t s = 1; s <= 4; s++)
        append_seq(f, s, 100);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    consume(f, 0, 1, 3, 100); /* cursor at the start of the torn record */
    const uint64_t seg = cursor(f, 0).segment;
    close_sp(f);
    seg_path(f, seg, path, sizeof(path));
    unsigned char *orig = slurp(path, &n);
    const uint64_t last = SEG_HDR + 3 * (REC_HDR + 100);
    assert_int_equal(n, last + REC_HDR + 100);

    for (uint64_t cut = last; cut < n; cut++) {
        spit(path, orig, cut);
        open_ok(f, 2, 0, 0);
        assert_int_equal(f->rec.records, 3);
        assert_int_equal(f->rec.cut_records, cut > last ? 1 : 0);
        assert_int_equal(f->rec.cut_bytes, cut - last);
        assert_int_equal(f->rec.bad_segments, 0);
        assert_int_equal(f->rec.cursors_clamped, 0);
        assert_int_equal(file_size(path), last);
        struct wt_spool_pos p = cursor(f, 1);
        for (uint64_t s = 1; s <= 3; s++)
            expect_rec(f, 1, &p, s, 100, NULL);
        expect_eagain(f, 1, &p);
        p = cursor(f, 0);
        assert_int_equal(p.offset, last);
        expect_eagain(f, 0, &p);
        close_sp(f);
    }
    /* After a cut the spool appends cleanly and reopens without cuts. */
    spit(path, orig, last + 7);
    open_ok(f, 2, 0, 0);
    append_seq(f, 4, 100);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    close_sp(f);
    open_ok(f, 2, 0, 0);
    assert_int_equal(f->rec.cut_records, 0);
    assert_int_equal(f->rec.records, 4);
    free(orig);
}

/* Every flipped byte of a record in the middle (magic, length, CRC, sequence
 * number, event count, positions length, payload) costs that record alone:
 * the records after it are read, and the damage is reported once with the
 * segment, the offset and what was lost. */
static void test_one_flip_costs_one_record(void **state)
{
    struct fx *f = *state;
    char path[256];
    static const uint64_t offs[] = {0,  1,  3,  4,  6,  8,       11,           12,
                                    19, 30, 36, 44, 48, REC_HDR, REC_HDR + 50, REC_HDR + 99};
    const uint64_t rec2 = SEG_HDR + REC_HDR + 100;
    for (size_t t = 0; t < sizeof(offs) / sizeof(offs[0]); t++) {
        close_sp(f);
        nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        open_ok(f, 1, 0, 0);
        for (uint64_t s = 1; s <= 5; s++)
            append_seq(f, s, 100);
        assert_int_equal(wt_spool_commit(f->sp), 0);
        const uint64_t seg = cursor(f, 0).segment;
        close_sp(f);
        seg_path(f, seg, path, sizeof(path));
        const uint64_t size = file_size(path);
        xor_byte(path, rec2 + offs[t], 0x10);
        open_ok(f, 1, 0, 0);
        assert_int_equal(f->rec.records, 4);
        assert_int_equal(f->rec.cut_records, 0);
        assert_int_equal(f->rec.lost_records, 1);
        assert_int_equal(ndmg, 1);
        assert_int_equal(dmg[0].kind, WT_SPOOL_DAMAGE_RECORDS);
        assert_int_equal(dmg[0].segment, seg);
        assert_int_equal(dmg[0].offset, rec2);
        assert_int_equal(dmg[0].bytes, REC_HDR + 100);
        assert_int_equal(dmg[0].records, 1);
        assert_true(dmg[0].records_known);
        assert_int_equal(file_size(path), size); /* nothing cut */
        struct wt_spool_pos p = cursor(f, 0);
        static const uint64_t want[] = {1, 3, 4, 5};
        for (size_t i = 0; i < 4; i++)
            expect_rec(f, 0, &p, want[i], 100, NULL);
        expect_eagain(f, 0, &p);
        /* Numbering goes on after the newest record, never reusing the lost one. */
        append_seq(f, 6, 100);
        assert_int_equal(wt_spool_commit(f->sp), 0);
        expect_rec(f, 0, &p, 6, 100, NULL);
    }
    /* A payload flip: the damaged header still tells the events lost. */
    assert_int_equal(dmg[0].events, meta_of(2).nevents);
    assert_true(dmg[0].events_known);
}

static void test_corrupt_payload_skipped(void **state)
{
    struct fx *f = *state;
    char path[256];
    open_ok(f, 2, 0, 0);
    for (uint64_t s = 1; s <= 4; s++)
        append_seq(f, s, 100);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    consume(f, 1, 1, 2, 100); /* sink 1 stands at the record that will be damaged */
    assert_int_equal(wt_spool_sync_cursors(f->sp), 0);
    const uint64_t seg = cursor(f, 0).segment;
    close_sp(f);
    seg_path(f, seg, path, sizeof(path));
    const uint64_t rec3 = SEG_HDR + 2 * (REC_HDR + 100);
    xor_byte(path, rec3 + REC_HDR + 50, 0x01); /* one bit of record 3's payload */
    open_ok(f, 2, 0, 0);
    assert_int_equal(f->rec.records, 3);
    assert_int_equal(f->rec.lost_records, 1);
    assert_int_equal(f->rec.lost_events, meta_of(3).nevents);
    assert_int_equal(f->rec.cursors_clamped, 0);
    /* Sink 1's cursor moved over the damage to record 4. */
    assert_int_equal(cursor(f, 1).offset, rec3 + REC_HDR + 100);
    struct wt_spool_pos p = cursor(f, 1);
    expect_rec(f, 1, &p, 4, 100, NULL);
    p = cursor(f, 0);
    expect_rec(f, 0, &p, 1, 100, NULL);
    expect_rec(f, 0, &p, 2, 100, NULL);
    expect_rec(f, 0, &p, 4, 100, NULL);
    expect_eagain(f, 0, &p);
    /* Damage with no whole record after it is a tail: cut, and reported
     * once (here records 3 and 4, the last two). */
    close_sp(f);
    xor_byte(path, file_size(path) - 3, 0x01);
    open_ok(f, 2, 0, 0);
    assert_int_equal(f->rec.records, 2);
    assert_int_equal(f->rec.cut_records, 1);
    assert_int_equal(file_size(path), rec3);
    assert_int_equal(ndmg, 1);
    assert_int_equal(dmg[0].kind, WT_SPOOL_DAMAGE_TAIL);
    assert_int_equal(dmg[0].offset, rec3);
    assert_int_equal(dmg[0].records, 2); /* as the damaged headers tell */
    assert_false(dmg[0].records_known);  /* the active segment: nothing after it */
}

static void test_garbage_after_valid(void **state)
{
    struct fx *f = *state;
    char path[256];
    unsigned char junk[300];
    open_ok(f, 1, 0, 0);
    append_seq(f, 1, 100);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    const uint64_t seg = cursor(f, 0).segment;
    close_sp(f);
    seg_path(f, seg, path, sizeof(path));
    const uint64_t good = file_size(path);

    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(i * 89 + 3);
    append_bytes(path, junk, sizeof(junk));
    open_ok(f, 1, 0, 0);
    assert_int_equal(f->rec.records, 1);
    assert_int_equal(f->rec.cut_records, 1);
    assert_int_equal(f->rec.cut_bytes, sizeof(junk));
    assert_int_equal(file_size(path), good);
    close_sp(f);

    /* Zeros (a crash after the size grew but before the data hit disk). */
    memset(junk, 0, sizeof(junk));
    append_bytes(path, junk, sizeof(junk));
    /* A record header claiming a huge length is corruption, not a wait. */
    unsigned char h[REC_HDR] = {'W', 'T', 'R', '1', 0xFF, 0xFF, 0xFF, 0x7F};
    append_bytes(path, h, sizeof(h));
    open_ok(f, 1, 0, 0);
    assert_int_equal(f->rec.cut_bytes, sizeof(junk) + sizeof(h));
    struct wt_spool_pos p = cursor(f, 0);
    expect_rec(f, 0, &p, 1, 100, NULL);
    expect_eagain(f, 0, &p);
    close_sp(f);

    /* A stale copy of a good record (valid CRC, wrong sequence number). */
    size_t n;
    unsigned char *b = slurp(path, &n);
    append_bytes(path, b + SEG_HDR, n - SEG_HDR);
    free(b);
    open_ok(f, 1, 0, 0);
    assert_int_equal(f->rec.records, 1);
    assert_int_equal(f->rec.cut_records, 1);
    assert_int_equal(f->rec.cut_bytes, REC_HDR + 100);
}

/* A corrupt record in an older segment costs that record only. */
static void test_corrupt_older_segment(void **state)
{
    struct fx *f = *state;
    char path[256];
    open_ok(f, 1, SMALL_SEG, 0);
    for (uint64_t s = 1; s <= 9; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    const uint64_t seg1 = cursor(f, 0).segment;
    close_sp(f);
    seg_path(f, seg1, path, sizeof(path));
    xor_byte(path, SEG_HDR + RSZ1K + REC_HDR + 10, 0x40); /* record 2's payload */
    open_ok(f, 1, SMALL_SEG, 0);
    assert_int_equal(f->rec.records, 8);
    assert_int_equal(f->rec.cut_records, 0);
    assert_int_equal(f->rec.lost_records, 1);
    assert_int_equal(f->rec.segments, 3);
    struct wt_spool_pos p = cursor(f, 0);
    static const uint64_t want[] = {1, 3, 4, 5, 6, 7, 8, 9};
    for (size_t i = 0; i < 8; i++)
        expect_rec(f, 0, &p, want[i], LEN1K, NULL);
    expect_eagain(f, 0, &p);
}

/* A flipped byte in a segment header costs nothing: the header is rewritten
 * from the previous segment's end. A segment with no whole record is set
 * aside (.bad) and reported with the records it held; one too short to hold
 * a record (a torn creation) is deleted. */
static void test_bad_segment_header(void **state)
{
    struct fx *f = *state;
    char path[256], bad[300];
    open_ok(f, 2, SMALL_SEG, 0);
    for (uint64_t s = 1; s <= 9; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    const uint64_t seg1 = cursor(f, 0).segment;
    consume(f, 1, 1, 4, LEN1K); /* sink 1 inside seg2 */
    close_sp(f);

    seg_path(f, seg1 + 1, path, sizeof(path));
    for (uint64_t off = 0; off < SEG_HDR; off += 7) {
        xor_byte(path, off, 0x20);
        open_ok(f, 2, SMALL_SEG, 0);
        assert_int_equal(f->rec.bad_segments, 0);
        assert_int_equal(f->rec.repaired_headers, 1);
        assert_int_equal(f->rec.records, 9);
        assert_int_equal(f->rec.lost_records, 0);
        assert_int_equal(ndmg, 1);
        assert_int_equal(dmg[0].kind, WT_SPOOL_DAMAGE_HEADER);
        assert_int_equal(dmg[0].segment, seg1 + 1);
        struct wt_spool_pos p = cursor(f, 0);
        for (uint64_t s = 1; s <= 9; s++)
            expect_rec(f, 0, &p, s, LEN1K, NULL);
        close_sp(f);
        open_ok(f, 2, SMALL_SEG, 0); /* repaired for good */
        assert_int_equal(f->rec.repaired_headers, 0);
        assert_int_equal(ndmg, 0);
        close_sp(f);
    }

    /* Nothing readable in it: set aside, and the records it held are known. */
    unsigned char junk[SEG3];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(i * 89 + 3);
    spit(path, junk, sizeof(junk));
    char torn[256];
    seg_path(f, seg1 + 3, torn, sizeof(torn));
    spit(torn, "WTSPOO", 6);

    open_ok(f, 2, SMALL_SEG, 0);
    assert_int_equal(f->rec.bad_segments, 1);
    assert_int_equal(f->rec.segments, 2);
    assert_int_equal(f->rec.records, 6);
    assert_int_equal(f->rec.cut_bytes, 6);
    assert_int_equal(f->rec.cut_records, 0);
    assert_int_equal(ndmg, 1);
    assert_int_equal(dmg[0].kind, WT_SPOOL_DAMAGE_SEGMENT);
    assert_int_equal(dmg[0].segment, seg1 + 1);
    assert_int_equal(dmg[0].records, 3);
    assert_true(dmg[0].records_known);
    snprintf(bad, sizeof(bad), "%s.bad", path);
    assert_int_equal(access(bad, F_OK), 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(torn, F_OK), -1);
    assert_int_equal(count_files(f, ".wts"), 2);
    assert_int_equal(count_files(f, ".wts.bad"), 1);
    /* Sink 1's cursor was in the set-aside segment: the next one's start. */
    assert_int_equal(cursor(f, 1).segment, seg1 + 2);
    assert_int_equal(cursor(f, 1).offset, SEG_HDR);
    struct wt_spool_pos p = cursor(f, 0);
    static const uint64_t want[] = {1, 2, 3, 7, 8, 9};
    for (size_t i = 0; i < 6; i++)
        expect_rec(f, 0, &p, want[i], LEN1K, NULL);
    /* New segments do not reuse the ids of set-aside or deleted ones. */
    append_seq(f, 10, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    struct wt_spool_rec r;
    expect_rec(f, 0, &p, 10, LEN1K, &r);
    assert_int_equal(r.pos.segment, seg1 + 4);
}

/* A segment deleted from the middle, and a sealed segment truncated: each
 * reported once with the records lost (the next segment's first sequence
 * number tells how many). */
static void test_missing_and_truncated_segments(void **state)
{
    struct fx *f = *state;
    char path[256];
    open_ok(f, 1, SMALL_SEG, 0);
    for (uint64_t s = 1; s <= 12; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    const uint64_t seg1 = cursor(f, 0).segment;
    close_sp(f);
    seg_path(f, seg1 + 1, path, sizeof(path));
    assert_int_equal(unlink(path), 0);
    seg_path(f, seg1 + 2, path, sizeof(path));
    assert_int_equal(truncate(path, SEG_HDR + RSZ1K + 10), 0); /* inside record 8 */
    open_ok(f, 1, SMALL_SEG, 0);
    assert_int_equal(f->rec.records, 3 + 1 + 3);
    assert_int_equal(f->rec.lost_records, 3 + 2);
    assert_int_equal(ndmg, 2);
    assert_int_equal(dmg[0].kind, WT_SPOOL_DAMAGE_MISSING);
    assert_int_equal(dmg[0].segment, seg1 + 1);
    assert_int_equal(dmg[0].bytes, 1);
    assert_int_equal(dmg[0].records, 3);
    assert_true(dmg[0].records_known);
    assert_int_equal(dmg[1].kind, WT_SPOOL_DAMAGE_TAIL);
    assert_int_equal(dmg[1].segment, seg1 + 2);
    assert_int_equal(dmg[1].offset, SEG_HDR + RSZ1K);
    assert_int_equal(dmg[1].records, 2);
    assert_true(dmg[1].records_known);
    struct wt_spool_pos p = cursor(f, 0);
    static const uint64_t want[] = {1, 2, 3, 7, 10, 11, 12};
    for (size_t i = 0; i < 7; i++)
        expect_rec(f, 0, &p, want[i], LEN1K, NULL);
    expect_eagain(f, 0, &p);
    /* Segments that every sink passed and that were deleted are not damage. */
    consume(f, 0, 1, 3, LEN1K);
    assert_int_equal(wt_spool_sync_cursors(f->sp), 0);
    close_sp(f);
    open_ok(f, 1, SMALL_SEG, 0);
    /* The gap is no longer between present segments and the tail was cut:
     * nothing is reported twice. */
    assert_int_equal(ndmg, 0);
}

static void test_damaged_cursor_files(void **state)
{
    struct fx *f = *state;
    char path[256];
    open_ok(f, 3, SMALL_SEG, 0);
    for (uint64_t s = 1; s <= 6; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    const uint64_t seg1 = cursor(f, 0).segment;
    consume(f, 0, 1, 4, LEN1K);
    close_sp(f);

    /* sse: garbage; kafka: off a record boundary; file: past the end. */
    snprintf(path, sizeof(path), "%s/cursor-sse", f->dir);
    spit(path, "WTC1 not a cursor\n", 18);
    write_cursor(f, "kafka", seg1, SEG_HDR + 10);
    write_cursor(f, "file", seg1 + 1, 1000000);
    open_ok(f, 3, SMALL_SEG, 0);
    assert_int_equal(f->rec.bad_cursors, 1U << 0);
    assert_int_equal(f->rec.cursors_clamped, 2);
    struct wt_spool_pos p = cursor(f, 0);
    expect_rec(f, 0, &p, 1, LEN1K, NULL); /* the oldest */
    p = cursor(f, 1);
    expect_rec(f, 1, &p, 2, LEN1K, NULL); /* the next record after it */
    p = cursor(f, 2);
    expect_eagain(f, 2, &p); /* the end */
    /* The damaged file is rewritten at the next sync. */
    assert_int_equal(wt_spool_sync_cursors(f->sp), 0);
    close_sp(f);
    open_ok(f, 3, SMALL_SEG, 0);
    assert_int_equal(f->rec.bad_cursors, 0);

    /* A truncated cursor file and a bad CRC are damage too. */
    close_sp(f);
    write_cursor(f, "sse", seg1, SEG_HDR);
    size_t n;
    unsigned char *b = slurp(path, &n);
    spit(path, b, n - 3);
    char kpath[256];
    snprintf(kpath, sizeof(kpath), "%s/cursor-kafka", f->dir);
    free(b);
    b = slurp(kpath, &n);
    b[n - 2] = b[n - 2] == '0' ? '1' : '0';
    spit(kpath, b, n);
    free(b);
    open_ok(f, 3, SMALL_SEG, 0);
    assert_int_equal(f->rec.bad_cursors, 3U);
}

/* The disk changes under an open spool: the reader is told where to resume. */
static void test_read_time_corruption(void **state)
{
    struct fx *f = *state;
    char path[256];
    unsigned char buf[200];
    struct wt_spool_rec r;
    open_ok(f, 1, 0, 0);
    for (uint64_t s = 1; s <= 3; s++)
        append_seq(f, s, 100);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    struct wt_spool_pos p = cursor(f, 0);
    seg_path(f, p.segment, path, sizeof(path));
    xor_byte(path, SEG_HDR + (REC_HDR + 100) + REC_HDR + 1, 0xFF);
    expect_rec(f, 0, &p, 1, 100, NULL);
    const struct wt_spool_pos at = p;
    assert_int_equal(wt_spool_next(f->sp, 0, &p, &r, buf, sizeof(buf)), WT_EPARSE);
    assert_int_equal(p.offset, at.offset);
    assert_int_equal(r.next.segment, at.segment);
    /* The next whole record: only the damaged one is lost. */
    assert_int_equal(r.next.offset, SEG_HDR + 2 * (REC_HDR + 100));
    assert_int_equal(wt_spool_ack(f->sp, 0, &r.next), 0);
    p = r.next;
    expect_rec(f, 0, &p, 3, 100, NULL);
    expect_eagain(f, 0, &p);
}

/* Symlinks planted in the spool directory never redirect a write: not at
 * the old fixed cursor temp name, not as a cursor file, not as a segment. */
static void test_planted_symlinks(void **state)
{
    struct fx *f = *state;
    char target[256], link[256], path[256];
    open_ok(f, 1, 0, 0);
    append_seq(f, 1, 100);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    snprintf(target, sizeof(target), "%s/precious", f->root);
    spit(target, "keep me", 7);
    snprintf(link, sizeof(link), "%s/.cursor-sse.tmp", f->dir);
    assert_int_equal(symlink(target, link), 0);
    consume(f, 0, 1, 1, 100);
    assert_int_equal(wt_spool_sync_cursors(f->sp), 0);
    const struct wt_spool_pos c = cursor(f, 0);
    close_sp(f);
    size_t n;
    unsigned char *b = slurp(target, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(b, "keep me", 7);
    free(b);

    /* A symlink as the cursor file: damaged (not followed), then replaced. */
    snprintf(path, sizeof(path), "%s/cursor-sse", f->dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(target, path), 0);
    open_ok(f, 1, 0, 0);
    assert_int_equal(f->rec.bad_cursors, 1);
    consume(f, 0, 1, 1, 100);
    assert_int_equal(wt_spool_sync_cursors(f->sp), 0);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(cursor(f, 0).offset, c.offset);
    close_sp(f);

    /* A symlink as a segment file: deleted, never opened for writing. */
    seg_path(f, c.segment + 5, path, sizeof(path));
    assert_int_equal(symlink(target, path), 0);
    open_ok(f, 1, 0, 0);
    assert_int_equal(f->rec.symlinks_removed, 1);
    assert_int_equal(access(path, F_OK), -1);
    b = slurp(target, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(b, "keep me", 7);
    free(b);
}

/* After a failed write or fsync (a full disk), discarding what was not
 * committed makes the spool work again: the same records are appended again
 * with the same numbers, nothing is lost or doubled, and a reopen is clean. */
static void test_discard_uncommitted(void **state)
{
    struct fx *f = *state;
    open_ok(f, 1, SMALL_SEG, 0);
    for (uint64_t s = 1; s <= 4; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    const uint64_t seg1 = cursor(f, 0).segment;
    /* Uncommitted: 5 and 6 in the active segment, 7..9 in a new one. */
    for (uint64_t s = 5; s <= 9; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(count_files(f, ".wts"), 3);
    assert_int_equal(wt_spool_discard_uncommitted(f->sp), 0);
    assert_int_equal(count_files(f, ".wts"), 2);
    assert_int_equal(wt_spool_next_seq(f->sp), 5);
    for (uint64_t s = 5; s <= 7; s++)
        append_seq(f, s, LEN1K);

    /* A failed fsync: the next records go to a new segment. */
    f->sp->broken = -EIO;
    unsigned char b[8] = {0};
    struct wt_spool_meta m = meta_of(8);
    assert_int_equal(wt_spool_append(f->sp, b, sizeof(b), &m, NULL), -EIO);
    assert_int_equal(wt_spool_commit(f->sp), -EIO);
    assert_int_equal(wt_spool_discard_uncommitted(f->sp), 0);
    assert_int_equal(wt_spool_next_seq(f->sp), 5);
    assert_int_equal(count_files(f, ".wts"), 3); /* seg1, seg2 (cut back), a new one */
    for (uint64_t s = 5; s <= 9; s++)
        append_seq(f, s, LEN1K);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    struct wt_spool_pos p = cursor(f, 0);
    for (uint64_t s = 1; s <= 9; s++)
        expect_rec(f, 0, &p, s, LEN1K, NULL);
    expect_eagain(f, 0, &p);
    close_sp(f);
    open_ok(f, 1, SMALL_SEG, 0);
    assert_int_equal(f->rec.records, 9);
    assert_int_equal(f->rec.damages, 0);
    assert_int_equal(f->rec.cut_records, 0);
    p = cursor(f, 0);
    assert_int_equal(p.segment, seg1);
    for (uint64_t s = 1; s <= 9; s++)
        expect_rec(f, 0, &p, s, LEN1K, NULL);
    /* Nothing to discard: a no-op. */
    assert_int_equal(wt_spool_discard_uncommitted(f->sp), 0);
    assert_int_equal(wt_spool_next_seq(f->sp), 10);
}

/* ------------------------------------------------------------------------ */
/* Files, options, locking, threads                                         */
/* ------------------------------------------------------------------------ */

static void test_file_modes(void **state)
{
    struct fx *f = *state;
    struct stat st;
    char path[256];
    const mode_t old = umask(0);
    open_ok(f, 1, 0, 0);
    append_seq(f, 1, 10);
    assert_int_equal(wt_spool_commit(f->sp), 0);
    consume(f, 0, 1, 1, 10);
    assert_int_equal(wt_spool_sync_cursors(f->sp), 0);
    umask(old);
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    seg_path(f, cursor(f, 0).segment, path, sizeof(path));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    snprintf(path, sizeof(path), "%s/cursor-sse", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* No temp file is left behind. */
    snprintf(path, sizeof(path), "%s/.cursor-sse.tmp", f->dir);
    assert_int_equal(access(path, F_OK), -1);
    /* A stale one from a crash is removed at open. */
    close_sp(f);
    spit(path, "x", 1);
    open_ok(f, 1, 0, 0);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_locked_against_second_open(void **state)
{
    struct fx *f = *state;
    struct wt_spool *sp2 = NULL;
    char err[256];
    open_ok(f, 1, 0, 0);
    struct wt_spool_opts o = {.dir = f->dir, .nsinks = 1, .sink_names = names3};
    assert_int_equal(wt_spool_open(&sp2, &o, NULL, err, sizeof(err)), -EBUSY);
    assert_null(sp2);
    assert_non_null(strstr(err, "in use"));
    close_sp(f);
    assert_int_equal(wt_spool_open(&sp2, &o, NULL, NULL, 0), 0);
    wt_spool_close(sp2);
}

static void test_bad_options(void **state)
{
    struct fx *f = *state;
    struct wt_spool *sp = NULL;
    char err[256];
    const char *const dup[] = {"a", "a"};
    const char *const slash[] = {"a/b"};
    const char *const dot[] = {".a"};
    const char *const empty[] = {""};
    const char *const nine[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
    struct wt_spool_opts base = {.dir = f->dir, .nsinks = 1, .sink_names = names3};
    struct wt_spool_opts bad[] = {
        {.dir = NULL, .nsinks = 1, .sink_names = names3},
        {.dir = f->dir, .nsinks = 0, .sink_names = names3},
        {.dir = f->dir, .nsinks = 9, .sink_names = nine},
        {.dir = f->dir, .nsinks = 2, .sink_names = dup},
        {.dir = f->dir, .nsinks = 1, .sink_names = slash},
        {.dir = f->dir, .nsinks = 1, .sink_names = dot},
        {.dir = f->dir, .nsinks = 1, .sink_names = empty},
        {.dir = f->dir, .segment_bytes = 100, .nsinks = 1, .sink_names = names3},
        {.dir = f->dir,
         .segment_bytes = 1 << 20,
         .max_bytes = 1 << 19,
         .nsinks = 1,
         .sink_names = names3},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(wt_spool_open(&sp, &bad[i], NULL, err, sizeof(err)), WT_ECONFIG);
        assert_null(sp);
        assert_true(strlen(err) > 0);
    }
    /* A missing parent is an errno, with the path in the message. */
    char deep[256];
    snprintf(deep, sizeof(deep), "%s/no/such", f->root);
    base.dir = deep;
    assert_int_equal(wt_spool_open(&sp, &base, NULL, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "no/such"));
}

#define T_RECORDS 3000
#define T_READERS 2

/* Threads stop when any of them fails, or after T_DEADLINE seconds. */
#define T_DEADLINE 20

struct tctx {
    struct fx *f;
    unsigned sink;
    int fail;
    atomic_int *stop;
    time_t deadline;
};

static bool t_give_up(struct tctx *c)
{
    if (atomic_load(c->stop))
        return true;
    if (time(NULL) > c->deadline) {
        c->fail = 9;
        atomic_store(c->stop, 1);
        return true;
    }
    sched_yield();
    return false;
}

static void *t_writer(void *arg)
{
    struct tctx *c = arg;
    static unsigned char buf[2048];
    for (uint64_t s = 1; s <= T_RECORDS && !c->fail; s++) {
        const size_t len = (size_t)(s * 7919 % 2000);
        struct wt_spool_meta m = meta_of(s);
        uint64_t got = 0;
        int rc;
        fill(buf, s, len);
        while ((rc = wt_spool_append(c->f->sp, buf, len, &m, &got)) == WT_EFULL)
            if (t_give_up(c))
                return NULL;
        if (rc != 0 || got != s)
            c->fail = 1;
        if ((s % 10 == 0 || s == T_RECORDS) && wt_spool_commit(c->f->sp) != 0)
            c->fail = 2;
    }
    if (c->fail)
        atomic_store(c->stop, 1);
    return NULL;
}

static void *t_reader(void *arg)
{
    struct tctx *c = arg;
    unsigned char buf[2048];
    struct wt_spool_pos pos;
    struct wt_spool_rec r;
    uint64_t expect = 1;
    wt_spool_cursor(c->f->sp, c->sink, &pos);
    while (expect <= T_RECORDS && !c->fail) {
        int rc = wt_spool_next(c->f->sp, c->sink, &pos, &r, buf, sizeof(buf));
        if (rc == WT_EAGAIN) {
            if (t_give_up(c))
                return NULL;
            continue;
        }
        if (rc != 0 || r.seq != expect || r.len != (size_t)(expect * 7919 % 2000) ||
            !payload_ok(buf, expect, r.len)) {
            c->fail = 3;
            break;
        }
        /* Ack every other record, in order; sync now and then. */
        if (expect % 2 == 0 && wt_spool_ack(c->f->sp, c->sink, &r.next) != 0)
            c->fail = 4;
        if (expect % 97 == 0 && wt_spool_sync_cursors(c->f->sp) != 0)
            c->fail = 5;
        expect++;
    }
    if (c->fail)
        atomic_store(c->stop, 1);
    return NULL;
}

static void test_threads(void **state)
{
    struct fx *f = *state;
    pthread_t w, rd[T_READERS];
    atomic_int stop = 0;
    const time_t deadline = time(NULL) + T_DEADLINE;
    struct tctx wc = {f, 0, 0, &stop, deadline}, rc[T_READERS];
    open_ok(f, T_READERS, 16 * 1024, 256 * 1024);
    assert_int_equal(pthread_create(&w, NULL, t_writer, &wc), 0);
    for (unsigned i = 0; i < T_READERS; i++) {
        rc[i] = (struct tctx){f, i, 0, &stop, deadline};
        assert_int_equal(pthread_create(&rd[i], NULL, t_reader, &rc[i]), 0);
    }
    pthread_join(w, NULL);
    for (unsigned i = 0; i < T_READERS; i++)
        pthread_join(rd[i], NULL);
    assert_int_equal(wc.fail, 0);
    for (unsigned i = 0; i < T_READERS; i++)
        assert_int_equal(rc[i].fail, 0);
    /* Only what was never acked, in at most the last segment or two. */
    assert_true(count_files(f, ".wts") <= 2);
    close_sp(f);
    open_ok(f, T_READERS, 16 * 1024, 256 * 1024);
    assert_int_equal(f->rec.cut_records, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncommitted_tail_invisible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursors_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_continues_after_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollover_and_deletion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_record_own_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_bytes_full_then_acks_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_active_segment_reclaimed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire_by_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_flip_costs_one_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_payload_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_truncated_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_after_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_older_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_segment_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_cursor_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_time_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planted_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard_uncommitted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_against_second_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
