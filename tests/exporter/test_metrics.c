/*
 * test_metrics.c - the registry, the Prometheus text exposition, health and
 * the HTTP endpoint (fetched with a plain-socket client), plus updates from
 * two threads while the registry is rendered and scraped.
 *
 * metrics.c is included so the test can age the heartbeat; the linker then
 * takes nothing from metrics.o in libwt_exporter.a.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "metrics.c"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* The render as a malloc'd string. */
static char *render(struct wt_metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    wt_metrics_render(m, f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static int setup(void **state)
{
    struct wt_metrics *m = wt_metrics_new();
    assert_non_null(m);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    wt_metrics_free(*state);
    return 0;
}

struct http_resp {
    int status;
    char raw[65536]; /* status line, headers and body, NUL-terminated */
    const char *body;
};

/*
 * A minimal HTTP/1.0 client over a plain socket: sends req verbatim to
 * family/addr:port, reads until the server closes. @returns 0 or -1.
 */
static int http_fetch_at(int family, const void *addr, int port, const char *req,
                         struct http_resp *r)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        memcpy(&a->sin6_addr, addr, sizeof(a->sin6_addr));
        sl = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        memcpy(&a->sin_addr, addr, sizeof(a->sin_addr));
        sl = sizeof(*a);
    }
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        close(fd);
        return -1;
    }
    size_t n = strlen(req), off = 0;
    while (off < n) {
        ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    size_t len = 0;
    for (;;) {
        ssize_t k = recv(fd, r->raw + len, sizeof(r->raw) - 1 - len, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    r->raw[len] = '\0';
    r->status = 0;
    if (sscanf(r->raw, "HTTP/1.%*d %d", &r->status) != 1)
        return -1;
    const char *b = strstr(r->raw, "\r\n\r\n");
    r->body = b != NULL ? b + 4 : "";
    return 0;
}

static int http_fetch(int port, const char *req, struct http_resp *r)
{
    const struct in_addr lo = {htonl(INADDR_LOOPBACK)};
    return http_fetch_at(AF_INET, &lo, port, req, r);
}

#define GET(path) "GET " path " HTTP/1.0\r\nHost: localhost\r\n\r\n"

/* ------------------------------------------------------------------------ */
/* Registry and rendering                                                   */
/* ------------------------------------------------------------------------ */

static void test_render_exact(void **state)
{
    struct wt_metrics *m = *state;
    static const double b[] = {0.1, 0.5, 1};
    static const double b2[] = {10, 1e6};

    struct wt_metric *c1 =
        wt_metrics_get(m, WT_METRIC_COUNTER, "wt_lines_total", "Lines read.", NULL, NULL, 0);
    struct wt_metric *g = wt_metrics_get(m, WT_METRIC_GAUGE, "wt_queue_bytes",
                                         "Bytes queued, \\ and\nnewline.", NULL, NULL, 0);
    /* Created later, rendered next to its namesake. */
    struct wt_metric *c2 = wt_metrics_get(m, WT_METRIC_COUNTER, "wt_lines_total", "Lines read.",
                                          "file=\"/a\"", NULL, 0);
    struct wt_metric *h = wt_metrics_get(m, WT_METRIC_HISTOGRAM, "wt_batch_seconds",
                                         "Batch latency.", "sink=\"f0\"", b, 3);
    struct wt_metric *h2 =
        wt_metrics_get(m, WT_METRIC_HISTOGRAM, "wt_batch_bytes", "Batch size.", "", b2, 2);
    struct wt_metric *g2 = wt_metrics_get(m, WT_METRIC_GAUGE, "wt_queue_bytes", "ignored",
                                          "sink=\"k\",type=\"kafka\"", NULL, 0);
    assert_non_null(c1);
    assert_non_null(g);
    assert_non_null(c2);
    assert_non_null(h);
    assert_non_null(h2);
    assert_non_null(g2);

    wt_metric_add(c1, 3);
    wt_metric_add(c2, 5);
    wt_metric_add(c2, 2);
    wt_metric_set(g, 42);
    wt_metric_set(g2, -7);
    wt_metric_observe(h, 0.25);
    wt_metric_observe(h, 0.5); /* le is inclusive */
    wt_metric_observe(h, 0.5);
    wt_metric_observe(h, 2);
    wt_metric_observe(h2, 4096);

    char *out = render(m);
    assert_string_equal(out, "# HELP wt_lines_total Lines read.\n"
                             "# TYPE wt_lines_total counter\n"
                             "wt_lines_total 3\n"
                             "wt_lines_total{file=\"/a\"} 7\n"
                             "# HELP wt_queue_bytes Bytes queued, \\\\ and\\nnewline.\n"
                             "# TYPE wt_queue_bytes gauge\n"
                             "wt_queue_bytes 42\n"
                             "wt_queue_bytes{sink=\"k\",type=\"kafka\"} -7\n"
                             "# HELP wt_batch_seconds Batch latency.\n"
                             "# TYPE wt_batch_seconds histogram\n"
                             "wt_batch_seconds_bucket{sink=\"f0\",le=\"0.1\"} 0\n"
                             "wt_batch_seconds_bucket{sink=\"f0\",le=\"0.5\"} 3\n"
                             "wt_batch_seconds_bucket{sink=\"f0\",le=\"1\"} 3\n"
                             "wt_batch_seconds_bucket{sink=\"f0\",le=\"+Inf\"} 4\n"
                             "wt_batch_seconds_sum{sink=\"f0\"} 3.25\n"
                             "wt_batch_seconds_count{sink=\"f0\"} 4\n"
                             "# HELP wt_batch_bytes Batch size.\n"
                             "# TYPE wt_batch_bytes histogram\n"
                             "wt_batch_bytes_bucket{le=\"10\"} 0\n"
                             "wt_batch_bytes_bucket{le=\"1000000\"} 1\n"
                             "wt_batch_bytes_bucket{le=\"+Inf\"} 1\n"
                             "wt_batch_bytes_sum 4096\n"
                             "wt_batch_bytes_count 1\n");
    free(out);

    assert_int_equal(wt_metric_value(c2), 7);
    assert_int_equal((int64_t)wt_metric_value(g2), -7);
    assert_int_equal(wt_metric_value(h), 4);
}

static void test_empty_registry(void **state)
{
    char *out = render(*state);
    assert_string_equal(out, "");
    free(out);
}

static void test_get_same_series(void **state)
{
    struct wt_metrics *m = *state;
    struct wt_metric *a = wt_metrics_get(m, WT_METRIC_COUNTER, "x_total", "X.", "k=\"1\"", NULL, 0);
    struct wt_metric *b = wt_metrics_get(m, WT_METRIC_COUNTER, "x_total", "X.", "k=\"1\"", NULL, 0);
    struct wt_metric *c = wt_metrics_get(m, WT_METRIC_COUNTER, "x_total", "X.", "k=\"2\"", NULL, 0);
    struct wt_metric *d = wt_metrics_get(m, WT_METRIC_COUNTER, "x_total", "X.", NULL, NULL, 0);
    struct wt_metric *e = wt_metrics_get(m, WT_METRIC_COUNTER, "x_total", "X.", "", NULL, 0);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    assert_ptr_not_equal(a, d);
    assert_ptr_equal(d, e); /* NULL and "" are the same empty label set */
    wt_metric_add(a, 1);
    wt_metric_add(b, 1);
    assert_int_equal(wt_metric_value(a), 2);
}

static void test_kind_mismatch_and_invalid(void **state)
{
    struct wt_metrics *m = *state;
    static const double up[] = {1, 2}, down[] = {2, 1}, inf[] = {1, INFINITY};
    double many[WT_HIST_MAX_BUCKETS + 1];
    for (size_t i = 0; i <= WT_HIST_MAX_BUCKETS; i++)
        many[i] = (double)i;
    char long_labels[WT_METRIC_LABELS_MAX + 8];
    memset(long_labels, 'a', sizeof(long_labels) - 1);
    long_labels[sizeof(long_labels) - 1] = '\0';

    assert_non_null(wt_metrics_get(m, WT_METRIC_COUNTER, "y_total", "Y.", NULL, NULL, 0));
    assert_null(wt_metrics_get(m, WT_METRIC_GAUGE, "y_total", "Y.", NULL, NULL, 0));
    assert_null(wt_metrics_get(m, WT_METRIC_GAUGE, "y_total", "Y.", "k=\"v\"", NULL, 0));
    assert_null(wt_metrics_get(m, WT_METRIC_HISTOGRAM, "y_total", "Y.", NULL, up, 2));
    assert_null(wt_metrics_get(m, WT_METRIC_COUNTER, "9bad", "", NULL, NULL, 0));
    assert_null(wt_metrics_get(m, WT_METRIC_COUNTER, "bad-name", "", NULL, NULL, 0));
    assert_null(wt_metrics_get(m, WT_METRIC_COUNTER, "", "", NULL, NULL, 0));
    assert_null(wt_metrics_get(m, WT_METRIC_HISTOGRAM, "h1", "", NULL, down, 2));
    assert_null(wt_metrics_get(m, WT_METRIC_HISTOGRAM, "h2", "", NULL, inf, 2));
    assert_null(
        wt_metrics_get(m, WT_METRIC_HISTOGRAM, "h3", "", NULL, many, WT_HIST_MAX_BUCKETS + 1));
    assert_non_null(
        wt_metrics_get(m, WT_METRIC_HISTOGRAM, "h4", "", NULL, many, WT_HIST_MAX_BUCKETS));
    assert_null(wt_metrics_get(m, WT_METRIC_COUNTER, "z_total", "", long_labels, NULL, 0));

    /* Updates through a failed (NULL) series are no-ops. */
    wt_metric_add(NULL, 1);
    wt_metric_set(NULL, 1);
    wt_metric_observe(NULL, 1);
    assert_int_equal(wt_metric_value(NULL), 0);
}

static void test_remove(void **state)
{
    struct wt_metrics *m = *state;
    struct wt_metric *a = wt_metrics_get(m, WT_METRIC_GAUGE, "f_bytes", "F.", "f=\"a\"", NULL, 0);
    struct wt_metric *b = wt_metrics_get(m, WT_METRIC_GAUGE, "f_bytes", "F.", "f=\"b\"", NULL, 0);
    struct wt_metric *c = wt_metrics_get(m, WT_METRIC_COUNTER, "o_total", "O.", NULL, NULL, 0);
    wt_metric_set(a, 1);
    wt_metric_set(b, 2);
    wt_metric_add(c, 3);

    wt_metrics_remove(m, a);
    char *out = render(m);
    assert_string_equal(out, "# HELP f_bytes F.\n# TYPE f_bytes gauge\nf_bytes{f=\"b\"} 2\n"
                             "# HELP o_total O.\n# TYPE o_total counter\no_total 3\n");
    free(out);

    wt_metrics_remove(m, b);
    wt_metrics_remove(m, NULL);
    out = render(m);
    assert_string_equal(out, "# HELP o_total O.\n# TYPE o_total counter\no_total 3\n");
    free(out);

    /* The name is free again, even for another kind. */
    assert_non_null(wt_metrics_get(m, WT_METRIC_COUNTER, "f_bytes", "F.", NULL, NULL, 0));
}

static void test_label_escape(void **state)
{
    (void)state;
    char out[64];

    wt_metrics_label_escape("/var/log/a\"b\\c\nd", out, sizeof(out));
    assert_string_equal(out, "/var/log/a\\\"b\\\\c\\nd");
    wt_metrics_label_escape("", out, sizeof(out));
    assert_string_equal(out, "");

    /* Truncation never splits an escape or a UTF-8 sequence. */
    wt_metrics_label_escape("ab\"c", out, 4);
    assert_string_equal(out, "ab");
    wt_metrics_label_escape("ab\"c", out, 5);
    assert_string_equal(out, "ab\\\"");
    wt_metrics_label_escape("a\xc3\xa9z", out, 3);
    assert_string_equal(out, "a");
    wt_metrics_label_escape("a\xc3\xa9z", out, 4);
    assert_string_equal(out, "a\xc3\xa9");
    wt_metrics_label_escape("abc", out, 1);
    assert_string_equal(out, "");

    /* Escaped values render as given. */
    struct wt_metrics *m = wt_metrics_new();
    char lv[64], labels[WT_METRIC_LABELS_MAX];
    wt_metrics_label_escape("C:\\logs\\\"x\".log", lv, sizeof(lv));
    snprintf(labels, sizeof(labels), "file=\"%s\"", lv);
    wt_metric_add(wt_metrics_get(m, WT_METRIC_COUNTER, "e_total", "E.", labels, NULL, 0), 1);
    char *r = render(m);
    assert_non_null(strstr(r, "e_total{file=\"C:\\\\logs\\\\\\\"x\\\".log\"} 1\n"));
    free(r);
    wt_metrics_free(m);
}

static void test_number_format(void **state)
{
    (void)state;
    char buf[32];
    fmt_double(buf, sizeof(buf), 0.1);
    assert_string_equal(buf, "0.1");
    fmt_double(buf, sizeof(buf), 0.1 + 0.2);
    assert_string_equal(buf, "0.30000000000000004");
    fmt_double(buf, sizeof(buf), -2.5);
    assert_string_equal(buf, "-2.5");
    fmt_double(buf, sizeof(buf), INFINITY);
    assert_string_equal(buf, "+Inf");
    fmt_double(buf, sizeof(buf), -INFINITY);
    assert_string_equal(buf, "-Inf");
    fmt_double(buf, sizeof(buf), NAN);
    assert_string_equal(buf, "NaN");
}

/* ------------------------------------------------------------------------ */
/* Log dump                                                                 */
/* ------------------------------------------------------------------------ */

static void test_log_all(void **state)
{
    struct wt_metrics *m = *state;
    static const double b[] = {1};
    wt_metric_add(wt_metrics_get(m, WT_METRIC_COUNTER, "a_total", "A.", "x=\"1\"", NULL, 0), 5);
    wt_metric_set(wt_metrics_get(m, WT_METRIC_GAUGE, "g", "G.", NULL, NULL, 0), -3);
    wt_metric_observe(wt_metrics_get(m, WT_METRIC_HISTOGRAM, "h", "H.", NULL, b, 1), 0.5);

    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    wt_metrics_log_all(m);
    dup2(saved, STDERR_FILENO);
    close(saved);

    char out[4096] = "";
    rewind(tmp);
    size_t n = fread(out, 1, sizeof(out) - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    assert_non_null(strstr(out, " INFO  [metrics] a_total{x=\"1\"} 5\n"));
    assert_non_null(strstr(out, " INFO  [metrics] g -3\n"));
    assert_non_null(strstr(out, " INFO  [metrics] h_count 1\n"));
    assert_non_null(strstr(out, " INFO  [metrics] h_sum 0.5\n"));
}

/* ------------------------------------------------------------------------ */
/* Health                                                                   */
/* ------------------------------------------------------------------------ */

static void test_health_heartbeat(void **state)
{
    struct wt_metrics *m = *state;
    char why[256];

    assert_true(wt_metrics_healthy(m, why, sizeof(why)));
    assert_string_equal(why, "");

    /* Age the last beat past the limit. */
    atomic_store(&m->heartbeat_ms, mono_ms() - WT_HEALTH_STALE_MS - 100);
    assert_false(wt_metrics_healthy(m, why, sizeof(why)));
    assert_non_null(strstr(why, "no heartbeat"));
    assert_false(wt_metrics_healthy(m, NULL, 0));

    wt_metrics_heartbeat(m);
    assert_true(wt_metrics_healthy(m, why, sizeof(why)));
}

static void test_health_problems(void **state)
{
    struct wt_metrics *m = *state;
    char why[4096];

    wt_metrics_problem(m, "sink.file0", "write: No space left on device");
    wt_metrics_problem(m, "input.a", "gone\nline2");
    assert_false(wt_metrics_healthy(m, why, sizeof(why)));
    assert_string_equal(why, "sink.file0: write: No space left on device\ninput.a: gone line2\n");

    /* Setting again replaces the message. */
    wt_metrics_problem(m, "sink.file0", "fsync failed");
    assert_false(wt_metrics_healthy(m, why, sizeof(why)));
    assert_string_equal(why, "sink.file0: fsync failed\ninput.a: gone line2\n");

    wt_metrics_problem(m, "sink.file0", NULL);
    wt_metrics_problem(m, "never.set", NULL);
    assert_false(wt_metrics_healthy(m, why, sizeof(why)));
    assert_string_equal(why, "input.a: gone line2\n");
    wt_metrics_problem(m, "input.a", NULL);
    assert_true(wt_metrics_healthy(m, why, sizeof(why)));

    /* A small buffer is truncated, still NUL-terminated. */
    wt_metrics_problem(m, "x", "0123456789");
    assert_false(wt_metrics_healthy(m, why, 6));
    assert_string_equal(why, "x: 01");
    wt_metrics_problem(m, "x", NULL);
}

static void test_health_overflow(void **state)
{
    struct wt_metrics *m = *state;
    char who[32], why[8192];

    for (int i = 0; i <= WT_HEALTH_MAX_PROBLEMS; i++) {
        snprintf(who, sizeof(who), "input.%d", i);
        wt_metrics_problem(m, who, "failing");
    }
    assert_false(wt_metrics_healthy(m, why, sizeof(why)));
    assert_non_null(strstr(why, "input.0: failing\n"));
    assert_non_null(strstr(why, "more problems"));
    for (int i = 0; i < WT_HEALTH_MAX_PROBLEMS; i++) {
        snprintf(who, sizeof(who), "input.%d", i);
        wt_metrics_problem(m, who, NULL);
    }
    assert_true(wt_metrics_healthy(m, why, sizeof(why)));
}

/* ------------------------------------------------------------------------ */
/* HTTP                                                                     */
/* ------------------------------------------------------------------------ */

static void test_http(void **state)
{
    struct wt_metrics *m = *state;
    static struct http_resp r;
    char err[256] = "";

    wt_metric_add(wt_metrics_get(m, WT_METRIC_COUNTER, "wt_up_total", "Up.", NULL, NULL, 0), 9);
    assert_int_equal(wt_metrics_port(m), 0);
    assert_int_equal(wt_metrics_serve(m, "127.0.0.1:0", err, sizeof(err)), 0);
    int port = wt_metrics_port(m);
    assert_true(port > 0);

    assert_int_equal(http_fetch(port, GET("/metrics"), &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.raw, "Content-Type: text/plain; version=0.0.4"));
    /* The endpoint counts its own HTTP errors (none yet). */
    assert_string_equal(r.body, "# HELP wt_up_total Up.\n# TYPE wt_up_total counter\n"
                                "wt_up_total 9\n"
                                "# HELP wtexport_metrics_http_errors_total Errors of the metrics "
                                "endpoint's HTTP server (slow or broken clients, refused "
                                "connections).\n"
                                "# TYPE wtexport_metrics_http_errors_total counter\n"
                                "wtexport_metrics_http_errors_total 0\n");

    assert_int_equal(http_fetch(port, GET("/healthz"), &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");

    wt_metrics_problem(m, "sink.sse0", "connect: refused");
    assert_int_equal(http_fetch(port, GET("/healthz"), &r), 0);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "sink.sse0: connect: refused\n");
    wt_metrics_problem(m, "sink.sse0", NULL);

    assert_int_equal(http_fetch(port, GET("/nope"), &r), 0);
    assert_int_equal(r.status, 404);
    assert_int_equal(http_fetch(port, GET("/metrics/x"), &r), 0);
    assert_int_equal(r.status, 404);

    assert_int_equal(http_fetch(port,
                                "POST /metrics HTTP/1.1\r\nHost: localhost\r\n"
                                "Content-Length: 5\r\nConnection: close\r\n\r\nhello",
                                &r),
                     0);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.raw, "Allow: GET, HEAD"));

    assert_int_equal(http_fetch(port, "HEAD /metrics HTTP/1.0\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "");

    /* Keep-alive: two requests on one HTTP/1.1 connection. */
    assert_int_equal(http_fetch(port,
                                "GET /healthz HTTP/1.1\r\nHost: l\r\n\r\n"
                                "GET /healthz HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n",
                                &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "HTTP/1.1 200"));

    /* A second serve is refused; stop is idempotent. */
    assert_true(wt_metrics_serve(m, "127.0.0.1:0", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "already"));
    wt_metrics_stop(m);
    wt_metrics_stop(m);
    assert_int_equal(wt_metrics_port(m), 0);
    assert_int_not_equal(http_fetch(port, GET("/metrics"), &r), 0);
}

static void test_http_ipv6(void **state)
{
    struct wt_metrics *m = *state;
    static struct http_resp r;
    char err[256] = "";

    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool have_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (probe >= 0)
        close(probe);
    if (!have_v6)
        skip();

    assert_int_equal(wt_metrics_serve(m, "[::1]:0", err, sizeof(err)), 0);
    int port = wt_metrics_port(m);
    assert_true(port > 0);
    assert_int_equal(http_fetch_at(AF_INET6, &in6addr_loopback, port, GET("/healthz"), &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");
    /* Bound to ::1 only: not reachable over IPv4. */
    assert_int_not_equal(http_fetch(port, GET("/healthz"), &r), 0);
}

static void test_serve_errors(void **state)
{
    struct wt_metrics *m = *state;
    char err[256];
    static const char *const bad[] = {
        "",      "127.0.0.1", ":9464",         "host:",    "::1:9464", "[::1]9464",   "[::1",
        "a:b:c", "1.2.3.4:x", "1.2.3.4:65536", "h:123456", "[]:80",    "127.0.0.1:-1"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(wt_metrics_serve(m, bad[i], err, sizeof(err)), WT_ECONFIG);
        assert_non_null(strstr(err, "metrics.listen"));
    }
    assert_int_equal(wt_metrics_serve(m, NULL, err, sizeof(err)), WT_ECONFIG);
    assert_int_equal(wt_metrics_serve(m, "no-such-host.invalid:80", err, sizeof(err)), WT_ECONFIG);

    /* Port taken: a negative errno and the reason. */
    assert_int_equal(wt_metrics_serve(m, "127.0.0.1:0", err, sizeof(err)), 0);
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", wt_metrics_port(m));
    struct wt_metrics *m2 = wt_metrics_new();
    err[0] = '\0';
    int rc = wt_metrics_serve(m2, listen, err, sizeof(err));
    assert_true(rc < 0);
    assert_int_not_equal(rc, WT_ECONFIG);
    assert_non_null(strstr(err, "cannot listen"));
    assert_int_equal(wt_metrics_port(m2), 0);
    wt_metrics_free(m2);

    /* An address this host does not have. */
    struct wt_metrics *m3 = wt_metrics_new();
    rc = wt_metrics_serve(m3, "192.0.2.1:0", err, sizeof(err));
    assert_true(rc < 0);
    assert_non_null(strstr(err, "cannot listen"));
    wt_metrics_free(m3);
}

/* ------------------------------------------------------------------------ */
/* Concurrency: two writers, a renderer and a scraper                       */
/* ------------------------------------------------------------------------ */

#define WRITER_ITERS 50000

static atomic_int writers_done;

struct writer_arg {
    struct wt_metric *c, *g, *h;
    struct wt_metrics *m;
    int id;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    char labels[32];
    for (int i = 0; i < WRITER_ITERS; i++) {
        wt_metric_add(a->c, 1);
        wt_metric_set(a->g, i);
        wt_metric_observe(a->h, (double)(i % 4));
        if (i % 5000 == 0) {
            /* Series come and go while others render. */
            snprintf(labels, sizeof(labels), "w=\"%d\",i=\"%d\"", a->id, i);
            struct wt_metric *t =
                wt_metrics_get(a->m, WT_METRIC_COUNTER, "tmp_total", "T.", labels, NULL, 0);
            wt_metric_add(t, 1);
            wt_metrics_remove(a->m, t);
        }
    }
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    struct wt_metrics *m = *state;
    static const double b[] = {0.5, 1.5, 2.5};
    static struct http_resp r;
    char err[256];
    struct writer_arg args[2];
    pthread_t t[2];

    struct wt_metric *c = wt_metrics_get(m, WT_METRIC_COUNTER, "n_total", "N.", NULL, NULL, 0);
    struct wt_metric *g = wt_metrics_get(m, WT_METRIC_GAUGE, "g", "G.", NULL, NULL, 0);
    struct wt_metric *h = wt_metrics_get(m, WT_METRIC_HISTOGRAM, "h", "H.", NULL, b, 3);
    assert_int_equal(wt_metrics_serve(m, "127.0.0.1:0", err, sizeof(err)), 0);
    atomic_store(&writers_done, 0);
    for (int i = 0; i < 2; i++) {
        args[i] = (struct writer_arg){c, g, h, m, i};
        assert_int_equal(pthread_create(&t[i], NULL, writer, &args[i]), 0);
    }
    /* Render and scrape for as long as the writers run (at least 5 times). */
    for (int i = 0; i < 5 || atomic_load(&writers_done) < 2; i++) {
        char *out = render(m);
        assert_non_null(strstr(out, "# TYPE n_total counter\n"));
        free(out);
        assert_int_equal(http_fetch(wt_metrics_port(m), GET("/metrics"), &r), 0);
        assert_int_equal(r.status, 200);
        /* +Inf and _count always agree within one scrape. */
        unsigned long long inf = 0, cnt = 0;
        const char *p = strstr(r.body, "h_bucket{le=\"+Inf\"} ");
        const char *q = strstr(r.body, "h_count ");
        assert_non_null(p);
        assert_non_null(q);
        sscanf(p, "h_bucket{le=\"+Inf\"} %llu", &inf);
        sscanf(q, "h_count %llu", &cnt);
        assert_int_equal(inf, cnt);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);

    assert_int_equal(wt_metric_value(c), 2 * WRITER_ITERS);
    assert_int_equal(wt_metric_value(h), 2 * WRITER_ITERS);
    assert_int_equal(wt_metric_value(g), WRITER_ITERS - 1);
    char *out = render(m);
    char expect[512];
    /* i % 4 over 0..N-1: each of 0,1,2,3 N/4 times per writer; sum = 1.5 N per writer. */
    snprintf(expect, sizeof(expect),
             "h_bucket{le=\"0.5\"} %d\nh_bucket{le=\"1.5\"} %d\nh_bucket{le=\"2.5\"} %d\n"
             "h_bucket{le=\"+Inf\"} %d\nh_sum %d\nh_count %d\n",
             WRITER_ITERS / 2, WRITER_ITERS, 3 * WRITER_ITERS / 2, 2 * WRITER_ITERS,
             3 * WRITER_ITERS, 2 * WRITER_ITERS);
    assert_non_null(strstr(out, expect));
    assert_null(strstr(out, "tmp_total{"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_render_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_same_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kind_mismatch_and_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test(test_label_escape),
        cmocka_unit_test(test_number_format),
        cmocka_unit_test_setup_teardown(test_log_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_heartbeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_ipv6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_updates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
