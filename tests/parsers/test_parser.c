/*
 * test_parser.c - format dispatch and auto detection (parsers/parser.c).
 *
 * The squid back end is tested in test_squid.c; here a squid line's result is
 * not asserted, only which back end is active and that W3C lines parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_parsers.h"

static const char squid_line[] =
    "1700000000.000 153 10.160.40.169 TCP_MISS/200 873 CONNECT tunnel://www.google.com:443/ - "
    "DIRECT/www.google.com - DEFAULT_CASE_12-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup "
    "<IW_srch,6.9,1,\"-\",-,-,-,1,\"-\",-,-,-,\"-\",-,-,\"-\",\"-\",-,-,IW_srch,-,\"-\",\"-\","
    "\"Unknown\",\"Unknown\",\"-\",\"-\",2.13,0,-,\"-\",\"-\",-,\"-\",-,-,\"-\",\"-\",-,-,-,-,-,-> "
    "-";

static int parse(struct wt_parser *ps, const char *line, struct wt_record *rec)
{
    return wt_parse_line(ps, line, strlen(line), rec);
}

static void test_format_names(void **state)
{
    (void)state;
    enum wt_format f = WT_FORMAT_SQUID;
    assert_int_equal(wt_format_from_str("auto", &f), 0);
    assert_int_equal(f, WT_FORMAT_AUTO);
    assert_int_equal(wt_format_from_str("squid", &f), 0);
    assert_int_equal(f, WT_FORMAT_SQUID);
    assert_int_equal(wt_format_from_str("w3c", &f), 0);
    assert_int_equal(f, WT_FORMAT_W3C);

    f = WT_FORMAT_SQUID;
    static const char *const bad[] = {"", "W3C", "Squid", "w3c ", "w3", "json", "auto\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(wt_format_from_str(bad[i], &f), WT_EPARSE);
        assert_int_equal(f, WT_FORMAT_SQUID); /* untouched */
    }

    assert_string_equal(wt_format_name(WT_FORMAT_AUTO), "auto");
    assert_string_equal(wt_format_name(WT_FORMAT_SQUID), "squid");
    assert_string_equal(wt_format_name(WT_FORMAT_W3C), "w3c");
    assert_string_equal(wt_format_name((enum wt_format)42), "auto");
    /* Round trip. */
    for (int i = WT_FORMAT_AUTO; i <= WT_FORMAT_W3C; i++) {
        assert_int_equal(wt_format_from_str(wt_format_name((enum wt_format)i), &f), 0);
        assert_int_equal(f, i);
    }
    assert_string_equal(wt_parser_squid.name, "squid");
    assert_string_equal(wt_parser_w3c.name, "w3c");
}

static void test_init(void **state)
{
    (void)state;
    struct wt_parser *ps = calloc(1, sizeof(*ps));
    assert_non_null(ps);

    assert_int_equal(wt_parser_init(ps, WT_FORMAT_AUTO), 0);
    assert_int_equal(ps->format, WT_FORMAT_AUTO);
    assert_int_equal(ps->active, WT_FORMAT_SQUID);
    assert_int_equal(ps->w3c.n, 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(ps->w3c.col[i], -1);

    assert_int_equal(wt_parser_init(ps, WT_FORMAT_SQUID), 0);
    assert_int_equal(ps->active, WT_FORMAT_SQUID);
    assert_int_equal(wt_parser_init(ps, WT_FORMAT_W3C), 0);
    assert_int_equal(ps->active, WT_FORMAT_W3C);

    assert_int_equal(wt_parser_init(ps, (enum wt_format)3), WT_ECONFIG);
    assert_int_equal(wt_parser_init(ps, (enum wt_format) - 1), WT_ECONFIG);
    free(ps);
}

static void test_auto_switches_at_fields(void **state)
{
    (void)state;
    struct wt_parser *ps = calloc(1, sizeof(*ps));
    struct wt_record *rec = calloc(1, sizeof(*rec));
    assert_non_null(ps);
    assert_non_null(rec);
    assert_int_equal(wt_parser_init(ps, WT_FORMAT_AUTO), 0);

    /* Squid lines and other comments keep squid active (their result is squid's). */
    (void)parse(ps, squid_line, rec);
    assert_int_equal(ps->active, WT_FORMAT_SQUID);
    (void)parse(ps, "#Version: 1.0", rec);
    (void)parse(ps, "#Software: AsyncOS for Web 6.3.0", rec);
    (void)parse(ps, " #Fields: timestamp", rec); /* not at the line start */
    (void)parse(ps, "#fields: timestamp", rec);  /* case matters */
    (void)parse(ps, "#Fields", rec);
    assert_int_equal(ps->active, WT_FORMAT_SQUID);

    /* The header switches to W3C for good. */
    assert_int_equal(parse(ps,
                           "#Fields: timestamp x-elapsed-time c-ip x-resultcode-httpstatus "
                           "sc-bytes cs-method cs-url\r",
                           rec),
                     WT_ESKIP);
    assert_int_equal(ps->active, WT_FORMAT_W3C);
    assert_int_equal(ps->w3c.n, 7);

    assert_int_equal(
        parse(ps, "1700000000.250 12 10.0.0.1 TCP_MISS/200 512 GET http://a.example/\r", rec), 0);
    assert_int_equal(rec->format, WT_FORMAT_W3C);
    assert_int_equal(rec->ts_ms, 1700000000250LL);
    assert_true(wt_str_eq(rec->client, "10.0.0.1"));
    assert_true(wt_str_eq(rec->url, "http://a.example/"));
    assert_int_equal(rec->status, 200);

    /* From now on every line is W3C: a squid line has too few/garbled columns or parses as W3C,
     * comments are skipped, and a squid line never switches back. */
    assert_int_equal(parse(ps, "#Date: 2023-11-14 22:13:20", rec), WT_ESKIP);
    assert_int_equal(parse(ps, "", rec), WT_ESKIP);
    assert_int_equal(parse(ps, "garbage", rec), WT_EPARSE);
    (void)parse(ps, squid_line, rec);
    assert_int_equal(ps->active, WT_FORMAT_W3C);

    /* A second header replaces the layout. */
    assert_int_equal(parse(ps, "#Fields: c-ip timestamp", rec), WT_ESKIP);
    assert_int_equal(parse(ps, "10.0.0.2 1700000001", rec), 0);
    assert_true(wt_str_eq(rec->client, "10.0.0.2"));
    assert_int_equal(rec->ts_ms, 1700000001000LL);

    /* reset: squid again, layout forgotten. */
    wt_parser_reset(ps);
    assert_int_equal(ps->format, WT_FORMAT_AUTO);
    assert_int_equal(ps->active, WT_FORMAT_SQUID);
    assert_int_equal(ps->w3c.n, 0);
    (void)parse(ps, "10.0.0.2 1", rec);
    assert_int_equal(ps->active, WT_FORMAT_SQUID);
    assert_int_equal(parse(ps, "#Fields: timestamp c-ip", rec), WT_ESKIP);
    assert_int_equal(ps->active, WT_FORMAT_W3C);
    assert_int_equal(parse(ps, "1700000002 10.0.0.3", rec), 0);
    assert_true(wt_str_eq(rec->client, "10.0.0.3"));

    free(rec);
    free(ps);
}

static void test_squid_never_switches(void **state)
{
    (void)state;
    struct wt_parser *ps = calloc(1, sizeof(*ps));
    struct wt_record *rec = calloc(1, sizeof(*rec));
    assert_non_null(ps);
    assert_non_null(rec);
    assert_int_equal(wt_parser_init(ps, WT_FORMAT_SQUID), 0);
    (void)parse(ps, "#Fields: timestamp c-ip", rec);
    assert_int_equal(ps->active, WT_FORMAT_SQUID);
    assert_int_equal(ps->w3c.n, 0);
    (void)parse(ps, "1 10.0.0.1", rec);
    assert_int_equal(ps->active, WT_FORMAT_SQUID);
    free(rec);
    free(ps);
}

static void test_w3c_format(void **state)
{
    (void)state;
    struct wt_parser *ps = calloc(1, sizeof(*ps));
    struct wt_record *rec = calloc(1, sizeof(*rec));
    assert_non_null(ps);
    assert_non_null(rec);
    assert_int_equal(wt_parser_init(ps, WT_FORMAT_W3C), 0);

    /* No header yet: data is malformed, not squid. */
    assert_int_equal(parse(ps, squid_line, rec), WT_EPARSE);
    assert_int_equal(parse(ps, "#Version: 1.0", rec), WT_ESKIP);

    /* Fields from configuration (syslog without header), then reset and re-apply. */
    const char *fl = "timestamp c-ip cs-url";
    assert_int_equal(wt_parser_set_fields(ps, fl, strlen(fl)), 0);
    assert_int_equal(parse(ps, "1700000003 10.1.1.1 http://b.example/", rec), 0);
    assert_true(wt_str_eq(rec->url, "http://b.example/"));
    wt_parser_reset(ps);
    assert_int_equal(ps->active, WT_FORMAT_W3C);
    assert_int_equal(ps->w3c.n, 0);
    assert_int_equal(parse(ps, "1700000003 10.1.1.1 http://b.example/", rec), WT_EPARSE);
    assert_int_equal(wt_parser_set_fields(ps, fl, strlen(fl)), 0);
    assert_int_equal(parse(ps, "1700000003 10.1.1.1 http://b.example/", rec), 0);

    /* A trailing CR is ignored; only len bytes are read. */
    const char buf[] = "1700000004 10.1.1.2 http://c.example/\rXYZ";
    assert_int_equal(wt_parse_line(ps, buf, sizeof(buf) - 4, rec), 0);
    assert_true(wt_str_eq(rec->url, "http://c.example/"));
    assert_int_equal(wt_parse_line(ps, buf, 0, rec), WT_ESKIP);
    assert_int_equal(wt_parse_line(ps, "\r", 1, rec), WT_ESKIP);

    free(rec);
    free(ps);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(wt_strerror(0), "success");
    assert_string_equal(wt_strerror(WT_EPARSE), "malformed input");
    assert_string_equal(wt_strerror(WT_ESKIP), "no record (header or comment)");
    assert_non_null(wt_strerror(-2));
    assert_string_equal(wt_strerror(12345), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_auto_switches_at_fields),
        cmocka_unit_test(test_squid_never_switches),
        cmocka_unit_test(test_w3c_format),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
