/*
 * test_textbuf.c - the growable text buffer (wt_tbuf): grows past its first
 * block, escapes JSON strings, writes numbers, hands the text over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wt_common.h"

#include <string.h>

static void test_grow_and_take(void **state)
{
    (void)state;
    struct wt_tbuf b = {0};
    char *none = wt_tbuf_take(&b, NULL); /* an empty buffer gives "" */
    assert_non_null(none);
    assert_string_equal(none, "");
    wt_free(none);
    for (int i = 0; i < 10000; i++)
        WT_TBUF_LIT(&b, "0123456789");
    assert_int_equal(b.len, 100000);
    assert_true(b.cap >= b.len);
    wt_tbuf_u64(&b, 0);
    wt_tbuf_u64(&b, UINT64_MAX);
    wt_tbuf_json_str(&b, "a\"b\\c\n", 6);
    size_t len = 0;
    char *t = wt_tbuf_take(&b, &len);
    assert_non_null(t);
    assert_int_equal(len, strlen(t));
    assert_string_equal(t + 100000, "018446744073709551615\"a\\\"b\\\\c\\u000a\"");
    for (int i = 0; i < 10000; i++)
        assert_memory_equal(t + 10 * i, "0123456789", 10);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    wt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_and_take),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
