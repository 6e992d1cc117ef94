/*
 * test_squid_fast.c - the squid-native line parser's fast path against the
 * general parser, field by field, on lines shifted through every alignment
 * and on lists around WT_VERDICT_MAX fields.
 */
#include "squid_util.h"

/* ------------------------------------------------------------------------ */
/* The fast path against the general parser                                 */
/* ------------------------------------------------------------------------ */

static void same_view(struct wt_str a, struct wt_str b)
{
    assert_int_equal(a.len, b.len);
    assert_ptr_equal(a.p, b.p);
}

/* The record of wt_parse_line equals the general parser's, field by field. */
static void assert_same_as_general(const char *line, size_t len)
{
    struct wt_parser lps;
    struct wt_record r, g;
    wt_parser_init(&lps, WT_FORMAT_SQUID);
    int rc = wt_parse_line(&lps, line, len, &r);
    assert_int_equal(rc, wt__squid_general(line, len, &g));
    if (rc != 0)
        return;
    assert_int_equal(r.ts_ms, g.ts_ms);
    assert_int_equal(r.elapsed_ms, g.elapsed_ms);
    assert_int_equal(r.bytes, g.bytes);
    assert_int_equal(r.status, g.status);
    assert_int_equal(r.layout, g.layout);
    assert_int_equal(r.nverdict, g.nverdict);
    assert_int_equal(r.client_kind, g.client_kind);
    assert_memory_equal(r.client_bin, g.client_bin, sizeof(r.client_bin));
    const struct wt_str *a[] = {&r.client,   &r.result, &r.method,      &r.url,        &r.user,
                                &r.hier,     &r.server, &r.mime,        &r.acl,        &r.verdicts,
                                &r.category, &r.wbrs,   &r.amp_verdict, &r.amp_threat, &r.amp_file,
                                &r.amp_sha,  &r.ua,     &r.custom};
    const struct wt_str *b[] = {&g.client,   &g.result, &g.method,      &g.url,        &g.user,
                                &g.hier,     &g.server, &g.mime,        &g.acl,        &g.verdicts,
                                &g.category, &g.wbrs,   &g.amp_verdict, &g.amp_threat, &g.amp_file,
                                &g.amp_sha,  &g.ua,     &g.custom};
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
        same_view(*a[i], *b[i]);
    for (unsigned i = 0; i < r.nverdict && i < WT_VERDICT_MAX; i++)
        same_view(wt_record_verdict(&r, i), wt_record_verdict(&g, i));
}

/*
 * Lines the fast path must take (accept == true) or may leave to the general
 * parser; each is tried with its list shifted through every 64-byte
 * alignment (the path pads the URL), so quotes, commas and the closing '>'
 * fall on every block boundary.
 */
static void test_fast_path_matches_general(void **state)
{
    (void)state;
    static const struct {
        bool accept;
        const char *fmt; /* %s: URL path padding */
    } cases[] = {
        {true, "1700000000.123 90 10.1.2.3 TCP_MISS/200 1234 GET http://a.example.com/%s - "
               "DIRECT/a.example.com text/html DEFAULT_CASE_12-P-I-O-D-E-R <\"IW_comp,IW_csec\","
               "3.0,1,\"-\",-,-,-,1,\"-\",-,-,-,\"-\",1,-,\"-\",\"-\",-,-,\"IW_comp\",-,\"-\","
               "\"Computers, and Internet\",\"-\",\"Unknown\",\"Unknown\",\"-\",\"-\",0.73,0,-,"
               "\"-\",\"-\",1,\"-\",-,-,\"-\",\"-\",-,-,\"-\",-,-> \"Mozilla/5.0 (X11)\" c1 c2"},
        {true,
         "Info: 1700000000.123 5 2001:db8::1 TCP_DENIED/403 0 CONNECT tunnel://b.example:443/%s "
         "\"DOM\\user\" NONE/- text/html; charset=utf-8 BLOCK_WEBCAT_12-P-I-O-D-E-R <\"\","
         "\"a> b\",\"x,\",-,\"-\"> -"},
        {true, "1700000000.5 1 10.xx.xx.xx TCP_MISS/200 1 GET http://c.example/%s - "
               "DIRECT/10.0.0.1 - PASSTHRU_WBRS_7-A-B-C-D-E-F <> -"},
        {true, "1700000000.5 1 10.0.0.9 TCP_MISS/200 1 GET http://c.example/%s - DIRECT/c.example "
               "- PASSTHRU_WBRS_7-A-B-C-D-E-F <,> -"},
        {true, "1700000000.5 1 10.0.0.9 TCP_MISS/200 1 GET http://c.example/%s - DIRECT/c.example "
               "image/png"},
        {false, "1700000000.5 1 10.0.0.9 TCP_MISS/200 1 GET http://c.example/%s - "
                "DIRECT/c.example - PASSTHRU_WBRS_7-A-B-C-D-E-F <a\"b,\"c\"d\",e> -"},
        {false, "1700000000.5 1 10.0.0.9 TCP_MISS/200 1 GET http://c.example/%s - "
                "DIRECT/c.example - PASSTHRU_WBRS_7-A-B-C-D-E-F <\"a,\"b\",c"},
        {false, "1700000000.5 1 10.0.0.9 TCP_MISS/200 1 GET http://c.example/%s \"a b\" "
                "DIRECT/c.example - PASSTHRU_WBRS_7-A-B-C-D-E-F &lt;\"x\",1&gt; -"},
        {false, "1700000000.5 1 10.0.0.9 (host) TCP_MISS/200 1 GET http://c.example/%s - "
                "DIRECT/c.example - custom1 PASSTHRU_WBRS_7-A-B-C-D-E-F <1,2> -"},
    };
    char pad[65], line[1024];
    struct wt_record frec;

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (int k = 0; k < 64; k++) {
            memset(pad, 'p', (size_t)k);
            pad[k] = '\0';
            /* The template with "%s" replaced by the padding. */
            const char *at = strstr(cases[c].fmt, "%s");
            assert_non_null(at);
            size_t head = (size_t)(at - cases[c].fmt), tail = strlen(at + 2);
            assert_true(head + (size_t)k + tail < sizeof(line));
            memcpy(line, cases[c].fmt, head);
            memcpy(line + head, pad, (size_t)k);
            memcpy(line + head + k, at + 2, tail);
            int n = (int)(head + (size_t)k + tail);
            /* An exact-size copy: a read past the end shows under ASan. */
            char *exact = malloc((size_t)n);
            assert_non_null(exact);
            memcpy(exact, line, (size_t)n);
            if (cases[c].accept)
                assert_int_equal(wt__squid_fast(exact, (size_t)n, &frec), 0);
            assert_same_as_general(exact, (size_t)n);
            free(exact);
        }
    }
    /* Every bundled sample line, too. */
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        struct sample_file *sf = load(files[f].name);
        assert_true(sf->nlines > 0);
        for (size_t i = 0; i < sf->nlines; i++)
            assert_same_as_general(sf->line[i], sf->len[i]);
    }
}

/* Lists around WT_VERDICT_MAX fields, on the fast path and off it. */
static void test_fast_path_field_counts(void **state)
{
    (void)state;
    static const unsigned counts[] = {1, 63, 64, 65, 127, 128, 129, 200};
    char buf[4096];
    struct wt_record frec;

    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        unsigned n = counts[c];
        int off = snprintf(buf, sizeof(buf),
                           "1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ "
                           "- DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f <");
        for (unsigned i = 0; i < n; i++)
            off += snprintf(buf + off, sizeof(buf) - (size_t)off, "%s\"v%u\"", i ? "," : "", i);
        off += snprintf(buf + off, sizeof(buf) - (size_t)off, "> ua");
        /* The fast path keeps what fits; longer lists are the general parser's. */
        assert_int_equal(wt__squid_fast(buf, (size_t)off, &frec) == 0, n <= WT_VERDICT_MAX);
        assert_same_as_general(buf, (size_t)off);
        assert_int_equal(parse_str(buf), 0);
        assert_int_equal(rec.nverdict, n);
        char want[16];
        unsigned last = n <= WT_VERDICT_MAX ? n - 1 : WT_VERDICT_MAX - 1;
        snprintf(want, sizeof(want), "v%u", last);
        assert_view(wt_record_verdict(&rec, last), want);
        assert_view(wt_record_verdict(&rec, n), "");
        assert_view(rec.ua, "ua");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_path_matches_general),
        cmocka_unit_test(test_fast_path_field_counts),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    free_samples();
    return rc;
}
