/*
 * sse_server.c - wt-sse-server: a local server implementing wtexport's SSE
 * event-ingest contract (docs/sse-protocol.md) for the tests, the demo and
 * the benchmarks, with fault injection on request.
 *
 * Endpoints (under --base-path, default none):
 *   POST   /v1/devices        register with the token -> 201 {device_id, credential}
 *   DELETE /v1/devices/{id}   deregister (Bearer credential) -> 204
 *   POST   /v1/events         upload one batch (Bearer credential, Idempotency-Key)
 * and, with --ctia-client-id (ctia_server.c), never under the base path:
 *   POST   /iroh/oauth2/token  OAuth2 client credentials -> access token
 *   POST   /ctia/bundle/import CTIA bundle import of sightings (Bearer token)
 *   POST   /ctia/expire-tokens every access token expires now (test control)
 *   POST   /ctia/outage?ms=N   every import is answered 503 for N ms (test control)
 * and, never under the base path, GET /stats (JSON counters) and GET /healthz.
 *
 * Threads. libmicrohttpd runs one thread per connection
 * (MHD_USE_THREAD_PER_CONNECTION), so a handler may sleep (--rate,
 * --latency, hang:N) or hang without holding up other connections. All
 * shared state - devices, the Idempotency-Key set, counters, the script
 * position, the output files - is behind srv->lock; nothing slow (sleeping,
 * decompression, validation) runs under it, except the events-file append,
 * which must be atomic with the key's "accepted" mark.
 *
 * Faults (--script) are consumed one per POST /v1/events or
 * /ctia/bundle/import whose body was received, in arrival order of the complete requests:
 *   NNN[:S]  answer NNN (with Retry-After: S) without looking at the batch;
 *            a 2xx item means "process normally"
 *   reset    read the request, then abort the connection (RST): no response
 *   close    read the request, then close with a FIN: no response
 *   cut      process normally (the batch is stored), then send the status
 *            line, headers and half the body, and close: the response is lost
 *   hang     never answer: wait until the client closes the connection
 *   hang:S   wait S seconds, then process and answer normally
 *
 * This file holds main, the setup, the listening socket, the libmicrohttpd
 * callbacks and the routing; the handlers are in sse_respond.c,
 * sse_events.c, sse_faults.c and sse_devices.c (sse_http.h).
 */
#include "sse_http.h"
#include "wt_common.h"

#include <microhttpd.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEVICE_BODY_MAX ((size_t)64 << 10) /* a registration body */
#define CONN_LIMIT      512u               /* concurrent connections (threads) */
#define IDLE_TIMEOUT_S  300u               /* an idle keep-alive connection is closed after it */
#define TOKEN_FILE_MAX  ((size_t)64 << 10) /* --token-file */
#define TLS_FILE_MAX    ((size_t)1 << 20)  /* --tls-cert, --tls-key */

_Static_assert(DEVICE_BODY_MAX < WT_SSESRV_DEFAULT_MAX_BODY, "a registration body is small");

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

void wt_ssesrv_say(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, WT_SSESRV_PROG ": %s\n", buf);
}

/* Copy s into dst[cap], printable ASCII only (others become '?'). */
static void copy_printable(char *dst, size_t cap, const char *s)
{
    size_t i = 0;

    for (; s != NULL && s[i] != '\0' && i + 1 < cap; i++)
        dst[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
    dst[i] = '\0';
}

/*
 * A whole file of at most max bytes, NUL-terminated (wt_read_file; the
 * caller frees). 0 or -errno (-EFBIG: larger than max).
 */
int wt_ssesrv_read_text(const char *path, size_t max, char **out, size_t *len)
{
    size_t n;
    int rc = wt_read_file(path, max, out, &n);

    if (rc == 0) {
        (*out)[n] = '\0'; /* wt_read_file leaves one spare byte */
        if (len != NULL)
            *len = n;
    }
    return rc;
}

/* Write text to path atomically (wt_write_atomic: temp file, fsync, rename; mode 0600). */
int wt_ssesrv_write_text(const char *path, const char *text)
{
    char d[PATH_MAX], b[PATH_MAX];

    snprintf(d, sizeof(d), "%s", path);
    snprintf(b, sizeof(b), "%s", path);
    return wt_write_atomic(dirname(d), basename(b), text, strlen(text));
}

/* ------------------------------------------------------------------------ */
/* Routing                                                                  */
/* ------------------------------------------------------------------------ */

/* Route method + url; sets r->allow for R_BAD_METHOD. */
static enum route route_of(struct server *s, struct req *r, const char *method, const char *url)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    if (strcmp(url, "/stats") == 0 || strcmp(url, "/healthz") == 0) {
        r->allow = "GET, HEAD";
        return !get ? R_BAD_METHOD : url[1] == 's' ? R_STATS : R_HEALTHZ;
    }
    if (s->ctia != NULL &&
        (strcmp(url, "/iroh/oauth2/token") == 0 || strcmp(url, "/ctia/bundle/import") == 0 ||
         strcmp(url, "/ctia/expire-tokens") == 0 || strcmp(url, "/ctia/outage") == 0)) {
        r->allow = "POST";
        if (strcmp(method, "POST") != 0)
            return R_BAD_METHOD;
        return url[1] == 'i'   ? R_CTIA_TOKEN
               : url[6] == 'b' ? R_CTIA_IMPORT
               : url[6] == 'e' ? R_CTIA_EXPIRE
                               : R_CTIA_OUTAGE;
    }
    if (strncmp(url, s->o.base_path, s->o.base_len) != 0)
        return R_NOT_FOUND;
    const char *p = url + s->o.base_len;
    if (strcmp(p, "/v1/devices") == 0) {
        r->allow = "POST";
        return strcmp(method, "POST") == 0 ? R_REGISTER : R_BAD_METHOD;
    }
    if (strncmp(p, "/v1/devices/", 12) == 0 && p[12] != '\0' && strchr(p + 12, '/') == NULL) {
        r->allow = "DELETE";
        return strcmp(method, "DELETE") == 0 ? R_DEREGISTER : R_BAD_METHOD;
    }
    if (strcmp(p, "/v1/events") == 0) {
        r->allow = "POST";
        return strcmp(method, "POST") == 0 ? R_EVENTS : R_BAD_METHOD;
    }
    return R_NOT_FOUND;
}

/* ------------------------------------------------------------------------ */
/* libmicrohttpd callbacks                                                  */
/* ------------------------------------------------------------------------ */

static struct req *req_new(struct server *s, struct MHD_Connection *c, const char *url,
                           const char *method)
{
    struct req *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->t0 = wt_mono_ns() / 1000000u;
    r->arrival = (uint64_t)wt_wall_ms();
    copy_printable(r->method, sizeof(r->method), method);
    copy_printable(r->path, sizeof(r->path), url);
    copy_printable(r->key, sizeof(r->key), wt_ssesrv_header(c, "Idempotency-Key"));
    r->route = route_of(s, r, method, url);
    r->limit = r->route == R_EVENTS || r->route == R_CTIA_IMPORT    ? s->o.max_body
               : r->route == R_REGISTER || r->route == R_CTIA_TOKEN ? DEVICE_BODY_MAX
                                                                    : 0;
    /* Reserve a declared body up front (bounded by the route's limit). */
    const char *cl = wt_ssesrv_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long want = cl != NULL ? strtoull(cl, NULL, 10) : 0;
    if (want > 0 && want <= r->limit) {
        r->body = malloc((size_t)want + 1);
        r->cap = r->body != NULL ? (size_t)want : 0;
    }
    pthread_mutex_lock(&s->lock);
    s->st.requests++;
    if (r->route == R_EVENTS) {
        s->st.events_requests++;
        r->in_flight = true;
        if (++s->st.in_flight > s->st.max_concurrent)
            s->st.max_concurrent = s->st.in_flight;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

/* Keep upload bytes up to the route's limit; count (and drop) the rest. */
static void req_absorb(struct req *r, const char *data, size_t n)
{
    r->received += n;
    if (r->over)
        return;
    if (r->len + n > r->limit) {
        r->over = true;
        free(r->body);
        r->body = NULL;
        r->len = r->cap = 0;
        return;
    }
    if (r->len + n > r->cap) {
        size_t ncap = r->cap == 0 ? 16384 : r->cap;
        while (ncap < r->len + n)
            ncap *= 2;
        if (ncap > r->limit)
            ncap = r->limit;
        char *nb = realloc(r->body, ncap + 1);
        if (nb == NULL) {
            r->over = true; /* answered 413: the body could not be kept */
            return;
        }
        r->body = nb;
        r->cap = ncap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0'; /* cap + 1 bytes: cJSON may peek past the end */
}

/*
 * A declared body above --max-body with "Expect: 100-continue" is refused
 * before it is sent (the client gets 413 instead of "100 Continue"). Without
 * Expect the body is read and dropped, then refused, so the client never sees
 * a reset while it is still sending.
 */
static bool early_too_large(struct server *s, struct MHD_Connection *c, const struct req *r)
{
    const char *cl = wt_ssesrv_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *ex = wt_ssesrv_header(c, MHD_HTTP_HEADER_EXPECT);

    return r->route == R_EVENTS && cl != NULL && ex != NULL &&
           strcasecmp(ex, "100-continue") == 0 && strtoull(cl, NULL, 10) > s->o.max_body;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct server *s = cls;
    struct req *r = *req_cls;
    char why[160];

    (void)version;
    if (r == NULL) {
        r = req_new(s, c, url, method);
        if (r == NULL)
            return MHD_NO;
        *req_cls = r;
        if (early_too_large(s, c, r)) {
            r->received =
                (size_t)strtoull(wt_ssesrv_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH), NULL, 10);
            snprintf(why, sizeof(why), "declared body of %zu bytes exceeds --max-body %zu",
                     r->received, s->o.max_body);
            return wt_ssesrv_respond(
                s, c, r,
                (struct answer){
                    413,
                    wt_ssesrv_error_json("too_large", why, "max_body", (long long)s->o.max_body),
                    -1, NULL});
        }
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (!r->answered)
            req_absorb(r, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->answered)
        return MHD_YES;
    switch (r->route) {
    case R_EVENTS:
        return wt_ssesrv_serve_events(s, c, r);
    case R_CTIA_IMPORT:
        return wt_ssesrv_serve_events(s, c, r);
    case R_CTIA_TOKEN: {
        char *j = NULL;
        int st = wt_ctiasrv_token(s->ctia, wt_ssesrv_header(c, MHD_HTTP_HEADER_AUTHORIZATION),
                                  r->body, r->len, &j);
        return wt_ssesrv_respond(s, c, r, (struct answer){st, j, -1, NULL});
    }
    case R_CTIA_OUTAGE: {
        const char *ms = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ms");
        wt_ctiasrv_outage(s->ctia, ms != NULL ? strtoul(ms, NULL, 10) : 0);
        return wt_ssesrv_respond(s, c, r,
                                 (struct answer){200, strdup("{\"outage\":true}"), -1, NULL});
    }
    case R_CTIA_EXPIRE:
        wt_ctiasrv_expire(s->ctia);
        return wt_ssesrv_respond(s, c, r,
                                 (struct answer){200, strdup("{\"expired\":true}"), -1, NULL});
    case R_REGISTER:
        return wt_ssesrv_respond(s, c, r, wt_ssesrv_register(s, r));
    case R_DEREGISTER:
        return wt_ssesrv_respond(s, c, r, wt_ssesrv_deregister(s, c, r));
    case R_STATS: {
        char *j = wt_ssesrv_stats_json(s);
        return wt_ssesrv_respond(s, c, r, (struct answer){j != NULL ? 200 : 500, j, -1, NULL});
    }
    case R_HEALTHZ:
        return wt_ssesrv_respond(s, c, r,
                                 (struct answer){200, strdup("{\"status\":\"ok\"}"), -1, NULL});
    case R_BAD_METHOD:
        return wt_ssesrv_respond(
            s, c, r, wt_ssesrv_fail_with(405, "method_not_allowed", "method not allowed"));
    case R_NOT_FOUND:
        break;
    }
    return wt_ssesrv_respond(s, c, r, wt_ssesrv_fail_with(404, "not_found", "no such endpoint"));
}

/* MHD_OPTION_NOTIFY_COMPLETED: log requests that ended unanswered, free. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct req *r = *req_cls;

    (void)c;
    (void)toe;
    if (r == NULL)
        return;
    wt_ssesrv_note(s, r, -1, O_ABORTED);
    if (r->in_flight) {
        pthread_mutex_lock(&s->lock);
        s->st.in_flight--;
        pthread_mutex_unlock(&s->lock);
    }
    free(r->body);
    free(r);
    *req_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];

    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\r\n")] = '\0';
    /* The faults close connections on purpose: MHD's notes on that are noise. */
    if (strstr(buf, "Application reported internal error") != NULL ||
        strstr(buf, "application reported error generating data") != NULL)
        return;
    wt_ssesrv_say("mhd: %s", buf);
}

/* ------------------------------------------------------------------------ */
/* Setup, listening, main                                                   */
/* ------------------------------------------------------------------------ */

static struct MHD_Daemon *start_on(struct server *s, const struct addrinfo *ai)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;

    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (s->tls_cert != NULL)
        flags |= MHD_USE_TLS;
    /* The TLS options only with MHD_USE_TLS, or MHD complains about them. */
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    /* The logger goes first, or MHD logs its earlier messages itself. */
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
        MHD_OPTION_ARRAY, s->tls_cert != NULL ? tls : tls + 2, MHD_OPTION_END);
}

static int start_server(struct server *s)
{
    char host[256], port[8];
    uint16_t portnum;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;

    if (wt_hostport_parse(s->o.listen, host, sizeof(host), &portnum) != 0) {
        fprintf(stderr, WT_SSESRV_PROG ": --listen %s: expected HOST:PORT or [V6]:PORT\n",
                s->o.listen);
        return 2;
    }
    snprintf(port, sizeof(port), "%u", portnum);
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        wt_ssesrv_say("--listen %s: %s", s->o.listen, gai_strerror(gai));
        return 1;
    }
    for (const struct addrinfo *ai = res; ai != NULL && s->httpd == NULL; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
            s->httpd = start_on(s, ai);
    }
    freeaddrinfo(res);
    if (s->httpd == NULL) {
        wt_ssesrv_say("cannot listen on %s", s->o.listen);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->httpd, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info != NULL ? info->port : (unsigned)atoi(port);
    if (s->o.port_file != NULL) {
        char text[16];
        snprintf(text, sizeof(text), "%u\n", bound);
        int rc = wt_ssesrv_write_text(s->o.port_file, text);
        if (rc != 0) {
            wt_ssesrv_say("cannot write %s: %s", s->o.port_file, strerror(-rc));
            return 1;
        }
    }
    bool v6 = strchr(host, ':') != NULL;
    wt_ssesrv_say("listening on %s://%s%s%s:%u%.*s", s->tls_cert != NULL ? "https" : "http",
                  v6 ? "[" : "", host, v6 ? "]" : "", bound, (int)s->o.base_len, s->o.base_path);
    return 0;
}

/* Read the token, TLS files, open outputs and state. 0, or an exit status. */
static int setup(struct server *s)
{
    if (s->o.token_file != NULL) {
        int rc = wt_ssesrv_read_text(s->o.token_file, TOKEN_FILE_MAX, &s->token, NULL);
        if (rc != 0) {
            wt_ssesrv_say("cannot read %s: %s", s->o.token_file, strerror(-rc));
            return 1;
        }
        s->token[strcspn(s->token, "\r\n")] = '\0';
    } else if (s->o.token != NULL) {
        s->token = strdup(s->o.token);
    }
    if (s->token != NULL && s->token[0] == '\0') {
        wt_ssesrv_say("the registration token is empty");
        return 2;
    }
    if (s->o.tls_cert != NULL) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
            wt_ssesrv_say("libmicrohttpd was built without TLS");
            return 1;
        }
        int rc = wt_ssesrv_read_text(s->o.tls_cert, TLS_FILE_MAX, &s->tls_cert, NULL);
        if (rc == 0)
            rc = wt_ssesrv_read_text(s->o.tls_key, TLS_FILE_MAX, &s->tls_key, NULL);
        if (rc != 0) {
            wt_ssesrv_say("cannot read the TLS certificate or key: %s", strerror(-rc));
            return 1;
        }
    }
    if (s->o.events_out != NULL) {
        s->events_fd = open(s->o.events_out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (s->events_fd < 0) {
            wt_ssesrv_say("cannot open %s: %s", s->o.events_out, strerror(errno));
            return 1;
        }
    }
    if (s->o.log != NULL) {
        s->logf = fopen(s->o.log, "a");
        if (s->logf == NULL) {
            wt_ssesrv_say("cannot open %s: %s", s->o.log, strerror(errno));
            return 1;
        }
    } else if (!s->o.quiet) {
        s->logf = stderr;
    }
    if (s->o.state != NULL && wt_ssesrv_state_load(s) != 0)
        return 1;
    if (s->o.ctia_client_id != NULL) {
        s->ctia = wt_ctiasrv_new(s->o.ctia_client_id, s->o.ctia_secret_file, s->o.ctia_out,
                                 s->o.ctia_token_ttl);
        if (s->ctia == NULL)
            return 1;
    }
    return 0;
}

static void teardown(struct server *s)
{
    if (s->httpd != NULL)
        MHD_stop_daemon(s->httpd); /* joins every connection thread */
    if (s->events_fd >= 0)
        close(s->events_fd);
    if (s->keys_fd >= 0)
        close(s->keys_fd);
    if (s->logf != NULL && s->logf != stderr)
        fclose(s->logf);
    wt_ssesrv_keyset_close(&s->keys);
    wt_ctiasrv_free(s->ctia);
    wt_ssesrv_opts_close(&s->o);
    free(s->dev);
    free(s->token);
    free(s->tls_cert);
    free(s->tls_key);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->lock);
}

int main(int argc, char **argv)
{
    static struct server srv;
    struct server *s = &srv;
    pthread_condattr_t ca;
    sigset_t set;
    int sig = 0;

    s->events_fd = s->keys_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);

    int rc = wt_ssesrv_opts_parse(&s->o, argc, argv);
    if (rc == 0) {
        wt_ssesrv_keyset_init(&s->keys, s->o.max_keys);
        rc = setup(s);
    }
    if (rc != 0) {
        teardown(s);
        return rc < 0 ? 0 : rc;
    }
    /* Signals: every thread inherits the blocked set; main waits for them. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    rc = start_server(s);
    if (rc == 0) {
        while (sigwait(&set, &sig) != 0)
            ;
        wt_ssesrv_say("stopping on %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->lock);
    }
    teardown(s);
    if (rc == 0)
        wt_ssesrv_say("stopped: %llu request(s), %llu batch(es) and %llu event(s) accepted",
                      (unsigned long long)s->st.requests,
                      (unsigned long long)s->st.accepted_batches,
                      (unsigned long long)s->st.accepted_events);
    return rc;
}
