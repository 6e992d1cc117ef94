/*
 * metrics.c - the metrics registry, the Prometheus text exposition (0.0.4),
 * health, and the /metrics + /healthz endpoint (libmicrohttpd).
 *
 * Threads. Series are created, updated and removed on the loop thread; the
 * HTTP thread (libmicrohttpd's internal polling thread) renders them.
 * - The registry list and the health problems are guarded by m->lock, taken
 *   by create, remove, render, log_all and the health calls.
 * - Values are C11 atomics with relaxed ordering: each one is a monotonic
 *   tally or a last-value gauge, so a scrape needs no ordering between them.
 *   Updates take no lock.
 * - A histogram keeps one atomic count per bucket (not cumulative; the last
 *   one is +Inf), an atomic count and the sum as the bits of a double in an
 *   atomic uint64 updated with a compare-and-swap loop (the Prometheus Go
 *   client does the same). The sum stays a true double: no fixed-point range
 *   or resolution limit, negative values work, and the writer never blocks
 *   on a scrape. A scrape renders _count as the sum of the bucket counts it
 *   read, so `le="+Inf"` and _count always agree; _sum may lag or lead them
 *   by the observations made during the scrape.
 * - The heartbeat is an atomic CLOCK_MONOTONIC millisecond stamp.
 *
 * Ordering: same-name series are kept next to each other in the list, so
 * the render emits one # HELP / # TYPE per name whatever the creation order.
 */
#include "metrics.h"
#include "log.h"
#include "wt_common.h"

#include <microhttpd.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/** Bytes kept of a component name / problem message (NUL included). */
/** At most one log line of the HTTP server's complaints per this many ms. */
#define WT_METRICS_HTTP_LOG_EVERY_MS 60000
#define WT_HEALTH_WHO_MAX            64
#define WT_HEALTH_MSG_MAX            256

struct wt_metric {
    struct wt_metric *next;
    enum wt_metric_kind kind;
    const char *name; /* these three point into the same allocation */
    const char *help;
    const char *labels; /* "" when none */
    _Atomic uint64_t v; /* counter; gauge as int64 bits; histogram count */
    /* Histogram only. */
    size_t nb;
    double bounds[WT_HIST_MAX_BUCKETS];
    _Atomic uint64_t buckets[WT_HIST_MAX_BUCKETS + 1]; /* last: +Inf */
    _Atomic uint64_t sum_bits;                         /* a double */
};

struct health_problem {
    char who[WT_HEALTH_WHO_MAX]; /* "" = free slot */
    char msg[WT_HEALTH_MSG_MAX];
};

struct wt_metrics {
    pthread_mutex_t lock;
    struct wt_metric *head; /* guarded by lock */
    struct health_problem problems[WT_HEALTH_MAX_PROBLEMS];
    bool problems_overflow; /* a problem did not fit; cleared when all clear */
    _Atomic uint64_t heartbeat_ms;
    /* Loop thread only. */
    struct MHD_Daemon *httpd;
    int port;
    struct {
        unsigned max_connections, max_per_ip, timeout_s;
    } http;
    /* libmicrohttpd's complaints (MHD's thread): counted, logged at most once
     * per WT_METRICS_HTTP_LOG_EVERY_MS, so a client cannot flood the log. */
    struct wt_metric *m_http_errors;
    _Atomic uint64_t http_logged_ms, http_unlogged;
};

static uint64_t mono_ms(void)
{
    return wt_mono_ns() / 1000000;
}

/* ------------------------------------------------------------------------ */
/* Registry                                                                 */
/* ------------------------------------------------------------------------ */

struct wt_metrics *wt_metrics_new(void)
{
    struct wt_metrics *m = wt_calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        wt_free(m);
        return NULL;
    }
    /* Start fresh: /healthz is not stale before the loop's first beat. */
    atomic_init(&m->heartbeat_ms, mono_ms());
    wt_metrics_set_http_limits(m, WT_METRICS_HTTP_CONN_DEFAULT, WT_METRICS_HTTP_PER_IP_DEFAULT,
                               WT_METRICS_HTTP_TIMEOUT_DEFAULT_S);
    return m;
}

void wt_metrics_set_http_limits(struct wt_metrics *m, unsigned max_connections, unsigned max_per_ip,
                                unsigned timeout_s)
{
    m->http.max_connections = max_connections;
    m->http.max_per_ip = max_per_ip;
    m->http.timeout_s = timeout_s ? timeout_s : 1;
}

void wt_metrics_free(struct wt_metrics *m)
{
    if (m == NULL)
        return;
    wt_metrics_stop(m);
    for (struct wt_metric *s = m->head, *next; s != NULL; s = next) {
        next = s->next;
        wt_free(s);
    }
    pthread_mutex_destroy(&m->lock);
    wt_free(m);
}

/* Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
static bool valid_name(const char *s)
{
    if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':'))
            return false;
    }
    return true;
}

static bool valid_buckets(enum wt_metric_kind kind, const double *b, size_t nb)
{
    if (kind != WT_METRIC_HISTOGRAM)
        return true;
    if (nb > WT_HIST_MAX_BUCKETS || (nb > 0 && b == NULL))
        return false;
    for (size_t i = 0; i < nb; i++) {
        if (isnan(b[i]) || isinf(b[i]) || (i > 0 && !(b[i] > b[i - 1])))
            return false;
    }
    return true;
}

/* A new series, its three strings stored after the struct. */
static struct wt_metric *series_new(enum wt_metric_kind kind, const char *name, const char *help,
                                    const char *labels, const double *buckets, size_t nb)
{
    size_t nl = strlen(name) + 1, hl = strlen(help) + 1, ll = strlen(labels) + 1;
    struct wt_metric *s = wt_calloc(1, sizeof(*s) + nl + hl + ll);

    if (s == NULL)
        return NULL;
    char *p = (char *)(s + 1);
    s->name = memcpy(p, name, nl);
    s->help = memcpy(p + nl, help, hl);
    s->labels = memcpy(p + nl + hl, labels, ll);
    s->kind = kind;
    if (kind == WT_METRIC_HISTOGRAM) {
        s->nb = nb;
        if (nb > 0)
            memcpy(s->bounds, buckets, nb * sizeof(*buckets));
    }
    /* calloc's zero bits are 0 for every counter and +0.0 for the sum. */
    return s;
}

/*
 * Insert s after the last series named like it (keeps names grouped), or
 * at the tail. Called with the lock held.
 */
static void series_link(struct wt_metrics *m, struct wt_metric *s)
{
    struct wt_metric **pp = &m->head, **after = NULL;

    for (; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, s->name) == 0)
            after = &(*pp)->next;
    }
    if (after == NULL)
        after = pp;
    s->next = *after;
    *after = s;
}

struct wt_metric *wt_metrics_get(struct wt_metrics *m, enum wt_metric_kind kind, const char *name,
                                 const char *help, const char *labels, const double *buckets,
                                 size_t nbuckets)
{
    if (labels == NULL)
        labels = "";
    if (help == NULL)
        help = "";
    if (!valid_name(name) || strlen(labels) >= WT_METRIC_LABELS_MAX ||
        !valid_buckets(kind, buckets, nbuckets))
        return NULL;

    pthread_mutex_lock(&m->lock);
    struct wt_metric *found = NULL;
    bool mismatch = false;
    for (struct wt_metric *s = m->head; s != NULL; s = s->next) {
        if (strcmp(s->name, name) != 0)
            continue;
        if (s->kind != kind) {
            mismatch = true; /* one TYPE per name */
            break;
        }
        if (strcmp(s->labels, labels) == 0) {
            found = s;
            break;
        }
    }
    if (found == NULL && !mismatch) {
        found = series_new(kind, name, help, labels, buckets, nbuckets);
        if (found != NULL)
            series_link(m, found);
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

void wt_metrics_remove(struct wt_metrics *m, struct wt_metric *s)
{
    if (m == NULL || s == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    for (struct wt_metric **pp = &m->head; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            wt_free(s);
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

/* ------------------------------------------------------------------------ */
/* Updates (lock-free)                                                      */
/* ------------------------------------------------------------------------ */

/* A NULL series (creation failed) is a no-op so callers need no check. */
void wt_metric_add(struct wt_metric *s, uint64_t n)
{
    if (s == NULL)
        return;
    assert(s->kind == WT_METRIC_COUNTER);
    atomic_fetch_add_explicit(&s->v, n, memory_order_relaxed);
}

void wt_metric_set(struct wt_metric *s, int64_t v)
{
    if (s == NULL)
        return;
    assert(s->kind == WT_METRIC_GAUGE);
    atomic_store_explicit(&s->v, (uint64_t)v, memory_order_relaxed);
}

static double bits_to_double(uint64_t bits)
{
    double d;

    memcpy(&d, &bits, sizeof(d));
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t bits;

    memcpy(&bits, &d, sizeof(bits));
    return bits;
}

void wt_metric_observe(struct wt_metric *s, double v)
{
    if (s == NULL)
        return;
    assert(s->kind == WT_METRIC_HISTOGRAM);
    size_t i = 0;
    while (i < s->nb && !(v <= s->bounds[i]))
        i++; /* NaN lands in +Inf */
    atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->v, 1, memory_order_relaxed);

    uint64_t old = atomic_load_explicit(&s->sum_bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&s->sum_bits, &old,
                                                  double_to_bits(bits_to_double(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ; /* old was reloaded; retry */
}

/* Counter: the count; gauge: the int64 as uint64 bits; histogram: the count. */
uint64_t wt_metric_value(const struct wt_metric *s)
{
    if (s == NULL)
        return 0;
    return atomic_load_explicit(&s->v, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Text exposition                                                          */
/* ------------------------------------------------------------------------ */

void wt_metrics_label_escape(const char *in, char *out, size_t cap)
{
    size_t o = 0;

    if (cap == 0)
        return;
    for (; *in != '\0'; in++) {
        char esc = 0;
        if (*in == '\\' || *in == '"')
            esc = *in;
        else if (*in == '\n')
            esc = 'n';
        size_t need = esc ? 2 : 1;
        if (o + need > cap - 1)
            break; /* never split an escape */
        if (esc) {
            out[o++] = '\\';
            out[o++] = esc;
        } else {
            out[o++] = *in;
        }
    }
    /* Do not leave a partial UTF-8 sequence behind when truncated. */
    if (*in != '\0') {
        size_t k = o;
        while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0xC0) {
            unsigned char lead = (unsigned char)out[k - 1];
            size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (o - (k - 1) < want)
                o = k - 1;
        }
    }
    out[o] = '\0';
}

/* Shortest decimal that reads back as d; Prometheus spellings for the rest. */
static void fmt_double(char *buf, size_t cap, double d)
{
    if (isnan(d)) {
        snprintf(buf, cap, "NaN");
    } else if (isinf(d)) {
        snprintf(buf, cap, "%s", d > 0 ? "+Inf" : "-Inf");
    } else {
        snprintf(buf, cap, "%.15g", d);
        if (strtod(buf, NULL) != d)
            snprintf(buf, cap, "%.17g", d);
    }
}

/* HELP text: backslash and newline escaped, per the format. */
static void put_help(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
}

static const char *kind_name(enum wt_metric_kind k)
{
    switch (k) {
    case WT_METRIC_COUNTER:
        return "counter";
    case WT_METRIC_GAUGE:
        return "gauge";
    case WT_METRIC_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

/* `{labels}` or nothing. */
static void put_labels(FILE *out, const char *labels)
{
    if (*labels != '\0')
        fprintf(out, "{%s}", labels);
}

static void render_histogram(FILE *out, const struct wt_metric *s)
{
    const char *sep = *s->labels ? "," : "";
    char num[32];
    uint64_t cum = 0;

    for (size_t i = 0; i <= s->nb; i++) {
        cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        fmt_double(num, sizeof(num), i < s->nb ? s->bounds[i] : INFINITY);
        fprintf(out, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", s->name, s->labels, sep, num, cum);
    }
    fmt_double(num, sizeof(num),
               bits_to_double(atomic_load_explicit(&s->sum_bits, memory_order_relaxed)));
    fprintf(out, "%s_sum", s->name);
    put_labels(out, s->labels);
    fprintf(out, " %s\n%s_count", num, s->name);
    put_labels(out, s->labels);
    fprintf(out, " %" PRIu64 "\n", cum);
}

static void render_series(FILE *out, const struct wt_metric *s)
{
    uint64_t v = atomic_load_explicit(&s->v, memory_order_relaxed);

    switch (s->kind) {
    case WT_METRIC_COUNTER:
        fputs(s->name, out);
        put_labels(out, s->labels);
        fprintf(out, " %" PRIu64 "\n", v);
        break;
    case WT_METRIC_GAUGE:
        fputs(s->name, out);
        put_labels(out, s->labels);
        fprintf(out, " %" PRId64 "\n", (int64_t)v);
        break;
    case WT_METRIC_HISTOGRAM:
        render_histogram(out, s);
        break;
    }
}

void wt_metrics_render(struct wt_metrics *m, FILE *out)
{
    const char *last = NULL;

    pthread_mutex_lock(&m->lock);
    for (const struct wt_metric *s = m->head; s != NULL; s = s->next) {
        if (last == NULL || strcmp(last, s->name) != 0) {
            fprintf(out, "# HELP %s%s", s->name, *s->help ? " " : "");
            put_help(out, s->help);
            fprintf(out, "\n# TYPE %s %s\n", s->name, kind_name(s->kind));
            last = s->name;
        }
        render_series(out, s);
    }
    pthread_mutex_unlock(&m->lock);
}

void wt_metrics_log_all(struct wt_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    for (const struct wt_metric *s = m->head; s != NULL; s = s->next) {
        const char *lo = *s->labels ? "{" : "", *lc = *s->labels ? "}" : "";
        uint64_t v = atomic_load_explicit(&s->v, memory_order_relaxed);
        char num[32];

        switch (s->kind) {
        case WT_METRIC_COUNTER:
            wt_log_info("metrics", "%s%s%s%s %" PRIu64, s->name, lo, s->labels, lc, v);
            break;
        case WT_METRIC_GAUGE:
            wt_log_info("metrics", "%s%s%s%s %" PRId64, s->name, lo, s->labels, lc, (int64_t)v);
            break;
        case WT_METRIC_HISTOGRAM:
            fmt_double(num, sizeof(num),
                       bits_to_double(atomic_load_explicit(&s->sum_bits, memory_order_relaxed)));
            wt_log_info("metrics", "%s_count%s%s%s %" PRIu64, s->name, lo, s->labels, lc, v);
            wt_log_info("metrics", "%s_sum%s%s%s %s", s->name, lo, s->labels, lc, num);
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

/* ------------------------------------------------------------------------ */
/* Health                                                                   */
/* ------------------------------------------------------------------------ */

void wt_metrics_heartbeat(struct wt_metrics *m)
{
    atomic_store_explicit(&m->heartbeat_ms, mono_ms(), memory_order_relaxed);
}

/* Copy s into dst[cap] with control characters turned into spaces. */
static void copy_clean(char *dst, size_t cap, const char *s)
{
    size_t i = 0;

    for (; s[i] != '\0' && i + 1 < cap; i++)
        dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
    dst[i] = '\0';
}

/*
 * With all WT_HEALTH_MAX_PROBLEMS slots taken, a new problem only sets
 * problems_overflow (unhealthy, "more problems"); it is dropped once every
 * stored problem is cleared. A component still failing sets its problem
 * again on its next attempt, and then finds a free slot.
 */
void wt_metrics_problem(struct wt_metrics *m, const char *who, const char *msg)
{
    char key[WT_HEALTH_WHO_MAX];
    struct health_problem *slot = NULL, *free_slot = NULL;

    copy_clean(key, sizeof(key), who != NULL && *who != '\0' ? who : "?");
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < WT_HEALTH_MAX_PROBLEMS; i++) {
        struct health_problem *p = &m->problems[i];
        if (p->who[0] == '\0') {
            if (free_slot == NULL)
                free_slot = p;
        } else if (strcmp(p->who, key) == 0) {
            slot = p;
        }
    }
    if (msg == NULL) {
        if (slot != NULL)
            slot->who[0] = '\0';
        bool any = false;
        for (size_t i = 0; i < WT_HEALTH_MAX_PROBLEMS && !any; i++)
            any = m->problems[i].who[0] != '\0';
        if (!any)
            m->problems_overflow = false;
    } else {
        if (slot == NULL)
            slot = free_slot;
        if (slot != NULL) {
            memcpy(slot->who, key, sizeof(key));
            copy_clean(slot->msg, sizeof(slot->msg), msg);
        } else {
            m->problems_overflow = true;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

/* snprintf that appends at *off and never runs past cap. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t cap, size_t *off,
                                                         const char *fmt, ...)
{
    va_list ap;

    if (buf == NULL || *off + 1 >= cap)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    if (n > 0)
        *off = *off + (size_t)n < cap ? *off + (size_t)n : cap - 1;
}

bool wt_metrics_healthy(struct wt_metrics *m, char *why, size_t cap)
{
    size_t off = 0;
    bool ok = true;
    uint64_t age = mono_ms() - atomic_load_explicit(&m->heartbeat_ms, memory_order_relaxed);

    if (why != NULL && cap > 0)
        why[0] = '\0';
    if (age >= WT_HEALTH_STALE_MS) {
        ok = false;
        append(why, cap, &off, "loop: no heartbeat for %" PRIu64 " ms\n", age);
    }
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < WT_HEALTH_MAX_PROBLEMS; i++) {
        const struct health_problem *p = &m->problems[i];
        if (p->who[0] != '\0') {
            ok = false;
            append(why, cap, &off, "%s: %s\n", p->who, p->msg);
        }
    }
    if (m->problems_overflow) {
        ok = false;
        append(why, cap, &off, "more problems than fit (%d)\n", WT_HEALTH_MAX_PROBLEMS);
    }
    pthread_mutex_unlock(&m->lock);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* HTTP endpoint (runs on libmicrohttpd's thread)                           */
/* ------------------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);

    if (r == NULL) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            wt_free(body);
        return MHD_NO; /* closes the connection */
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

#define REPLY_STATIC(c, status, text)                                                              \
    reply((c), (status), "text/plain; charset=utf-8", (char *)(text), sizeof(text) - 1,            \
          MHD_RESPMEM_PERSISTENT)

static enum MHD_Result serve_metrics(struct wt_metrics *m, struct MHD_Connection *c)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);

    if (f == NULL)
        return REPLY_STATIC(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    wt_metrics_render(m, f);
    if (fclose(f) != 0 || body == NULL) {
        wt_free(body);
        return REPLY_STATIC(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
                 MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result serve_healthz(struct wt_metrics *m, struct MHD_Connection *c)
{
    /* Room for every problem: the body is never cut. */
    char why[WT_HEALTH_MAX_PROBLEMS * (WT_HEALTH_WHO_MAX + WT_HEALTH_MSG_MAX + 4) + 128];

    if (wt_metrics_healthy(m, why, sizeof(why)))
        return REPLY_STATIC(c, MHD_HTTP_OK, "ok\n");
    return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", why, strlen(why),
                 MHD_RESPMEM_MUST_COPY);
}

/*
 * MHD_AccessHandlerCallback. Other methods get their 405 on the first call,
 * so their body is never read (MHD then closes the connection). GET and
 * HEAD are answered once the request is complete, which keeps the
 * connection alive for the next scrape; a GET body is read and dropped.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    static char seen; /* *req_cls marker: headers already processed */
    struct wt_metrics *m = cls;

    (void)version;
    (void)upload;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return REPLY_STATIC(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    if (*req_cls == NULL) {
        *req_cls = &seen;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") == 0)
        return serve_metrics(m, c);
    if (strcmp(url, "/healthz") == 0)
        return serve_healthz(m, c);
    return REPLY_STATIC(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

/*
 * MHD's error log. While wt_metrics_serve runs MHD_start_daemon on this
 * thread, the first message is captured for the caller's err; messages from
 * the daemon thread go to our log.
 */
static _Thread_local char *start_err;
static _Thread_local size_t start_errlen;

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct wt_metrics *m = cls;
    char buf[512];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (start_err != NULL) {
        snprintf(start_err, start_errlen, "%s", buf);
        start_err = NULL; /* keep the first: usually the cause */
        return;
    }
    wt_metric_add(m->m_http_errors, 1);
    uint64_t now = mono_ms(), last = atomic_load(&m->http_logged_ms);
    if (last != 0 && now - last < WT_METRICS_HTTP_LOG_EVERY_MS) {
        atomic_fetch_add(&m->http_unlogged, 1);
        return;
    }
    atomic_store(&m->http_logged_ms, now);
    uint64_t more = atomic_exchange(&m->http_unlogged, 0);
    if (more)
        wt_log_warn("metrics.http",
                    "%s (and %" PRIu64 " more since the last report; counted in "
                    "wtexport_metrics_http_errors_total)",
                    buf, more);
    else
        wt_log_warn("metrics.http", "%s", buf);
}

static struct MHD_Daemon *start_daemon(struct wt_metrics *m, const struct addrinfo *ai)
{
    /* One event-driven thread (epoll where MHD has it): a slow client costs a
     * socket, never the thread that answers /healthz. */
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The logger goes first, or MHD logs its earlier messages itself. */
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER,
                            mhd_log, m, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_CONNECTION_LIMIT, m->http.max_connections,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, m->http.max_per_ip,
                            MHD_OPTION_CONNECTION_TIMEOUT, m->http.timeout_s, MHD_OPTION_END);
}

int wt_metrics_serve(struct wt_metrics *m, const char *listen, char *err, size_t errlen)
{
    char host[256], port[8], cause[256] = "";
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;

    if (m->httpd != NULL) {
        snprintf(err, errlen, "metrics: already serving on port %d", m->port);
        return -EBUSY;
    }
    m->m_http_errors = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_metrics_http_errors_total",
                                      "Errors of the metrics endpoint's HTTP server (slow or "
                                      "broken clients, refused connections).",
                                      "", NULL, 0);
    uint16_t portnum;
    if (listen == NULL || wt_hostport_parse(listen, host, sizeof(host), &portnum) != 0) {
        snprintf(err, errlen, "metrics.listen \"%s\": expected host:port or [ipv6]:port",
                 listen != NULL ? listen : "");
        return WT_ECONFIG;
    }
    snprintf(port, sizeof(port), "%u", portnum);
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "metrics.listen \"%s\": %s", listen, gai_strerror(gai));
        return WT_ECONFIG;
    }
    /*
     * A name may resolve to several addresses: bind the first that works.
     * The reason for a failure is errno when MHD left one (its messages say
     * "port 0" for an address given with MHD_OPTION_SOCK_ADDR), else its
     * first log message.
     */
    int rc = -EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai != NULL && m->httpd == NULL; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        start_err = cause;
        start_errlen = sizeof(cause);
        errno = 0;
        m->httpd = start_daemon(m, ai);
        if (m->httpd == NULL)
            rc = errno != 0 ? -errno : -EIO;
        start_err = NULL;
    }
    freeaddrinfo(res);
    if (m->httpd == NULL) {
        snprintf(err, errlen, "metrics.listen \"%s\": cannot listen: %s", listen,
                 rc != -EIO || cause[0] == '\0' ? wt_strerror(rc) : cause);
        return rc;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->httpd, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info != NULL ? info->port : portnum;
    return 0;
}

void wt_metrics_stop(struct wt_metrics *m)
{
    if (m == NULL || m->httpd == NULL)
        return;
    MHD_stop_daemon(m->httpd); /* joins the HTTP thread */
    m->httpd = NULL;
    m->port = 0;
}

int wt_metrics_port(const struct wt_metrics *m)
{
    return m != NULL && m->httpd != NULL ? m->port : 0;
}
