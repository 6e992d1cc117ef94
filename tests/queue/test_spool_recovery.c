/*
 * test_spool_recovery.c - the disk spool's recovery: torn tails, flipped
 * bytes, corrupt payloads, garbage, bad segment headers, missing and
 * truncated segments, damaged cursor files, the disk changing under an open
 * spool, planted symlinks, and discarding what a failed write left.
 */
#include "spool_util.h"

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
    close_sp(f);

    /* A FIFO as a segment file: refused (not read, not removed), then fine
     * once it is gone. */
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(try_open(f, 1, 0, 0), WT_ENOTREG);
    assert_null(f->sp);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(unlink(path), 0);
    open_ok(f, 1, 0, 0);
    assert_int_equal(cursor(f, 0).offset, c.offset);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
