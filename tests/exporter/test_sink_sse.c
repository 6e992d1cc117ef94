/*
 * test_sink_sse.c - the SSE sink's pure helpers (sse_int.h): the budget
 * controller (shrink fast, grow slowly, bounds), cutting parts at line
 * boundaries and halving them, full-jitter backoff bounds, Retry-After in
 * seconds and as an HTTP-date, the Idempotency-Key format, the outcome of
 * each status, the regions, and the credential file (0600, round trip,
 * damaged files, endpoint match).
 */
#include "sse_int.h"
#include "wt_queue.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Budget controller                                                        */
/* ------------------------------------------------------------------------ */

static void test_budget_start_and_bounds(void **state)
{
    (void)state;
    struct wt_http_budget bg;
    wt_http_budget_init(&bg, 15.0, 4096, 1 << 20, 256 * 1024);
    assert_int_equal(wt_http_budget_target(&bg), 256 * 1024);
    /* The start is clamped to the bounds. */
    wt_http_budget_init(&bg, 15.0, 4096, 100000, 256 * 1024);
    assert_int_equal(wt_http_budget_target(&bg), 100000);
    wt_http_budget_init(&bg, 15.0, 4096, 1 << 20, 10);
    assert_int_equal(wt_http_budget_target(&bg), 4096);
    /* A failed request of the target's size halves it, down to the floor. */
    wt_http_budget_init(&bg, 15.0, 4096, 1 << 20, 64 * 1024);
    wt_http_budget_fail(&bg, 64 * 1024);
    assert_int_equal(wt_http_budget_target(&bg), 32 * 1024);
    for (int i = 0; i < 20; i++)
        wt_http_budget_fail(&bg, wt_http_budget_target(&bg));
    assert_int_equal(wt_http_budget_target(&bg), 4096);
    /* Relative to the failed request: a small one failing does not shrink much... */
    wt_http_budget_init(&bg, 15.0, 4096, 1 << 20, 64 * 1024);
    wt_http_budget_fail(&bg, 100 * 1024);
    assert_int_equal(wt_http_budget_target(&bg), 50 * 1024);
    /* ...and a run of failures of parts cut at one size shrinks once. */
    wt_http_budget_fail(&bg, 100 * 1024);
    wt_http_budget_fail(&bg, 100 * 1024);
    assert_int_equal(wt_http_budget_target(&bg), 50 * 1024);
}

static void test_budget_grows_slowly(void **state)
{
    (void)state;
    struct wt_http_budget bg;
    /* Fast link: 100 KB in 10 ms is 10 MB/s; the budget of 1 s allows 10 MB. */
    wt_http_budget_init(&bg, 1.0, 4096, 64 << 20, 100000);
    assert_false(wt_http_budget_success(&bg, 100000, 0.010));
    /* +10 % per fast request, not a jump to what the throughput allows. */
    assert_int_equal(wt_http_budget_target(&bg), 110000);
    assert_false(wt_http_budget_success(&bg, 110000, 0.011));
    assert_int_equal(wt_http_budget_target(&bg), 121000);
    /* Many fast requests: growth stops at the throughput ceiling. */
    for (int i = 0; i < 200; i++)
        wt_http_budget_success(&bg, 1000000, 0.1); /* 10 MB/s */
    size_t t = wt_http_budget_target(&bg);
    assert_true(t <= 10000000 + 1);
    assert_true(t >= 9000000);
    /* And never above the maximum. */
    wt_http_budget_init(&bg, 10.0, 4096, 200000, 190000);
    wt_http_budget_success(&bg, 190000, 0.01);
    assert_int_equal(wt_http_budget_target(&bg), 200000);
}

static void test_budget_growth_capped_by_throughput(void **state)
{
    (void)state;
    struct wt_http_budget bg;
    /* 50 KB/s, budget 1 s: at most ~50 KB; a 48 KB target grows only to the ceiling. */
    wt_http_budget_init(&bg, 1.0, 4096, 64 << 20, 48000);
    assert_false(wt_http_budget_success(&bg, 48000, 0.96));
    size_t t = wt_http_budget_target(&bg);
    assert_true(t > 48000 && t <= 50001);
    /* Above the ceiling already and fast: kept, not shrunk. */
    wt_http_budget_init(&bg, 1.0, 4096, 64 << 20, 80000);
    assert_false(wt_http_budget_success(&bg, 1000, 0.5)); /* 2 KB/s sample */
    assert_int_equal(wt_http_budget_target(&bg), 80000);
}

static void test_budget_shrinks_fast(void **state)
{
    (void)state;
    struct wt_http_budget bg;
    wt_http_budget_init(&bg, 1.0, 4096, 64 << 20, 1000000);
    /* Slower than the budget: at least halved (here to what the throughput says). */
    assert_true(wt_http_budget_success(&bg, 1000000, 4.0)); /* 250 KB/s */
    assert_int_equal(wt_http_budget_target(&bg), 250000);
    /* Just over the budget with a good throughput: halved. */
    wt_http_budget_init(&bg, 1.0, 4096, 64 << 20, 1000000);
    bg.tput = 10e6;
    assert_true(wt_http_budget_success(&bg, 1000000, 1.01));
    assert_int_equal(wt_http_budget_target(&bg), 500000);
    /* Shrinking and growing are asymmetric: one slow undoes many fast. */
    wt_http_budget_init(&bg, 1.0, 4096, 64 << 20, 100000);
    for (int i = 0; i < 5; i++)
        wt_http_budget_success(&bg, wt_http_budget_target(&bg), 0.01);
    size_t grown = wt_http_budget_target(&bg);
    assert_true(grown > 100000 && grown < 170000);
    wt_http_budget_fail(&bg, grown);
    assert_true(wt_http_budget_target(&bg) < 100000);
    /* Late requests that were cut large before: shrink once, not each time. */
    wt_http_budget_init(&bg, 1.0, 4096, 64 << 20, 400000);
    assert_true(wt_http_budget_success(&bg, 400000, 2.0)); /* 200 KB/s: 200 KB fit */
    assert_int_equal(wt_http_budget_target(&bg), 200000);
    for (int i = 0; i < 3; i++)
        assert_true(wt_http_budget_success(&bg, 400000, 2.0));
    assert_int_equal(wt_http_budget_target(&bg), 200000);
}

static void test_budget_too_large(void **state)
{
    (void)state;
    struct wt_http_budget bg;
    wt_http_budget_init(&bg, 10.0, 4096, 64 << 20, 1 << 20);
    wt_http_budget_too_large(&bg, 100000);
    assert_int_equal(wt_http_budget_target(&bg), 50000);
    /* The new maximum holds: fast requests do not grow past it. */
    for (int i = 0; i < 50; i++)
        wt_http_budget_success(&bg, 50000, 0.001);
    assert_int_equal(wt_http_budget_target(&bg), 50000);
    /* Never below the floor. */
    wt_http_budget_too_large(&bg, 10);
    assert_int_equal(wt_http_budget_target(&bg), 4096);
}

/* ------------------------------------------------------------------------ */
/* Parts                                                                    */
/* ------------------------------------------------------------------------ */

static void test_cut_at_lines(void **state)
{
    (void)state;
    const char d[] = "aaaa\nbbbb\ncccc\ndddd\n"; /* 4 lines of 5 bytes */
    size_t len = strlen(d);
    uint32_t n;
    /* Whole lines within the target. */
    assert_int_equal(wt__sse_cut(d, len, 0, 12, &n), 10);
    assert_int_equal(n, 2);
    assert_int_equal(wt__sse_cut(d, len, 0, 10, &n), 10);
    assert_int_equal(n, 2);
    assert_int_equal(wt__sse_cut(d, len, 0, 9, &n), 5);
    assert_int_equal(n, 1);
    /* At least one line, even above the target. */
    assert_int_equal(wt__sse_cut(d, len, 5, 1, &n), 5);
    assert_int_equal(n, 1);
    /* The rest, from an offset. */
    assert_int_equal(wt__sse_cut(d, len, 10, 1000, &n), 10);
    assert_int_equal(n, 2);
    /* Nothing left. */
    assert_int_equal(wt__sse_cut(d, len, len, 1000, &n), 0);
    assert_int_equal(n, 0);
    /* A last line without newline counts. */
    const char e[] = "x\nyy";
    assert_int_equal(wt__sse_cut(e, 4, 0, 100, &n), 4);
    assert_int_equal(n, 2);
    assert_int_equal(wt__sse_cut(e, 4, 2, 100, &n), 2);
    assert_int_equal(n, 1);
}

static void test_cut_covers_everything_once(void **state)
{
    (void)state;
    char d[4096];
    size_t len = 0;
    uint32_t lines = 0;
    for (int i = 0; len + 40 < sizeof(d); i++, lines++)
        len += (size_t)snprintf(d + len, sizeof(d) - len, "{\"n\":%d,\"pad\":\"%.*s\"}\n", i,
                                i % 17, "xxxxxxxxxxxxxxxxxxxx");
    for (size_t target = 1; target < 600; target += 37) {
        size_t off = 0;
        uint32_t total = 0;
        while (off < len) {
            uint32_t n;
            size_t got = wt__sse_cut(d, len, off, target, &n);
            assert_true(got > 0 && n > 0);
            assert_true(got <= target || n == 1);
            assert_int_equal(d[off + got - 1], '\n'); /* ends at a line end */
            off += got;
            total += n;
        }
        assert_int_equal(off, len);
        assert_int_equal(total, lines);
    }
}

static void test_halve(void **state)
{
    (void)state;
    const char d[] = "a\nbb\nccc\ndddd\neeeee\n";
    size_t len = strlen(d);
    /* 5 lines: 2 + 3. */
    size_t l1 = wt__sse_halve(d, len, 5);
    assert_int_equal(l1, 5);
    assert_memory_equal(d, "a\nbb\n", 5);
    /* 2 lines: 1 + 1. */
    assert_int_equal(wt__sse_halve(d, 5, 2), 2);
    /* 4 lines: 2 + 2. */
    assert_int_equal(wt__sse_halve(d, 14, 4), 5);
}

/* ------------------------------------------------------------------------ */
/* Backoff and Retry-After                                                  */
/* ------------------------------------------------------------------------ */

static void test_backoff_bounds(void **state)
{
    (void)state;
    uint64_t rng = 42;
    for (unsigned attempt = 0; attempt < 70; attempt++) {
        uint64_t ceil = attempt < 20 ? 500ULL << attempt : UINT64_MAX;
        if (ceil > 60000)
            ceil = 60000;
        uint64_t lo = UINT64_MAX, hi = 0;
        for (int i = 0; i < 2000; i++) {
            uint64_t d = wt_http_backoff_ms(500, 60000, attempt, wt_http_rand(&rng));
            assert_true(d <= ceil);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        /* Full jitter: spread over the whole range. */
        assert_true(lo <= ceil / 10);
        assert_true(hi >= ceil - ceil / 10);
    }
    /* The extremes of rnd. */
    assert_int_equal(wt_http_backoff_ms(100, 1000, 0, 0), 0);
    assert_int_equal(wt_http_backoff_ms(100, 1000, 0, 100), 100);
    assert_int_equal(wt_http_backoff_ms(100, 1000, 0, 101), 0);
    assert_int_equal(wt_http_backoff_ms(100, 1000, 3, 800), 800);
    assert_int_equal(wt_http_backoff_ms(100, 1000, 4, 1000), 1000);
    assert_int_equal(wt_http_backoff_ms(100, 1000, 4, 1001), 0);
    /* base == cap. */
    assert_int_equal(wt_http_backoff_ms(500, 500, 9, 500), 500);
}

static void test_rand(void **state)
{
    (void)state;
    uint64_t s = 0, a = wt_http_rand(&s), b = wt_http_rand(&s);
    assert_true(a != b);
    assert_true(s != 0);
}

/* The TLS hint says what the verification error means (issue 17: a host
 * name mismatch and an expired certificate suggested setting ca_file). */
static void test_tls_hint(void **state)
{
    (void)state;
    assert_null(wt_http_tls_hint(CURLE_OK, ""));
    assert_null(wt_http_tls_hint(CURLE_COULDNT_CONNECT, "Connection refused"));
    assert_non_null(
        strstr(wt_http_tls_hint(CURLE_PEER_FAILED_VERIFICATION,
                                "SSL: no alternative certificate subject name matches target host "
                                "name 'sse.example.com'"),
               "another host name"));
    assert_non_null(strstr(wt_http_tls_hint(CURLE_PEER_FAILED_VERIFICATION,
                                            "SSL certificate problem: certificate has expired"),
                           "expired"));
    assert_null(strstr(wt_http_tls_hint(CURLE_PEER_FAILED_VERIFICATION,
                                        "SSL certificate problem: certificate has expired"),
                       "set ca_file"));
    assert_non_null(
        strstr(wt_http_tls_hint(CURLE_PEER_FAILED_VERIFICATION,
                                "SSL certificate problem: unable to get local issuer certificate"),
               "set ca_file"));
    assert_non_null(strstr(wt_http_tls_hint(CURLE_PEER_FAILED_VERIFICATION,
                                            "SSL certificate problem: self-signed certificate"),
                           "set ca_file"));
    assert_non_null(strstr(wt_http_tls_hint(CURLE_SSL_CACERT_BADFILE, "error setting certificate"),
                           "ca_file cannot be read"));
}

/* The response body quoted into a log line (both HTTP sinks). */
static void test_status_text(void **state)
{
    (void)state;
    char buf[600], body[300];
    wt_http_status_text(buf, sizeof(buf), 503, "", 0);
    assert_string_equal(buf, "HTTP 503");
    wt_http_status_text(buf, sizeof(buf), 400, "bad\tline\n\x01\xc3\xa9!", 13);
    assert_string_equal(buf, "HTTP 400: bad line    !");
    /* A NUL in the body does not end the quote early. */
    wt_http_status_text(buf, sizeof(buf), 409, "a\0b", 3);
    assert_string_equal(buf, "HTTP 409: a b");
    memset(body, 'x', sizeof(body));
    wt_http_status_text(buf, sizeof(buf), 500, body, sizeof(body));
    assert_int_equal(strlen(buf), strlen("HTTP 500: ") + WT_HTTP_BODY_QUOTE_MAX);
    /* Bounded by the caller's buffer. */
    wt_http_status_text(buf, 12, 500, body, sizeof(body));
    assert_string_equal(buf, "HTTP 500: x");
}

static void test_retry_after_seconds(void **state)
{
    (void)state;
    int64_t d;
    assert_int_equal(wt_http_retry_after("120", 0, &d), 0);
    assert_int_equal(d, 120000);
    assert_int_equal(wt_http_retry_after(" 3 \r\n", 0, &d), 0);
    assert_int_equal(d, 3000);
    assert_int_equal(wt_http_retry_after("0", 0, &d), 0);
    assert_int_equal(d, 0);
    /* Capped. */
    assert_int_equal(wt_http_retry_after("999999999999999999999999", 0, &d), 0);
    assert_int_equal(d, WT_HTTP_RETRY_AFTER_MAX_MS);
    assert_int_equal(wt_http_retry_after("86400", 0, &d), 0);
    assert_int_equal(d, WT_HTTP_RETRY_AFTER_MAX_MS);
    /* Not a delay. */
    assert_int_equal(wt_http_retry_after("", 0, &d), WT_EPARSE);
    assert_int_equal(wt_http_retry_after("-5", 0, &d), WT_EPARSE);
    assert_int_equal(wt_http_retry_after("1.5", 0, &d), WT_EPARSE);
    assert_int_equal(wt_http_retry_after("soon", 0, &d), WT_EPARSE);
    assert_int_equal(wt_http_retry_after("5 s", 0, &d), WT_EPARSE);
}

static void test_retry_after_date(void **state)
{
    (void)state;
    int64_t d;
    /* 1994-11-06T08:49:37Z is 784111777. */
    const int64_t t = 784111777LL * 1000;
    assert_int_equal(wt_http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t - 30000, &d), 0);
    assert_int_equal(d, 30000);
    /* The obsolete forms of RFC 9110. */
    assert_int_equal(wt_http_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", t - 1500, &d), 0);
    assert_int_equal(d, 1500);
    assert_int_equal(wt_http_retry_after("Sun Nov  6 08:49:37 1994", t - 2000, &d), 0);
    assert_int_equal(d, 2000);
    /* In the past: no wait. */
    assert_int_equal(wt_http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t + 5000, &d), 0);
    assert_int_equal(d, 0);
    /* Far ahead: capped. */
    assert_int_equal(wt_http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t - 86400000, &d), 0);
    assert_int_equal(d, WT_HTTP_RETRY_AFTER_MAX_MS);
    /* Now-relative, like a server would send. */
    time_t now = time(NULL);
    struct tm tm;
    char v[64];
    time_t at = now + 7;
    gmtime_r(&at, &tm);
    strftime(v, sizeof(v), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_int_equal(wt_http_retry_after(v, (int64_t)now * 1000, &d), 0);
    assert_int_equal(d, 7000);
    assert_int_equal(wt_http_retry_after("Sun, 99 Foo 1994 25:61:00 GMT", t, &d), WT_EPARSE);
}

/* ------------------------------------------------------------------------ */
/* Keys, outcomes, regions                                                  */
/* ------------------------------------------------------------------------ */

static void test_idem_key(void **state)
{
    (void)state;
    char k[WT_SSE_KEY_MAX + 1], k2[WT_SSE_KEY_MAX + 1];
    const char *part = "{\"a\":1}\n{\"a\":2}\n";
    char want[128];
    snprintf(want, sizeof(want), "dev-0123456789abcdef-42-100-2-%08x",
             wt_crc32c(0, part, strlen(part)));
    int n = wt__sse_idem_key(k, sizeof(k), "dev-0123456789abcdef", 42, 100, 2, part, strlen(part));
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(k, want);
    /* Stable: the same part gives the same key. */
    wt__sse_idem_key(k2, sizeof(k2), "dev-0123456789abcdef", 42, 100, 2, part, strlen(part));
    assert_string_equal(k, k2);
    /* Other bytes with the same numbers (a restart without spool): another key. */
    wt__sse_idem_key(k2, sizeof(k2), "dev-0123456789abcdef", 42, 100, 2, "{\"a\":3}\n{\"a\":4}\n",
                     16);
    assert_string_not_equal(k, k2);
    /* The longest device id fits the contract's 255 bytes with the largest numbers. */
    char dev[WT_SSE_DEVICE_ID_MAX + 1];
    memset(dev, 'd', WT_SSE_DEVICE_ID_MAX);
    dev[WT_SSE_DEVICE_ID_MAX] = '\0';
    n = wt__sse_idem_key(k, sizeof(k), dev, UINT64_MAX, UINT32_MAX, UINT32_MAX, "x", 1);
    assert_true(n > 0 && n <= WT_SSE_KEY_MAX);
    /* Printable, no spaces (the contract). */
    for (int i = 0; i < n; i++)
        assert_true(k[i] > ' ' && k[i] < 0x7f);
    /* Too small a buffer. */
    assert_int_equal(wt__sse_idem_key(k, 10, "dev-1", 1, 0, 1, "x", 1), -1);
}

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(wt__sse_classify(CURLE_OK, 200, true), WT_SSE_OUT_ACK);
    assert_int_equal(wt__sse_classify(CURLE_OK, 202, true), WT_SSE_OUT_ACK);
    assert_int_equal(wt__sse_classify(CURLE_OK, 409, true), WT_SSE_OUT_DUP);
    assert_int_equal(wt__sse_classify(CURLE_OK, 400, true), WT_SSE_OUT_REJECT);
    assert_int_equal(wt__sse_classify(CURLE_OK, 401, true), WT_SSE_OUT_AUTH);
    assert_int_equal(wt__sse_classify(CURLE_OK, 413, true), WT_SSE_OUT_TOO_LARGE);
    static const long retried[] = {408, 429, 500, 502, 503, 504, 507, 403, 404, 301};
    for (size_t i = 0; i < sizeof(retried) / sizeof(retried[0]); i++)
        assert_int_equal(wt__sse_classify(CURLE_OK, retried[i], true), WT_SSE_OUT_RETRY);
    /* Timeouts split only once the request was on its way. */
    assert_int_equal(wt__sse_classify(CURLE_OPERATION_TIMEDOUT, 0, true), WT_SSE_OUT_TIMEOUT);
    assert_int_equal(wt__sse_classify(CURLE_OPERATION_TIMEDOUT, 0, false), WT_SSE_OUT_RETRY);
    assert_int_equal(wt__sse_classify(CURLE_COULDNT_CONNECT, 0, false), WT_SSE_OUT_RETRY);
    assert_int_equal(wt__sse_classify(CURLE_RECV_ERROR, 0, true), WT_SSE_OUT_RETRY);
    assert_int_equal(wt__sse_classify(CURLE_PEER_FAILED_VERIFICATION, 0, false), WT_SSE_OUT_RETRY);
    assert_true(wt_http_pausing_status(429));
    assert_true(wt_http_pausing_status(503));
    assert_false(wt_http_pausing_status(500));
    assert_false(wt_http_pausing_status(502));
}

static void test_regions_and_urls(void **state)
{
    (void)state;
    char buf[WT_HTTP_URL_MAX + 1];
    assert_string_equal(wt__sse_region_url("nam"), "https://api-sse.cisco.com");
    assert_string_equal(wt__sse_region_url("eu"), "https://api.eu.sse.itd.cisco.com");
    assert_string_equal(wt__sse_region_url("apjc"), "https://api.apj.sse.itd.cisco.com");
    assert_null(wt__sse_region_url("us"));
    struct wt_sse_opts sc = {.region = "eu"};
    assert_string_equal(wt__sse_base_url(&sc, buf, sizeof(buf)),
                        "https://api.eu.sse.itd.cisco.com");
    struct wt_sse_opts su = {.url = "http://127.0.0.1:8080/"};
    assert_string_equal(wt__sse_base_url(&su, buf, sizeof(buf)), "http://127.0.0.1:8080");
    assert_true(wt_http_url_loopback("http://127.0.0.1:8080"));
    assert_true(wt_http_url_loopback("http://127.1.2.3/x"));
    assert_true(wt_http_url_loopback("http://localhost:1"));
    assert_true(wt_http_url_loopback("http://[::1]:9/"));
    assert_false(wt_http_url_loopback("http://127.example.com"));
    assert_false(wt_http_url_loopback("http://localhost.example.com"));
    assert_false(wt_http_url_loopback("http://10.0.0.1"));
    assert_false(wt_http_url_loopback("http://[::2]"));
}

/* ------------------------------------------------------------------------ */
/* Credential file                                                          */
/* ------------------------------------------------------------------------ */

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/wt-test-sse.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_cred_round_trip(void **state)
{
    (void)state;
    char path[256], err[512];
    struct wt__sse_cred c = {0}, r;
    snprintf(path, sizeof(path), "%s/sub/sse-sse0.json", tmpdir);
    snprintf(c.region, sizeof(c.region), "eu");
    snprintf(c.device_id, sizeof(c.device_id), "dev-1234");
    snprintf(c.credential, sizeof(c.credential), "s3cr3t-cred");
    snprintf(c.registered_at, sizeof(c.registered_at), "2024-01-01T00:00:00Z");
    umask(022);
    assert_int_equal(wt__sse_cred_save(path, &c, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(wt__sse_cred_load(path, &r, err, sizeof(err)), 0);
    assert_string_equal(r.region, "eu");
    assert_string_equal(r.url, "");
    assert_string_equal(r.device_id, "dev-1234");
    assert_string_equal(r.credential, "s3cr3t-cred");
    assert_string_equal(r.registered_at, "2024-01-01T00:00:00Z");

    struct wt_sse_opts eu = {.region = "eu"}, nam = {.region = "nam"};
    struct wt_sse_opts url = {.url = "https://x.example.com"};
    assert_true(wt__sse_cred_matches(&r, &eu));
    assert_false(wt__sse_cred_matches(&r, &nam));
    assert_false(wt__sse_cred_matches(&r, &url));

    /* By url; a trailing slash is the same endpoint. */
    memset(&c, 0, sizeof(c));
    snprintf(c.url, sizeof(c.url), "https://x.example.com");
    snprintf(c.device_id, sizeof(c.device_id), "d");
    snprintf(c.credential, sizeof(c.credential), "c");
    assert_int_equal(wt__sse_cred_save(path, &c, err, sizeof(err)), 0);
    assert_int_equal(wt__sse_cred_load(path, &r, err, sizeof(err)), 0);
    struct wt_sse_opts url2 = {.url = "https://x.example.com/"};
    assert_true(wt__sse_cred_matches(&r, &url));
    assert_true(wt__sse_cred_matches(&r, &url2));
    assert_false(wt__sse_cred_matches(&r, &eu));
    wt__sse_cred_wipe(&r);
    assert_string_equal(r.credential, "");
}

static void test_cred_damaged(void **state)
{
    (void)state;
    char path[256], err[512];
    struct wt__sse_cred r;
    snprintf(path, sizeof(path), "%s/absent.json", tmpdir);
    assert_int_equal(wt__sse_cred_load(path, &r, err, sizeof(err)), -ENOENT);
    snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{\"device_id\": \"d\", \"credential\": \"c\"}", /* no endpoint */
        "{\"region\": \"eu\", \"url\": \"https://x\", \"device_id\": \"d\", \"credential\": \"c\"}",
        "{\"region\": \"mars\", \"device_id\": \"d\", \"credential\": \"c\"}",
        "{\"region\": \"eu\", \"device_id\": \"d d\", \"credential\": \"c\"}", /* bad id */
        "{\"region\": \"eu\", \"device_id\": \"d\", \"credential\": \"a b\"}", /* space */
        "{\"region\": \"eu\", \"device_id\": \"d\", \"credential\": 5}",
        "{\"region\": \"eu\", \"device_id\": \"d\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_text(path, bad[i]);
        if (wt__sse_cred_load(path, &r, err, sizeof(err)) != WT_EPARSE)
            fail_msg("accepted: %s", bad[i]);
        assert_string_equal(r.credential, ""); /* wiped */
        assert_null(strstr(err, "\"c\""));     /* the message names the file, not its content */
    }
    write_text(path, "{\"region\": \"apjc\", \"device_id\": \"a.b_c-D9\", \"credential\": "
                     "\"x!~\"}");
    assert_int_equal(wt__sse_cred_load(path, &r, err, sizeof(err)), 0);
    assert_string_equal(r.device_id, "a.b_c-D9");
    assert_string_equal(r.registered_at, "");
}

static void test_valid_ids(void **state)
{
    (void)state;
    char big[WT_SSE_DEVICE_ID_MAX + 2];
    assert_true(wt__sse_valid_device_id("dev-0123456789abcdef"));
    assert_false(wt__sse_valid_device_id(""));
    assert_false(wt__sse_valid_device_id("a/b"));
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_false(wt__sse_valid_device_id(big));
    big[sizeof(big) - 2] = '\0';
    assert_true(wt__sse_valid_device_id(big));
    assert_true(wt__sse_valid_credential("abc:DEF/+="));
    assert_false(wt__sse_valid_credential("a\tb"));
    assert_false(wt__sse_valid_credential(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_start_and_bounds),
        cmocka_unit_test(test_budget_grows_slowly),
        cmocka_unit_test(test_budget_growth_capped_by_throughput),
        cmocka_unit_test(test_budget_shrinks_fast),
        cmocka_unit_test(test_budget_too_large),
        cmocka_unit_test(test_cut_at_lines),
        cmocka_unit_test(test_cut_covers_everything_once),
        cmocka_unit_test(test_halve),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_rand),
        cmocka_unit_test(test_tls_hint),
        cmocka_unit_test(test_status_text),
        cmocka_unit_test(test_retry_after_seconds),
        cmocka_unit_test(test_retry_after_date),
        cmocka_unit_test(test_idem_key),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_regions_and_urls),
        cmocka_unit_test_setup_teardown(test_cred_round_trip, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_cred_damaged, setup_dir, teardown_dir),
        cmocka_unit_test(test_valid_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
