/*
 * test_spool.c - the disk spool: round trips for several sinks, persisted
 * cursors, roll-over and deletion, limits, expiry, file modes, options,
 * locking, and concurrent writer and readers. Recovery from torn and
 * corrupt data is test_spool_recovery.c.
 */
#include "spool_util.h"

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
        cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_against_second_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
