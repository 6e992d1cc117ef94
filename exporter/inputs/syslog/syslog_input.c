/*
 * syslog_input.c - the syslog listener: UDP datagrams (recvmmsg on a
 * uv_poll_t, to read the kernel's drop counter), TCP streams (uv_tcp_t,
 * RFC 6587 framing) and TLS streams (OpenSSL over memory BIOs on the same
 * TCP handles, RFC 5425). Every message's header is stripped
 * (syslog_proto.c) and its body fed to the pipeline as one line.
 *
 * Backpressure: when the pipeline is full, every connection stops reading
 * (the kernel's buffers fill, then the senders' TCP windows close: they
 * wait) until on_resume. UDP cannot make a sender wait: datagrams that
 * arrive while the pipeline is full are read and dropped, and counted; the
 * ones the kernel drops (receive buffer full) are counted from the
 * socket's drop counter (SO_RXQ_OVFL on each datagram, SO_MEMINFO each
 * sweep).
 *
 * Durability: a message is durable once its batch is in the spool. Acks
 * to the sender do not exist in syslog, so what was received but not yet
 * spooled is lost in a crash (docs/syslog.md).
 */
#include "log.h"
#include "syslog_int.h"
#include "syslog_proto.h"
#include "wt_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bytes of a malformed message shown in its warning. */
#define WT_SYSLOG_SHOWN 40

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

struct conn;

struct syslog_in {
    uv_loop_t *loop;
    struct wt_pipeline *p;
    struct wt_source src;
    char url[300]; /* the listen URL: "src" of events, the metrics label */
    enum wt_syslog_proto proto;
    size_t max_msg, max_line;
    int max_conns;
    int64_t idle_ms;
    SSL_CTX *tls;
    uv_tcp_t tcp;   /* tcp, tls: the listening socket */
    uv_poll_t poll; /* udp: readiness of ufd */
    int ufd;
    char *ubuf; /* udp: WT_SYSLOG_UDP_BATCH buffers of max_msg + 1 bytes */
    uv_timer_t sweep;
    struct conn *conns;
    int nconns;
    uint64_t seq;    /* messages fed to the pipeline: line number and offset */
    uint32_t kdrops; /* the kernel's drop counter as last seen */
    bool paused, stopped, freeing;
    bool warned_malformed, warned_oversize, warned_refused, warned_tls;
    int handles; /* open handles: server, timer, connections */
    struct wt_metric *m_msgs, *m_bytes, *m_malformed, *m_oversize, *m_drop_full, *m_drop_kernel,
        *m_conns, *m_refused, *m_idle, *m_tls_fail;
};

struct conn {
    uv_tcp_t h;
    struct syslog_in *in;
    struct conn *next, *prev;
    struct wt_syslog_framer fr;
    char peer[INET6_ADDRSTRLEN];
    SSL *ssl;
    BIO *rbio, *wbio; /* owned by ssl */
    char *buf;        /* plaintext not yet framed */
    size_t len, cap;
    char *net; /* tls: ciphertext just read */
    uint64_t last;
    bool closing, handshaken;
};

/* A write of TLS records (handshake, alerts): freed in its callback. */
struct tls_write {
    uv_write_t req;
    char data[];
};

static void maybe_free(struct syslog_in *in)
{
    if (!in->freeing || in->handles > 0)
        return;
    SSL_CTX_free(in->tls);
    wt_free(in->ubuf);
    wt_free(in);
}

static void handle_closed(uv_handle_t *h)
{
    struct syslog_in *in = h->data;
    in->handles--;
    maybe_free(in);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */
/* ------------------------------------------------------------------------ */

/* One syslog message from peer: strip its header, feed its body as a line. */
static void deliver(struct syslog_in *in, const char *peer, const char *m, size_t n)
{
    struct wt_syslog_msg sm;

    wt_metric_add(in->m_msgs, 1);
    wt_metric_add(in->m_bytes, n);
    if (wt_syslog_header(m, n, &sm) != 0) {
        char shown[WT_SYSLOG_SHOWN + 1];
        size_t k = 0;
        for (; k < n && k < WT_SYSLOG_SHOWN; k++)
            shown[k] = m[k] >= 0x20 && m[k] < 0x7f ? m[k] : '?';
        shown[k] = '\0';
        wt_metric_add(in->m_malformed, 1);
        wt_log_once(&in->warned_malformed, WT_LOG_WARN, "syslog",
                    "%s: a message from %s has no valid syslog header (it starts \"%s\"): "
                    "dropped (further ones are only counted in wtexport_syslog_malformed_total)",
                    in->url, peer, shown);
        return;
    }
    in->seq++;
    in->src.sender = sm.host.len ? sm.host : (struct wt_str){peer, strlen(peer)};
    if (sm.body.len > in->max_line) {
        wt_pipeline_too_long(in->p, &in->src, in->seq);
        wt_pipeline_mark(in->p, &in->src, in->seq, in->seq);
    } else {
        wt_pipeline_line(in->p, &in->src, sm.body.p, sm.body.len, in->seq, in->seq);
    }
    in->src.sender = (struct wt_str){NULL, 0};
}

static void oversize(struct syslog_in *in, const char *peer)
{
    wt_metric_add(in->m_msgs, 1);
    wt_metric_add(in->m_oversize, 1);
    wt_log_once(&in->warned_oversize, WT_LOG_WARN, "syslog",
                "%s: a message from %s is longer than max_message (%zu bytes): dropped (further "
                "ones are only counted in wtexport_syslog_oversize_total)",
                in->url, peer, in->max_msg);
}

/* ------------------------------------------------------------------------ */
/* UDP                                                                      */
/* ------------------------------------------------------------------------ */

static void kernel_drops(struct syslog_in *in, uint32_t seen)
{
    /* The counter only grows (it wraps after 2^32 drops: counted modulo). */
    if (seen != in->kdrops) {
        wt_metric_add(in->m_drop_kernel, (uint32_t)(seen - in->kdrops));
        in->kdrops = seen;
    }
}

static void udp_meminfo(struct syslog_in *in)
{
    uint32_t mi[SK_MEMINFO_VARS];
    socklen_t len = sizeof(mi);
    if (in->ufd >= 0 && getsockopt(in->ufd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
        len > SK_MEMINFO_DROPS * sizeof(uint32_t))
        kernel_drops(in, mi[SK_MEMINFO_DROPS]);
}

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    const void *a = ss->ss_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
    if (!inet_ntop(ss->ss_family, a, out, (socklen_t)cap))
        snprintf(out, cap, "?");
    /* An IPv4 sender on a dual-stack socket: print it as IPv4. */
    if (strncmp(out, "::ffff:", 7) == 0 && strchr(out + 7, '.'))
        memmove(out, out + 7, strlen(out + 7) + 1);
}

static void udp_readable(uv_poll_t *h, int status, int events)
{
    struct syslog_in *in = h->data;
    struct mmsghdr mm[WT_SYSLOG_UDP_BATCH];
    struct iovec iov[WT_SYSLOG_UDP_BATCH];
    struct sockaddr_storage from[WT_SYSLOG_UDP_BATCH];
    union {
        char buf[CMSG_SPACE(sizeof(uint32_t))];
        struct cmsghdr align;
    } ctl[WT_SYSLOG_UDP_BATCH];
    char peer[INET6_ADDRSTRLEN];
    size_t cap = in->max_msg + 1;

    (void)events;
    if (status < 0)
        return;
    for (int turn = 0; turn < WT_SYSLOG_UDP_PER_TURN / WT_SYSLOG_UDP_BATCH; turn++) {
        for (int i = 0; i < WT_SYSLOG_UDP_BATCH; i++) {
            iov[i] = (struct iovec){in->ubuf + (size_t)i * cap, cap};
            mm[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
                                            .msg_namelen = sizeof(from[i]),
                                            .msg_iov = &iov[i],
                                            .msg_iovlen = 1,
                                            .msg_control = ctl[i].buf,
                                            .msg_controllen = sizeof(ctl[i].buf)};
            mm[i].msg_len = 0;
        }
        int n = recvmmsg(in->ufd, mm, WT_SYSLOG_UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return; /* EAGAIN: drained */
        for (int i = 0; i < n; i++) {
            struct msghdr *mh = &mm[i].msg_hdr;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                    uint32_t d;
                    memcpy(&d, CMSG_DATA(c), sizeof(d));
                    kernel_drops(in, d);
                }
            }
            peer_name(&from[i], peer, sizeof(peer));
            if ((mh->msg_flags & MSG_TRUNC) || mm[i].msg_len > in->max_msg) {
                oversize(in, peer);
                continue;
            }
            if (wt_pipeline_wait_if_full(in->p)) {
                /* No way to make a UDP sender wait: counted, dropped. */
                wt_metric_add(in->m_msgs, 1);
                wt_metric_add(in->m_drop_full, 1);
                continue;
            }
            deliver(in, peer, iov[i].iov_base, mm[i].msg_len);
        }
        if (n < WT_SYSLOG_UDP_BATCH)
            return;
    }
}

static int udp_open(struct syslog_in *in, const struct sockaddr *sa, size_t rcvbuf, char *err,
                    size_t errlen)
{
    int one = 1;
    in->ubuf = wt_malloc((size_t)WT_SYSLOG_UDP_BATCH * (in->max_msg + 1));
    if (!in->ubuf) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    in->ufd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (in->ufd < 0)
        goto fail;
    if (setsockopt(in->ufd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0)
        goto fail;
    if (rcvbuf) {
        int v = (int)rcvbuf;
        if (setsockopt(in->ufd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) != 0)
            goto fail;
    }
    socklen_t len =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(in->ufd, sa, len) != 0)
        goto fail;
    int rc = uv_poll_init(in->loop, &in->poll, in->ufd);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", in->url, uv_strerror(rc));
        close(in->ufd);
        in->ufd = -1;
        return rc;
    }
    in->poll.data = in;
    in->handles++;
    uv_poll_start(&in->poll, UV_READABLE, udp_readable);
    return 0;
fail:;
    int e = errno;
    snprintf(err, errlen, "%s: %s", in->url, strerror(e));
    if (in->ufd >= 0)
        close(in->ufd);
    in->ufd = -1;
    return -e;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                              */
/* ------------------------------------------------------------------------ */

static void conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    struct syslog_in *in = c->in;
    SSL_free(c->ssl);
    wt_free(c->buf);
    wt_free(c->net);
    wt_free(c);
    in->handles--;
    maybe_free(in);
}

static void conn_close(struct conn *c)
{
    struct syslog_in *in = c->in;
    if (c->closing)
        return;
    c->closing = true;
    if (c->prev)
        c->prev->next = c->next;
    else
        in->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    in->nconns--;
    wt_metric_set(in->m_conns, in->nconns);
    uv_close((uv_handle_t *)&c->h, conn_closed);
}

static void tls_fail(struct conn *c, const char *what)
{
    struct syslog_in *in = c->in;
    char e[160] = "";
    unsigned long code = ERR_get_error();
    if (code)
        ERR_error_string_n(code, e, sizeof(e));
    ERR_clear_error();
    wt_metric_add(in->m_tls_fail, 1);
    wt_log_once(&in->warned_tls, WT_LOG_WARN, "syslog",
                "%s: TLS %s with %s failed (%s): connection closed (further failures are only "
                "counted in wtexport_syslog_tls_failures_total)",
                in->url, what, c->peer, e[0] ? e : "peer closed");
}

static void tls_written(uv_write_t *req, int status)
{
    (void)status;
    wt_free(req->data);
}

/* Send what OpenSSL wrote to its output BIO (handshake records, alerts). */
static void tls_flush(struct conn *c)
{
    size_t n = BIO_ctrl_pending(c->wbio);
    if (n == 0 || c->closing)
        return;
    struct tls_write *w = wt_malloc(sizeof(*w) + n);
    if (!w)
        return; /* the handshake then times out */
    int got = BIO_read(c->wbio, w->data, (int)n);
    if (got <= 0) {
        wt_free(w);
        return;
    }
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)got);
    if (uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, tls_written) != 0)
        wt_free(w);
}

/*
 * Decrypt what the connection's input BIO holds into c->buf, as far as it
 * has room. @returns plaintext bytes added, or -1 (close the connection).
 */
static long tls_pull(struct conn *c)
{
    long got = 0;
    if (!c->handshaken) {
        int r = SSL_do_handshake(c->ssl);
        tls_flush(c);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
            tls_fail(c, "handshake");
            return -1;
        }
        c->handshaken = true;
    }
    while (c->len < c->cap) {
        int n = SSL_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
        if (n > 0) {
            c->len += (size_t)n;
            got += n;
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN)
            break; /* close_notify: the TCP EOF follows */
        tls_fail(c, "read");
        return -1;
    }
    tls_flush(c);
    return got;
}

/* Frame and deliver every complete message in c->buf. -1: framing broken. */
static int frames(struct conn *c)
{
    struct syslog_in *in = c->in;
    size_t off = 0;
    for (;;) {
        size_t used;
        struct wt_str m;
        int rc = wt_syslog_frame_next(&c->fr, c->buf + off, c->len - off, &used, &m);
        off += used;
        if (rc == 0) {
            deliver(in, c->peer, m.p, m.len);
        } else if (rc == WT_ETOOLONG) {
            oversize(in, c->peer);
        } else if (rc == WT_EAGAIN) {
            if (used == 0)
                break;
        } else {
            wt_metric_add(in->m_malformed, 1);
            wt_log_once(&in->warned_malformed, WT_LOG_WARN, "syslog",
                        "%s: %s sent an octet-counted frame without a valid length: "
                        "connection closed (further ones are only counted in "
                        "wtexport_syslog_malformed_total)",
                        in->url, c->peer);
            return -1;
        }
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return 0;
}

static void pause_all(struct syslog_in *in)
{
    in->paused = true;
    for (struct conn *c = in->conns; c; c = c->next)
        uv_read_stop((uv_stream_t *)&c->h);
}

/* Deliver what c holds; stop every connection when the pipeline is full. */
static void pump(struct conn *c)
{
    struct syslog_in *in = c->in;
    for (;;) {
        long got = 0;
        if (c->ssl) {
            got = tls_pull(c);
            if (got < 0) {
                conn_close(c);
                return;
            }
        }
        if (frames(c) != 0) {
            conn_close(c);
            return;
        }
        if (wt_pipeline_wait_if_full(in->p)) {
            pause_all(in);
            return;
        }
        if (got == 0)
            return; /* tls: nothing more decrypted (tcp: one pass) */
    }
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;
    (void)suggested;
    if (c->ssl)
        *buf = uv_buf_init(c->net, WT_SYSLOG_TLS_READ);
    else
        *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

/* The peer closed: an LF-framed message without its LF is still a message. */
static void conn_eof(struct conn *c)
{
    if (c->fr.mode == WT_FRAMING_LF && c->len > 0 && !c->fr.skip_to_lf)
        deliver(c->in, c->peer, c->buf, c->len);
    else if (c->len > 0 || c->fr.skip)
        wt_metric_add(c->in->m_malformed, 1); /* an octet-counted frame cut short */
    c->len = 0;
    conn_close(c);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    if (nread < 0) {
        conn_eof(c);
        return;
    }
    if (nread == 0)
        return;
    c->last = uv_now(c->in->loop);
    if (c->ssl) {
        if (BIO_write(c->rbio, buf->base, (int)nread) != (int)nread) {
            conn_close(c);
            return;
        }
    } else {
        c->len += (size_t)nread;
    }
    pump(c);
}

static int conn_setup(struct syslog_in *in, struct conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->h, (struct sockaddr *)&ss, &len) == 0)
        peer_name(&ss, c->peer, sizeof(c->peer));
    else
        snprintf(c->peer, sizeof(c->peer), "?");
    wt_syslog_framer_init(&c->fr, in->max_msg);
    c->cap = in->max_msg + 2 + WT_SYSLOG_MSGLEN_DIGITS + 1;
    c->buf = wt_malloc(c->cap);
    if (!c->buf)
        return -ENOMEM;
    if (in->tls) {
        c->net = wt_malloc(WT_SYSLOG_TLS_READ);
        c->ssl = SSL_new(in->tls);
        c->rbio = BIO_new(BIO_s_mem());
        c->wbio = BIO_new(BIO_s_mem());
        if (!c->net || !c->ssl || !c->rbio || !c->wbio) {
            BIO_free(c->rbio);
            BIO_free(c->wbio);
            c->rbio = c->wbio = NULL;
            return -ENOMEM;
        }
        SSL_set_bio(c->ssl, c->rbio, c->wbio);
        SSL_set_accept_state(c->ssl);
    }
    return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct syslog_in *in = server->data;
    if (status < 0 || in->stopped)
        return;
    struct conn *c = wt_calloc(1, sizeof(*c));
    if (!c) {
        wt_log_error("syslog", "%s: out of memory accepting a connection", in->url);
        return;
    }
    c->in = in;
    uv_tcp_init(in->loop, &c->h);
    c->h.data = c;
    in->handles++;
    /* Linked first, so conn_close() can unlink whatever happens next. */
    c->next = in->conns;
    if (in->conns)
        in->conns->prev = c;
    in->conns = c;
    in->nconns++;
    wt_metric_set(in->m_conns, in->nconns);
    if (uv_accept(server, (uv_stream_t *)&c->h) != 0) {
        conn_close(c);
        return;
    }
    if (in->nconns > in->max_conns) {
        wt_metric_add(in->m_refused, 1);
        wt_log_once(&in->warned_refused, WT_LOG_WARN, "syslog",
                    "%s: more than max_connections (%d) connections: further ones are closed "
                    "at once (counted in wtexport_syslog_connections_refused_total)",
                    in->url, in->max_conns);
        conn_close(c);
        return;
    }
    if (conn_setup(in, c) != 0) {
        wt_log_error("syslog", "%s: out of memory accepting a connection", in->url);
        conn_close(c);
        return;
    }
    c->last = uv_now(in->loop);
    if (!in->paused)
        uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

static void sweep(uv_timer_t *t)
{
    struct syslog_in *in = t->data;
    uint64_t now = uv_now(in->loop);
    udp_meminfo(in);
    if (in->paused)
        return; /* a paused connection is not idle */
    struct conn *next;
    for (struct conn *c = in->conns; c; c = next) {
        next = c->next;
        if (now - c->last >= (uint64_t)in->idle_ms) {
            wt_metric_add(in->m_idle, 1);
            conn_close(c);
        }
    }
}

static void metrics_create(struct syslog_in *in, struct wt_metrics *m)
{
    char esc[sizeof(in->url) * 2], lab[sizeof(esc) + 32];
    wt_metrics_label_escape(in->url, esc, sizeof(esc));
    snprintf(lab, sizeof(lab), "input=\"%s\"", esc);
#define C(name, help) wt_metrics_get(m, WT_METRIC_COUNTER, name, help, lab, NULL, 0)
    in->m_msgs = C("wtexport_syslog_messages_total",
                   "Syslog messages received (all: those dropped below included).");
    in->m_bytes = C("wtexport_syslog_bytes_total", "Bytes of syslog messages received.");
    in->m_malformed = C("wtexport_syslog_malformed_total",
                        "Syslog messages without a valid header, or broken TCP frames: dropped.");
    in->m_oversize = C("wtexport_syslog_oversize_total",
                       "Syslog messages longer than max_message: dropped whole.");
    if (in->proto != WT_SYSLOG_UDP) {
        in->m_refused = C("wtexport_syslog_connections_refused_total",
                          "Connections closed at once: max_connections reached.");
        in->m_idle =
            C("wtexport_syslog_idle_closed_total", "Connections closed after idle_timeout.");
        in->m_tls_fail = C("wtexport_syslog_tls_failures_total",
                           "TLS handshakes or reads that failed (connection closed).");
        in->m_conns = wt_metrics_get(m, WT_METRIC_GAUGE, "wtexport_syslog_connections",
                                     "Open syslog connections.", lab, NULL, 0);
        return;
    }
#undef C
    char lf[sizeof(lab) + 32];
    snprintf(lf, sizeof(lf), "%s,reason=\"queue_full\"", lab);
    in->m_drop_full = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_syslog_dropped_total",
                                     "UDP datagrams dropped: by the exporter while its queue is "
                                     "full, or by the kernel (receive buffer full).",
                                     lf, NULL, 0);
    snprintf(lf, sizeof(lf), "%s,reason=\"kernel\"", lab);
    in->m_drop_kernel = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_syslog_dropped_total",
                                       "UDP datagrams dropped: by the exporter while its queue is "
                                       "full, or by the kernel (receive buffer full).",
                                       lf, NULL, 0);
}

static int tls_setup(struct syslog_in *in, const struct wt_syslog_opts *o, char *err, size_t errlen)
{
    char e[200] = "";
    const char *what = "creating the TLS context";
    in->tls = SSL_CTX_new(TLS_server_method());
    if (!in->tls)
        goto fail;
    SSL_CTX_set_min_proto_version(in->tls, TLS1_2_VERSION);
    what = o->tls_cert_file;
    if (SSL_CTX_use_certificate_chain_file(in->tls, o->tls_cert_file) != 1)
        goto fail;
    what = o->tls_key_file;
    if (SSL_CTX_use_PrivateKey_file(in->tls, o->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(in->tls) != 1)
        goto fail;
    if (o->tls_ca_file) {
        what = o->tls_ca_file;
        if (SSL_CTX_load_verify_locations(in->tls, o->tls_ca_file, NULL) != 1)
            goto fail;
        SSL_CTX_set_verify(in->tls, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return 0;
fail:
    ERR_error_string_n(ERR_get_error(), e, sizeof(e));
    ERR_clear_error();
    snprintf(err, errlen, "%s: %s: %s", in->url, what, e);
    return WT_ECONFIG;
}

static int tcp_open(struct syslog_in *in, const struct sockaddr *sa, size_t rcvbuf, char *err,
                    size_t errlen)
{
    uv_tcp_init(in->loop, &in->tcp);
    in->tcp.data = in;
    in->handles++;
    int rc = uv_tcp_bind(&in->tcp, sa, 0);
    if (rc == 0 && rcvbuf) {
        /* Accepted sockets inherit the listener's SO_RCVBUF. */
        int v = (int)rcvbuf;
        rc = uv_recv_buffer_size((uv_handle_t *)&in->tcp, &v);
    }
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&in->tcp, SOMAXCONN, on_connection);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", in->url, uv_strerror(rc));
    return rc;
}

static void syslog_stop(void *impl)
{
    struct syslog_in *in = impl;
    if (in->stopped)
        return;
    in->stopped = true;
    while (in->conns)
        conn_close(in->conns);
    if (uv_is_active((uv_handle_t *)&in->sweep) || in->sweep.data == in) {
        uv_timer_stop(&in->sweep);
        uv_close((uv_handle_t *)&in->sweep, handle_closed);
    }
    if (in->proto == WT_SYSLOG_UDP) {
        if (in->poll.data == in) {
            uv_poll_stop(&in->poll);
            uv_close((uv_handle_t *)&in->poll, handle_closed);
        }
        if (in->ufd >= 0)
            close(in->ufd); /* uv_close of a poll handle leaves its fd open */
        in->ufd = -1;
    } else if (in->tcp.data == in) {
        uv_close((uv_handle_t *)&in->tcp, handle_closed);
    }
}

static void syslog_free(void *impl)
{
    struct syslog_in *in = impl;
    if (!in)
        return;
    in->freeing = true;
    maybe_free(in);
}

static int syslog_open(void **impl, const struct wt_input_env *env, size_t i, uint32_t id,
                       char *err, size_t errlen)
{
    const struct wt_input_cfg *icfg = &env->cfg->inputs[i];
    const struct wt_syslog_opts *o = icfg->opts;
    char host[256];
    uint16_t port;
    struct sockaddr_storage ss;
    int rc;

    struct syslog_in *in = wt_calloc(1, sizeof(*in));
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    in->loop = env->loop;
    in->p = env->p;
    in->ufd = -1;
    in->max_msg = o->max_message;
    in->max_line = icfg->max_line;
    in->max_conns = o->max_connections;
    in->idle_ms = o->idle_timeout_ms;
    snprintf(in->url, sizeof(in->url), "%s", o->listen);
    wt_pipeline_source_init(env->p, &in->src, id, (struct wt_str){in->url, strlen(in->url)}, icfg);
    rc = wt__syslog_listen_parse(o->listen, &in->proto, host, sizeof(host), &port);
    metrics_create(in, env->m);
    uv_timer_init(in->loop, &in->sweep);
    in->sweep.data = in;
    in->handles++;
    if (rc == 0 && strchr(host, ':'))
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
    else if (rc == 0)
        rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (rc != 0) {
        snprintf(err, errlen, "%s: the address must be an IPv4 or IPv6 address", in->url);
        rc = WT_ECONFIG;
        goto fail;
    }
    if (in->proto == WT_SYSLOG_TLS) {
        rc = tls_setup(in, o, err, errlen);
        if (rc != 0)
            goto fail;
    }
    if (in->proto == WT_SYSLOG_UDP)
        rc = udp_open(in, (const struct sockaddr *)&ss, o->rcvbuf, err, errlen);
    else
        rc = tcp_open(in, (const struct sockaddr *)&ss, o->rcvbuf, err, errlen);
    if (rc != 0)
        goto fail;
    uint64_t every =
        (uint64_t)(in->idle_ms < WT_SYSLOG_SWEEP_MS ? in->idle_ms : WT_SYSLOG_SWEEP_MS);
    uv_timer_start(&in->sweep, sweep, every, every);
    wt_log_info("syslog", "listening on %s (max_message %zu, max_connections %d)", in->url,
                in->max_msg, in->max_conns);
    *impl = in;
    return 0;
fail:
    syslog_stop(in);
    syslog_free(in);
    return rc;
}

static void syslog_resume(void *impl)
{
    struct syslog_in *in = impl;
    if (!in->paused || in->stopped)
        return;
    in->paused = false;
    uint64_t now = uv_now(in->loop);
    struct conn *next;
    for (struct conn *c = in->conns; c && !in->paused; c = next) {
        next = c->next;
        c->last = now;
        uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
        pump(c); /* tls: plaintext still inside OpenSSL */
    }
}

static bool syslog_failing(const void *impl)
{
    (void)impl;
    return false;
}

const struct wt_input_ops wt__syslog_ops = {
    .open = syslog_open,
    .resume = syslog_resume,
    .stop = syslog_stop,
    .free = syslog_free,
    .failing = syslog_failing,
};
