/*
 * test_batch.c - batches: event accounting, input marks, zstd framing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "wt_queue.h"

static void put_event(struct wt_batch *b, const char *s, int64_t ts)
{
    struct wt_buf w = wt_batch_space(b);
    assert_int_equal(wt_buf_append(&w, s, strlen(s)), 0);
    wt_batch_commit_event(b, w.len, ts);
}

static void test_batch_events_and_times(void **state)
{
    (void)state;
    struct wt_batch *b = wt_batch_new(1024);
    assert_non_null(b);
    wt_batch_reset(b, 42);
    assert_int_equal(b->id, 42);
    put_event(b, "{\"a\":1}\n", 2000);
    put_event(b, "{\"a\":2}\n", 1000);
    put_event(b, "{\"a\":3}\n", 3000);
    assert_int_equal(b->nevents, 3);
    assert_int_equal(b->len, 24);
    assert_int_equal(b->ts_min, 1000);
    assert_int_equal(b->ts_max, 3000);
    assert_memory_equal(b->data, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n", 24);
    /* The space view never exceeds the capacity. */
    struct wt_buf w = wt_batch_space(b);
    assert_int_equal(w.cap, 1024 - 24);
    wt_batch_reset(b, 43);
    assert_int_equal(b->len, 0);
    assert_int_equal(b->nevents, 0);
    assert_int_equal(b->nmarks, 0);
    wt_batch_free(b);
    wt_batch_free(NULL);
}

static void test_batch_marks(void **state)
{
    (void)state;
    struct wt_batch *b = wt_batch_new(64);
    wt_batch_reset(b, 1);
    /* Repeated marks of one input update it in place. */
    assert_int_equal(wt_batch_mark(b, 7, 100, 1), 0);
    assert_int_equal(wt_batch_mark(b, 7, 250, 2), 0);
    assert_int_equal(b->nmarks, 1);
    assert_true(b->marks[0].offset == 250 && b->marks[0].lineno == 2);
    /* Up to WT_BATCH_MAX_MARKS inputs, then WT_EFULL. */
    for (uint32_t i = 0; i < WT_BATCH_MAX_MARKS - 1; i++)
        assert_int_equal(wt_batch_mark(b, 100 + i, i, i), 0);
    assert_int_equal(b->nmarks, WT_BATCH_MAX_MARKS);
    assert_int_equal(wt_batch_mark(b, 9999, 1, 1), WT_EFULL);
    assert_int_equal(wt_batch_mark(b, 7, 300, 3), 0); /* known inputs still update */
    wt_batch_free(b);
}

static void test_batch_zstd_round_trip(void **state)
{
    (void)state;
    enum { CAP = 256 * 1024 };
    struct wt_batch *b = wt_batch_new(CAP);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    char *back = malloc(CAP);
    char line[128];
    wt_batch_reset(b, 1);
    for (int i = 0; b->len + sizeof(line) < CAP; i++) {
        snprintf(line, sizeof(line), "{\"line\":%d,\"url\":\"http://h%d.example.com/\"}\n", i,
                 i % 97);
        put_event(b, line, i);
    }
    for (int level = 1; level <= 19; level += 9) {
        assert_int_equal(wt_batch_compress(b, cctx, level), 0);
        assert_true(b->zlen > 0 && b->zlen < b->len / 3);
        /* One frame, whose content size is recorded. */
        assert_int_equal(ZSTD_findFrameCompressedSize(b->z, b->zlen), b->zlen);
        long n = wt_zstd_decompress(b->z, b->zlen, back, CAP);
        assert_int_equal(n, (long)b->len);
        assert_memory_equal(back, b->data, b->len);
    }
    /* Corrupt frames are refused. */
    b->z[b->zlen / 2] ^= 0x5a;
    b->z[0] ^= 0xff;
    assert_true(wt_zstd_decompress(b->z, b->zlen, back, CAP) < 0);
    free(back);
    ZSTD_freeCCtx(cctx);
    wt_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_events_and_times),
        cmocka_unit_test(test_batch_marks),
        cmocka_unit_test(test_batch_zstd_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
