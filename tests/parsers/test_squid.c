/*
 * test_squid.c - the squid-native (WSA "Access Logs") line parser on the
 * public sample lines of tests/data and on representative lines: each
 * field, the layouts, prefixes and lists. Malformed input and edge cases
 * are test_squid_edges.c; the fast path against the general parser
 * test_squid_fast.c.
 */
#include "squid_util.h"

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
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    free_samples();
    return rc;
}
