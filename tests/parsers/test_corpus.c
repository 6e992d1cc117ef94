/*
 * test_corpus.c - the public sample lines in tests/data (provenance in
 * tests/data/SOURCES.md): every line either parses or is counted malformed,
 * and a representative set yields exactly the observables written out by
 * hand here from the rules in docs/events.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_parsers.h"

#define SHA_CISCO "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e"

struct counts {
    unsigned lines, parsed, malformed, skipped;
};

/* Parse a whole file with one AUTO parser; call check() on line `want`. */
static struct counts parse_file(const char *name, unsigned want, const char *const *expect)
{
    char path[1024], line[70000];
    static struct wt_parser ps;
    static struct wt_record rec;
    static char scratch[sizeof(line) + WT_OBS_SCRATCH_EXTRA];
    struct wt_obs_set os;
    struct wt_obs_opts o = {0};
    struct counts c = {0};
    bool checked = false;

    snprintf(path, sizeof(path), "%s/%s", WT_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    wt_parser_init(&ps, WT_FORMAT_AUTO);
    wt_obs_set_init(&os, scratch, sizeof(scratch));
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n')
            len--;
        c.lines++;
        int rc = wt_parse_line(&ps, line, len, &rec);
        if (rc == WT_ESKIP) {
            c.skipped++;
            continue;
        }
        if (rc != 0) {
            assert_int_equal(rc, WT_EPARSE);
            c.malformed++;
            assert_true(c.lines != want);
            continue;
        }
        c.parsed++;
        assert_int_equal(wt_obs_extract(&rec, &o, &os), 0);
        if (c.lines != want)
            continue;
        /* expect: "type value" strings, in order, NULL-terminated. */
        unsigned i = 0;
        for (; expect[i]; i++) {
            char got[8192];
            assert_true(i < os.n);
            snprintf(got, sizeof(got), "%s %.*s", wt_obs_type_name(os.item[i].type),
                     (int)os.item[i].value.len, os.item[i].value.p);
            assert_string_equal(got, expect[i]);
        }
        assert_int_equal(os.n, i);
        checked = true;
    }
    fclose(f);
    assert_true(want == 0 || checked);
    assert_int_equal(c.lines, c.parsed + c.malformed + c.skipped);
    return c;
}

#define EXPECT(file, lineno, ...)                                                                  \
    do {                                                                                           \
        static const char *const e[] = {__VA_ARGS__, NULL};                                        \
        parse_file(file, lineno, e);                                                               \
    } while (0)

static void test_corpus_accounting(void **state)
{
    (void)state;
    static const char *const none[] = {NULL};
    struct counts c;
    /* Every squid sample line parses, prefixed or not, every era. */
    c = parse_file("wsa_squid_public.log", 0, none);
    assert_int_equal(c.parsed, 25); /* SOURCES.md says 26; the file has 25 */
    assert_int_equal(c.malformed, 0);
    c = parse_file("wsa_squid_prefixed_public.log", 0, none);
    assert_int_equal(c.parsed, 10);
    c = parse_file("wsa_squid_sc4s_rendered.log", 0, none);
    assert_int_equal(c.parsed, 14);
    c = parse_file("wsa_squid_cisco_docs_reconstructed.log", 0, none);
    assert_int_equal(c.parsed, 3);
    /* Junk is counted, never parsed. */
    c = parse_file("wsa_malformed_public.log", 0, none);
    assert_int_equal(c.lines, 5);
    assert_int_equal(c.malformed, 5);
    /* W3C rows published without their #Fields header cannot be parsed. */
    c = parse_file("wsa_w3c_public.log", 0, none);
    assert_int_equal(c.lines, 4);
    assert_int_equal(c.malformed, 4);
    /* A header alone: all skipped. */
    c = parse_file("wsa_w3c_header_cisco_doc.txt", 0, none);
    assert_int_equal(c.skipped, 5);
}

static void test_corpus_observables(void **state)
{
    (void)state;
    /* TN 14.x line: transparent TCP_CONNECT to an IP, server named by host. */
    EXPECT("wsa_squid_public.log", 1, "ip 192.168.1.10", "ip 10.37.145.84", "domain www.cisco.com");
    /* User-guide AMP example, legacy 38 fields: the SHA-256 at field 38. */
    EXPECT("wsa_squid_public.log", 2, "ip 172.10.11.22", "domain my.site.com",
           "url http://my.site.com/", "sha256 " SHA_CISCO);
    /* DIRECT/url: a single label is no domain. */
    EXPECT("wsa_squid_public.log", 6, "ip 10.147.88.13", "ip 10.10.10.1");
    /* Broken quoting and a 65-hex "hash" with a curly quote: no sha256. */
    EXPECT("wsa_squid_public.log", 18, "ip 10.60.71.201", "domain my.site.com",
           "url http://my.site.com/");
    /* CONNECT tunnel:// is a domain, not a url; quoted "IW_comp,IW_csec". */
    EXPECT("wsa_squid_public.log", 19, "ip 10.10.11.12", "domain csp.withgoogle.com");
    /* Client host in parentheses, bare host as url, 44-field AMP block. */
    EXPECT("wsa_squid_public.log", 20, "ip 10.10.10.10", "domain www.gottapedia.com",
           "sha256 " SHA_CISCO);
    /* A URL holding '<' and '>' before the verdict list: kept byte for byte. */
    EXPECT("wsa_squid_public.log", 23, "ip 10.200.81.126", "domain www.msnbc.msn.com",
           "url http://www.msnbc.msn.com/proxy/proxy.asmx/GetWSXml?DestinationKey=VideoRadCall"
           "&Passkey=&Parameters=<params><param><name>GetAd</name><value></value></param>"
           "<param><name>PG</name><value>msv8bt</value></param><param><name>cachebust</name>"
           "<value>10169.08794486735</value></param></params>");
    /* Upper-case SHA-256 is lower-cased; test_web.net (underscore) is a
     * domain and its url an observable (docs/events.md). */
    EXPECT("wsa_squid_sc4s_rendered.log", 1, "ip 10.0.0.6", "domain test_web.net",
           "domain www.xxxxxxx15.com", "url http://test_web.net/users/user2.jpg",
           "sha256 acc2bccc5c0d035f7f09ce2da65472714baff0ff5fbc20da85f00a6ccf3b986c");
    /* IPv6 client. */
    EXPECT("wsa_squid_sc4s_rendered.log", 4, "ipv6 2001:b8f9:c5c2:f730::2", "domain test_web.net",
           "domain www.xxxxxxx6.com", "url http://test_web.net/users/user1.jpg");
    /* HTML-escaped verdict list. */
    EXPECT("wsa_squid_sc4s_rendered.log", 6, "ip 10.0.0.7", "domain test_web.com",
           "domain www.xxxxxxx8.com", "url http://test_web.com/page2/b.txt");
    /* Info: prefix; tunnel to an IP that is also the server: one observable. */
    EXPECT("wsa_squid_prefixed_public.log", 5, "ip 1.2.3.4", "ip 5.6.7.8");
    /* Syslog prefix and a masked client: no client observable. */
    EXPECT("wsa_squid_prefixed_public.log", 10, "domain csp.withgoogle.com");
    /* Masked client, AMP hash glued to U+201D: not a hash. */
    EXPECT("wsa_squid_cisco_docs_reconstructed.log", 2, "domain my.site.com",
           "url http://my.site.com/");
}

/* ------------------------------------------------------------------------ */
/* Hand-written lines, one of each class (tests/data/SOURCES.md)             */
/* ------------------------------------------------------------------------ */

#define SHA_HAND "f7a833feeb75ee112d76dfd7c142c4e4c65a8127c3ef442df8a0235761c8f75b"

/* What one line gives. For a parsed line every string is compared exactly
 * ("" = absent); obs is "type value|type value|..." in the set's order. */
struct line_want {
    int rc; /* 0, WT_EPARSE or WT_ESKIP */
    int status;
    const char *client, *category, *wbrs, *amp_verdict, *amp_file, *amp_sha, *obs;
};

#define SKIP                                                                                       \
    {                                                                                              \
        WT_ESKIP, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL                                      \
    }
#define MALFORMED                                                                                  \
    {                                                                                              \
        WT_EPARSE, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL                                     \
    }
/* The verdict list without AMP values that most hand-written lines carry. */
#define PLAIN(status, client, obs)                                                                 \
    {                                                                                              \
        0, status, client, "IW_comp", "4.2", "", "", "", obs                                       \
    }
/* The record with the AMP block (quoted file name with a space). */
#define AMP_LINE                                                                                   \
    {                                                                                              \
        0, 200, "10.1.2.4", "IW_comp", "4.2", "37", "quarterly report.pdf", SHA_HAND,              \
            "ip 10.1.2.4|domain files.example.com|url http://files.example.com/dl/report.pdf|"     \
            "sha256 " SHA_HAND                                                                     \
    }

static const char *str_of(struct wt_str v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s", (int)v.len, v.len ? v.p : "");
    return buf;
}

/* Every line of the file, in order, gives what want[] says; n lines in all. */
static void check_lines(const char *name, const struct line_want *want, unsigned n)
{
    char path[1024], line[8192], got[8192], buf[1024];
    static struct wt_parser ps;
    static struct wt_record rec;
    static char scratch[sizeof(line) + WT_OBS_SCRATCH_EXTRA];
    struct wt_obs_set os;
    struct wt_obs_opts o = {0};
    unsigned k = 0;

    snprintf(path, sizeof(path), "%s/%s", WT_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    wt_parser_init(&ps, WT_FORMAT_AUTO);
    wt_obs_set_init(&os, scratch, sizeof(scratch));
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        assert_true(len && line[len - 1] == '\n'); /* whole lines only */
        len--;
        assert_true(k < n);
        const struct line_want *w = &want[k++];
        print_message("%s:%u\n", name, k);
        int rc = wt_parse_line(&ps, line, len, &rec);
        assert_int_equal(rc, w->rc);
        if (rc != 0)
            continue;
        assert_int_equal(rec.status, w->status);
        assert_string_equal(str_of(rec.client, buf, sizeof(buf)), w->client);
        assert_string_equal(str_of(rec.category, buf, sizeof(buf)), w->category);
        assert_string_equal(str_of(rec.wbrs, buf, sizeof(buf)), w->wbrs);
        assert_string_equal(str_of(rec.amp_verdict, buf, sizeof(buf)), w->amp_verdict);
        assert_string_equal(str_of(rec.amp_file, buf, sizeof(buf)), w->amp_file);
        assert_string_equal(str_of(rec.amp_sha, buf, sizeof(buf)), w->amp_sha);
        assert_int_equal(wt_obs_extract(&rec, &o, &os), 0);
        size_t g = 0;
        got[0] = '\0';
        for (unsigned i = 0; i < os.n; i++)
            g += (size_t)snprintf(got + g, sizeof(got) - g, "%s%s %.*s", i ? "|" : "",
                                  wt_obs_type_name(os.item[i].type), (int)os.item[i].value.len,
                                  os.item[i].value.p);
        assert_string_equal(got, w->obs);
    }
    fclose(f);
    assert_int_equal(k, n);
}

static void test_corpus_handwritten_squid(void **state)
{
    (void)state;
    static const struct line_want want[] = {
        /* 1: a negative status is an appliance code, kept. */
        PLAIN(-50, "10.1.2.3", "ip 10.1.2.3|domain www.example.org|url http://www.example.org/"),
        /* 2, 3: a status outside -999..999. */
        MALFORMED,
        MALFORMED,
        /* 4: '_' in the host: a domain, and a url normalised (case, :80). */
        PLAIN(200, "10.1.2.5",
              "ip 10.1.2.5|domain test_web.example.net|"
              "url http://test_web.example.net/users/user4.jpg"),
        /* 5: a client that is no address: absent, the line parses. */
        PLAIN(200, "", "domain updates.example.com|url http://updates.example.com/manifest.xml"),
        /* 6: 44-field list, quoted values with spaces, AMP block. */
        AMP_LINE,
        /* 7: 2100-01-01T00:00:00Z, out of range. */
        MALFORMED,
        /* 8: an `Info: ` transport prefix. */
        PLAIN(204, "10.1.2.6",
              "ip 10.1.2.6|domain www.example.org|url http://www.example.org/ping"),
    };
    check_lines("wsa_fidelity_handwritten.log", want, sizeof(want) / sizeof(want[0]));
}

static void test_corpus_handwritten_w3c(void **state)
{
    (void)state;
    static const struct line_want want[] = {
        /* 1-5: #Version, #Date, #System, #Software, #Fields (the default layout). */
        SKIP,
        SKIP,
        SKIP,
        SKIP,
        SKIP,
        /* 6: the squid file's line 6 in W3C: the x-result-code list is one
         * column whatever spaces its values hold, decoded alike. */
        AMP_LINE,
        /* 7: `Info: `, 8: syslog + `Info: ` prefixes (an IPv6 client). */
        PLAIN(204, "10.1.2.6",
              "ip 10.1.2.6|domain www.example.org|url http://www.example.org/ping"),
        PLAIN(200, "2001:db8::7",
              "ipv6 2001:db8::7|domain www.example.org|url http://www.example.org/x"),
        /* 9: 1970 (`1.000`), 10: 2100-01-01: out of range. */
        MALFORMED,
        MALFORMED,
        /* 11: a client that is no address: absent, the line parses. */
        PLAIN(200, "", "domain updates.example.com|url http://updates.example.com/manifest.xml"),
        /* 12: negative status kept; 13: 1000 malformed. */
        PLAIN(-50, "10.1.2.3", "ip 10.1.2.3|domain www.example.org|url http://www.example.org/"),
        MALFORMED,
        /* 14: '_' in the host. */
        PLAIN(200, "10.1.2.5",
              "ip 10.1.2.5|domain test_web.example.net|"
              "url http://test_web.example.net/users/user4.jpg"),
    };
    check_lines("wsa_w3c_fidelity_handwritten.log", want, sizeof(want) / sizeof(want[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_accounting),
        cmocka_unit_test(test_corpus_observables),
        cmocka_unit_test(test_corpus_handwritten_squid),
        cmocka_unit_test(test_corpus_handwritten_w3c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
