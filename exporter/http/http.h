/*
 * http.h - what the HTTP sinks share: libcurl's multi interface driven by
 * the libuv loop, the common options of every request, a blocking request
 * for the commands, and the pure policies of a sink that talks to a remote
 * API inside a transaction budget (request sizing, backoff, Retry-After).
 *
 * curl on the loop (STYLE.md 6): CURLMOPT_SOCKETFUNCTION starts and stops
 * one uv_poll_t per socket (allocated here, freed in its close callback);
 * CURLMOPT_TIMERFUNCTION arms one uv_timer_t, never calling curl from
 * inside its own callback (a 0 ms timeout becomes a 0 ms timer). Poll and
 * timer callbacks call curl_multi_socket_action() and then hand finished
 * transfers to the owner. No thread, no curl_multi_perform() loop.
 */
#ifndef WT_HTTP_H
#define WT_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ------------------------------------------------------------------------ */
/* curl multi on the loop                                                   */
/* ------------------------------------------------------------------------ */

/** A transfer finished (rc its result); the handle is out of the multi already. */
typedef void (*wt_http_done_fn)(void *ctx, CURL *eh, CURLcode rc);
/** After a batch of finished transfers was handed over (start more now). */
typedef void (*wt_http_after_fn)(void *ctx);
/** Everything wt_http_loop_close() started has closed: the owner may be freed. */
typedef void (*wt_http_closed_fn)(void *ctx);

struct wt__http_poll;

/** The driver, embedded in its owner. Loop thread only. */
struct wt_http_loop {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer; /* CURLMOPT_TIMERFUNCTION */
    struct wt__http_poll *polls;
    wt_http_done_fn done;
    wt_http_after_fn after;
    wt_http_closed_fn closed;
    void *ctx;
    const char *name; /* for log lines */
    unsigned pending; /* handles closing */
    bool closing;
};

/**
 * Start the driver: a CURLM with at most max_conns connections (kept open
 * for reuse). done is called once per finished transfer, after() once per
 * round of them (may be NULL). @returns 0 or -ENOMEM (nothing to close).
 */
int wt_http_loop_init(struct wt_http_loop *hl, uv_loop_t *loop, unsigned max_conns,
                      wt_http_done_fn done, wt_http_after_fn after, void *ctx, const char *name);
/** Start a transfer. @returns 0, or -EIO (curl refused it: not started). */
int wt_http_loop_add(struct wt_http_loop *hl, CURL *eh);
/** Abandon a running transfer (no done callback for it). */
void wt_http_loop_remove(struct wt_http_loop *hl, CURL *eh);
/**
 * Stop: remove running transfers first (wt_http_loop_remove), then call
 * this. Sockets stop being watched, the CURLM is cleaned up; closed(ctx)
 * runs once every handle has closed (from the loop).
 */
void wt_http_loop_close(struct wt_http_loop *hl, wt_http_closed_fn closed);

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * Is this http:// or https:// URL's host 127.x.x.x, [::1] or localhost? Plain
 * http is allowed only to such hosts (config checks and transfers).
 */
bool wt_http_url_loopback(const char *url);

/**
 * Options every request gets, on any easy handle: protocols (https; http
 * only when url's host is loopback), no redirects, TLS verification on
 * (ca_file, if not NULL), the proxy (NULL: none, and the proxy environment
 * is ignored), no signals, no verbose output, HTTP/1.1, keep-alive, the
 * user agent, the error buffer (CURL_ERROR_SIZE).
 */
void wt_http_curl_common(CURL *eh, const char *url, const char *ca_file, const char *proxy,
                         char *errbuf);

/**
 * What to do about a failed TLS verification, from curl's result and error
 * text: a certificate for another host name, an expired one, an unknown
 * CA (set ca_file), an unreadable ca_file. @returns a static hint, or NULL
 * when rc is not a TLS verification failure.
 */
const char *wt_http_tls_hint(CURLcode rc, const char *errbuf);

/* Bytes of a response body quoted by wt_http_status_text. */
#define WT_HTTP_BODY_QUOTE_MAX 199

/**
 * "HTTP <status>: <body>" into buf for logs and dead-letter reasons: the
 * first WT_HTTP_BODY_QUOTE_MAX bytes of the server's body, each byte that is
 * not printable ASCII shown as a space; "HTTP <status>" when len is 0.
 */
void wt_http_status_text(char *buf, size_t cap, long http, const char *body, size_t len);

/** A response body kept by wt_http_collect: bounded, NUL-terminated. */
struct wt_http_resp {
    long status; /* 0: no response (err says why) */
    char *body;  /* NUL-terminated, at most cap - 1 bytes kept */
    size_t len, cap;
    bool truncated;
};

/** libcurl write callback into a struct wt_http_resp (bounded, NUL-terminated). */
size_t wt_http_collect(char *data, size_t size, size_t nmemb, void *userp);

/* Connection phase of a blocking request, at most. */
#define WT_HTTP_CLI_CONNECT_TIMEOUT_MS 10000L
/* Longest bearer credential of a blocking request. */
#define WT_HTTP_BEARER_MAX 4096

/**
 * One blocking request (the commands; never on the loop): method to url,
 * with an optional bearer credential and JSON body, timeout_ms for
 * everything. The answer goes to r (r->body of r->cap bytes, given by the
 * caller). A TLS verification failure's message says how to trust a
 * private CA (ca_file).
 * @returns 0 when a response came (any status), or a negative code with a
 *          message in err (connection, TLS, timeout).
 */
int wt_http_request(const char *method, const char *url, const char *ca_file, const char *proxy,
                    const char *bearer, const char *json, long timeout_ms, struct wt_http_resp *r,
                    char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Policies (pure: no network, no clock)                                    */
/* ------------------------------------------------------------------------ */

/* Growth factor after a fast request, and the weight of a new throughput sample. */
#define WT_HTTP_GROW       1.10
#define WT_HTTP_EWMA_ALPHA 0.3
/* A Retry-After further away than this is cut to it. */
#define WT_HTTP_RETRY_AFTER_MAX_MS (3600LL * 1000)

/**
 * The budget controller: how many bytes one request should carry so that
 * it is expected to take budget_s seconds (budget_fraction *
 * transaction_timeout). It keeps an EWMA of the measured throughput (bytes
 * per second of successful requests). Shrinks fast: a request slower than
 * the budget brings the target down to half that request's size (or what
 * the throughput says fits, if less); a timed-out or failed one to half its
 * size. Sizes relate to the request, so a run of late requests that were
 * cut large before the first one ended shrinks the target once, not once
 * each. Grows slowly: a request within the budget raises it by 10 %, never
 * above what the throughput says fits the budget (unless it is there
 * already).
 */
struct wt_http_budget {
    double target;   /* bytes per request now */
    double tput;     /* bytes per second (EWMA); 0 before the first sample */
    double budget_s; /* seconds one request should take */
    double min, max; /* bounds of target */
};

/** Start at initial bytes (clamped to [min, max]), no throughput sample. */
void wt_http_budget_init(struct wt_http_budget *bg, double budget_s, double min, double max,
                         double initial);
/**
 * Record that a request of n bytes succeeded after secs seconds: update the
 * throughput and the target. @returns true when the request was late (it
 * took longer than the budget), false when it was within it.
 */
bool wt_http_budget_success(struct wt_http_budget *bg, size_t n, double secs);
/** A request of n bytes failed after it was sent (timeout, 5xx, 429, reset). */
void wt_http_budget_fail(struct wt_http_budget *bg, size_t n);
/** A request of n bytes was too large (413): at most n / 2 from now on. */
void wt_http_budget_too_large(struct wt_http_budget *bg, size_t n);
/** The target in whole bytes. */
size_t wt_http_budget_target(const struct wt_http_budget *bg);

/**
 * Full-jitter backoff: the attempt-th retry (0-based) waits rnd modulo
 * (min(cap_ms, base_ms * 2^attempt) + 1) ms.
 */
uint64_t wt_http_backoff_ms(uint64_t base_ms, uint64_t cap_ms, unsigned attempt, uint64_t rnd);
/** xorshift64*: the next pseudo-random number of *state (not for secrets). */
uint64_t wt_http_rand(uint64_t *state);

/**
 * A Retry-After value (delay-seconds or an HTTP-date, RFC 9110 10.2.3) as
 * a delay from now_ms, in [0, WT_HTTP_RETRY_AFTER_MAX_MS].
 * @returns 0, or WT_EPARSE for anything else.
 */
int wt_http_retry_after(const char *v, int64_t now_ms, int64_t *delay_ms);
/** Does this status pause the whole sink when it carries a Retry-After? (429, 503) */
bool wt_http_pausing_status(long http);

/**
 * Does the finished transfer eh (status http) ask the whole sink to pause:
 * a pausing status with a Retry-After in the future? @returns true with
 * the delay from now in *delay_ms and the header's text in *value (valid
 * while eh is not reused), for the log line.
 */
bool wt_http_pause_asked(CURL *eh, long http, int64_t *delay_ms, const char **value);

#endif /* WT_HTTP_H */
