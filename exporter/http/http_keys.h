/*
 * http_keys.h - the configuration keys every HTTP sink has (ca_file, proxy,
 * concurrency, transaction_timeout, budget_fraction, retry), as one block
 * of keys a sink's table embeds (K_EMBED, config_keys.h), with their
 * bounds, and the URL and proxy checks of those sinks' tables.
 *
 * A sink's options struct holds the block's values as a member of type
 * struct wt_http_sink_opts (sse and ctia call it `http`), and the sink's
 * table embeds wt_http_sink_obj at that member's offset.
 */
#ifndef WT_HTTP_KEYS_H
#define WT_HTTP_KEYS_H

#include "config_keys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WT_HTTP_CONCURRENCY_DEFAULT       4
#define WT_HTTP_CONCURRENCY_MAX           64
#define WT_HTTP_TIMEOUT_DEFAULT_MS        (60 * 1000)
#define WT_HTTP_TIMEOUT_MIN_MS            1000
#define WT_HTTP_TIMEOUT_MAX_MS            (10 * 60 * 1000)
#define WT_HTTP_BUDGET_PPM_DEFAULT        250000 /* budget_fraction in millionths: 0.25 */
#define WT_HTTP_BUDGET_PPM_MIN            50000
#define WT_HTTP_BUDGET_PPM_MAX            1000000
#define WT_HTTP_RETRY_BASE_DEFAULT_MS     500
#define WT_HTTP_RETRY_BASE_MIN_MS         10
#define WT_HTTP_RETRY_CAP_DEFAULT_MS      (60 * 1000)
#define WT_HTTP_RETRY_CAP_MAX_MS          (60 * 60 * 1000)
#define WT_HTTP_RETRY_MAX_DURATION_MAX_MS (30LL * 86400 * 1000) /* 0 = unlimited */
/* Bytes of a URL or proxy key. */
#define WT_HTTP_URL_MAX 1024

/** The values of the block's keys. */
struct wt_http_sink_opts {
    char *ca_file;                  /* PEM CA bundle; NULL: the system CAs */
    char *proxy;                    /* outbound HTTP proxy URL; NULL: none */
    int concurrency;                /* requests in flight, 1..WT_HTTP_CONCURRENCY_MAX */
    int64_t transaction_timeout_ms; /* hard limit of one request */
    double budget_fraction;         /* share of the timeout a request is sized for */
    struct {
        int64_t base_ms, cap_ms; /* backoff: full jitter in [0, min(cap, base * 2^n)] */
        int64_t max_duration_ms; /* from the first attempt; 0 = unlimited */
    } retry;
};

/** The block: a sink's options hold a struct wt_http_sink_opts member m, and its
 * table embeds the block with {.type = K_EMBED, .off = offsetof(T, m), .sub = &...}. */
extern const struct wt_cfg_obj wt_http_sink_obj;

/** "https://host[:port][/path]" without query or fragment; http:// only to loopback. */
bool wt_http_check_url(const char *v);

#endif /* WT_HTTP_KEYS_H */
