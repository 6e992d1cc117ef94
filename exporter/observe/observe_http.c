/*
 * observe_http.c - the relay-module endpoints on libmicrohttpd (its own
 * thread pool, TLS through its GnuTLS support when configured). Answers are
 * read from the index in LMDB read transactions, never from the loop.
 *
 * Status codes: as in the tr-05 relay modules, an error of the contract is
 * a 200 answer whose body is {"errors": [...]} (XDR reads the body), except
 * that a missing or bad token is a 401 (never any data); an unknown path is
 * 404, a wrong method 405, an oversize body 413.
 */
#include "observe.h"
#include "log.h"
#include "observe_auth.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct wt_observe {
    const struct wt_config *cfg;
    struct wt_index *idx;
    struct wt_auth *auth;
    struct MHD_Daemon *httpd;
    char host[256];
    char *tls_cert, *tls_key;
    int port;
};

/* Per-connection request state (POST bodies arrive in pieces). */
struct req_state {
    char *body;
    size_t len, cap;
    bool too_big;
};

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, char *text, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, cJSON *doc)
{
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!text)
        return MHD_NO;
    enum MHD_Result ret = send_text(c, status, text, strlen(text));
    cJSON_free(text);
    return ret;
}

/* {"errors": [{"type": "fatal", "code": code, "message": msg}]} */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code,
                                  const char *msg)
{
    cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "errors");
    cJSON *e = cJSON_CreateObject();
    if (!arr || !e) {
        cJSON_Delete(e);
        cJSON_Delete(doc);
        return MHD_NO;
    }
    cJSON_AddStringToObject(e, "type", "fatal");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", msg);
    cJSON_AddItemToArray(arr, e);
    return send_json(c, status, doc);
}

static enum MHD_Result send_data(struct MHD_Connection *c, cJSON *data)
{
    if (!data)
        return send_error(c, MHD_HTTP_OK, "internal error", "Something went wrong.");
    cJSON *doc = cJSON_CreateObject();
    if (!doc) {
        cJSON_Delete(data);
        return MHD_NO;
    }
    cJSON_AddItemToObject(doc, "data", data);
    return send_json(c, MHD_HTTP_OK, doc);
}

static enum MHD_Result serve_post(struct wt_observe *o, struct MHD_Connection *c, const char *url,
                                  const struct req_state *st)
{
    const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char msg[512];
    int token_limit = 0;
    if (wt_auth_check(o->auth, authz, wt_wall_ms() / 1000, &token_limit, msg, sizeof(msg)) != 0)
        return send_error(c, MHD_HTTP_UNAUTHORIZED, "authorization error", msg);
    if (strcmp(url, "/health") == 0) {
        cJSON *d = cJSON_CreateObject();
        if (d)
            cJSON_AddStringToObject(d, "status", "ok");
        return send_data(c, d);
    }
    if (strcmp(url, "/deliberate/observables") == 0)
        return send_data(c, cJSON_CreateObject());
    struct wt_observe_req req;
    int rc = wt_observe_decode(st->body ? st->body : "", st->len, o->cfg->privacy.strip_query, &req,
                               msg, sizeof(msg));
    if (rc == -ENOMEM)
        return MHD_NO;
    if (rc)
        return send_error(c, MHD_HTTP_OK, "invalid argument", msg);
    if (strcmp(url, "/refer/observables") == 0) {
        cJSON *data = wt_observe_refer(&req, o->cfg->observe.refer_url);
        wt_observe_req_free(&req);
        return send_data(c, data);
    } else {
        unsigned limit = (unsigned)o->cfg->observe.entities_limit;
        if (token_limit > 0 && (unsigned)token_limit < limit)
            limit = (unsigned)token_limit;
        struct wt_observe_answer_opts ao = {
            .host = o->host,
            .source_uri = o->cfg->observe.source_uri,
            .limit = limit,
            .top = (unsigned)o->cfg->index.top_clients,
            .since_ms = wt_wall_ms() - o->cfg->retention_ms,
        };
        size_t len;
        char *text = wt_observe_answer_text(o->idx, &req, &ao, &len);
        wt_observe_req_free(&req);
        if (!text)
            return send_error(c, MHD_HTTP_OK, "internal error", "Something went wrong.");
        enum MHD_Result ret = send_text(c, MHD_HTTP_OK, text, len);
        wt_free(text);
        return ret;
    }
}

static bool is_post_path(const char *url)
{
    return strcmp(url, "/health") == 0 || strcmp(url, "/observe/observables") == 0 ||
           strcmp(url, "/refer/observables") == 0 || strcmp(url, "/deliberate/observables") == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    struct wt_observe *o = cls;
    (void)version;
    if (strcmp(url, "/watchdog") == 0) {
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
            return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
                              "Use GET /watchdog.");
        const char *hc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Health-Check");
        if (!hc)
            return send_error(c, MHD_HTTP_OK, "health check failed", "Invalid Health Check");
        return send_data(c, cJSON_CreateString(hc));
    }
    if (!is_post_path(url))
        return send_error(c, MHD_HTTP_NOT_FOUND, "not found", "No such endpoint.");
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
                          "Use POST on this endpoint.");
    struct req_state *st = *con_cls;
    if (!st) {
        st = wt_calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        return MHD_YES;
    }
    if (*size) {
        if (st->len + *size > WT_OBSERVE_BODY_MAX) {
            st->too_big = true;
        } else if (!st->too_big) {
            if (st->len + *size + 1 > st->cap) {
                size_t cap = (st->len + *size + 1) * 2;
                if (cap > WT_OBSERVE_BODY_MAX + 1)
                    cap = WT_OBSERVE_BODY_MAX + 1;
                char *nb = wt_realloc(st->body, cap);
                if (!nb)
                    return MHD_NO;
                st->body = nb;
                st->cap = cap;
            }
            memcpy(st->body + st->len, data, *size);
            st->len += *size;
        }
        *size = 0;
        return MHD_YES;
    }
    if (st->too_big)
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "invalid argument",
                          "Invalid JSON payload received. The body is too large.");
    return serve_post(o, c, url, st);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct req_state *st = *con_cls;
    if (st) {
        wt_free(st->body);
        wt_free(st);
        *con_cls = NULL;
    }
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    wt_log_warn("observe.http", "%s", buf);
}

static int read_pem(const char *path, char **out, char *err, size_t errlen)
{
    size_t len;
    int rc = wt_read_file(path, 1024 * 1024, out, &len);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, wt_strerror(rc));
        return rc;
    }
    (*out)[len] = '\0';
    return 0;
}

static struct MHD_Daemon *start_daemon(struct wt_observe *o, const struct addrinfo *ai)
{
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (o->tls_cert) {
        flags |= MHD_USE_TLS;
        return MHD_start_daemon(flags, 0, NULL, NULL, on_request, o, MHD_OPTION_EXTERNAL_LOGGER,
                                mhd_log, NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                MHD_OPTION_THREAD_POOL_SIZE, (unsigned)WT_OBSERVE_THREADS,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)WT_OBSERVE_CONN_LIMIT,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WT_OBSERVE_TIMEOUT_S,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                MHD_OPTION_HTTPS_MEM_CERT, o->tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
                                o->tls_key, MHD_OPTION_END);
    }
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, o, MHD_OPTION_EXTERNAL_LOGGER,
                            mhd_log, NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)WT_OBSERVE_THREADS,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)WT_OBSERVE_CONN_LIMIT,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WT_OBSERVE_TIMEOUT_S,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
}

struct wt_observe *wt_observe_start(const struct wt_config *cfg, struct wt_index *idx,
                                    const char *host, char *err, size_t errlen)
{
    const char *listen = cfg->observe.listen;
    char h[256], port[8];
    uint16_t portnum;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
    struct wt_observe *o = wt_calloc(1, sizeof(*o));
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->cfg = cfg;
    o->idx = idx;
    snprintf(o->host, sizeof(o->host), "%s", host);
    if (!listen || wt_hostport_parse(listen, h, sizeof(h), &portnum) != 0) {
        snprintf(err, errlen, "observe.listen \"%s\": expected host:port", listen ? listen : "");
        goto fail;
    }
    o->auth = wt_auth_new(cfg->observe.jwt_secret_file, cfg->observe.jwt_public_key_file,
                          cfg->observe.jwks_file, cfg->observe.audience, err, errlen);
    if (!o->auth)
        goto fail;
    if (cfg->observe.tls_cert_file &&
        (read_pem(cfg->observe.tls_cert_file, &o->tls_cert, err, errlen) ||
         read_pem(cfg->observe.tls_key_file, &o->tls_key, err, errlen)))
        goto fail;
    snprintf(port, sizeof(port), "%u", portnum);
    int gai = getaddrinfo(h, port, &hints, &res);
    if (gai) {
        snprintf(err, errlen, "observe.listen \"%s\": %s", listen, gai_strerror(gai));
        goto fail;
    }
    int rc = -EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai && !o->httpd; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        errno = 0;
        o->httpd = start_daemon(o, ai);
        if (!o->httpd)
            rc = errno ? -errno : -EIO;
    }
    freeaddrinfo(res);
    if (!o->httpd) {
        snprintf(err, errlen, "observe.listen \"%s\": cannot listen: %s", listen, wt_strerror(rc));
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(o->httpd, MHD_DAEMON_INFO_BIND_PORT);
    o->port = info ? info->port : portnum;
    return o;
fail:
    wt_observe_stop(o);
    return NULL;
}

int wt_observe_port(const struct wt_observe *o)
{
    return o ? o->port : 0;
}

void wt_observe_stop(struct wt_observe *o)
{
    if (!o)
        return;
    if (o->httpd)
        MHD_stop_daemon(o->httpd);
    wt_auth_free(o->auth);
    wt_free(o->tls_cert);
    if (o->tls_key) {
        memset(o->tls_key, 0, strlen(o->tls_key));
        wt_free(o->tls_key);
    }
    wt_free(o);
}
