/*
 * test_squid.c - the squid-native (WSA "Access Logs") line parser, on the
 * public sample lines of tests/data and on synthetic edge cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers_int.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

#define MAX_LINES 64

struct sample_file {
    const char *name;
    char *buf;
    size_t nlines;
    const char *line[MAX_LINES];
    size_t len[MAX_LINES];
};

static struct sample_file files[] = {
    {"wsa_squid_public.log", NULL, 0, {NULL}, {0}},
    {"wsa_squid_prefixed_public.log", NULL, 0, {NULL}, {0}},
    {"wsa_squid_sc4s_rendered.log", NULL, 0, {NULL}, {0}},
    {"wsa_squid_cisco_docs_reconstructed.log", NULL, 0, {NULL}, {0}},
    {"wsa_malformed_public.log", NULL, 0, {NULL}, {0}},
};

static struct sample_file *load(const char *name)
{
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct sample_file *sf = &files[i];
        if (strcmp(sf->name, name) != 0)
            continue;
        if (sf->buf)
            return sf;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", WT_TEST_DATA_DIR, name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        long n = ftell(f);
        assert_true(n > 0);
        rewind(f);
        sf->buf = malloc((size_t)n);
        assert_non_null(sf->buf);
        assert_int_equal(fread(sf->buf, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        for (char *p = sf->buf, *end = sf->buf + n; p < end;) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                nl = end;
            assert_true(sf->nlines < MAX_LINES);
            sf->line[sf->nlines] = p;
            sf->len[sf->nlines] = (size_t)(nl - p);
            sf->nlines++;
            p = nl + 1;
        }
        return sf;
    }
    fail_msg("unknown sample file %s", name);
    return NULL;
}

static struct wt_parser ps;
static struct wt_record rec;

/* Parse line n (1-based) of a sample file into rec. */
static int parse_sample(const char *name, size_t n)
{
    struct sample_file *sf = load(name);
    assert_true(n >= 1 && n <= sf->nlines);
    return wt_parse_line(&ps, sf->line[n - 1], sf->len[n - 1], &rec);
}

#define PUB  "wsa_squid_public.log"
#define PRE  "wsa_squid_prefixed_public.log"
#define SC4S "wsa_squid_sc4s_rendered.log"
#define DOCS "wsa_squid_cisco_docs_reconstructed.log"
#define BAD  "wsa_malformed_public.log"

static void must_parse(const char *name, size_t n)
{
    int rc = parse_sample(name, n);
    if (rc != 0)
        fail_msg("%s:%zu: rc %d", name, n, rc);
}

static int parse_str(const char *s)
{
    return wt_parse_line(&ps, s, strlen(s), &rec);
}

#define assert_view(v, lit) assert_view_((v), (lit), __FILE__, __LINE__)
static void assert_view_(struct wt_str v, const char *lit, const char *file, int line)
{
    size_t n = strlen(lit);
    if (v.len != n || (n && memcmp(v.p, lit, n) != 0)) {
        print_error("%s:%d: view is [%.*s] (%zu bytes), expected [%s]\n", file, line, (int)v.len,
                    v.p ? v.p : "", v.len, lit);
        _fail(file, line);
    }
}

/* Every view of rec is empty or inside [line, line + len). */
static void assert_views_within(const struct wt_record *r, const char *line, size_t len)
{
    const struct wt_str *v[] = {&r->client,  &r->result,      &r->method,     &r->url,
                                &r->user,    &r->hier,        &r->server,     &r->server_ip,
                                &r->mime,    &r->acl,         &r->verdicts,   &r->category,
                                &r->wbrs,    &r->amp_verdict, &r->amp_threat, &r->amp_file,
                                &r->amp_sha, &r->ua,          &r->custom};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (v[i]->len == 0)
            continue;
        assert_true(v[i]->p >= line && v[i]->p + v[i]->len <= line + len);
    }
    unsigned kept = r->nverdict < WT_VERDICT_MAX ? r->nverdict : WT_VERDICT_MAX;
    for (unsigned i = 0; i < kept; i++) {
        struct wt_str vv = wt_record_verdict(r, i);
        if (vv.len)
            assert_true(vv.p >= line && vv.p + vv.len <= line + len);
    }
}

static int setup(void **state)
{
    (void)state;
    return wt_parser_init(&ps, WT_FORMAT_SQUID);
}

static void all_parse(const char *name, size_t expect_lines)
{
    struct sample_file *sf = load(name);
    assert_int_equal(sf->nlines, expect_lines);
    for (size_t i = 1; i <= sf->nlines; i++) {
        must_parse(name, i);
        assert_int_equal(rec.format, WT_FORMAT_SQUID);
        assert_true(rec.ts_ms > 1000000000000LL);
        assert_true(rec.client.len > 0);
        assert_true(rec.url.len > 0);
        assert_true(rec.acl.len > 0);
        assert_true(rec.nverdict > 0);
        assert_true(rec.layout != WT_LAYOUT_NONE);
        assert_views_within(&rec, sf->line[i - 1], sf->len[i - 1]);
    }
}

/* ------------------------------------------------------------------------ */
/* Every sample line                                                        */
/* ------------------------------------------------------------------------ */

static void test_all_public(void **state)
{
    (void)state;
    all_parse(PUB, 25);
}

static void test_all_prefixed(void **state)
{
    (void)state;
    all_parse(PRE, 10);
}

static void test_all_sc4s(void **state)
{
    (void)state;
    all_parse(SC4S, 14);
}

static void test_all_docs(void **state)
{
    (void)state;
    all_parse(DOCS, 3);
}

/* Layout and count per sample line, as counted by hand (FIELDS.md table). */
static void test_layout_per_line(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        size_t line;
        unsigned n;
        enum wt_layout layout;
    } want[] = {
        {PUB, 1, 44, WT_LAYOUT_MODERN},   {PUB, 2, 38, WT_LAYOUT_LEGACY},
        {PUB, 3, 32, WT_LAYOUT_LEGACY},   {PUB, 5, 45, WT_LAYOUT_MODERN},
        {PUB, 8, 15, WT_LAYOUT_OTHER},    {PUB, 16, 39, WT_LAYOUT_LEGACY},
        {PUB, 18, 38, WT_LAYOUT_LEGACY},  {PUB, 22, 32, WT_LAYOUT_LEGACY},
        {PUB, 24, 43, WT_LAYOUT_MODERN},  {PUB, 25, 41, WT_LAYOUT_LEGACY},
        {PRE, 2, 43, WT_LAYOUT_MODERN},   {SC4S, 6, 38, WT_LAYOUT_LEGACY},
        {SC4S, 7, 32, WT_LAYOUT_LEGACY},  {SC4S, 8, 43, WT_LAYOUT_MODERN},
        {SC4S, 13, 44, WT_LAYOUT_MODERN}, {DOCS, 1, 33, WT_LAYOUT_LEGACY},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        must_parse(want[i].file, want[i].line);
        if (rec.nverdict != want[i].n || rec.layout != want[i].layout)
            fail_msg("%s:%zu: %u fields layout %d, want %u layout %d", want[i].file, want[i].line,
                     rec.nverdict, rec.layout, want[i].n, want[i].layout);
    }
}

/* ------------------------------------------------------------------------ */
/* Representative lines                                                     */
/* ------------------------------------------------------------------------ */

/* TN line: transparent HTTPS `TCP_CONNECT ip:port`, quoted user with '\'. */
static void test_tn_transparent_connect_quoted_user(void **state)
{
    (void)state;
    must_parse(PUB, 1);
    assert_int_equal(rec.ts_ms, 1726597763348LL);
    assert_int_equal(rec.elapsed_ms, 68855);
    assert_view(rec.client, "192.168.1.10");
    assert_view(rec.result, "TCP_MISS");
    assert_int_equal(rec.status, 200);
    assert_int_equal(rec.bytes, 97645);
    assert_view(rec.method, "TCP_CONNECT");
    assert_view(rec.url, "10.37.145.84:443");
    assert_view(rec.user, "AMOJARRA\\amirhossein@WCCPrealm");
    assert_view(rec.hier, "DIRECT");
    assert_view(rec.server, "www.cisco.com");
    assert_view(rec.mime, "");
    assert_view(rec.acl, "PASSTHRU_CUSTOMCAT_7-DP_site-IdP_Site-NONE-NONE-NONE-DefaultGroup-NONE");
    assert_int_equal(rec.nverdict, 44);
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    assert_view(rec.category, "C_Cisc");
    assert_view(rec.wbrs, "");
    assert_view(wt_record_verdict(&rec, 28), "11.35");
    assert_view(rec.amp_verdict, "");
    assert_view(rec.amp_sha, "");
    /* Trailer `- -`: no suspect UA, and the unnamed second field is `-`. */
    assert_view(rec.ua, "");
    assert_view(rec.custom, "");
}

/* Cisco guide example: 38 fields, AMP block at 33..38 (legacy). */
static void test_amp_legacy_38(void **state)
{
    (void)state;
    must_parse(PUB, 2);
    assert_int_equal(rec.ts_ms, 1278096903150LL);
    assert_view(rec.client, "172.10.11.22");
    assert_view(rec.mime, "text/plain");
    assert_int_equal(rec.nverdict, 38);
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.category, "IW_comp");
    assert_view(rec.wbrs, "6.9");
    assert_view(wt_record_verdict(&rec, 27), "198.34");
    assert_view(wt_record_verdict(&rec, 30), "[Local]");
    assert_view(rec.amp_verdict, "37");
    assert_view(rec.amp_threat, "W32.CiscoTestVector");
    assert_view(rec.amp_file, "WSA-INFECTED-FILE.pdf");
    assert_view(rec.amp_sha, "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e");
    assert_view(wt_record_verdict(&rec, 37),
                "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e");
    assert_view(rec.ua, "");
    assert_view(rec.custom, "");
    /* The raw list is the inside of <...>. */
    assert_true(rec.verdicts.len > 0);
    assert_int_equal(rec.verdicts.p[0], 'I');
    assert_int_equal(rec.verdicts.p[rec.verdicts.len - 1], '"');
}

/* 11.x line with 43 fields: the field inserted at 24 shifts AMP by +1. */
static void test_modern_43(void **state)
{
    (void)state;
    must_parse(PUB, 24);
    assert_int_equal(rec.nverdict, 43);
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    assert_view(rec.method, "CONNECT");
    assert_view(rec.url, "tunnel://images-na.ssl-images-amazon.com:443/");
    assert_view(rec.category, "IW_infr");
    assert_view(rec.wbrs, "4.0");
    assert_view(wt_record_verdict(&rec, 22), "Infrastructure and Content Delivery Networks");
    assert_view(wt_record_verdict(&rec, 23), ""); /* Google Translate URL, "-" */
    assert_view(wt_record_verdict(&rec, 28), "5.89");
    assert_view(rec.amp_verdict, "");
    assert_view(rec.amp_sha, "");
}

/* 12.x+ line with 44 fields. */
static void test_modern_44(void **state)
{
    (void)state;
    must_parse(SC4S, 13);
    assert_int_equal(rec.nverdict, 44);
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    assert_view(rec.category, "IW_snet");
    assert_view(rec.wbrs, "7.1");
    assert_view(wt_record_verdict(&rec, 22), "Social Networking");
    assert_view(wt_record_verdict(&rec, 24), "Facebook General");
    assert_view(wt_record_verdict(&rec, 25), "Facebook");
    assert_view(wt_record_verdict(&rec, 26), "Encrypted");
    assert_view(wt_record_verdict(&rec, 28), "0.20");
    assert_view(wt_record_verdict(&rec, 43), "");
}

/* Sentinel synthetic 45 fields: AMP at modern positions, comma in the last. */
static void test_modern_45_amp(void **state)
{
    (void)state;
    must_parse(PUB, 5);
    assert_int_equal(rec.nverdict, 45);
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    assert_view(rec.wbrs, "ns");
    assert_view(wt_record_verdict(&rec, 3), "Trojan-Phisher-Gamec");
    assert_view(rec.amp_verdict, "37");
    assert_view(rec.amp_threat, "W32.CiscoMalwareVector");
    assert_view(rec.amp_file, "WSA-INFECTED-FILE.pdf.exe.sh.7z");
    assert_view(rec.amp_sha, "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c556da5e");
    assert_view(wt_record_verdict(&rec, 44), "BlockedFileType: application/x-rpm,BlockedFile: "
                                             "allfiles/linuxpackage.rp");
}

/* DataDog synthetic: `(abc.com)` after the client, `DIRECT/451`, bare host URL. */
static void test_client_host_note_and_modern_amp(void **state)
{
    (void)state;
    must_parse(PUB, 20);
    assert_view(rec.client, "10.10.10.10");
    assert_view(rec.result, "DIRECT");
    assert_int_equal(rec.status, 451);
    assert_int_equal(rec.bytes, 8207);
    assert_view(rec.method, "GET");
    assert_view(rec.url, "www.gottapedia.com");
    assert_view(rec.server, "www.gottapedia.com");
    assert_view(rec.mime, "application/json");
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    assert_view(rec.amp_verdict, "39");
    assert_view(rec.amp_threat, "W32.CiscoTestVector");
    assert_view(rec.amp_file, "WSA-INFECTED-FILE.pdf");
    assert_view(rec.amp_sha, "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e");
    assert_view(wt_record_verdict(&rec, 39), "ARCHIVESCAN_BLOCKEDFILETYPE");
}

/* A quoted verdict value holding a comma. */
static void test_quoted_comma_in_verdict(void **state)
{
    (void)state;
    must_parse(PUB, 19);
    assert_int_equal(rec.nverdict, 44);
    assert_view(rec.category, "IW_comp");
    assert_view(wt_record_verdict(&rec, 19), "IW_comp,IW_csec");
    assert_view(wt_record_verdict(&rec, 20), "");
    assert_view(wt_record_verdict(&rec, 22), "Computers and Internet");
    assert_view(wt_record_verdict(&rec, 28), "0.73");
}

/* The msnbc URL holds `<params>...</params>`: the list is still found. */
static void test_url_with_angle_brackets(void **state)
{
    (void)state;
    must_parse(PUB, 23);
    assert_view(rec.url, "http://www.msnbc.msn.com/proxy/proxy.asmx/GetWSXml?DestinationKey="
                         "VideoRadCall&Passkey=&Parameters=<params><param><name>GetAd</name>"
                         "<value></value></param><param><name>PG</name><value>msv8bt</value>"
                         "</param><param><name>cachebust</name><value>10169.08794486735</value>"
                         "</param></params>");
    assert_view(rec.user, "DC\\JohnDoe@dc.com");
    assert_view(rec.hier, "DIRECT");
    assert_view(rec.server, "www.msnbc.msn.com");
    assert_view(rec.mime, "text/xml");
    assert_view(
        rec.acl,
        "DEFAULT_CASE_11-DC_Default_Policy-DC_Default_Identity-NONE-NONE-NONE-DefaultGroup");
    assert_int_equal(rec.nverdict, 32);
    assert_view(rec.category, "IW_news");
    assert_view(rec.wbrs, "5.9");
    assert_view(wt_record_verdict(&rec, 2), "1");
}

/* A URL with `&` and `=`, and the OTHER tag. */
static void test_url_query_other_tag(void **state)
{
    (void)state;
    must_parse(PUB, 22);
    assert_view(rec.url,
                "http://url.example.com?thiscode=R61UBH9&prod=someprod&ver=1.0&li=en&loc=us");
    assert_view(rec.result, "TCP_DENIED");
    assert_int_equal(rec.status, 401);
    assert_view(rec.hier, "NONE");
    assert_view(rec.server, "");
    assert_view(rec.acl, "OTHER-NONE-NONE-NONE-NONE-NONE-NONE");
    assert_view(rec.category, "IW_srch");
}

static void test_ipv6_clients(void **state)
{
    (void)state;
    must_parse(SC4S, 4);
    assert_view(rec.client, "2001:b8f9:c5c2:f730::2");
    assert_view(rec.result, "TCP_DENIED");
    assert_int_equal(rec.status, 403);
    assert_view(rec.user, "Alexei_Romanov");
    assert_view(rec.hier, "NONE");
    assert_view(rec.server, "www.xxxxxxx6.com");
    assert_view(rec.acl, "BLOCK_WEBCAT_245-Allow_All_iDevices-CyberRange_Inside_NoAuth-OMSPolicy-"
                         "DataSecurityPolicy-DefaultGroup-DIRECT");
    must_parse(SC4S, 5);
    assert_view(rec.client, "2001:44c4:cf35:1b78::6");
    assert_view(rec.user, "Andy_Lloyd");
    assert_int_equal(rec.status, 204);
    assert_view(rec.ua, "Anonymous_Suspect_Vendor");
    assert_view(rec.custom, "100");
}

static void test_masked_client(void **state)
{
    (void)state;
    must_parse(PRE, 10);
    assert_view(rec.client, "10.xx.xx.xx");
    assert_view(rec.url, "tunnel://csp.withgoogle.com:443/");
    must_parse(DOCS, 1);
    assert_view(rec.client, "172.xx.xx.xx");
    assert_int_equal(rec.nverdict, 33);
}

static void test_info_prefix(void **state)
{
    (void)state;
    must_parse(PRE, 1);
    assert_int_equal(rec.ts_ms, 1278096903150LL);
    assert_int_equal(rec.elapsed_ms, 97);
    assert_view(rec.client, "172.10.11.22");
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.amp_sha, "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e");
    must_parse(PRE, 2);
    assert_int_equal(rec.ts_ms, 1649097617352LL);
    assert_view(rec.method, "HEAD");
    assert_view(rec.acl, "DEFAULT_CASE_12-DefaultGroup-Internal_network-NONE-NONE-NONE-"
                         "DefaultGroup-NONE");
}

static void test_syslog_prefix(void **state)
{
    (void)state;
    must_parse(PRE, 6);
    assert_int_equal(rec.ts_ms, 1727246631866LL);
    assert_int_equal(rec.elapsed_ms, 93971);
    assert_view(rec.client, "10.10.10.10");
    assert_view(rec.mime, "application/octet-stream");
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    must_parse(PRE, 9);
    assert_int_equal(rec.ts_ms, 1727175142338LL);
    assert_view(rec.result, "TCP_DENIED_SSL");
    assert_view(rec.url, "https://www.virustotal.com:443/favicon.ico");
    assert_view(rec.acl, "BLOCK_CUSTOMCAT_12-DefaultGroup-10.50.6.5-NONE-NONE-NONE-NONE-NONE");
    assert_view(rec.category, "C_viru");
}

/* A prefix is only skipped when it ends with ": " in the first 512 bytes. */
static void test_prefix_rules(void **state)
{
    (void)state;
    static const char tail[] =
        "1278096903.150 97 1.2.3.4 TCP_MISS/200 1 GET http://a/ - DIRECT/a -";
    char buf[1024];

    snprintf(buf, sizeof(buf), "host app[12]: Warning: %s", tail);
    assert_int_equal(parse_str(buf), 0);
    assert_int_equal(rec.ts_ms, 1278096903150LL);

    /* No ": " before the timestamp. */
    snprintf(buf, sizeof(buf), "Info %s", tail);
    assert_int_equal(parse_str(buf), WT_EPARSE);
    snprintf(buf, sizeof(buf), "Info:%s", tail);
    assert_int_equal(parse_str(buf), WT_EPARSE);

    /* ": " starting at byte 510 is searched, at byte 512 it is not. */
    memset(buf, 'x', 510);
    snprintf(buf + 510, sizeof(buf) - 510, ": %s", tail);
    assert_int_equal(parse_str(buf), 0);
    memset(buf, 'x', 512);
    snprintf(buf + 512, sizeof(buf) - 512, ": %s", tail);
    assert_int_equal(parse_str(buf), WT_EPARSE);
}

/* The timestamp must be digits '.' digits. */
static void test_timestamp_shape(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903 97 1.2.3.4 TCP_MISS/200 1 GET http://a/ - DIRECT/a -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903. 97 1.2.3.4 TCP_MISS/200 1 GET http://a/ - DIRECT/a -"),
                     WT_EPARSE);
    assert_int_equal(parse_str(".150 97 1.2.3.4 TCP_MISS/200 1 GET http://a/ - DIRECT/a -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("12a.150 97 1.2.3.4 TCP_MISS/200 1 GET http://a/ - DIRECT/a -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903.1 97 1.2.3.4 TCP_MISS/200 1 GET http://a/ - DIRECT/a -"),
                     0);
    assert_int_equal(rec.ts_ms, 1278096903100LL);
}

static void test_connect_tunnel(void **state)
{
    (void)state;
    must_parse(PUB, 25);
    assert_view(rec.result, "TCP_MISS_SSL");
    assert_view(rec.method, "CONNECT");
    assert_view(rec.url, "tunnel://www.bbc.com:443/");
    assert_view(rec.server, "www.bbc.com");
    assert_int_equal(rec.nverdict, 41);
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.acl, "DECRYPT_WEBCAT_7-Sophia_Decryption_Policy-Sophia_ID-NONE-NONE-NONE-"
                         "DefaultGroup");
    must_parse(PUB, 8);
    assert_view(rec.method, "TCP_CONNECT");
    assert_view(rec.url, "tunnel://192.168.34.32:443/");
    assert_view(rec.server, "192.168.34.32");
    assert_int_equal(rec.nverdict, 15);
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);
    assert_view(rec.category, "IW_adv");
    assert_view(rec.wbrs, "5.0");
    assert_view(rec.amp_sha, "");
}

/* Custom fields between the MIME type and the tag, and after the trailer. */
static void test_custom_fields_around(void **state)
{
    (void)state;
    must_parse(PRE, 3);
    assert_view(rec.result, "TCP_CLIENT_REFRESH_MISS");
    assert_view(rec.hier, "DIRECT");
    assert_view(rec.server, "teams.events.data.microsoft.com");
    assert_view(rec.mime, "");
    assert_view(rec.acl, "PASSTHRU_CUSTOMCAT_7-DefaultGroup-No_authentication-DefaultGroup-NONE-"
                         "NONE-DefaultGroup-NONE");
    assert_int_equal(rec.nverdict, 44);
    assert_view(rec.category, "C_MS_0");
    assert_view(rec.ua, "");
    assert_view(rec.custom, "1 teams.events.data.microsoft.com 5.6.7.8");
    /* The AMP fields of the modern layout are `-` here. */
    assert_view(rec.amp_verdict, "");
    assert_view(rec.amp_threat, "");
    assert_view(rec.amp_file, "");
    assert_view(rec.amp_sha, "");

    must_parse(PRE, 4);
    assert_int_equal(rec.status, 407);
    assert_view(rec.hier, "NONE");
    assert_view(rec.server, "");
    assert_view(rec.acl, "OTHER-NONE-UtilisateursAD-NONE-NONE-NONE-NONE-NONE");
    assert_view(rec.custom, "0 - -");
}

/* SC4S: a list written `&lt;...&gt;`, then a custom date field. */
static void test_html_escaped_list(void **state)
{
    (void)state;
    must_parse(SC4S, 6);
    assert_view(rec.hier, "DEFAULT_PARENT");
    assert_view(rec.server, "www.xxxxxxx8.com");
    assert_view(rec.acl, "DEFAULT_CASE_6-AP_Subnet_2-NONE-RFS_Transparent_Proxy_Test-NONE-"
                         "ExternalDLPolicy-RoutingPolicy");
    assert_int_equal(rec.nverdict, 38);
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.category, "nc");
    assert_view(rec.wbrs, "5.0");
    assert_view(wt_record_verdict(&rec, 27), "0.63");
    assert_view(wt_record_verdict(&rec, 37), "");
    assert_true(rec.verdicts.len > 4);
    assert_memory_equal(rec.verdicts.p, "nc,5.0,", 7);
    assert_int_equal(rec.verdicts.p[rec.verdicts.len - 1], '"');
    assert_view(rec.ua, "");
    assert_view(rec.custom, "\"03/Jan/2015:07:09:50 +1100\" NONE -");
}

/* Sentinel line 18: `""-"`, a 65-hex SHA with U+201D glued, trailing space. */
static void test_broken_quoting(void **state)
{
    (void)state;
    must_parse(PUB, 18);
    assert_int_equal(rec.ts_ms, 1651830000150LL);
    assert_view(rec.client, "10.60.71.201");
    assert_view(rec.url, "http://my.site.com/");
    assert_view(rec.mime, "text/plain");
    assert_view(rec.acl, "DEFAULT_CASE_11-PolicyGroupName-Identity-MalwareScanningPolicy-"
                         "DataSecurityPolicy-ExternalDLPPolicy-RoutingPolicy-NONE");
    assert_int_equal(rec.nverdict, 38);
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.category, "IW_comp");
    assert_view(wt_record_verdict(&rec, 16), "\"-"); /* `""-"`: lenient, raw inside */
    assert_view(wt_record_verdict(&rec, 17), "");
    assert_view(rec.amp_verdict, "37");
    assert_view(rec.amp_threat, "W32.VectorGen");
    assert_view(rec.amp_file, "EICAR.zip");
    /* Raw, unvalidated: the extractor rejects it (65 hex + U+201D). */
    assert_view(rec.amp_sha,
                "fd5ea44d421dd05e461fb00cd9c16253d85829614bba233e651d14e64c864da5e\xe2\x80\x9d");
    assert_view(rec.ua, "");
    assert_view(rec.custom, "");
}

/* The Cisco PDF example: the same curly quote before `>`. */
static void test_curly_quote_docs(void **state)
{
    (void)state;
    must_parse(DOCS, 2);
    assert_int_equal(rec.nverdict, 38);
    assert_int_equal(rec.layout, WT_LAYOUT_LEGACY);
    assert_view(rec.amp_file, "WSA-INFECTED-FILE.pdf");
    assert_view(rec.amp_sha,
                "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e\xe2\x80\x9d");
    assert_view(rec.ua, "");
}

/* Quoted UA with spaces after `>`, then custom fields. */
static void test_quoted_ua_and_custom(void **state)
{
    (void)state;
    must_parse(SC4S, 8);
    assert_view(rec.user, "Conner_Fitzerald");
    assert_int_equal(rec.nverdict, 43);
    assert_int_equal(rec.layout, WT_LAYOUT_MODERN);
    assert_view(rec.wbrs, "ns");
    assert_view(rec.amp_verdict, "12");
    assert_view(rec.amp_threat, "abcd");
    assert_view(rec.amp_file, "53AFD.pdf");
    assert_view(rec.amp_sha, "454A754CA436CA54DB46D101159EAA0EAE6C83D887ED6567165DAB61BD0AF931");
    assert_view(wt_record_verdict(&rec, 41),
                "BlockedFileType:application/x-rpm,BlockedFile:allfiles/"
                "linuxpackage.rp");
    assert_view(rec.ua, "Anonymous_Suspect_Vendor");
    assert_view(rec.custom, "\"Opera/9.80 (Macintosh; Intel Mac OS X 10.6.8; U; fr) "
                            "Presto/2.9.168 Version/11.52\" - -");
    must_parse(SC4S, 1);
    assert_view(rec.hier, "DEFAULT_PARENT");
    assert_view(rec.amp_sha, "ACC2BCCC5C0D035F7F09CE2DA65472714BAFF0FF5FBC20DA85F00A6CCF3B986C");
    assert_view(rec.ua, "abcd");
    assert_view(rec.custom, "486");
}

static void test_two_token_mime(void **state)
{
    (void)state;
    assert_int_equal(
        parse_str("1278096903.150 97 1.2.3.4 TCP_MISS/200 8187 GET http://x.com/ - DIRECT/x.com "
                  "text/html; charset=utf-8 DEFAULT_CASE_11-a-b-c-d-e-f <IW_comp,6.9> -"),
        0);
    assert_view(rec.mime, "text/html; charset=utf-8");
    assert_view(rec.acl, "DEFAULT_CASE_11-a-b-c-d-e-f");
    assert_int_equal(rec.nverdict, 2);
    assert_view(rec.category, "IW_comp");
    assert_view(rec.wbrs, "6.9");
    assert_int_equal(rec.layout, WT_LAYOUT_OTHER);

    /* A plain squid line ending with a two-token MIME type. */
    assert_int_equal(parse_str("1278096903.150 97 1.2.3.4 TCP_MISS/200 8187 GET http://x.com/ - "
                               "DIRECT/x.com text/html; charset=ISO-8859-1"),
                     0);
    assert_view(rec.mime, "text/html; charset=ISO-8859-1");
    assert_int_equal(rec.layout, WT_LAYOUT_NONE);

    /* `;` at the end but the tag follows: one token. */
    assert_int_equal(parse_str("1278096903.150 97 1.2.3.4 TCP_MISS/200 8187 GET http://x.com/ - "
                               "DIRECT/x.com text/html; DEFAULT_CASE_11-a-b-c-d-e-f <IW_comp> -"),
                     0);
    assert_view(rec.mime, "text/html;");
    assert_view(rec.acl, "DEFAULT_CASE_11-a-b-c-d-e-f");
}

/* Plain Squid: elapsed padded with spaces, no tag, no verdicts. */
static void test_plain_squid(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150     97 172.10.11.22 TCP_MISS/200 8187 GET "
                               "http://example.com/ - DIRECT/93.184.216.34 text/html"),
                     0);
    assert_int_equal(rec.ts_ms, 1278096903150LL);
    assert_int_equal(rec.elapsed_ms, 97);
    assert_view(rec.client, "172.10.11.22");
    assert_view(rec.result, "TCP_MISS");
    assert_int_equal(rec.status, 200);
    assert_int_equal(rec.bytes, 8187);
    assert_view(rec.url, "http://example.com/");
    assert_view(rec.user, "");
    assert_view(rec.hier, "DIRECT");
    assert_view(rec.server, "93.184.216.34");
    assert_view(rec.mime, "text/html");
    assert_view(rec.acl, "");
    assert_null(rec.verdicts.p);
    assert_int_equal(rec.nverdict, 0);
    assert_int_equal(rec.layout, WT_LAYOUT_NONE);
    assert_view(rec.ua, "");
    assert_view(rec.custom, "");
}

/* The minimum: up to and including hierarchy; one field less fails. */
static void test_minimum_fields(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 NONE/0 0 GET http://a.b/ - NONE/-"), 0);
    assert_view(rec.result, "NONE");
    assert_int_equal(rec.status, 0);
    assert_view(rec.hier, "NONE");
    assert_view(rec.server, "");
    assert_view(rec.mime, "");
    assert_int_equal(rec.layout, WT_LAYOUT_NONE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 NONE/0 0 GET http://a.b/ -"), WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 NONE/0 0 GET http://a.b/"), WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 NONE/0 0 GET"), WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150"), WT_EPARSE);
    /* Hierarchy without '/'. */
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 NONE/0 0 GET http://a.b/ - DIRECT"),
                     WT_EPARSE);
    /* HIER_DIRECT (Squid 3+) and server IP. */
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "HIER_DIRECT/1.2.3.4 -"),
                     0);
    assert_view(rec.hier, "HIER_DIRECT");
    assert_view(rec.server, "1.2.3.4");
}

static void test_number_fields(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 9x7 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 TCP_MISS/200 5b GET http://a.b/ - "
                               "DIRECT/a.b -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 TCP_MISS/2x0 5 GET http://a.b/ - "
                               "DIRECT/a.b -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 TCP_MISS/ 5 GET http://a.b/ - "
                               "DIRECT/a.b -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 TCP_MISS 5 GET http://a.b/ - "
                               "DIRECT/a.b -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 -97 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 TCP_MISS/99999999999 5 GET http://a.b/ "
                               "- DIRECT/a.b -"),
                     WT_EPARSE);
    assert_int_equal(parse_str("1278096903.150 97 10.0.0.1 TCP_MISS/200 99999999999999999999 GET "
                               "http://a.b/ - DIRECT/a.b -"),
                     WT_EPARSE);
    /* `-` means absent: -1 for elapsed and bytes, 0 for status. */
    assert_int_equal(parse_str("1278096903.150 - 10.0.0.1 TCP_MISS/- - GET http://a.b/ - "
                               "DIRECT/a.b -"),
                     0);
    assert_int_equal(rec.elapsed_ms, -1);
    assert_int_equal(rec.bytes, -1);
    assert_int_equal(rec.status, 0);
    /* The status is after the last '/'. */
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 A/B/302 5 GET http://a.b/ - "
                               "DIRECT/a.b -"),
                     0);
    assert_view(rec.result, "A/B");
    assert_int_equal(rec.status, 302);
}

/* The server part is after the first '/'. */
static void test_hierarchy_split(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DEFAULT_PARENT/proxy.corp/x -"),
                     0);
    assert_view(rec.hier, "DEFAULT_PARENT");
    assert_view(rec.server, "proxy.corp/x");
    must_parse(PUB, 4);
    assert_view(rec.server, "217.195.184.80");
    assert_view(rec.url, "https://www.admin.site.dk:4043/smartdesigner/logo64.gif");
}

static void test_crlf(void **state)
{
    (void)state;
    struct sample_file *sf = load(PUB);
    char buf[4096];
    size_t n = sf->len[1];
    assert_true(n + 2 < sizeof(buf));
    memcpy(buf, sf->line[1], n);
    buf[n] = '\r';
    assert_int_equal(wt_parse_line(&ps, buf, n + 1, &rec), 0);
    assert_int_equal(rec.nverdict, 38);
    assert_view(rec.ua, "");
    assert_view(rec.custom, "");
    assert_views_within(&rec, buf, n);
    /* Also straight through the ops (no CR stripping by the dispatcher). */
    assert_int_equal(wt_parser_squid.parse(&ps, buf, n + 1, &rec), 0);
    assert_int_equal(rec.format, WT_FORMAT_SQUID);
    assert_view(rec.amp_sha, "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e");
    assert_view(rec.custom, "");
    /* A plain line ending in CR: the MIME type has no CR. */
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b text/html\r"),
                     0);
    assert_view(rec.mime, "text/html");
}

static void test_trailing_spaces(void **state)
{
    (void)state;
    assert_int_equal(parse_str("1278096903.150 1 10.0.0.1 TCP_MISS/200 5 GET http://a.b/ - "
                               "DIRECT/a.b - DEFAULT_CASE_11-a-b-c-d-e-f <x,y> \"my ua\"   \t  "),
                     0);
    assert_view(rec.ua, "my ua");
    assert_view(rec.custom, "");
    assert_int_equal(parse_str("\t 1278096903.150\t1\t10.0.0.1\tTCP_MISS/200\t5\tGET\thttp://a.b/"
                               "\t-\tDIRECT/a.b\t-\tDEFAULT_CASE_11-a-b-c-d-e-f\t<x,y>\t-\tz "),
                     0);
    assert_view(rec.client, "10.0.0.1");
    assert_int_equal(rec.nverdict, 2);
    assert_view(rec.custom, "z");
}

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
        cmocka_unit_test(test_all_public),
        cmocka_unit_test(test_all_prefixed),
        cmocka_unit_test(test_all_sc4s),
        cmocka_unit_test(test_all_docs),
        cmocka_unit_test(test_layout_per_line),
        cmocka_unit_test(test_tn_transparent_connect_quoted_user),
        cmocka_unit_test(test_amp_legacy_38),
        cmocka_unit_test(test_modern_43),
        cmocka_unit_test(test_modern_44),
        cmocka_unit_test(test_modern_45_amp),
        cmocka_unit_test(test_client_host_note_and_modern_amp),
        cmocka_unit_test(test_quoted_comma_in_verdict),
        cmocka_unit_test(test_url_with_angle_brackets),
        cmocka_unit_test(test_url_query_other_tag),
        cmocka_unit_test(test_ipv6_clients),
        cmocka_unit_test(test_masked_client),
        cmocka_unit_test(test_info_prefix),
        cmocka_unit_test(test_syslog_prefix),
        cmocka_unit_test(test_prefix_rules),
        cmocka_unit_test(test_timestamp_shape),
        cmocka_unit_test(test_connect_tunnel),
        cmocka_unit_test(test_custom_fields_around),
        cmocka_unit_test(test_html_escaped_list),
        cmocka_unit_test(test_broken_quoting),
        cmocka_unit_test(test_curly_quote_docs),
        cmocka_unit_test(test_quoted_ua_and_custom),
        cmocka_unit_test(test_two_token_mime),
        cmocka_unit_test(test_plain_squid),
        cmocka_unit_test(test_minimum_fields),
        cmocka_unit_test(test_number_fields),
        cmocka_unit_test(test_hierarchy_split),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_trailing_spaces),
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
        cmocka_unit_test(test_fast_path_matches_general),
        cmocka_unit_test(test_fast_path_field_counts),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        free(files[i].buf);
    return rc;
}
