/*
 * test_w3c.c - the W3C access-log parser (parsers/w3c.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_parsers.h"

struct fx {
    struct wt_parser ps;
    struct wt_record rec;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f || wt_parser_init(&f->ps, WT_FORMAT_W3C) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static int parse(struct fx *f, const char *line)
{
    return wt_parse_line(&f->ps, line, strlen(line), &f->rec);
}

/* Compare a view with a C string, with a readable failure message. */
#define assert_str(view, s)                                                                        \
    do {                                                                                           \
        struct wt_str v_ = (view);                                                                 \
        if (!wt_str_eq(v_, (s)))                                                                   \
            fail_msg("%s: got \"%.*s\", want \"%s\"", #view, (int)v_.len, v_.p ? v_.p : "", (s));  \
    } while (0)

static void assert_field(struct fx *f, const char *name, const char *want)
{
    struct wt_str v;
    int rc = wt_record_field(&f->ps, &f->rec, name, &v);
    if (rc != 0)
        fail_msg("field %s: rc %d", name, rc);
    if (!wt_str_eq(v, want))
        fail_msg("field %s: got \"%.*s\", want \"%s\"", name, (int)v.len, v.p ? v.p : "", want);
}

/* Line n (1-based) of a data file, without its newline, into buf. */
static size_t data_line(const char *file, int n, char *buf, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", WT_TEST_DATA_DIR, file);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t len = 0;
    for (int i = 1; i <= n; i++) {
        if (!fgets(buf, (int)cap, fp))
            fail_msg("%s has no line %d", file, n);
        len = strlen(buf);
        assert_true(len > 0 && buf[len - 1] == '\n'); /* the whole line fitted */
    }
    fclose(fp);
    buf[--len] = '\0';
    return len;
}

/* ------------------------------------------------------------------------ */
/* Headers from the samples                                                 */
/* ------------------------------------------------------------------------ */

static void test_cisco_doc_header(void **state)
{
    struct fx *f = *state;
    char hdr[5][1024];
    for (int i = 0; i < 5; i++) {
        data_line("wsa_w3c_header_cisco_doc.txt", i + 1, hdr[i], sizeof(hdr[i]));
        assert_int_equal(parse(f, hdr[i]), WT_ESKIP);
    }
    assert_int_equal(f->ps.w3c.n, 13);
    assert_str(f->ps.w3c.name[0], "timestamp");
    assert_str(f->ps.w3c.name[12], "x-suspect-user-agent");

    /* A data line in the header's 13-field order. */
    const char *line = "1245074120.345 374.156 10.1.1.5 TCP_MISS/200 1234 GET "
                       "http://www.example.com/index.html \"EXAMPLE\\jdoe@NTLM\" "
                       "DIRECT/www.example.com \"text/html; charset=utf-8\" "
                       "DEFAULT_CASE_11-PolicyA-ID.Users-NONE-NONE-NONE-DefaultGroup "
                       "<IW_news,7.1,0,\"-\",0,0,0,-,\"-\",-,-,-,-,\"-\",-,-,\"-\",\"-\"> "
                       "\"Mozilla/4.0 (compatible; MSIE 6.0)\"";
    assert_int_equal(parse(f, line), 0);
    struct wt_record *r = &f->rec;
    assert_int_equal(r->format, WT_FORMAT_W3C);
    /* The x-result-code list is decoded as in squid-native (18 fields: no
     * positional AMP block). */
    assert_int_equal(r->layout, WT_LAYOUT_OTHER);
    assert_int_equal(r->nfield, 13);
    assert_int_equal(r->ts_ms, 1245074120345LL);
    assert_int_equal(r->elapsed_ms, 374);
    assert_str(r->client, "10.1.1.5");
    assert_str(r->result, "TCP_MISS");
    assert_int_equal(r->status, 200);
    assert_int_equal(r->bytes, 1234);
    assert_str(r->method, "GET");
    assert_str(r->url, "http://www.example.com/index.html");
    assert_str(r->user, "EXAMPLE\\jdoe@NTLM");
    assert_str(r->hier, "DIRECT");
    assert_str(r->server, "www.example.com");
    assert_str(r->mime, "text/html; charset=utf-8");
    assert_str(r->acl, "DEFAULT_CASE_11-PolicyA-ID.Users-NONE-NONE-NONE-DefaultGroup");
    assert_str(r->verdicts, "IW_news,7.1,0,\"-\",0,0,0,-,\"-\",-,-,-,-,\"-\",-,-,\"-\",\"-\"");
    assert_int_equal(r->nverdict, 18);
    assert_str(r->ua, "Mozilla/4.0 (compatible; MSIE 6.0)");
    assert_int_equal(r->server_ip.len, 0);
    assert_str(r->category, "IW_news");
    assert_str(r->wbrs, "7.1");
    assert_int_equal(r->amp_sha.len, 0);
    assert_int_equal(r->custom.len, 0);
    assert_field(f, "cs-username", "EXAMPLE\\jdoe@NTLM");
    assert_field(f, "x-suspect-user-agent", "Mozilla/4.0 (compatible; MSIE 6.0)");
}

/* FIELDS.md section 5: the inferred 61-token order of the SC4S rows (x-unknown-*: unnamed slots).
 */
static const char sc4s_fields[] =
    "#Fields: timestamp x-elapsed-time cs(Referer) c-ip x-resultcode-httpstatus sc-bytes "
    "cs-method cs-url s-hostname x-unknown-9 cs-username cs-mime-type x-acltag "
    "cs(X-Forwarded-For) c-port s-computerName s-port x-unknown-17 x-webcat-code-abbr "
    "x-wbrs-score x-webroot-scanverdict x-webroot-threat-name x-webroot-trr x-webroot-spyid "
    "x-webroot-trace-id x-mcafee-scanverdict x-mcafee-filename x-mcafee-av-scanerror "
    "x-mcafee-av-detecttype x-mcafee-av-virustype x-mcafee-virus-name x-sophos-scanverdict "
    "x-sophos-scanerror x-sophos-file-name x-sophos-virus-name x-ids-verdict x-icap-verdict "
    "x-webcat-req-code-abbr x-webcat-resp-code-abbr x-wbrs-threat-type x-avc-app x-avc-type "
    "x-avc-behavior x-request-rewrite x-avg-bw x-bw-throttled user-type x-resp-dvs-threat-name "
    "x-resp-dvs-scanverdict x-resp-dvs-verdictname x-req-dvs-threat-name x-req-dvs-scanverdict "
    "x-req-dvs-verdictname x-amp-verdict x-amp-malware-name x-amp-score x-amp-upload "
    "x-amp-filename x-amp-sha cs(User-Agent) x-unknown-60";

#define CHROME_UA                                                                                  \
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "            \
    "Chrome/86.0.4240.183 Safari/537.36"

static void test_sc4s_rows(void **state)
{
    struct fx *f = *state;
    struct wt_record *r = &f->rec;
    char line[4096];

    assert_int_equal(parse(f, sc4s_fields), WT_ESKIP);
    assert_int_equal(f->ps.w3c.n, 61);

    data_line("wsa_w3c_public.log", 1, line, sizeof(line));
    assert_int_equal(parse(f, line), 0);
    assert_int_equal(r->nfield, 61);
    assert_int_equal(r->ts_ms, 1700000000000LL);
    assert_int_equal(r->elapsed_ms, 374);
    assert_str(r->client, "10.160.40.169");
    assert_str(r->result, "TCP_DENIED");
    assert_int_equal(r->status, 403);
    assert_int_equal(r->bytes, 298);
    assert_str(r->method, "CONNECT");
    assert_str(r->url, "tunnel://fls-na.amazon.com:443/");
    assert_int_equal(r->server.len, 0); /* s-hostname is `-` */
    assert_int_equal(r->user.len, 0);
    assert_int_equal(r->mime.len, 0);
    assert_str(r->acl,
               "BLOCK_CONTINUE_WEBCAT_12-DefaultGroup-DefaultGroup-NONE-NONE-NONE-NONE-NONE");
    assert_str(r->category, "IW_shop");
    assert_str(r->wbrs, "9.3");
    assert_int_equal(r->amp_sha.len, 0);
    assert_int_equal(r->ua.len, 0); /* cs(User-Agent) is not the suspect UA */
    assert_field(f, "cs(X-Forwarded-For)", "10.160.43.9");
    assert_field(f, "c-port", "52734");
    assert_field(f, "s-computerName", "fls-na.amazon.com");
    assert_field(f, "x-wbrs-threat-type", "Shopping");
    assert_field(f, "x-avc-type", "No Action");
    assert_field(f, "cs(User-Agent)", CHROME_UA);
    assert_field(f, "x-unknown-60", "0");
    assert_field(f, "cs(Referer)", "");

    data_line("wsa_w3c_public.log", 2, line, sizeof(line));
    assert_int_equal(parse(f, line), 0);
    assert_int_equal(r->elapsed_ms, 153);
    assert_str(r->result, "TCP_MISS");
    assert_int_equal(r->status, 200);
    assert_int_equal(r->bytes, 873);
    assert_str(r->url, "tunnel://www.google.com:443/");
    assert_str(r->server, "www.google.com");
    assert_str(r->mime, "application/octet-stream");
    assert_str(r->acl,
               "DEFAULT_CASE_12-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup-NONE");
    assert_str(r->category, "IW_srch");
    assert_str(r->wbrs, "6.9");
    assert_field(f, "cs(X-Forwarded-For)", "10.160.43.9");
    assert_field(f, "x-wbrs-threat-type", "Search Engines and Portals");
    assert_field(f, "x-avc-type", "Search Engine");
    assert_field(f, "cs(User-Agent)", CHROME_UA);
    assert_field(f, "x-unknown-60", "2673");
}

/* A header fitting the Sentinel rows: `date time timestamp ...`, 62 columns. */
#define SENT_FIELDS_60                                                                             \
    "date time timestamp x-elapsed-time cs(Referer) c-ip sc-http-status sc-bytes x-unknown-8 "     \
    "cs-method cs-url s-hostname x-unknown-12 cs-username cs-mime-type x-acltag "                  \
    "cs(X-Forwarded-For) c-port s-computerName s-port cs-version x-webcat-code-abbr "              \
    "x-wbrs-score x-webroot-scanverdict x-webroot-threat-name x-webroot-trr x-webroot-spyid "      \
    "x-webroot-trace-id x-mcafee-scanverdict x-mcafee-filename x-mcafee-av-scanerror "             \
    "x-mcafee-av-detecttype x-mcafee-av-virustype x-mcafee-virus-name x-sophos-scanverdict "       \
    "x-sophos-scanerror x-sophos-file-name x-sophos-virus-name x-ids-verdict x-icap-verdict "      \
    "x-webcat-req-code-abbr x-webcat-resp-code-abbr x-wbrs-threat-type x-avc-app x-avc-type "      \
    "x-avc-behavior x-request-rewrite x-avg-bw x-bw-throttled user-type x-resp-dvs-threat-name "   \
    "x-resp-dvs-scanverdict x-resp-dvs-verdictname x-req-dvs-threat-name x-req-dvs-scanverdict "   \
    "x-req-dvs-verdictname x-amp-verdict x-amp-malware-name x-amp-score x-amp-upload"

static void test_sentinel_rows(void **state)
{
    struct fx *f = *state;
    struct wt_record *r = &f->rec;
    char line[4096];

    assert_int_equal(parse(f, "#Fields: " SENT_FIELDS_60 " x-amp-filename x-amp-sha"), WT_ESKIP);
    assert_int_equal(f->ps.w3c.n, 62);

    data_line("wsa_w3c_public.log", 3, line, sizeof(line));
    assert_int_equal(parse(f, line), 0);
    assert_int_equal(r->nfield, 62);
    /* The timestamp column wins over date + time (which disagree in this sample). */
    assert_int_equal(r->ts_ms, 1589596903150LL);
    assert_int_equal(r->elapsed_ms, 178);
    assert_str(r->client, "114.50.12.56");
    assert_int_equal(r->result.len, 0);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->bytes, 18454);
    assert_str(r->method, "POST");
    assert_str(r->url, "https://www.survey-xact.dk:443/smartdesigner.jpg");
    assert_str(r->server, "155.155.1.2"); /* s-hostname, no x-hierarchy-origin */
    assert_int_equal(r->hier.len, 0);
    assert_int_equal(r->user.len, 0);
    assert_str(r->mime, "text/html");
    assert_str(r->acl, "ALLOW_REFERER");
    assert_str(r->wbrs, "88");
    assert_str(r->amp_threat, "x-amp-malware-name");
    assert_str(r->amp_file, "amp-test.exe");
    /* 33 hex digits: passed raw, the extractor validates. */
    assert_str(r->amp_sha, "fd5ef49d4213e05f418f41ed9c98253d8");
    assert_field(f, "cs(Referer)", "https://google.com");
    assert_field(f, "cs(X-Forwarded-For)", "10.10.1.100");
    assert_field(f, "x-mcafee-filename", "mca-test.exe");
    assert_field(f, "x-sophos-file-name", "s-test.exe");
    assert_field(f, "x-amp-score", "85");
    assert_field(f, "date", "2021-06-02");

    /* Line 4, the placeholder row, stops after x-amp-upload: too few columns. */
    data_line("wsa_w3c_public.log", 4, line, sizeof(line));
    assert_int_equal(parse(f, line), WT_EPARSE);

    /* With a 60-column header it parses, and its values name their own columns. */
    assert_int_equal(wt_parser_set_fields(&f->ps, SENT_FIELDS_60, strlen(SENT_FIELDS_60)), 0);
    assert_int_equal(parse(f, line), 0);
    assert_int_equal(r->nfield, 60);
    static const char *const witness[] = {"cs-username",
                                          "x-acltag",
                                          "c-port",
                                          "s-computerName",
                                          "s-port",
                                          "cs-version",
                                          "x-webcat-code-abbr",
                                          "x-wbrs-score",
                                          "x-mcafee-filename",
                                          "x-sophos-file-name",
                                          "x-wbrs-threat-type",
                                          "user-type",
                                          "x-amp-verdict",
                                          "x-amp-score",
                                          "x-amp-upload"};
    for (size_t i = 0; i < sizeof(witness) / sizeof(witness[0]); i++)
        assert_field(f, witness[i], witness[i]);
    assert_field(f, "s-hostname", "s-hostname");
    assert_str(r->user, "cs-username");
    assert_int_equal(r->amp_sha.len, 0); /* no such column now */
}

/* ------------------------------------------------------------------------ */
/* Layout handling                                                          */
/* ------------------------------------------------------------------------ */

static void test_comment_and_blank_lines(void **state)
{
    struct fx *f = *state;
    assert_int_equal(parse(f, ""), WT_ESKIP);
    assert_int_equal(parse(f, "   \t "), WT_ESKIP);
    assert_int_equal(parse(f, "#Version: 1.0"), WT_ESKIP);
    assert_int_equal(parse(f, "#Date: 2009-06-15 13:55:20"), WT_ESKIP);
    assert_int_equal(parse(f, "#Software: AsyncOS for Web 6.3.0"), WT_ESKIP);
    assert_int_equal(parse(f, "#System: 10.1.1.1 - wsa.qa"), WT_ESKIP);
    assert_int_equal(parse(f, "#Remark: anything"), WT_ESKIP);
    assert_int_equal(parse(f, "#"), WT_ESKIP);
    assert_int_equal(f->ps.w3c.n, 0);
    /* Comments do not disturb a layout. */
    assert_int_equal(parse(f, "#Fields: timestamp c-ip"), WT_ESKIP);
    assert_int_equal(parse(f, "#Remark: x"), WT_ESKIP);
    assert_int_equal(parse(f, ""), WT_ESKIP);
    assert_int_equal(f->ps.w3c.n, 2);
    assert_int_equal(parse(f, "1700000001.5 1.2.3.4"), 0);
    assert_int_equal(f->rec.ts_ms, 1700000001500LL);
}

static void test_data_before_header(void **state)
{
    struct fx *f = *state;
    assert_int_equal(parse(f, "1700000000.000 10 1.2.3.4"), WT_EPARSE);
    assert_int_equal(parse(f, "#Version: 1.0"), WT_ESKIP);
    assert_int_equal(parse(f, "1700000000.000 10 1.2.3.4"), WT_EPARSE);
}

static void test_layout_change(void **state)
{
    struct fx *f = *state;
    struct wt_record *r = &f->rec;

    assert_int_equal(parse(f, "#Fields: timestamp c-ip cs-url x-amp-sha"), WT_ESKIP);
    assert_int_equal(parse(f, "1700000010.001 1.1.1.1 http://a/ abcd"), 0);
    assert_int_equal(r->ts_ms, 1700000010001LL);
    assert_str(r->client, "1.1.1.1");
    assert_str(r->url, "http://a/");
    assert_str(r->amp_sha, "abcd");

    assert_int_equal(parse(f, "#Fields: cs-url timestamp s-ip c-ip"), WT_ESKIP);
    assert_int_equal(f->ps.w3c.n, 4);
    assert_int_equal(parse(f, "http://b/ 1700000020 9.9.9.9 2.2.2.2"), 0);
    assert_int_equal(r->ts_ms, 1700000020000LL);
    assert_str(r->client, "2.2.2.2");
    assert_str(r->url, "http://b/");
    assert_str(r->server_ip, "9.9.9.9");
    assert_int_equal(r->amp_sha.len, 0); /* cleared: the new layout has no x-amp-sha */
    struct wt_str v;
    assert_int_equal(wt_record_field(&f->ps, r, "x-amp-sha", &v), WT_EPARSE);
    /* The old line no longer fits. */
    assert_int_equal(parse(f, "1700000010.001 1.1.1.1 http://a/ abcd"), WT_EPARSE);
}

static void test_set_fields(void **state)
{
    struct fx *f = *state;
    const char *fl = "timestamp c-ip cs-url";
    assert_int_equal(wt_parser_set_fields(&f->ps, fl, strlen(fl)), 0);
    assert_int_equal(f->ps.w3c.n, 3);
    assert_int_equal(parse(f, "1700000005 1.2.3.4 http://x/"), 0);
    assert_str(f->rec.url, "http://x/");

    /* The prefix, surrounding blanks and a CR are tolerated. */
    fl = "  #Fields: c-ip timestamp \r\n";
    assert_int_equal(wt_parser_set_fields(&f->ps, fl, strlen(fl)), 0);
    assert_int_equal(f->ps.w3c.n, 2);
    assert_str(f->ps.w3c.name[1], "timestamp");
    assert_int_equal(parse(f, "1.2.3.4 1700000007"), 0);
    assert_int_equal(f->rec.ts_ms, 1700000007000LL);

    /* Only len bytes are read. */
    assert_int_equal(wt_parser_set_fields(&f->ps, "timestamp c-ipXXXX", 14), 0);
    assert_str(f->ps.w3c.name[1], "c-ip");

    assert_int_equal(wt_parser_set_fields(&f->ps, "  ", 2), WT_EPARSE);
    assert_int_equal(f->ps.w3c.n, 0);

    /* reset forgets it. */
    assert_int_equal(wt_parser_set_fields(&f->ps, "timestamp", 9), 0);
    wt_parser_reset(&f->ps);
    assert_int_equal(f->ps.w3c.n, 0);
    assert_int_equal(parse(f, "1700000005"), WT_EPARSE);
}

static void test_too_many_fields(void **state)
{
    struct fx *f = *state;
    char hdr[4096];
    size_t len = (size_t)snprintf(hdr, sizeof(hdr), "#Fields: timestamp");
    for (int i = 1; i < WT_W3C_FIELDS_MAX; i++)
        len += (size_t)snprintf(hdr + len, sizeof(hdr) - len, " f%d", i);

    /* Exactly the maximum is fine. */
    assert_int_equal(wt_parse_line(&f->ps, hdr, len, &f->rec), WT_ESKIP);
    assert_int_equal(f->ps.w3c.n, WT_W3C_FIELDS_MAX);
    assert_str(f->ps.w3c.name[WT_W3C_FIELDS_MAX - 1], "f127");

    char data[2048];
    size_t dl = (size_t)snprintf(data, sizeof(data), "1700000042");
    for (int i = 1; i < WT_W3C_FIELDS_MAX + 5; i++)
        dl += (size_t)snprintf(data + dl, sizeof(data) - dl, " v%d", i);
    assert_int_equal(wt_parse_line(&f->ps, data, dl, &f->rec), 0);
    assert_int_equal(f->rec.nfield, WT_W3C_FIELDS_MAX); /* extra columns dropped */
    assert_field(f, "f127", "v127");

    /* One more: rejected, counted (EPARSE), and the layout is gone. */
    len += (size_t)snprintf(hdr + len, sizeof(hdr) - len, " f128");
    assert_int_equal(wt_parse_line(&f->ps, hdr, len, &f->rec), WT_EPARSE);
    assert_int_equal(f->ps.w3c.n, 0);
    assert_int_equal(wt_parse_line(&f->ps, data, dl, &f->rec), WT_EPARSE);
    assert_int_equal(wt_parser_set_fields(&f->ps, hdr + 9, len - 9), WT_ETOOLONG);
    assert_int_equal(f->ps.w3c.n, 0);
}

static void test_header_too_long(void **state)
{
    struct fx *f = *state;
    static char hdr[WT_W3C_HEADER_MAX + 64];
    const size_t pre = sizeof("#Fields: ") - 1;
    memcpy(hdr, "#Fields: ", pre);
    /* 8 names of 1024 bytes: 8199 bytes of list, few names, too long. */
    size_t len = pre;
    for (int i = 0; i < 8; i++) {
        if (i)
            hdr[len++] = ' ';
        memset(hdr + len, 'a' + i, 1024);
        len += 1024;
    }
    assert_true(len - pre > WT_W3C_HEADER_MAX);
    assert_int_equal(parse(f, "#Fields: timestamp"), WT_ESKIP);
    assert_int_equal(wt_parse_line(&f->ps, hdr, len, &f->rec), WT_EPARSE);
    assert_int_equal(f->ps.w3c.n, 0);
    assert_int_equal(wt_parser_set_fields(&f->ps, hdr + pre, len - pre), WT_ETOOLONG);

    /* Exactly WT_W3C_HEADER_MAX bytes fits (trailing blanks do not count). */
    len = pre + WT_W3C_HEADER_MAX;
    memset(hdr + pre, 'x', WT_W3C_HEADER_MAX);
    hdr[pre + 100] = ' ';
    memcpy(hdr + len, "  \t", 3);
    assert_int_equal(wt_parse_line(&f->ps, hdr, len + 3, &f->rec), WT_ESKIP);
    assert_int_equal(f->ps.w3c.n, 2);
    assert_int_equal(f->ps.w3c.name[0].len, 100);
    assert_int_equal(f->ps.w3c.name[1].len, WT_W3C_HEADER_MAX - 101);

    /* An empty #Fields: is malformed. */
    assert_int_equal(parse(f, "#Fields:   "), WT_EPARSE);
    assert_int_equal(f->ps.w3c.n, 0);
}

static void test_header_names(void **state)
{
    struct fx *f = *state;
    /* No space after the colon, tabs, duplicates (first wins), names matched by case. */
    assert_int_equal(parse(f, "#Fields:timestamp\tC-IP  c-ip c-ip cs(User-Agent)"), WT_ESKIP);
    assert_int_equal(f->ps.w3c.n, 5);
    assert_int_equal(parse(f, "1700000001 A 10.0.0.2 c \"Agent X\""), 0);
    assert_str(f->rec.client, "10.0.0.2");
    assert_field(f, "C-IP", "A");
    assert_field(f, "c-ip", "10.0.0.2");
    assert_field(f, "cs(User-Agent)", "Agent X");
    struct wt_str v;
    assert_int_equal(wt_record_field(&f->ps, &f->rec, "cs(user-agent)", &v), WT_EPARSE);
    assert_int_equal(wt_record_field(&f->ps, &f->rec, "", &v), WT_EPARSE);
    assert_int_equal(wt_record_field(&f->ps, &f->rec, "c-i", &v), WT_EPARSE);
    /* A record of another format has no W3C columns. */
    f->rec.format = WT_FORMAT_SQUID;
    assert_int_equal(wt_record_field(&f->ps, &f->rec, "c-ip", &v), WT_EPARSE);
}

/* ------------------------------------------------------------------------ */
/* Data lines                                                               */
/* ------------------------------------------------------------------------ */

static void test_unknown_fields_by_name(void **state)
{
    struct fx *f = *state;
    assert_int_equal(parse(f, "#Fields: timestamp c-ip c-port cs(X-Forwarded-For) s-port"),
                     WT_ESKIP);
    assert_int_equal(parse(f, "1700000000.5 10.0.0.1 51234 \"192.0.2.1, 198.51.100.7\" \"-\""), 0);
    assert_int_equal(f->rec.ts_ms, 1700000000500LL);
    assert_field(f, "c-port", "51234");
    assert_field(f, "cs(X-Forwarded-For)", "192.0.2.1, 198.51.100.7");
    assert_field(f, "s-port", ""); /* "-" */
    struct wt_str v;
    assert_int_equal(wt_record_field(&f->ps, &f->rec, "cs(Cookie)", &v), WT_EPARSE);
}

static void test_too_few_and_extra_columns(void **state)
{
    struct fx *f = *state;
    assert_int_equal(parse(f, "#Fields: timestamp c-ip cs-url"), WT_ESKIP);
    assert_int_equal(parse(f, "1700000001 1.2.3.4"), WT_EPARSE);
    assert_int_equal(parse(f, "1700000001"), WT_EPARSE);
    assert_int_equal(parse(f, "1700000001 1.2.3.4 http://x/ extra \"more extra\""), 0);
    assert_int_equal(f->rec.nfield, 5);
    assert_str(f->rec.field[3], "extra");
    assert_str(f->rec.field[4], "more extra");
    assert_str(f->rec.url, "http://x/");
}

static void test_quoting(void **state)
{
    struct fx *f = *state;
    struct wt_record *r = &f->rec;
    assert_int_equal(parse(f, "#Fields: timestamp cs-username cs-url x-suspect-user-agent"),
                     WT_ESKIP);

    assert_int_equal(parse(f, "1700000001 \"DOM\\John Doe\" http://x/ \"UA \"inner\"x end\""), 0);
    assert_str(r->user, "DOM\\John Doe");
    assert_str(r->url, "http://x/");
    assert_str(r->ua, "UA \"inner\"x end");
    assert_int_equal(r->nfield, 4);

    /* "-" and - are empty; "" is empty. */
    assert_int_equal(parse(f, "1700000001 \"-\" - \"\""), 0);
    assert_int_equal(r->user.len, 0);
    assert_int_equal(r->url.len, 0);
    assert_int_equal(r->ua.len, 0);

    /* Unterminated quote in the last column: the rest of the line. */
    assert_int_equal(parse(f, "1700000001 u http://x/ \"open agent string"), 0);
    assert_str(r->ua, "open agent string");
    /* Unterminated earlier: it swallows the line, so columns are missing. */
    assert_int_equal(parse(f, "1700000001 \"open user http://x/ ua"), WT_EPARSE);
    /* A lone quote at the end of the line. */
    assert_int_equal(parse(f, "1700000001 u http://x/ \""), 0);
    assert_int_equal(r->ua.len, 0);
}

static void test_crlf(void **state)
{
    struct fx *f = *state;
    assert_int_equal(parse(f, "#Version: 1.0\r"), WT_ESKIP);
    assert_int_equal(parse(f, "#Fields: timestamp c-ip cs-url\r"), WT_ESKIP);
    assert_str(f->ps.w3c.name[2], "cs-url");
    assert_int_equal(parse(f, "\r"), WT_ESKIP);
    assert_int_equal(parse(f, "1700000001 1.2.3.4 http://x/\r"), 0);
    assert_str(f->rec.url, "http://x/");
    assert_int_equal(f->rec.nfield, 3);
    /* The back end alone also ignores the CR. */
    const char *l = "#Fields: timestamp c-ip\r";
    assert_int_equal(wt_parser_w3c.parse(&f->ps, l, strlen(l), &f->rec), WT_ESKIP);
    assert_str(f->ps.w3c.name[1], "c-ip");
    l = "1700000002 5.6.7.8\r";
    assert_int_equal(wt_parser_w3c.parse(&f->ps, l, strlen(l), &f->rec), 0);
    assert_str(f->rec.client, "5.6.7.8");
}

static void test_numbers_and_splits(void **state)
{
    struct fx *f = *state;
    struct wt_record *r = &f->rec;
    assert_int_equal(parse(f, "#Fields: timestamp x-elapsed-time sc-bytes x-resultcode-httpstatus "
                              "x-hierarchy-origin s-hostname"),
                     WT_ESKIP);

    assert_int_equal(
        parse(f, "1700000001 374.156 - TCP_MISS/200 DIRECT/www.example.com other.host"), 0);
    assert_int_equal(r->elapsed_ms, 374);
    assert_int_equal(r->bytes, -1);
    assert_str(r->result, "TCP_MISS");
    assert_int_equal(r->status, 200);
    assert_str(r->hier, "DIRECT");
    assert_str(r->server, "www.example.com");

    /* s-hostname when the hierarchy gives no host; a number that is no
     * number makes the line malformed (docs/events.md), never absent. */
    assert_int_equal(parse(f, "1700000001 abc 12 NONE/504 NONE/- h.example"), WT_EPARSE);
    assert_int_equal(parse(f, "1700000001 1 12x NONE/504 NONE/- h.example"), WT_EPARSE);
    assert_int_equal(parse(f, "1700000001 -1 12 NONE/504 NONE/- h.example"), WT_EPARSE);
    assert_int_equal(parse(f, "1700000001 - - NONE/504 NONE/- h.example"), 0);
    assert_int_equal(r->elapsed_ms, -1);
    assert_int_equal(r->bytes, -1);
    assert_str(r->result, "NONE");
    assert_int_equal(r->status, 504);
    assert_str(r->hier, "NONE");
    assert_str(r->server, "h.example");

    assert_int_equal(parse(f, "1700000001 - 0 TCP_DENIED - -"), 0);
    assert_int_equal(r->elapsed_ms, -1);
    assert_int_equal(r->bytes, 0);
    assert_str(r->result, "TCP_DENIED");
    assert_int_equal(r->status, 0);
    assert_int_equal(r->hier.len, 0);
    assert_int_equal(r->server.len, 0);

    /* Too many digits, a status out of -999..999: malformed. */
    assert_int_equal(
        parse(f, "1700000001 5. 99999999999999999999999 TCP_MISS/200 DEFAULT_PARENT/p 1"),
        WT_EPARSE);
    assert_int_equal(parse(f, "1700000001 5. 9 TCP_MISS/2000 DEFAULT_PARENT/p 1"), WT_EPARSE);
    assert_int_equal(parse(f, "1700000001 5. 9 TCP_MISS/-1000 DEFAULT_PARENT/p 1"), WT_EPARSE);
    assert_int_equal(parse(f, "1700000001 5. 9 TCP_MISS/2x DEFAULT_PARENT/p 1"), WT_EPARSE);
    /* Negative codes are kept (TCP_CLIENT_REFRESH_MISS/-50). */
    assert_int_equal(parse(f, "1700000001 5. 9 TCP_CLIENT_REFRESH_MISS/-50 DEFAULT_PARENT/p 1"), 0);
    assert_int_equal(r->status, -50);
    assert_str(r->result, "TCP_CLIENT_REFRESH_MISS");
    assert_int_equal(parse(f, "1700000001 5. 9 TCP_MISS/+999 DEFAULT_PARENT/p 1"), 0);
    assert_int_equal(r->status, 999);
    assert_int_equal(parse(f, "1700000001 5. 9 TCP_MISS/-999 DEFAULT_PARENT/p 1"), 0);
    assert_int_equal(r->status, -999);
    assert_int_equal(r->elapsed_ms, 5);
    assert_int_equal(r->bytes, 9);
    assert_str(r->hier, "DEFAULT_PARENT");
    assert_str(r->server, "p");

    /* Separate result and status columns. */
    assert_int_equal(parse(f, "#Fields: timestamp sc-result-code sc-http-status"), WT_ESKIP);
    assert_int_equal(parse(f, "1700000001 TCP_REFRESH_HIT 304"), 0);
    assert_str(r->result, "TCP_REFRESH_HIT");
    assert_int_equal(r->status, 304);
    assert_int_equal(r->bytes, -1);
    assert_int_equal(r->elapsed_ms, -1);
    assert_int_equal(parse(f, "1700000001 TCP_MISS -50"), 0);
    assert_int_equal(r->status, -50);
    assert_int_equal(parse(f, "1700000001 TCP_MISS 1000"), WT_EPARSE);
    assert_int_equal(parse(f, "1700000001 TCP_MISS OK"), WT_EPARSE);
}

static void test_all_known_fields(void **state)
{
    struct fx *f = *state;
    struct wt_record *r = &f->rec;
    assert_int_equal(parse(f, "#Fields: timestamp s-ip cs-mime-type x-acltag x-result-code "
                              "x-webcat-code-abbr x-wbrs-score x-amp-verdict x-amp-malware-name "
                              "x-amp-filename x-amp-sha x-suspect-user-agent cs-method"),
                     WT_ESKIP);
    assert_int_equal(parse(f, "1700000001 192.0.2.9 \"text/html; charset=utf-8\" BLOCK_AMP_RESP-P "
                              "not-a-list IW_comp -7.2 3 \"W32.Trojan\" \"a b.exe\" "
                              "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 "
                              "\"curl 7\" GET"),
                     0);
    assert_str(r->server_ip, "192.0.2.9");
    assert_str(r->mime, "text/html; charset=utf-8");
    assert_str(r->acl, "BLOCK_AMP_RESP-P");
    assert_str(r->verdicts, "not-a-list");
    assert_str(r->category, "IW_comp");
    assert_str(r->wbrs, "-7.2");
    assert_str(r->amp_verdict, "3");
    assert_str(r->amp_threat, "W32.Trojan");
    assert_str(r->amp_file, "a b.exe");
    assert_str(r->amp_sha, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    assert_str(r->ua, "curl 7");
    assert_str(r->method, "GET");
    assert_int_equal(r->client.len, 0);
    assert_int_equal(r->url.len, 0);
}

static void test_date_time(void **state)
{
    struct fx *f = *state;
    struct wt_record *r = &f->rec;
    assert_int_equal(parse(f, "#Fields: date time c-ip"), WT_ESKIP);
    assert_int_equal(parse(f, "2021-06-02 12:13:34 1.2.3.4"), 0);
    assert_int_equal(r->ts_ms, 1622636014000LL);
    assert_int_equal(parse(f, "2020-02-29 23:59:59.25 1.2.3.4"), 0);
    assert_int_equal(r->ts_ms, 1583020799250LL);
    /* The plausible range (docs/events.md): 1990-01-01 up to 2100-01-01. */
    assert_int_equal(parse(f, "1990-01-01 00:00:00 1.2.3.4"), 0);
    assert_int_equal(r->ts_ms, 631152000000LL);
    assert_int_equal(parse(f, "2099-12-31 23:59:59.9994 x"), 0);
    assert_int_equal(r->ts_ms, 4102444799999LL);

    static const char *const bad[] = {
        "2021-02-29 00:00:00 x",   "1900-02-29 00:00:00 x", "2021-13-01 00:00:00 x",
        "2021-00-01 00:00:00 x",   "2021-04-31 00:00:00 x", "2021-06-02 24:00:00 x",
        "2021-06-02 12:60:00 x",   "2021-06-02 12:00:61 x", "2021-06-02 12:00:00. x",
        "2021-06-02 12:00:00.x x", "2021-06-02 12:00 x",    "21-06-02 12:00:00 x",
        "2021/06/02 12:00:00 x",   "1969-12-31 23:59:59 x", "- - x",
        "2021-06-02 12:00:00Z x",  "2021-6-2 1:2:3 x",      "1970-01-01 00:00:00 x",
        "1989-12-31 23:59:59 x",   "2100-01-01 00:00:00 x", "2100-12-31 00:00:00.1234 x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(f, bad[i]) != WT_EPARSE)
            fail_msg("accepted: %s", bad[i]);
    }

    /* A timestamp column wins; when it is unusable date + time is the fallback. */
    assert_int_equal(parse(f, "#Fields: timestamp date time"), WT_ESKIP);
    assert_int_equal(parse(f, "1700000005.5 2021-06-02 12:13:34"), 0);
    assert_int_equal(r->ts_ms, 1700000005500LL);
    assert_int_equal(parse(f, "5.5 2021-06-02 12:13:34"), 0); /* implausible: date + time */
    assert_int_equal(r->ts_ms, 1622636014000LL);
    assert_int_equal(parse(f, "- 2021-06-02 12:13:34"), 0);
    assert_int_equal(r->ts_ms, 1622636014000LL);
    assert_int_equal(parse(f, "- - -"), WT_EPARSE);

    /* No time at all. */
    assert_int_equal(parse(f, "#Fields: c-ip cs-url"), WT_ESKIP);
    assert_int_equal(parse(f, "1.2.3.4 http://x/"), WT_EPARSE);
    assert_int_equal(parse(f, "#Fields: date c-ip"), WT_ESKIP);
    assert_int_equal(parse(f, "2021-06-02 1.2.3.4"), WT_EPARSE);
    assert_int_equal(parse(f, "#Fields: timestamp c-ip"), WT_ESKIP);
    assert_int_equal(parse(f, "yesterday 1.2.3.4"), WT_EPARSE);
    assert_int_equal(parse(f, "-1 1.2.3.4"), WT_EPARSE);
    assert_int_equal(parse(f, "2021 1.2.3.4"), WT_EPARSE);
    assert_int_equal(parse(f, "4102444800 1.2.3.4"), WT_EPARSE);
    assert_int_equal(parse(f, "4102444799.999 1.2.3.4"), 0);
}

/* Every prefix of valid lines, each in a buffer of exactly that size (ASan sees overreads). */
static void test_every_prefix(void **state)
{
    struct fx *f = *state;
    static const char *const lines[] = {
        "#Fields: timestamp x-elapsed-time c-ip x-resultcode-httpstatus sc-bytes cs-method cs-url "
        "cs-username x-hierarchy-origin cs-mime-type x-acltag x-result-code x-suspect-user-agent "
        "date time",
        "1245074120.345 374.156 10.1.1.5 TCP_MISS/200 1234 GET http://www.example.com/ "
        "\"EXAMPLE\\jdoe\" DIRECT/www.example.com \"text/html; charset=x\" DEFAULT_CASE_11-P "
        "<IW_news,7.1,\"-\"> \"Mozilla/4.0 (compatible)\" 2009-06-15 13:55:20.5\r",
    };
    for (size_t k = 0; k < 2; k++) {
        size_t full = strlen(lines[k]);
        for (size_t len = 0; len <= full; len++) {
            char *b = malloc(len ? len : 1);
            assert_non_null(b);
            memcpy(b, lines[k], len);
            if (k == 1) {
                /* The full header stays in place for the data prefixes. */
                assert_int_equal(wt_parse_line(&f->ps, lines[0], strlen(lines[0]), &f->rec),
                                 WT_ESKIP);
            }
            int rc = wt_parse_line(&f->ps, b, len, &f->rec);
            assert_true(rc == 0 || rc == WT_ESKIP || rc == WT_EPARSE);
            if (rc == 0) {
                for (unsigned i = 0; i < f->rec.nfield; i++) {
                    struct wt_str v = f->rec.field[i];
                    assert_true(v.len == 0 || (v.p >= b && v.p + v.len <= b + len));
                }
            }
            free(b);
        }
    }
    /* The full data line parses. */
    assert_int_equal(wt_parse_line(&f->ps, lines[1], strlen(lines[1]), &f->rec), 0);
    assert_int_equal(f->rec.nfield, 15);
    assert_str(f->rec.verdicts, "IW_news,7.1,\"-\"");
}

static void test_reset_and_ops(void **state)
{
    struct fx *f = *state;
    assert_string_equal(wt_parser_w3c.name, "w3c");
    assert_int_equal(parse(f, "#Fields: timestamp c-ip"), WT_ESKIP);
    wt_parser_w3c.reset(&f->ps);
    assert_int_equal(f->ps.w3c.n, 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(f->ps.w3c.col[i], -1);
    assert_int_equal(parse(f, "1700000001 1.2.3.4"), WT_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cisco_doc_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sc4s_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sentinel_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_and_blank_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_before_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layout_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_fields_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_few_and_extra_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers_and_splits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_known_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_and_ops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
