/*
 * http_loop.c - libcurl's multi interface driven by the libuv loop
 * (http.h): one uv_poll_t per socket curl asks about, one uv_timer_t for
 * curl's timeouts, finished transfers handed to the owner.
 */
#include "http.h"
#include "log.h"
#include "wt_common.h"

#include <errno.h>
#include <stdlib.h>

#define TAG "http"

/* One socket curl asked us to watch. */
struct wt__http_poll {
    uv_poll_t h;
    struct wt_http_loop *hl;
    curl_socket_t fd;
    bool closing;
    struct wt__http_poll *next, *prev;
};

static void handle_closed(struct wt_http_loop *hl)
{
    if (--hl->pending == 0 && hl->closing && hl->closed)
        hl->closed(hl->ctx);
}

/* Hand finished transfers to the owner, then let it start more. */
static void check_done(struct wt_http_loop *hl)
{
    for (;;) {
        int left;
        CURLMsg *msg = curl_multi_info_read(hl->multi, &left);
        if (!msg)
            break;
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *eh = msg->easy_handle;
        CURLcode rc = msg->data.result;
        curl_multi_remove_handle(hl->multi, eh);
        hl->done(hl->ctx, eh, rc);
        if (hl->closing)
            return;
    }
    if (hl->after)
        hl->after(hl->ctx);
}

static void on_timer(uv_timer_t *t)
{
    struct wt_http_loop *hl = t->data;
    int running;
    curl_multi_socket_action(hl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(hl);
}

/* CURLMOPT_TIMERFUNCTION: never calls curl (a 0 ms timeout is a 0 ms timer). */
static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    struct wt_http_loop *hl = userp;
    (void)m;
    if (timeout_ms < 0)
        uv_timer_stop(&hl->timer);
    else
        uv_timer_start(&hl->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct wt__http_poll *sp = h->data;
    struct wt_http_loop *hl = sp->hl;
    int flags = 0, running;
    /* An error (a reset): let curl read the socket, so its message says what happened. */
    if (status < 0)
        flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(hl->multi, sp->fd, flags, &running);
    check_done(hl);
}

static void on_poll_closed(uv_handle_t *h)
{
    struct wt__http_poll *sp = h->data;
    struct wt_http_loop *hl = sp->hl;
    wt_free(sp);
    handle_closed(hl);
}

static void poll_close(struct wt_http_loop *hl, struct wt__http_poll *sp)
{
    if (sp->closing)
        return;
    sp->closing = true;
    if (sp->prev)
        sp->prev->next = sp->next;
    else
        hl->polls = sp->next;
    if (sp->next)
        sp->next->prev = sp->prev;
    uv_poll_stop(&sp->h);
    hl->pending++;
    uv_close((uv_handle_t *)&sp->h, on_poll_closed);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl wants (uv_poll per socket). */
static int socket_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct wt_http_loop *hl = userp;
    struct wt__http_poll *sp = socketp;
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (sp) {
            poll_close(hl, sp);
            if (!hl->closing)
                curl_multi_assign(hl->multi, fd, NULL);
        }
        return 0;
    }
    if (!sp) {
        sp = wt_calloc(1, sizeof(*sp));
        if (!sp) {
            wt_log_error(TAG, "%s: out of memory", hl->name);
            abort();
        }
        int rc = uv_poll_init_socket(hl->loop, &sp->h, fd);
        if (rc != 0) {
            wt_log_error(TAG, "%s: uv_poll_init_socket: %s", hl->name, uv_strerror(rc));
            wt_free(sp);
            return -1; /* curl fails this transfer; the owner retries it */
        }
        sp->h.data = sp;
        sp->hl = hl;
        sp->fd = fd;
        sp->next = hl->polls;
        if (hl->polls)
            hl->polls->prev = sp;
        hl->polls = sp;
        curl_multi_assign(hl->multi, fd, sp);
    }
    int ev = 0;
    if (what & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&sp->h, ev, on_poll);
    return 0;
}

int wt_http_loop_init(struct wt_http_loop *hl, uv_loop_t *loop, unsigned max_conns,
                      wt_http_done_fn done, wt_http_after_fn after, void *ctx, const char *name)
{
    *hl =
        (struct wt_http_loop){.loop = loop, .done = done, .after = after, .ctx = ctx, .name = name};
    hl->multi = curl_multi_init();
    if (!hl->multi)
        return -ENOMEM;
    uv_timer_init(loop, &hl->timer);
    hl->timer.data = hl;
    curl_multi_setopt(hl->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(hl->multi, CURLMOPT_SOCKETDATA, hl);
    curl_multi_setopt(hl->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(hl->multi, CURLMOPT_TIMERDATA, hl);
    curl_multi_setopt(hl->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_conns);
    curl_multi_setopt(hl->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_conns);
    curl_multi_setopt(hl->multi, CURLMOPT_MAXCONNECTS, (long)max_conns);
    return 0;
}

int wt_http_loop_add(struct wt_http_loop *hl, CURL *eh)
{
    CURLMcode mc = curl_multi_add_handle(hl->multi, eh);
    if (mc != CURLM_OK) {
        wt_log_error(TAG, "%s: curl_multi_add_handle: %s", hl->name, curl_multi_strerror(mc));
        return -EIO;
    }
    return 0;
}

void wt_http_loop_remove(struct wt_http_loop *hl, CURL *eh)
{
    curl_multi_remove_handle(hl->multi, eh);
}

static void on_timer_closed(uv_handle_t *h)
{
    handle_closed(h->data);
}

void wt_http_loop_close(struct wt_http_loop *hl, wt_http_closed_fn closed)
{
    hl->closing = true;
    hl->closed = closed;
    /* Stop watching while the sockets are still open (a closed fd number may be
     * reused at once); curl may still report them while it cleans up. */
    while (hl->polls)
        poll_close(hl, hl->polls);
    curl_multi_cleanup(hl->multi);
    hl->multi = NULL;
    uv_timer_stop(&hl->timer);
    hl->pending++;
    uv_close((uv_handle_t *)&hl->timer, on_timer_closed);
}
