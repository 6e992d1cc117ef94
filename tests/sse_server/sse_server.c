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
 */
#include "sse_server.h"
#include "wt_common.h"

#include <microhttpd.h>
#include <cjson/cJSON.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CRED_MAX        1024u              /* longest Bearer credential accepted */
#define DEVICE_BODY_MAX ((size_t)64 << 10) /* a registration body */
#define MAX_DEVICES     10000u
#define CONN_LIMIT      512u /* concurrent connections (threads) */
#define IDLE_TIMEOUT_S  300u /* an idle keep-alive connection is closed after it */
#define HANG_POLL_MS    100  /* how often a hung request checks its client */
#define STATUS_MAX      600
#define TOKEN_FILE_MAX  ((size_t)64 << 10) /* --token-file */
#define TLS_FILE_MAX    ((size_t)1 << 20)  /* --tls-cert, --tls-key */
#define STATE_FILE_MAX  ((size_t)16 << 20) /* --state: MAX_DEVICES devices and more */

_Static_assert(DEVICE_BODY_MAX < WT_SSESRV_DEFAULT_MAX_BODY, "a registration body is small");

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

enum route {
    R_REGISTER,
    R_DEREGISTER,
    R_EVENTS,
    R_CTIA_TOKEN,
    R_CTIA_IMPORT,
    R_CTIA_EXPIRE,
    R_CTIA_OUTAGE,
    R_STATS,
    R_HEALTHZ,
    R_NOT_FOUND,
    R_BAD_METHOD,
};

struct device {
    char id[24];    /* "dev-" + 16 hex */
    char cred[65];  /* 64 hex */
    char name[256]; /* as registered */
    char version[64];
};

/* Outcomes other than an HTTP status, counted in by_status. */
enum outcome { O_RESET, O_CLOSE, O_CUT, O_HANG, O_ABORTED, O_COUNT };
static const char *const outcome_name[O_COUNT] = {"reset", "close", "cut", "hang", "aborted"};

struct stats {
    uint64_t requests;        /* every HTTP request */
    uint64_t events_requests; /* POST /v1/events */
    uint64_t accepted_batches, duplicate_batches, accepted_events, faults;
    uint64_t rejected;                  /* unscripted 400 and 413 answers to POST /v1/events */
    uint64_t in_flight, max_concurrent; /* of POST /v1/events */
    uint64_t registered, deregistered, register_failed;
    uint64_t by_status[STATUS_MAX]; /* of POST /v1/events */
    uint64_t by_outcome[O_COUNT];
    uint64_t keys_overflow; /* keys not remembered because the set was full */
};

struct server {
    struct wt_ssesrv_opts o;
    char *token; /* registration token, NULL: registration refused */
    char *tls_cert, *tls_key;
    struct MHD_Daemon *httpd;
    FILE *logf; /* request log, NULL with --quiet */

    pthread_mutex_t lock; /* everything below */
    pthread_cond_t cv;    /* signalled on stop; naps wait on it */
    bool stopping;
    size_t script_pos; /* next item of o.script */
    struct wt_ssesrv_keyset keys;
    struct device *dev;
    size_t ndev;
    int events_fd, keys_fd; /* -1 when not configured */
    bool auth_failed_once;
    struct stats st;
    struct wt_ctiasrv *ctia; /* NULL: no CTIA endpoints */
};

/* One HTTP request (MHD's *req_cls). */
struct req {
    enum route route;
    const char *allow; /* R_BAD_METHOD: the Allow header */
    char method[16];
    char path[256];
    char key[WT_SSESRV_KEY_MAX + 1]; /* Idempotency-Key for the log, printable */
    uint64_t t0;                     /* CLOCK_MONOTONIC ms at arrival */
    uint64_t arrival;                /* epoch ms at arrival */
    char *body;                      /* received body (+1 byte for a NUL) */
    size_t len, cap, limit;
    size_t received; /* body bytes received, kept or not */
    bool over;       /* received > limit: the body was dropped */
    size_t events;
    size_t step_no; /* script step applied (1-based), 0: none */
    bool scripted;  /* the answer is a scripted status */
    bool in_flight, answered, logged;
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
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
static int read_text(const char *path, size_t max, char **out, size_t *len)
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
static int write_text(const char *path, const char *text)
{
    char d[PATH_MAX], b[PATH_MAX];

    snprintf(d, sizeof(d), "%s", path);
    snprintf(b, sizeof(b), "%s", path);
    return wt_write_atomic(dirname(d), basename(b), text, strlen(text));
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    size_t got = 0;

    while (got < nbytes) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    for (size_t i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
}

/* ------------------------------------------------------------------------ */
/* Server state: naps, script, devices, the request log                     */
/* ------------------------------------------------------------------------ */

/* Sleep ms, or less when the server stops. @returns false when stopping. */
static bool nap(struct server *s, uint64_t ms)
{
    struct timespec dl;

    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += (time_t)(ms / 1000u);
    dl.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && pthread_cond_timedwait(&s->cv, &s->lock, &dl) != ETIMEDOUT)
        ;
    bool go_on = !s->stopping;
    pthread_mutex_unlock(&s->lock);
    return go_on;
}

static bool stopping(struct server *s)
{
    pthread_mutex_lock(&s->lock);
    bool st = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* The next script step (WT_SSESRV_PASS once the script is exhausted). */
static struct wt_ssesrv_step script_next(struct server *s, size_t *step_no)
{
    struct wt_ssesrv_step st = {WT_SSESRV_PASS, 0, -1};

    pthread_mutex_lock(&s->lock);
    *step_no = 0;
    if (s->script_pos < s->o.nscript) {
        st = s->o.script[s->script_pos++];
        *step_no = s->script_pos;
    }
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* Under lock. NULL when no device has this credential. */
static const struct device *device_by_cred(const struct server *s, const char *cred)
{
    for (size_t i = 0; i < s->ndev; i++) {
        if (strcmp(s->dev[i].cred, cred) == 0)
            return &s->dev[i];
    }
    return NULL;
}

/* Under lock. The index of device id, or -1. */
static long device_by_id(const struct server *s, const char *id)
{
    for (size_t i = 0; i < s->ndev; i++) {
        if (strcmp(s->dev[i].id, id) == 0)
            return (long)i;
    }
    return -1;
}

/* Under lock: write --state (devices). 0 or -errno; no-op without --state. */
static int state_save(struct server *s)
{
    if (s->o.state == NULL)
        return 0;
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "devices");
    for (size_t i = 0; arr != NULL && i < s->ndev; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "device_id", s->dev[i].id);
        cJSON_AddStringToObject(d, "credential", s->dev[i].cred);
        cJSON_AddStringToObject(d, "name", s->dev[i].name);
        cJSON_AddStringToObject(d, "version", s->dev[i].version);
        cJSON_AddItemToArray(arr, d);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL)
        return -ENOMEM;
    int rc = write_text(s->o.state, text);
    free(text);
    if (rc != 0)
        say("cannot write state %s: %s", s->o.state, strerror(-rc));
    return rc;
}

/* Load --state (devices) and STATE.keys (accepted keys), if they exist. */
static int state_load(struct server *s)
{
    char path[PATH_MAX];
    size_t len;
    char *text = NULL;
    int rc = read_text(s->o.state, STATE_FILE_MAX, &text, &len);

    if (rc != 0 && rc != -ENOENT) {
        say("cannot read state %s: %s", s->o.state, strerror(-rc));
        return -1;
    }
    if (text != NULL) {
        cJSON *root = cJSON_ParseWithLength(text, len);
        free(text);
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "devices");
        if (!cJSON_IsArray(arr)) {
            say("state %s: no \"devices\" array", s->o.state);
            cJSON_Delete(root);
            return -1;
        }
        size_t n = (size_t)cJSON_GetArraySize(arr);
        s->dev = calloc(n > 0 ? n : 1, sizeof(*s->dev));
        const cJSON *d;
        cJSON_ArrayForEach(d, arr)
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "device_id"));
            const char *cr =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "credential"));
            const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "name"));
            const char *vs = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "version"));
            if (s->dev == NULL || id == NULL || cr == NULL || s->ndev >= MAX_DEVICES)
                continue;
            struct device *dv = &s->dev[s->ndev++];
            snprintf(dv->id, sizeof(dv->id), "%s", id);
            snprintf(dv->cred, sizeof(dv->cred), "%s", cr);
            snprintf(dv->name, sizeof(dv->name), "%s", nm != NULL ? nm : "");
            snprintf(dv->version, sizeof(dv->version), "%s", vs != NULL ? vs : "");
        }
        cJSON_Delete(root);
    }
    snprintf(path, sizeof(path), "%s.keys", s->o.state);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        char line[WT_SSESRV_KEY_MAX + 2];
        while (fgets(line, sizeof(line), f) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0] != '\0' &&
                wt_ssesrv_keyset_mark(&s->keys, line, WT_SSESRV_KEY_ACCEPTED) == WT_SSESRV_EFULL)
                s->st.keys_overflow++;
        }
        fclose(f);
    }
    s->keys_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (s->keys_fd < 0) {
        say("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    say("state %s: %zu device(s), %zu accepted key(s)", s->o.state, s->ndev, s->keys.accepted);
    return 0;
}

/* One line of the request log: time, method, path, status, key, bytes, events, ms. */
static void log_request(struct server *s, const struct req *r, const char *status)
{
    char now[25], arr[25];

    if (s->logf == NULL)
        return;
    wt_iso8601_ms(wt_wall_ms(), now);
    wt_iso8601_ms((int64_t)r->arrival, arr);
    fprintf(s->logf, "%s %s %s %s key=%s bytes=%zu events=%zu ms=%llu arrived=%s at=%llu\n", now,
            r->method, r->path, status, r->key[0] != '\0' ? r->key : "-", r->received, r->events,
            (unsigned long long)(wt_mono_ns() / 1000000u - r->t0), arr,
            (unsigned long long)r->arrival);
    fflush(s->logf);
}

/* One line per fault injected: FAULT what, the request, the script step. */
__attribute__((format(printf, 3, 4))) static void log_fault(struct server *s, const struct req *r,
                                                            const char *fmt, ...)
{
    char now[25], what[128];
    va_list ap;

    pthread_mutex_lock(&s->lock);
    s->st.faults++;
    size_t n = s->o.nscript;
    pthread_mutex_unlock(&s->lock);
    if (s->logf == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    wt_iso8601_ms(wt_wall_ms(), now);
    fprintf(s->logf, "%s FAULT %s %s %s key=%s step=%zu/%zu\n", now, what, r->method, r->path,
            r->key[0] != '\0' ? r->key : "-", r->step_no, n);
    fflush(s->logf);
}

/* Count and log the end of a request: an HTTP status, or an outcome when status < 0. */
static void note(struct server *s, struct req *r, int status, enum outcome o)
{
    char label[16];

    if (r->logged)
        return;
    r->logged = true;
    if (status >= 0)
        snprintf(label, sizeof(label), "%d", status);
    else
        snprintf(label, sizeof(label), "%s", outcome_name[o]);
    if (r->route == R_EVENTS || r->route == R_CTIA_IMPORT) {
        pthread_mutex_lock(&s->lock);
        if (status >= 0 && status < STATUS_MAX)
            s->st.by_status[status]++;
        if ((status == 400 || status == 413) && !r->scripted)
            s->st.rejected++;
        else if (status < 0)
            s->st.by_outcome[o]++;
        pthread_mutex_unlock(&s->lock);
    }
    log_request(s, r, label);
}

/* ------------------------------------------------------------------------ */
/* Responses                                                                */
/* ------------------------------------------------------------------------ */

/* An HTTP response to finish with. json: malloc'd or NULL. */
struct answer {
    int status;
    char *json;
    long retry_after; /* seconds, -1: none */
    const char *location;
};

/* {"error": code, "reason": reason} plus an optional integer member. */
static char *error_json(const char *code, const char *reason, const char *extra, long long value)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "reason", reason);
    if (extra != NULL)
        cJSON_AddNumberToObject(o, extra, (double)value);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static struct answer fail_with(int status, const char *code, const char *reason)
{
    return (struct answer){status, error_json(code, reason, NULL, 0), -1, NULL};
}

static void add_retry_after(struct server *s, struct MHD_Response *resp, long secs)
{
    char v[64];

    if (s->o.retry_after_date) {
        /* An HTTP-date has 1 s resolution: round up so the wait is never shorter. */
        time_t t = (time_t)((wt_wall_ms() + 999) / 1000) + secs;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(v, sizeof(v), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    } else {
        snprintf(v, sizeof(v), "%ld", secs);
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
}

static void add_headers(struct server *s, const struct req *r, struct MHD_Response *resp,
                        const struct answer *a)
{
    if (a->json != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (a->retry_after >= 0)
        add_retry_after(s, resp, a->retry_after);
    if (a->status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (a->status == MHD_HTTP_METHOD_NOT_ALLOWED && r->allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (a->location != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, a->location);
}

/* Queue a (takes a->json), count and log it. */
static enum MHD_Result respond(struct server *s, struct MHD_Connection *c, struct req *r,
                               struct answer a)
{
    size_t len = a.json != NULL ? strlen(a.json) : 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, a.json, MHD_RESPMEM_MUST_FREE);

    if (resp == NULL) {
        free(a.json);
        return MHD_NO;
    }
    add_headers(s, r, resp, &a);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)a.status, resp);
    MHD_destroy_response(resp);
    r->answered = true;
    note(s, r, a.status, 0);
    return ret;
}

/* The "cut" fault: a response whose body stops half-way, then the connection closes. */
struct cut {
    char *json;
    size_t half;
};

static ssize_t cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    const struct cut *k = cls;

    if (pos >= k->half)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = k->half - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, k->json + pos, n);
    return (ssize_t)n;
}

static void cut_free(void *cls)
{
    struct cut *k = cls;

    free(k->json);
    free(k);
}

static enum MHD_Result respond_cut(struct server *s, struct MHD_Connection *c, struct req *r,
                                   struct answer a)
{
    struct cut *k = malloc(sizeof(*k));

    if (a.json == NULL)
        a.json = strdup("{}");
    if (k == NULL || a.json == NULL) {
        free(k);
        free(a.json);
        return MHD_NO;
    }
    size_t len = strlen(a.json);
    k->json = a.json;
    k->half = len / 2;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(len, 1024, cut_reader, k, cut_free);
    if (resp == NULL) {
        cut_free(k);
        return MHD_NO;
    }
    a.json = k->json; /* for the Content-Type header only */
    add_headers(s, r, resp, &a);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)a.status, resp);
    MHD_destroy_response(resp);
    r->answered = true;
    log_fault(s, r, "cut (status %d, %zu of %zu body bytes sent)", a.status, k->half, len);
    note(s, r, -1, O_CUT);
    return ret;
}

/* The connection's socket, or -1. */
static int conn_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

    return ci != NULL ? ci->connect_fd : -1;
}

/*
 * The "reset" and "close" faults: no response at all. Returning MHD_NO makes
 * libmicrohttpd shut the connection down (a FIN: curl says "Empty reply from
 * server", exit 52) and close it. For "reset" the connection is aborted with
 * an RST first (curl: "Connection reset by peer", exit 56).
 */
static enum MHD_Result drop(struct server *s, struct MHD_Connection *c, struct req *r, bool rst)
{
    int fd = conn_fd(c);

    if (rst && fd >= 0) {
        /*
         * connect(2) to AF_UNSPEC dissolves the association: Linux aborts an
         * established TCP connection with an RST right away (tcp_disconnect).
         * MHD's own shutdown and close of the socket then do nothing more.
         */
        struct sockaddr sa = {.sa_family = AF_UNSPEC};
        connect(fd, &sa, sizeof(sa));
    }
    log_fault(s, r, "%s", rst ? "reset" : "close");
    note(s, r, -1, rst ? O_RESET : O_CLOSE);
    return MHD_NO;
}

/*
 * The "hang" fault: answer nothing until the client closes the connection
 * (poll for POLLRDHUP; the handler runs on the connection's own thread, so
 * nothing else waits) or the server stops. Then close it.
 */
static enum MHD_Result hang(struct server *s, struct MHD_Connection *c, struct req *r)
{
    int fd = conn_fd(c);

    log_fault(s, r, "hang");
    while (!stopping(s)) {
        if (fd < 0) {
            nap(s, HANG_POLL_MS);
            continue;
        }
        struct pollfd p = {.fd = fd, .events = POLLRDHUP};
        if (poll(&p, 1, HANG_POLL_MS) > 0 &&
            (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0)
            break;
    }
    note(s, r, -1, O_HANG);
    return MHD_NO;
}

/* ------------------------------------------------------------------------ */
/* Request headers                                                          */
/* ------------------------------------------------------------------------ */

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* The credential of "Authorization: Bearer <credential>", copied; false if none. */
static bool bearer(struct MHD_Connection *c, char *out, size_t cap)
{
    const char *v = header(c, MHD_HTTP_HEADER_AUTHORIZATION);

    if (v == NULL || strncasecmp(v, "Bearer ", 7) != 0)
        return false;
    v += 7;
    v += strspn(v, " \t");
    size_t n = strcspn(v, " \t");
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

/* Is the media type of header value v (before any ';') equal to want? */
static bool media_is(const char *v, const char *want)
{
    v += strspn(v, " \t");
    size_t n = strcspn(v, ";");
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return n == strlen(want) && strncasecmp(v, want, n) == 0;
}

/* ------------------------------------------------------------------------ */
/* POST /v1/events                                                          */
/* ------------------------------------------------------------------------ */

/* Check the credential (and --fail-auth-once). 0, or a 401 answer in *a. */
static int check_auth(struct server *s, struct MHD_Connection *c, struct req *r, struct answer *a)
{
    char cred[CRED_MAX + 1];

    if (!bearer(c, cred, sizeof(cred))) {
        *a = fail_with(401, "unauthorized", "missing credential (Authorization: Bearer ...)");
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    bool ok = (s->o.credential != NULL && strcmp(cred, s->o.credential) == 0) ||
              device_by_cred(s, cred) != NULL;
    bool fail_once = ok && s->o.fail_auth_once && !s->auth_failed_once;
    if (fail_once)
        s->auth_failed_once = true;
    pthread_mutex_unlock(&s->lock);
    if (!ok) {
        *a = fail_with(401, "unauthorized", "unknown credential");
        return -1;
    }
    if (fail_once) {
        log_fault(s, r, "fail-auth-once");
        *a = fail_with(401, "unauthorized", "credential expired (--fail-auth-once)");
        return -1;
    }
    return 0;
}

/* Idempotency-Key: 1..255 printable ASCII, no spaces. 0, or a 400 answer in *a. */
static int check_key(struct server *s, struct MHD_Connection *c, struct answer *a)
{
    const char *k = header(c, "Idempotency-Key");

    if (k == NULL || k[0] == '\0') {
        *a = fail_with(400, "invalid_request", "missing Idempotency-Key");
        return -1;
    }
    size_t n = strlen(k);
    for (size_t i = 0; i < n; i++) {
        if (k[i] <= 0x20 || k[i] >= 0x7f) {
            *a = fail_with(400, "invalid_request",
                           "Idempotency-Key must be printable ASCII without spaces");
            return -1;
        }
    }
    if (n > WT_SSESRV_KEY_MAX) {
        *a = fail_with(400, "invalid_request", "Idempotency-Key longer than 255 bytes");
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    if (wt_ssesrv_keyset_mark(&s->keys, k, WT_SSESRV_KEY_SEEN) != 0)
        s->st.keys_overflow++;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Content-Type and Content-Encoding. 0 with *zstd set, or a 400 answer in *a. */
static int check_media(struct MHD_Connection *c, bool *zstd, struct answer *a)
{
    const char *ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *ce = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
    char why[160];

    if (ct == NULL || !media_is(ct, "application/x-ndjson")) {
        snprintf(why, sizeof(why), "Content-Type must be application/x-ndjson, not %s",
                 ct != NULL ? ct : "(none)");
        *a = fail_with(400, "invalid_request", why);
        return -1;
    }
    *zstd = ce != NULL && media_is(ce, "zstd");
    if (ce != NULL && !*zstd && !media_is(ce, "identity")) {
        snprintf(why, sizeof(why), "unsupported Content-Encoding %s (zstd or none)", ce);
        *a = fail_with(400, "invalid_request", why);
        return -1;
    }
    return 0;
}

/* Under lock: append the batch to --events-out and its key to STATE.keys. */
static int store(struct server *s, const char *key, const char *ndjson, size_t len)
{
    int rc = 0;

    if (s->events_fd >= 0) {
        rc = wt_write_all(s->events_fd, ndjson, len);
        if (rc == 0 && ndjson[len - 1] != '\n')
            rc = wt_write_all(s->events_fd, "\n", 1);
    }
    if (rc == 0 && s->keys_fd >= 0) {
        rc = wt_write_all(s->keys_fd, key, strlen(key));
        if (rc == 0)
            rc = wt_write_all(s->keys_fd, "\n", 1);
    }
    if (rc != 0)
        say("cannot store a batch: %s", strerror(-rc));
    return rc;
}

/* Decode, validate and store the batch; the answer to send. */
static struct answer process_batch(struct server *s, struct MHD_Connection *c, struct req *r)
{
    struct answer a;
    char why[256];
    bool zstd = false;

    if (check_auth(s, c, r, &a) != 0 || check_key(s, c, &a) != 0)
        return a;
    const char *key = header(c, "Idempotency-Key");
    if (r->over) {
        snprintf(why, sizeof(why), "body of %zu bytes exceeds --max-body %zu", r->received,
                 s->o.max_body);
        a = (struct answer){413, error_json("too_large", why, "max_body", (long long)s->o.max_body),
                            -1, NULL};
        return a;
    }
    if (check_media(c, &zstd, &a) != 0)
        return a;
    pthread_mutex_lock(&s->lock);
    bool dup = wt_ssesrv_keyset_get(&s->keys, key) == WT_SSESRV_KEY_ACCEPTED;
    if (dup)
        s->st.duplicate_batches++;
    pthread_mutex_unlock(&s->lock);
    if (dup)
        return (struct answer){
            409, error_json("duplicate", "Idempotency-Key already accepted", "accepted", 0), -1,
            NULL};

    /* Decode (a private buffer: no lock) and validate every line. */
    char *raw = r->body;
    size_t rawlen = r->len;
    int rc = 0;
    if (zstd)
        rc = wt_ssesrv_batch_unzstd(r->body, r->len, s->o.max_events_bytes, &raw, &rawlen, why,
                                    sizeof(why));
    else if (r->len > s->o.max_events_bytes)
        rc = WT_SSESRV_ETOOBIG;
    if (rc == WT_SSESRV_ETOOBIG) {
        snprintf(why, sizeof(why), "decompressed batch exceeds --max-events-bytes %zu",
                 s->o.max_events_bytes);
        a = (struct answer){
            413, error_json("too_large", why, "max_events_bytes", (long long)s->o.max_events_bytes),
            -1, NULL};
        return a;
    }
    if (rc == -ENOMEM)
        return fail_with(500, "internal", "out of memory");
    if (rc != 0) {
        a = fail_with(400, "invalid_body", why);
        return a;
    }
    if (raw == NULL) {
        a = fail_with(400, "invalid_body", "empty body");
        return a;
    }
    raw[rawlen] = '\0'; /* r->body has room for it too */
    size_t events = 0, bad_line = 0;
    if (s->o.bench) {
        /* --bench: the client is measured, not checked; count lines only. */
        for (const char *p = raw, *end = raw + rawlen; p < end; events++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
        }
    } else if (wt_ssesrv_batch_validate(raw, rawlen, &events, &bad_line, why, sizeof(why)) != 0) {
        a = (struct answer){400, error_json("invalid_body", why, "line", (long long)bad_line), -1,
                            NULL};
        if (raw != r->body)
            free(raw);
        return a;
    }
    r->events = events;

    /* Simulated processing time, proportional to the NDJSON bytes. */
    bool go_on = s->o.rate_mbps <= 0 || nap(s, (uint64_t)((double)rawlen / (s->o.rate_mbps * 1e3)));
    if (!go_on)
        a = fail_with(503, "unavailable", "server stopping");

    /* Commit: the key check, the append and the mark are one critical section. */
    if (go_on) {
        pthread_mutex_lock(&s->lock);
        enum wt_ssesrv_key_state ks = wt_ssesrv_keyset_get(&s->keys, key);
        if (ks == WT_SSESRV_KEY_ACCEPTED) {
            s->st.duplicate_batches++;
            a = (struct answer){
                409, error_json("duplicate", "Idempotency-Key already accepted", "accepted", 0), -1,
                NULL};
        } else if (ks == WT_SSESRV_KEY_ABSENT && s->keys.count >= s->keys.max) {
            a = fail_with(507, "key_set_full", "the Idempotency-Key set is full (--max-keys)");
        } else if (store(s, key, raw, rawlen) != 0 ||
                   wt_ssesrv_keyset_mark(&s->keys, key, WT_SSESRV_KEY_ACCEPTED) != 0) {
            a = fail_with(500, "internal", "cannot store the batch");
        } else {
            s->st.accepted_batches++;
            s->st.accepted_events += events;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "accepted", (double)events);
            a = (struct answer){202, cJSON_PrintUnformatted(o), -1, NULL};
            cJSON_Delete(o);
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (raw != r->body)
        free(raw);
    return a;
}

/* POST /ctia/bundle/import (ctia_server.c), after the script's fault if any. */
static struct answer ctia_import(struct server *s, struct MHD_Connection *c, struct req *r)
{
    char *json = NULL;
    if (wt_ctiasrv_in_outage(s->ctia))
        return fail_with(503, "unavailable", "outage (POST /ctia/outage)");
    if (r->over)
        return fail_with(413, "too_large", "bundle larger than --max-body");
    int st = wt_ctiasrv_import(s->ctia, header(c, MHD_HTTP_HEADER_AUTHORIZATION), r->body, r->len,
                               &json);
    return (struct answer){st, json, -1, NULL};
}

static enum MHD_Result serve_events(struct server *s, struct MHD_Connection *c, struct req *r)
{
    struct wt_ssesrv_step st = script_next(s, &r->step_no);

    if (s->o.latency_ms > 0 && !nap(s, s->o.latency_ms))
        return MHD_NO;
    switch (st.act) {
    case WT_SSESRV_STATUS:
        r->scripted = true;
        if (st.arg >= 0)
            log_fault(s, r, "status %d retry-after %ld", st.status, st.arg);
        else
            log_fault(s, r, "status %d", st.status);
        return respond(s, c, r,
                       (struct answer){st.status,
                                       error_json("scripted", "scripted fault (--script)",
                                                  st.arg >= 0 ? "retry_after" : NULL, st.arg),
                                       st.arg, NULL});
    case WT_SSESRV_RESET:
    case WT_SSESRV_CLOSE:
        return drop(s, c, r, st.act == WT_SSESRV_RESET);
    case WT_SSESRV_HANG:
        if (st.arg < 0)
            return hang(s, c, r);
        log_fault(s, r, "hang %ld s", st.arg);
        if (!nap(s, (uint64_t)st.arg * 1000u))
            return MHD_NO;
        break;
    case WT_SSESRV_PASS:
    case WT_SSESRV_CUT:
        break;
    }
    struct answer a = r->route == R_CTIA_IMPORT ? ctia_import(s, c, r) : process_batch(s, c, r);
    return st.act == WT_SSESRV_CUT ? respond_cut(s, c, r, a) : respond(s, c, r, a);
}

/* ------------------------------------------------------------------------ */
/* Devices, stats, routing                                                  */
/* ------------------------------------------------------------------------ */

static struct answer do_register(struct server *s, struct req *r)
{
    static _Thread_local char location[sizeof(((struct req *)0)->path) + 32];
    cJSON *in = r->over || r->body == NULL ? NULL : cJSON_ParseWithLength(r->body, r->len);
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "token"));
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "name"));
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "version"));
    struct answer a = {0, NULL, -1, NULL};
    struct device d;

    if (r->over)
        a = fail_with(413, "too_large", "registration body larger than 64 KiB");
    else if (!cJSON_IsObject(in))
        a = fail_with(400, "invalid_body", "body is not a JSON object");
    else if (tok == NULL || name == NULL || ver == NULL)
        a = fail_with(400, "invalid_body", "\"token\", \"name\" and \"version\" must be strings");
    else if (name[0] == '\0' || strlen(name) >= sizeof(d.name) || strlen(ver) >= sizeof(d.version))
        a = fail_with(400, "invalid_body", "\"name\" empty or too long, or \"version\" too long");
    else if (s->token == NULL)
        a = fail_with(401, "unauthorized", "registration disabled (no --token)");
    else if (strcmp(tok, s->token) != 0)
        a = fail_with(401, "unauthorized", "invalid registration token");
    if (a.status != 0) {
        cJSON_Delete(in);
        pthread_mutex_lock(&s->lock);
        s->st.register_failed++;
        pthread_mutex_unlock(&s->lock);
        return a;
    }
    memcpy(d.id, "dev-", 4);
    random_hex(d.id + 4, 8);
    random_hex(d.cred, 32);
    snprintf(d.name, sizeof(d.name), "%s", name);
    snprintf(d.version, sizeof(d.version), "%s", ver);
    cJSON_Delete(in);

    pthread_mutex_lock(&s->lock);
    struct device *nd = s->ndev < MAX_DEVICES ? realloc(s->dev, (s->ndev + 1) * sizeof(d)) : NULL;
    if (nd != NULL) {
        s->dev = nd;
        s->dev[s->ndev++] = d;
        if (state_save(s) != 0) {
            s->ndev--;
            nd = NULL;
        } else {
            s->st.registered++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (nd == NULL)
        return fail_with(503, "unavailable", "cannot add a device (limit or state file)");
    say("registered %s (%s %s)", d.id, d.name, d.version);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", d.id);
    cJSON_AddStringToObject(o, "credential", d.cred);
    a = (struct answer){201, cJSON_PrintUnformatted(o), -1, NULL};
    cJSON_Delete(o);
    snprintf(location, sizeof(location), "%s/%s", r->path, d.id);
    a.location = location;
    return a;
}

static struct answer do_deregister(struct server *s, struct MHD_Connection *c, struct req *r)
{
    const char *id = strrchr(r->path, '/') + 1;
    char cred[CRED_MAX + 1];
    bool have = bearer(c, cred, sizeof(cred));

    pthread_mutex_lock(&s->lock);
    long i = device_by_id(s, id);
    struct answer a = {204, NULL, -1, NULL};
    if (i < 0) {
        a = fail_with(404, "not_found", "unknown device");
    } else if (!have || strcmp(cred, s->dev[i].cred) != 0) {
        a = fail_with(401, "unauthorized", "missing or wrong credential for this device");
    } else {
        struct device gone = s->dev[i];
        s->dev[i] = s->dev[--s->ndev];
        if (state_save(s) != 0) {
            s->dev[s->ndev++] = s->dev[i];
            s->dev[i] = gone;
            a = fail_with(503, "unavailable", "cannot write the state file");
        } else {
            s->st.deregistered++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (a.status == 204)
        say("deregistered %s", id);
    return a;
}

static char *stats_json(struct server *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *bs = cJSON_CreateObject();

    pthread_mutex_lock(&s->lock);
    const struct stats *st = &s->st;
#define NUM(name, v) cJSON_AddNumberToObject(o, name, (double)(v))
    NUM("requests", st->requests);
    NUM("events_requests", st->events_requests);
    NUM("accepted_batches", st->accepted_batches);
    NUM("duplicate_batches", st->duplicate_batches);
    NUM("accepted_events", st->accepted_events);
    NUM("rejected", st->rejected);
    NUM("faults", st->faults);
    NUM("in_flight", st->in_flight);
    NUM("max_concurrent", st->max_concurrent);
    NUM("keys_seen", s->keys.count);
    NUM("keys_accepted", s->keys.accepted);
    NUM("keys_overflow", st->keys_overflow);
    NUM("devices", s->ndev);
    NUM("registered", st->registered);
    NUM("deregistered", st->deregistered);
    NUM("register_failed", st->register_failed);
    NUM("script_pos", s->script_pos);
    NUM("script_len", s->o.nscript);
#undef NUM
    if (s->ctia != NULL)
        wt_ctiasrv_stats(s->ctia, o);
    for (int i = 0; i < STATUS_MAX; i++) {
        char k[8];
        snprintf(k, sizeof(k), "%d", i);
        if (st->by_status[i] != 0)
            cJSON_AddNumberToObject(bs, k, (double)st->by_status[i]);
    }
    for (int i = 0; i < O_COUNT; i++) {
        if (st->by_outcome[i] != 0)
            cJSON_AddNumberToObject(bs, outcome_name[i], (double)st->by_outcome[i]);
    }
    pthread_mutex_unlock(&s->lock);
    cJSON_AddItemToObject(o, "by_status", bs);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

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
    copy_printable(r->key, sizeof(r->key), header(c, "Idempotency-Key"));
    r->route = route_of(s, r, method, url);
    r->limit = r->route == R_EVENTS || r->route == R_CTIA_IMPORT    ? s->o.max_body
               : r->route == R_REGISTER || r->route == R_CTIA_TOKEN ? DEVICE_BODY_MAX
                                                                    : 0;
    /* Reserve a declared body up front (bounded by the route's limit). */
    const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
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
    const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *ex = header(c, MHD_HTTP_HEADER_EXPECT);

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
            r->received = (size_t)strtoull(header(c, MHD_HTTP_HEADER_CONTENT_LENGTH), NULL, 10);
            snprintf(why, sizeof(why), "declared body of %zu bytes exceeds --max-body %zu",
                     r->received, s->o.max_body);
            return respond(
                s, c, r,
                (struct answer){413,
                                error_json("too_large", why, "max_body", (long long)s->o.max_body),
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
        return serve_events(s, c, r);
    case R_CTIA_IMPORT:
        return serve_events(s, c, r);
    case R_CTIA_TOKEN: {
        char *j = NULL;
        int st = wt_ctiasrv_token(s->ctia, header(c, MHD_HTTP_HEADER_AUTHORIZATION), r->body,
                                  r->len, &j);
        return respond(s, c, r, (struct answer){st, j, -1, NULL});
    }
    case R_CTIA_OUTAGE: {
        const char *ms = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ms");
        wt_ctiasrv_outage(s->ctia, ms != NULL ? strtoul(ms, NULL, 10) : 0);
        return respond(s, c, r, (struct answer){200, strdup("{\"outage\":true}"), -1, NULL});
    }
    case R_CTIA_EXPIRE:
        wt_ctiasrv_expire(s->ctia);
        return respond(s, c, r, (struct answer){200, strdup("{\"expired\":true}"), -1, NULL});
    case R_REGISTER:
        return respond(s, c, r, do_register(s, r));
    case R_DEREGISTER:
        return respond(s, c, r, do_deregister(s, c, r));
    case R_STATS: {
        char *j = stats_json(s);
        return respond(s, c, r, (struct answer){j != NULL ? 200 : 500, j, -1, NULL});
    }
    case R_HEALTHZ:
        return respond(s, c, r, (struct answer){200, strdup("{\"status\":\"ok\"}"), -1, NULL});
    case R_BAD_METHOD:
        return respond(s, c, r, fail_with(405, "method_not_allowed", "method not allowed"));
    case R_NOT_FOUND:
        break;
    }
    return respond(s, c, r, fail_with(404, "not_found", "no such endpoint"));
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
    note(s, r, -1, O_ABORTED);
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
    say("mhd: %s", buf);
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
        say("--listen %s: %s", s->o.listen, gai_strerror(gai));
        return 1;
    }
    for (const struct addrinfo *ai = res; ai != NULL && s->httpd == NULL; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
            s->httpd = start_on(s, ai);
    }
    freeaddrinfo(res);
    if (s->httpd == NULL) {
        say("cannot listen on %s", s->o.listen);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->httpd, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info != NULL ? info->port : (unsigned)atoi(port);
    if (s->o.port_file != NULL) {
        char text[16];
        snprintf(text, sizeof(text), "%u\n", bound);
        int rc = write_text(s->o.port_file, text);
        if (rc != 0) {
            say("cannot write %s: %s", s->o.port_file, strerror(-rc));
            return 1;
        }
    }
    bool v6 = strchr(host, ':') != NULL;
    say("listening on %s://%s%s%s:%u%.*s", s->tls_cert != NULL ? "https" : "http", v6 ? "[" : "",
        host, v6 ? "]" : "", bound, (int)s->o.base_len, s->o.base_path);
    return 0;
}

/* Read the token, TLS files, open outputs and state. 0, or an exit status. */
static int setup(struct server *s)
{
    if (s->o.token_file != NULL) {
        int rc = read_text(s->o.token_file, TOKEN_FILE_MAX, &s->token, NULL);
        if (rc != 0) {
            say("cannot read %s: %s", s->o.token_file, strerror(-rc));
            return 1;
        }
        s->token[strcspn(s->token, "\r\n")] = '\0';
    } else if (s->o.token != NULL) {
        s->token = strdup(s->o.token);
    }
    if (s->token != NULL && s->token[0] == '\0') {
        say("the registration token is empty");
        return 2;
    }
    if (s->o.tls_cert != NULL) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
            say("libmicrohttpd was built without TLS");
            return 1;
        }
        int rc = read_text(s->o.tls_cert, TLS_FILE_MAX, &s->tls_cert, NULL);
        if (rc == 0)
            rc = read_text(s->o.tls_key, TLS_FILE_MAX, &s->tls_key, NULL);
        if (rc != 0) {
            say("cannot read the TLS certificate or key: %s", strerror(-rc));
            return 1;
        }
    }
    if (s->o.events_out != NULL) {
        s->events_fd = open(s->o.events_out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (s->events_fd < 0) {
            say("cannot open %s: %s", s->o.events_out, strerror(errno));
            return 1;
        }
    }
    if (s->o.log != NULL) {
        s->logf = fopen(s->o.log, "a");
        if (s->logf == NULL) {
            say("cannot open %s: %s", s->o.log, strerror(errno));
            return 1;
        }
    } else if (!s->o.quiet) {
        s->logf = stderr;
    }
    if (s->o.state != NULL && state_load(s) != 0)
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
        say("stopping on %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->lock);
    }
    teardown(s);
    if (rc == 0)
        say("stopped: %llu request(s), %llu batch(es) and %llu event(s) accepted",
            (unsigned long long)s->st.requests, (unsigned long long)s->st.accepted_batches,
            (unsigned long long)s->st.accepted_events);
    return rc;
}
