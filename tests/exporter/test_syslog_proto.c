/*
 * test_syslog_proto.c - the syslog input's decoders: RFC 5424 and RFC 3164
 * headers, RFC 6587 framing (both kinds, split anywhere, oversized and
 * broken frames).
 */
#include "syslog_proto.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

static void assert_view(struct wt_str v, const char *want)
{
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.p, want, v.len);
}

static void hdr_ok(const char *msg, int pri, int ver, const char *host, const char *app,
                   const char *body)
{
    struct wt_syslog_msg m;
    assert_int_equal(wt_syslog_header(msg, strlen(msg), &m), 0);
    assert_int_equal(m.pri, pri);
    assert_int_equal(m.version, ver);
    assert_view(m.host, host);
    assert_view(m.app, app);
    assert_view(m.body, body);
}

static void test_rfc5424(void **state)
{
    (void)state;
    hdr_ok("<14>1 2026-12-07T21:00:00.123Z wsa1.example.com accesslogs - - - 1281.1 a b", 14, 1,
           "wsa1.example.com", "accesslogs", "1281.1 a b");
    /* Structured data with escapes and ']' inside a quoted value. */
    hdr_ok("<165>1 2003-10-11T22:14:15.003Z h app 12 ID47 [ex@32473 iut=\"3\" a=\"x\\\"]y\"]"
           "[b@1 c=\"d\"] body",
           165, 1, "h", "app", "body");
    /* NILVALUEs, no MSG, a BOM, a trailing LF. */
    hdr_ok("<0>1 - - - - - -", 0, 1, "", "", "");
    hdr_ok("<13>1 - host - - - - \xef\xbb\xbfline\r\n", 13, 1, "host", "", "line");
}

static void test_rfc3164(void **state)
{
    (void)state;
    hdr_ok("<134>Jul 21 07:59:18 wsa1 accesslogs: Info: 1374393558.010 x", 134, 0, "wsa1",
           "accesslogs", "Info: 1374393558.010 x");
    hdr_ok("<13>Dec  7 21:00:00 vm tag[123]: body here", 13, 0, "vm", "tag", "body here");
    /* RFC 3339 time (rsyslog's forward format), and no tag. */
    hdr_ok("<13>2026-12-07T21:00:00.1+01:00 vm 1281.1 a b", 13, 0, "vm", "", "1281.1 a b");
    /* No timestamp: all of it is the message (RFC 3164 4.3.3). */
    hdr_ok("<13>1281.1 a b", 13, 0, "", "", "1281.1 a b");
    hdr_ok("<13>", 13, 0, "", "", "");
}

static void test_header_errors(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "no pri",
                         "<>x",
                         "<192>x",
                         "<1234>x",
                         "<13",
                         "<13x>",
                         "<14>1 ",
                         "<14>1 ts host app proc msgid",
                         "<14>1 ts host app proc msgid [unterminated a=\"]\"",
                         "<14>1 ts host app proc msgid -x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wt_syslog_msg m;
        if (wt_syslog_header(bad[i], strlen(bad[i]), &m) != WT_EPARSE)
            fail_msg("accepted: \"%s\"", bad[i]);
    }
}

/* Feed s to a framer in pieces of step bytes; collect messages joined by '|'. */
static int frame_all(const char *s, size_t step, size_t max, char *out, size_t cap, int *toolong)
{
    struct wt_syslog_framer f;
    char buf[256];
    size_t len = 0, pos = 0, o = 0;
    wt_syslog_framer_init(&f, max);
    *toolong = 0;
    out[0] = '\0';
    while (pos < strlen(s) || len) {
        size_t n = strlen(s) - pos < step ? strlen(s) - pos : step;
        if (n > sizeof(buf) - len)
            n = sizeof(buf) - len;
        memcpy(buf + len, s + pos, n);
        len += n;
        pos += n;
        for (;;) {
            size_t used;
            struct wt_str m;
            int rc = wt_syslog_frame_next(&f, buf, len, &used, &m);
            if (rc == WT_EPARSE)
                return rc;
            if (rc == 0)
                o += (size_t)snprintf(out + o, cap - o, "%.*s|", (int)m.len, m.p);
            if (rc == WT_ETOOLONG)
                (*toolong)++;
            memmove(buf, buf + used, len - used);
            len -= used;
            if (rc == WT_EAGAIN && used == 0)
                break;
        }
        if (pos == strlen(s))
            break;
    }
    return 0;
}

static void test_framing(void **state)
{
    (void)state;
    char out[512];
    int tl;
    const char *octet = "5 <1>ab9 <13>x y\nz3 <2>";
    const char *lf = "<1>ab\n<13>x y\r\n\n<2>";
    for (size_t step = 1; step <= 40; step++) {
        assert_int_equal(frame_all(octet, step, 100, out, sizeof(out), &tl), 0);
        assert_string_equal(out, "<1>ab|<13>x y\nz|<2>|");
        assert_int_equal(frame_all(lf, step, 100, out, sizeof(out), &tl), 0);
        /* The last one has no LF yet: it waits (at EOF the input takes it). */
        assert_string_equal(out, "<1>ab|<13>x y||");
    }
}

static void test_framing_limits(void **state)
{
    (void)state;
    char out[512], big[600];
    int tl;
    /* Octet counting: a frame longer than max is skipped whole. */
    for (size_t step = 1; step <= 30; step += 7) {
        assert_int_equal(frame_all("3 abc12 0123456789ab3 def", step, 10, out, sizeof(out), &tl),
                         0);
        assert_string_equal(out, "abc|def|");
        assert_int_equal(tl, 1);
    }
    /* LF: a line longer than max (found late or early) is skipped whole. */
    memset(big, 'x', 300);
    snprintf(big + 300, sizeof(big) - 300, "\nok\nyyyyyyyyyyyy\nend\n");
    for (size_t step = 1; step <= 120; step += 13) {
        assert_int_equal(frame_all(big, step, 10, out, sizeof(out), &tl), 0);
        assert_string_equal(out, "ok|end|");
        assert_int_equal(tl, 2);
    }
    /* Exactly max bytes (with a CR) still fit. */
    assert_int_equal(frame_all("abcdefghij\r\n", 3, 10, out, sizeof(out), &tl), 0);
    assert_string_equal(out, "abcdefghij|");
    /* Broken octet counts. */
    assert_int_equal(frame_all("5x<1>ab", 100, 10, out, sizeof(out), &tl), WT_EPARSE);
    assert_int_equal(frame_all("05 <1>ab", 100, 10, out, sizeof(out), &tl), WT_EPARSE);
    assert_int_equal(frame_all("3 abc12345678901 x", 100, 10, out, sizeof(out), &tl), WT_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5424),        cmocka_unit_test(test_rfc3164),
        cmocka_unit_test(test_header_errors),  cmocka_unit_test(test_framing),
        cmocka_unit_test(test_framing_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
