/*
 * sse_faults.c - wt-sse-server's fault injection and delays
 * (sse_http.h). Faults (--script) are consumed one per POST /v1/events or
 * /ctia/bundle/import whose body was received, in arrival order of the
 * complete requests (the items are listed at the top of sse_server.c);
 * --latency delays every such request and hang:S one of them, and naps end
 * early when the server stops.
 */
#include "sse_http.h"

#include <microhttpd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define HANG_POLL_MS 100 /* how often a hung request checks its client */

/* ------------------------------------------------------------------------ */
/* Naps and the script                                                      */
/* ------------------------------------------------------------------------ */

/* Sleep ms, or less when the server stops. @returns false when stopping. */
bool wt_ssesrv_nap(struct server *s, uint64_t ms)
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

bool wt_ssesrv_stopping(struct server *s)
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

/* ------------------------------------------------------------------------ */
/* Faults                                                                   */
/* ------------------------------------------------------------------------ */

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
    wt_ssesrv_add_headers(s, r, resp, &a);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)a.status, resp);
    MHD_destroy_response(resp);
    r->answered = true;
    wt_ssesrv_log_fault(s, r, "cut (status %d, %zu of %zu body bytes sent)", a.status, k->half,
                        len);
    wt_ssesrv_note(s, r, -1, O_CUT);
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
    wt_ssesrv_log_fault(s, r, "%s", rst ? "reset" : "close");
    wt_ssesrv_note(s, r, -1, rst ? O_RESET : O_CLOSE);
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

    wt_ssesrv_log_fault(s, r, "hang");
    while (!wt_ssesrv_stopping(s)) {
        if (fd < 0) {
            wt_ssesrv_nap(s, HANG_POLL_MS);
            continue;
        }
        struct pollfd p = {.fd = fd, .events = POLLRDHUP};
        if (poll(&p, 1, HANG_POLL_MS) > 0 &&
            (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0)
            break;
    }
    wt_ssesrv_note(s, r, -1, O_HANG);
    return MHD_NO;
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */
/* ------------------------------------------------------------------------ */

enum MHD_Result wt_ssesrv_serve_events(struct server *s, struct MHD_Connection *c, struct req *r)
{
    struct wt_ssesrv_step st = script_next(s, &r->step_no);

    if (s->o.latency_ms > 0 && !wt_ssesrv_nap(s, s->o.latency_ms))
        return MHD_NO;
    switch (st.act) {
    case WT_SSESRV_STATUS:
        r->scripted = true;
        if (st.arg >= 0)
            wt_ssesrv_log_fault(s, r, "status %d retry-after %ld", st.status, st.arg);
        else
            wt_ssesrv_log_fault(s, r, "status %d", st.status);
        return wt_ssesrv_respond(
            s, c, r,
            (struct answer){st.status,
                            wt_ssesrv_error_json("scripted", "scripted fault (--script)",
                                                 st.arg >= 0 ? "retry_after" : NULL, st.arg),
                            st.arg, NULL});
    case WT_SSESRV_RESET:
    case WT_SSESRV_CLOSE:
        return drop(s, c, r, st.act == WT_SSESRV_RESET);
    case WT_SSESRV_HANG:
        if (st.arg < 0)
            return hang(s, c, r);
        wt_ssesrv_log_fault(s, r, "hang %ld s", st.arg);
        if (!wt_ssesrv_nap(s, (uint64_t)st.arg * 1000u))
            return MHD_NO;
        break;
    case WT_SSESRV_PASS:
    case WT_SSESRV_CUT:
        break;
    }
    struct answer a = r->route == R_CTIA_IMPORT ? wt_ssesrv_ctia_import(s, c, r)
                                                : wt_ssesrv_process_batch(s, c, r);
    return st.act == WT_SSESRV_CUT ? respond_cut(s, c, r, a) : wt_ssesrv_respond(s, c, r, a);
}
