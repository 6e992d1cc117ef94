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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_accounting),
        cmocka_unit_test(test_corpus_observables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
