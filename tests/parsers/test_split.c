/*
 * test_split.c - the bounded line splitter and the number/view helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parsers_int.h"

/* Split all of buf (feeding it in chunks of `chunk` bytes through a buffer
 * of cap bytes, as a reader would) and join the lines with '|'. */
static void split_all(const char *in, size_t chunk, size_t max_line, size_t cap, char *out,
                      uint64_t *too_long)
{
    struct wt_splitter sp;
    char *buf = malloc(cap);
    size_t have = 0, pos = 0, n = strlen(in);
    out[0] = '\0';
    assert_int_equal(wt_splitter_init(&sp, max_line), 0);
    for (;;) {
        size_t take = n - pos < chunk ? n - pos : chunk;
        if (take > cap - have)
            take = cap - have;
        memcpy(buf + have, in + pos, take);
        have += take;
        pos += take;
        size_t off = 0;
        for (;;) {
            struct wt_str line;
            size_t used = 0;
            int rc = wt_splitter_next(&sp, buf + off, have - off, &used, &line);
            off += used;
            if (rc != 0)
                break;
            strncat(out, line.p, line.len);
            strcat(out, "|");
        }
        memmove(buf, buf + off, have - off);
        have -= off;
        if (pos == n && take == 0)
            break;
        assert_true(take > 0 || off > 0);
    }
    struct wt_str last;
    if (wt_splitter_finish(&sp, buf, have, &last) == 0) {
        strncat(out, last.p, last.len);
        strcat(out, "|");
    }
    *too_long = sp.too_long;
    free(buf);
}

static void test_split_basic(void **state)
{
    (void)state;
    char out[1024];
    uint64_t tl;
    for (size_t chunk = 1; chunk < 20; chunk++) {
        split_all("a\nbb\r\n\nccc\n", chunk, 256, 300, out, &tl);
        assert_string_equal(out, "a|bb||ccc|");
        assert_int_equal(tl, 0);
    }
}

static void test_split_partial_last_line(void **state)
{
    (void)state;
    char out[1024];
    uint64_t tl;
    split_all("one\ntwo", 3, 256, 300, out, &tl);
    assert_string_equal(out, "one|two|");
}

static void test_split_long_lines_skipped_whole(void **state)
{
    (void)state;
    char in[4096], out[4096];
    uint64_t tl;
    /* max 256: a 300-byte line between two good lines, fed in small and big
     * chunks through a buffer of max+1 bytes (the reader's guarantee). */
    memset(in, 0, sizeof(in));
    strcpy(in, "first\n");
    memset(in + 6, 'x', 300);
    strcpy(in + 306, "\nsecond\n");
    for (size_t chunk = 7; chunk < 400; chunk += 31) {
        split_all(in, chunk, 256, 257, out, &tl);
        assert_string_equal(out, "first|second|");
        assert_int_equal(tl, 1);
    }
    /* A line of exactly max_line bytes is kept. */
    memset(in, 'y', 256);
    strcpy(in + 256, "\nz\n");
    split_all(in, 64, 256, 257, out, &tl);
    assert_int_equal(tl, 0);
    assert_int_equal(strlen(out), 256 + 3);
    /* An over-long unterminated last line is counted, not returned. */
    memset(in, 'w', 400);
    in[400] = '\0';
    split_all(in, 100, 256, 257, out, &tl);
    assert_string_equal(out, "");
    assert_int_equal(tl, 1);
}

static void test_split_lineno(void **state)
{
    (void)state;
    struct wt_splitter sp;
    struct wt_str line;
    size_t used;
    char big[600];
    memset(big, 'q', sizeof(big));
    memcpy(big, "a\n", 2);
    big[400] = '\n';
    memcpy(big + 401, "b\n", 2);
    wt_splitter_init(&sp, 256);
    assert_int_equal(wt_splitter_next(&sp, big, 403, &used, &line), 0);
    assert_int_equal(sp.lineno, 1);
    size_t off = used;
    /* The 398-byte line 2 is skipped, line 3 comes back numbered 3. */
    assert_int_equal(wt_splitter_next(&sp, big + off, 403 - off, &used, &line), 0);
    assert_int_equal(line.len, 1);
    assert_int_equal(line.p[0], 'b');
    assert_int_equal(sp.lineno, 3);
    assert_int_equal(sp.too_long, 1);
}

static void test_splitter_init_bounds(void **state)
{
    (void)state;
    struct wt_splitter sp;
    assert_int_equal(wt_splitter_init(&sp, WT_LINE_MAX_MIN - 1), WT_ECONFIG);
    assert_int_equal(wt_splitter_init(&sp, WT_LINE_MAX_LIMIT + 1), WT_ECONFIG);
    assert_int_equal(wt_splitter_init(&sp, WT_LINE_MAX_DEFAULT), 0);
}

static void test_numbers(void **state)
{
    (void)state;
    uint64_t v;
    int64_t ms;
    assert_int_equal(wt_str_to_u64(WT_STR_LIT("18446744073709551615"), &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(wt_str_to_u64(WT_STR_LIT("18446744073709551616"), &v), WT_EPARSE);
    assert_int_equal(wt_str_to_u64(WT_STR_LIT(""), &v), WT_EPARSE);
    assert_int_equal(wt_str_to_u64(WT_STR_LIT("12a"), &v), WT_EPARSE);
    assert_int_equal(wt_str_to_u64(WT_STR_LIT("-1"), &v), WT_EPARSE);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("1278096903.150"), &ms), 0);
    assert_true(ms == 1278096903150LL);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("1278096903.1"), &ms), 0);
    assert_true(ms == 1278096903100LL);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("1278096903.15099"), &ms), 0);
    assert_true(ms == 1278096903150LL);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("1278096903"), &ms), 0);
    assert_true(ms == 1278096903000LL);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("1278096903."), &ms), WT_EPARSE);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("2021-06-01"), &ms), WT_EPARSE);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("9999999999999.1"), &ms), WT_EPARSE);
}

/* Byte by byte, the rule the `1700000000.123` fast path must match. */
static int ref_epoch_ms(const char *p, int64_t *ms)
{
    int64_t sec = 0, frac = 0;
    for (int i = 0; i < 14; i++) {
        if (i == 10 ? p[i] != '.' : (p[i] < '0' || p[i] > '9'))
            return WT_EPARSE;
        if (i < 10)
            sec = sec * 10 + (p[i] - '0');
        else if (i > 10)
            frac = frac * 10 + (p[i] - '0');
    }
    *ms = sec * 1000 + frac;
    return 0;
}

/* Every byte value at every position of a 10.3 timestamp, and digit runs. */
static void test_epoch_fast_shape(void **state)
{
    (void)state;
    char buf[14];
    int64_t ms, want;
    unsigned seed = 7;
    for (int round = 0; round < 2000; round++) {
        for (int i = 0; i < 14; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = i == 10 ? '.' : (char)('0' + (seed >> 16) % 10);
        }
        int pos = round % 14;
        for (int c = 0; c < 256; c += (round < 14 ? 1 : 37)) {
            char keep = buf[pos];
            buf[pos] = (char)c;
            int rc = wt_str_to_epoch_ms((struct wt_str){buf, 14}, &ms);
            if (ref_epoch_ms(buf, &want) == 0) {
                assert_int_equal(rc, 0);
                assert_true(ms == want);
            } else if (pos != 10) {
                assert_int_equal(rc, WT_EPARSE); /* a bad digit is never a number */
            }
            buf[pos] = keep;
        }
    }
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("9999999999.999"), &ms), 0);
    assert_true(ms == 9999999999999LL);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("0000000000.000"), &ms), 0);
    assert_true(ms == 0);
    /* Not the usual shape: the general rule (a dot elsewhere, 13 digits). */
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("12345678901.23"), &ms), 0);
    assert_true(ms == 12345678901230LL);
    assert_int_equal(wt_str_to_epoch_ms(WT_STR_LIT("1234567890123."), &ms), WT_EPARSE);
}

static void test_fields(void **state)
{
    (void)state;
    const char *s = "  a \"b c\" \"d\"e\" \"open";
    const char *p = s, *end = s + strlen(s);
    struct wt_str f;
    assert_true(wt__field(&p, end, &f));
    assert_true(wt_str_eq(f, "a"));
    assert_true(wt__field(&p, end, &f));
    assert_true(wt_str_eq(f, "b c"));
    assert_true(wt__field(&p, end, &f));
    assert_true(wt_str_eq(f, "d\"e"));
    assert_true(wt__field(&p, end, &f));
    assert_true(wt_str_eq(f, "open"));
    assert_false(wt__field(&p, end, &f));
    assert_true(wt_str_ieq(WT_STR_LIT("HtTp"), "http"));
    assert_false(wt_str_ieq(WT_STR_LIT("http"), "https"));
    assert_string_equal(wt_strerror(WT_EFULL), "buffer or queue full");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_basic),
        cmocka_unit_test(test_split_partial_last_line),
        cmocka_unit_test(test_split_long_lines_skipped_whole),
        cmocka_unit_test(test_split_lineno),
        cmocka_unit_test(test_splitter_init_bounds),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_epoch_fast_shape),
        cmocka_unit_test(test_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
