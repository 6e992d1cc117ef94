/*
 * test_squid_edges.c - the squid-native line parser on malformed lines and
 * edge cases: the malformed sample file, junk, truncations, lists cut or
 * overflowing, the layout check, ACL tags, users, and the parser's reset
 * and format detection.
 */
#include "squid_util.h"

/* ------------------------------------------------------------------------ */
/* Malformed lines and edge cases                                           */
/* ------------------------------------------------------------------------ */

/* wsa_malformed_public.log. */
static void test_malformed_1_to_4(void **state)
{
    (void)state;
    for (size_t i = 1; i <= 4; i++) {
        int rc = parse_sample(BAD, i);
        if (rc != WT_EPARSE)
            fail_msg("malformed line %zu: rc %d", i, rc);
    }
}

/*
 * Line 5: the msnbc line after a bad rewrite. The user, hierarchy, MIME and
 * tag were glued with '_' into one `<"DC\...>` token after the URL and the
 * verdict list lost its `<`. Positionally the line then has a user
 * (`<"DC\..._DEFAULT_CASE...>`) and a "hierarchy" `IW_news,5.9,...` with no
 * '/', so it fails the minimum (hier/server) and is WT_EPARSE. We decided not
 * to salvage it: guessing which glued part is what would invent fields.
 */
static void test_malformed_5_mangled_msnbc(void **state)
{
    (void)state;
    assert_int_equal(parse_sample(BAD, 5), WT_EPARSE);
}

static void test_junk_lines(void **state)
{
    (void)state;
    assert_int_equal(parse_str("2021-06-01 1234567890.123 - This is CiscoWSA test message"),
                     WT_EPARSE);
    assert_int_equal(parse_str("Info: 1234567890.123 - This is CiscoWSA test message"), WT_EPARSE);
    assert_int_equal(parse_str("hello"), WT_EPARSE);
    assert_int_equal(parse_str(":"), WT_EPARSE);
    assert_int_equal(parse_str(": "), WT_EPARSE);
    assert_int_equal(parse_str("a: b: c: "), WT_EPARSE);
    assert_int_equal(parse_str("<>"), WT_EPARSE);
}

static void test_blank_lines(void **state)
{
    (void)state;
    assert_int_equal(wt_parse_line(&ps, "", 0, &rec), WT_ESKIP);
    assert_int_equal(parse_str("      "), WT_ESKIP);
    assert_int_equal(parse_str(" \t \t"), WT_ESKIP);
    assert_int_equal(parse_str("\r"), WT_ESKIP);
    assert_int_equal(parse_str("   \r"), WT_ESKIP);
    assert_int_equal(wt_parser_squid.parse(&ps, " \r", 2, &rec), WT_ESKIP);
}

static void test_comment_line(void **state)
{
    (void)state;
    assert_int_equal(parse_str("# a comment"), WT_ESKIP);
    assert_int_equal(parse_str("  #Version: 1.0"), WT_ESKIP);
}

/* Every prefix of a valid line: no crash, no read past the end, and an
 * EPARSE until the hierarchy's '/' is in. */
static void truncations(const char *name, size_t n)
{
    struct sample_file *sf = load(name);
    const char *full = sf->line[n - 1];
    size_t len = sf->len[n - 1];

    assert_int_equal(wt_parse_line(&ps, full, len, &rec), 0);
    const char *hier_slash = rec.hier.p + rec.hier.len; /* the '/' of hier/server */
    size_t min_ok = (size_t)(hier_slash - full) + 1;
    int64_t ts = rec.ts_ms;

    for (size_t k = 0; k <= len; k++) {
        char *copy = malloc(k ? k : 1);
        assert_non_null(copy);
        memcpy(copy, full, k);
        int rc = wt_parse_line(&ps, copy, k, &rec);
        if (rc == 0) {
            assert_views_within(&rec, copy, k);
            assert_int_equal(rec.ts_ms, ts);
            if (k < min_ok)
                fail_msg("%s:%zu: prefix %zu parsed before the hierarchy", name, n, k);
        } else if (k >= min_ok) {
            fail_msg("%s:%zu: prefix %zu rc %d", name, n, k, rc);
        }
        free(copy);
    }
}

static void test_truncated_prefixes(void **state)
{
    (void)state;
    truncations(PUB, 1);
    truncations(PUB, 2);
    truncations(PUB, 18);
    truncations(PUB, 19);
    truncations(PUB, 20);
    truncations(PUB, 23);
    truncations(PRE, 3);
    truncations(PRE, 6);
    truncations(SC4S, 6);
    truncations(SC4S, 8);
    truncations(DOCS, 2);
}

/* A list cut before its end: split to the end, layout OTHER, no trailer. */
static void test_unterminated_list(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f <IW_comp,6.9,\"abc"),
                     0);
    assert_int_equal(rec.nverdict, 3);
    assert_view(rec.category, "IW_comp");
    assert_view(rec.wbrs, "6.9");
    assert_view(wt_record_verdict(&rec, 2), "abc");
    assert_view(rec.verdicts, "IW_comp,6.9,\"abc");
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);
    assert_view(rec.ua, "");
    assert_view(rec.custom, "");

    /* A 38-field list cut inside field 38 is not trusted as LEGACY. */
    struct sample_file *sf = load(PUB);
    size_t len = sf->len[1] - 5; /* drop `e"> -`: the SHA loses its last digit */
    assert_int_equal(wt_parse_line(&ps, sf->line[1], len, &rec), 0);
    assert_int_equal(rec.nverdict, 38);
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);
    assert_view(rec.amp_sha, "");
    assert_view(wt_record_verdict(&rec, 37),
                "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5");
}

static void test_empty_list(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f <> \"ua\""),
                     0);
    assert_int_equal(rec.nverdict, 0);
    assert_non_null(rec.verdicts.p);
    assert_int_equal(rec.verdicts.len, 0);
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);
    assert_view(rec.category, "");
    assert_view(rec.ua, "ua");
}

/* `>` inside quotes and `>` not followed by a space do not end the list. */
static void test_list_end_rules(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f "
                               "<a,\"x> y\",b>c,\"q\"\"r\",-,\"-\",,d> \"the ua\" c1 c2"),
                     0);
    assert_int_equal(rec.nverdict, 8);
    assert_view(wt_record_verdict(&rec, 0), "a");
    assert_view(wt_record_verdict(&rec, 1), "x> y");
    assert_view(wt_record_verdict(&rec, 2), "b>c");
    assert_view(wt_record_verdict(&rec, 3), "q\"\"r"); /* raw inside, "" not collapsed */
    assert_view(wt_record_verdict(&rec, 4), "");
    assert_view(wt_record_verdict(&rec, 5), "");
    assert_view(wt_record_verdict(&rec, 6), "");
    assert_view(wt_record_verdict(&rec, 7), "d");
    assert_view(rec.ua, "the ua");
    assert_view(rec.custom, "c1 c2");
}

/* When quoting never closes, the list ends at the last `> ` of the line. */
static void test_list_fallback_last_close(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f "
                               "<a,\"b> c,d> x> \"ua\""),
                     0);
    /* Open scan: the quote opened at "b never closes -> fallback to `d> x> ` last close. */
    assert_view(rec.verdicts, "a,\"b> c,d> x");
    assert_int_equal(rec.nverdict, 2);
    assert_view(wt_record_verdict(&rec, 0), "a");
    assert_view(wt_record_verdict(&rec, 1), "b> c,d> x");
    assert_view(rec.ua, "ua");
}

static void test_verdict_overflow(void **state)
{
    (void)state;
    char buf[2048];
    int off = snprintf(buf, sizeof(buf),
                       "1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ "
                       "- DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f <");
    for (int i = 0; i < 70; i++)
        off += snprintf(buf + off, sizeof(buf) - (size_t)off, "%sv%d", i ? "," : "", i);
    snprintf(buf + off, sizeof(buf) - (size_t)off, "> -");
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.nverdict, 70);
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);
    assert_view(wt_record_verdict(&rec, 0), "v0");
    assert_view(wt_record_verdict(&rec, WT_VERDICT_MAX - 1), "v63");
    assert_view(rec.category, "v0");
    assert_view(rec.amp_sha, "");
}

/* Build a synthetic list of n fields with the float at 1-based position fpos. */
static void list_line(char *buf, size_t cap, unsigned n, unsigned fpos)
{
    int off = snprintf(buf, cap,
                       "1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                       "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f <");
    for (unsigned i = 1; i <= n; i++) {
        if (i == fpos)
            off += snprintf(buf + off, cap - (size_t)off, "%s12.50", i > 1 ? "," : "");
        else
            off += snprintf(buf + off, cap - (size_t)off, "%sf%u", i > 1 ? "," : "", i);
    }
    snprintf(buf + off, cap - (size_t)off, "> -");
}

/* The average-bandwidth float (28 legacy, 29 modern) decides when present. */
static void test_layout_float_check(void **state)
{
    (void)state;
    char buf[2048];

    list_line(buf, sizeof(buf), 42, 28);
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.amp_verdict, "f33");
    assert_view(rec.amp_threat, "f34");
    assert_view(rec.amp_file, "f37");
    assert_view(rec.amp_sha, "f38");

    list_line(buf, sizeof(buf), 42, 29);
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    assert_view(rec.amp_verdict, "f34");
    assert_view(rec.amp_threat, "f35");
    assert_view(rec.amp_file, "f38");
    assert_view(rec.amp_sha, "f39");

    /* No float: by count. */
    list_line(buf, sizeof(buf), 42, 0);
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    list_line(buf, sizeof(buf), 41, 0);
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.amp_sha, "f38");

    /* 32 fields, legacy: no AMP block. */
    list_line(buf, sizeof(buf), 32, 28);
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.amp_verdict, "");
    assert_view(rec.amp_sha, "");

    /* Outside 32..45: OTHER, whatever the float says. */
    list_line(buf, sizeof(buf), 31, 28);
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);
    list_line(buf, sizeof(buf), 46, 29);
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);
    assert_view(rec.amp_sha, "");
}

/* A tag with a '-' inside a policy name (9 parts) right before the list. */
static void test_acl_fallback_before_list(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - X:1 BLOCK_WEBCAT_3-My-Policy-id-NONE-NONE-NONE-"
                               "DefaultGroup-NONE <IW_comp,1.0> -"),
                     0);
    assert_view(rec.acl, "BLOCK_WEBCAT_3-My-Policy-id-NONE-NONE-NONE-DefaultGroup-NONE");
    assert_int_equal(rec.nverdict, 2);
    assert_view(rec.custom, ""); /* tokens before a tag go nowhere */

    /* 5 parts are not a tag by shape, but taken right before a list. */
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - OTHER-NONE-NONE-NONE-NONE <-,-> -"),
                     0);
    assert_view(rec.acl, "OTHER-NONE-NONE-NONE-NONE");
    assert_view(rec.custom, "");
    assert_int_equal(rec.nverdict, 2);

    /* Not tag-shaped (lower case): no acl; it goes to custom. */
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - weird-tag <IW_comp,1.0> -"),
                     0);
    assert_view(rec.acl, "");
    assert_view(rec.custom, "weird-tag");
    assert_view(rec.category, "IW_comp");
}

static void test_acl_shapes(void **state)
{
    (void)state;
    static const struct {
        const char *tag;
        bool ok;
    } cases[] = {
        {"DEFAULT_CASE_11-a-b-c-d-e-f", true},
        {"DEFAULT_CASE-a-b-c-d-e", true},
        {"OTHER_382-NONE-a-b-c-d-DIRECT", true},
        {"DECRYPT_WBRS-DefaultGroup-test.id-NONE-NONE-DefaultRouting", true},
        {"A-b-c-d-e-f-g-h", true},
        {"A-b-c-d-e-f-g-h-i", false}, /* 9 parts, no list follows */
        {"A-b-c-d-e", false},         /* 5 parts */
        {"DEFAULT_CASE11-a-b-c-d-e-f", false},
        {"default_case_11-a-b-c-d-e-f", false},
        {"DEFAULT_CASE_11-a--c-d-e-f", false},
        {"DEFAULT_CASE_11-a-b-c-d-e-", false},
        {"_11-a-b-c-d-e-f", false},
    };
    char buf[512];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(buf, sizeof(buf),
                 "1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                 "DIRECT/a.b - %s",
                 cases[i].tag);
        assert_int_equal(parse_str(buf), 0);
        if (cases[i].ok) {
            assert_view(rec.acl, cases[i].tag);
            assert_view(rec.custom, "");
        } else {
            assert_view(rec.acl, "");
            assert_view(rec.custom, cases[i].tag);
        }
    }
}

/* Tokens after the MIME type of a line with no tag are custom; text after
 * a tag with no list is custom too. */
static void test_custom_without_list(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b text/plain  extra \"quoted thing\" 42"),
                     0);
    assert_view(rec.mime, "text/plain");
    assert_view(rec.custom, "extra \"quoted thing\" 42");
    assert_int_equal(rec.layout, WT_LAYOUT_NONE);

    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f \"ua\" 1 2"),
                     0);
    assert_view(rec.acl, "DEFAULT_CASE_11-a-b-c-d-e-f");
    assert_view(rec.custom, "\"ua\" 1 2");
    assert_view(rec.ua, "");
    assert_int_equal(rec.layout, WT_LAYOUT_NONE);

    /* No MIME type: the tag straight after the hierarchy. */
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b DEFAULT_CASE_11-a-b-c-d-e-f <x> -"),
                     0);
    assert_view(rec.mime, "");
    assert_view(rec.acl, "DEFAULT_CASE_11-a-b-c-d-e-f");
    assert_view(rec.category, "x");
}

/* Users: quoted with spaces, `"-"`, bare. */
static void test_user_forms(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ "
                               "\"CORP\\John Smith@REALM\" DIRECT/a.b -"),
                     0);
    assert_view(rec.user, "CORP\\John Smith@REALM");
    assert_view(rec.hier, "DIRECT");
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ \"-\" "
                               "DIRECT/a.b -"),
                     0);
    assert_view(rec.user, "");
    /* Unterminated quote swallows the rest: no hierarchy left. */
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ \"CORP "
                               "DIRECT/a.b -"),
                     WT_EPARSE);
}

/* The HTML-escaped list end follows the same rules as `>`. */
static void test_html_escaped_edges(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f &lt;a,b&gt;c,\"d&gt; "
                               "e\"&gt;"),
                     0);
    assert_int_equal(rec.nverdict, 3);
    assert_view(wt_record_verdict(&rec, 1), "b&gt;c");
    assert_view(wt_record_verdict(&rec, 2), "d&gt; e");
    assert_view(rec.ua, "");
    /* Unterminated escaped list. */
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f &lt;a,b&gt"),
                     0);
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);
    assert_view(wt_record_verdict(&rec, 1), "b&gt");
}

/* The squid back end keeps no state: reset is a no-op and AUTO works. */
static void test_reset_and_auto(void **state)
{
    (void)state;
    struct wt_parser auto_ps;
    assert_non_null(wt_parser_squid.reset);
    assert_string_equal(wt_parser_squid.name, "squid");
    wt_parser_squid.reset(&ps);
    wt_parser_reset(&ps);
    must_parse(PUB, 1);
    assert_view(rec.url, "10.37.145.84:443");

    assert_int_equal(wt_parser_init(&auto_ps, WT_FORMAT_AUTO), 0);
    struct sample_file *sf = load(PUB);
    assert_int_equal(wt_parse_line(&auto_ps, sf->line[1], sf->len[1], &rec), 0);
    assert_int_equal(rec.format, WT_FORMAT_SQUID);
    assert_int_equal(rec.nverdict, 38);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_1_to_4),
        cmocka_unit_test(test_malformed_5_mangled_msnbc),
        cmocka_unit_test(test_junk_lines),
        cmocka_unit_test(test_blank_lines),
        cmocka_unit_test(test_comment_line),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_unterminated_list),
        cmocka_unit_test(test_empty_list),
        cmocka_unit_test(test_list_end_rules),
        cmocka_unit_test(test_list_fallback_last_close),
        cmocka_unit_test(test_verdict_overflow),
        cmocka_unit_test(test_layout_float_check),
        cmocka_unit_test(test_acl_fallback_before_list),
        cmocka_unit_test(test_acl_shapes),
        cmocka_unit_test(test_custom_without_list),
        cmocka_unit_test(test_user_forms),
        cmocka_unit_test(test_html_escaped_edges),
        cmocka_unit_test(test_reset_and_auto),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    free_samples();
    return rc;
}
